// leave_policy.h: when a clean shutdown may announce its leave.
//
// On SIGTERM tachyd first has its action runner release every group, then
// sends its leave frame, on which peers take over at once. Leaving while
// the runner still holds something would start a group on the peer while
// its resource may still run here (a stop that hangs or failed). So after
// kLeaveTimeout the shutdown is blocked, not completed: tachyd keeps
// heartbeating and says why, until the runner lets go, the runner is gone
// (it released or died: its addresses go with it), or the operator sends
// the signal again to leave regardless.
#ifndef TACHY_DETECTOR_TACHYD_LEAVE_POLICY_H_
#define TACHY_DETECTOR_TACHYD_LEAVE_POLICY_H_

#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

// How long a clean shutdown waits for the runner before it is blocked.
inline constexpr absl::Duration kLeaveTimeout = absl::Seconds(150);

enum class LeaveDecision {
  kWait,     // the runner is releasing: keep waiting
  kLeave,    // announce the leave and stop
  kBlocked,  // the runner still holds groups past the deadline: stay, say why
};

// DecideLeave()
//
// `forced`: the shutdown signal came a second time.
inline LeaveDecision DecideLeave(bool runner_connected, bool runner_holds, bool forced,
                                 MonoTime now, MonoTime deadline) {
  if (forced || !runner_connected || !runner_holds) return LeaveDecision::kLeave;
  return now > deadline ? LeaveDecision::kBlocked : LeaveDecision::kWait;
}

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_LEAVE_POLICY_H_
