/* test_ops_new.c: the ops added for the learners, through the public API on a CPU backend: tb_op_softmax,
 * tb_op_tree_grad_stats (logistic, softmax, squared error), tb_op_class_count_stats, tb_op_value_count_stats, and
 * tb_op_hist_build's small-node path (direct accumulation, also from inside a parallel region), and the level-wise
 * tb_op_hist_build_level and tb_op_partition_level (jobs shared between threads, bad jobs), and
 * tb_op_partition_level_cols (the same partitions on column-major bins, with more data rows than listed). Each result is
 * compared with a plain double-precision reference written here, with the tolerance stated at the check; outputs
 * are poisoned first (rows not listed must keep the poison); bad input must be rejected and leave outputs alone;
 * parallel loops must give the same bits with 1 and 2 threads. Inputs are random from fixed seeds.
 * Not here: CUDA parity (tests/test_cuda_parity.c), the older ops (tests/test_ops_*.c). */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_backend.h"
#include "tb_rng.h"
#include "tb_test.h"

#define POISON ((int64_t)0x5A5A5A5A5A5A5A5All)
static uint64_t nt_ctr;
static double nt_u(void) { return tb_rng_uniform_double(20240917u, nt_ctr++); }
static uint32_t nt_below(uint32_t n) { return (uint32_t)(nt_u() * n) % n; }

static tb_backend *nt_open(int threads) {
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  tb_backend_set_threads(be, threads);
  return be;
}

