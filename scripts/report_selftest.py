#!/usr/bin/python3
"""report_selftest.py: checks the statistics of the report (report_stats.py) and the input checks of report_load.py
against references computed by hand (written below with the arithmetic), independent of the code under test:
ranks with ties, t intervals, running best, Holm, exact Wilcoxon and Mann-Whitney p-values, Friedman's statistic,
Nemenyi's critical difference (Demsar 2006's worked example), Bergstra & Bengio's validation-uncertainty weights
(a two-trial case with a closed form), efficiency sizes, the binned importance and Pareto masks.
Run by tests/test_report.c; exit status 0 when every check passes, 1 otherwise (the failures are printed).
"""
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import report_load as RL  # noqa: E402
import report_stats as RS  # noqa: E402
import report_selftest_compare  # noqa: E402

FAILS = []


def close(name, got, want, tol):
    if not (abs(got - want) <= tol):
        FAILS.append("%s: got %r, want %r (tolerance %g)" % (name, got, want, tol))


def check(name, cond):
    if not cond:
        FAILS.append(name)


def main():
    check("rankdata ties", list(RS.rankdata([3, 1, 2, 2])) == [4.0, 1.0, 2.5, 2.5])
    # mean 2.5, sd = sqrt(5/3), t_0.975(3) = 3.182446305284263
    mu, half, n = RS.mean_ci([1, 2, 3, 4, float("nan")])
    close("mean", mu, 2.5, 1e-12)
    close("ci half-width", half, 3.182446305284263 * math.sqrt(5.0 / 3.0) / 2.0, 2e-3)
    check("ci n", n == 4)
    check("ci of one value", math.isnan(RS.mean_ci([7.0])[1]))
    rb = RS.running_best([float("nan"), 3.0, 5.0, 1.0, float("nan")], False)
    check("running best (min)", math.isnan(rb[0]) and list(rb[1:]) == [3.0, 3.0, 1.0, 1.0])
    check("running best (max)", list(RS.running_best([1.0, 3.0, 2.0], True)) == [1.0, 3.0, 3.0])
    x, m = RS.by_trials({0: (np.array([3.0, 1.0, 2.0]), None), 1: (np.array([5.0]), None)}, False)
    check("by_trials pads a short run with its last best", list(x) == [1, 2, 3] and list(m[1]) == [5.0] * 3)
    # Holm: sorted 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.06, 0.04*1) = 0.06
    check("holm", np.allclose(RS.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]))
    # Friedman: 4 blocks, always a < b < c: average ranks 1, 2, 3; chi2 = 12*4/(3*4) * (1 + 0 + 1) = 8,
    # p = exp(-8/2) (chi-square with 2 degrees of freedom)
    fin = {s: {r: float(k + 0.1 * r) for r in range(4)} for k, s in enumerate("abc")}
    fr = RS.friedman(fin, False)
    close("friedman stat", fr["stat"], 8.0, 1e-12)
    check("friedman ranks", [fr["avg_ranks"][s] for s in "abc"] == [1.0, 2.0, 3.0])
    if RS.sps is not None:
        close("friedman p", fr["p"], math.exp(-4.0), 1e-12)
        m = np.array([[fin[s][r] for s in "abc"] for r in range(4)])
        m[0, :] = [1.0, 1.0, 2.0]  # ties: compare with scipy's tie-corrected statistic
        fin2 = {s: {r: m[r, k] for r in range(4)} for k, s in enumerate("abc")}
        close("friedman with ties", RS.friedman(fin2, False)["stat"],
              float(RS.sps.friedmanchisquare(*[m[:, k] for k in range(3)]).statistic), 1e-12)
    check("friedman needs 3 strategies", RS.friedman({"a": {0: 1.0}, "b": {0: 2.0}}, False) is None)
    # Demsar 2006 Sec. 3.2.2 example: k = 4 classifiers, N = 14 data sets, CD = 2.569 sqrt(4*5/(6*14)) = 1.25
    close("nemenyi cd (Demsar)", RS.nemenyi_cd(4, 14), 1.2536, 1e-3)
    close("nemenyi cd k=3", RS.nemenyi_cd(3, 4), 2.343 * math.sqrt(12.0 / 24.0), 1e-9)
    if RS.sps is not None and hasattr(RS.sps, "studentized_range"):
        # q_0.05(12, inf) = 4.622 (studentized range tables) / sqrt(2) = 3.268
        close("nemenyi cd k=12", RS.nemenyi_cd(12, 10) / math.sqrt(12 * 13 / 60.0), 3.268, 5e-3)
    rng = np.random.default_rng(1)
    # No n_valid: the best validation trial's test value.
    close("bb argmin", RS.bb_score([0.3, 0.1, 0.2], [0.5, 0.7, 0.9], 0, False, rng), 0.7, 0)
    close("bb accuracy argmax", RS.bb_score([0.7, 0.9], [0.6, 0.8], 0, True, rng), 0.8, 0)
    # Two trials, losses 0.1 and 0.3, n_valid = 50: P(Z1 < Z2) = Phi(0.2 / sqrt((0.09 + 0.21) / 49)),
    # so the score with test values (0, 1) is 1 - Phi(2.5555) = 0.0053.
    w2 = 1 - 0.5 * (1 + math.erf(0.2 / math.sqrt(0.30 / 49.0) / math.sqrt(2)))
    close("bb two trials", RS.bb_score([0.1, 0.3], [0.0, 1.0], 50, False, rng, n_mc=20000), w2, 3e-3)
    # Equal validation losses: each wins half the time.
    close("bb tie", RS.bb_score([0.2, 0.2], [0.0, 1.0], 100, False, rng, n_mc=20000), 0.5, 0.02)
    eff = RS.efficiency(np.linspace(0.5, 0.1, 20), None, 0, False)
    check("efficiency sizes", [s for s, _ in eff] == [1, 2, 4, 8] and [len(v) for _, v in eff] == [20, 10, 5, 2])
    # size 8: experiments are trials 0-7 and 8-15; the best (lowest) loss of each is its last trial.
    check("efficiency scores", np.allclose(eff[3][1], [np.linspace(0.5, 0.1, 20)[7], np.linspace(0.5, 0.1, 20)[15]]))
    # eta^2 of x = (0,0,1,1) for y = (1,2,3,4): between = 2*1 + 2*1 = 4, total = 5, minus (2-1)/(4-1)
    imp = RS.importance(np.array([[0.0], [0.0], [1.0], [1.0]]), np.array([1.0, 2.0, 3.0, 4.0]), [True])
    close("importance by hand", imp[0], 0.8 - 1.0 / 3.0, 1e-12)
    r = np.random.default_rng(7)
    X = np.column_stack([r.uniform(size=300), r.uniform(size=300), r.integers(0, 3, 300).astype(float)])
    X[r.uniform(size=300) < 0.2, 1] = np.nan
    y = (X[:, 0] - 0.3) ** 2 + 0.01 * r.normal(size=300)
    imp = RS.importance(X, y, [False, False, True])
    check("importance finds the parameter that matters (%s)" % imp, imp[0] > 0.5 and imp[1] < 0.05 and imp[2] < 0.05)
    F = np.array([[1, 3], [2, 2], [3, 1], [2, 3], [3, 3]], dtype=float)
    check("pareto mask", list(RS.pareto_mask(F)) == [True, True, True, False, False])
    check("text of fixed-length bytes", RL.text(b"complete\0\0") == "complete")
    report_selftest_compare.check_all(close, check)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "other.h5")
        with h5py.File(p, "w") as f:
            f.attrs["format"] = "something-else"
        try:
            RL.load(p)
            FAILS.append("load accepted an HDF5 file that is not a results file")
        except RL.ReportInputError as e:
            check("message for a foreign HDF5 file: %s" % e, "not a tunebench results file" in str(e))
        p = os.path.join(d, "text.h5")
        with open(p, "w") as f:
            f.write("hello\n")
        try:
            RL.load(p)
            FAILS.append("load accepted a text file")
        except RL.ReportInputError as e:
            check("message for a text file: %s" % e, "not an HDF5 file" in str(e))
    for f in FAILS:
        print("FAILED:", f)
    print("report_selftest: %s" % ("ok" if not FAILS else "%d failure(s)" % len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
