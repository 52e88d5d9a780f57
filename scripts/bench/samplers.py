#!/usr/bin/python3
"""scripts/bench/samplers.py: our samplers against Optuna's, side by side in one run.

Runs `tunebench bench samplers --format json` (our samplers) and, on the same test functions with the same
trial budget and seeds, Optuna's TPE, random, CMA-ES and QMC (Sobol) samplers. Prints one table: function,
sampler, our mean regret +- standard error, Optuna's peer and its regret, and the cost per suggestion at each
timing window (Optuna time / our time). Writes results/bench/samplers-<date>.md.

What it is not: a unit test (tests/ has those) and not a plot. The Python functions below are written
independently of host/objective/testfn.c and checked against `tunebench bench eval` at a few points before any run.
Needs /usr/bin/python3 with Debian's python3-optuna (3.1), numpy, scipy, cmaes: scripts/bench/setup installs them.
Usage: scripts/bench/samplers.py [--quick] [--build DIR] [--seeds K] [--trials N] [--functions ...] [--samplers ...]
       [--timing T1,T2,...|none] [--timing-budget [SAMPLER=]S ...] [--timing-max SAMPLER=T ...]
With --samplers, only the Optuna peers of those samplers run (all four when one of them has no peer).
"""
import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# ---- test functions, written from docs (shared/references/protocols.md section 8) -------------------------------
HART6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HART6_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
           [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
HART_ALPHA = [1.0, 1.2, 3.0, 3.2]


def branin(x):
    x1, x2 = x
    b, c = 5.1 / (4 * math.pi ** 2), 5 / math.pi
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def hartmann6(x):
    s = 0.0
    for i in range(4):
        e = sum(HART6_A[i][j] * (x[j] - 1e-4 * HART6_P[i][j]) ** 2 for j in range(6))
        s += HART_ALPHA[i] * math.exp(-e)
    return -s


# name -> (function, lower bounds, upper bounds, known minimum). The embedded Hartmann6 uses the first 6 of its 20
# dimensions (the rest are dummies); the check against `tunebench bench eval` below catches any other layout.
FUNCTIONS = {
    "branin": (branin, [-5.0, 0.0], [10.0, 15.0], 0.397887357729739),
    "hartmann6": (hartmann6, [0.0] * 6, [1.0] * 6, -3.32236801141551),
    "hartmann6-20d": (lambda x: hartmann6(x[:6]), [0.0] * 20, [1.0] * 20, -3.32236801141551),
}

# our sampler -> the Optuna sampler it is compared with ("best" = Optuna's best sampler on that function)
PEERS = {"tpe": "tpe", "random": "random", "sobol": "qmc", "halton": "qmc", "cmaes": "cmaes"}
OPTUNA_SAMPLERS = ["tpe", "random", "cmaes", "qmc"]
OPTUNA_DESCR = {"tpe": "TPESampler", "random": "RandomSampler", "cmaes": "CmaEsSampler (python3-cmaes)",
                "qmc": "QMCSampler (scrambled Sobol, python3-scipy)"}


def run(cmd, timeout=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"samplers.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr.strip()}")
    return p.stdout


# ---- our side ---------------------------------------------------------------------------------------------------
def check_functions(binary, names, seed=12345):
    """Evaluates each function at 3 pseudo-random points here and with `tunebench bench eval`; must agree."""
    import random
    rng = random.Random(seed)
    for name in names:
        f, lo, hi, _ = FUNCTIONS[name]
        for _ in range(3):
            x = [rng.uniform(a, b) for a, b in zip(lo, hi)]
            ours = float(run([binary, "bench", "eval", "--function", name, "--x", ",".join(repr(v) for v in x)]))
            mine = f(x)
            if not abs(ours - mine) <= 1e-9 * max(1.0, abs(mine)):
                sys.exit(f"samplers.py: {name}{tuple(round(v, 4) for v in x)}: tunebench says {ours!r}, "
                         f"the Python definition {mine!r}: the two definitions differ")


def ours_cmd(binary, args, quality):
    """Our quality runs (--timing none) or our cost runs (--seeds 0) as one `tunebench bench samplers` call."""
    cmd = [binary, "bench", "samplers", "--format", "json", "--trials", str(args.trials)]
    if quality:
        cmd += ["--seeds", str(args.seeds), "--timing", "none"]
    else:
        cmd += ["--seeds", "0", "--timing", ",".join(map(str, args.timing_ours)),
                "--timing-budget", str(args.timing_budget)]
        for b in args.timing_budget_for:
            cmd += ["--timing-budget", b]
        for m in args.timing_max or []:
            cmd += ["--timing-max", m]
    for f in args.functions:
        cmd += ["--function", f]
    for s in args.samplers or []:
        cmd += ["--sampler", s]
    for o in args.option or []:
        cmd += ["--option", o]
    return cmd


def parse_ours(out, cmd):
    lines = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
    if not lines:
        sys.exit(f"samplers.py: {' '.join(cmd)} printed no results")
    for r in lines:  # the definitions must agree on the domain and the optimum too
        if r["function"] in FUNCTIONS:
            _, lo, hi, opt = FUNCTIONS[r["function"]]
            if r["lo"] != lo or r["hi"] != hi or abs(r["optimum"] - opt) > 1e-5:
                sys.exit(f"samplers.py: {r['function']}: domain or optimum differ from tunebench's: {r}")
    return {(r["function"], r["sampler"]): r for r in lines}


# ---- Optuna's side -------------------------------------------------------------------------------------------------
def make_sampler(optuna, name, seed):
    s = optuna.samplers
    if name == "tpe":
        return s.TPESampler(seed=seed)
    if name == "random":
        return s.RandomSampler(seed=seed)
    if name == "cmaes":
        return s.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "qmc":
        return s.QMCSampler(qmc_type="sobol", scramble=True, seed=seed, warn_independent_sampling=False,
                            warn_asynchronous_seeding=False)
    raise ValueError(name)


def optuna_run(optuna, fname, sname, seed, n_trials, window=None):
    """One sequential ask/suggest/tell run; returns (best value, [suggestion seconds in window])."""
    f, lo, hi, _ = FUNCTIONS[fname]
    study = optuna.create_study(sampler=make_sampler(optuna, sname, seed), direction="minimize")
    times = []
    for t in range(n_trials):
        t0 = time.perf_counter()
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", lo[i], hi[i]) for i in range(len(lo))]
        dt = time.perf_counter() - t0
        if window and window[0] <= t < window[1]:
            times.append(dt)
        study.tell(trial, f(x))
    return study.best_value, times


def optuna_samplers(args):
    """Optuna's samplers this run needs: the peers of --samplers (all when one of them is compared with 'best')."""
    if not args.samplers or any(s not in PEERS for s in args.samplers):
        return OPTUNA_SAMPLERS
    return [p for p in OPTUNA_SAMPLERS if p in {PEERS[s] for s in args.samplers}]


def optuna_quality(optuna, args):
    quality = {}
    for fname in args.functions:
        opt = FUNCTIONS[fname][3]
        for sname in optuna_samplers(args):
            quality[(fname, sname)] = [optuna_run(optuna, fname, sname, seed, args.trials)[0] - opt
                                       for seed in range(args.seeds)]
    return quality


def optuna_timing(optuna, args):
    """Median suggestion time (ms) in the last 10% of a run to T trials: every sampler at the smallest count on
    every function; the larger counts on the timing function only (Optuna's TPE is slow there: see README)."""
    timing = {}
    for fname in args.functions:
        for T in args.timing_optuna:
            if T != args.timing_optuna[0] and fname != args.timing_function:
                continue
            for sname in optuna_samplers(args):
                _, times = optuna_run(optuna, fname, sname, 0, T, window=(T - max(1, T // 10), T))
                timing[(fname, sname, T)] = statistics.median(times) * 1e3
    return timing


def run_all(binary, args):
    """Quality: ours and Optuna's at the same time (one core each). Cost: ours alone, then Optuna's alone."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    t0 = time.time()
    qcmd = ours_cmd(binary, args, quality=True)
    proc = subprocess.Popen(qcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    quality = optuna_quality(optuna, args)
    t1 = time.time()
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"samplers.py: {' '.join(qcmd)} failed ({proc.returncode}):\n{err.strip()}")
    ours_q = parse_ours(out, qcmd)
    print(f"quality: Optuna {t1 - t0:.0f} s, ours {time.time() - t0:.0f} s (in parallel)", file=sys.stderr)
    if not args.timing_ours:  # --timing none: quality only
        return optuna.__version__, list(ours_q.values()), quality, {}
    t0 = time.time()
    tcmd = ours_cmd(binary, args, quality=False)
    ours_t = parse_ours(run(tcmd), tcmd)
    t1 = time.time()
    timing = optuna_timing(optuna, args)
    print(f"cost: ours {t1 - t0:.0f} s, Optuna {time.time() - t1:.0f} s", file=sys.stderr)
    # one record per function x sampler: quality from the first call, cost from the second
    for key, r in ours_q.items():
        r["timing"] = ours_t.get(key, {}).get("timing", [])
        if r["status"] == "ok" and ours_t.get(key, {}).get("status", "ok") != "ok":
            r["status"], r["detail"] = ours_t[key]["status"], ours_t[key]["detail"]
    return optuna.__version__, list(ours_q.values()), quality, timing


# ---- the table ---------------------------------------------------------------------------------------------------
def mean_se(v):
    m = statistics.fmean(v)
    se = statistics.stdev(v) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return m, se


def fmt_ms(v):
    return "-" if v is None else (f"{v:.3g}" if v >= 0.01 else f"{v:.2e}")


def build_table(ours, quality, timing, args):
    def optuna_ms(fname, peer, T):
        if (fname, peer, T) in timing:
            return timing[(fname, peer, T)], ""
        meas = sorted(t for (f, p, t) in timing if f == fname and p == peer)
        if peer == "tpe" and len(meas) >= 2 and T > meas[-1]:  # TPE's cost grows about linearly with the trials
            a, b = meas[-2], meas[-1]
            ta, tb = timing[(fname, peer, a)], timing[(fname, peer, b)]
            return max(tb, tb + (tb - ta) * (T - b) / (b - a)), " (est.)"
        return None, ""

    hdr = ["function", "sampler", "ours regret ± se", "Optuna peer", "Optuna regret ± se"]
    for T in args.timing_ours:
        hdr += [f"ours ms @{T}", f"Optuna ms @{T}", f"ratio @{T}"]
    rows = []
    for r in ours:
        fname, s = r["function"], r["sampler"]
        if fname not in FUNCTIONS:
            continue
        row = [fname, s + (f" ({r['options']})" if r.get("options") else "")]
        if r["status"] != "ok":
            row += [f"{r['status']}: {r.get('detail', '')}"[:70]]
        else:
            row += [f"{r['regret_mean']:.4g} ± {r['regret_se']:.2g}"]
        peer = PEERS.get(s, "best")
        label = peer
        if peer == "best":  # Optuna's best sampler on this function (by mean regret)
            peer = min(optuna_samplers(args), key=lambda p: statistics.fmean(quality[(fname, p)]))
            label = f"{peer} (best)"
        m, se = mean_se(quality[(fname, peer)])
        row += [label, f"{m:.4g} ± {se:.2g}"]
        tim = {t["trials"]: t.get("ask_ms") for t in r.get("timing", [])}
        for T in args.timing_ours:
            ours_ms = tim.get(T)
            opt_ms, mark = optuna_ms(fname, peer, T)
            ratio = "-" if not ours_ms or opt_ms is None else f"{opt_ms / ours_ms:.3g}x{mark}"
            row += [fmt_ms(ours_ms), fmt_ms(opt_ms) + mark, ratio]
        rows.append(row)
    return hdr, rows


def markdown(hdr, rows):
    out = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def plain(hdr, rows):
    w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    lines = ["  ".join(h.ljust(w[i]) for i, h in enumerate(hdr))]
    lines += ["  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows]
    return "\n".join(lines)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory holding tunebench")
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 seeds, cost at 100 and 1000 trials (ours), "
                    "100 (Optuna), 10 s budget")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--functions", nargs="+", default=list(FUNCTIONS), choices=list(FUNCTIONS))
    ap.add_argument("--samplers", nargs="+", help="our samplers (default: all that tunebench lists)")
    ap.add_argument("--option", action="append", help="an option of one of our samplers, SAMPLER:NAME=VALUE")
    ap.add_argument("--timing-function", default="hartmann6", choices=list(FUNCTIONS),
                    help="the function on which Optuna's cost is measured past the smallest count (default hartmann6)")
    ap.add_argument("--timing-budget", action="append", default=[],
                    help="seconds allowed to one of our long cost runs before it is cut (default 30); SAMPLER=S "
                    "sets one sampler's budget (e.g. gp=900); repeatable")
    ap.add_argument("--timing", help="our cost windows, comma-separated trial counts (default 100,1000,10000), "
                    "or 'none' for quality only")
    ap.add_argument("--timing-max", action="append",
                    help="SAMPLER=T: skip that sampler's cost runs above T trials (e.g. gp=500); repeatable")
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "bench"))
    args = ap.parse_args()
    budgets = [b for b in args.timing_budget if "=" not in b]
    args.timing_budget_for = [b for b in args.timing_budget if "=" in b]
    args.timing_budget = float(budgets[-1]) if budgets else 30.0
    if args.quick:
        args.seeds = min(args.seeds, 3)
        args.timing_ours, args.timing_optuna = [100, 1000], [100]
        args.timing_budget = min(args.timing_budget, 10.0)
    else:
        args.timing_ours, args.timing_optuna = [100, 1000, 10000], [100, 1000]
    if args.timing == "none":
        args.timing_ours, args.timing_optuna = [], []
    elif args.timing:
        args.timing_ours = [int(t) for t in args.timing.split(",")]
    if args.seeds < 2:
        sys.exit("samplers.py: --seeds must be at least 2 (the standard error needs two)")
    binary = os.path.join(args.build, "tunebench")
    if not os.access(binary, os.X_OK):
        sys.exit(f"samplers.py: {binary} not found: build first (scripts/build) or pass --build DIR")
    try:
        import optuna  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        sys.exit(f"samplers.py: {e}: run scripts/bench/setup (installs python3-optuna and friends)")

    t_start = time.time()
    check_functions(binary, args.functions)
    version, ours, quality, timing = run_all(binary, args)
    hdr, rows = build_table(ours, quality, timing, args)
    print(plain(hdr, rows))

    date = datetime.date.today().isoformat()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"samplers-{date}{'-quick' if args.quick else ''}.md")
    counts = ", ".join(map(str, args.timing_optuna))
    if not args.timing_ours:
        cost = "- cost: not measured in this run (--timing none)"
    else:
        extra = "".join(f"; {b.replace('=', ' after ')} s" for b in args.timing_budget_for)
        extra += "".join(f"; {m.replace('=', ' only up to ')} trials" for m in args.timing_max or [])
        cost = (f"- cost: median time per suggestion over the last 10% of one run to T trials (ours: ask(); Optuna: "
                f"ask() plus the suggest_float calls, where its samplers do their work), measured with nothing else of "
                f"ours running. Optuna: every sampler at {args.timing_optuna[0]} trials on every function; {counts} "
                f"trials on {args.timing_function} only; larger counts are linear extrapolations, marked (est.). "
                f"Ratio = Optuna peer's time / ours. Our runs stop after {args.timing_budget:g} s{extra}: '-' is a run "
                f"cut there or not run.")
    notes = [
        f"# Sampler benchmark, {date}{' (quick)' if args.quick else ''}",
        "",
        f"- machine: {machine()}; samplers run on the CPU (no GPU involved); total wall time "
        f"{time.time() - t_start:.0f} s",
        f"- tunebench: {run([binary, '--version']).strip()}; Optuna {version} (Debian python3-optuna) with "
        f"{', '.join(OPTUNA_DESCR[p] for p in optuna_samplers(args))}, all with default settings",
        f"- quality: {args.trials} trials x {args.seeds} seeds (0..{args.seeds - 1}) per function and sampler, "
        "sequential ask / evaluate / tell; regret = best value found - known minimum; ± is the standard error over "
        "seeds; 'best' = Optuna's sampler with the lowest mean regret on that function. Our runs and Optuna's ran "
        "at the same time, one per core.",
        cost,
        f"- command: {' '.join(sys.argv)}",
        "",
        markdown(hdr, rows),
        "",
    ]
    with open(path, "w") as f:
        f.write("\n".join(notes))
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
