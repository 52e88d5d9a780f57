/* test_sampler_tpe_parzen.c: the Parzen estimators of the TPE sampler (host/samplers/tpe_parzen.c) against a plain
 * double reference written here: Optuna's bandwidth rule (neighbour gaps with the prior mean, endpoints, magic clip,
 * ties), truncation to [0, 1], observation weights, categorical rows, the multivariate mixture of products; densities
 * integrate to 1; cell masses (int parameters) against the integrated reference; Optuna 3.1's score
 * (density_scaled 0: each kernel times its sigma) against the same reference; draws follow the density (empirical
 * CDF); min_bandwidth and the multivariate per-dimension gap bandwidths (mv_gaps) against a plain reference.
 * The sampler is tested by tests/test_sampler_tpe.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_sampler.h"
#include "tb_test.h"
#include "tpe_impl.h"

static uint64_t lcg = 777;
static double rnd(void) { /* test-side inputs only (fixed seed) */
  lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(lcg >> 11) * (1.0 / 9007199254740992.0);
}

static double norm_pdf(double x, double mu, double s) {
  double z = (x - mu) / s;
  return exp(-0.5 * z * z) / (s * sqrt(2.0 * M_PI));
}
static double norm_cdf(double x, double mu, double s) { return 0.5 * erfc(-(x - mu) / (s * sqrt(2.0))); }

/* Optuna's univariate rule written plainly: neighbours found by scanning (distinct values), prior mean included.
 * scaled 0: Optuna 3.1's score, each kernel's truncated density times its sigma (its logpdf omits -log sigma). */
static double ref_kde_score(const double *obs, const double *w, int n, double pw, int endpoints, int clip, int scaled,
                            double x) {
  double mus[64], sig[64], wt[64], tot = 0.0;
  for (int i = 0; i < n; i++) mus[i] = obs[i], wt[i] = w[i], tot += w[i];
  mus[n] = 0.5, wt[n] = n ? pw : 1.0, tot += wt[n];
  for (int i = 0; i <= n; i++) {
    double left = 0.0, right = 1.0;
    int is_min = 1, is_max = 1;
    for (int j = 0; j <= n; j++) {
      if (mus[j] < mus[i]) is_min = 0, left = fmax(left, mus[j]);
      if (mus[j] > mus[i]) is_max = 0, right = fmin(right, mus[j]);
    }
    double gl = mus[i] - left, gr = right - mus[i];
    if (!endpoints && n >= 1) {
      if (is_min) gl = gr;
      if (is_max) gr = gl;
    }
    double lo = clip ? 1.0 / fmin(100.0, n + 2.0) : 1e-12;
    sig[i] = fmin(fmax(fmax(gl, gr), lo), 1.0);
  }
  sig[n] = 1.0;
  double p = 0.0;
  for (int i = 0; i <= n; i++)
    p += wt[i] / tot * norm_pdf(x, mus[i], sig[i]) / (norm_cdf(1, mus[i], sig[i]) - norm_cdf(0, mus[i], sig[i])) *
         (scaled ? 1.0 : sig[i]);
  return p;
}
static double ref_kde_pdf(const double *obs, const double *w, int n, double pw, int endpoints, int clip, double x) {
  return ref_kde_score(obs, w, n, pw, endpoints, clip, 1, x);
}

/* Cell masses (int parameters): the reference mixture's mass on [a, b], integrated numerically. */
static double ref_kde_mass(const double *obs, const double *w, int n, double pw, double a, double b) {
  double p = 0.0;
  const int q = 400; /* Simpson on the reference density: smooth on the cell scale (sigma >= 1/24 here) */
  for (int j = 0; j <= q; j++) {
    double x = a + (b - a) * j / q, c = (j == 0 || j == q) ? 1 : (j % 2 ? 4 : 2);
    p += c * ref_kde_pdf(obs, w, n, pw, 0, 1, x);
  }
  return p * (b - a) / (3.0 * q);
}

