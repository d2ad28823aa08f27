#include "detector/engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tachy {
namespace {

// Enough slots that a 100 µs tick covers 409.6 ms per revolution: every
// deadline of a sub-second setting lands in its slot on the first pass.
constexpr size_t kWheelSlots = 4096;

uint32_t ToMicros32(absl::Duration d) {
  const int64_t us = absl::ToInt64Microseconds(d);
  return static_cast<uint32_t>(std::clamp<int64_t>(us, 0, UINT32_MAX));
}

}  // namespace

Engine::Engine(EngineOptions options, const KeyRing& keys, MonoTime now)
    : options_(std::move(options)),
      keys_(keys),
      cluster_id_(NameId(options_.cluster)),
      self_id_(NameId(options_.local_node)),
      started_(now),
      wheel_(options_.tick, kWheelSlots, options_.nodes.size() + 1, now),
      send_timer_(0),
      next_send_(now),
      send_time_tolerance_(options_.send_time_tolerance > absl::ZeroDuration()
                               ? options_.send_time_tolerance
                               : options_.deadtime) {
  TimingWheel::TimerId next_timer = 1;
  for (const std::string& name : options_.nodes) {
    if (name == options_.local_node) continue;
    Peer& p = peers_.emplace_back();
    p.name = name;
    p.node_id = NameId(name);
    p.state_since = now;
    p.media.resize(options_.media.size());
    p.timer = next_timer++;
    for (const RememberedPeer& r : options_.remembered) {
      if (r.node != name) continue;
      p.min_generation = r.generation;
      p.offset_known = r.offset_known;
      p.offset_generation = r.generation;
      p.clock_offset = r.clock_offset;
    }
    // Until first heard, only initdead applies (Heartbeat semantics).
    wheel_.Schedule(p.timer, now + options_.initdead);
  }
  events_.reserve(kEventCapacity);
  // First heartbeat at once: peers waiting in init learn of us immediately.
  wheel_.Schedule(send_timer_, now);
}

Peer* Engine::FindPeer(uint32_t node_id) {
  for (Peer& p : peers_) {
    if (p.node_id == node_id) return &p;
  }
  return nullptr;
}

void Engine::MarkLinkHeard(Peer& peer, size_t medium, MonoTime rx_time) {
  MediumLink& link = peer.media[medium];
  link.heard = true;
  link.last_heard = std::max(link.last_heard, rx_time);
  ++link.frames;
  if (!link.up) {
    // Up as soon as it carries a frame; dead only after deadtime of silence
    // (UpdateLinks), so status never shows a live link as dead.
    link.up = true;
    if (DetectorEvent* e = NewEvent(EventKind::kLink, peer, rx_time)) {
      e->medium = static_cast<uint16_t>(medium);
      e->up = true;
    }
  }
}

void Engine::Reject(RejectReason reason, Peer* claimed) {
  ++stats_.rejected[static_cast<size_t>(reason)];
  if (claimed != nullptr) ++claimed->rejected[static_cast<size_t>(reason)];
}

