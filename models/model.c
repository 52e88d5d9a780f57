/* model.c: the learner-independent part of models/: the registry of learners, the declared hyperparameters turned
 * into a tb_space (defaults, text setters, checks against the declaration: the one range of each hyperparameter),
 * the one decode of a configuration into the learner's settings (tb_learner_config), and the tb_model_* entry points, which check their arguments
 * and dispatch to the learner's table (model_impl.h). It also owns the host<->device part of predict (chunked
 * upload of X, download of the outputs) and the framing of saved states (a header: magic, learner name, data
 * shape, configuration hash, fidelity; then the learner's own blob).
 * It is not a learner (mlp.c, logreg.c, gbdt.c, forest.c); its only device data are predict's work buffers, kept in
 * the model between calls and released with it (the dataset is devdata.c's).
 * Fidelity: tb_model_train adds `units` to m->fidelity after a successful learner train call, unless the learner
 * changed m->fidelity itself (a learner that stops early sets it to what it really trained).
 * Tested by tests/test_model_core.c (space from declarations, set/check messages, save/restore/copy round trips,
 * memory estimate vs peak, bad arguments) and by every tests/test_model_<learner>.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

/* ---- registry ------------------------------------------------------------------------------------------------ */
static const tb_learner *const registry[] = {&tb_learner_mlp, &tb_learner_logreg, &tb_learner_gbdt,
                                             &tb_learner_forest, NULL};

const tb_learner *const *tb_learners(void) { return registry; }

const tb_learner *tb_learner_find(const char *name) {
  if (!name) return NULL;
  for (const tb_learner *const *L = registry; *L; L++)
    if (!strcmp((*L)->name, name)) return *L;
  return NULL;
}

const char *tb_learner_name(const tb_learner *L) { return L ? L->name : NULL; }
const char *tb_learner_fidelity_unit(const tb_learner *L) { return L ? L->fidelity_unit : NULL; }
int tb_learner_n_hparams(const tb_learner *L) { return L ? L->n_hparams : 0; }
const tb_param *tb_learner_hparam(const tb_learner *L, int i) {
  return L && i >= 0 && i < L->n_hparams ? &L->hparams[i] : NULL;
}
int tb_learner_hparam_find(const tb_learner *L, const char *name) {
  for (int i = 0; L && name && i < L->n_hparams; i++)
    if (!strcmp(L->hparams[i].name, name)) return i;
  return -1;
}
int tb_learner_supports(const tb_learner *L, tb_task task) {
  return L && task >= TB_TASK_CLASSIFICATION && task <= TB_TASK_REGRESSION && (L->tasks & (1 << task)) != 0;
}

int tb_learner_choice_fits(const tb_learner *L, const char *name, const char *choice, tb_task task, int n_classes) {
  return !L || !L->choice_fits || !name || !choice || L->choice_fits(name, choice, task, n_classes);
}

/* ---- declared search space ------------------------------------------------------------------------------------- */
int tb_learner_space(const tb_learner *L, tb_space **out) {
  int rc = TB_OK;
  tb_space *sp = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "learner space: NULL output");
  *out = NULL;
  if (!L) return tb_error_set(TB_ERR_INVALID, "learner space: NULL learner");
  TB_TRY(tb_space_init(&sp));
  TB_TRY(tb_space_add_params(sp, L->n_hparams, L->hparams));
  TB_TRY(tb_space_finalize(sp));
  tb_space_set_origin(sp, L); /* the declared space: tb_learner_config_create need not compare names again */
  *out = sp;
  sp = NULL;
done:
  if (rc < 0) tb_error_prefix(rc, "learner %s: ", L->name);
  tb_space_free(sp);
  return rc;
}

/* Inactive parameters become NAN; parameters that became active (NAN) take their default. Repeated until stable,
 * so chains of conditions settle whatever the declaration order. */
