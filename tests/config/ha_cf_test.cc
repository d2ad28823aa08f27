// ha_cf_test.cc: ha.cf, accepted files and every error with its file:line.

#include "detector/config/ha_cf.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;


// The smallest file that passes the whole-file checks; error cases append to
// it or replace it.
constexpr char kMinimal[] = "bcast eth0\nnode a\n";

// ---------------------------------------------------------------------------
// ha.cf: accepted files

HaConfig MustParse(absl::string_view text) {
  absl::StatusOr<HaConfig> config = ParseHaCf(text, "ha.cf");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : HaConfig{};
}

TEST(ParseHaCfTest, Defaults) {
  HaConfig config = MustParse(kMinimal);
  EXPECT_EQ(config.keepalive, absl::Seconds(1));
  EXPECT_EQ(config.deadtime, absl::Seconds(30));
  EXPECT_EQ(config.warntime, absl::Seconds(15));
  EXPECT_EQ(config.initdead, absl::Seconds(30));
  EXPECT_EQ(config.udpport, 694);
  EXPECT_EQ(config.auto_failback, AutoFailback::kLegacy);
  EXPECT_EQ(config.cluster, "linux-ha");
  EXPECT_TRUE(config.realtime);
  EXPECT_EQ(config.rtprio, 0);
  EXPECT_EQ(config.debug, 0);
  EXPECT_THAT(config.logfile, IsEmpty());
  EXPECT_THAT(config.debugfile, IsEmpty());
  EXPECT_THAT(config.logfacility, IsEmpty());
  EXPECT_THAT(config.nodes, ElementsAre("a"));
  ASSERT_EQ(config.media.size(), 1u);
  EXPECT_EQ(config.media[0].kind, MediumConfig::Kind::kBcast);
  EXPECT_EQ(config.media[0].iface, "eth0");
  EXPECT_EQ(config.media[0].port, 694);
  EXPECT_EQ(config.media[0].line, 1);
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(ParseHaCfTest, WarntimeDefaultsToHalfDeadtime) {
  EXPECT_EQ(MustParse(absl::StrCat(kMinimal, "deadtime 7\n")).warntime, absl::Milliseconds(3500));
  EXPECT_EQ(MustParse(absl::StrCat(kMinimal, "keepalive 100us\ndeadtime 1ms\n")).warntime,
            absl::Microseconds(500));
}

TEST(ParseHaCfTest, InitdeadDefaultFollowsHeartbeat) {
  struct Case {
    const char* deadtime;
    absl::Duration want;
  };
  const Case cases[] = {
      {.deadtime = "30", .want = absl::Seconds(30)},    // > 10s: = deadtime
      {.deadtime = "11", .want = absl::Seconds(11)},    //
      {.deadtime = "10", .want = absl::Seconds(20)},    // 6s..10s: 2 x deadtime
      {.deadtime = "8", .want = absl::Seconds(16)},     //
      {.deadtime = "6", .want = absl::Seconds(12)},     //
      {.deadtime = "5", .want = absl::Seconds(12)},     // < 6s: 12s
      {.deadtime = "50ms", .want = absl::Seconds(12)},  //
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.deadtime);
    HaConfig config =
        MustParse(absl::StrCat("keepalive 10ms\ndeadtime ", c.deadtime, "\n", kMinimal));
    EXPECT_EQ(config.initdead, c.want);
  }
}

