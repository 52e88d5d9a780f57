/* tree_level.c: the CPU backend's level-wise tree ops: the histograms (with the subtraction trick) and the row
 * partitions of every node of a tree level in ONE call and at most one OpenMP parallel region, instead of one region
 * per node (each region wakes the sleeping threads of the passive wait policy). Not here: the single-node ops and
 * the per-row histogram loop (tree.c), the split search (tree_split.c).
 * Tested by tests/test_ops_tree.c against the single-node ops and brute-force references (bit-identical, 1 vs 2
 * threads, bad input) and by tests/test_cuda_parity.c.
 *
 * Histograms: the level's job rows are seen as one concatenated list cut into equal shares, one per thread. A thread
 * adds a job it covers whole into its padded private histogram and writes the job's outputs at once; the at most two
 * jobs it covers in part (its first and last) go to two partial histograms that are summed after one barrier. Sums
 * are int64, exact in any order, so the result is the same for every thread count. Tiny jobs add straight into the
 * output slot (see tb_cpu_hist_build). Partition: the same shares; in one pass over the bins each thread splits its
 * part of every segment into scratch (lefts forward, rights backward), then, after one barrier, copies both to
 * their stable positions. One thread (or a call from inside a parallel loop, such as
 * the forest's trees) runs everything on the calling thread, with no region at all. */
#include "cpu_impl.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define LEVEL_MAX_THREADS 64
#define LEVEL_ROWS_PER_THREAD 4096  /* fewer rows per thread: fewer threads (see tb_cpu_hist_build) */
#define LEVEL_PAD 3u                /* padding entries between features of private histograms (4K aliasing) */
#define LEVEL_DIRECT_ROWS_PER_STAT 8 /* jobs of at most this many rows per stat add straight into their slot */
#define LEVEL_PARTITION_PAR_MIN 32768
#define LEVEL_PREFETCH 16           /* rows ahead whose bins are prefetched in the partition loops */

typedef struct {
  int n_cols, ns;
  const uint8_t *bins;
  const uint32_t *cut_ptr, *offp, *rows;
  const int64_t *stats;
  int64_t *hist;
  size_t slot_len, used_len; /* used_len: entries of the features (cut_ptr[n_cols] * ns); the rest is zero */
} level_ctx;

static int64_t *slot_of(const level_ctx *c, int32_t s) { return s < 0 ? NULL : c->hist + (size_t)s * c->slot_len; }

/* Writes job j's dst and/or sibling from the sum of the n_src padded private histograms src. */
static void finalize(const level_ctx *c, const tb_hist_job *j, int64_t *const *src, int n_src) {
  int64_t *dst = slot_of(c, j->dst), *sib = slot_of(c, j->sibling);
  const int64_t *par = slot_of(c, j->parent);
  const size_t ns = (size_t)c->ns;
  for (int f = 0; f < c->n_cols; f++) {
    const size_t o = (size_t)c->cut_ptr[f] * ns, po = (size_t)c->offp[f] * ns;
    const size_t len = (size_t)(c->cut_ptr[f + 1] - c->cut_ptr[f]) * ns;
    if (n_src == 1 && dst) memcpy(dst + o, src[0] + po, len * sizeof *dst);
    else if (dst)
      for (size_t e = 0; e < len; e++) {
        int64_t v = src[0][po + e];
        for (int q = 1; q < n_src; q++) v += src[q][po + e];
        dst[o + e] = v;
      }
    if (sib && dst)
      for (size_t e = 0; e < len; e++) sib[o + e] = par[o + e] - dst[o + e];
    else if (sib)
      for (size_t e = 0; e < len; e++) {
        int64_t v = src[0][po + e];
        for (int q = 1; q < n_src; q++) v += src[q][po + e];
        sib[o + e] = par[o + e] - v;
      }
  }
  if (c->used_len < c->slot_len) { /* entries past the last feature: zero, as tb_cpu_hist_build leaves them */
    if (dst) memset(dst + c->used_len, 0, (c->slot_len - c->used_len) * sizeof *dst);
    if (sib) memcpy(sib + c->used_len, par + c->used_len, (c->slot_len - c->used_len) * sizeof *sib);
  }
}

