// Parsers of the DomainKeys text (RFC 4870 section 3.3, the DomainKey-
// Signature tags; section 3.2, the key record tags), the g= granularity
// match and the d= domain rule. Table-driven: each row is an input and what
// must come out, or the error's wording.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "signet/domainkey_signature.h"

namespace signet {
namespace {

// "AQID" is base64 for the bytes 01 02 03.
struct SignatureCase {
  const char* name;
  const char* value;
  const char* error;  // nullptr: parses
};

TEST(DomainKeySignatureRfc4870, Table) {
  const SignatureCase cases[] = {
      {"minimal, defaults", " b=AQID; d=example.com; s=sel", nullptr},
      {"all tags", "a=rsa-sha1; q=dns; c=nofws; d=example.com; s=sel; h=From:To; b=AQID;", nullptr},
      {"folded b= and h=", "a=rsa-sha1; c=simple; d=example.com; s=sel;\r\n\th=From :\r\n To; b=AQ\r\n\tID", nullptr},
      {"upper-case values", "a=RSA-SHA1; q=DNS; c=NOFWS; d=example.com; s=sel; b=AQID", nullptr},
      {"unknown tags ignored", "x=1; d=example.com; s=sel; b=AQID; zz=whatever", nullptr},
      {"missing b=", "d=example.com; s=sel", "tag b: missing"},
      {"missing d=", "b=AQID; s=sel", "tag d: missing"},
      {"missing s=", "b=AQID; d=example.com", "tag s: missing"},
      {"empty b=", "b=; d=example.com; s=sel", "tag b: empty signature"},
      {"empty d=", "b=AQID; d=; s=sel", "tag d: empty domain"},
      {"empty s=", "b=AQID; d=example.com; s=", "tag s: empty selector"},
      {"d= not a domain", "b=AQID; d=example.com,x; s=sel", "tag d: not a domain name"},
      {"s= not a selector", "b=AQID; d=example.com; s=s/el", "tag s: not a selector"},
      {"bad base64", "b=AQ!D; d=example.com; s=sel", "tag b: invalid character"},
      {"rsa-sha256 is DKIM's", "a=rsa-sha256; b=AQID; d=example.com; s=sel",
       "tag a: unsupported algorithm (DomainKeys knows rsa-sha1 only)"},
      {"q=dns/txt is DKIM's", "q=dns/txt; b=AQID; d=example.com; s=sel",
       "tag q: unsupported query method (DomainKeys knows dns only)"},
      {"c=relaxed is DKIM's", "c=relaxed; b=AQID; d=example.com; s=sel",
       "tag c: unknown DomainKeys algorithm (simple or nofws)"},
      {"c=simple/simple is DKIM's", "c=simple/simple; b=AQID; d=example.com; s=sel",
       "tag c: unknown DomainKeys algorithm (simple or nofws)"},
      {"empty h= element", "h=From::To; b=AQID; d=example.com; s=sel", "tag h: empty header name"},
      {"duplicate tag", "b=AQID; b=AQID; d=example.com; s=sel", "tag b: appears twice"},
      {"tag without =", "b=AQID; d=example.com; s=sel; junk", "tag list: tag without '='"},
  };
  for (const auto& c : cases) {
    auto sig = parseDomainKeySignature(c.value);
    if (c.error) {
      ASSERT_FALSE(sig) << c.name;
      EXPECT_EQ(sig.error().message(), c.error) << c.name;
    } else {
      ASSERT_TRUE(sig) << c.name << ": " << sig.error().message();
      EXPECT_EQ(sig->signature, std::string("\x01\x02\x03", 3)) << c.name;
      EXPECT_EQ(sig->domain, "example.com") << c.name;
      EXPECT_EQ(sig->selector, "sel") << c.name;
    }
  }
}

TEST(DomainKeySignatureRfc4870, Values) {
  auto sig = parseDomainKeySignature("a=rsa-sha1; c=nofws; d=example.com; s=sel;\r\n\th=From :\r\n To; b=AQ\r\n\tID");
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->canonicalization, DomainKeysCanonicalization::nofws);
  EXPECT_TRUE(sig->has_header_list);
  EXPECT_EQ(sig->signed_headers, (std::vector<std::string>{"From", "To"}));
  EXPECT_EQ(sig->signature_text, "AQID");
  EXPECT_EQ(sig->keyName(), "sel._domainkey.example.com");

