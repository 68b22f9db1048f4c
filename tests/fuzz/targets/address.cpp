// Fuzz target: the mailbox in a From: or Sender: value (RFC 5322 section
// 3.4). Invariants for an accepted address: a non-empty domain, already
// lower-case, and the limit honoured.
#include "signet/address.h"

#include <cstddef>
#include <cstdint>

#include "../fuzz_support.h"
#include "signet/header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::string_view value = fuzz::asText(data, size);
  for (const std::size_t limit : {std::size_t(16384), std::size_t(64)}) {
    auto box = parseMailbox(value, limit);
    if (!box) {
      FUZZ_CHECK(!box.error().message().empty());
      continue;
    }
    FUZZ_CHECK(value.size() <= limit);
    FUZZ_CHECK(!box->domain.empty());
    FUZZ_CHECK(box->domain == toLower(box->domain));
    FUZZ_CHECK(box->address().size() == box->local_part.size() + 1 + box->domain.size());
  }
  return 0;
}
