// signet-milter's ARC step (RFC 8617; signet.conf(5) "ARC"): arc= in its
// Authentication-Results, sealing with ARCSeal and the keys it names or the
// DKIM keys, earlier milters' results sealed along, On-ARCFail, DNS errors
// under On-DNSError, and an openarc.conf read with OpenARC's meaning. Each
// sealed message is put together from the session's edits and validated
// again by the core.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "config_test_support.h"
#include "session_test_support.h"
#include "signet/arc_validator.h"

namespace signet::milter {
namespace {

using coretest::keyRecord;
using coretest::testKeys;

class SessionArcTest : public SessionTest {
 protected:
  void SetUp() override {
    key_path_ = dir_.write("arc.private", *testKeys().rsa->toPem());
    ed_path_ = dir_.write("ed.private", *testKeys().ed25519->toPem());
  }

  void publish() {
    resolver_->publish("arc._domainkey.forwarder.example", {keyRecord(*testKeys().rsa)});
    resolver_->publish("ed._domainkey.lists.example.net", {keyRecord(*testKeys().ed25519)});
  }

  void buildSealing(const std::string& more = "") {
    build("ARCSeal all\nARCDomain forwarder.example\nARCSelector arc\nARCKeyFile " + key_path_ + "\n" + more);
    publish();
  }

  static Fields arriving() {
    return {{"Received", " from client.example.org by mx.test; Mon, 7 Dec 2026 10:00:00 +0000"},
            {"From", " Joe <joe@example.com>"},
            {"To", " list@forwarder.example"},
            {"Subject", " ARC through a milter"},
            {"Date", " Mon, 7 Dec 2026 10:00:00 +0000"},
            {"Message-ID", " <arc-milter@example.com>"}};
  }

  static constexpr const char* kBody = "Hello,\r\nthrough the forwarder.\r\n";

  // The message as the MTA delivers it: inserted fields on top (as the glue
  // inserts them, at index 0 in reverse), the arriving ones less those
  // removed, then the body.
  static std::string delivered(const Outcome& o, const Fields& headers, const std::string& body) {
    std::string out;
    for (const auto& i : o.inserts) {
      std::string value;
      for (char c : i.value) value += c == '\n' ? std::string("\r\n") : std::string(1, c);
      out += i.name + ":" + value + "\r\n";
    }
    std::map<std::string, int> seen;
    for (const auto& [name, value] : headers) {
      const int index = ++seen[toLower(name)];
      bool removed = false;
      for (const auto& r : o.removals)
        if (headerNameEquals(r.name, name) && r.index == index) removed = true;
      if (removed) continue;
      std::string v;
      for (char c : value) v += c == '\n' ? std::string("\r\n") : std::string(1, c);
      out += name + ":" + v + "\r\n";
    }
    return out + "\r\n" + body;
  }

  // The fields of a delivered message, in order, for the next hop.
  static Fields fieldsOf(const std::string& message) {
    Fields out;
    const std::string head = message.substr(0, message.find("\r\n\r\n"));
    std::size_t start = 0;
    while (start < head.size()) {
      std::size_t end = head.find("\r\n", start);
      while (end != std::string::npos && end + 2 < head.size() &&
             (head[end + 2] == ' ' || head[end + 2] == '\t'))
        end = head.find("\r\n", end + 2);
      const std::string field =
          head.substr(start, end == std::string::npos ? std::string::npos : end - start);
      const auto colon = field.find(':');
      std::string value;
      for (std::size_t i = colon + 1; i < field.size(); ++i)
        if (field[i] != '\r') value += field[i];
      out.emplace_back(field.substr(0, colon), value);
      if (end == std::string::npos) break;
      start = end + 2;
    }
    return out;
  }

  ArcResult validate(const std::string& message) {
    auto result = validateArcMessage(holder_->get()->verifier, message);
    EXPECT_TRUE(result.has_value());
    return result.value_or(ArcResult{});
  }

  static std::vector<std::string> names(const Outcome& o) {
    std::vector<std::string> out;
    for (const auto& i : o.inserts) out.push_back(i.name);
    return out;
  }

