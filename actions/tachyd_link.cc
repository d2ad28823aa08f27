#include "actions/tachyd_link.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "detector/log.h"

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

bool TachydLink::Read(absl::FunctionRef<void(const std::string&)> sink) {
  char buf[65536];
  for (int i = 0; i < 1024 && fd_.valid(); ++i) {
    const ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      fd_.reset();
      return false;
    }
    if (n < 0) return true;
    std::string message(buf, static_cast<size_t>(n));
    nlohmann::json j = nlohmann::json::parse(message, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    const std::string type = j.value("type", "");
    const uint64_t seq = j.value("seq", uint64_t{0});
    if (type == "hello") {
      have_hello_ = true;
      last_seq_ = seq;
    } else if (j.contains("seq")) {
      if (!have_hello_ || seq != last_seq_ + 1) {
        LogWarning("event stream from tachyd skipped from %d to %d: resynchronising", last_seq_,
                   seq);
        fd_.reset();
        return false;
      }
      last_seq_ = seq;
    }
    sink(message);
  }
  return fd_.valid();
}

bool TachydLink::Send(const std::string& json) {
  if (!fd_.valid()) return false;
  if (send(fd_.get(), json.data(), json.size(), MSG_DONTWAIT | MSG_NOSIGNAL) !=
      static_cast<ssize_t>(json.size())) {
    fd_.reset();
    return false;
  }
  return true;
}

}  // namespace tachy
