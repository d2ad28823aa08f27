// peer_view.h: the action runner's picture of its tachyd and the peers,
// built from the typed event stream alone (detector/stream/event_stream.h).
//
// It also keeps, per peer, the last verdict that it died (when, and when its
// last frame was heard), so a takeover caused by that death can say how long
// each step took from the peer's last frame on.
#ifndef TACHY_ACTIONS_PEER_VIEW_H_
#define TACHY_ACTIONS_PEER_VIEW_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "actions/ownership_ad.h"
#include "detector/stream/event_stream.h"
#include "detector/base/mono_time.h"

namespace tachy {

struct PeerInfo {
  WirePeerState state = WirePeerState::kInit;
  MonoTime alive_since;  // when it last became up from init/dead
  OwnershipAd ad;
  bool ready = false;
  MonoTime death_verdict;    // the last up/late -> dead verdict
  MonoTime death_last_frame; // its last frame before that verdict
  bool alive() const { return state == WirePeerState::kUp || state == WirePeerState::kLate; }
};

class PeerView {
 public:
  // Apply()
  //
  // Updates the picture from one message received at `now`. Returns true if
  // it changed anything ownership depends on. A hello replaces everything.
  bool Apply(const StreamMessage& message, MonoTime now);

  // Heard()
  //
  // The detector is alive at `now`: connected, greeted, and its last message
  // (a tick at least every keepalive) came less than `grace` ago.
  bool Heard(MonoTime now, absl::Duration grace) const {
    return greeted_ && now - last_message_ < grace;
  }
  void Forget() { greeted_ = false; }

  bool greeted() const { return greeted_; }
  uint64_t generation() const { return generation_; }
  MonoTime last_message() const { return last_message_; }
  absl::Duration deadtime() const { return deadtime_; }
  const std::map<std::string, PeerInfo>& peers() const { return peers_; }

 private:
  bool greeted_ = false;
  uint64_t generation_ = 0;
  absl::Duration deadtime_;
  MonoTime last_message_;
  std::map<std::string, PeerInfo> peers_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_PEER_VIEW_H_
