// impairment.h: what the lab's impairment bridge does to one frame on one
// direction (ingress port -> egress port), as a pure function of the
// direction's settings and state, the time and a source of chance. The
// bridge (impair_bridge.cc) does the packet I/O around it; tests drive it
// with a manual clock and scripted chance.
//
// Order, per frame: proto (only tachy heartbeats impaired, or all), block,
// the rest of a burst, loss (which starts a burst), then delay plus jitter.
// Without jitter a direction stays FIFO, even after its delay was lowered.
#ifndef TACHY_TOOLS_LAB_IMPAIRMENT_H_
#define TACHY_TOOLS_LAB_IMPAIRMENT_H_

#include <cstdint>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

enum class Proto { kAll, kTachy };

struct Impairment {
  double loss = 0.0;  // 0..1, per frame
  int burst = 1;      // a loss drops this many frames in a row
  absl::Duration delay = absl::ZeroDuration();
  absl::Duration jitter = absl::ZeroDuration();  // uniform [-jitter, +jitter], clamped at 0
  bool block = false;  // a partition: drop everything
  Proto proto = Proto::kAll;

  bool operator==(const Impairment&) const = default;
};

// What the model remembers of a direction between frames.
struct ImpairState {
  int burst_left = 0;     // frames still to drop of the current burst
  MonoTime last_release;  // latest release time given out (FIFO order)
};

// The randomness the model uses; the bridge's is a seeded generator.
class Chance {
 public:
  virtual ~Chance() = default;
  virtual double Unit() = 0;                            // uniform in [0, 1)
  virtual int64_t Between(int64_t lo, int64_t hi) = 0;  // uniform in [lo, hi]
};

enum class Fate {
  kPass,     // not impaired (another protocol): send at once, untouched
  kDrop,     // blocked, lost, or the rest of a burst
  kSend,     // send at once
  kDelay,    // send at `release`
};

struct Verdict {
  Fate fate = Fate::kSend;
  MonoTime release;  // kDelay
};

// Impair()
//
// The fate of one frame (`tachy`: it is a tachy heartbeat) arriving at `now`.
Verdict Impair(const Impairment& impairment, ImpairState& state, bool tachy, MonoTime now,
               Chance& chance);

}  // namespace tachy

#endif  // TACHY_TOOLS_LAB_IMPAIRMENT_H_
