// Hand-built milter wire bytes for the client tests, written independently
// of the codec under test so an encoding bug cannot hide behind itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace signet::milter_client::test {

inline std::string be32(std::uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
  return out;
}

// A NUL-terminated string.
inline std::string z(std::string_view s) {
  return std::string(s) + '\0';
}

// One packet: length (code + data), code, data.
inline std::string pkt(char code, std::string_view data = {}) {
  return be32(static_cast<std::uint32_t>(data.size() + 1)) + code + std::string(data);
}

}  // namespace signet::milter_client::test
