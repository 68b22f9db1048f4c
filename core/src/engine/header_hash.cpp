#include "signet/header_hash.h"

namespace signet {

std::vector<const HeaderField*> selectSignedHeaders(std::span<const HeaderField> headers,
                                                    std::span<const std::string> names) {
  std::vector<bool> used(headers.size(), false);
  std::vector<const HeaderField*> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    const HeaderField* chosen = nullptr;
    for (std::size_t i = headers.size(); i-- > 0;) {
      if (!used[i] && headerNameEquals(headers[i].name(), name)) {
        used[i] = true;
        chosen = &headers[i];
        break;
      }
    }
    out.push_back(chosen);
  }
  return out;
}

std::string headerHashInput(std::span<const HeaderField* const> selected,
                            std::string_view signature_field_without_b, Canonicalization c) {
  std::string data;
  for (const HeaderField* field : selected)
    if (field) appendCanonicalHeader(data, field->raw, c);
  appendCanonicalHeader(data, signature_field_without_b, c);
  data.resize(data.size() - 2);  // the signature field goes in without its CRLF
  return data;
}

}  // namespace signet
