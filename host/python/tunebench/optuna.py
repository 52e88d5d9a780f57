"""optuna.py: the C library's samplers and schedulers inside Optuna studies (Optuna >= 3.1, Debian's python3-optuna).

TunebenchSampler(method): an optuna BaseSampler asking libtunebench's sampler `method` (tpe, gp, cmaes, sobol,
halton, lhs, random, evolution, nsga2, grid). Relative sampling over Optuna's intersection search space (the
parameters every finished trial has); a parameter outside it (conditional, define-by-run) is sampled by the same
method on its own 1-d space (random when the method cannot, e.g. cmaes) from the trials that have it. Before each
ask, trials the sampler has not seen (other samplers' trials, enqueued ones, a study resumed from storage) are
added with tb_sampler_add_observation; trials it suggested are told when they end (after_trial). Multi-objective
studies pass every objective (nsga2, random; others raise the library's error).

TunebenchPruner(scheduler): an optuna BasePruner deciding with libtunebench's scheduler (median, early_stopping,
asha, sh, hyperband). Each Optuna trial that reports becomes one scheduler trial (a NEW job); every report goes to
tb_scheduler_report, whose stop prunes the trial. For the rung schedulers a trial that reaches its rung's fidelity
ends its job there (tb_scheduler_finish) and goes on only when the scheduler promotes it at once (a RESUME of that
trial from tb_scheduler_next): Optuna trials cannot pause, so a trial not promoted at that moment is pruned. That is
ASHA's rule; synchronous sh/hyperband promote only when a rung is full, so they prune more here than they would in
`tunebench run`. Nothing else is decided here. Tested by tests/test_optuna.py.
"""
import math
import os
import threading

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler, IntersectionSearchSpace
from optuna.trial import TrialState

from ._lib import TunebenchError
from .sampler import Sampler, sampler_names
from .scheduler import Scheduler
from .space import Space

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_STATE = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}


def _space_of(search_space):
    sp = Space()
    for name, d in search_space.items():
        if isinstance(d, FloatDistribution):
            sp.add_float(name, d.low, d.high, log=d.log)
        elif isinstance(d, IntDistribution):
            sp.add_int(name, d.low, d.high, step=d.step, log=d.log)
        elif isinstance(d, CategoricalDistribution):
            sp.add_categorical(name, d.choices)
        else:
            raise ValueError(f"{name}: unsupported distribution {d!r}")
    return sp


def _external(d, v):
    if isinstance(d, FloatDistribution):
        v = float(v)
        if d.step is not None:
            v = min(d.high, d.low + round((v - d.low) / d.step) * d.step)
        return min(max(v, d.low), d.high)
    if isinstance(d, IntDistribution):
        return int(v)
    return v


def _values(trial, state, values, n):
    if values is not None and len(values) == n:
        return list(values)
    if state == TrialState.PRUNED and n == 1 and trial.intermediate_values:
        return [trial.intermediate_values[max(trial.intermediate_values)]]
    return [math.nan] * n


class _Model:
    """One library sampler over one search space, and what it has seen."""

    def __init__(self, method, search_space, seed, directions, options):
        self.space = _space_of(search_space)
        self.dists = dict(search_space)
        self.sampler = Sampler(method, self.space, seed=seed, directions=directions, options=options)
        self.seen, self.asked = set(), {}

    def add(self, trial, state, values):
        if trial.number in self.seen:
            return
        self.seen.add(trial.number)
        v = _values(trial, state, values, self.sampler.n_objectives)
        st = _STATE[state]
        if trial.number in self.asked:
            self.sampler.tell(self.asked.pop(trial.number), v, st)
            return
        if not all(n in trial.params for n in self.dists):
            return
        try:
            self.sampler.add_observation({n: trial.params[n] for n in self.dists}, v, st)
        except ValueError:
            pass  # a value this space cannot hold (another distribution of the same name): not an observation

    def sync(self, study):
        for t in study.get_trials(deepcopy=False, states=_FINISHED):
            if t.number not in self.seen:
                self.add(t, t.state, t.values)


