/* test_datafraction.c: the data-fraction fidelity end to end (docs/executor.md "Data-fraction fidelity").
 *  - subsets (host/data/subset.c): tb_data_fraction_order is a permutation of the given rows; the subsets of fractions
 *    1/27 .. 1 are nested; stratified prefixes hold every class once k >= classes and keep each class within 2 rows
 *    of k p_c (the deficit rule keeps it within 1, the one-row-per-class start adds at most 1); the same seed gives
 *    the same order, another seed another one (> half the positions differ); sizes (ceil, at least one row per
 *    class); bad input (NULL, rows out of range, a label out of range);
 *  - Hyperband on fractions (scheduler only): min 1/27, max 1, eta 3 gives the table of tb_hyperband_table(27, 3)
 *    with every fidelity divided by 27 (27@1/27 9@1/9 3@1/3 1@1 | 12@1/9 4@1/3 1@1 | 6@1/3 2@1 | 4@1), job by job;
 *  - the learner objective at a fraction: one report, at f; the same rows (same value) for the same study seed and
 *    other rows for another; warm start really resumes: 1 epoch at 1/3 continued by 1 epoch at 1/3 from the saved
 *    state equals 2 epochs trained at once, bit for bit; promoted to all rows, the warm mlp's validation loss after
 *    its epoch is below a fresh model's and below the 1/3 model's; a cosine schedule and logreg with L-BFGS restart
 *    (bit-identical to a fresh run, its reason says so); a fraction outside (0, 1] fails the trial;
 *  - a study from a suite text (mlp, hyperband eta 3, fractions 1/9..1, 17 trials, 1 worker): final fidelities
 *    6 x 1/9, 6 x 1/3, 5 x 1 (the bracket table of R = 9), 4 promoted trials marked "warm start", every trial
 *    complete or pruned; a data-fraction study of a test function is refused;
 *  - bad suites (inline, file:line:column and key): fraction > 1, min <= 0, data_fraction with a test function or
 *    a command, a unit that is not the learner's, an unknown unit.
 * Random inputs from fixed seeds; small generated data, a few seconds on 2 cores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective_fixture.h"
#include "objective_impl.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_model.h"
#include "tb_rng.h"
#include "tb_scheduler.h"
#include "tb_study.h"
#include "tb_suite.h"

/* n rows, classes with weights 1, 2, 4, ... (imbalanced) and one rare class (class 0 has weight 1/8 of class 1). */
static tb_dataset *make_ds(size_t n, int classes, uint64_t seed) {
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_dataset_alloc(n, 2, classes ? TB_TASK_CLASSIFICATION : TB_TASK_REGRESSION, classes, "frac", &ds));
  for (size_t i = 0; i < n; i++) {
    ds->X[2 * i] = tb_rng_uniform(seed, 3 * i), ds->X[2 * i + 1] = tb_rng_uniform(seed, 3 * i + 1);
    if (!classes) {
      ds->y_value[i] = tb_rng_normal(seed, 3 * i + 2);
      continue;
    }
    double u = tb_rng_uniform_double(seed, 3 * i + 2), w = 0.125, tot = 0.125;
    for (int c = 1; c < classes; c++) tot += (double)(1 << (c - 1));
    int c = 0;
    for (u *= tot; c < classes - 1 && u >= w; c++) u -= w, w = (double)(1 << c);
    ds->y_class[i] = c;
  }
  return ds;
}

