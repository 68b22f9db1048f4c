// The verdicts of the verifier (RFC 6376 section 6, RFC 8301, RFC 8601
// words) for everything but a plain pass: time (t=, x=), DNS outcomes, key
// records that do not fit the signature (k=, h=, s=, t=s, revoked, short
// RSA), testing keys, several TXT records, the signature limit, malformed
// signatures and the rsa-sha1 policy.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../core_test_support.h"
#include "engine_test_support.h"

namespace signet {
namespace {

using namespace coretest;

class DkimVerifier : public ::testing::Test {
 protected:
  void SetUp() override { publishTestKeys(resolver_); }

  SignatureResult verifyOne(const std::string& message, const VerifierOptions& options) {
    return coretest::verifyOne(options, message);
  }
  SignatureResult verifyOne(const std::string& message) { return verifyOne(message, verifierOptions(resolver_)); }

  std::string signedWith(SignatureSpec spec, std::int64_t now = kNow) { return signMessage(kMessage, {spec}, now); }
  std::string rsaSigned() { return signedWith(makeSpec(SigningAlgorithm::rsa_sha256, "rsa")); }

  FakeResolver resolver_;
};

// --- t= and x= (RFC 6376 section 3.5) ---

TEST_F(DkimVerifier, ExpiredSignatureIsPermerror) {
  // RFC 6376 section 6.1.1: a signature past its x= is PERMFAIL.
  SignatureSpec spec = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  spec.expire_after = 3600;
  const std::string message = signedWith(spec);
  EXPECT_NE(message.find("t=1700000000; x=1700003600;"), std::string::npos);
  EXPECT_EQ(verifyOne(message, verifierOptions(resolver_, kNow + 3599)).verdict, Verdict::pass);
  EXPECT_EQ(verifyOne(message, verifierOptions(resolver_, kNow + 3600)).verdict, Verdict::pass);
  const SignatureResult r = verifyOne(message, verifierOptions(resolver_, kNow + 3601));
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "signature expired (x=)");
}

TEST_F(DkimVerifier, TimestampInTheFutureIsPermerror) {
  const std::string message = signedWith(makeSpec(SigningAlgorithm::rsa_sha256, "rsa"), kNow + 1000);
  const SignatureResult r = verifyOne(message);
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "signature timestamp t= lies in the future");
  // Within the allowed clock skew (300 s by default) it passes.
  EXPECT_EQ(verifyOne(signedWith(makeSpec(SigningAlgorithm::rsa_sha256, "rsa"), kNow + 300)).verdict,
            Verdict::pass);
  EXPECT_EQ(verifyOne(signedWith(makeSpec(SigningAlgorithm::rsa_sha256, "rsa"), kNow + 301)).verdict,
            Verdict::permerror);
}

// --- DNS outcomes (RFC 6376 section 6.1.2) ---

TEST_F(DkimVerifier, NoRecordIsPermerror) {
  resolver_.answers.clear();
  const SignatureResult r = verifyOne(rsaSigned());
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "no key for signature (no TXT record at rsa._domainkey.example.com)");
  EXPECT_FALSE(r.key_fetched);
}

TEST_F(DkimVerifier, TemporaryFailureIsTemperror) {
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::temporary_failure, "SERVFAIL");
  const SignatureResult r = verifyOne(rsaSigned());
  EXPECT_EQ(r.verdict, Verdict::temperror);
  EXPECT_EQ(r.reason, "key query failed: SERVFAIL");
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::temporary_failure, "");
  EXPECT_EQ(verifyOne(rsaSigned()).reason, "key query failed: DNS error");
}

TEST_F(DkimVerifier, BogusIsTemperror) {
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::bogus, "validation failure");
  const SignatureResult r = verifyOne(rsaSigned());
  EXPECT_EQ(r.verdict, Verdict::temperror);
  EXPECT_EQ(r.reason, "key record failed DNSSEC validation (bogus)");
}

TEST_F(DkimVerifier, NoResolverIsTemperror) {
  VerifierOptions options = verifierOptions(resolver_);
  options.resolver = nullptr;
  const SignatureResult r = verifyOne(rsaSigned(), options);
  EXPECT_EQ(r.verdict, Verdict::temperror);
  EXPECT_EQ(r.reason, "no DNS resolver configured");
}

