/* test_ops_dense.c: the CPU backend's dense and loss ops (kernels/cpu/dense.c, kernels/cpu/loss.c) through the
 * public tb_op_* API, against double-precision references written here. Inputs are random from fixed seeds,
 * outputs are poisoned with NaN before each call that overwrites them.
 * Covers: GEMM (four transpose cases, padded lda/ldb/ldc, alpha/beta, beta = 0 over NaN, K = 0, batched with
 * strides on both code paths), bias add and column sums (K > 1, beta), activations forward and backward (also vs
 * finite differences), mul, fill, gathers, softmax cross-entropy (reference, finite differences, logits of 1e4,
 * aliasing), squared error, the ordered sum (1 vs 2 threads, 16 runs bit-identical), argmax ties, accuracy, and
 * bad input. Tolerances: elementwise 1e-5 + 4 FLT_EPSILON |ref|; GEMM 1e-5 relative to sum |alpha a b| + |beta c|
 * (fp32 accumulation over K terms). Dropout is in tests/test_rng.c, optimizers in tests/test_ops_optim.c. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "tb_backend.h"
#include "tb_test.h"

#define ATOL 1e-5
#define RTOL (4 * FLT_EPSILON)

/* A CPU context and the buffers a test allocated from it (released by ctx_free). */
typedef struct {
  tb_backend *be;
  tb_buf bufs[24];
  int n_bufs;
} ctx;

static ctx ctx_open(void) {
  ctx c = {0};
  tb_device dev = {TB_DEVICE_CPU, 0};
  TB_CHECK_OK(tb_backend_open(&dev, &c.be));
  return c;
}

static void *ctx_alloc(ctx *c, size_t bytes) {
  CU_ASSERT_FATAL(c->n_bufs < 24);
  TB_CHECK_OK(tb_backend_alloc(c->be, bytes, &c->bufs[c->n_bufs]));
  return c->bufs[c->n_bufs++].data;
}

static void ctx_free(ctx *c) {
  for (int i = 0; i < c->n_bufs; i++) tb_backend_release(c->be, &c->bufs[i]);
  tb_backend_free(c->be);
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static float frand(uint64_t *s, float lo, float hi) {
  return lo + (hi - lo) * (float)(rng_next(s) >> 40) / 16777216.0f;
}
static float *frandv(ctx *c, size_t n, uint64_t seed, float lo, float hi) {
  float *x = ctx_alloc(c, n * sizeof *x);
  for (size_t i = 0; i < n; i++) x[i] = frand(&seed, lo, hi);
  return x;
}
static float *fnan(ctx *c, size_t n) {
  float *x = ctx_alloc(c, n * sizeof *x);
  for (size_t i = 0; i < n; i++) x[i] = NAN;
  return x;
}

/* Counts elements with |got - ref| > atol + rtol |ref| (NaN counts), printing the first few. */
static size_t mismatches(const char *what, size_t n, const float *got, const double *ref, double atol, double rtol) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (!(fabs(got[i] - ref[i]) <= atol + rtol * fabs(ref[i])) && bad++ < 5)
      printf("\n%s[%zu]: got %.9g want %.9g", what, i, got[i], ref[i]);
  return bad;
}

/* ---- GEMM ----------------------------------------------------------------------------------------------------- */
/* Runs one (batched) GEMM case and compares every C entry with a double reference; padding columns of C must be
 * untouched. Tolerance per entry: 1e-5 * (|alpha| sum_k |a b| + |beta c|) + 1e-6. */
