"""report_selftest_compare.py: known-answer checks of report_compare.py and report_load.row_view (called by
scripts/report_selftest.py, which tests/test_report.c runs): IQM, bootstrap intervals, the exact Wilcoxon test
against its published critical values, the smallest useful n, normalised regret, ranks over tasks, the
equal-compute flag, the configuration view of promoted rows, 2-d hypervolume, and the agreement of the rank
figure's last point with the Friedman ranks on a file where the old row-count figure disagreed.
"""
import math

import numpy as np

import report_compare as RC
import report_load as RL
import report_stats as RS


def _experiment(rows, maximize=False, rungs=None):
    """An in-memory experiment (format 2): rows of (id, strategy, rep, parent, status, fidelity, value, test, start,
    end, compute units); rungs: (trial, rung, fidelity, value, seconds, status) rows, or None."""
    dt = [("id", "<i8"), ("strategy", "S32"), ("repetition", "<i8"), ("seed", "<u8"), ("parent_id", "<i8"),
          ("retry_of", "<i8"), ("status", "S16"), ("param_x", "<f8"), ("obj_loss", "<f8"), ("obj_test_loss", "<f8"),
          ("fidelity", "<f8"), ("compute_units", "<f8"), ("compute_seconds", "<f8"), ("start_time", "<f8"),
          ("end_time", "<f8")]
    t = np.array([(i, s.encode(), r, i, p, -1, st.encode(), 0.1 * i, v, tv, f, u, b - a, a, b)
                  for i, s, r, p, st, f, v, tv, a, b, u in rows], dtype=dt)
    e = RL.Experiment("synthetic")
    e.trials, e.objectives, e.maximize = t, ["loss", "test_loss"], [maximize, maximize]
    if rungs is not None:
        gt = [("trial", "<i8"), ("rung", "<i8"), ("fidelity", "<f8"), ("value", "<f8"), ("seconds", "<f8"),
              ("status", "S16")]
        e.rungs = np.array([(a, b, c, d, x, y.encode()) for a, b, c, d, x, y in rungs], dtype=gt)
    e.params, e.param_types = ["x"], ["float"]
    return e


