/* test_gemm_small.c: the CPU backend's skinny-GEMM kernels (kernels/cpu/gemm_small.c) and the dispatch to them
 * (kernels/cpu/dense.c), through the public tb_op_gemm, against a double-precision reference written here.
 * Inputs are random from fixed seeds; the padding of every strided operand is NaN (a kernel that lets a lane past
 * the row width reach a kept result fails), and C is NaN before every beta = 0 call.
 * Covers: NN with N = 1..16 and TN with N = 1..16 (M around the 4-row and 16-row blocks, K = 1, 7, 784, 3000),
 * M = 1..5 with wide N (around the 16-float vectors and 4-vector blocks, both A layouts), strides larger than the
 * row, alpha != 1, beta in {0, 1, 0.5}, K = 0, called directly (every kernel path on every shape); the dispatcher's
 * choice on the learners' shapes and on shapes it leaves to OpenBLAS, all correct through tb_op_gemm; results
 * bit-identical with 1 and 2 threads on shapes big enough to run in parallel; the M <= 4 path on two threads (the
 * pair pool) over many calls and with two callers at once; bad arguments rejected.
 * Tolerance per element: 1e-5 * (|alpha| sum_k |a b| + |beta c|) + 1e-6 (fp32 accumulation over K terms). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "cpu/cpu_impl.h"
#include "tb_backend.h"
#include "tb_test.h"

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static float frand(uint64_t *s) { return -1.0f + 2.0f * (float)(rng_next(s) >> 40) / 16777216.0f; }

static tb_backend *open_cpu(int threads) {
  tb_backend *be = NULL;
  tb_device dev = {TB_DEVICE_CPU, 0};
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  tb_backend_set_threads(be, threads);
  return be;
}

/* A (rows, cols) row-major with stride ld >= cols: random values, NaN in the padding. */
static float *matrix(int rows, int cols, int ld, uint64_t *seed) {
  size_t n = (size_t)(rows ? rows : 1) * (size_t)ld;
  float *x = malloc(n * sizeof *x);
  CU_ASSERT_FATAL(x != NULL);
  for (size_t i = 0; i < n; i++) x[i] = (int)(i % (size_t)ld) < cols ? frand(seed) : NAN;
  return x;
}

typedef struct {
  int ta, M, N, K, pad;
  float alpha, beta;
} gcase;

/* Runs one case on `be` (direct: the kernel itself, tb_cpu_gemm_small; else tb_op_gemm and its dispatch) and
 * checks every element against the double reference; returns the mismatch count. With `out` the computed C
 * (M * ldc floats) is copied there. */
static size_t run_case(tb_backend *be, gcase g, int direct, uint64_t seed, float *out) {
  const int lda = (g.ta ? g.M : g.K) + g.pad, ldb = g.N + g.pad, ldc = g.N + g.pad;
  float *A = matrix(g.ta ? g.K : g.M, g.ta ? g.M : g.K, lda ? lda : 1, &seed);
  float *B = matrix(g.K, g.N, ldb, &seed);
  float *C = matrix(g.M, g.N, ldc, &seed);
  float *C0 = malloc((size_t)g.M * ldc * sizeof *C0);
  CU_ASSERT_FATAL(C0 != NULL);
  if (g.beta == 0.0f)
    for (size_t i = 0; i < (size_t)g.M * ldc; i++) C[i] = NAN;
  memcpy(C0, C, (size_t)g.M * ldc * sizeof *C0);
  if (direct)
    tb_cpu_gemm_small(be, g.ta ? TB_TRANS : TB_NO_TRANS, g.M, g.N, g.K, g.alpha, A, lda, B, ldb, g.beta, C, ldc);
  else
    TB_CHECK_OK(tb_op_gemm(be, g.ta ? TB_TRANS : TB_NO_TRANS, TB_NO_TRANS, g.M, g.N, g.K, g.alpha, A,
                           lda ? lda : 1, B, ldb, g.beta, C, ldc));
  size_t bad = 0;
  for (int i = 0; i < g.M; i++)
    for (int j = 0; j < ldc; j++) {
      size_t ci = (size_t)i * ldc + j;
      if (j >= g.N) { /* padding of C: untouched (NaN stays NaN) */
        if (!isnan(C[ci]) && bad++ < 5) printf("\nC padding [%d,%d] written", i, j);
        continue;
      }
      double acc = 0, mag = 0;
      for (int k = 0; k < g.K; k++) {
        double a = g.ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k], b = B[(size_t)k * ldb + j];
        acc += a * b;
        mag += fabs(a * b);
      }
      double ref = g.alpha * acc + (g.beta != 0 ? g.beta * (double)C0[ci] : 0.0);
      double tol = 1e-5 * (fabs(g.alpha) * mag + (g.beta != 0 ? fabs(g.beta * C0[ci]) : 0)) + 1e-6;
      if (!(fabs(C[ci] - ref) <= tol) && bad++ < 5)
        printf("\ngemm ta=%d M=%d N=%d K=%d pad=%d alpha=%g beta=%g: C[%d,%d] = %.9g want %.9g", g.ta, g.M, g.N,
               g.K, g.pad, g.alpha, g.beta, i, j, C[ci], ref);
    }
  if (out) memcpy(out, C, (size_t)g.M * ldc * sizeof *C);
  free(A);
  free(B);
  free(C);
  free(C0);
  return bad;
}

