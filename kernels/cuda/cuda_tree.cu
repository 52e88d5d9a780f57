/* cuda_tree.cu: the CUDA backend's tree ops on quantised data: quantisation, fixed-point histogram build and
 * subtraction, stable row partition, forest prediction and the segment add of a grown tree's leaf values. Same
 * semantics and the same error checks as kernels/cpu/quantile.c and kernels/cpu/tree.c. Histograms are int64 sums
 * added with integer atomics (first into a per-block shared-memory histogram when it fits, else straight into
 * global memory), so they are exact and bit-identical on every run and equal to the CPU's. Not here: the split
 * search (cuda_split.cu).
 * Tested by tests/test_cuda_parity.c against the CPU backend (histograms 16 times, bit for bit) on a GPU machine. */
#include "cuda_impl.cuh"

#include <cub/device/device_scan.cuh>
#include <stdlib.h>
#include <string.h>

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

/* ---- quantize ---------------------------------------------------------------------------------------------- */
/* The first b with v < c[b] among the nb ascending edges (c[nb-1] = +inf); NaN, +inf go to the last bin. */
static __device__ __forceinline__ uint8_t bin_of(float v, const float *c, int nb) {
  int lo = 0, hi = nb - 1;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (v < c[mid]) hi = mid;
    else lo = mid + 1;
  }
  return (uint8_t)lo;
}

static __global__ void quantize_kernel(size_t total, int n_cols, const float *X, const float *cuts,
                                       const uint32_t *cut_ptr, uint8_t *bins) {
  GRID_STRIDE(t, total) {
    int j = (int)(t % n_cols);
    uint32_t c0 = cut_ptr[j];
    bins[t] = bin_of(X[t], cuts + c0, (int)(cut_ptr[j + 1] - c0));
  }
}

extern "C" int tb_cuda_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                                const uint32_t *cut_ptr, uint8_t *bins) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  uint32_t *cp = (uint32_t *)malloc(((size_t)n_cols + 1) * sizeof *cp);
  size_t total = n_rows * (size_t)n_cols;
  if (!cp) return tb_error_set(TB_ERR_NOMEM, "quantize: out of host memory");
  TB_TRY(tb_cuda_enter(be, &ctx));
  /* The CPU's check of cut_ptr (a bad one would make the kernel read outside cuts). */
  TB_TRY(tb_cuda_fetch(ctx, cp, cut_ptr, ((size_t)n_cols + 1) * sizeof *cp));
  for (int j = 0; j < n_cols; j++) {
    uint32_t nb = cp[j + 1] - cp[j];
    if (cp[j + 1] < cp[j] || nb < 1 || nb > TB_MAX_BINS)
      TB_FAIL(TB_ERR_INVALID, "quantize: feature %d has %d bins (cut_ptr %u..%u; need 1..%d)", j,
              (int)(cp[j + 1] - cp[j]), cp[j], cp[j + 1], TB_MAX_BINS);
  }
  quantize_kernel<<<tb_cuda_grid(ctx, total), TB_CUDA_THREADS, 0, ctx->stream>>>(total, n_cols, X, cuts, cut_ptr,
                                                                                bins);
  TB_CUDA_LAUNCHED();
done:
  free(cp);
  return rc;
}

/* ---- histogram --------------------------------------------------------------------------------------------- */
#define HIST_THREADS 512

/* One (row, feature) element per thread step; j is the fastest index so a warp reads one row's bins together. */
template <bool SHARED>
static __global__ void hist_kernel(size_t total, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr,
                                   int total_bins, const uint32_t *rows, const int64_t *stats, int n_stats,
                                   unsigned long long *hist) {
  extern __shared__ unsigned long long sh[];
  const size_t n_entries = (size_t)total_bins * n_stats;
  unsigned long long *h = SHARED ? sh : hist;
  if (SHARED) {
    for (size_t e = threadIdx.x; e < n_entries; e += blockDim.x) sh[e] = 0;
    __syncthreads();
  }
  GRID_STRIDE(t, total) {
    size_t i = t / n_cols, j = t % n_cols, r = rows[i];
    size_t gb = cut_ptr[j] + bins[r * n_cols + j];
    const int64_t *s = stats + r * n_stats;
    unsigned long long *dst = h + gb * n_stats;
    for (int k = 0; k < n_stats; k++) atomicAdd(dst + k, (unsigned long long)s[k]); /* two's complement: exact */
  }
  if (SHARED) {
    __syncthreads();
    for (size_t e = threadIdx.x; e < n_entries; e += blockDim.x)
      if (sh[e]) atomicAdd(hist + e, sh[e]);
  }
}

