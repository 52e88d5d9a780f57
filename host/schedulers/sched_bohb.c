/* sched_bohb.c: BOHB (Falkner, Klein & Hutter, ICML 2018): Hyperband's brackets (sched_hyperband.c) with new
 * configurations proposed by a product kernel density model, as HpBandSter's BOHB config generator does. It is not
 * a sampler: the wrapped sampler only supplies the random fraction (and the start, before a model exists).
 * Tested by tests/test_scheduler_hb.c.
 *
 * Every job that completes a rung adds (configuration, value) to the observations of that rung's fidelity (the
 * budget). A proposal uses the largest budget whose N observations allow a model: n_good = max(min_points,
 * floor(top_n_percent N / 100)) best ones form l(x), the next up to n_bad = max(min_points, floor((100 -
 * top_n_percent) N / 100)) form g(x), and both sets need more than d rows (d = the space's dimension). Dimensions:
 * float/int/fixed in the unit cube (tb_space_to_unit; inactive ones sit at 0.5) with Gaussian kernels,
 * categoricals with Aitchison-Aitken kernels; bandwidths by statsmodels' normal reference rule 1.06 sd n^(-1/(4+d)),
 * at least min_bandwidth (categoricals at most 1 - 1/n_choices). With no model, or with probability
 * random_fraction, the sampler's ask gives the configuration. Otherwise num_samples candidates are drawn around
 * uniformly chosen good points (truncated normal in [0, 1] with bandwidth x bandwidth_factor; a categorical keeps
 * its value with probability 1 - bandwidth, else a uniform choice) and the one with the smallest g/l (both floored
 * at 1e-32) is mapped back with tb_space_from_unit. Proposed trials reach the sampler at the end of their life
 * through tb_sampler_add_observation. Options (HpBandSter's defaults): eta 3, min_points_in_model d+1,
 * top_n_percent 15, num_samples 64, random_fraction 1/3, bandwidth_factor 3, min_bandwidth 1e-3.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler_impl.h"

typedef struct {
  double budget;
  size_t n, cap;
  double *v;    /* (cap, dim) KDE coordinates: unit-cube value or category index */
  double *loss; /* (cap) minimised */
} bohb_obs;

typedef struct {
  long min_points, num_samples;
  double top_n_percent, random_fraction, bw_factor, min_bw;
  int *n_choices; /* (dim) 0 for continuous dimensions */
  bohb_obs *obs;
  size_t n_obs, cap_obs;
  double *work; /* scratch: u (dim), candidate (dim), best (dim), bw_good (dim), bw_bad (dim) */
  size_t *idx;
  size_t cap_idx;
} bohb_impl;

static void to_kde(const tb_scheduler *s, const bohb_impl *b, const double *x, double *v) {
  tb_space_to_unit(s->sp, x, v);
  for (int d = 0; d < s->dim; d++)
    if (b->n_choices[d]) v[d] = isnan(x[d]) ? 0 : x[d];
}

static int bohb_record(tb_scheduler *s, bohb_impl *b, int64_t trial) {
  const tb_sched_trial *t = &s->t[trial];
  bohb_obs *o = NULL;
  for (size_t i = 0; i < b->n_obs; i++)
    if (fabs(b->obs[i].budget - t->fidelity) <= 1e-9 * (t->fidelity > 1 ? t->fidelity : 1)) o = &b->obs[i];
  if (!o) {
    if (b->n_obs == b->cap_obs) {
      size_t c = b->cap_obs ? 2 * b->cap_obs : 8;
      bohb_obs *p = realloc(b->obs, c * sizeof *p);
      if (!p) return tb_error_set(TB_ERR_NOMEM, "scheduler bohb: out of host memory");
      b->obs = p;
      b->cap_obs = c;
    }
    o = &b->obs[b->n_obs++];
    memset(o, 0, sizeof *o);
    o->budget = t->fidelity;
  }
  if (o->n == o->cap) {
    size_t c = o->cap ? 2 * o->cap : 32;
    double *v = realloc(o->v, c * (size_t)s->dim * sizeof *v);
    if (v) o->v = v;
    double *l = realloc(o->loss, c * sizeof *l);
    if (l) o->loss = l;
    if (!v || !l) return tb_error_set(TB_ERR_NOMEM, "scheduler bohb: out of host memory");
    o->cap = c;
  }
  to_kde(s, b, tb_sched_x(s, trial), o->v + o->n * (size_t)s->dim);
  o->loss[o->n++] = t->value;
  return TB_OK;
}

