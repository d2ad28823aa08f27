#include "tools/tachydump_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tachy::dump {
namespace {

using json = nlohmann::ordered_json;

constexpr int64_t kMaxLostDelta = std::numeric_limits<int32_t>::max();

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// Nearest-rank percentile of sorted values; `p` in (0, 100].
int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

struct Timing {
  bool any = false;
  int64_t p50 = 0;
  int64_t p99 = 0;
  int64_t max = 0;
  int64_t reference = 0;  // the interval jitter is measured against
  bool advertised = false;
  double jitter_ns = 0;
};

// Inter-arrival summary. Jitter is the mean absolute deviation from the
// advertised interval; Heartbeat advertises none, so its median stands in.
Timing Summarize(const PeerStats& p) {
  Timing t;
  if (p.gaps_ns.empty()) return t;
  std::vector<int64_t> sorted = p.gaps_ns;
  std::sort(sorted.begin(), sorted.end());
  t.any = true;
  t.p50 = Percentile(sorted, 50);
  t.p99 = Percentile(sorted, 99);
  t.max = sorted.back();
  t.advertised = p.interval_us != 0;
  t.reference = t.advertised ? int64_t{p.interval_us} * 1000 : t.p50;
  double sum = 0;
  for (int64_t g : sorted) sum += std::abs(static_cast<double>(g - t.reference));
  t.jitter_ns = sum / static_cast<double>(sorted.size());
  return t;
}

std::string Notes(const Observation& o, absl::string_view medium) {
  std::string notes;
  if (o.restart) absl::StrAppend(&notes, " [new generation]");
  if (o.gap_lost > 0) absl::StrAppend(&notes, " [", o.gap_lost, " lost]");
  if (o.seq_class == SeqClass::kDuplicate) absl::StrAppend(&notes, " [duplicate]");
  if (o.seq_class == SeqClass::kReordered) absl::StrAppend(&notes, " [reordered]");
  if (o.replay) {
    if (!o.seq_class.has_value() && !o.restart) {
      absl::StrAppend(&notes, " [older generation]");
    } else {
      absl::StrAppend(&notes, " [seq not newer on ", medium, "]");
    }
  }
  return notes;
}

}  // namespace

void SeqWindow::Reset() {
  any_ = false;
  highest_ = 0;
  lowest_ = 0;
  seen_.reset();
}

SeqClass SeqWindow::Add(uint64_t seq, int64_t* lost_delta) {
  *lost_delta = 0;
  if (!any_) {
    any_ = true;
    highest_ = lowest_ = seq;
    seen_.reset();
    seen_.set(0);
    return SeqClass::kNew;
  }
  if (seq > highest_) {
    const uint64_t jump = seq - highest_;
    *lost_delta = static_cast<int64_t>(std::min<uint64_t>(jump - 1, kMaxLostDelta));
    if (jump >= kSize) {
      seen_.reset();
    } else {
      seen_ <<= jump;
    }
    seen_.set(0);
    highest_ = seq;
    return SeqClass::kNew;
  }
  const uint64_t back = highest_ - seq;
  if (back < kSize && seen_.test(back)) return SeqClass::kDuplicate;
  if (back < kSize) seen_.set(back);
  if (seq > lowest_) {
    // Every unseen number between lowest_ and highest_ was counted lost when
    // the sequence jumped over it; inside the window we know this one was
    // unseen, so it arrived late rather than never.
    if (back < kSize) *lost_delta = -1;
  } else {
    // Below the first one seen: the numbers in between are missing too.
    *lost_delta = static_cast<int64_t>(std::min<uint64_t>(lowest_ - seq - 1, kMaxLostDelta));
    lowest_ = seq;
  }
  return SeqClass::kReordered;
}

