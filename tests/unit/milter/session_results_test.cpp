// Which arriving Authentication-Results and X-Authentication-Results fields
// signet-milter removes from verified mail (RFC 8601 section 5): those that
// claim our AuthservID, counted per field name from 1 as smfi_chgheader
// counts them, highest first; X-Authentication-Results only when
// XAuthenticationResults adds ours; none with KeepAuthResults.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session_test_support.h"

namespace signet::milter {
namespace {

class SessionResultsTest : public SessionTest {
 protected:
  // Authentication-Results #1, #3, #4 and X-Authentication-Results #2 claim
  // mx.test; the others belong to someone else.
  static Fields forged() {
    return {{"Authentication-Results", " mx.test; dkim=pass header.d=example.com"},
            {"X-Authentication-Results", " other.example; dkim=pass header.d=example.com"},
            {"Authentication-Results", " other.example; dkim=fail"},
            {"From", " joe@example.com"},
            {"X-Authentication-Results", " MX.TEST; dkim=pass header.d=example.com"},
            {"Authentication-Results", " (forged)\n\tmx.test 1; dkim=pass"},
            {"Authentication-Results", " \"mx.test\"; spf=pass smtp.mailfrom=example.com"},
            {"Authentication-Results", " mx.test.example.net; dkim=pass"},
            {"Subject", " hello"}};
  }

  static std::vector<std::string> removals(const Outcome& o) {
    std::vector<std::string> out;
    for (const auto& r : o.removals) out.push_back(r.name + " #" + std::to_string(r.index));
    return out;
  }
};

TEST_F(SessionResultsTest, OursAreRemovedHighestFirst) {
  build("");
  const Outcome o = run(forged(), "body\r\n");
  EXPECT_EQ(removals(o), (std::vector<std::string>{"Authentication-Results #4", "Authentication-Results #3",
                                                   "Authentication-Results #1"}))
      << o.log_line;
  EXPECT_NE(insertedResults(o).find("mx.test;"), std::string::npos);
}

TEST_F(SessionResultsTest, XAuthenticationResultsTooWhenWeAddIt) {
  build("XAuthenticationResults yes\n");
  const Outcome o = run(forged(), "body\r\n");
  EXPECT_EQ(removals(o),
            (std::vector<std::string>{"Authentication-Results #4", "Authentication-Results #3",
                                      "Authentication-Results #1", "X-Authentication-Results #2"}))
      << o.log_line;
}

TEST_F(SessionResultsTest, KeepAuthResultsRemovesNothing) {
  build("XAuthenticationResults yes\nKeepAuthResults yes\n");
  const Outcome o = run(forged(), "body\r\n");
  EXPECT_TRUE(o.removals.empty());
}

TEST_F(SessionResultsTest, CountsStartAgainWithEachMessage) {
  build("XAuthenticationResults yes\n");
  Session session(*holder_);
  session.connect("localhost", nullptr);
  const Fields fields = {{"X-Authentication-Results", " elsewhere.example; none"},
                         {"X-Authentication-Results", " mx.test; dkim=pass"},
                         {"Authentication-Results", " mx.test; dkim=pass"},
                         {"From", " joe@example.com"}};
  for (int n = 0; n < 2; ++n) {
    const Outcome o = message(session, fields, "", "Q" + std::to_string(n));
    EXPECT_EQ(removals(o),
              (std::vector<std::string>{"Authentication-Results #1", "X-Authentication-Results #2"}))
        << "message " << n;
  }
}

}  // namespace
}  // namespace signet::milter
