"""The Optuna adapters inside real Optuna studies (Debian's python3-optuna): TunebenchSampler with TPE, GP-BO,
CMA-ES, QMC (sobol) and NSGA-II on a conditional space with categoricals, multi-objective, a study resumed from
RDB storage; TunebenchPruner with median, sh, hyperband and asha (prunes at the scheduler's decisions, rung
schedulers at rung fidelities only), also with parallel Optuna workers."""
import math

import optuna
import pytest

import tunebench as tb
from tunebench.optuna import TunebenchPruner, TunebenchSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)


def conditional(trial):
    kind = trial.suggest_categorical("kind", ["lin", "rbf", "poly"])
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 8)
    v = (x - 1) ** 2 + 0.1 * abs(n - 4)
    if kind == "rbf":
        g = trial.suggest_float("gamma", 1e-3, 1e3, log=True)
        v += abs(math.log10(g))
    elif kind == "poly":
        v += 0.5 + trial.suggest_int("degree", 2, 5) * 0.1
    return v


@pytest.mark.parametrize("method", ["tpe", "gp", "cmaes", "sobol", "nsga2"])
def test_sampler_in_optuna_conditional_space(method):
    opts = {"n_startup": 10} if method in ("tpe", "gp") else None
    sampler = TunebenchSampler(method, seed=1, options=opts)
    study = optuna.create_study(sampler=sampler)
    study.optimize(conditional, n_trials=40 if method != "gp" else 30)
    trials = study.trials
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    for t in trials:
        assert ("gamma" in t.params) == (t.params["kind"] == "rbf")
        assert ("degree" in t.params) == (t.params["kind"] == "poly")
        assert isinstance(t.params["n"], int) and -5 <= t.params["x"] <= 5
    # the library's sampler made the relative suggestions (x, n and, except for cmaes, kind)
    m = sampler._model
    assert m is not None and {"x", "n"} <= set(m.dists) and len(m.seen) >= 20
    if method in ("tpe", "gp", "cmaes"):
        assert study.best_value < 1.0, study.best_value


