#include "actions/ownership.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tachy {
namespace {

bool Has(GroupMask m, size_t g) { return (m >> g) & 1u; }

// Ping targets a node reaches; -1 when not judged (or no ping nodes).
int Reach(const NodeView& n, size_t ping_targets) {
  if (ping_targets == 0 || (n.ping & 0x8000u) == 0) return -1;
  return static_cast<int>(n.ping & 0x7fffu);
}

// The node that should start g when nobody holds it; nodes.size() if none.
size_t Candidate(const GroupView& group, const std::vector<NodeView>& nodes, size_t g,
                 size_t ping_targets) {
  std::vector<size_t> pool;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].alive && nodes[i].ready && !Has(nodes[i].declines, g)) pool.push_back(i);
  }
  if (pool.empty()) {
    // Everyone declines: standby never leaves a group without a home.
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].alive && nodes[i].ready) pool.push_back(i);
    }
  }
  if (pool.empty()) return nodes.size();
  // ipfail: only the best connected (unjudged nodes are not held back).
  int most = -1;
  for (size_t i : pool) most = std::max(most, Reach(nodes[i], ping_targets));
  std::erase_if(pool, [&](size_t i) {
    const int r = Reach(nodes[i], ping_targets);
    return r >= 0 && r < most;
  });
  size_t best = nodes.size();
  for (size_t i : pool) {
    if (Has(nodes[i].wants, g) && (best == nodes.size() || nodes[i].name < nodes[best].name)) {
      best = i;
    }
  }
  if (best != nodes.size()) return best;
  for (size_t i : pool) {
    if (nodes[i].name == group.preferred) return i;
  }
  best = pool.front();
  for (size_t i : pool) {
    if (nodes[i].name < nodes[best].name) best = i;
  }
  return best;
}

}  // namespace

QuorumVerdict Quorum(const std::vector<NodeView>& nodes, bool require_majority) {
  std::vector<std::string> alive;
  for (const NodeView& n : nodes) {
    if (n.alive) alive.push_back(n.name);
  }
  std::sort(alive.begin(), alive.end());
  QuorumVerdict v;
  v.quorate = !require_majority || 2 * alive.size() > nodes.size();
  v.why = absl::StrCat(alive.size(), " of ", nodes.size(), " nodes alive (",
                       absl::StrJoin(alive, ", "), ")",
                       require_majority ? (v.quorate ? ": a majority" : ": no majority")
                                        : ": quorum none");
  return v;
}

