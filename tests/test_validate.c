/* test_validate.c: tests of host/data/validate.c (holdout, k-fold CV with t-based CI, nested CV, one-shot final test).
 * The learner is a nearest-centroid classifier written here (using the first m features; m is its one
 * hyperparameter), on gen:classification data from a fixed seed. References are computed here in double from the
 * fold assignment and split that tb_data_kfold / tb_data_split give; the 95% CI uses t(0.975, 4) = 2.776 for k = 5
 * (tolerance 1e-3 on t, since the table value is rounded). Not tested here: real learners (another module).
 */
#include <math.h>
#include <string.h>

#include "tb_data.h"
#include "tb_test.h"
#include "tb_validate.h"

/* ---- the learner: nearest centroid on the first m features, scored by accuracy -------------------------------- */
typedef struct {
  int m;          /* features used */
  int n_calls;    /* fit/score calls seen */
  int check_rows; /* 1: assert train and eval are disjoint */
} nc_config;

static double nc_accuracy(const tb_dataset *ds, int m, const uint32_t *train, size_t n_train, const uint32_t *eval,
                          size_t n_eval) {
  int c = ds->n_classes, d = ds->n_cols;
  double *cent = calloc((size_t)c * d, sizeof *cent);
  size_t *cnt = calloc((size_t)c, sizeof *cnt);
  for (size_t i = 0; i < n_train; i++) {
    int y = ds->y_class[train[i]];
    cnt[y]++;
    for (int j = 0; j < m; j++) cent[y * d + j] += ds->X[(size_t)train[i] * d + j];
  }
  for (int y = 0; y < c; y++)
    for (int j = 0; j < m; j++) cent[y * d + j] /= cnt[y] ? (double)cnt[y] : 1.0;
  size_t ok = 0;
  for (size_t i = 0; i < n_eval; i++) {
    int best = -1;
    double bd = INFINITY;
    for (int y = 0; y < c; y++) {
      if (!cnt[y]) continue;
      double dist = 0.0;
      for (int j = 0; j < m; j++) {
        double t = ds->X[(size_t)eval[i] * d + j] - cent[y * d + j];
        dist += t * t;
      }
      if (dist < bd) bd = dist, best = y;
    }
    ok += best == ds->y_class[eval[i]];
  }
  free(cent);
  free(cnt);
  return (double)ok / (double)n_eval;
}

static int nc_fit_score(void *ctx, const tb_dataset *ds, const uint32_t *train, size_t n_train, const uint32_t *eval,
                        size_t n_eval, double *score) {
  nc_config *cfg = ctx;
  cfg->n_calls++;
  CU_ASSERT(n_train > 0 && n_eval > 0);
  if (cfg->check_rows) {
    unsigned char *in_train = calloc(ds->n_rows, 1);
    for (size_t i = 0; i < n_train; i++) in_train[train[i]] = 1;
    for (size_t i = 0; i < n_eval; i++) CU_ASSERT_FALSE(in_train[eval[i]]);
    free(in_train);
  }
  *score = nc_accuracy(ds, cfg->m, train, n_train, eval, n_eval);
  return TB_OK;
}

static tb_dataset *load(const char *spec) {
  tb_dataset *ds = NULL;
  int rc = tb_data_load(spec, &ds);
  if (rc != TB_OK) fprintf(stderr, "load %s: %s\n", spec, tb_error_detail());
  CU_ASSERT_FATAL(rc == TB_OK);
  return ds;
}

#define SPEC "gen:classification?n=240&d=6&informative=3&redundant=1&classes=3&class_sep=0.8&flip=0.05&seed=11"

/* Rows of fold f and the others, from a fold array over rows (NULL: 0..n-1). */
static void split_fold(const uint32_t *rows, const int *fold, size_t n, int f, uint32_t *tr, size_t *n_tr,
                       uint32_t *ev, size_t *n_ev) {
  *n_tr = *n_ev = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t r = rows ? rows[i] : (uint32_t)i;
    if (fold[i] == f)
      ev[(*n_ev)++] = r;
    else
      tr[(*n_tr)++] = r;
  }
}

