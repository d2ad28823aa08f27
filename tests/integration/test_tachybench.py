"""A short tachybench run: checks that its JSON, CSV and SVG are complete and
plausible (not its timing, which is the benchmark's business): the figures,
the per-stage timeline from the takeover lines (every stage of every trial,
timestamps in causal order), the hot service, apache2's cold start; and
tachybench's takeover-line parsing on synthetic lines."""

import argparse
import csv
import importlib.machinery
import importlib.util
import json
import os
import re
import subprocess
import sys
import signal
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
from netns_lab import run_tests  # noqa: E402

ARGS = None
DIST_KEYS = {"n", "min", "p50", "p90", "p99", "max"}
STAGES = {"detect", "notify", "vip", "garp", "resources", "serve", "verdict_to_vip"}
# The takeover line's timestamps, in the order they must happen.
ORDER = ("last_frame_ns", "verdict_ns", "decision_ns", "vip_ns", "garp_ns", "done_ns")


def load_tachybench():
    """bench/tachybench as a module (it has no .py suffix)."""
    sys.dont_write_bytecode = True
    loader = importlib.machinery.SourceFileLoader("tachybench", ARGS.tachybench)
    spec = importlib.util.spec_from_loader("tachybench", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class TachybenchTest(unittest.TestCase):

    def run_bench(self, *extra):
        out = tempfile.mkdtemp(prefix="tachybench-test-")
        self.addCleanup(subprocess.run, ["rm", "-rf", out])
        paths = {k: os.path.join(out, f"out.{k}") for k in ("json", "csv", "svg")}
        r = subprocess.run([sys.executable, ARGS.tachybench, "--tachyd", ARGS.tachyd,
                            "--tachyctl", ARGS.tachyctl, "--bridge", ARGS.bridge,
                            "--keepalive", "5ms", "--deadtime", "50ms",
                            "--json", paths["json"], "--csv", paths["csv"], "--svg", paths["svg"],
                            *extra], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:] + r.stdout[-2000:])
        with open(paths["json"]) as f:
            doc = json.load(f)
        return doc, paths, r.stdout

    def assert_stages_complete(self, doc, trials):
        """Every stage of every trial measured, from a successful takeover
        by another node whose timestamps are in causal order."""
        self.assertEqual(set(doc["stages_ms"]), STAGES)
        problems = [(t["trial"], t["stages_problem"]) for t in doc["trials"]]
        self.assertEqual(doc["stages_missing"], 0, problems)
        for stage, d in doc["stages_ms"].items():
            self.assertEqual(set(d), DIST_KEYS, stage)
            self.assertEqual(d["n"], trials, (stage, problems))
        for t in doc["trials"]:
            line = t["takeover"]
            self.assertIsNotNone(line, t)
            self.assertEqual(line.get("type"), "takeover")
            self.assertIs(line["ok"], True, line)
            self.assertNotEqual(line["node"], t["victim"], line)
            self.assertEqual(line["peer"], t["victim"], line)
            stamps = [line[k] for k in ORDER]
            self.assertTrue(all(isinstance(x, int) for x in stamps), line)
            self.assertEqual(stamps, sorted(stamps), line)
            self.assertGreater(line["verdict_ns"], t["t_fault_ns"], line)
            for res in line["resources"]:
                self.assertLessEqual(line["vip_ns"], res["done_ns"], line)
                self.assertLessEqual(res["done_ns"], line["done_ns"], line)
            self.assertEqual(set(t["stages_ms"]), STAGES)
            self.assertIsNone(t["stages_problem"])

    def test_kill_trials_produce_complete_plausible_figures(self):
        doc, paths, table = self.run_bench("--fault", "kill", "--trials", "3",
                                           "--coldstart-trials", "2")
        for key in ("detect_ms", "failover_ms", "false_failovers", "duration_s", "cpu_pct",
                    "rss_kb", "settings"):
            self.assertIn(key, doc)
        self.assertEqual(set(doc["detect_ms"]), DIST_KEYS)
        self.assertEqual(doc["detect_ms"]["n"], 3)
        self.assertEqual(doc["failover_ms"]["n"], 3)
        d = doc["detect_ms"]
        # Plausible, not a timing assertion: after the fault, within seconds.
        self.assertGreater(d["min"], 0)
        self.assertLessEqual(d["min"], d["p50"])
        self.assertLessEqual(d["p50"], d["max"])
        self.assertLess(d["max"], 5000)
        self.assertEqual(doc["settings"]["deadtime"], "50ms")
        # A few seconds at 5 ms keepalive may round to 0 clock ticks.
        self.assertGreaterEqual(doc["cpu_pct"]["tachyd"], 0)
        self.assertLess(doc["cpu_pct"]["tachyd"], 100)
        self.assertGreater(doc["rss_kb"]["tachyd"], 0)
        self.assertTrue(all(t["recovered"] for t in doc["trials"]))
        self.assertEqual(doc["settings"]["service"], "restart")
        self.assert_stages_complete(doc, 3)
        # The default service restarts apache2 on the takeover.
        for t in doc["trials"]:
            self.assertEqual([r["name"] for r in t["takeover"]["resources"]], ["httpd"])
        # apache2's cold start, measured first in the same lab.
        self.assertEqual(doc["coldstart_ms"]["n"], 2)
        self.assertGreater(doc["coldstart_ms"]["min"], 0)
        self.assertEqual({"deadtime_ms", "coldstart_p50_ms", "slack_ms", "bound_ms",
                          "serve_p50_ms", "met"}, set(doc["serve_bound_ms"]))
        with open(paths["csv"]) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 3)
        for stage in STAGES:
            self.assertIn(f"stage_{stage}_ms", rows[0])
        with open(paths["svg"]) as f:
            self.assertIn("<svg", f.read(2000))
        self.assertIn("T_D p50", table)
        self.assertIn("verdict_to_vip", table)
        self.assertIn("restart target", table)

    def test_hot_service_moves_only_the_vip(self):
        doc, _, _ = self.run_bench("--fault", "kill", "--service", "hot", "--trials", "2")
        self.assertEqual(doc["settings"]["service"], "hot")
        self.assertEqual(doc["failover_ms"]["n"], 2)
        self.assert_stages_complete(doc, 2)
        for t in doc["trials"]:
            self.assertEqual(t["takeover"]["resources"], [], t["takeover"])

    def test_coldstart_alone(self):
        doc, paths, table = self.run_bench("--fault", "coldstart", "--trials", "2")
        self.assertEqual(doc["settings"]["fault"], "coldstart")
        self.assertEqual(doc["coldstart_ms"]["n"], 2)
        self.assertEqual([r["page"] for r in doc["coldstart_runs"]], ["node b", "node b"])
        self.assertIn("apache2 cold start", table)

    def test_idle_run_counts_no_mistakes(self):
        doc, _, _ = self.run_bench("--fault", "none", "--duration", "3")
        self.assertEqual(doc["detect_ms"]["n"], 0)
        self.assertEqual(doc["false_failovers"], 0, doc["mistakes"])
        self.assertGreaterEqual(doc["duration_s"], 3)
        # No impairment asked for: the kernel's bridge joins the lab.
        self.assertEqual(doc["settings"]["path"], "kernel")
        self.assertNotIn("bridge", doc)

    def test_impair_path_reports_the_bridges_own_forwarding_delay(self):
        doc, _, _ = self.run_bench("--fault", "none", "--duration", "2", "--path", "impair")
        self.assertEqual(doc["settings"]["path"], "impair")
        fwd = doc["bridge"]
        self.assertGreater(fwd["measured"], 0, fwd)
        self.assertIn("max_delay_us", fwd)
        self.assertTrue(fwd["realtime"], fwd)


