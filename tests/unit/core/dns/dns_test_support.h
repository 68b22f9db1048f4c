// Helpers for the resolver tests: a temporary directory, a tiny DNS
// responder on a loopback UDP socket, and a real unbound daemon on loopback.
// Every server binds 127.0.0.1 only and is stopped by the test that started it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace signet::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "signet-dns-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

  std::string write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A UDP socket bound to 127.0.0.1 on a port the kernel picks.
class LoopbackUdpSocket {
 public:
  LoopbackUdpSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("bind failed");
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  LoopbackUdpSocket(const LoopbackUdpSocket&) = delete;
  LoopbackUdpSocket& operator=(const LoopbackUdpSocket&) = delete;
  ~LoopbackUdpSocket() { ::close(fd_); }

  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  std::string nameserver() const { return "127.0.0.1@" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A port free for both UDP and TCP on 127.0.0.1 right now (for unbound).
inline std::uint16_t freeLoopbackPort() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    LoopbackUdpSocket udp;
    const int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(udp.port());
    const bool ok = ::bind(tcp, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(tcp);
    if (ok) return udp.port();
  }
  throw std::runtime_error("no free loopback port");
}

// Builds a DNS response to `query` (RFC 1035 section 4.1): the question
// echoed, the given rcode, and for a TXT question with rcode 0 one TXT record
// made of `strings`. Returns nothing for a query it cannot parse.
inline std::vector<std::uint8_t> dnsResponse(const std::vector<std::uint8_t>& query, int rcode,
                                             const std::vector<std::string>& strings, std::uint32_t ttl) {
  if (query.size() < 12) return {};
  std::size_t pos = 12;
  while (pos < query.size() && query[pos] != 0) {
    if ((query[pos] & 0xC0) != 0) return {};
    pos += query[pos] + 1u;
  }
  pos += 1;  // the root label
  if (pos + 4 > query.size()) return {};
  const int qtype = query[pos] << 8 | query[pos + 1];
  const std::size_t question_end = pos + 4;
  const bool answer = rcode == 0 && qtype == 16 && !strings.empty();

  std::vector<std::uint8_t> out = {query[0],
                                   query[1],
                                   static_cast<std::uint8_t>(0x80 | (query[2] & 0x79)),  // QR, opcode, RD
                                   static_cast<std::uint8_t>(0x80 | (rcode & 0x0F)),     // RA, rcode
                                   0,
                                   1,
                                   0,
                                   static_cast<std::uint8_t>(answer ? 1 : 0),
                                   0,
                                   0,
                                   0,
                                   0};
  out.insert(out.end(), query.begin() + 12, query.begin() + static_cast<std::ptrdiff_t>(question_end));
  if (answer) {
    std::vector<std::uint8_t> rdata;
    for (const std::string& s : strings) {
      rdata.push_back(static_cast<std::uint8_t>(s.size()));
      rdata.insert(rdata.end(), s.begin(), s.end());
    }
    const std::uint8_t fixed[] = {0xC0,
                                  0x0C,
                                  0,
                                  16,
                                  0,
                                  1,
                                  static_cast<std::uint8_t>(ttl >> 24),
                                  static_cast<std::uint8_t>(ttl >> 16),
                                  static_cast<std::uint8_t>(ttl >> 8),
                                  static_cast<std::uint8_t>(ttl),
                                  static_cast<std::uint8_t>(rdata.size() >> 8),
                                  static_cast<std::uint8_t>(rdata.size())};
    out.insert(out.end(), std::begin(fixed), std::end(fixed));
    out.insert(out.end(), rdata.begin(), rdata.end());
  }
  return out;
}

// Answers every query on a loopback UDP socket, from its own thread: with
// `rcode`, and for TXT questions with rcode 0 with one record of `strings`.
// Counts the queries it receives.
class DnsResponder {
 public:
  // Makes the response to a query; an empty one means no answer at all.
  using Respond = std::function<std::vector<std::uint8_t>(const std::vector<std::uint8_t>& query)>;