/* Hand computation of mean, sample sd and CI with a given t. */
static void hand_ci(const double *s, int k, double t, double *mean, double *lo, double *hi) {
  double m = 0.0, ss = 0.0;
  for (int i = 0; i < k; i++) m += s[i];
  m /= k;
  for (int i = 0; i < k; i++) ss += (s[i] - m) * (s[i] - m);
  double half = t * sqrt(ss / (k - 1)) / sqrt((double)k);
  *mean = m, *lo = m - half, *hi = m + half;
}

/* ---- k-fold ----------------------------------------------------------------------------------------------------- */
static void test_kfold_ci(void) {
  tb_dataset *ds = load(SPEC);
  size_t n = ds->n_rows;
  nc_config cfg = {.m = 6, .check_rows = 1};
  tb_cv_result r;
  TB_CHECK_OK(tb_validate_kfold(ds, NULL, n, 5, 3, 1, nc_fit_score, &cfg, &r));
  CU_ASSERT_EQUAL(r.k, 5);
  CU_ASSERT_EQUAL(r.n, n);
  CU_ASSERT_EQUAL(cfg.n_calls, 5);
  /* the folds are tb_data_kfold's */
  int *fold = malloc(n * sizeof *fold);
  TB_CHECK_OK(tb_data_kfold(ds, NULL, n, 5, 3, 1, fold));
  CU_ASSERT_EQUAL(memcmp(fold, r.fold, n * sizeof *fold), 0);
  /* each fold score by hand */
  uint32_t *tr = malloc(n * sizeof *tr), *ev = malloc(n * sizeof *ev);
  double s[5];
  for (int f = 0; f < 5; f++) {
    size_t ntr, nev;
    split_fold(NULL, fold, n, f, tr, &ntr, ev, &nev);
    CU_ASSERT_EQUAL(ntr + nev, n);
    s[f] = nc_accuracy(ds, 6, tr, ntr, ev, nev);
    CU_ASSERT_DOUBLE_EQUAL(r.scores[f], s[f], 1e-12);
  }
  double mean, lo, hi;
  hand_ci(s, 5, 2.776, &mean, &lo, &hi);
  CU_ASSERT_DOUBLE_EQUAL(r.t, 2.776, 1e-3);
  CU_ASSERT_DOUBLE_EQUAL(r.mean, mean, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(r.ci_lo, lo, 1e-3 * (mean - lo) + 1e-12); /* t rounded to 3 decimals */
  CU_ASSERT_DOUBLE_EQUAL(r.ci_hi, hi, 1e-3 * (hi - mean) + 1e-12);
  CU_ASSERT(r.ci_lo < r.mean && r.mean < r.ci_hi); /* the folds differ, so the CI is not empty */
  CU_ASSERT(r.mean > 0.5);                         /* 3 separated classes: well above chance (1/3) */
  /* summarize alone, on known numbers: scores 1..5, mean 3, sd sqrt(2.5), t(0.975, 4) */
  double known[5] = {1, 2, 3, 4, 5};
  tb_cv_result kr = {.k = 5, .scores = known};
  TB_CHECK_OK(tb_validate_summarize(&kr));
  CU_ASSERT_DOUBLE_EQUAL(kr.sd, sqrt(2.5), 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(kr.ci_hi - 3.0, 2.776 * sqrt(2.5) / sqrt(5.0), 1e-3);
  /* k = 10: t(0.975, 9) = 2.262 */
  tb_cv_result r10;
  TB_CHECK_OK(tb_validate_kfold(ds, NULL, n, 10, 3, 1, nc_fit_score, &cfg, &r10));
  CU_ASSERT_DOUBLE_EQUAL(r10.t, 2.262, 1e-3);
  tb_cv_result_free(&r10);
  free(tr);
  free(ev);
  free(fold);
  tb_cv_result_free(&r);
  tb_cv_result_free(&r); /* freeing twice is harmless: free zeroes */
  tb_dataset_free(ds);
}

static void test_kfold_stratified(void) {
  tb_dataset *ds = load(SPEC);
  /* cross-validate a subset: every other row */
  size_t n = ds->n_rows / 2;
  uint32_t *rows = malloc(n * sizeof *rows);
  for (size_t i = 0; i < n; i++) rows[i] = (uint32_t)(2 * i + 1);
  nc_config cfg = {.m = 3, .check_rows = 1};
  tb_cv_result r;
  int k = 4;
  TB_CHECK_OK(tb_validate_kfold(ds, rows, n, k, 9, 1, nc_fit_score, &cfg, &r));
  size_t m_c[3] = {0}, per[4][3] = {{0}};
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT(r.fold[i] >= 0 && r.fold[i] < k);
    m_c[ds->y_class[rows[i]]]++;
    per[r.fold[i]][ds->y_class[rows[i]]]++;
  }
  for (int f = 0; f < k; f++)
    for (int c = 0; c < 3; c++) CU_ASSERT(per[f][c] == m_c[c] / k || per[f][c] == (m_c[c] + k - 1) / k);
  /* the eval rows of all folds together are exactly the subset */
  uint32_t *tr = malloc(n * sizeof *tr), *ev = malloc(n * sizeof *ev);
  for (int f = 0; f < k; f++) {
    size_t ntr, nev;
    split_fold(rows, r.fold, n, f, tr, &ntr, ev, &nev);
    for (size_t i = 0; i < nev; i++) CU_ASSERT(ev[i] % 2 == 1);
    CU_ASSERT_DOUBLE_EQUAL(r.scores[f], nc_accuracy(ds, 3, tr, ntr, ev, nev), 1e-12);
  }
  /* unstratified runs too and its folds differ in class counts from the stratified ones somewhere */
  tb_cv_result u;
  TB_CHECK_OK(tb_validate_kfold(ds, rows, n, k, 9, 0, nc_fit_score, &cfg, &u));
  CU_ASSERT_NOT_EQUAL(memcmp(u.fold, r.fold, n * sizeof *u.fold), 0);
  tb_cv_result_free(&u);
  tb_cv_result_free(&r);
  free(tr);
  free(ev);
  free(rows);
  tb_dataset_free(ds);
}

/* ---- nested CV ------------------------------------------------------------------------------------------------- */
typedef struct {
  const tb_dataset *ds; /* the source, to check what the tuner sees */
  const int *fold;      /* the outer folds (tb_data_kfold with the same arguments) */
  int chosen[8];        /* m chosen per outer fold */
  nc_config cfgs[3];    /* candidate configurations */
  int n_tune;
} tuner;

static int same_row(const tb_dataset *a, size_t i, const tb_dataset *b, size_t j) {
  return !memcmp(a->X + i * a->n_cols, b->X + j * b->n_cols, (size_t)a->n_cols * sizeof(float)) &&
         a->y_class[i] == b->y_class[j];
}

static int tune(void *ctx, const tb_dataset *train_ds, int f, tb_validate_choice *choice) {
  tuner *t = ctx;
  t->n_tune++;
  const tb_dataset *ds = t->ds;
  /* the tuner holds only outer-training rows: the right count, none is an outer-test row, all are training rows */
  size_t n_test = 0;
  for (size_t i = 0; i < ds->n_rows; i++) n_test += t->fold[i] == f;
  CU_ASSERT_EQUAL(train_ds->n_rows, ds->n_rows - n_test);
  for (size_t a = 0; a < train_ds->n_rows; a++) {
    int in_train = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
      if (!same_row(train_ds, a, ds, i)) continue;
      CU_ASSERT_NOT_EQUAL(t->fold[i], f); /* an outer-test row reached the tuner */
      in_train = 1;
    }
    CU_ASSERT(in_train);
  }
  /* inner 3-fold CV over the candidates; pick the best mean accuracy */
  int best = 0;
  double best_mean = -1.0;
  for (int c = 0; c < 3; c++) {
    tb_cv_result r;
    int rc = tb_validate_kfold(train_ds, NULL, train_ds->n_rows, 3, 100 + f, 1, nc_fit_score, &t->cfgs[c], &r);
    if (rc < 0) return rc;
    if (r.mean > best_mean) best_mean = r.mean, best = c;
    tb_cv_result_free(&r);
  }
  t->chosen[f] = t->cfgs[best].m;
  choice->fit = nc_fit_score;
  choice->ctx = &t->cfgs[best];
  return TB_OK;
}

