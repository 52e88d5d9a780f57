#!/usr/bin/python3
"""scripts/bench/optuna_adapter.py: our TPE through the Optuna adapter (tunebench.optuna.TunebenchSampler) against
Optuna's own TPESampler, inside the same Optuna study loop, on Hartmann6 (6-d, minimum -3.32237).

For each seed, each sampler runs N trials (default 1,000) of ask / evaluate / tell in an in-memory Optuna study.
Cost per suggestion = the wall time (and the process's CPU time, all threads: steadier on a shared machine) of
study.ask() plus the six suggest_float calls (where Optuna's samplers work,
and where ours goes through the binding: Optuna search-space bookkeeping, observations added, ctypes, the library's
TPE), so the binding's overhead is included; the figure is the median over trials 0.9N..N-1 of each seed's run,
then the median over seeds. Regret = best value found - the known minimum, after N trials and after 100; median and
a bootstrap 95% interval of the median over the seeds (default 20), and the seeds where ours is better. Both
samplers run with their defaults. Targets (issue 17): ours at least 20x cheaper per suggestion, regret no worse.

Not a unit test (host/python/tests/test_bench_smoke.py runs it with 2 seeds x 30 trials). Hartmann6 here is
checked against the library's tb_testfn at random points before anything runs.
Usage: scripts/bench/optuna_adapter.py [--seeds K] [--trials N] [--jobs J] [--out DIR] [--no-write]
(--jobs: seeds in J processes at once; each process times both samplers of its seed one after the other.)
Run with /usr/bin/python3 (Debian's optuna 3.1); the library is found as host/python's README says.
"""
import argparse
import ctypes as C
import datetime
import math
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "host", "python"))

import optuna  # noqa: E402

import tunebench  # noqa: E402
from tunebench import _lib  # noqa: E402
from tunebench.optuna import TunebenchSampler  # noqa: E402

A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]
OPTIMUM = -3.32236801141551


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - 1e-4 * P[i][j]) ** 2 for j in range(6)))
                for i in range(4))


def check_against_library():
    lib = _lib.lib
    lib.tb_testfn_find.restype = C.c_void_p
    lib.tb_testfn_find.argtypes = [C.c_char_p]
    lib.tb_testfn_eval.restype = C.c_int
    lib.tb_testfn_eval.argtypes = [C.c_void_p, _lib.c_double_p, _lib.c_double_p]
    f = lib.tb_testfn_find(b"hartmann6")
    rng = random.Random(0)
    for _ in range(5):
        x = [rng.random() for _ in range(6)]
        out = C.c_double()
        _lib.check(lib.tb_testfn_eval(f, (C.c_double * 6)(*x), C.byref(out)))
        if abs(out.value - hartmann6(x)) > 1e-9:
            sys.exit(f"hartmann6 differs from the library's at {x}: {hartmann6(x)} vs {out.value}")


def run(sampler, n):
    study = optuna.create_study(sampler=sampler)
    costs, cpu, best, best100 = [], [], math.inf, math.inf
    for i in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        trial = study.ask()
        x = [trial.suggest_float(f"x{j}", 0.0, 1.0) for j in range(6)]
        costs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        v = hartmann6(x)
        study.tell(trial, v)
        best = min(best, v)
        if i == 99:
            best100 = best
    k = int(0.9 * n)
    # (wall s, regret at n, regret at 100, CPU s of this process, all its threads)
    return (statistics.median(costs[k:]), best - OPTIMUM, (best100 if n >= 100 else best) - OPTIMUM,
            statistics.median(cpu[k:]))


def one_seed(arg):
    """Both samplers on one seed, one after the other in this process."""
    seed, n = arg
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return seed, run(TunebenchSampler("tpe", seed=seed), n), run(optuna.samplers.TPESampler(seed=seed), n)


def median_ci(xs, reps=2000, seed=0):
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(reps))
    return statistics.median(xs), meds[int(0.025 * reps)], meds[int(0.975 * reps) - 1]


def machine():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "bench"))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="seeds run in this many processes at once")
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    check_against_library()
    res = {"ours": [], "optuna": []}
    t_start = time.time()
    with multiprocessing.Pool(a.jobs) as pool:
        for seed, o, p in pool.imap(one_seed, [(seed, a.trials) for seed in range(a.seeds)]):
            res["ours"].append(o)
            res["optuna"].append(p)
            print(f"seed {seed:2d}: ours {o[0] * 1e3:8.3f} ms (cpu {o[3] * 1e3:8.3f}) regret {o[1]:.4f} | optuna "
                  f"{p[0] * 1e3:8.3f} ms (cpu {p[3] * 1e3:8.3f}) regret {p[1]:.4f}", flush=True)
    cost = {k: statistics.median(r[0] for r in v) for k, v in res.items()}
    cpu = {k: statistics.median(r[3] for r in v) for k, v in res.items()}
    reg = {k: median_ci([r[1] for r in v]) for k, v in res.items()}
    reg100 = {k: median_ci([r[2] for r in v]) for k, v in res.items()}
    wins = sum(o[1] < p[1] for o, p in zip(res["ours"], res["optuna"]))
    ties = sum(o[1] == p[1] for o, p in zip(res["ours"], res["optuna"]))
    ratio = cost["optuna"] / cost["ours"]
    cpu_ratio = cpu["optuna"] / cpu["ours"] if cpu["ours"] > 0 else math.inf
    at = min(100, a.trials)
    lines = [
        f"# Our TPE through the Optuna adapter vs Optuna's TPESampler: Hartmann6, {a.trials} trials, "
        f"{a.seeds} seeds",
        "",
        f"Date {datetime.date.today().isoformat()}; machine {machine()}; Optuna {optuna.__version__}, "
        f"Python {platform.python_version()}; library {tunebench.library_path}; wall {time.time() - t_start:.0f} s.",
        "Command: `nice scripts/bench/optuna_adapter.py" + (f" --seeds {a.seeds}" if a.seeds != 20 else "")
        + (f" --jobs {a.jobs}" if a.jobs != 1 else "")
        + (f" --trials {a.trials}" if a.trials != 1000 else "") + "`. Cost: study.ask() + 6 suggest_float per trial,"
        f" median over trials {int(0.9 * a.trials)}..{a.trials - 1}, median over seeds. Regret: median [bootstrap 95%].",
        "",
        f"| sampler | ms per suggestion (wall) | ms (CPU, all threads) | regret at {a.trials} | regret at {at} |",
        "|---|---|---|---|---|",
    ]
    for k, label in (("ours", "tunebench TPE (TunebenchSampler)"), ("optuna", "Optuna TPESampler")):
        r, r1 = reg[k], reg100[k]
        lines.append(f"| {label} | {cost[k] * 1e3:.3f} | {cpu[k] * 1e3:.3f} | {r[0]:.4f} [{r[1]:.4f}, {r[2]:.4f}] | "
                     f"{r1[0]:.4f} [{r1[1]:.4f}, {r1[2]:.4f}] |")
    lines += ["", f"Optuna / ours cost per suggestion: **{ratio:.1f}x** wall, **{cpu_ratio:.1f}x** CPU "
              f"(target >= 20x; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end). "
              f"Ours has the lower final regret on {wins} of {a.seeds} seeds ({ties} ties)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not a.no_write:
        os.makedirs(a.out, exist_ok=True)
        path = os.path.join(a.out, f"optuna_adapter-{datetime.date.today().isoformat()}.md")
        with open(path, "w") as f:
            f.write(text)
        print("wrote", path)


if __name__ == "__main__":
    main()
