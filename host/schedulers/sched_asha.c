/* sched_asha.c: asynchronous successive halving (ASHA, Li et al., MLSys 2020). Nothing waits for a rung to fill:
 * each free worker gets a promotion if one is due, otherwise a new trial. It is not synchronous SH or Hyperband
 * (sched_hyperband.c). Tested by tests/test_scheduler_hb.c.
 *
 * Rungs k = 0..K with s_max = floor(log_eta(max_fidelity/min_fidelity)), s = option min_early_stopping_rate
 * (default 0, at most s_max), K = s_max - s; rung k trains to r_k = min_fidelity eta^(s+k), the top rung K to
 * max_fidelity. When a worker asks: for k = K-1 down to 0, among the top floor(|rung_k|/eta) trials of rung k (by
 * value, ties by trial id) the best one not promoted yet is promoted (RESUME to r_{k+1}, a PROMOTE event); if no
 * rung has one, a new trial starts at rung 0; if none may start (max_trials, budget, sampler exhausted) the answer
 * is WAIT while jobs run, else DONE. A trial enters rung k when its job completes there; failed trials enter no
 * rung and are told FAILED at once. Trials of the top rung are told COMPLETE; trials left in lower rungs are told
 * PRUNED when the scheduler is DONE (until then a growing rung may still promote them).
 * Options: eta (default 3, > 1), min_early_stopping_rate (default 0).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler_impl.h"

typedef struct {
  int64_t id;
  double v;
  int promoted;
} asha_entry;

typedef struct {
  double eta;
  long s;
  int K;
  double *r;         /* (K+1) rung fidelities */
  asha_entry **rung; /* (K+1) entries sorted best first */
  size_t *n, *cap;
} asha_impl;

static void asha_destroy(tb_scheduler *s) {
  asha_impl *a = s->impl;
  if (!a) return;
  if (a->rung)
    for (int k = 0; k <= a->K; k++) free(a->rung[k]);
  free(a->rung);
  free(a->r);
  free(a->n);
  free(a->cap);
  free(a);
  s->impl = NULL;
}

static int asha_create(tb_scheduler *s) {
  asha_impl *a = calloc(1, sizeof *a);
  if (!a) return tb_error_set(TB_ERR_NOMEM, "scheduler asha: out of host memory");
  s->impl = a;
  a->eta = 3;
  int rc = tb_sched_opt_double(s, "eta", 1.0 + 1e-9, 1e6, &a->eta);
  if (rc < 0) return rc;
  int s_max = tb_sched_log_floor(s->max_fidelity / s->min_fidelity, a->eta);
  if ((rc = tb_sched_opt_long(s, "min_early_stopping_rate", 0, s_max, &a->s)) < 0) return rc;
  a->K = s_max - (int)a->s;
  size_t nr = (size_t)a->K + 1;
  a->r = malloc(nr * sizeof *a->r);
  a->rung = calloc(nr, sizeof *a->rung);
  a->n = calloc(nr, sizeof *a->n);
  a->cap = calloc(nr, sizeof *a->cap);
  if (!a->r || !a->rung || !a->n || !a->cap) return tb_error_set(TB_ERR_NOMEM, "scheduler asha: out of host memory");
  for (int k = 0; k <= a->K; k++)
    a->r[k] = k == a->K ? s->max_fidelity : s->min_fidelity * pow(a->eta, (double)(a->s + k));
  return TB_OK;
}

static int asha_next(tb_scheduler *s, tb_job *job) {
  asha_impl *a = s->impl;
  if (tb_sched_budget_ok(s)) {
    for (int k = a->K - 1; k >= 0; k--) {
      size_t top = (size_t)floor((double)a->n[k] / a->eta + 1e-9);
      for (size_t j = 0; j < top; j++) {
        asha_entry *e = &a->rung[k][j];
        if (e->promoted || s->t[e->id].status != TB_SCHED_IDLE) continue;
        e->promoted = 1;
        tb_sched_start(s, job, TB_JOB_RESUME, e->id, -1, a->r[k + 1], -1, k + 1);
        return tb_sched_push_event(s, TB_SCHED_EV_PROMOTE, e->id, -1, a->r[k + 1], NULL, NULL);
      }
    }
    if (tb_sched_can_create(s)) {
      int64_t id;
      int rc = tb_sched_new_trial(s, NULL, &id);
      if (rc == TB_OK) {
        tb_sched_start(s, job, TB_JOB_NEW, id, -1, a->r[0], -1, 0);
        return TB_OK;
      }
      if (rc != TB_ERR_EXHAUSTED) return rc;
    }
  }
  tb_sched_wait_or_done(s, job);
  if (job->kind == TB_JOB_DONE) return tb_sched_end_all_idle(s, TB_TRIAL_PRUNED);
  return TB_OK;
}

static int asha_finish(tb_scheduler *s, int64_t trial, tb_trial_state state) {
  asha_impl *a = s->impl;
  tb_sched_trial *t = &s->t[trial];
  if (state != TB_TRIAL_COMPLETE || !isfinite(t->value)) return tb_sched_end(s, trial, state);
  int k = t->rung < 0 ? 0 : t->rung > a->K ? a->K : t->rung;
  if (a->n[k] == a->cap[k]) {
    size_t c = a->cap[k] ? 2 * a->cap[k] : 16;
    asha_entry *p = realloc(a->rung[k], c * sizeof *p);
    if (!p) return tb_error_set(TB_ERR_NOMEM, "scheduler asha: out of host memory");
    a->rung[k] = p;
    a->cap[k] = c;
  }
  /* insertion keeps the rung sorted by (value, id); later equal values go after earlier ones with smaller ids */
  size_t j = a->n[k];
  while (j > 0 && (a->rung[k][j - 1].v > t->value || (a->rung[k][j - 1].v == t->value && a->rung[k][j - 1].id > trial))) {
    a->rung[k][j] = a->rung[k][j - 1];
    j--;
  }
  a->rung[k][j] = (asha_entry){.id = trial, .v = t->value, .promoted = 0};
  a->n[k]++;
  if (k == a->K) return tb_sched_end(s, trial, TB_TRIAL_COMPLETE);
  return TB_OK;
}

const tb_sched_vt tb_sched_asha_vt = {.name = "asha",
                                      .options = "eta, min_early_stopping_rate",
                                      .create = asha_create,
                                      .next = asha_next,
                                      .finish = asha_finish,
                                      .destroy = asha_destroy};
