// SocketSpec::text(): the written form back, and parsing it again gives the
// same socket.
#include "socket_spec.h"

#include <gtest/gtest.h>

namespace signet::milter_client {
namespace {

TEST(MilterClientSocketSpec, TextRoundTrips) {
  const std::pair<const char*, const char*> cases[] = {
      {"inet:8891@127.0.0.1", "inet:8891@127.0.0.1"},
      {"INET:25@[192.0.2.1]", "inet:25@192.0.2.1"},
      {"inet:8891", "inet:8891"},
      {"inet6:8891@[2001:db8::1]", "inet6:8891@2001:db8::1"},
      {"local:/run/signet/signet.sock", "unix:/run/signet/signet.sock"},
      {"unix:/var/spool/postfix/signet/sock", "unix:/var/spool/postfix/signet/sock"},
  };
  for (auto [written, text] : cases) {
    auto spec = parseSocketSpec(written);
    ASSERT_TRUE(spec.has_value()) << written << ": " << spec.error();
    EXPECT_EQ(spec->text(), text);
    auto again = parseSocketSpec(spec->text());
    ASSERT_TRUE(again.has_value()) << text;
    EXPECT_EQ(again->kind, spec->kind);
    EXPECT_EQ(again->host, spec->host);
    EXPECT_EQ(again->port, spec->port);
    EXPECT_EQ(again->path, spec->path);
  }
}

}  // namespace
}  // namespace signet::milter_client
