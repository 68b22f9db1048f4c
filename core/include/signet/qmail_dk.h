// qmail-dk's verification model (qmail-dk(8), libdomainkeys' DK_STAT values)
// as a core type, so that an administrator's DKVERIFY letters keep their
// meaning under Signet, for DomainKeys and DKIM signatures alike.
//
// Statuses and their letters, in libdomainkeys' order:
//   A OK          B BADSIG      C NOSIG       D NOKEY       E BADKEY
//   F CANTVRFY    G SYNTAX      H NORESOURCE  I ARGS        J REVOKED
//   K INTERNAL
// A DKVERIFY value lists the statuses that reject the message: an uppercase
// letter rejects permanently, a lowercase one temporarily; a status whose
// letter is absent is accepted. When a letter is given in both cases the
// uppercase one wins, as in qmail-dk. The set qmail-dk(8) calls
// conservative is "DEGIJKfh".
//
// DKIM results map onto the same statuses (dkimStatus below), by verdict
// and by the result's Problem:
//   pass                                         A OK
//   bad_signature, body_hash (fail); expired     B BADSIG: the signature does
//     (x= past, t= ahead: permerror)               not vouch for the message
//   neutral (a failure under a t=y key), none;   C NOSIG: RFC 6376 section
//     policy (e.g. rsa-sha1 when strict)           3.6.1 and RFC 8301 treat
//                                                  these as unsigned
//   no_key (NXDOMAIN/NODATA)                     D NOKEY
//   bad_key (record malformed, k=/h=/s=/t=s      E BADKEY
//     mismatch, short RSA key)
//   dns_temporary (timeout, SERVFAIL, bogus,     F CANTVRFY
//     no resolver)
//   syntax (malformed or unsupported signature)  G SYNTAX
//   key_revoked (empty p=)                       J REVOKED
// The DomainKeys verifier gives its own statuses (domainkeys.h), I (ARGS)
// among them for a d= that is not the sender's domain. H (NORESOURCE) and
// K (INTERNAL) come from no verifier: they remain for an adapter's own
// resource and internal failures.
//
// For a whole message (decide below): no signature at all is C; any
// signature with status A makes the message A, as a later good signature
// does in Mail::DKIM and qmail-dkim; otherwise each signature's letter is
// looked up and a temporary reject wins over a permanent one (a retry may
// let the temporarily failing signature pass), which wins over accept.
//
// Errors: DKVERIFY holding anything but the letters A-K and a-k.
#pragma once

#include <array>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "signet/error.h"
#include "signet/verdict.h"

namespace signet {

enum class DkStatus { ok, badsig, nosig, nokey, badkey, cantvrfy, syntax, noresource, args, revoked, internal };

inline constexpr std::size_t kDkStatusCount = 11;

// 'A' for ok ... 'K' for internal (the uppercase letter).
char letterOf(DkStatus status);
// "DK_STAT_OK", "DK_STAT_BADSIG", ... as libdomainkeys names them.
std::string_view toString(DkStatus status);
// The DomainKey-Status header value qmail-dk writes for a status: good, bad,
// no signature, no key (also for CANTVRFY), bad key, bad format (SYNTAX,
// ARGS, INTERNAL), no resources, revoked. Signet does not pad it to twelve
// characters as qmail-dk did.
std::string_view domainKeyStatusText(DkStatus status);

// The qmail-dk status of one DKIM result (see the table above).
DkStatus dkimStatus(const SignatureResult& result);

enum class DkVerifyAction { accept, reject_temporary, reject_permanent };

std::string_view toString(DkVerifyAction action);

struct DkVerifyDecision {
  DkVerifyAction action = DkVerifyAction::accept;
  DkStatus status = DkStatus::nosig;  // the status that decided
};

class DkVerifyPolicy {
 public:
  // Parses a DKVERIFY value such as "DEGIJKfh"; the empty value accepts all.
  static std::expected<DkVerifyPolicy, ParseError> parse(std::string_view letters);

  DkVerifyAction actionFor(DkStatus status) const;
  // The decision for a message whose signatures (DomainKeys and DKIM) have
  // these statuses; an empty span means an unsigned message.
  DkVerifyDecision decide(std::span<const DkStatus> signature_statuses) const;

 private:
  std::array<DkVerifyAction, kDkStatusCount> actions_{};
};

}  // namespace signet
