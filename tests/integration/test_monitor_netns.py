"""Integration tests of resource monitoring (issue: a dead httpd is a
failure too): tachyd + tachy-actions + real apache2 per node in network
namespaces, a client fetching http://VIP/.

The Heartbeat guide's acceptance test, the httpd half: stop httpd on the
active node (or SIGKILL apache2's parent) and the site comes back, first by
a restart in place, on a second failure from the peer. And a node whose
processes all died while its host (and the VIP on it) stayed up comes back
without holding a half-started group. Needs root and apache2; every test
ends with exactly one node holding the VIP and serving.
"""

import argparse
import json
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "lab"))
from netns_lab import FAILING_HTTPD, HTTPD_SCRIPT, LabTestCase, run_tests, WebLab  # noqa: E402

ARGS = None

# A resource whose stop hangs (a service that will not shut down).
HANGING_STOP = """#!/bin/sh
F={d}/hang.running
case "$1" in
  start) touch "$F" ;;
  stop) sleep 30; rm -f "$F" ;;
  status) if [ -f "$F" ]; then echo "running"; else echo "not running"; fi ;;
esac
"""


class MonitorTest(LabTestCase):

    def web(self, tachy_cf=None, **kw):
        web = WebLab(self.lab, keepalive="5ms", deadtime="50ms", **kw)
        if tachy_cf is not None:
            for node in web.nodes.values():
                with open(os.path.join(node.dir, "tachy.cf"), "w") as f:
                    f.write(tachy_cf)
        web.start()
        self.assertTrue(web.wait_holder("a"), "a did not take the VIP at start")
        return web

    def group(self, web, name):
        return json.loads(web.ctl(name, "status", "--json").stdout)["groups"][0]

    def wait_watched(self, web, name, timeout=10):
        """Until the holder's monitor watches apache2's main process; its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            g = self.group(web, name)
            pids = g.get("monitor", {}).get("watched_pids", [])
            if g["state"] == "running" and pids:
                return pids[0]
            time.sleep(0.05)
        self.fail(f"{name} never watched a main process: {self.group(web, name)}")

    def wait_serving(self, web, name, old_pid=None, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (web.holders() == [name] and web.fetch(timeout=1) == f"node {name}" and
                    (old_pid is None or web.apache_pid(name) not in (None, old_pid))):
                return
            time.sleep(0.02)
        self.fail(f"{name} is not serving: holders {web.holders()}, page {web.fetch()}, "
                  f"apache {web.apache_pid(name)} (was {old_pid})")

    def log(self, web, name):
        with open(web.nodes[name].log_path) as f:
            return f.read()

    def test_httpd_stop_restarts_here_then_moves_to_the_peer(self):
        web = self.web()
        watch = self.lab.watch(web.nodes["a"])
        time.sleep(0.3)  # the watcher connects before the fault, not after
        first = self.wait_watched(web, "a")
        # The guide's test: `service httpd stop` on the active node.
        self.assertEqual(web.httpd("a", "stop").returncode, 0)
        self.wait_serving(web, "a", old_pid=first)
        events = []
        deadline = time.monotonic() + 2
        while not events and time.monotonic() < deadline:
            events = watch.drain_monitors()
            time.sleep(0.02)
        self.assertEqual(len(events), 1, events)
        self.assertIn(f"main process {first} exited (pidfd)", events[0]["what"])
        self.assertIn("restarting it here (restart 1 of 1", events[0]["action"])
        self.assertIn("group 10.213.7.100 restarted", self.log(web, "a"))
        # A second failure within the window: the peer takes the group.
        second = self.wait_watched(web, "a")
        self.assertNotEqual(second, first)
        self.assertEqual(web.httpd("a", "stop").returncode, 0)
        self.wait_serving(web, "b")
        time.sleep(0.3)
        self.assertEqual(web.holders(), ["b"])
        self.assertFalse(apache_alive(web, "a"), "a still runs apache2")
        g = self.group(web, "a")
        self.assertTrue(g["monitor"]["declining"], g)
        self.assertIn("handing the group over", self.log(web, "a"))
        # Cleared, a's auto_failback does not pull it back by itself; a
        # takeover does, with no gap longer than one takeover.
        r = web.ctl("a", "clear", "10.213.7.100")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(self.group(web, "a")["monitor"]["declining"])
        self.assertEqual(web.ctl("a", "clear", "nope").returncode, 1)
        r = web.ctl("a", "takeover")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_serving(web, "a")

    def test_with_no_restarts_each_failure_moves_the_group_and_it_can_come_back(self):
        # restarts 0: every failure hands over. The killed parent's orphaned
        # workers on the old holder must go with the release (they held port
        # 80, so the group could never come back there), and the old holder
        # must stop announcing the address (its pending GARP repeats pulled
        # the client back to it: an ARP conflict on the new holder).
        web = self.web(tachy_cf="restarts 0\n")
        for holder, taker in (("a", "b"), ("b", "a"), ("a", "b")):
            pid = self.wait_watched(web, holder)
            os.kill(pid, signal.SIGKILL)
            self.wait_serving(web, taker)
            for name in web.nodes:
                self.assertEqual(web.ctl(name, "clear").returncode, 0)
        for name in web.nodes:
            self.assertNotIn("ARP conflict", self.log(web, name))
            self.assertNotIn("failed to start", self.log(web, name))

    def test_killed_apache_parent_is_noticed_and_its_workers_do_not_block_the_restart(self):
        web = self.web()
        parent = self.wait_watched(web, "a")
        with open(f"/proc/{parent}/task/{parent}/children") as f:
            workers = [int(p) for p in f.read().split()]
        os.kill(parent, signal.SIGKILL)
        self.wait_serving(web, "a", old_pid=parent)
        for w in workers:  # the orphaned workers were killed before the restart
            self.assertFalse(alive(w), f"worker {w} survived")
        self.assertIn("leftover process(es) killed", self.log(web, "a"))

    def test_status_failure_is_found_by_the_periodic_check(self):
        # A service that runs but whose status says it does not (here: its
        # pid file gone): only the periodic check can see that.
        web = self.web(tachy_cf="monitor_interval 100ms\n")
        self.wait_watched(web, "a")
        os.unlink(web.nodes["a"].apache_pid)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "status says not running" not in self.log(web, "a"):
            time.sleep(0.05)
        self.assertIn("status says not running", self.log(web, "a"))
        self.wait_serving(web, "a")

    def test_an_httpd_that_runs_but_answers_errors_fails_its_application_check(self):
        web = self.web(tachy_cf="monitor_interval 100ms\n"
                                "check 10.213.7.100 http 10.213.7.100:80/\n")
        self.wait_watched(web, "a")
        # apache2 keeps running but answers 404: only the HTTP check sees it;
        # a restart does not cure it, so the second failure moves the group.
        os.unlink(os.path.join(web.nodes["a"].dir, "www", "index.html"))
        self.wait_serving(web, "b", timeout=15)
        log = self.log(web, "a")
        self.assertIn("application check: http 10.213.7.100:80/: status 404", log)
        self.assertIn("handing the group over", log)

    def test_takeover_after_a_failed_start_and_the_fix_costs_one_takeover(self):
        web = WebLab(self.lab, keepalive="5ms", deadtime="50ms", script_for={"a": FAILING_HTTPD})
        web.start()
        self.wait_serving(web, "b")
        # The cause fixed, the operator asks for the group back at once: a's
        # 30 s back-off must not make b let go of a working copy for nothing.
        node = web.nodes["a"]
        with open(os.path.join(node.dir, "resource.d", "httpd"), "w") as f:
            f.write(HTTPD_SCRIPT.format(d=node.dir))
        probe = web.probe(duration=20)
        time.sleep(0.3)
        r = web.ctl("a", "takeover")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_serving(web, "a")
        time.sleep(0.3)
        probe.stdin.close()
        answers = [json.loads(line) for line in probe.stdout]
        probe.wait()
        times = sorted(a["t_ns"] for a in answers)
        gap_ms = max((b - a) / 1e6 for a, b in zip(times, times[1:]))
        self.assertLess(gap_ms, 1000, f"the site was down {gap_ms:.0f} ms")
        print(f"\n  takeover after a fixed start: longest gap {gap_ms:.1f} ms", file=sys.stderr)

    def test_a_stop_that_hangs_delays_no_other_group(self):
        web = WebLab(self.lab, keepalive="5ms", deadtime="50ms", auto_failback="off")
        for node in web.nodes.values():
            with open(os.path.join(node.dir, "haresources"), "a") as f:
                f.write(f"a {web.SUBNET}.101 hang\n")
            script = os.path.join(node.dir, "resource.d", "hang")
            with open(script, "w") as f:
                f.write(HANGING_STOP.format(d=node.dir))
            os.chmod(script, 0o755)
        web.start()
        self.wait_serving(web, "a")
        t0 = time.monotonic()
        r = web.ctl("a", "standby")
        self.assertEqual(r.returncode, 0, r.stderr)
        # The httpd group moves at once although the other group's stop
        # hangs for 30 s on the same node.
        self.wait_serving(web, "b", timeout=5)
        moved_s = time.monotonic() - t0
        self.assertLess(moved_s, 3, f"the httpd group took {moved_s:.1f} s to move")
        groups = json.loads(web.ctl("a", "status", "--json").stdout)["groups"]
        self.assertEqual(groups[1]["state"], "stopping", groups)
        print(f"\n  httpd group moved in {moved_s * 1000:.0f} ms while the other group's stop "
              f"hangs", file=sys.stderr)

    def processes_killed_host_kept(self, failback):
        web = self.web(auto_failback=failback)
        web.kill_processes("a")  # the VIP stays configured on a
        # b takes over; a still has the address (nobody removed it), but b's
        # gratuitous ARP sent the client to b.
        deadline = time.monotonic() + 10
        while web.fetch(timeout=1) != "node b" and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(web.fetch(), "node b")
        self.assertEqual(sorted(web.holders()), ["a", "b"])
        web.nodes["a"].start()
        web.nodes["a"].wait_ready()
        expected, other = ("a", "b") if failback == "on" else ("b", "a")
        self.wait_serving(web, expected, timeout=15)
        time.sleep(0.5)
        self.assertEqual(web.holders(), [expected])
        self.assertFalse(apache_alive(web, other), f"{other} still runs apache2")
        self.assertEqual(self.group(web, expected)["state"], "running")
        self.assertIn("found half-started here", self.log(web, "a"))
        # b's ARP check found a's host still answering for the VIP on hb0,
        # the heartbeat link: a's detector was gone, not the path.
        self.assertIn("peer a dead, yet its host still answers for 10.213.7.100 on hb0",
                      self.log(web, "b"))

    def test_processes_killed_host_kept_comes_back_whole_with_auto_failback_on(self):
        self.processes_killed_host_kept("on")

    def test_processes_killed_host_kept_comes_back_whole_with_auto_failback_off(self):
        self.processes_killed_host_kept("off")


def apache_alive(web, name):
    pid = web.apache_pid(name)
    return pid is not None and alive(pid)


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--tachyd", required=True)
    p.add_argument("--tachyctl", required=True)
    ARGS, rest = p.parse_known_args()
    LabTestCase.tachyd, LabTestCase.tachyctl = ARGS.tachyd, ARGS.tachyctl
    have = os.geteuid() == 0 and shutil.which("apache2", path="/usr/sbin:/usr/bin")
    return run_tests(rest, have, "monitor tests need root and apache2")


if __name__ == "__main__":
    sys.exit(main())
