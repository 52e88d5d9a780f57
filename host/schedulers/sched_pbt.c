/* sched_pbt.c: population based training (Jaderberg et al. 2017), synchronous variant: the population trains in
 * generations of `interval` fidelity units; when every living member has reached the generation's fidelity, the
 * worst members exploit (copy the state of) better ones and explore new hyperparameters. It does not copy weights
 * itself: the executor does, for TB_JOB_EXPLOIT. Tested by tests/test_scheduler_pbt.c (Jaderberg's toy problem).
 *
 * Members: `population` trials (default 8; at most max_trials) asked from the sampler, each one trial id for its
 * whole life and at most max_fidelity units. Generation g trains every member to min(g interval, max_fidelity)
 * (interval default max(min_fidelity, max_fidelity/10)); while the generation runs, the answer is WAIT.
 * Exploit (option exploit): truncation (default): the bottom ceil(fraction n) members (at most n/2; fraction
 * default 0.2) each copy a uniformly chosen member of the top ceil(fraction n); tournament: each member, in trial
 * order, compares itself with a uniformly chosen other member and copies it when that one is strictly better (a
 * member that was copied in this generation keeps its own state, so sources are never overwritten before they
 * are read). Explore (option explore), from the source's hyperparameters: perturb (default): each float or int is
 * multiplied by 0.8 or 1.2 (equally likely) in its natural scale and clipped to its range (an int moves at least
 * one step unless clipped), each categorical is resampled from its prior with probability resample_p (default
 * 0.25); resample: each parameter is drawn from its prior with probability resample_p, else perturbed as above
 * (categoricals kept). Conditional parameters that become active are drawn from their prior. An exploit is an
 * EXPLOIT job (source's state loaded at the generation's fidelity, new x) and an EXPLOIT event (old and new x);
 * EXPLOIT jobs of a generation are handed out before its RESUME jobs. A failed member leaves the population.
 * The sampler is told each member's value at its highest fidelity when the study ends: COMPLETE at max_fidelity,
 * PRUNED when the budget stopped it earlier; the sampler only ever sees the member's initial configuration.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler_impl.h"

typedef struct {
  long population;
  double interval, fraction, resample_p;
  int exploit, explore;   /* exploit: 0 truncation, 1 tournament; explore: 0 perturb, 1 resample */
  int64_t *members;       /* (population) */
  long n_members;
  int creating;           /* 1 while the first generation is still being created */
  double gen_f;           /* the current generation's fidelity */
  int64_t *q_trial, *q_src;
  long q_head, q_n;
  int *role;              /* (population): 1 source, 2 exploiter in this generation */
  double *newx;           /* (dim) */
} pbt_impl;

static void pbt_destroy(tb_scheduler *s) {
  pbt_impl *p = s->impl;
  if (!p) return;
  free(p->members);
  free(p->q_trial);
  free(p->q_src);
  free(p->role);
  free(p->newx);
  free(p);
  s->impl = NULL;
}

static int pbt_create(tb_scheduler *s) {
  pbt_impl *p = calloc(1, sizeof *p);
  if (!p) return tb_error_set(TB_ERR_NOMEM, "scheduler pbt: out of host memory");
  s->impl = p;
  p->population = 8;
  p->interval = s->max_fidelity / 10 > s->min_fidelity ? s->max_fidelity / 10 : s->min_fidelity;
  p->fraction = 0.2;
  p->resample_p = 0.25;
  int rc;
  if ((rc = tb_sched_opt_long(s, "population", 2, 4096, &p->population)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "interval", s->min_fidelity, s->max_fidelity, &p->interval)) < 0) return rc;
  if ((rc = tb_sched_opt_enum(s, "exploit", "truncation|tournament", &p->exploit)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "fraction", 1e-9, 0.5, &p->fraction)) < 0) return rc;
  if ((rc = tb_sched_opt_enum(s, "explore", "perturb|resample", &p->explore)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "resample_p", 0, 1, &p->resample_p)) < 0) return rc;
  if (s->max_trials > 0 && s->max_trials < p->population) p->population = s->max_trials;
  size_t n = (size_t)p->population;
  p->members = malloc(n * sizeof *p->members);
  p->q_trial = malloc(n * sizeof *p->q_trial);
  p->q_src = malloc(n * sizeof *p->q_src);
  p->role = malloc(n * sizeof *p->role);
  p->newx = malloc((size_t)s->dim * sizeof *p->newx);
  if (!p->members || !p->q_trial || !p->q_src || !p->role || !p->newx)
    return tb_error_set(TB_ERR_NOMEM, "scheduler pbt: out of host memory");
  p->creating = 1;
  p->gen_f = p->interval < s->max_fidelity ? p->interval : s->max_fidelity;
  return TB_OK;
}

