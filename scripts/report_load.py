"""report_load.py: reads a tunebench results file (FILE.h5, layout in docs/results-format.md) into plain Python
objects for scripts/report.py: the study's attributes, per experiment its parameters, objectives and tables
(trials: one row per configuration; rungs: its rung evaluations; curves, lineage, pareto: numpy structured arrays
or None when absent), and the study-level memory table. A file of another format version is refused, naming both.
Not here: statistics (report_stats.py) or figures (report_figs*.py). Tested through tests/test_report.c, which writes
study files with the store API and runs `tunebench report` on them.
"""
import math

import h5py
import numpy as np

# Optima of the test functions of host/objective/testfn.c (all minimised), used for regret when the experiment does not
# carry an `optimum` attribute. Keys are tb_testfn names.
TESTFN_OPTIMA = {
    "branin": 0.397887357729738, "hartmann3": -3.86278214782076, "hartmann6": -3.32236801141551,
    "hartmann6-20d": -3.32236801141551, "hartmann6-50d": -3.32236801141551,
    "rosenbrock-2d": 0.0, "rosenbrock-10d": 0.0, "levy-5d": 0.0, "levy-10d": 0.0,
    "ackley-5d": 0.0, "ackley-20d": 0.0,
    "hit-cube-3d": 0.0, "hit-cube-5d": 0.0, "hit-rect-3d": 0.0, "hit-rect-5d": 0.0,
}

STATUSES = ["complete", "pruned", "failed", "diverged", "oom", "interrupted"]
FORMAT_VERSION = 2  # docs/results-format.md: one trials row per configuration, rung evaluations in `rungs`


class ReportInputError(Exception):
    """The input is not a readable tunebench results file (exit status 2)."""


def text(x):
    """An HDF5 string attribute or cell as str (fixed-length strings come back as bytes)."""
    if isinstance(x, bytes):
        return x.split(b"\0", 1)[0].decode("utf-8", "replace")
    if isinstance(x, np.bytes_):
        return bytes(x).split(b"\0", 1)[0].decode("utf-8", "replace")
    return str(x)


def text_list(x):
    if x is None:
        return []
    if isinstance(x, (str, bytes)):
        return [text(x)]
    return [text(v) for v in np.atleast_1d(x)]


def col_text(arr, name):
    """A string column of a structured array as a list of str."""
    return [text(v) for v in arr[name]]


class Experiment:
    """One /experiments/<name> group. trials/rungs/curves/lineage/pareto: structured arrays or None."""

    def __init__(self, name):
        self.name = name
        self.attrs = {}
        self.learner = self.dataset = ""
        self.params, self.param_types, self.choices = [], [], {}
        self.objectives, self.maximize = [], []
        self.trials = self.rungs = self.curves = self.lineage = self.pareto = None
        self.optimum = math.nan       # known optimum of the first objective, NaN when unknown
        self.optimum_source = ""
        self.n_valid = 0              # validation rows (B&B validation-uncertainty scoring), 0 when unknown

    def status(self):
        return col_text(self.trials, "status") if self.trials is not None else []

    def strategy(self):
        return col_text(self.trials, "strategy") if self.trials is not None else []


class Study:
    def __init__(self, path):
        self.path = path
        self.attrs = {}
        self.experiments = []
        self.memory = None


def _table(group, name):
    if name not in group:
        return None
    ds = group[name]
    if not isinstance(ds, h5py.Dataset) or ds.dtype.names is None:
        return None
    return ds[...]


def _testfn_name(*candidates):
    """The tb_testfn name found in the learner or dataset text ("branin", "testfn:branin", "fn:branin?..")."""
    for c in candidates:
        c = c.strip().lower()
        for pre in ("testfn:", "fn:", "synthetic:", "test:"):
            if c.startswith(pre):
                c = c[len(pre):]
        c = c.split("?", 1)[0]
        if c in TESTFN_OPTIMA:
            return c
    return None


def _attr_float(attrs, *names):
    for n in names:
        if n in attrs:
            try:
                v = float(np.atleast_1d(attrs[n])[0])
            except (TypeError, ValueError):
                continue
            if math.isfinite(v):
                return v, n
    return None, None


