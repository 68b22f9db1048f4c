// The one mapping from what happened to a message to qmail-queue's exit
// code (qmail-queue(8): 0 queued, 11-40 permanent, anything else temporary),
// with qmail-dk's codes where qmail-dk has one, and the text a patched
// qmail-smtpd reads from fd 6 when SIGNET_CUSTOM_ERROR is set.
#pragma once

#include <string>
#include <string_view>

#include "settings.h"

namespace signet::qmail {

// qmail-queue's and qmail-dk's codes, by the words of their man pages.
namespace exit_code {
inline constexpr int queued = 0;
inline constexpr int address_too_long = 11;
inline constexpr int dk_reject = 13;            // qmail-dk: DKVERIFY uppercase letter
inline constexpr int permanent_refusal = 31;    // "mail server permanently refuses"
inline constexpr int dk_key_missing = 32;       // qmail-dk: DKSIGN names no file
inline constexpr int out_of_memory = 51;
inline constexpr int write_error = 53;          // "write error or disk full"
inline constexpr int read_error = 54;           // "unable to read the message or envelope"
inline constexpr int bad_configuration = 55;    // "unable to read a configuration file"
inline constexpr int queue_crashed = 57;        // qmail-dk: trouble waiting for qmail-queue
inline constexpr int cannot_fork = 58;          // qmail-dk
inline constexpr int cannot_pipe = 59;          // qmail-dk
inline constexpr int temporary_refusal = 71;    // "mail server temporarily rejected message"
inline constexpr int filter_timeout = 72;       // "connection to mail server timed out"
inline constexpr int filter_unreachable = 73;   // "connection to mail server rejected"
inline constexpr int filter_broken = 74;        // "communication failed"
inline constexpr int custom_or_dk_defer = 82;   // qmail-dk lowercase letter; custom error text on fd 6
inline constexpr int bad_envelope = 91;         // "bad envelope data"
inline constexpr int cannot_exec = 120;         // "unable to exec qq"
}  // namespace exit_code

// What the milters decided, once all were consulted (or one stopped it).
struct Decision {
  enum class Kind {
    queue,               // hand the (edited) message to the next queue program
    discard,             // a milter said discard: exit 0, nothing queued
    reject,              // a milter rejected (5xx)
    tempfail,            // a milter deferred (4xx)
    filter_unreachable,  // with default action tempfail
    filter_timeout,
    filter_broken,
  };
  Kind kind = Kind::queue;
  std::string reply;  // the milter's SMTP reply text ("550 5.7.1 ..."), when it sent one
};

struct ExitStatus {
  int code = 0;
  std::string fd6_text;  // "D..." / "Z..." for a patched qmail-smtpd; empty: none
};

// Turns a decision (other than queue) into the exit code, reading the
// settings: qmail-dk's 13/82 when verifying with DKVERIFY letters, the
// custom-error convention when configured, qmail-queue's codes otherwise.
ExitStatus exitFor(const Decision& decision, const Settings& settings);

// "550 5.7.1 Bad signature" -> "Bad signature (#5.7.1)": qmail-smtpd's form
// of a reply, without the SMTP code (which qmail-smtpd supplies).
std::string qmailReplyText(std::string_view smtp_reply, std::string_view fallback);

}  // namespace signet::qmail
