/* gen.c: seeded synthetic tabular datasets, gen:classification (scikit-learn's make_classification) and
 * gen:friedman1 (Friedman 1991 / scikit-learn's make_friedman1). The image generators are in gen_images.c.
 * Not a loader of files and not a dispatcher (tb_data_load in data.c calls these).
 *
 * Randomness: GSL's MT19937 seeded with seed + 1 (the key `seed` is in 0..2^32-2, so every seed gives a distinct
 * MT19937 state; GSL maps a zero seed to its default, hence the + 1). Draws are sequential and single-threaded, so
 * the same SPEC gives bit-identical data on every run and machine.
 *
 * gen:classification?n=&d=&informative=&redundant=&classes=&clusters=&class_sep=&flip=&seed=
 *   defaults 1000, 20, 2, 2, 2, 2, 1.0, 0.01, 0. Columns 0..informative-1 are informative: cluster k (of
 *   classes*clusters, class k % classes) sits on a distinct random vertex of the hypercube [-class_sep, class_sep]^inf
 *   and its points are z A_k + centroid_k, z ~ N(0, I), A_k uniform in [-1, 1] (a random covariance per cluster).
 *   The next `redundant` columns are x_inf B with B uniform in [-1, 1] (computed from the stored float informative
 *   values, so they are exact linear combinations up to float rounding), the rest are N(0, 1) noise. Class sizes
 *   differ by at most one (clusters within a class likewise); rows are shuffled; then each label is replaced with
 *   probability `flip` by a uniformly random class (which may be the same one, as in scikit-learn). Unlike
 *   scikit-learn the columns are not permuted (no shift/scale either). Feature names stay NULL (f0, f1, ...).
 * gen:friedman1?n=&d=&noise=&seed=   defaults 1000, 10, 0, 0; x ~ U[0,1]^d (d >= 5),
 *   y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise N(0,1), computed in double from the stored floats.
 * n * d is limited to 10^8 values. Tested by tests/test_data_gen.c.
 */
#include "data_impl.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MAX_VALUES 100000000L   /* n * d guard (400 MB of float32) */
#define GEN_MAX_CLUSTER_PARAMS 10000000L /* classes * clusters * informative^2 (the A_k matrices) */

/* Reads `seed` and returns a MT19937 generator seeded with seed + 1. */
int tb_gen_rng(tb_spec *spec, gsl_rng **out) {
  long seed = 0;
  *out = NULL;
  int rc = tb_spec_get_long(spec, "seed", 0, TB_GEN_SEED_MAX, &seed);
  if (rc < 0) return rc;
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", spec->kind);
  gsl_rng_set(r, (unsigned long)seed + 1ul);
  *out = r;
  return TB_OK;
}

/* The dataset name: the SPEC rebuilt from its parts ("gen:friedman1?n=100&seed=3"). */
static void gen_name(const tb_spec *spec, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "%s", spec->kind);
  for (int i = 0; i < spec->n_keys && len < size; i++)
    len += (size_t)snprintf(buf + len, size - len, "%c%s=%s", i ? '&' : '?', spec->keys[i], spec->vals[i]);
}

/* Picks k distinct random vertices of the hypercube {0,1}^inf; vertex c's bit b is bits[c * inf + b]. The first
 * min(inf, 62) bits form an integer code that must be distinct; further bits (inf > 62) are free coin flips. */