static void test_kde_mass(void) {
  tb_tpe_kde k = {0};
  for (int trial = 0; trial < 8; trial++) {
    int n = 1 + trial * 3, m = 3 + trial * 5; /* observations at distinct cell centres, as int parameters give
                                               * them (ties: test_kde_reference) */
    double obs[32], w[32];
    int used[64] = {0};
    for (int i = 0; i < n; i++) {
      int c = (int)(rnd() * m);
      while (used[c]) c = (c + 1) % m;
      used[c] = 1;
      obs[i] = (c + 0.5) / m, w[i] = 0.2 + rnd();
    }
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && obs[j - 1] > obs[j]; j--) {
        double t = obs[j]; obs[j] = obs[j - 1]; obs[j - 1] = t;
        t = w[j]; w[j] = w[j - 1]; w[j - 1] = t;
      }
    tb_tpe_opts o = {.prior_weight = 1.0, .consider_endpoints = 0, .consider_magic_clip = 1};
    TB_CHECK_OK(tb_tpe_kde_fit(&k, obs, w, n, &o));
    double tot = 0.0;
    for (int c = 0; c < m; c++) { /* relative 1e-8 against the integrated reference; the cells sum to 1 */
      double got = exp(tb_tpe_kde_log_mass(&k, (double)c / m, (c + 1.0) / m));
      double ref = ref_kde_mass(obs, w, n, 1.0, (double)c / m, (c + 1.0) / m);
      CU_ASSERT(fabs(got - ref) <= 1e-8 * ref);
      tot += got;
    }
    CU_ASSERT_DOUBLE_EQUAL(tot, 1.0, 1e-12);
  }
  /* a cell far out in the tail of every observation kernel still gets the prior's mass, not 0 */
  double far[3] = {0.01, 0.011, 0.012}, fw[3] = {1, 1, 1};
  tb_tpe_opts o = {.prior_weight = 1.0, .consider_endpoints = 0, .consider_magic_clip = 0};
  TB_CHECK_OK(tb_tpe_kde_fit(&k, far, fw, 3, &o));
  double lm = tb_tpe_kde_log_mass(&k, 0.99, 1.0);
  CU_ASSERT(isfinite(lm) && lm > log(0.01 * 0.25 * 0.2));
  tb_tpe_kde_free(&k);
}

static void test_weights(void) {
  double w[40];
  tb_tpe_weights(10, 0, w);
  for (int i = 0; i < 10; i++) CU_ASSERT_EQUAL(w[i], 1.0);
  tb_tpe_weights(40, 0, w); /* linspace(1/40, 1, 15) then 25 ones */
  for (int i = 0; i < 15; i++) CU_ASSERT_DOUBLE_EQUAL(w[i], 1.0 / 40 + i * (1.0 - 1.0 / 40) / 14, 1e-15);
  for (int i = 15; i < 40; i++) CU_ASSERT_EQUAL(w[i], 1.0);
  tb_tpe_weights(40, 1, w);
  for (int i = 0; i < 40; i++) CU_ASSERT_EQUAL(w[i], 1.0);
}