TEST(ParseHaCfTest, HeartbeatSampleParses) {
  // The 2-node example from Heartbeat's doc/ha.cf and ha.cf(5).
  constexpr char kSample[] =
      "#\n"
      "#\tThere are lots of options in this file.  All you have to have is a set\n"
      "#\tof nodes listed {\"node ...} one of {serial, bcast, mcast, or ucast},\n"
      "#\tand a value for \"auto_failback\".\n"
      "#\n"
      "logfacility     local0\n"
      "keepalive 2\n"
      "deadtime 30\n"
      "warntime 10\n"
      "initdead 120\n"
      "udpport\t694\n"
      "bcast\teth0\t\t# Linux\n"
      "auto_failback on\n"
      "node\tken3\n"
      "node\tkathy\n";
  HaConfig config = MustParse(kSample);
  EXPECT_EQ(config.logfacility, "local0");
  EXPECT_EQ(config.keepalive, absl::Seconds(2));
  EXPECT_EQ(config.deadtime, absl::Seconds(30));
  EXPECT_EQ(config.warntime, absl::Seconds(10));
  EXPECT_EQ(config.initdead, absl::Seconds(120));
  EXPECT_EQ(config.udpport, 694);
  EXPECT_EQ(config.auto_failback, AutoFailback::kOn);
  EXPECT_THAT(config.nodes, ElementsAre("ken3", "kathy"));
  ASSERT_EQ(config.media.size(), 1u);
  EXPECT_EQ(config.media[0].Name(), "bcast:eth0");
  EXPECT_EQ(config.media[0].port, 694);
  EXPECT_EQ(config.media[0].line, 12);
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(ParseHaCfTest, UdpportAppliesOnlyToLaterMedia) {
  HaConfig config = MustParse(
      "bcast eth0\n"
      "ucast eth1 10.0.0.2\n"
      "udpport 700\n"
      "bcast eth2\n"
      "ucast eth3 peer.example\n"
      "mcast eth4 239.192.0.1 800 1 0\n"
      "node a\n");
  ASSERT_EQ(config.media.size(), 5u);
  EXPECT_EQ(config.udpport, 700);
  EXPECT_EQ(config.media[0].port, 694);
  EXPECT_EQ(config.media[1].port, 694);
  EXPECT_EQ(config.media[2].port, 700);
  EXPECT_EQ(config.media[3].port, 700);
  EXPECT_EQ(config.media[4].port, 800);  // mcast carries its own port
}

TEST(ParseHaCfTest, ListsSplitOnCommasTabsAndSpaces) {
  HaConfig config = MustParse("node a,b\tc , d\nbcast eth0,eth1\teth2\nraw eth3, eth4\n");
  EXPECT_THAT(config.nodes, ElementsAre("a", "b", "c", "d"));
  std::vector<std::string> names;
  for (const MediumConfig& medium : config.media) names.push_back(medium.Name());
  EXPECT_THAT(names, ElementsAre("bcast:eth0", "bcast:eth1", "bcast:eth2", "raw:eth3", "raw:eth4"));
}

TEST(ParseHaCfTest, CommentsBlankLinesAndCarriageReturns) {
  HaConfig config = MustParse(
      "# full-line comment\r\n"
      "\r\n"
      "   \t\n"
      "   # indented comment\n"
      "keepalive 2 # two seconds\r\n"
      "deadtime 10#no space before the comment\n"
      "node a # b\n"
      "bcast eth0\r\n");
  EXPECT_EQ(config.keepalive, absl::Seconds(2));
  EXPECT_EQ(config.deadtime, absl::Seconds(10));
  EXPECT_THAT(config.nodes, ElementsAre("a"));
  ASSERT_EQ(config.media.size(), 1u);
  EXPECT_EQ(config.media[0].iface, "eth0");
  EXPECT_EQ(config.media[0].line, 8);
}

TEST(ParseHaCfTest, NodeNamesAreLowerCased) {
  HaConfig config = MustParse("bcast eth0\nnode Ken3 KATHY node-2.example_x\n");
  EXPECT_THAT(config.nodes, ElementsAre("ken3", "kathy", "node-2.example_x"));
}

TEST(ParseHaCfTest, AllMediaKinds) {
  HaConfig config = MustParse(
      "raw eth1\n"
      "bcast eth0\n"
      "ucast eth1 10.0.0.2\n"
      "mcast eth0 239.192.0.1 694 3 1\n"
      "node a\n");
  ASSERT_EQ(config.media.size(), 4u);
  EXPECT_EQ(config.media[0].Name(), "raw:eth1");
  EXPECT_EQ(config.media[0].port, 0);
  EXPECT_EQ(config.media[1].Name(), "bcast:eth0");
  EXPECT_EQ(config.media[2].Name(), "ucast:eth1:10.0.0.2");
  EXPECT_EQ(config.media[2].address, "10.0.0.2");
  const MediumConfig& mcast = config.media[3];
  EXPECT_EQ(mcast.Name(), "mcast:eth0:239.192.0.1");
  EXPECT_EQ(mcast.kind, MediumConfig::Kind::kMcast);
  EXPECT_EQ(mcast.address, "239.192.0.1");
  EXPECT_EQ(mcast.port, 694);
  EXPECT_EQ(mcast.ttl, 3);
  EXPECT_TRUE(mcast.loop);
  EXPECT_EQ(mcast.line, 4);
}

TEST(ParseHaCfTest, McastEdgesOfTheRanges) {
  HaConfig config = MustParse(
      "mcast eth0 224.0.0.1 1 0 0\n"
      "mcast eth1 239.255.255.255 65535 4 1\n"
      "node a\n");
  ASSERT_EQ(config.media.size(), 2u);
  EXPECT_EQ(config.media[0].ttl, 0);
  EXPECT_FALSE(config.media[0].loop);
  EXPECT_EQ(config.media[1].port, 65535);
}

TEST(ParseHaCfTest, AutoFailbackValues) {
  struct Case {
    const char* line;
    AutoFailback want;
  };
  const Case cases[] = {
      {.line = "auto_failback on", .want = AutoFailback::kOn},
      {.line = "auto_failback true", .want = AutoFailback::kOn},
      {.line = "auto_failback YES", .want = AutoFailback::kOn},
      {.line = "auto_failback off", .want = AutoFailback::kOff},
      {.line = "auto_failback 0", .want = AutoFailback::kOff},
      {.line = "auto_failback legacy", .want = AutoFailback::kLegacy},
      {.line = "auto_failback Legacy", .want = AutoFailback::kLegacy},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(MustParse(absl::StrCat(kMinimal, c.line, "\n")).auto_failback, c.want);
  }
}

TEST(ParseHaCfTest, MetricsListenTakesAnIpv4AddressAndPort) {
  absl::StatusOr<HaConfig> c =
      ParseHaCf("bcast eth0\nnode a b\nmetrics_listen 127.0.0.1:9694\n", "ha.cf");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metrics_address, "127.0.0.1");
  EXPECT_EQ(c->metrics_port, 9694);
  EXPECT_TRUE(c->warnings.empty());
  absl::StatusOr<HaConfig> open_to_all =
      ParseHaCf("bcast eth0\nnode a b\nmetrics_listen 0.0.0.0:9694\n", "ha.cf");
  ASSERT_TRUE(open_to_all.ok());
  ASSERT_EQ(open_to_all->warnings.size(), 1u);
  EXPECT_THAT(open_to_all->warnings[0], HasSubstr("ha.cf:3: metrics_listen 0.0.0.0:9694 is not "
                                                  "a loopback address"));
  for (const char* bad : {"localhost:9694", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000"}) {
    absl::StatusOr<HaConfig> r = ParseHaCf(
        absl::StrCat("bcast eth0\nnode a b\nmetrics_listen ", bad, "\n"), "ha.cf");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("ha.cf:3: metrics_listen")) << bad;
  }
}

