/* nsga2.c: the NSGA-II sampler ("nsga2") of Deb, Pratap, Agarwal & Meyarivan, "A Fast and Elitist Multiobjective
 * Genetic Algorithm: NSGA-II" (IEEE TEC 2002), for 1..TB_MAX_OBJECTIVES objectives on mixed spaces. Sorting and
 * crowding come from tb_pareto.h. Not NSGA-III, no constraint handling.
 *
 * Generations as in Optuna: every suggestion belongs to the current generation; generation 0 is uniform random;
 * when population_size trials of the current generation have completed (failed or pruned ones do not count, so
 * more are asked), the next parents are chosen elitistically from the previous parents and those trials: whole
 * fronts by rank, the last one by crowding distance (larger first), and the generation number advances. Results
 * of older generations that arrive later, and observations the sampler did not suggest, are ignored.
 * A child: two binary tournaments (lower rank, then larger crowding distance) pick two parents; with probability
 * crossover_prob they are recombined in the unit cube, float/int parameters by SBX (bounded, each variable with
 * probability 1/2, distribution index eta_c) and categoricals by uniform crossover (swapping_prob); then each
 * float/int is mutated with probability mutation_prob by polynomial mutation (eta_m) and each categorical is
 * resampled uniformly with that probability. A parameter inactive in one parent takes the other's value; one the
 * child switches on while both parents had it off gets a uniform value.
 * Options: population_size (50), crossover_prob (0.9), swapping_prob (0.5), mutation_prob (1/number of non-fixed
 * parameters), eta_c (20), eta_m (20). Tested by tests/test_sampler_evo.c (ZDT1 hypervolume, determinism,
 * generations with failures, bad options). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_impl.h"
#include "tb_pareto.h"

typedef struct {
  long P;
  double pc, swap, pm, eta_c, eta_m;
  long gen;
  long *trial_gen;  /* generation of each trial we suggested, -1 for others; cap_tg entries */
  size_t cap_tg;
  size_t *done;     /* completed trials of the current generation (P) */
  long n_done;
  size_t *par;      /* parents: trial indices, rank, crowding (P each) */
  int *prank;
  double *pcrowd;
  long n_par;
  double *u1, *u2, *uc, *xc; /* dim scratch each */
  unsigned char *off;        /* dim: parameter inactive in both parents */
} nsga;

static void ns_destroy(tb_sampler *s) {
  nsga *g = s->impl;
  if (!g) return;
  free(g->trial_gen);
  free(g->done);
  free(g->par);
  free(g->prank);
  free(g->pcrowd);
  free(g->u1);
  free(g->off);
  free(g);
  s->impl = NULL;
}

static int ns_create(tb_sampler *s) {
  int rc = TB_OK;
  nsga *g = calloc(1, sizeof *g);
  if (!g) return tb_error_set(TB_ERR_NOMEM, "sampler nsga2: out of host memory");
  s->impl = g;
  int n_var = 0;
  for (int i = 0; i < s->dim; i++) n_var += tb_space_param(s->sp, i)->type != TB_PARAM_FIXED;
  g->P = 50;
  g->pc = 0.9;
  g->swap = 0.5;
  g->pm = 1.0 / (n_var > 0 ? n_var : 1);
  g->eta_c = 20;
  g->eta_m = 20;
  TB_TRY(tb_sampler_opt_long(s, "population_size", 2, 1000000, &g->P));
  TB_TRY(tb_sampler_opt_double(s, "crossover_prob", 0, 1, &g->pc));
  TB_TRY(tb_sampler_opt_double(s, "swapping_prob", 0, 1, &g->swap));
  TB_TRY(tb_sampler_opt_double(s, "mutation_prob", 0, 1, &g->pm));
  TB_TRY(tb_sampler_opt_double(s, "eta_c", 0, 1000, &g->eta_c));
  TB_TRY(tb_sampler_opt_double(s, "eta_m", 0, 1000, &g->eta_m));
  size_t P = (size_t)g->P, d = (size_t)s->dim;
  g->done = malloc(P * sizeof *g->done);
  g->par = malloc(P * sizeof *g->par);
  g->prank = malloc(P * sizeof *g->prank);
  g->pcrowd = malloc(P * sizeof *g->pcrowd);
  g->u1 = malloc(4 * d * sizeof *g->u1);
  g->off = malloc(d);
  if (!g->done || !g->par || !g->prank || !g->pcrowd || !g->u1 || !g->off)
    TB_FAIL(TB_ERR_NOMEM, "sampler nsga2: out of host memory");
  g->u2 = g->u1 + d;
  g->uc = g->u2 + d;
  g->xc = g->uc + d;
done:
  return rc;
}

