/* cmaes.c: the CMA-ES sampler ("cmaes") with IPOP restarts, after Hansen, "The CMA Evolution Strategy: A
 * Tutorial" (2016) for the update and its default strategy parameters, and Auger & Hansen (2005) for IPOP.
 * It searches the unit cube of the float and int parameters (tb_space_to_unit / from_unit); categorical
 * parameters are refused (use tpe or evolution); fixed parameters are passed through. Single objective only.
 *
 * Rules (also in docs/samplers.md): a generation has lambda members, sampled at ask time from N(m, sigma^2 C);
 * a sample outside [0, 1]^n is redrawn up to 100 times, then clamped, and the update uses the point that was
 * evaluated. When every member was handed out but some are still pending, ask hands out extra samples of the
 * same generation; the generation is updated by the first lambda of its members to be told, later results of
 * it are ignored. Failed and pruned trials count as the worst value (+inf). Observations the sampler did not
 * suggest are ignored. Tested by tests/test_sampler_evo.c (sphere and Rosenbrock convergence, IPOP on Rastrigin,
 * determinism, pending trials, failures, categorical spaces and bad options rejected). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_impl.h"

#define CMA_MAX_RESAMPLE 100

typedef struct {
  int n;                 /* CMA dimension: number of float/int parameters */
  int *map;              /* map[j]: space index of CMA coordinate j */
  double sigma0;         /* options */
  long popsize0, restarts_max;
  /* strategy parameters of the current run */
  int lambda, mu;
  double *w, mueff, cc, cs, c1, cmu, damps, chin;
  /* state: mean (n), paths (n), C, B (n, n) row-major with eigenvectors in B's columns, D (n) */
  double *mean, *ps, *pc, *C, *B, *D, sigma;
  long gen, eigen_gen;
  long restarts_done;
  double *hist;          /* best value of each generation of this run (gen entries) */
  long hist_cap;
  /* current generation: members handed out (cap_m rows of n), their trial ids, values and the tell order */
  int n_m, cap_m, n_told;
  double *mx, *mf;
  int64_t *mid;
  int *told;
  unsigned char *has_f;
} cmaes;

static void set_strategy(cmaes *c) {
  int n = c->n;
  c->mu = c->lambda / 2;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < c->mu; i++) sum += (c->w[i] = log((c->lambda + 1) / 2.0) - log(i + 1.0));
  for (int i = 0; i < c->mu; i++) {
    c->w[i] /= sum;
    sum2 += c->w[i] * c->w[i];
  }
  c->mueff = 1.0 / sum2;
  double mueff = c->mueff;
  c->cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n);
  c->cs = (mueff + 2) / (n + mueff + 5);
  c->c1 = 2 / ((n + 1.3) * (n + 1.3) + mueff);
  c->cmu = fmin(1 - c->c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) * (n + 2) + mueff));
  c->damps = 1 + 2 * fmax(0, sqrt((mueff - 1) / (n + 1)) - 1) + c->cs;
  c->chin = sqrt(n) * (1 - 1 / (4.0 * n) + 1 / (21.0 * n * n));
}

/* (Re)starts a run with population lam from mean m0 (NULL: uniform random in the cube). */
static int start_run(tb_sampler *s, cmaes *c, int lam, int random_mean) {
  int n = c->n;
  double *w = realloc(c->w, (size_t)lam * sizeof *w);
  if (!w) return tb_error_set(TB_ERR_NOMEM, "sampler cmaes: out of host memory");
  c->w = w;
  c->lambda = lam;
  set_strategy(c);
  for (int i = 0; i < n; i++) {
    c->mean[i] = random_mean ? tb_sampler_uniform(s) : 0.5;
    c->ps[i] = c->pc[i] = 0;
    c->D[i] = 1;
    for (int j = 0; j < n; j++) c->C[i * n + j] = c->B[i * n + j] = i == j;
  }
  c->sigma = c->sigma0;
  c->gen = c->eigen_gen = 0;
  c->n_m = c->n_told = 0;
  return TB_OK;
}

static void cma_destroy(tb_sampler *s) {
  cmaes *c = s->impl;
  if (!c) return;
  free(c->map);
  free(c->w);
  free(c->mean);
  free(c->hist);
  free(c->mx);
  free(c->mf);
  free(c->mid);
  free(c->told);
  free(c->has_f);
  free(c);
  s->impl = NULL;
}

