// Hashes and keys for DKIM (RFC 6376 section 3.3, RFC 8463, RFC 8301), on
// OpenSSL 3's EVP interface. OpenSSL objects are owned by RAII handles; every
// OpenSSL failure is turned into one Error by draining its error queue.
//
// Signing and verifying work on the hash of the canonicalized header data:
// rsa-* is RSASSA-PKCS1-v1_5 over that hash; ed25519-sha256 is PureEdDSA
// over the 32-byte SHA-256 hash (RFC 8463 section 3).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "signet/canonicalization.h"
#include "signet/error.h"
#include "signet/signature.h"

namespace signet {

// A running SHA-1 or SHA-256; also a BodySink, so a canonicalizer can feed it.
class Hash final : public BodySink {
 public:
  explicit Hash(HashAlgorithm algorithm);
  ~Hash() override;
  Hash(Hash&&) noexcept;
  Hash& operator=(Hash&&) noexcept;

  void write(std::span<const char> bytes) override;
  void update(std::string_view bytes) { write(std::span<const char>(bytes.data(), bytes.size())); }
  std::string finish();  // the raw digest; the hash is spent afterwards

  static std::string digest(HashAlgorithm algorithm, std::string_view bytes);

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

class PrivateKey {
 public:
  // PEM: PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 for RSA, PKCS#8 for Ed25519.
  static Result<std::shared_ptr<const PrivateKey>> parsePem(std::string_view pem);
  static Result<std::shared_ptr<const PrivateKey>> load(const std::string& path);
  static Result<std::shared_ptr<const PrivateKey>> generate(KeyType type, int bits);

  ~PrivateKey();
  KeyType type() const { return type_; }
  int bits() const { return bits_; }

  // Signs the hash of the header data (see the file comment).
  Result<std::string> signHash(HashAlgorithm hash, std::string_view header_hash) const;
  // The public key as it goes into p=: SubjectPublicKeyInfo DER for RSA, the
  // raw 32 bytes for Ed25519.
  Result<std::string> publicKeyData() const;
  // PKCS#8 PEM.
  Result<std::string> toPem() const;

 private:
  struct Handle;
  PrivateKey(std::unique_ptr<Handle> handle, KeyType type, int bits);
  std::unique_ptr<Handle> handle_;
  KeyType type_;
  int bits_;
};

class PublicKey {
 public:
  // From the decoded p= data: SubjectPublicKeyInfo or PKCS#1 RSAPublicKey for
  // RSA, 32 raw bytes for Ed25519.
  static std::expected<std::shared_ptr<const PublicKey>, ParseError> parse(KeyType type,
                                                                          std::string_view data);
  ~PublicKey();
  KeyType type() const { return type_; }
  int bits() const { return bits_; }

  bool verifyHash(HashAlgorithm hash, std::string_view header_hash, std::string_view signature) const;

 private:
  struct Handle;
  PublicKey(std::unique_ptr<Handle> handle, KeyType type, int bits);
  std::unique_ptr<Handle> handle_;
  KeyType type_;
  int bits_;
};

}  // namespace signet
