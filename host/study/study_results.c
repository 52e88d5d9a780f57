/* study_results.c: the study's parameters (defaults, checker), creation, and its results: the trial table, the best
 * trial, the Pareto front and hypervolume (tb_pareto.h) over the chosen objectives. The reference point, when not
 * given, is derived from the complete trials: per objective the worst value plus 10% of the range (1 when the range
 * is 0), so every front point adds volume. Not the coordinator (study.c). Tested by tests/test_study.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "study_impl.h"
#include "tb_error.h"
#include "tb_pareto.h"

size_t tb_study_params_size(void) { return sizeof(tb_study_params); }

tb_study_params tb_study_params_default(void) {
  tb_study_params p;
  memset(&p, 0, sizeof p);
  p.sampler = "random";
  p.scheduler = "none";
  p.min_fidelity = 1;
  p.max_fidelity = 1;
  p.n_workers = 1;
  p.device = "cpu";
  p.n_objectives = 1;
  return p;
}

const char *tb_study_check_params(const tb_study_params *p) {
  if (!p) return "NULL parameters";
  if (!p->sampler || !*p->sampler) return "no sampler";
  if (p->n_workers < 1 || p->n_workers > 1024) return "n_workers outside [1, 1024]";
  if (p->threads_per_trial < 0) return "threads_per_trial < 0";
  if (p->fuse < 0 || p->fuse > 4096) return "fuse outside [0, 4096]";
  if (p->n_initial < 0 || (p->n_initial > 0 && !p->initial)) return "n_initial < 0 or initial NULL";
  if (p->n_warm < 0 || (p->n_warm > 0 && (!p->warm_x || !p->warm_values))) return "n_warm < 0 or warm_x/values NULL";
  if (!(p->min_fidelity > 0) || !(p->max_fidelity >= p->min_fidelity) || !isfinite(p->max_fidelity))
    return "fidelities must satisfy 0 < min_fidelity <= max_fidelity";
  if (p->n_objectives < 1 || p->n_objectives > TB_STUDY_MAX_OBJECTIVES) return "n_objectives outside [1, 8]";
  if (p->n_recorded && (p->n_recorded < p->n_objectives || p->n_recorded > TB_STUDY_MAX_OBJECTIVES))
    return "n_recorded outside [n_objectives, 8]";
  if (p->n_trials < 0 || p->max_budget < 0 || p->max_wall_s < 0 || p->stop_after < 0) return "negative budget";
  if (p->n_objectives > 1 && p->n_trials == 0) return "a multi-objective study needs n_trials";
  if (p->n_trials == 0 && p->max_budget == 0) return "neither n_trials nor max_budget is set";
  if (p->ref_point)
    for (int i = 0; i < p->n_objectives; i++)
      if (!isfinite(p->ref_point[i])) return "reference point is not finite";
  return NULL;
}

int tb_study_create(tb_objective *obj, const tb_study_params *p, tb_study **out) {
  int rc = TB_OK;
  tb_study *s = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "study: NULL output");
  *out = NULL;
  if (!obj) return tb_error_set(TB_ERR_INVALID, "study: NULL objective");
  const char *msg = tb_study_check_params(p);
  if (msg) return tb_error_set(TB_ERR_INVALID, "study: %s", msg);
  if (!(s = calloc(1, sizeof *s))) return tb_error_set(TB_ERR_NOMEM, "study: out of host memory");
  s->obj = obj;
  s->p = *p;
  s->dim = tb_space_dim(tb_objective_space(obj));
  s->n_obj = p->n_objectives;
  s->n_rec_obj = p->n_recorded ? p->n_recorded : p->n_objectives;
  s->experiment = -1;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  for (int i = 0; i < s->n_rec_obj; i++) {
    const char *name = p->objectives[i];
    s->metric[i] = name ? tb_objective_metric_find(obj, name) : (i == 0 ? 0 : -1);
    if (s->metric[i] < 0) {
      char list[1024] = "";
      for (int k = 0; k < tb_objective_n_metrics(obj); k++) {
        if (k) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, tb_objective_metric_name(obj, k), sizeof list - strlen(list) - 1);
      }
      TB_FAIL(TB_ERR_NOT_FOUND, "study: objective %d '%s' is not a metric of this objective (metrics: %s)", i,
              name ? name : "(null)", list);
    }
  }
  /* what is reported after each unit: the first objective if it can be, else the objective's first metric that
   * can (valid_loss for learners: curves only, the scheduler then sees final values only) */
  s->report_to_scheduler = tb_objective_metric_intermediate(obj, s->metric[0]);
  s->report_metric = s->report_to_scheduler ? s->metric[0] : 0;
  snprintf(s->strategy, sizeof s->strategy, "%s", p->strategy ? p->strategy : p->sampler);
  *out = s;
  s = NULL;
done:
  tb_study_free(s);
  return rc;
}

