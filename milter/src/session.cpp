#include "session.h"

#include "signet/address.h"
#include "signet/auth_results.h"

namespace signet::milter {
namespace {

// Libmilter gives folded values with LF; the signed message has CRLF.
std::string rawField(std::string_view name, std::string_view value) {
  std::string raw(name);
  raw.push_back(':');
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r')) raw.push_back('\r');
    raw.push_back(value[i]);
  }
  return raw;
}

// "Name: value\r\n\tmore" as libmilter wants it: name, and the value with
// its leading space and LF line ends.
HeaderInsert toInsert(std::string_view field) {
  const std::size_t colon = field.find(':');
  HeaderInsert h{std::string(field.substr(0, colon)), {}};
  for (std::size_t i = colon + 1; i < field.size(); ++i)
    if (field[i] != '\r') h.value.push_back(field[i]);
  return h;
}

// The authserv-id of an Authentication-Results value (RFC 8601 section 2.2):
// the first value after optional CFWS (comments skipped, nested), a token or
// a quoted string.
std::string authservIdOf(std::string_view v) {
  std::size_t i = 0;
  for (;;) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n')) ++i;
    if (i >= v.size() || v[i] != '(') break;
    int depth = 0;
    for (; i < v.size(); ++i) {
      if (v[i] == '\\') ++i;
      else if (v[i] == '(') ++depth;
      else if (v[i] == ')' && --depth == 0) {
        ++i;
        break;
      }
    }
  }
  std::string id;
  if (i < v.size() && v[i] == '"') {
    for (++i; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      id.push_back(v[i]);
    }
    return id;
  }
  for (; i < v.size(); ++i) {
    const char c = v[i];
    if (c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(') break;
    id.push_back(c);
  }
  return id;
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

}  // namespace

void Session::connect(std::string_view client_name, const sockaddr* client_address) {
  client_name_ = std::string(client_name);
  const auto engine = engines_.get();
  internal_client_ = client_address ? matches(engine->config->internal_hosts, client_address, client_name) : false;
}

void Session::mailFrom(Envelope envelope) {
  abortMessage();
  engine_ = engines_.get();
  envelope_ = std::move(envelope);
}

void Session::header(std::string_view name, std::string_view value) {
  if (!engine_) engine_ = engines_.get();
  if (headerNameEquals(name, "Authentication-Results")) {
    ++results_seen_;
    if (claimsOurAuthservId(value)) our_results_.push_back(results_seen_);
  }
  headers_.push_back(HeaderField{rawField(name, value)});
}

bool Session::claimsOurAuthservId(std::string_view value) const {
  return headerNameEquals(authservIdOf(value), engine_->authserv_id);
}

void Session::chooseMode() {
  const MilterConfig& config = *engine_->config;
  const bool may_sign = config.mode.find('s') != std::string::npos;
  const bool may_verify = config.mode.find('v') != std::string::npos;
  bool listed_mta = false;
  for (const auto& name : config.mta_names)
    if (!envelope_.daemon_name.empty() && name == envelope_.daemon_name) listed_mta = true;
  const bool authenticated = !envelope_.auth_authen.empty() || !envelope_.auth_type.empty();
  mode_ = Mode::none;
  if (may_sign && (internal_client_ || authenticated || listed_mta)) {
    std::string address;
    const std::string domain = fromDomainOf(headers_, &address);
    if (!envelope_.dksign.empty()) {
      auto key = engine_->keys->keyForPath(envelope_.dksign, domain);
      if (key) keys_.push_back(*key);
      else mode_note_ = "DKSIGN key refused: " + key.error();
    } else if (!domain.empty()) {
      auto keys = engine_->keys->tryKeysFor(address);
      if (keys) keys_ = std::move(*keys);
      else mode_note_ = "signing key unusable: " + keys.error();
    }
    if (!keys_.empty()) {
      mode_ = Mode::sign;
      return;
    }
    if (mode_note_.empty())
      mode_note_ = domain.empty() ? "no From address to sign for" : "no key for " + domain;
  }
  if (may_verify) mode_ = Mode::verify;
}

void Session::endOfHeaders() {
  if (!engine_) engine_ = engines_.get();
  chooseMode();
  const MilterConfig& config = *engine_->config;
  if (mode_ == Mode::sign) {
    std::vector<SignatureSpec> specs;
    for (const auto& key : keys_) {
      SignatureSpec spec;
      spec.domain = key->domain;
      spec.selector = key->selector;
      spec.key = key->key;
      spec.algorithm = key->key->type() == KeyType::ed25519 ? SigningAlgorithm::ed25519_sha256
                                                            : config.signature_algorithm;
      if (keyTypeOf(spec.algorithm) != key->key->type()) spec.algorithm = SigningAlgorithm::rsa_sha256;
      spec.canonicalization = config.canonicalization;
      spec.headers = config.sign_headers;
      spec.oversign = config.oversign_headers;
      spec.body_length = config.body_length;
      spec.expire_after = config.signature_ttl;
      spec.identity = key->identity;
      specs.push_back(std::move(spec));
    }
    signer_ = std::make_unique<MessageSigner>(std::move(specs));
    for (auto& h : headers_) signer_->addHeader(h);
    signer_->endOfHeaders();
  } else if (mode_ == Mode::verify) {
    verifier_ = std::make_unique<MessageVerifier>(engine_->verifier);
    for (auto& h : headers_) verifier_->addHeader(h);
    verifier_->endOfHeaders();
  }
}

void Session::body(std::span<const char> chunk) {
  if (signer_) signer_->addBody(chunk);
  if (verifier_) verifier_->addBody(chunk);
}

Outcome Session::endOfMessage(std::string_view queue_id_at_end) {
  if (!engine_) engine_ = engines_.get();
  std::string queue_id(queue_id_at_end.empty() ? std::string_view(envelope_.queue_id) : queue_id_at_end);
  if (queue_id.empty()) queue_id = "NOQUEUE";
  if (!signer_ && !verifier_ && mode_ == Mode::none) endOfHeaders();  // a message with no header break
  Outcome out;
  if (mode_ == Mode::sign) out = finishSigning(queue_id);
  else if (mode_ == Mode::verify) out = finishVerifying(queue_id);
  else out.log_line = std::string(queue_id) + ": not signed or verified" + (mode_note_.empty() ? "" : " (" + mode_note_ + ")");
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
  out.log_line = std::string(queue_id) + ": signed";
  for (std::size_t i = 0; i < fields->size(); ++i) {
    out.inserts.push_back(toInsert((*fields)[i]));
    out.log_line += " d=" + keys_[i]->domain + " s=" + keys_[i]->selector + " (" + keys_[i]->name + ")";
  }
  return out;
}

Outcome Session::finishVerifying(std::string_view queue_id) {
  Outcome out;
  const std::vector<SignatureResult> results = verifier_->finish();
  out.reply = decideVerification(*engine_->config, results);
  out.inserts.push_back(toInsert(renderAuthenticationResults(engine_->authserv_id, results, "\r\n")));
  if (engine_->config->remove_old_results)
    out.remove_authentication_results.assign(our_results_.rbegin(), our_results_.rend());
  out.log_line = std::string(queue_id) + ": verified";
  if (results.empty()) out.log_line += " no signature";
  for (const auto& r : results) out.log_line += "; " + renderResinfo(r);
  if (verifier_->signaturesIgnored() > 0)
    out.log_line += "; " + std::to_string(verifier_->signaturesIgnored()) + " more signature(s) not checked";
  if (!mode_note_.empty()) out.log_line += " (" + mode_note_ + ")";
  out.log_line += "; action " + std::string(toString(out.reply.action)) + " (" + out.reply.why + ")";
  return out;
}

void Session::abortMessage() {
  headers_.clear();
  our_results_.clear();
  results_seen_ = 0;
  mode_ = Mode::none;
  keys_.clear();
  mode_note_.clear();
  signer_.reset();
  verifier_.reset();
  engine_.reset();
}

}  // namespace signet::milter
