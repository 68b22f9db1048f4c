#include "ascii.h"
#include "settings.h"

#include <algorithm>
#include <charconv>

namespace signet::qmail {
namespace {

using ascii::trim;

std::string basename(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// SIGNET_MILTERS: entries separated by commas and/or white space.
std::expected<std::vector<milter_client::SocketSpec>, SettingsError> parseMilters(std::string_view text) {
  std::vector<milter_client::SocketSpec> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || ascii::isSpace(text[i]))) ++i;
    std::size_t end = i;
    while (end < text.size() && text[end] != ',' && !ascii::isSpace(text[end])) ++end;
    if (end > i) {
      auto spec = milter_client::parseSocketSpec(text.substr(i, end - i));
      if (!spec) return std::unexpected(SettingsError{"SIGNET_MILTERS", spec.error()});
      if (spec->kind != milter_client::SocketSpec::Kind::local && spec->host.empty())
        return std::unexpected(SettingsError{"SIGNET_MILTERS", "an inet milter needs a host: inet:PORT@HOST"});
      out.push_back(std::move(*spec));
    }
    i = end;
  }
  return out;
}

std::optional<std::size_t> parseSize(std::string_view text) {
  text = trim(text);
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseSeconds(std::string_view text) {
  // Whole seconds with an optional decimal part ("30", "0.5", "2.25"),
  // rounded up to the millisecond. Parsed by hand: std::from_chars for
  // floating point would pull libm into a program that starts per message.
  text = trim(text);
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if ((whole.empty() && fraction.empty()) || !digits(whole) || !digits(fraction) || whole.size() > 6 ||
      (dot != std::string_view::npos && fraction.empty()))
    return std::nullopt;
  long long ms = 0;
  for (char c : whole) ms = ms * 10 + (c - '0');
  ms *= 1000;
  for (std::size_t i = 0; i < 3; ++i) ms += (i < fraction.size() ? fraction[i] - '0' : 0) * (i == 0 ? 100 : i == 1 ? 10 : 1);
  if (fraction.size() > 3 && fraction.substr(3).find_first_not_of('0') != std::string_view::npos) ++ms;
  if (ms <= 0 || ms > 86400LL * 1000) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

std::expected<Settings, SettingsError> loadSettings(std::string_view argv0, const Getenv& getenv,
                                                    const ReadFile& readFile) {
  Settings s;
  s.program = basename(argv0);
  if (s.program.empty()) s.program = "qmail-signet";
  const bool verify_only = s.program == "qmail-dkverify";
  const bool as_qmail_queue = s.program == "qmail-queue";

  auto get = [&](std::string_view name) { return getenv(name); };
  auto bad = [](std::string_view variable, std::string message) {
    return std::unexpected(SettingsError{std::string(variable), std::move(message)});
  };

  if (auto v = get("QMAILHOME"); v && !v->empty()) s.qmail_home = *v;
  while (s.qmail_home.size() > 1 && s.qmail_home.back() == '/') s.qmail_home.pop_back();
  if (auto v = get("SIGNET_MILTERS")) {
    auto milters = parseMilters(*v);
    if (!milters) return std::unexpected(milters.error());
    s.milters = std::move(*milters);
  }
  if (auto v = get("SIGNET_DEFAULT_ACTION")) {
    const std::string a = ascii::toLower(trim(*v));
    if (a == "tempfail") s.default_action = DefaultAction::tempfail;
    else if (a == "accept") s.default_action = DefaultAction::accept;
    else return bad("SIGNET_DEFAULT_ACTION", "expected tempfail or accept");
  }
  struct TimeoutVar {
    const char* name;
    std::chrono::milliseconds* target;
  };
  for (const TimeoutVar& t : {TimeoutVar{"SIGNET_CONNECT_TIMEOUT", &s.timeouts.connect},
                              TimeoutVar{"SIGNET_COMMAND_TIMEOUT", &s.timeouts.command},
                              TimeoutVar{"SIGNET_CONTENT_TIMEOUT", &s.timeouts.content}}) {
    if (auto v = get(t.name)) {
      auto ms = parseSeconds(*v);
      if (!ms) return bad(t.name, "expected seconds greater than 0 and at most 86400, e.g. 30 or 0.5");
      *t.target = *ms;
    }
  }
  struct SizeVar {
    const char* name;
    std::size_t* target;
  };
  for (const SizeVar& l : {SizeVar{"SIGNET_MAX_ADDRESS", &s.max_address},
                           SizeVar{"SIGNET_MAX_RECIPIENTS", &s.max_recipients},
                           SizeVar{"SIGNET_MAX_HEADER", &s.max_header_bytes},
                           SizeVar{"SIGNET_MAX_PACKET", &s.max_packet},
                           SizeVar{"SIGNET_MAX_FIELD", &s.max_field},
                           SizeVar{"SIGNET_MAX_EDITS", &s.max_edits}}) {
    if (auto v = get(l.name)) {
      auto n = parseSize(*v);
      if (!n) return bad(l.name, "expected a whole number greater than 0");
      *l.target = *n;
    }
  }
  if (auto v = get("SIGNET_DAEMON_NAME")) {
    const std::string_view name = trim(*v);
    if (name.empty() || name.find('\0') != std::string_view::npos) return bad("SIGNET_DAEMON_NAME", "empty");
    s.daemon_name = std::string(name);
  }
  if (auto v = get("SIGNET_CUSTOM_ERROR")) s.custom_error = !v->empty() && *v != "0";
  if (auto v = get("SIGNET_TMPDIR"); v && !v->empty()) s.spool_dir = *v;
  else if (auto t = get("TMPDIR"); t && !t->empty()) s.spool_dir = *t;

  std::string queue = as_qmail_queue ? "bin/qmail-queue.orig" : "bin/qmail-queue";
  if (auto v = get("DKQUEUE"); v && !v->empty()) queue = *v;
  const std::string home = s.qmail_home.empty() ? std::string() : s.qmail_home + "/";
  s.queue_program = queue.front() == '/' ? queue : home + queue;
  if (auto v = get(kFilteredMarker); v && !v->empty()) s.already_filtered = true;

  if (auto me = readFile(home + "control/me")) {
    const std::string_view line = trim(std::string_view(*me).substr(0, me->find('\n')));
    if (!line.empty()) s.me = std::string(line);
  }
  if (s.me.empty()) s.me = "localhost";

  auto env = [&](std::string_view name) { return get(name).value_or(std::string()); };
  s.peer = Peer{env("TCPREMOTEIP"), env("TCPREMOTEPORT"), env("TCPREMOTEHOST"),
                env("TCPLOCALIP"),  env("TCPLOCALPORT"),  env("TCPLOCALHOST")};
  s.auth_user = env("SMTPAUTHUSER");
  s.auth_type = env("SMTPAUTHMETHOD");

  // qmail-dk: for SMTP clients RELAYCLIENT decides; on-host mail is signed
  // when DKSIGN (or RELAYCLIENT) is set; s/qmail's qmail-dkverify never signs.
  std::optional<std::string> dksign = get("DKSIGN");
  if (dksign && dksign->empty()) dksign.reset();
  const bool relay_client = get("RELAYCLIENT").has_value();
  s.mode = verify_only                       ? Mode::verify
           : relay_client                    ? Mode::sign
           : s.localInjection() && dksign     ? Mode::sign
                                             : Mode::verify;
  if (s.mode == Mode::sign) {
    s.dksign = std::move(dksign);
  } else {
    std::optional<std::string> letters = get("DKVERIFY");
    if (letters && letters->find_first_not_of("ABCDEFGHIJKabcdefghijk") != std::string::npos)
      return bad("DKVERIFY", "expected letters A to K (uppercase: reject, lowercase: defer)");
    if (auto dkim = get("DKIM"); dkim && dkim->find('+') != std::string::npos) {
      if (!letters) letters = std::string();
      if (letters->find('B') == std::string::npos) *letters += 'B';
    }
    if (letters && !letters->empty()) s.dkverify = std::move(letters);
  }
  return s;
}

milter_client::ClientOptions clientOptions(const Settings& settings) {
  milter_client::ClientOptions o;
  o.timeouts = settings.timeouts;
  o.limits.max_packet = settings.max_packet;
  o.limits.max_field = settings.max_field;
  o.limits.max_modifications = settings.max_edits;
  return o;
}

}  // namespace signet::qmail