void tb_study_free(tb_study *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_rec; i++) free(s->rec[i].x), free(s->rec[i].reason), free(s->rec[i].state);
  free(s->rec);
  tb_study_rows_free(s);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

int tb_study_attach_store(tb_study *s, tb_store *st, int experiment) {
  if (!s || !st || experiment < 0) return tb_error_set(TB_ERR_INVALID, "study: NULL store or negative experiment");
  s->store = st;
  s->experiment = experiment;
  return TB_OK;
}

size_t tb_study_n_trials(const tb_study *s) { return s ? s->n_rec : 0; }

const tb_study_trial *tb_study_get_trial(const tb_study *s, size_t i) {
  return s && i < s->n_rec && s->rec[i].x ? &s->rec[i].pub : NULL;
}

int64_t tb_study_best(const tb_study *s) {
  int64_t best = -1;
  double bv = 0;
  for (size_t i = 0; s && i < s->n_rec; i++) {
    const tb_study_trial *t = &s->rec[i].pub;
    if (!s->rec[i].x || t->status != TB_TRIAL_COMPLETE || isnan(t->values[0])) continue;
    double v = s->p.maximize[0] ? -t->values[0] : t->values[0];
    if (best < 0 || v < bv) best = t->id, bv = v;
  }
  return best;
}

/* Complete trials' values (n, m) and their trial ids. */
static int collect(const tb_study *s, double **y, int64_t **ids, size_t *n) {
  *y = malloc((s->n_rec ? s->n_rec : 1) * (size_t)s->n_obj * sizeof **y);
  *ids = malloc((s->n_rec ? s->n_rec : 1) * sizeof **ids);
  if (!*y || !*ids) return tb_error_set(TB_ERR_NOMEM, "study: out of host memory");
  *n = 0;
  for (size_t i = 0; i < s->n_rec; i++) {
    const tb_study_trial *t = &s->rec[i].pub;
    if (!s->rec[i].x || t->status != TB_TRIAL_COMPLETE) continue;
    int ok = 1;
    for (int k = 0; k < s->n_obj; k++) ok &= isfinite(t->values[k]);
    if (!ok) continue;
    memcpy(*y + *n * (size_t)s->n_obj, t->values, (size_t)s->n_obj * sizeof **y);
    (*ids)[(*n)++] = t->id;
  }
  return TB_OK;
}

int tb_study_pareto(const tb_study *s, int64_t *ids_out, size_t *n_front, double *hypervolume, double *ref_used) {
  int rc = TB_OK;
  double *y = NULL, ref[TB_STUDY_MAX_OBJECTIVES];
  int64_t *ids = NULL;
  size_t *idx = NULL, n = 0, nf = 0;
  if (!s || !n_front) return tb_error_set(TB_ERR_INVALID, "study pareto: NULL argument");
  TB_TRY(collect(s, &y, &ids, &n));
  if (!(idx = malloc((n ? n : 1) * sizeof *idx))) TB_FAIL(TB_ERR_NOMEM, "study: out of host memory");
  if (n) TB_TRY(tb_pareto_front(y, n, s->n_obj, s->p.maximize, idx, &nf));
  for (int k = 0; k < s->n_obj; k++) {
    if (s->p.ref_point) {
      ref[k] = s->p.ref_point[k];
      continue;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) lo = fmin(lo, y[i * (size_t)s->n_obj + k]), hi = fmax(hi, y[i * (size_t)s->n_obj + k]);
    if (!n) lo = hi = 0;
    double pad = hi > lo ? 0.1 * (hi - lo) : 1;
    ref[k] = s->p.maximize[k] ? lo - pad : hi + pad;
  }
  double hv = 0;
  if (n) TB_TRY(tb_pareto_hypervolume(y, n, s->n_obj, s->p.maximize, ref, &hv));
  for (size_t i = 0; i < nf && ids_out; i++) ids_out[i] = ids[idx[i]];
  *n_front = nf;
  if (hypervolume) *hypervolume = hv;
  if (ref_used) memcpy(ref_used, ref, (size_t)s->n_obj * sizeof *ref);
done:
  free(y), free(ids), free(idx);
  return rc;
}

int tb_study_store_front(tb_study *s) {
  int rc = TB_OK;
  if (!s->store) return TB_OK;
  int64_t *ids = malloc((s->n_rec ? s->n_rec : 1) * sizeof *ids);
  size_t n = 0;
  double hv = 0;
  if (!ids) return tb_error_set(TB_ERR_NOMEM, "study: out of host memory");
  TB_TRY(tb_study_pareto(s, ids, &n, &hv, NULL));
  for (size_t i = 0; i < n; i++) ids[i] = s->rec[ids[i]].pub.store_id;
  TB_TRY(tb_study_store_pareto(s, ids, n, hv));
  TB_TRY(tb_study_store_sync(s));
done:
  free(ids);
  return rc;
}