static void settle_activity(const tb_learner *L, const tb_space *sp, double *x) {
  for (int pass = 0; pass <= L->n_hparams; pass++) {
    int changed = 0;
    for (int i = 0; i < L->n_hparams; i++) {
      int act = tb_space_active(sp, x, i);
      if (!act && !isnan(x[i])) { x[i] = NAN; changed = 1; }
      else if (act && isnan(x[i])) { x[i] = L->hparams[i].def; changed = 1; }
    }
    if (!changed) break;
  }
}

void tb_learner_defaults(const tb_learner *L, const tb_space *sp, double *x) {
  if (!L || !sp || !x) return;
  for (int i = 0; i < L->n_hparams; i++) x[i] = L->hparams[i].def;
  settle_activity(L, sp, x);
}

/* "a, b, c" of the learner's keys or of a parameter's choices into buf. */
static const char *list_keys(const tb_learner *L, char *buf, size_t len) {
  size_t k = 0;
  buf[0] = '\0';
  for (int i = 0; i < L->n_hparams && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
                                                                          L->hparams[i].name);
  return buf;
}
static const char *list_choices(const tb_param *h, char *buf, size_t len) {
  size_t k = 0;
  buf[0] = '\0';
  for (int i = 0; i < h->n_choices && k < len; i++) k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "",
                                                                         h->choices[i]);
  return buf;
}

int tb_learner_set(const tb_learner *L, const tb_space *sp, double *x, const char *key, const char *value) {
  char list[1024];
  if (!L || !sp || !x || !key || !value) return tb_error_set(TB_ERR_INVALID, "learner set: NULL argument");
  int i = tb_learner_hparam_find(L, key);
  if (i < 0)
    return tb_error_set(TB_ERR_NOT_FOUND, "%s has no hyperparameter '%s'; allowed: %s", L->name, key,
                        list_keys(L, list, sizeof list));
  const tb_param *h = &L->hparams[i];
  double v;
  char *end;
  switch (h->type) {
  case TB_PARAM_CATEGORICAL:
    for (int c = 0; c < h->n_choices; c++)
      if (!strcmp(h->choices[c], value)) { v = c; goto parsed; }
    return tb_error_set(TB_ERR_INVALID, "%s: %s = '%s' is not one of: %s", L->name, key, value,
                        list_choices(h, list, sizeof list));
  case TB_PARAM_INT:
    v = strtod(value, &end);
    if (end == value || *end || !isfinite(v) || v != floor(v))
      return tb_error_set(TB_ERR_INVALID, "%s: %s = '%s' is not an integer (allowed: %g..%g)", L->name, key, value,
                          h->lo, h->hi);
    if (v < h->lo || v > h->hi)
      return tb_error_set(TB_ERR_INVALID, "%s: %s = %s is outside the allowed range %g..%g", L->name, key, value,
                          h->lo, h->hi);
    if (h->step > 1 && fmod(v - h->lo, h->step) != 0)
      return tb_error_set(TB_ERR_INVALID, "%s: %s = %s is not on the grid %g, %g, ... (step %g)", L->name, key, value,
                          h->lo, h->lo + h->step, h->step);
    break;
  case TB_PARAM_FLOAT:
    v = strtod(value, &end);
    if (end == value || *end || !isfinite(v))
      return tb_error_set(TB_ERR_INVALID, "%s: %s = '%s' is not a number (allowed: [%g, %g])", L->name, key, value,
                          h->lo, h->hi);
    if (v < h->lo || v > h->hi)
      return tb_error_set(TB_ERR_INVALID, "%s: %s = %s is outside the allowed range [%g, %g]", L->name, key, value,
                          h->lo, h->hi);
    break;
  default: /* fixed */
    v = strtod(value, &end);
    if (end == value || *end || v != h->value)
      return tb_error_set(TB_ERR_INVALID, "%s: %s is fixed at %g", L->name, key, h->value);
    break;
  }
parsed:
  if (!tb_space_active(sp, x, i)) {
    const tb_param *p = h->n_cond > 0 ? &L->hparams[h->parent] : NULL;
    size_t k = 0;
    list[0] = '\0';
    for (int c = 0; p && c < h->n_cond && k < sizeof list; c++) {
      double cv = h->cond_values[c];
      if (p->type == TB_PARAM_CATEGORICAL && cv >= 0 && cv < p->n_choices)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", c ? " or " : "", p->choices[(int)cv]);
      else
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%g", c ? " or " : "", cv);
    }
    return tb_error_set(TB_ERR_INVALID, "%s: %s applies only when %s is %s (set %s first)", L->name, key,
                        p ? p->name : "?", list, p ? p->name : "its parent");
  }
  x[i] = v;
  settle_activity(L, sp, x);
  return TB_OK;
}

