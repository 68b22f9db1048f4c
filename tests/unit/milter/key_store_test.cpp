// KeyStore: the single Domain/Selector/KeyFile key, '%' key files, the
// KeyTable and SigningTable (opendkim.conf(5); refile: patterns, file: exact
// look-ups, MultipleSignatures for RSA + Ed25519 dual signing), safe key
// files (RequireSafeKeys), and DKSIGN paths confined to KeyDirectory.
#include "key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "config_test_support.h"
#include "signet/base64.h"

namespace signet::milter {
namespace {

using test::ed25519Pem;
using test::rsaPem;
using test::TempDir;

MilterConfig configFrom(const std::string& text) {
  auto config = parseConfig(text, "test.conf");
  if (!config) ADD_FAILURE() << config.error().text();
  return config ? *config : MilterConfig{};
}

std::shared_ptr<KeyStore> loadOk(const std::string& text) {
  auto store = KeyStore::load(configFrom(text));
  if (!store) {
    ADD_FAILURE() << store.error().text();
    return nullptr;
  }
  return *store;
}

std::vector<std::string> describe(const std::vector<std::shared_ptr<const SigningKey>>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k->name + " d=" + k->domain + " s=" + k->selector);
  return out;
}

// --- Single key: Domain + Selector + KeyFile ---

TEST(KeyStoreSingleKey, SignsForListedDomainsOnly) {
  TempDir dir;
  const std::string key = dir.write("keys/sel.private", rsaPem());
  auto store = loadOk("Domain example.com, *.example.org\nSelector s2024\nKeyFile " + key);
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->empty());

  auto keys = store->keysFor("alice@Example.COM");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]->domain, "example.com");
  EXPECT_EQ(keys[0]->selector, "s2024");
  EXPECT_EQ(keys[0]->path, key);
  EXPECT_EQ(keys[0]->key->type(), KeyType::rsa);

  EXPECT_EQ(store->keysFor("example.com").size(), 1u);  // the domain alone works too
  EXPECT_EQ(describe(store->keysFor("bob@lists.example.org")),
            std::vector<std::string>{key + " d=lists.example.org s=s2024"});
  EXPECT_TRUE(store->keysFor("alice@example.net").empty());
  EXPECT_TRUE(store->keysFor("alice@sub.example.com").empty());
  EXPECT_TRUE(store->keysFor("").empty());
}

TEST(KeyStoreSingleKey, SelectorDefaultsToTheFileBaseName) {
  TempDir dir;
  const std::string key = dir.write("mail2024.private", ed25519Pem());
  auto store = loadOk("Domain example.com\nKeyFile " + key);
  ASSERT_TRUE(store);
  auto keys = store->keysFor("a@example.com");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]->selector, "mail2024");
  EXPECT_EQ(keys[0]->key->type(), KeyType::ed25519);
}

TEST(KeyStoreSingleKey, MissingOrBrokenKeyFileIsAnErrorNamingIt) {
  TempDir dir;
  auto missing =
      KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + dir / "absent.private"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(dir / "absent.private"), std::string::npos);

  const std::string garbage = dir.write("garbage.private", "not a key\n");
  auto broken = KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + garbage));
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find(garbage), std::string::npos);

  const std::string small = dir.write("small.private", test::readFixture("rsa512_pkcs1.pem"));
  auto weak = KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + small));
  ASSERT_FALSE(weak);
  EXPECT_NE(weak.error().message.find("512-bit RSA key"), std::string::npos) << weak.error().message;
}

// --- RequireSafeKeys ---

TEST(KeyStoreSafeKeys, GroupOrWorldAccessIsRefusedWithTheFix) {
  TempDir dir;
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    SCOPED_TRACE(mode);
    const std::string key = dir.write("open.private", rsaPem(), mode);
    auto store = KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + key));
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().message.find("chmod 600 " + key), std::string::npos) << store.error().message;
    EXPECT_NE(store.error().message.find("RequireSafeKeys no"), std::string::npos);
  }
  const std::string safe = dir.write("safe.private", rsaPem(), 0400);
  EXPECT_TRUE(KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + safe)));
}

