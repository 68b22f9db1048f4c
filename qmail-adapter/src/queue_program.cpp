#include "queue_program.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
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

  // vfork: the child borrows the parent's memory until it execs, so no page
  // tables are copied (qmail-signet starts once per message; glibc's
  // posix_spawn would also reset all 64 signals one call at a time). The
  // child only makes system calls: the spool file becomes fd 0, the pipe's
  // read end fd 1 (dup2 clears close-on-exec on the copies), SIGPIPE goes
  // back to its default, and the other descriptors (fd 2, a custom-error
  // fd 6) are inherited.
  char* const argv[] = {const_cast<char*>(program.c_str()), nullptr};
  const int message_fd = message.fd();
  const int envelope_fd = pipe.readEnd();
  const pid_t pid = ::vfork();
  if (pid == 0) {
    if (::dup2(message_fd, 0) < 0 || ::dup2(envelope_fd, 1) < 0) ::_exit(exit_code::cannot_pipe);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::execv(argv[0], argv);
    ::_exit(exit_code::cannot_exec);
  }
  if (pid < 0) return {exit_code::cannot_fork, errnoText("vfork")};
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
