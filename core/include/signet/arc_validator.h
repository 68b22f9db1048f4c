// Validating an ARC chain (RFC 8617 section 5.2), streaming like the DKIM
// verifier: header fields are kept (bounded) until the end of the header
// block, where the chain is collected and each ARC-Message-Signature's body
// hash is set up; the body then streams through them. finish() checks, in
// the RFC's order:
//   1. no ARC field: none;
//   2. the newest ARC-Seal says cv=fail: fail (the chain ended there);
//   3. the structure: instances 1..N, at most 50, one field of each kind per
//      instance, cv=none on instance 1 and cv=pass above it;
//   4. the newest ARC-Message-Signature;
//   5. the older ones, downwards, for oldest-pass (the lowest instance from
//      which every newer AMS validates; 0 when all of them do);
//   6. every ARC-Seal, from N down to 1, each over the sets 1..i (AAR, AMS,
//      AS per instance, relaxed) with its own b= blanked (section 5.1.1).
// Keys follow the DKIM rules of VerifierOptions (RSA of at least
// minimum_rsa_bits, RFC 8301); rsa-sha1 is refused. A DNS timeout or
// SERVFAIL gives temperror, never fail.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "signet/arc.h"
#include "signet/body_hashes.h"
#include "signet/header.h"
#include "signet/verdict.h"
#include "signet/verifier.h"

namespace signet {

class ArcValidator {
 public:
  explicit ArcValidator(const VerifierOptions& options, ArcLimits limits = {});

  void addHeader(HeaderField field) { headers_.push_back(std::move(field)); }
  void endOfHeaders();
  void addBody(std::span<const char> body) { bodies_.update(body); }
  ArcResult finish();

 private:
  struct Instance {
    std::expected<DkimSignature, ParseError> ams = std::unexpected(ParseError{});
    std::expected<ArcSeal, ParseError> seal = std::unexpected(ParseError{});
    std::size_t body_index = 0;
  };
  SignatureResult checkAms(std::size_t k);
  SignatureResult checkSeal(std::size_t k);
  ArcResult failAt(ArcResult result, std::uint32_t instance, std::string why) const;
  // The result to stop with when `check` (of `field` i=k) did not pass.
  std::optional<ArcResult> unlessPassed(const ArcResult& result, const SignatureResult& check,
                                        std::string_view field, std::size_t k) const;

  const VerifierOptions& options_;
  ArcLimits limits_;
  std::vector<HeaderField> headers_;
  ArcChain chain_;
  std::vector<Instance> instances_;
  BodyHashes bodies_;
};

// Validates the chain of a whole message held in memory.
std::expected<ArcResult, ParseError> validateArcMessage(const VerifierOptions& options,
                                                        std::string_view message);

// The fields of ARC sets `first`..`last` (1-based) of `chain`, in the order
// an ARC-Seal covers them (section 5.1.1): AAR, AMS, AS per instance. The
// seal of instance i covers sets 1..i without its own field, which goes in
// last with b= blanked (headerHashInput(), relaxed).
std::vector<const HeaderField*> arcSetFields(std::span<const HeaderField> headers, const ArcChain& chain,
                                             std::size_t first, std::size_t last);

}  // namespace signet
