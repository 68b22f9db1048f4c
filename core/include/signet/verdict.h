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

// Why a signature did not pass, for policies that act on the kind of
// failure (On-KeyNotFound, qmail-dk's DKVERIFY letters) rather than the text.
enum class Problem {
  none,            // it passed, or there was no signature
  syntax,          // the signature field is malformed or unsupported
  no_key,          // no key record at the selector
  key_revoked,     // empty p=
  bad_key,         // key record malformed, wrong type, too short, not for email
  dns_temporary,   // timeout, SERVFAIL, DNSSEC bogus: try again later
  bad_signature,   // the header signature did not verify
  body_hash,       // the body hash did not verify (or l= is longer than the body)
  expired,         // x= is past, or t= lies in the future
  policy,          // refused by local policy (e.g. rsa-sha1 when strict)
};

std::string_view toString(Problem p);

struct SignatureResult {
  std::string method = "dkim";  // "dkim" or "domainkeys"
  Verdict verdict = Verdict::none;
  std::string reason;           // short, for a person; never raw input
  Problem problem = Problem::none;
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
