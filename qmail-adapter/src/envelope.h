// The qmail-queue envelope (qmail-queue(8)): the sender preceded by 'F' and
// terminated by NUL, each recipient preceded by 'T' and terminated by NUL,
// then one more NUL. qmail-queue reads it from fd 1 after the message.
//
// Errors: an envelope that ends before its final NUL is `incomplete` (the
// sender gave up: nothing may be queued); a wrong letter, a NUL inside an
// address or bytes after the final NUL are `malformed`; an address longer
// than the limit is `too_long` (qmail-queue's exit 11), and more recipients
// than the limit `too_many`.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace signet::qmail {

struct Envelope {
  std::string sender;                   // may be empty (bounces)
  std::vector<std::string> recipients;  // at least one
};

struct EnvelopeLimits {
  std::size_t max_address = 1024;
  std::size_t max_recipients = 100000;
};

struct EnvelopeError {
  enum class Kind { incomplete, malformed, too_long, too_many };
  Kind kind = Kind::malformed;
  std::string message;
};

// Parses a whole envelope.
std::expected<Envelope, EnvelopeError> parseEnvelope(std::string_view bytes, const EnvelopeLimits& limits);

// The envelope in qmail-queue's wire form.
std::string encodeEnvelope(const Envelope& envelope);

// Reads an envelope from `fd` up to its final NUL (never past it), within the
// limits; EOF first is `incomplete`.
std::expected<Envelope, EnvelopeError> readEnvelope(int fd, const EnvelopeLimits& limits);

// The address as the milter protocol wants it for MAIL/RCPT: in <>.
std::string angleAddress(std::string_view address);
// The reverse: a milter's "<a@b>" (or bare) address for the qmail envelope.
std::string bareAddress(std::string_view address);

}  // namespace signet::qmail
