// Header fields and the streaming split of a message into fields and body
// (RFC 5322 sections 2.2 and 3.5): LineEndingNormalizer, MessageReader with
// LF and CRLF input, folding, a header block without body, the errors, the
// limits, and the split-anywhere property.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "signet/header.h"

namespace signet {
namespace {

struct Parsed {
  std::vector<std::string> fields;
  std::string body;
  int end_of_headers = 0;
  bool body_before_end = false;
  bool lf = false;
  std::optional<ParseError> error;

  bool operator==(const Parsed& o) const {
    return fields == o.fields && body == o.body && end_of_headers == o.end_of_headers && lf == o.lf &&
           error.has_value() == o.error.has_value();
  }
};

Parsed read(std::string_view message, const std::vector<std::size_t>& cuts = {}, HeaderLimits limits = {}) {
  Parsed p;
  MessageReader reader([&](HeaderField&& f) { p.fields.push_back(std::move(f.raw)); },
                       [&] { ++p.end_of_headers; },
                       [&](std::span<const char> b) {
                         if (p.end_of_headers == 0) p.body_before_end = true;
                         p.body.append(b.data(), b.size());
                       },
                       limits);
  std::size_t from = 0;
  std::vector<std::size_t> all = cuts;
  all.push_back(message.size());
  for (std::size_t cut : all) {
    auto r = reader.update(std::span<const char>(message.data() + from, cut - from));
    from = cut;
    if (!r) {
      p.error = r.error();
      return p;
    }
  }
  if (auto r = reader.finish(); !r) p.error = r.error();
  p.lf = reader.sawLfLineEnds();
  return p;
}

using Fields = std::vector<std::string>;

TEST(MessageReaderRfc5322, CrlfMessage) {
  const Parsed p = read("From: a@example.com\r\nTo: b@example.com\r\n\r\nHello\r\n");
  ASSERT_FALSE(p.error) << p.error->message();
  EXPECT_EQ(p.fields, (Fields{"From: a@example.com", "To: b@example.com"}));
  EXPECT_EQ(p.body, "Hello\r\n");
  EXPECT_EQ(p.end_of_headers, 1);
  EXPECT_FALSE(p.body_before_end);
  EXPECT_FALSE(p.lf);
}

TEST(MessageReaderRfc5322, LfMessageGivesTheCrlfFieldsAndBody) {
  const Parsed crlf = read("From: a\r\nSubject: x\r\n y\r\n\r\nHello\r\n\r\nBye\r\n");
  const Parsed lf = read("From: a\nSubject: x\n y\n\nHello\n\nBye\n");
  ASSERT_FALSE(lf.error);
  EXPECT_EQ(lf.fields, crlf.fields);
  EXPECT_EQ(lf.fields, (Fields{"From: a", "Subject: x\r\n y"}));
  EXPECT_EQ(lf.body, crlf.body);
  EXPECT_EQ(lf.body, "Hello\r\n\r\nBye\r\n");
  EXPECT_TRUE(lf.lf);
  EXPECT_FALSE(crlf.lf);
}

TEST(MessageReaderRfc5322, MixedLineEnds) {
  const Parsed p = read("From: a\nTo: b\r\n\nx\ny\r\nz");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.fields, (Fields{"From: a", "To: b"}));
  EXPECT_EQ(p.body, "x\r\ny\r\nz");
  EXPECT_TRUE(p.lf);
}

TEST(MessageReaderRfc5322, Section2_2_3FoldedFields) {
  const Parsed p = read("Subject: a\r\n b\r\n\tc\r\nTo: x\r\n  \t\r\n\r\n");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.fields, (Fields{"Subject: a\r\n b\r\n\tc", "To: x\r\n  \t"}));
  EXPECT_EQ(p.body, "");
}

TEST(MessageReaderRfc5322, BareCrStaysInAField) {
  const Parsed p = read("X: a\rb\r\n\r\n");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.fields, (Fields{"X: a\rb"}));
}

TEST(MessageReaderRfc5322, HeaderBlockWithoutBody) {
  const std::vector<std::string> messages = {"From: a\r\nTo: b\r\n", "From: a\r\nTo: b", "From: a\nTo: b\n",
                                             "From: a\r\nTo: b\r"};
  for (const auto& m : messages) {
    SCOPED_TRACE(m);
    const Parsed p = read(m);
    ASSERT_FALSE(p.error) << p.error->message();
    EXPECT_EQ(p.fields, (Fields{"From: a", "To: b"}));
    EXPECT_EQ(p.body, "");
    EXPECT_EQ(p.end_of_headers, 1);
  }
  const Parsed folded = read("From: a\r\n\tcontinued");
  ASSERT_FALSE(folded.error);
  EXPECT_EQ(folded.fields, (Fields{"From: a\r\n\tcontinued"}));
}