static double prior_draw(tb_scheduler *s, const tb_param *p) {
  double u = tb_sched_uniform(s);
  switch (p->type) {
  case TB_PARAM_FLOAT: {
    double v = p->log ? exp(log(p->lo) + u * (log(p->hi) - log(p->lo))) : p->lo + u * (p->hi - p->lo);
    return v < p->lo ? p->lo : v > p->hi ? p->hi : v;
  }
  case TB_PARAM_INT: {
    long cnt = (long)floor((p->hi - p->lo) / p->step) + 1;
    if (p->log) {
      double v = exp(log(p->lo) + u * (log(p->hi) - log(p->lo)));
      double k = round((v - p->lo) / p->step);
      return p->lo + (k < 0 ? 0 : k > (double)(cnt - 1) ? (double)(cnt - 1) : k) * p->step;
    }
    long k = (long)(u * (double)cnt);
    return p->lo + (double)(k < cnt ? k : cnt - 1) * p->step;
  }
  case TB_PARAM_CATEGORICAL: {
    long k = (long)(u * p->n_choices);
    return (double)(k < p->n_choices ? k : p->n_choices - 1);
  }
  case TB_PARAM_FIXED: return p->value;
  }
  return NAN;
}

static double perturb(tb_scheduler *s, const tb_param *p, double v) {
  double f = tb_sched_uniform(s) < 0.5 ? 0.8 : 1.2, w = v * f;
  if (p->type == TB_PARAM_INT) {
    double hi = p->lo + floor((p->hi - p->lo) / p->step) * p->step;
    double k = round((w - p->lo) / p->step), k0 = round((v - p->lo) / p->step);
    if (k == k0 && w != v) k += w > v ? 1 : -1; /* move at least one step */
    w = p->lo + k * p->step;
    return w < p->lo ? p->lo : w > hi ? hi : w;
  }
  return w < p->lo ? p->lo : w > p->hi ? p->hi : w;
}

/* new x of an exploiting member from the source's x */
static void explore(tb_scheduler *s, pbt_impl *p, const double *src, double *x) {
  const tb_space *sp = s->sp;
  for (int d = 0; d < s->dim; d++) {
    const tb_param *q = tb_space_param(sp, d);
    double v = src[d];
    x[d] = v;
    if (isnan(v) || q->type == TB_PARAM_FIXED) continue;
    int resample = tb_sched_uniform(s) < p->resample_p;
    if (q->type == TB_PARAM_CATEGORICAL) {
      if (p->explore == 0 && resample) x[d] = prior_draw(s, q);
      continue;
    }
    x[d] = p->explore == 1 && resample ? prior_draw(s, q) : perturb(s, q, v);
  }
  /* conditions: switch off what became inactive, draw what became active (parents may come later in order) */
  for (int pass = 0; pass < s->dim; pass++) {
    int changed = 0;
    for (int d = 0; d < s->dim; d++) {
      int act = tb_space_active(sp, x, d);
      if (!act && !isnan(x[d])) x[d] = NAN, changed = 1;
      else if (act && isnan(x[d])) x[d] = prior_draw(s, tb_space_param(sp, d)), changed = 1;
    }
    if (!changed) break;
  }
  char msg[128];
  if (tb_space_check(sp, x, msg, sizeof msg)) memcpy(x, src, (size_t)s->dim * sizeof *x);
}

static int alive(const tb_scheduler *s, int64_t id) {
  return s->t[id].status != TB_SCHED_ENDED && !s->t[id].failed;
}

static const tb_scheduler *sort_s;
static int cmp_member(const void *a, const void *b) {
  int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
  double vi = sort_s->t[i].value, vj = sort_s->t[j].value;
  int bi = !isfinite(vi), bj = !isfinite(vj);
  if (bi != bj) return bi - bj;
  if (!bi && vi != vj) return vi < vj ? -1 : 1;
  return (i > j) - (i < j);
}

static int queue_exploit(tb_scheduler *s, pbt_impl *p, int64_t trial, int64_t src) {
  explore(s, p, tb_sched_x(s, src), p->newx);
  int rc = tb_sched_push_event(s, TB_SCHED_EV_EXPLOIT, trial, src, p->gen_f, tb_sched_x(s, trial), p->newx);
  if (rc < 0) return rc;
  memcpy(tb_sched_x(s, trial), p->newx, (size_t)s->dim * sizeof *p->newx);
  p->q_trial[p->q_n] = trial;
  p->q_src[p->q_n++] = src;
  return TB_OK;
}

