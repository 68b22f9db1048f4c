// DNS TXT look-ups for key records (RFC 6376 section 3.6.2).
//
// Resolver is the interface the engine uses; the libunbound implementation
// lives in unbound_resolver.h. An answer keeps apart "found", "no such
// record" (NXDOMAIN or NODATA), "try again" (timeout, SERVFAIL, network) and
// "bogus" (DNSSEC validation failed). Implementations are safe to call from
// many threads at once and never block longer than their configured timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace signet {

enum class DnsStatus {
  found,              // at least one TXT record
  no_record,          // NXDOMAIN or no TXT data at the name
  temporary_failure,  // timeout, SERVFAIL, unreachable server, ...
  bogus,              // DNSSEC validation failed
};

struct TxtAnswer {
  DnsStatus status = DnsStatus::temporary_failure;
  // One entry per TXT record; the character-strings of a record are joined.
  std::vector<std::string> records;
  bool secure = false;       // DNSSEC-validated
  std::uint32_t ttl = 0;     // seconds
  std::string reason;        // for logs and result comments; never raw data
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual TxtAnswer lookupTxt(std::string_view name) = 0;
};

}  // namespace signet
