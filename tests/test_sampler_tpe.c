/* test_sampler_tpe.c: the TPE sampler (host/samplers/tpe.c) through tb_sampler_*: bad options, determinism (the
 * defaults and preset=optuna31), startup trials, the defaults and the preset spelt out option by option, EI weights,
 * Hartmann6 regret against random search and the defaults against preset=optuna31 (20 seeds), maximisation, categorical
 * and int / log-int concentration, conditional spaces with fixed, log and int parameters and pruned and failed
 * trials, constant liar, and the time per suggestion at 1000 trials (printed, not asserted). The estimators
 * themselves are checked against a double reference by tests/test_sampler_tpe_parzen.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb_sampler.h"
#include "tb_test.h"

/* ---- helpers ------------------------------------------------------------------------------------------------ */

static uint64_t lcg = 12345;
static double rnd(void) { /* test-side inputs only (fixed seed) */
  lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(lcg >> 11) * (1.0 / 9007199254740992.0);
}

static double hartmann6(const double *x) {
  static const double a[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
                                 {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}};
  double f = 0.0;
  for (int i = 0; i < 4; i++) {
    double e = 0.0;
    for (int j = 0; j < 6; j++) e += A[i][j] * (x[j] - 1e-4 * P[i][j]) * (x[j] - 1e-4 * P[i][j]);
    f -= a[i] * exp(-e);
  }
  return f;
}
#define HARTMANN6_MIN (-3.32237)

static tb_space *box_space(int d) {
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_space_init(&sp));
  for (int j = 0; j < d; j++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", j);
    TB_CHECK_OK(tb_space_add_float(sp, name, 0.0, 1.0, 0));
  }
  TB_CHECK_OK(tb_space_finalize(sp));
  return sp;
}

static int make(const tb_space *sp, uint64_t seed, int maximize, int n_opt, const char *const *names,
                const char *const *values, tb_sampler **out) {
  tb_sampler_config cfg = {.seed = seed, .n_objectives = 1, .n_options = n_opt, .option_names = names,
                           .option_values = values};
  cfg.maximize[0] = maximize;
  return tb_sampler_create("tpe", sp, &cfg, out);
}

/* Runs n_trials sequential ask/tell on Hartmann6; returns the best value; xs_out (n_trials, 6) if not NULL. */
static double run_h6(uint64_t seed, int n_trials, int maximize, int n_opt, const char *const *names,
                     const char *const *values, double *xs_out) {
  tb_space *sp = box_space(6);
  tb_sampler *s = NULL;
  TB_CHECK_OK(make(sp, seed, maximize, n_opt, names, values, &s));
  double best = INFINITY, x[6];
  for (int t = 0; t < n_trials; t++) {
    int64_t id;
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
    CU_ASSERT_EQUAL(got, 1);
    double f = hartmann6(x), v = maximize ? -f : f;
    TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
    if (f < best) best = f;
    if (xs_out) memcpy(xs_out + (size_t)t * 6, x, sizeof x);
  }
  tb_sampler_free(s);
  tb_space_free(sp);
  return best;
}

/* ---- the sampler ---------------------------------------------------------------------------------------------- */

