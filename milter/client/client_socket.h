// The socket under MilterConnection: an owned descriptor, a non-blocking
// connect with a deadline, and sends and receives that wait with poll()
// until a deadline. Internal to signet_milter_client.
//
// Errors: an IoError with a kind (unreachable, timeout, closed) and a short
// reason safe to log (strerror text, never peer data).
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "socket_spec.h"

namespace signet::milter_client::detail {

using Clock = std::chrono::steady_clock;

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

struct IoError {
  enum class Kind { unreachable, timeout, closed };
  Kind kind = Kind::closed;
  std::string reason;
};

struct SocketOptions {
  bool tcp_nodelay = true;
  bool quick_ack = true;
};

// Connects to the socket (a host name tries each address in turn) before
// the deadline; the descriptor is non-blocking and close-on-exec. An inet
// spec without a host connects to the loopback address.
std::expected<UniqueFd, IoError> connectSocket(const SocketSpec& spec, Clock::time_point deadline,
                                               const SocketOptions& options);

// Writes all of `bytes` before the deadline.
std::expected<void, IoError> sendAll(int fd, std::string_view bytes, Clock::time_point deadline);

// Waits until something can be read (or the deadline), then reads it into
// `buffer`; returns the count (never 0: the peer's close is an error).
// With quick_ack off, TCP_QUICKACK is cleared after the read.
std::expected<std::size_t, IoError> receiveSome(int fd, std::span<char> buffer, Clock::time_point deadline,
                                                bool clear_quick_ack);

}  // namespace signet::milter_client::detail
