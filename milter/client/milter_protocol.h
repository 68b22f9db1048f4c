// The milter protocol as the MTA side speaks it (libmilter's wire format,
// version 6, as Postfix and Sendmail speak it), without any I/O: command
// encoding, the bounded packet reader, and the decoding of every reply and
// modification a filter may send. MilterConnection (milter_client.h) puts
// these on a socket; the fuzz target and the load tool use them directly.
//
// Wire format: every packet is a 4-byte big-endian length, then that many
// bytes: a one-letter command or reply code and its data. Strings are
// NUL-terminated; integers are 32-bit (16-bit for the CONNECT port) in
// network byte order.
//
// Errors: decoding never throws. A packet longer than Limits::max_packet, a
// zero length, a field that runs past the packet, a missing NUL, bytes after
// the last field, or an unknown reply code is a ProtocolError whose message
// is safe to log (it names the reply and the field, never echoes the data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace signet::milter_client {

// Command codes (MTA to filter).
namespace command {
inline constexpr char abort = 'A';
inline constexpr char body = 'B';
inline constexpr char connect = 'C';
inline constexpr char macro = 'D';
inline constexpr char end_of_message = 'E';
inline constexpr char helo = 'H';
inline constexpr char quit_new_connection = 'K';
inline constexpr char header = 'L';
inline constexpr char mail = 'M';
inline constexpr char end_of_headers = 'N';
inline constexpr char option_negotiation = 'O';
inline constexpr char quit = 'Q';
inline constexpr char rcpt = 'R';
inline constexpr char data = 'T';
inline constexpr char unknown = 'U';
}  // namespace command

// Reply codes (filter to MTA).
namespace reply_code {
inline constexpr char add_rcpt = '+';
inline constexpr char delete_rcpt = '-';
inline constexpr char add_rcpt_with_args = '2';
inline constexpr char shutdown = '4';
inline constexpr char accept = 'a';
inline constexpr char replace_body = 'b';
inline constexpr char continue_ = 'c';
inline constexpr char discard = 'd';
inline constexpr char change_from = 'e';
inline constexpr char connection_fail = 'f';
inline constexpr char add_header = 'h';
inline constexpr char insert_header = 'i';
inline constexpr char set_symbol_list = 'l';
inline constexpr char change_header = 'm';
inline constexpr char progress = 'p';
inline constexpr char quarantine = 'q';
inline constexpr char reject = 'r';
inline constexpr char skip = 's';
inline constexpr char tempfail = 't';
inline constexpr char reply_with_code = 'y';
}  // namespace reply_code

// Actions a filter may take (SMFIF_*), offered by the MTA in negotiation.
namespace action_flag {
inline constexpr std::uint32_t add_headers = 0x001;
inline constexpr std::uint32_t change_body = 0x002;
inline constexpr std::uint32_t add_rcpt = 0x004;
inline constexpr std::uint32_t delete_rcpt = 0x008;
inline constexpr std::uint32_t change_headers = 0x010;
inline constexpr std::uint32_t quarantine = 0x020;
inline constexpr std::uint32_t change_from = 0x040;
inline constexpr std::uint32_t add_rcpt_with_args = 0x080;
inline constexpr std::uint32_t set_symbol_list = 0x100;
inline constexpr std::uint32_t all = 0x1FF;
}  // namespace action_flag