static int64_t *poisoned(size_t n) {
  int64_t *s = malloc(n * sizeof *s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  for (size_t i = 0; i < n; i++) s[i] = POISON;
  return s;
}

/* A sorted random subset of 0..n_all-1 with about `frac` of the rows (at least one). */
static uint32_t *subset(size_t n_all, double frac, size_t *n) {
  uint32_t *r = malloc(n_all * sizeof *r);
  *n = 0;
  for (size_t i = 0; i < n_all; i++)
    if (nt_u() < frac) r[(*n)++] = (uint32_t)i;
  if (!*n) r[(*n)++] = 0;
  return r;
}

/* ---- softmax ------------------------------------------------------------------------------------------------ */
/* Reference: p_j = exp(z_j - lse) with lse = max + log(sum exp(z - max)), all in double. */
static void ref_softmax(int classes, const float *z, double *p) {
  double m = -INFINITY, s = 0.0;
  for (int j = 0; j < classes; j++) m = fmax(m, (double)z[j]);
  for (int j = 0; j < classes; j++) s += exp((double)z[j] - m);
  double lse = m + log(s);
  for (int j = 0; j < classes; j++) p[j] = exp((double)z[j] - lse);
}

static void test_softmax(void) {
  tb_backend *be = nt_open(2);
  const int K = 2, rows = 67, counts[3] = {1, 7, 40};
  for (int t = 0; t < 3; t++) {
    const int C = counts[t];
    size_t n = (size_t)K * rows * C;
    float *z = malloc(n * sizeof *z), *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
    double *ref = malloc((size_t)C * sizeof *ref);
    for (size_t i = 0; i < n; i++) z[i] = (float)(16.0 * nt_u() - 8.0);
    z[3 * C] = 1e4f;        /* row 3: a huge logit must not overflow */
    z[5 * C + C - 1] = NAN; /* row 5: NaN row */
    for (size_t i = 0; i < n; i++) p[i] = NAN;
    TB_CHECK_OK(tb_op_softmax(be, K, rows, C, z, p));
    size_t bad = 0;
    for (int r = 0; r < K * rows; r++) {
      const float *pr = p + (size_t)r * C;
      if (r == 5) {
        for (int j = 0; j < C; j++) bad += !isnan(pr[j]);
        continue;
      }
      ref_softmax(C, z + (size_t)r * C, ref);
      double sum = 0;
      for (int j = 0; j < C; j++) {
        /* float rounding of a double value (2^-24 relative) plus the reference's different rounding path */
        bad += !(fabs(pr[j] - ref[j]) <= 2 * FLT_EPSILON * ref[j] + 1e-300);
        sum += pr[j];
      }
      bad += !(fabs(sum - 1.0) <= C * FLT_EPSILON);
    }
    CU_ASSERT_EQUAL(bad, 0);
    memcpy(q, z, n * sizeof *q); /* in place: the same bits as out of place */
    TB_CHECK_OK(tb_op_softmax(be, K, rows, C, q, q)); /* NaN payloads aside, equal values */
    for (size_t i = 0; i < n; i++) CU_ASSERT(isnan(p[i]) ? isnan(q[i]) : p[i] == q[i]);
    free(z), free(p), free(q), free(ref);
  }
  /* 1 vs 2 threads on a block large enough for the parallel loop: identical bits */
  {
    const int R = 1000, C = 40;
    float *z = malloc((size_t)R * C * 4), *a = malloc((size_t)R * C * 4), *b = malloc((size_t)R * C * 4);
    for (size_t i = 0; i < (size_t)R * C; i++) z[i] = (float)(20.0 * nt_u() - 10.0);
    tb_backend *one = nt_open(1);
    TB_CHECK_OK(tb_op_softmax(one, 1, R, C, z, a));
    TB_CHECK_OK(tb_op_softmax(be, 1, R, C, z, b));
    CU_ASSERT(memcmp(a, b, (size_t)R * C * 4) == 0);
    tb_backend_free(one);
    free(z), free(a), free(b);
  }
  float z1[4] = {1, 2, 3, 4}, p1[4];
  CU_ASSERT_EQUAL(tb_op_softmax(be, 1, 1, 0, z1, p1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_softmax(be, 1, -1, 4, z1, p1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_softmax(be, 1, 1, 4, NULL, p1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_softmax(be, 1, 1, 4, z1, NULL), TB_ERR_INVALID);
  TB_CHECK_OK(tb_op_softmax(be, 0, 1, 4, NULL, NULL)); /* nothing to do */
  tb_backend_free(be);
}

/* ---- boosting gradients --------------------------------------------------------------------------------------- */
/* Reference g, h in double, written from the textbook definitions (logistic through log1p/exp of -|z|, softmax
 * through log-sum-exp): the op's formulas round differently, so a fixed-point value may differ by a unit or two. */
static void ref_grad(tb_grad_objective obj, int K, const float *z, int mc, int32_t y, float t, double *gh) {
  if (obj == TB_GRAD_SQUARED) {
    gh[0] = (double)z[mc - 1] - t, gh[1] = 1.0;
  } else if (obj == TB_GRAD_LOGISTIC) {
    double x = z[mc - 1], e = exp(-fabs(x)), p = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    gh[0] = p - y, gh[1] = fmax(p * (1 - p), 1e-16);
  } else {
    double p[64];
    ref_softmax(K, z, p);
    for (int k = 0; k < K; k++) gh[2 * k] = p[k] - (k == y), gh[2 * k + 1] = fmax(2 * p[k] * (1 - p[k]), 1e-16);
  }
}

static void check_grad(tb_backend *be, tb_grad_objective obj, int K, int mc, size_t n_all, int use_rows) {
  size_t n = n_all;
  uint32_t *rows = use_rows ? subset(n_all, 0.6, &n) : NULL;
  float *m = malloc(n_all * (size_t)mc * sizeof *m), *t = malloc(n_all * sizeof *t);
  int32_t *lab = malloc(n_all * sizeof *lab);
  for (size_t i = 0; i < n_all * (size_t)mc; i++) m[i] = (float)(8.0 * nt_u() - 4.0);
  for (size_t i = 0; i < n_all; i++) {
    lab[i] = (int32_t)nt_below(obj == TB_GRAD_SOFTMAX ? (uint32_t)K : 2u);
    t[i] = (float)(10.0 * nt_u() - 5.0); /* |m - t| up to 9: the scale must follow it */
  }
  int64_t *st = poisoned((size_t)K * n_all * 2);
  double scale = 0.0, max_abs = 1.0, gh[128];
  TB_CHECK_OK(tb_op_tree_grad_stats(be, obj, K, n_all, n, rows, m, mc, obj == TB_GRAD_SQUARED ? NULL : lab,
                                    obj == TB_GRAD_SQUARED ? t : NULL, &scale, st));
  for (size_t i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : i;
    ref_grad(obj, K, m + r * mc, mc, lab[r], t[r], gh);
    for (int k = 0; k < 2 * K; k++) max_abs = fmax(max_abs, fabs(gh[k]));
  }
  CU_ASSERT_EQUAL(scale, tb_fixed_scale(max_abs, n)); /* exactly: the max is of exactly computed values */
  size_t bad = 0, untouched = 0, listed = 0;
  /* squared error: exact (one subtraction of floats in double); otherwise within 2 units of fixed point */
  const double tol = obj == TB_GRAD_SQUARED ? 0.0 : 2.0;
  for (size_t i = 0, j = 0; i < n_all; i++) {
    int is_listed = rows ? (j < n && rows[j] == i) : 1;
    if (is_listed) j++, listed++;
    ref_grad(obj, K, m + i * mc, mc, lab[i], t[i], gh);
    for (int k = 0; k < K; k++) {
      const int64_t *s = st + ((size_t)k * n_all + i) * 2;
      if (!is_listed) {
        untouched += s[0] == POISON && s[1] == POISON;
        continue;
      }
      bad += !(fabs((double)s[0] - llrint(gh[2 * k] * scale)) <= tol);
      bad += !(fabs((double)s[1] - llrint(gh[2 * k + 1] * scale)) <= tol);
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(untouched, (n_all - listed) * (size_t)K);
  /* a given scale is used as given */
  double given = 1024.0;
  int64_t *st2 = poisoned((size_t)K * n_all * 2);
  TB_CHECK_OK(tb_op_tree_grad_stats(be, obj, K, n_all, n, rows, m, mc, lab, t, &given, st2));
  CU_ASSERT_EQUAL(given, 1024.0);
  size_t r0 = rows ? rows[0] : 0;
  ref_grad(obj, K, m + r0 * mc, mc, lab[r0], t[r0], gh);
  CU_ASSERT(llabs(st2[r0 * 2] - llrint(gh[0] * 1024.0)) <= (obj == TB_GRAD_SQUARED ? 0 : 1));
  /* a NaN margin fails with TB_ERR_RANGE and writes nothing */
  size_t rb = rows ? rows[n / 2] : n / 2;
  m[rb * mc + mc - 1] = NAN;
  int64_t *st3 = poisoned((size_t)K * n_all * 2);
  double s3 = 0.0;
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, obj, K, n_all, n, rows, m, mc, lab, t, &s3, st3), TB_ERR_RANGE);
  CU_ASSERT_EQUAL(s3, 0.0);
  for (size_t i = 0; i < (size_t)K * n_all * 2; i++) CU_ASSERT_EQUAL_FATAL(st3[i], POISON);
  m[rb * mc + mc - 1] = 0.5f;
  if (obj != TB_GRAD_SQUARED) { /* a label out of range too */
    lab[rb] = obj == TB_GRAD_SOFTMAX ? K : 2;
    CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, obj, K, n_all, n, rows, m, mc, lab, t, &s3, st3), TB_ERR_RANGE);
    lab[rb] = -1;
    CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, obj, K, n_all, n, rows, m, mc, lab, t, &s3, st3), TB_ERR_RANGE);
    /* infinite margins: logistic takes +-inf (p = 1 or 0); softmax fails on +inf (inf - inf = NaN) and takes a
     * -inf beside finite margins (p = 0). Accepted ones pick the scale of magnitude 1 (|g| <= 1, h <= 0.5). */
    lab[rb] = 0;
    for (int sign = 1; sign >= -1; sign -= 2) {
      m[rb * mc + mc - 1] = sign * INFINITY;
      double s4 = 0.0;
      int want = obj == TB_GRAD_SOFTMAX && sign > 0 ? TB_ERR_RANGE : TB_OK;
      CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, obj, K, n_all, n, rows, m, mc, lab, t, &s4, st3), want);
      if (want == TB_OK) CU_ASSERT_EQUAL(s4, tb_fixed_scale(1.0, n));
    }
    m[rb * mc + mc - 1] = 0.5f;
  }
  free(rows), free(m), free(t), free(lab), free(st), free(st2), free(st3);
}

