// Support for the signer and verifier tests: a fake Resolver serving TXT
// answers from a map, test keys made once per process, key records for them,
// a fixed clock, and helpers that sign a message and verify one.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signet/base64.h"
#include "signet/body_hashes.h"
#include "signet/crypto.h"
#include "signet/dns.h"
#include "signet/header.h"
#include "signet/header_hash.h"
#include "signet/signer.h"
#include "signet/verifier.h"

namespace signet {

// GoogleTest prints verdicts by their RFC 8601 word.
inline void PrintTo(Verdict v, std::ostream* os) { *os << toString(v); }

}  // namespace signet

namespace signet::coretest {

class FakeResolver final : public Resolver {
 public:
  TxtAnswer lookupTxt(std::string_view name) override {
    queries.emplace_back(name);
    const auto it = answers.find(std::string(name));
    if (it != answers.end()) return it->second;
    TxtAnswer none;
    none.status = DnsStatus::no_record;
    none.reason = "NXDOMAIN";
    return none;
  }

  void publish(const std::string& name, std::vector<std::string> records, bool secure = false) {
    TxtAnswer answer;
    answer.status = DnsStatus::found;
    answer.records = std::move(records);
    answer.secure = secure;
    answer.ttl = 300;
    answers[name] = std::move(answer);
  }

  void fail(const std::string& name, DnsStatus status, std::string reason) {
    TxtAnswer answer;
    answer.status = status;
    answer.reason = std::move(reason);
    answers[name] = std::move(answer);
  }

