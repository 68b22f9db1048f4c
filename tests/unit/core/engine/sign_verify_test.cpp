// Signing then verifying (RFC 6376 sections 5 and 6; RFC 8463): round trips
// for every algorithm and canonicalization, several keys in one pass, the
// oversigned From, l=, tampering, and LF versus CRLF input.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine_test_support.h"

namespace signet {
namespace {

using namespace coretest;

std::string selectorFor(SigningAlgorithm a) { return keyTypeOf(a) == KeyType::rsa ? "rsa" : "ed"; }

std::string toLf(std::string text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out += text[i];
  return out;
}

// --- round trips: 3 algorithms x 4 canonicalizations ---

using RoundTripParam = std::tuple<SigningAlgorithm, Canonicalization, Canonicalization>;

class SignVerifyRoundTrip : public ::testing::TestWithParam<RoundTripParam> {
 protected:
  void SetUp() override { publishTestKeys(resolver_); }
  SignatureSpec spec() const {
    const auto [algorithm, header, body] = GetParam();
    return makeSpec(algorithm, selectorFor(algorithm), {header, body});
  }
  FakeResolver resolver_;
};

TEST_P(SignVerifyRoundTrip, Passes) {
  const SignatureSpec s = spec();
  const std::string signed_message = signMessage(kMessage, {s});
  const auto results = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(results.size(), 1u);
  const SignatureResult& r = results[0];
  EXPECT_EQ(r.verdict, Verdict::pass) << summary(r);
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(r.method, "dkim");
  EXPECT_EQ(r.domain, "example.com");
  EXPECT_EQ(r.selector, s.selector);
  EXPECT_EQ(r.identity, "@example.com");
  EXPECT_EQ(r.algorithm, toString(s.algorithm));
  EXPECT_EQ(r.key_bits, keyTypeOf(s.algorithm) == KeyType::rsa ? 1024 : 256);
  EXPECT_TRUE(r.key_fetched);
  EXPECT_FALSE(r.dnssec_secure);
  EXPECT_FALSE(r.testing);
  EXPECT_EQ(r.sha1_deprecated, s.algorithm == SigningAlgorithm::rsa_sha1);
  EXPECT_EQ(r.signature_prefix.size(), 8u);
  EXPECT_NE(signed_message.find("b=" + r.signature_prefix), std::string::npos);
  EXPECT_EQ(resolver_.queries, (std::vector<std::string>{s.selector + "._domainkey.example.com"}));
}

TEST_P(SignVerifyRoundTrip, FieldStartsWithTheTagsInOrder) {
  const SignatureSpec s = spec();
  const auto fields = signatureFields(kMessage, {s});
  ASSERT_EQ(fields.size(), 1u);
  std::string unfolded = fields[0];
  for (std::size_t at; (at = unfolded.find("\r\n\t")) != std::string::npos;) unfolded.replace(at, 3, " ");
  const std::string start = "DKIM-Signature: v=1; a=" + std::string(toString(s.algorithm)) +
                            "; c=" + toString(s.canonicalization) + "; d=example.com; s=" + s.selector +
                            "; t=1700000000; h=from:subject:date:to:message-id:from; bh=";
  EXPECT_EQ(unfolded.substr(0, start.size()), start);
}

TEST_P(SignVerifyRoundTrip, TamperedBodyFails) {
  const std::string signed_message = replaceOnce(signMessage(kMessage, {spec()}), "Joe.\r\n", "Jim.\r\n");
  const auto results = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::fail);
  EXPECT_EQ(results[0].reason, "body hash did not verify");
}

TEST_P(SignVerifyRoundTrip, TamperedHeaderFails) {
  const std::string signed_message =
      replaceOnce(signMessage(kMessage, {spec()}), "Subject: Is dinner ready?", "Subject: Is dinner ready!");
  const auto results = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::fail);
  EXPECT_EQ(results[0].reason, "signature did not verify");
}

