// Log lines of signet-milter: to syslog, or to standard error when running
// in the foreground, each line with a time stamp; when standard error is
// systemd's journal (service_manager.h), with the line's priority instead.
// Thread-safe; never logs key material.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace signet::milter {

enum class LogLevel { error, warning, info, debug };

class Logger {
 public:
  Logger(bool to_syslog, std::string_view facility);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void log(LogLevel level, std::string_view message);
  void error(std::string_view m) { log(LogLevel::error, m); }
  void warning(std::string_view m) { log(LogLevel::warning, m); }
  void info(std::string_view m) { log(LogLevel::info, m); }

 private:
  bool syslog_;
  bool journal_;
  std::mutex mutex_;
};

}  // namespace signet::milter
