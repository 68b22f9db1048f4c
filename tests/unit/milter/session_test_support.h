// A Session on an engine built from a few configuration lines, with the
// test keys of engine_test_support.h published on a FakeResolver, and one
// message at a time through it from an external client.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/engine/engine_test_support.h"
#include "config.h"
#include "engine.h"
#include "session.h"

namespace signet::milter {

// "Mode v", "AuthservID mx.test" and "On-InternalError reject", then `lines`.
inline MilterConfig configWith(const std::string& lines) {
  auto config = parseConfig("Mode v\nAuthservID mx.test\nOn-InternalError reject\n" + lines, "test.conf");
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().text());
  return config.value_or(MilterConfig{});
}

class SessionTest : public testing::Test {
 protected:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  void build(const std::string& lines) {
    resolver_ = std::make_shared<coretest::FakeResolver>();
    coretest::publishTestKeys(*resolver_);
    auto engine = Engine::build(configWith(lines), resolver_);
    ASSERT_TRUE(engine.has_value()) << engine.error().text();
    holder_ = std::make_unique<EngineHolder>(*engine);
  }

  // One message through a fresh session from an external client.
  Outcome run(const Fields& headers, const std::string& body) {
    Session session(*holder_);
    sockaddr_in client{};
    client.sin_family = AF_INET;
    client.sin_addr.s_addr = htonl(0xC0000201);  // 192.0.2.1
    session.connect("client.example.org", reinterpret_cast<const sockaddr*>(&client));
    return message(session, headers, body, "Q1");
  }

  // The next message on a session already connected.
  static Outcome message(Session& session, const Fields& headers, const std::string& body,
                         std::string_view queue_id) {
    session.mailFrom({});
    for (const auto& [name, value] : headers) session.header(name, value);
    session.endOfHeaders();
    if (!body.empty()) session.body(std::span<const char>(body.data(), body.size()));
    return session.endOfMessage(queue_id);
  }

  static std::string insertedResults(const Outcome& o) {
    for (const auto& i : o.inserts)
      if (i.name == "Authentication-Results") return i.value;
    return "";
  }

  std::shared_ptr<coretest::FakeResolver> resolver_;
  std::unique_ptr<EngineHolder> holder_;
};

}  // namespace signet::milter
