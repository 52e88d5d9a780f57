/* test_study.c: the study executor end to end.
 *  - determinism: grid and random studies on branin with 1 and 4 workers give the same configuration and value per
 *    trial id (compared exactly);
 *  - failures: a command study whose trials exit 3, sleep past the timeout, are killed by a signal or succeed; the
 *    study finishes every trial; a learner (mlp) with a huge learning rate diverges and one with a too small memory
 *    budget is oom, run through a study of its own;
 *  - multi-objective: nsga2 on zdt1 gives a non-empty Pareto front whose hypervolume matches tb_pareto's;
 *  - learner study: mlp on a generated dataset, hyperband + random, 2 workers, written to a store and read back;
 *  - resume: grid, random and tpe on branin: 60 trials in one run equal 25 (stopped) + a resume to 60;
 *  - bad parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objective_fixture.h"
#include "objective_impl.h"
#include "tb_error.h"
#include "tb_model.h"
#include "tb_store.h"
#include "tb_study.h"

static char dir[64];
static const char *tmp_path(const char *name) {
  static char p[4][160];
  static int k;
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/tb_study_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  }
  char *s = p[k++ % 4];
  snprintf(s, 160, "%s/%s", dir, name);
  return s;
}

static tb_study *run_testfn(const char *fn, const char *sampler, int workers, long n, long stop_after,
                            const tb_store_history *h, tb_store *st, tb_objective **obj_out) {
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_testfn(tb_testfn_find(fn), 0, 0, &o));
  tb_study_params p = tb_study_params_default();
  p.sampler = sampler;
  p.n_trials = n;
  p.n_workers = workers;
  p.seed = 42;
  p.stop_after = stop_after;
  static const char *gopt[] = {"n"}, *gval[] = {"8"};
  if (!strcmp(sampler, "grid")) p.n_sampler_options = 1, p.sampler_option_names = gopt, p.sampler_option_values = gval;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(o, &p, &s));
  if (st) TB_CHECK_OK(tb_study_attach_store(s, st, 0));
  TB_CHECK_OK(tb_study_run(s, h));
  *obj_out = o;
  return s;
}

static void same_tables(const tb_study *a, const tb_study *b, size_t n, int dim) {
  CU_ASSERT_EQUAL_FATAL(tb_study_n_trials(a), n);
  CU_ASSERT_EQUAL_FATAL(tb_study_n_trials(b), n);
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    const tb_study_trial *x = tb_study_get_trial(a, i), *y = tb_study_get_trial(b, i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    int same = x->status == y->status && x->values[0] == y->values[0] && x->seed == y->seed;
    for (int k = 0; k < dim; k++) same &= x->x[k] == y->x[k];
    if (!same && bad++ < 3)
      printf("\ntrial %zu differs: status %d/%d value %.17g/%.17g\n", i, x->status, y->status, x->values[0],
             y->values[0]);
  }
  CU_ASSERT_EQUAL(bad, 0);
}

static void test_determinism(void) {
  const char *samplers[] = {"grid", "random"};
  for (int k = 0; k < 2; k++) {
    tb_objective *o1, *o4;
    tb_study *s1 = run_testfn("branin", samplers[k], 1, 20, 0, NULL, NULL, &o1);
    tb_study *s4 = run_testfn("branin", samplers[k], 4, 20, 0, NULL, NULL, &o4);
    same_tables(s1, s4, 20, 2);
    for (size_t i = 0; i < 20; i++) CU_ASSERT_EQUAL(tb_study_get_trial(s1, i)->status, 0);
    double ref;
    const tb_study_trial *t = tb_study_get_trial(s4, 5);
    TB_CHECK_OK(tb_testfn_eval(tb_testfn_find("branin"), t->x, &ref));
    CU_ASSERT_EQUAL(t->values[0], ref);
    CU_ASSERT(tb_study_best(s1) >= 0);
    tb_study_free(s1), tb_study_free(s4);
    tb_objective_free(o1), tb_objective_free(o4);
  }
}

static void test_command_failures(void) {
  const char *path = tmp_path("modes.sh");
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fprintf(f, "#!/bin/sh\ncase \"$TB_PARAM_MODE\" in\n exit3) echo boom >&2; exit 3;;\n"
             " sleep) sleep 20;;\n kill) kill -KILL $$;;\n *) echo step=1 value=$TB_PARAM_X; echo value=$TB_PARAM_X;;\n"
             "esac\n");
  fclose(f);
  chmod(path, 0755);
  tb_space *sp = NULL;
  static const char *modes[] = {"ok", "exit3", "sleep", "kill"};
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_categorical(sp, "mode", 4, modes));
  TB_CHECK_OK(tb_space_add_float(sp, "x", 0, 1, 0));
  TB_CHECK_OK(tb_space_finalize(sp));
  const char *argv[] = {path, NULL};
  tb_objective_command_params cp = {argv, 1.0, 0.2, 0, NULL};
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_command(sp, &cp, &o));
  tb_study_params p = tb_study_params_default();
  p.sampler = "random";
  p.n_trials = 12;
  p.n_workers = 4;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(o, &p, &s));
  TB_CHECK_OK(tb_study_run(s, NULL));
  CU_ASSERT_EQUAL(tb_study_n_trials(s), 12);
  int seen[4] = {0};
  for (size_t i = 0; i < 12; i++) {
    const tb_study_trial *t = tb_study_get_trial(s, i);
    int m = (int)t->x[0];
    seen[m]++;
    static const char *needle[] = {NULL, "exit status 3; stderr: boom", "timeout", "killed by signal 9"};
    if (m == 0) {
      CU_ASSERT_EQUAL(t->status, 0);
      CU_ASSERT_EQUAL(t->values[0], t->x[1]);
    } else {
      CU_ASSERT_EQUAL(t->status, 2);
      CU_ASSERT_PTR_NOT_NULL(strstr(t->reason, needle[m]));
    }
  }
  CU_ASSERT(seen[0] && seen[1] && seen[2] && seen[3]);
  tb_study_free(s);
  tb_objective_free(o);
  tb_space_free(sp);
}

/* A learner on gen data (objective_fixture.h): default split, stratified for classification. */
static void lfix_init(ofx *f, const char *spec, const char *learner, int latency) {
  tb_dataset *ds = ofx_load(spec);
  tb_split_spec sp = tb_split_spec_default();
  sp.stratify = ds->task == TB_TASK_CLASSIFICATION;
  ofx_open(f, tb_learner_find(learner), ds, &sp, NULL, latency, 0);
}

