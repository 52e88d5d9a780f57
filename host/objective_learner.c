/* objective_learner.c: the learner objective: a tb_model trained unit by unit on the train rows of a tb_eval_data
 * view, evaluated on its valid rows after every unit (the value reported to the scheduler), then measured:
 * validation metrics, training time, predict latency at batch 1 and 256 (p50/p99 over >= 100 timed calls after 10
 * warm-ups, wall clock around tb_model_predict, which synchronises: tb_backend.h has no event API), parameters,
 * saved-state bytes and peak device memory of the model. The search space may be a restricted copy of the declared
 * one (narrower ranges, fewer choices, fixed values): each configuration is mapped to the declared encoding first.
 * The view has no test rows; optional held-out test rows (a separate dataset) give test_* metrics of the finished
 * model, which a study records but never tunes on.
 * Memory: the per-trial budget applies to the model on top of what the worker's context already holds (the
 * uploaded data); tb_model_estimate_bytes is checked against it before the model is created.
 * Fused bundles (tb_objective_run_bundle): K NEW jobs of one shape trained as one tb_fused model, each member
 * measured as a solo trial after extraction (see docs/executor.md "Fused trials").
 * Not the executor. Tested by tests/test_objective.c, tests/test_study.c and tests/test_study_fused.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective_impl.h"
#include "tb_error.h"
#include "tb_fused.h"
#include "tb_model.h"
#include "tb_validate.h"

enum { M_LOSS, M_ACC, M_RMSE, M_TIME, M_L1_50, M_L1_99, M_L256_50, M_L256_99, M_NPARAMS, M_BYTES, M_PEAK, M_ENERGY,
       M_N, M_TEST_ACC = M_N, M_TEST_LOSS, M_TEST_RMSE, M_NT };
static const char *const learner_metrics[M_NT] = {
    "valid_loss", "valid_accuracy", "valid_rmse", "train_time_s", "latency_b1_p50_us", "latency_b1_p99_us",
    "latency_b256_p50_us", "latency_b256_p99_us", "n_params", "model_bytes", "peak_memory_bytes", "energy_j",
    "test_accuracy", "test_loss", "test_rmse"};

typedef struct learner_impl {
  const tb_learner *L;
  const tb_eval_data *data;
  int latency_runs;
  tb_space *decl;           /* the learner's declared space (tb_model_create's), owned */
  int remap;                /* 1: the objective's space differs from decl (configurations are mapped) */
  const tb_dataset *test;   /* test rows (borrowed) or NULL */
} learner_impl;

/* x (the objective's space) -> xl (the declared encoding): categorical labels to declared indices, parameters the
 * declared conditions switch off to NAN, an inactive value the declared space needs to its default. */
static int to_declared(const learner_impl *li, const tb_space *sp, const double *x, double *xl) {
  int d = tb_space_dim(sp);
  for (int i = 0; i < d; i++) {
    const tb_param *p = tb_space_param(sp, i), *q = tb_space_param(li->decl, i);
    xl[i] = x[i];
    if (isnan(x[i]) || p->type != TB_PARAM_CATEGORICAL || q->type != TB_PARAM_CATEGORICAL) continue;
    int k = (int)x[i], j = -1;
    if (k < 0 || k >= p->n_choices) return tb_error_set(TB_ERR_INVALID, "%s = %g is not a choice index", p->name, x[i]);
    for (int c = 0; c < q->n_choices && j < 0; c++)
      if (!strcmp(q->choices[c], p->choices[k])) j = c;
    if (j < 0) return tb_error_set(TB_ERR_INVALID, "%s: '%s' is not a declared choice", p->name, p->choices[k]);
    xl[i] = j;
  }
  for (int pass = 0; pass <= d; pass++) {
    int changed = 0;
    for (int i = 0; i < d; i++) {
      int on = tb_space_active(li->decl, xl, i);
      if (!on && !isnan(xl[i])) xl[i] = NAN, changed = 1;
      else if (on && isnan(xl[i])) xl[i] = tb_learner_hparam(li->L, i)->def, changed = 1;
    }
    if (!changed) break;
  }
  return TB_OK;
}

