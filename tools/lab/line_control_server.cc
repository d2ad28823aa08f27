#include "tools/lab/line_control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/lab/bridge_commands.h"

namespace tachy {
namespace {

constexpr size_t kMaxClients = 16;
constexpr size_t kMaxCommandBytes = 4096;

}  // namespace

LineControlServer::~LineControlServer() {
  if (bound_) unlink(path_.c_str());
}

absl::Status LineControlServer::Listen(const std::string& path) {
  path_ = path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control path ", path_, " longer than ",
                                                   sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, path_.data(), path_.size());

  // Replace a stale socket file, but never one a live process still serves
  // and never a file that is not a socket.
  struct stat st;
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(
          absl::StrCat("control path ", path_, " exists and is not a socket"));
    }
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() &&
        connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("control socket ", path_, " is in use by a running process"));
    }
    unlink(path_.c_str());
  }

  listen_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_.valid()) return absl::ErrnoToStatus(errno, "AF_UNIX socket");
  if (bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind control socket ", path_));
  }
  bound_ = true;
  if (listen(listen_.get(), 16) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listen on ", path_));
  }
  return absl::OkStatus();
}

void LineControlServer::AcceptClients() {
  while (true) {
    UniqueFd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN, or a transient error: next wakeup
    if (clients_.size() >= kMaxClients) {
      // Idle connections must not lock the operator out: drop the oldest.
      auto oldest = std::min_element(
          clients_.begin(), clients_.end(),
          [](const auto& a, const auto& b) { return a.second.since < b.second.since; });
      Close(oldest->first);
    }
    const int raw = fd.get();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = tag_(raw);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, raw, &ev) != 0) continue;
    clients_.emplace(raw, Client{std::move(fd), std::string(), MonotonicNow()});
  }
}

void LineControlServer::Close(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(fd);
}

void LineControlServer::Serve(int fd, const Handler& handler) {
  const auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& client = it->second;
  bool eof = false;
  char buf[1024];
  while (client.input.size() <= kMaxCommandBytes) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      client.input.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      eof = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      Close(fd);
      return;
    }
    break;
  }
  const size_t newline = client.input.find('\n');
  std::string reply;
  if (newline != std::string::npos && newline <= kMaxCommandBytes) {
    reply = handler(absl::string_view(client.input).substr(0, newline));
  } else if (client.input.size() > kMaxCommandBytes) {
    reply = ErrorReply(absl::StrCat("command longer than ", kMaxCommandBytes, " bytes"));
  } else if (eof) {
    reply = handler(client.input);
  } else {
    return;  // wait for the rest of the line
  }
  reply += '\n';
  // A reply is at most a few tens of KiB, far below the socket buffer.
  (void)!send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  Close(fd);
}

}  // namespace tachy
