// qmail-dk's verification model (qmail-dk(8), libdomainkeys' DK_STAT
// values): the status letters A-K, DKVERIFY parsing and decisions letter by
// letter (uppercase permanent, lowercase temporary, absent accept),
// qmail-dk(8)'s conservative set "DEGIJKfh", the message-level rule for
// several signatures, the DomainKey-Status words, and the mapping of every
// DKIM outcome the verifier produces onto the letters, driven through the
// real verifier so that a change in its Problem kinds is caught here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../core_test_support.h"
#include "../engine/engine_test_support.h"
#include "signet/qmail_dk.h"

namespace signet {
namespace {

using namespace coretest;

constexpr DkStatus kAll[] = {DkStatus::ok,       DkStatus::badsig,     DkStatus::nosig,  DkStatus::nokey,
                             DkStatus::badkey,   DkStatus::cantvrfy,   DkStatus::syntax, DkStatus::noresource,
                             DkStatus::args,     DkStatus::revoked,    DkStatus::internal};

DkVerifyPolicy policy(std::string_view letters) {
  auto p = DkVerifyPolicy::parse(letters);
  EXPECT_TRUE(p) << letters;
  return p ? *p : *DkVerifyPolicy::parse("");
}

TEST(QmailDkStatus, LettersAndNamesInLibdomainkeysOrder) {
  const char* names[] = {"DK_STAT_OK",     "DK_STAT_BADSIG",  "DK_STAT_NOSIG",     "DK_STAT_NOKEY",
                         "DK_STAT_BADKEY", "DK_STAT_CANTVRFY", "DK_STAT_SYNTAX",   "DK_STAT_NORESOURCE",
                         "DK_STAT_ARGS",   "DK_STAT_REVOKED", "DK_STAT_INTERNAL"};
  for (std::size_t i = 0; i < kDkStatusCount; ++i) {
    EXPECT_EQ(letterOf(kAll[i]), static_cast<char>('A' + i));
    EXPECT_EQ(toString(kAll[i]), names[i]);
  }
}

TEST(QmailDkStatus, DomainKeyStatusWords) {
  const char* words[] = {"good",    "bad",        "no signature", "no key",       "bad key",   "no key",
                         "bad format", "no resources", "bad format", "revoked", "bad format"};
  for (std::size_t i = 0; i < kDkStatusCount; ++i) EXPECT_EQ(domainKeyStatusText(kAll[i]), words[i]) << i;
}

// Each letter alone: its status rejects (permanently or temporarily), every
// other status is accepted.
TEST(DkVerifyLetters, EachLetterAlone) {
  for (std::size_t i = 0; i < kDkStatusCount; ++i) {
    const std::string upper(1, static_cast<char>('A' + i));
    const std::string lower(1, static_cast<char>('a' + i));
    const DkVerifyPolicy permanent = policy(upper);
    const DkVerifyPolicy temporary = policy(lower);
    for (std::size_t j = 0; j < kDkStatusCount; ++j) {
      const DkVerifyAction want_p = i == j ? DkVerifyAction::reject_permanent : DkVerifyAction::accept;
      const DkVerifyAction want_t = i == j ? DkVerifyAction::reject_temporary : DkVerifyAction::accept;
      EXPECT_EQ(permanent.actionFor(kAll[j]), want_p) << upper << " on " << toString(kAll[j]);
      EXPECT_EQ(temporary.actionFor(kAll[j]), want_t) << lower << " on " << toString(kAll[j]);
    }
  }
}

TEST(DkVerifyLetters, ConservativeSetFromTheManPage) {
  const DkVerifyPolicy p = policy("DEGIJKfh");
  const DkVerifyAction want[] = {
      DkVerifyAction::accept,            // A OK
      DkVerifyAction::accept,            // B BADSIG
      DkVerifyAction::accept,            // C NOSIG
      DkVerifyAction::reject_permanent,  // D NOKEY
      DkVerifyAction::reject_permanent,  // E BADKEY
      DkVerifyAction::reject_temporary,  // F CANTVRFY
      DkVerifyAction::reject_permanent,  // G SYNTAX
      DkVerifyAction::reject_temporary,  // H NORESOURCE
      DkVerifyAction::reject_permanent,  // I ARGS
      DkVerifyAction::reject_permanent,  // J REVOKED
      DkVerifyAction::reject_permanent,  // K INTERNAL
  };
  for (std::size_t i = 0; i < kDkStatusCount; ++i)
    EXPECT_EQ(p.actionFor(kAll[i]), want[i]) << letterOf(kAll[i]);
}

TEST(DkVerifyLetters, EmptyAcceptsEverythingAndUppercaseWins) {
  const DkVerifyPolicy none = policy("");
  for (DkStatus s : kAll) EXPECT_EQ(none.actionFor(s), DkVerifyAction::accept);
  EXPECT_EQ(policy("Bb").actionFor(DkStatus::badsig), DkVerifyAction::reject_permanent);
  EXPECT_EQ(policy("bB").actionFor(DkStatus::badsig), DkVerifyAction::reject_permanent);
  EXPECT_EQ(policy("bb").actionFor(DkStatus::badsig), DkVerifyAction::reject_temporary);
  EXPECT_EQ(policy("A").actionFor(DkStatus::ok), DkVerifyAction::reject_permanent);  // as qmail-dk, odd as it is
}

TEST(DkVerifyLetters, ParseErrors) {
  struct Case {
    const char* letters;
    const char* error;
  };
  const Case cases[] = {
      {"L", "DKVERIFY: character 1 is not one of the status letters A-K or a-k"},
      {"DEGl", "DKVERIFY: character 4 is not one of the status letters A-K or a-k"},
      {"DE GI", "DKVERIFY: character 3 is not one of the status letters A-K or a-k"},
      {"1", "DKVERIFY: character 1 is not one of the status letters A-K or a-k"},
      {"D,E", "DKVERIFY: character 2 is not one of the status letters A-K or a-k"},
  };
  for (const auto& c : cases) {
    auto p = DkVerifyPolicy::parse(c.letters);
    ASSERT_FALSE(p) << c.letters;
    EXPECT_EQ(p.error().message(), c.error);
  }
}

TEST(DkVerifyDecision, MessageLevelRule) {
  const DkVerifyPolicy p = policy("DEGIJKfh");
  struct Case {
    const char* name;
    std::vector<DkStatus> statuses;
    DkVerifyAction action;
    DkStatus status;
  };
  const Case cases[] = {
      {"unsigned", {}, DkVerifyAction::accept, DkStatus::nosig},
      {"one good", {DkStatus::ok}, DkVerifyAction::accept, DkStatus::ok},
      {"a good one wins over a revoked one", {DkStatus::revoked, DkStatus::ok}, DkVerifyAction::accept, DkStatus::ok},
      {"no key", {DkStatus::nokey}, DkVerifyAction::reject_permanent, DkStatus::nokey},
      {"bad signature accepted", {DkStatus::badsig}, DkVerifyAction::accept, DkStatus::badsig},
      {"temporary wins over permanent", {DkStatus::nokey, DkStatus::cantvrfy}, DkVerifyAction::reject_temporary,
       DkStatus::cantvrfy},
      {"permanent wins over accept", {DkStatus::badsig, DkStatus::revoked}, DkVerifyAction::reject_permanent,
       DkStatus::revoked},
  };
  for (const auto& c : cases) {
    const DkVerifyDecision d = p.decide(c.statuses);
    EXPECT_EQ(d.action, c.action) << c.name;
    EXPECT_EQ(d.status, c.status) << c.name;
  }
  EXPECT_EQ(policy("C").decide({}).action, DkVerifyAction::reject_permanent);
  EXPECT_EQ(policy("a").decide(std::vector<DkStatus>{DkStatus::ok, DkStatus::badsig}).action,
            DkVerifyAction::reject_temporary);
  EXPECT_EQ(toString(DkVerifyAction::reject_temporary), "reject temporarily");
}

// --- DKIM outcomes onto the letters, through the real verifier ---

class DkimLetters : public ::testing::Test {
 protected:
  void SetUp() override { publishTestKeys(resolver_); }

