// The DKIM-Signature header field (RFC 6376 section 3.5, with the checks of
// section 6.1.1; RFC 8463 for ed25519-sha256): a table of valid and invalid
// signatures, the fields of a parsed one, the b= region and the field with
// b= blanked (section 3.7).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "signet/signature.h"

namespace signet {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;

const std::string kBodyHash = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";

Tags baseTags() {
  return {{"v", "1"},           {"a", "rsa-sha256"}, {"c", "relaxed/simple"}, {"d", "example.com"},
          {"s", "sel"},         {"h", "from:to"},    {"bh", kBodyHash},       {"b", "dGVzdA=="}};
}

std::string render(const Tags& tags) {
  std::string out;
  for (const auto& [name, value] : tags) out += (out.empty() ? " " : "; ") + name + "=" + value;
  return out;
}

std::string with(const std::string& name, const std::string& value) {
  Tags tags = baseTags();
  for (auto& tag : tags)
    if (tag.first == name) {
      tag.second = value;
      return render(tags);
    }
  tags.emplace_back(name, value);
  return render(tags);
}

std::string without(const std::string& name) {
  Tags tags;
  for (const auto& tag : baseTags())
    if (tag.first != name) tags.push_back(tag);
  return render(tags);
}

struct Row {
  std::string what;
  std::string value;
  bool ok;
  std::string where = {};
  std::string why = {};
};

std::vector<Row> rows() {
  std::vector<Row> out = {
      {"base", render(baseTags()), true},
      // v= (section 3.5: "MUST have the value 1")
      {"v=2", with("v", "2"), false, "tag v", "unsupported version"},
      {"v=1.0", with("v", "1.0"), false, "tag v", "unsupported version"},
      // a=
      {"a=rsa-sha1", with("a", "rsa-sha1"), true},
      {"a=ed25519-sha256 (RFC 8463)", with("a", "ed25519-sha256"), true},
      {"a= is case-insensitive", with("a", "RSA-SHA256"), true},
      {"a=rsa-sha512", with("a", "rsa-sha512"), false, "tag a", "unsupported algorithm"},
      {"a=ed25519", with("a", "ed25519"), false, "tag a", "unsupported algorithm"},
      {"a= empty", with("a", ""), false, "tag a", "unsupported algorithm"},
      // c=
      {"c=simple", with("c", "simple"), true},
      {"c=relaxed", with("c", "relaxed"), true},
      {"c=relaxed/relaxed", with("c", "relaxed/relaxed"), true},
      {"c=simple/relaxed", with("c", "simple/relaxed"), true},
      {"c=bogus", with("c", "bogus"), false, "tag c", "unknown algorithm"},
      {"c=relaxed/bogus", with("c", "relaxed/bogus"), false, "tag c", "unknown algorithm"},
      // h= (section 5.4: From MUST be signed)
      {"h= without from", with("h", "to:subject"), false, "tag h", "From is not signed"},
      {"h= with FROM", with("h", "To : FROM"), true},
      {"h= with an empty name", with("h", "from::to"), false, "tag h", "empty header name"},
      {"h= trailing colon", with("h", "from:"), false, "tag h", "empty header name"},
      // i= (section 3.5: same domain as d= or a subdomain)
      {"i= same domain", with("i", "@example.com"), true},
      {"i= user at domain", with("i", "joe@example.com"), true},
      {"i= subdomain", with("i", "joe@mail.sub.example.com"), true},
      {"i= other case", with("i", "@EXAMPLE.COM"), true},
      {"i= other domain", with("i", "@example.org"), false, "tag i",
       "identity is not within the signing domain"},
      {"i= suffix but not subdomain", with("i", "@badexample.com"), false, "tag i",
       "identity is not within the signing domain"},
      {"i= parent domain", with("i", "@com"), false, "tag i", "identity is not within the signing domain"},
      {"i= without @", with("i", "example.com"), false, "tag i",
       "identity is not within the signing domain"},
      // l=, t=, x= numbers
      {"l=0", with("l", "0"), true},
      {"l= 12 digits", with("l", "123456789012"), true},
      {"l= too long", with("l", "1234567890123"), false, "tag l", "not a valid number"},
      {"l= not digits", with("l", "12a"), false, "tag l", "not a valid number"},
      {"l= negative", with("l", "-1"), false, "tag l", "not a valid number"},
      {"l= plus sign", with("l", "+5"), false, "tag l", "not a valid number"},
      {"l= empty", with("l", ""), false, "tag l", "not a valid number"},
      {"t= ok", with("t", "1528637909"), true},
      {"t= not digits", with("t", "15286x7909"), false, "tag t", "not a valid number"},
      {"t= too long", with("t", "9999999999999"), false, "tag t", "not a valid number"},
      {"x= not digits", with("x", "soon"), false, "tag x", "not a valid number"},
      {"x= decimal", with("x", "1.5"), false, "tag x", "not a valid number"},
      // q=
      {"q=dns/txt", with("q", "dns/txt"), true},
      {"q=DNS/TXT", with("q", "DNS/TXT"), true},
      {"q= list with dns/txt", with("q", "http/well-known:dns/txt"), true},
      {"q=dns", with("q", "dns"), false, "tag q", "no supported query method"},
      {"q=http", with("q", "http/well-known"), false, "tag q", "no supported query method"},
      // b=, bh=, d=, s=
      {"b= not base64", with("b", "dGVz!A=="), false, "tag b", "invalid character"},
      {"b= empty", with("b", ""), false, "tag b", "empty signature"},
      {"bh= empty", with("bh", ""), false, "tag bh", "empty body hash"},
      {"bh= truncated", with("bh", "abc"), false, "tag bh", "truncated value"},
      {"d= empty", with("d", ""), false, "tag d", "empty domain"},
      {"s= empty", with("s", " "), false, "tag s", "empty selector"},
      // d= and s= syntax (RFC 6376 sections 3.5 and 3.1), checked before any DNS query
      {"d= with a comma (found by fuzzing)", with("d", "example.com, i=@x.example.org"), false, "tag d",
       "not a domain name"},
      {"d= one label", with("d", "localhost"), false, "tag d", "not a domain name"},
      {"d= empty label", with("d", "example..com"), false, "tag d", "not a domain name"},
      {"d= leading hyphen", with("d", "-example.com"), false, "tag d", "not a domain name"},
      {"d= label of 64", with("d", std::string(64, 'a') + ".com"), false, "tag d", "not a domain name"},
      {"d= underscore", with("d", "ex_ample.com"), false, "tag d", "not a domain name"},
      {"d= trailing dot", with("d", "example.com."), false, "tag d", "not a domain name"},
      {"d= mixed case and digits", with("d", "Mail-1.Example.COM"), true},
      {"d= label of 63", with("d", std::string(63, 'a') + ".com"), true},
      {"s= with a slash", with("s", "bad/selector"), false, "tag s", "not a selector"},
      {"s= dotted with underscore", with("s", "s_2026.eu"), true},
      // the tag list itself
      {"duplicate d=", render(baseTags()) + "; d=example.org", false, "tag d", "appears twice"},
      {"not a tag list", " this is not a signature", false, "tag list", "tag without '='"},
  };
  for (const char* tag : {"v", "a", "b", "bh", "d", "h", "s"})
    out.push_back({std::string("missing ") + tag, without(tag), false, std::string("tag ") + tag, "missing"});
  // Section 3.5: x= before t= cannot be right.
  out.push_back({"x < t", render(baseTags()) + "; t=2000; x=1999", false, "tag x",
                 "expires no later than it was made (x= <= t=)"});
  out.push_back({"x > t", render(baseTags()) + "; t=2000; x=2001", true});
  return out;
}

TEST(DkimSignatureRfc6376, Section3_5And6_1_1Table) {
  for (const auto& row : rows()) {
    SCOPED_TRACE(row.what + ": " + row.value);
    const auto sig = parseDkimSignature(row.value);
    ASSERT_EQ(sig.has_value(), row.ok) << (sig ? std::string("parsed") : sig.error().message());
    if (!row.ok) {
      EXPECT_EQ(sig.error().where, row.where);
      EXPECT_EQ(sig.error().why, row.why);
    }
  }
}

TEST(DkimSignatureRfc6376, Section3_5ExpirationMustBeAfterTimestamp) {
  // "the value of the x= tag MUST be greater than the value of the t= tag":
  // x= equal to t= is as invalid as x= before t=.
  const auto sig = parseDkimSignature(render(baseTags()) + "; t=2000; x=2000");
  ASSERT_FALSE(sig.has_value()) << "x= equal to t= was accepted";
  EXPECT_EQ(sig.error().where, "tag x");
  EXPECT_EQ(sig.error().why, "expires no later than it was made (x= <= t=)");
}

TEST(DkimSignatureRfc6376, FieldsOfAParsedSignature) {
  const std::string value =
      " v=1; a=rsa-sha256; c=relaxed/simple; d=example.com; s=sel;\r\n"
      "\th=From : To:subject; i=j=3Doe@mail.example.com; l=123; t=1000; x=2000;\r\n"
      "\tq=dns/txt; z=From:foo|To:bar;\r\n"
      "\tbh=" + kBodyHash + ";\r\n"
      "\tb=dGVz\r\n\t dA==";
  const auto sig = parseDkimSignature(value);
  ASSERT_TRUE(sig.has_value()) << sig.error().message();
  EXPECT_EQ(sig->algorithm, SigningAlgorithm::rsa_sha256);
  EXPECT_EQ(sig->signature, "test");
  EXPECT_EQ(sig->signature_text, "dGVzdA==");
  EXPECT_EQ(sig->body_hash.size(), 32u);
  EXPECT_EQ(sig->canonicalization.header, Canonicalization::relaxed);
  EXPECT_EQ(sig->canonicalization.body, Canonicalization::simple);
  EXPECT_EQ(sig->domain, "example.com");
  EXPECT_EQ(sig->selector, "sel");
  EXPECT_EQ(sig->signed_headers, (std::vector<std::string>{"From", "To", "subject"}));
  EXPECT_EQ(sig->identity, "j=oe@mail.example.com");  // dkim-quoted-printable decoded
  EXPECT_EQ(sig->body_length, std::optional<std::uint64_t>(123));
  EXPECT_EQ(sig->timestamp, std::optional<std::uint64_t>(1000));
  EXPECT_EQ(sig->expiration, std::optional<std::uint64_t>(2000));
  EXPECT_EQ(sig->copied_headers, "From:foo|To:bar");
  EXPECT_EQ(sig->keyName(), "sel._domainkey.example.com");
}

TEST(DkimSignatureRfc6376, Defaults) {
  const auto sig = parseDkimSignature(without("c"));
  ASSERT_TRUE(sig.has_value());
  // c= absent is simple/simple; i= absent is "@" + d=.
  EXPECT_EQ(sig->canonicalization.header, Canonicalization::simple);
  EXPECT_EQ(sig->canonicalization.body, Canonicalization::simple);
  EXPECT_EQ(sig->identity, "@example.com");
  EXPECT_FALSE(sig->body_length.has_value());
  EXPECT_FALSE(sig->timestamp.has_value());
  EXPECT_FALSE(sig->expiration.has_value());
  // c=relaxed alone means relaxed/simple.
  const auto relaxed = parseDkimSignature(with("c", "relaxed"));
  ASSERT_TRUE(relaxed.has_value());
  EXPECT_EQ(relaxed->canonicalization.header, Canonicalization::relaxed);
  EXPECT_EQ(relaxed->canonicalization.body, Canonicalization::simple);
}

TEST(DkimSignatureRfc6376, TagLimitsApply) {
  const auto sig = parseDkimSignature(render(baseTags()), TagListLimits{65536, 7});
  ASSERT_FALSE(sig.has_value());
  EXPECT_EQ(sig.error().where, "tag list");
  const auto small = parseDkimSignature(render(baseTags()), TagListLimits{20, 64});
  ASSERT_FALSE(small.has_value());
  EXPECT_EQ(small.error().why, "longer than the limit");
}

// --- section 3.7: the b= region and the field with b= blanked ---

struct Blank {
  std::string what;
  std::string value;     // after "DKIM-Signature:"
  std::string expected;  // the whole field with b= removed
};

TEST(DkimSignatureRfc6376, Section3_7WithoutSignatureValue) {
  const std::string rest = "d=example.com; h=from; s=sel; bh=" + kBodyHash;
  const std::vector<Blank> cases = {
      {"b= in the middle", " v=1; a=rsa-sha256; b=dGVzdA==; " + rest,
       "DKIM-Signature: v=1; a=rsa-sha256; b=; " + rest},
      {"b= last, folded", " v=1; a=rsa-sha256; " + rest + ";\r\n\tb=dGVz\r\n\tdA==",
       "DKIM-Signature: v=1; a=rsa-sha256; " + rest + ";\r\n\tb="},
      {"b= last with trailing ;", " v=1; a=rsa-sha256; " + rest + "; b=dGVzdA==;",
       "DKIM-Signature: v=1; a=rsa-sha256; " + rest + "; b=;"},
      {"spaces around the value", " b = dGVz dA== ;v=1; a=rsa-sha256; " + rest,
       "DKIM-Signature: b =;v=1; a=rsa-sha256; " + rest},
      {"folding after the value", " v=1; b=dGVz\r\n dA==\r\n ; a=rsa-sha256; " + rest,
       "DKIM-Signature: v=1; b=; a=rsa-sha256; " + rest},
      {"b= first, no space", "b=dGVzdA==;v=1;a=rsa-sha256;" + rest, "DKIM-Signature:b=;v=1;a=rsa-sha256;" + rest},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string field = "DKIM-Signature:" + c.value;
    const auto sig = parseDkimSignature(c.value);
    ASSERT_TRUE(sig.has_value()) << sig.error().message();
    EXPECT_EQ(sig->signature, "test");
    EXPECT_EQ(withoutSignatureValue(field, std::string("DKIM-Signature:").size(), *sig), c.expected);
  }
}

TEST(DkimSignatureRfc6376, BRegionOffsets) {
  const std::string value = " v=1; a=rsa-sha256; b=dGVzdA==; d=example.com; h=from; s=sel; bh=" + kBodyHash;
  const auto sig = parseDkimSignature(value);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->b_region_offset, 22u);
  EXPECT_EQ(sig->b_region_length, 8u);
  EXPECT_EQ(value.substr(sig->b_region_offset, sig->b_region_length), "dGVzdA==");