static void test_order(void) {
  const size_t n = 2000, m = 1500; /* order the rows idx = 1..1500 (a part of the dataset) */
  const int C = 4;
  tb_dataset *ds = make_ds(n, C, 5);
  uint32_t *idx = malloc(m * sizeof *idx), *o1 = malloc(m * sizeof *o1), *o2 = malloc(m * sizeof *o2);
  uint8_t *seen = calloc(n, 1);
  CU_ASSERT_FATAL(idx && o1 && o2 && seen);
  for (size_t i = 0; i < m; i++) idx[i] = (uint32_t)(i + 1);
  TB_CHECK_OK(tb_data_fraction_order(ds, idx, m, 42, 1, o1));
  for (size_t i = 0; i < m; i++) { /* a permutation of idx */
    CU_ASSERT_FATAL(o1[i] >= 1 && o1[i] <= m);
    CU_ASSERT_EQUAL(seen[o1[i]], 0);
    seen[o1[i]] = 1;
  }
  double share[8] = {0};
  for (size_t i = 0; i < m; i++) share[ds->y_class[idx[i]]] += 1.0 / (double)m;
  CU_ASSERT(share[0] > 0 && share[0] < 0.05); /* the rare class is there */
  /* stratified prefixes */
  double worst = 0;
  size_t cnt[8] = {0};
  for (size_t k = 1; k <= m; k++) {
    cnt[ds->y_class[o1[k - 1]]]++;
    if (k < (size_t)C) continue;
    for (int c = 0; c < C; c++) {
      CU_ASSERT(cnt[c] >= 1);
      double dev = fabs((double)cnt[c] - (double)k * share[c]);
      if (dev > worst) worst = dev;
    }
  }
  CU_ASSERT(worst <= 2.0);
  /* nested subsets at the Hyperband fractions of R = 27 */
  double fr[] = {1.0 / 27, 1.0 / 9, 1.0 / 3, 1};
  memset(seen, 0, n);
  for (int j = 0; j < 4; j++) {
    size_t k = tb_data_fraction_size(ds, m, fr[j]);
    CU_ASSERT_EQUAL(k, (size_t)ceil(fr[j] * (double)m - 1e-9));
    for (size_t i = 0; i < m; i++) /* rows of the smaller fractions (marked) are all inside this one */
      if (seen[o1[i]]) CU_ASSERT(i < k);
    for (size_t i = 0; i < k; i++) seen[o1[i]] = 1;
  }
  /* determinism and seeds */
  TB_CHECK_OK(tb_data_fraction_order(ds, idx, m, 42, 1, o2));
  CU_ASSERT_EQUAL(memcmp(o1, o2, m * sizeof *o1), 0);
  TB_CHECK_OK(tb_data_fraction_order(ds, idx, m, 43, 1, o2));
  size_t diff = 0;
  for (size_t i = 0; i < m; i++) diff += o1[i] != o2[i];
  CU_ASSERT(diff > m / 2);
  /* unstratified and regression: permutations, deterministic */
  TB_CHECK_OK(tb_data_fraction_order(ds, NULL, n, 42, 0, o2 = realloc(o2, n * sizeof *o2)));
  memset(seen, 0, n);
  for (size_t i = 0; i < n; i++) CU_ASSERT(o2[i] < n && !seen[o2[i]]++);
  tb_dataset *rg = make_ds(300, 0, 6);
  uint32_t a[300], b[300];
  TB_CHECK_OK(tb_data_fraction_order(rg, NULL, 300, 1, 1, a));
  TB_CHECK_OK(tb_data_fraction_order(rg, NULL, 300, 1, 1, b));
  CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
  /* sizes */
  CU_ASSERT_EQUAL(tb_data_fraction_size(ds, 1000, 1.0 / 3), 334);
  CU_ASSERT_EQUAL(tb_data_fraction_size(ds, 900, 1.0 / 9), 100); /* 100.00000000000001: not 101 */
  CU_ASSERT_EQUAL(tb_data_fraction_size(ds, 1000, 1), 1000);
  CU_ASSERT_EQUAL(tb_data_fraction_size(ds, 1000, 1e-6), (size_t)C); /* one row per class */
  CU_ASSERT_EQUAL(tb_data_fraction_size(rg, 1000, 1e-6), 1);
  CU_ASSERT_EQUAL(tb_data_fraction_size(ds, 1000, 0), 0);
  CU_ASSERT_EQUAL(tb_data_fraction_size(ds, 2, 0.5), 2);
  /* bad input */
  CU_ASSERT_EQUAL(tb_data_fraction_order(NULL, NULL, 3, 1, 1, a), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_data_fraction_order(ds, NULL, 3, 1, 1, NULL), TB_ERR_INVALID);
  uint32_t bad[2] = {0, (uint32_t)n};
  CU_ASSERT_EQUAL(tb_data_fraction_order(ds, bad, 2, 1, 1, a), TB_ERR_RANGE);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "out of range"));
  ds->y_class[0] = C;
  CU_ASSERT_EQUAL(tb_data_fraction_order(ds, NULL, 10, 1, 1, a), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "label"));
  free(idx), free(o1), free(o2), free(seen);
  tb_dataset_free(ds);
  tb_dataset_free(rg);
}

