// MilterConnection against a scripted fake filter (fake_filter.h) on a unix
// socket in a temporary directory and on 127.0.0.1: the exact bytes sent for
// a whole message (macros before their command, steps left out per the
// negotiation, no wait where no reply comes, body chunks of 65535 bytes,
// the header value's leading space), modifications at end of message,
// progress, skip, older filter versions, and each way a conversation fails.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fake_filter.h"
#include "milter_client.h"
#include "wire_bytes.h"

namespace signet::milter_client {
namespace {

using test::be32;
using test::FakeFilter;
using test::negotiationReply;
using test::pkt;
using test::z;
using Transport = FakeFilter::Transport;
using namespace std::chrono_literals;

constexpr std::uint32_t kOfferedProtocol = protocol_flag::all & ~protocol_flag::rcpt_rejected;

ClientOptions quickOptions() {
  ClientOptions o;
  o.timeouts.connect = 2s;
  o.timeouts.command = 2s;
  o.timeouts.content = 2s;
  return o;
}

// A script: negotiate with the given reply, answer 'c' to every command
// that expects a reply unless `answer` handles the packet.
FakeFilter::Script script(std::string negotiation,
                          std::function<bool(const Packet&, FakeFilter::Peer&)> answer = nullptr) {
  return [negotiation, answer](const Packet& p, FakeFilter::Peer& peer) {
    if (p.code == 'O') return peer.send(negotiation);
    if (answer && answer(p, peer)) return;
    if (p.code == 'D' || p.code == 'A' || p.code == 'Q') return;
    peer.send(pkt('c'));
  };
}

// A version 6 filter that may do everything and wants every step and reply.
std::string fullNegotiation() {
  return negotiationReply(6, action_flag::all, 0);
}

TEST(MilterClientConversation, WholeMessageBytes) {
  using namespace protocol_flag;
  const std::uint32_t protocol = no_helo | no_reply_rcpt | no_reply_header;
  // Macro lists: connect wants only j; end of message wants auth_authen (no braces).
  const std::string lists = be32(0) + z("j") + be32(5) + z("auth_authen");
  FakeFilter filter(Transport::unix_socket,
                    script(negotiationReply(6, action_flag::add_headers, protocol, lists),
                           [](const Packet& p, FakeFilter::Peer& peer) {
                             if (p.code == 'R' || p.code == 'L') return true;  // promised no reply
                             if (p.code != 'E') return false;
                             peer.send(pkt('i', be32(0) + z("DKIM-Signature") + z("v=1; a=rsa-sha256")));
                             peer.send(pkt('p'));
                             peer.send(pkt('h', z("X-Second") + z("2")));
                             peer.send(pkt('a'));
                             return true;
                           }));
  auto connection = MilterConnection::open(filter.spec(), quickOptions());
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  EXPECT_EQ(connection->negotiation().version, 6u);
  EXPECT_FALSE(connection->leadingSpace());

  const Macro connect_macros[] = {{"j", "mx.example"}, {"{daemon_name}", "smtpd"}};
  const Macro mail_macros[] = {{"{mail_addr}", "a@example.com"}};
  const Macro eom_macros[] = {{"{auth_authen}", "alice"}, {"i", "QID"}};
  const std::string body(2 * kMaxBodyChunk + 10, 'b');

  EXPECT_EQ(connection->connect("client.example", '4', 2525, "192.0.2.1", connect_macros)->kind,
            Reply::Kind::continue_);
  EXPECT_EQ(connection->helo("client.example", {})->kind, Reply::Kind::continue_);
  EXPECT_EQ(connection->mail("<a@example.com>", mail_macros)->kind, Reply::Kind::continue_);
  EXPECT_EQ(connection->rcpt("<b@example.com>", {})->kind, Reply::Kind::continue_);
  EXPECT_EQ(connection->data({})->kind, Reply::Kind::continue_);
  EXPECT_EQ(connection->header("Subject", " hello")->kind, Reply::Kind::continue_);
  EXPECT_EQ(connection->header("X-Tab", "\tvalue")->kind, Reply::Kind::continue_);
  EXPECT_EQ(connection->endOfHeaders()->kind, Reply::Kind::continue_);
  auto body_reply = connection->body(body);
  ASSERT_TRUE(body_reply.has_value()) << body_reply.error().message;
  EXPECT_EQ(body_reply->kind, Reply::Kind::continue_);
  auto eom = connection->endOfMessage(eom_macros);
  ASSERT_TRUE(eom.has_value()) << eom.error().message;
  connection->quit();
  filter.join();

  EXPECT_EQ(eom->reply.kind, Reply::Kind::accept);
  ASSERT_EQ(eom->modifications.size(), 2u);
  EXPECT_EQ(eom->modifications[0].kind, Modification::Kind::insert_header);
  EXPECT_EQ(eom->modifications[0].name, "DKIM-Signature");
  EXPECT_EQ(eom->modifications[0].value, "v=1; a=rsa-sha256");
  EXPECT_EQ(eom->modifications[1].kind, Modification::Kind::add_header);
  EXPECT_FALSE(eom->quarantined());

  const std::string expected =
      pkt('O', be32(6) + be32(action_flag::all) + be32(kOfferedProtocol)) +
      pkt('D', "C" + z("j") + z("mx.example")) +
      pkt('C', z("client.example") + "4" + std::string("\x09\xDD", 2) + z("192.0.2.1")) +
      pkt('D', "M" + z("{mail_addr}") + z("a@example.com")) + pkt('M', z("<a@example.com>")) +
      pkt('R', z("<b@example.com>")) + pkt('T') + pkt('L', z("Subject") + z("hello")) +
      pkt('L', z("X-Tab") + z("\tvalue")) + pkt('N') + pkt('B', body.substr(0, kMaxBodyChunk)) +
      pkt('B', body.substr(kMaxBodyChunk, kMaxBodyChunk)) + pkt('B', body.substr(2 * kMaxBodyChunk)) +
      pkt('D', "E" + z("{auth_authen}") + z("alice")) + pkt('E') + pkt('Q');
  EXPECT_EQ(filter.received().size(), expected.size());
  EXPECT_TRUE(filter.received() == expected) << "the client's bytes differ from the expected conversation";
}

TEST(MilterClientConversation, LeadingSpaceKeptWhenNegotiatedOverTcp) {
  FakeFilter filter(Transport::tcp, script(negotiationReply(6, 0, protocol_flag::header_leading_space)));
  ClientOptions options = quickOptions();
  options.quick_ack = false;
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  EXPECT_TRUE(connection->leadingSpace());
  ASSERT_TRUE(connection->header("Subject", " hello").has_value());
  auto eom = connection->endOfMessage();
  ASSERT_TRUE(eom.has_value()) << eom.error().message;
  EXPECT_EQ(eom->reply.kind, Reply::Kind::continue_);
  connection->quit();
  filter.join();
  ASSERT_GE(filter.packets().size(), 2u);
  EXPECT_EQ(filter.packets()[1].code, 'L');
  EXPECT_EQ(filter.packets()[1].data, z("Subject") + z(" hello"));
}

TEST(MilterClientConversation, StepsLeftOutAsNegotiated) {
  using namespace protocol_flag;
  const std::uint32_t protocol =
      no_connect | no_helo | no_mail | no_rcpt | no_data | no_headers | no_end_of_headers | no_body;
  FakeFilter filter(Transport::unix_socket, script(negotiationReply(6, 0, protocol)));
  auto connection = MilterConnection::open(filter.spec(), quickOptions());
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  const Macro macros[] = {{"j", "mx"}};
  EXPECT_TRUE(connection->connect("h", '4', 25, "192.0.2.1", macros).has_value());
  EXPECT_TRUE(connection->helo("h", macros).has_value());
  EXPECT_TRUE(connection->mail("<a@b>", macros).has_value());
  EXPECT_TRUE(connection->rcpt("<c@d>", macros).has_value());
  EXPECT_TRUE(connection->data(macros).has_value());
  EXPECT_TRUE(connection->header("Subject", "x").has_value());
  EXPECT_TRUE(connection->endOfHeaders(macros).has_value());
  EXPECT_TRUE(connection->body(std::string("body\r\n")).has_value());
  EXPECT_TRUE(connection->endOfMessage().has_value());
  connection->quit();
  filter.join();
  std::string codes;
  for (const Packet& p : filter.packets()) codes += p.code;
  EXPECT_EQ(codes, "OEQ");
}

TEST(MilterClientConversation, OlderFilterVersionsGetOnlyTheirSteps) {
  // version -> whether DATA is sent
  for (const auto& [version, data_sent] : {std::pair{2u, false}, {3u, false}, {4u, true}, {5u, true}}) {
    // Version 2 replies in the short form (no protocol flags).
    const std::string reply = version == 2 ? pkt('O', be32(2) + be32(action_flag::add_headers))
                                           : negotiationReply(version, action_flag::add_headers, 0);
    FakeFilter filter(Transport::unix_socket, script(reply));
    auto connection = MilterConnection::open(filter.spec(), quickOptions());
    ASSERT_TRUE(connection.has_value()) << version << ": " << connection.error().message;
    EXPECT_EQ(connection->negotiation().version, version);
    EXPECT_TRUE(connection->mail("<a@b>", {}).has_value());
    EXPECT_TRUE(connection->data({}).has_value());
    EXPECT_TRUE(connection->endOfMessage().has_value());
    connection->quit();
    filter.join();
    std::string codes;
    for (const Packet& p : filter.packets()) codes += p.code;
    EXPECT_EQ(codes, data_sent ? "OMTEQ" : "OMEQ") << "version " << version;
  }
}

TEST(MilterClientConversation, OfferedVersionAndFlagsFollowOptions) {
  FakeFilter filter(Transport::unix_socket, script(negotiationReply(4, 0, 0)));
  ClientOptions options = quickOptions();
  options.version = 4;
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  connection->quit();
  filter.join();
  ASSERT_FALSE(filter.packets().empty());
  EXPECT_EQ(filter.packets()[0].data,
            be32(4) + be32(action_flag::all) + be32(kOfferedProtocol & protocolFlagsForVersion(4)));
}

TEST(MilterClientConversation, SkipStopsTheBody) {
  int body_packets = 0;
  FakeFilter filter(Transport::unix_socket, script(negotiationReply(6, 0, protocol_flag::skip),
                                                   [&body_packets](const Packet& p, FakeFilter::Peer& peer) {
                                                     if (p.code != 'B') return false;
                                                     ++body_packets;
                                                     peer.send(pkt('s'));
                                                     return true;
                                                   }));
  auto connection = MilterConnection::open(filter.spec(), quickOptions());
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  const std::string body(3 * kMaxBodyChunk, 'x');
  auto first = connection->body(body);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->kind, Reply::Kind::skip);
  auto second = connection->body(body);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->kind, Reply::Kind::continue_);
  EXPECT_TRUE(connection->endOfMessage().has_value());
  connection->quit();
  filter.join();
  EXPECT_EQ(body_packets, 1);
}