/* Scores the finished model on the test rows: accuracy and log-loss, or RMSE. */
static int measure_test(const learner_impl *li, tb_model *m, tb_trial_run *run) {
  const tb_dataset *t = li->test;
  int k = tb_model_n_outputs(m), rc = TB_OK;
  float *out = malloc(t->n_rows * (size_t)k * sizeof *out);
  if (!out) return tb_error_set(TB_ERR_NOMEM, "test score: out of host memory");
  TB_TRY(tb_model_predict(m, t->X, t->n_rows, out));
  double hit = 0, ll = 0, se = 0;
  for (size_t i = 0; i < t->n_rows; i++) {
    const float *o = out + i * (size_t)k;
    if (t->task == TB_TASK_CLASSIFICATION) {
      int best = 0;
      for (int c = 1; c < k; c++)
        if (o[c] > o[best]) best = c;
      hit += best == t->y_class[i];
      double p = k == 1 ? (t->y_class[i] ? o[0] : 1 - o[0]) : o[t->y_class[i]];
      ll -= log(p > 1e-15 ? p : 1e-15);
    } else {
      double e = (double)o[0] - (double)t->y_value[i];
      se += e * e;
    }
  }
  double n = (double)(t->n_rows ? t->n_rows : 1);
  if (t->task == TB_TASK_CLASSIFICATION) run->metrics[M_TEST_ACC] = hit / n, run->metrics[M_TEST_LOSS] = ll / n;
  else run->metrics[M_TEST_RMSE] = sqrt(se / n), run->metrics[M_TEST_LOSS] = 0.5 * se / n;
done:
  free(out);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* p50 and p99 of `runs` timed predict calls on n rows of X. */
static int time_predict(tb_model *m, const float *X, size_t n, int runs, double *p50, double *p99) {
  int rc = TB_OK;
  float *out = malloc(n * (size_t)tb_model_n_outputs(m) * sizeof *out);
  double *t = malloc((size_t)runs * sizeof *t);
  if (!out || !t) TB_FAIL(TB_ERR_NOMEM, "latency: out of host memory");
  for (int i = 0; i < 10; i++) TB_TRY(tb_model_predict(m, X, n, out));
  for (int i = 0; i < runs; i++) {
    double t0 = tb_objective_now();
    TB_TRY(tb_model_predict(m, X, n, out));
    t[i] = tb_objective_now() - t0;
  }
  qsort(t, (size_t)runs, sizeof *t, cmp_double);
  *p50 = t[(runs - 1) / 2];
  *p99 = t[(size_t)ceil(0.99 * runs) - 1];
done:
  free(out);
  free(t);
  return rc;
}

static int measure_latency(learner_impl *li, tb_model *m, tb_trial_run *run) {
  int rc = TB_OK;
  const tb_dataset *ds = li->data->ds;
  size_t nb = 256;
  float *X = malloc(nb * (size_t)ds->n_cols * sizeof *X);
  if (!X) return tb_error_set(TB_ERR_NOMEM, "latency: out of host memory");
  const uint32_t *rows = li->data->n_valid ? li->data->valid : li->data->train;
  size_t nr = li->data->n_valid ? li->data->n_valid : li->data->n_train;
  for (size_t i = 0; i < nb; i++)
    memcpy(X + i * (size_t)ds->n_cols, ds->X + (size_t)rows[i % nr] * (size_t)ds->n_cols,
           (size_t)ds->n_cols * sizeof *X);
  TB_TRY(time_predict(m, X, 1, li->latency_runs, &run->latency_p50[0], &run->latency_p99[0]));
  TB_TRY(time_predict(m, X, nb, li->latency_runs, &run->latency_p50[1], &run->latency_p99[1]));
  run->metrics[M_L1_50] = run->latency_p50[0] * 1e6, run->metrics[M_L1_99] = run->latency_p99[0] * 1e6;
  run->metrics[M_L256_50] = run->latency_p50[1] * 1e6, run->metrics[M_L256_99] = run->latency_p99[1] * 1e6;
done:
  free(X);
  return rc;
}

/* Maps a model error to the trial's status. */
static int model_fail(tb_trial_run *run, int rc, const char *what) {
  if (rc == TB_ERR_RANGE) return tb_objective_run_fail(run, TB_RUN_DIVERGED, "%s: %s", what, tb_error_detail());
  if (rc == TB_ERR_OOM) return tb_objective_run_fail(run, TB_RUN_OOM, "%s: %s", what, tb_error_detail());
  if (rc == TB_ERR_DEVICE_FATAL) return rc; /* the process must restart: not a trial failure */
  return tb_objective_run_fail(run, TB_RUN_FAILED, "%s: %s: %s", what, tb_strerror(rc), tb_error_detail());
}

static void put_metrics(const tb_metrics *mt, tb_trial_run *run) {
  run->metrics[M_LOSS] = mt->loss;
  run->metrics[M_ACC] = mt->accuracy;
  run->metrics[M_RMSE] = mt->rmse;
}

/* Measures a trained model for run (train_time already set): n_params, saved state (state_out), bytes, the given
 * peak memory, latency and test scores. Model failures become the run's status. */
static int finish_model(learner_impl *li, tb_model *m, tb_trial_run *run, int64_t peak) {
  int rc = TB_OK;
  run->metrics[M_TIME] = run->train_time;
  run->n_params = (int64_t)tb_model_n_params(m);
  run->metrics[M_NPARAMS] = (double)run->n_params;
  if ((rc = tb_model_save(m, &run->state_out, &run->state_out_len)) < 0) return model_fail(run, rc, "save");
  run->metrics[M_BYTES] = (double)run->state_out_len;
  run->peak_memory = peak;
  run->metrics[M_PEAK] = (double)run->peak_memory;
  if (li->latency_runs > 0 && (rc = measure_latency(li, m, run)) < 0) return model_fail(run, rc, "latency");
  if (li->test && li->test->n_rows && run->status == TB_RUN_COMPLETE && (rc = measure_test(li, m, run)) < 0)
    return model_fail(run, rc, "test score");
  return TB_OK;
}

static int learner_run(tb_objective *o, tb_trial_run *run) {
  learner_impl *li = o->impl;
  const tb_eval_data *v = li->data;
  tb_worker_ctx *wk = run->wk;
  tb_model *m = NULL;
  int rc = TB_OK;
  size_t est = 0;
  double train_time = 0, t0 = tb_objective_now(), *xl = NULL;
  const double *x = run->x;
  if (!wk || !wk->be) return tb_error_set(TB_ERR_INVALID, "learner objective: no backend context");
  if (li->remap) {
    if (!(xl = malloc((size_t)tb_space_dim(li->decl) * sizeof *xl)))
      return tb_error_set(TB_ERR_NOMEM, "learner objective: out of host memory");
    rc = to_declared(li, o->space, run->x, xl);
    x = xl;
    if (rc < 0) {
      free(xl);
      return model_fail(run, rc, "configuration");
    }
  }
  int n_out = v->ds->task == TB_TASK_CLASSIFICATION ? v->ds->n_classes : 1;
  rc = tb_model_estimate_bytes(li->L, li->decl, x, v->n_train, v->ds->n_cols, n_out, &est);
  if (rc < 0) {
    free(xl);
    return model_fail(run, rc, "configuration");
  }
  if (run->memory_budget && est > run->memory_budget) {
    free(xl);
    return tb_objective_run_fail(run, TB_RUN_OOM, "estimated %zu bytes exceed the trial memory budget of %zu bytes",
                                 est, run->memory_budget);
  }
  if (!wk->devdata) {
    tb_backend_set_budget(wk->be, 0);
    rc = tb_devdata_create(wk->be, v->ds, (tb_devdata **)&wk->devdata);
    if (rc < 0) { /* the data does not fit the worker's context: a study error, not a trial's */
      free(xl);
      return rc;
    }
  }
  tb_mem_stats ms;
  tb_backend_mem(wk->be, &ms);
  size_t base = ms.bytes_in_use;
  tb_backend_set_budget(wk->be, run->memory_budget ? base + run->memory_budget : 0);
  tb_backend_mem_reset_peak(wk->be);
  tb_parts parts = {v->train, v->n_train, v->valid, v->n_valid};
  rc = tb_model_create(li->L, li->decl, x, wk->devdata, &parts, run->seed, &m);
  if (rc < 0) {
    rc = model_fail(run, rc, "create");
    goto done;
  }
  if (run->state_in) {
    rc = tb_model_restore(m, run->state_in, run->state_in_len);
    if (rc < 0) {
      rc = model_fail(run, rc, "restore");
      goto done;
    }
  } else if (run->fidelity_from >= 1) { /* a paused trial whose state was not kept (study resume): retrain */
    double t1 = tb_objective_now();
    rc = tb_model_train(m, (int)floor(run->fidelity_from));
    train_time += tb_objective_now() - t1;
    if (rc < 0) {
      rc = model_fail(run, rc, "train");
      goto done;
    }
  }
  tb_metrics mt = {0};
  int target = (int)ceil(run->fidelity_to - 1e-9);
  /* energy of this job's training: the device counter's difference (NaN where the backend has none; trials
   * running at the same time on the device are all counted in each) */
  double energy0 = NAN, energy1 = NAN;
  if (tb_backend_energy_mj(wk->be, &energy0) < 0) energy0 = NAN;
  while (tb_model_fidelity(m) < target) {
    if (run->interrupt && *run->interrupt) {
      rc = tb_objective_run_fail(run, TB_RUN_INTERRUPTED, "study stopped");
      goto done;
    }
    double t1 = tb_objective_now();
    rc = tb_model_train(m, 1);
    train_time += tb_objective_now() - t1;
    run->fidelity = tb_model_fidelity(m);
    if (rc < 0) {
      rc = model_fail(run, rc, "train");
      goto done;
    }
    if (v->n_valid) {
      rc = tb_model_evaluate(m, v->valid, v->n_valid, &mt);
      if (rc < 0) {
        rc = model_fail(run, rc, "evaluate");
        goto done;
      }
      put_metrics(&mt, run);
    }
    double val = run->metrics[run->report_metric >= 0 && run->report_metric < M_N ? run->report_metric : M_LOSS];
    if (!isfinite(run->metrics[M_LOSS])) {
      rc = tb_objective_run_fail(run, TB_RUN_DIVERGED, "validation loss is %g at %s %g", run->metrics[M_LOSS],
                                 tb_learner_fidelity_unit(li->L), run->fidelity);
      goto done;
    }
    run->last_value = val;
    int stop = 0;
    if (run->report) {
      rc = run->report(run->rctx, run->fidelity, val, NAN, tb_objective_now() - t0, &stop);
      if (rc < 0) goto done;
    }
    if (stop && run->interrupt && *run->interrupt) { /* the study stops: not the scheduler's pruning */
      rc = tb_objective_run_fail(run, TB_RUN_INTERRUPTED, "study stopped");
      goto done;
    }
    if (stop) {
      run->status = TB_RUN_PRUNED;
      break;
    }
  }
  run->train_time = train_time;
  if (isfinite(energy0) && tb_backend_sync(wk->be) == TB_OK && tb_backend_energy_mj(wk->be, &energy1) == TB_OK)
    run->metrics[M_ENERGY] = (energy1 - energy0) / 1000.0;
  tb_error_clear();
  tb_backend_mem(wk->be, &ms);
  rc = finish_model(li, m, run, (int64_t)(ms.bytes_peak > base ? ms.bytes_peak - base : 0));
done:
  free(xl);
  if (isnan(run->train_time)) run->train_time = train_time;
  tb_model_free(m);
  tb_backend_set_budget(wk->be, 0);
  return rc;
}

static void impl_free(tb_objective *o) {
  learner_impl *li = o->impl;
  if (li) tb_space_free(li->decl);
  free(li);
}
static const tb_objective_vt learner_vt = {learner_run, impl_free};

int tb_objective_learner(const struct tb_learner *L, const struct tb_eval_data *data, int latency_runs,
                         tb_objective **out) {
  tb_objective_learner_params p = {L, data, latency_runs, NULL, NULL};
  return tb_objective_learner_create(&p, out);
}

/* 1 when sp equals the declared space decl parameter by parameter (then no mapping is needed). */
static int same_space(const tb_space *sp, const tb_space *decl) {
  for (int i = 0; i < tb_space_dim(decl); i++) {
    const tb_param *p = tb_space_param(sp, i), *q = tb_space_param(decl, i);
    if (p->type != q->type || p->parent != q->parent) return 0;
    if (p->type == TB_PARAM_CATEGORICAL) {
      if (p->n_choices != q->n_choices) return 0;
      for (int c = 0; c < p->n_choices; c++)
        if (strcmp(p->choices[c], q->choices[c])) return 0;
    }
  }
  return 1;
}

int tb_objective_learner_create(const tb_objective_learner_params *p, tb_objective **out) {
  int rc = TB_OK;
  tb_space *decl = NULL;
  tb_objective *o = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "learner objective: NULL output");
  *out = NULL;
  if (!p) return tb_error_set(TB_ERR_INVALID, "learner objective: NULL parameters");
  const tb_learner *L = p->learner;
  const tb_eval_data *data = p->data;
  int latency_runs = p->latency_runs;
  if (!L || !data || !data->ds || !data->n_train)
    return tb_error_set(TB_ERR_INVALID, "learner objective: NULL learner or data without train rows");
  if (!data->n_valid) return tb_error_set(TB_ERR_INVALID, "learner objective: the data has no validation rows");
  if (latency_runs != 0 && latency_runs < 100)
    return tb_error_set(TB_ERR_INVALID, "learner objective: latency_runs %d < 100 (0 turns latency off)", latency_runs);
  if (!tb_learner_supports(L, data->ds->task))
    return tb_error_set(TB_ERR_UNSUPPORTED, "learner objective: %s does not handle %s", tb_learner_name(L),
                        data->ds->task == TB_TASK_CLASSIFICATION ? "classification" : "regression");
  if (p->test && (p->test->n_cols != data->ds->n_cols || p->test->task != data->ds->task ||
                  p->test->n_classes != data->ds->n_classes))
    return tb_error_set(TB_ERR_INVALID, "learner objective: the test rows do not match the data (columns, task)");
  TB_TRY(tb_learner_space(L, &decl));
  if (p->space) {
    if (!tb_space_finalized(p->space) || tb_space_dim(p->space) != tb_space_dim(decl))
      TB_FAIL(TB_ERR_INVALID, "learner objective: the space has %d parameters, %s declares %d",
              tb_space_dim(p->space), tb_learner_name(L), tb_space_dim(decl));
    for (int i = 0; i < tb_space_dim(decl); i++)
      if (strcmp(tb_space_param(p->space, i)->name, tb_space_param(decl, i)->name))
        TB_FAIL(TB_ERR_INVALID, "learner objective: parameter %d of the space is '%s', %s declares '%s' there", i,
                tb_space_param(p->space, i)->name, tb_learner_name(L), tb_space_param(decl, i)->name);
  }
  int n_metrics = p->test ? M_NT : M_N;
  if (p->space) TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_LEARNER, &learner_vt, (tb_space *)p->space, 0,
                                                 n_metrics, learner_metrics, &o));
  else {
    tb_space *own = NULL;
    TB_TRY(tb_learner_space(L, &own));
    TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_LEARNER, &learner_vt, own, 1, n_metrics, learner_metrics, &o));
  }
  learner_impl *li = calloc(1, sizeof *li);
  if (!li) TB_FAIL(TB_ERR_NOMEM, "learner objective: out of host memory");
  li->L = L, li->data = data, li->latency_runs = latency_runs, li->test = p->test;
  li->decl = decl, decl = NULL;
  li->remap = !same_space(o->space, li->decl);
  o->impl = li;
  o->maximize[M_ACC] = 1;
  if (p->test) o->maximize[M_TEST_ACC] = 1;
  for (int i = M_TIME; i < n_metrics; i++) o->intermediate[i] = 0;
  *out = o;
  o = NULL;