TEST(ParseHaCfTest, QuorumDefaultsByNodeCountAndCanBeSet) {
  EXPECT_EQ(MustParse("bcast eth0\nnode a b\n").quorum, QuorumPolicy::kNone);
  EXPECT_EQ(MustParse("bcast eth0\nnode a b c\n").quorum, QuorumPolicy::kMajority);
  EXPECT_EQ(MustParse("bcast eth0\nnode a b c\nquorum none\n").quorum, QuorumPolicy::kNone);
  EXPECT_EQ(MustParse("bcast eth0\nnode a b\nquorum Majority\n").quorum,
            QuorumPolicy::kMajority);
  absl::StatusOr<HaConfig> bad = ParseHaCf("bcast eth0\nnode a b c\nquorum most\n", "ha.cf");
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("ha.cf:3: quorum 'most' is not majority or none"));
}

TEST(ParseHaCfTest, NiceFailbackIsReadAsAutoFailbackWithAWarning) {
  HaConfig on = MustParse(absl::StrCat(kMinimal, "nice_failback on\n"));
  EXPECT_EQ(on.auto_failback, AutoFailback::kOff);
  EXPECT_THAT(on.warnings, ElementsAre("ha.cf:3: 'nice_failback' is obsolete; read as "
                                       "'auto_failback off'"));
  HaConfig off = MustParse(absl::StrCat(kMinimal, "nice_failback off\n"));
  EXPECT_EQ(off.auto_failback, AutoFailback::kLegacy);
  EXPECT_THAT(off.warnings, ElementsAre(HasSubstr("read as 'auto_failback legacy'")));
}

