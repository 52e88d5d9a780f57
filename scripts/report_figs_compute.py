"""report_figs_compute.py: the figures of `tunebench report` drawn against compute: best so far against cumulative
fidelity units, seconds or configurations (median and bootstrap 95% interval of the median over repetitions),
average rank on a common compute grid, mean normalised regret over tasks against the fraction of the budget,
hypervolume against compute, attainment fronts per repetition, parallel coordinates and learning curves.
Each function writes one figure (every format of report_figs.FORMATS) and returns the name the Markdown links.
Not here: the numbers (report_compare.py). Tested through tests/test_report.c and scripts/report_selftest.py.
"""
import math
import warnings

import numpy as np

import report_compare as RC
from report_figs import _transform, color, plt, save

AXES = {"units": "cumulative compute (fidelity units)", "secs": "cumulative compute (seconds of training rows)",
        "configs": "configurations started"}


def _median_band(ax, x, m, name, log):
    """Median over the rows of m and the bootstrap 95% interval of the median (of log10 m when log)."""
    v = np.log10(m) if log else m
    mid, lo, hi = (np.full(m.shape[1], np.nan) for _ in range(3))
    for j in range(m.shape[1]):
        c = v[:, j][np.isfinite(v[:, j])]
        if len(c):
            mid[j] = np.median(c)
            lo[j], hi[j] = RC.bootstrap_ci(c, np.median, n_boot=300) if len(c) > 1 else (mid[j], mid[j])
    if log:
        mid, lo, hi = 10.0 ** mid, 10.0 ** lo, 10.0 ** hi
    ax.plot(x, mid, color=color(name), label="%s (%d reps)" % (name, m.shape[0]), drawstyle="steps-post")
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.fill_between(x, np.where(ok, lo, 0), np.where(ok, hi, 0), where=ok, color=color(name), alpha=0.2,
                    step="post", linewidth=0)


