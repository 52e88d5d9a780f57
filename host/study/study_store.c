/* study_store.c: the study executor's side of the results store (tb_store.h): trial begin/end rows, curves,
 * lineage, Pareto snapshots, and the resume history turned into plain study_row records for the coordinator.
 * Failure reasons longer than the store's column (127 bytes) are cut to their last 120 bytes with a "..." prefix
 * (the in-memory result keeps the whole reason). Every function is a no-op without a store. Not the coordinator.
 * Tested through tests/test_study.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "study_impl.h"
#include "tb_error.h"
#include "tb_store.h"

static double unix_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void tb_study_describe_experiment(const tb_study *s, struct tb_store_experiment *exp) {
  static const char *names[TB_STUDY_MAX_OBJECTIVES];
  exp->space = tb_objective_space(s->obj);
  exp->n_objectives = s->n_rec_obj;
  for (int i = 0; i < s->n_rec_obj; i++) names[i] = tb_objective_metric_name(s->obj, s->metric[i]);
  exp->objective_names = names;
  exp->maximize = s->p.maximize;
}

int tb_study_store_begin(tb_study *s, const study_rec *r, int64_t store_id, int64_t parent_id, int64_t retry_of,
                         int continues, double fidelity_max) {
  if (!s->store) return TB_OK;
  tb_store_trial t = {store_id, s->experiment, s->strategy, s->p.repetition, r->pub.seed, parent_id, retry_of,
                      unix_now(), r->x, continues, fidelity_max};
  return tb_store_trial_begin(s->store, &t);
}

int tb_study_store_curve(tb_study *s, int64_t store_id, int64_t step, double fidelity, double value, double train_loss,
                         double elapsed) {
  if (!s->store) return TB_OK;
  tb_store_curve c = {store_id, step, fidelity, train_loss, value, elapsed};
  return tb_store_curve_add(s->store, &c);
}

int tb_study_store_end(tb_study *s, const study_rec *r, const tb_trial_run *run, int64_t store_id) {
  if (!s->store) return TB_OK;
  char reason[TB_STORE_REASON_MAX];
  const char *why = run->reason[0] ? run->reason : NULL;
  size_t n = why ? strlen(why) : 0;
  if (n >= sizeof reason) {
    snprintf(reason, sizeof reason, "...%s", why + n - 120);
    why = reason;
  }
  tb_store_result res = {store_id, (tb_trial_status)run->status, r->pub.values, run->fidelity, unix_now(),
                         run->train_time, run->peak_memory, {run->latency_p50[0], run->latency_p50[1]},
                         {run->latency_p99[0], run->latency_p99[1]}, run->n_params, why};
  return tb_store_trial_end(s->store, &res);
}

int tb_study_store_lineage(tb_study *s, int64_t member, int64_t from, int64_t to, int explore, const double *old_x,
                        const double *new_x) {
  if (!s->store) return TB_OK;
  char a[TB_STORE_JSON_MAX], b[TB_STORE_JSON_MAX];
  const tb_space *sp = tb_objective_space(s->obj);
  if (tb_space_format_json(sp, old_x, a, sizeof a) >= sizeof a) snprintf(a, sizeof a, "{}");
  if (tb_space_format_json(sp, new_x, b, sizeof b) >= sizeof b) snprintf(b, sizeof b, "{}");
  tb_store_lineage l = {unix_now(), member, from, to, explore ? TB_LINEAGE_EXPLORE : TB_LINEAGE_EXPLOIT, a, b};
  return tb_store_lineage_add(s->store, &l);
}

int tb_study_store_pareto(tb_study *s, const int64_t *store_ids, size_t n, double hv) {
  if (!s->store) return TB_OK;
  tb_store_pareto p = {s->experiment, 0, unix_now(), hv, (int)n, store_ids};
  p.snapshot = tb_store_next_snapshot(s->store, s->experiment); /* unique per experiment, after the journal's */
  return tb_store_pareto_add(s->store, &p);
}

int64_t tb_study_next_store_id(tb_study *s) {
  return s->store ? tb_store_next_trial_id(s->store) : s->next_store_id++;
}

int tb_study_store_sync(tb_study *s) { return s->store ? tb_store_sync(s->store) : TB_OK; }

void tb_study_rows_free(tb_study *s) {
  for (size_t i = 0; i < s->n_rows; i++) free(s->rows[i].x), free(s->rows[i].curve);
  free(s->rows);
  s->rows = NULL;
  s->n_rows = 0;
}

static study_row *find_row(tb_study *s, int64_t id) {
  for (size_t i = 0; i < s->n_rows; i++)
    if (s->rows[i].store_id == id) return &s->rows[i];
  return NULL;
}

