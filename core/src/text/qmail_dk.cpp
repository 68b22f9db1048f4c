#include "signet/qmail_dk.h"

namespace signet {
namespace {

constexpr std::array<std::string_view, kDkStatusCount> kNames = {
    "DK_STAT_OK",     "DK_STAT_BADSIG",     "DK_STAT_NOSIG", "DK_STAT_NOKEY",
    "DK_STAT_BADKEY", "DK_STAT_CANTVRFY",   "DK_STAT_SYNTAX", "DK_STAT_NORESOURCE",
    "DK_STAT_ARGS",   "DK_STAT_REVOKED",    "DK_STAT_INTERNAL"};

std::size_t indexOf(DkStatus status) { return static_cast<std::size_t>(status); }

}  // namespace

char letterOf(DkStatus status) { return static_cast<char>('A' + indexOf(status)); }

std::string_view toString(DkStatus status) { return kNames[indexOf(status)]; }

std::string_view domainKeyStatusText(DkStatus status) {
  switch (status) {
    case DkStatus::ok: return "good";
    case DkStatus::badsig: return "bad";
    case DkStatus::nosig: return "no signature";
    case DkStatus::nokey:
    case DkStatus::cantvrfy: return "no key";
    case DkStatus::badkey: return "bad key";
    case DkStatus::syntax:
    case DkStatus::args:
    case DkStatus::internal: return "bad format";
    case DkStatus::noresource: return "no resources";
    case DkStatus::revoked: return "revoked";
  }
  return "bad format";
}

DkStatus dkimStatus(const SignatureResult& r) {
  switch (r.verdict) {
    case Verdict::pass: return DkStatus::ok;
    case Verdict::neutral:
    case Verdict::none:
    case Verdict::policy: return DkStatus::nosig;
    case Verdict::fail:
    case Verdict::temperror:
    case Verdict::permerror: break;
  }
  switch (r.problem) {
    case Problem::bad_signature:
    case Problem::body_hash:
    case Problem::expired: return DkStatus::badsig;
    case Problem::policy: return DkStatus::nosig;
    case Problem::no_key: return DkStatus::nokey;
    case Problem::bad_key: return DkStatus::badkey;
    case Problem::dns_temporary: return DkStatus::cantvrfy;
    case Problem::syntax: return DkStatus::syntax;
    case Problem::key_revoked: return DkStatus::revoked;
    case Problem::none: break;
  }
  // A failure whose kind was not recorded: judge by the verdict alone.
  if (r.verdict == Verdict::fail) return DkStatus::badsig;
  if (r.verdict == Verdict::temperror) return DkStatus::cantvrfy;
  return DkStatus::syntax;
}

std::string_view toString(DkVerifyAction action) {
  switch (action) {
    case DkVerifyAction::accept: return "accept";
    case DkVerifyAction::reject_temporary: return "reject temporarily";
    case DkVerifyAction::reject_permanent: return "reject permanently";
  }
  return "accept";
}

std::expected<DkVerifyPolicy, ParseError> DkVerifyPolicy::parse(std::string_view letters) {
  DkVerifyPolicy policy;
  policy.actions_.fill(DkVerifyAction::accept);
  for (std::size_t i = 0; i < letters.size(); ++i) {
    const char c = letters[i];
    if (c >= 'A' && c < static_cast<char>('A' + kDkStatusCount)) {
      policy.actions_[static_cast<std::size_t>(c - 'A')] = DkVerifyAction::reject_permanent;
    } else if (c >= 'a' && c < static_cast<char>('a' + kDkStatusCount)) {
      auto& action = policy.actions_[static_cast<std::size_t>(c - 'a')];
      if (action != DkVerifyAction::reject_permanent) action = DkVerifyAction::reject_temporary;
    } else {
      return parseError("DKVERIFY", "character " + std::to_string(i + 1) +
                                        " is not one of the status letters A-K or a-k");
    }
  }
  return policy;
}

DkVerifyAction DkVerifyPolicy::actionFor(DkStatus status) const { return actions_[indexOf(status)]; }

DkVerifyDecision DkVerifyPolicy::decide(std::span<const DkStatus> statuses) const {
  if (statuses.empty()) return {actionFor(DkStatus::nosig), DkStatus::nosig};
  for (DkStatus s : statuses)
    if (s == DkStatus::ok) return {actionFor(DkStatus::ok), DkStatus::ok};
  const DkStatus* temporary = nullptr;
  const DkStatus* permanent = nullptr;
  for (const DkStatus& s : statuses) {
    const DkVerifyAction action = actionFor(s);
    if (action == DkVerifyAction::reject_temporary && !temporary) temporary = &s;
    if (action == DkVerifyAction::reject_permanent && !permanent) permanent = &s;
  }
  if (temporary) return {DkVerifyAction::reject_temporary, *temporary};
  if (permanent) return {DkVerifyAction::reject_permanent, *permanent};
  return {DkVerifyAction::accept, statuses.front()};
}

}  // namespace signet
