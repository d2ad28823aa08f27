// hb_resources.h: Heartbeat 3's resource protocol (haresources mode), as the
// runner speaks it with a Heartbeat peer during a rolling migration.
//
// Heartbeat negotiates in two sets per node, named from the sender's side:
// `local` (haresources groups whose first column is the sender) and
// `foreign` (the others); rsc_hold carries what the sender claims (none,
// local, foreign, all). This class keeps Heartbeat's state machine for one
// peer (its hb_resource.c) and says which sets this node is to hold
// (Wanted()); the runner starts and stops groups to match, and reports when
// it has (Tick's `settled`), which is when the protocol's next message goes
// out. The rules it keeps:
//  - at comm-up: `starting`; every `starting` is answered with `resource`
//    (our claim, rtype=full, isstable); our local groups are taken once the
//    peer reports isstable=1 and does not claim them, or after the request
//    delay (Heartbeat's RQSTDELAY, 10 s) if it never does;
//  - a group is claimed (announced) before it is started, and taken only
//    when unclaimed: never two holders;
//  - the peer dead (its advertised deadtime) or its `shutdone`: take all;
//  - auto_failback on: holding the foreign groups after a death, give them
//    back once the returning peer is stable, by ask_resources me -> other
//    -> done (release between other and done);
//  - both sides of ask_resources, hb_takeover (the peer asks us to stand
//    by), tachyctl standby/takeover (we ask it), and a clean shutdown as
//    `resource none info=shutdown` before releasing (tachyd then sends
//    `shutdone`).
// Time is an argument: tests drive it with a manual clock.
#ifndef TACHY_ACTIONS_HB_RESOURCES_H_
#define TACHY_ACTIONS_HB_RESOURCES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

// Resource sets, from the point of view of whoever names them.
inline constexpr uint8_t kHbNone = 0;
inline constexpr uint8_t kHbLocal = 1;
inline constexpr uint8_t kHbForeign = 2;
inline constexpr uint8_t kHbAll = 3;

// "none", "local", "foreign", "all".
const char* HbSetName(uint8_t set);
// Also "failback" (= foreign, as hb_standby takes it); nullopt if unknown.
std::optional<uint8_t> ParseHbSet(absl::string_view name);
// The same groups named from the other node's side: local <-> foreign.
uint8_t SwapHbSet(uint8_t set);

struct HbResourcesOptions {
  std::string peer;
  bool auto_failback = true;
  absl::Duration request_delay = absl::Seconds(10);    // Heartbeat's RQSTDELAY
  absl::Duration standby_timeout = absl::Seconds(10);  // no `other` within it: cancelled
};

class HbResources {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;
  enum class State { kInit, kStarting, kReceived, kStable, kShutdown };
  enum class StandbyPhase { kNot, kMe, kOther, kDone };

  explicit HbResources(HbResourcesOptions options);

  // Adopt()
  //
  // Starts from a node that already decided without the protocol (it took
  // groups at initdead, before the peer was heard): it is stable, claims
  // `held`, and gives the foreign part back once the peer is stable.
  void Adopt(uint8_t held);

  // OnPeerAlive()
  //
  // The peer is heard, in `generation`: comm-up (we send `starting`) or,
  // with a new generation, a restart (it holds nothing yet).
  void OnPeerAlive(uint64_t generation, MonoTime now);

  // OnPeerDead()
  //
  // The detector declared it dead (or it left): take everything.
  void OnPeerDead(MonoTime now);

  // OnMessage()
  //
  // One of the peer's messages (type-specific fields, `t` first).
  void OnMessage(const Fields& fields, uint64_t generation, MonoTime now);

  // Standby(), Takeover()
  //
  // tachyctl standby/takeover of `set` (ours). False, with `why`, if the
  // protocol cannot start one now.
  bool Standby(uint8_t set, MonoTime now, std::string* why);
  bool Takeover(uint8_t set, MonoTime now, std::string* why);

  // Shutdown()
  //
  // We stop: announce it and want nothing.
  void Shutdown();

  // Tick()
  //
  // Timers and the next step of the protocol. `settled`: the runner holds
  // what Wanted() says (or cannot do more about it) and nothing is busy.
  void Tick(MonoTime now, bool settled);

  // Wanted()
  //
  // The sets (ours) this node is to hold now.
  uint8_t Wanted() const { return wanted_; }

  // TakeOutgoing(), TakeLog()
  //
  // The messages to send, and log lines, since the last call.
  std::vector<Fields> TakeOutgoing() { return std::exchange(outgoing_, {}); }
  std::vector<std::string> TakeLog() { return std::exchange(log_, {}); }

  State state() const { return state_; }
  StandbyPhase standby() const { return standby_; }
  uint8_t peer_holds() const { return other_holds_; }  // ours
  const std::string& peer() const { return options_.peer; }

 private:
  enum class Pending { kNone, kReleaseThenDone, kAcquireThenDone };

  void SendResource(int isstable, const char* info, bool full = true);
  void ReqOurResources(const char* why);
  bool StartStandby(uint8_t set, std::string* why);
  void TakeAll(const char* why);

  HbResourcesOptions options_;
  State state_ = State::kInit;
  StandbyPhase standby_ = StandbyPhase::kNot;
  uint8_t wanted_ = kHbNone;
  uint8_t other_holds_ = kHbNone;  // what the peer claims, named from our side
  bool other_stable_ = false;
  bool peer_alive_ = false;
  uint64_t peer_generation_ = 0;
  bool needs_failback_ = false;
  MonoTime request_deadline_;
  MonoTime standby_deadline_;
  MonoTime next_failback_;
  uint8_t standby_set_ = kHbNone;  // as the requester names it
  Pending pending_ = Pending::kNone;
  std::vector<Fields> outgoing_;
  std::vector<std::string> log_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_HB_RESOURCES_H_
