/* test_sampler_gp.c: tests of the GP-BO sampler (host/samplers/gp.c, gp_model.c, gp_acq.c). The model parts are checked
 * against plain double-precision references written here (Matern 5/2 formula, finite differences, long-double
 * expected improvement); the sampler through the public ask/tell API: determinism, regret against random search
 * on Branin and Hartmann6 (local copies of the functions), parallel asks with pending trials, a mixed space,
 * failed/pruned trials, bad options, and the time per suggestion at 500 trials (printed, loosely bounded). */
#include <lapacke.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gp_impl.h"
#include "tb_rng.h"
#include "tb_sampler.h"
#include "tb_space.h"
#include "tb_test.h"

static uint64_t rng_pos;
static double urand(void) { return tb_rng_uniform_double(2024, rng_pos++); }

/* ---- local test functions (protocols.md section 8) ---- */
static double branin(const double *x) {
  double a = x[1] - 5.1 * x[0] * x[0] / (4 * M_PI * M_PI) + 5 * x[0] / M_PI - 6;
  return a * a + 10 * (1 - 1 / (8 * M_PI)) * cos(x[0]) + 10;
}
static double hartmann6(const double *x) {
  static const double al[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {.05, 10, 17, .1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, .05, 10, .1, 14}};
  static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
                                 {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}};
  double f = 0;
  for (int i = 0; i < 4; i++) {
    double s = 0;
    for (int j = 0; j < 6; j++) s += A[i][j] * (x[j] - 1e-4 * P[i][j]) * (x[j] - 1e-4 * P[i][j]);
    f -= al[i] * exp(-s);
  }
  return f;
}
#define BRANIN_MIN 0.397887357729738
#define HARTMANN6_MIN (-3.32236801141551)

static tb_space *box_space(int dim, double lo0, double hi0, double lo1, double hi1) {
  tb_space *sp;
  TB_CHECK_OK(tb_space_init(&sp));
  for (int d = 0; d < dim; d++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", d);
    TB_CHECK_OK(tb_space_add_float(sp, name, d == 0 ? lo0 : lo1, d == 0 ? hi0 : hi1, 0));
  }
  TB_CHECK_OK(tb_space_finalize(sp));
  return sp;
}

static tb_sampler *make_gp(const tb_space *sp, uint64_t seed, int n_opt, const char *const *names,
                           const char *const *values) {
  tb_sampler_config cfg = {.seed = seed, .n_objectives = 1, .n_options = n_opt, .option_names = names,
                           .option_values = values};
  tb_sampler *s = NULL;
  TB_CHECK_OK(tb_sampler_create("gp", sp, &cfg, &s));
  return s;
}

/* ---- model ---- */

static double matern_ref(const double *th, int D, const double *a, const double *b) {
  double r2 = 0;
  for (int d = 0; d < D; d++) r2 += (a[d] - b[d]) * (a[d] - b[d]) / exp(2 * th[d]);
  double r = sqrt(r2);
  return exp(th[D]) * (1 + sqrt(5) * r + 5.0 / 3.0 * r2) * exp(-sqrt(5) * r);
}