static void test_grad_stats(void) {
  tb_backend *be = nt_open(2);
  check_grad(be, TB_GRAD_LOGISTIC, 1, 2, 500, 1); /* gbdt's binary layout: (0, z) */
  check_grad(be, TB_GRAD_LOGISTIC, 1, 1, 300, 0);
  check_grad(be, TB_GRAD_SOFTMAX, 3, 3, 500, 1);
  check_grad(be, TB_GRAD_SOFTMAX, 7, 7, 200, 0);
  check_grad(be, TB_GRAD_SQUARED, 1, 1, 500, 1);
  check_grad(be, TB_GRAD_SQUARED, 1, 1, 20000, 0); /* parallel loop */
  /* 1 vs 2 threads on a parallel-sized block: same scale, same bits */
  const size_t n = 8000;
  const int K = 3;
  float *m = malloc(n * K * sizeof *m);
  int32_t *lab = malloc(n * sizeof *lab);
  for (size_t i = 0; i < n * K; i++) m[i] = (float)(6.0 * nt_u() - 3.0);
  for (size_t i = 0; i < n; i++) lab[i] = (int32_t)nt_below(K);
  int64_t *a = poisoned(n * K * 2), *b = poisoned(n * K * 2);
  double sa = 0, sb = 0;
  tb_backend *one = nt_open(1);
  TB_CHECK_OK(tb_op_tree_grad_stats(one, TB_GRAD_SOFTMAX, K, n, n, NULL, m, K, lab, NULL, &sa, a));
  TB_CHECK_OK(tb_op_tree_grad_stats(be, TB_GRAD_SOFTMAX, K, n, n, NULL, m, K, lab, NULL, &sb, b));
  CU_ASSERT_EQUAL(sa, sb);
  CU_ASSERT(memcmp(a, b, n * K * 2 * sizeof *a) == 0);
  /* bad arguments */
  double sc = 0;
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, (tb_grad_objective)7, 1, n, n, NULL, m, 1, lab, NULL, &sc, a),
                  TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_SOFTMAX, 3, n, n, NULL, m, 2, lab, NULL, &sc, a), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_SOFTMAX, 1, n, n, NULL, m, 1, lab, NULL, &sc, a), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_LOGISTIC, 2, n, n, NULL, m, 2, lab, NULL, &sc, a), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_LOGISTIC, 1, n, n, NULL, m, 1, NULL, NULL, &sc, a),
                  TB_ERR_INVALID); /* labels missing */
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_SQUARED, 1, n, n, NULL, m, 1, lab, NULL, &sc, a),
                  TB_ERR_INVALID); /* targets missing */
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_SQUARED, 1, n, n + 1, NULL, m, 1, NULL, m, &sc, a),
                  TB_ERR_INVALID); /* more rows than the dataset without a list */
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_SQUARED, 1, n, n, NULL, m, 1, NULL, m, NULL, a), TB_ERR_INVALID);
  sc = NAN;
  CU_ASSERT_EQUAL(tb_op_tree_grad_stats(be, TB_GRAD_SQUARED, 1, n, n, NULL, m, 1, NULL, m, &sc, a), TB_ERR_INVALID);
  tb_backend_free(one);
  tb_backend_free(be);
  free(m), free(lab), free(a), free(b);
}