TEST(KeyStoreSafeKeys, RequireSafeKeysNoAcceptsThem) {
  TempDir dir;
  const std::string key = dir.write("open.private", rsaPem(), 0644);
  auto store = loadOk("RequireSafeKeys no\nDomain example.com\nSelector s\nKeyFile " + key);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->keysFor("a@example.com").size(), 1u);
}

TEST(KeyStoreSafeKeys, AFileOwnedBySomeoneElseIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  TempDir dir;
  const std::string key = dir.write("nobody.private", rsaPem());
  ASSERT_EQ(::chown(key.c_str(), 65534, 65534), 0);
  auto store = KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + key));
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("owned by uid 65534"), std::string::npos) << store.error().message;
  EXPECT_TRUE(
      KeyStore::load(configFrom("RequireSafeKeys no\nDomain example.com\nSelector s\nKeyFile " + key)));
}

TEST(KeyStoreSafeKeys, ADirectoryIsNotAKeyFile) {
  TempDir dir;
  std::filesystem::create_directories(dir / "keydir");
  auto store = KeyStore::load(configFrom("Domain example.com\nSelector s\nKeyFile " + dir / "keydir"));
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("not a regular file"), std::string::npos);
}

// --- '%' KeyFile (qmail-dk's DKSIGN rule) ---

TEST(KeyStorePercentKeyFile, KeyPerFromDomainLoadedOnFirstUseAndCached) {
  TempDir dir;
  dir.write("domainkeys/example.com/default", rsaPem());
  dir.write("domainkeys/example.org/default", ed25519Pem());
  auto store = loadOk("KeyFile " + dir / "domainkeys/%/default");
  ASSERT_TRUE(store);

  auto first = store->keysFor("alice@example.com");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]->domain, "example.com");
  EXPECT_EQ(first[0]->selector, "default");
  EXPECT_EQ(first[0]->path, dir / "domainkeys/example.com/default");
  EXPECT_EQ(store->keysFor("bob@EXAMPLE.ORG").at(0)->key->type(), KeyType::ed25519);

  std::filesystem::remove(dir / "domainkeys/example.com/default");
  auto again = store->keysFor("carol@example.com");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]->key, first[0]->key) << "the key is cached after first use";

  EXPECT_TRUE(store->keysFor("dave@example.net").empty()) << "no key file for the domain: no key";
  EXPECT_TRUE(store->tryKeysFor("dave@example.net").has_value());
}

TEST(KeyStorePercentKeyFile, DomainListAndSelectorStillApply) {
  TempDir dir;
  dir.write("keys/example.com.private", rsaPem());
  dir.write("keys/example.net.private", rsaPem());
  auto store = loadOk("Domain example.com\nSelector sel\nKeyFile " + dir / "keys/%.private");
  ASSERT_TRUE(store);
  EXPECT_EQ(describe(store->keysFor("a@example.com")),
            std::vector<std::string>{dir / "keys/%.private" + " d=example.com s=sel"});
  EXPECT_TRUE(store->keysFor("a@example.net").empty()) << "example.net is not in Domain";
}

TEST(KeyStorePercentKeyFile, UnsafeKeyIsAnErrorAndFromDomainsCannotClimbOut) {
  TempDir dir;
  dir.write("keys/example.com/default", rsaPem(), 0644);
  dir.write("secret/default", rsaPem());
  auto store = loadOk("KeyFile " + dir / "keys/%/default");
  ASSERT_TRUE(store);
  auto unsafe = store->tryKeysFor("a@example.com");
  ASSERT_FALSE(unsafe);
  EXPECT_NE(unsafe.error().find("chmod 600"), std::string::npos);
  EXPECT_FALSE(unsafe.error().starts_with(KeyStore::kKeyPathMissing));
  EXPECT_TRUE(store->keysFor("a@example.com").empty());
  for (const char* from : {"a@../secret", "a@..", "a@x/../../secret", "a@.secret"}) {
    SCOPED_TRACE(from);
    EXPECT_TRUE(store->keysFor(from).empty());
  }
}

