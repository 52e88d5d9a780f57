/* gp_acq.c: what the GP-BO sampler maximises and how: the feature encoding of configurations, the acquisition
 * functions (EI, log-EI computed stably for very negative z, UCB in its minimisation form, PI) with derivatives,
 * quasi-random points (GSL Sobol, Halton above 40 dimensions) and the acquisition optimiser (candidates, then
 * L-BFGS from NLopt on the continuous coordinates, then a sweep over categorical choices).
 * Not the GP itself (gp_model.c) nor the sampler's bookkeeping (gp.c). Tested by tests/test_sampler_gp.c
 * (formulas against direct computation, log-EI at z = -40, and through the sampler's runs). */
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

#include "gp_impl.h"

#define INV_SQRT2 0.7071067811865476
#define INV_SQRT_2PI 0.3989422804014327
#define LOG_SQRT_2PI 0.9189385332046728
#define SQRT_PI_2 1.2533141373155003
#define U_MAX (1.0 - 1e-12) /* samplers hand the space u in [0, 1) */

int tb_gp_enc_init(tb_gp_enc *e, const tb_space *sp) {
  e->dim = tb_space_dim(sp);
  e->D = 0;
  e->off = malloc((size_t)e->dim * sizeof *e->off);
  if (!e->off) return tb_error_set(TB_ERR_NOMEM, "sampler gp: out of host memory");
  for (int i = 0; i < e->dim; i++) {
    const tb_param *p = tb_space_param(sp, i);
    e->off[i] = p->type == TB_PARAM_FIXED ? -1 : e->D;
    e->D += p->type == TB_PARAM_FIXED ? 0 : p->type == TB_PARAM_CATEGORICAL ? p->n_choices : 1;
  }
  return TB_OK;
}

void tb_gp_enc_release(tb_gp_enc *e) {
  free(e->off);
  e->off = NULL;
}

void tb_gp_encode(const tb_gp_enc *e, const tb_space *sp, const double *x, double *u, double *f) {
  tb_space_to_unit(sp, x, u);
  for (int i = 0; i < e->dim; i++) {
    const tb_param *p = tb_space_param(sp, i);
    if (e->off[i] < 0) continue;
    if (p->type == TB_PARAM_CATEGORICAL) {
      memset(f + e->off[i], 0, (size_t)p->n_choices * sizeof *f);
      if (isfinite(x[i])) f[e->off[i] + (int)x[i]] = 1.0;
    } else {
      f[e->off[i]] = u[i];
    }
  }
}

/* h(z) = z Phi(z) + phi(z) = E[max(z + N(0,1), 0)]; dh/dz = Phi(z). For z <= -1, h = phi(z) (1 + z m(z)) with
 * Mills' ratio m(z) = Phi(z)/phi(z) = sqrt(pi/2) erfcx(-z/sqrt 2), erfcx taken from GSL's log erfc; below -40
 * the asymptotic series 1 + z m(z) = z^-2 (1 - 3 z^-2 + 15 z^-4 - 105 z^-6 + 945 z^-8 - 10395 z^-10). */
double tb_gp_log_h(double z, double *dlog) {
  if (z > -1.0) {
    double Phi = 0.5 * erfc(-z * INV_SQRT2), h = z * Phi + INV_SQRT_2PI * exp(-0.5 * z * z);
    if (dlog) *dlog = Phi / h;
    return log(h);
  }
  double u = -z * INV_SQRT2, log_phi = -0.5 * z * z - LOG_SQRT_2PI, lh;
  if (z > -40.0) {
    double w = z * SQRT_PI_2 * exp(gsl_sf_log_erfc(u) + u * u);
    lh = log_phi + log1p(w);
  } else {
    double q = 1.0 / (z * z);
    lh = log_phi + log(q) + log1p(q * (-3.0 + q * (15.0 + q * (-105.0 + q * (945.0 - 10395.0 * q)))));
  }
  if (dlog) *dlog = exp(log(0.5) + gsl_sf_log_erfc(u) - lh);
  return lh;
}

