// Test support for the body canonicalizers: a sink that keeps what it is
// given, helpers that run a canonicalizer over a body cut into given pieces,
// and a reference implementation of RFC 6376 sections 3.4.3 and 3.4.4 written
// the plain way (split into lines, edit each line, join), to compare the
// streaming canonicalizers against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/canonicalization.h"

namespace signet::coretest {

class StringSink final : public BodySink {
 public:
  void write(std::span<const char> bytes) override {
    text.append(bytes.data(), bytes.size());
    ++writes;
  }
  std::string text;
  std::size_t writes = 0;
};

struct CanonicalOutput {
  std::string bytes;            // what reached the sink
  std::uint64_t canonical = 0;  // canonicalLength()
  std::uint64_t hashed = 0;     // hashedLength()
};

// Feeds `body` cut at the given offsets (ascending, each within the body).
inline CanonicalOutput canonicalizeCut(Canonicalization c, std::string_view body,
                                       std::span<const std::size_t> cuts,
                                       std::optional<std::uint64_t> limit = std::nullopt) {
  StringSink sink;
  auto canon = makeBodyCanonicalizer(c, sink, limit);
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    canon->update(std::span<const char>(body.data() + from, cut - from));
    from = cut;
  }
  canon->update(std::span<const char>(body.data() + from, body.size() - from));
  canon->finish();
  return {sink.text, canon->canonicalLength(), canon->hashedLength()};
}

inline std::string canonicalizeWhole(Canonicalization c, std::string_view body) {
  return canonicalizeCut(c, body, {}).bytes;
}

inline std::string canonicalizeBytewise(Canonicalization c, std::string_view body) {
  StringSink sink;
  auto canon = makeBodyCanonicalizer(c, sink, std::nullopt);
  for (char ch : body) canon->update(std::span<const char>(&ch, 1));
  canon->finish();
  return sink.text;
}

// The body's lines, split at CRLF; a last line without CRLF is kept as one.
inline std::vector<std::string> splitLines(std::string_view body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t crlf = body.find("\r\n", pos);
    if (crlf == std::string_view::npos) {
      out.emplace_back(body.substr(pos));  // a last line without CRLF
      break;
    }
    out.emplace_back(body.substr(pos, crlf - pos));
    pos = crlf + 2;
  }
  return out;
}

// RFC 6376 section 3.4.3: drop empty lines at the end; the last line gets a
// CRLF; an empty body is one CRLF.
inline std::string referenceSimpleBody(std::string_view body) {
  std::vector<std::string> lines = splitLines(body);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  return out.empty() ? std::string("\r\n") : out;
}

// RFC 6376 section 3.4.4: runs of WSP become one SP, WSP at the end of a line
// goes, empty lines at the end go; a non-empty body ends with CRLF.
inline std::string referenceRelaxedBody(std::string_view body) {
  std::vector<std::string> lines;
  for (const auto& raw : splitLines(body)) {
    std::string line;
    bool in_wsp = false;
    for (char c : raw) {
      if (c == ' ' || c == '\t') {
        in_wsp = true;
        continue;
      }
      if (in_wsp) line += ' ';
      in_wsp = false;
      line += c;
    }
    lines.push_back(line);  // a WSP run at the end of the line is dropped
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  return out;
}

inline std::string referenceBody(Canonicalization c, std::string_view body) {
  return c == Canonicalization::simple ? referenceSimpleBody(body) : referenceRelaxedBody(body);
}

}  // namespace signet::coretest
