/* store_h5.c: the HDF5 side of the results store: applies journal events, in order, to FILE.h5 (layout in
 * docs/results-format.md). Rows are buffered per table and appended at each flush (the writer thread flushes per
 * finished trial). The trials table holds one row per configuration: a run that continues one (a promotion) updates
 * its row (rewritten in place once in the file) and adds a row to the rungs table; ids in curves, lineage, Pareto
 * and memory rows are the configuration's (the id of its first run). Groups, tables and attributes are created with the file out of SWMR mode; data is appended in
 * SWMR mode; switching back (a new experiment, the study's end) closes and reopens the file. Single-threaded.
 * Not here: the journal, the queue (store.c). Tested by tests/test_store.c and tests/test_store_h5py.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_model.h"

typedef struct table {
  char path[160];
  int n_cols;
  tb_h5_col *cols;  /* names owned (malloc'ed) */
  size_t *off, row_size;
  tb_h5_table *h;   /* open while in SWMR mode */
  tb_bytes rows;      /* packed rows waiting for the next flush */
  size_t n_rows;
  size_t n_file;      /* rows already in the file */
} table;

typedef struct cfg_row { /* a configuration: one row of its experiment's trials table */
  int64_t id;            /* the id of its first run */
  int exp;
  int64_t row;           /* its index in the table; -1 until its first run ends */
  int dirty;             /* in the file and changed since the last flush */
  int n_rungs;
  double units, seconds, train_time, start_time;
  int64_t peak_memory;
  uint8_t data[];        /* the packed row */
} cfg_row;

typedef struct run_rec { /* a run (journal trial): its configuration, kept for the study's life to map ids */
  cfg_row *cfg;
  double start_time, from, fidelity_max, fidelity_end; /* from: the fidelity its saved state starts at */
  int ended;
} run_rec;

typedef struct exp_info {
  int dim, n_obj;
  table trials, curves, lineage, pareto, rungs;
  cfg_row **dirty;       /* rows to rewrite at the next flush */
  size_t n_dirty, cap_dirty;
} exp_info;

struct tb_store_h5 {
  char *path;
  tb_h5_file *f;
  int swmr;
  exp_info *exps;
  int n_exps;
  table memory;
  tb_idmap runs;   /* run id -> run_rec */
  cfg_row **cfgs;  /* every configuration (owned) */
  size_t n_cfgs, cap_cfgs;
};

static const tb_h5_col CURVE_COLS[] = {{"trial", TB_H5_I64, 0},    {"step", TB_H5_I64, 0},
                                       {"fidelity", TB_H5_F64, 0}, {"train_loss", TB_H5_F64, 0},
                                       {"val_metric", TB_H5_F64, 0}, {"elapsed", TB_H5_F64, 0}};
static const tb_h5_col LINEAGE_COLS[] = {
    {"time", TB_H5_F64, 0},     {"member", TB_H5_I64, 0}, {"from_trial", TB_H5_I64, 0},
    {"to_trial", TB_H5_I64, 0}, {"kind", TB_H5_STR, 8},   {"old_params", TB_H5_STR, TB_STORE_JSON_MAX},
    {"new_params", TB_H5_STR, TB_STORE_JSON_MAX}};
static const tb_h5_col PARETO_COLS[] = {{"snapshot", TB_H5_I64, 0}, {"time", TB_H5_F64, 0},
                                        {"trial", TB_H5_I64, 0},    {"hypervolume", TB_H5_F64, 0}};
static const tb_h5_col MEMORY_COLS[] = {{"time", TB_H5_F64, 0},  {"experiment", TB_H5_I64, 0},
                                        {"trial", TB_H5_I64, 0}, {"bytes", TB_H5_I64, 0},
                                        {"device", TB_H5_STR, TB_STORE_DEVICE_MAX}};
static const tb_h5_col RUNG_COLS[] = {{"trial", TB_H5_I64, 0},   {"rung", TB_H5_I64, 0},
                                      {"fidelity", TB_H5_F64, 0}, {"value", TB_H5_F64, 0},
                                      {"seconds", TB_H5_F64, 0},  {"status", TB_H5_STR, 16}};
