"""space.py: Space, a search space of the C library (tb_space.h): float and int parameters (log scale, int step),
categoricals (any Python values as choices, stored by label), fixed values and conditions (a parameter active only
when its parent takes given values). A configuration is a dict {name: value}; inactive parameters are absent.
Conversion between the dict and the library's encoding (a double per parameter; categoricals by index; NaN when
inactive) is the only thing done here; checks are the library's (tb_space_check). Tested by tests/test_space.py.
"""
import ctypes as C
import json
import math

import numpy as np

from . import _lib
from ._lib import check, lib

FLOAT, INT, CATEGORICAL, FIXED = 0, 1, 2, 3


class Space:
    """A search space. Add parameters, then the space is finalized on first use (or by finalize())."""

    def __init__(self):
        h = C.c_void_p()
        check(lib.tb_space_init(C.byref(h)))
        self._h = h
        self._choices = {}  # name -> list of the Python choice values (labels are their str())

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h and lib is not None:
            lib.tb_space_free(h)

    @property
    def handle(self):
        """The finalized tb_space * (finalizes it on first use)."""
        if not lib.tb_space_finalized(self._h):
            check(lib.tb_space_finalize(self._h))
        return self._h

    def add_float(self, name, low, high, log=False):
        check(lib.tb_space_add_float(self._h, name.encode(), float(low), float(high), int(bool(log))))
        return self

    def add_int(self, name, low, high, step=1, log=False):
        check(lib.tb_space_add_int(self._h, name.encode(), int(low), int(high), int(step), int(bool(log))))
        return self

    def add_categorical(self, name, choices):
        choices = list(choices)
        labels = _lib.cstrs([str(c) for c in choices])
        check(lib.tb_space_add_categorical(self._h, name.encode(), len(choices), labels))
        self._choices[name] = choices
        return self

    def add_fixed(self, name, value):
        check(lib.tb_space_add_fixed(self._h, name.encode(), float(value)))
        return self

    def add_condition(self, child, parent, values):
        """child is active only when parent takes one of values (choices for a categorical parent)."""
        if parent in self._choices:
            ch = self._choices[parent]
            enc = []
            for v in values:
                if v not in ch:
                    raise ValueError(f"condition on {parent}: {v!r} is not one of its choices {ch}")
                enc.append(float(ch.index(v)))
        else:
            enc = [float(v) for v in values]
        arr = (C.c_double * max(1, len(enc)))(*enc)
        check(lib.tb_space_add_condition(self._h, child.encode(), parent.encode(), len(enc), arr))
        return self

    def finalize(self):
        self.handle
        return self

    @property
    def dim(self):
        return lib.tb_space_dim(self._h)

    def param(self, i):
        return lib.tb_space_param(self._h, i).contents

    @property
    def names(self):
        return [self.param(i).name.decode() for i in range(self.dim)]

    def _choice_values(self, i):
        p = self.param(i)
        name = p.name.decode()
        if name in self._choices:
            return self._choices[name]
        return [p.choices[k].decode() for k in range(p.n_choices)]

    def to_dict(self, x):
        """The library's encoding x (dim doubles) -> {name: value} with active parameters only."""
        out = {}
        for i in range(self.dim):
            v = float(x[i])
            if math.isnan(v):
                continue
            p = self.param(i)
            name = p.name.decode()
            if p.type == CATEGORICAL:
                out[name] = self._choice_values(i)[int(v)]
            elif p.type == INT:
                out[name] = int(round(v))
            else:
                out[name] = v
        return out

    def from_dict(self, params):
        """{name: value} -> the library's encoding (numpy array of dim doubles; NaN for absent parameters),
        checked by tb_space_check (ValueError with its message when not a valid configuration)."""
        x = np.full(self.dim, np.nan)
        for i in range(self.dim):
            p = self.param(i)
            name = p.name.decode()
            if p.type == FIXED:
                x[i] = p.value if name not in params else float(params[name])
                continue
            if name not in params:
                continue
            v = params[name]
            if p.type == CATEGORICAL:
                ch = self._choice_values(i)
                if v not in ch and str(v) in [str(c) for c in ch]:
                    v = [c for c in ch if str(c) == str(v)][0]
                if v not in ch:
                    raise ValueError(f"{name} = {v!r} is not one of {ch}")
                x[i] = ch.index(v)
            else:
                x[i] = float(v)
        # a fixed parameter of an inactive branch is NaN too
        for i in range(self.dim):
            if self.param(i).type == FIXED and not lib.tb_space_active(self.handle, _arr(x), i):
                x[i] = np.nan
        msg = self.check(x)
        if msg:
            raise ValueError(msg)
        return x

    def check(self, x):
        """None when x (the encoding) is a valid configuration, else the library's message."""
        buf = C.create_string_buffer(256)
        xa = _arr(x)
        r = lib.tb_space_check(self.handle, xa, buf, 256)
        return r.decode() if r else None

    def to_json(self, x):
        """The library's JSON text of a configuration ({"lr": 0.001, "act": "tanh"})."""
        xa = _arr(x)
        n = lib.tb_space_format_json(self.handle, xa, None, 0)
        buf = C.create_string_buffer(n + 1)
        lib.tb_space_format_json(self.handle, xa, buf, n + 1)
        return json.loads(buf.value.decode())

    def __repr__(self):
        return f"Space({', '.join(self.names)})"


def _arr(x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    return x.ctypes.data_as(_lib.c_double_p) if x.size else None
