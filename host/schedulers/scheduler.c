/* scheduler.c: the scheduler interface (tb_scheduler.h): creation by name, options, the trial table, budget
 * accounting, checks of every next/report/finish call, the event queue, and Hyperband's bracket table. The
 * decisions live in sched_basic.c (none, early_stopping, median), sched_hyperband.c (sh, hyperband, asha),
 * sched_bohb.c and sched_pbt.c. It does not train anything: the executor does. Tested by tests/test_scheduler_*.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler_impl.h"
#include "tb_options.h"
#include "tb_rng.h"

static const tb_sched_vt *const registry[] = {&tb_sched_none_vt,      &tb_sched_early_stopping_vt,
                                              &tb_sched_median_vt,    &tb_sched_sh_vt,
                                              &tb_sched_hyperband_vt, &tb_sched_asha_vt,
                                              &tb_sched_bohb_vt,      &tb_sched_pbt_vt,
                                              NULL};

const char *const *tb_scheduler_names(void) {
  static const char *names[sizeof registry / sizeof *registry];
  for (size_t i = 0; registry[i]; i++) names[i] = registry[i]->name;
  return names;
}

const char *tb_scheduler_name(const tb_scheduler *s) { return s->vt->name; }

const char *tb_scheduler_options(const char *name) {
  for (size_t i = 0; name && registry[i]; i++)
    if (!strcmp(registry[i]->name, name)) return registry[i]->options;
  return NULL;
}

double tb_sched_uniform(tb_scheduler *s) { return tb_rng_next_uniform(s->seed, &s->rng_pos); }
double tb_sched_normal(tb_scheduler *s) { return tb_rng_next_normal(s->seed, &s->rng_pos); }
long tb_sched_randint(tb_scheduler *s, long n) { return tb_rng_next_int(s->seed, &s->rng_pos, n); }

int tb_sched_log_floor(double R, double eta) {
  int k = 0;
  double p = eta;
  while (p <= R * (1 + 1e-12)) {
    k++;
    p *= eta;
  }
  return k;
}

/* ---- options ---- */

int tb_sched_opt_double(tb_scheduler *s, const char *name, double lo, double hi, double *out) {
  return tb_options_double(&s->opts, name, lo, hi, out);
}

int tb_sched_opt_long(tb_scheduler *s, const char *name, long lo, long hi, long *out) {
  return tb_options_long(&s->opts, name, lo, hi, out);
}

int tb_sched_opt_enum(tb_scheduler *s, const char *name, const char *allowed, int *out) {
  return tb_options_enum(&s->opts, name, allowed, out);
}

/* ---- creation ---- */

void tb_scheduler_free(tb_scheduler *s) {
  if (!s) return;
  if (s->vt && s->vt->destroy) s->vt->destroy(s);
  tb_options_free(&s->opts);
  for (size_t i = 0; i < s->n_trials; i++) free(s->t[i].rep);
  free(s->t);
  free(s->x);
  for (size_t i = 0; i < s->ev_n; i++) free(s->ev[(s->ev_head + i) % s->ev_cap].x);
  free(s->ev);
  free(s->ev_x);
  free(s->job_x);
  free(s);
}

