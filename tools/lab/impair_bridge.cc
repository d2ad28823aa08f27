// impair_bridge.cc: tachy-impair-bridge, a learning Ethernet bridge between
// veth ports with per-direction loss, burst loss, delay, jitter and
// partitions, switchable at run time through a Unix control socket.
//
// The lab kernel has neither netem nor tc matchall, so link impairment is done
// here, in user space. Every port is an AF_PACKET socket on one veth end inside
// the bridge namespace. A frame read on port A is forwarded like a learning
// switch would (unicast to the port its destination was learned on, anything
// else flooded) and, for each egress port B, goes through the impairment of
// the direction A→B: block, burst, loss, then delay. Delayed frames wait in a
// min-heap keyed by release time; one absolute CLOCK_MONOTONIC timerfd wakes
// the loop for the earliest.
//
// The pieces: the command language (bridge_commands.h), a port's socket and
// frame reader (bridge_port.h), the delay queue (delay_queue.h), the model of
// one direction (impairment.h); this file is the loop, the learning switch
// and the control socket around them.
//
// Offloads pass through untouched (bridge_port.h). Single-threaded, one epoll loop, no per-frame logging; the counters are
// read with the `stats` control command.
#include <getopt.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/base/byte_order.h"
#include "detector/base/ethernet.h"
#include "detector/base/mono_time.h"
#include "detector/base/realtime.h"
#include "detector/base/signals.h"
#include "detector/base/unique_fd.h"
#include "detector/frame.h"
#include "tools/lab/bridge_commands.h"
#include "tools/lab/bridge_port.h"
#include "tools/lab/delay_queue.h"
#include "tools/lab/impairment.h"
#include "tools/lab/line_control_server.h"

