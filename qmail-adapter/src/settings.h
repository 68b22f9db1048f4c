// qmail-signet's settings: everything it takes from its name (argv[0]) and
// its environment, read once in main and passed down. qmail-signet(8) is the
// user's contract for every variable named here.
//
// Personality (argv[0] basename, as qmail-dk and s/qmail are installed):
//   qmail-dkverify  verify only (s/qmail), default next queue bin/qmail-queue
//   qmail-queue     installed in qmail-queue's place: bin/qmail-queue.orig
//   anything else   (qmail-signet, qmail-dk) bin/qmail-queue
//
// Mode (qmail-signet(8), MODES): qmail-dkverify verifies. Otherwise, for an
// SMTP client (TCPREMOTEIP set) RELAYCLIENT decides: set signs, unset
// verifies, and a DKSIGN in qmail-smtpd's environment is then ignored. For
// mail injected on this host (no TCPREMOTEIP: qmail-inject, the sendmail
// emulation, qmail-send's bounces and forwards) DKSIGN or RELAYCLIENT signs,
// and neither verifies.
//
// The qmail home: qmail starts the queue program from it (qmail_open()
// chdirs to auto_qmail), so relative paths (bin/qmail-queue, control/me)
// are taken from the working directory; QMAILHOME, when set, overrides.
//
// Errors: a variable with a bad value is a SettingsError naming it (exit 55,
// "unable to read configuration", temporary: the mail waits, nothing is lost).
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "milter_client.h"

namespace signet::qmail {

enum class Mode { sign, verify };

// What happens when a milter cannot be reached, times out or breaks the
// protocol (Postfix's milter_default_action, without reject).
enum class DefaultAction { tempfail, accept };

// The client's TCP peer as tcpserver describes it; empty address when the
// message did not come over TCP (qmail-inject).
struct Peer {
  std::string remote_ip;
  std::string remote_port;
  std::string remote_host;
  std::string local_ip;
  std::string local_port;
  std::string local_host;
};

struct Settings {
  std::string program = "qmail-signet";  // argv[0] basename, for log lines
  Mode mode = Mode::verify;
  std::vector<milter_client::SocketSpec> milters;       // SIGNET_MILTERS, in order
  DefaultAction default_action = DefaultAction::tempfail;  // SIGNET_DEFAULT_ACTION
  milter_client::Timeouts timeouts;  // SIGNET_{CONNECT,COMMAND,CONTENT}_TIMEOUT
  std::string daemon_name = "ORIGINATING";  // SIGNET_DAEMON_NAME, sent when signing
  bool custom_error = false;       // SIGNET_CUSTOM_ERROR: reply text on fd 6, exit 82
  std::string spool_dir = "/tmp";  // SIGNET_TMPDIR, TMPDIR
  std::string queue_program;       // DKQUEUE, under QMAILHOME when that is set
  std::string qmail_home;          // QMAILHOME; empty: the working directory
  // SIGNET_FILTERED is set: a qmail-signet earlier in this chain (QMAILQUEUE
  // pointing at it while it is also installed as bin/qmail-queue) has shown
  // the message to the milters already, so it goes on to the next queue
  // program untouched.
  bool already_filtered = false;
  std::string me;                  // control/me, the `j` macro ("localhost" when unreadable)
  Peer peer;
  std::string auth_user;           // SMTPAUTHUSER
  std::string auth_type;           // SMTPAUTHMETHOD, when set
  std::optional<std::string> dksign;    // DKSIGN (signing only)
  std::optional<std::string> dkverify;  // DKVERIFY letters, plus B for DKIM=+ (verifying only)
  std::size_t max_address = 1024;          // SIGNET_MAX_ADDRESS: one envelope address
  std::size_t max_recipients = 100000;     // SIGNET_MAX_RECIPIENTS
  std::size_t max_header_bytes = 4 << 20;  // SIGNET_MAX_HEADER: the whole header section
  std::size_t max_packet = 2 << 20;        // SIGNET_MAX_PACKET: one packet from a milter
  std::size_t max_field = 64 << 10;        // SIGNET_MAX_FIELD: one string in a milter's packet
  std::size_t max_edits = 10000;           // SIGNET_MAX_EDITS: modifications from one milter

  // No TCPREMOTEIP: the message did not come from an SMTP client.
  bool localInjection() const { return peer.remote_ip.empty(); }
};

struct SettingsError {
  std::string variable;
  std::string message;
};

// Reads the settings through `getenv` (std::getenv in main; a map in tests)
// and `readFile` (control/me). Unset variables take the defaults above.
using Getenv = std::function<std::optional<std::string>(std::string_view name)>;
using ReadFile = std::function<std::optional<std::string>(const std::string& path)>;
std::expected<Settings, SettingsError> loadSettings(std::string_view argv0, const Getenv& getenv,
                                                    const ReadFile& readFile);

// The variable a qmail-signet sets for the queue programs it runs.
inline constexpr const char* kFilteredMarker = "SIGNET_FILTERED";

// The client options for one milter conversation built from the settings.
milter_client::ClientOptions clientOptions(const Settings& settings);

// Parses a timeout in seconds ("30", "0.5"); more than a day is refused.
std::optional<std::chrono::milliseconds> parseSeconds(std::string_view text);

}  // namespace signet::qmail