TEST_F(DkimVerifier, SecureAnswerIsReported) {
  resolver_.publish("rsa._domainkey.example.com", {keyRecord(*testKeys().rsa)}, true);
  const SignatureResult r = verifyOne(rsaSigned());
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_TRUE(r.dnssec_secure);
}

// --- key records that do not fit (RFC 6376 section 3.6.1, 6.1.2) ---

struct KeyCase {
  const char* what;
  SigningAlgorithm algorithm;
  std::string record;
  Verdict verdict;
  std::string reason;
};

TEST_F(DkimVerifier, KeyRecordTable) {
  const std::string rsa_p = "p=" + encodeBase64(*testKeys().rsa->publicKeyData());
  const std::string ed_p = "p=" + encodeBase64(*testKeys().ed25519->publicKeyData());
  const std::vector<KeyCase> cases = {
      {"revoked", SigningAlgorithm::rsa_sha256, "v=DKIM1; k=rsa; p=", Verdict::permerror, "key revoked (empty p=)"},
      {"k=ed25519 for rsa-sha256", SigningAlgorithm::rsa_sha256, "v=DKIM1; k=ed25519; " + ed_p, Verdict::permerror,
       "key type k=ed25519 does not match a="},
      {"k=rsa for ed25519-sha256", SigningAlgorithm::ed25519_sha256, "v=DKIM1; k=rsa; " + rsa_p,
       Verdict::permerror, "key type k=rsa does not match a="},
      {"no k= (rsa) for ed25519-sha256", SigningAlgorithm::ed25519_sha256, "v=DKIM1; " + ed_p, Verdict::permerror,
       "key type k=rsa does not match a="},
      {"h=sha1 for rsa-sha256", SigningAlgorithm::rsa_sha256, "v=DKIM1; k=rsa; h=sha1; " + rsa_p,
       Verdict::permerror, "key's h= does not allow the hash"},
      {"h=sha256 for rsa-sha256", SigningAlgorithm::rsa_sha256, "v=DKIM1; k=rsa; h=sha256; " + rsa_p, Verdict::pass,
       ""},
      {"h=sha1 for rsa-sha1", SigningAlgorithm::rsa_sha1, "v=DKIM1; k=rsa; h=sha1; " + rsa_p, Verdict::pass, ""},
      {"s=other", SigningAlgorithm::rsa_sha256, "v=DKIM1; s=other; " + rsa_p, Verdict::permerror,
       "key's s= does not allow email"},
      {"s=email", SigningAlgorithm::rsa_sha256, "v=DKIM1; s=email; " + rsa_p, Verdict::pass, ""},
      {"v=DKIM2", SigningAlgorithm::rsa_sha256, "v=DKIM2; " + rsa_p, Verdict::permerror,
       "key record: not a DKIM1 record"},
      {"p= not a key", SigningAlgorithm::rsa_sha256, "v=DKIM1; p=YWJjZA==", Verdict::permerror,
       "key record p=: not a valid rsa public key"},
      {"ed25519 p= too short", SigningAlgorithm::ed25519_sha256, "v=DKIM1; k=ed25519; p=YWJjZA==",
       Verdict::permerror, "key record p=: an Ed25519 key must be 32 bytes"},
      {"another rsa key", SigningAlgorithm::rsa_sha256,
       keyRecord(**PrivateKey::parsePem(readDataFile("rsa1024_pkcs1.pem"))), Verdict::fail,
       "signature did not verify"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.what) + ": " + c.record);
    const std::string selector = keyTypeOf(c.algorithm) == KeyType::rsa ? "rsa" : "ed";
    resolver_.publish(selector + "._domainkey.example.com", {c.record});
    const SignatureResult r = verifyOne(signedWith(makeSpec(c.algorithm, selector)));
    EXPECT_EQ(r.verdict, c.verdict);
    EXPECT_EQ(r.reason, c.reason);
  }
}

