#!/usr/bin/env python3
"""The tachy demo: two nodes in network namespaces, the peer is SIGKILLed
again and again, and the survivor's detection time is measured each time.

Detection time = tachyd's "dead" event time (from `tachyctl watch --json`)
minus the moment just before kill(2), both CLOCK_MONOTONIC.
"""

import argparse
import os
import statistics
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
    p.add_argument("--trials", type=int, default=10)
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("demo: needs root (network namespaces, raw sockets)")

    with Lab(args.tachyd, args.tachyctl, tag="demo") as lab:
        print(f"two nodes a and b in namespaces {lab.prefix}a/{lab.prefix}b, raw Ethernet "
              f"heartbeats, keepalive {args.keepalive}, deadtime {args.deadtime}")
        a, b = two_nodes(lab, keepalive=args.keepalive, deadtime=args.deadtime)
        if not (wait_state(a, "b", "up") and wait_state(b, "a", "up")):
            sys.exit("demo: nodes did not see each other:\n" + a.log() + b.log())
        watch = lab.watch(a)
        times = []
        for trial in range(1, args.trials + 1):
            time.sleep(0.3)
            watch.drain()
            t_kill = b.kill()
            e = watch.wait_for("b", "dead", timeout=5)
            if e is None:
                sys.exit(f"demo: trial {trial}: a never declared b dead\n{a.log()}")
            ms = (e["t_ns"] - t_kill) / 1e6
            times.append(ms)
            print(f"trial {trial:2d}: SIGKILL b -> a reports b dead after {ms:6.2f} ms "
                  f"({e['reason']})")
            b.start()
            if watch.wait_for("b", "up", timeout=5) is None:
                sys.exit(f"demo: b did not come back\n{b.log()}")
        st = a.status()
        print()
        print(f"detection time over {len(times)} kills: median {statistics.median(times):.2f} ms, "
              f"min {min(times):.2f} ms, max {max(times):.2f} ms "
              f"(deadtime {args.deadtime}, keepalive {args.keepalive})")
        t = st["timing"]
        print(f"a's detector: {t['wakeups']} wake-ups, max lateness {t['max_lateness_ms']:.2f} ms, "
              f"saved by stall grace {t['saved_by_grace']}, by rx timestamps "
              f"{t['saved_by_rx_timestamp']}; realtime {st['realtime']}")


if __name__ == "__main__":
    main()
