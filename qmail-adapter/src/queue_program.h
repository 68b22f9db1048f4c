// Runs the next queue program (qmail-queue, or whatever DKQUEUE names) the
// way qmail-smtpd runs qmail-queue: the message on its fd 0 (the spool file,
// from the start), the envelope written into a pipe on its fd 1, and its exit
// code returned. Other descriptors (fd 2, a custom-error fd 6) are inherited.
#pragma once

#include <string>

#include "spool.h"

namespace signet::qmail {

struct QueueRun {
  int exit_code = 0;    // the program's code, or qmail-dk's 57/58/59, 120, 53
  std::string problem;  // empty when the program ran and exited by itself
};

// Runs `program` with `message` on fd 0 and `envelope` on fd 1 and waits for
// it. A program killed by a signal gives 57; one that exits 0 without having
// read the whole envelope gives 53 (never 0 for an envelope not delivered).
QueueRun runQueueProgram(const std::string& program, const SpoolFile& message, const std::string& envelope);

}  // namespace signet::qmail
