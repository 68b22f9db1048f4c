// RFC 8463 Appendix A: the RFC 6376 example message signed with both
// ed25519-sha256 (selector brisbane) and rsa-sha256 (selector test), with the
// key records of A.2. Both signatures must verify. Ed25519 is deterministic,
// so the private key of A.1 must also reproduce the published b= exactly from
// the header hash input, which is checked byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../core_test_support.h"
#include "engine_test_support.h"
#include "signet/auth_results.h"
#include "signet/header_hash.h"

namespace signet {
namespace {

using namespace coretest;

// A.3, with CRLF line ends. The RFC shows the folded lines with one leading SP.
const std::string kSignatures =
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n";

const std::string kUnsignedMessage =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

const std::string kMessageA3 = kSignatures + kUnsignedMessage;

// A.1: the Ed25519 private key (the RFC 8032 test 1 seed).
constexpr const char* kEd25519Seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

// A.2: the key records, the character-strings of each TXT record joined.
const std::string kBrisbaneRecord = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const std::string kTestRecord =
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

constexpr std::int64_t kSigned = 1528637909;

class Rfc8463AppendixA : public ::testing::Test {
 protected:
  void SetUp() override {
    resolver_.publish("brisbane._domainkey.football.example.com", {kBrisbaneRecord});
    resolver_.publish("test._domainkey.football.example.com", {kTestRecord});
  }
  VerifierOptions options() { return verifierOptions(resolver_, kSigned + 3600); }

  std::vector<HeaderField> headersOf(const std::string& message) {
    std::vector<HeaderField> headers;
    MessageReader reader([&](HeaderField&& f) { headers.push_back(std::move(f)); }, [] {},
                         [](std::span<const char>) {});
    EXPECT_TRUE(reader.update(std::span<const char>(message.data(), message.size())));
    EXPECT_TRUE(reader.finish());
    return headers;
  }

  FakeResolver resolver_;
};

void expectBothPass(const std::vector<SignatureResult>& results) {
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
  EXPECT_EQ(results[0].algorithm, "ed25519-sha256");
  EXPECT_EQ(results[0].selector, "brisbane");
  EXPECT_EQ(results[0].domain, "football.example.com");
  EXPECT_EQ(results[0].identity, "@football.example.com");
  EXPECT_EQ(results[0].key_bits, 256);
  EXPECT_EQ(results[1].verdict, Verdict::pass) << summary(results[1]);
  EXPECT_EQ(results[1].algorithm, "rsa-sha256");
  EXPECT_EQ(results[1].selector, "test");
  EXPECT_EQ(results[1].key_bits, 1024);
}

TEST_F(Rfc8463AppendixA, BothSignaturesVerify) {
  expectBothPass(verify(options(), kMessageA3));
  EXPECT_EQ(resolver_.queries, (std::vector<std::string>{"brisbane._domainkey.football.example.com",
                                                         "test._domainkey.football.example.com"}));
}

TEST_F(Rfc8463AppendixA, BothSignaturesVerifyWithLfLineEnds) {
  std::string lf;
  for (char c : kMessageA3)
    if (c != '\r') lf += c;
  expectBothPass(verify(options(), lf));
}

TEST_F(Rfc8463AppendixA, BothSignaturesVerifyFedByteByByte) {
  const VerifierOptions opts = options();
  MessageVerifier verifier(opts);
  MessageReader reader([&](HeaderField&& f) { verifier.addHeader(std::move(f)); }, [&] { verifier.endOfHeaders(); },
                       [&](std::span<const char> body) { verifier.addBody(body); });
  for (char c : kMessageA3) ASSERT_TRUE(reader.update(std::span<const char>(&c, 1)));
  ASSERT_TRUE(reader.finish());
  expectBothPass(verifier.finish());
}

TEST_F(Rfc8463AppendixA, AuthenticationResults) {
  const auto results = verify(options(), kMessageA3);
  EXPECT_EQ(renderAuthenticationResults("mx.example.net", results),
            "Authentication-Results: mx.example.net;\r\n"
            "\tdkim=pass (256-bit ed25519-sha256 key; insecure)\r\n"
            "\theader.d=football.example.com header.i=@football.example.com\r\n"
            "\theader.s=brisbane header.a=ed25519-sha256 header.b=\"/gCrinpc\";\r\n"
            "\tdkim=pass (1024-bit rsa-sha256 key; insecure)\r\n"
            "\theader.d=football.example.com header.i=@football.example.com\r\n"
            "\theader.s=test header.a=rsa-sha256 header.b=F45dVWDf");
}

TEST_F(Rfc8463AppendixA, TamperingBreaksBoth) {
  std::string tampered = kMessageA3;
  tampered.replace(tampered.find("Is dinner ready?"), 16, "Is dinner ready!");
  const auto results = verify(options(), tampered);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].verdict, Verdict::fail);
  EXPECT_EQ(results[1].verdict, Verdict::fail);
}

