"""report_sections.py: the comparison sections of `tunebench report` (called by report.py's Report): the headline
table (validation best and the incumbent's test score, median and IQM with bootstrap 95% intervals, compute used),
compute per strategy and repetition with the equal-compute flag, intervals at 25/50/100% of the budget, exact
Wilcoxon tests only where the repetitions can reach p < 0.05, common random numbers disclosed, ranks on a common
compute grid, multi-objective hypervolume against one reference point, and the summary across tasks.
Not here: the numbers (report_compare.py), figures (report_figs*.py). Tested by tests/test_report.c and
scripts/report_selftest.py.
"""
import math

import numpy as np

import report_compare as RC
import report_figs_compute as RFC
import report_load as RL
import report_stats as RS

FRACTIONS = (0.25, 0.5, 1.0)


def fmt(v, spec="%.4g"):
    return spec % v if v is not None and math.isfinite(v) else "n/a"


def ci_text(x, stat):
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return "n/a"
    lo, hi = RC.bootstrap_ci(v, stat)
    return "%s [%s, %s]" % (fmt(stat(v)), fmt(lo), fmt(hi)) if math.isfinite(lo) else fmt(stat(v))


def suite(st):
    """The suite as run (root attribute suite_text) as a dict, {} when absent or unreadable."""
    try:
        import yaml
        d = yaml.safe_load(RL.text(st.attrs.get("suite_text", "")))
        return d if isinstance(d, dict) else {}
    except Exception:  # noqa: BLE001 - the report works without it (older files, no python3-yaml)
        return {}


def budget(st, allruns):
    """(B, how): the budget in fidelity units per strategy and repetition: the suite's budget.total when it set
    one, else the median compute the runs used."""
    b = (suite(st).get("budget") or {})
    tot = b.get("total") if isinstance(b, dict) else None
    if isinstance(tot, (int, float)) and tot > 0:
        return float(tot), "budget.total = %g fidelity units per strategy and repetition" % tot
    used = [float(r.units[-1]) for rr in allruns.values() for r in rr.values() if len(r.units)]
    m = float(np.median(used)) if used else math.nan
    return m, "no budget.total: the median compute the runs used, %s fidelity units" % fmt(m)


def at_budget(run, b, maximize):
    """Best so far of run once it had used b fidelity units (its final best when it stopped earlier)."""
    return float(RC.on_grid(run, np.array([b]), "units", maximize)[0])


def headline(R, e, allruns, B):
    mx = e.maximize[0]
    obj = e.objectives[0]
    ti = RC.test_objective(e)
    R.w("### Headline")
    R.w()
    R.w("Per strategy over its repetitions: configurations, compute used (fidelity units; seconds of its rows), "
        "the best %s it found (validation), and the test score of that validation-best configuration (the "
        "incumbent%s). Median and interquartile mean (IQM) with percentile-bootstrap 95%% intervals (%d "
        "resamples). Flag: the strategy's median compute is under 90%% or over 110%% of the median over "
        "strategies (unequal compute: compare with care)." % (
            obj, ": %s, recorded by the executor on the held-out test rows, never seen by a sampler or scheduler"
            % e.objectives[ti] if ti is not None else "; no test objective is recorded for this experiment",
            RC.N_BOOT))
    R.w()
    tot = {s: [float(r.units[-1]) for r in rr.values() if len(r.units)] for s, rr in allruns.items()}
    M, flag = RC.equal_compute_flags(tot)
    tname = e.objectives[ti] if ti is not None else "test"
    R.w("| strategy | reps | configurations | compute (units) | seconds | validation %s: median [95%% CI] | IQM "
        "[95%% CI] | incumbent %s: median [95%% CI] | IQM [95%% CI] | compute flag |" % (obj, tname))
    R.w("|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for s in sorted(allruns):
        rr = allruns[s]
        inc = [r.incumbent(mx) for r in rr.values()]
        val = np.array([v for v, _ in inc])
        test = np.array([t for _, t in inc])
        rows[s] = (val, test)
        R.w("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s, len(rr), fmt(float(np.median([r.configs[-1] for r in rr.values()])), "%g"),
            fmt(float(np.median(tot[s])), "%g"), fmt(float(np.median([r.secs[-1] for r in rr.values()])), "%.3g"),
            ci_text(val, RC.median), ci_text(val, RC.iqm), ci_text(test, RC.median), ci_text(test, RC.iqm),
            {"under": "**under 90%**", "over": "**over 110%**"}.get(flag.get(s, ""), "ok")))
    R.w()
    if ti is not None:
        order_v = sorted(rows, key=lambda s: RC.median(rows[s][0]), reverse=mx)
        order_t = sorted(rows, key=lambda s: RC.median(rows[s][1]), reverse=e.maximize[ti])
        R.w("Order by validation median: %s. By the incumbent's test median: %s%s." % (
            ", ".join(order_v), ", ".join(order_t),
            "" if order_v == order_t else " (a different order: the validation ranking is not the test ranking; "
                                          "read the intervals before reading either)"))
        R.w()
    R.w("Compute budget: %s; median used over strategies: %s units." % (B[1], fmt(M, "%g")))
    R.w()
    return rows