TEST_F(DkimVerifier, Rsa512KeyIsPermerrorNamingTheKeySize) {
  // MessageSigner refuses such a key, so the signature is built by hand.
  const auto small = PrivateKey::load(dataPath("rsa512_pkcs1.pem"));
  ASSERT_TRUE(small.has_value()) << small.error().message;
  resolver_.publish("small._domainkey.example.com", {keyRecord(**small)});
  const std::string message =
      handSignedField(kMessage, **small, SigningAlgorithm::rsa_sha256, "small", {"from", "to", "subject"}) +
      "\r\n" + kMessage;
  const SignatureResult r = verifyOne(message);
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "RSA key of 512 bits is shorter than the minimum 1024 (RFC 8301)");
  EXPECT_EQ(r.key_bits, 512);
  // The minimum is configurable both ways.
  VerifierOptions lenient = verifierOptions(resolver_);
  lenient.minimum_rsa_bits = 512;
  EXPECT_EQ(verifyOne(message, lenient).verdict, Verdict::pass);
  VerifierOptions strict = verifierOptions(resolver_);
  strict.minimum_rsa_bits = 2048;
  const SignatureResult s = verifyOne(rsaSigned(), strict);
  EXPECT_EQ(s.verdict, Verdict::permerror);
  EXPECT_EQ(s.reason, "RSA key of 1024 bits is shorter than the minimum 2048 (RFC 8301)");
}

TEST_F(DkimVerifier, RsaKeyOverTheMaximumIsPermerror) {
  VerifierOptions capped = verifierOptions(resolver_);
  EXPECT_EQ(verifyOne(rsaSigned(), capped).verdict, Verdict::pass);  // 1024 bits, default maximum 8192
  capped.maximum_rsa_bits = 1000;
  const SignatureResult r = verifyOne(rsaSigned(), capped);
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.problem, Problem::bad_key);
  EXPECT_EQ(r.reason, "RSA key of 1024 bits is longer than the maximum 1000");
}

TEST_F(DkimVerifier, TestingKeyTurnsFailIntoNeutral) {
  resolver_.publish("rsa._domainkey.example.com", {keyRecord(*testKeys().rsa, "t=y; ")});
  const SignatureResult good = verifyOne(rsaSigned());
  EXPECT_EQ(good.verdict, Verdict::pass);
  EXPECT_TRUE(good.testing);
  const SignatureResult body = verifyOne(replaceOnce(rsaSigned(), "Joe.\r\n", "Jim.\r\n"));
  EXPECT_EQ(body.verdict, Verdict::neutral);
  EXPECT_EQ(body.reason, "body hash did not verify");
  EXPECT_TRUE(body.testing);
  const SignatureResult header = verifyOne(replaceOnce(rsaSigned(), "Subject: Is", "Subject: Was"));
  EXPECT_EQ(header.verdict, Verdict::neutral);
  EXPECT_EQ(header.reason, "signature did not verify");
}

TEST_F(DkimVerifier, StrictIdentityKeyRefusesSubdomainIdentity) {
  resolver_.publish("rsa._domainkey.example.com", {keyRecord(*testKeys().rsa, "t=s; ")});
  SignatureSpec sub = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  sub.identity = "joe@mail.example.com";
  const SignatureResult r = verifyOne(signedWith(sub));
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "key has t=s but i= is a subdomain of d=");
  SignatureSpec same = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  same.identity = "joe@example.com";
  const SignatureResult ok = verifyOne(signedWith(same));
  EXPECT_EQ(ok.verdict, Verdict::pass) << summary(ok);
  EXPECT_EQ(ok.identity, "joe@example.com");
}

// --- several TXT records at the name (RFC 6376 section 3.6.2.2) ---

TEST_F(DkimVerifier, TwoRecordsFirstGarbagePasses) {
  resolver_.publish("rsa._domainkey.example.com", {"garbage", keyRecord(*testKeys().rsa)});
  EXPECT_EQ(verifyOne(rsaSigned()).verdict, Verdict::pass);
  resolver_.publish("rsa._domainkey.example.com", {"v=spf1 -all", keyRecord(*testKeys().rsa)});
  EXPECT_EQ(verifyOne(rsaSigned()).verdict, Verdict::pass);
}

TEST_F(DkimVerifier, TwoRecordsNeitherUsable) {
  resolver_.publish("rsa._domainkey.example.com", {"garbage", "v=DKIM1; k=rsa; p="});
  const SignatureResult r = verifyOne(rsaSigned());
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "key revoked (empty p=)");
}

// --- how many signatures (RFC 6376 section 6.1) ---

