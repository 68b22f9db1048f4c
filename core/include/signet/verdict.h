// What a signature is: the verdict of one signature check, with the facts an
// Authentication-Results header reports (RFC 8601 section 2.7.1 words).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace signet {

enum class Verdict { pass, fail, neutral, policy, temperror, permerror, none };

std::string_view toString(Verdict v);

struct SignatureResult {
  std::string method = "dkim";  // "dkim" or "domainkeys"
  Verdict verdict = Verdict::none;
  std::string reason;           // short, for a person; never raw input
  std::string domain;           // d=
  std::string selector;         // s=
  std::string identity;         // i=; for DomainKeys the sending address
  std::string identity_source;  // DomainKeys: "sender" or "from", the header that gave identity
  std::string algorithm;        // a=, e.g. "rsa-sha256"
  std::string signature_prefix; // the start of b=, for header.b (RFC 6008)
  int key_bits = 0;             // 0 when no key was loaded
  bool dnssec_secure = false;
  bool key_fetched = false;     // a key record was found and used
  bool testing = false;         // the key has t=y
  bool sha1_deprecated = false; // rsa-sha1, which RFC 8301 deprecates
  std::optional<std::uint64_t> signed_body_length;  // l= when partial
  std::optional<std::uint64_t> body_length;         // canonical body length
};

}  // namespace signet
