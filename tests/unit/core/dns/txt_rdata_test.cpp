// TXT rdata parsing (RFC 1035 section 3.3.14): character-strings joined,
// malformed rdata refused with a bounded read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signet/unbound_resolver.h"

namespace signet {
namespace {

std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

struct RdataCase {
  const char* name;
  std::string rdata;
  std::size_t max_bytes;
  bool ok;
  std::string joined;  // when ok
};

class TxtRdataTest : public ::testing::TestWithParam<RdataCase> {};

TEST_P(TxtRdataTest, ParsesOrRefuses) {
  const RdataCase& c = GetParam();
  const auto data = bytes(c.rdata);
  const auto parsed = parseTxtRdata(data, c.max_bytes);
  ASSERT_EQ(parsed.has_value(), c.ok) << (parsed ? *parsed : parsed.error().message());
  if (c.ok) {
    EXPECT_EQ(*parsed, c.joined);
  } else {
    EXPECT_EQ(parsed.error().where, "TXT rdata");
  }
}

const std::string k255(255, 'k');

INSTANTIATE_TEST_SUITE_P(
    Rfc1035Section3_3_14, TxtRdataTest,
    ::testing::Values(RdataCase{"one_string", std::string("\x05hello"), 100, true, "hello"},
                      RdataCase{"two_strings_joined", std::string("\x03v=D\x04KIM1"), 100, true, "v=DKIM1"},
                      RdataCase{"empty_string", std::string("\x00", 1), 100, true, ""},
                      RdataCase{"empty_between",
                                std::string("\x01"
                                            "a"
                                            "\x00"
                                            "\x01"
                                            "b",
                                            5),
                                100, true, "ab"},
                      RdataCase{"full_255", std::string("\xff") + k255, 1000, true, k255},
                      RdataCase{"exactly_the_limit",
                                std::string("\x02"
                                            "ab"
                                            "\x02"
                                            "cd"),
                                4, true, "abcd"},
                      RdataCase{"over_the_limit",
                                std::string("\x02"
                                            "ab"
                                            "\x02"
                                            "cd"),
                                3, false, ""},
                      RdataCase{"empty_rdata", std::string(), 100, false, ""},
                      RdataCase{"length_past_end", std::string("\x06hello"), 100, false, ""},
                      RdataCase{"second_length_past_end",
                                std::string("\x01"
                                            "a"
                                            "\x09"
                                            "bc"),
                                100, false, ""},
                      RdataCase{"length_byte_only", std::string("\x01"), 100, false, ""},
                      RdataCase{"255_claimed_254_present", std::string("\xff") + std::string(254, 'k'), 1000,
                                false, ""}),
    [](const ::testing::TestParamInfo<RdataCase>& param) { return std::string(param.param.name); });

TEST(TxtRdata, ErrorDoesNotEchoTheData) {
  const auto data = bytes(std::string("\x20secret-looking-bytes"));
  const auto parsed = parseTxtRdata(data, 100);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace signet