void Engine::OnFrame(size_t medium, std::span<const uint8_t> bytes, MonoTime rx_time,
                     MonoTime now) {
  Frame f;
  std::span<const uint8_t> signed_part, tag;
  if (RejectReason r = ParseFrameHeader(bytes, &f, &signed_part, &tag); r != RejectReason::kNone) {
    Reject(r, nullptr);
    return;
  }
  // The node id is only a claim until the tag checks out; attributing the
  // rejection to it still tells an operator "b's frames fail auth".
  Peer* claimed = f.cluster_id == cluster_id_ ? FindPeer(f.node_id) : nullptr;
  const Authenticator* auth = keys_.Accepted(f.key_id);
  const bool authentic = auth != nullptr && auth->Verify(signed_part, tag);
  if (!authentic) {
    if (claimed != nullptr && medium < claimed->media.size()) {
      // Per medium, for the operator: which link carries the bad frames.
      MediumLink& link = claimed->media[medium];
      ++link.auth_failed;
      link.auth_key = f.key_id;
      link.auth_failed_at = rx_time;
    }
    return Reject(auth == nullptr ? RejectReason::kUnknownKey : RejectReason::kBadTag, claimed);
  }
  if (f.cluster_id != cluster_id_) return Reject(RejectReason::kWrongCluster, nullptr);
  if (f.node_id == self_id_) return Reject(RejectReason::kOwnFrame, nullptr);
  if (claimed == nullptr) return Reject(RejectReason::kUnknownNode, nullptr);
  Peer& p = *claimed;
  if (medium >= p.media.size()) return;  // caller bug; never from the network
  MediumLink& link = p.media[medium];

  // Older than what we accepted before our own restart: a recording.
  if (f.generation < p.min_generation) return Reject(RejectReason::kOldGeneration, &p);
  const bool new_generation = !p.heard || f.generation > p.generation;
  if (!new_generation) {
    if (f.generation < p.generation) return Reject(RejectReason::kOldGeneration, &p);
    if (f.sequence <= p.last_seq) {
      // Not news for the peer. A first copy on this medium is the same frame
      // sent over a second medium: it proves the link, not the peer.
      if (link.generation == f.generation && f.sequence <= link.last_seq) {
        return Reject(RejectReason::kReplay, &p);
      }
      ++p.duplicates;
      link.generation = f.generation;
      link.last_seq = f.sequence;
      MarkLinkHeard(p, medium, rx_time);
      return;
    }
    if (f.sequence > p.last_seq + 1) p.lost += f.sequence - p.last_seq - 1;
  }

  // Newer than anything seen, but is it now? At first contact after our own
  // restart we know no sequence of the peer's current life, so a recording
  // of it would pass; its send time gives it away: it must sit where the
  // peer's clock was when we last heard it (the remembered offset). Once a
  // frame is accepted, sequences protect, and the clock is only followed: a
  // peer whose clock jumped (its VM paused, its host suspended) must not be
  // refused for it. A new generation may come with a rebooted clock: its
  // offset is learned afresh.
  const absl::Duration offset = absl::Nanoseconds(f.send_time_ns) - absl::Nanoseconds(rx_time.nanos());
  if (!p.heard && p.offset_known && f.generation == p.offset_generation &&
      absl::AbsDuration(offset - p.clock_offset) > send_time_tolerance_) {
    return Reject(RejectReason::kStale, &p);
  }
  // Followed frame by frame, so the clocks' drift never adds up.
  p.offset_known = true;
  p.offset_generation = f.generation;
  p.clock_offset = offset;

  // Accepted: an authentic frame newer than anything seen from this peer.
  ++stats_.frames_received;
  ++p.frames;
  link.generation = f.generation;
  link.last_seq = f.sequence;
  // A tachy frame: a peer once judged as a Heartbeat node (before its own
  // migration) has our timing again.
  p.deadtime_override = absl::ZeroDuration();
  p.warntime_override = absl::ZeroDuration();
  p.interval_us = f.interval_us;
  p.last_seq = f.sequence;
  const Advertisement ad{f.runner, (f.flags & kFlagActionsReady) != 0};
  AcceptHeard(p, medium, f.generation, f.type == FrameType::kLeave, rx_time, now, &ad);
}

void Engine::OnForeignStatus(const ForeignStatus& s, MonoTime now) {
  if (s.peer >= peers_.size()) return;
  Peer& p = peers_[s.peer];
  if (s.medium >= p.media.size()) return;  // caller bug
  // HeartbeatNode has applied Heartbeat's sequence rules; only a
  // generation going back is refused here too.
  if (p.heard && s.generation < p.generation) return Reject(RejectReason::kOldGeneration, &p);
  ++stats_.frames_received;
  ++p.frames;
  p.media[s.medium].generation = s.generation;
  p.deadtime_override = std::max(s.deadtime, options_.tick);
  p.warntime_override = options_.warntime < p.deadtime_override ? options_.warntime
                                                                 : p.deadtime_override / 2;
  AcceptHeard(p, s.medium, s.generation, s.leave, s.rx_time, now, nullptr);
}

absl::Duration Engine::DeadtimeOf(const Peer& p) const {
  return p.deadtime_override > absl::ZeroDuration() ? p.deadtime_override : options_.deadtime;
}

absl::Duration Engine::WarntimeOf(const Peer& p) const {
  return p.warntime_override > absl::ZeroDuration() ? p.warntime_override : options_.warntime;
}

