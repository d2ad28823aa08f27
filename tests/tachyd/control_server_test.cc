// control_server_test.cc: tachyd's control socket and event stream over real
// Unix sockets in a temporary directory: the hello and numbering, the
// runner's messages, request forwarding and its reply, status, and what
// happens to an unreadable message and to a reader that falls behind.
#include "detector/tachyd/control_server.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "detector/stream/event_stream.h"
#include "detector/base/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

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
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
    control_path_ = dir_ + "/tachyd.sock";
    event_path_ = dir_ + "/tachyd.sock.events";
    Restart(ControlServer::Limits());
  }
  // A server with other limits (the socket paths are reused).
  void Restart(ControlServer::Limits limits) {
    server_.reset();
    auto server = ControlServer::Listen(control_path_, event_path_, limits);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    // The runner tachyd started: in these tests, this very process.
    server_->set_runner_pid(getpid());
  }

  // One control request; the whole answer (until tachyd closes).
  std::string AskControl(const std::string& request) {
    UniqueFd ctl = ConnectTo(control_path_, SOCK_STREAM);
    EXPECT_TRUE(ctl.valid());
    if (!request.empty()) {
      EXPECT_EQ(write(ctl.get(), request.data(), request.size()),
                static_cast<ssize_t>(request.size()));
    }
    return ReadUntilClosed(ctl.get());
  }

  std::string ReadUntilClosed(int fd) {
    std::string answer;
    bool closed = false;
    ProcessUntil([&] {
      char buf[4096];
      const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) answer.append(buf, static_cast<size_t>(n));
      closed = n == 0;
      return closed;
    });
    EXPECT_TRUE(closed) << "still open after: " << answer;
    return answer;
  }

  // A connected runner (this process) that has spoken.
  UniqueFd ConnectRunner() {
    UniqueFd runner = ConnectTo(event_path_, SOCK_SEQPACKET);
    ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
    (void)ReceivePacket(runner.get());  // hello
    SendPacket(runner.get(), EncodeStream({0, GroupsMsg{"[]"}}));
    ProcessUntil([&] { return server_->actions_connected(); });
    received_.clear();
    return runner;
  }
  void TearDown() override { server_.reset(); }

  // Runs Process() until `done` or 2000 rounds (each waits up to 1 ms).
  template <typename Done>
  void ProcessUntil(Done done, int rounds = 2000) {
    for (int i = 0; i < rounds && !done(); ++i) {
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

  TempDir tmp_{"tachy-control"};
  const std::string dir_ = tmp_.path();
  std::string control_path_, event_path_;
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

// Row 1 of the hardening audit: `standby \xff` made the runner's reply
// carry invalid UTF-8, and dumping it threw past the handler (SIGABRT). Now
// such a scope is refused by tachyd itself, and a runner's reply with
// invalid UTF-8 still becomes valid JSON.
TEST_F(ControlServerTest, AnInvalidScopeIsRefusedAsValidJsonWithoutReachingTheRunner) {
  UniqueFd runner = ConnectRunner();
  const std::string answer = AskControl("standby \xff\xfe\n");
  const nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << answer;
  EXPECT_EQ(j["ok"], false);
  EXPECT_THAT(j["error"].get<std::string>(), ::testing::HasSubstr("unknown scope"));
  char buf[4096];
  EXPECT_LT(recv(runner.get(), buf, sizeof(buf), MSG_DONTWAIT), 0) << "forwarded to the runner";
}

TEST_F(ControlServerTest, AReplyWithInvalidUtf8IsAnsweredAsValidJson) {
  UniqueFd runner = ConnectRunner();
  UniqueFd ctl = ConnectTo(control_path_, SOCK_STREAM);
  ASSERT_EQ(write(ctl.get(), "standby local\n", 14), 14);
  std::string request;
  ProcessUntil([&] {
    char buf[4096];
    const ssize_t n = recv(runner.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) request.assign(buf, static_cast<size_t>(n));
    return !request.empty();
  });
  const RequestMsg r = std::get<RequestMsg>(Decoded(request).body);
  SendPacket(runner.get(), EncodeStream({0, ReplyMsg{r.id, false, "group '\xff\xfe' failed"}}));
  const std::string answer = ReadUntilClosed(ctl.get());
  const nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << answer;
  EXPECT_EQ(j["ok"], false);
  EXPECT_THAT(j["message"].get<std::string>(), ::testing::HasSubstr("failed"));
}

// Row 14: the raw request was pasted into the error answer unescaped.
TEST_F(ControlServerTest, AnUnknownRequestIsAnsweredAsValidJsonWhateverItHolds) {
  for (const std::string& request : {std::string("foo\"bar\\\n"), std::string("\xc3\x28 x\n"),
                                    std::string("\x01\x02\x7f\n")}) {
    const std::string answer = AskControl(request);
    const nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << answer;
    EXPECT_EQ(j["ok"], false);
    EXPECT_THAT(j["error"].get<std::string>(), ::testing::HasSubstr("unknown request"));
  }
}

// Row 14: more than 4096 bytes without a newline got no answer at all.
TEST_F(ControlServerTest, ARequestTooLongIsAnsweredAndClosed) {
  const std::string answer = AskControl(std::string(5000, 'x'));
  const nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << answer;
  EXPECT_THAT(j["error"].get<std::string>(), ::testing::HasSubstr("longer than 4096 bytes"));
}

// Row 6: idle control connections had no timeout.
TEST_F(ControlServerTest, AConnectionThatSendsNoRequestIsAnsweredAndClosed) {
  ControlServer::Limits limits;
  limits.request_timeout = absl::Milliseconds(30);
  Restart(limits);
  const std::string answer = AskControl("");
  EXPECT_THAT(answer, ::testing::HasSubstr("no request line within 30ms"));
}

// Row 6: connections had no cap.
TEST_F(ControlServerTest, ConnectionsOverTheCapAreRefusedWithAReason) {
  ControlServer::Limits limits;
  limits.max_control_clients = 2;
  limits.max_event_clients = 1;
  Restart(limits);
  UniqueFd w1 = ConnectTo(control_path_, SOCK_STREAM);
  UniqueFd w2 = ConnectTo(control_path_, SOCK_STREAM);
  ASSERT_EQ(write(w1.get(), "watch\n", 6), 6);
  ASSERT_EQ(write(w2.get(), "watch\n", 6), 6);
  ProcessUntil([&] { return false; }, 20);
  const std::string answer = AskControl("status\n");
  EXPECT_THAT(answer, ::testing::HasSubstr("too many connections (2)"));
  EXPECT_EQ(server_->refused_connections(), 1u);
  UniqueFd r1 = ConnectTo(event_path_, SOCK_SEQPACKET);
  ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
  UniqueFd r2 = ConnectTo(event_path_, SOCK_SEQPACKET);
  ProcessUntil([&] { return server_->refused_connections() == 2; });
  EXPECT_EQ(ReceivePacket(r2.get()), "");  // closed without a hello
  // The watchers gone, status is answered again.
  w1.reset();
  w2.reset();
  ProcessUntil([&] { return false; }, 20);
  EXPECT_EQ(AskControl("status\n"), "{\"v\":1}\n");
}

// Row 6: with no fd left, accept() failed, the listener stayed readable and
// the loop spun (97 % CPU at SCHED_FIFO).
TEST_F(ControlServerTest, AcceptFailingBacksOffInsteadOfSpinning) {
  ControlServer::Limits limits;
  limits.accept_backoff = absl::Milliseconds(200);
  Restart(limits);
  UniqueFd pending = ConnectTo(control_path_, SOCK_STREAM);
  ASSERT_TRUE(pending.valid());
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  // No fd can be opened: the lowest free one is above the new limit.
  const int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(probe, 0);
  close(probe);
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(probe);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  for (int i = 0; i < 200; ++i) {
    server_->Process([] { return std::string("{}"); }, [] { return std::nullopt; },
                     [](const StreamMessage&) {});
  }
  const uint64_t failures = server_->accept_failures();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  EXPECT_GE(failures, 1u);
  EXPECT_LE(failures, 2u) << "accept was retried at once: the loop spins";
  EXPECT_TRUE(server_->has_deadlines());  // paused: Process must run again
  // After the pause the waiting connection is served.
  ASSERT_EQ(write(pending.get(), "status\n", 7), 7);
  EXPECT_EQ(ReadUntilClosed(pending.get()), "{\"v\":1}\n");
}

// Row 8: any event-socket client became "the runner": one advertising
// "held nothing" made the peer take our groups.
TEST_F(ControlServerTest, AReaderThatIsNotTheRunnerOnlyListens) {
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Another process on the event socket: it greets and advertises.
    close(pipefd[0]);
    UniqueFd impostor = ConnectTo(event_path_, SOCK_SEQPACKET);
    std::string hello = ReceivePacket(impostor.get());
    AdvertMsg ad;
    ad.holds = false;
    ad.ready = true;
    const std::string packet = EncodeStream({0, ad});
    const bool sent = !hello.empty() &&
                      send(impostor.get(), packet.data(), packet.size(), MSG_NOSIGNAL) > 0;
    std::string next = ReceivePacket(impostor.get());  // still hears events
    const char verdict = sent && !next.empty() ? 'y' : 'n';
    (void)!write(pipefd[1], &verdict, 1);
    _exit(0);
  }
  close(pipefd[1]);
  ProcessUntil([&] { return !server_->TakeNewEventClients().empty(); });
  ProcessUntil([&] { return server_->ignored_messages() == 1; });
  server_->Publish(LinkMsg{1, "b", "raw:hb0", true});
  char verdict = 0;
  ASSERT_EQ(read(pipefd[0], &verdict, 1), 1);
  close(pipefd[0]);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(verdict, 'y') << "the subscriber did not get its hello and the next event";
  EXPECT_EQ(server_->ignored_messages(), 1u);
  EXPECT_TRUE(received_.empty()) << "the impostor's advert reached the daemon";
  EXPECT_FALSE(server_->actions_connected());
}

// Row 15: whatever file sat at --socket was unlinked.
TEST_F(ControlServerTest, AFileThatIsNotASocketIsNotReplaced) {
  server_.reset();
  const std::string path = dir_ + "/precious";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("data\n", f);
  fclose(f);
  auto server = ControlServer::Listen(path, event_path_);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition) << server.status();
  EXPECT_THAT(std::string(server.status().message()), ::testing::HasSubstr("not a socket"));
  struct stat st{};
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  unlink(path.c_str());
  Restart(ControlServer::Limits());
}

}  // namespace
}  // namespace tachy