done:
  tb_space_free(decl);
  tb_objective_free(o);
  return rc;
}

/* ---- fused bundles --------------------------------------------------------------------------------------------- */

/* x (the objective's space) -> the encoding tb_model_create gets (as learner_run passes it). */
static int declared(const learner_impl *li, const tb_space *sp, const double *x, double *xl) {
  if (li->remap) return to_declared(li, sp, x, xl);
  memcpy(xl, x, (size_t)tb_space_dim(li->decl) * sizeof *xl);
  return TB_OK;
}

int tb_objective_fusable(const tb_objective *o, const double *a, const double *b) {
  if (!o || o->vt != &learner_vt || !a || !b) return 0;
  const learner_impl *li = o->impl;
  int d = tb_space_dim(li->decl), ok = 0;
  double *xa = malloc(2 * (size_t)(d ? d : 1) * sizeof *xa);
  char buf[160];
  if (!xa) return 0;
  if (declared(li, o->space, a, xa) == TB_OK && declared(li, o->space, b, xa + d) == TB_OK)
    ok = tb_fused_compatible(li->L, li->decl, xa, xa + d, buf, sizeof buf) == NULL;
  free(xa);
  return ok;
}

/* Ends member k (run r) of the bundle after a unit; returns 1 when it left the active set. */
static int member_step(learner_impl *li, tb_fused *f, int k, tb_trial_run *r, const tb_metrics *mt, double t0,
                       int target, int *rc) {
  r->fidelity = tb_fused_fidelity(f, k);
  if (tb_fused_status_of(f, k) == TB_FUSED_DIVERGED) {
    tb_objective_run_fail(r, TB_RUN_DIVERGED, "train: mlp: diverged: training loss is %g at epoch %g (fused member)",
                          tb_fused_train_loss(f, k), r->fidelity + 1);
    return 1;
  }
  put_metrics(mt, r);
  double val = r->metrics[r->report_metric >= 0 && r->report_metric < M_N ? r->report_metric : M_LOSS];
  if (!isfinite(r->metrics[M_LOSS])) {
    tb_objective_run_fail(r, TB_RUN_DIVERGED, "validation loss is %g at %s %g", r->metrics[M_LOSS],
                          tb_learner_fidelity_unit(li->L), r->fidelity);
    *rc = tb_fused_stop(f, k);
    return 1;
  }
  r->last_value = val;
  int stop = 0;
  if (r->report && (*rc = r->report(r->rctx, r->fidelity, val, NAN, tb_objective_now() - t0, &stop)) < 0) return 1;
  if (stop && r->interrupt && *r->interrupt) tb_objective_run_fail(r, TB_RUN_INTERRUPTED, "study stopped");
  else if (stop) r->status = TB_RUN_PRUNED;
  if (stop || r->fidelity >= target) {
    *rc = tb_fused_stop(f, k);
    return 1;
  }
  return 0;
}

