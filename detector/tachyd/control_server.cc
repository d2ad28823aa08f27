#include "detector/tachyd/control_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "detector/tachyd/control_request.h"
#include "detector/base/log.h"

namespace tachy {
namespace {

constexpr size_t kMaxRequestBytes = 4096;

absl::Status MakeParentDirs(const std::string& path) {
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    const std::string dir = path.substr(0, pos);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::ErrnoToStatus(errno, absl::StrCat("create directory ", dir));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path, int type) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", path));
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (absl::Status s = MakeParentDirs(path); !s.ok()) return s;
  // A socket file may be left by a crashed daemon; only a live one refuses.
  UniqueFd probe(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat(path, ": another tachyd is listening here (use --socket)"));
  }
  // Only a stale socket is ours to replace: a file of any other kind at
  // the path (a typo in --socket) is left alone.
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " exists and is not a socket: not replacing it (choose another --socket)"));
    }
    unlink(path.c_str());
  }
  UniqueFd fd(socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket AF_UNIX");
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind ", path));
  }
  chmod(path.c_str(), 0660);
  if (listen(fd.get(), 16) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("listen ", path));
  return fd;
}

// Non-blocking, all-or-nothing: a partial or refused write means the reader
// fell behind, and the caller drops it.
bool SendAll(int fd, const std::string& data) {
  const ssize_t n = send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n == static_cast<ssize_t>(data.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Listen(
    const std::string& control_path, const std::string& event_path, Limits limits) {
  // The constructor is private: make_unique cannot reach it.
  std::unique_ptr<ControlServer> server(new ControlServer(limits));
  server->epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!server->epoll_.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");
  auto control = ListenUnix(control_path, SOCK_STREAM);
  if (!control.ok()) return control.status();
  server->paths_.push_back(control_path);
  auto events = ListenUnix(event_path, SOCK_SEQPACKET);
  if (!events.ok()) return events.status();
  server->paths_.push_back(event_path);
  server->Add(std::move(*control), Kind::kControlListener);
  server->Add(std::move(*events), Kind::kEventListener);
  return server;
}

ControlServer::~ControlServer() {
  for (const std::string& p : paths_) unlink(p.c_str());
}

void ControlServer::Add(UniqueFd fd, Kind kind, MonoTime deadline) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd.get();
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev);
  auto c = std::make_unique<Client>();
  c->fd = std::move(fd);
  c->kind = kind;
  c->deadline = deadline;
  clients_.push_back(std::move(c));
}

size_t ControlServer::Count(bool event_side) const {
  size_t n = 0;
  for (const auto& c : clients_) {
    const bool event = c->kind == Kind::kEventClient || c->kind == Kind::kActionsClient ||
                       c->kind == Kind::kSubscriber;
    const bool control = c->kind == Kind::kControlClient || c->kind == Kind::kWatcher ||
                         c->kind == Kind::kAwaitingReply;
    n += event_side ? event : control;
  }
  return n;
}

bool ControlServer::IsRunner(int fd) const {
  if (runner_pid_ <= 0) return false;
  ucred cred{};
  socklen_t len = sizeof(cred);
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == runner_pid_;
}

void ControlServer::Refuse(UniqueFd fd, bool is_event) {
  ++refused_;
  if (!is_event) {
    SendAll(fd.get(), ControlErrorLine(absl::StrCat("too many connections (", limits_.max_control_clients,
                                             "); try again")));
  }
  // Said once per burst, not per connection: a flood must not flood the log.
  if (refused_ == 1 || refused_ % 1000 == 0) {
    LogWarning("%s socket: connection refused over the cap of %d (%d refused so far)",
               is_event ? "event" : "control",
               static_cast<int>(is_event ? limits_.max_event_clients : limits_.max_control_clients),
               static_cast<int>(refused_));
  }
}