TEST(ParseHaCfTest, UdpIsBcastWithAWarning) {
  HaConfig config = MustParse("udpport 5000\nudp eth0 eth1\nnode a\n");
  ASSERT_EQ(config.media.size(), 2u);
  EXPECT_EQ(config.media[0].kind, MediumConfig::Kind::kBcast);
  EXPECT_EQ(config.media[0].port, 5000);
  EXPECT_EQ(config.media[1].Name(), "bcast:eth1");
  EXPECT_THAT(config.warnings,
              ElementsAre("ha.cf:2: 'udp' is an old name for 'bcast'; read as 'bcast'"));
}

TEST(ParseHaCfTest, RepeatedScalarLastWinsWithAWarning) {
  HaConfig config = MustParse(absl::StrCat(kMinimal, "keepalive 2\nkeepalive 3\n"));
  EXPECT_EQ(config.keepalive, absl::Seconds(3));
  EXPECT_THAT(config.warnings, ElementsAre("ha.cf:4: 'keepalive' was already set on line 3; "
                                           "the last value wins"));
  // nice_failback and auto_failback set the same thing.
  HaConfig failback = MustParse(absl::StrCat(kMinimal, "auto_failback on\nnice_failback on\n"));
  EXPECT_EQ(failback.auto_failback, AutoFailback::kOff);
  EXPECT_THAT(failback.warnings,
              testing::Contains("ha.cf:4: 'nice_failback' was already set on line 3; the last "
                                "value wins"));
}

TEST(ParseHaCfTest, OtherScalars) {
  HaConfig config = MustParse(absl::StrCat(kMinimal,
                                           "logfile /var/log/ha-log\n"
                                           "debugfile /var/log/ha-debug\n"
                                           "logfacility none\n"
                                           "realtime off\n"
                                           "rtprio 99\n"
                                           "debug 255\n"
                                           "cluster prod\n"
                                           "crm off\n"
                                           "pacemaker no\n"
                                           "autojoin none\n"));
  EXPECT_EQ(config.logfile, "/var/log/ha-log");
  EXPECT_EQ(config.debugfile, "/var/log/ha-debug");
  EXPECT_EQ(config.logfacility, "none");
  EXPECT_FALSE(config.realtime);
  EXPECT_EQ(config.rtprio, 99);
  EXPECT_EQ(config.debug, 255);
  EXPECT_EQ(config.cluster, "prod");
}

TEST(ParseHaCfTest, EverySyslogFacility) {
  for (const char* facility :
       {"auth",   "authpriv", "cron",   "daemon", "ftp",    "kern",   "lpr",
        "mail",   "news",     "syslog", "user",   "uucp",   "local0", "local1",
        "local2", "local3",   "local4", "local5", "local6", "local7", "none"}) {
    SCOPED_TRACE(facility);
    EXPECT_EQ(MustParse(absl::StrCat(kMinimal, "logfacility ", facility, "\n")).logfacility,
              facility);
  }
}