TEST_F(DkimVerifier, MaxSignaturesChecksTheFirstOnes) {
  const std::string message =
      signMessage(kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa"),
                             makeSpec(SigningAlgorithm::ed25519_sha256, "ed"), makeSpec(SigningAlgorithm::rsa_sha1, "rsa")});
  VerifierOptions options = verifierOptions(resolver_);
  options.max_signatures = 2;
  MessageVerifier verifier(options);
  MessageReader reader([&](HeaderField&& f) { verifier.addHeader(std::move(f)); }, [&] { verifier.endOfHeaders(); },
                       [&](std::span<const char> body) { verifier.addBody(body); });
  ASSERT_TRUE(reader.update(std::span<const char>(message.data(), message.size())));
  ASSERT_TRUE(reader.finish());
  const auto results = verifier.finish();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].algorithm, "rsa-sha256");
  EXPECT_EQ(results[1].algorithm, "ed25519-sha256");
  EXPECT_EQ(results[0].verdict, Verdict::pass);
  EXPECT_EQ(results[1].verdict, Verdict::pass);
  EXPECT_EQ(verifier.signaturesFound(), 3u);
  EXPECT_EQ(verifier.signaturesIgnored(), 1u);
  EXPECT_EQ(resolver_.queries.size(), 2u);
}

// --- malformed signatures (section 6.1.1) ---

TEST_F(DkimVerifier, MalformedSignatureIsPermerrorWithTheDomain) {
  const std::string bad =
      "DKIM-Signature: v=2; a=rsa-sha256; d=example.com; s=rsa; h=from; "
      "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=dGVzdA==\r\n";
  const SignatureResult r = verifyOne(bad + kMessage);
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "malformed signature: tag v: unsupported version");
  EXPECT_EQ(r.domain, "example.com");
  EXPECT_EQ(r.selector, "rsa");
  EXPECT_EQ(r.algorithm, "rsa-sha256");
  EXPECT_TRUE(resolver_.queries.empty());

  const SignatureResult garbage = verifyOne("DKIM-Signature: garbage\r\n" + kMessage);
  EXPECT_EQ(garbage.verdict, Verdict::permerror);
  EXPECT_EQ(garbage.reason, "malformed signature: tag list: tag without '='");
  EXPECT_EQ(garbage.domain, "");
}

TEST_F(DkimVerifier, MalformedAndGoodSignatureTogether) {
  const SignatureResult bad = verifyOne("DKIM-Signature: v=1; d=example.com\r\n" + kMessage);
  EXPECT_EQ(bad.reason, "malformed signature: tag a: missing");
  const auto results = verify(verifierOptions(resolver_), "DKIM-Signature: v=1; d=example.com\r\n" + rsaSigned());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].verdict, Verdict::permerror);
  EXPECT_EQ(results[1].verdict, Verdict::pass);
}

TEST_F(DkimVerifier, TagLimitsComeFromTheOptions) {
  VerifierOptions options = verifierOptions(resolver_);
  options.tag_limits.max_tags = 5;
  const SignatureResult r = verifyOne(rsaSigned(), options);
  EXPECT_EQ(r.verdict, Verdict::permerror);
  EXPECT_EQ(r.reason, "malformed signature: tag list: more tags than the limit");
}

// --- the kind of problem, for policies (On-KeyNotFound, DKVERIFY letters) ---

TEST_F(DkimVerifier, ProblemKinds) {
  const std::string good = rsaSigned();
  EXPECT_EQ(verifyOne(good).problem, Problem::none);
  EXPECT_EQ(verifyOne("DKIM-Signature: v=1; d=example.com\r\n" + kMessage).problem, Problem::syntax);
  EXPECT_EQ(verifyOne(replaceOnce(good, "Subject: Is", "Subject: Was")).problem, Problem::bad_signature);
  EXPECT_EQ(verifyOne(replaceOnce(good, "Joe.\r\n", "Jim.\r\n")).problem, Problem::body_hash);
  EXPECT_EQ(verifyOne(signedWith(makeSpec(SigningAlgorithm::rsa_sha256, "rsa"), kNow + 1000)).problem,
            Problem::expired);
  VerifierOptions strict = verifierOptions(resolver_);
  strict.strict_rsa_sha1 = true;
  EXPECT_EQ(verifyOne(signedWith(makeSpec(SigningAlgorithm::rsa_sha1, "rsa")), strict).problem, Problem::policy);
  resolver_.publish("rsa._domainkey.example.com", {"v=DKIM1; k=rsa; p="});
  EXPECT_EQ(verifyOne(good).problem, Problem::key_revoked);
  resolver_.publish("rsa._domainkey.example.com", {keyRecord(*testKeys().ed25519)});
  EXPECT_EQ(verifyOne(good).problem, Problem::bad_key);
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::bogus, "");
  EXPECT_EQ(verifyOne(good).problem, Problem::dns_temporary);
  resolver_.answers.clear();
  EXPECT_EQ(verifyOne(good).problem, Problem::no_key);
}