  auto defaults = parseDomainKeySignature("b=AQID; d=example.com; s=sel");
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->canonicalization, DomainKeysCanonicalization::simple);  // RFC 4870: c= defaults to simple
  EXPECT_FALSE(defaults->has_header_list);
  EXPECT_TRUE(defaults->signed_headers.empty());
}

TEST(DomainKeySignatureRfc4870, TagListLimits) {
  TagListLimits limits;
  limits.max_bytes = 20;
  auto sig = parseDomainKeySignature("b=AQID; d=example.com; s=sel", limits);
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().message(), "tag list: longer than the limit");
}

struct KeyCase {
  const char* name;
  const char* record;
  const char* error;  // nullptr: parses
  bool revoked = false;
  bool testing = false;
  const char* granularity = "";
};

TEST(DomainKeysKeyRecordRfc4870, Table) {
  const KeyCase cases[] = {
      {"minimal", "p=AQID", nullptr},
      {"k=rsa", "k=rsa; p=AQID", nullptr},
      {"upper-case k=", "k=RSA; p=AQID", nullptr},
      {"revoked", "k=rsa; p=", nullptr, true},
      {"testing", "t=y; p=AQID", nullptr, false, true},
      {"testing among flags", "t=s:y; p=AQID", nullptr, false, true},
      {"not testing", "t=n; p=AQID", nullptr},
      {"granularity", "g=alice; p=AQID", nullptr, false, false, "alice"},
      {"notes", "n=a note; p=AQID", nullptr},
      {"shared with DKIM", "v=DKIM1; k=rsa; h=sha1:sha256; s=email; p=AQID", nullptr},
      {"s=*", "s=*; p=AQID", nullptr},
      {"no p=", "k=rsa", "key record: no p= tag"},
      {"k=ed25519", "k=ed25519; p=AQID", "key record: key type k= is not rsa"},
      {"v= not first", "k=rsa; v=DKIM1; p=AQID", "key record: v= is not the first tag"},
      {"other version", "v=DKIM2; p=AQID", "key record: unknown version v="},
      {"h= without sha1", "h=sha256; p=AQID", "key record: h= does not allow sha1, which DomainKeys uses"},
      {"s= without email", "s=other; p=AQID", "key record: s= does not allow email"},
      {"bad base64", "p=AQ!D", "key record p=: invalid character"},
  };
  for (const auto& c : cases) {
    auto key = parseDomainKeysKeyRecord(c.record);
    if (c.error) {
      ASSERT_FALSE(key) << c.name;
      EXPECT_EQ(key.error().message(), c.error) << c.name;
      continue;
    }
    ASSERT_TRUE(key) << c.name << ": " << key.error().message();
    EXPECT_EQ(key->revoked, c.revoked) << c.name;
    EXPECT_EQ(key->public_key.empty(), c.revoked) << c.name;
    EXPECT_EQ(key->testing, c.testing) << c.name;
    EXPECT_EQ(key->granularity, c.granularity) << c.name;
  }
  auto notes = parseDomainKeysKeyRecord("n=a note; p=AQID");
  ASSERT_TRUE(notes);
  EXPECT_EQ(notes->notes, "a note");
}

TEST(DomainKeysGranularity, Table) {
  struct Case {
    const char* g;
    const char* local;
    bool allowed;
  };
  const Case cases[] = {
      {"", "anyone", true},         {"alice", "alice", true},   {"alice", "bob", false},
      {"alice", "Alice", false},    {"alice", "alice2", false}, {"*", "anyone", true},
      {"*", "", true},              {"news*", "newsletter", true}, {"news*", "new", false},
      {"*-bounce", "list-bounce", true}, {"a*z", "az", true},   {"a*z", "abz", true},
      {"a*z", "a", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(granularityAllows(c.g, c.local), c.allowed) << "g=" << c.g << " local-part " << c.local;
}

TEST(DomainWithin, Table) {
  EXPECT_TRUE(domainWithin("example.com", "example.com"));
  EXPECT_TRUE(domainWithin("Mail.Example.com", "example.COM"));
  EXPECT_TRUE(domainWithin("example.com.", "example.com"));
  EXPECT_TRUE(domainWithin("a.b.example.com", "example.com"));
  EXPECT_FALSE(domainWithin("badexample.com", "example.com"));
  EXPECT_FALSE(domainWithin("example.com", "mail.example.com"));
  EXPECT_FALSE(domainWithin("example.org", "example.com"));
  EXPECT_FALSE(domainWithin("example.com", ""));
}

}  // namespace
}  // namespace signet