/* Kernel and marginal-likelihood gradients against central differences (h = 1e-6, rel. tol 1e-5). */
static void test_kernel_gradient(void) {
  enum { D = 4, N = 15 };
  double th[D + 2], a[D], b[D], dk[D + 1];
  for (int rep = 0; rep < 5; rep++) {
    for (int d = 0; d < D + 2; d++) th[d] = -1.5 + urand();
    for (int d = 0; d < D; d++) a[d] = urand(), b[d] = urand();
    double k = tb_gp_kernel(th, D, a, b, dk);
    CU_ASSERT_DOUBLE_EQUAL(k, matern_ref(th, D, a, b), 1e-12);
    for (int j = 0; j <= D; j++) {
      double t0 = th[j], h = 1e-6;
      th[j] = t0 + h;
      double kp = tb_gp_kernel(th, D, a, b, NULL);
      th[j] = t0 - h;
      double km = tb_gp_kernel(th, D, a, b, NULL);
      th[j] = t0;
      CU_ASSERT_DOUBLE_EQUAL(dk[j], (kp - km) / (2 * h), 1e-5 * (1 + fabs(dk[j])));
    }
  }
  tb_gp g;
  TB_CHECK_OK(tb_gp_init(&g, D, N));
  double X[N * D], y[N], grad[D + 2];
  for (int i = 0; i < N * D; i++) X[i] = urand();
  for (int i = 0; i < N; i++) y[i] = sin(4 * X[i * D]) + X[i * D + 1] + 0.1 * urand();
  TB_CHECK_OK(tb_gp_set_data(&g, X, y, N));
  for (int d = 0; d < D + 2; d++) th[d] = -1.0 + 0.5 * urand();
  double v = tb_gp_nlml(&g, th, grad);
  CU_ASSERT(isfinite(v));
  for (int j = 0; j < D + 2; j++) {
    double t0 = th[j], h = 1e-5;
    th[j] = t0 + h;
    double vp = tb_gp_nlml(&g, th, NULL);
    th[j] = t0 - h;
    double vm = tb_gp_nlml(&g, th, NULL);
    th[j] = t0;
    double fd = (vp - vm) / (2 * h);
    if (fabs(grad[j] - fd) > 1e-4 * (1 + fabs(fd))) printf("\n  nlml grad %d: %g vs fd %g\n", j, grad[j], fd);
    CU_ASSERT_DOUBLE_EQUAL(grad[j], fd, 1e-4 * (1 + fabs(fd)));
  }
  tb_gp_release(&g);
}