static const float betas[3] = {0.0f, 1.0f, 0.5f};

/* N <= 16, A not transposed (logreg forward) and transposed (logreg gradient): every N, M around the blocks. */
static void test_small_n(void) {
  tb_backend *be = open_cpu(2);
  static const int Ms[] = {1, 3, 5, 7, 16, 17, 37};
  static const int Ks[] = {1, 7, 784, 3000};
  size_t bad = 0;
  int n_cases = 0;
  for (int ta = 0; ta < 2; ta++)
    for (int N = 1; N <= 16; N++)
      for (int mi = 0; mi < 7; mi++)
        for (int ki = 0; ki < 4; ki++) {
          if (Ks[ki] >= 784 && (mi + N) % 3) continue; /* the long K on a third of the shapes keeps it quick */
          int c = n_cases++;
          gcase g = {ta, Ms[mi], N, Ks[ki], c % 3 == 0 ? 0 : 1 + c % 5, c % 2 ? -0.75f : 1.0f, betas[c % 3]};
          bad += run_case(be, g, 1, 1000 + (uint64_t)c, NULL);
        }
  CU_ASSERT_EQUAL(bad, 0);
  tb_backend_free(be);
}

/* M <= 4 (GEMV-like small-batch inference; also with A transposed) with wide N, and M = 5 which goes to OpenBLAS. */
static void test_small_m(void) {
  tb_backend *be = open_cpu(2);
  static const int Ns[] = {17, 31, 33, 64, 65, 129, 256, 300};
  static const int Ks[] = {1, 7, 784};
  size_t bad = 0;
  int n_cases = 0;
  for (int ta = 0; ta < 2; ta++)
    for (int M = 1; M <= 5; M++)
      for (int ni = 0; ni < 8; ni++)
        for (int ki = 0; ki < 3; ki++) {
          int c = n_cases++;
          gcase g = {ta, M, Ns[ni], Ks[ki], c % 4 == 0 ? 0 : 1 + c % 7, c % 2 ? 1.0f : 1.5f, betas[c % 3]};
          bad += M <= 4 ? run_case(be, g, 1, 5000 + (uint64_t)c, NULL) : 0;
          bad += run_case(be, g, 0, 5000 + (uint64_t)c, NULL); /* whichever path the dispatcher picks */
        }
  CU_ASSERT_EQUAL(bad, 0);
  tb_backend_free(be);
}

/* K = 0 and alpha = 0: C = beta C (zeros over NaN when beta = 0), whatever the shape class. */
static void test_k0(void) {
  tb_backend *be = open_cpu(2);
  size_t bad = 0;
  for (int b = 0; b < 3; b++) {
    bad += run_case(be, (gcase){0, 9, 10, 0, 2, 1.0f, betas[b]}, 0, 40 + b, NULL);
    bad += run_case(be, (gcase){1, 3, 40, 0, 1, 1.0f, betas[b]}, 0, 50 + b, NULL);
    bad += run_case(be, (gcase){0, 9, 10, 5, 0, 0.0f, betas[b]}, 0, 60 + b, NULL);
  }
  CU_ASSERT_EQUAL(bad, 0);
  tb_backend_free(be);
}

