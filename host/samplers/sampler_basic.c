/* sampler_basic.c: the grid and random samplers (tb_sampler.h). The quasi-random ones (sobol, halton, lhs) are in
 * sampler_qmc.c; the model-based ones in their own files. Tested by tests/test_sampler_basic.c.
 *
 * grid: the Cartesian product of per-parameter levels, visited in odometer order (last parameter fastest) or, with
 *   shuffle=1, in a seeded random order. Levels: a float gets n points evenly spaced over [lo, hi] (log-spaced when
 *   log), both ends included (n = 1: the (geometric) midpoint); an int gets all its values when it has at most n,
 *   else n evenly (log-)spaced points rounded to its step grid, duplicates dropped; a categorical gets every
 *   choice; a fixed parameter its value. Explicit value lists are therefore given as categorical/int/fixed
 *   parameters. Conditional parameters are expanded only where they are active, so no configuration repeats.
 *   Options: n (points per float dimension, default 10, 1..100000), shuffle (0|1, default 0). Shuffling
 *   materialises the grid (at most 2^22 points). When the grid is used up, ask gives fewer, then none.
 * random: u uniform in [0,1)^dim from the sampler's seeded stream, mapped by tb_space_from_unit (one draw per
 *   dimension, inactive ones included, so the stream position does not depend on the values). Handles up to
 *   TB_MAX_OBJECTIVES objectives (random multi-objective search). No options.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_impl.h"

#define GRID_SHUFFLE_MAX (1L << 22)

typedef struct {
  int dim;
  int *order;       /* parameters in topological order of the conditions (parents first) */
  double **levels;  /* levels[i][0..n_levels[i]) */
  int *n_levels;
  int *idx, *radix; /* odometer digit per parameter; radix 1 for an inactive parameter */
  double *cur;      /* the configuration of the current odometer state */
  int exhausted;
  double *all;      /* shuffle: the whole grid (n_all, dim), in visiting order */
  long n_all, next;
} grid_impl;

static void grid_destroy(tb_sampler *s) {
  grid_impl *g = s->impl;
  if (!g) return;
  if (g->levels)
    for (int i = 0; i < g->dim; i++) free(g->levels[i]);
  free(g->levels);
  free(g->n_levels);
  free(g->order);
  free(g->idx);
  free(g->radix);
  free(g->cur);
  free(g->all);
  free(g);
  s->impl = NULL;
}

/* Levels of parameter p for n points per dimension; *out is malloc'd. */
static int grid_levels(const tb_param *p, long n, double **out, int *n_out) {
  long m = 1;
  if (p->type == TB_PARAM_FLOAT) m = n;
  else if (p->type == TB_PARAM_CATEGORICAL) m = p->n_choices;
  else if (p->type == TB_PARAM_INT) {
    double cnt = floor((p->hi - p->lo) / p->step) + 1;
    m = cnt <= (double)n ? (long)cnt : n;
  }
  double *v = malloc((size_t)m * sizeof *v);
  if (!v) return tb_error_set(TB_ERR_NOMEM, "sampler grid: out of host memory");
  int k = 0;
  if (p->type == TB_PARAM_FIXED) v[k++] = p->value;
  else if (p->type == TB_PARAM_CATEGORICAL)
    for (; k < m; k++) v[k] = k;
  else {
    double hi = p->type == TB_PARAM_INT ? p->lo + (floor((p->hi - p->lo) / p->step)) * p->step : p->hi;
    double cnt = p->type == TB_PARAM_INT ? floor((p->hi - p->lo) / p->step) + 1 : INFINITY;
    for (long j = 0; j < m; j++) {
      double t = m == 1 ? 0.5 : (double)j / (double)(m - 1), x;
      if (p->type == TB_PARAM_INT && cnt <= (double)n) x = p->lo + (double)j * p->step; /* every value */
      else {
        x = p->log ? exp(log(p->lo) + t * (log(hi) - log(p->lo))) : p->lo + t * (hi - p->lo);
        if (m > 1 && j == 0) x = p->lo;
        if (m > 1 && j == m - 1) x = hi;
        if (p->type == TB_PARAM_INT) x = p->lo + round((x - p->lo) / p->step) * p->step;
        x = x < p->lo ? p->lo : x > hi ? hi : x;
      }
      if (k == 0 || x != v[k - 1]) v[k++] = x; /* monotone, so duplicates are neighbours */
    }
  }
  *out = v;
  *n_out = k;
  return TB_OK;
}

/* Fills g->cur from the odometer digits, parents first; sets radix (1 for inactive parameters). */
static void grid_build(const tb_sampler *s, grid_impl *g) {
  for (int k = 0; k < g->dim; k++) {
    int i = g->order[k];
    g->cur[i] = 0; /* a provisional value: tb_space_active reads only the parents of i */
    int act = tb_space_active(s->sp, g->cur, i);
    g->radix[i] = act ? g->n_levels[i] : 1;
    g->cur[i] = act ? g->levels[i][g->idx[i]] : NAN;
  }
}

