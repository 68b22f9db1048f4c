// What the core benchmarks work on: deterministic text bodies and messages
// that look like real mail, and an in-memory key server standing in for DNS.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "signet/dns.h"
#include "signet/header.h"

namespace signet::bench {

// A plain-text body of about `size` bytes (never more): lines of ~70
// characters of words separated by single spaces, with now and then a double
// space, a tab or a space before the line end, CRLF line ends, and a blank
// line between paragraphs. Ends with one CRLF and no empty lines, so its
// simple canonical form is itself. Same `seed`, same body.
std::string makeTextBody(std::size_t size, unsigned seed = 1);

struct Message {
  std::vector<HeaderField> headers;  // in message order
  std::string body;                  // CRLF line ends

  std::size_t size() const;  // as on the wire, header block and blank line included
};

// A message from alice@example.com with the usual header fields (two
// Received, From, To, Cc, Subject, Date, Message-ID, MIME headers) and a
// makeTextBody() body, about `size` bytes in all (never more).
Message makeMessage(std::size_t size, unsigned seed = 1);

// A Resolver answering from a fixed table; anything else is "no record".
class StaticResolver final : public Resolver {
 public:
  void publish(std::string name, std::string txt);
  TxtAnswer lookupTxt(std::string_view name) override;

 private:
  std::map<std::string, std::string, std::less<>> records_;
};

}  // namespace signet::bench