/* When the generation is over: the last one ends the study; else exploit/explore and queue the next one. */
static int end_generation(tb_scheduler *s, pbt_impl *p) {
  if (p->creating || p->q_head < p->q_n) return TB_OK;
  int64_t live[p->n_members > 0 ? p->n_members : 1];
  long n = 0;
  for (long i = 0; i < p->n_members; i++) {
    int64_t id = p->members[i];
    if (s->t[id].status == TB_SCHED_RUNNING) return TB_OK;
    if (alive(s, id)) live[n++] = id;
  }
  if (n == 0) return TB_OK;
  int rc;
  if (p->gen_f >= s->max_fidelity * (1 - 1e-12)) {
    for (long i = 0; i < n; i++)
      if ((rc = tb_sched_end(s, live[i], TB_TRIAL_COMPLETE)) < 0) return rc;
    return TB_OK;
  }
  p->q_head = p->q_n = 0;
  for (long i = 0; i < n; i++) p->role[i] = 0;
  if (p->exploit == 0) {
    sort_s = s;
    qsort(live, (size_t)n, sizeof *live, cmp_member);
    long q = (long)ceil(p->fraction * (double)n - 1e-9);
    if (q > n / 2) q = n / 2;
    for (long i = n - q; i < n; i++)
      if ((rc = queue_exploit(s, p, live[i], live[tb_sched_randint(s, q)])) < 0) return rc;
    for (long i = n - q; i < n; i++) p->role[i] = 2;
  } else {
    for (long i = 0; i < n; i++) {
      if (p->role[i] == 1) continue;
      long j = tb_sched_randint(s, n - 1);
      if (j >= i) j++;
      double vi = s->t[live[i]].value, vj = s->t[live[j]].value;
      int better = isfinite(vj) && (!isfinite(vi) || vj < vi);
      if (!better || p->role[j] == 2) continue;
      p->role[i] = 2;
      p->role[j] = 1;
      if ((rc = queue_exploit(s, p, live[i], live[j])) < 0) return rc;
    }
  }
  /* RESUME jobs after the exploits, in trial order */
  int64_t rest[n];
  long nr = 0;
  for (long i = 0; i < n; i++)
    if (p->role[i] != 2) rest[nr++] = live[i];
  sort_s = s;
  for (long i = 1; i < nr; i++) /* insertion sort by id */
    for (long k = i; k > 0 && rest[k - 1] > rest[k]; k--) {
      int64_t t = rest[k];
      rest[k] = rest[k - 1];
      rest[k - 1] = t;
    }
  for (long i = 0; i < nr; i++) {
    p->q_trial[p->q_n] = rest[i];
    p->q_src[p->q_n++] = -1;
  }
  p->gen_f = p->gen_f + p->interval < s->max_fidelity ? p->gen_f + p->interval : s->max_fidelity;
  return TB_OK;
}

static int pbt_next(tb_scheduler *s, tb_job *job) {
  pbt_impl *p = s->impl;
  int rc;
  if (p->creating) {
    if (p->n_members < p->population && tb_sched_can_create(s) && tb_sched_budget_ok(s)) {
      int64_t id;
      rc = tb_sched_new_trial(s, NULL, &id);
      if (rc == TB_OK) {
        p->members[p->n_members++] = id;
        tb_sched_start(s, job, TB_JOB_NEW, id, -1, p->gen_f, -1, -1);
        return TB_OK;
      }
      if (rc != TB_ERR_EXHAUSTED) return rc;
    }
    if (p->n_members >= p->population || !tb_sched_can_create(s)) {
      p->creating = 0;
      if ((rc = end_generation(s, p)) < 0) return rc;
    }
  }
  while (p->q_head < p->q_n && tb_sched_budget_ok(s)) {
    int64_t id = p->q_trial[p->q_head], src = p->q_src[p->q_head];
    p->q_head++;
    if (!alive(s, id)) continue;
    tb_sched_start(s, job, src >= 0 ? TB_JOB_EXPLOIT : TB_JOB_RESUME, id, src, p->gen_f, -1, -1);
    return TB_OK;
  }
  tb_sched_wait_or_done(s, job);
  if (job->kind != TB_JOB_DONE) return TB_OK;
  for (long i = 0; i < p->n_members; i++) {
    int64_t id = p->members[i];
    if (s->t[id].status != TB_SCHED_IDLE) continue;
    tb_trial_state st = s->t[id].failed                                        ? TB_TRIAL_FAILED
                        : s->t[id].fidelity >= s->max_fidelity * (1 - 1e-12) ? TB_TRIAL_COMPLETE
                                                                              : TB_TRIAL_PRUNED;
    if ((rc = tb_sched_end(s, id, st)) < 0) return rc;
  }
  return TB_OK;
}

static int pbt_finish(tb_scheduler *s, int64_t trial, tb_trial_state state) {
  pbt_impl *p = s->impl;
  int rc;
  if (state != TB_TRIAL_COMPLETE && (rc = tb_sched_end(s, trial, state)) < 0) return rc;
  return end_generation(s, p);
}

const tb_sched_vt tb_sched_pbt_vt = {.name = "pbt",
                                     .options = "population, interval, exploit, fraction, explore, resample_p",
                                     .create = pbt_create,
                                     .next = pbt_next,
                                     .finish = pbt_finish,
                                     .destroy = pbt_destroy};
