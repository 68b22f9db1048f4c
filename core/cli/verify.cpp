// signet verify: checks every signature of a message, DKIM and DomainKeys,
// and its ARC chain, and prints one Authentication-Results header field (with
// --domainkey-status also a DomainKey-Status header field), or one JSON
// object per signature and one for the chain. The chain is reported only
// when the message carries ARC fields; the exit status is DKIM's.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "signet/arc_validator.h"
#include "signet/auth_results.h"
#include "signet/domainkeys.h"
#include "signet/verifier.h"

namespace signet::cli {
namespace {

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// One JSON object; `domainkey_status` is added for a DomainKeys signature.
std::string toJson(const SignatureResult& r, std::string_view domainkey_status = {}) {
  std::string out = "{\"method\":" + jsonString(r.method) + ",\"result\":" + jsonString(toString(r.verdict)) +
                    ",\"domain\":" + jsonString(r.domain) + ",\"selector\":" + jsonString(r.selector) +
                    ",\"algorithm\":" + jsonString(r.algorithm) + ",\"bits\":" + std::to_string(r.key_bits) +
                    ",\"reason\":" + jsonString(describe(r)) + ",\"identity\":" + jsonString(r.identity) +
                    ",\"secure\":" + (r.dnssec_secure ? "true" : "false") +
                    ",\"testing\":" + (r.testing ? "true" : "false") +
                    ",\"header_b\":" + jsonString(r.signature_prefix);
  if (r.signed_body_length) out += ",\"signed_body_length\":" + std::to_string(*r.signed_body_length);
  if (!domainkey_status.empty()) out += ",\"domainkey_status\":" + jsonString(domainkey_status);
  return out + "}";
}

std::string toJson(const ArcResult& r) {
  auto number_or_null = [](bool known, std::uint32_t n) { return known ? std::to_string(n) : std::string("null"); };
  return "{\"method\":\"arc\",\"result\":" + jsonString(toString(r.verdict)) +
         ",\"instances\":" + std::to_string(r.instances) +
         ",\"oldest_pass\":" + number_or_null(r.verdict == Verdict::pass, r.oldest_pass) +
         ",\"failed_instance\":" + number_or_null(r.failed_instance > 0, r.failed_instance) +
         ",\"domain\":" + jsonString(r.domain) + ",\"selector\":" + jsonString(r.selector) +
         ",\"reason\":" + jsonString(r.reason) + "}";
}

int exitCodeFor(const std::vector<SignatureResult>& results) {
  if (results.empty()) return kExitFail;
  bool temporary = false;
  for (const auto& r : results) {
    if (r.verdict == Verdict::temperror) temporary = true;
    else if (r.verdict != Verdict::pass) return kExitFail;
  }
  return temporary ? kExitTemporary : kExitOk;
}

}  // namespace

int runVerify(int argc, char** argv) {
  auto args = parseArguments(argc, argv, 2,
                             {"resolver-conf", "nameserver", "trust-anchor", "timeout", "authserv-id",
                              "minimum-key-bits", "max-signatures"},
                             {"json", "strict-sha1", "domainkey-status"});
  if (!args) return report(args.error());
  ResolverSettings dns;
  VerifierOptions options;
  bool json = false;
  bool status_header = false;
  std::string authserv_id = hostName();
  for (const auto& arg : *args) {
    auto taken = dns.take(arg);
    if (!taken) return report(taken.error());
    if (*taken) continue;
    if (arg.name == "json") json = true;
    else if (arg.name == "strict-sha1") options.strict_rsa_sha1 = true;
    else if (arg.name == "domainkey-status") status_header = true;
    else if (arg.name == "authserv-id") authserv_id = arg.value;
    else if (arg.name == "minimum-key-bits") {
      auto n = parseCount(arg, 512, 16384);
      if (!n) return report(n.error());
      options.minimum_rsa_bits = *n;
    } else if (arg.name == "max-signatures") {
      auto n = parseCount(arg, 1, 1000);
      if (!n) return report(n.error());
      options.max_signatures = static_cast<std::size_t>(*n);
    }
  }
  auto resolver = dns.build();
  if (!resolver) return report(resolver.error());
  options.resolver = resolver->get();

  MessageVerifier verifier(options);
  DomainKeysVerifier dk_verifier(options);
  ArcValidator arc_validator(options);
  MessageReader reader(
      [&](HeaderField&& f) {
        dk_verifier.addHeader(f);
        arc_validator.addHeader(f);
        verifier.addHeader(std::move(f));
      },
      [&] {
        verifier.endOfHeaders();
        dk_verifier.endOfHeaders();
        arc_validator.endOfHeaders();
      },
      [&](std::span<const char> body) {
        verifier.addBody(body);
        dk_verifier.addBody(body);
        arc_validator.addBody(body);
      });
  SpooledInput input;
  if (auto r = input.readAll(stdin, reader); !r) return report(r.error());
  std::vector<SignatureResult> results = verifier.finish();
  const std::vector<DomainKeysResult> dk_results = dk_verifier.finish();
  for (const auto& r : dk_results) results.push_back(r.result);
  const ArcResult arc = arc_validator.finish();
  const std::string line_end = reader.sawLfLineEnds() ? "\n" : "\r\n";
  if (json) {
    const std::size_t dkim_count = results.size() - dk_results.size();
    for (std::size_t i = 0; i < dkim_count; ++i) std::cout << toJson(results[i]) << "\n";
    for (const auto& r : dk_results) std::cout << toJson(r.result, domainKeyStatus(std::span(&r, 1))) << "\n";
    if (results.empty()) {
      SignatureResult none;
      none.reason = "message not signed";
      std::cout << toJson(none) << "\n";
    }
    if (arc.verdict != Verdict::none) std::cout << toJson(arc) << "\n";
  } else {
    std::vector<std::string> resinfos;
    for (const auto& r : results) resinfos.push_back(renderResinfo(r));
    if (resinfos.empty()) resinfos.emplace_back("dkim=none");
    if (arc.verdict != Verdict::none) resinfos.push_back(renderArcResinfo(arc));
    std::cout << renderAuthenticationResultsField(authserv_id, resinfos, line_end) << line_end;
    if (status_header) std::cout << kDomainKeyStatusHeader << ": " << domainKeyStatus(dk_results) << line_end;
  }
  const std::size_t ignored = verifier.signaturesIgnored() + dk_verifier.signaturesIgnored();
  if (ignored > 0)
    std::cerr << "signet: " << ignored << " signature(s) beyond --max-signatures " << options.max_signatures
              << " not checked\n";
  std::cout.flush();
  return exitCodeFor(results);
}

}  // namespace signet::cli