std::vector<Decision> Decide(const std::vector<GroupView>& groups,
                             const std::vector<NodeView>& nodes, size_t self,
                             const QuorumVerdict& quorum, size_t ping_targets,
                             GroupMask overlap_done) {
  std::vector<Decision> out(groups.size());
  if (!quorum.quorate) {
    for (size_t g = 0; g < groups.size() && g < kMaxGroups; ++g) {
      if (Has(nodes[self].held, g)) out[g] = {GroupAction::kRelease, "no quorum: " + quorum.why};
    }
    return out;
  }
  const NodeView& me = nodes[self];
  bool all_known = true;
  for (const NodeView& n : nodes) all_known = all_known && n.known;

  for (size_t g = 0; g < groups.size() && g < kMaxGroups; ++g) {
    Decision& d = out[g];
    if (Has(me.held, g)) {
      for (size_t i = 0; i < nodes.size(); ++i) {
        const NodeView& n = nodes[i];
        if (i == self || !n.alive) continue;
        if (n.ready && Has(n.wants, g) && !Has(me.wants, g)) {
          if (groups[g].overlap) {
            // Make-before-break: n announces it first; we let go once the
            // router has had the overlap time to learn n's route.
            if (Has(n.held, g) && Has(overlap_done, g)) {
              d = {GroupAction::kRelease,
                   absl::StrCat(n.name, " asked for it and announces it too (make-before-break)")};
              break;
            }
            continue;
          }
          d = {GroupAction::kRelease, absl::StrCat(n.name, " asked for it")};
          break;
        }
        // We are the one taking it over, make-before-break: n lets go.
        if (groups[g].overlap && Has(me.wants, g)) continue;
        // A claim counts only from a node whose runner is there to confirm
        // it: a tachyd whose runner is gone still carries the runner's last
        // advertisement, which is stale when that runner let go while its
        // detector was hung. Releasing on it would hand the group back and
        // forth for nothing; once its runner reconnects it says what it
        // really holds.
        if (n.ready && Has(n.held, g)) {
          // Both hold it after a partition healed: keep exactly one.
          const bool i_win = me.name == groups[g].preferred ||
                             (n.name != groups[g].preferred && me.name < n.name);
          if (!i_win) {
            d = {GroupAction::kRelease, absl::StrCat(n.name, " holds it too (partition healed); ",
                                                     n.name, " keeps it")};
            break;
          }
        }
        if (Has(me.declines, g) && n.ready && !Has(n.declines, g)) {
          d = {GroupAction::kRelease, absl::StrCat("standby: handing it to ", n.name)};
          break;
        }
        const int mine = Reach(me, ping_targets), theirs = Reach(n, ping_targets);
        if (n.ready && !Has(n.declines, g) && mine >= 0 && theirs > mine) {
          d = {GroupAction::kRelease,
               absl::StrCat(n.name, " reaches more ping nodes (", theirs, " of ", ping_targets,
                            ") than this node (", mine, "): handing it over (ipfail)")};
          break;
        }
      }
      continue;
    }
    if (!all_known) continue;
    bool held_elsewhere = false, probed_elsewhere = false;
    std::string holder;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (i == self || !nodes[i].alive) continue;
      if (Has(nodes[i].held, g) && holder.empty()) holder = nodes[i].name;
      held_elsewhere = held_elsewhere || Has(nodes[i].held, g);
      probed_elsewhere = probed_elsewhere || Has(nodes[i].probing, g);
    }
    if (probed_elsewhere || !me.ready) continue;
    // Make-before-break: asked for, an overlap group is taken beside its
    // holder, which lets go once our route had time to reach the router.
    const bool overlap_take = held_elsewhere && groups[g].overlap && Has(me.wants, g);
    if (held_elsewhere && !overlap_take) continue;
    if (Candidate(groups[g], nodes, g, ping_targets) != self) continue;
    if (overlap_take) {
      d = {GroupAction::kTake, absl::StrCat("requested here; make-before-break: announcing it "
                                            "before ", holder, " lets go")};
      continue;
    }
    std::string why;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (i != self && !nodes[i].alive && Has(nodes[i].held, g)) {
        why = absl::StrCat("peer ", nodes[i].name, " dead");
      }
    }
    // Cut off from every ping node, this node is more likely the isolated
    // one than the peer the dead one: it does not take the peer's groups.
    if (!why.empty() && Reach(me, ping_targets) == 0) continue;
    if (why.empty()) {
      why = Has(me.wants, g)                  ? "requested here"
            : me.name == groups[g].preferred ? "preferred node"
                                              : "no other node can hold it";
    }
    d = {GroupAction::kTake, std::move(why)};
  }
  return out;
}

bool ScopeMask(const std::vector<GroupView>& groups, absl::string_view self_name,
               absl::string_view scope, GroupMask* out) {
  *out = 0;
  const bool all = scope == "all" || scope.empty();
  const bool local = scope == "local";
  const bool foreign = scope == "foreign" || scope == "failback";
  if (!all && !local && !foreign) return false;
  for (size_t g = 0; g < groups.size() && g < kMaxGroups; ++g) {
    const bool mine = groups[g].preferred == self_name;
    if (all || (local && mine) || (foreign && !mine)) *out |= GroupMask{1} << g;
  }
  return true;
}

}  // namespace tachy
