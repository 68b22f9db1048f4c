// signet sign: prepends DKIM-Signature header fields, and with --domainkeys
// a DomainKey-Signature, to a message.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli.h"
#include "signet/domainkeys.h"
#include "signet/signer.h"

namespace signet::cli {
namespace {

// Several keys sign in one pass: --selector, --key and --algorithm may each
// be given once per key (or once for all); --domain once or once per key.
std::expected<std::vector<SignatureSpec>, Failure> buildSpecs(const std::vector<Argument>& args) {
  std::vector<std::string> domains, selectors, keys, algorithms;
  SignatureSpec common;
  bool oversign_given = false;
  for (const auto& arg : args) {
    if (arg.name == "domain") domains.push_back(arg.value);
    else if (arg.name == "selector") selectors.push_back(arg.value);
    else if (arg.name == "key") keys.push_back(arg.value);
    else if (arg.name == "algorithm") algorithms.push_back(arg.value);
    else if (arg.name == "canonicalization") {
      auto c = parseCanonicalization(arg.value);
      if (!c) return std::unexpected(Failure{kExitUsage, "--canonicalization: expected simple|relaxed[/simple|relaxed]"});
      common.canonicalization = *c;
    } else if (arg.name == "headers") {
      common.headers = splitList(arg.value);
      if (common.headers.empty()) return std::unexpected(Failure{kExitUsage, "--headers: empty list"});
    } else if (arg.name == "oversign") {
      common.oversign = splitList(arg.value);
      oversign_given = true;
    } else if (arg.name == "no-oversign") {
      common.oversign.clear();
      oversign_given = true;
    } else if (arg.name == "identity") {
      common.identity = arg.value;
    } else if (arg.name == "expire") {
      std::uint64_t seconds = 0;
      auto [p, ec] = std::from_chars(arg.value.data(), arg.value.data() + arg.value.size(), seconds);
      if (ec != std::errc() || p != arg.value.data() + arg.value.size() || seconds == 0)
        return std::unexpected(Failure{kExitUsage, "--expire takes a positive number of seconds"});
      common.expire_after = seconds;
    } else if (arg.name == "body-length") {
      common.body_length = true;
    } else if (arg.name == "no-timestamp") {
      common.timestamp = false;
    }
  }
  // An explicit --headers list is signed as given, unless --oversign says more.
  if (!common.headers.empty() && !oversign_given) common.oversign.clear();
  if (keys.empty()) return std::unexpected(Failure{kExitUsage, "sign needs --key FILE"});
  if (domains.empty()) return std::unexpected(Failure{kExitUsage, "sign needs --domain D"});
  if (selectors.empty()) return std::unexpected(Failure{kExitUsage, "sign needs --selector S"});
  auto pick = [&](const std::vector<std::string>& list, std::size_t i, const char* what)
      -> std::expected<std::string, Failure> {
    if (list.size() == 1) return list[0];
    if (list.size() == keys.size()) return list[i];
    return std::unexpected(Failure{kExitUsage, std::string("give --") + what + " once, or once per --key"});
  };
  std::vector<SignatureSpec> specs;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    SignatureSpec spec = common;
    auto domain = pick(domains, i, "domain");
    if (!domain) return std::unexpected(domain.error());
    auto selector = pick(selectors, i, "selector");
    if (!selector) return std::unexpected(selector.error());
    spec.domain = *domain;
    spec.selector = *selector;
    auto key = loadPrivateKey(keys[i]);
    if (!key) return std::unexpected(key.error());
    spec.key = *key;
    spec.algorithm = defaultAlgorithm(spec.key->type());
    if (!algorithms.empty()) {
      auto name = pick(algorithms, i, "algorithm");
      if (!name) return std::unexpected(name.error());
      auto algorithm = parseSigningAlgorithm(*name);
      if (!algorithm) return std::unexpected(Failure{kExitUsage, "unknown algorithm " + *name});
      spec.algorithm = *algorithm;
    }
    if (auto ok = validate(spec); !ok) return std::unexpected(Failure{kExitUsage, ok.error().message});
    specs.push_back(std::move(spec));
  }
  return specs;
}

// --domainkeys signs with the first RSA key given, under its domain and selector.
std::expected<DomainKeysSpec, Failure> domainKeysSpec(const std::vector<SignatureSpec>& specs,
                                                      DomainKeysCanonicalization canonicalization) {
  for (const auto& spec : specs) {
    if (spec.key->type() != KeyType::rsa) continue;
    DomainKeysSpec dk{spec.domain, spec.selector, spec.key, canonicalization, false};
    if (auto ok = validate(dk); !ok) return std::unexpected(Failure{kExitUsage, ok.error().message});
    return dk;
  }
  return std::unexpected(Failure{kExitUsage, "--domainkeys needs an RSA key (DomainKeys signs with rsa-sha1)"});
}

struct DomainKeysOptions {
  bool enabled = false;
  bool no_dkim = false;
  std::optional<DomainKeysCanonicalization> canonicalization;
};

std::expected<DomainKeysOptions, Failure> domainKeysOptions(const std::vector<Argument>& args) {
  DomainKeysOptions dk;
  for (const auto& arg : args) {
    if (arg.name == "domainkeys") dk.enabled = true;
    else if (arg.name == "no-dkim") dk.no_dkim = true;
    else if (arg.name == "dk-canonicalization") {
      auto c = parseDomainKeysCanonicalization(arg.value);
      if (!c) return std::unexpected(Failure{kExitUsage, "--dk-canonicalization takes simple or nofws"});
      dk.canonicalization = *c;
    }
  }
  if (dk.no_dkim && !dk.enabled) return std::unexpected(Failure{kExitUsage, "--no-dkim needs --domainkeys"});
  if (dk.canonicalization && !dk.enabled)
    return std::unexpected(Failure{kExitUsage, "--dk-canonicalization needs --domainkeys"});
  return dk;
}

void writeField(const std::string& field, const std::string& line_end) {
  std::fwrite(field.data(), 1, field.size(), stdout);
  std::fwrite(line_end.data(), 1, line_end.size(), stdout);
}

}  // namespace