void ControlServer::PauseListeners(MonoTime now) {
  // accept() failed (EMFILE, ENFILE, ENOBUFS, ...): the pending connection
  // keeps the listener readable, so retrying at once would spin. Stop
  // listening for a while; the waiting connections stay queued.
  ++accept_failures_;
  if (!listeners_paused_ && (accept_failures_ == 1 || accept_failures_ % 100 == 0)) {
    LogWarning("accept: %s; not accepting for %s (%d failures so far)", strerror(errno),
               absl::FormatDuration(limits_.accept_backoff).c_str(),
               static_cast<int>(accept_failures_));
  }
  listeners_paused_ = true;
  listeners_paused_until_ = now + limits_.accept_backoff;
  for (auto& c : clients_) {
    if (c->kind != Kind::kControlListener && c->kind != Kind::kEventListener) continue;
    epoll_event ev{};
    ev.data.fd = c->fd.get();
    epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c->fd.get(), &ev);
  }
}

void ControlServer::ResumeListeners(MonoTime now) {
  if (!listeners_paused_ || now < listeners_paused_until_) return;
  listeners_paused_ = false;
  for (auto& c : clients_) {
    if (c->kind != Kind::kControlListener && c->kind != Kind::kEventListener) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = c->fd.get();
    epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c->fd.get(), &ev);
  }
}

ControlServer::Client* ControlServer::Find(int fd) {
  for (auto& c : clients_) {
    if (c->fd.get() == fd) return c.get();
  }
  return nullptr;
}

void ControlServer::Drop(int fd) {
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  const Client* dropped = Find(fd);
  if (dropped != nullptr &&
      (dropped->kind == Kind::kEventClient || dropped->kind == Kind::kActionsClient ||
       dropped->kind == Kind::kSubscriber)) {
    // The detector thread holds a duplicate for its ticks: shutting the
    // socket down (not just closing ours) makes its next send fail, and it
    // lets go of its copy.
    shutdown(fd, SHUT_RDWR);
  }
  std::erase_if(clients_, [fd](const auto& c) { return c->fd.get() == fd; });
}

