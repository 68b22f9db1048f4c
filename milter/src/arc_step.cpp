#include "arc_step.h"

#include "arc_keys.h"
#include "posix_regex.h"
#include "signet/auth_results.h"

namespace signet::milter {
namespace {

// SealHeaderChecks (openarc.conf(5)): seal only when some instance of a
// named field matches its expression; a value that looks like a JSON list
// is matched string by string.
bool sealHeaderChecksAllow(const MilterConfig& config, std::span<const HeaderField> headers) {
  if (config.seal_header_checks.empty()) return true;
  for (const auto& [name, re] : config.seal_header_checks) {
    for (const auto& h : headers) {
      if (!headerNameEquals(h.name(), name)) continue;
      std::string value(h.value());
      const auto first = value.find_first_not_of(" \t");
      value = first == std::string::npos ? std::string() : value.substr(first);
      if (!value.starts_with("[")) {
        if (re.search(value)) return true;
        continue;
      }
      // A JSON list: each string in it.
      for (std::size_t i = value.find('"'); i != std::string::npos; i = value.find('"', i + 1)) {
        std::string item;
        for (++i; i < value.size() && value[i] != '"'; ++i) {
          if (value[i] == '\\' && i + 1 < value.size()) ++i;
          item += value[i];
        }
        if (re.search(item)) return true;
      }
    }
  }
  return false;
}

}  // namespace

void ArcStep::begin(const Engine& engine, const ArcFacts& facts, std::span<const HeaderField> headers) {
  reset();
  engine_ = &engine;
  facts_ = facts;
  const MilterConfig& config = *engine.config;
  bool seal = false;
  if (!config.final_receiver) {
    switch (config.arc_seal) {
      case ArcSealing::all:
        seal = true;
        break;
      case ArcSealing::outbound:
        seal = facts.signs;
        break;
      case ArcSealing::none:
        seal = config.arc_seal_by_internal && facts.internal;
        break;
    }
  }
  if (seal && !sealHeaderChecksAllow(config, headers)) {
    seal = false;
    note_ = "not sealed: no SealHeaderChecks match";
  }
  if (seal && engine.arc_keys) {
    auto key = engine.arc_keys->keyFor(facts.recipients, facts.from_address);
    if (!key) {
      seal_failure_ = "sealing key unusable: " + key.error();
      seal = false;
    } else if (!*key) {
      note_ = "not sealed: no sealing key for this message";
      seal = false;
    } else {
      key_ = *key;
    }
  }
  if (seal && !key_) seal = false;  // no sealing keys were loaded: nothing to seal with
  // OpenARC trusts what internal hosts say and validates everyone else.
  const bool validate =
      config.arc_validate && (facts.verifies || (config.openarc_dialect && !facts.internal));
  if (!validate && !seal) return;
  validator_ = std::make_unique<ArcValidator>(engine.verifier);
  if (seal) {
    ArcSealSpec spec;
    spec.domain = key_->domain;
    spec.selector = key_->selector;
    spec.key = key_->key;
    spec.algorithm = defaultAlgorithm(key_->key->type());
    spec.headers = config.arc_sign_headers;
    spec.oversign = config.arc_oversign_headers;
    spec.authserv_id = engine.authserv_id;
    spec.remote_ip = facts.remote_ip;
    spec.canonicalization = config.arc_canonicalization;
    sealer_ = std::make_unique<ArcSealer>(std::move(spec));
  }
  if (!validate) validate_quietly_ = true;
  for (const auto& h : headers) {
    validator_->addHeader(h);
    if (sealer_) sealer_->addHeader(h);
  }
  validator_->endOfHeaders();
  if (sealer_) sealer_->endOfHeaders();
}

void ArcStep::body(std::span<const char> chunk) {
  if (validator_) validator_->addBody(chunk);
  if (sealer_) sealer_->addBody(chunk);
}

ArcOutcome ArcStep::finish(std::span<const std::string> results, std::span<const std::string> new_fields) {
  ArcOutcome out;
  if (!engine_) return out;
  const MilterConfig& config = *engine_->config;
  if (!seal_failure_.empty()) {
    out.reply = decideInternalError(config, seal_failure_);
    out.log = "; not sealed: " + seal_failure_;
  }
  if (!validator_) {
    if (!note_.empty()) out.log += "; " + note_;
    return out;
  }
  ArcResult chain = validator_->finish();
  // An internal host's own arc= result stands (openarc.conf(5) InternalHosts),
  // and anyone's with PermitAuthenticationOverrides; but only over a chain
  // that exists: without ARC sets the new one is instance 1, cv=none.
  if (facts_.stated_arc && (facts_.internal || config.permit_authentication_overrides) && !chain.terminated &&
      chain.instances > 0) {
    chain.verdict = *facts_.stated_arc;
    if (chain.verdict == Verdict::pass) chain.reason.clear();
  }
  if (!validate_quietly_ && (chain.verdict != Verdict::none || config.arc_report_none)) {
    out.resinfo = renderArcResinfo(chain, facts_.remote_ip);
    out.log += "; " + *out.resinfo;
  }
  if (!validate_quietly_ && chain.verdict == Verdict::fail && config.on_arc_fail != Action::accept)
    out.reply = decideArcChain(config, chain);
  if (!sealer_) {
    if (!note_.empty()) out.log += "; " + note_;
    return out;
  }
  for (auto it = new_fields.rbegin(); it != new_fields.rend(); ++it) sealer_->prependHeader(HeaderField{*it});
  sealer_->setResults(std::vector<std::string>(results.begin(), results.end()));
  auto sealed = sealer_->finish(chain, "\r\n");
  if (!sealed) {
    out.reply = decideInternalError(config, "sealing failed: " + sealed.error().message);
    out.log += "; sealing failed: " + sealed.error().message;
    return out;
  }
  if (sealed->fields.empty()) {
    out.log += "; not sealed: " + sealed->skipped;
    // A seal that was due and could not be made for a DNS error: On-DNSError decides.
    if (chain.verdict == Verdict::temperror && !out.reply) out.reply = decideArcDnsError(config);
    return out;
  }
  out.seal = std::move(sealed->fields);
  out.log += "; sealed i=" + std::to_string(sealed->instance) + " cv=" + std::string(toString(sealed->cv)) +
             " d=" + key_->domain + " s=" + key_->selector;
  return out;
}

void ArcStep::reset() {
  engine_ = nullptr;
  facts_ = {};
  validator_.reset();
  sealer_.reset();
  key_.reset();
  seal_failure_.clear();
  note_.clear();
  validate_quietly_ = false;
}

}  // namespace signet::milter
