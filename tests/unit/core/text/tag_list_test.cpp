// The tag=value list (RFC 6376 section 3.2): white space and folding around
// tags and values, the trailing ";", empty values, the errors (duplicate tag,
// tag without "=", invalid name, invalid value byte), the limits, and the raw
// value region each tag remembers (what section 3.7 blanks for b=).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "signet/tag_list.h"

namespace signet {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairsOf(const TagList& list) {
  Pairs out;
  for (const auto& tag : list.tags()) out.emplace_back(tag.name, tag.value);
  return out;
}

struct ValidCase {
  const char* what;
  std::string text;
  Pairs expected;
};

TEST(TagListRfc6376, Section3_2ValidLists) {
  const std::vector<ValidCase> cases = {
      {"simple", "a=1; b=2", {{"a", "1"}, {"b", "2"}}},
      {"no spaces", "a=1;b=2", {{"a", "1"}, {"b", "2"}}},
      {"trailing semicolon", "a=1; b=2;", {{"a", "1"}, {"b", "2"}}},
      {"trailing semicolon and FWS", "a=1; b=2; \r\n\t", {{"a", "1"}, {"b", "2"}}},
      {"WSP around name and =", " a = 1 ;\tb\t=\t2\t", {{"a", "1"}, {"b", "2"}}},
      {"folding before a tag", "a=1;\r\n b=2", {{"a", "1"}, {"b", "2"}}},
      {"folding around =", "a\r\n =\r\n 1", {{"a", "1"}}},
      {"inner FWS kept", "b=abc\r\n def ghi", {{"b", "abc\r\n def ghi"}}},
      {"empty value", "a=; b=2", {{"a", ""}, {"b", "2"}}},
      {"empty value at end", "a=1; b=", {{"a", "1"}, {"b", ""}}},
      {"value of only FWS", "a= \r\n ;b=2", {{"a", ""}, {"b", "2"}}},
      {"equals inside value", "bh=abc==; x=a=b", {{"bh", "abc=="}, {"x", "a=b"}}},
      {"colons and slashes", "h=from : to; q=dns/txt", {{"h", "from : to"}, {"q", "dns/txt"}}},
      {"name with digit and _", "a1_b=x", {{"a1_b", "x"}}},
      {"names are case-sensitive", "a=1; A=2", {{"a", "1"}, {"A", "2"}}},
      {"every VALCHAR", "v=!\"#$%&'()*+,-./0123456789:<=>?@[\\]^_`{|}~",
       {{"v", "!\"#$%&'()*+,-./0123456789:<=>?@[\\]^_`{|}~"}}},
      {"empty list", "", {}},
      {"only FWS", "  \r\n ", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto list = TagList::parse(c.text);
    ASSERT_TRUE(list.has_value()) << list.error().message();
    EXPECT_EQ(pairsOf(*list), c.expected);
  }
}

struct InvalidCase {
  const char* what;
  std::string text;
  std::string where;
  std::string why;
};

TEST(TagListRfc6376, Section3_2InvalidLists) {
  const std::vector<InvalidCase> cases = {
      {"duplicate tag", "a=1; b=2; a=3", "tag a", "appears twice"},
      {"duplicate with other spacing", "d=x;\r\n d =y", "tag d", "appears twice"},
      {"tag without =", "a=1; b", "tag list", "tag without '='"},
      {"only a name", "abc", "tag list", "tag without '='"},
      {"empty tag between", "a=1;; b=2", "tag list", "empty tag"},
      {"empty tag of FWS", "a=1; \r\n ; b=2", "tag list", "empty tag"},
      {"leading ;", "; a=1", "tag list", "empty tag"},
      {"name starts with digit", "1a=x", "tag list", "invalid tag name"},
      {"name starts with _", "_a=x", "tag list", "invalid tag name"},
      {"name with -", "a-b=x", "tag list", "invalid tag name"},
      {"name with space", "a b=x", "tag list", "invalid tag name"},
      {"empty name", "=x", "tag list", "invalid tag name"},
      {"8-bit name", "\xc3\xa9=x", "tag list", "invalid tag name"},
      {"control byte in value", "a=x\x01y", "tag a", "invalid character in value"},
      {"DEL in value", "a=x\x7f", "tag a", "invalid character in value"},
      {"8-bit byte in value", "a=caf\xc3\xa9", "tag a", "invalid character in value"},
      {"NUL in value", std::string("a=x\0y", 5), "tag a", "invalid character in value"},
      {"VT in value", "a=x\vy", "tag a", "invalid character in value"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const auto list = TagList::parse(c.text);
    ASSERT_FALSE(list.has_value());
    EXPECT_EQ(list.error().where, c.where);
    EXPECT_EQ(list.error().why, c.why);
  }
}

TEST(TagListRfc6376, ErrorsDoNotEchoValues) {
  const auto list = TagList::parse("p=sekrit\x01value");
  ASSERT_FALSE(list.has_value());
  EXPECT_EQ(list.error().message().find("sekrit"), std::string::npos);
}

// --- limits ---

TEST(TagListLimits, MaxTagsCrossedIsAnError) {
  const TagListLimits limits{65536, 3};
  EXPECT_TRUE(TagList::parse("a=1; b=2; c=3", limits).has_value());
  EXPECT_TRUE(TagList::parse("a=1; b=2; c=3;", limits).has_value());
  const auto over = TagList::parse("a=1; b=2; c=3; d=4", limits);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().where, "tag list");
  EXPECT_EQ(over.error().why, "more tags than the limit");
}

TEST(TagListLimits, DefaultMaxTagsIs64) {
  std::string text;
  for (int i = 0; i < 64; ++i) text += "t" + std::to_string(i) + "=x;";
  EXPECT_TRUE(TagList::parse(text).has_value());
  text += "t64=x";
  const auto over = TagList::parse(text);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().why, "more tags than the limit");
}

TEST(TagListLimits, MaxBytesCrossedIsAnError) {
  const std::string text = "a=1; b=22";  // 9 bytes
  EXPECT_TRUE(TagList::parse(text, TagListLimits{9, 64}).has_value());
  const auto over = TagList::parse(text, TagListLimits{8, 64});
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().where, "tag list");
  EXPECT_EQ(over.error().why, "longer than the limit");
  // Trailing FWS counts too: the limit is on the raw bytes.
  EXPECT_FALSE(TagList::parse(text + " ", TagListLimits{9, 64}).has_value());
}

