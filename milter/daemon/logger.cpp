#include "logger.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "service_manager.h"

namespace signet::milter {
namespace {

int facilityCode(std::string_view name) {
  struct Entry {
    std::string_view name;
    int code;
  };
  static constexpr Entry kFacilities[] = {
      {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"auth", LOG_AUTH},
      {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON}, {"ftp", LOG_FTP},     {"kern", LOG_KERN},
      {"lpr", LOG_LPR},       {"news", LOG_NEWS},     {"syslog", LOG_SYSLOG}, {"uucp", LOG_UUCP},
      {"local0", LOG_LOCAL0},
      {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
      {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  for (const auto& f : kFacilities)
    if (f.name == name) return f.code;
  return LOG_MAIL;
}

int priority(LogLevel level) {
  switch (level) {
    case LogLevel::error: return LOG_ERR;
    case LogLevel::warning: return LOG_WARNING;
    case LogLevel::info: return LOG_INFO;
    case LogLevel::debug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

}  // namespace

Logger::Logger(bool to_syslog, std::string_view facility)
    : syslog_(to_syslog), journal_(!to_syslog && isJournalStream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO)) {
  if (syslog_) openlog("signet-milter", LOG_PID | LOG_NDELAY, facilityCode(facility));
}

Logger::~Logger() {
  if (syslog_) closelog();
}

void Logger::log(LogLevel level, std::string_view message) {
  std::string line;
  for (char c : message) line.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (syslog_) {
    syslog(priority(level), "%s", line.c_str());
    return;
  }
  std::lock_guard lock(mutex_);
  if (journal_) {
    std::fprintf(stderr, "%s%s\n", journalPrefix(priority(level)).c_str(), line.c_str());
    std::fflush(stderr);
    return;
  }
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
  std::fprintf(stderr, "%s signet-milter: %s\n", stamp, line.c_str());
  std::fflush(stderr);
}

}  // namespace signet::milter
