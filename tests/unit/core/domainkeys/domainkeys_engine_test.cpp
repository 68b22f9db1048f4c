// DomainKeys signing and verifying (RFC 4870) through the engine, with the
// fake Resolver of the DKIM engine tests: round trips for simple and nofws,
// the header selection (from the sender header down when signing, what
// follows the signature, filtered by h=, when verifying), the identity
// (Sender: before From:, d= the sender's domain or a parent), every key and
// DNS outcome with its verdict, qmail-dk status and DomainKey-Status value,
// streaming at every cut, and DKIM and DomainKeys on one message.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "../core_test_support.h"
#include "../engine/engine_test_support.h"
#include "signet/auth_results.h"
#include "signet/domainkeys.h"

namespace signet {
namespace {

using namespace coretest;
using DK = DomainKeysCanonicalization;

const std::string kPlain =
    "From: Joe SixPack <joe@example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

const std::string kWithTrace =
    "Received: from client by mx; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "X-Trace: above\r\n"
    "From: joe@example.com\r\n"
    "To: suzie@example.net\r\n"
    "X-Trace: below\r\n"
    "Subject: trace\r\n"
    "\r\n"
    "Body.\r\n";

const std::string kWithSender =
    "From: Joe <joe@example.org>\r\n"
    "Sender: Secretary <secretary@example.com>\r\n"
    "Subject: on behalf\r\n"
    "\r\n"
    "Body.\r\n";

DomainKeysSpec dkSpec(DK c = DK::nofws, std::string selector = "dk") {
  return DomainKeysSpec{std::string(kDomain), std::move(selector), testKeys().rsa, c, false};
}

std::string dkRecord(std::string_view extra = "") {
  return "k=rsa; " + std::string(extra) + "p=" + encodeBase64(*testKeys().rsa->publicKeyData());
}

// The new DomainKey-Signature field, or the signer's error.
Result<std::string> dkField(std::string_view message, DomainKeysSpec spec, std::string_view line_end = "\r\n") {
  DomainKeysSigner signer(std::move(spec));
  MessageReader reader([&](HeaderField&& f) { signer.addHeader(std::move(f)); }, [&] { signer.endOfHeaders(); },
                       [&](std::span<const char> body) { signer.addBody(body); });
  if (auto r = reader.update(std::span<const char>(message.data(), message.size())); !r)
    ADD_FAILURE() << r.error().message();
  if (auto r = reader.finish(); !r) ADD_FAILURE() << r.error().message();
  return signer.finish(line_end);
}

std::string dkSigned(std::string_view message, DomainKeysSpec spec = dkSpec(), std::string_view line_end = "\r\n") {
  auto field = dkField(message, std::move(spec), line_end);
  if (!field) {
    ADD_FAILURE() << "signing: " << field.error().message;
    return std::string(message);
  }
  return *field + std::string(line_end) + std::string(message);
}

class DomainKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    resolver_.publish("dk._domainkey.example.com", {dkRecord()});
    publishTestKeys(resolver_);
  }

  std::vector<DomainKeysResult> verifyAll(std::string_view message, const VerifierOptions& options) {
    auto results = verifyDomainKeys(options, message);
    if (!results) {
      ADD_FAILURE() << results.error().message();
      return {};
    }
    return *results;
  }
  DomainKeysResult verifyOne(std::string_view message) { return verifyOne(message, verifierOptions(resolver_)); }
  DomainKeysResult verifyOne(std::string_view message, const VerifierOptions& options) {
    auto results = verifyAll(message, options);
    if (results.size() != 1) {
      ADD_FAILURE() << results.size() << " results";
      return {};
    }
    return results[0];
  }

  FakeResolver resolver_;
};

std::string statusOf(const DomainKeysResult& r) { return domainKeyStatus(std::span(&r, 1)); }

// --- round trips ---

TEST_F(DomainKeys, RoundTripBothCanonicalizations) {
  for (DK c : {DK::simple, DK::nofws}) {
    for (const std::string* message : {&kPlain, &kWithTrace, &kWithSender}) {
      const DomainKeysResult r = verifyOne(dkSigned(*message, dkSpec(c)));
      EXPECT_EQ(summary(r.result), "pass") << toString(c) << "\n" << *message;
      EXPECT_EQ(r.status, DkStatus::ok);
      EXPECT_EQ(statusOf(r), "good");
    }
  }
}