TEST(ParseHaCfTest, SubMillisecondTimingIsKept) {
  HaConfig config = MustParse(
      absl::StrCat(kMinimal, "keepalive 100us\ndeadtime 350us\nwarntime 200us\ninitdead 12\n"));
  EXPECT_EQ(config.keepalive, absl::Microseconds(100));
  EXPECT_EQ(config.deadtime, absl::Microseconds(350));
  EXPECT_EQ(config.warntime, absl::Microseconds(200));
  EXPECT_EQ(config.initdead, absl::Seconds(12));
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(ParseHaCfTest, ShortInitdeadWarns) {
  HaConfig config = MustParse(absl::StrCat(kMinimal, "keepalive 100ms\ndeadtime 1\ninitdead 5\n"));
  EXPECT_EQ(config.initdead, absl::Seconds(5));
  EXPECT_THAT(config.warnings, ElementsAre(HasSubstr("ha.cf:5: initdead (5s) is under 10s")));
}

TEST(ParseHaCfTest, IgnoredDirectivesWarn) {
  for (const char* line : {"use_logd yes",
                           "conn_logd_time 60",
                           "coredumps true",
                           "coreroot /var/lib/heartbeat/cores",
                           "log_badpack false",
                           "syslogmsgfmt true",
                           "memreserve 6500",
                           "max_rexmit_delay 250",
                           "normalpoll true",
                           "compression bz2",
                           "compression_threshold 2",
                           "traditional_compression no",
                           "msgfmt netstring",
                           "hopfudge 1",
                           "uuidfrom nodename",
                           "apiauth ipfail gid=haclient uid=hacluster",
                           "hbgenmethod file",
                           "record_config_changes on",
                           "record_pengine_inputs on",
                           "enable_config_writes on",
                           "env FOO=bar"}) {
    SCOPED_TRACE(line);
    std::string directive(absl::string_view(line).substr(0, absl::string_view(line).find(' ')));
    HaConfig config = MustParse(absl::StrCat(kMinimal, line, "\n"));
    EXPECT_THAT(config.warnings,
                ElementsAre(absl::StrCat("ha.cf:3: '", directive,
                                         "' is accepted for compatibility and ignored by tachy")));
  }
}

TEST(ParseHaCfTest, UnprovidedFeaturesSaySo) {
  EXPECT_THAT(MustParse(absl::StrCat(kMinimal, "ping6 fe80::1\n")).warnings,
              ElementsAre(HasSubstr("ha.cf:3: 'ping6': IPv6 ping nodes are not supported")));
  EXPECT_THAT(MustParse(absl::StrCat(kMinimal, "respawn hacluster /usr/lib/heartbeat/dopd\n")).warnings,
              ElementsAre("ha.cf:3: 'respawn': respawned clients are not supported; "
                          "'/usr/lib/heartbeat/dopd' is not started"));
}

TEST(ParseHaCfTest, PingNodesGroupsDeadpingAndIpfail) {
  HaConfig config = MustParse(absl::StrCat(
      kMinimal, "ping 10.0.0.254 10.0.1.254\nping_group routers 10.0.0.253 10.0.0.252\n"
                "keepalive 2ms\ndeadtime 20ms\ndeadping 40ms\nrespawn hacluster /usr/lib/heartbeat/ipfail\n"));
  ASSERT_EQ(config.ping.size(), 3u);
  EXPECT_EQ(config.ping[0].name, "10.0.0.254");
  EXPECT_THAT(config.ping[0].hosts, ElementsAre("10.0.0.254"));
  EXPECT_EQ(config.ping[1].name, "10.0.1.254");
  EXPECT_EQ(config.ping[2].name, "routers");
  EXPECT_THAT(config.ping[2].hosts, ElementsAre("10.0.0.253", "10.0.0.252"));
  EXPECT_EQ(config.ping[2].line, 4);
  EXPECT_EQ(config.deadping, absl::Milliseconds(40));
  EXPECT_TRUE(config.ipfail);
  EXPECT_THAT(config.warnings,
              ElementsAre(HasSubstr("ha.cf:8: 'respawn hacluster /usr/lib/heartbeat/ipfail': not "
                                    "started; tachy applies ipfail's rule itself")));
  // deadping defaults to deadtime.
  EXPECT_EQ(MustParse(absl::StrCat(kMinimal, "deadtime 20ms\nkeepalive 2ms\nping 10.0.0.1\n"))
                .deadping,
            absl::Milliseconds(20));
  auto error = [](const std::string& text) {
    return std::string(ParseHaCf(text, "ha.cf").status().message());
  };
  EXPECT_THAT(error(absl::StrCat(kMinimal, "ping router.example\n")),
              HasSubstr("ha.cf:3: ping: 'router.example' is not an IPv4 address"));
  EXPECT_THAT(error(absl::StrCat(kMinimal, "ping_group routers\n")),
              HasSubstr("ha.cf:3: ping_group takes a name and at least one host"));
  EXPECT_THAT(error(absl::StrCat(kMinimal, "ping_group g 10.0.0.1 10.0.0.300\n")),
              HasSubstr("ha.cf:3: ping_group: '10.0.0.300' is not an IPv4 address"));
  EXPECT_THAT(error(absl::StrCat(kMinimal, "keepalive 1\ndeadtime 10\ndeadping 500ms\n")),
              HasSubstr("ha.cf:5: deadping (500ms) must be more than keepalive (1s)"));
}

// ---------------------------------------------------------------------------
// ha.cf: every error, with its file:line prefix

struct ErrorCase {
  const char* text;
  const char* message;  // substring of status.message()
};

void ExpectErrors(absl::Span<const ErrorCase> cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<HaConfig> config = ParseHaCf(c.text, "ha.cf");
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(config.status().message(), HasSubstr(c.message));
  }
}