TEST(MilterClientConversation, NoWaitForBodyRepliesWhenPromised) {
  FakeFilter filter(Transport::unix_socket,
                    script(negotiationReply(6, 0, protocol_flag::no_reply_body),
                           [](const Packet& p, FakeFilter::Peer&) { return p.code == 'B'; }));
  ClientOptions options = quickOptions();
  options.timeouts.content = 300ms;  // a wait for a body reply would time out
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  auto body = connection->body(std::string(100, 'x'));
  ASSERT_TRUE(body.has_value()) << body.error().message;
  auto eom = connection->endOfMessage();
  ASSERT_TRUE(eom.has_value()) << eom.error().message;
  connection->quit();
}

TEST(MilterClientConversation, ProgressExtendsTheWait) {
  FakeFilter filter(Transport::tcp, script(fullNegotiation(), [](const Packet& p, FakeFilter::Peer& peer) {
                      if (p.code != 'E') return false;
                      for (int i = 0; i < 4; ++i) {
                        std::this_thread::sleep_for(100ms);
                        peer.send(pkt('p'));
                      }
                      peer.send(pkt('q', z("held")));
                      peer.send(pkt('c'));
                      return true;
                    }));
  ClientOptions options = quickOptions();
  options.timeouts.content = 250ms;  // shorter than the 400 ms the filter takes in all
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  auto eom = connection->endOfMessage();
  ASSERT_TRUE(eom.has_value()) << eom.error().message;
  EXPECT_EQ(eom->reply.kind, Reply::Kind::continue_);
  EXPECT_TRUE(eom->quarantined());
  connection->quit();
}