static void gemm_case(int ta, int tb, int M, int N, int K, float alpha, float beta, int batch, int nan_c,
                      uint64_t seed) {
  ctx c = ctx_open();
  int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 4;
  size_t sa = (size_t)(ta ? K : M) * lda + 5, sb = (size_t)(tb ? N : K) * ldb + 7, sc = (size_t)M * ldc + 1;
  float *A = frandv(&c, sa * batch, seed, -1, 1), *B = frandv(&c, sb * batch, seed + 1, -1, 1);
  float *C = frandv(&c, sc * batch, seed + 2, -1, 1);
  float *C0 = ctx_alloc(&c, sc * batch * sizeof *C0);
  if (nan_c)
    for (size_t i = 0; i < sc * batch; i++)
      if (i % sc < (size_t)M * ldc && i % ldc < (size_t)N) C[i] = NAN;
  memcpy(C0, C, sc * batch * sizeof *C0);
  TB_CHECK_OK(tb_op_gemm_batched(c.be, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch));
  size_t bad = 0, touched = 0;
  for (int b = 0; b < batch; b++)
    for (int i = 0; i < M; i++)
      for (int j = 0; j < ldc; j++) {
        size_t ci = b * sc + (size_t)i * ldc + j;
        if (j >= N) { touched += memcmp(&C[ci], &C0[ci], sizeof *C) != 0; continue; }
        double acc = 0, mag = 0;
        for (int k = 0; k < K; k++) {
          double a = ta ? A[b * sa + (size_t)k * lda + i] : A[b * sa + (size_t)i * lda + k];
          double bb = tb ? B[b * sb + (size_t)j * ldb + k] : B[b * sb + (size_t)k * ldb + j];
          acc += a * bb;
          mag += fabs(a * bb);
        }
        double ref = alpha * acc + (beta != 0 ? beta * (double)C0[ci] : 0.0);
        double tol = 1e-5 * (fabs(alpha) * mag + (beta != 0 ? fabs(beta * C0[ci]) : 0)) + 1e-6;
        if (!(fabs(C[ci] - ref) <= tol) && bad++ < 5)
          printf("\ngemm ta=%d tb=%d b=%d C[%d,%d] = %.9g want %.9g", ta, tb, b, i, j, C[ci], ref);
      }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(touched, 0);
  ctx_free(&c);
}

static void test_gemm_transposes(void) {
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      gemm_case(ta, tb, 7, 5, 9, 0.7f, -0.3f, 1, 0, 100 + 2 * ta + tb);
      gemm_case(ta, tb, 67, 45, 129, -1.25f, 1.0f, 1, 0, 200 + 2 * ta + tb); /* past BLAS blocking sizes */
    }
}

static void test_gemm_beta0_nan(void) {
  gemm_case(0, 0, 13, 11, 17, 1.0f, 0.0f, 1, 1, 300); /* beta = 0: NaN in C must not propagate */
  gemm_case(1, 1, 13, 11, 17, 0.5f, 0.0f, 3, 1, 301);
  gemm_case(0, 1, 6, 4, 0, 1.0f, 0.0f, 1, 1, 302); /* K = 0: C = 0 */
  gemm_case(0, 1, 6, 4, 0, 1.0f, 2.0f, 1, 0, 303); /* K = 0: C = beta C */
  gemm_case(1, 0, 6, 4, 5, 0.0f, 0.5f, 1, 0, 304); /* alpha = 0 */
}

static void test_gemm_batched(void) {
  gemm_case(0, 1, 9, 8, 10, 0.9f, 0.25f, 5, 0, 400);   /* small: spread over the batch */
  gemm_case(1, 0, 70, 70, 60, 1.0f, -0.5f, 3, 0, 401); /* large: OpenBLAS threads each call */
  gemm_case(1, 1, 3, 2, 4, 2.0f, 0.0f, 17, 1, 402);
}

