// group_jobs_test.cc: taking and releasing a group over fake operations:
// the order of the steps, the rollback of a failed take, stop retries, and
// the timeline read from a manual clock that moves 1 ms per Now() call.
#include "actions/group_jobs.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "actions/resource_agent.h"
#include "detector/base/mono_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct FakeResource {
  std::string name;
  bool address = false;
  // Scripts: what each call answers. Stop answers from `stop_results` in
  // turn (the last one repeats), or ok if empty.
  bool start_ok = true;
  std::vector<bool> stop_results;
  ResourceStatus status = ResourceStatus::kStopped;
  // Addresses.
  absl::Status add = absl::OkStatus();
  absl::Status del = absl::OkStatus();
  absl::Status announce = absl::OkStatus();
  // Monitoring.
  std::vector<pid_t> main;
  int leftovers = 0;
  bool present = true;  // addresses
  bool routed = false;   // a BGP:: address
};

FakeResource Address(std::string name) {
  FakeResource r;
  r.name = std::move(name);
  r.address = true;
  return r;
}
FakeResource Routed(std::string name) {
  FakeResource r = Address(std::move(name));
  r.routed = true;
  return r;
}
FakeResource Script(std::string name) {
  FakeResource r;
  r.name = std::move(name);
  return r;
}

class FakeOps final : public GroupOps {
 public:
  explicit FakeOps(std::vector<FakeResource> resources) : res_(std::move(resources)) {}

  size_t size() const override { return res_.size(); }
  bool is_address(size_t i) const override { return res_.at(i).address; }
  const std::string& name(size_t i) const override { return res_.at(i).name; }

  bool is_routed(size_t i) const override { return res_.at(i).routed; }
  std::string where(size_t i, RoutePreference p) const override {
    if (!res_.at(i).routed) return "";
    return p == RoutePreference::kPreferred ? "take" : "own";
  }
  absl::Status AddAddress(size_t i, RoutePreference p) override {
    Log("add", i);
    if (res_.at(i).routed) log_.back() += p == RoutePreference::kPreferred ? " take" : " own";
    return res_.at(i).add;
  }
  absl::Status DeleteAddress(size_t i) override {
    Log("del", i);
    return res_.at(i).del;
  }
  absl::Status Announce(size_t i) override {
    Log("garp", i);
    return res_.at(i).announce;
  }
  OpResult Start(size_t i) override {
    Log("start", i);
    OpResult r;
    r.ok = res_.at(i).start_ok;
    if (!r.ok) r.detail = "exit 1: cannot bind";
    return r;
  }
  OpResult Stop(size_t i) override {
    Log("stop", i);
    std::vector<bool>& script = res_.at(i).stop_results;
    const size_t n = stops_[i]++;
    OpResult r;
    r.ok = script.empty() || script[std::min(n, script.size() - 1)];
    if (!r.ok) r.detail = "exit 1: busy";
    return r;
  }
  ResourceStatus Status(size_t i) override {
    Log("status", i);
    return res_.at(i).status;
  }
  std::vector<pid_t> MainProcesses(size_t i) override { return res_.at(i).main; }
  int KillLeftovers(size_t i) override {
    Log("kill", i);
    return res_.at(i).leftovers;
  }
  std::string CheckApplication() override {
    log_.push_back("app");
    return app_error;
  }
  std::string app_error;
  bool HasAddress(size_t i) override {
    Log("has", i);
    return res_.at(i).present;
  }
  void Sleep(absl::Duration d) override {
    log_.push_back(absl::StrCat("sleep ", absl::FormatDuration(d)));
    sleeps_.push_back(d);
    now_ = now_ + d;
  }
  MonoTime Now() override {
    now_ = now_ + absl::Milliseconds(1);
    return now_;
  }

  const std::vector<std::string>& log() const { return log_; }
  const std::vector<absl::Duration>& sleeps() const { return sleeps_; }
  MonoTime start() const { return kStart; }

 private:
  void Log(const char* op, size_t i) { log_.push_back(absl::StrCat(op, " ", res_.at(i).name)); }

