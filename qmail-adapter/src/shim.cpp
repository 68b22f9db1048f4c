#include "shim.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "filter_chain.h"
#include "message.h"
#include "queue_program.h"
#include "spool.h"

namespace signet::qmail {
namespace {

using milter_client::ClientError;

// DKSIGN without '%' names one key file; qmail-dk refuses the message (32)
// when it is missing. With '%' the milter resolves it, and a missing file
// only means the message is not signed.
bool dksignKeyMissing(const Settings& settings) {
  if (settings.mode != Mode::sign || !settings.dksign) return false;
  if (settings.dksign->find('%') != std::string::npos) return false;
  struct stat st{};
  return ::stat(settings.dksign->c_str(), &st) != 0;
}

Decision::Kind failureKind(ClientError::Kind kind) {
  switch (kind) {
    case ClientError::Kind::unreachable:
      return Decision::Kind::filter_unreachable;
    case ClientError::Kind::timeout:
      return Decision::Kind::filter_timeout;
    default:
      return Decision::Kind::filter_broken;
  }
}

std::string describe(const FilterOutcome& o) {
  switch (o.kind) {
    case FilterOutcome::Kind::pass:
      return "pass at " + o.step;
    case FilterOutcome::Kind::reject:
      return "reject at " + o.step + (o.reply.empty() ? "" : " (" + o.reply + ")");
    case FilterOutcome::Kind::tempfail:
      return "tempfail at " + o.step + (o.reply.empty() ? "" : " (" + o.reply + ")");
    case FilterOutcome::Kind::discard:
      return "discard at " + o.step;
    case FilterOutcome::Kind::failed:
      return std::string(milter_client::toString(o.error.kind)) + " at " + o.step + ": " + o.error.message;
  }
  return "?";
}

std::string describeEdits(const EditSummary& e) {
  std::string out = std::to_string(e.headers) + " header edit(s)";
  if (e.body) out += ", body replaced";
  if (e.envelope) out += ", envelope changed";
  if (e.quarantined) out += ", quarantine requested (qmail has no hold queue; queued): " + e.quarantine_reason;
  return out;
}

}  // namespace

std::string makeQueueId() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char id[40];
  std::snprintf(id, sizeof id, "%llX%X", static_cast<unsigned long long>(micros) & 0xFFFFFFFFFFULL,
                static_cast<unsigned>(::getpid()));
  return id;
}

ExitStatus runShim(const Settings& settings, int message_fd, int envelope_fd, const LogLine& log) {
  const std::string queue_id = makeQueueId();
  auto say = [&](const std::string& line) { log(queue_id + ": " + line); };

  auto spool = SpoolFile::create(settings.spool_dir);
  if (!spool) {
    say("cannot spool the message: " + spool.error().message);
    return {exit_code::write_error, {}};
  }
  if (auto r = spool->appendFrom(message_fd); !r) {
    say("cannot spool the message: " + r.error().message);
    return {exit_code::read_error, {}};
  }
  auto envelope = readEnvelope(envelope_fd, {settings.max_address, settings.max_recipients});
  if (!envelope) {
    say("nothing queued: " + envelope.error().message);
    switch (envelope.error().kind) {
      case EnvelopeError::Kind::incomplete:
        return {exit_code::read_error, {}};
      case EnvelopeError::Kind::malformed:
        return {exit_code::bad_envelope, {}};
      default:
        return {exit_code::address_too_long, {}};
    }
  }
  if (dksignKeyMissing(settings)) {
    say("nothing queued: DKSIGN names " + *settings.dksign + ", which does not exist");
    return {exit_code::dk_key_missing, {}};
  }

  // The header scan of the spool as it stands; made again only after a
  // milter's edits replaced the spool.
  std::optional<Message> message;
  for (const milter_client::SocketSpec& milter : settings.milters) {
    if (!message) {
      auto scanned = scanMessage(*spool, settings.max_header_bytes);
      if (!scanned) {
        say("nothing queued: " + scanned.error().message);
        return {scanned.error().kind == MessageError::Kind::too_large ? exit_code::permanent_refusal
                                                                       : exit_code::read_error,
                {}};
      }
      message = std::move(*scanned);
    }
    const FilterOutcome outcome = consultMilter(milter, settings, *spool, *message, *envelope, queue_id);
    const std::string who = "milter " + milter.text() + ": ";
    switch (outcome.kind) {
      case FilterOutcome::Kind::pass:
        break;
      case FilterOutcome::Kind::reject:
      case FilterOutcome::Kind::tempfail:
      case FilterOutcome::Kind::discard: {
        say(who + describe(outcome) + "; nothing queued");
        const Decision d{outcome.kind == FilterOutcome::Kind::reject     ? Decision::Kind::reject
                         : outcome.kind == FilterOutcome::Kind::tempfail ? Decision::Kind::tempfail
                                                                         : Decision::Kind::discard,
                         outcome.reply};
        return exitFor(d, settings);
      }
      case FilterOutcome::Kind::failed:
        if (settings.default_action == DefaultAction::accept) {
          say(who + describe(outcome) + "; default action accept: going on without its edits");
          continue;
        }
        say(who + describe(outcome) + "; default action tempfail: nothing queued");
        return exitFor({failureKind(outcome.error.kind), {}}, settings);
    }
    if (outcome.modifications.empty()) {
      say(who + describe(outcome) + ", no edits");
      continue;
    }
    EditSummary summary;
    auto edited = applyModifications(*spool, *message, outcome.modifications, outcome.leading_space, *envelope,
                                     settings.spool_dir, summary);
    if (!edited) {
      say(who + "cannot apply its edits: " + edited.error().message + "; nothing queued");
      return {exit_code::write_error, {}};
    }
    say(who + describe(outcome) + ", " + describeEdits(summary));
    *spool = std::move(*edited);
    message.reset();
    if (envelope->recipients.empty()) {
      say("every recipient was removed by the milters: discarded, nothing queued");
      return {exit_code::queued, {}};
    }
  }

  const QueueRun run = runQueueProgram(settings.queue_program, *spool, encodeEnvelope(*envelope));
  if (!run.problem.empty()) say(run.problem);
  if (run.exit_code == 0) {
    say("queued by " + settings.queue_program + " (" + std::to_string(spool->size()) + " bytes, " +
        std::to_string(envelope->recipients.size()) + " recipient(s))");
  } else if (run.problem.empty()) {
    say(settings.queue_program + " exited " + std::to_string(run.exit_code));
  }
  return {run.exit_code, {}};
}

}  // namespace signet::qmail
