#include "tools/lab/impairment.h"

#include <algorithm>

namespace tachy {

Verdict Impair(const Impairment& imp, ImpairState& state, bool tachy, MonoTime now,
               Chance& chance) {
  if (imp.proto == Proto::kTachy && !tachy) return {Fate::kPass, now};
  if (imp.block) return {Fate::kDrop, now};
  if (state.burst_left > 0) {
    --state.burst_left;
    return {Fate::kDrop, now};
  }
  if (imp.loss > 0.0 && chance.Unit() < imp.loss) {
    state.burst_left = imp.burst - 1;
    return {Fate::kDrop, now};
  }
  absl::Duration wait = imp.delay;
  if (imp.jitter > absl::ZeroDuration()) {
    const int64_t j = absl::ToInt64Nanoseconds(imp.jitter);
    wait += absl::Nanoseconds(chance.Between(-j, j));
    wait = std::max(wait, absl::ZeroDuration());
  }
  MonoTime release = now + wait;
  // Without jitter a frame never overtakes an earlier one of its direction,
  // even after the delay was lowered.
  if (imp.jitter == absl::ZeroDuration()) release = std::max(release, state.last_release);
  state.last_release = std::max(state.last_release, release);
  if (release <= now) return {Fate::kSend, now};
  return {Fate::kDelay, release};
}

}  // namespace tachy
