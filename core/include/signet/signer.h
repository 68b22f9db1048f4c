// Signing a message with one or more keys in one pass (RFC 6376 section 5;
// RFC 8463 for Ed25519). The body streams through one canonicalizer and hash
// per distinct (canonicalization, hash, l=); headers are kept until the end.
//
// Errors: a spec whose key does not fit its algorithm, an i= outside d=, or
// a signing failure in OpenSSL; each is an Error naming the key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "signet/body_hashes.h"
#include "signet/crypto.h"
#include "signet/header.h"

namespace signet {

// Header fields signed when the caller names none (RFC 6376 section 5.4.1),
// each instance present in the message.
std::span<const std::string_view> defaultSignedHeaders();

struct SignatureSpec {
  std::string domain;
  std::string selector;
  std::shared_ptr<const PrivateKey> key;
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;
  CanonicalizationPair canonicalization{};
  std::vector<std::string> headers;              // empty: defaultSignedHeaders()
  std::vector<std::string> oversign{"From"};     // listed once more than present
  std::string identity;                          // i=; empty: none
  bool body_length = false;                      // add l=
  bool timestamp = true;                         // add t=
  std::optional<std::uint64_t> expire_after;     // x= t + this many seconds
};

Result<void> validate(const SignatureSpec& spec);

using Clock = std::function<std::int64_t()>;  // seconds since the epoch
std::int64_t systemClock();

class MessageSigner {
 public:
  explicit MessageSigner(std::vector<SignatureSpec> specs, Clock clock = systemClock);

  void addHeader(HeaderField field) { headers_.push_back(std::move(field)); }
  void endOfHeaders() {}
  void addBody(std::span<const char> body) { bodies_.update(body); }

  // The new DKIM-Signature fields, in spec order, each folded with
  // `line_end` and without a final line end.
  Result<std::vector<std::string>> finish(std::string_view line_end = "\r\n");

 private:
  Result<std::string> signOne(const SignatureSpec& spec, std::size_t body_index, std::int64_t now);

  std::vector<SignatureSpec> specs_;
  std::vector<std::size_t> body_index_;
  Clock clock_;
  std::vector<HeaderField> headers_;
  BodyHashes bodies_;
};

}  // namespace signet
