/* test_ops_tree.c: the tree ops through the public API on a CPU backend: tb_quantile_cuts, tb_fixed_scale,
 * tb_op_quantize, tb_op_hist_build, tb_op_hist_subtract, tb_op_split_find, tb_op_forest_predict,
 * tb_op_segment_add, and tb_op_partition_level on one segment where a stump needs it (its own cases are in
 * tests/test_ops_new.c).
 * Every result is compared with a plain brute-force reference written here (split gains in double from the
 * textbook formulas, independently of kernels/tb_split_gain.h): integer results (bins, histograms, partitions, chosen
 * splits, left sums) must match exactly, gains within 1e-9 relative to the node's scale (split_gradient_sparse also
 * scans with kernels/tb_split_gain.h itself and requires the same bits: the CPU's gradient scan is a rewrite of it).
 * Inputs are random from fixed seeds. On the CPU backend device pointers are host pointers, so buffers here are
 * malloc'ed.
 * Not here: CUDA parity (tests/test_cuda_parity.c) and speed (scripts/bench/). */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_split_gain.h"
#include "tb_backend.h"
#include "tb_rng.h"
#include "tb_test.h"

/* ---- helpers: random numbers, backend, data ------------------------------------------------------------------ */
static uint64_t tt_stream, tt_ctr;
static void tt_seed(uint64_t s) { tt_stream = s, tt_ctr = 0; }
static double tt_uniform(void) { return tb_rng_uniform_double(tt_stream, tt_ctr++); }
static uint64_t tt_below(uint64_t n) { return (uint64_t)(tt_uniform() * (double)n) % n; }
static double tt_normal(void) { return sqrt(-2.0 * log(1.0 - tt_uniform())) * cos(6.283185307179586 * tt_uniform()); }

static tb_backend *tt_open(void) {
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  return be;
}

/* The reference bin: the first b with v < c[b], else the last (NaN included). */
static uint8_t tt_ref_bin(float v, const float *c, int nb) {
  for (int b = 0; b < nb - 1; b++)
    if (v < c[b]) return (uint8_t)b;
  return (uint8_t)(nb - 1);
}

typedef struct {
  size_t n_rows;
  int n_cols, n_stats, total_bins;
  uint32_t *cut_ptr; /* (n_cols + 1) */
  uint8_t *bins;     /* (n_rows, n_cols) */
  int64_t *stats;    /* (n_rows, n_stats) */
  tb_split_params params;
} tt_data;

/* Random quantised data: feature 0 has 256 bins, the last feature 1 bin, the others 2..41; 30% of the values sit
 * in bin 0 so some bins are empty. Stats uniform in +-2^40. */
static void tt_data_make(tt_data *d, size_t n_rows, int n_cols, int n_stats, uint64_t seed) {
  tt_seed(seed);
  d->n_rows = n_rows, d->n_cols = n_cols, d->n_stats = n_stats;
  d->cut_ptr = malloc(((size_t)n_cols + 1) * sizeof *d->cut_ptr);
  d->cut_ptr[0] = 0;
  for (int j = 0; j < n_cols; j++)
    d->cut_ptr[j + 1] = d->cut_ptr[j] + (j == 0 ? 256 : j == n_cols - 1 ? 1 : 2 + (uint32_t)tt_below(40));
  d->total_bins = (int)d->cut_ptr[n_cols];
  d->bins = malloc(n_rows * (size_t)n_cols);
  d->stats = malloc(n_rows * (size_t)n_stats * sizeof *d->stats);
  for (size_t i = 0; i < n_rows; i++) {
    for (int j = 0; j < n_cols; j++)
      d->bins[i * (size_t)n_cols + (size_t)j] =
          tt_uniform() < 0.3 ? 0 : (uint8_t)tt_below(d->cut_ptr[j + 1] - d->cut_ptr[j]);
    for (int k = 0; k < n_stats; k++)
      d->stats[i * (size_t)n_stats + (size_t)k] = (int64_t)((tt_uniform() * 2 - 1) * 1099511627776.0);
  }
  memset(&d->params, 0, sizeof d->params);
}

/* Like tt_data_make, then stats for a criterion that depend on the bins of features 0 and 1 (so splits matter). */
static void tt_data_make_criterion(tt_data *d, size_t n_rows, int n_cols, int n_stats, tb_split_criterion c,
                                   uint64_t seed) {
  tt_data_make(d, n_rows, n_cols, n_stats, seed);
  tb_split_params *p = &d->params;
  p->criterion = c;
  p->scale = tb_fixed_scale(8.0, n_rows);
  p->scale_y = tb_fixed_scale(30.0, n_rows);
  p->scale_y2 = tb_fixed_scale(900.0, n_rows);
  if (c == TB_SPLIT_GRADIENT) p->lambda = 1.0, p->alpha = 0.1, p->gamma = 0.01;
  for (size_t i = 0; i < n_rows; i++) {
    const uint8_t *b = d->bins + i * (size_t)n_cols;
    double z = b[0] / 256.0 + 0.5 * b[1] / (double)(d->cut_ptr[2] - d->cut_ptr[1]) + 0.3 * tt_normal();
    double w = 0.5 + 1.5 * tt_uniform();
    int64_t *s = d->stats + i * (size_t)n_stats;
    memset(s, 0, (size_t)n_stats * sizeof *s);
    if (c == TB_SPLIT_GRADIENT) {
      s[0] = llround((z - 0.7) * p->scale);
      s[1] = llround((0.1 + 0.9 * tt_uniform()) * p->scale);
    } else if (c == TB_SPLIT_VARIANCE) {
      double y = fmin(fmax(3 * z + tt_normal(), -15), 15);
      s[0] = llround(w * p->scale), s[1] = llround(w * y * p->scale_y), s[2] = llround(w * y * y * p->scale_y2);
    } else {
      int cls = (int)floor(z * n_stats / 1.5);
      s[cls < 0 ? 0 : cls >= n_stats ? n_stats - 1 : cls] = llround(w * p->scale);
    }
  }
}

static void tt_data_free(tt_data *d) {
  free(d->cut_ptr);
  free(d->bins);
  free(d->stats);
}

