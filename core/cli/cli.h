// The `signet` command: sign, verify, keygen, testkey, arc-seal (see signet(1)).
// Shared pieces of the subcommands: option parsing, input spooling, the
// resolver options, and the exit codes.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signet/crypto.h"
#include "signet/dns.h"
#include "signet/error.h"
#include "signet/header.h"

namespace signet::cli {

// Exit codes beyond the verdict codes of `verify` follow sysexits(3).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitTemporary = 2;
inline constexpr int kExitUsage = 64;     // EX_USAGE
inline constexpr int kExitData = 65;      // EX_DATAERR: unparsable message or key
inline constexpr int kExitNoInput = 66;   // EX_NOINPUT: missing file
inline constexpr int kExitSoftware = 70;  // EX_SOFTWARE
inline constexpr int kExitCantCreate = 73;  // EX_CANTCREAT
inline constexpr int kExitIo = 74;        // EX_IOERR

// A problem that ends the command: one line on standard error, an exit code.
struct Failure {
  int exit_code;
  std::string message;
};

// Command-line arguments as "--name value" / "--flag" pairs, in order.
struct Argument {
  std::string name;   // without the leading "--"
  std::string value;  // empty for flags
};

// Splits argv into arguments; `flags` names the options that take no value.
std::expected<std::vector<Argument>, Failure> parseArguments(int argc, char** argv, int first,
                                                             const std::vector<std::string_view>& with_value,
                                                             const std::vector<std::string_view>& flags);

struct ResolverSettings {
  std::vector<std::string> nameservers;
  std::string resolver_config;
  std::string trust_anchor_file;
  int timeout_ms = 5000;

  // Takes the argument if it is a resolver option.
  std::expected<bool, Failure> take(const Argument& arg);
  std::expected<std::unique_ptr<Resolver>, Failure> build() const;
};

// The message from standard input: kept in memory up to a size, then in an
// unlinked temporary file, and fed to `reader` as it arrives.
class SpooledInput {
 public:
  SpooledInput();
  ~SpooledInput();
  SpooledInput(const SpooledInput&) = delete;
  SpooledInput& operator=(const SpooledInput&) = delete;

  std::expected<void, Failure> readAll(std::FILE* in, MessageReader& reader);
  std::expected<void, Failure> writeTo(std::FILE* out) const;

 private:
  std::string memory_;
  std::FILE* file_ = nullptr;
};

// A colon-separated list (--headers), empty elements dropped.
std::vector<std::string> splitList(std::string_view text);

// The number an option gives, from `low` to `high`.
std::expected<int, Failure> parseCount(const Argument& arg, int low, int high);

// A private key file; a missing file is kExitNoInput, a bad one kExitData.
std::expected<std::shared_ptr<const PrivateKey>, Failure> loadPrivateKey(const std::string& path);

int runSign(int argc, char** argv);
int runVerify(int argc, char** argv);
int runKeygen(int argc, char** argv);
int runTestkey(int argc, char** argv);
int runArcSeal(int argc, char** argv);

int report(const Failure& failure);
std::string jsonString(std::string_view text);

}  // namespace signet::cli
