"""report_figs.py: the shared figure settings of `tunebench report` (matplotlib, Agg backend): one colour per
strategy, the formats every figure is written in (`--format`), regret for a known optimum, and two figures: the
critical-difference diagram (Demsar 2006) and Bergstra & Bengio's random-experiment efficiency box plots with the
grid result drawn across. Each figure function writes its file(s) and returns the name report.md links.
Not here: the figures against compute (report_figs_compute.py), the PBT, Pareto, importance and memory figures
(report_figs_extra.py), the numbers (report_compare.py, report_stats.py). Tested through tests/test_report.c.
"""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

COLORS = plt.get_cmap("tab10").colors
STRATEGIES = []        # every strategy of the study, sorted: set by report.py so a strategy has one colour everywhere
FORMATS = ["png"]      # `report --format`: each figure is written in each of these; the Markdown links the first


def color(i):
    """A strategy's colour (by name), or the i-th colour of the cycle for other series (members, devices)."""
    if isinstance(i, str):
        i = STRATEGIES.index(i) if i in STRATEGIES else len(STRATEGIES) + sum(i.encode()) % 7
    return COLORS[i % len(COLORS)]


def save(fig, out_dir, name):
    """Writes fig as name (.png) in every format of FORMATS, labels kept inside the canvas (bbox tight); returns
    the file name of the first format."""
    fig.tight_layout()
    base = name.rsplit(".", 1)[0]
    for k in FORMATS:
        fig.savefig(os.path.join(out_dir, "%s.%s" % (base, k)), dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "%s.%s" % (base, FORMATS[0])


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


def cd_diagram(e, fr, out_dir, blocks="repetitions"):
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
        ax.plot([r, r], [0, y], color=color(s), linewidth=0.8)
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
    ax.set_title("%s: critical difference (Nemenyi, alpha = 0.05, %d %s; Friedman p = %s)"
                 % (e.name, fr["n_blocks"], blocks, "%.3g" % fr["p"] if math.isfinite(fr["p"]) else "n/a"), fontsize=9)
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
