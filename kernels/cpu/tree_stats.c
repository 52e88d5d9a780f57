/* tree_stats.c: the CPU backend's per-row statistics for the tree learners, in int64 fixed point: boosting
 * gradients (logistic, softmax, squared error) and bootstrap-weighted class counts and value sums (random forests).
 * Each op checks every listed row first and writes only when all are valid, so a failure leaves stats untouched
 * (the classification gradients check without exp(): class_row_ok).
 * The formulas (grad_row below) are repeated line for line in kernels/cuda/cuda_stats.cu (double arithmetic,
 * llrint, and -fmad=false in the CUDA build), so both backends give the same values (exp() aside, see
 * tb_op_tree_grad_stats). Not here: histograms (tree.c), split search (tree_split.c).
 * Tested by tests/test_ops_new.c (double references, bad input, 1 vs 2 threads) and tests/test_cuda_parity.c. */
#include "cpu_impl.h"

#include <math.h>
#include <stdint.h>

#define TB_STATS_PAR_MIN 16384

/* g, h (2 * K doubles) of one row; returns 0 when a value is not finite. z is the row's margin_cols margins. */
static int grad_row(tb_grad_objective obj, int K, const float *z, int margin_cols, const int32_t *labels,
                    const float *targets, size_t r, double *gh) {
  if (obj == TB_GRAD_SQUARED) {
    gh[0] = (double)z[margin_cols - 1] - (double)targets[r];
    gh[1] = 1.0;
  } else if (obj == TB_GRAD_LOGISTIC) {
    int32_t y = labels[r];
    double p = 1.0 / (1.0 + exp(-(double)z[margin_cols - 1]));
    gh[0] = y == 0 || y == 1 ? p - (double)y : NAN;
    gh[1] = fmax(p * (1.0 - p), TB_GRAD_HESS_MIN);
  } else {
    int32_t y = labels[r];
    float m = z[0];
    for (int k = 1; k < K; k++)
      if (z[k] > m) m = z[k];
    double s = 0.0;
    for (int k = 0; k < K; k++) s += exp((double)z[k] - m);
    for (int k = 0; k < K; k++) {
      double p = exp((double)z[k] - m) / s;
      gh[2 * k] = y >= 0 && y < K ? p - (double)(y == k) : NAN;
      gh[2 * k + 1] = fmax(2.0 * p * (1.0 - p), TB_GRAD_HESS_MIN);
    }
  }
  for (int k = 0; k < 2 * K; k++)
    if (!isfinite(gh[k])) return 0;
  return 1;
}

/* For the classification objectives, whether grad_row would succeed, without exp(): logistic fails exactly when z
 * is NaN or the label is not 0/1 (z = +-inf gives p = 1 or 0); softmax exactly when the label is out of range, a
 * margin is NaN, or the largest is not finite (+inf - +inf, or every margin -inf). Their |g| <= 1 and h <= 0.5, so
 * the largest magnitude of the first pass is its starting value 1: this check replaces that pass (half the exp()). */
static int class_row_ok(tb_grad_objective obj, int K, const float *z, int margin_cols, int32_t y) {
  if (obj == TB_GRAD_LOGISTIC) return (y == 0 || y == 1) && !isnan(z[margin_cols - 1]);
  if (y < 0 || y >= K) return 0;
  float m = z[0];
  for (int k = 0; k < K; k++) {
    if (isnan(z[k])) return 0;
    if (z[k] > m) m = z[k];
  }
  return isfinite(m);
}

