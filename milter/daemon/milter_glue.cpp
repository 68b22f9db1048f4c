#include "milter_glue.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <memory>

#include "session.h"

namespace signet::milter {
namespace {

// libmilter's callback table is global, so its context is too; this file is
// the only one that sees it.
GlueContext* g_context = nullptr;

// One per SMTP connection; counted so shutdown can wait for them.
struct Connection {
  Session session;
  bool leading_space = false;  // SMFIP_HDR_LEADSPC was agreed
  bool no_header_reply = false;  // SMFIP_NR_HDR was agreed: header callbacks return SMFIS_NOREPLY
  bool no_body_reply = false;    // SMFIP_NR_BODY was agreed: body callbacks return SMFIS_NOREPLY
  bool no_mail_reply = false;    // SMFIP_NR_MAIL was agreed
  bool no_eoh_reply = false;     // SMFIP_NR_EOH was agreed
  bool no_rcpt_reply = false;    // SMFIP_NR_RCPT was agreed
  bool in_message = false;
  // An exception in a step that sends no reply, kept for the next step that
  // does (end of message at the latest); further work is skipped until then.
  std::string deferred_error;
  explicit Connection(const EngineHolder& engines) : session(engines) { ++g_context->active_connections; }
  ~Connection() {
    endMessage();
    --g_context->active_connections;
  }
  void beginMessage() {
    if (!in_message) ++g_context->messages_in_flight;
    in_message = true;
  }
  void endMessage() {
    if (in_message) --g_context->messages_in_flight;
    in_message = false;
    deferred_error.clear();
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

Connection* connectionOf(SMFICTX* ctx) { return static_cast<Connection*>(smfi_getpriv(ctx)); }

std::string macro(SMFICTX* ctx, const char* name) {
  const char* value = smfi_getsymval(ctx, const_cast<char*>(name));
  return value ? std::string(value) : std::string();
}

sfsistat statusFor(Action action) {
  switch (action) {
    case Action::accept: return SMFIS_ACCEPT;
    case Action::reject: return SMFIS_REJECT;
    case Action::tempfail: return SMFIS_TEMPFAIL;
    case Action::discard: return SMFIS_DISCARD;
    case Action::quarantine: return SMFIS_CONTINUE;
  }
  return SMFIS_TEMPFAIL;
}

// The On-InternalError reply for an exception in `step`, logged and set.
sfsistat internalError(SMFICTX* ctx, const char* step, const char* what) {
  const auto engine = g_context->engines->get();
  const Reply reply = decideInternalError(*engine->config, what);
  g_context->logger->error(std::string("internal error in ") + step + ": " + what + "; " +
                           std::string(toString(reply.action)));
  if (!reply.rcode.empty())
    smfi_setreply(ctx, const_cast<char*>(reply.rcode.c_str()), const_cast<char*>(reply.xcode.c_str()),
                  const_cast<char*>(reply.text.c_str()));
  return statusFor(reply.action);
}

// Runs a callback body; an exception becomes the On-InternalError action.
// An exception kept from a step without reply (deferred) is answered first.
template <typename Body>
sfsistat guarded(SMFICTX* ctx, const char* step, Body&& body) {
  if (Connection* c = connectionOf(ctx); c && !c->deferred_error.empty()) {
    const std::string what = std::move(c->deferred_error);
    c->session.abortMessage();
    c->endMessage();
    return internalError(ctx, step, what.c_str());
  }
  try {
    return body();
  } catch (const std::exception& e) {
    return internalError(ctx, step, e.what());
  }
}

// For the steps the MTA sends without awaiting a reply (MAIL, headers, end
// of headers and body chunks, when negotiated): an exception is kept for the next step that
// replies, and the message's remaining headers and body are not processed.
template <typename Body>
sfsistat guardedWithoutReply(SMFICTX* ctx, const char* step, bool no_reply, Body&& body) {
  if (!no_reply) return guarded(ctx, step, [&] {
      body();
      return SMFIS_CONTINUE;
    });
  Connection* c = connectionOf(ctx);
  if (!c->deferred_error.empty()) return SMFIS_NOREPLY;
  try {
    body();
  } catch (const std::exception& e) {
    c->deferred_error = std::string(e.what()) + " (in " + step + ")";
  }
  return SMFIS_NOREPLY;
}

sfsistat onNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long, unsigned long,
                     unsigned long* pf0, unsigned long* pf1, unsigned long* pf2, unsigned long* pf3) {
  *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
  // MAIL, headers, end of headers and body chunks need no reply, and HELO,
  // RCPT, DATA and unknown commands (which signet-milter has no use for) are
  // not sent at all, when the MTA offers that, as Postfix and Sendmail 8.14+
  // do: fewer packets and two round trips fewer per message. signet-milter
  // decides only at end of message.
  // Recipients matter only to an ARCSealingTable, which picks the sealing
  // key by the address the mail was sent to; then RCPT is asked for, without
  // a reply when the MTA allows.
  const bool wants_recipients = !g_context->engines->get()->config->arc_sealing_table.empty();
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_NR_MAIL | SMFIP_NR_EOH | SMFIP_NOHELO |
               (wants_recipients ? SMFIP_NR_RCPT : SMFIP_NORCPT) | SMFIP_NODATA | SMFIP_NOUNKNOWN);
  *pf2 = 0;
  *pf3 = 0;
  smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char*>("j {daemon_name}"));
  smfi_setsymlist(ctx, SMFIM_ENVFROM,
                  const_cast<char*>("i {auth_authen} {auth_type} {daemon_name} {signet_dksign} {signet_dkverify} {signet_mode}"));
  smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>("i"));
  auto connection = std::make_unique<Connection>(*g_context->engines);
  connection->leading_space = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
  connection->no_header_reply = (*pf1 & SMFIP_NR_HDR) != 0;
  connection->no_body_reply = (*pf1 & SMFIP_NR_BODY) != 0;
  connection->no_mail_reply = (*pf1 & SMFIP_NR_MAIL) != 0;
  connection->no_eoh_reply = (*pf1 & SMFIP_NR_EOH) != 0;
  connection->no_rcpt_reply = (*pf1 & SMFIP_NR_RCPT) != 0;
  if (Connection* old = connectionOf(ctx)) delete old;
  smfi_setpriv(ctx, connection.release());
  return SMFIS_CONTINUE;
}

