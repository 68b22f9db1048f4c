#include "signet/tag_list.h"

#include <algorithm>
#include <cctype>

namespace signet {
namespace {

bool isFws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// tag-name = ALPHA *ALNUMPUNC, ALNUMPUNC = ALPHA / DIGIT / "_"
bool isTagName(std::string_view name) {
  if (name.empty() || !isAlpha(name[0])) return false;
  for (char c : name)
    if (!isAlpha(c) && !isDigit(c) && c != '_') return false;
  return true;
}

// tval = 1*VALCHAR, VALCHAR = %x21-3A / %x3C-7E, separated by FWS.
bool isTagValue(std::string_view value) {
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (isFws(c)) continue;
    if (u < 0x21 || u == 0x3b || u > 0x7e) return false;
  }
  return true;
}

std::pair<std::size_t, std::size_t> trim(std::string_view text, std::size_t begin, std::size_t end) {
  while (begin < end && isFws(text[begin])) ++begin;
  while (end > begin && isFws(text[end - 1])) --end;
  return {begin, end};
}

}  // namespace

std::expected<TagList, ParseError> TagList::parse(std::string_view text, const TagListLimits& limits) {
  if (text.size() > limits.max_bytes) return parseError("tag list", "longer than the limit");
  TagList list;
  // One Tag per ';'-separated element (at most the limit): no regrowing.
  list.tags_.reserve(std::min<std::size_t>(limits.max_tags,
                                           static_cast<std::size_t>(std::count(text.begin(), text.end(), ';')) + 1));
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    auto [begin, stop] = trim(text, pos, end);
    if (begin == stop) {
      // An empty element is allowed only after the list's one trailing ";"
      // (RFC 6376 section 3.2, errata 5070): "a=1;" but not "a=1;;".
      if (end != text.size()) return parseError("tag list", "empty tag");
      break;
    }
    const std::size_t eq = text.find('=', begin);
    if (eq == std::string_view::npos || eq >= stop) return parseError("tag list", "tag without '='");
    auto [name_begin, name_end] = trim(text, begin, eq);
    std::string_view name = text.substr(name_begin, name_end - name_begin);
    if (!isTagName(name)) return parseError("tag list", "invalid tag name");
    auto [value_begin, value_end] = trim(text, eq + 1, end);
    std::string_view value = text.substr(value_begin, value_end - value_begin);
    if (!isTagValue(value)) return parseError("tag " + std::string(name), "invalid character in value");
    if (list.find(name) != nullptr) return parseError("tag " + std::string(name), "appears twice");
    if (list.tags_.size() >= limits.max_tags) return parseError("tag list", "more tags than the limit");
    list.tags_.push_back(Tag{std::string(name), std::string(value), eq + 1, end - (eq + 1)});
    if (end == text.size()) break;
    pos = end + 1;
  }
  return list;
}

const Tag* TagList::find(std::string_view name) const {
  for (const auto& tag : tags_)
    if (tag.name == name) return &tag;
  return nullptr;
}

std::optional<std::string_view> TagList::value(std::string_view name) const {
  const Tag* tag = find(name);
  if (tag == nullptr) return std::nullopt;
  return std::string_view(tag->value);
}

std::string stripWhitespace(std::string_view value) {
  std::string out(value.size(), '\0');
  auto end = std::remove_copy_if(value.begin(), value.end(), out.begin(), isFws);
  out.erase(end, out.end());
  return out;
}

std::vector<std::string> splitColonList(std::string_view value) {
  std::vector<std::string> out;
  const std::string compact = stripWhitespace(value);
  std::size_t pos = 0;
  while (pos <= compact.size()) {
    std::size_t colon = compact.find(':', pos);
    if (colon == std::string::npos) colon = compact.size();
    out.push_back(compact.substr(pos, colon - pos));
    pos = colon + 1;
  }
  return out;
}

std::vector<std::string> lowerColonList(std::string_view value) {
  std::vector<std::string> out;
  for (auto& element : splitColonList(value)) {
    if (element.empty()) continue;
    for (char& c : element)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(std::move(element));
  }
  return out;
}

}  // namespace signet