int tb_scheduler_create(const char *name, tb_sampler *sampler, const tb_scheduler_config *cfg, tb_scheduler **out) {
  int rc = TB_OK;
  tb_scheduler *s = NULL;
  const tb_sched_vt *vt = NULL;
  *out = NULL;
  for (size_t i = 0; registry[i]; i++)
    if (name && !strcmp(registry[i]->name, name)) vt = registry[i];
  if (!vt) {
    char list[256] = "";
    for (size_t i = 0; registry[i]; i++)
      snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", registry[i]->name);
    return tb_error_set(TB_ERR_NOT_FOUND, "unknown scheduler '%s' (schedulers: %s)", name ? name : "(null)", list);
  }
  if (!sampler || !cfg) return tb_error_set(TB_ERR_INVALID, "scheduler %s: no sampler or no configuration", name);
  if (!(cfg->min_fidelity > 0) || !isfinite(cfg->min_fidelity))
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: min_fidelity = %g must be > 0", name, cfg->min_fidelity);
  if (!(cfg->max_fidelity >= cfg->min_fidelity) || !isfinite(cfg->max_fidelity))
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: max_fidelity = %g must be >= min_fidelity = %g", name,
                        cfg->max_fidelity, cfg->min_fidelity);
  if (cfg->max_trials < 0 || !(cfg->max_budget >= 0) || !isfinite(cfg->max_budget))
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: max_trials = %ld and max_budget = %g must be >= 0", name,
                        cfg->max_trials, cfg->max_budget);
  if (cfg->max_trials == 0 && cfg->max_budget == 0)
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: set max_trials or max_budget (both are 0: no limit)", name);
  if (cfg->n_options < 0 || (cfg->n_options > 0 && (!cfg->option_names || !cfg->option_values)))
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: malformed option list", name);
  s = calloc(1, sizeof *s);
  if (!s) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  s->vt = vt;
  s->sampler = sampler;
  s->sp = tb_sampler_space(sampler);
  s->dim = tb_space_dim(s->sp);
  s->min_fidelity = cfg->min_fidelity;
  s->max_fidelity = cfg->max_fidelity;
  s->max_budget = cfg->max_budget;
  s->max_trials = cfg->max_trials;
  s->maximize = cfg->maximize ? 1 : 0;
  s->seed = tb_rng_derive(cfg->seed, 0x5C4ED);
  s->ev_x = malloc(2 * (size_t)s->dim * sizeof *s->ev_x);
  s->job_x = malloc((size_t)s->dim * sizeof *s->job_x);
  if (!s->ev_x || !s->job_x) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  TB_TRY(tb_options_init(&s->opts, "scheduler", vt->name, cfg->n_options, cfg->option_names, cfg->option_values));
  TB_TRY(vt->create(s));
  TB_TRY(tb_options_check_unused(&s->opts, vt->options));
  *out = s;
  s = NULL;
done:
  tb_scheduler_free(s);
  return rc;
}

/* ---- trials ---- */

int tb_sched_can_create(const tb_scheduler *s) {
  return !s->exhausted && (s->max_trials == 0 || (long)s->n_trials < s->max_trials);
}

int tb_sched_budget_ok(const tb_scheduler *s) {
  return s->max_budget == 0 || s->budget_committed < s->max_budget;
}

int tb_sched_new_trial(tb_scheduler *s, const double *x, int64_t *id) {
  if (!tb_sched_can_create(s)) return TB_ERR_EXHAUSTED;
  if (s->n_trials == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    tb_sched_trial *t = realloc(s->t, cap * sizeof *t);
    if (t) s->t = t;
    double *xx = realloc(s->x, cap * (size_t)s->dim * sizeof *xx);
    if (xx) s->x = xx;
    if (!t || !xx) return tb_error_set(TB_ERR_NOMEM, "scheduler: out of host memory for %zu trials", cap);
    s->cap = cap;
  }
  double *dst = s->x + s->n_trials * (size_t)s->dim;
  int64_t sid = -1;
  int own = 0;
  if (x) {
    memcpy(dst, x, (size_t)s->dim * sizeof *dst);
    own = 1;
  } else if (s->propose) {
    int rc = s->propose(s, dst, &own);
    if (rc < 0) return rc;
  }
  if (!own) {
    int got = 0, rc = tb_sampler_ask(s->sampler, 1, dst, &sid, &got);
    if (rc == TB_ERR_EXHAUSTED || (rc == TB_OK && got == 0)) {
      tb_error_clear();
      s->exhausted = 1;
      return TB_ERR_EXHAUSTED;
    }
    if (rc < 0) return rc;
  }
  tb_sched_trial *t = &s->t[s->n_trials];
  memset(t, 0, sizeof *t);
  t->sid = sid;
  t->status = TB_SCHED_IDLE;
  t->value = NAN;
  t->bracket = t->rung = -1;
  *id = (int64_t)s->n_trials++;
  return TB_OK;
}

