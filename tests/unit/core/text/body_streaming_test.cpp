// The streaming properties of the body canonicalizers (RFC 6376 sections
// 3.4.3 and 3.4.4, as streamed by signet):
//  - SPLIT-ANYWHERE: the body fed in one piece, byte by byte, cut in two at
//    every position, or cut at many random positions gives the same bytes,
//    and those are the bytes of the plain per-line reference implementation;
//  - IDEMPOTENCE: canonicalizing the canonical form again changes nothing.
// The bodies include runs of SP, HTAB, CR and CRLF placed at every offset
// modulo 16 and 17, so the 16-byte SSE2 scan of the relaxed canonicalizer's
// fast path (which looks one and two bytes ahead) meets every kind of run end
// at every lane and across its block edges; and content runs longer than the
// canonicalizer's copy window (4 KiB) and output buffer (16 KiB), with line
// ends placed around those edges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "canonicalization_reference.h"

namespace signet {
namespace {

using coretest::canonicalizeBytewise;
using coretest::canonicalizeCut;
using coretest::canonicalizeWhole;
using coretest::referenceBody;

constexpr Canonicalization kBoth[] = {Canonicalization::simple, Canonicalization::relaxed};

std::string escape(std::string_view text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u >= 0x7f) out += std::string("\\x") + hex[u >> 4] + hex[u & 15];
    else out += c;
  }
  return out;
}

// Bodies built to meet the SSE2 fast path at every lane.
std::vector<std::string> trickyBodies() {
  const std::vector<std::string> specials = {
      " ",      "  ",       "   ",          std::string(20, ' '), "\t",        " \t ",
      "\r",     "\r\n",     "\r\r\n",       " \r\n",              "\t\r\n",    "  \r\n\r\n",
      "\n",     " \n",      "\r \r",        "\r\n\r\n\r\n",       "\r\n \r\n", std::string(33, '\r'),
      "\xff ",  " \x80  \t",  "\r\n\r",    "\r\n\t\r\n",        "\r\n\r\r\n"};
  std::vector<std::string> out;
  for (std::size_t offset = 0; offset < 35; ++offset) {
    for (const auto& special : specials) {
      // Content, the special run at `offset`, more content, and the same at the end.
      std::string body(offset, 'x');
      body += special;
      body += std::string(40, 'y');
      body += special;
      out.push_back(body);
      out.push_back(std::string(offset, 'z') + special);
    }
  }
  // Long runs that end at every offset of a block.
  for (std::size_t n = 1; n < 40; ++n) {
    out.push_back(std::string(n, ' ') + "a" + std::string(n, '\t') + "b\r\n");
    out.push_back("a" + std::string(n, ' ') + "\r\n" + std::string(n, 'c') + " \r\n");
    std::string crlfs;
    for (std::size_t i = 0; i < n; ++i) crlfs += "\r\n";
    out.push_back(std::string(n, 'd') + crlfs);
    out.push_back(crlfs + std::string(n, 'e'));
    out.push_back("f" + std::string(n, '\r') + "\n" + std::string(17, 'g'));
  }
  // Alternating content and single spaces: a run that must not stop early.
  std::string alternating;
  for (int i = 0; i < 64; ++i) alternating += (i % 2 == 0) ? "w" : " ";
  out.push_back(alternating + "\r\n");
  out.push_back(alternating + "  \r\n" + alternating);
  return out;
}

// Random bodies from an alphabet rich in the bytes the rules care about.
std::vector<std::string> randomBodies(std::uint32_t seed, std::size_t count, std::size_t max_length) {
  static const char alphabet[] = {'a', 'b', ' ', ' ', ' ', '\t', '\r', '\r', '\n', '\n', '.',
                                  static_cast<char>(0xff), static_cast<char>(0x80), '\0'};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t length = rng() % (max_length + 1);
    std::string body;
    while (body.size() < length) {
      const std::uint32_t pick = rng() % 20;
      if (pick < 14) body += alphabet[pick];
      else if (pick < 16) body += "\r\n";
      else if (pick < 17) body += std::string(rng() % 40, ' ');
      else if (pick < 18) body += std::string(rng() % 40, 'q');
      else if (pick < 19) body += " \t \r\n";
      else body += "\r\n\r\n";
    }
    out.push_back(body);
  }
  return out;
}