/* ---- bias, column sums, activations, mul, fill, gather --------------------------------------------------------- */
static void bias_colsum_case(int K, int rows, int cols, uint64_t seed) {
  ctx c = ctx_open();
  size_t nx = (size_t)K * rows * cols, nb = (size_t)K * cols;
  float *X = frandv(&c, nx, seed, -2, 2), *bias = frandv(&c, nb, seed + 1, -1, 1), *X0 = ctx_alloc(&c, nx * 4);
  memcpy(X0, X, nx * 4);
  double *ref = ctx_alloc(&c, (nx > nb ? nx : nb) * sizeof *ref);
  TB_CHECK_OK(tb_op_bias_add(c.be, K, rows, cols, X, bias));
  for (size_t i = 0; i < nx; i++) ref[i] = (double)X0[i] + bias[(i / ((size_t)rows * cols)) * cols + i % cols];
  CU_ASSERT_EQUAL(mismatches("bias_add", nx, X, ref, ATOL, RTOL), 0);
  /* col_sum with beta = 0.5 over random Y, then beta = 0 over NaN; sum of `rows` values: rtol scaled by rows */
  float *Y = frandv(&c, nb, seed + 2, -1, 1), *Y0 = ctx_alloc(&c, nb * 4);
  memcpy(Y0, Y, nb * 4);
  for (int pass = 0; pass < 2; pass++) {
    float beta = pass ? 0.0f : 0.5f;
    if (pass)
      for (size_t i = 0; i < nb; i++) Y[i] = NAN;
    TB_CHECK_OK(tb_op_col_sum(c.be, K, rows, cols, X0, beta, Y));
    for (int k = 0; k < K; k++)
      for (int j = 0; j < cols; j++) {
        double s = pass ? 0.0 : 0.5 * Y0[(size_t)k * cols + j];
        for (int i = 0; i < rows; i++) s += X0[((size_t)k * rows + i) * cols + j];
        ref[(size_t)k * cols + j] = s;
      }
    CU_ASSERT_EQUAL(mismatches("col_sum", nb, Y, ref, ATOL, RTOL), 0);
  }
  ctx_free(&c);
}

static void test_bias_col_sum(void) {
  bias_colsum_case(3, 37, 300, 500); /* 300 columns: two column chunks */
  bias_colsum_case(2, 200, 300, 501); /* 120000 elements: parallel path */
  bias_colsum_case(4, 1, 5, 502);
  /* no rows: Y = beta Y, and beta = 0 clears NaN */
  ctx c = ctx_open();
  float *Y = ctx_alloc(&c, 2 * 3 * 4);
  for (int i = 0; i < 6; i++) Y[i] = (float)i - 2.5f;
  TB_CHECK_OK(tb_op_col_sum(c.be, 2, 0, 3, NULL, 0.5f, Y));
  for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(Y[i], 0.5f * ((float)i - 2.5f));
  for (int i = 0; i < 6; i++) Y[i] = NAN;
  TB_CHECK_OK(tb_op_col_sum(c.be, 2, 0, 3, NULL, 0.0f, Y));
  for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(Y[i], 0.0f);
  ctx_free(&c);
}

static double act_ref(tb_act a, double x) {
  return a == TB_ACT_RELU ? (x > 0 ? x : 0) : a == TB_ACT_TANH ? tanh(x) : a == TB_ACT_SIGMOID ? 1 / (1 + exp(-x)) : x;
}

/* Forward and backward of each activation vs double references; backward also vs central finite differences of
 * the forward op (h = 1e-2, |x| > 2h for relu; tolerance 2e-3 covers truncation h^2 f'''/6 and fp32 rounding). */
