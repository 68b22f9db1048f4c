// The message as qmail-signet sees it: the header fields, read once from the
// spool file into memory (bounded by a limit), and the body, which stays in
// the file. Edits from a milter are applied here, producing a new spool file
// and envelope; unedited fields are copied byte for byte.
//
// The header section ends at the first empty line (which is kept as the
// separator) or at the first line that is neither a field nor a continuation
// (which then begins the body, as RFC 5322 reads it). Line ends are whatever
// the message uses (qmail stores LF; CRLF is kept when the message has it).
//
// Errors: a header section over the limit is `too_large`; spool trouble is
// `spool`. Never a crash: any byte sequence is a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envelope.h"
#include "milter_protocol.h"
#include "spool.h"

namespace signet::qmail {

struct HeaderField {
  std::string raw;    // the field as stored, with its line ends, for copying unedited
  std::string name;   // as written
  std::string value;  // after the colon, LF inside (continuations), no final line end
};

struct Message {
  std::vector<HeaderField> fields;
  std::string separator;         // the empty line that ended the header section, or ""
  std::uint64_t body_offset = 0;  // where the body starts in the spool file
  std::string eol = "\n";         // the message's line end, for fields written anew
};

struct MessageError {
  enum class Kind { too_large, spool };
  Kind kind = Kind::spool;
  std::string message;
};

// Reads the header section of a spooled message.
std::expected<Message, MessageError> scanMessage(const SpoolFile& spool, std::size_t max_header_bytes);

// Streams the body to `sink` in pieces with CRLF line ends (a bare LF becomes
// CRLF; CRLF stays), as the milter protocol wants; stops early when `sink`
// returns false.
std::expected<void, MessageError> forEachBodyChunk(const SpoolFile& spool, const Message& message,
                                                   const std::function<bool(std::string_view)>& sink);

// What applying a milter's edits changed, for the log line.
struct EditSummary {
  std::size_t headers = 0;
  bool body = false;
  bool envelope = false;
  bool quarantined = false;
  std::string quarantine_reason;
};

// Applies modifications in the order they came: header edits to the field
// list, replace-body chunks (joined, line ends made the message's), sender and
// recipient edits to `envelope`. `leading_space` says whether the milter
// negotiated HDR_LEADSPC (then a value is used exactly as sent; otherwise a
// space follows the colon, as Postfix does). Writes the edited message to a
// new spool file in `spool_dir`.
std::expected<SpoolFile, MessageError> applyModifications(const SpoolFile& spool, const Message& message,
                                                         std::span<const milter_client::Modification> edits,
                                                         bool leading_space, Envelope& envelope,
                                                         const std::string& spool_dir, EditSummary& summary);

// A field as written anew: "Name: value" with folded lines made `eol` and a
// bare line break that would end the field early turned into a fold.
std::string renderField(std::string_view name, std::string_view value, bool leading_space, std::string_view eol);

}  // namespace signet::qmail
