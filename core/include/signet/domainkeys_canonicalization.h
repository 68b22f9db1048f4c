// DomainKeys canonicalization (RFC 4870 section 3.4.2): "simple" and
// "nofws", for header fields and for the body. Separate types from DKIM's
// simple/relaxed (canonicalization.h), behind the same BodyCanonicalizer
// interface, so they stream the same way and feed a BodySink.
//
// What DomainKeys hashes is one stream: the selected header fields, then the
// empty line that ends the header block, then the body. The body
// canonicalizers here own that empty line: they start as if one empty line
// had already been seen, so it is hashed as the first line of the body when
// any body content follows, and not at all when the body is empty or holds
// only empty lines (RFC 4870 section 3.4.2: "If the body consists entirely of
// empty lines, then the header/body line is similarly ignored").
//
//  simple  header fields unchanged (with their folding) plus CRLF; body lines
//          unchanged; trailing empty lines dropped.
//  nofws   every SP, HTAB, CR and LF removed from a header field (name,
//          value and folding) and CRLF appended; in the body SP and HTAB
//          removed everywhere, then a CR not followed by LF and an LF not
//          preceded by CR removed; lines empty after that count as empty
//          lines, and trailing empty lines are dropped.
// Neither adds a CRLF to a last body line that has none (as Mail::DKIM).
//
// Streaming: update() takes the CRLF body in chunks of any size; carry-over
// state (a pending CR, pending empty lines) lives in the object, so the body
// may be split at any byte. No errors: every byte sequence has a canonical
// form.
#pragma once

#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "signet/canonicalization.h"
#include "signet/error.h"

namespace signet {

enum class DomainKeysCanonicalization { simple, nofws };

std::string_view toString(DomainKeysCanonicalization c);
// Parses the c= value of a DomainKey-Signature ("simple" or "nofws", any case).
std::expected<DomainKeysCanonicalization, ParseError> parseDomainKeysCanonicalization(std::string_view text);

// Appends the canonical form of one header field (raw, without its final
// CRLF) with a CRLF to `out`.
void appendDomainKeysHeader(std::string& out, std::string_view raw_field, DomainKeysCanonicalization c);

// "simple" body: lines as they are; trailing empty lines dropped; the
// header/body separator hashed as the first line when content follows.
class DomainKeysSimpleBodyCanonicalizer final : public BodyCanonicalizer {
 public:
  explicit DomainKeysSimpleBodyCanonicalizer(BodySink& sink) : BodyCanonicalizer(sink, std::nullopt) {}
  void update(std::span<const char> body) override;
  void finish() override;

 private:
  void content(const char* data, std::size_t size);

  std::uint64_t held_empty_lines_ = 1;  // the header/body separator
  bool held_cr_ = false;
  bool line_has_content_ = false;
};

// "nofws" body: SP, HTAB, lone CR and lone LF removed; lines that end up
// empty are empty lines; trailing empty lines dropped; the separator as above.
class NofwsBodyCanonicalizer final : public BodyCanonicalizer {
 public:
  explicit NofwsBodyCanonicalizer(BodySink& sink) : BodyCanonicalizer(sink, std::nullopt) {}
  void update(std::span<const char> body) override;
  void finish() override;

 private:
  void content(const char* data, std::size_t size);
  void endOfLine();

  std::uint64_t held_empty_lines_ = 1;  // the header/body separator
  bool held_cr_ = false;                // a CR whose LF may still come (white space in between is dropped)
  bool line_has_content_ = false;
};

std::unique_ptr<BodyCanonicalizer> makeDomainKeysBodyCanonicalizer(DomainKeysCanonicalization c, BodySink& sink);

}  // namespace signet