sfsistat onConnect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* address) {
  return guarded(ctx, "connect", [&] {
    Connection* c = connectionOf(ctx);
    if (!c) {  // an MTA that did not negotiate
      c = new Connection(*g_context->engines);
      smfi_setpriv(ctx, c);
    }
    sockaddr_in loopback{};
    if (!address) {  // e.g. sendmail -bs: no client address, treated as 127.0.0.1
      loopback.sin_family = AF_INET;
      loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address = reinterpret_cast<_SOCK_ADDR*>(&loopback);
    }
    c->session.connect(hostname ? hostname : "", address);
    return SMFIS_CONTINUE;
  });
}

sfsistat onEnvFrom(SMFICTX* ctx, char**) {
  Connection* c = connectionOf(ctx);
  if (c) c->deferred_error.clear();  // a new message
  return guardedWithoutReply(ctx, "MAIL", c && c->no_mail_reply, [&] {
    Envelope envelope;
    envelope.auth_authen = macro(ctx, "{auth_authen}");
    envelope.auth_type = macro(ctx, "{auth_type}");
    envelope.daemon_name = macro(ctx, "{daemon_name}");
    envelope.dksign = macro(ctx, "{signet_dksign}");
    envelope.dkverify = macro(ctx, "{signet_dkverify}");
    envelope.qmail_mode = macro(ctx, "{signet_mode}");
    envelope.queue_id = macro(ctx, "i");
    c->beginMessage();
    c->session.mailFrom(std::move(envelope));
  });
}

sfsistat onEnvRcpt(SMFICTX* ctx, char** argv) {
  Connection* c = connectionOf(ctx);
  return guardedWithoutReply(ctx, "RCPT", c && c->no_rcpt_reply, [&] {
    if (argv && argv[0]) c->session.recipient(argv[0]);
  });
}

sfsistat onHeader(SMFICTX* ctx, char* name, char* value) {
  Connection* c = connectionOf(ctx);
  return guardedWithoutReply(ctx, "header", c && c->no_header_reply, [&] {
    if (c->leading_space) c->session.header(name, value);
    else c->session.header(name, std::string(" ") + value);
  });
}

