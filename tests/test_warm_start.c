/* test_warm_start.c: warm starts in the library: tb_sampler_enqueue (enqueued configurations come out of ask first,
 * in order, before the method's own, and are told like its own), and tb_study_params' initial configurations
 * (evaluated first, as trials 0..k-1) and warm observations (told to the sampler before it asks: TPE starts near
 * them), with and without a scheduler, single- and multi-objective (trial ids stay 0, 1, ...); bad input is an
 * error. The Python side (Sampler.enqueue, optimize(initial=, warm_start=)) is tested in host/python/tests. */
#include <math.h>
#include <string.h>

#include "tb_sampler.h"
#include "tb_study.h"
#include "tb_test.h"

static tb_space *space2(void) {
  tb_space *sp = NULL;
  tb_space_init(&sp);
  tb_space_add_float(sp, "x", -5, 5, 0);
  tb_space_add_categorical(sp, "c", 3, (const char *const[]){"a", "b", "z"});
  tb_space_finalize(sp);
  return sp;
}

static void test_enqueue_first_in_order(void) {
  tb_space *sp = space2();
  tb_sampler *s = NULL;
  tb_sampler_config cfg = {.seed = 1, .n_objectives = 1};
  TB_CHECK_OK(tb_sampler_create("tpe", sp, &cfg, &s));
  double q[3][2] = {{1.5, 2}, {-3, 0}, {0.25, 1}}, xs[8], bad[2] = {9, 0}, v = 1;
  for (int i = 0; i < 3; i++) TB_CHECK_OK(tb_sampler_enqueue(s, q[i]));
  CU_ASSERT_EQUAL(tb_sampler_enqueue(s, bad), TB_ERR_INVALID); /* x = 9 outside [-5, 5] */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "x"));
  int64_t ids[4];
  int n = 0;
  TB_CHECK_OK(tb_sampler_ask(s, 2, xs, ids, &n));
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT(xs[0] == 1.5 && xs[1] == 2 && xs[2] == -3 && xs[3] == 0);
  TB_CHECK_OK(tb_sampler_ask(s, 4, xs, ids, &n)); /* one queued, then three of TPE's own */
  CU_ASSERT_EQUAL(n, 4);
  CU_ASSERT(xs[0] == 0.25 && xs[1] == 1);
  for (int i = 0; i < 6; i++) TB_CHECK_OK(tb_sampler_tell(s, i, &v, TB_TRIAL_COMPLETE));
  tb_sampler_free(s);
  tb_space_free(sp);
}

typedef struct {
  int n_obj;
} fctx;
static int fn(void *ctx, tb_objective_call *call) {
  const fctx *f = ctx;
  const double *x = tb_objective_call_x(call);
  double v = (x[0] - 2) * (x[0] - 2) + (x[1] == 2 ? 0 : 1);
  for (int step = 1; step <= (int)tb_objective_call_fidelity_to(call); step++)
    if (tb_objective_report(call, step, v + 1.0 / step)) return TB_OK;
  tb_objective_call_set(call, 0, v);
  if (f->n_obj == 2) tb_objective_call_set(call, 1, fabs(x[0]));
  return TB_OK;
}

/* Runs a study of 30 trials with 2 initial configurations and (with warm) 20 observations over x (minimum at 2). */
static void run_study(const char *sampler, const char *scheduler, int n_obj, int warm, tb_study **out, tb_space *sp,
                      tb_objective **obj, fctx *f) {
  f->n_obj = n_obj;
  const char *names[2] = {"v", "a"};
  TB_CHECK_OK(tb_objective_callback(sp, n_obj, names, fn, f, obj));
  static double initial[2][2] = {{-4, 0}, {4.5, 1}};
  static double wx[20][2], wv[20][2];
  static int ws[20];
  for (int i = 0; i < 20; i++) {
    wx[i][0] = -5 + 0.5 * i, wx[i][1] = 2; /* spread over the range, a quadratic with its minimum at 2 */
    wv[i][0] = (wx[i][0] - 2) * (wx[i][0] - 2), wv[i][1] = fabs(wx[i][0]);
    ws[i] = i == 19 ? TB_TRIAL_FAILED : TB_TRIAL_COMPLETE;
  }
  tb_study_params p = tb_study_params_default();
  p.sampler = sampler, p.scheduler = scheduler, p.n_trials = 30, p.seed = 3;
  p.min_fidelity = 1, p.max_fidelity = scheduler && strcmp(scheduler, "none") ? 9 : 1;
  p.n_objectives = n_obj;
  if (n_obj == 2) p.objectives[0] = "v", p.objectives[1] = "a";
  p.n_initial = 2, p.initial = &initial[0][0];
  if (warm) {
    /* values are (n_warm, n_objectives): pack the first n_obj columns */
    static double packed[40];
    for (int i = 0; i < 20; i++)
      for (int k = 0; k < n_obj; k++) packed[i * n_obj + k] = wv[i][k];
    p.n_warm = 20, p.warm_x = &wx[0][0], p.warm_values = packed, p.warm_status = ws;
  }
  TB_CHECK_OK(tb_study_create(*obj, &p, out));
  TB_CHECK_OK(tb_study_run(*out, NULL));
}

