"""Unit tests of the harness's scripts: the A/B statistics of harness/compare
(harness/tools/abstats.py), compare's errors for bad commits and options, and
harness/plot's for bad files. Run by ctest (label unit) with the source tree
as the first argument; no model, build or network needed."""

import math
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
sys.dont_write_bytecode = True  # no __pycache__ under harness/ (LOCK)
sys.path.insert(0, os.path.join(ROOT, "harness", "tools"))
import abstats  # noqa: E402


class AbStats(unittest.TestCase):
    def test_t_quantiles(self):
        self.assertAlmostEqual(abstats.t975(1), 12.706)
        self.assertAlmostEqual(abstats.t975(2), 4.303)
        self.assertAlmostEqual(abstats.t975(30), 2.042)
        self.assertAlmostEqual(abstats.t975(200), 1.96)
        with self.assertRaises(ValueError):
            abstats.t975(0)

    def test_identical_pairs_give_ratio_one_and_a_zero_width_interval(self):
        r, lo, hi = abstats.ratio_interval([10.0, 11.0, 12.0], [10.0, 11.0, 12.0])
        self.assertEqual((r, lo, hi), (1.0, 1.0, 1.0))
        self.assertEqual(abstats.verdict(lo, hi, True), "within noise")

    def test_interval_by_hand(self):
        # log-ratios ln(1.1), ln(1.2), ln(1.3): mean m, sd s, half-width t(2) s / sqrt(3)
        d = [math.log(1.1), math.log(1.2), math.log(1.3)]
        m = sum(d) / 3
        s = math.sqrt(sum((x - m) ** 2 for x in d) / 2)
        r, lo, hi = abstats.ratio_interval([1.0, 1.0, 1.0], [1.1, 1.2, 1.3])
        self.assertAlmostEqual(r, math.exp(m))
        self.assertAlmostEqual(lo, math.exp(m - 4.303 * s / math.sqrt(3)))
        self.assertAlmostEqual(hi, math.exp(m + 4.303 * s / math.sqrt(3)))
        self.assertLess(lo, 1.0)  # three noisy pairs cannot establish this +20 %
        self.assertEqual(abstats.verdict(lo, hi, True), "within noise")

    def test_a_consistent_speedup_is_faster_and_a_slowdown_slower(self):
        base = [20.0, 21.0, 19.5, 20.4]
        faster = [b * f for b, f in zip(base, [1.10, 1.11, 1.09, 1.10])]
        r, lo, hi = abstats.ratio_interval(base, faster)
        self.assertGreater(lo, 1.0)
        self.assertEqual(abstats.verdict(lo, hi, True), "faster")
        r, lo, hi = abstats.ratio_interval(faster, base)
        self.assertLess(hi, 1.0)
        self.assertEqual(abstats.verdict(lo, hi, True), "slower")
        # Milliseconds: lower is better, so the same interval reads the other way.
        self.assertEqual(abstats.verdict(lo, hi, False), "faster")

    def test_ratio_is_symmetric_on_the_log_scale(self):
        a, b = [10.0, 12.0, 11.0], [12.0, 13.0, 12.5]
        r1, lo1, hi1 = abstats.ratio_interval(a, b)
        r2, lo2, hi2 = abstats.ratio_interval(b, a)
        self.assertAlmostEqual(r1 * r2, 1.0)
        self.assertAlmostEqual(lo1 * hi2, 1.0)

    def test_bad_input(self):
        with self.assertRaises(ValueError):
            abstats.ratio_interval([1.0, 2.0], [1.0])
        with self.assertRaises(ValueError):
            abstats.ratio_interval([1.0, 0.0], [1.0, 1.0])
        with self.assertRaises(ValueError):
            abstats.ratio_interval([1.0], [1.0])

    def test_median(self):
        self.assertEqual(abstats.median([3.0, 1.0, 2.0]), 2.0)
        self.assertEqual(abstats.median([4.0, 1.0, 2.0, 3.0]), 2.5)


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


class Scripts(unittest.TestCase):
    def test_compare_names_a_bad_commit(self):
        p = run(os.path.join(ROOT, "harness", "compare"), "no-such-commit-xyz", "HEAD", "--suite", "quick")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("BASE 'no-such-commit-xyz' is not a commit", p.stderr)
        p = run(os.path.join(ROOT, "harness", "compare"), "HEAD", "0123456789abcdef0123", "--suite", "quick")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("CAND '0123456789abcdef0123' is not a commit", p.stderr)

    def test_compare_needs_three_pairs(self):
        p = run(os.path.join(ROOT, "harness", "compare"), "HEAD", "HEAD", "--pairs", "2")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--pairs must be at least 3", p.stderr)

    def test_plot_rejects_missing_and_foreign_files(self):
        with tempfile.TemporaryDirectory() as d:
            p = run(os.path.join(ROOT, "harness", "plot"), os.path.join(d, "none.tsv"))
            self.assertEqual(p.returncode, 2)
            foreign = os.path.join(d, "foreign.tsv")
            with open(foreign, "w") as f:
                f.write("a\tb\n1\t2\n")
            p = run(os.path.join(ROOT, "harness", "plot"), foreign, "-o", os.path.join(d, "x.png"))
            self.assertEqual(p.returncode, 2)
            self.assertTrue("not a results file" in p.stderr or "gnuplot is not installed" in p.stderr, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
