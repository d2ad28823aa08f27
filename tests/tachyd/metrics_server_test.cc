// metrics_server_test.cc: the metrics endpoint over loopback TCP.
#include "detector/tachyd/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

uint16_t BoundPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof(sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

UniqueFd Connect(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  return fd;
}

// Serves until the client has its whole answer (bounded).
std::string Exchange(MetricsServer& server, const std::string& request, int* renders) {
  UniqueFd c = Connect(BoundPort(server.fd()));
  EXPECT_EQ(write(c.get(), request.data(), request.size()),
            static_cast<ssize_t>(request.size()));
  shutdown(c.get(), SHUT_WR);
  std::string reply;
  MonoTime now = MonoTime::FromNanos(1);
  for (int i = 0; i < 100; ++i) {
    server.Process(now, [&] {
      ++*renders;
      return std::string("tachy_up 1\n");
    });
    if (!server.busy() && i > 0) break;
    usleep(1000);
  }
  char buf[4096];
  for (ssize_t n; (n = read(c.get(), buf, sizeof(buf))) > 0;) reply.append(buf, n);
  return reply;
}

TEST(MetricsServerTest, ServesMetricsAndRefusesOtherPaths) {
  auto server = MetricsServer::Listen("127.0.0.1", 0);
  ASSERT_TRUE(server.ok()) << server.status();
  int renders = 0;
  const std::string ok = Exchange(**server, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &renders);
  EXPECT_THAT(ok, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(ok, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(ok, HasSubstr("Content-Length: 11\r\n"));
  EXPECT_TRUE(absl::EndsWith(ok, "\r\n\r\ntachy_up 1\n"));
  EXPECT_EQ(renders, 1);
  EXPECT_THAT(Exchange(**server, "GET / HTTP/1.0\r\n\r\n", &renders),
              StartsWith("HTTP/1.0 404"));
  EXPECT_THAT(Exchange(**server, "POST /metrics HTTP/1.0\r\n\r\n", &renders),
              StartsWith("HTTP/1.0 405"));
  EXPECT_EQ(renders, 1);  // only a GET /metrics renders
  EXPECT_EQ((*server)->served(), 3u);
}

TEST(MetricsServerTest, AClientThatSendsNothingIsDroppedAfterItsDeadline) {
  auto server = MetricsServer::Listen("127.0.0.1", 0);
  ASSERT_TRUE(server.ok());
  UniqueFd idle = Connect(BoundPort((*server)->fd()));
  int renders = 0;
  const auto body = [&] {
    ++renders;
    return std::string();
  };
  (*server)->Process(MonoTime::FromNanos(1), body);
  EXPECT_TRUE((*server)->busy());
  (*server)->Process(MonoTime::FromNanos(1) + absl::Seconds(3), body);
  EXPECT_FALSE((*server)->busy());
  EXPECT_EQ(renders, 0);
}

TEST(MetricsServerTest, AnAddressThatIsNotIPv4IsRefused) {
  EXPECT_FALSE(MetricsServer::Listen("localhost", 9694).ok());
}

}  // namespace
}  // namespace tachy
