// event_stream.h: the typed messages between tachyd and its action runner,
// and their one codec (both sides link this file).
//
// The event stream is a Unix SOCK_SEQPACKET connection; one message per
// packet. Every message starts with the same 12-byte header:
//
//   off size field (network byte order)
//    0   2   magic 0x5445 ("TE")
//    2   1   version (kStreamVersion): a reader refuses other versions
//    3   1   type (StreamType)
//    4   8   seq: tachyd numbers what it sends 1, 2, 3... after the hello
//            (which carries the number of the last message before it); a
//            runner sends 0
//
// then the type's fields in declaration order: integers big-endian, bools
// one byte, strings and byte strings a 2-byte length then the bytes, lists a
// 2-byte count then the elements. Decoding is bounds-checked and refuses
// trailing bytes; docs/control-protocol.md lists every field.
#ifndef TACHY_DETECTOR_STREAM_EVENT_STREAM_H_
#define TACHY_DETECTOR_STREAM_EVENT_STREAM_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "detector/stream/runner_data.h"

namespace tachy {

inline constexpr uint16_t kStreamMagic = 0x5445;
inline constexpr uint8_t kStreamVersion = 4;
inline constexpr size_t kStreamHeaderSize = 12;
// Larger messages are refused by the encoder's caller and the reader.
inline constexpr size_t kMaxStreamMessage = 64 * 1024;

enum class StreamType : uint8_t {
  // tachyd -> runner
  kHello = 1,
  kPeer = 2,
  kLink = 3,
  kPeerAdvert = 4,
  kTick = 5,
  kRequest = 6,
  kHbMessage = 7,
  kTiming = 8,
  // runner -> tachyd
  kAdvert = 16,
  kGroups = 17,
  kReply = 18,
  kTakeover = 19,
  kArpConflict = 20,
  kMonitor = 21,
  kHbSend = 22,
};

// Peer states as they travel (detector/peer_state.h order).
enum class WirePeerState : uint8_t { kInit = 0, kUp = 1, kLate = 2, kDead = 3 };

struct PeerSnapshot {
  std::string node;
  WirePeerState state = WirePeerState::kInit;
  uint64_t generation = 0;
  int64_t since_ns = 0;       // when it entered `state` (CLOCK_MONOTONIC)
  int64_t last_heard_ns = 0;  // its newest frame; 0 = never heard
  RunnerData data{};          // its runner's advertisement (opaque)
  bool ready = false;         // its runner is connected and has probed
};

// First message on every connection: the state the events that follow
// change. seq = the number of the last message sent before it.
struct HelloMsg {
  std::string node;
  uint64_t generation = 0;
  int64_t keepalive_ns = 0;
  int64_t deadtime_ns = 0;
  std::vector<PeerSnapshot> peers;
};

// A peer changed state. `t_ns` is the verdict (the timer's time for a
// timeout, the kernel receive time of the frame otherwise); `last_heard_ns`
// the peer's newest frame before it.
struct PeerMsg {
  int64_t t_ns = 0;
  std::string node;
  WirePeerState from = WirePeerState::kInit;
  WirePeerState to = WirePeerState::kInit;
  uint64_t generation = 0;
  int64_t last_heard_ns = 0;
  std::string reason;
};

struct LinkMsg {
  int64_t t_ns = 0;
  std::string node;
  std::string medium;
  bool up = false;
};

// A peer's runner data or readiness changed.
struct PeerAdvertMsg {
  int64_t t_ns = 0;
  std::string node;
  RunnerData data{};
  bool ready = false;
};

// The pulse: sent by the detector thread itself after each of its
// heartbeats, so it proves that thread runs (a tick from any other thread
// would not). Unnumbered (seq 0): it is not an event, and a reader does not
// count it in the sequence. A runner that hears nothing for half the
// deadtime takes its tachyd for gone. `frames_sent` is the detector's count.
struct TickMsg {
  int64_t t_ns = 0;
  uint64_t frames_sent = 0;
};

// An operator's request (tachyctl standby/takeover) or tachyd's own
// ("shutdown": release everything, tachyd is stopping). id 0 wants no reply.
struct RequestMsg {
  uint64_t id = 0;
  std::string what;   // "standby", "takeover", "shutdown"
  std::string scope;  // "all", "local", "foreign"
};

// What to put in our frames, and whether the runner holds anything (tachyd
// waits for "holds nothing" before a clean shutdown).
struct AdvertMsg {
  RunnerData data{};
  bool ready = false;
  bool holds = false;
};

// The runner's group report for `tachyctl status` (a JSON array, passed on
// unread).
struct GroupsMsg {
  std::string json;
};

struct ReplyMsg {
  uint64_t id = 0;
  bool ok = false;
  std::string message;
};

struct TakeoverResource {
  std::string name;
  int64_t done_ns = 0;
};

// One take of a group, every step on CLOCK_MONOTONIC (0 = did not happen):
// the peer's last frame, the verdict, the runner's decision, VIP added,
// first gratuitous ARP sent, each resource started, done.
struct TakeoverMsg {
  std::string group;
  bool ok = false;
  std::string cause;  // "peer a dead", "a asked for it", ...
  std::string peer;   // the dead peer, if a death caused it
  int64_t last_frame_ns = 0;
  int64_t verdict_ns = 0;
  int64_t decision_ns = 0;
  int64_t vip_ns = 0;
  int64_t garp_ns = 0;
  std::vector<TakeoverResource> resources;
  int64_t done_ns = 0;
  std::string error;
};

struct ArpConflictMsg {
  int64_t t_ns = 0;
  std::string ip;
  std::string mac;
  std::string iface;
};

// A held group's resource failed (the runner's monitoring): when it was
// noticed, how, and what the runner does about it.
struct MonitorMsg {
  int64_t t_ns = 0;      // noticed (CLOCK_MONOTONIC)
  std::string group;
  std::string resource;  // the haresources token
  std::string what;      // "main process 4242 exited", "status says not running", ...
  std::string action;    // "restarting it here", "handing the group over", ...
};

// One string field of a Heartbeat message.
struct HbFieldMsg {
  std::string name;
  std::string value;
};

// A Heartbeat peer's message for the runner's Heartbeat resource protocol
// (actions/hb_resources.h): its type-specific fields, `t` first. With no
// fields it only says whether `node` speaks Heartbeat (detector/hb_node.h):
// sent when that changes and again after every hello.
struct HbMessageMsg {
  std::string node;
  uint64_t generation = 0;
  bool heartbeat = true;
  std::vector<HbFieldMsg> fields;
};

// The runner's message for the Heartbeat peers: type-specific fields, `t`
// first; tachyd adds the control fields, numbers and signs it.
struct HbSendMsg {
  std::vector<HbFieldMsg> fields;
};

// tachyd's timing changed (a reload, detector/tachyd/reload_plan.h): the runner
// judges its tachyd's silence and paces its checks by it from now on.
struct TimingMsg {
  int64_t keepalive_ns = 0;
  int64_t warntime_ns = 0;
  int64_t deadtime_ns = 0;
};

using StreamBody = std::variant<HelloMsg, PeerMsg, LinkMsg, PeerAdvertMsg, TickMsg, RequestMsg,
                                AdvertMsg, GroupsMsg, ReplyMsg, TakeoverMsg, ArpConflictMsg,
                                MonitorMsg, HbMessageMsg, HbSendMsg, TimingMsg>;

struct StreamMessage {
  uint64_t seq = 0;
  StreamBody body;
};

// StreamTypeOf()
//
// The wire type of a body.
StreamType StreamTypeOf(const StreamBody& body);

// EncodeStream()
//
// The packet for `message`.
std::string EncodeStream(const StreamMessage& message);

// kTickSize, EncodeTickInto()
//
// A tick without allocating (the detector thread sends it): the same bytes
// as EncodeStream({0, TickMsg{t_ns, frames_sent}}).
inline constexpr size_t kTickSize = kStreamHeaderSize + 16;
void EncodeTickInto(std::span<uint8_t, kTickSize> out, int64_t t_ns, uint64_t frames_sent);

// DecodeStream()
//
// One packet back into a message. kInvalidArgument (with what was wrong:
// short, bad magic, version, unknown type, a field running past the end,
// trailing bytes) for anything malformed; never reads past `bytes`.
absl::StatusOr<StreamMessage> DecodeStream(std::span<const uint8_t> bytes);

}  // namespace tachy

#endif  // TACHY_DETECTOR_STREAM_EVENT_STREAM_H_
