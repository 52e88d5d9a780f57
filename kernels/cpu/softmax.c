/* softmax.c: the CPU backend's row softmax (class probabilities for prediction), computed exactly as the softmax
 * inside softmax_xent (loss.c): float row max, then exp and the row sum in double, in column order. Not here: the
 * loss and its gradient (loss.c). Tested by tests/test_ops_new.c against a double reference (aliasing, large and
 * NaN logits, 1 vs 2 threads) and by tests/test_cuda_parity.c. */
#include "cpu_impl.h"

#include <math.h>

#define TB_CPU_PAR_MIN 32768

/* One row: p may alias z (every p[j] depends only on z[j] and the max and sum read before the first write). */
static void softmax_row(int classes, const float *z, float *p) {
  float m = z[0];
  for (int j = 1; j < classes; j++)
    if (z[j] > m) m = z[j];
  double s = 0.0;
  for (int j = 0; j < classes; j++) s += exp((double)z[j] - m);
  for (int j = 0; j < classes; j++) p[j] = (float)(exp((double)z[j] - m) / s);
}

int tb_cpu_softmax(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs) {
  /* logits, probs (K, rows, classes): K*rows independent rows */
  long long n_rows = (long long)K * rows;
  if (n_rows * classes < TB_CPU_PAR_MIN) { /* small (batch-1 inference): no parallel region */
    for (long long r = 0; r < n_rows; r++)
      softmax_row(classes, logits + (size_t)r * classes, probs + (size_t)r * classes);
    return TB_OK;
  }
#pragma omp parallel for num_threads(tb_cpu_threads(be)) schedule(static)
  for (long long r = 0; r < n_rows; r++)
    softmax_row(classes, logits + (size_t)r * classes, probs + (size_t)r * classes);
  return TB_OK;
}
