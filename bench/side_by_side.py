"""tachybench --detector tachy,keepalived,heartbeat: the detectors in one lab,
trials alternating (A B C A B C ...), each trial from a clean start.

Per trial and detector: every node cleaned (all processes killed, VIP off,
links up; with --mode hot apache2 started on every node), the detector
started on every node, waited for until the preferred node (a) holds the
VIP and serves and the others stand by, then a whole-node crash of a. The
detection time comes from the detector's own record of the state change on
b (tachy's event stream; keepalived's and Heartbeat's log lines, stamped as
they are written), the failover time from the same client probe for all
(the first page from b after the crash).
"""

import copy
import json
import time

from netns_lab import WebLab
from peers import Driver, HeartbeatDriver, KeepalivedDriver, missing_package
from trial_lib import Watches, dist, stage_dists, stages_of, wait_all_up, warn

SETTLE_TIMEOUT_S = 60
DETECT_TIMEOUT_S = 10
FAILOVER_TIMEOUT_S = 10


class TachyDriver(Driver):
    """tachy as a driver: tachyd (+ tachy-actions) per node, events from
    `tachyctl watch --json`, the takeover line for the per-stage timeline."""

    name = "tachy"

    def __init__(self, args):
        super().__init__(args)
        self.watches = None
        self.binary = args.tachyd

    def prepare(self, web):
        self.names = list(web.nodes)  # WebLab wrote tachy's configs
        self.deadtime = web.deadtime

    def settings(self):
        return {"keepalive": self.args.keepalive, "deadtime": self.deadtime,
                "timing": f"{self.args.keepalive}/{self.deadtime}"}

    def start(self, web):
        for node in web.nodes.values():
            node.start()
        for node in web.nodes.values():
            node.wait_ready()
        self.watches = Watches(web.lab, web)

    def settled(self, web):
        return wait_all_up(web, timeout=0) and self._serving(web, self.names[0])

    def all_events(self):
        return list(self.watches.collect()) if self.watches else []

    def takeover(self, victim, since_ns):
        return self.watches.find_takeover(victim, since_ns, timeout=5)

    def stop(self, web):
        if self.watches:
            self.watches.collect()
            for w in self.watches.watchers.values():
                if w.proc.poll() is None:
                    w.proc.kill()
                    w.proc.wait()

    def pids(self, web, name):
        tachyd, actions = web.pids(name)
        return [(role, pid) for role, pid in (("tachyd", tachyd), ("tachy_actions", actions))
                if pid]

    def log(self, web, name):
        return web.nodes[name].log()[-4000:]


PEERS = {"keepalived": KeepalivedDriver, "heartbeat": HeartbeatDriver}
NAMES = ("tachy", "keepalived", "heartbeat")


