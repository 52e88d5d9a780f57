/* cuda_stats.cu: the CUDA backend's row softmax (one warp per row, as softmax_xent in cuda_loss.cu) and per-row
 * statistics of the tree learners in int64 fixed point: boosting gradients (logistic, softmax, squared error) and
 * bootstrap-weighted class counts and value sums. The formulas are those of kernels/cpu/softmax.c and
 * kernels/cpu/tree_stats.c, line for line (double arithmetic, llrint, built with -fmad=false): class and value
 * statistics and squared-error gradients are bit-identical to the CPU; logistic and softmax gradients call exp(),
 * which may differ from glibc's in the last ulp, so a fixed-point value may differ by one unit in rare rows.
 * Every op checks all listed rows in a first kernel (the first bad position by an integer atomic minimum, the
 * gradients' largest magnitude by an integer atomic maximum on the bits of non-negative doubles: both exact and
 * order-free), synchronises to read them, and writes in a second kernel only if all rows were valid.
 * Tested by tests/test_cuda_parity.c against the CPU backend on a GPU machine. */
#include "cuda_impl.cuh"

#include <math.h>
#include <string.h>

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)
#define WARPS_PER_BLOCK (TB_CUDA_THREADS / 32)

/* ---- softmax: one warp per row; max and sum combined across lanes in a fixed order ------------------------- */
static __global__ void softmax_kernel(size_t n_rows, int classes, const float *logits, float *probs) {
  const unsigned lane = threadIdx.x & 31;
  size_t warp = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32, n_warps = (size_t)gridDim.x * blockDim.x / 32;
  for (size_t r = warp; r < n_rows; r += n_warps) {
    const float *z = logits + r * classes;
    float *p = probs + r * classes;
    float m = -INFINITY;
    for (int j = lane; j < classes; j += 32)
      if (z[j] > m) m = z[j];
    for (int o = 16; o > 0; o >>= 1) {
      float other = __shfl_xor_sync(0xffffffffu, m, o);
      if (other > m) m = other;
    }
    double s = 0.0;
    for (int j = lane; j < classes; j += 32) s += exp((double)z[j] - m);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o); /* same order in every lane */
    /* p may alias z: element j is read and written by the same lane, after the max and sum are complete */
    for (int j = lane; j < classes; j += 32) p[j] = (float)(exp((double)z[j] - m) / s);
    __syncwarp();
  }
}

