/* test_sampler_basic.c: tests of the grid and random samplers (host/samplers/sampler_basic.c) and sobol, halton, lhs
 * (host/samplers/sampler_qmc.c): seeded determinism (same seed same suggestions, other seed different), grid exhaustion
 * (exact count of distinct points, then TB_ERR_EXHAUSTED), grid levels, grid over conditional spaces without
 * duplicates, Sobol/Halton points equal GSL's own sequence when scramble=0 (and a constant rotation when 1), the
 * dimension limit, LHS stratification per batch, bad options, multi-objective random search, and random search
 * on the hit problem: P(hit within T) = 1 - 0.99^T within three standard errors over 2000 instances, and the
 * shuffled grid on the same problem against its exact hit probability (below).
 */
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_sampler.h"
#include "tb_test.h"
#include "tb_testfn.h"

static int make(const char *name, const tb_space *sp, uint64_t seed, int n_opt, const char *const *on,
                const char *const *ov, tb_sampler **s) {
  tb_sampler_config cfg = {.seed = seed, .n_objectives = 1, .n_options = n_opt, .option_names = on, .option_values = ov};
  return tb_sampler_create(name, sp, &cfg, s);
}

/* floats in [0, 1]: a configuration equals its unit-cube point exactly */
static tb_space *unit_space(int d) {
  tb_space *sp;
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  for (int j = 0; j < d; j++) {
    char nm[16];
    snprintf(nm, sizeof nm, "u%d", j);
    CU_ASSERT_FATAL(tb_space_add_float(sp, nm, 0, 1, 0) == TB_OK);
  }
  CU_ASSERT_FATAL(tb_space_finalize(sp) == TB_OK);
  return sp;
}

