// Reading one private key file safely: opened once, checked on the open
// descriptor (no race between the check and the read), bounded in size, the
// PEM text wiped after parsing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "file_descriptor.h"
#include "key_store.h"

namespace signet::milter {
namespace {

// A PEM private key is a few KiB; anything larger is not one.
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

// RSA keys smaller than this do not sign (RFC 8301 section 3.2).
constexpr int kMinimumRsaSigningBits = 1024;

// Holds secret text and wipes it when done.
class SecretBuffer {
 public:
  ~SecretBuffer() {
    if (!text_.empty()) explicit_bzero(text_.data(), text_.size());
  }
  std::string& text() { return text_; }

 private:
  std::string text_;
};

std::string octalMode(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
  return buffer;
}

std::unexpected<KeyFileError> refuse(std::string message) {
  return std::unexpected(KeyFileError{false, std::move(message)});
}

}  // namespace

std::expected<std::shared_ptr<const PrivateKey>, KeyFileError> readKeyFile(const std::string& path,
                                                                           bool require_safe,
                                                                           bool no_follow,
                                                                           std::optional<uid_t> service_owner) {
  const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (no_follow ? O_NOFOLLOW : 0);
  FileDescriptor fd(::open(path.c_str(), flags));
  if (fd.get() < 0) {
    const int error = errno;
    if (error == ENOENT) return std::unexpected(KeyFileError{true, "key file " + path + " does not exist"});
    if (error == ELOOP && no_follow) return refuse("key file " + path + " is a symbolic link; refused");
    return refuse("key file " + path + ": " + std::strerror(error));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return refuse("key file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return refuse("key file " + path + " is not a regular file");
  if (require_safe) {
    if ((st.st_mode & 077) != 0)
      return refuse("key file " + path + " has mode " + octalMode(st.st_mode) +
                    ", which lets group or others in; run \"chmod 600 " + path +
                    "\" (or set RequireSafeKeys no)");
    const uid_t me = ::geteuid();
    if (st.st_uid != me && st.st_uid != 0 && !(service_owner && st.st_uid == *service_owner))
      return refuse("key file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                    ", neither root nor the user signet-milter runs as (uid " + std::to_string(me) +
                    "); run \"chown " + std::to_string(me) + " " + path + "\" (or set RequireSafeKeys no)" +
                    (me == 0 ? "; if the service runs as that user (the packaged unit runs as signet), check "
                               "as that user: runuser -u signet -- signet-milter -n -c FILE"
                             : ""));
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes)
    return refuse("key file " + path + " is larger than " + std::to_string(kMaxKeyFileBytes) +
                  " bytes; not a key");

  SecretBuffer pem;
  char chunk[4096];
  pem.text().reserve(kMaxKeyFileBytes + sizeof chunk);  // no reallocation leaves unwiped copies
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refuse("key file " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    pem.text().append(chunk, static_cast<std::size_t>(n));
    if (pem.text().size() > kMaxKeyFileBytes)
      return refuse("key file " + path + " is larger than " + std::to_string(kMaxKeyFileBytes) +
                    " bytes; not a key");
  }
  explicit_bzero(chunk, sizeof chunk);

  auto key = PrivateKey::parsePem(pem.text());
  if (!key) return refuse("key file " + path + ": " + key.error().message);
  if ((*key)->type() == KeyType::rsa && (*key)->bits() < kMinimumRsaSigningBits)
    return refuse("key file " + path + " holds a " + std::to_string((*key)->bits()) +
                  "-bit RSA key; RFC 8301 needs at least 1024 bits (2048 recommended)");
  return *key;
}

}  // namespace signet::milter
