/* sched_hyperband.c: the rung-based schedulers: sh (synchronous successive halving, one bracket), hyperband (Li et
 * al., JMLR 2018); asha is in sched_asha.c. The bracket engine here is also BOHB's (sched_bohb.c only
 * proposes configurations). It does not train or save state: a paused trial's state is the executor's.
 * Tested by tests/test_scheduler_hb.c.
 *
 * Brackets (R = max_fidelity / min_fidelity, s_max = floor(log_eta R), B = (s_max+1) R): bracket s has
 * n = ceil(B/R eta^s/(s+1)) trials and rungs i = 0..s with n_i = floor(n eta^-i) trials trained to
 * r_i = max_fidelity eta^(i-s). A rung is complete when all its jobs finished; its top n_{i+1} by value are
 * promoted (RESUME to r_{i+1}, a PROMOTE event) and the others are told PRUNED (a synchronous rung never takes
 * them back). Trials of the last rung are told COMPLETE. A failed trial is told FAILED at once, counts in its rung
 * and is never promoted. When max_trials, the sampler or the budget cut a rung 0 short (m < n_0 trials), the next
 * rung keeps min(n_1, max(1, floor(m/eta))). Hyperband repeats brackets s_max, ..., 0, s_max, ... while trials and
 * budget remain; when every bracket waits for running jobs it opens the next bracket, so parallel workers stay busy
 * (with one worker the order is exactly the paper's). sh runs one bracket: s = s_max and n from option n (default
 * eta^s_max); n_i = max(1, floor(n eta^-i)). Options: eta (default 3, > 1); sh also n.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler_impl.h"

typedef struct {
  int s, n_rungs, cur, done;
  long *n;        /* (n_rungs) planned trials per rung */
  double *r;      /* (n_rungs) fidelity per rung */
  long launched0; /* trials created in rung 0 */
  int64_t *members, *pending; /* trials in the current rung; promoted ones waiting for their RESUME */
  size_t n_members, n_pending, cap;
} hb_bracket;

typedef struct {
  int several;
  double eta, R;
  long n_opt;
  int s_max;
  hb_bracket *b;
  size_t n_b, cap_b;
  long iter;
} hb_impl;

int tb_hb_setup(tb_scheduler *s, int several_brackets) {
  hb_impl *h = calloc(1, sizeof *h);
  if (!h) return tb_error_set(TB_ERR_NOMEM, "scheduler %s: out of host memory", s->vt->name);
  s->impl = h;
  h->several = several_brackets;
  h->eta = 3;
  h->R = s->max_fidelity / s->min_fidelity;
  int rc = tb_sched_opt_double(s, "eta", 1.0 + 1e-9, 1e6, &h->eta);
  if (rc < 0) return rc;
  h->s_max = tb_sched_log_floor(h->R, h->eta);
  h->n_opt = 0;
  if (!several_brackets && (rc = tb_sched_opt_long(s, "n", 1, 1000000000L, &h->n_opt)) < 0) return rc;
  return TB_OK;
}

void tb_hb_rung_sizes(double eta, int s, int s_max, long n_opt, long *n) {
  double n0 = n_opt > 0 ? (double)n_opt : ceil((double)(s_max + 1) / (s + 1) * pow(eta, s) - 1e-9);
  for (int i = 0; i <= s; i++) {
    double ni = floor(n0 * pow(eta, -i) + 1e-9);
    n[i] = ni < 1 ? 1 : (long)ni;
  }
}

void tb_hb_destroy(tb_scheduler *s) {
  hb_impl *h = s->impl;
  if (!h) return;
  for (size_t i = 0; i < h->n_b; i++) {
    free(h->b[i].n);
    free(h->b[i].r);
    free(h->b[i].members);
    free(h->b[i].pending);
  }
  free(h->b);
  free(h);
  s->impl = NULL;
}

