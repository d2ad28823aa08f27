// ping_monitor.h: which ping nodes this node reaches (ha.cf `ping` and
// `ping_group`, judged as Heartbeat does: a ping node is a member that
// answers, a group is reached while any of its hosts answers).
//
// Each host is sent an ICMP echo every `interval`; a target is reached while
// one of its hosts answered within `deadping`. Until `deadping` has passed
// since start, a target that has not answered yet is "not known" rather than
// unreachable, so a node that just started does not hand its groups over for
// want of a first answer. Pure: no I/O (icmp_echo.h sends), time as an
// argument.
#ifndef TACHY_ACTIONS_PING_MONITOR_H_
#define TACHY_ACTIONS_PING_MONITOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "detector/config/ha_cf.h"
#include "detector/base/mono_time.h"

namespace tachy {

class PingMonitor {
 public:
  struct TargetState {
    std::string name;
    std::vector<std::string> hosts;
    bool reached = false;
    MonoTime last_reply;  // zero: never answered
  };

  PingMonitor(const std::vector<PingTarget>& targets, absl::Duration deadping,
              absl::Duration interval, MonoTime now);

  // SendDue()
  //
  // Calls `send(ip, seq)` for each host whose echo is due at `now` (host
  // byte order; seq counts per host) and schedules its next one.
  void SendDue(MonoTime now, absl::FunctionRef<void(uint32_t ip, uint16_t seq)> send);
  MonoTime NextSend() const;

  // OnReply()
  //
  // An echo reply from `ip`, received at `now`; other addresses are ignored.
  void OnReply(uint32_t ip, MonoTime now);

  // Reached(), Known()
  //
  // How many targets are reached at `now`; whether that count is judged yet
  // (deadping since start, or every target answered).
  size_t Reached(MonoTime now) const;
  bool Known(MonoTime now) const;
  size_t size() const { return targets_.size(); }

  // Changes()
  //
  // Log lines for targets reached or lost since the previous call.
  std::vector<std::string> Changes(MonoTime now);

  std::vector<TargetState> States(MonoTime now) const;

 private:
  struct Host {
    uint32_t ip = 0;
    size_t target = 0;
    MonoTime last_reply;
    MonoTime next_send;
    uint16_t seq = 0;
  };
  bool TargetReached(size_t t, MonoTime now) const;

  std::vector<TargetState> targets_;
  std::vector<Host> hosts_;
  std::vector<bool> said_reached_;
  absl::Duration deadping_, interval_;
  MonoTime started_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_PING_MONITOR_H_
