// arp_guard_test.cc: which ARP claims are conflicts with an address we hold,
// and how often each is logged, with a manual clock.
#include "actions/arp_guard.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

constexpr MonoTime kT0 = MonoTime::FromNanos(5'000'000'000);
constexpr uint32_t kVip = (10u << 24) | (0u << 16) | (0u << 8) | 5u;  // 10.0.0.5
const MacAddress kOurs = {0x02, 0, 0, 0, 0, 0x01};
const MacAddress kTheirs = {0x02, 0, 0, 0, 0, 0x02};

ArpClaim Claim(uint32_t ip, const MacAddress& mac, bool gratuitous = true) {
  ArpClaim c;
  c.sender_ip = ip;
  c.sender_mac = mac;
  c.target_ip = gratuitous ? ip : 0;
  c.gratuitous = gratuitous;
  return c;
}

ArpGuard Guard() { return ArpGuard({{0, "10.0.0.5", "eth0"}, {1, "10.0.0.6", "eth0"}}); }

const auto kAll = [](size_t) { return true; };

TEST(ArpGuardTest, AnotherMacClaimingOurAddressIsAConflictLoggedOnce) {
  ArpGuard g = Guard();
  auto first = g.Check(Claim(kVip, kTheirs), "eth0", &kOurs, kAll, kT0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].group, 0u);
  EXPECT_EQ(first[0].ip, "10.0.0.5");
  EXPECT_EQ(first[0].mac, "02:00:00:00:00:02");
  EXPECT_TRUE(first[0].gratuitous);
  EXPECT_TRUE(first[0].log);
  auto again = g.Check(Claim(kVip, kTheirs, false), "eth0", &kOurs, kAll,
                       kT0 + absl::Seconds(1));
  ASSERT_EQ(again.size(), 1u);  // still counted
  EXPECT_FALSE(again[0].log);   // not logged again within 10 s
  EXPECT_FALSE(again[0].gratuitous);
  auto later = g.Check(Claim(kVip, kTheirs), "eth0", &kOurs, kAll,
                       kT0 + absl::Seconds(11));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_TRUE(later[0].log);
}

TEST(ArpGuardTest, OurOwnClaimsOtherInterfacesAndOtherAddressesAreNot) {
  ArpGuard g = Guard();
  EXPECT_TRUE(g.Check(Claim(kVip, kOurs), "eth0", &kOurs, kAll, kT0).empty());
  EXPECT_TRUE(g.Check(Claim(kVip, kTheirs), "eth1", &kOurs, kAll, kT0).empty());
  EXPECT_TRUE(g.Check(Claim(kVip + 10, kTheirs), "eth0", &kOurs, kAll, kT0).empty());
}

TEST(ArpGuardTest, AGroupNotGuardedNowIsNotDefended) {
  ArpGuard g = Guard();
  // Not held, or being released (its address may already be gone).
  EXPECT_TRUE(
      g.Check(Claim(kVip, kTheirs), "eth0", &kOurs, [](size_t) { return false; }, kT0).empty());
  auto only_second = g.Check(Claim(kVip + 1, kTheirs), "eth0", &kOurs,
                             [](size_t group) { return group == 1; }, kT0);
  ASSERT_EQ(only_second.size(), 1u);
  EXPECT_EQ(only_second[0].group, 1u);
}

// Hardening row 10: a GARP flood for the VIP from random MACs logged every
// ip/mac pair (160 k lines in 10 s) and remembered each forever.
TEST(ArpGuardTest, AFloodFromRandomMacsIsOneLinePerPeriodAndOneEntry) {
  ArpGuard g = Guard();
  int logged = 0;
  uint64_t unlogged_reported = 0;
  for (uint32_t i = 0; i < 20000; ++i) {
    const MacAddress mac = {0x02, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                            static_cast<uint8_t>(i), 0x33, 0x44};
    // 20 000 claims over 19.99 s: two log periods.
    for (const auto& k : g.Check(Claim(kVip, mac), "eth0", &kOurs, kAll,
                                 kT0 + absl::Milliseconds(i))) {
      if (k.log) {
        ++logged;
        unlogged_reported += k.unlogged;
      }
    }
  }
  EXPECT_EQ(logged, 2);
  EXPECT_EQ(unlogged_reported, 10000u);  // the second line tells of the first period's rest
  EXPECT_EQ(g.tracked(), 1u);
}

}  // namespace
}  // namespace tachy
