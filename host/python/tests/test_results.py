"""tunebench.load(): results files as DataFrames (trials with parameter labels, curves with strategy and
repetition, Pareto fronts), read by the library's store reader, also while a study is writing the file; a file
written by `tunebench run` (two strategies x two repetitions of a learner suite); bad files raise."""
import math
import os
import subprocess
import sys
import time

import pytest

import tunebench as tb

REPO = os.environ.get("TB_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
BINARY = os.environ.get("TB_BINARY") or os.path.join(REPO, "build", "tunebench")


def space():
    sp = tb.Space().add_categorical("opt", ["sgd", "adam"]).add_float("lr", 1e-3, 1, log=True)
    return sp.add_float("mom", 0, 1).add_condition("mom", "opt", ["sgd"])


def objective(trial):
    p = trial.params
    v = abs(math.log10(p["lr"]) + 1) + p.get("mom", 0.5)
    for step in range(1, 4):
        if trial.report(v + 1 / step, step):
            raise tb.TrialPruned()
    return v


def test_optimize_storage_roundtrip(tmp_path):
    path = tmp_path / "study.h5"
    r = tb.optimize(objective, space(), sampler="tpe", scheduler="median", n_trials=25, min_fidelity=1,
                    max_fidelity=3, seed=1, storage=path)
    res = tb.load(path)
    t = res.trials
    assert len(t) == 25 and res.attrs["complete"]
    assert set(t["params_opt"]) <= {"sgd", "adam"}
    assert all((m is None or (isinstance(m, float) and math.isnan(m))) == (o == "adam")
               for o, m in zip(t["params_opt"], t["params_mom"]))
    by_id = {x.number: x for x in r.trials}
    for _, row in t.iterrows():  # the file holds what the study returned
        assert row["status"] == by_id[row["id"]].state
        if row["status"] == "complete":
            assert row["obj_value"] == pytest.approx(by_id[row["id"]].value)
    c = res.curves
    assert {"trial", "step", "fidelity", "val_metric", "strategy", "repetition"} <= set(c.columns)
    assert (c["strategy"] == "tpe").all() and len(c) >= 25
    assert len(res.pareto) >= 1 and res.experiments["python"]["parameters"] == ["opt", "lr", "mom"]
    with pytest.raises(tb.TunebenchError):  # exists: not replaced without force
        tb.optimize(objective, space(), n_trials=1, storage=path)
    tb.optimize(objective, space(), n_trials=1, storage=path, force=True)


WRITER = """
import sys, time
sys.path.insert(0, sys.argv[2])
import tunebench as tb
sp = tb.Space().add_float("lr", 1e-3, 1, log=True)
def slow(trial):
    time.sleep(0.03)
    return trial.params["lr"]
tb.optimize(slow, sp, sampler="random", n_trials=int(sys.argv[3]), seed=2, storage=sys.argv[1])
"""


def test_load_while_the_study_writes(tmp_path):
    """Another process writes (as `tunebench run` or a study in a notebook would); this one reads meanwhile.
    (Within one process HDF5 shares the open file between the writer and a reader: read after the study.)"""
    path, n_total, seen = tmp_path / "live.h5", 40, []
    pkg = os.path.dirname(os.path.dirname(os.path.abspath(tb.__file__)))
    w = subprocess.Popen([sys.executable, "-c", WRITER, str(path), pkg, str(n_total)])
    deadline = time.time() + 120
    while w.poll() is None and time.time() < deadline:
        if os.path.exists(path):
            try:
                seen.append(len(tb.load(path).trials))
            except tb.TunebenchError:
                pass  # the file is being created, or reopened out of SWMR for a moment (results-format.md)
        time.sleep(0.05)
    assert w.wait(timeout=60) == 0
    assert any(0 < n < n_total for n in seen), seen
    assert seen == sorted(seen) and len(tb.load(path).trials) == n_total


@pytest.mark.skipif(not os.access(BINARY, os.X_OK), reason="needs the tunebench binary (TB_BINARY or REPO/build)")
def test_suite_file_with_strategies_and_repetitions(tmp_path):
    suite = tmp_path / "s.yaml"
    suite.write_text("""name: pytest-suite
datasets:
  - {spec: "gen:classification?n=400&d=6&informative=4&classes=2&seed=3", name: clf}
learners: [logreg]
strategies:
  - {name: random, sampler: random}
  - {name: asha, sampler: random, scheduler: {name: asha, eta: 3}}
budget: {trials: 6, fidelity: {min: 1, max: 9}}
repetitions: 2
seed: 1
jobs: 2
objectives: [valid_accuracy]
""")
    out = tmp_path / "s.h5"
    subprocess.run([BINARY, "run", str(suite), "--out", str(out), "--device", "cpu"], check=True,
                   capture_output=True, timeout=300)
    res = tb.load(out)
    t, c = res.trials, res.curves
    assert set(t["strategy"]) == {"random", "asha"} and set(t["repetition"]) == {0, 1}
    assert set(zip(c["strategy"], c["repetition"])) == {(s, r) for s in ("random", "asha") for r in (0, 1)}
    assert "obj_valid_accuracy" in t and any(col.startswith("params_") for col in t)
    # one row per configuration; ASHA's rung evaluations in their own frame, each with its trial's strategy
    assert len(t) == len(set(zip(t["experiment"], t["id"])))
    r = res.rungs
    assert len(r) and set(r["strategy"]) <= {"random", "asha"} and set(r["trial"]) <= set(t["id"])
    assert "compute_units" in t and (t["compute_units"] > 0).all()


def test_bad_files_raise(tmp_path):
    with pytest.raises(tb.TunebenchError):
        tb.load(tmp_path / "missing.h5")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all" * 100)
    with pytest.raises(tb.TunebenchError):
        tb.load(junk)