double tb_gp_acq_value(const tb_gp_acq *a, double mu, double sigma, double *da_dmu, double *da_dsigma) {
  double z = (a->best - a->xi - mu) / sigma, v, dmu, dsig;
  switch (a->kind) {
    case TB_GP_ACQ_EI: {
      double Phi = 0.5 * erfc(-z * INV_SQRT2), phi = INV_SQRT_2PI * exp(-0.5 * z * z);
      v = sigma * (z * Phi + phi);
      dmu = -Phi;
      dsig = phi;
      break;
    }
    case TB_GP_ACQ_LOGEI: {
      double dl;
      v = log(sigma) + tb_gp_log_h(z, &dl);
      dmu = -dl / sigma;
      dsig = (1.0 - dl * z) / sigma;
      break;
    }
    case TB_GP_ACQ_PI: {
      double phi = INV_SQRT_2PI * exp(-0.5 * z * z);
      v = 0.5 * erfc(-z * INV_SQRT2);
      dmu = -phi / sigma;
      dsig = -phi * z / sigma;
      break;
    }
    default: /* UCB for minimisation: maximise -(mu - sqrt(beta) sigma) */
      v = -mu + sqrt(a->beta) * sigma;
      dmu = -1.0;
      dsig = sqrt(a->beta);
      break;
  }
  if (da_dmu) *da_dmu = dmu;
  if (da_dsigma) *da_dsigma = dsig;
  return v;
}

int tb_gp_qrng_points(int dim, size_t first, size_t count, const double *shift, double *u) {
  if (dim > 1229) return tb_error_set(TB_ERR_UNSUPPORTED, "sampler gp: %d dimensions (at most 1229)", dim);
  gsl_qrng *q = gsl_qrng_alloc(dim <= 40 ? gsl_qrng_sobol : gsl_qrng_halton, (unsigned)dim);
  if (!q) return tb_error_set(TB_ERR_NOMEM, "sampler gp: gsl_qrng_alloc failed");
  double *tmp = malloc((size_t)dim * sizeof *tmp);
  if (!tmp) {
    gsl_qrng_free(q);
    return tb_error_set(TB_ERR_NOMEM, "sampler gp: out of host memory");
  }
  for (size_t k = 0; k < first; k++) gsl_qrng_get(q, tmp);
  for (size_t k = 0; k < count; k++) {
    gsl_qrng_get(q, tmp);
    for (int d = 0; d < dim; d++) {
      double v = tmp[d] + shift[d];
      v -= floor(v);
      u[k * (size_t)dim + (size_t)d] = v < U_MAX ? v : U_MAX;
    }
  }
  free(tmp);
  gsl_qrng_free(q);
  return TB_OK;
}

/* ---- acquisition optimiser ---- */

typedef struct {
  const tb_gp *g;
  const tb_gp_acq *a;
  const int *fi;  /* (k) feature index of each optimised coordinate */
  double *f;      /* (D) features, the others held */
  double *work;   /* 3 n */
  double *dmu, *dvar;
} local_ctx;

/* Acquisition at features f (D), with its gradient in f when dmu/dvar are given. */
static double acq_at(const tb_gp *g, const tb_gp_acq *a, const double *f, double *work, double *dmu, double *dvar,
                     double *da_dmu, double *da_dvar) {
  double mu, var, am, as;
  tb_gp_predict(g, f, &mu, &var, dmu, dvar, work);
  double sigma = sqrt(var), v = tb_gp_acq_value(a, mu, sigma, &am, &as);
  if (da_dmu) *da_dmu = am;
  if (da_dvar) *da_dvar = as / (2.0 * sigma);
  return v;
}