static const char *const TRIAL_FIXED[] = {"id", "strategy", "repetition", "seed", "parent_id", "retry_of", "status"};
static const tb_h5_col TRIAL_TAIL[] = {
    {"fidelity", TB_H5_F64, 0},         {"compute_units", TB_H5_F64, 0},    {"compute_seconds", TB_H5_F64, 0},
    {"start_time", TB_H5_F64, 0},       {"end_time", TB_H5_F64, 0},
    {"train_time", TB_H5_F64, 0},       {"peak_memory", TB_H5_I64, 0},      {"latency_p50_b1", TB_H5_F64, 0},
    {"latency_p99_b1", TB_H5_F64, 0},   {"latency_p50_b256", TB_H5_F64, 0}, {"latency_p99_b256", TB_H5_F64, 0},
    {"n_params", TB_H5_I64, 0},         {"reason", TB_H5_STR, TB_STORE_REASON_MAX}};
#define NTAIL ((int)(sizeof TRIAL_TAIL / sizeof *TRIAL_TAIL))

/* Sets up t with a copy of the column list and creates the dataset. */
static int table_create(tb_store_h5 *w, table *t, const char *path, int n, const tb_h5_col *cols, size_t chunk) {
  snprintf(t->path, sizeof t->path, "%s", path);
  t->cols = calloc((size_t)n, sizeof *t->cols);
  t->off = calloc((size_t)n, sizeof *t->off);
  if (!t->cols || !t->off) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  t->n_cols = n;
  for (int i = 0; i < n; i++) {
    t->cols[i] = cols[i];
    if (!(t->cols[i].name = strdup(cols[i].name))) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  }
  t->row_size = tb_h5_row_layout(n, t->cols, t->off);
  return tb_h5_table_create(w->f, path, n, t->cols, chunk);
}

static void table_free(table *t) {
  tb_h5_table_close(t->h);
  tb_h5_cols_free(t->cols, t->n_cols);
  free(t->off);
  tb_bytes_free(&t->rows);
  memset(t, 0, sizeof *t);
}

/* Room for one more row (zeroed); NULL when out of memory. */
static uint8_t *table_row(table *t) {
  static const uint8_t zero[4096];
  size_t left = t->row_size;
  size_t at = t->rows.n;
  while (left) {
    size_t k = left < sizeof zero ? left : sizeof zero;
    tb_bytes *b = &t->rows;
    if (b->n + k > b->cap) {
      size_t cap = b->cap ? 2 * b->cap : 64 * t->row_size;
      while (cap < b->n + k) cap *= 2;
      uint8_t *p = realloc(b->p, cap);
      if (!p) return NULL;
      b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, zero, k), b->n += k, left -= k;
  }
  t->n_rows++;
  return t->rows.p + at;
}
static void set_f64(table *t, uint8_t *row, int c, double v) { memcpy(row + t->off[c], &v, 8); }
static void set_i64(table *t, uint8_t *row, int c, int64_t v) { memcpy(row + t->off[c], &v, 8); }
static void set_str(table *t, uint8_t *row, int c, const char *s) {
  strncpy((char *)row + t->off[c], s ? s : "", t->cols[c].str_len - 1);
}

static int table_flush(tb_store_h5 *w, table *t) {
  int rc = TB_OK;
  if (!t->n_rows) return TB_OK;
  if (!t->h) TB_TRY(tb_h5_table_open(w->f, t->path, t->n_cols, t->cols, &t->h));
  TB_TRY(tb_h5_table_append(t->h, t->n_rows, t->rows.p));
  t->n_file += t->n_rows;
  t->rows.n = 0, t->n_rows = 0;
done:
  return rc;
}

/* Out of SWMR mode: groups, datasets and attributes can be created. */
static int ensure_setup(tb_store_h5 *w) {
  if (!w->swmr) return TB_OK;
  int rc = TB_OK;
  for (int e = 0; e < w->n_exps; e++) {
    table *ts[5] = {&w->exps[e].trials, &w->exps[e].curves, &w->exps[e].lineage, &w->exps[e].pareto,
                    &w->exps[e].rungs};
    for (int i = 0; i < 5; i++) tb_h5_table_close(ts[i]->h), ts[i]->h = NULL;
  }
  tb_h5_table_close(w->memory.h), w->memory.h = NULL;
  rc = tb_h5_close(w->f);
  w->f = NULL, w->swmr = 0;
  if (rc == TB_OK) rc = tb_h5_open_rw(w->path, &w->f);
  return rc;
}

