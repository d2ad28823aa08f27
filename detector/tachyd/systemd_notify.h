// systemd_notify.h: tachyd's side of systemd's service notification
// protocol (Type=notify, WatchdogSec=), through libsystemd's sd_notify(3).
//
// Every call is a no-op when tachyd was not started by systemd (no
// NOTIFY_SOCKET): the daemon calls them unconditionally. They are made from
// the control thread only; the detector thread never sends a message of
// its own (watchdog.h says how its health is judged).
#ifndef TACHY_DETECTOR_TACHYD_SYSTEMD_NOTIFY_H_
#define TACHY_DETECTOR_TACHYD_SYSTEMD_NOTIFY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tachy {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID once. The watchdog
  // variables are then removed from the environment, so the children
  // (tachy-actions, resource scripts) never take our watchdog for theirs.
  SystemdNotifier();

  // Whether systemd listens (NOTIFY_SOCKET was set).
  bool enabled() const { return enabled_; }
  // WatchdogSec, or zero when systemd asked for no watchdog.
  absl::Duration watchdog_timeout() const { return watchdog_; }

  // READY=1 with a STATUS= line; sent once, later calls do nothing.
  void Ready(absl::string_view status);
  // STATUS=..., sent only when it differs from the last one sent.
  void Status(absl::string_view status);
  // STOPPING=1 with a STATUS= line.
  void Stopping(absl::string_view status);
  // WATCHDOG=1.
  void Watchdog();
  // EXTEND_TIMEOUT_USEC: more time to start, while tachyd waits for a
  // medium's interface (before READY=1 only).
  void ExtendStartTimeout(absl::Duration more);

 private:
  void Send(const std::string& message);

  bool enabled_ = false;
  bool ready_sent_ = false;
  absl::Duration watchdog_;
  std::string last_status_;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_SYSTEMD_NOTIFY_H_