namespace tachy {
namespace {

using nlohmann::json;

constexpr char kUsage[] =
    R"(Usage: tachy-impair-bridge --control PATH --port NAME=IFACE --port NAME=IFACE
                           [--port NAME=IFACE ...] [--seed N]

A learning Ethernet bridge between network interfaces (veth ends) of the
namespace it runs in, with impairments per direction (source port ->
destination port) that can be changed while it runs. It stands in for netem
where the kernel has none. Frames are read with AF_PACKET (promiscuous) on
every port; source MACs are learned; unicast goes to the learned port,
broadcast, multicast and unknown unicast are flooded to all other ports. The
interfaces must exist and be up; give them no addresses. There is no
spanning tree: two ports on one segment (e.g. both ends of one veth pair)
make a forwarding loop.

Options:
  -c, --control PATH     Unix stream socket for control commands (created;
                         removed on exit; a stale socket file is replaced)
  -p, --port NAME=IFACE  a bridge port: NAME is used in control commands
                         ([A-Za-z0-9_.-], up to 32 characters), IFACE is the
                         interface; at least two ports
  -s, --seed N           seed of the loss and jitter random generator
                         (default: random, printed on stderr)
  -r, --rtprio N         SCHED_FIFO priority, memory locked (default 60: above
                         tachyd's detector thread, so the lab's path is never
                         what delays a heartbeat); 0 = normal priority
  -h, --help             show this help

Prints "ready" on stdout once every port is open and the control socket
listens. Runs until SIGTERM or SIGINT, then exits 0 and removes the control
socket. Exit 1 on a runtime error, 2 on a usage error.

Impairments, per direction SRC->DST, applied to each frame in this order:
  proto=all|tachy  which frames are impaired: all (default), or only tachy
                   heartbeats (ethertype 0x88B5, also behind one VLAN tag);
                   the other frames then pass at once, untouched
  block=0|1        drop every frame (a partition)
  burst=N          when a frame is lost to `loss`, also drop the next N-1
                   impaired frames of the direction (default 1: independent)
  loss=P           drop with probability P, 0..1, independently per frame
  delay=D          hold each frame D (e.g. 5ms, 200us, 1.5ms, 0) ...
  jitter=J         ... plus uniform[-J, +J], clamped at 0. With jitter 0 a
                   direction keeps FIFO order (also when D is lowered); with
                   jitter, frames may be reordered.

Control commands: connect to PATH, write one line, read one line (a JSON
object), the bridge then closes the connection. SRC and DST are port names
or * (every port; a port is never its own destination).
  set SRC DST key=value ...  set keys of the directions SRC->DST (keys above);
                             keys not named keep their value -> {"ok":true}
  partition A B              block A->B and B->A
  partition A B oneway       block A->B only
  heal                       clear every block (other impairments stay)
  clear                      reset every impairment of every direction
  show                       {"ok":true,"directions":[{"src":..,"dst":..,
                             "loss":..,"burst":..,"delay":"5ms","jitter":..,
                             "block":..,"proto":..}, ...]}, directions whose
                             impairment is not the default
  stats                      {"ok":true,"directions":[{"src":"a","dst":"b",
                             "forwarded":N,"dropped":N,"delayed":N,
                             "send_errors":N,"queued":N}, ...], "rx_frames":N,
                             ...}, directions that saw traffic. Counters are
                             cumulative since start (set/clear keep them):
                             forwarded = sent on the egress port, dropped = by
                             block, burst, loss or a full delay queue,
                             delayed = frames that went through the delay
                             queue, send_errors = egress send() failed (e.g.
                             ENOBUFS), queued = delayed frames still waiting;
                             "forwarding": {"measured":N, "max_delay_us":..,
                             "over_1ms":N, "max_release_late_us":..,
                             "realtime":bool}: kernel receive to our send for
                             frames sent at once, and how late delayed frames
                             left after their release time.
Errors answer {"ok":false,"error":"..."} naming what was wrong; no change is
made then. A change applies to frames read after it; frames already delayed
keep their release time.

Example:
  tachy-impair-bridge --control /tmp/br.sock --port a=p1 --port b=p2 &
  echo 'set a b loss=0.3 burst=3 delay=5ms jitter=1ms proto=tachy' |
      socat - UNIX-CONNECT:/tmp/br.sock
)";

// Frames read from one port per wakeup, so one busy port cannot starve the
// others or the timer.
constexpr int kFramesPerWakeup = 256;
// Memory bound of the delay queue; a frame that does not fit is dropped.
constexpr size_t kMaxQueuedBytes = 128 * 1024 * 1024;
constexpr size_t kMaxSpareBuffers = 4096;
constexpr size_t kMaxMacEntries = 8192;

uint64_t LoadMac(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMacBytes; ++i) v = v << 8 | p[i];
  return v;
}

struct Port {
  std::string name;
  UniqueFd fd;
};

// One direction ingress port -> egress port: its impairment and counters.
struct Direction {
  Impairment impairment;
  ImpairState state;      // the model's memory (impairment.h)
  bool seen = false;      // a frame took this direction
  uint64_t forwarded = 0;
  uint64_t dropped = 0;
  uint64_t delayed = 0;
  uint64_t send_errors = 0;
  uint64_t queued = 0;
};

// epoll_event.data.u64 = kind << 32 | index (port index or client fd).
enum class Source : uint32_t { kPort, kListen, kClient, kTimer, kSignal };

uint64_t Tag(Source source, uint32_t index) { return static_cast<uint64_t>(source) << 32 | index; }

class Bridge {
 public:
  Bridge(std::vector<PortSpec> specs, std::string control_path, uint64_t seed)
      : specs_(std::move(specs)),
        control_path_(std::move(control_path)),
        delayed_(kMaxQueuedBytes, kMaxSpareBuffers),
        chance_(seed) {}
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  // Open()
  //
  // Opens the ports, the control socket, the timer and the signalfd (SIGTERM
  // and SIGINT must already be blocked).
  absl::Status Open();

  // Run()
  //
  // Serves frames and commands until SIGTERM or SIGINT arrives (then OK).
  absl::Status Run();
  // Whether Main got SCHED_FIFO and locked memory (said in `stats`).
  void set_realtime(bool v) { realtime_ = v; }