static void test_activations(void) {
  ctx c = ctx_open();
  const size_t n = 40000; /* above the parallel threshold */
  float *X = frandv(&c, n, 600, -4, 4), *dY = frandv(&c, n, 601, -1, 1), *Y = fnan(&c, n), *dX = fnan(&c, n);
  float *Xp = ctx_alloc(&c, n * 4), *Xm = ctx_alloc(&c, n * 4), *Yp = fnan(&c, n), *Ym = fnan(&c, n);
  double *ref = ctx_alloc(&c, n * sizeof *ref);
  const float h = 1e-2f;
  for (size_t i = 0; i < n; i++) { Xp[i] = X[i] + h; Xm[i] = X[i] - h; }
  for (tb_act a = TB_ACT_IDENTITY; a <= TB_ACT_SIGMOID; a++) {
    TB_CHECK_OK(tb_op_act_forward(c.be, a, n, X, Y));
    for (size_t i = 0; i < n; i++) ref[i] = act_ref(a, X[i]);
    CU_ASSERT_EQUAL(mismatches("act_forward", n, Y, ref, ATOL, RTOL), 0);
    TB_CHECK_OK(tb_op_act_backward(c.be, a, n, Y, dY, dX));
    for (size_t i = 0; i < n; i++) {
      double y = Y[i];
      double d = a == TB_ACT_RELU ? (y > 0) : a == TB_ACT_TANH ? 1 - y * y : a == TB_ACT_SIGMOID ? y * (1 - y) : 1;
      ref[i] = dY[i] * d;
    }
    CU_ASSERT_EQUAL(mismatches("act_backward", n, dX, ref, ATOL, RTOL), 0);
    TB_CHECK_OK(tb_op_act_forward(c.be, a, n, Xp, Yp));
    TB_CHECK_OK(tb_op_act_forward(c.be, a, n, Xm, Ym));
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
      if (a == TB_ACT_RELU && fabsf(X[i]) < 2 * h) continue;
      double fd = dY[i] * ((double)Yp[i] - Ym[i]) / ((double)Xp[i] - Xm[i]);
      if (!(fabs(fd - dX[i]) <= 2e-3) && bad++ < 5) printf("\nact %d fd[%zu] %g vs %g", a, i, fd, dX[i]);
    }
    CU_ASSERT_EQUAL(bad, 0);
  }
  /* in place (Y == X) on a small input; relu passes NaN through */
  float *Z = frandv(&c, 100, 602, -3, 3);
  for (size_t i = 0; i < 100; i++) ref[i] = tanh(Z[i]);
  TB_CHECK_OK(tb_op_act_forward(c.be, TB_ACT_TANH, 100, Z, Z));
  CU_ASSERT_EQUAL(mismatches("tanh in place", 100, Z, ref, ATOL, RTOL), 0);
  Z[0] = NAN;
  TB_CHECK_OK(tb_op_act_forward(c.be, TB_ACT_RELU, 1, Z, Z));
  CU_ASSERT(isnan(Z[0]));
  ctx_free(&c);
}

static void test_mul_fill_gather(void) {
  ctx c = ctx_open();
  const size_t n = 50000;
  float *a = frandv(&c, n, 700, -3, 3), *b = frandv(&c, n, 701, -3, 3), *out = fnan(&c, n);
  double *ref = ctx_alloc(&c, n * sizeof *ref);
  for (size_t i = 0; i < n; i++) ref[i] = (double)a[i] * b[i];
  TB_CHECK_OK(tb_op_mul(c.be, n, a, b, out));
  CU_ASSERT_EQUAL(mismatches("mul", n, out, ref, ATOL, RTOL), 0);
  TB_CHECK_OK(tb_op_mul(c.be, n, a, b, a)); /* out aliases a */
  CU_ASSERT_EQUAL(mismatches("mul in place", n, a, ref, ATOL, RTOL), 0);
  TB_CHECK_OK(tb_op_fill(c.be, n, -0.375f, out));
  for (size_t i = 0; i < n; i++) ref[i] = -0.375;
  CU_ASSERT_EQUAL(mismatches("fill", n, out, ref, 0, 0), 0);
  /* gather 300 rows (with repeats) of a (1000, 13) matrix, and the matching labels */
  const int rows = 1000, cols = 13, m = 300;
  float *src = frandv(&c, (size_t)rows * cols, 702, -1, 1), *dst = fnan(&c, (size_t)m * cols);
  uint32_t *idx = ctx_alloc(&c, m * sizeof *idx);
  int32_t *lab = ctx_alloc(&c, rows * sizeof *lab), *lab_out = ctx_alloc(&c, m * sizeof *lab_out);
  uint64_t s = 703;
  for (int i = 0; i < rows; i++) lab[i] = (int32_t)(rng_next(&s) % 1000003) - 500000;
  for (int i = 0; i < m; i++) { idx[i] = (uint32_t)(rng_next(&s) % rows); lab_out[i] = -1; }
  TB_CHECK_OK(tb_op_gather_rows(c.be, m, cols, src, idx, dst));
  TB_CHECK_OK(tb_op_gather_i32(c.be, m, lab, idx, lab_out));
  int bad = 0;
  for (int i = 0; i < m; i++) {
    bad += memcmp(dst + (size_t)i * cols, src + (size_t)idx[i] * cols, cols * sizeof *dst) != 0;
    bad += lab_out[i] != lab[idx[i]];
  }
  CU_ASSERT_EQUAL(bad, 0);
  ctx_free(&c);
}

/* ---- losses and reductions ------------------------------------------------------------------------------------ */
/* Softmax cross-entropy vs a double reference (log-sum-exp from the row max), for K = 2 models, with logits of
 * scale `scale`; also dlogits aliasing logits, each output alone, and the gradient vs finite differences. */
