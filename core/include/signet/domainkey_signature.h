// The DomainKey-Signature header field and the DomainKeys key record
// (RFC 4870 sections 3.3 and 3.2): parsing with the checks a verifier makes
// before it fetches a key.
//
// DomainKey-Signature tags: a= (rsa-sha1, the default and only algorithm),
// b= (required), c= (simple, the default, or nofws), d= (required), h=
// (optional colon list of header names), q= (dns, the default and only
// method), s= (required). Unknown tags are ignored, as RFC 4870 asks.
// Errors: a missing b=, d= or s=, an empty one, invalid base64 in b=, an
// unknown a=, c= or q=, an empty name in h=, a tag list over its limits.
//
// Key record tags: k= (rsa, the default), p= (required; empty means
// revoked), t=y (testing), g= (granularity), n= (notes). A record shared
// with DKIM may carry v=DKIM1 (first), h= and s=; they are honoured: a
// record whose h= leaves out sha1, or whose s= leaves out email, cannot
// serve DomainKeys. Errors: v= other than DKIM1, k= other than rsa, no p=,
// invalid base64 in p=, a tag list over its limits. An empty p= is not an
// error: the record says the key is revoked.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "signet/domainkeys_canonicalization.h"
#include "signet/error.h"
#include "signet/tag_list.h"

namespace signet {

inline constexpr std::string_view kDomainKeySignatureHeader = "DomainKey-Signature";
inline constexpr std::string_view kDomainKeyStatusHeader = "DomainKey-Status";

struct DomainKeySignature {
  std::string signature;       // b=, decoded
  std::string signature_text;  // b=, base64 without white space
  DomainKeysCanonicalization canonicalization = DomainKeysCanonicalization::simple;
  std::string domain;          // d=
  std::string selector;        // s=
  bool has_header_list = false;             // h= present
  std::vector<std::string> signed_headers;  // h= names as written

  std::string keyName() const { return selector + "._domainkey." + domain; }
};

// Parses the value of a DomainKey-Signature header field (after the colon).
std::expected<DomainKeySignature, ParseError> parseDomainKeySignature(std::string_view header_value,
                                                                      const TagListLimits& limits = {});

struct DomainKeysKeyRecord {
  std::string public_key;   // p=, decoded; empty when revoked
  std::string granularity;  // g=; empty means any local-part
  std::string notes;        // n=
  bool revoked = false;
  bool testing = false;     // t=y
};

std::expected<DomainKeysKeyRecord, ParseError> parseDomainKeysKeyRecord(std::string_view text,
                                                                        const TagListLimits& limits = {});

// Whether g= allows a sending address with this local-part: an empty g=
// allows any; otherwise it must equal the local-part exactly (RFC 4870
// section 3.2). One "*" in g= matches any run of characters, as RFC 4871
// later allowed and as Mail::DKIM accepts, so records shared with DKIM work.
bool granularityAllows(std::string_view granularity, std::string_view local_part);

// Whether `domain` is `parent` or a subdomain of it (ASCII case-insensitive,
// a final "." ignored): RFC 4870's rule for d= against the sending domain.
bool domainWithin(std::string_view domain, std::string_view parent);

}  // namespace signet
