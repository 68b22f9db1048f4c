#include "session.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "signet/address.h"
#include "signet/arc.h"
#include "signet/auth_results.h"

namespace signet::milter {
namespace {

// Libmilter gives folded values with LF; the signed message has CRLF.
// Copies runs between line ends whole (this runs for every header field).
std::string rawField(std::string_view name, std::string_view value) {
  std::string raw;
  raw.reserve(name.size() + 1 + value.size() + 8);
  raw.append(name);
  raw.push_back(':');
  std::size_t from = 0;
  for (std::size_t lf = value.find('\n'); lf != std::string_view::npos; lf = value.find('\n', lf + 1)) {
    if (lf > 0 && value[lf - 1] == '\r') continue;
    raw.append(value.substr(from, lf - from));
    raw.append("\r");
    from = lf;
  }
  raw.append(value.substr(from));
  return raw;
}

// "Name: value\r\n\tmore" as libmilter wants it: name, and the value with
// its leading space and LF line ends.
HeaderInsert toInsert(std::string_view field) {
  const std::size_t colon = field.find(':');
  HeaderInsert h{std::string(field.substr(0, colon)), {}};
  const std::string_view value = field.substr(colon + 1);
  h.value.reserve(value.size());
  std::size_t from = 0;
  for (std::size_t cr = value.find('\r'); cr != std::string_view::npos; cr = value.find('\r', from)) {
    h.value.append(value.substr(from, cr - from));
    from = cr + 1;
  }
  h.value.append(value.substr(from));
  return h;
}

std::string fromDomainOf(const std::vector<HeaderField>& headers, std::string* address) {
  for (const auto& h : headers) {
    if (!headerNameEquals(h.name(), "From")) continue;
    auto mailbox = parseMailbox(h.value());
    if (!mailbox) return {};
    if (address) *address = mailbox->address();
    return mailbox->domain;
  }
  return {};
}

std::string addressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (!address) return {};
  if (address->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  else if (address->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  return text;
}

// The resinfos of the Authentication-Results values given, and the arc=
// result among them, if one says pass, fail or none.
std::optional<Verdict> statedArc(std::span<const std::string> values, std::vector<std::string>& resinfos) {
  std::optional<Verdict> arc;
  for (const auto& value : values) {
    auto parsed = parseAuthenticationResultsValue(value);
    if (!parsed) continue;
    for (auto& resinfo : parsed->resinfos) {
      const std::string lower = toLower(resinfo);
      if (lower.starts_with("arc=")) {
        const std::string word = lower.substr(4, lower.find_first_of(" \t\r\n(;", 4) - 4);
        if (word == "pass")
          arc = Verdict::pass;
        else if (word == "fail")
          arc = Verdict::fail;
        else if (word == "none")
          arc = Verdict::none;
        continue;  // the seal writes its own arc=
      }
      resinfos.push_back(std::move(resinfo));
    }
  }
  return arc;
}

}  // namespace

void Session::connect(std::string_view client_name, const sockaddr* client_address) {
  client_name_ = std::string(client_name);
  remote_ip_ = addressText(client_address);
  const auto engine = engines_.get();
  peer_ = client_address ? matches(engine->config->peer_list, client_address, client_name) : false;
  internal_client_ =
      client_address ? matches(engine->config->internal_hosts, client_address, client_name) : false;
  ignored_external_ =
      client_address ? matches(engine->config->external_ignore, client_address, client_name) : false;
}

void Session::mailFrom(Envelope envelope) {
  abortMessage();
  engine_ = engines_.get();
  envelope_ = std::move(envelope);
}

void Session::recipient(std::string_view address) {
  constexpr std::size_t kMaxRecipients = 1000;  // only the first ones pick a sealing key
  std::string_view a = address;
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') a = a.substr(1, a.size() - 2);
  if (recipients_.size() < kMaxRecipients && !a.empty() && a.size() <= 1003) recipients_.emplace_back(a);
}

void Session::header(std::string_view name, std::string_view value) {
  if (!engine_) engine_ = engines_.get();
  // Past a limit nothing more is kept: the message is neither signed nor
  // verified, and On-InternalError decides at end of message.
  if (!over_limit_.empty()) return;
  const MilterConfig& config = *engine_->config;
  header_bytes_ += name.size() + value.size() + 3;
  if (headers_.size() >= config.maximum_headers) {
    over_limit_ = "more than " + std::to_string(config.maximum_headers) + " header fields (MaximumHeaders)";
  } else if (header_bytes_ > config.maximum_header_bytes) {
    over_limit_ = "header section larger than " + std::to_string(config.maximum_header_bytes) +
                  " bytes (MaximumHeaderBytes)";
  }
  if (!over_limit_.empty()) {
    headers_.clear();
    headers_.shrink_to_fit();
    return;
  }
  ResultFields* results = headerNameEquals(name, "Authentication-Results")     ? &results_
                          : headerNameEquals(name, "X-Authentication-Results") ? &x_results_
                                                                               : nullptr;
  if (results) {
    ++results->seen;
    if (claimsOurAuthservId(value)) {
      if (results == &results_)
        ours_.push_back(OurResults{std::string(value), results->seen, !seen_received_});
      results->ours.push_back(results->seen);
    }
  }
  if (headerNameEquals(name, "Received")) seen_received_ = true;
  headers_.push_back(HeaderField{rawField(name, value)});
}

bool Session::claimsOurAuthservId(std::string_view value) const {
  return headerNameEquals(readAuthservId(value).id, engine_->authserv_id);
}

void Session::chooseMode() {
  const MilterConfig& config = *engine_->config;
  const bool may_sign = config.mode.find('s') != std::string::npos;
  const bool may_verify = config.mode.find('v') != std::string::npos;
  bool listed_mta = false;
  for (const auto& name : config.mta_names)
    if (!envelope_.daemon_name.empty() && name == envelope_.daemon_name) listed_mta = true;
  const bool authenticated = !envelope_.auth_authen.empty() || !envelope_.auth_type.empty();
  // qmail-signet says what it decided (qmail-dk's RELAYCLIENT and DKSIGN
  // rules); that decision stands over InternalHosts, MTA and SMTP AUTH.
  const bool shim_signs = envelope_.qmail_mode == "sign";
  const bool shim_verifies = envelope_.qmail_mode == "verify";
  mode_ = Mode::none;
  why_ = shim_signs         ? "qmail-signet: sign"
         : shim_verifies    ? "qmail-signet: verify"
         : internal_client_ ? "internal client"
         : authenticated    ? "authenticated client"
         : listed_mta       ? "MTA " + envelope_.daemon_name
                            : "external client " + client_name_;
  const bool allowed = shim_signs || (!shim_verifies && (internal_client_ || authenticated || listed_mta));
  trusted_ = allowed;
  if (may_sign && allowed) {
    std::string address;
    const std::string domain = fromDomainOf(headers_, &address);
    if (!envelope_.dksign.empty()) {
      auto key = engine_->keys->keyForPath(envelope_.dksign, domain);
      if (key) {
        keys_.push_back(*key);
      } else if (envelope_.dksign.find('%') != std::string::npos &&
                 key.error().starts_with(KeyStore::kKeyPathMissing)) {
        mode_note_ = "DKSIGN: " + key.error();  // as qmail-dk: no key for this domain, not signed
      } else {
        sign_failure_ = "DKSIGN key refused: " + key.error();
        return;
      }
    } else if (!domain.empty()) {
      auto keys = engine_->keys->tryKeysFor(address);
      if (keys)
        keys_ = std::move(*keys);
      else
        mode_note_ = "signing key unusable: " + keys.error();
    }
    if (!keys_.empty()) {
      mode_ = Mode::sign;
      return;
    }
    if (mode_note_.empty())
      mode_note_ = domain.empty() ? "no From address to sign for" : "no key for " + domain;
  }
  if (may_verify) mode_ = Mode::verify;
  // As OpenDKIM: mail from outside that claims a domain we sign for is worth
  // a word in the log, unless the host is in ExternalIgnoreList.
  if (!internal_client_ && !authenticated && !listed_mta && !ignored_external_ && may_sign) {
    std::string address;
    const std::string domain = fromDomainOf(headers_, &address);
    if (!domain.empty() && !engine_->keys->keysFor(address).empty())
      mode_note_ = "external host " + client_name_ + " sent mail as " + domain;
  }
}

void Session::startSigning() {
  const MilterConfig& config = *engine_->config;
  std::vector<SignatureSpec> specs;
  for (const auto& key : keys_) {
    SignatureSpec spec;
    spec.domain = key->domain;
    spec.selector = key->selector;
    spec.key = key->key;
    spec.algorithm =
        key->key->type() == KeyType::ed25519 ? SigningAlgorithm::ed25519_sha256 : config.signature_algorithm;
    if (keyTypeOf(spec.algorithm) != key->key->type()) spec.algorithm = SigningAlgorithm::rsa_sha256;
    spec.canonicalization = config.canonicalization;
    spec.headers = config.sign_headers;
    spec.oversign = config.oversign_headers;
    spec.body_length = config.body_length;
    spec.expire_after = config.signature_ttl;
    spec.identity = key->identity;
    specs.push_back(std::move(spec));
    if (config.domainkeys_sign && key->key->type() == KeyType::rsa) {
      DomainKeysSpec dk;
      dk.domain = key->domain;
      dk.selector = key->selector;
      dk.key = key->key;
      dk.canonicalization = config.domainkeys_canonicalization == "simple"
                                ? DomainKeysCanonicalization::simple
                                : DomainKeysCanonicalization::nofws;
      dk_signers_.push_back(std::make_unique<DomainKeysSigner>(std::move(dk)));
    }
  }
  signer_ = std::make_unique<MessageSigner>(std::move(specs));
  for (auto& h : headers_) {
    signer_->addHeader(h);
    for (auto& dk : dk_signers_) dk->addHeader(h);
  }
  signer_->endOfHeaders();
  for (auto& dk : dk_signers_) dk->endOfHeaders();
}

void Session::endOfHeaders() {
  if (!engine_) engine_ = engines_.get();
  headers_ended_ = true;
  if (!over_limit_.empty()) return;
  if (peer_) {  // PeerList: neither signed, verified nor sealed
    mode_ = Mode::none;
    mode_note_ = "client in PeerList";
    return;
  }
  chooseMode();
  startArc();
  if (mode_ == Mode::sign) {
    startSigning();
  } else if (mode_ == Mode::verify) {
    verifier_ = std::make_unique<MessageVerifier>(engine_->verifier);
    dk_verifier_ = std::make_unique<DomainKeysVerifier>(engine_->verifier);
    for (auto& h : headers_) {
      verifier_->addHeader(h);
      dk_verifier_->addHeader(h);
    }
    verifier_->endOfHeaders();
    dk_verifier_->endOfHeaders();
  }
}

void Session::startArc() {
  if (!sign_failure_.empty()) return;
  ArcFacts facts;
  facts.internal = internal_client_;
  facts.signs = trusted_;
  facts.verifies = mode_ == Mode::verify;
  facts.remote_ip = remote_ip_;
  facts.recipients = recipients_;
  fromDomainOf(headers_, &facts.from_address);
  // Our Authentication-Results fields written on this host: from a client
  // we trust (local injection, a forward re-injected), all of them, since
  // forged ones were removed when the mail came in; from anyone else, those
  // above the first Received (milters before us). Without a Received field
  // nothing is known to be local.
  for (const auto& r : ours_)
    if (trusted_ || (r.above_received && seen_received_)) {
      local_results_.push_back(r.value);
      local_result_indexes_.push_back(r.index);
    }
  std::vector<std::string> ignored;
  facts.stated_arc = statedArc(local_results_, ignored);
  arc_.begin(*engine_, facts, headers_);
}

ArcOutcome Session::runArc(std::span<const std::string> own, std::span<const std::string> signatures) {
  if (!arc_.active() && !arc_.seals()) return arc_.finish({}, {});  // only a seal that could not start
  std::vector<std::string> results;
  statedArc(local_results_, results);
  for (const auto& resinfo : own)  // a forward's own dkim=none repeats the reception's
    if (std::find(results.begin(), results.end(), resinfo) == results.end()) results.push_back(resinfo);
  return arc_.finish(results, signatures);
}

void Session::placeArc(Outcome& out, ArcOutcome arc, bool listed) {
  out.log_line += arc.log;
  if (arc.reply && out.reply.action == Action::accept) out.reply = *arc.reply;
  // The ARC set goes on top of everything this message gets.
  std::vector<HeaderInsert> inserts;
  for (const auto& field : arc.seal) inserts.push_back(toInsert(field));
  if (arc.resinfo && !listed)
    inserts.push_back(toInsert(renderAuthenticationResultsField(
        engine_->authserv_id, std::vector<std::string>{*arc.resinfo}, "\r\n")));
  inserts.insert(inserts.end(), out.inserts.begin(), out.inserts.end());
  out.inserts = std::move(inserts);
  // What this host wrote before us is kept when it is sealed along.
  if (!arc.seal.empty())
    std::erase_if(out.removals, [this](const HeaderRemoval& r) {
      return r.name == "Authentication-Results" &&
             std::find(local_result_indexes_.begin(), local_result_indexes_.end(), r.index) !=
                 local_result_indexes_.end();
    });
}

void Session::body(std::span<const char> chunk) {
  arc_.body(chunk);
  if (signer_) signer_->addBody(chunk);
  for (auto& dk : dk_signers_) dk->addBody(chunk);
  if (verifier_) verifier_->addBody(chunk);
  if (dk_verifier_) dk_verifier_->addBody(chunk);
}

Outcome Session::endOfMessage(std::string_view queue_id_at_end) {
  if (!engine_) engine_ = engines_.get();
  std::string queue_id(queue_id_at_end.empty() ? std::string_view(envelope_.queue_id) : queue_id_at_end);
  if (queue_id.empty()) queue_id = "NOQUEUE";
  if (!headers_ended_) endOfHeaders();  // a message with no header break
  Outcome out;
  if (!over_limit_.empty()) {
    out.reply = decideInternalError(*engine_->config, over_limit_);
    out.log_line = queue_id + ": not signed or verified: " + over_limit_ + "; " +
                   std::string(toString(out.reply.action));
  } else if (!sign_failure_.empty()) {
    out.reply = decideInternalError(*engine_->config, sign_failure_);
    out.log_line = queue_id + ": not signed: " + sign_failure_ + "; On-InternalError " +
                   std::string(toString(out.reply.action));
  } else if (mode_ == Mode::sign)
    out = finishSigning(queue_id);
  else if (mode_ == Mode::verify)
    out = finishVerifying(queue_id);
  else {
    out.log_line = std::string(queue_id) + ": not signed or verified" +
                   (mode_note_.empty() ? "" : " (" + mode_note_ + ")") +
                   (engine_->config->log_why ? " (" + why_ + ")" : "");
    placeArc(out, runArc({}, {}), false);
  }
  abortMessage();
  return out;
}

Outcome Session::finishSigning(std::string_view queue_id) {
  Outcome out;
  auto fields = signer_->finish("\r\n");
  if (!fields) {
    out.reply = decideInternalError(*engine_->config, fields.error().message);
    out.log_line = std::string(queue_id) + ": signing failed: " + fields.error().message + "; " +
                   std::string(toString(out.reply.action));
    return out;
  }
  // DKIM signatures above, the DomainKey-Signature next to the header
  // fields it covers.
  // A DomainKey-Signature that cannot be made (e.g. the Sender's domain is
  // outside the key's d=) is left out; the DKIM signatures still go.
  std::vector<std::string> dk_fields;
  std::string dk_skipped;
  for (auto& dk : dk_signers_) {
    auto field = dk->finish("\r\n");
    if (field)
      dk_fields.push_back(std::move(*field));
    else
      dk_skipped += "; no DomainKey-Signature: " + field.error().message;
  }
  out.log_line = std::string(queue_id) + ": signed";
  if (engine_->config->log_why) out.log_line += " (" + why_ + ")";
  for (std::size_t i = 0; i < fields->size(); ++i) {
    out.inserts.push_back(toInsert((*fields)[i]));
    out.log_line += " d=" + keys_[i]->domain + " s=" + keys_[i]->selector + " (" + keys_[i]->name + ")";
  }
  for (const auto& field : dk_fields) out.inserts.push_back(toInsert(field));
  if (!dk_fields.empty()) out.log_line += "; " + std::to_string(dk_fields.size()) + " DomainKey-Signature(s)";
  out.log_line += dk_skipped;
  std::vector<std::string> added = *fields;
  added.insert(added.end(), dk_fields.begin(), dk_fields.end());
  placeArc(out, runArc({}, added), false);
  return out;
}

Outcome Session::finishVerifying(std::string_view queue_id) {
  Outcome out;
  const MilterConfig& config = *engine_->config;
  std::vector<SignatureResult> results = verifier_->finish();
  const std::vector<DomainKeysResult> dk_results = dk_verifier_->finish();
  const std::size_t dkim_count = results.size();
  for (const auto& r : dk_results) results.push_back(r.result);
  std::string letters_note;
  if (auto strict = letterPolicy(std::span(results).first(dkim_count), dk_results, letters_note))
    out.reply = *strict;
  else
    out.reply = decideVerification(config, results);
  // One Authentication-Results field: each signature's result (dkim=none
  // without any), then the chain's arc= when there is one.
  std::vector<std::string> resinfos;
  for (const auto& r : results) resinfos.push_back(renderResinfo(r));
  if (resinfos.empty()) resinfos.emplace_back("dkim=none");
  ArcOutcome arc = runArc(resinfos, {});
  std::vector<std::string> listed = resinfos;
  if (arc.resinfo) listed.push_back(*arc.resinfo);
  const HeaderInsert results_field =
      toInsert(renderAuthenticationResultsField(engine_->authserv_id, listed, "\r\n"));
  out.inserts.push_back(results_field);
  // s/qmail's annotation: the same results under its X- name.
  if (config.x_authentication_results)
    out.inserts.push_back(HeaderInsert{"X-Authentication-Results", results_field.value});
  const bool letters = !envelope_.dkverify.empty() || !config.dkverify.empty();
  if (config.domainkey_status && (!dk_results.empty() || letters))
    out.inserts.push_back(HeaderInsert{"DomainKey-Status", " " + domainKeyStatus(dk_results)});
  // RFC 8601 section 5: what claims to come from us and did not is removed.
  // X-Authentication-Results too when we add it, since whoever reads ours
  // reads a forged one the same way.
  const auto remove = [&out](const char* name, const ResultFields& fields) {
    for (auto it = fields.ours.rbegin(); it != fields.ours.rend(); ++it)
      out.removals.push_back(HeaderRemoval{name, *it});
  };
  if (config.remove_old_results) {
    remove("Authentication-Results", results_);
    if (config.x_authentication_results) remove("X-Authentication-Results", x_results_);
  }
  out.log_line = std::string(queue_id) + ": verified";
  if (config.log_why) out.log_line += " (" + why_ + ")";
  if (results.empty()) out.log_line += " no signature";
  for (std::size_t i = 0; i < results.size(); ++i) out.log_line += "; " + resinfos[i];
  const std::size_t ignored = verifier_->signaturesIgnored() + dk_verifier_->signaturesIgnored();
  if (ignored > 0) out.log_line += "; " + std::to_string(ignored) + " more signature(s) not checked";
  if (!mode_note_.empty()) out.log_line += " (" + mode_note_ + ")";
  if (!letters_note.empty()) out.log_line += "; " + letters_note;
  placeArc(out, std::move(arc), true);
  out.log_line += "; action " + std::string(toString(out.reply.action)) + " (" + out.reply.why + ")";
  return out;
}

std::optional<Reply> Session::letterPolicy(std::span<const SignatureResult> dkim,
                                           std::span<const DomainKeysResult> domainkeys,
                                           std::string& note) const {
  std::string letters = envelope_.dkverify.empty() ? engine_->config->dkverify : envelope_.dkverify;
  if (letters.empty()) return std::nullopt;
  auto policy = DkVerifyPolicy::parse(letters);
  if (!policy) {
    // A malformed macro does not switch the configured letters off.
    note = "{signet_dkverify} ignored: " + policy.error().message();
    letters = engine_->config->dkverify;
    if (letters.empty()) return std::nullopt;
    policy = DkVerifyPolicy::parse(letters);
    if (!policy) return std::nullopt;
    note += "; ";
  }
  std::vector<DkStatus> statuses;
  for (const auto& r : dkim) statuses.push_back(dkimStatus(r));
  for (const auto& r : domainkeys) statuses.push_back(policyStatus(r));
  const DkVerifyDecision decision = policy->decide(statuses);
  note += "DKVERIFY " + letters + ": " + std::string(1, letterOf(decision.status)) + " " +
          std::string(toString(decision.status));
  if (decision.action == DkVerifyAction::accept) return std::nullopt;
  Reply reply;
  const bool permanent = decision.action == DkVerifyAction::reject_permanent;
  reply.action = permanent ? Action::reject : Action::tempfail;
  reply.rcode = permanent ? "554" : "451";
  reply.xcode = permanent ? "5.7.1" : "4.7.5";
  reply.text = "DomainKeys/DKIM status " + std::string(domainKeyStatusText(decision.status)) + " (" +
               std::string(toString(decision.status)) + ")";
  reply.why =
      "DKVERIFY letter " + std::string(1, permanent ? letterOf(decision.status)
                                                    : static_cast<char>(letterOf(decision.status) + 32));
  return reply;
}

void Session::abortMessage() {
  headers_ended_ = false;
  arc_.reset();
  recipients_.clear();
  seen_received_ = false;
  local_results_.clear();
  local_result_indexes_.clear();
  ours_.clear();
  trusted_ = false;
  headers_.clear();
  header_bytes_ = 0;
  over_limit_.clear();
  sign_failure_.clear();
  results_ = {};
  x_results_ = {};
  mode_ = Mode::none;
  keys_.clear();
  mode_note_.clear();
  signer_.reset();
  dk_signers_.clear();
  verifier_.reset();
  dk_verifier_.reset();
  engine_.reset();
}

}  // namespace signet::milter