/* y drawn from a GP with lengthscales (0.15, 0.6) on x0, x1; x2 is irrelevant. The fit must order them. */
static void test_lengthscale_recovery(void) {
  enum { D = 3, N = 60 };
  double X[N * D], y[N], K[N * N], z[N], th2[4] = {log(0.15), log(0.6), 0.0, 0.0};
  for (int i = 0; i < N * D; i++) X[i] = urand();
  for (int i = 0; i < N; i++) {
    double xi[2] = {X[i * D], X[i * D + 1]};
    for (int j = 0; j < N; j++) {
      double xj[2] = {X[j * D], X[j * D + 1]};
      K[i * N + j] = matern_ref(th2, 2, xi, xj) + (i == j ? 1e-8 : 0);
    }
    double u1 = 1 - urand(), u2 = urand();
    z[i] = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
  }
  CU_ASSERT_EQUAL_FATAL(LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', N, K, N), 0);
  for (int i = 0; i < N; i++) {
    y[i] = 0;
    for (int j = 0; j <= i; j++) y[i] += K[i * N + j] * z[j];
  }
  tb_gp g;
  TB_CHECK_OK(tb_gp_init(&g, D, N));
  TB_CHECK_OK(tb_gp_set_data(&g, X, y, N));
  double start[D + 2];
  tb_gp_prior_mean(D, start, NULL);
  TB_CHECK_OK(tb_gp_fit(&g, start, 1, 200));
  double l0 = exp(g.theta[0]), l1 = exp(g.theta[1]), l2 = exp(g.theta[2]);
  printf("\n  fitted lengthscales %.3f %.3f %.3f (true 0.15, 0.6, irrelevant)\n", l0, l1, l2);
  CU_ASSERT(l0 < l1);
  CU_ASSERT(l1 < l2);
  CU_ASSERT(l2 > 2.0);
  CU_ASSERT(l0 > 0.05 && l0 < 0.4);
  tb_gp_release(&g);
}

/* Noiseless data: the posterior mean interpolates (|mu - y| <= 1e-2), the variance vanishes at the data, the
 * predictive gradients match central differences, predict_many matches predict, append matches a refactor. */
static void test_interpolation(void) {
  enum { D = 2, N = 25 };
  double X[N * D], y[N], work[3 * (N + 1)], start[D + 2];
  for (int i = 0; i < N * D; i++) X[i] = urand();
  for (int i = 0; i < N; i++) y[i] = sin(5 * X[i * D]) * cos(3 * X[i * D + 1]);
  tb_gp g;
  TB_CHECK_OK(tb_gp_init(&g, D, 4)); /* small capacity: set_data and append must grow it */
  TB_CHECK_OK(tb_gp_set_data(&g, X, y, N));
  tb_gp_prior_mean(D, start, NULL);
  TB_CHECK_OK(tb_gp_fit(&g, start, 1, 200));
  TB_CHECK_OK(tb_gp_factor(&g));
  printf("\n  noise variance %.2e, amplitude %.3f\n", exp(g.theta[D + 1]), exp(g.theta[D]));
  for (int i = 0; i < N; i++) {
    double mu, var;
    tb_gp_predict(&g, X + i * D, &mu, &var, NULL, NULL, work);
    CU_ASSERT_DOUBLE_EQUAL(mu, y[i], 1e-2);
    CU_ASSERT(var < 1e-2 * exp(g.theta[D]));
  }
  double x[D] = {0.37, 0.61}, mu, var, dmu[D], dvar[D], many_mu, many_var, wk[N];
  tb_gp_predict(&g, x, &mu, &var, dmu, dvar, work);
  tb_gp_predict_many(&g, x, 1, &many_mu, &many_var, wk);
  CU_ASSERT_DOUBLE_EQUAL(many_mu, mu, 1e-10);
  CU_ASSERT_DOUBLE_EQUAL(many_var, var, 1e-10);
  for (int d = 0; d < D; d++) {
    double h = 1e-6, mp, vp, mm, vm, x0 = x[d];
    x[d] = x0 + h;
    tb_gp_predict(&g, x, &mp, &vp, NULL, NULL, work);
    x[d] = x0 - h;
    tb_gp_predict(&g, x, &mm, &vm, NULL, NULL, work);
    x[d] = x0;
    CU_ASSERT_DOUBLE_EQUAL(dmu[d], (mp - mm) / (2 * h), 1e-4 * (1 + fabs(dmu[d])));
    CU_ASSERT_DOUBLE_EQUAL(dvar[d], (vp - vm) / (2 * h), 1e-4 * (1 + fabs(dvar[d])));
  }
  /* appending (x, 0.3) in O(n^2) gives the same posterior as factoring from scratch */
  TB_CHECK_OK(tb_gp_append(&g, x, 0.3));
  double m1, v1, m2, v2, q[D] = {0.2, 0.8};
  tb_gp_predict(&g, q, &m1, &v1, NULL, NULL, work);
  TB_CHECK_OK(tb_gp_factor(&g));
  tb_gp_predict(&g, q, &m2, &v2, NULL, NULL, work);
  CU_ASSERT_DOUBLE_EQUAL(m1, m2, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(v1, v2, 1e-6);
  tb_gp_release(&g);
}

/* ---- acquisitions ---- */

static long double h_ref(long double z) { /* z Phi(z) + phi(z) in long double */
  return z * 0.5L * erfcl(-z / sqrtl(2.0L)) + expl(-0.5L * z * z) / sqrtl(2.0L * 3.14159265358979323846L);
}

/* EI, log-EI, PI, UCB against direct formulas (rel. 1e-10) and derivatives against central differences (1e-5);
 * log h(z) against a long-double reference down to z = -40 (abs. 1e-9), finite and monotone to z = -1e4. */
static void test_acquisition_formulas(void) {
  for (int rep = 0; rep < 20; rep++) {
    double mu = 4 * urand() - 2, sigma = 0.05 + 2 * urand(), best = 2 * urand() - 1.5;
    double z = (best - 0.01 - mu) / sigma, Phi = 0.5 * erfc(-z / sqrt(2)), phi = exp(-z * z / 2) / sqrt(2 * M_PI);
    double expect[4] = {sigma * (z * Phi + phi), log(sigma * (z * Phi + phi)), -mu + sqrt(3.0) * sigma, Phi};
    for (int k = 0; k < 4; k++) {
      tb_gp_acq a = {(tb_gp_acq_kind)k, best, 0.01, 3.0};
      double dm, ds, v = tb_gp_acq_value(&a, mu, sigma, &dm, &ds);
      CU_ASSERT_DOUBLE_EQUAL(v, expect[k], 1e-10 * (1 + fabs(expect[k])));
      double h = 1e-6;
      double fdm = (tb_gp_acq_value(&a, mu + h, sigma, NULL, NULL) - tb_gp_acq_value(&a, mu - h, sigma, NULL, NULL));
      double fds = (tb_gp_acq_value(&a, mu, sigma + h, NULL, NULL) - tb_gp_acq_value(&a, mu, sigma - h, NULL, NULL));
      CU_ASSERT_DOUBLE_EQUAL(dm, fdm / (2 * h), 1e-5 * (1 + fabs(dm)));
      CU_ASSERT_DOUBLE_EQUAL(ds, fds / (2 * h), 1e-5 * (1 + fabs(ds)));
    }
  }
  const double zs[] = {3.0, 0.5, -0.99, -1.0, -2.5, -7.0, -15.0, -30.0, -39.9, -40.0, -40.1};
  for (size_t i = 0; i < sizeof zs / sizeof *zs; i++) {
    double d, lh = tb_gp_log_h(zs[i], &d);
    double ref = (double)logl(h_ref(zs[i]));
    double dref = (double)(0.5L * erfcl(-zs[i] / sqrtl(2.0L)) / h_ref(zs[i]));
    if (fabs(lh - ref) > 1e-9) printf("\n  log h(%g) = %.15g, reference %.15g\n", zs[i], lh, ref);
    CU_ASSERT_DOUBLE_EQUAL(lh, ref, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(d, dref, 1e-7 * dref);
  }
  double prev = tb_gp_log_h(-40.0, NULL);
  printf("\n  log-EI at z = -40: %.12f (EI itself underflows: %g)\n", prev,
         tb_gp_acq_value(&(tb_gp_acq){TB_GP_ACQ_EI, -40, 0, 0}, 0, 1, NULL, NULL));
  for (double z = -50; z >= -1e4; z *= 1.5) {
    double v = tb_gp_log_h(z, NULL);
    CU_ASSERT(isfinite(v));
    CU_ASSERT(v < prev);
    prev = v;
  }
}

/* ---- the sampler ---- */

/* One minimisation run; returns the best value. x_out (n_trials, dim) optional. */
static double run_study(tb_sampler *s, int dim, int n_trials, double (*fn)(const double *), double *x_out) {
  double best = HUGE_VAL, x[64];
  for (int t = 0; t < n_trials; t++) {
    int64_t id;
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
    CU_ASSERT_EQUAL_FATAL(got, 1);
    double v = fn(x);
    if (x_out) memcpy(x_out + (size_t)t * (size_t)dim, x, (size_t)dim * sizeof *x);
    TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
    best = v < best ? v : best;
  }
  return best;
}

static void test_determinism(void) {
  tb_space *sp = box_space(2, -5, 10, 0, 15);
  enum { T = 14 };
  double xa[T * 2], xb[T * 2], xc[T * 2];
  tb_sampler *a = make_gp(sp, 7, 0, NULL, NULL), *b = make_gp(sp, 7, 0, NULL, NULL), *c = make_gp(sp, 8, 0, NULL, NULL);
  run_study(a, 2, T, branin, xa);
  run_study(b, 2, T, branin, xb);
  run_study(c, 2, T, branin, xc);
  CU_ASSERT(memcmp(xa, xb, sizeof xa) == 0);
  CU_ASSERT(memcmp(xa, xc, sizeof xa) != 0);
  tb_sampler_free(a);
  tb_sampler_free(b);
  tb_sampler_free(c);
  tb_space_free(sp);
}

/* sampler.c runs the samplers' methods on one OpenMP thread (their BLAS calls are small): the suggestions do not
 * depend on the caller's thread setting, and the caller's setting is back after ask and tell. */
static void test_caller_threads(void) {
#ifdef _OPENMP
  tb_space *sp = box_space(2, -5, 10, 0, 15);
  enum { T = 14 };
  double xa[T * 2], xb[T * 2];
  int prev = omp_get_max_threads();
  omp_set_num_threads(1);
  tb_sampler *a = make_gp(sp, 7, 0, NULL, NULL);
  run_study(a, 2, T, branin, xa);
  CU_ASSERT_EQUAL(omp_get_max_threads(), 1);
  omp_set_num_threads(3);
  tb_sampler *b = make_gp(sp, 7, 0, NULL, NULL);
  run_study(b, 2, T, branin, xb);
  CU_ASSERT_EQUAL(omp_get_max_threads(), 3);
  CU_ASSERT(memcmp(xa, xb, sizeof xa) == 0);
  omp_set_num_threads(prev);
  tb_sampler_free(a);
  tb_sampler_free(b);
  tb_space_free(sp);
#endif
}

static double uniform_search(int dim, const double *lo, const double *hi, int n, double (*fn)(const double *)) {
  double best = HUGE_VAL, x[8];
  for (int t = 0; t < n; t++) {
    for (int d = 0; d < dim; d++) x[d] = lo[d] + (hi[d] - lo[d]) * urand();
    double v = fn(x);
    best = v < best ? v : best;
  }
  return best;
}

/* 50 trials, 20 seeds (the issue: "beat random search on Hartmann6 over 20 seeds"): GP-BO's mean regret must be
 * below half of uniform random search's. */
static void test_regret_vs_random(void) {
  enum { SEEDS = 20, T = 50 };
  struct {
    const char *name;
    int dim;
    double lo0, hi0, lo1, hi1, opt;
    double (*fn)(const double *);
  } probs[] = {{"branin", 2, -5, 10, 0, 15, BRANIN_MIN, branin},
               {"hartmann6", 6, 0, 1, 0, 1, HARTMANN6_MIN, hartmann6}};
  for (int p = 0; p < 2; p++) {
    tb_space *sp = box_space(probs[p].dim, probs[p].lo0, probs[p].hi0, probs[p].lo1, probs[p].hi1);
    double lo[6], hi[6], rg = 0, rr = 0;
    for (int d = 0; d < probs[p].dim; d++) {
      lo[d] = d ? probs[p].lo1 : probs[p].lo0;
      hi[d] = d ? probs[p].hi1 : probs[p].hi0;
    }
    clock_t c0 = clock();
    for (int seed = 0; seed < SEEDS; seed++) {
      tb_sampler *s = make_gp(sp, 100 + (uint64_t)seed, 0, NULL, NULL);
      rg += run_study(s, probs[p].dim, T, probs[p].fn, NULL) - probs[p].opt;
      tb_sampler_free(s);
      rr += uniform_search(probs[p].dim, lo, hi, T, probs[p].fn) - probs[p].opt;
    }
    rg /= SEEDS;
    rr /= SEEDS;
    printf("\n  %s, %d trials, mean regret over %d seeds: gp %.4f, random %.4f (gp %.1f s)", probs[p].name, T,
           SEEDS, rg, rr, (double)(clock() - c0) / CLOCKS_PER_SEC);
    CU_ASSERT(rg < 0.5 * rr);
    tb_space_free(sp);
  }
  printf("\n");
}

/* ask(4) after the startup: four distinct valid points, for every pending strategy and acquisition. */
static void test_parallel_pending(void) {
  tb_space *sp = box_space(6, 0, 1, 0, 1);
  const char *modes[] = {"kriging_believer", "liar_min", "liar_mean", "liar_max"};
  const char *acqs[] = {"logei", "ei", "ucb", "pi"};
  for (int m = 0; m < 4; m++) {
    const char *names[] = {"pending", "acq"}, *vals[] = {modes[m], acqs[m]};
    tb_sampler *s = make_gp(sp, 3, 2, names, vals);
    run_study(s, 6, 10, hartmann6, NULL);
    double xs[4 * 6], xs2[4 * 6];
    int64_t ids[4], ids2[4];
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 4, xs, ids, &got));
    CU_ASSERT_EQUAL(got, 4);
    TB_CHECK_OK(tb_sampler_ask(s, 4, xs2, ids2, &got)); /* the first four are still pending */
    CU_ASSERT_EQUAL(got, 4);
    double all[8 * 6];
    memcpy(all, xs, sizeof xs);
    memcpy(all + 24, xs2, sizeof xs2);
    double dmin = HUGE_VAL;
    for (int i = 0; i < 8; i++)
      for (int j = 0; j < i; j++) {
        double d2 = 0;
        for (int d = 0; d < 6; d++) d2 += (all[i * 6 + d] - all[j * 6 + d]) * (all[i * 6 + d] - all[j * 6 + d]);
        dmin = sqrt(d2) < dmin ? sqrt(d2) : dmin;
      }
    printf("\n  pending=%s acq=%s: smallest distance between 8 pending points %.3g", modes[m], acqs[m], dmin);
    CU_ASSERT(dmin > 1e-3);
    for (int i = 0; i < 4; i++) {
      double v = hartmann6(xs + i * 6), v2 = hartmann6(xs2 + i * 6);
      TB_CHECK_OK(tb_sampler_tell(s, ids[i], &v, TB_TRIAL_COMPLETE));
      TB_CHECK_OK(tb_sampler_tell(s, ids2[i], &v2, TB_TRIAL_COMPLETE));
    }
    tb_sampler_free(s);
  }
  printf("\n");
  tb_space_free(sp);
}

/* float + log int + categorical + fixed + a float conditional on the categorical; the objective is best at
 * choice "c" with lr near 0.01. Failed trials are ignored, pruned ones with a value used. */
static double mixed_fn(const double *x) {
  double cat_pen[3] = {1.0, 0.6, 0.0};
  double l = log10(x[0]) + 2.0;
  return l * l + 0.02 * fabs(x[1] - 32) + cat_pen[(int)x[2]];
}

static void test_mixed_space(void) {
  tb_space *sp;
  const char *ch[] = {"a", "b", "c"};
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-5, 1.0, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "units", 4, 256, 1, 1));
  TB_CHECK_OK(tb_space_add_categorical(sp, "kind", 3, ch));
  TB_CHECK_OK(tb_space_add_fixed(sp, "epochs", 3));
  TB_CHECK_OK(tb_space_add_float(sp, "momentum", 0.0, 0.99, 0)); /* active only for kind "b" */
  TB_CHECK_OK(tb_space_add_condition(sp, "momentum", "kind", 1, (const double[]){1.0}));
  TB_CHECK_OK(tb_space_finalize(sp));
  tb_sampler *s = make_gp(sp, 11, 0, NULL, NULL);
  double best = HUGE_VAL, bx[5] = {0};
  int counts[3] = {0};
  for (int t = 0; t < 30; t++) {
    double x[5];
    int64_t id;
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
    CU_ASSERT(x[1] == floor(x[1]) && x[3] == 3.0);
    CU_ASSERT(x[2] == 1.0 ? isfinite(x[4]) : isnan(x[4]));
    counts[(int)x[2]]++;
    double v = mixed_fn(x);
    if (t % 7 == 3) {
      TB_CHECK_OK(tb_sampler_tell(s, id, NULL, TB_TRIAL_FAILED));
      continue;
    }
    TB_CHECK_OK(tb_sampler_tell(s, id, &v, t % 7 == 5 ? TB_TRIAL_PRUNED : TB_TRIAL_COMPLETE));
    if (v < best) best = v, memcpy(bx, x, sizeof bx);
  }
  printf("\n  mixed space: best %.4f at lr %.3g units %g kind %s; choices tried a %d b %d c %d\n", best, bx[0], bx[1],
         ch[(int)bx[2]], counts[0], counts[1], counts[2]);
  CU_ASSERT_EQUAL(bx[2], 2.0);
  CU_ASSERT(best < 0.5);
  CU_ASSERT(counts[2] > counts[0]);
  tb_sampler_free(s);
  tb_space_free(sp);
}

