#include <optional>

#include "signet/domainkeys.h"

namespace signet {

struct DomainKeysVerifier::Pending {
  std::size_t header_index = 0;
  std::expected<DomainKeySignature, ParseError> signature;
  DomainKeysResult base;                     // method, d=, s=, identity, ...
  std::optional<DomainKeysResult> decided;   // known before the body
  std::unique_ptr<Hash> hash;
  std::unique_ptr<BodyCanonicalizer> body;
};

namespace {

// The Problem kind (verdict.h) that goes with a DomainKeys status.
Problem problemOf(DkStatus status) {
  switch (status) {
    case DkStatus::badsig: return Problem::bad_signature;
    case DkStatus::syntax:
    case DkStatus::args: return Problem::syntax;
    case DkStatus::nokey: return Problem::no_key;
    case DkStatus::badkey: return Problem::bad_key;
    case DkStatus::cantvrfy: return Problem::dns_temporary;
    case DkStatus::revoked: return Problem::key_revoked;
    default: return Problem::none;
  }
}

DomainKeysResult problem(DomainKeysResult r, Verdict verdict, DkStatus status, std::string reason) {
  r.result.verdict = verdict;
  r.result.reason = std::move(reason);
  r.result.problem = problemOf(status);
  r.status = status;
  return r;
}

// The first signed Sender:, else the first signed From:; nullptr when none.
const HeaderField* signedSender(std::span<const HeaderField* const> selected, std::string& source) {
  for (std::string_view name : {"Sender", "From"}) {
    for (const HeaderField* field : selected) {
      if (headerNameEquals(field->name(), name)) {
        source = toLower(name);
        return field;
      }
    }
  }
  return nullptr;
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  for (const auto& n : names)
    if (headerNameEquals(n, name)) return true;
  return false;
}

}  // namespace

DkStatus policyStatus(const DomainKeysResult& r) {
  if (r.status == DkStatus::badsig && r.result.testing) return DkStatus::ok;
  return r.status;
}

std::string domainKeyStatus(std::span<const DomainKeysResult> results) {
  if (results.empty()) return std::string(domainKeyStatusText(DkStatus::nosig));
  const DomainKeysResult* chosen = &results.front();
  for (const auto& r : results)
    if (r.status == DkStatus::ok) {
      chosen = &r;
      break;
    }
  std::string text(domainKeyStatusText(chosen->status));
  if (chosen->result.testing) text += " (test mode)";
  return text;
}

DomainKeysVerifier::DomainKeysVerifier(const VerifierOptions& options) : options_(options) {}
DomainKeysVerifier::~DomainKeysVerifier() = default;

void DomainKeysVerifier::endOfHeaders() {
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    if (!headerNameEquals(headers_[i].name(), kDomainKeySignatureHeader)) continue;
    ++found_;
    if (pending_.size() >= options_.max_signatures) continue;
    auto p = std::make_unique<Pending>(
        Pending{i, parseDomainKeySignature(headers_[i].value(), options_.tag_limits), {}, {}, {}, {}});
    prepare(*p);
    pending_.push_back(std::move(p));
  }
}

// Parses the signature, chooses the signed fields and the sending address,
// and hashes the fields; or decides the result when that is not possible.
void DomainKeysVerifier::prepare(Pending& p) {
  SignatureResult& r = p.base.result;
  r.method = "domainkeys";
  r.algorithm = "rsa-sha1";
  if (!p.signature) {
    // Report d= and s= when they can be read at all, so the result names someone.
    if (auto tags = TagList::parse(headers_[p.header_index].value(), options_.tag_limits)) {
      if (auto d = tags->value("d")) r.domain = stripWhitespace(*d);
      if (auto s = tags->value("s")) r.selector = stripWhitespace(*s);
    }
    p.decided = problem(p.base, Verdict::permerror, DkStatus::syntax,
                        "malformed signature: " + p.signature.error().message());
    return;
  }
  const DomainKeySignature& sig = *p.signature;
  r.domain = sig.domain;
  r.selector = sig.selector;

  std::vector<const HeaderField*> selected;
  for (std::size_t j = p.header_index + 1; j < headers_.size(); ++j)
    if (!sig.has_header_list || listed(sig.signed_headers, headers_[j].name())) selected.push_back(&headers_[j]);

  const HeaderField* sender = signedSender(selected, r.identity_source);
  if (!sender) {
    p.decided = problem(p.base, Verdict::permerror, DkStatus::syntax, "no signed Sender or From header");
    return;
  }
  auto box = parseMailbox(sender->value());
  if (!box) {
    p.decided = problem(p.base, Verdict::permerror, DkStatus::syntax,
                        "the sending address cannot be read: " + box.error().why);
    return;
  }
  r.identity = box->address();
  if (!domainWithin(box->domain, sig.domain)) {
    p.decided = problem(p.base, Verdict::permerror, DkStatus::args,
                        "d=" + sig.domain + " is neither the sending address's domain nor a parent of it");
    return;
  }
  p.hash = std::make_unique<Hash>(HashAlgorithm::sha1);
  std::string data;
  for (const HeaderField* field : selected) appendDomainKeysHeader(data, field->raw, sig.canonicalization);
  p.hash->update(data);
  p.body = makeDomainKeysBodyCanonicalizer(sig.canonicalization, *p.hash);
}