// --- Failures ---------------------------------------------------------------

TEST(MilterClientFailures, FilterThatNeverAnswersTimesOut) {
  FakeFilter filter(Transport::unix_socket, script(fullNegotiation(), [](const Packet& p, FakeFilter::Peer&) {
                      return p.code == 'C';  // silence
                    }));
  ClientOptions options = quickOptions();
  options.timeouts.command = 200ms;
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  const auto start = std::chrono::steady_clock::now();
  auto reply = connection->connect("h", '4', 25, "192.0.2.1", {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().kind, ClientError::Kind::timeout);
  EXPECT_NE(reply.error().message.find("connect: no reply in 200 ms"), std::string::npos)
      << reply.error().message;
  EXPECT_NE(reply.error().message.find(filter.spec().path), std::string::npos);
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 2s);
  // Broken from now on: the next call fails at once.
  auto again = connection->helo("h", {});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().kind, ClientError::Kind::timeout);
  EXPECT_FALSE(connection->endOfMessage().has_value());
}

TEST(MilterClientFailures, NegotiationTimesOut) {
  FakeFilter filter(Transport::tcp, [](const Packet&, FakeFilter::Peer&) {});
  ClientOptions options = quickOptions();
  options.timeouts.command = 150ms;
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_FALSE(connection.has_value());
  EXPECT_EQ(connection.error().kind, ClientError::Kind::timeout);
  EXPECT_NE(connection.error().message.find("inet:"), std::string::npos);
}

