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
// Offloads pass through untouched: the sockets use PACKET_VNET_HDR, so a TCP
// super-frame (GSO) or a frame whose checksum the sender left to "hardware"
// (CHECKSUM_PARTIAL, the normal case on veth) is handed to the egress veth
// with the same offload metadata, exactly as the kernel bridge would. A VLAN
// tag the kernel moved out of band (PACKET_AUXDATA) is put back in the frame.
//
// Single-threaded, one epoll loop, no per-frame logging; the counters are
// read with the `stats` control command.
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/base/byte_order.h"
#include "detector/base/ethernet.h"
#include "detector/base/mono_time.h"
#include "detector/base/unique_fd.h"
#include "detector/frame.h"
#include "tools/lab/impairment.h"

namespace tachy {
namespace {

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

// struct virtio_net_hdr, which PACKET_VNET_HDR puts in front of every frame
// (host byte order). <linux/virtio_net.h> does not compile as C++ (a field
// is named `class`), hence this copy of the part we use.
struct VnetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHeader) == 10);
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVnetGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
constexpr size_t kVnetHdrBytes = sizeof(VnetHeader);
// Large enough for a GSO super-frame (64 KiB plus headers, and then some).
constexpr size_t kRxBufferBytes = 256 * 1024;
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;
// Frames read from one port per wakeup, so one busy port cannot starve the
// others or the timer.
constexpr int kFramesPerWakeup = 256;
// Memory bound of the delay queue; a frame that does not fit is dropped.
constexpr size_t kMaxQueuedBytes = 128 * 1024 * 1024;
constexpr size_t kMaxSpareBuffers = 4096;
constexpr size_t kMaxMacEntries = 8192;
constexpr size_t kMaxControlClients = 16;
constexpr size_t kMaxCommandBytes = 4096;
constexpr size_t kMaxPortNameBytes = 32;
constexpr int kMaxBurst = 1'000'000;
constexpr absl::Duration kMaxDelay = absl::Seconds(60);


uint64_t LoadMac(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kMacBytes; ++i) v = v << 8 | p[i];
  return v;
}

// JsonString()
//
// `s` as a quoted JSON string. Error messages quote user input, so escape.
std::string JsonString(absl::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string ErrorReply(absl::string_view message) {
  return absl::StrCat("{\"ok\":false,\"error\":", JsonString(message), "}");
}

// The keys of one `set` command; unset fields keep the direction's value.
struct ImpairmentPatch {
  std::optional<double> loss;
  std::optional<int> burst;
  std::optional<absl::Duration> delay;
  std::optional<absl::Duration> jitter;
  std::optional<bool> block;
  std::optional<Proto> proto;

  void ApplyTo(Impairment& imp) const {
    if (loss) imp.loss = *loss;
    if (burst) imp.burst = *burst;
    if (delay) imp.delay = *delay;
    if (jitter) imp.jitter = *jitter;
    if (block) imp.block = *block;
    if (proto) imp.proto = *proto;
  }
};

// The parsers below return Status plus an out-parameter rather than
// StatusOr: the tool links only absl_status, not absl_statusor.

absl::Status ParseDelay(absl::string_view key, absl::string_view value, absl::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(value, &d) || d < absl::ZeroDuration() || d > kMaxDelay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad ", key, " '", value, "' (want a duration 0..60s with a unit, e.g. 5ms, 200us, 0)"));
  }
  *out = d;
  return absl::OkStatus();
}

// ParsePatch()
//
// Parses `key=value` tokens; the first bad one is the error.
absl::Status ParsePatch(std::span<const absl::string_view> tokens, ImpairmentPatch* out) {
  ImpairmentPatch patch;
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        "set needs at least one key=value (keys: loss, burst, delay, jitter, block, proto)");
  }
  for (const absl::string_view token : tokens) {
    const size_t eq = token.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected key=value, got '", token, "'"));
    }
    const absl::string_view key = token.substr(0, eq);
    const absl::string_view value = token.substr(eq + 1);
    if (key == "loss") {
      double p;
      // The negated comparison also rejects NaN.
      if (!absl::SimpleAtod(value, &p) || !(p >= 0.0 && p <= 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad loss '", value, "' (want a probability 0..1)"));
      }
      patch.loss = p;
    } else if (key == "burst") {
      int n;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > kMaxBurst) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad burst '", value, "' (want an integer 1..", kMaxBurst, ")"));
      }
      patch.burst = n;
    } else if (key == "delay" || key == "jitter") {
      absl::Duration d;
      absl::Status s = ParseDelay(key, value, &d);
      if (!s.ok()) return s;
      (key == "delay" ? patch.delay : patch.jitter) = d;
    } else if (key == "block") {
      if (value == "1" || value == "true") {
        patch.block = true;
      } else if (value == "0" || value == "false") {
        patch.block = false;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("bad block '", value, "' (want 0 or 1)"));
      }
    } else if (key == "proto") {
      if (value == "all") {
        patch.proto = Proto::kAll;
      } else if (value == "tachy") {
        patch.proto = Proto::kTachy;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("bad proto '", value, "' (want all or tachy)"));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown key '", key, "' (keys: loss, burst, delay, jitter, block, proto)"));
    }
  }
  *out = patch;
  return absl::OkStatus();
}

