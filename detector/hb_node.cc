#include "detector/hb_node.h"

#include <algorithm>
#include <ctime>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/engine.h"

namespace tachy {
namespace {

// Heartbeat's max_rexmit_delay: a missing message is asked for again this
// often, and a repeated request within it (minus 10 ms) is ignored.
constexpr absl::Duration kRexmitInterval = absl::Milliseconds(250);
constexpr absl::Duration kRexmitRepeat = absl::Milliseconds(240);
constexpr size_t kMaxRexmitPerRequest = 50;  // Heartbeat's limit
constexpr absl::Duration kLogEvery = absl::Seconds(10);

std::string Hex(uint64_t v) { return absl::StrFormat("%x", v); }

std::string PrintableName(absl::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

}  // namespace

HeartbeatNode::HeartbeatNode(HbNodeOptions options) : options_(std::move(options)) {
  if (!options_.wall_seconds) options_.wall_seconds = [] { return int64_t{time(nullptr)}; };
  for (const std::string& n : options_.nodes) {
    if (n == options_.local_node) continue;
    peers_.emplace_back().name = n;
  }
}

bool HeartbeatNode::active() const {
  return std::any_of(peers_.begin(), peers_.end(), [](const HbPeerInfo& p) { return p.heartbeat; });
}

HbPeerInfo* HeartbeatNode::FindPeer(absl::string_view name) {
  for (HbPeerInfo& p : peers_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

void HeartbeatNode::Log(Output* out, LogLevel level, std::string line) {
  out->log.emplace_back(level, std::move(line));
}

std::string HeartbeatNode::Finish(std::vector<HeartbeatField> fields, const HbPeerInfo* dest,
                                  bool numbered) {
  // Heartbeat's control fields, in its order: [destuuid] src srcuuid [seq]
  // hg ts ttl (we leave out the informational `ld`).
  if (dest != nullptr && !dest->uuid.empty()) fields.push_back({1, "destuuid", dest->uuid});
  fields.push_back({0, "src", options_.local_node});
  fields.push_back({1, "srcuuid", options_.uuid});
  if (numbered) fields.push_back({0, "seq", Hex(++seq_)});
  fields.push_back({0, "hg", Hex(options_.generation)});
  const int64_t wall = std::max<int64_t>(1, options_.wall_seconds());
  fields.push_back({0, "ts", Hex(static_cast<uint64_t>(wall))});
  fields.push_back({0, "ttl", "3"});
  std::string bytes = EncodeHeartbeatMessage(fields, options_.keys);
  ++sent_;
  if (numbered) {
    history_.push_back({seq_, bytes, MonoTime()});
    if (history_.size() > kHistory) history_.pop_front();
  }
  return bytes;
}

void HeartbeatNode::SendStatus(MonoTime now, Output* out) {
  const int64_t dt_ms = absl::ToInt64Milliseconds(options_.deadtime);
  out->send.push_back(Finish({{0, "t", "status"},
                              {0, "st", "active"},
                              {0, "dt", Hex(static_cast<uint64_t>(std::max<int64_t>(1, dt_ms)))}},
                             nullptr, true));
  next_status_ = now + options_.keepalive;
}

void HeartbeatNode::Send(const std::vector<std::pair<std::string, std::string>>& fields,
                         MonoTime /*now*/, Output* out) {
  if (!active() || fields.empty()) return;
  std::vector<HeartbeatField> f;
  const HbPeerInfo* dest = nullptr;
  for (const auto& [name, value] : fields) {
    f.push_back({0, name, value});
    if (name == "dest") dest = FindPeer(value);
  }
  out->send.push_back(Finish(std::move(f), dest, !absl::StartsWith(fields[0].second, "NS_")));
}

void HeartbeatNode::SendShutdone(MonoTime now, Output* out) {
  Send({{"t", "shutdone"}, {"st", "dead"}}, now, out);
}

void HeartbeatNode::MarkTachy(const std::string& node, Output* out) {
  HbPeerInfo* p = FindPeer(node);
  if (p == nullptr || p->tachy) return;
  p->tachy = true;
  if (p->heartbeat) {
    p->heartbeat = false;
    p->asking.clear();
    Log(out, LogLevel::kInfo,
        absl::StrCat("node ", node, " now speaks tachy (it was a Heartbeat peer): judged by its "
                     "tachy frames from now on"));
    if (!active()) {
      next_status_ = kHbNever;
      Log(out, LogLevel::kInfo, "no Heartbeat peer left: no more Heartbeat status messages");
    }
  }
}

void HeartbeatNode::OnDatagram(std::span<const uint8_t> bytes, size_t medium, MonoTime rx_time,
                               MonoTime now, Output* out) {
  absl::StatusOr<HeartbeatMessage> parsed = ParseHeartbeatMessage(bytes);
  if (!parsed.ok()) return;  // as Heartbeat: malformed datagrams are dropped unlogged
  const HeartbeatMessage& m = *parsed;
  const std::string src(m.Value("src"));
  if (src == options_.local_node) return;  // our own, looped back (bcast, ucast to self)
  HbPeerInfo* peer = FindPeer(src);
  if (peer == nullptr) {
    const std::string name = PrintableName(src);
    auto [it, fresh] = unknown_logged_.try_emplace(name, now);
    if (fresh || now - it->second >= kLogEvery) {
      it->second = now;
      Log(out, LogLevel::kWarning,
          absl::StrCat("Heartbeat message from node '", name,
                       "', which is not a node of ha.cf: dropped"));
    }
    return;
  }
  if (!HeartbeatAuthentic(m, options_.keys)) {
    ++peer->auth_failures;
    if (peer->auth_failures == 1 || now - peer->auth_logged >= kLogEvery) {
      peer->auth_logged = now;
      Log(out, LogLevel::kError,
          absl::StrFormat("Heartbeat message claiming node %s failed authentication (key %d, %d "
                          "in all): check authkeys",
                          peer->name, m.auth_index, peer->auth_failures));
    }
    return;
  }
  if (peer->tachy) return;  // a tachy peer: its tachy frames speak for it
  const absl::string_view type = m.Value("t");
  const std::optional<uint64_t> hg = ParseHex(m.Value("hg"));
  if (type.empty() || !hg.has_value()) return;
  const bool first = !peer->heartbeat;
  if (first) {
    peer->heartbeat = true;
    Log(out, LogLevel::kInfo,
        absl::StrFormat("node %s speaks Heartbeat 3 (generation %d): speaking Heartbeat's "
                        "protocol on the UDP media with it (status every %s, deadtime %s)",
                        peer->name, *hg, FormatMillis(options_.keepalive),
                        FormatMillis(options_.deadtime)));
    if (next_status_ == kHbNever) SendStatus(now, out);
  }
  const absl::string_view uuid = m.Value("srcuuid");
  if (!uuid.empty() && uuid != peer->uuid) {
    if (!peer->uuid.empty()) {
      Log(out, LogLevel::kWarning,
          absl::StrCat("node ", peer->name, " changed its uuid to ", absl::BytesToHexString(uuid)));
    }
    peer->uuid = std::string(uuid);
  }
  // NS_* messages carry no seq: they are never sequence-tracked.
  if (absl::StartsWith(type, "NS_")) {
    const absl::string_view dest = m.Value("dest");
    if (!dest.empty() && dest != options_.local_node) return;
    if (type == "NS_rexmit") {
      OnRexmitRequest(m, *peer, now, out);
    } else if (type == "NS_nak_rexmit") {
      if (auto s = ParseHex(m.Value("firstseq")); s.has_value()) {
        Log(out, LogLevel::kError,
            absl::StrFormat("node %s cannot send its message %d again (%s): lost", peer->name, *s,
                            PrintableName(m.Value("info"))));
        ++peer->irretrievable;
        peer->sequence.Forget(*s);
        peer->asking.erase(*s);
      }
    }
    return;  // NS_ackmsg, ...: flow control, which we do not ask for
  }
  const std::optional<uint64_t> seq = ParseHex(m.Value("seq"));
  if (!seq.has_value() || *seq == 0) return;  // Heartbeat drops these too
  const uint64_t old_generation = peer->sequence.generation();
  const uint64_t last = peer->sequence.last();
  const HbSeqVerdict v = peer->sequence.Accept(*hg, *seq);
  switch (v) {
    case HbSeqVerdict::kOldGeneration:
      ++peer->replays;
      if (peer->replays == 1 || now - peer->replay_logged >= kLogEvery) {
        peer->replay_logged = now;
        Log(out, LogLevel::kError,
            absl::StrFormat("node %s: message of generation %d after generation %d: dropped "
                            "(a replay, or its generation went back)",
                            peer->name, *hg, old_generation));
      }
      return;
    case HbSeqVerdict::kDuplicate:
    case HbSeqVerdict::kOld:
      ++peer->dropped;
      return;
    case HbSeqVerdict::kRestart:
      ++peer->restarts;
      peer->left = false;
      peer->asking.clear();
      Log(out, LogLevel::kInfo,
          absl::StrFormat("Heartbeat restart on node %s (generation %d -> %d)", peer->name,
                          old_generation, *hg));
      break;
    case HbSeqVerdict::kGap:
      peer->lost += *seq - last - 1;
      Log(out, LogLevel::kWarning,
          absl::StrFormat("%d lost message(s) from %s [%d:%d]: asking for them again",
                          *seq - last - 1, peer->name, last, *seq));
      for (uint64_t s = last + 1; s < *seq; ++s) {
        // Heartbeat waits a random 50-250 ms first: a reordered message
        // usually arrives in that time. A spread derived from the number
        // does the same without a random source.
        peer->asking[s] = {now + absl::Milliseconds(50 + (s * 37) % 200), 0};
      }
      break;
    case HbSeqVerdict::kReset:
      peer->asking.clear();
      Log(out, LogLevel::kError,
          absl::StrFormat("lost a lot of messages from %s [%d:%d]: sequence tracking reset",
                          peer->name, last, *seq));
      break;
    case HbSeqVerdict::kLate:
      ++peer->late;
      peer->asking.erase(*seq);
      break;
    case HbSeqVerdict::kNext:
      break;
  }
  ++peer->messages;
  peer->generation = *hg;
  peer->last_heard = std::max(peer->last_heard, rx_time);
  // Addressed to another node: tracked (above), not delivered.
  const absl::string_view destuuid = m.Value("destuuid");
  const absl::string_view dest = m.Value("dest");
  if (!destuuid.empty() ? destuuid != options_.uuid
                        : (!dest.empty() && dest != options_.local_node)) {
    return;
  }
  if (type == "status") {
    const absl::string_view st = m.Value("st");
    if (st != peer->status) {
      Log(out, LogLevel::kInfo,
          absl::StrCat("Heartbeat node ", peer->name, ": status ", PrintableName(st)));
      peer->status = std::string(st);
    }
    if (auto dt = ParseHex(m.Value("dt")); dt.has_value() && *dt > 0) {
      // At most a day: a wild value must not make the peer immortal.
      peer->deadtime =
          absl::Milliseconds(static_cast<int64_t>(std::min<uint64_t>(*dt, 86'400'000)));
    }
    // After its shutdone a node still sends status for a few seconds; it
    // is gone all the same.
    if (peer->left) return;
    out->status.push_back({static_cast<size_t>(peer - peers_.data()), medium, *hg,
                           peer->deadtime > absl::ZeroDuration() ? peer->deadtime
                                                                 : options_.deadtime,
                           rx_time, false});
    return;
  }
  if (type == "shutdone") {
    peer->left = true;
    Log(out, LogLevel::kInfo,
        absl::StrCat("received shutdown notice from Heartbeat node ", peer->name));
    out->status.push_back({static_cast<size_t>(peer - peers_.data()), medium, *hg,
                           options_.deadtime, rx_time, true});
  }
  HbDelivery d;
  d.node = peer->name;
  d.generation = *hg;
  for (const HeartbeatField& f : m.fields) {
    if (f.type != 0 || f.name == "auth" || f.name == "src" || f.name == "seq" ||
        f.name == "hg" || f.name == "ts" || f.name == "ttl" || f.name == "ld") {
      continue;
    }
    d.fields.emplace_back(f.name, f.value);
  }
  out->deliver.push_back(std::move(d));
}

void HeartbeatNode::OnRexmitRequest(const HeartbeatMessage& m, HbPeerInfo& from, MonoTime now,
                                    Output* out) {
  // Heartbeat writes these two in decimal (ha_msg_add_int).
  uint64_t first = 0, last = 0;
  if (!absl::SimpleAtoi(m.Value("firstseq"), &first) ||
      !absl::SimpleAtoi(m.Value("lastseq"), &last) || first == 0 || last < first) {
    return;
  }
  last = std::min(last, first + kMaxRexmitPerRequest - 1);
  for (uint64_t s = first; s <= last; ++s) {
    if (s > seq_) {
      Log(out, LogLevel::kWarning,
          absl::StrFormat("node %s asked for our message %d, but %d is our newest", from.name, s,
                          seq_));
      return;
    }
    auto it = std::find_if(history_.begin(), history_.end(),
                           [s](const Sent& h) { return h.seq == s; });
    if (it == history_.end()) {
      ++from.nak_sent;
      out->send.push_back(Finish({{0, "t", "NS_nak_rexmit"},
                                  {0, "dest", from.name},
                                  {0, "firstseq", Hex(s)},
                                  {0, "info", "seqno not found"}},
                                 &from, false));
      continue;
    }
    if (it->resent != MonoTime() && now - it->resent < kRexmitRepeat) continue;
    it->resent = now;
    ++from.rexmit_given;
    out->send.push_back(it->bytes);
  }
}

void HeartbeatNode::Advance(MonoTime now, Output* out) {
  if (active() && now >= next_status_) SendStatus(now, out);
  for (HbPeerInfo& p : peers_) {
    if (!p.heartbeat) continue;
    // Only while it is alive: a dead peer's holes stay holes.
    const bool alive = p.last_heard != MonoTime() && !p.left &&
                       now - p.last_heard < std::max(p.deadtime, options_.deadtime);
    for (auto it = p.asking.begin(); it != p.asking.end();) {
      auto& [when, tries] = it->second;
      if (now < when) {
        ++it;
        continue;
      }
      if (!alive) {
        when = now + kRexmitInterval;  // looked at again, not asked for
        ++it;
        continue;
      }
      if (tries >= kMaxAsks) {
        Log(out, LogLevel::kError,
            absl::StrFormat("node %s never sent its message %d again (%d requests): lost", p.name,
                            it->first, tries));
        ++p.irretrievable;
        p.sequence.Forget(it->first);
        it = p.asking.erase(it);
        continue;
      }
      ++tries;
      ++p.rexmit_asked;
      when = now + kRexmitInterval;
      out->send.push_back(Finish({{0, "t", "NS_rexmit"},
                                  {0, "dest", p.name},
                                  {0, "firstseq", absl::StrCat(it->first)},
                                  {0, "lastseq", absl::StrCat(it->first)}},
                                 &p, false));
      ++it;
    }
  }
}

MonoTime HeartbeatNode::NextWakeup() const {
  MonoTime next = active() ? next_status_ : kHbNever;
  for (const HbPeerInfo& p : peers_) {
    for (const auto& [seq, when] : p.asking) next = std::min(next, when.first);
  }
  return next;
}

}  // namespace tachy
