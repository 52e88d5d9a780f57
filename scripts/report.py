#!/usr/bin/python3
"""report.py FILE.h5 [--out DIR] [--format png,pdf,svg]: the report of a tunebench study (run by `tunebench report`):
DIR/report.md, a Markdown summary (study; across tasks when the suite has several; per experiment the headline at
equal compute with the incumbent's test score and bootstrap intervals, compute per run, configurations by status,
best configurations, shared random draws, anytime curves against compute, budget points, ranks on a compute grid,
tests only where they can reach significance, multi-objective hypervolume), and figures beside it, each drawn
only when its data exist (what was skipped and why is listed in the report). Details: docs/report.md. Input
layout: docs/results-format.md. Exit status: 0 written; 1 written, but a section failed (named in the report and
on stderr); 2 bad usage, an input that is not a tunebench results file, or a missing Python package (then run
scripts/setup). Not here: the statistics (report_compare.py, report_stats.py), the sections (report_sections.py,
report_tasks.py), the figures (report_figs*.py), reading the file (report_load.py). Tested by tests/test_report.c
and scripts/report_selftest.py.
"""
import warnings

# scipy warns when an exact test falls back to an approximation (ties, small samples); the report says which
# test it used, so the warning only clutters the terminal.
warnings.filterwarnings("ignore", category=UserWarning, module="scipy")
import argparse
import datetime
import math
import os
import sys
import tempfile
import traceback

if "MPLCONFIGDIR" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
    # matplotlib wants a writable config/cache directory (a build user may have no writable home)
    os.environ["MPLCONFIGDIR"] = os.path.join(tempfile.gettempdir(), "tunebench-mpl-%d" % os.getuid())

MISSING = []
for _mod in ("numpy", "h5py", "matplotlib"):
    try:
        __import__(_mod)
    except ImportError:
        MISSING.append(_mod)


def fmt(v, spec="%.6g"):
    return spec % v if v is not None and math.isfinite(v) else "n/a"


