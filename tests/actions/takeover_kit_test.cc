// takeover_kit_test.cc: everything a takeover needs is opened when the kit
// is prepared, and a take or release through it opens nothing: counted as
// the process's open file descriptors and the GARP owner's interface
// sockets, in a private network namespace with a real interface.
#include "actions/takeover_kit.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "actions/group_jobs.h"
#include "actions/haresources.h"
#include "actions/netlink_address.h"
#include "gtest/gtest.h"
#include "tests/support/netns_child.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

size_t OpenFds() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

// A resource script `dir`/svc that keeps its state in a file beside it.
void WriteStateScript(const std::string& dir) {
  const std::string script = dir + "/svc";
  std::ofstream(script) << "#!/bin/sh\n"
                           "S=" << dir << "/running\n"
                           "case \"$1\" in\n"
                           "  start) touch \"$S\" ;;\n"
                           "  stop) rm -f \"$S\" ;;\n"
                           "  status) if [ -f \"$S\" ]; then echo running; else echo stopped; fi ;;\n"
                           "esac\n";
  chmod(script.c_str(), 0755);
}

class TakeoverKitTest : public NetnsTest {};

TEST_F(TakeoverKitTest, ATakeAndAReleaseOpenNothing) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!c.Sh("ip link add d0 type veth peer name d0p && ip link set d0p up && "
              "ip link set d0 up && ip addr add 10.77.0.1/24 dev d0")) {
      return;
    }
    TempDir scripts("tachy-kit");
    if (!c.Expect(!scripts.path().empty(), "mkdtemp")) return;
    const std::string dir = scripts.path();
    WriteStateScript(dir);
    auto hr = ParseHaResources("a 10.77.0.5 svc\n", "haresources", {"a", "b"});
    if (!c.Expect(hr.ok(), absl::StrCat("haresources: ", hr.status().ToString()))) return;
    KitOptions o;
    o.dirs.resource_dir = dir;
    o.dirs.init_dir = dir;
    o.haresources_path = "haresources";
    auto kit = TakeoverKit::Prepare(hr->groups, o);
    if (!c.Expect(kit.ok(), absl::StrCat("Prepare: ", kit.status().ToString()))) return;
    c.Expect((*kit)->garp().opened() == 1, "one GARP socket for d0");
    c.Expect((*kit)->watchers().size() == 1, "one ARP watcher for d0");

    const size_t fds = OpenFds();
    const size_t sockets = (*kit)->garp().opened();
    const uint64_t netlink = NetlinkSocketsOpened();
    TakeOptions to;
    to.known_stopped = true;
    const TakeResult take = RunTake((*kit)->GroupOpsFor(0), to);
    // Counted before this test looks at the address (which opens its own).
    c.Expect(NetlinkSocketsOpened() == netlink, "a take opened a netlink socket");
    c.Expect(take.ok, absl::StrCat("take: ", take.error));
    c.Expect(InterfaceWithAddress("10.77.0.5").ok(), "the VIP is up after the take");
    c.Expect(take.vip_added != MonoTime() && take.garp_sent >= take.vip_added,
             "address added, then announced");
    c.Expect(OpenFds() == fds, absl::StrCat("a take opened descriptors: ", fds, " -> ", OpenFds()));
    c.Expect((*kit)->garp().opened() == sockets, "a take opened a GARP socket");

    const uint64_t netlink_before_release = NetlinkSocketsOpened();
    const ReleaseResult release = RunRelease((*kit)->GroupOpsFor(0), ReleaseOptions{});
    c.Expect(NetlinkSocketsOpened() == netlink_before_release,
             "a release opened a netlink socket");
    c.Expect(release.ok, absl::StrCat("release: ", release.error));
    c.Expect(!InterfaceWithAddress("10.77.0.5").ok(), "the VIP is gone after the release");
    c.Expect(OpenFds() == fds, "a release opened descriptors");
  });
  EXPECT_EQ(failures, "");
}

// The interface that has `ip`, "" if none.
std::string Holder(absl::string_view ip) {
  absl::StatusOr<std::string> iface = InterfaceWithAddress(ip);
  return iface.ok() ? *iface : "";
}

