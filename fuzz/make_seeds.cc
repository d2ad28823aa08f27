// make_seeds: writes the seed corpora of the binary fuzz targets (tachy
// frames, event-stream messages) into fuzz/corpus/, from the real encoders,
// so a change of format regenerates them:
//   build-fuzz/fuzz/make_seeds fuzz/corpus
#include <cstdio>
#include <string>

#include "arp/garp.h"
#include "detector/auth.h"
#include "detector/config/authkeys_file.h"
#include "detector/stream/event_stream.h"
#include "detector/frame.h"

namespace {

void Write(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR (it holds frame/ and event_stream/)\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto keys = tachy::ParseAuthKeys(
      "auth 1\n1 sha256 fuzz-secret\n2 sha1 fuzz-secret\n3 md5 fuzz-secret\n4 crc\n", "authkeys");
  auto ring = tachy::KeyRing::Create(*keys);
  for (uint8_t key : {1, 2, 3, 4}) {
    for (tachy::FrameType type : {tachy::FrameType::kHeartbeat, tachy::FrameType::kLeave}) {
      tachy::Frame f;
      f.type = type;
      f.key_id = key;
      f.cluster_id = tachy::NameId("linux-ha");
      f.node_id = tachy::NameId("a");
      f.generation = 7;
      f.sequence = 1000 + key;
      f.send_time_ns = 123456789;
      f.interval_us = 2000;
      f.deadtime_us = 20000;
      f.runner[0] = 0x81;
      uint8_t out[tachy::kMaxFrameSize];
      const size_t n = tachy::EncodeFrame(f, *ring->Find(key), out);
      Write(dir + "/frame/key" + std::to_string(key) + "-type" +
                std::to_string(static_cast<int>(type)),
            out, n);
      // The same frame as tachydump captures it on Ethernet.
      std::string eth = std::string(6, '\xff') + "\x02\x00\x00\x00\x00\x01" + "\x88\xb5";
      eth.append(reinterpret_cast<const char*>(out), n);
      Write(dir + "/tachydump/eth-key" + std::to_string(key) + "-type" +
                std::to_string(static_cast<int>(type)),
            eth.data(), eth.size());
    }
  }
  for (bool reply : {false, true}) {
    auto garp = tachy::BuildGarpFrame({0x02, 0, 0, 0, 0, 0x01}, "10.0.0.5", reply);
    Write(dir + "/tachydump/garp-" + (reply ? "reply" : "request"), garp->data(), garp->size());
  }
  // A Heartbeat 3 status message (netstring format) in UDP/IPv4 to port 694.
  const std::string hb =
      "###\n11:(0)t=status,12:(0)st=active,10:(0)dt=1388,13:(0)protocol=1,14:(0)src=test001,"
      "8:(0)seq=e,14:(0)hg=6b05f119,14:(0)ts=6b05f11d,8:(0)ttl=3,%%%\n"
      "42:2 cdf7eb9f2e0f9a412662a8e97e144ce657dcbc48,";
  std::string udp = std::string(6, '\xff') + "\x02\x00\x00\x00\x00\x01" + "\x08\x00";
  const size_t ip_len = 20 + 8 + hb.size();
  const unsigned char ip[20] = {0x45, 0, static_cast<unsigned char>(ip_len >> 8),
                                static_cast<unsigned char>(ip_len), 0, 1, 0x40, 0, 64, 17, 0, 0,
                                10, 0, 0, 1, 10, 0, 0, 255};
  udp.append(reinterpret_cast<const char*>(ip), sizeof(ip));
  const size_t udp_len = 8 + hb.size();
  const unsigned char uh[8] = {0xc3, 0x50, 0x02, 0xb6, static_cast<unsigned char>(udp_len >> 8),
                               static_cast<unsigned char>(udp_len), 0, 0};
  udp.append(reinterpret_cast<const char*>(uh), sizeof(uh));
  udp += hb;
  Write(dir + "/tachydump/udp-heartbeat", udp.data(), udp.size());
  Write(dir + "/tachydump/heartbeat-message", hb.data(), hb.size());

  tachy::HelloMsg hello;
  hello.node = "a";
  hello.generation = 3;
  hello.peers.push_back({});
  hello.peers.back().node = "b";
  tachy::TakeoverMsg take;
  take.group = "10.0.0.5";
  take.ok = true;
  take.resources.push_back({"httpd", 42});
  const tachy::StreamMessage messages[] = {
      {1, hello},
      {2, tachy::PeerMsg{10, "b", tachy::WirePeerState::kUp, tachy::WirePeerState::kDead, 3, 9,
                         "no heartbeat"}},
      {3, tachy::LinkMsg{11, "b", "raw:hb0", false}},
      {0, tachy::TickMsg{12, 100}},
      {4, tachy::RequestMsg{1, "standby", "all"}},
      {0, tachy::AdvertMsg{}},
      {0, tachy::GroupsMsg{"[]"}},
      {0, tachy::ReplyMsg{1, true, "ok"}},
      {0, take},
      {0, tachy::ArpConflictMsg{13, "10.0.0.5", "02:00:00:00:00:02", "eth0"}},
      {0, tachy::MonitorMsg{14, "10.0.0.5", "httpd", "main process 42 exited", "restarting"}},
  };
  int i = 0;
  for (const tachy::StreamMessage& m : messages) {
    const std::string bytes = tachy::EncodeStream(m);
    Write(dir + "/event_stream/msg" + std::to_string(i++), bytes.data(), bytes.size());
  }
  return 0;
}
