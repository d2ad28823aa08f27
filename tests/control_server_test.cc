// control_server_test.cc: tachyd's control socket and event stream over real
// Unix sockets in a temporary directory: the hello and numbering, the
// runner's messages, request forwarding and its reply, status, and what
// happens to an unreadable message and to a reader that falls behind.
#include "detector/control_server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "detector/event_stream.h"
#include "detector/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

UniqueFd ConnectTo(const std::string& path, int type) {
  UniqueFd fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return UniqueFd();
  return fd;
}

// One packet, waited for up to 2 s.
std::string ReceivePacket(int fd) {
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[65536];
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

StreamMessage Decoded(const std::string& packet) {
  absl::StatusOr<StreamMessage> m =
      DecodeStream({reinterpret_cast<const uint8_t*>(packet.data()), packet.size()});
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : StreamMessage{};
}

void SendPacket(int fd, const std::string& packet) {
  ASSERT_EQ(send(fd, packet.data(), packet.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(packet.size()));
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tachy-control-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    control_path_ = dir_ + "/tachyd.sock";
    event_path_ = dir_ + "/tachyd.sock.events";
    auto server = ControlServer::Listen(control_path_, event_path_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    rmdir(dir_.c_str());
  }

  // Runs Process() until `done` or 2000 rounds (each waits up to 1 ms).
  template <typename Done>
  void ProcessUntil(Done done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      server_->Process([&] { return std::string(R"({"v":1})"); },
                       [&]() -> std::optional<HelloMsg> {
                         if (!hello_available_) return std::nullopt;
                         HelloMsg h;
                         h.node = "a";
                         h.generation = 7;
                         return h;
                       },
                       [&](const StreamMessage& m) { received_.push_back(m); });
      usleep(1000);
    }
  }

  std::string dir_, control_path_, event_path_;
  std::unique_ptr<ControlServer> server_;
  std::vector<StreamMessage> received_;
  bool hello_available_ = true;
};

TEST_F(ControlServerTest, HelloThenNumberedEventsAndADuplicateForTicks) {
  server_->Publish(LinkMsg{1, "b", "raw:eth1", true});  // before anyone listens: seq 1
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  ASSERT_TRUE(runner.valid());
  std::vector<UniqueFd> dups;
  ProcessUntil([&] {
    for (UniqueFd& fd : server_->TakeNewEventClients()) dups.push_back(std::move(fd));
    return !dups.empty();
  });
  ASSERT_EQ(dups.size(), 1u);
  StreamMessage hello = Decoded(ReceivePacket(runner.get()));
  ASSERT_TRUE(std::holds_alternative<HelloMsg>(hello.body));
  EXPECT_EQ(hello.seq, 1u);  // the last message sent before it
  EXPECT_EQ(std::get<HelloMsg>(hello.body).generation, 7u);
  server_->Publish(PeerMsg{5, "b", WirePeerState::kUp, WirePeerState::kDead, 3, 4, "gone"});
  StreamMessage next = Decoded(ReceivePacket(runner.get()));
  EXPECT_EQ(next.seq, 2u);
  EXPECT_EQ(std::get<PeerMsg>(next.body).reason, "gone");
  // The duplicate reaches the same reader: what the detector thread ticks.
  std::array<uint8_t, kTickSize> tick{};
  EncodeTickInto(tick, 9, 10);
  ASSERT_EQ(send(dups[0].get(), tick.data(), tick.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(tick.size()));
  EXPECT_EQ(std::get<TickMsg>(Decoded(ReceivePacket(runner.get())).body).frames_sent, 10u);
}

// No snapshot in time (the detector thread stalled): no hello from an old
// one, which could miss an event numbered before it. The reader is closed
// and reconnects.
TEST_F(ControlServerTest, NoFreshSnapshotMeansNoHelloAndTheReaderIsClosed) {
  hello_available_ = false;
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  bool closed = false;
  ProcessUntil([&] {
    char buf[64];
    closed = recv(runner.get(), buf, sizeof(buf), MSG_DONTWAIT) == 0;
    return closed;
  });
  EXPECT_TRUE(closed);
  EXPECT_TRUE(server_->TakeNewEventClients().empty());
}

TEST_F(ControlServerTest, RunnerMessagesReachTheDaemonAndMakeItTheActionsClient) {
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
  (void)ReceivePacket(runner.get());  // hello
  EXPECT_FALSE(server_->actions_connected());
  AdvertMsg ad;
  ad.data[0] = 0xAB;
  ad.ready = true;
  ad.holds = true;
  SendPacket(runner.get(), EncodeStream({0, ad}));
  ProcessUntil([&] { return !received_.empty(); });
  ASSERT_EQ(received_.size(), 1u);
  const AdvertMsg& got = std::get<AdvertMsg>(received_[0].body);
  EXPECT_EQ(got.data[0], 0xAB);
  EXPECT_TRUE(got.holds);
  EXPECT_TRUE(server_->actions_connected());
}

TEST_F(ControlServerTest, AnUnreadableMessageIsDroppedAndTheConnectionKept) {
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
  (void)ReceivePacket(runner.get());
  SendPacket(runner.get(), "not a tachy message at all");
  SendPacket(runner.get(), EncodeStream({0, GroupsMsg{"[]"}}));
  ProcessUntil([&] { return !received_.empty(); });
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<GroupsMsg>(received_[0].body));
}

TEST_F(ControlServerTest, StandbyIsForwardedAndTheRunnersReplyComesBack) {
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
  (void)ReceivePacket(runner.get());
  SendPacket(runner.get(), EncodeStream({0, GroupsMsg{"[]"}}));  // speaks: the runner
  ProcessUntil([&] { return server_->actions_connected(); });
  UniqueFd ctl = ConnectTo(control_path_, SOCK_STREAM);
  ASSERT_EQ(write(ctl.get(), "standby local\n", 14), 14);
  std::string request;
  ProcessUntil([&] {
    char buf[4096];
    const ssize_t n = recv(runner.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) request.assign(buf, static_cast<size_t>(n));
    return !request.empty();
  });
  const StreamMessage m = Decoded(request);
  const RequestMsg& r = std::get<RequestMsg>(m.body);
  EXPECT_EQ(r.what, "standby");
  EXPECT_EQ(r.scope, "local");
  EXPECT_NE(r.id, 0u);
  SendPacket(runner.get(), EncodeStream({0, ReplyMsg{r.id, true, "handing 1 group(s)"}}));
  std::string answer;
  ProcessUntil([&] {
    char buf[4096];
    const ssize_t n = recv(ctl.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) answer.append(buf, static_cast<size_t>(n));
    return answer.find('\n') != std::string::npos;
  });
  const nlohmann::json j = nlohmann::json::parse(answer);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["message"], "handing 1 group(s)");
  EXPECT_TRUE(received_.size() == 1);  // the reply went to tachyctl, not to the daemon
}

