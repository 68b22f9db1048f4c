// TXT rdata: one or more <character-string>s, each a length octet followed by
// that many octets (RFC 1035 sections 3.3 and 3.3.14). DKIM joins them with
// nothing in between (RFC 6376 section 3.6.2.2).
#include <string>

#include "signet/unbound_resolver.h"

namespace signet {

std::expected<std::string, ParseError> parseTxtRdata(std::span<const unsigned char> rdata,
                                                     std::size_t max_bytes) {
  if (rdata.empty()) return parseError("TXT rdata", "empty (no character-string)");
  std::string joined;
  std::size_t pos = 0;
  while (pos < rdata.size()) {
    const std::size_t length = rdata[pos];
    ++pos;
    if (length > rdata.size() - pos) return parseError("TXT rdata", "character-string runs past the end");
    if (length > max_bytes - joined.size())
      return parseError("TXT rdata", "record longer than " + std::to_string(max_bytes) + " bytes");
    joined.append(reinterpret_cast<const char*>(rdata.data() + pos), length);
    pos += length;
  }
  return joined;
}

}  // namespace signet