static void test_bad_options(void) {
  tb_space *sp = box_space(2);
  tb_sampler *s = NULL;
  const char *bad[][2] = {{"gamma", "0"},          {"gamma", "1.5"},         {"gamma", "x"},
                          {"gamma_mode", "optunaa"}, {"prior_weight", "0"},  {"prior_weight", "-1"},
                          {"n_ei_candidates", "0"}, {"n_startup", "-1"},     {"n_startup", "2.5"},
                          {"multivariate", "2"},    {"constant_liar", "yes"}, {"consider_endpoints", "-1"},
                          {"consider_magic_clip", "3"}, {"weights", "linear"}, {"score", "exact"},
                          {"preset", "optuna"},     {"preset", ""},           {"min_bandwidth", "-0.01"},
                          {"min_bandwidth", "1.5"}, {"min_bandwidth", "nan"}, {"multivariate_bandwidth", "scott"},
                          {"magic_clip_exponent", "0.4"}, {"magic_clip_exponent", "4.5"},
                          {"magic_clip_exponent", "nan"}, {"no_such_option", "1"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *nm = bad[i][0], *vl = bad[i][1];
    int rc = make(sp, 1, 0, 1, &nm, &vl, &s);
    CU_ASSERT_EQUAL(rc, TB_ERR_INVALID);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT(strstr(tb_error_detail(), nm) != NULL);
  }
  tb_sampler_config two = {.seed = 1, .n_objectives = 2}; /* TPE is single-objective */
  CU_ASSERT_EQUAL(tb_sampler_create("tpe", sp, &two, &s), TB_ERR_INVALID);
  const char *nm[] = {"gamma", "gamma_mode", "prior_weight", "n_ei_candidates", "n_startup", "consider_endpoints",
                      "consider_magic_clip", "multivariate", "constant_liar", "weights", "score", "preset",
                      "min_bandwidth", "multivariate_bandwidth", "magic_clip_exponent"};
  const char *vl[] = {"0.25", "hyperopt", "2", "8", "3", "1", "0", "1", "1", "ei", "density", "optuna31", "0.1",
                      "gaps", "2"};
  TB_CHECK_OK(make(sp, 1, 0, 15, nm, vl, &s)); /* every option accepted at a valid value, and it runs */
  for (int t = 0; t < 12; t++) {
    double x[2], v;
    int64_t id;
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
    v = (x[0] - 0.3) * (x[0] - 0.3) + x[1];
    TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
  }
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void test_determinism_and_startup(void) {
  enum { T = 30 };
  static double a[T * 6], b[T * 6], c[T * 6];
  run_h6(42, T, 0, 0, NULL, NULL, a);
  run_h6(42, T, 0, 0, NULL, NULL, b);
  CU_ASSERT(memcmp(a, b, sizeof a) == 0);
  run_h6(43, T, 0, 0, NULL, NULL, c);
  CU_ASSERT(memcmp(a, c, 6 * sizeof(double)) != 0);
  const char *pn[] = {"preset"}, *pv[] = {"optuna31"}; /* the old defaults are as deterministic */
  run_h6(42, T, 0, 1, pn, pv, b);
  run_h6(42, T, 0, 1, pn, pv, c);
  CU_ASSERT(memcmp(b, c, sizeof b) == 0);
  CU_ASSERT(memcmp(a, b, sizeof a) != 0);
  /* n_startup = 10: the first 10 suggestions do not depend on the results, the 11th does */
  tb_space *sp = box_space(6);
  tb_sampler *s1 = NULL, *s2 = NULL;
  TB_CHECK_OK(make(sp, 5, 0, 0, NULL, NULL, &s1));
  TB_CHECK_OK(make(sp, 5, 0, 0, NULL, NULL, &s2));
  for (int t = 0; t < 11; t++) {
    double x1[6], x2[6];
    int64_t id1, id2;
    int got;
    TB_CHECK_OK(tb_sampler_ask(s1, 1, x1, &id1, &got));
    TB_CHECK_OK(tb_sampler_ask(s2, 1, x2, &id2, &got));
    if (t < 10) CU_ASSERT(memcmp(x1, x2, sizeof x1) == 0);
    if (t == 10) CU_ASSERT(memcmp(x1, x2, sizeof x1) != 0);
    double v1 = hartmann6(x1), v2 = -hartmann6(x2); /* opposite rankings */
    TB_CHECK_OK(tb_sampler_tell(s1, id1, &v1, TB_TRIAL_COMPLETE));
    TB_CHECK_OK(tb_sampler_tell(s2, id2, &v2, TB_TRIAL_COMPLETE));
  }
  tb_sampler_free(s1);
  tb_sampler_free(s2);
  tb_space_free(sp);
}

/* The defaults are the explicit options docs/samplers.md lists, and preset=optuna31 is Optuna 3.1's; an explicit
 * option overrides the preset's value. Same suggestions, bit for bit, over 30 trials past the startup. */
static void test_presets(void) {
  enum { T = 30 };
  static double a[T * 6], b[T * 6];
  const char *dn[] = {"multivariate", "multivariate_bandwidth", "weights", "score", "gamma", "min_bandwidth",
                      "consider_endpoints", "consider_magic_clip", "prior_weight", "n_ei_candidates",
                      "magic_clip_exponent"};
  const char *dv[] = {"1", "gaps", "ei", "density", "0.15", "0.03", "0", "1", "1", "24", "1.15"};
  run_h6(7, T, 0, 0, NULL, NULL, a);
  run_h6(7, T, 0, 11, dn, dv, b);
  CU_ASSERT(memcmp(a, b, sizeof a) == 0);
  const char *on[] = {"preset", "multivariate", "multivariate_bandwidth", "weights", "score", "gamma",
                      "min_bandwidth", "magic_clip_exponent"};
  const char *ov[] = {"default", "0", "optuna", "optuna", "optuna31", "0.1", "0", "1"};
  const char *pn[] = {"preset"}, *pv[] = {"optuna31"};
  run_h6(7, T, 0, 1, pn, pv, a);
  run_h6(7, T, 0, 8, on, ov, b); /* the old defaults spelt out on top of preset=default */
  CU_ASSERT(memcmp(a, b, sizeof a) == 0);
  const char *mn[] = {"preset", "multivariate"}, *mv[] = {"optuna31", "1"};
  run_h6(7, T, 0, 2, mn, mv, b); /* an explicit option wins over the preset */
  CU_ASSERT(memcmp(a, b, sizeof a) != 0);
  on[1] = "multivariate", ov[1] = "1";
  run_h6(7, T, 0, 8, on, ov, a);
  CU_ASSERT(memcmp(a, b, sizeof a) == 0);
}

/* weights=ei (Watanabe 2023): a good trial's weight is y* - y, y* the best value of the bad set, so a good trial
 * that ties y* has weight ~0 and l(x) has no kernel there. 1-d, gamma 0.1 of 20 trials: n_below = 2, the good set
 * is x = 0.2 (value 0) and x = 0.8 (value 1, tying the 18 bad trials spread over [0.05, 0.95] away from both).
 * Candidates drawn near 0.8 come only from its kernel (or the wide prior), so with EI weights the suggestions
 * almost never land within 0.04 of 0.8; with uniform weights the kernel at 0.8 is as likely as the one at 0.2. */
static int near_08(const char *weights) {
  tb_space *sp = box_space(1);
  tb_sampler *s = NULL;
  const char *nm[] = {"weights", "gamma", "multivariate"}, *vl[] = {weights, "0.1", "0"};
  TB_CHECK_OK(make(sp, 11, 0, 3, nm, vl, &s));
  double x = 0.2, v = 0.0;
  TB_CHECK_OK(tb_sampler_add_observation(s, &x, &v, TB_TRIAL_COMPLETE));
  x = 0.8, v = 1.0;
  TB_CHECK_OK(tb_sampler_add_observation(s, &x, &v, TB_TRIAL_COMPLETE));
  for (int i = 0; i < 18; i++) {
    x = 0.05 + 0.9 * i / 17.0;
    if (fabs(x - 0.2) < 0.04 || fabs(x - 0.8) < 0.04) x += 0.045;
    TB_CHECK_OK(tb_sampler_add_observation(s, &x, &v, TB_TRIAL_COMPLETE));
  }
  int near = 0;
  for (int t = 0; t < 200; t++) { /* pending asks are ignored without constant_liar: the sets stay the same */
    int64_t id;
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 1, &x, &id, &got));
    near += fabs(x - 0.8) < 0.04;
  }
  tb_sampler_free(s);
  tb_space_free(sp);
  return near;
}

