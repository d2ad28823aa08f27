// group_jobs.h: taking and releasing one resource group, step by step, over
// injected operations, with the time of every step.
//
// Heartbeat's order: take left to right, release right to left, and a take
// that fails part-way rolls back what it started (newest first). The steps
// themselves (netlink, GARP, scripts) are behind GroupOps, so the order, the
// rollback and the timeline are tested with fakes and a manual clock; the
// real operations (takeover_kit.h) are all prepared before any takeover.
#ifndef TACHY_ACTIONS_GROUP_JOBS_H_
#define TACHY_ACTIONS_GROUP_JOBS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "actions/resource_agent.h"
#include "detector/base/mono_time.h"

namespace tachy {

// How a routed (BGP) address is announced: kPreferred by a node that takes
// the group after its holder died, so the router switches to it at the
// first UPDATE whatever becomes of the dead node's stale route; kNormal
// otherwise (docs/bgp.md). Addresses on the LAN (ARP) ignore it.
enum class RoutePreference { kNormal, kPreferred };

// What a job can do to resource `i` of its group (haresources order).
class GroupOps {
 public:
  virtual ~GroupOps() = default;
  virtual size_t size() const = 0;
  virtual bool is_address(size_t i) const = 0;
  virtual const std::string& name(size_t i) const = 0;
  // Addresses. AddAddress: kAlreadyExists if present; DeleteAddress:
  // kNotFound if absent (both fine; a routed address is removed from
  // wherever it is).
  virtual absl::Status AddAddress(size_t i, RoutePreference preference) = 0;
  virtual absl::Status DeleteAddress(size_t i) = 0;
  // A routed address (BGP::): the local routing daemon announces it, no
  // gratuitous ARP is sent for it.
  virtual bool is_routed(size_t) const { return false; }
  // Where AddAddress(i, preference) puts it, for the log ("tachy-take").
  virtual std::string where(size_t, RoutePreference) const { return ""; }
  // A routed address held here, announced anew with `preference`: moved to
  // that interface (removed from the other, then added, in one go). Nothing
  // for an address on the LAN.
  virtual absl::Status Reannounce(size_t, RoutePreference) { return absl::OkStatus(); }
  // The first gratuitous ARP of a freshly added address (the repeats are
  // the runner's loop's).
  virtual absl::Status Announce(size_t i) = 0;
  // Scripts.
  virtual OpResult Start(size_t i) = 0;
  virtual OpResult Stop(size_t i) = 0;
  virtual ResourceStatus Status(size_t i) = 0;
  // Monitoring. MainProcesses: the processes that are script `i`'s running
  // service (its daemon; actions/resource_processes.h), empty if none is
  // known. KillLeftovers: kills every process script `i` left behind and
  // waits (briefly) until they are gone; how many there were. HasAddress:
  // address `i` is configured on this node.
  virtual std::vector<pid_t> MainProcesses(size_t) { return {}; }
  virtual int KillLeftovers(size_t) { return 0; }
  virtual bool HasAddress(size_t) { return true; }
  // The group's application check (app_check.h): "" if it passed or there
  // is none, else what failed.
  virtual std::string CheckApplication() { return ""; }
  // Waits between stop retries.
  virtual void Sleep(absl::Duration d) = 0;
  virtual MonoTime Now() = 0;
};

struct StepTime {
  std::string name;
  MonoTime done;
};

struct TakeResult {
  bool ok = false;
  bool held_anyway = false;  // rollback left a resource running: still held
  std::string error;
  // vip/garp: first address; zero = none (garp: none for a routed address)
  MonoTime started, vip_added, garp_sent, done;
  std::vector<StepTime> resources;               // scripts started, in order
  std::vector<std::string> steps;                // for the log, in order
};

struct ReleaseResult {
  bool ok = false;
  std::string error;
  MonoTime started, done;
  std::vector<std::string> steps;
};

struct TakeOptions {
  // The runner knows every script of the group is stopped (it probed them
  // at start-up, or stopped them itself): no `status` call before `start`.
  bool known_stopped = false;
  // Start from this resource (a restart of the part that failed); the ones
  // before it are running.
  size_t first = 0;
  RoutePreference route = RoutePreference::kNormal;
};

// TakeJob
//
// One take, in two parts so the caller can run the first where it stands:
// RunLeadingAddresses() adds and announces the addresses the group starts
// with (a netlink request and two send() calls each: the runner does this in
// the very wake-up that decided, with no hand-over to a worker thread);
// Finish() does the rest, typically on the group's worker: each script is
// started unless `status` says it runs (asked only when !known_stopped). On
// the first failure, what this job started is stopped or removed, newest
// first, the leading addresses included. One thread at a time.
class TakeJob {
 public:
  TakeJob(GroupOps& ops, const TakeOptions& options);
  void RunLeadingAddresses();
  TakeResult Finish();

 private:
  bool Step();  // resource next_; false on failure (error set)

  GroupOps& ops_;
  TakeOptions options_;
  TakeResult result_;
  size_t next_ = 0;
  std::vector<size_t> started_;
};

// RunTake()
//
// A whole TakeJob on the calling thread.
TakeResult RunTake(GroupOps& ops, const TakeOptions& options);

struct ReleaseOptions {
  int stop_retries = 10;  // Heartbeat: 10 attempts...
  absl::Duration stop_retry_interval = absl::Seconds(1);  // ...1 s apart
  // Emergency release (our detector is gone): addresses first, so that the
  // peer that is about to take over finds none of them still answered here.
  bool addresses_first = false;
};

// RunRelease()
//
// Right to left. A stop that keeps failing is an error only if `status`
// still says running afterwards.
ReleaseResult RunRelease(GroupOps& ops, const ReleaseOptions& options);

// RunRestart()
//
// Resource `from` failed while the group ran: stops it and every resource
// after it (right to left, one stop attempt each: a dead service's stop often
// fails), kills what they left running (so no orphaned worker keeps the
// port), then starts them again left to right as a take does. A start that
// fails rolls back from `from` on; the resources before `from` still run, so
// the caller then releases the whole group.
// Routed addresses go back with `route`, the preference of the take.
TakeResult RunRestart(GroupOps& ops, size_t from,
                      RoutePreference route = RoutePreference::kNormal);

struct MonitorFailure {
  size_t resource = 0;
  std::string what;  // "status says stopped", "address gone", ...
};

struct MonitorResult {
  std::optional<MonitorFailure> failure;  // the first resource found failed
  std::vector<std::vector<pid_t>> main;   // per resource: MainProcesses()
  MonoTime started, done;
};

// RunMonitor()
//
// One check of a running group, left to right: every address configured,
// every script's `status` running (and its main processes, to watch); then
// the application check, whose failure counts as the last resource's.
// Stops at the first failure. `discover_only`: only the main processes, no
// check (right after a start, when a daemon may still be writing its pid
// file and its status would say "not running").
MonitorResult RunMonitor(GroupOps& ops, bool discover_only = false);

}  // namespace tachy

#endif  // TACHY_ACTIONS_GROUP_JOBS_H_