static const double *sort_loss;
static int cmp_idx(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  if (sort_loss[i] != sort_loss[j]) return sort_loss[i] < sort_loss[j] ? -1 : 1;
  return (i > j) - (i < j);
}

/* normal-reference bandwidths of rows idx[0..n) of o */
static void bandwidths(const tb_scheduler *s, const bohb_impl *b, const bohb_obs *o, const size_t *idx, size_t n,
                       double *bw) {
  int D = s->dim;
  for (int d = 0; d < D; d++) {
    double m = 0, q = 0;
    for (size_t i = 0; i < n; i++) m += o->v[idx[i] * (size_t)D + (size_t)d];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) {
      double e = o->v[idx[i] * (size_t)D + (size_t)d] - m;
      q += e * e;
    }
    double h = 1.06 * sqrt(q / (double)n) * pow((double)n, -1.0 / (4.0 + D));
    if (h < b->min_bw) h = b->min_bw;
    if (b->n_choices[d]) {
      double hmax = 1.0 - 1.0 / b->n_choices[d];
      if (h > hmax) h = hmax > b->min_bw ? hmax : b->min_bw;
    }
    bw[d] = h;
  }
}

static double pdf(const tb_scheduler *s, const bohb_impl *b, const bohb_obs *o, const size_t *idx, size_t n,
                  const double *bw, const double *x) {
  int D = s->dim;
  double sum = 0;
  for (size_t i = 0; i < n; i++) {
    const double *m = o->v + idx[i] * (size_t)D;
    double k = 1;
    for (int d = 0; d < D; d++) {
      int c = b->n_choices[d];
      if (c) k *= c == 1 ? 1.0 : (x[d] == m[d] ? 1.0 - bw[d] : bw[d] / (c - 1));
      else {
        double z = (x[d] - m[d]) / bw[d];
        k *= exp(-0.5 * z * z) / (2.5066282746310002 * bw[d]);
      }
    }
    sum += k;
  }
  return sum / (double)n;
}

