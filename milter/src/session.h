// One milter connection's work, without libmilter: the glue hands each
// callback's data here in a few lines, and applies the Outcome at
// end-of-message. Decides sign vs verify per message (design.md: internal
// client, authenticated, or {daemon_name} listed in MTA → sign), drives the
// engine, and returns the header edits and the reply.
//
// Header values arrive as the MTA sends them with SMFIP_HDR_LEADSPC (the
// space after the colon kept; folded lines joined with LF, which is turned
// back into CRLF) so that signatures cover the message as it is delivered.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arc_step.h"
#include "engine.h"
#include "policy.h"
#include "signet/domainkeys.h"
#include "signet/header.h"
#include "signet/signer.h"
#include "signet/verifier.h"

namespace signet::milter {

// Per-message facts from the MTA's macros and the qmail shim.
struct Envelope {
  std::string auth_authen;  // {auth_authen}
  std::string auth_type;    // {auth_type}
  std::string daemon_name;  // {daemon_name}
  std::string dksign;       // {signet_dksign}: a DKSIGN key path ('%' = From domain)
  std::string dkverify;     // {signet_dkverify}: a DKVERIFY letter set
  std::string qmail_mode;   // {signet_mode}: "sign" or "verify", as qmail-signet decided
  std::string queue_id;     // i, when the MTA has one at MAIL FROM
};

struct HeaderInsert {
  std::string name;
  std::string value;  // with the leading space; folded with LF + TAB
};

// An arriving header field to remove: the index counts the fields of that
// name from 1, top down (smfi_chgheader's numbering).
struct HeaderRemoval {
  std::string name;
  int index;
};

struct Outcome {
  Reply reply;
  std::vector<HeaderInsert> inserts;    // top to bottom, all go above the first header
  std::vector<HeaderRemoval> removals;  // highest index first within each name
  std::string log_line;
};

enum class Mode { none, sign, verify };

class Session {
 public:
  explicit Session(const EngineHolder& engines) : engines_(engines) {}

  void connect(std::string_view client_name, const sockaddr* client_address);
  void mailFrom(Envelope envelope);
  void recipient(std::string_view address);  // RCPT, when the MTA sends it (ARC sealing keys by recipient)
  void header(std::string_view name, std::string_view value);
  void endOfHeaders();
  void body(std::span<const char> chunk);
  Outcome endOfMessage(std::string_view queue_id);
  void abortMessage();  // forget the message; the connection stays

  Mode mode() const { return mode_; }

 private:
  void chooseMode();
  Outcome finishSigning(std::string_view queue_id);
  Outcome finishVerifying(std::string_view queue_id);
  void startSigning();
  // The DKVERIFY letter policy (macro, else configuration) applied to all
  // results; accept when no letters are set.
  std::optional<Reply> letterPolicy(std::span<const SignatureResult> dkim,
                                    std::span<const DomainKeysResult> domainkeys, std::string& note) const;
  bool claimsOurAuthservId(std::string_view value) const;
  void startArc();
  // The ARC step's end. The seal's results are those of milters before us
  // on this host and `own`, our DKIM resinfos; `signatures` are the fields
  // the DKIM step added, which the seal covers.
  ArcOutcome runArc(std::span<const std::string> own, std::span<const std::string> signatures);
  // Adds it to `out`: the seal on top of everything, arc= in an
  // Authentication-Results field of its own unless the caller `listed` it in
  // ours, the reply when it decides, its log words, and the results of this
  // host kept when they are sealed along.
  void placeArc(Outcome& out, ArcOutcome arc, bool listed);

  const EngineHolder& engines_;
  std::shared_ptr<const Engine> engine_;
  bool internal_client_ = false;
  bool ignored_external_ = false;  // in ExternalIgnoreList
  bool peer_ = false;              // in PeerList: left alone
  bool headers_ended_ = false;     // endOfHeaders() has run for this message
  std::string remote_ip_;          // the client's address as text, for smtp.remote-ip
  std::vector<std::string> recipients_;
  bool seen_received_ = false;     // a Received field has gone by
  bool trusted_ = false;           // a client we sign for (internal, authenticated, MTA, qmail sign)
  struct OurResults {
    std::string value;
    int index;                     // among the Authentication-Results fields, from 1
    bool above_received;
  };
  std::vector<OurResults> ours_;   // arriving A-R fields with our AuthservID
  // Those of them written on this host (startArc decides), sealed along
  // and kept rather than removed as forgeries.
  std::vector<std::string> local_results_;
  std::vector<int> local_result_indexes_;
  ArcStep arc_;
  std::string client_name_;
  std::string why_;  // why this mode (logged with LogWhy)
  Envelope envelope_;
  std::vector<HeaderField> headers_;
  std::size_t header_bytes_ = 0;
  std::string over_limit_;  // set when the header section crossed MaximumHeaders/-Bytes
  // Set when a signature was asked for by name ({signet_dksign}) and cannot
  // be made: On-InternalError decides, the message never leaves unsigned
  // without it.
  std::string sign_failure_;
  // Authentication-Results (and s/qmail's X-Authentication-Results) fields
  // seen so far, and the indexes of those that claim our authserv-id.
  struct ResultFields {
    int seen = 0;
    std::vector<int> ours;
  };
  ResultFields results_;
  ResultFields x_results_;
  Mode mode_ = Mode::none;
  std::vector<std::shared_ptr<const SigningKey>> keys_;
  std::string mode_note_;
  std::unique_ptr<MessageSigner> signer_;
  std::vector<std::unique_ptr<DomainKeysSigner>> dk_signers_;
  std::unique_ptr<MessageVerifier> verifier_;
  std::unique_ptr<DomainKeysVerifier> dk_verifier_;
  std::string internal_error_;
};

}  // namespace signet::milter
