// Signing and verifying DomainKey-Signature header fields (RFC 4870,
// historic), beside DKIM and through the same Resolver.
//
// What is signed (RFC 4870 section 3.4): SHA-1 over the selected header
// fields, the empty line ending the header block and the body, canonicalized
// as a whole by "simple" or "nofws" (domainkeys_canonicalization.h), signed
// with RSASSA-PKCS1-v1_5. The DomainKey-Signature field itself is not hashed.
//
// Header selection. Verifying: the fields that follow the DomainKey-Signature
// field, all of them, or when h= is present those whose name h= lists (every
// occurrence, in message order). Signing: the fields from the header that
// gives the sending address (the first Sender:, else the first From:) down
// to the end of the header block. The new field is prepended to the message,
// so when fields stand above the sender header the signer writes h= with one
// entry per signed field, in message order; a field above the sender header
// whose name also occurs below it is signed too, since a verifier takes
// every occurrence of a name h= lists.
//
// Identity: the sending address comes from the signed Sender: header, else
// the signed From: header (RFC 4870); d= must be its domain or
// a parent of it; a key's g= must allow its local-part.
//
// Streaming: headers are kept until the end of the header block, where the
// selected ones are hashed; the body then streams through one canonicalizer
// and SHA-1 per signature. finish() fetches the keys.
//
// Errors (signer): no Sender/From header, an unparsable sending address, a
// sending domain outside d=, a key that is not RSA, a signing failure; each
// an Error naming the key. The verifier turns every problem into a result.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "signet/address.h"
#include "signet/crypto.h"
#include "signet/domainkey_signature.h"
#include "signet/header.h"
#include "signet/qmail_dk.h"
#include "signet/verdict.h"
#include "signet/verifier.h"

namespace signet {

struct DomainKeysSpec {
  std::string domain;
  std::string selector;
  std::shared_ptr<const PrivateKey> key;  // RSA
  DomainKeysCanonicalization canonicalization = DomainKeysCanonicalization::nofws;  // as qmail-dk
  bool always_list_headers = false;  // write h= even when every header field is signed
};

Result<void> validate(const DomainKeysSpec& spec);

class DomainKeysSigner {
 public:
  explicit DomainKeysSigner(DomainKeysSpec spec);
  ~DomainKeysSigner();
  DomainKeysSigner(const DomainKeysSigner&) = delete;
  DomainKeysSigner& operator=(const DomainKeysSigner&) = delete;

  void addHeader(HeaderField field) { headers_.push_back(std::move(field)); }
  // Chooses and hashes the header fields; a problem is reported by finish().
  void endOfHeaders();
  void addBody(std::span<const char> body);

  // The new DomainKey-Signature field, folded with `line_end`, without a
  // final line end.
  Result<std::string> finish(std::string_view line_end = "\r\n");

 private:
  DomainKeysSpec spec_;
  std::vector<HeaderField> headers_;
  std::vector<std::string> header_list_;  // h= entries; empty when every field is signed
  std::unique_ptr<Hash> hash_;
  std::unique_ptr<BodyCanonicalizer> body_;
  std::optional<Error> error_;
};

// One DomainKey-Signature's outcome: the result reported everywhere (method
// "domainkeys"; identity is the sending address, identity_source "sender"
// or "from") and the qmail-dk status it amounts to.
struct DomainKeysResult {
  SignatureResult result;
  DkStatus status = DkStatus::nosig;
};

// The qmail-dk status this result counts as in a DKVERIFY decision: its own,
// except that a bad signature under a t=y key counts as OK, since RFC 4870
// section 3.2 (t=y) says such mail must not be treated differently from
// verified mail.
DkStatus policyStatus(const DomainKeysResult& r);

// The DomainKey-Status header value for a message's DomainKeys outcome: the
// first good signature's, else the first signature's (see
// domainKeyStatusText), with " (test mode)" for a t=y key; "no signature"
// when there is none.
std::string domainKeyStatus(std::span<const DomainKeysResult> results);

// Verifies the DomainKey-Signature fields of a message; options as for DKIM
// (resolver, max_signatures, minimum_rsa_bits, tag_limits; strict_rsa_sha1
// does not apply: DomainKeys has only rsa-sha1).
class DomainKeysVerifier {
 public:
  explicit DomainKeysVerifier(const VerifierOptions& options);
  ~DomainKeysVerifier();
  DomainKeysVerifier(const DomainKeysVerifier&) = delete;
  DomainKeysVerifier& operator=(const DomainKeysVerifier&) = delete;

  void addHeader(HeaderField field) { headers_.push_back(std::move(field)); }
  void endOfHeaders();
  void addBody(std::span<const char> body);
  std::vector<DomainKeysResult> finish();

  std::size_t signaturesFound() const { return found_; }
  std::size_t signaturesIgnored() const { return found_ > pending_.size() ? found_ - pending_.size() : 0; }

 private:
  struct Pending;
  void prepare(Pending& p);
  void checkKey(const Pending& p, const std::string& digest, DomainKeysResult& out);

  const VerifierOptions& options_;
  std::vector<HeaderField> headers_;
  std::vector<std::unique_ptr<Pending>> pending_;
  std::size_t found_ = 0;
};

// Verifies the DomainKeys signatures of a whole message held in memory.
std::expected<std::vector<DomainKeysResult>, ParseError> verifyDomainKeys(const VerifierOptions& options,
                                                                          std::string_view message);

}  // namespace signet
