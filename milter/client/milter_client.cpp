// MilterConnection (milter_client.h): one milter conversation on a socket.
// Each step sends the stage's macros and the command in one write, then
// reads replies until one ends the step; progress restarts the step's
// timeout. Which steps are sent and which replies awaited follows the
// negotiation (the NO* and NR_* flags and the filter's protocol version).
#include "milter_client.h"

#include <algorithm>
#include <array>
#include <optional>

#include "client_socket.h"

namespace signet::milter_client {

using detail::Clock;
using detail::IoError;

struct MilterConnection::State {
  std::string where;  // the socket as written, first in every message
  bool tcp = false;
  ClientOptions options;
  detail::UniqueFd fd;
  PacketReader reader;
  Negotiation negotiation;
  std::uint32_t not_sent = 0;  // protocol_flag::no_* steps left out
  std::optional<ClientError> broken;
  bool body_skipped = false;
  std::size_t replaced_body = 0;

  State(const SocketSpec& spec, const ClientOptions& o)
      : where(spec.text()), tcp(spec.kind != SocketSpec::Kind::local), options(o), reader(o.limits) {}

  // Records the first error; the connection is unusable afterwards.
  ClientError fail(ClientError::Kind kind, std::string_view step, std::string_view reason) {
    ClientError error{kind, where + ": " + std::string(step) + ": " + std::string(reason)};
    if (!broken) broken = error;
    fd.reset();
    return error;
  }
  ClientError fail(const IoError& io, std::string_view step, std::chrono::milliseconds timeout) {
    switch (io.kind) {
      case IoError::Kind::unreachable:
        return fail(ClientError::Kind::unreachable, step, io.reason);
      case IoError::Kind::timeout:
        return fail(ClientError::Kind::timeout, step, io.reason + " in " + durationText(timeout));
      case IoError::Kind::closed:
        break;
    }
    return fail(ClientError::Kind::closed, step, io.reason);
  }

  static std::string durationText(std::chrono::milliseconds d) {
    const auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
  }

  bool negotiated(std::uint32_t protocol_flag) const { return (negotiation.protocol & protocol_flag) != 0; }

  std::expected<void, ClientError> send(std::string_view step, std::string_view bytes,
                                        std::chrono::milliseconds timeout) {
    if (auto sent = detail::sendAll(fd.get(), bytes, Clock::now() + timeout); !sent)
      return std::unexpected(fail(sent.error(), step, timeout));
    return {};
  }

  std::expected<Packet, ClientError> readPacket(std::string_view step, Clock::time_point deadline,
                                                std::chrono::milliseconds timeout) {
    const bool clear_quick_ack = tcp && !options.quick_ack;
    std::array<char, 16 * 1024> buffer;
    for (;;) {
      auto next = reader.next();
      if (!next) return std::unexpected(fail(ClientError::Kind::protocol, step, next.error().message));
      if (*next) return std::move(**next);
      auto got = detail::receiveSome(fd.get(), buffer, deadline, clear_quick_ack);
      if (!got) return std::unexpected(fail(got.error(), step, timeout));
      reader.append(std::span<const char>(buffer.data(), *got));
    }
  }

  // The next reply or modification; progress restarts the timeout.
  std::expected<Response, ClientError> readResponse(std::string_view step,
                                                    std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      auto packet = readPacket(step, deadline, timeout);
      if (!packet) return std::unexpected(packet.error());
      auto response = decodeResponse(*packet, negotiation.actions, options.limits);
      if (!response)
        return std::unexpected(fail(ClientError::Kind::protocol, step, response.error().message));
      if (response->kind != Response::Kind::progress) return std::move(*response);
      deadline = Clock::now() + timeout;
    }
  }

  // The stage's macros the filter asked for, as one MACRO packet ("" when none).
  std::string macroPacket(char code, std::optional<MacroStage> stage, std::span<const Macro> macros) const {
    if (macros.empty()) return {};
    const auto bare = [](std::string_view name) {
      if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
        name = name.substr(1, name.size() - 2);
      return name;
    };
    const std::optional<std::vector<std::string>>* wanted =
        stage ? &negotiation.macros[static_cast<std::size_t>(*stage)] : nullptr;
    std::vector<Macro> chosen;
    for (const Macro& m : macros) {
      const bool asked = wanted == nullptr || !wanted->has_value() ||
                         std::any_of((*wanted)->begin(), (*wanted)->end(),
                                     [&](const std::string& n) { return bare(n) == bare(m.name); });
      if (asked) chosen.push_back(m);
    }
    if (chosen.empty()) return {};
    return encodeCommand(command::macro, encodeMacros(code, chosen));
  }

