/* cuda_split.cu: the CUDA backend's split search over fixed-point histograms (tb_op_split_find). Same result as
 * kernels/cpu/tree_split.c, bit for bit: the node totals, left sums and right = total - left are exact int64, and
 * the gains come from the same functions of kernels/tb_split_gain.h (double, fixed order, -fmad=false).
 * Three launches: node totals (feature 0's bins); one block per (node, feature) that prefix-sums the bins in
 * shared memory, scores every bin and keeps the highest gain > min_gain with the lowest bin; one block per node
 * that takes the features in order with a strict ">" (ties -> lowest feature) and sums the winner's left stats.
 * Not here: the histogram build (cuda_tree.cu). Tested by tests/test_cuda_parity.c on a GPU machine. */
#include "cuda_impl.cuh"

#include <stdlib.h>
#include <string.h>

#include "tb_split_gain.h"

#define PAIR_THREADS TB_MAX_BINS /* one thread per bin of a feature */

/* totals (n_nodes, n_stats) = sums over feature 0's bins (bins 0 .. cut_ptr[1]-1) of each node's histogram. */
static __global__ void split_totals_kernel(int n_nodes, const uint32_t *cut_ptr, int total_bins, const int64_t *hist,
                                           int n_stats, int64_t *totals) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= n_nodes * n_stats) return;
  int n = t / n_stats, k = t % n_stats;
  const int64_t *h = hist + (size_t)n * total_bins * n_stats + k;
  unsigned long long acc = 0;
  for (uint32_t b = 0; b < cut_ptr[1]; b++) acc += (unsigned long long)h[(size_t)b * n_stats];
  totals[t] = (int64_t)acc;
}

/* (g1, b1) beats (g2, b2): a candidate beats none (b < 0), a higher gain wins, equal gains go to the lower bin. */
static __device__ __forceinline__ bool pair_better(double g1, int b1, double g2, int b2) {
  if (b1 < 0) return false;
  if (b2 < 0) return true;
  return g1 > g2 || (g1 == g2 && b1 < b2);
}

/* One block per (node, feature) pair, blockIdx.x = node * n_cols + feature. */
static __global__ void split_pair_kernel(tb_split_params p, int n_cols, const uint32_t *cut_ptr, int total_bins,
                                         const int64_t *hist, int n_stats, const uint8_t *mask,
                                         const int64_t *totals, double *pair_gain, int32_t *pair_bin) {
  extern __shared__ int64_t left[]; /* (nb, n_stats): inclusive prefix sums of the feature's bins */
  __shared__ int64_t scan[2][PAIR_THREADS];
  __shared__ int64_t tot[TB_MAX_STATS];
  __shared__ double warp_gain[PAIR_THREADS / 32];
  __shared__ int warp_bin[PAIR_THREADS / 32];
  const size_t pi = blockIdx.x;
  const int node = (int)(pi / n_cols), j = (int)(pi % n_cols), b = threadIdx.x, lane = b & 31;
  if (mask && !mask[pi]) {
    if (b == 0) {
      pair_gain[pi] = p.min_gain;
      pair_bin[pi] = -1;
    }
    return;
  }
  const uint32_t c0 = cut_ptr[j];
  const int nb = (int)(cut_ptr[j + 1] - c0);
  const int64_t *h = hist + ((size_t)node * total_bins + c0) * n_stats;
  if (b < n_stats) tot[b] = totals[(size_t)node * n_stats + b];
  for (int k = 0; k < n_stats; k++) { /* Hillis-Steele inclusive scan of stat k over the bins (exact integers) */
    int cur = 0;
    scan[0][b] = b < nb ? h[(size_t)b * n_stats + k] : 0;
    __syncthreads();
    for (int off = 1; off < PAIR_THREADS; off <<= 1) {
      unsigned long long x = (unsigned long long)scan[cur][b];
      if (b >= off) x += (unsigned long long)scan[cur][b - off];
      scan[cur ^ 1][b] = (int64_t)x;
      cur ^= 1;
      __syncthreads();
    }
    if (b < nb) left[(size_t)b * n_stats + k] = scan[cur][b];
    __syncthreads();
  }
  double g = p.min_gain;
  int bb = -1;
  if (b + 1 < nb) { /* the last bin is never a split: its right side would be empty */
    int64_t right[TB_MAX_STATS];
    const int64_t *l = left + (size_t)b * n_stats;
    for (int k = 0; k < n_stats; k++) right[k] = tot[k] - l[k];
    double gg = tb_split_gain(&p, tot, l, right, n_stats);
    if (gg > p.min_gain) { /* NaN and -inf (constraint broken) never pass */
      g = gg;
      bb = b;
    }
  }
  for (int o = 16; o > 0; o >>= 1) {
    double og = __shfl_xor_sync(0xffffffffu, g, o);
    int ob = __shfl_xor_sync(0xffffffffu, bb, o);
    if (pair_better(og, ob, g, bb)) {
      g = og;
      bb = ob;
    }
  }
  if (lane == 0) {
    warp_gain[b / 32] = g;
    warp_bin[b / 32] = bb;
  }
  __syncthreads();
  if (b == 0) {
    for (int w = 1; w < PAIR_THREADS / 32; w++)
      if (pair_better(warp_gain[w], warp_bin[w], g, bb)) {
        g = warp_gain[w];
        bb = warp_bin[w];
      }
    pair_gain[pi] = bb >= 0 ? g : p.min_gain;
    pair_bin[pi] = bb;
  }
}