static int pick_vertices(gsl_rng *r, long k, long inf, unsigned char *bits) {
  int nb = inf < 62 ? (int)inf : 62;
  uint64_t *code = malloc((size_t)k * sizeof *code);
  if (!code) return tb_error_set(TB_ERR_NOMEM, "gen:classification: out of host memory");
  if (nb <= 16) { /* partial Fisher-Yates over all 2^nb codes: an ordered random sample without replacement */
    uint32_t m = 1u << nb;
    uint32_t *all = malloc((size_t)m * sizeof *all);
    if (!all) {
      free(code);
      return tb_error_set(TB_ERR_NOMEM, "gen:classification: out of host memory");
    }
    for (uint32_t i = 0; i < m; i++) all[i] = i;
    for (long i = 0; i < k; i++) {
      uint32_t j = (uint32_t)i + (uint32_t)gsl_rng_uniform_int(r, m - (unsigned long)i);
      uint32_t t = all[i];
      all[i] = all[j];
      all[j] = t;
      code[i] = all[i];
    }
    free(all);
  } else { /* 2^nb >= 131072 codes for at most 10^4 clusters: redraw the rare duplicates */
    uint64_t mask = (1ull << nb) - 1;
    for (long i = 0; i < k; i++) {
      int dup;
      do {
        code[i] = (((uint64_t)gsl_rng_get(r) << 32) | (uint64_t)gsl_rng_get(r)) & mask;
        dup = 0;
        for (long j = 0; j < i && !dup; j++) dup = code[j] == code[i];
      } while (dup);
    }
  }
  for (long c = 0; c < k; c++)
    for (long b = 0; b < inf; b++)
      bits[c * inf + b] = b < nb ? (unsigned char)((code[c] >> b) & 1u) : (unsigned char)gsl_rng_uniform_int(r, 2);
  free(code);
  return TB_OK;
}

int tb_gen_classification(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  long n = 1000, d = 20, inf = 2, red = 2, classes = 2, clusters = 2;
  double sep = 1.0, flip = 0.01;
  gsl_rng *r = NULL;
  tb_dataset *ds = NULL;
  unsigned char *bits = NULL;
  double *A = NULL, *B = NULL, *z = NULL, *xi = NULL;
  uint32_t *cl = NULL;
  char name[512];
  *out = NULL;
  TB_TRY(tb_spec_get_long(spec, "n", 1, GEN_MAX_VALUES, &n));
  TB_TRY(tb_spec_get_long(spec, "d", 1, GEN_MAX_VALUES, &d));
  TB_TRY(tb_spec_get_long(spec, "informative", 1, GEN_MAX_VALUES, &inf));
  TB_TRY(tb_spec_get_long(spec, "redundant", 0, GEN_MAX_VALUES, &red));
  TB_TRY(tb_spec_get_long(spec, "classes", 2, 100, &classes));
  TB_TRY(tb_spec_get_long(spec, "clusters", 1, 100, &clusters));
  TB_TRY(tb_spec_get_double(spec, "class_sep", 0.0, 1e6, &sep));
  TB_TRY(tb_spec_get_double(spec, "flip", 0.0, 1.0, &flip));
  TB_TRY(tb_gen_rng(spec, &r));
  TB_TRY(tb_spec_check_unused(spec, "n, d, informative, redundant, classes, clusters, class_sep, flip, seed"));
  if (n > GEN_MAX_VALUES / d)
    TB_FAIL(TB_ERR_RANGE, "%s: n (%ld) * d (%ld) is more than %ld values", spec->kind, n, d, GEN_MAX_VALUES);
  if (inf + red > d)
    TB_FAIL(TB_ERR_INVALID, "%s: informative (%ld) + redundant (%ld) > d (%ld)", spec->kind, inf, red, d);
  long k = classes * clusters;
  if (inf < 62 && k > (1L << inf))
    TB_FAIL(TB_ERR_INVALID, "%s: classes (%ld) * clusters (%ld) > 2^informative (%ld): raise informative",
            spec->kind, classes, clusters, 1L << inf);
  if ((double)k * (double)inf * (double)inf > (double)GEN_MAX_CLUSTER_PARAMS)
    TB_FAIL(TB_ERR_RANGE, "%s: classes * clusters * informative^2 = %.0f is more than %ld", spec->kind,
            (double)k * (double)inf * (double)inf, GEN_MAX_CLUSTER_PARAMS);

  gen_name(spec, name, sizeof name);
  TB_TRY(tb_dataset_alloc((size_t)n, (int)d, TB_TASK_CLASSIFICATION, (int)classes, name, &ds));
  bits = malloc((size_t)(k * inf));
  A = malloc((size_t)(k * inf * inf) * sizeof *A);
  B = malloc((size_t)(inf * red + 1) * sizeof *B);
  z = malloc((size_t)inf * sizeof *z);
  xi = malloc((size_t)inf * sizeof *xi);
  cl = malloc((size_t)n * sizeof *cl);
  if (!bits || !A || !B || !z || !xi || !cl) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", spec->kind);

  /* Parameters: vertices, the per-cluster matrices A_k (inf x inf), then B (inf x red). */
  TB_TRY(pick_vertices(r, k, inf, bits));
  for (long i = 0; i < k * inf * inf; i++) A[i] = 2.0 * gsl_rng_uniform(r) - 1.0;
  for (long i = 0; i < inf * red; i++) B[i] = 2.0 * gsl_rng_uniform(r) - 1.0;

  /* Row -> cluster: class c has n/classes (+1 for the first n % classes) rows, split likewise over its clusters;
   * cluster of class c number j is c + classes * j. Then shuffle the rows. */
  size_t row = 0;
  for (long c = 0; c < classes; c++) {
    long nc = n / classes + (c < n % classes);
    for (long j = 0; j < clusters; j++) {
      long ncj = nc / clusters + (j < nc % clusters);
      for (long t = 0; t < ncj; t++) cl[row++] = (uint32_t)(c + classes * j);
    }
  }
  TB_ASSERT(row == (size_t)n);
  gsl_ran_shuffle(r, cl, (size_t)n, sizeof *cl);

  for (size_t i = 0; i < (size_t)n; i++) {
    float *x = ds->X + i * (size_t)d;
    long kc = cl[i];
    const double *Ak = A + kc * inf * inf;
    const unsigned char *vk = bits + kc * inf;
    for (long a = 0; a < inf; a++) z[a] = gsl_ran_gaussian_ziggurat(r, 1.0);
    for (long b = 0; b < inf; b++) {
      double s = vk[b] ? sep : -sep;
      for (long a = 0; a < inf; a++) s += z[a] * Ak[a * inf + b];
      x[b] = (float)s;
      xi[b] = (double)x[b];
    }
    for (long b = 0; b < red; b++) {
      double s = 0.0;
      for (long a = 0; a < inf; a++) s += xi[a] * B[a * red + b];
      x[inf + b] = (float)s;
    }
    for (long b = inf + red; b < d; b++) x[b] = (float)gsl_ran_gaussian_ziggurat(r, 1.0);
    ds->y_class[i] = (int32_t)(kc % classes);
  }
  /* Label noise last, one uniform per row whatever flip is: the features do not depend on flip. */
  for (size_t i = 0; i < (size_t)n; i++)
    if (gsl_rng_uniform(r) < flip) ds->y_class[i] = (int32_t)gsl_rng_uniform_int(r, (unsigned long)classes);
  *out = ds;
  ds = NULL;
done:
  tb_dataset_free(ds);
  gsl_rng_free(r);
  free(bits);
  free(A);
  free(B);
  free(z);
  free(xi);
  free(cl);
  return rc;
}

