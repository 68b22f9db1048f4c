// The one place that knows libmilter's global callback table. It registers
// the callbacks, wraps each in a try/catch (an exception becomes the
// configured On-InternalError action), and hands the data to a Session.
#pragma once

#include <atomic>
#include <string>

#include "engine.h"
#include "logger.h"

namespace signet::milter {

struct GlueContext {
  EngineHolder* engines;
  Logger* logger;
  std::atomic<int> active_connections{0};
  std::atomic<int> messages_in_flight{0};  // between MAIL FROM and end of message or abort
};

// Registers the filter with libmilter; `context` must outlive smfi_main().
bool registerFilter(GlueContext& context, std::string& error);

}  // namespace signet::milter