// Checks one body against the reference for one canonicalizer, fed whole,
// byte by byte and cut in two at every position. Returns false on the first
// difference (after reporting it) so one bad body does not flood the log.
bool checkEverySplit(Canonicalization c, const std::string& body) {
  const std::string expected = referenceBody(c, body);
  SCOPED_TRACE(std::string(toString(c)) + " body \"" + escape(body) + "\"");
  const std::string whole = canonicalizeWhole(c, body);
  EXPECT_EQ(escape(whole), escape(expected)) << "fed in one piece";
  if (whole != expected) return false;
  const std::string bytewise = canonicalizeBytewise(c, body);
  EXPECT_EQ(escape(bytewise), escape(expected)) << "fed byte by byte";
  if (bytewise != expected) return false;
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const std::size_t cuts[] = {cut};
    const auto out = canonicalizeCut(c, body, cuts);
    if (out.bytes != expected || out.canonical != expected.size()) {
      ADD_FAILURE() << "cut at " << cut << ": got \"" << escape(out.bytes) << "\", expected \""
                    << escape(expected) << "\"";
      return false;
    }
  }
  return true;
}

bool checkRandomCuts(Canonicalization c, const std::string& body, std::mt19937& rng, int rounds) {
  const std::string expected = referenceBody(c, body);
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (!body.empty()) {
      at += 1 + rng() % 37;
      if (at >= body.size()) break;
      cuts.push_back(at);
    }
    const auto out = canonicalizeCut(c, body, cuts);
    if (out.bytes != expected) {
      std::string where;
      for (std::size_t cut : cuts) where += std::to_string(cut) + " ";
      ADD_FAILURE() << toString(c) << " body \"" << escape(body) << "\" cut at " << where << ": got \""
                    << escape(out.bytes) << "\", expected \"" << escape(expected) << "\"";
      return false;
    }
  }
  return true;
}

TEST(BodyCanonicalizationStreaming, SplitAnywhereTrickyBodies) {
  const auto bodies = trickyBodies();
  ASSERT_GT(bodies.size(), 1000u);
  std::mt19937 rng(6376);
  for (Canonicalization c : kBoth) {
    for (const auto& body : bodies) {
      if (!checkEverySplit(c, body)) return;
      if (!checkRandomCuts(c, body, rng, 4)) return;
    }
  }
}

TEST(BodyCanonicalizationStreaming, SplitAnywhereRandomBodies) {
  const auto bodies = randomBodies(20240229, 400, 160);
  std::mt19937 rng(8463);
  for (Canonicalization c : kBoth) {
    for (const auto& body : bodies) {
      if (!checkEverySplit(c, body)) return;
      if (!checkRandomCuts(c, body, rng, 8)) return;
    }
  }
}

TEST(BodyCanonicalizationStreaming, RandomMultiSplitsOfLargeBodies) {
  // Larger than the 16 KiB output buffer, with long runs of every kind.
  const auto bodies = randomBodies(4648, 6, 60000);
  std::mt19937 rng(5322);
  for (Canonicalization c : kBoth) {
    for (const auto& body : bodies) {
      const std::string expected = referenceBody(c, body);
      EXPECT_EQ(canonicalizeWhole(c, body), expected);
      EXPECT_EQ(canonicalizeBytewise(c, body), expected);
      if (!checkRandomCuts(c, body, rng, 3)) return;
    }
  }
}