static tb_space *mixed_space(void) {
  tb_space *sp;
  const char *ch[] = {"a", "b"};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_float(sp, "f", -1, 2, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_int(sp, "i", 1, 3, 1, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_categorical(sp, "c", 2, ch) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_fixed(sp, "k", 5) == TB_OK);
  CU_ASSERT_FATAL(tb_space_finalize(sp) == TB_OK);
  return sp;
}

/* 3 asks of 7 points into xs (21, dim) */
static void run21(tb_sampler *s, double *xs, int dim) {
  int64_t ids[7];
  for (int a = 0; a < 3; a++) {
    int got = 0;
    TB_CHECK_OK(tb_sampler_ask(s, 7, xs + (size_t)a * 7 * (size_t)dim, ids, &got));
    CU_ASSERT_EQUAL(got, 7);
    for (int k = 0; k < got; k++) CU_ASSERT_EQUAL(ids[k], a * 7 + k);
  }
}

static void test_determinism(void) {
  tb_space *sp = mixed_space();
  const char *names[] = {"grid", "random", "sobol", "halton", "lhs"};
  const char *on[] = {"shuffle"}, *ov[] = {"1"};
  for (int k = 0; k < 5; k++) {
    double a[21 * 4], b[21 * 4], c[21 * 4];
    tb_sampler *s1, *s2, *s3;
    int n_opt = k == 0; /* grid: shuffled, so the seed matters */
    TB_CHECK_OK(make(names[k], sp, 42, n_opt, on, ov, &s1));
    TB_CHECK_OK(make(names[k], sp, 42, n_opt, on, ov, &s2));
    TB_CHECK_OK(make(names[k], sp, 43, n_opt, on, ov, &s3));
    CU_ASSERT_STRING_EQUAL(tb_sampler_name(s1), names[k]);
    run21(s1, a, 4);
    run21(s2, b, 4);
    run21(s3, c, 4);
    CU_ASSERT(memcmp(a, b, sizeof a) == 0);
    if (!memcmp(a, c, sizeof a)) {
      fprintf(stderr, "\n%s: seeds 42 and 43 gave the same suggestions\n", names[k]);
      CU_FAIL("seed");
    }
    tb_sampler_free(s1), tb_sampler_free(s2), tb_sampler_free(s3);
  }
  tb_space_free(sp);
}

static int cmp_rows4(const void *a, const void *b) { /* lexicographic, numeric */
  const double *x = a, *y = b;
  for (int j = 0; j < 4; j++)
    if (x[j] != y[j]) return x[j] < y[j] ? -1 : 1;
  return 0;
}

static void test_grid_exhaustion(void) {
  tb_space *sp = mixed_space();
  for (int shuffle = 0; shuffle <= 1; shuffle++) {
    const char *on[] = {"n", "shuffle"}, *ov[] = {"4", shuffle ? "1" : "0"};
    tb_sampler *s;
    TB_CHECK_OK(make("grid", sp, 7, 2, on, ov, &s));
    double xs[30 * 4];
    int64_t ids[5];
    int total = 0, got = 0, want_batches[] = {5, 5, 5, 5, 4};
    for (int b = 0; b < 5; b++) {
      TB_CHECK_OK(tb_sampler_ask(s, 5, xs + (size_t)total * 4, ids, &got));
      CU_ASSERT_EQUAL(got, want_batches[b]);
      total += got;
    }
    CU_ASSERT_EQUAL(total, 4 * 3 * 2); /* 4 float levels x 3 ints x 2 choices x 1 fixed */
    CU_ASSERT_EQUAL(tb_sampler_ask(s, 5, xs, ids, &got), TB_ERR_EXHAUSTED);
    CU_ASSERT_EQUAL(got, 0);
    CU_ASSERT_EQUAL(tb_sampler_ask(s, 1, xs, ids, &got), TB_ERR_EXHAUSTED);
    /* 24 distinct points: the full product of f in {-1, 0, 1, 2}, i in {1,2,3}, c in {0,1}, k = 5 */
    double first[4];
    memcpy(first, xs, sizeof first);
    qsort(xs, 24, 4 * sizeof(double), cmp_rows4);
    int r = 0;
    for (int f = 0; f < 4; f++)
      for (int i = 1; i <= 3; i++)
        for (int c = 0; c < 2; c++, r++) {
          double want[4] = {-1 + f, i, c, 5};
          double *x = xs + 4 * r;
          if (fabs(x[0] - want[0]) > 1e-15 || x[1] != want[1] || x[2] != want[2] || x[3] != want[3]) {
            fprintf(stderr, "\nrow %d: %g %g %g %g\n", r, x[0], x[1], x[2], x[3]);
            CU_FAIL("grid point");
          }
        }
    /* odometer order starts at the lower corner; the shuffled grid (seed 7) does not */
    int at_corner = first[0] == -1 && first[1] == 1 && first[2] == 0;
    CU_ASSERT_EQUAL(at_corner, !shuffle);
    tb_sampler_free(s);
  }
  tb_space_free(sp);
}

static void test_grid_levels(void) {
  tb_space *sp;
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-4, 1, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "units", 1, 1000, 1, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "b", 0, 100, 10, 0));
  TB_CHECK_OK(tb_space_finalize(sp));
  const char *on[] = {"n"}, *ov[] = {"5"};
  tb_sampler *s;
  TB_CHECK_OK(make("grid", sp, 1, 1, on, ov, &s));
  double xs[200 * 3];
  int64_t ids[200];
  int got;
  TB_CHECK_OK(tb_sampler_ask(s, 200, xs, ids, &got));
  CU_ASSERT_EQUAL(got, 125);
  /* last parameter fastest: b takes 0, 20/30 (rounded from 25 to the step grid), 50, 70/80, 100 */
  double lr[5] = {1e-4, 1e-3, 1e-2, 1e-1, 1}, units[5] = {1, 6, 32, 178, 1000}, b[5];
  for (int k = 0; k < 5; k++) b[k] = 10 * round(2.5 * k);
  for (int k = 0; k < 5; k++) {
    CU_ASSERT(fabs(xs[3 * 25 * k] - lr[k]) <= 1e-12 * lr[k]);
    CU_ASSERT_EQUAL(xs[3 * 5 * k + 1], units[k]);
    CU_ASSERT_EQUAL(xs[3 * k + 2], b[k]);
  }
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void test_grid_conditional(void) {
  tb_space *sp;
  const char *opts[] = {"sgd", "momentum", "adam"}, *yn[] = {"no", "yes"};
  double v12[] = {1, 2}, even[] = {2, 4};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_categorical(sp, "flag", 2, yn)); /* child declared first */
  TB_CHECK_OK(tb_space_add_categorical(sp, "opt", 3, opts));
  TB_CHECK_OK(tb_space_add_int(sp, "units", 1, 4, 1, 0));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-3, 1, 1));
  TB_CHECK_OK(tb_space_add_condition(sp, "units", "opt", 2, v12));
  TB_CHECK_OK(tb_space_add_condition(sp, "flag", "units", 2, even));
  TB_CHECK_OK(tb_space_finalize(sp));
  const char *on[] = {"n"}, *ov[] = {"4"}; /* units 1..4 keeps all 4 values */
  for (int shuffle = 0; shuffle <= 1; shuffle++) {
    tb_sampler *s;
    const char *on2[] = {"n", "shuffle"}, *ov2[] = {"4", "1"};
    TB_CHECK_OK(shuffle ? make("grid", sp, 3, 2, on2, ov2, &s) : make("grid", sp, 3, 1, on, ov, &s));
    double xs[100 * 4];
    int64_t ids[100];
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 100, xs, ids, &got)); /* the base checks every point with tb_space_check */
    /* opt = sgd: 1; momentum/adam: units 1, 3 -> 1 each, 2, 4 -> 2 flags each = 6; times 4 lr levels */
    CU_ASSERT_EQUAL(got, (1 + 6 + 6) * 4);
    for (int a = 0; a < got; a++)
      for (int b = a + 1; b < got; b++) {
        int same = 1;
        for (int j = 0; j < 4; j++) {
          double p = xs[4 * a + j], q = xs[4 * b + j];
          same &= (isnan(p) && isnan(q)) || p == q;
        }
        CU_ASSERT(!same);
      }
    tb_sampler_free(s);
  }
  tb_space_free(sp);
}

