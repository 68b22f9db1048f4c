// MilterConnection: the MTA side of one milter conversation on a socket
// (unix, inet or inet6), built on milter_protocol.h. Used by qmail-signet,
// the load tool and the tests.
//
// Every wait has a timeout: connecting (Timeouts::connect), each command's
// reply (Timeouts::command) and each header, end of headers, body chunk
// and the end-of-message reply (Timeouts::content: the message content, as
// Postfix times it), as Postfix's milter_connect_timeout,
// milter_command_timeout and milter_content_timeout. A step the filter
// asked not to see is not sent; a reply the filter said it will not send is
// not awaited; progress replies extend the wait. Macros are sent before the
// command of their stage; when the filter asked for a list for that stage,
// only the names on its list are sent.
//
// Errors: a ClientError says what happened (unreachable, timed out, closed,
// protocol) in words safe to log. After any error the connection is broken
// and every further call fails at once; the caller applies its default
// action. Nothing throws except std::bad_alloc.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "milter_protocol.h"
#include "socket_spec.h"

namespace signet::milter_client {

struct Timeouts {
  std::chrono::milliseconds connect{30'000};
  std::chrono::milliseconds command{30'000};
  std::chrono::milliseconds content{300'000};
};

struct ClientOptions {
  std::uint32_t version = kProtocolVersion;
  std::uint32_t actions = action_flag::all;
  // Steps that may be left out and replies that may be skipped, as Postfix
  // offers them; header_leading_space is offered too.
  std::uint32_t protocol = protocol_flag::all & ~protocol_flag::rcpt_rejected;
  Timeouts timeouts;
  Limits limits;
  bool tcp_nodelay = true;
  // When false, TCP_QUICKACK is turned off after every read, as on an MTA
  // host whose kernel delays ACKs (the load tool's "without quick ACK").
  bool quick_ack = true;
};

struct ClientError {
  enum class Kind { unreachable, timeout, closed, protocol };
  Kind kind = Kind::protocol;
  std::string message;  // e.g. "inet:8891@127.0.0.1: end of message: no reply in 300 s"
};
std::string_view toString(ClientError::Kind kind);

// The filter's answer to end of message: the modifications in the order they
// came, then the final reply (continue_ at end of message means accept, as
// Postfix reads it).
struct EndOfMessage {
  std::vector<Modification> modifications;
  Reply reply;
  bool quarantined() const;
};

class MilterConnection {
 public:
  // Connects and negotiates.
  static std::expected<MilterConnection, ClientError> open(const SocketSpec& socket, const ClientOptions& options);

  MilterConnection(MilterConnection&&) noexcept;
  MilterConnection& operator=(MilterConnection&&) noexcept;
  MilterConnection(const MilterConnection&) = delete;
  MilterConnection& operator=(const MilterConnection&) = delete;
  ~MilterConnection();  // closes the socket (without QUIT)

  const Negotiation& negotiation() const;
  // True when header values go out with their leading space (HDR_LEADSPC).
  bool leadingSpace() const;

  // Each step returns the filter's reply; continue_ when the step was not
  // sent or its reply not awaited. `macros` are sent for the step's stage
  // first (filtered by the filter's list for that stage).
  std::expected<Reply, ClientError> connect(std::string_view hostname, char family, std::uint16_t port,
                                            std::string_view address, std::span<const Macro> macros);
  std::expected<Reply, ClientError> helo(std::string_view name, std::span<const Macro> macros);
  // MAIL FROM: the address in angle brackets, then ESMTP arguments.
  std::expected<Reply, ClientError> mail(std::string_view sender, std::span<const Macro> macros);
  std::expected<Reply, ClientError> rcpt(std::string_view recipient, std::span<const Macro> macros);
  std::expected<Reply, ClientError> data(std::span<const Macro> macros);
  // One header field; `value` as it follows the colon (the leading space is
  // removed here unless the filter asked for it). Multi-line values are sent
  // with the line ends as given (the caller passes LF or CRLF).
  std::expected<Reply, ClientError> header(std::string_view name, std::string_view value,
                                           std::span<const Macro> macros = {});
  std::expected<Reply, ClientError> endOfHeaders(std::span<const Macro> macros = {});
  // A piece of the body; split into packets of at most kMaxBodyChunk bytes.
  // After the filter answered skip, further body is not sent.
  std::expected<Reply, ClientError> body(std::span<const char> bytes);
  std::expected<EndOfMessage, ClientError> endOfMessage(std::span<const Macro> macros = {});
  // Ends the message (the connection may carry another MAIL after it).
  std::expected<void, ClientError> abort();
  // Ends the conversation politely and closes the socket.
  void quit();

 private:
  struct State;
  explicit MilterConnection(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace signet::milter_client
