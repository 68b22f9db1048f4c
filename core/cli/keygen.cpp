// signet keygen: a new key pair and the DNS record to publish.
// signet testkey: checks that the published record matches a private key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "signet/base64.h"
#include "signet/crypto.h"
#include "signet/key_record.h"

namespace signet::cli {
namespace {

struct KeyName {
  std::string domain;
  std::string selector;
};

// A domain or selector: dot-separated labels (RFC 1035 2.3.1, with '_' as
// DNS allows), each 1-63 characters not beginning or ending with '-'.
std::expected<void, Failure> checkName(const std::string& value, const char* what) {
  const std::string prefix = std::string(what) + " '" + value + "' ";
  if (value.size() > 253) return std::unexpected(Failure{kExitUsage, prefix + "is longer than 253 characters"});
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = std::min(value.find('.', start), value.size());
    const std::string label = value.substr(start, dot - start);
    if (label.empty())
      return std::unexpected(Failure{kExitUsage, prefix + "has an empty label (a leading, trailing or double dot)"});
    if (label.size() > 63) return std::unexpected(Failure{kExitUsage, prefix + "has a label over 63 characters"});
    if (label.front() == '-' || label.back() == '-')
      return std::unexpected(Failure{kExitUsage, prefix + "has a label beginning or ending with '-'"});
    for (char c : label)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
        return std::unexpected(
            Failure{kExitUsage, prefix + "may hold letters, digits, '-', '_' and '.' only"});
    if (dot == value.size()) return {};
    start = dot + 1;
  }
}

std::expected<KeyName, Failure> requireName(const std::string& domain, const std::string& selector,
                                            const char* command) {
  if (domain.empty() || selector.empty())
    return std::unexpected(Failure{kExitUsage, std::string(command) + " needs --domain D and --selector S"});
  if (auto ok = checkName(domain, "domain"); !ok) return std::unexpected(ok.error());
  if (auto ok = checkName(selector, "selector"); !ok) return std::unexpected(ok.error());
  return KeyName{domain, selector};
}

// The directory the key goes in: made, with its missing parents, as 0700
// (it is to hold private keys); a directory that exists is left as it is.
std::expected<void, Failure> makeKeyDirectory(const std::string& dir) {
  struct stat st{};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return std::unexpected(Failure{kExitCantCreate, dir + ": not a directory"});
  }
  const std::size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0)
    if (auto parent = makeKeyDirectory(dir.substr(0, slash)); !parent) return parent;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return std::unexpected(Failure{kExitCantCreate, dir + ": " + std::strerror(errno)});
  return {};
}

// The TXT record, one line, in the form a zone file and an unbound
// local-data: line both take. Character-strings are at most 255 bytes.
std::string txtRecord(const KeyName& name, const std::string& record) {
  std::string out = name.selector + "._domainkey." + name.domain + ". 3600 IN TXT";
  for (std::size_t i = 0; i < record.size(); i += 255) out += " \"" + record.substr(i, 255) + "\"";
  return out;
}

std::expected<void, Failure> writeFile(const std::string& path, const std::string& data, mode_t mode, bool force) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0)
    return std::unexpected(Failure{kExitCantCreate, path + ": " + std::strerror(errno) +
                                                        (errno == EEXIST ? " (use --force to replace it)" : "")});
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) ok = false;
  if (!ok) return std::unexpected(Failure{kExitIo, path + ": write failed"});
  return {};
}

}  // namespace