TEST_F(DomainKeys, ResultFacts) {
  const DomainKeysResult r = verifyOne(dkSigned(kPlain));
  EXPECT_EQ(r.result.method, "domainkeys");
  EXPECT_EQ(r.result.domain, "example.com");
  EXPECT_EQ(r.result.selector, "dk");
  EXPECT_EQ(r.result.algorithm, "rsa-sha1");
  EXPECT_EQ(r.result.identity, "joe@example.com");
  EXPECT_EQ(r.result.identity_source, "from");
  EXPECT_EQ(r.result.key_bits, 1024);
  EXPECT_TRUE(r.result.key_fetched);
  EXPECT_EQ(resolver_.queries, (std::vector<std::string>{"dk._domainkey.example.com"}));

  const DomainKeysResult s = verifyOne(dkSigned(kWithSender));
  EXPECT_EQ(s.result.identity, "secretary@example.com");
  EXPECT_EQ(s.result.identity_source, "sender");
}

TEST_F(DomainKeys, FieldLayout) {
  auto field = dkField(kPlain, dkSpec(DK::nofws));
  ASSERT_TRUE(field);
  EXPECT_TRUE(field->starts_with("DomainKey-Signature: a=rsa-sha1; c=nofws; q=dns; d=example.com; s=dk;\r\n\tb="))
      << *field;
  EXPECT_EQ(field->find("h="), std::string::npos);  // From is the first field: everything is signed
  EXPECT_TRUE(field->ends_with(";"));
  std::size_t line_start = 0;
  while (line_start < field->size()) {
    std::size_t end = field->find("\r\n", line_start);
    if (end == std::string::npos) end = field->size();
    EXPECT_LE(end - line_start + (line_start ? 7 : 0), 78u) << "a line too long in " << *field;
    line_start = end + 2;
  }
  auto lf = dkField(kPlain, dkSpec(DK::simple), "\n");
  ASSERT_TRUE(lf);
  EXPECT_EQ(lf->find('\r'), std::string::npos);
  EXPECT_NE(lf->find("c=simple;"), std::string::npos);
}

TEST_F(DomainKeys, SigningStartsAtTheSenderHeader) {
  auto field = dkField(kWithTrace, dkSpec());
  ASSERT_TRUE(field);
  // Received is above From and left out; X-Trace occurs below From, so its
  // occurrence above is signed too (a verifier takes every X-Trace).
  EXPECT_NE(field->find("h=X-Trace:From:To:X-Trace:Subject;"), std::string::npos) << *field;
  auto sender = dkField(kWithSender, dkSpec());
  ASSERT_TRUE(sender);
  EXPECT_NE(sender->find("h=Sender:Subject;"), std::string::npos) << *sender;

  DomainKeysSpec listed = dkSpec();
  listed.always_list_headers = true;
  auto all = dkField(kPlain, listed);
  ASSERT_TRUE(all);
  EXPECT_NE(all->find("h=From:To:Subject;"), std::string::npos) << *all;
  EXPECT_EQ(summary(verifyOne(*all + "\r\n" + kPlain).result), "pass");

  // A long h= is folded at colons and still verifies.
  std::string many;
  for (int i = 0; i < 30; ++i) many += "X-Header-Number-" + std::to_string(i) + ": v\r\n";
  const std::string message = "Received: x\r\n" + replaceOnce(kPlain, "\r\nTo:", "\r\n" + many + "To:");
  auto long_field = dkField(message, dkSpec());
  ASSERT_TRUE(long_field);
  EXPECT_NE(long_field->find(":\r\n\t"), std::string::npos) << *long_field;
  EXPECT_EQ(summary(verifyOne(*long_field + "\r\n" + message).result), "pass");
}

TEST_F(DomainKeys, LfLineEnds) {
  std::string lf = kPlain;
  std::erase(lf, '\r');
  const std::string signed_lf = dkSigned(lf, dkSpec(DK::simple), "\n");
  EXPECT_EQ(signed_lf.find('\r'), std::string::npos);
  EXPECT_EQ(summary(verifyOne(signed_lf).result), "pass");
  EXPECT_EQ(summary(verifyOne(dkSigned(kPlain, dkSpec(DK::simple))).result), "pass");
}

