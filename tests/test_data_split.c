/* test_data_split.c: host/data/split.c: train/valid/test splits, k-fold assignment, the standardiser.
 * Datasets are random from a fixed seed (Philox stream of tb_rng.h), with imbalanced classes. Checked: sizes
 * (n_test = round(test_frac n), n_valid = round(valid_frac (n - n_test))), every row in exactly one part, test and
 * valid sorted, train shuffled, determinism per seed, per-class counts within 1 of the ideal when stratified, a fixed
 * test split honoured, k-fold class counts floor/ceil of m_c / k, the standardiser against a double reference
 * (tolerance 1e-12 relative on mean/std, 1e-5 on the standardised floats), and bad specs with their messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_data.h"
#include "tb_rng.h"
#include "tb_test.h"

/* n rows, d columns: column j is (u * (j + 1) + j) with u uniform; labels: class c with weight (c + 1) when
 * classification (so classes are imbalanced), else a regression target. */
static tb_dataset *make_ds(size_t n, int d, int classes, uint64_t seed) {
  tb_dataset *ds = NULL;
  tb_task task = classes ? TB_TASK_CLASSIFICATION : TB_TASK_REGRESSION;
  TB_CHECK_OK(tb_dataset_alloc(n, d, task, classes, "test", &ds));
  uint64_t k = 0;
  for (size_t i = 0; i < n; i++) {
    for (int j = 0; j < d; j++) ds->X[i * d + j] = tb_rng_uniform(seed, k++) * (float)(j + 1) + (float)j;
    if (classes) {
      int w = classes * (classes + 1) / 2, u = (int)(tb_rng_uniform(seed, k++) * w), c = 0;
      while (u >= c + 1) u -= ++c;
      ds->y_class[i] = c;
    } else {
      ds->y_value[i] = tb_rng_normal(seed, k++);
    }
  }
  return ds;
}

/* Every row in exactly one part; test and valid ascending. Returns part[] (caller frees). */
static uint8_t *check_partition(const tb_dataset *ds, const tb_splits *s) {
  uint8_t *seen = calloc(ds->n_rows, 1);
  CU_ASSERT_FATAL(seen != NULL);
  CU_ASSERT_EQUAL_FATAL(s->n_train + s->n_valid + s->n_test, ds->n_rows);
  const uint32_t *lists[3] = {s->train, s->valid, s->test};
  size_t sizes[3] = {s->n_train, s->n_valid, s->n_test};
  for (int p = 0; p < 3; p++)
    for (size_t i = 0; i < sizes[p]; i++) {
      CU_ASSERT_FATAL(lists[p][i] < ds->n_rows);
      CU_ASSERT_EQUAL_FATAL(seen[lists[p][i]], 0);
      seen[lists[p][i]] = (uint8_t)(p + 1);
      if (p > 0 && i > 0) CU_ASSERT_FATAL(lists[p][i] > lists[p][i - 1]);
    }
  return seen;
}

static int is_ascending(const uint32_t *a, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (a[i] < a[i - 1]) return 0;
  return 1;
}

static void test_sizes(void) {
  tb_dataset *ds = make_ds(1000, 3, 0, 1);
  tb_split_spec sp = tb_split_spec_default();
  CU_ASSERT(sp.valid_frac == 0.2 && sp.test_frac == 0.2 && sp.seed == 0 && sp.stratify == 1);
  CU_ASSERT_PTR_NULL(tb_split_spec_check(&sp));
  tb_splits s;
  TB_CHECK_OK(tb_data_split(ds, &sp, &s)); /* regression: stratify is ignored */
  CU_ASSERT_EQUAL(s.n_test, 200);
  CU_ASSERT_EQUAL(s.n_valid, 160);
  CU_ASSERT_EQUAL(s.n_train, 640);
  free(check_partition(ds, &s));
  CU_ASSERT_FALSE(is_ascending(s.train, s.n_train)); /* train is in shuffled order */
  tb_splits_free(&s);
  tb_splits_free(&s); /* freed splits are zeroed: a second free is harmless */
  /* odd fractions: round(0.37 * 1000) = 370, round(0.15 * 630) = 95 (94.5 rounds up) */
  sp.test_frac = 0.37;
  sp.valid_frac = 0.15;
  TB_CHECK_OK(tb_data_split(ds, &sp, &s));
  CU_ASSERT_EQUAL(s.n_test, 370);
  CU_ASSERT_EQUAL(s.n_valid, 95);
  free(check_partition(ds, &s));
  tb_splits_free(&s);
  /* no valid, no test */
  sp.test_frac = sp.valid_frac = 0;
  TB_CHECK_OK(tb_data_split(ds, &sp, &s));
  CU_ASSERT(s.n_train == 1000 && s.n_valid == 0 && s.n_test == 0);
  tb_splits_free(&s);
  tb_dataset_free(ds);
}

