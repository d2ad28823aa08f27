// takeover_check.h: the second path before a take, for one group.
//
// A verdict of "dead" says only that the heartbeats stopped arriving. Before
// a group's addresses go up, the runner sends an ARP probe for each (RFC
// 5227: sender 0.0.0.0, so no cache changes) and waits `timeout` for an
// answer. This holds one group's check; the runner sends the probes and
// feeds the answers in. Rules:
//  - nobody answers within the timeout: clear, take;
//  - another MAC answers on a link that does not carry our heartbeats: the
//    holder is alive and serving, only the heartbeat path failed: refused,
//    asked again `retry` later (taken as soon as the address is gone);
//  - after a peer's death, an answer over a link that does carry our
//    heartbeats, where the peer fell silent: that path works, the peer's
//    detector does not (killed or hung, its kernel keeping the address):
//    the path is proven, take (our gratuitous ARP moves the clients).
// Time is an argument.
#ifndef TACHY_ACTIONS_TAKEOVER_CHECK_H_
#define TACHY_ACTIONS_TAKEOVER_CHECK_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

class TakeoverCheck {
 public:
  enum class Result {
    kWaiting,     // probes out: no answer yet, within the timeout
    kClear,       // nobody answered: take
    kRefused,     // answered by another host: do not take
    kPathProven,  // answered over a heartbeat link the dead peer is silent on: take
  };

  // MayStart()
  //
  // No check runs and, after a refusal, the retry is due at `now`.
  bool MayStart(MonoTime now) const { return !running_ && now >= retry_at_; }

  // Start()
  //
  // The probes went out at `now`; answers count until `now + timeout`.
  void Start(MonoTime now, absl::Duration timeout);

  // OnAnswer()
  //
  // Another MAC (not ours) claimed one of the group's addresses on `iface`.
  // Only the first answer of a running check counts.
  void OnAnswer(const std::string& mac, const std::string& iface);

  // Poll()
  //
  // The check's outcome at `now`: kWaiting while it runs, else the outcome
  // once (the check then ends; after kRefused, MayStart() again at
  // `now + retry`). `after_death`: the take follows a peer's death verdict;
  // `carries_heartbeats(iface)`: whether our heartbeats use that link.
  Result Poll(MonoTime now, bool after_death,
              absl::FunctionRef<bool(const std::string&)> carries_heartbeats,
              absl::Duration retry);

  // Passed(), Consume()
  //
  // Whether the last check ended clear (or path proven) at most `max_age`
  // before `now`: a take may use it. A take uses it up.
  bool Passed(MonoTime now, absl::Duration max_age) const {
    return passed_at_ != MonoTime() && now - passed_at_ <= max_age;
  }
  void Consume() { passed_at_ = MonoTime(); }

  // Reset()
  //
  // The group is not ours to take any more: forget the check.
  void Reset() { *this = TakeoverCheck(); }

  // LogRefusal()
  //
  // Whether a refusal at `now` is worth a line: the first of a series, then
  // one per `every`.
  bool LogRefusal(MonoTime now, absl::Duration every = absl::Seconds(10));

  bool running() const { return running_; }
  bool refused() const { return refused_; }  // the last check was answered
  MonoTime deadline() const { return deadline_; }
  MonoTime retry_at() const { return retry_at_; }
  const std::string& mac() const { return mac_; }      // of the last answer
  const std::string& iface() const { return iface_; }  // it came on

 private:
  bool running_ = false;
  bool refused_ = false;
  bool logged_series_ = false;
  MonoTime deadline_, retry_at_, logged_at_, passed_at_;
  std::string mac_, iface_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_TAKEOVER_CHECK_H_