/* One mlp configuration (defaults + text settings) run through the learner objective as a worker runs it. */
static int one_config(ofx *f, const char *const *kv, int n, size_t budget, char *reason, size_t len) {
  const tb_learner *L = tb_learner_find("mlp");
  const tb_space *sp = tb_objective_space(f->o);
  double x[64];
  tb_learner_defaults(L, sp, x);
  for (int i = 0; i < n; i++) TB_CHECK_OK(tb_learner_set(L, sp, x, kv[2 * i], kv[2 * i + 1]));
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_worker_ctx wk = {0, NULL, NULL};
  TB_CHECK_OK(tb_backend_open(&dev, &wk.be));
  tb_trial_run run;
  memset(&run, 0, sizeof run);
  run.x = x, run.seed = 9, run.fidelity_to = 3, run.fidelity_max = 3, run.memory_budget = budget, run.wk = &wk;
  TB_CHECK_OK(tb_objective_run(f->o, &run));
  snprintf(reason, len, "%s", run.reason);
  free(run.state_out);
  tb_devdata_free(wk.devdata);
  tb_backend_free(wk.be);
  return run.status;
}

static void test_learner_diverge_oom(void) {
  ofx f;
  lfix_init(&f, "gen:friedman1?n=200&d=6&seed=2", "mlp", 0);
  char why[TB_TRIAL_REASON_MAX];
  static const char *huge[] = {"optimizer", "momentum", "momentum", "0.99", "lr", "10", "batch_size", "16"};
  CU_ASSERT_EQUAL(one_config(&f, huge, 4, 0, why, sizeof why), TB_TRIAL_DIVERGED);
  CU_ASSERT(strlen(why) > 0);
  static const char *big[] = {"layers", "4", "units", "1024"};
  CU_ASSERT_EQUAL(one_config(&f, big, 2, 1 << 20, why, sizeof why), TB_TRIAL_OOM);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "budget"));
  CU_ASSERT_EQUAL(one_config(&f, big, 2, 0, why, sizeof why), TB_TRIAL_COMPLETE);
  ofx_close(&f);
}

