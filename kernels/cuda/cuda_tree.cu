/* cuda_tree.cu: the CUDA backend's tree ops on quantised data: quantisation, fixed-point histogram build and
 * subtraction (single node and level-wise: all of a level's jobs in one launch per path), the single-node partition
 * (a one-segment call of cuda_level.cu), forest prediction and the segment add of a grown tree's leaf values (one
 * flat launch). Same semantics and the same error checks as kernels/cpu/quantile.c, kernels/cpu/tree.c and
 * kernels/cpu/tree_level.c. Histograms are int64 sums added with integer atomics (into a per-block shared-memory
 * histogram, as two 32-bit adds with carry, for jobs large enough; else straight into global memory), so they are
 * exact and bit-identical on every run and equal to the CPU's. Not here: the split search (cuda_split.cu).
 * Tested by tests/test_cuda_parity.c against the CPU backend (histograms 16 times, bit for bit) on a GPU machine. */
#include "cuda_impl.cuh"

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

/* ---- histograms: jobs of (rows, destination[, parent, sibling]), one launch per path for all of them ------------
 * A job's histogram h of rows[begin .. begin + count) goes to dst (zeroed first), and sibling = parent - h when a
 * sibling is given. Jobs with enough (row, feature) elements to pay for a private histogram build it in shared memory
 * (blocks striding over the job, then one flush with global atomics); the others add straight into global memory,
 * so a 3-row node costs a few atomics instead of zeroing and flushing a 112 KiB shared histogram. blockIdx.y is the
 * job (chunks of 65,535 jobs). */
#define HIST_THREADS 512

typedef struct {
  unsigned long long *dst;           /* the job's histogram (zeroed by hist_zero_kernel) */
  const unsigned long long *parent;  /* with sibling: sibling = parent - dst */
  unsigned long long *sibling;       /* NULL: no subtraction */
  uint32_t begin, count;             /* rows[begin .. begin + count) */
} hist_job;

/* 64-bit add to shared memory as two 32-bit atomics with the carry (sm_90 has no native 64-bit shared add: the
 * 64-bit atomicAdd there is a compare-and-swap loop). Exact modulo 2^64; the words are read only after a barrier. */
static __device__ __forceinline__ void shared_add64(unsigned long long *addr, unsigned long long v) {
  unsigned int *w = (unsigned int *)addr; /* little-endian: w[0] is the low word */
  const unsigned int lo = (unsigned int)v, hi = (unsigned int)(v >> 32);
  const unsigned int old = atomicAdd(w, lo);
  const unsigned int up = hi + (unsigned int)(old + lo < old); /* the carry out of the low word */
  if (up) atomicAdd(w + 1, up);
}

/* One (row, feature) element per thread step; j is the fastest index so a warp reads one row's bins together.
 * `per_block` elements per block: blocks beyond the job's need leave at once (uniformly, before any barrier). */
template <bool SHARED>
static __global__ void hist_kernel(const hist_job *jobs, size_t per_block, int n_cols, const uint8_t *bins,
                                   const uint32_t *cut_ptr, int total_bins, const uint32_t *rows,
                                   const int64_t *stats, int n_stats) {
  extern __shared__ unsigned long long sh[];
  const hist_job jb = jobs[blockIdx.y];
  const size_t total = (size_t)jb.count * n_cols, n_entries = (size_t)total_bins * n_stats;
  const size_t need = (total + per_block - 1) / per_block, nb = need < gridDim.x ? need : gridDim.x;
  if (blockIdx.x >= nb) return;
  const uint32_t *rw = rows + jb.begin;
  unsigned long long *h = SHARED ? sh : jb.dst;
  if (SHARED) {
    for (size_t e = threadIdx.x; e < n_entries; e += blockDim.x) sh[e] = 0;
    __syncthreads();
  }
  for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total; t += nb * blockDim.x) {
    size_t i = t / n_cols, j = t % n_cols, r = rw[i];
    size_t gb = cut_ptr[j] + bins[r * n_cols + j];
    const int64_t *s = stats + r * n_stats;
    unsigned long long *dst = h + gb * n_stats;
    for (int k = 0; k < n_stats; k++) { /* two's complement: exact */
      if (SHARED) shared_add64(dst + k, (unsigned long long)s[k]);
      else atomicAdd(dst + k, (unsigned long long)s[k]);
    }
  }
  if (SHARED) {
    __syncthreads();
    for (size_t e = threadIdx.x; e < n_entries; e += blockDim.x)
      if (sh[e]) atomicAdd(jb.dst + e, sh[e]);
  }
}