void ControlServer::HandleRequest(Client& c, absl::FunctionRef<std::string()> status) {
  const size_t nl = c.input.find('\n');
  if (nl == std::string::npos) return;
  const ControlRequest request = ParseControlRequest(absl::string_view(c.input).substr(0, nl));
  c.input.clear();
  switch (request.verb) {
    case ControlRequest::Verb::kInvalid:
      SendAll(c.fd.get(), ControlErrorLine(request.error));
      Drop(c.fd.get());
      return;
    case ControlRequest::Verb::kStatus:
      SendAll(c.fd.get(), status() + "\n");
      Drop(c.fd.get());
      return;
    case ControlRequest::Verb::kWatch:
      c.kind = Kind::kWatcher;
      return;
    case ControlRequest::Verb::kReload:
      SendAll(c.fd.get(), reload_ ? reload_() + "\n"
                                  : ControlErrorLine("this tachyd does not reload"));
      Drop(c.fd.get());
      return;
    case ControlRequest::Verb::kStandby:
    case ControlRequest::Verb::kTakeover:
    case ControlRequest::Verb::kClear:
      break;
  }
  const std::string verb = request.verb == ControlRequest::Verb::kStandby    ? "standby"
                           : request.verb == ControlRequest::Verb::kTakeover ? "takeover"
                                                                             : "clear";
  Client* actions = nullptr;
  for (auto& other : clients_) {
    if (other->kind == Kind::kActionsClient) actions = other.get();
  }
  if (actions == nullptr) {
    SendAll(c.fd.get(), JsonLine({{"ok", false},
                                  {"message", "no action runner is connected to this tachyd "
                                              "(started with --no-actions, or it is restarting)"}}));
    Drop(c.fd.get());
    return;
  }
  c.kind = Kind::kAwaitingReply;
  c.request_id = next_request_id_++;
  c.deadline = MonotonicNow() + absl::Seconds(10);
  const std::string forward =
      EncodeStream({++seq_, RequestMsg{c.request_id, verb, request.scope}});
  if (!SendAll(actions->fd.get(), forward)) {
    SendAll(c.fd.get(), JsonLine({{"ok", false},
                                  {"message", "the action runner did not accept the request"}}));
    Drop(c.fd.get());
    return;
  }
  ++forwarded_[verb];
  // Watchers see an operator's request as it is made, before its outcome
  // (the takeovers and group moves it causes follow as lines of their own).
  PublishWatchLine(nlohmann::json{{"type", "request"},
                                  {"t_ns", MonotonicNow().nanos()},
                                  {"what", verb},
                                  {"scope", request.scope}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool ControlServer::has_deadlines() const {
  if (listeners_paused_) return true;
  for (const auto& c : clients_) {
    if (c->kind == Kind::kAwaitingReply || c->kind == Kind::kControlClient) return true;
  }
  return false;
}

bool ControlServer::actions_connected() const {
  for (const auto& c : clients_) {
    if (c->kind == Kind::kActionsClient) return true;
  }
  return false;
}

void ControlServer::HandleEventMessage(Client& c,
                                       absl::FunctionRef<void(const StreamMessage&)> on_message) {
  char buf[65536];
  for (int i = 0; i < 64; ++i) {
    const ssize_t r = recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      if (c.kind == Kind::kActionsClient) LogWarning("action runner disconnected");
      Drop(c.fd.get());
      return;
    }
    if (r < 0) return;
    if (c.kind == Kind::kEventClient) {
      if (IsRunner(c.fd.get())) {
        c.kind = Kind::kActionsClient;
        LogInfo("action runner connected");
      } else {
        // Only the runner tachyd started speaks for this node: anyone else
        // advertising "held nothing" would hand our groups to the peer.
        c.kind = Kind::kSubscriber;
        ucred cred{};
        socklen_t len = sizeof(cred);
        getsockopt(c.fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len);
        LogWarning("event-stream reader pid %d is not the action runner (pid %d): what it "
                   "sends is ignored; it stays a read-only subscriber",
                   static_cast<int>(cred.pid), static_cast<int>(runner_pid_));
      }
    }
    if (c.kind == Kind::kSubscriber) {
      ++ignored_messages_;
      continue;
    }
    absl::StatusOr<StreamMessage> m =
        DecodeStream({reinterpret_cast<const uint8_t*>(buf), static_cast<size_t>(r)});
    if (!m.ok()) {
      // The runner is ours and speaks our codec: this is a bug or a
      // mismatched build, said once per connection, never acted upon.
      if (!c.warned) LogError("action runner sent an unreadable message: %s", m.status().message());
      c.warned = true;
      continue;
    }
    if (const auto* reply = std::get_if<ReplyMsg>(&m->body)) {
      for (auto& waiting : clients_) {
        if (waiting->kind == Kind::kAwaitingReply && waiting->request_id == reply->id) {
          SendAll(waiting->fd.get(),
                  JsonLine({{"ok", reply->ok}, {"message", reply->message}}));
          Drop(waiting->fd.get());
          break;
        }
      }
      continue;
    }
    on_message(*m);
  }
}

void ControlServer::ExpireDeadlines(MonoTime now) {
  ResumeListeners(now);
  std::vector<std::pair<int, std::string>> expired;
  for (auto& c : clients_) {
    if (now <= c->deadline) continue;
    if (c->kind == Kind::kAwaitingReply) {
      expired.emplace_back(c->fd.get(),
                           JsonLine({{"ok", false},
                                     {"message", "the action runner did not answer within 10 s"}}));
    } else if (c->kind == Kind::kControlClient) {
      expired.emplace_back(c->fd.get(),
                           ControlErrorLine(absl::StrCat("no request line within ",
                                                  absl::FormatDuration(limits_.request_timeout))));
    }
  }
  for (const auto& [fd, answer] : expired) {
    SendAll(fd, answer);
    Drop(fd);
  }
}

void ControlServer::Accept(Client& listener, MonoTime now,
                           absl::FunctionRef<std::optional<HelloMsg>()> hello) {
  const bool is_event = listener.kind == Kind::kEventListener;
  UniqueFd client(accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!client.valid()) {
    if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) PauseListeners(now);
    return;
  }
  if (Count(is_event) >= (is_event ? limits_.max_event_clients : limits_.max_control_clients)) {
    Refuse(std::move(client), is_event);
    return;
  }
  if (!is_event) {
    Add(std::move(client), Kind::kControlClient, now + limits_.request_timeout);
    return;
  }
  const std::optional<HelloMsg> h = hello();
  if (!h) {
    LogWarning("event-stream reader turned away: the detector thread gave no snapshot "
               "in time for its hello (it reconnects)");
    return;
  }
  if (!SendAll(client.get(), EncodeStream({seq_, *h}))) return;
  UniqueFd copy(fcntl(client.get(), F_DUPFD_CLOEXEC, 0));
  if (copy.valid()) new_event_clients_.push_back(std::move(copy));
  Add(std::move(client), Kind::kEventClient);
}

void ControlServer::Process(absl::FunctionRef<std::string()> status,
                            absl::FunctionRef<std::optional<HelloMsg>()> hello,
                            absl::FunctionRef<void(const StreamMessage&)> on_message) {
  const MonoTime now = MonotonicNow();
  ExpireDeadlines(now);
  epoll_event events[16];
  const int n = epoll_wait(epoll_.get(), events, 16, 0);
  for (int i = 0; i < n; ++i) {
    Client* c = Find(events[i].data.fd);
    if (c == nullptr) continue;
    switch (c->kind) {
      case Kind::kControlListener:
      case Kind::kEventListener:
        Accept(*c, now, hello);
        break;
      case Kind::kControlClient: {
        char buf[512];
        const ssize_t r = recv(c->fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (r <= 0) {
          Drop(c->fd.get());
          break;
        }
        c->input.append(buf, static_cast<size_t>(r));
        if (c->input.find('\n') == std::string::npos && c->input.size() > kMaxRequestBytes) {
          SendAll(c->fd.get(), ControlErrorLine(absl::StrCat("request longer than ", kMaxRequestBytes,
                                                      " bytes without a newline")));
          Drop(c->fd.get());
          break;
        }
        HandleRequest(*c, status);
        break;
      }
      case Kind::kEventClient:
      case Kind::kActionsClient:
      case Kind::kSubscriber:
        HandleEventMessage(*c, on_message);
        break;
      case Kind::kAwaitingReply:
      case Kind::kWatcher: {
        // Readers only listen; readable means they closed (or sent noise).
        char buf[256];
        const ssize_t r = recv(c->fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN)) Drop(c->fd.get());
        break;
      }
    }
  }
}

void ControlServer::SendToEventClients(const std::string& message) {
  std::vector<int> lagging;
  for (auto& c : clients_) {
    if ((c->kind == Kind::kEventClient || c->kind == Kind::kActionsClient ||
         c->kind == Kind::kSubscriber) &&
        !SendAll(c->fd.get(), message)) {
      lagging.push_back(c->fd.get());
    }
  }
  for (int fd : lagging) {
    LogWarning("event-stream reader on fd %d fell behind; disconnected (it resyncs on reconnect)",
               fd);
    Drop(fd);
  }
}

std::vector<UniqueFd> ControlServer::TakeNewEventClients() {
  return std::exchange(new_event_clients_, {});
}

void ControlServer::Publish(StreamBody body) {
  SendToEventClients(EncodeStream({++seq_, std::move(body)}));
}

void ControlServer::DropEventClients() {
  std::vector<int> readers;
  for (auto& c : clients_) {
    if (c->kind == Kind::kEventClient || c->kind == Kind::kActionsClient ||
        c->kind == Kind::kSubscriber) {
      readers.push_back(c->fd.get());
    }
  }
  for (int fd : readers) Drop(fd);
}

void ControlServer::PublishWatchLine(const std::string& json_line) {
  const std::string line = json_line + "\n";
  std::vector<int> lagging;
  for (auto& c : clients_) {
    if (c->kind == Kind::kWatcher && !SendAll(c->fd.get(), line)) lagging.push_back(c->fd.get());
  }
  for (int fd : lagging) Drop(fd);
}

}  // namespace tachy