/* Trains the members idx[0..nb) of runs as one bundle (all NEW jobs: no state, fidelity 0, same target). Returns
 * TB_OK with the members' statuses set, 1 when the bundle could not be created (the caller runs them alone), or
 * an error that stops the study. */
static int bundle_train(tb_objective *o, tb_trial_run *runs, const int *idx, int nb, const double *const *xs,
                        const uint64_t *seeds) {
  learner_impl *li = o->impl;
  const tb_eval_data *v = li->data;
  tb_worker_ctx *wk = runs[idx[0]].wk;
  tb_fused *f = NULL;
  tb_model *m = NULL;
  int rc = TB_OK;
  tb_metrics *mt = calloc((size_t)nb, sizeof *mt);
  double *tt = calloc((size_t)nb, sizeof *tt), t0 = tb_objective_now();
  char *act = calloc((size_t)nb, 1);
  if (!mt || !tt || !act) TB_FAIL(TB_ERR_NOMEM, "fused bundle: out of host memory");
  if (!wk->devdata) {
    tb_backend_set_budget(wk->be, 0);
    TB_TRY(tb_devdata_create(wk->be, v->ds, (tb_devdata **)&wk->devdata));
  }
  tb_mem_stats ms;
  tb_backend_mem(wk->be, &ms);
  size_t base = ms.bytes_in_use, budget = runs[idx[0]].memory_budget;
  tb_backend_set_budget(wk->be, budget ? base + (size_t)nb * budget : 0);
  tb_backend_mem_reset_peak(wk->be);
  tb_parts parts = {v->train, v->n_train, v->valid, v->n_valid};
  rc = tb_fused_create(li->L, li->decl, xs, nb, wk->devdata, &parts, seeds, &f);
  if (rc < 0) {
    rc = rc == TB_ERR_DEVICE_FATAL ? rc : 1;
    goto done;
  }
  int target = (int)ceil(runs[idx[0]].fidelity_to - 1e-9);
  for (int k = 0; k < nb; k++) act[k] = 1;
  while (tb_fused_n_active(f) > 0) {
    int na = tb_fused_n_active(f);
    if (runs[idx[0]].interrupt && *runs[idx[0]].interrupt) {
      for (int k = 0; k < nb; k++)
        if (act[k]) tb_objective_run_fail(&runs[idx[k]], TB_RUN_INTERRUPTED, "study stopped"), act[k] = 0;
      break;
    }
    double t1 = tb_objective_now();
    rc = tb_fused_train(f, 1);
    if (rc >= 0) rc = tb_fused_evaluate(f, v->valid, v->n_valid, mt);
    double dt = (tb_objective_now() - t1) / na; /* each active member's share of the unit */
    if (rc < 0) {
      if (rc == TB_ERR_DEVICE_FATAL) goto done;
      for (int k = 0; k < nb; k++)
        if (act[k]) tt[k] += dt, model_fail(&runs[idx[k]], rc, "train"), act[k] = 0;
      rc = TB_OK;
      break;
    }
    for (int k = 0; k < nb; k++) {
      if (!act[k]) continue;
      tt[k] += dt;
      if (member_step(li, f, k, &runs[idx[k]], &mt[k], t0, target, &rc)) act[k] = 0;
      if (rc < 0) goto done;
    }
  }
  /* the bundle's peak above the data, shared by its members; measured before extraction allocates more */
  tb_backend_mem(wk->be, &ms);
  int64_t peak = (int64_t)(ms.bytes_peak > base ? (ms.bytes_peak - base) / (size_t)nb : 0);
  tb_backend_set_budget(wk->be, 0);
  for (int k = 0; k < nb; k++) {
    tb_trial_run *r = &runs[idx[k]];
    r->train_time = tt[k];
    if (r->status != TB_RUN_COMPLETE && r->status != TB_RUN_PRUNED) continue;
    if ((rc = tb_fused_extract(f, k, &m)) < 0) {
      if (rc == TB_ERR_DEVICE_FATAL) goto done;
      rc = model_fail(r, rc, "extract");
      continue;
    }
    rc = finish_model(li, m, r, peak);
    tb_model_free(m);
    m = NULL;
    if (rc < 0) goto done;
  }
done:
  tb_model_free(m);
  tb_fused_free(f);
  tb_backend_set_budget(wk->be, 0);
  free(mt);
  free(tt);
  free(act);
  return rc;
}

