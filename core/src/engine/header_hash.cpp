#include "signet/header_hash.h"

namespace signet {

std::vector<const HeaderField*> selectSignedHeaders(std::span<const HeaderField> headers,
                                                    std::span<const std::string> names) {
  // Each field's name found once, not once per name in h=.
  std::vector<std::string_view> field_names;
  field_names.reserve(headers.size());
  for (const auto& h : headers) field_names.push_back(h.name());
  std::vector<bool> used(headers.size(), false);
  std::vector<const HeaderField*> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    const HeaderField* chosen = nullptr;
    for (std::size_t i = headers.size(); i-- > 0;) {
      if (!used[i] && headerNameEquals(field_names[i], name)) {
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
  std::size_t size = signature_field_without_b.size() + 3;
  for (const HeaderField* field : selected)
    if (field) size += field->raw.size() + 3;
  std::string data;
  data.reserve(size);  // canonical forms are never longer than field + ":\r\n"
  for (const HeaderField* field : selected)
    if (field) appendCanonicalHeader(data, field->raw, c);
  appendCanonicalHeader(data, signature_field_without_b, c);
  data.resize(data.size() - 2);  // the signature field goes in without its CRLF
  return data;
}

}  // namespace signet