TEST(MilterClientFailures, FilterClosesMidReply) {
  FakeFilter filter(Transport::unix_socket,
                    script(fullNegotiation(), [](const Packet& p, FakeFilter::Peer& peer) {
                      if (p.code != 'E') return false;
                      peer.send(pkt('h', z("X-A") + z("1")).substr(0, 7));
                      peer.hangUp();
                      return true;
                    }));
  auto connection = MilterConnection::open(filter.spec(), quickOptions());
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  auto eom = connection->endOfMessage();
  ASSERT_FALSE(eom.has_value());
  EXPECT_EQ(eom.error().kind, ClientError::Kind::closed);
  EXPECT_NE(eom.error().message.find("end of message"), std::string::npos);
}

TEST(MilterClientFailures, GarbageIsAProtocolError) {
  struct Case {
    const char* name;
    std::string reply;  // the answer to CONNECT
  };
  const Case cases[] = {
      {"unknown code", pkt('Z', "xxxx")},
      {"zero length", be32(0)},
      {"oversize length", be32(0x7FFFFFFF) + "c"},
      {"trailing bytes", pkt('c', "x")},
      {"modification before end of message", pkt('h', z("X-A") + z("1"))},
      {"skip outside body", pkt('s')},
      {"negotiation again", negotiationReply(6, 0, 0)},
  };
  for (const Case& c : cases) {
    FakeFilter filter(Transport::unix_socket,
                      script(fullNegotiation(), [&c](const Packet& p, FakeFilter::Peer& peer) {
                        if (p.code != 'C') return false;
                        peer.send(c.reply);
                        return true;
                      }));
    auto connection = MilterConnection::open(filter.spec(), quickOptions());
    ASSERT_TRUE(connection.has_value()) << connection.error().message;
    auto reply = connection->connect("h", '4', 25, "192.0.2.1", {});
    ASSERT_FALSE(reply.has_value()) << c.name;
    EXPECT_EQ(reply.error().kind, ClientError::Kind::protocol) << c.name << ": " << reply.error().message;
  }
}

TEST(MilterClientFailures, BadNegotiationReplies) {
  const std::string cases[] = {
      pkt('c'),                                              // not a negotiation
      negotiationReply(7, 0, 0),                             // version too high
      negotiationReply(1, 0, 0),                             // version too low
      negotiationReply(6, 0x400, 0),                         // action not offered
      negotiationReply(6, 0, protocol_flag::rcpt_rejected),  // flag not offered
      pkt('O', be32(6)),                                     // short
  };
  for (const std::string& reply : cases) {
    FakeFilter filter(Transport::unix_socket, script(reply));
    auto connection = MilterConnection::open(filter.spec(), quickOptions());
    ASSERT_FALSE(connection.has_value());
    EXPECT_EQ(connection.error().kind, ClientError::Kind::protocol) << connection.error().message;
    EXPECT_NE(connection.error().message.find("negotiation"), std::string::npos);
  }
  // A filter answering above the version we offered.
  FakeFilter filter(Transport::unix_socket, script(negotiationReply(6, 0, 0)));
  ClientOptions options = quickOptions();
  options.version = 4;
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_FALSE(connection.has_value());
  EXPECT_EQ(connection.error().kind, ClientError::Kind::protocol);
}

