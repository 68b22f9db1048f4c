// The first mailbox of an address header (From:, Sender:) as RFC 5322
// section 3.4 writes it: "Name <local@domain>", "local@domain (comment)",
// a group "Team: a@b, c@d;", quoted local-parts, obsolete routes
// ("<@relay:local@domain>") and white space around "@".
//
// DomainKeys takes its identity from this address (RFC 4870: Sender: when
// present, else From:); granularity (g=) is matched against the
// local-part and d= against the domain.
//
// Errors: no address at all, no "@", an empty local-part or domain, a domain
// literal ("[192.0.2.1]"), unterminated quotes, comments or angle brackets.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "signet/error.h"

namespace signet {

struct Mailbox {
  std::string local_part;  // as written, quotes included
  std::string domain;      // as written, without a final "."

  std::string address() const { return local_part + "@" + domain; }
};

// Parses the first mailbox in the value of an address header field.
std::expected<Mailbox, ParseError> parseFirstMailbox(std::string_view header_value);

// Whether `domain` is `parent` or a subdomain of it (ASCII case-insensitive).
bool domainWithin(std::string_view domain, std::string_view parent);

}  // namespace signet
