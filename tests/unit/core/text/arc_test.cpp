// The ARC fields and the chain collector (RFC 8617 sections 4.1 and 5.2
// structure checks), table-driven.
#include "signet/arc.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signet/auth_results.h"

namespace signet {
namespace {

constexpr std::string_view kB = "dGVzdHNpZ25hdHVyZQ==";

std::string seal(std::string_view extra, std::string_view instance = "1", std::string_view cv = "none") {
  return " i=" + std::string(instance) + "; a=rsa-sha256; t=1700000000; cv=" + std::string(cv) +
         "; d=example.org; s=sel; " + std::string(extra) + "b=" + std::string(kB);
}

struct SealCase {
  const char* name;
  std::string value;
  const char* error;  // nullptr: parses
};

TEST(ArcSealRfc8617, Section4_1_3Table) {
  const std::vector<SealCase> cases = {
      {"plain", seal(""), nullptr},
      {"cv pass", seal("", "2", "pass"), nullptr},
      {"cv upper case", seal("", "2", "PASS"), nullptr},
      {"instance 50", seal("", "50", "pass"), nullptr},
      {"instance 0", seal("", "0"), "ARC instance outside 1 to 50"},
      {"instance 51", seal("", "51"), "ARC instance outside 1 to 50"},
      {"instance not a number", seal("", "x"), "not an ARC instance number"},
      {"cv unknown", seal("", "1", "maybe"), "not none, pass or fail"},
      {"h= present", seal("h=from; "), "not allowed in ARC-Seal"},
      {"no cv", " i=1; a=rsa-sha256; d=example.org; s=sel; b=" + std::string(kB), "missing"},
      {"no b", " i=1; a=rsa-sha256; cv=none; d=example.org; s=sel", "missing"},
      {"rsa-sha1", " i=1; a=rsa-sha1; cv=none; d=example.org; s=sel; b=" + std::string(kB), "rsa-sha1"},
      {"bad domain", " i=1; a=rsa-sha256; cv=none; d=org; s=sel; b=" + std::string(kB), "not a domain"},
      {"bad t", " i=1; a=rsa-sha256; cv=none; t=soon; d=example.org; s=sel; b=" + std::string(kB),
       "not a valid number"},
  };
  for (const auto& c : cases) {
    auto parsed = parseArcSeal(c.value);
    if (!c.error) {
      EXPECT_TRUE(parsed.has_value()) << c.name << ": " << (parsed ? "" : parsed.error().message());
    } else {
      ASSERT_FALSE(parsed.has_value()) << c.name;
      EXPECT_NE(parsed.error().message().find(c.error), std::string::npos)
          << c.name << ": " << parsed.error().message();
    }
  }
}

TEST(ArcSealRfc8617, FieldsOfAParsedSeal) {
  auto parsed = parseArcSeal(seal("", "3", "pass"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->instance, 3u);
  EXPECT_EQ(parsed->cv, ChainValidation::pass);
  EXPECT_EQ(parsed->domain, "example.org");
  EXPECT_EQ(parsed->selector, "sel");
  EXPECT_EQ(parsed->timestamp, 1700000000u);
  EXPECT_EQ(parsed->signature, "testsignature");
  const std::string value = seal("", "3", "pass");
  EXPECT_EQ(value.substr(parsed->b_region_offset, parsed->b_region_length), kB);
}

TEST(ArcMessageSignatureRfc8617, Section4_1_2Table) {
  const std::string tail = "; d=example.org; s=sel; bh=" + std::string(kB) + "; b=" + std::string(kB);
  struct Case {
    const char* name;
    std::string value;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"no v= needed", " i=2; a=rsa-sha256; c=relaxed/relaxed; h=from:to" + tail, nullptr},
      {"ed25519", " i=1; a=ed25519-sha256; h=from" + tail, nullptr},
      {"no i", " a=rsa-sha256; h=from" + tail, "tag i: missing"},
      {"i=0", " i=0; a=rsa-sha256; h=from" + tail, "outside 1 to 50"},
      {"i=51", " i=51; a=rsa-sha256; h=from" + tail, "outside 1 to 50"},
      {"identity-style i", " i=@example.org; a=rsa-sha256; h=from" + tail, "not an ARC instance number"},
      {"rsa-sha1", " i=1; a=rsa-sha1; h=from" + tail, "rsa-sha1"},
      {"signs ARC-Seal", " i=1; a=rsa-sha256; h=from:arc-seal" + tail, "signs ARC-Seal"},
      {"From unsigned", " i=1; a=rsa-sha256; h=to" + tail, "From is not signed"},
  };
  for (const auto& c : cases) {
    auto parsed = parseArcMessageSignature(c.value);
    if (!c.error) {
      EXPECT_TRUE(parsed.has_value()) << c.name << ": " << (parsed ? "" : parsed.error().message());
      if (parsed) {
        EXPECT_TRUE(parsed->identity.empty()) << c.name;
      }
    } else {
      ASSERT_FALSE(parsed.has_value()) << c.name;
      EXPECT_NE(parsed.error().message().find(c.error), std::string::npos)
          << c.name << ": " << parsed.error().message();
    }
  }
  auto parsed = parseArcMessageSignature(" i=2; a=rsa-sha256; c=relaxed/relaxed; h=from:to" + tail);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->instance, 2u);
  EXPECT_EQ(parsed->canonicalization.header, Canonicalization::relaxed);
}

TEST(ArcAuthenticationResultsRfc8617, Section4_1_1) {
  auto plain = parseArcAuthenticationResults(
      " i=1; mx.example.org; spf=pass smtp.mailfrom=example.org;\r\n\tdkim=pass");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->instance, 1u);
  EXPECT_EQ(plain->authserv_id, "mx.example.org");
  EXPECT_EQ(plain->results, "spf=pass smtp.mailfrom=example.org;\r\n\tdkim=pass");