/* A tiny job: added straight into its output slot (dst, else sibling, then turned into parent - it). */
static void direct_job(const level_ctx *c, const tb_hist_job *j) {
  int64_t *dst = slot_of(c, j->dst), *sib = slot_of(c, j->sibling), *h = dst ? dst : sib;
  const int64_t *par = slot_of(c, j->parent);
  memset(h, 0, c->slot_len * sizeof *h);
  tb_cpu_hist_rows(h, c->n_cols, c->bins, c->cut_ptr, c->rows + j->begin, 0, j->count, c->stats, c->ns);
  if (sib)
    for (size_t e = 0; e < c->slot_len; e++) sib[e] = par[e] - h[e];
}

/* Job j's rows [s, e) (relative to its begin) into the zeroed padded histogram buf. */
static void private_rows(const level_ctx *c, const tb_hist_job *j, size_t s, size_t e, int64_t *buf, size_t padded) {
  memset(buf, 0, padded * sizeof *buf);
  tb_cpu_hist_rows(buf, c->n_cols, c->bins, c->offp, c->rows + j->begin, s, e, c->stats, c->ns);
}

int tb_cpu_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                            const uint32_t *rows, const int64_t *stats, int n_stats, int n_jobs,
                            const tb_hist_job *jobs, int64_t *hist) {
  const size_t ns = (size_t)n_stats, padded = ((size_t)total_bins + LEVEL_PAD * (size_t)n_cols) * ns;
  const size_t direct_max = LEVEL_DIRECT_ROWS_PER_STAT * ns;
  int rc = TB_OK, nt = tb_cpu_threads(be);
  size_t *pre = malloc(((size_t)n_jobs + 1) * sizeof *pre);
  uint32_t *offp = malloc(((size_t)n_cols + 1) * sizeof *offp);
  int64_t *priv = NULL;
  if (!pre || !offp) TB_FAIL(TB_ERR_NOMEM, "hist_build_level: out of host memory (%d jobs)", n_jobs);
  pre[0] = 0;
  for (int i = 0; i < n_jobs; i++) pre[i + 1] = pre[i] + jobs[i].count;
  for (int j = 0; j <= n_cols; j++) offp[j] = cut_ptr[j] + LEVEL_PAD * (uint32_t)j;
  const level_ctx c = {n_cols, n_stats, bins, cut_ptr, offp, rows, stats, hist, (size_t)total_bins * ns,
                       (size_t)cut_ptr[n_cols] * ns};
  size_t useful = 1 + pre[n_jobs] / LEVEL_ROWS_PER_THREAD;
  if ((size_t)nt > useful) nt = (int)useful;
  if (nt > LEVEL_MAX_THREADS) nt = LEVEL_MAX_THREADS;
  if (omp_in_parallel()) nt = 1;

  if (nt <= 1) { /* on the calling thread, no parallel region */
    for (int i = 0; i < n_jobs; i++) {
      const tb_hist_job *j = &jobs[i];
      if (j->count <= direct_max) {
        direct_job(&c, j);
        continue;
      }
      if (!priv && !(priv = malloc(padded * sizeof *priv)))
        TB_FAIL(TB_ERR_NOMEM, "hist_build_level: out of host memory (%zu bytes)", padded * sizeof *priv);
      private_rows(&c, j, 0, j->count, priv, padded);
      finalize(&c, j, &priv, 1);
    }
    goto done;
  }

  /* per thread: a working histogram (whole jobs) and two partial ones (its first and last job, when shared) */
  priv = malloc((size_t)nt * 3 * padded * sizeof *priv);
  if (!priv) TB_FAIL(TB_ERR_NOMEM, "hist_build_level: out of host memory (%d x 3 x %zu bytes)", nt, padded * 8);
  for (int i = 0; i < n_jobs; i++)
    if (jobs[i].count == 0) direct_job(&c, &jobs[i]);
  int part_job[2 * LEVEL_MAX_THREADS];
  for (int x = 0; x < 2 * nt; x++) part_job[x] = -1;
  const size_t total = pre[n_jobs];
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const size_t lo = total * (size_t)t / (size_t)T, hi = total * (size_t)(t + 1) / (size_t)T;
    int64_t *work = priv + (size_t)t * 3 * padded;
    int i = 0;
    while (i < n_jobs && pre[i + 1] <= lo) i++;
    for (; i < n_jobs && pre[i] < hi; i++) {
      const tb_hist_job *j = &jobs[i];
      size_t s = (lo > pre[i] ? lo : pre[i]) - pre[i], e = (hi < pre[i + 1] ? hi : pre[i + 1]) - pre[i];
      if (e <= s) continue;
      if (s == 0 && e == j->count) {
        if (j->count <= direct_max) direct_job(&c, j);
        else {
          private_rows(&c, j, 0, e, work, padded);
          finalize(&c, j, &work, 1);
        }
      } else {
        int k = s > 0 ? 0 : 1;
        private_rows(&c, j, s, e, work + (size_t)(1 + k) * padded, padded);
        part_job[2 * t + k] = i;
      }
    }
#pragma omp barrier
#pragma omp for schedule(static)
    for (int x = 0; x < 2 * T; x++) {
      int job = part_job[x], first = job >= 0, n_src = 0;
      for (int y = 0; y < x && first; y++) first = part_job[y] != job;
      if (!first) continue;
      int64_t *src[2 * LEVEL_MAX_THREADS] = {0};
      for (int y = x; y < 2 * T; y++)
        if (part_job[y] == job) src[n_src++] = priv + (size_t)(y / 2) * 3 * padded + (size_t)(1 + y % 2) * padded;
      finalize(&c, &jobs[job], src, n_src);
    }
  }
