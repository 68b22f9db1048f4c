// The tag=value list of DKIM-Signature headers and key records
// (RFC 6376 section 3.2), also used by DomainKeys (RFC 4870).
//
// Errors: a tag without "=", an invalid tag name, a duplicated tag, or more
// than the limit's tags or bytes. Values keep their inner folding white
// space; leading and trailing white space is removed. Each value remembers
// where it stood in the input, so a verifier can blank out b= in place.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/error.h"

namespace signet {

struct TagListLimits {
  std::size_t max_bytes = 65536;
  std::size_t max_tags = 64;
};

struct Tag {
  std::string name;
  std::string value;
  // The raw region of the value in the input: from just after "=" up to the
  // ";" or the end, white space included (what RFC 6376 section 3.7 blanks).
  std::size_t value_offset = 0;
  std::size_t value_length = 0;
};

class TagList {
 public:
  static std::expected<TagList, ParseError> parse(std::string_view text,
                                                  const TagListLimits& limits = {});

  const Tag* find(std::string_view name) const;
  std::optional<std::string_view> value(std::string_view name) const;
  const std::vector<Tag>& tags() const { return tags_; }

 private:
  std::vector<Tag> tags_;
};

// Removes all folding white space (SP, HTAB, CR, LF) from a tag value.
std::string stripWhitespace(std::string_view value);

// Splits a colon-separated value (h=, q=, s=, t=) into its elements, white
// space removed; empty elements are kept so callers can reject them.
std::vector<std::string> splitColonList(std::string_view value);

// The same elements lower-cased, empty ones dropped (key record h=, s=, t=).
std::vector<std::string> lowerColonList(std::string_view value);

}  // namespace signet
