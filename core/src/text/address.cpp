#include "signet/address.h"

#include <vector>

#include "signet/header.h"

namespace signet {
namespace {

// Removes comments (nested, with quoted-pairs) and unfolds, keeping quoted
// strings intact.
std::expected<std::string, ParseError> stripComments(std::string_view text) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '\\' && i + 1 < text.size() && (quoted || depth > 0)) {
      if (depth == 0) {
        out.push_back(c);
        out.push_back(text[i + 1]);
      }
      ++i;
      continue;
    }
    if (depth > 0) {
      if (c == '(') ++depth;
      else if (c == ')') --depth;
      continue;
    }
    if (quoted) {
      if (c == '"') quoted = false;
      out.push_back(c);
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '(') {
      depth = 1;
      out.push_back(' ');
      continue;
    }
    out.push_back(c);
  }
  if (depth > 0) return parseError("address", "unterminated comment");
  if (quoted) return parseError("address", "unterminated quoted string");
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::expected<Mailbox, ParseError> splitAddrSpec(std::string_view spec) {
  spec = trim(spec);
  const std::size_t at = spec.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == spec.size())
    return parseError("address", "no local-part@domain address");
  std::string_view domain = trim(spec.substr(at + 1));
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  for (char c : domain)
    if (c == ' ' || c == '\t' || c == '<' || c == '>' || c == '"' || c == ',' || c == ';')
      return parseError("address", "invalid domain");
  if (domain.empty()) return parseError("address", "empty domain");
  return Mailbox{std::string(trim(spec.substr(0, at))), toLower(domain)};
}

}  // namespace

std::expected<Mailbox, ParseError> parseMailbox(std::string_view header_value, std::size_t max_bytes) {
  if (header_value.size() > max_bytes) return parseError("address", "field longer than the limit");
  auto cleaned = stripComments(header_value);
  if (!cleaned) return std::unexpected(cleaned.error());
  std::string_view text = *cleaned;
  // An angle-addr outside quoted strings wins; else the first addr-spec of
  // the (first) mailbox, which ends at a comma or semicolon outside quotes.
  bool quoted = false;
  std::size_t open = std::string_view::npos;
  std::size_t end = text.size();
  std::size_t group_colon = std::string_view::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && quoted) {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '<' && open == std::string_view::npos) open = i;
    if (c == '>' && open != std::string_view::npos) {
      return splitAddrSpec(text.substr(open + 1, i - open - 1));
    }
    if (c == ':' && open == std::string_view::npos && group_colon == std::string_view::npos &&
        text.find('@') > i) {
      group_colon = i;  // "group: a@b, c@d;"
      continue;
    }
    if ((c == ',' || c == ';') && open == std::string_view::npos) {
      end = i;
      break;
    }
  }
  if (open != std::string_view::npos) return parseError("address", "unterminated angle bracket");
  const std::size_t start = group_colon == std::string_view::npos ? 0 : group_colon + 1;
  return splitAddrSpec(text.substr(start, end - start));
}

}  // namespace signet