static void test_multiobjective(void) {
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_testfn(tb_testfn_find("zdt1"), 0, 0, &o));
  const char *samplers[] = {"nsga2", "random"};
  for (int k = 0; k < 2; k++) {
    tb_study_params p = tb_study_params_default();
    p.sampler = samplers[k];
    p.n_trials = 60;
    p.n_workers = 2;
    p.n_objectives = 2;
    p.objectives[0] = "f1", p.objectives[1] = "f2";
    tb_study *s = NULL;
    TB_CHECK_OK(tb_study_create(o, &p, &s));
    TB_CHECK_OK(tb_study_run(s, NULL));
    CU_ASSERT_EQUAL(tb_study_n_trials(s), 60);
    int64_t ids[60];
    size_t nf = 0;
    double hv = 0, ref[2];
    TB_CHECK_OK(tb_study_pareto(s, ids, &nf, &hv, ref));
    CU_ASSERT(nf >= 1 && nf <= 60);
    CU_ASSERT(hv > 0);
    /* every front member is non-dominated by every complete trial */
    for (size_t i = 0; i < nf; i++) {
      const tb_study_trial *a = tb_study_get_trial(s, (size_t)ids[i]);
      for (size_t j = 0; j < 60; j++) {
        const tb_study_trial *b = tb_study_get_trial(s, j);
        CU_ASSERT(!(b->values[0] <= a->values[0] && b->values[1] <= a->values[1] &&
                    (b->values[0] < a->values[0] || b->values[1] < a->values[1])));
      }
    }
    /* hypervolume against the derived reference: recomputed by a plain sweep in double */
    double pts[60][2];
    for (size_t i = 0; i < nf; i++) {
      const tb_study_trial *a = tb_study_get_trial(s, (size_t)ids[i]);
      pts[i][0] = a->values[0], pts[i][1] = a->values[1];
    }
    for (size_t i = 0; i < nf; i++) /* sort by f1 */
      for (size_t j = i + 1; j < nf; j++)
        if (pts[j][0] < pts[i][0]) {
          double t0 = pts[i][0], t1 = pts[i][1];
          pts[i][0] = pts[j][0], pts[i][1] = pts[j][1], pts[j][0] = t0, pts[j][1] = t1;
        }
    double want = 0, prev = ref[1];
    for (size_t i = 0; i < nf; i++) {
      if (pts[i][1] < prev) want += (ref[0] - pts[i][0]) * (prev - pts[i][1]), prev = pts[i][1];
    }
    CU_ASSERT(fabs(hv - want) <= 1e-12 * fmax(1, want));
    tb_study_free(s);
  }
  tb_objective_free(o);
}

