// Internal to signet_dns: a configured, finalized libunbound context built
// from UnboundOptions, and the RAII handles that own libunbound objects.
#pragma once

#include <unbound.h>

#include <memory>

#include "signet/error.h"
#include "signet/unbound_resolver.h"

namespace signet::dns {

struct UbCtxDeleter {
  void operator()(ub_ctx* ctx) const { ub_ctx_delete(ctx); }
};
using UbCtxPtr = std::unique_ptr<ub_ctx, UbCtxDeleter>;

struct UbResultDeleter {
  void operator()(ub_result* result) const { ub_resolve_free(result); }
};
using UbResultPtr = std::unique_ptr<ub_result, UbResultDeleter>;

// Checks every option and returns a context set up for threaded asynchronous
// use (ub_ctx_async), its configuration already loaded and checked.
Result<UbCtxPtr> makeUnboundContext(const UnboundOptions& options);

}  // namespace signet::dns