static void test_kde_reference(void) {
  tb_tpe_kde k = {0};
  for (int trial = 0; trial < 24; trial++) {
    int n = trial % 12, endpoints = trial % 2, clip = (trial / 2) % 2;
    double obs[32], w[32];
    for (int i = 0; i < n; i++) obs[i] = rnd(), w[i] = 0.2 + rnd();
    for (int i = 1; i < n; i++) /* the estimator takes its observations sorted, weights alongside */
      for (int j = i; j > 0 && obs[j - 1] > obs[j]; j--) {
        double t = obs[j]; obs[j] = obs[j - 1]; obs[j - 1] = t;
        t = w[j]; w[j] = w[j - 1]; w[j - 1] = t;
      }
    tb_tpe_opts o = {.prior_weight = 0.5 + rnd(), .consider_endpoints = endpoints, .consider_magic_clip = clip,
                     .density_scaled = 1};
    TB_CHECK_OK(tb_tpe_kde_fit(&k, obs, w, n, &o));
    double integral = 0.0;
    const int q = 20000; /* midpoint rule, the density is smooth on the grid scale for clip=1 */
    for (int j = 0; j < 50; j++) {
      double x = rnd(), ref = ref_kde_pdf(obs, w, n, o.prior_weight, endpoints, clip, x);
      double got = tb_tpe_kde_log_pdf(&k, x); /* relative 1e-12 on the density */
      CU_ASSERT(fabs(got - log(ref)) <= 1e-12 * fmax(1.0, fabs(log(ref))));
    }
    if (clip) {
      for (int j = 0; j < q; j++) integral += exp(tb_tpe_kde_log_pdf(&k, (j + 0.5) / q)) / q;
      CU_ASSERT_DOUBLE_EQUAL(integral, 1.0, 1e-6);
    }
    /* Optuna 3.1's score (density_scaled 0): the same mixture with each kernel times its sigma; relative 1e-12.
     * Not a density: with observations its integral is below 1 (every observation kernel has sigma < 1). */
    o.density_scaled = 0;
    TB_CHECK_OK(tb_tpe_kde_fit(&k, obs, w, n, &o));
    for (int j = 0; j < 50; j++) {
      double x = rnd(), ref = ref_kde_score(obs, w, n, o.prior_weight, endpoints, clip, 0, x);
      double got = tb_tpe_kde_log_pdf(&k, x);
      CU_ASSERT(fabs(got - log(ref)) <= 1e-12 * fmax(1.0, fabs(log(ref))));
    }
    if (n >= 2) {
      integral = 0.0;
      for (int j = 0; j < q; j++) integral += exp(tb_tpe_kde_log_pdf(&k, (j + 0.5) / q)) / q;
      CU_ASSERT(integral < 1.0 - 1e-3);
    }
  }
  /* ties (int parameters): in sorted order with the prior mean merged before equal values, an inner tied kernel
   * sees gaps of 0 on both sides; the first (endpoints off) takes its right gap, the last of the ties the gap to
   * the prior mean 0.5. Here with the clip off: 1e-12, 1e-12, 0.3, and 0.2 for 0.7 (the last, endpoints off). */
  {
    double to[4] = {0.2, 0.2, 0.2, 0.7}, tw[4] = {1, 1, 1, 1};
    tb_tpe_opts o = {.prior_weight = 1.0, .consider_endpoints = 0, .consider_magic_clip = 0, .density_scaled = 1};
    TB_CHECK_OK(tb_tpe_kde_fit(&k, to, tw, 4, &o));
    CU_ASSERT_EQUAL(k.n, 5);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[0], 1e-12, 1e-20);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[1], 1e-12, 1e-20);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[2], 0.3, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[3], 0.2, 1e-15);
    CU_ASSERT_EQUAL(k.sigma[4], 1.0);
    o.consider_endpoints = 1, o.consider_magic_clip = 1; /* now 0.2 sees the gap to 0, 0.7 the gap to 1; clip 1/6 */
    TB_CHECK_OK(tb_tpe_kde_fit(&k, to, tw, 4, &o));
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[0], 0.2, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[1], 1.0 / 6, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[2], 0.3, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[3], 0.3, 1e-15);
    o.clip_exponent = 1.5; /* Watanabe's alpha: the clip is 6^-1.5 = 0.068; the gaps above it are unchanged */
    TB_CHECK_OK(tb_tpe_kde_fit(&k, to, tw, 4, &o));
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[0], 0.2, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[1], pow(6.0, -1.5), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[2], 0.3, 1e-15);
    o.clip_exponent = 1.0; /* 1 and 0 (unset) are hyperopt's clip */
    TB_CHECK_OK(tb_tpe_kde_fit(&k, to, tw, 4, &o));
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[1], 1.0 / 6, 1e-15);
    o.clip_exponent = 0.0;
    /* ties with the prior mean: [0.5 (prior), 0.5, 0.5, 0.8], endpoints on, clip off -> 1e-12, 0.3, 0.3 */
    double t5[3] = {0.5, 0.5, 0.8};
    o.consider_magic_clip = 0;
    TB_CHECK_OK(tb_tpe_kde_fit(&k, t5, tw, 3, &o));
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[0], 1e-12, 1e-20);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[1], 0.3, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(k.sigma[2], 0.3, 1e-15);
  }
  /* sampling follows the density: empirical CDF at 9 points within 0.015 of the integrated one (20000 draws,
   * the KS 99.9% bound is 0.0138) */
  tb_space *sp = NULL;
  tb_sampler *s = NULL; /* only its random stream is used */
  tb_sampler_config cfg = {.seed = 7, .n_objectives = 1};
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "x", 0.0, 1.0, 0));
  TB_CHECK_OK(tb_space_finalize(sp));
  TB_CHECK_OK(tb_sampler_create("tpe", sp, &cfg, &s));
  double obs[5] = {0.1, 0.15, 0.6, 0.62, 0.95}, w[5] = {1, 1, 2, 1, 0.5};
  tb_tpe_opts o = {.prior_weight = 1.0, .consider_endpoints = 0, .consider_magic_clip = 1}; /* sampling ignores
                                                                                              * density_scaled */
  TB_CHECK_OK(tb_tpe_kde_fit(&k, obs, w, 5, &o));
  enum { ND = 20000 };
  static double d[ND];
  for (int i = 0; i < ND; i++) {
    d[i] = tb_tpe_kde_sample(&k, s);
    CU_ASSERT(d[i] >= 0.0 && d[i] < 1.0);
  }
  for (int c = 1; c <= 9; c++) {
    double x = c / 10.0, cdf = 0.0, emp = 0.0;
    for (int j = 0; j < 10000; j++) cdf += ref_kde_pdf(obs, w, 5, 1.0, 0, 1, (j + 0.5) * x / 10000) * x / 10000;
    for (int i = 0; i < ND; i++) emp += d[i] < x;
    CU_ASSERT(fabs(emp / ND - cdf) < 0.015);
  }
  tb_sampler_free(s);
  tb_space_free(sp);
  tb_tpe_kde_free(&k);
}

