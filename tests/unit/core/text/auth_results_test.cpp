// The Authentication-Results header field (RFC 8601 sections 2.2 and 2.7.1)
// with header.b (RFC 6008): exact strings for each result, the comment and
// its escaping, the quoting of property values, and the choice of header.b
// prefixes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signet/auth_results.h"

namespace signet {
namespace {

SignatureResult passResult() {
  SignatureResult r;
  r.verdict = Verdict::pass;
  r.domain = "example.com";
  r.identity = "@example.com";
  r.selector = "sel";
  r.algorithm = "rsa-sha256";
  r.signature_prefix = "AbCdEfGh";
  r.key_bits = 2048;
  r.key_fetched = true;
  r.dnssec_secure = true;
  return r;
}

TEST(AuthenticationResultsRfc8601, VerdictWords) {
  EXPECT_EQ(toString(Verdict::pass), "pass");
  EXPECT_EQ(toString(Verdict::fail), "fail");
  EXPECT_EQ(toString(Verdict::neutral), "neutral");
  EXPECT_EQ(toString(Verdict::policy), "policy");
  EXPECT_EQ(toString(Verdict::temperror), "temperror");
  EXPECT_EQ(toString(Verdict::permerror), "permerror");
  EXPECT_EQ(toString(Verdict::none), "none");
}

TEST(AuthenticationResultsRfc8601, Pass) {
  EXPECT_EQ(renderResinfo(passResult()),
            "dkim=pass (2048-bit rsa-sha256 key; secure) header.d=example.com header.i=@example.com "
            "header.s=sel header.a=rsa-sha256 header.b=AbCdEfGh");
}

TEST(AuthenticationResultsRfc8601, Fail) {
  SignatureResult r = passResult();
  r.verdict = Verdict::fail;
  r.key_bits = 1024;
  r.dnssec_secure = false;
  r.reason = "body hash did not verify";
  EXPECT_EQ(renderResinfo(r),
            "dkim=fail (1024-bit rsa-sha256 key; insecure; body hash did not verify) header.d=example.com "
            "header.i=@example.com header.s=sel header.a=rsa-sha256 header.b=AbCdEfGh");
}

TEST(AuthenticationResultsRfc8601, PermerrorWithoutKeyEscapesParentheses) {
  SignatureResult r = passResult();
  r.verdict = Verdict::permerror;
  r.key_bits = 0;
  r.key_fetched = false;
  r.dnssec_secure = false;
  r.reason = "no key for signature (no TXT record at sel._domainkey.example.com)";
  EXPECT_EQ(renderResinfo(r),
            "dkim=permerror (rsa-sha256; no key for signature \\(no TXT record at "
            "sel._domainkey.example.com\\)) header.d=example.com header.i=@example.com header.s=sel "
            "header.a=rsa-sha256 header.b=AbCdEfGh");
}

TEST(AuthenticationResultsRfc8601, MalformedSignatureNamesTheDomain) {
  SignatureResult r;
  r.verdict = Verdict::permerror;
  r.domain = "example.com";
  r.reason = "malformed signature: tag v: unsupported version";
  EXPECT_EQ(renderResinfo(r),
            "dkim=permerror (malformed signature: tag v: unsupported version) header.d=example.com");
}

TEST(AuthenticationResultsRfc8601, NoneAndEmptyResults) {
  EXPECT_EQ(renderResinfo(SignatureResult{}), "dkim=none");
  EXPECT_EQ(renderAuthenticationResults("mx.example.net", {}), "Authentication-Results: mx.example.net;\r\n\tdkim=none");
  EXPECT_EQ(renderAuthenticationResults("mx.example.net", {}, "\n"), "Authentication-Results: mx.example.net;\n\tdkim=none");
}

std::vector<SignatureResult> twoResults() {
  std::vector<SignatureResult> results = {passResult(), passResult()};
  results[1].verdict = Verdict::temperror;
  results[1].algorithm = "ed25519-sha256";
  results[1].selector = "ed";
  results[1].signature_prefix = "ZyXwVuTs";
  results[1].key_bits = 0;
  results[1].key_fetched = false;
  results[1].dnssec_secure = false;
  results[1].reason = "key query failed: timeout";
  return results;
}

// Undoes the folding: each line end + HTAB becomes one SP.
std::string unfold(std::string text, std::string_view line_end) {
  const std::string fold = std::string(line_end) + "\t";
  for (std::size_t at; (at = text.find(fold)) != std::string::npos;) text.replace(at, fold.size(), " ");
  return text;
}

TEST(AuthenticationResultsRfc8601, WholeFieldWithTwoResults) {
  EXPECT_EQ(renderAuthenticationResults("mx.example.net", twoResults()),
            "Authentication-Results: mx.example.net;\r\n"
            "\tdkim=pass (2048-bit rsa-sha256 key; secure) header.d=example.com\r\n"
            "\theader.i=@example.com header.s=sel header.a=rsa-sha256\r\n"
            "\theader.b=AbCdEfGh;\r\n"
            "\tdkim=temperror (ed25519-sha256; key query failed: timeout)\r\n"
            "\theader.d=example.com header.i=@example.com header.s=ed\r\n"
            "\theader.a=ed25519-sha256 header.b=ZyXwVuTs");
}

TEST(AuthenticationResultsRfc8601, FoldingOnlyAddsLineEnds) {
  // Unfolded, the field is the authserv-id and the resinfos joined by "; ".
  const auto results = twoResults();
  for (std::string_view line_end : {"\r\n", "\n"}) {
    const std::string field = renderAuthenticationResults("mx.example.net", results, line_end);
    EXPECT_EQ(unfold(field, line_end), "Authentication-Results: mx.example.net; " + renderResinfo(results[0]) +
                                           "; " + renderResinfo(results[1]));
    if (line_end == "\n") {
      EXPECT_EQ(field.find('\r'), std::string::npos);
    }
  }
}

TEST(AuthenticationResultsRfc8601, FoldedLinesStayNear78Characters) {
  SignatureResult r = passResult();
  r.reason = "a reason long enough to need several lines of its own when the header is folded for mail";
  const std::string field = renderAuthenticationResults("mx.example.net", std::vector<SignatureResult>{r, r});
  std::size_t start = 0;
  while (start < field.size()) {
    std::size_t end = field.find("\r\n", start);
    if (end == std::string::npos) end = field.size();
    // The HTAB counts as 8 columns.
    const std::size_t columns = end - start + (start > 0 ? 7 : 0);
    EXPECT_LE(columns, 78u) << field.substr(start, end - start);
    start = end + 2;
  }
}

TEST(AuthenticationResultsRfc8601, QuotedValuesAreNotFolded) {
  SignatureResult r = passResult();
  r.selector = "a selector with many words in it so that the fold falls inside";
  const std::string field = renderAuthenticationResults("mx.example.net", std::vector<SignatureResult>{r});
  EXPECT_NE(field.find("header.s=\"a selector with many words in it so that the fold falls inside\""),
            std::string::npos)
      << field;
}

TEST(AuthenticationResultsRfc8601, CommentParts) {
  SignatureResult r = passResult();
  r.dnssec_secure = false;
  r.testing = true;
  r.signed_body_length = 100;
  r.body_length = 250;
  r.algorithm = "rsa-sha1";
  r.sha1_deprecated = true;
  EXPECT_EQ(describe(r),
            "2048-bit rsa-sha1 key; insecure; key in testing mode (t=y); l= signs only 100 of 250 body "
            "bytes; rsa-sha1 is deprecated by RFC 8301");
  EXPECT_EQ(renderResinfo(r),
            "dkim=pass (2048-bit rsa-sha1 key; insecure; key in testing mode \\(t=y\\); l= signs only 100 of "
            "250 body bytes; rsa-sha1 is deprecated by RFC 8301) header.d=example.com header.i=@example.com "
            "header.s=sel header.a=rsa-sha1 header.b=AbCdEfGh");
  // l= that covers the whole body is not worth a word.
  r.body_length = 100;
  EXPECT_EQ(describe(r).find("l= signs"), std::string::npos);
}

TEST(AuthenticationResultsRfc8601, CommentEscapesBackslashAndDropsControls) {
  SignatureResult r;
  r.verdict = Verdict::fail;
  r.reason = "a\\b (c) d\r\n\te";
  EXPECT_EQ(renderResinfo(r), "dkim=fail (a\\\\b \\(c\\) de)");
}

TEST(AuthenticationResultsRfc8601, ValuesWithSpecialsAreQuoted) {
  SignatureResult r = passResult();
  r.signature_prefix = "ab/cdEFG";    // '/' is a tspecial: quoted
  r.identity = "a=b@example.com";     // '=' is a tspecial: quoted
  r.selector = "s\"1";                // '"' is escaped inside the quotes
  EXPECT_EQ(renderResinfo(r),
            "dkim=pass (2048-bit rsa-sha256 key; secure) header.d=example.com header.i=\"a=b@example.com\" "
            "header.s=\"s\\\"1\" header.a=rsa-sha256 header.b=\"ab/cdEFG\"");
  r.signature_prefix = "ab+cdEFG";  // '+' is a token character
  EXPECT_NE(renderResinfo(r).find(" header.b=ab+cdEFG"), std::string::npos);
}

TEST(AuthenticationResultsRfc8601, AuthservIdIsQuotedWhenNeeded) {
  EXPECT_EQ(renderAuthenticationResults("mx one", {}), "Authentication-Results: \"mx one\";\r\n\tdkim=none");
}

TEST(AuthenticationResultsRfc8601, DomainKeysMethod) {
  SignatureResult r;
  r.method = "domainkeys";
  r.verdict = Verdict::pass;
  r.identity = "joe@example.com";
  r.domain = "example.com";
  EXPECT_EQ(renderResinfo(r), "domainkeys=pass header.from=joe@example.com header.d=example.com");
}

// --- RFC 6008 section 4: header.b prefixes ---

TEST(AuthenticationResultsRfc6008, PrefixIsEightCharactersWhenUnique) {
  std::vector<SignatureResult> results(2);
  const std::vector<std::string> full = {"AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB"};
  chooseSignaturePrefixes(results, full);
  EXPECT_EQ(results[0].signature_prefix, "AAAAAAAA");
  EXPECT_EQ(results[1].signature_prefix, "BBBBBBBB");
}

TEST(AuthenticationResultsRfc6008, SharedPrefixIsDisambiguated) {
  std::vector<SignatureResult> results(3);
  const std::vector<std::string> full = {"ABCDEFGHIJklmnop", "ABCDEFGHIJmnopqr", "zyxwvutsrqponmlk"};
  chooseSignaturePrefixes(results, full);
  EXPECT_EQ(results[0].signature_prefix, "ABCDEFGHIJk");
  EXPECT_EQ(results[1].signature_prefix, "ABCDEFGHIJm");
  EXPECT_EQ(results[2].signature_prefix, "zyxwvuts");
  for (const auto& r : results) EXPECT_GE(r.signature_prefix.size(), 8u);
}

TEST(AuthenticationResultsRfc6008, ShortAndIdenticalSignatures) {
  std::vector<SignatureResult> results(4);
  const std::vector<std::string> full = {"abc", "SAMESAMESAME", "SAMESAMESAME", ""};
  chooseSignaturePrefixes(results, full);
  EXPECT_EQ(results[0].signature_prefix, "abc");  // shorter than 8: all of it
  EXPECT_EQ(results[1].signature_prefix, "SAMESAME");
  EXPECT_EQ(results[2].signature_prefix, "SAMESAME");
  EXPECT_EQ(results[3].signature_prefix, "");
}

TEST(AuthenticationResultsRfc6008, PrefixOfAnother) {
  std::vector<SignatureResult> results(2);
  const std::vector<std::string> full = {"ABCDEFGHIJ", "ABCDEFGHIJKLMN"};
  chooseSignaturePrefixes(results, full);
  EXPECT_EQ(results[0].signature_prefix, "ABCDEFGHIJ");
  EXPECT_EQ(results[1].signature_prefix, "ABCDEFGHIJK");
}

}  // namespace
}  // namespace signet