TEST(MilterClientFailures, ModificationsOutsideTheNegotiationOrLimits) {
  struct Case {
    const char* name;
    std::uint32_t actions;
    std::vector<std::string> replies;  // the answer to EOM
    Limits limits;
  };
  Limits few;
  few.max_modifications = 2;
  Limits small_body;
  small_body.max_replaced_body = 10;
  const Case cases[] = {
      {"change not negotiated",
       action_flag::add_headers,
       {pkt('m', be32(1) + z("Subject") + z("x")), pkt('c')},
       {}},
      {"too many",
       action_flag::all,
       {pkt('h', z("A") + z("1")), pkt('h', z("B") + z("2")), pkt('h', z("C") + z("3")), pkt('c')},
       few},
      {"body too large", action_flag::all, {pkt('b', "123456"), pkt('b', "789012"), pkt('c')}, small_body},
      {"skip at end of message", action_flag::all, {pkt('s')}, {}},
  };
  for (const Case& c : cases) {
    FakeFilter filter(Transport::unix_socket, script(negotiationReply(6, c.actions, 0),
                                                     [&c](const Packet& p, FakeFilter::Peer& peer) {
                                                       if (p.code != 'E') return false;
                                                       for (const std::string& r : c.replies) peer.send(r);
                                                       return true;
                                                     }));
    ClientOptions options = quickOptions();
    options.limits = c.limits;
    auto connection = MilterConnection::open(filter.spec(), options);
    ASSERT_TRUE(connection.has_value()) << connection.error().message;
    auto eom = connection->endOfMessage();
    ASSERT_FALSE(eom.has_value()) << c.name;
    EXPECT_EQ(eom.error().kind, ClientError::Kind::protocol) << c.name << ": " << eom.error().message;
  }
  // Exactly at the limits is fine.
  FakeFilter filter(Transport::unix_socket,
                    script(fullNegotiation(), [](const Packet& p, FakeFilter::Peer& peer) {
                      if (p.code != 'E') return false;
                      peer.send(pkt('h', z("A") + z("1")) + pkt('b', "12345") + pkt('b', "67890") + pkt('c'));
                      return true;
                    }));
  ClientOptions options = quickOptions();
  options.limits = few;
  options.limits.max_modifications = 3;
  options.limits.max_replaced_body = 10;
  auto connection = MilterConnection::open(filter.spec(), options);
  ASSERT_TRUE(connection.has_value());
  auto eom = connection->endOfMessage();
  ASSERT_TRUE(eom.has_value()) << eom.error().message;
  EXPECT_EQ(eom->modifications.size(), 3u);
}

TEST(MilterClientFailures, UnreachableSockets) {
  char dir[] = "/tmp/signet-client-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  SocketSpec missing;
  missing.kind = SocketSpec::Kind::local;
  missing.path = std::string(dir) + "/nobody.sock";
  auto local = MilterConnection::open(missing, quickOptions());
  rmdir(dir);
  ASSERT_FALSE(local.has_value());
  EXPECT_EQ(local.error().kind, ClientError::Kind::unreachable) << local.error().message;
  EXPECT_NE(local.error().message.find("unix:" + missing.path + ": connect:"), std::string::npos)
      << local.error().message;

  // A port that was free a moment ago: bind, note the port, close.
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t size = sizeof address;
  getsockname(s, reinterpret_cast<sockaddr*>(&address), &size);
  close(s);
  auto spec = parseSocketSpec("inet:" + std::to_string(ntohs(address.sin_port)) + "@127.0.0.1");
  ASSERT_TRUE(spec.has_value());
  auto tcp = MilterConnection::open(*spec, quickOptions());
  ASSERT_FALSE(tcp.has_value());
  EXPECT_EQ(tcp.error().kind, ClientError::Kind::unreachable) << tcp.error().message;
}

TEST(MilterClientFailures, MovedFromConnectionFails) {
  FakeFilter filter(Transport::unix_socket, script(fullNegotiation()));
  auto connection = MilterConnection::open(filter.spec(), quickOptions());
  ASSERT_TRUE(connection.has_value());
  MilterConnection moved = std::move(*connection);
  EXPECT_FALSE(connection->helo("h", {}).has_value());  // NOLINT(bugprone-use-after-move): the point
  EXPECT_TRUE(moved.helo("h", {}).has_value());
  moved.quit();
  EXPECT_FALSE(moved.helo("h", {}).has_value());
}

}  // namespace
}  // namespace signet::milter_client
