/* lbfgs.c: L-BFGS and OWL-QN on host double vectors (see lbfgs.h). It is not a line-search library: the search is
 * backtracking with the Armijo condition (quadratic interpolation on the smooth problem, halving under OWL-QN),
 * which suits the convex objectives of logistic regression; pairs with s'y <= 0 are skipped. Everything here is
 * sequential double arithmetic, so the iterates depend only on the values the callback returns.
 * Tested by tests/test_model_logreg.c. */
#include "lbfgs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"

#define LS_MAX 40      /* backtracking steps before the search gives up */
#define ARMIJO_C1 1e-4

int tb_lbfgs_init(tb_lbfgs *st, int n, int m, int n_pen, double l1) {
  memset(st, 0, sizeof *st);
  if (n < 1 || m < 1 || n_pen < 0 || n_pen > n || !(l1 >= 0))
    return tb_error_set(TB_ERR_INVALID, "lbfgs: bad sizes (n %d, m %d, n_pen %d, l1 %g)", n, m, n_pen, l1);
  st->n = n;
  st->m = m;
  st->n_pen = n_pen;
  st->l1 = l1;
  st->gtol = 1e-5;
  st->ftol = 1e-10;
  size_t N = (size_t)n, M = (size_t)m;
  st->x = calloc(N, sizeof(double));
  st->g = calloc(N, sizeof(double));
  st->s = calloc(M * N, sizeof(double));
  st->y = calloc(M * N, sizeof(double));
  st->rho = calloc(M, sizeof(double));
  st->pg = calloc(N, sizeof(double));
  st->d = calloc(N, sizeof(double));
  st->xn = calloc(N, sizeof(double));
  st->gn = calloc(N, sizeof(double));
  st->alpha = calloc(M, sizeof(double));
  if (!st->x || !st->g || !st->s || !st->y || !st->rho || !st->pg || !st->d || !st->xn || !st->gn || !st->alpha) {
    tb_lbfgs_free(st);
    return tb_error_set(TB_ERR_NOMEM, "lbfgs: out of host memory (%d x %d history)", m, n);
  }
  return TB_OK;
}

void tb_lbfgs_free(tb_lbfgs *st) {
  if (!st) return;
  double **p[] = {&st->x, &st->g, &st->s, &st->y, &st->rho, &st->pg, &st->d, &st->xn, &st->gn, &st->alpha};
  for (size_t i = 0; i < sizeof p / sizeof *p; i++) {
    free(*p[i]);
    *p[i] = NULL;
  }
}

static double l1_norm(const double *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += fabs(x[i]);
  return s;
}

double tb_lbfgs_objective(const tb_lbfgs *st) { return st->f + st->l1 * l1_norm(st->x, st->n_pen); }

