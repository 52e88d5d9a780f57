/* test_study_store.c: the executor as suites use it (several studies into one results file):
 *  - restricted learner space: an mlp space built by tb_suite_space (fewer activation choices in another order, a
 *    fixed optimizer, narrower ranges) runs; every configuration recorded is in the restricted space; a
 *    configuration run through the restricted objective gives bit-identical metrics to the same configuration
 *    mapped by tb_suite_learner_config and run through the declared-space objective; test_accuracy / test_loss
 *    equal a double-precision reference computed here from the model's predictions on the test rows;
 *  - recorded-only objectives (n_recorded): test_accuracy is stored per trial but never decides the best trial;
 *  - two studies (strategies a and b) in one store: distinct store ids, distinct Pareto snapshot numbers per
 *    experiment, the experiment attributes (optimum, n_valid) in the journal and in the .h5;
 *  - resume per strategy: the whole history handed to study b replays only b's trials, and the result equals an
 *    uninterrupted run;
 *  - the progress callback: called after every finished job, counts increasing, best equal to tb_study_best;
 *  - a study stop while learner trials run ends them as interrupted, not pruned;
 *  - bad input: a space whose parameters are not the learner's, test rows of another shape, n_recorded < n. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective_fixture.h"
#include "objective_impl.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_model.h"
#include "tb_store.h"
#include "tb_study.h"
#include "tb_suite.h"

static char dir[64];
static const char *tmp_path(const char *name) {
  static char p[4][160];
  static int k;
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/tb_studystore_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  }
  char *s = p[k++ % 4];
  snprintf(s, 160, "%s/%s", dir, name);
  return s;
}

static const char *suite_text =
    "name: t\n"
    "datasets: [{spec: \"gen:classification?n=300&d=6&informative=4&classes=3&seed=5\", name: g}]\n"
    "learners:\n"
    "  - name: mlp\n"
    "    space:\n"
    "      act: {choices: [sigmoid, tanh]}\n"
    "      optimizer: sgd\n"
    "      units: {low: 16, high: 32}\n"
    "      lr: {low: 0.01, high: 0.3, log: true}\n"
    "strategies: [{name: random, sampler: random}]\n"
    "budget: {trials: 4, fidelity: {max: 2}}\n"
    "objectives: [test_accuracy, valid_accuracy]\n";

typedef struct fix {
  tb_suite *suite;
  tb_suite_experiment ex;
  ofx ob;             /* the objective over the restricted space, with test rows (objective_fixture.h) */
  tb_objective *decl; /* declared space, no test rows */
} fix;

static void fix_init(fix *f) {
  memset(f, 0, sizeof *f);
  TB_CHECK_OK(tb_suite_parse("t.yaml", suite_text, strlen(suite_text), &f->suite));
  CU_ASSERT_EQUAL_FATAL(tb_suite_n_tuned(f->suite), 1);
  CU_ASSERT_STRING_EQUAL(f->suite->objectives[0].name, "valid_accuracy"); /* test_* moved last */
  TB_CHECK_OK(tb_suite_experiment_get(f->suite, 0, &f->ex));
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_suite_space(f->suite, &f->ex, &sp));
  CU_ASSERT_EQUAL_FATAL(tb_suite_learner_remaps(f->ex.learner), 1);
  tb_split_spec s = tb_split_spec_default();
  ofx_open(&f->ob, f->ex.learner->learner, ofx_load(f->ex.dataset->spec), &s, sp, 0, 1);
  tb_objective_learner_params pd = {f->ex.learner->learner, &f->ob.view, 0, NULL, NULL};
  TB_CHECK_OK(tb_objective_learner_create(&pd, &f->decl));
}

static void fix_free(fix *f) {
  tb_objective_free(f->decl);
  ofx_close(&f->ob);
  tb_suite_free(f->suite);
}

static void run_one(tb_objective *o, const double *x, tb_worker_ctx *wk, tb_trial_run *run) {
  memset(run, 0, sizeof *run);
  run->x = x, run->seed = 77, run->fidelity_to = 2, run->fidelity_max = 2, run->wk = wk;
  TB_CHECK_OK(tb_objective_run(o, run));
}

