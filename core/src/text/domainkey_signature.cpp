#include "signet/domainkey_signature.h"

#include "signet/signature.h"

#include "signet/base64.h"
#include "signet/header.h"
#include "signet/key_record.h"

namespace signet {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view wanted) {
  for (const auto& item : list)
    if (item == wanted) return true;
  return false;
}

}  // namespace

std::expected<DomainKeySignature, ParseError> parseDomainKeySignature(std::string_view header_value,
                                                                      const TagListLimits& limits) {
  auto parsed = TagList::parse(header_value, limits);
  if (!parsed) return std::unexpected(parsed.error());
  const TagList& tags = *parsed;
  for (std::string_view required : {"b", "d", "s"})
    if (!tags.find(required)) return parseError("tag " + std::string(required), "missing");

  DomainKeySignature sig;
  if (auto a = tags.value("a"); a && toLower(stripWhitespace(*a)) != "rsa-sha1")
    return parseError("tag a", "unsupported algorithm (DomainKeys knows rsa-sha1 only)");
  if (auto q = tags.value("q"); q && toLower(stripWhitespace(*q)) != "dns")
    return parseError("tag q", "unsupported query method (DomainKeys knows dns only)");
  if (auto c = tags.value("c")) {
    auto canon = parseDomainKeysCanonicalization(stripWhitespace(*c));
    if (!canon) return parseError("tag c", canon.error().why);
    sig.canonicalization = *canon;
  }

  sig.signature_text = stripWhitespace(*tags.value("b"));
  auto signature = parseBase64(sig.signature_text);
  if (!signature) return parseError("tag b", signature.error().why);
  if (signature->empty()) return parseError("tag b", "empty signature");
  sig.signature = std::move(*signature);

  sig.domain = stripWhitespace(*tags.value("d"));
  if (sig.domain.empty()) return parseError("tag d", "empty domain");
  if (!isSigningDomain(sig.domain)) return parseError("tag d", "not a domain name");
  sig.selector = stripWhitespace(*tags.value("s"));
  if (sig.selector.empty()) return parseError("tag s", "empty selector");
  if (!isSelector(sig.selector)) return parseError("tag s", "not a selector");

  if (auto h = tags.value("h")) {
    sig.has_header_list = true;
    sig.signed_headers = splitColonList(*h);
    for (const auto& name : sig.signed_headers)
      if (name.empty()) return parseError("tag h", "empty header name");
  }
  return sig;
}

std::expected<DomainKeysKeyRecord, ParseError> parseDomainKeysKeyRecord(std::string_view text,
                                                                        const TagListLimits& limits) {
  auto parsed = TagList::parse(text, limits);
  if (!parsed) return std::unexpected(parsed.error());
  const TagList& tags = *parsed;
  DomainKeysKeyRecord key;
  if (auto v = tags.value("v")) {
    if (tags.tags().front().name != "v") return parseError("key record", "v= is not the first tag");
    if (*v != "DKIM1") return parseError("key record", "unknown version v=");
  }
  if (auto k = tags.value("k"); k && toLower(stripWhitespace(*k)) != "rsa")
    return parseError("key record", "key type k= is not rsa");
  if (auto h = tags.value("h"); h && !contains(lowerColonList(*h), "sha1"))
    return parseError("key record", "h= does not allow sha1, which DomainKeys uses");
  if (auto s = tags.value("s")) {
    const auto services = lowerColonList(*s);
    if (!contains(services, "*") && !contains(services, "email"))
      return parseError("key record", "s= does not allow email");
  }
  if (auto t = tags.value("t")) key.testing = contains(lowerColonList(*t), "y");
  if (auto g = tags.value("g")) key.granularity = stripWhitespace(*g);
  if (auto n = tags.value("n")) key.notes = std::string(*n);
  auto decoded = parsePublicKeyTag(tags);
  if (!decoded) return std::unexpected(decoded.error());
  key.public_key = std::move(*decoded);
  key.revoked = key.public_key.empty();
  return key;
}

bool granularityAllows(std::string_view granularity, std::string_view local_part) {
  if (granularity.empty()) return true;
  const std::size_t star = granularity.find('*');
  if (star == std::string_view::npos) return granularity == local_part;
  const std::string_view prefix = granularity.substr(0, star);
  const std::string_view suffix = granularity.substr(star + 1);
  return local_part.size() >= prefix.size() + suffix.size() && local_part.starts_with(prefix) &&
         local_part.ends_with(suffix);
}

bool domainWithin(std::string_view domain, std::string_view parent) {
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  while (!parent.empty() && parent.back() == '.') parent.remove_suffix(1);
  const std::string d = toLower(domain);
  const std::string p = toLower(parent);
  if (p.empty()) return false;
  if (d == p) return true;
  return d.size() > p.size() && d.ends_with(p) && d[d.size() - p.size() - 1] == '.';
}

}  // namespace signet