static int bohb_propose(tb_scheduler *s, double *x, int *own) {
  bohb_impl *b = s->aux;
  int D = s->dim;
  *own = 0;
  /* the largest budget with enough points for both densities */
  const bohb_obs *o = NULL;
  size_t n_good = 0, n_bad = 0;
  for (size_t i = 0; i < b->n_obs; i++) {
    const bohb_obs *c = &b->obs[i];
    size_t N = c->n, ng = (size_t)floor(b->top_n_percent * (double)N / 100.0);
    size_t nb = (size_t)floor((100.0 - b->top_n_percent) * (double)N / 100.0);
    if (ng < (size_t)b->min_points) ng = (size_t)b->min_points;
    if (nb < (size_t)b->min_points) nb = (size_t)b->min_points;
    if (ng > N) ng = N;
    if (nb > N - ng) nb = N - ng;
    if (ng > (size_t)D && nb > (size_t)D && (!o || c->budget > o->budget)) o = c, n_good = ng, n_bad = nb;
  }
  if (!o || tb_sched_uniform(s) < b->random_fraction) return TB_OK;
  if (b->cap_idx < o->n) {
    size_t *p = realloc(b->idx, o->n * sizeof *p);
    if (!p) return tb_error_set(TB_ERR_NOMEM, "scheduler bohb: out of host memory");
    b->idx = p;
    b->cap_idx = o->n;
  }
  for (size_t i = 0; i < o->n; i++) b->idx[i] = i;
  sort_loss = o->loss;
  qsort(b->idx, o->n, sizeof *b->idx, cmp_idx);
  const size_t *good = b->idx, *bad = b->idx + n_good;
  double *u = b->work, *cand = u + D, *best = cand + D, *bw_l = best + D, *bw_g = bw_l + D;
  bandwidths(s, b, o, good, n_good, bw_l);
  bandwidths(s, b, o, bad, n_bad, bw_g);
  double best_val = INFINITY;
  int have = 0;
  for (long k = 0; k < b->num_samples; k++) {
    const double *m = o->v + good[tb_sched_randint(s, (long)n_good)] * (size_t)D;
    for (int d = 0; d < D; d++) {
      int c = b->n_choices[d];
      if (c) {
        cand[d] = tb_sched_uniform(s) < 1.0 - bw_l[d] ? m[d] : (double)tb_sched_randint(s, c);
      } else {
        double h = b->bw_factor * bw_l[d], v = m[d];
        int tries = 0;
        do v = m[d] + h * tb_sched_normal(s);
        while ((v < 0 || v > 1) && ++tries < 100);
        cand[d] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    double l = pdf(s, b, o, good, n_good, bw_l, cand), g = pdf(s, b, o, bad, n_bad, bw_g, cand);
    double val = (g > 1e-32 ? g : 1e-32) / (l > 1e-32 ? l : 1e-32);
    if (isfinite(val) && val < best_val) {
      best_val = val;
      memcpy(best, cand, (size_t)D * sizeof *best);
      have = 1;
    }
  }
  if (!have) return TB_OK;
  for (int d = 0; d < D; d++) {
    int c = b->n_choices[d];
    double v = c ? (best[d] + 0.5) / c : best[d];
    u[d] = v < 1 ? v : nextafter(1.0, 0.0);
  }
  tb_space_from_unit(s->sp, u, x);
  char msg[128];
  if (!tb_space_check(s->sp, x, msg, sizeof msg)) *own = 1;
  return TB_OK;
}

static int bohb_finish(tb_scheduler *s, int64_t trial, tb_trial_state state) {
  int rc;
  if (state == TB_TRIAL_COMPLETE && isfinite(s->t[trial].value) && (rc = bohb_record(s, s->aux, trial)) < 0)
    return rc;
  return tb_hb_finish(s, trial, state);
}

static void bohb_destroy(tb_scheduler *s) {
  tb_hb_destroy(s);
  bohb_impl *b = s->aux;
  if (!b) return;
  for (size_t i = 0; i < b->n_obs; i++) {
    free(b->obs[i].v);
    free(b->obs[i].loss);
  }
  free(b->obs);
  free(b->n_choices);
  free(b->work);
  free(b->idx);
  free(b);
  s->aux = NULL;
}

static int bohb_create(tb_scheduler *s) {
  int rc = tb_hb_setup(s, 1);
  if (rc < 0) return rc;
  bohb_impl *b = calloc(1, sizeof *b);
  if (!b) return tb_error_set(TB_ERR_NOMEM, "scheduler bohb: out of host memory");
  s->aux = b;
  int D = s->dim;
  b->min_points = D + 1;
  b->top_n_percent = 15;
  b->num_samples = 64;
  b->random_fraction = 1.0 / 3.0;
  b->bw_factor = 3;
  b->min_bw = 1e-3;
  if ((rc = tb_sched_opt_long(s, "min_points_in_model", D + 1, 1000000L, &b->min_points)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "top_n_percent", 1, 99, &b->top_n_percent)) < 0) return rc;
  if ((rc = tb_sched_opt_long(s, "num_samples", 1, 1000000L, &b->num_samples)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "random_fraction", 0, 1, &b->random_fraction)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "bandwidth_factor", 1e-6, 1e6, &b->bw_factor)) < 0) return rc;
  if ((rc = tb_sched_opt_double(s, "min_bandwidth", 1e-12, 1, &b->min_bw)) < 0) return rc;
  b->n_choices = calloc((size_t)D, sizeof *b->n_choices);
  b->work = malloc(5 * (size_t)D * sizeof *b->work);
  if (!b->n_choices || !b->work) return tb_error_set(TB_ERR_NOMEM, "scheduler bohb: out of host memory");
  for (int d = 0; d < D; d++) {
    const tb_param *p = tb_space_param(s->sp, d);
    b->n_choices[d] = p->type == TB_PARAM_CATEGORICAL ? p->n_choices : 0;
  }
  s->propose = bohb_propose;
  return TB_OK;
}

const tb_sched_vt tb_sched_bohb_vt = {
    .name = "bohb",
    .options = "eta, min_points_in_model, top_n_percent, num_samples, random_fraction, bandwidth_factor, "
               "min_bandwidth",
    .create = bohb_create,
    .next = tb_hb_next,
    .finish = bohb_finish,
    .destroy = bohb_destroy};