  std::map<std::string, TxtAnswer> answers;
  std::vector<std::string> queries;
};

struct TestKeys {
  std::shared_ptr<const PrivateKey> rsa;
  std::shared_ptr<const PrivateKey> ed25519;
};

// Made once per process: key generation is the slow part of these tests.
inline const TestKeys& testKeys() {
  static const TestKeys keys{*PrivateKey::generate(KeyType::rsa, 1024),
                             *PrivateKey::generate(KeyType::ed25519, 0)};
  return keys;
}

// "v=DKIM1; k=...; <extra>p=<public key>".
inline std::string keyRecord(const PrivateKey& key, std::string_view extra = "") {
  return "v=DKIM1; k=" + std::string(toString(key.type())) + "; " + std::string(extra) +
         "p=" + encodeBase64(*key.publicKeyData());
}

inline constexpr std::int64_t kNow = 1700000000;
inline constexpr std::string_view kDomain = "example.com";

inline Clock fixedClock(std::int64_t now) {
  return [now] { return now; };
}

inline const std::string kMessage =
    "From: Joe SixPack <joe@example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

inline SignatureSpec makeSpec(SigningAlgorithm algorithm, std::string selector,
                              CanonicalizationPair canonicalization = {}) {
  SignatureSpec spec;
  spec.domain = std::string(kDomain);
  spec.selector = std::move(selector);
  spec.key = keyTypeOf(algorithm) == KeyType::rsa ? testKeys().rsa : testKeys().ed25519;
  spec.algorithm = algorithm;
  spec.canonicalization = canonicalization;
  return spec;
}

// The new DKIM-Signature fields for `message`, each without its line end.
inline std::vector<std::string> signatureFields(std::string_view message, std::vector<SignatureSpec> specs,
                                                std::int64_t now = kNow, std::string_view line_end = "\r\n") {
  MessageSigner signer(std::move(specs), fixedClock(now));
  MessageReader reader([&](HeaderField&& f) { signer.addHeader(std::move(f)); }, [&] { signer.endOfHeaders(); },
                       [&](std::span<const char> body) { signer.addBody(body); });
  if (auto r = reader.update(std::span<const char>(message.data(), message.size())); !r)
    ADD_FAILURE() << "reading the message to sign: " << r.error().message();
  if (auto r = reader.finish(); !r) ADD_FAILURE() << "reading the message to sign: " << r.error().message();
  auto fields = signer.finish(line_end);
  if (!fields) {
    ADD_FAILURE() << "signing: " << fields.error().message;
    return {};
  }
  return *fields;
}

// `message` with the new DKIM-Signature fields on top.
inline std::string signMessage(std::string_view message, std::vector<SignatureSpec> specs,
                               std::int64_t now = kNow, std::string_view line_end = "\r\n") {
  std::string out;
  for (const auto& field : signatureFields(message, std::move(specs), now, line_end))
    out += field + std::string(line_end);
  return out + std::string(message);
}

// A DKIM-Signature field built by hand from the pieces (relaxed/relaxed,
// d=example.com, t=kNow), without MessageSigner: for keys the signer refuses
// and as a check that the verifier does not merely mirror the signer.
inline std::string handSignedField(std::string_view message, const PrivateKey& key, SigningAlgorithm algorithm,
                                   const std::string& selector, const std::vector<std::string>& names) {
  std::vector<HeaderField> headers;
  BodyHashes bodies;
  const std::size_t body = bodies.add(Canonicalization::relaxed, hashOf(algorithm), std::nullopt);
  MessageReader reader([&](HeaderField&& f) { headers.push_back(std::move(f)); }, [] {},
                       [&](std::span<const char> b) { bodies.update(b); });
  if (!reader.update(std::span<const char>(message.data(), message.size())) || !reader.finish())
    ADD_FAILURE() << "cannot read the message";
  bodies.finish();
  std::string h;
  for (const auto& name : names) h += (h.empty() ? "" : ":") + name;
  const std::string unsigned_field = "DKIM-Signature: v=1; a=" + std::string(toString(algorithm)) +
                                     "; c=relaxed/relaxed; d=example.com; s=" + selector + "; t=" +
                                     std::to_string(kNow) + ";\r\n\th=" + h + "; bh=" +
                                     encodeBase64(bodies.digest(body)) + ";\r\n\tb=";
  const std::string input =
      headerHashInput(selectSignedHeaders(headers, names), unsigned_field, Canonicalization::relaxed);
  const auto signature = key.signHash(hashOf(algorithm), Hash::digest(hashOf(algorithm), input));
  if (!signature) {
    ADD_FAILURE() << signature.error().message;
    return unsigned_field;
  }
  return unsigned_field + encodeBase64(*signature);
}

// A resolver with the usual keys: "rsa._domainkey.example.com" and
// "ed._domainkey.example.com".
inline void publishTestKeys(FakeResolver& resolver) {
  resolver.publish("rsa._domainkey.example.com", {keyRecord(*testKeys().rsa)});
  resolver.publish("ed._domainkey.example.com", {keyRecord(*testKeys().ed25519)});
}

inline VerifierOptions verifierOptions(Resolver& resolver, std::int64_t now = kNow) {
  VerifierOptions options;
  options.resolver = &resolver;
  options.clock = fixedClock(now);
  return options;
}

inline std::vector<SignatureResult> verify(const VerifierOptions& options, std::string_view message) {
  auto results = verifyMessage(options, message);
  if (!results) {
    ADD_FAILURE() << "verifyMessage: " << results.error().message();
    return {};
  }
  return *results;
}

// Verifies and expects exactly one result.
inline SignatureResult verifyOne(const VerifierOptions& options, std::string_view message) {
  const auto results = verify(options, message);
  if (results.size() != 1) {
    ADD_FAILURE() << results.size() << " results";
    return {};
  }
  return results[0];
}

// "pass", "fail: <reason>", ... for readable failures.
inline std::string summary(const SignatureResult& r) {
  std::string out(toString(r.verdict));
  if (!r.reason.empty()) out += ": " + r.reason;
  return out;
}

inline std::string replaceOnce(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "\"" << from << "\" not in the message";
    return text;
  }
  return text.replace(at, from.size(), to);
}

}  // namespace signet::coretest