static void test_restricted_space(void) {
  fix f;
  fix_init(&f);
  const tb_learner *L = f.ex.learner->learner;
  const tb_space *sp = tb_objective_space(f.ob.o);
  int d = tb_space_dim(sp), ia = tb_space_find(sp, "act"), iu = tb_space_find(sp, "units");
  int io = tb_space_find(sp, "optimizer");
  CU_ASSERT_FATAL(ia >= 0 && iu >= 0 && io >= 0 && d <= 64);
  CU_ASSERT_EQUAL(tb_space_param(sp, ia)->n_choices, 2);
  CU_ASSERT_EQUAL(tb_space_param(sp, io)->type, TB_PARAM_FIXED);
  /* the middle of the space, act = 0 (sigmoid here, not the declared choice 0) */
  double x[64], xl[64];
  for (int i = 0; i < d; i++) {
    const tb_param *p = tb_space_param(sp, i);
    x[i] = p->type == TB_PARAM_FIXED ? p->value : p->type == TB_PARAM_CATEGORICAL ? 0
           : p->type == TB_PARAM_INT ? floor((p->lo + p->hi) / 2) : p->log ? sqrt(p->lo * p->hi) : (p->lo + p->hi) / 2;
    if (!tb_space_active(sp, x, i)) x[i] = NAN;
  }
  TB_CHECK_OK(tb_suite_learner_config(f.ex.learner, sp, x, xl));
  CU_ASSERT_STRING_EQUAL(tb_learner_hparam(L, ia)->choices[(int)xl[ia]], "sigmoid");
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_worker_ctx wk = {0, NULL, NULL};
  TB_CHECK_OK(tb_backend_open(&dev, &wk.be));
  tb_trial_run a, b;
  run_one(f.ob.o, x, &wk, &a);
  CU_ASSERT_EQUAL_FATAL(a.status, TB_TRIAL_COMPLETE);
  tb_worker_ctx wk2 = {0, wk.be, NULL};
  run_one(f.decl, xl, &wk2, &b);
  CU_ASSERT_EQUAL_FATAL(b.status, TB_TRIAL_COMPLETE);
  int im = tb_objective_metric_find(f.ob.o, "valid_loss"), ia2 = tb_objective_metric_find(f.ob.o, "valid_accuracy");
  CU_ASSERT(a.metrics[im] == b.metrics[im]); /* same model, same seed: bit-identical */
  CU_ASSERT(a.metrics[ia2] == b.metrics[ia2]);
  CU_ASSERT(a.n_params == b.n_params);
  CU_ASSERT_EQUAL(tb_objective_metric_find(f.decl, "test_accuracy"), -1); /* only with test rows */
  /* test metrics: reference from the same model, trained as the objective trains it, scored here in double */
  tb_space *decl = NULL;
  TB_CHECK_OK(tb_learner_space(L, &decl));
  tb_model *m = NULL;
  tb_parts parts = {f.ob.view.train, f.ob.view.n_train, f.ob.view.valid, f.ob.view.n_valid};
  TB_CHECK_OK(tb_model_create(L, decl, xl, wk.devdata, &parts, 77, &m));
  TB_CHECK_OK(tb_model_train(m, 1));
  TB_CHECK_OK(tb_model_train(m, 1));
  int k = tb_model_n_outputs(m);
  float *out = malloc(f.ob.test->n_rows * (size_t)k * sizeof *out);
  TB_CHECK_OK(tb_model_predict(m, f.ob.test->X, f.ob.test->n_rows, out));
  double hit = 0, ll = 0;
  for (size_t i = 0; i < f.ob.test->n_rows; i++) {
    int best = 0;
    for (int c = 1; c < k; c++) best = out[i * k + c] > out[i * k + best] ? c : best;
    hit += best == f.ob.test->y_class[i];
    ll -= log(fmax(out[i * k + f.ob.test->y_class[i]], 1e-15));
  }
  double acc = hit / (double)f.ob.test->n_rows, loss = ll / (double)f.ob.test->n_rows;
  int ta = tb_objective_metric_find(f.ob.o, "test_accuracy"), tl = tb_objective_metric_find(f.ob.o, "test_loss");
  CU_ASSERT_FATAL(ta >= 0 && tl >= 0);
  CU_ASSERT_DOUBLE_EQUAL(a.metrics[ta], acc, 1e-12); /* the same predictions: only summation order may differ */
  CU_ASSERT_DOUBLE_EQUAL(a.metrics[tl], loss, 1e-9 * fmax(1, loss));
  CU_ASSERT(acc > 0 && acc <= 1 && f.ob.test->n_rows >= 50);
  free(out);
  tb_model_free(m);
  tb_space_free(decl);
  free(a.state_out), free(b.state_out);
  tb_devdata_free(wk2.devdata), tb_devdata_free(wk.devdata);
  tb_backend_free(wk.be);

  /* a study over the restricted space, test_accuracy recorded only */
  const char *path = tmp_path("restricted.h5");
  tb_store *st = NULL;
  tb_store_study sd = {"t", suite_text, 0, NULL, NULL, "cpu", "", NULL, 0};
  tb_store_options so = tb_store_options_default();
  so.force = 1;
  TB_CHECK_OK(tb_store_create(path, &sd, &so, &st));
  tb_study_params p = tb_study_params_default();
  p.sampler = "random", p.n_trials = 6, p.max_fidelity = 2, p.n_workers = 2, p.seed = 5;
  p.n_objectives = 1, p.n_recorded = 2;
  p.objectives[0] = "valid_accuracy", p.objectives[1] = "test_accuracy", p.maximize[0] = p.maximize[1] = 1;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(f.ob.o, &p, &s));
  tb_store_experiment ex = {"mlp.g", "mlp", f.ex.dataset->spec, NULL, 0, NULL, NULL};
  tb_study_describe_experiment(s, &ex);
  CU_ASSERT_EQUAL(ex.n_objectives, 2);
  const char *an[] = {"n_valid"};
  double av[] = {(double)f.ob.view.n_valid};
  int idx = -1;
  TB_CHECK_OK(tb_store_add_experiment_attrs(st, &ex, 1, an, av, &idx));
  TB_CHECK_OK(tb_study_attach_store(s, st, idx));
  TB_CHECK_OK(tb_study_run(s, NULL));
  CU_ASSERT_EQUAL(tb_study_n_trials(s), 6);
  int n_ok = 0;
  for (size_t i = 0; i < tb_study_n_trials(s); i++) {
    const tb_study_trial *t = tb_study_get_trial(s, i);
    CU_ASSERT(t->x[ia] == 0 || t->x[ia] == 1);
    CU_ASSERT(t->x[iu] >= 16 && t->x[iu] <= 32);
    CU_ASSERT(t->x[io] == tb_space_param(sp, io)->value);
    if (t->status != TB_TRIAL_COMPLETE) continue;
    n_ok++;
    CU_ASSERT(t->values[1] >= 0 && t->values[1] <= 1);
  }
  CU_ASSERT(n_ok >= 4);
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history *h = NULL;
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  for (size_t i = 0; i < h->n_events; i++) {
    const tb_store_event *ev = &h->events[i];
    if (ev->type == TB_STORE_EV_EXPERIMENT) {
      CU_ASSERT_EQUAL(ev->u.experiment.exp.n_objectives, 2);
      CU_ASSERT_STRING_EQUAL(ev->u.experiment.exp.objective_names[1], "test_accuracy");
      CU_ASSERT_EQUAL(ev->u.experiment.n_attrs, 1);
      CU_ASSERT(ev->u.experiment.attr_values[0] == (double)f.ob.view.n_valid);
      const tb_space *hs = ev->u.experiment.exp.space; /* the restricted space is what is recorded */
      CU_ASSERT_EQUAL(tb_space_param(hs, ia)->n_choices, 2);
      CU_ASSERT_STRING_EQUAL(tb_space_param(hs, ia)->choices[0], "sigmoid");
    }
    if (ev->type == TB_STORE_EV_TRIAL_END && ev->u.result.status == TB_TRIAL_COMPLETE)
      CU_ASSERT(ev->u.result.objectives[1] >= 0 && ev->u.result.objectives[1] <= 1);
  }
  tb_store_history_free(h);
  TB_CHECK_OK(tb_store_close(st));
  tb_study_free(s);
  fix_free(&f);
}