static void test_determinism(void) {
  tb_dataset *ds = make_ds(500, 2, 3, 2);
  tb_split_spec sp = tb_split_spec_default();
  tb_splits a, b, c, e;
  sp.seed = 1;
  TB_CHECK_OK(tb_data_split(ds, &sp, &a));
  TB_CHECK_OK(tb_data_split(ds, &sp, &b));
  sp.seed = 2;
  TB_CHECK_OK(tb_data_split(ds, &sp, &c));
  sp.seed = 1 + (1ull << 32); /* the high half of the seed matters too */
  TB_CHECK_OK(tb_data_split(ds, &sp, &e));
  CU_ASSERT(a.n_train == b.n_train && a.n_test == b.n_test);
  CU_ASSERT_EQUAL(memcmp(a.train, b.train, a.n_train * 4), 0);
  CU_ASSERT_EQUAL(memcmp(a.valid, b.valid, a.n_valid * 4), 0);
  CU_ASSERT_EQUAL(memcmp(a.test, b.test, a.n_test * 4), 0);
  CU_ASSERT_EQUAL(a.n_test, c.n_test);
  CU_ASSERT_NOT_EQUAL(memcmp(a.test, c.test, a.n_test * 4), 0);
  CU_ASSERT_NOT_EQUAL(memcmp(a.train, c.train, a.n_train * 4), 0);
  CU_ASSERT_NOT_EQUAL(memcmp(a.test, e.test, a.n_test * 4), 0);
  tb_splits_free(&a);
  tb_splits_free(&b);
  tb_splits_free(&c);
  tb_splits_free(&e);
  tb_dataset_free(ds);
}

/* Stratified: class c (m_c rows) has t_c within 1 of test_frac m_c and v_c within 1 of valid_frac (m_c - t_c);
 * totals as unstratified. Several sizes and fractions, 4 imbalanced classes. */
static void test_stratified(void) {
  const double fr[][2] = {{0.2, 0.2}, {0.1, 0.33}, {0.25, 0.05}, {0.5, 0.3}, {0.0, 0.45}};
  const size_t ns[] = {37, 401, 1000};
  for (int a = 0; a < 3; a++) {
    tb_dataset *ds = make_ds(ns[a], 2, 4, 10 + a);
    long m[4] = {0};
    for (size_t i = 0; i < ds->n_rows; i++) m[ds->y_class[i]]++;
    for (int f = 0; f < 5; f++) {
      tb_split_spec sp = {.valid_frac = fr[f][0], .test_frac = fr[f][1], .seed = 5, .stratify = 1};
      tb_splits s;
      TB_CHECK_OK(tb_data_split(ds, &sp, &s));
      uint8_t *part = check_partition(ds, &s);
      size_t n = ds->n_rows, nt = (size_t)llround(sp.test_frac * n);
      CU_ASSERT_EQUAL(s.n_test, nt);
      CU_ASSERT_EQUAL(s.n_valid, (size_t)llround(sp.valid_frac * (n - nt)));
      long t[4] = {0}, v[4] = {0};
      for (size_t i = 0; i < n; i++) {
        if (part[i] == 3) t[ds->y_class[i]]++;
        if (part[i] == 2) v[ds->y_class[i]]++;
      }
      for (int c = 0; c < 4; c++) {
        CU_ASSERT(fabs(t[c] - sp.test_frac * m[c]) <= 1.0);
        CU_ASSERT(fabs(v[c] - sp.valid_frac * (m[c] - t[c])) <= 1.0);
      }
      free(part);
      tb_splits_free(&s);
    }
    tb_dataset_free(ds);
  }
}

static void test_fixed_test(void) {
  tb_dataset *ds = make_ds(300, 2, 2, 3);
  ds->fixed_split = calloc(300, 1);
  CU_ASSERT_FATAL(ds->fixed_split != NULL);
  size_t nfix = 0;
  for (size_t i = 0; i < 300; i++)
    if (tb_rng_uniform(77, i) < 0.3f) {
      ds->fixed_split[i] = TB_SPLIT_TEST;
      nfix++;
    }
  tb_split_spec sp = {.valid_frac = 0.25, .test_frac = 0.5, .seed = 9, .stratify = 1};
  tb_splits s;
  TB_CHECK_OK(tb_data_split(ds, &sp, &s));
  uint8_t *part = check_partition(ds, &s);
  CU_ASSERT_EQUAL(s.n_test, nfix); /* test_frac ignored */
  for (size_t i = 0; i < 300; i++) CU_ASSERT_EQUAL(part[i] == 3, ds->fixed_split[i] == TB_SPLIT_TEST);
  CU_ASSERT_EQUAL(s.n_valid, (size_t)llround(0.25 * (300 - nfix)));
  free(part);
  tb_splits_free(&s);
  /* a fixed_split with no test rows: test_frac applies */
  memset(ds->fixed_split, TB_SPLIT_TRAIN, 300);
  TB_CHECK_OK(tb_data_split(ds, &sp, &s));
  CU_ASSERT_EQUAL(s.n_test, 150);
  tb_splits_free(&s);
  tb_dataset_free(ds);
}

