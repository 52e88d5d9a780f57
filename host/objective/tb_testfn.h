/* tb_testfn.h: synthetic test functions for samplers (protocols.md section 8, Bergstra & Bengio 2012 section 6).
 * Each function has a name, a box domain, a known optimum where there is one, and an evaluation function; all are
 * minimised. It is not a tuner: samplers are driven over these by tests and benchmarks.
 *
 * Names: branin (2-d), hartmann3, hartmann6, hartmann6-20d and hartmann6-50d (Hartmann6 on x0..x5, the other
 * dimensions are dummies that do not change the value), rosenbrock-2d, rosenbrock-10d, levy-5d, levy-10d, ackley-5d,
 * ackley-20d, zdt1 and zdt2 (30-d, 2 objectives), and the hit problem hit-cube-3d, hit-cube-5d, hit-rect-3d,
 * hit-rect-5d: a target box of 1% of the unit cube's volume placed at random (from a seed); the value is 0 inside
 * the box (a hit) and 1 outside. The cube has equal sides 0.01^(1/d); the rectangle has sides s*4^(j/(d-1)),
 * j = 0..d-1 (longest side 4 times the shortest), assigned to the axes in a seeded random order. Each instance's
 * corner is uniform over the positions that keep the box inside [0,1]^d, so one uniform point hits with
 * probability exactly 0.01. Tested by tests/test_testfn.c.
 */
#ifndef TB_TESTFN_H
#define TB_TESTFN_H
#include "tb_api.h"
#include <stdint.h>

#include "tb_space.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_testfn tb_testfn;
struct tb_testfn {
  const char *name;
  int dim;                /* number of inputs */
  int n_obj;              /* number of objectives (2 for zdt1/zdt2, else 1) */
  double optimum;         /* minimum value; NAN if unknown or multi-objective */
  double lo, hi;          /* domain of every dimension when lower/upper are NULL */
  const double *lower, *upper; /* per-dimension domain (branin), or NULL */
  const double *argmin;   /* one minimiser (dim values), or NULL (hit problems: depends on the seed) */
  int seeded;             /* 1: an instance is drawn from a seed (the hit problems) */
  /* evaluation; seed is used by seeded functions only */
  int (*eval)(const tb_testfn *f, uint64_t seed, const double *x, double *values);
};

/* The function called `name`, or NULL when unknown. */
TB_API const tb_testfn *tb_testfn_find(const char *name);
/* All names, NULL-terminated. */
TB_API const char *const *tb_testfn_names(void);

/* A finalized space of float parameters x0..x{dim-1} on the function's domain; the caller frees it. */
TB_API int tb_testfn_space(const tb_testfn *f, tb_space **out);

/* values (n_obj) = f(x); x outside the domain or not finite is TB_ERR_INVALID. Seeded functions use seed 0. */
TB_API int tb_testfn_eval(const tb_testfn *f, const double *x, double *values);
/* As tb_testfn_eval for instance `seed` of a seeded function (the hit problems); other functions ignore seed. */
TB_API int tb_testfn_eval_seeded(const tb_testfn *f, uint64_t seed, const double *x, double *values);

/* The hit problem's target box of instance `seed`: lo[d], hi[d]. TB_ERR_INVALID for other functions. */
int tb_testfn_hit_box(const tb_testfn *f, uint64_t seed, double *lo, double *hi);

/* n points (n >= 2) of the Pareto front of zdt1/zdt2, front (n, 2) row-major, f1 evenly spaced in [0, 1]
 * (f2 = 1 - sqrt(f1) for zdt1, 1 - f1^2 for zdt2). TB_ERR_INVALID for other functions. */
int tb_testfn_pareto_front(const tb_testfn *f, int n, double *front);

#ifdef __cplusplus
}
#endif
#endif