/* Hyperband with min 1/27, max 1, eta 3, one job at a time: the jobs of each rung are the table's, in fractions. */
static void test_hyperband_fractions(void) {
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "u", 0, 1, 0));
  TB_CHECK_OK(tb_space_finalize(sp));
  tb_sampler *smp = NULL;
  tb_sampler_config sc = {.seed = 3, .n_objectives = 1};
  TB_CHECK_OK(tb_sampler_create("random", sp, &sc, &smp));
  tb_scheduler *s = NULL;
  tb_scheduler_config c = {.min_fidelity = 1.0 / 27, .max_fidelity = 1, .max_trials = 49, .seed = 1};
  TB_CHECK_OK(tb_scheduler_create("hyperband", smp, &c, &s));
  int rows[32][4], n_rows = tb_hyperband_table(27, 3, 32, rows);
  CU_ASSERT_EQUAL_FATAL(n_rows, 10);
  int count[32] = {0}, n_jobs = 0;
  double u[4096];
  for (int guard = 0; guard < 1000; guard++) {
    tb_job job;
    TB_CHECK_OK(tb_scheduler_next(s, &job));
    if (job.kind == TB_JOB_DONE) break;
    CU_ASSERT_FATAL(job.kind == TB_JOB_NEW || job.kind == TB_JOB_RESUME);
    int row = -1; /* (rung, fidelity) names the row: every pair of the table is distinct */
    for (int i = 0; i < n_rows && row < 0; i++)
      if (fabs(job.fidelity_to - rows[i][3] / 27.0) < 1e-12 && rows[i][1] == job.rung) row = i;
    CU_ASSERT_FATAL(row >= 0);
    count[row]++, n_jobs++;
    if (job.kind == TB_JOB_NEW) u[job.trial] = job.x[0];
    double v = u[job.trial] + 0.1 / (job.fidelity_to * 27); /* values by configuration and fidelity */
    TB_CHECK_OK(tb_scheduler_report(s, job.trial, job.fidelity_to, v, &(int){0}));
    TB_CHECK_OK(tb_scheduler_finish(s, job.trial, job.fidelity_to, v, TB_TRIAL_COMPLETE));
  }
  int want_jobs = 0;
  for (int i = 0; i < n_rows; i++) {
    CU_ASSERT_EQUAL(count[i], rows[i][2]);
    want_jobs += rows[i][2];
  }
  CU_ASSERT_EQUAL(n_jobs, want_jobs);
  /* the table of R = 27 is the paper's: 27@1 9@3 3@9 1@27 | 12@3 4@9 1@27 | 6@9 2@27 | 4@27 */
  static const int want[10][4] = {{3, 0, 27, 1}, {3, 1, 9, 3}, {3, 2, 3, 9}, {3, 3, 1, 27}, {2, 0, 12, 3},
                                  {2, 1, 4, 9},  {2, 2, 1, 27}, {1, 0, 6, 9}, {1, 1, 2, 27}, {0, 0, 4, 27}};
  for (int i = 0; i < 10; i++)
    for (int k = 0; k < 4; k++) CU_ASSERT_EQUAL(rows[i][k], want[i][k]);
  tb_scheduler_free(s);
  tb_sampler_free(smp);
  tb_space_free(sp);
}

/* ---- the learner objective at a fraction ------------------------------------------------------------------------ */
typedef struct lfix {
  ofx ob; /* the learner objective on its split data (objective_fixture.h) */
  tb_space *sp;
  tb_backend *be;
  tb_worker_ctx wk;
} lfix;

