// DNS faults, end to end: a signed message verified through UnboundResolver
// forwarding to servers on loopback that misbehave on purpose, and to a real
// unbound. Each fault must give the RFC 8601 result RFC 6376 section 6.1.2
// asks for: a failure that may go away is temperror, a key that is not there
// or not usable is permerror, a key that does not match is fail.
//
//   fault                                   result      problem
//   no answer (timeout)                     temperror   dns_temporary
//   SERVFAIL, REFUSED                       temperror   dns_temporary
//   truncated (TC) and no TCP service       temperror   dns_temporary
//   garbage instead of a DNS message        temperror   dns_temporary
//   NXDOMAIN, no TXT at the name            permerror   no_key
//   TXT larger than max_txt_bytes           permerror   no_key
//   several TXT records, one is the key     pass
//   several TXT records, none is the key    fail        bad_signature
//   DNSSEC bogus (real unbound)             temperror   dns_temporary
#include <gtest/gtest.h>

#include "../dns/dns_test_support.h"
#include "engine_test_support.h"
#include "signet/unbound_resolver.h"

namespace signet {
namespace {

using namespace std::chrono_literals;

using BrokenResponder = test::DnsResponder;

// A response carrying several TXT records: the first made by dnsResponse,
// the others appended (same owner name, by compression pointer).
std::vector<std::uint8_t> severalRecords(const std::vector<std::uint8_t>& query,
                                         const std::vector<std::string>& records) {
  auto out = test::dnsResponse(query, 0, {records.front()}, 300);
  if (out.empty()) return out;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const std::string& r = records[i];
    const std::uint8_t fixed[] = {0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 1, 44,
                                  static_cast<std::uint8_t>((r.size() + 1) >> 8),
                                  static_cast<std::uint8_t>(r.size() + 1),
                                  static_cast<std::uint8_t>(r.size())};
    out.insert(out.end(), std::begin(fixed), std::end(fixed));
    out.insert(out.end(), r.begin(), r.end());
  }
  out[7] = static_cast<std::uint8_t>(records.size());  // ANCOUNT
  return out;
}

class DnsFaultTest : public testing::Test {
 protected:
  // The RSA test key's record; records of up to 255 bytes fit one string.
  static std::string key() { return coretest::keyRecord(*coretest::testKeys().rsa); }

