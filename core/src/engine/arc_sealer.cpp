#include "signet/arc_sealer.h"

#include <array>

#include "engine/signing_support.h"
#include "signet/arc_validator.h"
#include "signet/auth_results.h"
#include "signet/base64.h"
#include "signet/header_hash.h"

namespace signet {
namespace {

// DKIM's default list (signer.cpp) and DKIM-Signature.
std::vector<std::string_view> makeDefaultArcHeaders() {
  std::vector<std::string_view> names(defaultSignedHeaders().begin(), defaultSignedHeaders().end());
  names.push_back("DKIM-Signature");
  return names;
}

// A header field as the sealer writes it, for the seal's hash.
HeaderField fieldOf(std::string raw) {
  return HeaderField{std::move(raw)};
}

}  // namespace

std::span<const std::string_view> defaultArcSignedHeaders() {
  static const std::vector<std::string_view> names = makeDefaultArcHeaders();
  return names;
}

Result<void> validate(const ArcSealSpec& spec) {
  const std::string who = spec.selector + "._domainkey." + spec.domain;
  if (spec.domain.empty() || spec.selector.empty())
    return failure("a sealing key needs a domain and a selector");
  if (!isSigningDomain(spec.domain)) return failure(who + ": the sealing domain is not a domain name");
  if (!isSelector(spec.selector)) return failure(who + ": the selector is not a DNS label");
  if (spec.authserv_id.empty()) return failure(who + ": sealing needs an authserv-id");
  if (!spec.key) return failure(who + ": no private key");
  if (spec.algorithm == SigningAlgorithm::rsa_sha1)
    return failure(who + ": ARC does not allow rsa-sha1 (RFC 8617 section 4.1.3)");
  if (spec.key->type() != keyTypeOf(spec.algorithm))
    return failure(who + ": a " + std::string(toString(spec.key->type())) + " key cannot seal with " +
                   std::string(toString(spec.algorithm)));
  if (spec.key->type() == KeyType::rsa && spec.key->bits() < 1024)
    return failure(who + ": a " + std::to_string(spec.key->bits()) +
                   "-bit RSA key is too short to seal with (RFC 8301 asks for at least 1024, better 2048)");
  for (const auto& list : {&spec.headers, &spec.oversign})
    for (const auto& name : *list)
      if (isArcHeader(name))
        return failure(who + ": " + name +
                       " cannot be signed by an ARC-Message-Signature (RFC 8617 section 4.1.2)");
  return {};
}

ArcSealer::ArcSealer(ArcSealSpec spec, Clock clock) : spec_(std::move(spec)), clock_(std::move(clock)) {
  body_index_ = bodies_.add(spec_.canonicalization.body, hashOf(spec_.algorithm), std::nullopt);
}

Result<std::string> ArcSealer::sign(std::string_view unsigned_field,
                                    std::span<const HeaderField* const> covered,
                                    Canonicalization canonicalization, std::string_view what) {
  const HashAlgorithm hash = hashOf(spec_.algorithm);
  const std::string input = headerHashInput(covered, unsigned_field, canonicalization);
  auto signature = spec_.key->signHash(hash, Hash::digest(hash, input));
  if (!signature)
    return failure(spec_.selector + "._domainkey." + spec_.domain + ": " + std::string(what) + ": " +
                   signature.error().message);
  return withSignatureValue(unsigned_field, encodeBase64(*signature));
}

Result<ArcSealOutcome> ArcSealer::finish(const ArcResult& validation, std::string_view line_end) {
  bodies_.finish();
  if (auto ok = validate(spec_); !ok) return std::unexpected(ok.error());
  ArcSealOutcome outcome;
  if (validation.terminated) {
    outcome.skipped =
        "the newest ARC-Seal says cv=fail; the chain cannot be continued (RFC 8617 section 5.1)";
    return outcome;
  }
  if (validation.verdict == Verdict::temperror) {
    outcome.skipped = "the arriving chain could not be validated (" + validation.reason + "); not sealed";
    return outcome;
  }
  // A broken chain's highest number still counts, so the new set comes after it.
  const std::uint32_t previous = std::min<std::uint32_t>(validation.instances, kMaxArcInstance);
  if (previous >= kMaxArcInstance) {
    outcome.skipped = "the chain already has 50 ARC sets, the most RFC 8617 allows";
    return outcome;
  }
  const bool continues = validation.verdict == Verdict::pass;
  outcome.instance = previous + 1;
  outcome.cv = validation.sealStatus();
  const std::string instance = std::to_string(outcome.instance);
  const std::int64_t now = clock_();

  std::vector<std::string> resinfos = spec_.results;
  resinfos.push_back(renderArcResinfo(validation, spec_.remote_ip));
  const HeaderField aar =
      fieldOf(renderArcAuthenticationResults(outcome.instance, spec_.authserv_id, resinfos));

  // The ARC-Message-Signature over the message as it arrived (ARC fields are never in h=).
  std::vector<std::string> names =
      headerNamesToSign(spec_.headers, defaultArcSignedHeaders(), spec_.oversign, headers_);
  std::vector<std::string> lower_names;
  for (const auto& n : names) lower_names.push_back(toLower(n));
  FoldedTags ams_tags(std::string(kArcMessageSignatureHeader) + ":");
  ams_tags.add("i", instance);
  ams_tags.add("a", toString(spec_.algorithm));
  ams_tags.add("c", toString(spec_.canonicalization));
  ams_tags.add("d", spec_.domain);
  ams_tags.add("s", spec_.selector);
  ams_tags.add("t", std::to_string(now));
  ams_tags.addList("h", lower_names);
  ams_tags.addBase64("bh", encodeBase64(bodies_.digest(body_index_)), false);
  ams_tags.add("b", "", true);
  const auto selected = selectSignedHeaders(headers_, names);
  auto ams_text = sign(ams_tags.text(), selected, spec_.canonicalization.header, "ARC-Message-Signature");
  if (!ams_text) return std::unexpected(ams_text.error());
  const HeaderField ams = fieldOf(std::move(*ams_text));

  FoldedTags seal_tags(std::string(kArcSealHeader) + ":");
  seal_tags.add("i", instance);
  seal_tags.add("a", toString(spec_.algorithm));
  seal_tags.add("t", std::to_string(now));
  seal_tags.add("cv", toString(outcome.cv));
  seal_tags.add("d", spec_.domain);
  seal_tags.add("s", spec_.selector);
  seal_tags.add("b", "", true);
  std::vector<const HeaderField*> covered;
  if (continues) {  // over every set before ours; a passing chain is a valid one
    const ArcChain chain = collectArcChain(headers_);
    covered = arcSetFields(headers_, chain, 1, chain.sets.size());
  }
  covered.push_back(&aar);
  covered.push_back(&ams);
  auto seal_text = sign(seal_tags.text(), covered, Canonicalization::relaxed, "ARC-Seal");
  if (!seal_text) return std::unexpected(seal_text.error());

  outcome.fields.push_back(withLineEnds(*seal_text, line_end));
  outcome.fields.push_back(withLineEnds(ams.raw, line_end));
  outcome.fields.push_back(withLineEnds(aar.raw, line_end));
  return outcome;
}

}  // namespace signet
