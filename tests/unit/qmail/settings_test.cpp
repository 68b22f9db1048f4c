// qmail-signet's environment (qmail-signet(8)) and the one mapping from a
// decision to qmail-queue's exit code.
#include "settings.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "exit_codes.h"
#include "filter_chain.h"

namespace signet::qmail {
namespace {

using Env = std::map<std::string, std::string>;

std::expected<Settings, SettingsError> load(const Env& env, std::string_view argv0 = "/var/qmail/bin/qmail-signet",
                                            std::optional<std::string> me = "mx.example.com\n") {
  return loadSettings(
      argv0,
      [&](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      [&](const std::string& path) -> std::optional<std::string> {
        return path == "control/me" || path.ends_with("/control/me") ? me : std::nullopt;
      });
}

TEST(SettingsTest, Defaults) {
  auto s = load({});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->program, "qmail-signet");
  EXPECT_EQ(s->mode, Mode::verify);
  EXPECT_TRUE(s->milters.empty());
  EXPECT_EQ(s->default_action, DefaultAction::tempfail);
  // Relative to the working directory, the qmail home qmail starts it in.
  EXPECT_EQ(s->queue_program, "bin/qmail-queue");
  EXPECT_TRUE(s->qmail_home.empty());
  EXPECT_FALSE(s->already_filtered);
  EXPECT_EQ(s->me, "mx.example.com");
  EXPECT_EQ(s->timeouts.command, std::chrono::seconds(30));
  EXPECT_EQ(s->timeouts.content, std::chrono::seconds(300));
  EXPECT_EQ(s->spool_dir, "/tmp");
  EXPECT_FALSE(s->custom_error);
}

TEST(SettingsTest, MiltersInOrderSeparatedByCommasAndSpace) {
  auto s = load({{"SIGNET_MILTERS", " inet:8891@127.0.0.1, unix:/run/a.sock\tinet6:8892@[::1] "}});
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->milters.size(), 3u);
  EXPECT_EQ(s->milters[0].port, 8891);
  EXPECT_EQ(s->milters[1].path, "/run/a.sock");
  EXPECT_EQ(s->milters[2].host, "::1");
}

TEST(SettingsTest, PersonalityFromTheProgramName) {
  EXPECT_EQ(load({}, "/var/qmail/bin/qmail-queue")->queue_program, "bin/qmail-queue.orig");
  EXPECT_EQ(load({}, "qmail-dk")->queue_program, "bin/qmail-queue");
  auto dkverify = load({{"RELAYCLIENT", ""}}, "/var/qmail/bin/qmail-dkverify");
  EXPECT_EQ(dkverify->mode, Mode::verify);
  EXPECT_EQ(load({{"RELAYCLIENT", ""}}, "qmail-dk")->mode, Mode::sign);
}

TEST(SettingsTest, QueueProgramUnderQmailHome) {
  auto s = load({{"QMAILHOME", "/opt/qmail/"}, {"DKQUEUE", "bin/qmail-queue.orig"}});
  EXPECT_EQ(s->queue_program, "/opt/qmail/bin/qmail-queue.orig");
  EXPECT_EQ(load({{"QMAILHOME", "/opt/qmail"}})->queue_program, "/opt/qmail/bin/qmail-queue");
  EXPECT_EQ(load({{"DKQUEUE", "/usr/local/bin/q"}})->queue_program, "/usr/local/bin/q");
}

TEST(SettingsTest, SigningTakesDksignVerifyingTakesDkverify) {
  auto sign = load({{"RELAYCLIENT", ""}, {"DKSIGN", "/etc/domainkeys/%/default"}, {"DKVERIFY", "B"}});
  ASSERT_TRUE(sign.has_value());
  EXPECT_EQ(sign->dksign, "/etc/domainkeys/%/default");
  EXPECT_FALSE(sign->dkverify.has_value());
  auto verify = load({{"DKSIGN", "/k"}, {"DKVERIFY", "DEGIJKfh"}, {"TCPREMOTEIP", "192.0.2.1"}});
  EXPECT_FALSE(verify->dksign.has_value());
  EXPECT_EQ(verify->dkverify, "DEGIJKfh");
}

// qmail-signet(8), MODES: one row per combination.
struct ModeRow {
  const char* argv0;
  bool smtp_client;  // TCPREMOTEIP set
  bool relayclient;
  const char* dksign;  // nullptr: unset
  Mode mode;
  bool keeps_dksign;
};

class ModeTableTest : public testing::TestWithParam<ModeRow> {};

TEST_P(ModeTableTest, ModeFollowsQmailDk) {
  const ModeRow& row = GetParam();
  Env env;
  if (row.smtp_client) env["TCPREMOTEIP"] = "192.0.2.1";
  if (row.relayclient) env["RELAYCLIENT"] = "";
  if (row.dksign) env["DKSIGN"] = row.dksign;
  auto s = load(env, row.argv0);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->mode, row.mode);
  EXPECT_EQ(s->localInjection(), !row.smtp_client);
  EXPECT_EQ(s->dksign.has_value(), row.keeps_dksign);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ModeTableTest,
    testing::Values(
        // SMTP clients: RELAYCLIENT decides; a DKSIGN in qmail-smtpd's environment alone never signs.
        ModeRow{"qmail-signet", true, true, nullptr, Mode::sign, false},
        ModeRow{"qmail-signet", true, true, "/k/%/s.private", Mode::sign, true},
        ModeRow{"qmail-signet", true, false, "/k/%/s.private", Mode::verify, false},
        ModeRow{"qmail-signet", true, false, nullptr, Mode::verify, false},
        // On-host injection: DKSIGN or RELAYCLIENT signs, neither verifies.
        ModeRow{"qmail-signet", false, false, "/k/example.com/s.private", Mode::sign, true},
        ModeRow{"qmail-signet", false, true, nullptr, Mode::sign, false},
        ModeRow{"qmail-signet", false, false, nullptr, Mode::verify, false},
        ModeRow{"qmail-signet", false, false, "", Mode::verify, false},
        // qmail-dkverify verifies, whatever the environment says.
        ModeRow{"qmail-dkverify", true, true, "/k/s.private", Mode::verify, false},
        ModeRow{"qmail-dkverify", false, false, "/k/s.private", Mode::verify, false},
        // qmail-dk and qmail-queue are qmail-signet with other default queue programs.
        ModeRow{"qmail-dk", false, false, "/k/s.private", Mode::sign, true},
        ModeRow{"qmail-queue", true, false, "/k/s.private", Mode::verify, false}));