class PresetTest(unittest.TestCase):
    """The demo and the soak are tachybench presets: their reports."""

    def run_preset(self, *argv):
        r = subprocess.run([sys.executable, ARGS.tachybench, "--tachyd", ARGS.tachyd,
                            "--tachyctl", ARGS.tachyctl, "--bridge", ARGS.bridge, *argv],
                           capture_output=True, text=True, timeout=300)
        return r

    def test_demo_prints_each_trial_and_the_summary(self):
        r = self.run_preset("--preset", "demo", "--trials", "2", "--keepalive", "5ms",
                            "--deadtime", "50ms")
        self.assertEqual(r.returncode, 0, r.stderr[-3000:] + r.stdout)
        out = r.stdout
        self.assertRegex(out, r"haresources: 'a 10\.213\.7\.100 httpd'")
        self.assertIn("client gets: 'node a'", out)
        self.assertRegex(out, r"trial  1: crash a: b declares it dead after +[0-9.]+ ms; client's "
                              r"first page from b after +[0-9.]+ ms \(gap since last page from a "
                              r"+[0-9.]+ ms\)")
        self.assertRegex(out, r"trial  2: crash b: a declares it dead after")
        for name in ("detection", "failover", "gap"):
            self.assertRegex(out, name + r" +median +[0-9.]+ ms +min +[0-9.]+ ms +max +[0-9.]+ ms"
                                         r" +\(n=2\)")
        self.assertIn("took group 10.213.7.100", out)

    def test_soak_reports_deaths_and_each_link(self):
        r = self.run_preset("--preset", "soak", "--duration", "3")
        self.assertIn(r.returncode, (0, 1), r.stderr[-3000:])
        self.assertRegex(r.stdout, r"soak [0-9]+ s, keepalive 2ms, deadtime 20ms, path kernel: "
                                   r"([0-9]+) false deaths, [0-9]+ late warnings")
        deaths = int(re.search(r"([0-9]+) false deaths", r.stdout).group(1))
        self.assertEqual(r.returncode, 1 if deaths else 0)
        self.assertRegex(r.stdout, r"a of b: frames [0-9]+, lost [0-9]+, max gap")
        self.assertRegex(r.stdout, r"b of a: frames [0-9]+, lost [0-9]+, max gap")


