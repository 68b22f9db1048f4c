// The header scan of a spooled message and the application of milter edits
// (the milter protocol's header, body and envelope modifications).
#include "message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace signet::qmail {
namespace {

using milter_client::Modification;
using Kind = milter_client::Modification::Kind;

SpoolFile spoolOf(const std::string& text) {
  auto spool = SpoolFile::create("/tmp");
  EXPECT_TRUE(spool.has_value());
  EXPECT_TRUE(spool->append(text).has_value());
  EXPECT_TRUE(spool->flush().has_value());
  return std::move(*spool);
}

std::string contents(const SpoolFile& f) {
  auto s = f.readString(0, static_cast<std::size_t>(f.size()));
  EXPECT_TRUE(s.has_value());
  return s.value_or("");
}

const std::string kMessage =
    "Received: from client by mx; Sat, 21 Nov 2026 05:00:00 +0000\n"
    "From: Alice <alice@example.com>\n"
    "Subject: a folded\n"
    " subject\n"
    "To: bob@example.net\n"
    "\n"
    "line one\n"
    "line two\n";

TEST(MessageScanTest, FieldsValuesAndBodyOffset) {
  SpoolFile spool = spoolOf(kMessage);
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_EQ(m->fields.size(), 4u);
  EXPECT_EQ(m->fields[0].name, "Received");
  EXPECT_EQ(m->fields[2].name, "Subject");
  EXPECT_EQ(m->fields[2].value, " a folded\n subject");
  EXPECT_EQ(m->fields[2].raw, "Subject: a folded\n subject\n");
  EXPECT_EQ(m->separator, "\n");
  EXPECT_EQ(kMessage.substr(m->body_offset), "line one\nline two\n");
  EXPECT_EQ(m->eol, "\n");
}

TEST(MessageScanTest, ANonFieldLineStartsTheBodyWithoutSeparator) {
  SpoolFile spool = spoolOf("From: a@b\nthis is not a field\nmore\n");
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->fields.size(), 1u);
  EXPECT_EQ(m->separator, "");
  EXPECT_EQ(m->body_offset, 10u);
}

TEST(MessageScanTest, HeaderOnlyMessageAndEmptyMessage) {
  SpoolFile a = spoolOf("From: a@b\nSubject: no body");
  auto m = scanMessage(a, 1 << 20);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->fields.size(), 2u);
  EXPECT_EQ(m->fields[1].value, " no body");
  EXPECT_EQ(m->body_offset, a.size());

  SpoolFile empty = spoolOf("");
  auto e = scanMessage(empty, 1 << 20);
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->fields.empty());
  EXPECT_EQ(e->body_offset, 0u);
}

TEST(MessageScanTest, CrlfMessageKeepsItsLineEnds) {
  SpoolFile spool = spoolOf("From: a@b\r\nSubject: x\r\n\r\nbody\r\n");
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->eol, "\r\n");
  EXPECT_EQ(m->fields[1].value, " x");
  EXPECT_EQ(m->separator, "\r\n");
}

TEST(MessageScanTest, ObsoleteSpaceBeforeColon) {
  SpoolFile spool = spoolOf("Subject : old style\n\n");
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->fields.size(), 1u);
  EXPECT_EQ(m->fields[0].name, "Subject");
  EXPECT_EQ(m->fields[0].value, " old style");
}

TEST(MessageScanTest, HeaderSectionOverTheLimitIsRefused) {
  std::string big;
  for (int i = 0; i < 100; ++i) big += "X-Filler: " + std::string(50, 'x') + "\n";
  SpoolFile spool = spoolOf(big + "\nbody\n");
  auto m = scanMessage(spool, 1000);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().kind, MessageError::Kind::too_large);
  EXPECT_TRUE(scanMessage(spool, 1 << 20).has_value());
}

TEST(MessageBodyTest, BodyGoesOutWithCrlfWhateverTheChunking) {
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "line " + std::to_string(i) + "\n";
  body += "crlf already\r\nlast without end";
  SpoolFile spool = spoolOf("From: a@b\n\n" + body);
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  std::string sent;
  int chunks = 0;
  auto r = forEachBodyChunk(spool, *m, [&](std::string_view c) {
    sent += c;
    ++chunks;
    return true;
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_GT(chunks, 1);
  std::string expected;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) expected += '\r';
    expected += body[i];
  }
  EXPECT_EQ(sent, expected);
}

struct EditCase {
  const char* name;
  std::vector<Modification> edits;
  std::string expected;
};

Modification mod(Kind kind, std::uint32_t index, std::string name, std::string value) {
  Modification m;
  m.kind = kind;
  m.index = index;
  m.name = std::move(name);
  m.value = std::move(value);
  return m;
}

class EditTest : public testing::TestWithParam<EditCase> {};

TEST_P(EditTest, AppliesEditsInOrder) {
  SpoolFile spool = spoolOf(kMessage);
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  Envelope envelope{"alice@example.com", {"bob@example.net"}};
  EditSummary summary;
  auto out = applyModifications(spool, *m, GetParam().edits, false, envelope, "/tmp", summary);
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(contents(*out), GetParam().expected);
}

const std::string kRest = "To: bob@example.net\n\nline one\nline two\n";
const std::string kTop =
    "Received: from client by mx; Sat, 21 Nov 2026 05:00:00 +0000\n"
    "From: Alice <alice@example.com>\n";
const std::string kSubject = "Subject: a folded\n subject\n";