Observation Observe(PeerStats* p, int64_t ts_ns, uint64_t generation, std::optional<uint64_t> seq,
                    absl::string_view medium, bool per_medium_replay, bool timing) {
  Observation o;
  // tachyd's kOldGeneration and Heartbeat's should_drop_message: an older
  // generation is a replay of a previous life.
  if (p->have_generation && generation < p->generation) {
    o.replay = true;
    ++p->replayed;
    return o;
  }
  if (!p->have_generation || generation > p->generation) {
    if (p->have_generation) {
      ++p->restarts;
      o.restart = true;
    }
    p->have_generation = true;
    p->generation = generation;
    p->window.Reset();
    p->medium_last_seq.clear();
  }
  bool news = true;
  if (seq.has_value()) {
    auto it = p->medium_last_seq.find(medium);
    // tachyd's kReplay: not newer than the last frame on the same medium. A
    // first copy over another medium is a duplicate, not a replay.
    if (per_medium_replay && it != p->medium_last_seq.end() && *seq <= it->second) o.replay = true;
    int64_t delta = 0;
    const SeqClass c = p->window.Add(*seq, &delta);
    o.seq_class = c;
    p->lost_signed += delta;
    p->lost = p->lost_signed > 0 ? static_cast<uint64_t>(p->lost_signed) : 0;
    if (delta > 0 && c == SeqClass::kNew) o.gap_lost = static_cast<uint64_t>(delta);
    if (c == SeqClass::kDuplicate) ++p->duplicates;
    if (c == SeqClass::kReordered) ++p->reordered;
    news = c == SeqClass::kNew;
    if (it == p->medium_last_seq.end()) {
      p->medium_last_seq.emplace(std::string(medium), *seq);
    } else {
      it->second = std::max(it->second, *seq);
    }
  }
  if (o.replay) ++p->replayed;
  if (timing && news) {
    if (p->last_timing_ns >= 0) {
      const int64_t gap = ts_ns - p->last_timing_ns;
      p->gaps_ns.push_back(gap);
      if (gap > p->longest_silence_ns) {
        p->longest_silence_ns = gap;
        p->longest_silence_start_ns = p->last_timing_ns;
      }
    }
    p->last_timing_ns = ts_ns;
  }
  return o;
}

absl::StatusOr<Dumper> Dumper::Create(const DumperOptions& options) {
  Dumper d;
  if (options.keys.has_value()) {
    absl::StatusOr<Verifier> v = Verifier::Create(*options.keys);
    if (!v.ok()) return v.status();
    d.verifier_ = *std::move(v);
  }
  for (const std::string& node : options.nodes) d.names_.AddNode(node);
  if (!options.cluster.empty()) d.names_.AddCluster(options.cluster);
  d.tz_ = options.tz;
  return d;
}

std::string Dumper::FormatTime(int64_t ts_ns) const {
  return absl::FormatTime("%H:%M:%E6S", absl::FromUnixNanos(ts_ns), tz_);
}

PeerStats& Dumper::Peer(absl::string_view protocol, absl::string_view node) {
  const std::string key = absl::StrCat(protocol, std::string(1, '\0'), node);
  auto [it, inserted] = peers_.try_emplace(key);
  if (inserted) {
    it->second.protocol = std::string(protocol);
    it->second.node = std::string(node);
  }
  return it->second;
}

std::vector<const PeerStats*> Dumper::Peers() const {
  std::vector<const PeerStats*> out;
  out.reserve(peers_.size());
  for (const auto& [key, peer] : peers_) out.push_back(&peer);
  return out;
}

std::string Dumper::Process(int64_t ts_ns, std::span<const uint8_t> bytes, uint32_t wire_len,
                            LinkType link) {
  ++packets_;
  last_packet_ns_ = std::max(last_packet_ns_, ts_ns);
  const DecodedPacket packet = DecodePacket(bytes, wire_len, link);
  std::string line = FormatTime(ts_ns);
  absl::StrAppend(&line, " ");
  if (!packet.where.empty()) absl::StrAppend(&line, packet.where, ": ");
  switch (packet.kind) {
    case PacketKind::kTachy: absl::StrAppend(&line, ProcessTachy(ts_ns, packet)); break;
    case PacketKind::kHeartbeat: absl::StrAppend(&line, ProcessHeartbeat(ts_ns, packet)); break;
    case PacketKind::kArp: absl::StrAppend(&line, ProcessArp(ts_ns, packet)); break;
    case PacketKind::kOther: absl::StrAppend(&line, packet.summary); break;
    case PacketKind::kMalformed:
      ++malformed_;
      absl::StrAppend(&line, "malformed ", packet.summary);
      break;
  }
  return line;
}

