// ipv4_test.cc: the one dotted-quad parser and printer.
#include "detector/base/ipv4.h"

#include "gtest/gtest.h"

namespace tachy {
namespace {

TEST(Ipv4Test, ParsesDottedQuadsToHostOrder) {
  EXPECT_EQ(ParseIpv4("10.0.0.100"), 0x0A000064u);
  EXPECT_EQ(ParseIpv4("0.0.0.0"), 0u);
  EXPECT_EQ(ParseIpv4("255.255.255.255"), 0xFFFFFFFFu);
}

TEST(Ipv4Test, RefusesShorthandNamesAndJunk) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "localhost", "1.2.3.4 ",
                          " 1.2.3.4", "1.2.3.4/24", "0x7f.0.0.1", "::1"}) {
    EXPECT_FALSE(ParseIpv4(bad).has_value()) << bad;
  }
}

TEST(Ipv4Test, FormatsWhatItParses) {
  EXPECT_EQ(FormatIpv4(0x0A000064u), "10.0.0.100");
  for (const char* text : {"192.168.1.254", "0.0.0.0", "224.0.0.18"}) {
    EXPECT_EQ(FormatIpv4(*ParseIpv4(text)), text);
  }
}

}  // namespace
}  // namespace tachy
