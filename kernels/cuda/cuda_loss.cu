/* cuda_loss.cu: the CUDA backend's losses and reductions: softmax cross-entropy (one warp per row), squared error,
 * the ordered double sum, row argmax and classification accuracy (row argmax against the label). Formulas and NaN rules are
 * those of kernels/cpu/loss.c. Every reduction here has a fixed order, so each result is the same on every run: sum
 * and sq_err even add in the CPU's order (bit-identical to it); softmax_xent adds its row in a fixed warp order
 * (equal to the CPU up to double rounding); accuracy is exact. Not here: dense ops (cuda_dense.cu).
 * Tested by tests/test_cuda_parity.c against the CPU backend on a GPU machine. */
#include "cuda_impl.cuh"

#include <math.h>

#define WARPS_PER_BLOCK (TB_CUDA_THREADS / 32)
/* Must equal TB_SUM_BLOCK of kernels/cpu/loss.c: both backends add blocks of this many floats in order. */
#define SUM_BLOCK 4096

static unsigned warp_grid(const tb_cuda_ctx *ctx, size_t n_rows) {
  size_t blocks = (n_rows + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK, cap = (size_t)ctx->n_sm * 32;
  return (unsigned)(blocks < 1 ? 1 : blocks > cap ? cap : blocks);
}

/* ---- softmax cross-entropy --------------------------------------------------------------------------------- */
static __global__ void softmax_xent_kernel(size_t n_rows, int rows, int classes, const float *logits,
                                           const int32_t *labels, float grad_scale, float *loss_rows,
                                           float *dlogits) {
  const unsigned lane = threadIdx.x & 31;
  size_t warp = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32, n_warps = (size_t)gridDim.x * blockDim.x / 32;
  for (size_t r = warp; r < n_rows; r += n_warps) {
    const float *z = logits + r * classes;
    float *dz = dlogits ? dlogits + r * classes : NULL;
    int32_t y = labels[r % rows];
    if (y < 0 || y >= classes) { /* as the CPU: NaN loss and gradient for a label out of range */
      if (lane == 0 && loss_rows) loss_rows[r] = NAN;
      if (dz)
        for (int j = lane; j < classes; j += 32) dz[j] = NAN;
      continue;
    }
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
    double zy = z[y];
    __syncwarp(); /* every lane has read z (incl. z[y]) before dz, which may alias z, is written */
    if (lane == 0 && loss_rows) loss_rows[r] = (float)(log(s) + m - zy);
    if (dz)
      for (int j = lane; j < classes; j += 32) {
        double pj = exp((double)z[j] - m) / s;
        dz[j] = (float)((pj - (j == y)) * grad_scale);
      }
    __syncwarp();
  }
}

extern "C" int tb_cuda_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits,
                                    const int32_t *labels, float grad_scale, float *loss_rows, float *dlogits) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t n_rows = (size_t)K * rows;
  TB_TRY(tb_cuda_enter(be, &ctx));
  softmax_xent_kernel<<<warp_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, classes, logits,
                                                                                  labels, grad_scale, loss_rows,
                                                                                  dlogits);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- squared error: one thread per row, columns in order (the CPU's order) --------------------------------- */
static __global__ void sq_err_kernel(size_t n_rows, int rows, int cols, const float *pred, const float *target,
                                     float grad_scale, float *loss_rows, float *dpred) {
  for (size_t r = blockIdx.x * (size_t)blockDim.x + threadIdx.x; r < n_rows; r += (size_t)gridDim.x * blockDim.x) {
    const float *p = pred + r * cols, *t = target + (r % rows) * cols;
    double acc = 0.0;
    for (int j = 0; j < cols; j++) {
      float d = p[j] - t[j];
      acc += (double)d * d;
      if (dpred) dpred[r * cols + j] = d * grad_scale;
    }
    if (loss_rows) loss_rows[r] = (float)(0.5 * acc);
  }
}

extern "C" int tb_cuda_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                              float grad_scale, float *loss_rows, float *dpred) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t n_rows = (size_t)K * rows;
  TB_TRY(tb_cuda_enter(be, &ctx));
  sq_err_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, cols, pred, target,
                                                                               grad_scale, loss_rows, dpred);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- ordered sum ------------------------------------------------------------------------------------------- */
/* Level 1: one thread per (model, block of SUM_BLOCK floats), in order, in double. */
static __global__ void sum_blocks_kernel(size_t total, size_t n_blocks, size_t n, const float *x, double *part) {
  for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
    size_t k = t / n_blocks, b = t % n_blocks, lo = b * SUM_BLOCK;
    size_t hi = lo + SUM_BLOCK < n ? lo + SUM_BLOCK : n;
    const float *v = x + k * n;
    double acc = 0.0;
    for (size_t i = lo; i < hi; i++) acc += v[i];
    part[t] = acc;
  }
}

/* Level 2: one thread per model adds its block sums in order. */
static __global__ void sum_parts_kernel(int K, size_t n_blocks, const double *part, double *sums) {
  int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k >= K) return;
  double acc = 0.0;
  for (size_t b = 0; b < n_blocks; b++) acc += part[(size_t)k * n_blocks + b];
  sums[k] = acc;
}

