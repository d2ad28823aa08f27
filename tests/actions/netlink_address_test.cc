// netlink_address_test.cc: FindCoveringRoute, AddAddress, DeleteAddress and
// InterfaceWithAddress against the kernel, each test in a forked child in its
// own network namespace (tests/support/netns_child.h), checked against `ip`'s view.
// Argument validation, which never reaches the kernel, runs unprivileged.
#include "actions/netlink_address.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/netns_child.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;

// d0 (peer d0p) up with 10.77.0.1/24, so the main table has
// 10.77.0.0/24 dev d0. Veth because this kernel has no dummy driver.
bool SetUpD0(NetnsChild& c) {
  return c.Sh(
      "ip link add d0 type veth peer name d0p && ip link set d0p up && "
      "ip link set d0 up && ip addr add 10.77.0.1/24 dev d0");
}

bool SetUpD1(NetnsChild& c) {
  return c.Sh("ip link add d1 type veth peer name d1p && ip link set d1p up && ip link set d1 up");
}

// `ip -o -4 addr show dev <iface>`'s line for `ip`, or "" if there is none.
std::string AddrLine(NetnsChild& c, absl::string_view iface, absl::string_view ip) {
  const std::string out = c.ShOutput(absl::StrCat("ip -o -4 addr show dev ", iface));
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StrContains(line, absl::StrCat(" inet ", ip, "/"))) return std::string(line);
  }
  return "";
}

void ExpectRoute(NetnsChild& c, absl::string_view ip, absl::string_view iface, int prefix_len) {
  absl::StatusOr<CoveringRoute> route = FindCoveringRoute(ip);
  if (!c.Expect(route.ok(),
                absl::StrCat("FindCoveringRoute(", ip, "): ", route.status().ToString()))) {
    return;
  }
  c.Expect(route->iface == iface && route->prefix_len == prefix_len,
           absl::StrCat("FindCoveringRoute(", ip, ") = ", route->iface, "/", route->prefix_len,
                        ", want ", iface, "/", prefix_len));
}

void ExpectNoRoute(NetnsChild& c, absl::string_view ip) {
  absl::StatusOr<CoveringRoute> route = FindCoveringRoute(ip);
  if (route.ok()) {
    c.Fail(absl::StrCat("FindCoveringRoute(", ip, ") = ", route->iface, "/", route->prefix_len,
                        ", want kNotFound"));
    return;
  }
  c.Expect(route.status().code() == absl::StatusCode::kNotFound,
           absl::StrCat("FindCoveringRoute(", ip, "): ", route.status().ToString()));
}

void ExpectStatus(NetnsChild& c, const absl::Status& s, absl::StatusCode want,
                  absl::string_view what) {
  c.Expect(s.code() == want,
           absl::StrCat(what, ": got ", s.ToString(), ", want ", absl::StatusCodeToString(want)));
}

class NetlinkAddressTest : public NetnsTest {};

TEST_F(NetlinkAddressTest, CoveringRouteOfConnectedSubnet) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c)) return;
    ExpectRoute(c, "10.77.0.100", "d0", 24);
    ExpectRoute(c, "10.77.0.1", "d0", 24);
    ExpectNoRoute(c, "10.78.0.1");
  });
  EXPECT_EQ(failures, "");
}

TEST_F(NetlinkAddressTest, MostSpecificRouteThenLowestMetricWins) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c) || !SetUpD1(c)) return;
    if (!c.Sh("ip route add 10.77.0.0/28 dev d1 && "
              "ip route add 10.99.0.0/16 dev d0 metric 20 && "
              "ip route add 10.99.0.0/16 dev d1 metric 10")) {
      return;
    }
    ExpectRoute(c, "10.77.0.5", "d1", 28);
    ExpectRoute(c, "10.77.0.100", "d0", 24);
    ExpectRoute(c, "10.99.3.4", "d1", 16);
  });
  EXPECT_EQ(failures, "");
}

