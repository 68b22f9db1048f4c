// The milter wire format (milter_protocol.h): command encoding, the bounded
// packet reader and option negotiation. Replies and modifications are
// decoded in milter_replies.cpp.
#include "milter_protocol.h"

#include "field_reader.h"

namespace signet::milter_client {
namespace {

constexpr std::size_t kLengthBytes = 4;

void appendU32(std::string& out, std::uint32_t value) {
  out.push_back(static_cast<char>((value >> 24) & 0xFF));
  out.push_back(static_cast<char>((value >> 16) & 0xFF));
  out.push_back(static_cast<char>((value >> 8) & 0xFF));
  out.push_back(static_cast<char>(value & 0xFF));
}

void appendString(std::string& out, std::string_view s) {
  out.append(s);
  out.push_back('\0');
}

std::uint32_t readU32(const char* p) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(p[i]);
  return value;
}

bool isListSeparator(char c) {
  return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n';
}

// Splits a symbol list ("{auth_type} j, {daemon_name}") into names.
std::vector<std::string> splitMacroList(std::string_view list) {
  std::vector<std::string> names;
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && isListSeparator(list[i])) ++i;
    const std::size_t start = i;
    while (i < list.size() && !isListSeparator(list[i])) ++i;
    if (i > start) names.emplace_back(list.substr(start, i - start));
  }
  return names;
}

std::string hex(std::uint32_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (int shift = 28; shift >= 0; shift -= 4) {
    const unsigned nibble = (value >> shift) & 0xF;
    if (nibble == 0 && !started && shift != 0) continue;
    started = true;
    out.push_back(digits[nibble]);
  }
  return out;
}

}  // namespace

std::uint32_t protocolFlagsForVersion(std::uint32_t version) {
  using namespace protocol_flag;
  constexpr std::uint32_t v2 =
      no_connect | no_helo | no_mail | no_rcpt | no_body | no_headers | no_end_of_headers | no_reply_header;
  if (version < kOldestProtocolVersion) return 0;
  if (version == 2) return v2;
  if (version == 3) return v2 | no_unknown;
  if (version < 6) return v2 | no_unknown | no_data;
  return all;
}

std::string encodeCommand(char code, std::string_view data) {
  std::string out;
  out.reserve(kLengthBytes + 1 + data.size());
  appendU32(out, static_cast<std::uint32_t>(data.size() + 1));
  out.push_back(code);
  out.append(data);
  return out;
}

void PacketReader::append(std::span<const char> bytes) {
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > 64 * 1024 && offset_ > buffer_.size() / 2) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
}

std::expected<std::optional<Packet>, ProtocolError> PacketReader::next() {
  if (buffered() < kLengthBytes) return std::nullopt;
  const std::uint32_t length = readU32(buffer_.data() + offset_);
  if (length == 0) return std::unexpected(ProtocolError{"packet of length 0 (no reply code)"});
  if (length > limits_.max_packet)
    return std::unexpected(ProtocolError{"packet of " + std::to_string(length) +
                                         " bytes, over the limit of " + std::to_string(limits_.max_packet)});
  if (buffered() < kLengthBytes + length) return std::nullopt;
  Packet packet;
  packet.code = buffer_[offset_ + kLengthBytes];
  packet.data.assign(buffer_, offset_ + kLengthBytes + 1, length - 1);
  offset_ += kLengthBytes + length;
  return packet;
}

std::string encodeNegotiation(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol) {
  std::string out;
  appendU32(out, version);
  appendU32(out, actions);
  appendU32(out, protocol);
  return out;
}

std::expected<Negotiation, ProtocolError> decodeNegotiation(std::string_view data,
                                                            std::uint32_t offered_actions,
                                                            std::uint32_t offered_protocol,
                                                            const Limits& limits) {
  detail::FieldReader reader(data, "negotiation", limits.max_field);
  Negotiation out;
  auto version = reader.u32("version");
  if (!version) return std::unexpected(version.error());
  out.version = *version;
  if (out.version > kProtocolVersion || out.version < kOldestProtocolVersion)
    return std::unexpected(reader.error(
        "version", "filter speaks version " + std::to_string(out.version) + ", expected " +
                       std::to_string(kOldestProtocolVersion) + " to " + std::to_string(kProtocolVersion)));
  auto actions = reader.u32("actions");
  if (!actions) return std::unexpected(actions.error());
  out.actions = *actions;
  if ((out.actions & ~offered_actions) != 0)
    return std::unexpected(reader.error(
        "actions", "asks for " + hex(out.actions & ~offered_actions) + ", which was not offered"));
  // Filters before version 6 may stop after the actions (no step flags).
  if (reader.empty() && out.version < kProtocolVersion) return out;
  auto protocol = reader.u32("protocol");
  if (!protocol) return std::unexpected(protocol.error());
  out.protocol = *protocol;
  if ((out.protocol & ~offered_protocol) != 0)
    return std::unexpected(reader.error(
        "protocol", "asks for " + hex(out.protocol & ~offered_protocol) + ", which was not offered"));
  out.actions &= offered_actions;
  out.protocol &= offered_protocol;

  // Then, optionally, symbol lists: stage, NUL-terminated list, repeated.
  // An unknown stage is skipped, as Postfix does; a later list for the same
  // stage replaces an earlier one.
  while (!reader.empty()) {
    auto stage = reader.u32("macro stage");
    if (!stage) return std::unexpected(stage.error());
    auto list = reader.string("macro list");
    if (!list) return std::unexpected(list.error());
    if (*stage < kMacroStages) out.macros[*stage] = splitMacroList(*list);
  }
  return out;
}

std::string encodeConnect(std::string_view hostname, char family, std::uint16_t port,
                          std::string_view address) {
  std::string out;
  appendString(out, hostname);
  out.push_back(family);
  if (family == 'U') return out;  // SMFIA_UNKNOWN: no port, no address
  out.push_back(static_cast<char>((port >> 8) & 0xFF));
  out.push_back(static_cast<char>(port & 0xFF));
  appendString(out, address);
  return out;
}

std::string encodeMacros(char command_code, std::span<const Macro> macros) {
  std::string out(1, command_code);
  for (const Macro& m : macros) {
    appendString(out, m.name);
    appendString(out, m.value);
  }
  return out;
}

std::string encodeStrings(std::span<const std::string> strings) {
  std::string out;
  for (const std::string& s : strings) appendString(out, s);
  return out;
}

std::string encodeHeader(std::string_view name, std::string_view value) {
  std::string out;
  appendString(out, name);
  appendString(out, value);
  return out;
}

}  // namespace signet::milter_client