typedef struct {
  int rank;
  double crowd;
  size_t pos;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->rank != y->rank) return x->rank - y->rank;
  if (x->crowd != y->crowd) return x->crowd > y->crowd ? -1 : 1;
  return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Elitist survival: the best P of parents + this generation's completed trials. */
static int select_parents(tb_sampler *s, nsga *g) {
  int rc = TB_OK, m = s->n_obj, n_fronts = 0;
  size_t n = (size_t)(g->n_par + g->n_done);
  size_t *pool = malloc(n * sizeof *pool), *members = malloc(n * sizeof *members);
  double *y = malloc(n * (size_t)m * sizeof *y), *dist = malloc(n * sizeof *dist);
  int *rank = malloc(n * sizeof *rank);
  ranked *r = malloc(n * sizeof *r);
  if (!pool || !members || !y || !dist || !rank || !r) TB_FAIL(TB_ERR_NOMEM, "sampler nsga2: out of host memory");
  memcpy(pool, g->par, (size_t)g->n_par * sizeof *pool);
  memcpy(pool + g->n_par, g->done, (size_t)g->n_done * sizeof *pool);
  for (size_t i = 0; i < n; i++) memcpy(y + i * (size_t)m, s->y + pool[i] * (size_t)m, (size_t)m * sizeof *y);
  TB_TRY(tb_pareto_ranks(y, n, m, NULL, rank, &n_fronts));
  /* crowding distance within each whole front */
  for (int f = 0; f < n_fronts; f++) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (rank[i] == f) members[k++] = i;
    TB_TRY(tb_pareto_crowding(y, m, members, k, dist));
    for (size_t j = 0; j < k; j++) r[members[j]] = (ranked){f, dist[j], members[j]};
  }
  qsort(r, n, sizeof *r, cmp_ranked);
  g->n_par = (long)(n < (size_t)g->P ? n : (size_t)g->P);
  for (long i = 0; i < g->n_par; i++) {
    g->par[i] = pool[r[i].pos];
    g->prank[i] = r[i].rank;
    g->pcrowd[i] = r[i].crowd;
  }
done:
  free(pool);
  free(members);
  free(y);
  free(dist);
  free(rank);
  free(r);
  return rc;
}

static int ns_on_result(tb_sampler *s, size_t t) {
  nsga *g = s->impl;
  if (t >= g->cap_tg || g->trial_gen[t] != g->gen || s->state[t] != TB_TRIAL_COMPLETE) return TB_OK;
  g->done[g->n_done++] = t;
  if (g->n_done < g->P) return TB_OK;
  int rc = select_parents(s, g);
  g->n_done = 0;
  g->gen++;
  return rc;
}

static long tournament(tb_sampler *s, nsga *g) {
  long a = tb_sampler_randint(s, g->n_par), b = tb_sampler_randint(s, g->n_par);
  if (g->prank[b] < g->prank[a] || (g->prank[b] == g->prank[a] && g->pcrowd[b] > g->pcrowd[a])) return b;
  return a;
}

/* Bounded SBX on [0, 1] (Deb & Agrawal 1995, as in Deb's NSGA-II code): the two children of a and b. */
static void sbx(double a, double b, double eta, double rnd, double *c1, double *c2) {
  double y1 = fmin(a, b), y2 = fmax(a, b), d = y2 - y1, e = 1.0 / (eta + 1);
  double beta = 1 + 2 * y1 / d, alpha = 2 - pow(beta, -(eta + 1));
  double bq = rnd <= 1 / alpha ? pow(rnd * alpha, e) : pow(1 / (2 - rnd * alpha), e);
  *c1 = fmin(fmax(0.5 * (y1 + y2 - bq * d), 0.0), 1.0);
  beta = 1 + 2 * (1 - y2) / d;
  alpha = 2 - pow(beta, -(eta + 1));
  bq = rnd <= 1 / alpha ? pow(rnd * alpha, e) : pow(1 / (2 - rnd * alpha), e);
  *c2 = fmin(fmax(0.5 * (y1 + y2 + bq * d), 0.0), 1.0);
}