/* A random subset of 0..n-1 (each row with probability frac), shuffled. */
static uint32_t *tt_random_rows(size_t n, double frac, size_t *n_sub) {
  uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (frac >= 1.0 || tt_uniform() < frac) rows[m++] = (uint32_t)i;
  for (size_t i = m; i > 1; i--) {
    size_t k = (size_t)tt_below(i);
    uint32_t t = rows[i - 1];
    rows[i - 1] = rows[k], rows[k] = t;
  }
  *n_sub = m;
  return rows;
}

static void tt_ref_hist(const tt_data *d, const uint32_t *rows, size_t n, int64_t *h) {
  memset(h, 0, (size_t)d->total_bins * (size_t)d->n_stats * sizeof *h);
  for (size_t i = 0; i < n; i++)
    for (int j = 0; j < d->n_cols; j++) {
      size_t bin = d->cut_ptr[j] + d->bins[(size_t)rows[i] * (size_t)d->n_cols + (size_t)j];
      for (int k = 0; k < d->n_stats; k++) h[bin * (size_t)d->n_stats + (size_t)k] +=
            d->stats[(size_t)rows[i] * (size_t)d->n_stats + (size_t)k];
    }
}

/* Sums of bins lo..hi of one node histogram. */
static void tt_sum_bins(const int64_t *h, int ns, uint32_t lo, uint32_t hi, int64_t *out) {
  memset(out, 0, (size_t)ns * sizeof *out);
  for (uint32_t b = lo; b <= hi; b++)
    for (int k = 0; k < ns; k++) out[k] += h[(size_t)b * (size_t)ns + (size_t)k];
}

/* The weight that min_child_weight is compared with, for a whole node (feature 0's bins). */
static double tt_node_weight(const tt_data *d, const int64_t *h) {
  int64_t t[8];
  tt_sum_bins(h, d->n_stats, 0, d->cut_ptr[1] - 1, t);
  if (d->params.criterion == TB_SPLIT_GRADIENT) return (double)t[1] / d->params.scale;
  if (d->params.criterion == TB_SPLIT_VARIANCE) return (double)t[0] / d->params.scale;
  double n = 0;
  for (int k = 0; k < d->n_stats; k++) n += (double)t[k] / d->params.scale;
  return n;
}

/* Textbook gain of parent P split into L and P - L, or NAN when a child is empty or below min_child_weight.
 * *mag receives the magnitude the tolerance is relative to. */
static double ref_imp(const double *c, int ns, double n, int entropy) {
  double s = entropy ? 0.0 : 1.0;
  for (int k = 0; k < ns; k++) {
    double q = c[k] / n;
    s -= entropy ? (q > 0 ? q * log(q) : 0.0) : q * q;
  }
  return s;
}

static double ref_gain(const tb_split_params *p, const int64_t *P, const int64_t *L, int ns, double *mag) {
  double sp = p->scale, cp[8], cl[8], cr[8], np = 0, nl = 0, nr = 0;
  for (int k = 0; k < ns; k++) {
    cp[k] = (double)P[k] / sp, cl[k] = (double)L[k] / sp, cr[k] = (double)(P[k] - L[k]) / sp;
    np += cp[k], nl += cl[k], nr += cr[k];
  }
  double mcw = p->min_child_weight;
  switch (p->criterion) {
  case TB_SPLIT_GRADIENT: {
    if (!(cl[1] > 0 && cr[1] > 0) || cl[1] < mcw || cr[1] < mcw) return NAN;
    double t[3], g[3] = {cl[0], cr[0], cp[0]}, h[3] = {cl[1], cr[1], cp[1]};
    for (int i = 0; i < 3; i++) {
      double st = copysign(fmax(fabs(g[i]) - p->alpha, 0.0), g[i]);
      t[i] = st * st / (h[i] + p->lambda);
    }
    *mag = t[0] + t[1] + t[2];
    return 0.5 * (t[0] + t[1] - t[2]) - p->gamma;
  }
  case TB_SPLIT_GINI:
  case TB_SPLIT_ENTROPY: {
    if (!(nl > 0 && nr > 0) || nl < mcw || nr < mcw) return NAN;
    int e = p->criterion == TB_SPLIT_ENTROPY;
    *mag = np;
    return np * ref_imp(cp, ns, np, e) - nl * ref_imp(cl, ns, nl, e) - nr * ref_imp(cr, ns, nr, e);
  }
  case TB_SPLIT_VARIANCE: {
    if (!(cl[0] > 0 && cr[0] > 0) || cl[0] < mcw || cr[0] < mcw) return NAN;
    double sse[3];
    const double n[3] = {cp[0], cl[0], cr[0]};
    const int64_t y[3] = {P[1], L[1], P[1] - L[1]}, y2[3] = {P[2], L[2], P[2] - L[2]};
    for (int i = 0; i < 3; i++) {
      double sy = (double)y[i] / p->scale_y;
      sse[i] = (double)y2[i] / p->scale_y2 - sy * sy / n[i];
    }
    *mag = (double)P[2] / p->scale_y2;
    return sse[0] - sse[1] - sse[2];
  }
  }
  return NAN;
}

/* Checks one node's split result against the enumeration of every allowed (feature, bin). */
static void tt_check_split(const tt_data *d, const tb_split_params *p, const int64_t *h, const uint8_t *mask,
                           const tb_split_result *got, const int64_t *got_left) {
  const int ns = d->n_stats;
  int64_t P[8], L[8];
  tt_sum_bins(h, ns, 0, d->cut_ptr[1] - 1, P);
  double best = p->min_gain, mag = 0, m;
  int bf = -1, bb = -1;
  for (int j = 0; j < d->n_cols; j++) {
    if (mask && !mask[j]) continue;
    for (uint32_t b = 0; b + 1 < d->cut_ptr[j + 1] - d->cut_ptr[j]; b++) {
      tt_sum_bins(h, ns, d->cut_ptr[j], d->cut_ptr[j] + b, L);
      double g = ref_gain(p, P, L, ns, &m);
      if (!isnan(g) && g > best) best = g, bf = j, bb = (int)b, mag = m;
    }
  }
  if (bf < 0) {
    CU_ASSERT(got->feature == -1 && got->bin == -1 && got->gain == 0.0);
    for (int k = 0; k < ns; k++) CU_ASSERT_EQUAL(got_left[k], 0);
    return;
  }
  CU_ASSERT_FATAL(got->feature >= 0 && got->feature < d->n_cols);
  CU_ASSERT(!mask || mask[got->feature]);
  tt_sum_bins(h, ns, d->cut_ptr[got->feature], d->cut_ptr[got->feature] + (uint32_t)got->bin, L);
  for (int k = 0; k < ns; k++) CU_ASSERT_EQUAL(got_left[k], L[k]);
  double tol = 1e-9 * (1.0 + fabs(mag)), g = ref_gain(p, P, L, ns, &m);
  CU_ASSERT(!isnan(g) && fabs(g - best) <= tol && fabs(got->gain - best) <= tol);
  if (got->feature != bf || got->bin != bb) /* only a near-tie within rounding may choose differently */
    printf("\nnear tie: got (%d, %d) gain %.17g, reference (%d, %d) gain %.17g", got->feature, got->bin, got->gain,
           bf, bb, best);
}