static void test_ei_weights(void) {
  int ei = near_08("ei"), uni = near_08("uniform");
  printf("\n  suggestions within 0.04 of a good trial that ties y*: %d of 200 (weights=ei), %d (uniform)\n", ei, uni);
  CU_ASSERT(ei <= 4);
  CU_ASSERT(uni >= 20);
}

/* Mean regret over 20 seeds at 100 trials: TPE (the defaults; preset=optuna31, univariate and multivariate) against
 * random search (TPE with n_startup = 100, i.e. uniform draws through the same code). The issue quotes Optuna 3.1:
 * TPE 0.33, random 1.26. The defaults must also beat preset=optuna31 on these seeds (at 400 other seeds they do by
 * about 9 standard errors: results/bench/samplers-2026-11-26-defaults-tpe.md). */
static void test_hartmann6_regret(void) {
  const char *n_o[] = {"preset"}, *v_o[] = {"optuna31"};
  const char *n_mv[] = {"preset", "multivariate"}, *v_mv[] = {"optuna31", "1"};
  const char *n_rs[] = {"n_startup"}, *v_rs[] = {"100"};
  double r_tpe = 0.0, r_o = 0.0, r_mv = 0.0, r_rs = 0.0;
  for (uint64_t seed = 0; seed < 20; seed++) {
    r_tpe += (run_h6(seed, 100, 0, 0, NULL, NULL, NULL) - HARTMANN6_MIN) / 20;
    r_o += (run_h6(seed, 100, 0, 1, n_o, v_o, NULL) - HARTMANN6_MIN) / 20;
    r_mv += (run_h6(seed, 100, 0, 2, n_mv, v_mv, NULL) - HARTMANN6_MIN) / 20;
    r_rs += (run_h6(seed, 100, 0, 1, n_rs, v_rs, NULL) - HARTMANN6_MIN) / 20;
  }
  printf("\n  Hartmann6, 100 trials, mean regret over 20 seeds: tpe %.3f, preset=optuna31 %.3f (multivariate %.3f), "
         "random %.3f\n", r_tpe, r_o, r_mv, r_rs);
  CU_ASSERT(r_tpe < 0.6 * r_rs);
  CU_ASSERT(r_o < 0.6 * r_rs);
  CU_ASSERT(r_mv < 0.6 * r_rs);
  CU_ASSERT(r_tpe < r_o);
}

