"""A short tachybench run: checks that its JSON, CSV and SVG are complete and
plausible (not its timing, which is the benchmark's business)."""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "lab"))
from netns_lab import run_tests  # noqa: E402

ARGS = None
DIST_KEYS = {"n", "min", "p50", "p90", "p99", "max"}


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

    def test_kill_trials_produce_complete_plausible_figures(self):
        doc, paths, table = self.run_bench("--fault", "kill", "--trials", "3")
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
        with open(paths["csv"]) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 3)
        with open(paths["svg"]) as f:
            self.assertIn("<svg", f.read(2000))
        self.assertIn("T_D p50", table)

    def test_idle_run_counts_no_mistakes(self):
        doc, _, _ = self.run_bench("--fault", "none", "--duration", "3")
        self.assertEqual(doc["detect_ms"]["n"], 0)
        self.assertEqual(doc["false_failovers"], 0, doc["mistakes"])
        self.assertGreaterEqual(doc["duration_s"], 3)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for k in ("--tachybench", "--tachyd", "--tachyctl", "--bridge"):
        p.add_argument(k)
    ARGS, rest = p.parse_known_args()
    return run_tests(rest, os.geteuid() == 0, "tachybench needs root")


if __name__ == "__main__":
    sys.exit(main())
