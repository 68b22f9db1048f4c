// Fuzz target: splitting a message into header fields and body
// (MessageReader, RFC 5322 section 2.2), each field's name and value, and
// the From/Sender address (parseMailbox), as the verifiers read them.
//
// Differential: the message fed whole, fed in the pieces between
// fuzzer-chosen cut points, and (when short) fed byte by byte must give the
// same fields, the same body bytes, the same outcome. Input: the cut-point
// prefix of fuzz_support.h, then the message; the prefix flag selects small
// header limits (8 fields, 512 bytes) so crossing them is exercised.
#include "signet/header.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../fuzz_support.h"
#include "signet/address.h"

namespace {

using namespace signet;

struct Outcome {
  std::vector<std::string> fields;
  std::string body;
  bool end_of_headers = false;
  bool ok = true;
  std::string error;
  bool saw_lf = false;  // compared only when all went well: after an error, a
                        // whole feed has looked at bytes a split feed never sees
  bool operator==(const Outcome& o) const {
    return fields == o.fields && body == o.body && end_of_headers == o.end_of_headers && ok == o.ok &&
           error == o.error && (!ok || saw_lf == o.saw_lf);
  }
};

template <typename Feeder>
Outcome read(const HeaderLimits& limits, Feeder&& feeder) {
  Outcome out;
  MessageReader reader(
      [&](HeaderField&& f) { out.fields.push_back(std::move(f.raw)); }, [&] { out.end_of_headers = true; },
      [&](std::span<const char> body) { out.body.append(body.data(), body.size()); }, limits);
  feeder([&](std::span<const char> chunk) {
    if (!out.ok) return;
    if (auto r = reader.update(chunk); !r) {
      out.ok = false;
      out.error = r.error().message();
    }
  });
  if (out.ok) {
    if (auto r = reader.finish(); !r) {
      out.ok = false;
      out.error = r.error().message();
    }
  }
  out.saw_lf = reader.sawLfLineEnds();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::parseCuts(data, size);
  const HeaderLimits limits = in.flag ? HeaderLimits{8, 512} : HeaderLimits{};
  const Outcome whole = read(limits, [&](auto feed) { feed(std::span<const char>(in.payload)); });
  const Outcome pieces = read(limits, [&](auto feed) { fuzz::feedPieces(in.payload, in.cuts, feed); });
  FUZZ_CHECK(pieces == whole);
  if (in.payload.size() <= 1024) {
    const Outcome bytes = read(limits, [&](auto feed) { fuzz::feedBytes(in.payload, feed); });
    FUZZ_CHECK(bytes == whole);
  }
  FUZZ_CHECK(whole.fields.size() <= limits.max_fields);
  for (const auto& raw : whole.fields) {
    const HeaderField field{raw};
    // Open bug (docs/fuzzing.md): MessageReader::finish() accepts a last,
    // unterminated header line that starts with ':' (an empty field name),
    // which update() rejects.
    FUZZ_CHECK(!field.name().empty());
    FUZZ_CHECK(field.name().size() + field.value().size() < raw.size() + 1);
    if (headerNameEquals(field.name(), "From") || headerNameEquals(field.name(), "Sender")) {
      auto box = parseMailbox(field.value());
      if (box) FUZZ_CHECK(!box->domain.empty() && box->domain == toLower(box->domain));
    }
  }
  return 0;
}
