// signet.conf(5), one key at a time: the parser for each key's value, data
// sets (inline lists and list files), and the table of key names. The line
// reader and the checks across keys are in config.cpp.
#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <utility>

#include "ascii.h"
#include "config.h"
#include "posix_regex.h"

namespace signet::milter {
namespace {

using ascii::isSpace;
using ascii::toLower;

// Where a value came from, for errors.
struct Where {
  std::string file;
  int line = 0;
  std::string key;  // as the configuration spells it

  std::unexpected<ConfigError> bad(const std::string& expected) const {
    return std::unexpected(ConfigError{file, line, key + ": " + expected});
  }
};

using Status = std::expected<void, ConfigError>;

std::optional<std::uint64_t> parseUnsigned(std::string_view text, std::uint64_t max, int base = 10) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::optional<bool> parseBool(std::string_view text) {
  const std::string v = toLower(text);
  if (v == "yes" || v == "y" || v == "true" || v == "t" || v == "on" || v == "1") return true;
  if (v == "no" || v == "n" || v == "false" || v == "f" || v == "off" || v == "0") return false;
  return std::nullopt;
}

std::optional<Action> parseAction(std::string_view text) {
  const std::string v = toLower(text);
  if (v == "accept" || v == "a") return Action::accept;
  if (v == "reject" || v == "r") return Action::reject;
  if (v == "tempfail" || v == "t") return Action::tempfail;
  if (v == "discard" || v == "d") return Action::discard;
  if (v == "quarantine" || v == "q") return Action::quarantine;
  return std::nullopt;
}

bool isDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A domain name, or with `allow_wildcard` a pattern such as "*.example.com".
bool validDomain(std::string_view d, bool allow_wildcard) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  if (d.find("..") != std::string_view::npos) return false;
  return std::all_of(d.begin(), d.end(),
                     [&](char c) { return isDomainChar(c) || c == '.' || (allow_wildcard && c == '*'); });
}

// Header field names (RFC 5322 section 3.6.8: printable ASCII except ':').
bool validFieldName(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > 32 && c < 127 && c != ':'; });
}

// Data sets (opendkim(8) "DATA SETS"): an inline list ("csl:" optional)
// separated by commas and/or white space, or a file named by "file:",
// "refile:" or an absolute path, one entry per line.
struct ListEntry {
  std::string text;
  std::string file;
  int line = 0;
};

std::expected<std::vector<ListEntry>, ConfigError> readList(std::string_view value, const Where& where) {
  static const char* const kUnsupported[] = {
      "db:", "dsn:", "ldap:", "ldaps:", "ldapi:", "lua:", "memcache:", "mdb:", "erlang:"};
  for (const char* prefix : kUnsupported)
    if (toLower(value).starts_with(prefix))
      return where.bad(std::string("data sets of type \"") + prefix +
                       "\" are not supported; use an inline list, file: or refile:");

  std::string path;
  if (value.starts_with("file:"))
    path = value.substr(5);
  else if (value.starts_with("refile:"))
    path = value.substr(7);
  else if (value.starts_with("/"))
    path = value;

  std::vector<ListEntry> entries;
  if (!path.empty() || value == "file:" || value == "refile:") {
    if (path.empty()) return where.bad("expected a file name after the data set type");
    auto lines = readTableFile(path);
    if (!lines) return std::unexpected(lines.error());
    for (const TableLine& l : *lines) {
      if (!l.value.empty())
        return std::unexpected(ConfigError{path, l.number, "expected one entry per line"});
      entries.push_back(ListEntry{l.key, path, l.number});
    }
    return entries;
  }
  if (value.starts_with("csl:")) value.remove_prefix(4);
  std::string token;
  auto flush = [&] {
    if (!token.empty()) entries.push_back(ListEntry{std::exchange(token, {}), where.file, where.line});
  };
  for (char c : value) {
    if (c == ',' || isSpace(c))
      flush();
    else
      token.push_back(c);
  }
  flush();
  if (entries.empty()) return where.bad("expected at least one entry");
  return entries;
}

ConfigError entryError(const ListEntry& e, const Where& where, const std::string& why) {
  return ConfigError{e.file, e.line, where.key + ": entry \"" + e.text + "\": " + why};
}