TEST(MessageReaderRfc5322, EmptyHeaderBlockAndEmptyMessage) {
  const Parsed p = read("\r\nbody only\r\n");
  ASSERT_FALSE(p.error);
  EXPECT_TRUE(p.fields.empty());
  EXPECT_EQ(p.body, "body only\r\n");
  const Parsed empty = read("");
  ASSERT_FALSE(empty.error);
  EXPECT_TRUE(empty.fields.empty());
  EXPECT_EQ(empty.end_of_headers, 1);
}

TEST(MessageReaderRfc5322, BodyIsNotParsedAsHeaders) {
  const Parsed p = read("A: 1\r\n\r\n no colon here\r\nB: 2\r\n\r\n");
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.fields, (Fields{"A: 1"}));
  EXPECT_EQ(p.body, " no colon here\r\nB: 2\r\n\r\n");
}

TEST(MessageReaderErrors, ContinuationBeforeTheFirstField) {
  for (const std::string m : {" X: y\r\nA: b\r\n\r\n", "\tX\r\n\r\n", " X: y\n\n"}) {
    SCOPED_TRACE(m);
    const Parsed p = read(m);
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->where, "header");
    EXPECT_EQ(p.error->why, "continuation line before the first field");
    EXPECT_TRUE(p.fields.empty());
  }
}

TEST(MessageReaderErrors, ContinuationBeforeTheFirstFieldWithoutLineEnd) {
  // The same header block, ending without a line end, must be the same error:
  // it is not a field named " X".
  const Parsed p = read(" X: y");
  ASSERT_TRUE(p.error) << "accepted a field named \"" << (p.fields.empty() ? "" : p.fields[0]) << "\"";
  EXPECT_EQ(p.error->why, "continuation line before the first field");
}

TEST(MessageReaderErrors, LineWithoutColon) {
  const std::vector<std::string> messages = {"From: a\r\nGarbage\r\n\r\nbody", "From: a\r\nGarbage"};
  for (const auto& m : messages) {
    SCOPED_TRACE(m);
    const Parsed p = read(m);
    ASSERT_TRUE(p.error);
    EXPECT_EQ(p.error->where, "header 2");
    EXPECT_EQ(p.error->why, "line without a colon");
  }
  const Parsed first = read("Garbage\r\n\r\n");
  ASSERT_TRUE(first.error);
  EXPECT_EQ(first.error->where, "header 1");
}

// Found by the header fuzz target: the last line of a header block that ends
// without a line end must meet the same rule as any other line.
TEST(MessageReaderErrors, EmptyFieldNameWithOrWithoutLineEnd) {
  for (const std::string m : {"From: a@example.com\r\n:x\r\n\r\n", "From: a@example.com\r\n:x"}) {
    SCOPED_TRACE(m);
    const Parsed p = read(m);
    ASSERT_TRUE(p.error) << p.fields.size() << " fields";
    EXPECT_EQ(p.error->where, "header 2");
    EXPECT_EQ(p.error->why, "empty field name");
  }
}

TEST(MessageReaderLimits, MaxFieldsCrossed) {
  const std::string message = "A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody";
  EXPECT_FALSE(read(message, {}, HeaderLimits{3, 1 << 20}).error);
  const Parsed p = read(message, {}, HeaderLimits{2, 1 << 20});
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->where, "header");
  EXPECT_EQ(p.error->why, "more fields than the limit of 2");
  EXPECT_EQ(p.fields.size(), 2u);
  // The same when the header block ends without an empty line.
  const Parsed unterminated = read("A: 1\r\nB: 2\r\nC: 3", {}, HeaderLimits{2, 1 << 20});
  ASSERT_TRUE(unterminated.error);
  EXPECT_EQ(unterminated.error->why, "more fields than the limit of 2");
}

TEST(MessageReaderLimits, MaxBytesCrossed) {
  const std::string header = "From: a\r\n\r\n";  // 11 bytes, the empty line included
  const std::string message = header + std::string(100000, 'b');
  const Parsed ok = read(message, {}, HeaderLimits{10, 11});
  EXPECT_FALSE(ok.error) << "the body must not count";
  EXPECT_EQ(ok.body.size(), 100000u);
  const Parsed p = read(message, {}, HeaderLimits{10, 10});
  ASSERT_TRUE(p.error);
  EXPECT_EQ(p.error->where, "header");
  EXPECT_EQ(p.error->why, "header block larger than the limit of 10 bytes");
  // An endless header line is stopped by the same limit.
  const Parsed endless = read("X: " + std::string(5000, 'x'), {}, HeaderLimits{10, 4096});
  ASSERT_TRUE(endless.error);
  EXPECT_EQ(endless.error->why, "header block larger than the limit of 4096 bytes");
}