TEST_F(ControlServerTest, StatusAnswersAndCloses) {
  UniqueFd ctl = ConnectTo(control_path_, SOCK_STREAM);
  ASSERT_EQ(write(ctl.get(), "status\n", 7), 7);
  std::string answer;
  ProcessUntil([&] {
    char buf[4096];
    const ssize_t n = recv(ctl.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) answer.append(buf, static_cast<size_t>(n));
    return n == 0;  // closed after the answer
  });
  EXPECT_EQ(answer, "{\"v\":1}\n");
}

TEST_F(ControlServerTest, AReaderThatFallsBehindIsDroppedAndItsTickDuplicateFails) {
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  std::vector<UniqueFd> dups;
  ProcessUntil([&] {
    for (UniqueFd& fd : server_->TakeNewEventClients()) dups.push_back(std::move(fd));
    return !dups.empty();
  });
  ASSERT_EQ(dups.size(), 1u);
  // Never read: the socket buffer fills, and tachyd lets the reader go
  // rather than wait for it.
  bool dropped = false;
  for (int i = 0; i < 10000 && !dropped; ++i) {
    server_->Publish(LinkMsg{i, std::string(2000, 'n'), "m", true});
    std::array<uint8_t, kTickSize> tick{};
    EncodeTickInto(tick, i, i);
    dropped = send(dups[0].get(), tick.data(), tick.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
              errno != EAGAIN;
  }
  EXPECT_TRUE(dropped) << "the detector thread's duplicate still sends to a dropped reader";
}

// An event that could not be published: every reader is let go, to start
// again from a hello, rather than act on a picture with a hole in it.
TEST_F(ControlServerTest, DroppingEventClientsClosesEveryReader) {
  UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
  ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
  (void)ReceivePacket(runner.get());  // hello
  server_->DropEventClients();
  char buf[64];
  EXPECT_EQ(recv(runner.get(), buf, sizeof(buf), 0), 0);  // EOF
  EXPECT_FALSE(server_->actions_connected());
}

}  // namespace
}  // namespace tachy