/* Shapes large enough for the parallel loops give bit-identical C with 1 and 2 threads, on every path. */
static void test_threads_bitwise(void) {
  static const gcase cases[] = {
      {0, 1001, 10, 784, 0, 1.0f, 0.0f},  /* NN, N small: logreg forward */
      {1, 787, 10, 1000, 3, 1.0f, 1.0f},  /* TN, N small: logreg gradient */
      {0, 2, 1030, 784, 1, 0.5f, 0.5f},   /* M small: batch-2 inference */
      {1, 3, 700, 800, 0, -1.0f, 0.0f},   /* M small, A transposed */
  };
  tb_backend *b1 = open_cpu(1), *b2 = open_cpu(2);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    gcase g = cases[i];
    CU_ASSERT((double)g.M * g.N * g.K >= 1048576.0); /* above the kernels' parallel threshold */
    size_t n = (size_t)g.M * (size_t)(g.N + g.pad);
    float *c1 = malloc(n * sizeof *c1), *c2 = malloc(n * sizeof *c2);
    CU_ASSERT_FATAL(c1 && c2);
    CU_ASSERT_EQUAL(run_case(b1, g, 1, 77 + i, c1), 0);
    CU_ASSERT_EQUAL(run_case(b2, g, 1, 77 + i, c2), 0);
    CU_ASSERT(memcmp(c1, c2, n * sizeof *c1) == 0);
    free(c1);
    free(c2);
  }
  tb_backend_free(b1);
  tb_backend_free(b2);
}

/* The dispatcher sends the logreg shapes and batch-1..4 inference GEMMs (M <= 4, N >= 64, >= 64 Ki multiply-adds)
 * to the kernels and leaves the rest to OpenBLAS (B transposed, small A with N <= 16, small GEMV, K N past the L2
 * bound, TN with a big A); every one is correct through tb_op_gemm. */
static void test_dispatch(void) {
  tb_backend *be = open_cpu(2);
  static const struct { gcase g; int fast; } d[] = {
      {{0, 334, 10, 784, 0, 1.0f, 0.0f}, 1},  {{1, 784, 10, 334, 0, 1.0f, 1.0f}, 1}, /* logreg chunk */
      {{0, 1, 256, 784, 0, 1.0f, 0.0f}, 1},   {{0, 1, 10, 256, 0, 1.0f, 0.0f}, 0},   /* batch-1 MLP layers */
      {{0, 128, 10, 256, 2, 1.0f, 0.0f}, 0},  {{1, 256, 10, 128, 1, 1.0f, 0.0f}, 0}, /* MLP batch 128 */
      {{0, 5, 17, 40, 2, 1.0f, 0.5f}, 0},     {{0, 4, 256, 784, 0, 1.0f, 0.0f}, 1},
      {{1, 1, 256, 784, 0, 1.0f, 0.0f}, 0},   {{0, 2, 40, 2000, 0, 1.0f, 0.0f}, 0}, /* A transposed; N < 64 */
      {{0, 20, 16, 5000, 0, 1.0f, 1.0f}, 0},  {{1, 20, 16, 5000, 3, 1.0f, 0.0f}, 0},
      {{1, 3000, 4, 1000, 0, 1.0f, 0.0f}, 0}, /* TN with A of 12 MB */
  };
  size_t bad = 0;
  for (size_t i = 0; i < sizeof d / sizeof *d; i++) {
    gcase g = d[i].g;
    CU_ASSERT_EQUAL(tb_cpu_gemm_small_fits(g.ta ? TB_TRANS : TB_NO_TRANS, TB_NO_TRANS, g.M, g.N, g.K), d[i].fast);
    bad += run_case(be, g, 0, 90 + i, NULL);
  }
  CU_ASSERT(!tb_cpu_gemm_small_fits(TB_NO_TRANS, TB_TRANS, 300, 10, 784));
  CU_ASSERT_EQUAL(bad, 0);
  /* B transposed with N <= 16: through tb_op_gemm against the same reference, written out here */
  uint64_t s = 94;
  const int M = 9, N = 10, K = 13, lda = K, ldb = K, ldc = N;
  float *A = matrix(M, K, lda, &s), *B = matrix(N, K, ldb, &s), *C = matrix(M, N, ldc, &s);
  TB_CHECK_OK(tb_op_gemm(be, TB_NO_TRANS, TB_TRANS, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc));
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double acc = 0, mag = 0;
      for (int k = 0; k < K; k++) {
        acc += (double)A[i * lda + k] * B[j * ldb + k];
        mag += fabs((double)A[i * lda + k] * B[j * ldb + k]);
      }
      CU_ASSERT(fabs(C[i * ldc + j] - acc) <= 1e-5 * mag + 1e-6);
    }
  free(A);
  free(B);
  free(C);
  tb_backend_free(be);
}

/* The M <= 4 path on two threads (the pair pool, kernels/cpu/pair_pool.c): many calls in a row, each bit-identical
 * to the one-thread result and within tolerance of the double reference; then two caller threads at once (one gets
 * the helper, the other runs both halves itself), every result still bit-identical. */
