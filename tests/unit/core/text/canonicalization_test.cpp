// DKIM canonicalization, exact outputs: header fields (RFC 6376 sections
// 3.4.1 and 3.4.2), the body (3.4.3 and 3.4.4), the example of 3.4.5 for
// both, the c= value and the l= cap on what reaches the hash (3.5).
// The streaming properties of the body canonicalizers (split anywhere,
// idempotence) are in body_streaming_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "canonicalization_reference.h"
#include "signet/base64.h"
#include "signet/crypto.h"

namespace signet {
namespace {

using coretest::canonicalizeBytewise;
using coretest::canonicalizeCut;
using coretest::canonicalizeWhole;

// --- header fields (sections 3.4.1, 3.4.2) ---

std::string canonical(std::string_view raw, Canonicalization c) {
  std::string out;
  appendCanonicalHeader(out, raw, c);
  return out;
}

// RFC 6376 section 3.4.5, the two header fields of the example.
TEST(HeaderCanonicalizationRfc6376, Section3_4_5ExampleRelaxed) {
  std::string out;
  appendCanonicalHeader(out, "A: X", Canonicalization::relaxed);
  appendCanonicalHeader(out, "B : Y\t\r\n\tZ  ", Canonicalization::relaxed);
  EXPECT_EQ(out, "a:X\r\nb:Y Z\r\n");
}

TEST(HeaderCanonicalizationRfc6376, Section3_4_5ExampleSimple) {
  std::string out;
  appendCanonicalHeader(out, "A: X", Canonicalization::simple);
  appendCanonicalHeader(out, "B : Y\t\r\n\tZ  ", Canonicalization::simple);
  EXPECT_EQ(out, "A: X\r\nB : Y\t\r\n\tZ  \r\n");
}

TEST(HeaderCanonicalizationRfc6376, AppendsToWhatIsThere) {
  std::string out = "prefix|";
  appendCanonicalHeader(out, "To: x", Canonicalization::relaxed);
  EXPECT_EQ(out, "prefix|to:x\r\n");
}

struct HeaderCase {
  const char* what;
  std::string raw;
  std::string simple;
  std::string relaxed;
};

TEST(HeaderCanonicalizationRfc6376, Section3_4_1And3_4_2Table) {
  const std::vector<HeaderCase> cases = {
      {"plain", "Subject: Hello", "Subject: Hello\r\n", "subject:Hello\r\n"},
      {"uppercase name", "SUBJECT: Hello", "SUBJECT: Hello\r\n", "subject:Hello\r\n"},
      {"mixed-case name keeps value case", "Message-ID: <AbC@X>", "Message-ID: <AbC@X>\r\n",
       "message-id:<AbC@X>\r\n"},
      {"no space after colon", "To:a@b", "To:a@b\r\n", "to:a@b\r\n"},
      {"WSP before colon", "Subject \t : Hi", "Subject \t : Hi\r\n", "subject:Hi\r\n"},
      {"folded value", "Subject: a\r\n b\r\n\tc", "Subject: a\r\n b\r\n\tc\r\n", "subject:a b c\r\n"},
      {"fold right after colon", "Subject:\r\n Hi", "Subject:\r\n Hi\r\n", "subject:Hi\r\n"},
      {"fold with runs", "X: a  \r\n \t b", "X: a  \r\n \t b\r\n", "x:a b\r\n"},
      {"tabs in value", "X:\ta\t\tb\t", "X:\ta\t\tb\t\r\n", "x:a b\r\n"},
      {"trailing WSP", "X: value   ", "X: value   \r\n", "x:value\r\n"},
      {"trailing WSP after fold", "X: v\r\n \t ", "X: v\r\n \t \r\n", "x:v\r\n"},
      {"empty value", "X:", "X:\r\n", "x:\r\n"},
      {"only WSP value", "X:  \t ", "X:  \t \r\n", "x:\r\n"},
      {"colons in value", "Date: 21:00:37", "Date: 21:00:37\r\n", "date:21:00:37\r\n"},
      {"eight-bit value", "X: caf\xc3\xa9  ok", "X: caf\xc3\xa9  ok\r\n", "x:caf\xc3\xa9 ok\r\n"},
      {"DKIM-Signature b= blanked", "DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=",
       "DKIM-Signature: v=1; a=rsa-sha256;\r\n\tb=\r\n", "dkim-signature:v=1; a=rsa-sha256; b=\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(canonical(c.raw, Canonicalization::simple), c.simple);
    EXPECT_EQ(canonical(c.raw, Canonicalization::relaxed), c.relaxed);
  }
}

TEST(HeaderCanonicalizationRfc6376, RelaxedIsIdempotent) {
  const std::vector<std::string> raws = {"A: X", "B : Y\t\r\n\tZ  ", "X:\ta\t\tb\t", "Subject:\r\n Hi",
                                         "X:  \t "};
  for (const auto& raw : raws) {
    SCOPED_TRACE(raw);
    std::string once = canonical(raw, Canonicalization::relaxed);
    once.resize(once.size() - 2);
    EXPECT_EQ(canonical(once, Canonicalization::relaxed), once + "\r\n");
  }
}

TEST(HeaderCanonicalizationRfc6376, SimpleChangesNothing) {
  // Section 3.4.1: "does not change header fields in any way".
  const std::string raw = "x-Odd  :\t  Value \r\n\t more  ";
  EXPECT_EQ(canonical(raw, Canonicalization::simple), raw + "\r\n");
}

// --- c= (section 3.5) ---

struct CanonCase {
  const char* text;
  bool ok;
  Canonicalization header;
  Canonicalization body;
};

TEST(CanonicalizationTag, Section3_5Values) {
  const std::vector<CanonCase> cases = {
      {"simple", true, Canonicalization::simple, Canonicalization::simple},
      {"relaxed", true, Canonicalization::relaxed, Canonicalization::simple},
      {"simple/simple", true, Canonicalization::simple, Canonicalization::simple},
      {"simple/relaxed", true, Canonicalization::simple, Canonicalization::relaxed},
      {"relaxed/simple", true, Canonicalization::relaxed, Canonicalization::simple},
      {"relaxed/relaxed", true, Canonicalization::relaxed, Canonicalization::relaxed},
      {"bogus", false, {}, {}},
      {"relaxed/bogus", false, {}, {}},
      {"bogus/relaxed", false, {}, {}},
      {"relaxed/", false, {}, {}},
      {"/relaxed", false, {}, {}},
      {"", false, {}, {}},
      {"relaxed/relaxed/relaxed", false, {}, {}},
      {"nofws", false, {}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("c=") + c.text);
    const auto parsed = parseCanonicalization(c.text);
    ASSERT_EQ(parsed.has_value(), c.ok);
    if (c.ok) {
      EXPECT_EQ(parsed->header, c.header);
      EXPECT_EQ(parsed->body, c.body);
    } else {
      EXPECT_EQ(parsed.error().where, "canonicalization");
    }
  }
}

TEST(CanonicalizationTag, ToString) {
  EXPECT_EQ(toString(Canonicalization::simple), "simple");
  EXPECT_EQ(toString(Canonicalization::relaxed), "relaxed");
  EXPECT_EQ(toString(CanonicalizationPair{Canonicalization::relaxed, Canonicalization::simple}),
            "relaxed/simple");
  EXPECT_EQ(toString(CanonicalizationPair{Canonicalization::simple, Canonicalization::relaxed}),
            "simple/relaxed");
  // The default pair is relaxed/relaxed (what the signer writes by default).
  EXPECT_EQ(toString(CanonicalizationPair{}), "relaxed/relaxed");
}

// --- the body (sections 3.4.3, 3.4.4) ---

struct BodyCase {
  const char* name;
  std::string body;
  std::string simple;   // expected simple output
  std::string relaxed;  // expected relaxed output

  friend void PrintTo(const BodyCase& c, std::ostream* os) { *os << c.name; }
};

const std::vector<BodyCase>& bodyCases() {
  static const std::vector<BodyCase> cases = {
      // RFC 6376 section 3.4.5: the example body.
      {"rfc6376_3_4_5_example", " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n"},
      // Section 3.4.3: an empty body is one CRLF; 3.4.4: an empty body is empty.
      {"empty", "", "\r\n", ""},
      {"one_crlf", "\r\n", "\r\n", ""},
      {"only_blank_lines", "\r\n\r\n\r\n", "\r\n", ""},
      {"only_whitespace_lines", " \r\n\t\r\n  \t \r\n", " \r\n\t\r\n  \t \r\n", ""},
      {"whitespace_without_crlf", "  \t ", "  \t \r\n", ""},
      {"missing_final_crlf", "Hello", "Hello\r\n", "Hello\r\n"},
      {"missing_final_crlf_two_lines", "a\r\nb", "a\r\nb\r\n", "a\r\nb\r\n"},
      {"trailing_blank_lines", "a\r\n\r\n\r\n", "a\r\n", "a\r\n"},
      {"inner_blank_lines_kept", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n"},
      {"trailing_wsp", "a  \r\nb\t\r\n", "a  \r\nb\t\r\n", "a\r\nb\r\n"},
      {"trailing_wsp_then_blank", "a \r\n \r\n\t\r\n", "a \r\n \r\n\t\r\n", "a\r\n"},
      {"leading_wsp_kept_as_one_sp", "\t\t a\r\n", "\t\t a\r\n", " a\r\n"},
      {"tabs_and_runs", "a\t \tb  c \t d\r\n", "a\t \tb  c \t d\r\n", "a b c d\r\n"},
      {"single_tab_becomes_sp", "a\tb\r\n", "a\tb\r\n", "a b\r\n"},
      {"bare_cr_in_content", "a\rb\r\n", "a\rb\r\n", "a\rb\r\n"},
      {"cr_before_crlf", "a\r\r\n", "a\r\r\n", "a\r\r\n"},
      {"wsp_before_bare_cr", "a \rb\r\n", "a \rb\r\n", "a \rb\r\n"},
      {"wsp_after_bare_cr", "a\r  b\r\n", "a\r  b\r\n", "a\r b\r\n"},
      {"wsp_cr_wsp_crlf", "a \r \r\n", "a \r \r\n", "a \r\r\n"},
      {"lone_cr_at_end", "a\r", "a\r\r\n", "a\r\r\n"},
      {"lone_cr_after_blank_line", "\r\n\r", "\r\n\r\r\n", "\r\n\r\r\n"},
      {"crlf_then_bare_cr", "a\r\n\rb\r\n", "a\r\n\rb\r\n", "a\r\n\rb\r\n"},
      {"crlf_then_cr_crlf", "a\r\n\r\r\n", "a\r\n\r\r\n", "a\r\n\r\r\n"},
      {"closed_line_then_wsp", "a\r\n \t", "a\r\n \t\r\n", "a\r\n"},
      {"closed_line_then_indented", "a\r\n\tb", "a\r\n\tb\r\n", "a\r\n b\r\n"},
      {"bare_lf_is_content", "a\nb\r\n", "a\nb\r\n", "a\nb\r\n"},
      {"eight_bit_bytes", "caf\xc3\xa9 \xff\x80\r\n\xfe\r\n", "caf\xc3\xa9 \xff\x80\r\n\xfe\r\n",
       "caf\xc3\xa9 \xff\x80\r\n\xfe\r\n"},
      {"eight_bit_with_wsp_runs", "\xe2\x82\xac  \t\xe2\x82\xac \r\n", "\xe2\x82\xac  \t\xe2\x82\xac \r\n",
       "\xe2\x82\xac \xe2\x82\xac\r\n"},
      {"nul_byte_is_content", std::string("a\0b\r\n", 5), std::string("a\0b\r\n", 5),
       std::string("a\0b\r\n", 5)},
  };
  return cases;
}

class BodyCanonicalizationRfc6376 : public ::testing::TestWithParam<BodyCase> {};

TEST_P(BodyCanonicalizationRfc6376, Section3_4_3SimpleExactBytes) {
  const BodyCase& c = GetParam();
  EXPECT_EQ(canonicalizeWhole(Canonicalization::simple, c.body), c.simple);
  EXPECT_EQ(canonicalizeBytewise(Canonicalization::simple, c.body), c.simple);
}

TEST_P(BodyCanonicalizationRfc6376, Section3_4_4RelaxedExactBytes) {
  const BodyCase& c = GetParam();
  EXPECT_EQ(canonicalizeWhole(Canonicalization::relaxed, c.body), c.relaxed);
  EXPECT_EQ(canonicalizeBytewise(Canonicalization::relaxed, c.body), c.relaxed);
}

TEST_P(BodyCanonicalizationRfc6376, ReferenceImplementationAgrees) {
  // Guards the reference used by the streaming tests: it must give the same
  // exact bytes as the table.
  const BodyCase& c = GetParam();
  EXPECT_EQ(coretest::referenceSimpleBody(c.body), c.simple);
  EXPECT_EQ(coretest::referenceRelaxedBody(c.body), c.relaxed);
}

TEST_P(BodyCanonicalizationRfc6376, LengthsCountTheCanonicalBytes) {
  const BodyCase& c = GetParam();
  const auto simple = canonicalizeCut(Canonicalization::simple, c.body, {});
  EXPECT_EQ(simple.canonical, c.simple.size());
  EXPECT_EQ(simple.hashed, c.simple.size());
  const auto relaxed = canonicalizeCut(Canonicalization::relaxed, c.body, {});
  EXPECT_EQ(relaxed.canonical, c.relaxed.size());
  EXPECT_EQ(relaxed.hashed, c.relaxed.size());
}

INSTANTIATE_TEST_SUITE_P(Table, BodyCanonicalizationRfc6376, ::testing::ValuesIn(bodyCases()),
                         [](const ::testing::TestParamInfo<BodyCase>& param_info) { return param_info.param.name; });

// Body hashes everyone agrees on: SHA-256 of the canonical empty bodies, and
// the bh= of RFC 8463 Appendix A (relaxed body of the RFC 6376 example).
TEST(BodyCanonicalizationGolden, EmptyBodyHashes) {
  Hash simple(HashAlgorithm::sha256);
  auto s = makeBodyCanonicalizer(Canonicalization::simple, simple, std::nullopt);
  s->finish();
  EXPECT_EQ(encodeBase64(simple.finish()), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");

  Hash relaxed(HashAlgorithm::sha256);
  auto r = makeBodyCanonicalizer(Canonicalization::relaxed, relaxed, std::nullopt);
  r->finish();
  EXPECT_EQ(encodeBase64(relaxed.finish()), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");

  Hash simple_sha1(HashAlgorithm::sha1);
  auto s1 = makeBodyCanonicalizer(Canonicalization::simple, simple_sha1, std::nullopt);
  s1->finish();
  EXPECT_EQ(encodeBase64(simple_sha1.finish()), "uoq1oCgLlTqpdDX/iUbLy7J1Wic=");
}

TEST(BodyCanonicalizationGolden, Rfc8463AppendixABodyHash) {
  const std::string body = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n";
  EXPECT_EQ(canonicalizeWhole(Canonicalization::relaxed, body),
            "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n");
  Hash hash(HashAlgorithm::sha256);
  auto canon = makeBodyCanonicalizer(Canonicalization::relaxed, hash, std::nullopt);
  canon->update(std::span<const char>(body.data(), body.size()));
  canon->finish();
  EXPECT_EQ(encodeBase64(hash.finish()), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

// --- l= (RFC 6376 section 3.5): only the first l bytes reach the hash ---

struct LimitCase {
  Canonicalization c;
  std::string body;
  std::uint64_t limit;
  std::string hashed;           // what reaches the sink
  std::uint64_t canonical_length;
};

TEST(BodyCanonicalizationLimit, Section3_5LengthTagCapsTheHashedBytes) {
  const std::vector<LimitCase> cases = {
      {Canonicalization::simple, "Hello\r\nWorld\r\n", 7, "Hello\r\n", 14},
      {Canonicalization::simple, "Hello\r\nWorld\r\n", 0, "", 14},
      {Canonicalization::simple, "Hello\r\nWorld\r\n", 3, "Hel", 14},
      {Canonicalization::simple, "Hello\r\nWorld\r\n", 14, "Hello\r\nWorld\r\n", 14},
      {Canonicalization::simple, "Hello\r\nWorld\r\n", 1000, "Hello\r\nWorld\r\n", 14},
      {Canonicalization::simple, "", 1, "\r", 2},  // the empty body is CRLF
      {Canonicalization::relaxed, "a  b \r\nc\r\n\r\n", 4, "a b\r", 8},
      {Canonicalization::relaxed, "a  b \r\nc\r\n\r\n", 7, "a b\r\nc\r", 8},
      {Canonicalization::relaxed, "a  b \r\nc\r\n\r\n", 8, "a b\r\nc\r\n", 8},
      {Canonicalization::relaxed, "", 5, "", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(toString(c.c)) + " body of " + std::to_string(c.body.size()) +
                 " bytes, l=" + std::to_string(c.limit));
    const auto out = canonicalizeCut(c.c, c.body, {}, c.limit);
    EXPECT_EQ(out.bytes, c.hashed);
    EXPECT_EQ(out.hashed, c.hashed.size());
    EXPECT_EQ(out.canonical, c.canonical_length);
  }
}

TEST(BodyCanonicalizationLimit, LimitAcrossTheOutputBuffer) {
  // A body larger than the canonicalizer's internal buffer, with the limit
  // falling before, on and after a flush boundary and in the last flush.
  std::string body;
  for (int i = 0; i < 3000; ++i) body += "line " + std::to_string(i) + "  of\t the body \r\n";
  for (Canonicalization c : {Canonicalization::simple, Canonicalization::relaxed}) {
    const std::string full = canonicalizeWhole(c, body);
    ASSERT_GT(full.size(), 32u * 1024u);
    for (std::uint64_t limit : {std::uint64_t{1}, std::uint64_t{16383}, std::uint64_t{16384},
                                std::uint64_t{16385}, std::uint64_t{40000},
                                static_cast<std::uint64_t>(full.size() - 1),
                                static_cast<std::uint64_t>(full.size())}) {
      SCOPED_TRACE(std::string(toString(c)) + " l=" + std::to_string(limit));
      const std::size_t cuts[] = {5000, 16390, 20000};
      const auto out = canonicalizeCut(c, body, cuts, limit);
      EXPECT_EQ(out.bytes, full.substr(0, limit));
      EXPECT_EQ(out.hashed, limit);
      EXPECT_EQ(out.canonical, full.size());
    }
  }
}

TEST(BodyCanonicalizationLimit, WithoutLimitEverythingIsHashed) {
  const auto out = canonicalizeCut(Canonicalization::relaxed, "x \r\n", {}, std::nullopt);
  EXPECT_EQ(out.bytes, "x\r\n");
  EXPECT_EQ(out.hashed, 3u);
  EXPECT_EQ(out.canonical, 3u);
}

TEST(BodyCanonicalizationOutput, LargeBodyReachesTheSinkInFewWrites) {
  // The canonicalizer buffers its output; a 1 MiB body arrives in chunks of
  // 16 KiB or more, not byte by byte.
  const std::string body(1024 * 1024, 'x');
  coretest::StringSink sink;
  auto canon = makeBodyCanonicalizer(Canonicalization::relaxed, sink, std::nullopt);
  for (std::size_t i = 0; i < body.size(); i += 1000)
    canon->update(std::span<const char>(body.data() + i, std::min<std::size_t>(1000, body.size() - i)));
  canon->finish();
  EXPECT_EQ(sink.text, body + "\r\n");
  EXPECT_LE(sink.writes, body.size() / (16 * 1024) + 2);
}

}  // namespace
}  // namespace signet
