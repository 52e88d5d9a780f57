/* loss.c: the CPU backend's losses and reductions: softmax cross-entropy and squared error (per-row loss and
 * gradient), the ordered double sum, row argmax and classification accuracy (the row argmax against the label). Arguments were checked by
 * kernels/backend.c. Not here: activations or GEMM (dense.c), optimizers (optim.c).
 * Reductions that feed decisions (sum, accuracy) give the same result for any thread count: sum adds fixed blocks
 * in order, accuracy counts integers. Tested by tests/test_ops_dense.c against double-precision references,
 * finite differences and repeated runs with 1 and 2 threads. */
#include "cpu_impl.h"

#include <math.h>
#include <stdlib.h>

#define TB_CPU_PAR_MIN 32768
/* tb_cpu_sum adds blocks of this many floats in double, then the block sums in order. The CUDA backend uses the
 * same blocks, so both give the same partial sums up to the order inside a block. */
#define TB_SUM_BLOCK 4096

/* Softmax cross-entropy of one row z (classes) with label y, computed in double from the row max (no overflow for
 * large logits). A label outside [0, classes) gives NaN loss and NaN gradient for the row (visible, not a crash). */
static void xent_row(int classes, const float *z, int32_t y, float grad_scale, float *loss, float *dz) {
  if (y < 0 || y >= classes) {
    if (loss) *loss = NAN;
    if (dz)
      for (int j = 0; j < classes; j++) dz[j] = NAN;
    return;
  }
  float m = z[0];
  for (int j = 1; j < classes; j++)
    if (z[j] > m) m = z[j];
  double s = 0.0;
  for (int j = 0; j < classes; j++) s += exp((double)z[j] - m);
  double zy = z[y];
  if (loss) *loss = (float)(log(s) + m - zy);
  if (dz) { /* dz may alias z: zy and m were read before the first write */
    for (int j = 0; j < classes; j++) {
      double pj = exp((double)z[j] - m) / s;
      dz[j] = (float)((pj - (j == y)) * grad_scale);
    }
  }
}

int tb_cpu_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                        float grad_scale, float *loss_rows, float *dlogits) {
  /* logits, dlogits (K, rows, classes); labels (rows), shared by the K models; loss_rows (K, rows). */
  long long n_rows = (long long)K * rows;
#pragma omp parallel for if (n_rows * classes >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (long long r = 0; r < n_rows; r++) {
    size_t off = (size_t)r * classes;
    xent_row(classes, logits + off, labels[r % rows], grad_scale, loss_rows ? loss_rows + r : NULL,
             dlogits ? dlogits + off : NULL);
  }
  return TB_OK;
}

int tb_cpu_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                  float grad_scale, float *loss_rows, float *dpred) {
  /* pred, dpred (K, rows, cols); target (rows, cols) shared; loss in double, gradient (pred - target) * scale in
   * float. Each element is read before it is written, so dpred may alias pred. */
  long long n_rows = (long long)K * rows;
#pragma omp parallel for if (n_rows * cols >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (long long r = 0; r < n_rows; r++) {
    const float *p = pred + (size_t)r * cols, *t = target + (size_t)(r % rows) * cols;
    double acc = 0.0;
    for (int j = 0; j < cols; j++) {
      float d = p[j] - t[j];
      acc += (double)d * d;
      if (dpred) dpred[(size_t)r * cols + j] = d * grad_scale;
    }
    if (loss_rows) loss_rows[r] = (float)(0.5 * acc);
  }
  return TB_OK;
}

int tb_cpu_sum(tb_backend *be, int K, size_t n, const float *x, double *sums) {
  /* sums[k] = ((b_0 + b_1) + b_2) + ... where b_j is the in-order double sum of block j of model k. */
  size_t n_blocks = (n + TB_SUM_BLOCK - 1) / TB_SUM_BLOCK, total = (size_t)K * n_blocks;
  double *part = malloc(total * sizeof *part);
  if (!part) return tb_error_set(TB_ERR_NOMEM, "sum: out of host memory (%zu partial sums)", total);
#pragma omp parallel for if (n * (size_t)K >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t t = 0; t < total; t++) {
    size_t k = t / n_blocks, b = t % n_blocks, lo = b * TB_SUM_BLOCK;
    size_t hi = lo + TB_SUM_BLOCK < n ? lo + TB_SUM_BLOCK : n;
    const float *v = x + k * n;
    double acc = 0.0;
    for (size_t i = lo; i < hi; i++) acc += v[i];
    part[t] = acc;
  }
  for (int k = 0; k < K; k++) {
    double acc = 0.0;
    for (size_t b = 0; b < n_blocks; b++) acc += part[(size_t)k * n_blocks + b];
    sums[k] = acc;
  }
  free(part);
  return TB_OK;
}

/* Lowest index of the row maximum; a NaN counts as larger than any number (the first NaN wins, as in PyTorch). */
static inline int32_t argmax_row(int cols, const float *x) {
  int32_t best = 0;
  for (int j = 1; j < cols; j++)
    if (x[j] > x[best] || (isnan(x[j]) && !isnan(x[best]))) best = j;
  return best;
}

int tb_cpu_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx) {
#pragma omp parallel for if ((long long)rows * cols >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) \
    schedule(static)
  for (int i = 0; i < rows; i++) idx[i] = argmax_row(cols, X + (size_t)i * cols);
  return TB_OK;
}

int tb_cpu_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                    int64_t *correct) {
  /* logits (K, rows, classes); labels (rows). Integer counts: exact for any thread count. */
  for (int k = 0; k < K; k++) {
    const float *z = logits + (size_t)k * rows * classes;
    int64_t hits = 0;
#pragma omp parallel for if ((long long)rows * classes >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) \
    schedule(static) reduction(+ : hits)
    for (int i = 0; i < rows; i++) hits += argmax_row(classes, z + (size_t)i * classes) == labels[i];
    correct[k] = hits;
  }
  return TB_OK;
}