TEST_P(SignVerifyRoundTrip, WhiteSpaceChangesFollowTheCanonicalization) {
  const auto [algorithm, header, body] = GetParam();
  const std::string signed_message = signMessage(kMessage, {spec()});
  // Section 3.4.2: relaxed header canonicalization ignores WSP runs and name case.
  const std::string header_ws = replaceOnce(signed_message, "Subject: Is dinner", "subject:  Is \t dinner");
  const auto h = verify(verifierOptions(resolver_), header_ws);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].verdict, header == Canonicalization::relaxed ? Verdict::pass : Verdict::fail) << summary(h[0]);
  // Section 3.4.4: relaxed body canonicalization ignores WSP runs and trailing WSP.
  const std::string body_ws = replaceOnce(signed_message, "game.  Are", "game. \t Are");
  const auto b = verify(verifierOptions(resolver_), body_ws + "\r\n \r\n");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].verdict, body == Canonicalization::relaxed ? Verdict::pass : Verdict::fail) << summary(b[0]);
}

TEST_P(SignVerifyRoundTrip, LfAndCrlfMessagesGiveTheSameVerdicts) {
  const std::string good = signMessage(kMessage, {spec()});
  const std::vector<std::string> messages = {good, replaceOnce(good, "Joe.", "Jim."),
                                             replaceOnce(good, "Suzie Q", "Suzie X")};
  for (const auto& crlf : messages) {
    const auto a = verify(verifierOptions(resolver_), crlf);
    const auto b = verify(verifierOptions(resolver_), toLf(crlf));
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].verdict, a[0].verdict);
    EXPECT_EQ(b[0].reason, a[0].reason);
    EXPECT_EQ(b[0].signature_prefix, a[0].signature_prefix);
  }
  EXPECT_EQ(verify(verifierOptions(resolver_), toLf(good))[0].verdict, Verdict::pass);
}

TEST_P(SignVerifyRoundTrip, SigningLfInputWithLfLineEnds) {
  const std::string lf_message = toLf(kMessage);
  const auto fields = signatureFields(lf_message, {spec()}, kNow, "\n");
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].find('\r'), std::string::npos);
  EXPECT_NE(fields[0].find("\n\t"), std::string::npos);
  const auto results = verify(verifierOptions(resolver_), fields[0] + "\n" + lf_message);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
}

INSTANTIATE_TEST_SUITE_P(
    AllAlgorithmsAndCanonicalizations, SignVerifyRoundTrip,
    ::testing::Combine(::testing::Values(SigningAlgorithm::rsa_sha256, SigningAlgorithm::ed25519_sha256,
                                         SigningAlgorithm::rsa_sha1),
                       ::testing::Values(Canonicalization::simple, Canonicalization::relaxed),
                       ::testing::Values(Canonicalization::simple, Canonicalization::relaxed)),
    [](const ::testing::TestParamInfo<RoundTripParam>& param_info) {
      std::string name(toString(std::get<0>(param_info.param)));
      name += "_" + std::string(toString(std::get<1>(param_info.param))) + "_" +
              std::string(toString(std::get<2>(param_info.param)));
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

// --- several signatures ---

class DkimSignVerify : public ::testing::Test {
 protected:
  void SetUp() override { publishTestKeys(resolver_); }
  FakeResolver resolver_;
};

TEST_F(DkimSignVerify, SeveralKeysInOnePassBothPass) {
  const std::string signed_message =
      signMessage(kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa"),
                             makeSpec(SigningAlgorithm::ed25519_sha256, "ed",
                                      {Canonicalization::simple, Canonicalization::simple})});
  const auto results = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].algorithm, "rsa-sha256");
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
  EXPECT_EQ(results[1].algorithm, "ed25519-sha256");
  EXPECT_EQ(results[1].verdict, Verdict::pass) << summary(results[1]);
  EXPECT_NE(results[0].signature_prefix, results[1].signature_prefix);
}

TEST_F(DkimSignVerify, OneBrokenSignatureDoesNotSpoilTheOther) {
  std::string signed_message = signMessage(
      kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa"), makeSpec(SigningAlgorithm::ed25519_sha256, "ed")});
  resolver_.fail("ed._domainkey.example.com", DnsStatus::temporary_failure, "timeout");
  const auto results = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].verdict, Verdict::pass);
  EXPECT_EQ(results[1].verdict, Verdict::temperror);
}