static void lfix_init(lfix *f, const char *learner) {
  memset(f, 0, sizeof *f);
  tb_dataset *ds = ofx_load("gen:classification?n=1500&d=10&informative=6&classes=3&seed=9");
  tb_split_spec sp = tb_split_spec_default();
  ofx_open(&f->ob, tb_learner_find(learner), ds, &sp, NULL, 0, 0);
  TB_CHECK_OK(tb_learner_space(tb_learner_find(learner), &f->sp));
  tb_device dev;
  TB_CHECK_OK(tb_device_parse("cpu", &dev));
  TB_CHECK_OK(tb_backend_open(&dev, &f->be));
  tb_backend_set_threads(f->be, 1);
  f->wk.be = f->be;
}

static void lfix_free(lfix *f) {
  tb_devdata_free(f->wk.devdata);
  tb_backend_free(f->be);
  tb_space_free(f->sp);
  ofx_close(&f->ob);
}

typedef struct rep_log {
  int n;
  double fid[8], val[8];
} rep_log;

static int log_report(void *ctx, double fidelity, double value, double loss, double elapsed, int *stop) {
  rep_log *l = ctx;
  (void)loss, (void)elapsed;
  if (l->n < 8) l->fid[l->n] = fidelity, l->val[l->n] = value;
  l->n++;
  *stop = 0;
  return TB_OK;
}

/* One data-fraction job of x at fraction `to` (from `from`, with state_in), study seed `seed`. */
static void run_job(lfix *f, const double *x, double from, double to, uint64_t seed, const void *state,
                    size_t state_len, tb_trial_run *run, rep_log *log) {
  memset(run, 0, sizeof *run);
  memset(log, 0, sizeof *log);
  run->trial = 0, run->seed = 77, run->study_seed = seed, run->data_fraction = 1, run->x = x;
  run->fidelity_from = from, run->fidelity_to = to, run->fidelity_max = 1, run->report_metric = 0;
  run->wk = &f->wk, run->state_in = state, run->state_in_len = state_len;
  run->report = log_report, run->rctx = log;
  TB_CHECK_OK(tb_objective_run(f->ob.o, run));
}

static void set(lfix *f, double *x, const char *learner, const char *k, const char *v) {
  TB_CHECK_OK(tb_learner_set(tb_learner_find(learner), f->sp, x, k, v));
}