TEST_F(DomainKeys, EmptyBodyAndHeaderOnlyMessage) {
  const std::string empty = "From: joe@example.com\r\nSubject: x\r\n\r\n";
  const std::string header_only = "From: joe@example.com\r\nSubject: x\r\n";
  for (DK c : {DK::simple, DK::nofws}) {
    EXPECT_EQ(summary(verifyOne(dkSigned(empty, dkSpec(c))).result), "pass");
    // The separator of an empty body is not hashed, so these sign alike.
    EXPECT_EQ(summary(verifyOne(dkSigned(header_only, dkSpec(c))).result), "pass");
    EXPECT_EQ(summary(verifyOne(*dkField(empty, dkSpec(c)) + "\r\n" + header_only).result), "pass");
    EXPECT_EQ(summary(verifyOne(*dkField(empty, dkSpec(c)) + "\r\n" + empty + "\r\n\r\n").result), "pass");
  }
}

TEST_F(DomainKeys, AuthenticationResultsNameTheHeaderThatGaveTheAddress) {
  const DomainKeysResult from = verifyOne(dkSigned(kPlain));
  EXPECT_EQ(renderResinfo(from.result),
            "domainkeys=pass (1024-bit rsa-sha1 key; insecure) header.from=joe@example.com header.d=example.com");
  const DomainKeysResult sender = verifyOne(dkSigned(kWithSender));
  EXPECT_EQ(renderResinfo(sender.result),
            "domainkeys=pass (1024-bit rsa-sha1 key; insecure) header.sender=secretary@example.com "
            "header.d=example.com");
}

// --- what is covered ---

TEST_F(DomainKeys, WhiteSpaceNofwsToleratesSimpleDoesNot) {
  auto respace = [](std::string m) {
    m = replaceOnce(m, "Subject: Is dinner ready?", "Subject:  Is dinner\r\n\tready?  ");
    return replaceOnce(m, "We lost the game.", "We  lost\tthe game. ");
  };
  EXPECT_EQ(summary(verifyOne(respace(dkSigned(kPlain, dkSpec(DK::nofws)))).result), "pass");
  const DomainKeysResult r = verifyOne(respace(dkSigned(kPlain, dkSpec(DK::simple))));
  EXPECT_EQ(summary(r.result), "fail: signature did not verify");
  EXPECT_EQ(r.status, DkStatus::badsig);
  EXPECT_EQ(statusOf(r), "bad");
}

TEST_F(DomainKeys, TamperingFails) {
  for (DK c : {DK::simple, DK::nofws}) {
    const std::string signed_message = dkSigned(kPlain, dkSpec(c));
    EXPECT_EQ(summary(verifyOne(replaceOnce(signed_message, "hungry", "angry")).result),
              "fail: signature did not verify");
    EXPECT_EQ(summary(verifyOne(replaceOnce(signed_message, "dinner", "lunch")).result),
              "fail: signature did not verify");
    // A field added below the signature is covered when there is no h=.
    EXPECT_EQ(verifyOne(replaceOnce(signed_message, "\r\nFrom:", "\r\nX-New: 1\r\nFrom:")).result.verdict,
              Verdict::fail);
    // A field added above the signature is not.
    EXPECT_EQ(summary(verifyOne("X-New: 1\r\n" + signed_message).result), "pass");
  }
}

TEST_F(DomainKeys, HeaderListFiltersWhatFollows) {
  const std::string signed_message = dkSigned(kWithTrace);
  // Received (above From, unlisted) may change; an unlisted field may be added.
  EXPECT_EQ(summary(verifyOne(replaceOnce(signed_message, "from client", "from other")).result), "pass");
  EXPECT_EQ(summary(verifyOne(replaceOnce(signed_message, "\r\nTo:", "\r\nX-Added: 1\r\nTo:")).result), "pass");
  // A listed name added anywhere below the signature breaks it.
  EXPECT_EQ(verifyOne(replaceOnce(signed_message, "\r\nTo:", "\r\nX-Trace: new\r\nTo:")).result.verdict,
            Verdict::fail);
  EXPECT_EQ(verifyOne(replaceOnce(signed_message, "X-Trace: above", "X-Trace: changed")).result.verdict,
            Verdict::fail);
}