class ProbeTest(unittest.TestCase):
    """The client probe opens a connection every millisecond whatever hangs:
    with 200 connections waiting on a dead path it used to open none until
    the oldest timed out (500 ms), so every outage longer than 200 ms
    measured as about 500 ms."""

    def test_an_outage_of_300_ms_measures_as_300_ms(self):
        from netns_lab import Lab, WebLab, mono_ns
        with Lab(ARGS.tachyd, ARGS.tachyctl, tag="pr") as lab:
            web = WebLab(lab, service="hot")
            web.start_hot_httpd("a")
            node = web.nodes["a"]
            run = web.follow_probe(duration=20, ip=node.ip)
            answers = run.answers
            time.sleep(0.3)
            t_down = mono_ns()
            lab.link(node.ns, "hb0", up=False)
            time.sleep(0.3)
            lab.link(node.ns, "hb0", up=True)
            t_up = mono_ns()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any(a["t_ns"] > t_up for a in answers):
                time.sleep(0.01)
            run.stop()
            after = [a["t_ns"] for a in answers if a["t_ns"] > t_up]
            self.assertTrue(after, "no page after the link came back")
            self.assertTrue(any(a["t_ns"] < t_down for a in answers), "no page before")
            back_ms = (min(after) - t_up) / 1e6
            self.assertLess(back_ms, 100, f"first page {back_ms:.1f} ms after the link came back")


class LabCrashTest(unittest.TestCase):
    """WebLab.crash is a crash: every process of the node is stopped before
    any is killed, so none sees another die and acts on it (keepalived's
    VRRP child, SIGTERMed by its parent's death, sends a priority-0 advert
    that hands over at once: killed one by one, keepalived 'detected' a
    crash in 10 ms)."""

    def test_every_process_is_stopped_before_any_is_killed(self):
        import netns_lab
        from unittest import mock
        calls, listings = [], [["101", "102", "103"], [], []]

        def fake_sh(*argv, check=True):
            if argv[:3] == ("ip", "netns", "pids"):
                return " ".join(listings.pop(0)) if listings else ""
            calls.append(("sh",) + argv)
            return ""
        web = mock.Mock()
        node = mock.Mock(ns="tyXa", proc=None)
        web.nodes = {"a": node}
        web.lab = mock.Mock()
        with mock.patch.object(netns_lab, "sh", fake_sh), \
                mock.patch.object(netns_lab.os, "kill",
                                  lambda pid, sig: calls.append((pid, sig))):
            web._kill_all = lambda n, pids: netns_lab.WebLab._kill_all(web, n, pids)
            web._kill_node = lambda n: netns_lab.WebLab._kill_node(web, n)
            netns_lab.WebLab.crash(web, "a")
        signals = [c for c in calls if c[0] != "sh"]
        stops = [k for k, c in enumerate(signals) if c[1] == signal.SIGSTOP]
        kills = [k for k, c in enumerate(signals) if c[1] == signal.SIGKILL]
        self.assertEqual(sorted(p for p, sig in signals if sig == signal.SIGSTOP), [101, 102, 103])
        self.assertEqual(sorted(p for p, sig in signals if sig == signal.SIGKILL), [101, 102, 103])
        self.assertLess(max(stops), min(kills), signals)
        web.lab.link.assert_called_once_with("tyXa", "hb0", up=False)


