// Milter socket addresses (socket_spec.h): parsing the written form and
// writing it back. Shared by signet-milter's configuration (where it
// listens) and the milter client (where it connects).
#include "ascii.h"
#include "socket_spec.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace signet::milter_client {
namespace {

using ascii::isHostNameChar;
using ascii::isSpace;
using ascii::looksNumeric;
using ascii::toLower;
using ascii::trim;

constexpr int kMaxPort = 65535;

std::optional<int> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > kMaxPort)
    return std::nullopt;
  return value;
}

}  // namespace

std::string SocketSpec::text() const {
  switch (kind) {
    case Kind::local:
      return "unix:" + path;
    case Kind::inet:
    case Kind::inet6: {
      std::string out = (kind == Kind::inet ? "inet:" : "inet6:") + std::to_string(port);
      if (!host.empty()) out += "@" + host;
      return out;
    }
  }
  return {};
}

std::expected<SocketSpec, std::string> parseSocketSpec(std::string_view spec) {
  static const std::string kForms = "expected inet:PORT@HOST, inet6:PORT@HOST, local:/path or unix:/path";
  spec = trim(spec);
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) return std::unexpected(kForms);
  const std::string kind = toLower(spec.substr(0, colon));
  const std::string_view rest = spec.substr(colon + 1);
  SocketSpec out;

  if (kind == "local" || kind == "unix") {
    out.kind = SocketSpec::Kind::local;
    if (rest.empty() || rest.front() != '/')
      return std::unexpected("a local socket needs an absolute path, e.g. local:/run/signet/signet.sock");
    out.path = std::string(rest);
    return out;
  }
  if (kind != "inet" && kind != "inet6") return std::unexpected(kForms);
  out.kind = kind == "inet" ? SocketSpec::Kind::inet : SocketSpec::Kind::inet6;

  const auto at = rest.find('@');
  const auto port = parsePort(rest.substr(0, at));
  if (!port) return std::unexpected("expected a port number from 1 to 65535 after \"" + kind + ":\"");
  out.port = *port;
  if (at == std::string_view::npos) return out;

  std::string_view host = rest.substr(at + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return std::unexpected("expected a host name or address after '@'");
  const std::string host_string(host);
  unsigned char scratch[16];
  const bool v4 = inet_pton(AF_INET, host_string.c_str(), scratch) == 1;
  const bool v6 = inet_pton(AF_INET6, host_string.c_str(), scratch) == 1;
  if (v6 && out.kind == SocketSpec::Kind::inet)
    return std::unexpected("an IPv6 address needs inet6:PORT@ADDRESS");
  if (v4 && out.kind == SocketSpec::Kind::inet6)
    return std::unexpected("an IPv4 address needs inet:PORT@ADDRESS");
  if (!v4 && !v6 && (looksNumeric(host) || !std::all_of(host.begin(), host.end(), isHostNameChar)))
    return std::unexpected("expected a host name or an IP address after '@'");
  out.host = host_string;
  return out;
}

}  // namespace signet::milter_client