static void xent_case(float scale, uint64_t seed) {
  ctx c = ctx_open();
  const int K = 2, rows = 33, cls = 7, n = K * rows * cls;
  const float gs = 0.5f;
  float *Z = frandv(&c, n, seed, -scale, scale), *loss = fnan(&c, K * rows), *dZ = fnan(&c, n);
  int32_t *lab = ctx_alloc(&c, rows * sizeof *lab);
  double *rl = ctx_alloc(&c, K * rows * sizeof *rl), *rg = ctx_alloc(&c, n * sizeof *rg);
  for (int i = 0; i < rows; i++) lab[i] = (int32_t)((seed * 31 + i * 7) % cls);
  for (int r = 0; r < K * rows; r++) {
    const float *z = Z + r * cls;
    double m = z[0], s = 0;
    for (int j = 1; j < cls; j++) m = z[j] > m ? z[j] : m;
    for (int j = 0; j < cls; j++) s += exp(z[j] - m);
    rl[r] = m + log(s) - z[lab[r % rows]];
    for (int j = 0; j < cls; j++) rg[r * cls + j] = (exp(z[j] - m) / s - (j == lab[r % rows])) * gs;
  }
  TB_CHECK_OK(tb_op_softmax_xent(c.be, K, rows, cls, Z, lab, gs, loss, dZ));
  CU_ASSERT_EQUAL(mismatches("xent loss", K * rows, loss, rl, ATOL, RTOL), 0);
  CU_ASSERT_EQUAL(mismatches("xent grad", n, dZ, rg, ATOL, RTOL), 0);
  for (int r = 0; r < K * rows; r++) { /* each gradient row sums to 0 */
    double s = 0;
    for (int j = 0; j < cls; j++) s += dZ[r * cls + j];
    CU_ASSERT(fabs(s) < 1e-6);
  }
  float *loss2 = fnan(&c, K * rows), *Zc = ctx_alloc(&c, n * 4);
  memcpy(Zc, Z, n * 4);
  TB_CHECK_OK(tb_op_softmax_xent(c.be, K, rows, cls, Zc, lab, gs, NULL, Zc)); /* in place, gradient only */
  CU_ASSERT_EQUAL(mismatches("xent grad in place", n, Zc, rg, ATOL, RTOL), 0);
  TB_CHECK_OK(tb_op_softmax_xent(c.be, K, rows, cls, Z, lab, gs, loss2, NULL)); /* loss only */
  CU_ASSERT_EQUAL(memcmp(loss, loss2, K * rows * 4), 0);
  if (scale <= 10) { /* finite differences on the first rows of model 1: h = 1e-2, tolerance 2e-4 */
    float *Zh = ctx_alloc(&c, n * 4), lp[1], lm[1];
    memcpy(Zh, Z, n * 4);
    size_t bad = 0;
    for (int r = rows; r < rows + 3; r++)
      for (int j = 0; j < cls; j++) {
        float *zi = Zh + r * cls + j, z0 = *zi, h = 1e-2f;
        *zi = z0 + h;
        TB_CHECK_OK(tb_op_softmax_xent(c.be, 1, 1, cls, Zh + r * cls, lab + r % rows, 1, lp, NULL));
        *zi = z0 - h;
        TB_CHECK_OK(tb_op_softmax_xent(c.be, 1, 1, cls, Zh + r * cls, lab + r % rows, 1, lm, NULL));
        *zi = z0;
        double fd = ((double)lp[0] - lm[0]) / (2.0 * h) * gs;
        if (!(fabs(fd - dZ[r * cls + j]) <= 2e-4 * gs) && bad++ < 5) printf("\nxent fd %g vs %g", fd, dZ[r * cls + j]);
      }
    CU_ASSERT_EQUAL(bad, 0);
  }
  ctx_free(&c);
}

static void test_softmax_xent(void) {
  xent_case(3.0f, 800);
  xent_case(1e4f, 801); /* exp(1e4) overflows anything not shifted by the row max */
}