static void test_cat_and_mix_reference(void) {
  /* categorical: explicit per-kernel rows (a + [c == obs]) / (C a + 1), a = pw / (n + 1), uniform prior */
  int obs[10];
  double w[10], p[8], pw = 0.7;
  for (int i = 0; i < 10; i++) obs[i] = (int)(rnd() * 5), w[i] = 0.1 + rnd();
  tb_tpe_cat_fit(p, 5, obs, w, 10, pw);
  double tot = pw, a = pw / 11, sum = 0.0;
  for (int i = 0; i < 10; i++) tot += w[i];
  for (int c = 0; c < 5; c++) {
    double ref = pw / tot / 5;
    for (int i = 0; i < 10; i++) ref += w[i] / tot * (a + (obs[i] == c)) / (5 * a + 1);
    CU_ASSERT_DOUBLE_EQUAL(p[c], ref, 1e-15);
    sum += p[c];
  }
  CU_ASSERT_DOUBLE_EQUAL(sum, 1.0, 1e-14);
  /* multivariate: 2 numeric dims + 1 categorical (3 choices); reference sum of products */
  tb_tpe_mix k = {0};
  int nc[3] = {0, 3, 0}, n = 7, m = 3;
  double ob[7 * 3], wm[7];
  for (int i = 0; i < n; i++) {
    ob[i * 3] = rnd(), ob[i * 3 + 1] = (int)(rnd() * 3), ob[i * 3 + 2] = rnd();
    wm[i] = 0.5 + rnd();
  }
  tb_tpe_opts o = {.prior_weight = 1.3, .consider_endpoints = 0, .consider_magic_clip = 1, .density_scaled = 1};
  TB_CHECK_OK(tb_tpe_mix_fit(&k, ob, wm, n, m, nc, &o));
  double sg = fmax(0.2 * pow(n, -1.0 / (m + 4)), 1.0 / 9.0), wt = o.prior_weight, am = o.prior_weight / (n + 1);
  for (int i = 0; i < n; i++) wt += wm[i];
  double integral = 0.0;
  const int q = 200;
  for (int c = 0; c < 3; c++)
    for (int g1 = 0; g1 < q; g1++)
      for (int g2 = 0; g2 < q; g2++) {
        double x[3] = {(g1 + 0.5) / q, c, (g2 + 0.5) / q}, ref = 0.0;
        for (int i = 0; i <= n; i++) {
          int pr = i == n;
          double s0 = pr ? 1.0 : sg, m0 = pr ? 0.5 : ob[i * 3], m2 = pr ? 0.5 : ob[i * 3 + 2];
          double pc = pr ? 1.0 / 3 : (am + (ob[i * 3 + 1] == c)) / (3 * am + 1);
          double f0 = norm_pdf(x[0], m0, s0) / (norm_cdf(1, m0, s0) - norm_cdf(0, m0, s0));
          double f2 = norm_pdf(x[2], m2, s0) / (norm_cdf(1, m2, s0) - norm_cdf(0, m2, s0));
          ref += (pr ? o.prior_weight : wm[i]) / wt * f0 * pc * f2;
        }
        double got = exp(tb_tpe_mix_log_pdf(&k, x));
        if ((g1 * 7 + g2) % 97 == 0) CU_ASSERT(fabs(got - ref) <= 1e-12 * ref);
        integral += got / (q * q);
      }
  CU_ASSERT_DOUBLE_EQUAL(integral, 1.0, 1e-3);
  /* Optuna 3.1's score: every numeric factor times its sigma (sg for observations, 1 for the prior); 1e-12 */
  o.density_scaled = 0;
  TB_CHECK_OK(tb_tpe_mix_fit(&k, ob, wm, n, m, nc, &o));
  for (int j = 0; j < 40; j++) {
    int c = (int)(rnd() * 3);
    double x[3] = {rnd(), c, rnd()}, ref = 0.0;
    for (int i = 0; i <= n; i++) {
      int pr = i == n;
      double s0 = pr ? 1.0 : sg, m0 = pr ? 0.5 : ob[i * 3], m2 = pr ? 0.5 : ob[i * 3 + 2];
      double pc = pr ? 1.0 / 3 : (am + (ob[i * 3 + 1] == c)) / (3 * am + 1);
      double f0 = s0 * norm_pdf(x[0], m0, s0) / (norm_cdf(1, m0, s0) - norm_cdf(0, m0, s0));
      double f2 = s0 * norm_pdf(x[2], m2, s0) / (norm_cdf(1, m2, s0) - norm_cdf(0, m2, s0));
      ref += (pr ? o.prior_weight : wm[i]) / wt * f0 * pc * f2;
    }
    CU_ASSERT(fabs(tb_tpe_mix_log_pdf(&k, x) - log(ref)) <= 1e-12 * fmax(1.0, fabs(log(ref))));
  }
  tb_tpe_mix_free(&k);
}

