// CachingResolver: an LRU answer cache with TTLs in front of a Resolver.
#include <algorithm>
#include <utility>

#include "signet/unbound_resolver.h"

namespace signet {
namespace {

// Lower-cases ASCII and drops one trailing dot: "Sel._DomainKey.Example.COM."
// and "sel._domainkey.example.com" are one name (RFC 4343).
std::string cacheKey(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return key;
}

// How long an answer may be kept; zero means not at all.
std::chrono::seconds lifetime(const TxtAnswer& answer) {
  const std::chrono::seconds ttl{answer.ttl};
  switch (answer.status) {
    case DnsStatus::found:
      return std::min(ttl, CachingResolver::kMaxPositiveTtl);
    case DnsStatus::no_record:
      return std::min(ttl, CachingResolver::kMaxNegativeTtl);
    case DnsStatus::bogus:
      return std::min(ttl, CachingResolver::kMaxBogusTtl);
    case DnsStatus::temporary_failure:
      break;
  }
  return std::chrono::seconds{0};
}

}  // namespace

CachingResolver::CachingResolver(std::unique_ptr<Resolver> inner, std::size_t max_entries, Clock now)
    : inner_(std::move(inner)), max_entries_(max_entries), now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
}

TxtAnswer CachingResolver::lookupTxt(std::string_view name) {
  std::string key = cacheKey(name);
  TxtAnswer answer;
  if (tryCached(key, answer)) return answer;
  answer = inner_->lookupTxt(name);
  store(std::move(key), answer);
  return answer;
}

std::size_t CachingResolver::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

bool CachingResolver::tryCached(const std::string& key, TxtAnswer& out) {
  std::lock_guard lock(mutex_);
  const auto found = index_.find(key);
  if (found == index_.end()) return false;
  const auto entry = found->second;
  const TimePoint now = now_();
  if (now >= entry->expires) {
    index_.erase(found);
    lru_.erase(entry);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  out = entry->answer;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(entry->expires - now);
  out.ttl = static_cast<std::uint32_t>(left.count());
  return true;
}

void CachingResolver::store(std::string key, const TxtAnswer& answer) {
  const std::chrono::seconds keep = lifetime(answer);
  if (max_entries_ == 0 || keep <= std::chrono::seconds{0}) return;
  std::lock_guard lock(mutex_);
  const TimePoint expires = now_() + keep;
  if (const auto found = index_.find(key); found != index_.end()) {
    found->second->answer = answer;
    found->second->expires = expires;
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  while (lru_.size() >= max_entries_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{key, answer, expires});
  index_.emplace(std::move(key), lru_.begin());
}

}  // namespace signet
