// Error values shared by every part of libsignet.
//
// Parsers never throw: they return std::expected<T, ParseError>. A ParseError
// names where (a field or tag) and why, in words safe to put in a log line; it
// never echoes the raw input, which came from a stranger.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace signet {

struct ParseError {
  std::string where;  // e.g. "tag b", "header 3", "key record"
  std::string why;    // e.g. "invalid base64"

  std::string message() const { return where.empty() ? why : where + ": " + why; }
};

inline std::unexpected<ParseError> parseError(std::string where, std::string why) {
  return std::unexpected(ParseError{std::move(where), std::move(why)});
}

// Whether an operation worked; separate from what a signature is (Verdict).
struct Error {
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> failure(std::string message) {
  return std::unexpected(Error{std::move(message)});
}

}  // namespace signet