void tb_sched_start(tb_scheduler *s, tb_job *job, tb_job_kind kind, int64_t trial, int64_t source,
                    double fidelity_to, int bracket, int rung) {
  tb_sched_trial *t = &s->t[trial];
  if (fidelity_to > s->max_fidelity) fidelity_to = s->max_fidelity;
  t->status = TB_SCHED_RUNNING;
  t->target = fidelity_to;
  t->failed = 0;
  if (bracket >= 0) t->bracket = bracket;
  if (rung >= 0) t->rung = rung;
  s->n_running++;
  s->budget_committed += fidelity_to > t->fidelity ? fidelity_to - t->fidelity : 0;
  memcpy(s->job_x, tb_sched_x(s, trial), (size_t)s->dim * sizeof *s->job_x);
  job->kind = kind;
  job->trial = trial;
  job->source = kind == TB_JOB_EXPLOIT ? source : -1;
  job->x = kind == TB_JOB_RESUME ? NULL : s->job_x;
  job->fidelity_to = fidelity_to;
  job->bracket = bracket;
  job->rung = rung;
}

void tb_sched_wait_or_done(tb_scheduler *s, tb_job *job) {
  job->kind = s->n_running > 0 ? TB_JOB_WAIT : TB_JOB_DONE;
  job->trial = job->source = -1;
  job->x = NULL;
  job->fidelity_to = 0;
  job->bracket = job->rung = -1;
}

int tb_sched_end(tb_scheduler *s, int64_t trial, tb_trial_state state) {
  tb_sched_trial *t = &s->t[trial];
  if (t->status == TB_SCHED_ENDED) return TB_OK;
  t->status = TB_SCHED_ENDED;
  double v = t->value;
  if (state != TB_TRIAL_FAILED && !isfinite(v)) state = TB_TRIAL_FAILED;
  if (state == TB_TRIAL_FAILED) v = NAN;
  else if (s->maximize) v = -v;
  t->end_state = state;
  if (state == TB_TRIAL_PRUNED && !t->stopped) {
    t->stopped = 1;
    int rc = tb_sched_push_event(s, TB_SCHED_EV_STOP, trial, -1, t->fidelity, NULL, NULL);
    if (rc < 0) return rc;
  }
  if (t->sid >= 0) return tb_sampler_tell(s->sampler, t->sid, &v, state);
  return tb_sampler_add_observation(s->sampler, tb_sched_x(s, trial), &v, state);
}

int tb_sched_end_all_idle(tb_scheduler *s, tb_trial_state state) {
  for (size_t i = 0; i < s->n_trials; i++)
    if (s->t[i].status == TB_SCHED_IDLE) {
      int rc = tb_sched_end(s, (int64_t)i, s->t[i].failed ? TB_TRIAL_FAILED : state);
      if (rc < 0) return rc;
    }
  return TB_OK;
}

int tb_sched_value_at(const tb_sched_trial *t, double fidelity, double *v) {
  double tol = 1e-9 * (fabs(fidelity) > 1 ? fabs(fidelity) : 1);
  for (size_t i = t->n_rep; i-- > 0;)
    if (fabs(t->rep[2 * i] - fidelity) <= tol) {
      *v = t->rep[2 * i + 1];
      return 1;
    }
  return 0;
}

/* ---- events ---- */