static void test_maximize(void) {
  /* maximising -f must give exactly the suggestions of minimising f (sampler.c negates; TPE minimises) */
  enum { T = 25 };
  static double a[T * 6], b[T * 6];
  run_h6(9, T, 0, 0, NULL, NULL, a);
  run_h6(9, T, 1, 0, NULL, NULL, b);
  CU_ASSERT(memcmp(a, b, sizeof a) == 0);
}

static void test_categorical_concentrates(void) {
  const char *ch[] = {"a", "b", "c", "d", "e"};
  int hits = 0, total = 0;
  for (uint64_t seed = 0; seed < 5; seed++) {
    tb_space *sp = NULL;
    tb_sampler *s = NULL;
    TB_CHECK_OK(tb_space_init(&sp));
    TB_CHECK_OK(tb_space_add_categorical(sp, "c1", 5, ch));
    TB_CHECK_OK(tb_space_add_categorical(sp, "c2", 5, ch));
    TB_CHECK_OK(tb_space_finalize(sp));
    TB_CHECK_OK(make(sp, seed, 0, 0, NULL, NULL, &s));
    for (int t = 0; t < 60; t++) {
      double x[2], v;
      int64_t id;
      int got;
      TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
      CU_ASSERT(x[0] == floor(x[0]) && x[0] >= 0 && x[0] < 5 && x[1] == floor(x[1]) && x[1] >= 0 && x[1] < 5);
      v = fabs(x[0] - 2) + 0.5 * fabs(x[1] - 3) + 0.1 * rnd(); /* best: (c, d) */
      TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
      if (t >= 40) total++, hits += x[0] == 2 && x[1] == 3;
    }
    tb_sampler_free(s);
    tb_space_free(sp);
  }
  printf("\n  categorical 5x5: best pair in %d of the last %d suggestions (random: 4%%)\n", hits, total);
  CU_ASSERT(hits > total * 3 / 10);
}

/* Int parameters are scored by their cell's mass and log-ints at log(value) (Optuna 3.1): both must concentrate
 * on the optimum, an int with step 3 in 0..27 at 15 and a log-int in 1..1000 near 30, and stay valid values. */
static void test_int_concentrates(void) {
  int hits_i = 0, hits_l = 0, total = 0;
  for (uint64_t seed = 0; seed < 5; seed++) {
    tb_space *sp = NULL;
    tb_sampler *s = NULL;
    TB_CHECK_OK(tb_space_init(&sp));
    TB_CHECK_OK(tb_space_add_int(sp, "k", 0, 27, 3, 0));
    TB_CHECK_OK(tb_space_add_int(sp, "n", 1, 1000, 1, 1));
    TB_CHECK_OK(tb_space_finalize(sp));
    TB_CHECK_OK(make(sp, seed, 0, 0, NULL, NULL, &s));
    for (int t = 0; t < 60; t++) {
      double x[2], v;
      int64_t id;
      int got;
      TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
      CU_ASSERT(x[0] == 3 * floor(x[0] / 3) && x[0] >= 0 && x[0] <= 27);
      CU_ASSERT(x[1] == floor(x[1]) && x[1] >= 1 && x[1] <= 1000);
      v = fabs(x[0] - 15) / 3 + fabs(log(x[1] / 30.0)) + 0.05 * rnd();
      TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
      if (t >= 40) total++, hits_i += x[0] == 15, hits_l += x[1] >= 20 && x[1] <= 45;
    }
    tb_sampler_free(s);
    tb_space_free(sp);
  }
  printf("\n  int 0..27 step 3: best value in %d of the last %d suggestions (random: 10%%); log-int 1..1000: "
         "20..45 in %d (random: 6%%)\n", hits_i, total, hits_l);
  CU_ASSERT(hits_i > total * 3 / 10);
  CU_ASSERT(hits_l > total * 3 / 10);
}

