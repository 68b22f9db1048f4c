// CachingResolver: TTLs, caps, what is never cached, LRU eviction, name
// folding, and thread safety, against a scripted inner resolver and clock.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "signet/unbound_resolver.h"

namespace signet {
namespace {

using namespace std::chrono_literals;

// Answers from a table (by exact name) and counts the look-ups per name.
class ScriptedResolver : public Resolver {
 public:
  TxtAnswer lookupTxt(std::string_view name) override {
    std::lock_guard lock(mutex_);
    ++calls_[std::string(name)];
    ++total_;
    const auto found = answers_.find(std::string(name));
    return found == answers_.end() ? TxtAnswer{} : found->second;
  }
  void set(const std::string& name, TxtAnswer answer) {
    std::lock_guard lock(mutex_);
    answers_[name] = std::move(answer);
  }
  int calls(const std::string& name) {
    std::lock_guard lock(mutex_);
    return calls_[name];
  }
  int total() const { return total_.load(); }

 private:
  std::mutex mutex_;
  std::map<std::string, TxtAnswer> answers_;
  std::map<std::string, int> calls_;
  std::atomic<int> total_{0};
};

TxtAnswer answer(DnsStatus status, std::uint32_t ttl, std::vector<std::string> records = {}) {
  TxtAnswer a;
  a.status = status;
  a.ttl = ttl;
  a.records = std::move(records);
  return a;
}

class CachingResolverTest : public ::testing::Test {
 protected:
  CachingResolver makeCache(std::size_t entries) {
    auto inner = std::make_unique<ScriptedResolver>();
    scripted_ = inner.get();
    return CachingResolver(std::move(inner), entries, [this] { return now_; });
  }
  void advance(std::chrono::seconds by) { now_ += by; }

  ScriptedResolver* scripted_ = nullptr;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

TEST_F(CachingResolverTest, SecondLookupIsServedFromCacheWithRemainingTtl) {
  auto cache = makeCache(10);
  scripted_->set("a.example", answer(DnsStatus::found, 100, {"v=DKIM1; p=x"}));
  EXPECT_EQ(cache.lookupTxt("a.example").records, std::vector<std::string>{"v=DKIM1; p=x"});
  advance(40s);
  const TxtAnswer second = cache.lookupTxt("a.example");
  EXPECT_EQ(second.status, DnsStatus::found);
  EXPECT_EQ(second.records, std::vector<std::string>{"v=DKIM1; p=x"});
  EXPECT_EQ(second.ttl, 60u);
  EXPECT_EQ(scripted_->calls("a.example"), 1);
}

TEST_F(CachingResolverTest, ExpiresAfterTtl) {
  auto cache = makeCache(10);
  scripted_->set("a.example", answer(DnsStatus::found, 100, {"r"}));
  cache.lookupTxt("a.example");
  advance(100s);
  cache.lookupTxt("a.example");
  EXPECT_EQ(scripted_->calls("a.example"), 2);
}

TEST_F(CachingResolverTest, NamesFoldCaseAndTrailingDot) {
  auto cache = makeCache(10);
  scripted_->set("Sel._DomainKey.Example.COM.", answer(DnsStatus::found, 100, {"r"}));
  cache.lookupTxt("Sel._DomainKey.Example.COM.");
  EXPECT_EQ(cache.lookupTxt("sel._domainkey.example.com").status, DnsStatus::found);
  EXPECT_EQ(scripted_->total(), 1);
}

TEST_F(CachingResolverTest, TemporaryFailureIsNeverCached) {
  auto cache = makeCache(10);
  scripted_->set("t.example", answer(DnsStatus::temporary_failure, 300));
  cache.lookupTxt("t.example");
  cache.lookupTxt("t.example");
  EXPECT_EQ(scripted_->calls("t.example"), 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(CachingResolverTest, ZeroTtlIsNotCached) {
  auto cache = makeCache(10);
  scripted_->set("z.example", answer(DnsStatus::found, 0, {"r"}));
  cache.lookupTxt("z.example");
  cache.lookupTxt("z.example");
  EXPECT_EQ(scripted_->calls("z.example"), 2);
}

TEST_F(CachingResolverTest, NegativeAnswerKeptAtMost300Seconds) {
  auto cache = makeCache(10);
  scripted_->set("n.example", answer(DnsStatus::no_record, 86400));
  EXPECT_EQ(cache.lookupTxt("n.example").status, DnsStatus::no_record);
  advance(299s);
  EXPECT_EQ(cache.lookupTxt("n.example").ttl, 1u);
  EXPECT_EQ(scripted_->calls("n.example"), 1);
  advance(1s);
  cache.lookupTxt("n.example");
  EXPECT_EQ(scripted_->calls("n.example"), 2);
}

TEST_F(CachingResolverTest, BogusKeptAtMost60Seconds) {
  auto cache = makeCache(10);
  scripted_->set("b.example", answer(DnsStatus::bogus, 3600));
  cache.lookupTxt("b.example");
  advance(59s);
  cache.lookupTxt("b.example");
  EXPECT_EQ(scripted_->calls("b.example"), 1);
  advance(1s);
  cache.lookupTxt("b.example");
  EXPECT_EQ(scripted_->calls("b.example"), 2);
}

TEST_F(CachingResolverTest, PositiveAnswerKeptAtMostOneDay) {
  auto cache = makeCache(10);
  scripted_->set("p.example", answer(DnsStatus::found, 7 * 86400, {"r"}));
  cache.lookupTxt("p.example");
  advance(86399s);
  EXPECT_EQ(cache.lookupTxt("p.example").ttl, 1u);
  advance(1s);
  cache.lookupTxt("p.example");
  EXPECT_EQ(scripted_->calls("p.example"), 2);
}

TEST_F(CachingResolverTest, EvictsLeastRecentlyUsedAtCapacity) {
  auto cache = makeCache(2);
  for (const char* name : {"1.example", "2.example", "3.example"})
    scripted_->set(name, answer(DnsStatus::found, 100, {name}));
  cache.lookupTxt("1.example");
  cache.lookupTxt("2.example");
  cache.lookupTxt("1.example");  // 2 is now the least recently used
  cache.lookupTxt("3.example");  // evicts 2
  EXPECT_EQ(cache.size(), 2u);
  cache.lookupTxt("1.example");
  EXPECT_EQ(scripted_->calls("1.example"), 1);
  cache.lookupTxt("2.example");
  EXPECT_EQ(scripted_->calls("2.example"), 2);
}

TEST_F(CachingResolverTest, ZeroEntriesCachesNothing) {
  auto cache = makeCache(0);
  scripted_->set("a.example", answer(DnsStatus::found, 100, {"r"}));
  cache.lookupTxt("a.example");
  cache.lookupTxt("a.example");
  EXPECT_EQ(scripted_->calls("a.example"), 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CachingResolverThreads, ManyThreadsGetConsistentAnswers) {
  auto inner = std::make_unique<ScriptedResolver>();
  ScriptedResolver* scripted = inner.get();
  for (int i = 0; i < 20; ++i) {
    const std::string name = std::to_string(i) + ".example";
    scripted->set(name, answer(DnsStatus::found, 100, {name}));
  }
  CachingResolver cache(std::move(inner), 8);  // smaller than the name set: evictions race too
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string name = std::to_string((i * 7 + t) % 20) + ".example";
        const TxtAnswer got = cache.lookupTxt(name);
        if (got.status != DnsStatus::found || got.records != std::vector<std::string>{name}) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 8u);
}

}  // namespace
}  // namespace signet