std::expected<std::vector<Network>, ConfigError> readNetworks(std::string_view value, const Where& where) {
  auto entries = readList(value, where);
  if (!entries) return std::unexpected(entries.error());
  std::vector<Network> out;
  for (const ListEntry& e : *entries) {
    auto network = parseNetwork(e.text);
    if (!network) return std::unexpected(entryError(e, where, network.error()));
    out.push_back(std::move(*network));
  }
  return out;
}

std::expected<std::vector<std::string>, ConfigError> readHeaderNames(std::string_view value,
                                                                     const Where& where) {
  auto entries = readList(value, where);
  if (!entries) return std::unexpected(entries.error());
  std::vector<std::string> out;
  if (entries->size() == 1 && entries->front().text == ".") return out;  // "." names no header (opendkim)
  for (const ListEntry& e : *entries) {
    if (e.text == "*" || e.text.starts_with("+") || e.text.starts_with("-"))
      return std::unexpected(
          entryError(e, where, "OpenDKIM's \"*,+name\" delta lists are not supported; list the names"));
    if (!validFieldName(e.text)) return std::unexpected(entryError(e, where, "expected a header field name"));
    out.push_back(e.text);
  }
  return out;
}

// "IP[@PORT]", brackets around the address allowed; stored as "IP" or "IP@PORT".
std::expected<std::string, std::string> parseNameserver(std::string_view entry) {
  std::string_view address = entry;
  std::string_view port;
  if (const auto at = entry.rfind('@'); at != std::string_view::npos) {
    address = entry.substr(0, at);
    port = entry.substr(at + 1);
    const auto number = parseUnsigned(port, 65535);
    if (!number || *number == 0) return std::unexpected("expected a port from 1 to 65535 after '@'");
  }
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  const auto network = parseNetwork(address);
  if (!network || network->family == 0 || address.find('/') != std::string_view::npos ||
      address.find('!') != std::string_view::npos)
    return std::unexpected("expected an IP address, optionally followed by @PORT");
  std::string out(address);
  if (!port.empty()) out += "@" + std::string(port);
  return out;
}

// "file:/path", "refile:/path" or "/path" for KeyTable / SigningTable.
Status checkTableSpec(std::string_view value, const Where& where, bool patterns_allowed) {
  std::string_view path = value;
  if (value.starts_with("file:"))
    path.remove_prefix(5);
  else if (value.starts_with("refile:")) {
    if (!patterns_allowed) return where.bad("\"refile:\" is read as \"file:\" here");
    path.remove_prefix(7);
  }
  if (path.empty() || path.front() != '/')
    return where.bad(
        "expected file:/path, refile:/path or an absolute path (other data set types are not supported)");
  return {};
}

using Setter = std::function<Status(MilterConfig&, std::string_view, const Where&)>;

Setter boolean(bool MilterConfig::*field, bool inverted = false) {
  return [=](MilterConfig& c, std::string_view v, const Where& w) -> Status {
    const auto b = parseBool(v);
    if (!b) return w.bad("expected yes or no (also true/false, on/off, 1/0)");
    c.*field = inverted ? !*b : *b;
    return {};
  };
}

Setter action(Action MilterConfig::*field) {
  return [=](MilterConfig& c, std::string_view v, const Where& w) -> Status {
    const auto a = parseAction(v);
    if (!a) return w.bad("expected accept, reject, tempfail, discard or quarantine (or a, r, t, d, q)");
    c.*field = *a;
    return {};
  };
}

Setter path(std::string MilterConfig::*field) {
  return [=](MilterConfig& c, std::string_view v, const Where&) -> Status {
    c.*field = std::string(v);
    return {};
  };
}

Setter stringList(std::vector<std::string> MilterConfig::*field) {
  return [=](MilterConfig& c, std::string_view v, const Where& w) -> Status {
    auto entries = readList(v, w);
    if (!entries) return std::unexpected(entries.error());
    (c.*field).clear();
    for (const ListEntry& e : *entries) (c.*field).push_back(e.text);
    return {};
  };
}

Setter headerNames(std::vector<std::string> MilterConfig::*field) {
  return [=](MilterConfig& c, std::string_view v, const Where& w) -> Status {
    auto names = readHeaderNames(v, w);
    if (!names) return std::unexpected(names.error());
    c.*field = std::move(*names);
    return {};
  };
}

Setter networks(std::vector<Network> MilterConfig::*field) {
  return [=](MilterConfig& c, std::string_view v, const Where& w) -> Status {
    auto list = readNetworks(v, w);
    if (!list) return std::unexpected(list.error());
    c.*field = std::move(*list);
    return {};
  };
}

