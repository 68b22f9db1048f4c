#include "signet/signer.h"

#include <array>
#include <ctime>

#include "signet/base64.h"
#include "signet/header_hash.h"

namespace signet {
namespace {

constexpr std::array<std::string_view, 26> kDefaultHeaders = {
    "From",        "Reply-To",   "Subject",         "Date",        "To",
    "Cc",          "Resent-Date", "Resent-From",    "Resent-To",   "Resent-Cc",
    "In-Reply-To", "References", "List-Id",         "List-Help",   "List-Unsubscribe",
    "List-Subscribe", "List-Post", "List-Owner",    "List-Archive", "Message-ID",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID",
    "Content-Description", "Sender"};

constexpr std::size_t kLineWidth = 76;

// Appends "tag=value;" to a folded header, breaking the line first when it
// would grow past the width.
class FoldedTags {
 public:
  explicit FoldedTags(std::string start) : text_(std::move(start)), line_length_(text_.size()) {}

  void add(std::string_view tag, std::string_view value, bool last = false) {
    const std::size_t size = tag.size() + 1 + value.size() + (last ? 0 : 1);
    if (line_length_ + 1 + size > kLineWidth) newLine();
    else {
      text_ += ' ';
      ++line_length_;
    }
    text_.append(tag).append("=").append(value);
    if (!last) text_ += ';';
    line_length_ += size;
  }

  // A colon list (h=) broken at colons when long.
  void addList(std::string_view tag, const std::vector<std::string>& items) {
    newLine();
    text_.append(tag).append("=");
    line_length_ += tag.size() + 1;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string piece = items[i] + (i + 1 < items.size() ? ":" : ";");
      if (line_length_ + piece.size() > kLineWidth) newLine();
      text_ += piece;
      line_length_ += piece.size();
    }
  }

  // A base64 value on lines of its own.
  void addBase64(std::string_view tag, std::string_view value, bool last) {
    newLine();
    text_.append(tag).append("=");
    line_length_ += tag.size() + 1;
    for (std::size_t i = 0; i < value.size();) {
      if (line_length_ >= kLineWidth) newLine();
      const std::size_t take = std::min(value.size() - i, kLineWidth - line_length_);
      text_.append(value.substr(i, take));
      line_length_ += take;
      i += take;
    }
    if (!last) text_ += ';';
  }

