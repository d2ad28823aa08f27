// cl_status_queries_test.cc: each cl_status sub-command answered from a
// status document with cl_status' words and exit codes (the README's table
// "cl_status queries" lists the same cases).
#include "tools/cl_status_queries.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/support/status_fixture.h"

namespace tachy {
namespace {

QueryAnswer Ask(const std::string& command, std::vector<std::string> args = {},
                bool human = false) {
  return AnswerClStatus(command, args, human, StatusFixture());
}

void Expect(const QueryAnswer& a, const std::string& out, int code) {
  EXPECT_EQ(a.out, out);
  EXPECT_EQ(a.exit_code, code) << a.err;
}

TEST(ClStatusTest, Hbstatus) {
  Expect(Ask("hbstatus"), "tachyd is running on this machine.\n", 0);
  Expect(AnswerClStatus("hbstatus", {}, false, nlohmann::json()),
         "tachyd is stopped on this machine.\n", 1);
}

TEST(ClStatusTest, EveryOtherQueryFailsWith1WhenTachydIsNotRunning) {
  const QueryAnswer a = AnswerClStatus("nodestatus", {"b"}, false, nlohmann::json());
  EXPECT_EQ(a.exit_code, kClNormalFail);
  EXPECT_EQ(a.out, "");
  EXPECT_EQ(a.err, "Cannot signon with tachyd\n");
}

TEST(ClStatusTest, Listnodes) {
  Expect(Ask("listnodes"), "a\nb\nc\n10.0.0.254\n", 0);
  Expect(Ask("listnodes", {"-n"}), "a\nb\nc\n", 0);
  Expect(Ask("listnodes", {"-p"}), "10.0.0.254\n", 0);
  Expect(Ask("listnodes", {"-n", "-p"}), "a\nb\nc\n10.0.0.254\n", 0);
  Expect(Ask("listnodes", {}, true), "The nodes are as follow:\na\nb\nc\n10.0.0.254\n", 0);
  EXPECT_EQ(Ask("listnodes", {"-x"}).exit_code, kClParameterError);
}

TEST(ClStatusTest, Nodestatus) {
  Expect(Ask("nodestatus", {"a"}), "active\n", 0);  // this node
  Expect(Ask("nodestatus", {"b"}), "active\n", 0);  // up, its runner ready
  Expect(Ask("nodestatus", {"c"}), "dead\n", 1);
  Expect(Ask("nodestatus", {"10.0.0.254"}), "ping\n", 0);
  Expect(Ask("nodestatus", {"b"}, true), "The cluster node b is active\n", 0);
  nlohmann::json doc = StatusFixture();
  doc["nodes"][1]["advertised"]["ready"] = false;
  Expect(AnswerClStatus("nodestatus", {"b"}, false, doc), "up\n", 0);
  doc["nodes"][1]["state"] = "init";
  Expect(AnswerClStatus("nodestatus", {"b"}, false, doc), "init\n", 1);
  doc["ping"][0]["reached"] = false;
  Expect(AnswerClStatus("nodestatus", {"10.0.0.254"}, false, doc), "dead\n", 1);
  EXPECT_EQ(Ask("nodestatus", {"zz"}).exit_code, kClParameterError);
  EXPECT_EQ(Ask("nodestatus").exit_code, kClParameterError);
}

TEST(ClStatusTest, Nodetype) {
  Expect(Ask("nodetype", {"b"}), "normal\n", 0);
  Expect(Ask("nodetype", {"10.0.0.254"}), "ping\n", 0);
  Expect(Ask("nodetype", {"b"}, true), "The node b's type: normal\n", 0);
  EXPECT_EQ(Ask("nodetype", {"zz"}).exit_code, kClParameterError);
}

TEST(ClStatusTest, ListhblinksAndHblinkstatus) {
  Expect(Ask("listhblinks", {"b"}), "\thb0\n\teth1\n", 0);
  Expect(Ask("listhblinks", {"a"}), "\thb0\n\teth1\n", 0);
  EXPECT_EQ(Ask("listhblinks", {"zz"}).exit_code, kClUnknownError);
  Expect(Ask("hblinkstatus", {"b", "hb0"}), "up\n", 0);
  Expect(Ask("hblinkstatus", {"b", "eth1"}), "dead\n", 1);
  Expect(Ask("hblinkstatus", {"b", "ucast:eth1:10.0.0.2"}), "dead\n", 1);
  Expect(Ask("hblinkstatus", {"c", "hb0"}), "dead\n", 1);
  Expect(Ask("hblinkstatus", {"a", "hb0"}), "up\n", 0);
  Expect(Ask("hblinkstatus", {"b", "hb0"}, true), "The node b's heartbeat link hb0 is up\n", 0);
  EXPECT_EQ(Ask("hblinkstatus", {"b", "eth9"}).exit_code, kClUnknownError);
  EXPECT_EQ(Ask("hblinkstatus", {"b"}).exit_code, kClParameterError);
}

TEST(ClStatusTest, Clientstatus) {
  Expect(Ask("clientstatus", {"a", "tachy-actions"}), "online\n", 0);
  Expect(Ask("clientstatus", {"b", "tachy-actions"}), "online\n", 0);
  Expect(Ask("clientstatus", {"c", "tachy-actions"}), "offline\n", 1);
  Expect(Ask("clientstatus", {"a", "ipfail"}), "offline\n", 1);
  EXPECT_EQ(Ask("clientstatus", {"zz", "tachy-actions"}).exit_code, kClUnknownError);
}

TEST(ClStatusTest, Rscstatus) {
  // a holds its own group; b is alive (and has no group): "local".
  Expect(Ask("rscstatus"), "local\n", 0);
  Expect(Ask("rscstatus", {}, true), "This node is holding local resources.\n", 0);
  nlohmann::json doc = StatusFixture();
  doc["groups"].push_back({{"key", "10.0.0.101"}, {"preferred", "b"}, {"owner", "b"},
                           {"state", "stopped"}});
  Expect(AnswerClStatus("rscstatus", {}, false, doc), "local\n", 0);
  doc["groups"][1]["owner"] = "a";  // b's group taken over
  doc["groups"][1]["state"] = "running";
  Expect(AnswerClStatus("rscstatus", {}, false, doc), "all\n", 0);
  doc["groups"][0]["owner"] = nullptr;  // a's own group released (standby, failure)
  doc["groups"][0]["state"] = "stopped";
  Expect(AnswerClStatus("rscstatus", {}, false, doc), "foreign\n", 0);
  doc["groups"][1]["owner"] = "b";
  Expect(AnswerClStatus("rscstatus", {}, false, doc), "none\n", 0);
  doc["groups"][1]["state"] = "stopping";
  Expect(AnswerClStatus("rscstatus", {}, false, doc), "transition\n", 0);
  // Alone (b dead too), a node holding its own groups holds "all": the
  // others' set is empty and nobody else is alive to hold it.
  nlohmann::json alone = StatusFixture();
  alone["nodes"][1]["state"] = "dead";
  Expect(AnswerClStatus("rscstatus", {}, false, alone), "all\n", 0);
}

TEST(ClStatusTest, Hbparameter) {
  Expect(Ask("hbparameter", {"-p", "deadtime"}), "20ms\n", 0);
  Expect(Ask("hbparameter", {"-p", "keepalive"}), "2ms\n", 0);
  nlohmann::json fast = StatusFixture();
  fast["settings"]["keepalive_ms"] = 0.5;  // Heartbeat's syntax takes 0.5ms as it is
  Expect(AnswerClStatus("hbparameter", {"-p", "keepalive"}, false, fast), "0.5ms\n", 0);
  Expect(Ask("hbparameter", {"-p", "node"}), "a b c\n", 0);
  Expect(Ask("hbparameter", {"-p", "cluster"}, true),
         "Heartbeat parameter cluster's value: linux-ha\n", 0);
  EXPECT_EQ(Ask("hbparameter", {"-p", "compression"}).exit_code, kClNormalFail);
  EXPECT_EQ(Ask("hbparameter").exit_code, kClParameterError);
}

TEST(ClStatusTest, UnknownSubCommand) {
  EXPECT_FALSE(IsClStatusQuery("nodeweight"));
  EXPECT_TRUE(IsClStatusQuery("rscstatus"));
  EXPECT_EQ(Ask("nodeweight", {"a"}).exit_code, kClParameterError);
}

}  // namespace
}  // namespace tachy