int tb_sched_push_event(tb_scheduler *s, tb_sched_event_kind kind, int64_t trial, int64_t source, double fidelity,
                        const double *old_x, const double *new_x) {
  if (s->ev_n == s->ev_cap) {
    size_t cap = s->ev_cap ? 2 * s->ev_cap : 16;
    tb_sched_event_rec *e = malloc(cap * sizeof *e);
    if (!e) return tb_error_set(TB_ERR_NOMEM, "scheduler: out of host memory for events");
    for (size_t i = 0; i < s->ev_n; i++) e[i] = s->ev[(s->ev_head + i) % s->ev_cap];
    free(s->ev);
    s->ev = e;
    s->ev_cap = cap;
    s->ev_head = 0;
  }
  tb_sched_event_rec *r = &s->ev[(s->ev_head + s->ev_n) % s->ev_cap];
  memset(r, 0, sizeof *r);
  r->ev.kind = kind;
  r->ev.trial = trial;
  r->ev.source = source;
  r->ev.fidelity = fidelity;
  if (old_x && new_x) {
    r->x = malloc(2 * (size_t)s->dim * sizeof *r->x);
    if (!r->x) return tb_error_set(TB_ERR_NOMEM, "scheduler: out of host memory for events");
    memcpy(r->x, old_x, (size_t)s->dim * sizeof *r->x);
    memcpy(r->x + s->dim, new_x, (size_t)s->dim * sizeof *r->x);
  }
  s->ev_n++;
  return TB_OK;
}

int tb_scheduler_pop_event(tb_scheduler *s, tb_sched_event *ev) {
  if (!s || !ev || s->ev_n == 0) return 0;
  tb_sched_event_rec *r = &s->ev[s->ev_head];
  *ev = r->ev;
  ev->old_x = ev->new_x = NULL;
  if (r->x) {
    memcpy(s->ev_x, r->x, 2 * (size_t)s->dim * sizeof *s->ev_x);
    free(r->x);
    r->x = NULL;
    ev->old_x = s->ev_x;
    ev->new_x = s->ev_x + s->dim;
  }
  s->ev_head = (s->ev_head + 1) % s->ev_cap;
  s->ev_n--;
  return 1;
}

/* ---- the public calls ---- */

int tb_scheduler_next(tb_scheduler *s, tb_job *job) {
  if (!s || !job) return tb_error_set(TB_ERR_INVALID, "tb_scheduler_next: NULL argument");
  memset(job, 0, sizeof *job);
  job->trial = job->source = -1;
  job->bracket = job->rung = -1;
  return s->vt->next(s, job);
}

static int check_running(tb_scheduler *s, const char *what, int64_t trial, double fidelity) {
  if (trial < 0 || (size_t)trial >= s->n_trials)
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: %s for unknown trial %lld", s->vt->name, what,
                        (long long)trial);
  if (s->t[trial].status != TB_SCHED_RUNNING)
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: %s for trial %lld, which has no running job", s->vt->name,
                        what, (long long)trial);
  if (!isfinite(fidelity) || fidelity < 0)
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: %s for trial %lld at fidelity %g", s->vt->name, what,
                        (long long)trial, fidelity);
  return TB_OK;
}

/* Records fidelity increments in the budget (resumed jobs count only what they add). */
static void account(tb_scheduler *s, tb_sched_trial *t, double fidelity) {
  if (fidelity > t->fidelity) {
    s->budget_used += fidelity - t->fidelity;
    t->fidelity = fidelity;
  }
}

static int add_report(tb_sched_trial *t, double fidelity, double v) {
  if (t->n_rep == t->cap_rep) {
    size_t cap = t->cap_rep ? 2 * t->cap_rep : 16;
    double *r = realloc(t->rep, 2 * cap * sizeof *r);
    if (!r) return tb_error_set(TB_ERR_NOMEM, "scheduler: out of host memory for reports");
    t->rep = r;
    t->cap_rep = cap;
  }
  t->rep[2 * t->n_rep] = fidelity;
  t->rep[2 * t->n_rep + 1] = v;
  t->n_rep++;
  return TB_OK;
}