/* Hand-built forest on random data with NaNs: trees A (f0 then f2), B (a single leaf) and C (f1). Raw X (by
 * thresholds = the cuts) and bins must both give the expected sums, for leaf widths 1 and 2. */
static void test_forest_predict(void) {
  const size_t n = 500;
  tt_seed(61);
  float *X = malloc(n * 3 * sizeof *X), *cuts = NULL;
  uint32_t *ptr = NULL;
  for (size_t i = 0; i < n * 3; i++) X[i] = tt_uniform() < 0.05 ? NAN : (float)tt_normal();
  TB_CHECK_OK(tb_quantile_cuts(X, n, 3, 16, 0, 5, &cuts, &ptr));
  for (int j = 0; j < 3; j++) CU_ASSERT_FATAL(ptr[j + 1] - ptr[j] == 16);
  uint8_t *bins = malloc(n * 3);
  tb_backend *be = tt_open();
  TB_CHECK_OK(tb_op_quantize(be, n, 3, X, cuts, ptr, bins));
  const float t0 = cuts[ptr[0] + 7], t2 = cuts[ptr[2] + 3], t1 = cuts[ptr[1] + 10];
  const tb_tree_node nodes[9] = {
      {0, 7, t0, 1, 2, -1}, {-1, 0, 0, -1, -1, 0}, {2, 3, t2, 3, 4, -1}, {-1, 0, 0, -1, -1, 1},
      {-1, 0, 0, -1, -1, 2}, {-1, 0, 0, -1, -1, 3}, {1, 10, t1, 7, 8, -1}, {-1, 0, 0, -1, -1, 4},
      {-1, 0, 0, -1, -1, 5}};
  const int32_t roots[3] = {0, 5, 6};
  const float values[12] = {1.5f, -2.f, 0.25f, 4.f, -0.5f, 3.f, 7.f, -1.f, 0.125f, 2.f, -3.f, 5.f};
  const float scale = 0.3f;
  float *init = malloc(n * 2 * sizeof *init), *want = malloc(n * 2 * sizeof *want);
  float *raw = malloc(n * 2 * sizeof *raw), *viab = malloc(n * 2 * sizeof *viab);
  for (size_t i = 0; i < n * 2; i++) init[i] = (float)tt_normal();
  for (int width = 1; width <= 2; width++) {
    const int32_t out_col[2][3] = {{0, 1, 0}, {0, 0, 0}};
    tb_forest_view f = {3, nodes, roots, out_col[width - 1], values, width};
    for (size_t i = 0; i < n; i++) {
      const float *x = X + i * 3;
      int leaf[3] = {x[0] < t0 ? 0 : x[2] < t2 ? 1 : 2, 3, x[1] < t1 ? 4 : 5}; /* NaN fails "<": right */
      float *o = want + i * 2;
      o[0] = init[i * 2], o[1] = init[i * 2 + 1];
      for (int t = 0; t < 3; t++)
        for (int k = 0; k < width; k++) o[out_col[width - 1][t] + k] += scale * values[leaf[t] * width + k];
    }
    memcpy(raw, init, n * 2 * sizeof *raw);
    memcpy(viab, init, n * 2 * sizeof *viab);
    TB_CHECK_OK(tb_op_forest_predict(be, &f, n, 3, X, NULL, scale, 2, raw));
    TB_CHECK_OK(tb_op_forest_predict(be, &f, n, 3, NULL, bins, scale, 2, viab));
    CU_ASSERT(memcmp(raw, want, n * 2 * sizeof *raw) == 0);
    CU_ASSERT(memcmp(viab, want, n * 2 * sizeof *viab) == 0);
    f.out_col = out_col[0]; /* width 2 at column 1 of 2 outputs: outside */
    if (width == 2) CU_ASSERT_EQUAL(tb_op_forest_predict(be, &f, n, 3, X, NULL, scale, 2, raw), TB_ERR_INVALID);
  }
  tb_backend_free(be);
  free(init), free(want), free(raw), free(viab), free(bins), free(cuts), free(ptr), free(X);
}

/* End to end: feature 1 (50 grid values) separates the classes exactly at 0.3; cuts, quantize, hist, split_find
 * (gini and gradient) must find feature 1 at that boundary, the partition must be pure, and the stump predicts. */