static __global__ void hist_zero_kernel(const hist_job *jobs, size_t n_entries) {
  unsigned long long *d = jobs[blockIdx.y].dst;
  for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < n_entries; e += (size_t)gridDim.x * blockDim.x)
    d[e] = 0;
}

static __global__ void hist_sibling_kernel(const hist_job *jobs, size_t n_entries) {
  const hist_job jb = jobs[blockIdx.y];
  if (!jb.sibling) return;
  for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < n_entries; e += (size_t)gridDim.x * blockDim.x)
    jb.sibling[e] = jb.parent[e] - jb.dst[e];
}

#define HIST_MAX_Y 65535u

/* One group of jobs (dst set; jobs needing a temporary histogram have dst NULL and get one in the scratch): one
 * staged copy, then a zero, a shared-path, a global-path and a sibling launch per chunk of 65,535 jobs. */
static int hist_group(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                      const uint32_t *rows, const int64_t *stats, int n_stats, int n_jobs, const hist_job *in) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  const size_t n_entries = (size_t)total_bins * n_stats, hist_bytes = n_entries * sizeof(int64_t);
  const size_t jobs_bytes = ((size_t)n_jobs * sizeof(hist_job) + 255) / 256 * 256;
  hist_job *host = (hist_job *)malloc((size_t)n_jobs * sizeof *host);
  size_t n_tmp = 0, max_big = 0, max_small = 0, n_big = 0;
  void *base;
  if (!host) return tb_error_set(TB_ERR_NOMEM, "hist_build: out of host memory (%d jobs)", n_jobs);
  for (int i = 0; i < n_jobs; i++) n_tmp += in[i].dst == NULL;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, jobs_bytes + n_tmp * hist_bytes, &base));
  {
    /* shared-path jobs first, then the others; temporaries after the job array */
    const bool shared_ok = hist_bytes <= ctx->hist_smem_max;
    size_t t = 0, lo = 0, hi = (size_t)n_jobs;
    for (int i = 0; i < n_jobs; i++) {
      hist_job j = in[i];
      if (!j.dst) j.dst = (unsigned long long *)((char *)base + jobs_bytes + (t++) * hist_bytes);
      const size_t el = (size_t)j.count * n_cols;
      if (shared_ok && el >= 2 * n_entries && el >= (size_t)HIST_THREADS * 4) {
        host[lo++] = j;
        if (el > max_big) max_big = el;
      } else {
        host[--hi] = j;
        if (el > max_small) max_small = el;
      }
    }
    n_big = lo;
  }
  TB_TRY(tb_cuda_stage_upload(ctx, host, (size_t)n_jobs * sizeof *host, 0));
  {
    const hist_job *d_jobs = (const hist_job *)base;
    const size_t per_big = (size_t)HIST_THREADS * 16 > n_entries ? (size_t)HIST_THREADS * 16 : n_entries;
    size_t gx_big = (max_big + per_big - 1) / per_big, gx_small = (max_small + TB_CUDA_THREADS - 1) / TB_CUDA_THREADS;
    if (gx_big > (size_t)ctx->n_sm * 2) gx_big = (size_t)ctx->n_sm * 2;
    if (gx_small > (size_t)ctx->n_sm * 4) gx_small = (size_t)ctx->n_sm * 4;
    unsigned gx_ent = tb_cuda_grid(ctx, n_entries);
    if (gx_ent > 64) gx_ent = 64;
    for (size_t c0 = 0; c0 < (size_t)n_jobs; c0 += HIST_MAX_Y) {
      const unsigned ny = (unsigned)((size_t)n_jobs - c0 < HIST_MAX_Y ? (size_t)n_jobs - c0 : HIST_MAX_Y);
      hist_zero_kernel<<<dim3(gx_ent, ny), TB_CUDA_THREADS, 0, ctx->stream>>>(d_jobs + c0, n_entries);
      TB_CUDA_LAUNCHED();
    }
    for (size_t c0 = 0; c0 < n_big; c0 += HIST_MAX_Y) {
      const unsigned ny = (unsigned)(n_big - c0 < HIST_MAX_Y ? n_big - c0 : HIST_MAX_Y);
      hist_kernel<true><<<dim3((unsigned)(gx_big ? gx_big : 1), ny), HIST_THREADS, hist_bytes, ctx->stream>>>(
          d_jobs + c0, per_big, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats);
      TB_CUDA_LAUNCHED();
    }
    for (size_t c0 = n_big; c0 < (size_t)n_jobs; c0 += HIST_MAX_Y) {
      const unsigned ny = (unsigned)((size_t)n_jobs - c0 < HIST_MAX_Y ? (size_t)n_jobs - c0 : HIST_MAX_Y);
      hist_kernel<false><<<dim3((unsigned)(gx_small ? gx_small : 1), ny), TB_CUDA_THREADS, 0, ctx->stream>>>(
          d_jobs + c0, TB_CUDA_THREADS, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats);
      TB_CUDA_LAUNCHED();
    }
    for (size_t c0 = 0; c0 < (size_t)n_jobs; c0 += HIST_MAX_Y) {
      const unsigned ny = (unsigned)((size_t)n_jobs - c0 < HIST_MAX_Y ? (size_t)n_jobs - c0 : HIST_MAX_Y);
      hist_sibling_kernel<<<dim3(gx_ent, ny), TB_CUDA_THREADS, 0, ctx->stream>>>(d_jobs + c0, n_entries);
      TB_CUDA_LAUNCHED();
    }
  }
