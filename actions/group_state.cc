#include "actions/group_state.h"

namespace tachy {

const char* GroupStateName(GroupState s) {
  switch (s) {
    case GroupState::kStopped: return "stopped";
    case GroupState::kStarting: return "starting";
    case GroupState::kRunning: return "running";
    case GroupState::kStopping: return "stopping";
    case GroupState::kFailed: return "failed";
    case GroupState::kRestarting: return "restarting";
  }
  return "?";
}

void GroupMachine::Probed(bool running, bool unsure) {
  known_stopped_ = !running && !unsure;
  if (running) {
    state_ = GroupState::kRunning;
    last_action_ = "found running at start-up";
  }
}

bool GroupMachine::MayTake(MonoTime now) const {
  if (stuck_) return false;
  return state_ == GroupState::kStopped || (state_ == GroupState::kFailed && now >= retry_after_);
}

bool GroupMachine::MayRelease() const {
  if (stuck_) return false;
  return state_ == GroupState::kRunning || state_ == GroupState::kFailed;
}

void GroupMachine::BeginTake() {
  state_ = GroupState::kStarting;
  last_action_ = "take";
}

void GroupMachine::BeginCleanup() {
  state_ = GroupState::kStopping;
  cleaning_ = true;
  last_action_ = "clean-up of a half-started group";
}

void GroupMachine::BeginRestart(const std::string& what) {
  state_ = GroupState::kRestarting;
  last_action_ = "restart: " + what;
}

void GroupMachine::BeginRelease() {
  state_ = GroupState::kStopping;
  last_action_ = "release";
}

void GroupMachine::TakeDone(bool ok, bool held_anyway, const std::string& what,
                            absl::Duration took, MonoTime now, absl::Duration retry_delay) {
  last_duration_ = took;
  if (ok) {
    state_ = GroupState::kRunning;
    known_stopped_ = false;
    last_action_ = "took: " + what;
    return;
  }
  state_ = GroupState::kFailed;
  failed_held_ = held_anyway;
  // Rolled back cleanly: as stopped as before; else nothing is known.
  known_stopped_ = known_stopped_ && !held_anyway;
  retry_after_ = now + retry_delay;
  last_action_ = "start failed: " + what;
}

void GroupMachine::ReleaseDone(bool ok, const std::string& what, absl::Duration took) {
  last_duration_ = took;
  cleaning_ = false;
  if (ok) {
    state_ = GroupState::kStopped;
    failed_held_ = false;
    known_stopped_ = true;  // we stopped every script ourselves
    last_action_ = "released: " + what;
    return;
  }
  state_ = GroupState::kFailed;
  failed_held_ = true;
  known_stopped_ = false;
  stuck_ = true;
  last_action_ = "stop failed (fix by hand, then restart tachy-actions): " + what;
}

}  // namespace tachy