struct PortSpec {
  std::string name;
  std::string iface;
};

absl::Status ParsePortSpec(absl::string_view arg, PortSpec* out) {
  const size_t eq = arg.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == arg.size()) {
    return absl::InvalidArgumentError(absl::StrCat("--port wants NAME=IFACE, got '", arg, "'"));
  }
  PortSpec spec{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  if (spec.name.size() > kMaxPortNameBytes ||
      !std::all_of(spec.name.begin(), spec.name.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
               c == '-';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("port name '", spec.name, "': use up to 32 of [A-Za-z0-9_.-]"));
  }
  if (spec.iface.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(absl::StrCat("interface name '", spec.iface, "' too long"));
  }
  *out = std::move(spec);
  return absl::OkStatus();
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

// A frame in the delay queue; `bytes` starts with the virtio_net_hdr.
struct DelayedFrame {
  MonoTime release;
  uint64_t seq;  // ties keep arrival order
  size_t direction;
  std::vector<uint8_t> bytes;
};

// Heap order for std::push_heap (a max-heap): the earliest release on top.
struct ReleasesLater {
  bool operator()(const DelayedFrame& a, const DelayedFrame& b) const {
    if (a.release != b.release) return a.release > b.release;
    return a.seq > b.seq;
  }
};

// epoll_event.data.u64 = kind << 32 | index (port index or client fd).
enum class Source : uint32_t { kPort, kListen, kClient, kTimer, kSignal };

uint64_t Tag(Source source, uint32_t index) { return static_cast<uint64_t>(source) << 32 | index; }

class Bridge {
 public:
  Bridge(std::vector<PortSpec> specs, std::string control_path, uint64_t seed)
      : specs_(std::move(specs)),
        control_path_(std::move(control_path)),
        chance_(seed),
        rx_(kRxBufferBytes + kVlanTagBytes) {}
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;
  ~Bridge() {
    if (control_bound_) unlink(control_path_.c_str());
  }

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
  absl::Status OpenPort(const PortSpec& spec, size_t index);
  absl::Status OpenControl();
  absl::Status Watch(int fd, Source source, uint32_t index);

  void ReadPort(size_t in);
  void HandleFrame(size_t in, std::span<const uint8_t> bytes, MonoTime now);
  void Egress(size_t in, size_t out, std::span<const uint8_t> bytes, bool tachy, MonoTime now);
  void Transmit(size_t direction, std::span<const uint8_t> bytes);
  void ReleaseDue(MonoTime now);
  void NoteForwarded();
  void ArmTimer();

  void AcceptClients();
  void ServeClient(int fd);
  void CloseClient(int fd);
  std::string Execute(absl::string_view line);
  std::string Set(std::span<const absl::string_view> args);
  std::string Partition(std::span<const absl::string_view> args);
  std::string Show() const;
  std::string Stats() const;
  // Sets `index` to the port called `name`, or to -1 for "*".
  absl::Status ResolvePort(absl::string_view name, int* index) const;
  std::vector<size_t> Directions(int src, int dst) const;

  size_t DirectionIndex(size_t in, size_t out) const { return in * ports_.size() + out; }

  struct Client {
    UniqueFd fd;
    std::string input;
    MonoTime since;
  };

  const std::vector<PortSpec> specs_;
  const std::string control_path_;
  bool control_bound_ = false;
  std::vector<Port> ports_;
  std::vector<Direction> directions_;  // ports² entries, in * ports + out
  UniqueFd epoll_;
  UniqueFd listen_;
  UniqueFd timer_;
  UniqueFd signal_;
  std::map<int, Client> clients_;
  std::unordered_map<uint64_t, size_t> macs_;  // learned source MAC -> port

  std::vector<DelayedFrame> heap_;
  std::vector<std::vector<uint8_t>> spare_;  // recycled frame buffers
  size_t queued_bytes_ = 0;
  uint64_t next_seq_ = 0;
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
  std::vector<uint8_t> rx_;

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
    absl::Status s = OpenPort(specs_[i], i);
    if (!s.ok()) return s;
  }
  directions_.assign(ports_.size() * ports_.size(), Direction{});

  timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_.valid()) return absl::ErrnoToStatus(errno, "timerfd_create CLOCK_MONOTONIC");
  absl::Status s = Watch(timer_.get(), Source::kTimer, 0);
  if (!s.ok()) return s;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  signal_.reset(signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_.valid()) return absl::ErrnoToStatus(errno, "signalfd SIGTERM SIGINT");
  s = Watch(signal_.get(), Source::kSignal, 0);
  if (!s.ok()) return s;

  return OpenControl();
}

