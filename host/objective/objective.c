/* objective.c: the objective module's common part (names, metrics, dispatch) and two kinds of objective: test
 * functions (with an optional multi-fidelity noise model) and C callbacks. The learner objective is in
 * objective_learner.c, the command objective in objective_cmd.c. Not the executor (study*.c).
 * Tested by tests/test_objective.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "objective_impl.h"
#include "tb_error.h"
#include "tb_rng.h"

double tb_objective_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tb_objective_run_reset(tb_trial_run *run) {
  run->status = TB_TRIAL_COMPLETE;
  run->reason[0] = 0;
  run->fidelity = run->fidelity_from;
  run->last_value = NAN;
  for (int i = 0; i < TB_OBJECTIVE_MAX_METRICS; i++) run->metrics[i] = NAN;
  run->train_time = NAN;
  run->peak_memory = -1;
  run->latency_p50[0] = run->latency_p50[1] = run->latency_p99[0] = run->latency_p99[1] = NAN;
  run->n_params = -1;
  run->state_out = NULL;
  run->state_out_len = 0;
}

int tb_objective_run_fail(tb_trial_run *run, tb_trial_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(run->reason, sizeof run->reason, fmt, ap);
  va_end(ap);
  run->status = status;
  return TB_OK;
}

int tb_objective_run(tb_objective *o, tb_trial_run *run) {
  if (!o || !run || !run->x) return tb_error_set(TB_ERR_INVALID, "objective run: NULL argument");
  tb_objective_run_reset(run);
  double t0 = tb_objective_now();
  int rc = o->vt->run(o, run);
  if (isnan(run->train_time)) run->train_time = tb_objective_now() - t0;
  return rc;
}

void tb_objective_free(tb_objective *o) {
  if (!o) return;
  if (o->vt && o->vt->free) o->vt->free(o);
  tb_space_free(o->space);
  free(o);
}

tb_objective_kind tb_objective_get_kind(const tb_objective *o) { return o->kind; }
const tb_space *tb_objective_space(const tb_objective *o) { return o ? o->space : NULL; }
int tb_objective_n_metrics(const tb_objective *o) { return o ? o->n_metrics : 0; }
const char *tb_objective_metric_name(const tb_objective *o, int i) {
  return o && i >= 0 && i < o->n_metrics ? o->names[i] : NULL;
}
int tb_objective_metric_find(const tb_objective *o, const char *name) {
  for (int i = 0; o && name && i < o->n_metrics; i++)
    if (!strcmp(o->names[i], name)) return i;
  return -1;
}
int tb_objective_metric_maximize(const tb_objective *o, int i) {
  return o && i >= 0 && i < o->n_metrics ? o->maximize[i] : 0;
}
int tb_objective_metric_intermediate(const tb_objective *o, int i) {
  return o && i >= 0 && i < o->n_metrics ? o->intermediate[i] : 0;
}


/* A new objective of `kind` with a copy of sp (or sp itself when own is 1) and metrics names[0..n). */
int tb_objective_alloc_common(tb_objective_kind kind, const tb_objective_vt *vt, tb_space *sp, int own, int n,
                              const char *const *names, tb_objective **out) {
  int rc = TB_OK;
  tb_objective *o = NULL;
  if (n < 1 || n > TB_OBJECTIVE_MAX_METRICS)
    TB_FAIL(TB_ERR_INVALID, "objective: %d metrics (1..%d allowed)", n, TB_OBJECTIVE_MAX_METRICS);
  if (!(o = calloc(1, sizeof *o))) TB_FAIL(TB_ERR_NOMEM, "objective: out of host memory");
  o->kind = kind;
  o->vt = vt;
  o->n_metrics = n;
  for (int i = 0; i < n; i++) {
    const char *nm = names ? names[i] : "value";
    if (!nm || !*nm || strlen(nm) >= TB_OBJ_NAME_MAX || strpbrk(nm, " =\t\n"))
      TB_FAIL(TB_ERR_INVALID, "objective: metric %d has a bad name '%s' (1..63 characters, no spaces or '=')", i,
              nm ? nm : "(null)");
    for (int j = 0; j < i; j++)
      if (!strcmp(o->names[j], nm)) TB_FAIL(TB_ERR_INVALID, "objective: metric name '%s' is used twice", nm);
    strcpy(o->names[i], nm);
    o->intermediate[i] = 1;
  }
  if (own) {
    o->space = sp;
    sp = NULL;
  } else {
    TB_TRY(tb_space_copy(sp, &o->space));
  }
  *out = o;
  o = NULL;
done:
  if (own) tb_space_free(sp);
  free(o);
  return rc;
}

