"""Spaces: float/int with log and step, categoricals with any values, fixed, conditions; the library's checks and
messages; bad spaces raise TunebenchError and never crash the interpreter."""
import math

import numpy as np
import pytest

import tunebench as tb


def make():
    sp = tb.Space()
    sp.add_float("lr", 1e-4, 1, log=True).add_int("units", 8, 64, step=8).add_int("layers", 1, 4)
    sp.add_categorical("opt", ["sgd", "adam", None]).add_float("momentum", 0, 0.99).add_fixed("epochs", 10)
    sp.add_condition("momentum", "opt", ["sgd"])
    return sp


def test_roundtrip_and_conditions():
    sp = make()
    assert sp.names == ["lr", "units", "layers", "opt", "momentum", "epochs"]
    x = sp.from_dict({"lr": 0.01, "units": 16, "layers": 2, "opt": "sgd", "momentum": 0.5})
    assert sp.to_dict(x) == {"lr": 0.01, "units": 16, "layers": 2, "opt": "sgd", "momentum": 0.5, "epochs": 10.0}
    x = sp.from_dict({"lr": 0.01, "units": 16, "layers": 2, "opt": None})
    assert math.isnan(x[4]) and "momentum" not in sp.to_dict(x) and sp.to_dict(x)["opt"] is None
    assert sp.to_json(x)["opt"] == "None"


def test_library_messages():
    sp = make()
    with pytest.raises(ValueError, match="lr"):
        sp.from_dict({"lr": 5.0, "units": 16, "layers": 2, "opt": "adam"})
    with pytest.raises(ValueError, match="units"):
        sp.from_dict({"lr": 0.1, "units": 17, "layers": 2, "opt": "adam"})
    with pytest.raises(ValueError, match="momentum"):  # set while inactive
        sp.from_dict({"lr": 0.1, "units": 16, "layers": 2, "opt": "adam", "momentum": 0.3})
    with pytest.raises(ValueError, match="not one of"):
        sp.from_dict({"lr": 0.1, "units": 16, "layers": 2, "opt": "rmsprop"})
    assert "lr" in sp.check(np.array([2.0, 16, 2, 1, np.nan, 10]))


@pytest.mark.parametrize("build,match", [
    (lambda s: s.add_float("x", 1, 0), "empty range"),
    (lambda s: s.add_float("x", 0, 1, log=True), "log"),
    (lambda s: s.add_int("x", 0, 10, step=0), "step"),
    (lambda s: s.add_categorical("x", []), "choice"),
    (lambda s: s.add_float("x", 0, 1).add_float("x", 0, 2), "duplicate"),
    (lambda s: s.add_float("x", 0, 1).add_condition("x", "nope", [1]), "nope"),
])
def test_bad_space_raises(build, match):
    with pytest.raises(tb.TunebenchError, match=match) as e:
        build(tb.Space())
    assert e.value.code < 0 and e.value.detail


def test_condition_cycle_found_at_finalize():
    sp = tb.Space().add_categorical("a", ["x", "y"]).add_categorical("b", ["x", "y"])
    sp.add_condition("a", "b", ["x"]).add_condition("b", "a", ["x"])
    with pytest.raises(tb.TunebenchError, match="cycle"):
        sp.finalize()