done:
  free(host);
  return rc;
}

/* All jobs, in groups holding at most HIST_MAX_TMP temporary histograms (a level whose nodes mostly cannot split
 * could otherwise ask for thousands of them at once); groups run one after the other on the stream and reuse the
 * scratch (stream order: a group's staged copy lands after the previous group's launches). */
#define HIST_MAX_TMP 16
static int hist_jobs(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                      const uint32_t *rows, const int64_t *stats, int n_stats, int n_jobs, const hist_job *in) {
  int rc = TB_OK, first = 0;
  while (first < n_jobs) {
    int last = first, n_tmp = 0;
    while (last < n_jobs && (in[last].dst || n_tmp < HIST_MAX_TMP)) n_tmp += in[last++].dst == NULL;
    TB_TRY(hist_group(be, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats, last - first, in + first));
    first = last;
  }
done:
  return rc;
}

extern "C" int tb_cuda_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr,
                                  int total_bins, const uint32_t *rows, size_t n_rows, const int64_t *stats,
                                  int n_stats, int64_t *hist) {
  hist_job j = {(unsigned long long *)hist, NULL, NULL, 0, (uint32_t)n_rows};
  if (n_rows > UINT32_MAX)
    return tb_error_set(TB_ERR_UNSUPPORTED, "hist_build: %zu rows on the GPU (at most 2^32-1)", n_rows);
  return hist_jobs(be, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats, 1, &j);
}

