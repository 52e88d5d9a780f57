#!/usr/bin/python3
"""test_store_h5py.py FILE: reads a results file written by tests/test_store_h5py.c with h5py (no pandas) and checks
the layout of docs/results-format.md: study attributes, every table's dtype and the values the C side wrote.
Exit status 0 when all checks pass, 1 otherwise (the first failure is printed)."""
import math
import sys

import h5py
import numpy as np


def fx_u(i, k):
    m = (1 << 64) - 1
    x = (i * 0x9E3779B97F4A7C15 + k * 0xBF58476D1CE4E5B9 + 7) & m
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & m
    x ^= x >> 29
    return (x >> 11) / 9007199254740992.0


def main(path):
    with h5py.File(path, "r", libver="latest", swmr=True) as f:
        a = f.attrs
        assert a["format"] == "tunebench-results", a["format"]
        assert a["format_version"] == 2
        assert a["suite_name"] == "quick"
        assert a["suite_text"].startswith("suite: quick")
        assert list(a["seeds"]) == [1, 2, 3] and a["seeds"].dtype == np.uint64
        assert a["device"] == "cpu" and a["complete"] == 1
        assert sorted(f["experiments"].keys()) == ["mlp.fashion", "mlp.friedman"]
        g = f["experiments/mlp.fashion"]
        assert list(g.attrs["parameters"]) == ["lr", "units", "act", "drop", "bias"]
        assert list(g.attrs["parameter_types"]) == ["float", "int", "categorical", "float", "fixed"]
        assert list(g.attrs["objectives"]) == ["val_loss", "latency"]
        assert list(g.attrs["objective_directions"]) == ["minimize", "minimize"]
        t = g["trials"]
        assert t.chunks is not None and t.maxshape == (None,)
        assert list(t.attrs["choices_act"]) == ["relu", "tanh", "gelu"]
        d = t[...]
        names = d.dtype.names
        for col in ("id", "strategy", "repetition", "seed", "parent_id", "retry_of", "status", "param_lr",
                    "obj_val_loss", "obj_latency", "fidelity", "compute_units", "compute_seconds", "start_time", "end_time", "train_time", "peak_memory",
                    "latency_p50_b1", "latency_p99_b1", "latency_p50_b256", "latency_p99_b256", "n_params", "reason"):
            assert col in names, col
        assert d.dtype["id"] == np.int64 and d.dtype["seed"] == np.uint64 and d.dtype["param_lr"] == np.float64
        assert d.dtype["strategy"].kind == "S" and d.dtype["strategy"].itemsize == 32
        assert len(d) == 10
        for i, row in enumerate(d):
            assert row["id"] == i and row["seed"] == 1000 + i
            assert row["strategy"].decode() == ("tpe" if i % 2 else "random")
            st = ["complete", "pruned", "failed", "diverged", "oom"][i % 5]
            assert row["status"].decode() == st, (row["status"], st)
            assert row["obj_val_loss"] == fx_u(i, 10), (row["obj_val_loss"], fx_u(i, 10))
            assert row["peak_memory"] == 1000 * i + 1
            assert 0 <= row["param_act"] <= 2 and row["param_act"] == int(row["param_act"])
            assert math.isnan(row["param_drop"]) == (row["param_act"] == 0)
            assert row["reason"].decode() == ("loss is NaN at step 3" if i % 5 == 2 else "")
        rg = g["rungs"][...]  # one run per configuration here: one rung evaluation each, in end order
        assert list(rg.dtype.names) == ["trial", "rung", "fidelity", "value", "seconds", "status"]
        assert list(rg["trial"]) == list(range(10)) and not rg["rung"].any()
        assert [s.decode() for s in rg["status"]] == [["complete", "pruned", "failed", "diverged", "oom"][i % 5]
                                                     for i in range(10)]
        c = g["curves"][...]
        assert len(c) == 50 and c.dtype["step"] == np.int64
        assert np.array_equal(c["trial"], np.repeat(np.arange(10), 5))
        for r in c:
            assert r["train_loss"] == 1.0 / (r["step"] + 1 + fx_u(int(r["trial"]), 20))
        lin = g["lineage"][...]
        assert len(lin) == 1 and lin[0]["kind"] == b"exploit" and lin[0]["to_trial"] == 9
        assert lin[0]["new_params"].decode() == '{"lr": 0.012}'
        p = g["pareto"][...]
        assert list(p["trial"]) == [1, 4, 7] and all(p["hypervolume"] == 0.75)
        m = f["memory"][...]
        assert len(m) == 1 and m[0]["bytes"] == 123456789 and m[0]["device"] == b"cuda:0"
        assert len(f["experiments/mlp.friedman/trials"]) == 4
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except AssertionError as e:
        import traceback
        traceback.print_exc()
        print("FAILED:", e)
        sys.exit(1)