def test_model_based_methods_beat_random_search():
    def quad(trial):
        return sum((trial.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(3))

    best = {}
    for method in ("random", "tpe", "gp"):
        vals = []
        for seed in range(3):
            s = optuna.create_study(sampler=TunebenchSampler(method, seed=seed, options=None))
            s.optimize(quad, n_trials=40 if method == "gp" else 60)
            vals.append(s.best_value)
        best[method] = sorted(vals)[1]
    assert best["tpe"] < best["random"] and best["gp"] < best["random"], best


def test_multi_objective_nsga2():
    def two(trial):
        a, b = trial.suggest_float("a", 0, 1), trial.suggest_float("b", 0, 1)
        c = trial.suggest_categorical("c", [0.0, 0.5])
        return a + c, (1 - a) ** 2 + b

    sampler = TunebenchSampler("nsga2", seed=2, options={"population_size": 10})
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(two, n_trials=50)
    front = study.best_trials
    assert len(front) >= 3
    assert sampler._model.sampler.n_objectives == 2 and len(sampler._model.seen) >= 40
    # on the front, b and c are (near) 0: the library's NSGA-II found the trade-off curve
    assert sorted(t.params["c"] for t in front)[len(front) // 2] == 0.0


def test_resumed_from_storage(tmp_path):
    url = f"sqlite:///{tmp_path}/study.db"

    def quad(trial):
        return (trial.suggest_float("x", -10, 10) - 3) ** 2 + (trial.suggest_int("k", 0, 20) - 7) ** 2

    s1 = optuna.create_study(study_name="s", storage=url, sampler=TunebenchSampler("tpe", seed=1))
    s1.optimize(quad, n_trials=25)
    first_best = s1.best_value
    # a new process would do this: a fresh sampler object, the study loaded from storage
    sampler = TunebenchSampler("tpe", seed=2)
    s2 = optuna.load_study(study_name="s", storage=url, sampler=sampler)
    s2.enqueue_trial({"x": 3.0, "k": 7})  # an enqueued trial is an observation too
    s2.optimize(quad, n_trials=15)
    assert len(s2.trials) == 40
    assert len(sampler._model.seen) >= 25  # the 25 earlier trials were added before its first ask
    assert s2.best_value == 0.0 and first_best > 0


def curve_study(pruner, n_trials=40, n_jobs=1, direction="minimize"):
    steps = {}

    def obj(trial):
        x = trial.suggest_float("x", -3, 3)
        v = x * x if direction == "minimize" else -x * x
        for step in range(1, 28):
            trial.report(v + (1 if direction == "minimize" else -1) / step, step)
            steps[trial.number] = step
            if trial.should_prune():
                raise optuna.TrialPruned()
        return v

    study = optuna.create_study(direction=direction, sampler=TunebenchSampler("random", seed=3), pruner=pruner)
    study.optimize(obj, n_trials=n_trials, n_jobs=n_jobs)
    pruned = [steps[t.number] for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete = [steps[t.number] for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return study, pruned, complete


def test_pruner_median():
    study, pruned, complete = curve_study(TunebenchPruner("median", 1, 27, options={"n_startup_trials": 5}))
    assert pruned and complete and all(s == 27 for s in complete)
    first = sorted(study.trials, key=lambda t: t.number)[:5]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in first)  # n_startup trials never pruned
    # the pruned ones were worse than the complete ones' median at the end
    best_pruned = min(t.intermediate_values[max(t.intermediate_values)] - 1 / max(t.intermediate_values)
                      for t in study.trials if t.state == optuna.trial.TrialState.PRUNED)
    assert best_pruned > min(t.value for t in study.trials if t.value is not None)


@pytest.mark.parametrize("name", ["asha", "sh", "hyperband"])
def test_pruner_rung_schedulers(name):
    study, pruned, complete = curve_study(TunebenchPruner(name, 1, 27, options={"eta": 3}), n_trials=45)
    assert pruned, name
    rungs = {1, 3, 9} if name != "hyperband" else {1, 3, 9}
    assert set(pruned) <= rungs, f"{name} pruned off the rungs: {sorted(set(pruned))}"
    assert all(s == 27 for s in complete)
    if name == "asha":
        assert len(complete) >= 1 and len(pruned) > len(complete)


def test_pruner_maximize_and_parallel_workers():
    study, pruned, complete = curve_study(TunebenchPruner("asha", 1, 27), n_jobs=2, direction="maximize")
    assert len(study.trials) == 40 and pruned and set(pruned) <= {1, 3, 9}


def test_bad_names():
    with pytest.raises(ValueError, match="tpe"):
        TunebenchSampler("tpee")
    with pytest.raises(ValueError, match="median"):
        TunebenchPruner("pbt")
    with pytest.raises(tb.TunebenchError, match="eta"):
        TunebenchPruner("asha", 1, 27, options={"eta": 0.5})
    with pytest.raises(tb.TunebenchError, match="n_startup_trials"):
        TunebenchPruner("median", 1, 27, options={"n_startup": 5})


def test_pruner_early_stopping_on_a_plateau():
    def plateau(trial):
        x = trial.suggest_float("x", 0, 1)
        for step in range(1, 28):
            trial.report(x + 1.0 / min(step, 5), step)  # improves until step 5, then flat
            if trial.should_prune():
                raise optuna.TrialPruned()
        return x

    study = optuna.create_study(sampler=TunebenchSampler("random", seed=4),
                                pruner=TunebenchPruner("early_stopping", 1, 27, options={"patience": 3}))
    study.optimize(plateau, n_trials=5)
    assert all(t.state == optuna.trial.TrialState.PRUNED and max(t.intermediate_values) == 8 for t in study.trials)
