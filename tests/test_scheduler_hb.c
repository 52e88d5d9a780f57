/* test_scheduler_hb.c: tests of the rung-based schedulers (host/schedulers/sched_hyperband.c, sched_asha.c,
 * sched_bohb.c): Hyperband's bracket table for R = 81, eta = 3 equals Li et al.'s; a simulated Hyperband run (synthetic
 * objective depending on configuration and fidelity) with 1 and with 4 workers promotes exactly the top n_{i+1} of
 * every rung and trains exactly the table's budget; successive halving with default and explicit n and with a rung cut
 * short by max_trials; ASHA's promotion rule on hand-made sequences of finishes with 1 and 3 workers; BOHB's KDE
 * proposals concentrate near the optimum (mean distance < half of the random picks'), and its random fraction is
 * respected (1/3 within 4 standard errors, 0 and 1 exactly); determinism; bad options.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tb_scheduler.h"
#include "tb_test.h"

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

static tb_sampler *random_sampler(const tb_space *sp, uint64_t seed) {
  tb_sampler *smp;
  tb_sampler_config sc = {.seed = seed, .n_objectives = 1};
  CU_ASSERT_FATAL(tb_sampler_create("random", sp, &sc, &smp) == TB_OK);
  return smp;
}

static int make(const char *name, tb_sampler *smp, double rmin, double rmax, long max_trials, int n_opt,
                const char *const *on, const char *const *ov, tb_scheduler **out) {
  tb_scheduler_config c = {.min_fidelity = rmin, .max_fidelity = rmax, .max_trials = max_trials, .seed = 7,
                           .n_options = n_opt, .option_names = on, .option_values = ov};
  return tb_scheduler_create(name, smp, &c, out);
}

/* synthetic objective: a bowl plus a fidelity-dependent wiggle, so rankings change between rungs */
static double objective(const double *x, double f) {
  return (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 0.6) * (x[1] - 0.6) + 0.3 * sin(13 * x[0] + 7 * x[1]) / f;
}

static void test_table(void) {
  int rows[32][4];
  int n = tb_hyperband_table(81, 3, 32, rows);
  static const int want[][4] = {{4, 0, 81, 1}, {4, 1, 27, 3}, {4, 2, 9, 9},  {4, 3, 3, 27}, {4, 4, 1, 81},
                                {3, 0, 34, 3}, {3, 1, 11, 9}, {3, 2, 3, 27}, {3, 3, 1, 81}, {2, 0, 15, 9},
                                {2, 1, 5, 27}, {2, 2, 1, 81}, {1, 0, 8, 27}, {1, 1, 2, 81}, {0, 0, 5, 81}};
  CU_ASSERT_EQUAL_FATAL(n, 15);
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 4; k++) CU_ASSERT_EQUAL(rows[i][k], want[i][k]);
  CU_ASSERT_EQUAL(tb_hyperband_table(81, 3, 2, rows), 15); /* count without room */
  CU_ASSERT_EQUAL(tb_hyperband_table(81, 1, 32, rows), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_hyperband_table(0.5, 3, 32, rows), TB_ERR_INVALID);
}

#define MAXT 512
typedef struct {
  double x[MAXT][2];
  double val[MAXT][8];  /* value per rung */
  int bracket[MAXT], top_rung[MAXT], started[MAXT];
  double budget;
  int n_resume;
  int n_jobs;
} hb_run;