static void test_stump_end_to_end(void) {
  const size_t n = 600;
  tt_seed(71);
  float *X = malloc(n * 4 * sizeof *X), *cuts = NULL, boundary = INFINITY;
  int32_t *label = malloc(n * sizeof *label);
  size_t n0 = 0;
  for (size_t i = 0; i < n; i++) {
    int k = (int)tt_below(50);
    X[i * 4] = (float)tt_normal(), X[i * 4 + 1] = (float)k / 50.0f, X[i * 4 + 2] = (float)tt_normal();
    X[i * 4 + 3] = 2.0f;
    label[i] = k >= 15;
    n0 += !label[i];
    if (label[i] && X[i * 4 + 1] < boundary) boundary = X[i * 4 + 1];
  }
  uint32_t *ptr = NULL, *rows = malloc(n * sizeof *rows), *scratch = malloc(n * sizeof *scratch);
  uint8_t *bins = malloc(n * 4);
  int64_t *stats = malloc(n * 2 * sizeof *stats), *hist = NULL;
  tb_backend *be = tt_open();
  TB_CHECK_OK(tb_quantile_cuts(X, n, 4, 64, 0, 1, &cuts, &ptr));
  TB_CHECK_OK(tb_op_quantize(be, n, 4, X, cuts, ptr, bins));
  hist = malloc(ptr[4] * 2 * sizeof *hist);
  for (size_t i = 0; i < n; i++) rows[i] = (uint32_t)i;
  const double s = 1 << 20;
  for (int crit = 0; crit < 2; crit++) {
    for (size_t i = 0; i < n; i++) {
      if (crit == 0) stats[2 * i] = !label[i] * (int64_t)s, stats[2 * i + 1] = label[i] * (int64_t)s;
      else stats[2 * i] = llround((0.5 - label[i]) * s), stats[2 * i + 1] = llround(0.25 * s);
    }
    tb_split_params p = {.criterion = crit == 0 ? TB_SPLIT_GINI : TB_SPLIT_GRADIENT, .scale = s, .lambda = 1.0};
    TB_CHECK_OK(tb_op_hist_build(be, 4, bins, ptr, (int)ptr[4], rows, n, stats, 2, hist));
    tb_split_result r;
    TB_CHECK_OK(tb_op_split_find(be, &p, 1, 4, ptr, (int)ptr[4], hist, 2, NULL, &r, NULL));
    CU_ASSERT_FATAL(r.feature == 1);
    CU_ASSERT(cuts[ptr[1] + (uint32_t)r.bin] == boundary);
    if (crit == 0) CU_ASSERT_DOUBLE_EQUAL(r.gain, n - ((double)n0 * n0 + (double)(n - n0) * (n - n0)) / n, 1e-9);
    uint32_t nl = 0, begin = 0, count = (uint32_t)n;
    TB_CHECK_OK(tb_op_partition_level(be, 4, bins, rows, n, 1, &begin, &count, &r.feature, &r.bin, scratch, &nl));
    CU_ASSERT_EQUAL(nl, n0);
    for (size_t i = 0; i < n; i++) CU_ASSERT_EQUAL(label[rows[i]], i >= nl);
    const tb_tree_node nodes[3] = {{1, r.bin, cuts[ptr[1] + (uint32_t)r.bin], 1, 2, -1}, {-1, 0, 0, -1, -1, 0},
                                   {-1, 0, 0, -1, -1, 1}};
    const int32_t root = 0, col = 0;
    const float values[2] = {0.f, 1.f};
    tb_forest_view f = {1, nodes, &root, &col, values, 1};
    float pred[2][600] = {{0}};
    TB_CHECK_OK(tb_op_forest_predict(be, &f, n, 4, X, NULL, 1.0f, 1, pred[0]));
    TB_CHECK_OK(tb_op_forest_predict(be, &f, n, 4, NULL, bins, 1.0f, 1, pred[1]));
    for (size_t i = 0; i < n; i++) CU_ASSERT(pred[0][i] == (float)label[i] && pred[1][i] == (float)label[i]);
    for (size_t i = 0; i < n; i++) rows[i] = (uint32_t)i;
  }
  tb_backend_free(be);
  free(X), free(label), free(cuts), free(ptr), free(rows), free(scratch), free(bins), free(stats), free(hist);
}

/* ---- tests ------------------------------------------------------------------------------------------------- */
static void test_fixed_scale(void) {
  CU_ASSERT_EQUAL(tb_fixed_scale(1.0, 1000), 1099511627776.0); /* capped at 2^40 */
  double s = tb_fixed_scale(1e6, 1000000000);
  CU_ASSERT_DOUBLE_EQUAL(s, 4611686018427387904.0 / 1e15, 1e-9);
  CU_ASSERT_EQUAL(tb_fixed_scale(-1e6, 1000000000), s);
  CU_ASSERT(1e15 * s <= 4611686018427387904.0); /* n * max_abs * scale fits 2^62 */
  CU_ASSERT_EQUAL(tb_fixed_scale(0.0, 10), 1099511627776.0);
  CU_ASSERT_EQUAL(tb_fixed_scale(INFINITY, 10), 0.0);
  CU_ASSERT_EQUAL(tb_fixed_scale(NAN, 10), 0.0);
}

/* Columns: 0 normal, 1 constant, 2 four values + NaN, 3 all NaN, 4 60% zeros else integers 0..99 (many repeated
 * quantile ranks), 5 {-inf, 1, +inf}. */
static float *quantile_data(size_t n) {
  float *X = malloc(n * 6 * sizeof *X);
  const float few[4] = {7.0f, -1.0f, 2.5f, 0.0f}, inf3[3] = {-INFINITY, 1.0f, INFINITY};
  for (size_t i = 0; i < n; i++) {
    float *x = X + i * 6;
    x[0] = (float)tt_normal();
    x[1] = 3.5f;
    x[2] = tt_uniform() < 0.1 ? NAN : few[tt_below(4)];
    x[3] = NAN;
    x[4] = tt_uniform() < 0.6 ? 0.0f : (float)tt_below(100);
    x[5] = inf3[tt_below(3)];
  }
  return X;
}

static void check_cut_shape(const float *cuts, const uint32_t *cut_ptr, int n_cols, int max_bins) {
  CU_ASSERT_EQUAL(cut_ptr[0], 0u);
  for (int j = 0; j < n_cols; j++) {
    int nb = (int)(cut_ptr[j + 1] - cut_ptr[j]);
    CU_ASSERT(nb >= 1 && nb <= max_bins);
    if (nb < 1) continue;
    const float *c = cuts + cut_ptr[j];
    CU_ASSERT(isinf(c[nb - 1]) && c[nb - 1] > 0);
    for (int b = 1; b < nb; b++) CU_ASSERT(c[b - 1] < c[b]);
  }
}

