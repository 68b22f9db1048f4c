#include "signet/header_hash.h"

#include <cstddef>
#include <string_view>
#include <unordered_map>

namespace signet {
namespace {

// Header field names compare ASCII case-insensitively (RFC 5322 section
// 1.2.2), so names equal but for case must hash the same: FNV-1a over each
// byte with the 0x20 bit set, which makes 'A' and 'a' one value (and a few
// non-letters collide, which only costs a comparison).
struct NameHash {
  std::size_t operator()(std::string_view name) const noexcept {
    std::size_t h = 14695981039346656037u;
    for (const char c : name) {
      h ^= static_cast<unsigned char>(c) | 0x20u;
      h *= 1099511628211u;
    }
    return h;
  }
};

struct NameEqual {
  bool operator()(std::string_view a, std::string_view b) const noexcept { return headerNameEquals(a, b); }
};

}  // namespace

std::vector<const HeaderField*> selectSignedHeaders(std::span<const HeaderField> headers,
                                                    std::span<const std::string> names) {
  // One pass over h= and one over the header block from the bottom, so a
  // name repeated many times in h= or in the header costs no more than the
  // two lengths. Each distinct name (ASCII case-insensitive) owns a chain of
  // its positions in h=, in order; the n-th field of that name counting from
  // the bottom fills the n-th position of its chain.
  constexpr std::size_t none = static_cast<std::size_t>(-1);
  struct Chain {
    std::size_t head;  // the next position in h= still to fill
    std::size_t tail;
  };
  std::unordered_map<std::string_view, Chain, NameHash, NameEqual> chains;
  chains.reserve(names.size());
  std::vector<std::size_t> next(names.size(), none);
  for (std::size_t j = 0; j < names.size(); ++j) {
    const auto [it, inserted] = chains.try_emplace(names[j], Chain{j, j});
    if (!inserted) {
      next[it->second.tail] = j;
      it->second.tail = j;
    }
  }
  std::vector<const HeaderField*> out(names.size(), nullptr);  // nullptr signs "absent"
  for (std::size_t i = headers.size(); i-- > 0 && !chains.empty();) {
    const auto it = chains.find(headers[i].name());
    if (it == chains.end()) continue;
    out[it->second.head] = &headers[i];
    it->second.head = next[it->second.head];
    if (it->second.head == none) chains.erase(it);
  }
  return out;
}

std::string headerHashInput(std::span<const HeaderField* const> selected,
                            std::string_view signature_field_without_b, Canonicalization c) {
  std::size_t size = signature_field_without_b.size() + 3;
  for (const HeaderField* field : selected)
    if (field) size += field->raw.size() + 3;
  std::string data;
  data.reserve(size);  // canonical forms are never longer than field + ":\r\n"
  for (const HeaderField* field : selected)
    if (field) appendCanonicalHeader(data, field->raw, c);
  appendCanonicalHeader(data, signature_field_without_b, c);
  data.resize(data.size() - 2);  // the signature field goes in without its CRLF
  return data;
}

}  // namespace signet
