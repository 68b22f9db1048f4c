// DomainKeys canonicalization (RFC 4870 section 3.4.2.1 "simple" and 3.4.2.2
// "nofws"), header fields and body:
//  - EXACT OUTPUTS for the cases the RFC and Mail::DKIM spell out: the
//    header/body separator hashed as the first body line, empty and all-blank
//    bodies hashing nothing, trailing empty lines dropped, nofws removing SP,
//    HTAB, lone CR and lone LF (white space first, so CR SP LF ends a line);
//  - SPLIT-ANYWHERE: every body of up to six bytes over {a, SP, HTAB, CR, LF},
//    and seeded random bodies of line-ending fragments, fed whole, byte by
//    byte and cut in two at every position, give the bytes of a plain
//    whole-buffer reference written from the RFC's wording;
//  - IDEMPOTENCE: canonicalizing a canonical form again changes nothing.
#include <gtest/gtest.h>

#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/domainkeys_canonicalization.h"

namespace signet {
namespace {

using DK = DomainKeysCanonicalization;

class StringSink final : public BodySink {
 public:
  void write(std::span<const char> bytes) override { text.append(bytes.data(), bytes.size()); }
  std::string text;
};

// The body fed in pieces cut at `cuts` (ascending offsets).
std::string canonicalize(DK c, std::string_view body, std::span<const std::size_t> cuts = {}) {
  StringSink sink;
  auto canon = makeDomainKeysBodyCanonicalizer(c, sink);
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    canon->update(std::span<const char>(body.data() + from, cut - from));
    from = cut;
  }
  canon->update(std::span<const char>(body.data() + from, body.size() - from));
  canon->finish();
  return sink.text;
}

std::string canonicalizeBytewise(DK c, std::string_view body) {
  StringSink sink;
  auto canon = makeDomainKeysBodyCanonicalizer(c, sink);
  for (char ch : body) canon->update(std::span<const char>(&ch, 1));
  canon->finish();
  return sink.text;
}

// --- the reference: whole buffer, the RFC's steps one after the other ---

std::string removeLoneCrLf(std::string_view in) {
  std::string no_cr;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (in[i] != '\r' || (i + 1 < in.size() && in[i + 1] == '\n')) no_cr.push_back(in[i]);
  std::string out;
  for (std::size_t i = 0; i < no_cr.size(); ++i)
    if (no_cr[i] != '\n' || (i > 0 && no_cr[i - 1] == '\r')) out.push_back(no_cr[i]);
  return out;
}

std::string reference(DK c, std::string_view body) {
  std::string text(body);
  if (c == DK::nofws) {
    std::string no_wsp;
    for (char ch : text)
      if (ch != ' ' && ch != '\t') no_wsp.push_back(ch);
    text = removeLoneCrLf(no_wsp);
  }
  // The separator is an empty first line; split the rest at CRLF.
  std::vector<std::string> lines{""};
  std::size_t pos = 0;
  std::string tail;
  for (;;) {
    const std::size_t crlf = text.find("\r\n", pos);
    if (crlf == std::string::npos) {
      tail = text.substr(pos);
      break;
    }
    lines.push_back(text.substr(pos, crlf - pos));
    pos = crlf + 2;
  }
  if (tail.empty())
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  return out + tail;
}

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

// --- exact outputs ---

struct BodyCase {
  const char* name;
  std::string_view body;
  std::string_view expected;
};

TEST(DomainKeysBodyRfc4870, SimpleExactOutputs) {
  const BodyCase cases[] = {
      {"empty body hashes nothing", "", ""},
      {"only empty lines hash nothing", "\r\n\r\n\r\n", ""},
      {"separator then the line", "a\r\n", "\r\na\r\n"},
      {"no CRLF added to a last line", "a", "\r\na"},
      {"white space is content", " \r\n", "\r\n \r\n"},
      {"trailing empty lines dropped", "a b\t\r\n\r\n\r\n", "\r\na b\t\r\n"},
      {"leading empty lines kept", "\r\n\r\nfoo\r\n\r\n", "\r\n\r\n\r\nfoo\r\n"},
      {"lone CR is content", "a\rb\r\n", "\r\na\rb\r\n"},
      {"lone CR at the end is content", "a\r", "\r\na\r"},
      {"lone LF is content", "a\nb", "\r\na\nb"},
      {"inner empty lines kept", "a\r\n\r\nb\r\n", "\r\na\r\n\r\nb\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(escape(canonicalize(DK::simple, c.body)), escape(c.expected)) << c.name;
    EXPECT_EQ(escape(reference(DK::simple, c.body)), escape(c.expected)) << "reference: " << c.name;
  }
}

TEST(DomainKeysBodyRfc4870, NofwsExactOutputs) {
  const BodyCase cases[] = {
      {"empty body hashes nothing", "", ""},
      {"only empty lines hash nothing", "\r\n\r\n", ""},
      {"white-space lines are empty lines", " \r\n\t\r\n  \t \r\n", ""},
      {"separator then the line", "a\r\n", "\r\na\r\n"},
      {"no CRLF added to a last line", "a", "\r\na"},
      {"SP and HTAB removed", "a b\tc \r\n", "\r\nabc\r\n"},
      {"blank lines before content kept", "  \r\n\t\r\nx\r\n", "\r\n\r\n\r\nx\r\n"},
      {"trailing blank lines dropped", "x\r\n \r\n\t\r\n\r\n", "\r\nx\r\n"},
      {"lone CR removed", "a\rb\r\n", "\r\nab\r\n"},
      {"lone LF removed", "a\nb\r\n", "\r\nab\r\n"},
      {"CR SP LF ends a line", "a\r \nb\r\n", "\r\na\r\nb\r\n"},
      {"CR CR LF ends one line", "a\r\r\n", "\r\na\r\n"},
      {"leading empty lines kept", "\r\n\r\nfoo\r\n\r\n", "\r\n\r\n\r\nfoo\r\n"},
      {"lone CR at the end dropped", "a\r", "\r\na"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(escape(canonicalize(DK::nofws, c.body)), escape(c.expected)) << c.name;
    EXPECT_EQ(escape(reference(DK::nofws, c.body)), escape(c.expected)) << "reference: " << c.name;
  }
}

TEST(DomainKeysHeaderRfc4870, ExactOutputs) {
  struct HeaderCase {
    DK c;
    std::string_view raw;
    std::string_view expected;
  };
  const HeaderCase cases[] = {
      {DK::simple, "Subject:  a\r\n\tb ", "Subject:  a\r\n\tb \r\n"},
      {DK::simple, "FROM :x", "FROM :x\r\n"},
      {DK::nofws, "Subject :  a\r\n\tb c ", "Subject:abc\r\n"},
      {DK::nofws, "SUBJECT: X", "SUBJECT:X\r\n"},
      {DK::nofws, "To: a@b,\r\n  c@d", "To:a@b,c@d\r\n"},
      {DK::nofws, "X-Empty:", "X-Empty:\r\n"},
  };
  for (const auto& c : cases) {
    std::string out;
    appendDomainKeysHeader(out, c.raw, c.c);
    EXPECT_EQ(escape(out), escape(c.expected)) << toString(c.c) << ": " << escape(c.raw);
  }
}

TEST(DomainKeysCanonicalizationNames, ParseAndPrint) {
  EXPECT_EQ(parseDomainKeysCanonicalization("simple"), DK::simple);
  EXPECT_EQ(parseDomainKeysCanonicalization("NoFWS"), DK::nofws);
  EXPECT_FALSE(parseDomainKeysCanonicalization("relaxed"));
  EXPECT_FALSE(parseDomainKeysCanonicalization(""));
  EXPECT_EQ(toString(DK::simple), "simple");
  EXPECT_EQ(toString(DK::nofws), "nofws");
}

// --- split anywhere ---

// Every string of up to `length` bytes over the alphabet.
std::vector<std::string> allBodies(std::string_view alphabet, std::size_t length) {
  std::vector<std::string> out{""};
  std::vector<std::string> previous{""};
  for (std::size_t n = 1; n <= length; ++n) {
    std::vector<std::string> next;
    for (const auto& prefix : previous)
      for (char c : alphabet) next.push_back(prefix + c);
    out.insert(out.end(), next.begin(), next.end());
    previous = std::move(next);
  }
  return out;
}

std::vector<std::string> randomBodies() {
  const std::vector<std::string> pieces = {"x",    "yy",   " ",   "\t",     "\r",   "\n",   "\r\n",
                                           "\r \n", "\r\r\n", " \r\n", "\r\n\r\n", "\t\r\n", "word "};
  std::mt19937 random(4870);
  std::vector<std::string> out;
  for (int i = 0; i < 400; ++i) {
    std::string body;
    const auto count = random() % 40;
    for (unsigned j = 0; j < count; ++j) body += pieces[random() % pieces.size()];
    out.push_back(body);
  }
  return out;
}

void expectSplitAnywhere(DK c, const std::string& body) {
  const std::string want = reference(c, body);
  ASSERT_EQ(escape(canonicalize(c, body)), escape(want)) << toString(c) << " whole: " << escape(body);
  ASSERT_EQ(escape(canonicalizeBytewise(c, body)), escape(want)) << toString(c) << " bytewise: " << escape(body);
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const std::size_t cuts[] = {cut};
    ASSERT_EQ(escape(canonicalize(c, body, cuts)), escape(want))
        << toString(c) << " cut at " << cut << ": " << escape(body);
  }
}

TEST(DomainKeysBodyStreaming, EveryShortBodySplitAnywhere) {
  const auto bodies = allBodies("a \t\r\n", 6);
  ASSERT_EQ(bodies.size(), 19531u);
  for (const auto& body : bodies) {
    expectSplitAnywhere(DK::simple, body);
    expectSplitAnywhere(DK::nofws, body);
  }
}

TEST(DomainKeysBodyStreaming, RandomBodiesSplitAnywhere) {
  for (const auto& body : randomBodies()) {
    expectSplitAnywhere(DK::simple, body);
    expectSplitAnywhere(DK::nofws, body);
  }
}

TEST(DomainKeysBodyStreaming, LargeBodyAcrossTheFlushBuffer) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "line " + std::to_string(i) + " \t with  space\r\n" + (i % 7 ? "" : "\r\n");
  body += "\r\n\r\n \r\n";
  for (DK c : {DK::simple, DK::nofws}) {
    const std::string want = reference(c, body);
    EXPECT_EQ(canonicalize(c, body), want);
    std::vector<std::size_t> cuts;
    for (std::size_t at = 1; at < body.size(); at += 997) cuts.push_back(at);
    EXPECT_EQ(canonicalize(c, body, cuts), want);
  }
}

// --- idempotence ---

TEST(DomainKeysCanonicalization, IdempotentOnItsOwnOutput) {
  auto bodies = randomBodies();
  const auto small = allBodies("a \t\r\n", 4);
  bodies.insert(bodies.end(), small.begin(), small.end());
  for (DK c : {DK::simple, DK::nofws}) {
    for (const auto& body : bodies) {
      const std::string once = canonicalize(c, body);
      // The output starts with the separator line; what follows is a body.
      const std::string again = once.empty() ? canonicalize(c, "") : canonicalize(c, once.substr(2));
      ASSERT_EQ(escape(again), escape(once)) << toString(c) << ": " << escape(body);
    }
  }
  for (std::string_view raw : {"Subject :  a\r\n\tb c ", "To: x", "X: \t "}) {
    std::string once;
    appendDomainKeysHeader(once, raw, DK::nofws);
    std::string again;
    appendDomainKeysHeader(again, std::string_view(once).substr(0, once.size() - 2), DK::nofws);
    EXPECT_EQ(again, once);
  }
}

}  // namespace
}  // namespace signet