  test::TempDir dir_;
  std::string key_path_;
  std::string ed_path_;
};

TEST_F(SessionArcTest, WithoutArcConfiguredNothingChanges) {
  build("");
  const Outcome o = run(arriving(), kBody);
  EXPECT_EQ(names(o), std::vector<std::string>{"Authentication-Results"});
  EXPECT_EQ(insertedResults(o).find("arc="), std::string::npos) << insertedResults(o);
}

TEST_F(SessionArcTest, SealsWhatItVerifiesAndTheSetValidates) {
  buildSealing();
  const Outcome o = run(arriving(), kBody);
  EXPECT_EQ(o.reply.action, Action::accept);
  ASSERT_EQ(names(o), (std::vector<std::string>{"ARC-Seal", "ARC-Message-Signature",
                                                "ARC-Authentication-Results", "Authentication-Results"}))
      << o.log_line;
  EXPECT_NE(insertedResults(o).find("arc=none smtp.remote-ip=192.0.2.1"), std::string::npos)
      << insertedResults(o);
  const std::string& aar = o.inserts[2].value;
  EXPECT_NE(aar.find(" i=1; mx.test;"), std::string::npos) << aar;
  EXPECT_NE(aar.find("dkim=none"), std::string::npos) << aar;  // our DKIM result goes into the AAR
  EXPECT_NE(o.log_line.find("sealed i=1 cv=none d=forwarder.example s=arc"), std::string::npos) << o.log_line;
  const ArcResult r = validate(delivered(o, arriving(), kBody));
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
  EXPECT_EQ(r.domain, "forwarder.example");
}

TEST_F(SessionArcTest, ArcResultIsOneMoreResinfoOfTheFieldAndOfItsXCopy) {
  buildSealing("XAuthenticationResults yes\n");
  const Outcome o = run(arriving(), kBody);
  std::string x;
  for (const auto& i : o.inserts)
    if (i.name == "X-Authentication-Results") x = i.value;
  EXPECT_EQ(insertedResults(o), " mx.test;\n\tdkim=none;\n\tarc=none smtp.remote-ip=192.0.2.1");
  EXPECT_EQ(x, insertedResults(o)) << "s/qmail's copy has the same value";
}

TEST_F(SessionArcTest, SecondHopValidatesAndSealsWithCvPass) {
  buildSealing();
  const std::string first = delivered(run(arriving(), kBody), arriving(), kBody);
  // The second hop: another host with its own sealing key.
  build("ARCSeal all\nARCDomain lists.example.net\nARCSelector ed\nARCKeyFile " + ed_path_ + "\n");
  publish();
  const Fields hop2 = fieldsOf(first);
  const Outcome o = run(hop2, kBody);
  EXPECT_NE(insertedResults(o).find("arc=pass"), std::string::npos) << insertedResults(o);
  EXPECT_NE(o.log_line.find("sealed i=2 cv=pass d=lists.example.net"), std::string::npos) << o.log_line;
  const ArcResult r = validate(delivered(o, hop2, kBody));
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
  EXPECT_EQ(r.instances, 2u);
}

TEST_F(SessionArcTest, BrokenChainIsReportedAndOnArcFailDecides) {
  buildSealing();
  const std::string first = delivered(run(arriving(), kBody), arriving(), kBody);
  build("On-ARCFail reject\n");
  publish();
  const std::string tampered = "Hello,\r\nthrough the forwarder, changed.\r\n";
  const Outcome o = run(fieldsOf(first), tampered);
  EXPECT_NE(insertedResults(o).find("arc=fail"), std::string::npos) << insertedResults(o);
  EXPECT_EQ(o.reply.action, Action::reject);
  EXPECT_EQ(o.reply.rcode, "550");
  EXPECT_NE(o.reply.text.find("ARC chain did not validate"), std::string::npos) << o.reply.text;
}

TEST_F(SessionArcTest, EarlierMiltersResultsAreSealedAlongAndKept) {
  buildSealing();
  Fields headers = arriving();
  // An SPF milter before us wrote its result on top; a forged one came in below Received.
  headers.insert(headers.begin(), {"Authentication-Results", " mx.test; spf=pass smtp.mailfrom=example.com"});
  headers.push_back({"Authentication-Results", " mx.test; dkim=pass header.d=forged.example"});
  const Outcome o = run(headers, kBody);
  const std::string& aar = o.inserts[2].value;
  EXPECT_NE(aar.find("spf=pass smtp.mailfrom=example.com"), std::string::npos) << aar;
  EXPECT_EQ(aar.find("forged.example"), std::string::npos) << aar;
  ASSERT_EQ(o.removals.size(), 1u);
  EXPECT_EQ(o.removals[0].index, 2);  // the forged one only
  EXPECT_EQ(validate(delivered(o, headers, kBody)).verdict, Verdict::pass);
}

TEST_F(SessionArcTest, AStatedArcPassCannotMakeAChainOutOfNone) {
  // An internal host's arc= stands for cv=, but a message with no ARC set
  // starts a chain with cv=none whatever it says (RFC 8617 section 5.1).
  buildSealing("InternalHosts 192.0.2.0/24\n");
  Fields headers = arriving();
  headers.insert(headers.begin(), {"Authentication-Results", " mx.test; arc=pass"});
  const Outcome o = run(headers, kBody);
  ASSERT_FALSE(o.inserts.empty());
  EXPECT_NE(o.inserts[0].value.find("cv=none"), std::string::npos) << o.inserts[0].value;
  const ArcResult r = validate(delivered(o, headers, kBody));
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
}

TEST_F(SessionArcTest, OutboundSealsSignedMailWithTheDkimKeyOverItsSignature) {
  const std::string dkim_key = dir_.write("s1.private", *testKeys().rsa->toPem());
  build("Mode sv\nDomain example.com\nSelector rsa\nKeyFile " + dkim_key +
        "\nARCSeal outbound\nInternalHosts 192.0.2.0/24\n");
  const Outcome o = run(arriving(), kBody);
  ASSERT_EQ(names(o), (std::vector<std::string>{"ARC-Seal", "ARC-Message-Signature",
                                                "ARC-Authentication-Results", "DKIM-Signature"}))
      << o.log_line;
  EXPECT_NE(o.inserts[1].value.find("dkim-signature"), std::string::npos)
      << "the AMS covers the new signature";
  const std::string message = delivered(o, arriving(), kBody);
  EXPECT_EQ(validate(message).verdict, Verdict::pass);
  const auto dkim = verifyMessage(holder_->get()->verifier, message);
  ASSERT_TRUE(dkim.has_value());
  ASSERT_EQ(dkim->size(), 1u);
  EXPECT_EQ((*dkim)[0].verdict, Verdict::pass) << (*dkim)[0].reason;
}

TEST_F(SessionArcTest, ArrivingChainWithDnsTroubleFollowsOnDnsError) {
  buildSealing();
  const std::string first = delivered(run(arriving(), kBody), arriving(), kBody);
  buildSealing();
  resolver_->fail("arc._domainkey.forwarder.example", DnsStatus::temporary_failure, "SERVFAIL");
  const Outcome o = run(fieldsOf(first), kBody);
  EXPECT_NE(insertedResults(o).find("arc=temperror"), std::string::npos) << insertedResults(o);
  EXPECT_EQ(o.reply.action, Action::tempfail) << o.log_line;
  EXPECT_NE(o.log_line.find("not sealed"), std::string::npos) << o.log_line;
}

TEST_F(SessionArcTest, OpenArcConfigurationSealsAndValidatesWithoutDkim) {
  const std::string conf = dir_.write("openarc.conf",
                                      "AuthservID mx.test\nMode sv\nDomain forwarder.example\n"
                                      "Selector arc\nKeyFile " +
                                          key_path_ + "\nMinimumKeySizeRSA 1024\n");
  auto config = loadConfig(conf);
  ASSERT_TRUE(config.has_value()) << config.error().text();
  EXPECT_TRUE(config->openarc_dialect);
  EXPECT_TRUE(config->mode.empty()) << "OpenARC does no DKIM";
  resolver_ = std::make_shared<coretest::FakeResolver>();
  auto engine = Engine::build(*config, resolver_);
  ASSERT_TRUE(engine.has_value()) << engine.error().text();
  holder_ = std::make_unique<EngineHolder>(*engine);
  publish();
  const Outcome o = run(arriving(), kBody);
  ASSERT_EQ(names(o), (std::vector<std::string>{"ARC-Seal", "ARC-Message-Signature",
                                                "ARC-Authentication-Results", "Authentication-Results"}))
      << o.log_line;
  EXPECT_NE(insertedResults(o).find("arc=none"), std::string::npos);
  EXPECT_EQ(insertedResults(o).find("dkim="), std::string::npos) << insertedResults(o);
  // OpenARC's default canonicalization is relaxed/simple.
  EXPECT_NE(o.inserts[1].value.find("c=relaxed/simple"), std::string::npos) << o.inserts[1].value;
  const ArcResult r = validate(delivered(o, arriving(), kBody));
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
}

TEST_F(SessionArcTest, PeerListIsLeftAlone) {
  buildSealing("PeerList 192.0.2.0/24\n");
  const Outcome o = run(arriving(), kBody);
  EXPECT_TRUE(o.inserts.empty());
  EXPECT_NE(o.log_line.find("PeerList"), std::string::npos) << o.log_line;
}

TEST_F(SessionArcTest, SealHeaderChecksGateTheSeal) {
  const std::string checks = dir_.write("checks", "List-Id:.*lists\\.example\\.net\n");
  buildSealing("SealHeaderChecks " + checks + "\n");
  const std::vector<std::string> unlisted = names(run(arriving(), kBody));
  EXPECT_EQ(std::find(unlisted.begin(), unlisted.end(), "ARC-Seal"), unlisted.end());
  Fields listed = arriving();
  listed.push_back({"List-Id", " <announce.lists.example.net>"});
  EXPECT_EQ(names(run(listed, kBody)).front(), "ARC-Seal");
}

TEST_F(SessionArcTest, SealingTableKeysByRecipient) {
  const std::string ed = dir_.write("keys/ed.private", *testKeys().ed25519->toPem());
  const std::string table = dir_.write("KeyTable", "lists lists.example.net:ed:" + ed + "\n");
  const std::string sealing = dir_.write("ARCSealingTable", "*@lists.example.net lists\n");
  build("ARCSeal all\nKeyTable " + table + "\nSigningTable refile:" + sealing +
        "\nARCSealingTable refile:" + sealing + "\n");
  publish();
  Session session(*holder_);
  sockaddr_in client{};
  client.sin_family = AF_INET;
  client.sin_addr.s_addr = htonl(0xC0000201);
  session.connect("client.example.org", reinterpret_cast<const sockaddr*>(&client));
  session.mailFrom({});
  session.recipient("<announce@lists.example.net>");
  for (const auto& [name, value] : arriving()) session.header(name, value);
  session.endOfHeaders();
  session.body(std::span<const char>(kBody, std::strlen(kBody)));
  const Outcome o = session.endOfMessage("Q2");
  EXPECT_NE(o.log_line.find("d=lists.example.net s=ed"), std::string::npos) << o.log_line;
  // A message for someone else gets no seal: no key applies.
  const Outcome other = message(session, arriving(), kBody, "Q3");
  EXPECT_NE(other.log_line.find("no sealing key"), std::string::npos) << other.log_line;
}

TEST_F(SessionArcTest, ConfigurationErrorsNameWhatIsMissing) {
  struct Case {
    std::string lines;
    const char* error;
  };
  for (const Case& c : {Case{"ARCSeal all\n", "ARCSeal is set but no key can seal"},
                        Case{"ARCKeyFile /x\n", "ARCKeyFile is set but ARCDomain is not"},
                        Case{"ARCDomain example.org\n", "ARCDomain is set but ARCKeyFile is not"},
                        Case{"ARCSeal sometimes\n", "expected none, outbound"},
                        Case{"On-ARCFail maybe\n", "expected accept, reject"},
                        Case{"ARCSealingTable refile:/x\n", "ARCSealingTable names KeyTable entries"}}) {
    auto config = parseConfig("Mode v\n" + c.lines, "t.conf");
    ASSERT_FALSE(config.has_value()) << c.lines;
    EXPECT_NE(config.error().text().find(c.error), std::string::npos)
        << c.lines << ": " << config.error().text();
  }
  auto openarc = parseConfig("Mode s\n", "/etc/openarc.conf");
  ASSERT_FALSE(openarc.has_value());
  EXPECT_NE(openarc.error().text().find("Mode includes s (seal) but no sealing key"), std::string::npos)
      << openarc.error().text();
  const std::string bad = dir_.write("bad-checks", "Subject:([\n");
  auto regex = parseConfig("SealHeaderChecks " + bad + "\n", "t.conf");
  ASSERT_FALSE(regex.has_value());
  EXPECT_NE(regex.error().text().find("bad regular expression"), std::string::npos) << regex.error().text();
}

}  // namespace
}  // namespace signet::milter