  DnsResponder(int rcode, std::vector<std::string> strings, std::uint32_t ttl = 300)
      : DnsResponder([rcode, strings = std::move(strings), ttl](const std::vector<std::uint8_t>& query) {
          return dnsResponse(query, rcode, strings, ttl);
        }) {}
  // A responder that answers as `respond` says (the fault tests' broken servers).
  explicit DnsResponder(Respond respond) : respond_(std::move(respond)), thread_([this] { run(); }) {}
  DnsResponder(const DnsResponder&) = delete;
  DnsResponder& operator=(const DnsResponder&) = delete;
  ~DnsResponder() {
    stop_.store(true);
    thread_.join();
  }

  std::string nameserver() const { return socket_.nameserver(); }
  int queries() const { return queries_.load(); }

 private:
  void run() {
    while (!stop_.load()) {
      pollfd ready{socket_.fd(), POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      std::vector<std::uint8_t> query(4096);
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      const ssize_t got = ::recvfrom(socket_.fd(), query.data(), query.size(), 0,
                                     reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (got <= 0) continue;
      query.resize(static_cast<std::size_t>(got));
      ++queries_;
      const auto response = respond_(query);
      if (!response.empty())
        ::sendto(socket_.fd(), response.data(), response.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                 peer_length);
    }
  }

  LoopbackUdpSocket socket_;
  Respond respond_;
  std::atomic<int> queries_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once everything above exists
};

inline constexpr const char* kUnboundDaemon = "/usr/sbin/unbound";

// A real unbound daemon on 127.0.0.1, in the foreground, with its own
// configuration in `dir` and `local_lines` (local-zone:/local-data:) added to
// its server: clause. Stopped by pid.
class UnboundDaemon {
 public:
  UnboundDaemon(const TempDir& dir, const std::string& local_lines) : dir_(dir) {
    port_ = freeLoopbackPort();
    const std::string d = dir.path().string();
    const std::string config = dir.write("unbound-daemon.conf",
                                         "server:\n"
                                         "  do-daemonize: no\n"
                                         "  interface: 127.0.0.1\n"
                                         "  port: " +
                                             std::to_string(port_) +
                                             "\n"
                                             "  do-ip6: no\n"
                                             "  chroot: \"\"\n"
                                             "  username: \"\"\n"
                                             "  directory: \"" +
                                             d +
                                             "\"\n"
                                             "  pidfile: \"" +
                                             d +
                                             "/unbound.pid\"\n"
                                             "  use-syslog: no\n"
                                             "  logfile: \"" +
                                             d +
                                             "/unbound.log\"\n"
                                             "  verbosity: 1\n"
                                             "  num-threads: 1\n"
                                             "  module-config: \"iterator\"\n" +
                                             local_lines +
                                             "remote-control:\n"
                                             "  control-enable: no\n");
    log_ = d + "/unbound.log";
    std::vector<std::string> args = {"unbound", "-d", "-c", config};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string out = d + "/unbound.stderr";
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = ::posix_spawn(&pid_, kUnboundDaemon, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start unbound");
  }
  UnboundDaemon(const UnboundDaemon&) = delete;
  UnboundDaemon& operator=(const UnboundDaemon&) = delete;
  ~UnboundDaemon() { stop(); }

  // Waits until the daemon answers a query, up to `limit`.
  bool waitReady(std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    // A TXT query for "ready." with ID 0x1234 and RD set.
    const std::vector<std::uint8_t> query = {0x12, 0x34, 0x01, 0x00, 0,   1,   0, 0, 0,  0, 0, 0,
                                             5,    'r',  'e',  'a',  'd', 'y', 0, 0, 16, 0, 1};
    const auto deadline = std::chrono::steady_clock::now() + limit;
    LoopbackUdpSocket probe;
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server.sin_port = htons(port_);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited
        pid_ = -1;
        return false;
      }
      ::sendto(probe.fd(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&server),
               sizeof server);
      pollfd ready{probe.fd(), POLLIN, 0};
      if (::poll(&ready, 1, 50) > 0) return true;
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string nameserver() const { return "127.0.0.1@" + std::to_string(port_); }
  std::string log() const { return readFile(log_) + readFile(dir_.path().string() + "/unbound.stderr"); }

 private:
  const TempDir& dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string log_;
};

}  // namespace signet::test
