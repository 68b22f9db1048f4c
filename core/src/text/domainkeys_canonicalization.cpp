#include "signet/domainkeys_canonicalization.h"

#include <cstring>

#include "signet/header.h"

namespace signet {
namespace {

bool isFoldingWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string_view toString(DomainKeysCanonicalization c) {
  return c == DomainKeysCanonicalization::simple ? "simple" : "nofws";
}

std::expected<DomainKeysCanonicalization, ParseError> parseDomainKeysCanonicalization(std::string_view text) {
  const std::string word = toLower(text);
  if (word == "simple") return DomainKeysCanonicalization::simple;
  if (word == "nofws") return DomainKeysCanonicalization::nofws;
  return parseError("canonicalization", "unknown DomainKeys algorithm (simple or nofws)");
}

void appendDomainKeysHeader(std::string& out, std::string_view raw, DomainKeysCanonicalization c) {
  if (c == DomainKeysCanonicalization::simple) {
    out.append(raw);
  } else {
    for (char ch : raw)
      if (!isFoldingWhitespace(ch)) out.push_back(ch);
  }
  out.append("\r\n");
}

// --- simple (RFC 4870 section 3.4.2.1) ---

void DomainKeysSimpleBodyCanonicalizer::content(const char* data, std::size_t size) {
  if (held_empty_lines_ > 0) {
    emitCrlfs(held_empty_lines_);
    held_empty_lines_ = 0;
  }
  emit(data, size);
  line_has_content_ = true;
}

void DomainKeysSimpleBodyCanonicalizer::update(std::span<const char> body) {
  const char* p = body.data();
  const std::size_t n = body.size();
  std::size_t i = 0;
  while (i < n) {
    if (held_cr_) {
      held_cr_ = false;
      if (p[i] == '\n') {
        // A line ends: one with content is passed on at once, an empty one
        // is held until content shows it was not trailing.
        if (line_has_content_) {
          emit("\r\n", 2);
          line_has_content_ = false;
        } else {
          ++held_empty_lines_;
        }
        ++i;
        continue;
      }
      content("\r", 1);  // a CR not followed by LF is content
    }
    const void* found = std::memchr(p + i, '\r', n - i);
    const std::size_t end = found ? static_cast<std::size_t>(static_cast<const char*>(found) - p) : n;
    if (end > i) content(p + i, end - i);
    if (!found) break;
    held_cr_ = true;
    i = end + 1;
  }
}

void DomainKeysSimpleBodyCanonicalizer::finish() {
  if (held_cr_) {
    content("\r", 1);
    held_cr_ = false;
  }
  held_empty_lines_ = 0;  // trailing empty lines, or the separator of an empty body
  flush();
}

// --- nofws (RFC 4870 section 3.4.2.2) ---

void NofwsBodyCanonicalizer::content(const char* data, std::size_t size) {
  if (held_empty_lines_ > 0) {
    emitCrlfs(held_empty_lines_);
    held_empty_lines_ = 0;
  }
  emit(data, size);
  line_has_content_ = true;
}

void NofwsBodyCanonicalizer::endOfLine() {
  if (line_has_content_) {
    emit("\r\n", 2);
    line_has_content_ = false;
  } else {
    ++held_empty_lines_;
  }
}

void NofwsBodyCanonicalizer::update(std::span<const char> body) {
  const char* p = body.data();
  const std::size_t n = body.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = p[i];
    if (c == ' ' || c == '\t') {  // removed first, so "CR SP LF" is a line end
      ++i;
      continue;
    }
    if (held_cr_) {
      held_cr_ = false;
      if (c == '\n') {
        endOfLine();
        ++i;
        continue;
      }
      // The held CR was not followed by LF: it is dropped; c is looked at below.
    }
    if (c == '\r') {
      held_cr_ = true;
      ++i;
      continue;
    }
    if (c == '\n') {  // an LF not preceded by CR is dropped
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < n && !isFoldingWhitespace(p[end])) ++end;
    content(p + i, end - i);
    i = end;
  }
}

void NofwsBodyCanonicalizer::finish() {
  held_cr_ = false;       // a lone CR at the very end is dropped
  held_empty_lines_ = 0;  // trailing empty lines, or the separator of an empty body
  flush();
}

std::unique_ptr<BodyCanonicalizer> makeDomainKeysBodyCanonicalizer(DomainKeysCanonicalization c, BodySink& sink) {
  if (c == DomainKeysCanonicalization::simple) return std::make_unique<DomainKeysSimpleBodyCanonicalizer>(sink);
  return std::make_unique<NofwsBodyCanonicalizer>(sink);
}

}  // namespace signet
