// Fuzz target: the streaming body canonicalizers, one per build of this file
// (SIGNET_FUZZ_BODY_CANON): DKIM simple and relaxed (RFC 6376 section
// 3.4.3-3.4.4), DomainKeys simple and nofws (RFC 4870 section 3.4.2).
//
// Differential (conventions.md: splitting a body at any byte must give the
// same hash): the body fed whole, fed in the pieces between fuzzer-chosen
// cut points, and (when short) fed byte by byte must give the same output
// bytes and the same lengths. Input: the cut-point prefix of fuzz_support.h,
// then the body; for DKIM the prefix flag sets an l= limit (the payload's
// length modulo 7 times its first byte, so l= falls anywhere, 0 included),
// which must cap what reaches the sink exactly.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "../fuzz_support.h"
#include "signet/canonicalization.h"
#include "signet/domainkeys_canonicalization.h"

namespace {

using namespace signet;

class StringSink final : public BodySink {
 public:
  void write(std::span<const char> bytes) override { out.append(bytes.data(), bytes.size()); }
  std::string out;
};

struct Outcome {
  std::string bytes;
  std::uint64_t canonical = 0;
  std::uint64_t hashed = 0;
  bool operator==(const Outcome&) const = default;
};

std::unique_ptr<BodyCanonicalizer> make(BodySink& sink, std::optional<std::uint64_t> limit) {
#if SIGNET_FUZZ_BODY_CANON == 1
  return makeBodyCanonicalizer(Canonicalization::simple, sink, limit);
#elif SIGNET_FUZZ_BODY_CANON == 2
  return makeBodyCanonicalizer(Canonicalization::relaxed, sink, limit);
#elif SIGNET_FUZZ_BODY_CANON == 3
  (void)limit;
  return makeDomainKeysBodyCanonicalizer(DomainKeysCanonicalization::simple, sink);
#elif SIGNET_FUZZ_BODY_CANON == 4
  (void)limit;
  return makeDomainKeysBodyCanonicalizer(DomainKeysCanonicalization::nofws, sink);
#else
#error "SIGNET_FUZZ_BODY_CANON must be 1 (DKIM simple), 2 (DKIM relaxed), 3 (DK simple) or 4 (DK nofws)"
#endif
}

constexpr bool kHasLimit = SIGNET_FUZZ_BODY_CANON <= 2;

template <typename Feeder>
Outcome run(std::optional<std::uint64_t> limit, Feeder&& feeder) {
  StringSink sink;
  auto canon = make(sink, limit);
  feeder([&](std::span<const char> chunk) { canon->update(chunk); });
  canon->finish();
  return Outcome{std::move(sink.out), canon->canonicalLength(), canon->hashedLength()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::parseCuts(data, size);
  std::optional<std::uint64_t> limit;
  if (kHasLimit && in.flag && !in.payload.empty())
    limit = static_cast<unsigned char>(in.payload[0]) * (in.payload.size() % 7);
  const Outcome whole = run(limit, [&](auto feed) { feed(std::span<const char>(in.payload)); });
  const Outcome pieces = run(limit, [&](auto feed) { fuzz::feedPieces(in.payload, in.cuts, feed); });
  FUZZ_CHECK(pieces == whole);
  if (in.payload.size() <= 2048) {
    const Outcome bytes = run(limit, [&](auto feed) { fuzz::feedBytes(in.payload, feed); });
    FUZZ_CHECK(bytes == whole);
  }
  FUZZ_CHECK(whole.hashed == whole.bytes.size());
  FUZZ_CHECK(whole.hashed <= whole.canonical);
  if (limit) {
    FUZZ_CHECK(whole.hashed == std::min<std::uint64_t>(*limit, whole.canonical));
    // The capped output is a prefix of the uncapped one.
    const Outcome full = run(std::nullopt, [&](auto feed) { feed(std::span<const char>(in.payload)); });
    FUZZ_CHECK(full.canonical == whole.canonical);
    FUZZ_CHECK(full.bytes.compare(0, whole.bytes.size(), whole.bytes) == 0);
  } else {
    FUZZ_CHECK(whole.hashed == whole.canonical);
  }
  return 0;
}