  static constexpr MonoTime kStart = MonoTime::FromNanos(5'000'000'000);
  std::vector<FakeResource> res_;
  std::map<size_t, size_t> stops_;
  std::vector<std::string> log_;
  std::vector<absl::Duration> sleeps_;
  MonoTime now_ = kStart;
};

TakeOptions KnownStopped(bool v) {
  TakeOptions o;
  o.known_stopped = v;
  return o;
}

// ---------------------------------------------------------------------------
// Take

TEST(GroupJobsTest, TakeGoesLeftToRightAnnouncingEachAddressAtOnce) {
  FakeOps ops({Address("10.0.0.1"), Script("apache2"), Address("10.0.0.2"), Script("mysql")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_FALSE(r.held_anyway);
  EXPECT_EQ(r.error, "");
  EXPECT_THAT(ops.log(), ElementsAre("add 10.0.0.1", "garp 10.0.0.1", "start apache2",
                                     "add 10.0.0.2", "garp 10.0.0.2", "start mysql"));
  ASSERT_EQ(r.resources.size(), 2u);
  EXPECT_EQ(r.resources[0].name, "apache2");
  EXPECT_EQ(r.resources[1].name, "mysql");
  EXPECT_THAT(r.steps, Not(IsEmpty()));
}

TEST(GroupJobsTest, KnownStoppedSkipsStatus) {
  FakeOps ops({Script("apache2"), Script("mysql")});
  RunTake(ops, KnownStopped(true));
  EXPECT_THAT(ops.log(), ElementsAre("start apache2", "start mysql"));
}

TEST(GroupJobsTest, UnknownStateAsksStatusAndDoesNotStartARunningResource) {
  FakeResource apache = Script("apache2");
  apache.status = ResourceStatus::kRunning;
  FakeOps ops({apache, Script("mysql")});
  const TakeResult r = RunTake(ops, KnownStopped(false));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("status apache2", "status mysql", "start mysql"));
  // The running one still counts as taken, in order.
  ASSERT_EQ(r.resources.size(), 2u);
  EXPECT_EQ(r.resources[0].name, "apache2");
  EXPECT_EQ(r.resources[1].name, "mysql");
  // Every script call is in the breakdown, the status probes included.
  EXPECT_THAT(r.steps, testing::Contains(HasSubstr("apache2 already running (status ")));
  EXPECT_THAT(r.steps, testing::Contains(HasSubstr("mysql status stopped ")));
}

TEST(GroupJobsTest, FailedStartRollsBackNewestFirst) {
  FakeResource bad = Script("mysql");
  bad.start_ok = false;
  FakeOps ops({Address("10.0.0.1"), Script("apache2"), Address("10.0.0.2"), bad, Script("never")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.held_anyway);
  EXPECT_THAT(r.error, HasSubstr("mysql"));
  EXPECT_THAT(r.error, HasSubstr("start failed"));
  EXPECT_THAT(r.error, HasSubstr("cannot bind"));
  EXPECT_THAT(ops.log(),
              ElementsAre("add 10.0.0.1", "garp 10.0.0.1", "start apache2", "add 10.0.0.2",
                          "garp 10.0.0.2", "start mysql",
                          // rollback, newest first; the failed one is not stopped
                          "del 10.0.0.2", "stop apache2", "del 10.0.0.1"));
}

TEST(GroupJobsTest, FailedAddressAddRollsBackAndNamesIt) {
  FakeResource vip = Address("10.0.0.2");
  vip.add = absl::PermissionDeniedError("RTM_NEWADDR: Operation not permitted");
  FakeOps ops({Script("apache2"), vip, Script("never")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("10.0.0.2"));
  EXPECT_THAT(r.error, HasSubstr("Operation not permitted"));
  EXPECT_THAT(ops.log(), ElementsAre("start apache2", "add 10.0.0.2", "stop apache2"));
}

TEST(GroupJobsTest, RollbackThatCannotStopIsHeldAnyway) {
  FakeResource stuck = Script("apache2");
  stuck.stop_results = {false};
  stuck.status = ResourceStatus::kRunning;
  FakeResource bad = Script("mysql");
  bad.start_ok = false;
  FakeOps ops({Address("10.0.0.1"), stuck, bad});
  // known_stopped: apache2's "running" status is only asked after its stop failed.
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.held_anyway);
  EXPECT_THAT(ops.log(), ElementsAre("add 10.0.0.1", "garp 10.0.0.1", "start apache2",
                                     "start mysql", "stop apache2", "status apache2",
                                     "del 10.0.0.1"));
}

TEST(GroupJobsTest, RollbackWhoseStopFailsButStatusSaysStoppedIsNotHeld) {
  FakeResource flaky = Script("apache2");
  flaky.stop_results = {false};
  flaky.status = ResourceStatus::kStopped;
  FakeResource bad = Script("mysql");
  bad.start_ok = false;
  FakeOps ops({flaky, bad});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.held_anyway);
}

TEST(GroupJobsTest, TakeTimelineIsOrdered) {
  FakeOps ops({Address("10.0.0.1"), Address("10.0.0.2"), Script("apache2"), Script("mysql")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.started, ops.start());
  EXPECT_LE(r.started, r.vip_added);
  EXPECT_LE(r.vip_added, r.garp_sent);
  ASSERT_EQ(r.resources.size(), 2u);
  EXPECT_LE(r.garp_sent, r.resources[0].done);
  EXPECT_LE(r.resources[0].done, r.resources[1].done);
  EXPECT_LE(r.resources[1].done, r.done);
  // vip/garp are the first address's, not the second's.
  EXPECT_LT(r.garp_sent, r.resources[0].done - absl::Milliseconds(1));
  EXPECT_NE(r.vip_added, MonoTime());
}

TEST(GroupJobsTest, GroupWithoutAddressHasNoVipTimes) {
  FakeOps ops({Script("apache2")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.vip_added, MonoTime());
  EXPECT_EQ(r.garp_sent, MonoTime());
  EXPECT_LE(r.started, r.resources[0].done);
  EXPECT_LE(r.resources[0].done, r.done);
}

TEST(GroupJobsTest, AddressAlreadyPresentCountsAsTaken) {
  FakeResource vip = Address("10.0.0.1");
  vip.add = absl::AlreadyExistsError("exists");
  FakeOps ops({vip, Script("apache2")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("add 10.0.0.1", "garp 10.0.0.1", "start apache2"));
  EXPECT_THAT(r.steps, testing::Contains("VIP 10.0.0.1 already present"));
  EXPECT_NE(r.vip_added, MonoTime());
}

TEST(GroupJobsTest, FailedAnnounceDoesNotFailTheTake) {
  FakeResource vip = Address("10.0.0.1");
  vip.announce = absl::UnavailableError("no buffer");
  FakeOps ops({vip});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_TRUE(r.ok);
  EXPECT_THAT(r.steps, testing::Contains(HasSubstr("GARP failed (no buffer)")));
}

// ---------------------------------------------------------------------------
// Release

ReleaseOptions Retries(int n) {
  ReleaseOptions o;
  o.stop_retries = n;
  o.stop_retry_interval = absl::Milliseconds(250);
  return o;
}

TEST(GroupJobsTest, ReleaseGoesRightToLeft) {
  FakeOps ops({Address("10.0.0.1"), Script("apache2"), Address("10.0.0.2"), Script("mysql")});
  const ReleaseResult r = RunRelease(ops, Retries(3));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(),
              ElementsAre("stop mysql", "kill mysql", "del 10.0.0.2", "stop apache2",
                                     "kill apache2", "del 10.0.0.1"));
  EXPECT_LT(r.started, r.done);
  EXPECT_THAT(ops.sleeps(), IsEmpty());
}

TEST(GroupJobsTest, EmergencyReleaseRemovesAddressesFirst) {
  FakeOps ops({Address("10.0.0.1"), Script("apache2"), Address("10.0.0.2"), Script("mysql")});
  ReleaseOptions o = Retries(3);
  o.addresses_first = true;
  const ReleaseResult r = RunRelease(ops, o);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(),
              ElementsAre("del 10.0.0.2", "del 10.0.0.1", "stop mysql", "kill mysql",
                                     "stop apache2", "kill apache2"));
}

TEST(GroupJobsTest, StopIsRetriedWithSleepsBetween) {
  FakeResource stuck = Script("apache2");
  stuck.stop_results = {false};
  stuck.status = ResourceStatus::kRunning;
  FakeOps ops({stuck});
  const ReleaseResult r = RunRelease(ops, Retries(4));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("apache2"));
  EXPECT_THAT(r.error, HasSubstr("will not stop"));
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "sleep 250ms", "stop apache2", "sleep 250ms",
                                     "stop apache2", "sleep 250ms", "stop apache2",
                                     "status apache2"));
  EXPECT_EQ(ops.sleeps().size(), 3u);  // retries - 1
  for (absl::Duration d : ops.sleeps()) EXPECT_EQ(d, absl::Milliseconds(250));
}

