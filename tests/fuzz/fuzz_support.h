// Shared by the fuzz targets: a check that aborts (so libFuzzer and the
// corpus replay both see a failure), and the "cut points" prefix with which
// the differential targets let the fuzzer choose where a stream is split.
//
// Cut-point input format (differential targets):
//   byte 0          low 4 bits: number of cut points n (0-15); bit 4: a flag
//                   the target may use (e.g. an l= limit); bits 5-7 unused
//   n x 2 bytes     cut offsets, little-endian, taken modulo the payload size
//   k bytes         a fixed header the target asks for (k = header_bytes)
//   the rest        the payload (message, body or packet stream)
// An input too short for its prefix is used with fewer cuts; one too short
// for the fixed header has an empty payload and `complete` false.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(condition)                                                                     \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

namespace signet::fuzz {

// Whether a known, reported bug is to be stepped over: its name is listed in
// the environment variable SIGNET_FUZZ_TOLERATE (comma-separated). Only the
// long run sets it, so that one open bug does not stop the search for others;
// the corpus replay and the short run never do, so the reproducer keeps
// failing until the bug is fixed. docs/fuzzing.md lists the open ones.
inline bool tolerated(std::string_view bug) {
  static const std::string_view list = [] {
    const char* v = std::getenv("SIGNET_FUZZ_TOLERATE");
    return std::string_view(v ? v : "");
  }();
  std::string_view rest = list;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    if (rest.substr(0, comma) == bug) return true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return false;
}

struct CutInput {
  bool complete = false;  // the fixed header was all there
  bool flag = false;
  std::string_view header;
  std::vector<std::size_t> cuts;  // sorted, unique, strictly inside the payload
  std::string_view payload;
};

inline CutInput parseCuts(const std::uint8_t* data, std::size_t size, std::size_t header_bytes = 0) {
  CutInput in;
  if (size == 0) return in;
  const unsigned wanted = data[0] & 0x0F;
  in.flag = (data[0] & 0x10) != 0;
  std::size_t pos = 1;
  std::vector<std::uint16_t> raw;
  for (unsigned i = 0; i < wanted && pos + 2 <= size; ++i, pos += 2)
    raw.push_back(static_cast<std::uint16_t>(data[pos] | (data[pos + 1] << 8)));
  if (size - pos < header_bytes) return in;
  in.complete = true;
  in.header = std::string_view(reinterpret_cast<const char*>(data) + pos, header_bytes);
  pos += header_bytes;
  in.payload = std::string_view(reinterpret_cast<const char*>(data) + pos, size - pos);
  if (!in.payload.empty())
    for (auto r : raw) {
      const std::size_t cut = r % in.payload.size();
      if (cut > 0) in.cuts.push_back(cut);
    }
  std::sort(in.cuts.begin(), in.cuts.end());
  in.cuts.erase(std::unique(in.cuts.begin(), in.cuts.end()), in.cuts.end());
  return in;
}

// Calls feed(chunk) for each piece of `payload` between the cuts.
template <typename Feed>
void feedPieces(std::string_view payload, const std::vector<std::size_t>& cuts, Feed&& feed) {
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    feed(std::span<const char>(payload.data() + from, cut - from));
    from = cut;
  }
  feed(std::span<const char>(payload.data() + from, payload.size() - from));
}

// Calls feed(chunk) once per byte (the finest split).
template <typename Feed>
void feedBytes(std::string_view payload, Feed&& feed) {
  for (std::size_t i = 0; i < payload.size(); ++i) feed(std::span<const char>(payload.data() + i, 1));
}

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace signet::fuzz