def check_all(close, check):
    close("iqm of 1..8", RC.iqm(np.arange(1, 9)), 4.5, 1e-12)            # mean of 3, 4, 5, 6
    close("iqm of 5 values", RC.iqm([1, 2, 3, 4, 100]), 3.0, 1e-12)     # cut one each side: mean of 2, 3, 4
    check("bootstrap of a constant", RC.bootstrap_ci([2.0] * 5, np.mean) == (2.0, 2.0))
    x = np.random.default_rng(3).standard_normal(400)
    lo, hi = RC.bootstrap_ci(x, np.mean)
    close("bootstrap mean interval width ~ 2*1.96/sqrt(400)", hi - lo, 2 * 1.96 * x.std() / 20.0, 0.03)
    check("bootstrap needs two values", math.isnan(RC.bootstrap_ci([1.0], np.mean)[0]))
    # exact Wilcoxon: n = 5 all positive: p = 2/32; n = 6: 2/64 (the smallest n under 0.05)
    close("wilcoxon n=5", RC.wilcoxon_exact([2, 3, 4, 5, 6], [1, 1, 1, 1, 1])[2], 2 / 32.0, 1e-12)
    close("wilcoxon n=6", RC.wilcoxon_exact(np.arange(1, 7) + 1.0, np.ones(6))[2], 2 / 64.0, 1e-12)
    check("wilcoxon min n = 6", RC.wilcoxon_min_n() == 6)
    # Published critical values (two-sided alpha 0.05): n = 8: T = 3; n = 10: T = 8 (p <= 0.05 at T, > at T+1).
    # n = 8, negatives of ranks 1 and 2 (T = 3): P(T <= 3) = #{subsets of 1..8 summing <= 3} / 256 = 5/256.
    d8 = np.array([-1, -2, 3, 4, 5, 6, 7, 8], dtype=float)
    close("wilcoxon n=8 T=3", RC.wilcoxon_exact(d8, np.zeros(8))[2], 10 / 256.0, 1e-12)
    d8b = np.array([-1, 2, -3, 4, 5, 6, 7, 8], dtype=float)   # T = 4
    check("wilcoxon n=8 T=4 is over 0.05", RC.wilcoxon_exact(d8b, np.zeros(8))[2] > 0.05)
    d10 = np.array([-1, 2, -3, -4, 5, 6, 7, 8, 9, 10], dtype=float)  # T = 8
    d10b = np.array([-1, 2, 3, -4, -5, 6, 7, 8, 9, 10], dtype=float)  # T = 10
    check("wilcoxon n=10 T=8 under 0.05", RC.wilcoxon_exact(d10, np.zeros(10))[2] <= 0.05)
    check("wilcoxon n=10 T=10 over 0.05", RC.wilcoxon_exact(d10b, np.zeros(10))[2] > 0.05)
    if RS.sps is not None:
        y = np.random.default_rng(5).standard_normal(9)
        close("wilcoxon vs scipy exact", RC.wilcoxon_exact(y, np.zeros(9))[2],
              float(RS.sps.wilcoxon(y, method="exact").pvalue), 1e-12)
    check("normalised regret (min)", np.allclose(RC.normalised_regret([3.0, 5.0], 1.0, 9.0), [0.25, 0.5]))
    close("normalised regret (max)", float(RC.normalised_regret(8.0, 10.0, 2.0)), 0.25, 1e-12)
    names, rk, ci, _ = RC.ranks_over_tasks({"t1": {"a": 0.1, "b": 0.2, "c": 0.3},
                                            "t2": {"a": 0.2, "b": 0.1, "c": 0.3}})
    check("ranks over tasks", names == ["a", "b", "c"] and list(rk) == [1.5, 1.5, 3.0])
    check("rank intervals over tasks", ci[2] == (3.0, 3.0) and ci[0][0] >= 1.0 and ci[0][1] <= 2.0)
    # strategies-small before equal compute: SH used 21 units, the others 180: SH is flagged under 90%
    m, flag = RC.equal_compute_flags({"random": [180, 180], "tpe": [180, 180], "sh": [21, 21], "asha": [190, 200]})
    check("equal-compute flag", m == 180 and flag == {"random": "", "tpe": "", "sh": "under", "asha": ""})
    check("equal-compute over", RC.equal_compute_flags({"a": [10], "b": [10], "c": [12]})[1]["c"] == "over")
    close("hypervolume 2d", RC.hypervolume_2d([[1, 2], [2, 1], [2.5, 2.5]], [3, 3]), 3.0, 1e-12)
    check("reference point", np.allclose(RC.reference_point([[0, 0], [10, 1]]), [11, 1.1]))
    # format 2: trial 0 promoted 1 -> 3 -> 9 (one row, 9 units, three rungs); 3 stopped at its first rung (pruned,
    # valued: its rung completed); 4 pruned mid-run by a pruner (no value)
    e = _experiment([(3, "sh", 0, -1, "pruned", 1, 0.2, 0.9, 0, 1, 1), (4, "sh", 0, -1, "pruned", 0.5, 0.1, 0.1, 0, 1.5, 0.5),
                     (0, "sh", 0, -1, "complete", 9, 0.3, 0.35, 0, 3, 9)],
                    rungs=[(0, 0, 1, 0.5, 1, "complete"), (3, 0, 1, 0.2, 1, "complete"), (4, 0, 0.5, 0.1, 1.5, "pruned"),
                           (0, 1, 3, 0.4, 1, "complete"), (0, 2, 9, 0.3, 1, "complete")])
    v = RL.row_view(e)
    check("row units", list(v["units"]) == [1, 0.5, 9] and list(v["config"]) == [3, 4, 0]
          and list(v["valued"]) == [True, False, True])
    check("configurations by status", RL.config_status(e) == {"sh": {"complete": 1, "pruned": 2}})
    r = RC.runs(e)["sh"][0]
    check("incumbent is validation-best with its test score", r.incumbent(False) == (0.2, 0.9))
    check("cumulative compute", list(r.units) == [1, 1.5, 10.5] and list(r.configs) == [1, 2, 3] and r.n_evals == 5)
    _rank_agreement(check)
    try:
        import results_frames as RF
    except ImportError:  # python3-pandas missing: the loader is optional for the report
        return
    e.choices = {"x": ["a", "b"]}
    e.trials["param_x"][:] = [0, np.nan, 1]
    fr = RF.experiment_frames(e)
    check("frames: labels", list(fr["trials"]["param_x"]) == ["a", None, "b"])
    check("frames: compute", list(fr["trials"]["compute_units"]) == [1, 0.5, 9] and fr["trials"]["strategy"][0] == "sh")
    check("frames: rungs with strategy", list(fr["rungs"]["trial"]) == [0, 3, 4, 0, 0]
          and list(fr["rungs"]["strategy"]) == ["sh"] * 5)


def _rank_agreement(check):
    """Strategy 'fast' stops after 2 rows with a good value, 'slow' runs 6 rows and ends better, 'mid' 4 rows.
    The old figure ranked by rows up to the shortest run (2 rows) and disagreed with the final ranks."""
    rows, i = [], 0
    for rep in range(3):
        for s, vals in (("fast", [0.5, 0.3]), ("slow", [0.9, 0.8, 0.7, 0.6, 0.2, 0.1]), ("mid", [0.6, 0.4, 0.35, 0.25])):
            for k, v in enumerate(vals):
                rows.append((i, s, rep, -1, "complete", 1, v + 0.01 * rep, math.nan, k, k + 1, 1))
                i += 1
    e = _experiment(rows)
    ar = RC.runs(e)
    grid = RC.grid_for(ar, "units", 50)
    rk, reps = RC.ranks_on_grid(ar, grid, "units", False)
    fr = RS.friedman({s: {r: ar[s][r].final(False) for r in reps} for s in ar}, False)
    check("rank figure's last point = Friedman ranks",
          all(abs(rk[s][-1] - fr["avg_ranks"][s]) < 1e-12 for s in ar) and fr["avg_ranks"]["slow"] == 1.0)
    old = RS.average_ranks({s: RS.by_trials({r: (ar[s][r].vals, None) for r in reps}, False)[1] for s in ar}, False)
    check("the old row-count figure disagreed on this file", old["slow"][-1] != fr["avg_ranks"]["slow"])