TEST(ParseHaCfErrorTest, LineSyntax) {
  ExpectErrors({
      {.text = "bcast eth0\nfrobnicate 1\nnode a\n",
       .message = "ha.cf:2: unknown directive 'frobnicate'"},
      {.text = "Keepalive 2\n", .message = "ha.cf:1: unknown directive 'Keepalive'"},
      {.text = "node,a\n", .message = "ha.cf:1: unknown directive 'node,a'"},
      {.text = "frobnicate\n", .message = "ha.cf:1: unknown directive 'frobnicate'"},
      {.text = "keepalive\n", .message = "ha.cf:1: 'keepalive' needs a value"},
      {.text = "\n\nkeepalive   # two\n", .message = "ha.cf:3: 'keepalive' needs a value"},
      {.text = "node\n", .message = "ha.cf:1: 'node' needs a value"},
      {.text = "bcast ,\n", .message = "ha.cf:1: 'bcast' needs a value"},
      {.text = "use_logd\n", .message = "ha.cf:1: 'use_logd' needs a value"},
      {.text = "ping\n", .message = "ha.cf:1: 'ping' needs a value"},
      {.text = "keepalive 1500 ms\n", .message = "ha.cf:1: 'keepalive' takes one value, got 2"},
      {.text = "cluster a b\n", .message = "ha.cf:1: 'cluster' takes one value, got 2"},
  });
}

TEST(ParseHaCfErrorTest, Values) {
  ExpectErrors({
      {.text = "keepalive 2s\n", .message = "ha.cf:1: keepalive: '2s' is not a Heartbeat time"},
      {.text = "deadtime -1\n", .message = "ha.cf:1: deadtime: '-1' is not a Heartbeat time"},
      {.text = "warntime 1.2.3\n", .message = "ha.cf:1: warntime: '1.2.3' is not"},
      {.text = "initdead 2m\n", .message = "ha.cf:1: initdead: '2m' is not"},
      // Hardening row 13: times up to ~292 years were accepted and overflowed
      // the engine's arithmetic (UBSan).
      {.text = "deadtime 100000\n",
       .message = "ha.cf:1: deadtime: '100000' is longer than the limit of 24h"},
      {.text = "initdead 86401\n", .message = "ha.cf:1: initdead: '86401' is longer than"},
      {.text = "keepalive 90000000ms\n", .message = "ha.cf:1: keepalive: '90000000ms' is longer"},
      {.text = "udpport 0\n", .message = "ha.cf:1: udpport '0' is not a whole number in 1..65535"},
      {.text = "udpport 65536\n", .message = "ha.cf:1: udpport '65536' is not a whole number"},
      {.text = "udpport +694\n", .message = "ha.cf:1: udpport '+694' is not"},
      {.text = "udpport ha-cluster\n", .message = "ha.cf:1: udpport 'ha-cluster' is not"},
      {.text = "auto_failback maybe\n",
       .message = "ha.cf:1: auto_failback 'maybe' is not on, off or legacy"},
      {.text = "nice_failback legacy\n",
       .message = "ha.cf:1: nice_failback: 'legacy' is not a boolean"},
      {.text = "logfacility local8\n",
       .message = "ha.cf:1: logfacility 'local8' is not a syslog facility"},
      {.text = "logfacility LOCAL0\n", .message = "ha.cf:1: logfacility 'LOCAL0' is not"},
      {.text = "realtime sometimes\n",
       .message = "ha.cf:1: realtime: 'sometimes' is not a boolean"},
      {.text = "rtprio 0\n", .message = "ha.cf:1: rtprio '0' is not a whole number in 1..99"},
      {.text = "rtprio 100\n", .message = "ha.cf:1: rtprio '100' is not"},
      {.text = "debug 256\n", .message = "ha.cf:1: debug '256' is not a whole number in 0..255"},
      {.text = "debug -1\n", .message = "ha.cf:1: debug '-1' is not"},
  });
}

TEST(ParseHaCfErrorTest, Nodes) {
  ExpectErrors({
      {.text = "node a/b\n",
       .message = "ha.cf:1: node name 'a/b' may only contain letters, digits, '.', '_' and '-'"},
      {.text = "node a:b\n", .message = "ha.cf:1: node name 'a:b' may only contain"},
      {.text = "node a\nnode b\nnode A\n",
       .message = "ha.cf:3: node 'a' is already listed on line 1"},
      {.text = "node a a\n", .message = "ha.cf:1: node 'a' is already listed on line 1"},
      {.text = "node aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
       .message =
           "ha.cf:1: node name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"
           " is longer than 63 characters"},
  });
  // 63 characters is fine.
  MustParse(absl::StrCat("bcast eth0\nnode ", std::string(63, 'n'), "\n"));
}

