// Fuzz target: header canonicalization, DKIM simple and relaxed (RFC 6376
// section 3.4.1-3.4.2) and DomainKeys simple and nofws (RFC 4870 section
// 3.4.2), with DKIM's header selection and hash input (section 5.4.2).
//
// Input: the cut-point prefix of fuzz_support.h, then a message. The header
// fields are read from the message fed whole and fed in pieces; the
// canonical header hash input of both must be the same bytes, for every
// canonicalization. The payload is also taken as one raw field. Relaxed and
// nofws must be idempotent (the canonical form of a canonical field is
// itself) and simple must be the field unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../fuzz_support.h"
#include "signet/canonicalization.h"
#include "signet/domainkeys_canonicalization.h"
#include "signet/header.h"
#include "signet/header_hash.h"

namespace {

using namespace signet;

template <typename Feeder>
std::vector<HeaderField> fieldsOf(Feeder&& feeder) {
  std::vector<HeaderField> fields;
  MessageReader reader([&](HeaderField&& f) { fields.push_back(std::move(f)); }, [] {},
                       [](std::span<const char>) {});
  bool ok = true;
  feeder([&](std::span<const char> chunk) { ok = ok && reader.update(chunk).has_value(); });
  if (ok) (void)reader.finish();
  return fields;
}

// The bytes every canonicalization gives for the fields, in order, plus the
// DKIM hash input for h= listing every field name once and one absent name.
std::string canonicalBytes(const std::vector<HeaderField>& fields) {
  std::string out;
  for (const auto c : {Canonicalization::simple, Canonicalization::relaxed}) {
    for (const auto& f : fields) appendCanonicalHeader(out, f.raw, c);
    std::vector<std::string> names;
    for (const auto& f : fields) names.emplace_back(f.name());
    names.emplace_back("X-Not-There");
    const auto selected = selectSignedHeaders(fields, names);
    FUZZ_CHECK(selected.size() == names.size());
    FUZZ_CHECK(selected.back() == nullptr || fields.size() > 0);
    out += headerHashInput(selected, "DKIM-Signature: b=", c);
  }
  for (const auto c : {DomainKeysCanonicalization::simple, DomainKeysCanonicalization::nofws})
    for (const auto& f : fields) appendDomainKeysHeader(out, f.raw, c);
  return out;
}

void checkOneField(std::string_view raw) {
  std::string simple;
  appendCanonicalHeader(simple, raw, Canonicalization::simple);
  FUZZ_CHECK(simple == std::string(raw) + "\r\n");

  std::string relaxed;
  appendCanonicalHeader(relaxed, raw, Canonicalization::relaxed);
  FUZZ_CHECK(relaxed.size() >= 3 && relaxed.ends_with("\r\n"));
  std::string again;
  appendCanonicalHeader(again, std::string_view(relaxed).substr(0, relaxed.size() - 2),
                        Canonicalization::relaxed);
  FUZZ_CHECK(again == relaxed);

  std::string nofws;
  appendDomainKeysHeader(nofws, raw, DomainKeysCanonicalization::nofws);
  std::string nofws_again;
  appendDomainKeysHeader(nofws_again, std::string_view(nofws).substr(0, nofws.size() - 2),
                         DomainKeysCanonicalization::nofws);
  FUZZ_CHECK(nofws_again == nofws);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::parseCuts(data, size);
  const auto whole = fieldsOf([&](auto feed) { feed(std::span<const char>(in.payload)); });
  const auto pieces = fieldsOf([&](auto feed) { fuzz::feedPieces(in.payload, in.cuts, feed); });
  FUZZ_CHECK(canonicalBytes(pieces) == canonicalBytes(whole));
  checkOneField(in.payload);
  return 0;
}
