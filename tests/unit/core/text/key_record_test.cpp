// The DKIM key record (RFC 6376 section 3.6.1; k=ed25519 from RFC 8463
// section 4): a table of records with the fields they give or the error they
// are, and allowsHash / allowsEmail.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signet/key_record.h"

namespace signet {
namespace {

// base64 of "key!" and of 32 bytes (the RFC 8463 Ed25519 public key).
constexpr const char* kP = "a2V5IQ==";
constexpr const char* kEd = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

using Names = std::vector<std::string>;

struct Valid {
  std::string what;
  std::string text;
  KeyType type = KeyType::rsa;
  Names hashes = {};
  Names services = {};
  bool revoked = false;
  bool testing = false;
  bool strict = false;
};

TEST(KeyRecordRfc6376, Section3_6_1ValidRecords) {
  const std::string p = std::string("p=") + kP;
  const std::vector<Valid> cases = {
      {"v=DKIM1 first", "v=DKIM1; " + p},
      {"no v= at all", p},
      {"FWS everywhere", " v = DKIM1 ;\r\n\tk = rsa ; " + p + " ;"},
      {"k=rsa", "v=DKIM1; k=rsa; " + p},
      {"k=ed25519 (RFC 8463)", std::string("v=DKIM1; k=ed25519; p=") + kEd, KeyType::ed25519},
      {"k= is case-insensitive", "k=RSA; " + p},
      {"h=sha256", "v=DKIM1; h=sha256; " + p, KeyType::rsa, {"sha256"}},
      {"h=sha1:sha256", "v=DKIM1; h=sha1 : SHA256; " + p, KeyType::rsa, {"sha1", "sha256"}},
      {"h= with an unknown hash", "h=sha512:sha256; " + p, KeyType::rsa, {"sha512", "sha256"}},
      {"s=email", "s=email; " + p, KeyType::rsa, {}, {"email"}},
      {"s=*", "s=*; " + p, KeyType::rsa, {}, {"*"}},
      {"s=other", "s=other; " + p, KeyType::rsa, {}, {"other"}},
      {"s=other:email", "s=other:email; " + p, KeyType::rsa, {}, {"other", "email"}},
      {"t=y", "t=y; " + p, KeyType::rsa, {}, {}, false, true, false},
      {"t=s", "t=s; " + p, KeyType::rsa, {}, {}, false, false, true},
      {"t=y:s", "t=y:s; " + p, KeyType::rsa, {}, {}, false, true, true},
      {"t= unknown flag ignored", "t=x:Y; " + p, KeyType::rsa, {}, {}, false, true, false},
      {"empty p= is revoked", "v=DKIM1; p=", KeyType::rsa, {}, {}, true},
      {"p= of only FWS is revoked", "v=DKIM1; k=rsa; p= \r\n ", KeyType::rsa, {}, {}, true},
      {"p= folded base64", "p=a2V5\r\n IQ==", KeyType::rsa},
      {"unknown tags ignored", "v=DKIM1; g=*; zz=top; " + p},
      {"n= notes", "v=DKIM1; n=hello_world; " + p},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what + ": " + c.text);
    const auto key = parseKeyRecord(c.text);
    ASSERT_TRUE(key.has_value()) << key.error().message();
    EXPECT_EQ(key->key_type, c.type);
    EXPECT_EQ(key->hash_algorithms, c.hashes);
    EXPECT_EQ(key->service_types, c.services);
    EXPECT_EQ(key->revoked, c.revoked);
    EXPECT_EQ(key->testing, c.testing);
    EXPECT_EQ(key->strict_identity, c.strict);
    if (c.revoked) {
      EXPECT_TRUE(key->public_key.empty());
    } else if (c.type == KeyType::rsa) {
      EXPECT_EQ(key->public_key, "key!");
    } else {
      EXPECT_EQ(key->public_key.size(), 32u);
    }
  }
}

TEST(KeyRecordRfc6376, NotesAreKept) {
  const auto key = parseKeyRecord(std::string("v=DKIM1; n=hello_world; p=") + kP);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->notes, "hello_world");
}

struct Invalid {
  std::string what;
  std::string text;
  std::string where;
  std::string why;
};

