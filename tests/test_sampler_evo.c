/* test_sampler_evo.c: tests of the evolutionary samplers: cmaes (host/samplers/cmaes.c), evolution
 * (host/samplers/evolution.c) and nsga2 (host/samplers/nsga2.c), driven through the public ask/tell interface on
 * functions written here (shifted sphere, integer sphere, a mixed conditional problem, a discrete problem) and from
 * host/objective/testfn.c (Rosenbrock, Rastrigin written here, ZDT1). Checks convergence (stated thresholds), IPOP
 * restarts, beating uniform random search, aging, generation bookkeeping with failed trials, determinism for a seed,
 * and bad spaces and options. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_pareto.h"
#include "tb_rng.h"
#include "tb_sampler.h"
#include "tb_testfn.h"
#include "tb_test.h"

/* objective: fills vals, returns the trial state */
typedef tb_trial_state (*obj_fn)(const double *x, void *ctx, double *vals);

typedef struct {
  const char *name;
  int n_obj, n_opt;
  const char *on[6], *ov[6];
} run_cfg;

typedef struct {
  size_t n;
  double *x, *y; /* (n, dim), (n, n_obj) */
  double best;
} run_log;

/* n_evals trials asked `batch` at a time and told in reverse order. */
static int run(const run_cfg *c, const tb_space *sp, obj_fn f, void *ctx, int n_evals, int batch, uint64_t seed,
               run_log *log) {
  int rc = TB_OK, dim = tb_space_dim(sp);
  tb_sampler_config cfg = {.seed = seed, .n_objectives = c->n_obj, .n_options = c->n_opt,
                           .option_names = c->on, .option_values = c->ov};
  tb_sampler *s = NULL;
  double *xs = malloc(sizeof(double) * (size_t)batch * (size_t)dim);
  int64_t *ids = malloc(sizeof(int64_t) * (size_t)batch);
  if (log) {
    log->n = 0;
    log->best = INFINITY;
    log->x = malloc(sizeof(double) * (size_t)n_evals * (size_t)dim);
    log->y = malloc(sizeof(double) * (size_t)n_evals * (size_t)c->n_obj);
  }
  TB_TRY(tb_sampler_create(c->name, sp, &cfg, &s));
  for (int done = 0; done < n_evals;) {
    int want = n_evals - done < batch ? n_evals - done : batch, got = 0;
    TB_TRY(tb_sampler_ask(s, want, xs, ids, &got));
    for (int k = got - 1; k >= 0; k--) {
      double v[TB_MAX_OBJECTIVES];
      tb_trial_state st = f(xs + (size_t)k * (size_t)dim, ctx, v);
      TB_TRY(tb_sampler_tell(s, ids[k], v, st));
      if (log) {
        memcpy(log->x + log->n * (size_t)dim, xs + (size_t)k * (size_t)dim, sizeof(double) * (size_t)dim);
        for (int o = 0; o < c->n_obj; o++) log->y[log->n * (size_t)c->n_obj + (size_t)o] = st ? NAN : v[o];
        if (st == TB_TRIAL_COMPLETE && v[0] < log->best) log->best = v[0];
        log->n++;
      }
    }
    done += got;
  }
done:
  tb_sampler_free(s);
  free(xs);
  free(ids);
  return rc;
}

static void log_free(run_log *l) {
  free(l->x);
  free(l->y);
}

static tb_space *float_space(int d, double lo, double hi) {
  tb_space *sp;
  TB_CHECK_OK(tb_space_init(&sp));
  for (int i = 0; i < d; i++) {
    char name[8] = {'x', (char)('0' + i), 0};
    TB_CHECK_OK(tb_space_add_float(sp, name, lo, hi, 0));
  }
  TB_CHECK_OK(tb_space_finalize(sp));
  return sp;
}

/* ---- objectives ---- */
static tb_trial_state sphere(const double *x, void *ctx, double *v) {
  int d = *(int *)ctx;
  v[0] = 0;
  for (int i = 0; i < d; i++) v[0] += (x[i] - (1.3 - 0.7 * i)) * (x[i] - (1.3 - 0.7 * i)); /* minimum 0 off-centre */
  return TB_TRIAL_COMPLETE;
}