/* A stop (stop_after) while a learner trial runs ends it as interrupted (re-run on resume), never as pruned. */
static void test_stop_is_interrupt(void) {
  fix f;
  fix_init(&f);
  tb_study_params p = tb_study_params_default();
  p.sampler = "random", p.n_trials = 6, p.max_fidelity = 40, p.n_workers = 2, p.seed = 8, p.stop_after = 1;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(f.ob.o, &p, &s));
  TB_CHECK_OK(tb_study_run(s, NULL));
  CU_ASSERT(tb_study_stopped(s));
  int n_pruned = 0, n_other = 0, n_int = 0;
  for (size_t i = 0; i < tb_study_n_trials(s); i++) {
    const tb_study_trial *t = tb_study_get_trial(s, i);
    n_pruned += t->status == TB_TRIAL_PRUNED;
    n_int += t->status == TB_TRIAL_INTERRUPTED;
    n_other += t->status != TB_TRIAL_COMPLETE && t->status != TB_TRIAL_INTERRUPTED;
  }
  CU_ASSERT_EQUAL(n_pruned, 0); /* scheduler none never prunes */
  CU_ASSERT_EQUAL(n_other, 0);
  CU_ASSERT(n_int + n_pruned >= 1); /* the other worker's trial was running when the first one ended */
  tb_study_free(s);
  fix_free(&f);
}