absl::Status Bridge::OpenPort(const PortSpec& spec, size_t index) {
  const unsigned ifindex = if_nametoindex(spec.iface.c_str());
  if (ifindex == 0) return absl::ErrnoToStatus(errno, absl::StrCat("interface ", spec.iface));
  const std::string what = absl::StrCat("port ", spec.name, " (", spec.iface, ")");

  // Protocol 0 until bind(), so no frame of another interface is queued first.
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("AF_PACKET socket for ", what));
  const int one = 1;
  struct Option {
    int level, name;
    const char* label;
  };
  for (const Option& o : {Option{SOL_PACKET, PACKET_VNET_HDR, "PACKET_VNET_HDR"},
                          Option{SOL_PACKET, PACKET_AUXDATA, "PACKET_AUXDATA"},
                          Option{SOL_PACKET, PACKET_IGNORE_OUTGOING, "PACKET_IGNORE_OUTGOING"},
                          // The kernel's receive time: how long a frame spent
                          // in the bridge, socket queue included.
                          Option{SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS"}}) {
    if (setsockopt(fd.get(), o.level, o.name, &one, sizeof(one)) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("setsockopt ", o.label, " on ", what));
    }
  }
  // Room for bursts; the *FORCE variants need CAP_NET_ADMIN, else the
  // sysctl-capped plain ones will do.
  for (const auto& [force, plain] :
       {std::pair{SO_RCVBUFFORCE, SO_RCVBUF}, std::pair{SO_SNDBUFFORCE, SO_SNDBUF}}) {
    if (setsockopt(fd.get(), SOL_SOCKET, force, &kSocketBufferBytes, sizeof(kSocketBufferBytes)) !=
        0) {
      setsockopt(fd.get(), SOL_SOCKET, plain, &kSocketBufferBytes, sizeof(kSocketBufferBytes));
    }
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind AF_PACKET on ", what));
  }
  packet_mreq mreq{};
  mreq.mr_ifindex = static_cast<int>(ifindex);
  mreq.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("promiscuous mode on ", what));
  }
  absl::Status s = Watch(fd.get(), Source::kPort, static_cast<uint32_t>(index));
  if (!s.ok()) return s;
  ports_.push_back(Port{spec.name, std::move(fd)});
  return absl::OkStatus();
}

absl::Status Bridge::OpenControl() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (control_path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("control path ", control_path_, " longer than ",
                                                   sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, control_path_.data(), control_path_.size());

  // Replace a stale socket file, but never one a live process still serves
  // and never a file that is not a socket.
  struct stat st;
  if (lstat(control_path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(
          absl::StrCat("control path ", control_path_, " exists and is not a socket"));
    }
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() &&
        connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("control socket ", control_path_, " is in use by a running process"));
    }
    unlink(control_path_.c_str());
  }

  listen_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_.valid()) return absl::ErrnoToStatus(errno, "AF_UNIX socket");
  if (bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind control socket ", control_path_));
  }
  control_bound_ = true;
  if (listen(listen_.get(), 16) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listen on ", control_path_));
  }
  return Watch(listen_.get(), Source::kListen, 0);
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
          AcceptClients();
          break;
        case Source::kClient:
          ServeClient(static_cast<int>(index));
          break;
        case Source::kTimer: {
          uint64_t expirations;
          // Only clears readiness; due frames are found by time below.
          (void)!read(timer_.get(), &expirations, sizeof(expirations));
          armed_.reset();
          break;
        }
        case Source::kSignal: {
          signalfd_siginfo info;
          if (read(signal_.get(), &info, sizeof(info)) == sizeof(info)) return absl::OkStatus();
          break;
        }
      }
    }
    ReleaseDue(MonotonicNow());
    ArmTimer();
  }
}

