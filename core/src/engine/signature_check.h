// Checking one DKIM-style signature against its published key: the part of
// RFC 6376 section 6.1 that DKIM-Signature and ARC-Message-Signature share
// (RFC 8617 section 4.1.2), and the key look-up and signature check that the
// ARC-Seal uses too (section 4.1.3). Internal to the engine.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "signet/body_hashes.h"
#include "signet/header.h"
#include "signet/signature.h"
#include "signet/verdict.h"
#include "signet/verifier.h"

namespace signet {

// What a key look-up needs: where the key is, what it must sign, and the
// signature to check the header hash against.
struct PublishedKeyQuery {
  std::string_view domain;
  std::string_view selector;
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;
  std::string_view signature;  // decoded b=
  std::string_view identity;   // i= for the key's t=s rule; empty for ARC
};

// Fetches the key record(s) and checks the header hash with the first usable
// one. Sets verdict, problem, reason and the key facts of `result`; a DNS
// timeout or SERVFAIL is temperror, never fail.
void checkPublishedKey(const VerifierOptions& options, const PublishedKeyQuery& query,
                       std::string_view header_hash, SignatureResult& result);

// The whole check of a parsed DKIM-Signature or ARC-Message-Signature field:
// t= and x=, l=, the header hash over h=, the key, and the body hash, whose
// digest `bodies` holds at `body_index`.
SignatureResult checkSignature(const VerifierOptions& options, std::span<const HeaderField> headers,
                               const HeaderField& field, const DkimSignature& sig, const BodyHashes& bodies,
                               std::size_t body_index);

}  // namespace signet
