"""Every sampler of the library through ask(n)/tell: suggestions are valid configurations of the space, the model
based ones improve on a quadratic, add_observation warms a sampler up, bad names and options raise the library's
message, multi-objective NSGA-II takes one value per objective."""
import math

import numpy as np
import pytest

import tunebench as tb


def quad_space():
    return tb.Space().add_float("x", -5, 5).add_float("y", 1e-3, 10, log=True)


def f(p):
    return (p["x"] - 1) ** 2 + (math.log10(p["y"])) ** 2


def test_names():
    assert set(tb.sampler_names()) >= {"grid", "random", "sobol", "halton", "lhs", "tpe", "gp", "cmaes",
                                       "evolution", "nsga2"}


@pytest.mark.parametrize("name", ["random", "sobol", "halton", "lhs", "tpe", "gp", "cmaes", "evolution", "nsga2"])
def test_ask_tell_every_sampler(name):
    sp = quad_space()
    s = tb.Sampler(name, sp, seed=3, options={"n_startup": 8} if name in ("tpe", "gp") else None)
    assert s.name == name
    best, seen = math.inf, set()
    n = 40 if name == "gp" else 80
    for _ in range(n // 4):
        batch = s.ask(4)  # parallel trials: four pending at once
        assert len(batch) == 4
        for g in batch:
            assert g.id not in seen and sp.check(g.x) is None
            seen.add(g.id)
            v = f(g.params)
            best = min(best, v)
            s.tell(g.id, v)
    assert best < 0.5, f"{name}: best {best}"


def test_grid_is_exhausted():
    sp = tb.Space().add_categorical("a", ["p", "q"]).add_int("b", 1, 3)
    s = tb.Sampler("grid", sp)
    got = s.ask(10)
    assert sorted((g.params["a"], g.params["b"]) for g in got) == [(a, b) for a in "pq" for b in (1, 2, 3)]
    for g in got:
        s.tell(g.id, 0.0)
    assert s.ask(1) == []


def test_tpe_with_conditional_and_categorical_space():
    sp = tb.Space().add_categorical("kind", ["lin", "rbf"]).add_float("gamma", 1e-3, 1e3, log=True)
    sp.add_float("c", 0, 1).add_condition("gamma", "kind", ["rbf"])
    s = tb.Sampler("tpe", sp, seed=0)
    for _ in range(60):
        (g,) = s.ask(1)
        p = g.params
        assert ("gamma" in p) == (p["kind"] == "rbf")
        v = 1 + p["c"] if p["kind"] == "lin" else abs(math.log10(p["gamma"]) - 1) + p["c"]
        s.tell(g.id, v)
    assert p is not None


def test_add_observation_warm_start():
    sp = quad_space()
    cold, warm = tb.Sampler("tpe", sp, seed=5), tb.Sampler("tpe", sp, seed=5)
    for i in range(30):  # good points near the optimum, told without asking
        warm.add_observation({"x": 1 + 0.01 * i, "y": 1.0}, f({"x": 1 + 0.01 * i, "y": 1.0}))
    warm.add_observation({"x": 4.0, "y": 5.0}, math.nan, state="failed")
    dw = np.median([abs(g.params["x"] - 1) for g in warm.ask(16)])
    dc = np.median([abs(g.params["x"] - 1) for g in cold.ask(16)])
    assert dw < dc


def test_multi_objective_nsga2():
    sp = tb.Space().add_float("a", 0, 1).add_float("b", 0, 1)
    s = tb.Sampler("nsga2", sp, seed=1, directions=["minimize", "maximize"], options={"population_size": 8})
    for _ in range(6):
        for g in s.ask(8):
            s.tell(g.id, [g.params["a"], g.params["a"] - g.params["b"] ** 2])
    with pytest.raises(ValueError, match="2 objective"):
        s.tell(0, 1.0)


def test_errors_are_exceptions():
    sp = quad_space()
    with pytest.raises(tb.TunebenchError, match="unknown sampler 'tpee'"):
        tb.Sampler("tpee", sp)
    with pytest.raises(tb.TunebenchError, match="gamma"):
        tb.Sampler("tpe", sp, options={"gamma": "-1"})
    with pytest.raises(tb.TunebenchError, match="nope"):
        tb.Sampler("tpe", sp, options={"nope": "1"})
    cat = tb.Space().add_categorical("c", ["a", "b"]).add_float("x", 0, 1)
    with pytest.raises(tb.TunebenchError, match="categorical"):
        tb.Sampler("cmaes", cat)
    s = tb.Sampler("random", sp)
    with pytest.raises(tb.TunebenchError):
        s.tell(12345, 1.0)  # never asked
    with pytest.raises(ValueError):
        tb.Sampler("random", sp, directions="up")
