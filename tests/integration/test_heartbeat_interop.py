"""Integration tests of a mixed cluster: a real Heartbeat 3.0.6 node next to
a tachy node (the rolling migration of the README),
in network namespaces (tools/lab/heartbeat_lab.py): nodes test001 and
test002, a client fetching http://10.66.0.100/ and getting "node test001" or
"node test002" from a private apache2 per node. All nodes share one ha.cf
(keepalive 1, deadtime 5, warntime 2, initdead 10, auto_failback on, crm
no, udpport 694, bcast or ucast on hb0), one authkeys (`auth 2`,
`2 sha1 testpass`) and one haresources
(`<preferred> IPaddr::10.66.0.100/24/hb0 httpd`).

  test_baseline_two_heartbeat_nodes            both nodes Heartbeat (validates the lab)
  test_baseline_lifecycle_two_heartbeat_nodes  the mixed tests' whole life cycle, both Heartbeat
  test_control_lifecycle_two_tachy_nodes       the same, both tachy (its own protocol)
  test_mixed_heartbeat_preferred_bcast         Heartbeat test001 (preferred), tachy test002, bcast
  test_mixed_heartbeat_preferred_ucast         the same over ucast
  test_mixed_tachy_preferred                   tachy test001 (preferred), Heartbeat test002, bcast

The life cycle (one test, steps in order): (1) start both: the preferred
node serves, alone, and Heartbeat's log shows the peer `active`; (2) crash
the holder: the other serves within deadtime + 5 s; restart it: it serves
again (auto_failback), the other released; crash the other one: the holder
keeps serving and declares it dead; (3) the node's own standby command
(hb_standby / `tachyctl standby`) on each node in turn moves the group, with
the probe's longest service gap below 15 s and never two holders (the
kernels' address events); (4) SIGTERM of each node while it holds the group
hands it over within a few seconds. At the end Heartbeat's log may hold no
ERROR/WARN/CRIT line about the tachy node other than `node X: is dead` after
its crash or shutdown.

Measured times are printed as `FIGURE name=<test>.<what> ms=<n>`.

The mixed tests fail while tachyd does not speak Heartbeat's protocol; their
messages say what each side saw of the other (e.g. "Heartbeat on test001
never accepted a message from test002").

  python3 tests/integration/test_heartbeat_interop.py --tachyd build/detector/tachyd/tachyd \\
      --tachyctl build/tools/tachyctl [-k NAME]

Needs root, apache2 and the heartbeat package (1:3.0.6); outside CI a run
without them exits 77 (meson: SKIP).
"""

import argparse
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tools", "lab"))
from netns_lab import Lab, LabTestCase, mono_ns, run_tests  # noqa: E402
from heartbeat_lab import (MixedLab, heartbeat_complaints, heartbeat_missing,  # noqa: E402
                           longest_gap)

ARGS = None

DEADTIME_S = 5
# Both nodes starting: initdead (10 s) or comm-up, then RQSTDELAY (10 s);
# Heartbeat alone takes 12-14 s here.
START_TIMEOUT_S = 35
# Both nodes holding the VIP this long is a split brain, not a hand-over.
SPLIT_BRAIN_S = 3
RESTART_TIMEOUT_S = 30   # a restarted preferred node serves again (failback)
STANDBY_TIMEOUT_S = 20
STANDBY_GAP_MAX_MS = 15000
SIGTERM_TIMEOUT_S = 10   # "within a few seconds": Heartbeat takes ~1 s
EXIT_TIMEOUT_S = 30


