#include "signet/crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace signet {
namespace {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Drains OpenSSL's error queue into one message.
std::string opensslError(std::string_view what) {
  std::string out(what);
  unsigned long code = 0;
  bool first = true;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    out += first ? ": " : "; ";
    out += buffer;
    first = false;
  }
  return out;
}

// The digests, fetched from the default provider once per process: handing
// OpenSSL 3 EVP_sha256() makes it fetch the implementation on every use.
// Immutable once made (function-local statics are initialised thread-safely);
// EVP_sha1()/EVP_sha256() stand in should a fetch ever fail.
const EVP_MD* mdFor(HashAlgorithm h) {
  static const EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (h == HashAlgorithm::sha1) return sha1 ? sha1 : EVP_sha1();
  return sha256 ? sha256 : EVP_sha256();
}

// A context ready to verify RSASSA-PKCS1-v1_5 over `hash` with `pkey`.
EvpPkeyCtxPtr rsaVerifyContext(EVP_PKEY* pkey, HashAlgorithm hash) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), mdFor(hash)) != 1)
    return nullptr;
  return ctx;
}

std::expected<KeyType, std::string> keyTypeOfPkey(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) return KeyType::rsa;
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::ed25519;
  return std::unexpected(std::string("not an RSA or Ed25519 key"));
}

}  // namespace

struct Hash::Context {
  EvpMdCtxPtr md;
};

Hash::Hash(HashAlgorithm algorithm) : ctx_(std::make_unique<Context>()) {
  ctx_->md.reset(EVP_MD_CTX_new());
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), mdFor(algorithm), nullptr) != 1)
    throw std::bad_alloc();  // exhaustion only
}
Hash::~Hash() = default;
Hash::Hash(Hash&&) noexcept = default;
Hash& Hash::operator=(Hash&&) noexcept = default;

void Hash::write(std::span<const char> bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_->md.get(), bytes.data(), bytes.size());
}

std::string Hash::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx_->md.get(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string Hash::digest(HashAlgorithm algorithm, std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &size, mdFor(algorithm), nullptr);
  return std::string(reinterpret_cast<const char*>(out), size);
}

struct PrivateKey::Handle {
  EvpPkeyPtr pkey;
};

PrivateKey::PrivateKey(std::unique_ptr<Handle> handle, KeyType type, int bits)
    : handle_(std::move(handle)), type_(type), bits_(bits) {}
PrivateKey::~PrivateKey() = default;

Result<std::shared_ptr<const PrivateKey>> PrivateKey::parsePem(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return failure(opensslError("cannot read key"));
  // No passphrase: an encrypted key fails here instead of prompting on a terminal.
  auto no_passphrase = [](char*, int, int, void*) -> int { return 0; };
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!pkey) {
    ERR_clear_error();
    return failure("not an unencrypted PEM private key (PKCS#1 or PKCS#8)");
  }
  auto type = keyTypeOfPkey(pkey.get());
  if (!type) return failure(type.error());
  const int bits = EVP_PKEY_get_bits(pkey.get());
  auto handle = std::make_unique<Handle>();
  handle->pkey = std::move(pkey);
  return std::shared_ptr<const PrivateKey>(new PrivateKey(std::move(handle), *type, bits));
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure("cannot open key file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto key = parsePem(text.str());
  if (!key) return failure(path + ": " + key.error().message);
  return key;
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::generate(KeyType type, int bits) {
  ERR_clear_error();
  EVP_PKEY* raw = nullptr;
  if (type == KeyType::rsa) {
    if (bits < 1024 || bits > 16384) return failure("RSA key size must be between 1024 and 16384 bits");
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 || EVP_PKEY_generate(ctx.get(), &raw) != 1)
      return failure(opensslError("RSA key generation failed"));
  } else {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "ED25519", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_generate(ctx.get(), &raw) != 1)
      return failure(opensslError("Ed25519 key generation failed"));
  }
  auto handle = std::make_unique<Handle>();
  handle->pkey.reset(raw);
  const int real_bits = EVP_PKEY_get_bits(raw);
  return std::shared_ptr<const PrivateKey>(new PrivateKey(std::move(handle), type, real_bits));
}

