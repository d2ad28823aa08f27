#include "detector/peer_state.h"

namespace tachy {
namespace {

Transition Stay(PeerState s) { return {s, false, ""}; }
Transition Go(PeerState to, absl::string_view why) { return {to, true, why}; }

}  // namespace

absl::string_view PeerStateName(PeerState state) {
  switch (state) {
    case PeerState::kInit: return "init";
    case PeerState::kUp: return "up";
    case PeerState::kLate: return "late";
    case PeerState::kDead: return "dead";
  }
  return "invalid";
}

Transition NextState(PeerState state, PeerInput input) {
  switch (state) {
    case PeerState::kInit:
      switch (input) {
        case PeerInput::kHeartbeat:
        case PeerInput::kRestart:
          return Go(PeerState::kUp, "first heartbeat");
        case PeerInput::kLeave:
          return Go(PeerState::kDead, "left the cluster");
        case PeerInput::kInitdeadTimeout:
          // Heartbeat's initdead: a node never heard since start is dead.
          return Go(PeerState::kDead, "never heard within initdead");
        case PeerInput::kWarnTimeout:
        case PeerInput::kDeadTimeout:
          // Until first heard only initdead applies (Heartbeat semantics).
          return Stay(state);
      }
      break;
    case PeerState::kUp:
      switch (input) {
        case PeerInput::kHeartbeat: return Stay(state);
        case PeerInput::kRestart:
          // Its resources died with its old generation: report the death.
          return Go(PeerState::kDead, "restarted with a new generation");
        case PeerInput::kLeave: return Go(PeerState::kDead, "left the cluster");
        case PeerInput::kWarnTimeout: return Go(PeerState::kLate, "late heartbeat");
        case PeerInput::kDeadTimeout:
          // Possible when one wake-up covers both warntime and deadtime.
          return Go(PeerState::kDead, "no heartbeat");
        case PeerInput::kInitdeadTimeout: return Stay(state);
      }
      break;
    case PeerState::kLate:
      switch (input) {
        case PeerInput::kHeartbeat: return Go(PeerState::kUp, "heartbeat resumed");
        case PeerInput::kRestart: return Go(PeerState::kDead, "restarted with a new generation");
        case PeerInput::kLeave: return Go(PeerState::kDead, "left the cluster");
        case PeerInput::kWarnTimeout: return Stay(state);
        case PeerInput::kDeadTimeout: return Go(PeerState::kDead, "no heartbeat");
        case PeerInput::kInitdeadTimeout: return Stay(state);
      }
      break;
    case PeerState::kDead:
      switch (input) {
        case PeerInput::kHeartbeat:
          // Same generation: it never stopped, we lost the path (Heartbeat's
          // "returning after partition").
          return Go(PeerState::kUp, "returned after partition (same generation)");
        case PeerInput::kRestart: return Go(PeerState::kUp, "came back with a new generation");
        case PeerInput::kLeave:
        case PeerInput::kWarnTimeout:
        case PeerInput::kDeadTimeout:
        case PeerInput::kInitdeadTimeout:
          return Stay(state);
      }
      break;
  }
  return Stay(state);
}

}  // namespace tachy