TEST(GroupJobsTest, StopThatSucceedsOnARetryIsFine) {
  FakeResource flaky = Script("apache2");
  flaky.stop_results = {false, false, true};
  flaky.status = ResourceStatus::kRunning;
  FakeOps ops({flaky});
  const ReleaseResult r = RunRelease(ops, Retries(10));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "sleep 250ms", "stop apache2", "sleep 250ms",
                                     "stop apache2", "kill apache2"));
  EXPECT_EQ(ops.sleeps().size(), 2u);
}

TEST(GroupJobsTest, FailedStopsButStatusStoppedIsNoError) {
  FakeResource odd = Script("apache2");
  odd.stop_results = {false};
  odd.status = ResourceStatus::kStopped;
  FakeOps ops({Address("10.0.0.1"), odd});
  const ReleaseResult r = RunRelease(ops, Retries(2));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "sleep 250ms", "stop apache2",
                                     "status apache2", "kill apache2", "del 10.0.0.1"));
  EXPECT_THAT(r.steps, testing::Contains("apache2 stop failed but status says stopped"));
}

TEST(GroupJobsTest, OneStopFailureDoesNotStopTheRestOfTheRelease) {
  FakeResource stuck = Script("apache2");
  stuck.stop_results = {false};
  stuck.status = ResourceStatus::kRunning;
  FakeOps ops({Address("10.0.0.1"), stuck});
  const ReleaseResult r = RunRelease(ops, Retries(1));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "status apache2", "del 10.0.0.1"));
  EXPECT_THAT(ops.sleeps(), IsEmpty());
}

