// signet-milter's configuration (signet.conf(5)): one "Key value" per line,
// '#' comments, key names as in opendkim.conf(5) where the meaning is the
// same, plus Signet's own. Parsing never throws: an unknown key, a bad value
// or a missing required value is a ConfigError naming the file and line.
//
// Syntax (as opendkim.conf(5)): key names are case-insensitive; the value is
// the rest of the line after the white space that follows the key, trailing
// white space trimmed; a '#' anywhere starts a comment. Booleans take
// yes/no, true/false, on/off, 1/0, y/n, t/f (any case). Lists ("data sets")
// are separated by commas and/or white space, or name a file with "file:",
// "refile:" or an absolute path (one entry per line, '#' comments). When a
// key appears twice the later line wins, as in OpenDKIM (a distribution's
// file can be overridden by appending). Checks that involve several keys run
// at the end and report line 0.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "signet/canonicalization.h"
#include "posix_regex.h"
#include "socket_spec.h"
#include "signet/signature.h"

struct sockaddr;

namespace signet::milter {

enum class Action { accept, reject, tempfail, discard, quarantine };
std::string_view toString(Action a);

// Which mail signet-milter seals with an ARC set (ARCSeal).
enum class ArcSealing { none, outbound, all };

struct ConfigError {
  std::string file;
  int line = 0;  // 0 when not tied to a line
  std::string message;
  std::string text() const;  // "file:line: message"
};

// An address with a prefix length, for InternalHosts / ExternalIgnoreList.
struct Network {
  std::string text;            // as written, for logs
  int family = 0;              // AF_INET or AF_INET6; 0 for a host name entry
  unsigned char address[16]{};
  int prefix = 0;
  std::string hostname;        // when the entry is a name, matched against the client's name
  bool negated = false;        // "!192.0.2.1"
};

struct MilterConfig {
  std::string source;  // the file it came from

  // Daemon
  std::string socket = "inet:8891@127.0.0.1";   // Socket
  std::string mode = "sv";                      // Mode: s, v or sv
  std::string user;                             // UserID: user[:group]
  std::string pid_file;                         // PidFile
  bool syslog = true;                           // Syslog
  std::string syslog_facility = "mail";         // SyslogFacility
  unsigned umask = 0007;                        // UMask (socket file mode = 0777 & ~umask)
  bool log_why = false;                         // LogWhy: more detail in the log
  std::string authserv_id;                      // AuthservID; empty: the host name

  // Signing
  std::vector<std::string> domains;             // Domain (comma/space separated; or "refile:" / "file:")
  std::string selector;                         // Selector
  std::string key_file;                         // KeyFile; '%' = the From domain
  std::string key_table;                        // KeyTable: "file:/path" or a plain path
  std::string signing_table;                    // SigningTable: "refile:/path" or "file:/path"
  bool multiple_signatures = false;             // MultipleSignatures
  SigningAlgorithm signature_algorithm = SigningAlgorithm::rsa_sha256;  // SignatureAlgorithm
  CanonicalizationPair canonicalization{Canonicalization::relaxed, Canonicalization::relaxed};
  std::vector<std::string> sign_headers;        // SignHeaders; empty: the default list
  std::vector<std::string> oversign_headers{"From"};  // OversignHeaders
  bool body_length = false;                     // BodyLengths (Signet: l= on every signature)
  std::optional<std::uint64_t> signature_ttl;   // SignatureTTL: x= after this many seconds
  std::vector<Network> internal_hosts;          // InternalHosts; default 127.0.0.1, ::1
  std::vector<Network> external_ignore;         // ExternalIgnoreList
  std::vector<std::string> mta_names;           // MTA: {daemon_name} values that sign
  std::string key_directory;                    // KeyDirectory (Signet): where DKSIGN paths may point
  bool require_safe_keys = true;                // RequireSafeKeys

  // Verifying
  std::size_t maximum_signatures = 5;           // MaximumSignaturesToVerify
  int minimum_key_bits = 1024;                  // MinimumKeyBits
  bool strict_sha1 = false;                     // StrictSHA1 (Signet): rsa-sha1 → permerror
  Action on_bad_signature = Action::accept;     // On-BadSignature
  Action on_no_signature = Action::accept;      // On-NoSignature
  Action on_dns_error = Action::tempfail;       // On-DNSError
  Action on_key_not_found = Action::accept;     // On-KeyNotFound
  Action on_internal_error = Action::tempfail;  // On-InternalError
  bool remove_old_results = true;               // KeepAuthResults, inverted: drop A-R claiming our AuthservID
  bool x_authentication_results = false;        // XAuthenticationResults (Signet): also add s/qmail's X-A-R

  // DomainKeys and qmail-dk (Signet's own)
  bool domainkeys_sign = false;                 // DomainKeysSign
  std::string domainkeys_canonicalization = "nofws";  // DomainKeysCanonicalization
  bool domainkey_status = true;                 // DomainKeyStatus: add DomainKey-Status when verifying DK
  std::string dkverify;                         // DKVERIFY: qmail-dk letter policy; empty: none