  const std::string folded = " v=1; d=example.com; h=from; s=sel; a=rsa-sha256; bh=" + kBodyHash +
                             ";\r\n b=dGVz\r\n dA== ";
  const auto f = parseDkimSignature(folded);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(folded.substr(f->b_region_offset), "dGVz\r\n dA== ");
  EXPECT_EQ(f->b_region_length, std::string("dGVz\r\n dA== ").size());
}

// --- helpers ---

TEST(DkimSignatureHelpers, IdentityWithinDomain) {
  EXPECT_TRUE(identityWithinDomain("@example.com", "example.com"));
  EXPECT_TRUE(identityWithinDomain("joe@example.com", "EXAMPLE.com"));
  EXPECT_TRUE(identityWithinDomain("@a.b.example.com", "example.com"));
  EXPECT_TRUE(identityWithinDomain("odd@name@example.com", "example.com"));
  EXPECT_FALSE(identityWithinDomain("@notexample.com", "example.com"));
  EXPECT_FALSE(identityWithinDomain("@example.com.evil", "example.com"));
  EXPECT_FALSE(identityWithinDomain("@example.com", "mail.example.com"));
  EXPECT_FALSE(identityWithinDomain("example.com", "example.com"));
  EXPECT_FALSE(identityWithinDomain("@", "example.com"));
}