 private:
  absl::Status OpenControl();
  absl::Status Watch(int fd, Source source, uint32_t index);

  void ReadPort(size_t in);
  void HandleFrame(size_t in, std::span<const uint8_t> bytes, MonoTime now);
  void Egress(size_t in, size_t out, std::span<const uint8_t> bytes, bool tachy, MonoTime now);
  void Transmit(size_t direction, std::span<const uint8_t> bytes);
  void ReleaseDue(MonoTime now);
  void NoteForwarded();
  void ArmTimer();

  std::string Execute(absl::string_view line);
  std::string Set(std::span<const absl::string_view> args);
  std::string Partition(std::span<const absl::string_view> args);
  std::string Show() const;
  std::string Stats() const;
  // Sets `index` to the port called `name`, or to -1 for "*".
  absl::Status ResolvePort(absl::string_view name, int* index) const;
  std::vector<size_t> Directions(int src, int dst) const;

  size_t DirectionIndex(size_t in, size_t out) const { return in * ports_.size() + out; }

  const std::vector<PortSpec> specs_;
  const std::string control_path_;
  std::vector<Port> ports_;
  std::vector<Direction> directions_;  // ports² entries, in * ports + out
  UniqueFd epoll_;
  UniqueFd timer_;
  UniqueFd signal_;
  std::unique_ptr<LineControlServer> control_;  // once epoll_ exists
  std::unordered_map<uint64_t, size_t> macs_;  // learned source MAC -> port

  // Delayed frames; theirs start with the virtio_net_hdr.
  DelayQueue delayed_;
  std::optional<MonoTime> armed_;

  // The model's chance: a seeded generator (--seed makes runs repeatable).
  class SeededChance : public Chance {
   public:
    explicit SeededChance(uint64_t seed) : rng_(seed) {}
    double Unit() override { return unit_(rng_); }
    int64_t Between(int64_t lo, int64_t hi) override {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
    }

   private:
    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> unit_{0.0, 1.0};
  };
  SeededChance chance_;
  PortReader reader_;

  uint64_t rx_frames_ = 0;
  uint64_t rx_errors_ = 0;
  uint64_t rx_runts_ = 0;
  uint64_t rx_oversize_ = 0;
  uint64_t queue_overflows_ = 0;
  uint64_t same_port_ = 0;  // unicast whose destination sits on the ingress port
  // Forwarding delay: kernel receive time (CLOCK_REALTIME, SO_TIMESTAMPNS)
  // to our send, for frames sent at once; release lateness for delayed ones.
  int64_t rx_real_ns_ = 0;  // of the frame being handled; 0 = unknown
  int64_t max_forward_ns_ = 0;
  uint64_t forward_measured_ = 0;
  uint64_t forward_over_1ms_ = 0;
  int64_t max_release_late_ns_ = 0;
  bool realtime_ = false;  // SCHED_FIFO and memory locked
};

absl::Status Bridge::Open() {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");

  ports_.reserve(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    UniqueFd fd;
    absl::Status s = OpenBridgePort(specs_[i], &fd);
    if (s.ok()) s = Watch(fd.get(), Source::kPort, static_cast<uint32_t>(i));
    if (!s.ok()) return s;
    ports_.push_back(Port{specs_[i].name, std::move(fd)});
  }
  directions_.assign(ports_.size() * ports_.size(), Direction{});

  timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) return absl::ErrnoToStatus(errno, "timerfd_create CLOCK_MONOTONIC");
  absl::Status s = Watch(timer_.get(), Source::kTimer, 0);
  if (!s.ok()) return s;

  // The daemons' signal set: SIGTERM and SIGINT stop the bridge, SIGHUP too
  // (as its default action did), SIGCHLD cannot come (no children).
  absl::StatusOr<UniqueFd> signals = OpenDaemonSignalFd();
  if (!signals.ok()) return signals.status();
  signal_ = *std::move(signals);
  s = Watch(signal_.get(), Source::kSignal, 0);
  if (!s.ok()) return s;

  return OpenControl();
}