// --- rsa-sha1 (RFC 8301 section 3.1) ---

TEST_F(DkimVerifier, RsaSha1PassesWithANoteOrIsPermerrorWhenStrict) {
  const std::string message = signedWith(makeSpec(SigningAlgorithm::rsa_sha1, "rsa"));
  const SignatureResult lenient = verifyOne(message);
  EXPECT_EQ(lenient.verdict, Verdict::pass);
  EXPECT_TRUE(lenient.sha1_deprecated);
  VerifierOptions options = verifierOptions(resolver_);
  options.strict_rsa_sha1 = true;
  resolver_.queries.clear();
  const SignatureResult strict = verifyOne(message, options);
  EXPECT_EQ(strict.verdict, Verdict::permerror);
  EXPECT_EQ(strict.reason, "rsa-sha1 signatures are not accepted (RFC 8301)");
  EXPECT_TRUE(resolver_.queries.empty());
  // rsa-sha256 is untouched by the strict option.
  EXPECT_EQ(verifyOne(rsaSigned(), options).verdict, Verdict::pass);
}

// --- the parsed-key cache (public_key_cache.h) ---

TEST_F(DkimVerifier, CachedKeysGiveTheSameVerdicts) {
  // One set of options, so every verification below shares one key cache.
  VerifierOptions options = verifierOptions(resolver_);
  ASSERT_NE(options.key_cache, nullptr);
  const std::string rsa = rsaSigned();
  const std::string ed = signedWith(makeSpec(SigningAlgorithm::ed25519_sha256, "ed"));
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(summary(verifyOne(rsa, options)), "pass");
    EXPECT_EQ(summary(verifyOne(ed, options)), "pass");
    EXPECT_EQ(verifyOne(replaceOnce(rsa, "Is dinner ready?", "Is lunch ready?"), options).verdict, Verdict::fail);
  }
  EXPECT_EQ(options.key_cache->size(), 2u);
  EXPECT_EQ(options.key_cache->misses(), 2u);
  EXPECT_EQ(options.key_cache->hits(), 4u);

  // A bad p= stays a permerror however often it is seen, and is not kept.
  resolver_.publish("rsa._domainkey.example.com", {"v=DKIM1; p=YWJjZA=="});
  for (int round = 0; round < 2; ++round)
    EXPECT_EQ(summary(verifyOne(rsa, options)), "permerror: key record p=: not a valid rsa public key");
  EXPECT_EQ(options.key_cache->size(), 2u);
  // The key's own bytes published as k=ed25519 are not the cached RSA key.
  resolver_.publish("rsa._domainkey.example.com",
                    {"v=DKIM1; k=ed25519; p=" + encodeBase64(*testKeys().rsa->publicKeyData())});
  EXPECT_EQ(summary(verifyOne(rsa, options)), "permerror: key type k=ed25519 does not match a=");

  // The key size minimum is checked on a cached key too, and copies of the
  // options share the cache.
  publishTestKeys(resolver_);
  VerifierOptions strict = options;
  strict.minimum_rsa_bits = 2048;
  const auto hits = options.key_cache->hits();
  EXPECT_EQ(summary(verifyOne(rsa, strict)),
            "permerror: RSA key of 1024 bits is shorter than the minimum 2048 (RFC 8301)");
  EXPECT_EQ(options.key_cache->hits(), hits + 1);
  // Without a cache, the same verdicts.
  VerifierOptions uncached = verifierOptions(resolver_);
  uncached.key_cache = nullptr;
  EXPECT_EQ(summary(verifyOne(rsa, uncached)), "pass");
  EXPECT_EQ(summary(verifyOne(ed, uncached)), "pass");
}

}  // namespace
}  // namespace signet
