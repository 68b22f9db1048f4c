#include "signet/canonicalization.h"

#include <algorithm>
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
  // relaxed (RFC 6376 section 3.4.2). The result is never longer than the
  // field plus ":\r\n"; runs of ordinary characters are copied whole.
  out.reserve(out.size() + raw.size() + 3);
  const std::size_t colon = raw.find(':');
  std::string_view name = raw.substr(0, colon);
  while (!name.empty() && isWsp(name.back())) name.remove_suffix(1);
  const std::size_t name_at = out.size();
  out.append(name);
  std::transform(out.begin() + static_cast<std::ptrdiff_t>(name_at), out.end(),
                 out.begin() + static_cast<std::ptrdiff_t>(name_at), lowerAscii);
  out.push_back(':');
  if (colon == std::string_view::npos) {
    out.append("\r\n");
    return;
  }
  auto ordinary = [](char ch) { return ch != '\r' && ch != '\n' && !isWsp(ch); };
  bool pending_space = false;
  bool started = false;
  for (std::size_t i = colon + 1; i < raw.size();) {
    const char ch = raw[i];
    if (!ordinary(ch)) {
      if (isWsp(ch)) pending_space = true;  // CR and LF just unfold
      ++i;
      continue;
    }
    if (pending_space && started) out.push_back(' ');
    pending_space = false;
    started = true;
    std::size_t end = i + 1;
    while (end < raw.size() && ordinary(raw[end])) ++end;
    out.append(raw.substr(i, end - i));
    i = end;
  }
  out.append("\r\n");
}

BodyCanonicalizer::BodyCanonicalizer(BodySink& sink, std::optional<std::uint64_t> limit)
    : sink_(sink), limit_(limit), buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

void BodyCanonicalizer::emitLong(const char* data, std::size_t size) {
  while (size > 0) {
    if (used_ == kBufferSize) flush();
    const std::size_t take = std::min(size, kBufferSize - used_);
    std::memcpy(buffer_.get() + used_, data, take);
    used_ += take;
    data += take;
    size -= take;
  }
}

void BodyCanonicalizer::flush() {
  if (used_ == 0) return;
  std::size_t take = used_;
  if (limit_) {
    const std::uint64_t room = *limit_ > hashed_ ? *limit_ - hashed_ : 0;
    if (room < take) take = static_cast<std::size_t>(room);
  }
  if (take > 0) sink_.write(std::span<const char>(buffer_.get(), take));
  hashed_ += take;
  produced_ += used_;
  used_ = 0;
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
//
// Most of a body is runs that relaxed canonicalization leaves as they are,
// but for HTAB becoming SP: words with single white space between them, and
// CRLF line ends. Those are copied straight into the output buffer, many
// bytes at a time; the byte-wise path in update() handles only what ends a
// run: white space followed by white space or CR, a CR not followed by LF, a
// CRLF followed by CR (an empty line, which may be trailing).

namespace {

bool isWspOrCr(char c) { return c == ' ' || c == '\t' || c == '\r'; }

#if defined(__SSE2__)
// Copies from in[k] to out[k], HTAB as SP, 16 bytes at a time, until a run
// end or until fewer than 18 bytes are left; returns where it got to.
std::size_t copyRunSse2(const char* in, std::size_t k, std::size_t size, char* out, bool& stopped) {
  const __m128i sp = _mm_set1_epi8(' ');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i tab_to_sp = _mm_set1_epi8('\t' ^ ' ');
  for (; k + 18 <= size; k += 16) {
    const __m128i cur = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + k));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + k + 1));
    const __m128i after_next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + k + 2));
    const __m128i cur_tab = _mm_cmpeq_epi8(cur, tab);
    const __m128i cur_wsp = _mm_or_si128(_mm_cmpeq_epi8(cur, sp), cur_tab);
    const __m128i next_wsp_cr = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(next, sp), _mm_cmpeq_epi8(next, tab)),
                                             _mm_cmpeq_epi8(next, cr));
    const __m128i crlf_then_text = _mm_andnot_si128(_mm_cmpeq_epi8(after_next, cr), _mm_cmpeq_epi8(next, lf));
    const __m128i stop = _mm_or_si128(_mm_and_si128(cur_wsp, next_wsp_cr),
                                      _mm_andnot_si128(crlf_then_text, _mm_cmpeq_epi8(cur, cr)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm_xor_si128(cur, _mm_and_si128(cur_tab, tab_to_sp)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (mask != 0) {
      stopped = true;
      return k + static_cast<std::size_t>(__builtin_ctz(mask));
    }
  }
  return k;
}
#endif

}  // namespace

// From p[i], a byte that is neither white space nor CR, copies the run that
// stays as it is (HTAB as SP) to the output; returns where it ends (or after
// kMaxReserve bytes). What follows the last byte of the chunk is not known
// yet, so that byte is left to the byte-wise path unless it is p[i].
std::size_t RelaxedBodyCanonicalizer::copyContentRun(const char* p, std::size_t i, std::size_t n) {
  const char* in = p + i;
  const std::size_t size = std::min(n - i, kMaxReserve);
  char* out = reserve(size);
  bool stopped = false;
  std::size_t k = 0;
#if defined(__SSE2__)
  k = copyRunSse2(in, k, size, out, stopped);
#endif
  for (; !stopped && k + 1 < size; ++k) {  // the last bytes, one at a time
    const char c = in[k];
    const bool run_end = c == '\r' ? !(i + k + 2 < n && in[k + 1] == '\n' && in[k + 2] != '\r')
                                   : isWsp(c) && isWspOrCr(in[k + 1]);
    if (run_end) break;
    out[k] = c == '\t' ? ' ' : c;
  }
  if (k == 0) out[k++] = in[0];
  // A run never ends between the CR and the LF of a line end: the byte-wise
  // path takes the pair whole.
  if (k >= 2 && in[k - 1] == '\r') --k;
  commit(k);
  line_closed_ = k >= 2 && in[k - 1] == '\n' && in[k - 2] == '\r';
  return i + k;
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
      line_closed_ = false;
    }
    if (c == '\r') {
      if (i + 1 < n && p[i + 1] == '\n') {  // a line end that ended a run
        held_wsp_ = false;
        ++held_crlfs_;
        i += 2;
        continue;
      }
      held_cr_ = true;
      ++i;
      continue;
    }
    if (isWsp(c)) {
      held_wsp_ = true;
      do ++i;
      while (i < n && isWsp(p[i]));
      continue;
    }
    flushHeld();
    wrote_content_ = true;
    i = copyContentRun(p, i, n);
  }
}

void RelaxedBodyCanonicalizer::finish() {
  if (held_cr_) {
    flushHeld();
    emit('\r');
    wrote_content_ = true;
    line_closed_ = false;
    held_cr_ = false;
  }
  // White space after the last line is dropped as line-end white space.
  if (wrote_content_ && !line_closed_) emit("\r\n", 2);
  flush();
}

std::unique_ptr<BodyCanonicalizer> makeBodyCanonicalizer(Canonicalization c, BodySink& sink,
                                                         std::optional<std::uint64_t> limit) {
  if (c == Canonicalization::simple) return std::make_unique<SimpleBodyCanonicalizer>(sink, limit);
  return std::make_unique<RelaxedBodyCanonicalizer>(sink, limit);
}

}  // namespace signet
