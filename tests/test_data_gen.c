/* test_data_gen.c: the seeded generators of host/data/gen.c and host/data/gen_images.c, through
 * tb_data_load("gen:..."). For each: same seed -> same checksum, other seed -> other checksum, shape, class balance,
 * value ranges, and the generator's own defining property checked by an independent reference written here (least
 * squares for redundant columns, the Friedman formula in double, the rectangle outline, a pairwise-pixel convexity
 * test). Bad keys and values must fail naming the key. Small n throughout (the whole program runs in about a second).
 */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_impl.h"
#include "tb_test.h"

static tb_dataset *load(const char *spec) {
  tb_dataset *ds = NULL;
  int rc = tb_data_load(spec, &ds);
  if (rc != TB_OK) fprintf(stderr, "\n%s -> %d: %s\n", spec, rc, tb_error_detail());
  CU_ASSERT_EQUAL_FATAL(rc, TB_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
  return ds;
}

static uint32_t checksum_of(const char *spec) {
  tb_dataset *ds = load(spec);
  uint32_t c = tb_dataset_checksum(ds);
  tb_dataset_free(ds);
  return c;
}

/* spec must fail with code rc and a detail containing `needle` (the key). */
static void expect_error(const char *spec, int rc, const char *needle) {
  tb_dataset *ds = NULL;
  tb_error_clear();
  int got = tb_data_load(spec, &ds);
  if (got != rc || !strstr(tb_error_detail(), needle))
    fprintf(stderr, "\n%s: expected %d with '%s', got %d: %s\n", spec, rc, needle, got, tb_error_detail());
  CU_ASSERT_EQUAL(got, rc);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), needle));
  CU_ASSERT_PTR_NULL(ds);
  tb_dataset_free(ds);
}

static void check_determinism(const char *a, const char *a_again, const char *b) {
  uint32_t ca = checksum_of(a), ca2 = checksum_of(a_again), cb = checksum_of(b);
  CU_ASSERT_EQUAL(ca, ca2);
  CU_ASSERT_NOT_EQUAL(ca, cb);
}

static void class_counts(const tb_dataset *ds, long *cnt) {
  for (int c = 0; c < ds->n_classes; c++) cnt[c] = 0;
  for (size_t i = 0; i < ds->n_rows; i++) {
    CU_ASSERT_FATAL(ds->y_class[i] >= 0 && ds->y_class[i] < ds->n_classes);
    cnt[ds->y_class[i]]++;
  }
}

/* ---- classification ------------------------------------------------------------------------------------------- */
static void test_classification_determinism(void) {
  check_determinism("gen:classification?n=300&d=9&informative=4&redundant=2&seed=7",
                    "gen:classification?seed=7&n=300&d=9&redundant=2&informative=4",
                    "gen:classification?n=300&d=9&informative=4&redundant=2&seed=8");
  /* seed 0 and 1 must differ too (the generator seeds MT19937 with seed + 1; GSL treats 0 specially) */
  CU_ASSERT_NOT_EQUAL(checksum_of("gen:classification?n=50&seed=0"), checksum_of("gen:classification?n=50&seed=1"));
  tb_dataset *ds = load("gen:classification");
  CU_ASSERT_EQUAL(ds->n_rows, 1000);
  CU_ASSERT_EQUAL(ds->n_cols, 20);
  CU_ASSERT_EQUAL(ds->task, TB_TASK_CLASSIFICATION);
  CU_ASSERT_EQUAL(ds->n_classes, 2);
  CU_ASSERT_PTR_NOT_NULL(ds->y_class);
  CU_ASSERT_PTR_NULL(ds->y_value);
  for (size_t i = 0; i < ds->n_rows * (size_t)ds->n_cols; i++) CU_ASSERT_FATAL(isfinite(ds->X[i]));
  tb_dataset_free(ds);
}

static void test_classification_balance(void) {
  long cnt[8];
  tb_dataset *ds = load("gen:classification?n=1001&d=5&informative=3&redundant=0&classes=3&clusters=2&flip=0&seed=3");
  CU_ASSERT_EQUAL(ds->n_classes, 3);
  class_counts(ds, cnt);
  CU_ASSERT_EQUAL(cnt[0], 334);
  CU_ASSERT_EQUAL(cnt[1], 334);
  CU_ASSERT_EQUAL(cnt[2], 333);
  /* rows are shuffled: the first 100 labels are not all one class */
  int first_same = 1;
  for (int i = 1; i < 100; i++) first_same &= ds->y_class[i] == ds->y_class[0];
  CU_ASSERT_FALSE(first_same);
  tb_dataset_free(ds);
}

