// ownership.h: who holds each resource group, decided the same way on every
// node from what every node advertises in its heartbeat frames.
//
// Each node advertises three bit sets over the haresources groups (bit i =
// the i-th line): `held` (starting, running or stopping here), `wants` (asks
// the holder to hand it over: hb_takeover, or auto_failback when a preferred
// node joins) and `declines` (hb_standby: will not hold it while another
// node can). Decide() is a pure function of that shared picture, so nodes
// that see the same frames reach the same answer, and a hand-over is
// release-then-take: a node takes a group only when no live node holds it,
// except a group of BGP-announced addresses asked for by the taker, handed
// over make-before-break (GroupView::overlap).
#ifndef TACHY_ACTIONS_OWNERSHIP_H_
#define TACHY_ACTIONS_OWNERSHIP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tachy {

using GroupMask = uint32_t;
inline constexpr size_t kMaxGroups = 16;  // wants/declines travel as 16-bit sets

struct NodeView {
  std::string name;
  bool alive = false;  // up or late (the local node is always alive)
  bool known = true;   // false while a peer is still `init` (before initdead)
  bool ready = false;  // its action runner is connected: it can take groups
  GroupMask held = 0;
  GroupMask wants = 0;
  GroupMask declines = 0;
  GroupMask probing = 0;  // not yet known whether they run there
  uint16_t ping = 0;      // ownership_ad.h: 0x8000 | ping targets reached, 0 unknown
};

// A NodeView's ping field for `reached` targets, judged.
inline uint16_t PingReach(size_t reached) {
  return static_cast<uint16_t>(0x8000u | (reached & 0x7fffu));
}

struct GroupView {
  std::string key;
  std::string preferred;
  // Make-before-break (docs/bgp.md): every address of the group is routed
  // (BGP::), so two nodes may hold it at once during a hand-over asked for
  // by the taker (auto_failback, takeover): the router sends each flow to
  // one of them.
  bool overlap = false;
};

enum class GroupAction { kKeep, kTake, kRelease };

struct Decision {
  GroupAction action = GroupAction::kKeep;
  std::string why;  // for the log: "peer b dead", "b asked for it", ...
};

// Quorum()
//
// Whether the partition this node is in may hold groups: under `majority`
// (`require_majority`), more than half of the configured nodes (`nodes`
// lists them all, the local one included) must be alive. `why` says it for
// status and the log: "2 of 3 nodes (a, b)".
struct QuorumVerdict {
  bool quorate = true;
  std::string why;
};
QuorumVerdict Quorum(const std::vector<NodeView>& nodes, bool require_majority);

// Decide()
//
// What the local node (nodes[self]) should do for every group. Peers that
// are dead do not count (their `held` is stale); while any peer is still
// unknown (`init`) nothing is taken, so a node never grabs groups before
// initdead tells it whether its peer is there. Rules, per group g:
//  - held here: release if another live ready node wants g, or if we decline
//    g and a live ready node does not, or if another live node also holds g
//    (a healed partition: the preferred node, else the lowest name, keeps it).
//  - not held here: nothing while a live node is still probing g (finding
//    out whether g runs there; the local node does not decide on a group it
//    probes); else take if no live node holds g and we are the chosen
//    candidate: among live ready nodes not declining g (all live ready nodes
//    if every one declines), one that wants g (lowest name), else the
//    preferred node, else the lowest name.
//  - without quorum (quorate false): nothing is taken, and every group held
//    here is released ("no quorum: ..."), so a minority partition never
//    serves beside the majority.
//  - with `ping_targets` > 0, ipfail's rule on the nodes whose reach is
//    judged (NodeView::ping): a held group is handed to a live ready node
//    that reaches more ping targets; candidates are those that reach the
//    most; a node that reaches none takes nothing from a dead peer (it may
//    be the one cut off).
//  - an overlap group held elsewhere is taken here anyway when this node
//    wants it and is the candidate (make-before-break); its holder lets go
//    only once the group is in `overlap_done` (the runner's: the taker has
//    held it too for the overlap time), and the taker does not count that
//    as a healed partition.
std::vector<Decision> Decide(const std::vector<GroupView>& groups,
                             const std::vector<NodeView>& nodes, size_t self,
                             const QuorumVerdict& quorum = {}, size_t ping_targets = 0,
                             GroupMask overlap_done = 0);

// ScopeMask()
//
// The groups of hb_standby/hb_takeover scope "all", "local" (preferred node
// is `self_name`) or "foreign" (the others); Heartbeat's "failback" means
// "foreign". Returns false for an unknown scope.
bool ScopeMask(const std::vector<GroupView>& groups, absl::string_view self_name,
               absl::string_view scope, GroupMask* out);

}  // namespace tachy

#endif  // TACHY_ACTIONS_OWNERSHIP_H_