// --- identity ---

TEST_F(DomainKeys, SignerNeedsASenderWithinTheDomain) {
  auto none = dkField("To: x@example.com\r\nSubject: s\r\n\r\nb\r\n", dkSpec());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "dk._domainkey.example.com: no Sender or From header to take the sending address from");
  auto other = dkField("From: joe@example.org\r\n\r\nb\r\n", dkSpec());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message,
            "dk._domainkey.example.com: the sending address's domain example.org is neither d=example.com nor below it");
  auto unreadable = dkField("From: Joe Without Address\r\n\r\nb\r\n", dkSpec());
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().message,
            "dk._domainkey.example.com: the sending address in From: cannot be read (no local-part@domain address)");
  DomainKeysSpec ed = dkSpec();
  ed.key = testKeys().ed25519;
  auto wrong_key = dkField(kPlain, ed);
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().message, "dk._domainkey.example.com: DomainKeys signs with RSA keys only");
  // A sender in a subdomain of d= is fine.
  const std::string sub = replaceOnce(kPlain, "joe@example.com", "joe@mail.example.com");
  EXPECT_EQ(summary(verifyOne(dkSigned(sub)).result), "pass");
}

TEST_F(DomainKeys, VerifierChecksDomainAndSender) {
  resolver_.publish("dk._domainkey.example.net", {dkRecord()});
  const std::string moved = replaceOnce(dkSigned(kPlain), "d=example.com;", "d=example.net;");
  const DomainKeysResult r = verifyOne(moved);
  EXPECT_EQ(summary(r.result), "permerror: d=example.net is neither the sending address's domain nor a parent of it");
  EXPECT_EQ(r.status, DkStatus::args);
  EXPECT_EQ(statusOf(r), "bad format");
  EXPECT_TRUE(resolver_.queries.empty());  // decided before any DNS query

  const std::string only_to = replaceOnce(dkSigned(kWithTrace), "h=X-Trace:From:To:X-Trace:Subject;", "h=To;");
  const DomainKeysResult t = verifyOne(only_to);
  EXPECT_EQ(summary(t.result), "permerror: no signed Sender or From header");
  EXPECT_EQ(t.status, DkStatus::syntax);

  // The identity comes from the signed fields only: Sender: above the signature does not count.
  const DomainKeysResult above = verifyOne("Sender: list@lists.example.org\r\n" + dkSigned(kPlain));
  EXPECT_EQ(summary(above.result), "pass");
  EXPECT_EQ(above.result.identity, "joe@example.com");
}

// --- keys and DNS ---