int tb_gen_friedman1(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  long n = 1000, d = 10;
  double noise = 0.0;
  gsl_rng *r = NULL;
  tb_dataset *ds = NULL;
  char name[512];
  *out = NULL;
  TB_TRY(tb_spec_get_long(spec, "n", 1, GEN_MAX_VALUES, &n));
  TB_TRY(tb_spec_get_long(spec, "d", 5, GEN_MAX_VALUES, &d));
  TB_TRY(tb_spec_get_double(spec, "noise", 0.0, 1e6, &noise));
  TB_TRY(tb_gen_rng(spec, &r));
  TB_TRY(tb_spec_check_unused(spec, "n, d, noise, seed"));
  if (n > GEN_MAX_VALUES / d)
    TB_FAIL(TB_ERR_RANGE, "%s: n (%ld) * d (%ld) is more than %ld values", spec->kind, n, d, GEN_MAX_VALUES);
  gen_name(spec, name, sizeof name);
  TB_TRY(tb_dataset_alloc((size_t)n, (int)d, TB_TASK_REGRESSION, 0, name, &ds));
  for (size_t i = 0; i < (size_t)n; i++) {
    float *x = ds->X + i * (size_t)d;
    for (long j = 0; j < d; j++) x[j] = (float)gsl_rng_uniform(r);
    double x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4];
    double y = 10.0 * sin(M_PI * x0 * x1) + 20.0 * (x2 - 0.5) * (x2 - 0.5) + 10.0 * x3 + 5.0 * x4;
    ds->y_value[i] = (float)(y + noise * gsl_ran_gaussian_ziggurat(r, 1.0));
  }
  *out = ds;
  ds = NULL;
done:
  tb_dataset_free(ds);
  gsl_rng_free(r);
  return rc;
}
