// Decoding of the filter's replies and modifications (milter_protocol.h):
// one function per packet shape, each reading its fields with a
// FieldReader so that a short field, a missing NUL or trailing bytes is an
// error naming the reply and the field.
#include "field_reader.h"
#include "milter_protocol.h"

namespace signet::milter_client {
namespace {

using detail::FieldReader;
using Result = std::expected<Response, ProtocolError>;

// The name of a reply code in errors and logs; nullptr when unknown.
const char* replyName(char code) {
  switch (code) {
    case reply_code::add_rcpt:
      return "add_rcpt";
    case reply_code::delete_rcpt:
      return "delete_rcpt";
    case reply_code::add_rcpt_with_args:
      return "add_rcpt_with_args";
    case reply_code::shutdown:
      return "shutdown";
    case reply_code::accept:
      return "accept";
    case reply_code::replace_body:
      return "replace_body";
    case reply_code::continue_:
      return "continue";
    case reply_code::discard:
      return "discard";
    case reply_code::change_from:
      return "change_from";
    case reply_code::connection_fail:
      return "connection_fail";
    case reply_code::add_header:
      return "add_header";
    case reply_code::insert_header:
      return "insert_header";
    case reply_code::set_symbol_list:
      return "set_symbol_list";
    case reply_code::change_header:
      return "change_header";
    case reply_code::progress:
      return "progress";
    case reply_code::quarantine:
      return "quarantine";
    case reply_code::reject:
      return "reject";
    case reply_code::skip:
      return "skip";
    case reply_code::tempfail:
      return "tempfail";
    case reply_code::reply_with_code:
      return "reply_code";
    default:
      return nullptr;
  }
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 5322 section 3.6.8: printable US-ASCII except ':'.
bool isHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') return false;
  }
  return true;
}

Result finalReply(FieldReader& reader, Reply::Kind kind) {
  if (auto end = reader.end(); !end) return std::unexpected(end.error());
  Response out;
  out.kind = Response::Kind::reply;
  out.reply.kind = kind;
  return out;
}

Result replyWithCode(FieldReader& reader) {
  auto text = reader.string("text");
  if (!text) return std::unexpected(text.error());
  if (auto end = reader.end(); !end) return std::unexpected(end.error());
  const std::string& t = *text;
  const bool code_ok = t.size() >= 3 && (t[0] == '4' || t[0] == '5') && isDigit(t[1]) && isDigit(t[2]) &&
                       (t.size() == 3 || t[3] == ' ' || t[3] == '-');
  if (!code_ok) return std::unexpected(reader.error("text", "does not start with a 4xx or 5xx reply code"));
  Response out;
  out.kind = Response::Kind::reply;
  out.reply.kind = Reply::Kind::reply_code;
  out.reply.text = std::move(*text);
  return out;
}

Result modification(Modification m) {
  Response out;
  out.kind = Response::Kind::modification;
  out.modification = std::move(m);
  return out;
}

// add_header (no index), insert_header and change_header (with index).
Result headerEdit(FieldReader& reader, Modification::Kind kind, bool indexed) {
  Modification m;
  m.kind = kind;
  if (indexed) {
    auto index = reader.u32("index");
    if (!index) return std::unexpected(index.error());
    m.index = *index;
  }
  auto name = reader.string("name");
  if (!name) return std::unexpected(name.error());
  if (!isHeaderName(*name))
    return std::unexpected(reader.error("name", "not a header field name (empty, ':', space or control)"));
  auto value = reader.string("value");
  if (!value) return std::unexpected(value.error());
  if (auto end = reader.end(); !end) return std::unexpected(end.error());
  m.name = std::move(*name);
  m.value = std::move(*value);
  return modification(std::move(m));
}

// One string (recipient, quarantine reason), optionally ESMTP arguments.
Result addressEdit(FieldReader& reader, Modification::Kind kind, std::string_view field, bool with_args) {
  Modification m;
  m.kind = kind;
  auto value = reader.string(field);
  if (!value) return std::unexpected(value.error());
  m.value = std::move(*value);
  if (with_args && !reader.empty()) {
    auto args = reader.string("arguments");
    if (!args) return std::unexpected(args.error());
    m.args = std::move(*args);
  }
  if (auto end = reader.end(); !end) return std::unexpected(end.error());
  return modification(std::move(m));
}

// The action flag a modification needs; 0 for replies.
std::uint32_t requiredAction(char code) {
  switch (code) {
    case reply_code::add_header:
    case reply_code::insert_header:
      return action_flag::add_headers;
    case reply_code::change_header:
      return action_flag::change_headers;
    case reply_code::replace_body:
      return action_flag::change_body;
    case reply_code::change_from:
      return action_flag::change_from;
    case reply_code::add_rcpt:
      return action_flag::add_rcpt;
    case reply_code::add_rcpt_with_args:
      return action_flag::add_rcpt_with_args;
    case reply_code::delete_rcpt:
      return action_flag::delete_rcpt;
    case reply_code::quarantine:
      return action_flag::quarantine;
    default:
      return 0;
  }
}

}  // namespace

