"""Service faults for tachybench (--fault service-kill, service-stop): the
holder's httpd fails while tachy runs, and the figures say how fast the
monitor noticed and how fast the client got a page again.

  service-kill  SIGKILL of apache2's parent (the main process tachy-actions
                watches by pidfd; its workers are orphaned and keep the port)
  service-stop  the httpd resource script's `stop` on the holder, as the
                Heartbeat guide's acceptance test does (`service httpd stop`)

With --restarts N >= 1 (written to every node's tachy.cf) each failure is
restarted in place; every trial starts from a cleared failure count
(`tachyctl clear`), so every trial measures the local restart. With
--restarts 0 every failure hands the group to the peer.

Per trial, on the harness's CLOCK_MONOTONIC: the fault time, `noticed` (the
holder's monitor line, `tachyctl watch`), and the page back: for a restart,
the client's first page answered at or after the restart's end (its
takeover line's done_ns; the old workers are dead by then, so the page comes
from the new apache2: an upper bound by at most the probe's 1 ms); for a
hand-over, the first page from another node.
"""

import json
import os
import signal
import time

from netns_lab import mono_ns
from trial_lib import STAGES, warn

SERVICE_FAULTS = ("service-kill", "service-stop")


def write_tachy_cf(web, restarts):
    for node in web.nodes.values():
        with open(os.path.join(node.dir, "tachy.cf"), "w") as f:
            f.write(f"# tachybench --restarts {restarts}\nrestarts {restarts}\n"
                    "restart_window 300\nfailure_timeout 300\n")


def watched_pid(web, name, timeout=10):
    """The main process the holder's monitor watches, once it does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            st = json.loads(web.ctl(name, "status", "--json").stdout)
            g = st["groups"][0]
            pids = g.get("monitor", {}).get("watched_pids", [])
            if g["state"] == "running" and pids:
                return pids[0]
        except (ValueError, KeyError, IndexError):
            pass
        time.sleep(0.05)
    return None


def _first(lines, observer, since_ns, pred=lambda e: True, key="t_ns"):
    hits = [e for o, e in lines if o == observer and isinstance(e.get(key), int) and
            e[key] >= since_ns and pred(e)]
    return min(hits, key=lambda e: e[key]) if hits else None


def run(args, web, watches, holder_of, wait_single_holder, progress):
    trials = []
    hand_over = args.restarts == 0
    for i in range(1, args.trials + 1):
        victim = None
        deadline = time.monotonic() + 20
        while victim is None and time.monotonic() < deadline:
            if wait_single_holder(web):
                victim = holder_of(web)
        if victim is None:
            raise RuntimeError(f"trial {i}: no single VIP holder: {web.holders()}")
        pid = watched_pid(web, victim)
        if pid is None:
            raise RuntimeError(f"trial {i}: {victim} watches no main process")
        run = web.follow_probe(duration=60)
        answers = run.answers
        time.sleep(0.3)
        watches.collect()
        t_fault = mono_ns()
        if args.fault == "service-kill":
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                # The status read raced a change of main process: take the
                # one watched now (the fault time moves with it).
                pid = watched_pid(web, victim)
                t_fault = mono_ns()
                os.kill(pid, signal.SIGKILL)
        else:
            web.httpd(victim, "stop")
        noticed = back = line = None
        survivor = victim
        t_end = time.monotonic() + 10
        while back is None and time.monotonic() < t_end:
            time.sleep(0.02)
            watches.collect()
            m = _first(watches.monitors, victim, t_fault)
            if m is not None and noticed is None:
                noticed = m
            if hand_over:
                after = [a for a in list(answers)
                         if a["page"] != f"node {victim}" and a["t_ns"] > t_fault]
                if after:
                    first = min(after, key=lambda a: a["t_ns"])
                    back, survivor = first["t_ns"], first["page"].removeprefix("node ")
            else:
                line = _first(watches.takeovers, victim, t_fault,
                              lambda e: e.get("ok") is True and "restarted here" in e.get("cause", ""),
                              key="decision_ns")
                if line is not None:
                    done = line.get("done_ns") or 0
                    after = [a["t_ns"] for a in list(answers)
                             if a["page"] == f"node {victim}" and a["t_ns"] >= done]
                    if after:
                        back = min(after)
        run.stop()
        if hand_over:
            line = _first(watches.takeovers, survivor, t_fault, lambda e: e.get("ok") is True,
                          key="decision_ns")
        stages = dict.fromkeys(STAGES)
        detect = None if noticed is None else round((noticed["t_ns"] - t_fault) / 1e6, 3)
        serve = None if back is None else round((back - t_fault) / 1e6, 3)
        stages["detect"], stages["serve"] = detect, serve
        if line is not None and isinstance(line.get("done_ns"), int):
            base = line.get("decision_ns")
            stages["resources"] = round((line["done_ns"] - base) / 1e6, 3) if base else None
        problem = None
        if detect is None or serve is None:
            problem = "; ".join(x for x in (
                "no monitor line from the holder" if detect is None else "",
                "no page back" if serve is None else "") if x)
            warn(f"trial {i} ({victim}): {problem}")
        for name in web.nodes:
            web.ctl(name, "clear")
        ok = wait_single_holder(web) and watched_pid(web, holder_of(web) or victim) is not None
        trials.append({"trial": i, "fault": args.fault, "victim": victim, "t_fault_ns": t_fault,
                       "detect_ms": detect, "failover_ms": serve, "gap_ms": None,
                       "survivor": survivor, "recovered": ok,
                       "path": "peer" if hand_over else "restart here",
                       "noticed_by": None if noticed is None else noticed.get("what"),
                       "stages_ms": stages, "stages_problem": problem, "takeover": line})
        progress(f"trial {i}/{args.trials}: {args.fault} on {victim}: noticed "
                 f"{'-' if detect is None else f'{detect:.2f}'} ms, page back "
                 f"{'-' if serve is None else f'{serve:.2f}'} ms "
                 f"({'from ' + survivor if hand_over else 'restarted here'})")
    return trials
