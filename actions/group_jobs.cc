#include "actions/group_jobs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detector/base/format.h"

namespace tachy {

TakeJob::TakeJob(GroupOps& ops, const TakeOptions& options)
    : ops_(ops), options_(options), next_(std::min(options.first, ops.size())) {
  result_.started = ops_.Now();
}

bool TakeJob::Step() {
  const size_t i = next_++;
  const MonoTime t0 = ops_.Now();
  TakeResult& r = result_;
  if (ops_.is_address(i)) {
    const absl::Status s = ops_.AddAddress(i, options_.route);
    if (!s.ok() && !absl::IsAlreadyExists(s)) {
      r.error = absl::StrCat(ops_.name(i), ": ", s.message());
      return false;
    }
    const MonoTime added = ops_.Now();
    const std::string where = ops_.where(i, options_.route);
    const std::string on = where.empty() ? "" : absl::StrCat(" on ", where);
    r.steps.push_back(s.ok() ? absl::StrCat("VIP ", ops_.name(i), " added", on, " ",
                                            FormatMillis(added - t0))
                             : absl::StrCat("VIP ", ops_.name(i), " already present", on));
    started_.push_back(i);
    if (ops_.is_routed(i)) {
      // The routing daemon announces it (docs/bgp.md): nothing to send.
      if (r.vip_added == MonoTime()) r.vip_added = added;
      return true;
    }
    const absl::Status sent = ops_.Announce(i);
    const MonoTime announced = ops_.Now();
    if (r.vip_added == MonoTime()) r.vip_added = added;
    if (r.garp_sent == MonoTime()) r.garp_sent = announced;
    r.steps.push_back(sent.ok() ? absl::StrCat("GARP sent ", FormatMillis(announced - added))
                                : absl::StrCat("GARP failed (", sent.message(), ")"));
    return true;
  }
  if (!options_.known_stopped) {
    // Every script call is in the breakdown, the probe included.
    const ResourceStatus st = ops_.Status(i);
    const MonoTime probed = ops_.Now();
    if (st == ResourceStatus::kRunning) {
      r.steps.push_back(absl::StrCat(ops_.name(i), " already running (status ", FormatMillis(probed - t0), ")"));
      r.resources.push_back({ops_.name(i), probed});
      started_.push_back(i);
      return true;
    }
    r.steps.push_back(absl::StrCat(ops_.name(i), " status ",
                                   st == ResourceStatus::kStopped ? "stopped" : "failed", " ",
                                   FormatMillis(probed - t0)));
  }
  const MonoTime start_at = ops_.Now();
  const OpResult res = ops_.Start(i);
  if (!res.ok) {
    r.error = absl::StrCat(ops_.name(i), " start failed: ", res.detail);
    return false;
  }
  const MonoTime done = ops_.Now();
  r.steps.push_back(absl::StrCat(ops_.name(i), " started ", FormatMillis(done - start_at)));
  r.resources.push_back({ops_.name(i), done});
  started_.push_back(i);
  return true;
}

void TakeJob::RunLeadingAddresses() {
  while (result_.error.empty() && next_ < ops_.size() && ops_.is_address(next_)) Step();
}

TakeResult TakeJob::Finish() {
  while (result_.error.empty() && next_ < ops_.size()) Step();
  TakeResult& r = result_;
  if (!r.error.empty()) {
    for (auto it = started_.rbegin(); it != started_.rend(); ++it) {
      if (ops_.is_address(*it)) {
        (void)ops_.DeleteAddress(*it);
      } else if (!ops_.Stop(*it).ok && ops_.Status(*it) == ResourceStatus::kRunning) {
        r.held_anyway = true;
      }
    }
  }
  r.ok = r.error.empty();
  r.done = ops_.Now();
  return std::move(r);
}

TakeResult RunTake(GroupOps& ops, const TakeOptions& options) {
  TakeJob job(ops, options);
  job.RunLeadingAddresses();
  return job.Finish();
}

ReleaseResult RunRelease(GroupOps& ops, const ReleaseOptions& options) {
  ReleaseResult r;
  r.started = ops.Now();
  std::vector<size_t> order;
  for (size_t k = ops.size(); k-- > 0;) order.push_back(k);
  if (options.addresses_first) {
    std::stable_partition(order.begin(), order.end(), [&](size_t k) { return ops.is_address(k); });
  }
  for (size_t k : order) {
    const MonoTime t0 = ops.Now();
    if (ops.is_address(k)) {
      const absl::Status s = ops.DeleteAddress(k);
      if (s.ok() || absl::IsNotFound(s)) {
        r.steps.push_back(absl::StrCat("VIP ", ops.name(k), " removed ", FormatMillis(ops.Now() - t0)));
      } else if (r.error.empty()) {
        r.error = absl::StrCat(ops.name(k), ": ", s.message());
      }
      continue;
    }
    OpResult res;
    const int attempts = std::max(1, options.stop_retries);
    for (int attempt = 1; attempt <= attempts; ++attempt) {
      res = ops.Stop(k);
      if (res.ok) break;
      r.steps.push_back(absl::StrCat(ops.name(k), " stop failed (attempt ", attempt, " of ",
                                     attempts, "): ", res.detail));
      if (attempt < attempts) ops.Sleep(options.stop_retry_interval);
    }
    // Stopped, what it left must go too: the orphaned workers of a daemon
    // that was killed still hold its port, and the next start here fails.
    auto leftovers = [&] {
      const int killed = ops.KillLeftovers(k);
      return killed > 0 ? absl::StrCat(", ", killed, " leftover process(es) killed") : "";
    };
    if (res.ok) {
      r.steps.push_back(absl::StrCat(ops.name(k), " stopped ", FormatMillis(ops.Now() - t0), leftovers()));
    } else if (ops.Status(k) != ResourceStatus::kRunning) {
      r.steps.push_back(
          absl::StrCat(ops.name(k), " stop failed but status says stopped", leftovers()));
    } else if (r.error.empty()) {
      r.error = absl::StrCat(ops.name(k), " will not stop: ", res.detail);
    }
  }
  r.ok = r.error.empty();
  r.done = ops.Now();
  return r;
}

TakeResult RunRestart(GroupOps& ops, size_t from, RoutePreference route) {
  const MonoTime t0 = ops.Now();
  std::vector<std::string> steps;
  for (size_t k = ops.size(); k-- > from;) {
    const MonoTime s = ops.Now();
    if (ops.is_address(k)) {
      (void)ops.DeleteAddress(k);  // kNotFound is fine: it may be what failed
      steps.push_back(absl::StrCat("VIP ", ops.name(k), " removed ", FormatMillis(ops.Now() - s)));
      continue;
    }
    const OpResult stop = ops.Stop(k);
    const int killed = ops.KillLeftovers(k);
    std::string step = stop.ok ? absl::StrCat(ops.name(k), " stopped ", FormatMillis(ops.Now() - s))
                               : absl::StrCat(ops.name(k), " stop failed (", stop.detail, ")");
    if (killed > 0) absl::StrAppend(&step, ", ", killed, " leftover process(es) killed");
    steps.push_back(std::move(step));
  }
  TakeOptions options;
  options.known_stopped = true;  // stopped and killed just now
  options.first = from;
  options.route = route;
  TakeJob job(ops, options);
  job.RunLeadingAddresses();
  TakeResult r = job.Finish();
  r.started = t0;
  r.steps.insert(r.steps.begin(), steps.begin(), steps.end());
  return r;
}

MonitorResult RunMonitor(GroupOps& ops, bool discover_only) {
  MonitorResult r;
  r.started = ops.Now();
  r.main.resize(ops.size());
  if (discover_only) {
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!ops.is_address(i)) r.main[i] = ops.MainProcesses(i);
    }
    r.done = ops.Now();
    return r;
  }
  for (size_t i = 0; i < ops.size() && !r.failure; ++i) {
    if (ops.is_address(i)) {
      if (!ops.HasAddress(i)) r.failure = MonitorFailure{i, "address no longer configured here"};
      continue;
    }
    const ResourceStatus st = ops.Status(i);
    if (st == ResourceStatus::kRunning) {
      r.main[i] = ops.MainProcesses(i);
    } else {
      r.failure = MonitorFailure{i, st == ResourceStatus::kStopped ? "status says not running"
                                                                   : "status query failed"};
    }
  }
  if (!r.failure && ops.size() > 0) {
    const std::string app = ops.CheckApplication();
    if (!app.empty()) r.failure = MonitorFailure{ops.size() - 1, "application check: " + app};
  }
  r.done = ops.Now();
  return r;
}

}  // namespace tachy