// The header hash input of the ed25519 signature, byte for byte (RFC 6376
// sections 3.4.2 and 3.7), and the published b= reproduced from it with the
// A.1 private key.
TEST_F(Rfc8463AppendixA, HeaderHashInputAndDeterministicSignature) {
  const std::vector<HeaderField> headers = headersOf(kMessageA3);
  ASSERT_EQ(headers.size(), 7u);
  const HeaderField& field = headers[0];
  const auto sig = parseDkimSignature(field.value());
  ASSERT_TRUE(sig.has_value()) << sig.error().message();
  EXPECT_EQ(sig->signed_headers.size(), 8u);

  const std::size_t value_start = field.raw.size() - field.value().size();
  const std::string unsigned_field = withoutSignatureValue(field.raw, value_start, *sig);
  const auto selected = selectSignedHeaders(headers, sig->signed_headers);
  ASSERT_EQ(selected.size(), 8u);
  EXPECT_EQ(selected[5], nullptr);  // the second from, subject and date are absent
  EXPECT_EQ(selected[6], nullptr);
  EXPECT_EQ(selected[7], nullptr);
  const std::string input = headerHashInput(selected, unsigned_field, Canonicalization::relaxed);
  EXPECT_EQ(input,
            "from:Joe SixPack <joe@football.example.com>\r\n"
            "to:Suzie Q <suzie@shopping.example.net>\r\n"
            "subject:Is dinner ready?\r\n"
            "date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
            "message-id:<20030712040037.46341.5F8J@football.example.com>\r\n"
            "dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com; "
            "i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; h=from : to : subject : date : "
            "message-id : from : subject : date; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=");

  const auto key = PrivateKey::parsePem(ed25519PemFromSeed(kEd25519Seed));
  ASSERT_TRUE(key.has_value()) << key.error().message;
  const auto signature = (*key)->signHash(HashAlgorithm::sha256, Hash::digest(HashAlgorithm::sha256, input));
  ASSERT_TRUE(signature.has_value());
  EXPECT_EQ(encodeBase64(*signature), sig->signature_text);
  EXPECT_EQ(sig->signature_text,
            "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
}

TEST_F(Rfc8463AppendixA, BodyHash) {
  BodyHashes bodies;
  const std::size_t index = bodies.add(Canonicalization::relaxed, HashAlgorithm::sha256, std::nullopt);
  const std::string body = kUnsignedMessage.substr(kUnsignedMessage.find("\r\n\r\n") + 4);
  bodies.update(std::span<const char>(body.data(), body.size()));
  bodies.finish();
  EXPECT_EQ(encodeBase64(bodies.digest(index)), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

// Signing the A.3 message again with the A.1 key: the same bh=, and a
// signature that verifies against the published A.2 record.
TEST_F(Rfc8463AppendixA, SigningWithTheA1KeyVerifiesAgainstTheA2Record) {
  const auto key = PrivateKey::parsePem(ed25519PemFromSeed(kEd25519Seed));
  ASSERT_TRUE(key.has_value());
  SignatureSpec spec;
  spec.domain = "football.example.com";
  spec.selector = "brisbane";
  spec.key = *key;
  spec.algorithm = SigningAlgorithm::ed25519_sha256;
  spec.headers = {"from", "to", "subject", "date", "message-id"};
  spec.oversign = {"from", "subject", "date"};
  spec.identity = "@football.example.com";
  const auto fields = signatureFields(kUnsignedMessage, {spec}, kSigned);
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_NE(fields[0].find("h=from:to:subject:date:message-id:from:subject:date;"), std::string::npos) << fields[0];
  EXPECT_NE(fields[0].find("bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"), std::string::npos) << fields[0];
  const auto results = verify(options(), fields[0] + "\r\n" + kUnsignedMessage);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
}

}  // namespace
}  // namespace signet
