"""sampler.py: Sampler, one of the C library's samplers (tb_sampler.h: grid, random, sobol, halton, lhs, tpe, gp,
cmaes, evolution, nsga2) with ask(n)/tell and add_observation (warm starts: trials it did not suggest). Values are
given in the user's direction (directions=["minimize"|"maximize", ...]). Options are the sampler's name=value
options of docs/samplers.md, checked by the library. Tested by tests/test_sampler.py.
"""
import ctypes as C
import os

import numpy as np

from . import _lib
from ._lib import check, lib


def sampler_names():
    return _lib.names(lib.tb_sampler_names())


def _directions(directions):
    if isinstance(directions, str):
        directions = [directions]
    out = []
    for d in directions:
        if d not in ("minimize", "maximize"):
            raise ValueError(f"direction {d!r}: use 'minimize' or 'maximize'")
        out.append(1 if d == "maximize" else 0)
    if not 1 <= len(out) <= _lib.MAX_OBJECTIVES:
        raise ValueError(f"1..{_lib.MAX_OBJECTIVES} objectives, not {len(out)}")
    return out


def _seed(seed):
    return int.from_bytes(os.urandom(8), "little") if seed is None else int(seed) & (2**64 - 1)


def _values(values, n):
    v = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if v.size != n:
        raise ValueError(f"{n} objective value(s) expected, got {v.size}")
    return np.ascontiguousarray(v)


class Suggestion:
    """One configuration from ask(): .id (the sampler's trial id), .params (dict), .x (the library's encoding)."""

    __slots__ = ("id", "params", "x")

    def __init__(self, id, params, x):
        self.id, self.params, self.x = id, params, x

    def __repr__(self):
        return f"Suggestion(id={self.id}, params={self.params})"


class Sampler:
    def __init__(self, name, space, seed=0, directions="minimize", options=None):
        self.space = space
        maximize = _directions(directions)
        opts = {str(k): str(v) for k, v in (options or {}).items()}
        self._names, self._vals = _lib.cstrs(list(opts)), _lib.cstrs(list(opts.values()))
        cfg = _lib.SamplerConfig()
        cfg.seed = _seed(seed)
        cfg.n_objectives = len(maximize)
        for i, m in enumerate(maximize):
            cfg.maximize[i] = m
        cfg.n_options, cfg.option_names, cfg.option_values = len(opts), self._names, self._vals
        h = C.c_void_p()
        check(lib.tb_sampler_create(name.encode(), space.handle, C.byref(cfg), C.byref(h)))
        self._h = h
        self.n_objectives = len(maximize)

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h and lib is not None:
            lib.tb_sampler_free(h)

    @property
    def handle(self):
        return self._h

    @property
    def name(self):
        return lib.tb_sampler_name(self._h).decode()

    def ask(self, n=1):
        """Up to n suggestions (fewer when a grid runs out; [] when it is exhausted)."""
        d = self.space.dim
        if int(n) < 1:
            raise ValueError(f"ask({n}): n must be >= 1")
        xs = np.empty((n, d), dtype=np.float64)
        ids = np.empty(n, dtype=np.int64)
        got = C.c_int(0)
        rc = lib.tb_sampler_ask(self._h, int(n), xs.ctypes.data_as(_lib.c_double_p),
                                ids.ctypes.data_as(_lib.c_int64_p), C.byref(got))
        if rc == _lib.TB_ERR["EXHAUSTED"]:
            return []
        check(rc)
        return [Suggestion(int(ids[i]), self.space.to_dict(xs[i]), xs[i].copy()) for i in range(got.value)]

    def tell(self, id, values, state="complete"):
        """The result of suggestion `id`: values (one per objective; NaN allowed for pruned/failed)."""
        v = _values(values, self.n_objectives)
        check(lib.tb_sampler_tell(self._h, int(id), v.ctypes.data_as(_lib.c_double_p), _lib.state_code(state)))

    def enqueue(self, params):
        """A configuration (dict or encoding) to be suggested before the method's own (evaluated first)."""
        x = params if isinstance(params, np.ndarray) else self.space.from_dict(params)
        x = np.ascontiguousarray(x, dtype=np.float64)
        check(lib.tb_sampler_enqueue(self._h, x.ctypes.data_as(_lib.c_double_p)))

    def add_observation(self, params, values, state="complete"):
        """A finished trial this sampler did not suggest (a dict of parameters or the encoding)."""
        x = params if isinstance(params, np.ndarray) else self.space.from_dict(params)
        x = np.ascontiguousarray(x, dtype=np.float64)
        v = _values(values, self.n_objectives)
        check(lib.tb_sampler_add_observation(self._h, x.ctypes.data_as(_lib.c_double_p),
                                             v.ctypes.data_as(_lib.c_double_p), _lib.state_code(state)))
