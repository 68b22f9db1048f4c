#include "signet/public_key_cache.h"

#include <utility>

namespace signet {
namespace {

// The key type and the key bytes, so that equal bytes of another type never match.
std::string cacheKey(KeyType type, std::string_view data) {
  std::string key;
  key.reserve(data.size() + 1);
  key.push_back(type == KeyType::rsa ? 'r' : 'e');
  key.append(data);
  return key;
}

}  // namespace

PublicKeyCache::PublicKeyCache(std::size_t max_entries, std::chrono::seconds max_age, Clock now)
    : max_entries_(max_entries), max_age_(max_age), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
}

std::expected<std::shared_ptr<const PublicKey>, ParseError> PublicKeyCache::parse(KeyType type,
                                                                                 std::string_view data) {
  if (max_entries_ == 0) return PublicKey::parse(type, data);
  std::string key = cacheKey(type, data);
  if (auto cached = tryCached(key)) return cached;
  // Parsed outside the lock: other threads' hits need not wait for it.
  auto parsed = PublicKey::parse(type, data);
  if (parsed) store(std::move(key), *parsed);
  return parsed;
}

std::size_t PublicKeyCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

std::uint64_t PublicKeyCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

std::uint64_t PublicKeyCache::misses() const {
  std::lock_guard lock(mutex_);
  return misses_;
}

std::shared_ptr<const PublicKey> PublicKeyCache::tryCached(const std::string& key) {
  const TimePoint now = now_();
  std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  if (found == index_.end()) {
    ++misses_;
    return nullptr;
  }
  const auto entry = found->second;
  if (now >= entry->expires) {
    index_.erase(found);
    lru_.erase(entry);
    ++misses_;
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  ++hits_;
  return entry->value;
}

void PublicKeyCache::store(std::string key, std::shared_ptr<const PublicKey> value) {
  const TimePoint expires = now_() + max_age_;
  std::lock_guard lock(mutex_);
  if (const auto found = index_.find(key); found != index_.end()) {
    found->second->value = std::move(value);
    found->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  while (lru_.size() >= max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{std::move(key), std::move(value), expires});
  index_.emplace(lru_.front().key, lru_.begin());
}

std::expected<std::shared_ptr<const PublicKey>, ParseError> parsePublicKey(PublicKeyCache* cache, KeyType type,
                                                                          std::string_view data) {
  return cache ? cache->parse(type, data) : PublicKey::parse(type, data);
}

}  // namespace signet
