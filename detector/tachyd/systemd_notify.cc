#include "detector/tachyd/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "detector/base/log.h"

namespace tachy {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // unset_environment=1: the watchdog is ours, not our children's.
  if (sd_watchdog_enabled(1, &usec) > 0) watchdog_ = absl::Microseconds(usec);
}

void SystemdNotifier::Send(const std::string& message) {
  if (!enabled_) return;
  // unset_environment=0: every later call needs NOTIFY_SOCKET again.
  if (int rc = sd_notify(0, message.c_str()); rc < 0) {
    LogWarning("systemd notification '%s' not sent: %s", message.substr(0, 40), strerror(-rc));
  }
}

void SystemdNotifier::Ready(absl::string_view status) {
  if (ready_sent_) return;
  ready_sent_ = true;
  last_status_ = std::string(status);
  Send(absl::StrCat("READY=1\nSTATUS=", status));
}

void SystemdNotifier::Status(absl::string_view status) {
  if (status == last_status_) return;
  last_status_ = std::string(status);
  Send(absl::StrCat("STATUS=", status));
}

void SystemdNotifier::Stopping(absl::string_view status) {
  last_status_ = std::string(status);
  Send(absl::StrCat("STOPPING=1\nSTATUS=", status));
}

void SystemdNotifier::Watchdog() { Send("WATCHDOG=1"); }

void SystemdNotifier::ExtendStartTimeout(absl::Duration more) {
  if (ready_sent_) return;
  Send(absl::StrCat("EXTEND_TIMEOUT_USEC=", absl::ToInt64Microseconds(more)));
}

}  // namespace tachy
