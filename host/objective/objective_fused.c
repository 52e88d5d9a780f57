/* objective_fused.c: fused bundles of the learner objective (tb_objective_fusable, tb_objective_run_bundle): K NEW
 * jobs of one shape trained as one tb_fused model (models/tb_fused.h), each member reported after every unit,
 * stopped on its own, and measured as a solo trial after extraction (see docs/executor.md "Fused trials"). Never
 * used with a data-fraction fidelity. Not the solo path (host/objective/objective_learner.c).
 * Tested by tests/test_study_fused.c and tests/test_model_fused.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective_learner_impl.h"
#include "tb_error.h"
#include "tb_fused.h"

/* x (the objective's space) -> the encoding tb_model_create gets (as learner_run passes it). */
static int declared(const learner_impl *li, const double *x, double *xl) {
  if (li->remap) return tb_objlearner_to_declared(li, x, xl);
  memcpy(xl, x, (size_t)tb_space_dim(li->decl) * sizeof *xl);
  return TB_OK;
}

int tb_objective_fusable(const tb_objective *o, const double *a, const double *b) {
  if (!o || o->vt != &tb_objlearner_vt || !a || !b) return 0;
  const learner_impl *li = o->impl;
  int d = tb_space_dim(li->decl), ok = 0;
  double *xa = malloc(2 * (size_t)(d ? d : 1) * sizeof *xa);
  char buf[160];
  if (!xa) return 0;
  if (declared(li, a, xa) == TB_OK && declared(li, b, xa + d) == TB_OK)
    ok = tb_fused_compatible(li->L, li->decl, xa, xa + d, buf, sizeof buf) == NULL;
  free(xa);
  return ok;
}

/* Ends member k (run r) of the bundle after a unit; returns 1 when it left the active set. */
static int member_step(learner_impl *li, tb_fused *f, int k, tb_trial_run *r, const tb_metrics *mt, double t0,
                       int target, int *rc) {
  r->fidelity = tb_fused_fidelity(f, k);
  if (tb_fused_status_of(f, k) == TB_FUSED_DIVERGED) {
    tb_objective_run_fail(r, TB_TRIAL_DIVERGED, "train: mlp: diverged: training loss is %g at epoch %g (fused member)",
                          tb_fused_train_loss(f, k), r->fidelity + 1);
    return 1;
  }
  tb_objlearner_put_metrics(mt, r);
  double val = r->metrics[r->report_metric >= 0 && r->report_metric < M_N ? r->report_metric : M_LOSS];
  if (!isfinite(r->metrics[M_LOSS])) {
    tb_objective_run_fail(r, TB_TRIAL_DIVERGED, "validation loss is %g at %s %g", r->metrics[M_LOSS],
                          tb_learner_fidelity_unit(li->L), r->fidelity);
    *rc = tb_fused_stop(f, k);
    return 1;
  }
  r->last_value = val;
  int stop = 0;
  if (r->report &&
      (*rc = r->report(r->rctx, r->fidelity, val, tb_fused_train_loss(f, k), tb_objective_now() - t0, &stop)) < 0)
    return 1;
  if (stop && r->interrupt && *r->interrupt) tb_objective_run_fail(r, TB_TRIAL_INTERRUPTED, "study stopped");
  else if (stop) r->status = TB_TRIAL_PRUNED;
  if (stop || r->fidelity >= target) {
    *rc = tb_fused_stop(f, k);
    return 1;
  }
  return 0;
}

/* Trains the members idx[0..nb) of runs as one bundle (all NEW jobs: no state, fidelity 0, same target). Returns
 * TB_OK with the members' statuses set, 1 when the bundle could not be created (the caller runs them alone), or
 * an error that stops the study. */