/* ellipsoid with condition number 1e6: solved only if the covariance matrix is learnt */
static tb_trial_state ellipsoid(const double *x, void *ctx, double *v) {
  int d = *(int *)ctx;
  v[0] = 0;
  for (int i = 0; i < d; i++) {
    double z = x[i] - (1.3 - 0.7 * i);
    v[0] += pow(1e6, (double)i / (d - 1)) * z * z;
  }
  return TB_TRIAL_COMPLETE;
}

static tb_trial_state sphere_failing(const double *x, void *ctx, double *v) {
  sphere(x, ctx, v);
  return x[0] > 3.5 ? TB_TRIAL_FAILED : TB_TRIAL_COMPLETE; /* a crashing region away from the optimum */
}

static tb_trial_state rastrigin(const double *x, void *ctx, double *v) {
  int d = *(int *)ctx;
  v[0] = 10.0 * d;
  for (int i = 0; i < d; i++) v[0] += x[i] * x[i] - 10 * cos(2 * M_PI * x[i]);
  return TB_TRIAL_COMPLETE;
}

static tb_trial_state testfn_obj(const double *x, void *ctx, double *v) {
  return tb_testfn_eval(ctx, x, v) == TB_OK ? TB_TRIAL_COMPLETE : TB_TRIAL_FAILED;
}

/* Each "name=value" in opts (NULL-terminated) alone must make creation fail with TB_ERR_INVALID. */
static void expect_bad_options(const char *sampler, const tb_space *sp, int n_obj, const char *const *opts) {
  for (; *opts; opts++) {
    char name[64];
    const char *eq = strchr(*opts, '=');
    snprintf(name, sizeof name, "%.*s", (int)(eq - *opts), *opts);
    const char *on[1] = {name}, *ov[1] = {eq + 1};
    tb_sampler_config bad = {.seed = 1, .n_objectives = n_obj, .n_options = 1, .option_names = on, .option_values = ov};
    tb_sampler *s = NULL;
    int rc = tb_sampler_create(sampler, sp, &bad, &s);
    if (rc != TB_ERR_INVALID) fprintf(stderr, "\n%s accepted %s\n", sampler, *opts);
    CU_ASSERT_EQUAL(rc, TB_ERR_INVALID);
    CU_ASSERT_PTR_NULL(s);
  }
}

/* ---- CMA-ES ---- */

/* cmaes reaches best < 1e-6 (the optimum is 0) within n_evals for seeds 1..3. */
static void expect_converged(const char *what, const tb_space *sp, obj_fn f, void *ctx, int n_evals, int batch) {
  run_cfg c = {.name = "cmaes", .n_obj = 1};
  for (uint64_t seed = 1; seed <= 3; seed++) {
    run_log l;
    TB_CHECK_OK(run(&c, sp, f, ctx, n_evals, batch, seed, &l));
    if (!(l.best < 1e-6)) fprintf(stderr, "\ncmaes %s seed %d: best %g\n", what, (int)seed, l.best);
    CU_ASSERT(l.best < 1e-6);
    log_free(&l);
  }
}

static void test_cmaes_convergence(void) {
  for (int d = 2; d <= 5; d++) { /* sphere: regret < 1e-6 within 2000 evaluations (measured: 176 for 2-d, 540 5-d) */
    tb_space *sp = float_space(d, -5, 5);
    expect_converged("sphere", sp, sphere, &d, 2000, 1);
    tb_space_free(sp);
  }
  int d = 5; /* ellipsoid: 3000 evaluations (measured: 1e-6 reached after 1770-2010) */
  tb_space *sp = float_space(d, -5, 5);
  expect_converged("ellipsoid", sp, ellipsoid, &d, 3000, 1);
  tb_space_free(sp);
  const tb_testfn *f = tb_testfn_find("rosenbrock-2d"); /* 2000 evaluations in batches of 4 */
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  TB_CHECK_OK(tb_testfn_space(f, &sp));
  expect_converged("rosenbrock-2d", sp, testfn_obj, (void *)f, 2000, 4);
  tb_space_free(sp);
}

