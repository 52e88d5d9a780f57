"""Every scheduler of the library driven from Python as an executor would: next() -> new / resume / exploit jobs,
report() after each unit (stop decisions), finish(); promotions and PBT exploit/explore events. The 'training' is a
curve that falls towards the configuration's quality: f(x) + 1/fidelity."""
import math

import pytest

import tunebench as tb


def final(p):
    return (p["x"] - 0.3) ** 2


def drive(name, options=None, max_trials=27, R=27, sampler="random", max_budget=0):
    sp = tb.Space().add_float("x", 0, 1)
    smp = tb.Sampler(sampler, sp, seed=2)
    sch = tb.Scheduler(name, smp, min_fidelity=1, max_fidelity=R, max_trials=max_trials, seed=2, options=options,
                       max_budget=max_budget)
    params, reached, stops, kinds, events, trained = {}, {}, 0, [], [], 0
    for _ in range(10000):
        job = sch.next()
        kinds.append(job.kind)
        if job.kind == "done":
            break
        assert job.kind != "wait"  # one job at a time: nothing is ever running when we ask
        if job.kind in ("new", "exploit"):
            params[job.trial] = job.params
            reached[job.trial] = reached.get(job.source, 0) if job.kind == "exploit" else 0
        f0, state, v = reached[job.trial], "complete", math.nan
        step = f0
        while step < job.fidelity_to - 1e-9:
            step += 1
            trained += 1
            v = final(params[job.trial]) + 1.0 / step
            if sch.report(job.trial, step, v):
                stops += 1
                state = "pruned" if step < job.fidelity_to - 1e-9 else "complete"
                break
        reached[job.trial] = step
        sch.finish(job.trial, step, v, state)
        events += sch.events()
    else:
        pytest.fail(f"{name}: never done")
    return dict(kinds=kinds, events=events, stops=stops, reached=reached, params=params, trained=trained)


def test_names():
    assert set(tb.scheduler_names()) >= {"none", "early_stopping", "median", "sh", "hyperband", "asha", "bohb",
                                         "pbt"}


def test_none_trains_every_trial_fully():
    r = drive("none", max_trials=10)
    assert set(r["reached"].values()) == {27} and len(r["reached"]) == 10


def test_median_stops_some():
    r = drive("median", max_trials=30)
    assert len(r["reached"]) == 30 and r["stops"] > 0 and 27 in r["reached"].values()
    assert min(r["reached"].values()) < 27


@pytest.mark.parametrize("name", ["sh", "hyperband", "asha", "bohb"])
def test_rung_schedulers_promote(name):
    r = drive(name, options={"eta": 3}, max_trials=27 if name != "hyperband" else 0, R=27,
              max_budget=600 if name == "hyperband" else 0)
    assert "resume" in r["kinds"], f"{name}: no promotion"
    assert any(e.kind == "promote" for e in r["events"])
    assert max(r["reached"].values()) == 27 and min(r["reached"].values()) < 27
    assert r["trained"] < 27 * len(r["reached"])  # cheaper than training all fully


def test_pbt_exploit_and_explore():
    r = drive("pbt", options={"population": 6, "interval": 3}, max_trials=6, R=18)
    ex = [e for e in r["events"] if e.kind == "exploit"]
    assert ex and "exploit" in r["kinds"]
    e = ex[0]
    assert e.source != e.trial and set(e.old_params) == {"x"} and set(e.new_params) == {"x"}


def test_bad_scheduler_and_option():
    sp = tb.Space().add_float("x", 0, 1)
    smp = tb.Sampler("random", sp)
    with pytest.raises(tb.TunebenchError, match="unknown scheduler"):
        tb.Scheduler("hyperbnd", smp, max_fidelity=9)
    with pytest.raises(tb.TunebenchError, match="eta"):
        tb.Scheduler("asha", smp, max_fidelity=9, max_trials=9, options={"eta": "0.5"})
    sch = tb.Scheduler("asha", smp, max_fidelity=9, max_trials=9)
    with pytest.raises(tb.TunebenchError):
        sch.report(999, 1, 0.5)  # no such trial
