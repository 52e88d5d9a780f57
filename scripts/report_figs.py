"""report_figs.py: the comparison figures of `tunebench report` (matplotlib, Agg backend, PNG): anytime best-so-far
curves by trials and by wall-clock (mean and 95% interval over repetitions; when the optimum is known, the regret
on a log scale with the geometric mean and the interval of log10 regret), average rank over trials, the critical-difference diagram, and Bergstra & Bengio's random-experiment
efficiency box plots with the grid result drawn across. Each function writes one PNG and returns its file name.
Not here: the numbers (report_stats.py) or the PBT, Pareto, importance and memory figures (report_figs_extra.py).
Tested through tests/test_report.c (files exist and are PNGs) and scripts/report_selftest.py.
"""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import report_stats as rs  # noqa: E402

COLORS = plt.get_cmap("tab10").colors


def color(i):
    return COLORS[i % len(COLORS)]


def save(fig, out_dir, name):
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=100)
    plt.close(fig)
    return name


def _ylabel(e, regret):
    obj = e.objectives[0]
    if regret:
        how = ("%.6g - best" if e.maximize[0] else "best - %.6g") % e.optimum
        return "regret of best %s (%s; geometric mean)" % (obj, how)
    return "best %s so far (%s)" % (obj, "maximised" if e.maximize[0] else "minimised")


def _what(regret):
    return "geometric mean" if regret else "mean"


# Values drawn beyond this magnitude are drawn at it: matplotlib's tick locator overflows on axis spans near
# DBL_MAX (an objective printing 1.7e308 ended the figure with an IndexError). Only the drawing is clipped; the
# tables keep the values, and the figure's title says when it happened.
PLOT_MAX = 1e300


def _clip(m):
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(m), np.clip(m, -PLOT_MAX, PLOT_MAX), m)


def _clipped_note(ax):
    return "; values beyond +-1e300 drawn at +-1e300" if getattr(ax, "_tb_clipped", False) else ""


def _transform(e, m):
    """Regret (>= 1e-12 so it shows on a log axis) when the optimum is known, else the values; clipped to
    +-PLOT_MAX for drawing."""
    if math.isnan(e.optimum):
        return _clip(m), False
    with np.errstate(over="ignore", invalid="ignore"):
        r = (e.optimum - m) if e.maximize[0] else (m - e.optimum)
    return _clip(np.where(np.isfinite(r), np.maximum(r, 1e-12), np.nan)), True


def _band(ax, x, m, label, i, step, log=False):
    """Mean and 95% band of the rows of m; log: of log10(m) (a geometric mean, for regret on a log axis)."""
    big = np.isfinite(m) & (np.abs(m) >= PLOT_MAX)
    if big.any():
        ax._tb_clipped = True
    with np.errstate(over="ignore", invalid="ignore"):
        mean, half = rs.mean_ci_columns(np.log10(m) if log else m / PLOT_MAX if big.any() else m)
    if big.any() and not log:  # averaged in units of PLOT_MAX: the sum of two 1e300 values stays finite
        mean, half = _clip(mean * PLOT_MAX), half * PLOT_MAX
    if log:
        mean, half = 10.0 ** mean, half
    ax.plot(x, mean, color=color(i), label="%s (%d reps)" % (label, m.shape[0]),
            drawstyle="steps-post" if step else "default")
    vals = getattr(ax, "_tb_values", [])
    vals.append(m[np.isfinite(m)])
    ax._tb_values = vals
    ok = np.isfinite(half)
    if ok.any():
        h = np.where(ok, half, 0)
        lo, hi = (mean / 10.0 ** h, mean * 10.0 ** h) if log else (mean - h, mean + h)
        ax.fill_between(x, lo, hi, where=ok, color=color(i), alpha=0.2, step="post" if step else None, linewidth=0)


def _fit_ylim(ax, log):
    """Limits the y axis to the values the repetitions reached (with a margin): with 2-3 repetitions the t-interval
    is wide enough to hide every difference, so the band is clipped at the axis and the caption says so."""
    vals = np.concatenate(getattr(ax, "_tb_values", [np.array([])]))
    vals = vals[np.isfinite(vals)]
    if len(vals) == 0:
        return
    lo, hi = float(vals.min()), float(vals.max())
    if log:
        ax.set_ylim(lo / 2.0, hi * 2.0)
    else:
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi) * 0.05, 1e-9)
        ax.set_ylim(lo - pad, hi + pad)