/* IPOP: on 2-d Rastrigin the restarts with doubled populations find the global minimum 0 far more often than a
 * single run, which stalls in a local minimum and then wastes its budget. */
static void test_cmaes_ipop(void) {
  int d = 2, hit_ipop = 0, hit_single = 0;
  tb_space *sp = float_space(d, -5.12, 5.12);
  run_cfg ipop = {.name = "cmaes", .n_obj = 1};
  run_cfg single = {.name = "cmaes", .n_obj = 1, .n_opt = 1, .on = {"restarts"}, .ov = {"0"}};
  for (uint64_t seed = 1; seed <= 10; seed++) {
    run_log a, b;
    TB_CHECK_OK(run(&ipop, sp, rastrigin, &d, 4000, 1, seed, &a));
    TB_CHECK_OK(run(&single, sp, rastrigin, &d, 4000, 1, seed, &b));
    hit_ipop += a.best < 1e-6;
    hit_single += b.best < 1e-6;
    log_free(&a);
    log_free(&b);
  }
  fprintf(stderr, "\n  rastrigin-2d, 10 seeds x 4000 evaluations: ipop %d, single run %d hits\n", hit_ipop, hit_single);
  CU_ASSERT(hit_ipop >= 8);
  CU_ASSERT(hit_ipop > hit_single);
  tb_space_free(sp);
}

/* Integer parameters: plateaus of the rounded objective must not stall it (flat-fitness rule). */
static tb_trial_state int_sphere(const double *x, void *ctx, double *v) {
  (void)ctx;
  v[0] = 0;
  for (int i = 0; i < 3; i++) v[0] += (x[i] - (7 - 5 * i)) * (x[i] - (7 - 5 * i));
  v[0] += (x[3] - 0.25) * (x[3] - 0.25); /* and one float */
  return TB_TRIAL_COMPLETE;
}

static void test_cmaes_int_and_failures(void) {
  tb_space *sp;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_int(sp, "a", -10, 10, 1, 0));
  TB_CHECK_OK(tb_space_add_int(sp, "b", -10, 10, 1, 0));
  TB_CHECK_OK(tb_space_add_int(sp, "c", -10, 10, 1, 0));
  TB_CHECK_OK(tb_space_add_float(sp, "d", -1, 1, 0));
  TB_CHECK_OK(tb_space_add_fixed(sp, "e", 42));
  TB_CHECK_OK(tb_space_finalize(sp));
  run_cfg c = {.name = "cmaes", .n_obj = 1};
  run_log l;
  TB_CHECK_OK(run(&c, sp, int_sphere, NULL, 1500, 5, 7, &l));
  CU_ASSERT(l.best < 1e-6);
  for (size_t t = 0; t < l.n; t++) CU_ASSERT_EQUAL(l.x[t * 5 + 4], 42.0);
  log_free(&l);
  tb_space_free(sp);
  /* failed trials count as the worst value; batches larger than lambda (pending extra samples) */
  int d = 3;
  sp = float_space(d, -5, 5);
  TB_CHECK_OK(run(&c, sp, sphere_failing, &d, 3000, 11, 3, &l));
  size_t failed = 0;
  for (size_t t = 0; t < l.n; t++) failed += isnan(l.y[t]);
  fprintf(stderr, "\n  sphere-3d with failures, batches of 11: best %g, %zu failed\n", l.best, failed);
  CU_ASSERT(failed > 0);
  CU_ASSERT(l.best < 1e-6);
  log_free(&l);
  tb_space_free(sp);
}

