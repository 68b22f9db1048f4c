// PublicKeyCache: parsed p= keys kept and shared (see public_key_cache.h).
// A hit returns the very key parsed before; distinct bytes or types are
// distinct entries; the size bound and the maximum age hold; a bad key is
// never kept and stays an error; concurrent use from several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "signet/crypto.h"
#include "signet/public_key_cache.h"

namespace signet {
namespace {

using namespace std::chrono_literals;

// A clock the test moves by hand.
struct ManualClock {
  PublicKeyCache::TimePoint now{};
  PublicKeyCache::Clock clock() {
    return [this] { return now; };
  }
};

const std::shared_ptr<const PrivateKey>& rsaKey() {
  static const auto key = *PrivateKey::generate(KeyType::rsa, 1024);
  return key;
}

// `n` distinct Ed25519 public keys (cheap to make).
std::vector<std::string> edKeys(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(*(*PrivateKey::generate(KeyType::ed25519, 0))->publicKeyData());
  return out;
}

TEST(PublicKeyCache, SecondParseOfTheSameBytesIsAHit) {
  PublicKeyCache cache;
  const std::string spki = *rsaKey()->publicKeyData();
  const auto first = cache.parse(KeyType::rsa, spki);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  const auto second = cache.parse(KeyType::rsa, spki);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ((*second)->bits(), 1024);

  // The cached key verifies like a freshly parsed one.
  const std::string digest = Hash::digest(HashAlgorithm::sha256, "header data");
  const auto signature = rsaKey()->signHash(HashAlgorithm::sha256, digest);
  ASSERT_TRUE(signature.has_value());
  EXPECT_TRUE((*second)->verifyHash(HashAlgorithm::sha256, digest, *signature));
  EXPECT_FALSE((*second)->verifyHash(HashAlgorithm::sha256, Hash::digest(HashAlgorithm::sha256, "x"), *signature));
}

TEST(PublicKeyCache, DistinctKeysAndTypesAreDistinctEntries) {
  PublicKeyCache cache;
  const auto keys = edKeys(3);
  std::vector<const PublicKey*> seen;
  for (const auto& k : keys) {
    const auto parsed = cache.parse(KeyType::ed25519, k);
    ASSERT_TRUE(parsed.has_value());
    seen.push_back(parsed->get());
  }
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.hits(), 0u);
  // The same bytes as another type are not the cached Ed25519 key.
  const auto as_rsa = cache.parse(KeyType::rsa, keys[0]);
  ASSERT_FALSE(as_rsa.has_value());
  EXPECT_EQ(as_rsa.error().why, "not a valid rsa public key");
  EXPECT_EQ(cache.hits(), 0u);
  EXPECT_EQ(cache.parse(KeyType::ed25519, keys[2])->get(), seen[2]);
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(PublicKeyCache, SizeBoundDropsTheLeastRecentlyUsed) {
  PublicKeyCache cache(2);
  const auto keys = edKeys(3);
  const PublicKey* a = cache.parse(KeyType::ed25519, keys[0])->get();
  ASSERT_TRUE(cache.parse(KeyType::ed25519, keys[1]).has_value());
  EXPECT_EQ(cache.parse(KeyType::ed25519, keys[0])->get(), a);  // a is now the most recent
  ASSERT_TRUE(cache.parse(KeyType::ed25519, keys[2]).has_value());  // evicts keys[1]
  EXPECT_EQ(cache.size(), 2u);
  const auto hits = cache.hits();
  EXPECT_EQ(cache.parse(KeyType::ed25519, keys[0])->get(), a);
  EXPECT_EQ(cache.hits(), hits + 1);
  ASSERT_TRUE(cache.parse(KeyType::ed25519, keys[1]).has_value());
  EXPECT_EQ(cache.hits(), hits + 1);  // keys[1] was a miss
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PublicKeyCache, ManyKeysNeverExceedTheBound) {
  PublicKeyCache cache(5);
  for (const auto& k : edKeys(20)) {
    ASSERT_TRUE(cache.parse(KeyType::ed25519, k).has_value());
    EXPECT_LE(cache.size(), 5u);
  }
  EXPECT_EQ(cache.size(), 5u);
}

TEST(PublicKeyCache, ZeroEntriesCachesNothing) {
  PublicKeyCache cache(0);
  const auto keys = edKeys(1);
  const auto first = cache.parse(KeyType::ed25519, keys[0]);
  const auto second = cache.parse(KeyType::ed25519, keys[0]);
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->get(), second->get());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(PublicKeyCache, EntriesExpireAfterTheMaximumAge) {
  ManualClock clock;
  PublicKeyCache cache(10, 60s, clock.clock());
  const auto keys = edKeys(1);
  const PublicKey* first = cache.parse(KeyType::ed25519, keys[0])->get();
  clock.now += 59s;
  EXPECT_EQ(cache.parse(KeyType::ed25519, keys[0])->get(), first);
  clock.now += 1s;
  const auto again = cache.parse(KeyType::ed25519, keys[0]);
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->get(), first);  // parsed anew
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 2u);
  EXPECT_EQ(cache.size(), 1u);
  // A hit does not extend the age: the entry counts from when it was parsed.
  clock.now += 30s;
  EXPECT_EQ(cache.parse(KeyType::ed25519, keys[0])->get(), again->get());
  clock.now += 30s;
  EXPECT_NE(cache.parse(KeyType::ed25519, keys[0])->get(), again->get());
}