Status setSocket(MilterConfig& c, std::string_view v, const Where& w) {
  if (auto spec = parseSocketSpec(v); !spec) return w.bad(spec.error());
  c.socket = std::string(v);
  return {};
}

Status setMode(MilterConfig& c, std::string_view v, const Where& w) {
  const std::string m = toLower(v);
  if (m.empty() || m.find_first_not_of("sv") != std::string::npos)
    return w.bad("expected s (sign), v (verify) or sv (both)");
  c.mode.clear();
  if (m.find('s') != std::string::npos) c.mode += 's';
  if (m.find('v') != std::string::npos) c.mode += 'v';
  return {};
}

Status setUser(MilterConfig& c, std::string_view v, const Where& w) {
  const auto colon = v.find(':');
  const bool bad_user = v.substr(0, colon).empty();
  const bool bad_group =
      colon != std::string_view::npos &&
      (v.substr(colon + 1).empty() || v.substr(colon + 1).find(':') != std::string_view::npos);
  if (bad_user || bad_group || std::any_of(v.begin(), v.end(), isSpace))
    return w.bad("expected user or user:group");
  c.user = std::string(v);
  return {};
}

Status setFacility(MilterConfig& c, std::string_view v, const Where& w) {
  static const std::set<std::string> kFacilities = {
      "auth", "authpriv", "cron",   "daemon", "ftp",    "kern",   "lpr",    "mail",   "news",   "syslog",
      "user", "uucp",     "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
  const std::string f = toLower(v);
  if (!kFacilities.contains(f))
    return w.bad("expected a syslog facility such as mail, daemon or local0 ... local7");
  c.syslog_facility = f;
  return {};
}

Status setUmask(MilterConfig& c, std::string_view v, const Where& w) {
  const auto mask = parseUnsigned(v, 0777, 8);
  if (!mask) return w.bad("expected an octal mask from 000 to 777, e.g. 007");
  c.umask = static_cast<unsigned>(*mask);
  return {};
}

Status setAuthservId(MilterConfig& c, std::string_view v, const Where& w) {
  if (std::any_of(v.begin(), v.end(),
                  [](char ch) { return isSpace(ch) || ch == ';' || ch == '(' || ch == ')' || ch == '"'; }))
    return w.bad("expected one word, normally this host's name (no white space, ';', '(' or '\"')");
  c.authserv_id = std::string(v);
  return {};
}

Status setDomains(MilterConfig& c, std::string_view v, const Where& w) {
  auto entries = readList(v, w);
  if (!entries) return std::unexpected(entries.error());
  c.domains.clear();
  for (const ListEntry& e : *entries) {
    if (!validDomain(e.text, true))
      return std::unexpected(entryError(e, w, "expected a domain name or a pattern such as *.example.com"));
    c.domains.push_back(toLower(e.text));
  }
  return {};
}

Status setSelector(MilterConfig& c, std::string_view v, const Where& w) {
  if (!validDomain(v, false))
    return w.bad("expected a selector: letters, digits, '-' and '_', labels separated by '.'");
  c.selector = std::string(v);
  return {};
}

Status setKeyTable(MilterConfig& c, std::string_view v, const Where& w) {
  if (auto ok = checkTableSpec(v, w, true); !ok) return ok;
  c.key_table = std::string(v);
  return {};
}

Status setSigningTable(MilterConfig& c, std::string_view v, const Where& w) {
  if (auto ok = checkTableSpec(v, w, true); !ok) return ok;
  c.signing_table = std::string(v);
  return {};
}

Status setAlgorithm(MilterConfig& c, std::string_view v, const Where& w) {
  const auto a = parseSigningAlgorithm(v);
  if (!a) return w.bad("expected rsa-sha256, ed25519-sha256 or rsa-sha1");
  c.signature_algorithm = *a;
  return {};
}

Status setCanonicalization(MilterConfig& c, std::string_view v, const Where& w) {
  const auto pair = parseCanonicalization(toLower(v));
  if (!pair) return w.bad("expected relaxed or simple, or header/body such as relaxed/simple");
  c.canonicalization = *pair;
  return {};
}

Status setSignatureTtl(MilterConfig& c, std::string_view v, const Where& w) {
  const auto ttl = parseUnsigned(v, 10ull * 365 * 24 * 3600);
  if (!ttl) return w.bad("expected a number of seconds (0: no x= tag)");
  c.signature_ttl = *ttl == 0 ? std::nullopt : std::optional<std::uint64_t>(*ttl);
  return {};
}

Status setKeyDirectory(MilterConfig& c, std::string_view v, const Where& w) {
  if (v.front() != '/') return w.bad("expected an absolute path");
  c.key_directory = std::string(v);
  return {};
}

Status setMaximumSignatures(MilterConfig& c, std::string_view v, const Where& w) {
  const auto n = parseUnsigned(v, 100);
  if (!n || *n == 0) return w.bad("expected a number from 1 to 100");
  c.maximum_signatures = static_cast<std::size_t>(*n);
  return {};
}

// A size limit: a whole number in [low, high].
Setter sizeLimit(std::size_t MilterConfig::*field, std::uint64_t low, std::uint64_t high) {
  return [=](MilterConfig& c, std::string_view v, const Where& w) -> Status {
    const auto n = parseUnsigned(v, high);
    if (!n || *n < low)
      return w.bad("expected a number from " + std::to_string(low) + " to " + std::to_string(high));
    c.*field = static_cast<std::size_t>(*n);
    return {};
  };
}

Status setMinimumKeyBits(MilterConfig& c, std::string_view v, const Where& w) {
  const auto n = parseUnsigned(v, 16384);
  // RFC 8301 section 3.2: keys under 1024 bits must not be accepted.
  if (!n || *n < 1024) return w.bad("expected a number of bits from 1024 (RFC 8301) to 16384");
  c.minimum_key_bits = static_cast<int>(*n);
  return {};
}

Status setMaximumKeyBits(MilterConfig& c, std::string_view v, const Where& w) {
  const auto n = parseUnsigned(v, 16384);
  if (!n || *n < 1024) return w.bad("expected a number of bits from 1024 to 16384");
  c.maximum_key_bits = static_cast<int>(*n);
  return {};
}

Status setDomainKeysCanonicalization(MilterConfig& c, std::string_view v, const Where& w) {
  const std::string canon = toLower(v);
  if (canon != "simple" && canon != "nofws") return w.bad("expected simple or nofws (RFC 4870)");
  c.domainkeys_canonicalization = canon;
  return {};
}

Status setDkverify(MilterConfig& c, std::string_view v, const Where& w) {
  const bool letters = std::all_of(
      v.begin(), v.end(), [](char ch) { return (ch >= 'A' && ch <= 'K') || (ch >= 'a' && ch <= 'k'); });
  if (!letters)
    return w.bad("expected qmail-dk letters A-K (upper case: permanent failure, lower case: temporary)");
  c.dkverify = std::string(v);
  return {};
}

Status setNameservers(MilterConfig& c, std::string_view v, const Where& w) {
  auto entries = readList(v, w);
  if (!entries) return std::unexpected(entries.error());
  c.nameservers.clear();
  for (const ListEntry& e : *entries) {
    auto server = parseNameserver(e.text);
    if (!server) return std::unexpected(entryError(e, w, server.error()));
    c.nameservers.push_back(std::move(*server));
  }
  return {};
}

Status setDnsTimeout(MilterConfig& c, std::string_view v, const Where& w) {
  const auto seconds = parseUnsigned(v, 3600);
  if (!seconds || *seconds == 0) return w.bad("expected a number of seconds from 1 to 3600");
  c.dns_timeout = std::chrono::seconds(*seconds);
  return {};
}

Status setMilterTimeout(MilterConfig& c, std::string_view v, const Where& w) {
  const auto seconds = parseUnsigned(v, 86400);
  if (!seconds || *seconds == 0) return w.bad("expected a number of seconds from 1 to 86400");
  c.milter_timeout = static_cast<int>(*seconds);
  return {};
}

// libmilter knows three sizes (smfi_setmaxdatasize(3), MILTER_MDS_*).
Status setMaximumPacketBytes(MilterConfig& c, std::string_view v, const Where& w) {
  const auto bytes = parseUnsigned(v, 1048575);
  if (!bytes || (*bytes != 65535 && *bytes != 262143 && *bytes != 1048575))
    return w.bad("expected 65535, 262143 or 1048575 (the sizes libmilter knows)");
  c.maximum_packet_bytes = *bytes;
  return {};
}

// --- ARC (RFC 8617) and openarc.conf(5)

Status setArcSeal(MilterConfig& c, std::string_view v, const Where& w) {
  const std::string s = toLower(v);
  if (s == "none" || s == "no") c.arc_seal = ArcSealing::none;
  else if (s == "outbound") c.arc_seal = ArcSealing::outbound;
  else if (s == "all") c.arc_seal = ArcSealing::all;
  else return w.bad("expected none, outbound (the mail signet-milter signs) or all");
  c.arc_report_none = c.arc_report_none || c.arc_seal != ArcSealing::none;
  return {};
}

Status setArcValidate(MilterConfig& c, std::string_view v, const Where& w) {
  const auto b = parseBool(v);
  if (!b) return w.bad("expected yes or no (also true/false, on/off, 1/0)");
  c.arc_validate = *b;
  c.arc_report_none = *b;
  return {};
}

Status setArcDomain(MilterConfig& c, std::string_view v, const Where& w) {
  if (!validDomain(v, false) || v.find('.') == std::string_view::npos)
    return w.bad("expected the sealing domain, such as example.org");
  c.arc_domain = toLower(v);
  return {};
}

Status setArcSelector(MilterConfig& c, std::string_view v, const Where& w) {
  if (!validDomain(v, false))
    return w.bad("expected a selector: letters, digits, '-' and '_', labels separated by '.'");
  c.arc_selector = std::string(v);
  return {};
}

Status setArcSealingTable(MilterConfig& c, std::string_view v, const Where& w) {
  if (auto ok = checkTableSpec(v, w, true); !ok) return ok;
  c.arc_sealing_table = std::string(v);
  return {};
}

Status setArcCanonicalization(MilterConfig& c, std::string_view v, const Where& w) {
  const auto pair = parseCanonicalization(toLower(v));
  if (!pair) return w.bad("expected relaxed or simple, or header/body such as relaxed/simple");
  c.arc_canonicalization = *pair;
  return {};
}

// openarc.conf(5) SignatureAlgorithm: the key's type decides between the
// two ARC allows; rsa-sha1 is refused (RFC 8617 section 4.1.3).
Status setArcAlgorithm(MilterConfig&, std::string_view v, const Where& w) {
  const auto a = parseSigningAlgorithm(v);
  if (!a || *a == SigningAlgorithm::rsa_sha1)
    return w.bad("expected rsa-sha256 or ed25519-sha256 (ARC does not allow rsa-sha1)");
  return {};
}

// openarc.conf(5) Mode: s seals, v validates; with neither, internal hosts
// seal and everyone else is validated. OpenARC does no DKIM, so neither does
// signet-milter with such a file.
Status setArcMode(MilterConfig& c, std::string_view v, const Where& w) {
  const std::string m = toLower(v);
  if (m.find_first_not_of("sv") != std::string::npos) return w.bad("expected s (seal), v (validate) or sv (both)");
  c.mode.clear();
  c.arc_seal = m.find('s') != std::string::npos ? ArcSealing::all : ArcSealing::none;
  c.arc_validate = m.find('v') != std::string::npos;
  c.arc_seal_by_internal = m.empty();
  c.arc_report_none = true;
  return {};
}

Status setSealHeaderChecks(MilterConfig& c, std::string_view v, const Where& w) {
  if (v.front() != '/') return w.bad("expected the absolute path of a file of name:regexp lines");
  auto lines = readTableFile(std::string(v));
  if (!lines) return std::unexpected(lines.error());
  c.seal_header_checks.clear();
  for (const TableLine& l : *lines) {
    const std::string entry = l.value.empty() ? l.key : l.key + " " + l.value;
    const auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || !validFieldName(entry.substr(0, colon)))
      return std::unexpected(ConfigError{std::string(v), l.number, "expected name:regexp"});
    std::string why;
    auto re = PosixRegex::compile(entry.substr(colon + 1), why);
    if (!re) return std::unexpected(ConfigError{std::string(v), l.number, "bad regular expression: " + why});
    c.seal_header_checks.emplace_back(entry.substr(0, colon), std::move(*re));
  }
  return {};
}