/* The whole check of tb_learner_check, and the decode into `params` (L->params_size bytes; may be NULL when 0).
 * Reads x by index: the space check, each active value against its declaration, then the learner's decode of the
 * values with inactive ones at their declared defaults. */
static const char *check_decode(const tb_learner *L, const tb_space *sp, const double *x, void *params, char *buf,
                                size_t len) {
  double xd[TB_LEARNER_MAX_HPARAMS];
  if (tb_space_dim(sp) != L->n_hparams) {
    snprintf(buf, len, "the space has %d parameters but %s declares %d", tb_space_dim(sp), L->name, L->n_hparams);
    return buf;
  }
  if (L->n_hparams > TB_LEARNER_MAX_HPARAMS) {
    snprintf(buf, len, "%s declares %d hyperparameters (at most %d)", L->name, L->n_hparams, TB_LEARNER_MAX_HPARAMS);
    return buf;
  }
  const char *msg = tb_space_check(sp, x, buf, len);
  if (msg) return msg;
  for (int i = 0; i < L->n_hparams; i++) {
    if (isnan(x[i])) { /* inactive (the space check said so) */
      xd[i] = L->hparams[i].def;
      continue;
    }
    if ((msg = tb_param_check(&L->hparams[i], x[i], buf, len))) return msg;
    xd[i] = x[i];
  }
  return L->decode ? L->decode(xd, params, buf, len) : NULL;
}

const char *tb_learner_check(const tb_learner *L, const tb_space *sp, const double *x, char *buf, size_t len) {
  static const char *null_msg = "NULL learner, space or configuration";
  _Alignas(max_align_t) unsigned char params[TB_LEARNER_PARAMS_MAX];
  if (!L || !sp || !x || !buf || !len) return null_msg;
  if (L->params_size > sizeof params) {
    snprintf(buf, len, "%s's settings take %zu bytes (at most %zu)", L->name, L->params_size, sizeof params);
    return buf;
  }
  return check_decode(L, sp, x, L->params_size ? params : NULL, buf, len);
}

int tb_learner_config_create(const tb_learner *L, const tb_space *sp, const double *x, tb_learner_config **out) {
  char buf[512];
  if (!out) return tb_error_set(TB_ERR_INVALID, "learner config: NULL output");
  *out = NULL;
  if (!L || !sp || !x) return tb_error_set(TB_ERR_INVALID, "NULL learner, space or configuration");
  /* a space the caller built must have the declared names in order (the learner's own space has them) */
  for (int i = 0; tb_space_origin(sp) != L && i < L->n_hparams && tb_space_dim(sp) == L->n_hparams; i++)
    if (strcmp(tb_space_param(sp, i)->name, L->hparams[i].name))
      return tb_error_set(TB_ERR_INVALID, "the space is not %s's (parameter %d is '%s', not '%s')", L->name, i,
                          tb_space_param(sp, i)->name, L->hparams[i].name);
  /* one block: the struct, x (n doubles), the settings (aligned as malloc aligns) */
  size_t nx = (size_t)(L->n_hparams ? L->n_hparams : 1) * sizeof(double);
  size_t off = (sizeof(tb_learner_config) + nx + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) *
               _Alignof(max_align_t);
  tb_learner_config *c = malloc(off + (L->params_size ? L->params_size : 1));
  if (!c) return tb_error_set(TB_ERR_NOMEM, "learner config: out of host memory");
  c->L = L;
  c->sp = sp;
  c->x = (double *)(c + 1);
  c->params = L->params_size ? (unsigned char *)c + off : NULL;
  c->bytes = off + (L->params_size ? L->params_size : 1);
  memcpy(c->x, x, (size_t)L->n_hparams * sizeof *x);
  const char *msg = check_decode(L, sp, x, c->params, buf, sizeof buf);
  if (msg) {
    free(c);
    return tb_error_set(TB_ERR_INVALID, "%s configuration rejected: %s", L->name, msg);
  }
  *out = c;
  return TB_OK;
}

