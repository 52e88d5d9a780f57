/* quantile.c: feature quantisation for the tree learners. tb_quantile_cuts (host function: per-feature quantile
 * cut points), tb_fixed_scale (host function: the fixed-point scale of int64 statistics) and the CPU backend's
 * quantize op (raw float values -> local uint8 bins). Not here: histograms, splits, partition, prediction (tree.c,
 * tree_split.c). Tested by tests/test_ops_tree.c (cut properties, determinism, quantize vs a brute-force search).
 *
 * Cut rule for one feature, from its sorted non-NaN sampled values with D distinct finite-or-(-inf) values:
 *   D <= max_bins: one bin per distinct value, the upper edge of bin k being the next distinct value u_{k+1}, so
 *                  u_k < cut works for every value seen;
 *   D >  max_bins: edges at the sorted values of ranks k*m/max_bins (k = 1..max_bins-1, m values), skipping any that
 *                  is not above the previous edge or the minimum (so no bin is empty on the sample).
 * The last edge is always +INFINITY (+inf and NaN values land in the last bin); a constant or all-NaN feature gets
 * one bin. The sample is chosen by selection sampling (Knuth's Algorithm S) driven by the Philox stream of `seed`,
 * so the cuts depend only on (X, sample, seed, max_bins), never on the thread count. */
#include "cpu_impl.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tb_rng.h"

double tb_fixed_scale(double max_abs, size_t n) {
  const double cap = 1099511627776.0;          /* 2^40 */
  const double room = 4611686018427387904.0;   /* 2^62 */
  if (isnan(max_abs) || isinf(max_abs)) return 0.0; /* such values have no fixed-point form */
  if (max_abs < 0) max_abs = -max_abs;
  if (n == 0) n = 1;
  double denom = (double)n * max_abs;
  if (!(denom > 0.0)) return cap;
  double s = room / denom;
  return s < cap ? s : cap;
}

