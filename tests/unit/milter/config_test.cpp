// signet.conf(5) parsing: every key with a good and a bad value, the line
// syntax (comments, white space, case), booleans, lists and list files,
// duplicate keys, checks across keys, and the shipped example file.
#include "config.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "config_test_support.h"

namespace signet::milter {
namespace {

using test::TempDir;

std::expected<MilterConfig, ConfigError> parse(const std::string& text) {
  return parseConfig(text, "test.conf");
}

MilterConfig parseOk(const std::string& text) {
  auto config = parse(text);
  if (!config) ADD_FAILURE() << "unexpected error: " << config.error().text();
  return config ? *config : MilterConfig{};
}

// --- Every key: a good value and what it sets ---

struct GoodCase {
  std::string text;
  std::function<bool(const MilterConfig&)> check;
};

std::vector<GoodCase> goodCases(const std::string& dir) {
  using C = const MilterConfig&;
  return {
      {"Socket inet:8891@127.0.0.1", [](C c) { return c.socket == "inet:8891@127.0.0.1"; }},
      {"Socket local:/run/signet/signet.sock",
       [](C c) { return c.socket == "local:/run/signet/signet.sock"; }},
      {"Mode v", [](C c) { return c.mode == "v"; }},
      {"Mode VS\nKeyDirectory /tmp", [](C c) { return c.mode == "sv"; }},
      {"UserID signet:mail", [](C c) { return c.user == "signet:mail"; }},
      {"PidFile /run/signet.pid", [](C c) { return c.pid_file == "/run/signet.pid"; }},
      {"Syslog no", [](C c) { return !c.syslog; }},
      {"SyslogFacility LOCAL3", [](C c) { return c.syslog_facility == "local3"; }},
      {"UMask 022", [](C c) { return c.umask == 022; }},
      {"LogWhy yes", [](C c) { return c.log_why; }},
      {"AuthservID mx.example.net", [](C c) { return c.authserv_id == "mx.example.net"; }},
      {"Domain example.com, *.Example.ORG\nKeyFile " + dir + "/k.private",
       [](C c) {
         return c.domains == std::vector<std::string>{"example.com", "*.example.org"};
       }},
      {"Selector sel-2024.a\nDomain example.com\nKeyFile /k", [](C c) { return c.selector == "sel-2024.a"; }},
      {"KeyFile /etc/keys/%/default", [](C c) { return c.key_file == "/etc/keys/%/default"; }},
      {"KeyTable file:/etc/kt\nSigningTable refile:/etc/st",
       [](C c) { return c.key_table == "file:/etc/kt" && c.signing_table == "refile:/etc/st"; }},
      {"KeyTable /etc/kt\nSigningTable file:/etc/st", [](C c) { return c.key_table == "/etc/kt"; }},
      {"SigningTable /etc/st\nKeyTable /etc/kt", [](C c) { return c.signing_table == "/etc/st"; }},
      {"MultipleSignatures true", [](C c) { return c.multiple_signatures; }},
      {"SignatureAlgorithm ed25519-sha256",
       [](C c) { return c.signature_algorithm == SigningAlgorithm::ed25519_sha256; }},
      {"SignatureAlgorithm RSA-SHA1",
       [](C c) { return c.signature_algorithm == SigningAlgorithm::rsa_sha1; }},
      {"Canonicalization simple/relaxed",
       [](C c) {
         return c.canonicalization.header == Canonicalization::simple &&
                c.canonicalization.body == Canonicalization::relaxed;
       }},
      {"Canonicalization Relaxed",
       [](C c) {
         return c.canonicalization.header == Canonicalization::relaxed &&
                c.canonicalization.body == Canonicalization::simple;
       }},
      {"SignHeaders From,To,Subject,Date",
       [](C c) { return c.sign_headers.size() == 4 && c.sign_headers[2] == "Subject"; }},
      {"OversignHeaders From Reply-To",
       [](C c) {
         return c.oversign_headers == std::vector<std::string>{"From", "Reply-To"};
       }},
      {"OversignHeaders .", [](C c) { return c.oversign_headers.empty(); }},
      {"BodyLengths 1", [](C c) { return c.body_length; }},
      {"SignatureTTL 86400", [](C c) { return c.signature_ttl == 86400u; }},
      {"SignatureTTL 0", [](C c) { return !c.signature_ttl; }},
      {"InternalHosts 10.0.0.0/8, ::1",
       [](C c) { return c.internal_hosts.size() == 2 && c.internal_hosts[0].prefix == 8; }},
      {"ExternalIgnoreList !192.0.2.1 .example.com",
       [](C c) { return c.external_ignore.size() == 2 && c.external_ignore[0].negated; }},
      {"MTA MSA, ORIGINATING",
       [](C c) {
         return c.mta_names == std::vector<std::string>{"MSA", "ORIGINATING"};
       }},
      {"KeyDirectory /etc/domainkeys", [](C c) { return c.key_directory == "/etc/domainkeys"; }},
      {"RequireSafeKeys No", [](C c) { return !c.require_safe_keys; }},
      {"MaximumSignaturesToVerify 3", [](C c) { return c.maximum_signatures == 3; }},
      {"MinimumKeyBits 2048", [](C c) { return c.minimum_key_bits == 2048; }},
      {"StrictSHA1 yes", [](C c) { return c.strict_sha1; }},
      {"On-BadSignature reject", [](C c) { return c.on_bad_signature == Action::reject; }},
      {"On-NoSignature q", [](C c) { return c.on_no_signature == Action::quarantine; }},
      {"On-DNSError Accept", [](C c) { return c.on_dns_error == Action::accept; }},
      {"On-KeyNotFound d", [](C c) { return c.on_key_not_found == Action::discard; }},
      {"On-InternalError t", [](C c) { return c.on_internal_error == Action::tempfail; }},
      {"KeepAuthResults yes", [](C c) { return !c.remove_old_results; }},
      {"XAuthenticationResults yes", [](C c) { return c.x_authentication_results; }},
      {"DomainKeysSign yes", [](C c) { return c.domainkeys_sign; }},
      {"DomainKeysCanonicalization simple", [](C c) { return c.domainkeys_canonicalization == "simple"; }},
      {"DomainKeyStatus no", [](C c) { return !c.domainkey_status; }},
      {"DKVERIFY DEGIJKfh", [](C c) { return c.dkverify == "DEGIJKfh"; }},
      {"Nameservers 127.0.0.1@5353, ::1, [2001:db8::53]@53",
       [](C c) {
         return c.nameservers == std::vector<std::string>{"127.0.0.1@5353", "::1", "2001:db8::53@53"};
       }},
      {"ResolverConfiguration /etc/unbound/signet.conf",
       [](C c) { return c.resolver_configuration == "/etc/unbound/signet.conf"; }},
      {"TrustAnchorFile /usr/share/dns/root.key",
       [](C c) { return c.trust_anchor_file == "/usr/share/dns/root.key"; }},
      {"DNSTimeout 10", [](C c) { return c.dns_timeout == std::chrono::seconds(10); }},
      {"MaximumHeaders 200", [](C c) { return c.maximum_headers == 200; }},
      {"MaximumHeaderBytes 65536", [](C c) { return c.maximum_header_bytes == 65536; }},
      {"MaximumTagListBytes 4096", [](C c) { return c.maximum_tag_list_bytes == 4096; }},
      {"MaximumKeyRecordBytes 2048", [](C c) { return c.maximum_key_record_bytes == 2048; }},
      {"MaximumTags 32", [](C c) { return c.maximum_tags == 32; }},
      {"MaximumKeyBits 4096", [](C c) { return c.maximum_key_bits == 4096; }},
      {"MilterTimeout 30", [](C c) { return c.milter_timeout == 30; }},
      {"MaximumPacketBytes 262143", [](C c) { return c.maximum_packet_bytes == 262143; }},
      {"MaximumPacketBytes 1048575", [](C c) { return c.maximum_packet_bytes == 1048575; }},
  };
}

TEST(ConfigKeys, EveryKeyTakesAGoodValue) {
  TempDir dir;
  for (const auto& c : goodCases(dir.path())) {
    SCOPED_TRACE(c.text);
    const MilterConfig config = parseOk(c.text + "\n");
    EXPECT_TRUE(c.check(config));
  }
}

// --- Every key: a bad value is an error naming the line and what is expected ---

struct BadCase {
  std::string text;      // the bad line is the last one
  std::string expected;  // part of the message
};

std::vector<BadCase> badCases() {
  return {
      {"Socket 8891", "inet:PORT@HOST"},
      {"Socket inet:99999@localhost", "port number from 1 to 65535"},
      {"Mode x", "s (sign), v (verify)"},
      {"UserID :mail", "user or user:group"},
      {"Syslog maybe", "yes or no"},
      {"SyslogFacility mailx", "syslog facility"},
      {"UMask 089", "octal mask"},
      {"UMask 1777", "octal mask"},
      {"LogWhy 2", "yes or no"},
      {"AuthservID mx example", "one word"},
      {"Domain exa$mple.com", "domain name"},
      {"Selector bad/selector", "selector"},
      {"KeyTable dsn:mysql://x", "absolute path"},
      {"SigningTable relative/path", "absolute path"},
      {"MultipleSignatures sometimes", "yes or no"},
      {"SignatureAlgorithm rsa-sha512", "rsa-sha256, ed25519-sha256 or rsa-sha1"},
      {"Canonicalization relaxed/nofws", "relaxed or simple"},
      {"SignHeaders From,To:", "header field name"},
      {"OversignHeaders *,+Reply-To", "delta lists"},
      {"BodyLengths perhaps", "yes or no"},
      {"SignatureTTL -5", "number of seconds"},
      {"InternalHosts 10.0.0.0/33", "prefix length from 0 to 32"},
      {"ExternalIgnoreList 2001:db8::/129", "prefix length from 0 to 128"},
      {"MTA ldap://x", "not supported"},
      {"KeyDirectory keys", "absolute path"},
      {"RequireSafeKeys si", "yes or no"},
      {"MaximumSignaturesToVerify 0", "from 1 to 100"},
      {"MinimumKeyBits lots", "number of bits"},
      {"StrictSHA1 strict", "yes or no"},
      {"On-BadSignature bounce", "accept, reject, tempfail, discard or quarantine"},
      {"On-NoSignature x", "accept, reject"},
      {"On-DNSError retry", "accept, reject"},
      {"On-KeyNotFound ok", "accept, reject"},
      {"On-InternalError panic", "accept, reject"},
      {"KeepAuthResults kept", "yes or no"},
      {"XAuthenticationResults both", "yes or no"},
      {"DomainKeysSign please", "yes or no"},
      {"DomainKeysCanonicalization relaxed", "simple or nofws"},
      {"DomainKeyStatus always", "yes or no"},
      {"DKVERIFY DEZ", "letters A-K"},
      {"Nameservers 192.0.2.1@0", "port from 1 to 65535"},
      {"Nameservers resolver.example.net", "IP address"},
      {"DNSTimeout 0", "from 1 to 3600"},
      {"DNSTimeout 5s", "from 1 to 3600"},
      {"MaximumHeaders 5", "from 10 to 1000000"},
      {"MaximumHeaderBytes 100", "from 1024 to"},
      {"MaximumTagListBytes many", "from 256 to"},
      {"MaximumKeyRecordBytes 70000", "from 256 to 65535"},
      {"MaximumTags 8", "from 16 to 1024"},
      {"MaximumKeyBits 512", "from 1024 to 16384"},
      {"MilterTimeout 0", "from 1 to 86400"},
      {"MilterTimeout 86401", "from 1 to 86400"},
      {"MaximumPacketBytes 100000", "65535, 262143 or 1048575"},
      {"MaximumPacketBytes 2097151", "65535, 262143 or 1048575"},
  };
}

TEST(ConfigKeys, EveryKeyRefusesABadValueNamingTheLine) {
  for (const auto& c : badCases()) {
    SCOPED_TRACE(c.text);
    auto config = parse("# a comment\n\n" + c.text + "\n");
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().file, "test.conf");
    EXPECT_EQ(config.error().line, 3);
    EXPECT_NE(config.error().message.find(c.expected), std::string::npos) << config.error().message;
    const std::string key = c.text.substr(0, c.text.find(' '));
    EXPECT_EQ(config.error().message.rfind(key, 0), 0u)
        << "the message names the key: " << config.error().message;
  }
}

TEST(ConfigKeys, EveryKeyInTheStructIsCovered) {
  // A good and a bad case per key: adding a key without tests fails here.
  std::set<std::string> good, bad;
  for (const auto& c : goodCases("/tmp")) good.insert(c.text.substr(0, c.text.find(' ')));
  for (const auto& c : badCases()) bad.insert(c.text.substr(0, c.text.find(' ')));
  EXPECT_EQ(good.size(), 52u);
  for (const auto& key : good)
    EXPECT_TRUE(bad.contains(key) || key == "PidFile" || key == "KeyFile" || key == "ResolverConfiguration" ||
                key == "TrustAnchorFile")
        << key << " has no bad-value case";
}

// --- Line syntax ---

TEST(ConfigSyntax, UnknownKeyIsAnErrorNamingFileAndLine) {
  auto config = parse("Mode v\nSignetFrobnicate yes\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().line, 2);
  EXPECT_EQ(config.error().text(), "test.conf:2: unknown key \"SignetFrobnicate\"");
}

TEST(ConfigSyntax, OpenDkimKeysSignetLacksAreNamedAsSuch) {
  auto config = parse("SyslogSuccess yes\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().line, 1);
  EXPECT_NE(config.error().message.find("OpenDKIM's \"SyslogSuccess\" is not supported"), std::string::npos);
}

TEST(ConfigSyntax, KeyWithoutValueIsAnError) {
  auto config = parse("Mode\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().text(), "test.conf:1: Mode: needs a value");
  EXPECT_FALSE(parse("Mode   # only a comment\n"));
}

TEST(ConfigSyntax, CommentsBlankLinesAndWhiteSpace) {
  const MilterConfig c = parseOk(
      "# Signet configuration\n"
      "\n"
      "   \t\n"
      "  Mode\t\tv   # verify only\r\n"
      "AuthservID mx.example.net#no space before the comment\n"
      "SyslogFacility   local1   \n"
      "#Mode s\n");
  EXPECT_EQ(c.mode, "v");
  EXPECT_EQ(c.authserv_id, "mx.example.net");
  EXPECT_EQ(c.syslog_facility, "local1");
}

TEST(ConfigSyntax, KeyNamesAreCaseInsensitive) {
  const MilterConfig c = parseOk("mode v\nON-BADSIGNATURE reject\nsyslog NO\n");
  EXPECT_EQ(c.mode, "v");
  EXPECT_EQ(c.on_bad_signature, Action::reject);
  EXPECT_FALSE(c.syslog);
}

TEST(ConfigSyntax, BooleansAcceptTheUsualSpellings) {
  for (const char* yes : {"yes", "Yes", "YES", "y", "true", "True", "t", "on", "1"}) {
    SCOPED_TRACE(yes);
    EXPECT_TRUE(parseOk(std::string("LogWhy ") + yes).log_why);
  }
  for (const char* no : {"no", "No", "n", "false", "FALSE", "f", "off", "0"}) {
    SCOPED_TRACE(no);
    EXPECT_FALSE(parseOk(std::string("Syslog ") + no).syslog);
  }
  EXPECT_FALSE(parse("Syslog yesno"));
  EXPECT_FALSE(parse("Syslog 2"));
}

TEST(ConfigSyntax, LaterDuplicateWinsWithAWarning) {
  const MilterConfig c = parseOk("On-BadSignature reject\nOn-BadSignature accept\n");
  EXPECT_EQ(c.on_bad_signature, Action::accept);
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings[0].find("test.conf:2: On-BadSignature overrides line 1"), std::string::npos);
}

TEST(ConfigSyntax, DefaultsWithoutAnyLine) {
  const MilterConfig c = parseOk("");
  EXPECT_EQ(c.socket, "inet:8891@127.0.0.1");
  EXPECT_EQ(c.mode, "sv");
  EXPECT_EQ(c.umask, 0007u);
  EXPECT_TRUE(c.require_safe_keys);
  EXPECT_EQ(c.on_dns_error, Action::tempfail);
  EXPECT_EQ(c.dns_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.milter_timeout, 7210);  // libmilter's own defaults
  EXPECT_EQ(c.maximum_packet_bytes, 65535u);
  EXPECT_EQ(c.oversign_headers, std::vector<std::string>{"From"});
  ASSERT_EQ(c.internal_hosts.size(), 2u);
  EXPECT_EQ(c.internal_hosts[0].text, "127.0.0.1");
  EXPECT_EQ(c.internal_hosts[1].text, "::1");
  ASSERT_EQ(c.warnings.size(), 1u);  // no key: verifying only
  EXPECT_NE(c.warnings[0].find("only verifies"), std::string::npos);
}

TEST(ConfigSyntax, SettingInternalHostsReplacesTheDefault) {
  const MilterConfig c = parseOk("InternalHosts 192.0.2.0/24");
  ASSERT_EQ(c.internal_hosts.size(), 1u);
  EXPECT_EQ(c.internal_hosts[0].text, "192.0.2.0/24");
}

// --- Lists and list files ---

TEST(ConfigLists, InlineListsTakeCommasAndWhiteSpace) {
  EXPECT_EQ(parseOk("MTA a,b  c ,, d\t e").mta_names, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(parseOk("MTA csl:x,y").mta_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(parse("MTA , ,"));
}

TEST(ConfigLists, FilesByPrefixOrAbsolutePath) {
  TempDir dir;
  const std::string hosts = dir.write("TrustedHosts",
                                      "# OpenDKIM trusted hosts\n"
                                      "127.0.0.1\n"
                                      "::1\n"
                                      "\n"
                                      "10.1.0.0/16   # office\n"
                                      "!10.1.9.9\n"
                                      "mail.example.com\n");
  for (const std::string& spec : {"file:" + hosts, "refile:" + hosts, hosts}) {
    SCOPED_TRACE(spec);
    const MilterConfig c = parseOk("InternalHosts " + spec + "\nExternalIgnoreList " + spec);
    ASSERT_EQ(c.internal_hosts.size(), 5u);
    EXPECT_EQ(c.internal_hosts[2].prefix, 16);
    EXPECT_TRUE(c.internal_hosts[3].negated);
    EXPECT_EQ(c.internal_hosts[4].hostname, "mail.example.com");
    EXPECT_EQ(c.external_ignore.size(), 5u);
  }
}

TEST(ConfigLists, AnErrorInAListFileNamesThatFileAndLine) {
  TempDir dir;
  const std::string hosts = dir.write("hosts", "127.0.0.1\n# comment\n192.168.0.0/40\n");
  auto config = parse("Mode v\nInternalHosts file:" + hosts + "\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().file, hosts);
  EXPECT_EQ(config.error().line, 3);
  EXPECT_NE(config.error().message.find("192.168.0.0/40"), std::string::npos);
  EXPECT_NE(config.error().message.find("prefix length"), std::string::npos);

  auto missing = parse("InternalHosts file:" + dir / "absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().file, dir / "absent");
  EXPECT_NE(missing.error().message.find("cannot read"), std::string::npos);

  const std::string two = dir.write("two", "a.example b.example\n");
  auto two_per_line = parse("MTA " + two);
  ASSERT_FALSE(two_per_line);
  EXPECT_EQ(two_per_line.error().line, 1);
  EXPECT_NE(two_per_line.error().message.find("one entry per line"), std::string::npos);
}

TEST(ConfigLists, DomainFilesMayHoldPatterns) {
  TempDir dir;
  const std::string domains = dir.write("domains", "example.com\n*.Example.NET\n");
  const MilterConfig c = parseOk("Domain refile:" + domains + "\nKeyFile /keys/%.private");
  EXPECT_EQ(c.domains, (std::vector<std::string>{"example.com", "*.example.net"}));
}

TEST(ConfigLists, UnsupportedDataSetTypesAreNamed) {
  for (const char* spec : {"db:/etc/x.db", "dsn:mysql://u@h/db", "ldap://ldap.example.com/", "lua:/x.lua"}) {
    SCOPED_TRACE(spec);
    auto config = parse(std::string("InternalHosts ") + spec);
    ASSERT_FALSE(config);
    EXPECT_NE(config.error().message.find("are not supported"), std::string::npos);
  }
}

// --- Checks across keys (line 0) ---

TEST(ConfigChecks, KeySourcesMustBeComplete) {
  const struct {
    std::string text;
    std::string expected;
  } cases[] = {
      {"KeyTable /etc/kt", "KeyTable is set but SigningTable is not"},
      {"SigningTable refile:/etc/st", "SigningTable is set but KeyTable is not"},
      {"Selector sel", "Selector is set but KeyFile is not"},
      {"Domain example.com", "Domain is set but KeyFile is not"},
      {"Domain example.com\nSelector s", "Selector is set but KeyFile is not"},
      {"KeyFile /etc/k.private\nSelector s", "KeyFile is set but Domain is not"},
      {"Mode s", "Mode includes s (sign) but no key is configured"},
      {"Mode sv\nMultipleSignatures yes", "no key is configured"},
      {"MinimumKeyBits 4096\nMaximumKeyBits 2048", "MaximumKeyBits (2048) is below MinimumKeyBits (4096)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto config = parse(c.text);
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().line, 0);
    EXPECT_NE(config.error().message.find(c.expected), std::string::npos) << config.error().message;
    EXPECT_EQ(config.error().text().rfind("test.conf: ", 0), 0u);
  }
}

TEST(ConfigChecks, CompleteKeySourcesPass) {
  parseOk("Mode s\nDomain example.com\nSelector s\nKeyFile /k");
  parseOk("Mode s\nKeyFile /etc/domainkeys/%/default");
  parseOk("Mode s\nKeyDirectory /etc/domainkeys");
  parseOk("Mode s\nKeyTable /kt\nSigningTable refile:/st");
  parseOk("Mode v\nMultipleSignatures yes");  // without SigningTable: fine
}

TEST(ConfigChecks, SingleKeyLinesBesideAKeyTableAreIgnoredWithAWarning) {
  const MilterConfig c = parseOk("KeyTable /kt\nSigningTable /st\nDomain example.com\nKeyFile /k\n");
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_NE(c.warnings[0].find("Domain is ignored because KeyTable is set"), std::string::npos);
  EXPECT_NE(c.warnings[1].find("KeyFile is ignored"), std::string::npos);
}

// --- Files ---

TEST(ConfigFiles, LoadConfigNamesTheFile) {
  TempDir dir;
  const std::string path = dir.write("signet.conf", "Mode v\nBogus 1\n", 0644);
  auto config = loadConfig(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().text(), path + ":2: unknown key \"Bogus\"");
  auto missing = loadConfig(dir / "none.conf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().file, dir / "none.conf");
}

TEST(ConfigFiles, TheShippedExampleParses) {
  const std::string path = std::string(SIGNET_TEST_DATA_DIR) + "/../../packaging/signet.conf.example";
  auto config = loadConfig(path);
  ASSERT_TRUE(config) << config.error().text();
  EXPECT_EQ(config->socket, "inet:8891@127.0.0.1");
  EXPECT_EQ(config->source, path);
}

TEST(ConfigFiles, TheShippedExampleDocumentsEveryKey) {
  const std::string text = test::readFixture("../../packaging/signet.conf.example");
  std::set<std::string> keys;
  for (const auto& c : goodCases("/tmp")) keys.insert(c.text.substr(0, c.text.find(' ')));
  for (const auto& key : keys) {
    const bool present =
        text.find("\n" + key + " ") != std::string::npos || text.find("\n#" + key + " ") != std::string::npos;
    EXPECT_TRUE(present) << key << " is missing from signet.conf.example";
  }
}

}  // namespace
}  // namespace signet::milter
