"""cold_start: apache2's cold start in a netns_lab WebLab, measured alone.

Used by bench/tachybench (`--fault coldstart`, or `--coldstart-trials N`
before the failover trials of the same lab). No tachy process takes part:
call it on a WebLab whose tachyd nodes are not started (or whose node has no
apache2 running), it starts the node's apache2 with the same resource script
and config that tachy-actions uses on a takeover, and stops it again.

One run:
  1. the client's http_probe (a new connection every millisecond) asks the
     node's own address (not the VIP); it is refused while nothing listens;
  2. a helper already inside the node's namespace takes the start time
     (CLOCK_MONOTONIC, shared by all namespaces) and execs
     `resource.d/httpd start`, as tachy-actions posix_spawns it, so
     `ip netns exec`'s own start-up is not counted;
  3. cold start = the client's first page from that node - the start time;
  4. `resource.d/httpd stop`, which waits until apache2 has exited.
"""

import json
import os
import subprocess
import sys
import threading
import time

# Runs in the node's namespace: waits for a line on stdin, prints the start
# time, execs the script (argv[1:]) with stdout on /dev/null.
_HELPER = r"""
import os, sys, time
sys.stdin.readline()
t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
sys.stdout.write(f"{t}\n")
sys.stdout.flush()
fd = os.open(os.devnull, os.O_WRONLY)
os.dup2(fd, 1)
os.execv(sys.argv[1], sys.argv[1:])
"""


def measure_once(web, name, timeout=10.0):
    """One cold start of `name`'s apache2; returns a dict with t_start_ns,
    first_page_ns, coldstart_ms (None if no page came within `timeout` s),
    start_exit_ms (when the start command returned, as seen from here,
    approximately) and page."""
    node = web.nodes[name]
    script = os.path.join(node.dir, "resource.d", "httpd")
    probe = web.probe(duration=timeout + 30, ip=node.ip)
    answers = []
    reader = threading.Thread(
        target=lambda: answers.extend(json.loads(line) for line in probe.stdout), daemon=True)
    reader.start()
    log = open(os.path.join(node.dir, "httpd.log"), "a")
    helper = web.lab.spawn(node.ns, [sys.executable, "-c", _HELPER, script, "start"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    started = False  # only an apache2 we started is stopped again
    try:
        # The helper's interpreter loads and the probe resolves ARP meanwhile.
        time.sleep(0.3)
        if answers:
            helper.kill()
            helper.wait(timeout=5)
            raise RuntimeError(f"something already serves on {node.ip} before apache2's start: "
                               f"{answers[0]}")
        started = True
        helper.stdin.write("go\n")
        helper.stdin.close()
        line = helper.stdout.readline().strip()
        if not line.isdigit():
            helper.wait(timeout=30)
            raise RuntimeError(f"apache2 on {name}: the start helper failed "
                               f"(exit {helper.returncode}):\n" + web.httpd_log(name))
        t_start = int(line)
        rc = helper.wait(timeout=30)
        start_exit_ms = (time.clock_gettime_ns(time.CLOCK_MONOTONIC) - t_start) / 1e6
        if rc != 0:
            raise RuntimeError(f"apache2 on {name}: start exited {rc}:\n" + web.httpd_log(name))
        first = None
        deadline = time.monotonic() + timeout
        while first is None and time.monotonic() < deadline:
            after = [a for a in list(answers) if a["t_ns"] > t_start]
            if after:
                first = min(after, key=lambda a: a["t_ns"])
            else:
                time.sleep(0.005)
    finally:
        probe.stdin.close()
        probe.wait(timeout=30)
        reader.join(timeout=5)
        stop = web.httpd(name, "stop") if started else None
    if stop.returncode != 0:
        raise RuntimeError(f"apache2 on {name} did not stop (exit {stop.returncode}):\n"
                           + web.httpd_log(name))
    return {"node": name, "t_start_ns": t_start,
            "first_page_ns": first["t_ns"] if first else None,
            "coldstart_ms": round((first["t_ns"] - t_start) / 1e6, 3) if first else None,
            "start_exit_ms": round(start_exit_ms, 3),
            "page": first["page"] if first else None}


def measure(web, name, trials, progress=None):
    """`trials` cold starts of `name`'s apache2, one after the other."""
    runs = []
    for i in range(1, trials + 1):
        r = measure_once(web, name)
        r["trial"] = i
        runs.append(r)
        if progress:
            ms = r["coldstart_ms"]
            progress(f"apache2 cold start {i}/{trials} on {name}: "
                     f"{'no page' if ms is None else f'{ms:.2f} ms'}")
        time.sleep(0.1)
    return runs
