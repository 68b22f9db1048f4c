// qmail-signet: a drop-in qmail-queue that consults milters (qmail-signet(8)).
// main reads the settings, runs the shim and exits with its code; every
// failure has a qmail-queue exit code, so qmail-smtpd always gets an answer.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <new>
#include <string>
#include <unistd.h>

#include "exit_codes.h"
#include "settings.h"
#include "shim.h"

namespace {

void writeAll(int fd, const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// control/me is one short line; plain read(2) keeps start-up cheap (no
// iostreams), which matters: qmail-signet starts once per message.
std::optional<std::string> readSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text(4096, '\0');
  std::size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(used);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace signet::qmail;
  std::signal(SIGPIPE, SIG_IGN);
  const std::string argv0 = argc > 0 && argv[0] ? argv[0] : "qmail-signet";
  std::string program = argv0.substr(argv0.rfind('/') == std::string::npos ? 0 : argv0.rfind('/') + 1);
  auto log = [&](std::string_view line) {
    std::string out = program + "[" + std::to_string(::getpid()) + "]: ";
    out.append(line);
    out += '\n';
    writeAll(2, out);
  };
  try {
    auto settings = loadSettings(
        argv0,
        [](std::string_view name) -> std::optional<std::string> {
          const char* v = std::getenv(std::string(name).c_str());
          return v ? std::optional<std::string>(v) : std::nullopt;
        },
        readSmallFile);
    if (!settings) {
      log(settings.error().variable + ": " + settings.error().message + " (message not queued, try again later)");
      return exit_code::bad_configuration;
    }
    if (settings->already_filtered) {
      // Installed as bin/qmail-queue while QMAILQUEUE points at it too: the
      // qmail-signet before this one has consulted the milters already.
      char* const next[] = {const_cast<char*>(settings->queue_program.c_str()), nullptr};
      ::execv(next[0], next);
      log("cannot run " + settings->queue_program + " (message not queued, try again later)");
      return exit_code::cannot_exec;
    }
    ::setenv(kFilteredMarker, "1", 1);
    const ExitStatus status = runShim(*settings, 0, 1, log);
    if (!status.fd6_text.empty()) writeAll(6, status.fd6_text);
    return status.code;
  } catch (const std::bad_alloc&) {
    log("out of memory");
    return exit_code::out_of_memory;
  } catch (const std::exception& e) {
    log(std::string("internal error: ") + e.what());
    return exit_code::filter_broken;
  }
}