  SignatureResult verifyOne(const std::string& message, const VerifierOptions& options) {
    return coretest::verifyOne(options, message);
  }
  SignatureResult verifyOne(const std::string& message) { return verifyOne(message, verifierOptions(resolver_)); }
  std::string rsaSigned(SignatureSpec spec) { return signMessage(kMessage, {spec}); }
  std::string rsaSigned() { return rsaSigned(makeSpec(SigningAlgorithm::rsa_sha256, "rsa")); }

  // The letter the result maps to, with the verdict and reason for messages.
  void expectLetter(const SignatureResult& r, char letter) {
    EXPECT_EQ(letterOf(dkimStatus(r)), letter) << summary(r);
  }

  FakeResolver resolver_;
};

TEST_F(DkimLetters, PassIsA) { expectLetter(verifyOne(rsaSigned()), 'A'); }

TEST_F(DkimLetters, FailuresAndExpiryAreB) {
  expectLetter(verifyOne(replaceOnce(rsaSigned(), "hungry", "angry")), 'B');            // body hash
  expectLetter(verifyOne(replaceOnce(rsaSigned(), "dinner", "lunch")), 'B');            // signature
  SignatureSpec expiring = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  expiring.expire_after = 10;
  expectLetter(verifyOne(rsaSigned(expiring), verifierOptions(resolver_, kNow + 100)), 'B');  // x= past
  expectLetter(verifyOne(signMessage(kMessage, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")}, kNow + 1000)),
               'B');  // t= ahead
}

TEST_F(DkimLetters, TestingAndNoneAreC) {
  resolver_.publish("rsa._domainkey.example.com", {keyRecord(*testKeys().rsa, "t=y; ")});
  const SignatureResult r = verifyOne(replaceOnce(rsaSigned(), "hungry", "angry"));
  EXPECT_EQ(r.verdict, Verdict::neutral);
  expectLetter(r, 'C');
  SignatureResult none;
  expectLetter(none, 'C');
}

TEST_F(DkimLetters, NoKeyRecordIsD) {
  resolver_.answers.clear();
  expectLetter(verifyOne(rsaSigned()), 'D');
}

TEST_F(DkimLetters, KeyProblemsAreE) {
  const std::string name = "rsa._domainkey.example.com";
  const std::vector<std::string> records = {
      "v=DKIM1; k=rsa; p=AQ!D",                                      // malformed p=
      "v=DKIM1; k=rsa; p=AQID",                                      // not a key
      keyRecord(*testKeys().ed25519),                                // k= does not match a=
      keyRecord(*testKeys().rsa, "h=sha1; "),                        // h= leaves out sha256
      keyRecord(*testKeys().rsa, "s=other; "),                       // s= leaves out email
      "v=DKIM2; p=AQID",                                             // unknown version
  };
  for (const auto& record : records) {
    resolver_.publish(name, {record});
    expectLetter(verifyOne(rsaSigned()), 'E');
  }
  resolver_.publish(name, {keyRecord(*testKeys().rsa, "t=s; ")});
  SignatureSpec sub = makeSpec(SigningAlgorithm::rsa_sha256, "rsa");
  sub.identity = "joe@sub.example.com";
  expectLetter(verifyOne(rsaSigned(sub)), 'E');  // t=s with i= in a subdomain
  publishTestKeys(resolver_);
  VerifierOptions strict = verifierOptions(resolver_);
  strict.minimum_rsa_bits = 2048;
  expectLetter(verifyOne(rsaSigned(), strict), 'E');  // short RSA key
}

TEST_F(DkimLetters, DnsTroubleIsF) {
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::temporary_failure, "SERVFAIL");
  expectLetter(verifyOne(rsaSigned()), 'F');
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::bogus, "bogus");
  expectLetter(verifyOne(rsaSigned()), 'F');
}

TEST_F(DkimLetters, MalformedSignatureIsG) {
  expectLetter(verifyOne(replaceOnce(rsaSigned(), "v=1;", "v=2;")), 'G');
  expectLetter(verifyOne("DKIM-Signature: junk\r\n" + kMessage), 'G');
}

TEST_F(DkimLetters, NoResolverIsF) {
  VerifierOptions options = verifierOptions(resolver_);
  options.resolver = nullptr;
  expectLetter(verifyOne(rsaSigned(), options), 'F');
}

TEST_F(DkimLetters, LocalPolicyIsC) {
  VerifierOptions strict = verifierOptions(resolver_);
  strict.strict_rsa_sha1 = true;
  expectLetter(verifyOne(rsaSigned(makeSpec(SigningAlgorithm::rsa_sha1, "rsa")), strict), 'C');
  SignatureResult policy_result;
  policy_result.verdict = Verdict::policy;
  expectLetter(policy_result, 'C');
}

TEST_F(DkimLetters, UnrecordedKindFallsBackOnTheVerdict) {
  SignatureResult r;
  r.verdict = Verdict::fail;
  expectLetter(r, 'B');
  r.verdict = Verdict::temperror;
  expectLetter(r, 'F');
  r.verdict = Verdict::permerror;
  expectLetter(r, 'G');
}

TEST_F(DkimLetters, RevokedIsJ) {
  resolver_.publish("rsa._domainkey.example.com", {"v=DKIM1; k=rsa; p="});
  expectLetter(verifyOne(rsaSigned()), 'J');
}

TEST_F(DkimLetters, ConservativeSetOverDkimOutcomes) {
  // An administrator's DKVERIFY=DEGIJKfh applied to DKIM: a revoked key
  // rejects permanently, a DNS timeout temporarily, a bad signature not at all.
  const DkVerifyPolicy p = policy("DEGIJKfh");
  resolver_.publish("rsa._domainkey.example.com", {"v=DKIM1; k=rsa; p="});
  const DkStatus revoked = dkimStatus(verifyOne(rsaSigned()));
  EXPECT_EQ(p.decide(std::vector<DkStatus>{revoked}).action, DkVerifyAction::reject_permanent);
  resolver_.fail("rsa._domainkey.example.com", DnsStatus::temporary_failure, "timeout");
  const DkStatus timeout = dkimStatus(verifyOne(rsaSigned()));
  EXPECT_EQ(p.decide(std::vector<DkStatus>{timeout}).action, DkVerifyAction::reject_temporary);
  publishTestKeys(resolver_);
  const DkStatus bad = dkimStatus(verifyOne(replaceOnce(rsaSigned(), "hungry", "angry")));
  EXPECT_EQ(p.decide(std::vector<DkStatus>{bad}).action, DkVerifyAction::accept);
}

}  // namespace
}  // namespace signet