extern "C" int tb_cuda_sum(tb_backend *be, int K, size_t n, const float *x, double *sums) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  void *scratch;
  size_t n_blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK, total = (size_t)K * n_blocks;
  double *part, *dsums;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, (total + (size_t)K) * sizeof(double), &scratch));
  part = (double *)scratch;
  dsums = part + total;
  sum_blocks_kernel<<<(unsigned)((total + 127) / 128), 128, 0, ctx->stream>>>(total, n_blocks, n, x, part);
  TB_CUDA_LAUNCHED();
  sum_parts_kernel<<<(unsigned)((K + 127) / 128), 128, 0, ctx->stream>>>(K, n_blocks, part, dsums);
  TB_CUDA_LAUNCHED();
  TB_TRY(tb_cuda_fetch(ctx, sums, dsums, (size_t)K * sizeof(double)));
done:
  return rc;
}

/* ---- argmax and accuracy ----------------------------------------------------------------------------------- */
/* The CPU's rule: the lowest index of the row maximum, where the first NaN beats any number. Each lane scans its
 * columns with that rule, then lanes combine by "a NaN beats a number, a larger value beats a smaller one, and
 * otherwise the lower index wins", which gives the same index as the sequential scan. */
static __device__ __forceinline__ int better(float v1, int i1, float v2, int i2) {
  int n1 = isnan(v1), n2 = isnan(v2);
  if (n1 || n2) return n1 && n2 ? i1 < i2 : n1;
  return v1 > v2 || (v1 == v2 && i1 < i2);
}

static __device__ int warp_argmax(int cols, const float *x, unsigned lane) {
  float bv = NAN;
  int bi = -1;
  for (int j = lane; j < cols; j += 32) {
    float v = x[j];
    if (bi < 0 || v > bv || (isnan(v) && !isnan(bv))) { bv = v; bi = j; }
  }
  for (int o = 16; o > 0; o >>= 1) {
    float ov = __shfl_xor_sync(0xffffffffu, bv, o);
    int oi = __shfl_xor_sync(0xffffffffu, bi, o);
    if (oi >= 0 && (bi < 0 || better(ov, oi, bv, bi))) { bv = ov; bi = oi; }
  }
  return bi; /* identical in every lane */
}

static __global__ void argmax_kernel(int rows, int cols, const float *X, int32_t *idx) {
  const unsigned lane = threadIdx.x & 31;
  size_t warp = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32, n_warps = (size_t)gridDim.x * blockDim.x / 32;
  for (size_t r = warp; r < (size_t)rows; r += n_warps) {
    int b = warp_argmax(cols, X + r * cols, lane);
    if (lane == 0) idx[r] = b;
  }
}

extern "C" int tb_cuda_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  argmax_kernel<<<warp_grid(ctx, rows), TB_CUDA_THREADS, 0, ctx->stream>>>(rows, cols, X, idx);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* grid (x, K): block y counts the hits of model y; one integer atomic per block, so the count is exact. */
static __global__ void accuracy_kernel(int rows, int classes, const float *logits, const int32_t *labels,
                                       unsigned long long *correct) {
  __shared__ unsigned block_hits;
  const unsigned lane = threadIdx.x & 31;
  const int k = blockIdx.y;
  const float *z = logits + (size_t)k * rows * classes;
  size_t warp = (blockIdx.x * (size_t)blockDim.x + threadIdx.x) / 32, n_warps = (size_t)gridDim.x * blockDim.x / 32;
  unsigned hits = 0;
  if (threadIdx.x == 0) block_hits = 0;
  __syncthreads();
  for (size_t r = warp; r < (size_t)rows; r += n_warps)
    hits += warp_argmax(classes, z + r * classes, lane) == labels[r];
  if (lane == 0 && hits) atomicAdd(&block_hits, hits);
  __syncthreads();
  if (threadIdx.x == 0 && block_hits) atomicAdd(&correct[k], (unsigned long long)block_hits);
}

extern "C" int tb_cuda_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits,
                                const int32_t *labels, int64_t *correct) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  void *dev;
  if (K > 65535)
    return tb_error_set(TB_ERR_UNSUPPORTED, "accuracy: %d models in one call on the GPU (at most 65535)", K);
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, (size_t)K * sizeof(unsigned long long), &dev));
  TB_CUDA_TRY(cudaMemsetAsync(dev, 0, (size_t)K * sizeof(unsigned long long), ctx->stream));
  {
    unsigned gx = warp_grid(ctx, rows);
    unsigned cap = (unsigned)(ctx->n_sm * 8 / (K < 1 ? 1 : K)); /* keep K * gx blocks near a few waves */
    if (cap < 1) cap = 1;
    dim3 grid(gx < cap ? gx : cap, (unsigned)K);
    accuracy_kernel<<<grid, TB_CUDA_THREADS, 0, ctx->stream>>>(rows, classes, logits, labels,
                                                               (unsigned long long *)dev);
  }
  TB_CUDA_LAUNCHED();
  TB_TRY(tb_cuda_fetch(ctx, correct, dev, (size_t)K * sizeof(int64_t)));
done:
  return rc;
}
