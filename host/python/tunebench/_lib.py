"""_lib.py: loads libtunebench.so with ctypes and declares the C functions the package calls (only the TB_API ones of
docs/c-api.md), the C structs they take, and the one error path: every call returning a negative TB_ERR_* raises
TunebenchError with the library's own message (tb_strerror + tb_error_detail).

Where the library is found, first hit wins: $TUNEBENCH_LIBRARY (a path to the .so); beside an installed prefix
(PREFIX/lib*/libtunebench.so.0 for the prefix this package was installed under, then sys.prefix); the build tree of
this checkout (REPO/build/libtunebench.so.0, host/python/ being REPO/host/python); the loader's search path.
Not here: any tuning logic (that is the C library's). Tested by host/python/tests/ (every test goes through it).
"""
import ctypes as C
import ctypes.util
import glob
import os
import sys

_SONAME = "libtunebench.so.0"

c_double_p = C.POINTER(C.c_double)
c_int64_p = C.POINTER(C.c_int64)
c_char_pp = C.POINTER(C.c_char_p)


class TunebenchError(RuntimeError):
    """An error reported by libtunebench: .code is the TB_ERR_* number, .name its text, .detail the message."""

    def __init__(self, code, name, detail):
        self.code, self.name, self.detail = code, name, detail
        super().__init__(f"{name}: {detail}" if detail else name)


