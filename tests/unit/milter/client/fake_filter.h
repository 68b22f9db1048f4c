// A scripted fake milter filter for the MilterConnection tests: a thread
// that listens on a unix socket in a temporary directory or on 127.0.0.1
// port 0, accepts one connection, records every byte the client sends, and
// hands each packet to a script that answers (or stalls, or hangs up).
// Every wait in the thread is bounded so a broken test cannot hang.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "milter_protocol.h"
#include "socket_spec.h"
#include "wire_bytes.h"

namespace signet::milter_client::test {

class FakeFilter {
 public:
  // What the script can do with the connection.
  class Peer {
   public:
    explicit Peer(int fd) : fd_(fd) {}
    void send(std::string_view bytes) {
      while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return;
        bytes.remove_prefix(static_cast<std::size_t>(n));
      }
    }
    void hangUp() { closed_ = true; }
    bool closed() const { return closed_; }

   private:
    int fd_;
    bool closed_ = false;
  };
  using Script = std::function<void(const Packet&, Peer&)>;

  enum class Transport { unix_socket, tcp };

  FakeFilter(Transport transport, Script script) : script_(std::move(script)) {
    if (transport == Transport::unix_socket) {
      char dir[] = "/tmp/signet-client-test-XXXXXX";
      if (mkdtemp(dir) == nullptr) return;
      dir_ = dir;
      spec_.kind = SocketSpec::Kind::local;
      spec_.path = dir_ + "/milter.sock";
      listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::strncpy(address.sun_path, spec_.path.c_str(), sizeof address.sun_path - 1);
      if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    } else {
      listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
      socklen_t size = sizeof address;
      getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
      spec_.kind = SocketSpec::Kind::inet;
      spec_.host = "127.0.0.1";
      spec_.port = ntohs(address.sin_port);
    }
    if (listen(listener_, 4) != 0) return;
    thread_ = std::thread([this] { serve(); });
  }

  ~FakeFilter() {
    join();
    if (listener_ >= 0) close(listener_);
    if (!dir_.empty()) {
      unlink(spec_.path.c_str());
      rmdir(dir_.c_str());
    }
  }

  const SocketSpec& spec() const { return spec_; }

  // Waits for the conversation to end (the client closed or the script hung up).
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // Every byte the client sent (call after join()).
  const std::string& received() const { return received_; }
  const std::vector<Packet>& packets() const { return packets_; }

 private:
  static constexpr int kWaitMs = 5000;

  void serve() {
    pollfd p{listener_, POLLIN, 0};
    if (poll(&p, 1, kWaitMs) <= 0) return;
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    Peer peer(fd);
    PacketReader reader{Limits{}};
    char buffer[64 * 1024];
    while (!peer.closed()) {
      pollfd q{fd, POLLIN, 0};
      if (poll(&q, 1, kWaitMs) <= 0) break;
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      received_.append(buffer, static_cast<std::size_t>(n));
      reader.append(std::span<const char>(buffer, static_cast<std::size_t>(n)));
      for (;;) {
        auto next = reader.next();
        if (!next || !*next) break;
        packets_.push_back(**next);
        script_(packets_.back(), peer);
        if (peer.closed()) break;
      }
    }
    close(fd);
  }

  Script script_;
  SocketSpec spec_;
  std::string dir_;
  int listener_ = -1;
  std::thread thread_;
  std::string received_;
  std::vector<Packet> packets_;
};

// The filter's negotiation reply.
inline std::string negotiationReply(std::uint32_t version, std::uint32_t actions, std::uint32_t protocol,
                                    std::string_view macro_lists = {}) {
  return pkt('O', be32(version) + be32(actions) + be32(protocol) + std::string(macro_lists));
}

}  // namespace signet::milter_client::test
