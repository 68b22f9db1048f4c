// Fuzz target: collecting a message's ARC sets (RFC 8617 section 5.2 step
// 1 and 3's structure): the input is read as a message (MessageReader), and
// its header fields go to collectArcChain with the default limits and with
// small ones (6 fields, 600 bytes). Invariants: `present` exactly when a
// field has an ARC name; a valid chain has one set per instance 1..N, each
// naming fields of the right name whose i= is that instance, and respects
// the limits; a chain that is present and not valid says why.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../fuzz_support.h"
#include "signet/arc.h"
#include "signet/header.h"

namespace {

using namespace signet;

std::uint32_t instanceOf(const HeaderField& field) {
  if (headerNameEquals(field.name(), kArcAuthenticationResultsHeader)) {
    auto aar = parseArcAuthenticationResults(field.value());
    return aar ? aar->instance : 0;
  }
  auto tags = TagList::parse(field.value());
  if (!tags || !tags->value("i")) return 0;
  auto i = parseArcInstance(stripWhitespace(*tags->value("i")));
  return i ? *i : 0;
}

void check(const std::vector<HeaderField>& headers, const ArcLimits& limits) {
  const ArcChain chain = collectArcChain(headers, limits);
  bool any = false;
  std::size_t fields = 0;
  std::size_t bytes = 0;
  for (const auto& h : headers)
    if (isArcHeader(h.name())) {
      any = true;
      ++fields;
      bytes += h.raw.size();
    }
  FUZZ_CHECK(chain.present == any);
  if (!chain.present) {
    FUZZ_CHECK(chain.sets.empty());
    return;
  }
  if (!chain.valid()) {
    FUZZ_CHECK(!chain.fault.empty());
    FUZZ_CHECK(chain.fault_instance <= kMaxArcInstance);
    return;
  }
  FUZZ_CHECK(fields <= limits.max_fields && bytes <= limits.max_bytes);
  FUZZ_CHECK(!chain.sets.empty() && chain.sets.size() <= kMaxArcInstance);
  FUZZ_CHECK(chain.sets.size() == chain.highest);
  FUZZ_CHECK(fields == 3 * chain.sets.size());
  for (std::size_t k = 0; k < chain.sets.size(); ++k) {
    const ArcSetFields& set = chain.sets[k];
    FUZZ_CHECK(set.aar < headers.size() && set.ams < headers.size() && set.seal < headers.size());
    FUZZ_CHECK(headerNameEquals(headers[set.aar].name(), kArcAuthenticationResultsHeader));
    FUZZ_CHECK(headerNameEquals(headers[set.ams].name(), kArcMessageSignatureHeader));
    FUZZ_CHECK(headerNameEquals(headers[set.seal].name(), kArcSealHeader));
    for (std::size_t index : {set.aar, set.ams, set.seal}) FUZZ_CHECK(instanceOf(headers[index]) == k + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::asText(data, size);
  std::vector<HeaderField> headers;
  HeaderLimits limits;
  limits.max_fields = 400;
  MessageReader reader([&](HeaderField&& f) { headers.push_back(std::move(f)); }, [] {},
                       [](std::span<const char>) {}, limits);
  if (!reader.update(std::span<const char>(text.data(), text.size()))) return 0;
  if (!reader.finish()) return 0;
  check(headers, ArcLimits{});
  ArcLimits small;
  small.max_fields = 6;
  small.max_bytes = 600;
  check(headers, small);
  return 0;
}
