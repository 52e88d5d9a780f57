"""report_tasks.py: the sections of `tunebench report` that pool or compare beyond one objective: the summary across
the tasks (experiments) of a suite (normalised regret at 25/50/100% of the budget, average rank over tasks with
bootstrap intervals, a critical-difference diagram over tasks, mean normalised regret against compute), and the
multi-objective comparison (one reference point per experiment from every strategy's points, hypervolume against
compute with intervals, attainment fronts per repetition).
Not here: the numbers (report_compare.py). Tested by tests/test_report.c and scripts/report_selftest.py.
"""
import math

import numpy as np

import report_compare as RC
import report_figs_compute as RFC
import report_figs_extra as RFX
import report_load as RL
import report_sections as RSec
import report_stats as RS


def task_regret(e, allruns, B, fractions):
    """{strategy: array over fractions of the median (over repetitions) normalised regret at f*B}."""
    mx = e.maximize[0]
    best, worst = RC.regret_bounds(allruns, mx, e.optimum)
    out = {}
    for s, rr in allruns.items():
        m = np.array([[RSec.at_budget(r, f * B, mx) for f in fractions] for r in rr.values()])
        nr = RC.normalised_regret(m, best, worst)
        out[s] = np.array([RC.median(nr[:, j]) for j in range(len(fractions))])
    return out


def summary(R, study, skipped):
    """The across-tasks summary (written before the experiments), for a study with two or more single-objective
    experiments that share their strategies."""
    tasks = {}
    for e in study.experiments:
        if e.trials is None or not len(e.trials) or not e.objectives:
            continue
        tuned = [o for o in e.objectives if not o.lower().startswith("test")]
        if len(tuned) != 1:
            continue
        ar = RC.runs(e)
        if len(ar) >= 2:
            tasks[e.name] = (e, ar)
    if len(tasks) < 2:
        return
    R.w("## Across tasks")
    R.w()
    fr = np.linspace(0.02, 1.0, 50)
    per = {k: task_regret(e, ar, RSec.budget(study, ar)[0], fr) for k, (e, ar) in tasks.items()}
    names = sorted(set.intersection(*[set(v) for v in per.values()]))
    R.w("%d tasks (experiments) and %d strategies they all ran. Normalised regret per task = (best so far - best) / "
        "(worst - best), with best the known optimum (test functions) or else the best any strategy reached, and "
        "worst the worst complete value any strategy saw; the median over repetitions, then the mean over tasks "
        "with a bootstrap 95%% interval over tasks. Budget per task: its budget.total, else the median compute "
        "used." % (len(tasks), len(names)))
    R.w()
    at = {f: {k: {s: float(np.interp(f, fr, per[k][s])) for s in names} for k in per} for f in RSec.FRACTIONS}
    rk_names, rk, ci, _ = RC.ranks_over_tasks(at[1.0])
    rank_of = dict(zip(rk_names, zip(rk, ci)))
    R.w("| strategy | " + " | ".join("regret at %d%%" % (100 * f) for f in RSec.FRACTIONS) +
        " | average rank over tasks [95% CI] |")
    R.w("|---|" + "---|" * len(RSec.FRACTIONS) + "---|")
    for s in sorted(names, key=lambda s: rank_of.get(s, (99,))[0]):
        cells = []
        for f in RSec.FRACTIONS:
            v = np.array([at[f][k][s] for k in per])
            lo, hi = RC.bootstrap_ci(v, np.mean)
            cells.append("%s [%s, %s]" % (RSec.fmt(float(np.nanmean(v)), "%.3f"), RSec.fmt(lo, "%.3f"),
                                          RSec.fmt(hi, "%.3f")))
        r, (lo, hi) = rank_of.get(s, (math.nan, (math.nan, math.nan)))
        R.w("| %s | %s | %s [%s, %s] |" % (s, " | ".join(cells), RSec.fmt(r, "%.2f"), RSec.fmt(lo, "%.2f"),
                                           RSec.fmt(hi, "%.2f")))
    R.w()
    curves = {s: np.array([per[k][s] for k in per]) for s in names}
    R.fig(RFC.regret_vs_budget(curves, fr, R.out), "mean normalised regret against compute")
    scores = {s: {i: at[1.0][k][s] for i, k in enumerate(sorted(per))} for s in names}
    fri = RS.friedman(scores, False) if len(names) >= 3 else None
    if fri is None:
        skipped.append("critical difference over tasks: needs three strategies and two tasks")
    else:
        R.w("Friedman over %d tasks (ranks of the median normalised regret at 100%%): chi² = %s, p = %s; Nemenyi "
            "CD = %s. Strategies closer than CD are joined in the diagram (not distinguishable over these tasks)."
            % (fri["n_blocks"], RSec.fmt(fri["stat"]), RSec.fmt(fri["p"]), RSec.fmt(fri["cd"], "%.3g")))
        R.w()
        R.fig(RFC.cd_tasks(fri["names"], [fri["avg_ranks"][s] for s in fri["names"]], fri["cd"], fri["n_blocks"],
                           fri["p"], R.out), "critical difference over tasks")


