#include "signet/signer.h"

#include <array>
#include <ctime>

#include "signet/base64.h"
#include "engine/signing_support.h"
#include "signet/header_hash.h"

namespace signet {
namespace {

constexpr std::array<std::string_view, 26> kDefaultHeaders = {
    "From",        "Reply-To",   "Subject",         "Date",        "To",
    "Cc",          "Resent-Date", "Resent-From",    "Resent-To",   "Resent-Cc",
    "In-Reply-To", "References", "List-Id",         "List-Help",   "List-Unsubscribe",
    "List-Subscribe", "List-Post", "List-Owner",    "List-Archive", "Message-ID",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID",
    "Content-Description", "Sender"};

}  // namespace

std::span<const std::string_view> defaultSignedHeaders() { return kDefaultHeaders; }

std::int64_t systemClock() { return static_cast<std::int64_t>(std::time(nullptr)); }

Result<void> validate(const SignatureSpec& spec) {
  const std::string who = spec.selector + "._domainkey." + spec.domain;
  if (spec.domain.empty() || spec.selector.empty()) return failure("a signing key needs a domain and a selector");
  if (!spec.key) return failure(who + ": no private key");
  if (spec.key->type() != keyTypeOf(spec.algorithm))
    return failure(who + ": a " + std::string(toString(spec.key->type())) + " key cannot sign " +
                   std::string(toString(spec.algorithm)));
  if (spec.key->type() == KeyType::rsa && spec.key->bits() < 1024)
    return failure(who + ": a " + std::to_string(spec.key->bits()) +
                   "-bit RSA key is too short to sign with (RFC 8301 asks for at least 1024, better 2048)");
  if (!spec.identity.empty() && !identityWithinDomain(spec.identity, spec.domain))
    return failure(who + ": identity " + spec.identity + " is not within " + spec.domain);
  return {};
}

MessageSigner::MessageSigner(std::vector<SignatureSpec> specs, Clock clock)
    : specs_(std::move(specs)), clock_(std::move(clock)) {
  for (const auto& spec : specs_)
    body_index_.push_back(bodies_.add(spec.canonicalization.body, hashOf(spec.algorithm),
                                      std::nullopt));
}

Result<std::vector<std::string>> MessageSigner::finish(std::string_view line_end) {
  bodies_.finish();
  const std::int64_t now = clock_();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    auto field = signOne(specs_[i], body_index_[i], now);
    if (!field) return std::unexpected(field.error());
    out.push_back(withLineEnds(*field, line_end));
  }
  return out;
}

Result<std::string> MessageSigner::signOne(const SignatureSpec& spec, std::size_t body_index, std::int64_t now) {
  if (auto ok = validate(spec); !ok) return std::unexpected(ok.error());
  const HashAlgorithm hash = hashOf(spec.algorithm);
  FoldedTags tags(std::string(kDkimSignatureHeader) + ":");
  tags.add("v", "1");
  tags.add("a", toString(spec.algorithm));
  tags.add("c", toString(spec.canonicalization));
  tags.add("d", spec.domain);
  tags.add("s", spec.selector);
  if (spec.timestamp || spec.expire_after) tags.add("t", std::to_string(now));
  if (spec.expire_after) tags.add("x", std::to_string(now + static_cast<std::int64_t>(*spec.expire_after)));
  if (spec.body_length) tags.add("l", std::to_string(bodies_.canonicalLength(body_index)));
  if (!spec.identity.empty()) tags.add("i", spec.identity);
  std::vector<std::string> names = headerNamesToSign(spec.headers, defaultSignedHeaders(), spec.oversign, headers_);
  std::vector<std::string> lower_names;
  for (const auto& n : names) lower_names.push_back(toLower(n));
  tags.addList("h", lower_names);
  tags.addBase64("bh", encodeBase64(bodies_.digest(body_index)), false);
  tags.add("b", "", true);

  const std::string unsigned_field = tags.text();
  auto selected = selectSignedHeaders(headers_, names);
  const std::string input = headerHashInput(selected, unsigned_field, spec.canonicalization.header);
  auto signature = spec.key->signHash(hash, Hash::digest(hash, input));
  if (!signature) return failure(spec.selector + "._domainkey." + spec.domain + ": " + signature.error().message);
  // b= goes where the blank was; it is the last tag, so append it.
  return withSignatureValue(unsigned_field, encodeBase64(*signature));
}

}  // namespace signet