/* max_obs = 20 on Branin: the model keeps the 10 best and the 10 most recent of 40 trials and still converges,
 * here without the local L-BFGS step (seeds 21..25 give regrets 0.001..0.05 on one BLAS thread). */
static void test_max_obs_subset(void) {
  tb_space *sp = box_space(2, -5, 10, 0, 15);
  const char *names[] = {"max_obs", "n_startup", "n_local"}, *vals[] = {"20", "6", "0"};
  tb_sampler *s = make_gp(sp, 21, 3, names, vals); /* n_local = 0: candidates and the categorical sweep only */
  double regret = run_study(s, 2, 40, branin, NULL) - BRANIN_MIN;
  printf("\n  branin with max_obs = 20, n_local = 0, 40 trials: regret %.4f\n", regret);
  CU_ASSERT(regret < 0.3); /* uniform random search: about 1 at 40 trials (see regret_vs_random) */
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void test_bad_options(void) {
  tb_space *sp = box_space(2, 0, 1, 0, 1);
  const char *bad[][2] = {{"acq", "foo"},     {"xi", "-1"},       {"pending", "liar"}, {"n_startup", "0"},
                          {"ucb_beta", "abc"}, {"refit_every", "0"}, {"gamma", "0.25"},  {"n_candidates", "3"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    tb_sampler_config cfg = {.seed = 1, .n_objectives = 1, .n_options = 1, .option_names = &bad[i][0],
                             .option_values = &bad[i][1]};
    tb_sampler *s = (tb_sampler *)1;
    int rc = tb_sampler_create("gp", sp, &cfg, &s);
    CU_ASSERT_EQUAL(rc, TB_ERR_INVALID);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT(strlen(tb_error_detail()) > 0);
  }
  tb_sampler_config two = {.seed = 1, .n_objectives = 2};
  tb_sampler *s = NULL;
  CU_ASSERT_EQUAL(tb_sampler_create("gp", sp, &two, &s), TB_ERR_INVALID);
  tb_space_free(sp);
  TB_CHECK_OK(tb_space_init(&sp)); /* only fixed parameters: nothing to model */
  TB_CHECK_OK(tb_space_add_fixed(sp, "c", 1.0));
  TB_CHECK_OK(tb_space_finalize(sp));
  tb_sampler_config one = {.seed = 1, .n_objectives = 1};
  CU_ASSERT_EQUAL(tb_sampler_create("gp", sp, &one, &s), TB_ERR_INVALID);
  tb_space_free(sp);
}

/* 500 observed Hartmann6 trials, then 20 suggestions (two hyperparameter refits among them). */
static void test_time_per_suggestion(void) {
  tb_space *sp = box_space(6, 0, 1, 0, 1);
  tb_sampler *s = make_gp(sp, 5, 0, NULL, NULL);
  for (int t = 0; t < 500; t++) {
    double x[6], v;
    for (int d = 0; d < 6; d++) x[d] = urand();
    v = hartmann6(x);
    TB_CHECK_OK(tb_sampler_add_observation(s, x, &v, TB_TRIAL_COMPLETE));
  }
  struct timespec t0, t1;
  double ms[20], total = 0;
  for (int k = 0; k < 20; k++) {
    double x[6], v;
    int64_t id;
    int got;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms[k] = 1e3 * (double)(t1.tv_sec - t0.tv_sec) + 1e-6 * (double)(t1.tv_nsec - t0.tv_nsec);
    total += ms[k];
    v = hartmann6(x);
    TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
  }
  double sorted[20];
  memcpy(sorted, ms, sizeof ms);
  for (int i = 1; i < 20; i++)
    for (int j = i; j > 0 && sorted[j] < sorted[j - 1]; j--) {
      double t = sorted[j];
      sorted[j] = sorted[j - 1], sorted[j - 1] = t;
    }
  printf("\n  time per suggestion at 500 trials (6-d): mean %.1f ms, median %.1f ms, max %.1f ms (first, with a fit: "
         "%.1f ms)\n", total / 20, (sorted[9] + sorted[10]) / 2, sorted[19], ms[0]);
  /* no timing assertion: the 100 ms target is measured by the benchmark (scripts/bench/samplers.py) */
  tb_sampler_free(s);
  tb_space_free(sp);
}

static const tb_test_case cases[] = {{"kernel_gradient", test_kernel_gradient},
                                     {"lengthscale_recovery", test_lengthscale_recovery},
                                     {"interpolation", test_interpolation},
                                     {"acquisition_formulas", test_acquisition_formulas},
                                     {"determinism", test_determinism},
                                     {"caller_threads", test_caller_threads},
                                     {"regret_vs_random", test_regret_vs_random},
                                     {"parallel_pending", test_parallel_pending},
                                     {"mixed_space", test_mixed_space},
                                     {"max_obs_subset", test_max_obs_subset},
                                     {"bad_options", test_bad_options},
                                     {"time_per_suggestion", test_time_per_suggestion},
                                     {NULL, NULL}};
TB_TEST_MAIN("sampler_gp", cases)
