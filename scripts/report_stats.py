"""report_stats.py: the per-row statistics of `tunebench report`: t intervals, running best, ranks and average ranks,
Holm's correction, Friedman's test with the Nemenyi critical difference (Demsar 2006, computed here), Bergstra &
Bengio's random-experiment efficiency with their validation-uncertainty scoring (JMLR 2012, Sec. 2.1), parameter
importance as the variance of binned marginals (a first-order, fANOVA-like decomposition; see docs/report.md) and
Pareto masks. scipy.stats gives Friedman's p-value when it is installed. Not here: the statistics on compute,
intervals and exact tests (report_compare.py), reading the file (report_load.py) or drawing (report_figs*.py).
Tested by scripts/report_selftest.py (run from tests/test_report.c) against hand-computed references.
"""
import math

import numpy as np

try:
    import scipy.stats as sps
except ImportError:  # the report still runs; p-values are skipped
    sps = None

# Nemenyi two-tailed q_0.05 (studentized range / sqrt 2) for k = 2..10 groups (Demsar 2006, Table 5a).
NEMENYI_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}


def t_quantile(df):
    """The 0.975 quantile of Student's t with df degrees of freedom."""
    if sps is not None:
        return float(sps.t.ppf(0.975, df))
    table = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
             15: 2.131, 20: 2.086, 30: 2.042}
    for k in sorted(table):
        if df <= k:
            return table[k]
    return 1.960


def mean_ci(values):
    """(mean, half-width of the 95% t interval, n) of the finite values; half-width NaN when n < 2."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(v[0]), math.nan, 1
    return float(v.mean()), t_quantile(n - 1) * float(v.std(ddof=1)) / math.sqrt(n), n


def running_best(values, maximize):
    """Best-so-far of values (NaN ignored; NaN before the first finite value)."""
    out = np.full(len(values), np.nan)
    best = math.nan
    for i, v in enumerate(values):
        if math.isfinite(v) and (math.isnan(best) or (v > best if maximize else v < best)):
            best = v
        out[i] = best
    return out


def by_trials(strategy_runs, maximize):
    """(x = 1..n, matrix reps x n of best-so-far); a run shorter than n keeps its last best."""
    n = max(len(v) for v, _ in strategy_runs.values())
    m = np.full((len(strategy_runs), n), np.nan)
    for k, r in enumerate(sorted(strategy_runs)):
        b = running_best(strategy_runs[r][0], maximize)
        m[k, :len(b)] = b
        if len(b) < n:
            m[k, len(b):] = b[-1] if len(b) else np.nan
    return np.arange(1, n + 1), m


def rankdata(a):
    """Ranks 1..n of a (ties get their average rank), like scipy.stats.rankdata."""
    a = np.asarray(a, dtype=float)
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and a[order[j + 1]] == a[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    return ranks


def average_ranks(mats, maximize):
    """mats: {strategy: (reps x n) matrix with rows for the same repetitions}. Returns {strategy: ranks over n}
    (rank 1 = best), averaged over the repetitions where every strategy has a value at that point."""
    names = sorted(mats)
    n = min(m.shape[1] for m in mats.values())
    reps = min(m.shape[0] for m in mats.values())
    out = {s: np.full(n, np.nan) for s in names}
    for j in range(n):
        acc, cnt = np.zeros(len(names)), 0
        for r in range(reps):
            col = np.array([mats[s][r, j] for s in names])
            if not np.all(np.isfinite(col)):
                continue
            acc += rankdata(-col if maximize else col)
            cnt += 1
        if cnt:
            for k, s in enumerate(names):
                out[s][j] = acc[k] / cnt
    return out


def holm(pvalues):
    """Holm-Bonferroni adjusted p-values (same order as given)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    adj = np.empty(len(p))
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adj[i] = running
    return adj


def friedman(finals, maximize):
    """Friedman's test over the repetitions every strategy has (blocks). Returns None when it does not apply
    (fewer than 3 strategies or 2 blocks), else dict(names, n_blocks, avg_ranks, stat, p, cd)."""
    names = sorted(finals)
    if len(names) < 3:
        return None
    reps = [r for r in sorted(finals[names[0]])
            if all(r in finals[s] and math.isfinite(finals[s][r]) for s in names)]
    if len(reps) < 2:
        return None
    m = np.array([[finals[s][r] for s in names] for r in reps])
    ranks = np.array([rankdata(-row if maximize else row) for row in m])
    avg = ranks.mean(axis=0)
    k, n = len(names), len(reps)
    # Friedman's chi-square with the tie correction (as scipy.stats.friedmanchisquare).
    ties = 0.0
    for row in ranks:
        _, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    c = 1.0 - ties / (k * (k * k - 1) * n)
    stat = (12.0 * n / (k * (k + 1)) * float(((avg - (k + 1) / 2.0) ** 2).sum())) / c if c > 0 else 0.0
    p = float(sps.chi2.sf(stat, k - 1)) if sps is not None else math.nan
    return {"names": names, "n_blocks": n, "avg_ranks": dict(zip(names, avg)), "stat": stat, "p": p,
            "cd": nemenyi_cd(k, n)}