TEST_F(NetlinkAddressTest, DefaultRouteAloneIsNotFound) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c) || !c.Sh("ip route add default dev d0")) return;
    absl::StatusOr<CoveringRoute> route = FindCoveringRoute("8.8.8.8");
    ExpectStatus(c, route.status(), absl::StatusCode::kNotFound, "FindCoveringRoute(8.8.8.8)");
    c.Expect(absl::StrContains(route.status().message(), "ip/cidr/iface"),
             absl::StrCat("message should suggest ip/cidr/iface: ", route.status().message()));
  });
  EXPECT_EQ(failures, "");
}

TEST_F(NetlinkAddressTest, OtherTablesAndRoutesWithoutInterfaceAreIgnored) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c)) return;
    // Table 1000 only shows in RTA_TABLE (rtm_table says RT_TABLE_COMPAT).
    if (!c.Sh("ip route add 10.88.0.0/16 dev d0 table 100 && "
              "ip route add 10.89.0.0/16 dev d0 table 1000 && "
              "ip route add blackhole 10.90.0.0/16")) {
      return;
    }
    ExpectNoRoute(c, "10.88.0.1");
    ExpectNoRoute(c, "10.89.0.1");
    ExpectNoRoute(c, "10.90.0.1");
  });
  EXPECT_EQ(failures, "");
}

TEST_F(NetlinkAddressTest, AddFindDeleteLifecycle) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c)) return;
    ExpectStatus(c, InterfaceWithAddress("10.77.0.5").status(), absl::StatusCode::kNotFound,
                 "InterfaceWithAddress before add");

    if (!c.Expect(AddAddress("d0", "10.77.0.5", 24, "", "d0:vip").ok(), "AddAddress")) return;
    absl::StatusOr<std::string> iface = InterfaceWithAddress("10.77.0.5");
    c.Expect(iface.ok() && *iface == "d0",
             absl::StrCat("InterfaceWithAddress after add: ",
                          iface.ok() ? *iface : iface.status().ToString()));
    const std::string line = AddrLine(c, "d0", "10.77.0.5");
    c.Expect(absl::StrContains(line, "inet 10.77.0.5/24 brd 10.77.0.255 "),
             absl::StrCat("want /24 with brd 10.77.0.255: '", line, "'"));
    c.Expect(absl::StrContains(line, "d0:vip"), absl::StrCat("want label d0:vip: '", line, "'"));
    c.Expect(absl::StrContains(c.ShOutput("ip -o -4 addr show"), "d0:vip"),
             "label d0:vip in `ip -o addr show`");

    const absl::Status again = AddAddress("d0", "10.77.0.5", 24, "", "d0:vip");
    ExpectStatus(c, again, absl::StatusCode::kAlreadyExists, "second AddAddress");
    c.Expect(absl::StrContains(again.message(), "add 10.77.0.5/24 to d0"),
             absl::StrCat("error names operation and address: ", again.message()));

    ExpectStatus(c, DeleteAddress("d0", "10.77.0.5", 24), absl::StatusCode::kOk, "DeleteAddress");
    c.Expect(AddrLine(c, "d0", "10.77.0.5").empty(), "address still shown after delete");
    ExpectStatus(c, InterfaceWithAddress("10.77.0.5").status(), absl::StatusCode::kNotFound,
                 "InterfaceWithAddress after delete");
    const absl::Status gone = DeleteAddress("d0", "10.77.0.5", 24);
    ExpectStatus(c, gone, absl::StatusCode::kNotFound, "second DeleteAddress");
    c.Expect(absl::StrContains(gone.message(), "delete 10.77.0.5/24 from d0"),
             absl::StrCat("error names operation and address: ", gone.message()));
    // The interface's own address was not touched.
    absl::StatusOr<std::string> base = InterfaceWithAddress("10.77.0.1");
    c.Expect(base.ok() && *base == "d0", "10.77.0.1 still on d0");
  });
  EXPECT_EQ(failures, "");
}