// --- value regions ---

struct Region {
  std::string name;
  std::size_t offset;
  std::size_t length;
};

TEST(TagListRegions, ValueOffsetAndLengthCoverTheRawValue) {
  // Offsets: 'a' value from 4 (" 1 "), 'b' from 10 ("\r\n\tx y\t"), 'c' at 20 (empty).
  const std::string text = " a = 1 ;b=\r\n\tx y\t;c=";
  const auto list = TagList::parse(text);
  ASSERT_TRUE(list.has_value()) << list.error().message();
  const std::vector<Region> expected = {{"a", 4, 3}, {"b", 10, 7}, {"c", 20, 0}};
  ASSERT_EQ(list->tags().size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Tag& tag = list->tags()[i];
    SCOPED_TRACE(tag.name);
    EXPECT_EQ(tag.name, expected[i].name);
    EXPECT_EQ(tag.value_offset, expected[i].offset);
    EXPECT_EQ(tag.value_length, expected[i].length);
  }
  EXPECT_EQ(text.substr(4, 3), " 1 ");
  EXPECT_EQ(text.substr(10, 7), "\r\n\tx y\t");
  EXPECT_EQ(list->tags()[1].value, "x y");
}

TEST(TagListRegions, RegionOfEveryTagEndsAtItsSemicolon) {
  const std::string text = "v=1; a=rsa-sha256; b=dGVz\r\n dA==; bh=YWJj;";
  const auto list = TagList::parse(text);
  ASSERT_TRUE(list.has_value());
  for (const auto& tag : list->tags()) {
    SCOPED_TRACE(tag.name);
    // Just after the '=' ...
    ASSERT_GT(tag.value_offset, 0u);
    EXPECT_EQ(text[tag.value_offset - 1], '=');
    // ... up to the ';' (or the end).
    const std::size_t end = tag.value_offset + tag.value_length;
    ASSERT_LE(end, text.size());
    EXPECT_TRUE(end == text.size() || text[end] == ';');
  }
  const Tag* b = list->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(text.substr(b->value_offset, b->value_length), "dGVz\r\n dA==");
}

// --- look-ups and helpers ---

TEST(TagListLookup, FindAndValue) {
  const auto list = TagList::parse("v=1; d=example.com; s=");
  ASSERT_TRUE(list.has_value());
  ASSERT_NE(list->find("d"), nullptr);
  EXPECT_EQ(list->find("d")->value, "example.com");
  EXPECT_EQ(list->find("x"), nullptr);
  EXPECT_EQ(list->find("D"), nullptr);  // case-sensitive
  EXPECT_EQ(list->value("v"), std::optional<std::string_view>("1"));
  EXPECT_EQ(list->value("s"), std::optional<std::string_view>(""));
  EXPECT_EQ(list->value("x"), std::nullopt);
}

TEST(TagListHelpers, StripWhitespace) {
  EXPECT_EQ(stripWhitespace(" a b\r\n\tc \t"), "abc");
  EXPECT_EQ(stripWhitespace(""), "");
  EXPECT_EQ(stripWhitespace("\r\n "), "");
  EXPECT_EQ(stripWhitespace("x\vy"), "x\vy");  // only FWS goes
}

TEST(TagListHelpers, SplitColonList) {
  using V = std::vector<std::string>;
  EXPECT_EQ(splitColonList("from : to :\r\n subject"), (V{"from", "to", "subject"}));
  EXPECT_EQ(splitColonList("from"), (V{"from"}));
  EXPECT_EQ(splitColonList(""), (V{""}));
  EXPECT_EQ(splitColonList("a::b"), (V{"a", "", "b"}));
  EXPECT_EQ(splitColonList("a:"), (V{"a", ""}));
  EXPECT_EQ(splitColonList(":a"), (V{"", "a"}));
  EXPECT_EQ(splitColonList("y : s"), (V{"y", "s"}));
}

}  // namespace
}  // namespace signet

// RFC 6376 section 3.2 (errata 5070): one trailing ";" ends a list; an empty
// tag-spec anywhere else is an error.
TEST(TagListRfc6376, Section3_2OnlyOneTrailingSemicolon) {
  EXPECT_TRUE(signet::TagList::parse("a=1;").has_value());
  EXPECT_TRUE(signet::TagList::parse("a=1; ").has_value());
  EXPECT_FALSE(signet::TagList::parse("a=1;;").has_value());
  EXPECT_FALSE(signet::TagList::parse("a=1; ;").has_value());
  EXPECT_FALSE(signet::TagList::parse(";a=1").has_value());
  EXPECT_FALSE(signet::TagList::parse("a=1;;b=2").has_value());
}