static void test_kfold(void) {
  tb_dataset *ds = make_ds(700, 2, 3, 4);
  /* folds over a subset: the odd rows, in descending order */
  size_t n = 350;
  uint32_t *idx = malloc(n * sizeof *idx);
  int *fold = malloc(n * sizeof *fold), *fold2 = malloc(n * sizeof *fold2);
  CU_ASSERT_FATAL(idx && fold && fold2);
  for (size_t i = 0; i < n; i++) idx[i] = (uint32_t)(699 - 2 * i);
  for (int k = 2; k <= 7; k += 5) {
    for (int strat = 0; strat <= 1; strat++) {
      for (size_t i = 0; i < n; i++) fold[i] = -1;
      TB_CHECK_OK(tb_data_kfold(ds, idx, n, k, 42, strat, fold));
      TB_CHECK_OK(tb_data_kfold(ds, idx, n, k, 42, strat, fold2));
      CU_ASSERT_EQUAL(memcmp(fold, fold2, n * sizeof *fold), 0);
      long size[7] = {0}, cnt[7][3] = {{0}}, m[3] = {0};
      for (size_t i = 0; i < n; i++) {
        CU_ASSERT_FATAL(fold[i] >= 0 && fold[i] < k);
        size[fold[i]]++;
        cnt[fold[i]][ds->y_class[idx[i]]]++;
        m[ds->y_class[idx[i]]]++;
      }
      for (int f = 0; f < k; f++) {
        CU_ASSERT(size[f] == (long)n / k || size[f] == (long)n / k + 1);
        if (strat)
          for (int c = 0; c < 3; c++) CU_ASSERT(cnt[f][c] == m[c] / k || cnt[f][c] == m[c] / k + 1);
      }
    }
  }
  /* another seed, another assignment */
  TB_CHECK_OK(tb_data_kfold(ds, idx, n, 5, 43, 1, fold2));
  TB_CHECK_OK(tb_data_kfold(ds, idx, n, 5, 42, 1, fold));
  CU_ASSERT_NOT_EQUAL(memcmp(fold, fold2, n * sizeof *fold), 0);
  /* bad input */
  CU_ASSERT_EQUAL(tb_data_kfold(ds, idx, n, 1, 0, 1, fold), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_data_kfold(ds, idx, 3, 4, 0, 1, fold), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "k = 4"));
  idx[5] = 700;
  CU_ASSERT_EQUAL(tb_data_kfold(ds, idx, n, 5, 0, 1, fold), TB_ERR_RANGE);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "700"));
  free(idx);
  free(fold);
  free(fold2);
  tb_dataset_free(ds);
}

/* Fits on the train part only; train rows then have mean 0 / std 1; the other rows (shifted by +10 before the fit)
 * do not. Mean and scale match a double reference. Column 3 is constant. */