// BGP:: addresses: the kit makes tachy-own and tachy-take up front (dummy,
// or ifb where the kernel has no dummy driver); a take puts the /32 on one
// of them by the route preference, sends no GARP and watches no ARP; a
// release removes it from both; a deleted link is made again by Refresh().
TEST_F(TakeoverKitTest, BgpAddressesGoOnTheLocalLinksByRoutePreference) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    TempDir scripts("tachy-kit");
    if (!c.Expect(!scripts.path().empty(), "mkdtemp")) return;
    WriteStateScript(scripts.path());
    auto hr = ParseHaResources("a BGP::10.79.0.100 svc\n", "haresources", {"a", "b"});
    if (!c.Expect(hr.ok(), absl::StrCat("haresources: ", hr.status().ToString()))) return;
    KitOptions o;
    o.dirs.resource_dir = scripts.path();
    o.dirs.init_dir = scripts.path();
    o.haresources_path = "haresources";
    auto kit = TakeoverKit::Prepare(hr->groups, o);
    if (!c.Expect(kit.ok(), absl::StrCat("Prepare: ", kit.status().ToString()))) return;
    c.Expect(c.Sh("ip link show tachy-own | grep -q ',UP'"), "tachy-own is there and up");
    c.Expect(c.Sh("ip link show tachy-take | grep -q ',UP'"), "tachy-take is there and up");
    c.Expect((*kit)->garp().opened() == 0, "no GARP socket for a BGP address");
    c.Expect((*kit)->watchers().empty(), "no ARP watcher for a BGP address");
    GroupOps& ops = (*kit)->GroupOpsFor(0);
    c.Expect(ops.is_routed(0) && !ops.is_routed(1), "the address is routed, the script not");

    for (const RoutePreference p : {RoutePreference::kNormal, RoutePreference::kPreferred}) {
      const bool take = p == RoutePreference::kPreferred;
      const std::string on = take ? "tachy-take" : "tachy-own";
      const std::string off = take ? "tachy-own" : "tachy-take";
      TakeOptions to;
      to.known_stopped = true;
      to.route = p;
      const uint64_t netlink = NetlinkSocketsOpened();
      const TakeResult r = RunTake(ops, to);
      c.Expect(NetlinkSocketsOpened() == netlink, "a take opened a netlink socket");
      c.Expect(r.ok, absl::StrCat("take: ", r.error));
      c.Expect(Holder("10.79.0.100") == on, absl::StrCat("the /32 is on ", on, ", not ", off,
                                                        ": ", Holder("10.79.0.100")));
      c.Expect(r.vip_added != MonoTime() && r.garp_sent == MonoTime(), "added, no GARP");
      c.Expect(!r.steps.empty() && absl::StrContains(r.steps[0], "on " + on),
               absl::StrCat("the step says where: ", r.steps.empty() ? "" : r.steps[0]));
      const ReleaseResult rel = RunRelease(ops, ReleaseOptions{});
      c.Expect(rel.ok, absl::StrCat("release: ", rel.error));
      c.Expect(!InterfaceWithAddress("10.79.0.100").ok(), "gone after the release");
    }
    // Moved back to tachy-own once the dead are back, never on both links.
    {
      TakeOptions to;
      to.known_stopped = true;
      to.route = RoutePreference::kPreferred;
      const TakeResult r = RunTake(ops, to);
      c.Expect(r.ok && Holder("10.79.0.100") == "tachy-take", "taken on tachy-take");
      const absl::Status moved = ops.Reannounce(0, RoutePreference::kNormal);
      c.Expect(moved.ok(), absl::StrCat("Reannounce: ", moved.ToString()));
      c.Expect(Holder("10.79.0.100") == "tachy-own",
               absl::StrCat("moved to tachy-own: ", Holder("10.79.0.100")));
      c.Expect(ops.Reannounce(0, RoutePreference::kNormal).ok(), "moving it again is fine");
      c.Expect(ops.Reannounce(1, RoutePreference::kNormal).ok(), "a script: nothing to do");
      c.Expect(RunRelease(ops, ReleaseOptions{}).ok, "release");
    }
    // Both at once (a failback that overlapped): a release removes both.
    if (c.Sh("ip addr add 10.79.0.100/32 dev tachy-own && "
             "ip addr add 10.79.0.100/32 dev tachy-take")) {
      const ReleaseResult rel = RunRelease(ops, ReleaseOptions{});
      c.Expect(rel.ok, absl::StrCat("release of both: ", rel.error));
      c.Expect(!InterfaceWithAddress("10.79.0.100").ok(), "both gone after the release");
    }
    if (c.Sh("ip link del tachy-take")) {
      std::vector<std::string> notes;
      (void)(*kit)->Refresh(&notes);
      c.Expect(c.Sh("ip link show tachy-take | grep -q ',UP'"), "Refresh made tachy-take again");
      TakeOptions to;
      to.known_stopped = true;
      to.route = RoutePreference::kPreferred;
      const TakeResult r = RunTake(ops, to);
      c.Expect(r.ok, absl::StrCat("take after Refresh: ", r.error));
      c.Expect(Holder("10.79.0.100") == "tachy-take", "the /32 is on the new tachy-take");
    }
  });
  EXPECT_EQ(failures, "");
}

