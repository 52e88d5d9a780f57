/* gp.c: the GP Bayesian-optimisation sampler "gp" (Snoek, Larochelle & Adams 2012): options, startup trials from
 * a randomly shifted Sobol sequence, the data the GP sees (completed and pruned trials with a finite value;
 * standardised outputs; at most max_obs points), when hyperparameters are refitted, and pending trials (constant
 * liar or kriging believer). The GP is in gp_model.c, the acquisitions and their optimiser in gp_acq.c.
 * Not Snoek's MCMC-integrated acquisition: hyperparameters are point estimates (maximum a posteriori).
 * Tested by tests/test_sampler_gp.c; docs/samplers.md ("GP-BO") lists the options and defaults. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gp_impl.h"

enum { PENDING_LIAR_MIN = 0, PENDING_LIAR_MEAN = 1, PENDING_LIAR_MAX = 2, PENDING_KB = 3 };

typedef struct gp_state {
  tb_gp_enc enc;
  tb_gp gp;
  tb_gp_acq acq;
  tb_gp_opt opt;
  int pending_mode;
  long n_startup, refit_every, fit_starts, max_obs;
  double *shift;   /* (dim) Cranley-Patterson shift of the startup Sobol points */
  size_t n_sobol;  /* startup points given so far */
  double *theta;   /* (D + 2) last fitted hyperparameters */
  int fitted;
  size_t n_fit;    /* usable observations (before the max_obs subset) at the last fit */
} gp_state;

static void gp_destroy(tb_sampler *s) {
  gp_state *st = s->impl;
  if (!st) return;
  tb_gp_enc_release(&st->enc);
  tb_gp_release(&st->gp);
  free(st->shift);
  free(st->theta);
  free(st);
  s->impl = NULL;
}

static int gp_create(tb_sampler *s) {
  int rc = TB_OK;
  gp_state *st = calloc(1, sizeof *st);
  if (!st) return tb_error_set(TB_ERR_NOMEM, "sampler gp: out of host memory");
  s->impl = st;
  int acq = TB_GP_ACQ_LOGEI, pend = PENDING_KB;
  long n_cand = 1024, n_local = 5, local_eval = 50;
  st->n_startup = s->dim + 1 > 5 ? s->dim + 1 : 5;
  st->refit_every = 10;
  st->fit_starts = 3;
  st->max_obs = 1000;
  st->acq.xi = 0.0;
  st->acq.beta = 4.0;
  TB_TRY(tb_sampler_opt_enum(s, "acq", "ei|logei|ucb|pi", &acq));
  TB_TRY(tb_sampler_opt_double(s, "xi", 0.0, 10.0, &st->acq.xi));
  TB_TRY(tb_sampler_opt_double(s, "ucb_beta", 0.0, 1e4, &st->acq.beta));
  TB_TRY(tb_sampler_opt_enum(s, "pending", "liar_min|liar_mean|liar_max|kriging_believer", &pend));
  TB_TRY(tb_sampler_opt_long(s, "n_startup", 1, 100000, &st->n_startup));
  TB_TRY(tb_sampler_opt_long(s, "refit_every", 1, 100000, &st->refit_every));
  TB_TRY(tb_sampler_opt_long(s, "fit_starts", 1, 100, &st->fit_starts));
  TB_TRY(tb_sampler_opt_long(s, "max_obs", 10, 100000, &st->max_obs));
  TB_TRY(tb_sampler_opt_long(s, "n_candidates", 16, 1000000, &n_cand));
  TB_TRY(tb_sampler_opt_long(s, "n_local", 0, 1000, &n_local));
  TB_TRY(tb_sampler_opt_long(s, "local_max_eval", 1, 100000, &local_eval));
  st->acq.kind = (tb_gp_acq_kind)acq;
  st->pending_mode = pend;
  st->opt.n_candidates = (int)n_cand;
  st->opt.n_local = (int)n_local;
  st->opt.local_max_eval = (int)local_eval;
  if (s->dim > 1229) TB_FAIL(TB_ERR_INVALID, "sampler gp: the space has %d parameters (at most 1229)", s->dim);
  TB_TRY(tb_gp_enc_init(&st->enc, s->sp));
  if (st->enc.D == 0) TB_FAIL(TB_ERR_INVALID, "sampler gp: every parameter of the space is fixed");
  TB_TRY(tb_gp_init(&st->gp, st->enc.D, 64));
  st->shift = malloc((size_t)s->dim * sizeof *st->shift);
  st->theta = malloc((size_t)(st->enc.D + 2) * sizeof *st->theta);
  if (!st->shift || !st->theta) TB_FAIL(TB_ERR_NOMEM, "sampler gp: out of host memory");
  for (int d = 0; d < s->dim; d++) st->shift[d] = tb_sampler_uniform(s);
  tb_gp_prior_mean(st->enc.D, st->theta, NULL);
done:
  return rc;
}