  // Limits on what a stranger's message and DNS data may make us hold
  // (Signet's own keys; docs/limits.md)
  std::size_t maximum_headers = 1000;               // MaximumHeaders: fields in one message
  std::size_t maximum_header_bytes = 1024 * 1024;   // MaximumHeaderBytes: the whole header section
  std::size_t maximum_tag_list_bytes = 65536;       // MaximumTagListBytes: a signature or key record
  std::size_t maximum_key_record_bytes = 8192;      // MaximumKeyRecordBytes: one TXT record, joined
  std::size_t maximum_tags = 64;                    // MaximumTags: tags in one tag list
  int maximum_key_bits = 8192;                      // MaximumKeyBits: larger RSA keys are permerror

  // libmilter's own limits on the MTA connection (at start-up only)
  int milter_timeout = 7210;                        // MilterTimeout: seconds for the rest of a packet
  std::size_t maximum_packet_bytes = 65535;         // MaximumPacketBytes: one packet from the MTA

  // ARC (RFC 8617; Signet's keys, and openarc.conf(5)'s read with OpenARC's
  // meaning: see signet.conf(5) "ARC")
  bool openarc_dialect = false;                 // the file is an openarc.conf: Mode, Domain, ... mean ARC
  bool arc_validate = true;                     // ARCValidate: validate chains on verified mail
  bool arc_report_none = false;                 // write arc=none too (ARC configured explicitly)
  ArcSealing arc_seal = ArcSealing::none;       // ARCSeal: none, outbound (mail we sign), all
  bool arc_seal_by_internal = false;            // openarc.conf without s/v in Mode: internal hosts seal
  std::string arc_domain;                       // ARCDomain (openarc.conf: Domain)
  std::string arc_selector;                     // ARCSelector (openarc.conf: Selector)
  std::string arc_key_file;                     // ARCKeyFile (openarc.conf: KeyFile)
  std::string arc_sealing_table;                // ARCSealingTable: address patterns -> KeyTable entries
  std::vector<std::string> arc_sign_headers;    // ARCSignHeaders (openarc.conf: SignHeaders)
  std::vector<std::string> arc_oversign_headers;  // ARCOversignHeaders (openarc.conf: OversignHeaders)
  CanonicalizationPair arc_canonicalization{Canonicalization::relaxed, Canonicalization::relaxed};
  Action on_arc_fail = Action::accept;          // On-ARCFail
  bool final_receiver = false;                  // FinalReceiver: validate and report, never seal
  bool permit_authentication_overrides = false; // PermitAuthenticationOverrides
  std::vector<std::pair<std::string, PosixRegex>> seal_header_checks;  // SealHeaderChecks: name, expression
  std::vector<Network> peer_list;               // PeerList: clients whose mail is left alone

  // DNS
  std::vector<std::string> nameservers;         // Nameservers: IP[@PORT], comma separated
  std::string resolver_configuration;           // ResolverConfiguration
  std::string trust_anchor_file;                // TrustAnchorFile
  std::chrono::milliseconds dns_timeout{5000};  // DNSTimeout (seconds in the file)

  // Things worth a log line that are not errors (e.g. Domain ignored because
  // KeyTable is set), each "file:line: text".
  std::vector<std::string> warnings;
};

// Parses configuration text; `file` names it in errors.
std::expected<MilterConfig, ConfigError> parseConfig(std::string_view text, const std::string& file);
// Reads and parses a file.
std::expected<MilterConfig, ConfigError> loadConfig(const std::string& path);

// Whether a client is in an InternalHosts / ExternalIgnoreList set, as
// OpenDKIM's peer lists decide (opendkim.conf(5), PeerList): host names
// first ("mail.example.com" exactly, ".example.com" for any name below it,
// '*' patterns in file order), then the address, most specific prefix
// first; at each step a "!" entry beats a plain one. Unlike OpenDKIM, a "!"
// host-name match is final (the address is not tried after it). IPv4-mapped
// IPv6 addresses ("::ffff:192.0.2.1") match IPv4 entries. `client` may be
// null (no address); `hostname` may be empty or "[192.0.2.1]" (no name).
bool matches(const std::vector<Network>& list, const sockaddr* client, std::string_view hostname);

// Parses one peer-list entry ("192.0.2.0/24", "!2001:db8::/32", "[::1]",
// ".example.com", "mail.example.com", "*.example.com"); the error says what
// was expected.
std::expected<Network, std::string> parseNetwork(std::string_view entry);

// A milter socket ("inet:PORT@HOST", "local:/path", ...): shared with the
// milter client, see socket_spec.h.
using milter_client::SocketSpec;
using milter_client::parseSocketSpec;

// A line of a table or list file (opendkim(8) "file:"/"refile:" data sets):
// '#' to the end of the line removed, blank lines skipped, `key` is the text
// up to the first white space and `value` the rest, trimmed.
struct TableLine {
  int number = 0;
  std::string key;
  std::string value;
};
// Reads a table file; errors name the file.
std::expected<std::vector<TableLine>, ConfigError> readTableFile(const std::string& path);

// '*' matches any run of characters (none included); the rest matches
// itself, ASCII case-insensitively.
bool wildcardMatch(std::string_view pattern, std::string_view text);

namespace detail {
// Parses one "key value" line into `config` (config_keys.cpp, for
// parseConfig); returns the key's canonical name. Errors name file and line.
std::expected<std::string_view, ConfigError> setKey(MilterConfig& config, std::string_view key,
                                                    std::string_view value, const std::string& file,
                                                    int line);
// Whether a key is one only openarc.conf(5) has, which makes a file read as
// OpenARC's.
bool isOpenArcOnlyKey(std::string_view key);
}  // namespace detail

}  // namespace signet::milter
