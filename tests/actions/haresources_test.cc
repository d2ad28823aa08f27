// haresources_test.cc: haresources parsing (Heartbeat 3's format).

#include "actions/haresources.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace tachy {

// Readable failure output for EXPECT_EQ on groups (found by ADL). Declared
// first for -Wmissing-declarations.
void PrintTo(const VipSpec& v, std::ostream* os);
void PrintTo(const Resource& r, std::ostream* os);
void PrintTo(const ResourceGroup& g, std::ostream* os);

void PrintTo(const VipSpec& v, std::ostream* os) {
  *os << "{ip=" << v.ip << " prefix=" << v.prefix_len << " iface=" << v.iface
      << " label=" << v.label << " brd=" << v.broadcast << "}";
}
void PrintTo(const Resource& r, std::ostream* os) {
  *os << "{kind=" << static_cast<int>(r.kind) << " token=" << r.token << " name=" << r.name
      << " args=[" << absl::StrJoin(r.args, ",") << "] vip=";
  PrintTo(r.vip, os);
  *os << "}";
}
void PrintTo(const ResourceGroup& g, std::ostream* os) {
  *os << "{key=" << g.key << " node=" << g.preferred_node << " line=" << g.line << " [";
  for (const Resource& r : g.resources) PrintTo(r, os);
  *os << "]}";
}

namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Kind = Resource::Kind;

const std::vector<std::string> kNodes = {"node1", "node2"};

absl::StatusOr<HaResources> Parse(absl::string_view text,
                                  const std::vector<std::string>& nodes = kNodes) {
  return ParseHaResources(text, "haresources", nodes);
}

Resource Ip(const char* token, const char* name, const char* arg, VipSpec vip) {
  return Resource{.kind = Kind::kIpAddr, .token = token, .name = name, .args = {arg}, .vip = vip};
}

// ---------------------------------------------------------------------------
// Whole lines