static int cma_create(tb_sampler *s) {
  int rc = TB_OK, n = 0;
  cmaes *c = calloc(1, sizeof *c);
  if (!c) return tb_error_set(TB_ERR_NOMEM, "sampler cmaes: out of host memory");
  s->impl = c;
  for (int i = 0; i < s->dim; i++) {
    const tb_param *p = tb_space_param(s->sp, i);
    if (p->type == TB_PARAM_CATEGORICAL)
      TB_FAIL(TB_ERR_INVALID,
              "sampler cmaes: parameter '%s' is categorical; CMA-ES handles float and int parameters only "
              "(use tpe or evolution for spaces with categorical parameters)",
              p->name);
    if (p->type != TB_PARAM_FIXED) n++;
  }
  if (n == 0) TB_FAIL(TB_ERR_INVALID, "sampler cmaes: the space has no float or int parameter to search");
  c->n = n;
  c->sigma0 = 1.0 / 6.0;
  c->popsize0 = 4 + (long)floor(3 * log(n));
  c->restarts_max = 9;
  TB_TRY(tb_sampler_opt_double(s, "sigma0", 1e-6, 1.0, &c->sigma0));
  TB_TRY(tb_sampler_opt_long(s, "popsize", 2, 100000, &c->popsize0));
  TB_TRY(tb_sampler_opt_long(s, "restarts", 0, 20, &c->restarts_max));
  c->map = malloc((size_t)n * sizeof *c->map);
  /* one block for mean, ps, pc, D (4n) and C, B (2 n^2) */
  c->mean = malloc((size_t)(4 * n + 2 * n * n) * sizeof *c->mean);
  if (!c->map || !c->mean) TB_FAIL(TB_ERR_NOMEM, "sampler cmaes: out of host memory");
  c->ps = c->mean + n;
  c->pc = c->ps + n;
  c->D = c->pc + n;
  c->C = c->D + n;
  c->B = c->C + (size_t)n * n;
  for (int i = 0, j = 0; i < s->dim; i++)
    if (tb_space_param(s->sp, i)->type != TB_PARAM_FIXED) c->map[j++] = i;
  TB_TRY(start_run(s, c, (int)c->popsize0, 0));
done:
  return rc; /* on failure sampler.c calls destroy */
}

static int grow_members(cmaes *c, int need) {
  if (need <= c->cap_m) return TB_OK;
  int cap = c->cap_m ? c->cap_m : 16;
  while (cap < need) cap *= 2;
  double *mx = realloc(c->mx, (size_t)cap * (size_t)c->n * sizeof *mx);
  if (mx) c->mx = mx;
  double *mf = realloc(c->mf, (size_t)cap * sizeof *mf);
  if (mf) c->mf = mf;
  int64_t *mid = realloc(c->mid, (size_t)cap * sizeof *mid);
  if (mid) c->mid = mid;
  int *told = realloc(c->told, (size_t)cap * sizeof *told);
  if (told) c->told = told;
  unsigned char *hf = realloc(c->has_f, (size_t)cap);
  if (hf) c->has_f = hf;
  if (!mx || !mf || !mid || !told || !hf) return tb_error_set(TB_ERR_NOMEM, "sampler cmaes: out of host memory");
  c->cap_m = cap;
  return TB_OK;
}

/* x = m + sigma B D z, redrawn while outside [0, 1]^n, then clamped into [0, 1). */
static void sample_one(tb_sampler *s, cmaes *c, double *x) {
  int n = c->n;
  double z[n];
  for (int tries = 0;; tries++) {
    for (int j = 0; j < n; j++) z[j] = c->D[j] * tb_sampler_normal(s);
    int inside = 1;
    for (int i = 0; i < n; i++) {
      double y = 0;
      for (int j = 0; j < n; j++) y += c->B[i * n + j] * z[j];
      x[i] = c->mean[i] + c->sigma * y;
      inside &= x[i] >= 0 && x[i] <= 1;
    }
    if (inside || tries + 1 >= CMA_MAX_RESAMPLE) break;
  }
  for (int i = 0; i < n; i++) x[i] = fmin(fmax(x[i], 0.0), 0x1.fffffffffffffp-1);
}