/* sigma of kernel i by the gap rule written plainly (distinct neighbours by scanning, prior mean 0.5 included),
 * clipped below at max(magic clip, min_bw): the reference for min_bandwidth and the multivariate gap bandwidths. */
static double ref_gap_sigma(const double *v, int n, int i, int endpoints, double min_bw) {
  double left = 0.0, right = 1.0, me = v[i];
  int is_min = me <= 0.5, is_max = me >= 0.5;
  left = me > 0.5 ? 0.5 : 0.0, right = me < 0.5 ? 0.5 : 1.0;
  for (int j = 0; j < n; j++) {
    if (v[j] < me) is_min = 0, left = fmax(left, v[j]);
    if (v[j] > me) is_max = 0, right = fmin(right, v[j]);
  }
  double gl = me - left, gr = right - me;
  if (!endpoints) {
    if (is_min) gl = gr;
    if (is_max) gr = gl;
  }
  return fmin(fmax(fmax(fmax(gl, gr), 1.0 / fmin(100.0, n + 2.0)), min_bw), 1.0);
}

/* min_bandwidth (univariate: every sigma >= it) and multivariate_bandwidth=gaps (each kernel's own sigma per numeric
 * dimension by the univariate gap rule) against a plain sum of products; relative 1e-12, true densities. */
