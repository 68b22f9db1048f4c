// The one mapping from verification verdicts to a milter action
// (design.md: "exactly one function turns verdicts into milter replies"),
// reading the configured On-* policies.
#pragma once

#include <span>
#include <string>

#include "config.h"
#include "signet/arc.h"
#include "signet/verdict.h"

namespace signet::milter {

struct Reply {
  Action action = Action::accept;
  std::string rcode;   // "550", "451" for reject/tempfail
  std::string xcode;   // "5.7.1", "4.7.5"
  std::string text;    // for the SMTP reply (and the quarantine reason)
  std::string why;     // which policy decided, for the log
};

// The action for a verified message. A passing signature accepts; otherwise
// the first matching of: no signature → On-NoSignature, a temporary DNS
// error → On-DNSError, no key → On-KeyNotFound, anything else failing →
// On-BadSignature.
Reply decideVerification(const MilterConfig& config, std::span<const SignatureResult> results);

// The action for verified mail whose ARC chain failed: On-ARCFail
// (accept when the chain did not fail).
Reply decideArcChain(const MilterConfig& config, const ArcResult& chain);

// The action when a seal was due and the arriving chain could not be
// validated for a DNS error: On-DNSError.
Reply decideArcDnsError(const MilterConfig& config);

// The action when Signet itself failed (exception, resource exhaustion).
Reply decideInternalError(const MilterConfig& config, const std::string& what);

}  // namespace signet::milter
