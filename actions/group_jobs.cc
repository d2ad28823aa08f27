#include "actions/group_jobs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "detector/engine.h"

namespace tachy {
namespace {

std::string Ms(absl::Duration d) { return FormatMillis(d); }

}  // namespace

TakeResult RunTake(GroupOps& ops, const TakeOptions& options) {
  TakeResult r;
  r.started = ops.Now();
  std::vector<size_t> started;
  for (size_t i = 0; i < ops.size(); ++i) {
    const MonoTime t0 = ops.Now();
    if (ops.is_address(i)) {
      const absl::Status s = ops.AddAddress(i);
      if (!s.ok() && !absl::IsAlreadyExists(s)) {
        r.error = absl::StrCat(ops.name(i), ": ", s.message());
        break;
      }
      const MonoTime added = ops.Now();
      r.steps.push_back(s.ok() ? absl::StrCat("VIP ", ops.name(i), " added ", Ms(added - t0))
                               : absl::StrCat("VIP ", ops.name(i), " already present"));
      started.push_back(i);
      const absl::Status sent = ops.Announce(i);
      const MonoTime announced = ops.Now();
      if (r.vip_added == MonoTime()) {
        r.vip_added = added;
        r.garp_sent = announced;
      }
      r.steps.push_back(sent.ok() ? absl::StrCat("GARP sent ", Ms(announced - added))
                                  : absl::StrCat("GARP failed (", sent.message(), ")"));
      continue;
    }
    if (!options.known_stopped && ops.Status(i) == ResourceStatus::kRunning) {
      r.steps.push_back(absl::StrCat(ops.name(i), " already running"));
      r.resources.push_back({ops.name(i), ops.Now()});
      started.push_back(i);
      continue;
    }
    const OpResult res = ops.Start(i);
    if (!res.ok) {
      r.error = absl::StrCat(ops.name(i), " start failed: ", res.detail);
      break;
    }
    const MonoTime done = ops.Now();
    r.steps.push_back(absl::StrCat(ops.name(i), " started ", Ms(done - t0)));
    r.resources.push_back({ops.name(i), done});
    started.push_back(i);
  }
  if (!r.error.empty()) {
    for (auto it = started.rbegin(); it != started.rend(); ++it) {
      if (ops.is_address(*it)) {
        (void)ops.DeleteAddress(*it);
      } else if (!ops.Stop(*it).ok && ops.Status(*it) == ResourceStatus::kRunning) {
        r.held_anyway = true;
      }
    }
  }
  r.ok = r.error.empty();
  r.done = ops.Now();
  return r;
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
        r.steps.push_back(absl::StrCat("VIP ", ops.name(k), " removed ", Ms(ops.Now() - t0)));
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
    if (res.ok) {
      r.steps.push_back(absl::StrCat(ops.name(k), " stopped ", Ms(ops.Now() - t0)));
    } else if (ops.Status(k) != ResourceStatus::kRunning) {
      r.steps.push_back(absl::StrCat(ops.name(k), " stop failed but status says stopped"));
    } else if (r.error.empty()) {
      r.error = absl::StrCat(ops.name(k), " will not stop: ", res.detail);
    }
  }
  r.ok = r.error.empty();
  r.done = ops.Now();
  return r;
}

}  // namespace tachy