std::string_view toString(Reply::Kind kind) {
  switch (kind) {
    case Reply::Kind::continue_:
      return "continue";
    case Reply::Kind::accept:
      return "accept";
    case Reply::Kind::reject:
      return "reject";
    case Reply::Kind::tempfail:
      return "tempfail";
    case Reply::Kind::discard:
      return "discard";
    case Reply::Kind::skip:
      return "skip";
    case Reply::Kind::reply_code:
      return "reply_code";
    case Reply::Kind::connection_fail:
      return "connection_fail";
    case Reply::Kind::shutdown:
      return "shutdown";
  }
  return "unknown";
}

std::expected<Response, ProtocolError> decodeResponse(const Packet& packet, std::uint32_t negotiated_actions,
                                                      const Limits& limits) {
  const char* name = replyName(packet.code);
  if (name == nullptr) {
    static const char digits[] = "0123456789abcdef";
    const auto code = static_cast<unsigned char>(packet.code);
    return std::unexpected(
        ProtocolError{std::string("unknown reply code 0x") + digits[code >> 4] + digits[code & 0xF]});
  }
  if (const std::uint32_t needed = requiredAction(packet.code); (needed & negotiated_actions) != needed)
    return std::unexpected(
        ProtocolError{std::string(name) + ": not negotiated (the filter did not ask for it)"});
  if (packet.data.size() > limits.max_packet)
    return std::unexpected(ProtocolError{std::string(name) + ": over the packet limit"});

  FieldReader reader(packet.data, name, limits.max_field);
  using K = Modification::Kind;
  switch (packet.code) {
    case reply_code::continue_:
      return finalReply(reader, Reply::Kind::continue_);
    case reply_code::accept:
      return finalReply(reader, Reply::Kind::accept);
    case reply_code::reject:
      return finalReply(reader, Reply::Kind::reject);
    case reply_code::tempfail:
      return finalReply(reader, Reply::Kind::tempfail);
    case reply_code::discard:
      return finalReply(reader, Reply::Kind::discard);
    case reply_code::skip:
      return finalReply(reader, Reply::Kind::skip);
    case reply_code::connection_fail:
      return finalReply(reader, Reply::Kind::connection_fail);
    case reply_code::shutdown:
      return finalReply(reader, Reply::Kind::shutdown);
    case reply_code::reply_with_code:
      return replyWithCode(reader);
    case reply_code::progress: {
      if (auto end = reader.end(); !end) return std::unexpected(end.error());
      Response out;
      out.kind = Response::Kind::progress;
      return out;
    }
    case reply_code::add_header:
      return headerEdit(reader, K::add_header, false);
    case reply_code::insert_header:
      return headerEdit(reader, K::insert_header, true);
    case reply_code::change_header:
      return headerEdit(reader, K::change_header, true);
    case reply_code::replace_body: {
      Modification m;
      m.kind = K::replace_body;
      m.value = reader.rest();
      return modification(std::move(m));
    }
    case reply_code::change_from:
      return addressEdit(reader, K::change_from, "sender", true);
    case reply_code::add_rcpt:
      return addressEdit(reader, K::add_rcpt, "recipient", false);
    case reply_code::add_rcpt_with_args:
      return addressEdit(reader, K::add_rcpt, "recipient", true);
    case reply_code::delete_rcpt:
      return addressEdit(reader, K::delete_rcpt, "recipient", false);
    case reply_code::quarantine:
      return addressEdit(reader, K::quarantine, "reason", false);
    case reply_code::set_symbol_list:
      return std::unexpected(ProtocolError{"set_symbol_list: only valid in option negotiation"});
    default:
      break;
  }
  return std::unexpected(ProtocolError{std::string(name) + ": not a reply"});
}

}  // namespace signet::milter_client
