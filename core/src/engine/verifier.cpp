#include "signet/verifier.h"

#include "signet/auth_results.h"
#include "signet/crypto.h"
#include "signet/header_hash.h"
#include "signet/key_record.h"
#include "signet/public_key_cache.h"

namespace signet {
namespace {

SignatureResult describeUnparsed(const HeaderField& field, const ParseError& error) {
  SignatureResult r;
  r.verdict = Verdict::permerror;
  r.problem = Problem::syntax;
  r.reason = "malformed signature: " + error.message();
  // Report d= and s= when they can be read at all, so the result names someone.
  if (auto tags = TagList::parse(field.value())) {
    if (auto d = tags->value("d")) r.domain = stripWhitespace(*d);
    if (auto s = tags->value("s")) r.selector = stripWhitespace(*s);
    if (auto a = tags->value("a")) r.algorithm = stripWhitespace(*a);
  }
  return r;
}

}  // namespace

MessageVerifier::MessageVerifier(const VerifierOptions& options) : options_(options) {}

void MessageVerifier::endOfHeaders() {
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    if (!headerNameEquals(headers_[i].name(), kDkimSignatureHeader)) continue;
    ++found_;
    if (pending_.size() >= options_.max_signatures) continue;
    Pending p{i, parseDkimSignature(headers_[i].value(), options_.tag_limits)};
    if (p.signature)
      p.body_index = bodies_.add(p.signature->canonicalization.body, hashOf(p.signature->algorithm),
                                 p.signature->body_length);
    pending_.push_back(std::move(p));
  }
}

std::vector<SignatureResult> MessageVerifier::finish() {
  bodies_.finish();
  std::vector<SignatureResult> results;
  std::vector<std::string> full_b;
  for (const auto& p : pending_) {
    results.push_back(check(p));
    full_b.push_back(p.signature ? p.signature->signature_text : std::string());
  }
  chooseSignaturePrefixes(results, full_b);
  return results;
}

SignatureResult MessageVerifier::check(const Pending& p) {
  const HeaderField& field = headers_[p.header_index];
  if (!p.signature) return describeUnparsed(field, p.signature.error());
  const DkimSignature& sig = *p.signature;
  SignatureResult r;
  r.domain = sig.domain;
  r.selector = sig.selector;
  r.identity = sig.identity;
  r.algorithm = std::string(toString(sig.algorithm));
  r.sha1_deprecated = sig.algorithm == SigningAlgorithm::rsa_sha1;

  if (sig.algorithm == SigningAlgorithm::rsa_sha1 && options_.strict_rsa_sha1) {
    r.verdict = Verdict::permerror;
    r.problem = Problem::policy;
    r.reason = "rsa-sha1 signatures are not accepted (RFC 8301)";
    return r;
  }
  const std::int64_t now = options_.clock();
  if (sig.timestamp && static_cast<std::int64_t>(*sig.timestamp) > now + options_.allowed_clock_skew) {
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
  const std::uint64_t body_length = bodies_.canonicalLength(p.body_index);
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
  const auto selected = selectSignedHeaders(headers_, sig.signed_headers);
  const std::string input = headerHashInput(selected, unsigned_field, sig.canonicalization.header);
  const std::string header_hash = Hash::digest(hashOf(sig.algorithm), input);
  checkKey(sig, header_hash, r);
  if (r.verdict == Verdict::pass && bodies_.digest(p.body_index) != sig.body_hash) {
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

// Fetches the key record(s) and checks the header signature with the first
// usable one; sets verdict and reason.
void MessageVerifier::checkKey(const DkimSignature& sig, const std::string& header_hash, SignatureResult& r) {
  if (!options_.resolver) {
    r.verdict = Verdict::temperror;
    r.problem = Problem::dns_temporary;
    r.reason = "no DNS resolver configured";
    return;
  }
  const TxtAnswer answer = options_.resolver->lookupTxt(sig.keyName());
  switch (answer.status) {
    case DnsStatus::found: break;
    case DnsStatus::no_record:
      r.verdict = Verdict::permerror;
      r.problem = Problem::no_key;
      r.reason = "no key for signature (no TXT record at " + sig.keyName() + ")";
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
    auto record = parseKeyRecord(text, options_.tag_limits);
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
    if (!record->allowsHash(hashOf(sig.algorithm))) { problem = "key's h= does not allow the hash"; continue; }
    if (!record->allowsEmail()) { problem = "key's s= does not allow email"; continue; }
    if (record->strict_identity) {
      const std::size_t at = sig.identity.rfind('@');
      if (at == std::string::npos || toLower(sig.identity.substr(at + 1)) != toLower(sig.domain)) {
        problem = "key has t=s but i= is a subdomain of d=";
        continue;
      }
    }
    auto key = parsePublicKey(options_.key_cache.get(), record->key_type, record->public_key);
    if (!key) { problem = key.error().message(); continue; }
    r.key_fetched = true;
    r.key_bits = (*key)->bits();
    r.testing = record->testing;
    if ((*key)->type() == KeyType::rsa && (*key)->bits() < options_.minimum_rsa_bits) {
      r.verdict = Verdict::permerror;
      r.problem = Problem::bad_key;
      r.reason = "RSA key of " + std::to_string((*key)->bits()) + " bits is shorter than the minimum " +
                 std::to_string(options_.minimum_rsa_bits) + " (RFC 8301)";
      return;
    }
    if ((*key)->type() == KeyType::rsa && (*key)->bits() > options_.maximum_rsa_bits) {
      r.verdict = Verdict::permerror;
      r.problem = Problem::bad_key;
      r.reason = "RSA key of " + std::to_string((*key)->bits()) + " bits is longer than the maximum " +
                 std::to_string(options_.maximum_rsa_bits);
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

std::expected<std::vector<SignatureResult>, ParseError> verifyMessage(const VerifierOptions& options,
                                                                      std::string_view message) {
  MessageVerifier verifier(options);
  if (auto fed = feedMessage(verifier, message); !fed) return std::unexpected(fed.error());
  return verifier.finish();
}

}  // namespace signet