def _candidates():
    env = os.environ.get("TUNEBENCH_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # installed: PREFIX/lib/python3/dist-packages/tunebench (or site-packages): walk up to a PREFIX with lib*/
    d = here
    for _ in range(6):
        d = os.path.dirname(d)
        for lib in sorted(glob.glob(os.path.join(d, "lib*", _SONAME)) + glob.glob(os.path.join(d, "lib", "*", _SONAME))):
            yield lib
    for lib in glob.glob(os.path.join(sys.prefix, "lib*", _SONAME)):
        yield lib
    # the build tree beside this checkout: REPO/host/python/tunebench -> REPO/build
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    yield os.path.join(repo, "build", _SONAME)
    found = ctypes.util.find_library("tunebench")
    if found:
        yield found
    yield _SONAME


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return C.CDLL(path), path
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise ImportError("tunebench: libtunebench.so.0 not found; set TUNEBENCH_LIBRARY=/path/to/libtunebench.so.0, "
                      "or install the library (cmake --install build), or build it in REPO/build. Tried: "
                      + "; ".join(tried))


lib, path = _load()
libc = C.CDLL(None)
libc.free.argtypes = [C.c_void_p]
libc.free.restype = None


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


# ---- errors --------------------------------------------------------------------------------------------------------
_fn("tb_strerror", C.c_char_p, C.c_int)
_fn("tb_error_detail", C.c_char_p)
_fn("tb_error_clear", None)
lib.tb_error_set.restype = C.c_int  # variadic: called as tb_error_set(code, b"%s", message)


def check(rc):
    """Raises TunebenchError for a negative return code; returns rc otherwise."""
    if rc < 0:
        name = lib.tb_strerror(rc).decode()
        detail = lib.tb_error_detail().decode(errors="replace")
        raise TunebenchError(rc, name, detail)
    return rc


def set_error(code, message):
    """Records an error detail for this thread (from inside a callback) and returns code."""
    return lib.tb_error_set(C.c_int(code), b"%s", C.c_char_p(message.encode(errors="replace")[:1000]))


TB_ERR = dict(NOMEM=-1, INVALID=-2, IO=-3, FORMAT=-4, OOM=-5, DEVICE=-6, DEVICE_FATAL=-7, UNSUPPORTED=-8,
              NOT_FOUND=-9, RANGE=-10, EXHAUSTED=-11, INTERRUPTED=-12)
STATES = {"complete": 0, "pruned": 1, "failed": 2, "diverged": 3, "oom": 4, "interrupted": 5}
_fn("tb_trial_status_name", C.c_char_p, C.c_int)


def state_code(state):
    """'complete', 'pruned' or 'failed' (what samplers and schedulers take) -> its tb_trial_status number."""
    if state not in ("complete", "pruned", "failed"):
        raise ValueError(f"trial state {state!r}: use 'complete', 'pruned' or 'failed'")
    return STATES[state]


def names(ptr):
    """A NULL-terminated const char *const * as a list of str."""
    out, i = [], 0
    while ptr[i]:
        out.append(ptr[i].decode())
        i += 1
    return out


# ---- spaces (tb_space.h) -------------------------------------------------------------------------------------------
class Param(C.Structure):
    _fields_ = [("name", C.c_char * 64), ("type", C.c_int), ("lo", C.c_double), ("hi", C.c_double),
                ("log", C.c_int), ("step", C.c_double), ("n_choices", C.c_int), ("choices", C.c_char_p * 64),
                ("value", C.c_double), ("def", C.c_double), ("parent", C.c_int), ("n_cond", C.c_int),
                ("cond_values", C.c_double * 16), ("help", C.c_char_p)]


_fn("tb_space_init", C.c_int, C.POINTER(C.c_void_p))
_fn("tb_space_free", None, C.c_void_p)
_fn("tb_space_add_float", C.c_int, C.c_void_p, C.c_char_p, C.c_double, C.c_double, C.c_int)
_fn("tb_space_add_int", C.c_int, C.c_void_p, C.c_char_p, C.c_long, C.c_long, C.c_long, C.c_int)
_fn("tb_space_add_categorical", C.c_int, C.c_void_p, C.c_char_p, C.c_int, c_char_pp)
_fn("tb_space_add_fixed", C.c_int, C.c_void_p, C.c_char_p, C.c_double)
_fn("tb_space_add_condition", C.c_int, C.c_void_p, C.c_char_p, C.c_char_p, C.c_int, c_double_p)
_fn("tb_space_finalize", C.c_int, C.c_void_p)
_fn("tb_space_finalized", C.c_int, C.c_void_p)
_fn("tb_space_dim", C.c_int, C.c_void_p)
_fn("tb_space_param", C.POINTER(Param), C.c_void_p, C.c_int)
_fn("tb_space_find", C.c_int, C.c_void_p, C.c_char_p)
_fn("tb_space_active", C.c_int, C.c_void_p, c_double_p, C.c_int)
_fn("tb_space_check", C.c_char_p, C.c_void_p, c_double_p, C.c_char_p, C.c_size_t)
_fn("tb_space_from_unit", None, C.c_void_p, c_double_p, c_double_p)
_fn("tb_space_to_unit", None, C.c_void_p, c_double_p, c_double_p)
_fn("tb_space_format_json", C.c_size_t, C.c_void_p, c_double_p, C.c_char_p, C.c_size_t)

# ---- samplers (tb_sampler.h) ---------------------------------------------------------------------------------------
MAX_OBJECTIVES = 8


class SamplerConfig(C.Structure):
    _fields_ = [("seed", C.c_uint64), ("n_objectives", C.c_int), ("maximize", C.c_int * MAX_OBJECTIVES),
                ("n_options", C.c_int), ("option_names", c_char_pp), ("option_values", c_char_pp)]


_fn("tb_sampler_create", C.c_int, C.c_char_p, C.c_void_p, C.POINTER(SamplerConfig), C.POINTER(C.c_void_p))
_fn("tb_sampler_free", None, C.c_void_p)
_fn("tb_sampler_name", C.c_char_p, C.c_void_p)
_fn("tb_sampler_n_objectives", C.c_int, C.c_void_p)
_fn("tb_sampler_ask", C.c_int, C.c_void_p, C.c_int, c_double_p, c_int64_p, C.POINTER(C.c_int))
_fn("tb_sampler_tell", C.c_int, C.c_void_p, C.c_int64, c_double_p, C.c_int)
_fn("tb_sampler_add_observation", C.c_int, C.c_void_p, c_double_p, c_double_p, C.c_int)
_fn("tb_sampler_enqueue", C.c_int, C.c_void_p, c_double_p)
_fn("tb_sampler_names", c_char_pp)

# ---- schedulers (tb_scheduler.h) -----------------------------------------------------------------------------------


class SchedulerConfig(C.Structure):
    _fields_ = [("min_fidelity", C.c_double), ("max_fidelity", C.c_double), ("max_trials", C.c_long),
                ("max_budget", C.c_double), ("maximize", C.c_int), ("seed", C.c_uint64), ("n_options", C.c_int),
                ("option_names", c_char_pp), ("option_values", c_char_pp)]


class Job(C.Structure):
    _fields_ = [("kind", C.c_int), ("trial", C.c_int64), ("source", C.c_int64), ("x", c_double_p),
                ("fidelity_to", C.c_double), ("bracket", C.c_int), ("rung", C.c_int)]


class SchedEvent(C.Structure):
    _fields_ = [("kind", C.c_int), ("trial", C.c_int64), ("source", C.c_int64), ("fidelity", C.c_double),
                ("old_x", c_double_p), ("new_x", c_double_p)]


JOB_KINDS = ["new", "resume", "exploit", "wait", "done"]
EVENT_KINDS = ["promote", "exploit", "stop"]
_fn("tb_scheduler_create", C.c_int, C.c_char_p, C.c_void_p, C.POINTER(SchedulerConfig), C.POINTER(C.c_void_p))
_fn("tb_scheduler_free", None, C.c_void_p)
_fn("tb_scheduler_name", C.c_char_p, C.c_void_p)
_fn("tb_scheduler_names", c_char_pp)
_fn("tb_scheduler_next", C.c_int, C.c_void_p, C.POINTER(Job))
_fn("tb_scheduler_report", C.c_int, C.c_void_p, C.c_int64, C.c_double, C.c_double, C.POINTER(C.c_int))
_fn("tb_scheduler_finish", C.c_int, C.c_void_p, C.c_int64, C.c_double, C.c_double, C.c_int)
_fn("tb_scheduler_pop_event", C.c_int, C.c_void_p, C.POINTER(SchedEvent))

# ---- objectives and studies (tb_objective.h, tb_study.h) -----------------------------------------------------------
OBJECTIVE_FN = C.CFUNCTYPE(C.c_int, C.c_void_p, C.c_void_p)
_fn("tb_objective_callback", C.c_int, C.c_void_p, C.c_int, c_char_pp, OBJECTIVE_FN, C.c_void_p, C.POINTER(C.c_void_p))
_fn("tb_objective_free", None, C.c_void_p)
_fn("tb_objective_call_x", c_double_p, C.c_void_p)
_fn("tb_objective_call_trial", C.c_int64, C.c_void_p)
_fn("tb_objective_call_seed", C.c_uint64, C.c_void_p)
_fn("tb_objective_call_fidelity_from", C.c_double, C.c_void_p)
_fn("tb_objective_call_fidelity_to", C.c_double, C.c_void_p)
_fn("tb_objective_report", C.c_int, C.c_void_p, C.c_double, C.c_double)
_fn("tb_objective_call_set", C.c_int, C.c_void_p, C.c_int, C.c_double)


class StudyParams(C.Structure):
    _fields_ = [("sampler", C.c_char_p), ("n_sampler_options", C.c_int), ("sampler_option_names", c_char_pp),
                ("sampler_option_values", c_char_pp), ("scheduler", C.c_char_p), ("n_scheduler_options", C.c_int),
                ("scheduler_option_names", c_char_pp), ("scheduler_option_values", c_char_pp),
                ("n_trials", C.c_long), ("max_budget", C.c_double), ("min_fidelity", C.c_double),
                ("max_fidelity", C.c_double), ("data_fraction", C.c_int), ("seed", C.c_uint64),
                ("n_workers", C.c_int), ("fuse", C.c_int), ("threads_per_trial", C.c_int), ("device", C.c_char_p),
                ("memory_budget", C.c_size_t), ("n_objectives", C.c_int), ("objectives", C.c_char_p * 8),
                ("maximize", C.c_int * 8), ("n_recorded", C.c_int), ("ref_point", c_double_p),
                ("max_wall_s", C.c_double), ("stop_after", C.c_long), ("stop_flag", C.c_void_p),
                ("repetition", C.c_int),
                ("strategy", C.c_char_p), ("progress", C.c_void_p), ("progress_ctx", C.c_void_p),
                ("n_initial", C.c_int), ("initial", c_double_p), ("n_warm", C.c_int), ("warm_x", c_double_p),
                ("warm_values", c_double_p), ("warm_status", C.POINTER(C.c_int))]


# The mirrored layouts must match the library's: a stale mirror is an ImportError naming the struct, not a crash.
_fn("tb_param_size", C.c_size_t)
_fn("tb_study_params_size", C.c_size_t)
for _name, _py, _c in (("tb_param", Param, "tb_param_size"), ("tb_study_params", StudyParams, "tb_study_params_size")):
    if C.sizeof(_py) != getattr(lib, _c)():
        raise ImportError("tunebench: %s is %d bytes in the library but %d in tunebench/_lib.py: the binding does not "
                          "match this libtunebench" % (_name, getattr(lib, _c)(), C.sizeof(_py)))


class StudyTrial(C.Structure):
    _fields_ = [("id", C.c_int64), ("store_id", C.c_int64), ("parent_id", C.c_int64), ("retry_of", C.c_int64),
                ("seed", C.c_uint64), ("status", C.c_int), ("replayed", C.c_int), ("x", c_double_p),
                ("values", C.c_double * 8), ("fidelity", C.c_double), ("train_time_s", C.c_double),
                ("peak_memory", C.c_int64), ("latency_p50", C.c_double * 2), ("latency_p99", C.c_double * 2),
                ("n_params", C.c_int64), ("reason", C.c_char_p), ("fused", C.c_int)]


_fn("tb_study_params_default", StudyParams)
_fn("tb_study_check_params", C.c_char_p, C.POINTER(StudyParams))
_fn("tb_study_create", C.c_int, C.c_void_p, C.POINTER(StudyParams), C.POINTER(C.c_void_p))
_fn("tb_study_free", None, C.c_void_p)
_fn("tb_study_attach_store", C.c_int, C.c_void_p, C.c_void_p, C.c_int)
_fn("tb_study_run", C.c_int, C.c_void_p, C.c_void_p)
_fn("tb_study_request_stop", None, C.c_void_p)
_fn("tb_study_stopped", C.c_int, C.c_void_p)
_fn("tb_study_n_trials", C.c_size_t, C.c_void_p)
_fn("tb_study_get_trial", C.POINTER(StudyTrial), C.c_void_p, C.c_size_t)
_fn("tb_study_best", C.c_int64, C.c_void_p)
_fn("tb_study_pareto", C.c_int, C.c_void_p, c_int64_p, C.POINTER(C.c_size_t), c_double_p, c_double_p)

# ---- results store: writing (tb_store.h) and reading (tb_h5.h) -----------------------------------------------------


class StoreStudy(C.Structure):
    _fields_ = [("suite_name", C.c_char_p), ("suite_text", C.c_char_p), ("n_seeds", C.c_int),
                ("seeds", C.POINTER(C.c_uint64)), ("version", C.c_char_p), ("device", C.c_char_p),
                ("card", C.c_char_p), ("host", C.c_char_p), ("start_time", C.c_double)]


class StoreExperiment(C.Structure):
    _fields_ = [("name", C.c_char_p), ("learner", C.c_char_p), ("dataset", C.c_char_p), ("space", C.c_void_p),
                ("n_objectives", C.c_int), ("objective_names", c_char_pp), ("maximize", C.POINTER(C.c_int))]


class StoreOptions(C.Structure):
    _fields_ = [("force", C.c_int), ("sync_per_trial", C.c_int)]


_fn("tb_store_options_default", StoreOptions)
_fn("tb_store_create", C.c_int, C.c_char_p, C.POINTER(StoreStudy), C.POINTER(StoreOptions), C.POINTER(C.c_void_p))
_fn("tb_store_add_experiment", C.c_int, C.c_void_p, C.POINTER(StoreExperiment), C.POINTER(C.c_int))
_fn("tb_store_study_end", C.c_int, C.c_void_p, C.c_double, C.c_int)
_fn("tb_store_wait", C.c_int, C.c_void_p)
_fn("tb_store_close", C.c_int, C.c_void_p)
_fn("tb_study_describe_experiment", None, C.c_void_p, C.POINTER(StoreExperiment))


class H5Col(C.Structure):
    _fields_ = [("name", C.c_char_p), ("type", C.c_int), ("str_len", C.c_size_t)]


H5_F64, H5_I64, H5_STR, H5_U64 = 1, 3, 5, 6
_fn("tb_h5_open_live", C.c_int, C.c_char_p, C.POINTER(C.c_void_p))
_fn("tb_h5_close", C.c_int, C.c_void_p)
_fn("tb_h5_children", C.c_int, C.c_void_p, C.c_char_p, C.POINTER(c_char_pp), C.POINTER(C.c_size_t))
_fn("tb_h5_strs_free", None, c_char_pp, C.c_size_t)
_fn("tb_h5_attr_read_str", C.c_int, C.c_void_p, C.c_char_p, C.c_char_p, C.POINTER(C.c_void_p))
_fn("tb_h5_attr_read_strs", C.c_int, C.c_void_p, C.c_char_p, C.c_char_p, C.POINTER(c_char_pp),
    C.POINTER(C.c_size_t))
_fn("tb_h5_attr_read_f64", C.c_int, C.c_void_p, C.c_char_p, C.c_char_p, c_double_p, C.c_size_t,
    C.POINTER(C.c_size_t))
_fn("tb_h5_table_columns", C.c_int, C.c_void_p, C.c_char_p, C.POINTER(C.c_int), C.POINTER(C.POINTER(H5Col)),
    C.POINTER(C.c_size_t))
_fn("tb_h5_cols_free", None, C.POINTER(H5Col), C.c_int)
_fn("tb_h5_table_read_col", C.c_int, C.c_void_p, C.c_char_p, C.c_char_p, C.c_int, C.c_size_t, C.c_void_p)


def cstrs(strs):
    """A (char **) array of encoded strings; keep the returned array alive while C uses it."""
    arr = (C.c_char_p * max(1, len(strs)))()
    for i, s in enumerate(strs):
        arr[i] = str(s).encode()
    return arr
