"""tachybench --topology l3: the figures only the BGP lab has
(tools/lab/frr_lab.py).

  floor        the BGP path's own cost: the service address added by hand on
               the standby's tachy-take (apache2 already serving there) to
               the client's first page from it. No detector takes part: it
               is what the takeover cannot beat, measured in the same lab.
  BFD alone    no tachy at all, what a BGP-only site gets: node a announces
               the address unprepended, node b prepended (both serving), the
               router runs BFD with both at INTERVALxMULTIPLIER; a crash of
               a, and the client's first page from b.

The target the l3 trials are held to: crash -> first page median <= floor
median + deadtime + TARGET_SLACK_MS.
"""

import re
import time

from frr_lab import BgpWebLab, measure_floor
from netns_lab import Lab, sh
from trial_lib import dist, warn

TARGET_SLACK_MS = 15


def parse_bfd(text):
    """'50x3' -> (50, 3); ValueError otherwise."""
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not m or not 10 <= int(m.group(1)) <= 60000 or not 2 <= int(m.group(2)) <= 255:
        raise ValueError(f"BFD timing {text!r}: expected INTERVALxMULTIPLIER, e.g. 50x3 "
                         "(interval 10..60000 ms, multiplier 2..255)")
    return int(m.group(1)), int(m.group(2))


def floor(web, node, trials, progress):
    runs = measure_floor(web, node, trials, progress)
    if any(r is None for r in runs):
        warn(f"floor: {sum(r is None for r in runs)} of {trials} trials got no page")
    return {"node": node, "floor_ms": dist([r for r in runs if r is not None]), "runs": runs}


def target(floor_ms, deadtime_ms, serve):
    """The issue's bound for the l3 crash trials, met or not."""
    if floor_ms["p50"] is None or serve["p50"] is None:
        return None
    bound = round(floor_ms["p50"] + deadtime_ms + TARGET_SLACK_MS, 3)
    return {"floor_p50_ms": floor_ms["p50"], "deadtime_ms": deadtime_ms,
            "slack_ms": TARGET_SLACK_MS, "bound_ms": bound, "serve_p50_ms": serve["p50"],
            "met": serve["p50"] <= bound}


def _announce(web, name, iface):
    web.make_links(name)
    sh("ip", "-n", web.nodes[name].ns, "addr", "replace", f"{web.vip}/32", "dev", iface)


def _serve_as(web, name, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.fetch(timeout=1) == f"node {name}":
            return True
        time.sleep(0.05)
    return False


def bfd_alone(tachyd, tachyctl, bfd, trials, progress):
    """The BFD-alone baseline; {"bfd": "50x3", "failover_ms": dist, "runs": [...]}."""
    label = f"{bfd[0]}x{bfd[1]}"
    runs = []
    with Lab(tachyd, tachyctl, tag="bfd") as lab:
        web = BgpWebLab(lab, bfd=bfd, service="hot", auto_failback="off")
        web.wait_routing()
        web.wait_bfd()
        for name in web.nodes:
            web.start_hot_httpd(name)
        _announce(web, "a", "tachy-take")
        _announce(web, "b", "tachy-own")
        for i in range(1, trials + 1):
            if not _serve_as(web, "a"):
                raise RuntimeError(f"BFD {label}: the router does not send the client to a: "
                                   f"{web.router_paths()}\n" + web.logs())
            probe = web.follow_probe(duration=30)
            time.sleep(0.3)
            t = web.crash("a")
            first = None
            deadline = time.monotonic() + 15
            while first is None and time.monotonic() < deadline:
                after = [x["t_ns"] for x in list(probe.answers)
                         if x["page"] == "node b" and x["t_ns"] > t]
                if after:
                    first = (min(after) - t) / 1e6
                time.sleep(0.02)
            probe.stop()
            runs.append(first)
            progress(f"BFD {label} alone {i}/{trials}: " +
                     ("no page" if first is None else f"{first:.1f} ms"))
            # a back, as booted: FRR, apache2, its announcement.
            web.revive_routing("a")
            web.start_hot_httpd("a")
            _announce(web, "a", "tachy-take")
    return {"bfd": label, "failover_ms": dist([r for r in runs if r is not None]),
            "no_page": sum(r is None for r in runs), "runs": runs}
