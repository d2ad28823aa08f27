"""tachyd as a service (issue 14): systemd's notification protocol and
watchdog, media that are not there yet, metrics, cl_status-style queries,
reload. Real tachyd processes in network namespaces.

Needs root. Outside CI a non-root run exits 77 (meson: SKIP); under CI=true
it must run.
"""

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "lab"))
from netns_lab import (LabTestCase, WebLab, ha_cf, run_tests, wait_state,  # noqa: E402
                       wait_until)

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # Debian's python3-prometheus-client, under another python3
    sys.path.append("/usr/lib/python3/dist-packages")
    from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

ARGS = None
KEEPALIVE, DEADTIME = "5ms", "50ms"


class NotifySocket:
    """The socket systemd would listen on: every datagram, with its
    CLOCK_MONOTONIC arrival time."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []  # (t, {key: value})
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.stopped:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            with self.lock:
                self.messages.append((time.monotonic(), fields))

    def close(self):
        self.stopped = True
        self.thread.join(timeout=2)
        self.sock.close()

    def with_key(self, key, since=0.0, until=float("inf")):
        with self.lock:
            return [(t, m) for t, m in self.messages if key in m and since <= t < until]

    def wait_for(self, key, value=None, timeout=5.0, contains=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, m in self.with_key(key):
                if (value is None or m[key] == value) and (contains is None or contains in m[key]):
                    return m
            time.sleep(0.02)
        return None


def thread_named(pid, name):
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() == name:
                return int(tid)
    return None


class ThreadFreezer:
    """Stops one thread of another process (ptrace PTRACE_INTERRUPT), the
    others running on: what a detector thread stuck in the kernel or in a
    loop looks like, which SIGSTOP (the whole process) cannot show."""

    PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT, WALL = 17, 0x4206, 0x4207, 0x40000000

    def __init__(self, tid):
        self.tid = tid
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                     ctypes.c_void_p]

    def _ptrace(self, request):
        if self.libc.ptrace(request, self.tid, None, None) != 0:
            raise OSError(ctypes.get_errno(), f"ptrace {request:#x} on thread {self.tid}")

    def freeze(self):
        self._ptrace(self.PTRACE_SEIZE)
        self._ptrace(self.PTRACE_INTERRUPT)
        os.waitpid(self.tid, self.WALL)

    def thaw(self):
        self._ptrace(self.PTRACE_DETACH)


class SystemdTest(LabTestCase):

    def notify_socket(self):
        s = NotifySocket(os.path.join(self.lab.tmp, "notify.sock"))
        self.addCleanup(s.close)
        return s

    def pair(self, env_a=None, media_a=None):
        na, nb = self.lab.ns("a"), self.lab.ns("b")
        self.lab.veth(na, "hb0", nb, "hb0")
        conf = ha_cf(["a", "b"], ["raw hb0"], KEEPALIVE, DEADTIME)
        a = self.lab.node("a", na, ha_cf(["a", "b"], media_a or ["raw hb0"], KEEPALIVE, DEADTIME))
        b = self.lab.node("b", nb, conf)
        return na, nb, a, b

    def test_ready_status_watchdog_and_stopping(self):
        notify = self.notify_socket()
        _, _, a, b = self.pair()
        a.start(env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"})
        b.start()
        a.wait_ready()
        b.wait_ready()
        self.assertIsNotNone(notify.wait_for("READY", "1"), a.log())
        self.assertTrue(wait_state(a, "b", "up"), a.log())
        self.assertIsNotNone(notify.wait_for("STATUS", contains="peers b up"),
                             notify.messages)
        # WatchdogSec 1 s: fed every 0.5 s.
        t0 = time.monotonic()
        time.sleep(3.0)
        feeds = notify.with_key("WATCHDOG", t0, time.monotonic())
        self.assertTrue(5 <= len(feeds) <= 8, f"{len(feeds)} feeds in 3 s, expected ~6")
        gaps = [b_[0] - a_[0] for a_, b_ in zip(feeds, feeds[1:])]
        self.assertLess(max(gaps), 0.75, gaps)

        # Only the detector thread stuck (the control thread runs on): the
        # feed is withheld, then resumes once it heartbeats again.
        tid = thread_named(a.proc.pid, "tachyd-detect")
        self.assertIsNotNone(tid, "no thread named tachyd-detect")
        freezer = ThreadFreezer(tid)
        freezer.freeze()
        t1 = time.monotonic()
        try:
            time.sleep(2.5)
            self.assertIsNone(a.proc.poll())
            status = a.status()  # the control thread answers meanwhile
        finally:
            freezer.thaw()
        t2 = time.monotonic()
        # A feed may have been due within the stall limit (130 ms) of the freeze.
        during = notify.with_key("WATCHDOG", t1 + 0.2, t2)
        self.assertEqual(during, [], "watchdog fed while the detector thread was stopped")
        self.assertEqual(status["node"], "a")
        time.sleep(1.5)  # the next look after the thaw is at most an interval away
        self.assertTrue(notify.with_key("WATCHDOG", t2, time.monotonic()),
                        "watchdog not fed again after the thread went on")
        self.assertIn("not feeding the watchdog", a.log())
        self.assertIn("heartbeats again", a.log())

        # The whole process stopped (SIGSTOP): nothing, then feeds again.
        a.signal(signal.SIGSTOP)
        t3 = time.monotonic()
        time.sleep(1.5)
        a.signal(signal.SIGCONT)
        t4 = time.monotonic()
        self.assertEqual(notify.with_key("WATCHDOG", t3 + 0.05, t4), [])
        time.sleep(1.5)
        self.assertTrue(notify.with_key("WATCHDOG", t4, time.monotonic()),
                        "watchdog not fed after SIGCONT")

        a.proc.terminate()
        a.proc.wait(timeout=10)
        self.assertEqual(a.proc.returncode, 0, a.log())
        self.assertIsNotNone(notify.wait_for("STOPPING", "1", timeout=1), notify.messages)

    def test_a_medium_without_its_address_is_waited_for(self):
        notify = self.notify_socket()
        na, nb, a, b = self.pair(media_a=["bcast hb1"])
        # hb1 exists but has no IPv4 address yet (DHCP, ifup still running).
        self.lab.veth(na, "hb1", nb, "hb1", ip2="10.77.0.2")
        a.start(env={"NOTIFY_SOCKET": notify.path})
        self.assertIsNotNone(notify.wait_for("STATUS", contains="waiting for bcast:hb1"),
                             a.log())
        time.sleep(1.0)
        self.assertIsNone(a.proc.poll(), a.log())
        self.assertIn("waiting for bcast:hb1: no IPv4 broadcast address on hb1 (yet) "
                      f"({a.dir}/ha.cf:4)", a.log())
        self.assertIsNone(notify.wait_for("READY", timeout=0.1))
        os.system(f"ip -n {na} addr add 10.77.0.1/24 brd + dev hb1")
        a.wait_ready(timeout=5)
        self.assertIsNotNone(notify.wait_for("READY", "1"), a.log())
        self.assertIn("every medium is open, after", a.log())
        # Stoppable while waiting too: a node whose interface never comes.
        a.stop()
        c = self.lab.node("c", na, ha_cf(["a", "c"], ["bcast nosuch0"], KEEPALIVE, DEADTIME))
        c.start()
        time.sleep(0.5)
        self.assertIsNone(c.proc.poll(), c.log())
        c.proc.terminate()
        c.proc.wait(timeout=5)
        self.assertEqual(c.proc.returncode, 0, c.log())
        self.assertIn("no interface nosuch0 (yet)", c.log())
        self.assertIn("stopped before starting", c.log())


def samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition,
    read by Prometheus' own client parser (which raises on bad syntax)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(metrics, name, **labels):
    return metrics[(name, frozenset(labels.items()))]


class OperatorTest(LabTestCase):
    """The reference pair (a prefers the VIP and httpd), queried and steered
    the way an operator would: metrics, cl_status queries, watch, reload."""

    def ctl_json(self, web, name, *args):
        r = web.ctl(name, *args, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_metrics_cl_status_watch_and_reload(self):
        web = WebLab(self.lab, keepalive=KEEPALIVE, deadtime=DEADTIME,
                     ha_extra="metrics_listen 127.0.0.1:9694\n")
        web.start()
        self.assertTrue(web.wait_holder("a", timeout=20), web.nodes["a"].log())

        # Metrics: parsed by Prometheus' parser, matching status --json.
        before = self.ctl_json(web, "a", "status")
        r = web.ctl("a", "metrics")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = self.ctl_json(web, "a", "status")
        m = samples(r.stdout)
        peer = lambda doc: next(n for n in doc["nodes"] if n["name"] == "b")  # noqa: E731
        frames = value(m, "tachy_peer_frames_total", peer="b")
        self.assertTrue(peer(before)["frames"] <= frames <= peer(after)["frames"],
                        (peer(before)["frames"], frames, peer(after)["frames"]))
        self.assertEqual(value(m, "tachy_peer_state", peer="b", state="up"), 1)
        self.assertEqual(value(m, "tachy_peer_generation", peer="b"), peer(after)["generation"])
        self.assertEqual(value(m, "tachy_generation"), after["generation"])
        self.assertAlmostEqual(value(m, "tachy_setting_seconds", setting="deadtime"),
                               after["settings"]["deadtime_ms"] / 1000)
        self.assertEqual(value(m, "tachy_group_held", group=web.vip), 1)
        self.assertEqual(value(m, "tachy_actions_connected"), 1)
        self.assertEqual(value(m, "tachy_info", version=after["version"], cluster="linux-ha",
                               node="a"), 1)
        # The same over HTTP, inside a's namespace.
        http = subprocess.run(
            ["ip", "netns", "exec", web.nodes["a"].ns, sys.executable, "-c",
             "import urllib.request\n"
             "r = urllib.request.urlopen('http://127.0.0.1:9694/metrics', timeout=5)\n"
             "print(r.headers['Content-Type'])\n"
             "print(r.read().decode(), end='')\n"],
            capture_output=True, text=True, timeout=20)
        self.assertEqual(http.returncode, 0, http.stderr)
        content_type, body = http.stdout.split("\n", 1)
        self.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
        self.assertEqual(value(samples(body), "tachy_group_held", group=web.vip), 1)

        # cl_status queries: words and exit codes.
        def ask(name, *args):
            q = web.ctl(name, *args)
            return q.stdout, q.returncode
        self.assertEqual(ask("a", "hbstatus"), ("tachyd is running on this machine.\n", 0))
        self.assertEqual(ask("a", "listnodes"), ("a\nb\n", 0))
        self.assertEqual(ask("a", "nodestatus", "b"), ("active\n", 0))
        self.assertEqual(ask("a", "nodetype", "b"), ("normal\n", 0))
        self.assertEqual(ask("a", "listhblinks", "b"), ("\thb0\n", 0))
        self.assertEqual(ask("a", "hblinkstatus", "b", "hb0"), ("up\n", 0))
        self.assertEqual(ask("a", "clientstatus", "b", "tachy-actions"), ("online\n", 0))
        self.assertEqual(ask("a", "rscstatus"), ("local\n", 0))
        self.assertEqual(ask("b", "rscstatus"), ("local\n", 0))  # its (empty) own set
        self.assertEqual(ask("a", "hbparameter", "-p", "deadtime"), ("50ms\n", 0))
        self.assertEqual(ask("a", "nodestatus", "zz")[1], 11)
        gone = subprocess.run([self.lab.tachyctl, "--socket", "/nonexistent", "hbstatus"],
                              capture_output=True, text=True, timeout=10)
        self.assertEqual((gone.stdout, gone.returncode),
                         ("tachyd is stopped on this machine.\n", 1))

        # watch: an operator's standby, and the group moving with it.
        watch = self.lab.spawn(None, [self.lab.tachyctl, "--socket", web.nodes["a"].socket,
                                      "watch", "--json"], stdout=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(iter(watch.stdout.readline, "")),
                                  daemon=True)
        reader.start()
        time.sleep(0.3)
        self.assertEqual(web.ctl("a", "standby").returncode, 0)
        self.assertTrue(web.wait_holder("b", timeout=20), web.nodes["b"].log())
        time.sleep(0.5)
        watch.terminate()
        watch.wait(timeout=5)
        reader.join(timeout=5)
        events = [json.loads(line) for line in lines if line.strip()]
        self.assertIn({"type": "request", "what": "standby", "scope": "all"},
                      [{k: e.get(k) for k in ("type", "what", "scope")} for e in events])
        moves = [(e["from"], e["to"]) for e in events if e["type"] == "group"]
        self.assertIn(("a", None), moves, events)  # released here
        self.assertIn((None, "b"), moves, events)  # taken by b
        self.assertEqual(ask("a", "rscstatus"), ("none\n", 0))
        self.assertEqual(ask("b", "rscstatus"), ("all\n", 0))
        m = samples(web.ctl("a", "metrics").stdout)
        self.assertEqual(value(m, "tachy_requests_total", request="standby"), 1)
        self.assertGreaterEqual(value(m, "tachy_group_moves_total", group=web.vip), 2)
        m = samples(web.ctl("b", "metrics").stdout)
        self.assertEqual(value(m, "tachy_takeover_stage_seconds_count", stage="total"), 1)

        # Reload: timing within limits applies (and reaches the runner and
        # the peer's view of our interval); a membership change is refused.
        conf = os.path.join(web.nodes["a"].dir, "ha.cf")
        with open(conf) as f:
            original = f.read()
        with open(conf, "w") as f:
            f.write(original.replace("keepalive 5ms", "keepalive 4ms")
                    .replace("deadtime 50ms", "deadtime 60ms"))
        r = web.ctl("a", "reload")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("applied: keepalive 5 ms -> 4 ms", r.stdout)
        self.assertEqual(self.ctl_json(web, "a", "status")["settings"]["deadtime_ms"], 60)
        wait_until(lambda: web.nodes["b"].peer("a")["peer_interval_ms"] == 4)
        self.assertEqual(web.nodes["b"].peer("a")["peer_interval_ms"], 4)
        wait_until(lambda: "timing from tachyd" in web.nodes["a"].log())
        self.assertIn("timing from tachyd: keepalive 4 ms", web.nodes["a"].log())
        with open(conf, "w") as f:
            f.write(original.replace("node a b", "node a b c"))
        r = web.ctl("a", "reload")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("refused: node changed", r.stdout)
        with open(conf, "w") as f:
            f.write(original.replace("keepalive 5ms", "keepalive 4ms")
                    .replace("deadtime 50ms", "deadtime 60ms"))
        # The refused reload still applied what it could (timing back to 5
        # ms / 50 ms); SIGHUP is the same reload, logged.
        self.assertIn("refused node changed", web.nodes["a"].log())
        self.assertEqual(self.ctl_json(web, "a", "status")["settings"]["deadtime_ms"], 50)
        web.nodes["a"].signal(signal.SIGHUP)
        wait_until(lambda: "SIGHUP: reload" in web.nodes["a"].log())
        self.assertIn("SIGHUP: reload applied keepalive 5 ms -> 4 ms", web.nodes["a"].log())
        web.nodes["a"].signal(signal.SIGHUP)
        wait_until(lambda: "SIGHUP: reload: nothing changed" in web.nodes["a"].log())
        self.assertIn("SIGHUP: reload: nothing changed; log files reopened", web.nodes["a"].log())
        # Through all of it, b never saw a die.
        self.assertEqual(web.nodes["b"].peer("a")["deaths"], 0)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--tachyd", required=True)
    p.add_argument("--tachyctl", required=True)
    ARGS, rest = p.parse_known_args()
    LabTestCase.tachyd, LabTestCase.tachyctl = ARGS.tachyd, ARGS.tachyctl
    return run_tests(rest, os.geteuid() == 0, "needs root for network namespaces")


if __name__ == "__main__":
    sys.exit(main())
