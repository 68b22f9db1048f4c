// signet arc-seal: validates a message's ARC chain and prepends the next ARC
// set (RFC 8617 section 5.1). Exit 0 when a set was added, and 0 with a line
// on standard error when the rules say to add none (the message is then
// written unchanged); 2 when the arriving chain could not be validated for a
// DNS error (also written unchanged); input and key errors as `sign`.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "signet/arc_sealer.h"
#include "signet/arc_validator.h"

namespace signet::cli {
namespace {

std::expected<ArcSealSpec, Failure> buildSpec(const std::vector<Argument>& args) {
  ArcSealSpec spec;
  std::string key_path, algorithm;
  for (const auto& arg : args) {
    if (arg.name == "domain")
      spec.domain = arg.value;
    else if (arg.name == "selector")
      spec.selector = arg.value;
    else if (arg.name == "key")
      key_path = arg.value;
    else if (arg.name == "authserv-id")
      spec.authserv_id = arg.value;
    else if (arg.name == "algorithm")
      algorithm = arg.value;
    else if (arg.name == "remote-ip")
      spec.remote_ip = arg.value;
    else if (arg.name == "headers") {
      spec.headers = splitList(arg.value);
      if (spec.headers.empty()) return std::unexpected(Failure{kExitUsage, "--headers: empty list"});
    } else if (arg.name == "oversign") {
      spec.oversign = splitList(arg.value);
    } else if (arg.name == "results") {
      for (auto& resinfo : splitResinfos(arg.value)) {
        if (toLower(resinfo).starts_with("arc="))
          return std::unexpected(Failure{kExitUsage, "--results: leave arc= out; arc-seal adds its own"});
        spec.results.push_back(std::move(resinfo));
      }
    }
  }
  if (key_path.empty()) return std::unexpected(Failure{kExitUsage, "arc-seal needs --key FILE"});
  if (spec.domain.empty()) return std::unexpected(Failure{kExitUsage, "arc-seal needs --domain D"});
  if (spec.selector.empty()) return std::unexpected(Failure{kExitUsage, "arc-seal needs --selector S"});
  if (spec.authserv_id.empty())
    return std::unexpected(Failure{kExitUsage, "arc-seal needs --authserv-id ID"});
  auto key = loadPrivateKey(key_path);
  if (!key) return std::unexpected(key.error());
  spec.key = *key;
  spec.algorithm = defaultAlgorithm(spec.key->type());
  if (!algorithm.empty()) {
    auto parsed = parseSigningAlgorithm(algorithm);
    if (!parsed) return std::unexpected(Failure{kExitUsage, "unknown algorithm " + algorithm});
    spec.algorithm = *parsed;
  }
  if (auto ok = validate(spec); !ok) return std::unexpected(Failure{kExitUsage, ok.error().message});
  return spec;
}

}  // namespace

int runArcSeal(int argc, char** argv) {
  auto args = parseArguments(
      argc, argv, 2,
      {"domain", "selector", "key", "authserv-id", "algorithm", "headers", "oversign", "results", "remote-ip",
       "resolver-conf", "nameserver", "trust-anchor", "timeout", "minimum-key-bits"},
      {});
  if (!args) return report(args.error());
  ResolverSettings dns;
  VerifierOptions options;
  for (const auto& arg : *args) {
    auto taken = dns.take(arg);
    if (!taken) return report(taken.error());
    if (*taken) continue;
    if (arg.name == "minimum-key-bits") {
      auto n = parseCount(arg, 1024, 16384);
      if (!n) return report(n.error());
      options.minimum_rsa_bits = *n;
    }
  }
  auto spec = buildSpec(*args);
  if (!spec) return report(spec.error());
  auto resolver = dns.build();
  if (!resolver) return report(resolver.error());
  options.resolver = resolver->get();

  ArcValidatingSealer sealer(options, std::move(*spec));
  MessageReader reader([&](HeaderField&& f) { sealer.addHeader(std::move(f)); },
                       [&] { sealer.endOfHeaders(); },
                       [&](std::span<const char> body) { sealer.addBody(body); });
  SpooledInput input;
  if (auto r = input.readAll(stdin, reader); !r) return report(r.error());
  const std::string line_end = reader.sawLfLineEnds() ? "\n" : "\r\n";
  auto outcome = sealer.finish(line_end);
  const ArcResult& chain = sealer.validation();
  if (!outcome) return report(Failure{kExitSoftware, outcome.error().message});
  for (const auto& field : outcome->fields) {
    std::fwrite(field.data(), 1, field.size(), stdout);
    std::fwrite(line_end.data(), 1, line_end.size(), stdout);
  }
  if (auto r = input.writeTo(stdout); !r) return report(r.error());
  if (std::fflush(stdout) != 0) return report(Failure{kExitIo, "writing the message failed"});
  if (outcome->fields.empty()) {
    std::cerr << "signet: arc-seal: no ARC set added: " << outcome->skipped << "\n";
    return chain.verdict == Verdict::temperror ? kExitTemporary : kExitOk;
  }
  return kExitOk;
}

}  // namespace signet::cli