static void check_initial_first(tb_study *st) {
  const tb_study_trial *t0 = tb_study_get_trial(st, 0), *t1 = tb_study_get_trial(st, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(t0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
  CU_ASSERT(t0->id == 0 && t0->x[0] == -4 && t0->x[1] == 0);
  CU_ASSERT(t1->id == 1 && t1->x[0] == 4.5 && t1->x[1] == 1);
}

/* TPE after 20 observations: its first own suggestions are near x = 2 (cold: spread over [-5, 5]). */
static double median_dist_own(tb_study *st) {
  double d[8];
  for (int i = 0; i < 8; i++) d[i] = fabs(tb_study_get_trial(st, (size_t)(2 + i))->x[0] - 2);
  for (int i = 0; i < 8; i++)
    for (int j = i + 1; j < 8; j++)
      if (d[j] < d[i]) {
        double t = d[i];
        d[i] = d[j], d[j] = t;
      }
  return d[4];
}

static void test_study_initial_and_warm(void) {
  const char *scheds[] = {"none", "asha"};
  for (int k = 0; k < 2; k++) {
    tb_space *sp = space2();
    tb_objective *oc = NULL, *ow = NULL;
    tb_study *cold = NULL, *warm = NULL;
    fctx f;
    run_study("tpe", scheds[k], 1, 0, &cold, sp, &oc, &f);
    run_study("tpe", scheds[k], 1, 1, &warm, sp, &ow, &f);
    check_initial_first(cold);
    check_initial_first(warm);
    CU_ASSERT(median_dist_own(warm) < median_dist_own(cold));
    CU_ASSERT(median_dist_own(warm) < 1.0);
    printf("[%s: median |x - 2| of TPE's first own trials: cold %.3f, warm %.3f] ", scheds[k], median_dist_own(cold),
           median_dist_own(warm));
    tb_study_free(cold), tb_study_free(warm);
    tb_objective_free(oc), tb_objective_free(ow);
    tb_space_free(sp);
  }
}

static void test_study_multi_objective_ids(void) {
  tb_space *sp = space2();
  tb_objective *o = NULL;
  tb_study *st = NULL;
  fctx f;
  run_study("nsga2", "none", 2, 1, &st, sp, &o, &f);
  CU_ASSERT_EQUAL(tb_study_n_trials(st), 30);
  check_initial_first(st);
  for (size_t i = 0; i < tb_study_n_trials(st); i++) CU_ASSERT_EQUAL(tb_study_get_trial(st, i)->status, 0);
  tb_study_free(st), tb_objective_free(o), tb_space_free(sp);
}

static void test_bad_warm_input(void) {
  tb_space *sp = space2();
  tb_objective *o = NULL;
  tb_study *st = NULL;
  fctx f = {1};
  TB_CHECK_OK(tb_objective_callback(sp, 1, NULL, fn, &f, &o));
  double bad_x[2] = {7, 0}, v = 1;
  tb_study_params p = tb_study_params_default();
  p.n_trials = 3;
  p.n_initial = 1;
  CU_ASSERT_PTR_NOT_NULL(tb_study_check_params(&p)); /* initial NULL */
  p.initial = bad_x;
  TB_CHECK_OK(tb_study_create(o, &p, &st));
  CU_ASSERT_EQUAL(tb_study_run(st, NULL), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "initial configuration 0"));
  tb_study_free(st);
  p.n_initial = 0, p.n_warm = 1, p.warm_x = bad_x, p.warm_values = &v;
  TB_CHECK_OK(tb_study_create(o, &p, &st));
  CU_ASSERT_EQUAL(tb_study_run(st, NULL), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "warm-start trial 0"));
  tb_study_free(st), tb_objective_free(o), tb_space_free(sp);
}

static const tb_test_case cases[] = {
    {"enqueued configurations first, in order", test_enqueue_first_in_order},
    {"study: initial first, warm observations steer TPE", test_study_initial_and_warm},
    {"study: multi-objective ids with warm start", test_study_multi_objective_ids},
    {"study: bad warm-start input", test_bad_warm_input},
    {NULL, NULL},
};
TB_TEST_MAIN("warm_start", cases)
