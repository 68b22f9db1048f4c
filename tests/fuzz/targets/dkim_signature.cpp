// Fuzz target: the DKIM-Signature header field value (RFC 6376 section 3.5,
// RFC 8463). Invariants for an accepted signature: the b= region lies inside
// the value, blanking it leaves the rest of the field intact, i= lies within
// d= (section 6.1.1), h= names From, the algorithm's name parses back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../fuzz_support.h"
#include "signet/header.h"
#include "signet/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::string_view value = fuzz::asText(data, size);
  auto sig = parseDkimSignature(value);
  if (!sig) {
    FUZZ_CHECK(!sig.error().message().empty());
    return 0;
  }
  FUZZ_CHECK(sig->b_region_offset <= value.size());
  FUZZ_CHECK(sig->b_region_length <= value.size() - sig->b_region_offset);
  const std::string field = std::string(kDkimSignatureHeader) + ":" + std::string(value);
  const std::size_t value_start = kDkimSignatureHeader.size() + 1;
  const std::string blanked = withoutSignatureValue(field, value_start, *sig);
  FUZZ_CHECK(blanked.size() == field.size() - sig->b_region_length);
  FUZZ_CHECK(field.compare(0, value_start + sig->b_region_offset, blanked, 0,
                           value_start + sig->b_region_offset) == 0);
  // d= is not checked for domain-name syntax (docs/fuzzing.md): with an '@'
  // in d= the default i= ("@" + d=) is not "within" d= by the last '@'.
  if (sig->domain.find('@') == std::string::npos)
    FUZZ_CHECK(identityWithinDomain(sig->identity, sig->domain));
  bool names_from = false;
  for (const auto& name : sig->signed_headers) names_from = names_from || headerNameEquals(name, "From");
  FUZZ_CHECK(names_from);
  FUZZ_CHECK(parseSigningAlgorithm(toString(sig->algorithm)) == sig->algorithm);
  (void)sig->keyName();
  return 0;
}
