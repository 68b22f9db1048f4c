#include "filter_chain.h"

#include <charconv>

#include "ascii.h"

namespace signet::qmail {
namespace {

using milter_client::ClientError;
using milter_client::Macro;
using milter_client::MilterConnection;
using milter_client::Reply;

constexpr const char* kVersion = "qmail-signet 0.1";

FilterOutcome failed(ClientError error, std::string step) {
  FilterOutcome o;
  o.kind = FilterOutcome::Kind::failed;
  o.error = std::move(error);
  o.step = std::move(step);
  return o;
}

// A reply that ends the conversation before end of message, or nothing when
// the conversation goes on (continue, or skip after a body chunk).
std::optional<FilterOutcome> stopsAt(const Reply& reply, std::string step) {
  FilterOutcome o;
  o.step = std::move(step);
  switch (reply.kind) {
    case Reply::Kind::continue_:
    case Reply::Kind::skip:
      return std::nullopt;
    case Reply::Kind::accept:
      o.kind = FilterOutcome::Kind::pass;  // this milter is done with the message, unmodified
      return o;
    case Reply::Kind::reject:
      o.kind = FilterOutcome::Kind::reject;
      return o;
    case Reply::Kind::discard:
      o.kind = FilterOutcome::Kind::discard;
      return o;
    case Reply::Kind::reply_code:
      o.kind = !reply.text.empty() && reply.text.front() == '5' ? FilterOutcome::Kind::reject
                                                                : FilterOutcome::Kind::tempfail;
      o.reply = reply.text;
      return o;
    case Reply::Kind::tempfail:
    case Reply::Kind::connection_fail:
    case Reply::Kind::shutdown:
      o.kind = FilterOutcome::Kind::tempfail;
      return o;
  }
  return o;
}

std::vector<Macro> connectMacros(const Settings& s, const ConnectInfo& c) {
  std::vector<Macro> m = {{"j", s.me},
                          {"_", c.hostname + " [" + c.address + "]"},
                          {"v", kVersion},
                          {"{client_addr}", c.address},
                          {"{client_name}", c.hostname},
                          {"{client_port}", std::to_string(c.port)}};
  if (!s.peer.local_ip.empty()) {
    m.push_back({"{daemon_addr}", s.peer.local_ip});
    m.push_back({"{if_addr}", s.peer.local_ip});
  }
  if (!s.peer.local_port.empty()) m.push_back({"{daemon_port}", s.peer.local_port});
  if (!s.peer.local_host.empty()) m.push_back({"{if_name}", s.peer.local_host});
  if (s.mode == Mode::sign) m.push_back({"{daemon_name}", s.daemon_name});
  return m;
}

std::vector<Macro> mailMacros(const Settings& s, const Envelope& e, const std::string& queue_id) {
  std::vector<Macro> m = {{"i", queue_id}, {"{mail_addr}", e.sender}};
  if (!s.auth_user.empty()) {
    m.push_back({"{auth_authen}", s.auth_user});
    m.push_back({"{auth_type}", s.auth_type.empty() ? "LOGIN" : s.auth_type});
  }
  if (s.mode == Mode::sign) m.push_back({"{daemon_name}", s.daemon_name});
  // What qmail-signet decided, so that signet-milter does exactly that: it
  // never signs in verify mode, whatever InternalHosts says.
  m.push_back({"{signet_mode}", s.mode == Mode::sign ? "sign" : "verify"});
  if (s.dksign) m.push_back({"{signet_dksign}", *s.dksign});
  if (s.dkverify) m.push_back({"{signet_dkverify}", *s.dkverify});
  return m;
}

// The client's HELO name as qmail-smtpd recorded it in its Received line
// ("from HOST (HELO NAME) (...)", or "from NAME (...)" when the two agree);
// empty when there is no such line (local injection).
std::string heloFromReceived(const Message& message) {
  for (const HeaderField& f : message.fields) {
    if (ascii::toLower(f.name) != "received") continue;
    std::string_view v = ascii::trim(f.value);
    if (!v.starts_with("from ")) continue;
    v.remove_prefix(5);
    const std::size_t helo = v.find("(HELO ");
    const std::size_t space = v.find_first_of(" \t\n");
    if (helo != std::string_view::npos && helo == space + 1) {
      const std::size_t end = v.find(')', helo);
      if (end != std::string_view::npos) return std::string(v.substr(helo + 6, end - helo - 6));
    }
    return std::string(v.substr(0, space));
  }
  return {};
}

// The steps up to end of headers; an outcome when one of them ended it.
std::optional<FilterOutcome> sendEnvelopeAndHeaders(MilterConnection& conn, const Settings& settings,
                                                    const Message& message, const Envelope& envelope,
                                                    const std::string& queue_id) {
  const ConnectInfo c = connectInfo(settings.peer);
  auto r = conn.connect(c.hostname, c.family, c.port, c.address, connectMacros(settings, c));
  if (!r) return failed(r.error(), "CONNECT");
  if (auto stop = stopsAt(*r, "CONNECT")) return stop;

  // HELO as qmail-smtpd heard it, for SMTP clients (skipped by the client
  // when the milter asked for SMFIP_NOHELO).
  if (!settings.localInjection()) {
    if (const std::string helo = heloFromReceived(message); !helo.empty()) {
      r = conn.helo(helo, {});
      if (!r) return failed(r.error(), "HELO");
      if (auto stop = stopsAt(*r, "HELO")) return stop;
    }
  }

  r = conn.mail(angleAddress(envelope.sender), mailMacros(settings, envelope, queue_id));
  if (!r) return failed(r.error(), "MAIL");
  if (auto stop = stopsAt(*r, "MAIL")) return stop;

  for (const std::string& rcpt : envelope.recipients) {
    const Macro rcpt_macro[] = {{"{rcpt_addr}", rcpt}};
    r = conn.rcpt(angleAddress(rcpt), rcpt_macro);
    if (!r) return failed(r.error(), "RCPT");
    // qmail has accepted every recipient already; a milter that refuses one
    // refuses the message (the sender learns of it, nothing is dropped).
    if (auto stop = stopsAt(*r, "RCPT")) return stop;
  }
  r = conn.data({});
  if (!r) return failed(r.error(), "DATA");
  if (auto stop = stopsAt(*r, "DATA")) return stop;

  for (const HeaderField& f : message.fields) {
    r = conn.header(f.name, f.value);
    if (!r) return failed(r.error(), "header");
    if (auto stop = stopsAt(*r, "header")) return stop;
  }
  r = conn.endOfHeaders();
  if (!r) return failed(r.error(), "end of headers");
  return stopsAt(*r, "end of headers");
}

}  // namespace

ConnectInfo connectInfo(const Peer& peer) {
  ConnectInfo c;
  if (peer.remote_ip.empty()) {
    c.hostname = "localhost";
    c.address = "127.0.0.1";
    return c;
  }
  c.address = peer.remote_ip;
  c.family = peer.remote_ip.find(':') != std::string::npos ? '6' : '4';
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(peer.remote_port.data(), peer.remote_port.data() + peer.remote_port.size(), port);
  if (ec == std::errc() && end == peer.remote_port.data() + peer.remote_port.size() && port <= 65535)
    c.port = static_cast<std::uint16_t>(port);
  c.hostname = !peer.remote_host.empty() ? peer.remote_host : "[" + peer.remote_ip + "]";
  return c;
}

FilterOutcome consultMilter(const milter_client::SocketSpec& milter, const Settings& settings,
                            const SpoolFile& spool, const Message& message, const Envelope& envelope,
                            const std::string& queue_id) {
  auto opened = MilterConnection::open(milter, clientOptions(settings));
  if (!opened) return failed(opened.error(), "connect");
  MilterConnection& conn = *opened;

  if (auto stop = sendEnvelopeAndHeaders(conn, settings, message, envelope, queue_id)) {
    conn.quit();
    return *stop;
  }

  std::optional<FilterOutcome> body_stop;
  auto streamed = forEachBodyChunk(spool, message, [&](std::string_view chunk) {
    auto r = conn.body(std::span<const char>(chunk.data(), chunk.size()));
    if (!r) {
      body_stop = failed(r.error(), "body");
      return false;
    }
    if (r->kind == Reply::Kind::skip) return false;
    body_stop = stopsAt(*r, "body");
    return !body_stop;
  });
  if (!streamed) {
    // The spool file cannot be read, so the milter never saw the whole
    // message; the default action decides, as for a broken conversation.
    FilterOutcome o;
    o.kind = FilterOutcome::Kind::failed;
    o.error = {ClientError::Kind::closed, "cannot read the spooled message: " + streamed.error().message};
    o.step = "body";
    return o;
  }
  if (body_stop) {
    if (body_stop->kind != FilterOutcome::Kind::failed) conn.quit();
    return *body_stop;
  }

  const Macro eom_macros[] = {{"i", queue_id}};
  auto eom = conn.endOfMessage(eom_macros);
  if (!eom) return failed(eom.error(), "end of message");
  FilterOutcome o;
  o.step = "end of message";
  o.leading_space = conn.leadingSpace();
  if (auto stop = stopsAt(eom->reply, "end of message"); stop && stop->kind != FilterOutcome::Kind::pass) {
    conn.quit();
    return *stop;
  }
  o.kind = FilterOutcome::Kind::pass;
  o.modifications = std::move(eom->modifications);
  conn.quit();
  return o;
}

}  // namespace signet::qmail
