// Sealing and validating ARC chains (RFC 8617 sections 5.1 and 5.2) in the
// engine, with keys from a fake resolver: chains of several hops and keys,
// oldest-pass, the cv=fail rules, the 50-set limit, DNS errors, short keys,
// and streaming.
#include <gtest/gtest.h>

#include "../core_test_support.h"
#include "engine_test_support.h"
#include "signet/arc_sealer.h"
#include "signet/arc_validator.h"

namespace signet::coretest {
namespace {

struct Hop {
  std::string domain;
  std::string selector;
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;
};

class ArcEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    resolver_.publish("rsa._domainkey.example.org", {keyRecord(*testKeys().rsa)});
    resolver_.publish("ed._domainkey.lists.example.net", {keyRecord(*testKeys().ed25519)});
    resolver_.publish("rsa._domainkey.forward.example", {keyRecord(*testKeys().rsa)});
    options_ = verifierOptions(resolver_);
  }

  ArcSealSpec spec(const Hop& hop) const {
    ArcSealSpec s;
    s.domain = hop.domain;
    s.selector = hop.selector;
    s.algorithm = hop.algorithm;
    s.key = keyTypeOf(hop.algorithm) == KeyType::rsa ? testKeys().rsa : testKeys().ed25519;
    s.authserv_id = "mx." + hop.domain;
    s.results = {"spf=pass smtp.mailfrom=example.com"};
    return s;
  }

  ArcResult validate(std::string_view message) {
    auto result = validateArcMessage(options_, message);
    if (!result) {
      ADD_FAILURE() << result.error().message();
      return {};
    }
    return *result;
  }

  // Validates and seals in one pass, feeding the body in chunks of `chunk`
  // bytes; returns the outcome and the sealed message.
  // With `arrived`, seals with that validation instead (a host that changes
  // the message between validating and sealing).
  std::pair<ArcSealOutcome, std::string> seal(std::string_view message, const Hop& hop, std::size_t chunk = 0,
                                              const ArcResult* arrived = nullptr) {
    ArcValidatingSealer sealer(options_, spec(hop), fixedClock(kNow));
    MessageReader reader([&](HeaderField&& f) { sealer.addHeader(std::move(f)); }, [&] { sealer.endOfHeaders(); },
                         [&](std::span<const char> body) { sealer.addBody(body); });
    const std::size_t step = chunk == 0 ? message.size() : chunk;
    for (std::size_t i = 0; i < message.size(); i += step) {
      const std::string_view part = message.substr(i, step);
      if (!reader.update(std::span<const char>(part.data(), part.size()))) ADD_FAILURE() << "reading";
    }
    if (!reader.finish()) ADD_FAILURE() << "reading";
    auto outcome = sealer.finish();
    if (arrived) {  // seal again over the same message, with the validation given
      ArcSealer given(spec(hop), fixedClock(kNow));
      if (auto fed = feedMessage(given, message); !fed) ADD_FAILURE() << fed.error().message();
      outcome = given.finish(*arrived);
    }
    if (!outcome) {
      ADD_FAILURE() << outcome.error().message;
      return {};
    }
    std::string sealed;
    for (const auto& field : outcome->fields) sealed += field + "\r\n";
    return {*outcome, sealed + std::string(message)};
  }

  std::string sealed(std::string_view message, const Hop& hop) { return seal(message, hop).second; }

  FakeResolver resolver_;
  VerifierOptions options_;
  const Hop org_{"example.org", "rsa"};
  const Hop list_{"lists.example.net", "ed", SigningAlgorithm::ed25519_sha256};
  const Hop forward_{"forward.example", "rsa"};
};

TEST_F(ArcEngine, NoChainIsNone) {
  const ArcResult r = validate(kMessage);
  EXPECT_EQ(r.verdict, Verdict::none);
  EXPECT_EQ(r.instances, 0u);
}

TEST_F(ArcEngine, OneHopSealsWithCvNoneAndValidates) {
  auto [outcome, message] = seal(kMessage, org_);
  ASSERT_EQ(outcome.fields.size(), 3u);
  EXPECT_EQ(outcome.instance, 1u);
  EXPECT_EQ(outcome.cv, ChainValidation::none);
  // i= first in every field (dkimpy finds sets by that text), and the right names on top.
  EXPECT_TRUE(outcome.fields[0].starts_with("ARC-Seal: i=1; ")) << outcome.fields[0];
  EXPECT_TRUE(outcome.fields[1].starts_with("ARC-Message-Signature: i=1; ")) << outcome.fields[1];
  EXPECT_TRUE(outcome.fields[2].starts_with("ARC-Authentication-Results: i=1; mx.example.org;"))
      << outcome.fields[2];
  EXPECT_NE(outcome.fields[0].find("cv=none"), std::string::npos);
  EXPECT_NE(outcome.fields[2].find("spf=pass smtp.mailfrom=example.com;"), std::string::npos);
  EXPECT_NE(outcome.fields[2].find("arc=none"), std::string::npos);
  EXPECT_EQ(outcome.fields[1].find("arc-"), std::string::npos) << "the AMS never signs ARC fields";
  const ArcResult r = validate(message);
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
  EXPECT_EQ(r.instances, 1u);
  EXPECT_EQ(r.oldest_pass, 0u);
  EXPECT_EQ(r.domain, "example.org");
}