/* With one cluster per class, each class mean is its hypercube vertex: informative columns differ by 2 class_sep in
 * at least one coordinate; noise columns have equal means (n = 2000: standard error of a difference ~0.045). */
static void test_classification_informative(void) {
  enum { D = 8, INF = 3, RED = 2 };
  tb_dataset *ds = load("gen:classification?n=2000&d=8&informative=3&redundant=2&clusters=1&class_sep=2&flip=0&seed=5");
  double mean[2][D] = {{0}};
  long cnt[2];
  class_counts(ds, cnt);
  CU_ASSERT_EQUAL(cnt[0], 1000);
  for (size_t i = 0; i < ds->n_rows; i++)
    for (int j = 0; j < D; j++) mean[ds->y_class[i]][j] += ds->X[i * D + j] / (double)cnt[ds->y_class[i]];
  double best = 0;
  for (int j = 0; j < INF; j++) best = fmax(best, fabs(mean[0][j] - mean[1][j]));
  CU_ASSERT(best > 3.0); /* expected 4 = 2 * class_sep */
  for (int j = INF + RED; j < D; j++) CU_ASSERT(fabs(mean[0][j] - mean[1][j]) < 0.2);
  tb_dataset_free(ds);
}

/* Relative least-squares residual ||X_inf b - col|| / ||col|| of one column on the informative ones (LAPACKE_dgels
 * in double). */
static double lsq_residual(const tb_dataset *ds, int inf, int col) {
  size_t n = ds->n_rows;
  double *A = malloc(n * inf * sizeof *A), *b = malloc(n * sizeof *b);
  CU_ASSERT_FATAL(A && b);
  double bn = 0;
  for (size_t i = 0; i < n; i++) {
    for (int j = 0; j < inf; j++) A[i * inf + j] = ds->X[i * ds->n_cols + j];
    b[i] = ds->X[i * ds->n_cols + col];
    bn += b[i] * b[i];
  }
  CU_ASSERT_EQUAL_FATAL(LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)n, inf, 1, A, inf, b, 1), 0);
  double rn = 0;
  for (size_t i = inf; i < n; i++) rn += b[i] * b[i]; /* dgels leaves the residual in b[inf..n) */
  free(A);
  free(b);
  return sqrt(rn / bn);
}

static void test_classification_redundant(void) {
  tb_dataset *ds = load("gen:classification?n=200&d=9&informative=4&redundant=3&seed=11");
  for (int c = 4; c < 7; c++) CU_ASSERT(lsq_residual(ds, 4, c) < 1e-6); /* float rounding: ~1e-7 */
  for (int c = 7; c < 9; c++) CU_ASSERT(lsq_residual(ds, 4, c) > 0.5);  /* noise: ~0.99 */
  tb_dataset_free(ds);
}

/* flip does not change the features; flip=0.5 with 2 classes replaces half the labels by a coin: ~75% agree. */
static void test_classification_flip(void) {
  tb_dataset *a = load("gen:classification?n=2000&d=6&flip=0&seed=2");
  tb_dataset *b = load("gen:classification?n=2000&d=6&flip=0.5&seed=2");
  CU_ASSERT_EQUAL(memcmp(a->X, b->X, 2000 * 6 * sizeof(float)), 0);
  long agree = 0, cnt[2];
  for (int i = 0; i < 2000; i++) agree += a->y_class[i] == b->y_class[i];
  CU_ASSERT(agree > 1400 && agree < 1600);
  class_counts(a, cnt);
  CU_ASSERT_EQUAL(cnt[0], 1000);
  tb_dataset_free(a);
  tb_dataset_free(b);
}

static void test_classification_bad(void) {
  expect_error("gen:classification?nn=5", TB_ERR_INVALID, "'nn'");
  expect_error("gen:classification?n=0", TB_ERR_RANGE, "'n'");
  expect_error("gen:classification?n=ten", TB_ERR_INVALID, "'n'");
  expect_error("gen:classification?d=6&informative=5&redundant=3", TB_ERR_INVALID, "redundant");
  expect_error("gen:classification?classes=5&clusters=1&informative=2", TB_ERR_INVALID, "clusters");
  expect_error("gen:classification?classes=1", TB_ERR_RANGE, "'classes'");
  expect_error("gen:classification?flip=1.5", TB_ERR_RANGE, "'flip'");
  expect_error("gen:classification?class_sep=abc", TB_ERR_INVALID, "'class_sep'");
  expect_error("gen:classification?seed=-1", TB_ERR_RANGE, "'seed'");
  expect_error("gen:classification?n=10000000&d=100", TB_ERR_RANGE, "n (10000000) * d (100)");
}

