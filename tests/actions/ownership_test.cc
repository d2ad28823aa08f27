#include "actions/ownership.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tachy {
namespace {

// Two groups: g0 prefers a, g1 prefers b.
const std::vector<GroupView> kGroups = {{"10.0.0.1", "a"}, {"10.0.0.2", "b"}};

NodeView Node(std::string name, GroupMask held = 0, bool alive = true) {
  NodeView n;
  n.name = std::move(name);
  n.alive = alive;
  n.ready = true;
  n.held = held;
  return n;
}

std::vector<GroupAction> Actions(const std::vector<NodeView>& nodes, size_t self = 0) {
  std::vector<GroupAction> out;
  for (const Decision& d : Decide(kGroups, nodes, self)) out.push_back(d.action);
  return out;
}

constexpr GroupAction K = GroupAction::kKeep;
constexpr GroupAction T = GroupAction::kTake;
constexpr GroupAction R = GroupAction::kRelease;

TEST(OwnershipTest, StartupEachTakesItsPreferredGroups) {
  EXPECT_EQ(Actions({Node("a"), Node("b")}, 0), (std::vector{T, K}));
  EXPECT_EQ(Actions({Node("a"), Node("b")}, 1), (std::vector{K, T}));
}

TEST(OwnershipTest, NothingIsTakenWhilePeerUnknown) {
  NodeView b = Node("b");
  b.known = false;
  b.alive = false;
  EXPECT_EQ(Actions({Node("a"), b}), (std::vector{K, K}));
}

// A restarted runner probes each group on its own: while b still finds out
// whether g1 runs there, a takes it not, even with b's other groups known.
TEST(OwnershipTest, NothingIsTakenThatALiveNodeIsStillProbing) {
  NodeView b = Node("b");
  b.probing = 0b10;
  EXPECT_EQ(Actions({Node("a"), b}), (std::vector{T, K}));
  NodeView dead = Node("b", 0, /*alive=*/false);
  dead.probing = 0b10;  // a dead node's probe does not count
  EXPECT_EQ(Actions({Node("a"), dead}), (std::vector{T, T}));
}

TEST(OwnershipTest, DeadPeersGroupsAreTakenWithReason) {
  const auto d = Decide(kGroups, {Node("a", 0b01), Node("b", 0b10, /*alive=*/false)}, 0);
  EXPECT_EQ(d[0].action, K);
  EXPECT_EQ(d[1].action, T);
  EXPECT_EQ(d[1].why, "peer b dead");
}

TEST(OwnershipTest, NeverTakeWhatALiveNodeHolds) {
  // auto_failback off: b kept a's group after a's return; a does not grab it.
  EXPECT_EQ(Actions({Node("a"), Node("b", 0b11)}), (std::vector{K, K}));
}

TEST(OwnershipTest, PeerWithoutActionRunnerIsNotACandidate) {
  NodeView a = Node("a");
  a.ready = false;
  EXPECT_EQ(Actions({a, Node("b")}, 1), (std::vector{T, T}));
  EXPECT_EQ(Actions({a, Node("b")}, 0), (std::vector{K, K}));
}

TEST(OwnershipTest, WantsMakesTheHolderRelease) {
  NodeView a = Node("a");
  a.wants = 0b01;  // auto_failback on: a joined and asks for its group back
  EXPECT_EQ(Actions({a, Node("b", 0b11)}, 1), (std::vector{R, K}));
  // Once b released, a is the candidate.
  EXPECT_EQ(Actions({a, Node("b", 0b10)}, 0), (std::vector{T, K}));
}

// A group of BGP:: addresses (overlap): auto_failback hands it over
// make-before-break. a asks; a takes it beside b; b lets go only once the
// runner says a has held it for the overlap time; a never counts b's hold
// as a healed partition.
TEST(OwnershipTest, OverlapGroupsAreHandedOverMakeBeforeBreak) {
  const std::vector<GroupView> groups = {{"BGP::10.0.0.100", "a", /*overlap=*/true}};
  NodeView a = Node("a");
  a.wants = 1;  // joined, asks for its group back
  const NodeView b = Node("b", 1);
  // b keeps it; a takes it beside b.
  EXPECT_EQ(Decide(groups, {a, b}, 1)[0].action, K);
  const Decision take = Decide(groups, {a, b}, 0)[0];
  EXPECT_EQ(take.action, T);
  EXPECT_EQ(take.why, "requested here; make-before-break: announcing it before b lets go");
  // Both hold it, a still asking: b keeps it until the overlap is done...
  a.held = 1;
  EXPECT_EQ(Decide(groups, {a, b}, 1)[0].action, K);
  EXPECT_EQ(Decide(groups, {a, b}, 0)[0].action, K);  // a keeps it too
  // ...then lets go.
  const Decision release = Decide(groups, {a, b}, 1, {}, 0, /*overlap_done=*/1)[0];
  EXPECT_EQ(release.action, R);
  EXPECT_EQ(release.why, "a asked for it and announces it too (make-before-break)");
  // The overlap mask alone does not make b let go: a must hold it.
  a.held = 0;
  EXPECT_EQ(Decide(groups, {a, b}, 1, {}, 0, 1)[0].action, K);
}

// Not asked for, two holders of an overlap group are a split brain as any
// other: exactly one keeps it.
TEST(OwnershipTest, OverlapGroupsWithoutARequestStillKeepOneHolder) {
  const std::vector<GroupView> groups = {{"BGP::10.0.0.100", "a", /*overlap=*/true}};
  EXPECT_EQ(Decide(groups, {Node("a", 1), Node("b", 1)}, 0, {}, 0, 1)[0].action, K);
  EXPECT_EQ(Decide(groups, {Node("a", 1), Node("b", 1)}, 1, {}, 0, 1)[0].action, R);
  // A LAN group asked for is released at once, as before.
  NodeView a = Node("a");
  a.wants = 1;
  const std::vector<GroupView> lan = {{"10.0.0.1", "a"}};
  EXPECT_EQ(Decide(lan, {a, Node("b", 1)}, 1)[0].action, R);
  EXPECT_EQ(Decide(lan, {a, Node("b", 1)}, 0)[0].action, K);
}

TEST(OwnershipTest, StandbyHandsOverAndPeerTakes) {
  NodeView a = Node("a", 0b01);
  a.declines = 0b01;
  EXPECT_EQ(Actions({a, Node("b", 0b10)}, 0), (std::vector{R, K}));
  a.held = 0;
  EXPECT_EQ(Actions({a, Node("b", 0b10)}, 1), (std::vector{T, K}));
  EXPECT_EQ(Actions({a, Node("b", 0b10)}, 0), (std::vector{K, K}));
}

TEST(OwnershipTest, StandbyWithoutALivePeerKeepsAndRetakes) {
  NodeView a = Node("a", 0b01);
  a.declines = 0b11;
  EXPECT_EQ(Actions({a, Node("b", 0b10, /*alive=*/false)}, 0), (std::vector{K, T}));
}

TEST(OwnershipTest, HealedPartitionKeepsExactlyOneHolder) {
  // Both hold both groups: the preferred node keeps each.
  EXPECT_EQ(Actions({Node("a", 0b11), Node("b", 0b11)}, 0), (std::vector{K, R}));
  EXPECT_EQ(Actions({Node("a", 0b11), Node("b", 0b11)}, 1), (std::vector{R, K}));
}

TEST(OwnershipTest, HealedPartitionWithoutPreferredNodeLowestNameWins) {
  const std::vector<GroupView> groups = {{"g", "z"}};
  std::vector<NodeView> nodes = {Node("a", 1), Node("b", 1)};
  EXPECT_EQ(Decide(groups, nodes, 0)[0].action, K);
  EXPECT_EQ(Decide(groups, nodes, 1)[0].action, R);
}

// a's detector hung: its runner released, but its tachyd, running again,
// still carries the old claim until the runner reconnects. b, the holder
// now, must not give way to a claim no runner stands behind.
TEST(OwnershipTest, AClaimWithoutARunnerDoesNotMakeTheHolderRelease) {
  NodeView a = Node("a", 0b01);
  a.ready = false;
  EXPECT_EQ(Actions({a, Node("b", 0b01)}, 1), (std::vector{K, T}));
  a.ready = true;  // its runner is back and still holds it: a real split brain
  EXPECT_EQ(Actions({a, Node("b", 0b01)}, 1), (std::vector{R, T}));
}

// Three nodes: a partition of one (c cut off) has no majority; a and b do.
TEST(OwnershipTest, AMinorityTakesNothingAndReleasesWhatItHolds) {
  const std::vector<NodeView> seen_by_c = {Node("c", 0b01), Node("a", 0b10, false),
                                           Node("b", 0, false)};
  const QuorumVerdict q = Quorum(seen_by_c, /*require_majority=*/true);
  EXPECT_FALSE(q.quorate);
  EXPECT_EQ(q.why, "1 of 3 nodes alive (c): no majority");
  const auto d = Decide(kGroups, seen_by_c, 0, q);
  EXPECT_EQ(d[0].action, R);
  EXPECT_EQ(d[0].why, "no quorum: 1 of 3 nodes alive (c): no majority");
  EXPECT_EQ(d[1].action, K);  // a's, dead to c: not taken
  // The majority takes what c held.
  const std::vector<NodeView> seen_by_a = {Node("a", 0b10), Node("b"), Node("c", 0b01, false)};
  const QuorumVerdict qa = Quorum(seen_by_a, true);
  EXPECT_TRUE(qa.quorate);
  EXPECT_EQ(qa.why, "2 of 3 nodes alive (a, b): a majority");
  EXPECT_EQ(Decide(kGroups, seen_by_a, 0, qa)[0].action, T);
  // quorum none: a lone survivor of two takes over (Heartbeat R1).
  const std::vector<NodeView> two = {Node("b"), Node("a", 0b01, false)};
  EXPECT_TRUE(Quorum(two, false).quorate);
  EXPECT_EQ(Decide(kGroups, two, 0, Quorum(two, false))[0].action, T);
  // Exactly half is no majority.
  EXPECT_FALSE(Quorum({Node("a"), Node("b"), Node("c", 0, false), Node("d", 0, false)}, true)
                   .quorate);
}

NodeView Pinged(std::string name, size_t reached, GroupMask held = 0, bool alive = true) {
  NodeView n = Node(std::move(name), held, alive);
  n.ping = PingReach(reached);
  return n;
}

TEST(OwnershipTest, IpfailHandsAGroupToTheNodeThatReachesMorePingNodes) {
  // a holds g0 but lost its ping node; b reaches it: a hands over, b takes.
  const auto d = Decide(kGroups, {Pinged("a", 0, 0b01), Pinged("b", 1, 0b10)}, 0, {}, 1);
  EXPECT_EQ(d[0].action, R);
  EXPECT_EQ(d[0].why, "b reaches more ping nodes (1 of 1) than this node (0): handing it over "
                      "(ipfail)");
  EXPECT_EQ(Decide(kGroups, {Pinged("b", 1, 0b10), Pinged("a", 0)}, 0, {}, 1)[0].action, T);
  // a, not judged yet (just started), is not compared.
  NodeView fresh = Node("a", 0b01);
  EXPECT_EQ(Decide(kGroups, {fresh, Pinged("b", 1, 0b10)}, 0, {}, 1)[0].action, K);
  // Equal reach: nothing moves. Without ping nodes the field means nothing.
  EXPECT_EQ(Decide(kGroups, {Pinged("a", 1, 0b01), Pinged("b", 1, 0b10)}, 0, {}, 1)[0].action, K);
  EXPECT_EQ(Decide(kGroups, {Pinged("a", 0, 0b01), Pinged("b", 1, 0b10)}, 0, {}, 0)[0].action, K);
}

TEST(OwnershipTest, ANodeThatReachesNoPingNodeTakesNothingFromADeadPeer) {
  // b's heartbeats and ping node are both gone: it may be the one cut off.
  EXPECT_EQ(Decide(kGroups, {Pinged("b", 0, 0b10), Pinged("a", 1, 0b01, false)}, 0, {}, 1)[0].action,
            K);
  // Reaching one, it takes over as before.
  EXPECT_EQ(Decide(kGroups, {Pinged("b", 1, 0b10), Pinged("a", 1, 0b01, false)}, 0, {}, 1)[0].action,
            T);
  // A group nobody held (start-up) is still taken.
  EXPECT_EQ(Decide(kGroups, {Pinged("a", 0), Node("b", 0, false)}, 0, {}, 1)[0].action, T);
}

TEST(OwnershipTest, ScopeMasks) {
  GroupMask m;
  ASSERT_TRUE(ScopeMask(kGroups, "a", "all", &m));
  EXPECT_EQ(m, 0b11u);
  ASSERT_TRUE(ScopeMask(kGroups, "a", "local", &m));
  EXPECT_EQ(m, 0b01u);
  ASSERT_TRUE(ScopeMask(kGroups, "a", "foreign", &m));
  EXPECT_EQ(m, 0b10u);
  ASSERT_TRUE(ScopeMask(kGroups, "a", "failback", &m));
  EXPECT_EQ(m, 0b10u);
  EXPECT_FALSE(ScopeMask(kGroups, "a", "everything", &m));
}

}  // namespace
}  // namespace tachy