/* One block per node: the features in order with a strict ">" from min_gain (ties -> lowest feature), then the
 * winner's left stats (bins 0..bin of its feature), one thread per stat. */
static __global__ void split_final_kernel(double min_gain, int n_cols, const uint32_t *cut_ptr, int total_bins,
                                          const int64_t *hist, int n_stats, const double *pair_gain,
                                          const int32_t *pair_bin, tb_split_result *out, int64_t *left_out) {
  __shared__ tb_split_result r;
  const int node = blockIdx.x;
  if (threadIdx.x == 0) {
    tb_split_result best;
    best.feature = -1;
    best.bin = -1;
    best.gain = min_gain;
    for (int j = 0; j < n_cols; j++) {
      size_t pi = (size_t)node * n_cols + j;
      if (pair_bin[pi] >= 0 && pair_gain[pi] > best.gain) {
        best.feature = j;
        best.bin = pair_bin[pi];
        best.gain = pair_gain[pi];
      }
    }
    if (best.feature < 0) best.gain = 0.0;
    r = best;
    out[node] = best;
  }
  __syncthreads();
  if (left_out && (int)threadIdx.x < n_stats) {
    unsigned long long acc = 0;
    if (r.feature >= 0) {
      const int64_t *h = hist + ((size_t)node * total_bins + cut_ptr[r.feature]) * n_stats + threadIdx.x;
      for (int b = 0; b <= r.bin; b++) acc += (unsigned long long)h[(size_t)b * n_stats];
    }
    left_out[(size_t)node * n_stats + threadIdx.x] = (int64_t)acc;
  }
}

int tb_cuda_split_smem_init(size_t smem_optin, size_t *split_max) {
  int rc = TB_OK;
  cudaFuncAttributes attr;
  *split_max = 0;
  TB_CUDA_TRY(cudaFuncGetAttributes(&attr, split_pair_kernel));
  if (smem_optin > attr.sharedSizeBytes) {
    TB_CUDA_TRY(cudaFuncSetAttribute(split_pair_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                     (int)(smem_optin - attr.sharedSizeBytes)));
    *split_max = smem_optin - attr.sharedSizeBytes;
  }
done:
  return rc;
}

static size_t align256(size_t x) { return (x + 255) / 256 * 256; }