TEST_F(DomainKeys, KeyAndDnsOutcomes) {
  struct Case {
    const char* name;
    std::function<void(FakeResolver&)> setup;
    std::string summary;
    DkStatus status;
    std::string header;
  };
  const std::string name = "dk._domainkey.example.com";
  const std::vector<Case> cases = {
      {"revoked", [&](FakeResolver& r) { r.publish(name, {"k=rsa; p="}); }, "permerror: key revoked (empty p=)",
       DkStatus::revoked, "revoked"},
      {"missing", [&](FakeResolver& r) { r.answers.erase(name); },
       "permerror: no key for signature (no TXT record at dk._domainkey.example.com)", DkStatus::nokey, "no key"},
      {"timeout", [&](FakeResolver& r) { r.fail(name, DnsStatus::temporary_failure, "timeout"); },
       "temperror: key query failed: timeout", DkStatus::cantvrfy, "no key"},
      {"bogus", [&](FakeResolver& r) { r.fail(name, DnsStatus::bogus, "bogus"); },
       "temperror: key record failed DNSSEC validation (bogus)", DkStatus::cantvrfy, "no key"},
      {"malformed", [&](FakeResolver& r) { r.publish(name, {"k=rsa; p=AQ!D"}); },
       "permerror: key record: invalid character", DkStatus::badkey, "bad key"},
      {"not a key", [&](FakeResolver& r) { r.publish(name, {"k=rsa; p=AQID"}); }, "", DkStatus::badkey, "bad key"},
      {"ed25519", [&](FakeResolver& r) { r.publish(name, {"k=ed25519; p=AQID"}); },
       "permerror: key record: key type k= is not rsa", DkStatus::badkey, "bad key"},
      {"granularity", [&](FakeResolver& r) { r.publish(name, {dkRecord("g=suzie; ")}); },
       "permerror: key's g= does not allow the sending address's local-part", DkStatus::badkey, "bad key"},
      {"granularity match", [&](FakeResolver& r) { r.publish(name, {dkRecord("g=joe; ")}); }, "pass", DkStatus::ok,
       "good"},
      {"granularity wildcard", [&](FakeResolver& r) { r.publish(name, {dkRecord("g=j*; ")}); }, "pass",
       DkStatus::ok, "good"},
      {"second record usable", [&](FakeResolver& r) { r.publish(name, {"k=rsa; p=", dkRecord()}); }, "pass",
       DkStatus::ok, "good"},
      {"testing", [&](FakeResolver& r) { r.publish(name, {dkRecord("t=y; ")}); }, "pass", DkStatus::ok,
       "good (test mode)"},
  };
  const std::string message = dkSigned(kPlain);
  for (const auto& c : cases) {
    FakeResolver resolver;
    resolver.publish(name, {dkRecord()});
    c.setup(resolver);
    const DomainKeysResult r = verifyOne(message, verifierOptions(resolver));
    if (!c.summary.empty()) EXPECT_EQ(summary(r.result), c.summary) << c.name;
    else EXPECT_EQ(r.result.verdict, Verdict::permerror) << c.name << ": " << summary(r.result);
    EXPECT_EQ(r.status, c.status) << c.name;
    EXPECT_EQ(statusOf(r), c.header) << c.name;
  }
}

TEST_F(DomainKeys, NoResolverAndShortKeys) {
  VerifierOptions options = verifierOptions(resolver_);
  options.resolver = nullptr;
  const DomainKeysResult none = verifyOne(dkSigned(kPlain), options);
  EXPECT_EQ(summary(none.result), "temperror: no DNS resolver configured");
  EXPECT_EQ(none.status, DkStatus::cantvrfy);
  EXPECT_EQ(none.result.problem, Problem::dns_temporary);
  EXPECT_EQ(statusOf(none), "no key");

  VerifierOptions strict = verifierOptions(resolver_);
  strict.minimum_rsa_bits = 2048;
  const DomainKeysResult short_key = verifyOne(dkSigned(kPlain), strict);
  EXPECT_EQ(summary(short_key.result), "permerror: RSA key of 1024 bits is shorter than the minimum 2048");
  EXPECT_EQ(short_key.status, DkStatus::badkey);

  VerifierOptions capped = verifierOptions(resolver_);
  capped.maximum_rsa_bits = 1000;
  const DomainKeysResult long_key = verifyOne(dkSigned(kPlain), capped);
  EXPECT_EQ(summary(long_key.result), "permerror: RSA key of 1024 bits is longer than the maximum 1000");
  EXPECT_EQ(long_key.status, DkStatus::badkey);
}

TEST_F(DomainKeys, TestingKeyIsNeverAHardFail) {
  resolver_.publish("dk._domainkey.example.com", {dkRecord("t=y; ")});
  const DomainKeysResult r = verifyOne(replaceOnce(dkSigned(kPlain), "hungry", "angry"));
  EXPECT_EQ(summary(r.result), "neutral: signature did not verify");
  EXPECT_TRUE(r.result.testing);
  EXPECT_EQ(r.status, DkStatus::badsig);
  EXPECT_EQ(policyStatus(r), DkStatus::ok);  // RFC 4870: treated like verified mail
  EXPECT_EQ(statusOf(r), "bad (test mode)");
}

TEST_F(DomainKeys, MalformedSignature) {
  const std::string message = "DomainKey-Signature: a=rsa-sha256; d=example.com; s=dk; b=AQID\r\n" + kPlain;
  const DomainKeysResult r = verifyOne(message);
  EXPECT_EQ(summary(r.result),
            "permerror: malformed signature: tag a: unsupported algorithm (DomainKeys knows rsa-sha1 only)");
  EXPECT_EQ(r.result.domain, "example.com");
  EXPECT_EQ(r.result.selector, "dk");
  EXPECT_EQ(r.status, DkStatus::syntax);
  EXPECT_EQ(statusOf(r), "bad format");
}