static void test_learner_study(void) {
  ofx f;
  lfix_init(&f, "gen:classification?n=240&d=6&informative=4&classes=3&seed=5", "mlp", 100);
  const char *path = tmp_path("learner.h5");
  tb_store *st = NULL;
  tb_store_study sd = {"test", "suite text", 0, NULL, NULL, "cpu", "", NULL, 0};
  tb_store_options so = tb_store_options_default();
  so.force = 1;
  TB_CHECK_OK(tb_store_create(path, &sd, &so, &st));
  tb_study_params p = tb_study_params_default();
  p.sampler = "random";
  p.scheduler = "hyperband";
  p.n_trials = 6;
  p.min_fidelity = 1;
  p.max_fidelity = 9;
  p.n_workers = 2;
  p.seed = 3;
  p.n_objectives = 2;
  p.objectives[0] = "valid_loss", p.objectives[1] = "latency_b1_p50_us";
  p.n_objectives = 1; /* hyperband is single-objective; latency is still measured */
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(f.o, &p, &s));
  tb_store_experiment ex = {"mlp.gen", "mlp", "gen:classification", NULL, 0, NULL, NULL};
  tb_study_describe_experiment(s, &ex);
  int idx = -1;
  TB_CHECK_OK(tb_store_add_experiment(st, &ex, &idx));
  TB_CHECK_OK(tb_study_attach_store(s, st, idx));
  TB_CHECK_OK(tb_study_run(s, NULL));
  size_t n = tb_study_n_trials(s), n_complete = 0;
  CU_ASSERT(n >= 1 && n <= 6);
  for (size_t i = 0; i < n; i++) {
    const tb_study_trial *t = tb_study_get_trial(s, i);
    if (t->status != 0) continue;
    n_complete++;
    CU_ASSERT(t->values[0] > 0 && isfinite(t->values[0]));
    CU_ASSERT(t->n_params > 0);
    CU_ASSERT(t->latency_p50[0] > 0 && t->latency_p99[0] >= t->latency_p50[0]);
    CU_ASSERT(t->latency_p50[1] > 0);
    CU_ASSERT(t->peak_memory > 0);
    CU_ASSERT(t->fidelity >= 1 && t->fidelity <= 9);
  }
  CU_ASSERT(n_complete >= 1);
  TB_CHECK_OK(tb_store_close(st));
  /* read back */
  tb_store_history *h = NULL;
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  size_t n_begin = 0, n_end = 0, n_curve = 0, n_pareto = 0;
  for (size_t i = 0; i < h->n_events; i++) {
    n_begin += h->events[i].type == TB_STORE_EV_TRIAL_BEGIN;
    n_end += h->events[i].type == TB_STORE_EV_TRIAL_END;
    n_curve += h->events[i].type == TB_STORE_EV_CURVE;
    n_pareto += h->events[i].type == TB_STORE_EV_PARETO;
  }
  CU_ASSERT(n_begin >= n && n_begin == n_end);
  CU_ASSERT(n_curve >= n_complete);
  CU_ASSERT_EQUAL(n_pareto, 1);
  CU_ASSERT_EQUAL(h->n_interrupted, 0);
  tb_store_history_free(h);
  TB_CHECK_OK(tb_store_close(st));
  tb_study_free(s);
  ofx_close(&f);
}

static void test_learner_failures(void) {
  ofx f;
  lfix_init(&f, "gen:friedman1?n=200&d=6&seed=2", "mlp", 0);
  /* random mlp configurations under a 64 KiB model budget: wide ones are oom, the study runs them all */
  tb_study_params p = tb_study_params_default();
  p.sampler = "random";
  p.n_trials = 8;
  p.n_workers = 2;
  p.max_fidelity = 2;
  p.memory_budget = 64 << 10;
  p.seed = 11;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(f.o, &p, &s));
  TB_CHECK_OK(tb_study_run(s, NULL));
  CU_ASSERT_EQUAL(tb_study_n_trials(s), 8);
  int n_oom = 0, n_other = 0;
  for (size_t i = 0; i < 8; i++) {
    const tb_study_trial *t = tb_study_get_trial(s, i);
    if (t->status == 4) {
      n_oom++;
      CU_ASSERT(strlen(t->reason) > 0);
    } else {
      n_other++;
    }
  }
  CU_ASSERT(n_oom >= 1);
  CU_ASSERT_EQUAL(n_oom + n_other, 8);
  tb_study_free(s);
  ofx_close(&f);
}

