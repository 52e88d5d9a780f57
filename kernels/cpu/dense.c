/* dense.c: the CPU backend's dense ops: GEMM (OpenBLAS), bias add and its gradient (column sums), activations,
 * elementwise product, fill and row gathers. Small calls (below TB_CPU_PAR_MIN elements) never open a parallel
 * region. Arguments were checked by kernels/backend.c; these functions only
 * compute. Not here: random numbers (random.c), losses and reductions (loss.c), optimizers (optim.c).
 * Every op is the CPU reference the CUDA kernels are compared with, so each states its exact float formula.
 * GEMM goes to gemm_small.c where tb_cpu_gemm_small_fits says so, else to OpenBLAS. Measured, kernel vs cblas_sgemm,
 * one thread, median us per call (kernels/dev/gemm_small_bench.c, AMD EPYC Zen 4 VM, load ~5 on 2 cores):
 *   logreg X W     (334 | 1337, 10, 784)  75 vs 167 (2.2x) | 300 vs 807 (2.7x)
 *   logreg X^T P   (784, 10, 334 | 1337)  49 vs 153 (3.1x) | 189 vs 969 (5.1x); A of 16 MiB: 0.73x, so not taken
 *   MLP X W1 at batch 1 (1, 256, 784): 9.9 vs 10.6 on one thread (both near one core's L2 bandwidth for W1's
 *   800 KB), so it is taken only to split it over two threads (pair_pool.c): `tunebench bench latency` p50 of the
 *   784-256-10 MLP 12.4 us (OpenBLAS) -> 8.5 us (pair) -> 5.7 us after also dropping the parallel regions (even
 *   with a false if(): a team set-up per call) from the small ops of the predict path (quiet machine, 2 cores);
 *   not taken: MLP dW (256, 10, 128) 6.8 vs 7.3 (no end-to-end gain); NN N = 10 with
 *   M K < 128 Ki (0.9x); M = 2..4 (0.88x at M = 4); (1, 10, 256) (0.5x).
 * Tested by tests/test_ops_dense.c (double-precision references, finite differences, NaN-poisoned outputs) and
 * tests/test_gemm_small.c (the skinny paths and the dispatch). */
#include "cpu_impl.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Below this many elements an elementwise loop runs on the calling thread (a parallel region costs more). */
#define TB_CPU_PAR_MIN 32768
/* OpenBLAS runs a GEMM with M*N*K below this on one thread (its SMP threshold, 65536 * 4); smaller batched
 * GEMMs are spread over the batch with OpenMP instead. */
#define TB_CPU_GEMM_SMALL 262144.0

/* C (M,N) = beta * C, where beta == 0 writes zeros whatever C held (NaN included). */
static void scale_c(int M, int N, float beta, float *C, int ldc) {
  for (int i = 0; i < M; i++) {
    float *c = C + (size_t)i * ldc;
    if (beta == 0.0f)
      memset(c, 0, (size_t)N * sizeof *c);
    else if (beta != 1.0f)
      for (int j = 0; j < N; j++) c[j] *= beta;
  }
}

/* One GEMM: skinny shapes to gemm_small.c (which never reads C when beta == 0), the rest to OpenBLAS. For OpenBLAS
 * beta == 0 clears C first, so C's old contents are never read even if a BLAS build did read them. */