TEST_F(ArcEngine, ThreeHopsWithMixedKeysValidate) {
  std::string message = sealed(kMessage, org_);
  auto [second, two] = seal(message, list_);
  EXPECT_EQ(second.instance, 2u);
  EXPECT_EQ(second.cv, ChainValidation::pass);
  EXPECT_NE(second.fields[2].find("arc=pass"), std::string::npos) << second.fields[2];
  auto [third, three] = seal(two, forward_);
  EXPECT_EQ(third.instance, 3u);
  const ArcResult r = validate(three);
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
  EXPECT_EQ(r.instances, 3u);
  EXPECT_EQ(r.oldest_pass, 0u);
  EXPECT_EQ(r.domain, "forward.example");
}

TEST_F(ArcEngine, ModifiedByAListOldestPassNamesTheFirstIntactInstance) {
  std::string message = sealed(kMessage, org_);
  // A mailing list validates the chain as it arrives, rewrites the subject,
  // then seals: AMS 1 no longer validates, AMS 2 does, and the seals hold.
  const ArcResult arrived = validate(message);
  ASSERT_EQ(arrived.verdict, Verdict::pass);
  const std::size_t at = message.find("Subject: Is dinner ready?");
  message.replace(at, 25, "Subject: [list] Is dinner ready?");
  const std::string two = seal(message, list_, 0, &arrived).second;
  const ArcResult r = validate(two);
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
  EXPECT_EQ(r.oldest_pass, 2u);
}