absl::Status Bridge::OpenControl() {
  control_ = std::make_unique<LineControlServer>(
      epoll_.get(), [](int fd) { return Tag(Source::kClient, static_cast<uint32_t>(fd)); });
  absl::Status s = control_->Listen(control_path_);
  if (!s.ok()) return s;
  return Watch(control_->listen_fd(), Source::kListen, 0);
}

absl::Status Bridge::Watch(int fd, Source source, uint32_t index) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = Tag(source, index);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl ADD");
  }
  return absl::OkStatus();
}

absl::Status Bridge::Run() {
  epoll_event events[64];
  while (true) {
    const int n = epoll_wait(epoll_.get(), events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const uint32_t index = static_cast<uint32_t>(events[i].data.u64);
      switch (static_cast<Source>(events[i].data.u64 >> 32)) {
        case Source::kPort:
          ReadPort(index);
          break;
        case Source::kListen:
          control_->AcceptClients();
          break;
        case Source::kClient:
          control_->Serve(static_cast<int>(index),
                          [this](absl::string_view line) { return Execute(line); });
          break;
        case Source::kTimer: {
          uint64_t expirations;
          // Only clears readiness; due frames are found by time below.
          (void)!read(timer_.get(), &expirations, sizeof(expirations));
          armed_.reset();
          break;
        }
        case Source::kSignal:
          if (ReadPendingSignal(signal_.get()) != 0) return absl::OkStatus();
          break;
      }
    }
    ReleaseDue(MonotonicNow());
    ArmTimer();
  }
}

void Bridge::ReadPort(size_t in) {
  const int fd = ports_[in].fd.get();
  for (int k = 0; k < kFramesPerWakeup; ++k) {
    switch (reader_.Receive(fd)) {
      case PortReader::Result::kNone:
        return;
      case PortReader::Result::kSkipped:
        continue;
      case PortReader::Result::kError:
        ++rx_errors_;
        continue;
      case PortReader::Result::kRunt:
        ++rx_runts_;
        continue;
      case PortReader::Result::kOversize:
        ++rx_oversize_;
        continue;
      case PortReader::Result::kFrame:
        rx_real_ns_ = reader_.rx_real_ns();
        HandleFrame(in, reader_.frame(), MonotonicNow());
        continue;
    }
  }
}

void Bridge::HandleFrame(size_t in, std::span<const uint8_t> bytes, MonoTime now) {
  ++rx_frames_;
  const std::span<const uint8_t> eth = bytes.subspan(kVnetHdrBytes);
  const uint8_t* dst = eth.data();
  const uint8_t* src = eth.data() + kMacBytes;
  uint16_t ethertype = LoadBe16(eth.data() + 2 * kMacBytes);
  if ((ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ) &&
      eth.size() >= kEthernetHeaderBytes + kVlanTagBytes) {
    ethertype = LoadBe16(eth.data() + 2 * kMacBytes + kVlanTagBytes);
  }
  const bool tachy = ethertype == kEtherType;

  if (!(src[0] & 1)) {  // never learn a group address
    const uint64_t mac = LoadMac(src);
    auto [it, inserted] = macs_.try_emplace(mac, in);
    if (!inserted) {
      it->second = in;
    } else if (macs_.size() > kMaxMacEntries) {
      macs_.clear();  // crude, but bounded: relearned from the next frames
      macs_.emplace(mac, in);
    }
  }

  if (!(dst[0] & 1)) {
    const auto it = macs_.find(LoadMac(dst));
    if (it != macs_.end()) {
      if (it->second == in) {
        ++same_port_;
      } else {
        Egress(in, it->second, bytes, tachy, now);
      }
      return;
    }
  }
  for (size_t out = 0; out < ports_.size(); ++out) {
    if (out != in) Egress(in, out, bytes, tachy, now);
  }
}