def _points(e, i0, i1):
    t = e.trials
    sign = np.array([-1.0 if e.maximize[i] else 1.0 for i in (i0, i1)])
    F = np.column_stack([t["obj_" + e.objectives[i0]], t["obj_" + e.objectives[i1]]]).astype(float) * sign
    ok = np.array([s == "complete" for s in e.status()]) & np.all(np.isfinite(F), axis=1)
    return F, ok, sign


def multiobjective(R, e, skipped):
    """Returns True when it wrote the section (two or more tuned objectives)."""
    tuned = [i for i, o in enumerate(e.objectives) if not o.lower().startswith("test")]
    if len(tuned) < 2:
        return False
    i0, i1 = tuned[0], tuned[1]
    F, ok, sign = _points(e, i0, i1)
    if not ok.any():
        skipped.append("hypervolume: no complete trial with finite objectives")
        return True
    ref = RC.reference_point(F[ok])
    view = RL.row_view(e)
    t, strat = e.trials, e.strategy()
    hv_runs, fronts = {}, {}
    for s in sorted(set(strat)):
        for r in sorted(set(int(x) for x in t["repetition"])):
            idx = [k for k in range(len(t)) if strat[k] == s and int(t["repetition"][k]) == r
                   and e.status()[k] != "interrupted"]
            if not idx:
                continue
            idx.sort(key=lambda k: (t["end_time"][k], t["id"][k]))
            units = np.cumsum(view["units"][idx])
            hv = np.array([RC.hypervolume_2d(F[[k for k in idx[:j + 1] if ok[k]]], ref) for j in range(len(idx))])
            hv_runs.setdefault(s, {})[r] = (units, hv)
            P = F[[k for k in idx if ok[k]]]
            if len(P):
                fronts.setdefault(s, []).append((P[RS.pareto_mask(P)]) * sign)
    lab = [RFX.axis_label(e, i) for i in (i0, i1)]
    R.w("### Multi-objective: hypervolume")
    R.w()
    R.w("Objectives %s and %s%s. One reference point for the experiment, from every strategy's complete points: "
        "per objective the worst value plus 10%% of its range = (%s, %s) in the objectives' own units. Hypervolume "
        "of each repetition's front: median and IQM with bootstrap 95%% intervals." % (
            lab[0], lab[1], " (the first two tuned objectives of %d)" % len(tuned) if len(tuned) > 2 else "",
            RSec.fmt(ref[0] * sign[0]), RSec.fmt(ref[1] * sign[1])))
    R.w()
    R.w("| strategy | reps | hypervolume: median [95% CI] | IQM [95% CI] |")
    R.w("|---|---|---|---|")
    for s in sorted(hv_runs):
        v = [hv[-1] for _, hv in hv_runs[s].values()]
        R.w("| %s | %d | %s | %s |" % (s, len(v), RSec.ci_text(v, RC.median), RSec.ci_text(v, RC.iqm)))
    R.w()
    top = max(float(u[-1]) for rr in hv_runs.values() for u, _ in rr.values())
    grid = np.linspace(0, top, 101)[1:]
    mats = {}
    for s, rr in hv_runs.items():
        rows = []
        for u, hv in rr.values():
            pos = np.searchsorted(u, grid, side="right") - 1
            rows.append(np.where(pos >= 0, hv[np.maximum(pos, 0)], np.nan))
        mats[s] = np.array(rows)
    R.fig(RFC.hv_vs_compute(e, mats, grid, R.out), "hypervolume against compute")
    R.fig(RFC.attainment(e, fronts, lab, ref * sign, R.out), "attained fronts per repetition")
    return True