extern "C" int tb_cuda_softmax(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t n_rows = (size_t)K * rows, blocks = (n_rows + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK;
  TB_TRY(tb_cuda_enter(be, &ctx));
  if (blocks > (size_t)ctx->n_sm * 32) blocks = (size_t)ctx->n_sm * 32;
  softmax_kernel<<<(unsigned)blocks, TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, classes, logits, probs);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- boosting gradients ----------------------------------------------------------------------------------- */
/* The row's margin z (logistic, squared) or softmax max m and sum s, as kernels/cpu/tree_stats.c grad_row. */
typedef struct {
  const float *z;
  float m;
  double s;
  int32_t y;
  float t;
} grad_ctx;

static __device__ grad_ctx grad_prepare(tb_grad_objective obj, int K, const float *z, const int32_t *labels,
                                        const float *targets, size_t r) {
  grad_ctx c;
  c.z = z;
  c.m = 0.0f;
  c.s = 0.0;
  c.y = obj == TB_GRAD_SQUARED ? 0 : labels[r];
  c.t = obj == TB_GRAD_SQUARED ? targets[r] : 0.0f;
  if (obj == TB_GRAD_SOFTMAX) {
    float m = z[0];
    for (int k = 1; k < K; k++)
      if (z[k] > m) m = z[k];
    double s = 0.0;
    for (int k = 0; k < K; k++) s += exp((double)z[k] - m);
    c.m = m;
    c.s = s;
  }
  return c;
}

/* g and h of output k of the row (the CPU's formulas, same operation order). */
static __device__ void grad_k(tb_grad_objective obj, int K, int margin_cols, const grad_ctx &c, int k, double *g,
                              double *h) {
  if (obj == TB_GRAD_SQUARED) {
    *g = (double)c.z[margin_cols - 1] - (double)c.t;
    *h = 1.0;
  } else if (obj == TB_GRAD_LOGISTIC) {
    double p = 1.0 / (1.0 + exp(-(double)c.z[margin_cols - 1]));
    *g = c.y == 0 || c.y == 1 ? p - (double)c.y : NAN;
    *h = fmax(p * (1.0 - p), TB_GRAD_HESS_MIN);
  } else {
    double p = exp((double)c.z[k] - c.m) / c.s;
    *g = c.y >= 0 && c.y < K ? p - (double)(c.y == k) : NAN;
    *h = fmax(2.0 * p * (1.0 - p), TB_GRAD_HESS_MIN);
  }
}

/* flags[0]: bits of the largest |g|, |h| (non-negative doubles order as their bits); flags[1]: first bad position. */
static __global__ void grad_check_kernel(tb_grad_objective obj, int K, size_t n_rows, const uint32_t *rows,
                                         const float *margins, int margin_cols, const int32_t *labels,
                                         const float *targets, unsigned long long *flags) {
  double mx = 0.0;
  GRID_STRIDE(i, n_rows) {
    size_t r = rows ? rows[i] : i;
    grad_ctx c = grad_prepare(obj, K, margins + r * margin_cols, labels, targets, r);
    for (int k = 0; k < K; k++) {
      double g, h;
      grad_k(obj, K, margin_cols, c, k, &g, &h);
      if (!isfinite(g) || !isfinite(h)) {
        atomicMin(&flags[1], (unsigned long long)i);
        break;
      }
      mx = fmax(mx, fmax(fabs(g), fabs(h)));
    }
  }
  /* one atomic per warp, not per thread: every thread of the block's full warps gets here */
  unsigned long long b = (unsigned long long)__double_as_longlong(mx);
  for (int o = 16; o > 0; o >>= 1) {
    unsigned long long ob = __shfl_xor_sync(0xffffffffu, b, o);
    b = ob > b ? ob : b;
  }
  if ((threadIdx.x & 31) == 0 && b) atomicMax(&flags[0], b);
}

static __global__ void grad_write_kernel(tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                                         const uint32_t *rows, const float *margins, int margin_cols,
                                         const int32_t *labels, const float *targets, double scale, int64_t *stats) {
  GRID_STRIDE(i, n_rows) {
    size_t r = rows ? rows[i] : i;
    grad_ctx c = grad_prepare(obj, K, margins + r * margin_cols, labels, targets, r);
    for (int k = 0; k < K; k++) {
      double g, h;
      grad_k(obj, K, margin_cols, c, k, &g, &h);
      int64_t *s = stats + ((size_t)k * n_rows_all + r) * 2;
      s[0] = llrint(g * scale);
      s[1] = llrint(h * scale);
    }
  }
}

/* Clears the two flags (max 0.0, first bad = all ones) in the device scratch. */
static int flags_init(tb_cuda_ctx *ctx, unsigned long long **flags) {
  int rc = TB_OK;
  void *p;
  TB_TRY(tb_cuda_dscratch(ctx, 2 * sizeof(unsigned long long), &p));
  *flags = (unsigned long long *)p;
  TB_CUDA_TRY(cudaMemsetAsync(*flags, 0, sizeof(unsigned long long), ctx->stream));
  TB_CUDA_TRY(cudaMemsetAsync(*flags + 1, 0xFF, sizeof(unsigned long long), ctx->stream));
done:
  return rc;
}

extern "C" int tb_cuda_tree_grad_stats(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all,
                                       size_t n_rows, const uint32_t *rows, const float *margins, int margin_cols,
                                       const int32_t *labels, const float *targets, double *scale, int64_t *stats) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  unsigned long long *flags, host[2];
  double mx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(flags_init(ctx, &flags));
  grad_check_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(
      obj, K, n_rows, rows, margins, margin_cols, labels, targets, flags);
  TB_CUDA_LAUNCHED();
  TB_TRY(tb_cuda_fetch(ctx, host, flags, sizeof host));
  if (host[1] < (unsigned long long)n_rows) {
    uint32_t r = (uint32_t)host[1];
    if (rows) TB_TRY(tb_cuda_fetch(ctx, &r, rows + host[1], sizeof r));
    TB_FAIL(TB_ERR_RANGE, "tree_grad_stats: non-finite gradient or hessian at row %u (list position %llu): a NaN or "
            "infinite margin or target, or a label outside the classes", r, host[1]);
  }
  memcpy(&mx, &host[0], sizeof mx);
  if (*scale <= 0) *scale = tb_fixed_scale(mx > 1.0 ? mx : 1.0, n_rows);
  grad_write_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(
      obj, K, n_rows_all, n_rows, rows, margins, margin_cols, labels, targets, *scale, stats);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- class counts and value sums (random forests) --------------------------------------------------------- */
static __global__ void class_check_kernel(size_t n_rows, const uint32_t *rows, const int32_t *labels,
                                          const int32_t *weights, int n_classes, unsigned long long *flags) {
  GRID_STRIDE(i, n_rows) {
    size_t r = rows ? rows[i] : i;
    if (labels[r] < 0 || labels[r] >= n_classes || (weights && weights[i] < 0))
      atomicMin(&flags[1], (unsigned long long)i);
  }
}

static __global__ void class_write_kernel(size_t n_rows, const uint32_t *rows, const int32_t *labels,
                                          const int32_t *weights, int n_classes, double scale, int64_t *stats) {
  GRID_STRIDE(i, n_rows) {
    size_t r = rows ? rows[i] : i;
    int64_t *s = stats + r * n_classes;
    for (int k = 0; k < n_classes; k++) s[k] = 0;
    s[labels[r]] = llrint((double)(weights ? weights[i] : 1) * scale);
  }
}

static __global__ void value_check_kernel(size_t n_rows, const uint32_t *rows, const float *targets,
                                          const int32_t *weights, unsigned long long *flags) {
  GRID_STRIDE(i, n_rows) {
    size_t r = rows ? rows[i] : i;
    if (!isfinite(targets[r]) || (weights && weights[i] < 0)) atomicMin(&flags[1], (unsigned long long)i);
  }
}

static __global__ void value_write_kernel(size_t n_rows, const uint32_t *rows, const float *targets,
                                          const int32_t *weights, double scale_y, double scale_y2, int64_t *stats) {
  GRID_STRIDE(i, n_rows) {
    size_t r = rows ? rows[i] : i;
    int64_t w = weights ? weights[i] : 1, *s = stats + r * 3;
    double y = targets[r];
    s[0] = w;
    s[1] = w * llrint(y * scale_y);
    s[2] = w * llrint(y * y * scale_y2);
  }
}

/* Host out: the first bad list position (n_rows when none) and its dataset row. */
static int first_bad(tb_cuda_ctx *ctx, const unsigned long long *flags, const uint32_t *rows, size_t n_rows,
                     size_t *pos, uint32_t *row) {
  int rc = TB_OK;
  unsigned long long host[2];
  TB_TRY(tb_cuda_fetch(ctx, host, flags, sizeof host));
  *pos = host[1] < (unsigned long long)n_rows ? (size_t)host[1] : n_rows;
  *row = (uint32_t)*pos;
  if (*pos < n_rows && rows) TB_TRY(tb_cuda_fetch(ctx, row, rows + *pos, sizeof *row));
done:
  return rc;
}

extern "C" int tb_cuda_class_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                                         const int32_t *weights, int n_classes, double scale, int64_t *stats) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  unsigned long long *flags;
  size_t pos;
  uint32_t row;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(flags_init(ctx, &flags));
  class_check_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, labels, weights,
                                                                                    n_classes, flags);
  TB_CUDA_LAUNCHED();
  TB_TRY(first_bad(ctx, flags, rows, n_rows, &pos, &row));
  if (pos < n_rows)
    TB_FAIL(TB_ERR_INVALID, "class_count_stats: row %u (list position %zu) has a label outside 0..%d or a negative "
            "weight", row, pos, n_classes - 1);
  class_write_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, labels, weights,
                                                                                    n_classes, scale, stats);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

extern "C" int tb_cuda_value_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                                         const int32_t *weights, double scale_y, double scale_y2, int64_t *stats) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  unsigned long long *flags;
  size_t pos;
  uint32_t row;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(flags_init(ctx, &flags));
  value_check_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, targets, weights,
                                                                                    flags);
  TB_CUDA_LAUNCHED();
  TB_TRY(first_bad(ctx, flags, rows, n_rows, &pos, &row));
  if (pos < n_rows)
    TB_FAIL(TB_ERR_INVALID, "value_count_stats: row %u (list position %zu) has a non-finite target or a negative "
            "weight", row, pos);
  value_write_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, targets, weights,
                                                                                    scale_y, scale_y2, stats);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}
