/* evolution.c: the regularised (aging) evolution sampler ("evolution") of Real et al., "Regularized Evolution for
 * Image Classifier Architecture Search" (AAAI 2019), for mixed spaces with conditional parameters. Single
 * objective. Not a model-based method: no surrogate, just tournament selection, one-parameter mutation and aging.
 *
 * The population is the last P trials to finish (complete, or pruned with a finite value), in the order they were
 * told; a newer one pushes out the oldest (aging), whatever its value. Failed trials do not enter it. Until P
 * trials have finished, suggestions are uniform random. Then each suggestion picks S distinct members uniformly,
 * takes the best as parent and mutates one of its active, non-fixed parameters chosen uniformly:
 *   categorical  another choice, uniformly;
 *   float / int  mutation=gauss (default): u + N(0, mutation_sd^2) in the unit cube, reflected at 0 and 1; an int
 *                that rounds back to the parent's value is redrawn (16 times, then uniformly among other values);
 *                mutation=resample: a fresh uniform value (a different one for ints).
 * Conditions are re-derived by tb_space_from_unit; a parameter the mutation switches on gets a uniform value.
 * Pending trials: each ask runs its own tournaments on the current population (asynchronous, as in the paper).
 * Options: population_size (20), sample_size (5, <= population_size), mutation (gauss|resample), mutation_sd (0.1).
 * Tested by tests/test_sampler_evo.c (beats random search on a mixed conditional problem over seeds, aging,
 * determinism, bad options). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_impl.h"

typedef struct {
  long P, S;
  int mode; /* 0 gauss, 1 resample */
  double sd;
  size_t *pop; /* ring of trial indices; pop[(head + i) % P] is the i-th oldest */
  long n_pop, head;
  long *pick;  /* P scratch for the tournament */
  double *u, *u2, *xp, *xc; /* dim scratch each */
  int *cand;
  unsigned char *fresh;
} evo;

static void evo_destroy(tb_sampler *s) {
  evo *e = s->impl;
  if (!e) return;
  free(e->pop);
  free(e->pick);
  free(e->u);
  free(e->cand);
  free(e);
  s->impl = NULL;
}

static int evo_create(tb_sampler *s) {
  int rc = TB_OK;
  evo *e = calloc(1, sizeof *e);
  if (!e) return tb_error_set(TB_ERR_NOMEM, "sampler evolution: out of host memory");
  s->impl = e;
  e->P = 20;
  e->S = 5;
  e->sd = 0.1;
  TB_TRY(tb_sampler_opt_long(s, "population_size", 2, 1000000, &e->P));
  TB_TRY(tb_sampler_opt_long(s, "sample_size", 1, 1000000, &e->S));
  TB_TRY(tb_sampler_opt_enum(s, "mutation", "gauss|resample", &e->mode));
  TB_TRY(tb_sampler_opt_double(s, "mutation_sd", 1e-6, 1.0, &e->sd));
  if (e->S > e->P)
    TB_FAIL(TB_ERR_INVALID, "sampler evolution: sample_size = %ld is larger than population_size = %ld", e->S, e->P);
  size_t d = (size_t)s->dim;
  e->pop = malloc((size_t)e->P * sizeof *e->pop);
  e->pick = malloc((size_t)e->P * sizeof *e->pick);
  e->u = malloc(4 * d * sizeof *e->u);
  e->cand = malloc(d * (sizeof *e->cand + 1));
  if (!e->pop || !e->pick || !e->u || !e->cand) TB_FAIL(TB_ERR_NOMEM, "sampler evolution: out of host memory");
  e->u2 = e->u + d;
  e->xp = e->u2 + d;
  e->xc = e->xp + d;
  e->fresh = (unsigned char *)(e->cand + d);
done:
  return rc;
}

static int evo_on_result(tb_sampler *s, size_t t) {
  evo *e = s->impl;
  double y = s->y[t * (size_t)s->n_obj];
  if (s->state[t] == TB_TRIAL_FAILED || !isfinite(y)) return TB_OK;
  if (e->n_pop < e->P) {
    e->pop[(e->head + e->n_pop++) % e->P] = t;
  } else { /* aging: the oldest member leaves */
    e->pop[e->head] = t;
    e->head = (e->head + 1) % e->P;
  }
  return TB_OK;
}

