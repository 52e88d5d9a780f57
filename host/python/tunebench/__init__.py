"""tunebench: the Python face of libtunebench (a C11 + CUDA hyperparameter-tuning library), loaded with ctypes.

  Space, Sampler (ask/tell), Scheduler (next/report/finish), optimize() for a Python objective, load() for results
  files as pandas DataFrames, and tunebench.optuna (a sampler and a pruner for Optuna studies).

A thin binding: every decision is the C library's; errors from it are TunebenchError with its message. The shared
library is found as tunebench._lib says (TUNEBENCH_LIBRARY, an installed prefix, or REPO/build). docs/python.md.
"""
from ._lib import TunebenchError
from ._lib import path as library_path
from .results import Results, load
from .sampler import Sampler, Suggestion, sampler_names
from .scheduler import Event, Job, Scheduler, scheduler_names
from .space import Space
from .study import FrozenTrial, StudyResult, Trial, TrialPruned, optimize

__version__ = "0.1.0"
__all__ = ["TunebenchError", "library_path", "Results", "load", "Sampler", "Suggestion", "sampler_names", "Event",
           "Job", "Scheduler", "scheduler_names", "Space", "FrozenTrial", "StudyResult", "Trial", "TrialPruned",
           "optimize"]
