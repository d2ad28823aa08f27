#include "actions/peer_view.h"

namespace tachy {

bool PeerView::Apply(const StreamMessage& message, MonoTime now) {
  last_message_ = now;
  if (const auto* h = std::get_if<HelloMsg>(&message.body)) {
    greeted_ = true;
    generation_ = h->generation;
    deadtime_ = absl::Nanoseconds(h->deadtime_ns);
    peers_.clear();
    for (const PeerSnapshot& p : h->peers) {
      PeerInfo& v = peers_[p.node];
      v.state = p.state;
      v.alive_since = now;
      v.ad = DecodeOwnershipAd(p.data);
      v.ready = p.ready;
    }
    return true;
  }
  if (const auto* p = std::get_if<PeerMsg>(&message.body)) {
    PeerInfo& v = peers_[p->node];
    const bool was_alive = v.alive();
    v.state = p->to;
    if (v.alive() && !was_alive) v.alive_since = now;
    if (p->to == WirePeerState::kDead && was_alive) {
      v.death_verdict = MonoTime::FromNanos(p->t_ns);
      v.death_last_frame = MonoTime::FromNanos(p->last_heard_ns);
    }
    return true;
  }
  if (const auto* a = std::get_if<PeerAdvertMsg>(&message.body)) {
    PeerInfo& v = peers_[a->node];
    const OwnershipAd ad = DecodeOwnershipAd(a->data);
    const bool changed = !(ad == v.ad) || a->ready != v.ready;
    v.ad = ad;
    v.ready = a->ready;
    return changed;
  }
  return false;  // ticks, links, requests: nothing ownership depends on
}

}  // namespace tachy
