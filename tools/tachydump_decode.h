// tachydump_decode.h: stateless decoding of captured packets for tachydump.
//
// DecodePacket() walks one captured link-layer frame (Ethernet, optionally
// VLAN-tagged, or Linux cooked capture) down to what tachydump cares about:
// tachy frames (ethertype 0x88B5, or any UDP payload opening with the tachy
// magic), Heartbeat 3 messages in UDP (classic `>>>` and netstring `###`),
// and IPv4-over-Ethernet ARP. Everything else gets a one-line summary.
// Every read is bounds-checked: truncated or malformed input becomes a
// kMalformed packet with the reason, never a crash.
//
// Verifier checks signatures (tachy tags and Heartbeat digests) against an
// authkeys file; replay detection needs history and lives in
// tachydump_stats.h.
#ifndef TACHY_TOOLS_TACHYDUMP_DECODE_H_
#define TACHY_TOOLS_TACHYDUMP_DECODE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "arp/arp_watcher.h"
#include "detector/auth.h"
#include "detector/config/auth_keys.h"
#include "detector/frame.h"
#include "detector/hb_message.h"

namespace tachy::dump {

// The capture's link-layer header type (libpcap DLT_EN10MB, DLT_LINUX_SLL,
// DLT_LINUX_SLL2). The caller maps pcap_datalink(); see LinkTypeFromDlt().
enum class LinkType { kEthernet, kLinuxSll, kLinuxSll2 };

// LinkTypeFromDlt()
//
// The LinkType of a libpcap DLT_* value, or nullopt if tachydump cannot
// decode it.
std::optional<LinkType> LinkTypeFromDlt(int dlt);

// IsPrintable(), PrintableText()
//
// Whether `s` is printable ASCII; `s` with anything else \x-escaped, so
// names from the wire can neither garble a terminal nor break JSON.
bool IsPrintable(absl::string_view s);
std::string PrintableText(absl::string_view s);

enum class PacketKind { kTachy, kHeartbeat, kArp, kOther, kMalformed };

// One decoded packet. `signed_part` and `tag` point into the bytes given to
// DecodePacket() and are valid only as long as those bytes.
struct DecodedPacket {
  PacketKind kind = PacketKind::kOther;
  // tcpdump-like addresses: "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff" for raw
  // Ethernet, "IP 10.0.0.1.40000 > 10.0.0.255.694" for UDP; empty for ARP.
  std::string where;
  // The medium a tachy/Heartbeat message came over, for per-medium replay
  // checks: "raw" or "udp:DST:PORT".
  std::string medium;
  uint32_t payload_size = 0;  // bytes of the tachy/Heartbeat payload

  // kTachy
  Frame frame;
  std::span<const uint8_t> signed_part;
  std::span<const uint8_t> tag;

  // kHeartbeat
  HeartbeatMessage heartbeat;

  // kArp
  ArpClaim arp;
  MacAddress arp_target_mac{};

  // kOther: the summary ("UDP, length 40"); kMalformed: what and why
  // ("tachy: short (40 bytes)").
  std::string summary;
};

// DecodePacket()
//
// Decodes `bytes` (the captured part, caplen) of a packet `wire_len` bytes
// long on the wire. Never fails: problems give kMalformed with a reason.
DecodedPacket DecodePacket(std::span<const uint8_t> bytes, uint32_t wire_len, LinkType link);

// Names for node and cluster ids (FNV-1a of the name, as tachyd sends them).
class NameBook {
 public:
  NameBook();  // knows the default cluster "linux-ha"
  void AddNode(absl::string_view name);
  void AddCluster(absl::string_view name);

  // NodeName(), ClusterName()
  //
  // The known name, or "0x%08x".
  std::string NodeName(uint32_t id) const;
  std::string ClusterName(uint32_t id) const;
  bool KnowsNode(uint32_t id) const { return nodes_.contains(id); }

 private:
  absl::flat_hash_map<uint32_t, std::string> nodes_;
  absl::flat_hash_map<uint32_t, std::string> clusters_;
};

// FormatTachyFrame()
//
// Every field of a parsed frame on one line:
// "tachy heartbeat node alice (0x4c1e8c6a) cluster linux-ha gen 3 seq 42 ...".
std::string FormatTachyFrame(const Frame& frame, size_t tag_size, const NameBook& names);

// FormatHeartbeat()
//
// "heartbeat netstring t=status src=alice seq=2a hg=1b st=active ..., key 1";
// the auth field is left out (its index is shown as "key N").
std::string FormatHeartbeat(const HeartbeatMessage& message, uint32_t size);

// FormatArp()
//
// "ARP, Request who-has 10.0.0.2 tell 10.0.0.1 (02:00:00:00:00:01)",
// "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02", or for gratuitous ARP
// "ARP, Gratuitous Reply: 02:00:00:00:00:01 claims 192.168.1.100".
std::string FormatArp(const ArpClaim& claim);

// kRefusedKey: authentic, but signed with a key that is defined in authkeys
// and neither signs (`auth N`) nor rotates (`rotate N`): tachyd refuses it and
// counts it as unknown_key, like a key it does not have.
enum class Verdict { kOk, kBadSignature, kUnknownKey, kRefusedKey, kReplay, kUnverified };

// VerdictName()
//
// "ok", "bad-signature", "unknown-key", "refused-key", "replay", "unverified".
absl::string_view VerdictName(Verdict verdict);

// Verifier
//
// Checks signatures with the keys of one authkeys file. Without keys every
// message is kUnverified. Never returns kReplay (that needs history).
class Verifier {
 public:
  Verifier() = default;

  // Create()
  //
  // kInvalidArgument if a key cannot be used (see KeyRing::Create).
  static absl::StatusOr<Verifier> Create(const AuthKeys& keys);

  bool has_keys() const { return keys_.has_value(); }

  // VerifyTachy(): the tag with the frame's key id via Authenticator::Verify,
  // then tachyd's key rule (KeyRing::Accepted).
  Verdict VerifyTachy(const DecodedPacket& packet) const;

  // VerifyHeartbeat(): classic auth= field or netstring trailer via
  // HeartbeatDigest() with the key of the index the message names. A message
  // without a digest is kBadSignature.
  Verdict VerifyHeartbeat(const HeartbeatMessage& message) const;

 private:
  std::optional<AuthKeys> keys_;
  std::optional<KeyRing> ring_;
};

}  // namespace tachy::dump

#endif  // TACHY_TOOLS_TACHYDUMP_DECODE_H_
