/* cuda_level.cu: the CUDA backend's batched partition: tb_op_partition_level and tb_op_partition_level_cols run
 * here (a single node is a level of one segment), every segment of a tree level in one flags launch, one CUB scan, one
 * scatter, one copy and one wait (the left counts), instead of one of each per node. Same semantics as
 * kernels/cpu/tree_level.c: each segment ends as its unique stable partition, so results are identical to the CPU's.
 * Not here: the level-wise histograms (cuda_tree.cu). Tested by tests/test_cuda_parity.c against the CPU backend on
 * a GPU machine (unverified until scripts/gpu-check runs on one). */
#include "cuda_impl.cuh"

#include <cub/device/device_scan.cuh>
#include <stdint.h>
#include <stdlib.h>

/* ---- batched partition: every segment of a level in 3 launches, one scan and one wait ------------------------
 * Segments are sorted by begin on the host and staged once; a position finds its segment by binary search. One flags
 * kernel, one CUB exclusive scan over the level's span [lo, hi) (positions outside segments flag 0 and are copied
 * unchanged), one scatter (left rows to begin + their left rank, right rows after the segment's lefts, both in
 * order: the unique stable partition), one copy back and one fetch of the left counts. */
static __device__ __forceinline__ int seg_of(const uint32_t *begin, int n, uint32_t p) {
  int lo = 0, hi = n; /* first s with begin[s] > p, minus one */
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (begin[mid] <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/* bins of dataset row r, feature f at bins[r * rs + f * fs] (row-major: rs = n_cols, fs = 1; column-major: rs = 1,
 * fs = n_data_rows). */
static __global__ void level_flags_kernel(uint32_t lo, size_t span, const uint32_t *seg, int n_seg,
                                          const uint8_t *bins, size_t rs, size_t fs, const uint32_t *rows,
                                          uint32_t *flags) {
  const uint32_t *begin = seg, *count = seg + n_seg;
  const int32_t *feature = (const int32_t *)(seg + 2 * n_seg), *bin = (const int32_t *)(seg + 3 * n_seg);
  for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < span; t += (size_t)gridDim.x * blockDim.x) {
    const uint32_t p = lo + (uint32_t)t;
    const int s = seg_of(begin, n_seg, p);
    uint32_t f = 0;
    if (s >= 0 && p - begin[s] < count[s]) f = (int)bins[(size_t)rows[p] * rs + (size_t)feature[s] * fs] <= bin[s];
    flags[t] = f;
  }
}

static __global__ void level_scatter_kernel(uint32_t lo, size_t span, const uint32_t *seg, int n_seg,
                                            const uint32_t *rows, const uint32_t *flags, const uint32_t *pos,
                                            uint32_t *out, uint32_t *n_left) {
  const uint32_t *begin = seg, *count = seg + n_seg;
  for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < span; t += (size_t)gridDim.x * blockDim.x) {
    const uint32_t p = lo + (uint32_t)t;
    const int s = seg_of(begin, n_seg, p);
    if (s < 0 || p - begin[s] >= count[s]) {
      out[t] = rows[p];
      continue;
    }
    const uint32_t b = begin[s] - lo, e = b + count[s]; /* span-relative */
    const uint32_t base = pos[b], nl = pos[e - 1] + flags[e - 1] - base, before = pos[t] - base;
    const uint32_t dst = flags[t] ? b + before : b + nl + ((uint32_t)t - b) - before;
    out[dst] = rows[p];
    if ((uint32_t)t == b) n_left[s] = nl;
  }
}

typedef struct {
  uint32_t begin, count;
  int32_t feature, bin;
  int idx;
} seg_sort;

static int cmp_seg_sort(const void *a, const void *b) {
  const seg_sort *x = (const seg_sort *)a, *y = (const seg_sort *)b;
  return (x->begin > y->begin) - (x->begin < y->begin);
}

static size_t align256(size_t x) { return (x + 255) / 256 * 256; }