TEST(ParseHaCfErrorTest, Media) {
  ExpectErrors({
      {.text = "bcast eth0/1\n", .message = "ha.cf:1: 'eth0/1' is not a valid interface name"},
      {.text = "raw eth0:1\n", .message = "ha.cf:1: 'eth0:1' is not a valid interface name"},
      {.text = "bcast ..\n", .message = "ha.cf:1: '..' is not a valid interface name"},
      {.text = "raw abcdefghijklmnop\n",
       .message = "ha.cf:1: interface name 'abcdefghijklmnop' is longer than 15 characters"},
      {.text = "bcast eth0\nbcast eth1 eth0\n",
       .message = "ha.cf:2: medium 'bcast:eth0' is already defined on line 1"},
      {.text = "ucast eth0 10.0.0.2\nucast eth0 10.0.0.2\n",
       .message = "ha.cf:2: medium 'ucast:eth0:10.0.0.2' is already defined on line 1"},
      {.text = "mcast eth0 239.192.0.1 694 1\n",
       .message = "ha.cf:1: mcast needs 5 values (IFACE GROUP PORT TTL LOOP), got 4"},
      {.text = "mcast eth0 239.192.0.1 694 1 0 0\n",
       .message = "ha.cf:1: mcast needs 5 values (IFACE GROUP PORT TTL LOOP), got 6"},
      {.text = "mcast eth0/ 239.192.0.1 694 1 0\n",
       .message = "ha.cf:1: 'eth0/' is not a valid interface name"},
      {.text = "mcast eth0 10.0.0.1 694 1 0\n",
       .message = "ha.cf:1: mcast group '10.0.0.1' is not an IPv4 multicast address (224.0.0.0/4)"},
      {.text = "mcast eth0 240.0.0.1 694 1 0\n", .message = "ha.cf:1: mcast group '240.0.0.1'"},
      {.text = "mcast eth0 ff02::1 694 1 0\n", .message = "ha.cf:1: mcast group 'ff02::1'"},
      {.text = "mcast eth0 239.192.0 694 1 0\n", .message = "ha.cf:1: mcast group '239.192.0'"},
      {.text = "mcast eth0 239.192.0.1 0 1 0\n",
       .message = "ha.cf:1: mcast port '0' is not a port number (1..65535)"},
      {.text = "mcast eth0 239.192.0.1 70000 1 0\n", .message = "ha.cf:1: mcast port '70000'"},
      {.text = "mcast eth0 239.192.0.1 694 5 0\n",
       .message = "ha.cf:1: mcast ttl '5' must be 0..4"},
      {.text = "mcast eth0 239.192.0.1 694 x 0\n", .message = "ha.cf:1: mcast ttl 'x'"},
      {.text = "mcast eth0 239.192.0.1 694 1 2\n",
       .message = "ha.cf:1: mcast loop '2' must be 0 or 1"},
      {.text = "mcast eth0 239.192.0.1 694 1 yes\n", .message = "ha.cf:1: mcast loop 'yes'"},
      {.text = "ucast eth0\n", .message = "ha.cf:1: ucast needs 2 values (IFACE PEER), got 1"},
      {.text = "ucast eth0 10.0.0.2 10.0.0.3\n",
       .message = "ha.cf:1: ucast needs 2 values (IFACE PEER), got 3"},
      {.text = "ucast a/b 10.0.0.2\n", .message = "ha.cf:1: 'a/b' is not a valid interface name"},
  });
}