/* ---- friedman1 ------------------------------------------------------------------------------------------------ */
static double friedman(const float *x) {
  double x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4];
  return 10.0 * sin(M_PI * x0 * x1) + 20.0 * (x2 - 0.5) * (x2 - 0.5) + 10.0 * x3 + 5.0 * x4;
}

static void test_friedman1(void) {
  check_determinism("gen:friedman1?n=200&seed=4", "gen:friedman1?n=200&seed=4", "gen:friedman1?n=200&seed=5");
  tb_dataset *ds = load("gen:friedman1?n=1000&d=7&noise=0&seed=1");
  CU_ASSERT_EQUAL(ds->n_cols, 7);
  CU_ASSERT_EQUAL(ds->task, TB_TASK_REGRESSION);
  CU_ASSERT_PTR_NOT_NULL(ds->y_value);
  CU_ASSERT_PTR_NULL(ds->y_class);
  double lo = 1, hi = 0;
  for (size_t i = 0; i < 1000; i++) {
    const float *x = ds->X + i * 7;
    for (int j = 0; j < 7; j++) {
      lo = fmin(lo, x[j]);
      hi = fmax(hi, x[j]);
    }
    double f = friedman(x); /* noise 0: y is the formula rounded to float (tolerance 4 float ulps) */
    CU_ASSERT(fabs(ds->y_value[i] - f) <= 4 * FLT_EPSILON * fmax(1.0, fabs(f)));
  }
  CU_ASSERT(lo >= 0 && lo < 0.01 && hi <= 1 && hi > 0.99);
  tb_dataset_free(ds);
  /* noise = 2: residuals have mean ~0 and standard deviation ~2 (n = 4000) */
  ds = load("gen:friedman1?n=4000&noise=2&seed=1");
  CU_ASSERT_EQUAL(ds->n_cols, 10);
  double s = 0, s2 = 0;
  for (size_t i = 0; i < 4000; i++) {
    double e = ds->y_value[i] - friedman(ds->X + i * 10);
    s += e;
    s2 += e * e;
  }
  double m = s / 4000, sd = sqrt(s2 / 4000 - m * m);
  CU_ASSERT(fabs(m) < 0.15);
  CU_ASSERT(fabs(sd - 2.0) < 0.15);
  tb_dataset_free(ds);
  /* the generator called directly (as data.c does) gives the same data as tb_data_load */
  tb_spec spec;
  TB_CHECK_OK(tb_spec_parse("gen:friedman1?n=200&seed=4", &spec));
  TB_CHECK_OK(tb_gen_friedman1(&spec, &ds));
  CU_ASSERT_EQUAL(tb_dataset_checksum(ds), checksum_of("gen:friedman1?n=200&seed=4"));
  tb_dataset_free(ds);
  tb_spec_free(&spec);
  expect_error("gen:friedman1?d=4", TB_ERR_RANGE, "'d'");
  expect_error("gen:friedman1?noise=-1", TB_ERR_RANGE, "'noise'");
  expect_error("gen:friedman1?classes=2", TB_ERR_INVALID, "'classes'");
}

/* ---- images --------------------------------------------------------------------------------------------------- */
static void check_image_dataset(const tb_dataset *ds, size_t n) {
  long cnt[2];
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, n);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, 784);
  CU_ASSERT_EQUAL(ds->n_classes, 2);
  class_counts(ds, cnt);
  CU_ASSERT_EQUAL(cnt[0], (long)(n - n / 2));
  CU_ASSERT_EQUAL(cnt[1], (long)(n / 2));
  CU_ASSERT_PTR_NOT_NULL_FATAL(ds->feature_names);
  CU_ASSERT_STRING_EQUAL(ds->feature_names[0], "px0");
  CU_ASSERT_STRING_EQUAL(ds->feature_names[783], "px783");
  for (size_t i = 0; i < n * 784; i++) CU_ASSERT_FATAL(ds->X[i] == 0.0f || ds->X[i] == 1.0f);
}

