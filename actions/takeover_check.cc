#include "actions/takeover_check.h"

namespace tachy {

void TakeoverCheck::Start(MonoTime now, absl::Duration timeout) {
  running_ = true;
  passed_at_ = MonoTime();
  deadline_ = now + timeout;
  mac_.clear();
  iface_.clear();
}

void TakeoverCheck::OnAnswer(const std::string& mac, const std::string& iface) {
  if (!running_ || !mac_.empty()) return;
  mac_ = mac;
  iface_ = iface;
}

TakeoverCheck::Result TakeoverCheck::Poll(
    MonoTime now, bool after_death, absl::FunctionRef<bool(const std::string&)> carries_heartbeats,
    absl::Duration retry) {
  if (!running_) return Result::kWaiting;
  if (!mac_.empty()) {
    running_ = false;
    if (after_death && carries_heartbeats(iface_)) {
      refused_ = false;
      logged_series_ = false;
      passed_at_ = now;
      return Result::kPathProven;
    }
    refused_ = true;
    retry_at_ = now + retry;
    return Result::kRefused;
  }
  if (now < deadline_) return Result::kWaiting;
  running_ = false;
  refused_ = false;
  logged_series_ = false;
  passed_at_ = now;
  return Result::kClear;
}

bool TakeoverCheck::LogRefusal(MonoTime now, absl::Duration every) {
  if (logged_series_ && now - logged_at_ <= every) return false;
  logged_series_ = true;
  logged_at_ = now;
  return true;
}

}  // namespace tachy