TEST(GroupJobsTest, AddressAlreadyGoneIsFine) {
  FakeResource vip = Address("10.0.0.1");
  vip.del = absl::NotFoundError("no such address");
  FakeOps ops({vip, Script("apache2")});
  const ReleaseResult r = RunRelease(ops, Retries(3));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "kill apache2", "del 10.0.0.1"));
}

TEST(GroupJobsTest, FailedAddressDeleteIsAnErrorNamingIt) {
  FakeResource vip = Address("10.0.0.1");
  vip.del = absl::PermissionDeniedError("Operation not permitted");
  FakeOps ops({vip, Script("apache2")});
  const ReleaseResult r = RunRelease(ops, Retries(3));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("10.0.0.1"));
  EXPECT_THAT(r.error, HasSubstr("Operation not permitted"));
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "kill apache2", "del 10.0.0.1"));
}

// The runner adds the leading addresses in the wake-up that decided and
// hands the rest to the group's worker: the first part touches only the
// addresses at the front, and a failure later still rolls them back.
TEST(TakeJobTest, LeadingAddressesFirstThenTheRestAndRollbackCoversBoth) {
  FakeResource httpd = Script("httpd");
  httpd.start_ok = false;
  FakeOps ops({Address("10.0.0.1"), Address("10.0.0.2"), httpd, Address("10.0.0.3")});
  TakeJob job(ops, KnownStopped(true));
  job.RunLeadingAddresses();
  EXPECT_THAT(ops.log(), ElementsAre("add 10.0.0.1", "garp 10.0.0.1", "add 10.0.0.2",
                                     "garp 10.0.0.2"));
  const TakeResult r = job.Finish();
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("httpd start failed"));
  EXPECT_THAT(ops.log(), ElementsAre("add 10.0.0.1", "garp 10.0.0.1", "add 10.0.0.2",
                                     "garp 10.0.0.2", "start httpd", "del 10.0.0.2",
                                     "del 10.0.0.1"));
}

