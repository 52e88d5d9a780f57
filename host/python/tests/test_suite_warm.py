"""Suites' warm starts through `tunebench run`: `initial:` configurations are each strategy's first trials (in
every repetition), and `warm_start: EARLIER.h5` tells the earlier file's trials of the same experiment to each
sampler before it asks (TPE's first own trials then sit near the earlier optimum; cold ones are spread out).
A value that is not in the space is an error naming the suite file, line and column."""
import os
import statistics
import subprocess

import pytest

import tunebench as tb

REPO = os.environ.get("TB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
BINARY = os.environ.get("TB_BINARY") or os.path.join(REPO, "build", "tunebench")
pytestmark = pytest.mark.skipif(not os.access(BINARY, os.X_OK), reason="needs the tunebench binary")

SUITE = """name: warm-{tag}
functions: [branin]
strategies:
  - {{name: tpe, sampler: {{name: tpe, n_startup: 10}}}}
  - {{name: random, sampler: random}}
budget: {{trials: {trials}}}
repetitions: 2
seed: {seed}
jobs: 1
{extra}
"""


def run(tmp_path, tag, trials, seed, extra=""):
    suite = tmp_path / f"{tag}.yaml"
    suite.write_text(SUITE.format(tag=tag, trials=trials, seed=seed, extra=extra))
    out = tmp_path / f"{tag}.h5"
    p = subprocess.run([BINARY, "run", str(suite), "--out", str(out), "--device", "cpu"], capture_output=True,
                       text=True, timeout=300)
    return p, out


def near_optimum(res, strategy, first, n):
    """Median distance of trials first..first+n-1 (by id within each repetition) to Branin's nearest minimiser."""
    mins = [(-3.14159, 12.275), (3.14159, 2.275), (9.42478, 2.475)]
    t = res.trials[res.trials["strategy"] == strategy]
    d = []
    for _, g in t.groupby("repetition"):
        g = g.sort_values("id").iloc[first:first + n]
        d += [min(((a - x) ** 2 + (b - y) ** 2) ** 0.5 for x, y in mins)
              for a, b in zip(g["params_x0"], g["params_x1"])]
    return statistics.median(d)


def test_initial_and_warm_start(tmp_path):
    p, earlier = run(tmp_path, "earlier", 40, 1)
    assert p.returncode == 0, p.stderr
    extra = f"initial:\n  - {{x0: 0.5, x1: 7.5}}\n  - {{x0: -2, x1: 1}}\nwarm_start: {earlier}\n"
    p, warm = run(tmp_path, "warm", 12, 2, extra)
    assert p.returncode == 0, p.stderr
    p, cold = run(tmp_path, "cold", 12, 2)
    assert p.returncode == 0, p.stderr
    w, c = tb.load(warm), tb.load(cold)
    for strategy in ("tpe", "random"):
        for _, g in w.trials[w.trials["strategy"] == strategy].groupby("repetition"):
            g = g.sort_values("id")
            assert list(zip(g["params_x0"][:2], g["params_x1"][:2])) == [(0.5, 7.5), (-2.0, 1.0)]
    # TPE's own trials after the 2 initial ones: near a minimiser when warm, spread out when cold
    dw, dc = near_optimum(w, "tpe", 2, 10), near_optimum(c, "tpe", 0, 10)
    assert dw < dc and dw < 2.0, (dw, dc)


def test_bad_initial_value(tmp_path):
    p, _ = run(tmp_path, "bad", 3, 1, "initial:\n  - {x0: 99, x1: 1}\n")
    assert p.returncode != 0
    assert "bad.yaml:" in p.stderr and "initial[0]" in p.stderr and "x0" in p.stderr, p.stderr
