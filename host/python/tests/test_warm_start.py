"""Warm starts from Python: Sampler.enqueue (first, in order), optimize(initial=...) evaluates them as trials
0..k-1, optimize(warm_start=...) tells earlier trials (a results file or a list) to the sampler before it asks:
TPE's first own suggestions then sit near the earlier optimum. Bad configurations raise."""
import statistics

import pytest

import tunebench as tb


def space():
    return tb.Space().add_float("x", -5, 5).add_categorical("c", ["a", "b", "z"])


def f(trial):
    return (trial.params["x"] - 2) ** 2 + (trial.params["c"] != "z")


def test_sampler_enqueue():
    s = tb.Sampler("tpe", space(), seed=1)
    s.enqueue({"x": 1.5, "c": "z"})
    s.enqueue({"x": -3.0, "c": "a"})
    got = s.ask(3)
    assert [g.params for g in got[:2]] == [{"x": 1.5, "c": "z"}, {"x": -3.0, "c": "a"}]
    with pytest.raises(ValueError, match="x"):
        s.enqueue({"x": 9.0, "c": "a"})


def test_initial_then_warm_start_from_a_file(tmp_path):
    first = tmp_path / "first.h5"
    init = [{"x": -4.0, "c": "a"}, {"x": 4.5, "c": "b"}]
    r1 = tb.optimize(f, space(), sampler="tpe", n_trials=40, seed=1, storage=first, initial=init)
    assert [t.params for t in r1.trials[:2]] == init
    cold = tb.optimize(f, space(), sampler="tpe", n_trials=8, seed=2)
    warm = tb.optimize(f, space(), sampler="tpe", n_trials=8, seed=2, warm_start=first)
    d_cold = statistics.median(abs(t.params["x"] - 2) for t in cold.trials)
    d_warm = statistics.median(abs(t.params["x"] - 2) for t in warm.trials)
    assert d_warm < d_cold and d_warm < 1.0, (d_cold, d_warm)
    assert [t.number for t in warm.trials] == list(range(8))  # ids are the new study's own


def test_warm_start_list_and_errors():
    rows = [({"x": -5 + 0.5 * i, "c": "z"}, (-5 + 0.5 * i - 2) ** 2) for i in range(20)]
    rows.append(({"x": 0.0, "c": "a"}, float("nan"), "failed"))
    r = tb.optimize(f, space(), sampler="tpe", n_trials=6, seed=3, warm_start=rows)
    assert statistics.median(abs(t.params["x"] - 2) for t in r.trials) < 1.0
    with pytest.raises(ValueError):
        tb.optimize(f, space(), n_trials=2, initial=[{"x": 11.0, "c": "a"}])
    with pytest.raises(ValueError, match="no column"):
        tb.optimize(f, tb.Space().add_float("y", 0, 1), n_trials=2, warm_start=_results_of_other(rows))


def _results_of_other(rows):
    import os
    import tempfile
    d = tempfile.mkdtemp()
    p = os.path.join(d, "o.h5")
    tb.optimize(f, space(), n_trials=3, storage=p)
    return tb.load(p)