TEST(KeyStorePercentKeyFile, ConcurrentFirstUseGivesOneKey) {
  TempDir dir;
  dir.write("k/example.com/default", ed25519Pem());
  auto store = loadOk("KeyFile " + dir / "k/%/default");
  ASSERT_TRUE(store);
  std::vector<std::shared_ptr<const PrivateKey>> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] {
      for (int n = 0; n < 50; ++n) {
        auto keys = store->keysFor("user@example.com");
        if (keys.size() == 1) seen[i] = keys[0]->key;
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& k : seen) {
    ASSERT_TRUE(k);
    EXPECT_EQ(k, seen[0]);
  }
}

// --- KeyTable + SigningTable ---

struct Tables {
  TempDir dir;
  std::string rsa, ed, other;
  Tables() {
    rsa = dir.write("keys/example.com/rsa.private", rsaPem());
    ed = dir.write("keys/example.com/ed.private", ed25519Pem());
    other = dir.write("keys/other.org.private", rsaPem());
  }
  std::string keyTable() const {
    return dir.write("KeyTable",
                     "# name  domain:selector:key\n"
                     "rsa   example.com:rsa2024:" +
                         rsa +
                         "\n"
                         "ed    example.com:ed2024:" +
                         ed +
                         "\n"
                         "other other.org:sel:" +
                         other + "   # trailing comment\n");
  }
};

TEST(KeyStoreTables, RefilePatternsDualSignWithMultipleSignatures) {
  Tables t;
  const std::string signing = t.dir.write("SigningTable",
                                          "*@example.com   rsa,ed\n"
                                          "*@*.other.org   other\n"
                                          "*@other.org     other\n");
  auto store = loadOk("KeyTable file:" + t.keyTable() + "\nSigningTable refile:" + signing +
                      "\nMultipleSignatures yes\n");
  ASSERT_TRUE(store);
  auto keys = store->keysFor("alice@example.com");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]->name, "rsa");
  EXPECT_EQ(keys[0]->selector, "rsa2024");
  EXPECT_EQ(keys[0]->key->type(), KeyType::rsa);
  EXPECT_EQ(keys[1]->name, "ed");
  EXPECT_EQ(keys[1]->domain, "example.com");
  EXPECT_EQ(keys[1]->key->type(), KeyType::ed25519);

  EXPECT_EQ(describe(store->keysFor("bob@mail.other.org")),
            std::vector<std::string>{"other d=other.org s=sel"});
  EXPECT_EQ(store->keysFor("bob@other.org").size(), 1u);
  EXPECT_TRUE(store->keysFor("bob@example.net").empty());
  EXPECT_TRUE(store->keysFor("alice@sub.example.com").empty());
}

TEST(KeyStoreTables, SeveralLinesWithOnePatternAlsoDualSign) {
  Tables t;
  const std::string signing = t.dir.write("SigningTable", "*@example.com rsa\n*@example.com ed\n* other\n");
  auto multi =
      loadOk("KeyTable " + t.keyTable() + "\nSigningTable refile:" + signing + "\nMultipleSignatures yes\n");
  ASSERT_TRUE(multi);
  EXPECT_EQ(describe(multi->keysFor("a@example.com")),
            (std::vector<std::string>{"rsa d=example.com s=rsa2024", "ed d=example.com s=ed2024",
                                      "other d=other.org s=sel"}));

  auto single = loadOk("KeyTable " + t.keyTable() + "\nSigningTable refile:" + signing + "\n");
  ASSERT_TRUE(single);
  EXPECT_EQ(describe(single->keysFor("a@example.com")),
            std::vector<std::string>{"rsa d=example.com s=rsa2024"});
  EXPECT_EQ(describe(single->keysFor("a@elsewhere.net")),
            std::vector<std::string>{"other d=other.org s=sel"});
}