def compute_detail(R, e, allruns):
    R.w("### Compute per strategy and repetition")
    R.w()
    R.w("Fidelity units trained (a promotion or PBT continuation counts only the fidelity it added) / wall "
        "seconds of its runs / configurations / rung evaluations (runs).")
    R.w()
    reps = sorted(set(r for rr in allruns.values() for r in rr))
    R.w("| strategy | " + " | ".join("rep %d" % r for r in reps) + " |")
    R.w("|---|" + "---|" * len(reps))
    tab = RC.compute_table(allruns)
    for s in sorted(tab):
        cells = []
        for r in reps:
            c = tab[s].get(r)
            cells.append("%g / %.3g s / %d / %d" % c if c else "-")
        R.w("| %s | %s |" % (s, " | ".join(cells)))
    R.w()


def budget_points(R, e, allruns, B):
    mx = e.maximize[0]
    R.w("### At fixed budget points")
    R.w()
    R.w("Best %s after 25%%, 50%% and 100%% of the budget (%s fidelity units): median and IQM over repetitions "
        "with bootstrap 95%% intervals." % (e.objectives[0], fmt(B[0], "%g")))
    R.w()
    R.w("| strategy | " + " | ".join("%d%%: median [CI] | IQM [CI]" % (100 * f) for f in FRACTIONS) + " |")
    R.w("|---|" + "---|---|" * len(FRACTIONS))
    for s in sorted(allruns):
        cells = []
        for f in FRACTIONS:
            v = [at_budget(r, f * B[0], mx) for r in allruns[s].values()]
            cells += [ci_text(v, RC.median), ci_text(v, RC.iqm)]
        R.w("| %s | %s |" % (s, " | ".join(cells)))
    R.w()


def tests(R, e, allruns):
    mx = e.maximize[0]
    finals = {s: {r: x.final(mx) for r, x in rr.items()} for s, rr in allruns.items()}
    need = RC.wilcoxon_min_n()
    names = sorted(finals)
    rows, short = [], []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = finals[names[i]], finals[names[j]]
            common = [r for r in sorted(a) if r in b and math.isfinite(a[r]) and math.isfinite(b[r])]
            if len(common) < need:
                short.append(len(common))
                continue
            n, w, p = RC.wilcoxon_exact([a[r] for r in common], [b[r] for r in common])
            rows.append((names[i], names[j], len(common), n, w, p))
    R.w("### Paired tests")
    R.w()
    if short:
        R.w("%d pair%s of strategies share %s paired repetition%s: the exact two-sided Wilcoxon signed-rank test "
            "cannot reach p < 0.05 with fewer than %d (its smallest p with n pairs is 2/2^n: %s at n = %d), so no "
            "test is printed for them; run at least %d repetitions for one." % (
                len(short), "" if len(short) == 1 else "s", "/".join(str(x) for x in sorted(set(short))),
                "" if max(short) == 1 else "s", need, fmt(2.0 / 2 ** max(short), "%.3g"), max(short), need))
        R.w()
    if rows:
        adj = RS.holm([p for *_, p in rows])
        R.w("Exact two-sided Wilcoxon signed-rank on the final best, paired by repetition; Holm over %d pairs." %
            len(rows))
        R.w()
        R.w("| A | B | pairs | non-zero | W+ | p | p (Holm) |")
        R.w("|---|---|---|---|---|---|---|")
        for (a, b, k, n, w, p), q in zip(rows, adj):
            R.w("| %s | %s | %d | %d | %s | %s | %s |" % (a, b, k, n, fmt(w, "%g"), fmt(p, "%.4g"), fmt(q, "%.4g")))
        R.w()
    return finals