typedef struct {
  double y;
  size_t t;
} by_y;

static int cmp_by_y(const void *a, const void *b) {
  const by_y *p = a, *q = b;
  return p->y < q->y ? -1 : p->y > q->y ? 1 : (p->t > q->t) - (p->t < q->t);
}

/* Keeps at most max_obs of the n observations idx: the best half by value, then the most recent. */
static int subset(const tb_sampler *s, size_t *idx, size_t n, size_t max_obs, size_t *n_out) {
  if (n <= max_obs) {
    *n_out = n;
    return TB_OK;
  }
  by_y *v = malloc(n * sizeof *v);
  unsigned char *keep = calloc(s->n_trials, 1);
  if (!v || !keep) {
    free(v);
    free(keep);
    return tb_error_set(TB_ERR_NOMEM, "sampler gp: out of host memory");
  }
  for (size_t i = 0; i < n; i++) v[i] = (by_y){s->y[idx[i] * (size_t)s->n_obj], idx[i]};
  qsort(v, n, sizeof *v, cmp_by_y);
  for (size_t i = 0; i < max_obs / 2; i++) keep[v[i].t] = 1;
  size_t k = max_obs / 2;
  for (size_t i = n; i-- > 0 && k < max_obs;)
    if (!keep[idx[i]]) keep[idx[i]] = 1, k++;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (keep[idx[i]]) idx[m++] = idx[i];
  *n_out = m;
  free(v);
  free(keep);
  return TB_OK;
}

/* Fits (when due) and factors the GP on the observations idx (n >= 2, kept out of n_seen); y standardised.
 * Writes the standardised best value, the liar value and the (up to 5) best configurations into near. */
static int build_model(tb_sampler *s, gp_state *st, const size_t *idx, size_t n, size_t n_seen, double *best,
                       double *liar, double *near, int *n_near) {
  int rc = TB_OK, D = st->enc.D, dim = s->dim;
  double *F = malloc(n * (size_t)D * sizeof *F + 1), *Y = malloc(n * sizeof *Y), *u = malloc((size_t)dim * sizeof *u);
  double *starts = malloc((size_t)st->fit_starts * (size_t)(D + 2) * sizeof *starts);
  if (!F || !Y || !u || !starts) TB_FAIL(TB_ERR_NOMEM, "sampler gp: out of host memory for %zu points", n);
  double mean = 0, sd = 0, lo = HUGE_VAL, hi = -HUGE_VAL;
  for (size_t i = 0; i < n; i++) mean += s->y[idx[i] * (size_t)s->n_obj];
  mean /= (double)n;
  for (size_t i = 0; i < n; i++) {
    double d = s->y[idx[i] * (size_t)s->n_obj] - mean;
    sd += d * d;
  }
  sd = sqrt(sd / (double)n);
  if (!(sd > 0)) sd = 1.0;
  for (size_t i = 0; i < n; i++) {
    Y[i] = (s->y[idx[i] * (size_t)s->n_obj] - mean) / sd;
    lo = Y[i] < lo ? Y[i] : lo;
    hi = Y[i] > hi ? Y[i] : hi;
    tb_gp_encode(&st->enc, s->sp, s->x + idx[i] * (size_t)dim, u, F + i * (size_t)D);
  }
  *best = lo;
  *liar = st->pending_mode == PENDING_LIAR_MIN ? lo : st->pending_mode == PENDING_LIAR_MAX ? hi : 0.0;
  /* the best few observations seed candidates near them (ties: earlier trial first) */
  *n_near = 0;
  for (int b = 0; b < 5 && b < (int)n; b++) {
    size_t bi = n;
    for (size_t i = 0; i < n; i++) {
      int used = 0;
      for (int q = 0; q < b; q++) used |= !memcmp(near + (size_t)q * (size_t)dim, s->x + idx[i] * (size_t)dim,
                                                  (size_t)dim * sizeof(double));
      if (!used && (bi == n || Y[i] < Y[bi])) bi = i;
    }
    if (bi == n) break;
    memcpy(near + (size_t)b * (size_t)dim, s->x + idx[bi] * (size_t)dim, (size_t)dim * sizeof(double));
    (*n_near)++;
  }
  TB_TRY(tb_gp_set_data(&st->gp, F, Y, n));
  int due = !st->fitted ||
            (n_seen != st->n_fit && (n_seen <= 100 || labs((long)n_seen - (long)st->n_fit) >= st->refit_every));
  if (due) {
    /* starts: the previous optimum, the prior mean, then draws from the prior; fewer when n is large */
    int ns = n > 100 && st->fit_starts > 1 ? 1 : (int)st->fit_starts;
    double sdv[D + 2];
    memcpy(starts, st->theta, (size_t)(D + 2) * sizeof *starts);
    for (int k = 1; k < ns; k++) {
      double *t = starts + (size_t)k * (size_t)(D + 2);
      tb_gp_prior_mean(D, t, sdv);
      if (k > 1)
        for (int j = 0; j < D + 2; j++) t[j] += sdv[j] * tb_sampler_normal(s);
      tb_gp_clip(D, t);
    }
    TB_TRY(tb_gp_fit(&st->gp, starts, ns, n > 100 ? 60 : 100));
    memcpy(st->theta, st->gp.theta, (size_t)(D + 2) * sizeof *st->theta);
    st->fitted = 1;
    st->n_fit = n_seen;
  } else {
    memcpy(st->gp.theta, st->theta, (size_t)(D + 2) * sizeof *st->theta);
  }
  TB_TRY(tb_gp_factor(&st->gp));
done:
  free(F);
  free(Y);
  free(u);
  free(starts);
  return rc;
}