void Bridge::ReadPort(size_t in) {
  const int fd = ports_[in].fd.get();
  for (int k = 0; k < kFramesPerWakeup; ++k) {
    // Read 4 bytes in, so an out-of-band VLAN tag can be put back in place by
    // moving only the header in front of it.
    uint8_t* const base = rx_.data();
    iovec iov{base + kVlanTagBytes, rx_.size() - kVlanTagBytes};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata)) +
                                  CMSG_SPACE(sizeof(timespec))];
    sockaddr_ll from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno != EINTR) ++rx_errors_;  // e.g. ENETDOWN, or EINVAL (offload not mappable)
      continue;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;  // PACKET_IGNORE_OUTGOING backstop
    if (msg.msg_flags & MSG_TRUNC) {
      ++rx_oversize_;
      continue;
    }
    size_t len = static_cast<size_t>(n);
    if (len < kVnetHdrBytes + kEthernetHeaderBytes) {
      ++rx_runts_;
      continue;
    }
    uint8_t* start = base + kVlanTagBytes;
    rx_real_ns_ = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        rx_real_ns_ = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
        continue;
      }
      if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
      tpacket_auxdata aux;
      std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
      if (!(aux.tp_status & TP_STATUS_VLAN_VALID)) continue;
      std::memmove(base, start, kVnetHdrBytes + 2 * kMacBytes);
      start = base;
      len += kVlanTagBytes;
      uint8_t* tag = base + kVnetHdrBytes + 2 * kMacBytes;
      StoreBe16(tag, (aux.tp_status & TP_STATUS_VLAN_TPID_VALID)
                       ? aux.tp_vlan_tpid
                       : static_cast<uint16_t>(kEtherTypeVlan));
      StoreBe16(tag + 2, aux.tp_vlan_tci);
      // Offload offsets count from the frame start: shift them past the tag.
      VnetHeader vh;
      std::memcpy(&vh, base, sizeof(vh));
      if (vh.flags & kVnetNeedsCsum) vh.csum_start += kVlanTagBytes;
      if (vh.gso_type != kVnetGsoNone) vh.hdr_len += kVlanTagBytes;
      std::memcpy(base, &vh, sizeof(vh));
    }
    HandleFrame(in, std::span<const uint8_t>(start, len), MonotonicNow());
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
  const MonoTime release = v.release;
  if (queued_bytes_ + bytes.size() > kMaxQueuedBytes) {
    ++queue_overflows_;
    ++d.dropped;
    return;
  }
  std::vector<uint8_t> buffer;
  if (!spare_.empty()) {
    buffer = std::move(spare_.back());
    spare_.pop_back();
  }
  buffer.assign(bytes.begin(), bytes.end());
  queued_bytes_ += buffer.size();
  ++d.delayed;
  ++d.queued;
  heap_.push_back(DelayedFrame{release, next_seq_++, index, std::move(buffer)});
  std::push_heap(heap_.begin(), heap_.end(), ReleasesLater());
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
  while (!heap_.empty() && heap_.front().release <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), ReleasesLater());
    DelayedFrame frame = std::move(heap_.back());
    heap_.pop_back();
    // A delayed frame is late by how much its release was missed.
    max_release_late_ns_ =
        std::max(max_release_late_ns_, (now - frame.release) / absl::Nanoseconds(1));
    Transmit(frame.direction, frame.bytes);
    --directions_[frame.direction].queued;
    queued_bytes_ -= frame.bytes.size();
    if (spare_.size() < kMaxSpareBuffers) spare_.push_back(std::move(frame.bytes));
  }
}

void Bridge::ArmTimer() {
  if (heap_.empty()) return;  // a stale expiry only causes one empty wakeup
  const MonoTime next = heap_.front().release;
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

void Bridge::AcceptClients() {
  while (true) {
    UniqueFd fd(accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) return;  // EAGAIN, or a transient error: next wakeup
    if (clients_.size() >= kMaxControlClients) {
      // Idle connections must not lock the operator out: drop the oldest.
      auto oldest = std::min_element(
          clients_.begin(), clients_.end(),
          [](const auto& a, const auto& b) { return a.second.since < b.second.since; });
      CloseClient(oldest->first);
    }
    const int raw = fd.get();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = Tag(Source::kClient, static_cast<uint32_t>(raw));
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw, &ev) != 0) continue;
    clients_.emplace(raw, Client{std::move(fd), std::string(), MonotonicNow()});
  }
}