Status setMaximumHeaderBytesOpenArc(MilterConfig& c, std::string_view v, const Where& w) {
  const auto n = parseUnsigned(v, 64 * 1024 * 1024);
  if (!n || *n < 1024) return w.bad("expected a number of header bytes from 1024 to 67108864");
  c.maximum_header_bytes = static_cast<std::size_t>(*n);
  return {};
}

struct KeyParser {
  const char* name;
  Setter set;
};

// openarc.conf(5)'s keys whose meaning differs from opendkim.conf(5)'s:
// in a file read as OpenARC's, these parsers come first.
const std::vector<KeyParser>& openArcParsers() {
  using C = MilterConfig;
  static const std::vector<KeyParser> parsers = {
      {"Mode", setArcMode},
      {"Domain", setArcDomain},
      {"Selector", setArcSelector},
      {"KeyFile", path(&C::arc_key_file)},
      {"SignHeaders", headerNames(&C::arc_sign_headers)},
      {"OversignHeaders", headerNames(&C::arc_oversign_headers)},
      {"Canonicalization", setArcCanonicalization},
      {"SignatureAlgorithm", setArcAlgorithm},
      {"MaximumHeaders", setMaximumHeaderBytesOpenArc},
  };
  return parsers;
}

const std::vector<KeyParser>& keyParsers() {
  using C = MilterConfig;
  static const std::vector<KeyParser> parsers = {
      {"Socket", setSocket},
      {"Mode", setMode},
      {"UserID", setUser},
      {"PidFile", path(&C::pid_file)},
      {"Syslog", boolean(&C::syslog)},
      {"SyslogFacility", setFacility},
      {"UMask", setUmask},
      {"LogWhy", boolean(&C::log_why)},
      {"AuthservID", setAuthservId},
      {"Domain", setDomains},
      {"Selector", setSelector},
      {"KeyFile", path(&C::key_file)},
      {"KeyTable", setKeyTable},
      {"SigningTable", setSigningTable},
      {"MultipleSignatures", boolean(&C::multiple_signatures)},
      {"SignatureAlgorithm", setAlgorithm},
      {"Canonicalization", setCanonicalization},
      {"SignHeaders", headerNames(&C::sign_headers)},
      {"OversignHeaders", headerNames(&C::oversign_headers)},
      {"BodyLengths", boolean(&C::body_length)},
      {"SignatureTTL", setSignatureTtl},
      {"InternalHosts", networks(&C::internal_hosts)},
      {"ExternalIgnoreList", networks(&C::external_ignore)},
      {"MTA", stringList(&C::mta_names)},
      {"KeyDirectory", setKeyDirectory},
      {"RequireSafeKeys", boolean(&C::require_safe_keys)},
      {"MaximumSignaturesToVerify", setMaximumSignatures},
      {"MinimumKeyBits", setMinimumKeyBits},
      {"StrictSHA1", boolean(&C::strict_sha1)},
      {"On-BadSignature", action(&C::on_bad_signature)},
      {"On-NoSignature", action(&C::on_no_signature)},
      {"On-DNSError", action(&C::on_dns_error)},
      {"On-KeyNotFound", action(&C::on_key_not_found)},
      {"On-InternalError", action(&C::on_internal_error)},
      {"KeepAuthResults", boolean(&C::remove_old_results, true)},
      {"XAuthenticationResults", boolean(&C::x_authentication_results)},
      {"DomainKeysSign", boolean(&C::domainkeys_sign)},
      {"DomainKeysCanonicalization", setDomainKeysCanonicalization},
      {"DomainKeyStatus", boolean(&C::domainkey_status)},
      {"DKVERIFY", setDkverify},
      {"Nameservers", setNameservers},
      {"ResolverConfiguration", path(&C::resolver_configuration)},
      {"TrustAnchorFile", path(&C::trust_anchor_file)},
      {"DNSTimeout", setDnsTimeout},
      {"MaximumHeaders", sizeLimit(&C::maximum_headers, 10, 1000000)},
      {"MaximumHeaderBytes", sizeLimit(&C::maximum_header_bytes, 1024, 64 * 1024 * 1024)},
      {"MaximumTagListBytes", sizeLimit(&C::maximum_tag_list_bytes, 256, 1024 * 1024)},
      {"MaximumKeyRecordBytes", sizeLimit(&C::maximum_key_record_bytes, 256, 65535)},
      {"MaximumTags", sizeLimit(&C::maximum_tags, 16, 1024)},
      {"MaximumKeyBits", setMaximumKeyBits},
      {"MilterTimeout", setMilterTimeout},
      {"MaximumPacketBytes", setMaximumPacketBytes},
      {"ARCValidate", setArcValidate},
      {"ARCSeal", setArcSeal},
      {"ARCDomain", setArcDomain},
      {"ARCSelector", setArcSelector},
      {"ARCKeyFile", path(&C::arc_key_file)},
      {"ARCSealingTable", setArcSealingTable},
      {"ARCSignHeaders", headerNames(&C::arc_sign_headers)},
      {"ARCOversignHeaders", headerNames(&C::arc_oversign_headers)},
      {"ARCCanonicalization", setArcCanonicalization},
      {"On-ARCFail", action(&C::on_arc_fail)},
      {"FinalReceiver", boolean(&C::final_receiver)},
      {"PermitAuthenticationOverrides", boolean(&C::permit_authentication_overrides)},
      {"SealHeaderChecks", setSealHeaderChecks},
      {"PeerList", networks(&C::peer_list)},
      {"MinimumKeySizeRSA", setMinimumKeyBits},
  };
  return parsers;
}