TEST(KeyStoreTables, ALineNamingSeveralKeysNeedsMultipleSignatures) {
  Tables t;
  const std::string signing = t.dir.write("SigningTable", "*@other.org other\n*@example.com rsa, ed\n");
  auto store = KeyStore::load(configFrom("KeyTable " + t.keyTable() + "\nSigningTable refile:" + signing));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().file, signing);
  EXPECT_EQ(store.error().line, 2);
  EXPECT_NE(store.error().message.find("MultipleSignatures"), std::string::npos);
}

TEST(KeyStoreTables, FileSigningTableLooksUpAddressThenDomainThenParents) {
  Tables t;
  const std::string signing = t.dir.write("SigningTable",
                                          "bob@example.com  ed\n"
                                          "example.com      rsa\n"
                                          ".example.com     other\n"
                                          "*                other\n");
  auto first = loadOk("KeyTable " + t.keyTable() + "\nSigningTable file:" + signing);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->keysFor("Bob@Example.com").at(0)->name, "ed");
  EXPECT_EQ(first->keysFor("alice@example.com").at(0)->name, "rsa");
  EXPECT_EQ(first->keysFor("alice@mail.example.com").at(0)->name, "other");
  EXPECT_EQ(first->keysFor("alice@example.net").at(0)->name, "other");

  auto all = loadOk("KeyTable " + t.keyTable() + "\nSigningTable " + signing + "\nMultipleSignatures yes");
  ASSERT_TRUE(all);
  const auto keys = all->keysFor("bob@example.com");
  ASSERT_EQ(keys.size(),
            3u);  // bob@example.com, example.com, then "*" (".example.com" is for names below it)
  EXPECT_EQ(keys[0]->name, "ed");
  EXPECT_EQ(keys[1]->name, "rsa");
  EXPECT_EQ(keys[2]->name, "other");
}

TEST(KeyStoreTables, PercentDomainPathAndSignerIdentity) {
  TempDir dir;
  dir.write("keys/example.com.private", rsaPem());
  dir.write("keys/example.net.private", ed25519Pem());
  const std::string key_table = dir.write("KeyTable", "perdomain %:mail:" + dir / "keys/%.private" + "\n");
  const std::string signing = dir.write("SigningTable", "* perdomain:@%\n");
  auto store = loadOk("KeyTable " + key_table + "\nSigningTable refile:" + signing);
  ASSERT_TRUE(store);
  auto keys = store->keysFor("alice@Example.NET");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]->domain, "example.net");
  EXPECT_EQ(keys[0]->selector, "mail");
  EXPECT_EQ(keys[0]->identity, "@example.net");
  EXPECT_EQ(keys[0]->path, dir / "keys/example.net.private");
  EXPECT_EQ(keys[0]->key->type(), KeyType::ed25519);
  EXPECT_TRUE(store->keysFor("alice@example.org").empty()) << "no key file for example.org";
  EXPECT_FALSE(store->tryKeysFor("alice@bad..domain"))
      << "a '%' table entry needs a From domain fit for a path";
}

TEST(KeyStoreTables, KeyDataWrittenIntoTheKeyTable) {
  TempDir dir;
  std::string pem = ed25519Pem();
  std::string body;
  for (std::size_t line = pem.find('\n') + 1; line < pem.size();) {
    const auto end = pem.find('\n', line);
    const std::string text = pem.substr(line, end - line);
    if (text.starts_with("-----")) break;
    body += text;
    line = end + 1;
  }
  const std::string key_table = dir.write("KeyTable", "inline example.com:sel:" + body + "\n");
  const std::string signing = dir.write("SigningTable", "*@example.com inline\n");
  auto store = loadOk("KeyTable " + key_table + "\nSigningTable refile:" + signing);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->keysFor("a@example.com").at(0)->key->type(), KeyType::ed25519);
}