  static std::string signedMessage() {
    return coretest::signMessage(coretest::kMessage, {coretest::makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  }

  SignatureResult verifyThrough(const std::string& nameserver, std::size_t max_txt_bytes = 8192) {
    UnboundOptions options;
    options.nameservers = {nameserver};
    options.timeout = 400ms;
    options.max_txt_bytes = max_txt_bytes;
    auto resolver = makeUnboundResolver(options);
    if (!resolver) {
      ADD_FAILURE() << resolver.error().message;
      return {};
    }
    return coretest::verifyOne(coretest::verifierOptions(**resolver), signedMessage());
  }

  static BrokenResponder::Respond answering(int rcode, std::vector<std::string> strings = {}) {
    return [=](const std::vector<std::uint8_t>& q) { return test::dnsResponse(q, rcode, strings, 300); };
  }
};

TEST_F(DnsFaultTest, AWorkingResponderPasses) {
  const std::string record = key();
  ASSERT_LE(record.size(), 255u) << "the test key's record must fit one character-string";
  BrokenResponder dns(answering(0, {record}));
  const SignatureResult r = verifyThrough(dns.nameserver());
  EXPECT_EQ(r.verdict, Verdict::pass) << coretest::summary(r);
}

TEST_F(DnsFaultTest, NoAnswerIsTemperror) {
  BrokenResponder dns([](const std::vector<std::uint8_t>&) { return std::vector<std::uint8_t>{}; });
  const SignatureResult r = verifyThrough(dns.nameserver());
  EXPECT_EQ(r.verdict, Verdict::temperror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::dns_temporary);
}

TEST_F(DnsFaultTest, ServfailAndRefusedAreTemperror) {
  for (int rcode : {2, 5}) {
    BrokenResponder dns(answering(rcode));
    const SignatureResult r = verifyThrough(dns.nameserver());
    EXPECT_EQ(r.verdict, Verdict::temperror) << "rcode " << rcode << ": " << coretest::summary(r);
    EXPECT_EQ(r.problem, Problem::dns_temporary);
  }
}

TEST_F(DnsFaultTest, TruncatedAnswerWithoutTcpIsTemperror) {
  BrokenResponder dns([](const std::vector<std::uint8_t>& q) {
    auto out = test::dnsResponse(q, 0, {}, 300);
    if (!out.empty()) out[2] |= 0x02;  // TC: the answer did not fit; nobody serves TCP here
    return out;
  });
  const SignatureResult r = verifyThrough(dns.nameserver());
  EXPECT_EQ(r.verdict, Verdict::temperror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::dns_temporary);
}

TEST_F(DnsFaultTest, GarbageIsTemperror) {
  BrokenResponder dns([](const std::vector<std::uint8_t>& q) {
    std::vector<std::uint8_t> out(q.begin(), q.begin() + std::min<std::size_t>(q.size(), 2));
    out.insert(out.end(), {0x81, 0x80, 0xFF, 0xFF, 0x00, 0x09, 0xDE, 0xAD});  // counts that lie
    return out;
  });
  const SignatureResult r = verifyThrough(dns.nameserver());
  EXPECT_EQ(r.verdict, Verdict::temperror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::dns_temporary);
}

TEST_F(DnsFaultTest, NxdomainAndNoTxtArePermerrorNoKey) {
  BrokenResponder nxdomain(answering(3));
  SignatureResult r = verifyThrough(nxdomain.nameserver());
  EXPECT_EQ(r.verdict, Verdict::permerror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::no_key);

  BrokenResponder nodata(answering(0));  // NOERROR without an answer
  r = verifyThrough(nodata.nameserver());
  EXPECT_EQ(r.verdict, Verdict::permerror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::no_key);
}

TEST_F(DnsFaultTest, RecordOverTheTxtLimitIsPermerror) {
  const std::string record = key();
  BrokenResponder dns(answering(0, {record}));
  const SignatureResult r = verifyThrough(dns.nameserver(), record.size() - 1);
  EXPECT_EQ(r.verdict, Verdict::permerror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::no_key);
}

TEST_F(DnsFaultTest, SeveralRecordsOneOfThemTheKeyPasses) {
  const std::string other = coretest::keyRecord(*coretest::testKeys().ed25519);
  BrokenResponder dns([&](const std::vector<std::uint8_t>& q) {
    return severalRecords(q, {"v=DKIM1; p=not base64 !", other, key()});
  });
  const SignatureResult r = verifyThrough(dns.nameserver());
  EXPECT_EQ(r.verdict, Verdict::pass) << coretest::summary(r);
}

TEST_F(DnsFaultTest, SeveralRecordsNoneOfThemTheKeyFails) {
  auto wrong = PrivateKey::generate(KeyType::rsa, 1024);
  ASSERT_TRUE(wrong.has_value());
  const std::string record = coretest::keyRecord(**wrong);
  BrokenResponder dns([&](const std::vector<std::uint8_t>& q) { return severalRecords(q, {record, record}); });
  const SignatureResult r = verifyThrough(dns.nameserver());
  EXPECT_EQ(r.verdict, Verdict::fail) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::bad_signature);
}

// A real unbound serves the key unsigned while the resolver holds a trust
// anchor for the zone: validation fails (bogus), which may be an attack or a
// broken zone, and is never taken as "no key".
TEST_F(DnsFaultTest, DnssecBogusIsTemperror) {
  test::TempDir dir;
  test::UnboundDaemon daemon(dir, "  local-zone: \"example.com.\" static\n"
                                  "  local-data: 'rsa._domainkey.example.com. 300 IN TXT \"" + key() + "\"'\n");
  ASSERT_TRUE(daemon.waitReady()) << "unbound did not start:\n" << daemon.log();
  const std::string anchor =
      dir.write("example.com.ds", "example.com. IN DS 12345 8 2 "
                                  "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE6F0E5E1A9A1F1B0E4C4E5A6B\n");
  UnboundOptions options;
  options.nameservers = {daemon.nameserver()};
  options.trust_anchor_file = anchor;
  options.timeout = 2000ms;
  auto resolver = makeUnboundResolver(options);
  ASSERT_TRUE(resolver.has_value()) << resolver.error().message;
  const SignatureResult r = coretest::verifyOne(coretest::verifierOptions(**resolver), signedMessage());
  EXPECT_EQ(r.verdict, Verdict::temperror) << coretest::summary(r);
  EXPECT_EQ(r.problem, Problem::dns_temporary);
}

}  // namespace
}  // namespace signet