TEST(PublicKeyCache, BadKeysAreNotCachedAndStayErrors) {
  PublicKeyCache cache;
  const std::string spki = *rsaKey()->publicKeyData();
  const std::string truncated = spki.substr(0, spki.size() - 1);
  for (int i = 0; i < 3; ++i) {
    const auto bad = cache.parse(KeyType::rsa, truncated);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().where, "key record p=");
    EXPECT_EQ(bad.error().why, "not a valid rsa public key");
    const auto short_ed = cache.parse(KeyType::ed25519, "0123456789012345678901234567890");
    ASSERT_FALSE(short_ed.has_value());
    EXPECT_EQ(short_ed.error().why, "an Ed25519 key must be 32 bytes");
  }
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.hits(), 0u);
  // A good key beside them is still cached, and the bad one still fails.
  ASSERT_TRUE(cache.parse(KeyType::rsa, spki).has_value());
  EXPECT_FALSE(cache.parse(KeyType::rsa, spki + std::string(1, '\0')).has_value());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(PublicKeyCache, WithoutACacheParsesDirectly) {
  const std::string spki = *rsaKey()->publicKeyData();
  const auto a = parsePublicKey(nullptr, KeyType::rsa, spki);
  const auto b = parsePublicKey(nullptr, KeyType::rsa, spki);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(a->get(), b->get());
  EXPECT_FALSE(parsePublicKey(nullptr, KeyType::rsa, "garbage").has_value());
}

TEST(PublicKeyCache, ThreadsShareKeysAndVerifyConcurrently) {
  PublicKeyCache cache(3);  // smaller than the key set, so threads also evict
  const std::string spki = *rsaKey()->publicKeyData();
  const auto ed = edKeys(4);
  const std::string digest = Hash::digest(HashAlgorithm::sha256, "header data");
  const std::string signature = *rsaKey()->signHash(HashAlgorithm::sha256, digest);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const auto rsa = cache.parse(KeyType::rsa, spki);
        if (!rsa || !(*rsa)->verifyHash(HashAlgorithm::sha256, digest, signature)) ++failures;
        const auto edkey = cache.parse(KeyType::ed25519, ed[static_cast<std::size_t>(i + t) % ed.size()]);
        if (!edkey || (*edkey)->bits() != 256) ++failures;
        if (cache.parse(KeyType::rsa, "garbage")) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(cache.size(), 3u);
  EXPECT_EQ(cache.hits() + cache.misses(), 4u * 200u * 3u);
}

}  // namespace
}  // namespace signet