void tb_learner_config_free(tb_learner_config *c) { free(c); }

int tb_learner_config_copy(const tb_learner_config *c, tb_learner_config **out) {
  *out = NULL;
  if (!c) return tb_error_set(TB_ERR_INVALID, "learner config copy: NULL configuration");
  tb_learner_config *d = malloc(c->bytes);
  if (!d) return tb_error_set(TB_ERR_NOMEM, "learner config copy: out of host memory");
  memcpy(d, c, c->bytes);
  d->x = (double *)((unsigned char *)d + ((const unsigned char *)c->x - (const unsigned char *)c));
  d->params = c->params ? (unsigned char *)d + ((const unsigned char *)c->params - (const unsigned char *)c) : NULL;
  *out = d;
  return TB_OK;
}
const void *tb_learner_config_params(const tb_learner_config *c) { return c ? c->params : NULL; }

/* ---- models -------------------------------------------------------------------------------------------------- */
int tb_model_estimate_config(const tb_learner_config *c, size_t n_rows, int n_cols, int n_outputs, size_t *bytes) {
  if (!bytes) return tb_error_set(TB_ERR_INVALID, "estimate: NULL output");
  *bytes = 0;
  if (!c) return tb_error_set(TB_ERR_INVALID, "estimate: NULL configuration");
  if (n_rows < 1 || n_cols < 1 || n_outputs < 1)
    return tb_error_set(TB_ERR_INVALID, "estimate: bad data shape (%zu rows, %d columns, %d outputs)", n_rows, n_cols,
                        n_outputs);
  if (!c->L->estimate_bytes) return tb_error_set(TB_ERR_UNSUPPORTED, "estimate: %s has no memory estimate", c->L->name);
  return c->L->estimate_bytes(c->params, n_rows, n_cols, n_outputs, bytes);
}

int tb_model_estimate_bytes(const tb_learner *L, const tb_space *sp, const double *x, size_t n_rows, int n_cols,
                            int n_outputs, size_t *bytes) {
  tb_learner_config *c = NULL;
  if (!bytes) return tb_error_set(TB_ERR_INVALID, "estimate: NULL output");
  *bytes = 0;
  int rc = tb_learner_config_create(L, sp, x, &c);
  if (rc < 0) return tb_error_prefix(rc, "estimate: ");
  rc = tb_model_estimate_config(c, n_rows, n_cols, n_outputs, bytes);
  tb_learner_config_free(c);
  return rc;
}

static int check_rows(const tb_dataset *ds, const uint32_t *rows, size_t n, const char *what) {
  if (n && !rows) return tb_error_set(TB_ERR_INVALID, "%s: NULL row list of %zu rows", what, n);
  for (size_t i = 0; i < n; i++)
    if (rows[i] >= ds->n_rows)
      return tb_error_set(TB_ERR_INVALID, "%s: row index %u at position %zu is outside the dataset's %zu rows", what,
                          rows[i], i, ds->n_rows);
  return TB_OK;
}

static uint32_t *copy_rows(const uint32_t *rows, size_t n) {
  uint32_t *c = malloc((n ? n : 1) * sizeof *c);
  if (c && n) memcpy(c, rows, n * sizeof *c);
  return c;
}

