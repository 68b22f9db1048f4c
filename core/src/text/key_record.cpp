#include "signet/key_record.h"

#include "signet/base64.h"
#include "signet/header.h"

namespace signet {
bool KeyRecord::allowsHash(HashAlgorithm h) const {
  if (hash_algorithms.empty()) return true;
  for (const auto& name : hash_algorithms)
    if (name == toString(h)) return true;
  return false;
}

bool KeyRecord::allowsEmail() const {
  if (service_types.empty()) return true;
  for (const auto& s : service_types)
    if (s == "*" || s == "email") return true;
  return false;
}

std::expected<std::string, ParseError> parsePublicKeyTag(const TagList& tags) {
  auto p = tags.value("p");
  if (!p) return parseError("key record", "no p= tag");
  auto decoded = parseBase64(*p);
  if (!decoded) return parseError("key record p=", decoded.error().why);
  return std::move(*decoded);
}

std::expected<KeyRecord, ParseError> parseKeyRecord(std::string_view text, const TagListLimits& limits) {
  auto parsed = TagList::parse(text, limits);
  if (!parsed) return std::unexpected(parsed.error());
  const TagList& tags = *parsed;
  KeyRecord key;
  if (auto v = tags.value("v")) {
    if (tags.tags().front().name != "v") return parseError("key record", "v= is not the first tag");
    if (*v != "DKIM1") return parseError("key record", "not a DKIM1 record");
  }
  if (auto k = tags.value("k")) {
    const std::string type = toLower(stripWhitespace(*k));
    if (type == "rsa") key.key_type = KeyType::rsa;
    else if (type == "ed25519") key.key_type = KeyType::ed25519;
    else return parseError("key record", "unknown key type");
  }
  if (auto h = tags.value("h")) key.hash_algorithms = lowerColonList(*h);
  if (auto s = tags.value("s")) key.service_types = lowerColonList(*s);
  if (auto t = tags.value("t")) {
    for (const auto& flag : lowerColonList(*t)) {
      if (flag == "y") key.testing = true;
      if (flag == "s") key.strict_identity = true;
    }
  }
  if (auto n = tags.value("n")) key.notes = std::string(*n);
  auto decoded = parsePublicKeyTag(tags);
  if (!decoded) return std::unexpected(decoded.error());
  key.public_key = std::move(*decoded);
  key.revoked = key.public_key.empty();
  return key;
}

}  // namespace signet