static void qmc_vs_gsl(const char *name, const gsl_qrng_type *T) {
  const int d = 5;
  tb_space *sp = unit_space(d);
  for (int skip = 0; skip <= 3; skip += 3) {
    char sk[8];
    snprintf(sk, sizeof sk, "%d", skip);
    const char *on[] = {"scramble", "skip"}, *ov[] = {"0", sk};
    tb_sampler *s;
    TB_CHECK_OK(make(name, sp, 9, 2, on, ov, &s));
    gsl_qrng *q = gsl_qrng_alloc(T, (unsigned)d);
    double ref[5], xs[13 * 5];
    int64_t ids[13];
    for (int k = 0; k < skip; k++) gsl_qrng_get(q, ref);
    for (int a = 0; a < 10; a++) { /* asks of varying size: the sequence continues across asks */
      int got, n = 1 + a % 13;
      TB_CHECK_OK(tb_sampler_ask(s, n, xs, ids, &got));
      CU_ASSERT_EQUAL(got, n);
      for (int k = 0; k < got; k++) {
        gsl_qrng_get(q, ref);
        for (int j = 0; j < d; j++) CU_ASSERT_EQUAL(xs[k * d + j], ref[j]);
      }
    }
    gsl_qrng_free(q);
    tb_sampler_free(s);
  }
  /* scramble=1: a Cranley-Patterson rotation, the same shift for every point */
  tb_sampler *s;
  TB_CHECK_OK(make(name, sp, 9, 0, NULL, NULL, &s));
  gsl_qrng *q = gsl_qrng_alloc(T, (unsigned)d);
  double ref[5], xs[64 * 5], shift[5];
  int64_t ids[64];
  int got;
  TB_CHECK_OK(tb_sampler_ask(s, 64, xs, ids, &got));
  for (int k = 0; k < 64; k++) {
    gsl_qrng_get(q, ref);
    for (int j = 0; j < d; j++) {
      double sh = fmod(xs[k * d + j] - ref[j] + 1, 1);
      if (k == 0) shift[j] = sh;
      double diff = fabs(sh - shift[j]);
      CU_ASSERT(diff < 1e-12 || fabs(diff - 1) < 1e-12);
    }
  }
  CU_ASSERT(shift[0] > 1e-9); /* a shift happened (seed 9) */
  gsl_qrng_free(q);
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void test_sobol_halton(void) {
  qmc_vs_gsl("sobol", gsl_qrng_sobol);
  qmc_vs_gsl("halton", gsl_qrng_halton);
  tb_space *sp = unit_space(41);
  tb_sampler *s = NULL;
  CU_ASSERT_EQUAL(make("sobol", sp, 1, 0, NULL, NULL, &s), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "41 dimensions"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "at most 40"));
  CU_ASSERT_PTR_NULL(s);
  TB_CHECK_OK(make("halton", sp, 1, 0, NULL, NULL, &s));
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void test_lhs(void) {
  const int d = 4, batch = 50;
  tb_space *sp = unit_space(d);
  const char *on[] = {"batch"}, *ov[] = {"50"};
  tb_sampler *s;
  TB_CHECK_OK(make("lhs", sp, 5, 1, on, ov, &s));
  double xs[150 * 4];
  int64_t ids[30];
  int got;
  for (int a = 0; a < 5; a++) { /* asks of 30 cross the batch boundaries */
    TB_CHECK_OK(tb_sampler_ask(s, 30, xs + a * 30 * d, ids, &got));
    CU_ASSERT_EQUAL(got, 30);
  }
  for (int b = 0; b < 3; b++) /* each batch hits each of its 50 strata exactly once per dimension */
    for (int j = 0; j < d; j++) {
      int hits[50] = {0};
      for (int k = 0; k < batch; k++) {
        double u = xs[(b * batch + k) * d + j];
        CU_ASSERT(u >= 0 && u < 1);
        hits[(int)(u * batch)]++;
      }
      for (int k = 0; k < batch; k++) CU_ASSERT_EQUAL(hits[k], 1);
    }
  /* consecutive batches are different designs */
  CU_ASSERT(memcmp(xs, xs + batch * d, (size_t)batch * d * sizeof *xs) != 0);
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void expect_bad(const char *name, const char *opt, const char *val, const char *frag) {
  tb_space *sp = unit_space(2);
  tb_sampler *s = NULL;
  const char *on[] = {opt}, *ov[] = {val};
  CU_ASSERT_EQUAL(make(name, sp, 1, 1, on, ov, &s), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(s);
  if (!strstr(tb_error_detail(), frag)) {
    fprintf(stderr, "\n%s %s=%s: expected '%s' in '%s'\n", name, opt, val, frag, tb_error_detail());
    CU_FAIL("message");
  }
  tb_space_free(sp);
}

static void test_bad_options(void) {
  expect_bad("grid", "n", "0", "sampler grid: option n = 0 is outside 1..100000");
  expect_bad("grid", "n", "ten", "option n = 'ten' is not an integer");
  expect_bad("grid", "shuffle", "2", "option shuffle = 2 is outside 0..1");
  expect_bad("grid", "foo", "1", "unknown option 'foo' (options: n, shuffle)");
  expect_bad("random", "n", "5", "sampler random: unknown option 'n' (options: none)");
  expect_bad("sobol", "scramble", "yes", "option scramble = 'yes' is not an integer");
  expect_bad("sobol", "skip", "-1", "option skip = -1 is outside");
  expect_bad("halton", "batch", "10", "unknown option 'batch' (options: scramble, skip)");
  expect_bad("lhs", "batch", "0", "option batch = 0 is outside 1..1000000");
  expect_bad("lhs", "scramble", "1", "unknown option 'scramble' (options: batch)");
  /* objectives: only random takes more than one */
  tb_space *sp = unit_space(2);
  tb_sampler *s = NULL;
  tb_sampler_config cfg = {.seed = 1, .n_objectives = 2};
  CU_ASSERT_EQUAL(tb_sampler_create("grid", sp, &cfg, &s), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_sampler_create("sobol", sp, &cfg, &s), TB_ERR_INVALID);
  cfg.n_objectives = TB_MAX_OBJECTIVES;
  cfg.maximize[1] = 1;
  TB_CHECK_OK(tb_sampler_create("random", sp, &cfg, &s));
  double x[2], v[TB_MAX_OBJECTIVES];
  int64_t id;
  int got;
  for (int t = 0; t < 20; t++) {
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
    for (int k = 0; k < TB_MAX_OBJECTIVES; k++) v[k] = x[0] * (k + 1) + x[1];
    TB_CHECK_OK(tb_sampler_tell(s, id, v, TB_TRIAL_COMPLETE));
  }
  tb_sampler_free(s);
  tb_space_free(sp);
}

/* Random search on the hit problems: 2000 instances (box seed i, sampler seed 10^6 + i), 100 trials each. */
static void test_random_hit(void) {
  const char *hits[] = {"hit-cube-3d", "hit-cube-5d", "hit-rect-3d", "hit-rect-5d"};
  const int n_inst = 2000, T[2] = {50, 100};
  for (int h = 0; h < 4; h++) {
    const tb_testfn *f = tb_testfn_find(hits[h]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    tb_space *sp;
    TB_CHECK_OK(tb_testfn_space(f, &sp));
    int n_hit[2] = {0, 0};
    for (int i = 0; i < n_inst; i++) {
      tb_sampler *s;
      TB_CHECK_OK(make("random", sp, 1000000u + (uint64_t)i, 0, NULL, NULL, &s));
      double xs[100 * 5], v;
      int64_t ids[100];
      int got, first = -1;
      TB_CHECK_OK(tb_sampler_ask(s, 100, xs, ids, &got));
      for (int t = 0; t < got && first < 0; t++) {
        TB_CHECK_OK(tb_testfn_eval_seeded(f, (uint64_t)i, xs + (size_t)t * (size_t)f->dim, &v));
        if (v == 0) first = t;
      }
      for (int k = 0; k < 2; k++) n_hit[k] += first >= 0 && first < T[k];
      tb_sampler_free(s);
    }
    for (int k = 0; k < 2; k++) {
      double p = 1 - pow(0.99, T[k]), se = sqrt(p * (1 - p) / n_inst), ph = (double)n_hit[k] / n_inst;
      if (fabs(ph - p) > 3 * se) {
        fprintf(stderr, "\n%s T=%d: P(hit) %.4f, expected %.4f +- 3 x %.4f\n", hits[h], T[k], ph, p, se);
        CU_FAIL("P(hit)");
      }
    }
    tb_space_free(sp);
  }
}

/* Exact P(hit within T) of a shuffled grid with n levels per dimension (i / (n - 1), ends included) on a hit box
 * with the given side lengths, whose lower corner is uniform over [0, 1 - len] independently per dimension (as
 * tb_testfn_hit_box places it). In dimension a the number c_a of levels inside the box is piecewise constant in the
 * corner, with breakpoints at the levels and the levels minus len; the box holds m = prod c_a of the N = n^d grid
 * points, and a random visiting order misses all of them in T trials with probability C(N - m, T) / C(N, T). */
static double grid_hit_theory(const double *len, int d, int n, int T) {
  double pc[5][8] = {{0}}; /* pc[a][c]: probability that dimension a's interval holds c levels */
  for (int a = 0; a < d; a++) {
    double L = len[a], bp[20];
    int nb = 0;
    bp[nb++] = 0.0, bp[nb++] = 1.0 - L;
    for (int i = 0; i < n; i++) {
      double g = (double)i / (n - 1);
      if (g > 0.0 && g < 1.0 - L) bp[nb++] = g;
      if (g - L > 0.0 && g - L < 1.0 - L) bp[nb++] = g - L;
    }
    for (int i = 1; i < nb; i++) /* insertion sort */
      for (int j = i; j > 0 && bp[j - 1] > bp[j]; j--) {
        double t = bp[j];
        bp[j] = bp[j - 1], bp[j - 1] = t;
      }
    for (int k = 0; k + 1 < nb; k++) {
      double lo = 0.5 * (bp[k] + bp[k + 1]);
      int c = 0;
      for (int i = 0; i < n; i++) c += (double)i / (n - 1) >= lo && (double)i / (n - 1) <= lo + L;
      pc[a][c] += (bp[k + 1] - bp[k]) / (1.0 - L);
    }
  }
  double N = pow(n, d), p = 0.0;
  int c[5] = {0};
  for (;;) { /* every combination of counts */
    double w = 1.0, m = 1.0;
    for (int a = 0; a < d; a++) w *= pc[a][c[a]], m *= c[a];
    if (w > 0.0) {
      double miss = 1.0;
      for (int k = 0; k < T && miss > 0.0; k++) miss *= N - m - k > 0 ? (N - m - k) / (N - k) : 0.0;
      p += w * (1.0 - miss);
    }
    int a = 0;
    while (a < d && ++c[a] > n) c[a++] = 0;
    if (a == d) break;
  }
  return p;
}

/* The shuffled grid on the hit problems (4 levels per dimension in 3-d: 64 points; 3 in 5-d: 243): the share of
 * 2000 instances (box seed i, sampler seed 10^6 + i) hit within 50 trials and within the whole grid equals
 * grid_hit_theory within three standard errors. Printed next to random search's 1 - 0.99^T. */
static void test_grid_hit(void) {
  const char *hits[] = {"hit-cube-3d", "hit-cube-5d", "hit-rect-3d", "hit-rect-5d"};
  const int n_inst = 2000;
  printf("\n");
  for (int h = 0; h < 4; h++) {
    const tb_testfn *f = tb_testfn_find(hits[h]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int d = f->dim, n = d == 3 ? 4 : 3, N = (int)pow(n, d), T[2] = {50, N}, n_hit[2] = {0, 0};
    double lo[5], hi[5], len[5];
    TB_CHECK_OK(tb_testfn_hit_box(f, 0, lo, hi));
    for (int a = 0; a < d; a++) len[a] = hi[a] - lo[a]; /* the same lengths in every instance */
    tb_space *sp;
    TB_CHECK_OK(tb_testfn_space(f, &sp));
    char nv[8];
    snprintf(nv, sizeof nv, "%d", n);
    const char *on[] = {"n", "shuffle"}, *ov[] = {nv, "1"};
    double *xs = malloc((size_t)N * (size_t)d * sizeof *xs);
    int64_t *ids = malloc((size_t)N * sizeof *ids);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    for (int i = 0; i < n_inst; i++) {
      tb_sampler *s;
      TB_CHECK_OK(make("grid", sp, 1000000u + (uint64_t)i, 2, on, ov, &s));
      int got = 0, first = -1;
      TB_CHECK_OK(tb_sampler_ask(s, N, xs, ids, &got));
      CU_ASSERT_EQUAL(got, N);
      for (int t = 0; t < got && first < 0; t++) {
        double v;
        TB_CHECK_OK(tb_testfn_eval_seeded(f, (uint64_t)i, xs + (size_t)t * (size_t)d, &v));
        if (v == 0) first = t;
      }
      for (int k = 0; k < 2; k++) n_hit[k] += first >= 0 && first < T[k];
      tb_sampler_free(s);
    }
    for (int k = 0; k < 2; k++) {
      double p = grid_hit_theory(len, d, n, T[k]), se = sqrt(p * (1 - p) / n_inst), ph = (double)n_hit[k] / n_inst;
      printf("  %s, grid %d^%d, T=%d: P(hit) %.4f, theory %.4f (se %.4f); random search 1 - 0.99^T = %.4f\n",
             hits[h], n, d, T[k], ph, p, se, 1 - pow(0.99, T[k]));
      CU_ASSERT(fabs(ph - p) <= 3 * se);
    }
    free(xs);
    free(ids);
    tb_space_free(sp);
  }
}

static const tb_test_case cases[] = {{"determinism", test_determinism},
                                     {"grid_exhaustion", test_grid_exhaustion},
                                     {"grid_levels", test_grid_levels},
                                     {"grid_conditional", test_grid_conditional},
                                     {"sobol_halton", test_sobol_halton},
                                     {"lhs", test_lhs},
                                     {"bad_options", test_bad_options},
                                     {"random_hit", test_random_hit},
                                     {"grid_hit", test_grid_hit},
                                     {NULL, NULL}};
TB_TEST_MAIN("sampler_basic", cases)