int tb_objective_run_bundle(tb_objective *o, tb_trial_run *runs, int n) {
  if (!o || !runs || n < 1) return tb_error_set(TB_ERR_INVALID, "objective bundle: NULL argument or n < 1");
  int rc = TB_OK, nb = 0;
  if (o->vt != &learner_vt || n == 1) {
    for (int i = 0; i < n && rc >= 0; i++) rc = tb_objective_run(o, &runs[i]);
    return rc;
  }
  learner_impl *li = o->impl;
  const tb_eval_data *v = li->data;
  int d = tb_space_dim(li->decl);
  double *xl = malloc((size_t)n * (size_t)(d ? d : 1) * sizeof *xl);
  const double **xs = malloc((size_t)n * sizeof *xs);
  uint64_t *seeds = malloc((size_t)n * sizeof *seeds);
  int *idx = malloc((size_t)n * sizeof *idx);
  char *solo = calloc((size_t)n, 1);
  if (!xl || !xs || !seeds || !idx || !solo) TB_FAIL(TB_ERR_NOMEM, "objective bundle: out of host memory");
  int n_out = v->ds->task == TB_TASK_CLASSIFICATION ? v->ds->n_classes : 1;
  for (int i = 0; i < n; i++) { /* members a solo run would refuse or that are not NEW jobs run alone */
    tb_trial_run *r = &runs[i];
    if (!r->x || !r->wk || !r->wk->be) TB_FAIL(TB_ERR_INVALID, "objective bundle: run %d has no x or context", i);
    tb_objective_run_reset(r);
    double *x = xl + (size_t)nb * (size_t)d;
    size_t est = 0;
    solo[i] = r->state_in || r->fidelity_from > 0 || r->wk != runs[0].wk || r->fidelity_to != runs[0].fidelity_to ||
              declared(li, o->space, r->x, x) < 0 ||
              tb_model_estimate_bytes(li->L, li->decl, x, v->n_train, v->ds->n_cols, n_out, &est) < 0 ||
              (r->memory_budget && est > r->memory_budget) || (nb && !tb_objective_fusable(o, runs[idx[0]].x, r->x));
    if (!solo[i]) xs[nb] = x, seeds[nb] = r->seed, idx[nb++] = i;
  }
  tb_error_clear();
  if (nb >= 2) {
    rc = bundle_train(o, runs, idx, nb, xs, seeds);
    if (rc < 0) goto done;
    if (rc == 1) /* the bundle could not be created (e.g. memory): its members run one after another */
      for (int k = 0; k < nb; k++) solo[idx[k]] = 1;
    rc = TB_OK;
  } else if (nb == 1) {
    solo[idx[0]] = 1;
  }
  for (int i = 0; i < n && rc >= 0; i++)
    if (solo[i]) rc = tb_objective_run(o, &runs[i]);
done:
  free(xl);
  free(xs);
  free(seeds);
  free(idx);
  free(solo);
  return rc;
}
