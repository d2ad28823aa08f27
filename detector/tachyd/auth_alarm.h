// auth_alarm.h: says, loudly and rate-limited, when frames that name a
// configured node fail authentication here.
//
// A wrong authkeys on one node looks, from the other, exactly like that
// node's death: its frames arrive and are all refused. Counting them in
// `status` is not enough: the operator must read in the log, within a
// second, which node, on which medium, with which key id, and how many, and
// the peer's death must not read as a plain silence. The engine counts per
// peer and medium (MediumLink::auth_failed); this turns the counts into
// lines (the first at once, then at most one per `every` per peer and
// medium) and into per-node problems for `status`. Time is an argument.
#ifndef TACHY_DETECTOR_TACHYD_AUTH_ALARM_H_
#define TACHY_DETECTOR_TACHYD_AUTH_ALARM_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "detector/engine.h"
#include "detector/base/mono_time.h"

namespace tachy {

class AuthAlarm {
 public:
  explicit AuthAlarm(absl::Duration every = absl::Seconds(1)) : every_(every) {}

  // Check()
  //
  // The log lines the counts in `peers` call for at `now` (media names by
  // index in `media`). Call it often (each fraction of `every`): a new
  // failure is reported at the next call.
  std::vector<std::string> Check(const std::vector<Peer>& peers,
                                 const std::vector<std::string>& media, MonoTime now);

 private:
  struct Reported {
    uint64_t count = 0;  // auth_failed when last logged
    MonoTime at;         // when last logged
  };
  absl::Duration every_;
  MonoTime checked_;  // the previous Check(): the window of a first line
  std::map<std::pair<std::string, size_t>, Reported> reported_;
};

// AuthProblems()
//
// What `status` says of one peer's authentication: one sentence per medium
// that refused frames naming it within `recent` before `now`; empty if none.
std::vector<std::string> AuthProblems(const Peer& peer, const std::vector<std::string>& media,
                                      MonoTime now, absl::Duration recent);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_AUTH_ALARM_H_
