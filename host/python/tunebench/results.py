"""results.py: load("study.h5") -> Results, a results file (docs/results-format.md) as pandas DataFrames, read by
the C library's store reader (tb_h5.h: SWMR, so it works while a study is still writing it; call load() again
for newer rows). Tables: trials (one row per trial with an `experiment` column; parameters as `params_<name>` with
categorical labels, objectives `obj_<name>`), curves (with the trial's experiment, strategy and repetition),
pareto, lineage (PBT) and memory. Nothing is computed here beyond joining the tables the file holds.
Tested by tests/test_results.py.
"""
import ctypes as C
import math
import os

import numpy as np

from . import _lib
from ._lib import check, lib


def _strs(pp, n):
    return [pp[i].decode(errors="replace") for i in range(n)]


class _File:
    def __init__(self, path):
        self.h = C.c_void_p()
        check(lib.tb_h5_open_live(str(path).encode(), C.byref(self.h)))

    def close(self):
        if self.h:
            lib.tb_h5_close(self.h)
            self.h = C.c_void_p()

    def children(self, path):
        pp, n = _lib.c_char_pp(), C.c_size_t(0)
        check(lib.tb_h5_children(self.h, path.encode(), C.byref(pp), C.byref(n)))
        try:
            return _strs(pp, n.value)
        finally:
            lib.tb_h5_strs_free(pp, n.value)

    def attr_str(self, obj, name):
        p = C.c_void_p()
        check(lib.tb_h5_attr_read_str(self.h, obj.encode(), name.encode(), C.byref(p)))
        try:
            return C.string_at(p).decode(errors="replace")
        finally:
            _lib.libc.free(p)

    def attr_strs(self, obj, name):
        pp, n = _lib.c_char_pp(), C.c_size_t(0)
        check(lib.tb_h5_attr_read_strs(self.h, obj.encode(), name.encode(), C.byref(pp), C.byref(n)))
        try:
            return _strs(pp, n.value)
        finally:
            lib.tb_h5_strs_free(pp, n.value)

    def attr_f64(self, obj, name, max_n=64):
        out, n = (C.c_double * max_n)(), C.c_size_t(0)
        check(lib.tb_h5_attr_read_f64(self.h, obj.encode(), name.encode(), out, max_n, C.byref(n)))
        return [out[i] for i in range(min(n.value, max_n))]

    def table(self, path):
        """{column: numpy array} of the compound table at path (strings decoded)."""
        nc, cols, n = C.c_int(0), C.POINTER(_lib.H5Col)(), C.c_size_t(0)
        check(lib.tb_h5_table_columns(self.h, path.encode(), C.byref(nc), C.byref(cols), C.byref(n)))
        out = {}
        try:
            rows = n.value
            for c in range(nc.value):
                name, typ = cols[c].name.decode(), cols[c].type
                if typ == _lib.H5_STR:
                    buf = (C.c_char_p * (rows + 1))()
                    check(lib.tb_h5_table_read_col(self.h, path.encode(), name.encode(), typ, rows, buf))
                    vals = []
                    for r in range(rows):
                        p = C.cast(buf, C.POINTER(C.c_void_p))[r]
                        vals.append(C.string_at(p).decode(errors="replace") if p else "")
                        _lib.libc.free(p)
                    out[name] = np.array(vals, dtype=object)
                else:
                    dt = {_lib.H5_I64: np.int64, _lib.H5_U64: np.uint64}.get(typ, np.float64)
                    a = np.empty(rows + 1, dtype=dt)
                    check(lib.tb_h5_table_read_col(self.h, path.encode(), name.encode(), typ, rows,
                                                   a.ctypes.data_as(C.c_void_p)))
                    out[name] = a[:rows]
        finally:
            lib.tb_h5_cols_free(cols, nc.value)
        return out


class Results:
    """A results file as DataFrames: .trials (one row per configuration), .rungs (rung evaluations), .curves, .pareto,
    .lineage, .memory; .experiments (dict name ->
    attributes: learner, dataset, parameters, parameter_types, objectives, objective_directions) and .attrs (the
    file's attributes: suite_name, device, complete, ...)."""

    def __init__(self, path):
        import pandas as pd
        f = _File(path)
        try:
            if f.attr_str("/", "format") != "tunebench-results":
                raise _lib.TunebenchError(_lib.TB_ERR["FORMAT"], "malformed file", f"{path}: not a tunebench "
                                          "results file")
            self.attrs = {k: f.attr_str("/", k) for k in ("suite_name", "device", "card", "host")}
            self.attrs["complete"] = bool(f.attr_f64("/", "complete")[0] == 1)
            self.experiments = {}
            tables = {k: [] for k in ("trials", "rungs", "curves", "pareto", "lineage")}
            for e in f.children("/experiments"):
                g = f"/experiments/{e}"
                info = {k: f.attr_strs(g, k) for k in ("parameters", "parameter_types", "objectives",
                                                         "objective_directions")}
                info.update({k: f.attr_str(g, k) for k in ("learner", "dataset")})
                self.experiments[e] = info
                for name in tables:
                    cols = f.table(f"{g}/{name}")
                    df = pd.DataFrame(cols)
                    if name == "trials":
                        df = self._params(f, g, info, df)
                    df.insert(0, "experiment", e)
                    tables[name].append(df)
            for name, dfs in tables.items():
                setattr(self, name, pd.concat(dfs, ignore_index=True) if dfs else pd.DataFrame())
            self.memory = pd.DataFrame(f.table("/memory"))
        finally:
            f.close()
        if len(self.trials):  # curves and rung evaluations with their trial's strategy and repetition
            keys = self.trials[["experiment", "id", "strategy", "repetition"]].rename(columns={"id": "trial"})
            for name in ("curves", "rungs"):
                if len(getattr(self, name)):
                    setattr(self, name, getattr(self, name).merge(keys, on=["experiment", "trial"], how="left"))

    @staticmethod
    def _params(f, g, info, df):
        """param_<name> columns -> params_<name> with categorical labels (the file's choices_<name>)."""
        for name, typ in zip(info["parameters"], info["parameter_types"]):
            col = f"param_{name}"
            if col not in df:
                continue
            v = df.pop(col)
            if typ == "categorical":
                labels = f.attr_strs(f"{g}/trials", f"choices_{name}")
                v = [None if isinstance(x, float) and math.isnan(x) else labels[int(x)] for x in v]
            elif typ == "int":
                v = [None if math.isnan(x) else int(x) for x in v]
            df[f"params_{name}"] = v
        return df

    def __repr__(self):
        return f"Results({len(self.trials)} trials, experiments {list(self.experiments)})"


def load(path):
    """Reads a results file (also while a study writes it) into a Results of DataFrames."""
    # A reader's HDF5 file lock makes the writer's reopen at the study's end fail (HDF5 1.10 locks even SWMR
    # readers' opens): readers here do not lock. Set before the first open; HDF5 reads it at each open.
    os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
    return Results(path)
