// What qmail-signet decides reaches the session as {signet_mode} and
// {signet_dksign} (qmail-signet(8), MODES): "verify" is never signed, even
// from an internal host; "sign" signs from anywhere; a DKSIGN key named and
// refused follows On-InternalError instead of leaving unsigned.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "config_test_support.h"
#include "session_test_support.h"

namespace signet::milter {
namespace {

using test::TempDir;

class SessionQmailModeTest : public SessionTest {
 protected:
  void SetUp() override {
    keys_.write("keys/example.com/dk1.private", test::rsaPem());
    keys_.write("keys/example.com/open.private", test::rsaPem(), 0644);
    const std::string key_file = keys_.write("keys/mail.private", test::rsaPem());
    build("Mode sv\nInternalHosts 127.0.0.1\nKeyDirectory " + (keys_ / "keys") +
          "\nDomain example.com\nSelector mail\nKeyFile " + key_file + "\n");
  }

  // One message from `client` (127.0.0.1 is internal here) with the macros qmail-signet sends.
  Outcome play(std::uint32_t client, const std::string& mode, const std::string& dksign = "") {
    Session session(*holder_);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(client);
    session.connect("client", reinterpret_cast<const sockaddr*>(&address));
    Envelope envelope;
    envelope.qmail_mode = mode;
    envelope.dksign = dksign;
    session.mailFrom(envelope);
    session.header("From", " Alice <alice@example.com>");
    session.header("Subject", " qmail mode");
    session.endOfHeaders();
    const std::string body = "Hello\r\n";
    session.body(std::span<const char>(body.data(), body.size()));
    return session.endOfMessage("Q1");
  }

  static std::string signatures(const Outcome& o) {
    std::string out;
    for (const auto& i : o.inserts)
      if (i.name == "DKIM-Signature") out += i.value + "\n";
    return out;
  }

  static constexpr std::uint32_t kLoopback = 0x7F000001;
  static constexpr std::uint32_t kOutside = 0xC0000201;
  TempDir keys_;
};

TEST_F(SessionQmailModeTest, VerifyIsNeverSignedEvenFromAnInternalHost) {
  EXPECT_NE(signatures(play(kLoopback, "")), "") << "without the macro, InternalHosts signs";
  const Outcome o = play(kLoopback, "verify");
  EXPECT_EQ(signatures(o), "") << o.log_line;
  EXPECT_NE(insertedResults(o), "") << "verified instead: " << o.log_line;
  EXPECT_EQ(o.reply.action, Action::accept);
}

TEST_F(SessionQmailModeTest, SignIsSignedFromAnExternalHost) {
  EXPECT_EQ(signatures(play(kOutside, "")), "");
  const Outcome o = play(kOutside, "sign");
  EXPECT_NE(signatures(o).find("s=mail"), std::string::npos) << o.log_line;
}

TEST_F(SessionQmailModeTest, DksignNamesTheKey) {
  const Outcome o = play(kOutside, "sign", keys_ / "keys/%/dk1.private");
  EXPECT_NE(signatures(o).find("s=dk1"), std::string::npos) << o.log_line;
}

TEST_F(SessionQmailModeTest, DksignKeyRefusedFollowsOnInternalError) {
  for (const std::string& path : {keys_ / "keys/example.com/open.private",   // group/other may read it
                                  keys_ / "keys/example.com/missing.private",  // no '%': named and absent
                                  keys_ / "keys/../mail.private"}) {
    SCOPED_TRACE(path);
    const Outcome o = play(kOutside, "sign", path);
    EXPECT_EQ(signatures(o), "");
    EXPECT_EQ(o.reply.action, Action::reject) << "On-InternalError reject: " << o.log_line;
    EXPECT_NE(o.log_line.find("DKSIGN key refused"), std::string::npos) << o.log_line;
  }
}

TEST_F(SessionQmailModeTest, DksignPercentWithoutAFileForTheDomainIsNotSigned) {
  const Outcome o = play(kOutside, "sign", keys_ / "keys/%/nosuch.private");
  EXPECT_EQ(signatures(o), "");
  EXPECT_EQ(o.reply.action, Action::accept) << o.log_line;
}

}  // namespace
}  // namespace signet::milter
