// An owned file descriptor of signet-milter's own files and sockets (key
// files, the service manager's socket): closed when the owner goes.
#pragma once

#include <unistd.h>

namespace signet::milter {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace signet::milter
