"""report_compare.py: the comparison statistics of `tunebench report` that work on compute rather than on rows:
runs per strategy and repetition with cumulative compute (fidelity units, seconds) and configurations, best-so-far
on a common compute grid, the equal-compute check (90% / 110% of the median), interquartile mean and median with
percentile-bootstrap 95% intervals (Agarwal et al. 2021), the exact Wilcoxon signed-rank test with the smallest n
that can reach p < 0.05, normalised regret, ranks over tasks with bootstrap intervals, and 2-d hypervolume.
Not here: reading the file (report_load.py), the older per-row statistics (report_stats.py), drawing. Tested by
scripts/report_selftest.py against hand-computed and published values (run from tests/test_report.c).
"""
import math

import numpy as np

import report_load as RL
import report_stats as RS

N_BOOT = 2000


class Run:
    """One strategy x repetition, its rows (one per configuration) in end-time order (interrupted rows left out: a
    retry repeats them). vals: first objective of rows with a measured value (RL.row_view's valued; NaN otherwise);
    test: the incumbent-eligible test objective (NaN when none); units/secs: cumulative compute after each row;
    configs: cumulative configurations after each row; n_evals: rung evaluations (runs) of its configurations."""

    def __init__(self, vals, test, units, secs, configs, ids, n_evals=0):
        self.vals, self.test, self.units, self.secs, self.configs, self.ids = vals, test, units, secs, configs, ids
        self.n_evals = n_evals

    def best(self, maximize):
        return RS.running_best(self.vals, maximize)

    def final(self, maximize):
        b = self.best(maximize)
        return float(b[-1]) if len(b) else math.nan

    def incumbent(self, maximize):
        """(validation value, test value) of the validation-best row with a value (the first on ties), NaN if none."""
        ok = np.isfinite(self.vals)
        if not ok.any():
            return math.nan, math.nan
        v = np.where(ok, self.vals, -np.inf if maximize else np.inf)
        i = int(np.argmax(v) if maximize else np.argmin(v))
        return float(self.vals[i]), float(self.test[i]) if self.test is not None else math.nan


def test_objective(e):
    """Index of the recorded-only test objective matching the first objective (test_accuracy for an accuracy),
    or None."""
    tests = [i for i, o in enumerate(e.objectives) if o.lower().startswith("test")]
    if not tests or not e.objectives or e.objectives[0].lower().startswith("test"):
        return None
    want = e.objectives[0].split("_", 1)[-1]
    for i in tests:
        if e.objectives[i].split("_", 1)[-1] == want:
            return i
    return tests[0] if len(tests) == 1 else None


def runs(e, obj=0):
    """{strategy: {repetition: Run}} of experiment e (see RL.row_view for what a row costs)."""
    t = e.trials
    out = {}
    if t is None or len(t) == 0 or obj >= len(e.objectives):
        return out
    view = RL.row_view(e)
    col = t["obj_" + e.objectives[obj]]
    ti = test_objective(e) if obj == 0 else None
    tcol = t["obj_" + e.objectives[ti]] if ti is not None else None
    status, strat = e.status(), e.strategy()
    evals = {}
    if e.rungs is not None:
        for i in e.rungs["trial"]:
            evals[int(i)] = evals.get(int(i), 0) + 1
    keys = {}
    for i in range(len(t)):
        if status[i] != "interrupted":
            keys.setdefault((strat[i], int(t["repetition"][i])), []).append(i)
    for (s, r), idx in sorted(keys.items()):
        idx = sorted(idx, key=lambda i: (t["end_time"][i], t["id"][i]))
        ok = np.array([bool(view["valued"][i]) for i in idx])
        vals = np.where(ok, col[idx].astype(float), np.nan)
        test = np.where(ok, tcol[idx].astype(float), np.nan) if tcol is not None else None
        out.setdefault(s, {})[r] = Run(vals, test, np.cumsum(view["units"][idx]), np.cumsum(view["seconds"][idx]),
                                       np.arange(1, len(idx) + 1), t["id"][idx],
                                       sum(evals.get(int(t["id"][i]), 1) for i in idx))
    return out


