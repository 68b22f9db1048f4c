// One milter conversation for one message, as Postfix's cleanup holds it:
// CONNECT with the client from tcpserver's variables, MAIL and RCPT from the
// envelope, the header fields, end of headers, the body with CRLF line ends,
// end of message; the modifications are kept until the final reply and
// applied by the caller only if that reply lets the message through.
//
// Macros sent (a milter that asked for a list gets only those): at CONNECT
// j, _, v, {client_addr}, {client_name}, {client_port}, {daemon_addr},
// {daemon_port}, {if_addr}, {if_name} and, when signing, {daemon_name}; at
// MAIL i, {mail_addr}, {auth_authen}, {auth_type}, {daemon_name} (signing),
// {signet_dksign} (DKSIGN), {signet_dkverify} (DKVERIFY letters); at RCPT
// {rcpt_addr}; at end of message i.
#pragma once

#include <string>
#include <vector>

#include "envelope.h"
#include "message.h"
#include "milter_client.h"
#include "settings.h"

namespace signet::qmail {

struct FilterOutcome {
  enum class Kind {
    pass,      // continue/accept: apply `modifications`
    reject,    // 5xx
    tempfail,  // 4xx
    discard,
    failed,    // unreachable, timed out, closed or broke the protocol: `error`
  };
  Kind kind = Kind::pass;
  std::string reply;  // the SMTP text of a reply_code reply
  std::string step;   // where the conversation ended ("end of message", "RCPT", ...)
  std::vector<milter_client::Modification> modifications;
  bool leading_space = false;
  milter_client::ClientError error;
};

// Runs the conversation with one milter.
FilterOutcome consultMilter(const milter_client::SocketSpec& milter, const Settings& settings,
                            const SpoolFile& spool, const Message& message, const Envelope& envelope,
                            const std::string& queue_id);

// The CONNECT data qmail-signet sends: tcpserver's client, or localhost
// (127.0.0.1) when the message did not come over TCP.
struct ConnectInfo {
  std::string hostname;
  char family = '4';
  std::uint16_t port = 0;
  std::string address;
};
ConnectInfo connectInfo(const Peer& peer);

}  // namespace signet::qmail