  // One step that is not part of the end of message.
  std::expected<Reply, ClientError> step(std::string_view name, char code, std::optional<MacroStage> stage,
                                         std::span<const Macro> macros, std::string_view data,
                                         std::uint32_t no_send, std::uint32_t no_reply,
                                         std::chrono::milliseconds timeout) {
    if (broken) return std::unexpected(*broken);
    if ((not_sent & no_send) != 0) return Reply{};
    const std::string bytes = macroPacket(code, stage, macros) + encodeCommand(code, data);
    if (auto sent = send(name, bytes, timeout); !sent) return std::unexpected(sent.error());
    if (negotiated(no_reply)) return Reply{};
    auto response = readResponse(name, timeout);
    if (!response) return std::unexpected(response.error());
    if (response->kind == Response::Kind::modification)
      return std::unexpected(fail(ClientError::Kind::protocol, name, "modification before end of message"));
    if (response->reply.kind == Reply::Kind::skip && code != command::body)
      return std::unexpected(fail(ClientError::Kind::protocol, name, "skip is only valid in reply to body"));
    return std::move(response->reply);
  }
};

std::string_view toString(ClientError::Kind kind) {
  switch (kind) {
    case ClientError::Kind::unreachable:
      return "unreachable";
    case ClientError::Kind::timeout:
      return "timeout";
    case ClientError::Kind::closed:
      return "closed";
    case ClientError::Kind::protocol:
      return "protocol";
  }
  return "unknown";
}

bool EndOfMessage::quarantined() const {
  return std::any_of(modifications.begin(), modifications.end(),
                     [](const Modification& m) { return m.kind == Modification::Kind::quarantine; });
}

MilterConnection::MilterConnection(std::unique_ptr<State> state) : state_(std::move(state)) {}
MilterConnection::MilterConnection(MilterConnection&&) noexcept = default;
MilterConnection& MilterConnection::operator=(MilterConnection&&) noexcept = default;
MilterConnection::~MilterConnection() = default;

std::expected<MilterConnection, ClientError> MilterConnection::open(const SocketSpec& socket,
                                                                    const ClientOptions& options) {
  auto state = std::make_unique<State>(socket, options);
  const auto& t = options.timeouts;
  if (options.version < kOldestProtocolVersion || options.version > kProtocolVersion)
    return std::unexpected(state->fail(ClientError::Kind::protocol, "negotiation", "unsupported version"));

  const detail::SocketOptions socket_options{options.tcp_nodelay, options.quick_ack};
  auto fd = detail::connectSocket(socket, Clock::now() + t.connect, socket_options);
  if (!fd) return std::unexpected(state->fail(fd.error(), "connect", t.connect));
  state->fd = std::move(*fd);

  const std::uint32_t offered = options.protocol & protocolFlagsForVersion(options.version);
  const std::string hello = encodeCommand(command::option_negotiation,
                                          encodeNegotiation(options.version, options.actions, offered));
  if (auto sent = state->send("negotiation", hello, t.command); !sent) return std::unexpected(sent.error());
  auto packet = state->readPacket("negotiation", Clock::now() + t.command, t.command);
  if (!packet) return std::unexpected(packet.error());
  if (packet->code != command::option_negotiation)
    return std::unexpected(
        state->fail(ClientError::Kind::protocol, "negotiation", "reply is not negotiation"));
  auto negotiation = decodeNegotiation(packet->data, options.actions, offered, options.limits);
  if (!negotiation)
    return std::unexpected(
        state->fail(ClientError::Kind::protocol, "negotiation", negotiation.error().message));
  if (negotiation->version > options.version)
    return std::unexpected(state->fail(ClientError::Kind::protocol, "negotiation",
                                       "filter version " + std::to_string(negotiation->version) +
                                           " is above the offered " + std::to_string(options.version)));
  state->negotiation = std::move(*negotiation);
  // A step the filter's (or our) version lacks is never sent.
  const std::uint32_t known = protocolFlagsForVersion(state->negotiation.version);
  state->not_sent = (state->negotiation.protocol & protocol_flag::steps) | (protocol_flag::steps & ~known);
  return MilterConnection(std::move(state));
}

const Negotiation& MilterConnection::negotiation() const {
  static const Negotiation none;
  return state_ ? state_->negotiation : none;
}

bool MilterConnection::leadingSpace() const {
  return state_ && state_->negotiated(protocol_flag::header_leading_space);
}

namespace {
ClientError movedFrom() {
  return ClientError{ClientError::Kind::closed, "milter connection was moved from"};
}
}  // namespace

std::expected<Reply, ClientError> MilterConnection::connect(std::string_view hostname, char family,
                                                            std::uint16_t port, std::string_view address,
                                                            std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  return state_->step("connect", command::connect, MacroStage::connect, macros,
                      encodeConnect(hostname, family, port, address), no_connect, no_reply_connect,
                      state_->options.timeouts.command);
}

std::expected<Reply, ClientError> MilterConnection::helo(std::string_view name,
                                                         std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  const std::string strings[] = {std::string(name)};
  return state_->step("helo", command::helo, MacroStage::helo, macros, encodeStrings(strings), no_helo,
                      no_reply_helo, state_->options.timeouts.command);
}