done:
  free(priv);
  free(offp);
  free(pre);
  return rc;
}

/* Serial stable partition of one segment: row r's bin is col[r * stride]. */
static uint32_t partition_serial(const uint8_t *col, size_t stride, uint32_t *rows, size_t n, int bin,
                                 uint32_t *scratch) {
  size_t nl = 0, nr = 0;
  for (size_t i = 0; i < n; i++) {
    if (i + LEVEL_PREFETCH < n) __builtin_prefetch(col + (size_t)rows[i + LEVEL_PREFETCH] * stride);
    uint32_t r = rows[i];
    if ((int)col[(size_t)r * stride] <= bin) rows[nl++] = r;
    else scratch[nr++] = r;
  }
  memcpy(rows + nl, scratch, nr * sizeof *rows);
  return (uint32_t)nl;
}

/* Both layouts: segment s reads feature f's bin of row r at bins[f * col_stride + r * row_stride] (row-major:
 * (1, n_cols); column-major: (n_data_rows, 1)). */
static int partition_level(tb_backend *be, const uint8_t *bins, size_t col_stride, size_t stride, uint32_t *rows,
                           int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                           const int32_t *bin, uint32_t *scratch, uint32_t *n_left) {
  int rc = TB_OK, nt = tb_cpu_threads(be);
  size_t total = 0, *pre = NULL, *cnt = NULL;
  for (int s = 0; s < n_seg; s++) total += seg_count[s];
  if (nt > LEVEL_MAX_THREADS) nt = LEVEL_MAX_THREADS;
  if (nt <= 1 || total < LEVEL_PARTITION_PAR_MIN || omp_in_parallel()) {
    for (int s = 0; s < n_seg; s++)
      n_left[s] = partition_serial(bins + (size_t)feature[s] * col_stride, stride, rows + seg_begin[s], seg_count[s],
                                   bin[s], scratch + seg_begin[s]);
    return TB_OK;
  }
  pre = malloc(((size_t)n_seg + 1) * sizeof *pre);
  cnt = calloc((size_t)n_seg * (size_t)nt, sizeof *cnt); /* cnt[s * nt + t]: lefts of thread t's part of s */
  if (!pre || !cnt) TB_FAIL(TB_ERR_NOMEM, "partition_level: out of host memory (%d segments)", n_seg);
  pre[0] = 0;
  for (int s = 0; s < n_seg; s++) pre[s + 1] = pre[s] + seg_count[s];
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    const size_t lo = total * (size_t)t / (size_t)T, hi = total * (size_t)(t + 1) / (size_t)T;
    int s0 = 0;
    while (s0 < n_seg && pre[s0 + 1] <= lo) s0++;
    /* one pass over the bins: this thread's lefts of segment s forward from its part's start in scratch, its
     * rights backward from the part's end */
    for (int s = s0; s < n_seg && pre[s] < hi; s++) {
      const uint8_t *col = bins + (size_t)feature[s] * col_stride;
      const uint32_t *r = rows + seg_begin[s];
      uint32_t *out = scratch + seg_begin[s];
      const int bs = bin[s];
      size_t a = (lo > pre[s] ? lo : pre[s]) - pre[s], b = (hi < pre[s + 1] ? hi : pre[s + 1]) - pre[s];
      size_t lp = a, rp = b;
      for (size_t i = a; i < b; i++) {
        if (i + LEVEL_PREFETCH < b) __builtin_prefetch(col + (size_t)r[i + LEVEL_PREFETCH] * stride);
        uint32_t x = r[i];
        if ((int)col[(size_t)x * stride] <= bs) out[lp++] = x;
        else out[--rp] = x;
      }
      cnt[(size_t)s * (size_t)nt + (size_t)t] = lp - a;
    }
#pragma omp barrier
    /* rows are only read before the barrier: each thread now writes its lefts and (reversed back) rights to their
     * final places */
    for (int s = s0; s < n_seg && pre[s] < hi; s++) {
      uint32_t *dst = rows + seg_begin[s];
      const uint32_t *src = scratch + seg_begin[s];
      size_t a = (lo > pre[s] ? lo : pre[s]) - pre[s], b = (hi < pre[s + 1] ? hi : pre[s + 1]) - pre[s];
      if (b <= a) continue;
      size_t lpos = 0, total_left = 0, c = cnt[(size_t)s * (size_t)nt + (size_t)t];
      for (int q = 0; q < T; q++) {
        if (q < t) lpos += cnt[(size_t)s * (size_t)nt + (size_t)q];
        total_left += cnt[(size_t)s * (size_t)nt + (size_t)q];
      }
      size_t rpos = total_left + (a - lpos); /* rights before this part = rows before it - lefts before it */
      memcpy(dst + lpos, src + a, c * sizeof *dst);
      for (size_t k = 0; k < b - a - c; k++) dst[rpos + k] = src[b - 1 - k];
    }
  }
  for (int s = 0; s < n_seg; s++) {
    size_t nl = 0;
    for (int q = 0; q < nt; q++) nl += cnt[(size_t)s * (size_t)nt + (size_t)q];
    n_left[s] = (uint32_t)nl;
  }
done:
  free(cnt);
  free(pre);
  return rc;
}

int tb_cpu_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows, int n_seg,
                           const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                           const int32_t *bin, uint32_t *scratch, uint32_t *n_left) {
  (void)n_rows;
  return partition_level(be, bins, 1, (size_t)n_cols, rows, n_seg, seg_begin, seg_count, feature, bin, scratch,
                         n_left);
}

int tb_cpu_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm, uint32_t *rows,
                                size_t n_rows, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                                const int32_t *feature, const int32_t *bin, uint32_t *scratch, uint32_t *n_left) {
  (void)n_cols;
  (void)n_rows;
  return partition_level(be, bins_cm, n_data_rows, 1, rows, n_seg, seg_begin, seg_count, feature, bin, scratch,
                         n_left);
}
