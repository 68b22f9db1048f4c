#include "engine/signing_support.h"

namespace signet {

std::vector<std::string> headerNamesToSign(std::span<const std::string> named,
                                           std::span<const std::string_view> default_names,
                                           std::span<const std::string> oversign,
                                           std::span<const HeaderField> headers) {
  std::vector<std::string_view> present_names;  // each field's name, found once
  present_names.reserve(headers.size());
  for (const auto& h : headers) present_names.push_back(h.name());
  auto count = [&](std::string_view name) {
    std::size_t n = 0;
    for (std::string_view present : present_names)
      if (headerNameEquals(present, name)) ++n;
    return n;
  };
  std::vector<std::string> names;
  if (!named.empty()) {
    names.assign(named.begin(), named.end());
  } else {
    for (std::string_view name : default_names)
      for (std::size_t i = count(name); i > 0; --i) names.emplace_back(name);
  }
  // RFC 6376 section 5.4: From must always be signed, even when absent.
  bool has_from = false;
  for (const auto& n : names)
    if (headerNameEquals(n, "From")) has_from = true;
  if (!has_from) names.emplace_back("From");
  for (const auto& name : oversign) {
    std::size_t listed = 0;
    for (const auto& n : names)
      if (headerNameEquals(n, name)) ++listed;
    const std::size_t present = count(name);
    if (present == 0 && listed == 0) continue;
    // One entry more than there are instances, so none can be added.
    for (std::size_t i = listed; i <= present; ++i) names.push_back(name);
  }
  return names;
}

std::string withSignatureValue(std::string_view unsigned_field, std::string_view b64) {
  std::string field(unsigned_field);
  std::size_t line_length = field.size() - field.rfind('\n');
  for (std::size_t i = 0; i < b64.size();) {
    if (line_length >= kLineWidth) {
      field += "\r\n\t";
      line_length = 1;
    }
    const std::size_t take = std::min(b64.size() - i, kLineWidth - line_length);
    field.append(b64.substr(i, take));
    line_length += take;
    i += take;
  }
  return field;
}

std::string withLineEnds(std::string_view field, std::string_view line_end) {
  if (line_end == "\r\n") return std::string(field);
  std::string converted;
  for (std::size_t p = 0; p < field.size(); ++p) {
    if (field[p] == '\r' && p + 1 < field.size() && field[p + 1] == '\n') {
      converted.append(line_end);
      ++p;
    } else {
      converted.push_back(field[p]);
    }
  }
  return converted;
}

}  // namespace signet
