#include "signet/header.h"

#include <cstring>

namespace signet {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view HeaderField::name() const {
  std::string_view all(raw);
  const std::size_t colon = all.find(':');
  std::string_view name = all.substr(0, colon == std::string_view::npos ? all.size() : colon);
  while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
  return name;
}

std::string_view HeaderField::value() const {
  std::string_view all(raw);
  const std::size_t colon = all.find(':');
  return colon == std::string_view::npos ? std::string_view() : all.substr(colon + 1);
}

bool headerNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  return true;
}

std::string toLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lowerAscii(c);
  return out;
}

void LineEndingNormalizer::update(std::span<const char> in, std::string& out) {
  const char* p = in.data();
  const char* end = p + in.size();
  while (p < end) {
    const void* found = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* lf = found ? static_cast<const char*>(found) : end;
    if (lf > p) {
      out.append(p, static_cast<std::size_t>(lf - p));
      last_was_cr_ = lf[-1] == '\r';
    }
    if (lf == end) break;
    if (!last_was_cr_) out.push_back('\r');
    out.push_back('\n');
    last_was_cr_ = false;
    p = lf + 1;
  }
}

MessageReader::MessageReader(HeaderHandler on_header, EndOfHeadersHandler on_end_of_headers,
                             BodyHandler on_body, HeaderLimits limits)
    : on_header_(std::move(on_header)),
      on_end_of_headers_(std::move(on_end_of_headers)),
      on_body_(std::move(on_body)),
      limits_(limits) {}

std::expected<void, ParseError> MessageReader::update(std::span<const char> chunk) {
  if (!saw_bare_lf_) {
    // Note whether the input uses bare LF line ends, so output can follow it.
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == '\n' && !(i == 0 ? prev_cr_ : chunk[i - 1] == '\r')) {
        saw_bare_lf_ = true;
        break;
      }
    }
    if (!chunk.empty()) prev_cr_ = chunk.back() == '\r';
  }
  normalized_.clear();
  normalizer_.update(chunk, normalized_);
  std::string_view data(normalized_);
  if (in_body_) {
    if (!data.empty()) on_body_(std::span<const char>(data.data(), data.size()));
    return {};
  }
  return consumeHeaderBytes(data);
}

std::expected<void, ParseError> MessageReader::consumeHeaderBytes(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size()) {
    const char c = data[i++];
    line_.push_back(c);
    if (++header_bytes_ > limits_.max_bytes)
      return parseError("header", "header block larger than the limit of " + std::to_string(limits_.max_bytes) + " bytes");
    if (c != '\n' || line_.size() < 2 || line_[line_.size() - 2] != '\r') continue;
    // A complete line, CRLF included.
    if (line_.size() == 2) {  // the empty line ending the header block
      line_.clear();
      if (auto r = flushField(); !r) return r;
      in_body_ = true;
      on_end_of_headers_();
      if (i < data.size()) on_body_(std::span<const char>(data.data() + i, data.size() - i));
      return {};
    }
    if (isWsp(line_[0])) {
      if (field_.empty()) return parseError("header", "continuation line before the first field");
      field_.append("\r\n");
      field_.append(line_, 0, line_.size() - 2);
    } else {
      if (auto r = flushField(); !r) return r;
      if (line_.find(':') == std::string::npos)
        return parseError("header " + std::to_string(fields_ + 1), "line without a colon");
      if (line_[0] == ':') return parseError("header " + std::to_string(fields_ + 1), "empty field name");
      field_.assign(line_, 0, line_.size() - 2);
    }
    line_.clear();
  }
  return {};
}

std::expected<void, ParseError> MessageReader::flushField() {
  if (field_.empty()) return {};
  if (++fields_ > limits_.max_fields)
    return parseError("header", "more fields than the limit of " + std::to_string(limits_.max_fields));
  on_header_(HeaderField{std::move(field_)});
  field_.clear();
  return {};
}

std::expected<void, ParseError> MessageReader::finish() {
  if (in_body_) return {};
  // A message that ends inside its header block: no body.
  if (!line_.empty()) {
    std::string rest = std::move(line_);
    line_.clear();
    if (!rest.empty() && rest.back() == '\r') rest.pop_back();
    if (!rest.empty() && isWsp(rest[0])) {
      if (field_.empty()) return parseError("header", "continuation line before the first field");
      field_.append("\r\n");
      field_.append(rest);
    } else if (!rest.empty()) {
      if (auto r = flushField(); !r) return r;
      if (rest.find(':') == std::string::npos)
        return parseError("header " + std::to_string(fields_ + 1), "line without a colon");
      // The same rule as for a terminated line (update()): a field needs a name.
      if (rest[0] == ':') return parseError("header " + std::to_string(fields_ + 1), "empty field name");
      field_ = std::move(rest);
    }
  }
  if (auto r = flushField(); !r) return r;
  in_body_ = true;
  on_end_of_headers_();
  return {};
}

}  // namespace signet