void Bridge::Egress(size_t in, size_t out, std::span<const uint8_t> bytes, bool tachy,
                    MonoTime now) {
  const size_t index = DirectionIndex(in, out);
  Direction& d = directions_[index];
  d.seen = true;
  const Verdict v = Impair(d.impairment, d.state, tachy, now, chance_);
  switch (v.fate) {
    case Fate::kDrop:
      ++d.dropped;
      return;
    case Fate::kPass:
    case Fate::kSend:
      Transmit(index, bytes);
      NoteForwarded();
      return;
    case Fate::kDelay:
      break;
  }
  if (!delayed_.Push(v.release, index, bytes)) {
    ++queue_overflows_;
    ++d.dropped;
    return;
  }
  ++d.delayed;
  ++d.queued;
}

void Bridge::Transmit(size_t direction, std::span<const uint8_t> bytes) {
  Direction& d = directions_[direction];
  const int fd = ports_[direction % ports_.size()].fd.get();
  if (send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT) == static_cast<ssize_t>(bytes.size())) {
    ++d.forwarded;
  } else {
    ++d.send_errors;
  }
}

void Bridge::NoteForwarded() {
  if (rx_real_ns_ == 0) return;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const int64_t delay = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec - rx_real_ns_;
  max_forward_ns_ = std::max(max_forward_ns_, delay);
  ++forward_measured_;
  if (delay > 1'000'000) ++forward_over_1ms_;
}

void Bridge::ReleaseDue(MonoTime now) {
  delayed_.ReleaseDue(now, [&](const DelayQueue::Frame& frame) {
    // A delayed frame is late by how much its release was missed.
    max_release_late_ns_ =
        std::max(max_release_late_ns_, (now - frame.release) / absl::Nanoseconds(1));
    Transmit(frame.direction, frame.bytes);
    --directions_[frame.direction].queued;
  });
}

void Bridge::ArmTimer() {
  const std::optional<MonoTime> due = delayed_.NextRelease();
  if (!due) return;  // a stale expiry only causes one empty wakeup
  const MonoTime next = *due;
  if (armed_ && *armed_ == next) return;
  itimerspec spec{};
  const absl::Duration at = absl::Nanoseconds(next.nanos());
  spec.it_value = absl::ToTimespec(at);
  if (timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    // Cannot happen with a valid fd and time; fail-stop beats a stuck queue.
    std::perror("tachy-impair-bridge: timerfd_settime");
    std::abort();
  }
  armed_ = next;
}

std::string Bridge::Execute(absl::string_view line) {
  const std::vector<absl::string_view> words =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
  if (words.empty()) return ErrorReply("empty command");
  const absl::string_view command = words[0];
  const std::span<const absl::string_view> args = std::span(words).subspan(1);
  if (command == "set") return Set(args);
  if (command == "partition") return Partition(args);
  if (command == "heal" || command == "clear" || command == "stats" || command == "show") {
    if (!args.empty()) {
      return ErrorReply(absl::StrCat(command, " takes no arguments, got '", args[0], "'"));
    }
    if (command == "stats") return Stats();
    if (command == "show") return Show();
    for (Direction& d : directions_) {
      if (command == "heal") {
        d.impairment.block = false;
      } else {
        d.impairment = Impairment{};
        d.state.burst_left = 0;
      }
    }
    return OkReply();
  }
  return ErrorReply(absl::StrCat("unknown command '", command,
                                 "' (commands: set, partition, heal, clear, show, stats)"));
}

absl::Status Bridge::ResolvePort(absl::string_view name, int* index) const {
  *index = -1;
  if (name == "*") return absl::OkStatus();
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i].name == name) {
      *index = static_cast<int>(i);
      return absl::OkStatus();
    }
  }
  std::vector<absl::string_view> names;
  for (const Port& p : ports_) names.push_back(p.name);
  return absl::NotFoundError(
      absl::StrCat("unknown port '", name, "' (ports: ", absl::StrJoin(names, ", "), ", *)"));
}

