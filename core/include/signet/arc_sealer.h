// Sealing a message: adding the next ARC set (RFC 8617 section 5.1). The
// body streams through one relaxed canonicalizer and hash, as in the DKIM
// signer; headers are kept until the end. finish() takes what the validator
// found on the arriving chain and adds instance N+1:
//   - ARC-Authentication-Results: i=N+1; the authserv-id; this host's
//     results and its own arc= result;
//   - ARC-Message-Signature (relaxed/relaxed unless told) over the configured fields
//     (never an ARC field, section 4.1.2) and the body;
//   - ARC-Seal with cv= from the validation, over sets 1..N+1, or over the
//     new set alone when the chain failed (section 5.1.2).
// i= is the first tag of each field, since some validators find a set by
// that text. No set is added when the newest seal arrived with cv=fail
// (section 5.1), when the chain already has 50 sets, or when validation
// could not finish (temperror): the outcome says why.
//
// Errors: a spec whose key does not fit its algorithm, rsa-sha1, an RSA key
// under 1024 bits, an ARC field named in the headers, or a signing failure.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "signet/arc.h"
#include "signet/arc_validator.h"
#include "signet/body_hashes.h"
#include "signet/crypto.h"
#include "signet/header.h"
#include "signet/signer.h"

namespace signet {

// The fields an ARC-Message-Signature covers when none are named: DKIM's
// default list and the DKIM-Signature fields, each instance present.
std::span<const std::string_view> defaultArcSignedHeaders();

struct ArcSealSpec {
  std::string domain;
  std::string selector;
  std::shared_ptr<const PrivateKey> key;
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;  // or ed25519-sha256
  std::vector<std::string> headers;                           // AMS h=; empty: defaultArcSignedHeaders()
  std::vector<std::string> oversign;  // listed once more than present (OpenARC's OversignHeaders)
  std::string authserv_id;
  std::vector<std::string> results;  // this host's resinfos, without the authserv-id
  std::string remote_ip;             // smtp.remote-ip of the arc= result; empty: none
  CanonicalizationPair canonicalization{Canonicalization::relaxed, Canonicalization::relaxed};  // AMS c=
};

Result<void> validate(const ArcSealSpec& spec);

struct ArcSealOutcome {
  // ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results: the order
  // they go at the top of the header block, each without a final line end.
  std::vector<std::string> fields;
  std::string skipped;         // why no set was added, when fields is empty
  std::uint32_t instance = 0;  // the new set's i=
  ChainValidation cv = ChainValidation::none;
};

class ArcSealer {
 public:
  explicit ArcSealer(ArcSealSpec spec, Clock clock = systemClock);

  void addHeader(HeaderField field) { headers_.push_back(std::move(field)); }
  // A field added above the arriving ones after they were read (a new
  // DKIM-Signature), for the ARC-Message-Signature to cover.
  void prependHeader(HeaderField field) { headers_.insert(headers_.begin(), std::move(field)); }
  // This host's results, when they are known only at the end.
  void setResults(std::vector<std::string> results) { spec_.results = std::move(results); }
  void endOfHeaders() {}
  void addBody(std::span<const char> body) { bodies_.update(body); }

  Result<ArcSealOutcome> finish(const ArcResult& validation, std::string_view line_end = "\r\n");

 private:
  Result<std::string> sign(std::string_view unsigned_field, std::span<const HeaderField* const> covered,
                           Canonicalization canonicalization, std::string_view what);

  ArcSealSpec spec_;
  Clock clock_;
  std::vector<HeaderField> headers_;
  BodyHashes bodies_;
  std::size_t body_index_ = 0;
};

// Validating the arriving chain and sealing in the same pass over the
// message, as `signet arc-seal` does: a sink for MessageReader or
// feedMessage(). finish() validates, then seals with that validation.
class ArcValidatingSealer {
 public:
  ArcValidatingSealer(const VerifierOptions& options, ArcSealSpec spec, Clock clock = systemClock)
      : validator_(options), sealer_(std::move(spec), std::move(clock)) {}

  void addHeader(HeaderField field) {
    validator_.addHeader(field);
    sealer_.addHeader(std::move(field));
  }
  void endOfHeaders() {
    validator_.endOfHeaders();
    sealer_.endOfHeaders();
  }
  void addBody(std::span<const char> body) {
    validator_.addBody(body);
    sealer_.addBody(body);
  }
  Result<ArcSealOutcome> finish(std::string_view line_end = "\r\n") {
    validation_ = validator_.finish();
    return sealer_.finish(validation_, line_end);
  }
  const ArcResult& validation() const { return validation_; }

 private:
  ArcValidator validator_;
  ArcSealer sealer_;
  ArcResult validation_;
};

}  // namespace signet