static void test_nested(void) {
  tb_dataset *ds = load(SPEC);
  size_t n = ds->n_rows;
  int k = 4;
  int *fold = malloc(n * sizeof *fold);
  TB_CHECK_OK(tb_data_kfold(ds, NULL, n, k, 21, 1, fold));
  tuner t = {.ds = ds, .fold = fold, .cfgs = {{.m = 1, .check_rows = 1}, {.m = 2, .check_rows = 1},
                                              {.m = 6, .check_rows = 1}}};
  tb_cv_result r;
  TB_CHECK_OK(tb_validate_nested(ds, NULL, n, k, 21, 1, tune, &t, &r));
  CU_ASSERT_EQUAL(t.n_tune, k);
  CU_ASSERT_EQUAL(memcmp(fold, r.fold, n * sizeof *fold), 0);
  /* outer scores by hand from the choices */
  uint32_t *tr = malloc(n * sizeof *tr), *ev = malloc(n * sizeof *ev);
  double s[4];
  for (int f = 0; f < k; f++) {
    size_t ntr, nev;
    split_fold(NULL, fold, n, f, tr, &ntr, ev, &nev);
    s[f] = nc_accuracy(ds, t.chosen[f], tr, ntr, ev, nev);
    CU_ASSERT_DOUBLE_EQUAL(r.scores[f], s[f], 1e-12);
  }
  double mean, lo, hi;
  hand_ci(s, k, 3.182, &mean, &lo, &hi); /* t(0.975, 3) = 3.182 */
  CU_ASSERT_DOUBLE_EQUAL(r.mean, mean, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(r.ci_hi, hi, 1e-3 * (hi - mean) + 1e-12);
  CU_ASSERT(r.mean > 0.5);
  tb_cv_result_free(&r);
  free(tr);
  free(ev);
  free(fold);
  tb_dataset_free(ds);
}

/* ---- holdout and the final test -------------------------------------------------------------------------------- */
static void test_holdout_final(void) {
  tb_dataset *ds = load(SPEC);
  tb_split_spec sp = tb_split_spec_default();
  sp.seed = 5;
  tb_eval_data view;
  tb_holdout *h = NULL;
  TB_CHECK_OK(tb_validate_split(ds, &sp, &view, &h));
  tb_splits ref;
  TB_CHECK_OK(tb_data_split(ds, &sp, &ref));
  CU_ASSERT_EQUAL(view.n_train, ref.n_train);
  CU_ASSERT_EQUAL(view.n_valid, ref.n_valid);
  CU_ASSERT_EQUAL(tb_holdout_size(h), ref.n_test);
  CU_ASSERT(ref.n_test > 0);
  /* the view holds the train and valid rows only: no test row is in it */
  CU_ASSERT_EQUAL(view.ds->n_rows, ref.n_train + ref.n_valid);
  for (size_t a = 0; a < view.ds->n_rows; a++)
    for (size_t i = 0; i < ref.n_test; i++) CU_ASSERT_FALSE(same_row(view.ds, a, ds, ref.test[i]));
  for (size_t i = 0; i < ref.n_train; i++) CU_ASSERT(same_row(view.ds, view.train[i], ds, ref.train[i]));
  for (size_t i = 0; i < ref.n_valid; i++) CU_ASSERT(same_row(view.ds, view.valid[i], ds, ref.valid[i]));
  /* holdout score: fit on train, score on valid */
  nc_config cfg = {.m = 6, .check_rows = 1};
  double sc;
  TB_CHECK_OK(tb_validate_holdout(&view, nc_fit_score, &cfg, &sc));
  CU_ASSERT_DOUBLE_EQUAL(sc, nc_accuracy(ds, 6, ref.train, ref.n_train, ref.valid, ref.n_valid), 1e-12);
  /* the final test: once, through the holdout only */
  TB_CHECK_OK(tb_validate_final_test(&view, h, nc_fit_score, &cfg, 0, &sc));
  CU_ASSERT_DOUBLE_EQUAL(sc, nc_accuracy(ds, 6, ref.train, ref.n_train, ref.test, ref.n_test), 1e-12);
  CU_ASSERT_EQUAL(tb_validate_final_test(&view, h, nc_fit_score, &cfg, 0, &sc), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "already used"));
  /* a second split: refit on train + valid; a holdout of another split is refused */
  tb_eval_data view2;
  tb_holdout *h2 = NULL;
  TB_CHECK_OK(tb_validate_split(ds, &sp, &view2, &h2));
  CU_ASSERT_EQUAL(tb_validate_final_test(&view, h2, nc_fit_score, &cfg, 0, &sc), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_final_test(&view2, h2, nc_fit_score, &cfg, 2, &sc), TB_ERR_INVALID);
  TB_CHECK_OK(tb_validate_final_test(&view2, h2, nc_fit_score, &cfg, 1, &sc));
  uint32_t *fit_rows = malloc((ref.n_train + ref.n_valid) * sizeof *fit_rows);
  memcpy(fit_rows, ref.train, ref.n_train * sizeof *fit_rows);
  memcpy(fit_rows + ref.n_train, ref.valid, ref.n_valid * sizeof *fit_rows);
  CU_ASSERT_DOUBLE_EQUAL(sc, nc_accuracy(ds, 6, fit_rows, ref.n_train + ref.n_valid, ref.test, ref.n_test), 1e-12);
  free(fit_rows);
  tb_eval_data_free(&view2);
  tb_holdout_free(h2);
  tb_eval_data_free(&view);
  tb_eval_data_free(&view); /* zeroed: harmless */
  tb_eval_data_free(NULL);
  tb_holdout_free(h);
  tb_holdout_free(NULL);
  tb_splits_free(&ref);
  tb_dataset_free(ds);
}