TEST(DkimSignatureHelpers, AlgorithmNames) {
  EXPECT_EQ(toString(SigningAlgorithm::rsa_sha1), "rsa-sha1");
  EXPECT_EQ(toString(SigningAlgorithm::rsa_sha256), "rsa-sha256");
  EXPECT_EQ(toString(SigningAlgorithm::ed25519_sha256), "ed25519-sha256");
  EXPECT_EQ(toString(KeyType::rsa), "rsa");
  EXPECT_EQ(toString(KeyType::ed25519), "ed25519");
  EXPECT_EQ(toString(HashAlgorithm::sha1), "sha1");
  EXPECT_EQ(toString(HashAlgorithm::sha256), "sha256");
  EXPECT_EQ(parseSigningAlgorithm("ed25519-sha256"), SigningAlgorithm::ed25519_sha256);
  EXPECT_EQ(parseSigningAlgorithm("Rsa-Sha1"), SigningAlgorithm::rsa_sha1);
  EXPECT_EQ(parseSigningAlgorithm("rsa-sha256 "), std::nullopt);
  EXPECT_EQ(keyTypeOf(SigningAlgorithm::ed25519_sha256), KeyType::ed25519);
  EXPECT_EQ(keyTypeOf(SigningAlgorithm::rsa_sha1), KeyType::rsa);
  EXPECT_EQ(hashOf(SigningAlgorithm::rsa_sha1), HashAlgorithm::sha1);
  EXPECT_EQ(hashOf(SigningAlgorithm::ed25519_sha256), HashAlgorithm::sha256);
}

}  // namespace
}  // namespace signet
