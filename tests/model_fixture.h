/* model_fixture.h: the set-up every model test repeats, written once (test_model_core.c, test_model_forest.c,
 * test_model_gbdt.c, test_model_logreg.c, test_model_mlp.c, test_model_fused.c): a dataset split into train and
 * valid rows, optionally standardised on its train rows, placed on the CPU backend, with a learner's search space;
 * configurations from "key=value" settings; models over the fixture's rows; predictions and metrics of given rows.
 * It is test code, not a library API: failures are CUnit assertions (TB_CHECK_OK), and it is exercised by the tests
 * that include it (a broken fixture fails all of them). Each test binds its own data, split seed and learner. */
#ifndef TB_MODEL_FIXTURE_H
#define TB_MODEL_FIXTURE_H
#include <stdlib.h>
#include <string.h>

#include "tb_model.h"
#include "tb_test.h"

typedef struct {
  tb_dataset *ds;      /* owned */
  tb_backend *be;      /* the CPU backend */
  tb_devdata *dd;      /* ds on be */
  tb_splits sp;        /* mfx_open_split: tb_data_split's parts (empty after mfx_open_rows) */
  uint32_t *rows;      /* mfx_open_rows: train rows first, then valid rows (NULL after mfx_open_split) */
  size_t n_train, n_valid;
  tb_parts parts;      /* the rows models train and validate on */
  const tb_learner *L;
  tb_space *space;     /* L's search space */
  double *x;           /* a configuration of space, set to L's defaults */
} mfx;

/* The dataset of a SPEC (asserted to load). */
static inline tb_dataset *mfx_load(const char *spec) {
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load(spec, &ds));
  return ds;
}

/* The part common to both openings: standardise on the train rows, backend, devdata, learner, space, defaults. */
static inline void mfx_finish_open_(mfx *f, const char *learner, int standardize) {
  if (standardize) {
    tb_standardizer st = {0};
    TB_CHECK_OK(tb_standardizer_fit(f->ds, f->parts.train, f->parts.n_train, &st));
    TB_CHECK_OK(tb_standardizer_apply(&st, f->ds));
    tb_standardizer_free(&st);
  }
  tb_device dev = {TB_DEVICE_CPU, 0};
  TB_CHECK_OK(tb_backend_open(&dev, &f->be));
  TB_CHECK_OK(tb_devdata_create(f->be, f->ds, &f->dd));
  f->L = tb_learner_find(learner);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->L);
  TB_CHECK_OK(tb_learner_space(f->L, &f->space));
  f->x = malloc((size_t)tb_space_dim(f->space) * sizeof *f->x);
  tb_learner_defaults(f->L, f->space, f->x);
}

/* Takes ownership of ds and splits it with tb_data_split(ss): models train on sp.train and validate on sp.valid. */
static inline void mfx_open_split(mfx *f, const char *learner, tb_dataset *ds, const tb_split_spec *ss,
                                  int standardize) {
  memset(f, 0, sizeof *f);
  f->ds = ds;
  TB_CHECK_OK(tb_data_split(f->ds, ss, &f->sp));
  f->n_train = f->sp.n_train, f->n_valid = f->sp.n_valid;
  f->parts = (tb_parts){f->sp.train, f->sp.n_train, f->sp.valid, f->sp.n_valid};
  mfx_finish_open_(f, learner, standardize);
}

/* tb_data_split with its defaults but the given seed and fractions. */
static inline tb_split_spec mfx_split_spec(uint64_t seed, double valid_frac, double test_frac) {
  tb_split_spec ss = tb_split_spec_default();
  ss.seed = seed;
  ss.valid_frac = valid_frac;
  ss.test_frac = test_frac;
  return ss;
}

/* Loads spec and standardises it on its train rows: the first n_train rows (all but a quarter if 0) train, the rest
 * validate; with `scrambled` the row order is i*7919 mod n instead of 0..n-1. */
