#include "daemon.h"

#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "engine.h"
#include "milter_glue.h"
#include "service_manager.h"

namespace signet::milter {
namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr int kExitOsError = 71; // EX_OSERR
constexpr auto kShutdownGrace = std::chrono::seconds(60);

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
};

std::expected<std::optional<Identity>, std::string> lookUpUser(const std::string& spec) {
  if (spec.empty()) return std::nullopt;
  const std::size_t colon = spec.find(':');
  const std::string user = spec.substr(0, colon);
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) return std::unexpected("UserID: no such user " + user);
  Identity id{pw->pw_uid, pw->pw_gid, user};
  if (colon != std::string::npos) {
    const group* gr = getgrnam(spec.substr(colon + 1).c_str());
    if (!gr) return std::unexpected("UserID: no such group " + spec.substr(colon + 1));
    id.gid = gr->gr_gid;
  }
  return id;
}

std::expected<void, std::string> dropPrivileges(const Identity& id) {
  if (getuid() == id.uid && geteuid() == id.uid) return {};
  if (initgroups(id.user.c_str(), id.gid) != 0)
    return std::unexpected(std::string("cannot set groups: ") + std::strerror(errno));
  if (setgid(id.gid) != 0) return std::unexpected(std::string("setgid: ") + std::strerror(errno));
  if (setuid(id.uid) != 0) return std::unexpected(std::string("setuid: ") + std::strerror(errno));
  if (setuid(0) == 0) return std::unexpected("privileges could be regained after setuid");
  return {};
}

// libmilter keeps its listening socket to itself; find it among our
// descriptors (the one listening stream socket of the given families).
template <typename Action>
int forEachListeningSocket(bool include_unix, Action&& action) {
  int count = 0;
  std::error_code ec;
  std::vector<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    try {
      fds.push_back(std::stoi(entry.path().filename().string()));
    } catch (...) {
    }
  }
  for (int fd : fds) {
    int listening = 0, domain = 0, type = 0;
    socklen_t size = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) continue;
    size = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0) continue;
    size = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_STREAM) continue;
    if (domain != AF_INET && domain != AF_INET6 && !(include_unix && domain == AF_UNIX)) continue;
    if (action(fd, domain)) ++count;
  }
  return count;
}

// Linux passes TCP_NODELAY from a listening socket on to the sockets
// accepted from it, so end-of-message replies are not delayed by Nagle's
// algorithm when the MTA delays its ACKs.
int setNoDelayOnListeningSockets() {
  return forEachListeningSocket(false, [](int fd, int) {
    const int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
  });
}

// Stops taking connections while libmilter's workers go on serving the open
// ones: the listening socket is replaced, under the same descriptor, by a
// listening socket nobody can reach (an abstract unix socket with a name
// only this process knows), so libmilter's listener waits quietly and the
// MTA finds the milter gone, as if it had stopped.
int stopListening() {
  return forEachListeningSocket(true, [](int fd, int) {
    const int quiet = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (quiet < 0) return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string name = "signet-milter-stopping-" + std::to_string(getpid()) + "-" + std::to_string(fd);
    std::memcpy(address.sun_path + 1, name.data(), std::min(name.size(), sizeof address.sun_path - 2));
    const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    const bool ok = bind(quiet, reinterpret_cast<sockaddr*>(&address), length) == 0 && listen(quiet, 1) == 0 &&
                    dup2(quiet, fd) >= 0;
    ::close(quiet);
    return ok;
  });
}

std::string unixSocketPath(const std::string& socket) {
  for (const char* prefix : {"local:", "unix:"})
    if (socket.starts_with(prefix)) return socket.substr(std::strlen(prefix));
  if (socket.starts_with("/")) return socket;
  return {};
}

bool writePidFile(const std::string& path, std::string& error) {
  if (path.empty()) return true;
  const std::string text = std::to_string(getpid()) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    error = "PidFile " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

// Goes to the background; the parent waits until the child reports that it
// is ready (or why it is not) and exits with that status.
int daemonize(int& report_fd) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    ::close(pipe_fds[1]);
    std::string message;
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<std::size_t>(n));
    if (message == "ok") _exit(0);
    std::cerr << "signet-milter: " << (message.empty() ? std::string("failed to start") : message) << "\n";
    _exit(kExitConfig);
  }
  ::close(pipe_fds[0]);
  setsid();
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    if (null_fd > 2) ::close(null_fd);
  }
  report_fd = pipe_fds[1];
  return 0;
}

void report(int fd, const std::string& message) {
  if (fd < 0) return;
  if (::write(fd, message.data(), message.size()) < 0) {
    // Nobody is left to tell.
  }
  ::close(fd);
}

// Loads the configuration and keys again; a bad new set is refused and the
// running one stays.
void reload(const DaemonOptions& options, EngineHolder& engines, Logger& logger) {
  auto fresh = loadConfig(options.config_path);
  if (!fresh) {
    logger.error("reload refused, keeping the running configuration: " + fresh.error().text());
    return;
  }
  if (!options.socket_override.empty()) fresh->socket = options.socket_override;
  auto rebuilt = Engine::build(*fresh);
  if (!rebuilt) {
    logger.error("reload refused, keeping the running configuration: " + rebuilt.error().text());
    return;
  }
  if (fresh->socket != engines.get()->config->socket)
    logger.warning("reload: a new Socket takes effect only after a restart");
  if (fresh->milter_timeout != engines.get()->config->milter_timeout ||
      fresh->maximum_packet_bytes != engines.get()->config->maximum_packet_bytes)
    logger.warning("reload: a new MilterTimeout or MaximumPacketBytes takes effect only after a restart");
  engines.set(*rebuilt);
  logger.info("configuration and keys reloaded from " + options.config_path);
}

}  // namespace