namespace {

// Counts a message for its peer; true if it may move the sequence state.
// Only authentic (or, without keys, unverifiable) messages may: a forgery
// must not make real ones look replayed.
bool CountAndTrust(PeerStats& p, Verdict verdict) {
  ++p.frames;
  if (verdict == Verdict::kBadSignature) {
    ++p.bad_signature;
    return false;
  }
  if (verdict == Verdict::kUnknownKey || verdict == Verdict::kRefusedKey) {
    ++p.unknown_key;
    return false;
  }
  return true;
}

}  // namespace

std::string Dumper::ProcessTachy(int64_t ts_ns, const DecodedPacket& packet) {
  const Frame& f = packet.frame;
  PeerStats& p = Peer("tachy", names_.NodeName(f.node_id));
  Verdict verdict = verifier_.VerifyTachy(packet);
  std::string notes;
  if (CountAndTrust(p, verdict)) {
    const Observation o = Observe(&p, ts_ns, f.generation, f.sequence, packet.medium,
                                  /*per_medium_replay=*/true, /*timing=*/true);
    if (o.replay) {
      verdict = Verdict::kReplay;
    } else {
      p.interval_us = f.interval_us;
    }
    notes = Notes(o, packet.medium);
  }
  return absl::StrCat(FormatTachyFrame(f, packet.tag.size(), names_), ": ", VerdictName(verdict),
                      notes);
}

std::string Dumper::ProcessHeartbeat(int64_t ts_ns, const DecodedPacket& packet) {
  const HeartbeatMessage& m = packet.heartbeat;
  const HeartbeatField* src = m.Find("src");
  PeerStats& p = Peer("heartbeat", src != nullptr ? PrintableText(src->value) : "?");
  Verdict verdict = verifier_.VerifyHeartbeat(m);
  std::string notes;
  if (CountAndTrust(p, verdict)) {
    const HeartbeatField* hg = m.Find("hg");
    const HeartbeatField* seq_field = m.Find("seq");
    const HeartbeatField* type = m.Find("t");
    std::optional<uint64_t> seq;
    if (seq_field != nullptr) seq = ParseHex(seq_field->value);
    std::optional<uint64_t> generation;
    if (hg != nullptr) generation = ParseHex(hg->value);
    // Heartbeat retransmits a message with its old seq on request (§4.6), so
    // only an older generation counts as replay; same-seq copies are
    // duplicates: a retransmission if this medium carried that seq already,
    // else the copy a second medium carries.
    const auto here = p.medium_last_seq.find(packet.medium);
    const bool seen_here = seq.has_value() && here != p.medium_last_seq.end() &&
                           generation.value_or(0) == p.generation && *seq <= here->second;
    const Observation o =
        Observe(&p, ts_ns, generation.value_or(0), seq, packet.medium,
                /*per_medium_replay=*/false, /*timing=*/type != nullptr && type->value == "status");
    if (o.replay) verdict = Verdict::kReplay;
    notes = Notes(o, packet.medium);
    const absl::string_view t = type != nullptr ? absl::string_view(type->value) : "";
    if (t == "NS_rexmit") ++p.rexmit_requests;
    if (t == "NS_nak_rexmit") ++p.naks;
    // Heartbeat sends a message again, same seq, when asked for it.
    if (o.seq_class == SeqClass::kDuplicate && seen_here) {
      ++p.retransmitted;
      absl::StrAppend(&notes, " [retransmission]");
    }
  }
  return absl::StrCat(FormatHeartbeat(m, packet.payload_size), ": ", VerdictName(verdict), notes);
}