static void test_objective_fraction(void) {
  lfix f;
  lfix_init(&f, "mlp");
  double x[64];
  tb_learner_defaults(tb_learner_find("mlp"), f.sp, x);
  set(&f, x, "mlp", "units", "32"), set(&f, x, "mlp", "epochs", "1"), set(&f, x, "mlp", "lr", "0.01");
  set(&f, x, "mlp", "batch_size", "32");
  tb_trial_run a, b, c;
  rep_log la, lb, lc;
  /* one report, at the fraction; the same rows for the same study seed, others for another seed */
  run_job(&f, x, 0, 1.0 / 3, 1, NULL, 0, &a, &la);
  CU_ASSERT_EQUAL_FATAL(a.status, TB_TRIAL_COMPLETE);
  CU_ASSERT_EQUAL(la.n, 1);
  CU_ASSERT_DOUBLE_EQUAL(la.fid[0], 1.0 / 3, 1e-15);
  CU_ASSERT_DOUBLE_EQUAL(a.fidelity, 1.0 / 3, 1e-15);
  CU_ASSERT_EQUAL(a.reason[0], 0); /* a new trial: nothing to say */
  run_job(&f, x, 0, 1.0 / 3, 1, NULL, 0, &b, &lb);
  CU_ASSERT_EQUAL(b.metrics[0], a.metrics[0]);
  free(b.state_out);
  run_job(&f, x, 0, 1.0 / 3, 2, NULL, 0, &b, &lb);
  CU_ASSERT(b.metrics[0] != a.metrics[0]);
  free(b.state_out);
  /* warm start really resumes: 1 epoch at 1/3, then a continuation at 1/3 from its state, equals 2 epochs at 1/3
   * trained at once, bit for bit (weights, Adam moments, step and epoch counters, batch order all carried) */
  double x2[64];
  memcpy(x2, x, sizeof x2);
  set(&f, x2, "mlp", "epochs", "2");
  run_job(&f, x, 1.0 / 3, 1.0 / 3, 1, a.state_out, a.state_out_len, &b, &lb);
  run_job(&f, x2, 0, 1.0 / 3, 1, NULL, 0, &c, &lc);
  CU_ASSERT_EQUAL(b.status, TB_TRIAL_COMPLETE);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "warm start from fraction 0.3333"));
  CU_ASSERT_EQUAL(b.metrics[0], c.metrics[0]);
  CU_ASSERT(b.metrics[0] != a.metrics[0]);
  free(b.state_out), free(c.state_out);
  /* promoted to all rows: after its one epoch the warm model is ahead of a fresh one (one epoch from the initial
   * weights): its validation loss is lower than the fresh model's and than the 1/3 model's */
  run_job(&f, x, 1.0 / 3, 1, 1, a.state_out, a.state_out_len, &b, &lb);
  run_job(&f, x, 0, 1, 1, NULL, 0, &c, &lc);
  CU_ASSERT_EQUAL_FATAL(b.status, TB_TRIAL_COMPLETE);
  CU_ASSERT_EQUAL(lb.n, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "warm start from fraction 0.3333"));
  if (!(b.metrics[0] < c.metrics[0] && b.metrics[0] < a.metrics[0]))
    fprintf(stderr, "\nloss at 1/3 %g, warm at 1 %g, fresh at 1 %g\n", a.metrics[0], b.metrics[0], c.metrics[0]);
  CU_ASSERT(b.metrics[0] < c.metrics[0]);
  CU_ASSERT(b.metrics[0] < a.metrics[0]);
  free(b.state_out), free(c.state_out);
  /* a cosine schedule would sit at lr 0 after the restored steps: it restarts, bit-identical to a fresh run */
  set(&f, x, "mlp", "lr_schedule", "cosine");
  run_job(&f, x, 1.0 / 3, 1, 1, a.state_out, a.state_out_len, &b, &lb);
  run_job(&f, x, 0, 1, 1, NULL, 0, &c, &lc);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "restarted"));
  CU_ASSERT_EQUAL(b.metrics[0], c.metrics[0]);
  free(b.state_out), free(c.state_out);
  /* a fraction outside (0, 1] fails the trial */
  run_job(&f, x, 0, 1.5, 1, NULL, 0, &b, &lb);
  CU_ASSERT_EQUAL(b.status, TB_TRIAL_FAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "not in (0, 1]"));
  CU_ASSERT_EQUAL(lb.n, 0);
  free(b.state_out);
  free(a.state_out);
  lfix_free(&f);
  /* logreg with L-BFGS: restarts at the larger fraction, bit-identical to a fresh run */
  lfix_init(&f, "logreg");
  tb_learner_defaults(tb_learner_find("logreg"), f.sp, x);
  set(&f, x, "logreg", "epochs", "5");
  run_job(&f, x, 0, 1.0 / 9, 4, NULL, 0, &a, &la);
  CU_ASSERT_EQUAL_FATAL(a.status, TB_TRIAL_COMPLETE);
  run_job(&f, x, 1.0 / 9, 1.0 / 3, 4, a.state_out, a.state_out_len, &b, &lb);
  run_job(&f, x, 0, 1.0 / 3, 4, NULL, 0, &c, &lc);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "restarted: this logreg does not continue"));
  CU_ASSERT_EQUAL(b.metrics[0], c.metrics[0]);
  free(b.state_out), free(c.state_out);
  /* logreg with adam continues */
  set(&f, x, "logreg", "solver", "adam");
  free(a.state_out);
  run_job(&f, x, 0, 1.0 / 9, 4, NULL, 0, &a, &la);
  run_job(&f, x, 1.0 / 9, 1.0 / 3, 4, a.state_out, a.state_out_len, &b, &lb);
  CU_ASSERT_PTR_NOT_NULL(strstr(b.reason, "warm start"));
  free(a.state_out), free(b.state_out);
  lfix_free(&f);
}

