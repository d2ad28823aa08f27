// arp_watcher_test.cc: GarpOwner and ArpWatcher on a live veth pair in a
// private network namespace (tests/support/netns_child.h): what one end announces the
// other end sees as gratuitous claims, and the sender does not see its own.
// ParseArpClaim's byte-level cases are in garp_test.cc.
#include "arp/arp_watcher.h"

#include <poll.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "arp/garp.h"
#include "arp/garp_owner.h"
#include "gtest/gtest.h"
#include "tests/support/netns_child.h"

namespace tachy {
namespace {

constexpr uint32_t kVip = 0x0A4D0005;  // 10.77.0.5

// Polls `watcher` and drains it into `claims` until `done` or `timeout`.
template <typename Done>
void CollectUntil(ArpWatcher& watcher, std::vector<ArpClaim>* claims, absl::Duration timeout,
                  Done done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return;
    pollfd pfd = {.fd = watcher.fd(), .events = POLLIN, .revents = 0};
    if (poll(&pfd, 1, static_cast<int>(left_ms)) > 0) {
      watcher.Drain([&](const ArpClaim& claim) { claims->push_back(claim); });
    }
  }
}

std::string Describe(const std::vector<ArpClaim>& claims) {
  std::string out;
  for (const ArpClaim& k : claims) {
    absl::StrAppend(&out, k.reply ? "reply" : "request", " from ", FormatMac(k.sender_mac), " ",
                    absl::Hex(k.sender_ip), "->", absl::Hex(k.target_ip),
                    k.gratuitous ? " gratuitous" : "", "; ");
  }
  return out;
}

class ArpWatcherLiveTest : public NetnsTest {};

TEST_F(ArpWatcherLiveTest, SeesPeersGratuitousRequestAndReply) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!c.Sh("ip link add veth0 type veth peer name veth1 && ip link set veth1 up && "
              "ip link set veth0 up")) {
      return;
    }
    absl::StatusOr<std::unique_ptr<ArpWatcher>> far = ArpWatcher::Open("veth1");
    absl::StatusOr<std::unique_ptr<ArpWatcher>> near = ArpWatcher::Open("veth0");
    GarpOwner sender;
    absl::StatusOr<GarpOwner::AddressId> vip = sender.AddAddress("veth0", "10.77.0.5");
    if (!c.Expect(far.ok(), absl::StrCat("ArpWatcher veth1: ", far.status().ToString())) ||
        !c.Expect(near.ok(), absl::StrCat("ArpWatcher veth0: ", near.status().ToString())) ||
        !c.Expect(vip.ok(), absl::StrCat("GarpOwner veth0: ", vip.status().ToString())) ||
        !c.Expect(sender.mac("veth0") != nullptr, "GarpOwner opened veth0")) {
      return;
    }
    const MacAddress mac = *sender.mac("veth0");
    const std::string link = c.ShOutput("ip -o link show dev veth0");
    c.Expect(absl::StrContains(link, absl::StrCat("link/ether ", FormatMac(mac))),
             absl::StrCat("sender MAC ", FormatMac(mac), " vs `ip link`: ", link));

    c.Expect((*far)->Drain([](const ArpClaim&) {}) == 0, "claims before any announcement");
    c.Expect(sender.AddAddress("veth0", "10.77.0.256").status().code() ==
                 absl::StatusCode::kInvalidArgument,
             "a bad IP is refused when prepared");

    const absl::Status sent = sender.Announce(*vip);
    if (!c.Expect(sent.ok(), absl::StrCat("Announce: ", sent.ToString()))) return;

    std::vector<ArpClaim> claims;
    auto is = [&](bool reply) {
      for (const ArpClaim& k : claims) {
        if (k.reply == reply && k.gratuitous && k.sender_ip == kVip && k.target_ip == kVip &&
            k.sender_mac == mac) {
          return true;
        }
      }
      return false;
    };
    CollectUntil(**far, &claims, absl::Seconds(1), [&] { return is(false) && is(true); });
    c.Expect(is(false), absl::StrCat("no gratuitous request seen on veth1: ", Describe(claims)));
    c.Expect(is(true), absl::StrCat("no gratuitous reply seen on veth1: ", Describe(claims)));

    // Incoming only: the sender's own interface does not report its GARPs.
    std::vector<ArpClaim> own;
    (*near)->Drain([&](const ArpClaim& claim) { own.push_back(claim); });
    c.Expect(own.empty(), absl::StrCat("veth0 saw its own: ", Describe(own)));

    // A down interface refuses the frame (ENETDOWN from the packet socket).
    if (!c.Sh("ip link set veth0 down")) return;
    const absl::Status down = sender.Announce(*vip);
    c.Expect(
        down.code() == absl::StatusCode::kUnavailable && absl::StrContains(down.message(), "veth0"),
        absl::StrCat("Announce on a down link: ", down.ToString()));
  });
  EXPECT_EQ(failures, "");
}

}  // namespace
}  // namespace tachy
