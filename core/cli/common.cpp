#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "signet/tag_list.h"
#include "signet/unbound_resolver.h"

namespace signet::cli {
namespace {

constexpr std::size_t kMemorySpool = 4 * 1024 * 1024;

bool listed(const std::vector<std::string_view>& names, std::string_view name) {
  for (auto n : names)
    if (n == name) return true;
  return false;
}

}  // namespace

std::expected<int, Failure> parseCount(const Argument& arg, int low, int high) {
  int value = 0;
  auto [p, ec] = std::from_chars(arg.value.data(), arg.value.data() + arg.value.size(), value);
  if (ec != std::errc() || p != arg.value.data() + arg.value.size() || value < low || value > high)
    return std::unexpected(Failure{kExitUsage, "--" + arg.name + " takes a number from " + std::to_string(low) +
                                                   " to " + std::to_string(high)});
  return value;
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  for (auto& part : splitColonList(text))
    if (!part.empty()) out.push_back(part);
  return out;
}

std::expected<std::shared_ptr<const PrivateKey>, Failure> loadPrivateKey(const std::string& path) {
  auto key = PrivateKey::load(path);
  if (!key) return std::unexpected(Failure{key.error().message.starts_with("cannot open") ? kExitNoInput : kExitData,
                                           key.error().message});
  return *key;
}

int report(const Failure& failure) {
  std::cerr << "signet: " << failure.message << "\n";
  return failure.exit_code;
}

std::expected<std::vector<Argument>, Failure> parseArguments(int argc, char** argv, int first,
                                                             const std::vector<std::string_view>& with_value,
                                                             const std::vector<std::string_view>& flags) {
  std::vector<Argument> out;
  for (int i = first; i < argc; ++i) {
    std::string_view word = argv[i];
    if (!word.starts_with("--"))
      return std::unexpected(Failure{kExitUsage, "unexpected argument '" + std::string(word) + "'"});
    word.remove_prefix(2);
    std::string value;
    bool inline_value = false;
    if (const auto eq = word.find('='); eq != std::string_view::npos) {
      value = std::string(word.substr(eq + 1));
      word = word.substr(0, eq);
      inline_value = true;
    }
    if (listed(flags, word)) {
      if (inline_value) return std::unexpected(Failure{kExitUsage, "--" + std::string(word) + " takes no value"});
      out.push_back({std::string(word), ""});
    } else if (listed(with_value, word)) {
      if (!inline_value) {
        if (i + 1 >= argc) return std::unexpected(Failure{kExitUsage, "--" + std::string(word) + " needs a value"});
        value = argv[++i];
      }
      out.push_back({std::string(word), value});
    } else {
      return std::unexpected(Failure{kExitUsage, "unknown option --" + std::string(word)});
    }
  }
  return out;
}

std::expected<bool, Failure> ResolverSettings::take(const Argument& arg) {
  if (arg.name == "nameserver") {
    nameservers.push_back(arg.value);
  } else if (arg.name == "resolver-conf") {
    resolver_config = arg.value;
  } else if (arg.name == "trust-anchor") {
    trust_anchor_file = arg.value;
  } else if (arg.name == "timeout") {
    char* end = nullptr;
    const double seconds = std::strtod(arg.value.c_str(), &end);
    if (end == arg.value.c_str() || *end != '\0' || seconds <= 0 || seconds > 300)
      return std::unexpected(Failure{kExitUsage, "--timeout takes seconds between 0 and 300"});
    timeout_ms = static_cast<int>(seconds * 1000);
  } else {
    return false;
  }
  return true;
}

std::expected<std::unique_ptr<Resolver>, Failure> ResolverSettings::build() const {
  UnboundOptions options;
  options.nameservers = nameservers;
  options.resolver_config = resolver_config;
  options.trust_anchor_file = trust_anchor_file;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  auto resolver = makeUnboundResolver(options);
  if (!resolver) return std::unexpected(Failure{kExitUsage, "resolver: " + resolver.error().message});
  return std::move(*resolver);
}

SpooledInput::SpooledInput() = default;
SpooledInput::~SpooledInput() {
  if (file_) std::fclose(file_);
}

std::expected<void, Failure> SpooledInput::readAll(std::FILE* in, MessageReader& reader) {
  std::string chunk(64 * 1024, '\0');
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), in);
    if (got > 0) {
      if (!file_ && memory_.size() + got > kMemorySpool) {
        file_ = std::tmpfile();
        if (!file_ || std::fwrite(memory_.data(), 1, memory_.size(), file_) != memory_.size())
          return std::unexpected(Failure{kExitIo, std::string("cannot spool the message: ") + std::strerror(errno)});
        memory_.clear();
        memory_.shrink_to_fit();
      }
      if (file_) {
        if (std::fwrite(chunk.data(), 1, got, file_) != got)
          return std::unexpected(Failure{kExitIo, std::string("cannot spool the message: ") + std::strerror(errno)});
      } else {
        memory_.append(chunk.data(), got);
      }
      if (auto r = reader.update(std::span<const char>(chunk.data(), got)); !r)
        return std::unexpected(Failure{kExitData, "message: " + r.error().message()});
    }
    if (got < chunk.size()) {
      if (std::ferror(in)) return std::unexpected(Failure{kExitIo, std::string("reading the message: ") + std::strerror(errno)});
      break;
    }
  }
  if (auto r = reader.finish(); !r) return std::unexpected(Failure{kExitData, "message: " + r.error().message()});
  return {};
}

std::expected<void, Failure> SpooledInput::writeTo(std::FILE* out) const {
  if (!file_) {
    if (std::fwrite(memory_.data(), 1, memory_.size(), out) != memory_.size())
      return std::unexpected(Failure{kExitIo, "writing the message failed"});
    return {};
  }
  std::rewind(file_);
  std::string chunk(64 * 1024, '\0');
  std::size_t got = 0;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), file_)) > 0)
    if (std::fwrite(chunk.data(), 1, got, out) != got) return std::unexpected(Failure{kExitIo, "writing the message failed"});
  return {};
}

std::string jsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", u);
          out += buffer;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace signet::cli
