#include "message.h"

#include <algorithm>
#include <cctype>

namespace signet::qmail {
namespace {

using milter_client::Modification;

constexpr std::size_t kChunk = 64 * 1024;

std::unexpected<MessageError> spoolError(const SpoolError& e) {
  return std::unexpected(MessageError{MessageError::Kind::spool, e.message});
}

bool isWsp(char c) { return c == ' ' || c == '\t'; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "Name:" or "Name :" (RFC 5322 obsolete syntax allows white space before
// the colon); returns the position of the colon, or npos when `line` does not
// begin a field.
std::size_t fieldColon(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
  if (i == 0) return std::string_view::npos;
  std::size_t colon = i;
  while (colon < line.size() && isWsp(line[colon])) ++colon;
  return colon < line.size() && line[colon] == ':' ? colon : std::string_view::npos;
}

std::string_view stripEol(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// The first line's value: after the colon, without its line end.
std::string fieldValue(std::string_view line, std::size_t colon) {
  return std::string(stripEol(line.substr(colon + 1)));
}

// Replace-body chunks arrive with CRLF; the stored message uses `eol`. A CR
// at the end of one chunk may pair with an LF at the start of the next.
class LineEndWriter {
 public:
  LineEndWriter(SpoolFile& out, std::string_view eol) : out_(out), eol_(eol) {}
  std::expected<void, SpoolError> write(std::string_view data) {
    std::string converted;
    converted.reserve(data.size() + 1);
    for (char c : data) {
      if (pending_cr_) {
        pending_cr_ = false;
        if (c == '\n') {
          converted += eol_;
          continue;
        }
        converted += '\r';
      }
      if (c == '\r') pending_cr_ = true;
      else if (c == '\n') converted += eol_;
      else converted += c;
    }
    return out_.append(converted);
  }
  std::expected<void, SpoolError> finish() {
    if (pending_cr_) {
      pending_cr_ = false;
      return out_.append("\r");
    }
    return {};
  }

 private:
  SpoolFile& out_;
  std::string_view eol_;
  bool pending_cr_ = false;
};

struct WorkingField {
  std::string name;
  std::string value;
  std::string raw;  // empty once edited: written anew
};

void editHeaders(std::vector<WorkingField>& fields, const Modification& m, EditSummary& summary) {
  ++summary.headers;
  switch (m.kind) {
    case Modification::Kind::add_header:
      fields.push_back({m.name, m.value, {}});
      return;
    case Modification::Kind::insert_header: {
      const std::size_t at = std::min<std::size_t>(m.index, fields.size());
      fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(at), WorkingField{m.name, m.value, {}});
      return;
    }
    case Modification::Kind::change_header: {
      // The index counts fields of that name from 1 (0 is taken as 1, as
      // Sendmail does); a missing one is added when there is a value.
      std::uint32_t seen = 0;
      const std::uint32_t wanted = m.index == 0 ? 1 : m.index;
      for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (!equalsIgnoreCase(it->name, m.name) || ++seen != wanted) continue;
        if (m.value.empty()) {
          fields.erase(it);
        } else {
          it->value = m.value;
          it->raw.clear();
        }
        return;
      }
      if (!m.value.empty()) fields.push_back({m.name, m.value, {}});
      return;
    }
    default:
      --summary.headers;
      return;
  }
}

void editEnvelope(Envelope& envelope, const Modification& m, EditSummary& summary) {
  summary.envelope = true;
  if (m.kind == Modification::Kind::change_from) {
    envelope.sender = bareAddress(m.value);
  } else if (m.kind == Modification::Kind::add_rcpt) {
    envelope.recipients.push_back(bareAddress(m.value));
  } else if (m.kind == Modification::Kind::delete_rcpt) {
    const std::string gone = bareAddress(m.value);
    std::erase_if(envelope.recipients, [&](const std::string& r) { return equalsIgnoreCase(r, gone); });
  }
}

// Reads the start of the spool file up to the empty line that ends the
// header section, or max_header_bytes + 1 bytes, or the end: in pieces, so
// that a small message costs a small read, not a buffer of the whole limit.
std::expected<std::string, SpoolError> readHeaderSection(const SpoolFile& spool, std::size_t max_header_bytes) {
  std::string text;
  const std::size_t limit = max_header_bytes + 1;
  while (text.size() < limit) {
    const std::size_t scanned_from = text.size() < 2 ? 0 : text.size() - 2;
    auto piece = spool.readString(text.size(), std::min(kChunk, limit - text.size()));
    if (!piece) return std::unexpected(piece.error());
    if (piece->empty()) break;
    text += *piece;
    if (text.starts_with("\n") || text.starts_with("\r\n") || text.find("\n\n", scanned_from) != std::string::npos ||
        text.find("\n\r\n", scanned_from) != std::string::npos)
      break;
  }
  return text;
}

}  // namespace

std::expected<Message, MessageError> scanMessage(const SpoolFile& spool, std::size_t max_header_bytes) {
  auto head = readHeaderSection(spool, max_header_bytes);
  if (!head) return spoolError(head.error());
  const std::string& text = *head;
  Message message;
  std::size_t pos = 0;
  bool first_line = true;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos && text.size() > max_header_bytes)
      return std::unexpected(MessageError{MessageError::Kind::too_large,
                                          "the header section is larger than " +
                                              std::to_string(max_header_bytes) + " bytes"});
    const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
    const std::string_view line(text.data() + pos, end - pos);
    if (first_line) {
      message.eol = line.size() >= 2 && line.ends_with("\r\n") ? "\r\n" : "\n";
      first_line = false;
    }
    if (stripEol(line).empty() && nl != std::string::npos) {
      message.separator = std::string(line);
      pos = end;
      break;
    }
    if (isWsp(line.front()) && !message.fields.empty()) {
      HeaderField& f = message.fields.back();
      f.raw += line;
      f.value += '\n';
      f.value += stripEol(line);
      pos = end;
      continue;
    }
    const std::size_t colon = fieldColon(line);
    if (colon == std::string_view::npos) break;  // the body starts here, without a separator
    std::size_t name_end = colon;
    while (name_end > 0 && isWsp(line[name_end - 1])) --name_end;
    message.fields.push_back(
        {std::string(line), std::string(line.substr(0, name_end)), fieldValue(line, colon)});
    pos = end;
  }
  if (pos > max_header_bytes)
    return std::unexpected(MessageError{MessageError::Kind::too_large,
                                        "the header section is larger than " +
                                            std::to_string(max_header_bytes) + " bytes"});
  message.body_offset = pos;
  return message;
}