/* model in {lin, tree}; lin -> lr (log float); tree -> depth (int) -> leaves (log int, active for depth 4, 5, 6);
 * bias (float) and seed (fixed) always. Pruned trials with and without a value, failed trials mixed in. */
static void run_conditional(uint64_t seed, int multivariate, int *n_tree) {
  const char *models[] = {"lin", "tree"};
  tb_space *sp = NULL;
  tb_sampler *s = NULL;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_categorical(sp, "model", 2, models));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-5, 1.0, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "depth", 1, 6, 1, 0));
  TB_CHECK_OK(tb_space_add_int(sp, "leaves", 2, 200, 1, 1));
  TB_CHECK_OK(tb_space_add_float(sp, "bias", -1.0, 1.0, 0));
  TB_CHECK_OK(tb_space_add_fixed(sp, "seed", 7.0));
  double v0 = 0, v1 = 1, deep[3] = {4, 5, 6};
  TB_CHECK_OK(tb_space_add_condition(sp, "lr", "model", 1, &v0));
  TB_CHECK_OK(tb_space_add_condition(sp, "depth", "model", 1, &v1));
  TB_CHECK_OK(tb_space_add_condition(sp, "leaves", "depth", 3, deep));
  TB_CHECK_OK(tb_space_finalize(sp));
  const char *nm[] = {"multivariate", "constant_liar"}, *vl[] = {multivariate ? "1" : "0", "1"};
  TB_CHECK_OK(make(sp, seed, 0, 2, nm, vl, &s));
  char msg[128];
  *n_tree = 0;
  for (int t = 0; t < 80; t += 2) {
    double x[12], v;
    int64_t id[2];
    int got;
    TB_CHECK_OK(tb_sampler_ask(s, 2, x, id, &got)); /* sampler.c checks every suggestion too */
    CU_ASSERT_EQUAL(got, 2);
    for (int k = 0; k < 2; k++) {
      const double *xk = x + 6 * k;
      CU_ASSERT_PTR_NULL(tb_space_check(sp, xk, msg, sizeof msg));
      CU_ASSERT_EQUAL(xk[5], 7.0);
      if (xk[0] == 0) { /* lin: best at lr = 1e-2 */
        CU_ASSERT(!isnan(xk[1]) && isnan(xk[2]) && isnan(xk[3]));
        v = 1.0 + fabs(log10(xk[1]) + 2.0) + xk[4] * xk[4];
      } else { /* tree: better, best at depth 5, leaves 50 */
        CU_ASSERT(isnan(xk[1]) && !isnan(xk[2]) && xk[2] == floor(xk[2]));
        CU_ASSERT(isnan(xk[3]) == (xk[2] < 4));
        v = 0.2 * fabs(xk[2] - 5) + (isnan(xk[3]) ? 1.0 : fabs(log(xk[3] / 50.0))) + xk[4] * xk[4];
        if (t >= 50) (*n_tree)++;
      }
      tb_trial_state st = (t + k) % 9 == 4 ? TB_TRIAL_FAILED : TB_TRIAL_COMPLETE;
      if ((t + k) % 11 == 7) st = TB_TRIAL_PRUNED, v = ((t + k) % 2) ? v + 0.5 : NAN;
      TB_CHECK_OK(tb_sampler_tell(s, id[k], &v, st));
    }
  }
  tb_sampler_free(s);
  tb_space_free(sp);
}

/* A run settles on one branch (about 80% of runs on the better one, at 200 seeds), so the share is taken over 40
 * runs: random choice gives 0.5, the threshold is 0.65 (2.4 standard deviations below 0.8). */