TEST_F(TakeoverKitTest, AnAddressOnNoInterfaceIsRefusedWithFileAndLine) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    auto hr = ParseHaResources("\n\na IPaddr2::10.78.0.5/24/nosuch0\n", "/etc/ha.d/haresources",
                               {"a", "b"});
    if (!c.Expect(hr.ok(), absl::StrCat("haresources: ", hr.status().ToString()))) return;
    KitOptions o;
    o.haresources_path = "/etc/ha.d/haresources";
    o.require_interfaces = true;  // as `tachy-actions --check` asks
    auto kit = TakeoverKit::Prepare(hr->groups, o);
    c.Expect(!kit.ok() && absl::IsInvalidArgument(kit.status()), "refused");
    c.Expect(absl::StrContains(kit.status().message(), "/etc/ha.d/haresources:3:"),
             absl::StrCat("names file:line: ", kit.status().message()));
    c.Expect(absl::StrContains(kit.status().message(), "nosuch0"),
             absl::StrCat("names the interface: ", kit.status().message()));
  });
  EXPECT_EQ(failures, "");
}

// An interface that appears after the runner started, or is re-created
// with a new index: until then a take fails cleanly (and is said), and the
// once-a-second Refresh() opens what it needs, off the takeover path.
TEST_F(TakeoverKitTest, AnInterfaceThatAppearsLaterIsPickedUpByRefresh) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    auto hr = ParseHaResources("a IPaddr2::10.79.0.5/24/late0\n", "haresources", {"a", "b"});
    if (!c.Expect(hr.ok(), absl::StrCat("haresources: ", hr.status().ToString()))) return;
    KitOptions o;
    o.haresources_path = "haresources";
    auto kit = TakeoverKit::Prepare(hr->groups, o);
    if (!c.Expect(kit.ok(), absl::StrCat("Prepare: ", kit.status().ToString()))) return;
    c.Expect(!(*kit)->warnings().empty() &&
                 absl::StrContains((*kit)->warnings()[0], "late0 is not there (yet)"),
             "the missing interface is a warning with file:line");
    TakeOptions to;
    to.known_stopped = true;
    TakeResult r = RunTake((*kit)->GroupOpsFor(0), to);
    c.Expect(!r.ok && absl::StrContains(r.error, "late0"),
             absl::StrCat("take without the interface fails naming it: ", r.error));

    if (!c.Sh("ip link add late0 type veth peer name late0p && ip link set late0p up && "
              "ip link set late0 up")) {
      return;
    }
    std::vector<std::string> notes;
    const std::vector<size_t> watchers = (*kit)->Refresh(&notes);
    c.Expect(watchers.size() == 1, "its ARP watcher opened");
    c.Expect(!notes.empty() && absl::StrContains(notes[0], "late0 is there"),
             "the refresh says what it found");
    r = RunTake((*kit)->GroupOpsFor(0), to);
    c.Expect(r.ok, absl::StrCat("take once the interface is there: ", r.error));
    c.Expect(r.garp_sent != MonoTime(), "announced once the interface is there");
    (void)RunRelease((*kit)->GroupOpsFor(0), ReleaseOptions{});

    // Re-created: a new index. The stale one would fail; Refresh() mends it.
    if (!c.Sh("ip link del late0 && ip link add late0 type veth peer name late0p && "
              "ip link set late0p up && ip link set late0 up")) {
      return;
    }
    notes.clear();
    c.Expect((*kit)->Refresh(&notes).size() == 1, "its ARP watcher re-opened");
    r = RunTake((*kit)->GroupOpsFor(0), to);
    c.Expect(r.ok, absl::StrCat("take after the interface was re-created: ", r.error));
    bool announced = false;
    for (const std::string& step : r.steps) announced = announced || step.rfind("GARP sent", 0) == 0;
    c.Expect(announced, "the GARP went out on the re-created interface");
  });
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace tachy
