// Fuzz target: the milter client codec reading what a filter sends: the
// bounded packet reader (PacketReader), the negotiation reply
// (decodeNegotiation) and every reply and modification (decodeResponse).
//
// Input: the cut-point prefix of fuzz_support.h with an 8-byte fixed header
// (the actions and protocol flags the MTA offers, big-endian), then the byte
// stream from the filter. The prefix flag selects small limits (64-byte
// packets, 16-byte fields). An 'O' packet is decoded as negotiation and, when
// it succeeds, its actions govern the packets after it, as in a conversation.
//
// Differential: the stream appended whole and appended in the pieces between
// fuzzer-chosen cut points must give the same packets and the same error.
// Invariants: a negotiation result stays within what was offered and within
// the version range; a decoded modification was allowed by the negotiated
// actions; a reply_code reply carries a 4xx or 5xx code.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../fuzz_support.h"
#include "milter_protocol.h"

namespace {

using namespace signet::milter_client;

struct Stream {
  std::vector<Packet> packets;
  std::optional<std::string> error;
  std::size_t buffered = 0;
};

void drain(PacketReader& reader, Stream& out) {
  while (!out.error) {
    auto packet = reader.next();
    if (!packet) {
      out.error = packet.error().message;
      return;
    }
    if (!*packet) return;
    out.packets.push_back(std::move(**packet));
  }
}

template <typename Feeder>
Stream readStream(const Limits& limits, Feeder&& feeder) {
  PacketReader reader(limits);
  Stream out;
  feeder([&](std::span<const char> chunk) {
    if (out.error) return;
    reader.append(chunk);
    drain(reader, out);
  });
  out.buffered = reader.buffered();
  return out;
}

bool samePackets(const Stream& a, const Stream& b) {
  if (a.error != b.error || a.packets.size() != b.packets.size()) return false;
  if (!a.error && a.buffered != b.buffered) return false;
  for (std::size_t i = 0; i < a.packets.size(); ++i)
    if (a.packets[i].code != b.packets[i].code || a.packets[i].data != b.packets[i].data) return false;
  return true;
}

std::uint32_t u32(std::string_view bytes) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

// The action a modification code needs, written out here independently of
// the codec (libmilter's SMFIF_* for each SMFIR_* code).
std::uint32_t neededAction(char code) {
  switch (code) {
    case '+':
      return action_flag::add_rcpt;
    case '-':
      return action_flag::delete_rcpt;
    case '2':
      return action_flag::add_rcpt_with_args;
    case 'b':
      return action_flag::change_body;
    case 'e':
      return action_flag::change_from;
    case 'h':
    case 'i':
      return action_flag::add_headers;
    case 'm':
      return action_flag::change_headers;
    case 'q':
      return action_flag::quarantine;
    default:
      return 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = signet::fuzz::parseCuts(data, size, 8);
  if (!in.complete) return 0;
  const std::uint32_t offered_actions = u32(in.header.substr(0, 4));
  const std::uint32_t offered_protocol = u32(in.header.substr(4, 4));
  Limits limits;
  if (in.flag) {
    limits.max_packet = 64;
    limits.max_field = 16;
  }

  const Stream whole = readStream(limits, [&](auto feed) { feed(std::span<const char>(in.payload)); });
  const Stream pieces =
      readStream(limits, [&](auto feed) { signet::fuzz::feedPieces(in.payload, in.cuts, feed); });
  FUZZ_CHECK(samePackets(whole, pieces));

  std::uint32_t negotiated = offered_actions & action_flag::all;
  for (const Packet& packet : whole.packets) {
    FUZZ_CHECK(packet.data.size() + 1 <= limits.max_packet);
    if (packet.code == command::option_negotiation) {
      auto n = decodeNegotiation(packet.data, offered_actions, offered_protocol, limits);
      if (n) {
        FUZZ_CHECK(n->version >= kOldestProtocolVersion && n->version <= kProtocolVersion);
        FUZZ_CHECK((n->actions & ~offered_actions) == 0);
        FUZZ_CHECK((n->protocol & ~offered_protocol) == 0);
        for (const auto& stage : n->macros)
          if (stage)
            for (const auto& name : *stage) FUZZ_CHECK(name.size() <= limits.max_field);
        negotiated = n->actions;
      } else {
        FUZZ_CHECK(!n.error().message.empty());
      }
    }
    auto response = decodeResponse(packet, negotiated, limits);
    if (!response) {
      FUZZ_CHECK(!response.error().message.empty());
      continue;
    }
    if (response->kind == Response::Kind::modification) {
      const std::uint32_t needed = neededAction(packet.code);
      FUZZ_CHECK(needed != 0 && (negotiated & needed) == needed);
      const auto& m = response->modification;
      FUZZ_CHECK(m.name.size() <= limits.max_field);
      if (m.kind != Modification::Kind::replace_body) FUZZ_CHECK(m.value.size() <= limits.max_field);
    }
    if (response->kind == Response::Kind::reply && response->reply.kind == Reply::Kind::reply_code) {
      const std::string& text = response->reply.text;
      FUZZ_CHECK(text.size() >= 3 && (text[0] == '4' || text[0] == '5'));
    }
    (void)toString(response->reply.kind);
  }
  return 0;
}