// OpenDKIM keys Signet does not implement: named as such in the error, so an
// OpenDKIM user knows the line is understood and what to do about it.
bool isOpenDkimOnlyKey(std::string_view lower_key) {
  static const std::set<std::string, std::less<>> kKeys = {
      // clang-format off
      "adspaction", "allowsha1only", "alwaysaddarheader", "alwayssignheaders", "authservidwithjobid",
      "autorestart", "autorestartcount", "autorestartrate", "background", "basedirectory", "bodylengthdb",
      "boguskey", "captureunknownerrors", "changerootdirectory", "checksigningtable", "clockdrift",
      "diagnostics", "diagnosticdirectory", "disablecryptoinit", "dnsconnect", "domainkeyscompat",
      "dontsignmailto", "enablecoredumps", "exemptdomains", "finalpolicyscript", "fixcrlf",
      "identityheader", "identityheaderremove", "ignoremalformedmail", "include", "insecurekey",
      "keeptemporaryfiles", "localadsp", "logresults", "macrolist", "maximumheaders", "maximumsignedbytes",
      "milterdebug", "minimum", "mtacommand", "mustbesigned", "noheaderb", "omitheaders", "on-default",
      "on-policyerror", "on-security", "on-signatureerror", "quarantine", "querycache",
      "redirectfailuresto", "removearall", "removearfrom", "removeoldsignatures", "replaceheaders",
      "replacerules", "reportaddress", "reportbccaddress", "requestreports", "requiredheaders",
      "resignall", "resignmailto", "resolvertracing", "screenpolicyscript", "selectcanonicalizationheader",
      "senderheaders", "sendermacro", "sendreports", "setuppolicyscript", "smtpuri", "softstart",
      "softwareheader", "statistics", "statisticsname", "statisticsprefix", "stricttestmode",
      "strictheaders", "subdomains", "syslogname", "syslogsuccess", "temporarydirectory", "testdnsdata",
      "testpublickeys", "trustsignaturesfrom", "unprotectedkey", "weaksyntaxchecks", "x-header"
      // clang-format on
  };
  return kKeys.contains(lower_key);
}

