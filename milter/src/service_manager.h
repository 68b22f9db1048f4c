// What signet-milter tells a service manager (systemd, sd_notify(3)'s
// protocol) and how it writes log lines to a journal stream.
//
// Notification: when $NOTIFY_SOCKET names a datagram socket (a path, or
// "@name" for Linux's abstract namespace), states such as "READY=1" are sent
// to it as one datagram each. Without it, notifying does nothing: the same
// daemon runs under systemd's Type=notify, under any other supervisor, and
// by hand. A failed send is reported to the caller, never fatal.
//
// Journal: when $JOURNAL_STREAM ("device:inode") names the very file standard
// error is, standard error is systemd's journal; a line is then written as
// "<N>message", N the syslog priority (sd-daemon(3)), without a time stamp of
// its own, so the journal keeps each line's priority.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace signet::milter {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET once; the variable is then removed from the
  // environment, so that no child process takes it for its own.
  static ServiceNotifier fromEnvironment();
  explicit ServiceNotifier(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  bool enabled() const { return !socket_path_.empty(); }
  // Sends one state ("READY=1", "RELOADING=1\nMONOTONIC_USEC=...", ...).
  // Returns an error text when the socket could not take it.
  std::optional<std::string> notify(std::string_view state) const;

  std::optional<std::string> ready(std::string_view status) const;
  std::optional<std::string> reloading() const;
  std::optional<std::string> stopping(std::string_view status) const;

 private:
  std::string socket_path_;
};

// True when JOURNAL_STREAM (as given) names the file behind descriptor fd.
bool isJournalStream(const char* journal_stream, int fd);

// The priority prefix of sd-daemon(3): "<3>" for LOG_ERR, and so on.
std::string journalPrefix(int syslog_priority);

}  // namespace signet::milter