TEST(SettingsTest, FilteredMarkerPassesThrough) {
  EXPECT_TRUE(load({{kFilteredMarker, "1"}})->already_filtered);
  EXPECT_FALSE(load({{kFilteredMarker, ""}})->already_filtered);
}

TEST(SettingsTest, SqmailDkimPlusRejectsBadSignatures) {
  EXPECT_EQ(load({{"DKIM", "+"}})->dkverify, "B");
  EXPECT_EQ(load({{"DKIM", "+"}, {"DKVERIFY", "D"}})->dkverify, "DB");
  EXPECT_EQ(load({{"DKIM", "+"}, {"DKVERIFY", "BD"}})->dkverify, "BD");
  EXPECT_FALSE(load({{"DKIM", "-"}})->dkverify.has_value());
}

TEST(SettingsTest, MeFallsBackToLocalhost) {
  EXPECT_EQ(load({}, "qmail-signet", std::nullopt)->me, "localhost");
}

TEST(SettingsTest, TimeoutsAndLimits) {
  auto s = load({{"SIGNET_CONNECT_TIMEOUT", "0.5"},
                 {"SIGNET_COMMAND_TIMEOUT", "2"},
                 {"SIGNET_CONTENT_TIMEOUT", "600"},
                 {"SIGNET_MAX_ADDRESS", "256"},
                 {"SIGNET_MAX_PACKET", "65536"},
                 {"SIGNET_MAX_FIELD", "1000"},
                 {"SIGNET_MAX_EDITS", "5"},
                 {"SIGNET_DEFAULT_ACTION", "Accept"},
                 {"SIGNET_CUSTOM_ERROR", "1"},
                 {"SIGNET_TMPDIR", "/var/tmp"}});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->timeouts.connect, std::chrono::milliseconds(500));
  EXPECT_EQ(s->timeouts.command, std::chrono::seconds(2));
  EXPECT_EQ(s->max_address, 256u);
  EXPECT_EQ(clientOptions(*s).limits.max_packet, 65536u);
  EXPECT_EQ(clientOptions(*s).limits.max_field, 1000u);
  EXPECT_EQ(clientOptions(*s).limits.max_modifications, 5u);
  EXPECT_EQ(clientOptions(*s).timeouts.content, std::chrono::seconds(600));
  EXPECT_EQ(s->default_action, DefaultAction::accept);
  EXPECT_TRUE(s->custom_error);
  EXPECT_EQ(s->spool_dir, "/var/tmp");
}

TEST(SettingsTest, SecondsWithDecimals) {
  EXPECT_EQ(parseSeconds("30"), std::chrono::seconds(30));
  EXPECT_EQ(parseSeconds(" 0.5 "), std::chrono::milliseconds(500));
  EXPECT_EQ(parseSeconds("2.25"), std::chrono::milliseconds(2250));
  EXPECT_EQ(parseSeconds("0.0001"), std::chrono::milliseconds(1));  // rounded up, never 0
  EXPECT_EQ(parseSeconds(".5"), std::chrono::milliseconds(500));
  EXPECT_EQ(parseSeconds("86400"), std::chrono::seconds(86400));
  for (const char* bad : {"", "0", "0.0", "-1", "1e3", "5.", "1.2.3", "86401", "ten", "3s", "1234567"})
    EXPECT_FALSE(parseSeconds(bad).has_value()) << bad;
}

struct BadSetting {
  const char* variable;
  const char* value;
};

class BadSettingTest : public testing::TestWithParam<BadSetting> {};

TEST_P(BadSettingTest, IsRefusedNamingTheVariable) {
  auto s = load({{GetParam().variable, GetParam().value}});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().variable, GetParam().variable);
  EXPECT_FALSE(s.error().message.empty());
}