int tb_scheduler_report(tb_scheduler *s, int64_t trial, double fidelity, double value, int *stop) {
  if (!s || !stop) return tb_error_set(TB_ERR_INVALID, "tb_scheduler_report: NULL argument");
  *stop = 0;
  int rc = check_running(s, "report", trial, fidelity);
  if (rc < 0) return rc;
  tb_sched_trial *t = &s->t[trial];
  if (t->n_rep > 0 && !(fidelity > t->rep[2 * (t->n_rep - 1)]))
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: trial %lld reported fidelity %g after %g", s->vt->name,
                        (long long)trial, fidelity, t->rep[2 * (t->n_rep - 1)]);
  double v = s->maximize ? -value : value;
  if ((rc = add_report(t, fidelity, v)) < 0) return rc;
  double reached = t->fidelity > t->target ? t->fidelity : t->target;
  if (fidelity > reached) s->budget_committed += fidelity - reached; /* trained past its target */
  account(s, t, fidelity);
  t->value = v;
  if (s->vt->report && (rc = s->vt->report(s, trial, fidelity, v, stop)) < 0) return rc;
  if (*stop) {
    t->stopped = 1;
    return tb_sched_push_event(s, TB_SCHED_EV_STOP, trial, -1, fidelity, NULL, NULL);
  }
  return TB_OK;
}

int tb_scheduler_finish(tb_scheduler *s, int64_t trial, double fidelity, double value, tb_trial_state state) {
  if (!s) return tb_error_set(TB_ERR_INVALID, "tb_scheduler_finish: NULL scheduler");
  int rc = check_running(s, "finish", trial, fidelity);
  if (rc < 0) return rc;
  if (state < TB_TRIAL_COMPLETE || state > TB_TRIAL_FAILED)
    return tb_error_set(TB_ERR_INVALID, "scheduler %s: finish with unknown state %d", s->vt->name, (int)state);
  tb_sched_trial *t = &s->t[trial];
  account(s, t, fidelity);
  /* the job's promise is replaced by what it really trained */
  s->budget_committed = s->budget_used;
  for (size_t i = 0; i < s->n_trials; i++)
    if (s->t[i].status == TB_SCHED_RUNNING && (int64_t)i != trial && s->t[i].target > s->t[i].fidelity)
      s->budget_committed += s->t[i].target - s->t[i].fidelity;
  if (state == TB_TRIAL_FAILED) {
    t->value = NAN;
    t->failed = 1;
  } else {
    double v = s->maximize ? -value : value;
    if (isfinite(v)) {
      t->value = v;
      double old;
      if (!tb_sched_value_at(t, fidelity, &old) && (rc = add_report(t, fidelity, v)) < 0) return rc;
    }
  }
  t->status = TB_SCHED_IDLE;
  s->n_running--;
  return s->vt->finish(s, trial, state);
}

/* ---- Hyperband's table ---- */

int tb_hyperband_table(double R, double eta, int cap, int (*rows)[4]) {
  if (!(R >= 1) || !(eta > 1) || !isfinite(R) || !isfinite(eta) || cap < 0)
    return tb_error_set(TB_ERR_INVALID, "hyperband table: R = %g must be >= 1 and eta = %g > 1", R, eta);
  int s_max = tb_sched_log_floor(R, eta), k = 0;
  long *n = malloc((size_t)(s_max + 1) * sizeof *n);
  if (!n) return tb_error_set(TB_ERR_NOMEM, "hyperband table: out of host memory (%d brackets)", s_max + 1);
  for (int s = s_max; s >= 0; s--) {
    double r = R * pow(eta, -s);
    tb_hb_rung_sizes(eta, s, s_max, 0, n); /* the brackets the scheduler runs */
    for (int i = 0; i <= s; i++, k++)
      if (k < cap) {
        rows[k][0] = s;
        rows[k][1] = i;
        rows[k][2] = (int)n[i];
        rows[k][3] = (int)floor(r * pow(eta, i) + 0.5);
      }
  }
  free(n);
  return k;
}
