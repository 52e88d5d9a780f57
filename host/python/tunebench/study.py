"""study.py: optimize(), a Python objective tuned by the C library's study executor (tb_study.h): the library's
worker threads call the objective (through a ctypes callback; `jobs` of them at once, each holding the GIL while in
Python), its sampler and scheduler decide, and, with storage="FILE.h5", its results store records every trial.
The objective gets a Trial: .params, .number, .seed, .report(value, step) (True: the scheduler stops the trial;
raise TrialPruned or return), and returns a float or one float per objective. An exception fails that trial (its
text is the trial's reason) and the study goes on. Tested by tests/test_optimize.py.
"""
import ctypes as C
import math
import time
import traceback

import numpy as np

from . import _lib
from ._lib import TunebenchError, check, lib
from .sampler import _directions, _seed


class TrialPruned(Exception):
    """Raise it (or just return) after Trial.report() returned True."""


class Trial:
    """The job a worker runs: .number (trial id), .params, .seed, .fidelity_from / .fidelity_to (the budget a
    scheduler gives this job), .report(value, step)."""

    def __init__(self, call, space):
        self._call = call
        self.number = lib.tb_objective_call_trial(call)
        self.seed = lib.tb_objective_call_seed(call)
        self.fidelity_from = lib.tb_objective_call_fidelity_from(call)
        self.fidelity_to = lib.tb_objective_call_fidelity_to(call)
        x = np.ctypeslib.as_array(lib.tb_objective_call_x(call), shape=(space.dim,)).copy()
        self.params = space.to_dict(x)
        self.should_prune = False

    def report(self, value, step):
        """Intermediate value at fidelity `step` (increasing); True when the trial must stop now."""
        self.should_prune = bool(lib.tb_objective_report(self._call, float(step), float(value)))
        return self.should_prune


_STATUS = ["complete", "pruned", "failed", "diverged", "oom", "interrupted"]


class FrozenTrial:
    __slots__ = ("number", "params", "values", "state", "fidelity", "seed", "reason", "duration")

    def __init__(self, t, space, n_obj):
        self.number = t.id
        x = np.ctypeslib.as_array(t.x, shape=(space.dim,)).copy()
        self.params = space.to_dict(x)
        self.values = [t.values[i] for i in range(n_obj)]
        self.state = _STATUS[t.status] if 0 <= t.status < len(_STATUS) else str(t.status)
        self.fidelity, self.seed, self.duration = t.fidelity, t.seed, t.train_time_s
        self.reason = t.reason.decode(errors="replace") if t.reason else ""

    @property
    def value(self):
        return self.values[0]

    def __repr__(self):
        return f"FrozenTrial({self.number}, {self.state}, values={self.values}, params={self.params})"


class StudyResult:
    """What optimize() returns: .trials (FrozenTrial in id order), .best_trial, .best_params, .best_value,
    .pareto_front (multi-objective: trials on the front; .hypervolume), .trials_dataframe()."""

    def __init__(self, trials, best, front, hypervolume, directions, storage):
        self.trials, self._best, self.pareto_front, self.hypervolume = trials, best, front, hypervolume
        self.directions, self.storage = directions, storage

    @property
    def best_trial(self):
        if self._best is None:
            raise ValueError("no trial completed")
        return self._best

    @property
    def best_params(self):
        return self.best_trial.params

    @property
    def best_value(self):
        return self.best_trial.value

    def trials_dataframe(self):
        import pandas as pd
        rows = []
        for t in self.trials:
            r = {"number": t.number, "state": t.state, "fidelity": t.fidelity, "seed": t.seed, "reason": t.reason}
            for i, v in enumerate(t.values):
                r["value" if len(t.values) == 1 else f"values_{i}"] = v
            r.update({f"params_{k}": v for k, v in t.params.items()})
            rows.append(r)
        return pd.DataFrame(rows)


