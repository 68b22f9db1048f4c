// Peer lists (InternalHosts, ExternalIgnoreList), table files and '*'
// patterns: the pieces of signet.conf(5) that read lists rather than single
// values (socket specs live in milter/client/socket_spec.cpp). See config.h
// for the rules each one follows.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ascii.h"
#include "config.h"

namespace signet::milter {
namespace {

using ascii::isHostNameChar;
using ascii::isSpace;
using ascii::lower;
using ascii::looksNumeric;
using ascii::toLower;
using ascii::trim;

// A table or list file larger than this is refused: it is not a table.
constexpr std::size_t kMaxTableFileBytes = 16 * 1024 * 1024;

std::optional<int> parseDecimal(std::string_view text, int max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) return std::nullopt;
  return value;
}

// Zeroes the bits after the first `prefix` bits of an address of `bytes` bytes.
void maskAddress(unsigned char* address, int bytes, int prefix) {
  for (int i = 0; i < bytes; ++i) {
    const int keep = std::clamp(prefix - i * 8, 0, 8);
    address[i] &= static_cast<unsigned char>(0xff00 >> keep);
  }
}

bool isV4Mapped(const unsigned char* a) {
  static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, prefix, 12) == 0;
}

bool withinNetwork(const Network& net, const unsigned char* address) {
  const int full_bytes = net.prefix / 8;
  if (std::memcmp(net.address, address, static_cast<std::size_t>(full_bytes)) != 0) return false;
  const int rest = net.prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff00 >> rest);
  return (net.address[full_bytes] & mask) == (address[full_bytes] & mask);
}

// The client's address, IPv4-mapped IPv6 turned into IPv4.
struct ClientAddress {
  int family = 0;
  unsigned char bytes[16]{};
  std::string text;
};

std::optional<ClientAddress> clientAddress(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  ClientAddress out;
  if (sa->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof sin);
    out.family = AF_INET;
    std::memcpy(out.bytes, &sin.sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof sin6);
    const auto* a = reinterpret_cast<const unsigned char*>(&sin6.sin6_addr);
    if (isV4Mapped(a)) {
      out.family = AF_INET;
      std::memcpy(out.bytes, a + 12, 4);
    } else {
      out.family = AF_INET6;
      std::memcpy(out.bytes, a, 16);
    }
  } else {
    return std::nullopt;
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(out.family, out.bytes, buffer, sizeof buffer);
  out.text = buffer;
  return out;
}

bool isPattern(const Network& n) {
  return n.family == 0 && n.hostname.find('*') != std::string::npos;
}

// Host-name entries: the longest entry equal to the name or (with a leading
// '.') to one of its parent domains wins; "!" wins a tie. Then patterns.
std::optional<bool> matchHostName(const std::vector<Network>& list, std::string_view hostname) {
  if (hostname.empty() || hostname.front() == '[') return std::nullopt;
  std::string name = toLower(hostname);
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  const Network* best = nullptr;
  for (const Network& n : list) {
    if (n.family != 0 || isPattern(n) || n.hostname.empty()) continue;
    const bool hit = n.hostname == name || (n.hostname.front() == '.' && name.size() > n.hostname.size() &&
                                            name.ends_with(n.hostname));
    if (!hit) continue;
    if (best == nullptr || n.hostname.size() > best->hostname.size() ||
        (n.hostname.size() == best->hostname.size() && n.negated))
      best = &n;
  }
  if (best != nullptr) return !best->negated;
  for (const Network& n : list)
    if (isPattern(n) && wildcardMatch(n.hostname, name)) return !n.negated;
  return std::nullopt;
}

// Address entries: the longest matching prefix wins; "!" wins a tie. Then
// patterns against the address's text form.
std::optional<bool> matchAddress(const std::vector<Network>& list, const ClientAddress& client) {
  const Network* best = nullptr;
  for (const Network& n : list) {
    if (n.family != client.family || !withinNetwork(n, client.bytes)) continue;
    if (best == nullptr || n.prefix > best->prefix || (n.prefix == best->prefix && n.negated)) best = &n;
  }
  if (best != nullptr) return !best->negated;
  for (const Network& n : list)
    if (isPattern(n) && wildcardMatch(n.hostname, client.text)) return !n.negated;
  return std::nullopt;
}

std::expected<Network, std::string> parseHostName(Network n, std::string_view name) {
  if (looksNumeric(name)) return std::unexpected("expected a dotted-quad IPv4 address such as 192.0.2.1");
  for (char c : name)
    if (!isHostNameChar(c) && c != '*')
      return std::unexpected("expected an IPv4 or IPv6 address (optionally /PREFIX) or a host name");
  n.hostname = toLower(name);
  if (n.hostname.size() > 1 && n.hostname.back() == '.') n.hostname.pop_back();
  return n;
}

}  // namespace

std::expected<Network, std::string> parseNetwork(std::string_view entry) {
  Network n;
  n.text = std::string(entry);
  std::string_view text = trim(entry);
  if (!text.empty() && text.front() == '!') {
    n.negated = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::unexpected("an empty entry");

  std::string_view address = text;
  std::optional<std::string_view> prefix_text;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    prefix_text = text.substr(slash + 1);
  }
  bool bracketed = false;
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
    bracketed = true;
  }

  const std::string address_string(address);
  int max_prefix = 0;
  if (inet_pton(AF_INET, address_string.c_str(), n.address) == 1) {
    n.family = AF_INET;
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, address_string.c_str(), n.address) == 1) {
    n.family = AF_INET6;
    max_prefix = 128;
  } else if (prefix_text) {
    return std::unexpected("expected an IPv4 or IPv6 address before '/'");
  } else if (bracketed) {
    return std::unexpected("expected an IP address inside [ ]");
  } else {
    return parseHostName(std::move(n), address);
  }

  n.prefix = max_prefix;
  if (prefix_text) {
    const auto prefix = parseDecimal(*prefix_text, max_prefix);
    if (!prefix)
      return std::unexpected("expected a prefix length from 0 to " + std::to_string(max_prefix) +
                             " after '/'");
    n.prefix = *prefix;
  }
  if (n.family == AF_INET6 && isV4Mapped(n.address) && n.prefix >= 96) {
    std::memmove(n.address, n.address + 12, 4);
    std::memset(n.address + 4, 0, 12);
    n.family = AF_INET;
    n.prefix -= 96;
  }
  maskAddress(n.address, n.family == AF_INET ? 4 : 16, n.prefix);
  return n;
}

bool matches(const std::vector<Network>& list, const sockaddr* client, std::string_view hostname) {
  if (const auto by_name = matchHostName(list, hostname)) return *by_name;
  const auto address = clientAddress(client);
  if (!address) return false;
  return matchAddress(list, *address).value_or(false);
}

std::expected<std::vector<TableLine>, ConfigError> readTableFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(ConfigError{path, 0, std::string("cannot read: ") + std::strerror(errno)});
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.size() > kMaxTableFileBytes)
    return std::unexpected(
        ConfigError{path, 0, "larger than " + std::to_string(kMaxTableFileBytes) + " bytes"});

  std::vector<TableLine> lines;
  std::size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line = std::string_view(text).substr(start, end - start);
    start = end + 1;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    std::size_t split = 0;
    while (split < line.size() && !isSpace(line[split])) ++split;
    lines.push_back(
        TableLine{number, std::string(line.substr(0, split)), std::string(trim(line.substr(split)))});
  }
  return lines;
}

bool wildcardMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace signet::milter