static int open_bracket(tb_scheduler *s, hb_impl *h) {
  if (h->n_b == h->cap_b) {
    size_t c = h->cap_b ? 2 * h->cap_b : 8;
    hb_bracket *p = realloc(h->b, c * sizeof *p);
    if (!p) return tb_error_set(TB_ERR_NOMEM, "scheduler %s: out of host memory", s->vt->name);
    h->b = p;
    h->cap_b = c;
  }
  hb_bracket *b = &h->b[h->n_b];
  memset(b, 0, sizeof *b);
  b->s = h->several ? h->s_max - (int)(h->iter % (h->s_max + 1)) : h->s_max;
  b->n_rungs = b->s + 1;
  b->n = malloc((size_t)b->n_rungs * sizeof *b->n);
  b->r = malloc((size_t)b->n_rungs * sizeof *b->r);
  if (!b->n || !b->r) {
    free(b->n);
    free(b->r);
    return tb_error_set(TB_ERR_NOMEM, "scheduler %s: out of host memory", s->vt->name);
  }
  tb_hb_rung_sizes(h->eta, b->s, h->s_max, h->n_opt, b->n);
  for (int i = 0; i < b->n_rungs; i++) b->r[i] = i == b->s ? s->max_fidelity : s->max_fidelity * pow(h->eta, i - b->s);
  h->n_b++;
  h->iter++;
  return TB_OK;
}

/* members sorted best first: finite values by value then id; failed / NaN last */
static const tb_scheduler *sort_s;
static int cmp_member(const void *a, const void *b) {
  int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
  const tb_sched_trial *ti = &sort_s->t[i], *tj = &sort_s->t[j];
  int bi = ti->failed || !isfinite(ti->value), bj = tj->failed || !isfinite(tj->value);
  if (bi != bj) return bi - bj;
  if (!bi && ti->value != tj->value) return ti->value < tj->value ? -1 : 1;
  return (i > j) - (i < j);
}

/* Closes the current rung when it is complete: promotes its best, tells the others. */
static int advance(tb_scheduler *s, hb_impl *h, hb_bracket *b) {
  if (b->done) return TB_OK;
  for (size_t k = 0; k < b->n_members; k++)
    if (s->t[b->members[k]].status == TB_SCHED_RUNNING) return TB_OK;
  if (b->cur == 0 ? (b->launched0 < b->n[0] && tb_sched_can_create(s)) : b->n_pending > 0) return TB_OK;
  int rc = TB_OK;
  size_t m = b->n_members;
  if (m == 0) {
    b->done = 1;
    return TB_OK;
  }
  if (b->cur == b->n_rungs - 1) {
    for (size_t k = 0; k < m; k++)
      if ((rc = tb_sched_end(s, b->members[k], TB_TRIAL_COMPLETE)) < 0) return rc;
    b->done = 1;
    return TB_OK;
  }
  long keep = b->n[b->cur + 1];
  if ((long)m < b->n[b->cur]) {
    long k2 = (long)floor((double)m / h->eta + 1e-9);
    if (k2 < 1) k2 = 1;
    if (k2 < keep) keep = k2;
  }
  sort_s = s;
  qsort(b->members, m, sizeof *b->members, cmp_member);
  size_t n_keep = 0;
  for (size_t k = 0; k < m; k++) {
    int64_t id = b->members[k];
    const tb_sched_trial *t = &s->t[id];
    int ok = t->status == TB_SCHED_IDLE && !t->failed && isfinite(t->value);
    if (ok && (long)n_keep < keep) {
      b->members[n_keep++] = id; /* k >= n_keep: compaction in place */
    } else if (t->status != TB_SCHED_ENDED) {
      if ((rc = tb_sched_end(s, id, TB_TRIAL_PRUNED)) < 0) return rc;
    }
  }
  b->n_members = n_keep;
  if (n_keep == 0) {
    b->done = 1;
    return TB_OK;
  }
  b->cur++;
  /* pending has the capacity of members (both grow together in bracket_next) */
  for (size_t k = 0; k < n_keep; k++) {
    b->pending[k] = b->members[n_keep - 1 - k]; /* popped from the back: best first */
    if ((rc = tb_sched_push_event(s, TB_SCHED_EV_PROMOTE, b->members[k], -1, b->r[b->cur], NULL, NULL)) < 0)
      return rc;
  }
  b->n_pending = n_keep;
  return TB_OK;
}

