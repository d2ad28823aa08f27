"""What tachybench's trial loops share: distributions, tachy's event
watches (`tachyctl watch --json` on every node), the takeover line and its
per-stage timeline, and waiting for every node to see every other up."""

import numbers
import sys
import time

from peers import wait_first_dead

STAGES = ("detect", "notify", "vip", "garp", "resources", "serve", "verdict_to_vip")


def dist(values):
    """n, min, p50, p90, p99, max (nearest-rank percentiles), in the values' unit."""
    v = sorted(values)
    if not v:
        return {"n": 0, "min": None, "p50": None, "p90": None, "p99": None, "max": None}

    def pct(p):
        k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
        return round(v[k], 3)
    return {"n": len(v), "min": round(v[0], 3), "p50": pct(50), "p90": pct(90), "p99": pct(99),
            "max": round(v[-1], 3)}



class Watches:
    """Every node's `tachyctl watch --json`, collected into one list of
    (observer, event); a watcher whose tachyd restarted is replaced."""

    def __init__(self, lab, web):
        self.lab, self.web, self.events = lab, web, []
        self.takeovers = []  # (observer, takeover line)
        self.monitors = []   # (observer, monitor line): a held resource failed
        self.watchers = {name: lab.watch(node) for name, node in web.nodes.items()}

    def collect(self):
        for name, w in list(self.watchers.items()):
            self.events += [(name, e) for e in w.drain()]
            self.takeovers += [(name, e) for e in w.drain_takeovers()]
            self.monitors += [(name, e) for e in w.drain_monitors()]
            if w.proc.poll() is not None:
                # What the ended watcher read last is not lost.
                w.thread.join(timeout=0.5)
                self.events += [(name, e) for e in w.drain()]
                self.takeovers += [(name, e) for e in w.drain_takeovers()]
                self.monitors += [(name, e) for e in w.drain_monitors()]
                node = self.web.nodes[name]
                if node.proc and node.proc.poll() is None:
                    try:
                        node.wait_ready(timeout=2)
                        self.watchers[name] = self.lab.watch(node)
                    except RuntimeError:
                        pass
        return self.events

    def first_dead(self, victim, since_ns, timeout):
        """The first event of another node declaring `victim` dead after
        `since_ns`, or None after `timeout` seconds."""
        return wait_first_dead(self.collect, victim, since_ns, timeout)

    def find_takeover(self, victim, since_ns, timeout):
        """The takeover line (see pick_takeover) of the failover from
        `victim` at `since_ns`: waits up to `timeout` seconds for a
        successful one; a failed one, or None, after that."""
        deadline = time.monotonic() + timeout
        while True:
            self.collect()
            line = pick_takeover(self.takeovers, victim, since_ns)
            if (line is not None and line.get("ok") is True) or time.monotonic() > deadline:
                return line
            time.sleep(0.01)

    def by_observer(self):
        self.collect()
        out = {name: [] for name in self.web.nodes}
        for observer, e in self.events:
            out[observer].append(e)
        return out


def _ns(line, key):
    v = line.get(key)
    return v if isinstance(v, numbers.Real) and not isinstance(v, bool) else None


def pick_takeover(takeovers, victim, since_ns):
    """Of (observer, line) takeover lines, the one taken by a node other
    than `victim`, as reported by a node other than `victim`, decided after
    `since_ns`: the earliest successful one, else the earliest failed one,
    else None. (The group is not looked at: the lab has one.)"""
    found = [line for observer, line in takeovers
             if observer != victim and line.get("node") != victim
             and _ns(line, "decision_ns") is not None and line["decision_ns"] > since_ns]
    found.sort(key=lambda line: line["decision_ns"])
    return next((line for line in found if line.get("ok") is True), found[0] if found else None)


def stages_of(line, t_fault_ns, failover_ms, routed=False):
    """The per-stage timeline of one trial, in ms: ({stage: ms or None},
    problem), problem None when every stage is there. A failed take (ok
    false) gives only `serve`. `routed` (the l3 lab): the address is
    announced by BGP, so there is no GARP stage to miss."""
    stages = dict.fromkeys(STAGES)
    stages["serve"] = failover_ms
    problems = []
    if line is None:
        problems.append("no takeover line from another node after the fault")
    elif line.get("ok") is not True:
        problems.append(f"the takeover failed (ok {line.get('ok')})")
    else:
        verdict, decision, vip, garp, done = (_ns(line, k) for k in (
            "verdict_ns", "decision_ns", "vip_ns", "garp_ns", "done_ns"))

        def ms(a, b):
            return None if a is None or b is None else round((a - b) / 1e6, 3)
        stages["detect"] = ms(verdict, t_fault_ns)
        stages["notify"] = ms(decision, verdict)
        stages["vip"] = ms(vip, decision)
        stages["garp"] = ms(garp, vip)
        base = next((x for x in (garp, vip, decision) if x is not None), None)
        stages["resources"] = ms(done, base)
        stages["verdict_to_vip"] = ms(vip, verdict)
        absent = [k for k, x in (("verdict_ns", verdict), ("decision_ns", decision),
                                 ("vip_ns", vip), ("garp_ns", garp), ("done_ns", done))
                  if x is None and not (routed and k == "garp_ns")]
        if absent:
            problems.append("takeover line without " + ", ".join(absent))
    if failover_ms is None:
        problems.append("no page from the new holder")
    return stages, "; ".join(problems) or None



def stage_dists(trials):
    """{stage: dist} over the trials' stages_ms, and how many trials lack
    some stage."""
    out = {k: dist([t["stages_ms"][k] for t in trials if t["stages_ms"][k] is not None])
           for k in STAGES}
    return out, sum(t["stages_problem"] is not None for t in trials)



def warn(text):
    print(f"\ntachybench: warning: {text}", file=sys.stderr, flush=True)



def wait_all_up(web, timeout=15):
    """True once every tachyd sees every other node up (checked at least
    once, so timeout=0 asks only whether they do now)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if all(n["state"] == "up" for node in web.nodes.values()
                   for n in node.status()["nodes"] if not n["local"]):
                return True
        except (OSError, ValueError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


