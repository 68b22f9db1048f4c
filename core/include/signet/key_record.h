// The DKIM key record published in DNS (RFC 6376 section 3.6.1; k=ed25519
// from RFC 8463).
//
// Errors: v= other than DKIM1 (or not first), unknown k=, malformed p=,
// a tag list over its limits. An empty p= is not an error: the key is
// revoked, and the record says so.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "signet/error.h"
#include "signet/signature.h"
#include "signet/tag_list.h"

namespace signet {

struct KeyRecord {
  KeyType key_type = KeyType::rsa;
  std::vector<std::string> hash_algorithms;  // h=; empty means any
  std::vector<std::string> service_types;    // s=; empty means "*"
  std::string public_key;                    // p=, decoded; empty when revoked
  std::string notes;                         // n=
  bool revoked = false;
  bool testing = false;          // t=y
  bool strict_identity = false;  // t=s: i= must equal d=, not a subdomain

  bool allowsHash(HashAlgorithm h) const;
  bool allowsEmail() const;
};

// The p= tag of a key record (DKIM or DomainKeys), decoded; empty when the
// key is revoked. Errors: no p= tag, invalid base64.
std::expected<std::string, ParseError> parsePublicKeyTag(const TagList& tags);

std::expected<KeyRecord, ParseError> parseKeyRecord(std::string_view text,
                                                    const TagListLimits& limits = {});

}  // namespace signet