class MistakeAttributionTest(unittest.TestCase):
    """Each mistake says who declared whom, and whether the path went silent
    both ways at once (both declared each other) or one side stopped."""

    @classmethod
    def setUpClass(cls):
        cls.tb = load_tachybench()

    def test_mutual_deaths_are_a_path_stall_and_a_lone_one_names_the_silent_side(self):
        t = 10_000_000_000
        events = {"a": [{"node": "b", "to": "dead", "t_ns": t}],
                  "b": [{"node": "a", "to": "dead", "t_ns": t + 300_000}]}
        found = [{"observer": "a", "node": "b", "to": "dead", "t_ns": t},
                 {"observer": "b", "node": "a", "to": "dead", "t_ns": t + 300_000}]
        timing = {"a": {"max_lateness_ms": 0.4}, "b": {"max_lateness_ms": 9.1}}
        out = self.tb.attribute_mistakes(found, events, timing, 10.0)
        self.assertEqual(out[0]["declared"], "a declared b dead")
        self.assertIn("path stall", out[0]["cause"])
        self.assertIn("path stall", out[1]["cause"])
        self.assertEqual(out[0]["lateness_max_ms"], {"a": 0.4, "b": 9.1})
        lone = self.tb.attribute_mistakes(found[:1], {"a": events["a"], "b": []}, timing, 10.0)
        self.assertIn("one side: b's frames stopped reaching a", lone[0]["cause"])
        # The silent side woke a deadtime late itself: it stalled, not the path.
        stalled = self.tb.attribute_mistakes(found[:1], {"a": events["a"], "b": []},
                                             {"a": {"max_lateness_ms": 0.4},
                                              "b": {"max_lateness_ms": 13.9}}, 10.0)
        self.assertIn("b stalled", stalled[0]["cause"])
        self.assertIn("(13.9 ms) is at least the deadtime (10 ms): not the path",
                      stalled[0]["cause"])