/* The common body of partition_level(_cols) and the single-node partition: n_left[s] in the callers' order. */
int tb_cuda_partition_segments(tb_backend *be, const uint8_t *bins, size_t rs, size_t fs, uint32_t *rows, int n_seg,
                               const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                               const int32_t *bin, uint32_t *scratch, uint32_t *n_left) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  seg_sort *ss = (seg_sort *)malloc((size_t)n_seg * sizeof *ss);
  uint32_t *host = (uint32_t *)malloc((size_t)n_seg * 5 * sizeof *host);
  size_t lo = SIZE_MAX, hi = 0, temp_bytes = 0;
  int k = 0;
  if (!ss || !host) TB_FAIL(TB_ERR_NOMEM, "partition: out of host memory (%d segments)", n_seg);
  for (int s = 0; s < n_seg; s++) {
    if (!seg_count[s]) {
      n_left[s] = 0;
      continue;
    }
    ss[k].begin = seg_begin[s];
    ss[k].count = seg_count[s];
    ss[k].feature = feature[s];
    ss[k].bin = bin[s];
    ss[k].idx = s;
    if (seg_begin[s] < lo) lo = seg_begin[s];
    if ((size_t)seg_begin[s] + seg_count[s] > hi) hi = (size_t)seg_begin[s] + seg_count[s];
    k++;
  }
  if (!k) goto done;
  if (hi - lo > (size_t)INT32_MAX)
    TB_FAIL(TB_ERR_UNSUPPORTED, "partition: %zu rows in one level on the GPU (at most 2^31-1)", hi - lo);
  qsort(ss, (size_t)k, sizeof *ss, cmp_seg_sort);
  for (int s = 0; s < k; s++) {
    host[s] = ss[s].begin;
    host[k + s] = ss[s].count;
    host[2 * k + s] = (uint32_t)ss[s].feature;
    host[3 * k + s] = (uint32_t)ss[s].bin;
  }
  TB_TRY(tb_cuda_enter(be, &ctx));
  {
    const size_t span = hi - lo, seg_bytes = align256((size_t)k * 5 * sizeof(uint32_t));
    const size_t arr_bytes = align256(span * sizeof(uint32_t));
    void *base;
    TB_CUDA_TRY(cub::DeviceScan::ExclusiveSum(NULL, temp_bytes, (const uint32_t *)NULL, (uint32_t *)NULL, (int)span,
                                              ctx->stream));
    TB_TRY(tb_cuda_dscratch(ctx, seg_bytes + 2 * arr_bytes + temp_bytes, &base));
    TB_TRY(tb_cuda_stage_upload(ctx, host, (size_t)k * 4 * sizeof(uint32_t), 0));
    uint32_t *d_seg = (uint32_t *)base, *d_nl = d_seg + 4 * (size_t)k;
    uint32_t *flags = (uint32_t *)((char *)base + seg_bytes), *pos = (uint32_t *)((char *)base + seg_bytes + arr_bytes);
    void *temp = (char *)base + seg_bytes + 2 * arr_bytes;
    const unsigned grid = tb_cuda_grid(ctx, span);
    level_flags_kernel<<<grid, TB_CUDA_THREADS, 0, ctx->stream>>>((uint32_t)lo, span, d_seg, k, bins, rs, fs, rows,
                                                                  flags);
    TB_CUDA_LAUNCHED();
    TB_CUDA_TRY(cub::DeviceScan::ExclusiveSum(temp, temp_bytes, flags, pos, (int)span, ctx->stream));
    level_scatter_kernel<<<grid, TB_CUDA_THREADS, 0, ctx->stream>>>((uint32_t)lo, span, d_seg, k, rows, flags, pos,
                                                                    scratch + lo, d_nl);
    TB_CUDA_LAUNCHED();
    TB_CUDA_TRY(cudaMemcpyAsync(rows + lo, scratch + lo, span * sizeof *rows, cudaMemcpyDeviceToDevice, ctx->stream));
    TB_TRY(tb_cuda_fetch(ctx, host + 4 * (size_t)k, d_nl, (size_t)k * sizeof(uint32_t)));
    for (int s = 0; s < k; s++) n_left[ss[s].idx] = host[4 * (size_t)k + s];
  }
done:
  free(ss);
  free(host);
  return rc;
}

extern "C" int tb_cuda_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows,
                                       int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                                       const int32_t *feature, const int32_t *bin, uint32_t *scratch,
                                       uint32_t *n_left) {
  (void)n_rows;
  return tb_cuda_partition_segments(be, bins, (size_t)n_cols, 1, rows, n_seg, seg_begin, seg_count, feature, bin,
                                    scratch, n_left);
}

extern "C" int tb_cuda_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm,
                                            uint32_t *rows, size_t n_rows, int n_seg, const uint32_t *seg_begin,
                                            const uint32_t *seg_count, const int32_t *feature, const int32_t *bin,
                                            uint32_t *scratch, uint32_t *n_left) {
  (void)n_cols;
  (void)n_rows;
  return tb_cuda_partition_segments(be, bins_cm, 1, n_data_rows, rows, n_seg, seg_begin, seg_count, feature, bin,
                                    scratch, n_left);
}
