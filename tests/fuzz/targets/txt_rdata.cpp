// Fuzz target: TXT rdata as libunbound hands it over (RFC 1035 section
// 3.3.14: length-prefixed character-strings), joined (RFC 6376 section
// 3.6.2.2) and then read as a DKIM and a DomainKeys key record, as the
// resolver does. Invariant: the joined text is the rdata minus one length
// octet per character-string, within the limit.
#include <cstddef>
#include <cstdint>
#include <span>

#include "../fuzz_support.h"
#include "signet/domainkey_signature.h"
#include "signet/key_record.h"
#include "signet/unbound_resolver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::span<const unsigned char> rdata(data, size);
  for (const std::size_t limit : {std::size_t(4096), std::size_t(100)}) {
    auto text = parseTxtRdata(rdata, limit);
    if (!text) continue;
    FUZZ_CHECK(text->size() < size);
    FUZZ_CHECK(text->size() <= limit);
    (void)parseKeyRecord(*text);
    (void)parseDomainKeysKeyRecord(*text);
  }
  return 0;
}