int tb_study_history_load(tb_study *s, const tb_store_history *h) {
  int rc = TB_OK;
  tb_study_rows_free(s);
  s->front_stored = 0;
  if (!h) return TB_OK;
  size_t last = 0; /* this study's last event */
  size_t cap = 0;
  for (size_t i = 0; i < h->n_events; i++) cap += h->events[i].type == TB_STORE_EV_TRIAL_BEGIN;
  if (cap && !(s->rows = calloc(cap, sizeof *s->rows))) return tb_error_set(TB_ERR_NOMEM, "resume: out of memory");
  for (size_t i = 0; i < h->n_events; i++) {
    const tb_store_event *ev = &h->events[i];
    if (ev->type == TB_STORE_EV_TRIAL_BEGIN && ev->u.trial.experiment == s->experiment &&
        ev->u.trial.repetition == s->p.repetition && ev->u.trial.strategy &&
        !strcmp(ev->u.trial.strategy, s->strategy)) {
      study_row *r = &s->rows[s->n_rows++];
      last = i;
      r->store_id = ev->u.trial.id, r->parent_id = ev->u.trial.parent_id, r->retry_of = ev->u.trial.retry_of;
      r->seed = ev->u.trial.seed;
      r->status = -1;
      r->fidelity = NAN;
      for (int k = 0; k < TB_STUDY_MAX_OBJECTIVES; k++) r->values[k] = NAN;
      if (!(r->x = malloc((size_t)(s->dim ? s->dim : 1) * sizeof *r->x))) TB_FAIL(TB_ERR_NOMEM, "resume: out of memory");
      memcpy(r->x, ev->u.trial.config, (size_t)s->dim * sizeof *r->x);
    } else if (ev->type == TB_STORE_EV_PARETO && ev->u.pareto.experiment == s->experiment) {
      if (ev->u.pareto.snapshot >= s->next_snapshot) s->next_snapshot = ev->u.pareto.snapshot + 1;
    } else if (ev->type == TB_STORE_EV_CURVE) {
      study_row *r = find_row(s, ev->u.curve.trial);
      if (!r) continue;
      last = i;
      double *c = realloc(r->curve, (r->n_curve + 1) * 2 * sizeof *c);
      if (!c) TB_FAIL(TB_ERR_NOMEM, "resume: out of memory");
      r->curve = c;
      c[2 * r->n_curve] = ev->u.curve.fidelity, c[2 * r->n_curve + 1] = ev->u.curve.val_metric;
      r->n_curve++;
    } else if (ev->type == TB_STORE_EV_TRIAL_END) {
      study_row *r = find_row(s, ev->u.result.id);
      if (!r) continue;
      last = i;
      const tb_store_result *x = &ev->u.result;
      r->status = x->status;
      for (int k = 0; k < s->n_rec_obj; k++) r->values[k] = x->objectives ? x->objectives[k] : NAN;
      r->fidelity = x->fidelity, r->train_time = x->train_time, r->peak_memory = x->peak_memory;
      r->lat50[0] = x->latency_p50[0], r->lat50[1] = x->latency_p50[1];
      r->lat99[0] = x->latency_p99[0], r->lat99[1] = x->latency_p99[1];
      r->n_params = x->n_params;
      snprintf(r->reason, sizeof r->reason, "%s", x->reason ? x->reason : "");
    }
  }
  /* begun but never ended, or ended as interrupted: to re-run; rows that a later trial already retried are done */
  for (size_t i = 0; i < s->n_rows; i++) {
    study_row *r = &s->rows[i];
    if (r->status < 0 || r->status == TB_TRIAL_INTERRUPTED) r->interrupted = 1, r->status = TB_TRIAL_INTERRUPTED;
  }
  for (size_t i = 0; i < s->n_rows; i++)
    if (s->rows[i].retry_of >= 0) {
      study_row *o = find_row(s, s->rows[i].retry_of);
      if (o) o->consumed = 1;
    }
  /* its front is recorded when a snapshot of its experiment follows its last event before another trial begins
   * (studies of a suite run one after another; a study stopped from outside records none) */
  for (size_t i = last + 1; s->n_rows && i < h->n_events; i++) {
    const tb_store_event *ev = &h->events[i];
    if (ev->type == TB_STORE_EV_TRIAL_BEGIN) break;
    if (ev->type == TB_STORE_EV_PARETO && ev->u.pareto.experiment == s->experiment) {
      s->front_stored = 1;
      break;
    }
  }
  s->next_store_id = h->next_trial_id;
done:
  return rc;
}