static int cma_ask(tb_sampler *s, int n_ask, double *xs, int *n_out) {
  cmaes *c = s->impl;
  int rc = grow_members(c, c->n_m + n_ask);
  if (rc < 0) return rc;
  double u[s->dim];
  for (int k = 0; k < n_ask; k++) {
    int m = c->n_m++;
    double *x = c->mx + (size_t)m * (size_t)c->n;
    sample_one(s, c, x);
    c->mid[m] = (int64_t)s->n_trials + k; /* sampler.c appends our suggestions in order */
    c->has_f[m] = 0;
    for (int i = 0; i < s->dim; i++) u[i] = 0.5;
    for (int j = 0; j < c->n; j++) u[c->map[j]] = x[j];
    tb_space_from_unit(s->sp, u, xs + (size_t)k * (size_t)s->dim);
  }
  *n_out = n_ask;
  return TB_OK;
}

typedef struct {
  double f;
  int order, m;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->f != y->f) return x->f < y->f ? -1 : 1;
  return x->order - y->order;
}

/* Eigendecomposition of C into B diag(D^2) B^T; 0 when C is no longer positive definite and well conditioned. */
static int decompose(cmaes *c) {
  int n = c->n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) c->C[i * n + j] = c->C[j * n + i];
  memcpy(c->B, c->C, (size_t)n * (size_t)n * sizeof *c->B);
  lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', n, c->B, n, c->D);
  if (info != 0) return 0;
  double lo = INFINITY, hi = 0;
  for (int j = 0; j < n; j++) {
    if (!(c->D[j] > 0)) return 0;
    lo = fmin(lo, c->D[j]);
    hi = fmax(hi, c->D[j]);
    c->D[j] = sqrt(c->D[j]);
  }
  return hi / lo <= 1e14; /* ConditionCov */
}

/* Hansen's stopping tests after an update (TolFun, TolX, NoEffectAxis, NoEffectCoord); 1 to restart. */
static int should_stop(const cmaes *c, const ranked *r) {
  int n = c->n;
  long win = 10 + (long)ceil(30.0 * n / c->lambda);
  if (c->gen >= win) {
    double lo = INFINITY, hi = -INFINITY;
    for (long g = c->gen - win; g < c->gen; g++) lo = fmin(lo, c->hist[g]), hi = fmax(hi, c->hist[g]);
    for (int i = 0; i < c->lambda; i++) lo = fmin(lo, r[i].f), hi = fmax(hi, r[i].f);
    if (hi - lo < 1e-12) return 1;
  }
  int small = 1;
  for (int i = 0; i < n; i++) small &= c->sigma * fabs(c->pc[i]) < 1e-12 && c->sigma * sqrt(c->C[i * n + i]) < 1e-12;
  if (small) return 1;
  int ax = (int)(c->gen % n), moved = 0;
  for (int i = 0; i < n; i++) moved |= c->mean[i] + 0.1 * c->sigma * c->D[ax] * c->B[i * n + ax] != c->mean[i];
  if (!moved) return 1;
  for (int i = 0; i < n; i++)
    if (c->mean[i] + 0.2 * c->sigma * sqrt(c->C[i * n + i]) == c->mean[i]) return 1;
  return 0;
}