// Split-anywhere: every cut in two, byte by byte, and random cuts give what
// the message in one piece gives.
TEST(MessageReaderStreaming, SplitAnywhereGivesTheSameFieldsAndBody) {
  const std::vector<std::string> messages = {
      "From: a@example.com\r\nSubject: x\r\n\ty\r\nTo: b\r\n\r\nHello\r\n\r\nBye\r\n",
      "From: a@example.com\nSubject: x\n\ty\nTo: b\n\nHello\n\nBye\n",
      "From: a\r\nTo: b\n\r\nbody\rwith\r\r\nCRs\n",
      "A: 1\r\nB: 2\r\n",
      "A: 1\r\n\r\n",
      "A: 1\n\n\n\n",
      "X: a\rb\r\n \r\n\r\n\r\n",
  };
  std::mt19937 rng(5322);
  for (const auto& m : messages) {
    SCOPED_TRACE(m);
    const Parsed whole = read(m);
    ASSERT_FALSE(whole.error);
    for (std::size_t cut = 0; cut <= m.size(); ++cut) {
      const Parsed p = read(m, {cut});
      ASSERT_TRUE(p == whole) << "cut at " << cut;
      ASSERT_FALSE(p.body_before_end);
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < m.size(); ++i) every.push_back(i);
    ASSERT_TRUE(read(m, every) == whole) << "byte by byte";
    for (int round = 0; round < 20; ++round) {
      std::vector<std::size_t> cuts;
      for (std::size_t at = rng() % 5; at < m.size(); at += 1 + rng() % 7) cuts.push_back(at);
      ASSERT_TRUE(read(m, cuts) == whole) << "random cuts, round " << round;
    }
  }
}

TEST(MessageReaderStreaming, CrThenLfAcrossChunksIsNotABareLf) {
  const Parsed p = read("From: a\r\n\r\nx\r\ny", {8, 13});
  EXPECT_FALSE(p.lf);
  EXPECT_EQ(p.body, "x\r\ny");
}

// --- LineEndingNormalizer ---

std::string normalize(std::string_view in, const std::vector<std::size_t>& cuts = {}) {
  LineEndingNormalizer n;
  std::string out;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    n.update(std::span<const char>(in.data() + from, cut - from), out);
    from = cut;
  }
  n.update(std::span<const char>(in.data() + from, in.size() - from), out);
  return out;
}

TEST(LineEndingNormalizer, BareLfBecomesCrlf) {
  EXPECT_EQ(normalize("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
  EXPECT_EQ(normalize("\n\n"), "\r\n\r\n");
  EXPECT_EQ(normalize("\r\r\n"), "\r\r\n");
  EXPECT_EQ(normalize("a\r"), "a\r");
  EXPECT_EQ(normalize(""), "");
  EXPECT_EQ(normalize("\r\n\n"), "\r\n\r\n");
}

TEST(LineEndingNormalizer, StateCarriesAcrossChunks) {
  EXPECT_EQ(normalize("a\r\nb", {2}), "a\r\nb");     // CR | LF
  EXPECT_EQ(normalize("a\nb", {1}), "a\r\nb");       // a | LF
  EXPECT_EQ(normalize("\r\n\n", {1, 2}), "\r\n\r\n");  // CR | LF | LF
  const std::string in = "x\n\r\n\r\r\n\n\ry\n";
  const std::string whole = normalize(in);
  EXPECT_EQ(whole, "x\r\n\r\n\r\r\n\r\n\ry\r\n");
  for (std::size_t cut = 0; cut <= in.size(); ++cut) EXPECT_EQ(normalize(in, {cut}), whole) << cut;
}

// --- HeaderField and names ---

TEST(HeaderField, NameAndValue) {
  EXPECT_EQ(HeaderField{"Subject: hi"}.name(), "Subject");
  EXPECT_EQ(HeaderField{"Subject: hi"}.value(), " hi");
  EXPECT_EQ(HeaderField{"Subject \t: hi"}.name(), "Subject");
  EXPECT_EQ(HeaderField{"X:"}.value(), "");
  EXPECT_EQ(HeaderField{"X:a:b"}.value(), "a:b");
  EXPECT_EQ(HeaderField{"X: a\r\n b"}.value(), " a\r\n b");
  EXPECT_EQ(HeaderField{"NoColon"}.name(), "NoColon");
  EXPECT_EQ(HeaderField{"NoColon"}.value(), "");
}

TEST(HeaderField, NamesCompareCaseInsensitively) {
  EXPECT_TRUE(headerNameEquals("DKIM-Signature", "dkim-signature"));
  EXPECT_TRUE(headerNameEquals("FROM", "from"));
  EXPECT_FALSE(headerNameEquals("From", "Fro"));
  EXPECT_FALSE(headerNameEquals("From", "Form"));
  EXPECT_FALSE(headerNameEquals("\xc3\x89", "\xc3\xa9"));  // ASCII only
  EXPECT_EQ(toLower("Message-ID \xc3\x89"), "message-id \xc3\x89");
}

}  // namespace
}  // namespace signet
