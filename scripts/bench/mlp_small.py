#!/usr/bin/python3
"""scripts/bench/mlp_small.py: the MLP's defaults on small tables against scikit-learn's default MLPClassifier.

For wine (178 rows), iris (150) and breast_cancer (569), as bundled with scikit-learn (no download), and seeds
0..K-1: `tunebench train --learner mlp` with its defaults (and with --set min_updates=1, one pass per epoch, the
defaults before issue 21) prints its test accuracy; scikit-learn's MLPClassifier() (random_state = seed) is fitted
on the same training rows, standardised the same way, and scored on the same test rows (`tunebench data dump` with
the same --seed writes them). Prints the mean test accuracies and writes results/bench/mlp-small-<date>.md.
Needs scikit-learn and h5py (Debian: python3-sklearn, python3-h5py; scripts/bench/setup). Not a unit test: the
regression test of the defaults is tests/test_learner_small.c.
"""
import argparse, datetime, os, platform, re, subprocess, sys, tempfile, warnings

import h5py
import numpy as np
from sklearn import datasets
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore")  # MLPClassifier's ConvergenceWarning at max_iter 200: its default, as compared


def ours(tb, spec, seed, extra):
    out = subprocess.run([tb, "train", "--learner", "mlp", "--data", spec, "--seed", str(seed), "--device", "cpu"]
                         + extra, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"^test loss \S+\s+acc (\S+)", out, re.M).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--out", default="results/bench")
    a = ap.parse_args()
    tb = os.path.join(a.build, "tunebench")
    tmp = tempfile.mkdtemp(prefix="tb-mlp-small-")
    rows = []
    for name, loader in [("wine", datasets.load_wine), ("iris", datasets.load_iris),
                         ("breast_cancer", datasets.load_breast_cancer)]:
        X, y = loader(return_X_y=True)
        path = os.path.join(tmp, name + ".csv")
        with open(path, "w") as f:
            f.write(",".join(f"f{j}" for j in range(X.shape[1])) + ",label\n")
            for r, c in zip(X, y):
                f.write(",".join("%.17g" % v for v in r) + ",%d\n" % c)
        spec = f"csv:{path}?label=label"
        acc = {"defaults": [], "one pass": [], "sklearn": []}
        for s in range(a.seeds):
            acc["defaults"].append(ours(tb, spec, s, []))
            acc["one pass"].append(ours(tb, spec, s, ["--set", "min_updates=1"]))
            h5 = os.path.join(tmp, f"{name}_{s}.h5")
            subprocess.run([tb, "data", "dump", spec, "--seed", str(s), "--out", h5], check=True, capture_output=True)
            with h5py.File(h5) as f:
                x, yy, sp = f["x"][:], f["y"][:], f["split"][:]
            clf = MLPClassifier(random_state=s).fit(x[sp == 0], yy[sp == 0])
            acc["sklearn"].append(clf.score(x[sp == 2], yy[sp == 2]))
        m = {k: float(np.mean(v)) for k, v in acc.items()}
        rows.append((name, len(y), m))
        print(f"{name:14s} {len(y):4d} rows  tunebench defaults {m['defaults']:.4f}  one pass/epoch {m['one pass']:.4f}"
              f"  sklearn {m['sklearn']:.4f}  defaults - sklearn {100 * (m['defaults'] - m['sklearn']):+.2f} pts",
              flush=True)
    os.makedirs(a.out, exist_ok=True)
    day = datetime.date.today().isoformat()
    with open(os.path.join(a.out, f"mlp-small-{day}.md"), "w") as f:
        f.write(f"# MLP defaults on small tables, {day}\n\nMachine: {platform.node()} ({os.cpu_count()} CPUs), CPU "
                f"backend; scikit-learn {__import__('sklearn').__version__}. Mean test accuracy over seeds "
                f"0..{a.seeds - 1} (60/20/20 split of `tunebench data dump --seed S`, the same rows for both; "
                f"scikit-learn's MLPClassifier() fitted on the training rows). `scripts/bench/mlp_small.py`.\n\n"
                "| dataset | rows | tunebench defaults | tunebench, one pass per epoch (min_updates=1) | "
                "scikit-learn default | defaults - scikit-learn |\n|---|---|---|---|---|---|\n")
        for name, n, m in rows:
            f.write(f"| {name} | {n} | {m['defaults']:.4f} | {m['one pass']:.4f} | {m['sklearn']:.4f} | "
                    f"{100 * (m['defaults'] - m['sklearn']):+.2f} pts |\n")


if __name__ == "__main__":
    sys.exit(main())
