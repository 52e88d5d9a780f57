/* test_scheduler_pbt.c: tests of population based training (host/schedulers/sched_pbt.c) on the toy problem of
 * Jaderberg et al. 2017 (protocols.md section 5): Q = 1.2 - (theta0^2 + theta1^2), each member does gradient ascent on
 * the surrogate Qhat = 1.2 - (h0 theta0^2 + h1 theta1^2) from theta = (0.9, 0.8) (unequal, so the two members' values
 * differ and a tournament is not a tie), two members starting at h = (0, 1) and (1, 0). The test keeps the members'
 * theta itself and drives the scheduler's jobs (EXPLOIT copies theta from the source). Checks: PBT (truncation and
 * tournament) reaches Q > 1.18 well before the end while the same members without PBT never pass 0.56; every EXPLOIT
 * job has an EXPLOIT event with the member's old and new x; a failed member leaves the population and the study goes
 * on; the budget stops it; determinism; bad options.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_scheduler.h"
#include "tb_test.h"

#define MAXM 16

static tb_space *h_space(void) {
  tb_space *sp;
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_float(sp, "h0", 0, 1, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_float(sp, "h1", 0, 1, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_finalize(sp) == TB_OK);
  return sp;
}

/* a 2x2 grid visits (0,0), (0,1), (1,0), (1,1): skip (0,0) so the members start at (0,1) and (1,0) */
static tb_sampler *toy_sampler(const tb_space *sp) {
  tb_sampler *smp;
  const char *on[] = {"n"}, *ov[] = {"2"};
  tb_sampler_config sc = {.seed = 1, .n_objectives = 1, .n_options = 1, .option_names = on, .option_values = ov};
  CU_ASSERT_FATAL(tb_sampler_create("grid", sp, &sc, &smp) == TB_OK);
  double x[2];
  int64_t id;
  int got;
  CU_ASSERT_FATAL(tb_sampler_ask(smp, 1, x, &id, &got) == TB_OK);
  CU_ASSERT_FATAL(x[0] == 0 && x[1] == 0);
  return smp;
}

typedef struct {
  double theta[MAXM][2], h[MAXM][2], step[MAXM];
  double first_hit;    /* first step at which some member had Q > 1.18 (INFINITY: never) */
  double best_q;
  int n_exploit, n_events_ok, n_jobs;
  uint64_t hash;
} toy_run;

static double q_true(const double *t) { return 1.2 - (t[0] * t[0] + t[1] * t[1]); }

static void mix(uint64_t *h, double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  *h = (*h ^ b) * 0x100000001b3ull;
}