static void test_quantile_cuts(void) {
  const size_t n = 4000;
  const int max_bins = 32;
  tt_seed(11);
  float *X = quantile_data(n), *cuts = NULL, *cuts2 = NULL;
  uint32_t *ptr = NULL, *ptr2 = NULL;
  TB_CHECK_OK(tb_quantile_cuts(X, n, 6, max_bins, 0, 1, &cuts, &ptr));
  check_cut_shape(cuts, ptr, 6, max_bins);
  CU_ASSERT_EQUAL(ptr[1] - ptr[0], (uint32_t)max_bins); /* 4000 distinct values fill every bin */
  CU_ASSERT_EQUAL(ptr[2] - ptr[1], 1u);                 /* constant */
  CU_ASSERT_EQUAL(ptr[3] - ptr[2], 4u);                 /* one bin per distinct value, edges at the next one */
  CU_ASSERT(cuts[ptr[2]] == 0.0f && cuts[ptr[2] + 1] == 2.5f && cuts[ptr[2] + 2] == 7.0f);
  CU_ASSERT_EQUAL(ptr[4] - ptr[3], 1u); /* all NaN */
  CU_ASSERT(ptr[5] - ptr[4] >= 8 && ptr[5] - ptr[4] <= (uint32_t)max_bins);
  CU_ASSERT(cuts[ptr[4]] > 0.0f); /* no cut at the minimum: bin 0 is never empty */
  CU_ASSERT_EQUAL(ptr[6] - ptr[5], 2u); /* -inf | 1 and +inf */
  CU_ASSERT(cuts[ptr[5]] == 1.0f);
  /* quantiles: each bin of the continuous column holds about n / max_bins rows */
  size_t count[32] = {0};
  for (size_t i = 0; i < n; i++) count[tt_ref_bin(X[i * 6], cuts, 32)]++;
  for (int b = 0; b < max_bins; b++) CU_ASSERT(count[b] >= n / max_bins / 2 && count[b] <= 3 * n / max_bins / 2);
  /* deterministic, also with one thread and with a sample */
  int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  TB_CHECK_OK(tb_quantile_cuts(X, n, 6, max_bins, 0, 1, &cuts2, &ptr2));
  omp_set_num_threads(saved);
  CU_ASSERT(memcmp(ptr, ptr2, 7 * sizeof *ptr) == 0 && memcmp(cuts, cuts2, ptr[6] * sizeof *cuts) == 0);
  free(cuts);
  free(ptr);
  free(cuts2);
  free(ptr2);
  TB_CHECK_OK(tb_quantile_cuts(X, n, 6, max_bins, 500, 99, &cuts, &ptr));
  TB_CHECK_OK(tb_quantile_cuts(X, n, 6, max_bins, 500, 99, &cuts2, &ptr2));
  check_cut_shape(cuts, ptr, 6, max_bins);
  CU_ASSERT(memcmp(ptr, ptr2, 7 * sizeof *ptr) == 0 && memcmp(cuts, cuts2, ptr[6] * sizeof *cuts) == 0);
  CU_ASSERT_EQUAL(ptr[3] - ptr[2], 4u);
  free(cuts);
  free(ptr);
  free(cuts2);
  free(ptr2);
  /* bad input */
  CU_ASSERT_EQUAL(tb_quantile_cuts(X, n, 6, 1, 0, 1, &cuts, &ptr), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_quantile_cuts(X, n, 6, 257, 0, 1, &cuts, &ptr), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_quantile_cuts(NULL, n, 6, 16, 0, 1, &cuts, &ptr), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_quantile_cuts(X, n, 6, 16, 0, 1, NULL, &ptr), TB_ERR_INVALID);
  free(X);
}

static void test_quantize(void) {
  const size_t n = 3000;
  tt_seed(12);
  float *X = quantile_data(n), *cuts = NULL;
  uint32_t *ptr = NULL;
  TB_CHECK_OK(tb_quantile_cuts(X, n / 2, 6, 16, 0, 3, &cuts, &ptr)); /* unseen rows in the second half */
  for (int j = 0; j < 6; j++) X[j] = cuts[ptr[j]];                   /* values exactly on an edge */
  X[6] = NAN;
  tb_backend *be = tt_open();
  uint8_t *bins = malloc(n * 6);
  memset(bins, 0xAB, n * 6);
  TB_CHECK_OK(tb_op_quantize(be, n, 6, X, cuts, ptr, bins));
  size_t bad = 0;
  for (size_t i = 0; i < n * 6; i++) {
    int j = (int)(i % 6);
    uint8_t want = tt_ref_bin(X[i], cuts + ptr[j], (int)(ptr[j + 1] - ptr[j]));
    if (bins[i] != want && bad++ < 5) printf("\nquantize row %zu col %d: %d != %d", i / 6, j, bins[i], want);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(bins[0], 1); /* v == cuts[0] is not < cuts[0] */
  CU_ASSERT_EQUAL(bins[6], ptr[1] - ptr[0] - 1);
  free(bins);
  tb_backend_free(be);
  free(cuts);
  free(ptr);
  free(X);
}

static void hist_case(int n_stats) {
  tt_data d;
  tt_data_make(&d, 20000, 9, n_stats, 21 + (uint64_t)n_stats);
  tb_backend *be = tt_open();
  size_t n_sub = 0;
  uint32_t *rows = tt_random_rows(d.n_rows, 0.6, &n_sub);
  size_t len = (size_t)d.total_bins * (size_t)n_stats;
  int64_t *want = calloc(len, sizeof *want), *first = malloc(len * sizeof *first);
  tt_ref_hist(&d, rows, n_sub, want);
  int64_t *hist = malloc(len * sizeof *hist);
  for (int threads = 1; threads <= 2; threads++) {
    tb_backend_set_threads(be, threads);
    for (int run = 0; run < 16; run++) {
      memset(hist, 0x5A, len * sizeof *hist);
      TB_CHECK_OK(tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows, n_sub, d.stats, n_stats,
                                   hist));
      if (threads == 1 && run == 0) {
        memcpy(first, hist, len * sizeof *hist);
        size_t bad = 0;
        for (size_t e = 0; e < len; e++)
          if (hist[e] != want[e] && bad++ < 5) printf("\nhist[%zu] %lld != %lld", e, (long long)hist[e],
                                                      (long long)want[e]);
        CU_ASSERT_EQUAL(bad, 0);
      }
      CU_ASSERT(memcmp(hist, first, len * sizeof *hist) == 0);
    }
  }
  /* no rows: all zero */
  memset(hist, 0x5A, len * sizeof *hist);
  TB_CHECK_OK(tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows, 0, d.stats, n_stats, hist));
  size_t nz = 0;
  for (size_t e = 0; e < len; e++) nz += hist[e] != 0;
  CU_ASSERT_EQUAL(nz, 0);
  free(hist);
  free(rows);
  free(want);
  free(first);
  tt_data_free(&d);
  tb_backend_free(be);
}

static void test_hist_build_2(void) { hist_case(2); }
static void test_hist_build_5(void) { hist_case(5); }

