#include "bench_corpus.h"

#include <array>
#include <cstdint>

namespace signet::bench {
namespace {

// splitmix64: small, fast, and the same sequence on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool oneIn(std::size_t n) { return below(n) == 0; }

 private:
  std::uint64_t state_;
};

constexpr std::array<std::string_view, 64> kWords = {
    "the",      "of",        "and",     "to",        "in",       "a",         "is",       "that",
    "for",      "it",        "as",      "was",       "with",     "be",        "by",       "on",
    "not",      "he",        "this",    "are",       "or",       "his",       "from",     "at",
    "which",    "but",       "have",    "an",        "had",      "they",      "you",      "were",
    "message",  "delivery",  "server",  "signature", "quarterly", "figures",  "release",  "schedule",
    "meeting",  "Tuesday",   "attached", "please",   "review",   "comments",  "before",   "Friday",
    "customer", "invoice",   "payment", "received",  "thanks",   "regards",   "project",  "update",
    "deadline", "September", "budget",  "approval",  "team",     "question",  "answer",   "I"};

void appendLine(std::string& body, Random& random) {
  const std::size_t width = 60 + random.below(19);  // 60..78
  std::size_t line_start = body.size();
  bool first = true;
  while (body.size() - line_start < width) {
    if (!first) {
      if (random.oneIn(25)) body += "  ";
      else if (random.oneIn(40)) body += '\t';
      else body += ' ';
    }
    body += kWords[random.below(kWords.size())];
    first = false;
  }
  if (random.oneIn(30)) body += ' ';  // white space left at the line end
  body += "\r\n";
}

}  // namespace

std::string makeTextBody(std::size_t size, unsigned seed) {
  Random random(seed);
  std::string body;
  body.reserve(size + 256);
  std::string line;
  std::size_t lines_in_paragraph = 0;
  std::size_t paragraph_length = 5 + random.below(8);
  while (true) {
    line.clear();
    if (lines_in_paragraph == paragraph_length) {
      line = "\r\n";  // a blank line between paragraphs
      lines_in_paragraph = 0;
      paragraph_length = 5 + random.below(8);
    } else {
      appendLine(line, random);
      ++lines_in_paragraph;
    }
    if (body.size() + line.size() > size) break;
    body += line;
  }
  // Never end on the blank line between paragraphs.
  while (body.size() >= 4 && body.ends_with("\r\n\r\n")) body.resize(body.size() - 2);
  return body;
}

std::size_t Message::size() const {
  std::size_t n = body.size() + 2;
  for (const auto& h : headers) n += h.raw.size() + 2;
  return n;
}

Message makeMessage(std::size_t size, unsigned seed) {
  Message m;
  const std::array<std::string, 11> fields = {
      "Received: from mail.example.com (mail.example.com [192.0.2.25])\r\n"
      "\tby mx.example.net (Postfix) with ESMTPS id 4VdKx21C0042\r\n"
      "\tfor <bob@example.net>; Tue, 14 May 2024 09:21:07 +0000 (UTC)",
      "Received: from [10.0.0.7] (laptop.example.com [10.0.0.7])\r\n"
      "\tby mail.example.com (Postfix) with ESMTPSA id 77A1B2C3\r\n"
      "\tfor <bob@example.net>; Tue, 14 May 2024 09:21:06 +0000 (UTC)",
      "From: Alice Example <alice@example.com>",
      "To: Bob Example <bob@example.net>",
      "Cc: carol@example.net,  Dave Example <dave@example.org>",
      "Subject: Quarterly figures and the plan for the next\r\n release",
      "Date: Tue, 14 May 2024 11:21:05 +0200",
      "Message-ID: <20240514092105.77A1B2C3@mail.example.com>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8; format=flowed",
      "Content-Transfer-Encoding: 8bit"};
  for (const auto& raw : fields) m.headers.push_back(HeaderField{raw});
  std::size_t header_bytes = 2;
  for (const auto& h : m.headers) header_bytes += h.raw.size() + 2;
  m.body = makeTextBody(size > header_bytes ? size - header_bytes : 0, seed);
  return m;
}

void StaticResolver::publish(std::string name, std::string txt) { records_[std::move(name)] = std::move(txt); }

TxtAnswer StaticResolver::lookupTxt(std::string_view name) {
  TxtAnswer answer;
  const auto it = records_.find(name);
  if (it == records_.end()) {
    answer.status = DnsStatus::no_record;
    answer.reason = "not published";
    return answer;
  }
  answer.status = DnsStatus::found;
  answer.records.push_back(it->second);
  answer.ttl = 3600;
  return answer;
}

}  // namespace signet::bench