TEST(ParseHaResourcesTest, GoldenFiles) {
  struct Case {
    const char* label;
    const char* text;
    std::vector<std::string> nodes;
    std::vector<ResourceGroup> want;
  };
  const Case cases[] = {
      {
          .label = "Korean guide: bare IP plus an init script",
          .text = "test001 192.168.137.100 httpd\n",
          .nodes = {"test001", "test002"},
          .want = {{
              .key = "192.168.137.100",
              .preferred_node = "test001",
              .resources = {Ip("192.168.137.100", "IPaddr", "192.168.137.100",
                               {.ip = "192.168.137.100"}),
                            {.kind = Kind::kScript, .token = "httpd", .name = "httpd"}},
              .line = 1,
          }},
      },
      {
          .label = "Heartbeat sample: Filesystem with three arguments",
          .text = "node1 10.0.0.170 Filesystem::/dev/sda1::/data1::ext2\n",
          .nodes = kNodes,
          .want = {{
              .key = "10.0.0.170",
              .preferred_node = "node1",
              .resources = {Ip("10.0.0.170", "IPaddr", "10.0.0.170", {.ip = "10.0.0.170"}),
                            {.kind = Kind::kScript,
                             .token = "Filesystem::/dev/sda1::/data1::ext2",
                             .name = "Filesystem",
                             .args = {"/dev/sda1", "/data1", "ext2"}}},
              .line = 1,
          }},
      },
      {
          .label = "IPaddr2 with iface:label and broadcast",
          .text = "node1 IPaddr2::10.0.0.5/24/eth0:web/10.0.0.255 apache2\n",
          .nodes = kNodes,
          .want = {{
              .key = "IPaddr2::10.0.0.5/24/eth0:web/10.0.0.255",
              .preferred_node = "node1",
              .resources = {Ip("IPaddr2::10.0.0.5/24/eth0:web/10.0.0.255", "IPaddr2",
                               "10.0.0.5/24/eth0:web/10.0.0.255",
                               {.ip = "10.0.0.5",
                                .prefix_len = 24,
                                .iface = "eth0",
                                .label = "eth0:web",
                                .broadcast = "10.0.0.255"}),
                            {.kind = Kind::kScript, .token = "apache2", .name = "apache2"}},
              .line = 1,
          }},
      },
      {
          .label = "every kind on one line",
          .text = "test002 IPaddr::10.1.1.1/255.255.255.0/eth1 OCF::IPaddr2::vip1 "
                  "systemd::nginx.service "
                  "ocf:heartbeat:apache::configfile=/etc/apache2/apache2.conf\n",
          .nodes = {"test001", "test002"},
          .want = {{
              .key = "IPaddr::10.1.1.1/255.255.255.0/eth1",
              .preferred_node = "test002",
              .resources = {Ip("IPaddr::10.1.1.1/255.255.255.0/eth1", "IPaddr",
                               "10.1.1.1/255.255.255.0/eth1",
                               {.ip = "10.1.1.1", .prefix_len = 24, .iface = "eth1"}),
                            {.kind = Kind::kOcf,
                             .token = "OCF::IPaddr2::vip1",
                             .name = "OCF",
                             .args = {"IPaddr2", "vip1"}},
                            {.kind = Kind::kSystemd,
                             .token = "systemd::nginx.service",
                             .name = "systemd",
                             .args = {"nginx.service"}},
                            {.kind = Kind::kOcf,
                             .token = "ocf:heartbeat:apache::configfile=/etc/apache2/apache2.conf",
                             .name = "ocf:heartbeat:apache",
                             .args = {"configfile=/etc/apache2/apache2.conf"}}},
              .line = 1,
          }},
      },
      {
          .label = "comments, blank lines, continuation, case folding, tabs",
          .text = "# haresources\n"
                  "\n"
                  "   # indented comment\n"
                  "NODE1\t10.0.0.1/24 \\\n"
                  "      httpd   # the web server\n"
                  "node2  ocf:pacemaker:Dummy   Mail::a@b::c@d\n",
          .nodes = kNodes,
          .want = {{
                       .key = "10.0.0.1/24",
                       .preferred_node = "node1",
                       .resources = {Ip("10.0.0.1/24", "IPaddr", "10.0.0.1/24",
                                        {.ip = "10.0.0.1", .prefix_len = 24}),
                                     {.kind = Kind::kScript, .token = "httpd", .name = "httpd"}},
                       .line = 4,
                   },
                   {
                       .key = "ocf:pacemaker:Dummy",
                       .preferred_node = "node2",
                       .resources = {{.kind = Kind::kOcf,
                                      .token = "ocf:pacemaker:Dummy",
                                      .name = "ocf:pacemaker:Dummy"},
                                     {.kind = Kind::kScript,
                                      .token = "Mail::a@b::c@d",
                                      .name = "Mail",
                                      .args = {"a@b", "c@d"}}},
                       .line = 6,
                   }},
      },
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    absl::StatusOr<HaResources> got = ParseHaResources(c.text, "haresources", c.nodes);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->groups, c.want);
  }
}