static void test_min_bandwidth_and_mix_gaps(void) {
  tb_tpe_kde kd = {0};
  tb_tpe_mix k = {0};
  for (int trial = 0; trial < 8; trial++) {
    int n = 3 + trial, m = 3, nc[3] = {0, 3, 0}, endpoints = trial % 2;
    double ob[16 * 3], wm[16], col0[16], col2[16], min_bw = trial < 4 ? 0.15 : 0.03;
    for (int i = 0; i < n; i++) {
      ob[i * 3] = col0[i] = rnd(), ob[i * 3 + 1] = (int)(rnd() * 3), ob[i * 3 + 2] = col2[i] = rnd();
      wm[i] = 0.5 + rnd();
    }
    tb_tpe_opts o = {.prior_weight = 0.8, .consider_endpoints = endpoints, .consider_magic_clip = 1,
                     .density_scaled = 1, .min_bandwidth = min_bw, .mv_gaps = 1};
    /* univariate on dimension 0 (sorted, weights alongside) */
    double so[16], sw[16];
    memcpy(so, col0, (size_t)n * sizeof *so);
    memcpy(sw, wm, (size_t)n * sizeof *sw);
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && so[j - 1] > so[j]; j--) {
        double t = so[j]; so[j] = so[j - 1]; so[j - 1] = t;
        t = sw[j]; sw[j] = sw[j - 1]; sw[j - 1] = t;
      }
    TB_CHECK_OK(tb_tpe_kde_fit(&kd, so, sw, n, &o));
    double wt = o.prior_weight;
    for (int i = 0; i < n; i++) wt += wm[i];
    for (int i = 0; i < n; i++) CU_ASSERT(kd.sigma[i] >= min_bw);
    for (int j = 0; j < 30; j++) {
      double x = rnd(), ref = o.prior_weight / wt * norm_pdf(x, 0.5, 1.0) / (norm_cdf(1, 0.5, 1) - norm_cdf(0, 0.5, 1));
      for (int i = 0; i < n; i++) {
        double sg = ref_gap_sigma(col0, n, i, endpoints, min_bw);
        ref += wm[i] / wt * norm_pdf(x, col0[i], sg) / (norm_cdf(1, col0[i], sg) - norm_cdf(0, col0[i], sg));
      }
      CU_ASSERT(fabs(tb_tpe_kde_log_pdf(&kd, x) - log(ref)) <= 1e-12 * fmax(1.0, fabs(log(ref))));
    }
    /* multivariate with per-kernel gap sigmas */
    TB_CHECK_OK(tb_tpe_mix_fit(&k, ob, wm, n, m, nc, &o));
    double am = o.prior_weight / (n + 1);
    for (int j = 0; j < 30; j++) {
      int c = (int)(rnd() * 3);
      double x[3] = {rnd(), c, rnd()}, ref = 0.0;
      for (int i = 0; i <= n; i++) {
        int pr = i == n;
        double s0 = pr ? 1.0 : ref_gap_sigma(col0, n, i, endpoints, min_bw);
        double s2 = pr ? 1.0 : ref_gap_sigma(col2, n, i, endpoints, min_bw);
        double m0 = pr ? 0.5 : col0[i], m2 = pr ? 0.5 : col2[i];
        double pc = pr ? 1.0 / 3 : (am + (ob[i * 3 + 1] == c)) / (3 * am + 1);
        double f0 = norm_pdf(x[0], m0, s0) / (norm_cdf(1, m0, s0) - norm_cdf(0, m0, s0));
        double f2 = norm_pdf(x[2], m2, s2) / (norm_cdf(1, m2, s2) - norm_cdf(0, m2, s2));
        ref += (pr ? o.prior_weight : wm[i]) / wt * f0 * pc * f2;
      }
      CU_ASSERT(fabs(tb_tpe_mix_log_pdf(&k, x) - log(ref)) <= 1e-12 * fmax(1.0, fabs(log(ref))));
    }
  }
  tb_tpe_kde_free(&kd);
  tb_tpe_mix_free(&k);
}

static const tb_test_case cases[] = {{"weights", test_weights},
                                     {"kde_reference", test_kde_reference},
                                     {"kde_mass", test_kde_mass},
                                     {"cat_and_mix_reference", test_cat_and_mix_reference},
                                     /* last: the cases above keep their inputs from the shared stream */
                                     {"min_bandwidth_and_mix_gaps", test_min_bandwidth_and_mix_gaps},
                                     {NULL, NULL}};
TB_TEST_MAIN("sampler_tpe_parzen", cases)
