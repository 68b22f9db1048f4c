// DKIM canonicalization (RFC 6376 section 3.4): simple and relaxed, for
// header fields and for the body.
//
// Header fields are canonicalized one at a time by a free function. Body
// canonicalizers stream: update() takes the CRLF body in chunks of any size,
// finish() flushes; carry-over state (a pending CR, pending white space,
// pending empty lines) lives in the object, so splitting the body at any byte
// gives the same output. Output goes to a BodySink (normally a hash), with an
// optional cap on the bytes passed on (the l= tag, section 3.5). The
// canonicalizers never hold the body: output is buffered in a fixed-size
// buffer and flushed.
#pragma once

#include <cstdint>
#include <cstring>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "signet/error.h"

namespace signet {

enum class Canonicalization { simple, relaxed };

struct CanonicalizationPair {
  Canonicalization header = Canonicalization::relaxed;
  Canonicalization body = Canonicalization::relaxed;
};

std::string_view toString(Canonicalization c);
// Parses "relaxed/simple", "simple", ... (RFC 6376 section 3.5, c= tag).
std::expected<CanonicalizationPair, ParseError> parseCanonicalization(std::string_view text);
std::string toString(CanonicalizationPair c);

// Appends the canonical form of one header field, with its final CRLF, to out.
void appendCanonicalHeader(std::string& out, std::string_view raw_field, Canonicalization c);

class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void write(std::span<const char> bytes) = 0;
};

class BodyCanonicalizer {
 public:
  BodyCanonicalizer(BodySink& sink, std::optional<std::uint64_t> limit);
  virtual ~BodyCanonicalizer() = default;
  BodyCanonicalizer(const BodyCanonicalizer&) = delete;
  BodyCanonicalizer& operator=(const BodyCanonicalizer&) = delete;

  // Takes the next chunk of the body, CRLF line ends.
  virtual void update(std::span<const char> body) = 0;
  // Ends the body; no update() after this.
  virtual void finish() = 0;

  // Length of the whole canonical body, and how much of it reached the sink.
  std::uint64_t canonicalLength() const { return produced_; }
  std::uint64_t hashedLength() const { return hashed_; }

 protected:
  // Appends to the output buffer, passing it to the sink when full.
  void emit(const char* data, std::size_t size) {
    if (size > kBufferSize - used_) {
      emitLong(data, size);
      return;
    }
    std::memcpy(buffer_.get() + used_, data, size);
    used_ += size;
  }
  void emit(char c) {
    if (used_ == kBufferSize) flush();
    buffer_[used_++] = c;
  }
  void emitCrlf() {
    if (kBufferSize - used_ < 2) flush();
    buffer_[used_] = '\r';
    buffer_[used_ + 1] = '\n';
    used_ += 2;
  }
  void emitCrlfs(std::uint64_t count) {
    for (; count > 0; --count) emitCrlf();
  }
  // For writing in place: room for `size` (at most kMaxReserve) bytes at the
  // returned pointer; commit() then says how many were written.
  char* reserve(std::size_t size) {
    if (kBufferSize - used_ < size) flush();
    return buffer_.get() + used_;
  }
  void commit(std::size_t size) { used_ += size; }
  void flush();

  static constexpr std::size_t kMaxReserve = 4096;

 private:
  void emitLong(const char* data, std::size_t size);

  static constexpr std::size_t kBufferSize = 16 * 1024;
  BodySink& sink_;
  std::optional<std::uint64_t> limit_;
  std::unique_ptr<char[]> buffer_;
  std::size_t used_ = 0;
  std::uint64_t produced_ = 0;
  std::uint64_t hashed_ = 0;
};

// "simple": the body as is, with trailing empty lines removed and a final
// CRLF ensured; an empty body becomes one CRLF.
class SimpleBodyCanonicalizer final : public BodyCanonicalizer {
 public:
  using BodyCanonicalizer::BodyCanonicalizer;
  void update(std::span<const char> body) override;
  void finish() override;

 private:
  std::uint64_t held_crlfs_ = 0;
  bool held_cr_ = false;
  bool wrote_content_ = false;
};

// "relaxed": white space at line ends removed, runs of white space reduced to
// one SP, trailing empty lines removed; a non-empty body ends with CRLF.
class RelaxedBodyCanonicalizer final : public BodyCanonicalizer {
 public:
  using BodyCanonicalizer::BodyCanonicalizer;
  void update(std::span<const char> body) override;
  void finish() override;

 private:
  void flushHeld() {
    emitCrlfs(held_crlfs_);
    held_crlfs_ = 0;
    if (held_wsp_) emit(' ');
    held_wsp_ = false;
  }
  std::size_t copyContentRun(const char* p, std::size_t i, std::size_t n);

  std::uint64_t held_crlfs_ = 0;
  bool held_wsp_ = false;
  bool held_cr_ = false;
  bool wrote_content_ = false;
  bool line_closed_ = false;  // the output ends with a CRLF copied with its line
};

std::unique_ptr<BodyCanonicalizer> makeBodyCanonicalizer(Canonicalization c, BodySink& sink,
                                                         std::optional<std::uint64_t> limit);

}  // namespace signet