/* A job of bracket bi if it has one (returns 1). */
static int bracket_next(tb_scheduler *s, hb_impl *h, int bi, tb_job *job, int *got) {
  hb_bracket *b = &h->b[bi];
  *got = 0;
  int rc = advance(s, h, b);
  if (rc < 0 || b->done || !tb_sched_budget_ok(s)) return rc;
  if (b->cur == 0 && b->launched0 < b->n[0] && tb_sched_can_create(s)) {
    int64_t id;
    rc = tb_sched_new_trial(s, NULL, &id);
    if (rc == TB_ERR_EXHAUSTED) return advance(s, h, b);
    if (rc < 0) return rc;
    if (b->n_members == b->cap) {
      size_t c = b->cap ? 2 * b->cap : 16;
      int64_t *m = realloc(b->members, c * sizeof *m), *p = m ? realloc(b->pending, c * sizeof *p) : NULL;
      if (m) b->members = m;
      if (p) b->pending = p;
      if (!m || !p) return tb_error_set(TB_ERR_NOMEM, "scheduler %s: out of host memory", s->vt->name);
      b->cap = c;
    }
    b->members[b->n_members++] = id;
    b->launched0++;
    tb_sched_start(s, job, TB_JOB_NEW, id, -1, b->r[0], bi, 0);
    *got = 1;
  } else if (b->cur > 0 && b->n_pending > 0) {
    int64_t id = b->pending[--b->n_pending];
    tb_sched_start(s, job, TB_JOB_RESUME, id, -1, b->r[b->cur], bi, b->cur);
    *got = 1;
  }
  return TB_OK;
}

int tb_hb_next(tb_scheduler *s, tb_job *job) {
  hb_impl *h = s->impl;
  int rc, got = 0;
  for (size_t i = 0; i < h->n_b; i++) {
    if ((rc = bracket_next(s, h, (int)i, job, &got)) < 0) return rc;
    if (got) return TB_OK;
  }
  /* every bracket waits or is done: open the next one (its predecessor has launched all of its rung 0) */
  const hb_bracket *last = h->n_b ? &h->b[h->n_b - 1] : NULL;
  if ((h->several || h->n_b == 0) && tb_sched_can_create(s) && tb_sched_budget_ok(s) &&
      (!last || last->done || last->cur > 0 || last->launched0 >= last->n[0])) {
    if ((rc = open_bracket(s, h)) < 0) return rc;
    if ((rc = bracket_next(s, h, (int)h->n_b - 1, job, &got)) < 0) return rc;
    if (got) return TB_OK;
  }
  tb_sched_wait_or_done(s, job);
  if (job->kind == TB_JOB_DONE) return tb_sched_end_all_idle(s, TB_TRIAL_PRUNED);
  return TB_OK;
}

int tb_hb_finish(tb_scheduler *s, int64_t trial, tb_trial_state state) {
  hb_impl *h = s->impl;
  tb_sched_trial *t = &s->t[trial];
  int rc = TB_OK;
  if (state != TB_TRIAL_COMPLETE && (rc = tb_sched_end(s, trial, state)) < 0) return rc;
  if (t->bracket >= 0 && (size_t)t->bracket < h->n_b) return advance(s, h, &h->b[t->bracket]);
  return TB_OK;
}

static int sh_create(tb_scheduler *s) { return tb_hb_setup(s, 0); }
static int hyperband_create(tb_scheduler *s) { return tb_hb_setup(s, 1); }

const tb_sched_vt tb_sched_sh_vt = {.name = "sh",
                                    .options = "eta, n",
                                    .create = sh_create,
                                    .next = tb_hb_next,
                                    .finish = tb_hb_finish,
                                    .destroy = tb_hb_destroy};

const tb_sched_vt tb_sched_hyperband_vt = {.name = "hyperband",
                                           .options = "eta",
                                           .create = hyperband_create,
                                           .next = tb_hb_next,
                                           .finish = tb_hb_finish,
                                           .destroy = tb_hb_destroy};