TEST_F(ArcEngine, TamperedBodyFailsAtTheNewestInstance) {
  std::string two = sealed(sealed(kMessage, org_), list_);
  two.replace(two.find("We lost the game."), 17, "We won the game!!");
  const ArcResult r = validate(two);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_EQ(r.failed_instance, 2u);
  EXPECT_NE(r.reason.find("ARC-Message-Signature i=2 did not validate"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("body hash"), std::string::npos) << r.reason;
}

TEST_F(ArcEngine, BrokenSealOverAGoodAmsFails) {
  std::string one = sealed(kMessage, org_);
  // Change one character of the seal's b= value.
  const std::size_t b = one.find("b=\r\n\t", one.find("ARC-Seal:")) + 5;
  one[b] = one[b] == 'A' ? 'B' : 'A';
  const ArcResult r = validate(one);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_EQ(r.failed_instance, 1u);
  EXPECT_NE(r.reason.find("ARC-Seal i=1 did not validate"), std::string::npos) << r.reason;
}

TEST_F(ArcEngine, ChangedOlderSetBreaksTheNewerSeal) {
  std::string two = sealed(sealed(kMessage, org_), list_);
  const std::size_t at = two.find("spf=pass", two.find("ARC-Authentication-Results: i=1"));
  two.replace(at, 8, "spf=fail");
  const ArcResult r = validate(two);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_EQ(r.failed_instance, 2u) << r.reason;
}

TEST_F(ArcEngine, CvPassOnInstanceOneIsAStructureFailure) {
  std::string one = sealed(kMessage, org_);
  one.replace(one.find("cv=none"), 7, "cv=pass");
  const ArcResult r = validate(one);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_EQ(r.failed_instance, 1u);
  EXPECT_NE(r.reason.find("has cv=pass where cv=none belongs"), std::string::npos) << r.reason;
}

TEST_F(ArcEngine, FailedChainIsSealedWithCvFailOverItsOwnSetOnlyAndThenEnds) {
  std::string one = sealed(kMessage, org_);
  one.replace(one.find("We lost the game."), 17, "We won the game!!");
  auto [outcome, two] = seal(one, list_);
  ASSERT_EQ(outcome.fields.size(), 3u);
  EXPECT_EQ(outcome.instance, 2u);
  EXPECT_EQ(outcome.cv, ChainValidation::fail);
  EXPECT_NE(outcome.fields[2].find("arc=fail"), std::string::npos);
  const ArcResult r = validate(two);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_TRUE(r.terminated);
  EXPECT_NE(r.reason.find("cv=fail"), std::string::npos) << r.reason;
  auto [after, three] = seal(two, forward_);
  EXPECT_TRUE(after.fields.empty());
  EXPECT_NE(after.skipped.find("cv=fail"), std::string::npos) << after.skipped;
}

TEST_F(ArcEngine, CvFailSealVerifiesOverItsOwnSet) {
  std::string one = sealed(kMessage, org_);
  one.replace(one.find("We lost the game."), 17, "We won the game!!");
  auto [outcome, two] = seal(one, list_);
  ASSERT_EQ(outcome.fields.size(), 3u);
  // Hash AAR 2, AMS 2 and AS 2 (b= blanked) alone, as section 5.1.2 says,
  // and check the seal with the published key.
  std::vector<HeaderField> set;
  for (const auto& f : outcome.fields) set.push_back(HeaderField{f});
  auto parsed = parseArcSeal(set[0].value());
  ASSERT_TRUE(parsed.has_value());
  const std::size_t value_start = set[0].raw.size() - set[0].value().size();
  const std::string without_b =
      withoutSignatureValue(set[0].raw, value_start, parsed->b_region_offset, parsed->b_region_length);
  const std::vector<const HeaderField*> covered = {&set[2], &set[1]};
  const std::string input = headerHashInput(covered, without_b, Canonicalization::relaxed);
  auto key = PublicKey::parse(KeyType::ed25519, *testKeys().ed25519->publicKeyData());
  ASSERT_TRUE(key.has_value());
  EXPECT_TRUE((*key)->verifyHash(HashAlgorithm::sha256, Hash::digest(HashAlgorithm::sha256, input),
                                 parsed->signature));
}

TEST_F(ArcEngine, FiftySetsAndNoMore) {
  std::string message = kMessage;
  for (int i = 0; i < 50; ++i) message = sealed(message, list_);
  const ArcResult r = validate(message);
  EXPECT_EQ(r.verdict, Verdict::pass) << r.reason;
  EXPECT_EQ(r.instances, 50u);
  auto [outcome, same] = seal(message, list_);
  EXPECT_TRUE(outcome.fields.empty());
  EXPECT_NE(outcome.skipped.find("50 ARC sets"), std::string::npos) << outcome.skipped;
}

TEST_F(ArcEngine, DnsTroubleIsTemperrorAndIsNotSealedOver) {
  const std::string two = sealed(sealed(kMessage, org_), list_);
  resolver_.fail("ed._domainkey.lists.example.net", DnsStatus::temporary_failure, "SERVFAIL");
  const ArcResult r = validate(two);
  EXPECT_EQ(r.verdict, Verdict::temperror) << r.reason;
  EXPECT_EQ(r.failed_instance, 2u);
  EXPECT_NE(r.reason.find("SERVFAIL"), std::string::npos) << r.reason;
  auto [outcome, same] = seal(two, forward_);
  EXPECT_TRUE(outcome.fields.empty());
  EXPECT_NE(outcome.skipped.find("could not be validated"), std::string::npos) << outcome.skipped;
}

TEST_F(ArcEngine, MissingKeyFails) {
  const std::string one = sealed(kMessage, org_);
  resolver_.answers.erase("rsa._domainkey.example.org");
  const ArcResult r = validate(one);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_NE(r.reason.find("no key"), std::string::npos) << r.reason;
}

TEST_F(ArcEngine, ShortRsaKeyFails) {
  auto short_key = PrivateKey::parsePem(readDataFile("rsa512_pkcs1.pem"));
  ASSERT_TRUE(short_key.has_value());
  // The sealer refuses such a key ...
  ArcSealSpec s = spec(org_);
  s.key = *short_key;
  EXPECT_FALSE(signet::validate(s).has_value());
  // ... and the validator fails a chain that uses one (RFC 8301): seal with
  // the usual key, then publish the short one, which cannot verify it
  // either way, so what must be reported is its length.
  const std::string one = sealed(kMessage, org_);
  resolver_.publish("rsa._domainkey.example.org", {keyRecord(**short_key)});
  const ArcResult r = validate(one);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_NE(r.reason.find("shorter than the minimum"), std::string::npos) << r.reason;
}

TEST_F(ArcEngine, SpecRulesAreErrors) {
  ArcSealSpec s = spec(org_);
  s.algorithm = SigningAlgorithm::rsa_sha1;
  EXPECT_FALSE(signet::validate(s).has_value());
  s = spec(org_);
  s.headers = {"From", "ARC-Seal"};
  auto refused = signet::validate(s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("ARC-Seal cannot be signed"), std::string::npos);
  s = spec(org_);
  s.authserv_id.clear();
  EXPECT_FALSE(signet::validate(s).has_value());
}

TEST_F(ArcEngine, SplittingTheBodyAnywhereGivesTheSameSet) {
  const std::string whole = seal(kMessage, org_).second;
  for (std::size_t chunk : {1u, 2u, 7u, 64u}) EXPECT_EQ(seal(kMessage, org_, chunk).second, whole) << chunk;
}

TEST_F(ArcEngine, DuplicatedSetFails) {
  std::string one = sealed(kMessage, org_);
  const std::size_t end_of_seal = one.find("ARC-Message-Signature:");
  one = one.substr(0, end_of_seal) + one;  // the ARC-Seal twice
  const ArcResult r = validate(one);
  EXPECT_EQ(r.verdict, Verdict::fail);
  EXPECT_NE(r.reason.find("more than one ARC-Seal"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace signet::coretest