// Protocol flags (SMFIP_*): steps the filter does not want, replies it will
// not send, and header-value leading space.
namespace protocol_flag {
inline constexpr std::uint32_t no_connect = 0x1;
inline constexpr std::uint32_t no_helo = 0x2;
inline constexpr std::uint32_t no_mail = 0x4;
inline constexpr std::uint32_t no_rcpt = 0x8;
inline constexpr std::uint32_t no_body = 0x10;
inline constexpr std::uint32_t no_headers = 0x20;
inline constexpr std::uint32_t no_end_of_headers = 0x40;
inline constexpr std::uint32_t no_reply_header = 0x80;
inline constexpr std::uint32_t no_unknown = 0x100;
inline constexpr std::uint32_t no_data = 0x200;
inline constexpr std::uint32_t skip = 0x400;
inline constexpr std::uint32_t rcpt_rejected = 0x800;
inline constexpr std::uint32_t no_reply_connect = 0x1000;
inline constexpr std::uint32_t no_reply_helo = 0x2000;
inline constexpr std::uint32_t no_reply_mail = 0x4000;
inline constexpr std::uint32_t no_reply_rcpt = 0x8000;
inline constexpr std::uint32_t no_reply_data = 0x10000;
inline constexpr std::uint32_t no_reply_unknown = 0x20000;
inline constexpr std::uint32_t no_reply_end_of_headers = 0x40000;
inline constexpr std::uint32_t no_reply_body = 0x80000;
inline constexpr std::uint32_t header_leading_space = 0x100000;
inline constexpr std::uint32_t all = 0x1FFFFF;
// The steps the MTA may leave out (SMFIP_NOSEND_MASK) and the replies a
// filter may promise not to send (SMFIP_NOREPLY_MASK).
inline constexpr std::uint32_t steps = no_connect | no_helo | no_mail | no_rcpt | no_body | no_headers |
                                       no_end_of_headers | no_unknown | no_data;
inline constexpr std::uint32_t no_replies = no_reply_header | no_reply_connect | no_reply_helo | no_reply_mail |
                                            no_reply_rcpt | no_reply_data | no_reply_unknown |
                                            no_reply_end_of_headers | no_reply_body;
}  // namespace protocol_flag

// The protocol flags a protocol version knows (as Postfix's milter8 tables):
// version 2 has the original steps (and no_reply_header), 3 adds UNKNOWN,
// 4 and 5 add DATA, 6 adds skip, rejected recipients, the no-reply flags and
// header leading space. A step whose no_* flag a version lacks does not exist
// in that version and is never sent to such a filter.
std::uint32_t protocolFlagsForVersion(std::uint32_t version);

// Where macros are sent (SMFIM_*); the filter may ask for a list per stage.
enum class MacroStage : std::uint32_t {
  connect = 0,
  helo = 1,
  mail = 2,
  rcpt = 3,
  data = 4,
  end_of_message = 5,
  end_of_headers = 6,
};
inline constexpr std::size_t kMacroStages = 7;

inline constexpr std::uint32_t kProtocolVersion = 6;
inline constexpr std::uint32_t kOldestProtocolVersion = 2;
inline constexpr std::size_t kMaxBodyChunk = 65535;  // MILTER_CHUNK_SIZE

// Every size a filter controls, with the defaults the client uses.
struct Limits {
  std::size_t max_packet = 2 * 1024 * 1024;  // one reply packet (a body replacement chunk is the largest)
  std::size_t max_field = 64 * 1024;         // one string in a reply (header name/value, address, text)
  std::size_t max_modifications = 10000;     // modifications before one final reply
  std::size_t max_replaced_body = std::size_t(1) << 31;  // all replace-body chunks of one message
};

struct ProtocolError {
  std::string message;
};

// One packet as read off the wire: the code letter and the data after it.
struct Packet {
  char code = 0;
  std::string data;
};

// Encodes one command packet (length, code, data).
std::string encodeCommand(char code, std::string_view data = {});

// Accumulates bytes from the socket and yields whole packets, checking the
// length against the limit before the data arrives.
class PacketReader {
 public:
  explicit PacketReader(const Limits& limits) : limits_(limits) {}
  // Appends received bytes.
  void append(std::span<const char> bytes);
  // The next whole packet, nothing when more bytes are needed, or an error
  // (zero length, over the limit). After an error the reader is unusable.
  std::expected<std::optional<Packet>, ProtocolError> next();
  // Bytes received but not yet returned as a packet.
  std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  Limits limits_;
  std::string buffer_;
  std::size_t offset_ = 0;
};