int tb_cpu_tree_grad_stats(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                           const uint32_t *rows, const float *margins, int margin_cols, const int32_t *labels,
                           const float *targets, double *scale, int64_t *stats) {
  const long long n = (long long)n_rows;
  const int nt = tb_cpu_threads(be);
  double max_abs = 1.0;
  long long bad = n; /* first listed position with a non-finite statistic */
  const int fast = obj != TB_GRAD_SQUARED;
#pragma omp parallel for if (n * K >= TB_STATS_PAR_MIN) num_threads(nt) schedule(static) \
    reduction(max : max_abs) reduction(min : bad)
  for (long long i = 0; i < n; i++) {
    double gh[2 * TB_MAX_STATS];
    size_t r = rows ? rows[i] : (size_t)i;
    if (fast) {
      if (!class_row_ok(obj, K, margins + r * (size_t)margin_cols, margin_cols, labels[r]) && i < bad) bad = i;
      continue;
    }
    if (!grad_row(obj, K, margins + r * (size_t)margin_cols, margin_cols, labels, targets, r, gh)) {
      if (i < bad) bad = i;
      continue;
    }
    for (int k = 0; k < 2 * K; k++) max_abs = fmax(max_abs, fabs(gh[k]));
  }
  if (bad < n) {
    size_t r = rows ? rows[bad] : (size_t)bad;
    return tb_error_set(TB_ERR_RANGE, "tree_grad_stats: non-finite gradient or hessian at row %zu (list position "
                        "%lld): a NaN or infinite margin or target, or a label outside the classes", r, bad);
  }
  if (*scale <= 0) *scale = tb_fixed_scale(max_abs, n_rows);
  const double sc = *scale;
#pragma omp parallel for if (n * K >= TB_STATS_PAR_MIN) num_threads(nt) schedule(static)
  for (long long i = 0; i < n; i++) {
    double gh[2 * TB_MAX_STATS];
    size_t r = rows ? rows[i] : (size_t)i;
    grad_row(obj, K, margins + r * (size_t)margin_cols, margin_cols, labels, targets, r, gh);
    for (int k = 0; k < K; k++) {
      int64_t *s = stats + ((size_t)k * n_rows_all + r) * 2;
      s[0] = llrint(gh[2 * k] * sc);
      s[1] = llrint(gh[2 * k + 1] * sc);
    }
  }
  return TB_OK;
}

int tb_cpu_class_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                             const int32_t *weights, int n_classes, double scale, int64_t *stats) {
  const long long n = (long long)n_rows;
  const int nt = tb_cpu_threads(be);
  long long bad = n;
#pragma omp parallel for if (n >= TB_STATS_PAR_MIN) num_threads(nt) schedule(static) reduction(min : bad)
  for (long long i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : (size_t)i;
    if (labels[r] < 0 || labels[r] >= n_classes || (weights && weights[i] < 0))
      if (i < bad) bad = i;
  }
  if (bad < n)
    return tb_error_set(TB_ERR_INVALID, "class_count_stats: row %zu (list position %lld) has a label outside "
                        "0..%d or a negative weight", rows ? (size_t)rows[bad] : (size_t)bad, bad, n_classes - 1);
#pragma omp parallel for if (n >= TB_STATS_PAR_MIN) num_threads(nt) schedule(static)
  for (long long i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : (size_t)i;
    int64_t *s = stats + r * (size_t)n_classes;
    for (int k = 0; k < n_classes; k++) s[k] = 0;
    s[labels[r]] = llrint((double)(weights ? weights[i] : 1) * scale);
  }
  return TB_OK;
}

int tb_cpu_value_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                             const int32_t *weights, double scale_y, double scale_y2, int64_t *stats) {
  const long long n = (long long)n_rows;
  const int nt = tb_cpu_threads(be);
  long long bad = n;
#pragma omp parallel for if (n >= TB_STATS_PAR_MIN) num_threads(nt) schedule(static) reduction(min : bad)
  for (long long i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : (size_t)i;
    if (!isfinite(targets[r]) || (weights && weights[i] < 0))
      if (i < bad) bad = i;
  }
  if (bad < n)
    return tb_error_set(TB_ERR_INVALID, "value_count_stats: row %zu (list position %lld) has a non-finite target "
                        "or a negative weight", rows ? (size_t)rows[bad] : (size_t)bad, bad);
#pragma omp parallel for if (n >= TB_STATS_PAR_MIN) num_threads(nt) schedule(static)
  for (long long i = 0; i < n; i++) {
    size_t r = rows ? rows[i] : (size_t)i;
    int64_t w = weights ? weights[i] : 1, *s = stats + r * 3;
    double y = targets[r];
    s[0] = w;
    s[1] = w * llrint(y * scale_y);
    s[2] = w * llrint(y * y * scale_y2);
  }
  return TB_OK;
}