INSTANTIATE_TEST_SUITE_P(Variables, BadSettingTest,
                         testing::Values(BadSetting{"SIGNET_MILTERS", "tcp:8891"},
                                         BadSetting{"SIGNET_MILTERS", "inet:8891"},
                                         BadSetting{"SIGNET_MILTERS", "unix:relative"},
                                         BadSetting{"SIGNET_DEFAULT_ACTION", "reject"},
                                         BadSetting{"SIGNET_COMMAND_TIMEOUT", "0"},
                                         BadSetting{"SIGNET_COMMAND_TIMEOUT", "-1"},
                                         BadSetting{"SIGNET_CONTENT_TIMEOUT", "ten"},
                                         BadSetting{"SIGNET_CONNECT_TIMEOUT", "1e9"},
                                         BadSetting{"SIGNET_MAX_ADDRESS", "0"},
                                         BadSetting{"SIGNET_MAX_HEADER", "lots"},
                                         BadSetting{"SIGNET_MAX_FIELD", "-3"},
                                         BadSetting{"SIGNET_MAX_EDITS", "0"},
                                         BadSetting{"DKVERIFY", "BZ"}));

TEST(ConnectInfoTest, FromTcpserverOrLocalhost) {
  ConnectInfo local = connectInfo({});
  EXPECT_EQ(local.hostname, "localhost");
  EXPECT_EQ(local.address, "127.0.0.1");
  EXPECT_EQ(local.family, '4');
  ConnectInfo v4 = connectInfo({"192.0.2.7", "40000", "", "", "", ""});
  EXPECT_EQ(v4.hostname, "[192.0.2.7]");
  EXPECT_EQ(v4.port, 40000);
  ConnectInfo v6 = connectInfo({"2001:db8::7", "99999", "client.example.org", "", "", ""});
  EXPECT_EQ(v6.family, '6');
  EXPECT_EQ(v6.port, 0);  // out of range: unknown
  EXPECT_EQ(v6.hostname, "client.example.org");
}

Settings settingsFor(Mode mode, std::optional<std::string> dkverify, bool custom) {
  Settings s;
  s.mode = mode;
  s.dkverify = std::move(dkverify);
  s.custom_error = custom;
  return s;
}

TEST(ExitCodeTest, OneMappingForEveryDecision) {
  using K = Decision::Kind;
  const Settings plain = settingsFor(Mode::verify, std::nullopt, false);
  EXPECT_EQ(exitFor({K::queue, ""}, plain).code, 0);
  EXPECT_EQ(exitFor({K::discard, ""}, plain).code, 0);
  EXPECT_EQ(exitFor({K::reject, ""}, plain).code, 31);
  EXPECT_EQ(exitFor({K::tempfail, ""}, plain).code, 71);
  EXPECT_EQ(exitFor({K::filter_timeout, ""}, plain).code, 72);
  EXPECT_EQ(exitFor({K::filter_unreachable, ""}, plain).code, 73);
  EXPECT_EQ(exitFor({K::filter_broken, ""}, plain).code, 74);
  EXPECT_TRUE(exitFor({K::reject, "550 5.7.1 no"}, plain).fd6_text.empty());

  const Settings dk = settingsFor(Mode::verify, "Bd", false);
  EXPECT_EQ(exitFor({K::reject, ""}, dk).code, 13);
  EXPECT_EQ(exitFor({K::tempfail, ""}, dk).code, 82);
  EXPECT_EQ(exitFor({K::filter_unreachable, ""}, dk).code, 73);
  // Signing never uses the DKVERIFY codes.
  EXPECT_EQ(exitFor({K::reject, ""}, settingsFor(Mode::sign, "B", false)).code, 31);
}

TEST(ExitCodeTest, CustomErrorWritesQmailSmtpdText) {
  const Settings custom = settingsFor(Mode::verify, std::nullopt, true);
  auto r = exitFor({Decision::Kind::reject, "550 5.7.1 Signature does not verify"}, custom);
  EXPECT_EQ(r.code, 82);
  EXPECT_EQ(r.fd6_text, "DSignature does not verify (#5.7.1)");
  auto t = exitFor({Decision::Kind::tempfail, ""}, custom);
  EXPECT_EQ(t.code, 82);
  EXPECT_EQ(t.fd6_text, "Zmessage deferred by a mail filter (#4.7.1)");
}

TEST(ExitCodeTest, ReplyTextInQmailForm) {
  EXPECT_EQ(qmailReplyText("451 4.7.5 try later", "x"), "try later (#4.7.5)");
  EXPECT_EQ(qmailReplyText("550-5.7.1 first\r\n550 5.7.1 second", "x"), "first second (#5.7.1)");
  EXPECT_EQ(qmailReplyText("554 plain words", "x"), "plain words");
  EXPECT_EQ(qmailReplyText("550 bad\x01" "control", "x"), "bad control");
  EXPECT_EQ(qmailReplyText("", "fallback"), "fallback");
  EXPECT_EQ(qmailReplyText("550 ", "fallback"), "fallback");
}

}  // namespace
}  // namespace signet::qmail
