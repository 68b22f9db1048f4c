// Base64 (RFC 4648 section 4) as DKIM uses it: b=, bh= and p= values
// (RFC 6376 section 2.6). Decoding skips folding white space, which may appear
// anywhere inside those tag values; any other non-alphabet byte is an error.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "signet/error.h"

namespace signet {

std::string encodeBase64(std::string_view bytes);
std::expected<std::string, ParseError> parseBase64(std::string_view text);

}  // namespace signet
