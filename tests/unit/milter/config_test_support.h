// Helpers for the configuration and key store tests: a temporary directory
// removed at the end of the test, files written with a chosen mode, socket
// addresses, and generated keys (generated once per run: RSA is slow).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

#include "signet/crypto.h"

namespace signet::milter::test {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/signet-conf-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

  // Writes `text` to `name` (directories created) with `mode`; returns the path.
  std::string write(std::string_view name, std::string_view text, mode_t mode = 0600) const {
    const std::string file = *this / name;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << text;
    }
    if (::chmod(file.c_str(), mode) != 0) throw std::runtime_error("chmod failed");
    return file;
  }

 private:
  std::string path_;
};

inline std::string readFixture(std::string_view name) {
  std::ifstream in(std::string(SIGNET_TEST_DATA_DIR) + "/" + std::string(name), std::ios::binary);
  if (!in) throw std::runtime_error("missing test fixture " + std::string(name));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string generatedPem(KeyType type) {
  auto key = PrivateKey::generate(type, type == KeyType::rsa ? 1024 : 0);
  if (!key) throw std::runtime_error("key generation failed: " + key.error().message);
  auto pem = (*key)->toPem();
  if (!pem) throw std::runtime_error("toPem failed: " + pem.error().message);
  return *pem;
}

inline const std::string& rsaPem() {
  static const std::string pem = generatedPem(KeyType::rsa);
  return pem;
}

inline const std::string& ed25519Pem() {
  static const std::string pem = generatedPem(KeyType::ed25519);
  return pem;
}

inline sockaddr_storage socketAddress(const std::string& text) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    throw std::invalid_argument("not an address: " + text);
  }
  return storage;
}

}  // namespace signet::milter::test
