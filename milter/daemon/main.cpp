// signet-milter: DKIM signing and verification for Postfix and Sendmail.
// See signet-milter(8) and signet.conf(5).
#include <unistd.h>

#include <exception>
#include <iostream>

#include "daemon.h"

namespace {

constexpr const char* kUsage =
    "usage: signet-milter -c FILE [-f] [-n] [-p SOCKET]\n"
    "  -c FILE    configuration file (signet.conf(5))\n"
    "  -f         stay in the foreground; log to standard error\n"
    "  -n         check the configuration and keys, then exit\n"
    "  -p SOCKET  listen here instead of the configured Socket\n";

}  // namespace

int main(int argc, char** argv) {
  signet::milter::DaemonOptions options;
  int c = 0;
  while ((c = getopt(argc, argv, "c:fnp:hV")) != -1) {
    switch (c) {
      case 'c': options.config_path = optarg; break;
      case 'f': options.foreground = true; break;
      case 'n': options.check_only = true; break;
      case 'p': options.socket_override = optarg; break;
      case 'V': std::cout << "signet-milter 0.1\n"; return 0;
      case 'h': std::cout << kUsage; return 0;
      default: std::cerr << kUsage; return 64;
    }
  }
  if (optind != argc || options.config_path.empty()) {
    std::cerr << kUsage;
    return 64;
  }
  try {
    return signet::milter::runDaemon(options);
  } catch (const std::exception& e) {
    std::cerr << "signet-milter: fatal: " << e.what() << "\n";
    return 70;
  }
}