/* ---- a study from a suite text --------------------------------------------------------------------------------- */
static tb_suite *parse(const char *text) {
  tb_suite *s = NULL;
  int rc = tb_suite_parse("inline.yaml", text, strlen(text), &s);
  if (rc < 0) fprintf(stderr, "\n%s\n", tb_error_detail());
  CU_ASSERT_EQUAL(rc, TB_OK);
  return s;
}

static const char *suite_text =
    "name: frac\n"
    "datasets: ['gen:classification?n=1200&d=10&informative=6&classes=3&seed=2']\n"
    "learners:\n"
    "  - name: mlp\n"
    "    space:\n"
    "      units: 16\n"
    "      lr: {low: 0.001, high: 0.1, log: true}\n"
    "      batch_size: 32\n"
    "      epochs: 2\n"
    "strategies: [{sampler: random, scheduler: {name: hyperband, eta: 3}}]\n"
    "budget: {trials: 17, fidelity: {min: 0.1111111111, max: 1, unit: data_fraction}}\n";

static void test_study_hyperband(void) {
  tb_suite *s = parse(suite_text);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->fidelity_data_fraction, 1);
  CU_ASSERT_DOUBLE_EQUAL(s->fidelity_max, 1, 0);
  tb_suite_experiment e;
  TB_CHECK_OK(tb_suite_experiment_get(s, 0, &e));
  tb_dataset *ds = NULL;
  tb_eval_data view = {0};
  tb_holdout *hold = NULL;
  tb_space *sp = NULL;
  tb_objective *o = NULL;
  tb_study *st = NULL;
  tb_split_spec spl = tb_split_spec_default();
  TB_CHECK_OK(tb_data_load(e.dataset->spec, &ds));
  TB_CHECK_OK(tb_validate_split(ds, &spl, &view, &hold));
  TB_CHECK_OK(tb_suite_space(s, &e, &sp));
  tb_objective_learner_params lp = {e.learner->learner, &view, 0, sp, NULL};
  TB_CHECK_OK(tb_objective_learner_create(&lp, &o));
  tb_study_params p = tb_study_params_default();
  p.scheduler = "hyperband", p.n_trials = s->trials, p.seed = 5, p.device = "cpu", p.threads_per_trial = 1;
  p.min_fidelity = s->fidelity_min, p.max_fidelity = s->fidelity_max, p.data_fraction = s->fidelity_data_fraction;
  p.objectives[0] = "valid_accuracy", p.maximize[0] = 1;
  TB_CHECK_OK(tb_study_create(o, &p, &st));
  TB_CHECK_OK(tb_study_run(st, NULL));
  int at[3] = {0}, warm = 0;
  CU_ASSERT_EQUAL(tb_study_n_trials(st), 17);
  for (size_t i = 0; i < tb_study_n_trials(st); i++) {
    const tb_study_trial *t = tb_study_get_trial(st, i);
    CU_ASSERT(t->status == 0 || t->status == 1); /* complete or pruned */
    int k = fabs(t->fidelity - 1.0 / 9) < 1e-9 ? 0 : fabs(t->fidelity - 1.0 / 3) < 1e-9 ? 1 : t->fidelity == 1 ? 2 : -1;
    CU_ASSERT_FATAL(k >= 0);
    at[k]++;
    warm += strstr(t->reason, "warm start") != NULL;
    CU_ASSERT(t->values[0] > 0.2 && t->values[0] <= 1);
  }
  /* R = 9: 9@1/9 3@1/3 1@1 | 5@1/3 1@1 | 3@1: ends at 1/9: 6, at 1/3: 2 + 4, at 1: 1 + 1 + 3; 4 promotions end */
  CU_ASSERT_EQUAL(at[0], 6);
  CU_ASSERT_EQUAL(at[1], 6);
  CU_ASSERT_EQUAL(at[2], 5);
  CU_ASSERT_EQUAL(warm, 4);
  tb_study_free(st);
  st = NULL;
  tb_objective_free(o);
  tb_space_free(sp);
  tb_holdout_free(hold);
  tb_eval_data_free(&view);
  tb_dataset_free(ds);
  tb_suite_free(s);
  /* a test function has no rows to subsample: the study refuses to run */
  TB_CHECK_OK(tb_objective_testfn(tb_testfn_find("branin"), 0, 0, &o));
  p = tb_study_params_default();
  p.n_trials = 2, p.data_fraction = 1, p.min_fidelity = 0.5, p.max_fidelity = 1;
  TB_CHECK_OK(tb_study_create(o, &p, &st));
  CU_ASSERT_EQUAL(tb_study_run(st, NULL), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "needs a learner objective"));
  tb_study_free(st);
  tb_objective_free(o);
}

