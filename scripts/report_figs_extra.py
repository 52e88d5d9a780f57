"""report_figs_extra.py: the figures of `tunebench report` that depend on optional tables: Pareto fronts (from the
objectives, plus the front recorded in the `pareto` table) and hypervolume over time, PBT lineage and hyperparameter
schedules (`lineage` table), parameter importance (report_stats.importance), and memory over time (`/memory` table and
the trials' peak memory). Each function writes one PNG and returns its file name; the caller decides whether the
data exist. Not here: the comparison figures (report_figs.py). Tested through tests/test_report.c.
"""
import json
import math

import numpy as np

import report_stats as rs
from report_figs import color, plt, save
from report_load import col_text


def _rel(times, t0):
    """Times as seconds since the study start when they look like unix seconds."""
    times = np.asarray(times, dtype=float)
    return times - t0 if t0 > 0 and np.nanmin(times) > 1e8 else times


def axis_label(e, i):
    """An objective's axis label: its name, its unit when the name carries one (_us, _s, _bytes) and its
    direction."""
    o = e.objectives[i]
    unit = next((u for suf, u in (("_us", "microseconds"), ("_s", "seconds"), ("_bytes", "bytes"),
                                  ("n_params", "parameters")) if o.endswith(suf)), "")
    return "%s (%s%s)" % (o, unit + ", " if unit else "", "maximised" if e.maximize[i] else "minimised")


def pareto_plot(e, i0, i1, out_dir):
    """Objectives i0 and i1 of the complete trials, each strategy's non-dominated front, and the front of the
    last snapshot of the `pareto` table."""
    t = e.trials
    st, strat = e.status(), e.strategy()
    o0, o1 = "obj_" + e.objectives[i0], "obj_" + e.objectives[i1]
    sign = np.array([-1.0 if e.maximize[i] else 1.0 for i in (i0, i1)])
    fig, ax = plt.subplots(figsize=(6.5, 5))
    ok = np.array([s == "complete" for s in st]) & np.isfinite(t[o0]) & np.isfinite(t[o1])
    ax.scatter(t[o0][ok], t[o1][ok], s=10, color="0.75", label="complete trials")
    for i, s in enumerate(sorted(set(strat))):
        sel = ok & np.array([x == s for x in strat])
        if not sel.any():
            continue
        F = np.column_stack([t[o0][sel], t[o1][sel]])
        front = F[rs.pareto_mask(F * sign)]
        front = front[np.argsort(front[:, 0])]
        ax.plot(front[:, 0], front[:, 1], "o-", color=color(s), drawstyle="steps-post", markersize=4,
                label="%s front (%d)" % (s, len(front)))
    if e.pareto is not None and len(e.pareto):
        last = e.pareto["snapshot"].max()
        ids = set(int(x) for x in e.pareto["trial"][e.pareto["snapshot"] == last] if x >= 0)
        sel = np.array([int(x) in ids for x in t["id"]]) & np.isfinite(t[o0]) & np.isfinite(t[o1])
        if sel.any():
            ax.scatter(t[o0][sel], t[o1][sel], s=60, facecolors="none", edgecolors="k",
                       label="recorded front, snapshot %d" % last)
    ax.set_xlabel(axis_label(e, i0))
    ax.set_ylabel(axis_label(e, i1))
    ax.set_title("%s: Pareto fronts" % e.name, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return save(fig, out_dir, "%s_pareto.png" % e.name)


def hypervolume_plot(e, t0, out_dir):
    """One marker per snapshot, coloured by the strategy (and repetition) of the trials on its front: in a suite
    each study adds its own front at its end, with its own reference point, so snapshots of different studies are
    not joined by a line."""
    p = e.pareto
    snaps = np.unique(p["snapshot"])
    x = np.array([p["time"][p["snapshot"] == s][0] for s in snaps])
    hv = np.array([p["hypervolume"][p["snapshot"] == s][0] for s in snaps])
    who = {}
    if e.trials is not None and len(e.trials):
        strat = col_text(e.trials, "strategy")
        who = {int(i): (strat[k], int(r)) for k, (i, r) in enumerate(zip(e.trials["id"], e.trials["repetition"]))}
    labels = []
    for s in snaps:
        ids = [int(t) for t in p["trial"][p["snapshot"] == s] if t >= 0]
        labels.append("%s rep %d" % who[ids[0]] if ids and ids[0] in who else "snapshot %d" % s)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    strategies = sorted(set(l.rsplit(" rep ", 1)[0] for l in labels))
    for j, st in enumerate(strategies):
        sel = np.array([l.rsplit(" rep ", 1)[0] == st for l in labels])
        ax.plot(_rel(x[sel], t0), hv[sel], "o", color=color(st), label=st)
    ax.set_xlabel("seconds since the study started")
    ax.set_ylabel("hypervolume of the study's front")
    ax.set_title("%s: hypervolume at the end of each study (%d)\n(each against its own reference point)" % (
        e.name, len(snaps)), fontsize=10)
    ax.grid(alpha=0.3)
    if len(strategies) <= 12:
        ax.legend(fontsize=7)
    return save(fig, out_dir, "%s_hypervolume.png" % e.name)


def _json(s):
    try:
        d = json.loads(s) if s else {}
        return d if isinstance(d, dict) else {}
    except ValueError:
        return {}


def lineage_plot(e, t0, out_dir):
    """Members on the y axis, time on x: an exploit is an arrow from the member holding the source trial to the
    member that copied it; explores are dots."""
    lin = e.lineage
    kinds = col_text(lin, "kind")
    times = _rel(lin["time"], t0)
    member_of = {}
    for i in np.argsort(times, kind="mergesort"):
        member_of.setdefault(int(lin["to_trial"][i]), int(lin["member"][i]))
    members = sorted(set(int(m) for m in lin["member"]))
    fig, ax = plt.subplots(figsize=(7, 1.5 + 0.3 * len(members)))
    tmax = float(np.max(times)) if len(times) else 1.0
    for m in members:
        ax.hlines(m, 0, tmax, color="0.85", linewidth=1)
    n_arrows = 0
    for i in range(len(lin)):
        m, x = int(lin["member"][i]), times[i]
        if kinds[i] == "exploit":
            src = member_of.get(int(lin["from_trial"][i]))
            if src is not None and src != m:
                ax.annotate("", xy=(x, m), xytext=(x, src), arrowprops=dict(arrowstyle="->", color="C3", lw=1))
                n_arrows += 1
            ax.plot(x, m, "v", color="C3", markersize=5)
        else:
            ax.plot(x, m, "o", color="C0", markersize=4)
    ax.plot([], [], "v", color="C3", label="exploit (arrow: copied from that member)")
    ax.plot([], [], "o", color="C0", label="explore")
    ax.set_yticks(members)
    ax.set_xlabel("seconds since the study started")
    ax.set_ylabel("population member")
    ax.set_title("%s: PBT lineage (%d events)" % (e.name, len(lin)), fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    return save(fig, out_dir, "%s_pbt_lineage.png" % e.name)


def schedules(e, t0):
    """{hyperparameter: {member: ([times], [values])}} from the lineage's old/new JSON (numbers only)."""
    lin = e.lineage
    times = _rel(lin["time"], t0)
    olds, news = col_text(lin, "old_params"), col_text(lin, "new_params")
    out = {}
    for i in np.argsort(times, kind="mergesort"):
        m = int(lin["member"][i])
        for src, dt in ((olds[i], -1e-9), (news[i], 0.0)):
            for k, v in _json(src).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                    ts, vs = out.setdefault(k, {}).setdefault(m, ([], []))
                    ts.append(times[i] + dt)
                    vs.append(float(v))
    return out


def schedule_plot(e, sched, t0, out_dir):
    # keys whose values change first (the explored hyperparameters; fixed ones are flat lines), at most 6
    def varies(k):
        vals = [v for _, vs in sched[k].values() for v in vs]
        return min(vals) != max(vals)
    keys = sorted(sched, key=lambda k: (not varies(k), k))[:6]
    keys = [k for k in keys if varies(k)] or keys[:1]
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.2 * len(keys)), squeeze=False)
    for ax, k in zip(axes[:, 0], keys):
        for j, m in enumerate(sorted(sched[k])):
            ts, vs = sched[k][m]
            ax.plot(ts, vs, drawstyle="steps-post", color=color(j), label="member %d" % m, marker=".")
        vals = [v for _, vs in sched[k].values() for v in vs]
        if min(vals) > 0 and max(vals) / min(vals) > 20:
            ax.set_yscale("log")
        ax.set_ylabel(k)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("seconds since the study started")
    axes[0, 0].set_title("%s: PBT hyperparameter schedules per member" % e.name, fontsize=10)
    if len(sched[keys[0]]) <= 10:
        axes[0, 0].legend(fontsize=7, ncol=2)
    return save(fig, out_dir, "%s_pbt_schedules.png" % e.name)


