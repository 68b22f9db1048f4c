#include "signet/arc.h"

#include "signet/base64.h"

namespace signet {
namespace {

constexpr std::string_view kArcNames[3] = {kArcAuthenticationResultsHeader, kArcMessageSignatureHeader,
                                           kArcSealHeader};

bool isWsp(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && isWsp(text.front())) text.remove_prefix(1);
  while (!text.empty() && isWsp(text.back())) text.remove_suffix(1);
  return text;
}

// Skips folding white space and RFC 5322 comments (nested, with quoted pairs).
std::string_view skipCfws(std::string_view text) {
  for (;;) {
    while (!text.empty() && isWsp(text.front())) text.remove_prefix(1);
    if (text.empty() || text.front() != '(') return text;
    int depth = 0;
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
      if (text[i] == '\\')
        ++i;
      else if (text[i] == '(')
        ++depth;
      else if (text[i] == ')' && --depth == 0)
        break;
    }
    if (i >= text.size()) return {};  // an unclosed comment swallows the rest
    text.remove_prefix(i + 1);
  }
}

// The instance of an ARC field, from its i= tag (ARC-Seal and
// ARC-Message-Signature) or its leading "i=N;" (ARC-Authentication-Results).
std::expected<std::uint32_t, ParseError> instanceOf(const HeaderField& field) {
  if (headerNameEquals(field.name(), kArcAuthenticationResultsHeader)) {
    auto aar = parseArcAuthenticationResults(field.value());
    if (!aar) return std::unexpected(aar.error());
    return aar->instance;
  }
  auto tags = TagList::parse(field.value());
  if (!tags) return std::unexpected(tags.error());
  auto i = tags->value("i");
  if (!i) return parseError("tag i", "missing");
  return parseArcInstance(stripWhitespace(*i));
}

}  // namespace

std::string_view toString(ChainValidation cv) {
  switch (cv) {
    case ChainValidation::none:
      return "none";
    case ChainValidation::pass:
      return "pass";
    case ChainValidation::fail:
      return "fail";
  }
  return "none";
}

ChainValidation ArcResult::sealStatus() const {
  switch (verdict) {
    case Verdict::none:
      return ChainValidation::none;
    case Verdict::pass:
      return ChainValidation::pass;
    default:
      return ChainValidation::fail;
  }
}

bool isArcHeader(std::string_view name) {
  return headerNameEquals(name, kArcSealHeader) || headerNameEquals(name, kArcMessageSignatureHeader) ||
         headerNameEquals(name, kArcAuthenticationResultsHeader);
}

std::expected<ArcSeal, ParseError> parseArcSeal(std::string_view header_value, const TagListLimits& limits) {
  auto parsed = TagList::parse(header_value, limits);
  if (!parsed) return std::unexpected(parsed.error());
  const TagList& tags = *parsed;
  for (std::string_view required : {"i", "a", "b", "cv", "d", "s"})
    if (!tags.find(required)) return parseError("tag " + std::string(required), "missing");
  if (tags.find("h")) return parseError("tag h", "not allowed in ARC-Seal (RFC 8617 section 4.1.3)");

  ArcSeal seal;
  auto instance = parseArcInstance(stripWhitespace(*tags.value("i")));
  if (!instance) return std::unexpected(instance.error());
  seal.instance = *instance;

  auto algorithm = parseSigningAlgorithm(stripWhitespace(*tags.value("a")));
  if (!algorithm) return parseError("tag a", "unsupported algorithm");
  if (*algorithm == SigningAlgorithm::rsa_sha1)
    return parseError("tag a", "rsa-sha1 is not allowed in ARC (RFC 8617 section 4.1.3, RFC 8301)");
  seal.algorithm = *algorithm;

  const Tag* b = tags.find("b");
  auto signature = parseBase64(stripWhitespace(b->value));
  if (!signature) return parseError("tag b", signature.error().why);
  if (signature->empty()) return parseError("tag b", "empty signature");
  seal.signature = std::move(*signature);
  seal.b_region_offset = b->value_offset;
  seal.b_region_length = b->value_length;

  const std::string cv = toLower(stripWhitespace(*tags.value("cv")));
  if (cv == "none")
    seal.cv = ChainValidation::none;
  else if (cv == "pass")
    seal.cv = ChainValidation::pass;
  else if (cv == "fail")
    seal.cv = ChainValidation::fail;
  else
    return parseError("tag cv", "not none, pass or fail");

  seal.domain = stripWhitespace(*tags.value("d"));
  if (!isSigningDomain(seal.domain)) return parseError("tag d", "not a domain name");
  seal.selector = stripWhitespace(*tags.value("s"));
  if (!isSelector(seal.selector)) return parseError("tag s", "not a selector");
  if (auto t = tags.value("t")) {
    auto n = parseTagNumber("t", stripWhitespace(*t));
    if (!n) return std::unexpected(n.error());
    seal.timestamp = *n;
  }
  return seal;
}