TEST(KeyRecordRfc6376, Section3_6_1InvalidRecords) {
  const std::string p = std::string("p=") + kP;
  const std::vector<Invalid> cases = {
      {"v= not first", "k=rsa; v=DKIM1; " + p, "key record", "v= is not the first tag"},
      {"v= last", p + "; v=DKIM1", "key record", "v= is not the first tag"},
      {"v=DKIM2", "v=DKIM2; " + p, "key record", "not a DKIM1 record"},
      {"v=dkim1 (case matters)", "v=dkim1; " + p, "key record", "not a DKIM1 record"},
      {"v= empty", "v=; " + p, "key record", "not a DKIM1 record"},
      {"v=spf1", "v=spf1 -all", "key record", "not a DKIM1 record"},
      {"k= unknown", "v=DKIM1; k=dsa; " + p, "key record", "unknown key type"},
      {"k= empty", "v=DKIM1; k=; " + p, "key record", "unknown key type"},
      {"missing p=", "v=DKIM1; k=rsa", "key record", "no p= tag"},
      {"p= not base64", "v=DKIM1; p=a2V5I!==", "key record p=", "invalid character"},
      {"p= truncated", "v=DKIM1; p=a2V5I", "key record p=", "truncated value"},
      {"duplicate p=", "v=DKIM1; " + p + "; " + p, "tag p", "appears twice"},
      {"not a tag list", "garbage", "tag list", "tag without '='"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what + ": " + c.text);
    const auto key = parseKeyRecord(c.text);
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().where, c.where);
    EXPECT_EQ(key.error().why, c.why);
  }
}

TEST(KeyRecordRfc6376, SpfRecordIsNotAKeyRecord) {
  // A TXT record that is not a tag list at all (an SPF record at the name).
  EXPECT_FALSE(parseKeyRecord("v=spf1 include:example.com ~all").has_value());
}

TEST(KeyRecordRfc6376, TagLimitsApply) {
  const std::string text = std::string("v=DKIM1; k=rsa; p=") + kP;
  EXPECT_TRUE(parseKeyRecord(text, TagListLimits{text.size(), 3}).has_value());
  const auto tags = parseKeyRecord(text, TagListLimits{65536, 2});
  ASSERT_FALSE(tags.has_value());
  EXPECT_EQ(tags.error().why, "more tags than the limit");
  const auto bytes = parseKeyRecord(text, TagListLimits{text.size() - 1, 64});
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().why, "longer than the limit");
}

TEST(KeyRecordRfc6376, ColonListsDropEmptyElementsAndLowerCase) {
  const auto key = parseKeyRecord(std::string("h=SHA1::sha256:; s=Email:; t=Y:; p=") + kP);
  ASSERT_TRUE(key.has_value()) << key.error().message();
  EXPECT_EQ(key->hash_algorithms, (Names{"sha1", "sha256"}));
  EXPECT_EQ(key->service_types, (Names{"email"}));
  EXPECT_TRUE(key->testing);
  EXPECT_FALSE(key->strict_identity);
}

TEST(KeyRecordRfc6376, ErrorsDoNotEchoTheRecord) {
  for (const std::string text : {"v=DKIM1; k=secretkind; p=", "v=DKIM1; p=secret!base64"}) {
    SCOPED_TRACE(text);
    const auto key = parseKeyRecord(text);
    ASSERT_FALSE(key.has_value());
    EXPECT_EQ(key.error().message().find("secret"), std::string::npos) << key.error().message();
  }
}

// --- h= and s= (section 3.6.1) ---

struct Allows {
  std::string record;
  bool sha1;
  bool sha256;
  bool email;
};

TEST(KeyRecordRfc6376, AllowsHashAndEmail) {
  const std::string p = std::string("; p=") + kP;
  const std::vector<Allows> cases = {
      {"v=DKIM1" + p, true, true, true},  // no h=, no s=: anything
      {"h=sha256" + p, false, true, true},
      {"h=sha1" + p, true, false, true},
      {"h=sha1:sha256" + p, true, true, true},
      {"h=SHA256" + p, false, true, true},
      {"h=sha512" + p, false, false, true},
      {"s=email" + p, true, true, true},
      {"s=*" + p, true, true, true},
      {"s=other" + p, true, true, false},
      {"s=other:email" + p, true, true, true},
      {"s=EMAIL" + p, true, true, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.record);
    const auto key = parseKeyRecord(c.record);
    ASSERT_TRUE(key.has_value()) << key.error().message();
    EXPECT_EQ(key->allowsHash(HashAlgorithm::sha1), c.sha1);
    EXPECT_EQ(key->allowsHash(HashAlgorithm::sha256), c.sha256);
    EXPECT_EQ(key->allowsEmail(), c.email);
  }
}

TEST(KeyRecordRfc6376, Rfc8463AppendixARecords) {
  const auto ed = parseKeyRecord(std::string("v=DKIM1; k=ed25519; p=") + kEd);
  ASSERT_TRUE(ed.has_value());
  EXPECT_EQ(ed->key_type, KeyType::ed25519);
  ASSERT_EQ(ed->public_key.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(ed->public_key[0]), 0xd7);
  EXPECT_EQ(static_cast<unsigned char>(ed->public_key[31]), 0x1a);

  const auto rsa = parseKeyRecord(
      "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/"
      "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+"
      "2kryOTIKT+l/K4w3QIDAQAB");
  ASSERT_TRUE(rsa.has_value());
  EXPECT_EQ(rsa->key_type, KeyType::rsa);
  EXPECT_EQ(rsa->public_key.size(), 162u);  // SubjectPublicKeyInfo of a 1024-bit key
}

}  // namespace
}  // namespace signet