std::string Dumper::ProcessArp(int64_t ts_ns, const DecodedPacket& packet) {
  const ArpClaim& c = packet.arp;
  std::string line = FormatArp(c);
  // 0.0.0.0 is an address probe (RFC 5227): it claims nothing.
  if (c.sender_ip == 0) return absl::StrCat(line, " (probe)");
  ArpIpStats& s = arp_[c.sender_ip];
  s.ip = c.sender_ip;
  if (c.gratuitous) ++s.gratuitous;
  if (c.reply) {
    ++s.replies;
  } else {
    ++s.requests;
  }
  size_t at = std::find(s.macs.begin(), s.macs.end(), c.sender_mac) - s.macs.begin();
  if (at == s.macs.size()) {
    s.macs.push_back(c.sender_mac);
    s.first_ns.push_back(ts_ns);
    s.last_ns.push_back(ts_ns);
  }
  s.last_ns[at] = std::max(s.last_ns[at], ts_ns);
  // Claiming again after a MAC that came later has claimed: both at once.
  bool overlapping = false;
  for (size_t i = at + 1; i < s.macs.size(); ++i) overlapping = overlapping || s.first_ns[i] <= ts_ns;
  if (overlapping && !s.overlap) {
    s.overlap = true;
    s.overlap_ns = ts_ns;
  }
  if (s.macs.size() > 1) {
    std::vector<std::string> others;
    for (const MacAddress& mac : s.macs) {
      if (mac != c.sender_mac) others.push_back(FormatMac(mac));
    }
    absl::StrAppend(&line, " [", FormatIpv4(c.sender_ip), " also claimed by ",
                    absl::StrJoin(others, ", "),
                    overlapping ? ", and again after it: split brain]" : ": possible split brain]");
  }
  return line;
}

std::string Dumper::StatsText() const {
  std::string out = absl::StrFormat("--- tachydump statistics: %d packets, %d malformed ---\n",
                                    packets_, malformed_);
  for (const PeerStats* p : Peers()) {
    absl::StrAppend(&out, p->protocol, " ", p->node, ": ", p->frames, " frames");
    if (p->interval_us != 0) {
      absl::StrAppend(&out, absl::StrFormat(", interval %.3fms", p->interval_us / 1000.0));
    }
    absl::StrAppend(&out, "\n");
    const Timing t = Summarize(*p);
    if (t.any) {
      absl::StrAppend(
          &out,
          absl::StrFormat(
              "  inter-arrival p50 %.3fms p99 %.3fms max %.3fms, jitter %.3fms (vs %s %.3fms)\n",
              Ms(t.p50), Ms(t.p99), Ms(t.max), t.jitter_ns / 1e6,
              t.advertised ? "interval" : "median", Ms(t.reference)));
    }
    absl::StrAppend(&out, absl::StrFormat("  lost %d, duplicates %d, reordered %d, restarts %d, "
                                          "bad signature %d, unknown key %d, "
                                          "replayed %d\n",
                                          p->lost, p->duplicates, p->reordered, p->restarts,
                                          p->bad_signature, p->unknown_key, p->replayed));
    if (p->protocol == "heartbeat") {
      absl::StrAppend(&out, absl::StrFormat("  retransmission requests %d, retransmitted %d, "
                                            "refused (NAK) %d\n",
                                            p->rexmit_requests, p->retransmitted, p->naks));
    }
    if (t.any) {
      absl::StrAppend(
          &out, absl::StrFormat("  longest silence %.3fms after %s\n", Ms(p->longest_silence_ns),
                                FormatTime(p->longest_silence_start_ns)));
    }
    if (const int64_t tail = SilenceAtEnd(*p); tail > 0) {
      absl::StrAppend(&out, absl::StrFormat("  silent since %s: %.3fms until the end of the "
                                            "capture\n",
                                            FormatTime(p->last_timing_ns), Ms(tail)));
    }
  }
  for (const auto& [ip, s] : arp_) {
    std::vector<std::string> macs;
    for (const MacAddress& mac : s.macs) macs.push_back(FormatMac(mac));
    absl::StrAppend(
        &out, absl::StrFormat("ARP %s: %s (%d gratuitous, %d requests, %d replies)%s\n",
                              FormatIpv4(ip), absl::StrJoin(macs, ", "), s.gratuitous, s.requests,
                              s.replies,
                              s.overlap ? absl::StrCat(" SPLIT BRAIN: claims overlapped at ",
                                                       FormatTime(s.overlap_ns))
                              : s.macs.size() > 1 ? " POSSIBLE SPLIT BRAIN (or a move: claims "
                                                    "did not overlap)"
                                                  : ""));
  }
  return out;
}