static void test_conditional(void) {
  enum { SEEDS = 40 };
  int uni = 0, mv = 0, n;
  for (uint64_t seed = 0; seed < SEEDS; seed++) {
    run_conditional(seed, 0, &n), uni += n;
    run_conditional(seed, 1, &n), mv += n;
  }
  printf("\n  conditional: the better branch in %d (univariate) and %d (multivariate) of the last %dx30\n", uni, mv,
         SEEDS);
  CU_ASSERT(uni > 0.65 * 30 * SEEDS);
  CU_ASSERT(mv > 0.65 * 30 * SEEDS);
}

/* ask(8) at once after 20 results: 8 distinct suggestions; the liar spreads them more than without it. */
static double batch_spread(uint64_t seed, int liar) {
  tb_space *sp = box_space(6);
  tb_sampler *s = NULL;
  const char *nm[] = {"constant_liar"}, *vl[] = {liar ? "1" : "0"};
  TB_CHECK_OK(make(sp, seed, 0, 1, nm, vl, &s));
  double x[8 * 6], spread = 0.0;
  int64_t id[8];
  int got;
  for (int t = 0; t < 20; t++) {
    TB_CHECK_OK(tb_sampler_ask(s, 1, x, id, &got));
    double v = hartmann6(x);
    TB_CHECK_OK(tb_sampler_tell(s, id[0], &v, TB_TRIAL_COMPLETE));
  }
  TB_CHECK_OK(tb_sampler_ask(s, 8, x, id, &got));
  CU_ASSERT_EQUAL(got, 8);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < i; j++) {
      double d2 = 0.0;
      for (int k = 0; k < 6; k++) d2 += (x[i * 6 + k] - x[j * 6 + k]) * (x[i * 6 + k] - x[j * 6 + k]);
      CU_ASSERT(d2 > 0.0);
      spread += sqrt(d2) / 28;
    }
  tb_sampler_free(s);
  tb_space_free(sp);
  return spread;
}

static void test_constant_liar(void) {
  double with = 0.0, without = 0.0;
  for (uint64_t seed = 0; seed < 10; seed++) with += batch_spread(seed, 1) / 10, without += batch_spread(seed, 0) / 10;
  printf("\n  ask(8): mean pairwise distance %.3f with constant liar, %.3f without\n", with, without);
  CU_ASSERT(with > without);
}

static double now(void) { /* process CPU time: the test machine is shared, wall time is not the sampler's */
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Time per suggestion with 1000 observed trials in 6-d (printed; speed targets live in scripts/bench/). */
static void test_time_per_suggestion(void) {
  for (int mv = 0; mv < 2; mv++) {
    tb_space *sp = box_space(6);
    tb_sampler *s = NULL;
    const char *nm[] = {"multivariate"}, *vl[] = {mv ? "1" : "0"};
    TB_CHECK_OK(make(sp, 3, 0, 1, nm, vl, &s));
    for (int t = 0; t < 1000; t++) {
      double x[6], v;
      for (int k = 0; k < 6; k++) x[k] = rnd();
      v = hartmann6(x);
      TB_CHECK_OK(tb_sampler_add_observation(s, x, &v, TB_TRIAL_COMPLETE));
    }
    const int n = 50;
    double t0 = now();
    for (int t = 0; t < n; t++) {
      double x[6], v;
      int64_t id;
      int got;
      TB_CHECK_OK(tb_sampler_ask(s, 1, x, &id, &got));
      v = hartmann6(x);
      TB_CHECK_OK(tb_sampler_tell(s, id, &v, TB_TRIAL_COMPLETE));
    }
    printf("\n  %s TPE, 6-d, 1000-1050 trials: %.3f ms CPU per suggestion (Optuna 3.1: ~53 ms)", mv ? "multivariate" : "univariate",
           (now() - t0) / n * 1e3);
    tb_sampler_free(s);
    tb_space_free(sp);
  }
  printf("\n");
}

static const tb_test_case cases[] = {{"bad_options", test_bad_options},
                                     {"determinism_and_startup", test_determinism_and_startup},
                                     {"presets", test_presets},
                                     {"ei_weights", test_ei_weights},
                                     {"hartmann6_regret", test_hartmann6_regret},
                                     {"maximize", test_maximize},
                                     {"categorical_concentrates", test_categorical_concentrates},
                                     {"int_concentrates", test_int_concentrates},
                                     {"conditional", test_conditional},
                                     {"constant_liar", test_constant_liar},
                                     {"time_per_suggestion", test_time_per_suggestion},
                                     {NULL, NULL}};
TB_TEST_MAIN("sampler_tpe", cases)