TEST(TakeJobTest, AGroupStartingWithAScriptLeavesEverythingToFinish) {
  FakeOps ops({Script("drbd"), Address("10.0.0.1")});
  TakeJob job(ops, KnownStopped(true));
  job.RunLeadingAddresses();
  EXPECT_THAT(ops.log(), IsEmpty());
  EXPECT_TRUE(job.Finish().ok);
  EXPECT_THAT(ops.log(), ElementsAre("start drbd", "add 10.0.0.1", "garp 10.0.0.1"));
}

// A killed daemon's orphaned workers outlive its stop script and hold its
// port: a release removes them, so the next start (here or after a hand-back)
// can bind.
TEST(GroupJobsTest, ReleaseKillsWhatAStoppedScriptLeft) {
  FakeResource apache = Script("apache2");
  apache.leftovers = 2;
  FakeOps ops({Address("10.0.0.1"), apache});
  const ReleaseResult r = RunRelease(ops, ReleaseOptions{});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(r.steps, testing::Contains(HasSubstr("apache2 stopped")));
  EXPECT_THAT(r.steps, testing::Contains(HasSubstr("2 leftover process(es) killed")));
}

// ---------------------------------------------------------------------------
// Restart and monitor

TEST(GroupJobsTest, RestartStopsFromTheFailedResourceOnKillsLeftoversAndStartsAgain) {
  FakeResource apache = Script("apache2");
  apache.leftovers = 3;  // its workers, orphaned by the killed parent
  FakeOps ops({Address("10.0.0.1"), apache, Script("mysql")});
  const TakeResult r = RunRestart(ops, 1);
  EXPECT_TRUE(r.ok) << r.error;
  // The address before it is left alone; no status calls (just stopped).
  EXPECT_THAT(ops.log(), ElementsAre("stop mysql", "kill mysql", "stop apache2", "kill apache2",
                                     "start apache2", "start mysql"));
  EXPECT_THAT(r.steps, testing::Contains(HasSubstr("3 leftover process(es) killed")));
  ASSERT_EQ(r.resources.size(), 2u);
  EXPECT_EQ(r.resources[0].name, "apache2");
  EXPECT_EQ(r.vip_added, MonoTime());
}

TEST(GroupJobsTest, RestartOfAnAddressReaddsAndAnnouncesIt) {
  FakeResource vip = Address("10.0.0.1");
  vip.del = absl::NotFoundError("gone");  // what failed: someone removed it
  FakeOps ops({vip, Script("apache2")});
  const TakeResult r = RunRestart(ops, 0);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "kill apache2", "del 10.0.0.1",
                                     "add 10.0.0.1", "garp 10.0.0.1", "start apache2"));
  EXPECT_NE(r.vip_added, MonoTime());
}

TEST(GroupJobsTest, RoutedAddressGoesWhereTheTakeSaysAndSendsNoGarp) {
  for (const RoutePreference p : {RoutePreference::kNormal, RoutePreference::kPreferred}) {
    const bool take = p == RoutePreference::kPreferred;
    SCOPED_TRACE(take ? "preferred" : "normal");
    FakeOps ops({Routed("10.0.0.100"), Address("10.0.0.1"), Script("apache2")});
    TakeOptions options = KnownStopped(true);
    options.route = p;
    const TakeResult r = RunTake(ops, options);
    EXPECT_TRUE(r.ok) << r.error;
    EXPECT_THAT(ops.log(), ElementsAre(take ? "add 10.0.0.100 take" : "add 10.0.0.100 own",
                                       "add 10.0.0.1", "garp 10.0.0.1", "start apache2"));
    ASSERT_GE(r.steps.size(), 1u);
    EXPECT_THAT(r.steps[0], HasSubstr(take ? "VIP 10.0.0.100 added on take" :
                                             "VIP 10.0.0.100 added on own"));
    // The timeline's vip step is the routed address; its GARP, the LAN's.
    EXPECT_NE(r.vip_added, MonoTime());
    EXPECT_GT(r.garp_sent, r.vip_added);
  }
}