TEST_F(DkimSignVerify, HandBuiltSignaturesVerify) {
  // Built from the pieces, not by MessageSigner: the verifier agrees with an
  // independent construction, oversigned names included.
  const std::vector<std::string> names = {"from", "to", "subject", "date", "from"};
  struct Case {
    SigningAlgorithm algorithm;
    const PrivateKey& key;
    std::string selector;
  };
  const Case cases[] = {{SigningAlgorithm::rsa_sha256, *testKeys().rsa, "rsa"},
                        {SigningAlgorithm::rsa_sha1, *testKeys().rsa, "rsa"},
                        {SigningAlgorithm::ed25519_sha256, *testKeys().ed25519, "ed"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(toString(c.algorithm)));
    const std::string field = handSignedField(kMessage, c.key, c.algorithm, c.selector, names);
    const auto results = verify(verifierOptions(resolver_), field + "\r\n" + kMessage);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
  }
}

// --- oversigning (RFC 6376 section 5.4.2 and 8.15) ---

TEST_F(DkimSignVerify, OversignedFromRejectsAnAddedFrom) {
  const std::string signed_message = signMessage(kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  ASSERT_EQ(verify(verifierOptions(resolver_), signed_message)[0].verdict, Verdict::pass);
  const std::string evil = "From: Mallory <mallory@example.org>\r\n";
  // Added below the original From, and added at the very top.
  const std::string below = replaceOnce(signed_message, "To: Suzie", evil + "To: Suzie");
  const std::string top = evil + signed_message;
  for (const auto& m : {below, top}) {
    const auto results = verify(verifierOptions(resolver_), m);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].verdict, Verdict::fail) << summary(results[0]);
    EXPECT_EQ(results[0].reason, "signature did not verify");
  }
}

TEST_F(DkimSignVerify, WithoutOversigningAFromAddedOnTopGoesUnnoticed) {
  // The control for the test above: h= then names From once, and section
  // 5.4.2 selects the last instance, so a From added on top is not hashed.
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  spec.oversign.clear();
  const std::string signed_message = signMessage(kMessage, {spec});
  const auto results = verify(verifierOptions(resolver_), "From: Mallory <m@example.org>\r\n" + signed_message);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
}

TEST_F(DkimSignVerify, UnsignedHeaderAddedAfterSigningStillPasses) {
  const std::string signed_message = signMessage(kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")});
  const auto results = verify(verifierOptions(resolver_), "Received: by mx.example.net\r\n" + signed_message);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
}

// --- l= (RFC 6376 section 3.5 and 8.2) ---

TEST_F(DkimSignVerify, BodyLengthAllowsAppendedText) {
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  spec.body_length = true;
  const std::string signed_message = signMessage(kMessage, {spec});
  // The relaxed canonical body is 54 bytes.
  EXPECT_NE(signed_message.find(" l=54;"), std::string::npos);

  const auto exact = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(exact.size(), 1u);
  EXPECT_EQ(exact[0].verdict, Verdict::pass) << summary(exact[0]);
  EXPECT_EQ(exact[0].signed_body_length, std::optional<std::uint64_t>(54));
  EXPECT_EQ(exact[0].body_length, std::optional<std::uint64_t>(54));

  const auto appended = verify(verifierOptions(resolver_), signed_message + "Appended by a list.\r\n");
  ASSERT_EQ(appended.size(), 1u);
  EXPECT_EQ(appended[0].verdict, Verdict::pass) << summary(appended[0]);
  EXPECT_EQ(appended[0].signed_body_length, std::optional<std::uint64_t>(54));
  EXPECT_EQ(appended[0].body_length, std::optional<std::uint64_t>(75));
  EXPECT_LT(*appended[0].signed_body_length, *appended[0].body_length);

  const auto changed = verify(verifierOptions(resolver_), replaceOnce(signed_message, "Hi.", "Ho."));
  EXPECT_EQ(changed[0].verdict, Verdict::fail);
}

TEST_F(DkimSignVerify, BodyShorterThanLengthTagFails) {
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  spec.body_length = true;
  const std::string signed_message = signMessage(kMessage, {spec});
  const auto results = verify(verifierOptions(resolver_), replaceOnce(signed_message, "\r\nJoe.\r\n", ""));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].verdict, Verdict::fail);
  EXPECT_EQ(results[0].reason, "l= is longer than the body");
}