int tb_store_h5_rename(tb_store_h5 *w, const char *path) {
  int rc = TB_OK;
  char *p = strdup(path);
  if (!p) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  TB_TRY(tb_store_h5_flush(w));
  if (rename(w->path, p)) TB_FAIL(TB_ERR_IO, "%s: cannot rename to %s: %s", w->path, p, strerror(errno));
  free(w->path), w->path = p, p = NULL;
done:
  free(p);
  return rc;
}

int tb_store_h5_flush(tb_store_h5 *w) {
  int rc = TB_OK;
  if (!w->swmr) {
    TB_TRY(tb_h5_swmr_start(w->f));
    w->swmr = 1;
  }
  for (int e = 0; e < w->n_exps; e++) {
    exp_info *x = &w->exps[e];
    TB_TRY(table_flush(w, &x->trials));
    if (x->n_dirty && !x->trials.h) TB_TRY(tb_h5_table_open(w->f, x->trials.path, x->trials.n_cols, x->trials.cols, &x->trials.h));
    for (; x->n_dirty; x->n_dirty--) {
      cfg_row *c = x->dirty[x->n_dirty - 1];
      TB_TRY(tb_h5_table_write_at(x->trials.h, (size_t)c->row, c->data));
      c->dirty = 0;
    }
    TB_TRY(table_flush(w, &w->exps[e].rungs));
    TB_TRY(table_flush(w, &w->exps[e].curves));
    TB_TRY(table_flush(w, &w->exps[e].lineage));
    TB_TRY(table_flush(w, &w->exps[e].pareto));
  }
  TB_TRY(table_flush(w, &w->memory));
  TB_TRY(tb_h5_flush(w->f));
done:
  return rc;
}