def nemenyi_cd(k, n, alpha=0.05):
    """Nemenyi's critical difference of average ranks for k methods on n blocks: q_alpha sqrt(k(k+1)/(6n))."""
    if k in NEMENYI_Q05 and alpha == 0.05:
        q = NEMENYI_Q05[k]
    elif sps is not None and hasattr(sps, "studentized_range"):
        q = float(sps.studentized_range.ppf(1 - alpha, k, 1e6)) / math.sqrt(2)
    else:
        return math.nan
    return q * math.sqrt(k * (k + 1) / (6.0 * n))


def bb_score(valid, test, n_valid, valid_max, rng, n_mc=4000):
    """Bergstra & Bengio's score of one experiment (a set of trials): the test score expected under validation
    uncertainty. valid: validation values (a zero-one metric in [0, 1]; valid_max: it is an accuracy), test: the
    trials' test values (or None: then the validation values are scored). With n_valid > 1 the validation loss
    Psi_i gets variance Psi(1-Psi)/(n_valid-1), Z_i ~ N(Psi_i, V_i), w_s = P(s has the lowest Z) by Monte Carlo,
    and the score is sum_s w_s test_s; without n_valid, w is 1 on the best validation value (ties: the first)."""
    valid = np.asarray(valid, dtype=float)
    score = np.asarray(test if test is not None else valid, dtype=float)
    loss = 1.0 - valid if valid_max else valid
    if n_valid > 1 and np.all((loss >= 0) & (loss <= 1)) and len(loss) > 1:
        sd = np.sqrt(loss * (1 - loss) / (n_valid - 1))
        z = loss[None, :] + sd[None, :] * rng.standard_normal((n_mc, len(loss)))
        w = np.bincount(np.argmin(z, axis=1), minlength=len(loss)) / float(n_mc)
    else:
        w = np.zeros(len(loss))
        w[int(np.argmin(loss))] = 1.0
    return float((w * score).sum())


def efficiency(valid, test, n_valid, valid_max, seed=0):
    """Random-experiment efficiency: the pool (in trial order) is split, for s = 1, 2, 4, ... while the pool holds
    at least two experiments of size s, into len // s disjoint experiments of s trials, each scored with bb_score.
    Returns [(s, scores)]."""
    rng = np.random.default_rng(seed)
    n = len(valid)
    out, s = [], 1
    while n // s >= 2:
        scores = []
        for k in range(n // s):
            sl = slice(k * s, (k + 1) * s)
            scores.append(bb_score(valid[sl], None if test is None else test[sl], n_valid, valid_max, rng))
        out.append((s, np.array(scores)))
        s *= 2
    return out


def importance(X, y, categorical, n_bins=5):
    """First-order importance of each column of X (n, d) for y (n,): y is replaced by its ranks (robust to
    heavy tails), each column is cut into quantile bins (categoricals: one bin per choice; NaN = inactive gets
    its own bin), and the importance is the between-bin variance of the rank means over the total variance
    (the correlation ratio eta^2), minus its expectation under no effect ((bins-1)/(n-1)), floored at 0.
    Returns an array of d values in [0, 1]."""
    y = rankdata(y)
    n = len(y)
    total = float(((y - y.mean()) ** 2).sum())
    out = np.zeros(X.shape[1])
    if n < 3 or total <= 0:
        return out
    for j in range(X.shape[1]):
        x = X[:, j]
        lab = np.full(n, -1, dtype=int)
        fin = np.isfinite(x)
        if categorical[j]:
            lab[fin] = np.round(x[fin]).astype(int)
        elif fin.any():
            edges = np.unique(np.quantile(x[fin], np.linspace(0, 1, n_bins + 1)[1:-1]))
            lab[fin] = np.searchsorted(edges, x[fin], side="right")
        bins = np.unique(lab)
        if len(bins) < 2:
            continue
        between = sum(float((lab == b).sum()) * (y[lab == b].mean() - y.mean()) ** 2 for b in bins)
        out[j] = max(0.0, between / total - (len(bins) - 1) / (n - 1.0))
    return out


def pareto_mask(F):
    """Non-dominated rows of F (n, m), every column minimised."""
    n = len(F)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if not keep[i]:
            continue
        dom = np.all(F <= F[i], axis=1) & np.any(F < F[i], axis=1)
        if dom.any():
            keep[i] = False
    return keep
