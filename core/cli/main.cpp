// signet: DKIM signing, verification, ARC sealing and key tools on files and pipes.
#include <exception>
#include <iostream>
#include <string_view>

#include "cli.h"

namespace {

constexpr std::string_view kUsage =
    "usage: signet sign    --domain D --selector S --key FILE [options] < message\n"
    "       signet verify  [--resolver-conf FILE] [--nameserver IP[@PORT]] [--json] < message\n"
    "       signet keygen  --domain D --selector S [--algorithm rsa|ed25519] [--bits N] [--out-dir DIR]\n"
    "       signet testkey --domain D --selector S --key FILE [resolver options]\n"
    "       signet arc-seal --domain D --selector S --key FILE --authserv-id ID [options] < message\n"
    "see signet(1)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace signet::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string_view command = argv[1];
  try {
    if (command == "sign") return runSign(argc, argv);
    if (command == "verify") return runVerify(argc, argv);
    if (command == "keygen") return runKeygen(argc, argv);
    if (command == "testkey") return runTestkey(argc, argv);
    if (command == "arc-seal") return runArcSeal(argc, argv);
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return kExitOk;
    }
    std::cerr << "signet: unknown command '" << command << "'\n" << kUsage;
    return kExitUsage;
  } catch (const std::exception& e) {
    return report(Failure{kExitSoftware, std::string("internal error: ") + e.what()});
  }
}