static inline void mfx_open_rows(mfx *f, const char *learner, const char *spec, size_t n_train, int scrambled) {
  memset(f, 0, sizeof *f);
  f->ds = mfx_load(spec);
  size_t n = f->ds->n_rows;
  f->n_train = n_train ? n_train : n * 3 / 4;
  f->n_valid = n - f->n_train;
  f->rows = malloc(n * sizeof *f->rows);
  for (size_t i = 0; i < n; i++) f->rows[i] = (uint32_t)(scrambled ? (i * 7919u) % n : i);
  f->parts = (tb_parts){f->rows, f->n_train, f->rows + f->n_train, f->n_valid};
  mfx_finish_open_(f, learner, 1);
}

static inline void mfx_close(mfx *f) {
  tb_space_free(f->space);
  tb_devdata_free(f->dd);
  tb_backend_free(f->be);
  tb_splits_free(&f->sp);
  tb_dataset_free(f->ds);
  free(f->rows);
  free(f->x);
}

/* x = the learner's defaults, then "key=value" settings (NULL-terminated list, may be NULL); returns the
 * tb_learner_set status of the first setting that fails, TB_OK when all apply. */
static inline int mfx_config(mfx *f, const char *const *sets, double *x) {
  tb_learner_defaults(f->L, f->space, x);
  for (const char *const *s = sets; s && *s; s++) {
    char key[64];
    const char *eq = strchr(*s, '=');
    CU_ASSERT_PTR_NOT_NULL_FATAL(eq);
    snprintf(key, sizeof key, "%.*s", (int)(eq - *s), *s);
    int rc = tb_learner_set(f->L, f->space, x, key, eq + 1);
    if (rc < 0) return rc;
  }
  return TB_OK;
}

/* x = the defaults, then "key=value key=value ..." (space-separated, each asserted to apply); x NULL: a malloc'ed
 * configuration the caller frees. Returns x. */
static inline double *mfx_config_str(mfx *f, double *x, const char *kvs) {
  char buf[2048], *save = NULL;
  if (!x) x = malloc((size_t)tb_space_dim(f->space) * sizeof *x);
  tb_learner_defaults(f->L, f->space, x);
  snprintf(buf, sizeof buf, "%s", kvs);
  for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
    char *eq = strchr(t, '=');
    CU_ASSERT_PTR_NOT_NULL_FATAL(eq);
    *eq = '\0';
    TB_CHECK_OK(tb_learner_set(f->L, f->space, x, t, eq + 1));
  }
  return x;
}

/* A model of configuration x and seed over the fixture's parts (creation asserted to succeed). */
static inline tb_model *mfx_model(mfx *f, const double *x, uint64_t seed) {
  tb_model *m = NULL;
  TB_CHECK_OK(tb_model_create(f->L, f->space, x, f->dd, &f->parts, seed, &m));
  return m;
}

/* A model of the defaults plus "key=value" settings (NULL-terminated, each asserted to apply). */
static inline tb_model *mfx_make(mfx *f, const char *const *sets, uint64_t seed) {
  double x[64];
  CU_ASSERT_FATAL(tb_space_dim(f->space) <= 64);
  TB_CHECK_OK(mfx_config(f, sets, x));
  return mfx_model(f, x, seed);
}

/* Predictions (host, through tb_model_predict) for the rows idx of the dataset: malloc'ed, n * n_outputs. */
static inline float *mfx_predict_rows(mfx *f, tb_model *m, const uint32_t *idx, size_t n) {
  int d = f->ds->n_cols, k = tb_model_n_outputs(m);
  float *X = malloc(n * (size_t)d * sizeof *X), *out = malloc(n * (size_t)k * sizeof *out);
  for (size_t i = 0; i < n; i++) memcpy(X + i * d, f->ds->X + (size_t)idx[i] * d, (size_t)d * sizeof *X);
  TB_CHECK_OK(tb_model_predict(m, X, n, out));
  free(X);
  return out;
}

/* tb_model_evaluate on the given rows (asserted to succeed). */
static inline tb_metrics mfx_eval_rows(tb_model *m, const uint32_t *rows, size_t n) {
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, rows, n, &mt));
  return mt;
}
#endif