def curves_by(e, allruns, axis, out_dir):
    grid = RC.grid_for(allruns, axis, 200)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    regret = False
    for s in sorted(allruns):
        m = RC.matrix(allruns[s], grid, axis, e.maximize[0])
        m, regret = _transform(e, m)
        _median_band(ax, grid, m, s, regret)
    if regret:
        ax.set_yscale("log")
    ax.set_xlabel(AXES[axis])
    obj = e.objectives[0]
    ax.set_ylabel("regret of best %s" % obj if regret else "best %s so far" % obj)
    ax.set_title("%s: best so far against %s\n(median over repetitions, bootstrap 95%% interval of the median)"
                 % (e.name, AXES[axis].split(" (")[0] if axis != "configs" else "configurations"), fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_best_by_%s.png" % (e.name, axis))


def rank_plot(e, ranks, grid, axis, n_reps, out_dir):
    fig, ax = plt.subplots(figsize=(7, 4))
    for s in sorted(ranks):
        ax.plot(grid, ranks[s], color=color(s), label="%s (final %.2f)" % (s, ranks[s][-1]), drawstyle="steps-post")
    ax.set_xlabel(AXES[axis])
    ax.set_ylabel("average rank (1 = best)")
    ax.set_ylim(0.8, len(ranks) + 0.2)
    ax.set_title("%s: average rank of the best so far on a common compute grid\n(%d paired repetitions; the last "
                 "point is every run's end)" % (e.name, n_reps), fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_rank.png" % e.name)


def regret_vs_budget(curves, fractions, out_dir):
    """curves: {strategy: (tasks x len(fractions)) normalised regret}; mean over tasks with its bootstrap 95%
    interval over tasks."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in sorted(curves):
        m = curves[s]
        with warnings.catch_warnings():  # a fraction before any run's first row: NaN, drawn as a gap
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(m, axis=0)
        ci = np.array([RC.bootstrap_ci(m[:, j], np.mean, n_boot=300) for j in range(m.shape[1])])
        ax.plot(100 * fractions, mean, color=color(s), label=s)
        if np.isfinite(ci).all():
            ax.fill_between(100 * fractions, ci[:, 0], ci[:, 1], color=color(s), alpha=0.15, linewidth=0)
    ax.set_xlabel("compute (% of each task's budget in fidelity units)")
    ax.set_ylabel("normalised regret (0 = best known, 1 = worst seen)")
    ax.set_title("Mean normalised regret over %d tasks (median over repetitions per task;\nbootstrap 95%% "
                 "interval over tasks)" % next(iter(curves.values())).shape[0], fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "tasks_regret.png")


def hv_vs_compute(e, hv, grid, out_dir):
    """hv: {strategy: (reps x grid) hypervolume}."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in sorted(hv):
        _median_band(ax, grid, hv[s], s, False)
    ax.set_xlabel(AXES["units"])
    ax.set_ylabel("hypervolume (common reference point)")
    ax.set_title("%s: hypervolume against compute (median, bootstrap 95%% interval)" % e.name, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_hv_compute.png" % e.name)


def attainment(e, fronts, labels, ref, out_dir):
    """fronts: {strategy: [F (n, 2) per repetition]} in the objectives' own units and directions."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for s in sorted(fronts):
        for k, F in enumerate(fronts[s]):
            F = F[np.argsort(F[:, 0])]
            ax.plot(F[:, 0], F[:, 1], "o-", drawstyle="steps-post", color=color(s), alpha=0.7, markersize=3,
                    label=s if k == 0 else None)
    ax.plot([ref[0]], [ref[1]], "kx", label="reference point")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title("%s: attained fronts, one line per repetition" % e.name, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_attainment.png" % e.name)


def parallel_coords(e, names, X, y, strat, out_dir):
    """X (n, d) parameter values scaled to [0, 1] per column, y the objective, one line per configuration,
    coloured by strategy; the best quarter drawn on top."""
    fig, ax = plt.subplots(figsize=(1.6 * (len(names) + 1) + 2, 4.5))
    cols = np.column_stack([X, y])
    lo, hi = np.nanmin(cols, axis=0), np.nanmax(cols, axis=0)
    Z = (cols - lo) / np.where(hi > lo, hi - lo, 1.0)
    good = y >= np.nanquantile(y, 0.75) if e.maximize[0] else y <= np.nanquantile(y, 0.25)
    for k in np.argsort(good, kind="mergesort"):
        ax.plot(np.arange(Z.shape[1]), Z[k], color=color(strat[k]), alpha=0.8 if good[k] else 0.15,
                linewidth=1.2 if good[k] else 0.6)
    ax.set_xticks(np.arange(Z.shape[1]))
    ax.set_xticklabels(names + [e.objectives[0]], rotation=20)
    ax.set_ylabel("value scaled to [0, 1] per axis")
    for s in sorted(set(strat)):
        ax.plot([], [], color=color(s), label=s)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("%s: parallel coordinates of %d full-fidelity configurations (best quarter bold)" % (
        e.name, len(y)), fontsize=10)
    return save(fig, out_dir, "%s_parallel.png" % e.name)


def learning_curves(e, curves, out_dir):
    """curves: {strategy: [(fidelity array, val_metric array)] per trial}."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in sorted(curves):
        for k, (x, v) in enumerate(curves[s]):
            ax.plot(x, v, color=color(s), alpha=0.35, linewidth=0.8, label=s if k == 0 else None)
    ax.set_xlabel("fidelity (units of the suite's budget.fidelity)")
    ax.set_ylabel("validation metric reported during training")
    ax.set_title("%s: learning curves from the curves table (one line per trial row)" % e.name, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_learning_curves.png" % e.name)


def cd_tasks(names, ranks, cd, n_tasks, p, out_dir):
    """Critical-difference diagram over tasks (Demsar 2006)."""
    import report_figs as RF

    class _E:
        name = "tasks"
    fr = {"avg_ranks": dict(zip(names, ranks)), "cd": cd, "n_blocks": n_tasks, "p": p}
    return RF.cd_diagram(_E(), fr, out_dir, "tasks")