int tb_store_h5_create(const char *path, tb_store_h5 **out) {
  int rc = TB_OK;
  tb_store_h5 *w = calloc(1, sizeof *w);
  *out = NULL;
  if (!w || !(w->path = strdup(path))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  TB_TRY(tb_h5_create_latest(path, &w->f));
  TB_TRY(tb_h5_group_create(w->f, "/experiments"));
  TB_TRY(table_create(w, &w->memory, "/memory", 5, MEMORY_COLS, 1024));
  *out = w, w = NULL;
done:
  if (w) tb_store_h5_close(w);
  return rc;
}

static int add_experiment(tb_store_h5 *w, const tb_store_event *ev) {
  const tb_store_experiment *x = &ev->u.experiment.exp;
  int rc = TB_OK, d = tb_space_dim(x->space), k = x->n_objectives, nc = 7 + d + k + NTAIL;
  char g[128], path[160], cname[1][TB_PARAM_NAME_MAX + 16];
  tb_h5_col *cols = NULL;
  tb_space *decl = NULL; /* the learner's declared space: labels of fixed categoricals */
  char **names = NULL;
  const char *ptype[4] = {"float", "int", "categorical", "fixed"}, **pn = NULL, **pt = NULL, **dirs = NULL;
  if (ev->u.experiment.index != w->n_exps)
    return tb_error_set(TB_ERR_FORMAT, "experiment '%s' has index %d, expected %d", x->name, ev->u.experiment.index,
                        w->n_exps);
  exp_info *ne = realloc(w->exps, (size_t)(w->n_exps + 1) * sizeof *ne);
  if (!ne) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  w->exps = ne;
  exp_info *e = &w->exps[w->n_exps++];
  memset(e, 0, sizeof *e);
  e->dim = d, e->n_obj = k;
  TB_TRY(ensure_setup(w));
  snprintf(g, sizeof g, "/experiments/%s", x->name);
  TB_TRY(tb_h5_group_create(w->f, g));
  cols = calloc((size_t)nc, sizeof *cols), names = calloc((size_t)(d + k), sizeof *names);
  pn = calloc((size_t)d + 1, sizeof *pn), pt = calloc((size_t)d + 1, sizeof *pt), dirs = calloc((size_t)k + 1, sizeof *dirs);
  if (!cols || !names || !pn || !pt || !dirs) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  for (int i = 0; i < 7; i++)
    cols[i] = (tb_h5_col){TRIAL_FIXED[i], i == 1 || i == 6 ? TB_H5_STR : i == 3 ? TB_H5_U64 : TB_H5_I64,
                          i == 1 ? TB_STORE_STRATEGY_MAX : 16};
  for (int i = 0; i < d + k; i++) {
    const char *nm = i < d ? tb_space_param(x->space, i)->name : x->objective_names[i - d];
    size_t len = strlen(nm) + 8;
    if (!(names[i] = malloc(len))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    snprintf(names[i], len, "%s_%s", i < d ? "param" : "obj", nm);
    cols[7 + i] = (tb_h5_col){names[i], TB_H5_F64, 0};
  }
  for (int i = 0; i < NTAIL; i++) cols[7 + d + k + i] = TRIAL_TAIL[i];
  snprintf(path, sizeof path, "%s/trials", g);
  TB_TRY(table_create(w, &e->trials, path, nc, cols, 256));
  snprintf(path, sizeof path, "%s/curves", g);
  TB_TRY(table_create(w, &e->curves, path, 6, CURVE_COLS, 2048));
  snprintf(path, sizeof path, "%s/lineage", g);
  TB_TRY(table_create(w, &e->lineage, path, 7, LINEAGE_COLS, 64));
  snprintf(path, sizeof path, "%s/pareto", g);
  TB_TRY(table_create(w, &e->pareto, path, 4, PARETO_COLS, 512));
  snprintf(path, sizeof path, "%s/rungs", g);
  TB_TRY(table_create(w, &e->rungs, path, 6, RUNG_COLS, 512));
  int64_t idx = ev->u.experiment.index;
  TB_TRY(tb_h5_attr_write(w->f, g, "index", TB_H5_I64, 0, &idx));
  TB_TRY(tb_h5_attr_write(w->f, g, "learner", TB_H5_STR, 0, x->learner ? x->learner : ""));
  TB_TRY(tb_h5_attr_write(w->f, g, "dataset", TB_H5_STR, 0, x->dataset ? x->dataset : ""));
  for (int i = 0; i < d; i++) pn[i] = tb_space_param(x->space, i)->name, pt[i] = ptype[tb_space_param(x->space, i)->type & 3];
  for (int i = 0; i < k; i++) dirs[i] = x->maximize[i] ? "maximize" : "minimize";
  if (d) TB_TRY(tb_h5_attr_write(w->f, g, "parameters", TB_H5_STR, (size_t)d, pn));
  if (d) TB_TRY(tb_h5_attr_write(w->f, g, "parameter_types", TB_H5_STR, (size_t)d, pt));
  TB_TRY(tb_h5_attr_write(w->f, g, "objectives", TB_H5_STR, (size_t)k, x->objective_names));
  TB_TRY(tb_h5_attr_write(w->f, g, "objective_directions", TB_H5_STR, (size_t)k, dirs));
  for (int i = 0; i < ev->u.experiment.n_attrs; i++)
    TB_TRY(tb_h5_attr_write(w->f, g, ev->u.experiment.attr_names[i], TB_H5_F64, 0, &ev->u.experiment.attr_values[i]));
  for (int i = 0; i < d; i++) {
    const tb_param *p = tb_space_param(x->space, i);
    if (p->type != TB_PARAM_CATEGORICAL) continue;
    snprintf(cname[0], sizeof cname[0], "choices_%s", p->name);
    TB_TRY(tb_h5_attr_write(w->f, e->trials.path, cname[0], TB_H5_STR, (size_t)p->n_choices,
                            (const char *const *)p->choices));
  }
  /* A fixed parameter the learner declares categorical (optimizer: adam) holds a choice index too: its labels. */
  const tb_learner *L = x->learner ? tb_learner_find(x->learner) : NULL;
  if (L && tb_learner_space(L, &decl) == TB_OK)
    for (int i = 0; i < d; i++) {
      const tb_param *p = tb_space_param(x->space, i);
      int j = p->type == TB_PARAM_FIXED ? tb_space_find(decl, p->name) : -1;
      const tb_param *q = j >= 0 ? tb_space_param(decl, j) : NULL;
      if (!q || q->type != TB_PARAM_CATEGORICAL) continue;
      snprintf(cname[0], sizeof cname[0], "choices_%s", p->name);
      TB_TRY(tb_h5_attr_write(w->f, e->trials.path, cname[0], TB_H5_STR, (size_t)q->n_choices,
                              (const char *const *)q->choices));
    }
  tb_error_clear();
done:
  tb_space_free(decl);
  for (int i = 0; names && i < d + k; i++) free(names[i]);
  free(names), free(cols), free(pn), free(pt), free(dirs);
  return rc;
}

/* The configuration id of a run (-1: unknown run), and its experiment (-1). */
static int64_t cfg_id(tb_store_h5 *w, int64_t run) {
  run_rec *r = run >= 0 ? tb_idmap_get(&w->runs, run) : NULL;
  return r ? r->cfg->id : -1;
}
static int exp_of(tb_store_h5 *w, int64_t run) {
  run_rec *r = run >= 0 ? tb_idmap_get(&w->runs, run) : NULL;
  return r ? r->cfg->exp : -1;
}

/* A run begins: a new configuration (its row's fixed columns and parameters are set now) or a continuation. */
static int run_begin(tb_store_h5 *w, const tb_store_trial *tr) {
  if (tr->experiment < 0 || tr->experiment >= w->n_exps)
    return tb_error_set(TB_ERR_FORMAT, "trial %lld: no experiment %d", (long long)tr->id, tr->experiment);
  exp_info *e = &w->exps[tr->experiment];
  table *t = &e->trials;
  run_rec *parent = tr->parent_id >= 0 ? tb_idmap_get(&w->runs, tr->parent_id) : NULL;
  run_rec *r = calloc(1, sizeof *r);
  if (!r) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  r->start_time = tr->start_time, r->fidelity_max = tr->fidelity_max;
  r->from = parent ? parent->fidelity_end : 0;
  if (tr->continues) {
    if (!parent || !parent->ended) {
      free(r);
      return tb_error_set(TB_ERR_FORMAT, "trial %lld continues trial %lld, which has not ended", (long long)tr->id,
                          (long long)tr->parent_id);
    }
    r->cfg = parent->cfg;
  } else {
    cfg_row *c = calloc(1, sizeof *c + t->row_size);
    if (c && w->n_cfgs == w->cap_cfgs) {
      cfg_row **nc = realloc(w->cfgs, (w->cap_cfgs * 2 + 16) * sizeof *nc);
      if (nc) w->cfgs = nc, w->cap_cfgs = w->cap_cfgs * 2 + 16;
    }
    if (!c || w->n_cfgs == w->cap_cfgs) {
      free(c), free(r);
      return tb_error_set(TB_ERR_NOMEM, "out of host memory");
    }
    w->cfgs[w->n_cfgs++] = c;
    c->id = tr->id, c->exp = tr->experiment, c->row = -1, c->start_time = tr->start_time, c->peak_memory = -1;
    int k = 0;
    set_i64(t, c->data, k++, tr->id), set_str(t, c->data, k++, tr->strategy), set_i64(t, c->data, k++, tr->repetition);
    set_i64(t, c->data, k++, (int64_t)tr->seed), set_i64(t, c->data, k++, parent ? parent->cfg->id : tr->parent_id);
    set_i64(t, c->data, k++, tr->retry_of >= 0 && cfg_id(w, tr->retry_of) >= 0 ? cfg_id(w, tr->retry_of) : tr->retry_of);
    k++; /* status: at the end */
    for (int i = 0; i < e->dim; i++) set_f64(t, c->data, k++, tr->config[i]);
    r->cfg = c;
  }
  int rc = tb_idmap_put(&w->runs, tr->id, r);
  if (rc < 0) free(r);
  return rc;
}

/* A run ends: its rung row, and its configuration's row updated (placed at its first end). */
static int run_end(tb_store_h5 *w, const tb_store_result *res) {
  run_rec *r = tb_idmap_get(&w->runs, res->id);
  if (!r || r->ended) return tb_error_set(TB_ERR_FORMAT, "trial %lld ends without running", (long long)res->id);
  cfg_row *c = r->cfg;
  exp_info *e = &w->exps[c->exp];
  table *t = &e->trials, *g = &e->rungs;
  double secs = res->end_time - r->start_time;
  r->ended = 1, r->fidelity_end = res->fidelity;
  if (res->status != TB_TRIAL_INTERRUPTED && res->fidelity > r->from) c->units += res->fidelity - r->from;
  c->seconds += secs, c->train_time += res->train_time;
  if (res->peak_memory > c->peak_memory) c->peak_memory = res->peak_memory;
  uint8_t *row = table_row(g);
  if (!row) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  set_i64(g, row, 0, c->id), set_i64(g, row, 1, c->n_rungs++), set_f64(g, row, 2, res->fidelity);
  set_f64(g, row, 3, e->n_obj ? res->objectives[0] : NAN), set_f64(g, row, 4, secs);
  set_str(g, row, 5, tb_trial_status_name(res->status));
  /* stopped by its scheduler below the top rung: pruned, until a promotion continues it */
  tb_trial_status st = res->status == TB_TRIAL_COMPLETE && r->fidelity_max > 0 && res->fidelity < r->fidelity_max * (1 - 1e-9)
                           ? TB_TRIAL_PRUNED : res->status;
  int k = 6;
  set_str(t, c->data, k++, tb_trial_status_name(st));
  k += e->dim;
  for (int i = 0; i < e->n_obj; i++) set_f64(t, c->data, k++, res->objectives[i]);
  set_f64(t, c->data, k++, res->fidelity), set_f64(t, c->data, k++, c->units), set_f64(t, c->data, k++, c->seconds);
  set_f64(t, c->data, k++, c->start_time), set_f64(t, c->data, k++, res->end_time);
  set_f64(t, c->data, k++, c->train_time), set_i64(t, c->data, k++, c->peak_memory);
  set_f64(t, c->data, k++, res->latency_p50[0]), set_f64(t, c->data, k++, res->latency_p99[0]);
  set_f64(t, c->data, k++, res->latency_p50[1]), set_f64(t, c->data, k++, res->latency_p99[1]);
  set_i64(t, c->data, k++, res->n_params);
  memset(c->data + t->off[k], 0, t->cols[k].str_len), set_str(t, c->data, k++, res->reason);
  if (c->row < 0) { /* first end: appended */
    c->row = (int64_t)(t->n_file + t->n_rows);
    if (!(row = table_row(t))) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
    memcpy(row, c->data, t->row_size);
  } else if ((size_t)c->row >= t->n_file) { /* still buffered */
    memcpy(t->rows.p + ((size_t)c->row - t->n_file) * t->row_size, c->data, t->row_size);
  } else if (!c->dirty) { /* in the file: rewritten at the next flush */
    if (e->n_dirty == e->cap_dirty) {
      cfg_row **nd = realloc(e->dirty, (e->cap_dirty * 2 + 16) * sizeof *nd);
      if (!nd) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
      e->dirty = nd, e->cap_dirty = e->cap_dirty * 2 + 16;
    }
    e->dirty[e->n_dirty++] = c, c->dirty = 1;
  }
  return TB_OK;
}

int tb_store_h5_apply(tb_store_h5 *w, const tb_store_event *ev) {
  int rc = TB_OK, e;
  uint8_t *row;
  table *t;
  switch (ev->type) {
  case TB_STORE_EV_STUDY: {
    const tb_store_study *s = &ev->u.study;
    double end = 0;
    int64_t complete = 0;
    TB_TRY(ensure_setup(w));
    TB_TRY(tb_h5_attr_write(w->f, "/", "format", TB_H5_STR, 0, "tunebench-results"));
    int64_t fv = TB_STORE_FORMAT_VERSION;
    TB_TRY(tb_h5_attr_write(w->f, "/", "format_version", TB_H5_I64, 0, &fv));
    TB_TRY(tb_h5_attr_write(w->f, "/", "suite_name", TB_H5_STR, 0, s->suite_name));
    TB_TRY(tb_h5_attr_write(w->f, "/", "suite_text", TB_H5_STR, 0, s->suite_text));
    TB_TRY(tb_h5_attr_write(w->f, "/", "seeds", TB_H5_U64, (size_t)s->n_seeds, s->seeds));
    TB_TRY(tb_h5_attr_write(w->f, "/", "tunebench_version", TB_H5_STR, 0, s->version));
    TB_TRY(tb_h5_attr_write(w->f, "/", "device", TB_H5_STR, 0, s->device));
    TB_TRY(tb_h5_attr_write(w->f, "/", "card", TB_H5_STR, 0, s->card));
    TB_TRY(tb_h5_attr_write(w->f, "/", "host", TB_H5_STR, 0, s->host));
    TB_TRY(tb_h5_attr_write(w->f, "/", "start_time", TB_H5_F64, 0, &s->start_time));
    TB_TRY(tb_h5_attr_write(w->f, "/", "end_time", TB_H5_F64, 0, &end));
    TB_TRY(tb_h5_attr_write(w->f, "/", "complete", TB_H5_I64, 0, &complete));
    break;
  }
  case TB_STORE_EV_EXPERIMENT: TB_TRY(add_experiment(w, ev)); break;
  case TB_STORE_EV_TRIAL_BEGIN: TB_TRY(run_begin(w, &ev->u.trial)); break;
  case TB_STORE_EV_CURVE: {
    const tb_store_curve *c = &ev->u.curve;
    if ((e = exp_of(w, c->trial)) < 0) TB_FAIL(TB_ERR_FORMAT, "curve point of unknown trial %lld", (long long)c->trial);
    t = &w->exps[e].curves;
    if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    set_i64(t, row, 0, cfg_id(w, c->trial)), set_i64(t, row, 1, c->step), set_f64(t, row, 2, c->fidelity);
    set_f64(t, row, 3, c->train_loss), set_f64(t, row, 4, c->val_metric), set_f64(t, row, 5, c->elapsed);
    break;
  }
  case TB_STORE_EV_TRIAL_END: TB_TRY(run_end(w, &ev->u.result)); break;
  case TB_STORE_EV_LINEAGE: {
    const tb_store_lineage *l = &ev->u.lineage;
    if ((e = exp_of(w, l->to_trial)) < 0) TB_FAIL(TB_ERR_FORMAT, "lineage to unknown trial %lld", (long long)l->to_trial);
    t = &w->exps[e].lineage;
    if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    set_f64(t, row, 0, l->time), set_i64(t, row, 1, l->member), set_i64(t, row, 2, cfg_id(w, l->from_trial));
    set_i64(t, row, 3, cfg_id(w, l->to_trial)), set_str(t, row, 4, l->kind == TB_LINEAGE_EXPLOIT ? "exploit" : "explore");
    set_str(t, row, 5, l->old_params), set_str(t, row, 6, l->new_params);
    break;
  }
  case TB_STORE_EV_PARETO: {
    const tb_store_pareto *p = &ev->u.pareto;
    if (p->experiment < 0 || p->experiment >= w->n_exps) TB_FAIL(TB_ERR_FORMAT, "pareto: no experiment %d", p->experiment);
    t = &w->exps[p->experiment].pareto;
    for (int i = 0; i < (p->n_trials ? p->n_trials : 1); i++) { /* an empty front: one row with trial -1 */
      int64_t id = p->n_trials ? cfg_id(w, p->trial_ids[i]) : -1, seen = 0;
      for (int j = 0; j < i; j++) seen |= cfg_id(w, p->trial_ids[j]) == id; /* two rungs of one configuration */
      if (seen) continue;
      if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
      set_i64(t, row, 0, p->snapshot), set_f64(t, row, 1, p->time);
      set_i64(t, row, 2, id), set_f64(t, row, 3, p->hypervolume);
    }
    break;
  }
  case TB_STORE_EV_MEMORY: {
    const tb_store_memory *m = &ev->u.memory;
    t = &w->memory;
    if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    set_f64(t, row, 0, m->time), set_i64(t, row, 1, m->trial >= 0 ? exp_of(w, m->trial) : -1);
    set_i64(t, row, 2, m->trial >= 0 ? cfg_id(w, m->trial) : -1), set_i64(t, row, 3, m->bytes), set_str(t, row, 4, m->device);
    break;
  }
  case TB_STORE_EV_STUDY_END: {
    int64_t complete = ev->u.study_end.complete;
    TB_TRY(tb_store_h5_flush(w));
    TB_TRY(ensure_setup(w));
    TB_TRY(tb_h5_attr_write(w->f, "/", "end_time", TB_H5_F64, 0, &ev->u.study_end.end_time));
    TB_TRY(tb_h5_attr_write(w->f, "/", "complete", TB_H5_I64, 0, &complete));
    break;
  }
  }
done:
  return rc;
}

int tb_store_h5_close(tb_store_h5 *w) {
  if (!w) return TB_OK;
  int rc = w->f ? tb_store_h5_flush(w) : TB_OK;
  for (int e = 0; e < w->n_exps; e++) {
    table_free(&w->exps[e].trials), table_free(&w->exps[e].curves);
    table_free(&w->exps[e].lineage), table_free(&w->exps[e].pareto), table_free(&w->exps[e].rungs);
    free(w->exps[e].dirty);
  }
  table_free(&w->memory);
  int rc2 = tb_h5_close(w->f);
  for (size_t i = 0; i < w->runs.cap; i++)
    if (w->runs.keys[i] >= 0) free(w->runs.vals[i]);
  tb_idmap_free(&w->runs);
  for (size_t i = 0; i < w->n_cfgs; i++) free(w->cfgs[i]);
  free(w->cfgs);
  free(w->exps), free(w->path), free(w);
  return rc < 0 ? rc : rc2;
}
