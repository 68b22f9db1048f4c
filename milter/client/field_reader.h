// FieldReader: reads the fields of one milter packet's data (32-bit
// integers, NUL-terminated strings, the raw rest) tracking the bytes that
// remain, for the decoders in milter_protocol.cpp and milter_replies.cpp.
// Internal to signet_milter_client.
//
// Errors name the packet and the field ("insert_header: name: no NUL
// terminator"), never the data.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "milter_protocol.h"

namespace signet::milter_client::detail {

class FieldReader {
 public:
  // `what` names the packet in errors; `max_field` bounds each string.
  FieldReader(std::string_view data, std::string_view what, std::size_t max_field)
      : rest_(data), what_(what), max_field_(max_field) {}

  bool empty() const { return rest_.empty(); }
  std::size_t remaining() const { return rest_.size(); }

  // A 32-bit integer in network byte order.
  std::expected<std::uint32_t, ProtocolError> u32(std::string_view field) {
    if (rest_.size() < 4) return fail(field, "needs 4 bytes, " + std::to_string(rest_.size()) + " left");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i)
      value = (value << 8) | static_cast<unsigned char>(rest_[static_cast<std::size_t>(i)]);
    rest_.remove_prefix(4);
    return value;
  }

  // A NUL-terminated string (the NUL is consumed, not returned).
  std::expected<std::string, ProtocolError> string(std::string_view field) {
    const auto nul = rest_.find('\0');
    if (nul == std::string_view::npos) return fail(field, "no NUL terminator");
    if (nul > max_field_)
      return fail(field, std::to_string(nul) + " bytes, over the limit of " + std::to_string(max_field_));
    std::string out(rest_.substr(0, nul));
    rest_.remove_prefix(nul + 1);
    return out;
  }

  // Everything that is left.
  std::string rest() {
    std::string out(rest_);
    rest_ = {};
    return out;
  }

  // Succeeds when every byte was read.
  std::expected<void, ProtocolError> end() {
    if (!rest_.empty())
      return std::unexpected(ProtocolError{std::string(what_) + ": " + std::to_string(rest_.size()) +
                                           " bytes after the last field"});
    return {};
  }

  ProtocolError error(std::string_view field, std::string_view why) const {
    return ProtocolError{std::string(what_) + ": " + std::string(field) + ": " + std::string(why)};
  }

 private:
  std::unexpected<ProtocolError> fail(std::string_view field, std::string_view why) const {
    return std::unexpected(error(field, why));
  }

  std::string_view rest_;
  std::string_view what_;
  std::size_t max_field_;
};

}  // namespace signet::milter_client::detail