TEST(GroupJobsTest, RoutedOnlyGroupHasNoGarpStep) {
  FakeOps ops({Routed("10.0.0.100"), Script("apache2")});
  const TakeResult r = RunTake(ops, KnownStopped(true));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("add 10.0.0.100 own", "start apache2"));
  EXPECT_NE(r.vip_added, MonoTime());
  EXPECT_EQ(r.garp_sent, MonoTime());
}

TEST(GroupJobsTest, RestartKeepsTheRoutePreferenceOfTheTake) {
  FakeOps ops({Routed("10.0.0.100"), Script("apache2")});
  const TakeResult r = RunRestart(ops, 0, RoutePreference::kPreferred);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_THAT(ops.log(), ElementsAre("stop apache2", "kill apache2", "del 10.0.0.100",
                                     "add 10.0.0.100 take", "start apache2"));
}

TEST(GroupJobsTest, AFailedRestartRollsBackOnlyWhatItStarted) {
  FakeResource mysql = Script("mysql");
  mysql.start_ok = false;
  FakeOps ops({Address("10.0.0.1"), Script("apache2"), mysql});
  const TakeResult r = RunRestart(ops, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("mysql start failed"));
  EXPECT_THAT(ops.log(), ElementsAre("stop mysql", "kill mysql", "stop apache2", "kill apache2",
                                     "start apache2", "start mysql", "stop apache2"));
}

TEST(GroupJobsTest, MonitorChecksLeftToRightAndReportsMainProcesses) {
  FakeResource apache = Script("apache2");
  apache.status = ResourceStatus::kRunning;
  apache.main = {4242};
  FakeResource mysql = Script("mysql");
  mysql.status = ResourceStatus::kRunning;
  FakeOps ops({Address("10.0.0.1"), apache, mysql});
  const MonitorResult r = RunMonitor(ops);
  EXPECT_FALSE(r.failure.has_value());
  EXPECT_THAT(ops.log(), ElementsAre("has 10.0.0.1", "status apache2", "status mysql", "app"));
  ASSERT_EQ(r.main.size(), 3u);
  EXPECT_THAT(r.main[1], ElementsAre(4242));
  EXPECT_THAT(r.main[2], IsEmpty());
  EXPECT_GT(r.done, r.started);
}

// Right after a start only the main processes are looked for: a daemon
// that has not written its pid file yet must not be "not running".
TEST(GroupJobsTest, ADiscoveryOnlyFindsMainProcessesAndChecksNothing) {
  FakeResource apache = Script("apache2");  // status would say stopped
  apache.main = {77};
  FakeOps ops({Address("10.0.0.1"), apache});
  ops.app_error = "would fail";
  const MonitorResult r = RunMonitor(ops, /*discover_only=*/true);
  EXPECT_FALSE(r.failure.has_value());
  EXPECT_THAT(ops.log(), IsEmpty());
  EXPECT_THAT(r.main[1], ElementsAre(77));
}

TEST(GroupJobsTest, MonitorStopsAtTheFirstFailure) {
  FakeResource apache = Script("apache2");  // status: stopped
  FakeOps ops({Address("10.0.0.1"), apache, Script("mysql")});
  const MonitorResult r = RunMonitor(ops);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->resource, 1u);
  EXPECT_EQ(r.failure->what, "status says not running");
  EXPECT_THAT(ops.log(), ElementsAre("has 10.0.0.1", "status apache2"));

  FakeResource vip = Address("10.0.0.1");
  vip.present = false;
  FakeOps gone({vip, Script("apache2")});
  const MonitorResult g = RunMonitor(gone);
  ASSERT_TRUE(g.failure.has_value());
  EXPECT_EQ(g.failure->resource, 0u);
  EXPECT_EQ(g.failure->what, "address no longer configured here");
}

TEST(GroupJobsTest, AFailedApplicationCheckCountsAsTheLastResources) {
  FakeResource apache = Script("apache2");
  apache.status = ResourceStatus::kRunning;
  FakeOps ops({Address("10.0.0.1"), apache});
  ops.app_error = "http 10.0.0.1:80/: status 503 after 0.4 ms";
  const MonitorResult r = RunMonitor(ops);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->resource, 1u);
  EXPECT_EQ(r.failure->what, "application check: http 10.0.0.1:80/: status 503 after 0.4 ms");
}

}  // namespace
}  // namespace tachy
