// qmail-signet's work for one message, from reading fd 0 and fd 1 to the
// exit status: spool the message, read the envelope, consult each milter in
// order (each sees the edits of the one before), apply edits only after a
// milter's final reply, then run the next queue program. main() only reads
// the settings and calls runShim().
//
// Guarantees: exit code 0 only when the next queue program exited 0 after
// receiving the whole message and envelope, or when a milter said discard;
// no half-edited message is ever queued; if the envelope never arrives,
// nothing is queued.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "exit_codes.h"
#include "settings.h"

namespace signet::qmail {

// One log line (without the trailing newline); main writes it to stderr.
using LogLine = std::function<void(std::string_view)>;

ExitStatus runShim(const Settings& settings, int message_fd, int envelope_fd, const LogLine& log);

// A queue id for the `i` macro and the log: unique per process and time.
std::string makeQueueId();

}  // namespace signet::qmail