/* Moves to the next active combination; 0 when the grid is used up. */
static int grid_advance(const tb_sampler *s, grid_impl *g) {
  for (int k = g->dim - 1; k >= 0; k--) {
    int i = g->order[k];
    if (g->idx[i] + 1 < g->radix[i]) {
      g->idx[i]++;
      for (int j = k + 1; j < g->dim; j++) g->idx[g->order[j]] = 0;
      grid_build(s, g);
      return 1;
    }
  }
  return 0;
}

static int grid_create(tb_sampler *s) {
  int rc = TB_OK;
  long n = 10, shuffle = 0;
  TB_TRY(tb_sampler_opt_long(s, "n", 1, 100000, &n));
  TB_TRY(tb_sampler_opt_long(s, "shuffle", 0, 1, &shuffle));
  grid_impl *g = calloc(1, sizeof *g);
  if (!g) TB_FAIL(TB_ERR_NOMEM, "sampler grid: out of host memory");
  s->impl = g;
  g->dim = s->dim;
  size_t d = (size_t)s->dim;
  g->order = malloc(d * sizeof *g->order);
  g->levels = calloc(d, sizeof *g->levels);
  g->n_levels = calloc(d, sizeof *g->n_levels);
  g->idx = calloc(d, sizeof *g->idx);
  g->radix = calloc(d, sizeof *g->radix);
  g->cur = malloc(d * sizeof *g->cur);
  int *depth = calloc(d, sizeof *depth);
  if (!g->order || !g->levels || !g->n_levels || !g->idx || !g->radix || !g->cur || !depth) {
    free(depth);
    TB_FAIL(TB_ERR_NOMEM, "sampler grid: out of host memory");
  }
  int maxd = 0;
  for (int i = 0; i < s->dim; i++) {
    for (const tb_param *p = tb_space_param(s->sp, i); p->parent >= 0 && depth[i] <= s->dim;
         p = tb_space_param(s->sp, p->parent))
      depth[i]++;
    if (depth[i] > maxd) maxd = depth[i];
  }
  for (int dd = 0, k = 0; dd <= maxd; dd++)
    for (int i = 0; i < s->dim; i++)
      if (depth[i] == dd) g->order[k++] = i;
  free(depth);
  for (int i = 0; i < s->dim; i++) TB_TRY(grid_levels(tb_space_param(s->sp, i), n, &g->levels[i], &g->n_levels[i]));
  grid_build(s, g);
  if (shuffle) {
    long cap = 0;
    do {
      if (g->n_all == cap) {
        if (cap >= GRID_SHUFFLE_MAX)
          TB_FAIL(TB_ERR_INVALID, "sampler grid: shuffle=1 needs the whole grid in memory; it has more than %ld points "
                                  "(lower n or use shuffle=0)", GRID_SHUFFLE_MAX);
        cap = cap ? 2 * cap : 1024;
        double *a = realloc(g->all, (size_t)cap * d * sizeof *a);
        if (!a) TB_FAIL(TB_ERR_NOMEM, "sampler grid: out of host memory");
        g->all = a;
      }
      memcpy(g->all + (size_t)g->n_all++ * d, g->cur, d * sizeof *g->cur);
    } while (grid_advance(s, g));
    for (long i = g->n_all - 1; i > 0; i--) { /* Fisher-Yates from the sampler's stream */
      long j = tb_sampler_randint(s, i + 1);
      for (size_t c = 0; c < d; c++) {
        double t = g->all[(size_t)i * d + c];
        g->all[(size_t)i * d + c] = g->all[(size_t)j * d + c];
        g->all[(size_t)j * d + c] = t;
      }
    }
  }
done:
  return rc;
}

static int grid_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  grid_impl *g = s->impl;
  size_t d = (size_t)s->dim;
  int k = 0;
  if (g->all) {
    for (; k < n && g->next < g->n_all; k++, g->next++) memcpy(xs + (size_t)k * d, g->all + (size_t)g->next * d, d * sizeof *xs);
  } else {
    for (; k < n && !g->exhausted; k++) {
      memcpy(xs + (size_t)k * d, g->cur, d * sizeof *xs);
      if (!grid_advance(s, g)) g->exhausted = 1;
    }
  }
  *n_out = k;
  return TB_OK;
}

const tb_sampler_vt tb_sampler_grid_vt = {.name = "grid",
                                          .options = "n, shuffle",
                                          .max_objectives = 1,
                                          .create = grid_create,
                                          .ask = grid_ask,
                                          .destroy = grid_destroy};

static int random_create(tb_sampler *s) {
  s->impl = malloc((size_t)s->dim * sizeof(double)); /* scratch u */
  return s->impl ? TB_OK : tb_error_set(TB_ERR_NOMEM, "sampler random: out of host memory");
}

static void random_destroy(tb_sampler *s) {
  free(s->impl);
  s->impl = NULL;
}

static int random_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  double *u = s->impl;
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < s->dim; i++) u[i] = tb_sampler_uniform(s);
    tb_space_from_unit(s->sp, u, xs + (size_t)k * (size_t)s->dim);
  }
  *n_out = n;
  return TB_OK;
}

const tb_sampler_vt tb_sampler_random_vt = {.name = "random",
                                            .options = "",
                                            .max_objectives = TB_MAX_OBJECTIVES,
                                            .create = random_create,
                                            .ask = random_ask,
                                            .destroy = random_destroy};
