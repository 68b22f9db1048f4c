// Pieces shared by the DKIM signer and the ARC sealer (RFC 6376 section 5;
// RFC 8617 section 5.1): writing a tag list folded near 76 columns, choosing
// the h= list, and appending b= once the signature is known. Internal to the
// engine.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/header.h"

namespace signet {

inline constexpr std::size_t kLineWidth = 76;

// Appends "tag=value;" to a folded header, breaking the line first when it
// would grow past the width.
class FoldedTags {
 public:
  explicit FoldedTags(std::string start) : text_(std::move(start)), line_length_(text_.size()) {}

  void add(std::string_view tag, std::string_view value, bool last = false) {
    const std::size_t size = tag.size() + 1 + value.size() + (last ? 0 : 1);
    if (line_length_ + 1 + size > kLineWidth)
      newLine();
    else {
      text_ += ' ';
      ++line_length_;
    }
    text_.append(tag).append("=").append(value);
    if (!last) text_ += ';';
    line_length_ += size;
  }

  // A colon list (h=) broken at colons when long.
  void addList(std::string_view tag, const std::vector<std::string>& items) {
    newLine();
    text_.append(tag).append("=");
    line_length_ += tag.size() + 1;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string piece = items[i] + (i + 1 < items.size() ? ":" : ";");
      if (line_length_ + piece.size() > kLineWidth) newLine();
      text_ += piece;
      line_length_ += piece.size();
    }
  }

  // A base64 value on lines of its own.
  void addBase64(std::string_view tag, std::string_view value, bool last) {
    newLine();
    text_.append(tag).append("=");
    line_length_ += tag.size() + 1;
    for (std::size_t i = 0; i < value.size();) {
      if (line_length_ >= kLineWidth) newLine();
      const std::size_t take = std::min(value.size() - i, kLineWidth - line_length_);
      text_.append(value.substr(i, take));
      line_length_ += take;
      i += take;
    }
    if (!last) text_ += ';';
  }

  void newLine() {
    text_ += "\r\n\t";
    line_length_ = 1;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t line_length_;
};

// The h= list. Named headers go in literally, in the order given; otherwise
// each instance present of `default_names`. From is always signed; each of
// `oversign` present gets one entry more than it has instances.
std::vector<std::string> headerNamesToSign(std::span<const std::string> named,
                                           std::span<const std::string_view> default_names,
                                           std::span<const std::string> oversign,
                                           std::span<const HeaderField> headers);

// `unsigned_field`, which ends in "b=", with `base64` appended, folded.
std::string withSignatureValue(std::string_view unsigned_field, std::string_view base64);

// A field built with CRLF folding, with `line_end` in their place.
std::string withLineEnds(std::string_view field, std::string_view line_end);

}  // namespace signet