extern "C" int tb_cuda_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr,
                                  int total_bins, const uint32_t *rows, size_t n_rows, const int64_t *stats,
                                  int n_stats, int64_t *hist) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t hist_bytes = (size_t)total_bins * n_stats * sizeof(int64_t), total = n_rows * (size_t)n_cols;
  unsigned long long *h = (unsigned long long *)hist;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_CUDA_TRY(cudaMemsetAsync(hist, 0, hist_bytes, ctx->stream));
  if (total == 0) goto done;
  if (hist_bytes <= ctx->hist_smem_max) {
    /* Enough blocks to fill the chip, but each block must do enough rows to pay for zeroing and flushing its
     * private histogram. */
    size_t per_block = (size_t)HIST_THREADS * 16 > hist_bytes / 8 ? (size_t)HIST_THREADS * 16 : hist_bytes / 8;
    size_t blocks = (total + per_block - 1) / per_block, cap = (size_t)ctx->n_sm * 2;
    if (blocks > cap) blocks = cap;
    hist_kernel<true><<<(unsigned)blocks, HIST_THREADS, hist_bytes, ctx->stream>>>(
        total, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats, h);
  } else {
    hist_kernel<false><<<tb_cuda_grid(ctx, total), TB_CUDA_THREADS, 0, ctx->stream>>>(
        total, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats, h);
  }
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

int tb_cuda_tree_smem_init(size_t smem_optin, size_t *hist_max) {
  int rc = TB_OK;
  cudaFuncAttributes attr;
  *hist_max = 0;
  TB_CUDA_TRY(cudaFuncGetAttributes(&attr, hist_kernel<true>));
  if (smem_optin > attr.sharedSizeBytes) {
    TB_CUDA_TRY(cudaFuncSetAttribute(hist_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)(smem_optin - attr.sharedSizeBytes)));
    *hist_max = smem_optin - attr.sharedSizeBytes;
  }
done:
  return rc;
}

static __global__ void hist_subtract_kernel(size_t n, const int64_t *parent, const int64_t *child,
                                            int64_t *sibling) {
  GRID_STRIDE(i, n)
  sibling[i] = (int64_t)((unsigned long long)parent[i] - (unsigned long long)child[i]);
}

extern "C" int tb_cuda_hist_subtract(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child,
                                     int64_t *sibling) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  hist_subtract_kernel<<<tb_cuda_grid(ctx, n), TB_CUDA_THREADS, 0, ctx->stream>>>(n, parent, child, sibling);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- stable partition: flags, exclusive scan (CUB), scatter ------------------------------------------------- */
static __global__ void partition_flags_kernel(size_t n, int n_cols, const uint8_t *bins, const uint32_t *rows,
                                              int feature, int bin, uint32_t *flags) {
  GRID_STRIDE(i, n) flags[i] = (int)bins[(size_t)rows[i] * n_cols + feature] <= bin;
}

/* Left rows go to their scan position, right rows after all lefts in their original order. */
static __global__ void partition_scatter_kernel(size_t n, const uint32_t *rows, const uint32_t *flags,
                                                const uint32_t *pos, uint32_t *out, uint32_t *n_left) {
  const uint32_t nl = pos[n - 1] + flags[n - 1];
  GRID_STRIDE(i, n) out[flags[i] ? pos[i] : nl + (uint32_t)i - pos[i]] = rows[i];
  if (blockIdx.x == 0 && threadIdx.x == 0) *n_left = nl;
}

extern "C" int tb_cuda_partition(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows,
                                 int feature, int bin, uint32_t *scratch, size_t *n_left) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t temp_bytes = 0, arrays;
  void *base;
  uint32_t *flags, *pos, *d_nl, nl = 0;
  if (n_rows > (size_t)INT32_MAX)
    return tb_error_set(TB_ERR_UNSUPPORTED, "partition: %zu rows on the GPU (at most 2^31-1)", n_rows);
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_CUDA_TRY(cub::DeviceScan::ExclusiveSum(NULL, temp_bytes, (const uint32_t *)NULL, (uint32_t *)NULL,
                                            (int)n_rows, ctx->stream));
  arrays = (2 * n_rows + 1) * sizeof(uint32_t);
  arrays = (arrays + 255) / 256 * 256;
  TB_TRY(tb_cuda_dscratch(ctx, arrays + temp_bytes, &base));
  flags = (uint32_t *)base;
  pos = flags + n_rows;
  d_nl = pos + n_rows;
  partition_flags_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, n_cols, bins, rows,
                                                                                        feature, bin, flags);
  TB_CUDA_LAUNCHED();
  TB_CUDA_TRY(cub::DeviceScan::ExclusiveSum((char *)base + arrays, temp_bytes, flags, pos, (int)n_rows,
                                            ctx->stream));
  partition_scatter_kernel<<<tb_cuda_grid(ctx, n_rows), TB_CUDA_THREADS, 0, ctx->stream>>>(n_rows, rows, flags, pos,
                                                                                          scratch, d_nl);
  TB_CUDA_LAUNCHED();
  TB_CUDA_TRY(cudaMemcpyAsync(rows, scratch, n_rows * sizeof *rows, cudaMemcpyDeviceToDevice, ctx->stream));
  TB_TRY(tb_cuda_fetch(ctx, &nl, d_nl, sizeof nl));
  *n_left = nl;