TEST_F(NetlinkAddressTest, AddressOnSecondInterfaceIsFound) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c) || !SetUpD1(c)) return;
    if (!c.Expect(AddAddress("d1", "192.168.200.7", 24).ok(), "AddAddress d1")) return;
    absl::StatusOr<std::string> iface = InterfaceWithAddress("192.168.200.7");
    c.Expect(
        iface.ok() && *iface == "d1",
        absl::StrCat("InterfaceWithAddress: ", iface.ok() ? *iface : iface.status().ToString()));
    const std::string line = AddrLine(c, "d1", "192.168.200.7");
    c.Expect(!absl::StrContains(line, "d1:"), absl::StrCat("no label given: '", line, "'"));
    // Wrong prefix length: the kernel matches deletes on it too.
    ExpectStatus(c, DeleteAddress("d1", "192.168.200.7", 25), absl::StatusCode::kNotFound,
                 "DeleteAddress with the wrong prefix");
    ExpectStatus(c, DeleteAddress("d0", "192.168.200.7", 24), absl::StatusCode::kNotFound,
                 "DeleteAddress on the wrong interface");
    ExpectStatus(c, DeleteAddress("d1", "192.168.200.7", 24), absl::StatusCode::kOk,
                 "DeleteAddress");
  });
  EXPECT_EQ(failures, "");
}

TEST_F(NetlinkAddressTest, BroadcastRules) {
  const std::string failures = RunInPrivateNetns([](NetnsChild& c) {
    if (!SetUpD0(c)) return;
    struct Case {
      const char* ip;
      int prefix_len;
      const char* broadcast;
      const char* want;  // substring of the `ip -o addr` line
    };
    const Case cases[] = {
        {.ip = "10.77.0.9", .prefix_len = 32, .broadcast = "", .want = "inet 10.77.0.9/32 scope"},
        {.ip = "10.77.1.0", .prefix_len = 31, .broadcast = "", .want = "inet 10.77.1.0/31 scope"},
        {.ip = "10.77.2.5",
         .prefix_len = 30,
         .broadcast = "",
         .want = "inet 10.77.2.5/30 brd 10.77.2.7 "},
        {.ip = "172.20.5.6",
         .prefix_len = 12,
         .broadcast = "",
         .want = "inet 172.20.5.6/12 brd 172.31.255.255 "},
        {.ip = "10.77.3.5",
         .prefix_len = 24,
         .broadcast = "10.77.3.127",
         .want = "inet 10.77.3.5/24 brd 10.77.3.127 "},
    };
    for (const Case& k : cases) {
      const absl::Status s = AddAddress("d0", k.ip, k.prefix_len, k.broadcast);
      if (!c.Expect(s.ok(), absl::StrCat("AddAddress ", k.ip, ": ", s.ToString()))) continue;
      const std::string line = AddrLine(c, "d0", k.ip);
      c.Expect(absl::StrContains(line, k.want),
               absl::StrCat("want '", k.want, "' in '", line, "'"));
    }
  });
  EXPECT_EQ(failures, "");
}

// Validation happens before any netlink traffic: no namespace, no root.
TEST(NetlinkAddressArgsTest, BadArgumentsAreRejected) {
  EXPECT_EQ(AddAddress("lo", "10.0.0.256", 24).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddAddress("lo", "10.0.0.5", 33).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddAddress("lo", "10.0.0.5", -1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddAddress("lo", "10.0.0.5", 24, "10.0.0").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddAddress("eth0", "10.0.0.5", 24, "", "eth1:vip").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddAddress("eth0", "10.0.0.5", 24, "", "eth0:0123456789ab").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeleteAddress("lo", "nonsense", 24).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeleteAddress("lo", "10.0.0.5", 40).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FindCoveringRoute("10.0.0").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InterfaceWithAddress("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NetlinkAddressArgsTest, UnknownInterfaceIsNotFoundAndNamed) {
  const absl::Status add = AddAddress("nosuchif9", "10.0.0.5", 24);
  EXPECT_EQ(add.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(add.message(), HasSubstr("add 10.0.0.5/24 to nosuchif9"));
  const absl::Status del = DeleteAddress("nosuchif9", "10.0.0.5", 24);
  EXPECT_EQ(del.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(del.message(), HasSubstr("delete 10.0.0.5/24 from nosuchif9"));
}

}  // namespace
}  // namespace tachy
