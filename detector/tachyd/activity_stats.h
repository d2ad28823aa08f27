// activity_stats.h: what the action runner did, counted by tachyd for
// status and metrics: takeovers (by group, cause and result) with the
// duration of each stage as a histogram, monitor failures, ARP conflicts,
// operator requests and group moves.
//
// The runner reports each of these on the event stream as it happens
// (event_stream.h); tachyd, which outlives runner restarts, keeps the
// totals. Pure: no clock, no I/O.
#ifndef TACHY_DETECTOR_TACHYD_ACTIVITY_STATS_H_
#define TACHY_DETECTOR_TACHYD_ACTIVITY_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include <nlohmann/json_fwd.hpp>

#include "detector/stream/event_stream.h"

namespace tachy {

// A cumulative histogram with fixed bucket bounds, in milliseconds
// (Prometheus' `le` buckets, +Inf implied).
class StageHistogram {
 public:
  static constexpr std::array<double, 14> kBoundsMs = {0.1, 0.25, 0.5, 1,   2,    5,    10,
                                                       20,  50,   100, 250, 1000, 5000, 30000};
  void Add(double ms);
  nlohmann::json Json() const;

 private:
  std::array<uint64_t, kBoundsMs.size()> counts_{};  // cumulative: value <= bound
  uint64_t count_ = 0;
  double sum_ms_ = 0;
};

class ActivityStats {
 public:
  void OnTakeover(const TakeoverMsg& t);
  void OnMonitor(const MonitorMsg& m);
  void OnArpConflict(const ArpConflictMsg& c);
  // The control server's count of forwarded requests, by verb.
  void SetRequests(std::map<std::string, uint64_t> requests) { requests_ = std::move(requests); }
  void OnGroupMove(const std::string& group);

  // The `activity` object of the status document (docs/control-protocol.md).
  nlohmann::json Json() const;

 private:
  // (group, cause kind, result) -> count. The cause kind is "peer_dead",
  // "request", "monitor" or "other": a cause text names a peer or a
  // process and would make every takeover a series of its own.
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> takeovers_;
  // Stages: detection (last frame -> verdict), decision (verdict ->
  // decision), address (decision -> VIP added), garp (VIP -> GARP sent),
  // resources (GARP or decision -> done), total (verdict or decision -> done).
  std::map<std::string, StageHistogram> stages_;
  std::map<std::string, uint64_t> monitor_failures_;  // by group
  uint64_t arp_conflicts_ = 0;
  std::map<std::string, uint64_t> requests_;          // by verb
  std::map<std::string, uint64_t> group_moves_;       // by group
};

// CauseKind()
//
// The kind of a takeover's cause text, as counted above.
std::string CauseKind(const TakeoverMsg& t);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_ACTIVITY_STATS_H_