/* ---- forest statistics ---------------------------------------------------------------------------------------- */
static void test_class_count_stats(void) {
  tb_backend *be = nt_open(2);
  const size_t n_all = 400;
  const int C = 5;
  size_t n;
  uint32_t *rows = subset(n_all, 0.7, &n);
  int32_t *lab = malloc(n_all * sizeof *lab), *w = malloc(n * sizeof *w);
  for (size_t i = 0; i < n_all; i++) lab[i] = (int32_t)nt_below(C);
  for (size_t i = 0; i < n; i++) w[i] = (int32_t)nt_below(5); /* bootstrap-like counts, zeros included */
  const double scales[2] = {1.0, 3.0};
  for (int t = 0; t < 2; t++) {
    int64_t *st = poisoned(n_all * C);
    TB_CHECK_OK(tb_op_class_count_stats(be, n, rows, lab, t ? w : NULL, C, scales[t], st));
    size_t bad = 0;
    for (size_t i = 0, j = 0; i < n_all; i++) {
      int listed = j < n && rows[j] == i;
      for (int k = 0; k < C; k++) {
        int64_t want = listed ? (k == lab[i] ? (int64_t)((t ? w[j] : 1) * scales[t]) : 0) : POISON; /* exact */
        bad += st[i * C + k] != want;
      }
      j += listed;
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(st);
  }
  /* rows NULL: every row 0..n-1, weight 1; 1 vs 2 threads on a parallel-sized block */
  const size_t big = 40000;
  int32_t *bl = malloc(big * sizeof *bl);
  for (size_t i = 0; i < big; i++) bl[i] = (int32_t)nt_below(C);
  int64_t *a = poisoned(big * C), *b = poisoned(big * C);
  tb_backend *one = nt_open(1);
  TB_CHECK_OK(tb_op_class_count_stats(one, big, NULL, bl, NULL, C, 1.0, a));
  TB_CHECK_OK(tb_op_class_count_stats(be, big, NULL, bl, NULL, C, 1.0, b));
  CU_ASSERT(memcmp(a, b, big * C * sizeof *a) == 0);
  int64_t tot = 0;
  for (size_t i = 0; i < big * C; i++) tot += a[i];
  CU_ASSERT_EQUAL(tot, (int64_t)big);
  /* bad input: label out of range, negative weight (nothing written), bad sizes */
  int64_t *st = poisoned(n_all * C);
  lab[rows[3]] = C;
  CU_ASSERT_EQUAL(tb_op_class_count_stats(be, n, rows, lab, w, C, 1.0, st), TB_ERR_INVALID);
  lab[rows[3]] = 0, w[4] = -1;
  CU_ASSERT_EQUAL(tb_op_class_count_stats(be, n, rows, lab, w, C, 1.0, st), TB_ERR_INVALID);
  for (size_t i = 0; i < n_all * C; i++) CU_ASSERT_EQUAL_FATAL(st[i], POISON);
  CU_ASSERT_EQUAL(tb_op_class_count_stats(be, n, rows, lab, NULL, 0, 1.0, st), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_class_count_stats(be, n, rows, lab, NULL, C, 0.0, st), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_class_count_stats(be, n, rows, NULL, NULL, C, 1.0, st), TB_ERR_INVALID);
  tb_backend_free(one);
  tb_backend_free(be);
  free(rows), free(lab), free(w), free(bl), free(a), free(b), free(st);
}

static void test_value_count_stats(void) {
  tb_backend *be = nt_open(2);
  const size_t n_all = 500;
  size_t n;
  uint32_t *rows = subset(n_all, 0.5, &n);
  float *y = malloc(n_all * sizeof *y);
  int32_t *w = malloc(n * sizeof *w);
  double my = 0;
  for (size_t i = 0; i < n_all; i++) y[i] = (float)(40.0 * nt_u() - 20.0), my = fmax(my, fabs(y[i]));
  for (size_t i = 0; i < n; i++) w[i] = (int32_t)nt_below(4);
  const double sy = tb_fixed_scale(my, n), sy2 = tb_fixed_scale(my * my, n);
  for (int t = 0; t < 2; t++) {
    int64_t *st = poisoned(n_all * 3);
    TB_CHECK_OK(tb_op_value_count_stats(be, n, rows, y, t ? w : NULL, sy, sy2, st));
    size_t bad = 0;
    for (size_t i = 0, j = 0; i < n_all; i++) {
      const int64_t *s = st + i * 3;
      if (!(j < n && rows[j] == i)) {
        bad += s[0] != POISON || s[1] != POISON || s[2] != POISON;
        continue;
      }
      double c = t ? w[j] : 1, v = y[i];
      /* count exact; sums within half a fixed-point unit per counted copy of the row (rounding to nearest) */
      bad += s[0] != (int64_t)c;
      bad += !(fabs((double)s[1] - c * v * sy) <= 0.5 * c + 1e-6 * fabs(c * v * sy) * DBL_EPSILON);
      bad += !(fabs((double)s[2] - c * v * v * sy2) <= 0.5 * c + 1e-6 * fabs(c * v * v * sy2) * DBL_EPSILON);
      j++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(st);
  }
  int64_t *st = poisoned(n_all * 3);
  y[rows[2]] = NAN;
  CU_ASSERT_EQUAL(tb_op_value_count_stats(be, n, rows, y, w, sy, sy2, st), TB_ERR_INVALID);
  y[rows[2]] = INFINITY;
  CU_ASSERT_EQUAL(tb_op_value_count_stats(be, n, rows, y, w, sy, sy2, st), TB_ERR_INVALID);
  y[rows[2]] = 1.0f, w[0] = -2;
  CU_ASSERT_EQUAL(tb_op_value_count_stats(be, n, rows, y, w, sy, sy2, st), TB_ERR_INVALID);
  for (size_t i = 0; i < n_all * 3; i++) CU_ASSERT_EQUAL_FATAL(st[i], POISON);
  CU_ASSERT_EQUAL(tb_op_value_count_stats(be, n, rows, y, w, 0.0, sy2, st), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_value_count_stats(be, n, rows, y, w, sy, INFINITY, st), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_value_count_stats(be, n, rows, NULL, w, sy, sy2, st), TB_ERR_INVALID);
  tb_backend_free(be);
  free(rows), free(y), free(w), free(st);
}

/* ---- histogram: small nodes and calls from inside a parallel region -------------------------------------------- */
static void ref_hist(int n_cols, const uint8_t *bins, const uint32_t *cp, int tb, const uint32_t *rows, size_t n,
                     const int64_t *st, int ns, int64_t *h) {
  memset(h, 0, (size_t)tb * ns * sizeof *h);
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < n_cols; j++)
      for (int k = 0; k < ns; k++)
        h[((size_t)cp[j] + bins[(size_t)rows[i] * n_cols + j]) * ns + k] += st[(size_t)rows[i] * ns + k];
}

static void test_hist_small(void) {
  tb_backend *be = nt_open(2);
  const int n_cols = 9;
  const size_t n_all = 6000;
  uint32_t cp[10];
  cp[0] = 0;
  for (int j = 0; j < n_cols; j++) cp[j + 1] = cp[j] + (j == 4 ? 1 : j == 2 ? 256 : 2 + nt_below(60));
  const int tb = (int)cp[n_cols];
  uint8_t *bins = malloc(n_all * n_cols);
  for (size_t i = 0; i < n_all; i++)
    for (int j = 0; j < n_cols; j++) /* skewed: half the values in bin 0 */
      bins[i * n_cols + j] = nt_u() < 0.5 ? 0 : (uint8_t)nt_below(cp[j + 1] - cp[j]);
  uint32_t *rows = malloc(n_all * sizeof *rows);
  for (size_t i = 0; i < n_all; i++) rows[i] = (uint32_t)nt_below((uint32_t)n_all);
  const size_t sizes[] = {1, 7, 16, 17, 24, 25, 56, 57, 1000, 5000}; /* both sides of 8 rows per statistic */
  const int nss[] = {2, 3, 7};
  for (int a = 0; a < 3; a++) {
    int ns = nss[a];
    int64_t *st = malloc(n_all * ns * sizeof *st), *ref = malloc((size_t)tb * ns * sizeof *ref);
    for (size_t i = 0; i < n_all * ns; i++) st[i] = (int64_t)((nt_u() * 2 - 1) * 1e12);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      size_t n = sizes[s];
      ref_hist(n_cols, bins, cp, tb, rows, n, st, ns, ref);
      int64_t *h = poisoned((size_t)tb * ns);
      TB_CHECK_OK(tb_op_hist_build(be, n_cols, bins, cp, tb, rows, n, st, ns, h));
      CU_ASSERT(memcmp(h, ref, (size_t)tb * ns * sizeof *h) == 0);
      /* from a parallel loop, as the forest grows trees: each thread its own output, all exact */
      int64_t *hh[2] = {poisoned((size_t)tb * ns), poisoned((size_t)tb * ns)};
      int fails = 0;
#pragma omp parallel for num_threads(2) reduction(+ : fails)
      for (int t = 0; t < 2; t++)
        fails += tb_op_hist_build(be, n_cols, bins, cp, tb, rows, n, st, ns, hh[t]) != TB_OK;
      CU_ASSERT_EQUAL(fails, 0);
      CU_ASSERT(memcmp(hh[0], ref, (size_t)tb * ns * sizeof *h) == 0);
      CU_ASSERT(memcmp(hh[1], ref, (size_t)tb * ns * sizeof *h) == 0);
      free(h), free(hh[0]), free(hh[1]);
    }
    /* zero rows: an all-zero histogram */
    int64_t *h = poisoned((size_t)tb * ns);
    TB_CHECK_OK(tb_op_hist_build(be, n_cols, bins, cp, tb, rows, 0, st, ns, h));
    for (int i = 0; i < tb * ns; i++) CU_ASSERT_EQUAL_FATAL(h[i], 0);
    free(h), free(st), free(ref);
  }
  tb_backend_free(be);
  free(bins), free(rows);
}