typedef struct {
  gcase g;
  uint64_t seed;
  const float *want;
  size_t n, bad;
} pair_job;

static void *pair_caller(void *arg) {
  pair_job *j = arg;
  tb_backend *be = open_cpu(2);
  float *c = malloc(j->n * sizeof *c);
  for (int r = 0; r < 300 && c; r++) {
    j->bad += run_case(be, j->g, 0, j->seed, c);
    j->bad += memcmp(c, j->want, j->n * sizeof *c) != 0;
  }
  free(c);
  tb_backend_free(be);
  return NULL;
}

static void test_pair(void) {
  static const gcase gs[] = {{0, 1, 256, 784, 0, 1.0f, 0.0f}, {0, 3, 200, 300, 5, -0.5f, 0.5f},
                             {0, 4, 97, 700, 0, 1.0f, 1.0f}};
  pair_job jobs[3];
  tb_backend *b1 = open_cpu(1);
  for (int i = 0; i < 3; i++) {
    gcase g = gs[i];
    CU_ASSERT(tb_cpu_gemm_small_fits(TB_NO_TRANS, TB_NO_TRANS, g.M, g.N, g.K));
    size_t n = (size_t)g.M * (size_t)(g.N + g.pad);
    float *want = malloc(n * sizeof *want);
    CU_ASSERT_FATAL(want != NULL);
    CU_ASSERT_EQUAL(run_case(b1, g, 0, 300 + i, want), 0); /* one thread: no pair */
    jobs[i] = (pair_job){g, 300 + (uint64_t)i, want, n, 0};
  }
  pair_caller(&jobs[0]); /* one caller, 300 calls in a row */
  CU_ASSERT_EQUAL(jobs[0].bad, 0);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) CU_ASSERT_FATAL(pthread_create(&t[i], NULL, pair_caller, &jobs[1 + i]) == 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CU_ASSERT_EQUAL(jobs[1].bad, 0);
  CU_ASSERT_EQUAL(jobs[2].bad, 0);
  for (int i = 0; i < 3; i++) free((void *)jobs[i].want);
  tb_backend_free(b1);
}

/* Bad arguments are refused before any kernel runs (and leave C as it was). */
static void test_bad_input(void) {
  tb_backend *be = open_cpu(2);
  float A[64], B[64], C[64];
  for (int i = 0; i < 64; i++) A[i] = B[i] = C[i] = 1.0f;
  CU_ASSERT(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 4, 8, 4, 1.0f, A, 4, B, 7, 0.0f, C, 8) < 0); /* ldb < N */
  CU_ASSERT(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 4, 8, 4, 1.0f, A, 3, B, 8, 0.0f, C, 8) < 0); /* lda < K */
  CU_ASSERT(tb_op_gemm(be, TB_TRANS, TB_NO_TRANS, 4, 8, 4, 1.0f, A, 3, B, 8, 0.0f, C, 8) < 0);    /* lda < M */
  CU_ASSERT(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 2, 8, 4, 1.0f, A, 4, B, 8, 0.0f, C, 7) < 0); /* ldc < N */
  CU_ASSERT(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, -1, 8, 4, 1.0f, A, 4, B, 8, 0.0f, C, 8) < 0);
  CU_ASSERT(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 2, 8, 4, 1.0f, NULL, 4, B, 8, 0.0f, C, 8) < 0);
  CU_ASSERT(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 2, 8, 4, 1.0f, A, 4, B, 8, 0.0f, NULL, 8) < 0);
  for (int i = 0; i < 64; i++) CU_ASSERT_EQUAL(C[i], 1.0f);
  CU_ASSERT(!tb_cpu_gemm_small_fits(TB_NO_TRANS, TB_NO_TRANS, 0, 8, 4)); /* empty shapes never reach the kernels */
  CU_ASSERT(!tb_cpu_gemm_small_fits(TB_NO_TRANS, TB_NO_TRANS, 4, 8, 0));
  tb_backend_free(be);
}

static const tb_test_case cases[] = {
    {"N <= 16, A normal and transposed, vs double", test_small_n},
    {"M <= 4 with wide N, vs double", test_small_m},
    {"K = 0 and alpha = 0", test_k0},
    {"1 vs 2 threads bit-identical", test_threads_bitwise},
    {"dispatch: fast path or OpenBLAS, both correct", test_dispatch},
    {"M <= 4 on two threads (pair pool), concurrent callers", test_pair},
    {"bad input", test_bad_input},
    {NULL, NULL},
};
TB_TEST_MAIN("gemm_small", cases)
