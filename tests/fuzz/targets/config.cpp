// Fuzz target: signet-milter's configuration parser (parseConfig on text,
// signet.conf(5)), and the socket and peer-list entry parsers it uses.
// Configuration text may name list files ("file:/path", absolute paths);
// inputs naming anything under /dev, /proc or /sys are skipped so a fuzzed
// line cannot make the parser read a device. Invariants: an error names a
// line within the text (or 0, or a line of a list file it names) and says why; an accepted configuration has
// a socket that parses.
#include "config.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "../fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet::milter;
  const std::string_view text = signet::fuzz::asText(data, size);
  for (std::string_view device : {"/dev", "/proc", "/sys"})
    if (text.find(device) != std::string_view::npos) return 0;
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  auto config = parseConfig(text, "fuzz.conf");
  if (!config) {
    FUZZ_CHECK(!config.error().message.empty());
    FUZZ_CHECK(config.error().line >= 0);
    // The error names fuzz.conf and one of its lines, or a list file it names.
    FUZZ_CHECK(config.error().file != "fuzz.conf" || config.error().line <= lines);
    FUZZ_CHECK(!config.error().file.empty());
  } else {
    FUZZ_CHECK(parseSocketSpec(config->socket).has_value());
    FUZZ_CHECK(config->mode == "s" || config->mode == "v" || config->mode == "sv");
  }
  // Each line also as a socket and as a peer-list entry.
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t nl = std::min(text.find('\n', from), text.size());
    const std::string_view line = text.substr(from, nl - from);
    (void)parseSocketSpec(line);
    if (auto network = parseNetwork(line); network && network->family != 0)
      FUZZ_CHECK(network->prefix >= 0 && network->prefix <= (network->family == AF_INET ? 32 : 128));
    from = nl + 1;
  }
  return 0;
}