INSTANTIATE_TEST_SUITE_P(
    Edits, EditTest,
    testing::Values(
        EditCase{"nothing", {}, kMessage},
        EditCase{"insert_at_top", {mod(Kind::insert_header, 0, "DKIM-Signature", "v=1; a=x")},
                 "DKIM-Signature: v=1; a=x\n" + kMessage},
        EditCase{"insert_in_the_middle", {mod(Kind::insert_header, 1, "X-A", "1")},
                 "Received: from client by mx; Sat, 21 Nov 2026 05:00:00 +0000\nX-A: 1\n"
                 "From: Alice <alice@example.com>\n" + kSubject + kRest},
        EditCase{"insert_past_the_end_appends", {mod(Kind::insert_header, 99, "X-A", "1")},
                 kTop + kSubject + "To: bob@example.net\nX-A: 1\n\nline one\nline two\n"},
        EditCase{"add_appends", {mod(Kind::add_header, 0, "X-B", "2")},
                 kTop + kSubject + "To: bob@example.net\nX-B: 2\n\nline one\nline two\n"},
        EditCase{"change_first_subject", {mod(Kind::change_header, 1, "subject", "new")},
                 kTop + "Subject: new\n" + kRest},
        EditCase{"delete_subject", {mod(Kind::change_header, 1, "Subject", "")}, kTop + kRest},
        EditCase{"change_missing_adds", {mod(Kind::change_header, 2, "Subject", "second")},
                 kTop + kSubject + "To: bob@example.net\nSubject: second\n\nline one\nline two\n"},
        EditCase{"delete_missing_is_nothing", {mod(Kind::change_header, 1, "X-None", "")}, kMessage},
        EditCase{"folded_value_from_milter", {mod(Kind::insert_header, 0, "X-F", "a\r\n\tb")},
                 "X-F: a\n\tb\n" + kMessage},
        EditCase{"bare_line_break_is_folded", {mod(Kind::insert_header, 0, "X-F", "a\nInjected: yes")},
                 "X-F: a\n\tInjected: yes\n" + kMessage},
        EditCase{"edits_see_earlier_edits",
                 {mod(Kind::insert_header, 0, "X-A", "1"), mod(Kind::change_header, 1, "X-A", "2"),
                  mod(Kind::insert_header, 0, "X-B", "3")},
                 "X-B: 3\nX-A: 2\n" + kMessage},
        EditCase{"replace_body_joins_chunks",
                 {mod(Kind::replace_body, 0, "", "new one\r"), mod(Kind::replace_body, 0, "", "\nnew two\r\n")},
                 kTop + kSubject + "To: bob@example.net\n\nnew one\nnew two\n"}),
    [](const testing::TestParamInfo<EditCase>& p) { return std::string(p.param.name); });

TEST(EditTest, LeadingSpaceNegotiatedKeepsTheValueAsSent) {
  SpoolFile spool = spoolOf("From: a@b\n\nx\n");
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  Envelope envelope{"a@b", {"c@d"}};
  EditSummary summary;
  std::vector<Modification> edits = {mod(Kind::insert_header, 0, "X-Tight", "v"),
                                     mod(Kind::insert_header, 0, "X-Spaced", " v")};
  auto out = applyModifications(spool, *m, edits, true, envelope, "/tmp", summary);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(contents(*out), "X-Spaced: v\nX-Tight:v\nFrom: a@b\n\nx\n");
}

TEST(EditTest, EnvelopeEditsAndSummary) {
  SpoolFile spool = spoolOf(kMessage);
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  Envelope envelope{"alice@example.com", {"bob@example.net", "carol@example.net"}};
  std::vector<Modification> edits = {mod(Kind::change_from, 0, "", "<bounce@example.com>"),
                                     mod(Kind::add_rcpt, 0, "", "<archive@example.com>"),
                                     mod(Kind::delete_rcpt, 0, "", "<BOB@example.net>"),
                                     mod(Kind::quarantine, 0, "", "looks odd")};
  EditSummary summary;
  auto out = applyModifications(spool, *m, edits, false, envelope, "/tmp", summary);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(contents(*out), kMessage);
  EXPECT_EQ(envelope.sender, "bounce@example.com");
  EXPECT_EQ(envelope.recipients, (std::vector<std::string>{"carol@example.net", "archive@example.com"}));
  EXPECT_TRUE(summary.envelope);
  EXPECT_TRUE(summary.quarantined);
  EXPECT_EQ(summary.quarantine_reason, "looks odd");
  EXPECT_EQ(summary.headers, 0u);
}

TEST(EditTest, CrlfMessageGetsCrlfFields) {
  SpoolFile spool = spoolOf("From: a@b\r\n\r\nx\r\n");
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  Envelope envelope{"a@b", {"c@d"}};
  EditSummary summary;
  std::vector<Modification> edits = {mod(Kind::insert_header, 0, "X-A", "1\n 2")};
  auto out = applyModifications(spool, *m, edits, false, envelope, "/tmp", summary);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(contents(*out), "X-A: 1\r\n 2\r\nFrom: a@b\r\n\r\nx\r\n");
}

TEST(EditTest, ReplacedBodyOfAMessageWithoutSeparatorGetsOne) {
  SpoolFile spool = spoolOf("From: a@b\n");
  auto m = scanMessage(spool, 1 << 20);
  ASSERT_TRUE(m.has_value());
  Envelope envelope{"a@b", {"c@d"}};
  EditSummary summary;
  std::vector<Modification> edits = {mod(Kind::replace_body, 0, "", "Not: a field\r\n")};
  auto out = applyModifications(spool, *m, edits, false, envelope, "/tmp", summary);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(contents(*out), "From: a@b\n\nNot: a field\n");
}

}  // namespace
}  // namespace signet::qmail