def on_grid(run, grid, axis, maximize):
    """Best so far of run at each point of grid, on axis 'units', 'secs' or 'configs' (NaN before the first
    finished row; a run that ended before a point keeps its final best: it had stopped)."""
    x = getattr(run, axis)
    b = run.best(maximize)
    pos = np.searchsorted(x, grid, side="right") - 1
    m = np.full(len(grid), np.nan)
    ok = pos >= 0
    m[ok] = b[pos[ok]]
    return m


def grid_for(allruns, axis, n=100):
    """A common grid from 0 to the largest compute any run used on axis (its last point is every run's end)."""
    top = max(float(getattr(r, axis)[-1]) for rr in allruns.values() for r in rr.values() if len(r.vals))
    return np.linspace(0.0, max(top, 1e-12), n + 1)[1:]


def matrix(runs_of_strategy, grid, axis, maximize, reps=None):
    reps = sorted(runs_of_strategy) if reps is None else reps
    return np.array([on_grid(runs_of_strategy[r], grid, axis, maximize) for r in reps])


def ranks_on_grid(allruns, grid, axis, maximize):
    """{strategy: average rank (1 = best) at each grid point} over the repetitions every strategy ran, counting
    a point only where every strategy has a value. At the grid's last point every run has ended, so these ranks
    are the ranks of the final best values (the Friedman ranks of the same repetitions)."""
    names = sorted(allruns)
    reps = sorted(set.intersection(*[set(allruns[s]) for s in names]))
    mats = {s: matrix(allruns[s], grid, axis, maximize, reps) for s in names}
    return RS.average_ranks(mats, maximize), reps


def compute_table(allruns):
    """{strategy: {repetition: (units, seconds, configurations, rung evaluations)}} of each run's totals."""
    return {s: {r: (float(x.units[-1]) if len(x.units) else 0.0, float(x.secs[-1]) if len(x.secs) else 0.0,
                    int(x.configs[-1]) if len(x.configs) else 0, x.n_evals) for r, x in rr.items()}
            for s, rr in allruns.items()}


def equal_compute_flags(totals, lo=0.9, hi=1.1):
    """totals: {strategy: [compute per repetition]}. The median M over every strategy's median; returns
    (M, {strategy: 'under' | 'over' | ''}) flagging a strategy whose median is under lo*M or over hi*M."""
    med = {s: float(np.median(v)) for s, v in totals.items() if len(v)}
    if not med:
        return math.nan, {}
    m = float(np.median(list(med.values())))
    flag = {s: ("under" if v < lo * m else "over" if v > hi * m else "") for s, v in med.items()}
    return m, flag


# ---- intervals --------------------------------------------------------------------------------------------------
def iqm(x):
    """Interquartile mean: the mean of the middle half after cutting floor(n/4) values from each end (as
    scipy.stats.trim_mean(x, 0.25) and rliable)."""
    v = np.sort(np.asarray(x, dtype=float)[np.isfinite(x)])
    if len(v) == 0:
        return math.nan
    k = int(0.25 * len(v))
    return float(v[k:len(v) - k].mean())


def median(x):
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if len(v) else math.nan


def bootstrap_ci(x, stat, n_boot=N_BOOT, seed=0, level=0.95):
    """Percentile-bootstrap interval of stat over the finite values of x (resampled with replacement, fixed
    seed). (lo, hi); NaN when fewer than two values."""
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    S = v[rng.integers(0, len(v), (n_boot, len(v)))]  # one resample per row
    if stat in (np.mean, np.median, median):
        b = np.mean(S, axis=1) if stat is np.mean else np.median(S, axis=1)
    elif stat is iqm:
        k = int(0.25 * len(v))
        b = np.sort(S, axis=1)[:, k:len(v) - k].mean(axis=1)
    else:
        b = np.array([stat(row) for row in S])
    a = (1.0 - level) / 2.0
    return float(np.quantile(b, a)), float(np.quantile(b, 1.0 - a))


