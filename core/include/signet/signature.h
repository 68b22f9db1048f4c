// The DKIM-Signature header field (RFC 6376 section 3.5; RFC 8463 for
// ed25519-sha256; RFC 8301 on rsa-sha1): parsing with the validity checks of
// section 6.1.1, and building a new one for signing.
//
// Errors: a missing required tag, v= other than 1, an unknown algorithm or
// canonicalization, h= without From, i= outside d=, a malformed number, a
// tag list over its limits. Each is a ParseError; the verifier turns it into
// permerror.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/canonicalization.h"
#include "signet/error.h"
#include "signet/tag_list.h"

namespace signet {

enum class KeyType { rsa, ed25519 };
enum class HashAlgorithm { sha1, sha256 };
enum class SigningAlgorithm { rsa_sha1, rsa_sha256, ed25519_sha256 };

std::string_view toString(SigningAlgorithm a);
std::string_view toString(KeyType k);
std::string_view toString(HashAlgorithm h);
std::optional<SigningAlgorithm> parseSigningAlgorithm(std::string_view name);
KeyType keyTypeOf(SigningAlgorithm a);
// What a key of this type signs with unless told otherwise: rsa-sha256 or
// ed25519-sha256.
SigningAlgorithm defaultAlgorithm(KeyType k);
HashAlgorithm hashOf(SigningAlgorithm a);

inline constexpr std::string_view kDkimSignatureHeader = "DKIM-Signature";

struct DkimSignature {
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;
  std::string signature;       // b=, decoded
  std::string signature_text;  // b=, base64 without white space (for header.b)
  std::string body_hash;       // bh=, decoded
  CanonicalizationPair canonicalization{Canonicalization::simple, Canonicalization::simple};
  std::string domain;                        // d=, as written
  std::vector<std::string> signed_headers;   // h=, names as written
  std::string identity;                      // i=, "@" + d= when absent
  std::optional<std::uint64_t> body_length;  // l=
  std::string selector;                      // s=
  std::optional<std::uint64_t> timestamp;    // t=
  std::optional<std::uint64_t> expiration;   // x=
  std::string copied_headers;                // z=, kept as written; not used
  std::uint32_t instance = 0;                // ARC-Message-Signature i= (RFC 8617); 0 for DKIM

  // Where the b= value stands in the header field's value (after the colon):
  // the bytes from just after "b=" up to the ";" or the end.
  std::size_t b_region_offset = 0;
  std::size_t b_region_length = 0;

  std::string keyName() const { return selector + "._domainkey." + domain; }
};

// Parses the value of a DKIM-Signature header field (what follows the colon).
std::expected<DkimSignature, ParseError> parseDkimSignature(std::string_view header_value,
                                                            const TagListLimits& limits = {});

// Parses the value of an ARC-Message-Signature (RFC 8617 section 4.1.2): the
// DKIM-Signature's tags without v=, with i= the ARC instance (1 to 50), and
// neither rsa-sha1 nor ARC-Seal in h=. identity is left empty.
std::expected<DkimSignature, ParseError> parseArcMessageSignature(std::string_view header_value,
                                                                  const TagListLimits& limits = {});

// An ARC instance number, i= of every ARC field: 1 to 50 (RFC 8617 section
// 4.2.1), digits only.
std::expected<std::uint32_t, ParseError> parseArcInstance(std::string_view text);
inline constexpr std::uint32_t kMaxArcInstance = 50;

// Whether `identity`'s domain is `domain` or a subdomain of it.
bool identityWithinDomain(std::string_view identity, std::string_view domain);

// RFC 6376 section 3.5 d= (and RFC 4870's): a domain name of two or more
// labels of letters, digits and inner hyphens, at most 63 bytes each and 253
// in all. Bytes above 0x7F are allowed in labels (U-labels, RFC 8616), for
// callers that get there; the tag-list parser admits ASCII only.
bool isSigningDomain(std::string_view domain);
// RFC 6376 section 3.1 s=: one or more such labels; '_' is also allowed, as
// DNS allows it and published selectors use it.
bool isSelector(std::string_view selector);

// The header field with the b= value removed, as section 3.7 hashes it.
std::string withoutSignatureValue(std::string_view raw_field, std::size_t value_start,
                                  const DkimSignature& sig);
// The same for any signature field (the ARC-Seal too, RFC 8617 section
// 5.1.1): the b= value's region, as TagList reports it, counts from
// `value_start`, where the field's value begins.
std::string withoutSignatureValue(std::string_view raw_field, std::size_t value_start, std::size_t b_offset,
                                  std::size_t b_length);

// A number tag (t=, x=, l=): at most 12 digits, nothing else; the error
// names the tag.
std::expected<std::uint64_t, ParseError> parseTagNumber(std::string_view tag, std::string_view text);

}  // namespace signet