static void test_hist_subtract(void) {
  tt_data d;
  tt_data_make(&d, 12000, 6, 2, 31);
  tb_backend *be = tt_open();
  size_t n = d.n_rows, n_left = 0;
  uint32_t *rows = tt_random_rows(n, 1.0, &n), *scratch = malloc(n * sizeof *scratch);
  size_t len = (size_t)d.total_bins * 2;
  int64_t *parent = malloc(3 * len * sizeof *parent), *left = parent + len, *right = parent + 2 * len;
  int64_t *sib = malloc(len * sizeof *sib);
  TB_CHECK_OK(tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows, n, d.stats, 2, parent));
  uint32_t begin = 0, count = (uint32_t)n, nl = 0;
  const int32_t feat = 2, bin = 1;
  TB_CHECK_OK(tb_op_partition_level(be, d.n_cols, d.bins, rows, n, 1, &begin, &count, &feat, &bin, scratch, &nl));
  n_left = nl;
  CU_ASSERT(n_left > 0 && n_left < n);
  TB_CHECK_OK(tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows, n_left, d.stats, 2, left));
  TB_CHECK_OK(
      tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows + n_left, n - n_left, d.stats, 2, right));
  memset(sib, 0x33, len * sizeof *sib);
  TB_CHECK_OK(tb_op_hist_subtract(be, len, parent, left, sib));
  CU_ASSERT(memcmp(sib, right, len * sizeof *sib) == 0);
  free(sib);
  free(parent);
  free(scratch);
  free(rows);
  tt_data_free(&d);
  tb_backend_free(be);
}

/* split_find on 4 node histograms of random data vs the brute force, for one criterion. */
static void split_case(tb_split_criterion crit) {
  const int n_stats = crit == TB_SPLIT_GRADIENT ? 2 : crit == TB_SPLIT_VARIANCE ? 3 : crit == TB_SPLIT_GINI ? 3 : 4;
  tt_data d;
  tt_data_make_criterion(&d, 6000, 7, n_stats, crit, 41 + (uint64_t)crit);
  tb_backend *be = tt_open();
  const int n_nodes = 5;
  size_t len = (size_t)d.total_bins * (size_t)n_stats;
  int64_t *hist = malloc((size_t)n_nodes * len * sizeof *hist);
  for (int node = 0; node < n_nodes; node++) {
    size_t n_sub = 0;
    uint32_t *rows = tt_random_rows(d.n_rows, 0.15 + 0.2 * node, &n_sub);
    TB_CHECK_OK(tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows, n_sub, d.stats, n_stats,
                                 hist + (size_t)node * len));
    free(rows);
  }
  uint8_t *mask = malloc((size_t)n_nodes * (size_t)d.n_cols);
  for (int i = 0; i < n_nodes * d.n_cols; i++) mask[i] = tt_uniform() < 0.7;
  for (int j = 0; j < d.n_cols; j++) mask[3 * d.n_cols + j] = 0; /* node 3: nothing allowed */
  tb_split_params p = d.params;
  for (int variant = 0; variant < 3; variant++) {
    const uint8_t *m = variant == 1 ? mask : NULL;
    p.min_child_weight = variant == 2 ? tt_node_weight(&d, hist + 2 * len) * 0.3 : 0.0; /* binding on node 2 */
    tb_split_result out[5];
    int64_t left[5 * 4];
    memset(out, 0x77, sizeof out);
    TB_CHECK_OK(tb_op_split_find(be, &p, n_nodes, d.n_cols, d.cut_ptr, d.total_bins, hist, n_stats, m, out, left));
    for (int node = 0; node < n_nodes; node++)
      tt_check_split(&d, &p, hist + (size_t)node * len, m ? m + node * d.n_cols : NULL, &out[node],
                     left + node * n_stats);
    if (variant == 1) CU_ASSERT_EQUAL(out[3].feature, -1);
    if (variant != 1) CU_ASSERT(out[2].feature >= 0);
  }
  /* min_child_weight above half the node: no split anywhere */
  p.min_child_weight = tt_node_weight(&d, hist + 4 * len) * 0.51;
  tb_split_result one;
  int64_t left1[4] = {9, 9, 9, 9};
  TB_CHECK_OK(tb_op_split_find(be, &p, 1, d.n_cols, d.cut_ptr, d.total_bins, hist + 4 * len, n_stats, NULL, &one,
                               left1));
  CU_ASSERT(one.feature == -1 && one.bin == -1 && one.gain == 0.0);
  for (int k = 0; k < n_stats; k++) CU_ASSERT_EQUAL(left1[k], 0);
  free(mask);
  free(hist);
  tt_data_free(&d);
  tb_backend_free(be);
}

/* The gradient scan of the CPU (tree_split.c: scan_gradient, which skips empty bins and computes the parent's score
 * once) must equal, bit for bit, the plain sequential scan with tb_split_gain over every (feature, bin) under a strict
 * ">" from min_gain, on sparse nodes (12 to 400 rows over up to 256 bins: most bins empty, often the first ones),
 * with and without min_child_weight, lambda, alpha and gamma. */
static void test_split_gradient_sparse(void) {
  tt_data d;
  tt_data_make_criterion(&d, 6000, 7, 2, TB_SPLIT_GRADIENT, 97);
  tb_backend *be = tt_open();
  const size_t len = (size_t)d.total_bins * 2;
  int64_t *h = malloc(len * sizeof *h);
  const double fracs[] = {0.002, 0.01, 0.067};
  for (int c = 0; c < 6; c++) {
    size_t n_sub = 0;
    uint32_t *rows = tt_random_rows(d.n_rows, fracs[c % 3], &n_sub);
    TB_CHECK_OK(tb_op_hist_build(be, d.n_cols, d.bins, d.cut_ptr, d.total_bins, rows, n_sub, d.stats, 2, h));
    tb_split_params p = d.params;
    if (c >= 3) p.lambda = 0.5, p.alpha = 0.01, p.gamma = 1e-3, p.min_child_weight = 0.02 * tt_node_weight(&d, h);
    int64_t P[2] = {0, 0}, L[2], R[2];
    for (uint32_t b = 0; b < d.cut_ptr[1]; b++) P[0] += h[2 * b], P[1] += h[2 * b + 1];
    tb_split_result want = {-1, -1, p.min_gain}, got;
    for (int j = 0; j < d.n_cols; j++) {
      L[0] = L[1] = 0;
      for (uint32_t b = 0; b + 1 < d.cut_ptr[j + 1] - d.cut_ptr[j]; b++) {
        L[0] += h[2 * (d.cut_ptr[j] + b)], L[1] += h[2 * (d.cut_ptr[j] + b) + 1];
        R[0] = P[0] - L[0], R[1] = P[1] - L[1];
        double g = tb_split_gain(&p, P, L, R, 2);
        if (g > want.gain) want = (tb_split_result){j, (int32_t)b, g};
      }
    }
    if (want.feature < 0) want.gain = 0.0;
    int64_t left[2];
    TB_CHECK_OK(tb_op_split_find(be, &p, 1, d.n_cols, d.cut_ptr, d.total_bins, h, 2, NULL, &got, left));
    CU_ASSERT(got.feature == want.feature && got.bin == want.bin && memcmp(&got.gain, &want.gain, 8) == 0);
    tt_check_split(&d, &p, h, NULL, &got, left);
    free(rows);
  }
  free(h);
  tt_data_free(&d);
  tb_backend_free(be);
}

