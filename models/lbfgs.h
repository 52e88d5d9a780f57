/* lbfgs.h: internal to models/. Limited-memory BFGS on host double vectors (Nocedal 1980; the two-loop recursion
 * with the s'y/y'y initial scaling), and OWL-QN for an added L1 term on the first n_pen coordinates (Andrew & Gao
 * 2007: pseudo-gradient, direction constrained to the pseudo-gradient's orthant, projected backtracking line
 * search). The caller supplies the smooth part f(x), grad f(x) through a callback (logreg.c computes it on the
 * device); the state is plain memory so it can be saved and restored bit for bit. Tested by
 * tests/test_model_logreg.c (through the lbfgs solver: convergence, sparsity with L1, determinism) and directly on
 * a small quadratic + L1 problem whose solution is known in closed form. */
#ifndef TB_LBFGS_H
#define TB_LBFGS_H
#include <stddef.h>
#include <stdint.h>

/* Smooth objective: *f = f(x), g = grad f(x) (n). Returns TB_OK or a TB_ERR_*. */
typedef int (*tb_lbfgs_eval)(void *ctx, const double *x, double *f, double *g);

typedef struct tb_lbfgs {
  int n, m;          /* dimension, history length */
  int n_pen;         /* coordinates 0..n_pen-1 carry the L1 term */
  double l1;         /* L1 weight (0: plain L-BFGS) */
  double gtol, ftol; /* stop when max |pseudo-gradient| <= gtol or the relative decrease of F <= ftol */
  /* state (saved) */
  double *x, *g;     /* current point, smooth gradient at x */
  double f;          /* smooth objective at x */
  double *s, *y, *rho; /* history ring (m, n), (m, n), (m) */
  int32_t k, head;   /* pairs stored, next slot */
  int32_t have_fg;   /* f and g are those of x */
  int32_t converged; /* 1: the last step met a stopping test (further steps do nothing) */
  int64_t iter, n_evals;
  /* work (not saved) */
  double *pg, *d, *xn, *gn, *alpha;
} tb_lbfgs;

/* Allocates the state for n coordinates and m pairs; x starts at zero. */
int tb_lbfgs_init(tb_lbfgs *st, int n, int m, int n_pen, double l1);
void tb_lbfgs_free(tb_lbfgs *st);
/* F(x) = f(x) + l1 * sum_{i < n_pen} |x_i| for the stored f. */
double tb_lbfgs_objective(const tb_lbfgs *st);
/* One iteration (evaluates f at x first when needed). A non-finite f at the start is TB_ERR_RANGE. */
int tb_lbfgs_step(tb_lbfgs *st, tb_lbfgs_eval eval, void *ctx);
/* Bytes of the saved state; save writes exactly that many, restore reads them (same n, m). */
size_t tb_lbfgs_state_bytes(const tb_lbfgs *st);
void tb_lbfgs_save(const tb_lbfgs *st, void *buf);
void tb_lbfgs_restore(tb_lbfgs *st, const void *buf);
#endif