/* Order-preserving map of non-NaN floats to uint32 keys, and back. */
static inline uint32_t float_key(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
static inline float key_float(uint32_t k) {
  uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* Sorts n keys ascending: LSD radix sort, 4 passes of 8 bits (a pass is skipped when every key has the same byte);
 * tmp holds n keys. A few ms for 250k values, where qsort takes ~30. */
static void radix_sort(uint32_t *a, uint32_t *tmp, size_t n) {
  uint32_t *src = a, *dst = tmp;
  for (int shift = 0; shift < 32; shift += 8) {
    size_t cnt[256] = {0};
    for (size_t i = 0; i < n; i++) cnt[(src[i] >> shift) & 255u]++;
    if (n == 0 || cnt[(src[0] >> shift) & 255u] == n) continue;
    size_t pos = 0;
    for (int b = 0; b < 256; b++) {
      size_t c = cnt[b];
      cnt[b] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) dst[cnt[(src[i] >> shift) & 255u]++] = src[i];
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Cut points of one feature from its m sorted non-NaN values into out (at most max_bins); returns the count. */
static int cuts_from_sorted(const float *v, size_t m, int max_bins, float *out) {
  int n = 0;
  if (m > 0) {
    size_t distinct = 1;
    for (size_t i = 1; i < m && distinct <= (size_t)max_bins; i++) distinct += v[i] != v[i - 1];
    if (distinct <= (size_t)max_bins) {
      for (size_t i = 1; i < m; i++)
        if (v[i] != v[i - 1] && v[i] != INFINITY) out[n++] = v[i];
    } else {
      float last = v[0];
      for (int k = 1; k < max_bins; k++) {
        float c = v[(size_t)k * m / (size_t)max_bins];
        if (c > last && c != INFINITY) out[n++] = last = c;
      }
    }
  }
  out[n++] = INFINITY;
  return n;
}

int tb_quantile_cuts(const float *X, size_t n_rows, int n_cols, int max_bins, size_t sample, uint64_t seed,
                     float **cuts, uint32_t **cut_ptr) {
  int rc = TB_OK;
  size_t *pick = NULL;
  float *col_cuts = NULL;
  int *col_nb = NULL;
  float *out_cuts = NULL;
  uint32_t *out_ptr = NULL;
  if (!cuts || !cut_ptr) return tb_error_set(TB_ERR_INVALID, "quantile_cuts: NULL output pointer");
  *cuts = NULL;
  *cut_ptr = NULL;
  if (n_cols < 0) TB_FAIL(TB_ERR_INVALID, "quantile_cuts: negative n_cols %d", n_cols);
  if (max_bins < 2 || max_bins > TB_MAX_BINS)
    TB_FAIL(TB_ERR_INVALID, "quantile_cuts: max_bins %d is outside 2..%d", max_bins, TB_MAX_BINS);
  if (n_rows && n_cols && !X) TB_FAIL(TB_ERR_INVALID, "quantile_cuts: NULL X");

  /* rows used: all, or `sample` of them in increasing order (Algorithm S) */
  size_t m = n_rows;
  if (sample && sample < n_rows) {
    pick = malloc(sample * sizeof *pick);
    if (!pick) TB_FAIL(TB_ERR_NOMEM, "quantile_cuts: out of host memory (%zu sample rows)", sample);
    size_t chosen = 0;
    for (size_t i = 0; i < n_rows && chosen < sample; i++) {
      double u = tb_rng_uniform_double(seed, i);
      if ((double)(n_rows - i) * u < (double)(sample - chosen)) pick[chosen++] = i;
    }
    m = chosen; /* == sample: the last sample - chosen rows are always taken */
  }

  col_cuts = malloc((size_t)(n_cols ? n_cols : 1) * (size_t)max_bins * sizeof *col_cuts);
  col_nb = malloc((size_t)(n_cols ? n_cols : 1) * sizeof *col_nb);
  if (!col_cuts || !col_nb) TB_FAIL(TB_ERR_NOMEM, "quantile_cuts: out of host memory");
  int failed = 0;
#pragma omp parallel if (n_cols > 1 && m > 1000)
  {
    float *vals = malloc((m ? m : 1) * sizeof *vals);
    uint32_t *keys = malloc((m ? m : 1) * 2 * sizeof *keys);
    if (!vals || !keys) {
#pragma omp atomic write
      failed = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (int j = 0; j < n_cols; j++) {
      if (!vals || !keys) continue;
      size_t k = 0;
      for (size_t i = 0; i < m; i++) {
        float v = X[(pick ? pick[i] : i) * (size_t)n_cols + (size_t)j];
        if (!isnan(v)) keys[k++] = float_key(v);
      }
      radix_sort(keys, keys + m, k);
      for (size_t i = 0; i < k; i++) vals[i] = key_float(keys[i]);
      col_nb[j] = cuts_from_sorted(vals, k, max_bins, col_cuts + (size_t)j * (size_t)max_bins);
    }
    free(keys);
    free(vals);
  }
  if (failed) TB_FAIL(TB_ERR_NOMEM, "quantile_cuts: out of host memory (%zu values per feature)", m);

  out_ptr = malloc(((size_t)n_cols + 1) * sizeof *out_ptr);
  size_t total = 0;
  for (int j = 0; j < n_cols; j++) total += (size_t)col_nb[j];
  out_cuts = malloc((total ? total : 1) * sizeof *out_cuts);
  if (!out_ptr || !out_cuts) TB_FAIL(TB_ERR_NOMEM, "quantile_cuts: out of host memory");
  out_ptr[0] = 0;
  for (int j = 0; j < n_cols; j++) {
    memcpy(out_cuts + out_ptr[j], col_cuts + (size_t)j * (size_t)max_bins, (size_t)col_nb[j] * sizeof *out_cuts);
    out_ptr[j + 1] = out_ptr[j] + (uint32_t)col_nb[j];
  }
  *cuts = out_cuts;
  *cut_ptr = out_ptr;
  out_cuts = NULL;
  out_ptr = NULL;
done:
  free(out_cuts);
  free(out_ptr);
  free(col_nb);
  free(col_cuts);
  free(pick);
  return rc;
}

/* Local bin of v among the nb edges c (ascending, c[nb-1] = +inf): the first b with v < c[b]; NaN, +inf and anything
 * not below an edge fall in the last bin. */
static inline uint8_t bin_of(float v, const float *c, int nb) {
  /* branchless: base moves right while !(v < edge) (always for NaN); the answer is in [base, base + n] */
  const float *base = c;
  int n = nb - 1;
  if (n == 0) return 0;
  while (n > 1) {
    int half = n >> 1;
    base = v < base[half] ? base : base + half;
    n -= half;
  }
  return (uint8_t)((base - c) + !(v < *base));
}

int tb_cpu_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                    const uint32_t *cut_ptr, uint8_t *bins) {
  for (int j = 0; j < n_cols; j++) {
    uint32_t nb = cut_ptr[j + 1] - cut_ptr[j];
    if (cut_ptr[j + 1] < cut_ptr[j] || nb < 1 || nb > TB_MAX_BINS)
      return tb_error_set(TB_ERR_INVALID, "quantize: feature %d has %d bins (cut_ptr %u..%u; need 1..%d)", j,
                          (int)(cut_ptr[j + 1] - cut_ptr[j]), cut_ptr[j], cut_ptr[j + 1], TB_MAX_BINS);
  }
  long long n = (long long)n_rows;
#pragma omp parallel for if (n_rows * (size_t)n_cols >= 65536) num_threads(tb_cpu_threads(be)) schedule(static)
  for (long long i = 0; i < n; i++) {
    const float *x = X + (size_t)i * (size_t)n_cols;
    uint8_t *b = bins + (size_t)i * (size_t)n_cols;
    for (int j = 0; j < n_cols; j++) b[j] = bin_of(x[j], cuts + cut_ptr[j], (int)(cut_ptr[j + 1] - cut_ptr[j]));
  }
  return TB_OK;
}
