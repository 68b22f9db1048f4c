#include "signet/canonicalization.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace signet {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }
char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view toString(Canonicalization c) {
  return c == Canonicalization::simple ? "simple" : "relaxed";
}

std::string toString(CanonicalizationPair c) {
  return std::string(toString(c.header)) + "/" + std::string(toString(c.body));
}

std::expected<CanonicalizationPair, ParseError> parseCanonicalization(std::string_view text) {
  auto one = [](std::string_view word) -> std::expected<Canonicalization, ParseError> {
    if (word == "simple") return Canonicalization::simple;
    if (word == "relaxed") return Canonicalization::relaxed;
    return parseError("canonicalization", "unknown algorithm");
  };
  const std::size_t slash = text.find('/');
  auto header = one(text.substr(0, slash));
  if (!header) return std::unexpected(header.error());
  if (slash == std::string_view::npos)
    return CanonicalizationPair{*header, Canonicalization::simple};
  auto body = one(text.substr(slash + 1));
  if (!body) return std::unexpected(body.error());
  return CanonicalizationPair{*header, *body};
}

void appendCanonicalHeader(std::string& out, std::string_view raw, Canonicalization c) {
  if (c == Canonicalization::simple) {
    out.append(raw);
    out.append("\r\n");
    return;
  }
  // relaxed (RFC 6376 section 3.4.2)
  const std::size_t colon = raw.find(':');
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
  for (char ch : name) out.push_back(lowerAscii(ch));
  out.push_back(':');
  if (colon == std::string_view::npos) {
    out.append("\r\n");
    return;
  }
  bool pending_space = false;
  bool started = false;
  for (std::size_t i = colon + 1; i < raw.size(); ++i) {
    const char ch = raw[i];
    if (ch == '\r' || ch == '\n') continue;  // unfold
    if (isWsp(ch)) {
      pending_space = true;
      continue;
    }
    if (pending_space && started) out.push_back(' ');
    pending_space = false;
    started = true;
    out.push_back(ch);
  }
  out.append("\r\n");
}

BodyCanonicalizer::BodyCanonicalizer(BodySink& sink, std::optional<std::uint64_t> limit)
    : sink_(sink), limit_(limit) {
  buffer_.reserve(kFlushThreshold + 1024);
}

void BodyCanonicalizer::emitCrlfs(std::uint64_t count) {
  for (; count > 0; --count) emit("\r\n", 2);
}

void BodyCanonicalizer::flush() {
  if (buffer_.empty()) return;
  std::size_t take = buffer_.size();
  if (limit_) {
    const std::uint64_t room = *limit_ > hashed_ ? *limit_ - hashed_ : 0;
    if (room < take) take = static_cast<std::size_t>(room);
  }
  if (take > 0) sink_.write(std::span<const char>(buffer_.data(), take));
  hashed_ += take;
  produced_ += buffer_.size();
  buffer_.clear();
}

// --- simple (RFC 6376 section 3.4.3) ---

void SimpleBodyCanonicalizer::update(std::span<const char> body) {
  const char* p = body.data();
  const std::size_t n = body.size();
  std::size_t i = 0;
  while (i < n) {
    if (held_cr_) {
      held_cr_ = false;
      if (p[i] == '\n') {
        ++held_crlfs_;
        ++i;
        continue;
      }
      emitCrlfs(held_crlfs_);
      held_crlfs_ = 0;
      emit('\r');
      wrote_content_ = true;
    }
    const void* found = std::memchr(p + i, '\r', n - i);
    const std::size_t end = found ? static_cast<std::size_t>(static_cast<const char*>(found) - p) : n;
    if (end > i) {
      emitCrlfs(held_crlfs_);
      held_crlfs_ = 0;
      emit(p + i, end - i);
      wrote_content_ = true;
    }
    if (!found) break;
    held_cr_ = true;
    i = end + 1;
  }
}

void SimpleBodyCanonicalizer::finish() {
  if (held_cr_) {  // a lone CR at the very end is content
    emitCrlfs(held_crlfs_);
    held_crlfs_ = 0;
    emit('\r');
    wrote_content_ = true;
    held_cr_ = false;
  }
  // Trailing empty lines are dropped; the last line gets its CRLF; an empty
  // body is one CRLF.
  emit("\r\n", 2);
  flush();
}

// --- relaxed (RFC 6376 section 3.4.4) ---

void RelaxedBodyCanonicalizer::flushHeld() {
  if (held_crlfs_ > 0) {
    emitCrlfs(held_crlfs_);
    held_crlfs_ = 0;
  }
  if (held_wsp_) {
    emit(' ');
    held_wsp_ = false;
  }
}

// From p[i], a byte that is neither white space nor CR, finds where the run
// that can be copied unchanged ends: at a HTAB, a CR, or a SP followed by SP,
// HTAB or CR. The last byte of the chunk is left to the byte-wise path, since
// what follows it is not known yet.
std::size_t RelaxedBodyCanonicalizer::contentRunEnd(const char* p, std::size_t i,
                                                    std::size_t n) const {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i cr = _mm_set1_epi8('\r');
  while (i + 17 <= n) {
    const __m128i cur = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
    const __m128i cur_tab_cr = _mm_or_si128(_mm_cmpeq_epi8(cur, tab), _mm_cmpeq_epi8(cur, cr));
    const __m128i next_ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(next, sp), _mm_cmpeq_epi8(next, tab)),
                                         _mm_cmpeq_epi8(next, cr));
    const __m128i stop = _mm_or_si128(cur_tab_cr, _mm_and_si128(_mm_cmpeq_epi8(cur, sp), next_ws));
    const int mask = _mm_movemask_epi8(stop);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  while (i + 1 < n) {
    const char c = p[i];
    if (c == '\t' || c == '\r') return i;
    if (c == ' ' && (p[i + 1] == ' ' || p[i + 1] == '\t' || p[i + 1] == '\r')) return i;
    ++i;
  }
  return i;
}

void RelaxedBodyCanonicalizer::update(std::span<const char> body) {
  const char* p = body.data();
  const std::size_t n = body.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = p[i];
    if (held_cr_) {
      held_cr_ = false;
      if (c == '\n') {
        held_wsp_ = false;  // white space at the end of a line goes
        ++held_crlfs_;
        ++i;
        continue;
      }
      flushHeld();  // a CR not followed by LF is content
      emit('\r');
      wrote_content_ = true;
    }
    if (c == '\r') {
      held_cr_ = true;
      ++i;
      continue;
    }
    if (isWsp(c)) {
      held_wsp_ = true;
      ++i;
      continue;
    }
    flushHeld();
    wrote_content_ = true;
    const std::size_t end = contentRunEnd(p, i, n);
    if (end == i) {
      emit(c);
      ++i;
      continue;
    }
    emit(p + i, end - i);
    i = end;
  }
}

void RelaxedBodyCanonicalizer::finish() {
  if (held_cr_) {
    flushHeld();
    emit('\r');
    wrote_content_ = true;
    held_cr_ = false;
  }
  // White space after the last line is dropped as line-end white space.
  if (wrote_content_) emit("\r\n", 2);
  flush();
}

std::unique_ptr<BodyCanonicalizer> makeBodyCanonicalizer(Canonicalization c, BodySink& sink,
                                                         std::optional<std::uint64_t> limit) {
  if (c == Canonicalization::simple) return std::make_unique<SimpleBodyCanonicalizer>(sink, limit);
  return std::make_unique<RelaxedBodyCanonicalizer>(sink, limit);
}

}  // namespace signet