def load(path):
    """Reads path; raises ReportInputError when it is not an HDF5 tunebench results file."""
    try:
        is_h5 = h5py.is_hdf5(path)
    except (OSError, ValueError) as e:
        raise ReportInputError("%s: cannot read: %s" % (path, e))
    if not is_h5:
        raise ReportInputError("%s: not an HDF5 file (expected a tunebench results file FILE.h5, "
                               "see docs/results-format.md)" % path)
    st = Study(path)
    try:
        f = h5py.File(path, "r", libver="latest", swmr=True)
    except OSError as e:
        raise ReportInputError("%s: HDF5 cannot open it: %s" % (path, e))
    with f:
        st.attrs = {k: f.attrs[k] for k in f.attrs.keys()}
        fmt = text(st.attrs.get("format", ""))
        if fmt != "tunebench-results":
            raise ReportInputError("%s: an HDF5 file but not a tunebench results file (root attribute format = '%s', "
                                   "expected 'tunebench-results')" % (path, fmt))
        ver = int(np.atleast_1d(st.attrs.get("format_version", 0))[0])
        if ver != FORMAT_VERSION:
            raise ReportInputError("%s: results format version %d; this report reads version %d (one trials row per "
                                   "configuration, rung evaluations in a rungs table): re-run the study to write it "
                                   "anew" % (path, ver, FORMAT_VERSION))
        exps = f.get("experiments")
        if exps is not None:
            named = []
            for name in exps.keys():
                g = exps[name]
                idx = int(np.atleast_1d(g.attrs.get("index", len(named)))[0])
                named.append((idx, name))
            for _, name in sorted(named):
                st.experiments.append(_load_experiment(name, exps[name]))
        st.memory = _table(f, "memory")
    return st


def _load_experiment(name, g):
    e = Experiment(name)
    e.attrs = {k: g.attrs[k] for k in g.attrs.keys()}
    e.learner = text(e.attrs.get("learner", ""))
    e.dataset = text(e.attrs.get("dataset", ""))
    e.params = text_list(e.attrs.get("parameters"))
    e.param_types = text_list(e.attrs.get("parameter_types"))
    e.objectives = text_list(e.attrs.get("objectives"))
    e.maximize = [d == "maximize" for d in text_list(e.attrs.get("objective_directions"))]
    e.maximize += [False] * (len(e.objectives) - len(e.maximize))
    e.trials = _table(g, "trials")
    e.rungs = _table(g, "rungs")
    e.curves = _table(g, "curves")
    e.lineage = _table(g, "lineage")
    e.pareto = _table(g, "pareto")
    if "trials" in g:
        ta = g["trials"].attrs
        for p in e.params:
            if "choices_" + p in ta:
                e.choices[p] = text_list(ta["choices_" + p])
    v, src = _attr_float(e.attrs, "optimum", "optimum_" + e.objectives[0] if e.objectives else "optimum")
    if v is not None:
        e.optimum, e.optimum_source = v, "attribute '%s'" % src
    else:
        fn = _testfn_name(e.dataset, e.learner, e.name)
        if fn is not None and e.objectives and not e.maximize[0]:
            e.optimum, e.optimum_source = TESTFN_OPTIMA[fn], "test function %s" % fn
    v, _ = _attr_float(e.attrs, "n_valid", "valid_size")
    e.n_valid = int(v) if v is not None and v > 1 else 0
    return e


def param_label(e, p, v):
    """A parameter value as text: the choice label for categoricals, '-' when inactive (NaN)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if p in e.choices:
        k = int(round(v))
        return e.choices[p][k] if 0 <= k < len(e.choices[p]) else "%g" % v
    return "%.6g" % v


def row_view(e):
    """Per row (configuration) of e.trials (same order), numpy arrays read from the table:
    units, seconds: its compute_units and compute_seconds (every run of the configuration: promotions add only what
      they trained; a PBT exploit counts from its parent's state);
    config: its id (one row per configuration; a PBT exploit is a new configuration, its lineage in parent_id);
    valued: 1 where its first objective is a measured result: complete (at the top fidelity), or pruned by its
      scheduler after its last rung completed (its value is that rung's); a trial pruned mid-run has none;
    max_fidelity: the largest fidelity any row of e reached."""
    t = e.trials
    n = 0 if t is None else len(t)
    if n == 0:
        z = np.zeros(0)
        return {"units": z, "seconds": z, "config": np.zeros(0, dtype=np.int64), "valued": np.zeros(0, dtype=bool),
                "max_fidelity": math.nan}
    ids = t["id"].astype(np.int64)
    st = e.status()
    last = {}  # trial id -> status of its last rung evaluation (rows in the order the runs ended)
    g = e.rungs
    if g is not None:
        for k in range(len(g)):
            last[int(g["trial"][k])] = text(g["status"][k])
    valued = np.array([st[k] == "complete" or (st[k] == "pruned" and last.get(int(ids[k])) == "complete")
                       for k in range(n)])
    fid = np.nan_to_num(t["fidelity"].astype(float), nan=0.0)
    return {"units": np.nan_to_num(t["compute_units"].astype(float)),
            "seconds": np.nan_to_num(t["compute_seconds"].astype(float)), "config": ids, "valued": valued,
            "max_fidelity": float(fid.max())}


def config_status(e):
    """{strategy: {status: configurations}} (one row per configuration: the table says its status)."""
    out = {}
    for s, x in zip(e.strategy(), e.status()):
        out.setdefault(s, {})
        out[s][x] = out[s].get(x, 0) + 1
    return out