// --- streaming ---

TEST_F(DkimSignVerify, StreamedInRandomChunksGivesTheSameResults) {
  const std::string signed_message = signMessage(
      kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa", {Canonicalization::simple, Canonicalization::simple}),
                 makeSpec(SigningAlgorithm::ed25519_sha256, "ed")});
  const auto whole = verify(verifierOptions(resolver_), signed_message);
  ASSERT_EQ(whole.size(), 2u);
  std::mt19937 rng(6376);
  for (int round = 0; round < 30; ++round) {
    const VerifierOptions options = verifierOptions(resolver_);
    MessageVerifier verifier(options);
    MessageReader reader([&](HeaderField&& f) { verifier.addHeader(std::move(f)); },
                         [&] { verifier.endOfHeaders(); },
                         [&](std::span<const char> body) { verifier.addBody(body); });
    for (std::size_t at = 0; at < signed_message.size();) {
      const std::size_t take = std::min<std::size_t>(1 + rng() % 23, signed_message.size() - at);
      ASSERT_TRUE(reader.update(std::span<const char>(signed_message.data() + at, take)));
      at += take;
    }
    ASSERT_TRUE(reader.finish());
    const auto results = verifier.finish();
    ASSERT_EQ(results.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(results[i].verdict, Verdict::pass) << summary(results[i]);
      EXPECT_EQ(results[i].signature_prefix, whole[i].signature_prefix);
    }
  }
}

TEST_F(DkimSignVerify, SignedWholeVerifiedInChunks) {
  // One message, signed with the body in one piece and verified with it in
  // 1000-byte chunks (as a milter gets it), and the other way round. The body
  // is ordinary text: one long run for the relaxed canonicalizer, with the
  // line end of its last text line at body offset 4094, then a line of
  // white space only.
  std::string body;
  const std::string line = "The quick brown fox jumps over the lazy dog.\r\n";
  while (body.size() + line.size() < 4000) body += line;
  body += std::string(4094 - body.size(), 'z') + "\r\n \r\n";
  const std::string message = replaceOnce(kMessage, "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n", "") + body;
  for (CanonicalizationPair c : {CanonicalizationPair{Canonicalization::relaxed, Canonicalization::relaxed},
                                 CanonicalizationPair{Canonicalization::relaxed, Canonicalization::simple}}) {
    SCOPED_TRACE(toString(c));
    const std::string signed_message = signMessage(message, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa", c)});
    for (std::size_t chunk : {std::size_t{1000}, signed_message.size()}) {
      SCOPED_TRACE("verified in chunks of " + std::to_string(chunk));
      const VerifierOptions options = verifierOptions(resolver_);
      MessageVerifier verifier(options);
      MessageReader reader([&](HeaderField&& f) { verifier.addHeader(std::move(f)); },
                           [&] { verifier.endOfHeaders(); },
                           [&](std::span<const char> b) { verifier.addBody(b); });
      for (std::size_t at = 0; at < signed_message.size(); at += chunk)
        ASSERT_TRUE(reader.update(std::span<const char>(signed_message.data() + at,
                                                        std::min(chunk, signed_message.size() - at))));
      ASSERT_TRUE(reader.finish());
      const auto results = verifier.finish();
      ASSERT_EQ(results.size(), 1u);
      EXPECT_EQ(results[0].verdict, Verdict::pass) << summary(results[0]);
    }
  }
}

TEST_F(DkimSignVerify, MessageWithoutSignatureHasNoResults) {
  EXPECT_TRUE(verify(verifierOptions(resolver_), kMessage).empty());
  EXPECT_TRUE(resolver_.queries.empty());
}

}  // namespace
}  // namespace signet
