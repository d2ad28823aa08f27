// app_check_test.cc: the application check against real sockets on
// 127.0.0.1: a TCP port that answers or refuses, HTTP status lines good and
// bad, and a server that never answers (the deadline).
#include "actions/app_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/time/time.h"
#include "detector/base/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A listening socket on 127.0.0.1, any port.
struct Listener {
  UniqueFd fd;
  int port = 0;
  Listener() {
    fd = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd.get(), 4), 0);
    socklen_t len = sizeof(a);
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  // Accepts one connection, reads the request, answers `reply`.
  std::thread AnswerOnce(std::string reply) {
    return std::thread([this, reply] {
      UniqueFd c(accept(fd.get(), nullptr, nullptr));
      char buf[1024];
      (void)recv(c.get(), buf, sizeof(buf), 0);
      (void)send(c.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    });
  }
};

AppCheck Check(AppCheck::Kind kind, int port) {
  AppCheck c;
  c.kind = kind;
  c.ip = "127.0.0.1";
  c.port = port;
  return c;
}

TEST(AppCheckTest, TcpPortThatAcceptsPasses) {
  Listener l;  // the kernel completes the handshake from the backlog
  EXPECT_EQ(RunAppCheck(Check(AppCheck::Kind::kTcp, l.port), absl::Seconds(2)), "");
}

TEST(AppCheckTest, ClosedPortFailsWithTheReason) {
  int port;
  {
    Listener l;
    port = l.port;
  }  // closed: nobody listens there now
  const std::string e = RunAppCheck(Check(AppCheck::Kind::kTcp, port), absl::Seconds(2));
  EXPECT_THAT(e, HasSubstr("tcp 127.0.0.1:"));
  EXPECT_THAT(e, HasSubstr("Connection refused"));
}

TEST(AppCheckTest, HttpStatusLineDecides) {
  for (const auto& [reply, ok] : std::vector<std::pair<std::string, bool>>{
           {"HTTP/1.1 200 OK\r\n\r\nhello", true},
           {"HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n", true},
           {"HTTP/1.1 503 Service Unavailable\r\n\r\n", false},
           {"SSH-2.0-OpenSSH\r\n", false},
           {"", false}}) {
    SCOPED_TRACE(reply);
    Listener l;
    std::thread server = l.AnswerOnce(reply);
    const std::string e = RunAppCheck(Check(AppCheck::Kind::kHttp, l.port), absl::Seconds(2));
    server.join();
    if (ok) {
      EXPECT_EQ(e, "");
    } else {
      EXPECT_THAT(e, MatchesRegex("http 127\\.0\\.0\\.1:[0-9]+/: .* after [0-9.]+ ms"));
    }
  }
}

TEST(AppCheckTest, AServerThatNeverAnswersFailsAtTheDeadline) {
  Listener l;  // accepted by the kernel, never read
  const std::string e = RunAppCheck(Check(AppCheck::Kind::kHttp, l.port), absl::Milliseconds(100));
  EXPECT_THAT(e, HasSubstr("no answer within 100 ms"));
}

}  // namespace
}  // namespace tachy
