#include "actions/tachyd_link.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "detector/base/log.h"

namespace tachy {

absl::Status TachydLink::Connect() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("connect to tachyd at ", path_));
  }
  fd_ = std::move(fd);
  have_hello_ = false;
  return absl::OkStatus();
}

bool TachydLink::Read(absl::FunctionRef<void(const StreamMessage&)> sink) {
  uint8_t buf[kMaxStreamMessage];
  for (int i = 0; i < 1024 && fd_.valid(); ++i) {
    const ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      fd_.reset();
      return false;
    }
    if (n < 0) return true;
    absl::StatusOr<StreamMessage> m = DecodeStream({buf, static_cast<size_t>(n)});
    if (!m.ok()) {
      // tachyd and we come from one build: an unreadable message means a
      // mismatched install. Start again from a hello rather than guess.
      LogError("unreadable message from tachyd: %s; reconnecting", m.status().message());
      fd_.reset();
      return false;
    }
    if (std::holds_alternative<TickMsg>(m->body)) {
      // Unnumbered: the detector thread's pulse, outside the event sequence.
    } else if (std::holds_alternative<HelloMsg>(m->body)) {
      have_hello_ = true;
      last_seq_ = m->seq;
    } else {
      if (!have_hello_ || m->seq != last_seq_ + 1) {
        LogWarning("event stream from tachyd skipped from %d to %d: resynchronising", last_seq_,
                   m->seq);
        fd_.reset();
        return false;
      }
      last_seq_ = m->seq;
    }
    sink(*m);
  }
  return fd_.valid();
}

bool TachydLink::Send(const StreamBody& body) {
  if (!fd_.valid()) return false;
  const std::string packet = EncodeStream({0, body});
  if (send(fd_.get(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL) !=
      static_cast<ssize_t>(packet.size())) {
    fd_.reset();
    return false;
  }
  return true;
}

}  // namespace tachy
