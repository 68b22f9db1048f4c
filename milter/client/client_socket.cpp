// Socket plumbing for MilterConnection (client_socket.h): non-blocking
// connect with a deadline, poll()-bounded sends and receives.
#include "client_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace signet::milter_client::detail {
namespace {

std::string errnoText(int error) {
  return std::strerror(error);
}

// Milliseconds left until the deadline, for poll(); 0 when passed.
int remainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 24LL * 3600 * 1000));
}

// Waits for `events` on fd; false on timeout.
std::expected<bool, IoError> waitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int ready = poll(&p, 1, remainingMs(deadline));
    if (ready > 0) return true;
    if (ready == 0) {
      if (Clock::now() >= deadline) return false;
      continue;
    }
    if (errno != EINTR) return std::unexpected(IoError{IoError::Kind::closed, "poll: " + errnoText(errno)});
  }
}

void setTcpOptions(int fd, const SocketOptions& options) {
  const int on = 1;
  const int off = 0;
  if (options.tcp_nodelay) (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (!options.quick_ack) (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
}

// Connects one socket to one address before the deadline.
std::expected<UniqueFd, IoError> connectAddress(const sockaddr* address, socklen_t length, int family,
                                                Clock::time_point deadline) {
  UniqueFd fd(socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0)
    return std::unexpected(IoError{IoError::Kind::unreachable, "socket: " + errnoText(errno)});
  int rc;
  do {
    rc = connect(fd.get(), address, length);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return fd;
  if (errno != EINPROGRESS && errno != EAGAIN)
    return std::unexpected(IoError{IoError::Kind::unreachable, errnoText(errno)});
  auto ready = waitFor(fd.get(), POLLOUT, deadline);
  if (!ready) return std::unexpected(ready.error());
  if (!*ready) return std::unexpected(IoError{IoError::Kind::timeout, "connect timed out"});
  int error = 0;
  socklen_t size = sizeof error;
  if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error != 0) return std::unexpected(IoError{IoError::Kind::unreachable, errnoText(error)});
  return fd;
}

std::expected<UniqueFd, IoError> connectLocal(const std::string& path, Clock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    return std::unexpected(IoError{IoError::Kind::unreachable, "socket path too long"});
  std::memcpy(address.sun_path, path.data(), path.size());
  return connectAddress(reinterpret_cast<const sockaddr*>(&address), sizeof address, AF_UNIX, deadline);
}

struct AddrInfoFree {
  void operator()(addrinfo* a) const { freeaddrinfo(a); }
};

std::expected<UniqueFd, IoError> connectInet(const SocketSpec& spec, Clock::time_point deadline) {
  const int family = spec.kind == SocketSpec::Kind::inet6 ? AF_INET6 : AF_INET;
  const std::string host = !spec.host.empty() ? spec.host : (family == AF_INET6 ? "::1" : "127.0.0.1");
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(spec.port).c_str(), &hints, &found);
  if (rc != 0) return std::unexpected(IoError{IoError::Kind::unreachable, gai_strerror(rc)});
  const std::unique_ptr<addrinfo, AddrInfoFree> list(found);
  IoError last{IoError::Kind::unreachable, "no address"};
  for (const addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    auto fd = connectAddress(a->ai_addr, a->ai_addrlen, a->ai_family, deadline);
    if (fd) return fd;
    last = fd.error();
    if (last.kind == IoError::Kind::timeout) break;
  }
  return std::unexpected(last);
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::expected<UniqueFd, IoError> connectSocket(const SocketSpec& spec, Clock::time_point deadline,
                                               const SocketOptions& options) {
  if (spec.kind == SocketSpec::Kind::local) return connectLocal(spec.path, deadline);
  auto fd = connectInet(spec, deadline);
  if (fd) setTcpOptions(fd->get(), options);
  return fd;
}

std::expected<void, IoError> sendAll(int fd, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      auto ready = waitFor(fd, POLLOUT, deadline);
      if (!ready) return std::unexpected(ready.error());
      if (!*ready) return std::unexpected(IoError{IoError::Kind::timeout, "filter not reading"});
      continue;
    }
    return std::unexpected(IoError{IoError::Kind::closed, "send: " + errnoText(errno)});
  }
  return {};
}

std::expected<std::size_t, IoError> receiveSome(int fd, std::span<char> buffer, Clock::time_point deadline,
                                                bool clear_quick_ack) {
  for (;;) {
    const ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
    if (got > 0) {
      if (clear_quick_ack) {
        const int off = 0;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
      }
      return static_cast<std::size_t>(got);
    }
    if (got == 0) return std::unexpected(IoError{IoError::Kind::closed, "filter closed the connection"});
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return std::unexpected(IoError{IoError::Kind::closed, "recv: " + errnoText(errno)});
    auto ready = waitFor(fd, POLLIN, deadline);
    if (!ready) return std::unexpected(ready.error());
    if (!*ready) return std::unexpected(IoError{IoError::Kind::timeout, "no reply"});
  }
}

}  // namespace signet::milter_client::detail
