// UnboundResolver against an unbound.conf with a static local zone (no
// network): joined character-strings, several records, NODATA, NXDOMAIN,
// limits, invalid names, concurrency; and the option checks.
#include "signet/unbound_resolver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dns_test_support.h"

namespace signet {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

const std::string kLocalZone =
    "  local-zone: \"example.test.\" static\n"
    "  local-data: 'split.example.test. 3600 IN TXT \"v=DKIM1; k=rsa; \" \"p=MIGfMA0GCSqGSIb3\" "
    "\"DQEBAQUAA4GNADCBiQKBgQ\"'\n"
    "  local-data: 'two.example.test. 3600 IN TXT \"first record\"'\n"
    "  local-data: 'two.example.test. 3600 IN TXT \"second\" \" record\"'\n"
    "  local-data: 'addr.example.test. 3600 IN A 192.0.2.1'\n"
    "  local-data: 'big.example.test. 3600 IN TXT \"0123456789\" \"0123456789\"'\n";

class LocalZoneTest : public ::testing::Test {
 protected:
  std::unique_ptr<Resolver> make(UnboundOptions options = {}) {
    options.resolver_config = dir_.write("unbound.conf", "server:\n" + kLocalZone);
    auto made = makeUnboundResolver(options);
    if (!made) ADD_FAILURE() << made.error().message;
    return made ? std::move(*made) : nullptr;
  }
  TempDir dir_;
};

TEST_F(LocalZoneTest, CharacterStringsOfOneRecordAreJoined) {
  auto resolver = make();
  ASSERT_TRUE(resolver);
  const TxtAnswer a = resolver->lookupTxt("split.example.test");
  ASSERT_EQ(a.status, DnsStatus::found) << a.reason;
  EXPECT_EQ(a.records, std::vector<std::string>{"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ"});
  EXPECT_FALSE(a.secure);
  EXPECT_GT(a.ttl, 0u);
  EXPECT_LE(a.ttl, 3600u);
}

TEST_F(LocalZoneTest, TwoRecordsAtOneNameAreBothReturned) {
  auto resolver = make();
  ASSERT_TRUE(resolver);
  TxtAnswer a = resolver->lookupTxt("two.example.test.");
  ASSERT_EQ(a.status, DnsStatus::found) << a.reason;
  std::sort(a.records.begin(), a.records.end());
  EXPECT_EQ(a.records, (std::vector<std::string>{"first record", "second record"}));
}

TEST_F(LocalZoneTest, NameWithoutTxtIsNoRecord) {
  auto resolver = make();
  ASSERT_TRUE(resolver);
  const TxtAnswer a = resolver->lookupTxt("addr.example.test");
  EXPECT_EQ(a.status, DnsStatus::no_record);
  EXPECT_NE(a.reason.find("NODATA"), std::string::npos) << a.reason;
  EXPECT_TRUE(a.records.empty());
}

TEST_F(LocalZoneTest, NonexistentNameIsNoRecord) {
  auto resolver = make();
  ASSERT_TRUE(resolver);
  const TxtAnswer a = resolver->lookupTxt("missing._domainkey.example.test");
  EXPECT_EQ(a.status, DnsStatus::no_record);
  EXPECT_NE(a.reason.find("NXDOMAIN"), std::string::npos) << a.reason;
}

TEST_F(LocalZoneTest, CaseOfTheNameDoesNotMatter) {
  auto resolver = make();
  ASSERT_TRUE(resolver);
  EXPECT_EQ(resolver->lookupTxt("SPLIT.Example.TEST").status, DnsStatus::found);
  EXPECT_EQ(resolver->lookupTxt("split.example.test").status, DnsStatus::found);
}

TEST_F(LocalZoneTest, RecordAtTheSizeLimitIsKept) {
  UnboundOptions options;
  options.max_txt_bytes = 20;
  auto resolver = make(options);
  ASSERT_TRUE(resolver);
  const TxtAnswer a = resolver->lookupTxt("big.example.test");
  ASSERT_EQ(a.status, DnsStatus::found) << a.reason;
  EXPECT_EQ(a.records, std::vector<std::string>{"01234567890123456789"});
}

TEST_F(LocalZoneTest, RecordOverTheSizeLimitIsNoUsableRecord) {
  UnboundOptions options;
  options.max_txt_bytes = 19;
  auto resolver = make(options);
  ASSERT_TRUE(resolver);
  const TxtAnswer a = resolver->lookupTxt("big.example.test");
  EXPECT_EQ(a.status, DnsStatus::no_record);
  EXPECT_NE(a.reason.find("longer than 19 bytes"), std::string::npos) << a.reason;
  EXPECT_TRUE(a.records.empty());
}

TEST_F(LocalZoneTest, InvalidNamesAreNoRecordWithoutAQuery) {
  auto resolver = make();
  ASSERT_TRUE(resolver);
  const std::string long_label(64, 'a');
  const std::string long_name =
      std::string(250, 'a').insert(60, ".").insert(120, ".").insert(180, ".") + ".test";
  for (const std::string& name :
       {std::string(), std::string("."), std::string("a..example.test"), std::string(".example.test"),
        long_label + ".example.test", long_name, std::string("sp ace.example.test"),
        std::string("nul\0.example.test", 17), std::string("esc\\046.example.test")}) {
    const TxtAnswer a = resolver->lookupTxt(name);
    EXPECT_EQ(a.status, DnsStatus::no_record) << name;
    EXPECT_NE(a.reason.find("invalid DNS name"), std::string::npos) << a.reason;
  }
}

TEST_F(LocalZoneTest, EightThreadsFiftyLookupsEachWithoutCache) {
  UnboundOptions options;
  options.cache_entries = 0;  // every look-up goes through libunbound
  auto resolver = make(options);
  ASSERT_TRUE(resolver);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        switch ((i + t) % 3) {
          case 0: {
            const TxtAnswer a = resolver->lookupTxt("split.example.test");
            if (a.status != DnsStatus::found || a.records.size() != 1 ||
                a.records[0].rfind("v=DKIM1", 0) != 0)
              ++wrong;
            break;
          }
          case 1:
            if (resolver->lookupTxt("addr.example.test").status != DnsStatus::no_record) ++wrong;
            break;
          default:
            if (resolver->lookupTxt("n" + std::to_string(i) + ".example.test").status != DnsStatus::no_record)
              ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(LocalZoneTest, ResolverCanBeDestroyedRightAfterCreation) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(make());
}

// ---- option checks ----

std::string errorOf(const UnboundOptions& options) {
  auto made = makeUnboundResolver(options);
  return made ? std::string() : made.error().message;
}

TEST(UnboundOptionsTest, BadNameserversAreErrors) {
  for (const char* bad : {"not-an-ip", "127.0.0.1@", "127.0.0.1@port", "127.0.0.1@0", "127.0.0.1@65536",
                          "127.0.0.1@99999999", "[::1]", "[::1]:53", "256.1.1.1", "", "127.0.0.1:53"}) {
    UnboundOptions options;
    options.nameservers = {bad};
    const std::string error = errorOf(options);
    EXPECT_NE(error.find("nameserver"), std::string::npos) << bad << ": " << error;
  }
}

TEST(UnboundOptionsTest, GoodNameserversAreAccepted) {
  UnboundOptions options;
  options.nameservers = {"127.0.0.1", "127.0.0.1@5353", "::1", "::1@53", "192.0.2.1@65535"};
  EXPECT_EQ(errorOf(options), "");
}

TEST(UnboundOptionsTest, UnreadableConfigurationIsAnError) {
  TempDir dir;
  UnboundOptions options;
  options.resolver_config = (dir.path() / "absent.conf").string();
  const std::string error = errorOf(options);
  EXPECT_NE(error.find("resolver configuration"), std::string::npos) << error;
  EXPECT_NE(error.find("absent.conf"), std::string::npos) << error;
}

TEST(UnboundOptionsTest, MalformedConfigurationIsAnError) {
  TempDir dir;
  UnboundOptions options;
  options.resolver_config = dir.write("bad.conf", "server:\n  no-such-option-at-all: yes\n");
  const std::string error = errorOf(options);
  EXPECT_NE(error.find("bad.conf"), std::string::npos) << error;
}

TEST(UnboundOptionsTest, MalformedLocalDataIsAnError) {
  TempDir dir;
  UnboundOptions options;
  options.resolver_config =
      dir.write("bad-data.conf", "server:\n  local-data: 'x.example.test. IN A 1.2.3'\n");
  const std::string error = errorOf(options);
  EXPECT_NE(error.find("bad-data.conf"), std::string::npos) << error;
}

TEST(UnboundOptionsTest, UnreadableTrustAnchorIsAnError) {
  TempDir dir;
  UnboundOptions options;
  options.nameservers = {"127.0.0.1"};
  options.trust_anchor_file = (dir.path() / "absent.key").string();
  const std::string error = errorOf(options);
  EXPECT_NE(error.find("trust anchor file"), std::string::npos) << error;
}

TEST(UnboundOptionsTest, MalformedTrustAnchorIsAnError) {
  TempDir dir;
  UnboundOptions options;
  options.nameservers = {"127.0.0.1"};
  options.trust_anchor_file = dir.write("bad.key", "example.test. IN DS this is not a DS record\n");
  const std::string error = errorOf(options);
  EXPECT_NE(error.find("trust anchor file"), std::string::npos) << error;
}

TEST(UnboundOptionsTest, WellFormedTrustAnchorIsAccepted) {
  TempDir dir;
  UnboundOptions options;
  options.nameservers = {"127.0.0.1"};
  options.trust_anchor_file = dir.write("good.key",
                                        "example.test. IN DS 12345 8 2 "
                                        "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE6F0E5E1A9A1F1B0E4C4E5A6B\n");
  EXPECT_EQ(errorOf(options), "");
}

TEST(UnboundOptionsTest, NonPositiveTimeoutIsAnError) {
  UnboundOptions options;
  options.nameservers = {"127.0.0.1"};
  options.timeout = 0ms;
  EXPECT_NE(errorOf(options).find("timeout"), std::string::npos);
}

TEST(UnboundOptionsTest, ZeroTxtLimitIsAnError) {
  UnboundOptions options;
  options.nameservers = {"127.0.0.1"};
  options.max_txt_bytes = 0;
  EXPECT_NE(errorOf(options).find("TXT"), std::string::npos);
}

TEST(UnboundOptionsTest, SystemResolverByDefault) {
  if (!std::filesystem::exists("/etc/resolv.conf")) GTEST_SKIP() << "no /etc/resolv.conf";
  EXPECT_EQ(errorOf(UnboundOptions{}), "");
}

}  // namespace
}  // namespace signet