std::expected<void, MessageError> forEachBodyChunk(const SpoolFile& spool, const Message& message,
                                                   const std::function<bool(std::string_view)>& sink) {
  std::string in(kChunk, '\0');
  std::string out;
  out.reserve(2 * kChunk);
  std::uint64_t offset = message.body_offset;
  char previous = '\0';
  for (;;) {
    auto got = spool.readAt(offset, std::span<char>(in.data(), in.size()));
    if (!got) return spoolError(got.error());
    if (*got == 0) return {};
    out.clear();
    for (std::size_t i = 0; i < *got; ++i) {
      const char c = in[i];
      if (c == '\n' && previous != '\r') out += '\r';
      out += c;
      previous = c;
    }
    offset += *got;
    if (!sink(out)) return {};
  }
}

std::string renderField(std::string_view name, std::string_view value, bool leading_space, std::string_view eol) {
  std::string out(name);
  out += ':';
  if (!leading_space && !value.empty() && !isWsp(value.front())) out += ' ';
  // Line breaks inside the value (CRLF or LF) become `eol`; one that is not
  // followed by white space would end the field, so a tab folds it instead.
  std::size_t i = 0;
  while (i < value.size()) {
    const char c = value[i];
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '\n') {
      if (i + 1 == value.size()) break;  // a trailing line end is dropped
      out += eol;
      if (!isWsp(value[i + 1])) out += '\t';
    } else {
      out += c;
    }
    ++i;
  }
  out += eol;
  return out;
}

std::expected<SpoolFile, MessageError> applyModifications(const SpoolFile& spool, const Message& message,
                                                         std::span<const Modification> edits,
                                                         bool leading_space, Envelope& envelope,
                                                         const std::string& spool_dir, EditSummary& summary) {
  std::vector<WorkingField> fields;
  fields.reserve(message.fields.size() + edits.size());
  for (const HeaderField& f : message.fields) fields.push_back({f.name, f.value, f.raw});

  auto body = SpoolFile::create(spool_dir);
  if (!body) return spoolError(body.error());
  LineEndWriter body_writer(*body, message.eol);
  for (const Modification& m : edits) {
    switch (m.kind) {
      case Modification::Kind::replace_body:
        summary.body = true;
        if (auto w = body_writer.write(m.value); !w) return spoolError(w.error());
        break;
      case Modification::Kind::change_from:
      case Modification::Kind::add_rcpt:
      case Modification::Kind::delete_rcpt:
        editEnvelope(envelope, m, summary);
        break;
      case Modification::Kind::quarantine:
        summary.quarantined = true;
        summary.quarantine_reason = m.value;
        break;
      default:
        editHeaders(fields, m, summary);
    }
  }
  if (auto f = body_writer.finish(); !f) return spoolError(f.error());
  if (auto f = body->flush(); !f) return spoolError(f.error());

  auto out = SpoolFile::create(spool_dir);
  if (!out) return spoolError(out.error());
  for (const WorkingField& f : fields) {
    const std::string text = f.raw.empty() ? renderField(f.name, f.value, leading_space, message.eol) : f.raw;
    if (auto a = out->append(text); !a) return spoolError(a.error());
  }
  const std::uint64_t old_body = spool.size() - message.body_offset;
  const std::uint64_t new_body = summary.body ? body->size() : old_body;
  // A message whose header section ended without an empty line gets one
  // when its body is replaced (the new body must not be read as fields).
  std::string separator = message.separator;
  if (separator.empty() && summary.body && new_body > 0) separator = message.eol;
  if (auto a = out->append(separator); !a) return spoolError(a.error());
  auto copied = summary.body ? out->appendRange(*body, 0, body->size())
                             : out->appendRange(spool, message.body_offset, old_body);
  if (!copied) return spoolError(copied.error());
  if (auto f = out->flush(); !f) return spoolError(f.error());
  return std::move(*out);
}

}  // namespace signet::qmail
