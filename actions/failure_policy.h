// failure_policy.h: what a group's resource failure leads to on this node,
// with time as an argument.
//
// Pacemaker's idea (migration-threshold, failure-timeout) in two numbers: a
// failed resource is restarted here while fewer than `restarts` restarts
// happened within the last `window`; the next failure hands the group over:
// it is released, and this node declines it for `decline_for` (or until an
// operator clears it), so a live peer takes it. Declining never leaves a group
// without a home: where no other node can run it, ownership gives it back to
// us (actions/ownership.h) and we try again.
#ifndef TACHY_ACTIONS_FAILURE_POLICY_H_
#define TACHY_ACTIONS_FAILURE_POLICY_H_

#include <deque>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

struct FailurePolicyOptions {
  int restarts = 1;                               // restarts here per window
  absl::Duration window = absl::Minutes(5);
  absl::Duration decline_for = absl::Minutes(5);  // after handing it over
};

enum class FailureReaction { kRestartHere, kHandOver };

class FailurePolicy {
 public:
  explicit FailurePolicy(const FailurePolicyOptions& options = {}) : options_(options) {}

  // OnFailure()
  //
  // A resource of the group failed at `now`: restart here, or hand over
  // (then Declining() until now + decline_for).
  FailureReaction OnFailure(MonoTime now);

  // RestartFailed()
  //
  // A restart here did not bring the group back: hand over as for a failure
  // beyond the threshold.
  void RestartFailed(MonoTime now);

  // Declining()
  //
  // Whether this node should decline the group at `now` after handing it over.
  bool Declining(MonoTime now) const { return declining_ && now < decline_until_; }

  // Clear()
  //
  // Forget the failures (tachyctl clear, tachyctl takeover).
  void Clear();

  // The restarts within the window ending at `now`.
  int RecentRestarts(MonoTime now) const;
  const FailurePolicyOptions& options() const { return options_; }

 private:
  void Forget(MonoTime now);

  FailurePolicyOptions options_;
  mutable std::deque<MonoTime> restarts_;
  bool declining_ = false;
  MonoTime decline_until_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_FAILURE_POLICY_H_