static void test_split_gradient(void) { split_case(TB_SPLIT_GRADIENT); }
static void test_split_gini(void) { split_case(TB_SPLIT_GINI); }
static void test_split_entropy(void) { split_case(TB_SPLIT_ENTROPY); }
static void test_split_variance(void) { split_case(TB_SPLIT_VARIANCE); }

/* Hand-built ties: features 1 and 2 are identical and perfect, with an empty bin after the boundary. */
static void test_split_ties(void) {
  tb_backend *be = tt_open();
  const uint32_t cut_ptr[4] = {0, 4, 8, 12};
  int64_t h[12][2] = {{5, 5}, {5, 5}, {0, 0}, {0, 0},      /* feature 0: no information */
                      {10, 0}, {0, 0}, {0, 10}, {0, 0},    /* feature 1: bins 0 and 1 separate equally */
                      {10, 0}, {0, 0}, {0, 10}, {0, 0}};   /* feature 2: a copy */
  for (int i = 0; i < 12; i++) h[i][0] *= 1 << 20, h[i][1] *= 1 << 20;
  tb_split_params p = {.criterion = TB_SPLIT_GINI, .scale = 1 << 20};
  tb_split_result r;
  int64_t left[2];
  TB_CHECK_OK(tb_op_split_find(be, &p, 1, 3, cut_ptr, 12, &h[0][0], 2, NULL, &r, left));
  CU_ASSERT(r.feature == 1 && r.bin == 0);
  CU_ASSERT_DOUBLE_EQUAL(r.gain, 10.0, 1e-12); /* 20 * 0.5 - 0 - 0 */
  CU_ASSERT(left[0] == 10 << 20 && left[1] == 0);
  const uint8_t mask[3] = {1, 0, 1};
  TB_CHECK_OK(tb_op_split_find(be, &p, 1, 3, cut_ptr, 12, &h[0][0], 2, mask, &r, NULL));
  CU_ASSERT(r.feature == 2 && r.bin == 0);
  p.criterion = TB_SPLIT_ENTROPY;
  TB_CHECK_OK(tb_op_split_find(be, &p, 1, 3, cut_ptr, 12, &h[0][0], 2, NULL, &r, NULL));
  CU_ASSERT(r.feature == 1 && r.bin == 0);
  CU_ASSERT_DOUBLE_EQUAL(r.gain, 20.0 * log(2.0), 1e-12);
  /* gradient: (g, h) with g = +-1 per row, perfectly separated on feature 1 */
  for (int b = 0; b < 12; b++) h[b][1] = h[b][0] + h[b][1], h[b][0] = h[b][0] - (h[b][1] - h[b][0]);
  p = (tb_split_params){.criterion = TB_SPLIT_GRADIENT, .scale = 1 << 20, .lambda = 1.0};
  TB_CHECK_OK(tb_op_split_find(be, &p, 1, 3, cut_ptr, 12, &h[0][0], 2, NULL, &r, left));
  CU_ASSERT(r.feature == 1 && r.bin == 0);
  CU_ASSERT_DOUBLE_EQUAL(r.gain, 0.5 * (100.0 / 11 + 100.0 / 11 - 0.0), 1e-12);
  tb_backend_free(be);
}




/* tb_op_segment_add: n listed rows (distinct, random) cut into n_seg segments given in shuffled order; out
 * (n_all, 3) random, column 2 updated. Reference: one double add per listed row, rounded to float (the exact
 * float sum), and every other element untouched: compared bit for bit. */
