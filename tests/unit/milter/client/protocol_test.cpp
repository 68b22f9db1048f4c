// The milter wire format without I/O (milter_protocol.h): command encoding,
// the packet reader split anywhere, option negotiation (version 6 and the
// older versions 2 to 5), and every reply and modification with each way
// it can be malformed.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "milter_protocol.h"
#include "wire_bytes.h"

namespace signet::milter_client {
namespace {

using test::be32;
using test::pkt;
using test::z;

TEST(MilterProtocolEncode, CommandsMatchTheWireFormat) {
  EXPECT_EQ(encodeCommand('Q'), std::string("\0\0\0\1Q", 5));
  EXPECT_EQ(encodeCommand('B', "abc"), std::string("\0\0\0\4Babc", 8));
  EXPECT_EQ(encodeNegotiation(6, 0x1FF, 0x1FFFFF), be32(6) + be32(0x1FF) + be32(0x1FFFFF));
  EXPECT_EQ(encodeConnect("mx.example", '4', 2525, "192.0.2.1"),
            z("mx.example") + "4" + std::string("\x09\xDD", 2) + z("192.0.2.1"));
  EXPECT_EQ(encodeConnect("local", 'U', 0, "ignored"), z("local") + "U");
  const Macro macros[] = {{"j", "mx"}, {"{daemon_name}", "smtpd"}};
  EXPECT_EQ(encodeMacros('C', macros), "C" + z("j") + z("mx") + z("{daemon_name}") + z("smtpd"));
  const std::string strings[] = {"<a@example.com>", "SIZE=10"};
  EXPECT_EQ(encodeStrings(strings), z("<a@example.com>") + z("SIZE=10"));
  EXPECT_EQ(encodeHeader("Subject", "hi"), z("Subject") + z("hi"));
}

TEST(MilterProtocolVersions, StepsEachVersionKnows) {
  using namespace protocol_flag;
  EXPECT_EQ(protocolFlagsForVersion(1), 0u);
  EXPECT_EQ(protocolFlagsForVersion(2) & (no_unknown | no_data | skip), 0u);
  EXPECT_NE(protocolFlagsForVersion(2) & no_end_of_headers, 0u);
  EXPECT_NE(protocolFlagsForVersion(3) & no_unknown, 0u);
  EXPECT_EQ(protocolFlagsForVersion(3) & no_data, 0u);
  EXPECT_NE(protocolFlagsForVersion(4) & no_data, 0u);
  EXPECT_EQ(protocolFlagsForVersion(5) & no_reply_body, 0u);
  EXPECT_EQ(protocolFlagsForVersion(6), all);
}

// --- PacketReader ---------------------------------------------------------

TEST(MilterProtocolPacketReader, SplitAnywhereGivesTheSamePackets) {
  const std::string stream = pkt('c') + pkt('h', z("X-A") + z("1")) + pkt('b', std::string(300, 'x')) +
                             pkt('y', z("450 4.7.1 later")) + pkt('p');
  const std::vector<std::pair<char, std::string>> expected = {{'c', ""},
                                                              {'h', z("X-A") + z("1")},
                                                              {'b', std::string(300, 'x')},
                                                              {'y', z("450 4.7.1 later")},
                                                              {'p', ""}};
  // Every single split point, and every pair of split points.
  for (std::size_t a = 0; a <= stream.size(); ++a) {
    for (std::size_t b = a; b <= stream.size(); b += (a % 7 == 0 ? 1 : stream.size())) {
      PacketReader reader{Limits{}};
      std::vector<std::pair<char, std::string>> got;
      for (auto [from, to] : {std::pair{std::size_t{0}, a}, std::pair{a, b}, std::pair{b, stream.size()}}) {
        reader.append(std::span<const char>(stream.data() + from, to - from));
        for (;;) {
          auto next = reader.next();
          ASSERT_TRUE(next.has_value()) << next.error().message;
          if (!*next) break;
          got.emplace_back((*next)->code, (*next)->data);
        }
      }
      ASSERT_EQ(got, expected) << "split at " << a << " and " << b;
      EXPECT_EQ(reader.buffered(), 0u);
    }
  }
}

TEST(MilterProtocolPacketReader, ByteAtATime) {
  const std::string stream = pkt('a') + pkt('m', be32(1) + z("Subject") + z(""));
  PacketReader reader{Limits{}};
  int packets = 0;
  for (char c : stream) {
    reader.append(std::span<const char>(&c, 1));
    auto next = reader.next();
    ASSERT_TRUE(next.has_value());
    if (*next) ++packets;
  }
  EXPECT_EQ(packets, 2);
}

TEST(MilterProtocolPacketReader, ZeroLengthIsAnError) {
  PacketReader reader{Limits{}};
  const std::string bytes = be32(0);
  reader.append(bytes);
  auto next = reader.next();
  ASSERT_FALSE(next.has_value());
  EXPECT_NE(next.error().message.find("length 0"), std::string::npos);
}

TEST(MilterProtocolPacketReader, OversizeLengthRefusedBeforeTheDataArrives) {
  Limits limits;
  limits.max_packet = 100;
  PacketReader reader{limits};
  reader.append(be32(100) + "c");  // exactly at the limit: waits for data
  auto at_limit = reader.next();
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_FALSE(at_limit->has_value());

  PacketReader over{limits};
  over.append(be32(101));
  auto next = over.next();
  ASSERT_FALSE(next.has_value());
  EXPECT_NE(next.error().message.find("over the limit"), std::string::npos);
  PacketReader huge{Limits{}};
  huge.append(be32(0xFFFFFFFF));
  EXPECT_FALSE(huge.next().has_value());
}

// --- Negotiation ----------------------------------------------------------

constexpr std::uint32_t kAllActions = action_flag::all;
constexpr std::uint32_t kOffered = protocol_flag::all & ~protocol_flag::rcpt_rejected;

TEST(MilterProtocolNegotiation, Version6WithFlags) {
  const std::uint32_t protocol = protocol_flag::no_helo | protocol_flag::no_reply_header;
  auto n = decodeNegotiation(be32(6) + be32(action_flag::add_headers) + be32(protocol), kAllActions, kOffered,
                             Limits{});
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(n->version, 6u);
  EXPECT_EQ(n->actions, action_flag::add_headers);
  EXPECT_EQ(n->protocol, protocol);
  for (const auto& list : n->macros) EXPECT_FALSE(list.has_value());
}

TEST(MilterProtocolNegotiation, OlderVersionsAreAccepted) {
  for (std::uint32_t version = 2; version <= 5; ++version) {
    auto n = decodeNegotiation(be32(version) + be32(0x3F) + be32(protocol_flag::no_body), kAllActions,
                               kOffered, Limits{});
    ASSERT_TRUE(n.has_value()) << version << ": " << n.error().message;
    EXPECT_EQ(n->version, version);
    EXPECT_EQ(n->protocol, protocol_flag::no_body);
  }
  // Before version 6 the step flags may be left out altogether.
  auto short_form = decodeNegotiation(be32(2) + be32(0x3F), kAllActions, kOffered, Limits{});
  ASSERT_TRUE(short_form.has_value()) << short_form.error().message;
  EXPECT_EQ(short_form->protocol, 0u);
  EXPECT_FALSE(decodeNegotiation(be32(6) + be32(0x3F), kAllActions, kOffered, Limits{}).has_value());
}

TEST(MilterProtocolNegotiation, MacroListsPerStage) {
  const std::string data = be32(6) + be32(0) + be32(0) + be32(0) + z("j {daemon_name}") + be32(5) +
                           z("{auth_authen},{auth_type}") + be32(2) + z("") + be32(99) + z("ignored");
  auto n = decodeNegotiation(data, kAllActions, kOffered, Limits{});
  ASSERT_TRUE(n.has_value()) << n.error().message;
  ASSERT_TRUE(n->macros[0].has_value());
  EXPECT_EQ(*n->macros[0], (std::vector<std::string>{"j", "{daemon_name}"}));
  ASSERT_TRUE(n->macros[5].has_value());
  EXPECT_EQ(*n->macros[5], (std::vector<std::string>{"{auth_authen}", "{auth_type}"}));
  ASSERT_TRUE(n->macros[2].has_value());
  EXPECT_TRUE(n->macros[2]->empty());  // asked for none at MAIL
  EXPECT_FALSE(n->macros[1].has_value());
}

TEST(MilterProtocolNegotiation, MalformedReplies) {
  struct Case {
    const char* name;
    std::string data;
    const char* error;
  };
  const Case cases[] = {
      {"empty", "", "version: needs 4 bytes"},
      {"short version", std::string("\0\0\6", 3), "version: needs 4 bytes"},
      {"version too high", be32(7) + be32(0) + be32(0), "version 7"},
      {"version too low", be32(1) + be32(0) + be32(0), "version 1"},
      {"short actions", be32(6) + std::string("\0\0", 2), "actions: needs 4 bytes"},
      {"actions not offered", be32(6) + be32(0x200) + be32(0), "actions: asks for 0x200"},
      {"protocol not offered", be32(6) + be32(0) + be32(protocol_flag::rcpt_rejected),
       "protocol: asks for 0x800"},
      {"protocol beyond all", be32(6) + be32(0) + be32(0x200000), "protocol: asks for 0x200000"},
      {"short protocol", be32(6) + be32(0) + std::string("\0", 1), "protocol: needs 4 bytes"},
      {"short macro stage", be32(6) + be32(0) + be32(0) + std::string("\0\0", 2), "macro stage"},
      {"macro list without NUL", be32(6) + be32(0) + be32(0) + be32(1) + "j", "macro list: no NUL"},
      {"macro list too long", be32(6) + be32(0) + be32(0) + be32(1) + z(std::string(70000, 'j')),
       "macro list: 70000 bytes"},
  };
  for (const Case& c : cases) {
    auto n = decodeNegotiation(c.data, kAllActions, kOffered, Limits{});
    ASSERT_FALSE(n.has_value()) << c.name;
    EXPECT_NE(n.error().message.find(c.error), std::string::npos) << c.name << ": " << n.error().message;
  }
}

// --- Replies and modifications ---------------------------------------------

TEST(MilterProtocolReplies, EveryFinalReply) {
  const std::pair<char, Reply::Kind> cases[] = {
      {'c', Reply::Kind::continue_}, {'a', Reply::Kind::accept},          {'r', Reply::Kind::reject},
      {'t', Reply::Kind::tempfail},  {'d', Reply::Kind::discard},         {'s', Reply::Kind::skip},
      {'4', Reply::Kind::shutdown},  {'f', Reply::Kind::connection_fail},
  };
  for (auto [code, kind] : cases) {
    auto r = decodeResponse(Packet{code, ""}, 0, Limits{});
    ASSERT_TRUE(r.has_value()) << code << ": " << r.error().message;
    EXPECT_EQ(r->kind, Response::Kind::reply) << code;
    EXPECT_EQ(r->reply.kind, kind) << code;
    auto trailing = decodeResponse(Packet{code, "x"}, 0, Limits{});
    ASSERT_FALSE(trailing.has_value()) << code;
    EXPECT_NE(trailing.error().message.find("1 bytes after the last field"), std::string::npos);
  }
  auto progress = decodeResponse(Packet{'p', ""}, 0, Limits{});
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ(progress->kind, Response::Kind::progress);
  EXPECT_FALSE(decodeResponse(Packet{'p', std::string(1, '\0')}, 0, Limits{}).has_value());
}

TEST(MilterProtocolReplies, ReplyCodeText) {
  for (const char* good :
       {"550 5.7.1 go away", "450", "421 4.3.2 closing", "550-5.7.1 first\r\n550 5.7.1 last"}) {
    auto r = decodeResponse(Packet{'y', z(good)}, 0, Limits{});
    ASSERT_TRUE(r.has_value()) << good << ": " << r.error().message;
    EXPECT_EQ(r->reply.kind, Reply::Kind::reply_code);
    EXPECT_EQ(r->reply.text, good);
  }
  for (const char* bad : {"", "250 ok", "55", "5x0 no", "550x", "650 no", " 550 no"}) {
    auto r = decodeResponse(Packet{'y', z(bad)}, 0, Limits{});
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message.find("reply_code: text"), std::string::npos) << r.error().message;
  }
  EXPECT_FALSE(decodeResponse(Packet{'y', "550 no NUL"}, 0, Limits{}).has_value());
  EXPECT_FALSE(decodeResponse(Packet{'y', z("550 a") + "b"}, 0, Limits{}).has_value());
}

struct ModificationCase {
  const char* name;
  char code;
  std::string data;
  std::uint32_t needs;  // the action flag it needs
  Modification::Kind kind;
  std::uint32_t index;
  std::string field_name, value, args;
};

TEST(MilterProtocolModifications, EachKindDecodes) {
  using K = Modification::Kind;
  namespace af = action_flag;
  const ModificationCase cases[] = {
      {"add_header", 'h', z("X-Test") + z("v 1"), af::add_headers, K::add_header, 0, "X-Test", "v 1", ""},
      {"insert_header", 'i', be32(0) + z("DKIM-Signature") + z(" v=1;\r\n\tb=x"), af::add_headers,
       K::insert_header, 0, "DKIM-Signature", " v=1;\r\n\tb=x", ""},
      {"change_header", 'm', be32(2) + z("Subject") + z(""), af::change_headers, K::change_header, 2,
       "Subject", "", ""},
      {"replace_body", 'b', std::string("new\0body", 8), af::change_body, K::replace_body, 0, "",
       std::string("new\0body", 8), ""},
      {"replace_body empty", 'b', "", af::change_body, K::replace_body, 0, "", "", ""},
      {"change_from", 'e', z("<a@example.com>"), af::change_from, K::change_from, 0, "", "<a@example.com>",
       ""},
      {"change_from args", 'e', z("<a@example.com>") + z("SIZE=1"), af::change_from, K::change_from, 0, "",
       "<a@example.com>", "SIZE=1"},
      {"add_rcpt", '+', z("<b@example.com>"), af::add_rcpt, K::add_rcpt, 0, "", "<b@example.com>", ""},
      {"add_rcpt_with_args", '2', z("<b@example.com>") + z("NOTIFY=NEVER"), af::add_rcpt_with_args,
       K::add_rcpt, 0, "", "<b@example.com>", "NOTIFY=NEVER"},
      {"delete_rcpt", '-', z("<c@example.com>"), af::delete_rcpt, K::delete_rcpt, 0, "", "<c@example.com>",
       ""},
      {"quarantine", 'q', z("looks odd"), af::quarantine, K::quarantine, 0, "", "looks odd", ""},
  };
  for (const ModificationCase& c : cases) {
    auto r = decodeResponse(Packet{c.code, c.data}, action_flag::all, Limits{});
    ASSERT_TRUE(r.has_value()) << c.name << ": " << r.error().message;
    ASSERT_EQ(r->kind, Response::Kind::modification) << c.name;
    const Modification& m = r->modification;
    EXPECT_EQ(m.kind, c.kind) << c.name;
    EXPECT_EQ(m.index, c.index) << c.name;
    EXPECT_EQ(m.name, c.field_name) << c.name;
    EXPECT_EQ(m.value, c.value) << c.name;
    EXPECT_EQ(m.args, c.args) << c.name;

    // Not negotiated: the same packet is refused.
    auto refused = decodeResponse(Packet{c.code, c.data}, action_flag::all & ~c.needs, Limits{});
    ASSERT_FALSE(refused.has_value()) << c.name;
    EXPECT_NE(refused.error().message.find("not negotiated"), std::string::npos) << refused.error().message;
  }
}

TEST(MilterProtocolModifications, MalformedForms) {
  struct Case {
    const char* name;
    char code;
    std::string data;
    const char* error;
  };
  const Case cases[] = {
      {"add_header no fields", 'h', "", "add_header: name: no NUL"},
      {"add_header name without NUL", 'h', "X-Test", "add_header: name: no NUL"},
      {"add_header value without NUL", 'h', z("X-Test") + "v", "add_header: value: no NUL"},
      {"add_header trailing", 'h', z("X-Test") + z("v") + "!", "add_header: 1 bytes after"},
      {"add_header empty name", 'h', z("") + z("v"), "add_header: name: not a header field name"},
      {"add_header colon", 'h', z("X:Y") + z("v"), "name: not a header field name"},
      {"add_header space", 'h', z("X Y") + z("v"), "name: not a header field name"},
      {"add_header newline", 'h', z("X\nY") + z("v"), "name: not a header field name"},
      {"insert_header short index", 'i', std::string("\0\0\0", 3), "insert_header: index: needs 4 bytes"},
      {"insert_header no name", 'i', be32(0), "insert_header: name: no NUL"},
      {"insert_header no value", 'i', be32(0) + z("X-A"), "insert_header: value: no NUL"},
      {"insert_header trailing", 'i', be32(0) + z("X-A") + z("v") + z("w"), "insert_header: 2 bytes after"},
      {"change_header short index", 'm', std::string("\0\0", 2), "change_header: index: needs 4 bytes"},
      {"change_header value without NUL", 'm', be32(1) + z("Subject") + "x", "change_header: value: no NUL"},
      {"change_from no NUL", 'e', "<a@b>", "change_from: sender: no NUL"},
      {"change_from args no NUL", 'e', z("<a@b>") + "SIZE", "change_from: arguments: no NUL"},
      {"change_from trailing", 'e', z("<a@b>") + z("SIZE=1") + "x", "change_from: 1 bytes after"},
      {"add_rcpt no NUL", '+', "<a@b>", "add_rcpt: recipient: no NUL"},
      {"add_rcpt trailing", '+', z("<a@b>") + z("x"), "add_rcpt: 2 bytes after"},
      {"add_rcpt_with_args no NUL", '2', z("<a@b>") + "N", "add_rcpt_with_args: arguments: no NUL"},
      {"delete_rcpt no NUL", '-', "", "delete_rcpt: recipient: no NUL"},
      {"delete_rcpt trailing", '-', z("<a@b>") + "x", "delete_rcpt: 1 bytes after"},
      {"quarantine no NUL", 'q', "why", "quarantine: reason: no NUL"},
      {"field over the limit", 'h', z(std::string(65537, 'X')) + z("v"), "name: 65537 bytes, over the limit"},
      {"value over the limit", 'h', z("X-A") + z(std::string(65537, 'v')),
       "value: 65537 bytes, over the limit"},
      {"unknown code", 'Z', "", "unknown reply code 0x5a"},
      {"unknown code NUL", '\0', "", "unknown reply code 0x00"},
      {"unknown code high", '\xff', "", "unknown reply code 0xff"},
      {"negotiation code", 'O', "", "unknown reply code 0x4f"},
      {"symbol list outside negotiation", 'l', "", "set_symbol_list: only valid in option negotiation"},
  };
  for (const Case& c : cases) {
    auto r = decodeResponse(Packet{c.code, c.data}, action_flag::all, Limits{});
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_NE(r.error().message.find(c.error), std::string::npos) << c.name << ": " << r.error().message;
  }
}

TEST(MilterProtocolModifications, ErrorsDoNotEchoTheData) {
  auto r = decodeResponse(Packet{'h', z("SECRET") + "TOKEN"}, action_flag::all, Limits{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message.find("SECRET"), std::string::npos);
  EXPECT_EQ(r.error().message.find("TOKEN"), std::string::npos);
}

TEST(MilterProtocolModifications, FieldLimitIsConfigurable) {
  Limits limits;
  limits.max_field = 8;
  EXPECT_TRUE(decodeResponse(Packet{'h', z("X-A") + z("12345678")}, action_flag::all, limits).has_value());
  EXPECT_FALSE(decodeResponse(Packet{'h', z("X-A") + z("123456789")}, action_flag::all, limits).has_value());
}

}  // namespace
}  // namespace signet::milter_client
