"""Bad input from Python never crashes the interpreter: every malformed space, option, call order or file raises
(TunebenchError with the library's message, or ValueError for what Python checks before calling it)."""
import pytest

import tunebench as tb


def finalized():
    sp = tb.Space().add_float("x", 0, 1)
    return sp.finalize()


@pytest.mark.parametrize("call,exc,match", [
    (lambda: tb.Sampler("tpe", tb.Space()).ask(1), tb.TunebenchError, "no parameters"),
    (lambda: tb.Space().add_categorical("c", list(range(100))), tb.TunebenchError, "at most 64"),
    (lambda: tb.Space().add_float("x" * 100, 0, 1), tb.TunebenchError, "longer than 63"),
    (lambda: tb.Space().add_int("p", 0, 40).add_float("c", 0, 1).add_condition("c", "p", list(range(17))),
     tb.TunebenchError, "17 values"),
    (lambda: finalized().add_float("y", 0, 1), tb.TunebenchError, "finalized"),
    (lambda: tb.Space().add_float("x", float("nan"), 1), tb.TunebenchError, "non-finite"),
    (lambda: tb.Space().add_int("i", 0, 10, log=True), tb.TunebenchError, "log"),
    (lambda: tb.Sampler("random", finalized()).ask(0), ValueError, "n must be"),
    (lambda: tb.Sampler("random", finalized()).tell(-1, 1.0), tb.TunebenchError, "unknown trial -1"),
    (lambda: tb.Sampler("random", finalized()).tell(0, 1.0, state="weird"), ValueError, "weird"),
    (lambda: tb.Scheduler("asha", tb.Sampler("random", finalized()), min_fidelity=10, max_fidelity=1,
                          max_trials=5), tb.TunebenchError, "min_fidelity"),
    (lambda: tb.optimize(lambda t: 1.0, finalized(), n_trials=2, jobs=10**6), tb.TunebenchError, "n_workers"),
    (lambda: tb.load("/"), tb.TunebenchError, "HDF5"),
])
def test_raises(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_complete_needs_a_value():
    s = tb.Sampler("random", finalized())
    (g,) = s.ask(1)
    with pytest.raises(tb.TunebenchError, match="nan"):
        s.tell(g.id, float("nan"))
    s.tell(g.id, float("nan"), state="failed")  # a failed trial has none
