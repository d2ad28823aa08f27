#include "actions/ping_monitor.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detector/base/format.h"
#include "detector/base/ipv4.h"

namespace tachy {

PingMonitor::PingMonitor(const std::vector<PingTarget>& targets, absl::Duration deadping,
                         absl::Duration interval, MonoTime now)
    : deadping_(deadping), interval_(interval), started_(now) {
  for (size_t t = 0; t < targets.size(); ++t) {
    targets_.push_back({targets[t].name, targets[t].hosts, false, MonoTime()});
    for (const std::string& h : targets[t].hosts) {
      const std::optional<uint32_t> ip = ParseIpv4(h);
      if (!ip) continue;  // ParseHaCf (ha_cf.cc) checked it
      Host host;
      host.ip = *ip;
      host.target = t;
      // Spread the first sends over one interval: no burst of echoes.
      host.next_send = now + interval * static_cast<int64_t>(hosts_.size()) / 16;
      hosts_.push_back(host);
    }
  }
  said_reached_.assign(targets_.size(), false);
}

void PingMonitor::SendDue(MonoTime now, absl::FunctionRef<void(uint32_t, uint16_t)> send) {
  for (Host& h : hosts_) {
    if (now < h.next_send) continue;
    send(h.ip, ++h.seq);
    // From now, not from the missed slot: a stall sends one echo, not many.
    h.next_send = now + interval_;
  }
}

MonoTime PingMonitor::NextSend() const {
  MonoTime next;
  for (const Host& h : hosts_) {
    if (next == MonoTime() || h.next_send < next) next = h.next_send;
  }
  return next;
}

void PingMonitor::OnReply(uint32_t ip, MonoTime now) {
  for (Host& h : hosts_) {
    if (h.ip != ip) continue;
    h.last_reply = std::max(h.last_reply, now);
    TargetState& t = targets_[h.target];
    t.last_reply = std::max(t.last_reply, now);
  }
}

bool PingMonitor::TargetReached(size_t t, MonoTime now) const {
  const MonoTime last = targets_[t].last_reply;
  return last != MonoTime() && now - last <= deadping_;
}

size_t PingMonitor::Reached(MonoTime now) const {
  size_t n = 0;
  for (size_t t = 0; t < targets_.size(); ++t) n += TargetReached(t, now);
  return n;
}

bool PingMonitor::Known(MonoTime now) const {
  return now - started_ >= deadping_ || Reached(now) == targets_.size();
}

std::vector<std::string> PingMonitor::Changes(MonoTime now) {
  std::vector<std::string> lines;
  const bool known = Known(now);
  for (size_t t = 0; t < targets_.size(); ++t) {
    const bool reached = TargetReached(t, now);
    if (reached == said_reached_[t] || (!reached && !known)) continue;
    said_reached_[t] = reached;
    const TargetState& s = targets_[t];
    const std::string what = s.hosts.size() == 1 && s.hosts[0] == s.name
                                 ? absl::StrFormat("ping node %s", s.name)
                                 : absl::StrFormat("ping group %s (%s)", s.name,
                                                   absl::StrJoin(s.hosts, ", "));
    if (reached) {
      lines.push_back(absl::StrFormat("%s reached: %d of %d ping targets answer", what,
                                      Reached(now), targets_.size()));
    } else {
      lines.push_back(absl::StrFormat(
          "%s lost: no answer for %s (deadping %s); %d of %d ping targets answer", what,
          s.last_reply == MonoTime() ? FormatMillis(now - started_)
                                     : FormatMillis(now - s.last_reply),
          FormatMillis(deadping_), Reached(now), targets_.size()));
    }
  }
  return lines;
}

std::vector<PingMonitor::TargetState> PingMonitor::States(MonoTime now) const {
  std::vector<TargetState> out = targets_;
  for (size_t t = 0; t < out.size(); ++t) out[t].reached = TargetReached(t, now);
  return out;
}

}  // namespace tachy
