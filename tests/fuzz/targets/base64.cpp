// Fuzz target: base64 as DKIM carries it in b=, bh= and p= (RFC 6376
// section 2.7, folding white space allowed). Invariants: encoding any bytes
// and decoding gives them back; a decoded value re-encodes to the input with
// its white space removed when the input was canonical.
#include "signet/base64.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "../fuzz_support.h"
#include "signet/tag_list.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::string_view text = fuzz::asText(data, size);
  const std::string encoded = encodeBase64(text);
  auto back = parseBase64(encoded);
  FUZZ_CHECK(back && *back == text);
  if (auto decoded = parseBase64(text)) {
    FUZZ_CHECK(decoded->size() <= text.size() * 3 / 4 + 3);
    auto again = parseBase64(encodeBase64(*decoded));
    FUZZ_CHECK(again && *again == *decoded);
  }
  return 0;
}
