// A milter socket address as Postfix's smtpd_milters and opendkim.conf's
// Socket write it: "inet:PORT@HOST", "inet:PORT" (all interfaces; listening
// only), "inet6:PORT@HOST", "local:/path" or "unix:/path". HOST may be a
// name, an address, or an address in square brackets.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace signet::milter_client {

struct SocketSpec {
  enum class Kind { inet, inet6, local };
  Kind kind = Kind::inet;
  std::string host;  // empty: all interfaces; brackets removed
  int port = 0;
  std::string path;  // for local
  std::string text() const;  // back in the written form, for messages
};

// Parses one socket address; the error says which forms are accepted.
std::expected<SocketSpec, std::string> parseSocketSpec(std::string_view spec);

}  // namespace signet::milter_client
