/* store_h5.c: the HDF5 side of the results store: applies journal events, in order, to FILE.h5 (layout in
 * docs/results-format.md). Rows are buffered per table and appended at each flush (the writer thread flushes per
 * finished trial). Groups, tables and attributes are created with the file out of SWMR mode; data is appended in
 * SWMR mode; switching back (a new experiment, the study's end) closes and reopens the file. Single-threaded.
 * Not here: the journal, the queue (store.c). Tested by tests/test_store.c and tests/test_store_h5py.c. */
#include <errno.h>
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
} table;

typedef struct exp_info {
  int dim, n_obj;
  table trials, curves, lineage, pareto;
} exp_info;

typedef struct open_trial { /* a begun trial, until its end */
  tb_store_trial t;
  char strategy[TB_STORE_STRATEGY_MAX];
  double config[];
} open_trial;

struct tb_store_h5 {
  char *path;
  tb_h5_file *f;
  int swmr;
  exp_info *exps;
  int n_exps;
  table memory;
  tb_idmap open;   /* id -> open_trial */
  tb_idmap exp_of; /* id -> (void *)(experiment + 1) */
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
static const char *const TRIAL_FIXED[] = {"id", "strategy", "repetition", "seed", "parent_id", "retry_of", "status"};
static const tb_h5_col TRIAL_TAIL[] = {
    {"fidelity", TB_H5_F64, 0},         {"start_time", TB_H5_F64, 0},       {"end_time", TB_H5_F64, 0},
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
  t->rows.n = 0, t->n_rows = 0;
done:
  return rc;
}

/* Out of SWMR mode: groups, datasets and attributes can be created. */
static int ensure_setup(tb_store_h5 *w) {
  if (!w->swmr) return TB_OK;
  int rc = TB_OK;
  for (int e = 0; e < w->n_exps; e++) {
    table *ts[4] = {&w->exps[e].trials, &w->exps[e].curves, &w->exps[e].lineage, &w->exps[e].pareto};
    for (int i = 0; i < 4; i++) tb_h5_table_close(ts[i]->h), ts[i]->h = NULL;
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
    TB_TRY(table_flush(w, &w->exps[e].trials));
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

static int exp_of(tb_store_h5 *w, int64_t trial) {
  return (int)(intptr_t)tb_idmap_get(&w->exp_of, trial) - 1;
}

static int trial_row(tb_store_h5 *w, const tb_store_result *r) {
  open_trial *o = tb_idmap_get(&w->open, r->id);
  if (!o) return tb_error_set(TB_ERR_FORMAT, "trial %lld ends without having begun", (long long)r->id);
  exp_info *e = &w->exps[o->t.experiment];
  table *t = &e->trials;
  uint8_t *row = table_row(t);
  if (!row) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  int c = 0;
  set_i64(t, row, c++, o->t.id), set_str(t, row, c++, o->strategy), set_i64(t, row, c++, o->t.repetition);
  set_i64(t, row, c++, (int64_t)o->t.seed), set_i64(t, row, c++, o->t.parent_id);
  set_i64(t, row, c++, o->t.retry_of), set_str(t, row, c++, tb_trial_status_name(r->status));
  for (int i = 0; i < e->dim; i++) set_f64(t, row, c++, o->config[i]);
  for (int i = 0; i < e->n_obj; i++) set_f64(t, row, c++, r->objectives[i]);
  set_f64(t, row, c++, r->fidelity), set_f64(t, row, c++, o->t.start_time), set_f64(t, row, c++, r->end_time);
  set_f64(t, row, c++, r->train_time), set_i64(t, row, c++, r->peak_memory);
  set_f64(t, row, c++, r->latency_p50[0]), set_f64(t, row, c++, r->latency_p99[0]);
  set_f64(t, row, c++, r->latency_p50[1]), set_f64(t, row, c++, r->latency_p99[1]);
  set_i64(t, row, c++, r->n_params), set_str(t, row, c++, r->reason);
  tb_idmap_del(&w->open, r->id);
  free(o);
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
    int64_t fv = 1;
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
  case TB_STORE_EV_TRIAL_BEGIN: {
    const tb_store_trial *tr = &ev->u.trial;
    if (tr->experiment < 0 || tr->experiment >= w->n_exps)
      TB_FAIL(TB_ERR_FORMAT, "trial %lld: no experiment %d", (long long)tr->id, tr->experiment);
    int d = w->exps[tr->experiment].dim;
    open_trial *o = malloc(sizeof *o + (size_t)d * sizeof(double));
    if (!o) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    o->t = *tr;
    snprintf(o->strategy, sizeof o->strategy, "%s", tr->strategy ? tr->strategy : "");
    memcpy(o->config, tr->config, (size_t)d * sizeof(double));
    if ((rc = tb_idmap_put(&w->open, tr->id, o)) < 0) free(o);
    if (rc == TB_OK) rc = tb_idmap_put(&w->exp_of, tr->id, (void *)(intptr_t)(tr->experiment + 1));
    break;
  }
  case TB_STORE_EV_CURVE: {
    const tb_store_curve *c = &ev->u.curve;
    if ((e = exp_of(w, c->trial)) < 0) TB_FAIL(TB_ERR_FORMAT, "curve point of unknown trial %lld", (long long)c->trial);
    t = &w->exps[e].curves;
    if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    set_i64(t, row, 0, c->trial), set_i64(t, row, 1, c->step), set_f64(t, row, 2, c->fidelity);
    set_f64(t, row, 3, c->train_loss), set_f64(t, row, 4, c->val_metric), set_f64(t, row, 5, c->elapsed);
    break;
  }
  case TB_STORE_EV_TRIAL_END: TB_TRY(trial_row(w, &ev->u.result)); break;
  case TB_STORE_EV_LINEAGE: {
    const tb_store_lineage *l = &ev->u.lineage;
    if ((e = exp_of(w, l->to_trial)) < 0) TB_FAIL(TB_ERR_FORMAT, "lineage to unknown trial %lld", (long long)l->to_trial);
    t = &w->exps[e].lineage;
    if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    set_f64(t, row, 0, l->time), set_i64(t, row, 1, l->member), set_i64(t, row, 2, l->from_trial);
    set_i64(t, row, 3, l->to_trial), set_str(t, row, 4, l->kind == TB_LINEAGE_EXPLOIT ? "exploit" : "explore");
    set_str(t, row, 5, l->old_params), set_str(t, row, 6, l->new_params);
    break;
  }
  case TB_STORE_EV_PARETO: {
    const tb_store_pareto *p = &ev->u.pareto;
    if (p->experiment < 0 || p->experiment >= w->n_exps) TB_FAIL(TB_ERR_FORMAT, "pareto: no experiment %d", p->experiment);
    t = &w->exps[p->experiment].pareto;
    for (int i = 0; i < (p->n_trials ? p->n_trials : 1); i++) { /* an empty front: one row with trial -1 */
      if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
      set_i64(t, row, 0, p->snapshot), set_f64(t, row, 1, p->time);
      set_i64(t, row, 2, p->n_trials ? p->trial_ids[i] : -1), set_f64(t, row, 3, p->hypervolume);
    }
    break;
  }
  case TB_STORE_EV_MEMORY: {
    const tb_store_memory *m = &ev->u.memory;
    t = &w->memory;
    if (!(row = table_row(t))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    set_f64(t, row, 0, m->time), set_i64(t, row, 1, m->trial >= 0 ? exp_of(w, m->trial) : -1);
    set_i64(t, row, 2, m->trial), set_i64(t, row, 3, m->bytes), set_str(t, row, 4, m->device);
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
    table_free(&w->exps[e].lineage), table_free(&w->exps[e].pareto);
  }
  table_free(&w->memory);
  int rc2 = tb_h5_close(w->f);
  for (size_t i = 0; i < w->open.cap; i++)
    if (w->open.keys[i] >= 0) free(w->open.vals[i]);
  tb_idmap_free(&w->open), tb_idmap_free(&w->exp_of);
  free(w->exps), free(w->path), free(w);
  return rc < 0 ? rc : rc2;
}
