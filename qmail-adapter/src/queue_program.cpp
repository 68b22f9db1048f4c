#include "queue_program.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit_codes.h"

namespace signet::qmail {
namespace {

std::string errnoText(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

class Pipe {
 public:
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  bool open() { return ::pipe2(fds_, O_CLOEXEC) == 0; }
  int readEnd() const { return fds_[0]; }
  int writeEnd() const { return fds_[1]; }
  void closeRead() { closeOne(fds_[0]); }
  void closeWrite() { closeOne(fds_[1]); }

 private:
  static void closeOne(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fds_[2] = {-1, -1};
};

}  // namespace

QueueRun runQueueProgram(const std::string& program, const SpoolFile& message, const std::string& envelope) {
  if (auto r = message.rewind(); !r) return {exit_code::read_error, r.error().message};
  Pipe pipe;
  if (!pipe.open()) return {exit_code::cannot_pipe, errnoText("pipe")};

  // posix_spawn (vfork-like on glibc) costs less than fork per message. The
  // child gets the spool file as fd 0 and the pipe's read end as fd 1 (dup2
  // clears close-on-exec on the copies), SIGPIPE back to its default, and
  // inherits the other open descriptors (fd 2, a custom-error fd 6).
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  if (::posix_spawn_file_actions_init(&actions) != 0) return {exit_code::cannot_fork, "posix_spawn setup"};
  ::posix_spawn_file_actions_adddup2(&actions, message.fd(), 0);
  ::posix_spawn_file_actions_adddup2(&actions, pipe.readEnd(), 1);
  ::posix_spawnattr_init(&attributes);
  sigset_t defaults;
  ::sigemptyset(&defaults);
  ::sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigdefault(&attributes, &defaults);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  char* const argv[] = {const_cast<char*>(program.c_str()), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  if (spawned == ENOENT || spawned == EACCES || spawned == ENOEXEC || spawned == ENOTDIR)
    return {exit_code::cannot_exec, "cannot run " + program + ": " + std::strerror(spawned)};
  if (spawned != 0) return {exit_code::cannot_fork, std::string("posix_spawn: ") + std::strerror(spawned)};
  pipe.closeRead();

  bool envelope_written = true;
  const char* data = envelope.data();
  std::size_t left = envelope.size();
  while (left > 0) {
    const ssize_t n = ::write(pipe.writeEnd(), data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      envelope_written = false;  // EPIPE: the program stopped reading (SIGPIPE is ignored)
      break;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  pipe.closeWrite();

  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited != pid) return {exit_code::queue_crashed, errnoText("waitpid")};
  if (!WIFEXITED(status))
    return {exit_code::queue_crashed,
            program + " was killed by signal " + std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0)};
  const int code = WEXITSTATUS(status);
  if (code == exit_code::cannot_exec) return {code, "cannot run " + program};
  if (code == 0 && !envelope_written)
    return {exit_code::write_error, program + " exited 0 without reading the whole envelope"};
  return {code, {}};
}

}  // namespace signet::qmail