TEST(ParseHaResourcesTest, EmptyAndCommentOnlyFilesHaveNoGroups) {
  for (const char* text : {"", "\n\n", "# nothing\n   \n\t# here\n", "\\\n"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<HaResources> got = Parse(text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(got->groups, IsEmpty());
  }
}

// Returns "key: token token ..." per group, for the layout tests below.
std::vector<std::string> Shape(const HaResources& r) {
  std::vector<std::string> out;
  for (const ResourceGroup& g : r.groups) {
    std::vector<std::string> tokens;
    for (const Resource& res : g.resources) tokens.push_back(res.token);
    out.push_back(absl::StrCat(g.line, " ", g.preferred_node, ": ", absl::StrJoin(tokens, " ")));
  }
  return out;
}

TEST(ParseHaResourcesTest, LogicalLines) {
  struct Case {
    const char* label;
    const char* text;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {.label = "continuation over several lines",
       .text = "node1 \\\n  a \\\n  b\nnode2 c\n",
       .want = {"1 node1: a b", "4 node2: c"}},
      {.label = "comment is stripped before the backslash is looked at",
       .text = "node1 a \\ # note\n b\n",
       .want = {"1 node1: a b"}},
      {.label = "a backslash inside a comment does not continue",
       .text = "node1 a # not a continuation \\\nnode2 b\n",
       .want = {"1 node1: a", "2 node2: b"}},
      {.label = "a backslash right after a token ends the token",
       .text = "node1 a\\\nb\n",
       .want = {"1 node1: a b"}},
      {.label = "backslash on the last line without a newline",
       .text = "node1 a \\",
       .want = {"1 node1: a"}},
      {.label = "CRLF line ends",
       .text = "node1 a \\\r\n b\r\nnode2 c\r\n",
       .want = {"1 node1: a b", "3 node2: c"}},
      {.label = "# glued to a token", .text = "node1 a#b c\n", .want = {"1 node1: a"}},
      {.label = "no final newline", .text = "node2 x", .want = {"1 node2: x"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    absl::StatusOr<HaResources> got = Parse(c.text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Shape(*got), c.want);
  }
}

// ---------------------------------------------------------------------------
// IPaddr / IPaddr2 argument forms

TEST(ParseHaResourcesTest, VipForms) {
  struct Case {
    const char* token;
    VipSpec want;
  };
  const Case cases[] = {
      {.token = "10.0.0.1", .want = {.ip = "10.0.0.1"}},
      {.token = "10.0.0.1/24", .want = {.ip = "10.0.0.1", .prefix_len = 24}},
      {.token = "10.0.0.1/1", .want = {.ip = "10.0.0.1", .prefix_len = 1}},
      {.token = "10.0.0.1/32", .want = {.ip = "10.0.0.1", .prefix_len = 32}},
      {.token = "10.0.0.1/08", .want = {.ip = "10.0.0.1", .prefix_len = 8}},
      {.token = "10.0.0.1/24/eth0", .want = {.ip = "10.0.0.1", .prefix_len = 24, .iface = "eth0"}},
      {.token = "10.0.0.1/24/eth0/10.0.0.255",
       .want = {.ip = "10.0.0.1", .prefix_len = 24, .iface = "eth0", .broadcast = "10.0.0.255"}},
      {.token = "10.0.0.1/24/10.0.0.127",
       .want = {.ip = "10.0.0.1", .prefix_len = 24, .broadcast = "10.0.0.127"}},
      {.token = "10.0.0.1/255.255.255.0", .want = {.ip = "10.0.0.1", .prefix_len = 24}},
      {.token = "10.0.0.1/255.255.255.255", .want = {.ip = "10.0.0.1", .prefix_len = 32}},
      {.token = "10.0.0.1/128.0.0.0", .want = {.ip = "10.0.0.1", .prefix_len = 1}},
      {.token = "10.0.0.1/255.255.240.0/bond0.100",
       .want = {.ip = "10.0.0.1", .prefix_len = 20, .iface = "bond0.100"}},
      {.token = "IPaddr::10.0.0.1/16/eth1:0",
       .want = {.ip = "10.0.0.1", .prefix_len = 16, .iface = "eth1", .label = "eth1:0"}},
      {.token = "IPaddr2::10.0.0.1/16/eth1:vip/10.0.255.255",
       .want = {.ip = "10.0.0.1",
                .prefix_len = 16,
                .iface = "eth1",
                .label = "eth1:vip",
                .broadcast = "10.0.255.255"}},
      {.token = "IPaddr2::192.168.1.9/24/enp0s31f6abcd",
       .want = {.ip = "192.168.1.9", .prefix_len = 24, .iface = "enp0s31f6abcd"}},
      {.token = "IPaddr2::10.0.0.1/24/eth0:abcdefghij",  // 15 characters in all
       .want = {.ip = "10.0.0.1", .prefix_len = 24, .iface = "eth0", .label = "eth0:abcdefghij"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.token);
    absl::StatusOr<HaResources> got = Parse(absl::StrCat("node1 ", c.token, "\n"));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->groups.size(), 1u);
    ASSERT_EQ(got->groups[0].resources.size(), 1u);
    const Resource& r = got->groups[0].resources[0];
    EXPECT_EQ(r.kind, Kind::kIpAddr);
    EXPECT_EQ(r.token, c.token);
    EXPECT_EQ(r.vip, c.want);
  }
}

// ---------------------------------------------------------------------------
// Errors: the whole message, so the "FILE:LINE:" prefix is pinned too.

TEST(ParseHaResourcesTest, Errors) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      // Node field.
      {.text = "node3 httpd\n",
       .want = "haresources:1: node 'node3' is not in ha.cf's node list (node1, node2)"},
      {.text = "# c\nNODE3 httpd\n",
       .want = "haresources:2: node 'node3' is not in ha.cf's node list (node1, node2)"},
      {.text = "node1\n", .want = "haresources:1: node 'node1' has no resources after it"},
      {.text = "node1 # httpd\n", .want = "haresources:1: node 'node1' has no resources after it"},
      {.text = "node1 \\\n\nnode2 a\n",
       .want = "haresources:1: node 'node1' has no resources after it"},
      // Arguments.
      {.text = "node1 IPaddr::\n", .want = "haresources:1: 'IPaddr::': empty argument 1"},
      {.text = "node1 x::::y\n", .want = "haresources:1: 'x::::y': empty argument 1"},
      {.text = "node1 x::a::\n", .want = "haresources:1: 'x::a::': empty argument 2"},
      {.text = "node1 ::a\n", .want = "haresources:1: '::a': empty resource name"},
      // Script names.
      {.text = "node1 ../bin/sh\n",
       .want = "haresources:1: '../bin/sh': script name must be a plain file name (no '/', not . "
               "or ..)"},
      {.text = "node1 ..::x\n",
       .want = "haresources:1: '..::x': script name must be a plain file name (no '/', not . or "
               "..)"},
      // IPaddr argument count.
      {.text = "node1 IPaddr\n",
       .want = "haresources:1: 'IPaddr': IPaddr takes exactly one argument "
               "(ip[/cidr[/iface[/broadcast]]]), got 0"},
      {.text = "node1 IPaddr2::10.0.0.1::eth0\n",
       .want = "haresources:1: 'IPaddr2::10.0.0.1::eth0': IPaddr2 takes exactly one argument "
               "(ip[/cidr[/iface[/broadcast]]]), got 2"},
      {.text = "node1 10.0.0.1::x\n",
       .want = "haresources:1: '10.0.0.1::x': IPaddr takes exactly one argument "
               "(ip[/cidr[/iface[/broadcast]]]), got 2"},
      // Addresses.
      {.text = "node1 256.0.0.1\n",
       .want = "haresources:1: '256.0.0.1': '256.0.0.1' is not an IPv4 address"},
      {.text = "node1 10.0.0.1x\n",
       .want = "haresources:1: '10.0.0.1x': '10.0.0.1x' is not an IPv4 address"},
      {.text = "node1 1.2.3.4.5\n",
       .want = "haresources:1: '1.2.3.4.5': '1.2.3.4.5' is not an IPv4 address"},
      {.text = "node1 IPaddr2::myhost/24\n",
       .want = "haresources:1: 'IPaddr2::myhost/24': 'myhost' is not an IPv4 address"},
      {.text = "node1 10.0.0.1/33\n",
       .want = "haresources:1: '10.0.0.1/33': netmask bits '33' not in 1..32"},
      {.text = "node1 10.0.0.1/0\n",
       .want = "haresources:1: '10.0.0.1/0': netmask bits '0' not in 1..32"},
      {.text = "node1 10.0.0.1/024\n",
       .want = "haresources:1: '10.0.0.1/024': netmask bits '024' not in 1..32"},
      {.text = "node1 10.0.0.1/255.0.255.0\n",
       .want = "haresources:1: '10.0.0.1/255.0.255.0': '255.0.255.0' is neither netmask bits "
               "(1..32) nor a netmask"},
      {.text = "node1 10.0.0.1/eth0\n",
       .want = "haresources:1: '10.0.0.1/eth0': 'eth0' is neither netmask bits (1..32) nor a "
               "netmask"},
      {.text = "node1 10.0.0.1/0.0.0.0\n",
       .want = "haresources:1: '10.0.0.1/0.0.0.0': netmask '0.0.0.0' is empty"},
      {.text = "node1 10.0.0.1//eth0\n",
       .want = "haresources:1: '10.0.0.1//eth0': empty field in '10.0.0.1//eth0'"},
      {.text = "node1 10.0.0.1/\n",
       .want = "haresources:1: '10.0.0.1/': empty field in '10.0.0.1/'"},
      {.text = "node1 10.0.0.1/24/eth0/10.0.0.255/x\n",
       .want = "haresources:1: '10.0.0.1/24/eth0/10.0.0.255/x': too many '/' fields "
               "(ip/cidr/iface/broadcast at most)"},
      {.text = "node1 10.0.0.1/24/10.0.0.255/eth0\n",
       .want = "haresources:1: '10.0.0.1/24/10.0.0.255/eth0': '10.0.0.255' starts with a digit, "
               "so it is a broadcast, and nothing may follow"},
      {.text = "node1 10.0.0.1/24/10.0.0.300\n",
       .want = "haresources:1: '10.0.0.1/24/10.0.0.300': broadcast '10.0.0.300' is not an IPv4 "
               "address"},
      {.text = "node1 10.0.0.1/24/eth0/bcast\n",
       .want = "haresources:1: '10.0.0.1/24/eth0/bcast': broadcast 'bcast' is not an IPv4 "
               "address"},
      // Interface and label.
      {.text = "node1 10.0.0.1/24/abcdefghijklmnop\n",
       .want = "haresources:1: '10.0.0.1/24/abcdefghijklmnop': interface name "
               "'abcdefghijklmnop' is longer than 15 characters"},
      {.text = "node1 10.0.0.1/24/..\n",
       .want = "haresources:1: '10.0.0.1/24/..': '..' is not an interface name"},
      {.text = "node1 IPaddr2::10.0.0.1/24/eth0:\n",
       .want = "haresources:1: 'IPaddr2::10.0.0.1/24/eth0:': empty label after 'eth0'"},
      {.text = "node1 IPaddr2::10.0.0.1/24/:web\n",
       .want = "haresources:1: 'IPaddr2::10.0.0.1/24/:web': empty interface name"},
      {.text = "node1 IPaddr2::10.0.0.1/24/eth0:abcdefghijk\n",
       .want = "haresources:1: 'IPaddr2::10.0.0.1/24/eth0:abcdefghijk': label "
               "'eth0:abcdefghijk' is longer than 15 characters"},
      // systemd.
      {.text = "node1 systemd\n",
       .want = "haresources:1: 'systemd': systemd takes exactly one argument (the unit), got 0"},
      {.text = "node1 systemd::a.service::b.service\n",
       .want = "haresources:1: 'systemd::a.service::b.service': systemd takes exactly one "
               "argument (the unit), got 2"},
      // OCF, Heartbeat form.
      {.text = "node1 OCF::IPaddr2\n",
       .want = "haresources:1: 'OCF::IPaddr2': OCF takes exactly two arguments "
               "(OCF::agent::instance), got 1"},
      {.text = "node1 OCF::a::b::c\n",
       .want = "haresources:1: 'OCF::a::b::c': OCF takes exactly two arguments "
               "(OCF::agent::instance), got 3"},
      {.text = "node1 OCF::IPaddr2::../x\n",
       .want = "haresources:1: 'OCF::IPaddr2::../x': '../x' must be a plain file name (no '/', "
               "not . or ..)"},
      // OCF, ocf:provider:agent form.
      {.text = "node1 ocf:heartbeat\n",
       .want = "haresources:1: 'ocf:heartbeat': expected ocf:provider:agent"},
      {.text = "node1 ocf:heartbeat:apache:x\n",
       .want = "haresources:1: 'ocf:heartbeat:apache:x': expected ocf:provider:agent"},
      {.text = "node1 ocf::apache\n",
       .want = "haresources:1: 'ocf::apache': expected ocf:provider:agent"},
      {.text = "node1 ocf:heartbeat:..\n",
       .want = "haresources:1: 'ocf:heartbeat:..': expected ocf:provider:agent"},
      {.text = "node1 ocf:heartbeat:apache::configfile\n",
       .want = "haresources:1: 'ocf:heartbeat:apache::configfile': OCF parameter 'configfile' is "
               "not name=value"},
      {.text = "node1 ocf:heartbeat:apache::=x\n",
       .want = "haresources:1: 'ocf:heartbeat:apache::=x': OCF parameter name '' is not "
               "[A-Za-z0-9_]+"},
      {.text = "node1 ocf:heartbeat:apache::a-b=x\n",
       .want = "haresources:1: 'ocf:heartbeat:apache::a-b=x': OCF parameter name 'a-b' is not "
               "[A-Za-z0-9_]+"},
      // Whole-file checks.
      {.text = "node1 10.0.0.1 a\nnode2 10.0.0.1 b\n",
       .want = "haresources:2: duplicate group key '10.0.0.1' (line 1 already starts a group with "
               "it)"},
      {.text = "node1 httpd\n# x\nnode1 httpd 10.0.0.1\n",
       .want = "haresources:3: duplicate group key 'httpd' (line 1 already starts a group with "
               "it)"},
      {.text = "node1 10.0.0.1 a\nnode2 IPaddr2::10.0.0.1/24 b\n",
       .want = "haresources:2: address 10.0.0.1 in 'IPaddr2::10.0.0.1/24' is already used by "
               "group '10.0.0.1' (line 1)"},
      {.text = "node1 a \\\n  10.0.0.1\nnode2 b \\\n \\\n c 10.0.0.1/24/eth0\n",
       .want = "haresources:3: address 10.0.0.1 in '10.0.0.1/24/eth0' is already used by group "
               "'a' (line 1)"},
      {.text = "node1 10.0.0.1 IPaddr2::10.0.0.1\n",
       .want = "haresources:1: address 10.0.0.1 in 'IPaddr2::10.0.0.1' is already used by group "
               "'10.0.0.1' (line 1)"},
      // BGP addresses: host routes only.
      {.text = "node1 BGP::10.0.0.100/24 httpd\n",
       .want = "haresources:1: 'BGP::10.0.0.100/24': a BGP address is announced as a host "
               "route: only /32 (got '/24')"},
      {.text = "node1 BGP::10.0.0.100/32/eth0\n",
       .want = "haresources:1: 'BGP::10.0.0.100/32/eth0': a BGP address is announced as a host "
               "route: only /32 (got '/32/eth0')"},
      {.text = "node1 BGP::10.0.0.300\n",
       .want = "haresources:1: 'BGP::10.0.0.300': '10.0.0.300' is not an IPv4 address"},
      {.text = "node1 BGP::10.0.0.1::x\n",
       .want = "haresources:1: 'BGP::10.0.0.1::x': BGP takes exactly one argument (A.B.C.D or "
               "A.B.C.D/32), got 2"},
      {.text = "node1 BGP::10.0.0.1 a\nnode2 10.0.0.1 b\n",
       .want = "haresources:2: address 10.0.0.1 in '10.0.0.1' is already used by group "
               "'BGP::10.0.0.1' (line 1)"},
      // Line numbers: the first physical line of a continued logical line.
      {.text = "# header\n\nnode1 \\\n  10.0.0.1 \\\n  bad::\n",
       .want = "haresources:3: 'bad::': empty argument 1"},
      {.text = "node1 a \\\n b\n\nnode2 c::\n", .want = "haresources:4: 'c::': empty argument 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<HaResources> got = Parse(c.text);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(), c.want);
  }
}

TEST(ParseHaResourcesTest, BgpAddressIsAHostRoute) {
  for (const char* token : {"BGP::10.0.0.100", "BGP::10.0.0.100/32"}) {
    SCOPED_TRACE(token);
    absl::StatusOr<HaResources> got = Parse(absl::StrCat("node1 ", token, " httpd\n"));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->groups.size(), 1u);
    const Resource& r = got->groups[0].resources[0];
    EXPECT_EQ(r.kind, Resource::Kind::kBgpAddress);
    EXPECT_EQ(r.name, "BGP");
    EXPECT_EQ(r.token, token);
    EXPECT_EQ(r.vip.ip, "10.0.0.100");
    EXPECT_EQ(r.vip.prefix_len, 32);
    EXPECT_EQ(r.vip.iface, "");  // the runner's tachy-own / tachy-take
    EXPECT_EQ(got->groups[0].key, token);
  }
}

TEST(ParseHaResourcesTest, ErrorsUseTheGivenFileName) {
  absl::StatusOr<HaResources> got =
      ParseHaResources("\nnode9 a\n", "/etc/ha.d/haresources", kNodes);
  EXPECT_EQ(got.status().message(),
            "/etc/ha.d/haresources:2: node 'node9' is not in ha.cf's node list (node1, node2)");
}

TEST(ParseHaResourcesTest, NoNodesAtAll) {
  absl::StatusOr<HaResources> got = Parse("node1 a\n", {});
  EXPECT_EQ(got.status().message(),
            "haresources:1: node 'node1' is not in ha.cf's node list (none)");
}

TEST(FindGroupTest, FindsByKey) {
  absl::StatusOr<HaResources> got = Parse("node1 10.0.0.1 a\nnode2 b c\n");
  ASSERT_TRUE(got.ok()) << got.status();
  const ResourceGroup* g = FindGroup(*got, "b");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->preferred_node, "node2");
  EXPECT_EQ(FindGroup(*got, "c"), nullptr);
  EXPECT_EQ(FindGroup(*got, "10.0.0.1")->line, 1);
}

// ---------------------------------------------------------------------------
// LoadHaResources

class LoadHaResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  std::string Write(const char* name, absl::string_view text) {
    std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << text;
    return path;
  }

  TempDir tmp_{"haresources_test"};
  const std::string dir_ = tmp_.path();
};

