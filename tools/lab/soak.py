#!/usr/bin/env python3
"""Soak: two nodes left alone for a while; counts false deaths and late
heartbeats, and reports the detector's timing health on both sides.

  python3 tools/lab/soak.py --duration 600 --keepalive 2ms --deadtime 20ms
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_lab import Lab, two_nodes, wait_state  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tachyd", default="build/detector/tachyd")
    p.add_argument("--tachyctl", default="build/tools/tachyctl")
    p.add_argument("--keepalive", default="2ms")
    p.add_argument("--deadtime", default="20ms")
    p.add_argument("--duration", type=float, default=600)
    args = p.parse_args()
    with Lab(args.tachyd, args.tachyctl, tag="soak") as lab:
        a, b = two_nodes(lab, keepalive=args.keepalive, deadtime=args.deadtime)
        if not (wait_state(a, "b", "up") and wait_state(b, "a", "up")):
            sys.exit("soak: nodes did not come up")
        wa, wb = lab.watch(a), lab.watch(b)
        start = time.monotonic()
        while time.monotonic() - start < args.duration:
            time.sleep(min(10, args.duration))
            print(f"[{time.monotonic() - start:5.0f} s] running", file=sys.stderr, flush=True)
        events = [("a", e) for e in wa.drain()] + [("b", e) for e in wb.drain()]
        deaths = [e for _, e in events if e["to"] == "dead"]
        lates = [e for _, e in events if e["to"] == "late"]
        print(f"soak {args.duration:.0f} s, keepalive {args.keepalive}, deadtime {args.deadtime}: "
              f"{len(deaths)} false deaths, {len(lates)} late warnings")
        for who, e in events:
            print(f"  on {who}: {e['node']} {e['from']} -> {e['to']}: {e['reason']}")
        for n, other in ((a, "b"), (b, "a")):
            st = n.status()
            t, peer = st["timing"], n.peer(other)
            print(f"  {n.name}: frames {peer['frames']}, lost {peer['lost']}, max gap "
                  f"{peer['max_gap_ms']:.2f} ms, wake-ups {t['wakeups']}, late wake-ups "
                  f"{t['late_wakeups']}, max lateness {t['max_lateness_ms']:.2f} ms, saved by "
                  f"grace {t['saved_by_grace']}, by rx timestamps {t['saved_by_rx_timestamp']}")
        sys.exit(1 if deaths else 0)


if __name__ == "__main__":
    main()