TEST(ParseHaCfErrorTest, UnsafeDirectivesAreRefused) {
  ExpectErrors({
      {.text = "stonith baytech /etc/ha.d/conf/stonith.baytech\n",
       .message = "ha.cf:1: 'stonith': STONITH is not supported"},
      {.text = "stonith_host * baytech 10.0.0.3 mylogin mysecretpassword\n",
       .message = "ha.cf:1: 'stonith_host': STONITH is not supported"},
      {.text = "failfast hacluster /usr/lib/heartbeat/ccm\n",
       .message = "ha.cf:1: 'failfast': failfast children are not supported"},
      {.text = "watchdog /dev/watchdog\n",
       .message = "ha.cf:1: 'watchdog': the watchdog device is not supported"},
      {.text = "serial /dev/ttyS0\n", .message = "ha.cf:1: 'serial': serial media are not"},
      {.text = "baud 19200\n", .message = "ha.cf:1: 'baud': serial media are not supported"},
      {.text = "mcast6 eth0 ff05::1 694 1 0\n",
       .message = "ha.cf:1: 'mcast6': IPv6 media are not supported"},
      {.text = "ucast6 eth0 fe80::1%eth0\n", .message = "ha.cf:1: 'ucast6': IPv6 media"},
      {.text = "stonith\n", .message = "ha.cf:1: 'stonith': STONITH is not supported"},
      {.text = "crm on\n", .message = "ha.cf:1: 'crm on' hands resources to Pacemaker"},
      {.text = "crm yes\n", .message = "ha.cf:1: 'crm yes' hands resources to Pacemaker"},
      {.text = "crm respawn\n", .message = "ha.cf:1: 'crm respawn' hands resources"},
      {.text = "pacemaker minimal\n", .message = "ha.cf:1: 'pacemaker minimal' hands resources"},
      {.text = "pacemaker true\n", .message = "ha.cf:1: 'pacemaker true' hands resources"},
      {.text = "crm banana\n", .message = "ha.cf:1: 'crm banana' is not a valid setting"},
      {.text = "autojoin any\n", .message = "ha.cf:1: 'autojoin any' is not supported"},
      {.text = "autojoin other\n", .message = "ha.cf:1: 'autojoin other' is not supported"},
      {.text = "autojoin some\n", .message = "ha.cf:1: autojoin 'some' is not none, other or any"},
      {.text = "hbgenmethod time\n",
       .message = "ha.cf:1: 'hbgenmethod time' is not supported; tachy keeps the generation"},
      {.text = "hbgenmethod random\n",
       .message = "ha.cf:1: hbgenmethod 'random' is not file or time"},
  });
}

TEST(ParseHaCfErrorTest, WholeFileChecks) {
  ExpectErrors({
      {.text = "", .message = "ha.cf: no heartbeat medium"},
      {.text = "node a\n", .message = "ha.cf: no heartbeat medium"},
      {.text = "bcast eth0\n", .message = "ha.cf: no 'node' lines"},
      {.text = "bcast eth0\nnode a\nkeepalive 99us\ndeadtime 1\n",
       .message = "ha.cf:3: keepalive (99us) is below tachy's floor of 100us"},
      {.text = "bcast eth0\nnode a\nkeepalive 0\n",
       .message = "ha.cf:3: keepalive (0) is below tachy's floor"},
      {.text = "bcast eth0\nnode a\nkeepalive 15ms\ndeadtime 20ms\n",
       .message = "ha.cf:4: deadtime (20ms) must be more than 2 x keepalive (15ms)"},
      {.text = "bcast eth0\nnode a\nkeepalive 10ms\ndeadtime 20ms\n",
       .message = "ha.cf:4: deadtime (20ms) must be more than 2 x keepalive (10ms)"},
      // deadtime left at its default: the keepalive line is the culprit.
      {.text = "bcast eth0\nnode a\nkeepalive 15\n",
       .message = "ha.cf:3: deadtime (30s) must be more than 2 x keepalive (15s)"},
      {.text = "bcast eth0\nnode a\nwarntime 0\n",
       .message = "ha.cf:3: warntime must be more than 0"},
      {.text = "bcast eth0\nnode a\nwarntime 30\n",
       .message = "ha.cf:3: warntime (30s) must be less than deadtime (30s)"},
      {.text = "bcast eth0\nnode a\nkeepalive 2\nwarntime 1\n",
       .message = "ha.cf:4: warntime (1s) must be at least keepalive (2s)"},
      {.text = "bcast eth0\nnode a\ninitdead 29\n",
       .message = "ha.cf:3: initdead (29s) must be at least deadtime (30s)"},
      // Cross checks use the line that set the value last.
      {.text = "bcast eth0\nnode a\ninitdead 120\ninitdead 10\n",
       .message = "ha.cf:4: initdead (10s) must be at least deadtime (30s)"},
      // FNV-1a 32 collides for these two names (found by search).
      {.text = "bcast eth0\nnode node129599 node732382\n",
       .message = "'node129599' and 'node732382' hash to the same frame node id"},
  });
}

}  // namespace
}  // namespace tachy