def importance_plot(e, names, imp, n, out_dir):
    order = np.argsort(imp)
    fig, ax = plt.subplots(figsize=(6.5, 1.2 + 0.35 * len(names)))
    ax.barh(np.arange(len(names)), imp[order], color="C0")
    ax.set_yticks(np.arange(len(names)))
    ax.set_yticklabels([names[i] for i in order])
    ax.set_xlabel("share of the variance of %s's ranks explained by the binned parameter" % e.objectives[0])
    ax.set_title("%s: parameter importance (first-order, %d complete trials)" % (e.name, n), fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    return save(fig, out_dir, "%s_importance.png" % e.name)


def memory_plot(study, t0, out_dir):
    """Memory samples over time per device (left) and the trials' peak memory per strategy (right), each panel
    only when its data exist; the caller checks that at least one does."""
    mem = study.memory
    peaks = {}
    for e in study.experiments:
        if e.trials is None or "peak_memory" not in (e.trials.dtype.names or ()):
            continue
        for s, pm in zip(e.strategy(), e.trials["peak_memory"]):
            if pm >= 0:
                peaks.setdefault("%s/%s" % (e.name, s), []).append(pm / 2.0 ** 20)
    panels = (mem is not None and len(mem) > 0) + bool(peaks)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    k = 0
    if mem is not None and len(mem):
        ax = axes[0, k]
        k += 1
        devs = col_text(mem, "device")
        x = _rel(mem["time"], t0)
        for i, d in enumerate(sorted(set(devs))):
            sel = np.array([v == d for v in devs])
            o = np.argsort(x[sel], kind="mergesort")
            ax.plot(x[sel][o], mem["bytes"][sel][o] / 2.0 ** 20, drawstyle="steps-post", color=color(i), label=d,
                    marker=".")
        ax.set_xlabel("seconds since the study started")
        ax.set_ylabel("MiB in use")
        ax.set_title("memory samples (%d)" % len(mem), fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    if peaks:
        ax = axes[0, k]
        names = sorted(peaks)
        ax.boxplot([peaks[n] for n in names], vert=False)
        ax.set_yticks(np.arange(1, len(names) + 1))
        ax.set_yticklabels(names, fontsize=7)
        ax.set_xlabel("peak memory per trial (MiB)")
        ax.set_title("trials' peak memory", fontsize=10)
        ax.grid(alpha=0.3, axis="x")
    return save(fig, out_dir, "memory.png")
