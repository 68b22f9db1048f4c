// The limits a stranger's message meets in signet-milter's Session
// (docs/limits.md): header fields and header bytes (past either, nothing
// more is kept and On-InternalError decides), the tag-list size of a
// signature, and the size of a key record from DNS.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <fstream>
#include <string>

#include "../core/engine/engine_test_support.h"
#include "config_test_support.h"
#include "session_test_support.h"
#include "signet/unbound_resolver.h"

namespace signet::milter {
namespace {

class SessionLimitsTest : public SessionTest {
 protected:
  static std::vector<std::pair<std::string, std::string>> manyFields(std::size_t n) {
    std::vector<std::pair<std::string, std::string>> h = {{"From", " joe@example.com"}};
    for (std::size_t i = 1; i < n; ++i) h.push_back({"X-Filler", " " + std::to_string(i)});
    return h;
  }
};

TEST_F(SessionLimitsTest, HeaderFieldsUpToTheLimitAreVerified) {
  build("MaximumHeaders 50\n");
  const Outcome o = run(manyFields(50), "body\r\n");
  EXPECT_EQ(o.reply.action, Action::accept) << o.log_line;
  EXPECT_NE(insertedResults(o).find("dkim=none"), std::string::npos) << o.log_line;
}

TEST_F(SessionLimitsTest, OneFieldOverTheLimitGoesToOnInternalError) {
  build("MaximumHeaders 50\n");
  const Outcome o = run(manyFields(51), "body\r\n");
  EXPECT_EQ(o.reply.action, Action::reject) << o.log_line;
  EXPECT_TRUE(o.inserts.empty());
  EXPECT_NE(o.log_line.find("MaximumHeaders"), std::string::npos) << o.log_line;
}

TEST_F(SessionLimitsTest, HeaderBytesOverTheLimitGoToOnInternalError) {
  build("MaximumHeaderBytes 2048\n");
  const Outcome small = run({{"From", " joe@example.com"}, {"Subject", " " + std::string(1900, 's')}}, "b\r\n");
  EXPECT_EQ(small.reply.action, Action::accept) << small.log_line;
  const Outcome big = run({{"From", " joe@example.com"}, {"Subject", " " + std::string(2100, 's')}}, "b\r\n");
  EXPECT_EQ(big.reply.action, Action::reject) << big.log_line;
  EXPECT_NE(big.log_line.find("MaximumHeaderBytes"), std::string::npos) << big.log_line;
}

TEST_F(SessionLimitsTest, TheLimitIsPerMessageNotPerConnection) {
  build("MaximumHeaders 50\n");
  Session session(*holder_);
  session.connect("localhost", nullptr);
  for (int n = 0; n < 3; ++n) {
    const Outcome o = message(session, manyFields(40), "", "Q" + std::to_string(n));
    EXPECT_EQ(o.log_line.find("MaximumHeaders"), std::string::npos) << "message " << n << ": " << o.log_line;
  }
}

TEST_F(SessionLimitsTest, SignatureOverTheTagListLimitIsPermerror) {
  const std::string signed_message = coretest::signMessage(
      coretest::kMessage, {coretest::makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  // Split the signed message back into fields for the session.
  std::vector<std::pair<std::string, std::string>> fields;
  const std::size_t end = signed_message.find("\r\n\r\n");
  std::size_t pos = 0;
  while (pos < end) {
    std::size_t eol = signed_message.find("\r\n", pos);
    while (eol < end && (signed_message[eol + 2] == ' ' || signed_message[eol + 2] == '\t'))
      eol = signed_message.find("\r\n", eol + 2);
    const std::string field = signed_message.substr(pos, eol - pos);
    const std::size_t colon = field.find(':');
    std::string value = field.substr(colon + 1);
    for (std::size_t at; (at = value.find("\r\n")) != std::string::npos;) value.replace(at, 2, "\n");
    fields.push_back({field.substr(0, colon), value});
    pos = eol + 2;
  }
  const std::string body = signed_message.substr(end + 4);

  build("");
  const Outcome within = run(fields, body);
  EXPECT_NE(insertedResults(within).find("dkim=pass"), std::string::npos) << insertedResults(within);

  build("MaximumTagListBytes 256\n");  // an RSA-1024 signature's tag list is longer
  const Outcome over = run(fields, body);
  EXPECT_NE(insertedResults(over).find("dkim=permerror"), std::string::npos) << insertedResults(over);
}

TEST(EngineLimitsTest, KeyRecordOverTheLimitIsNoKey) {
  test::TempDir dir;
  const std::string record = "v=DKIM1; k=rsa; n=" + std::string(200, 'n') + "; p=AAAA";
  const std::string conf = dir / "unbound.conf";
  // Two character-strings (each at most 255 bytes), joined to one record of 226 bytes + 100.
  std::ofstream(conf) << "server:\n  local-zone: \"example.com.\" static\n"
                         "  local-data: 'big._domainkey.example.com. 300 IN TXT \""
                      << record << "\" \"" << std::string(100, 'x') << "\"'\n";
  for (const auto& [limit, expected] : {std::pair{std::string("65535"), DnsStatus::found},
                                        std::pair{std::string("256"), DnsStatus::no_record}}) {
    auto engine = Engine::build(configWith("ResolverConfiguration " + conf + "\nMaximumKeyRecordBytes " + limit + "\n"));
    ASSERT_TRUE(engine.has_value()) << engine.error().text();
    const TxtAnswer a = (*engine)->resolver->lookupTxt("big._domainkey.example.com");
    EXPECT_EQ(a.status, expected) << "limit " << limit << ": " << a.reason;
  }
}

}  // namespace
}  // namespace signet::milter
