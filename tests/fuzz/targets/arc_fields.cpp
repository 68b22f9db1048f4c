// Fuzz target: the ARC fields (RFC 8617 section 4.1): the same bytes as an
// ARC-Seal, an ARC-Message-Signature and an ARC-Authentication-Results
// value, and as an Authentication-Results value and a resinfo list.
// Invariants: an accepted field has an instance from 1 to 50; a seal's b=
// region lies inside the value, its cv= is one of the three and its a= is
// not rsa-sha1; an AMS names From and never ARC-Seal in h= and has no
// identity; an authserv-id is never empty; split resinfos are non-empty and
// trimmed, and splitting them again changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../fuzz_support.h"
#include "signet/arc.h"
#include "signet/header.h"
#include "signet/signature.h"

namespace {

bool trimmed(const std::string& s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  return !s.empty() && !space(s.front()) && !space(s.back());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::string_view value = fuzz::asText(data, size);

  if (auto seal = parseArcSeal(value)) {
    FUZZ_CHECK(seal->instance >= 1 && seal->instance <= kMaxArcInstance);
    FUZZ_CHECK(seal->b_region_offset <= value.size());
    FUZZ_CHECK(seal->b_region_length <= value.size() - seal->b_region_offset);
    FUZZ_CHECK(seal->algorithm != SigningAlgorithm::rsa_sha1);
    FUZZ_CHECK(seal->cv == ChainValidation::none || seal->cv == ChainValidation::pass ||
               seal->cv == ChainValidation::fail);
    FUZZ_CHECK(!seal->signature.empty() && !seal->domain.empty() && !seal->selector.empty());
  } else {
    FUZZ_CHECK(!seal.error().message().empty());
  }

  if (auto ams = parseArcMessageSignature(value)) {
    FUZZ_CHECK(ams->instance >= 1 && ams->instance <= kMaxArcInstance);
    FUZZ_CHECK(ams->identity.empty());
    FUZZ_CHECK(ams->algorithm != SigningAlgorithm::rsa_sha1);
    bool names_from = false;
    for (const auto& name : ams->signed_headers) {
      FUZZ_CHECK(!headerNameEquals(name, kArcSealHeader));
      names_from = names_from || headerNameEquals(name, "From");
    }
    FUZZ_CHECK(names_from);
  } else {
    FUZZ_CHECK(!ams.error().message().empty());
  }

  if (auto aar = parseArcAuthenticationResults(value)) {
    FUZZ_CHECK(aar->instance >= 1 && aar->instance <= kMaxArcInstance);
    FUZZ_CHECK(!aar->authserv_id.empty());
    FUZZ_CHECK(aar->results.size() <= value.size());
  }

  if (auto ar = parseAuthenticationResultsValue(value)) {
    FUZZ_CHECK(!ar->authserv_id.empty());
    for (const auto& resinfo : ar->resinfos) FUZZ_CHECK(trimmed(resinfo));
  }

  const auto resinfos = splitResinfos(value);
  for (const auto& resinfo : resinfos) {
    FUZZ_CHECK(trimmed(resinfo));
    FUZZ_CHECK(resinfo.size() <= value.size());
  }
  return 0;
}
