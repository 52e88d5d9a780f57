/* sampler_qmc.c: the quasi-random samplers sobol and halton (GSL's gsl_qrng) and Latin hypercube (lhs). Points are
 * generated in the unit cube over all tb_space_dim() dimensions and mapped by tb_space_from_unit. They ignore the
 * results told back. Grid and random are in sampler_basic.c. Tested by tests/test_sampler_basic.c (points equal
 * GSL's own sequence when scramble=0, seeded determinism, LHS stratification, bad options).
 *
 * sobol / halton: gsl_qrng_sobol (at most 40 dimensions in GSL 2.7) and gsl_qrng_halton (at most 1229); a larger
 *   space is an error that names the limit. GSL's Sobol sequence omits the origin: its first point is (0.5, ...).
 *   Options: scramble (0|1, default 1) adds one seeded random shift per dimension modulo 1 (a Cranley-Patterson
 *   rotation; it is not Owen scrambling), drawn once at creation from the sampler's stream; skip (default 0,
 *   0..2^24) discards that many leading points.
 * lhs: Latin hypercube designs in batches. Option batch (default 100, 1..1000000): each batch is a fresh seeded
 *   design of that size (per dimension a random permutation of the strata 0..batch-1, plus a uniform jitter within
 *   the stratum); suggestions are taken from the current batch in order, and a new batch is drawn when it is used
 *   up. All draws come from the sampler's stream, so a seed reproduces the designs.
 */
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdlib.h>

#include "sampler_impl.h"

typedef struct {
  gsl_qrng *q;
  double *shift; /* (dim) rotation, all zero when scramble=0 */
  double *u;     /* (dim) scratch */
} qmc_impl;

static void qmc_destroy(tb_sampler *s) {
  qmc_impl *m = s->impl;
  if (!m) return;
  if (m->q) gsl_qrng_free(m->q);
  free(m->shift);
  free(m->u);
  free(m);
  s->impl = NULL;
}

static int qmc_create(tb_sampler *s, const gsl_qrng_type *type, const char *alt) {
  int rc = TB_OK;
  long scramble = 1, skip = 0;
  TB_TRY(tb_sampler_opt_long(s, "scramble", 0, 1, &scramble));
  TB_TRY(tb_sampler_opt_long(s, "skip", 0, 1L << 24, &skip));
  if ((unsigned)s->dim > type->max_dimension) /* checked first: gsl_qrng_alloc would call GSL's error handler */
    TB_FAIL(TB_ERR_INVALID, "sampler %s: the space has %d dimensions but GSL's %s generator handles at most %u (%s)",
            s->vt->name, s->dim, type->name, type->max_dimension, alt);
  qmc_impl *m = calloc(1, sizeof *m);
  if (!m) TB_FAIL(TB_ERR_NOMEM, "sampler %s: out of host memory", s->vt->name);
  s->impl = m;
  m->shift = calloc((size_t)s->dim, sizeof *m->shift);
  m->u = malloc((size_t)s->dim * sizeof *m->u);
  m->q = gsl_qrng_alloc(type, (unsigned)s->dim);
  if (!m->shift || !m->u || !m->q) TB_FAIL(TB_ERR_NOMEM, "sampler %s: out of host memory", s->vt->name);
  if (scramble)
    for (int i = 0; i < s->dim; i++) m->shift[i] = tb_sampler_uniform(s);
  for (long k = 0; k < skip; k++)
    if (gsl_qrng_get(m->q, m->u) != 0)
      TB_FAIL(TB_ERR_INVALID, "sampler %s: skip = %ld runs past the end of the sequence", s->vt->name, skip);
done:
  return rc;
}

static int sobol_create(tb_sampler *s) {
  return qmc_create(s, gsl_qrng_sobol, "use halton (up to 1229 dimensions) or random");
}
static int halton_create(tb_sampler *s) { return qmc_create(s, gsl_qrng_halton, "use random"); }

static int qmc_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  qmc_impl *m = s->impl;
  int k = 0;
  for (; k < n; k++) {
    if (gsl_qrng_get(m->q, m->u) != 0) break; /* GSL reports the sequence used up: give fewer */
    for (int i = 0; i < s->dim; i++) {
      double v = m->u[i] + m->shift[i];
      m->u[i] = v >= 1 ? v - 1 : v;
    }
    tb_space_from_unit(s->sp, m->u, xs + (size_t)k * (size_t)s->dim);
  }
  *n_out = k;
  return TB_OK;
}

const tb_sampler_vt tb_sampler_sobol_vt = {.name = "sobol",
                                           .options = "scramble, skip",
                                           .max_objectives = 1,
                                           .create = sobol_create,
                                           .ask = qmc_ask,
                                           .destroy = qmc_destroy};
const tb_sampler_vt tb_sampler_halton_vt = {.name = "halton",
                                            .options = "scramble, skip",
                                            .max_objectives = 1,
                                            .create = halton_create,
                                            .ask = qmc_ask,
                                            .destroy = qmc_destroy};

typedef struct {
  long batch, next; /* batch size; next unused point of the current batch (== batch: draw a new one) */
  double *u;        /* (batch, dim) current design */
  long *perm;       /* (batch) scratch */
} lhs_impl;

static void lhs_destroy(tb_sampler *s) {
  lhs_impl *l = s->impl;
  if (!l) return;
  free(l->u);
  free(l->perm);
  free(l);
  s->impl = NULL;
}

static int lhs_create(tb_sampler *s) {
  int rc = TB_OK;
  long batch = 100;
  TB_TRY(tb_sampler_opt_long(s, "batch", 1, 1000000, &batch));
  lhs_impl *l = calloc(1, sizeof *l);
  if (!l) TB_FAIL(TB_ERR_NOMEM, "sampler lhs: out of host memory");
  s->impl = l;
  l->batch = l->next = batch;
  l->u = malloc((size_t)batch * (size_t)s->dim * sizeof *l->u);
  l->perm = malloc((size_t)batch * sizeof *l->perm);
  if (!l->u || !l->perm) TB_FAIL(TB_ERR_NOMEM, "sampler lhs: out of host memory for a batch of %ld", batch);
done:
  return rc;
}

/* A fresh design: for each dimension, point j lies in stratum perm[j] of batch equal strata. */
static void lhs_draw(tb_sampler *s, lhs_impl *l) {
  size_t d = (size_t)s->dim;
  for (size_t i = 0; i < d; i++) {
    for (long j = 0; j < l->batch; j++) l->perm[j] = j;
    for (long j = l->batch - 1; j > 0; j--) {
      long r = tb_sampler_randint(s, j + 1), t = l->perm[j];
      l->perm[j] = l->perm[r], l->perm[r] = t;
    }
    for (long j = 0; j < l->batch; j++) {
      double v = ((double)l->perm[j] + tb_sampler_uniform(s)) / (double)l->batch;
      l->u[(size_t)j * d + i] = v < 1 ? v : nextafter(1.0, 0.0);
    }
  }
  l->next = 0;
}

static int lhs_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  lhs_impl *l = s->impl;
  for (int k = 0; k < n; k++) {
    if (l->next == l->batch) lhs_draw(s, l);
    tb_space_from_unit(s->sp, l->u + (size_t)l->next++ * (size_t)s->dim, xs + (size_t)k * (size_t)s->dim);
  }
  *n_out = n;
  return TB_OK;
}

const tb_sampler_vt tb_sampler_lhs_vt = {.name = "lhs",
                                         .options = "batch",
                                         .max_objectives = 1,
                                         .create = lhs_create,
                                         .ask = lhs_ask,
                                         .destroy = lhs_destroy};