static void test_sq_err(void) {
  ctx c = ctx_open();
  const int K = 3, rows = 20, cols = 3, n = K * rows * cols;
  float *P = frandv(&c, n, 900, -2, 2), *T = frandv(&c, rows * cols, 901, -2, 2);
  float *loss = fnan(&c, K * rows), *dP = fnan(&c, n);
  double *rl = ctx_alloc(&c, K * rows * sizeof *rl), *rg = ctx_alloc(&c, n * sizeof *rg);
  for (int r = 0; r < K * rows; r++) {
    double s = 0;
    for (int j = 0; j < cols; j++) {
      double d = (double)P[r * cols + j] - T[(r % rows) * cols + j];
      s += d * d;
      rg[r * cols + j] = d * 0.25;
    }
    rl[r] = 0.5 * s;
  }
  TB_CHECK_OK(tb_op_sq_err(c.be, K, rows, cols, P, T, 0.25f, loss, dP));
  CU_ASSERT_EQUAL(mismatches("sq_err loss", K * rows, loss, rl, ATOL, RTOL), 0);
  CU_ASSERT_EQUAL(mismatches("sq_err grad", n, dP, rg, ATOL, RTOL), 0);
  TB_CHECK_OK(tb_op_sq_err(c.be, K, rows, cols, P, T, 0.25f, NULL, P)); /* in place, gradient only */
  CU_ASSERT_EQUAL(mismatches("sq_err grad in place", n, P, rg, ATOL, RTOL), 0);
  ctx_free(&c);
}

/* Ordered sum of K = 3 blocks of 100003 floats: vs a double reference (relative 1e-12 of sum |x|: only the order
 * of double additions differs), identical with 1 and 2 threads, and bit-identical over 16 runs. */
static void test_sum_deterministic(void) {
  ctx c = ctx_open();
  const int K = 3;
  const size_t n = 100003;
  float *x = frandv(&c, K * n, 1000, -1, 1);
  double sums[3], first[3], ref[3], mag[3];
  for (int k = 0; k < K; k++) {
    ref[k] = mag[k] = 0;
    for (size_t i = 0; i < n; i++) { ref[k] += x[k * n + i]; mag[k] += fabs(x[k * n + i]); }
  }
  tb_backend_set_threads(c.be, 1);
  TB_CHECK_OK(tb_op_sum(c.be, K, n, x, first));
  for (int k = 0; k < K; k++) CU_ASSERT(fabs(first[k] - ref[k]) <= 1e-12 * mag[k]);
  tb_backend_set_threads(c.be, 2);
  for (int run = 0; run < 16; run++) {
    TB_CHECK_OK(tb_op_sum(c.be, K, n, x, sums));
    CU_ASSERT_EQUAL(memcmp(sums, first, sizeof sums), 0);
  }
  TB_CHECK_OK(tb_op_sum(c.be, K, 0, NULL, sums)); /* n = 0: zeros */
  for (int k = 0; k < K; k++) CU_ASSERT_EQUAL(sums[k], 0.0);
  ctx_free(&c);
}

static void test_argmax_accuracy(void) {
  ctx c = ctx_open();
  const int K = 3, rows = 500, cls = 5;
  /* values on a coarse grid, so many rows have ties: the lowest index must win */
  float *Z = ctx_alloc(&c, (size_t)K * rows * cls * 4);
  uint64_t s = 1100;
  for (int i = 0; i < K * rows * cls; i++) Z[i] = (float)(rng_next(&s) % 4) - 1.5f;
  int32_t *lab = ctx_alloc(&c, rows * 4), *idx = ctx_alloc(&c, (size_t)K * rows * 4);
  for (int i = 0; i < rows; i++) lab[i] = (int32_t)(rng_next(&s) % cls);
  for (int i = 0; i < K * rows; i++) idx[i] = -7;
  TB_CHECK_OK(tb_op_argmax(c.be, K * rows, cls, Z, idx));
  int bad = 0, ties = 0;
  int64_t ref[3] = {0, 0, 0}, got[3] = {-1, -1, -1};
  for (int r = 0; r < K * rows; r++) {
    int best = 0, n_best = 1;
    for (int j = 1; j < cls; j++) {
      if (Z[r * cls + j] > Z[r * cls + best]) { best = j; n_best = 1; }
      else if (Z[r * cls + j] == Z[r * cls + best]) n_best++;
    }
    ties += n_best > 1;
    bad += idx[r] != best;
    ref[r / rows] += best == lab[r % rows];
  }
  CU_ASSERT(ties > 100);
  CU_ASSERT_EQUAL(bad, 0);
  TB_CHECK_OK(tb_op_accuracy(c.be, K, rows, cls, Z, lab, got));
  for (int k = 0; k < K; k++) CU_ASSERT_EQUAL(got[k], ref[k]);
  TB_CHECK_OK(tb_op_accuracy(c.be, K, 0, cls, Z, lab, got)); /* no rows: zero correct */
  for (int k = 0; k < K; k++) CU_ASSERT_EQUAL(got[k], 0);
  ctx_free(&c);
}