Result<std::string> PrivateKey::signHash(HashAlgorithm hash, std::string_view header_hash) const {
  ERR_clear_error();
  EVP_PKEY* pkey = handle_->pkey.get();
  std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(pkey)), '\0');
  std::size_t size = signature.size();
  const auto* data = reinterpret_cast<const unsigned char*>(header_hash.data());
  auto* out = reinterpret_cast<unsigned char*>(signature.data());
  if (type_ == KeyType::rsa) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), mdFor(hash)) != 1 ||
        EVP_PKEY_sign(ctx.get(), out, &size, data, header_hash.size()) != 1)
      return failure(opensslError("RSA signing failed"));
  } else {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, pkey, nullptr) != 1 ||
        EVP_DigestSign(md.get(), out, &size, data, header_hash.size()) != 1)
      return failure(opensslError("Ed25519 signing failed"));
  }
  signature.resize(size);
  return signature;
}

Result<std::string> PrivateKey::publicKeyData() const {
  ERR_clear_error();
  EVP_PKEY* pkey = handle_->pkey.get();
  if (type_ == KeyType::ed25519) {
    std::string raw(32, '\0');
    std::size_t size = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1)
      return failure(opensslError("cannot export the Ed25519 public key"));
    raw.resize(size);
    return raw;
  }
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(pkey, &der);
  if (size <= 0) return failure(opensslError("cannot export the RSA public key"));
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

Result<std::string> PrivateKey::toPem() const {
  ERR_clear_error();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), handle_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1)
    return failure(opensslError("cannot write the private key"));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

struct PublicKey::Handle {
  EvpPkeyPtr pkey;
  // RSA: verify contexts set up once per key, [0] SHA-1, [1] SHA-256; each
  // verification works on its own copy (EVP_PKEY_CTX_dup only reads these),
  // which costs far less than setting a context up. Null when not made.
  EvpPkeyCtxPtr rsa_verify[2];
};

PublicKey::PublicKey(std::unique_ptr<Handle> handle, KeyType type, int bits)
    : handle_(std::move(handle)), type_(type), bits_(bits) {}
PublicKey::~PublicKey() = default;

std::expected<std::shared_ptr<const PublicKey>, ParseError> PublicKey::parse(KeyType type,
                                                                            std::string_view data) {
  ERR_clear_error();
  EvpPkeyPtr pkey;
  if (type == KeyType::ed25519) {
    if (data.size() != 32) return parseError("key record p=", "an Ed25519 key must be 32 bytes");
    pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(data.data()), 32));
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    pkey.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(data.size())));
    if (!pkey || p != reinterpret_cast<const unsigned char*>(data.data()) + data.size()) {
      // Some publish the bare PKCS#1 RSAPublicKey.
      p = reinterpret_cast<const unsigned char*>(data.data());
      pkey.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(data.size())));
      if (pkey && p != reinterpret_cast<const unsigned char*>(data.data()) + data.size()) pkey.reset();
    }
    if (pkey && !EVP_PKEY_is_a(pkey.get(), "RSA")) pkey.reset();
  }
  ERR_clear_error();
  if (!pkey) return parseError("key record p=", "not a valid " + std::string(toString(type)) + " public key");
  const int bits = EVP_PKEY_get_bits(pkey.get());
  auto handle = std::make_unique<Handle>();
  if (type == KeyType::rsa) {
    handle->rsa_verify[0] = rsaVerifyContext(pkey.get(), HashAlgorithm::sha1);
    handle->rsa_verify[1] = rsaVerifyContext(pkey.get(), HashAlgorithm::sha256);
    ERR_clear_error();
  }
  handle->pkey = std::move(pkey);
  return std::shared_ptr<const PublicKey>(new PublicKey(std::move(handle), type, bits));
}

bool PublicKey::verifyHash(HashAlgorithm hash, std::string_view header_hash,
                           std::string_view signature) const {
  EVP_PKEY* pkey = handle_->pkey.get();
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  const auto* data = reinterpret_cast<const unsigned char*>(header_hash.data());
  bool ok = false;
  if (type_ == KeyType::rsa) {
    const EVP_PKEY_CTX* prepared = handle_->rsa_verify[hash == HashAlgorithm::sha1 ? 0 : 1].get();
    EvpPkeyCtxPtr ctx(prepared ? EVP_PKEY_CTX_dup(prepared) : nullptr);
    if (!ctx) ctx = rsaVerifyContext(pkey, hash);
    ok = ctx && EVP_PKEY_verify(ctx.get(), sig, signature.size(), data, header_hash.size()) == 1;
  } else {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    ok = md && EVP_DigestVerifyInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, pkey, nullptr) == 1 &&
         EVP_DigestVerify(md.get(), sig, signature.size(), data, header_hash.size()) == 1;
  }
  ERR_clear_error();
  return ok;
}

}  // namespace signet
