#include "detector/stream/event_stream.h"

#include <type_traits>

#include "absl/strings/str_format.h"

namespace tachy {
namespace {

// One list of fields per message serves both directions: Fields(archive, m)
// is called with a Writer to encode and a Reader to decode, so the two can
// never disagree on order or width.
template <typename A, typename M>
void Fields(A& a, M& m);

template <typename A> void Fields(A& a, PeerSnapshot& m) {
  a(m.node); a(m.state); a(m.generation); a(m.since_ns); a(m.last_heard_ns); a(m.data); a(m.ready);
}
template <typename A> void Fields(A& a, HelloMsg& m) {
  a(m.node); a(m.generation); a(m.keepalive_ns); a(m.deadtime_ns); a(m.peers);
}
template <typename A> void Fields(A& a, PeerMsg& m) {
  a(m.t_ns); a(m.node); a(m.from); a(m.to); a(m.generation); a(m.last_heard_ns); a(m.reason);
}
template <typename A> void Fields(A& a, LinkMsg& m) { a(m.t_ns); a(m.node); a(m.medium); a(m.up); }
template <typename A> void Fields(A& a, PeerAdvertMsg& m) {
  a(m.t_ns); a(m.node); a(m.data); a(m.ready);
}
template <typename A> void Fields(A& a, TickMsg& m) { a(m.t_ns); a(m.frames_sent); }
template <typename A> void Fields(A& a, RequestMsg& m) { a(m.id); a(m.what); a(m.scope); }
template <typename A> void Fields(A& a, AdvertMsg& m) { a(m.data); a(m.ready); a(m.holds); }
template <typename A> void Fields(A& a, GroupsMsg& m) { a(m.json); }
template <typename A> void Fields(A& a, ReplyMsg& m) { a(m.id); a(m.ok); a(m.message); }
template <typename A> void Fields(A& a, TakeoverResource& m) { a(m.name); a(m.done_ns); }
template <typename A> void Fields(A& a, TakeoverMsg& m) {
  a(m.group); a(m.ok); a(m.cause); a(m.peer); a(m.last_frame_ns); a(m.verdict_ns);
  a(m.decision_ns); a(m.vip_ns); a(m.garp_ns); a(m.resources); a(m.done_ns); a(m.error);
}
template <typename A> void Fields(A& a, ArpConflictMsg& m) {
  a(m.t_ns); a(m.ip); a(m.mac); a(m.iface);
}
template <typename A> void Fields(A& a, MonitorMsg& m) {
  a(m.t_ns); a(m.group); a(m.resource); a(m.what); a(m.action);
}
template <typename A> void Fields(A& a, HbFieldMsg& m) { a(m.name); a(m.value); }
template <typename A> void Fields(A& a, TimingMsg& m) {
  a(m.keepalive_ns); a(m.warntime_ns); a(m.deadtime_ns);
}
template <typename A> void Fields(A& a, HbMessageMsg& m) {
  a(m.node); a(m.generation); a(m.heartbeat); a(m.fields);
}
template <typename A> void Fields(A& a, HbSendMsg& m) { a(m.fields); }

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  template <typename T>
  void operator()(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      Int(v ? 1 : 0, 1);
    } else if constexpr (std::is_enum_v<T>) {
      Int(static_cast<uint64_t>(v), 1);
    } else if constexpr (std::is_integral_v<T>) {
      Int(static_cast<uint64_t>(v), sizeof(T));
    } else if constexpr (std::is_same_v<T, std::string>) {
      // Longer strings are cut at 64 KiB - 1 (the length field's range), so
      // the length always matches what follows.
      const size_t n = std::min<size_t>(v.size(), 0xffff);
      Int(n, 2);
      out_->append(v, 0, n);
    } else if constexpr (std::is_same_v<T, RunnerData>) {
      out_->append(reinterpret_cast<const char*>(v.data()), v.size());
    } else if constexpr (requires { v.size(); v.begin(); }) {
      const size_t n = std::min<size_t>(v.size(), 0xffff);
      Int(n, 2);
      for (size_t i = 0; i < n; ++i) (*this)(v[i]);
    } else {
      Fields(*this, const_cast<T&>(v));  // Fields only reads through a Writer
    }
  }

