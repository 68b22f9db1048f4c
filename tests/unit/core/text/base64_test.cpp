// Base64 (RFC 4648 section 4, the test vectors of section 10) as DKIM uses it
// in b=, bh= and p= (RFC 6376 section 2.6): folding white space inside a value
// is skipped, anything else outside the alphabet is an error, and so are bad
// padding and a truncated value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signet/base64.h"

namespace signet {
namespace {

struct Vector {
  std::string bytes;
  std::string text;
};

// RFC 4648 section 10.
const std::vector<Vector> kRfc4648Vectors = {
    {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

TEST(Base64Rfc4648, Section10VectorsEncode) {
  for (const auto& v : kRfc4648Vectors) {
    SCOPED_TRACE(v.bytes);
    EXPECT_EQ(encodeBase64(v.bytes), v.text);
  }
}

TEST(Base64Rfc4648, Section10VectorsDecode) {
  for (const auto& v : kRfc4648Vectors) {
    SCOPED_TRACE(v.text);
    const auto decoded = parseBase64(v.text);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    EXPECT_EQ(*decoded, v.bytes);
  }
}

TEST(Base64Rfc4648, WholeAlphabetAndBinaryBytes) {
  // Every 6-bit value once, '+' and '/' included.
  const std::string text = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto decoded = parseBase64(text);
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->size(), 48u);
  EXPECT_EQ(static_cast<unsigned char>((*decoded)[0]), 0x00);
  EXPECT_EQ(static_cast<unsigned char>((*decoded)[1]), 0x10);
  EXPECT_EQ(static_cast<unsigned char>((*decoded)[2]), 0x83);
  EXPECT_EQ(static_cast<unsigned char>((*decoded)[47]), 0xbf);
  EXPECT_EQ(encodeBase64(*decoded), text);

  EXPECT_EQ(encodeBase64(std::string("\xff\xfe\xfd", 3)), "//79");
  EXPECT_EQ(encodeBase64(std::string("\xfb\xef", 2)), "++8=");
  EXPECT_EQ(encodeBase64(std::string(1, '\0')), "AA==");
}

TEST(Base64Rfc4648, RoundTripOfEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>((i * 37 + 11) & 0xff));
    const std::string text = encodeBase64(bytes);
    ASSERT_EQ(text.size(), (bytes.size() + 2) / 3 * 4);
    const auto back = parseBase64(text);
    ASSERT_TRUE(back.has_value()) << "length " << bytes.size();
    ASSERT_EQ(*back, bytes) << "length " << bytes.size();
  }
}

// RFC 6376 section 2.6: FWS may appear anywhere in a base64 value.
TEST(Base64Dkim, FoldingWhiteSpaceIsSkipped) {
  const std::vector<std::string> texts = {
      "Zm9v YmFy",       " Zm9vYmFy ",     "Zm9v\r\n YmFy",  "Z m 9 v Y m F y",  "Zm9v\tYmFy",
      "Zm9v\r\n\tYm\r\n Fy", "Zm\n9vYmFy",  "Zm9vYmFy\r\n ", "\t\tZm9vYmFy",
  };
  for (const auto& text : texts) {
    SCOPED_TRACE(text);
    const auto decoded = parseBase64(text);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
    EXPECT_EQ(*decoded, "foobar");
  }
  const auto padded = parseBase64("Zm9v Yg =\r\n =");
  ASSERT_TRUE(padded.has_value());
  EXPECT_EQ(*padded, "foob");
  const auto only_space = parseBase64(" \r\n\t ");
  ASSERT_TRUE(only_space.has_value());
  EXPECT_EQ(*only_space, "");
}

struct Invalid {
  std::string text;
  std::string why;
};

TEST(Base64Dkim, InvalidValuesAreErrors) {
  const std::vector<Invalid> cases = {
      // A byte outside the alphabet (RFC 4648 section 3.3: reject).
      {"Zm9v!mFy", "invalid character"},
      {"Zm9v-mFy", "invalid character"},   // base64url is not base64
      {"Zm9v_mFy", "invalid character"},
      {"Zm9v.mFy", "invalid character"},
      {"Zm9v;", "invalid character"},
      {std::string("Zm9v\0YmFy", 9), "invalid character"},
      {"Zm9v\xc3\xa9mFy", "invalid character"},
      {"Zm9v\vYmFy", "invalid character"},  // VT is not FWS
      // Truncated: the symbols do not make whole groups of four.
      {"Zm9vY", "truncated value"},
      {"Zm9vYm", "truncated value"},
      {"Zm9vYmF", "truncated value"},
      {"Z", "truncated value"},
      {"Zg=", "truncated value"},
      {"Zg===", "too much padding"},
      // Padding in the wrong place or too much of it.
      {"Zg==Zm9v", "data after padding"},
      {"Zm=9v", "data after padding"},
      {"=Zm9", "data after padding"},
      {"Z===", "too much padding"},
      {"====", "too much padding"},
      {"Zm9vZ===", "too much padding"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    const auto decoded = parseBase64(c.text);
    ASSERT_FALSE(decoded.has_value()) << "decoded to " << decoded->size() << " bytes";
    EXPECT_EQ(decoded.error().where, "base64");
    EXPECT_EQ(decoded.error().why, c.why);
  }
}

TEST(Base64Dkim, EveryByteOutsideTheAlphabetAndFwsIsRejected) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int rejected = 0;
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool fws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    const bool known = fws || c == '=' || alphabet.find(c) != std::string::npos;
    // The byte in the middle of an otherwise valid value.
    const auto decoded = parseBase64(std::string("Zm9v") + c + "YmFy");
    if (known) continue;
    SCOPED_TRACE(b);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().why, "invalid character");
    ++rejected;
  }
  EXPECT_EQ(rejected, 256 - 64 - 4 - 1);
}

TEST(Base64Dkim, PaddingOnlyAtTheEnd) {
  // "=" is allowed only as the last one or two symbols of the value, with
  // only FWS after it.
  EXPECT_TRUE(parseBase64("Zm8=").has_value());
  EXPECT_TRUE(parseBase64("Zm8= \r\n").has_value());
  EXPECT_TRUE(parseBase64("Zg==").has_value());
  for (const std::string text : {"Zm8=Zm8=", "Zg==Zg==", "Zm8=\r\n Zm9v", "Z=g="}) {
    SCOPED_TRACE(text);
    const auto decoded = parseBase64(text);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().why, "data after padding");
  }
}

TEST(Base64Dkim, ErrorMessageDoesNotEchoTheInput) {
  const auto decoded = parseBase64("secretsecret!");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "base64: invalid character");
  EXPECT_EQ(decoded.error().message().find("secret"), std::string::npos);
}

TEST(Base64Dkim, RealisticBodyHash) {
  // The bh= of RFC 8463 Appendix A decodes to a 32-byte SHA-256 digest.
  const auto bh = parseBase64("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
  ASSERT_TRUE(bh.has_value());
  EXPECT_EQ(bh->size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>((*bh)[0]), 0xda);
  EXPECT_EQ(static_cast<unsigned char>((*bh)[31]), 0xff);
  EXPECT_EQ(encodeBase64(*bh), "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
}

}  // namespace
}  // namespace signet
