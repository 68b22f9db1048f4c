// The DNS resolver for key records: libunbound behind the Resolver interface
// (RFC 6376 section 3.6.2; RFC 1035 section 3.3.14 for TXT rdata).
//
// makeUnboundResolver() builds a resolver from UnboundOptions: the system
// resolver (/etc/resolv.conf, /etc/hosts) by default, forwarders when
// `nameservers` is set, an unbound.conf file when `resolver_config` is set
// (its local-zone:/local-data: lines serve keys without a network), DNSSEC
// trust anchors when `trust_anchor_file` is set. A bad option is an Error
// that names it; the configuration, trust anchors included, is loaded and
// checked before the function returns.
//
// Outcomes of lookupTxt():
//   found              one entry per TXT record, character-strings joined
//   no_record          NXDOMAIN, NODATA, an invalid name, or no usable record
//                      (every record malformed or larger than max_txt_bytes:
//                      retrying cannot change that, so it is not "try again")
//   temporary_failure  timeout ("DNS timeout after N ms"), SERVFAIL, REFUSED,
//                      network or library failure
//   bogus              DNSSEC validation failed; the reason carries unbound's why
//
// Limits: each look-up waits at most `timeout` (the query is then cancelled);
// a TXT record is at most `max_txt_bytes` once joined; the answer cache holds
// at most `cache_entries` names (see CachingResolver for what it keeps).
//
// Threads: lookupTxt() may be called from many threads at once. The resolver
// owns a background thread; build it after any fork() or daemonizing, and
// destroy it only once no lookupTxt() call is running.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signet/dns.h"
#include "signet/error.h"

namespace signet {

struct UnboundOptions {
  // Forwarders, tried in order as backups: "IP" or "IP@PORT", IPv4 or IPv6
  // (e.g. "192.0.2.1", "127.0.0.1@5353", "::1@53").
  std::vector<std::string> nameservers;
  // An unbound.conf(5) file read with ub_ctx_config; may hold local-zone: and
  // local-data: lines, forward-zone: clauses, trust-anchor: lines.
  std::string resolver_config;
  // DS and/or DNSKEY records in zone-file format (ub_ctx_add_ta_file).
  std::string trust_anchor_file;
  // Upper bound on one look-up, from call to answer; must be positive.
  std::chrono::milliseconds timeout{5000};
  // Largest TXT record accepted, its character-strings joined; at least 1.
  // A larger record is dropped (see no_record above).
  std::size_t max_txt_bytes = 8192;
  // Names kept in the answer cache; 0 turns the cache off.
  std::size_t cache_entries = 4096;
};

// With no nameservers and no resolver_config, uses the system resolver.
std::expected<std::unique_ptr<Resolver>, Error> makeUnboundResolver(const UnboundOptions& options);

// Joins the character-strings of one TXT rdata (RFC 1035 section 3.3.14:
// one or more length-prefixed strings). Fails on an empty rdata, a length
// that runs past the end, or a result longer than max_bytes.
std::expected<std::string, ParseError> parseTxtRdata(std::span<const unsigned char> rdata,
                                                     std::size_t max_bytes);

// A thread-safe LRU cache of answers in front of another Resolver, keyed by
// the lower-cased name without a trailing dot. An entry lives for the
// answer's TTL, capped at kMaxPositiveTtl (found), kMaxNegativeTtl
// (no_record) or kMaxBogusTtl (bogus); a TTL of 0 is not cached, and neither
// is a temporary failure, so the next look-up asks again (each such look-up
// is still bounded by the inner resolver's timeout). A cached answer's ttl is
// the time it has left. Concurrent misses for one name each ask the inner
// resolver; the last answer wins.
class CachingResolver final : public Resolver {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Clock = std::function<TimePoint()>;

  static constexpr std::chrono::seconds kMaxPositiveTtl{86400};
  static constexpr std::chrono::seconds kMaxNegativeTtl{300};
  static constexpr std::chrono::seconds kMaxBogusTtl{60};

  // max_entries 0 caches nothing. `now` defaults to steady_clock::now.
  CachingResolver(std::unique_ptr<Resolver> inner, std::size_t max_entries, Clock now = {});

  TxtAnswer lookupTxt(std::string_view name) override;

  // Entries held, expired ones included until they are next touched.
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    TxtAnswer answer;
    TimePoint expires;
  };

  bool tryCached(const std::string& key, TxtAnswer& out);
  void store(std::string key, const TxtAnswer& answer);

  std::unique_ptr<Resolver> inner_;
  std::size_t max_entries_;
  Clock now_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace signet
