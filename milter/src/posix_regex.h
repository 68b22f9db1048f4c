// A POSIX extended regular expression (regcomp(3)), as OpenARC's
// SealHeaderChecks uses, owned by RAII. std::regex is avoided: GCC 12 warns
// inside its headers at -O2, and its dialects differ from regcomp's.
#pragma once

#include <regex.h>

#include <memory>
#include <optional>
#include <string>

namespace signet::milter {

class PosixRegex {
 public:
  // The expression, or the reason it does not compile.
  static std::optional<PosixRegex> compile(const std::string& expression, std::string& error) {
    auto re = std::make_shared<Compiled>();
    const int rc = regcomp(&re->value, expression.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char text[256] = {};
      regerror(rc, &re->value, text, sizeof text);
      error = text;
      re->compiled = false;
      return std::nullopt;
    }
    return PosixRegex(std::move(re));
  }

  bool search(const std::string& text) const { return regexec(&re_->value, text.c_str(), 0, nullptr, 0) == 0; }

 private:
  struct Compiled {
    regex_t value{};
    bool compiled = true;
    Compiled() = default;
    Compiled(const Compiled&) = delete;
    Compiled& operator=(const Compiled&) = delete;
    ~Compiled() {
      if (compiled) regfree(&value);
    }
  };
  explicit PosixRegex(std::shared_ptr<Compiled> re) : re_(std::move(re)) {}
  std::shared_ptr<Compiled> re_;
};

}  // namespace signet::milter
