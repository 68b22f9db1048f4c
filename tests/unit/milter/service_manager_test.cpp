// sd_notify(3)'s protocol as signet-milter speaks it under Type=notify, and
// the journal stream test of sd-daemon(3).
#include "service_manager.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace signet::milter {
namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) : name_(name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    if (name[0] == '/') ::unlink(name.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address),
                    static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())) == 0;
    timeval wait{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  }
  ~NotifySocket() {
    ::close(fd_);
    if (name_[0] == '/') ::unlink(name_.c_str());
  }
  bool bound() const { return bound_; }
  std::string receive() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n < 0 ? std::string("(nothing)") : std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

std::string socketPath(const char* tag) {
  return ::testing::TempDir() + "/signet-notify-" + tag + "-" + std::to_string(::getpid());
}

TEST(ServiceNotifier, WithoutNotifySocketDoesNothing) {
  ::unsetenv("NOTIFY_SOCKET");
  const auto notifier = ServiceNotifier::fromEnvironment();
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.ready("listening").has_value());
}

TEST(ServiceNotifier, SendsReadyWithStatusToAPathAndTakesTheVariableAway) {
  const std::string path = socketPath("path");
  NotifySocket systemd(path);
  ASSERT_TRUE(systemd.bound());
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  const auto notifier = ServiceNotifier::fromEnvironment();
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr) << "a child process must not inherit it";
  ASSERT_TRUE(notifier.enabled());
  EXPECT_FALSE(notifier.ready("listening on\nlocal:/run/signet/signet.sock").has_value());
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=listening on local:/run/signet/signet.sock");
  EXPECT_FALSE(notifier.stopping("stopping").has_value());
  EXPECT_EQ(systemd.receive(), "STOPPING=1\nSTATUS=stopping");
}

TEST(ServiceNotifier, ReloadingCarriesTheMonotonicClock) {
  const std::string path = socketPath("reload");
  NotifySocket systemd(path);
  ASSERT_TRUE(systemd.bound());
  const ServiceNotifier notifier(path);
  EXPECT_FALSE(notifier.reloading().has_value());
  const std::string state = systemd.receive();
  ASSERT_EQ(state.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << state;
  const std::string usec = state.substr(std::strlen("RELOADING=1\nMONOTONIC_USEC="));
  EXPECT_FALSE(usec.empty());
  EXPECT_EQ(usec.find_first_not_of("0123456789"), std::string::npos) << usec;
}

TEST(ServiceNotifier, AbstractNamespaceSocket) {
  const std::string name = "@signet-notify-test-" + std::to_string(::getpid());
  NotifySocket systemd(name);
  ASSERT_TRUE(systemd.bound());
  const ServiceNotifier notifier(name);
  EXPECT_FALSE(notifier.notify("READY=1").has_value());
  EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST(ServiceNotifier, ErrorsAreReportedNotFatal) {
  const auto relative = ServiceNotifier("relative/path").notify("READY=1");
  ASSERT_TRUE(relative.has_value());
  EXPECT_NE(relative->find("neither an absolute path nor @name"), std::string::npos) << *relative;
  const auto absent = ServiceNotifier(socketPath("absent")).notify("READY=1");
  ASSERT_TRUE(absent.has_value());
  EXPECT_NE(absent->find("cannot notify the service manager at"), std::string::npos) << *absent;
  const auto too_long = ServiceNotifier("/" + std::string(200, 'x')).notify("READY=1");
  EXPECT_TRUE(too_long.has_value());
}

TEST(JournalStream, MatchesOnlyTheFileBehindTheDescriptor) {
  const std::string path = socketPath("journal");
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  const std::string same = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  EXPECT_TRUE(isJournalStream(same.c_str(), fd));
  EXPECT_FALSE(isJournalStream(other.c_str(), fd));
  EXPECT_FALSE(isJournalStream(nullptr, fd));
  EXPECT_FALSE(isJournalStream("", fd));
  EXPECT_FALSE(isJournalStream(":", fd));
  EXPECT_FALSE(isJournalStream((same + "x").c_str(), fd));
  EXPECT_FALSE(isJournalStream(("x" + same).c_str(), fd));
  EXPECT_FALSE(isJournalStream("99999999999999999999999999:1", fd));
  ::close(fd);
  ::unlink(path.c_str());
  EXPECT_FALSE(isJournalStream(same.c_str(), fd)) << "a closed descriptor is no journal";
}

TEST(JournalStream, PriorityPrefixes) {
  EXPECT_EQ(journalPrefix(LOG_ERR), "<3>");
  EXPECT_EQ(journalPrefix(LOG_WARNING), "<4>");
  EXPECT_EQ(journalPrefix(LOG_INFO), "<6>");
  EXPECT_EQ(journalPrefix(LOG_DEBUG), "<7>");
  EXPECT_EQ(journalPrefix(42), "<6>");
}

}  // namespace
}  // namespace signet::milter
