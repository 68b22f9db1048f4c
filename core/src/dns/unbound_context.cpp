// Turning UnboundOptions into a libunbound context, every option checked.
#include "dns/unbound_context.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>

namespace signet::dns {
namespace {

// "IP" or "IP@PORT"; returns why it is not, or an empty string.
std::string nameserverProblem(std::string_view spec) {
  std::string_view address = spec;
  if (const auto at = spec.rfind('@'); at != std::string_view::npos) {
    address = spec.substr(0, at);
    const std::string_view port = spec.substr(at + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
      return "port is not a number";
    const unsigned long value = std::stoul(std::string(port));
    if (value == 0 || value > 65535) return "port out of range 1-65535";
  }
  const std::string host(address);
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) != 1 && inet_pton(AF_INET6, host.c_str(), &v6) != 1)
    return "not an IPv4 or IPv6 address (expected IP or IP@PORT)";
  return {};
}

// The file can be opened for reading, or why not.
std::string unreadable(const std::string& path) {
  std::ifstream file(path);
  if (file) return {};
  const int saved = errno;
  return saved != 0 ? std::strerror(saved) : "cannot open";
}

// ub_ctx_config is thread-safe only while one context exists (libunbound(3));
// this lock keeps our own calls from running in parallel. Justified global:
// it guards a library, not Signet state.
std::mutex& configReadLock() {
  static std::mutex lock;
  return lock;
}

std::string ubError(int rc) { return ub_strerror(rc); }

Result<void> tryApplyOptions(ub_ctx* ctx, const UnboundOptions& options) {
  if (int rc = ub_ctx_async(ctx, 1); rc != UB_NOERROR)
    return failure("cannot enable threaded libunbound: " + ubError(rc));
  if (!options.resolver_config.empty()) {
    std::lock_guard lock(configReadLock());
    if (int rc = ub_ctx_config(ctx, options.resolver_config.c_str()); rc != UB_NOERROR)
      return failure("resolver configuration " + options.resolver_config + ": " + ubError(rc));
  }
  for (const std::string& server : options.nameservers) {
    if (int rc = ub_ctx_set_fwd(ctx, server.c_str()); rc != UB_NOERROR)
      return failure("nameserver \"" + server + "\": " + ubError(rc));
  }
  if (options.nameservers.empty() && options.resolver_config.empty()) {
    if (int rc = ub_ctx_resolvconf(ctx, nullptr); rc != UB_NOERROR)
      return failure("system resolver: cannot use /etc/resolv.conf: " + ubError(rc));
    // /etc/hosts holds no TXT records; a missing or odd one is no reason to fail.
    (void)ub_ctx_hosts(ctx, nullptr);
  }
  if (!options.trust_anchor_file.empty()) {
    if (int rc = ub_ctx_add_ta_file(ctx, options.trust_anchor_file.c_str()); rc != UB_NOERROR)
      return failure("trust anchor file " + options.trust_anchor_file + ": " + ubError(rc));
  }
  return {};
}

// libunbound reads trust anchors and local data only when the context is
// finalized, normally at the first query. Removing a local zone that is not
// there finalizes it now, so a bad file is reported here and not at the
// first key look-up.
Result<void> tryFinalize(ub_ctx* ctx, const UnboundOptions& options) {
  const int rc = ub_ctx_zone_remove(ctx, "signet-finalize.invalid.");
  if (rc == UB_NOERROR) return {};
  std::string files;
  if (!options.resolver_config.empty()) files += " resolver configuration " + options.resolver_config;
  if (!options.trust_anchor_file.empty())
    files += (files.empty() ? " " : " and ") + std::string("trust anchor file ") + options.trust_anchor_file;
  return failure("cannot initialise libunbound (" + ubError(rc) + ")" +
                 (files.empty() ? std::string() : ": check" + files));
}

}  // namespace

Result<UbCtxPtr> makeUnboundContext(const UnboundOptions& options) {
  if (options.timeout.count() <= 0) return failure("DNS timeout must be positive");
  if (options.max_txt_bytes == 0) return failure("maximum TXT record size must be at least 1 byte");
  for (const std::string& server : options.nameservers) {
    if (const std::string why = nameserverProblem(server); !why.empty())
      return failure("nameserver \"" + server + "\": " + why);
  }
  if (!options.resolver_config.empty()) {
    if (const std::string why = unreadable(options.resolver_config); !why.empty())
      return failure("resolver configuration " + options.resolver_config + ": " + why);
  }
  if (!options.trust_anchor_file.empty()) {
    if (const std::string why = unreadable(options.trust_anchor_file); !why.empty())
      return failure("trust anchor file " + options.trust_anchor_file + ": " + why);
  }

  UbCtxPtr ctx(ub_ctx_create());
  if (!ctx) return failure("cannot create a libunbound context");
  if (auto applied = tryApplyOptions(ctx.get(), options); !applied) return std::unexpected(applied.error());
  if (auto done = tryFinalize(ctx.get(), options); !done) return std::unexpected(done.error());
  return ctx;
}

}  // namespace signet::dns