int tb_model_create_config(const tb_learner_config *c, tb_devdata *dd, const tb_parts *parts, uint64_t seed,
                           tb_model **out) {
  int rc = TB_OK;
  tb_model *m = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "model create: NULL output");
  *out = NULL;
  if (!c) return tb_error_set(TB_ERR_INVALID, "model create: NULL configuration");
  const tb_learner *L = c->L;
  if (!dd || !parts) TB_FAIL(TB_ERR_INVALID, "model create: NULL data or parts");
  const tb_dataset *ds = tb_devdata_dataset(dd);
  if (!tb_learner_supports(L, ds->task))
    TB_FAIL(TB_ERR_UNSUPPORTED, "model create: %s does not do %s", L->name,
            ds->task == TB_TASK_CLASSIFICATION ? "classification" : "regression");
  if (parts->n_train < 1) TB_FAIL(TB_ERR_INVALID, "model create: no training rows");
  TB_TRY(check_rows(ds, parts->train, parts->n_train, "model create (train rows)"));
  TB_TRY(check_rows(ds, parts->valid, parts->n_valid, "model create (valid rows)"));
  if (L->refuses_missing && ds->missing != TB_MISSING_ERROR &&
      (tb_data_count_missing(ds, parts->train, parts->n_train) || tb_data_count_missing(ds, parts->valid, parts->n_valid)))
    TB_FAIL(TB_ERR_INVALID, "model create: %s cannot take missing values (NaN cells in %s); use missing=impute-mean "
            "in the SPEC, or a tree learner (gbdt, forest)", L->name, ds->name);
  m = calloc(1, sizeof *m);
  if (!m) TB_FAIL(TB_ERR_NOMEM, "model create: out of host memory");
  m->L = L;
  m->dd = dd;
  m->be = tb_devdata_backend(dd);
  m->seed = seed;
  m->train_loss = NAN;
  m->n_outputs = ds->task == TB_TASK_CLASSIFICATION ? ds->n_classes : 1;
  m->x = malloc((size_t)(L->n_hparams ? L->n_hparams : 1) * sizeof *m->x);
  m->params = malloc(L->params_size ? L->params_size : 1);
  m->train = copy_rows(parts->train, parts->n_train);
  m->valid = copy_rows(parts->valid, parts->n_valid);
  if (!m->x || !m->params || !m->train || !m->valid) TB_FAIL(TB_ERR_NOMEM, "model create: out of host memory");
  memcpy(m->x, c->x, (size_t)L->n_hparams * sizeof *m->x);
  if (L->params_size) memcpy(m->params, c->params, L->params_size);
  m->n_train = parts->n_train;
  m->n_valid = parts->n_valid;
  TB_TRY(L->create(m));
  *out = m;
  m = NULL;
done:
  tb_model_free(m);
  return rc;
}

int tb_model_create(const tb_learner *L, const tb_space *sp, const double *x, tb_devdata *dd, const tb_parts *parts,
                    uint64_t seed, tb_model **out) {
  tb_learner_config *c = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "model create: NULL output");
  *out = NULL;
  int rc = tb_learner_config_create(L, sp, x, &c);
  if (rc < 0) return tb_error_prefix(rc, "model create: ");
  rc = tb_model_create_config(c, dd, parts, seed, out);
  tb_learner_config_free(c);
  return rc;
}

void tb_model_free(tb_model *m) {
  if (!m) return;
  tb_backend_release(m->be, &m->pred_out);
  tb_backend_release(m->be, &m->pred_x);
  if (m->impl && m->L->destroy) m->L->destroy(m);
  free(m->x);
  free(m->params);
  free(m->train);
  free(m->valid);
  free(m);
}

