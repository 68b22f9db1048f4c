// Process matters of signet-milter: the listening socket (with TCP_NODELAY
// for inet sockets, so end-of-message replies are not held back by Nagle's
// algorithm against an MTA that delays its ACKs), going to the background,
// the PID file, dropping privileges, and the signals: SIGTERM/SIGINT stop
// accepting and let messages in flight finish; SIGHUP reloads the
// configuration and keys, keeping the old ones when the new ones are bad.
#pragma once

#include <string>

#include "config.h"
#include "logger.h"

namespace signet::milter {

struct DaemonOptions {
  std::string config_path;
  bool foreground = false;
  bool check_only = false;
  std::string socket_override;
};

int runDaemon(const DaemonOptions& options);

}  // namespace signet::milter