static void check_same_runs(const char *name, const tb_space *sp, obj_fn f, void *ctx, int n_obj, int n, int batch) {
  run_cfg c = {.name = name, .n_obj = n_obj};
  run_log a, b, o;
  int dim = tb_space_dim(sp);
  TB_CHECK_OK(run(&c, sp, f, ctx, n, batch, 11, &a));
  TB_CHECK_OK(run(&c, sp, f, ctx, n, batch, 11, &b));
  TB_CHECK_OK(run(&c, sp, f, ctx, n, batch, 12, &o));
  size_t same = 0, differ = 0;
  for (size_t i = 0; i < (size_t)n * (size_t)dim; i++) {
    same += memcmp(&a.x[i], &b.x[i], sizeof(double)) == 0;
    differ += !(a.x[i] == o.x[i]) && !(isnan(a.x[i]) && isnan(o.x[i]));
  }
  CU_ASSERT_EQUAL(same, (size_t)n * (size_t)dim); /* bit-identical with the same seed */
  CU_ASSERT(differ > (size_t)n * (size_t)dim / 4); /* another seed: another run */
  log_free(&a);
  log_free(&b);
  log_free(&o);
}

static void test_cmaes_determinism(void) {
  int d = 4;
  tb_space *sp = float_space(d, -5, 5);
  check_same_runs("cmaes", sp, sphere, &d, 1, 300, 3);
  tb_space_free(sp);
}

static void test_cmaes_bad(void) {
  tb_space *sp;
  tb_sampler *s = (tb_sampler *)1;
  TB_CHECK_OK(tb_space_init(&sp));
  const char *ch[] = {"relu", "tanh"};
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-4, 1, 1));
  TB_CHECK_OK(tb_space_add_categorical(sp, "act", 2, ch));
  TB_CHECK_OK(tb_space_finalize(sp));
  tb_sampler_config cfg = {.seed = 1, .n_objectives = 1};
  CU_ASSERT_EQUAL(tb_sampler_create("cmaes", sp, &cfg, &s), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(s);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "act"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "tpe"));
  tb_space_free(sp);
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_fixed(sp, "k", 3));
  TB_CHECK_OK(tb_space_finalize(sp));
  CU_ASSERT_EQUAL(tb_sampler_create("cmaes", sp, &cfg, &s), TB_ERR_INVALID);
  tb_space_free(sp);
  sp = float_space(2, 0, 1);
  static const char *const bad_cma[] = {"sigma0=0", "sigma0=2.5", "popsize=1", "restarts=-1",
                                        "bogus=1", "popsize=4x", NULL};
  expect_bad_options("cmaes", sp, 1, bad_cma);
  tb_sampler_config two = {.seed = 1, .n_objectives = 2};
  CU_ASSERT_EQUAL(tb_sampler_create("cmaes", sp, &two, &s), TB_ERR_INVALID);
  const char *okn[] = {"sigma0", "popsize", "restarts"}, *okv[] = {"0.3", "12", "2"};
  tb_sampler_config good = {.seed = 1, .n_objectives = 1, .n_options = 3, .option_names = okn, .option_values = okv};
  TB_CHECK_OK(tb_sampler_create("cmaes", sp, &good, &s));
  tb_sampler_free(s);
  tb_space_free(sp);
}

/* ---- regularised evolution ---- */

/* Mixed conditional problem: 3 floats, an int, a categorical "kind" with 4 choices; "c" is active only when
 * kind == 2, the best kind. Minimum 0 at x = 0.7, k = 13, kind = 2, c = 0.3. */