void Bridge::CloseClient(int fd) {
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  clients_.erase(fd);
}

void Bridge::ServeClient(int fd) {
  const auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& client = it->second;
  bool eof = false;
  char buf[1024];
  while (client.input.size() <= kMaxCommandBytes) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      client.input.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      eof = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      CloseClient(fd);
      return;
    }
    break;
  }
  const size_t newline = client.input.find('\n');
  std::string reply;
  if (newline != std::string::npos && newline <= kMaxCommandBytes) {
    reply = Execute(absl::string_view(client.input).substr(0, newline));
  } else if (client.input.size() > kMaxCommandBytes) {
    reply = ErrorReply(absl::StrCat("command longer than ", kMaxCommandBytes, " bytes"));
  } else if (eof) {
    reply = Execute(client.input);
  } else {
    return;  // wait for the rest of the line
  }
  reply += '\n';
  // A reply is at most a few tens of KiB, far below the socket buffer.
  (void)!send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  CloseClient(fd);
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
    return R"({"ok":true})";
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
  return R"({"ok":true})";
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
  return R"({"ok":true})";
}

std::string Bridge::Show() const {
  std::string out = R"({"ok":true,"directions":[)";
  bool first = true;
  const Impairment none;
  for (size_t i = 0; i < directions_.size(); ++i) {
    const Impairment& imp = directions_[i].impairment;
    if (imp == none) continue;
    absl::StrAppendFormat(&out,
                          R"(%s{"src":%s,"dst":%s,"loss":%g,"burst":%d,"delay":"%s","jitter":"%s",)"
                          R"("block":%s,"proto":"%s"})",
                          first ? "" : ",", JsonString(ports_[i / ports_.size()].name),
                          JsonString(ports_[i % ports_.size()].name), imp.loss, imp.burst,
                          absl::FormatDuration(imp.delay), absl::FormatDuration(imp.jitter),
                          imp.block ? "true" : "false",
                          imp.proto == Proto::kTachy ? "tachy" : "all");
    first = false;
  }
  out += "]}";
  return out;
}

std::string Bridge::Stats() const {
  std::string out = R"({"ok":true,"directions":[)";
  bool first = true;
  for (size_t i = 0; i < directions_.size(); ++i) {
    const Direction& d = directions_[i];
    if (!d.seen) continue;
    absl::StrAppendFormat(&out,
                          R"(%s{"src":%s,"dst":%s,"forwarded":%d,"dropped":%d,"delayed":%d,)"
                          R"("send_errors":%d,"queued":%d})",
                          first ? "" : ",", JsonString(ports_[i / ports_.size()].name),
                          JsonString(ports_[i % ports_.size()].name), d.forwarded, d.dropped,
                          d.delayed, d.send_errors, d.queued);
    first = false;
  }
  absl::StrAppendFormat(&out,
                        R"(],"rx_frames":%d,"rx_errors":%d,"rx_runts":%d,"rx_oversize":%d,)"
                        R"("queue_overflows":%d,"same_port":%d,"mac_entries":%d,)"
                        R"("forwarding":{"measured":%d,"max_delay_us":%.1f,"over_1ms":%d,)"
                        R"("max_release_late_us":%.1f,"realtime":%s}})",
                        rx_frames_, rx_errors_, rx_runts_, rx_oversize_, queue_overflows_,
                        same_port_, macs_.size(), forward_measured_, max_forward_ns_ / 1e3,
                        forward_over_1ms_, max_release_late_ns_ / 1e3,
                        realtime_ ? "true" : "false");
  return out;
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
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Bridge bridge(std::move(ports), control, *seed);
  absl::Status status = bridge.Open();
  if (status.ok() && rtprio > 0) {
    // Above the detectors (tachyd's default 50): the lab's path must never
    // be what delays a heartbeat.
    sched_param param{};
    param.sched_priority = std::min(rtprio, sched_get_priority_max(SCHED_FIFO));
    const bool fifo = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
    const bool locked = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
    bridge.set_realtime(fifo && locked);
    if (!(fifo && locked)) {
      std::fprintf(stderr, "tachy-impair-bridge: realtime priority %d %s (%s)\n",
                   param.sched_priority, fifo ? "granted, but mlockall refused" : "refused",
                   strerror(errno));
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
