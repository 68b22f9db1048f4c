// Rendering of the Authentication-Results header field (RFC 8601), with
// header.d, header.i, header.s, header.a and header.b (RFC 6008) for each
// signature, and a comment a person can act on: key size, algorithm, DNSSEC
// state, and the reason for anything but a plain pass.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "signet/arc.h"
#include "signet/verdict.h"

namespace signet {

// The whole header field, "Authentication-Results: ...", folded with
// `line_end` + HTAB, without a final line end. No results gives dkim=none.
std::string renderAuthenticationResults(std::string_view authserv_id,
                                        std::span<const SignatureResult> results,
                                        std::string_view line_end = "\r\n");

// The same from resinfo strings already rendered (DKIM's, ARC's, a host's
// own); none gives "none" (RFC 8601 section 2.2).
std::string renderAuthenticationResultsField(std::string_view authserv_id, std::span<const std::string> resinfos,
                                        std::string_view line_end = "\r\n");

// The ARC-Authentication-Results field of a new ARC set (RFC 8617 section
// 4.1.1): "i=N; authserv-id;" then the resinfos, folded like the above.
std::string renderArcAuthenticationResults(std::uint32_t instance, std::string_view authserv_id,
                                           std::span<const std::string> resinfos,
                                           std::string_view line_end = "\r\n");

// The arc= resinfo (RFC 8617 section 10.1): the result, a comment with the
// reason or the sets and the newest sealer, header.oldest-pass when an
// older ARC-Message-Signature no longer validates, smtp.remote-ip if given.
std::string renderArcResinfo(const ArcResult& result, std::string_view remote_ip = {});

// One result as "dkim=pass (comment) header.d=... ...", unfolded.
std::string renderResinfo(const SignatureResult& result);

// The comment for one result, e.g. "2048-bit rsa-sha256 key; secure".
std::string describe(const SignatureResult& result);

// Fills signature_prefix for each result: the shortest prefix of b= of at
// least 8 characters that tells it apart from the others (RFC 6008 section 4).
void chooseSignaturePrefixes(std::span<SignatureResult> results,
                             std::span<const std::string> full_signatures);

}  // namespace signet