/* ---- level-wise ops: tb_op_hist_build_level and tb_op_partition_level --------------------------------------------
 * Histogram jobs over random segments of a shuffled row list (empty, tiny, and large enough to be shared between
 * threads), each one of: dst only, dst + parent - h into a sibling, sibling only. Reference: ref_hist per job and
 * the subtraction in int64; compared bit for bit; slots no job writes must keep their poison. */
static void level_hist_case(int ns, int threads, int nested) {
  tb_backend *be = nt_open(threads);
  const int n_cols = 7, n_jobs = 11;
  const size_t n_all = 40000;
  uint32_t cp[8];
  cp[0] = 0;
  for (int j = 0; j < n_cols; j++) cp[j + 1] = cp[j] + (j == 3 ? 1 : j == 1 ? 256 : 2 + nt_below(40));
  const int tb = (int)cp[n_cols], n_slots = 3 * n_jobs;
  const size_t sl = (size_t)tb * ns;
  uint8_t *bins = malloc(n_all * n_cols);
  uint32_t *rows = malloc(n_all * sizeof *rows);
  int64_t *st = malloc(n_all * ns * sizeof *st), *ref = malloc(sl * sizeof *ref);
  for (size_t i = 0; i < n_all; i++)
    for (int j = 0; j < n_cols; j++) bins[i * n_cols + j] = nt_u() < 0.5 ? 0 : (uint8_t)nt_below(cp[j + 1] - cp[j]);
  for (size_t i = 0; i < n_all; i++) rows[i] = (uint32_t)i;
  for (size_t i = n_all - 1; i > 0; i--) {
    size_t j = nt_below((uint32_t)i + 1);
    uint32_t t = rows[i];
    rows[i] = rows[j], rows[j] = t;
  }
  for (size_t i = 0; i < n_all * ns; i++) st[i] = (int64_t)((nt_u() * 2 - 1) * 1e12);
  /* job sizes: 0, tiny (<= 8 per stat), mid, and big; begins anywhere (jobs may read overlapping rows) */
  const uint32_t sizes[] = {0, 1, 8, 17, 300, 5000, 20000, 3, 9000, 12000, 1};
  tb_hist_job jobs[11];
  int64_t *hist = poisoned((size_t)n_slots * sl), *want = malloc((size_t)n_slots * sl * sizeof *want);
  for (int i = 0; i < n_jobs; i++) {
    uint32_t c = sizes[i], b = nt_below((uint32_t)(n_all - c) + 1);
    int kind = i % 3; /* 0: dst only, 1: dst + sibling, 2: sibling only */
    jobs[i] = (tb_hist_job){b, c, kind == 2 ? -1 : 3 * i, kind ? 3 * i + 1 : -1, kind ? 3 * i + 2 : -1};
    if (kind) /* a random parent histogram */
      for (size_t e = 0; e < sl; e++) hist[(size_t)(3 * i + 1) * sl + e] = (int64_t)((nt_u() * 2 - 1) * 1e15);
  }
  memcpy(want, hist, (size_t)n_slots * sl * sizeof *want);
  for (int i = 0; i < n_jobs; i++) {
    ref_hist(n_cols, bins, cp, tb, rows + jobs[i].begin, jobs[i].count, st, ns, ref);
    if (jobs[i].dst >= 0) memcpy(want + (size_t)jobs[i].dst * sl, ref, sl * sizeof *ref);
    if (jobs[i].sibling >= 0)
      for (size_t e = 0; e < sl; e++)
        want[(size_t)jobs[i].sibling * sl + e] = want[(size_t)jobs[i].parent * sl + e] - ref[e];
  }
  int rc = TB_OK;
  if (nested) { /* from a parallel loop, as the forest grows its trees: runs on the calling thread */
#pragma omp parallel num_threads(2)
#pragma omp single
    rc = tb_op_hist_build_level(be, n_cols, bins, cp, tb, rows, n_all, st, ns, n_jobs, jobs, n_slots, hist);
  } else {
    rc = tb_op_hist_build_level(be, n_cols, bins, cp, tb, rows, n_all, st, ns, n_jobs, jobs, n_slots, hist);
  }
  TB_CHECK_OK(rc);
  for (int s = 0; s < n_slots; s++)
    CU_ASSERT(memcmp(hist + (size_t)s * sl, want + (size_t)s * sl, sl * sizeof *hist) == 0);
  /* bad jobs are rejected before anything is written */
  const tb_hist_job bad[][2] = {{{0, 10, n_slots, -1, -1}, {0, 0, 1, -1, -1}},       /* slot out of range */
                                {{0, 10, -1, -1, -1}, {0, 0, 1, -1, -1}},            /* writes nothing */
                                {{0, 10, 0, 1, -1}, {0, 0, 2, -1, -1}},              /* parent without sibling */
                                {{0, 10, 0, -1, -1}, {5, 10, 0, -1, -1}},            /* slot written twice */
                                {{0, 10, 0, -1, -1}, {5, 10, 1, 0, 2}},              /* written slot read */
                                {{(uint32_t)n_all - 5, 10, 0, -1, -1}, {0, 1, 1, -1, -1}}}; /* rows past the end */
  memcpy(want, hist, (size_t)n_slots * sl * sizeof *want);
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    CU_ASSERT_EQUAL(tb_op_hist_build_level(be, n_cols, bins, cp, tb, rows, n_all, st, ns, 2, bad[k], n_slots, hist),
                    TB_ERR_INVALID);
  CU_ASSERT(memcmp(hist, want, (size_t)n_slots * sl * sizeof *hist) == 0);
  free(bins), free(rows), free(st), free(ref), free(hist), free(want);
  tb_backend_free(be);
}

