// Corpus replay without libFuzzer: runs LLVMFuzzerTestOneInput once on every
// file named on the command line, or on every file of a directory named
// there. Linked into each fuzz target in the GCC build, so the committed
// corpora (and the reproducers of fixed crashes) are regression tests. A
// crash or a failed invariant aborts the process; an empty corpus is an
// error, so a test that has lost its inputs cannot pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputsOf(const std::filesystem::path& arg) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(arg)) {
    for (const auto& entry : std::filesystem::directory_iterator(arg))
      if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(arg);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& path : inputsOf(argv[i])) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        return 2;
      }
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::fprintf(stderr, "replay %s (%zu bytes)\n", path.c_str(), bytes.size());
      // A copy the size of the input, so ASan sees reads past its end.
      std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
      LLVMFuzzerTestOneInput(copy.data(), copy.size());
      ++count;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "no inputs: give corpus files or directories\n");
    return 2;
  }
  std::fprintf(stderr, "%zu inputs replayed\n", count);
  return 0;
}
