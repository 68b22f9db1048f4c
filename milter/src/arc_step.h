// signet-milter's ARC work for one message (RFC 8617; signet.conf(5)
// "ARC"): whether the message's chain is validated and whether it is sealed,
// the validation and the sealing themselves, streaming beside the DKIM work,
// and what they add: the arc= result for our Authentication-Results field,
// the new ARC set, and a reply when a policy says so.
//
// Sealing comes last: its ARC-Message-Signature covers the DKIM-Signature
// fields this message just got, and its ARC-Authentication-Results carries
// this host's results, those of the milters that ran before us (their
// Authentication-Results fields with our AuthservID, above the first
// Received field) and our own DKIM results (RFC 8617 section 4.1.1).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine.h"
#include "policy.h"
#include "signet/arc_sealer.h"
#include "signet/arc_validator.h"
#include "signet/header.h"

namespace signet::milter {

// What the session knows when the headers have ended.
struct ArcFacts {
  bool internal = false;  // InternalHosts
  bool signs = false;     // the DKIM step signs this message (outbound)
  bool verifies = false;  // the DKIM step verifies it
  std::string remote_ip;  // for smtp.remote-ip
  std::span<const std::string> recipients;
  std::string from_address;
  // arc= from an Authentication-Results field with our AuthservID that this
  // host wrote (above the first Received), when one says it.
  std::optional<Verdict> stated_arc;
};

struct ArcOutcome {
  std::optional<std::string> resinfo;  // arc= for our Authentication-Results
  std::vector<std::string> seal;       // the new ARC set, top to bottom; empty: none
  std::optional<Reply> reply;  // set when a policy decides (On-ARCFail, On-DNSError, On-InternalError)
  std::string log;             // "; arc=... sealed i=N d=..." for the log line
};

class ArcStep {
 public:
  // Decides what this message gets and, if anything, starts on the headers.
  void begin(const Engine& engine, const ArcFacts& facts, std::span<const HeaderField> headers);
  void body(std::span<const char> chunk);
  bool active() const { return validator_ != nullptr; }
  bool seals() const { return sealer_ != nullptr; }

  // `results` are the resinfos for the ARC-Authentication-Results besides
  // arc= (earlier milters' and our DKIM results); `new_fields` the fields
  // this message just got above the arriving ones (DKIM-Signature), top first.
  ArcOutcome finish(std::span<const std::string> results, std::span<const std::string> new_fields);
  void reset();

 private:
  const Engine* engine_ = nullptr;
  ArcFacts facts_;
  std::unique_ptr<ArcValidator> validator_;
  std::unique_ptr<ArcSealer> sealer_;
  std::shared_ptr<const SigningKey> key_;
  std::string seal_failure_;       // a seal was due and its key could not be used
  std::string note_;               // why no seal, for the log
  bool validate_quietly_ = false;  // validated only for the seal's cv=: no arc= result, no policy
};

}  // namespace signet::milter