TEST_F(LoadHaResourcesTest, ReadsAndParses) {
  std::string path = Write("haresources", "# sample\nnode2 10.0.0.9 httpd\n");
  absl::StatusOr<HaResources> got = LoadHaResources(path, kNodes);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->groups.size(), 1u);
  EXPECT_EQ(got->groups[0].key, "10.0.0.9");
  EXPECT_EQ(got->groups[0].line, 2);
}

TEST_F(LoadHaResourcesTest, ErrorsNameThePath) {
  std::string path = Write("haresources", "node1 IPaddr::\n");
  absl::StatusOr<HaResources> got = LoadHaResources(path, kNodes);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), absl::StrCat(path, ":1: 'IPaddr::': empty argument 1"));
}

TEST_F(LoadHaResourcesTest, MissingFileIsNotFound) {
  std::string path = absl::StrCat(dir_, "/nope");
  absl::StatusOr<HaResources> got = LoadHaResources(path, kNodes);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr(path));
  EXPECT_THAT(got.status().message(), HasSubstr("No such file or directory"));
}

TEST_F(LoadHaResourcesTest, DirectoryIsNotAFile) {
  absl::StatusOr<HaResources> got = LoadHaResources(dir_, kNodes);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), absl::StrCat(dir_, ": not a file"));
}

TEST_F(LoadHaResourcesTest, UnreadableIsPermissionDenied) {
  std::string path = Write("haresources", "node1 a\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  auto check = [&path]() -> bool {
    absl::StatusOr<HaResources> got = LoadHaResources(path, kNodes);
    return got.status().code() == absl::StatusCode::kPermissionDenied &&
           absl::StrContains(got.status().message(), path);
  };
  if (geteuid() != 0) {
    EXPECT_TRUE(check());
    return;
  }
  // Root reads mode-000 files, so check as nobody in a child.
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    _exit(check() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: could not drop privileges, 1: wrong status";
}

}  // namespace
}  // namespace tachy