def when(t):
    if not t or not math.isfinite(t) or t <= 0:
        return "-"
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class Report:
    def __init__(self, study, out_dir):
        self.st, self.out = study, out_dir
        self.md = []
        self.failed = []
        t0 = study.attrs.get("start_time", 0)
        self.t0 = float(t0) if t0 is not None else 0.0

    def w(self, line=""):
        self.md.append(line)

    def fig(self, name, caption):
        self.w("![%s](%s)" % (caption, name))
        self.w()

    def section(self, what, skipped, fn, *args):
        """Runs one figure/table; an exception is reported (exit status 1) instead of ending the report."""
        try:
            return fn(*args)
        except Exception as ex:  # noqa: BLE001 - a report section must not take the whole report down
            self.failed.append("%s: %s" % (what, ex))
            skipped.append("%s: failed (%s: %s)" % (what, type(ex).__name__, ex))
            if os.environ.get("TB_REPORT_DEBUG"):  # the summary at the end names each failure in one line
                traceback.print_exc(file=sys.stderr)
            return None

    # ---- study ---------------------------------------------------------------------------------------------------
    def study_info(self):
        a = self.st.attrs
        g = lambda k, d="": RL.text(a[k]) if k in a else d  # noqa: E731
        end = float(a.get("end_time", 0) or 0)
        seeds = [int(s) for s in np.atleast_1d(a["seeds"])] if "seeds" in a else []
        self.w("# tunebench report: %s" % (g("suite_name") or "(unnamed suite)"))
        self.w()
        self.w("| | |")
        self.w("|---|---|")
        rows = [("file", self.st.path), ("suite", g("suite_name")), ("tunebench", g("tunebench_version")),
                ("device", g("device") + (" (%s)" % g("card") if g("card") else "")), ("host", g("host")),
                ("started", when(self.t0)), ("ended", when(end) if end > 0 else "not ended (running or stopped)"),
                ("duration", "%.1f s" % (end - self.t0) if end > 0 and self.t0 > 0 else "-"),
                ("complete", "yes" if int(a.get("complete", 0) or 0) == 1 else "no"),
                ("seeds", ", ".join(str(s) for s in seeds) or "-"),
                ("experiments", str(len(self.st.experiments)))]
        for k, v in rows:
            self.w("| %s | %s |" % (k, str(v).replace("|", "/")))
        self.w()

    # ---- one experiment ------------------------------------------------------------------------------------------
    def experiment(self, e):
        skipped = []
        self.w("## Experiment %s" % e.name)
        self.w()
        ptxt = ", ".join("%s (%s)" % (p, t) for p, t in zip(e.params, e.param_types)) or "-"
        otxt = ", ".join("%s (%s)" % (o, "maximise" if m else "minimise") for o, m in zip(e.objectives, e.maximize))
        self.w("Learner `%s`, dataset `%s`. Parameters: %s. Objectives: %s." % (e.learner, e.dataset, ptxt,
                                                                                 otxt or "-"))
        if math.isfinite(e.optimum):
            self.w("Known optimum of %s: %.6g (from the %s): curves show the regret." % (e.objectives[0], e.optimum,
                                                                                   e.optimum_source))
        self.w()
        n = 0 if e.trials is None else len(e.trials)
        if n == 0 or not e.objectives:
            self.w("No trials recorded%s." % ("" if e.objectives else " and no objectives"))
            self.w()
            skipped.append("every table and figure: no trials")
            self.skipped(skipped)
            return
        allruns = RC.runs(e)
        mo = self.section("multi-objective", skipped, RT.multiobjective, self, e, skipped)
        B = RSec.budget(self.st, allruns)
        have = {s: any(math.isfinite(r.final(e.maximize[0])) for r in rr.values()) for s, rr in allruns.items()}
        if not mo and any(have.values()):
            self.section("headline", skipped, RSec.headline, self, e, allruns, B)
        self.section("compute", skipped, RSec.compute_detail, self, e, allruns)
        self.status_table(e)
        self.best_configs(e)
        self.section("shared random draws", skipped, RSec.paired_draws, self, e, self.st)
        if not any(have.values()):
            skipped.append("anytime curves, ranks, tests, importance: no complete trial with a finite %s"
                           % e.objectives[0])
        else:
            self.w("### Anytime performance%s" % (" (%s only)" % e.objectives[0] if mo else ""))
            self.w()
            for axis, what in (("units", "fidelity units"), ("secs", "seconds"), ("configs", "configurations")):
                f = self.section("best-so-far by %s" % what, skipped, RFC.curves_by, e, allruns, axis, self.out)
                if f:
                    self.fig(f, "best so far by %s" % what)
            valued = {s: r for s, r in allruns.items() if have[s]}
            if len(valued) < len(allruns):
                skipped.append("ranks and tests leave out %s: no complete trial with a finite %s" % (
                    ", ".join(sorted(set(allruns) - set(valued))), e.objectives[0]))
            if not mo:
                self.section("budget points", skipped, RSec.budget_points, self, e, valued, B)
            if len(valued) >= 2:
                self.section("average rank", skipped, RSec.ranks, self, e, valued, skipped)
                self.section("paired tests", skipped, RSec.tests, self, e, valued)
            else:
                skipped.append("average rank and tests: only one strategy with results (%s)" % next(iter(valued)))
            self.section("learning curves", skipped, self.learning_curves, e, skipped)
        self.section("random-experiment efficiency", skipped, self.efficiency, e, skipped)
        self.section("Pareto fronts", skipped, self.pareto, e, skipped)
        self.section("PBT lineage", skipped, self.pbt, e, skipped)
        self.section("parameter importance", skipped, self.importance, e, skipped)
        self.skipped(skipped)

    def skipped(self, skipped):
        if skipped:
            self.w("### Skipped")
            self.w()
            for s in skipped:
                self.w("- %s" % s)
            self.w()

    def status_table(self, e):
        strat = e.strategy()
        cs = RL.config_status(e)
        evals = {}
        if e.rungs is not None:
            who = dict(zip(e.trials["id"].tolist(), strat))
            for i in e.rungs["trial"]:
                s = who.get(int(i), "")
                evals[s] = evals.get(s, 0) + 1
        self.w("### Configurations by status")
        self.w()
        self.w("One row per configuration (a promotion continues its trial; a PBT exploit is a new configuration with "
               "its lineage): pruned = stopped by its scheduler below the top fidelity. Rung evaluations: the runs "
               "(the rungs table).")
        self.w()
        self.w("| strategy | " + " | ".join(RL.STATUSES) + " | configurations | rung evaluations |")
        self.w("|---|" + "---|" * (len(RL.STATUSES) + 2))
        for s in sorted(set(strat)):
            c = [cs.get(s, {}).get(x, 0) for x in RL.STATUSES]
            self.w("| %s | %s | %d | %d |" % (s, " | ".join(str(x) for x in c), sum(c), evals.get(s, 0)))
        self.w()

    def learning_curves(self, e, skipped):
        c = e.curves
        if c is None or not len(c) or e.trials is None:
            skipped.append("learning curves: no curves table")
            return
        who = dict(zip(e.trials["id"].tolist(), e.strategy()))
        per = {}
        for tid in np.unique(c["trial"]):
            sel = c["trial"] == tid
            if int(tid) in who and np.isfinite(c["val_metric"][sel]).any():
                per.setdefault(who[int(tid)], []).append((c["fidelity"][sel], c["val_metric"][sel]))
        if not per:
            skipped.append("learning curves: no finite val_metric in the curves table")
            return
        self.fig(RFC.learning_curves(e, per, self.out), "learning curves")

    def best_configs(self, e):
        t, st, strat = e.trials, e.status(), e.strategy()
        col, mx = "obj_" + e.objectives[0], e.maximize[0]
        shown = [p for p, ty in zip(e.params, e.param_types) if ty != "fixed"]
        self.w("### Best configuration per strategy")
        self.w()
        self.w("| strategy | trial | repetition | %s | %s |" % (e.objectives[0], " | ".join(shown)))
        self.w("|---|---|---|---|" + "---|" * len(shown))
        for s in sorted(set(strat)):
            idx = [i for i in range(len(t)) if strat[i] == s and st[i] == "complete" and math.isfinite(t[col][i])]
            if not idx:
                self.w("| %s | - | - | no complete trial |%s" % (s, " |" * len(shown)))
                continue
            b = max(idx, key=lambda i: t[col][i]) if mx else min(idx, key=lambda i: t[col][i])
            vals = [RL.param_label(e, p, float(t["param_" + p][b])) if "param_" + p in t.dtype.names else "?"
                    for p in shown]
            self.w("| %s | %d | %d | %s | %s |" % (s, t["id"][b], t["repetition"][b], fmt(t[col][b]),
                                                    " | ".join(vals)))
        self.w()

    def efficiency(self, e, skipped):
        strat = {s.lower() for s in e.strategy()}
        if "random" not in strat or "grid" not in strat:
            skipped.append("random-experiment efficiency: needs a 'random' and a 'grid' strategy")
            return
        vi = next((i for i, o in enumerate(e.objectives) if not o.lower().startswith("test")), None)
        ti = next((i for i, o in enumerate(e.objectives) if o.lower().startswith("test")), None)
        if vi is None:
            skipped.append("random-experiment efficiency: no validation objective")
            return
        t, st, sname = e.trials, e.status(), [s.lower() for s in e.strategy()]
        vcol = "obj_" + e.objectives[vi]
        tcol = "obj_" + e.objectives[ti] if ti is not None else None

        def pool(name):
            idx = [i for i in np.argsort(t["id"], kind="mergesort") if sname[i] == name and st[i] == "complete"
                   and math.isfinite(t[vcol][i]) and (tcol is None or math.isfinite(t[tcol][i]))]
            return (t[vcol][idx], t[tcol][idx] if tcol else None)
        rv, rt = pool("random")
        gv, gt = pool("grid")
        if len(rv) < 16:
            skipped.append("random-experiment efficiency: %d complete random trials (needs 16)" % len(rv))
            return
        vmax = e.maximize[vi]
        eff = RS.efficiency(rv, rt, e.n_valid, vmax)
        gscore = RS.bb_score(gv, gt, e.n_valid, vmax, np.random.default_rng(0)) if len(gv) else math.nan
        shown = e.objectives[ti] if ti is not None else e.objectives[vi]
        better_max = e.maximize[ti] if ti is not None else vmax
        if ti is None:
            score = "its best %s (no test_* objective recorded, so no test score)" % shown
        elif e.n_valid > 1:
            score = ("the %s expected under validation uncertainty: trials weighted by P(lowest %s) with "
                     "n_valid = %d (Bergstra & Bengio 2012, Sec. 2.1)" % (shown, e.objectives[vi], e.n_valid))
        else:
            score = ("the %s of its best trial by %s (n_valid not recorded: no validation-uncertainty "
                     "weighting)" % (shown, e.objectives[vi]))
        self.w("### Random-experiment efficiency")
        self.w()
        self.w("Pool: %d complete random trials (in trial-id order, all repetitions); grid: %d complete trials. "
               "For each size s the pool is split into disjoint experiments of s trials; an experiment's score is "
               "%s. The grid is scored the same way over all its trials." % (len(rv), len(gv), score))
        self.w()
        self.w("| size | experiments | median %s | mean | share at least as good as the grid |" % shown)
        self.w("|---|---|---|---|---|")
        for s, sc in eff:
            share = (np.mean(sc >= gscore) if better_max else np.mean(sc <= gscore)) if math.isfinite(gscore) \
                else math.nan
            self.w("| %d | %d | %s | %s | %s |" % (s, len(sc), fmt(float(np.median(sc))), fmt(float(sc.mean())),
                                                   fmt(share, "%.2f")))
        self.w()
        self.w("Grid score: %s." % fmt(gscore))
        self.w()
        f = RF.efficiency_plot(e, eff, gscore, shown, self.out)
        self.fig(f, "random-experiment efficiency")

    def pareto(self, e, skipped):
        tuned = [i for i, o in enumerate(e.objectives) if not o.lower().startswith("test")]
        rec = e.pareto is not None and len(e.pareto) > 0
        if len(tuned) < 2:
            # one tuned objective: each study's "front" is its best trial; no front or hypervolume worth drawing
            skipped.append("Pareto fronts and hypervolume: fewer than two tuned objectives (test_* objectives are "
                           "not tuned)")
            return
        self.w("### Pareto fronts")
        self.w()
        self.fig(RFX.pareto_plot(e, tuned[0], tuned[1], self.out), "Pareto fronts")
        if len(tuned) > 2:
            self.w("Plotted: %s against %s (the first two tuned objectives of %d)." % (
                e.objectives[tuned[1]], e.objectives[tuned[0]], len(tuned)))
            self.w()
        if rec:
            self.w("The pareto table's %d front snapshots carry each study's own hypervolume (each against its own "
                   "reference point): the comparison above recomputes every front against one reference point."
                   % len(np.unique(e.pareto["snapshot"])))
            self.w()

    def pbt(self, e, skipped):
        if e.lineage is None or len(e.lineage) == 0:
            skipped.append("PBT lineage and schedules: no lineage table")
            return
        kinds = RL.col_text(e.lineage, "kind")
        self.w("### PBT lineage")
        self.w()
        self.w("%d events (%d exploit, %d explore) over %d members." % (
            len(kinds), kinds.count("exploit"), kinds.count("explore"), len(np.unique(e.lineage["member"]))))
        self.w()
        lin_all = e.lineage
        rep_of = {}
        if e.trials is not None and "repetition" in e.trials.dtype.names:
            rep_of = dict(zip(e.trials["id"].tolist(), e.trials["repetition"].tolist()))
        reps = np.array([rep_of.get(int(t), -1) for t in lin_all["to_trial"]])
        if len(np.unique(reps)) > 1:  # every repetition reuses members 0..P-1: draw the first one alone
            r0 = int(reps[reps >= 0].min()) if (reps >= 0).any() else -1
            e.lineage = lin_all[reps == r0]
            self.w("Figures: repetition %d only (%d of %d events); every repetition has its own population." % (
                r0, len(e.lineage), len(lin_all)))
            self.w()
        try:
            self.fig(RFX.lineage_plot(e, self.t0, self.out), "PBT lineage")
            sched = RFX.schedules(e, self.t0)
            if sched:
                self.fig(RFX.schedule_plot(e, sched, self.t0, self.out), "PBT hyperparameter schedules")
            else:
                skipped.append("PBT schedules: no numeric hyperparameters in the lineage JSON")
        finally:
            e.lineage = lin_all

    def importance(self, e, skipped):
        t, st = e.trials, e.status()
        col = "obj_" + e.objectives[0]
        names = [p for p, ty in zip(e.params, e.param_types) if ty != "fixed" and "param_" + p in t.dtype.names]
        fmax = RL.row_view(e)["max_fidelity"]
        ok = np.array([s == "complete" for s in st]) & np.isfinite(t[col]) & (t["fidelity"] >= fmax)
        if not names or ok.sum() < 8:
            skipped.append("parameter importance and parallel coordinates: need >= 8 complete full-fidelity trials "
                           "and a tuned parameter (%d, %d)" % (ok.sum(), len(names)))
            return
        X = np.column_stack([t["param_" + p][ok].astype(float) for p in names])
        cat = [e.param_types[e.params.index(p)] == "categorical" for p in names]
        imp = RS.importance(X, t[col][ok].astype(float), cat)
        self.w("### Parameter importance")
        self.w()
        self.w("First-order share of the variance of the ranks of %s explained by each parameter (quantile bins; "
               "see docs/report.md), over the %d complete trials of all strategies at the full fidelity (%g): a rung's lower-fidelity "
               "values measure a different thing and are left out." % (e.objectives[0], ok.sum(), fmax))
        self.w()
        self.w("| parameter | importance |")
        self.w("|---|---|")
        for i in np.argsort(-imp, kind="mergesort"):
            self.w("| %s | %.3f |" % (names[i], imp[i]))
        self.w()
        self.fig(RFX.importance_plot(e, names, imp, int(ok.sum()), self.out), "parameter importance")
        strat = [x for x, k in zip(e.strategy(), ok) if k]
        self.fig(RFC.parallel_coords(e, names, X, t[col][ok].astype(float), strat, self.out), "parallel coordinates")

    def memory(self):
        skipped = []
        mem = self.st.memory
        peaks = any(e.trials is not None and "peak_memory" in (e.trials.dtype.names or ())
                    and np.any(e.trials["peak_memory"] >= 0) for e in self.st.experiments)
        self.w("## Memory")
        self.w()
        if (mem is None or len(mem) == 0) and not peaks:
            self.w("No memory samples and no trial peak memory recorded: memory figure skipped.")
            self.w()
            return
        if mem is not None and len(mem):
            self.w("%d memory samples; the largest: %.1f MiB." % (len(mem), float(mem["bytes"].max()) / 2 ** 20))
            self.w()
        f = self.section("memory figure", skipped, RFX.memory_plot, self.st, self.t0, self.out)
        if f:
            self.fig(f, "memory")
        self.skipped(skipped)

    def write(self):
        self.study_info()
        if not self.st.experiments:
            self.w("The file holds no experiment: nothing to compare.")
            self.w()
        skipped = []
        self.section("summary across tasks", skipped, RT.summary, self, self.st, skipped)
        if len(self.st.experiments) >= 2:
            self.skipped(skipped)
        for e in self.st.experiments:
            self.experiment(e)
        self.memory()
        if self.failed:
            self.w("## Sections that failed")
            self.w()
            for f in self.failed:
                self.w("- %s" % f)
            self.w()
        self.w("---")
        self.w("Written by scripts/report.py on %s; definitions in docs/report.md." % when(
            datetime.datetime.now(datetime.timezone.utc).timestamp()))
        with open(os.path.join(self.out, "report.md"), "w") as f:
            f.write("\n".join(self.md) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(prog="tunebench report", description="Markdown and PNG report of a study")
    ap.add_argument("file", help="results file FILE.h5")
    ap.add_argument("--out", help="output directory (default: FILE-report beside FILE.h5)")
    ap.add_argument("--format", default="png", help="figure formats, comma-separated from png, pdf, svg "
                    "(default png; report.md links the first)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as ex:
        return 0 if ex.code == 0 else 2
    if MISSING:
        print("tunebench report: /usr/bin/python3 lacks %s: run scripts/setup (installs python3-h5py, "
              "python3-matplotlib, python3-numpy, python3-scipy)" % ", ".join(MISSING), file=sys.stderr)
        return 2
    if not os.path.exists(args.file):  # an I/O failure (exit 1), as the command's other unreadable files
        print("tunebench report: %s: cannot open: No such file or directory" % args.file, file=sys.stderr)
        return 1
    out = args.out or (args.file[:-3] if args.file.endswith(".h5") else args.file) + "-report"
    formats = [x.strip().lower() for x in args.format.split(",") if x.strip()]
    if not formats or any(x not in ("png", "pdf", "svg") for x in formats):
        print("tunebench report: --format %s: expected png, pdf or svg, comma-separated" % args.format,
              file=sys.stderr)
        return 2
    global np, RL, RS, RF, RFX, RC, RFC, RSec, RT
    import numpy as np
    import report_load as RL
    import report_stats as RS
    import report_figs as RF
    import report_figs_extra as RFX
    import report_compare as RC
    import report_figs_compute as RFC
    import report_sections as RSec
    import report_tasks as RT
    RF.FORMATS[:] = formats
    try:
        study = RL.load(args.file)
    except RL.ReportInputError as ex:
        print("tunebench report: %s" % ex, file=sys.stderr)
        return 2
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as ex:
        print("tunebench report: %s: cannot create the output directory: %s" % (out, ex.strerror or ex),
              file=sys.stderr)
        return 1
    RF.STRATEGIES[:] = sorted(set(x for e in study.experiments for x in e.strategy()))
    rep = Report(study, out)
    rep.write()
    figs = sorted(f for f in os.listdir(out) if f.endswith("." + formats[0]))
    print("tunebench report: wrote %s and %d figure%s" % (os.path.join(out, "report.md"), len(figs),
                                                         "" if len(figs) == 1 else "s"))
    if rep.failed:
        print("tunebench report: %d section(s) failed: %s" % (len(rep.failed), "; ".join(rep.failed)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
