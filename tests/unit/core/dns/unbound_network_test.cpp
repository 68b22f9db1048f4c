// UnboundResolver forwarding to servers on loopback that the tests run:
// a silent socket (timeout), a responder that always says SERVFAIL, a
// counting responder (the cache), and a real unbound daemon.
//
// Names here are under "signet.example." (RFC 2606), not ".test": libunbound
// answers NXDOMAIN itself for .test, .invalid, .onion and localhost (its
// default local zones, RFC 6761) unless a configuration overrides them.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dns_test_support.h"
#include "signet/unbound_resolver.h"

namespace signet {
namespace {

using namespace std::chrono_literals;
using test::DnsResponder;
using test::LoopbackUdpSocket;
using test::TempDir;
using test::UnboundDaemon;

std::unique_ptr<Resolver> forwardingTo(const std::string& nameserver, std::chrono::milliseconds timeout,
                                       std::size_t cache_entries = 4096) {
  UnboundOptions options;
  options.nameservers = {nameserver};
  options.timeout = timeout;
  options.cache_entries = cache_entries;
  auto made = makeUnboundResolver(options);
  if (!made) ADD_FAILURE() << made.error().message;
  return made ? std::move(*made) : nullptr;
}

TEST(UnboundTimeoutTest, SilentServerGivesTemporaryFailureWithinTheTimeout) {
  LoopbackUdpSocket silent;  // bound, never read, never answers
  auto resolver = forwardingTo(silent.nameserver(), 300ms);
  ASSERT_TRUE(resolver);
  const auto start = std::chrono::steady_clock::now();
  const TxtAnswer a = resolver->lookupTxt("sel._domainkey.signet.example");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(a.status, DnsStatus::temporary_failure);
  EXPECT_EQ(a.reason, "DNS timeout after 300 ms");
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 800ms);
}

TEST(UnboundTimeoutTest, TimeoutIsNotCachedAndTheResolverShutsDownPromptly) {
  LoopbackUdpSocket silent;
  const auto start = std::chrono::steady_clock::now();
  {
    auto resolver = forwardingTo(silent.nameserver(), 200ms);
    ASSERT_TRUE(resolver);
    EXPECT_EQ(resolver->lookupTxt("a.signet.example").status, DnsStatus::temporary_failure);
    EXPECT_EQ(resolver->lookupTxt("a.signet.example").reason, "DNS timeout after 200 ms");
  }  // destroyed with a query still in flight inside libunbound
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
}

TEST(UnboundServfailTest, ServfailGivesTemporaryFailure) {
  DnsResponder responder(2, {});
  auto resolver = forwardingTo(responder.nameserver(), 3000ms);
  ASSERT_TRUE(resolver);
  const TxtAnswer a = resolver->lookupTxt("sel._domainkey.signet.example");
  EXPECT_EQ(a.status, DnsStatus::temporary_failure);
  EXPECT_NE(a.reason.find("SERVFAIL"), std::string::npos) << a.reason;
  EXPECT_GT(responder.queries(), 0);
}

TEST(UnboundCacheTest, SecondLookupDoesNotReachTheServer) {
  DnsResponder responder(0, {"v=DKIM1; ", "p=AAAA"}, 300);
  auto resolver = forwardingTo(responder.nameserver(), 3000ms);
  ASSERT_TRUE(resolver);
  const TxtAnswer first = resolver->lookupTxt("sel._domainkey.signet.example");
  ASSERT_EQ(first.status, DnsStatus::found) << first.reason;
  EXPECT_EQ(first.records, std::vector<std::string>{"v=DKIM1; p=AAAA"});
  EXPECT_LE(first.ttl, 300u);
  const int queries = responder.queries();
  EXPECT_GT(queries, 0);
  const TxtAnswer second = resolver->lookupTxt("SEL._domainkey.signet.example.");
  EXPECT_EQ(second.status, DnsStatus::found);
  EXPECT_EQ(second.records, first.records);
  EXPECT_EQ(responder.queries(), queries);
}

// A real unbound daemon on loopback, serving signet.example from local data.
class UnboundDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(test::kUnboundDaemon)) GTEST_SKIP() << test::kUnboundDaemon << " is absent";
    daemon_ =
        std::make_unique<UnboundDaemon>(dir_,
                                        "  local-zone: \"signet.example.\" static\n"
                                        "  local-data: 'sel._domainkey.signet.example. 600 IN TXT \"v=DKIM1; "
                                        "k=ed25519; \" \"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"'\n"
                                        "  local-data: 'multi.signet.example. 600 IN TXT \"one\"'\n"
                                        "  local-data: 'multi.signet.example. 600 IN TXT \"two\"'\n"
                                        "  local-data: 'nodata.signet.example. 600 IN A 192.0.2.7'\n");
    ASSERT_TRUE(daemon_->waitReady()) << "unbound did not start:\n" << daemon_->log();
  }
  void TearDown() override {
    if (daemon_) daemon_->stop();
  }

  TempDir dir_;
  std::unique_ptr<UnboundDaemon> daemon_;
};