int runDaemon(const DaemonOptions& options) {
  // No thread may take these signals by default: libmilter's signal thread
  // waits for SIGTERM/SIGINT (graceful stop), ours for SIGHUP (reload).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Under systemd's Type=notify: READY once the socket is served, RELOADING
  // around a reload, STOPPING at the stop.
  const ServiceNotifier notifier = ServiceNotifier::fromEnvironment();

  auto config = loadConfig(options.config_path);
  if (!config) {
    std::cerr << "signet-milter: " << config.error().text() << "\n";
    return kExitConfig;
  }
  if (!options.socket_override.empty()) config->socket = options.socket_override;
  auto identity = lookUpUser(config->user);
  if (!identity) {
    std::cerr << "signet-milter: " << identity.error() << "\n";
    return kExitConfig;
  }
  if (options.check_only) {
    auto engine = Engine::build(*config);
    if (!engine) {
      std::cerr << "signet-milter: " << engine.error().text() << "\n";
      return kExitConfig;
    }
    for (const auto& warning : config->warnings) std::cerr << "signet-milter: warning: " << warning << "\n";
    std::cout << "signet-milter: configuration " << options.config_path << " OK\n";
    return 0;
  }

  Logger logger(config->syslog && !options.foreground, config->syslog_facility);
  GlueContext context;
  std::string error;
  if (!registerFilter(context, error)) {
    std::cerr << "signet-milter: " << error << "\n";
    return kExitOsError;
  }
  smfi_settimeout(config->milter_timeout);
  smfi_setmaxdatasize(config->maximum_packet_bytes);
  if (smfi_setconn(const_cast<char*>(config->socket.c_str())) != MI_SUCCESS) {
    std::cerr << "signet-milter: bad Socket " << config->socket << "\n";
    return kExitConfig;
  }
  const mode_t old_umask = umask(config->umask);
  const int opened = smfi_opensocket(true);
  umask(old_umask);
  if (opened != MI_SUCCESS) {
    std::cerr << "signet-milter: cannot listen on " << config->socket << " (in use, or no permission)\n";
    return kExitOsError;
  }
  setNoDelayOnListeningSockets();
  const std::string socket_path = unixSocketPath(config->socket);
  if (!socket_path.empty() && *identity && getuid() == 0) {
    if (chown(socket_path.c_str(), (*identity)->uid, (*identity)->gid) != 0)
      logger.warning("cannot give " + socket_path + " to " + (*identity)->user + ": " + std::strerror(errno));
  }

  int report_fd = -1;
  if (!options.foreground && daemonize(report_fd) != 0) {
    std::cerr << "signet-milter: cannot go to the background: " << std::strerror(errno) << "\n";
    return kExitOsError;
  }
  // Threads start only now, after any fork: the resolver owns one.
  auto engine = Engine::build(*config);
  if (!engine) {
    const std::string message = engine.error().text();
    if (options.foreground) std::cerr << "signet-milter: " << message << "\n";
    report(report_fd, message);
    return kExitConfig;
  }
  EngineHolder engines(*engine);
  context.engines = &engines;
  context.logger = &logger;
  if (!writePidFile(config->pid_file, error)) {
    report(report_fd, error);
    if (options.foreground) std::cerr << "signet-milter: " << error << "\n";
    return kExitOsError;
  }
  if (*identity) {
    if (auto dropped = dropPrivileges(**identity); !dropped) {
      report(report_fd, dropped.error());
      if (options.foreground) std::cerr << "signet-milter: " << dropped.error() << "\n";
      return kExitOsError;
    }
  } else if (geteuid() == 0) {
    logger.warning("running as root: set UserID to drop privileges after start-up");
  }

  // Signals are taken here, not by libmilter (see milter_glue.cpp):
  // SIGHUP reloads; SIGTERM or SIGINT stops taking connections, lets the
  // messages in flight finish, then ends smfi_main().
  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    const timespec tick{1, 0};
    while (!stopping) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGHUP) {
        if (auto failed = notifier.reloading()) logger.warning(*failed);
        reload(options, engines, logger);
        if (auto failed = notifier.ready("listening on " + engines.get()->config->socket)) logger.warning(*failed);
      } else if (sig == SIGTERM || sig == SIGINT) {
        if (auto failed = notifier.stopping("stopping")) logger.warning(*failed);
        stopListening();
        if (!socket_path.empty()) ::unlink(socket_path.c_str());
        logger.info("stopping: no new connections; " + std::to_string(context.messages_in_flight.load()) +
                    " message(s) in flight");
        const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
        while (context.messages_in_flight > 0 && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (context.messages_in_flight > 0)
          logger.warning("stopping with " + std::to_string(context.messages_in_flight.load()) +
                         " message(s) unfinished after " + std::to_string(kShutdownGrace.count()) + " s");
        smfi_stop();
        return;
      }
    }
  });

  for (const auto& warning : config->warnings) logger.warning(warning);
  logger.info("listening on " + config->socket + (options.foreground ? " (foreground)" : ""));
  report(report_fd, "ok");
  if (auto failed = notifier.ready("listening on " + config->socket)) logger.warning(*failed);
  const int result = smfi_main();
  stopping = true;
  signal_thread.join();
  if (!config->pid_file.empty()) ::unlink(config->pid_file.c_str());
  logger.info("stopped");
  return result == MI_SUCCESS ? 0 : kExitOsError;
}

}  // namespace signet::milter
