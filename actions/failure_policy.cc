#include "actions/failure_policy.h"

namespace tachy {

void FailurePolicy::Forget(MonoTime now) {
  while (!restarts_.empty() && now - restarts_.front() >= options_.window) restarts_.pop_front();
}

int FailurePolicy::RecentRestarts(MonoTime now) const {
  int n = 0;
  for (MonoTime t : restarts_) n += now - t < options_.window ? 1 : 0;
  return n;
}

FailureReaction FailurePolicy::OnFailure(MonoTime now) {
  Forget(now);
  if (static_cast<int>(restarts_.size()) < options_.restarts) {
    restarts_.push_back(now);
    return FailureReaction::kRestartHere;
  }
  RestartFailed(now);
  return FailureReaction::kHandOver;
}

void FailurePolicy::RestartFailed(MonoTime now) {
  declining_ = true;
  decline_until_ = now + options_.decline_for;
  restarts_.clear();  // a fresh start on the next node, and here after the decline
}

void FailurePolicy::Clear() {
  restarts_.clear();
  declining_ = false;
}

}  // namespace tachy