# ---- exact Wilcoxon ---------------------------------------------------------------------------------------------
def wilcoxon_exact(x, y):
    """Exact two-sided Wilcoxon signed-rank test of the paired differences x - y (zeros dropped, ties get their
    average rank; the null distribution is the 2^n equally likely sign patterns of those ranks). Returns
    (n, W+, p); p = P(|W+ - n(n+1)/4| >= observed) under the null. NaN p when n = 0 or n > 24."""
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    d = d[np.isfinite(d) & (d != 0)]
    n = len(d)
    if n == 0 or n > 24:
        return n, math.nan, math.nan
    r2 = (2 * RS.rankdata(np.abs(d))).astype(int)   # doubled ranks: integers even with ties
    wplus2 = int(r2[d > 0].sum())
    dist = {0: 1}
    for r in r2:
        nxt = dict(dist)
        for s, c in dist.items():
            nxt[s + r] = nxt.get(s + r, 0) + c
        dist = nxt
    centre2 = r2.sum() / 2.0
    dev = abs(wplus2 - centre2)
    extreme = sum(c for s, c in dist.items() if abs(s - centre2) >= dev - 1e-9)
    return n, wplus2 / 2.0, min(1.0, extreme / float(2 ** n))


def wilcoxon_min_n(alpha=0.05):
    """The smallest n at which the exact two-sided Wilcoxon test can reach p < alpha (all signs alike: 2/2^n)."""
    n = 1
    while 2.0 / 2 ** n >= alpha:
        n += 1
    return n


# ---- across tasks -----------------------------------------------------------------------------------------------
def regret_bounds(allruns, maximize, optimum):
    """(best, worst) of the first objective for normalised regret: best is the known optimum when given, else the
    best value any strategy reached; worst is the worst complete value any strategy saw."""
    v = np.concatenate([r.vals for rr in allruns.values() for r in rr.values()])
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan
    best = optimum if math.isfinite(optimum) else float(v.max() if maximize else v.min())
    worst = float(v.min() if maximize else v.max())
    return best, worst


def normalised_regret(values, best, worst):
    """(value - best) / (worst - best) for either direction: 0 at the best, 1 at the worst seen (NaN when the two
    coincide)."""
    span = worst - best
    if not math.isfinite(span) or span == 0:
        return np.full(np.shape(values), np.nan)
    return (np.asarray(values, dtype=float) - best) / span


def ranks_over_tasks(task_scores, n_boot=N_BOOT, seed=0):
    """task_scores: {task: {strategy: score (lower is better)}} over tasks where every strategy has a score.
    Returns (names, mean ranks, (lo, hi) bootstrap intervals over tasks resampled with replacement, per-task rank
    matrix (tasks x strategies))."""
    names = sorted(set.intersection(*[set(v) for v in task_scores.values()])) if task_scores else []
    tasks = [k for k in sorted(task_scores) if all(math.isfinite(task_scores[k][s]) for s in names)]
    if not names or not tasks:
        return names, np.array([]), [], np.zeros((0, len(names)))
    R = np.array([RS.rankdata([task_scores[k][s] for s in names]) for k in tasks])
    mean = R.mean(axis=0)
    rng = np.random.default_rng(seed)
    if len(tasks) >= 2:
        boot = np.array([R[rng.integers(0, len(tasks), len(tasks))].mean(axis=0) for _ in range(n_boot)])
        ci = [(float(np.quantile(boot[:, j], 0.025)), float(np.quantile(boot[:, j], 0.975)))
              for j in range(len(names))]
    else:
        ci = [(math.nan, math.nan)] * len(names)
    return names, mean, ci, R


# ---- multi-objective --------------------------------------------------------------------------------------------
def hypervolume_2d(F, ref):
    """Area dominated by the rows of F (n, 2), both columns minimised, and bounded by ref (points not strictly
    better than ref in both columns add nothing)."""
    F = np.asarray(F, dtype=float).reshape(-1, 2)
    F = F[np.all(np.isfinite(F), axis=1) & (F[:, 0] < ref[0]) & (F[:, 1] < ref[1])]
    if len(F) == 0:
        return 0.0
    F = F[RS.pareto_mask(F)]
    F = F[np.argsort(F[:, 0])]
    hv, prev_y = 0.0, ref[1]
    for x, y in F:
        hv += (ref[0] - x) * (prev_y - y)
        prev_y = y
    return float(hv)


def reference_point(points, margin=0.1):
    """One reference point for an experiment: per (minimised) column the worst value over every strategy's
    points plus margin times the column's range (1 when the range is 0)."""
    P = np.asarray(points, dtype=float)
    P = P[np.all(np.isfinite(P), axis=1)]
    hi, lo = P.max(axis=0), P.min(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return hi + margin * span