/* 1 when the parameter has more than one value to move to. */
static int mutable_param(const tb_param *p) {
  switch (p->type) {
  case TB_PARAM_FLOAT: return 1;
  case TB_PARAM_INT: return p->hi - p->lo >= p->step;
  case TB_PARAM_CATEGORICAL: return p->n_choices > 1;
  default: return 0;
  }
}

static double reflect(double u) {
  for (int k = 0; k < 64 && (u < 0 || u >= 1); k++) u = u < 0 ? -u : 2.0 - u;
  return fmin(fmax(u, 0.0), 0x1.fffffffffffffp-1);
}

/* Mutates parameter i of e->u (parent in e->xp); leaves the child in e->xc. */
static void mutate(tb_sampler *s, evo *e, int i) {
  const tb_param *p = tb_space_param(s->sp, i);
  if (p->type == TB_PARAM_CATEGORICAL) {
    long c = tb_sampler_randint(s, p->n_choices - 1);
    if (c >= (long)e->xp[i]) c++;
    e->u[i] = (c + 0.5) / p->n_choices;
    tb_space_from_unit(s->sp, e->u, e->xc);
    return;
  }
  double u0 = e->u[i];
  for (int tries = 0; tries < 116; tries++) {
    int gauss = e->mode == 0 && tries < 16;
    e->u[i] = gauss ? reflect(u0 + e->sd * tb_sampler_normal(s)) : tb_sampler_uniform(s);
    tb_space_from_unit(s->sp, e->u, e->xc);
    if (p->type == TB_PARAM_FLOAT || e->xc[i] != e->xp[i]) return;
  }
}

static void make_child(tb_sampler *s, evo *e, double *x) {
  int dim = s->dim;
  /* tournament: S distinct members (partial Fisher-Yates), the best one wins, the earliest drawn on ties */
  for (long k = 0; k < e->n_pop; k++) e->pick[k] = k;
  size_t parent = 0;
  double best = INFINITY;
  for (long k = 0; k < e->S; k++) {
    long j = k + tb_sampler_randint(s, e->n_pop - k), tmp = e->pick[k];
    e->pick[k] = e->pick[j];
    e->pick[j] = tmp;
    size_t t = e->pop[(e->head + e->pick[k]) % e->P];
    double y = s->y[t * (size_t)s->n_obj];
    if (k == 0 || y < best) best = y, parent = t;
  }
  memcpy(e->xp, s->x + parent * (size_t)dim, (size_t)dim * sizeof *e->xp);
  tb_space_to_unit(s->sp, e->xp, e->u);
  int n_cand = 0;
  for (int i = 0; i < dim; i++)
    if (tb_space_active(s->sp, e->xp, i) && mutable_param(tb_space_param(s->sp, i))) e->cand[n_cand++] = i;
  if (n_cand == 0) {
    memcpy(x, e->xp, (size_t)dim * sizeof *x);
    return;
  }
  mutate(s, e, e->cand[tb_sampler_randint(s, n_cand)]);
  /* parameters switched on by the mutation get uniform values (repeat: they may switch on others) */
  memset(e->fresh, 0, (size_t)dim);
  for (int again = 1, round = 0; again && round <= dim; round++) {
    again = 0;
    for (int i = 0; i < dim; i++)
      if (!e->fresh[i] && !isnan(e->xc[i]) && !tb_space_active(s->sp, e->xp, i)) {
        e->u[i] = tb_sampler_uniform(s);
        e->fresh[i] = 1;
        again = 1;
      }
    if (again) tb_space_from_unit(s->sp, e->u, e->xc);
  }
  memcpy(x, e->xc, (size_t)dim * sizeof *x);
}

static int evo_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  evo *e = s->impl;
  for (int k = 0; k < n; k++) {
    double *x = xs + (size_t)k * (size_t)s->dim;
    if (e->n_pop < e->P) {
      for (int i = 0; i < s->dim; i++) e->u2[i] = tb_sampler_uniform(s);
      tb_space_from_unit(s->sp, e->u2, x);
    } else {
      make_child(s, e, x);
    }
  }
  *n_out = n;
  return TB_OK;
}

const tb_sampler_vt tb_sampler_evolution_vt = {.name = "evolution",
                                               .options = "population_size, sample_size, mutation, mutation_sd",
                                               .max_objectives = 1,
                                               .create = evo_create,
                                               .ask = evo_ask,
                                               .on_result = evo_on_result,
                                               .destroy = evo_destroy};
