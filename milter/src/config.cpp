// signet.conf(5): the line reader and the checks that involve several
// keys. Each key's value is parsed in config_keys.cpp; lists, peer matching
// and socket specs are in config_lists.cpp. Syntax and key meanings follow
// opendkim.conf(5); see config.h.
#include "ascii.h"
#include "config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace signet::milter {
namespace {

using ascii::isSpace;
using ascii::trim;

// A configuration file larger than this is refused.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

using Status = std::expected<void, ConfigError>;

bool hasPercent(const std::string& s) {
  return s.find('%') != std::string::npos;
}

// Checks that involve several keys; adds defaults that depend on what was set.
Status finish(MilterConfig& c, const std::set<std::string>& seen) {
  auto error = [&](const std::string& message) { return std::unexpected(ConfigError{c.source, 0, message}); };
  auto warn = [&](const std::string& message) { c.warnings.push_back(c.source + ": " + message); };

  if (!seen.contains("InternalHosts")) {
    c.internal_hosts.clear();
    for (const char* address : {"127.0.0.1", "::1"}) c.internal_hosts.push_back(*parseNetwork(address));
  }
  const bool table = !c.key_table.empty() || !c.signing_table.empty();
  if (!c.key_table.empty() && c.signing_table.empty())
    return error(
        "KeyTable is set but SigningTable is not: the SigningTable says which key signs which sender");
  if (c.key_table.empty() && !c.signing_table.empty())
    return error("SigningTable is set but KeyTable is not: the KeyTable holds the keys it names");
  if (table) {
    for (const char* key : {"Domain", "Selector", "KeyFile"})
      if (seen.contains(key)) warn(std::string(key) + " is ignored because KeyTable is set");
  } else {
    if (!c.selector.empty() && c.key_file.empty()) return error("Selector is set but KeyFile is not");
    if (!c.domains.empty() && c.key_file.empty())
      return error("Domain is set but KeyFile is not: name the key that signs for these domains");
    if (!c.key_file.empty() && c.domains.empty() && !hasPercent(c.key_file))
      return error("KeyFile is set but Domain is not: list the domains it signs for (or use '%' in KeyFile)");
  }
  const bool no_keys = !table && c.key_file.empty() && c.key_directory.empty();
  if (c.mode.find('s') != std::string::npos && no_keys) {
    if (seen.contains("Mode"))
      return error(
          "Mode includes s (sign) but no key is configured: set KeyTable and SigningTable, "
          "or Domain, Selector and KeyFile, or KeyDirectory for DKSIGN key paths");
    warn("no signing key is configured: signet-milter only verifies");
  }
  if (c.domainkeys_sign && c.signature_algorithm == SigningAlgorithm::ed25519_sha256 && !table)
    return error("DomainKeysSign needs an RSA key, but SignatureAlgorithm is ed25519-sha256");
  const bool seals = (c.arc_seal != ArcSealing::none || c.arc_seal_by_internal) && !c.final_receiver;
  const std::string d = c.openarc_dialect ? "Domain" : "ARCDomain";
  const std::string s = c.openarc_dialect ? "Selector" : "ARCSelector";
  const std::string k = c.openarc_dialect ? "KeyFile" : "ARCKeyFile";
  if (!c.arc_key_file.empty() && (c.arc_domain.empty() || c.arc_selector.empty()))
    return error(k + " is set but " + (c.arc_domain.empty() ? d : s) + " is not: the seal needs d= and s=");
  if (c.arc_key_file.empty() && (!c.arc_domain.empty() || !c.arc_selector.empty()))
    return error((c.arc_domain.empty() ? s : d) + " is set but " + k + " is not: name the sealing key");
  if (!c.arc_sealing_table.empty() && c.key_table.empty())
    return error("ARCSealingTable names KeyTable entries, but KeyTable is not set");
  if (seals && c.arc_key_file.empty() && c.arc_sealing_table.empty()) {
    if (c.openarc_dialect)
      return error("Mode includes s (seal) but no sealing key is configured: set Domain, Selector and KeyFile");
    if (no_keys)
      return error("ARCSeal is set but no key can seal: set ARCDomain, ARCSelector and ARCKeyFile, "
                   "or ARCSealingTable with KeyTable, or the DKIM signing keys");
  }
  if (c.maximum_key_bits < c.minimum_key_bits)
    return error("MaximumKeyBits (" + std::to_string(c.maximum_key_bits) + ") is below MinimumKeyBits (" +
                 std::to_string(c.minimum_key_bits) + ")");
  return {};
}

}  // namespace

std::string_view toString(Action a) {
  switch (a) {
    case Action::accept:
      return "accept";
    case Action::reject:
      return "reject";
    case Action::tempfail:
      return "tempfail";
    case Action::discard:
      return "discard";
    case Action::quarantine:
      return "quarantine";
  }
  return "accept";
}

std::string ConfigError::text() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  return out + ": " + message;
}

namespace {

// Whether a file is OpenARC's: named openarc*, or holding a key only
// openarc.conf(5) has. Then Mode, Domain, Selector, KeyFile, SignHeaders,
// OversignHeaders, Canonicalization and MaximumHeaders keep OpenARC's meaning.
bool readsAsOpenArc(std::string_view text, const std::string& file) {
  const std::string base = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
  if (ascii::toLower(base).starts_with("openarc")) return true;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    std::size_t split = 0;
    while (split < line.size() && !isSpace(line[split])) ++split;
    if (detail::isOpenArcOnlyKey(line.substr(0, split))) return true;
  }
  return false;
}

}  // namespace

std::expected<MilterConfig, ConfigError> parseConfig(std::string_view text, const std::string& file) {
  MilterConfig config;
  config.source = file;
  if (readsAsOpenArc(text, file)) {
    // OpenARC seals and validates by default (Mode sv) and does no DKIM.
    config.openarc_dialect = true;
    config.mode.clear();
    config.arc_seal = ArcSealing::all;
    config.arc_report_none = true;
    config.arc_canonicalization = {Canonicalization::relaxed, Canonicalization::simple};
    config.oversign_headers.clear();
    config.warnings.push_back(file + ": read as an openarc.conf(5): Mode, Domain, Selector and KeyFile are ARC's");
  }
  std::set<std::string> seen;  // canonical key names
  std::map<std::string, int> first_line;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;

    std::size_t split = 0;
    while (split < line.size() && !isSpace(line[split])) ++split;
    const std::string_view key = line.substr(0, split);
    const std::string_view value = trim(line.substr(split));
    auto name = detail::setKey(config, key, value, file, number);
    if (!name) return std::unexpected(name.error());
    if (const auto [it, inserted] = first_line.emplace(*name, number); !inserted) {
      config.warnings.push_back(file + ":" + std::to_string(number) + ": " + std::string(*name) +
                                " overrides line " + std::to_string(it->second));
      it->second = number;
    }
    seen.emplace(*name);
  }
  if (auto ok = finish(config, seen); !ok) return std::unexpected(ok.error());
  return config;
}

std::expected<MilterConfig, ConfigError> loadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(ConfigError{path, 0, std::string("cannot read: ") + std::strerror(errno)});
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (buffer.str().size() > kMaxConfigBytes)
    return std::unexpected(ConfigError{path, 0, "larger than " + std::to_string(kMaxConfigBytes) + " bytes"});
  return parseConfig(buffer.str(), path);
}

}  // namespace signet::milter