static void test_standardizer(void) {
  enum { D = 4 };
  tb_dataset *ds = make_ds(400, D, 2, 6);
  tb_split_spec sp = tb_split_spec_default();
  tb_splits s;
  TB_CHECK_OK(tb_data_split(ds, &sp, &s));
  uint8_t *part = check_partition(ds, &s);
  for (size_t i = 0; i < 400; i++) {
    ds->X[i * D + 3] = 2.5f;
    if (part[i] != 1)
      for (int j = 0; j < 3; j++) ds->X[i * D + j] += 10.0f;
  }
  tb_standardizer st;
  TB_CHECK_OK(tb_standardizer_fit(ds, s.train, s.n_train, &st));
  CU_ASSERT_EQUAL(st.n_cols, D);
  for (int j = 0; j < D; j++) {
    double m = 0, v = 0;
    for (size_t i = 0; i < s.n_train; i++) m += ds->X[s.train[i] * D + j];
    m /= s.n_train;
    for (size_t i = 0; i < s.n_train; i++) v += pow(ds->X[s.train[i] * D + j] - m, 2);
    double sd = sqrt(v / s.n_train);
    CU_ASSERT(fabs(st.mean[j] - m) <= 1e-12 * fabs(m));
    if (j < 3) CU_ASSERT(fabs(st.scale[j] - sd) <= 1e-12 * sd);
  }
  CU_ASSERT(st.mean[3] == 2.5 && st.scale[3] == 1.0);
  TB_CHECK_OK(tb_standardizer_apply(&st, ds));
  for (int j = 0; j < D; j++) {
    double mt = 0, vt = 0, mo = 0;
    for (size_t i = 0; i < s.n_train; i++) mt += ds->X[s.train[i] * D + j];
    mt /= s.n_train;
    for (size_t i = 0; i < s.n_train; i++) vt += pow(ds->X[s.train[i] * D + j] - mt, 2);
    for (size_t i = 0; i < s.n_test; i++) mo += ds->X[s.test[i] * D + j] / s.n_test;
    CU_ASSERT(fabs(mt) < 1e-5);
    if (j < 3) {
      CU_ASSERT(fabs(sqrt(vt / s.n_train) - 1.0) < 1e-5);
      CU_ASSERT(mo > 2.0); /* shifted by 10 / std (std <= 1.2): not standardised */
    } else {
      CU_ASSERT(vt == 0.0 && mt == 0.0 && mo == 0.0); /* constant column -> exactly 0 */
    }
  }
  /* bad input */
  tb_dataset *other = make_ds(10, D + 1, 0, 7);
  CU_ASSERT_EQUAL(tb_standardizer_apply(&st, other), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "fitted on 4 columns"));
  tb_standardizer_free(&st);
  tb_standardizer_free(&st);
  CU_ASSERT_EQUAL(tb_standardizer_apply(&st, ds), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_standardizer_fit(ds, s.train, 0, &st), TB_ERR_INVALID);
  uint32_t bad[2] = {0, 400};
  CU_ASSERT_EQUAL(tb_standardizer_fit(ds, bad, 2, &st), TB_ERR_RANGE);
  CU_ASSERT_PTR_NULL(st.mean);
  tb_dataset_free(other);
  free(part);
  tb_splits_free(&s);
  tb_dataset_free(ds);
}

static void expect_bad(double valid, double test, int stratify, const char *msg) {
  tb_split_spec sp = {.valid_frac = valid, .test_frac = test, .seed = 0, .stratify = stratify};
  const char *got = tb_split_spec_check(&sp);
  if (!got || strcmp(got, msg)) fprintf(stderr, "\nexpected '%s', got '%s'\n", msg, got ? got : "(null)");
  CU_ASSERT_PTR_NOT_NULL_FATAL(got);
  CU_ASSERT_STRING_EQUAL(got, msg);
  tb_dataset *ds = make_ds(20, 1, 2, 8);
  tb_splits s;
  CU_ASSERT_EQUAL(tb_data_split(ds, &sp, &s), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), msg));
  CU_ASSERT_PTR_NULL(s.train);
  tb_dataset_free(ds);
}

static void test_bad_specs(void) {
  expect_bad(1.2, 0.1, 1, "valid_frac 1.2 not in [0, 1)");
  expect_bad(-0.1, 0.1, 1, "valid_frac -0.1 not in [0, 1)");
  expect_bad(NAN, 0.1, 1, "valid_frac nan not in [0, 1)");
  expect_bad(0.2, 1.0, 1, "test_frac 1 not in [0, 1)");
  expect_bad(0.6, 0.5, 1, "valid_frac + test_frac >= 1 (0.6 + 0.5)");
  expect_bad(0.2, 0.2, 2, "stratify 2 is not 0 or 1");
  /* a split that leaves no training rows: 2 rows, one test, one valid */
  tb_dataset *ds = make_ds(2, 1, 0, 9);
  tb_split_spec sp = {.valid_frac = 0.5, .test_frac = 0.4, .seed = 0, .stratify = 0};
  tb_splits s;
  CU_ASSERT_EQUAL(tb_data_split(ds, &sp, &s), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "no training rows"));
  tb_dataset_free(ds);
  /* a label outside 0..n_classes-1 */
  ds = make_ds(50, 1, 2, 9);
  ds->y_class[7] = 5;
  sp = tb_split_spec_default();
  CU_ASSERT_EQUAL(tb_data_split(ds, &sp, &s), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "row 7 has label 5"));
  tb_dataset_free(ds);
}

static const tb_test_case cases[] = {{"sizes", test_sizes},
                                     {"determinism", test_determinism},
                                     {"stratified", test_stratified},
                                     {"fixed_test", test_fixed_test},
                                     {"kfold", test_kfold},
                                     {"standardizer", test_standardizer},
                                     {"bad_specs", test_bad_specs},
                                     {NULL, NULL}};
TB_TEST_MAIN("data_split", cases)
