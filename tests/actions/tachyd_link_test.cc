// tachyd_link_test.cc: the runner's side of the event stream against a
// stand-in tachyd (a SOCK_SEQPACKET listener in a temporary directory): the
// hello, numbered events, unnumbered ticks, a gap or an unreadable message
// (both: reconnect), and what the runner sends.
#include "actions/tachyd_link.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "detector/stream/event_stream.h"
#include "detector/base/unique_fd.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

class TachydLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
    path_ = dir_ + "/events";
    listener_ = UniqueFd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(listener_.get(), 4), 0);
  }

  // Connects `link` and returns tachyd's end of the connection.
  UniqueFd Accept(TachydLink& link) {
    EXPECT_TRUE(link.Connect().ok());
    return UniqueFd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  }

  static void Send(int fd, const StreamMessage& m) {
    const std::string p = EncodeStream(m);
    ASSERT_EQ(send(fd, p.data(), p.size(), MSG_NOSIGNAL), static_cast<ssize_t>(p.size()));
  }

  // Everything waiting, and whether the link is still good.
  static bool ReadAll(TachydLink& link, std::vector<StreamMessage>* out) {
    return link.Read([&](const StreamMessage& m) { out->push_back(m); });
  }

  TempDir tmp_{"tachy-link"};
  const std::string dir_ = tmp_.path();
  std::string path_;
  UniqueFd listener_;
};

TEST_F(TachydLinkTest, HelloEventsAndUnnumberedTicks) {
  TachydLink link(path_);
  UniqueFd tachyd = Accept(link);
  Send(tachyd.get(), {5, HelloMsg{"a", 7, 1, 2, {}}});
  Send(tachyd.get(), {0, TickMsg{10, 1}});  // the detector thread's pulse: no number
  Send(tachyd.get(), {6, LinkMsg{11, "b", "raw:eth1", true}});
  Send(tachyd.get(), {0, TickMsg{12, 2}});
  Send(tachyd.get(), {7, PeerMsg{13, "b", WirePeerState::kUp, WirePeerState::kDead, 1, 9, "x"}});
  std::vector<StreamMessage> got;
  EXPECT_TRUE(ReadAll(link, &got));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_TRUE(std::holds_alternative<HelloMsg>(got[0].body));
  EXPECT_TRUE(std::holds_alternative<TickMsg>(got[1].body));
  EXPECT_TRUE(std::holds_alternative<PeerMsg>(got[4].body));
  EXPECT_TRUE(link.connected());
}

TEST_F(TachydLinkTest, AGapInTheNumberingDisconnectsToResynchronise) {
  TachydLink link(path_);
  UniqueFd tachyd = Accept(link);
  Send(tachyd.get(), {5, HelloMsg{"a", 7, 1, 2, {}}});
  Send(tachyd.get(), {7, LinkMsg{11, "b", "raw:eth1", true}});  // 6 is missing
  std::vector<StreamMessage> got;
  EXPECT_FALSE(ReadAll(link, &got));
  EXPECT_EQ(got.size(), 1u);  // the hello; the out-of-sequence event is not handed on
  EXPECT_FALSE(link.connected());
}

TEST_F(TachydLinkTest, AnEventBeforeTheHelloDisconnects) {
  TachydLink link(path_);
  UniqueFd tachyd = Accept(link);
  Send(tachyd.get(), {1, LinkMsg{11, "b", "raw:eth1", true}});
  std::vector<StreamMessage> got;
  EXPECT_FALSE(ReadAll(link, &got));
  EXPECT_TRUE(got.empty());
}

TEST_F(TachydLinkTest, AnUnreadableMessageDisconnects) {
  TachydLink link(path_);
  UniqueFd tachyd = Accept(link);
  ASSERT_EQ(send(tachyd.get(), "garbage", 7, MSG_NOSIGNAL), 7);
  std::vector<StreamMessage> got;
  EXPECT_FALSE(ReadAll(link, &got));
  EXPECT_FALSE(link.connected());
}

TEST_F(TachydLinkTest, TachydClosingIsSeen) {
  TachydLink link(path_);
  UniqueFd tachyd = Accept(link);
  tachyd.reset();
  std::vector<StreamMessage> got;
  EXPECT_FALSE(ReadAll(link, &got));
  EXPECT_FALSE(link.connected());
}

TEST_F(TachydLinkTest, WhatTheRunnerSendsArrivesTyped) {
  TachydLink link(path_);
  UniqueFd tachyd = Accept(link);
  AdvertMsg ad;
  ad.data[15] = 0x42;
  ad.holds = true;
  ASSERT_TRUE(link.Send(ad));
  char buf[256];
  const ssize_t n = recv(tachyd.get(), buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  absl::StatusOr<StreamMessage> m =
      DecodeStream({reinterpret_cast<const uint8_t*>(buf), static_cast<size_t>(n)});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->seq, 0u);
  EXPECT_EQ(std::get<AdvertMsg>(m->body).data[15], 0x42);
  EXPECT_TRUE(std::get<AdvertMsg>(m->body).holds);
}

}  // namespace
}  // namespace tachy
