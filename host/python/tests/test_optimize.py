"""tunebench.optimize(): a Python objective under the library's executor: samplers x schedulers with intermediate
values, parallel jobs, multi-objective Pareto fronts, failures recorded with the exception's text, bad settings
raised as exceptions (never a crash), a results file written while it runs."""
import math
import threading

import pytest

import tunebench as tb


def space():
    return tb.Space().add_float("x", -1, 1).add_float("lr", 1e-4, 1, log=True).add_categorical("act", ["a", "b"])


def curve_objective(trial):
    p = trial.params
    target = (p["x"] - 0.3) ** 2 + (math.log10(p["lr"]) + 2) ** 2 + (0.5 if p["act"] == "a" else 0)
    step = trial.fidelity_from
    while step < trial.fidelity_to:
        step += 1
        if trial.report(target + 1.0 / step, step):
            raise tb.TrialPruned()
    return target + 1.0 / step


@pytest.mark.parametrize("sampler,scheduler", [("tpe", "median"), ("random", "asha"), ("gp", "none"),
                                               ("tpe", "hyperband"), ("evolution", "sh"), ("random", "bohb")])
def test_samplers_and_schedulers(sampler, scheduler):
    r = tb.optimize(curve_objective, space(), sampler=sampler, scheduler=scheduler, n_trials=30, jobs=2,
                    min_fidelity=1, max_fidelity=9, seed=4, max_budget=400 if scheduler == "hyperband" else 0,
                    sampler_options={"n_startup": 8} if sampler == "gp" else None)
    states = [t.state for t in r.trials]
    assert states.count("complete") >= 3
    if scheduler in ("median", "asha", "hyperband", "sh", "bohb"):
        assert min(t.fidelity for t in r.trials) < 9  # something was stopped early
    assert r.best_trial.state == "complete" and r.best_value < 1.5
    df = r.trials_dataframe()
    assert {"params_x", "params_lr", "params_act", "value", "state"} <= set(df.columns)


def test_parallel_jobs_really_overlap():
    active, peak, lock = [0], [0], threading.Lock()

    def slow(trial):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        threading.Event().wait(0.05)
        with lock:
            active[0] -= 1
        return trial.params["x"] ** 2

    r = tb.optimize(slow, space(), sampler="random", n_trials=12, jobs=3, seed=1)
    assert len(r.trials) == 12 and peak[0] >= 2


def test_multi_objective_pareto():
    def two(trial):
        x = trial.params["x"]
        return [x * x, (x - 1) ** 2]

    r = tb.optimize(two, space(), sampler="nsga2", n_trials=40, directions=["minimize", "minimize"], seed=2,
                    metric_names=["f1", "f2"])
    assert len(r.pareto_front) >= 3 and r.hypervolume > 0
    for a in r.pareto_front:  # no front member dominates another
        assert not any(b.values[0] <= a.values[0] and b.values[1] <= a.values[1] and b.values != a.values
                       for b in r.pareto_front)


def test_failures_are_recorded_and_the_study_goes_on():
    def sometimes(trial):
        if trial.number % 3 == 0:
            raise RuntimeError(f"boom {trial.number}")
        if trial.number % 3 == 1:
            return float("nan")
        return trial.params["x"]

    r = tb.optimize(sometimes, space(), sampler="tpe", n_trials=9, seed=3)
    states = {t.number: t.state for t in r.trials}
    assert [states[i] for i in (0, 1, 2)] == ["failed", "diverged", "complete"]
    assert "RuntimeError: boom 0" in r.trials[0].reason


def test_bad_settings_raise():
    with pytest.raises(tb.TunebenchError, match="unknown sampler"):
        tb.optimize(curve_objective, space(), sampler="tpee", n_trials=2)
    with pytest.raises(tb.TunebenchError, match="scheduler"):
        tb.optimize(curve_objective, space(), scheduler="nope", n_trials=2)
    with pytest.raises(tb.TunebenchError):
        tb.optimize(curve_objective, space(), n_trials=2, jobs=0)
    with pytest.raises(tb.TunebenchError, match="option"):
        tb.optimize(curve_objective, space(), sampler="tpe", sampler_options={"gamma": "x"}, n_trials=2)
    with pytest.raises(ValueError):
        tb.optimize(curve_objective, space(), n_trials=2, directions=["minimize"], metric_names=["a", "b"])


def test_wrong_number_of_values_fails_the_trial():
    r = tb.optimize(lambda t: [1.0, 2.0], space(), n_trials=2)
    assert all(t.state == "failed" and "2 value" in t.reason for t in r.trials)