def paired_draws(R, e, st):
    """Strategies whose runs share per-trial seeds (common random numbers), the length of the configuration
    prefix two strategies share, and the settings that make a sampler equal to random search."""
    t = e.trials
    strat, status = e.strategy(), e.status()
    names = sorted(set(strat))
    params = [p for p, ty in zip(e.params, e.param_types) if ty != "fixed" and "param_" + p in t.dtype.names]
    seq, nrows = {}, {}
    for k in np.argsort(t["id"], kind="mergesort"):
        if status[k] == "interrupted":
            continue
        nrows[(strat[k], int(t["repetition"][k]))] = nrows.get((strat[k], int(t["repetition"][k])), 0) + 1
        if int(t["parent_id"][k]) >= 0:
            continue  # configurations in the order they were drawn
        key = (strat[k], int(t["repetition"][k]))
        x = tuple(np.round(np.nan_to_num(np.array([t["param_" + p][k] for p in params], dtype=float), nan=-9e9), 12))
        seq.setdefault(key, []).append((int(t["seed"][k]), x))
    reps = sorted(set(r for _, r in seq))
    notes, rows = [], []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            pref, seeds = [], 0
            for r in reps:
                sa, sb = seq.get((a, r), []), seq.get((b, r), [])
                k = 0
                while k < min(len(sa), len(sb)) and sa[k][1] == sb[k][1]:
                    k += 1
                pref.append(k)
                seeds += len(set(x for x, _ in sa) & set(x for x, _ in sb))
            if max(pref) > 0:
                full = all(p == len(seq.get((a, r), [])) == len(seq.get((b, r), [])) == nrows.get((a, r))
                           == nrows.get((b, r)) for p, r in zip(pref, reps))  # same draws, no rungs: same runs
                rows.append((a, b, "/".join(str(p) for p in pref), seeds,
                             "**cannot differ** (every configuration and row alike)" if full else "paired"))
    cfg = suite(st)
    bud = cfg.get("budget") if isinstance(cfg.get("budget"), dict) else {}
    n_trials = bud.get("trials")
    fmax = (bud.get("fidelity") or {}).get("max", 1) if isinstance(bud.get("fidelity"), dict) else 1
    if isinstance(n_trials, int) and isinstance(bud.get("total"), (int, float)) and bud["total"] > 0:
        n_trials = min(n_trials, int(bud["total"] // max(float(fmax), 1e-12)))  # full-fidelity trials total allows
    for s in cfg.get("strategies") or []:
        if not isinstance(s, dict):
            continue
        smp = s.get("sampler")
        name, opts = (smp.get("name"), smp) if isinstance(smp, dict) else (smp, {})
        trials = s.get("trials", n_trials)
        if not isinstance(trials, int):
            continue
        if name == "evolution" and int(opts.get("population_size", 20)) >= trials:
            notes.append("%s: evolution with population %d >= %d trials never breeds: it is random search." % (
                s.get("name"), int(opts.get("population_size", 20)), trials))
        if name == "tpe" and int(opts.get("n_startup", 10)) >= trials:
            notes.append("%s: TPE with n_startup %d >= %d trials never models: it is random search." % (
                s.get("name"), int(opts.get("n_startup", 10)), trials))
    R.w("### Shared random draws")
    R.w()
    if not rows and not notes:
        R.w("No two strategies drew the same configurations.")
    if rows:
        R.w("Pairs of strategies whose runs start with the same configurations (common random numbers: a paired "
            "design, fair when stated; they share per-trial seeds too). A pair that agrees in every configuration "
            "and row cannot differ.")
        R.w()
        R.w("| A | B | same first configurations per repetition | shared seeds | |")
        R.w("|---|---|---|---|---|")
        for a, b, pref, seeds, what in rows:
            R.w("| %s | %s | %s | %d | %s |" % (a, b, pref, seeds, what))
        R.w()
    for n in notes:
        R.w("- %s" % n)
    R.w()


def ranks(R, e, allruns, skipped):
    mx = e.maximize[0]
    names = sorted(allruns)
    reps = sorted(set.intersection(*[set(allruns[s]) for s in names]))
    if len(names) < 2 or not reps:
        skipped.append("average rank: fewer than two strategies with a shared repetition")
        return
    grid = RC.grid_for(allruns, "units", 100)
    rk, reps = RC.ranks_on_grid(allruns, grid, "units", mx)
    R.fig(RFC.rank_plot(e, rk, grid, "units", len(reps), R.out), "average rank on a compute grid")
    R.w("Final average ranks (the figure's last point): %s." % ", ".join(
        "%s %.2f" % (s, rk[s][-1]) for s in sorted(rk, key=lambda s: rk[s][-1])))
    R.w()
    finals = {s: {r: allruns[s][r].final(mx) for r in reps} for s in names}
    fr = RS.friedman(finals, mx) if len(names) >= 3 else None
    if fr is None:
        skipped.append("Friedman test and CD diagram: needs three strategies and two shared repetitions")
        return
    R.w("Friedman over %d repetitions: chi² = %s, p = %s; Nemenyi CD = %s. Ranks: %s (the same as the figure's "
        "last point)." % (fr["n_blocks"], fmt(fr["stat"]), fmt(fr["p"]), fmt(fr["cd"], "%.3g"), ", ".join(
            "%s %.2f" % (s, r) for s, r in sorted(fr["avg_ranks"].items(), key=lambda x: x[1]))))
    R.w()
    import report_figs as RF
    R.fig(RF.cd_diagram(e, fr, R.out), "critical-difference diagram over repetitions")