/* ---- test functions --------------------------------------------------------------------------------------------- */
typedef struct testfn_impl {
  const tb_testfn *f;
  uint64_t instance;
  double noise;
} testfn_impl;

static int testfn_run(tb_objective *o, tb_trial_run *run) {
  testfn_impl *t = o->impl;
  double v[2] = {NAN, NAN};
  if (tb_testfn_eval_seeded(t->f, t->instance, run->x, v) < 0)
    return tb_objective_run_fail(run, TB_TRIAL_FAILED, "%s: %s", t->f->name, tb_error_detail());
  double R = run->fidelity_max > 0 ? run->fidelity_max : run->fidelity_to;
  double t0 = tb_objective_now(), r = run->fidelity_from;
  while (r < run->fidelity_to) {
    r = fmin(floor(r) + 1, run->fidelity_to); /* one unit at a time, the last one partial */
    if (run->interrupt && *run->interrupt) return tb_objective_run_fail(run, TB_TRIAL_INTERRUPTED, "study stopped");
    double val = v[0];
    if (t->noise > 0 && r < R)
      val += t->noise * (R / r - 1) * tb_rng_normal(run->seed, (uint64_t)llround(r * 1024.0));
    int stop = 0;
    run->fidelity = r;
    run->last_value = val;
    if (run->report) {
      int rc = run->report(run->rctx, r, val, NAN, tb_objective_now() - t0, &stop);
      if (rc < 0) return rc;
    }
    if (stop && run->interrupt && *run->interrupt) /* the study stops: not the scheduler's pruning */
      return tb_objective_run_fail(run, TB_TRIAL_INTERRUPTED, "study stopped");
    if (stop) {
      run->status = TB_TRIAL_PRUNED;
      break;
    }
  }
  if (run->status == TB_TRIAL_COMPLETE) {
    run->metrics[0] = v[0];
    if (t->f->n_obj > 1) run->metrics[1] = v[1];
    if (t->noise > 0 && run->fidelity < R) run->metrics[0] = run->last_value;
  } else {
    run->metrics[0] = run->last_value;
  }
  return TB_OK;
}

static void impl_free(tb_objective *o) { free(o->impl); }
static const tb_objective_vt testfn_vt = {testfn_run, impl_free};

int tb_objective_testfn(const tb_testfn *f, uint64_t instance, double noise, tb_objective **out) {
  int rc = TB_OK;
  tb_space *sp = NULL;
  tb_objective *o = NULL;
  static const char *one[] = {"value"}, *two[] = {"f1", "f2"};
  if (!out) return tb_error_set(TB_ERR_INVALID, "testfn objective: NULL output");
  *out = NULL;
  if (!f) return tb_error_set(TB_ERR_INVALID, "testfn objective: NULL function");
  if (!(noise >= 0) || !isfinite(noise)) return tb_error_set(TB_ERR_INVALID, "testfn objective: noise %g < 0", noise);
  if (f->n_obj > 2) return tb_error_set(TB_ERR_UNSUPPORTED, "testfn objective: %s has %d objectives", f->name, f->n_obj);
  TB_TRY(tb_testfn_space(f, &sp));
  TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_TESTFN, &testfn_vt, sp, 1, f->n_obj, f->n_obj > 1 ? two : one, &o));
  sp = NULL;
  testfn_impl *t = calloc(1, sizeof *t);
  if (!t) TB_FAIL(TB_ERR_NOMEM, "testfn objective: out of host memory");
  t->f = f, t->instance = instance, t->noise = noise;
  o->impl = t;
  *out = o;
  o = NULL;
done:
  tb_space_free(sp);
  tb_objective_free(o);
  return rc;
}

/* ---- C callback ------------------------------------------------------------------------------------------------ */
typedef struct callback_impl {
  tb_objective_fn fn;
  void *ctx;
} callback_impl;

struct tb_objective_call {
  tb_objective *o;
  tb_trial_run *run;
  double t0;
  int stop;
};

