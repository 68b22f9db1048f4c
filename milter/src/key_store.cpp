// KeyStore: the KeyTable and SigningTable (opendkim.conf(5)), the single
// Domain/Selector/KeyFile key, and DKSIGN-style paths confined to
// KeyDirectory. Key files are read by key_store_files.cpp.
#include "key_store.h"

#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

#include "ascii.h"
#include "signet/base64.h"

namespace signet::milter {
namespace {

using ascii::isSpace;
using ascii::toLower;

// '%' key files (per From domain) and DKSIGN paths kept loaded at most.
constexpr std::size_t kMaxCachedKeys = 10000;

bool isLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Labels of letters, digits, '-' and '_' separated by single dots: safe to
// put into a file name, and what d= and s= allow.
bool validDomainName(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.' ||
      d.find("..") != std::string_view::npos)
    return false;
  return std::all_of(d.begin(), d.end(), [](char c) { return isLabelChar(c) || c == '.'; });
}

bool validSelector(std::string_view s) {
  return validDomainName(s);
}

std::string replacePercent(std::string_view text, std::string_view domain) {
  std::string out;
  for (char c : text) {
    if (c == '%')
      out.append(domain);
    else
      out.push_back(c);
  }
  return out;
}

// What the KeyTable says about one key name.
struct KeyTableEntry {
  std::string name;
  std::string domain;  // "%": the From domain
  std::string selector;
  std::string path;                       // empty for a key written in the table itself
  std::shared_ptr<const PrivateKey> key;  // null while the path holds '%'
};

struct KeyRef {
  std::string name;
  std::string identity;  // the signer field; '%' is the From domain
};

struct SigningRule {
  std::string pattern;  // lower case
  std::vector<KeyRef> keys;
};

struct Sender {
  std::string local;   // as written
  std::string domain;  // lower case
  std::string address() const { return local + "@" + domain; }
};

Sender splitAddress(std::string_view address) {
  while (!address.empty() && isSpace(address.front())) address.remove_prefix(1);
  while (!address.empty() && isSpace(address.back())) address.remove_suffix(1);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return Sender{"", toLower(address)};
  std::string domain = toLower(address.substr(at + 1));
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  return Sender{std::string(address.substr(0, at)), domain};
}

// The lookups a "file:" SigningTable gets, in order (opendkim.conf(5)):
// user@host, host, user@.parent for each parent, .parent, user@*, *.
std::vector<std::string> exactCandidates(const Sender& s) {
  std::vector<std::string> out;
  const std::string local = toLower(s.local);
  if (!local.empty()) out.push_back(local + "@" + s.domain);
  out.push_back(s.domain);
  std::vector<std::string> parents;
  for (auto dot = s.domain.find('.'); dot != std::string::npos; dot = s.domain.find('.', dot + 1))
    parents.push_back(s.domain.substr(dot));
  if (!local.empty())
    for (const auto& p : parents) out.push_back(local + "@" + p);
  for (const auto& p : parents) out.push_back(p);
  if (!local.empty()) out.push_back(local + "@*");
  out.push_back("*");
  return out;
}

// "/path/sel.private" → "sel": the base name, less a key file extension.
std::string selectorFromPath(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  for (std::string_view ext : {".private", ".pem", ".key"})
    if (base.size() > ext.size() && base.ends_with(ext)) base.remove_suffix(ext.size());
  return std::string(base);
}

bool isKeyPath(std::string_view source) {
  return source.starts_with("/") || source.starts_with("./") || source.starts_with("../");
}

std::string tablePath(const std::string& spec) {
  if (spec.starts_with("file:")) return spec.substr(5);
  if (spec.starts_with("refile:")) return spec.substr(7);
  return spec;
}

// A key written into the KeyTable itself: base64 DER, PKCS#8 or PKCS#1.
Result<std::shared_ptr<const PrivateKey>> parseInlineKey(std::string_view text) {
  auto der = parseBase64(text);
  if (!der)
    return failure("neither a key file path (starting with /, ./ or ../) nor a base64 DER private key");
  const std::string b64 = encodeBase64(*der);
  std::string folded;
  for (std::size_t i = 0; i < b64.size(); i += 64) folded += b64.substr(i, 64) + "\n";
  for (const char* label : {"PRIVATE KEY", "RSA PRIVATE KEY"}) {
    auto key = PrivateKey::parsePem(std::string("-----BEGIN ") + label + "-----\n" + folded + "-----END " +
                                    label + "-----\n");
    if (key) return key;
  }
  return failure("the base64 key data is not a PKCS#8 or PKCS#1 private key");
}

// The KeyTable: "name domain:selector:keydata" per line, keydata a path
// (starting with /, ./ or ../; '%' is the From domain) or base64 DER.
std::expected<std::map<std::string, KeyTableEntry>, ConfigError> loadKeyTable(
    const std::string& path, bool require_safe, std::optional<uid_t> service_uid) {
  auto lines = readTableFile(path);
  if (!lines) return std::unexpected(lines.error());
  std::map<std::string, KeyTableEntry> table;
  for (const TableLine& line : *lines) {
    auto bad = [&](const std::string& why) { return std::unexpected(ConfigError{path, line.number, why}); };
    const auto first = line.value.find(':');
    const auto second = first == std::string::npos ? first : line.value.find(':', first + 1);
    if (second == std::string::npos) return bad("expected \"keyname domain:selector:/path/to/key\"");
    KeyTableEntry entry;
    entry.name = line.key;
    entry.domain = toLower(line.value.substr(0, first));
    entry.selector = line.value.substr(first + 1, second - first - 1);
    const std::string source = line.value.substr(second + 1);
    if (entry.domain != "%" && !validDomainName(entry.domain))
      return bad("expected a domain name (or %) before the first ':'");
    if (!validSelector(entry.selector)) return bad("expected a selector between the first and second ':'");
    if (source.empty()) return bad("expected a key file path after the second ':'");
    if (isKeyPath(source)) {
      entry.path = source;
      if (source.find('%') == std::string::npos) {
        auto key = readKeyFile(source, require_safe, false, service_uid);
        if (!key) return bad(key.error().message);
        entry.key = *key;
      }
    } else {
      auto key = parseInlineKey(source);
      if (!key) return bad(key.error().message);
      entry.key = *key;
    }
    if (table.contains(entry.name)) return bad("key name \"" + entry.name + "\" is already defined");
    table.emplace(entry.name, std::move(entry));
  }
  return table;
}

// The SigningTable: "pattern keyname[:signer][,keyname...]" per line.
std::expected<std::vector<SigningRule>, ConfigError> loadSigningTable(
    const std::string& path, const std::map<std::string, KeyTableEntry>& table, bool multiple) {
  auto lines = readTableFile(path);
  if (!lines) return std::unexpected(lines.error());
  std::vector<SigningRule> rules;
  for (const TableLine& line : *lines) {
    auto bad = [&](const std::string& why) { return std::unexpected(ConfigError{path, line.number, why}); };
    SigningRule rule;
    rule.pattern = toLower(line.key);
    std::string token;
    std::vector<std::string> tokens;
    for (char c : line.value + ",") {
      if (c == ',' || isSpace(c)) {
        if (!token.empty()) tokens.push_back(std::exchange(token, {}));
      } else {
        token.push_back(c);
      }
    }
    if (tokens.empty()) return bad("expected a KeyTable key name after the pattern");
    if (tokens.size() > 1 && !multiple)
      return bad("names several keys, but MultipleSignatures is off; set \"MultipleSignatures yes\"");
    for (const std::string& t : tokens) {
      const auto colon = t.find(':');
      KeyRef ref{t.substr(0, colon), colon == std::string::npos ? std::string() : t.substr(colon + 1)};
      if (!table.contains(ref.name))
        return bad("names key \"" + ref.name + "\", which the KeyTable does not define");
      rule.keys.push_back(std::move(ref));
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace

struct KeyStore::Impl {
  bool multiple = false;
  bool require_safe = true;
  std::optional<uid_t> service_uid;  // the UserID user, who may own key files
  bool has_table = false;
  bool patterns = false;  // refile: SigningTable
  std::map<std::string, KeyTableEntry> table;
  std::vector<SigningRule> rules;                       // file order
  std::multimap<std::string, std::size_t> exact_index;  // pattern → rules index, for a file: SigningTable

  std::vector<std::string> domains;  // single-key mode
  std::string key_file;
  std::string selector;
  std::shared_ptr<const PrivateKey> single_key;  // KeyFile without '%'

  std::string key_directory;       // as configured
  std::string key_directory_real;  // realpath

  std::mutex mutex;                                                  // guards the caches below
  std::map<std::string, std::shared_ptr<const PrivateKey>> by_path;  // '%' key files
  std::map<std::string, std::pair<std::string, std::shared_ptr<const PrivateKey>>>
      by_dksign;  // path → real path, key

  std::expected<std::shared_ptr<const PrivateKey>, KeyFileError> cachedKey(const std::string& path);
  std::expected<std::shared_ptr<const SigningKey>, std::string> fromTable(const KeyRef& ref, const Sender& s);
  std::expected<std::shared_ptr<const SigningKey>, std::string> fromKeyFile(const Sender& s);
  std::vector<const KeyRef*> matchingRefs(const Sender& s) const;
};

std::expected<std::shared_ptr<const PrivateKey>, KeyFileError> KeyStore::Impl::cachedKey(
    const std::string& path) {
  std::lock_guard lock(mutex);
  if (auto it = by_path.find(path); it != by_path.end()) return it->second;
  auto key = readKeyFile(path, require_safe, false, service_uid);
  if (key && by_path.size() < kMaxCachedKeys) by_path.emplace(path, *key);
  return key;
}

std::vector<const KeyRef*> KeyStore::Impl::matchingRefs(const Sender& s) const {
  std::vector<const KeyRef*> out;
  auto take = [&](const SigningRule& rule) {
    for (const KeyRef& ref : rule.keys) out.push_back(&ref);
  };
  if (patterns) {
    const std::string address = s.address();
    for (const SigningRule& rule : rules)
      if (wildcardMatch(rule.pattern, address)) take(rule);
  } else {
    for (const std::string& candidate : exactCandidates(s)) {
      const auto [first, last] = exact_index.equal_range(candidate);
      for (auto it = first; it != last; ++it) take(rules[it->second]);
    }
  }
  return out;
}

std::expected<std::shared_ptr<const SigningKey>, std::string> KeyStore::Impl::fromTable(const KeyRef& ref,
                                                                                        const Sender& s) {
  const KeyTableEntry& entry = table.at(ref.name);
  const bool per_domain = entry.domain == "%" || !entry.key || ref.identity.find('%') != std::string::npos;
  if (per_domain && !validDomainName(s.domain))
    return std::unexpected("the From domain is not a valid domain name");
  auto signing = std::make_shared<SigningKey>();
  signing->name = entry.name;
  signing->domain = entry.domain == "%" ? s.domain : entry.domain;
  signing->selector = entry.selector;
  signing->identity = replacePercent(ref.identity, s.domain);
  signing->path = replacePercent(entry.path, s.domain);
  signing->key = entry.key;
  if (!signing->key) {
    auto key = cachedKey(signing->path);
    if (!key) {
      if (key.error().missing) return nullptr;
      return std::unexpected(key.error().message);
    }
    signing->key = *key;
  }
  return signing;
}

std::expected<std::shared_ptr<const SigningKey>, std::string> KeyStore::Impl::fromKeyFile(const Sender& s) {
  const bool listed =
      domains.empty() || std::any_of(domains.begin(), domains.end(), [&](const std::string& d) {
        return d == s.domain || wildcardMatch(d, s.domain);
      });
  if (!listed || !validDomainName(s.domain)) return nullptr;
  auto signing = std::make_shared<SigningKey>();
  signing->name = key_file;
  signing->domain = s.domain;
  signing->path = replacePercent(key_file, s.domain);
  signing->selector = selector.empty() ? selectorFromPath(signing->path) : selector;
  signing->key = single_key;
  if (!signing->key) {
    auto key = cachedKey(signing->path);
    if (!key) {
      if (key.error().missing) return nullptr;
      return std::unexpected(key.error().message);
    }
    signing->key = *key;
  }
  if (!validSelector(signing->selector))
    return std::unexpected("the key file name " + signing->path +
                           " does not make a valid selector; set Selector");
  return signing;
}

std::optional<uid_t> serviceOwner(const MilterConfig& config) {
  if (config.user.empty()) return std::nullopt;
  const std::string user = config.user.substr(0, config.user.find(':'));
  if (const passwd* pw = getpwnam(user.c_str())) return pw->pw_uid;
  return std::nullopt;
}

std::expected<std::shared_ptr<KeyStore>, ConfigError> KeyStore::load(const MilterConfig& config) {
  auto store = std::shared_ptr<KeyStore>(new KeyStore());
  store->impl_ = std::make_shared<Impl>();
  Impl& impl = *store->impl_;
  impl.multiple = config.multiple_signatures;
  impl.require_safe = config.require_safe_keys;
  impl.service_uid = serviceOwner(config);

  if (!config.key_table.empty()) {
    auto table = loadKeyTable(tablePath(config.key_table), impl.require_safe, impl.service_uid);
    if (!table) return std::unexpected(table.error());
    impl.table = std::move(*table);
    impl.has_table = true;
  }
  if (!config.signing_table.empty()) {
    impl.patterns = config.signing_table.starts_with("refile:");
    auto rules = loadSigningTable(tablePath(config.signing_table), impl.table, impl.multiple);
    if (!rules) return std::unexpected(rules.error());
    impl.rules = std::move(*rules);
    for (std::size_t i = 0; i < impl.rules.size(); ++i) impl.exact_index.emplace(impl.rules[i].pattern, i);
  }
  if (!impl.has_table && !config.key_file.empty()) {
    impl.domains = config.domains;
    impl.key_file = config.key_file;
    impl.selector = config.selector;
    if (impl.key_file.find('%') == std::string::npos) {
      auto key = readKeyFile(impl.key_file, impl.require_safe, false, impl.service_uid);
      if (!key) return std::unexpected(ConfigError{config.source, 0, "KeyFile: " + key.error().message});
      impl.single_key = *key;
      if (impl.selector.empty() && !validSelector(selectorFromPath(impl.key_file)))
        return std::unexpected(ConfigError{
            config.source, 0, "KeyFile: the file name does not make a valid selector; set Selector"});
    }
  }
  if (!config.key_directory.empty()) {
    char real[PATH_MAX];
    if (realpath(config.key_directory.c_str(), real) == nullptr)
      return std::unexpected(ConfigError{
          config.source, 0, "KeyDirectory " + config.key_directory + ": " + std::strerror(errno)});
    impl.key_directory = config.key_directory;
    impl.key_directory_real = real;
  }
  return store;
}

std::expected<std::vector<std::shared_ptr<const SigningKey>>, std::string> KeyStore::tryKeysFor(
    std::string_view from_address) const {
  const Sender sender = splitAddress(from_address);
  std::vector<std::shared_ptr<const SigningKey>> keys;
  if (sender.domain.empty()) return keys;
  if (impl_->has_table) {
    // Without MultipleSignatures the first entry that yields a key signs; a
    // '%' key file that does not exist yields none, so the next entry is tried.
    std::set<std::pair<std::string, std::string>> seen;
    for (const KeyRef* ref : impl_->matchingRefs(sender)) {
      if (!seen.emplace(ref->name, ref->identity).second) continue;
      auto key = impl_->fromTable(*ref, sender);
      if (!key) return std::unexpected(key.error());
      if (*key) keys.push_back(std::move(*key));
      if (!impl_->multiple && !keys.empty()) break;
    }
  } else if (!impl_->key_file.empty()) {
    auto key = impl_->fromKeyFile(sender);
    if (!key) return std::unexpected(key.error());
    if (*key) keys.push_back(std::move(*key));
  }
  return keys;
}

std::vector<std::shared_ptr<const SigningKey>> KeyStore::keysFor(std::string_view from_address) const {
  return tryKeysFor(from_address).value_or(std::vector<std::shared_ptr<const SigningKey>>{});
}

std::expected<std::shared_ptr<const SigningKey>, std::string> KeyStore::keyForPath(
    std::string_view path_pattern, std::string_view from_domain) {
  Impl& impl = *impl_;
  if (impl.key_directory_real.empty())
    return std::unexpected("DKSIGN key paths need KeyDirectory in the configuration");
  const std::string domain = toLower(from_domain);
  if (!validDomainName(domain)) return std::unexpected("the From domain is not a valid domain name");
  std::string path = replacePercent(path_pattern, domain);
  if (path.empty()) return std::unexpected("an empty key path");
  if (path.front() != '/') path = impl.key_directory + "/" + path;
  for (std::size_t start = 0; start <= path.size();) {
    const auto slash = std::min(path.find('/', start), path.size());
    if (path.compare(start, slash - start, "..") == 0)
      return std::unexpected("key path " + path + " refused: it contains \"..\"");
    start = slash + 1;
  }
  const std::string selector = selectorFromPath(path);
  if (!validSelector(selector))
    return std::unexpected("key path " + path + " refused: its file name does not make a valid selector");

  std::lock_guard lock(impl.mutex);
  auto cached = impl.by_dksign.find(path);
  if (cached == impl.by_dksign.end()) {
    char real[PATH_MAX];
    if (realpath(path.c_str(), real) == nullptr)
      return std::unexpected(errno == ENOENT ? std::string(kKeyPathMissing) + path
                                             : "key path " + path + ": " + std::strerror(errno));
    const std::string real_path = real;
    if (!real_path.starts_with(impl.key_directory_real + "/"))
      return std::unexpected("key path " + path + " refused: it leads outside KeyDirectory " +
                             impl.key_directory);
    auto key = readKeyFile(real_path, impl.require_safe, true, impl.service_uid);
    if (!key) return std::unexpected(key.error().message);
    auto signing = std::make_shared<SigningKey>(SigningKey{path, domain, selector, real_path, *key, {}});
    if (impl.by_dksign.size() < kMaxCachedKeys) impl.by_dksign.emplace(path, std::make_pair(real_path, *key));
    return signing;
  }
  return std::make_shared<SigningKey>(
      SigningKey{path, domain, selector, cached->second.first, cached->second.second, {}});
}

bool KeyStore::empty() const {
  return !impl_->has_table && impl_->key_file.empty();
}

}  // namespace signet::milter