static void test_hist_build_level(void) {
  for (int t = 1; t <= 4; t++) { /* 3 and 4 threads: a middle thread shares both its first and its last job */
    level_hist_case(2, t, 0);
    level_hist_case(3, t, 0);
  }
  level_hist_case(2, 2, 1);
}

/* Partition of random non-overlapping segments (with gaps, given in shuffled order) of a shuffled row list, each by
 * its own (feature, bin). Reference: the stable partition written out per segment; rows outside the segments must
 * not move. Totals below and above the parallel threshold, 1 and 2 threads. */
static void level_partition_case(size_t n_all, int n_seg, int threads) {
  tb_backend *be = nt_open(threads);
  const int n_cols = 5;
  uint8_t *bins = malloc(n_all * n_cols);
  uint32_t *rows = malloc(n_all * sizeof *rows), *want = malloc(n_all * sizeof *want);
  uint32_t *scratch = malloc(n_all * sizeof *scratch), *cut = malloc(2 * (size_t)n_seg * sizeof *cut);
  uint32_t *begin = malloc((size_t)n_seg * sizeof *begin), *count = malloc((size_t)n_seg * sizeof *count);
  uint32_t *nl = malloc((size_t)n_seg * sizeof *nl), *wl = malloc((size_t)n_seg * sizeof *wl);
  const size_t n_data = n_all + 17; /* column-major copy: more data rows than listed (rows >= n_all never listed) */
  uint8_t *bins_cm = malloc(n_data * n_cols);
  uint32_t *rows_cm = malloc(n_all * sizeof *rows_cm), *nl_cm = malloc((size_t)n_seg * sizeof *nl_cm);
  int32_t *feat = malloc((size_t)n_seg * sizeof *feat), *bin = malloc((size_t)n_seg * sizeof *bin);
  for (size_t i = 0; i < n_all * n_cols; i++) bins[i] = (uint8_t)nt_below(200);
  for (size_t i = 0; i < n_all; i++) rows[i] = (uint32_t)i;
  for (size_t i = n_all - 1; i > 0; i--) {
    size_t j = nt_below((uint32_t)i + 1);
    uint32_t t = rows[i];
    rows[i] = rows[j], rows[j] = t;
  }
  /* 2 n_seg sorted cut points: segment k is [cut[2k], cut[2k+1]) (the rest are gaps) */
  for (int k = 0; k < 2 * n_seg; k++) cut[k] = nt_below((uint32_t)n_all + 1);
  for (int k = 1; k < 2 * n_seg; k++)
    for (int q = k; q > 0 && cut[q - 1] > cut[q]; q--) {
      uint32_t t = cut[q];
      cut[q] = cut[q - 1], cut[q - 1] = t;
    }
  memcpy(want, rows, n_all * sizeof *want);
  for (int k = 0; k < n_seg; k++) {
    int s = (k * 7) % n_seg; /* shuffled order (n_seg is not a multiple of 7) */
    begin[k] = cut[2 * s];
    count[k] = cut[2 * s + 1] - cut[2 * s];
    feat[k] = (int32_t)nt_below(n_cols);
    bin[k] = (int32_t)nt_below(200) - 1; /* -1: every row goes right */
    uint32_t q = begin[k];
    for (uint32_t i = begin[k]; i < begin[k] + count[k]; i++)
      if ((int)bins[(size_t)rows[i] * n_cols + feat[k]] <= bin[k]) want[q++] = rows[i];
    wl[k] = q - begin[k];
    for (uint32_t i = begin[k]; i < begin[k] + count[k]; i++)
      if ((int)bins[(size_t)rows[i] * n_cols + feat[k]] > bin[k]) want[q++] = rows[i];
  }
  for (size_t j = 0; j < (size_t)n_cols; j++)
    for (size_t r = 0; r < n_data; r++) bins_cm[j * n_data + r] = r < n_all ? bins[r * n_cols + j] : 255;
  memcpy(rows_cm, rows, n_all * sizeof *rows);
  for (int k = 0; k < n_seg; k++) nl_cm[k] = 0xdeadbeefu; /* poison: every count must be written */
  TB_CHECK_OK(tb_op_partition_level(be, n_cols, bins, rows, n_all, n_seg, begin, count, feat, bin, scratch, nl));
  CU_ASSERT(memcmp(rows, want, n_all * sizeof *rows) == 0);
  CU_ASSERT(memcmp(nl, wl, (size_t)n_seg * sizeof *nl) == 0);
  TB_CHECK_OK(tb_op_partition_level_cols(be, n_cols, n_data, bins_cm, rows_cm, n_all, n_seg, begin, count, feat, bin,
                                         scratch, nl_cm));
  CU_ASSERT(memcmp(rows_cm, want, n_all * sizeof *rows_cm) == 0);
  CU_ASSERT(memcmp(nl_cm, wl, (size_t)n_seg * sizeof *nl_cm) == 0);
  /* bad input: overlapping segments, a segment past the end, a feature out of range; rows untouched */
  uint32_t b2[2] = {0, 5}, c2[2] = {10, 10}, c3[2] = {1, (uint32_t)n_all};
  int32_t f2[2] = {0, 1}, f3[2] = {0, n_cols}, bb[2] = {3, 3};
  CU_ASSERT_EQUAL(tb_op_partition_level(be, n_cols, bins, rows, n_all, 2, b2, c2, f2, bb, scratch, nl), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_partition_level(be, n_cols, bins, rows, n_all, 2, b2, c3, f2, bb, scratch, nl), TB_ERR_INVALID);
  b2[1] = 10;
  CU_ASSERT_EQUAL(tb_op_partition_level(be, n_cols, bins, rows, n_all, 2, b2, c2, f3, bb, scratch, nl), TB_ERR_INVALID);
  CU_ASSERT(memcmp(rows, want, n_all * sizeof *rows) == 0);
  /* the same bad input, and no data rows or no bins, for the column-major op; rows untouched */
  CU_ASSERT_EQUAL(tb_op_partition_level_cols(be, n_cols, n_data, bins_cm, rows_cm, n_all, 2, b2, c2, f3, bb, scratch,
                                             nl), TB_ERR_INVALID);
  b2[1] = 5;
  CU_ASSERT_EQUAL(tb_op_partition_level_cols(be, n_cols, n_data, bins_cm, rows_cm, n_all, 2, b2, c2, f2, bb, scratch,
                                             nl), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_partition_level_cols(be, n_cols, n_data, bins_cm, rows_cm, n_all, 2, b2, c3, f2, bb, scratch,
                                             nl), TB_ERR_INVALID);
  b2[1] = 10;
  CU_ASSERT_EQUAL(tb_op_partition_level_cols(be, n_cols, 0, bins_cm, rows_cm, n_all, 2, b2, c2, f2, bb, scratch, nl),
                  TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_partition_level_cols(be, n_cols, n_data, NULL, rows_cm, n_all, 2, b2, c2, f2, bb, scratch,
                                             nl), TB_ERR_INVALID);
  CU_ASSERT(memcmp(rows_cm, want, n_all * sizeof *rows_cm) == 0);
  free(bins_cm), free(rows_cm), free(nl_cm);
  free(bins), free(rows), free(want), free(scratch), free(cut), free(begin), free(count), free(nl), free(wl);
  free(feat), free(bin);
  tb_backend_free(be);
}

static void test_partition_level(void) {
  for (int t = 1; t <= 3; t++) {
    level_partition_case(3000, 5, t);
    level_partition_case(100000, 1, t);
    level_partition_case(100000, 9, t);
    level_partition_case(200000, 33, t);
  }
}

static const tb_test_case cases[] = {{"softmax", test_softmax},
                                     {"grad_stats", test_grad_stats},
                                     {"class_count_stats", test_class_count_stats},
                                     {"value_count_stats", test_value_count_stats},
                                     {"hist_small", test_hist_small},
                                     {"hist_build_level", test_hist_build_level},
                                     {"partition_level", test_partition_level},
                                     {NULL, NULL}};
TB_TEST_MAIN("ops_new", cases)