class TunebenchSampler(BaseSampler):
    def __init__(self, method="tpe", seed=None, options=None):
        if method not in sampler_names():
            raise ValueError(f"sampler {method!r}: one of {', '.join(sampler_names())}")
        self._method, self._options = method, options
        self._seed = int.from_bytes(os.urandom(8), "little") if seed is None else int(seed)
        self._lock = threading.Lock()
        self._intersection = IntersectionSearchSpace(include_pruned=True)
        self._model, self._key = None, None

    def reseed_rng(self):
        self._seed = int.from_bytes(os.urandom(8), "little")

    @staticmethod
    def _directions(study):
        return ["maximize" if d == optuna.study.StudyDirection.MAXIMIZE else "minimize" for d in study.directions]

    def infer_relative_search_space(self, study, trial):
        space = self._intersection.calculate(study, ordered_dict=True).items()
        # CMA-ES takes no categoricals (the library says so): they are sampled independently, as Optuna's does
        no_cat = self._method == "cmaes"
        return {n: d for n, d in space if not d.single() and not (no_cat and isinstance(d, CategoricalDistribution))}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        with self._lock:
            key = tuple((n, repr(d)) for n, d in search_space.items())
            if key != self._key:
                self._model = _Model(self._method, search_space, self._seed, self._directions(study), self._options)
                self._key = key
            m = self._model
            m.sync(study)
            got = m.sampler.ask(1)
            if not got:  # an exhausted grid: Optuna's independent sampling takes over
                return {}
            m.asked[trial.number] = got[0].id
            return {n: _external(d, got[0].params[n]) for n, d in search_space.items()}

    def sample_independent(self, study, trial, param_name, param_distribution):
        d = param_distribution
        if d.single():
            return d.choices[0] if isinstance(d, CategoricalDistribution) else _external(d, d.low)
        seed = (self._seed * 1000003 + trial.number) % 2**63
        with self._lock:
            try:
                m = _Model(self._method, {param_name: d}, seed, self._directions(study), self._options)
            except TunebenchError:
                m = _Model("random", {param_name: d}, seed, self._directions(study), None)
            m.sync(study)
            (g,) = m.sampler.ask(1)
            return _external(d, g.params[param_name])

    def after_trial(self, study, trial, state, values):
        with self._lock:
            if self._model is not None and trial.number in self._model.asked and state in _FINISHED:
                self._model.add(trial, state, values)


class TunebenchPruner(optuna.pruners.BasePruner):
    SCHEDULERS = ("median", "early_stopping", "asha", "sh", "hyperband")

    def __init__(self, scheduler="median", min_resource=1, max_resource=100, options=None, seed=0,
                 max_trials=100000):
        if scheduler not in self.SCHEDULERS:
            raise ValueError(f"scheduler {scheduler!r}: a pruner takes one of {', '.join(self.SCHEDULERS)}")
        self._name, self._options, self._seed = scheduler, options, seed
        self._r, self._R, self._max_trials = float(min_resource), float(max_resource), int(max_trials)
        self._lock = threading.Lock()
        self._sched = None
        self._bound = {}  # optuna trial number -> [scheduler trial, fidelity_to, last step, last value, ended]
        self._by_sid = {}
        self._queue = []  # NEW jobs pulled while looking for a promotion, for the next trials that report
        self._make_for("minimize")  # the library checks the name and options now (TunebenchError)
        self._sched = None          # made again for the study's direction at its first report

    def _make(self, study):
        direction = "maximize" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "minimize"
        self._make_for(direction)

    def _make_for(self, direction):
        self._space = Space().add_float("unused", 0, 1)
        self._smp = Sampler("random", self._space, seed=self._seed)
        self._sched = Scheduler(self._name, self._smp, min_fidelity=self._r, max_fidelity=self._R,
                                max_trials=self._max_trials, direction=direction, seed=self._seed,
                                options=self._options)

    def _end(self, b, state):
        if not b[4]:
            b[4] = True
            self._sched.finish(b[0], b[2], b[3], state)

    def _sync(self, study):
        """Ends the scheduler jobs of Optuna trials that have finished since (completed, pruned or failed)."""
        for t in study.get_trials(deepcopy=False, states=_FINISHED):
            b = self._bound.get(t.number)
            if b is None or b[4]:
                continue
            if t.state == TrialState.COMPLETE and t.value is not None:
                b[3] = t.value
            state = "complete" if t.state == TrialState.COMPLETE and b[2] >= b[1] - 1e-9 else (
                "failed" if t.state == TrialState.FAIL else "pruned")
            self._end(b, state)

    def _next(self, want=None):
        """Pulls jobs: a RESUME of `want` is returned as 'resume'; a NEW is returned; RESUMEs of trials Optuna has
        already pruned end at once (failed: they cannot run again); wait/done are returned as they are."""
        while True:
            if want is None and self._queue:
                return self._queue.pop(0)
            job = self._sched.next()
            self._sched.events()
            if job.kind == "resume":
                b = self._by_sid.get(job.trial)
                if want is not None and job.trial == want:
                    return job
                if b is not None:
                    b[4] = False
                    self._end(b, "failed")
                    continue
            return job

    def prune(self, study, trial):
        step = trial.last_step
        if step is None:
            return False
        value = trial.intermediate_values[step]
        with self._lock:
            if self._sched is None:
                self._make(study)
            self._sync(study)
            b = self._bound.get(trial.number)
            if b is None:
                job = self._next()
                if job.kind != "new":
                    return False  # the scheduler starts nothing now (budget spent, or waiting): not its trial
                b = self._bound[trial.number] = [job.trial, job.fidelity_to, 0.0, math.nan, False]
                self._by_sid[job.trial] = b
            if b[4]:
                return True  # its job ended (pruned, or not promoted)
            if step <= b[2]:
                return False
            b[2], b[3] = float(step), float(value)
            if self._sched.report(b[0], step, value) and step < b[1] - 1e-9:
                self._end(b, "pruned")
                return True
            if step >= b[1] - 1e-9 and b[1] < self._R - 1e-9:  # reached its rung: promoted now, or pruned
                self._end(b, "complete")
                job = self._next(want=b[0])
                if job.kind == "resume" and job.trial == b[0]:
                    b[1], b[4] = job.fidelity_to, False
                    return False
                if job.kind == "new":
                    self._queue.append(job)  # the next Optuna trial that reports runs it
                return True
            return False