static int bundle_train(tb_objective *o, tb_trial_run *runs, const int *idx, int nb,
                        const tb_learner_config *const *cs, const uint64_t *seeds) {
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
  tb_backend_mem_reset_peak(wk->be); /* first: it trims backend scratch grown by the previous trial */
  tb_backend_mem(wk->be, &ms);
  size_t base = ms.bytes_in_use, budget = runs[idx[0]].memory_budget;
  tb_backend_set_budget(wk->be, budget ? base + (size_t)nb * budget : 0);
  tb_parts parts = {v->train, v->n_train, v->valid, v->n_valid};
  rc = tb_fused_create_config(cs, nb, wk->devdata, &parts, seeds, &f);
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
        if (act[k]) tb_objective_run_fail(&runs[idx[k]], TB_TRIAL_INTERRUPTED, "study stopped"), act[k] = 0;
      break;
    }
    double t1 = tb_objective_now();
    rc = tb_fused_train(f, 1);
    if (rc >= 0) rc = tb_fused_evaluate(f, v->valid, v->n_valid, mt);
    double dt = (tb_objective_now() - t1) / na; /* each active member's share of the unit */
    if (rc < 0) {
      if (rc == TB_ERR_DEVICE_FATAL) goto done;
      for (int k = 0; k < nb; k++)
        if (act[k]) tt[k] += dt, tb_objlearner_model_fail(&runs[idx[k]], rc, "train"), act[k] = 0;
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
    if (r->status != TB_TRIAL_COMPLETE && r->status != TB_TRIAL_PRUNED) continue;
    if ((rc = tb_fused_extract(f, k, &m)) < 0) {
      if (rc == TB_ERR_DEVICE_FATAL) goto done;
      rc = tb_objlearner_model_fail(r, rc, "extract");
      continue;
    }
    rc = tb_objlearner_finish_model(li, m, r, peak);
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
  int fraction = 0; /* a bundle trains all rows by units: data-fraction jobs run alone */
  for (int i = 0; i < n; i++) fraction |= runs[i].data_fraction;
  if (o->vt != &tb_objlearner_vt || n == 1 || fraction) {
    for (int i = 0; i < n && rc >= 0; i++) rc = tb_objective_run(o, &runs[i]);
    return rc;
  }
  learner_impl *li = o->impl;
  const tb_eval_data *v = li->data;
  int d = tb_space_dim(li->decl);
  double *xl = malloc((size_t)(d ? d : 1) * sizeof *xl);
  tb_learner_config **cs = calloc((size_t)n, sizeof *cs); /* the members' configurations, each decoded once */
  uint64_t *seeds = malloc((size_t)n * sizeof *seeds);
  int *idx = malloc((size_t)n * sizeof *idx);
  char *solo = calloc((size_t)n, 1), why[160];
  if (!xl || !cs || !seeds || !idx || !solo) TB_FAIL(TB_ERR_NOMEM, "objective bundle: out of host memory");
  int n_out = v->ds->task == TB_TASK_CLASSIFICATION ? v->ds->n_classes : 1;
  for (int i = 0; i < n; i++) { /* members a solo run would refuse or that are not NEW jobs run alone */
    tb_trial_run *r = &runs[i];
    if (!r->x || !r->wk || !r->wk->be) TB_FAIL(TB_ERR_INVALID, "objective bundle: run %d has no x or context", i);
    tb_objective_run_reset(r);
    size_t est = 0;
    solo[i] = r->state_in || r->fidelity_from > 0 || r->wk != runs[0].wk || r->fidelity_to != runs[0].fidelity_to ||
              declared(li, r->x, xl) < 0 || tb_learner_config_create(li->L, li->decl, xl, &cs[nb]) < 0 ||
              tb_model_estimate_config(cs[nb], v->n_train, v->ds->n_cols, n_out, &est) < 0 ||
              (r->memory_budget && est > r->memory_budget) ||
              (nb && tb_fused_compatible_config(cs[0], cs[nb], why, sizeof why));
    if (!solo[i]) seeds[nb] = r->seed, idx[nb++] = i;
    else tb_learner_config_free(cs[nb]), cs[nb] = NULL;
  }
  tb_error_clear();
  if (nb >= 2) {
    rc = bundle_train(o, runs, idx, nb, (const tb_learner_config *const *)cs, seeds);
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
  for (int k = 0; cs && k < n; k++) tb_learner_config_free(cs[k]);
  free(cs);
  free(xl);
  free(seeds);
  free(idx);
  free(solo);
  return rc;
}
