// The mailbox address in a From: or Sender: header field value
// (RFC 5322 section 3.4): "Name <local@domain>", "local@domain (comment)",
// "\"quoted, name\" <local@domain>", groups. Returns the first mailbox's
// addr-spec as "local@domain", the domain lower-cased. Errors: no address,
// an address without "@", a field longer than the limit.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "signet/error.h"

namespace signet {

struct Mailbox {
  std::string local_part;
  std::string domain;  // lower-cased
  std::string address() const { return local_part + "@" + domain; }
};

std::expected<Mailbox, ParseError> parseMailbox(std::string_view header_value, std::size_t max_bytes = 16384);

}  // namespace signet