class TakeoverParsingTest(unittest.TestCase):
    """tachybench's takeover-line choice and stages on synthetic lines."""

    T = 1_000_000_000
    LINE = {"type": "takeover", "node": "b", "group": "10.213.7.100", "ok": True,
            "cause": "peer a dead", "peer": "a", "last_frame_ns": T - 5_000_000,
            "verdict_ns": T + 20_000_000, "decision_ns": T + 20_100_000,
            "vip_ns": T + 20_300_000, "garp_ns": T + 20_350_000,
            "resources": [{"name": "httpd", "done_ns": T + 60_000_000}],
            "done_ns": T + 60_010_000}

    @classmethod
    def setUpClass(cls):
        cls.tb = load_tachybench()

    def test_picks_the_successful_takeover_of_another_node_after_the_fault(self):
        line, T = self.LINE, self.T
        before = dict(line, decision_ns=T - 1)
        by_victim = dict(line, node="a")
        failed = dict(line, ok=False, decision_ns=T + 20_000_500)
        pick = self.tb.pick_takeover
        self.assertIs(pick([("b", before), ("a", by_victim), ("b", failed), ("b", line)], "a", T),
                      line)
        self.assertIs(pick([("b", failed)], "a", T), failed)
        self.assertIsNone(pick([("b", before), ("a", line)], "a", T))

    def test_stages(self):
        stages, problem = self.tb.stages_of(self.LINE, self.T, 61.5)
        self.assertIsNone(problem)
        self.assertEqual(stages, {"detect": 20.0, "notify": 0.1, "vip": 0.2, "garp": 0.05,
                                  "resources": 39.66, "serve": 61.5, "verdict_to_vip": 0.3})
        hot = dict(self.LINE, resources=[], done_ns=self.T + 20_360_000)
        self.assertEqual(self.tb.stages_of(hot, self.T, 21.0)[0]["resources"], 0.01)

    def test_missing_failed_or_incomplete_lines_are_problems(self):
        for line, words in ((None, "no takeover line"),
                            (dict(self.LINE, ok=False), "failed"),
                            (dict(self.LINE, verdict_ns=None, peer=None), "verdict_ns")):
            stages, problem = self.tb.stages_of(line, self.T, 30.0)
            self.assertIn(words, problem or "")
            self.assertEqual(stages["serve"], 30.0)
            self.assertIsNone(stages["detect"])
        trials = [{"trial": 1, "stages_ms": self.tb.stages_of(self.LINE, self.T, 30.0)[0],
                   "stages_problem": None},
                  {"trial": 2, "stages_ms": self.tb.stages_of(None, self.T, 31.0)[0],
                   "stages_problem": "no takeover line"}]
        dists, missing = self.tb.stage_dists(trials)
        self.assertEqual(missing, 1)
        self.assertEqual(dists["serve"]["n"], 2)
        self.assertEqual(dists["vip"]["n"], 1)


class SideBySideTest(unittest.TestCase):
    """tachybench --detector tachy,keepalived,heartbeat: a 2-trial smoke of
    the alternating loop (the figures' shape and order, not their timing)."""

    def test_alternating_trials_give_every_detector_figures_and_a_ratio(self):
        tb = load_tachybench()
        names = ["tachy", "keepalived", "heartbeat"]
        missing = tb.side_by_side.unavailable(names)
        if missing:
            self.skipTest("side by side needs the peers' packages: " + "; ".join(missing.values()))
        out = tempfile.mkdtemp(prefix="tachybench-sbs-")
        self.addCleanup(subprocess.run, ["rm", "-rf", out])
        path, svg = os.path.join(out, "sbs.json"), os.path.join(out, "sbs.svg")
        r = subprocess.run([sys.executable, ARGS.tachybench, "--tachyd", ARGS.tachyd,
                            "--tachyctl", ARGS.tachyctl, "--bridge", ARGS.bridge,
                            "--detector", ",".join(names), "--mode", "restart", "--trials", "2",
                            "--json", path, "--svg", svg],
                           capture_output=True, text=True, timeout=400)
        # The error's first lines, then the end: a peer's log can fill 4 KiB.
        headline = "\n".join(l for l in r.stderr.splitlines()
                             if "Error" in l or "not settled" in l or "warning" in l)
        self.assertEqual(r.returncode, 0, headline[:2000] + "\n...\n" + r.stderr[-3000:] +
                         r.stdout[-1000:])
        with open(path) as f:
            doc = json.load(f)
        self.assertEqual(doc["settings"]["detectors"], names)
        self.assertEqual(doc["settings"]["fault"], "crash")
        self.assertEqual(list(doc["detectors"]), names)
        for name in names:
            d = doc["detectors"][name]
            self.assertEqual(d["detect_ms"]["n"], 2, (name, d["trials"]))
            self.assertEqual(d["failover_ms"]["n"], 2, (name, d["trials"]))
            for t in d["trials"]:
                self.assertTrue(t["served_before_fault"], (name, t))
                # The survivor's detection precedes the client's first page
                # from it, for every detector.
                self.assertLess(t["detect_ms"], t["failover_ms"], (name, t))
            self.assertIn("timing", d["settings"])
        self.assertEqual(doc["ratios"]["tachy"], {"detect_p50": 1.0, "failover_p50": 1.0})
        for name in names[1:]:
            self.assertGreater(doc["ratios"][name]["detect_p50"], 0)
        # Trials alternate: A B C A B C.
        order = sorted((t["t_fault_ns"], name) for name in names
                       for t in doc["detectors"][name]["trials"])
        self.assertEqual([n for _, n in order], names * 2)
        self.assertEqual(doc["detectors"]["tachy"]["stages_missing"], 0)
        for name in names:
            self.assertIn(name, r.stdout)
        if tb.shutil.which("gnuplot"):
            with open(svg) as f:
                text = f.read()
            for name in names:
                self.assertIn(name, text)


