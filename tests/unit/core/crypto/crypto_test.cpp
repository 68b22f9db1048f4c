// Hashes and keys (RFC 6376 section 3.3, RFC 8463 section 3, RFC 8301):
// SHA-1 / SHA-256 against the FIPS 180 vectors, private keys from PEM
// (PKCS#1 and PKCS#8 RSA, PKCS#8 Ed25519), signing and verifying the header
// hash, Ed25519 against RFC 8032, public keys from p= data.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../core_test_support.h"
#include "signet/base64.h"
#include "signet/crypto.h"

namespace signet {
namespace {

using coretest::hex;
using coretest::unhex;

// --- Hash ---

struct HashVector {
  HashAlgorithm algorithm;
  std::string input;
  std::string digest_hex;
};

const std::vector<HashVector>& hashVectors() {
  static const std::vector<HashVector> vectors = {
      {HashAlgorithm::sha1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {HashAlgorithm::sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {HashAlgorithm::sha1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
      {HashAlgorithm::sha1, std::string(1000000, 'a'), "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
      {HashAlgorithm::sha256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {HashAlgorithm::sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {HashAlgorithm::sha256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {HashAlgorithm::sha256, std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  return vectors;
}

TEST(HashFips180, OneShotDigest) {
  for (const auto& v : hashVectors()) {
    SCOPED_TRACE(std::string(toString(v.algorithm)) + " of " + std::to_string(v.input.size()) + " bytes");
    EXPECT_EQ(hex(Hash::digest(v.algorithm, v.input)), v.digest_hex);
  }
}

TEST(HashFips180, StreamedInChunksOfEverySize) {
  for (const auto& v : hashVectors()) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{65537}}) {
      if (chunk == 1 && v.input.size() > 1000) continue;
      SCOPED_TRACE(std::string(toString(v.algorithm)) + " chunk " + std::to_string(chunk));
      Hash hash(v.algorithm);
      for (std::size_t i = 0; i < v.input.size(); i += chunk)
        hash.update(std::string_view(v.input).substr(i, chunk));
      EXPECT_EQ(hex(hash.finish()), v.digest_hex);
    }
  }
}

TEST(HashFips180, IsABodySinkAndMoves) {
  Hash hash(HashAlgorithm::sha256);
  BodySink& sink = hash;
  sink.write(std::span<const char>("ab", 2));
  Hash moved = std::move(hash);
  moved.write(std::span<const char>("c", 1));
  EXPECT_EQ(hex(moved.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hash::digest(HashAlgorithm::sha1, "abc").size(), 20u);
  EXPECT_EQ(Hash::digest(HashAlgorithm::sha256, "abc").size(), 32u);
}

// --- PrivateKey ---

std::shared_ptr<const PrivateKey> mustParse(const std::string& pem) {
  auto key = PrivateKey::parsePem(pem);
  if (!key) {
    ADD_FAILURE() << key.error().message;
    return nullptr;
  }
  return *key;
}

const std::shared_ptr<const PrivateKey>& rsaKey() {
  static const auto key = *PrivateKey::generate(KeyType::rsa, 1024);
  return key;
}

const std::shared_ptr<const PrivateKey>& edKey() {
  static const auto key = *PrivateKey::generate(KeyType::ed25519, 0);
  return key;
}

TEST(PrivateKeyPem, GenerateRsaAndEd25519) {
  ASSERT_NE(rsaKey(), nullptr);
  EXPECT_EQ(rsaKey()->type(), KeyType::rsa);
  EXPECT_EQ(rsaKey()->bits(), 1024);
  ASSERT_NE(edKey(), nullptr);
  EXPECT_EQ(edKey()->type(), KeyType::ed25519);
  EXPECT_EQ(edKey()->bits(), 256);
}

TEST(PrivateKeyPem, GenerateRefusesRsaUnder1024Bits) {
  const auto key = PrivateKey::generate(KeyType::rsa, 512);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().message, "RSA key size must be between 1024 and 16384 bits");
  EXPECT_FALSE(PrivateKey::generate(KeyType::rsa, 1023).has_value());
}

TEST(PrivateKeyPem, Pkcs8RoundTripForRsaAndEd25519) {
  for (const auto& key : {rsaKey(), edKey()}) {
    SCOPED_TRACE(std::string(toString(key->type())));
    const auto pem = key->toPem();
    ASSERT_TRUE(pem.has_value()) << pem.error().message;
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);  // PKCS#8
    const auto back = mustParse(*pem);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->type(), key->type());
    EXPECT_EQ(back->bits(), key->bits());
    EXPECT_EQ(*back->publicKeyData(), *key->publicKeyData());
  }
}

TEST(PrivateKeyPem, Pkcs1RsaFromOpensslGenrsaTraditional) {
  const std::string pem = coretest::readDataFile("rsa1024_pkcs1.pem");
  ASSERT_EQ(pem.rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  const auto key = mustParse(pem);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->type(), KeyType::rsa);
  EXPECT_EQ(key->bits(), 1024);
  const auto loaded = PrivateKey::load(coretest::dataPath("rsa512_pkcs1.pem"));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ((*loaded)->bits(), 512);
}

TEST(PrivateKeyPem, Ed25519FromRfc8032Seed) {
  const auto key = mustParse(coretest::ed25519PemFromSeed(
      "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->type(), KeyType::ed25519);
  // RFC 8463 Appendix A.2 publishes this key's public half.
  EXPECT_EQ(encodeBase64(*key->publicKeyData()), "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
}

TEST(PrivateKeyPem, GarbageIsAnError) {
  const std::vector<std::string> inputs = {
      "",
      "garbage",
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      "-----BEGIN RSA PRIVATE KEY-----\nnot base64!\n-----END RSA PRIVATE KEY-----\n",
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n",
  };
  for (const auto& pem : inputs) {
    SCOPED_TRACE(pem);
    const auto key = PrivateKey::parsePem(pem);
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().message, "not an unencrypted PEM private key (PKCS#1 or PKCS#8)");
  }
  // A truncated copy of a real key.
  const std::string pem = coretest::readDataFile("rsa1024_pkcs1.pem");
  EXPECT_FALSE(PrivateKey::parsePem(pem.substr(0, pem.size() / 2)).has_value());
}

TEST(PrivateKeyPem, OtherKeyTypesAreRefused) {
  const auto key = PrivateKey::parsePem(coretest::readDataFile("ec_p256.pem"));
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().message, "not an RSA or Ed25519 key");
}

TEST(PrivateKeyPem, LoadNamesTheMissingFile) {
  const auto key = PrivateKey::load("/nonexistent/signet-test.pem");
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().message, "cannot open key file /nonexistent/signet-test.pem");
}

// --- signing and verifying the header hash ---

struct RoundTrip {
  SigningAlgorithm algorithm;
  std::size_t signature_size;
};

TEST(KeySignVerify, RoundTripTamperAndWrongData) {
  const std::vector<RoundTrip> cases = {{SigningAlgorithm::rsa_sha256, 128},
                                        {SigningAlgorithm::rsa_sha1, 128},
                                        {SigningAlgorithm::ed25519_sha256, 64}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(toString(c.algorithm)));
    const auto& key = keyTypeOf(c.algorithm) == KeyType::rsa ? rsaKey() : edKey();
    const HashAlgorithm h = hashOf(c.algorithm);
    const std::string digest = Hash::digest(h, "header data");
    const auto signature = key->signHash(h, digest);
    ASSERT_TRUE(signature.has_value()) << signature.error().message;
    EXPECT_EQ(signature->size(), c.signature_size);
    const auto pub = PublicKey::parse(key->type(), *key->publicKeyData());
    ASSERT_TRUE(pub.has_value()) << pub.error().message();
    EXPECT_TRUE((*pub)->verifyHash(h, digest, *signature));

    std::string tampered = *signature;
    tampered[tampered.size() / 2] ^= 0x01;
    EXPECT_FALSE((*pub)->verifyHash(h, digest, tampered));
    EXPECT_FALSE((*pub)->verifyHash(h, Hash::digest(h, "header datA"), *signature));
    EXPECT_FALSE((*pub)->verifyHash(h, digest, ""));
    EXPECT_FALSE((*pub)->verifyHash(h, digest, signature->substr(1)));
  }
}

TEST(KeySignVerify, RsaHashAlgorithmIsPartOfTheSignature) {
  // An rsa-sha1 signature is not an rsa-sha256 one, even over the same bytes.
  const std::string digest1 = Hash::digest(HashAlgorithm::sha1, "x");
  const auto signature = rsaKey()->signHash(HashAlgorithm::sha1, digest1);
  ASSERT_TRUE(signature.has_value());
  const auto pub = PublicKey::parse(KeyType::rsa, *rsaKey()->publicKeyData());
  ASSERT_TRUE(pub.has_value());
  EXPECT_TRUE((*pub)->verifyHash(HashAlgorithm::sha1, digest1, *signature));
  EXPECT_FALSE((*pub)->verifyHash(HashAlgorithm::sha256, Hash::digest(HashAlgorithm::sha256, "x"), *signature));
}

TEST(KeySignVerify, KeyOfAnotherPairDoesNotVerify) {
  const auto other = *PrivateKey::generate(KeyType::ed25519, 0);
  const std::string digest = Hash::digest(HashAlgorithm::sha256, "m");
  const auto signature = edKey()->signHash(HashAlgorithm::sha256, digest);
  ASSERT_TRUE(signature.has_value());
  const auto pub = PublicKey::parse(KeyType::ed25519, *other->publicKeyData());
  ASSERT_TRUE(pub.has_value());
  EXPECT_FALSE((*pub)->verifyHash(HashAlgorithm::sha256, digest, *signature));
}

// RFC 8032 section 7.1, tests 2 and 3: Ed25519 is deterministic, and signHash
// signs the bytes it is given (PureEdDSA, RFC 8463 section 3).
TEST(KeySignVerify, Ed25519Rfc8032Section7_1Vectors) {
  struct Vector {
    const char* seed;
    const char* public_key;
    const char* message;
    const char* signature;
  };
  const Vector vectors[] = {
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
       "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.seed);
    const auto key = mustParse(coretest::ed25519PemFromSeed(v.seed));
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(hex(*key->publicKeyData()), v.public_key);
    const auto signature = key->signHash(HashAlgorithm::sha256, unhex(v.message));
    ASSERT_TRUE(signature.has_value());
    EXPECT_EQ(hex(*signature), v.signature);
    const auto pub = PublicKey::parse(KeyType::ed25519, unhex(v.public_key));
    ASSERT_TRUE(pub.has_value());
    EXPECT_TRUE((*pub)->verifyHash(HashAlgorithm::sha256, unhex(v.message), unhex(v.signature)));
  }
}

// --- PublicKey::parse (p= data) ---

// The RSAPublicKey (PKCS#1) inside a SubjectPublicKeyInfo: the BIT STRING
// content after the AlgorithmIdentifier.
std::string rsaPublicKeyOf(std::string_view spki) {
  std::size_t pos = 0;
  auto length = [&]() {
    const auto first = static_cast<unsigned char>(spki[pos++]);
    if (first < 0x80) return static_cast<std::size_t>(first);
    std::size_t n = 0;
    for (int i = 0; i < (first & 0x7f); ++i) n = (n << 8) | static_cast<unsigned char>(spki[pos++]);
    return n;
  };
  ++pos;     // SEQUENCE
  length();  // enter it
  ++pos;     // SEQUENCE (AlgorithmIdentifier)
  pos += length();
  ++pos;  // BIT STRING
  const std::size_t bits = length();
  ++pos;  // unused bits
  return std::string(spki.substr(pos, bits - 1));
}

TEST(PublicKeyParse, SubjectPublicKeyInfoAndPkcs1Rsa) {
  const std::string spki = *rsaKey()->publicKeyData();
  EXPECT_EQ(spki.size(), 162u);
  const auto from_spki = PublicKey::parse(KeyType::rsa, spki);
  ASSERT_TRUE(from_spki.has_value()) << from_spki.error().message();
  EXPECT_EQ((*from_spki)->type(), KeyType::rsa);
  EXPECT_EQ((*from_spki)->bits(), 1024);

  const std::string pkcs1 = rsaPublicKeyOf(spki);
  EXPECT_EQ(pkcs1.size(), 140u);
  const auto from_pkcs1 = PublicKey::parse(KeyType::rsa, pkcs1);
  ASSERT_TRUE(from_pkcs1.has_value()) << from_pkcs1.error().message();
  EXPECT_EQ((*from_pkcs1)->bits(), 1024);
  const std::string digest = Hash::digest(HashAlgorithm::sha256, "d");
  const auto signature = rsaKey()->signHash(HashAlgorithm::sha256, digest);
  ASSERT_TRUE(signature.has_value());
  EXPECT_TRUE((*from_pkcs1)->verifyHash(HashAlgorithm::sha256, digest, *signature));
}

TEST(PublicKeyParse, RsaBitsOfPublishedKeys) {
  const auto rfc8463 = PublicKey::parse(
      KeyType::rsa,
      *parseBase64("MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
                   "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
                   "Ip3G+2kryOTIKT+l/K4w3QIDAQAB"));
  ASSERT_TRUE(rfc8463.has_value());
  EXPECT_EQ((*rfc8463)->bits(), 1024);
  const auto small = PrivateKey::load(coretest::dataPath("rsa512_pkcs1.pem"));
  ASSERT_TRUE(small.has_value());
  const auto pub = PublicKey::parse(KeyType::rsa, *(*small)->publicKeyData());
  ASSERT_TRUE(pub.has_value());
  EXPECT_EQ((*pub)->bits(), 512);
}

TEST(PublicKeyParse, Ed25519RawKey) {
  const auto pub = PublicKey::parse(KeyType::ed25519, *edKey()->publicKeyData());
  ASSERT_TRUE(pub.has_value());
  EXPECT_EQ((*pub)->type(), KeyType::ed25519);
  EXPECT_EQ((*pub)->bits(), 256);
}

struct BadKey {
  const char* what;
  KeyType type;
  std::string data;
  std::string why;
};

TEST(PublicKeyParse, MalformedDataIsAnError) {
  const std::string spki = *rsaKey()->publicKeyData();
  const std::string ed = *edKey()->publicKeyData();
  const std::vector<BadKey> cases = {
      {"Ed25519 31 bytes", KeyType::ed25519, ed.substr(1), "an Ed25519 key must be 32 bytes"},
      {"Ed25519 33 bytes", KeyType::ed25519, ed + "x", "an Ed25519 key must be 32 bytes"},
      {"Ed25519 empty", KeyType::ed25519, "", "an Ed25519 key must be 32 bytes"},
      {"RSA key given as Ed25519", KeyType::ed25519, spki, "an Ed25519 key must be 32 bytes"},
      {"RSA garbage", KeyType::rsa, "garbage garbage garbage", "not a valid rsa public key"},
      {"RSA empty", KeyType::rsa, "", "not a valid rsa public key"},
      {"RSA SPKI with trailing byte", KeyType::rsa, spki + std::string(1, '\0'), "not a valid rsa public key"},
      {"RSA SPKI truncated", KeyType::rsa, spki.substr(0, spki.size() - 1), "not a valid rsa public key"},
      {"Ed25519 bytes given as RSA", KeyType::rsa, ed, "not a valid rsa public key"},
      {"Ed25519 SPKI given as RSA", KeyType::rsa,
       *parseBase64("MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="), "not a valid rsa public key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto pub = PublicKey::parse(c.type, c.data);
    ASSERT_FALSE(pub.has_value());
    EXPECT_EQ(pub.error().where, "key record p=");
    EXPECT_EQ(pub.error().why, c.why);
  }
}

}  // namespace
}  // namespace signet
