// Verifying the DKIM signatures of a message (RFC 6376 section 6; RFC 8463;
// RFC 8301 on key sizes and rsa-sha1).
//
// Streaming: header fields are kept (bounded by HeaderLimits) until the end
// of the header block, where the signatures are parsed and one body hash per
// distinct (canonicalization, hash, l=) is set up; the body then streams
// through them. finish() fetches the keys and checks each signature, at most
// max_signatures of them. Each signature gets a SignatureResult with one of
// the RFC 8601 words and a reason; a DNS timeout or SERVFAIL is temperror,
// never fail.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "signet/body_hashes.h"
#include "signet/dns.h"
#include "signet/header.h"
#include "signet/public_key_cache.h"
#include "signet/signature.h"
#include "signet/signer.h"
#include "signet/verdict.h"

namespace signet {

struct VerifierOptions {
  Resolver* resolver = nullptr;        // required; not owned
  std::size_t max_signatures = 5;      // more are counted, not checked
  int minimum_rsa_bits = 1024;         // RFC 8301 section 3.2
  int maximum_rsa_bits = 8192;         // larger keys cost a stranger nothing and us much: permerror
  bool strict_rsa_sha1 = false;        // rsa-sha1 → permerror (RFC 8301 section 3.1)
  std::int64_t allowed_clock_skew = 300;  // seconds a t= may lie in the future
  TagListLimits tag_limits{};
  Clock clock = systemClock;
  // Parsed keys, shared by every verifier built from these options (and
  // their copies); nullptr parses each key anew. See public_key_cache.h.
  std::shared_ptr<PublicKeyCache> key_cache = std::make_shared<PublicKeyCache>();
};

class MessageVerifier {
 public:
  explicit MessageVerifier(const VerifierOptions& options);

  void addHeader(HeaderField field) { headers_.push_back(std::move(field)); }
  void endOfHeaders();
  void addBody(std::span<const char> body) { bodies_.update(body); }
  std::vector<SignatureResult> finish();

  std::size_t signaturesFound() const { return found_; }
  std::size_t signaturesIgnored() const { return found_ > pending_.size() ? found_ - pending_.size() : 0; }

 private:
  struct Pending {
    std::size_t header_index;
    std::expected<DkimSignature, ParseError> signature;
    std::size_t body_index = 0;
  };
  SignatureResult check(const Pending& pending);

  const VerifierOptions& options_;
  std::vector<HeaderField> headers_;
  std::vector<Pending> pending_;
  std::size_t found_ = 0;
  BodyHashes bodies_;
};

// Verifies a whole message held in memory (CRLF or LF line ends).
std::expected<std::vector<SignatureResult>, ParseError> verifyMessage(const VerifierOptions& options,
                                                                      std::string_view message);

}  // namespace signet