class PeerLogParsingTest(unittest.TestCase):
    """The peers' log lines as detections, on lines as keepalived 2.2.7 and
    Heartbeat 3.0.6 write them."""

    @classmethod
    def setUpClass(cls):
        cls.tb = load_tachybench()
        import peers
        cls.peers = peers

    def driver(self, cls):
        d = cls(argparse.Namespace(keepalived_advert="0.01", heartbeat_keepalive="20ms",
                                   heartbeat_deadtime="60ms"))
        d.names, d.state, d.marks = ["a", "b"], {}, {}
        return d

    def test_keepalived_backup_timeout_is_a_death_and_backup_again_is_up(self):
        d = self.driver(self.peers.KeepalivedDriver)
        lines = ["Tue Dec  1 17:48:43 2026: (VI) Entering BACKUP STATE (init)",
                 "Tue Dec  1 17:48:45 2026: (VI) Receive advertisement timeout",
                 "Tue Dec  1 17:48:45 2026: (VI) Entering MASTER STATE",
                 "Tue Dec  1 17:48:46 2026: (VI) Master received advert from 10.213.7.1 with "
                 "higher priority 200, ours 100",
                 "Tue Dec  1 17:48:46 2026: (VI) Entering BACKUP STATE"]
        for t, line in enumerate(lines):
            d._on_line("b", t, line)
        self.assertEqual([(o, e["node"], e["to"], e["t_ns"]) for o, e in d.all_events()],
                         [("b", "a", "dead", 1), ("b", "a", "up", 4)])
        self.assertEqual(d.state["b"], "BACKUP")

    def test_heartbeat_dead_and_active_lines(self):
        d = self.driver(self.peers.HeartbeatDriver)
        lines = ["Dec 01 17:49:01 b heartbeat: [29808]: info: Status update for node a: "
                 "status active",
                 "Dec 01 17:49:12 b heartbeat: [29808]: info: Initial resource acquisition "
                 "complete (T_RESOURCES(us))",
                 "Dec 01 17:49:13 b heartbeat: [29808]: WARN: node a: is dead",
                 "Dec 01 17:49:13 b heartbeat: [29808]: info: Link a:hb0 dead."]
        for t, line in enumerate(lines):
            d._on_line("b", t, line)
        self.assertEqual([(o, e["node"], e["to"], e["t_ns"]) for o, e in d.all_events()],
                         [("b", "a", "up", 0), ("b", "a", "dead", 2)])
        self.assertEqual(d.marks["b"], {"active a", "resources"})

    def test_detector_lists(self):
        sbs = self.tb.side_by_side
        self.assertEqual(sbs.parse_detectors("tachy, keepalived"), ["tachy", "keepalived"])
        for bad in ("", "tachy,tachy", "tachy,vrrpd"):
            with self.assertRaises(ValueError):
                sbs.parse_detectors(bad)
        per = {"tachy": {"detect_ms": {"p50": 20.0}, "failover_ms": {"p50": 40.0}},
               "keepalived": {"detect_ms": {"p50": 33.0}, "failover_ms": {"p50": None}}}
        self.assertEqual(sbs.ratios(per, ["tachy", "keepalived"]),
                         {"tachy": {"detect_p50": 1.0, "failover_p50": 1.0},
                          "keepalived": {"detect_p50": 1.65, "failover_p50": None}})


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for k in ("--tachybench", "--tachyd", "--tachyctl", "--bridge"):
        p.add_argument(k)
    ARGS, rest = p.parse_known_args()
    return run_tests(rest, os.geteuid() == 0, "tachybench needs root")


if __name__ == "__main__":
    sys.exit(main())