static void segment_case(size_t n_all, size_t n, int n_seg, int threads) {
  tb_backend *be = tt_open();
  tb_backend_set_threads(be, threads);
  const int n_out = 3, col = 2;
  uint32_t *perm = malloc(n_all * sizeof *perm), *begin = malloc((size_t)n_seg * sizeof *begin);
  uint32_t *count = malloc((size_t)n_seg * sizeof *count), *cut = malloc(((size_t)n_seg + 1) * sizeof *cut);
  float *vals = malloc((size_t)n_seg * sizeof *vals), *out = malloc(n_all * n_out * sizeof *out);
  float *ref = malloc(n_all * n_out * sizeof *ref);
  tt_seed(77 + n);
  for (size_t i = 0; i < n_all; i++) perm[i] = (uint32_t)i;
  for (size_t i = n_all - 1; i > 0; i--) {
    size_t j = tt_below(i + 1);
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  /* segment boundaries: sorted random cuts (empty segments allowed), then the segments' order shuffled */
  cut[0] = 0;
  cut[n_seg] = (uint32_t)n;
  for (int k = 1; k < n_seg; k++) cut[k] = (uint32_t)tt_below(n + 1);
  for (int k = 1; k < n_seg; k++)
    for (int q = k; q > 1 && cut[q - 1] > cut[q]; q--) {
      uint32_t t = cut[q];
      cut[q] = cut[q - 1];
      cut[q - 1] = t;
    }
  int *order = malloc((size_t)n_seg * sizeof *order);
  for (int k = 0; k < n_seg; k++) order[k] = k;
  for (int k = n_seg - 1; k > 0; k--) {
    int j = (int)tt_below((uint64_t)k + 1), t = order[k];
    order[k] = order[j];
    order[j] = t;
  }
  for (int k = 0; k < n_seg; k++) {
    begin[k] = cut[order[k]];
    count[k] = cut[order[k] + 1] - cut[order[k]];
    vals[k] = (float)tt_normal();
  }
  for (size_t i = 0; i < n_all * n_out; i++) out[i] = ref[i] = (float)(10.0 * tt_normal());
  for (int k = 0; k < n_seg; k++)
    for (uint32_t i = begin[k]; i < begin[k] + count[k]; i++) {
      size_t e = (size_t)perm[i] * n_out + col;
      ref[e] = (float)((double)ref[e] + (double)vals[k]);
    }
  TB_CHECK_OK(tb_op_segment_add(be, n_seg, begin, count, vals, perm, n, n_out, col, out));
  size_t bad = 0;
  for (size_t i = 0; i < n_all * n_out; i++) bad += memcmp(&out[i], &ref[i], sizeof(float)) != 0;
  CU_ASSERT_EQUAL(bad, 0);
  free(order);
  free(perm);
  free(begin);
  free(count);
  free(cut);
  free(vals);
  free(out);
  free(ref);
  tb_backend_free(be);
}

static void test_segment_add(void) {
  segment_case(3000, 1000, 9, 1);
  segment_case(3000, 1000, 9, 2);
  segment_case(60000, 50000, 64, 1);
  segment_case(60000, 50000, 64, 2);
  segment_case(50, 50, 1, 2);
}

static void test_bad_input(void) {
  tb_backend *be = tt_open();
  const uint32_t cut_ptr[2] = {0, 4};
  int64_t hist[4 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  tb_split_params p = {.criterion = TB_SPLIT_GRADIENT, .scale = 1.0};
  tb_split_result r;
  CU_ASSERT_EQUAL(tb_op_split_find(be, &p, 1, 1, cut_ptr, 4, hist, 3, NULL, &r, NULL), TB_ERR_INVALID);
  p.criterion = TB_SPLIT_VARIANCE;
  CU_ASSERT_EQUAL(tb_op_split_find(be, &p, 1, 1, cut_ptr, 4, hist, 2, NULL, &r, NULL), TB_ERR_INVALID);
  p.scale = 0.0;
  CU_ASSERT_EQUAL(tb_op_split_find(be, &p, 1, 1, cut_ptr, 4, hist, 3, NULL, &r, NULL), TB_ERR_INVALID);
  p = (tb_split_params){.criterion = TB_SPLIT_GINI, .scale = 1.0};
  const uint32_t bad_ptr[2] = {0, 5};
  CU_ASSERT_EQUAL(tb_op_split_find(be, &p, 1, 1, bad_ptr, 4, hist, 3, NULL, &r, NULL), TB_ERR_INVALID);
  p.criterion = (tb_split_criterion)9;
  CU_ASSERT_EQUAL(tb_op_split_find(be, &p, 1, 1, cut_ptr, 4, hist, 3, NULL, &r, NULL), TB_ERR_INVALID);
  uint8_t bins[4] = {0, 1, 2, 3};
  uint32_t rows[4] = {0, 1, 2, 3};
  int64_t stats[4] = {1, 1, 1, 1};
  CU_ASSERT_EQUAL(tb_op_hist_build(be, 1, bins, cut_ptr, 4, rows, 4, stats, 0, hist), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_hist_build(be, 1, bins, cut_ptr, 4, rows, 4, stats, TB_MAX_STATS + 1, hist), TB_ERR_INVALID);
  const float cuts[4] = {0.f, 1.f, 2.f, INFINITY};
  const uint32_t zero_ptr[2] = {0, 0};
  float x[4] = {0.5f, 1.5f, 2.5f, -1.f};
  CU_ASSERT_EQUAL(tb_op_quantize(be, 4, 1, x, cuts, zero_ptr, bins), TB_ERR_INVALID);
  /* segment_add: overlapping segments, a segment past the listed rows, a column outside the outputs, NULL arrays;
   * out must stay untouched */
  float m[8] = {1, 2, 3, 4, 5, 6, 7, 8}, v[2] = {0.5f, -0.5f};
  uint32_t sb[2] = {0, 1}, sc[2] = {2, 2};
  CU_ASSERT_EQUAL(tb_op_segment_add(be, 2, sb, sc, v, rows, 4, 2, 0, m), TB_ERR_INVALID);
  sb[1] = 3;
  CU_ASSERT_EQUAL(tb_op_segment_add(be, 2, sb, sc, v, rows, 4, 2, 0, m), TB_ERR_INVALID);
  sb[1] = 2;
  CU_ASSERT_EQUAL(tb_op_segment_add(be, 2, sb, sc, v, rows, 4, 2, 2, m), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_segment_add(be, 2, sb, sc, NULL, rows, 4, 2, 0, m), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_segment_add(be, 2, sb, sc, v, NULL, 4, 2, 0, m), TB_ERR_INVALID);
  for (int i = 0; i < 8; i++) CU_ASSERT_EQUAL(m[i], (float)(i + 1));
  TB_CHECK_OK(tb_op_segment_add(be, 2, sb, sc, v, rows, 4, 2, 1, m)); /* the good call: rows 0,1 +0.5; 2,3 -0.5 */
  CU_ASSERT(m[1] == 2.5f && m[3] == 4.5f && m[5] == 5.5f && m[7] == 7.5f && m[0] == 1.0f && m[6] == 7.0f);
  tb_backend_free(be);
}

static const tb_test_case cases[] = {{"fixed_scale", test_fixed_scale},
                                     {"quantile_cuts", test_quantile_cuts},
                                     {"quantize", test_quantize},
                                     {"hist_build_2_stats", test_hist_build_2},
                                     {"hist_build_5_stats", test_hist_build_5},
                                     {"hist_subtract", test_hist_subtract},
                                     {"split_gradient", test_split_gradient},
                                     {"split_gradient_sparse", test_split_gradient_sparse},
                                     {"split_gini", test_split_gini},
                                     {"split_entropy", test_split_entropy},
                                     {"split_variance", test_split_variance},
                                     {"split_ties", test_split_ties},
                                     {"forest_predict", test_forest_predict},
                                     {"segment_add", test_segment_add},
                                     {"stump_end_to_end", test_stump_end_to_end},
                                     {"bad_input", test_bad_input},
                                     {NULL, NULL}};
TB_TEST_MAIN("ops_tree", cases)
