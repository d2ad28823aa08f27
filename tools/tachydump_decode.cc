#include "tools/tachydump_decode.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "actions/ownership_ad.h"
#include "detector/base/byte_order.h"
#include "detector/base/ipv4.h"
#include "detector/base/ethernet.h"

namespace tachy::dump {
namespace {

// libpcap's DLT_* numbers (pcap/dlt.h), kept here so no pcap header is needed.
constexpr int kDltEn10Mb = 1;
constexpr int kDltLinuxSll = 113;
constexpr int kDltLinuxSll2 = 276;

constexpr uint8_t kIpProtoUdp = 17;


absl::string_view AsText(std::span<const uint8_t> bytes) {
  return absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

MacAddress MacAt(const uint8_t* p) {
  MacAddress mac;
  std::memcpy(mac.data(), p, mac.size());
  return mac;
}

DecodedPacket Malformed(std::string where, std::string reason) {
  DecodedPacket out;
  out.kind = PacketKind::kMalformed;
  out.where = std::move(where);
  out.summary = std::move(reason);
  return out;
}

// A short "why" for a tachy frame ParseFrameHeader refused, named by
// RejectReasonName() so it matches tachyd's counters.
std::string TachyRejectText(RejectReason reason, std::span<const uint8_t> bytes) {
  std::string text = absl::StrCat("tachy: ", RejectReasonName(reason));
  switch (reason) {
    case RejectReason::kShort: absl::StrAppend(&text, " (", bytes.size(), " bytes)"); break;
    case RejectReason::kBadMagic:
      if (bytes.size() >= 2) {
        absl::StrAppend(&text, absl::StrFormat(" (0x%04x)", LoadBe16(bytes.data())));
      }
      break;
    case RejectReason::kBadVersion:
      if (bytes.size() >= 4) {
        absl::StrAppend(&text, absl::StrFormat(" (version %d type %d)", bytes[2], bytes[3]));
      }
      break;
    case RejectReason::kBadTag:
      if (bytes.size() > 6) absl::StrAppend(&text, " (tag length ", bytes[6], ")");
      break;
    default: break;
  }
  return text;
}

// Decodes a tachy frame, filling `out` (whose `where` is already set).
void DecodeTachy(std::span<const uint8_t> payload, bool truncated, DecodedPacket* out) {
  std::span<const uint8_t> signed_part;
  std::span<const uint8_t> tag;
  const RejectReason r = ParseFrameHeader(payload, &out->frame, &signed_part, &tag);
  out->payload_size = static_cast<uint32_t>(payload.size());
  if (r != RejectReason::kNone) {
    out->kind = PacketKind::kMalformed;
    out->summary = TachyRejectText(r, payload);
    if (truncated && r == RejectReason::kShort) {
      absl::StrAppend(&out->summary, " [truncated by snaplen]");
    }
    return;
  }
  out->kind = PacketKind::kTachy;
  out->signed_part = signed_part;
  out->tag = tag;
}

// Decodes a Heartbeat message in a UDP payload.
void DecodeHeartbeat(std::span<const uint8_t> payload, bool truncated, DecodedPacket* out) {
  out->payload_size = static_cast<uint32_t>(payload.size());
  absl::StatusOr<HeartbeatMessage> message = ParseHeartbeatMessage(payload);
  if (!message.ok()) {
    out->kind = PacketKind::kMalformed;
    out->summary = absl::StrCat("heartbeat: ", message.status().message());
    if (truncated) absl::StrAppend(&out->summary, " [truncated by snaplen]");
    return;
  }
  out->kind = PacketKind::kHeartbeat;
  out->heartbeat = *std::move(message);
}

bool StartsWithBytes(std::span<const uint8_t> bytes, absl::string_view prefix) {
  return absl::StartsWith(AsText(bytes), prefix);
}

// Hands a UDP payload to the tachy or Heartbeat decoder by its first bytes.
void DecodeUdpPayload(std::span<const uint8_t> payload, bool truncated, DecodedPacket* out) {
  if (payload.size() >= 2 && LoadBe16(payload.data()) == kFrameMagic) {
    DecodeTachy(payload, truncated, out);
  } else if (StartsWithBytes(payload, "###\n") || StartsWithBytes(payload, ">>>\n")) {
    DecodeHeartbeat(payload, truncated, out);
  } else {
    out->kind = PacketKind::kOther;
    out->summary = absl::StrCat("UDP, length ", payload.size());
  }
}

// "TCP (6)": IP protocol numbers a cluster network commonly carries.
std::string ProtoText(uint8_t proto) {
  const char* name = nullptr;
  switch (proto) {
    case 0: name = "hop-by-hop"; break;
    case 1: name = "ICMP"; break;
    case 2: name = "IGMP"; break;
    case 6: name = "TCP"; break;
    case 17: name = "UDP"; break;
    case 58: name = "ICMP6"; break;
    case 112: name = "VRRP"; break;
    default: return absl::StrCat(proto);
  }
  return absl::StrCat(name, " (", proto, ")");
}

std::string Ipv6Text(const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(AF_INET6, p, buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

// `udp` starts at the UDP header of an IPv4 or IPv6 datagram (`ip` is "IP"
// or "IP6", as tcpdump prints them); `cut` if the capture lost its end.
DecodedPacket DecodeUdp(std::span<const uint8_t> udp, absl::string_view ip,
                        const std::string& src, const std::string& dst, bool cut) {
  if (udp.size() < 8) {
    return Malformed(absl::StrCat(ip, " ", src, " > ", dst), "UDP: truncated header");
  }
  const uint16_t sport = LoadBe16(udp.data());
  const uint16_t dport = LoadBe16(udp.data() + 2);
  const size_t udp_len = LoadBe16(udp.data() + 4);
  DecodedPacket out;
  out.where = absl::StrCat(ip, " ", src, ".", sport, " > ", dst, ".", dport);
  out.medium = absl::StrCat("udp:", dst, ":", dport);
  if (udp_len < 8) return Malformed(out.where, absl::StrCat("UDP: bad length ", udp_len));
  if (udp_len > udp.size() && !cut) {
    return Malformed(
        out.where, absl::StrCat("UDP: length ", udp_len, " > ", udp.size(), " bytes in datagram"));
  }
  std::span<const uint8_t> payload = udp.subspan(8, std::min(udp.size(), udp_len) - 8);
  DecodeUdpPayload(payload, cut, &out);
  return out;
}

// `bytes` starts at the IPv4 header.
DecodedPacket DecodeIpv4(std::span<const uint8_t> bytes, bool truncated) {
  if (bytes.size() < 20) {
    return Malformed("", absl::StrCat("IPv4: truncated header (", bytes.size(), " bytes)"));
  }
  const uint8_t* p = bytes.data();
  if ((p[0] >> 4) != 4) return Malformed("", absl::StrCat("IPv4: version ", p[0] >> 4));
  const size_t ihl = size_t{p[0] & 0x0fu} * 4;
  if (ihl < 20 || ihl > bytes.size()) {
    return Malformed("", absl::StrCat("IPv4: bad header length ", ihl));
  }
  const size_t total = LoadBe16(p + 2);
  if (total < ihl) return Malformed("", absl::StrCat("IPv4: total length ", total, " < header"));
  // Ethernet padding follows short datagrams: trust the IP length, not the frame.
  std::span<const uint8_t> datagram = bytes.first(std::min(bytes.size(), total));
  const bool cut = truncated || bytes.size() < total;
  const std::string src = FormatIpv4(LoadBe32(p + 12));
  const std::string dst = FormatIpv4(LoadBe32(p + 16));
  const uint16_t frag = LoadBe16(p + 6);
  if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0) {
    DecodedPacket out;
    out.where = absl::StrCat("IP ", src, " > ", dst);
    out.summary =
        absl::StrFormat("fragment id %d offset %d%s, proto %s, length %d", LoadBe16(p + 4),
                        (frag & 0x1fff) * 8, (frag & 0x2000) ? "+" : "", ProtoText(p[9]), total);
    return out;
  }
  if (p[9] != kIpProtoUdp) {
    DecodedPacket out;
    out.where = absl::StrCat("IP ", src, " > ", dst);
    out.summary = absl::StrCat("proto ", ProtoText(p[9]), ", length ", total);
    return out;
  }
  return DecodeUdp(datagram.subspan(ihl), "IP", src, dst, cut);
}

// `bytes` starts at the IPv6 header. Only UDP directly after the fixed
// header is decoded; extension headers get a summary.
DecodedPacket DecodeIpv6(std::span<const uint8_t> bytes, bool truncated) {
  if (bytes.size() < 40) {
    return Malformed("", absl::StrCat("IPv6: truncated header (", bytes.size(), " bytes)"));
  }
  const uint8_t* p = bytes.data();
  if ((p[0] >> 4) != 6) return Malformed("", absl::StrCat("IPv6: version ", p[0] >> 4));
  const size_t plen = LoadBe16(p + 4);
  const std::string src = Ipv6Text(p + 8);
  const std::string dst = Ipv6Text(p + 24);
  std::span<const uint8_t> body = bytes.subspan(40);
  const bool cut = truncated || body.size() < plen;
  body = body.first(std::min(body.size(), plen));
  if (p[6] != kIpProtoUdp) {
    DecodedPacket out;
    out.where = absl::StrCat("IP6 ", src, " > ", dst);
    out.summary = absl::StrCat("next header ", ProtoText(p[6]), ", payload length ", plen);
    return out;
  }
  return DecodeUdp(body, "IP6", src, dst, cut);
}

// `payload` starts at the ARP header; the MACs are the link-layer ones.
DecodedPacket DecodeArp(std::span<const uint8_t> payload, bool truncated) {
  if (payload.size() < kArpPacketBytes) {
    return Malformed("", absl::StrCat("ARP: truncated (", payload.size(), " of ", kArpPacketBytes,
                                      " bytes)", truncated ? " [truncated by snaplen]" : ""));
  }
  DecodedPacket out;
  if (!ParseArpPayload(payload.data(), payload.size(), &out.arp)) {
    out.kind = PacketKind::kOther;
    out.summary = absl::StrFormat("ARP, hardware type %d, protocol 0x%04x, op %d, length %d",
                                  LoadBe16(payload.data()), LoadBe16(payload.data() + 2),
                                  LoadBe16(payload.data() + 6), payload.size());
    return out;
  }
  out.kind = PacketKind::kArp;
  out.arp_target_mac = MacAt(payload.data() + 18);
  return out;
}

// Decodes from the ethertype on; `where_l2` describes the link layer for
// frames that have no IP addresses.
DecodedPacket DecodeL3(uint16_t ethertype, std::span<const uint8_t> payload, const MacAddress& dst,
                       const MacAddress& src, bool truncated) {
  const std::string where_l2 = absl::StrCat(FormatMac(src), " > ", FormatMac(dst));
  switch (ethertype) {
    case kEtherType: {
      DecodedPacket out;
      out.where = where_l2;
      out.medium = "raw";
      DecodeTachy(payload, truncated, &out);
      return out;
    }
    case kEtherTypeArp: return DecodeArp(payload, truncated);
    case kEtherTypeIpv4: return DecodeIpv4(payload, truncated);
    case kEtherTypeIpv6: return DecodeIpv6(payload, truncated);
    default: {
      DecodedPacket out;
      out.where = where_l2;
      out.summary = absl::StrFormat("ethertype 0x%04x, length %d", ethertype, payload.size());
      return out;
    }
  }
}

DecodedPacket DecodeEthernet(std::span<const uint8_t> bytes, bool truncated) {
  if (bytes.size() < kEthernetHeaderBytes) {
    return Malformed("", absl::StrCat("Ethernet: truncated header (", bytes.size(), " bytes)"));
  }
  const MacAddress dst = MacAt(bytes.data());
  const MacAddress src = MacAt(bytes.data() + 6);
  size_t off = 12;
  uint16_t ethertype = LoadBe16(bytes.data() + off);
  // Up to two VLAN tags (802.1Q, QinQ).
  for (int tags = 0; tags < 2 && (ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ);
       ++tags) {
    if (bytes.size() < off + 6) return Malformed("", "Ethernet: truncated VLAN tag");
    off += 4;
    ethertype = LoadBe16(bytes.data() + off);
  }
  return DecodeL3(ethertype, bytes.subspan(off + 2), dst, src, truncated);
}

// Linux cooked capture v1 (16 bytes) and v2 (20 bytes): only a source
// address; the destination shows as 00:00:00:00:00:00.
DecodedPacket DecodeSll(std::span<const uint8_t> bytes, bool v2, bool truncated) {
  const size_t header = v2 ? 20 : 16;
  if (bytes.size() < header) {
    return Malformed("", absl::StrCat("Linux cooked header truncated (", bytes.size(), " bytes)"));
  }
  const uint8_t* p = bytes.data();
  const uint16_t protocol = v2 ? LoadBe16(p) : LoadBe16(p + 14);
  const size_t addr_len = v2 ? p[11] : LoadBe16(p + 4);
  const uint8_t* addr = v2 ? p + 12 : p + 6;
  MacAddress src{};
  if (addr_len == 6) src = MacAt(addr);
  return DecodeL3(protocol, bytes.subspan(header), MacAddress{}, src, truncated);
}

// A value as it should appear on one line: quoted if it has spaces, escaped
// if it has control bytes.
std::string ShowValue(absl::string_view value) {
  if (value.empty()) return "\"\"";
  if (!IsPrintable(value)) return absl::StrCat("\"", absl::CHexEscape(value), "\"");
  if (absl::StrContains(value, ' ') || absl::StrContains(value, '"')) {
    return absl::StrCat("\"", absl::CEscape(value), "\"");
  }
  return std::string(value);
}

std::string ShowField(const HeartbeatField& f, HeartbeatMessage::Format format) {
  const std::string name = PrintableText(f.name);
  if (f.type == 0) return absl::StrCat(name, "=", ShowValue(f.value));
  if (f.type == 1) {
    std::string raw = f.value;
    // Classic carries binary as base64; decode so both formats read the same.
    if (format == HeartbeatMessage::Format::kClassic) {
      std::string decoded;
      if (absl::Base64Unescape(f.value, &decoded)) raw = std::move(decoded);
    }
    const std::string hex = absl::BytesToHexString(raw);
    if (raw.size() == 16 && absl::EndsWith(f.name, "uuid")) {
      return absl::StrCat(name, "=", hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                          hex.substr(12, 4), "-", hex.substr(16, 4), "-", hex.substr(20));
    }
    if (raw.size() <= 32) return absl::StrCat(name, "=0x", hex);
    return absl::StrCat(name, "=<", raw.size(), " bytes>");
  }
  static constexpr const char* kTypeNames[] = {"string", "binary",     "struct",
                                               "list",   "compressed", "uncompressed"};
  const char* type_name = f.type < 6 ? kTypeNames[f.type] : "type";
  return absl::StrCat(name, "=<", type_name, " ", f.value.size(), " bytes>");
}

absl::string_view FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kHeartbeat: return "heartbeat";
    case FrameType::kLeave: return "leave";
  }
  return "?";
}

std::string StateName(SenderState state) {
  switch (state) {
    case SenderState::kInit: return "init";
    case SenderState::kActive: return "active";
    case SenderState::kStandby: return "standby";
    case SenderState::kLeaving: return "leaving";
  }
  return absl::StrCat("state", static_cast<int>(state));
}

// "100ms", "1s", "1.5ms", "250us".
std::string Micros(uint32_t us) {
  if (us != 0 && us % 1000000 == 0) return absl::StrCat(us / 1000000, "s");
  if (us % 1000 == 0) return absl::StrCat(us / 1000, "ms");
  if (us > 1000) return absl::StrFormat("%.3fms", us / 1000.0);
  return absl::StrCat(us, "us");
}

}  // namespace

bool IsPrintable(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string PrintableText(absl::string_view s) {
  return IsPrintable(s) ? std::string(s) : absl::CHexEscape(s);
}

std::optional<LinkType> LinkTypeFromDlt(int dlt) {
  switch (dlt) {
    case kDltEn10Mb: return LinkType::kEthernet;
    case kDltLinuxSll: return LinkType::kLinuxSll;
    case kDltLinuxSll2: return LinkType::kLinuxSll2;
    default: return std::nullopt;
  }
}

DecodedPacket DecodePacket(std::span<const uint8_t> bytes, uint32_t wire_len, LinkType link) {
  const bool truncated = bytes.size() < wire_len;
  switch (link) {
    case LinkType::kEthernet: return DecodeEthernet(bytes, truncated);
    case LinkType::kLinuxSll: return DecodeSll(bytes, false, truncated);
    case LinkType::kLinuxSll2: return DecodeSll(bytes, true, truncated);
  }
  return Malformed("", "unknown link type");
}

NameBook::NameBook() { AddCluster("linux-ha"); }

void NameBook::AddNode(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  nodes_[NameId(lower)] = lower;
}

void NameBook::AddCluster(absl::string_view name) { clusters_[NameId(name)] = std::string(name); }

std::string NameBook::NodeName(uint32_t id) const {
  auto it = nodes_.find(id);
  return it != nodes_.end() ? it->second : absl::StrFormat("0x%08x", id);
}

std::string NameBook::ClusterName(uint32_t id) const {
  auto it = clusters_.find(id);
  return it != clusters_.end() ? it->second : absl::StrFormat("0x%08x", id);
}

std::string FormatTachyFrame(const Frame& f, size_t tag_size, const NameBook& names) {
  std::string node = absl::StrFormat("0x%08x", f.node_id);
  if (names.KnowsNode(f.node_id)) node = absl::StrCat(names.NodeName(f.node_id), " (", node, ")");
  std::string flags = absl::StrFormat("0x%02x", f.flags);
  if (f.flags & kFlagActionsReady) absl::StrAppend(&flags, "<actions-ready>");
  // The runner data is tachyd's opaque payload; tachy-actions fills it with
  // its ownership advertisement, which is what a reader of a capture wants.
  const OwnershipAd ad = DecodeOwnershipAd(f.runner);
  // Only while a restarted runner probes: most frames do not carry it.
  const std::string probing = ad.probing == 0 ? "" : absl::StrFormat(" probing 0x%x", ad.probing);
  return absl::StrFormat(
      "tachy %s node %s cluster %s gen %d seq %d state %s flags %s keepalive %s deadtime %s "
      "held 0x%x wants 0x%x declines 0x%x%s digest 0x%08x sent %s%d.%09d key %d tag %d",
      FrameTypeName(f.type), node, names.ClusterName(f.cluster_id), f.generation, f.sequence,
      StateName(f.state), flags, Micros(f.interval_us), Micros(f.deadtime_us), ad.held, ad.wants,
      ad.declines, probing, ad.digest, f.send_time_ns < 0 ? "-" : "",
      std::abs(f.send_time_ns / 1000000000),
      std::abs(f.send_time_ns % 1000000000), f.key_id, tag_size);
}

std::string FormatHeartbeat(const HeartbeatMessage& message, uint32_t size) {
  static constexpr absl::string_view kFirst[] = {"t", "src", "seq", "hg", "st"};
  std::vector<std::string> parts;
  std::vector<bool> shown(message.fields.size(), false);
  for (absl::string_view name : kFirst) {
    for (size_t i = 0; i < message.fields.size(); ++i) {
      if (message.fields[i].name == name) {
        parts.push_back(ShowField(message.fields[i], message.format));
        shown[i] = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < message.fields.size(); ++i) {
    if (shown[i] || message.fields[i].name == "auth") continue;
    parts.push_back(ShowField(message.fields[i], message.format));
  }
  // The message by name first, as Heartbeat's resource protocol reads:
  // "ask_resources other", "resource all stable", "NS_rexmit 20..20".
  const std::string type = PrintableText(message.Value("t"));
  std::string name = type;
  if (type == "ask_resources") {
    absl::StrAppend(&name, " ", PrintableText(message.Value("info")));
  } else if (type == "resource") {
    absl::StrAppend(&name, " ", PrintableText(message.Value("rsc_hold")));
    if (message.Find("isstable") != nullptr) {
      absl::StrAppend(&name, message.Value("isstable") == "1" ? " stable" : " unstable");
    }
    if (message.Find("info") != nullptr) {
      absl::StrAppend(&name, " (", PrintableText(message.Value("info")), ")");
    }
  } else if (type == "hb_takeover") {
    absl::StrAppend(&name, " ", PrintableText(message.Value("rsc_hold")));
  } else if (type == "NS_rexmit") {
    absl::StrAppend(&name, " ", PrintableText(message.Value("firstseq")), "..",
                    PrintableText(message.Value("lastseq")), " for ",
                    PrintableText(message.Value("dest")));
  } else if (type == "NS_nak_rexmit") {
    absl::StrAppend(&name, " ", PrintableText(message.Value("firstseq")));
  }
  std::string out = absl::StrCat(
      "heartbeat ", message.format == HeartbeatMessage::Format::kClassic ? "classic" : "netstring",
      // Status, the common case, reads as before: its fields say it all.
      " ", type == "status" ? "" : absl::StrCat(name.empty() ? "?" : name, ": "),
      absl::StrJoin(parts, " "), ", length ", size);
  if (message.has_auth) absl::StrAppend(&out, ", key ", message.auth_index);
  return out;
}


std::string FormatArp(const ArpClaim& claim) {
  const char* op = claim.reply ? "Reply" : "Request";
  if (claim.gratuitous) {
    return absl::StrCat("ARP, Gratuitous ", op, ": ", FormatMac(claim.sender_mac), " claims ",
                        FormatIpv4(claim.sender_ip));
  }
  if (claim.reply) {
    return absl::StrCat("ARP, Reply ", FormatIpv4(claim.sender_ip), " is-at ",
                        FormatMac(claim.sender_mac));
  }
  return absl::StrCat("ARP, Request who-has ", FormatIpv4(claim.target_ip), " tell ",
                      FormatIpv4(claim.sender_ip), " (", FormatMac(claim.sender_mac), ")");
}

absl::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kOk: return "ok";
    case Verdict::kBadSignature: return "bad-signature";
    case Verdict::kUnknownKey: return "unknown-key";
    case Verdict::kRefusedKey: return "refused-key";
    case Verdict::kReplay: return "replay";
    case Verdict::kUnverified: return "unverified";
  }
  return "?";
}

absl::StatusOr<Verifier> Verifier::Create(const AuthKeys& keys) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(keys);
  if (!ring.ok()) return ring.status();
  Verifier v;
  v.keys_ = keys;
  v.ring_.emplace(*std::move(ring));
  return v;
}

Verdict Verifier::VerifyTachy(const DecodedPacket& packet) const {
  if (!ring_.has_value()) return Verdict::kUnverified;
  const Authenticator* auth = ring_->Find(packet.frame.key_id);
  if (auth == nullptr) return Verdict::kUnknownKey;
  if (!auth->Verify(packet.signed_part, packet.tag)) return Verdict::kBadSignature;
  return ring_->Accepted(packet.frame.key_id) != nullptr ? Verdict::kOk : Verdict::kRefusedKey;
}

Verdict Verifier::VerifyHeartbeat(const HeartbeatMessage& message) const {
  if (!keys_.has_value()) return Verdict::kUnverified;
  if (!message.has_auth) return Verdict::kBadSignature;
  const AuthKey* key = keys_->Find(message.auth_index);
  if (key == nullptr) return Verdict::kUnknownKey;
  // Heartbeat verifies with the index's method but its own `auth N` key
  // (§3.3 quirk); a capture tool has no "own" key, so it uses the key of the
  // index the message names, which is what every sane config has anyway.
  const std::string expected = HeartbeatDigest(key->method, key->key, message.signed_text);
  return absl::AsciiStrToLower(message.auth_digest) == expected ? Verdict::kOk
                                                                : Verdict::kBadSignature;
}

}  // namespace tachy::dump
