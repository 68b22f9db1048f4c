#include "arc_keys.h"

namespace signet::milter {

std::expected<std::shared_ptr<const ArcKeys>, ConfigError> ArcKeys::load(const MilterConfig& config,
                                                                         std::shared_ptr<KeyStore> dkim) {
  auto keys = std::shared_ptr<ArcKeys>(new ArcKeys());
  if (!config.arc_key_file.empty()) {
    auto key = readKeyFile(config.arc_key_file, config.require_safe_keys, false, serviceOwner(config));
    if (!key) return std::unexpected(ConfigError{config.source, 0, "sealing key: " + key.error().message});
    auto signing = std::make_shared<SigningKey>();
    signing->name = config.arc_key_file;
    signing->domain = config.arc_domain;
    signing->selector = config.arc_selector;
    signing->path = config.arc_key_file;
    signing->key = *key;
    keys->single_ = std::move(signing);
  } else if (!config.arc_sealing_table.empty()) {
    // The KeyStore machinery, with the sealing table in the SigningTable's place.
    MilterConfig sealing = config;
    sealing.signing_table = config.arc_sealing_table;
    sealing.multiple_signatures = false;
    auto store = KeyStore::load(sealing);
    if (!store) return std::unexpected(store.error());
    keys->table_ = std::move(*store);
  } else {
    keys->table_ = std::move(dkim);
  }
  return std::shared_ptr<const ArcKeys>(std::move(keys));
}

std::expected<std::shared_ptr<const SigningKey>, std::string> ArcKeys::keyFor(
    std::span<const std::string> recipients, std::string_view from_address) const {
  if (single_) return single_;
  if (!table_) return nullptr;
  for (const auto& rcpt : recipients) {
    auto found = table_->tryKeysFor(rcpt);
    if (!found) return std::unexpected(found.error());
    if (!found->empty()) return found->front();
  }
  if (from_address.empty()) return nullptr;
  auto found = table_->tryKeysFor(from_address);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return nullptr;
  return found->front();
}

}  // namespace signet::milter