// What the filter answered to option negotiation.
struct Negotiation {
  std::uint32_t version = 0;
  std::uint32_t actions = 0;   // what the filter may do, within what was offered
  std::uint32_t protocol = 0;  // steps left out / replies not sent, within what was offered
  // Macro names the filter asked for, per stage; nullopt = no request for
  // that stage (send what the MTA has).
  std::optional<std::vector<std::string>> macros[kMacroStages];
};

// Encodes the MTA's negotiation packet data (version, actions, protocol).
std::string encodeNegotiation(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol);
// Decodes the filter's negotiation reply ('O' data). A version above ours or
// below kOldestProtocolVersion, or bits outside what was offered, are errors;
// the returned flags are already intersected with what was offered (older
// versions that send fewer fields are accepted as libmilter's MTA side does).
std::expected<Negotiation, ProtocolError> decodeNegotiation(std::string_view data, std::uint32_t offered_actions,
                                                             std::uint32_t offered_protocol,
                                                             const Limits& limits);

// One modification requested before the final end-of-message reply.
struct Modification {
  enum class Kind {
    add_header,     // name, value: append after the last header field
    insert_header,  // index (0 = above the first field), name, value
    change_header,  // index (1-based among fields of that name), name, value ("" deletes)
    replace_body,   // value: one chunk of the new body (chunks concatenate)
    change_from,    // value: the new sender, args: ESMTP arguments (may be empty)
    add_rcpt,       // value: recipient, args: ESMTP arguments (may be empty)
    delete_rcpt,    // value: recipient
    quarantine,     // value: reason
  };
  Kind kind = Kind::add_header;
  std::uint32_t index = 0;
  std::string name;
  std::string value;
  std::string args;
};

// A reply that ends a step (not a modification, not progress).
struct Reply {
  enum class Kind { continue_, accept, reject, tempfail, discard, skip, reply_code, connection_fail, shutdown };
  Kind kind = Kind::continue_;
  std::string text;  // reply_code only: "550 5.7.1 text" as sent, without the NUL
};
std::string_view toString(Reply::Kind kind);

// One decoded filter packet.
struct Response {
  enum class Kind { reply, modification, progress };
  Kind kind = Kind::reply;
  Reply reply;
  Modification modification;
};

// Decodes a reply packet. Modifications are checked against the negotiated
// actions (a filter that edits what it was not allowed to is a protocol
// error). A reply_code reply must be a 4xx/5xx code followed by a space, a
// '-' (a multi-line reply, as smfi_setmlreply sends) or the end of the text
// ("4xx" for tempfail-like, "5xx" for reject-like). A header name must be
// non-empty printable ASCII without ':' (RFC 5322 section 3.6.8).
// set_symbol_list ('l') is only valid inside negotiation: an error here.
std::expected<Response, ProtocolError> decodeResponse(const Packet& packet, std::uint32_t negotiated_actions,
                                                       const Limits& limits);

// Encoders for the MTA's commands (data part only; wrap with encodeCommand).
// CONNECT: hostname, family ('4', '6', 'L' unix, 'U' unknown), port, address.
std::string encodeConnect(std::string_view hostname, char family, std::uint16_t port, std::string_view address);
// MACRO: the stage's command letter, then name/value pairs.
struct Macro {
  std::string name;   // "j", "{daemon_name}" ...
  std::string value;
};
std::string encodeMacros(char command_code, std::span<const Macro> macros);
// HELO, MAIL, RCPT: NUL-terminated strings (MAIL/RCPT: the address in <> then ESMTP args).
std::string encodeStrings(std::span<const std::string> strings);
// HEADER: name NUL value NUL.
std::string encodeHeader(std::string_view name, std::string_view value);

}  // namespace signet::milter_client
