#include "detector/tachyd/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tachy {
namespace {

constexpr size_t kMaxRequest = 8192;
constexpr absl::Duration kClientTimeout = absl::Seconds(2);

std::string Response(absl::string_view status, absl::string_view content_type,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.0 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Listen(const std::string& address,
                                                                     uint16_t port) {
  const std::string where = absl::StrFormat("metrics_listen %s:%d", address, port);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": not an IPv4 address"));
  }
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat(where, ": socket"));
  const int one = 1;
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(where, ": bind"));
  }
  if (listen(fd.get(), 16) != 0) return absl::ErrnoToStatus(errno, absl::StrCat(where, ": listen"));
  return std::make_unique<MetricsServer>(std::move(fd));
}

std::string MetricsServer::Answer(const std::string& request,
                                  absl::FunctionRef<std::string()> body, std::string& cached) {
  const size_t end = request.find("\r\n\r\n");
  if (end == std::string::npos && request.find("\n\n") == std::string::npos &&
      request.size() < kMaxRequest) {
    return "";
  }
  const size_t eol = request.find_first_of("\r\n");
  const absl::string_view line = absl::string_view(request).substr(0, eol);
  if (!absl::StartsWith(line, "GET ") && !absl::StartsWith(line, "HEAD ")) {
    return Response("405 Method Not Allowed", "text/plain", "only GET /metrics is served\n");
  }
  const size_t path_start = line.find(' ') + 1;
  const size_t path_end = line.find(' ', path_start);
  const absl::string_view path = line.substr(path_start, path_end - path_start);
  if (path != "/metrics" && !absl::StartsWith(path, "/metrics?")) {
    return Response("404 Not Found", "text/plain", "tachyd serves /metrics only\n");
  }
  if (cached.empty()) cached = body();
  std::string r = Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", cached);
  if (absl::StartsWith(line, "HEAD ")) r.resize(r.find("\r\n\r\n") + 4);
  return r;
}

void MetricsServer::Process(MonoTime now, absl::FunctionRef<std::string()> body) {
  // Bounded: at most a backlog's worth of accepts per call.
  for (int i = 0; i < 16; ++i) {
    UniqueFd c(accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!c.valid()) break;
    if (clients_.size() >= kMaxClients) continue;  // closed: a scraper retries
    clients_.push_back(Client{std::move(c), "", "", 0, false, now + kClientTimeout});
  }
  std::string rendered;  // one rendering for every client answered in this call
  for (Client& c : clients_) {
    if (!c.answered) {
      char buf[2048];
      for (int i = 0; i < 4 && c.input.size() < kMaxRequest; ++i) {
        const ssize_t n = read(c.fd.get(), buf, sizeof(buf));
        if (n <= 0) {
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) c.deadline = MonoTime();
          break;
        }
        c.input.append(buf, static_cast<size_t>(n));
      }
      c.output = Answer(c.input, body, rendered);
      c.answered = !c.output.empty();
      if (c.answered) ++served_;
    }
    while (c.answered && c.sent < c.output.size()) {
      const ssize_t n = send(c.fd.get(), c.output.data() + c.sent, c.output.size() - c.sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c.deadline = MonoTime();
        break;
      }
      c.sent += static_cast<size_t>(n);
    }
  }
  std::erase_if(clients_, [&](const Client& c) {
    return (c.answered && c.sent == c.output.size()) || now >= c.deadline;
  });
}

}  // namespace tachy