TEST(KeyStoreTables, TableErrorsNameFileAndLine) {
  Tables t;
  const std::string key_table = t.keyTable();
  const struct {
    std::string key_table_text;  // empty: the good one
    std::string signing_text;
    std::string expected;
    int line;
  } cases[] = {
      {"", "*@example.com rsa\n*@x.org missing\n",
       "names key \"missing\", which the KeyTable does not define", 2},
      {"", "*@example.com\n", "expected a KeyTable key name", 1},
      {"# c\nbroken example.com:sel\n", "* broken\n", "expected \"keyname domain:selector:/path/to/key\"", 2},
      {"k bad$domain:sel:/k\n", "* k\n", "expected a domain name", 1},
      {"k example.com:bad/sel:/k\n", "* k\n", "expected a selector", 1},
      {"k example.com:sel:\n", "* k\n", "expected a key file path", 1},
      {"k example.com:sel:" + t.rsa + "\nk example.com:sel2:" + t.ed + "\n", "* k\n", "already defined", 2},
      {"k example.com:sel:" + t.dir / "absent.private" + "\n", "* k\n", "does not exist", 1},
      {"k example.com:sel:not-base64!\n", "* k\n", "neither a key file path", 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    const std::string kt =
        c.key_table_text.empty() ? key_table : t.dir.write("KeyTable.bad", c.key_table_text);
    const std::string st = t.dir.write("SigningTable.case", c.signing_text);
    auto store = KeyStore::load(configFrom("KeyTable " + kt + "\nSigningTable refile:" + st));
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().file, c.key_table_text.empty() ? st : kt);
    EXPECT_EQ(store.error().line, c.line);
    EXPECT_NE(store.error().message.find(c.expected), std::string::npos) << store.error().message;
  }
}

TEST(KeyStoreTables, UnsafeKeyInTheKeyTableIsRefused) {
  Tables t;
  std::filesystem::permissions(t.ed, std::filesystem::perms(0644));
  const std::string signing = t.dir.write("SigningTable", "* rsa\n");
  auto store = KeyStore::load(configFrom("KeyTable " + t.keyTable() + "\nSigningTable refile:" + signing));
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().line, 3);
  EXPECT_NE(store.error().message.find("chmod 600 " + t.ed), std::string::npos);
}

// --- DKSIGN paths: keyForPath ---

struct KeyDirectory {
  TempDir dir;
  std::string root;
  std::shared_ptr<KeyStore> store;
  explicit KeyDirectory(const std::string& extra = "") {
    root = dir / "domainkeys";
    dir.write("domainkeys/example.com/default", rsaPem());
    dir.write("domainkeys/example.org/sel2.private", ed25519Pem());
    dir.write("outside/default", rsaPem());
    store = loadOk("Mode sv\nKeyDirectory " + root + "\n" + extra);
  }
};

TEST(KeyStoreKeyForPath, PercentPathInsideKeyDirectory) {
  KeyDirectory k;
  ASSERT_TRUE(k.store);
  EXPECT_TRUE(k.store->empty()) << "no KeyTable or KeyFile";
  auto key = k.store->keyForPath(k.root + "/%/default", "Example.COM");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->domain, "example.com");
  EXPECT_EQ((*key)->selector, "default");
  EXPECT_EQ((*key)->path, std::filesystem::canonical(k.root + "/example.com/default").string());
  EXPECT_EQ((*key)->key->type(), KeyType::rsa);

  auto relative = k.store->keyForPath("%/sel2.private", "example.org");
  ASSERT_TRUE(relative) << relative.error();
  EXPECT_EQ((*relative)->selector, "sel2");
  EXPECT_EQ((*relative)->key->type(), KeyType::ed25519);

  std::filesystem::remove(k.root + "/example.com/default");
  auto cached = k.store->keyForPath(k.root + "/%/default", "example.com");
  ASSERT_TRUE(cached) << "cached after first use";
  EXPECT_EQ((*cached)->key, (*key)->key);
}

TEST(KeyStoreKeyForPath, DotDotIsRefused) {
  KeyDirectory k;
  ASSERT_TRUE(k.store);
  for (const std::string& path :
       {k.root + "/../outside/default", k.root + "/example.com/../../outside/default",
        std::string("../outside/default"), k.root + "/%/default"}) {
    SCOPED_TRACE(path);
    const std::string domain = path.ends_with("%/default") ? "x/../../outside" : "example.com";
    auto key = k.store->keyForPath(path, domain);
    ASSERT_FALSE(key);
  }
  auto dotdot = k.store->keyForPath(k.root + "/../outside/default", "example.com");
  EXPECT_NE(dotdot.error().find("\"..\""), std::string::npos) << dotdot.error();
  auto bad_domain = k.store->keyForPath(k.root + "/%/default", "..");
  ASSERT_FALSE(bad_domain);
  EXPECT_NE(bad_domain.error().find("not a valid domain"), std::string::npos);
}