static tb_space *mixed_space(void) {
  tb_space *sp;
  const char *kinds[] = {"a", "b", "c", "d"};
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "x0", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_float(sp, "x1", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_float(sp, "x2", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_int(sp, "k", 0, 20, 1, 0));
  TB_CHECK_OK(tb_space_add_categorical(sp, "kind", 4, kinds));
  TB_CHECK_OK(tb_space_add_float(sp, "c", 0, 1, 0));
  double two = 2;
  TB_CHECK_OK(tb_space_add_condition(sp, "c", "kind", 1, &two));
  TB_CHECK_OK(tb_space_finalize(sp));
  return sp;
}

static tb_trial_state mixed_obj(const double *x, void *ctx, double *v) {
  (void)ctx;
  v[0] = 0;
  for (int i = 0; i < 3; i++) v[0] += (x[i] - 0.7) * (x[i] - 0.7);
  v[0] += (x[3] - 13) * (x[3] - 13) / 400.0;
  v[0] += x[4] == 2 ? (x[5] - 0.3) * (x[5] - 0.3) : 0.5;
  return TB_TRIAL_COMPLETE;
}

static void test_evolution_beats_random(void) {
  tb_space *sp = mixed_space();
  run_cfg c = {.name = "evolution", .n_obj = 1};
  int dim = tb_space_dim(sp), wins = 0, n_seeds = 10;
  double sum_evo = 0, sum_rnd = 0, u[6], x[6], v;
  for (uint64_t seed = 1; seed <= (uint64_t)n_seeds; seed++) {
    run_log l;
    TB_CHECK_OK(run(&c, sp, mixed_obj, NULL, 200, 1, seed, &l));
    /* uniform random search written here, same budget */
    double best = INFINITY;
    for (int t = 0; t < 200; t++) {
      for (int i = 0; i < dim; i++) u[i] = tb_rng_uniform_double(1000 + seed, (uint64_t)(t * dim + i));
      tb_space_from_unit(sp, u, x);
      mixed_obj(x, NULL, &v);
      best = fmin(best, v);
    }
    sum_evo += l.best;
    sum_rnd += best;
    wins += l.best < best;
    log_free(&l);
  }
  fprintf(stderr, "\n  mixed problem, 200 trials, mean best over %d seeds: evolution %.4g, random %.4g (%d wins)\n",
          n_seeds, sum_evo / n_seeds, sum_rnd / n_seeds, wins);
  CU_ASSERT(sum_evo < 0.5 * sum_rnd);
  CU_ASSERT(wins >= 8);
  tb_space_free(sp);
}

/* Discrete problem: 4 categoricals with 5 choices and 2 ints 0..9 (62,500 configurations); the optimum is found. */
static tb_trial_state discrete_obj(const double *x, void *ctx, double *v) {
  (void)ctx;
  static const double target[6] = {3, 0, 4, 1, 7, 2};
  v[0] = 0;
  for (int i = 0; i < 4; i++) v[0] += x[i] != target[i];
  for (int i = 4; i < 6; i++) v[0] += fabs(x[i] - target[i]) / 9.0;
  return TB_TRIAL_COMPLETE;
}

static void test_evolution_discrete(void) {
  tb_space *sp;
  const char *ch[] = {"p", "q", "r", "s", "t"};
  TB_CHECK_OK(tb_space_init(&sp));
  for (int i = 0; i < 4; i++) {
    char name[4] = {'c', (char)('0' + i), 0};
    TB_CHECK_OK(tb_space_add_categorical(sp, name, 5, ch));
  }
  TB_CHECK_OK(tb_space_add_int(sp, "i0", 0, 9, 1, 0));
  TB_CHECK_OK(tb_space_add_int(sp, "i1", 0, 9, 1, 0));
  TB_CHECK_OK(tb_space_finalize(sp));
  run_cfg c = {.name = "evolution", .n_obj = 1};
  int found = 0;
  for (uint64_t seed = 1; seed <= 10; seed++) {
    run_log l;
    TB_CHECK_OK(run(&c, sp, discrete_obj, NULL, 400, 2, seed, &l));
    found += l.best == 0;
    log_free(&l);
  }
  fprintf(stderr, "\n  discrete problem, 400 trials: optimum found in %d of 10 seeds\n", found);
  CU_ASSERT(found >= 9); /* random search: P(found) = 1 - (1 - 1/62500)^400 = 0.6% */
  check_same_runs("evolution", sp, discrete_obj, NULL, 1, 200, 3);
  tb_space_free(sp);
}

/* Aging: with sample_size = population_size the parent is the best of the last P results; once the best one is
 * P results old it is gone. A tiny mutation keeps the child next to its parent. */
static void test_evolution_aging(void) {
  tb_space *sp = float_space(1, 0, 100);
  const char *on[] = {"population_size", "sample_size", "mutation_sd"}, *ov[] = {"3", "3", "1e-6"};
  tb_sampler_config cfg = {.seed = 5, .n_objectives = 1, .n_options = 3, .option_names = on, .option_values = ov};
  tb_sampler *s;
  TB_CHECK_OK(tb_sampler_create("evolution", sp, &cfg, &s));
  double x[3], first[3], v;
  int64_t id[3];
  int got;
  TB_CHECK_OK(tb_sampler_ask(s, 3, first, id, &got));
  CU_ASSERT_EQUAL_FATAL(got, 3);
  double vals[3] = {1, 5, 6};
  for (int i = 0; i < 3; i++) TB_CHECK_OK(tb_sampler_tell(s, id[i], &vals[i], TB_TRIAL_COMPLETE));
  TB_CHECK_OK(tb_sampler_ask(s, 1, x, id, &got)); /* child of trial 0 (value 1) */
  CU_ASSERT(fabs(x[0] - first[0]) < 1e-2);
  v = 10;
  TB_CHECK_OK(tb_sampler_tell(s, id[0], &v, TB_TRIAL_COMPLETE)); /* trial 0 ages out */
  TB_CHECK_OK(tb_sampler_ask(s, 1, x, id, &got)); /* child of trial 1 (value 5) */
  CU_ASSERT(fabs(x[0] - first[1]) < 1e-2);
  v = NAN;
  TB_CHECK_OK(tb_sampler_tell(s, id[0], &v, TB_TRIAL_FAILED)); /* a failure does not enter the population */
  TB_CHECK_OK(tb_sampler_ask(s, 1, x, id, &got));
  CU_ASSERT(fabs(x[0] - first[1]) < 1e-2);
  tb_sampler_free(s);
  tb_space_free(sp);
}

static void test_evolution_bad(void) {
  tb_space *sp = mixed_space();
  tb_sampler *s;
  static const char *const bad_evo[] = {"population_size=1", "sample_size=21", "mutation=flip", "mutation_sd=0",
                                        "gamma=0.25", NULL};
  expect_bad_options("evolution", sp, 1, bad_evo);
  tb_sampler_config two = {.seed = 1, .n_objectives = 2};
  CU_ASSERT_EQUAL(tb_sampler_create("evolution", sp, &two, &s), TB_ERR_INVALID);
  tb_space_free(sp);
}

/* ---- NSGA-II ---- */

static void test_nsga2_zdt1(void) {
  const tb_testfn *f = tb_testfn_find("zdt1");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  tb_space *sp;
  TB_CHECK_OK(tb_testfn_space(f, &sp));
  run_cfg c = {.name = "nsga2", .n_obj = 2};
  double ref[2] = {1, 1}, sum = 0, lo = INFINITY;
  for (uint64_t seed = 1; seed <= 3; seed++) {
    run_log l;
    double hv;
    TB_CHECK_OK(run(&c, sp, testfn_obj, (void *)f, 10000, 50, seed, &l)); /* 200 generations of 50 */
    TB_CHECK_OK(tb_pareto_hypervolume(l.y, l.n, 2, NULL, ref, &hv));
    sum += hv;
    lo = fmin(lo, hv);
    log_free(&l);
  }
  fprintf(stderr, "\n  zdt1, 10000 evaluations, HV(ref 1,1) mean %.4f min %.4f (true front 2/3)\n", sum / 3, lo);
  CU_ASSERT(lo >= 0.64); /* measured 0.651-0.659; after 3000 evaluations only 0.33-0.45 */
  tb_space_free(sp);
}

static tb_trial_state two_obj(const double *x, void *ctx, double *v) {
  mixed_obj(x, ctx, v);
  v[1] = x[0] + (x[4] == 1) + x[3] / 20; /* conflicts with the first */
  return TB_TRIAL_COMPLETE;
}

/* Generation bookkeeping: failed trials do not count towards the population; with crossover and mutation off
 * a child of generation 1 is a copy of a completed trial of generation 0. */
static void test_nsga2_generations(void) {
  tb_space *sp = float_space(2, 0, 1);
  const char *on[] = {"population_size", "crossover_prob", "mutation_prob"}, *ov[] = {"4", "0", "0"};
  tb_sampler_config cfg = {.seed = 9, .n_objectives = 2, .n_options = 3, .option_names = on, .option_values = ov};
  tb_sampler *s;
  TB_CHECK_OK(tb_sampler_create("nsga2", sp, &cfg, &s));
  double xs[20 * 2], ok[4 * 2], v[2];
  int64_t id[20];
  int got, n_ok = 0;
  TB_CHECK_OK(tb_sampler_ask(s, 4, xs, id, &got));
  for (int i = 0; i < 4; i++) {
    v[0] = xs[2 * i];
    v[1] = 1 - xs[2 * i];
    tb_trial_state st = i % 2 ? TB_TRIAL_FAILED : TB_TRIAL_COMPLETE;
    TB_CHECK_OK(tb_sampler_tell(s, id[i], v, st));
    if (!st) memcpy(ok + 2 * n_ok++, xs + 2 * i, sizeof(double) * 2);
  }
  TB_CHECK_OK(tb_sampler_ask(s, 2, xs, id, &got)); /* still generation 0: random */
  for (int i = 0; i < 2; i++) {
    for (int j = 0; j < n_ok; j++) CU_ASSERT(fabs(xs[2 * i] - ok[2 * j]) > 1e-9);
    v[0] = xs[2 * i];
    v[1] = 1 - xs[2 * i];
    TB_CHECK_OK(tb_sampler_tell(s, id[i], v, TB_TRIAL_COMPLETE));
    memcpy(ok + 2 * n_ok++, xs + 2 * i, sizeof(double) * 2);
  }
  TB_CHECK_OK(tb_sampler_ask(s, 20, xs, id, &got)); /* generation 1: copies of the four completed trials */
  int copies = 0;
  for (int i = 0; i < 20; i++)
    for (int j = 0; j < 4; j++)
      copies += fabs(xs[2 * i] - ok[2 * j]) < 1e-9 && fabs(xs[2 * i + 1] - ok[2 * j + 1]) < 1e-9;
  CU_ASSERT_EQUAL(copies, 20);
  tb_sampler_free(s);
  tb_space_free(sp);
  /* mixed conditional space, two objectives: valid suggestions (sampler.c checks each) and determinism */
  sp = mixed_space();
  check_same_runs("nsga2", sp, two_obj, NULL, 2, 400, 16);
  tb_space_free(sp);
}

static void test_nsga2_bad(void) {
  tb_space *sp = mixed_space();
  tb_sampler *s;
  static const char *const bad_ns[] = {"population_size=1", "crossover_prob=1.5", "mutation_prob=-0.1", "eta_c=-1",
                                       "sigma0=0.3", NULL};
  expect_bad_options("nsga2", sp, 2, bad_ns);
  tb_sampler_config many = {.seed = 1, .n_objectives = TB_MAX_OBJECTIVES + 1};
  CU_ASSERT_EQUAL(tb_sampler_create("nsga2", sp, &many, &s), TB_ERR_INVALID);
  tb_space_free(sp);
}

static const tb_test_case cases[] = {{"cmaes_convergence", test_cmaes_convergence},
                                     {"cmaes_ipop", test_cmaes_ipop},
                                     {"cmaes_int_and_failures", test_cmaes_int_and_failures},
                                     {"cmaes_determinism", test_cmaes_determinism},
                                     {"cmaes_bad", test_cmaes_bad},
                                     {"evolution_beats_random", test_evolution_beats_random},
                                     {"evolution_discrete", test_evolution_discrete},
                                     {"evolution_aging", test_evolution_aging},
                                     {"evolution_bad", test_evolution_bad},
                                     {"nsga2_zdt1", test_nsga2_zdt1},
                                     {"nsga2_generations", test_nsga2_generations},
                                     {"nsga2_bad", test_nsga2_bad},
                                     {NULL, NULL}};
TB_TEST_MAIN("sampler_evo", cases)
