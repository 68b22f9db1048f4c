#include "policy.h"

#include <vector>

namespace signet::milter {
namespace {

Reply replyFor(Action action, std::string text, std::string why) {
  Reply r;
  r.action = action;
  r.why = std::move(why);
  if (action == Action::reject) {
    r.rcode = "550";
    r.xcode = "5.7.1";
  } else if (action == Action::tempfail) {
    r.rcode = "451";
    r.xcode = "4.7.5";
  }
  r.text = std::move(text);
  return r;
}

}  // namespace

Reply decideVerification(const MilterConfig& config, std::span<const SignatureResult> results) {
  // A key in testing mode (t=y) counts as no signature (RFC 6376 section 3.6.1).
  std::vector<SignatureResult> counted;
  for (const auto& r : results)
    if (!(r.testing && r.verdict != Verdict::pass)) counted.push_back(r);
  results = counted;
  if (results.empty()) return replyFor(config.on_no_signature, "message is not signed", "On-NoSignature");
  for (const auto& r : results)
    if (r.verdict == Verdict::pass) return replyFor(Action::accept, "", "a signature passed");
  for (const auto& r : results)
    if (r.verdict == Verdict::temperror)
      return replyFor(config.on_dns_error, "DKIM key could not be retrieved; try again later", "On-DNSError");
  for (const auto& r : results)
    if (r.problem == Problem::no_key)
      return replyFor(config.on_key_not_found, "DKIM key not found for " + r.domain, "On-KeyNotFound");
  const SignatureResult& first = results.front();
  std::string text = "DKIM signature of " +
                     (first.domain.empty() ? std::string("unknown domain") : first.domain) +
                     " did not verify";
  return replyFor(config.on_bad_signature, text, "On-BadSignature");
}

Reply decideArcChain(const MilterConfig& config, const ArcResult& chain) {
  if (chain.verdict != Verdict::fail) return replyFor(Action::accept, "", "the ARC chain did not fail");
  return replyFor(config.on_arc_fail, "ARC chain did not validate: " + chain.reason, "On-ARCFail");
}

Reply decideArcDnsError(const MilterConfig& config) {
  return replyFor(config.on_dns_error, "ARC chain could not be validated; try again later",
                  "On-DNSError (ARC)");
}

Reply decideInternalError(const MilterConfig& config, const std::string& what) {
  return replyFor(config.on_internal_error, "internal error in DKIM processing; try again later",
                  "On-InternalError: " + what);
}

}  // namespace signet::milter
