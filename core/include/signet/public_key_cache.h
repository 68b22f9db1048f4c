// A cache of parsed public keys, so that a key published in DNS is decoded
// once and not once per message (RFC 6376 section 3.6.1 p=; RFC 8463).
//
// Decoding an RSA SubjectPublicKeyInfo through OpenSSL 3's decoders costs far
// more than verifying a signature with the key, and mail from one sender
// keeps bringing the same key. The cache is content-addressed: an entry is
// keyed by the key type and the exact decoded p= bytes, so a changed DNS
// record is simply a different key, and a cached key is exactly what
// PublicKey::parse() would return for the same bytes. Only keys that parsed
// are kept; a bad key is parsed (and rejected) again each time it is seen.
//
// Limits: at most `max_entries` keys (the least recently used goes first) and
// none older than `max_age` since it was parsed; a max_entries of 0 turns the
// cache off.
//
// Threads: parse() may be called from many threads at once. A cached
// PublicKey is shared; verifying with it is safe from several threads, since
// each verifyHash() uses its own OpenSSL contexts. Concurrent misses for one
// key each parse it; the last one is kept.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "signet/crypto.h"
#include "signet/error.h"
#include "signet/signature.h"

namespace signet {

class PublicKeyCache {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Clock = std::function<TimePoint()>;

  static constexpr std::size_t kDefaultMaxEntries = 1000;
  static constexpr std::chrono::seconds kDefaultMaxAge{3600};

  // `now` defaults to steady_clock::now.
  explicit PublicKeyCache(std::size_t max_entries = kDefaultMaxEntries,
                          std::chrono::seconds max_age = kDefaultMaxAge, Clock now = {});

  // What PublicKey::parse(type, data) returns, from the cache when these
  // bytes were parsed before.
  std::expected<std::shared_ptr<const PublicKey>, ParseError> parse(KeyType type, std::string_view data);

  // Keys held, expired ones included until they are next looked up.
  std::size_t size() const;
  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const PublicKey> value;
    TimePoint expires;
  };

  std::shared_ptr<const PublicKey> tryCached(const std::string& key);
  void store(std::string key, std::shared_ptr<const PublicKey> value);

  std::size_t max_entries_;
  std::chrono::seconds max_age_;
  Clock now_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views into lru_ keys
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

// PublicKey::parse() through `cache`, or directly when there is none.
std::expected<std::shared_ptr<const PublicKey>, ParseError> parsePublicKey(PublicKeyCache* cache, KeyType type,
                                                                          std::string_view data);

}  // namespace signet