void DomainKeysVerifier::addBody(std::span<const char> body) {
  for (auto& p : pending_)
    if (p->body) p->body->update(body);
}

std::vector<DomainKeysResult> DomainKeysVerifier::finish() {
  std::vector<DomainKeysResult> results;
  for (auto& p : pending_) {
    if (p->decided) {
      results.push_back(*p->decided);
      continue;
    }
    p->body->finish();
    const std::string digest = p->hash->finish();
    DomainKeysResult out = p->base;
    checkKey(*p, digest, out);
    results.push_back(std::move(out));
  }
  return results;
}

// Fetches the key record(s) and checks the signature with the first usable
// one; sets verdict, reason and status.
void DomainKeysVerifier::checkKey(const Pending& p, const std::string& digest, DomainKeysResult& out) {
  const DomainKeySignature& sig = *p.signature;
  SignatureResult& r = out.result;
  if (!options_.resolver) {
    out = problem(out, Verdict::temperror, DkStatus::cantvrfy, "no DNS resolver configured");
    return;
  }
  const TxtAnswer answer = options_.resolver->lookupTxt(sig.keyName());
  switch (answer.status) {
    case DnsStatus::found: break;
    case DnsStatus::no_record:
      out = problem(out, Verdict::permerror, DkStatus::nokey,
                    "no key for signature (no TXT record at " + sig.keyName() + ")");
      return;
    case DnsStatus::temporary_failure:
      out = problem(out, Verdict::temperror, DkStatus::cantvrfy,
                    "key query failed: " + (answer.reason.empty() ? std::string("DNS error") : answer.reason));
      return;
    case DnsStatus::bogus:
      out = problem(out, Verdict::temperror, DkStatus::cantvrfy, "key record failed DNSSEC validation (bogus)");
      return;
  }
  r.dnssec_secure = answer.secure;
  const std::size_t at = r.identity.rfind('@');
  const std::string local_part = r.identity.substr(0, at);
  std::string why = "no usable key record";
  DkStatus why_status = DkStatus::badkey;
  bool failed = false;
  for (const auto& text : answer.records) {
    auto record = parseDomainKeysKeyRecord(text, options_.tag_limits);
    if (!record) {
      why = "key record: " + record.error().why;
      why_status = DkStatus::badkey;
      continue;
    }
    if (record->revoked) {
      why = "key revoked (empty p=)";
      why_status = DkStatus::revoked;
      continue;
    }
    if (!granularityAllows(record->granularity, local_part)) {
      why = "key's g= does not allow the sending address's local-part";
      why_status = DkStatus::badkey;
      continue;
    }
    auto key = parsePublicKey(options_.key_cache.get(), KeyType::rsa, record->public_key);
    if (!key) {
      why = key.error().message();
      why_status = DkStatus::badkey;
      continue;
    }
    r.key_fetched = true;
    r.key_bits = (*key)->bits();
    r.testing = record->testing;
    if ((*key)->bits() < options_.minimum_rsa_bits) {
      out = problem(out, Verdict::permerror, DkStatus::badkey,
                    "RSA key of " + std::to_string((*key)->bits()) + " bits is shorter than the minimum " +
                        std::to_string(options_.minimum_rsa_bits));
      return;
    }
    if ((*key)->bits() > options_.maximum_rsa_bits) {
      out = problem(out, Verdict::permerror, DkStatus::badkey,
                    "RSA key of " + std::to_string((*key)->bits()) + " bits is longer than the maximum " +
                        std::to_string(options_.maximum_rsa_bits));
      return;
    }
    if ((*key)->verifyHash(HashAlgorithm::sha1, digest, sig.signature)) {
      out = problem(out, Verdict::pass, DkStatus::ok, "");
      return;
    }
    // A key in testing mode is never a hard fail (as for DKIM, RFC 6376 section 3.6.1).
    out = problem(out, record->testing ? Verdict::neutral : Verdict::fail, DkStatus::badsig,
                  "signature did not verify");
    failed = true;
    if (answer.records.size() == 1) return;
    why = r.reason;
    why_status = DkStatus::badsig;
  }
  if (failed) return;
  out = problem(out, Verdict::permerror, why_status, why);
}

std::expected<std::vector<DomainKeysResult>, ParseError> verifyDomainKeys(const VerifierOptions& options,
                                                                          std::string_view message) {
  DomainKeysVerifier verifier(options);
  if (auto fed = feedMessage(verifier, message); !fed) return std::unexpected(fed.error());
  return verifier.finish();
}

}  // namespace signet