// Long runs: the relaxed canonicalizer copies a run through line ends at most
// 4096 bytes at a time into a 16 KiB buffer; put every kind of run end just
// before, on and after those edges.
std::vector<std::string> longRunBodies() {
  const std::vector<std::string> specials = {"\r\n", "\r\n\r\n", "\r\n \r\n", " \r\n", "  ", "\t",
                                             "\r",    "\r\r\n",  "\r\n\t",   "\r\n\r"};
  std::vector<std::string> out;
  for (std::size_t edge : {std::size_t{4096}, std::size_t{16384}}) {
    for (std::size_t at = edge - 4; at <= edge + 3; ++at) {
      for (const auto& special : specials) {
        out.push_back(std::string(at, 'x') + special + std::string(30, 'y') + "\r\n");
        out.push_back(std::string(at, 'x') + special);  // the run end is the end of the body
      }
    }
  }
  // Many short lines: one run through thousands of line ends.
  std::string lines;
  for (int i = 0; i < 3000; ++i) lines += "word word\tword\r\n";
  out.push_back(lines);
  out.push_back(lines + "\r\n\r\n");
  out.push_back(lines + " \r\n\t\r\n");
  out.push_back(lines.substr(0, lines.size() - 2));
  return out;
}

TEST(BodyCanonicalizationStreaming, LongRunsAcrossTheCopyWindowAndBuffer) {
  std::mt19937 rng(4096);
  for (Canonicalization c : kBoth) {
    for (const auto& body : longRunBodies()) {
      const std::string expected = referenceBody(c, body);
      const std::string whole = canonicalizeWhole(c, body);
      if (whole != expected) {
        ADD_FAILURE() << toString(c) << " body of " << body.size() << " bytes ending \""
                      << escape(body.substr(body.size() - std::min<std::size_t>(body.size(), 60)))
                      << "\": got " << whole.size() << " bytes ending \""
                      << escape(whole.substr(whole.size() - std::min<std::size_t>(whole.size(), 60)))
                      << "\", expected " << expected.size() << " bytes";
        return;
      }
      EXPECT_EQ(canonicalizeBytewise(c, body), expected);
      // Cuts near the edges, and random ones.
      for (std::size_t cut : {std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{4097},
                              std::size_t{16383}, std::size_t{16385}, body.size() - 1}) {
        if (cut >= body.size()) continue;
        const std::size_t cuts[] = {cut};
        ASSERT_EQ(canonicalizeCut(c, body, cuts).bytes, expected) << toString(c) << " cut at " << cut;
      }
      if (!checkRandomCuts(c, body, rng, 2)) return;
    }
  }
}

TEST(BodyCanonicalizationStreaming, ReferenceSanity) {
  // The reference itself, on the cases that decide the tricky ones above.
  EXPECT_EQ(coretest::referenceRelaxedBody("a  \r\n\t\r\nb \t c\r\n\r\n"), "a\r\n\r\nb c\r\n");
  EXPECT_EQ(coretest::referenceRelaxedBody("a\r \r\n"), "a\r\r\n");
  EXPECT_EQ(coretest::referenceSimpleBody("a\r\n\r\nb\r\n\r\n"), "a\r\n\r\nb\r\n");
  EXPECT_EQ(coretest::referenceSimpleBody("\r\r\n\r\n"), "\r\r\n");
}

// --- idempotence ---

void expectIdempotent(Canonicalization c, const std::string& body) {
  const std::string once = canonicalizeWhole(c, body);
  const std::string twice = canonicalizeWhole(c, once);
  EXPECT_EQ(escape(twice), escape(once)) << toString(c) << " body \"" << escape(body) << "\"";
}

TEST(BodyCanonicalizationIdempotence, CanonicalFormIsAFixedPoint) {
  std::vector<std::string> bodies = trickyBodies();
  for (auto& b : randomBodies(1, 500, 300)) bodies.push_back(std::move(b));
  for (Canonicalization c : kBoth) {
    for (const auto& body : bodies) {
      expectIdempotent(c, body);
      if (HasFailure()) return;
    }
  }
}

TEST(BodyCanonicalizationIdempotence, Examples) {
  EXPECT_EQ(canonicalizeWhole(Canonicalization::simple, "\r\n"), "\r\n");
  EXPECT_EQ(canonicalizeWhole(Canonicalization::relaxed, ""), "");
  EXPECT_EQ(canonicalizeWhole(Canonicalization::relaxed, " C\r\nD E\r\n"), " C\r\nD E\r\n");
  EXPECT_EQ(canonicalizeWhole(Canonicalization::simple, " C \r\nD \t E\r\n"), " C \r\nD \t E\r\n");
}

}  // namespace
}  // namespace signet
