// The signing keys of signet-milter: the single Domain/Selector/KeyFile key,
// or a KeyTable with a SigningTable (opendkim.conf(5) formats; "refile:"
// wildcard patterns), and qmail-dk's DKSIGN-style paths ('%' = the From
// domain, selector = the file's base name). Keys are read and parsed once,
// at load time (or, for '%' paths, on first use, then cached), never per
// message. A key file readable by group or others is refused unless
// RequireSafeKeys is off. Paths that arrive per message (DKSIGN macros) must
// resolve inside KeyDirectory: "..", and symbolic links leading out, are
// refused.
#pragma once

#include <sys/types.h>

#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "signet/crypto.h"

namespace signet::milter {

struct SigningKey {
  std::string name;      // KeyTable key name, or the file path
  std::string domain;    // d=
  std::string selector;  // s=
  std::string path;
  std::shared_ptr<const PrivateKey> key;
  std::string identity;  // i= from the SigningTable's optional signer field ('%' replaced); empty: none
};

// Why a key file could not be used.
struct KeyFileError {
  bool missing = false;  // the file does not exist
  std::string message;   // names the file and, where it can, says how to fix it
};

// Reads a PEM private key file (at most 64 KiB). With `require_safe`
// (RequireSafeKeys), refuses a file whose mode lets group or others in
// (mode & 077) or that is owned by none of: root, this process's user, and
// `service_owner` (the UserID user, who must read the keys again on SIGHUP).
// With `no_follow`, refuses a symbolic link as the last path component.
// Refuses RSA keys under 1024 bits (RFC 8301).
std::expected<std::shared_ptr<const PrivateKey>, KeyFileError> readKeyFile(const std::string& path,
                                                                           bool require_safe,
                                                                           bool no_follow = false,
                                                                           std::optional<uid_t> service_owner = {});

// The UserID user's uid, who may own key files besides root and us; none
// without UserID or when the user does not exist.
std::optional<uid_t> serviceOwner(const MilterConfig& config);

class KeyStore {
 public:
  // Reads the KeyTable/SigningTable or KeyFile named by the configuration and
  // loads every key they name. An unreadable, unsafe or unparsable key is an
  // error naming it.
  static std::expected<std::shared_ptr<KeyStore>, ConfigError> load(const MilterConfig& config);

  // The keys that sign mail from `from_address` ("local@domain"; the domain
  // alone also works): every match with MultipleSignatures, else the first
  // that has a key ('%' key files may not exist for every domain).
  // The SigningTable decides when there is one; else Domain (or '%' KeyFile).
  std::vector<std::shared_ptr<const SigningKey>> keysFor(std::string_view from_address) const;
  // As keysFor, but says why when a key that should sign cannot be used (a
  // '%' key file that is unsafe or unparsable, a From domain unfit for a
  // path). A '%' key file that does not exist is not an error: no key.
  std::expected<std::vector<std::shared_ptr<const SigningKey>>, std::string> tryKeysFor(
      std::string_view from_address) const;

  // A key named by a DKSIGN-style path from a message: '%' is replaced by
  // `from_domain`; the result must lie inside KeyDirectory.
  // A relative path is taken inside KeyDirectory; d= is `from_domain`, s= the
  // file's base name less .private/.pem/.key. Loaded keys are cached.
  // A file that does not exist gives an error beginning kKeyPathMissing.
  static constexpr std::string_view kKeyPathMissing = "no such key file: ";
  std::expected<std::shared_ptr<const SigningKey>, std::string> keyForPath(std::string_view path_pattern,
                                                                          std::string_view from_domain);

  // True when neither a KeyTable nor a KeyFile is configured (keyForPath
  // may still work, with KeyDirectory).
  bool empty() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace signet::milter