void Engine::AcceptHeard(Peer& p, size_t medium, uint64_t generation, bool leave,
                         MonoTime rx_time, MonoTime now, const Advertisement* ad) {
  MarkLinkHeard(p, medium, rx_time);
  const bool new_generation = !p.heard || generation > p.generation;
  if (p.heard && !new_generation &&
      (p.state == PeerState::kUp || p.state == PeerState::kLate)) {
    const absl::Duration limit = DeadtimeOf(p) + p.grace;
    const absl::Duration gap = rx_time - p.last_heard;
    if (now - p.last_heard >= limit && gap < limit) {
      // We read it late, but the kernel received it in time.
      ++stats_.saved_by_rx_timestamp;
    } else if (gap >= limit) {
      // The peer was silent past its deadline, but no deadline check ran in
      // that time (this detector was stalled): it is back, so it stays up,
      // but say so rather than fudge silently.
      ++stats_.unjudged_gaps;
      if (DetectorEvent* e = NewEvent(EventKind::kUnjudgedGap, p, now)) e->silence = gap;
    }
  }
  // The longest silence of this generation, deaths included.
  if (p.heard && !new_generation) p.max_gap = std::max(p.max_gap, rx_time - p.last_heard);
  const uint64_t old_generation = p.generation;
  const bool was_heard = p.heard;
  p.heard = true;
  p.generation = generation;
  p.last_heard = std::max(p.last_heard, rx_time);
  p.grace = absl::ZeroDuration();
  p.grace_saved = false;
  if (ad != nullptr && (!(*ad == p.ad) || !was_heard)) {
    p.ad = *ad;
    if (DetectorEvent* e = NewEvent(EventKind::kAdvert, p, rx_time)) e->ad = *ad;
  }

  if (leave) {
    Apply(p, PeerInput::kLeave, rx_time, medium);
    return;
  }
  const PeerState before = p.state;
  restart_from_ = old_generation;
  restart_to_ = generation;
  if (new_generation && was_heard) {
    // A live peer with a new generation restarted behind our back: report
    // the death first, then the return.
    if (p.state == PeerState::kUp || p.state == PeerState::kLate) {
      p.generation = old_generation;  // the death belongs to the old life
      Apply(p, PeerInput::kRestart, rx_time, medium);
      p.generation = generation;
    }
    Apply(p, PeerInput::kRestart, rx_time, medium);
  } else if (!was_heard && p.state == PeerState::kDead) {
    // Declared dead by initdead, heard now for the first time: not a
    // partition, a late start.
    restart_from_ = 0;
    Apply(p, PeerInput::kRestart, rx_time, medium);
  } else {
    Apply(p, PeerInput::kHeartbeat, rx_time, medium);
  }
  if (p.state == PeerState::kUp && (before != PeerState::kUp || !wheel_.IsScheduled(p.timer))) {
    // Dead peers have no deadline and init ones wait for initdead: arm the
    // warntime deadline now. This is the only per-frame wheel operation and
    // it happens once per change of state, never per steady heartbeat.
    wheel_.Schedule(p.timer, p.last_heard + WarntimeOf(p));
  }
}

DetectorEvent* Engine::NewEvent(EventKind kind, const Peer& peer, MonoTime t) {
  if (events_.size() == events_.capacity()) {
    ++stats_.events_dropped;
    return nullptr;
  }
  DetectorEvent& e = events_.emplace_back();
  e.kind = kind;
  e.peer = static_cast<uint16_t>(&peer - peers_.data());
  e.t = t;
  e.last_heard = peer.last_heard;
  e.generation = peer.generation;
  return &e;
}

void Engine::Apply(Peer& peer, PeerInput input, MonoTime t, size_t medium,
                   absl::Duration silence) {
  const Transition tr = NextState(peer.state, input);
  if (!tr.changed) return;
  if (DetectorEvent* e = NewEvent(EventKind::kPeer, peer, t)) {
    e->input = input;
    e->from = peer.state;
    e->to = tr.to;
    e->medium = static_cast<uint16_t>(medium);
    e->silence = silence;
    e->grace = peer.grace;
    e->old_generation = input == PeerInput::kRestart ? restart_from_ : 0;
    e->new_generation = input == PeerInput::kRestart ? restart_to_ : 0;
    e->first_heard = input == PeerInput::kRestart && restart_from_ == 0;
  }
  peer.state = tr.to;
  peer.state_since = t;
  if (tr.to == PeerState::kDead) {
    ++peer.deaths;
    wheel_.Cancel(peer.timer);
  }
}

void Engine::OnPeerTimer(Peer& peer, MonoTime now) {
  const absl::Duration silence = now - peer.last_heard;
  const absl::Duration deadtime = DeadtimeOf(peer);
  const absl::Duration warntime = WarntimeOf(peer);
  const absl::Duration limit = deadtime + peer.grace;
  switch (peer.state) {
    case PeerState::kInit:
      Apply(peer, PeerInput::kInitdeadTimeout, now);
      return;
    case PeerState::kUp:
    case PeerState::kLate:
      if (silence >= limit) {
        Apply(peer, PeerInput::kDeadTimeout, now, 0, silence);
        return;
      }
      if (silence >= deadtime && !peer.grace_saved) {
        peer.grace_saved = true;
        ++stats_.saved_by_grace;
      }
      if (silence >= warntime) {
        if (peer.state == PeerState::kUp) Apply(peer, PeerInput::kWarnTimeout, now, 0, silence);
        wheel_.Schedule(peer.timer, peer.last_heard + limit);
      } else {
        // Heard since the timer was armed: lazy re-arm for the remainder.
        wheel_.Schedule(peer.timer, peer.last_heard + warntime);
      }
      return;
    case PeerState::kDead:
      return;
  }
}