static void test_rectangles(void) {
  check_determinism("gen:rectangles?n=100&seed=1", "gen:rectangles?n=100&seed=1", "gen:rectangles?n=100&seed=2");
  tb_dataset *ds = load("gen:rectangles?n=301&seed=9");
  check_image_dataset(ds, 301);
  int tall_seen = 0, wide_seen = 0, x0_seen[28] = {0};
  for (size_t i = 0; i < 301; i++) {
    const float *x = ds->X + i * 784;
    int r0 = 28, r1 = -1, c0 = 28, c1 = -1;
    for (int r = 0; r < 28; r++)
      for (int c = 0; c < 28; c++)
        if (x[r * 28 + c] == 1.0f) {
          r0 = r < r0 ? r : r0, r1 = r > r1 ? r : r1;
          c0 = c < c0 ? c : c0, c1 = c > c1 ? c : c1;
        }
    CU_ASSERT_FATAL(r1 >= 0);
    int h = r1 - r0 + 1, w = c1 - c0 + 1, bad = 0;
    for (int r = 0; r < 28; r++)
      for (int c = 0; c < 28; c++) {
        int inside = r >= r0 && r <= r1 && c >= c0 && c <= c1;
        int border = inside && (r == r0 || r == r1 || c == c0 || c == c1);
        bad += (x[r * 28 + c] == 1.0f) != border;
      }
    CU_ASSERT_EQUAL(bad, 0); /* white pixels are exactly the outline of their bounding box */
    CU_ASSERT(abs(w - h) >= 3 && w >= 3 && h >= 3);
    CU_ASSERT_EQUAL(ds->y_class[i], h > w);
    tall_seen += h > w;
    wide_seen += h < w;
    x0_seen[c0] = 1;
  }
  int positions = 0;
  for (int c = 0; c < 28; c++) positions += x0_seen[c];
  CU_ASSERT(tall_seen > 0 && wide_seen > 0 && positions > 10);
  tb_dataset_free(ds);
  expect_error("gen:rectangles?w=3", TB_ERR_INVALID, "'w'");
  expect_error("gen:rectangles?n=0", TB_ERR_RANGE, "'n'");
  expect_error("gen:rectangles?n=200000", TB_ERR_RANGE, "'n'");
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

/* Reference convexity test, pairwise: for every pair of white pixels, every pixel centre on the segment between
 * their centres must be white. Returns 1 if convex. */
static int pairwise_convex(const float *x) {
  int px[784], n = 0;
  for (int p = 0; p < 784; p++)
    if (x[p] == 1.0f) px[n++] = p;
  for (int a = 0; a < n; a++)
    for (int b = a + 1; b < n; b++) {
      int ra = px[a] / 28, ca = px[a] % 28, dr = px[b] / 28 - ra, dc = px[b] % 28 - ca;
      int g = gcd(abs(dr), abs(dc));
      for (int t = 1; t < g; t++)
        if (x[(ra + t * dr / g) * 28 + ca + t * dc / g] != 1.0f) return 0;
    }
  return 1;
}

static void test_convex(void) {
  /* the reference test itself: a filled box passes, an L shape fails */
  float img[784] = {0};
  for (int r = 5; r < 15; r++)
    for (int c = 3; c < 20; c++) img[r * 28 + c] = 1.0f;
  CU_ASSERT(pairwise_convex(img));
  for (int r = 15; r < 25; r++)
    for (int c = 3; c < 6; c++) img[r * 28 + c] = 1.0f;
  CU_ASSERT(!pairwise_convex(img));

  check_determinism("gen:convex?n=30&seed=1", "gen:convex?n=30&seed=1", "gen:convex?n=30&seed=2");
  tb_dataset *ds = load("gen:convex?n=201&seed=3");
  check_image_dataset(ds, 201);
  double area[2] = {0, 0};
  for (size_t i = 0; i < 201; i++) {
    const float *x = ds->X + i * 784;
    int a = 0;
    for (int p = 0; p < 784; p++) a += x[p] == 1.0f;
    CU_ASSERT(a >= 50 && a < 600);
    area[ds->y_class[i]] += a;
    CU_ASSERT_EQUAL(pairwise_convex(x), ds->y_class[i]);
  }
  /* area-matched classes: mean areas (~325, spread ~160) within 60 pixels of each other */
  double m0 = area[0] / 101, m1 = area[1] / 100;
  CU_ASSERT(fabs(m0 - m1) < 60);
  CU_ASSERT(m0 > 200 && m1 > 200);
  tb_dataset_free(ds);
  expect_error("gen:convex?n=-3", TB_ERR_RANGE, "'n'");
  expect_error("gen:convex?sides=3", TB_ERR_INVALID, "'sides'");
}

static const tb_test_case cases[] = {{"classification_determinism", test_classification_determinism},
                                     {"classification_balance", test_classification_balance},
                                     {"classification_informative", test_classification_informative},
                                     {"classification_redundant", test_classification_redundant},
                                     {"classification_flip", test_classification_flip},
                                     {"classification_bad", test_classification_bad},
                                     {"friedman1", test_friedman1},
                                     {"rectangles", test_rectangles},
                                     {"convex", test_convex},
                                     {NULL, NULL}};
TB_TEST_MAIN("data_gen", cases)
