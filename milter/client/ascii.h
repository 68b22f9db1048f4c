// ASCII text helpers shared by the milter client, signet-milter's
// configuration and qmail-signet's settings: configuration text, socket
// addresses and protocol fields are ASCII, so the C locale never matters.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace signet::ascii {

constexpr bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Without white space at either end.
constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

inline std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// A letter, digit, '-', '.' or '_': what a host name (or a label of one) may hold.
constexpr bool isHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// Digits and dots only: meant as an IPv4 address, not a name.
constexpr bool looksNumeric(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace signet::ascii
