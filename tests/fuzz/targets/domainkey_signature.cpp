// Fuzz target: the DomainKey-Signature header field value (RFC 4870
// section 3.3). Invariants for an accepted signature: b=, d= and s= present
// and non-empty; c= round-trips through its name.
#include "signet/domainkey_signature.h"

#include <cstddef>
#include <cstdint>

#include "../fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  auto sig = parseDomainKeySignature(fuzz::asText(data, size));
  if (!sig) {
    FUZZ_CHECK(!sig.error().message().empty());
    return 0;
  }
  FUZZ_CHECK(!sig->signature.empty());
  FUZZ_CHECK(!sig->domain.empty());
  FUZZ_CHECK(!sig->selector.empty());
  FUZZ_CHECK(sig->has_header_list || sig->signed_headers.empty());
  for (const auto& name : sig->signed_headers) FUZZ_CHECK(!name.empty());
  auto c = parseDomainKeysCanonicalization(toString(sig->canonicalization));
  FUZZ_CHECK(c && *c == sig->canonicalization);
  (void)sig->keyName();
  return 0;
}