int tb_model_train(tb_model *m, int units) {
  if (!m) return tb_error_set(TB_ERR_INVALID, "model train: NULL model");
  if (units < 1) return tb_error_set(TB_ERR_INVALID, "model train: units = %d (must be >= 1)", units);
  int before = m->fidelity;
  int rc = m->L->train(m, units);
  if (rc == TB_OK && m->fidelity == before) m->fidelity += units;
  return rc;
}

int tb_model_fidelity(const tb_model *m) { return m ? m->fidelity : 0; }
double tb_model_train_loss(const tb_model *m) { return m ? m->train_loss : NAN; }
int tb_model_n_outputs(const tb_model *m) { return m ? m->n_outputs : 0; }
size_t tb_model_n_params(const tb_model *m) { return m ? m->L->n_params(m) : 0; }

int tb_model_evaluate(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out) {
  if (!m || !out) return tb_error_set(TB_ERR_INVALID, "model evaluate: NULL model or output");
  if (n_rows < 1) return tb_error_set(TB_ERR_INVALID, "model evaluate: no rows to evaluate");
  int rc = check_rows(tb_devdata_dataset(m->dd), rows, n_rows, "model evaluate");
  if (rc < 0) return rc;
  memset(out, 0, sizeof *out);
  return m->L->evaluate(m, rows, n_rows, out);
}

/* Rows per predict chunk: about 8 MiB of features, at least 1. */
static size_t predict_chunk(int n_cols, int n_out) {
  size_t per_row = (size_t)(n_cols + n_out) * sizeof(float);
  size_t c = ((size_t)8 << 20) / per_row;
  return c ? c : 1;
}

/* The work buffers hold at least `rows` rows (the model keeps them: a batch-1 call costs no allocation). On failure
 * both are released and pred_rows is 0, so the next call starts over. */
static int predict_buffers(tb_model *m, size_t rows, int d, int k) {
  int rc = TB_OK;
  if (m->pred_rows >= rows) return TB_OK;
  tb_backend_release(m->be, &m->pred_out);
  tb_backend_release(m->be, &m->pred_x);
  m->pred_rows = 0;
  TB_TRY(tb_backend_alloc(m->be, rows * (size_t)d * sizeof(float), &m->pred_x));
  TB_TRY(tb_backend_alloc(m->be, rows * (size_t)k * sizeof(float), &m->pred_out));
  m->pred_rows = rows;
done:
  if (rc < 0) tb_backend_release(m->be, &m->pred_x);
  return rc;
}

int tb_model_predict(tb_model *m, const float *X, size_t n, float *out) {
  int rc = TB_OK;
  if (!m || !X || !out) return tb_error_set(TB_ERR_INVALID, "model predict: NULL model, X or output");
  if (n < 1) return tb_error_set(TB_ERR_INVALID, "model predict: no rows");
  const int d = tb_devdata_dataset(m->dd)->n_cols, k = m->n_outputs;
  size_t chunk = predict_chunk(d, k);
  if (chunk > n) chunk = n;
  TB_TRY(predict_buffers(m, chunk, d, k));
  for (size_t r = 0; r < n; r += chunk) {
    size_t c = n - r < chunk ? n - r : chunk;
    /* no wait for the upload: the download after the ops waits once for the whole chunk */
    TB_TRY(tb_backend_upload_async(m->be, m->pred_x.data, X + r * (size_t)d, c * (size_t)d * sizeof(float)));
    TB_TRY(m->L->predict_device(m, m->pred_x.data, c, m->pred_out.data));
    TB_TRY(tb_backend_download(m->be, out + r * (size_t)k, m->pred_out.data, c * (size_t)k * sizeof(float)));
  }
done:
  return rc;
}

/* ---- saved state ---------------------------------------------------------------------------------------------- */
#define TB_MODEL_MAGIC "TBMODEL1"
typedef struct {
  char magic[8];
  char learner[24];      /* NUL-padded name */
  uint64_t config_hash;  /* FNV-1a of the configuration (informational: PBT restores across configurations) */
  uint64_t blob_len;     /* bytes of the learner's blob that follow */
  int32_t n_cols, n_outputs;
  int32_t fidelity, reserved;
} model_header;

