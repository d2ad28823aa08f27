#include "actions/app_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/base/mono_time.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool WaitFor(int fd, short events, MonoTime deadline) {
  for (;;) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - MonotonicNow());
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::string RunAppCheck(const AppCheck& check, absl::Duration timeout) {
  const MonoTime start = MonotonicNow();
  const MonoTime deadline = start + timeout;
  const std::string what =
      check.kind == AppCheck::Kind::kTcp
          ? absl::StrFormat("tcp %s:%d", check.ip, check.port)
          : absl::StrFormat("http %s:%d%s", check.ip, check.port, check.path);
  auto failed = [&](const std::string& why) {
    return absl::StrFormat("%s: %s after %.1f ms", what, why,
                           absl::ToDoubleMilliseconds(MonotonicNow() - start));
  };
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(check.port));
  if (inet_pton(AF_INET, check.ip.c_str(), &addr.sin_addr) != 1) return failed("bad address");
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return failed(strerror(errno));
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    return failed(strerror(errno));
  }
  if (!WaitFor(fd.get(), POLLOUT, deadline)) {
    return failed(absl::StrFormat("no connection within %d ms",
                                  absl::ToInt64Milliseconds(timeout)));
  }
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return failed(strerror(err));
  if (check.kind == AppCheck::Kind::kTcp) return "";
  const std::string request = absl::StrFormat(
      "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: tachy-actions\r\n\r\n", check.path, check.ip);
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return failed(absl::StrCat("send: ", strerror(errno)));
  }
  // The status line is all we need: "HTTP/1.x NNN ...".
  std::string head;
  while (head.find('\n') == std::string::npos && head.size() < 256) {
    if (!WaitFor(fd.get(), POLLIN, deadline)) {
      return failed(absl::StrFormat("no answer within %d ms", absl::ToInt64Milliseconds(timeout)));
    }
    char buf[256];
    const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return failed(n == 0 ? "closed before answering" : strerror(errno));
    head.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  if (!absl::StartsWith(head, "HTTP/") || head.size() < 12 ||
      !absl::SimpleAtoi(absl::string_view(head).substr(9, 3), &status)) {
    return failed("not an HTTP answer");
  }
  if (status < 200 || status >= 400) return failed(absl::StrCat("status ", status));
  return "";
}

}  // namespace tachy
