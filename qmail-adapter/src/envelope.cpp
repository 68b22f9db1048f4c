#include "envelope.h"

#include <cerrno>
#include <unistd.h>

namespace signet::qmail {
namespace {

std::unexpected<EnvelopeError> fail(EnvelopeError::Kind kind, std::string message) {
  return std::unexpected(EnvelopeError{kind, std::move(message)});
}

// Incremental parser: fed byte runs, it knows when the final NUL arrived.
class EnvelopeParser {
 public:
  explicit EnvelopeParser(const EnvelopeLimits& limits) : limits_(limits) {}

  // Consumes bytes up to and including the final NUL; returns how many were
  // used, or an error.
  std::expected<std::size_t, EnvelopeError> feed(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const char c = bytes[i];
      if (state_ == State::letter) {
        if (c == '\0') {
          if (!have_sender_) return fail(EnvelopeError::Kind::malformed, "the envelope has no sender (F)");
          if (envelope_.recipients.empty())
            return fail(EnvelopeError::Kind::malformed, "the envelope has no recipient (T)");
          state_ = State::done;
          return i + 1;
        }
        if (!have_sender_ ? c != 'F' : c != 'T')
          return fail(EnvelopeError::Kind::malformed,
                      !have_sender_ ? "the envelope does not start with F" : "an envelope recipient lacks its T");
        if (have_sender_ && envelope_.recipients.size() >= limits_.max_recipients)
          return fail(EnvelopeError::Kind::too_many,
                      "more than " + std::to_string(limits_.max_recipients) + " recipients");
        if (have_sender_) envelope_.recipients.emplace_back();
        state_ = State::address;
        continue;
      }
      if (state_ == State::done) return fail(EnvelopeError::Kind::malformed, "bytes after the envelope's end");
      std::string& target = have_sender_ ? envelope_.recipients.back() : envelope_.sender;
      if (c == '\0') {
        have_sender_ = true;
        state_ = State::letter;
        continue;
      }
      if (target.size() >= limits_.max_address)
        return fail(EnvelopeError::Kind::too_long,
                    "an envelope address is longer than " + std::to_string(limits_.max_address) + " bytes");
      target.push_back(c);
    }
    return bytes.size();
  }

  bool done() const { return state_ == State::done; }
  Envelope take() { return std::move(envelope_); }

 private:
  enum class State { letter, address, done };
  EnvelopeLimits limits_;
  Envelope envelope_;
  bool have_sender_ = false;
  State state_ = State::letter;
};

}  // namespace

std::expected<Envelope, EnvelopeError> parseEnvelope(std::string_view bytes, const EnvelopeLimits& limits) {
  EnvelopeParser parser(limits);
  auto used = parser.feed(bytes);
  if (!used) return std::unexpected(used.error());
  if (!parser.done()) return fail(EnvelopeError::Kind::incomplete, "the envelope ends before its final NUL");
  if (*used != bytes.size()) return fail(EnvelopeError::Kind::malformed, "bytes after the envelope's end");
  return parser.take();
}

std::expected<Envelope, EnvelopeError> readEnvelope(int fd, const EnvelopeLimits& limits) {
  EnvelopeParser parser(limits);
  char buffer[4096];
  while (!parser.done()) {
    // One byte at a time would be slow; qmail-smtpd writes the whole envelope
    // and closes, so reading blocks of it cannot take bytes meant for anyone else.
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(EnvelopeError::Kind::incomplete, "cannot read the envelope");
    if (n == 0) return fail(EnvelopeError::Kind::incomplete, "the envelope ends before its final NUL");
    auto used = parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (!used) return std::unexpected(used.error());
    if (parser.done() && *used != static_cast<std::size_t>(n))
      return fail(EnvelopeError::Kind::malformed, "bytes after the envelope's end");
  }
  return parser.take();
}

std::string encodeEnvelope(const Envelope& envelope) {
  std::string out;
  out.reserve(envelope.sender.size() + 3);
  out += 'F';
  out += envelope.sender;
  out += '\0';
  for (const std::string& r : envelope.recipients) {
    out += 'T';
    out += r;
    out += '\0';
  }
  out += '\0';
  return out;
}

std::string angleAddress(std::string_view address) { return "<" + std::string(address) + ">"; }

std::string bareAddress(std::string_view address) {
  while (!address.empty() && (address.front() == ' ' || address.front() == '\t')) address.remove_prefix(1);
  while (!address.empty() && (address.back() == ' ' || address.back() == '\t')) address.remove_suffix(1);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  return std::string(address);
}

}  // namespace signet::qmail