const double *tb_objective_call_x(const tb_objective_call *c) { return c->run->x; }
const tb_space *tb_objective_call_space(const tb_objective_call *c) { return c->o->space; }
int64_t tb_objective_call_trial(const tb_objective_call *c) { return c->run->trial; }
uint64_t tb_objective_call_seed(const tb_objective_call *c) { return c->run->seed; }
double tb_objective_call_fidelity_from(const tb_objective_call *c) { return c->run->fidelity_from; }
double tb_objective_call_fidelity_to(const tb_objective_call *c) { return c->run->fidelity_to; }

int tb_objective_report(tb_objective_call *c, double fidelity, double value) {
  if (!c) return 1;
  if (c->stop) return 1;
  tb_trial_run *run = c->run;
  if (!(fidelity > run->fidelity) || !isfinite(fidelity)) return 0; /* not increasing: ignored */
  run->fidelity = fidelity;
  run->last_value = value;
  int stop = 0;
  if (run->report && run->report(run->rctx, fidelity, value, NAN, tb_objective_now() - c->t0, &stop) < 0) stop = 1;
  if (run->interrupt && *run->interrupt) stop = 1;
  c->stop = stop;
  return stop;
}

int tb_objective_call_set(tb_objective_call *c, int i, double value) {
  if (!c || i < 0 || i >= c->o->n_metrics)
    return tb_error_set(TB_ERR_INVALID, "objective call: metric %d outside [0, %d)", i, c ? c->o->n_metrics : 0);
  c->run->metrics[i] = value;
  return TB_OK;
}

static int callback_run(tb_objective *o, tb_trial_run *run) {
  callback_impl *cb = o->impl;
  tb_objective_call call = {o, run, tb_objective_now(), 0};
  tb_error_clear();
  int rc = cb->fn(cb->ctx, &call);
  if (run->interrupt && *run->interrupt)
    return tb_objective_run_fail(run, TB_TRIAL_INTERRUPTED, "study stopped");
  if (rc == TB_ERR_RANGE) return tb_objective_run_fail(run, TB_TRIAL_DIVERGED, "diverged: %s", tb_error_detail());
  if (rc == TB_ERR_OOM) return tb_objective_run_fail(run, TB_TRIAL_OOM, "out of memory: %s", tb_error_detail());
  if (rc < 0) return tb_objective_run_fail(run, TB_TRIAL_FAILED, "callback: %s: %s", tb_strerror(rc), tb_error_detail());
  if (call.stop) {
    run->status = TB_TRIAL_PRUNED;
    if (isnan(run->metrics[0])) run->metrics[0] = run->last_value;
    return TB_OK;
  }
  run->fidelity = run->fidelity_to;
  for (int i = 0; i < o->n_metrics; i++)
    if (isnan(run->metrics[i]))
      return tb_objective_run_fail(run, TB_TRIAL_FAILED, "callback returned without setting metric '%s'", o->names[i]);
  for (int i = 0; i < o->n_metrics; i++)
    if (!isfinite(run->metrics[i]))
      return tb_objective_run_fail(run, TB_TRIAL_DIVERGED, "metric '%s' is %g", o->names[i], run->metrics[i]);
  return TB_OK;
}

static const tb_objective_vt callback_vt = {callback_run, impl_free};

int tb_objective_callback(const tb_space *sp, int n_metrics, const char *const *metric_names, tb_objective_fn fn,
                          void *ctx, tb_objective **out) {
  int rc = TB_OK;
  tb_objective *o = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "callback objective: NULL output");
  *out = NULL;
  if (!fn || !sp) return tb_error_set(TB_ERR_INVALID, "callback objective: NULL function or space");
  if (n_metrics > 1 && !metric_names)
    return tb_error_set(TB_ERR_INVALID, "callback objective: %d metrics need names", n_metrics);
  TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_CALLBACK, &callback_vt, (tb_space *)sp, 0, n_metrics ? n_metrics : 1,
                                   metric_names, &o));
  callback_impl *cb = calloc(1, sizeof *cb);
  if (!cb) TB_FAIL(TB_ERR_NOMEM, "callback objective: out of host memory");
  cb->fn = fn, cb->ctx = ctx;
  o->impl = cb;
  *out = o;
  o = NULL;
done:
  tb_objective_free(o);
  return rc;
}
