#include "spool.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace signet::qmail {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;

std::unexpected<SpoolError> systemError(std::string_view call) {
  return std::unexpected(SpoolError{std::string(call) + ": " + std::strerror(errno)});
}

bool writeAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::expected<SpoolFile, SpoolError> SpoolFile::create(const std::string& dir) {
  int fd = -1;
#ifdef O_TMPFILE
  fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return SpoolFile(fd);
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return systemError("open " + dir);
#endif
  std::string name = dir + "/qmail-signet.XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return systemError("mkstemp in " + dir);
  ::unlink(name.c_str());
  return SpoolFile(fd);
}

SpoolFile::SpoolFile(SpoolFile&& other) noexcept
    : fd_(other.fd_), size_(other.size_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

SpoolFile& SpoolFile::operator=(SpoolFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, SpoolError> SpoolFile::append(std::string_view bytes) {
  if (buffer_.size() + bytes.size() > kBufferSize) {
    if (auto f = flush(); !f) return f;
    if (bytes.size() >= kBufferSize) {
      if (!writeAll(fd_, bytes.data(), bytes.size())) return systemError("write to the spool file");
      size_ += bytes.size();
      return {};
    }
  }
  buffer_.append(bytes);
  size_ += bytes.size();
  return {};
}

std::expected<void, SpoolError> SpoolFile::flush() {
  if (buffer_.empty()) return {};
  if (!writeAll(fd_, buffer_.data(), buffer_.size())) return systemError("write to the spool file");
  buffer_.clear();
  return {};
}

std::expected<void, SpoolError> SpoolFile::appendFrom(int source) {
  if (auto f = flush(); !f) return f;
  std::string chunk(kBufferSize, '\0');
  for (;;) {
    const ssize_t n = ::read(source, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return systemError("read the message");
    if (n == 0) return {};
    if (!writeAll(fd_, chunk.data(), static_cast<std::size_t>(n))) return systemError("write to the spool file");
    size_ += static_cast<std::uint64_t>(n);
  }
}

std::expected<void, SpoolError> SpoolFile::appendRange(const SpoolFile& other, std::uint64_t offset,
                                                       std::uint64_t length) {
  std::string chunk(kBufferSize, '\0');
  while (length > 0) {
    const std::size_t want = length < chunk.size() ? static_cast<std::size_t>(length) : chunk.size();
    auto got = other.readAt(offset, std::span<char>(chunk.data(), want));
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return std::unexpected(SpoolError{"the spool file is shorter than expected"});
    if (auto a = append(std::string_view(chunk.data(), *got)); !a) return a;
    offset += *got;
    length -= *got;
  }
  return {};
}

std::expected<std::size_t, SpoolError> SpoolFile::readAt(std::uint64_t offset, std::span<char> out) const {
  for (;;) {
    const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return systemError("read the spool file");
    return static_cast<std::size_t>(n);
  }
}

std::expected<std::string, SpoolError> SpoolFile::readString(std::uint64_t offset, std::size_t length) const {
  std::string out(length, '\0');
  std::size_t done = 0;
  while (done < length) {
    auto got = readAt(offset + done, std::span<char>(out.data() + done, length - done));
    if (!got) return std::unexpected(got.error());
    if (*got == 0) break;
    done += *got;
  }
  out.resize(done);
  return out;
}

std::expected<void, SpoolError> SpoolFile::rewind() const {
  if (::lseek(fd_, 0, SEEK_SET) != 0) return systemError("lseek on the spool file");
  return {};
}

}  // namespace signet::qmail