/* Bad input through the public API is TB_ERR_INVALID and leaves outputs alone. */
static void test_bad_input(void) {
  ctx c = ctx_open();
  float x[16] = {0}, y[16] = {0};
  int32_t lab[4] = {0}, idx[4];
  double sums[2];
  tb_backend *be = c.be;
  CU_ASSERT_EQUAL(tb_op_gemm(be, 0, 0, -1, 2, 2, 1, x, 2, y, 2, 0, x, 2), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_gemm(be, 0, 0, 2, 3, 2, 1, x, 2, y, 3, 0, x, 2), TB_ERR_INVALID); /* ldc < N */
  CU_ASSERT_EQUAL(tb_op_gemm(be, 1, 0, 3, 2, 2, 1, x, 2, y, 2, 0, x, 2), TB_ERR_INVALID); /* lda < M */
  CU_ASSERT_EQUAL(tb_op_gemm(be, 0, 0, 2, 2, 2, 1, x, 2, y, 2, 0, NULL, 2), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_gemm_batched(be, 0, 0, 2, 2, 2, 1, x, 2, 4, y, 2, 4, 0, x, 2, 4, -1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_bias_add(be, 1, 2, 2, x, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_col_sum(be, 1, -2, 2, x, 0, y), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_act_forward(be, (tb_act)9, 4, x, y), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_act_backward(be, TB_ACT_RELU, 4, x, NULL, y), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_mul(be, 4, x, NULL, y), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_softmax_xent(be, 1, 2, 0, x, lab, 1, y, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_softmax_xent(be, 1, 2, 3, x, NULL, 1, y, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_sq_err(be, -1, 2, 2, x, y, 1, NULL, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_sum(be, 2, 4, x, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_sum(be, 2, 4, NULL, sums), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_accuracy(be, 1, 2, 2, x, lab, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_gather_rows(be, 2, -1, x, (const uint32_t *)lab, y), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_gather_i32(be, 2, lab, NULL, idx), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_fill(be, 4, 1, NULL), TB_ERR_INVALID);
  for (int i = 0; i < 16; i++) CU_ASSERT(x[i] == 0 && y[i] == 0);
  /* a label outside [0, classes) gives NaN for its row (the CPU cannot raise from a device kernel either) */
  float z[6] = {1, 2, 3, 4, 5, 6}, l[2];
  int32_t badlab[2] = {1, 3};
  TB_CHECK_OK(tb_op_softmax_xent(be, 1, 2, 3, z, badlab, 1, l, NULL));
  CU_ASSERT(isfinite(l[0]) && isnan(l[1]));
  ctx_free(&c);
}

static const tb_test_case cases[] = {
    {"gemm_transposes", test_gemm_transposes},
    {"gemm_beta0_nan", test_gemm_beta0_nan},
    {"gemm_batched", test_gemm_batched},
    {"bias_col_sum", test_bias_col_sum},
    {"activations", test_activations},
    {"mul_fill_gather", test_mul_fill_gather},
    {"softmax_xent", test_softmax_xent},
    {"sq_err", test_sq_err},
    {"sum_deterministic", test_sum_deterministic},
    {"argmax_accuracy", test_argmax_accuracy},
    {"bad_input", test_bad_input},
    {NULL, NULL},
};
TB_TEST_MAIN("ops_dense", cases)
