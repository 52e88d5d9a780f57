"""scheduler.py: Scheduler, one of the C library's schedulers (tb_scheduler.h: none, early_stopping, median, sh,
hyperband, asha, bohb, pbt) over a Sampler. The caller runs the jobs: next() says what to run (a new trial, resume
a paused one, PBT exploit: copy `source`'s state into `trial` with new hyperparameters, wait, done), report() gives
intermediate values and returns True when the trial must stop, finish() ends a job, events() drains promotions and
PBT exploit/explore events. Tested by tests/test_scheduler.py.
"""
import ctypes as C

import numpy as np

from . import _lib
from ._lib import check, lib
from .sampler import _seed


def scheduler_names():
    return _lib.names(lib.tb_scheduler_names())


class Job:
    """What to run: kind ('new', 'resume', 'exploit', 'wait', 'done'), trial, source (exploit), params (new and
    exploit: the configuration), fidelity_to, bracket, rung."""

    __slots__ = ("kind", "trial", "source", "params", "x", "fidelity_to", "bracket", "rung")

    def __repr__(self):
        return (f"Job({self.kind}, trial={self.trial}, source={self.source}, fidelity_to={self.fidelity_to}, "
                f"params={self.params})")


class Event:
    __slots__ = ("kind", "trial", "source", "fidelity", "old_params", "new_params")

    def __repr__(self):
        return f"Event({self.kind}, trial={self.trial}, source={self.source}, fidelity={self.fidelity})"


class Scheduler:
    def __init__(self, name, sampler, min_fidelity=1, max_fidelity=1, max_trials=0, max_budget=0,
                 direction="minimize", seed=0, options=None):
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction {direction!r}: use 'minimize' or 'maximize'")
        self.sampler = sampler  # the C scheduler borrows it: keep it alive
        opts = {str(k): str(v) for k, v in (options or {}).items()}
        self._names, self._vals = _lib.cstrs(list(opts)), _lib.cstrs(list(opts.values()))
        cfg = _lib.SchedulerConfig(float(min_fidelity), float(max_fidelity), int(max_trials), float(max_budget),
                                   int(direction == "maximize"), _seed(seed), len(opts), self._names, self._vals)
        h = C.c_void_p()
        check(lib.tb_scheduler_create(name.encode(), sampler.handle, C.byref(cfg), C.byref(h)))
        self._h = h

    def __del__(self):
        h, self._h = getattr(self, "_h", None), None
        if h and lib is not None:
            lib.tb_scheduler_free(h)

    @property
    def name(self):
        return lib.tb_scheduler_name(self._h).decode()

    def _params(self, x):
        if not x:
            return None, None
        a = np.ctypeslib.as_array(x, shape=(self.sampler.space.dim,)).copy()
        return self.sampler.space.to_dict(a), a

    def next(self):
        j = _lib.Job()
        check(lib.tb_scheduler_next(self._h, C.byref(j)))
        out = Job()
        out.kind, out.trial, out.source = _lib.JOB_KINDS[j.kind], j.trial, j.source
        out.params, out.x = self._params(j.x) if j.kind in (0, 2) else (None, None)
        out.fidelity_to, out.bracket, out.rung = j.fidelity_to, j.bracket, j.rung
        return out

    def report(self, trial, fidelity, value):
        """Intermediate value at fidelity; True when the scheduler stops the trial here."""
        stop = C.c_int(0)
        check(lib.tb_scheduler_report(self._h, int(trial), float(fidelity), float(value), C.byref(stop)))
        return bool(stop.value)

    def finish(self, trial, fidelity, value, state="complete"):
        check(lib.tb_scheduler_finish(self._h, int(trial), float(fidelity), float(value), _lib.state_code(state)))

    def events(self):
        out = []
        ev = _lib.SchedEvent()
        while lib.tb_scheduler_pop_event(self._h, C.byref(ev)) == 1:
            e = Event()
            e.kind, e.trial, e.source, e.fidelity = _lib.EVENT_KINDS[ev.kind], ev.trial, ev.source, ev.fidelity
            e.old_params = self._params(ev.old_x)[0]
            e.new_params = self._params(ev.new_x)[0]
            out.append(e)
        return out
