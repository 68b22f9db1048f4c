#include "engine/signature_check.h"

#include "signet/crypto.h"
#include "signet/header_hash.h"
#include "signet/key_record.h"
#include "signet/public_key_cache.h"

namespace signet {

SignatureResult checkSignature(const VerifierOptions& options, std::span<const HeaderField> headers,
                               const HeaderField& field, const DkimSignature& sig, const BodyHashes& bodies,
                               std::size_t body_index) {
  SignatureResult r;
  r.domain = sig.domain;
  r.selector = sig.selector;
  r.identity = sig.identity;
  r.algorithm = std::string(toString(sig.algorithm));
  r.sha1_deprecated = sig.algorithm == SigningAlgorithm::rsa_sha1;

  if (sig.algorithm == SigningAlgorithm::rsa_sha1 && options.strict_rsa_sha1) {
    r.verdict = Verdict::permerror;
    r.problem = Problem::policy;
    r.reason = "rsa-sha1 signatures are not accepted (RFC 8301)";
    return r;
  }
  const std::int64_t now = options.clock();
  if (sig.timestamp && static_cast<std::int64_t>(*sig.timestamp) > now + options.allowed_clock_skew) {
    r.verdict = Verdict::permerror;
    r.problem = Problem::expired;
    r.reason = "signature timestamp t= lies in the future";
    return r;
  }
  if (sig.expiration && static_cast<std::int64_t>(*sig.expiration) < now) {
    r.verdict = Verdict::permerror;  // RFC 6376 section 6.1.1: PERMFAIL
    r.problem = Problem::expired;
    r.reason = "signature expired (x=)";
    return r;
  }
  const std::uint64_t body_length = bodies.canonicalLength(body_index);
  if (sig.body_length) {
    r.signed_body_length = sig.body_length;
    r.body_length = body_length;
    if (*sig.body_length > body_length) {
      r.verdict = Verdict::fail;
      r.problem = Problem::body_hash;
      r.reason = "l= is longer than the body";
      return r;
    }
  }
  const std::size_t value_start = field.raw.size() - field.value().size();
  const std::string unsigned_field = withoutSignatureValue(field.raw, value_start, sig);
  const auto selected = selectSignedHeaders(headers, sig.signed_headers);
  const std::string input = headerHashInput(selected, unsigned_field, sig.canonicalization.header);
  const std::string header_hash = Hash::digest(hashOf(sig.algorithm), input);
  checkPublishedKey(options, {sig.domain, sig.selector, sig.algorithm, sig.signature, sig.identity},
                    header_hash, r);
  if (r.verdict == Verdict::pass && bodies.digest(body_index) != sig.body_hash) {
    r.verdict = Verdict::fail;
    r.problem = Problem::body_hash;
    r.reason = "body hash did not verify";
  }
  if (r.testing && r.verdict == Verdict::fail) {
    // RFC 6376 section 3.6.1: a key in testing mode is never a hard fail.
    r.verdict = Verdict::neutral;
  }
  return r;
}

void checkPublishedKey(const VerifierOptions& options, const PublishedKeyQuery& sig,
                       std::string_view header_hash, SignatureResult& r) {
  const std::string key_name = std::string(sig.selector) + "._domainkey." + std::string(sig.domain);
  if (!options.resolver) {
    r.verdict = Verdict::temperror;
    r.problem = Problem::dns_temporary;
    r.reason = "no DNS resolver configured";
    return;
  }
  const TxtAnswer answer = options.resolver->lookupTxt(key_name);
  switch (answer.status) {
    case DnsStatus::found:
      break;
    case DnsStatus::no_record:
      r.verdict = Verdict::permerror;
      r.problem = Problem::no_key;
      r.reason = "no key for signature (no TXT record at " + key_name + ")";
      return;
    case DnsStatus::temporary_failure:
      r.verdict = Verdict::temperror;
      r.problem = Problem::dns_temporary;
      r.reason = "key query failed: " + (answer.reason.empty() ? std::string("DNS error") : answer.reason);
      return;
    case DnsStatus::bogus:
      r.verdict = Verdict::temperror;
      r.problem = Problem::dns_temporary;
      r.reason = "key record failed DNSSEC validation (bogus)";
      return;
  }
  r.dnssec_secure = answer.secure;
  std::string problem = "no usable key record";
  bool revoked_only = !answer.records.empty();
  for (const auto& text : answer.records) {
    auto record = parseKeyRecord(text, options.tag_limits);
    if (!record) {
      problem = "key record: " + record.error().why;
      revoked_only = false;
      continue;
    }
    if (record->revoked) {
      problem = "key revoked (empty p=)";
      continue;
    }
    revoked_only = false;
    if (record->key_type != keyTypeOf(sig.algorithm)) {
      problem = "key type k=" + std::string(toString(record->key_type)) + " does not match a=";
      continue;
    }
    if (!record->allowsHash(hashOf(sig.algorithm))) {
      problem = "key's h= does not allow the hash";
      continue;
    }
    if (!record->allowsEmail()) {
      problem = "key's s= does not allow email";
      continue;
    }
    if (record->strict_identity && !sig.identity.empty()) {
      const std::size_t at = sig.identity.rfind('@');
      if (at == std::string::npos || toLower(sig.identity.substr(at + 1)) != toLower(sig.domain)) {
        problem = "key has t=s but i= is a subdomain of d=";
        continue;
      }
    }
    auto key = parsePublicKey(options.key_cache.get(), record->key_type, record->public_key);
    if (!key) {
      problem = key.error().message();
      continue;
    }
    r.key_fetched = true;
    r.key_bits = (*key)->bits();
    r.testing = record->testing;
    if ((*key)->type() == KeyType::rsa && (*key)->bits() < options.minimum_rsa_bits) {
      r.verdict = Verdict::permerror;
      r.problem = Problem::bad_key;
      r.reason = "RSA key of " + std::to_string((*key)->bits()) + " bits is shorter than the minimum " +
                 std::to_string(options.minimum_rsa_bits) + " (RFC 8301)";
      return;
    }
    if ((*key)->type() == KeyType::rsa && (*key)->bits() > options.maximum_rsa_bits) {
      r.verdict = Verdict::permerror;
      r.problem = Problem::bad_key;
      r.reason = "RSA key of " + std::to_string((*key)->bits()) + " bits is longer than the maximum " +
                 std::to_string(options.maximum_rsa_bits);
      return;
    }
    if ((*key)->verifyHash(hashOf(sig.algorithm), header_hash, sig.signature)) {
      r.verdict = Verdict::pass;
      r.problem = Problem::none;
      r.reason.clear();
      return;
    }
    r.verdict = Verdict::fail;
    r.problem = Problem::bad_signature;
    r.reason = "signature did not verify";
    if (answer.records.size() == 1) return;
    problem = r.reason;
  }
  if (r.verdict == Verdict::fail) return;
  r.verdict = Verdict::permerror;
  r.problem = revoked_only ? Problem::key_revoked : Problem::bad_key;
  r.reason = problem;
}

}  // namespace signet