/* Adds configuration x as a fantasy: the liar's value, or the posterior mean (kriging believer). */
static int fantasise(tb_sampler *s, gp_state *st, const double *x, double liar, double *u, double *f,
                     double *work) {
  tb_gp_encode(&st->enc, s->sp, x, u, f);
  double y = liar;
  if (st->pending_mode == PENDING_KB) {
    double var;
    tb_gp_predict(&st->gp, f, &y, &var, NULL, NULL, work);
  }
  return tb_gp_append(&st->gp, f, y);
}

static int gp_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  gp_state *st = s->impl;
  int rc = TB_OK, dim = s->dim, built = 0, n_near = 0;
  size_t *idx = malloc((s->n_trials + 1) * sizeof *idx), n_real = 0, n_pend = 0, n_fant = 0;
  double *near = malloc(5 * (size_t)dim * sizeof *near), *u = malloc((size_t)dim * sizeof *u);
  double *f = malloc((size_t)st->enc.D * sizeof *f), *work = NULL, best = 0, liar = 0;
  if (!idx || !near || !u || !f) TB_FAIL(TB_ERR_NOMEM, "sampler gp: out of host memory");
  n_real = tb_sampler_completed(s, 1, idx);
  for (size_t t = 0; t < s->n_trials; t++) n_pend += s->pending[t];
  *n_out = 0;
  for (int i = 0; i < n; i++) {
    double *x = xs + (size_t)i * (size_t)dim;
    if (n_real + n_pend + (size_t)i < (size_t)st->n_startup || n_real < 2) {
      TB_TRY(tb_gp_qrng_points(dim, st->n_sobol++, 1, st->shift, u));
      tb_space_from_unit(s->sp, u, x);
      continue;
    }
    if (!built) {
      size_t m = 0;
      TB_TRY(subset(s, idx, n_real, (size_t)st->max_obs, &m));
      TB_TRY(build_model(s, st, idx, m, n_real, &best, &liar, near, &n_near));
      work = malloc((3 * (m + n_pend + (size_t)n) + 1) * sizeof *work);
      if (!work) TB_FAIL(TB_ERR_NOMEM, "sampler gp: out of host memory");
      for (size_t t = 0; t < s->n_trials; t++)
        if (s->pending[t]) TB_TRY(fantasise(s, st, s->x + t * (size_t)dim, liar, u, f, work));
      built = 1;
    }
    for (; n_fant < (size_t)i; n_fant++)
      TB_TRY(fantasise(s, st, xs + n_fant * (size_t)dim, liar, u, f, work));
    st->acq.best = best;
    TB_TRY(tb_gp_acq_optimize(s, &st->gp, &st->enc, &st->acq, &st->opt, near, n_near, x));
  }
  *n_out = n;
done:
  free(idx);
  free(near);
  free(u);
  free(f);
  free(work);
  return rc;
}

const tb_sampler_vt tb_sampler_gp_vt = {
    .name = "gp",
    .options = "acq (ei|logei|ucb|pi), xi, ucb_beta, pending (liar_min|liar_mean|liar_max|kriging_believer), "
               "n_startup, refit_every, fit_starts, max_obs, n_candidates, n_local, local_max_eval",
    .max_objectives = 1,
    .create = gp_create,
    .ask = gp_ask,
    .on_result = NULL,
    .destroy = gp_destroy,
};
