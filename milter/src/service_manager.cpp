#include "service_manager.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "file_descriptor.h"

namespace signet::milter {
namespace {

std::string monotonicMicroseconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::to_string(static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                        static_cast<unsigned long long>(now.tv_nsec) / 1000ULL);
}

// Status texts are one line: the protocol is newline-separated assignments.
std::string oneLine(std::string_view text) {
  std::string line;
  for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return line;
}

}  // namespace

ServiceNotifier ServiceNotifier::fromEnvironment() {
  const char* value = std::getenv("NOTIFY_SOCKET");
  std::string path = value ? value : "";
  ::unsetenv("NOTIFY_SOCKET");
  return ServiceNotifier(std::move(path));
}

std::optional<std::string> ServiceNotifier::notify(std::string_view state) const {
  if (socket_path_.empty()) return std::nullopt;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof address.sun_path || (socket_path_[0] != '/' && socket_path_[0] != '@'))
    return "NOTIFY_SOCKET \"" + socket_path_ + "\" is neither an absolute path nor @name";
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (socket_path_[0] == '@') address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  FileDescriptor fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return std::string("cannot notify the service manager: ") + std::strerror(errno);
  ssize_t sent;
  do {
    sent = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
                    length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0)
    return "cannot notify the service manager at " + socket_path_ + ": " + std::strerror(errno);
  return std::nullopt;
}

std::optional<std::string> ServiceNotifier::ready(std::string_view status) const {
  return notify("READY=1\nSTATUS=" + oneLine(status));
}

std::optional<std::string> ServiceNotifier::reloading() const {
  return notify("RELOADING=1\nMONOTONIC_USEC=" + monotonicMicroseconds());
}

std::optional<std::string> ServiceNotifier::stopping(std::string_view status) const {
  return notify("STOPPING=1\nSTATUS=" + oneLine(status));
}

bool isJournalStream(const char* journal_stream, int fd) {
  if (journal_stream == nullptr || *journal_stream == '\0') return false;
  const std::string_view value(journal_stream);
  const auto colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long device = 0, inode = 0;
  const auto number = [](std::string_view digits, unsigned long long& out) {
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return error == std::errc() && end == digits.data() + digits.size();
  };
  if (!number(value.substr(0, colon), device) || !number(value.substr(colon + 1), inode)) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

std::string journalPrefix(int syslog_priority) {
  if (syslog_priority < 0 || syslog_priority > 7) syslog_priority = 6;
  return "<" + std::to_string(syslog_priority) + ">";
}

}  // namespace signet::milter