 private:
  void Int(uint64_t v, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) out_->push_back(static_cast<char>(v >> (8 * (bytes - 1 - i))));
  }
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return at_ == in_.size(); }

  template <typename T>
  void operator()(T& v) {
    if (!ok()) return;
    if constexpr (std::is_same_v<T, bool>) {
      // Strict: one value, one encoding (what decodes encodes back alike).
      const uint64_t b = Int(1, "bool");
      if (b > 1) return Fail(absl::StrFormat("bool of value %d", b));
      v = b != 0;
    } else if constexpr (std::is_same_v<T, WirePeerState>) {
      const uint64_t e = Int(1, "state");
      if (e > static_cast<uint64_t>(WirePeerState::kDead)) {
        return Fail(absl::StrFormat("peer state %d (0..3)", e));
      }
      v = static_cast<T>(e);
    } else if constexpr (std::is_enum_v<T>) {
      static_assert(!std::is_enum_v<T>, "every enum on the stream needs its range checked");
    } else if constexpr (std::is_integral_v<T>) {
      v = static_cast<T>(Int(sizeof(T), "integer"));
    } else if constexpr (std::is_same_v<T, std::string>) {
      const size_t n = Int(2, "string length");
      if (Need(n, "string")) {
        v.assign(reinterpret_cast<const char*>(in_.data() + at_), n);
        at_ += n;
      }
    } else if constexpr (std::is_same_v<T, RunnerData>) {
      if (Need(v.size(), "runner data")) {
        std::copy_n(in_.data() + at_, v.size(), v.begin());
        at_ += v.size();
      }
    } else if constexpr (requires { v.resize(0); }) {
      const size_t n = Int(2, "list length");
      // Each element takes at least one byte: a count beyond what is left
      // is malformed, and must not make us allocate for it.
      if (!ok() || n > in_.size() - at_) return Fail("list longer than the message");
      v.resize(n);
      for (auto& e : v) (*this)(e);
    } else {
      Fields(*this, v);
    }
  }

 private:
  bool Need(size_t n, const char* what) {
    if (n <= in_.size() - at_) return true;
    Fail(absl::StrFormat("%s runs past the end (offset %d)", what, at_));
    return false;
  }
  void Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }
  uint64_t Int(size_t bytes, const char* what) {
    if (!Need(bytes, what)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | in_[at_ + i];
    at_ += bytes;
    return v;
  }

  std::span<const uint8_t> in_;
  size_t at_ = 0;
  std::string error_;
};

template <typename M>
absl::StatusOr<StreamMessage> DecodeBody(Reader& r, uint64_t seq) {
  M m;
  r(m);
  if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat("event stream: ", r.error()));
  if (!r.at_end()) return absl::InvalidArgumentError("event stream: trailing bytes");
  return StreamMessage{seq, std::move(m)};
}

}  // namespace

StreamType StreamTypeOf(const StreamBody& body) {
  static constexpr StreamType kTypes[] = {
      StreamType::kHello,   StreamType::kPeer,   StreamType::kLink,  StreamType::kPeerAdvert,
      StreamType::kTick,    StreamType::kRequest, StreamType::kAdvert, StreamType::kGroups,
      StreamType::kReply,   StreamType::kTakeover, StreamType::kArpConflict,
      StreamType::kMonitor, StreamType::kHbMessage, StreamType::kHbSend, StreamType::kTiming};
  static_assert(std::size(kTypes) == std::variant_size_v<StreamBody>);
  return kTypes[body.index()];
}

std::string EncodeStream(const StreamMessage& message) {
  std::string out;
  out.reserve(64);
  Writer w(&out);
  w(kStreamMagic);
  w(kStreamVersion);
  w(StreamTypeOf(message.body));
  w(message.seq);
  std::visit([&](const auto& m) { w(m); }, message.body);
  return out;
}

void EncodeTickInto(std::span<uint8_t, kTickSize> out, int64_t t_ns, uint64_t frames_sent) {
  auto put = [&out](size_t at, uint64_t v, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) out[at + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
  };
  put(0, kStreamMagic, 2);
  put(2, kStreamVersion, 1);
  put(3, static_cast<uint8_t>(StreamType::kTick), 1);
  put(4, 0, 8);
  put(12, static_cast<uint64_t>(t_ns), 8);
  put(20, frames_sent, 8);
}

absl::StatusOr<StreamMessage> DecodeStream(std::span<const uint8_t> bytes) {
  if (bytes.size() < kStreamHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("event stream: %d-byte message is shorter than the header",
                        bytes.size()));
  }
  Reader r(bytes);
  uint16_t magic = 0;
  uint8_t version = 0, type = 0;
  uint64_t seq = 0;
  r(magic);
  r(version);
  r(type);
  r(seq);
  if (magic != kStreamMagic) {
    return absl::InvalidArgumentError(absl::StrFormat("event stream: bad magic 0x%04x", magic));
  }
  if (version != kStreamVersion) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "event stream: version %d, this build speaks %d (tachyd and tachy-actions must come "
        "from the same release)",
        version, kStreamVersion));
  }
  switch (static_cast<StreamType>(type)) {
    case StreamType::kHello: return DecodeBody<HelloMsg>(r, seq);
    case StreamType::kPeer: return DecodeBody<PeerMsg>(r, seq);
    case StreamType::kLink: return DecodeBody<LinkMsg>(r, seq);
    case StreamType::kPeerAdvert: return DecodeBody<PeerAdvertMsg>(r, seq);
    case StreamType::kTick: return DecodeBody<TickMsg>(r, seq);
    case StreamType::kRequest: return DecodeBody<RequestMsg>(r, seq);
    case StreamType::kAdvert: return DecodeBody<AdvertMsg>(r, seq);
    case StreamType::kGroups: return DecodeBody<GroupsMsg>(r, seq);
    case StreamType::kReply: return DecodeBody<ReplyMsg>(r, seq);
    case StreamType::kTakeover: return DecodeBody<TakeoverMsg>(r, seq);
    case StreamType::kArpConflict: return DecodeBody<ArpConflictMsg>(r, seq);
    case StreamType::kMonitor: return DecodeBody<MonitorMsg>(r, seq);
    case StreamType::kHbMessage: return DecodeBody<HbMessageMsg>(r, seq);
    case StreamType::kTiming: return DecodeBody<TimingMsg>(r, seq);
    case StreamType::kHbSend: return DecodeBody<HbSendMsg>(r, seq);
  }
  return absl::InvalidArgumentError(absl::StrFormat("event stream: unknown type %d", type));
}

}  // namespace tachy
