#include <algorithm>

#include "engine/signing_support.h"
#include "signet/base64.h"
#include "signet/domainkeys.h"

namespace signet {
namespace {

constexpr std::size_t kLineWidth = 76;

std::string keyName(const DomainKeysSpec& spec) { return spec.selector + "._domainkey." + spec.domain; }

// The header that gives the sending address: the first Sender:, else the
// first From:; npos when there is neither.
std::size_t senderHeaderIndex(std::span<const HeaderField> headers) {
  for (std::string_view name : {"Sender", "From"})
    for (std::size_t i = 0; i < headers.size(); ++i)
      if (headerNameEquals(headers[i].name(), name)) return i;
  return std::string::npos;
}

// Builds a folded tag list: lines of at most kLineWidth columns, continued
// with CRLF HTAB.
class Folder {
 public:
  explicit Folder(std::string start) : text_(std::move(start)), column_(text_.size()) {}

  void newLine() {
    text_ += "\r\n\t";
    column_ = 8;
  }
  void word(std::string_view w) {
    if (column_ > 8 && column_ + 1 + w.size() > kLineWidth) newLine();
    else if (column_ > 8) put(" ");
    put(w);
  }
  // A value that may be broken anywhere (base64) or after a colon (h=).
  void breakable(std::string_view w, bool at_colons) {
    std::size_t i = 0;
    while (i < w.size()) {
      if (column_ >= kLineWidth) newLine();
      std::size_t take = std::min(w.size() - i, kLineWidth - column_);
      if (at_colons && i + take < w.size()) {
        const std::size_t colon = w.rfind(':', i + take - 1);
        if (colon != std::string_view::npos && colon >= i) take = colon + 1 - i;
        else if (column_ > 8) {
          newLine();
          continue;
        }
      }
      put(w.substr(i, take));
      i += take;
    }
  }
  void put(std::string_view s) {
    text_.append(s);
    column_ += s.size();
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t column_;
};

}  // namespace

Result<void> validate(const DomainKeysSpec& spec) {
  if (spec.domain.empty() || spec.selector.empty())
    return failure("a DomainKeys signing key needs a domain and a selector");
  if (!spec.key) return failure(keyName(spec) + ": no private key");
  if (spec.key->type() != KeyType::rsa) return failure(keyName(spec) + ": DomainKeys signs with RSA keys only");
  return {};
}

DomainKeysSigner::DomainKeysSigner(DomainKeysSpec spec) : spec_(std::move(spec)) {}
DomainKeysSigner::~DomainKeysSigner() = default;

void DomainKeysSigner::endOfHeaders() {
  if (auto ok = validate(spec_); !ok) {
    error_ = ok.error();
    return;
  }
  const std::string who = keyName(spec_);
  const std::size_t sender = senderHeaderIndex(headers_);
  if (sender == std::string::npos) {
    error_ = Error{who + ": no Sender or From header to take the sending address from"};
    return;
  }
  auto box = parseMailbox(headers_[sender].value());
  if (!box) {
    error_ = Error{who + ": the sending address in " + std::string(headers_[sender].name()) +
                   ": cannot be read (" + box.error().why + ")"};
    return;
  }
  if (!domainWithin(box->domain, spec_.domain)) {
    error_ = Error{who + ": the sending address's domain " + box->domain + " is neither d=" + spec_.domain +
                   " nor below it"};
    return;
  }
  // Signed: the sender header and all below it, and any field above it whose
  // name occurs below it (a verifier takes every occurrence of a listed name).
  std::vector<bool> chosen(headers_.size(), false);
  for (std::size_t i = sender; i < headers_.size(); ++i) chosen[i] = true;
  for (std::size_t i = 0; i < sender; ++i)
    for (std::size_t j = sender; j < headers_.size() && !chosen[i]; ++j)
      if (headerNameEquals(headers_[i].name(), headers_[j].name())) chosen[i] = true;
  const bool all = std::find(chosen.begin(), chosen.end(), false) == chosen.end();

  hash_ = std::make_unique<Hash>(HashAlgorithm::sha1);
  std::string data;
  for (std::size_t i = 0; i < headers_.size(); ++i) {
    if (!chosen[i]) continue;
    appendDomainKeysHeader(data, headers_[i].raw, spec_.canonicalization);
    if (!all || spec_.always_list_headers) header_list_.emplace_back(headers_[i].name());
  }
  hash_->update(data);
  body_ = makeDomainKeysBodyCanonicalizer(spec_.canonicalization, *hash_);
}

void DomainKeysSigner::addBody(std::span<const char> body) {
  if (body_) body_->update(body);
}

Result<std::string> DomainKeysSigner::finish(std::string_view line_end) {
  if (!hash_ && !error_) endOfHeaders();
  if (error_) return std::unexpected(*error_);
  body_->finish();
  const std::string digest = hash_->finish();
  auto signature = spec_.key->signHash(HashAlgorithm::sha1, digest);
  if (!signature) return failure(keyName(spec_) + ": " + signature.error().message);

  Folder field(std::string(kDomainKeySignatureHeader) + ":");
  field.word("a=rsa-sha1;");
  field.word("c=" + std::string(toString(spec_.canonicalization)) + ";");
  field.word("q=dns;");
  field.word("d=" + spec_.domain + ";");
  field.word("s=" + spec_.selector + ";");
  if (!header_list_.empty()) {
    std::string list;
    for (const auto& name : header_list_) list += (list.empty() ? "" : ":") + name;
    field.newLine();
    field.put("h=");
    field.breakable(list + ";", true);
  }
  field.newLine();
  field.put("b=");
  field.breakable(encodeBase64(*signature) + ";", false);
  return withLineEnds(field.text(), line_end);
}

}  // namespace signet