/* ---- bad input -------------------------------------------------------------------------------------------------- */
static int fail_fit(void *ctx, const tb_dataset *ds, const uint32_t *train, size_t n_train, const uint32_t *eval,
                    size_t n_eval, double *score) {
  (void)ctx, (void)ds, (void)train, (void)n_train, (void)eval, (void)n_eval, (void)score;
  return tb_error_set(TB_ERR_OOM, "learner ran out of memory");
}
static int nan_fit(void *ctx, const tb_dataset *ds, const uint32_t *train, size_t n_train, const uint32_t *eval,
                   size_t n_eval, double *score) {
  (void)ctx, (void)ds, (void)train, (void)n_train, (void)eval, (void)n_eval;
  *score = NAN;
  return TB_OK;
}
static int tune_nothing(void *ctx, const tb_dataset *train_ds, int f, tb_validate_choice *choice) {
  (void)ctx, (void)train_ds, (void)f, (void)choice;
  return TB_OK;
}
static int tune_fails(void *ctx, const tb_dataset *train_ds, int f, tb_validate_choice *choice) {
  (void)ctx, (void)train_ds, (void)f, (void)choice;
  return tb_error_set(TB_ERR_INVALID, "no candidate");
}

static void test_bad_input(void) {
  tb_dataset *ds = load("gen:classification?n=30&d=3&informative=2&redundant=0&classes=2&seed=4");
  nc_config cfg = {.m = 3};
  tb_cv_result r;
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 1, 0, 1, nc_fit_score, &cfg, &r), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(r.scores);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 31, 0, 1, nc_fit_score, &cfg, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 5, 0, 1, NULL, &cfg, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_kfold(NULL, NULL, 30, 5, 0, 1, nc_fit_score, &cfg, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 31, 5, 0, 1, nc_fit_score, &cfg, &r), TB_ERR_RANGE);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 5, 0, 2, nc_fit_score, &cfg, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 5, 0, 1, nc_fit_score, &cfg, NULL), TB_ERR_INVALID);
  uint32_t dup[6] = {0, 1, 2, 3, 4, 2}, far[3] = {0, 1, 30};
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, dup, 6, 2, 0, 0, nc_fit_score, &cfg, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, far, 3, 2, 0, 0, nc_fit_score, &cfg, &r), TB_ERR_RANGE);
  /* callback failures: its code comes back with the fold named; a NaN score is a range error */
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 3, 0, 1, fail_fit, NULL, &r), TB_ERR_OOM);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "fold 0"));
  CU_ASSERT_PTR_NULL(r.scores);
  CU_ASSERT_EQUAL(tb_validate_kfold(ds, NULL, 30, 3, 0, 1, nan_fit, NULL, &r), TB_ERR_RANGE);
  /* nested */
  CU_ASSERT_EQUAL(tb_validate_nested(ds, NULL, 30, 1, 0, 1, tune_nothing, NULL, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_nested(ds, NULL, 30, 31, 0, 1, tune_nothing, NULL, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_nested(ds, NULL, 30, 3, 0, 1, NULL, NULL, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_nested(ds, NULL, 30, 3, 0, 1, tune_nothing, NULL, &r), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_nested(ds, NULL, 30, 3, 0, 1, tune_fails, NULL, &r), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "no candidate"));
  /* summary of fewer than 2 scores */
  double one = 1.0;
  tb_cv_result s1 = {.k = 1, .scores = &one};
  CU_ASSERT_EQUAL(tb_validate_summarize(&s1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_summarize(NULL), TB_ERR_INVALID);
  /* splits: bad spec, no valid rows for a holdout score, no test rows for a final test, NULL arguments */
  tb_split_spec sp = tb_split_spec_default();
  tb_eval_data view;
  tb_holdout *h = NULL;
  sp.valid_frac = 1.5;
  CU_ASSERT_EQUAL(tb_validate_split(ds, &sp, &view, &h), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(h);
  CU_ASSERT_EQUAL(tb_validate_split(NULL, &sp, &view, &h), TB_ERR_INVALID);
  sp.valid_frac = 0.0;
  TB_CHECK_OK(tb_validate_split(ds, &sp, &view, &h));
  double sc;
  CU_ASSERT_EQUAL(tb_validate_holdout(&view, nc_fit_score, &cfg, &sc), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_holdout(&view, NULL, &cfg, &sc), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_final_test(&view, h, NULL, &cfg, 0, &sc), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_validate_final_test(&view, NULL, nc_fit_score, &cfg, 0, &sc), TB_ERR_INVALID);
  tb_eval_data_free(&view);
  tb_holdout_free(h);
  sp.valid_frac = 0.2;
  sp.test_frac = 0.0;
  TB_CHECK_OK(tb_validate_split(ds, &sp, &view, &h));
  CU_ASSERT_EQUAL(tb_holdout_size(h), 0);
  CU_ASSERT_EQUAL(tb_validate_final_test(&view, h, nc_fit_score, &cfg, 0, &sc), TB_ERR_INVALID);
  tb_eval_data_free(&view);
  tb_holdout_free(h);
  tb_dataset_free(ds);
}

static const tb_test_case cases[] = {{"kfold_ci", test_kfold_ci},
                                     {"kfold_stratified", test_kfold_stratified},
                                     {"nested", test_nested},
                                     {"holdout_final", test_holdout_final},
                                     {"bad_input", test_bad_input},
                                     {NULL, NULL}};
TB_TEST_MAIN("validate", cases)
