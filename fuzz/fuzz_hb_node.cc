// fuzz_hb_node: tachyd's Heartbeat member on arbitrary messages from a
// configured peer. The input is split into datagrams at "\n--\n" marks;
// each one that parses is signed again with the cluster's key before it is
// fed (a forger's bytes stop at the signature; the peer's own go on into
// the sequence window, retransmission and delivery), then fed as it came.
// Time moves between datagrams so the timers run too.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "detector/hb_message.h"
#include "detector/hb_node.h"
#include "fuzz/fuzz_target.h"

namespace {

tachy::AuthKeys Keys() {
  tachy::AuthKeys keys;
  keys.active_index = 2;
  keys.keys.push_back({2, tachy::AuthMethod::kSha1, "testpass"});
  return keys;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tachy::HbNodeOptions o;
  o.local_node = "test002";
  o.nodes = {"test001", "test002"};
  o.keepalive = absl::Milliseconds(100);
  o.deadtime = absl::Milliseconds(500);
  o.generation = 7;
  o.uuid = "0123456789abcdef";
  o.keys = Keys();
  o.wall_seconds = [] { return int64_t{1}; };
  tachy::HeartbeatNode node(o);
  tachy::MonoTime now = tachy::MonoTime::FromNanos(1'000'000'000);
  const std::string input(reinterpret_cast<const char*>(data), size);
  int count = 0;
  for (absl::string_view piece : absl::StrSplit(input, "\n--\n")) {
    if (++count > 64) break;
    tachy::HeartbeatNode::Output out;
    const std::string raw(piece);
    absl::StatusOr<tachy::HeartbeatMessage> m = tachy::ParseHeartbeatMessage(Bytes(raw));
    if (m.ok()) {
      std::vector<tachy::HeartbeatField> fields;
      for (const tachy::HeartbeatField& f : m->fields) {
        if (f.name != "auth") fields.push_back(f);
      }
      node.OnDatagram(Bytes(tachy::EncodeHeartbeatMessage(fields, o.keys)), 0, now, now, &out);
    }
    node.OnDatagram(Bytes(raw), 0, now, now, &out);
    now = now + absl::Milliseconds(70);
    node.Advance(now, &out);
    node.Send({{"t", "resource"}, {"rsc_hold", "all"}}, now, &out);
  }
  return 0;
}