const KeyParser* findParser(std::string_view key, bool openarc) {
  const std::string lower = toLower(key);
  if (openarc)
    for (const KeyParser& p : openArcParsers())
      if (toLower(p.name) == lower) return &p;
  for (const KeyParser& p : keyParsers())
    if (toLower(p.name) == lower) return &p;
  return nullptr;
}

}  // namespace

namespace detail {

std::expected<std::string_view, ConfigError> setKey(MilterConfig& config, std::string_view key,
                                                    std::string_view value, const std::string& file,
                                                    int line) {
  const KeyParser* parser = findParser(key, config.openarc_dialect);
  if (parser == nullptr) {
    const std::string why =
        isOpenDkimOnlyKey(toLower(key))
            ? "OpenDKIM's \"" + std::string(key) + "\" is not supported by Signet; remove the line"
            : "unknown key \"" + std::string(key) + "\"";
    return std::unexpected(ConfigError{file, line, why});
  }
  if (value.empty())
    return std::unexpected(ConfigError{file, line, std::string(parser->name) + ": needs a value"});
  if (auto ok = parser->set(config, value, Where{file, line, parser->name}); !ok)
    return std::unexpected(ok.error());
  return std::string_view(parser->name);
}

bool isOpenArcOnlyKey(std::string_view key) {
  const std::string lower = toLower(key);
  return lower == "finalreceiver" || lower == "sealheaderchecks" || lower == "permitauthenticationoverrides" ||
         lower == "minimumkeysizersa";
}

}  // namespace detail
}  // namespace signet::milter