  auto spaced = parseArcAuthenticationResults(" (first hop) i = 12 ; \"mx example\" 1; none");
  ASSERT_TRUE(spaced.has_value());
  EXPECT_EQ(spaced->instance, 12u);
  EXPECT_EQ(spaced->authserv_id, "mx example");
  EXPECT_EQ(spaced->results, "none");

  struct Case {
    const char* value;
    const char* error;
  };
  for (const Case& c :
       {Case{" mx.example.org; spf=pass", "does not begin with i="},
        Case{" i=1 mx.example.org", "no \";\" after the instance"},
        Case{" i=51; mx.example.org; none", "outside 1 to 50"},
        Case{" i=; mx.example.org; none", "not an ARC instance number"},
        Case{" i=1; ; none", "no authserv-id"}, Case{" i=1; \"open", "unterminated authserv-id"}}) {
    auto parsed = parseArcAuthenticationResults(c.value);
    ASSERT_FALSE(parsed.has_value()) << c.value;
    EXPECT_NE(parsed.error().message().find(c.error), std::string::npos)
        << c.value << ": " << parsed.error().message();
  }
}

std::vector<HeaderField> fields(const std::vector<std::string>& raws) {
  std::vector<HeaderField> out;
  for (const auto& raw : raws) out.push_back(HeaderField{raw});
  return out;
}

std::string aar(int i) {
  return "ARC-Authentication-Results: i=" + std::to_string(i) + "; mx.example.org; none";
}
std::string ams(int i) {
  return "ARC-Message-Signature: i=" + std::to_string(i) +
         "; a=rsa-sha256; d=example.org; s=sel; h=from; bh=" + std::string(kB) + "; b=" + std::string(kB);
}
std::string as(int i) {
  return "ARC-Seal:" + seal("", std::to_string(i), i == 1 ? "none" : "pass");
}

