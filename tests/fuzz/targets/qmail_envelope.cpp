// Fuzz target: the qmail-queue envelope (qmail-queue(8): F sender NUL,
// T recipient NUL ..., NUL), under the default limits and small ones.
// Invariants for an accepted envelope: at least one recipient, every address
// within the limit and without NUL, the recipient count within the limit,
// and encodeEnvelope() gives back bytes that parse to the same envelope.
// The milter-side address forms round-trip for addresses without <>.
#include <cstddef>
#include <cstdint>

#include "../fuzz_support.h"
#include "envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet::qmail;
  const std::string_view bytes = signet::fuzz::asText(data, size);
  for (const EnvelopeLimits limits : {EnvelopeLimits{}, EnvelopeLimits{16, 3}}) {
    auto envelope = parseEnvelope(bytes, limits);
    if (!envelope) {
      FUZZ_CHECK(!envelope.error().message.empty());
      continue;
    }
    FUZZ_CHECK(!envelope->recipients.empty());
    FUZZ_CHECK(envelope->recipients.size() <= limits.max_recipients);
    FUZZ_CHECK(envelope->sender.size() <= limits.max_address);
    FUZZ_CHECK(envelope->sender.find('\0') == std::string::npos);
    for (const auto& r : envelope->recipients) {
      FUZZ_CHECK(r.size() <= limits.max_address);
      FUZZ_CHECK(r.find('\0') == std::string::npos);
    }
    const std::string encoded = encodeEnvelope(*envelope);
    auto again = parseEnvelope(encoded, limits);
    FUZZ_CHECK(again && again->sender == envelope->sender && again->recipients == envelope->recipients);
    if (envelope->sender.find_first_of("<>") == std::string::npos)
      FUZZ_CHECK(bareAddress(angleAddress(envelope->sender)) == envelope->sender);
  }
  return 0;
}