class HeartbeatInteropTest(LabTestCase):

    def setUp(self):
        super().setUp()
        self.web = None

    def tearDown(self):
        result = getattr(self._outcome, "result", None)
        failed = result is not None and any(
            t is self for t, _ in (*result.failures, *result.errors))
        if failed and self.web is not None:
            try:
                print(f"--- state at failure: {self.explain()}", file=sys.stderr)
            except Exception as e:  # noqa: BLE001 - diagnostics only
                print(f"--- state at failure unknown: {e}", file=sys.stderr)
            for name in self.web.heartbeat_nodes():
                print(self.web.nodes[name].diagnostics(tail=8000), file=sys.stderr)
            for name in self.web.nodes:
                print(self.web.httpd_log(name)[-1500:], file=sys.stderr)
        if self.web is not None:
            self.web.release()  # unpin the nodes' mount namespaces before their dirs go
        super().tearDown()  # tachyd logs, then the lab goes

    # -- building blocks -----------------------------------------------------

    def mixed(self, test001, test002, media="bcast", preferred="test001"):
        if "tachy" in (test001, test002) and not (self.tachyd and self.tachyctl):
            self.skipTest("no --tachyd/--tachyctl given")
        self.web = MixedLab(self.lab, test001=test001, test002=test002, media=media,
                            preferred=preferred, deadtime=DEADTIME_S)
        return self.web

    def figure(self, what, ms):
        name = f"{self._testMethodName[5:]}.{what}"
        print(f"FIGURE name={name} ms={ms:.0f}" if ms is not None else
              f"FIGURE name={name} ms=none", flush=True)

    def kind(self, name):
        return self.web.kinds[name]

    def label(self, name):
        return f"{name} ({self.kind(name)})"

    def explain(self):
        """Who holds the VIP and what each node makes of the other: for
        failure messages."""
        web = self.web
        parts = [f"holders {web.holders()}, client gets {web.fetch(timeout=1)!r}"]
        for name in web.heartbeat_nodes():
            peer = web.other(name)
            log = web.nodes[name].log()
            statuses = re.findall(rf"Status update for node {peer}: status (\w+)", log)
            links = re.findall(rf"Link {peer}:hb0 (up|dead)", log)
            deaths = len(re.findall(rf"node {peer}: is dead", log))
            if not statuses and not links:
                seen = f"never accepted a message from {peer}"
            else:
                seen = (f"last status of {peer} {statuses[-1] if statuses else 'none'}, "
                        f"link {links[-1] if links else 'never up'}")
            rsc = re.findall(r"(remote resource transition completed|"
                             r"local resource transition completed|"
                             r"Local Resource acquisition completed(?:\. \(none\))?|"
                             r"Resources being acquired from \S+|"
                             r"Other node completed standby takeover|"
                             r"Standby resource acquisition done)", log)
            rsc = (f"resource layer's last step: {rsc[-1]!r}" if rsc else
                   "no resource negotiation logged (nobody answered its `starting`?)")
            parts.append(f"Heartbeat on {name} {seen}, declared {peer} dead {deaths}x, {rsc}")
        for name in web.tachy_nodes():
            peer = web.other(name)
            node = web.nodes[name]
            if not node.running():
                parts.append(f"tachyd on {name} not running")
                continue
            try:
                st = node.status()
                p = next(n for n in st["nodes"] if n["name"] == peer)
                parts.append(f"tachyd on {name}: {peer} {p.get('state')}, "
                             f"frames {p.get('frames')}, "
                             f"last heard {p.get('last_heard_ms')} ms ago, rejected from it "
                             f"{p.get('rejected_total')}; rejected frames overall "
                             f"{ {k: v for k, v in (st.get('rejected') or {}).items() if v} }")
                for g in st.get("groups") or []:
                    parts.append(f"tachy-actions on {name}: group {g.get('key')} owner "
                                 f"{g.get('owner')}, {g.get('state')}, last action "
                                 f"{g.get('last_action')!r}")
            except (OSError, ValueError, StopIteration, KeyError) as e:
                parts.append(f"tachyd on {name}: no status ({e!r})")
        return "; ".join(parts)

    def wait_serving(self, name, timeout, what, t_ns=None):
        """Waits until `name` alone holds the VIP and the client gets its
        page, at most `timeout` s from `t_ns` (default: now); fails at once
        on a split brain (both holding for SPLIT_BRAIN_S). Returns ms since
        t_ns."""
        web = self.web
        t_ns = t_ns or mono_ns()
        deadline = t_ns / 1e9 + timeout
        both_since = None
        while time.monotonic() < deadline:
            holders = web.holders()
            if holders == [name] and web.fetch(timeout=1) == f"node {name}":
                return (mono_ns() - t_ns) / 1e6
            if len(holders) > 1:
                both_since = both_since or time.monotonic()
                if time.monotonic() - both_since >= SPLIT_BRAIN_S:
                    self.fail(f"{what}: split brain: {holders} all hold the VIP for "
                              f"{SPLIT_BRAIN_S} s (expected {name} alone); {self.explain()}")
            else:
                both_since = None
            time.sleep(0.05)
        self.fail(f"{what}: {self.label(name)} does not serve alone within {timeout} s; "
                  f"{self.explain()}")

    def assert_stays(self, name, seconds, what):
        """`name` alone holds the VIP and serves its page, for `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            holders, page = self.web.holders(), self.web.fetch(timeout=1)
            if holders != [name] or page != f"node {name}":
                now = self.web.holders()
                kind = "split brain: " if len(now) > 1 else ""
                self.fail(f"{what}: {kind}expected {self.label(name)} alone to serve, got "
                          f"holders {holders}, page {page!r}; {self.explain()}")
            if time.monotonic() >= deadline:
                return
            time.sleep(0.25)

    def move(self, what, action, to, timeout):
        """Runs `action` (returns the CLOCK_MONOTONIC ns of the fault or
        command) with a probe and a holder monitor running, waits until `to`
        serves alone (at most `timeout` s from that time) and asserts that no
        two nodes held the VIP at once. Returns (ms from the action to `to`'s
        first page, the longest service gap in ms)."""
        web = self.web
        probe = web.follow_probe(duration=timeout + 30)
        mon = web.watch_holders()
        t = t_done = None
        try:
            time.sleep(0.3)
            t = action()
            self.wait_serving(to, timeout, what, t)
            t_done = mono_ns()
            time.sleep(0.3)
        finally:
            answers = probe.stop()
            mon.stop()
        firsts = [a["t_ns"] for a in answers if a["page"] == f"node {to}" and a["t_ns"] > t]
        first_ms = (min(firsts) - t) / 1e6 if firsts else (t_done - t) / 1e6
        gap, before, after = longest_gap(answers, since_ns=t, until_ns=t_done)
        overlaps = mon.overlaps()
        self.assertEqual(overlaps, [], f"{what}: more than one node held the VIP at once: "
                                       f"{overlaps[:5]}; address events {mon.changes}")
        print(f"  {what}: {to} serves {first_ms:.0f} ms after, longest gap {gap:.0f} ms "
              f"({before!r} -> {after!r})", flush=True)
        return first_ms, gap

    def marks(self):
        """Log positions of every Heartbeat node, for wait_log(since=...)."""
        return {n: self.web.nodes[n].mark() for n in self.web.heartbeat_nodes()}

    def assert_log(self, name, regex, timeout, since, what):
        m = self.web.nodes[name].wait_log(regex, timeout=timeout, since=since)
        self.assertIsNotNone(m, f"{what}: Heartbeat on {name} did not log /{regex}/ within "
                                f"{timeout} s; {self.explain()}")
        return m

    def wait_reformed(self, marks, what):
        """After a restart: every Heartbeat node saw its peer back (a status
        change to `active`, or, for a peer that restarted before it was
        declared dead and sends `active` from the start, only `Heartbeat
        restart on node X`) and finished its resource negotiation (its log
        since `marks`)."""
        for name in self.web.heartbeat_nodes():
            peer = self.web.other(name)
            m = self.assert_log(name, rf"Status update for node {peer}: status active|"
                                      rf"Heartbeat restart on node {peer}\b", 20,
                                marks[name], what)
            self.assert_log(name, r"remote resource transition completed|"
                                  r"Local Resource acquisition completed", 15, m.end(), what)
        time.sleep(1.0)

    def settle_standby(self, marks, what):
        """After a standby or takeover: every Heartbeat node logged the end
        of the 3-phase hand-over (as the giver or as the taker)."""
        for name in self.web.heartbeat_nodes():
            self.assert_log(name, r"Other node completed standby takeover|"
                                  r"Standby resource acquisition done", 10, marks[name], what)
        time.sleep(1.0)

    def command(self, what, result):
        self.assertEqual(result.returncode, 0, f"{what}: exit {result.returncode}: "
                                               f"{result.stdout}{result.stderr}; {self.explain()}")

    # -- the life cycle ------------------------------------------------------

    def start_step(self):
        """Step 1: both start; the preferred node serves, alone; Heartbeat
        sees its peer active; tachy sees its peer alive."""
        web = self.web
        pref = web.preferred
        what = f"step 1 (start, {self.label(pref)} preferred, {web.media})"
        t0 = web.start()
        ms = self.wait_serving(pref, START_TIMEOUT_S, what, t0)
        self.figure("start_to_serve", ms)
        self.assert_stays(pref, 2.0, what)
        for name in web.heartbeat_nodes():
            peer = web.other(name)
            self.assert_log(name, rf"Status update for node {peer}: status active", 5, 0, what)
        for name in web.tachy_nodes():
            peer = web.other(name)
            state = web.nodes[name].peer(peer)["state"]
            self.assertNotEqual(state, "dead", f"{what}: tachyd on {name} has {peer} dead; "
                                               f"{self.explain()}")

    def crash_steps(self):
        """Step 2: crash of the holder, its restart (failback), crash and
        restart of the other node."""
        web = self.web
        pref = web.preferred
        other = web.other(pref)
        what = f"step 2 (crash of {self.label(pref)}, the holder)"
        marks = self.marks()
        first, _ = self.move(what, lambda: web.crash(pref), other, DEADTIME_S + 5)
        self.assertLessEqual(first, (DEADTIME_S + 5) * 1000, what)
        self.figure(f"takeover_after_crash_of_{self.kind(pref)}", first)
        if self.kind(other) == "heartbeat":
            self.assert_log(other, rf"node {pref}: is dead", 2, marks[other], what)

        what = f"step 2 (restart of {self.label(pref)}: failback)"
        marks = self.marks()
        first, _ = self.move(what, lambda: (mono_ns(), web.revive(pref))[0], pref,
                             RESTART_TIMEOUT_S)
        self.figure(f"failback_after_restart_of_{self.kind(pref)}", first)
        self.wait_reformed(marks, what)
        self.assert_stays(pref, 1.0, what)

        what = f"step 2 (crash of {self.label(other)}, not holding)"
        marks = self.marks()
        t = web.crash(other)
        if self.kind(pref) == "heartbeat":
            self.assert_log(pref, rf"node {other}: is dead", DEADTIME_S + 6, marks[pref], what)
        else:
            deadline = t / 1e9 + DEADTIME_S + 6
            while time.monotonic() < deadline and web.nodes[pref].peer(other)["state"] != "dead":
                time.sleep(0.1)
            self.assertEqual(web.nodes[pref].peer(other)["state"], "dead",
                             f"{what}: tachyd on {pref} did not declare {other} dead; "
                             f"{self.explain()}")
        self.figure(f"dead_verdict_on_{self.kind(other)}", (mono_ns() - t) / 1e6)
        self.assert_stays(pref, 1.0, what)
        marks = self.marks()
        web.revive(other)
        self.wait_reformed(marks, f"step 2 (restart of {self.label(other)})")
        self.assert_stays(pref, 1.0, f"step 2 (restart of {self.label(other)})")

    def standby_steps(self):
        """Step 3: the holder's own standby command moves the group to the
        other node, then the other's moves it back."""
        web = self.web
        pref = web.preferred
        for giver in (pref, web.other(pref)):
            taker = web.other(giver)
            tool = "hb_standby" if self.kind(giver) == "heartbeat" else "tachyctl_standby"
            what = f"step 3 ({tool} on {self.label(giver)})"
            marks = self.marks()

            def action(giver=giver, what=what):
                t = mono_ns()
                self.command(what, web.standby(giver))
                return t
            first, gap = self.move(what, action, taker, STANDBY_TIMEOUT_S)
            self.figure(f"standby_move.{tool}_on_{giver}", first)
            self.figure(f"standby_gap.{tool}_on_{giver}", gap)
            self.assertLess(gap, STANDBY_GAP_MAX_MS, f"{what}: service gap {gap:.0f} ms")
            self.settle_standby(marks, what)
            self.assert_stays(taker, 1.0, what)

    def sigterm_steps(self):
        """Step 4: SIGTERM of the holder hands over; it restarts and gets the
        group back (failback); the other takes it over on request and is
        SIGTERMed in turn."""
        web = self.web
        pref = web.preferred
        other = web.other(pref)
        for leaver, taker in ((pref, other), (other, pref)):
            if leaver == other:
                tool = "hb_takeover" if self.kind(other) == "heartbeat" else "tachyctl_takeover"
                what = f"step 4 ({tool} on {self.label(other)})"
                marks = self.marks()

                def action(what=what):
                    t = mono_ns()
                    self.command(what, web.takeover(other))
                    return t
                first, _ = self.move(what, action, other, STANDBY_TIMEOUT_S)
                self.figure(f"takeover_move.{tool}_on_{other}", first)
                self.settle_standby(marks, what)
            what = f"step 4 (SIGTERM of {self.label(leaver)}, the holder)"
            marks = self.marks()
            first, gap = self.move(what, lambda: web.terminate(leaver), taker, SIGTERM_TIMEOUT_S)
            self.figure(f"sigterm_handover_from_{self.kind(leaver)}_{leaver}", first)
            if self.kind(taker) == "heartbeat":
                self.assert_log(taker, rf"Received shutdown notice from '{leaver}'", 2,
                                marks[taker], what)
            self.assertTrue(web.wait_exit(leaver, EXIT_TIMEOUT_S),
                            f"{what}: {leaver} still runs {EXIT_TIMEOUT_S} s after SIGTERM; "
                            f"{self.explain()}")
            self.assert_stays(taker, 1.0, what)
            if leaver == pref:
                what = f"step 4 (restart of {self.label(pref)} after SIGTERM: failback)"
                marks = self.marks()
                first, _ = self.move(what, lambda: (mono_ns(), web.revive(pref))[0], pref,
                                     RESTART_TIMEOUT_S)
                self.figure(f"failback_after_sigterm_restart_of_{self.kind(pref)}", first)
                self.wait_reformed(marks, what)

    def check_heartbeat_logs(self, strict):
        """Heartbeat's complaints about its peer: printed; with `strict`
        (the peer is tachy) there must be none but `node X: is dead`."""
        web = self.web
        for name in web.heartbeat_nodes():
            peer = web.other(name)
            bad = heartbeat_complaints(web.nodes[name].log(), peer,
                                       allowed=(rf"node {peer}: is dead",))
            if not strict:
                continue  # Heartbeat peers: its own reordering gives "lost packet(s)"
            for line in bad:
                print(f"  Heartbeat on {name} about {peer}: {line}", flush=True)
            if self.kind(peer) == "tachy":
                self.assertEqual(bad, [], f"Heartbeat on {name} logged {len(bad)} ERROR/WARN "
                                          f"line(s) about {peer}:\n" + "\n".join(bad[:40]))

    def lifecycle(self, strict_logs=True):
        self.start_step()
        self.crash_steps()
        self.standby_steps()
        self.sigterm_steps()
        self.check_heartbeat_logs(strict_logs)

    # cl_status' sub-commands (tachyctl answers them in its words and exit
    # codes): {self} and {peer} are the asking node and the other one.
    CL_QUERIES = (("listnodes",), ("nodestatus", "{self}"), ("nodestatus", "{peer}"),
                  ("nodetype", "{peer}"), ("listhblinks", "{peer}"),
                  ("hblinkstatus", "{peer}", "hb0"), ("rscstatus",),
                  ("nodestatus", "nosuchnode"), ("hbstatus",))

    def cl_answers(self):
        """{(node, query): (stdout, exit code)} on every node, from
        cl_status on a Heartbeat node, tachyctl on a tachy node. hbstatus is
        compared by its exit code (its sentence names the daemon), listnodes
        as a set (the order of Heartbeat's node walk is its own)."""
        out = {}
        for name in self.web.NAMES:
            peer = self.web.other(name)
            node = self.web.nodes[name]
            for query in self.CL_QUERIES:
                args = [a.format(self=name, peer=peer) for a in query]
                r = (node.cl_status(*args) if node.kind == "heartbeat"
                     else self.web.ctl(name, *args))
                text = r.stdout
                if query[0] == "hbstatus":
                    text = ""
                elif query[0] == "listnodes":
                    text = "".join(sorted(text.splitlines(True)))
                out[(name, " ".join(query))] = (text, r.returncode)
        return out

    # -- tests ---------------------------------------------------------------

    def test_cl_status_answers_match_heartbeat(self):
        """The same cluster states, two Heartbeat nodes then two tachy nodes
        (bcast, test001 preferred): both started, then after hb_standby /
        `tachyctl standby` on test001. tachyctl's answers to cl_status'
        queries are cl_status' own, word for word and exit code for exit
        code."""
        answers = {}
        for kind in ("heartbeat", "tachy"):
            web = self.mixed(kind, kind, "bcast")
            self.start_step()
            started = self.cl_answers()
            marks = self.marks()
            what = f"standby on test001 ({kind})"
            self.move(what, lambda: (mono_ns(), self.command(what, web.standby("test001")))[0],
                      "test002", STANDBY_TIMEOUT_S)
            if kind == "heartbeat":
                self.settle_standby(marks, what)
            else:
                time.sleep(1.0)
            answers[kind] = {"started": started, "after standby": self.cl_answers()}
            if kind == "heartbeat":
                # A new lab of the same name for the tachy pair.
                self.lab.close()
                web.release()
                self.web = None
                self.lab = Lab(self.tachyd, self.tachyctl, tag=self._testMethodName[5:9])
        mismatches = []
        for state, by_query in answers["heartbeat"].items():
            for key, want in by_query.items():
                got = answers["tachy"][state].get(key)
                if got != want:
                    mismatches.append(f"{state}, {key[0]}: {key[1]}: cl_status {want!r}, "
                                      f"tachyctl {got!r}")
        for state, by_query in answers["heartbeat"].items():
            print(f"  cl_status, {state}: " + "; ".join(
                f"{k[0]} {k[1]} -> {v[0].strip()!r} ({v[1]})" for k, v in by_query.items()),
                flush=True)
        self.assertEqual(mismatches, [], "\n".join(mismatches))

    def test_baseline_two_heartbeat_nodes(self):
        """Both nodes real Heartbeat, bcast: test001 serves alone; crash it,
        test002 serves within deadtime + 5 s; restart it, it serves again."""
        web = self.mixed("heartbeat", "heartbeat", "bcast")
        self.start_step()
        what = "crash of test001"
        first, _ = self.move(what, lambda: web.crash("test001"), "test002", DEADTIME_S + 5)
        self.assertLessEqual(first, (DEADTIME_S + 5) * 1000, what)
        self.figure("takeover_after_crash_of_heartbeat", first)
        self.assertIsNotNone(web.nodes["test002"].wait_log(r"node test001: is dead", 2))
        what = "restart of test001 (auto_failback)"
        marks = self.marks()
        first, _ = self.move(what, lambda: (mono_ns(), web.revive("test001"))[0], "test001",
                             RESTART_TIMEOUT_S)
        self.figure("failback_after_restart_of_heartbeat", first)
        self.wait_reformed(marks, what)
        self.assert_stays("test001", 2.0, what)
        generations = re.findall(r"Heartbeat generation: (\d+)", web.nodes["test001"].log())
        self.assertEqual(len(generations), 2, generations)
        self.assertGreater(int(generations[1]), int(generations[0]),
                           "a restart must bring a new generation")

    def test_baseline_lifecycle_two_heartbeat_nodes(self):
        """The mixed tests' life cycle with Heartbeat on both nodes: what
        the tachy node has to match."""
        self.mixed("heartbeat", "heartbeat", "bcast")
        self.lifecycle(strict_logs=False)

    def test_control_lifecycle_two_tachy_nodes(self):
        """The same life cycle with tachy on both nodes (tachy's own
        protocol; no Heartbeat log to check): the tachy side of the lab
        works, so a mixed test's failure is the mixed cluster's."""
        self.mixed("tachy", "tachy", "bcast")
        self.lifecycle()

    def test_mixed_heartbeat_preferred_bcast(self):
        self.mixed("heartbeat", "tachy", "bcast", preferred="test001")
        self.lifecycle()

    def test_mixed_heartbeat_preferred_ucast(self):
        self.mixed("heartbeat", "tachy", "ucast", preferred="test001")
        self.lifecycle()

    def test_mixed_tachy_preferred(self):
        self.mixed("tachy", "heartbeat", "bcast", preferred="test001")
        self.lifecycle()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--tachyd")
    p.add_argument("--tachyctl")
    p.add_argument("--tachydump")  # accepted like the other files; unused
    ARGS, rest = p.parse_known_args()
    LabTestCase.tachyd, LabTestCase.tachyctl = ARGS.tachyd, ARGS.tachyctl
    why = None
    if os.geteuid() != 0:
        why = "interop tests need root"
    elif not shutil.which("apache2", path="/usr/sbin:/usr/bin"):
        why = "interop tests need apache2"
    else:
        why = heartbeat_missing()
    return run_tests(rest, why is None, why or "")


if __name__ == "__main__":
    sys.exit(main())
