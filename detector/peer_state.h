// peer_state.h: the per-peer state machine, as a pure function.
//
//   init ──heartbeat──▶ up ──warntime──▶ late ──deadtime──▶ dead
//     │                  ▲                 │                  │
//     └──initdead──▶ dead └────heartbeat───┘◀───heartbeat─────┘
//
// A peer restarting (new generation) or leaving (clean shutdown) goes to dead
// at once; the engine then applies the heartbeat of the new generation.
#ifndef TACHY_DETECTOR_PEER_STATE_H_
#define TACHY_DETECTOR_PEER_STATE_H_

#include "absl/strings/string_view.h"

namespace tachy {

enum class PeerState { kInit, kUp, kLate, kDead };

enum class PeerInput {
  kHeartbeat,        // an authentic, in-order frame of the current generation
  kRestart,          // an authentic frame of a newer generation
  kLeave,            // the peer announced a clean shutdown
  kWarnTimeout,      // silent for warntime
  kDeadTimeout,      // silent for deadtime (plus any stall grace)
  kInitdeadTimeout,  // never heard within initdead
};

struct Transition {
  PeerState to;
  bool changed;
  absl::string_view why;  // static text; the engine adds the figures
};

// PeerStateName()
//
// "init", "up", "late" or "dead".
absl::string_view PeerStateName(PeerState state);

// NextState()
//
// The transition for `input` in `state`. Total: every pair has an answer.
Transition NextState(PeerState state, PeerInput input);

}  // namespace tachy

#endif  // TACHY_DETECTOR_PEER_STATE_H_