int64_t Dumper::SilenceAtEnd(const PeerStats& p) const {
  // A peer that stopped for good (the failover case) has its longest silence
  // at the end, after its last frame: report it when it outlasts the others
  // and more than two intervals (or 10 ms, if none is advertised).
  if (p.last_timing_ns < 0) return 0;
  const int64_t tail = last_packet_ns_ - p.last_timing_ns;
  const int64_t floor = p.interval_us != 0 ? int64_t{2} * p.interval_us * 1000 : 10'000'000;
  return tail > floor && tail > p.longest_silence_ns ? tail : 0;
}

json Dumper::StatsJson() const {
  json peers = json::array();
  for (const PeerStats* p : Peers()) {
    const Timing t = Summarize(*p);
    json interarrival = {{"p50", nullptr}, {"p99", nullptr}, {"max", nullptr}};
    json silence = nullptr;
    json silence_at = nullptr;
    json jitter = nullptr;
    if (t.any) {
      interarrival = {{"p50", Ms(t.p50)}, {"p99", Ms(t.p99)}, {"max", Ms(t.max)}};
      silence = Ms(p->longest_silence_ns);
      silence_at = absl::FormatTime(absl::RFC3339_full,
                                    absl::FromUnixNanos(p->longest_silence_start_ns), tz_);
      jitter = t.jitter_ns / 1e6;
    }
    peers.push_back({
        {"protocol", p->protocol},
        {"node", p->node},
        {"frames", p->frames},
        {"bad_signature", p->bad_signature},
        {"unknown_key", p->unknown_key},
        {"replayed", p->replayed},
        {"lost", p->lost},
        {"duplicates", p->duplicates},
        {"reordered", p->reordered},
        {"restarts", p->restarts},
        {"rexmit_requests", p->rexmit_requests},
        {"retransmitted", p->retransmitted},
        {"naks", p->naks},
        {"interval_ms", p->interval_us != 0 ? json(p->interval_us / 1000.0) : json(nullptr)},
        {"interarrival_ms", interarrival},
        {"jitter_ms", jitter},
        {"longest_silence_ms", silence},
        {"longest_silence_after", silence_at},
        {"silent_at_end_ms", SilenceAtEnd(*p) > 0 ? json(Ms(SilenceAtEnd(*p))) : json(nullptr)},
    });
  }
  json arp = json::array();
  for (const auto& [ip, s] : arp_) {
    json macs = json::array();
    json claimants = json::array();
    for (size_t i = 0; i < s.macs.size(); ++i) {
      macs.push_back(FormatMac(s.macs[i]));
      claimants.push_back({{"mac", FormatMac(s.macs[i])},
                           {"first_ns", s.first_ns[i]},
                           {"last_ns", s.last_ns[i]}});
    }
    arp.push_back({
        {"ip", FormatIpv4(ip)},
        {"macs", macs},
        {"gratuitous", s.gratuitous},
        {"requests", s.requests},
        {"replies", s.replies},
        {"split_brain", s.macs.size() > 1},
        {"claimants", claimants},
        {"overlap", s.overlap},
        {"overlap_ns", s.overlap ? json(s.overlap_ns) : json(nullptr)},
    });
  }
  return {{"frames", packets_}, {"peers", peers}, {"arp", arp}, {"malformed", malformed_}};
}

}  // namespace tachy::dump
