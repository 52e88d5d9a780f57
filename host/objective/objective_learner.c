/* objective_learner.c: the learner objective: a tb_model trained unit by unit on the train rows of a tb_eval_data
 * view, evaluated on its valid rows after every unit (the value reported to the scheduler), then measured:
 * validation metrics, training time, predict latency at batch 1 and 256 (p50/p99 over >= 100 timed calls after 10
 * warm-ups, each call timed by tb_backend_timer_start/stop: CUDA events on the GPU, the monotonic clock on the CPU),
 * parameters,
 * saved-state bytes and peak device memory of the model. The search space may be a restricted copy of the declared
 * one (narrower ranges, fewer choices, fixed values): each configuration is mapped to the declared encoding first
 * (tb_space_map, made once), then checked and decoded once (tb_learner_config) for the estimate and the model.
 * The view has no test rows; optional held-out test rows (a separate dataset) give test_* metrics of the finished
 * model, which a study records but never tunes on.
 * Memory: the per-trial budget applies to the model on top of what the worker's context already holds (the
 * uploaded data); tb_model_estimate_bytes is checked against it before the model is created.
 * Fused bundles (tb_objective_run_bundle): K NEW jobs of one shape trained as one tb_fused model, each member
 * measured as a solo trial after extraction (see docs/executor.md "Fused trials").
 * Data-fraction fidelity (run->data_fraction): a job at fraction f trains the learner's own units (its epochs,
 * rounds or n_trees hyperparameter) on the first rows of tb_data_fraction_order(train rows, study seed) and reports
 * once, at f. A promoted job warm-starts from the smaller fraction's state when the learner can continue on more
 * rows (mlp with a constant or anneal schedule, logreg sgd/adam), else starts again; the reason column says which
 * (docs/executor.md "Data-fraction fidelity"). Never fused.
 * Not the executor. Tested by tests/test_objective.c, tests/test_study.c and tests/test_study_fused.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective_impl.h"
#include "objective_learner_impl.h"
#include "tb_error.h"
#include "tb_fused.h"
#include "tb_model.h"
#include "tb_validate.h"


static const char *const learner_metrics[M_NT] = {
    "valid_loss", "valid_accuracy", "valid_rmse", "train_time_s", "latency_b1_p50_us", "latency_b1_p99_us",
    "latency_b256_p50_us", "latency_b256_p99_us", "n_params", "model_bytes", "peak_memory_bytes", "energy_j",
    "test_accuracy", "test_loss", "test_rmse"};



/* The declared hyperparameter named as the learner's unit ("epochs", "rounds") or n_<unit> ("n_trees"), or -1. */
static int find_units(const tb_learner *L) {
  const char *u = tb_learner_fidelity_unit(L);
  for (int i = 0; u && i < tb_learner_n_hparams(L); i++) {
    const char *nm = tb_learner_hparam(L, i)->name;
    if (!strcmp(nm, u) || (!strncmp(nm, "n_", 2) && !strcmp(nm + 2, u))) return i;
  }
  return -1;
}

/* Bit of each named choice of declared categorical i (0 for names it does not have). */
static unsigned choice_bits(const tb_param *p, const char *const *labels) {
  unsigned bits = 0;
  for (int k = 0; k < p->n_choices && k < 32; k++)
    for (int j = 0; labels[j]; j++)
      if (!strcmp(p->choices[k], labels[j])) bits |= 1u << k;
  return bits;
}

/* Data fraction, decided once per objective: which declared categorical (and which of its choices) keeps a model
 * from continuing its saved state on more rows. mlp continues unless its lr schedule is step or cosine (defined
 * over one run of `epochs`, driven by the step counter the state carries); logreg with sgd or adam. Trees and
 * L-BFGS start again. */
static void continuation_rule(learner_impl *li) {
  static const char *const mlp_stop[] = {"step", "cosine", NULL}, *const logreg_stop[] = {"lbfgs", NULL};
  const char *n = tb_learner_name(li->L);
  const char *key = !strcmp(n, "mlp") ? "lr_schedule" : !strcmp(n, "logreg") ? "solver" : NULL;
  li->cont_index = key ? tb_learner_hparam_find(li->L, key) : -1;
  li->cont_stop = 0;
  if (li->cont_index >= 0)
    li->cont_stop = choice_bits(tb_learner_hparam(li->L, li->cont_index), !strcmp(n, "mlp") ? mlp_stop : logreg_stop);
}

/* 1 when a model with configuration xl (declared encoding) can continue its saved state on more rows. */
static int can_continue(const learner_impl *li, const double *xl) {
  if (li->cont_index < 0) return 0;
  double v = xl[li->cont_index];
  return isnan(v) || !(v >= 0 && v < 32 && (li->cont_stop >> (int)v & 1u));
}

