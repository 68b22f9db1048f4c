// Header fields and the streaming split of a message into header fields and
// body (RFC 5322 section 2.2, section 3.5).
//
// MessageReader takes the message in chunks of any size. Bare LF line ends
// are turned into CRLF, so a message with LF or CRLF line ends is treated as
// the CRLF message that goes on the wire. Header fields are handed over whole
// (with their folding, without the final CRLF); the body is handed over in
// chunks, never held. Limits: header count and header block size; crossing
// one is a ParseError, never unbounded memory.
#pragma once

#include <cstddef>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "signet/error.h"

namespace signet {

struct HeaderField {
  std::string raw;  // "Name: value\r\n\tcontinued", without the final CRLF

  std::string_view name() const;   // up to the colon, trailing WSP removed
  std::string_view value() const;  // after the colon, as is
};

bool headerNameEquals(std::string_view a, std::string_view b);  // ASCII case-insensitive
std::string toLower(std::string_view text);

struct HeaderLimits {
  std::size_t max_fields = 1000;
  std::size_t max_bytes = 1024 * 1024;  // the whole header block
};

// Turns bare LF line ends into CRLF, keeping state across chunks.
class LineEndingNormalizer {
 public:
  // Appends the normalized form of `in` to `out`.
  void update(std::span<const char> in, std::string& out);

 private:
  bool last_was_cr_ = false;
};

class MessageReader {
 public:
  using HeaderHandler = std::function<void(HeaderField&&)>;
  using BodyHandler = std::function<void(std::span<const char>)>;
  using EndOfHeadersHandler = std::function<void()>;

  MessageReader(HeaderHandler on_header, EndOfHeadersHandler on_end_of_headers,
                BodyHandler on_body, HeaderLimits limits = {});

  std::expected<void, ParseError> update(std::span<const char> chunk);
  std::expected<void, ParseError> finish();

  bool sawLfLineEnds() const { return saw_bare_lf_; }
  bool inBody() const { return in_body_; }

 private:
  std::expected<void, ParseError> consumeHeaderBytes(std::string_view data);
  std::expected<void, ParseError> flushField();

  HeaderHandler on_header_;
  EndOfHeadersHandler on_end_of_headers_;
  BodyHandler on_body_;
  HeaderLimits limits_;
  LineEndingNormalizer normalizer_;
  std::string normalized_;
  std::string line_;     // current header line being assembled
  std::string field_;    // current header field (with continuations)
  std::size_t fields_ = 0;
  std::size_t header_bytes_ = 0;
  bool in_body_ = false;
  bool saw_bare_lf_ = false;
  bool prev_cr_ = false;
};

// Feeds a whole message held in memory to a sink with addHeader(),
// endOfHeaders() and addBody() (a signer or a verifier).
template <typename Sink>
std::expected<void, ParseError> feedMessage(Sink& sink, std::string_view message, HeaderLimits limits = {}) {
  MessageReader reader([&sink](HeaderField&& f) { sink.addHeader(std::move(f)); },
                       [&sink] { sink.endOfHeaders(); },
                       [&sink](std::span<const char> body) { sink.addBody(body); }, limits);
  if (auto r = reader.update(std::span<const char>(message.data(), message.size())); !r) return r;
  return reader.finish();
}

}  // namespace signet