/* Polynomial mutation on [0, 1] (Deb & Goyal 1996, the bounded form of Deb's NSGA-II code). */
static double poly_mutation(double y, double eta, double rnd) {
  double p = 1.0 / (eta + 1), dq;
  if (rnd <= 0.5) { /* towards 0: xy = 1 - delta1 = 1 - y */
    double v = 2 * rnd + (1 - 2 * rnd) * pow(1 - y, eta + 1);
    dq = pow(v, p) - 1;
  } else { /* towards 1: xy = 1 - delta2 = y */
    double v = 2 * (1 - rnd) + 2 * (rnd - 0.5) * pow(y, eta + 1);
    dq = 1 - pow(v, p);
  }
  return y + dq;
}

static double clamp_u(double u) { return fmin(fmax(u, 0.0), 0x1.fffffffffffffp-1); }

static void make_child(tb_sampler *s, nsga *g, double *x) {
  int dim = s->dim;
  const double *x1 = s->x + g->par[tournament(s, g)] * (size_t)dim;
  const double *x2 = s->x + g->par[tournament(s, g)] * (size_t)dim;
  tb_space_to_unit(s->sp, x1, g->u1);
  tb_space_to_unit(s->sp, x2, g->u2);
  for (int i = 0; i < dim; i++) {
    int a1 = tb_space_active(s->sp, x1, i), a2 = tb_space_active(s->sp, x2, i);
    if (!a1 && a2) g->u1[i] = g->u2[i];
    if (a1 && !a2) g->u2[i] = g->u1[i];
    g->off[i] = !a1 && !a2;
  }
  int cross = tb_sampler_uniform(s) < g->pc;
  for (int i = 0; i < dim; i++) {
    const tb_param *p = tb_space_param(s->sp, i);
    double u = g->u1[i];
    if (p->type == TB_PARAM_FIXED) {
      g->uc[i] = u;
      continue;
    }
    if (cross && p->type == TB_PARAM_CATEGORICAL) {
      if (tb_sampler_uniform(s) < g->swap) u = g->u2[i];
    } else if (cross && tb_sampler_uniform(s) < 0.5 && fabs(g->u1[i] - g->u2[i]) > 1e-14) {
      double c1, c2;
      sbx(g->u1[i], g->u2[i], g->eta_c, tb_sampler_uniform(s), &c1, &c2);
      u = tb_sampler_uniform(s) < 0.5 ? c1 : c2;
    }
    if (tb_sampler_uniform(s) < g->pm) {
      if (p->type == TB_PARAM_CATEGORICAL) u = tb_sampler_uniform(s);
      else u = poly_mutation(u, g->eta_m, tb_sampler_uniform(s));
    }
    g->uc[i] = clamp_u(u);
  }
  tb_space_from_unit(s->sp, g->uc, x);
  /* parameters switched on while both parents had them off: uniform (repeat for chains) */
  for (int again = 1, round = 0; again && round <= dim; round++) {
    again = 0;
    for (int i = 0; i < dim; i++)
      if (g->off[i] && !isnan(x[i])) {
        g->uc[i] = tb_sampler_uniform(s);
        g->off[i] = 0;
        again = 1;
      }
    if (again) tb_space_from_unit(s->sp, g->uc, x);
  }
}

static int ns_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  nsga *g = s->impl;
  size_t need = s->n_trials + (size_t)n;
  if (need > g->cap_tg) {
    size_t cap = g->cap_tg ? g->cap_tg : 256;
    while (cap < need) cap *= 2;
    long *tg = realloc(g->trial_gen, cap * sizeof *tg);
    if (!tg) return tb_error_set(TB_ERR_NOMEM, "sampler nsga2: out of host memory");
    for (size_t t = g->cap_tg; t < cap; t++) tg[t] = -1;
    g->trial_gen = tg;
    g->cap_tg = cap;
  }
  for (int k = 0; k < n; k++) {
    double *x = xs + (size_t)k * (size_t)s->dim;
    if (g->gen == 0 || g->n_par == 0) {
      for (int i = 0; i < s->dim; i++) g->uc[i] = tb_sampler_uniform(s);
      tb_space_from_unit(s->sp, g->uc, x);
    } else {
      make_child(s, g, x);
    }
    g->trial_gen[s->n_trials + (size_t)k] = g->gen; /* sampler.c appends our suggestions in order */
  }
  *n_out = n;
  return TB_OK;
}

const tb_sampler_vt tb_sampler_nsga2_vt = {
    .name = "nsga2",
    .options = "population_size, crossover_prob, swapping_prob, mutation_prob, eta_c, eta_m",
    .max_objectives = TB_MAX_OBJECTIVES,
    .create = ns_create,
    .ask = ns_ask,
    .on_result = ns_on_result,
    .destroy = ns_destroy};