static double local_objective(unsigned k, const double *v, double *grad, void *data) {
  local_ctx *c = data;
  for (unsigned j = 0; j < k; j++) c->f[c->fi[j]] = v[j];
  double am, av;
  double val = acq_at(c->g, c->a, c->f, c->work, grad ? c->dmu : NULL, grad ? c->dvar : NULL, &am, &av);
  if (grad)
    for (unsigned j = 0; j < k; j++) grad[j] = -(am * c->dmu[c->fi[j]] + av * c->dvar[c->fi[j]]);
  return isfinite(val) ? -val : 1e300;
}

/* Acquisition of configuration x (dim); f (D), u (dim), work (3 n) scratch. */
static double acq_of_x(const tb_sampler *s, const tb_gp *g, const tb_gp_enc *e, const tb_gp_acq *a,
                       const double *x, double *u, double *f, double *work) {
  tb_gp_encode(e, s->sp, x, u, f);
  double v = acq_at(g, a, f, work, NULL, NULL, NULL, NULL);
  return isfinite(v) ? v : -HUGE_VAL;
}

#define N_PER_NEAR 32
#define NEAR_SD 0.05

int tb_gp_acq_optimize(tb_sampler *s, const tb_gp *g, const tb_gp_enc *e, const tb_gp_acq *a,
                       const tb_gp_opt *o, const double *x_near, int n_near, double *x) {
  int rc = TB_OK, dim = s->dim, D = e->D;
  size_t n = g->n, m = (size_t)o->n_candidates + (size_t)n_near * N_PER_NEAR;
  double *U = NULL, *F = NULL, *mu = NULL, *var = NULL, *work = NULL, *acq = NULL, *scratch = NULL;
  int *order = NULL, *fi = NULL;
  nlopt_opt opt = NULL;
  U = malloc(m * (size_t)dim * sizeof *U);
  F = malloc(m * (size_t)D * sizeof *F + 1);
  mu = malloc(m * sizeof *mu);
  var = malloc(m * sizeof *var);
  acq = malloc(m * sizeof *acq);
  work = malloc((m * n + 3 * n + 1) * sizeof *work);
  scratch = malloc((size_t)(4 * dim + 4 * D + 4) * sizeof *scratch);
  order = malloc(m * sizeof *order);
  fi = malloc((size_t)dim * sizeof *fi);
  if (!U || !F || !mu || !var || !acq || !work || !scratch || !order || !fi)
    TB_FAIL(TB_ERR_NOMEM, "sampler gp: out of host memory for %zu candidates", m);
  double *xc = scratch, *uc = xc + dim, *ub = uc + dim, *xb = ub + dim, *f = xb + dim, *dmu = f + D,
         *dvar = dmu + D, *fb = dvar + D;

  /* candidates: a randomly shifted quasi-random set, then Gaussian steps around the best observations */
  for (int d = 0; d < dim; d++) uc[d] = tb_sampler_uniform(s);
  TB_TRY(tb_gp_qrng_points(dim, 0, (size_t)o->n_candidates, uc, U));
  for (int b = 0; b < n_near; b++) {
    tb_space_to_unit(s->sp, x_near + (size_t)b * (size_t)dim, ub);
    for (int k = 0; k < N_PER_NEAR; k++) {
      double *u = U + ((size_t)o->n_candidates + (size_t)b * N_PER_NEAR + (size_t)k) * (size_t)dim;
      for (int d = 0; d < dim; d++) {
        double v = ub[d] + NEAR_SD * tb_sampler_normal(s);
        u[d] = v < 0 ? 0 : v > U_MAX ? U_MAX : v;
      }
    }
  }
  for (size_t j = 0; j < m; j++) {
    double *u = U + j * (size_t)dim;
    tb_space_from_unit(s->sp, u, xc);
    tb_gp_encode(e, s->sp, xc, u, F + j * (size_t)D); /* u becomes the cell centre of what would be run */
  }
  tb_gp_predict_many(g, F, m, mu, var, work);
  for (size_t j = 0; j < m; j++) {
    double v = tb_gp_acq_value(a, mu[j], sqrt(var[j]), NULL, NULL);
    acq[j] = isfinite(v) ? v : -HUGE_VAL;
  }
  /* the n_local best candidates (at least the best one; partial selection; ties keep the lower index) */
  int n_local = o->n_local < (int)m ? o->n_local : (int)m, n_sel = n_local > 1 ? n_local : 1;
  for (int t = 0; t < n_sel; t++) {
    size_t bj = 0;
    int found = 0;
    for (size_t j = 0; j < m; j++) {
      int used = 0;
      for (int q = 0; q < t; q++) used |= order[q] == (int)j;
      if (!used && (!found || acq[j] > acq[bj])) bj = j, found = 1;
    }
    order[t] = (int)bj;
  }
  double best_v = acq[order[0]];
  tb_space_from_unit(s->sp, U + (size_t)order[0] * (size_t)dim, xb);

  /* local L-BFGS on the active float/int features of each start, categoricals held */
  local_ctx ctx = {g, a, fi, f, work, dmu, dvar};
  for (int t = 0; t < n_local; t++) {
    const double *u0 = U + (size_t)order[t] * (size_t)dim;
    tb_space_from_unit(s->sp, u0, xc);
    int k = 0;
    for (int i = 0; i < dim; i++) {
      const tb_param *p = tb_space_param(s->sp, i);
      if ((p->type == TB_PARAM_FLOAT || p->type == TB_PARAM_INT) && isfinite(xc[i])) fi[k++] = i;
    }
    if (k == 0) break;
    double v[k], lo[k], hi[k], val;
    int pidx[k];
    memcpy(f, F + (size_t)order[t] * (size_t)D, (size_t)D * sizeof *f);
    for (int j = 0; j < k; j++) {
      pidx[j] = fi[j];
      v[j] = u0[fi[j]];
      lo[j] = 0.0;
      hi[j] = U_MAX;
      fi[j] = e->off[fi[j]]; /* feature index, what local_objective moves */
    }
    nlopt_destroy(opt);
    opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)k);
    if (!opt) TB_FAIL(TB_ERR_NOMEM, "sampler gp: nlopt_create failed");
    nlopt_set_lower_bounds(opt, lo);
    nlopt_set_upper_bounds(opt, hi);
    nlopt_set_min_objective(opt, local_objective, &ctx);
    nlopt_set_maxeval(opt, o->local_max_eval);
    nlopt_set_xtol_rel(opt, 1e-6);
    nlopt_optimize(opt, v, &val);
    memcpy(ub, u0, (size_t)dim * sizeof *ub);
    for (int j = 0; j < k; j++) ub[pidx[j]] = v[j] < 0 ? 0 : v[j] > U_MAX ? U_MAX : v[j];
    tb_space_from_unit(s->sp, ub, xc);
    double got = acq_of_x(s, g, e, a, xc, uc, fb, work);
    if (got > best_v) {
      best_v = got;
      memcpy(xb, xc, (size_t)dim * sizeof *xb);
    }
  }

  /* one sweep over each active categorical's choices, from the best point so far */
  for (int i = 0; i < dim; i++) {
    const tb_param *p = tb_space_param(s->sp, i);
    if (p->type != TB_PARAM_CATEGORICAL || !isfinite(xb[i])) continue;
    for (int c = 0; c < p->n_choices; c++) {
      if (c == (int)xb[i]) continue;
      tb_space_to_unit(s->sp, xb, ub);
      ub[i] = (c + 0.5) / p->n_choices;
      tb_space_from_unit(s->sp, ub, xc);
      double got = acq_of_x(s, g, e, a, xc, uc, fb, work);
      if (got > best_v) {
        best_v = got;
        memcpy(xb, xc, (size_t)dim * sizeof *xb);
      }
    }
  }
  memcpy(x, xb, (size_t)dim * sizeof *x);
done:
  nlopt_destroy(opt);
  free(U);
  free(F);
  free(mu);
  free(var);
  free(acq);
  free(work);
  free(scratch);
  free(order);
  free(fi);
  return rc;
}