extern "C" int tb_cuda_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols,
                                  const uint32_t *cut_ptr, int total_bins, const int64_t *hist, int n_stats,
                                  const uint8_t *feature_mask, tb_split_result *out, int64_t *left_stats) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  const size_t n_pairs = (size_t)n_nodes * n_cols;
  const size_t cp_bytes = ((size_t)n_cols + 1) * sizeof(uint32_t), mask_bytes = feature_mask ? n_pairs : 0;
  size_t off_mask, off_tot, off_gain, off_bin, off_res, off_left, bytes, smem;
  char *host = NULL;
  void *base;
  uint32_t nb_max = 1;
  /* The CPU's checks (kernels/cpu/tree_split.c): cut_ptr is a host array here. */
  if (cut_ptr[0] != 0 || cut_ptr[n_cols] != (uint32_t)total_bins)
    return tb_error_set(TB_ERR_INVALID, "split_find: cut_ptr runs %u..%u but total_bins is %d", cut_ptr[0],
                        cut_ptr[n_cols], total_bins);
  for (int j = 0; j < n_cols; j++) {
    if (cut_ptr[j + 1] <= cut_ptr[j] || cut_ptr[j + 1] - cut_ptr[j] > TB_MAX_BINS)
      return tb_error_set(TB_ERR_INVALID, "split_find: feature %d has %lld bins (need 1..%d)", j,
                          (long long)cut_ptr[j + 1] - (long long)cut_ptr[j], TB_MAX_BINS);
    if (cut_ptr[j + 1] - cut_ptr[j] > nb_max) nb_max = cut_ptr[j + 1] - cut_ptr[j];
  }
  if (params->criterion == TB_SPLIT_VARIANCE && !(params->scale_y > 0))
    return tb_error_set(TB_ERR_INVALID, "split_find: variance criterion needs scale_y > 0");

  off_mask = align256(cp_bytes);
  off_tot = align256(off_mask + mask_bytes);
  off_gain = align256(off_tot + (size_t)n_nodes * n_stats * sizeof(int64_t));
  off_bin = align256(off_gain + n_pairs * sizeof(double));
  off_res = align256(off_bin + n_pairs * sizeof(int32_t));
  off_left = align256(off_res + (size_t)n_nodes * sizeof(tb_split_result));
  bytes = off_left + (size_t)n_nodes * n_stats * sizeof(int64_t);
  smem = (size_t)nb_max * n_stats * sizeof(int64_t);

  host = (char *)calloc(1, off_mask + mask_bytes); /* calloc: the alignment padding is staged too */
  if (!host) return tb_error_set(TB_ERR_NOMEM, "split_find: out of host memory");
  memcpy(host, cut_ptr, cp_bytes);
  if (feature_mask) memcpy(host + off_mask, feature_mask, mask_bytes);
  TB_TRY(tb_cuda_enter(be, &ctx));
  if (smem > ctx->split_smem_max)
    TB_FAIL(TB_ERR_UNSUPPORTED, "split_find: %u bins x %d stats need %zu bytes of dynamic shared memory per block "
            "(this device allows %zu beside the kernel's static shared memory)", nb_max, n_stats, smem,
            ctx->split_smem_max);
  TB_TRY(tb_cuda_dscratch(ctx, bytes, &base));
  TB_TRY(tb_cuda_stage_upload(ctx, host, off_mask + mask_bytes, 0));
  {
    char *d = (char *)base;
    const uint32_t *d_cp = (const uint32_t *)d;
    const uint8_t *d_mask = feature_mask ? (const uint8_t *)(d + off_mask) : NULL;
    int64_t *d_tot = (int64_t *)(d + off_tot), *d_left = (int64_t *)(d + off_left);
    double *d_gain = (double *)(d + off_gain);
    int32_t *d_bin = (int32_t *)(d + off_bin);
    tb_split_result *d_res = (tb_split_result *)(d + off_res);
    int nt = n_nodes * n_stats;
    split_totals_kernel<<<(nt + 127) / 128, 128, 0, ctx->stream>>>(n_nodes, d_cp, total_bins, hist, n_stats, d_tot);
    TB_CUDA_LAUNCHED();
    split_pair_kernel<<<(unsigned)n_pairs, PAIR_THREADS, smem, ctx->stream>>>(
        *params, n_cols, d_cp, total_bins, hist, n_stats, d_mask, d_tot, d_gain, d_bin);
    TB_CUDA_LAUNCHED();
    split_final_kernel<<<(unsigned)n_nodes, TB_MAX_STATS, 0, ctx->stream>>>(
        params->min_gain, n_cols, d_cp, total_bins, hist, n_stats, d_gain, d_bin, d_res, left_stats ? d_left : NULL);
    TB_CUDA_LAUNCHED();
    { /* one wait for both results, through pinned memory */
      void *dst[2] = {out, left_stats};
      const void *src[2] = {d_res, d_left};
      size_t nb[2] = {(size_t)n_nodes * sizeof(tb_split_result), (size_t)n_nodes * n_stats * sizeof(int64_t)};
      TB_TRY(tb_cuda_fetch_many(ctx, left_stats ? 2 : 1, dst, src, nb));
    }
  }
done:
  free(host);
  return rc;
}
