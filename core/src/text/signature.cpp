#include "signet/signature.h"

#include <charconv>

#include "signet/base64.h"
#include "signet/header.h"

namespace signet {

std::expected<std::uint64_t, ParseError> parseTagNumber(std::string_view tag, std::string_view text) {
  // At most 12 digits (RFC 6376 section 3.5 t= and x=); l= is bounded the same way.
  if (text.empty() || text.size() > 12) return parseError("tag " + std::string(tag), "not a valid number");
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return parseError("tag " + std::string(tag), "not a valid number");
  return value;
}

namespace {

// Decodes the qp-section of i= (RFC 6376 section 2.11 dkim-quoted-printable).
std::string decodeQuotedPrintable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    if (text[i] == '=' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string_view toString(SigningAlgorithm a) {
  switch (a) {
    case SigningAlgorithm::rsa_sha1:
      return "rsa-sha1";
    case SigningAlgorithm::rsa_sha256:
      return "rsa-sha256";
    case SigningAlgorithm::ed25519_sha256:
      return "ed25519-sha256";
  }
  return "unknown";
}

std::string_view toString(KeyType k) {
  return k == KeyType::rsa ? "rsa" : "ed25519";
}
std::string_view toString(HashAlgorithm h) {
  return h == HashAlgorithm::sha1 ? "sha1" : "sha256";
}

std::optional<SigningAlgorithm> parseSigningAlgorithm(std::string_view name) {
  const std::string lower = toLower(name);
  if (lower == "rsa-sha256") return SigningAlgorithm::rsa_sha256;
  if (lower == "ed25519-sha256") return SigningAlgorithm::ed25519_sha256;
  if (lower == "rsa-sha1") return SigningAlgorithm::rsa_sha1;
  return std::nullopt;
}

SigningAlgorithm defaultAlgorithm(KeyType k) {
  return k == KeyType::ed25519 ? SigningAlgorithm::ed25519_sha256 : SigningAlgorithm::rsa_sha256;
}

KeyType keyTypeOf(SigningAlgorithm a) {
  return a == SigningAlgorithm::ed25519_sha256 ? KeyType::ed25519 : KeyType::rsa;
}

HashAlgorithm hashOf(SigningAlgorithm a) {
  return a == SigningAlgorithm::rsa_sha1 ? HashAlgorithm::sha1 : HashAlgorithm::sha256;
}

namespace {

// Counts the labels of a DNS name, or returns 0 when one is malformed.
std::size_t dnsLabels(std::string_view name, bool underscore) {
  if (name.empty() || name.size() > 253) return 0;
  std::size_t labels = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return 0;
    for (const char ch : label) {
      const auto c = static_cast<unsigned char>(ch);
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c >= 0x80 || (underscore && c == '_');
      if (!ok) return 0;
    }
    ++labels;
    if (dot == std::string_view::npos) return labels;
    start = dot + 1;
  }
}

}  // namespace

bool isSigningDomain(std::string_view domain) {
  return dnsLabels(domain, false) >= 2;
}

bool isSelector(std::string_view selector) {
  return dnsLabels(selector, true) >= 1;
}

bool identityWithinDomain(std::string_view identity, std::string_view domain) {
  const std::size_t at = identity.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string id_domain = toLower(identity.substr(at + 1));
  const std::string d = toLower(domain);
  if (id_domain == d) return true;
  return id_domain.size() > d.size() && id_domain.ends_with(d) &&
         id_domain[id_domain.size() - d.size() - 1] == '.';
}

std::expected<std::uint32_t, ParseError> parseArcInstance(std::string_view text) {
  if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return parseError("tag i", "not an ARC instance number");
  std::uint32_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < 1 || value > kMaxArcInstance) return parseError("tag i", "ARC instance outside 1 to 50");
  return value;
}

namespace {

enum class SignatureKind { dkim, arc_message };

std::expected<DkimSignature, ParseError> parseSignature(std::string_view header_value,
                                                        const TagListLimits& limits, SignatureKind kind) {
  const bool arc = kind == SignatureKind::arc_message;
  auto parsed = TagList::parse(header_value, limits);
  if (!parsed) return std::unexpected(parsed.error());
  const TagList& tags = *parsed;

  for (std::string_view required : {arc ? "i" : "v", "a", "b", "bh", "d", "h", "s"})
    if (!tags.find(required)) return parseError("tag " + std::string(required), "missing");

  DkimSignature sig;
  if (!arc && *tags.value("v") != "1") return parseError("tag v", "unsupported version");

  auto algorithm = parseSigningAlgorithm(stripWhitespace(*tags.value("a")));
  if (!algorithm) return parseError("tag a", "unsupported algorithm");
  if (arc && *algorithm == SigningAlgorithm::rsa_sha1)
    return parseError("tag a", "rsa-sha1 is not allowed in ARC (RFC 8617 section 4.1.2, RFC 8301)");
  sig.algorithm = *algorithm;

  const Tag* b = tags.find("b");
  sig.signature_text = stripWhitespace(b->value);
  auto signature = parseBase64(sig.signature_text);
  if (!signature) return parseError("tag b", signature.error().why);
  if (signature->empty()) return parseError("tag b", "empty signature");
  sig.signature = std::move(*signature);
  sig.b_region_offset = b->value_offset;
  sig.b_region_length = b->value_length;

  auto body_hash = parseBase64(*tags.value("bh"));
  if (!body_hash) return parseError("tag bh", body_hash.error().why);
  if (body_hash->empty()) return parseError("tag bh", "empty body hash");
  sig.body_hash = std::move(*body_hash);

  if (auto c = tags.value("c")) {
    auto canon = parseCanonicalization(stripWhitespace(*c));
    if (!canon) return parseError("tag c", canon.error().why);
    sig.canonicalization = *canon;
  }

  sig.domain = stripWhitespace(*tags.value("d"));
  if (sig.domain.empty()) return parseError("tag d", "empty domain");
  if (!isSigningDomain(sig.domain)) return parseError("tag d", "not a domain name");
  sig.selector = stripWhitespace(*tags.value("s"));
  if (sig.selector.empty()) return parseError("tag s", "empty selector");
  if (!isSelector(sig.selector)) return parseError("tag s", "not a selector");

  sig.signed_headers = splitColonList(*tags.value("h"));
  bool has_from = false;
  for (const auto& name : sig.signed_headers) {
    if (name.empty()) return parseError("tag h", "empty header name");
    if (headerNameEquals(name, "from")) has_from = true;
  }
  if (!has_from) return parseError("tag h", "From is not signed");
  if (arc)
    for (const auto& name : sig.signed_headers)
      if (headerNameEquals(name, "ARC-Seal"))
        return parseError("tag h", "signs ARC-Seal (RFC 8617 section 4.1.2)");

  if (arc) {
    auto instance = parseArcInstance(stripWhitespace(*tags.value("i")));
    if (!instance) return std::unexpected(instance.error());
    sig.instance = *instance;
  } else if (auto i = tags.value("i")) {
    sig.identity = decodeQuotedPrintable(stripWhitespace(*i));
    if (!identityWithinDomain(sig.identity, sig.domain))
      return parseError("tag i", "identity is not within the signing domain");
  } else {
    sig.identity = "@" + sig.domain;
  }

  if (auto l = tags.value("l")) {
    auto n = parseTagNumber("l", stripWhitespace(*l));
    if (!n) return std::unexpected(n.error());
    sig.body_length = *n;
  }
  if (auto q = tags.value("q")) {
    bool dns = false;
    for (const auto& method : splitColonList(*q))
      if (toLower(method) == "dns/txt") dns = true;
    if (!dns) return parseError("tag q", "no supported query method");
  }
  if (auto t = tags.value("t")) {
    auto n = parseTagNumber("t", stripWhitespace(*t));
    if (!n) return std::unexpected(n.error());
    sig.timestamp = *n;
  }
  if (auto x = tags.value("x")) {
    auto n = parseTagNumber("x", stripWhitespace(*x));
    if (!n) return std::unexpected(n.error());
    sig.expiration = *n;
    if (sig.timestamp && *sig.expiration <= *sig.timestamp)
      return parseError("tag x", "expires no later than it was made (x= <= t=)");
  }
  if (auto z = tags.value("z")) sig.copied_headers = std::string(*z);
  return sig;
}

}  // namespace

std::expected<DkimSignature, ParseError> parseDkimSignature(std::string_view header_value,
                                                            const TagListLimits& limits) {
  return parseSignature(header_value, limits, SignatureKind::dkim);
}

std::expected<DkimSignature, ParseError> parseArcMessageSignature(std::string_view header_value,
                                                                  const TagListLimits& limits) {
  return parseSignature(header_value, limits, SignatureKind::arc_message);
}

std::string withoutSignatureValue(std::string_view raw_field, std::size_t value_start,
                                  const DkimSignature& sig) {
  return withoutSignatureValue(raw_field, value_start, sig.b_region_offset, sig.b_region_length);
}

std::string withoutSignatureValue(std::string_view raw_field, std::size_t value_start, std::size_t b_offset,
                                  std::size_t b_length) {
  std::string out(raw_field.substr(0, value_start + b_offset));
  out.append(raw_field.substr(value_start + b_offset + b_length));
  return out;
}

}  // namespace signet