int runSign(int argc, char** argv) {
  auto args = parseArguments(argc, argv, 2,
                             {"domain", "selector", "key", "algorithm", "canonicalization", "headers",
                              "oversign", "identity", "expire", "dk-canonicalization"},
                             {"body-length", "no-oversign", "no-timestamp", "domainkeys", "no-dkim"});
  if (!args) return report(args.error());
  auto dk_options = domainKeysOptions(*args);
  if (!dk_options) return report(dk_options.error());
  auto specs = buildSpecs(*args);
  if (!specs) return report(specs.error());

  std::optional<DomainKeysSigner> dk;
  if (dk_options->enabled) {
    auto spec = domainKeysSpec(*specs, dk_options->canonicalization.value_or(DomainKeysCanonicalization::nofws));
    if (!spec) return report(spec.error());
    dk.emplace(std::move(*spec));
  }
  std::optional<MessageSigner> signer;
  if (!dk_options->no_dkim) signer.emplace(std::move(*specs));
  MessageReader reader(
      [&](HeaderField&& f) {
        if (dk) dk->addHeader(f);
        if (signer) signer->addHeader(std::move(f));
      },
      [&] {
        if (dk) dk->endOfHeaders();
        if (signer) signer->endOfHeaders();
      },
      [&](std::span<const char> body) {
        if (dk) dk->addBody(body);
        if (signer) signer->addBody(body);
      });
  SpooledInput input;
  if (auto r = input.readAll(stdin, reader); !r) return report(r.error());
  const std::string line_end = reader.sawLfLineEnds() ? "\n" : "\r\n";
  std::vector<std::string> fields;
  if (signer) {
    auto dkim_fields = signer->finish(line_end);
    if (!dkim_fields) return report(Failure{kExitSoftware, dkim_fields.error().message});
    fields = std::move(*dkim_fields);
  }
  // The DomainKey-Signature goes directly above the original header block:
  // a DomainKeys verifier hashes what follows it, which must not include the
  // new DKIM-Signature fields.
  if (dk) {
    auto dk_field = dk->finish(line_end);
    if (!dk_field) return report(Failure{kExitData, dk_field.error().message});
    fields.push_back(std::move(*dk_field));
  }
  for (const auto& field : fields) writeField(field, line_end);
  if (auto r = input.writeTo(stdout); !r) return report(r.error());
  if (std::fflush(stdout) != 0) return report(Failure{kExitIo, "writing the message failed"});
  return kExitOk;
}

}  // namespace signet::cli
