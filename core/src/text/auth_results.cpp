#include "signet/auth_results.h"

#include <vector>

namespace signet {
namespace {

// RFC 8601 pvalue: a token (or local-part@domain) as is, else a quoted string.
std::string pvalue(std::string_view text) {
  bool plain = !text.empty();
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool token_char = u > 0x20 && u < 0x7f &&
                            std::string_view("()<>,;:\\\"/[]?=").find(c) == std::string_view::npos;
    if (!token_char) plain = false;
  }
  if (plain) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Text inside an RFC 5322 comment: parentheses and backslashes escaped.
std::string commentText(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20) continue;
    if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string_view toString(Verdict v) {
  switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::neutral: return "neutral";
    case Verdict::policy: return "policy";
    case Verdict::temperror: return "temperror";
    case Verdict::permerror: return "permerror";
    case Verdict::none: return "none";
  }
  return "none";
}

std::string_view toString(Problem p) {
  switch (p) {
    case Problem::none: return "none";
    case Problem::syntax: return "syntax";
    case Problem::no_key: return "no key";
    case Problem::key_revoked: return "key revoked";
    case Problem::bad_key: return "bad key";
    case Problem::dns_temporary: return "DNS temporary failure";
    case Problem::bad_signature: return "bad signature";
    case Problem::body_hash: return "body hash mismatch";
    case Problem::expired: return "expired";
    case Problem::policy: return "policy";
  }
  return "none";
}

std::string describe(const SignatureResult& r) {
  std::vector<std::string> parts;
  if (r.key_bits > 0 && !r.algorithm.empty())
    parts.push_back(std::to_string(r.key_bits) + "-bit " + r.algorithm + " key");
  else if (!r.algorithm.empty())
    parts.push_back(r.algorithm);
  if (r.key_fetched) parts.push_back(r.dnssec_secure ? "secure" : "insecure");
  if (r.testing) parts.push_back("key in testing mode (t=y)");
  if (r.signed_body_length && r.body_length && *r.signed_body_length < *r.body_length)
    parts.push_back("l= signs only " + std::to_string(*r.signed_body_length) + " of " +
                    std::to_string(*r.body_length) + " body bytes");
  if (r.sha1_deprecated) parts.push_back("rsa-sha1 is deprecated by RFC 8301");
  if (!r.reason.empty()) parts.push_back(r.reason);
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

std::string renderResinfo(const SignatureResult& r) {
  std::string out = r.method + "=" + std::string(toString(r.verdict));
  const std::string comment = describe(r);
  if (!comment.empty()) out += " (" + commentText(comment) + ")";
  if (r.method == "dkim") {
    if (!r.domain.empty()) out += " header.d=" + pvalue(r.domain);
    if (!r.identity.empty()) out += " header.i=" + pvalue(r.identity);
    if (!r.selector.empty()) out += " header.s=" + pvalue(r.selector);
    if (!r.algorithm.empty()) out += " header.a=" + pvalue(r.algorithm);
    if (!r.signature_prefix.empty()) out += " header.b=" + pvalue(r.signature_prefix);
  } else {
    // DomainKeys (RFC 8601 section 2.7.1 registry): header.from or
    // header.sender, whichever header gave the sending address, then header.d.
    const std::string_view source = r.identity_source == "sender" ? "sender" : "from";
    if (!r.identity.empty()) out += " header." + std::string(source) + "=" + pvalue(r.identity);
    if (!r.domain.empty()) out += " header.d=" + pvalue(r.domain);
  }
  return out;
}

// Appends one resinfo on lines of its own, folded at spaces outside quoted
// strings so that lines stay near 78 characters.
void appendFolded(std::string& out, std::string_view resinfo, std::string_view line_end) {
  constexpr std::size_t kWidth = 78;
  out.append(line_end).append("\t");
  std::size_t column = 8;
  bool quoted = false;
  std::size_t word_start = 0;
  for (std::size_t i = 0; i <= resinfo.size(); ++i) {
    if (i < resinfo.size()) {
      if (resinfo[i] == '"' && (i == 0 || resinfo[i - 1] != '\\')) quoted = !quoted;
      if (resinfo[i] != ' ' || quoted) continue;
    }
    std::string_view word = resinfo.substr(word_start, i - word_start);
    if (word_start > 0) {
      if (column + 1 + word.size() > kWidth) {
        out.append(line_end).append("\t");
        column = 8;
      } else {
        out.push_back(' ');
        ++column;
      }
    }
    out.append(word);
    column += word.size();
    word_start = i + 1;
  }
}

std::string renderAuthenticationResults(std::string_view authserv_id,
                                        std::span<const SignatureResult> results,
                                        std::string_view line_end) {
  std::vector<std::string> resinfos;
  for (const auto& r : results) resinfos.push_back(renderResinfo(r));
  if (resinfos.empty()) resinfos.emplace_back("dkim=none");
  return renderAuthenticationResultsField(authserv_id, resinfos, line_end);
}

namespace {

void appendResinfos(std::string& out, std::span<const std::string> resinfos, std::string_view line_end) {
  if (resinfos.empty()) {
    appendFolded(out, "none", line_end);
    return;
  }
  for (std::size_t i = 0; i < resinfos.size(); ++i) {
    appendFolded(out, resinfos[i], line_end);
    if (i + 1 < resinfos.size()) out.push_back(';');
  }
}

}  // namespace

std::string renderAuthenticationResultsField(std::string_view authserv_id, std::span<const std::string> resinfos,
                                        std::string_view line_end) {
  std::string out = "Authentication-Results: " + pvalue(authserv_id) + ";";
  appendResinfos(out, resinfos, line_end);
  return out;
}

std::string renderArcAuthenticationResults(std::uint32_t instance, std::string_view authserv_id,
                                           std::span<const std::string> resinfos, std::string_view line_end) {
  std::string out = std::string(kArcAuthenticationResultsHeader) + ": i=" + std::to_string(instance) + "; " +
                    pvalue(authserv_id) + ";";
  appendResinfos(out, resinfos, line_end);
  return out;
}

std::string renderArcResinfo(const ArcResult& r, std::string_view remote_ip) {
  std::string out = "arc=" + std::string(toString(r.verdict));
  std::string comment;
  if (r.verdict == Verdict::pass) {
    comment = std::to_string(r.instances) + (r.instances == 1 ? " set" : " sets");
    if (!r.domain.empty()) comment += ", newest sealed by " + r.domain;
  } else if (r.verdict != Verdict::none) {
    comment = r.reason;
  }
  if (!comment.empty()) out += " (" + commentText(comment) + ")";
  if (r.verdict == Verdict::pass && r.oldest_pass > 0) out += " header.oldest-pass=" + std::to_string(r.oldest_pass);
  if (!remote_ip.empty()) out += " smtp.remote-ip=" + pvalue(remote_ip);
  return out;
}

void chooseSignaturePrefixes(std::span<SignatureResult> results,
                             std::span<const std::string> full_signatures) {
  for (std::size_t i = 0; i < results.size() && i < full_signatures.size(); ++i) {
    const std::string& mine = full_signatures[i];
    std::size_t length = std::min<std::size_t>(8, mine.size());
    for (std::size_t j = 0; j < full_signatures.size(); ++j) {
      if (j == i || full_signatures[j] == mine) continue;
      const std::string& other = full_signatures[j];
      std::size_t common = 0;
      while (common < mine.size() && common < other.size() && mine[common] == other[common]) ++common;
      length = std::max(length, std::min(common + 1, mine.size()));
    }
    results[i].signature_prefix = mine.substr(0, length);
  }
}

}  // namespace signet
