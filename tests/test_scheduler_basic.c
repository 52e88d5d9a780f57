/* test_scheduler_basic.c: tests of the scheduler interface (host/schedulers/scheduler.c) and of none, early_stopping
 * and median (host/schedulers/sched_basic.c): names and bad configurations/options rejected; none runs max_trials
 * trials to the full budget, stops at max_budget (overshooting by at most one job), ends when a grid is exhausted,
 * answers WAIT while jobs run; early stopping stops exactly after `patience` reports without a min_delta improvement
 * (minimised and maximised); median stops a trial exactly when its best value is worse than the median of completed
 * trials at the same fidelity (checked against a double-precision reference on random curves), honouring
 * n_startup_trials, n_warmup_steps and interval; bad calls (unknown trial, fidelity going backwards, finish of an idle
 * trial).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_rng.h"
#include "tb_scheduler.h"
#include "tb_test.h"

static tb_space *unit_space(void) {
  tb_space *sp;
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_float(sp, "a", 0, 1, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_float(sp, "b", 0, 1, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_finalize(sp) == TB_OK);
  return sp;
}

static tb_sampler *sampler(const tb_space *sp, const char *name, const char *n) {
  tb_sampler *smp;
  const char *on[] = {"n"}, *ov[] = {n};
  tb_sampler_config sc = {.seed = 2, .n_objectives = 1, .n_options = n ? 1 : 0, .option_names = on,
                          .option_values = ov};
  CU_ASSERT_FATAL(tb_sampler_create(name, sp, &sc, &smp) == TB_OK);
  return smp;
}

static int make(const char *name, tb_sampler *smp, long max_trials, double max_budget, int maximize, int n_opt,
                const char *const *on, const char *const *ov, tb_scheduler **s) {
  tb_scheduler_config c = {.min_fidelity = 1, .max_fidelity = 10, .max_trials = max_trials, .max_budget = max_budget,
                           .maximize = maximize, .seed = 1, .n_options = n_opt, .option_names = on,
                           .option_values = ov};
  return tb_scheduler_create(name, smp, &c, s);
}

static void test_names_and_bad_config(void) {
  const char *const *names = tb_scheduler_names();
  const char *want[] = {"none", "early_stopping", "median", "sh", "hyperband", "asha", "bohb", "pbt"};
  for (int i = 0; i < 8; i++) CU_ASSERT_STRING_EQUAL(names[i], want[i]);
  CU_ASSERT(names[8] == NULL);
  tb_space *sp = unit_space();
  tb_sampler *smp = sampler(sp, "random", NULL);
  tb_scheduler *s = NULL;
  CU_ASSERT_EQUAL(make("fifo", smp, 5, 0, 0, 0, NULL, NULL, &s), TB_ERR_NOT_FOUND);
  CU_ASSERT(strstr(tb_error_detail(), "hyperband") != NULL);
  CU_ASSERT_EQUAL(make("none", smp, 0, 0, 0, 0, NULL, NULL, &s), TB_ERR_INVALID); /* no limit at all */
  CU_ASSERT_EQUAL(make("none", smp, -1, 0, 0, 0, NULL, NULL, &s), TB_ERR_INVALID);
  tb_scheduler_config c = {.min_fidelity = 0, .max_fidelity = 10, .max_trials = 5};
  CU_ASSERT_EQUAL(tb_scheduler_create("none", smp, &c, &s), TB_ERR_INVALID);
  c.min_fidelity = 2, c.max_fidelity = 1;
  CU_ASSERT_EQUAL(tb_scheduler_create("none", smp, &c, &s), TB_ERR_INVALID);
  struct {
    const char *sched, *name, *value;
  } bad[] = {{"none", "patience", "3"},           {"early_stopping", "patience", "0"},
             {"early_stopping", "patience", "x"}, {"early_stopping", "min_delta", "-1"},
             {"median", "interval", "0"},         {"median", "n_startup_trials", "-2"},
             {"median", "n_warmup_steps", "nan"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *on[] = {bad[i].name}, *ov[] = {bad[i].value};
    CU_ASSERT_EQUAL(make(bad[i].sched, smp, 5, 0, 0, 1, on, ov, &s), TB_ERR_INVALID);
    CU_ASSERT(s == NULL);
  }
  tb_scheduler_free(NULL);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static void test_none(void) {
  tb_space *sp = unit_space();
  tb_sampler *smp = sampler(sp, "random", NULL);
  tb_scheduler *s;
  TB_CHECK_OK(make("none", smp, 5, 0, 0, 0, NULL, NULL, &s));
  tb_job job;
  for (int i = 0; i < 5; i++) {
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    CU_ASSERT_EQUAL(job.kind, TB_JOB_NEW);
    CU_ASSERT_EQUAL(job.trial, i);
    CU_ASSERT_DOUBLE_EQUAL(job.fidelity_to, 10, 0);
  }
  TB_CHECK_OK(tb_scheduler_next(s, &job));
  CU_ASSERT_EQUAL(job.kind, TB_JOB_WAIT);
  for (int i = 0; i < 5; i++) TB_CHECK_OK(tb_scheduler_finish(s, i, 10, 0.5 + i, TB_TRIAL_COMPLETE));
  TB_CHECK_OK(tb_scheduler_next(s, &job));
  CU_ASSERT_EQUAL(job.kind, TB_JOB_DONE);
  /* bad calls */
  int stop;
  CU_ASSERT_EQUAL(tb_scheduler_finish(s, 2, 10, 1, TB_TRIAL_COMPLETE), TB_ERR_INVALID); /* not running */
  CU_ASSERT_EQUAL(tb_scheduler_report(s, 99, 1, 1, &stop), TB_ERR_INVALID);
  tb_scheduler_free(s);
  /* budget: jobs of 10 units start while less than 35 are committed: 4 jobs */
  TB_CHECK_OK(make("none", smp, 0, 35, 0, 0, NULL, NULL, &s));
  int n = 0;
  for (;;) {
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    if (job.kind != TB_JOB_NEW) break;
    n++;
    TB_CHECK_OK(tb_scheduler_report(s, job.trial, 5, 1.0, &stop));
    CU_ASSERT_EQUAL(tb_scheduler_report(s, job.trial, 5, 1.0, &stop), TB_ERR_INVALID); /* not increasing */
    TB_CHECK_OK(tb_scheduler_finish(s, job.trial, 10, 0.9, TB_TRIAL_COMPLETE));
  }
  CU_ASSERT_EQUAL(job.kind, TB_JOB_DONE);
  CU_ASSERT_EQUAL(n, 4);
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  /* an exhausted grid ends the study: 2 x 2 points */
  smp = sampler(sp, "grid", "2");
  TB_CHECK_OK(make("none", smp, 100, 0, 0, 0, NULL, NULL, &s));
  n = 0;
  for (;;) {
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    if (job.kind != TB_JOB_NEW) break;
    n++;
    TB_CHECK_OK(tb_scheduler_finish(s, job.trial, 10, NAN, TB_TRIAL_FAILED));
  }
  CU_ASSERT_EQUAL(job.kind, TB_JOB_DONE);
  CU_ASSERT_EQUAL(n, 4);
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static void check_early_stopping(int maximize) {
  tb_space *sp = unit_space();
  tb_sampler *smp = sampler(sp, "random", NULL);
  tb_scheduler *s;
  const char *on[] = {"patience", "min_delta"}, *ov[] = {"3", "0.1"};
  TB_CHECK_OK(make("early_stopping", smp, 3, 0, maximize, 2, on, ov, &s));
  /* improvements (by more than 0.1) at 1, 2 and 5; then 3 without: stop at the 8th report */
  const double v[] = {1.0, 0.8, 0.75, 0.72, 0.5, 0.45, 0.44, 0.43, 0.1};
  tb_job job;
  TB_CHECK_OK(tb_scheduler_next(s, &job));
  int stop = 0, at = -1;
  for (int i = 0; i < 9 && !stop; i++) {
    TB_CHECK_OK(tb_scheduler_report(s, job.trial, i + 1, maximize ? -v[i] : v[i], &stop));
    if (stop) at = i + 1;
  }
  CU_ASSERT_EQUAL(at, 8);
  TB_CHECK_OK(tb_scheduler_finish(s, job.trial, 8, maximize ? -v[7] : v[7], TB_TRIAL_PRUNED));
  tb_sched_event ev;
  int n_stop = 0;
  while (tb_scheduler_pop_event(s, &ev)) {
    n_stop += ev.kind == TB_SCHED_EV_STOP;
    CU_ASSERT_EQUAL(ev.trial, job.trial);
    CU_ASSERT_DOUBLE_EQUAL(ev.fidelity, 8, 0);
  }
  CU_ASSERT_EQUAL(n_stop, 1);
  /* a steadily improving trial is never stopped */
  TB_CHECK_OK(tb_scheduler_next(s, &job));
  for (int i = 0; i < 10; i++) {
    double x = 1.0 - 0.2 * i;
    TB_CHECK_OK(tb_scheduler_report(s, job.trial, i + 1, maximize ? -x : x, &stop));
    CU_ASSERT_EQUAL(stop, 0);
  }
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static void test_early_stopping(void) {
  check_early_stopping(0);
  check_early_stopping(1);
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* curves v(t, f) = a_t + b_t / f with random a, b; reference decisions computed here */
static void test_median(void) {
  tb_space *sp = unit_space();
  tb_sampler *smp = sampler(sp, "random", NULL);
  tb_scheduler *s;
  const char *on[] = {"n_startup_trials", "n_warmup_steps", "interval"}, *ov[] = {"3", "2", "2"};
  TB_CHECK_OK(make("median", smp, 40, 0, 0, 3, on, ov, &s));
  double curves[40][11];
  int complete[40] = {0}, n_stops = 0, n_checked = 0;
  uint64_t pos = 0;
  for (int t = 0; t < 40; t++) {
    tb_job job;
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    CU_ASSERT_EQUAL_FATAL(job.trial, t);
    double a = tb_rng_uniform_double(99, pos++), b = 2 * tb_rng_uniform_double(99, pos++) - 1;
    int n_done = 0;
    for (int k = 0; k < t; k++) n_done += complete[k];
    int stop = 0, f;
    double best = INFINITY;
    for (f = 1; f <= 10; f++) {
      curves[t][f] = a + b / f;
      if (curves[t][f] < best) best = curves[t][f];
      TB_CHECK_OK(tb_scheduler_report(s, t, f, curves[t][f], &stop));
      /* reference: judged at f = 2, 4, 6, ... once 3 trials completed */
      int want = 0;
      if (n_done >= 3 && f >= 2 && (f - 2) % 2 == 0) {
        double vals[40];
        int n = 0;
        for (int k = 0; k < t; k++)
          if (complete[k]) vals[n++] = curves[k][f];
        qsort(vals, (size_t)n, sizeof *vals, cmp);
        double med = n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2]);
        want = best > med;
        n_checked++;
      }
      CU_ASSERT_EQUAL(stop, want);
      if (stop) break;
    }
    n_stops += stop;
    complete[t] = !stop;
    TB_CHECK_OK(tb_scheduler_finish(s, t, stop ? f : 10, curves[t][stop ? f : 10],
                                    stop ? TB_TRIAL_PRUNED : TB_TRIAL_COMPLETE));
  }
  CU_ASSERT(n_stops > 5);
  CU_ASSERT(n_checked > 50);
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static const tb_test_case cases[] = {{"names and bad configurations", test_names_and_bad_config},
                                     {"none: trials, budget, exhausted grid", test_none},
                                     {"early stopping", test_early_stopping},
                                     {"median stopping", test_median},
                                     {NULL, NULL}};
TB_TEST_MAIN("scheduler_basic", cases)