int tb_objlearner_to_declared(const learner_impl *li, const double *x, double *xl) {
  return tb_space_map_apply(li->map, x, xl);
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

/* p50 and p99 of `runs` timed predict calls on n rows of X, each timed on the context's clock (CUDA events on the
 * GPU: tb_backend_timer_start/stop). */
static int time_predict(tb_backend *be, tb_model *m, const float *X, size_t n, int runs, double *p50, double *p99) {
  int rc = TB_OK;
  float *out = malloc(n * (size_t)tb_model_n_outputs(m) * sizeof *out);
  double *t = malloc((size_t)runs * sizeof *t);
  if (!out || !t) TB_FAIL(TB_ERR_NOMEM, "latency: out of host memory");
  for (int i = 0; i < 10; i++) TB_TRY(tb_model_predict(m, X, n, out));
  for (int i = 0; i < runs; i++) {
    TB_TRY(tb_backend_timer_start(be));
    TB_TRY(tb_model_predict(m, X, n, out));
    TB_TRY(tb_backend_timer_stop(be, &t[i]));
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
  TB_TRY(time_predict(run->wk->be, m, X, 1, li->latency_runs, &run->latency_p50[0], &run->latency_p99[0]));
  TB_TRY(time_predict(run->wk->be, m, X, nb, li->latency_runs, &run->latency_p50[1], &run->latency_p99[1]));
  run->metrics[M_L1_50] = run->latency_p50[0] * 1e6, run->metrics[M_L1_99] = run->latency_p99[0] * 1e6;
  run->metrics[M_L256_50] = run->latency_p50[1] * 1e6, run->metrics[M_L256_99] = run->latency_p99[1] * 1e6;
done:
  free(X);
  return rc;
}

/* Maps a model error to the trial's status. */
int tb_objlearner_model_fail(tb_trial_run *run, int rc, const char *what) {
  if (rc == TB_ERR_RANGE) return tb_objective_run_fail(run, TB_TRIAL_DIVERGED, "%s: %s", what, tb_error_detail());
  if (rc == TB_ERR_OOM) return tb_objective_run_fail(run, TB_TRIAL_OOM, "%s: %s", what, tb_error_detail());
  if (rc == TB_ERR_DEVICE_FATAL) return rc; /* the process must restart: not a trial failure */
  return tb_objective_run_fail(run, TB_TRIAL_FAILED, "%s: %s: %s", what, tb_strerror(rc), tb_error_detail());
}

void tb_objlearner_put_metrics(const tb_metrics *mt, tb_trial_run *run) {
  run->metrics[M_LOSS] = mt->loss;
  run->metrics[M_ACC] = mt->accuracy;
  run->metrics[M_RMSE] = mt->rmse;
}

/* Measures a trained model for run (train_time already set): n_params, saved state (state_out), bytes, the given
 * peak memory, latency and test scores. Model failures become the run's status. */
int tb_objlearner_finish_model(learner_impl *li, tb_model *m, tb_trial_run *run, int64_t peak) {
  int rc = TB_OK;
  run->metrics[M_TIME] = run->train_time;
  run->n_params = (int64_t)tb_model_n_params(m);
  run->metrics[M_NPARAMS] = (double)run->n_params;
  if ((rc = tb_model_save(m, &run->state_out, &run->state_out_len)) < 0) return tb_objlearner_model_fail(run, rc, "save");
  run->metrics[M_BYTES] = (double)run->state_out_len;
  run->peak_memory = peak;
  run->metrics[M_PEAK] = (double)run->peak_memory;
  if (li->latency_runs > 0 && (rc = measure_latency(li, m, run)) < 0) return tb_objlearner_model_fail(run, rc, "latency");
  if (li->test && li->test->n_rows && run->status == TB_TRIAL_COMPLETE && (rc = measure_test(li, m, run)) < 0)
    return tb_objlearner_model_fail(run, rc, "test score");
  return TB_OK;
}

static int learner_run(tb_objective *o, tb_trial_run *run) {
  learner_impl *li = o->impl;
  const tb_eval_data *v = li->data;
  tb_worker_ctx *wk = run->wk;
  tb_model *m = NULL;
  tb_learner_config *conf = NULL;
  int rc = TB_OK;
  size_t est = 0;
  double train_time = 0, t0 = tb_objective_now(), *xl = NULL;
  const double *x = run->x;
  if (!wk || !wk->be) return tb_error_set(TB_ERR_INVALID, "learner objective: no backend context");
  if (li->remap) {
    if (!(xl = malloc((size_t)tb_space_dim(li->decl) * sizeof *xl)))
      return tb_error_set(TB_ERR_NOMEM, "learner objective: out of host memory");
    rc = tb_objlearner_to_declared(li, run->x, xl);
    x = xl;
    if (rc < 0) {
      free(xl);
      return tb_objlearner_model_fail(run, rc, "configuration");
    }
  }
  int n_out = v->ds->task == TB_TASK_CLASSIFICATION ? v->ds->n_classes : 1, units = 0, warm = 0;
  const uint32_t *train = v->train;
  size_t n_train = v->n_train;
  uint32_t *rows = NULL;
  if (run->data_fraction) { /* the first rows of the study's nested order; the learner's own units */
    if (!(run->fidelity_to > 0 && run->fidelity_to <= 1 + 1e-9)) {
      free(xl);
      return tb_objective_run_fail(run, TB_TRIAL_FAILED, "data fraction %g is not in (0, 1]", run->fidelity_to);
    }
    units = li->units_index >= 0 && !isnan(x[li->units_index]) ? (int)llround(x[li->units_index]) : 0;
    if (units < 1 || !(rows = malloc(v->n_train * sizeof *rows))) {
      free(xl);
      if (rows) return tb_objlearner_model_fail(run, TB_ERR_NOMEM, "data fraction: out of host memory");
      return tb_objective_run_fail(run, TB_TRIAL_FAILED, "data fraction: %s has no %s hyperparameter >= 1",
                                   tb_learner_name(li->L), tb_learner_fidelity_unit(li->L));
    }
    rc = tb_data_fraction_order(v->ds, v->train, v->n_train, run->study_seed, 1, rows);
    train = rows, n_train = tb_data_fraction_size(v->ds, v->n_train, run->fidelity_to);
    warm = run->state_in && can_continue(li, x);
  }
  /* the trial's one decode: checked against the declaration, then the estimate and the model come from it */
  if (rc >= 0 && (rc = tb_learner_config_create(li->L, li->decl, x, &conf)) < 0) tb_error_prefix(rc, "estimate: ");
  if (rc >= 0) rc = tb_model_estimate_config(conf, n_train, v->ds->n_cols, n_out, &est);
  if (rc < 0) {
    tb_learner_config_free(conf);
    free(xl), free(rows);
    return tb_objlearner_model_fail(run, rc, "configuration");
  }
  if (run->memory_budget && est > run->memory_budget) {
    tb_learner_config_free(conf);
    free(xl), free(rows);
    return tb_objective_run_fail(run, TB_TRIAL_OOM, "estimated %zu bytes exceed the trial memory budget of %zu bytes",
                                 est, run->memory_budget);
  }
  if (!wk->devdata) {
    tb_backend_set_budget(wk->be, 0);
    rc = tb_devdata_create(wk->be, v->ds, (tb_devdata **)&wk->devdata);
    if (rc < 0) { /* the data does not fit the worker's context: a study error, not a trial's */
      tb_learner_config_free(conf);
      free(xl), free(rows);
      return rc;
    }
  }
  tb_mem_stats ms;
  tb_backend_mem_reset_peak(wk->be); /* first: it trims backend scratch grown by the previous trial */
  tb_backend_mem(wk->be, &ms);
  size_t base = ms.bytes_in_use;
  tb_backend_set_budget(wk->be, run->memory_budget ? base + run->memory_budget : 0);
  tb_parts parts = {train, n_train, v->valid, v->n_valid};
  rc = tb_model_create_config(conf, wk->devdata, &parts, run->seed, &m);
  if (rc < 0) {
    rc = tb_objlearner_model_fail(run, rc, "create");
    goto done;
  }
  if (run->data_fraction) { /* a promotion continues the smaller fraction's state, or starts again */
    if (warm && (rc = tb_model_restore(m, run->state_in, run->state_in_len)) < 0) {
      rc = tb_objlearner_model_fail(run, rc, "restore");
      goto done;
    }
  } else if (run->state_in) {
    rc = tb_model_restore(m, run->state_in, run->state_in_len);
    if (rc < 0) {
      rc = tb_objlearner_model_fail(run, rc, "restore");
      goto done;
    }
  } else if (run->fidelity_from >= 1) { /* a paused trial whose state was not kept (study resume): retrain */
    double t1 = tb_objective_now();
    rc = tb_model_train(m, (int)floor(run->fidelity_from));
    train_time += tb_objective_now() - t1;
    if (rc < 0) {
      rc = tb_objlearner_model_fail(run, rc, "train");
      goto done;
    }
  }
  tb_metrics mt = {0};
  int target = run->data_fraction ? tb_model_fidelity(m) + units : (int)ceil(run->fidelity_to - 1e-9);
  /* energy of this job's training: the device counter's difference (NaN where the backend has none; trials
   * running at the same time on the device are all counted in each) */
  double energy0 = NAN, energy1 = NAN;
  if (tb_backend_energy_mj(wk->be, &energy0) < 0) energy0 = NAN;
  while (tb_model_fidelity(m) < target) {
    if (run->interrupt && *run->interrupt) {
      rc = tb_objective_run_fail(run, TB_TRIAL_INTERRUPTED, "study stopped");
      goto done;
    }
    double t1 = tb_objective_now();
    rc = tb_model_train(m, 1);
    train_time += tb_objective_now() - t1;
    if (!run->data_fraction) run->fidelity = tb_model_fidelity(m);
    if (rc < 0) {
      rc = tb_objlearner_model_fail(run, rc, "train");
      goto done;
    }
    if (run->data_fraction) { /* one report, after the last unit, at the fraction */
      if (tb_model_fidelity(m) < target) continue;
      run->fidelity = run->fidelity_to;
    }
    if (v->n_valid) {
      rc = tb_model_evaluate(m, v->valid, v->n_valid, &mt);
      if (rc < 0) {
        rc = tb_objlearner_model_fail(run, rc, "evaluate");
        goto done;
      }
      tb_objlearner_put_metrics(&mt, run);
    }
    double val = run->metrics[run->report_metric >= 0 && run->report_metric < M_N ? run->report_metric : M_LOSS];
    if (!isfinite(run->metrics[M_LOSS])) {
      rc = tb_objective_run_fail(run, TB_TRIAL_DIVERGED, "validation loss is %g at %s %g", run->metrics[M_LOSS],
                                 tb_learner_fidelity_unit(li->L), run->fidelity);
      goto done;
    }
    run->last_value = val;
    int stop = 0;
    if (run->report) {
      rc = run->report(run->rctx, run->fidelity, val, tb_model_train_loss(m), tb_objective_now() - t0, &stop);
      if (rc < 0) goto done;
    }
    if (stop && run->interrupt && *run->interrupt) { /* the study stops: not the scheduler's pruning */
      rc = tb_objective_run_fail(run, TB_TRIAL_INTERRUPTED, "study stopped");
      goto done;
    }
    if (stop) {
      run->status = TB_TRIAL_PRUNED;
      break;
    }
  }
  run->train_time = train_time;
  if (run->data_fraction && (run->state_in || run->fidelity_from > 0)) { /* what a promotion did (store: reason) */
    if (warm) snprintf(run->reason, sizeof run->reason, "warm start from fraction %.4g", run->fidelity_from);
    else if (run->state_in)
      snprintf(run->reason, sizeof run->reason, "restarted: this %s does not continue on more rows",
               tb_learner_name(li->L));
    else snprintf(run->reason, sizeof run->reason, "restarted: no saved state (resumed study)");
  }
  if (isfinite(energy0) && tb_backend_sync(wk->be) == TB_OK && tb_backend_energy_mj(wk->be, &energy1) == TB_OK)
    run->metrics[M_ENERGY] = (energy1 - energy0) / 1000.0;
  tb_error_clear();
  tb_backend_mem(wk->be, &ms);
  rc = tb_objlearner_finish_model(li, m, run, (int64_t)(ms.bytes_peak > base ? ms.bytes_peak - base : 0));
done:
  tb_learner_config_free(conf);
  free(xl);
  free(rows);
  if (isnan(run->train_time)) run->train_time = train_time;
  tb_model_free(m);
  tb_backend_set_budget(wk->be, 0);
  return rc;
}

static void impl_free(tb_objective *o) {
  learner_impl *li = o->impl;
  if (li) tb_space_map_free(li->map), tb_space_free(li->decl);
  free(li);
}
const tb_objective_vt tb_objlearner_vt = {learner_run, impl_free};

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
  if (p->space) TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_LEARNER, &tb_objlearner_vt, (tb_space *)p->space, 0,
                                                 n_metrics, learner_metrics, &o));
  else {
    tb_space *own = NULL;
    TB_TRY(tb_learner_space(L, &own));
    TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_LEARNER, &tb_objlearner_vt, own, 1, n_metrics, learner_metrics, &o));
  }
  learner_impl *li = calloc(1, sizeof *li);
  if (!li) TB_FAIL(TB_ERR_NOMEM, "learner objective: out of host memory");
  li->L = L, li->data = data, li->latency_runs = latency_runs, li->test = p->test;
  li->units_index = find_units(L);
  li->decl = decl, decl = NULL;
  o->impl = li;
  li->remap = !same_space(o->space, li->decl);
  if (li->remap) TB_TRY(tb_space_map_create(o->space, li->decl, &li->map));
  continuation_rule(li);
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
