// Spool files: the message lives in an unlinked temporary file, never in
// memory, so memory does not grow with message size. Each SpoolFile owns its
// descriptor (closed by the destructor); the file has no name once created,
// so nothing is left behind whatever happens to the process.
//
// Errors: every failing system call becomes a SpoolError with the call and
// errno's text (no message content).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

namespace signet::qmail {

struct SpoolError {
  std::string message;
};

class SpoolFile {
 public:
  // Creates an empty unlinked file in `dir` (O_TMPFILE where the file system
  // has it, else mkstemp and unlink).
  static std::expected<SpoolFile, SpoolError> create(const std::string& dir);

  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  ~SpoolFile();

  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }

  // Appends bytes (buffered; flush() before reading or handing the fd on).
  std::expected<void, SpoolError> append(std::string_view bytes);
  std::expected<void, SpoolError> flush();
  // Copies everything from `source` until EOF.
  std::expected<void, SpoolError> appendFrom(int source);
  // Copies `length` bytes of `other` starting at `offset`.
  std::expected<void, SpoolError> appendRange(const SpoolFile& other, std::uint64_t offset, std::uint64_t length);
  // Reads up to out.size() bytes at `offset`; returns how many were read.
  std::expected<std::size_t, SpoolError> readAt(std::uint64_t offset, std::span<char> out) const;
  // Reads [offset, offset+length) into a string (for bounded regions only).
  std::expected<std::string, SpoolError> readString(std::uint64_t offset, std::size_t length) const;
  // Seeks the descriptor to the start, for a child that reads fd 0.
  std::expected<void, SpoolError> rewind() const;

 private:
  explicit SpoolFile(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string buffer_;
};

}  // namespace signet::qmail