def optimize(objective, space, sampler="tpe", scheduler="none", n_trials=100, jobs=1, directions="minimize",
             seed=0, min_fidelity=1, max_fidelity=1, max_budget=0, sampler_options=None, scheduler_options=None,
             metric_names=None, storage=None, timeout=0, force=False, initial=None, warm_start=None):
    """Runs objective(trial) under the library's study executor; returns a StudyResult.
    directions: "minimize", "maximize" or one per objective (the objective then returns that many floats).
    storage: a results file (FILE.h5 + FILE.h5.journal, docs/results-format.md) written while it runs;
    tunebench.load(storage) reads it. force: replace an existing one.
    initial: configurations (dicts) evaluated first, in order. warm_start: earlier trials told to the sampler
    before it asks: a results file (or tunebench.load's Results) whose trials have this space's parameters and
    objectives (`obj_<metric name>`), or a list of (params, values[, state]) tuples."""
    maximize = _directions(directions)
    n_obj = len(maximize)
    metric_names = list(metric_names) if metric_names else (["value"] if n_obj == 1 else
                                                              [f"value{i}" for i in range(n_obj)])
    if len(metric_names) != n_obj:
        raise ValueError(f"{n_obj} directions but {len(metric_names)} metric names")
    errors = []

    def call(ctx, c):
        try:
            trial = Trial(c, space)
            r = objective(trial)
            if r is None:
                if trial.should_prune:
                    return 0
                raise ValueError("the objective returned None (return a float, or raise TrialPruned)")
            vals = np.atleast_1d(np.asarray(r, dtype=np.float64))
            if vals.size != n_obj:
                raise ValueError(f"the objective returned {vals.size} value(s), the study has {n_obj} objective(s)")
            for i, v in enumerate(vals):
                check(lib.tb_objective_call_set(c, i, float(v)))
            if any(not math.isfinite(v) for v in vals):
                return _lib.set_error(_lib.TB_ERR["RANGE"], f"the objective returned {list(vals)}")
            return 0
        except TrialPruned:
            return 0
        except KeyboardInterrupt:
            errors.append("interrupted")
            lib.tb_study_request_stop(study_h)
            return _lib.set_error(_lib.TB_ERR["INTERRUPTED"], "interrupted")
        except BaseException as e:  # the trial fails with this reason; the study goes on
            msg = "".join(traceback.format_exception_only(type(e), e)).strip()
            return _lib.set_error(_lib.TB_ERR["INVALID"], msg)

    cb = _lib.OBJECTIVE_FN(call)
    names_arr = _lib.cstrs(metric_names)
    obj = C.c_void_p()
    check(lib.tb_objective_callback(space.handle, n_obj, names_arr, cb, None, C.byref(obj)))
    study_h = C.c_void_p()
    store = C.c_void_p()
    keep = []
    try:
        p = lib.tb_study_params_default()
        keep += [sampler.encode(), scheduler.encode()]
        p.sampler, p.scheduler = keep[-2], keep[-1]
        for opts, prefix in ((sampler_options, "sampler"), (scheduler_options, "scheduler")):
            opts = {str(k): str(v) for k, v in (opts or {}).items()}
            na, va = _lib.cstrs(list(opts)), _lib.cstrs(list(opts.values()))
            keep += [na, va]
            setattr(p, f"n_{prefix}_options", len(opts))
            setattr(p, f"{prefix}_option_names", na)
            setattr(p, f"{prefix}_option_values", va)
        p.n_trials, p.max_budget = int(n_trials), float(max_budget)
        p.min_fidelity, p.max_fidelity = float(min_fidelity), float(max_fidelity)
        p.seed, p.n_workers, p.threads_per_trial = _seed(seed), int(jobs), 1
        p.n_objectives = n_obj
        for i, m in enumerate(maximize):
            p.maximize[i] = m
            p.objectives[i] = names_arr[i]
        p.max_wall_s = float(timeout)
        init, warm = _warm_arrays(space, initial, warm_start, metric_names)
        keep += [init, warm]
        if init is not None:
            p.n_initial, p.initial = len(init), init.ctypes.data_as(_lib.c_double_p)
        if warm is not None:
            wx, wv, ws = warm
            p.n_warm, p.warm_x, p.warm_values = len(wx), wx.ctypes.data_as(_lib.c_double_p), \
                wv.ctypes.data_as(_lib.c_double_p)
            p.warm_status = ws.ctypes.data_as(C.POINTER(C.c_int))
        msg = lib.tb_study_check_params(C.byref(p))
        if msg:
            raise TunebenchError(_lib.TB_ERR["INVALID"], "invalid argument", msg.decode())
        check(lib.tb_study_create(obj, C.byref(p), C.byref(study_h)))
        if storage:
            st = _lib.StoreStudy()
            st.suite_name, st.suite_text = b"python", b"tunebench.optimize()"
            seeds = (C.c_uint64 * 1)(p.seed)
            st.n_seeds, st.seeds, st.device, st.card = 1, seeds, b"cpu", b""
            opts = lib.tb_store_options_default()
            opts.force = int(bool(force))
            keep.append(seeds)
            check(lib.tb_store_create(str(storage).encode(), C.byref(st), C.byref(opts), C.byref(store)))
            exp = _lib.StoreExperiment()
            lib.tb_study_describe_experiment(study_h, C.byref(exp))
            exp.name, exp.learner, exp.dataset = b"python", b"python", b""
            idx = C.c_int(0)
            check(lib.tb_store_add_experiment(store, C.byref(exp), C.byref(idx)))
            check(lib.tb_study_attach_store(study_h, store, idx.value))
        t0 = time.time()
        check(lib.tb_study_run(study_h, None))
        if store:
            check(lib.tb_store_study_end(store, 0.0, int(not lib.tb_study_stopped(study_h))))
            rc, store = lib.tb_store_close(store), C.c_void_p()
            check(rc)
        del t0
        if errors:
            raise KeyboardInterrupt
        n = lib.tb_study_n_trials(study_h)
        trials = [FrozenTrial(lib.tb_study_get_trial(study_h, i).contents, space, n_obj) for i in range(n)]
        by_id = {t.number: t for t in trials}
        b = lib.tb_study_best(study_h)
        best = by_id.get(b) if b >= 0 else None
        front, hv = [], float("nan")
        if n:
            ids = (C.c_int64 * n)()
            nf, hvv, ref = C.c_size_t(0), C.c_double(0), (C.c_double * _lib.MAX_OBJECTIVES)()
            if lib.tb_study_pareto(study_h, ids, C.byref(nf), C.byref(hvv), ref) == 0:
                front, hv = [by_id[ids[i]] for i in range(nf.value) if ids[i] in by_id], hvv.value
        return StudyResult(trials, best, front, hv, directions, storage)
    finally:
        if store:
            lib.tb_store_close(store)
        lib.tb_study_free(study_h)
        lib.tb_objective_free(obj)
        del cb