/* one worker; fail_trial fails once at fail_at (or never when < 0) */
static void run_toy(const char *sched, int n_opt, const char *const *on, const char *const *ov, double max_budget,
                    int fail_trial, double fail_at, toy_run *r) {
  tb_space *sp = h_space();
  tb_sampler *smp = toy_sampler(sp);
  tb_scheduler *s;
  tb_scheduler_config c = {.min_fidelity = 1, .max_fidelity = 200, .max_trials = 2, .max_budget = max_budget,
                           .maximize = 1, .seed = 3, .n_options = n_opt, .option_names = on, .option_values = ov};
  if (fail_trial >= 0) c.max_trials = 4;
  TB_CHECK_OK(tb_scheduler_create(sched, smp, &c, &s));
  memset(r, 0, sizeof *r);
  r->first_hit = INFINITY;
  r->best_q = -INFINITY;
  r->hash = 1469598103934665603ull;
  const double lr = 0.05;
  for (int guard = 0; guard < 10000; guard++) {
    tb_job job;
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    mix(&r->hash, job.kind);
    if (job.kind == TB_JOB_DONE) break;
    CU_ASSERT_FATAL(job.kind != TB_JOB_WAIT); /* one worker never waits */
    int64_t m = job.trial;
    CU_ASSERT_FATAL(m >= 0 && m < MAXM);
    CU_ASSERT_FATAL(r->step[m] != -1); /* a failed member is never resumed */
    r->n_jobs++;
    mix(&r->hash, (double)m);
    mix(&r->hash, (double)job.source);
    mix(&r->hash, job.fidelity_to);
    if (job.kind == TB_JOB_NEW) {
      r->theta[m][0] = 0.9;
      r->theta[m][1] = 0.8;
      r->step[m] = 0;
    }
    if (job.kind == TB_JOB_EXPLOIT) {
      CU_ASSERT_FATAL(job.source >= 0 && job.source < MAXM && job.source != m);
      CU_ASSERT_DOUBLE_EQUAL(r->step[job.source], r->step[m], 1e-12); /* synchronous generations */
      memcpy(r->theta[m], r->theta[job.source], sizeof r->theta[m]);
      r->n_exploit++;
      tb_sched_event ev;
      int found = 0;
      while (tb_scheduler_pop_event(s, &ev))
        if (ev.kind == TB_SCHED_EV_EXPLOIT && ev.trial == m) {
          found = ev.source == job.source && ev.old_x[0] == r->h[m][0] && ev.old_x[1] == r->h[m][1] &&
                  ev.new_x[0] == job.x[0] && ev.new_x[1] == job.x[1] && ev.fidelity == r->step[m];
        }
      r->n_events_ok += found;
    }
    if (job.x) {
      r->h[m][0] = job.x[0];
      r->h[m][1] = job.x[1];
      mix(&r->hash, job.x[0]);
      mix(&r->hash, job.x[1]);
    }
    int failed = 0, stop = 0;
    while (r->step[m] < job.fidelity_to) {
      for (int k = 0; k < 2; k++) r->theta[m][k] -= lr * 2 * r->h[m][k] * r->theta[m][k];
      r->step[m] += 1;
      double q = q_true(r->theta[m]);
      if (q > r->best_q) r->best_q = q;
      if (q > 1.18 && r->step[m] < r->first_hit) r->first_hit = r->step[m];
      if (m == fail_trial && r->step[m] >= fail_at) {
        failed = 1;
        break;
      }
      TB_CHECK_OK(tb_scheduler_report(s, m, r->step[m], q, &stop));
      CU_ASSERT_EQUAL(stop, 0);
    }
    if (failed) {
      TB_CHECK_OK(tb_scheduler_finish(s, m, r->step[m], NAN, TB_TRIAL_FAILED));
      fail_trial = -1000; /* fails once; never resumed */
      r->step[m] = -1;
    } else {
      TB_CHECK_OK(tb_scheduler_finish(s, m, r->step[m], q_true(r->theta[m]), TB_TRIAL_COMPLETE));
    }
  }
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static void test_toy_truncation(void) {
  const char *on[] = {"population", "interval", "explore"}, *ov[] = {"2", "4", "resample"};
  toy_run pbt, base;
  run_toy("pbt", 3, on, ov, 0, -1, 0, &pbt);
  run_toy("none", 0, NULL, NULL, 0, -1, 0, &base);
  printf("\npbt: Q > 1.18 at step %g (best %.4f, %d exploits); without pbt best Q %.4f\n", pbt.first_hit,
         pbt.best_q, pbt.n_exploit, base.best_q);
  CU_ASSERT(pbt.first_hit <= 100);
  CU_ASSERT(pbt.best_q > 1.18);
  CU_ASSERT(isinf(base.first_hit));
  CU_ASSERT(base.best_q < 0.57); /* one theta never moves: Q <= 1.2 - 0.64 */
  CU_ASSERT(pbt.n_exploit == 49);     /* one exploit (bottom 1 of 2) per generation boundary: 200/4 - 1 */
  CU_ASSERT_EQUAL(pbt.n_events_ok, pbt.n_exploit);
}

static void test_toy_tournament(void) {
  const char *on[] = {"population", "interval", "explore", "exploit"}, *ov[] = {"2", "4", "resample", "tournament"};
  toy_run pbt;
  run_toy("pbt", 4, on, ov, 0, -1, 0, &pbt);
  CU_ASSERT(pbt.first_hit < 200);
  CU_ASSERT(pbt.n_exploit > 0);
  CU_ASSERT_EQUAL(pbt.n_events_ok, pbt.n_exploit);
}

static void test_perturb_stays_in_range(void) {
  /* perturb only: multiplicative, so h = 0 stays 0 and the members cannot leave their axis: no solution,
   * but every configuration stays in range (tb_space_check in the scheduler) and exploits still happen */
  const char *on[] = {"population", "interval"}, *ov[] = {"2", "4"};
  toy_run pbt;
  run_toy("pbt", 2, on, ov, 0, -1, 0, &pbt);
  CU_ASSERT(pbt.n_exploit == 49);
  CU_ASSERT(pbt.best_q < 0.57);
  for (int m = 0; m < 2; m++)
    for (int k = 0; k < 2; k++) CU_ASSERT(pbt.h[m][k] >= 0 && pbt.h[m][k] <= 1);
}

static void test_failed_member_and_budget(void) {
  const char *on[] = {"population", "interval", "explore"}, *ov[] = {"4", "4", "resample"};
  toy_run r;
  /* grid has 3 points left after the skip: the population is 3; member 1 fails at step 10 */
  run_toy("pbt", 3, on, ov, 0, 1, 10, &r);
  CU_ASSERT(r.step[1] == -1);
  CU_ASSERT(r.step[0] == 200 && r.step[2] == 200);
  /* budget: 2 members x 4 units per generation; 40 units = 5 generations */
  const char *on2[] = {"population", "interval"}, *ov2[] = {"2", "4"};
  run_toy("pbt", 2, on2, ov2, 40, -1, 0, &r);
  CU_ASSERT(r.step[0] == 20 && r.step[1] == 20);
  CU_ASSERT_EQUAL(r.n_jobs, 10);
}

static void test_determinism(void) {
  const char *on[] = {"population", "interval", "explore", "exploit"}, *ov[] = {"2", "8", "resample", "tournament"};
  toy_run a, b;
  run_toy("pbt", 4, on, ov, 0, -1, 0, &a);
  run_toy("pbt", 4, on, ov, 0, -1, 0, &b);
  CU_ASSERT_EQUAL(a.hash, b.hash);
  CU_ASSERT(memcmp(a.theta, b.theta, sizeof a.theta) == 0);
}

static void test_bad_options(void) {
  tb_space *sp = h_space();
  tb_sampler *smp = toy_sampler(sp);
  struct {
    const char *name, *value;
  } bad[] = {{"population", "1"}, {"interval", "0"},   {"interval", "500"}, {"exploit", "roulette"},
             {"fraction", "0.7"}, {"explore", "grow"}, {"resample_p", "-1"}, {"eta", "3"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *on[] = {bad[i].name}, *ov[] = {bad[i].value};
    tb_scheduler_config c = {.min_fidelity = 1, .max_fidelity = 200, .max_trials = 2, .seed = 3, .n_options = 1,
                             .option_names = on, .option_values = ov};
    tb_scheduler *s = NULL;
    CU_ASSERT_EQUAL(tb_scheduler_create("pbt", smp, &c, &s), TB_ERR_INVALID);
    CU_ASSERT(s == NULL);
  }
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static const tb_test_case cases[] = {{"toy problem, truncation + resample", test_toy_truncation},
                                     {"toy problem, tournament", test_toy_tournament},
                                     {"perturb keeps the range", test_perturb_stays_in_range},
                                     {"failed member, budget", test_failed_member_and_budget},
                                     {"determinism", test_determinism},
                                     {"bad options", test_bad_options},
                                     {NULL, NULL}};
TB_TEST_MAIN("scheduler_pbt", cases)
