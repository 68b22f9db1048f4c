// The fields of an Authenticated Received Chain (RFC 8617): parsing the
// ARC-Seal (section 4.1.3) and ARC-Authentication-Results (section 4.1.1),
// and collecting a message's ARC sets into a chain whose structure section
// 5.2 checks: instances 1 to N with no gaps, at most 50, exactly one field of
// each of the three kinds per instance. The ARC-Message-Signature is parsed
// by parseArcMessageSignature() in signature.h.
//
// Errors: a ParseError naming the tag or the field and why; never the raw
// input. The chain collector reports the first structural fault with the
// instance it concerns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signet/error.h"
#include "signet/header.h"
#include "signet/signature.h"
#include "signet/tag_list.h"
#include "signet/verdict.h"

namespace signet {

inline constexpr std::string_view kArcSealHeader = "ARC-Seal";
inline constexpr std::string_view kArcMessageSignatureHeader = "ARC-Message-Signature";
inline constexpr std::string_view kArcAuthenticationResultsHeader = "ARC-Authentication-Results";

// cv=, the chain validation status a sealer recorded (section 4.1.3).
enum class ChainValidation { none, pass, fail };
std::string_view toString(ChainValidation cv);

struct ArcSeal {
  std::uint32_t instance = 0;                                 // i=
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;  // a=; never rsa-sha1
  std::string signature;                                      // b=, decoded
  ChainValidation cv = ChainValidation::none;
  std::string domain;                      // d=
  std::string selector;                    // s=
  std::optional<std::uint64_t> timestamp;  // t=
  std::size_t b_region_offset = 0;         // as in DkimSignature
  std::size_t b_region_length = 0;
};

std::expected<ArcSeal, ParseError> parseArcSeal(std::string_view header_value,
                                                const TagListLimits& limits = {});

struct ArcAuthenticationResults {
  std::uint32_t instance = 0;
  std::string authserv_id;
  std::string results;  // the resinfo list after the authserv-id, as written
};

// The value of an ARC-Authentication-Results field: "i=N; authserv-id; ...".
std::expected<ArcAuthenticationResults, ParseError> parseArcAuthenticationResults(
    std::string_view header_value);

// The authserv-id at the start of an Authentication-Results value (RFC 8601
// section 2.2): after CFWS, a token, or a quoted string with its quoted
// pairs undone. `rest` is what follows it in `value`. An unterminated quoted
// string gives what it holds, with `terminated` false.
struct AuthservId {
  std::string id;
  std::string_view rest;
  bool terminated = true;
};
AuthservId readAuthservId(std::string_view value);

// The value of an Authentication-Results field (RFC 8601 section 2.2), as
// far as a sealer needs it: the authserv-id and the resinfos, each as
// written ("none" dropped), unfolded only where they were split.
struct AuthenticationResultsValue {
  std::string authserv_id;
  std::string results;                 // everything after the authserv-id's ";"
  std::vector<std::string> resinfos;   // `results` split at the ";" outside quotes and comments
};
std::expected<AuthenticationResultsValue, ParseError> parseAuthenticationResultsValue(std::string_view value);

// A resinfo list split at the semicolons outside quoted strings and comments,
// each trimmed, empty ones dropped.
std::vector<std::string> splitResinfos(std::string_view text);

// Whether a header field name is one of the three ARC fields.
bool isArcHeader(std::string_view name);

struct ArcLimits {
  std::size_t max_fields = 3 * kMaxArcInstance;  // ARC fields per message
  std::size_t max_bytes = 256 * 1024;            // their raw bytes together
};

// Where one instance's fields stand in the header block.
struct ArcSetFields {
  std::size_t aar = 0;
  std::size_t ams = 0;
  std::size_t seal = 0;
};

struct ArcChain {
  bool present = false;              // the message has any ARC field
  std::vector<ArcSetFields> sets;    // sets[k] is instance k + 1; empty on a fault
  std::string fault;                 // the first structural fault, if any
  std::uint32_t fault_instance = 0;  // the instance it concerns; 0 when none can be named
  std::uint32_t highest = 0;         // the highest i= seen, valid or not

  bool valid() const { return present && fault.empty(); }
};

// What validating a chain found (RFC 8617 section 5.2; see arc_validator.h).
struct ArcResult {
  Verdict verdict = Verdict::none;  // pass, fail, none, or temperror
  std::uint32_t instances = 0;      // the highest i=
  std::uint32_t oldest_pass = 0;    // with pass: see step 5 above
  std::uint32_t failed_instance =
      0;                    // with fail or temperror: the instance at fault; 0 when none can be named
  std::string reason;       // for a person; empty on pass and none
  std::string domain;       // d= of the newest ARC-Seal, when it could be read
  std::string selector;     // its s=
  bool terminated = false;  // the newest seal arrived with cv=fail: add no set (section 5.1)

  // The cv= a sealer writes after this validation (section 5.1.2).
  ChainValidation sealStatus() const;
};

// Finds the ARC sets among `headers` (indexes into it).
ArcChain collectArcChain(std::span<const HeaderField> headers, const ArcLimits& limits = {});

}  // namespace signet