/* ---- bad suites ------------------------------------------------------------------------------------------------ */
static void expect_bad(const char *text, const char *where, const char *phrase) {
  tb_suite *s = NULL;
  int rc = tb_suite_parse("bad.yaml", text, strlen(text), &s);
  CU_ASSERT(rc < 0);
  CU_ASSERT_PTR_NULL(s);
  tb_suite_free(s);
  char want[64];
  snprintf(want, sizeof want, "bad.yaml:%s: ", where);
  const char *msg = tb_error_detail();
  int ok = strstr(msg, want) == msg && strstr(msg, phrase) != NULL;
  if (!ok) fprintf(stderr, "\nexpected %s... %s; got: %s\n", want, phrase, msg);
  CU_ASSERT(ok);
}

static void test_bad_suites(void) {
  const char *head = "name: b\n"
                     "datasets: ['gen:classification?n=300&seed=1']\n"
                     "learners: [mlp]\n"
                     "strategies: [{sampler: random, scheduler: hyperband}]\n";
  char t[1024];
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {min: 0.1, max: 1.5, unit: data_fraction}}\n", head);
  expect_bad(t, "5:47", "budget.fidelity.max: 1.5 is not a fraction of the training rows in (0, 1]");
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {min: 0, max: 1, unit: data_fraction}}\n", head);
  expect_bad(t, "5:37", "budget.fidelity.min: 0 is not a fraction");
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {min: -0.5, max: 1, unit: data_fraction}}\n", head);
  expect_bad(t, "5:37", "budget.fidelity.min: -0.5 is not a fraction");
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {min: 0.1, max: 1, unit: rounds}}\n", head);
  expect_bad(t, "5:56", "budget.fidelity.unit: mlp trains in epochs, not rounds");
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {min: 0.1, max: 1, unit: data_fractoin}}\n", head);
  expect_bad(t, "5:56", "did you mean 'data_fraction'");
  expect_bad("name: b\n"
             "functions: [branin]\n"
             "strategies: [{sampler: random}]\n"
             "budget: {trials: 5, fidelity: {min: 0.1, max: 1, unit: data_fraction}}\n",
             "4:56", "budget.fidelity.unit: data_fraction subsamples the training rows of learners on datasets; "
                     "test functions have no training rows");
  expect_bad("name: b\n"
             "command: {run: 'echo value=1', space: {a: {type: float, low: 0, high: 1}}}\n"
             "strategies: [{sampler: random, scheduler: hyperband}]\n"
             "budget: {trials: 5, fidelity: {min: 0.1, max: 1, unit: data_fraction}}\n",
             "4:56", "a command gets TB_FIDELITY in its own unit");
  /* good: min defaults to max; a learner's own unit by name */
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {max: 0.5, unit: data_fraction}}\n", head);
  tb_suite *s = parse(t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_DOUBLE_EQUAL(s->fidelity_min, 0.5, 0);
  tb_suite_free(s);
  snprintf(t, sizeof t, "%sbudget: {trials: 5, fidelity: {min: 1, max: 9, unit: epochs}}\n", head);
  s = parse(t);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL(s->fidelity_data_fraction, 0);
  tb_suite_free(s);
}

static const tb_test_case cases[] = {
    {"order", test_order},
    {"hyperband_fractions", test_hyperband_fractions},
    {"objective_fraction", test_objective_fraction},
    {"study_hyperband", test_study_hyperband},
    {"bad_suites", test_bad_suites},
    {NULL, NULL},
};
TB_TEST_MAIN("datafraction", cases)
