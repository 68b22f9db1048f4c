// Fuzz target: key records as published in DNS, for DKIM (RFC 6376 section
// 3.6.1, RFC 8463) and DomainKeys (RFC 4870 section 3.2). Every input is
// parsed both ways. Invariants: a revoked key has no key bytes and a key
// with bytes is not revoked; granularity and the key record's predicates
// answer without failing.
#include "signet/key_record.h"

#include <cstddef>
#include <cstdint>

#include "../fuzz_support.h"
#include "signet/domainkey_signature.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::string_view text = fuzz::asText(data, size);
  if (auto key = parseKeyRecord(text)) {
    FUZZ_CHECK(key->revoked == key->public_key.empty());
    (void)key->allowsHash(HashAlgorithm::sha1);
    (void)key->allowsHash(HashAlgorithm::sha256);
    (void)key->allowsEmail();
  } else {
    FUZZ_CHECK(!key.error().message().empty());
  }
  if (auto key = parseDomainKeysKeyRecord(text)) {
    FUZZ_CHECK(key->revoked == key->public_key.empty());
    (void)granularityAllows(key->granularity, "user");
    (void)granularityAllows(key->granularity, "");
    FUZZ_CHECK(granularityAllows("", key->granularity));
  } else {
    FUZZ_CHECK(!key.error().message().empty());
  }
  if (auto tags = TagList::parse(text)) {
    auto p = parsePublicKeyTag(*tags);
    (void)p;
  }
  return 0;
}