def _warm_arrays(space, initial, warm_start, metric_names):
    """initial -> (k, dim) array; warm_start -> (x (n, dim), values (n, n_obj), status (n,) int32) or None."""
    init = None
    if initial:
        init = np.ascontiguousarray(np.stack([space.from_dict(c) for c in initial]), dtype=np.float64)
    if warm_start is None:
        return init, None
    rows = warm_start
    if not isinstance(warm_start, (list, tuple)):
        from .results import Results, load
        res = warm_start if isinstance(warm_start, Results) else load(warm_start)
        t = res.trials
        cols = [f"obj_{m}" for m in metric_names]
        missing = [c for c in cols + [f"params_{n}" for n in space.names] if c not in t]
        if missing:
            raise ValueError(f"warm_start: the results file has no column(s) {', '.join(missing)}")
        rows = []
        for _, r in t[t["status"].isin(["complete", "pruned", "failed"])].iterrows():
            params = {n: r[f"params_{n}"] for n in space.names
                      if r[f"params_{n}"] is not None and not (isinstance(r[f"params_{n}"], float)
                                                                and math.isnan(r[f"params_{n}"]))}
            rows.append((params, [r[c] for c in cols], r["status"]))
    xs, vs, ss = [], [], []
    for row in rows:
        params, values = row[0], row[1]
        state = row[2] if len(row) > 2 else "complete"
        xs.append(space.from_dict(params))
        vs.append(np.atleast_1d(np.asarray(values, dtype=np.float64)))
        ss.append(_lib.state_code(state))
    if not xs:
        return init, None
    return init, (np.ascontiguousarray(np.stack(xs)), np.ascontiguousarray(np.stack(vs)),
                  np.ascontiguousarray(np.array(ss, dtype=np.int32)))