/* Drives a scheduler with `workers` jobs in flight (finishing the oldest first) until DONE. */
static void drive(tb_scheduler *s, int workers, hb_run *r) {
  memset(r, 0, sizeof *r);
  int64_t run[16];
  double run_to[16], run_from[16];
  int n_run = 0;
  for (int guard = 0; guard < 100000; guard++) {
    tb_job job;
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    if (job.kind == TB_JOB_DONE) {
      CU_ASSERT_EQUAL(n_run, 0);
      return;
    }
    if (job.kind == TB_JOB_NEW || job.kind == TB_JOB_RESUME) {
      CU_ASSERT_FATAL(job.trial >= 0 && job.trial < MAXT);
      if (job.kind == TB_JOB_NEW) {
        CU_ASSERT_FATAL(!r->started[job.trial]);
        r->started[job.trial] = 1;
        memcpy(r->x[job.trial], job.x, sizeof r->x[0]);
        r->bracket[job.trial] = job.bracket;
        run_from[n_run] = 0;
      } else {
        CU_ASSERT(job.x == NULL);
        r->n_resume++;
        run_from[n_run] = -1;
      }
      r->top_rung[job.trial] = job.rung;
      run[n_run] = job.trial;
      run_to[n_run++] = job.fidelity_to;
      r->n_jobs++;
      if (n_run < workers) continue;
    } else {
      CU_ASSERT_EQUAL_FATAL(job.kind, TB_JOB_WAIT);
      CU_ASSERT_FATAL(n_run > 0);
    }
    /* finish the oldest job */
    int64_t id = run[0];
    double f = run_to[0];
    double v = objective(r->x[id], f);
    r->val[id][r->top_rung[id] < 0 ? 0 : r->top_rung[id]] = v;
    TB_CHECK_OK(tb_scheduler_finish(s, id, f, v, TB_TRIAL_COMPLETE));
    memmove(run, run + 1, (size_t)(n_run - 1) * sizeof *run);
    memmove(run_to, run_to + 1, (size_t)(n_run - 1) * sizeof *run_to);
    memmove(run_from, run_from + 1, (size_t)(n_run - 1) * sizeof *run_from);
    n_run--;
  }
  CU_FAIL("scheduler never finished");
}