TEST_F(DomainKeys, SeveralSignaturesAndTheLimit) {
  resolver_.publish("two._domainkey.example.com", {dkRecord()});
  const std::string twice = dkSigned(dkSigned(kPlain, dkSpec(DK::nofws, "dk")), dkSpec(DK::simple, "two"));
  auto results = verifyAll(twice, verifierOptions(resolver_));
  ASSERT_EQ(results.size(), 2u);
  // The outer signature starts at From, below the inner one; both pass.
  EXPECT_EQ(summary(results[0].result), "pass");
  EXPECT_EQ(results[0].result.selector, "two");
  EXPECT_EQ(summary(results[1].result), "pass");
  EXPECT_EQ(domainKeyStatus(results), "good");

  const std::vector<DomainKeysResult> bad_then_good = {
      {SignatureResult{}, DkStatus::badsig}, {SignatureResult{}, DkStatus::ok}};
  EXPECT_EQ(domainKeyStatus(bad_then_good), "good");
  EXPECT_EQ(domainKeyStatus({}), "no signature");

  VerifierOptions one = verifierOptions(resolver_);
  one.max_signatures = 1;
  DomainKeysVerifier verifier(one);
  MessageReader reader([&](HeaderField&& f) { verifier.addHeader(std::move(f)); }, [&] { verifier.endOfHeaders(); },
                       [&](std::span<const char> body) { verifier.addBody(body); });
  ASSERT_TRUE(reader.update(std::span<const char>(twice.data(), twice.size())));
  ASSERT_TRUE(reader.finish());
  EXPECT_EQ(verifier.finish().size(), 1u);
  EXPECT_EQ(verifier.signaturesFound(), 2u);
  EXPECT_EQ(verifier.signaturesIgnored(), 1u);
}

TEST_F(DomainKeys, UnsignedMessage) {
  EXPECT_TRUE(verifyAll(kPlain, verifierOptions(resolver_)).empty());
  EXPECT_TRUE(resolver_.queries.empty());
}

// --- streaming ---

TEST_F(DomainKeys, VerifiesWhenCutAnywhere) {
  for (DK c : {DK::simple, DK::nofws}) {
    const std::string message = dkSigned(kWithTrace, dkSpec(c));
    const VerifierOptions options = verifierOptions(resolver_);  // the verifier keeps a reference
    for (std::size_t cut = 0; cut <= message.size(); ++cut) {
      DomainKeysVerifier verifier(options);
      MessageReader reader([&](HeaderField&& f) { verifier.addHeader(std::move(f)); },
                           [&] { verifier.endOfHeaders(); },
                           [&](std::span<const char> body) { verifier.addBody(body); });
      ASSERT_TRUE(reader.update(std::span<const char>(message.data(), cut)));
      ASSERT_TRUE(reader.update(std::span<const char>(message.data() + cut, message.size() - cut)));
      ASSERT_TRUE(reader.finish());
      const auto results = verifier.finish();
      ASSERT_EQ(results.size(), 1u);
      ASSERT_EQ(summary(results[0].result), "pass") << toString(c) << " cut at " << cut;
    }
  }
}

// --- with DKIM ---

TEST_F(DomainKeys, DkimAndDomainKeysOnOneMessage) {
  // As `signet sign --domainkeys` writes them: DKIM-Signature on top, then
  // the DomainKey-Signature right above the original header block.
  const std::string dk_signed = dkSigned(kWithSender);
  const std::string both =
      signatureFields(kWithSender, {makeSpec(SigningAlgorithm::rsa_sha256, "rsa")})[0] + "\r\n" + dk_signed;
  const auto dkim = verify(verifierOptions(resolver_), both);
  ASSERT_EQ(dkim.size(), 1u);
  EXPECT_EQ(summary(dkim[0]), "pass");
  const DomainKeysResult dk = verifyOne(both);
  EXPECT_EQ(summary(dk.result), "pass");
  EXPECT_EQ(dk.result.identity_source, "sender");
}

}  // namespace
}  // namespace signet
