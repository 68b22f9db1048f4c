// What every connection of signet-milter shares: the configuration, the
// loaded keys, the resolver and the verifier settings. Built once at start
// and again on SIGHUP; a connection keeps the Engine it started a message
// with, so a reload never changes a message half-way.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "config.h"
#include "arc_keys.h"
#include "key_store.h"
#include "signet/dns.h"
#include "signet/verifier.h"

namespace signet::milter {

struct Engine {
  std::shared_ptr<const MilterConfig> config;
  std::shared_ptr<KeyStore> keys;
  std::shared_ptr<const ArcKeys> arc_keys;  // null when nothing is sealed
  std::shared_ptr<Resolver> resolver;
  VerifierOptions verifier;  // its resolver points at `resolver`
  std::string authserv_id;

  // Builds everything a configuration names: keys loaded and checked, the
  // resolver set up. An error says what failed; nothing half-built escapes.
  static std::expected<std::shared_ptr<const Engine>, ConfigError> build(const MilterConfig& config);
  // As build(), with a resolver supplied (tests).
  static std::expected<std::shared_ptr<const Engine>, ConfigError> build(const MilterConfig& config,
                                                                         std::shared_ptr<Resolver> resolver);
};

// The current Engine, swapped whole on reload.
class EngineHolder {
 public:
  explicit EngineHolder(std::shared_ptr<const Engine> engine) : engine_(std::move(engine)) {}
  std::shared_ptr<const Engine> get() const {
    std::lock_guard lock(mutex_);
    return engine_;
  }
  void set(std::shared_ptr<const Engine> engine) {
    std::lock_guard lock(mutex_);
    engine_ = std::move(engine);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Engine> engine_;
};

}  // namespace signet::milter
