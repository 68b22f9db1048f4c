#include "signet/verifier.h"

#include "engine/signature_check.h"
#include "signet/auth_results.h"

namespace signet {
namespace {

SignatureResult describeUnparsed(const HeaderField& field, const ParseError& error) {
  SignatureResult r;
  r.verdict = Verdict::permerror;
  r.problem = Problem::syntax;
  r.reason = "malformed signature: " + error.message();
  // Report d= and s= when they can be read at all, so the result names someone.
  if (auto tags = TagList::parse(field.value())) {
    if (auto d = tags->value("d")) r.domain = stripWhitespace(*d);
    if (auto s = tags->value("s")) r.selector = stripWhitespace(*s);
    if (auto a = tags->value("a")) r.algorithm = stripWhitespace(*a);
  }
  return r;
}

}  // namespace

MessageVerifier::MessageVerifier(const VerifierOptions& options) : options_(options) {}

void MessageVerifier::endOfHeaders() {
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    if (!headerNameEquals(headers_[i].name(), kDkimSignatureHeader)) continue;
    ++found_;
    if (pending_.size() >= options_.max_signatures) continue;
    Pending p{i, parseDkimSignature(headers_[i].value(), options_.tag_limits)};
    if (p.signature)
      p.body_index = bodies_.add(p.signature->canonicalization.body, hashOf(p.signature->algorithm),
                                 p.signature->body_length);
    pending_.push_back(std::move(p));
  }
}

std::vector<SignatureResult> MessageVerifier::finish() {
  bodies_.finish();
  std::vector<SignatureResult> results;
  std::vector<std::string> full_b;
  for (const auto& p : pending_) {
    results.push_back(check(p));
    full_b.push_back(p.signature ? p.signature->signature_text : std::string());
  }
  chooseSignaturePrefixes(results, full_b);
  return results;
}

SignatureResult MessageVerifier::check(const Pending& p) {
  const HeaderField& field = headers_[p.header_index];
  if (!p.signature) return describeUnparsed(field, p.signature.error());
  return checkSignature(options_, headers_, field, *p.signature, bodies_, p.body_index);
}

std::expected<std::vector<SignatureResult>, ParseError> verifyMessage(const VerifierOptions& options,
                                                                      std::string_view message) {
  MessageVerifier verifier(options);
  if (auto fed = feedMessage(verifier, message); !fed) return std::unexpected(fed.error());
  return verifier.finish();
}

}  // namespace signet