std::vector<size_t> Bridge::Directions(int src, int dst) const {
  std::vector<size_t> out;
  for (size_t s = 0; s < ports_.size(); ++s) {
    for (size_t t = 0; t < ports_.size(); ++t) {
      if (s == t) continue;
      if ((src < 0 || static_cast<size_t>(src) == s) &&
          (dst < 0 || static_cast<size_t>(dst) == t)) {
        out.push_back(DirectionIndex(s, t));
      }
    }
  }
  return out;
}

std::string Bridge::Set(std::span<const absl::string_view> args) {
  if (args.size() < 2) return ErrorReply("usage: set SRC DST key=value ...");
  int src, dst;
  absl::Status s = ResolvePort(args[0], &src);
  if (s.ok()) s = ResolvePort(args[1], &dst);
  if (!s.ok()) return ErrorReply(s.message());
  const std::vector<size_t> targets = Directions(src, dst);
  if (targets.empty()) {
    return ErrorReply(absl::StrCat("no direction ", args[0], " -> ", args[1],
                                   " (a port is never its own destination)"));
  }
  ImpairmentPatch patch;
  s = ParsePatch(args.subspan(2), &patch);
  if (!s.ok()) return ErrorReply(s.message());
  for (const size_t i : targets) {
    patch.ApplyTo(directions_[i].impairment);
    // A burst in progress ends when loss or burst change.
    if (patch.loss || patch.burst) directions_[i].state.burst_left = 0;
  }
  return OkReply();
}

std::string Bridge::Partition(std::span<const absl::string_view> args) {
  const bool oneway = args.size() == 3 && args[2] == "oneway";
  if (args.size() != 2 && !oneway) return ErrorReply("usage: partition A B [oneway]");
  int a, b;
  absl::Status s = ResolvePort(args[0], &a);
  if (s.ok()) s = ResolvePort(args[1], &b);
  if (!s.ok()) return ErrorReply(s.message());
  std::vector<size_t> targets = Directions(a, b);
  if (!oneway) {
    const std::vector<size_t> back = Directions(b, a);
    targets.insert(targets.end(), back.begin(), back.end());
  }
  if (targets.empty()) {
    return ErrorReply(absl::StrCat("no direction between ", args[0], " and ", args[1],
                                   " (a port is never its own destination)"));
  }
  for (const size_t i : targets) directions_[i].impairment.block = true;
  return OkReply();
}

std::string Bridge::Show() const {
  json directions = json::array();
  const Impairment none;
  for (size_t i = 0; i < directions_.size(); ++i) {
    const Impairment& imp = directions_[i].impairment;
    if (imp == none) continue;
    directions.push_back({{"src", ports_[i / ports_.size()].name},
                          {"dst", ports_[i % ports_.size()].name},
                          {"loss", imp.loss},
                          {"burst", imp.burst},
                          {"delay", absl::FormatDuration(imp.delay)},
                          {"jitter", absl::FormatDuration(imp.jitter)},
                          {"block", imp.block},
                          {"proto", imp.proto == Proto::kTachy ? "tachy" : "all"}});
  }
  return json{{"ok", true}, {"directions", std::move(directions)}}.dump();
}

std::string Bridge::Stats() const {
  json directions = json::array();
  for (size_t i = 0; i < directions_.size(); ++i) {
    const Direction& d = directions_[i];
    if (!d.seen) continue;
    directions.push_back({{"src", ports_[i / ports_.size()].name},
                          {"dst", ports_[i % ports_.size()].name},
                          {"forwarded", d.forwarded},
                          {"dropped", d.dropped},
                          {"delayed", d.delayed},
                          {"send_errors", d.send_errors},
                          {"queued", d.queued}});
  }
  return json{{"ok", true},
              {"directions", std::move(directions)},
              {"rx_frames", rx_frames_},
              {"rx_errors", rx_errors_},
              {"rx_runts", rx_runts_},
              {"rx_oversize", rx_oversize_},
              {"queue_overflows", queue_overflows_},
              {"same_port", same_port_},
              {"mac_entries", macs_.size()},
              {"forwarding",
               {{"measured", forward_measured_},
                {"max_delay_us", static_cast<double>(max_forward_ns_) / 1e3},
                {"over_1ms", forward_over_1ms_},
                {"max_release_late_us", static_cast<double>(max_release_late_ns_) / 1e3},
                {"realtime", realtime_}}}}
      .dump();
}

