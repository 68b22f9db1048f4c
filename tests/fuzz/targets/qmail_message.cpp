// Fuzz target: qmail-signet's header scan of a spooled message (scanMessage)
// and its body reader (forEachBodyChunk), on a spool file created per input
// (an unlinked file in $TMPDIR or /tmp). Any byte sequence is a message.
// Invariants: the scanned fields and separator are exactly the bytes before
// the body offset; the body reaches the milter with every bare LF made CRLF
// and nothing else changed; applying no edits copies the message byte for
// byte. The input's first byte chooses the header limit (64 bytes times it
// plus 1, so the limit is crossed often), the rest is the message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../fuzz_support.h"
#include "message.h"

namespace {

std::string spoolDirectory() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

std::string withCrlf(std::string_view text) {
  std::string out;
  char previous = '\0';
  for (char c : text) {
    if (c == '\n' && previous != '\r') out += '\r';
    out += c;
    previous = c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet::qmail;
  if (size == 0) return 0;
  static const std::string dir = spoolDirectory();
  const std::size_t max_header = 64 * std::size_t(data[0]) + 1;
  const std::string_view text = signet::fuzz::asText(data + 1, size - 1);

  auto spool = SpoolFile::create(dir);
  FUZZ_CHECK(spool.has_value());
  FUZZ_CHECK(spool->append(text).has_value());
  FUZZ_CHECK(spool->flush().has_value());

  auto message = scanMessage(*spool, max_header);
  if (!message) {
    FUZZ_CHECK(message.error().kind == MessageError::Kind::too_large);
    return 0;
  }
  FUZZ_CHECK(message->body_offset <= text.size());
  FUZZ_CHECK(message->body_offset <= max_header);
  std::string head;
  for (const auto& field : message->fields) {
    FUZZ_CHECK(!field.raw.empty());
    head += field.raw;
  }
  head += message->separator;
  FUZZ_CHECK(head == text.substr(0, message->body_offset));

  std::string body;
  auto read = forEachBodyChunk(*spool, *message, [&](std::string_view chunk) {
    body += chunk;
    return true;
  });
  FUZZ_CHECK(read.has_value());
  // A CR at the very end of the header section may pair with the body's
  // first LF; the reader starts fresh at the body, as the milter sees it.
  FUZZ_CHECK(body == withCrlf(text.substr(message->body_offset)));

  Envelope envelope{"a@example.com", {"b@example.net"}};
  EditSummary summary;
  auto copy = applyModifications(*spool, *message, {}, false, envelope, dir, summary);
  FUZZ_CHECK(copy.has_value());
  FUZZ_CHECK(copy->flush().has_value());
  auto bytes = copy->readString(0, text.size() + 1);
  FUZZ_CHECK(bytes.has_value() && *bytes == text);
  FUZZ_CHECK(summary.headers == 0 && !summary.body && !summary.envelope);
  return 0;
}
