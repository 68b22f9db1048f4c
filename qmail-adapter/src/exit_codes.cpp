#include "exit_codes.h"

#include <cctype>
#include <vector>

namespace signet::qmail {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// "5.7.1" (class.subject.detail) at the start of `text`; its length or 0.
std::size_t enhancedCodeLength(std::string_view text) {
  std::size_t i = 0;
  if (i >= text.size() || (text[i] != '2' && text[i] != '4' && text[i] != '5')) return 0;
  ++i;
  for (int part = 0; part < 2; ++part) {
    if (i >= text.size() || text[i] != '.') return 0;
    ++i;
    const std::size_t start = i;
    while (i < text.size() && isDigit(text[i]) && i - start < 3) ++i;
    if (i == start) return 0;
  }
  return i == text.size() || text[i] == ' ' ? i : 0;
}

}  // namespace

std::string qmailReplyText(std::string_view smtp_reply, std::string_view fallback) {
  std::string words;
  std::string enhanced;
  std::size_t pos = 0;
  while (pos < smtp_reply.size()) {
    std::size_t end = smtp_reply.find('\n', pos);
    if (end == std::string_view::npos) end = smtp_reply.size();
    std::string_view line = smtp_reply.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() >= 3 && isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2])) {
      line.remove_prefix(3);
      if (!line.empty() && (line.front() == ' ' || line.front() == '-')) line.remove_prefix(1);
    }
    if (const std::size_t n = enhancedCodeLength(line); n > 0) {
      if (enhanced.empty()) enhanced = std::string(line.substr(0, n));
      line.remove_prefix(n);
    }
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    if (!words.empty()) words += ' ';
    for (char c : line) words += (static_cast<unsigned char>(c) < 32 || c == 127) ? ' ' : c;
  }
  if (words.empty()) return std::string(fallback);
  if (!enhanced.empty()) words += " (#" + enhanced + ")";
  return words;
}

ExitStatus exitFor(const Decision& decision, const Settings& settings) {
  using Kind = Decision::Kind;
  const bool dk_letters = settings.mode == Mode::verify && settings.dkverify.has_value();
  switch (decision.kind) {
    case Kind::queue:
    case Kind::discard:
      return {exit_code::queued, {}};
    case Kind::reject:
      if (settings.custom_error)
        return {exit_code::custom_or_dk_defer,
                "D" + qmailReplyText(decision.reply, "message rejected by a mail filter (#5.7.1)")};
      return {dk_letters ? exit_code::dk_reject : exit_code::permanent_refusal, {}};
    case Kind::tempfail:
      if (settings.custom_error)
        return {exit_code::custom_or_dk_defer,
                "Z" + qmailReplyText(decision.reply, "message deferred by a mail filter (#4.7.1)")};
      return {dk_letters ? exit_code::custom_or_dk_defer : exit_code::temporary_refusal, {}};
    case Kind::filter_unreachable:
      return {exit_code::filter_unreachable, {}};
    case Kind::filter_timeout:
      return {exit_code::filter_timeout, {}};
    case Kind::filter_broken:
      return {exit_code::filter_broken, {}};
  }
  return {exit_code::filter_broken, {}};
}

}  // namespace signet::qmail
