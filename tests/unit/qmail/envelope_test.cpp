// qmail-queue(8) envelope: F sender NUL, T rcpt NUL ..., NUL.
#include "envelope.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace signet::qmail {
namespace {

using namespace std::string_literals;

TEST(EnvelopeTest, ParsesSenderAndRecipients) {
  auto e = parseEnvelope("Fa@example.com\0Tb@example.net\0Tc@example.org\0\0"s, {});
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->sender, "a@example.com");
  EXPECT_EQ(e->recipients, (std::vector<std::string>{"b@example.net", "c@example.org"}));
}

TEST(EnvelopeTest, EmptySenderIsABounce) {
  auto e = parseEnvelope("F\0Tb@example.net\0\0"s, {});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->sender, "");
}

TEST(EnvelopeTest, EncodeIsTheInverseOfParse) {
  const std::string wire = "Fa@example.com\0Tb@example.net\0T\"odd user\"@example.org\0\0"s;
  auto e = parseEnvelope(wire, {});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(encodeEnvelope(*e), wire);
}

struct BadEnvelope {
  const char* name;
  std::string bytes;
  EnvelopeError::Kind kind;
};

class BadEnvelopeTest : public testing::TestWithParam<BadEnvelope> {};

TEST_P(BadEnvelopeTest, IsRefusedWithItsKind) {
  EnvelopeLimits limits;
  limits.max_address = 16;
  limits.max_recipients = 2;
  auto e = parseEnvelope(GetParam().bytes, limits);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().kind, GetParam().kind) << e.error().message;
  EXPECT_FALSE(e.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Envelopes, BadEnvelopeTest,
    testing::Values(BadEnvelope{"empty", "", EnvelopeError::Kind::incomplete},
                    BadEnvelope{"sender_only", "Fa@x\0"s, EnvelopeError::Kind::incomplete},
                    BadEnvelope{"no_final_nul", "Fa@x\0Tb@y\0"s, EnvelopeError::Kind::incomplete},
                    BadEnvelope{"half_address", "Fa@x\0Tb@"s, EnvelopeError::Kind::incomplete},
                    BadEnvelope{"no_recipient", "Fa@x\0\0"s, EnvelopeError::Kind::malformed},
                    BadEnvelope{"no_sender", "\0"s, EnvelopeError::Kind::malformed},
                    BadEnvelope{"wrong_first_letter", "Ta@x\0Tb@y\0\0"s, EnvelopeError::Kind::malformed},
                    BadEnvelope{"wrong_rcpt_letter", "Fa@x\0Xb@y\0\0"s, EnvelopeError::Kind::malformed},
                    BadEnvelope{"trailing_bytes", "Fa@x\0Tb@y\0\0junk"s, EnvelopeError::Kind::malformed},
                    BadEnvelope{"long_sender", "F" + std::string(17, 'a') + "\0Tb@y\0\0"s,
                                EnvelopeError::Kind::too_long},
                    BadEnvelope{"long_rcpt", "Fa@x\0T" + std::string(17, 'b') + "\0\0"s,
                                EnvelopeError::Kind::too_long},
                    BadEnvelope{"too_many", "Fa@x\0Tb@y\0Tc@y\0Td@y\0\0"s, EnvelopeError::Kind::too_many}),
    [](const testing::TestParamInfo<BadEnvelope>& p) { return std::string(p.param.name); });

TEST(EnvelopeTest, AddressAtTheLimitIsAccepted) {
  EnvelopeLimits limits;
  limits.max_address = 16;
  auto e = parseEnvelope("F" + std::string(16, 'a') + "\0Tb@y\0\0"s, limits);
  EXPECT_TRUE(e.has_value());
}

// readEnvelope gets the envelope in pieces from a pipe, as from qmail-smtpd.
TEST(EnvelopeTest, ReadsFromADescriptorUntilTheFinalNul) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string wire = "Fa@example.com\0Tb@example.net\0\0"s;
  ASSERT_EQ(::write(fds[1], wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  ::close(fds[1]);
  auto e = readEnvelope(fds[0], {});
  ::close(fds[0]);
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->recipients.size(), 1u);
}

TEST(EnvelopeTest, EndOfFileBeforeTheEnvelopeIsIncomplete) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[1]);  // qmail-smtpd gave up: no envelope at all
  auto e = readEnvelope(fds[0], {});
  ::close(fds[0]);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().kind, EnvelopeError::Kind::incomplete);
}

TEST(EnvelopeTest, AngleAndBareAddresses) {
  EXPECT_EQ(angleAddress("a@b"), "<a@b>");
  EXPECT_EQ(angleAddress(""), "<>");
  EXPECT_EQ(bareAddress("<a@b>"), "a@b");
  EXPECT_EQ(bareAddress(" <a@b> "), "a@b");
  EXPECT_EQ(bareAddress("a@b"), "a@b");
  EXPECT_EQ(bareAddress("<>"), "");
}

}  // namespace
}  // namespace signet::qmail