void Engine::UpdateLinks(MonoTime now) {
  for (Peer& p : peers_) {
    for (size_t m = 0; m < p.media.size(); ++m) {
      MediumLink& link = p.media[m];
      const bool up = link.heard && now - link.last_heard < DeadtimeOf(p) + p.grace;
      if (up != link.up) {
        link.up = up;
        if (DetectorEvent* e = NewEvent(EventKind::kLink, p, now)) {
          e->medium = static_cast<uint16_t>(m);
          e->up = up;
        }
      }
    }
  }
}

bool Engine::Advance(MonoTime now, absl::Duration lateness) {
  ++stats_.wakeups;
  stats_.max_lateness = std::max(stats_.max_lateness, lateness);
  if (lateness > options_.stall_threshold) {
    ++stats_.late_wakeups;
    for (Peer& p : peers_) {
      if (p.state != PeerState::kUp && p.state != PeerState::kLate) continue;
      // Grant only the part of the stall inside this silence, and at most
      // 4 x deadtime in all: VM stalls of tens of ms must not kill a peer,
      // but a run of late wake-ups must not make detection unbounded either
      // (worst case: 5 x deadtime).
      const absl::Duration overlap = std::min(lateness, now - p.last_heard);
      p.grace = std::min(p.grace + overlap, 4 * DeadtimeOf(p));
    }
  }
  bool send_due = false;
  wheel_.Expire(now, [&](TimingWheel::TimerId id) {
    if (id == send_timer_) {
      send_due = true;
      // Keep a fixed cadence; after a stall, resume from now rather than
      // bursting the missed frames.
      next_send_ = next_send_ + options_.keepalive;
      if (next_send_ <= now) {
        stats_.sends_skipped +=
            static_cast<uint64_t>((now - next_send_) / options_.keepalive) + 1;
        next_send_ = now + options_.keepalive;
      }
      wheel_.Schedule(send_timer_, next_send_);
      return;
    }
    OnPeerTimer(peers_[id - 1], now);
  });
  UpdateLinks(now);
  return send_due;
}

void Engine::SetTiming(absl::Duration keepalive, absl::Duration warntime,
                       absl::Duration deadtime, MonoTime now) {
  options_.keepalive = keepalive;
  options_.warntime = warntime;
  options_.deadtime = deadtime;
  if (next_send_ > now + keepalive) {
    next_send_ = now + keepalive;
    wheel_.Schedule(send_timer_, next_send_);
  }
  for (Peer& p : peers_) {
    // OnPeerTimer() judges by the options in force and re-arms.
    if (p.state == PeerState::kUp || p.state == PeerState::kLate) wheel_.Schedule(p.timer, now);
  }
}

MonoTime Engine::NextWakeup() const {
  // The send timer is always armed, so the wheel is never empty.
  return wheel_.NextExpiry().value_or(started_ + options_.keepalive);
}

std::span<const uint8_t> Engine::Encode(FrameType type, MonoTime now) {
  Frame f;
  f.type = type;
  f.key_id = keys_.signer_index();
  f.state = type == FrameType::kLeave ? SenderState::kLeaving : SenderState::kActive;
  f.cluster_id = cluster_id_;
  f.node_id = self_id_;
  f.generation = options_.generation;
  f.sequence = ++sequence_;
  f.send_time_ns = now.nanos();
  f.interval_us = ToMicros32(options_.keepalive);
  f.deadtime_us = ToMicros32(options_.deadtime);
  f.runner = ad_.data;
  f.flags = ad_.ready ? kFlagActionsReady : 0;
  ++stats_.frames_sent;
  return std::span<const uint8_t>(tx_buffer_.data(), EncodeFrame(f, keys_.signer(), tx_buffer_));
}

std::span<const uint8_t> Engine::NextHeartbeat(MonoTime now) {
  return Encode(FrameType::kHeartbeat, now);
}

std::span<const uint8_t> Engine::LeaveFrame(MonoTime now) { return Encode(FrameType::kLeave, now); }

void Engine::CopyTo(EngineSnapshot* out, MonoTime now) const {
  out->peers = peers_;  // same sizes as last time: element-wise, no allocation
  out->stats = stats_;
  out->ad = ad_;
  out->sequence = sequence_;
  out->taken = now;
}

void Engine::DrainEvents(absl::FunctionRef<void(const DetectorEvent&)> sink) {
  for (const DetectorEvent& e : events_) sink(e);
  events_.clear();  // keeps the capacity: no allocation next time
}

}  // namespace tachy