def parse_detectors(text):
    """'tachy,keepalived' -> ['tachy', 'keepalived'], or ValueError saying why."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError("--detector needs at least one of " + ", ".join(NAMES))
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown detector {', '.join(unknown)}: choose from {', '.join(NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"a detector is named twice: {text}")
    return names


def unavailable(names):
    """{name: reason} for the peers whose package is missing."""
    return {n: why for n in names if n in PEERS and (why := missing_package(PEERS[n]))}


def ratios(per_detector, names):
    """Each detector's medians over the first one's."""
    base = per_detector[names[0]]
    out = {}
    for n in names:
        r = {}
        for key in ("detect_ms", "failover_ms"):
            a, b = per_detector[n][key]["p50"], base[key]["p50"]
            r[key.replace("_ms", "_p50")] = None if a is None or not b else round(a / b, 3)
        out[n] = r
    return out


def settle(web, driver, i):
    """Starts `driver` on clean nodes and waits until its preferred node
    serves. A detector that has not settled within SETTLE_TIMEOUT_S is
    started once more, with a warning; the second time it is an error. On a
    loaded 2-core VM, stretches of vCPU stalls keep any detector at its
    fastest timing flapping for a while: seen in CI for Heartbeat, and for
    tachyd at deadtime 20 ms, which logged each of its own stalls ("the
    detector thread sent no heartbeat for more than half the deadtime")."""
    for attempt in (1, 2):
        for name in web.nodes:
            web.clean(name)
        if web.service == "hot":
            for name in web.nodes:
                web.start_hot_httpd(name)
        driver.start(web)
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while not driver.settled(web) and time.monotonic() < deadline:
            time.sleep(0.05)
        if driver.settled(web):
            return
        what = (f"{driver.name}, trial {i}: not settled after {SETTLE_TIMEOUT_S} s (holders "
                f"{web.holders()}, page {web.fetch(timeout=1)!r})")
        if attempt == 2:
            raise RuntimeError(what + ":\n" + "\n".join(
                f"--- {n} ---\n{driver.log(web, n)}" for n in web.nodes))
        warn(what + "; starting it once more")  # clean() above ends this start


def one_trial(web, driver, i, probe_lead_s=0.3):
    """One clean start of `driver` and a crash of the preferred node."""
    victim = next(iter(web.nodes))
    settle(web, driver, i)
    t_settled = time.monotonic_ns()
    run = web.follow_probe(duration=60)
    answers = run.answers
    time.sleep(probe_lead_s)
    t_fault = web.crash(victim)
    e = driver.first_dead(victim, t_fault, timeout=DETECT_TIMEOUT_S)
    detect = None if e is None else (e["t_ns"] - t_fault) / 1e6
    failover = None
    t_end = time.monotonic() + FAILOVER_TIMEOUT_S
    while failover is None and time.monotonic() < t_end:
        after = [a["t_ns"] for a in list(answers)
                 if a["page"] != f"node {victim}" and a["t_ns"] > t_fault]
        if after:
            failover = (min(after) - t_fault) / 1e6
        time.sleep(0.02)
    run.stop()
    served_before = any(a["page"] == f"node {victim}" and a["t_ns"] <= t_fault for a in answers)
    takeover = driver.takeover(victim, t_fault)
    # A death declared between settling and the fault is a false failover.
    wrong = [{"observer": o, **ev} for o, ev in driver.all_events()
             if ev["to"] == "dead" and t_settled <= ev["t_ns"] < t_fault]
    driver.stop(web)
    return {"trial": i, "detector": driver.name, "fault": "crash", "victim": victim,
            "t_fault_ns": t_fault, "watched_s": round((t_fault - t_settled) / 1e9, 3), "detect_ms": detect, "failover_ms": failover,
            "served_before_fault": served_before, "mistakes": wrong, "takeover": takeover}


def for_deadtime(args, deadtime_ms):
    """The peers' settings for a point of a deadtime sweep: Heartbeat at
    that deadtime with a keepalive of a third of it; keepalived with the
    advert interval whose master-down interval (3 adverts + the priority-100
    skew of 0.6 of one) is nearest that deadtime, but no less than its
    floor of 0.01 s."""
    a = copy.copy(args)
    a.heartbeat_deadtime = f"{deadtime_ms:g}ms"
    a.heartbeat_keepalive = f"{max(1, int(deadtime_ms // 3))}ms"
    a.keepalived_advert = f"{max(0.01, round(deadtime_ms / 3.6 / 1000, 2)):g}"
    return a


def run(args, lab, deadtime, names, progress):
    """The side-by-side run of `names` in `lab`; returns the result document."""
    web = WebLab(lab, keepalive=args.keepalive, deadtime=deadtime, auto_failback="off",
                 nodes=("a", "b"), service=args.service)
    drivers = []
    for n in names:
        d = TachyDriver(args) if n == "tachy" else PEERS[n](args)
        d.prepare(web)
        drivers.append(d)
    per = {n: [] for n in names}
    t0 = time.monotonic()
    try:
        for i in range(1, args.trials + 1):
            for d in drivers:
                r = one_trial(web, d, i)
                if d.name == "tachy":
                    r["stages_ms"], r["stages_problem"] = stages_of(r["takeover"], r["t_fault_ns"],
                                                                    r["failover_ms"])
                    if r["stages_problem"]:
                        warn(f"tachy trial {i}: stages incomplete: {r['stages_problem']}")
                if r["detect_ms"] is None:
                    warn(f"{d.name} trial {i}: no death declared within {DETECT_TIMEOUT_S} s")
                if r["failover_ms"] is None:
                    warn(f"{d.name} trial {i}: no page from the survivor within "
                         f"{FAILOVER_TIMEOUT_S} s")
                per[d.name].append(r)
                progress(f"trial {i}/{args.trials} {d.name}: detected {fmt(r['detect_ms'])} ms, "
                         f"site back {fmt(r['failover_ms'])} ms")
    finally:
        # Interrupted (SIGINT, SIGTERM), the lab has already been taken down.
        if not lab.closed:
            for name in web.nodes:
                web.clean(name)
    out = {}
    for d in drivers:
        trials = per[d.name]
        doc = {"settings": d.settings(),
               "detect_ms": dist([t["detect_ms"] for t in trials if t["detect_ms"] is not None]),
               "failover_ms": dist([t["failover_ms"] for t in trials
                                    if t["failover_ms"] is not None]),
               "undetected": sum(t["detect_ms"] is None for t in trials),
               "no_failover": sum(t["failover_ms"] is None for t in trials),
               "false_failovers": sum(len(t["mistakes"]) for t in trials),
               "trials": trials}
        # Mistakes can only be seen while the detector runs settled before
        # the fault: the rate is over that time.
        watched = sum(t["watched_s"] for t in trials)
        doc["watched_s"] = round(watched, 3)
        doc["mistake_rate_per_hour"] = (round(doc["false_failovers"] / watched * 3600, 3)
                                        if watched > 0 else None)
        if d.name == "tachy":
            doc["stages_ms"], doc["stages_missing"] = stage_dists(trials)
        out[d.name] = doc
    return {"detectors": out, "ratios": ratios(out, names),
            "duration_s": round(time.monotonic() - t0, 1)}


def fmt(x):
    return "-" if x is None else f"{x:.2f}"
