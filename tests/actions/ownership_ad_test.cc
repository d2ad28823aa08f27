// ownership_ad_test.cc: the ownership advertisement in a frame's runner
// data: exact byte layout (what peers of either build read) and round trip.
#include "actions/ownership_ad.h"

#include <cstdint>

#include "detector/frame.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::Each;

TEST(OwnershipAdTest, ByteLayout) {
  const OwnershipAd ad{.held = 0x01020304, .wants = 0x0506, .declines = 0x0708,
                       .digest = 0x090a0b0c, .probing = 0x0d0e, .ping = 0x8003};
  const RunnerData d = EncodeOwnershipAd(ad);
  EXPECT_THAT(d, ElementsAre(0x01, 0x02, 0x03, 0x04,  // held, big-endian
                             0x05, 0x06,              // wants
                             0x07, 0x08,              // declines
                             0x09, 0x0a, 0x0b, 0x0c,  // digest
                             0x0d, 0x0e,              // probing
                             0x80, 0x03));            // ping: judged, 3 reached
}

TEST(OwnershipAdTest, EmptyAdIsAllZero) {
  EXPECT_THAT(EncodeOwnershipAd(OwnershipAd{}), Each(0));
  EXPECT_EQ(DecodeOwnershipAd(RunnerData{}), OwnershipAd{});
}

TEST(OwnershipAdTest, RoundTrips) {
  for (const OwnershipAd& ad : {
           OwnershipAd{.held = 0xffffffff, .wants = 0xffff, .declines = 0xffff,
                       .digest = 0xffffffff},
           OwnershipAd{.held = 0x80000001, .wants = 0x8001, .declines = 0x0001,
                       .digest = 0xdeadbeef},
           OwnershipAd{.held = 0, .wants = 0, .declines = 0x4000, .digest = 1},
           OwnershipAd{.held = 0, .wants = 0, .declines = 0, .digest = 1, .probing = 0x8001},
           OwnershipAd{.held = 1, .wants = 0, .declines = 0, .digest = 1, .probing = 0,
                       .ping = 0x8000},
       }) {
    EXPECT_EQ(DecodeOwnershipAd(EncodeOwnershipAd(ad)), ad);
  }
}

TEST(OwnershipAdTest, EachFieldDecodesFromItsOwnBytes) {
  RunnerData d{};
  d[3] = 0x01;  // lowest byte of held
  d[5] = 0x02;  // lowest byte of wants
  d[6] = 0x80;  // highest byte of declines
  d[8] = 0x10;  // highest byte of digest
  const OwnershipAd ad = DecodeOwnershipAd(d);
  EXPECT_EQ(ad.held, 0x1u);
  EXPECT_EQ(ad.wants, 0x2u);
  EXPECT_EQ(ad.declines, 0x8000u);
  EXPECT_EQ(ad.digest, 0x10000000u);
}

TEST(OwnershipAdTest, AnAdOfABuildWithoutPingNodesReadsAsUnjudged) {
  // Bytes 14-15 were reserved (0) before ping nodes: neutral, not "none reached".
  const OwnershipAd ad = DecodeOwnershipAd(EncodeOwnershipAd({.held = 5, .digest = 8}));
  EXPECT_EQ(ad.ping, 0);
}

}  // namespace
}  // namespace tachy
