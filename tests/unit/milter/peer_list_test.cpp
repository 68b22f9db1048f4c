// InternalHosts / ExternalIgnoreList entries and matching (opendkim.conf(5)
// PeerList rules: names first, then the address, most specific entry wins,
// "!" wins a tie), milter socket specs, and '*' patterns.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config.h"
#include "config_test_support.h"

namespace signet::milter {
namespace {

using test::socketAddress;
using test::TempDir;

std::vector<Network> list(std::initializer_list<const char*> entries) {
  std::vector<Network> out;
  for (const char* e : entries) {
    auto n = parseNetwork(e);
    if (!n)
      ADD_FAILURE() << e << ": " << n.error();
    else
      out.push_back(*n);
  }
  return out;
}

bool matchesAddress(const std::vector<Network>& l, const std::string& address, std::string_view name = "") {
  const sockaddr_storage storage = socketAddress(address);
  return matches(l, reinterpret_cast<const sockaddr*>(&storage), name);
}

// --- Entries ---

TEST(PeerListEntries, ParseAddressesNetworksAndNames) {
  const struct {
    const char* text;
    int family;
    int prefix;
    bool negated;
    const char* hostname;
  } cases[] = {
      {"127.0.0.1", AF_INET, 32, false, ""},
      {"10.0.0.0/8", AF_INET, 8, false, ""},
      {"!192.0.2.1", AF_INET, 32, true, ""},
      {"[192.0.2.1]", AF_INET, 32, false, ""},
      {"::1", AF_INET6, 128, false, ""},
      {"2001:DB8::/32", AF_INET6, 32, false, ""},
      {"[2001:db8::1]/64", AF_INET6, 64, false, ""},
      {"::ffff:192.0.2.0/120", AF_INET, 24, false, ""},
      {"Mail.Example.COM.", 0, 0, false, "mail.example.com"},
      {".example.com", 0, 0, false, ".example.com"},
      {"!*.dialup.example.net", 0, 0, true, "*.dialup.example.net"},
      {"localhost", 0, 0, false, "localhost"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto n = parseNetwork(c.text);
    ASSERT_TRUE(n) << n.error();
    EXPECT_EQ(n->family, c.family);
    EXPECT_EQ(n->prefix, c.prefix);
    EXPECT_EQ(n->negated, c.negated);
    EXPECT_EQ(n->hostname, c.hostname);
    EXPECT_EQ(n->text, c.text);
  }
}

TEST(PeerListEntries, RefuseMalformedEntries) {
  const struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"", "empty"},
      {"!", "empty"},
      {"10.0.0.0/33", "0 to 32"},
      {"10.0.0.0/", "0 to 32"},
      {"10.0.0.0/8x", "0 to 32"},
      {"::/129", "0 to 128"},
      {"192.0.2/24", "IPv4 or IPv6 address before '/'"},
      {"192.0.2", "dotted-quad"},
      {"[mail.example.com]", "IP address inside [ ]"},
      {"host name", "host name"},
      {"bad$host", "host name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto n = parseNetwork(c.text);
    ASSERT_FALSE(n);
    EXPECT_NE(n.error().find(c.expected), std::string::npos) << n.error();
  }
}

TEST(PeerListEntries, HostBitsOfANetworkAreIgnored) {
  // OpenDKIM would never match "192.168.0.1/24"; the intent is the /24.
  const auto l = list({"192.168.0.1/24"});
  EXPECT_TRUE(matchesAddress(l, "192.168.0.200"));
  EXPECT_FALSE(matchesAddress(l, "192.168.1.1"));
}

// --- Matching addresses ---

TEST(PeerListMatching, Ipv4AddressesAndNetworks) {
  const auto l = list({"127.0.0.1", "10.0.0.0/8", "172.16.0.0/12"});
  EXPECT_TRUE(matchesAddress(l, "127.0.0.1"));
  EXPECT_FALSE(matchesAddress(l, "127.0.0.2"));
  EXPECT_TRUE(matchesAddress(l, "10.255.1.2"));
  EXPECT_TRUE(matchesAddress(l, "172.31.255.255"));
  EXPECT_FALSE(matchesAddress(l, "172.32.0.0"));
  EXPECT_FALSE(matchesAddress(l, "192.0.2.1"));
  EXPECT_FALSE(matchesAddress(l, "::1"));
}

TEST(PeerListMatching, Ipv6AddressesAndNetworks) {
  const auto l = list({"::1", "2001:db8:1::/48", "fe80::/10"});
  EXPECT_TRUE(matchesAddress(l, "::1"));
  EXPECT_TRUE(matchesAddress(l, "2001:db8:1:ffff::5"));
  EXPECT_FALSE(matchesAddress(l, "2001:db8:2::5"));
  EXPECT_TRUE(matchesAddress(l, "febf::1"));
  EXPECT_FALSE(matchesAddress(l, "fec0::1"));
  EXPECT_FALSE(matchesAddress(l, "127.0.0.1"));
}

TEST(PeerListMatching, Ipv4MappedIpv6ClientsMatchIpv4Entries) {
  const auto l = list({"127.0.0.1", "192.0.2.0/24", "!192.0.2.66"});
  EXPECT_TRUE(matchesAddress(l, "::ffff:127.0.0.1"));
  EXPECT_TRUE(matchesAddress(l, "::ffff:192.0.2.9"));
  EXPECT_FALSE(matchesAddress(l, "::ffff:192.0.2.66"));
  EXPECT_FALSE(matchesAddress(l, "::ffff:198.51.100.1"));
  // ...and a mapped entry matches a plain IPv4 client.
  EXPECT_TRUE(matchesAddress(list({"::ffff:198.51.100.0/120"}), "198.51.100.7"));
}

TEST(PeerListMatching, TheMostSpecificEntryWinsWhateverTheOrder) {
  // opendkim.conf(5): "192.168.1.1" matches before "!192.168.1.0/24".
  for (const auto& l : {list({"!192.168.1.0/24", "192.168.1.1", "192.168.0.0/16"}),
                        list({"192.168.0.0/16", "192.168.1.1", "!192.168.1.0/24"})}) {
    EXPECT_TRUE(matchesAddress(l, "192.168.1.1"));
    EXPECT_FALSE(matchesAddress(l, "192.168.1.2"));
    EXPECT_TRUE(matchesAddress(l, "192.168.2.1"));
  }
  const auto v6 = list({"2001:db8::/32", "!2001:db8:bad::/48"});
  EXPECT_TRUE(matchesAddress(v6, "2001:db8:1::1"));
  EXPECT_FALSE(matchesAddress(v6, "2001:db8:bad::1"));
}

TEST(PeerListMatching, NegationWinsATie) {
  EXPECT_FALSE(matchesAddress(list({"10.0.0.0/8", "!10.0.0.0/8"}), "10.1.1.1"));
  EXPECT_FALSE(matchesAddress(list({"!10.0.0.0/8", "10.0.0.0/8"}), "10.1.1.1"));
}

TEST(PeerListMatching, NoAddressMatchesNothingButNames) {
  const auto l = list({"0.0.0.0/0", "::/0", "mail.example.com"});
  EXPECT_FALSE(matches(l, nullptr, ""));
  EXPECT_TRUE(matches(l, nullptr, "mail.example.com"));
  EXPECT_TRUE(matchesAddress(l, "203.0.113.5"));
  EXPECT_TRUE(matchesAddress(l, "2001:db8::5"));
}

// --- Matching names ---

TEST(PeerListMatching, HostNamesExactlyAndByDomain) {
  const auto l = list({"mail.example.com", ".corp.example.net", "localhost"});
  const sockaddr_storage outside = socketAddress("203.0.113.9");
  const auto* sa = reinterpret_cast<const sockaddr*>(&outside);
  EXPECT_TRUE(matches(l, sa, "mail.example.com"));
  EXPECT_TRUE(matches(l, sa, "MAIL.Example.com."));
  EXPECT_FALSE(matches(l, sa, "smtp.mail.example.com"));  // no leading '.': that name only
  EXPECT_FALSE(matches(l, sa, "example.com"));
  EXPECT_TRUE(matches(l, sa, "a.b.corp.example.net"));
  EXPECT_FALSE(matches(l, sa, "corp.example.net"));  // ".domain" is for names below it
  EXPECT_TRUE(matches(l, sa, "localhost"));
  EXPECT_FALSE(matches(l, sa, "[203.0.113.9]"));  // the MTA's "no name" form is not a name
  EXPECT_FALSE(matches(l, sa, ""));
}

TEST(PeerListMatching, NegatedNamesExcludeAndAreFinal) {
  const auto l = list({".example.com", "!guest.example.com", "192.0.2.0/24"});
  const sockaddr_storage inside = socketAddress("192.0.2.10");
  const auto* sa = reinterpret_cast<const sockaddr*>(&inside);
  EXPECT_TRUE(matches(l, sa, "mail.example.com"));
  EXPECT_FALSE(matches(l, sa, "guest.example.com"));  // the address would match; the "!" name decides
  EXPECT_TRUE(matches(l, sa, "other.example.org"));   // no name entry: the address decides
}

TEST(PeerListMatching, PatternsMatchNamesAndAddressText) {
  const auto l = list({"!*.dyn.example.com", "*.example.com", "192.168.*"});
  const sockaddr_storage outside = socketAddress("203.0.113.9");
  const auto* sa = reinterpret_cast<const sockaddr*>(&outside);
  EXPECT_TRUE(matches(l, sa, "mx1.example.com"));
  EXPECT_FALSE(matches(l, sa, "host7.dyn.example.com"));  // the first pattern that matches decides
  EXPECT_FALSE(matches(l, sa, "example.org"));
  EXPECT_TRUE(matchesAddress(l, "192.168.44.1"));
  EXPECT_FALSE(matchesAddress(l, "192.169.0.1"));
}

TEST(PeerListMatching, ListsFromAFileWithNegation) {
  TempDir dir;
  const std::string file = dir.write("internal",
                                     "# internal hosts\n"
                                     "127.0.0.1\n"
                                     "::1\n"
                                     "10.0.0.0/8\n"
                                     "!10.66.0.0/16   # the lab\n"
                                     "10.66.1.1\n"
                                     "2001:db8:10::/48\n"
                                     ".mail.example.com\n");
  auto config = parseConfig("InternalHosts file:" + file + "\n", "test.conf");
  ASSERT_TRUE(config) << config.error().text();
  const auto& l = config->internal_hosts;
  EXPECT_TRUE(matchesAddress(l, "127.0.0.1"));
  EXPECT_TRUE(matchesAddress(l, "::ffff:10.1.2.3"));
  EXPECT_FALSE(matchesAddress(l, "10.66.7.7"));
  EXPECT_TRUE(matchesAddress(l, "10.66.1.1"));
  EXPECT_TRUE(matchesAddress(l, "2001:db8:10:1::25"));
  EXPECT_FALSE(matchesAddress(l, "2001:db8:11::25"));
  EXPECT_TRUE(matchesAddress(l, "198.51.100.1", "out1.mail.example.com"));
  EXPECT_FALSE(matchesAddress(l, "198.51.100.1", "mail.example.com"));
}

// --- Socket specs ---

TEST(SocketSpecs, AcceptTheMilterForms) {
  const struct {
    const char* text;
    SocketSpec::Kind kind;
    const char* host;
    int port;
    const char* path;
  } cases[] = {
      {"inet:8891@127.0.0.1", SocketSpec::Kind::inet, "127.0.0.1", 8891, ""},
      {"inet:8891@localhost", SocketSpec::Kind::inet, "localhost", 8891, ""},
      {"inet:8891", SocketSpec::Kind::inet, "", 8891, ""},
      {"INET:25@[192.0.2.1]", SocketSpec::Kind::inet, "192.0.2.1", 25, ""},
      {"inet6:8891@::1", SocketSpec::Kind::inet6, "::1", 8891, ""},
      {"inet6:8891@[2001:db8::1]", SocketSpec::Kind::inet6, "2001:db8::1", 8891, ""},
      {"local:/run/signet/signet.sock", SocketSpec::Kind::local, "", 0, "/run/signet/signet.sock"},
      {"unix:/var/spool/postfix/signet/sock", SocketSpec::Kind::local, "", 0,
       "/var/spool/postfix/signet/sock"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto spec = parseSocketSpec(c.text);
    ASSERT_TRUE(spec) << spec.error();
    EXPECT_EQ(spec->kind, c.kind);
    EXPECT_EQ(spec->host, c.host);
    EXPECT_EQ(spec->port, c.port);
    EXPECT_EQ(spec->path, c.path);
  }
}

TEST(SocketSpecs, RefuseMalformedForms) {
  const struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"8891", "expected inet:PORT@HOST"},
      {"/run/signet.sock", "expected inet:PORT@HOST"},
      {"tcp:8891@localhost", "expected inet:PORT@HOST"},
      {"inet:@localhost", "port number"},
      {"inet:0@localhost", "port number"},
      {"inet:65536@localhost", "port number"},
      {"inet:http@localhost", "port number"},
      {"inet:8891@", "host name or address"},
      {"inet:8891@::1", "needs inet6:"},
      {"inet6:8891@127.0.0.1", "needs inet:"},
      {"inet:8891@bad host", "host name or an IP address"},
      {"inet:8891@300.1.1.1", "host name or an IP address"},
      {"local:", "absolute path"},
      {"unix:relative/sock", "absolute path"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto spec = parseSocketSpec(c.text);
    ASSERT_FALSE(spec);
    EXPECT_NE(spec.error().find(c.expected), std::string::npos) << spec.error();
  }
}

// --- Patterns ---

TEST(WildcardPatterns, StarMatchesAnyRunCaseInsensitively) {
  EXPECT_TRUE(wildcardMatch("*", ""));
  EXPECT_TRUE(wildcardMatch("*@example.com", "alice@Example.COM"));
  EXPECT_TRUE(wildcardMatch("*@example.com", "@example.com"));
  EXPECT_FALSE(wildcardMatch("*@example.com", "alice@sub.example.com"));
  EXPECT_TRUE(wildcardMatch("*@*.example.com", "bob@mail.example.com"));
  EXPECT_FALSE(wildcardMatch("*@*.example.com", "bob@example.com"));
  EXPECT_TRUE(wildcardMatch("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(wildcardMatch("a*b*c", "aXXbYYbZ"));
  EXPECT_TRUE(wildcardMatch("exact", "EXACT"));
  EXPECT_FALSE(wildcardMatch("exact", "exact1"));
  EXPECT_TRUE(wildcardMatch("**x**", "x"));
}

}  // namespace
}  // namespace signet::milter