static double dot(const double *a, const double *b, int n) {
  double s = 0;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* pg = pseudo-gradient of F at x (the gradient itself when l1 == 0); returns max |pg|. */
static double pseudo_gradient(const tb_lbfgs *st, const double *x, const double *g, double *pg) {
  double mx = 0, l1 = st->l1;
  for (int i = 0; i < st->n; i++) {
    double v = g[i];
    if (i < st->n_pen && l1 > 0) {
      if (x[i] > 0) v = g[i] + l1;
      else if (x[i] < 0) v = g[i] - l1;
      else if (g[i] + l1 < 0) v = g[i] + l1;
      else if (g[i] - l1 > 0) v = g[i] - l1;
      else v = 0;
    }
    pg[i] = v;
    if (fabs(v) > mx) mx = fabs(v);
  }
  return mx;
}

/* d = -H pg by the two-loop recursion over the stored pairs (oldest .. newest). */
static void direction(tb_lbfgs *st) {
  const int n = st->n, m = st->m;
  double *q = st->d;
  for (int i = 0; i < n; i++) q[i] = st->pg[i];
  for (int j = 0; j < st->k; j++) { /* newest first */
    int slot = ((st->head - 1 - j) % m + m) % m;
    const double *s = st->s + (size_t)slot * n, *y = st->y + (size_t)slot * n;
    double a = st->rho[slot] * dot(s, q, n);
    st->alpha[slot] = a;
    for (int i = 0; i < n; i++) q[i] -= a * y[i];
  }
  if (st->k > 0) {
    int last = ((st->head - 1) % m + m) % m;
    const double *s = st->s + (size_t)last * n, *y = st->y + (size_t)last * n;
    double gamma = dot(s, y, n) / dot(y, y, n);
    for (int i = 0; i < n; i++) q[i] *= gamma;
  }
  for (int j = st->k - 1; j >= 0; j--) { /* oldest first */
    int slot = ((st->head - 1 - j) % m + m) % m;
    const double *s = st->s + (size_t)slot * n, *y = st->y + (size_t)slot * n;
    double b = st->rho[slot] * dot(y, q, n);
    for (int i = 0; i < n; i++) q[i] += s[i] * (st->alpha[slot] - b);
  }
  for (int i = 0; i < n; i++) q[i] = -q[i];
}

int tb_lbfgs_step(tb_lbfgs *st, tb_lbfgs_eval eval, void *ctx) {
  int rc = TB_OK;
  const int n = st->n;
  const int owl = st->l1 > 0 && st->n_pen > 0;
  if (st->converged) return TB_OK;
  if (!st->have_fg) {
    TB_TRY(eval(ctx, st->x, &st->f, st->g));
    st->n_evals++;
    if (!isfinite(st->f)) TB_FAIL(TB_ERR_RANGE, "lbfgs: the objective is %g at the starting point", st->f);
    st->have_fg = 1;
  }
  double F = tb_lbfgs_objective(st);
  if (pseudo_gradient(st, st->x, st->g, st->pg) <= st->gtol) {
    st->converged = 1;
    return TB_OK;
  }
  direction(st);
  if (owl) /* keep the direction in the pseudo-gradient's orthant */
    for (int i = 0; i < st->n_pen; i++)
      if (st->d[i] * st->pg[i] >= 0) st->d[i] = 0;
  double dg = dot(st->d, st->pg, n);
  if (!(dg < 0)) { /* not a descent direction: drop the history, go down the pseudo-gradient */
    st->k = 0;
    for (int i = 0; i < n; i++) st->d[i] = -st->pg[i];
    dg = dot(st->d, st->pg, n);
  }
  double a = st->k == 0 ? 1.0 / sqrt(dot(st->d, st->d, n)) : 1.0;
  double fn = NAN, Fn = NAN;
  int accepted = 0;
  for (int ls = 0; ls < LS_MAX; ls++) {
    for (int i = 0; i < n; i++) st->xn[i] = st->x[i] + a * st->d[i];
    if (owl)
      for (int i = 0; i < st->n_pen; i++) {
        double xi = st->x[i] != 0 ? (st->x[i] > 0 ? 1 : -1) : (st->pg[i] < 0 ? 1 : -1);
        if (st->xn[i] * xi <= 0) st->xn[i] = 0;
      }
    TB_TRY(eval(ctx, st->xn, &fn, st->gn));
    st->n_evals++;
    Fn = fn + st->l1 * l1_norm(st->xn, st->n_pen);
    double decrease = 0;
    if (owl)
      for (int i = 0; i < n; i++) decrease += st->pg[i] * (st->xn[i] - st->x[i]);
    else
      decrease = a * dg;
    if (isfinite(Fn) && Fn <= F + ARMIJO_C1 * decrease) {
      accepted = 1;
      break;
    }
    double next = 0.5 * a;
    if (!owl && isfinite(Fn)) { /* minimiser of the quadratic through F, dg and Fn, kept in [0.1a, 0.5a] */
      double den = 2.0 * (Fn - F - a * dg);
      if (den > 0) next = -dg * a * a / den;
      if (next < 0.1 * a) next = 0.1 * a;
      if (next > 0.5 * a) next = 0.5 * a;
    }
    a = next;
  }
  if (!accepted) { /* no decrease left at float precision: stop where we are */
    st->converged = 1;
    return TB_OK;
  }
  /* new pair from the smooth gradients */
  double *s = st->s + (size_t)st->head * n, *y = st->y + (size_t)st->head * n;
  for (int i = 0; i < n; i++) {
    s[i] = st->xn[i] - st->x[i];
    y[i] = st->gn[i] - st->g[i];
  }
  double sy = dot(s, y, n), yy = dot(y, y, n);
  if (sy > 1e-12 * yy && yy > 0) {
    st->rho[st->head] = 1.0 / sy;
    st->head = (st->head + 1) % st->m;
    if (st->k < st->m) st->k++;
  }
  memcpy(st->x, st->xn, (size_t)n * sizeof(double));
  memcpy(st->g, st->gn, (size_t)n * sizeof(double));
  st->f = fn;
  st->iter++;
  if ((F - Fn) <= st->ftol * fmax(fmax(fabs(F), fabs(Fn)), 1.0) ||
      pseudo_gradient(st, st->x, st->g, st->pg) <= st->gtol)
    st->converged = 1;
done:
  return rc;
}

/* Saved layout: x, g, s, y, rho (doubles), f, then k, head, have_fg, converged (int32), iter, n_evals (int64). */
size_t tb_lbfgs_state_bytes(const tb_lbfgs *st) {
  size_t N = (size_t)st->n, M = (size_t)st->m;
  return (2 * N + 2 * M * N + M + 1) * sizeof(double) + 4 * sizeof(int32_t) + 2 * sizeof(int64_t);
}

#define PUT(p, src, bytes) (memcpy((p), (src), (bytes)), (p) += (bytes))
#define GET(p, dst, bytes) (memcpy((dst), (p), (bytes)), (p) += (bytes))

void tb_lbfgs_save(const tb_lbfgs *st, void *buf) {
  unsigned char *p = buf;
  size_t N = (size_t)st->n, M = (size_t)st->m;
  PUT(p, st->x, N * sizeof(double));
  PUT(p, st->g, N * sizeof(double));
  PUT(p, st->s, M * N * sizeof(double));
  PUT(p, st->y, M * N * sizeof(double));
  PUT(p, st->rho, M * sizeof(double));
  PUT(p, &st->f, sizeof st->f);
  PUT(p, &st->k, sizeof st->k);
  PUT(p, &st->head, sizeof st->head);
  PUT(p, &st->have_fg, sizeof st->have_fg);
  PUT(p, &st->converged, sizeof st->converged);
  PUT(p, &st->iter, sizeof st->iter);
  PUT(p, &st->n_evals, sizeof st->n_evals);
}

void tb_lbfgs_restore(tb_lbfgs *st, const void *buf) {
  const unsigned char *p = buf;
  size_t N = (size_t)st->n, M = (size_t)st->m;
  GET(p, st->x, N * sizeof(double));
  GET(p, st->g, N * sizeof(double));
  GET(p, st->s, M * N * sizeof(double));
  GET(p, st->y, M * N * sizeof(double));
  GET(p, st->rho, M * sizeof(double));
  GET(p, &st->f, sizeof st->f);
  GET(p, &st->k, sizeof st->k);
  GET(p, &st->head, sizeof st->head);
  GET(p, &st->have_fg, sizeof st->have_fg);
  GET(p, &st->converged, sizeof st->converged);
  GET(p, &st->iter, sizeof st->iter);
  GET(p, &st->n_evals, sizeof st->n_evals);
}