static void gemm_one(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                     int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  if (K > 0 && alpha != 0.0f && tb_cpu_gemm_small_fits(ta, tb, M, N, K)) {
    tb_cpu_gemm_small(be, ta, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (beta == 0.0f) scale_c(M, N, 0.0f, C, ldc);
  if (K == 0 || alpha == 0.0f) { /* C = beta C; BLAS would reject lda = 0 when K = 0 */
    if (beta != 0.0f) scale_c(M, N, beta, C, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta == TB_TRANS ? CblasTrans : CblasNoTrans, tb == TB_TRANS ? CblasTrans : CblasNoTrans,
              M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int tb_cpu_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                        int lda, long long sa, const float *B, int ldb, long long sb, float beta, float *C, int ldc,
                        long long sc, int batch) {
  /* Small matrices: one OpenBLAS call per batch entry, the entries spread over threads. Large ones: OpenBLAS
   * threads each call itself. Either way each C is computed by exactly one sgemm, so results are identical. */
  int small = (double)M * N * K < TB_CPU_GEMM_SMALL && batch > 1;
  if (!small) { /* no parallel region at all: even one with a false if() costs a team set-up per call */
    for (int b = 0; b < batch; b++)
      gemm_one(be, ta, tb, M, N, K, alpha, K ? A + b * sa : NULL, lda, K ? B + b * sb : NULL, ldb, beta, C + b * sc,
               ldc);
    return TB_OK;
  }
#pragma omp parallel for num_threads(tb_cpu_threads(be)) schedule(static)
  for (int b = 0; b < batch; b++)
    gemm_one(be, ta, tb, M, N, K, alpha, K ? A + b * sa : NULL, lda, K ? B + b * sb : NULL, ldb, beta, C + b * sc, ldc);
  return TB_OK;
}

int tb_cpu_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias) {
  /* X is (K, rows, cols), bias is (K, cols): one task per row of one model. */
  long long n_rows = (long long)K * rows;
  if (n_rows * cols < TB_CPU_PAR_MIN) { /* small (batch-1 inference): no parallel region */
    for (long long r = 0; r < n_rows; r++) {
      float *x = X + (size_t)r * cols;
      const float *b = bias + (size_t)(r / rows) * cols;
      for (int j = 0; j < cols; j++) x[j] += b[j];
    }
    return TB_OK;
  }
#pragma omp parallel for num_threads(tb_cpu_threads(be)) schedule(static)
  for (long long r = 0; r < n_rows; r++) {
    float *x = X + (size_t)r * cols;
    const float *b = bias + (size_t)(r / rows) * cols;
    for (int j = 0; j < cols; j++) x[j] += b[j];
  }
  return TB_OK;
}

/* Columns per task of col_sum; each task keeps that many double accumulators on its stack. */
#define TB_COLSUM_CHUNK 256

int tb_cpu_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y) {
  /* Y (K, cols) = beta Y + column sums of X (K, rows, cols), accumulated in double over rows in order (so the
   * result does not depend on the thread count) and rounded once. beta == 0 overwrites Y (NaN is not read). */
  int chunks = (cols + TB_COLSUM_CHUNK - 1) / TB_COLSUM_CHUNK;
  long long tasks = (long long)K * chunks;
  int par = (double)K * rows * cols >= TB_CPU_PAR_MIN && tasks > 1;
#pragma omp parallel for if (par) num_threads(tb_cpu_threads(be)) schedule(static)
  for (long long t = 0; t < tasks; t++) {
    int k = (int)(t / chunks), c0 = (int)(t % chunks) * TB_COLSUM_CHUNK;
    int w = cols - c0 < TB_COLSUM_CHUNK ? cols - c0 : TB_COLSUM_CHUNK;
    double acc[TB_COLSUM_CHUNK];
    for (int j = 0; j < w; j++) acc[j] = 0.0;
    for (int i = 0; i < rows; i++) { /* rows == 0 allows X == NULL: no pointer is formed from it */
      const float *x = X + ((size_t)k * rows + i) * cols + c0;
      for (int j = 0; j < w; j++) acc[j] += x[j];
    }
    float *y = Y + (size_t)k * cols + c0;
    for (int j = 0; j < w; j++) y[j] = beta == 0.0f ? (float)acc[j] : (float)((double)beta * y[j] + acc[j]);
  }
  return TB_OK;
}

/* relu(x) = x < 0 ? 0 : x, so NaN passes through (as in PyTorch); tanh = tanhf; sigmoid = 1 / (1 + expf(-x)). */
static inline float act_f(tb_act act, float x) {
  switch (act) {
  case TB_ACT_RELU: return x < 0.0f ? 0.0f : x;
  case TB_ACT_TANH: return tanhf(x);
  case TB_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case TB_ACT_IDENTITY: break;
  }
  return x;
}

/* f'(x) expressed with y = f(x). */
static inline float act_df(tb_act act, float y) {
  switch (act) {
  case TB_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
  case TB_ACT_TANH: return 1.0f - y * y;
  case TB_ACT_SIGMOID: return y * (1.0f - y);
  case TB_ACT_IDENTITY: break;
  }
  return 1.0f;
}

int tb_cpu_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y) {
  if (n < TB_CPU_PAR_MIN) { /* small (batch-1 inference): no parallel region; relu unswitched so it vectorises */
    if (act == TB_ACT_RELU)
      for (size_t i = 0; i < n; i++) Y[i] = X[i] < 0.0f ? 0.0f : X[i];
    else
      for (size_t i = 0; i < n; i++) Y[i] = act_f(act, X[i]);
    return TB_OK;
  }
#pragma omp parallel for num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t i = 0; i < n; i++) Y[i] = act_f(act, X[i]);
  return TB_OK;
}

int tb_cpu_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX) {
  /* dX = dY * f'(y) literally, so a NaN upstream gradient stays NaN even where relu is flat. */
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t i = 0; i < n; i++) dX[i] = dY[i] * act_df(act, Y[i]);
  return TB_OK;
}

int tb_cpu_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out) {
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
  return TB_OK;
}

int tb_cpu_fill(tb_backend *be, size_t n, float value, float *x) {
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t i = 0; i < n; i++) x[i] = value;
  return TB_OK;
}

int tb_cpu_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst) {
  /* dst (n_idx, cols) = src[idx[i], :]; the caller guarantees idx is inside src (it is a device array). */
  size_t row_bytes = (size_t)cols * sizeof *src;
#pragma omp parallel for if (n_idx * (size_t)cols >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) \
    schedule(static)
  for (size_t i = 0; i < n_idx; i++) memcpy(dst + i * (size_t)cols, src + (size_t)idx[i] * cols, row_bytes);
  return TB_OK;
}

int tb_cpu_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst) {
#pragma omp parallel for if (n_idx >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t i = 0; i < n_idx; i++) dst[i] = src[idx[i]];
  return TB_OK;
}