done:
  return rc;
}

/* ---- forest prediction: one thread per row, trees in order (the CPU's order, so results are identical) ------ */
static __global__ void forest_kernel(size_t n_rows, int n_cols, const float *X, const uint8_t *bins,
                                     tb_forest_view f, float scale, int n_out, float *out) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n_rows; i += (size_t)gridDim.x * blockDim.x) {
    float *o = out + i * n_out;
    for (int t = 0; t < f.n_trees; t++) {
      int32_t n = f.roots[t];
      if (X) {
        const float *x = X + i * n_cols;
        while (f.nodes[n].feature >= 0) n = x[f.nodes[n].feature] < f.nodes[n].threshold ? f.nodes[n].left
                                                                                           : f.nodes[n].right;
      } else {
        const uint8_t *b = bins + i * n_cols;
        while (f.nodes[n].feature >= 0) n = (int32_t)b[f.nodes[n].feature] <= f.nodes[n].bin ? f.nodes[n].left
                                                                                                : f.nodes[n].right;
      }
      const float *v = f.leaf_values + (size_t)f.nodes[n].leaf * f.leaf_width;
      float *dst = o + f.out_col[t];
      for (int k = 0; k < f.leaf_width; k++) {
        float add = scale * v[k];
        dst[k] = dst[k] + add;
      }
    }
  }
}

extern "C" int tb_cuda_forest_predict(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols,
                                      const float *X, const uint8_t *bins, float scale, int n_out, float *out) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  const int n_trees = forest->n_trees, width = forest->leaf_width;
  int32_t *oc = (int32_t *)malloc((size_t)n_trees * sizeof *oc);
  if (!oc) return tb_error_set(TB_ERR_NOMEM, "forest_predict: out of host memory");
  TB_TRY(tb_cuda_enter(be, &ctx));
  /* The CPU's check of the output columns (a bad one would write outside `out`). */
  TB_TRY(tb_cuda_fetch(ctx, oc, forest->out_col, (size_t)n_trees * sizeof *oc));
  for (int t = 0; t < n_trees; t++)
    if (oc[t] < 0 || oc[t] + width > n_out)
      TB_FAIL(TB_ERR_INVALID, "forest_predict: tree %d writes columns %d..%d of %d outputs", t, oc[t],
              oc[t] + width - 1, n_out);
  forest_kernel<<<(unsigned)((n_rows + 127) / 128 < 65535u * 16 ? (n_rows + 127) / 128 : 65535u * 16), 128, 0,
                  ctx->stream>>>(n_rows, n_cols, X, bins, *forest, scale, n_out, out);
  TB_CUDA_LAUNCHED();
done:
  free(oc);
  return rc;
}

/* ---- segment add: one block per segment, its threads striding over the segment's rows ---------------------- */
static __global__ void segment_add_kernel(const uint32_t *seg, const float *values, int n_seg, const uint32_t *rows,
                                          int n_out, int col, float *out) {
  for (int s = blockIdx.x; s < n_seg; s += gridDim.x) {
    const uint32_t b = seg[s], c = seg[n_seg + s];
    const float v = values[s];
    for (uint32_t i = threadIdx.x; i < c; i += blockDim.x) {
      float *o = out + (size_t)rows[b + i] * (size_t)n_out + col;
      *o = *o + v;
    }
  }
}

extern "C" int tb_cuda_segment_add(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                                   const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col,
                                   float *out) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  void *d = NULL;
  (void)n_rows;
  const size_t ub = (size_t)n_seg * sizeof(uint32_t);
  /* staged as one block: begins (n_seg), counts (n_seg), values (n_seg) */
  unsigned char *host = (unsigned char *)malloc(3 * ub);
  if (!host) return tb_error_set(TB_ERR_NOMEM, "segment_add: out of host memory (%d segments)", n_seg);
  memcpy(host, seg_begin, ub);
  memcpy(host + ub, seg_count, ub);
  memcpy(host + 2 * ub, values, (size_t)n_seg * sizeof(float));
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, 3 * ub, &d));
  TB_TRY(tb_cuda_stage_upload(ctx, host, 3 * ub, 0));
  segment_add_kernel<<<(unsigned)(n_seg < 65535 ? n_seg : 65535), 256, 0, ctx->stream>>>(
      (const uint32_t *)d, (const float *)((unsigned char *)d + 2 * ub), n_seg, rows, n_out, col, out);
  TB_CUDA_LAUNCHED();
done:
  free(host);
  return rc;
}
