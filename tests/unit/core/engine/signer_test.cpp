// The signer (RFC 6376 section 5) and the pieces it shares with the
// verifier: which header fields h= names (5.4, 5.4.2), how they are selected
// and hashed (3.7), the tags and folding of the new field, spec validation,
// and the body hashes shared between signatures (BodyHashes).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../core_test_support.h"
#include "engine_test_support.h"
#include "signet/body_hashes.h"
#include "signet/header_hash.h"
#include "signet/tag_list.h"

namespace signet {
namespace {

using namespace coretest;

// The value of `tag` in a signature field, white space removed.
std::string tagValue(const std::string& field, const std::string& tag) {
  const auto list = TagList::parse(std::string_view(field).substr(field.find(':') + 1));
  if (!list) return "<malformed: " + list.error().message() + ">";
  const auto value = list->value(tag);
  return value ? stripWhitespace(*value) : "<absent>";
}

// --- the new field ---

TEST(MessageSigner, FieldUpToTheSignatureIsExact) {
  const auto fields = signatureFields(kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  ASSERT_EQ(fields.size(), 1u);
  const std::string expected_start =
      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa;\r\n"
      "\tt=1700000000;\r\n"
      "\th=from:subject:date:to:message-id:from;\r\n"
      "\tbh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=";
  ASSERT_EQ(fields[0].substr(0, expected_start.size()), expected_start);
  const auto b = parseBase64(fields[0].substr(expected_start.size()));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 128u);  // a 1024-bit RSA signature
}

TEST(MessageSigner, LinesStayShort) {
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "a-rather-long-selector-name");
  spec.identity = "someone.with.a.long.name@mail.department.example.com";
  spec.expire_after = 86400;
  spec.body_length = true;
  const auto fields = signatureFields(kMessage, {spec});
  ASSERT_EQ(fields.size(), 1u);
  std::size_t start = 0;
  while (start <= fields[0].size()) {
    std::size_t end = fields[0].find("\r\n", start);
    if (end == std::string::npos) end = fields[0].size();
    EXPECT_LE(end - start, 78u) << fields[0].substr(start, end - start);
    if (start > 0) {
      EXPECT_EQ(fields[0][start], '\t');  // every continuation is folded
    }
    start = end + 2;
  }
}

TEST(MessageSigner, OptionalTags) {
  SignatureSpec spec = makeSpec(SigningAlgorithm::ed25519_sha256, "ed");
  spec.identity = "@mail.example.com";
  spec.expire_after = 3600;
  spec.body_length = true;
  const auto fields = signatureFields(kMessage, {spec});
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(tagValue(fields[0], "t"), "1700000000");
  EXPECT_EQ(tagValue(fields[0], "x"), "1700003600");
  EXPECT_EQ(tagValue(fields[0], "l"), "54");
  EXPECT_EQ(tagValue(fields[0], "i"), "@mail.example.com");

  SignatureSpec bare = makeSpec(SigningAlgorithm::ed25519_sha256, "ed");
  bare.timestamp = false;
  const auto plain = signatureFields(kMessage, {bare});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(tagValue(plain[0], "t"), "<absent>");
  EXPECT_EQ(tagValue(plain[0], "x"), "<absent>");
  EXPECT_EQ(tagValue(plain[0], "l"), "<absent>");
  EXPECT_EQ(tagValue(plain[0], "i"), "<absent>");
  // x= needs t=: asking for an expiry brings the timestamp back.
  bare.expire_after = 60;
  EXPECT_EQ(tagValue(signatureFields(kMessage, {bare})[0], "t"), "1700000000");
}

TEST(MessageSigner, SeveralSpecsShareTheBodyHash) {
  const auto fields = signatureFields(
      kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa"), makeSpec(SigningAlgorithm::ed25519_sha256, "ed"),
                 makeSpec(SigningAlgorithm::rsa_sha256, "rsa", {Canonicalization::relaxed, Canonicalization::simple})});
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(tagValue(fields[0], "bh"), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
  EXPECT_EQ(tagValue(fields[1], "bh"), tagValue(fields[0], "bh"));
  EXPECT_NE(tagValue(fields[2], "bh"), tagValue(fields[0], "bh"));  // simple body differs
  EXPECT_EQ(tagValue(fields[1], "a"), "ed25519-sha256");
}

// --- which header fields h= names (RFC 6376 section 5.4) ---

TEST(MessageSigner, DefaultHeadersSignEveryPresentInstance) {
  const std::string message =
      "Received: by relay\r\nFrom: a@example.com\r\nTo: x@example.net\r\nTo: y@example.net\r\n"
      "X-Mailer: none\r\nSubject: s\r\n\r\nbody\r\n";
  const auto fields = signatureFields(message, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(tagValue(fields[0], "h"), "from:subject:to:to:from");
}

TEST(MessageSigner, ExplicitHeadersAreSignedLiterally) {
  // Named headers go into h= as given, absent ones included (so they cannot
  // be added later); an oversigned name already listed more often than it is
  // present gets no further entry.
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  spec.headers = {"From", "Subject", "from", "X-Absent"};
  spec.oversign = {"From", "Reply-To"};  // Reply-To: neither present nor listed
  const auto fields = signatureFields(kMessage, {spec});
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(tagValue(fields[0], "h"), "from:subject:from:x-absent");
}

TEST(MessageSigner, OversignAddsOneMoreThanPresent) {
  const std::string message = "From: a@example.com\r\nTo: x\r\nTo: y\r\n\r\nbody\r\n";
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  spec.headers = {"From", "To"};
  spec.oversign = {"To"};
  const auto fields = signatureFields(message, {spec});
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(tagValue(fields[0], "h"), "from:to:to:to");
}

TEST(MessageSigner, FromIsSignedEvenWhenTheMessageHasNone) {
  // Section 5.4: "The From header field MUST be signed (that is, included in
  // the h= tag of the resulting DKIM-Signature header field)".
  const std::string message = "To: x@example.net\r\nSubject: s\r\n\r\nbody\r\n";
  const auto fields = signatureFields(message, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  ASSERT_EQ(fields.size(), 1u);
  const std::string h = tagValue(fields[0], "h");
  EXPECT_NE(h.find("from"), std::string::npos) << "h=" << h;
  FakeResolver resolver;
  publishTestKeys(resolver);
  const auto results = verify(verifierOptions(resolver), fields[0] + "\r\n" + message);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
}

TEST(MessageSigner, DefaultSignedHeadersList) {
  const auto names = defaultSignedHeaders();
  ASSERT_EQ(names.size(), 26u);
  EXPECT_EQ(names[0], "From");
  auto has = [&](std::string_view n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  for (std::string_view n : {"Subject", "Date", "To", "Cc", "Message-ID", "Reply-To", "MIME-Version",
                             "Content-Type", "In-Reply-To", "References", "Sender"})
    EXPECT_TRUE(has(n)) << n;
  // Trace and transport fields change in transit (section 5.4.1).
  for (std::string_view n : {"Received", "Return-Path", "DKIM-Signature", "Authentication-Results"})
    EXPECT_FALSE(has(n)) << n;
}

// --- spec validation ---

TEST(MessageSigner, ValidateSpecs) {
  EXPECT_TRUE(validate(makeSpec(SigningAlgorithm::rsa_sha256, "rsa")).has_value());
  SignatureSpec no_domain = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  no_domain.domain.clear();
  EXPECT_EQ(validate(no_domain).error().message, "a signing key needs a domain and a selector");
  SignatureSpec no_key = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  no_key.key = nullptr;
  EXPECT_EQ(validate(no_key).error().message, "rsa._domainkey.example.com: no private key");
  SignatureSpec mismatch = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  mismatch.algorithm = SigningAlgorithm::ed25519_sha256;
  EXPECT_EQ(validate(mismatch).error().message, "rsa._domainkey.example.com: a rsa key cannot sign ed25519-sha256");
  SignatureSpec outside = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  outside.identity = "@example.org";
  EXPECT_EQ(validate(outside).error().message,
            "rsa._domainkey.example.com: identity @example.org is not within example.com");
}

TEST(MessageSigner, RefusesRsaKeysUnder1024Bits) {
  const auto small = PrivateKey::load(dataPath("rsa512_pkcs1.pem"));
  ASSERT_TRUE(small.has_value());
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "small");
  spec.key = *small;
  EXPECT_EQ(validate(spec).error().message,
            "small._domainkey.example.com: a 512-bit RSA key is too short to sign with (RFC 8301 asks for at least "
            "1024, better 2048)");
}

TEST(MessageSigner, FinishReportsAnInvalidSpec) {
  SignatureSpec outside = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  outside.identity = "@example.org";
  MessageSigner signer({outside}, fixedClock(kNow));
  signer.addHeader(HeaderField{"From: a@example.com"});
  signer.endOfHeaders();
  const auto fields = signer.finish();
  ASSERT_FALSE(fields.has_value());
  EXPECT_EQ(fields.error().message, "rsa._domainkey.example.com: identity @example.org is not within example.com");
}

// --- selecting and hashing header fields (sections 5.4.2 and 3.7) ---

TEST(HeaderHash, SelectionCountsFromTheBottom) {
  const std::vector<HeaderField> headers = {{"From: first"}, {"To: x"}, {"FROM: second"}, {"Subject: s"}};
  const std::vector<std::string> names = {"from", "From", "from", "subject", "cc"};
  const auto selected = selectSignedHeaders(headers, names);
  ASSERT_EQ(selected.size(), 5u);
  EXPECT_EQ(selected[0], &headers[2]);
  EXPECT_EQ(selected[1], &headers[0]);
  EXPECT_EQ(selected[2], nullptr);
  EXPECT_EQ(selected[3], &headers[3]);
  EXPECT_EQ(selected[4], nullptr);
}

TEST(HeaderHash, SelectionOfManyRepeatedNamesKeepsBottomUpOrder) {
  // 3000 Received fields interleaved with other names; h= asks for one more
  // Received than there is, each name in mixed case, plus names never seen.
  std::vector<HeaderField> headers;
  for (int i = 0; i < 3000; ++i) {
    headers.push_back({"Received: hop " + std::to_string(i)});
    if (i % 100 == 0) headers.push_back({"X-Mark : " + std::to_string(i)});
  }
  std::vector<std::string> names;
  for (int i = 0; i < 3001; ++i) names.emplace_back(i % 2 ? "RECEIVED" : "received");
  names.emplace_back("x-MARK");
  names.emplace_back("Absent");
  names.emplace_back("x-mark");
  const auto selected = selectSignedHeaders(headers, names);
  ASSERT_EQ(selected.size(), names.size());
  for (int i = 0; i < 3000; ++i) {
    ASSERT_NE(selected[static_cast<std::size_t>(i)], nullptr) << i;
    EXPECT_EQ(selected[static_cast<std::size_t>(i)]->raw, "Received: hop " + std::to_string(2999 - i));
  }
  EXPECT_EQ(selected[3000], nullptr);
  ASSERT_NE(selected[3001], nullptr);
  EXPECT_EQ(selected[3001]->raw, "X-Mark : 2900");
  EXPECT_EQ(selected[3002], nullptr);
  ASSERT_NE(selected[3003], nullptr);
  EXPECT_EQ(selected[3003]->raw, "X-Mark : 2800");
}

TEST(HeaderHash, SelectionWithNothingToSelect) {
  const std::vector<HeaderField> headers = {{"From: a"}};
  EXPECT_TRUE(selectSignedHeaders(headers, std::vector<std::string>{}).empty());
  const auto none = selectSignedHeaders(std::span<const HeaderField>(), std::vector<std::string>{"from", "from"});
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[0], nullptr);
  EXPECT_EQ(none[1], nullptr);
}

TEST(HeaderHash, InputIsTheSelectedFieldsThenTheSignatureWithoutCrlf) {
  const std::vector<HeaderField> headers = {{"From: A <a@example.com>"}, {"Subject:  Hi \t there "}};
  const auto selected = selectSignedHeaders(headers, std::vector<std::string>{"from", "x", "subject"});
  const std::string sig = "DKIM-Signature: v=1;\r\n\tb=";
  EXPECT_EQ(headerHashInput(selected, sig, Canonicalization::relaxed),
            "from:A <a@example.com>\r\nsubject:Hi there\r\ndkim-signature:v=1; b=");
  EXPECT_EQ(headerHashInput(selected, sig, Canonicalization::simple),
            "From: A <a@example.com>\r\nSubject:  Hi \t there \r\nDKIM-Signature: v=1;\r\n\tb=");
}

// --- BodyHashes ---

TEST(BodyHashes, EqualRequestsShareOneEntry) {
  BodyHashes bodies;
  EXPECT_TRUE(bodies.empty());
  const std::size_t a = bodies.add(Canonicalization::relaxed, HashAlgorithm::sha256, std::nullopt);
  const std::size_t b = bodies.add(Canonicalization::relaxed, HashAlgorithm::sha256, std::nullopt);
  const std::size_t c = bodies.add(Canonicalization::relaxed, HashAlgorithm::sha1, std::nullopt);
  const std::size_t d = bodies.add(Canonicalization::simple, HashAlgorithm::sha256, std::nullopt);
  const std::size_t e = bodies.add(Canonicalization::relaxed, HashAlgorithm::sha256, 5);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, d);
  EXPECT_NE(a, e);
  EXPECT_FALSE(bodies.empty());
  const std::string body = "ab  c \r\n\r\n";
  bodies.update(std::span<const char>(body.data(), 4));
  bodies.update(std::span<const char>(body.data() + 4, body.size() - 4));
  bodies.finish();
  EXPECT_EQ(bodies.digest(a), Hash::digest(HashAlgorithm::sha256, "ab c\r\n"));
  EXPECT_EQ(bodies.digest(c), Hash::digest(HashAlgorithm::sha1, "ab c\r\n"));
  EXPECT_EQ(bodies.digest(d), Hash::digest(HashAlgorithm::sha256, "ab  c \r\n"));
  EXPECT_EQ(bodies.digest(e), Hash::digest(HashAlgorithm::sha256, "ab c\r"));
  EXPECT_EQ(bodies.canonicalLength(e), 6u);
  EXPECT_EQ(bodies.hashedLength(e), 5u);
}

}  // namespace
}  // namespace signet