static void test_bad_input(void) {
  fix f;
  fix_init(&f);
  tb_objective *o = NULL;
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 0.01, 0.1, 1));
  TB_CHECK_OK(tb_space_finalize(sp));
  tb_objective_learner_params p = {f.ex.learner->learner, &f.ob.view, 0, sp, NULL};
  CU_ASSERT_EQUAL(tb_objective_learner_create(&p, &o), TB_ERR_INVALID); /* not mlp's parameters */
  CU_ASSERT_PTR_NULL(o);
  tb_dataset *other = NULL;
  TB_CHECK_OK(tb_data_load("gen:classification?n=50&d=5&informative=3&classes=3&seed=1", &other));
  tb_objective_learner_params q = {f.ex.learner->learner, &f.ob.view, 0, f.ob.space, other};
  CU_ASSERT_EQUAL(tb_objective_learner_create(&q, &o), TB_ERR_INVALID); /* 5 columns, not 6 */
  CU_ASSERT_EQUAL(tb_objective_learner_create(NULL, &o), TB_ERR_INVALID);
  tb_study_params sp2 = tb_study_params_default();
  sp2.n_trials = 3, sp2.n_objectives = 2, sp2.n_recorded = 1;
  CU_ASSERT_PTR_NOT_NULL(tb_study_check_params(&sp2));
  tb_dataset_free(other);
  tb_space_free(sp);
  fix_free(&f);
}

typedef struct prog_log {
  int n_calls, monotone;
  long last_ended;
  double last_best;
} prog_log;

static void on_progress(void *ctx, const tb_study_progress *p) {
  prog_log *l = ctx;
  l->monotone &= p->n_ended > l->last_ended && p->elapsed_s >= 0 && p->n_trials >= 1;
  l->last_ended = p->n_ended;
  l->last_best = p->have_best ? p->best : NAN;
  l->n_calls++;
}

/* A branin study of strategy `name` into st (experiment 0), or without a store. */
static tb_study *branin(const char *sampler, const char *name, long n, long stop_after, tb_store *st,
                        const tb_store_history *h, tb_objective *o, prog_log *log) {
  tb_study_params p = tb_study_params_default();
  p.sampler = sampler, p.strategy = name, p.n_trials = n, p.seed = 9, p.stop_after = stop_after;
  if (log) p.progress = on_progress, p.progress_ctx = log;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(o, &p, &s));
  if (st) TB_CHECK_OK(tb_study_attach_store(s, st, 0));
  TB_CHECK_OK(tb_study_run(s, h));
  return s;
}

