#include "signet/arc_validator.h"

#include "engine/signature_check.h"
#include "signet/crypto.h"
#include "signet/header_hash.h"

namespace signet {

std::vector<const HeaderField*> arcSetFields(std::span<const HeaderField> headers, const ArcChain& chain,
                                             std::size_t first, std::size_t last) {
  std::vector<const HeaderField*> fields;
  fields.reserve(3 * (last - first + 1) + 2);
  for (std::size_t k = first; k <= last; ++k) {
    const ArcSetFields& set = chain.sets[k - 1];
    fields.push_back(&headers[set.aar]);
    fields.push_back(&headers[set.ams]);
    fields.push_back(&headers[set.seal]);
  }
  return fields;
}

ArcValidator::ArcValidator(const VerifierOptions& options, ArcLimits limits)
    : options_(options), limits_(limits) {}

void ArcValidator::endOfHeaders() {
  chain_ = collectArcChain(headers_, limits_);
  if (!chain_.valid()) return;
  instances_.resize(chain_.sets.size());
  for (std::size_t k = 0; k < chain_.sets.size(); ++k) {
    Instance& in = instances_[k];
    in.ams = parseArcMessageSignature(headers_[chain_.sets[k].ams].value(), options_.tag_limits);
    in.seal = parseArcSeal(headers_[chain_.sets[k].seal].value(), options_.tag_limits);
    if (in.ams)
      in.body_index =
          bodies_.add(in.ams->canonicalization.body, hashOf(in.ams->algorithm), in.ams->body_length);
  }
}

ArcResult ArcValidator::failAt(ArcResult result, std::uint32_t instance, std::string why) const {
  result.verdict = Verdict::fail;
  result.failed_instance = instance;
  result.reason = std::move(why);
  return result;
}

std::optional<ArcResult> ArcValidator::unlessPassed(const ArcResult& result, const SignatureResult& check,
                                                    std::string_view field, std::size_t k) const {
  if (check.verdict == Verdict::pass) return std::nullopt;
  const std::string what = std::string(field) + " i=" + std::to_string(k);
  if (check.verdict == Verdict::temperror) {  // a DNS error: try again, not a broken chain
    ArcResult out = result;
    out.verdict = Verdict::temperror;
    out.failed_instance = static_cast<std::uint32_t>(k);
    out.reason = what + ": " + check.reason;
    return out;
  }
  return failAt(result, static_cast<std::uint32_t>(k),
                what + " did not validate: " +
                    (check.reason.empty() ? std::string(toString(check.verdict)) : check.reason));
}

SignatureResult ArcValidator::checkAms(std::size_t k) {
  const Instance& in = instances_[k - 1];
  return checkSignature(options_, headers_, headers_[chain_.sets[k - 1].ams], *in.ams, bodies_,
                        in.body_index);
}

SignatureResult ArcValidator::checkSeal(std::size_t k) {
  const ArcSeal& seal = *instances_[k - 1].seal;
  const HeaderField& field = headers_[chain_.sets[k - 1].seal];
  const std::size_t value_start = field.raw.size() - field.value().size();
  const std::string without_b =
      withoutSignatureValue(field.raw, value_start, seal.b_region_offset, seal.b_region_length);
  auto covered = arcSetFields(headers_, chain_, 1, k);
  covered.pop_back();  // the seal itself goes in last, b= blanked
  const std::string input = headerHashInput(covered, without_b, Canonicalization::relaxed);
  SignatureResult r;
  r.domain = seal.domain;
  r.selector = seal.selector;
  r.algorithm = std::string(toString(seal.algorithm));
  checkPublishedKey(options_, {seal.domain, seal.selector, seal.algorithm, seal.signature, {}},
                    Hash::digest(hashOf(seal.algorithm), input), r);
  return r;
}

ArcResult ArcValidator::finish() {
  bodies_.finish();
  ArcResult result;
  if (!chain_.present) return result;
  result.instances = chain_.highest;
  if (!chain_.valid()) return failAt(result, chain_.fault_instance, chain_.fault);

  const std::size_t n = chain_.sets.size();
  // Step 2: a chain that a sealer already marked as failed stays failed.
  if (const auto& newest = instances_[n - 1].seal; newest) {
    result.domain = newest->domain;
    result.selector = newest->selector;
    if (newest->cv == ChainValidation::fail) {
      result.terminated = true;
      return failAt(result, static_cast<std::uint32_t>(n),
                    "ARC-Seal i=" + std::to_string(n) + " reports cv=fail: the chain was already broken");
    }
  }
  // Step 3: every field must parse, and cv= must fit its place.
  for (std::size_t k = n; k >= 1; --k) {
    const Instance& in = instances_[k - 1];
    const auto instance = static_cast<std::uint32_t>(k);
    if (!in.seal)
      return failAt(result, instance, "ARC-Seal i=" + std::to_string(k) + ": " + in.seal.error().message());
    if (!in.ams)
      return failAt(result, instance,
                    "ARC-Message-Signature i=" + std::to_string(k) + ": " + in.ams.error().message());
    const ChainValidation expected = k == 1 ? ChainValidation::none : ChainValidation::pass;
    if (in.seal->cv != expected)
      return failAt(result, instance,
                    "ARC-Seal i=" + std::to_string(k) + " has cv=" + std::string(toString(in.seal->cv)) +
                        " where cv=" + std::string(toString(expected)) + " belongs (RFC 8617 section 5.2)");
  }
  // Step 4: the newest ARC-Message-Signature.
  if (auto stop = unlessPassed(result, checkAms(n), kArcMessageSignatureHeader, n)) return *stop;
  // Step 5: oldest-pass (0 when every AMS validates).
  for (std::size_t k = n - 1; k >= 1; --k) {
    if (checkAms(k).verdict != Verdict::pass) {
      result.oldest_pass = static_cast<std::uint32_t>(k + 1);
      break;
    }
  }
  // Step 6: every seal, newest first.
  for (std::size_t k = n; k >= 1; --k)
    if (auto stop = unlessPassed(result, checkSeal(k), kArcSealHeader, k)) return *stop;
  result.verdict = Verdict::pass;
  return result;
}

std::expected<ArcResult, ParseError> validateArcMessage(const VerifierOptions& options,
                                                        std::string_view message) {
  ArcValidator validator(options);
  if (auto fed = feedMessage(validator, message); !fed) return std::unexpected(fed.error());
  return validator.finish();
}

}  // namespace signet