int UsageError(absl::string_view message) {
  std::fprintf(stderr, "tachy-impair-bridge: %.*s (see --help)\n", static_cast<int>(message.size()),
               message.data());
  return 2;
}

int Main(int argc, char** argv) {
  static const option kOptions[] = {
      {"control", required_argument, nullptr, 'c'},
      {"port", required_argument, nullptr, 'p'},
      {"seed", required_argument, nullptr, 's'},
      {"rtprio", required_argument, nullptr, 'r'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  std::string control;
  std::vector<PortSpec> ports;
  std::optional<uint64_t> seed;
  int rtprio = 60;
  int opt;
  while ((opt = getopt_long(argc, argv, "c:p:s:r:h", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 'r':
        if (!absl::SimpleAtoi(optarg, &rtprio) || rtprio < 0 || rtprio > 99) {
          return UsageError(absl::StrCat("bad --rtprio '", optarg, "' (0..99, 0 = none)"));
        }
        break;
      case 'c':
        control = optarg;
        break;
      case 'p': {
        PortSpec spec;
        const absl::Status s = ParsePortSpec(optarg, &spec);
        if (!s.ok()) return UsageError(s.message());
        for (const PortSpec& p : ports) {
          if (p.name == spec.name) return UsageError(absl::StrCat("port name ", p.name, " twice"));
          if (p.iface == spec.iface) {
            return UsageError(absl::StrCat("interface ", p.iface, " twice"));
          }
        }
        ports.push_back(std::move(spec));
        break;
      }
      case 's': {
        uint64_t n;
        if (!absl::SimpleAtoi(optarg, &n)) {
          return UsageError(absl::StrCat("bad --seed '", optarg, "'"));
        }
        seed = n;
        break;
      }
      case 'h':
        std::fputs(kUsage, stdout);
        return 0;
      default:
        return 2;  // getopt_long printed why
    }
  }
  if (optind < argc) return UsageError(absl::StrCat("unexpected argument '", argv[optind], "'"));
  if (control.empty()) return UsageError("--control PATH is required");
  if (ports.size() < 2) return UsageError("at least two --port NAME=IFACE are required");
  if (!seed) {
    seed = (static_cast<uint64_t>(std::random_device()()) << 32) ^ std::random_device()();
    std::fprintf(stderr, "tachy-impair-bridge: seed %llu\n",
                 static_cast<unsigned long long>(*seed));
  }

  // Blocked before any fd exists, so the signalfd sees them all.
  BlockDaemonSignals();

  Bridge bridge(std::move(ports), control, *seed);
  absl::Status status = bridge.Open();
  if (status.ok() && rtprio > 0) {
    // Above the detectors (tachyd's default 50): the lab's path must never
    // be what delays a heartbeat.
    const std::string refused =
        EnterRealtime(std::min(rtprio, sched_get_priority_max(SCHED_FIFO)));
    bridge.set_realtime(refused.empty());
    if (!refused.empty()) {
      std::fprintf(stderr, "tachy-impair-bridge: realtime not fully in force: %s\n",
                   refused.c_str());
    }
  }
  if (status.ok()) {
    std::puts("ready");
    std::fflush(stdout);
    status = bridge.Run();
  }
  if (!status.ok()) {
    std::fprintf(stderr, "tachy-impair-bridge: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tachy

int main(int argc, char** argv) { return tachy::Main(argc, argv); }