static void test_two_studies_resume(void) {
  const tb_testfn *fn = tb_testfn_find("branin");
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_testfn(fn, 0, 0, &o));
  prog_log log = {0, 1, 0, NAN};
  tb_study *full = branin("tpe", "b", 20, 0, NULL, NULL, o, &log); /* uninterrupted b, no store */
  CU_ASSERT_EQUAL(log.n_calls, 20);
  CU_ASSERT(log.monotone);
  CU_ASSERT(log.last_best == tb_study_get_trial(full, (size_t)tb_study_best(full))->values[0]);

  const char *path = tmp_path("two.h5");
  tb_store *st = NULL;
  tb_store_study sd = {"two", "", 0, NULL, NULL, "cpu", "", NULL, 0};
  tb_store_options so = tb_store_options_default();
  so.force = 1;
  TB_CHECK_OK(tb_store_create(path, &sd, &so, &st));
  tb_study *a = branin("random", "a", 10, 0, NULL, NULL, o, NULL);
  tb_store_experiment ex = {"branin", "testfn", "branin", NULL, 0, NULL, NULL};
  tb_study_describe_experiment(a, &ex);
  const char *an[] = {"optimum"};
  double av[] = {fn->optimum};
  int idx = -1;
  TB_CHECK_OK(tb_store_add_experiment_attrs(st, &ex, 1, an, av, &idx));
  CU_ASSERT_EQUAL(idx, 0);
  const char *bad[] = {"objectives"}; /* a reserved attribute name */
  tb_store_experiment ex2 = ex;
  ex2.name = "other";
  CU_ASSERT_EQUAL(tb_store_add_experiment_attrs(st, &ex2, 1, bad, av, NULL), TB_ERR_INVALID);
  tb_study_free(a);
  a = branin("random", "a", 10, 0, st, NULL, o, NULL);
  tb_study *b1 = branin("tpe", "b", 20, 7, st, NULL, o, NULL); /* stopped after 7 */
  CU_ASSERT(tb_study_stopped(b1));
  for (size_t i = 0; i < 10; i++)
    for (size_t j = 0; j < tb_study_n_trials(b1); j++)
      CU_ASSERT(tb_study_get_trial(a, i)->store_id != tb_study_get_trial(b1, j)->store_id);
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history *h = NULL;
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  tb_study *b2 = branin("tpe", "b", 20, 0, st, h, o, NULL); /* the whole history: only b's rows replay */
  size_t n_replayed = 0;
  for (size_t i = 0; i < 20; i++) n_replayed += tb_study_get_trial(b2, i)->replayed;
  CU_ASSERT_EQUAL(n_replayed, 7);
  for (size_t i = 0; i < 20; i++) {
    const tb_study_trial *x = tb_study_get_trial(full, i), *y = tb_study_get_trial(b2, i);
    CU_ASSERT(x->values[0] == y->values[0] && x->x[0] == y->x[0] && x->x[1] == y->x[1] && x->seed == y->seed);
  }
  tb_store_history_free(h);
  TB_CHECK_OK(tb_store_close(st));
  /* the journal: unique ids, unique snapshots, the attribute */
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  int64_t snaps[8];
  int n_snap = 0, n_begin = 0, dup = 0;
  for (size_t i = 0; i < h->n_events; i++) {
    const tb_store_event *ev = &h->events[i];
    if (ev->type == TB_STORE_EV_PARETO && n_snap < 8) snaps[n_snap++] = ev->u.pareto.snapshot;
    n_begin += ev->type == TB_STORE_EV_TRIAL_BEGIN;
    if (ev->type == TB_STORE_EV_EXPERIMENT) {
      CU_ASSERT_EQUAL(ev->u.experiment.n_attrs, 1);
      CU_ASSERT_STRING_EQUAL(ev->u.experiment.attr_names[0], "optimum");
      CU_ASSERT(ev->u.experiment.attr_values[0] == fn->optimum);
    }
  }
  CU_ASSERT_EQUAL(n_snap, 3); /* a, b stopped, b resumed */
  for (int i = 0; i < n_snap; i++)
    for (int j = i + 1; j < n_snap; j++) dup += snaps[i] == snaps[j];
  CU_ASSERT_EQUAL(dup, 0);
  CU_ASSERT_EQUAL(n_begin, 10 + 7 + 13);
  CU_ASSERT_EQUAL(h->next_trial_id, 30);
  tb_store_history_free(h);
  TB_CHECK_OK(tb_store_close(st));
  tb_h5_file *f5 = NULL;
  double v = 0;
  size_t nv = 0;
  TB_CHECK_OK(tb_h5_open_live(path, &f5));
  TB_CHECK_OK(tb_h5_attr_read_f64(f5, "/experiments/branin", "optimum", &v, 1, &nv));
  CU_ASSERT(nv == 1 && v == fn->optimum);
  tb_h5_close(f5);
  tb_study_free(full), tb_study_free(a), tb_study_free(b1), tb_study_free(b2);
  tb_objective_free(o);
}

static void test_cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (dir[0]) CU_ASSERT_EQUAL(system(cmd), 0);
}

static const tb_test_case cases[] = {{"restricted_space", test_restricted_space},
                                     {"stop_is_interrupt", test_stop_is_interrupt},
                                     {"bad_input", test_bad_input},
                                     {"two_studies_resume", test_two_studies_resume},
                                     {"cleanup", test_cleanup},
                                     {NULL, NULL}};
TB_TEST_MAIN("study_store", cases)
