// group_state.h: one resource group's state on this node, and the rules
// that move it, with time as an argument.
//
//   stopped ──BeginTake──▶ starting ──TakeDone ok──▶ running
//      ▲                      │ fail                   │ BeginRelease
//      │                      ▼                        ▼
//      └──ReleaseDone ok── stopping ◀──BeginRelease── failed
//                             │ fail: failed, held (it may still run)
//
//   running ──BeginRestart (a resource failed)──▶ restarting ──TakeDone──▶
//   running, or failed and held (what preceded the failed resource still
//   runs: the runner releases the group then)
//
// Held (advertised as ours): starting, running, stopping, and failed when a
// resource would not stop. A failed take may be retried only after the
// retry delay. A failed release is not retried at all (`stuck`): a resource
// that would not stop needs a human, and retrying would run its stop script
// again and again; the group stays held until tachy-actions is restarted
// after the fix. `known_stopped`: every script is known stopped (probed so
// at start-up, or stopped by us), so a take need not ask `status` first.
#ifndef TACHY_ACTIONS_GROUP_STATE_H_
#define TACHY_ACTIONS_GROUP_STATE_H_

#include <string>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

enum class GroupState { kStopped, kStarting, kRunning, kStopping, kFailed, kRestarting };

// GroupStateName()
//
// "stopped", "starting", "running", "stopping", "failed", "restarting".
const char* GroupStateName(GroupState state);

class GroupMachine {
 public:
  GroupState state() const { return state_; }
  bool held() const {
    if (cleaning_) return false;
    return state_ == GroupState::kStarting || state_ == GroupState::kRunning ||
           state_ == GroupState::kStopping || state_ == GroupState::kRestarting ||
           (state_ == GroupState::kFailed && failed_held_);
  }
  bool busy() const {
    return state_ == GroupState::kStarting || state_ == GroupState::kStopping ||
           state_ == GroupState::kRestarting;
  }
  bool known_stopped() const { return known_stopped_; }
  bool stuck() const { return stuck_; }
  const std::string& last_action() const { return last_action_; }
  absl::Duration last_duration() const { return last_duration_; }

  // Probed()
  //
  // What a new runner found: some resource running (then the group is held
  // and running), or nothing, for sure or not (`unsure`: a status query
  // failed).
  void Probed(bool running, bool unsure);

  // MayTake(), MayRelease()
  //
  // Whether a decision to take or release can start now.
  bool MayTake(MonoTime now) const;
  bool MayRelease() const;

  void BeginTake();
  void BeginRelease();
  // BeginCleanup(): stop what a previous runner left half-started, without
  // claiming the group: stopping, but not held (unless the stop fails).
  void BeginCleanup();
  bool cleaning() const { return cleaning_; }
  // BeginRestart(): a resource of the running group failed; `what` failed.
  void BeginRestart(const std::string& what);
  // ClearRetry(): a failed take may be retried at once (tachyctl takeover,
  // tachyctl clear).
  void ClearRetry() { retry_after_ = MonoTime(); }

  // TakeDone()
  //
  // A take (or restart) ended. Failed: `held_anyway` if its rollback left
  // something running; retried no earlier than `now + retry_delay`.
  void TakeDone(bool ok, bool held_anyway, const std::string& what, absl::Duration took,
                MonoTime now, absl::Duration retry_delay);

  // ReleaseDone()
  //
  // A release ended; failed means a resource would not stop: still held.
  void ReleaseDone(bool ok, const std::string& what, absl::Duration took);

 private:
  GroupState state_ = GroupState::kStopped;
  bool failed_held_ = false;
  bool stuck_ = false;  // a release failed: no take or release until restarted
  bool cleaning_ = false;
  bool known_stopped_ = false;
  MonoTime retry_after_;
  std::string last_action_ = "none";
  absl::Duration last_duration_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_GROUP_STATE_H_