extern "C" int tb_cuda_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr,
                                        int total_bins, const uint32_t *rows, const int64_t *stats, int n_stats,
                                        int n_jobs, const tb_hist_job *jobs, int64_t *hist) {
  int rc;
  const size_t slot_len = (size_t)total_bins * (size_t)n_stats;
  hist_job *h = (hist_job *)malloc((size_t)n_jobs * sizeof *h);
  if (!h) return tb_error_set(TB_ERR_NOMEM, "hist_build_level: out of host memory (%d jobs)", n_jobs);
  for (int i = 0; i < n_jobs; i++) {
    const tb_hist_job *j = &jobs[i];
    h[i].dst = j->dst >= 0 ? (unsigned long long *)(hist + (size_t)j->dst * slot_len) : NULL;
    h[i].parent = j->sibling >= 0 ? (const unsigned long long *)(hist + (size_t)j->parent * slot_len) : NULL;
    h[i].sibling = j->sibling >= 0 ? (unsigned long long *)(hist + (size_t)j->sibling * slot_len) : NULL;
    h[i].begin = j->begin;
    h[i].count = j->count;
  }
  rc = hist_jobs(be, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats, n_jobs, h);
  free(h);
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

/* ---- segment add: a flat grid over the positions of all segments (sorted by begin, found by binary search) ---- */
static __global__ void segment_add_kernel(uint32_t lo, size_t span, const uint32_t *seg, const float *values,
                                          int n_seg, const uint32_t *rows, int n_out, int col, float *out) {
  const uint32_t *begin = seg, *count = seg + n_seg;
  for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < span; t += (size_t)gridDim.x * blockDim.x) {
    const uint32_t p = lo + (uint32_t)t;
    int a = 0, b = n_seg; /* the last segment beginning at or before p */
    while (a < b) {
      int mid = (a + b) >> 1;
      if (begin[mid] <= p) a = mid + 1;
      else b = mid;
    }
    const int s = a - 1;
    if (s < 0 || p - begin[s] >= count[s]) continue;
    float *o = out + (size_t)rows[p] * (size_t)n_out + col;
    *o = *o + values[s];
  }
}

typedef struct {
  uint32_t begin, count;
  float value;
} seg_val;

static int cmp_seg_val(const void *a, const void *b) {
  const seg_val *x = (const seg_val *)a, *y = (const seg_val *)b;
  return (x->begin > y->begin) - (x->begin < y->begin);
}

extern "C" int tb_cuda_segment_add(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                                   const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col,
                                   float *out) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  void *d = NULL;
  (void)n_rows;
  const size_t ub = (size_t)n_seg * sizeof(uint32_t);
  size_t lo = SIZE_MAX, hi = 0;
  int k = 0; /* the non-empty segments only: an empty one may share its begin with the next */
  /* staged as one block, sorted by begin: begins (n_seg), counts (n_seg), values (n_seg) */
  seg_val *sv = (seg_val *)malloc((size_t)n_seg * sizeof *sv);
  unsigned char *host = (unsigned char *)malloc(3 * ub);
  if (!host || !sv) TB_FAIL(TB_ERR_NOMEM, "segment_add: out of host memory (%d segments)", n_seg);
  for (int s = 0; s < n_seg; s++) {
    if (!seg_count[s]) continue;
    sv[k].begin = seg_begin[s];
    sv[k].count = seg_count[s];
    sv[k].value = values[s];
    if (seg_begin[s] < lo) lo = seg_begin[s];
    if ((size_t)seg_begin[s] + seg_count[s] > hi) hi = (size_t)seg_begin[s] + seg_count[s];
    k++;
  }
  if (!k) goto done;
  qsort(sv, (size_t)k, sizeof *sv, cmp_seg_val);
  for (int s = 0; s < k; s++) {
    ((uint32_t *)host)[s] = sv[s].begin;
    ((uint32_t *)host)[k + s] = sv[s].count;
    ((float *)(host + 2 * (size_t)k * sizeof(uint32_t)))[s] = sv[s].value;
  }
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, 3 * ub, &d));
  TB_TRY(tb_cuda_stage_upload(ctx, host, 3 * (size_t)k * sizeof(uint32_t), 0));
  segment_add_kernel<<<tb_cuda_grid(ctx, hi - lo), TB_CUDA_THREADS, 0, ctx->stream>>>(
      (uint32_t)lo, hi - lo, (const uint32_t *)d, (const float *)((unsigned char *)d + 2 * (size_t)k * sizeof(uint32_t)),
      k, rows, n_out, col, out);
  TB_CUDA_LAUNCHED();
done:
  free(sv);
  free(host);
  return rc;
}
