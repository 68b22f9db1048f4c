// Small helpers shared by the core unit tests: hex, fixture files under
// tests/data/, and PEM for a known Ed25519 seed (RFC 8032 and RFC 8463 keys).
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "signet/base64.h"

namespace signet::coretest {

inline std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += digits[u >> 4];
    out += digits[u & 15];
  }
  return out;
}

inline std::string unhex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("not hex");
  };
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<char>(nibble(text[i]) * 16 + nibble(text[i + 1])));
  return out;
}

inline std::string dataPath(std::string_view name) { return std::string(SIGNET_TEST_DATA_DIR) + "/" + std::string(name); }

inline std::string readDataFile(std::string_view name) {
  std::ifstream in(dataPath(name), std::ios::binary);
  if (!in) throw std::runtime_error("missing test fixture " + dataPath(name));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The PKCS#8 PEM of an Ed25519 private key given by its 32-byte seed in hex
// (RFC 8410: the DER prefix, then the seed).
inline std::string ed25519PemFromSeed(std::string_view seed_hex) {
  const std::string der = unhex("302e020100300506032b657004220420") + unhex(seed_hex);
  return "-----BEGIN PRIVATE KEY-----\n" + encodeBase64(der) + "\n-----END PRIVATE KEY-----\n";
}

}  // namespace signet::coretest