static int cmp_val(const void *a, const void *b) {
  const double *x = a, *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

/* every rung's promoted set is the top-k of the rung below, k from the table; budget equals the table's */
static void check_hyperband(int workers) {
  tb_space *sp = unit_space(2);
  tb_sampler *smp = random_sampler(sp, 11);
  tb_scheduler *s;
  TB_CHECK_OK(make("hyperband", smp, 1, 81, 143, 0, NULL, NULL, &s));
  static hb_run r;
  drive(s, workers, &r);
  int rows[32][4], n_rows = tb_hyperband_table(81, 3, 32, rows);
  double want_budget = 0;
  int n_trials = 0;
  for (int i = 0; i < n_rows; i++) {
    double prev = rows[i][1] == 0 ? 0 : rows[i - 1][3];
    want_budget += rows[i][2] * (rows[i][3] - prev);
    if (rows[i][1] == 0) n_trials += rows[i][2];
  }
  CU_ASSERT_EQUAL(n_trials, 143);
  int started = 0;
  for (int t = 0; t < MAXT; t++) started += r.started[t];
  CU_ASSERT_EQUAL(started, 143);
  /* promotions per bracket (brackets are numbered 0..4 in opening order: s = 4..0) */
  for (int b = 0; b < 5; b++) {
    int s_b = 4 - b;
    for (int i = 0; i < s_b; i++) {
      double rung[128][2];
      int m = 0, promoted = 0, want_keep = 0;
      for (int k = 0; k < n_rows; k++)
        if (rows[k][0] == s_b && rows[k][1] == i + 1) want_keep = rows[k][2];
      for (int t = 0; t < MAXT; t++)
        if (r.started[t] && r.bracket[t] == b && r.top_rung[t] >= i) {
          rung[m][0] = r.val[t][i];
          rung[m++][1] = t;
          promoted += r.top_rung[t] >= i + 1;
        }
      CU_ASSERT_EQUAL(promoted, want_keep);
      qsort(rung, (size_t)m, sizeof rung[0], cmp_val);
      for (int k = 0; k < m; k++) {
        int t = (int)rung[k][1];
        CU_ASSERT_EQUAL(r.top_rung[t] >= i + 1, k < want_keep);
      }
    }
  }
  /* budget: the scheduler's accounting equals the table (resumes count their increment only) */
  double used = 0;
  for (int t = 0; t < MAXT; t++)
    if (r.started[t]) {
      static const double rf[5][5] = {{1, 3, 9, 27, 81}, {3, 9, 27, 81}, {9, 27, 81}, {27, 81}, {81}};
      used += rf[r.bracket[t]][r.top_rung[t]];
    }
  CU_ASSERT_DOUBLE_EQUAL(used, want_budget, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(want_budget, 1581, 1e-9);
  tb_sched_event ev;
  int n_prom = 0;
  while (tb_scheduler_pop_event(s, &ev)) n_prom += ev.kind == TB_SCHED_EV_PROMOTE;
  CU_ASSERT_EQUAL(n_prom, r.n_resume);
  /* the sampler was told every trial: asking it gives the next id */
  double x[2];
  int64_t id;
  int got;
  TB_CHECK_OK(tb_sampler_ask(smp, 1, x, &id, &got));
  CU_ASSERT_EQUAL(id, 143);
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static void test_hyperband_run_1_worker(void) { check_hyperband(1); }
static void test_hyperband_run_4_workers(void) { check_hyperband(4); }

static void test_sh(void) {
  tb_space *sp = unit_space(2);
  static hb_run r;
  const char *on[] = {"n"}, *ov[] = {"10"};
  struct {
    int n_opt;
    long max_trials;
    int want[4];
  } cases[] = {{0, 1000, {27, 9, 3, 1}}, {1, 1000, {10, 3, 1, 1}}, {0, 5, {5, 1, 1, 1}}};
  for (int c = 0; c < 3; c++) {
    tb_sampler *smp = random_sampler(sp, 3);
    tb_scheduler *s;
    TB_CHECK_OK(make("sh", smp, 1, 27, cases[c].max_trials, cases[c].n_opt, on, ov, &s));
    drive(s, 2, &r);
    for (int i = 0; i < 4; i++) {
      int cnt = 0;
      for (int t = 0; t < MAXT; t++) cnt += r.started[t] && r.top_rung[t] >= i;
      CU_ASSERT_EQUAL(cnt, cases[c].want[i]);
    }
    tb_scheduler_free(s);
    tb_sampler_free(smp);
  }
  tb_space_free(sp);
}

/* ASHA with eta 3, rungs 1, 3, 9: expected (kind, trial, fidelity_to) after each finish of (trial, value) */
typedef struct {
  int fin_trial;      /* -1: no finish, just ask */
  double fin_value;
  tb_job_kind kind;
  int trial;
  double to;
} asha_step;

static void run_asha(const asha_step *steps, int n, int64_t max_trials) {
  tb_space *sp = unit_space(2);
  tb_sampler *smp = random_sampler(sp, 5);
  tb_scheduler *s;
  TB_CHECK_OK(make("asha", smp, 1, 9, max_trials, 0, NULL, NULL, &s));
  double fid[64] = {0};
  for (int i = 0; i < n; i++) {
    if (steps[i].fin_trial >= 0)
      TB_CHECK_OK(tb_scheduler_finish(s, steps[i].fin_trial, fid[steps[i].fin_trial], steps[i].fin_value,
                                      TB_TRIAL_COMPLETE));
    tb_job job;
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    CU_ASSERT_EQUAL(job.kind, steps[i].kind);
    if (job.kind != steps[i].kind) fprintf(stderr, "\nstep %d: kind %d, want %d\n", i, job.kind, steps[i].kind);
    if (job.kind <= TB_JOB_RESUME) {
      CU_ASSERT_EQUAL(job.trial, steps[i].trial);
      CU_ASSERT_DOUBLE_EQUAL(job.fidelity_to, steps[i].to, 1e-12);
      if (job.trial >= 0 && job.trial < 64) fid[job.trial] = job.fidelity_to;
    }
  }
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static void test_asha_one_worker(void) {
  const asha_step steps[] = {
      {-1, 0, TB_JOB_NEW, 0, 1},     {0, 5, TB_JOB_NEW, 1, 1},      {1, 3, TB_JOB_NEW, 2, 1},
      {2, 4, TB_JOB_RESUME, 1, 3},   /* rung 0 = {1:3, 2:4, 0:5}: top 1 is trial 1 */
      {1, 2, TB_JOB_NEW, 3, 1},      /* rung 1 has 1 entry: no promotion; trial 1 already promoted */
      {3, 1, TB_JOB_RESUME, 3, 3},   /* rung 0 has 4: top 1 = trial 3 (1) */
      {3, 2.5, TB_JOB_NEW, 4, 1},    {4, 6, TB_JOB_NEW, 5, 1},
      {5, 0.5, TB_JOB_RESUME, 5, 3}, /* rung 0 has 6: top 2 = 5, 3; 3 promoted: 5 */
      {5, 1.5, TB_JOB_RESUME, 5, 9}, /* rung 1 = {5:1.5, 1:2, 3:2.5}: top 1 = trial 5 to the top rung */
      {5, 0.7, TB_JOB_NEW, 6, 1},    /* max_trials 7: the last new trial */
      {6, 9, TB_JOB_DONE, -1, 0},    /* nothing to promote, no new trials */
  };
  run_asha(steps, (int)(sizeof steps / sizeof *steps), 7);
}

static void test_asha_three_workers(void) {
  const asha_step steps[] = {
      {-1, 0, TB_JOB_NEW, 0, 1},    {-1, 0, TB_JOB_NEW, 1, 1},     {-1, 0, TB_JOB_NEW, 2, 1},
      {1, 3, TB_JOB_NEW, 3, 1},     /* rung 0 = {1}: too small to promote */
      {0, 5, TB_JOB_NEW, 4, 1},     /* rung 0 = {1:3, 0:5} */
      {2, 4, TB_JOB_RESUME, 1, 3},  /* rung 0 = {1:3, 2:4, 0:5}: promote 1 */
      {4, 7, TB_JOB_NEW, 5, 1},     /* 4 entries: top 1 = trial 1, already promoted */
      {3, 0.1, TB_JOB_RESUME, 3, 3}, /* 5 entries, top 1 = trial 3 */
      {-1, 0, TB_JOB_WAIT, -1, 0},  /* max_trials 6 reached, 3 jobs in flight */
      {5, 8, TB_JOB_WAIT, -1, 0},   /* 6 entries: top 2 = 3, 1 both promoted */
      {1, 2, TB_JOB_WAIT, -1, 0},   /* rung 1 = {1}: running: 3 */
      {3, 1, TB_JOB_DONE, -1, 0},   /* rung 1 = {3:1, 1:2}: floor(2/3) = 0, nothing left: DONE */
  };
  run_asha(steps, (int)(sizeof steps / sizeof *steps), 6);
}

/* BOHB on a 2-d bowl: which trials came from the sampler is found by replaying the same random sampler */
static void bohb_run(const char *rf, double *frac_random, double *d_model, double *d_random, int *n_model) {
  tb_space *sp = unit_space(2);
  tb_sampler *smp = random_sampler(sp, 21), *replica = random_sampler(sp, 21);
  tb_scheduler *s;
  const char *on[] = {"random_fraction"}, *ov[] = {rf};
  TB_CHECK_OK(make("bohb", smp, 1, 9, 340, 1, on, ov, &s));
  static hb_run r;
  drive(s, 1, &r);
  double next[2];
  int64_t id;
  int got, first_model = -1, n_after = 0, n_rand_after = 0, nm = 0, nr = 0;
  double dm = 0, dr = 0;
  TB_CHECK_OK(tb_sampler_ask(replica, 1, next, &id, &got));
  for (int t = 0; t < MAXT; t++) {
    if (!r.started[t]) continue;
    double d = hypot(r.x[t][0] - 0.3, r.x[t][1] - 0.6);
    int from_sampler = r.x[t][0] == next[0] && r.x[t][1] == next[1];
    if (from_sampler) {
      TB_CHECK_OK(tb_sampler_ask(replica, 1, next, &id, &got));
      dr += d, nr++;
    } else {
      if (first_model < 0) first_model = t;
      dm += d, nm++;
    }
    if (first_model >= 0) n_after++, n_rand_after += from_sampler;
  }
  *frac_random = n_after ? (double)n_rand_after / n_after : 1.0;
  *d_model = nm ? dm / nm : NAN;
  *d_random = nr ? dr / nr : NAN;
  *n_model = nm;
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_sampler_free(replica);
  tb_space_free(sp);
}

static void test_bohb(void) {
  double fr, dm, dr;
  int nm;
  bohb_run("0.3333333333333333", &fr, &dm, &dr, &nm);
  double se = sqrt(1.0 / 3 * 2.0 / 3 / (nm + 1));
  CU_ASSERT(nm > 100);
  CU_ASSERT(fabs(fr - 1.0 / 3) < 4 * se);
  CU_ASSERT(dm < 0.5 * dr); /* model-based picks concentrate near the optimum */
  printf("\nbohb: %d model picks, random fraction after the first %.3f, mean distance model %.3f random %.3f\n", nm,
         fr, dm, dr);
  bohb_run("1", &fr, &dm, &dr, &nm);
  CU_ASSERT_EQUAL(nm, 0);
  bohb_run("0", &fr, &dm, &dr, &nm);
  CU_ASSERT(nm > 200);
  CU_ASSERT_DOUBLE_EQUAL(fr, 0.0, 1e-12);
}

static void test_determinism(void) {
  tb_space *sp = unit_space(2);
  static hb_run a, b;
  const char *names[] = {"hyperband", "asha", "bohb"};
  for (int k = 0; k < 3; k++) {
    tb_sampler *s1 = random_sampler(sp, 9), *s2 = random_sampler(sp, 9);
    tb_scheduler *x, *y;
    TB_CHECK_OK(make(names[k], s1, 1, 27, 200, 0, NULL, NULL, &x));
    TB_CHECK_OK(make(names[k], s2, 1, 27, 200, 0, NULL, NULL, &y));
    drive(x, 3, &a);
    drive(y, 3, &b);
    CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
    tb_scheduler_free(x);
    tb_scheduler_free(y);
    tb_sampler_free(s1);
    tb_sampler_free(s2);
  }
  tb_space_free(sp);
}

static void test_bad_options(void) {
  tb_space *sp = unit_space(2);
  tb_sampler *smp = random_sampler(sp, 1);
  tb_scheduler *s = NULL;
  struct {
    const char *sched, *name, *value;
  } bad[] = {{"hyperband", "eta", "1"},         {"hyperband", "eta", "x"},      {"hyperband", "n", "5"},
             {"sh", "n", "0"},                  {"asha", "min_early_stopping_rate", "9"},
             {"bohb", "random_fraction", "1.5"}, {"bohb", "min_points_in_model", "1"},
             {"bohb", "top_n_percent", "0"},    {"asha", "patience", "3"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *on[] = {bad[i].name}, *ov[] = {bad[i].value};
    int rc = make(bad[i].sched, smp, 1, 81, 10, 1, on, ov, &s);
    CU_ASSERT_EQUAL(rc, TB_ERR_INVALID);
    CU_ASSERT(s == NULL);
    CU_ASSERT(strlen(tb_error_detail()) > 0);
  }
  tb_sampler_free(smp);
  tb_space_free(sp);
}

static const tb_test_case cases[] = {{"hyperband table R=81 eta=3", test_table},
                                     {"hyperband run, 1 worker", test_hyperband_run_1_worker},
                                     {"hyperband run, 4 workers", test_hyperband_run_4_workers},
                                     {"successive halving", test_sh},
                                     {"asha, 1 worker", test_asha_one_worker},
                                     {"asha, 3 workers", test_asha_three_workers},
                                     {"bohb kde and random fraction", test_bohb},
                                     {"determinism", test_determinism},
                                     {"bad options", test_bad_options},
                                     {NULL, NULL}};
TB_TEST_MAIN("scheduler_hb", cases)