/* FNV-1a over the configuration's values, with every NaN hashed alike. */
static uint64_t config_hash(const tb_model *m) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < m->L->n_hparams; i++) {
    double v = isnan(m->x[i]) ? NAN : m->x[i];
    unsigned char b[sizeof v];
    memcpy(b, &v, sizeof v);
    for (size_t j = 0; j < sizeof v; j++) h = (h ^ b[j]) * 1099511628211ull;
  }
  return h;
}

int tb_model_save(const tb_model *m, void **blob, size_t *len) {
  int rc = TB_OK;
  void *inner = NULL;
  size_t inner_len = 0;
  if (!m || !blob || !len) return tb_error_set(TB_ERR_INVALID, "model save: NULL argument");
  *blob = NULL;
  *len = 0;
  TB_TRY(m->L->save(m, &inner, &inner_len));
  model_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, TB_MODEL_MAGIC, sizeof h.magic);
  snprintf(h.learner, sizeof h.learner, "%s", m->L->name);
  h.config_hash = config_hash(m);
  h.blob_len = inner_len;
  h.n_cols = tb_devdata_dataset(m->dd)->n_cols;
  h.n_outputs = m->n_outputs;
  h.fidelity = m->fidelity;
  unsigned char *b = malloc(sizeof h + inner_len);
  if (!b) TB_FAIL(TB_ERR_NOMEM, "model save: out of host memory (%zu bytes)", sizeof h + inner_len);
  memcpy(b, &h, sizeof h);
  if (inner_len) memcpy(b + sizeof h, inner, inner_len);
  *blob = b;
  *len = sizeof h + inner_len;
done:
  free(inner);
  return rc;
}

int tb_model_restore(tb_model *m, const void *blob, size_t len) {
  model_header h;
  if (!m || !blob) return tb_error_set(TB_ERR_INVALID, "model restore: NULL argument");
  if (len < sizeof h) return tb_error_set(TB_ERR_FORMAT, "model restore: %zu bytes is too short for a saved model", len);
  memcpy(&h, blob, sizeof h);
  if (memcmp(h.magic, TB_MODEL_MAGIC, sizeof h.magic))
    return tb_error_set(TB_ERR_FORMAT, "model restore: not a saved tunebench model (bad magic)");
  if (strncmp(h.learner, m->L->name, sizeof h.learner))
    return tb_error_set(TB_ERR_INVALID, "model restore: the state is of learner '%.*s', the model is %s",
                        (int)sizeof h.learner, h.learner, m->L->name);
  if (h.blob_len != len - sizeof h)
    return tb_error_set(TB_ERR_FORMAT, "model restore: truncated or padded state (%zu bytes for a %llu-byte blob)",
                        len - sizeof h, (unsigned long long)h.blob_len);
  int d = tb_devdata_dataset(m->dd)->n_cols;
  if (h.n_cols != d || h.n_outputs != m->n_outputs)
    return tb_error_set(TB_ERR_INVALID, "model restore: the state is for %d features and %d outputs, the model has %d "
                        "and %d", h.n_cols, h.n_outputs, d, m->n_outputs);
  if (h.fidelity < 0) return tb_error_set(TB_ERR_FORMAT, "model restore: negative fidelity %d", h.fidelity);
  int rc = m->L->restore(m, (const unsigned char *)blob + sizeof h, (size_t)h.blob_len);
  if (rc == TB_OK) m->fidelity = h.fidelity;
  return rc;
}

int tb_model_copy(tb_model *dst, const tb_model *src) {
  void *blob = NULL;
  size_t len = 0;
  if (!dst || !src) return tb_error_set(TB_ERR_INVALID, "model copy: NULL model");
  if (dst == src) return TB_OK;
  int rc = tb_model_save(src, &blob, &len);
  if (rc == TB_OK) rc = tb_model_restore(dst, blob, len);
  free(blob);
  return rc;
}
