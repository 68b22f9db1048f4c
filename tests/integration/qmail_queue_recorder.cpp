// qmail_queue_recorder: a stand-in for qmail-queue(8) that records what it
// was given, for the qmail-signet integration test (qmail_test.py).
//
// As qmail-queue: reads the message on fd 0 until end of file, then the
// envelope on fd 1: F<sender>\0, T<recipient>\0 for each recipient, and a
// final \0. Only a complete envelope counts; what follows the final \0 is not
// read (qmail-queue does not read it either).
//
// Environment:
//   RECORD_DIR    where $RECORD_DIR/message and $RECORD_DIR/envelope go
//                 (required). The message is streamed to a temporary name and
//                 both are renamed into place only once the envelope is
//                 complete, envelope last, so a run that stops early leaves
//                 neither.
//   RECORD_EXIT   exit code after recording (default 0).
//   RECORD_CRASH  "1": abort() once everything is read, recording nothing.
//
// Exit codes (qmail-queue's): 54 the message or envelope could not be read or
// the envelope is incomplete, 91 an envelope format error, 53 a record could
// not be written, 81 RECORD_DIR is not set; nothing is recorded in any of
// these cases.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

constexpr int kReadError = 54;
constexpr int kWriteError = 53;
constexpr int kFormatError = 91;
constexpr int kInternal = 81;

// Copies everything readable on fd 0 into `out` (a stream, so the recorder's
// memory stays flat for a message of any size); false on a read or write error.
bool copyMessage(int fd, std::FILE* out) {
  static char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      if (std::fwrite(buffer, 1, static_cast<std::size_t>(n), out) != static_cast<std::size_t>(n)) return false;
    } else if (n == 0) {
      return true;
    } else if (errno != EINTR) {
      return false;
    }
  }
}

// Reads one byte of the envelope; false at end of file or on an error.
bool readByte(int fd, char& c) {
  for (;;) {
    const ssize_t n = read(fd, &c, 1);
    if (n == 1) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

// Reads the envelope as qmail-queue does; returns 0, kReadError or kFormatError.
int readEnvelope(int fd, std::string& envelope) {
  char c;
  bool first = true;
  for (;;) {
    if (!readByte(fd, c)) return kReadError;
    envelope.push_back(c);
    if (c == '\0') return first ? kFormatError : 0;  // the final \0 (an empty envelope is no envelope)
    if (first ? c != 'F' : c != 'T') return kFormatError;
    first = false;
    do {  // the address, up to its \0
      if (!readByte(fd, c)) return kReadError;
      envelope.push_back(c);
    } while (c != '\0');
  }
}

bool writeFile(const std::string& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return (std::fclose(f) == 0) && ok;
}

}  // namespace

int main() {
  const char* dir = std::getenv("RECORD_DIR");
  if (dir == nullptr || *dir == '\0') return kInternal;
  const std::string base(dir);
  const std::string message_path = base + "/message";
  const std::string envelope_path = base + "/envelope";
  const std::string message_tmp = message_path + ".tmp";
  const std::string envelope_tmp = envelope_path + ".tmp";

  std::FILE* spool = std::fopen(message_tmp.c_str(), "wb");
  if (spool == nullptr) return kWriteError;
  const bool copied = copyMessage(0, spool);
  const bool closed = std::fclose(spool) == 0;
  if (!copied || !closed) {
    std::remove(message_tmp.c_str());
    return copied ? kWriteError : kReadError;
  }
  std::string envelope;
  if (const int rc = readEnvelope(1, envelope); rc != 0) {
    std::remove(message_tmp.c_str());
    return rc;
  }

  const char* crash = std::getenv("RECORD_CRASH");
  if (crash != nullptr && std::string(crash) == "1") {
    std::remove(message_tmp.c_str());
    std::abort();
  }
  if (!writeFile(envelope_tmp, envelope) || std::rename(message_tmp.c_str(), message_path.c_str()) != 0 ||
      std::rename(envelope_tmp.c_str(), envelope_path.c_str()) != 0) {
    std::remove(message_tmp.c_str());
    std::remove(envelope_tmp.c_str());
    std::remove(message_path.c_str());
    return kWriteError;
  }
  const char* code = std::getenv("RECORD_EXIT");
  return code != nullptr && *code != '\0' ? std::atoi(code) : 0;
}