sfsistat onEndOfHeaders(SMFICTX* ctx) {
  Connection* c = connectionOf(ctx);
  return guardedWithoutReply(ctx, "end of headers", c && c->no_eoh_reply, [&] { c->session.endOfHeaders(); });
}

sfsistat onBody(SMFICTX* ctx, unsigned char* data, size_t size) {
  Connection* c = connectionOf(ctx);
  return guardedWithoutReply(ctx, "body", c && c->no_body_reply, [&] {
    c->session.body(std::span<const char>(reinterpret_cast<const char*>(data), size));
  });
}

sfsistat onEndOfMessage(SMFICTX* ctx) {
  return guarded(ctx, "end of message", [&] {
    Connection* c = connectionOf(ctx);
    std::string queue_id = macro(ctx, "i");
    const Outcome out = c->session.endOfMessage(queue_id);
    c->endMessage();
    for (const HeaderRemoval& r : out.removals)
      smfi_chgheader(ctx, const_cast<char*>(r.name.c_str()), r.index, nullptr);
    for (auto it = out.inserts.rbegin(); it != out.inserts.rend(); ++it) {
      std::string value = it->value;
      if (!c->leading_space && !value.empty() && value.front() == ' ') value.erase(0, 1);
      if (smfi_insheader(ctx, 0, const_cast<char*>(it->name.c_str()), const_cast<char*>(value.c_str())) !=
          MI_SUCCESS)
        throw std::runtime_error("the MTA refused to add " + it->name);
    }
    g_context->logger->info(out.log_line);
    const Reply& reply = out.reply;
    if (reply.action == Action::quarantine)
      smfi_quarantine(ctx, const_cast<char*>(reply.text.c_str()));
    if (!reply.rcode.empty())
      smfi_setreply(ctx, const_cast<char*>(reply.rcode.c_str()), const_cast<char*>(reply.xcode.c_str()),
                    const_cast<char*>(reply.text.c_str()));
    return reply.action == Action::accept ? SMFIS_CONTINUE : statusFor(reply.action);
  });
}

sfsistat onAbort(SMFICTX* ctx) {
  if (Connection* c = connectionOf(ctx)) c->deferred_error.clear();  // the message is gone: nothing to answer
  return guarded(ctx, "abort", [&] {
    if (Connection* c = connectionOf(ctx)) {
      c->session.abortMessage();
      c->endMessage();
    }
    return SMFIS_CONTINUE;
  });
}

sfsistat onClose(SMFICTX* ctx) {
  Connection* c = connectionOf(ctx);
  if (c) {
    delete c;
    smfi_setpriv(ctx, nullptr);
  }
  return SMFIS_CONTINUE;
}

}  // namespace

bool registerFilter(GlueContext& context, std::string& error) {
  g_context = &context;
  static smfiDesc description{};
  description.xxfi_name = const_cast<char*>("signet");
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
  description.xxfi_connect = onConnect;
  description.xxfi_envfrom = onEnvFrom;
  description.xxfi_envrcpt = onEnvRcpt;
  description.xxfi_header = onHeader;
  description.xxfi_eoh = onEndOfHeaders;
  description.xxfi_body = onBody;
  description.xxfi_eom = onEndOfMessage;
  description.xxfi_abort = onAbort;
  description.xxfi_close = onClose;
  description.xxfi_negotiate = onNegotiate;
  if (smfi_register(description) != MI_SUCCESS) {
    error = "smfi_register failed";
    return false;
  }
  return true;
}

}  // namespace signet::milter

// libmilter's signal thread calls sigwait() for SIGHUP, SIGTERM and SIGINT
// and stops the filter on any of them, abandoning messages in flight (its
// worker pool ends with smfi_main()). signet-milter handles these signals in
// its own thread (daemon.cpp: reload, and a stop that lets messages finish),
// so this definition, which libmilter's call binds to, leaves them out.
extern "C" int sigwait(const sigset_t* set, int* sig) {
  sigset_t theirs = *set;
  sigdelset(&theirs, SIGHUP);
  sigdelset(&theirs, SIGTERM);
  sigdelset(&theirs, SIGINT);
  for (;;) {
    const int received = sigwaitinfo(&theirs, nullptr);
    if (received > 0) {
      *sig = received;
      return 0;
    }
    if (errno != EINTR) return errno;
  }
}