  void newLine() {
    text_ += "\r\n\t";
    line_length_ = 1;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t line_length_;
};

// The h= list. Named headers go in literally, in the order given; the default
// list signs each instance present. Oversigned names get one more entry.
std::vector<std::string> headerNamesToSign(const SignatureSpec& spec, std::span<const HeaderField> headers) {
  std::vector<std::string_view> present_names;  // each field's name, found once
  present_names.reserve(headers.size());
  for (const auto& h : headers) present_names.push_back(h.name());
  auto count = [&](std::string_view name) {
    std::size_t n = 0;
    for (std::string_view present : present_names)
      if (headerNameEquals(present, name)) ++n;
    return n;
  };
  std::vector<std::string> names;
  if (!spec.headers.empty()) {
    names = spec.headers;
  } else {
    for (std::string_view name : kDefaultHeaders)
      for (std::size_t i = count(name); i > 0; --i) names.emplace_back(name);
  }
  // RFC 6376 section 5.4: From must always be signed, even when absent.
  bool has_from = false;
  for (const auto& n : names)
    if (headerNameEquals(n, "From")) has_from = true;
  if (!has_from) names.emplace_back("From");
  for (const auto& name : spec.oversign) {
    std::size_t listed = 0;
    for (const auto& n : names)
      if (headerNameEquals(n, name)) ++listed;
    const std::size_t present = count(name);
    if (present == 0 && listed == 0) continue;
    // One entry more than there are instances, so none can be added.
    for (std::size_t i = listed; i <= present; ++i) names.push_back(name);
  }
  return names;
}

}  // namespace

std::span<const std::string_view> defaultSignedHeaders() { return kDefaultHeaders; }

std::int64_t systemClock() { return static_cast<std::int64_t>(std::time(nullptr)); }

Result<void> validate(const SignatureSpec& spec) {
  const std::string who = spec.selector + "._domainkey." + spec.domain;
  if (spec.domain.empty() || spec.selector.empty()) return failure("a signing key needs a domain and a selector");
  if (!spec.key) return failure(who + ": no private key");
  if (spec.key->type() != keyTypeOf(spec.algorithm))
    return failure(who + ": a " + std::string(toString(spec.key->type())) + " key cannot sign " +
                   std::string(toString(spec.algorithm)));
  if (spec.key->type() == KeyType::rsa && spec.key->bits() < 1024)
    return failure(who + ": a " + std::to_string(spec.key->bits()) +
                   "-bit RSA key is too short to sign with (RFC 8301 asks for at least 1024, better 2048)");
  if (!spec.identity.empty() && !identityWithinDomain(spec.identity, spec.domain))
    return failure(who + ": identity " + spec.identity + " is not within " + spec.domain);
  return {};
}

MessageSigner::MessageSigner(std::vector<SignatureSpec> specs, Clock clock)
    : specs_(std::move(specs)), clock_(std::move(clock)) {
  for (const auto& spec : specs_)
    body_index_.push_back(bodies_.add(spec.canonicalization.body, hashOf(spec.algorithm),
                                      std::nullopt));
}

Result<std::vector<std::string>> MessageSigner::finish(std::string_view line_end) {
  bodies_.finish();
  const std::int64_t now = clock_();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    auto field = signOne(specs_[i], body_index_[i], now);
    if (!field) return std::unexpected(field.error());
    if (line_end != "\r\n") {
      std::string converted;
      for (std::size_t p = 0; p < field->size(); ++p) {
        if ((*field)[p] == '\r' && p + 1 < field->size() && (*field)[p + 1] == '\n') {
          converted.append(line_end);
          ++p;
        } else {
          converted.push_back((*field)[p]);
        }
      }
      field = std::move(converted);
    }
    out.push_back(std::move(*field));
  }
  return out;
}

Result<std::string> MessageSigner::signOne(const SignatureSpec& spec, std::size_t body_index, std::int64_t now) {
  if (auto ok = validate(spec); !ok) return std::unexpected(ok.error());
  const HashAlgorithm hash = hashOf(spec.algorithm);
  FoldedTags tags(std::string(kDkimSignatureHeader) + ":");
  tags.add("v", "1");
  tags.add("a", toString(spec.algorithm));
  tags.add("c", toString(spec.canonicalization));
  tags.add("d", spec.domain);
  tags.add("s", spec.selector);
  if (spec.timestamp || spec.expire_after) tags.add("t", std::to_string(now));
  if (spec.expire_after) tags.add("x", std::to_string(now + static_cast<std::int64_t>(*spec.expire_after)));
  if (spec.body_length) tags.add("l", std::to_string(bodies_.canonicalLength(body_index)));
  if (!spec.identity.empty()) tags.add("i", spec.identity);
  std::vector<std::string> names = headerNamesToSign(spec, headers_);
  std::vector<std::string> lower_names;
  for (const auto& n : names) lower_names.push_back(toLower(n));
  tags.addList("h", lower_names);
  tags.addBase64("bh", encodeBase64(bodies_.digest(body_index)), false);
  tags.add("b", "", true);

  const std::string unsigned_field = tags.text();
  auto selected = selectSignedHeaders(headers_, names);
  const std::string input = headerHashInput(selected, unsigned_field, spec.canonicalization.header);
  auto signature = spec.key->signHash(hash, Hash::digest(hash, input));
  if (!signature) return failure(spec.selector + "._domainkey." + spec.domain + ": " + signature.error().message);
  // b= goes where the blank was; it is the last tag, so append it.
  std::string field = unsigned_field;
  const std::string b64 = encodeBase64(*signature);
  std::size_t line_length = field.size() - field.rfind('\n');
  for (std::size_t i = 0; i < b64.size();) {
    if (line_length >= kLineWidth) {
      field += "\r\n\t";
      line_length = 1;
    }
    const std::size_t take = std::min(b64.size() - i, kLineWidth - line_length);
    field.append(b64, i, take);
    line_length += take;
    i += take;
  }
  return field;
}

}  // namespace signet
