#include "engine.h"

#include <unistd.h>

#include "signet/unbound_resolver.h"

namespace signet::milter {
namespace {

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

std::expected<std::shared_ptr<const Engine>, ConfigError> Engine::build(const MilterConfig& config) {
  UnboundOptions options;
  options.nameservers = config.nameservers;
  options.resolver_config = config.resolver_configuration;
  options.trust_anchor_file = config.trust_anchor_file;
  options.timeout = config.dns_timeout;
  options.max_txt_bytes = config.maximum_key_record_bytes;
  auto resolver = makeUnboundResolver(options);
  if (!resolver) return std::unexpected(ConfigError{config.source, 0, "resolver: " + resolver.error().message});
  return build(config, std::shared_ptr<Resolver>(std::move(*resolver)));
}

std::expected<std::shared_ptr<const Engine>, ConfigError> Engine::build(const MilterConfig& config,
                                                                        std::shared_ptr<Resolver> resolver) {
  auto engine = std::make_shared<Engine>();
  engine->config = std::make_shared<const MilterConfig>(config);
  auto keys = KeyStore::load(config);
  if (!keys) return std::unexpected(keys.error());
  engine->keys = std::move(*keys);
  if ((config.arc_seal != ArcSealing::none || config.arc_seal_by_internal) && !config.final_receiver) {
    auto arc_keys = ArcKeys::load(config, engine->keys);
    if (!arc_keys) return std::unexpected(arc_keys.error());
    engine->arc_keys = std::move(*arc_keys);
  }
  engine->resolver = std::move(resolver);
  engine->verifier.resolver = engine->resolver.get();
  engine->verifier.max_signatures = config.maximum_signatures;
  engine->verifier.minimum_rsa_bits = config.minimum_key_bits;
  engine->verifier.strict_rsa_sha1 = config.strict_sha1;
  engine->verifier.tag_limits.max_bytes = config.maximum_tag_list_bytes;
  engine->verifier.tag_limits.max_tags = config.maximum_tags;
  engine->verifier.maximum_rsa_bits = config.maximum_key_bits;
  engine->authserv_id = config.authserv_id.empty() ? hostName() : config.authserv_id;
  return std::shared_ptr<const Engine>(std::move(engine));
}

}  // namespace signet::milter