TEST(KeyStoreKeyForPath, SymbolicLinksLeadingOutAreRefused) {
  KeyDirectory k;
  ASSERT_TRUE(k.store);
  std::filesystem::create_symlink(k.dir / "outside", k.root + "/evil.example");
  std::filesystem::create_symlink(k.dir / "outside/default", k.root + "/example.com/stolen");
  auto via_directory = k.store->keyForPath(k.root + "/%/default", "evil.example");
  ASSERT_FALSE(via_directory);
  EXPECT_NE(via_directory.error().find("outside KeyDirectory"), std::string::npos) << via_directory.error();
  auto via_file = k.store->keyForPath(k.root + "/example.com/stolen", "example.com");
  ASSERT_FALSE(via_file);
  EXPECT_NE(via_file.error().find("outside KeyDirectory"), std::string::npos);
  auto absolute_outside = k.store->keyForPath(k.dir / "outside/default", "example.com");
  ASSERT_FALSE(absolute_outside);
  EXPECT_NE(absolute_outside.error().find("outside KeyDirectory"), std::string::npos);
}

TEST(KeyStoreKeyForPath, SymbolicLinksStayingInsideAreAccepted) {
  KeyDirectory k;
  ASSERT_TRUE(k.store);
  std::filesystem::create_symlink(k.root + "/example.com", k.root + "/alias.example");
  auto key = k.store->keyForPath(k.root + "/%/default", "alias.example");
  ASSERT_TRUE(key) << key.error();
  EXPECT_EQ((*key)->domain, "alias.example");
  EXPECT_EQ((*key)->path, std::filesystem::canonical(k.root + "/example.com/default").string());
}

TEST(KeyStoreKeyForPath, KeyDirectoryRootItselfAndPrefixLookalikesAreOutside) {
  KeyDirectory k;
  ASSERT_TRUE(k.store);
  k.dir.write("domainkeys-evil/default", rsaPem());
  auto lookalike = k.store->keyForPath(k.dir / "domainkeys-evil/default", "example.com");
  ASSERT_FALSE(lookalike);
  EXPECT_NE(lookalike.error().find("outside KeyDirectory"), std::string::npos);
}

TEST(KeyStoreKeyForPath, MissingUnsafeOrUnconfigured) {
  KeyDirectory k;
  ASSERT_TRUE(k.store);
  auto missing = k.store->keyForPath(k.root + "/%/default", "example.net");
  ASSERT_FALSE(missing);
  // Told apart from the other refusals: with '%', no file only means no key for that domain.
  EXPECT_TRUE(missing.error().starts_with(KeyStore::kKeyPathMissing)) << missing.error();

  k.dir.write("domainkeys/open.example/default", rsaPem(), 0644);
  auto unsafe = k.store->keyForPath(k.root + "/%/default", "open.example");
  ASSERT_FALSE(unsafe);
  EXPECT_NE(unsafe.error().find("chmod 600"), std::string::npos);
  EXPECT_FALSE(unsafe.error().starts_with(KeyStore::kKeyPathMissing));

  TempDir other;
  const std::string key = other.write("k.private", rsaPem());
  auto store = loadOk("Domain example.com\nSelector s\nKeyFile " + key);
  ASSERT_TRUE(store);
  auto refused = store->keyForPath(key, "example.com");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("KeyDirectory"), std::string::npos);
}

TEST(KeyStoreKeyForPath, KeyDirectoryMustExist) {
  TempDir dir;
  auto store = KeyStore::load(configFrom("KeyDirectory " + dir / "nope"));
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("KeyDirectory " + dir / "nope"), std::string::npos);
}

}  // namespace
}  // namespace signet::milter
