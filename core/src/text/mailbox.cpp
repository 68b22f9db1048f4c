#include "signet/mailbox.h"

#include "signet/header.h"

namespace signet {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The value with comments removed (each becomes one SP) and line breaks
// removed; quoted strings are kept as written.
std::expected<std::string, ParseError> withoutComments(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool quoted = false;
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '\\' && (quoted || depth > 0)) {
      if (i + 1 >= text.size()) return parseError("address", "backslash at the end");
      if (quoted) out.append(text.substr(i, 2));
      ++i;
      continue;
    }
    if (depth > 0) {
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) out.push_back(' ');
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
      continue;
    }
    if (c == ')') return parseError("address", "unbalanced parenthesis");
    out.push_back(c);
  }
  if (quoted) return parseError("address", "unterminated quoted string");
  if (depth > 0) return parseError("address", "unterminated comment");
  return out;
}

// Finds the first of `targets` outside quoted strings and angle brackets,
// starting at `from`; npos when there is none.
std::size_t findOutside(std::string_view text, std::string_view targets, std::size_t from = 0) {
  bool quoted = false;
  int angle = 0;
  for (std::size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    else if (c == '<') ++angle;
    else if (c == '>' && angle > 0) --angle;
    else if (angle == 0 && targets.find(c) != std::string_view::npos) return i;
  }
  return std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

// An addr-spec: white space outside quotes dropped (obsolete CFWS around
// "." and "@"), split at the last "@" outside quotes.
std::expected<Mailbox, ParseError> parseAddrSpec(std::string_view text) {
  std::string compact;
  bool quoted = false;
  std::size_t at = std::string::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      compact.push_back(c);
      if (c == '\\' && i + 1 < text.size()) compact.push_back(text[++i]);
      else if (c == '"') quoted = false;
      continue;
    }
    if (isSpace(c)) continue;
    if (c == '"') quoted = true;
    if (c == '@') at = compact.size();
    compact.push_back(c);
  }
  if (at == std::string::npos) return parseError("address", "no '@' in the address");
  Mailbox box{compact.substr(0, at), compact.substr(at + 1)};
  while (!box.domain.empty() && box.domain.back() == '.') box.domain.pop_back();
  if (box.local_part.empty()) return parseError("address", "empty local-part");
  if (box.domain.empty()) return parseError("address", "empty domain");
  if (box.domain.front() == '[') return parseError("address", "domain literal instead of a domain name");
  for (char c : box.domain)
    if (c == '"' || c == '@' || c == '<' || c == '>' || c == ',' || c == ';' || c == ':' || c == '\\')
      return parseError("address", "invalid character in the domain");
  return box;
}

}  // namespace

std::expected<Mailbox, ParseError> parseFirstMailbox(std::string_view header_value) {
  auto cleaned = withoutComments(header_value);
  if (!cleaned) return std::unexpected(cleaned.error());
  std::string_view text(*cleaned);
  // A group ("Team: a@b, c@d;") names its members after the colon.
  if (const std::size_t colon = findOutside(text, ":"); colon != std::string_view::npos)
    text = text.substr(colon + 1);
  // The first non-empty element of the list (obsolete syntax allows empty ones).
  std::size_t start = 0;
  std::string_view element;
  while (start <= text.size()) {
    std::size_t end = findOutside(text, ",;", start);
    if (end == std::string_view::npos) end = text.size();
    element = trim(text.substr(start, end - start));
    if (!element.empty() || end == text.size()) break;
    start = end + 1;
  }
  if (element.empty()) return parseError("address", "no address");
  // The angle-addr, if any: the first "<" outside quoted strings.
  std::size_t angle = std::string_view::npos;
  bool quoted = false;
  for (std::size_t i = 0; i < element.size(); ++i) {
    if (quoted) {
      if (element[i] == '\\') ++i;
      else if (element[i] == '"') quoted = false;
    } else if (element[i] == '"') {
      quoted = true;
    } else if (element[i] == '<') {
      angle = i;
      break;
    }
  }
  if (angle == std::string_view::npos) return parseAddrSpec(element);
  const std::size_t close = element.find('>', angle);
  if (close == std::string_view::npos) return parseError("address", "unterminated angle bracket");
  std::string_view inner = trim(element.substr(angle + 1, close - angle - 1));
  if (!inner.empty() && inner.front() == '@') {  // an obsolete route: "@relay,@relay:local@domain"
    const std::size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return parseError("address", "malformed route");
    inner = inner.substr(colon + 1);
  }
  return parseAddrSpec(inner);
}

bool domainWithin(std::string_view domain, std::string_view parent) {
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  while (!parent.empty() && parent.back() == '.') parent.remove_suffix(1);
  const std::string d = toLower(domain);
  const std::string p = toLower(parent);
  if (p.empty()) return false;
  if (d == p) return true;
  return d.size() > p.size() && d.ends_with(p) && d[d.size() - p.size() - 1] == '.';
}

}  // namespace signet