std::expected<ArcAuthenticationResults, ParseError> parseArcAuthenticationResults(std::string_view value) {
  std::string_view rest = skipCfws(value);
  if (rest.empty() || (rest.front() != 'i' && rest.front() != 'I'))
    return parseError("ARC-Authentication-Results", "does not begin with i=");
  rest = skipCfws(rest.substr(1));
  if (rest.empty() || rest.front() != '=')
    return parseError("ARC-Authentication-Results", "does not begin with i=");
  rest = skipCfws(rest.substr(1));
  std::size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  auto instance = parseArcInstance(rest.substr(0, digits));
  if (!instance) return std::unexpected(instance.error());
  rest = skipCfws(rest.substr(digits));
  if (rest.empty() || rest.front() != ';')
    return parseError("ARC-Authentication-Results", "no \";\" after the instance");
  rest = skipCfws(rest.substr(1));

  auto parsed = parseAuthenticationResultsValue(rest);
  if (!parsed) return parseError("ARC-Authentication-Results", parsed.error().why);
  ArcAuthenticationResults aar;
  aar.instance = *instance;
  aar.authserv_id = std::move(parsed->authserv_id);
  aar.results = std::move(parsed->results);
  return aar;
}

AuthservId readAuthservId(std::string_view value) {
  const std::string_view rest = skipCfws(value);
  AuthservId out;
  std::size_t end = 0;
  if (!rest.empty() && rest.front() == '"') {
    for (end = 1; end < rest.size() && rest[end] != '"'; ++end) {
      if (rest[end] == '\\' && end + 1 < rest.size()) ++end;
      out.id.push_back(rest[end]);
    }
    out.terminated = end < rest.size();
    if (out.terminated) ++end;
  } else {
    while (end < rest.size() && rest[end] != ';' && rest[end] != '(' && !isWsp(rest[end])) ++end;
    out.id = std::string(rest.substr(0, end));
  }
  out.rest = rest.substr(std::min(end, rest.size()));
  return out;
}

std::expected<AuthenticationResultsValue, ParseError> parseAuthenticationResultsValue(
    std::string_view value) {
  AuthservId id = readAuthservId(value);
  if (!id.terminated) return parseError("Authentication-Results", "unterminated authserv-id");
  AuthenticationResultsValue out;
  out.authserv_id = std::move(id.id);
  if (out.authserv_id.empty()) return parseError("Authentication-Results", "no authserv-id");
  std::string_view rest = skipCfws(id.rest);
  // An authres-version may follow the authserv-id (RFC 8601 section 2.2).
  while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  rest = skipCfws(rest);
  if (!rest.empty() && rest.front() == ';') rest.remove_prefix(1);
  out.results = std::string(trim(rest));
  for (auto& resinfo : splitResinfos(out.results))
    if (toLower(resinfo) != "none") out.resinfos.push_back(std::move(resinfo));
  return out;
}

std::vector<std::string> splitResinfos(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  int comment = 0;
  auto flush = [&] {
    const std::string_view kept = trim(current);
    if (!kept.empty()) out.emplace_back(kept);
    current.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      current += c;
      current += text[++i];
      continue;
    }
    if (c == '"' && comment == 0)
      quoted = !quoted;
    else if (c == '(' && !quoted)
      ++comment;
    else if (c == ')' && !quoted && comment > 0)
      --comment;
    else if (c == ';' && !quoted && comment == 0) {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return out;
}

ArcChain collectArcChain(std::span<const HeaderField> headers, const ArcLimits& limits) {
  ArcChain chain;
  struct Seen {
    std::size_t index[3];
    bool found[3];
  };
  std::vector<Seen> seen;
  std::size_t fields = 0;
  std::size_t bytes = 0;
  auto fault = [&chain](std::uint32_t instance, std::string why) {
    if (chain.fault.empty()) {
      chain.fault = std::move(why);
      chain.fault_instance = instance;
    }
  };
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view name = headers[i].name();
    int kind = -1;
    if (headerNameEquals(name, kArcAuthenticationResultsHeader))
      kind = 0;
    else if (headerNameEquals(name, kArcMessageSignatureHeader))
      kind = 1;
    else if (headerNameEquals(name, kArcSealHeader))
      kind = 2;
    if (kind < 0) continue;
    chain.present = true;
    bytes += headers[i].raw.size();
    if (++fields > limits.max_fields) {
      fault(0, "more than " + std::to_string(limits.max_fields) + " ARC fields");
      break;
    }
    if (bytes > limits.max_bytes) {
      fault(0, "ARC fields larger than " + std::to_string(limits.max_bytes) + " bytes in all");
      break;
    }
    auto instance = instanceOf(headers[i]);
    if (!instance) {
      // Remember the highest number written, so that i=51 is reported as such.
      fault(0, std::string(kArcNames[kind]) + " (header " + std::to_string(i + 1) +
                   "): " + instance.error().message());
      continue;
    }
    chain.highest = std::max(chain.highest, *instance);
    if (seen.size() < *instance) seen.resize(*instance, Seen{{0, 0, 0}, {false, false, false}});
    Seen& s = seen[*instance - 1];
    if (s.found[kind]) {
      fault(*instance,
            "instance " + std::to_string(*instance) + " has more than one " + std::string(kArcNames[kind]));
      continue;
    }
    s.found[kind] = true;
    s.index[kind] = i;
  }
  if (!chain.fault.empty()) return chain;
  for (std::size_t k = 0; k < seen.size(); ++k) {
    const auto instance = static_cast<std::uint32_t>(k + 1);
    for (int kind = 0; kind < 3; ++kind)
      if (!seen[k].found[kind]) {
        fault(instance, "instance " + std::to_string(instance) + " has no " + std::string(kArcNames[kind]));
        return chain;
      }
    chain.sets.push_back(ArcSetFields{seen[k].index[0], seen[k].index[1], seen[k].index[2]});
  }
  return chain;
}

}  // namespace signet