def curves_by_trials(e, allruns, out_dir):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    regret = False
    for i, s in enumerate(sorted(allruns)):
        x, m = rs.by_trials(allruns[s], e.maximize[0])
        m, regret = _transform(e, m)
        _band(ax, x, m, s, i, True, regret)
    if regret:
        ax.set_yscale("log")
    _fit_ylim(ax, regret)
    ax.set_xlabel("trials finished")
    ax.set_ylabel(_ylabel(e, regret))
    ax.set_title("%s: best so far by trials (%s, 95%% CI over repetitions,\nclipped to the range the repetitions reached%s)" % (e.name, _what(regret), _clipped_note(ax)), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_best_by_trials.png" % e.name)


def time_grid(allruns):
    tmax = max(float(el.max()) for r in allruns.values() for (_, el) in r.values() if len(el))
    return np.linspace(0.0, max(tmax, 1e-9), 200)


def curves_by_time(e, allruns, out_dir):
    grid = time_grid(allruns)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    regret = False
    for i, s in enumerate(sorted(allruns)):
        m = rs.by_time(allruns[s], e.maximize[0], grid)
        m, regret = _transform(e, m)
        _band(ax, grid, m, s, i, True, regret)
    if regret:
        ax.set_yscale("log")
    _fit_ylim(ax, regret)
    ax.set_xlabel("wall-clock seconds since the run's first trial started")
    ax.set_ylabel(_ylabel(e, regret))
    ax.set_title("%s: best so far by wall-clock (%s, 95%% CI over repetitions,\nclipped to the range the "
                 "repetitions reached%s)" % (e.name, _what(regret), _clipped_note(ax)), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_best_by_time.png" % e.name)


def rank_plot(e, allruns, out_dir):
    """Average rank (1 = best) of each strategy's best so far after each number of trials."""
    mats = {}
    reps = sorted(set.intersection(*[set(r) for r in allruns.values()]))
    for s in allruns:
        sub = {r: allruns[s][r] for r in reps}
        _, mats[s] = rs.by_trials(sub, e.maximize[0])
    ranks = rs.average_ranks(mats, e.maximize[0])
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, s in enumerate(sorted(ranks)):
        ax.plot(np.arange(1, len(ranks[s]) + 1), ranks[s], color=color(i), label=s, drawstyle="steps-post")
    ax.set_xlabel("trials finished")
    ax.set_ylabel("average rank (1 = best)")
    ax.set_ylim(0.8, len(ranks) + 0.2)
    ax.set_title("%s: average rank over %d paired repetitions" % (e.name, len(reps)), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_rank.png" % e.name), ranks


def cd_diagram(e, fr, out_dir):
    """Demsar's critical-difference diagram: average ranks on an axis, the CD bar, and thick lines joining
    strategies whose ranks differ by less than CD (not significantly different by Nemenyi's test)."""
    names = sorted(fr["avg_ranks"], key=lambda s: fr["avg_ranks"][s])
    k, cd = len(names), fr["cd"]
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * k))
    ax.set_xlim(k + 0.3, 0.7)  # rank 1 on the right, as in Demsar 2006
    ax.set_ylim(-k - 1.5, 1.8)
    ax.axis("off")
    ax.hlines(0, 1, k, color="k")
    for r in range(1, k + 1):
        ax.vlines(r, 0, 0.15, color="k")
        ax.text(r, 0.3, str(r), ha="center", fontsize=8)
    if math.isfinite(cd):
        ax.hlines(1.3, 1, 1 + cd, color="k", linewidth=2)
        ax.text(1 + cd / 2, 1.45, "CD = %.3g" % cd, ha="center", fontsize=8)
    for i, s in enumerate(names):
        r, y = fr["avg_ranks"][s], -1 - i
        ax.plot([r, r], [0, y], color=color(i), linewidth=0.8)
        ax.text(r, y - 0.1, " %s (%.2f)" % (s, r), va="top", ha="center", fontsize=8)
    if math.isfinite(cd):
        y, last = -0.45, -1
        for i in range(k):  # maximal groups of strategies within CD of each other
            j = i
            while j + 1 < k and fr["avg_ranks"][names[j + 1]] - fr["avg_ranks"][names[i]] < cd:
                j += 1
            if j > i and j > last:
                last = j
                ax.hlines(y, fr["avg_ranks"][names[i]] - 0.03, fr["avg_ranks"][names[j]] + 0.03, linewidth=4,
                          color="0.3")
                y -= 0.2
    ax.set_title("%s: critical difference (Nemenyi, alpha = 0.05, %d repetitions; Friedman p = %s)"
                 % (e.name, fr["n_blocks"], "%.3g" % fr["p"] if math.isfinite(fr["p"]) else "n/a"), fontsize=9)
    return save(fig, out_dir, "%s_cd.png" % e.name)


def efficiency_plot(e, eff, grid_score, ylabel, out_dir):
    """Box plots of experiment scores by experiment size (log2 axis) with the grid's score drawn across."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sizes = [s for s, _ in eff]
    pos = np.log2(sizes)
    ax.boxplot([sc for _, sc in eff], positions=pos, widths=0.5)
    ax.set_xticks(pos)
    ax.set_xticklabels([str(s) for s in sizes])
    if math.isfinite(grid_score):
        ax.axhline(grid_score, color="k", linestyle="--", label="grid (all its trials): %.4g" % grid_score)
        ax.legend(fontsize=8)
    ax.set_xlabel("experiment size (# random trials, log2 axis)")
    ax.set_ylabel(ylabel)
    ax.set_title("%s: random-experiment efficiency (Bergstra & Bengio 2012, Fig. 2)" % e.name, fontsize=10)
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_efficiency.png" % e.name)
