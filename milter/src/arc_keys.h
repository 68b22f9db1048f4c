// The keys signet-milter seals with (RFC 8617 section 5.1), chosen like its
// DKIM keys: one key (ARCDomain, ARCSelector, ARCKeyFile, or openarc.conf's
// Domain, Selector, KeyFile) that seals everything; or ARCSealingTable,
// whose patterns (as a SigningTable's, "refile:" wildcards) name KeyTable
// entries and are tried against each envelope recipient, then the From
// address, so that a forwarder or list host seals as the domain the mail
// was sent to; or, with neither, the key that DKIM-signs the message.
#pragma once

#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config.h"
#include "key_store.h"

namespace signet::milter {

class ArcKeys {
 public:
  // Loads what the configuration names; `dkim` is the DKIM KeyStore, used
  // when no ARC key is configured. An unreadable or unsafe key is an error.
  static std::expected<std::shared_ptr<const ArcKeys>, ConfigError> load(const MilterConfig& config,
                                                                         std::shared_ptr<KeyStore> dkim);

  // The key for a message, or nullptr when none applies; an error when one
  // applies and cannot be used.
  std::expected<std::shared_ptr<const SigningKey>, std::string> keyFor(
      std::span<const std::string> recipients, std::string_view from_address) const;

 private:
  std::shared_ptr<const SigningKey> single_;
  std::shared_ptr<KeyStore> table_;  // ARCSealingTable, or the DKIM store
};

}  // namespace signet::milter