TEST_F(UnboundDaemonTest, ForwardedAnswersMapToStatuses) {
  auto resolver = forwardingTo(daemon_->nameserver(), 3000ms);
  ASSERT_TRUE(resolver);
  const TxtAnswer key = resolver->lookupTxt("sel._domainkey.signet.example");
  ASSERT_EQ(key.status, DnsStatus::found) << key.reason;
  EXPECT_EQ(key.records,
            std::vector<std::string>{"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="});
  EXPECT_FALSE(key.secure);

  TxtAnswer multi = resolver->lookupTxt("multi.signet.example");
  ASSERT_EQ(multi.status, DnsStatus::found) << multi.reason;
  std::sort(multi.records.begin(), multi.records.end());
  EXPECT_EQ(multi.records, (std::vector<std::string>{"one", "two"}));

  EXPECT_EQ(resolver->lookupTxt("nodata.signet.example").status, DnsStatus::no_record);
  const TxtAnswer missing = resolver->lookupTxt("nope._domainkey.signet.example");
  EXPECT_EQ(missing.status, DnsStatus::no_record);
  EXPECT_NE(missing.reason.find("NXDOMAIN"), std::string::npos) << missing.reason;
}

TEST_F(UnboundDaemonTest, CachedAnswerSurvivesTheServerStopping) {
  auto resolver = forwardingTo(daemon_->nameserver(), 500ms);
  ASSERT_TRUE(resolver);
  ASSERT_EQ(resolver->lookupTxt("sel._domainkey.signet.example").status, DnsStatus::found);
  daemon_->stop();
  const TxtAnswer again = resolver->lookupTxt("sel._domainkey.signet.example");
  EXPECT_EQ(again.status, DnsStatus::found) << again.reason;
  EXPECT_EQ(resolver->lookupTxt("other.signet.example").status, DnsStatus::temporary_failure);
}

TEST_F(UnboundDaemonTest, EightThreadsFiftyLookupsEach) {
  auto resolver = forwardingTo(daemon_->nameserver(), 3000ms, 16);
  ASSERT_TRUE(resolver);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if ((i + t) % 2 == 0) {
          const TxtAnswer a = resolver->lookupTxt("sel._domainkey.signet.example");
          if (a.status != DnsStatus::found || a.records.size() != 1 || a.records[0].rfind("v=DKIM1", 0) != 0)
            ++wrong;
        } else {
          const std::string name = "t" + std::to_string(t) + "n" + std::to_string(i) + ".signet.example";
          if (resolver->lookupTxt(name).status != DnsStatus::no_record) ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(UnboundDaemonTest, TrustAnchorOverUnsignedDataGivesBogus) {
  UnboundOptions options;
  options.nameservers = {daemon_->nameserver()};
  options.timeout = 3000ms;
  options.trust_anchor_file =
      dir_.write("signet.example.ds",
                 "signet.example. IN DS 12345 8 2 "
                 "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE6F0E5E1A9A1F1B0E4C4E5A6B\n");
  auto made = makeUnboundResolver(options);
  ASSERT_TRUE(made) << made.error().message;
  const TxtAnswer a = (*made)->lookupTxt("sel._domainkey.signet.example");
  EXPECT_EQ(a.status, DnsStatus::bogus) << a.reason;
  EXPECT_FALSE(a.secure);
  EXPECT_NE(a.reason.find("DNSSEC validation failed"), std::string::npos) << a.reason;
  EXPECT_TRUE(a.records.empty());
}

}  // namespace
}  // namespace signet