int runKeygen(int argc, char** argv) {
  auto args = parseArguments(argc, argv, 2, {"domain", "selector", "algorithm", "bits", "out-dir"},
                             {"testing", "force"});
  if (!args) return report(args.error());
  std::string domain, selector, out_dir = ".";
  KeyType type = KeyType::rsa;
  int bits = 2048;
  bool testing = false, force = false;
  for (const auto& arg : *args) {
    if (arg.name == "domain") domain = arg.value;
    else if (arg.name == "selector") selector = arg.value;
    else if (arg.name == "out-dir") out_dir = arg.value;
    else if (arg.name == "testing") testing = true;
    else if (arg.name == "force") force = true;
    else if (arg.name == "algorithm") {
      if (arg.value == "rsa") type = KeyType::rsa;
      else if (arg.value == "ed25519") type = KeyType::ed25519;
      else return report(Failure{kExitUsage, "--algorithm takes rsa or ed25519"});
    } else if (arg.name == "bits") {
      auto [p, ec] = std::from_chars(arg.value.data(), arg.value.data() + arg.value.size(), bits);
      if (ec != std::errc() || p != arg.value.data() + arg.value.size() || bits < 1024 || bits > 16384)
        return report(Failure{kExitUsage, "--bits takes a key size from 1024 to 16384"});
    }
  }
  auto name = requireName(domain, selector, "keygen");
  if (!name) return report(name.error());
  auto key = PrivateKey::generate(type, bits);
  if (!key) return report(Failure{kExitSoftware, key.error().message});
  auto pem = (*key)->toPem();
  auto pub = (*key)->publicKeyData();
  if (!pem || !pub) return report(Failure{kExitSoftware, "cannot export the new key"});
  std::string record = "v=DKIM1; k=" + std::string(toString(type)) + "; ";
  if (testing) record += "t=y; ";
  record += "p=" + encodeBase64(*pub);

  if (auto dir = makeKeyDirectory(out_dir); !dir) return report(dir.error());
  const std::string base = out_dir + "/" + name->selector;
  if (auto r = writeFile(base + ".private", *pem, 0600, force); !r) return report(r.error());
  if (auto r = writeFile(base + ".txt", txtRecord(*name, record) + "\n", 0644, force); !r) return report(r.error());
  std::cout << base << ".private\n" << base << ".txt\n";
  return kExitOk;
}

int runTestkey(int argc, char** argv) {
  auto args = parseArguments(argc, argv, 2,
                             {"domain", "selector", "key", "resolver-conf", "nameserver", "trust-anchor", "timeout"},
                             {});
  if (!args) return report(args.error());
  ResolverSettings dns;
  std::string domain, selector, key_path;
  for (const auto& arg : *args) {
    auto taken = dns.take(arg);
    if (!taken) return report(taken.error());
    if (*taken) continue;
    if (arg.name == "domain") domain = arg.value;
    else if (arg.name == "selector") selector = arg.value;
    else if (arg.name == "key") key_path = arg.value;
  }
  auto name = requireName(domain, selector, "testkey");
  if (!name) return report(name.error());
  if (key_path.empty()) return report(Failure{kExitUsage, "testkey needs --key FILE"});
  auto key = loadPrivateKey(key_path);
  if (!key) return report(key.error());
  auto resolver = dns.build();
  if (!resolver) return report(resolver.error());
  const std::string owner = name->selector + "._domainkey." + name->domain;
  const TxtAnswer answer = (*resolver)->lookupTxt(owner);
  if (answer.status == DnsStatus::temporary_failure || answer.status == DnsStatus::bogus) {
    std::cout << owner << ": key query failed: " << answer.reason << "\n";
    return kExitTemporary;
  }
  if (answer.status == DnsStatus::no_record) {
    std::cout << owner << ": no key record published\n";
    return kExitFail;
  }
  auto expected = (*key)->publicKeyData();
  if (!expected) return report(Failure{kExitSoftware, expected.error().message});
  std::string problem = "no DKIM key record";
  for (const auto& text : answer.records) {
    auto record = parseKeyRecord(text);
    if (!record) { problem = "record does not parse: " + record.error().message(); continue; }
    if (record->revoked) { problem = "key is revoked (empty p=)"; continue; }
    if (record->key_type != (*key)->type()) { problem = "record's k= does not match the private key's type"; continue; }
    if (record->public_key != *expected) { problem = "published key does not match the private key"; continue; }
    std::cout << owner << ": key OK (" << (*key)->bits() << "-bit " << toString((*key)->type()) << ", "
              << (answer.secure ? "secure" : "not secure") << (record->testing ? ", testing" : "") << ")\n";
    return kExitOk;
  }
  std::cout << owner << ": " << problem << "\n";
  return kExitFail;
}

}  // namespace signet::cli
