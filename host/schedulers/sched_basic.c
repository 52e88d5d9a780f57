/* sched_basic.c: the schedulers that run every trial from scratch to max_fidelity, one job per trial, and may stop
 * it on a report: none, early_stopping, median. They are not rung-based (sched_hyperband.c) and never resume.
 * Tested by tests/test_scheduler_basic.c.
 *
 * none: every trial trains to max_fidelity. No options.
 * early_stopping: Keras' EarlyStopping rule per trial: the first report sets the best value; a later report
 *   improves when it is better than best - min_delta (minimised); `patience` reports in a row without an
 *   improvement stop the trial. Options: patience (default 10, >= 1), min_delta (default 0, >= 0).
 * median: Optuna's MedianPruner. At a report at fidelity f the trial is stopped when its best value so far is worse
 *   than the median of the values that COMPLETE trials reported at the same f, provided at least n_startup_trials
 *   trials completed, f >= n_warmup_steps, and f is the first report of its interval window (windows of
 *   `interval` fidelity units starting at n_warmup_steps). A trial whose reports are all NaN is stopped.
 *   Options: n_startup_trials (default 5), n_warmup_steps (default 0, in fidelity units), interval (default 1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler_impl.h"

typedef struct {
  long patience;
  double min_delta;
  long n_startup;
  double n_warmup, interval;
} basic_impl;

static int basic_alloc(tb_scheduler *s) {
  basic_impl *b = calloc(1, sizeof *b);
  if (!b) return tb_error_set(TB_ERR_NOMEM, "scheduler %s: out of host memory", s->vt->name);
  b->patience = 10;
  b->min_delta = 0;
  b->n_startup = 5;
  b->n_warmup = 0;
  b->interval = 1;
  s->impl = b;
  return TB_OK;
}

static void basic_destroy(tb_scheduler *s) { free(s->impl); }

static int none_create(tb_scheduler *s) { return basic_alloc(s); }

static int es_create(tb_scheduler *s) {
  int rc = basic_alloc(s);
  if (rc < 0) return rc;
  basic_impl *b = s->impl;
  if ((rc = tb_sched_opt_long(s, "patience", 1, 1000000000L, &b->patience)) < 0) return rc;
  return tb_sched_opt_double(s, "min_delta", 0, INFINITY, &b->min_delta);
}

static int median_create(tb_scheduler *s) {
  int rc = basic_alloc(s);
  if (rc < 0) return rc;
  basic_impl *b = s->impl;
  if ((rc = tb_sched_opt_long(s, "n_startup_trials", 0, 1000000000L, &b->n_startup)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "n_warmup_steps", 0, INFINITY, &b->n_warmup)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "interval", 1e-12, INFINITY, &b->interval)) < 0) return rc;
  return TB_OK;
}

/* One new trial to the full budget while trials and budget remain. */
static int basic_next(tb_scheduler *s, tb_job *job) {
  if (tb_sched_can_create(s) && tb_sched_budget_ok(s)) {
    int64_t id;
    int rc = tb_sched_new_trial(s, NULL, &id);
    if (rc == TB_OK) {
      tb_sched_start(s, job, TB_JOB_NEW, id, -1, s->max_fidelity, -1, -1);
      return TB_OK;
    }
    if (rc != TB_ERR_EXHAUSTED) return rc;
  }
  tb_sched_wait_or_done(s, job);
  return TB_OK;
}

static int basic_finish(tb_scheduler *s, int64_t trial, tb_trial_state state) { return tb_sched_end(s, trial, state); }

static int es_report(tb_scheduler *s, int64_t trial, double fidelity, double value, int *stop) {
  (void)fidelity, (void)value;
  const basic_impl *b = s->impl;
  const tb_sched_trial *t = &s->t[trial];
  double best = NAN;
  long wait = 0;
  for (size_t i = 0; i < t->n_rep; i++) {
    double v = t->rep[2 * i + 1];
    if (i == 0 || (isnan(best) && !isnan(v)) || v < best - b->min_delta) {
      best = v;
      wait = 0;
    } else {
      wait++;
    }
  }
  *stop = wait >= b->patience;
  return TB_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int median_report(tb_scheduler *s, int64_t trial, double fidelity, double value, int *stop) {
  (void)value;
  const basic_impl *b = s->impl;
  const tb_sched_trial *t = &s->t[trial];
  long n_complete = 0;
  for (size_t i = 0; i < s->n_trials; i++)
    n_complete += s->t[i].status == TB_SCHED_ENDED && s->t[i].end_state == TB_TRIAL_COMPLETE;
  if (n_complete < b->n_startup) return TB_OK;
  if (fidelity < b->n_warmup - 1e-12) return TB_OK;
  /* only the first report of each interval window is judged (Optuna's _is_first_in_interval_step) */
  double lower = floor((fidelity - b->n_warmup) / b->interval + 1e-9) * b->interval + b->n_warmup;
  double prev = t->n_rep >= 2 ? t->rep[2 * (t->n_rep - 2)] : -INFINITY;
  if (!(prev < lower - 1e-9 * (fabs(lower) > 1 ? fabs(lower) : 1))) return TB_OK;
  double best = NAN;
  for (size_t i = 0; i < t->n_rep; i++) {
    double v = t->rep[2 * i + 1];
    if (!isnan(v) && (isnan(best) || v < best)) best = v;
  }
  if (isnan(best)) {
    *stop = 1;
    return TB_OK;
  }
  double *vals = malloc((size_t)n_complete * sizeof *vals);
  if (!vals) return tb_error_set(TB_ERR_NOMEM, "scheduler median: out of host memory");
  size_t n = 0;
  for (size_t i = 0; i < s->n_trials; i++) {
    double v;
    if (s->t[i].status == TB_SCHED_ENDED && s->t[i].end_state == TB_TRIAL_COMPLETE &&
        tb_sched_value_at(&s->t[i], fidelity, &v) && !isnan(v))
      vals[n++] = v;
  }
  if (n > 0) {
    qsort(vals, n, sizeof *vals, cmp_double);
    double med = n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2]);
    *stop = best > med;
  }
  free(vals);
  return TB_OK;
}

const tb_sched_vt tb_sched_none_vt = {.name = "none",
                                      .options = "",
                                      .create = none_create,
                                      .next = basic_next,
                                      .finish = basic_finish,
                                      .destroy = basic_destroy};

const tb_sched_vt tb_sched_early_stopping_vt = {.name = "early_stopping",
                                                .options = "patience, min_delta",
                                                .create = es_create,
                                                .next = basic_next,
                                                .report = es_report,
                                                .finish = basic_finish,
                                                .destroy = basic_destroy};

const tb_sched_vt tb_sched_median_vt = {.name = "median",
                                        .options = "n_startup_trials, n_warmup_steps, interval",
                                        .create = median_create,
                                        .next = basic_next,
                                        .report = median_report,
                                        .finish = basic_finish,
                                        .destroy = basic_destroy};