static int update(tb_sampler *s, cmaes *c) {
  int n = c->n, lam = c->lambda, mu = c->mu, rc = TB_OK;
  ranked *r = malloc((size_t)lam * sizeof *r);
  double *old = malloc((size_t)n * 3 * sizeof *old), *yw = old + n, *t = yw + n;
  if (!r || !old) TB_FAIL(TB_ERR_NOMEM, "sampler cmaes: out of host memory");
  for (int k = 0; k < lam; k++) r[k] = (ranked){c->mf[c->told[k]], k, c->told[k]};
  qsort(r, (size_t)lam, sizeof *r, cmp_ranked);
  if (c->gen >= c->hist_cap) {
    long cap = c->hist_cap ? 2 * c->hist_cap : 64;
    double *h = realloc(c->hist, (size_t)cap * sizeof *h);
    if (!h) TB_FAIL(TB_ERR_NOMEM, "sampler cmaes: out of host memory");
    c->hist = h;
    c->hist_cap = cap;
  }
  /* mean: weighted recombination of the mu best */
  memcpy(old, c->mean, (size_t)n * sizeof *old);
  for (int i = 0; i < n; i++) {
    double m = 0;
    for (int k = 0; k < mu; k++) m += c->w[k] * c->mx[(size_t)r[k].m * (size_t)n + (size_t)i];
    c->mean[i] = m;
    yw[i] = (m - old[i]) / c->sigma;
  }
  /* ps += C^(-1/2) yw with C^(-1/2) = B D^-1 B^T */
  for (int j = 0; j < n; j++) {
    double a = 0;
    for (int i = 0; i < n; i++) a += c->B[i * n + j] * yw[i];
    t[j] = a / c->D[j];
  }
  double k_s = sqrt(c->cs * (2 - c->cs) * c->mueff), norm = 0;
  for (int i = 0; i < n; i++) {
    double a = 0;
    for (int j = 0; j < n; j++) a += c->B[i * n + j] * t[j];
    c->ps[i] = (1 - c->cs) * c->ps[i] + k_s * a;
    norm += c->ps[i] * c->ps[i];
  }
  norm = sqrt(norm);
  int hsig = norm / sqrt(1 - pow(1 - c->cs, 2.0 * (c->gen + 1))) / c->chin < 1.4 + 2.0 / (n + 1);
  double k_c = sqrt(c->cc * (2 - c->cc) * c->mueff);
  for (int i = 0; i < n; i++) c->pc[i] = (1 - c->cc) * c->pc[i] + hsig * k_c * yw[i];
  /* C: rank-one and rank-mu updates (upper triangle; decompose mirrors it) */
  double keep = 1 - c->c1 - c->cmu + (1 - hsig) * c->c1 * c->cc * (2 - c->cc);
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++) {
      double rmu = 0;
      for (int k = 0; k < mu; k++) {
        const double *x = c->mx + (size_t)r[k].m * (size_t)n;
        rmu += c->w[k] * (x[i] - old[i]) * (x[j] - old[j]);
      }
      c->C[i * n + j] = keep * c->C[i * n + j] + c->c1 * c->pc[i] * c->pc[j] + c->cmu * rmu / (c->sigma * c->sigma);
    }
  c->sigma *= exp(fmin(1.0, c->cs / c->damps * (norm / c->chin - 1)));
  /* flat fitness: the best and the 0.7-quantile are equal (plateaus of int parameters) */
  if (r[0].f == r[(int)ceil(0.7 * lam) - 1].f) c->sigma *= exp(0.2 + c->cs / c->damps);
  c->hist[c->gen++] = r[0].f;
  int healthy = isfinite(c->sigma) && c->sigma > 0;
  if (healthy && (double)(c->gen - c->eigen_gen) * (c->c1 + c->cmu) * n * 10 >= 1) {
    healthy = decompose(c);
    c->eigen_gen = c->gen;
  }
  c->n_m = c->n_told = 0;
  /* IPOP: on a stop criterion restart with twice the population while restarts are left; a numerical breakdown
   * restarts with the same population once they are used up */
  if (!healthy || should_stop(c, r)) {
    int ipop = c->restarts_done < c->restarts_max;
    if (ipop || !healthy) {
      long lam2 = ipop ? 2L * c->lambda : c->lambda;
      c->restarts_done += ipop;
      TB_TRY(start_run(s, c, (int)(lam2 > 1000000 ? 1000000 : lam2), 1));
    }
  }
done:
  free(r);
  free(old);
  return rc;
}

static int cma_on_result(tb_sampler *s, size_t t) {
  cmaes *c = s->impl;
  for (int m = 0; m < c->n_m; m++) {
    if (c->mid[m] != (int64_t)t || c->has_f[m]) continue;
    double f = s->state[t] == TB_TRIAL_COMPLETE ? s->y[t * (size_t)s->n_obj] : INFINITY;
    c->mf[m] = isnan(f) ? INFINITY : f;
    c->has_f[m] = 1;
    c->told[c->n_told++] = m;
    return c->n_told == c->lambda ? update(s, c) : TB_OK;
  }
  return TB_OK; /* an observation, or a late member of an earlier generation */
}

const tb_sampler_vt tb_sampler_cmaes_vt = {.name = "cmaes",
                                           .options = "sigma0, popsize, restarts",
                                           .max_objectives = 1,
                                           .create = cma_create,
                                           .ask = cma_ask,
                                           .on_result = cma_on_result,
                                           .destroy = cma_destroy};