static void test_resume(void) {
  const char *samplers[] = {"grid", "random", "tpe"};
  for (int k = 0; k < 3; k++) {
    tb_objective *oa, *ob, *oc;
    tb_study *full = run_testfn("branin", samplers[k], 1, 60, 0, NULL, NULL, &oa);
    const char *path = tmp_path("resume.h5");
    tb_store *st = NULL;
    tb_store_study sd = {"resume", "", 0, NULL, NULL, "cpu", "", NULL, 0};
    tb_store_options so = tb_store_options_default();
    so.force = 1;
    TB_CHECK_OK(tb_store_create(path, &sd, &so, &st));
    tb_study *part = NULL;
    {
      tb_objective *o = NULL;
      TB_CHECK_OK(tb_objective_testfn(tb_testfn_find("branin"), 0, 0, &o));
      tb_study_params p = tb_study_params_default();
      p.sampler = samplers[k], p.n_trials = 60, p.seed = 42, p.stop_after = 25;
      static const char *gopt[] = {"n"}, *gval[] = {"8"};
      if (k == 0) p.n_sampler_options = 1, p.sampler_option_names = gopt, p.sampler_option_values = gval;
      TB_CHECK_OK(tb_study_create(o, &p, &part));
      tb_store_experiment ex = {"branin", "testfn", "branin", NULL, 0, NULL, NULL};
      tb_study_describe_experiment(part, &ex);
      int idx;
      TB_CHECK_OK(tb_store_add_experiment(st, &ex, &idx));
      TB_CHECK_OK(tb_study_attach_store(part, st, idx));
      TB_CHECK_OK(tb_study_run(part, NULL));
      CU_ASSERT(tb_study_stopped(part));
      CU_ASSERT_EQUAL(tb_study_n_trials(part), 25);
      ob = o;
    }
    TB_CHECK_OK(tb_store_close(st));
    tb_store_history *h = NULL;
    TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
    tb_study *res = run_testfn("branin", samplers[k], 1, 60, 0, h, st, &oc);
    same_tables(full, res, 60, 2);
    size_t n_replayed = 0;
    for (size_t i = 0; i < 60; i++) n_replayed += tb_study_get_trial(res, i)->replayed;
    CU_ASSERT_EQUAL(n_replayed, 25);
    tb_store_history_free(h);
    TB_CHECK_OK(tb_store_close(st));
    tb_study_free(full), tb_study_free(part), tb_study_free(res);
    tb_objective_free(oa), tb_objective_free(ob), tb_objective_free(oc);
  }
}

static void test_bad_params(void) {
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_testfn(tb_testfn_find("branin"), 0, 0, &o));
  tb_study_params p = tb_study_params_default();
  tb_study *s = NULL;
  CU_ASSERT_PTR_NOT_NULL(tb_study_check_params(&p)); /* no budget */
  p.n_trials = 5;
  CU_ASSERT_PTR_NULL(tb_study_check_params(&p));
  p.n_workers = 0;
  CU_ASSERT_EQUAL(tb_study_create(o, &p, &s), TB_ERR_INVALID);
  p.n_workers = 1;
  p.objectives[0] = "accuracy";
  CU_ASSERT_EQUAL(tb_study_create(o, &p, &s), TB_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "value"));
  p.objectives[0] = NULL;
  p.sampler = "nope";
  TB_CHECK_OK(tb_study_create(o, &p, &s));
  CU_ASSERT(tb_study_run(s, NULL) < 0);
  tb_study_free(s);
  tb_study_free(NULL);
  tb_objective_free(o);
}

static void test_cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (dir[0]) CU_ASSERT_EQUAL(system(cmd), 0);
}

static const tb_test_case cases[] = {{"determinism", test_determinism},
                                     {"command_failures", test_command_failures},
                                     {"multiobjective", test_multiobjective},
                                     {"learner_study", test_learner_study},
                                     {"learner_failures", test_learner_failures},
                                     {"learner_diverge_oom", test_learner_diverge_oom},
                                     {"resume", test_resume},
                                     {"bad_params", test_bad_params},
                                     {"cleanup", test_cleanup},
                                     {NULL, NULL}};
TB_TEST_MAIN("study", cases)