std::expected<Reply, ClientError> MilterConnection::mail(std::string_view sender,
                                                         std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  state_->body_skipped = false;
  state_->replaced_body = 0;
  const std::string strings[] = {std::string(sender)};
  return state_->step("mail", command::mail, MacroStage::mail, macros, encodeStrings(strings), no_mail,
                      no_reply_mail, state_->options.timeouts.command);
}

std::expected<Reply, ClientError> MilterConnection::rcpt(std::string_view recipient,
                                                         std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  const std::string strings[] = {std::string(recipient)};
  return state_->step("rcpt", command::rcpt, MacroStage::rcpt, macros, encodeStrings(strings), no_rcpt,
                      no_reply_rcpt, state_->options.timeouts.command);
}

std::expected<Reply, ClientError> MilterConnection::data(std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  return state_->step("data", command::data, MacroStage::data, macros, {}, no_data, no_reply_data,
                      state_->options.timeouts.command);
}

std::expected<Reply, ClientError> MilterConnection::header(std::string_view name, std::string_view value,
                                                           std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  if (!leadingSpace() && value.starts_with(' ')) value.remove_prefix(1);
  return state_->step("header", command::header, std::nullopt, macros, encodeHeader(name, value), no_headers,
                      no_reply_header, state_->options.timeouts.content);
}

std::expected<Reply, ClientError> MilterConnection::endOfHeaders(std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  using namespace protocol_flag;
  return state_->step("end of headers", command::end_of_headers, MacroStage::end_of_headers, macros, {},
                      no_end_of_headers, no_reply_end_of_headers, state_->options.timeouts.content);
}

std::expected<Reply, ClientError> MilterConnection::body(std::span<const char> bytes) {
  if (!state_) return std::unexpected(movedFrom());
  State& s = *state_;
  if (s.broken) return std::unexpected(*s.broken);
  if (s.body_skipped) return Reply{};
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), kMaxBodyChunk);
    auto reply = s.step("body", command::body, std::nullopt, {}, std::string_view(bytes.data(), n),
                        protocol_flag::no_body, protocol_flag::no_reply_body, s.options.timeouts.content);
    if (!reply) return reply;
    bytes = bytes.subspan(n);
    if (reply->kind == Reply::Kind::skip) {
      if ((s.options.protocol & protocol_flag::skip) == 0)
        return std::unexpected(s.fail(ClientError::Kind::protocol, "body", "skip was not offered"));
      s.body_skipped = true;
      return reply;
    }
    if (reply->kind != Reply::Kind::continue_) return reply;
  }
  return Reply{};
}

std::expected<EndOfMessage, ClientError> MilterConnection::endOfMessage(std::span<const Macro> macros) {
  if (!state_) return std::unexpected(movedFrom());
  State& s = *state_;
  if (s.broken) return std::unexpected(*s.broken);
  constexpr std::string_view step = "end of message";
  const auto timeout = s.options.timeouts.content;
  const std::string bytes = s.macroPacket(command::end_of_message, MacroStage::end_of_message, macros) +
                            encodeCommand(command::end_of_message);
  if (auto sent = s.send(step, bytes, timeout); !sent) return std::unexpected(sent.error());
  EndOfMessage out;
  for (;;) {
    auto response = s.readResponse(step, timeout);
    if (!response) return std::unexpected(response.error());
    if (response->kind == Response::Kind::reply) {
      if (response->reply.kind == Reply::Kind::skip)
        return std::unexpected(
            s.fail(ClientError::Kind::protocol, step, "skip is only valid in reply to body"));
      out.reply = std::move(response->reply);
      break;
    }
    if (out.modifications.size() >= s.options.limits.max_modifications)
      return std::unexpected(
          s.fail(ClientError::Kind::protocol, step,
                 "more than " + std::to_string(s.options.limits.max_modifications) + " modifications"));
    Modification& m = response->modification;
    if (m.kind == Modification::Kind::replace_body) {
      s.replaced_body += m.value.size();
      if (s.replaced_body > s.options.limits.max_replaced_body)
        return std::unexpected(s.fail(ClientError::Kind::protocol, step,
                                      "replaced body over the limit of " +
                                          std::to_string(s.options.limits.max_replaced_body) + " bytes"));
    }
    out.modifications.push_back(std::move(m));
  }
  s.body_skipped = false;
  s.replaced_body = 0;
  return out;
}

std::expected<void, ClientError> MilterConnection::abort() {
  if (!state_) return std::unexpected(movedFrom());
  State& s = *state_;
  if (s.broken) return std::unexpected(*s.broken);
  s.body_skipped = false;
  s.replaced_body = 0;
  return s.send("abort", encodeCommand(command::abort), s.options.timeouts.command);
}

void MilterConnection::quit() {
  if (!state_) return;
  State& s = *state_;
  if (!s.broken) (void)s.send("quit", encodeCommand(command::quit), s.options.timeouts.command);
  if (!s.broken) s.broken = ClientError{ClientError::Kind::closed, s.where + ": quit: conversation ended"};
  s.fd.reset();
}

}  // namespace signet::milter_client
