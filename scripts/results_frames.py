#!/usr/bin/python3
"""results_frames.py: a tunebench results file (FILE.h5, docs/results-format.md) as pandas DataFrames, for your own
analysis. `frames(path)` returns {experiment name: {"trials": ..., "rungs": ..., "curves": ..., "lineage": ...,
"pareto": ...}} (tables absent from the file are left out). trials: one row per configuration (its status, fidelity
reached, compute_units and compute_seconds as the file holds them) with categorical parameters (fixed ones too,
when the file labels them) as their labels, an inactive parameter as None; rungs and curves: with the `strategy`
and `repetition` of their trial. String columns are str, seeds Python ints.
    import sys; sys.path.insert(0, "scripts"); import results_frames as R
    d = R.frames("study.h5")["mlp.fmnist6k"]["trials"]
    d[d.status == "complete"].groupby("strategy").compute_units.sum()
Run as a script (`results_frames.py FILE.h5`) it prints each table's shape. Needs /usr/bin/python3 with
python3-pandas (scripts/setup). Not here: statistics (report_compare.py). Tested by scripts/report_selftest.py.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import report_load as RL  # noqa: E402


def _frame(arr):
    d = {}
    for name in arr.dtype.names:
        col = arr[name]
        if col.dtype.kind == "S":
            d[name] = [RL.text(v) for v in col]
        elif col.dtype.kind == "u":
            d[name] = [int(v) for v in col]  # u64 seeds: Python ints (a float64 column would round them)
        else:
            d[name] = col
    return pd.DataFrame(d)


def experiment_frames(e):
    """The DataFrames of one report_load.Experiment."""
    out = {}
    if e.trials is not None:
        t = _frame(e.trials)
        for p in e.params:
            c = "param_" + p
            if c in t and p in e.choices:
                labels = e.choices[p]
                t[c] = [labels[int(v)] if isinstance(v, float) and math.isfinite(v) and 0 <= int(v) < len(labels)
                        else None for v in t[c].astype(float)]
        out["trials"] = t
    for name in ("rungs", "curves"):
        arr = getattr(e, name)
        if arr is None:
            continue
        c = _frame(arr)
        if e.trials is not None:
            who = dict(zip(e.trials["id"].tolist(), zip(e.strategy(), e.trials["repetition"].tolist())))
            c["strategy"] = [who.get(int(i), ("", -1))[0] for i in c["trial"]]
            c["repetition"] = np.array([who.get(int(i), ("", -1))[1] for i in c["trial"]], dtype=np.int64)
        out[name] = c
    for name in ("lineage", "pareto"):
        arr = getattr(e, name)
        if arr is not None:
            out[name] = _frame(arr)
    return out


def frames(path):
    """{experiment: {table: DataFrame}} of the results file at path (raises report_load.ReportInputError when it is
    not one)."""
    return {e.name: experiment_frames(e) for e in RL.load(path).experiments}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: results_frames.py FILE.h5", file=sys.stderr)
        sys.exit(2)
    try:
        fr = frames(sys.argv[1])
    except RL.ReportInputError as ex:
        print("results_frames: %s" % ex, file=sys.stderr)
        sys.exit(2)
    for name, tables in fr.items():
        for k, df in tables.items():
            print("%s %s: %d rows x %d columns" % (name, k, df.shape[0], df.shape[1]))