TEST(ArcChainRfc8617, Section5_2StructureTable) {
  struct Case {
    const char* name;
    std::vector<std::string> headers;
    std::size_t sets;   // expected sets when valid
    const char* fault;  // nullptr: valid
    std::uint32_t fault_instance;
  };
  const std::vector<Case> cases = {
      {"two sets, newest on top",
       {as(2), ams(2), aar(2), as(1), ams(1), aar(1), "From: a@example.org"},
       2,
       nullptr,
       0},
      {"sets in any order", {ams(1), as(2), aar(1), ams(2), as(1), aar(2)}, 2, nullptr, 0},
      {"gap", {as(2), ams(2), aar(2)}, 0, "instance 1 has no ARC-Authentication-Results", 1},
      {"missing AAR", {as(1), ams(1)}, 0, "instance 1 has no ARC-Authentication-Results", 1},
      {"missing AMS", {as(1), aar(1)}, 0, "instance 1 has no ARC-Message-Signature", 1},
      {"duplicate seal", {as(1), as(1), ams(1), aar(1)}, 0, "instance 1 has more than one ARC-Seal", 1},
      {"instance 51", {"ARC-Seal:" + seal("", "51", "pass"), ams(1), aar(1), as(1)}, 0, "outside 1 to 50", 0},
      {"instance 0",
       {aar(1), ams(1), as(1), "ARC-Authentication-Results: i=0; mx; none"},
       0,
       "outside 1 to 50",
       0},
  };
  for (const auto& c : cases) {
    const auto headers = fields(c.headers);
    const ArcChain chain = collectArcChain(headers);
    EXPECT_TRUE(chain.present) << c.name;
    if (!c.fault) {
      EXPECT_TRUE(chain.valid()) << c.name << ": " << chain.fault;
      EXPECT_EQ(chain.sets.size(), c.sets) << c.name;
    } else {
      EXPECT_FALSE(chain.valid()) << c.name;
      EXPECT_NE(chain.fault.find(c.fault), std::string::npos) << c.name << ": " << chain.fault;
      EXPECT_EQ(chain.fault_instance, c.fault_instance) << c.name;
    }
  }
  const auto none = fields({"From: a@example.org", "Subject: x"});
  EXPECT_FALSE(collectArcChain(none).present);
}

TEST(ArcChainLimits, FieldCountAndBytes) {
  std::vector<std::string> raws;
  for (int i = 1; i <= 3; ++i) {
    raws.push_back(aar(i));
    raws.push_back(ams(i));
    raws.push_back(as(i));
  }
  const auto headers = fields(raws);
  EXPECT_TRUE(collectArcChain(headers).valid());
  ArcLimits few;
  few.max_fields = 8;
  const ArcChain over = collectArcChain(headers, few);
  EXPECT_FALSE(over.valid());
  EXPECT_NE(over.fault.find("more than 8 ARC fields"), std::string::npos) << over.fault;
  ArcLimits small;
  small.max_bytes = 400;
  const ArcChain big = collectArcChain(headers, small);
  EXPECT_FALSE(big.valid());
  EXPECT_NE(big.fault.find("larger than 400 bytes"), std::string::npos) << big.fault;
}

TEST(ArcResults, Resinfo) {
  ArcResult pass;
  pass.verdict = Verdict::pass;
  pass.instances = 3;
  pass.domain = "lists.example.org";
  EXPECT_EQ(renderArcResinfo(pass), "arc=pass (3 sets, newest sealed by lists.example.org)");
  pass.oldest_pass = 2;
  EXPECT_EQ(
      renderArcResinfo(pass, "192.0.2.1"),
      "arc=pass (3 sets, newest sealed by lists.example.org) header.oldest-pass=2 smtp.remote-ip=192.0.2.1");
  ArcResult fail;
  fail.verdict = Verdict::fail;
  fail.reason = "ARC-Seal i=2 did not validate (bad)";
  EXPECT_EQ(renderArcResinfo(fail), "arc=fail (ARC-Seal i=2 did not validate \\(bad\\))");
  EXPECT_EQ(renderArcResinfo(ArcResult{}), "arc=none");
  EXPECT_EQ(fail.sealStatus(), ChainValidation::fail);
  EXPECT_EQ(ArcResult{}.sealStatus(), ChainValidation::none);
  const std::vector<std::string> resinfos = {"spf=pass smtp.mailfrom=example.org", "arc=none"};
  EXPECT_EQ(renderArcAuthenticationResults(1, "mx.example.org", resinfos),
            "ARC-Authentication-Results: i=1; mx.example.org;\r\n\tspf=pass "
            "smtp.mailfrom=example.org;\r\n\tarc=none");
}

}  // namespace
}  // namespace signet
