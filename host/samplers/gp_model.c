/* gp_model.c: the Gaussian process behind the GP-BO sampler: ARD Matern 5/2 kernel with its gradient, the
 * negative log marginal likelihood (plus log-normal priors) with analytic gradient, the multi-start L-BFGS fit
 * (NLopt), the Cholesky posterior (LAPACKE, jitter when needed) with O(n^2) appends and predictions.
 * Not the sampler (gp.c) nor the acquisitions (gp_acq.c). Tested by tests/test_sampler_gp.c (kernel gradient vs
 * finite differences, lengthscale recovery, interpolation of noiseless data).
 *
 * Storage: L is row-major lower with leading dimension cap; viewed column-major it is the upper factor U = L^T,
 * which is what LAPACKE_dpotrf(COL_MAJOR, 'U') produces in place without a transposed copy. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

#include "gp_impl.h"

#define SQRT5 2.23606797749979
#define LOG_2PI 1.8378770664093453

int tb_gp_init(tb_gp *g, int D, size_t cap) {
  memset(g, 0, sizeof *g);
  g->D = D;
  if (cap < 8) cap = 8;
  g->cap = cap;
  g->X = malloc(cap * (size_t)D * sizeof *g->X + 1);
  g->Xs = malloc(cap * (size_t)D * sizeof *g->Xs + 1);
  g->y = malloc(cap * sizeof *g->y);
  g->theta = malloc((size_t)(D + 2) * sizeof *g->theta);
  g->L = malloc(cap * cap * sizeof *g->L);
  g->alpha = malloc(cap * sizeof *g->alpha);
  if (!g->X || !g->Xs || !g->y || !g->theta || !g->L || !g->alpha) {
    tb_gp_release(g);
    return tb_error_set(TB_ERR_NOMEM, "sampler gp: out of host memory for %zu points", cap);
  }
  tb_gp_prior_mean(D, g->theta, NULL);
  return TB_OK;
}

void tb_gp_release(tb_gp *g) {
  free(g->X);
  free(g->Xs);
  free(g->y);
  free(g->theta);
  free(g->L);
  free(g->alpha);
  memset(g, 0, sizeof *g);
}

/* Grows the capacity to at least need, keeping X, y, L (re-strided) and alpha. */
static int gp_grow(tb_gp *g, size_t need) {
  if (need <= g->cap) return TB_OK;
  size_t cap = g->cap * 2 > need ? g->cap * 2 : need;
  double *X = realloc(g->X, cap * (size_t)g->D * sizeof *X + 1);
  if (X) g->X = X;
  double *Xs = realloc(g->Xs, cap * (size_t)g->D * sizeof *Xs + 1);
  if (Xs) g->Xs = Xs;
  double *y = realloc(g->y, cap * sizeof *y);
  if (y) g->y = y;
  double *a = realloc(g->alpha, cap * sizeof *a);
  if (a) g->alpha = a;
  double *L = malloc(cap * cap * sizeof *L);
  if (!X || !Xs || !y || !a || !L) {
    free(L);
    return tb_error_set(TB_ERR_NOMEM, "sampler gp: out of host memory for %zu points", cap);
  }
  for (size_t i = 0; i < g->n; i++) memcpy(L + i * cap, g->L + i * g->cap, (i + 1) * sizeof *L);
  free(g->L);
  g->L = L;
  g->cap = cap;
  return TB_OK;
}

int tb_gp_set_data(tb_gp *g, const double *X, const double *y, size_t n) {
  int rc = gp_grow(g, n);
  if (rc < 0) return rc;
  memcpy(g->X, X, n * (size_t)g->D * sizeof *X);
  memcpy(g->y, y, n * sizeof *y);
  g->n = n;
  return TB_OK;
}

/* k = amp (1 + s + s^2/3) exp(-s), s = sqrt(5 r^2), r^2 = sum_d (a_d - b_d)^2 / l_d^2. The inner loops work on
 * inputs already divided by the lengthscales (Xs), so a kernel entry costs one sqrt and one exp. */
static inline double mat52(double r2, double amp, double *dk_dr2) {
  double s = SQRT5 * sqrt(r2), e = exp(-s);
  if (dk_dr2) *dk_dr2 = -amp * (5.0 / 6.0) * (1.0 + s) * e; /* finite at r = 0 */
  return amp * (1.0 + s + s * s / 3.0) * e;
}

static inline double sqdist(const double *a, const double *b, int D) {
  double r2 = 0;
  for (int d = 0; d < D; d++) r2 += (a[d] - b[d]) * (a[d] - b[d]);
  return r2;
}

/* Xs (n, D) = X / lengthscale */
static void scale_inputs(const double *X, size_t n, int D, const double *theta, double *Xs) {
  double il[D];
  for (int d = 0; d < D; d++) il[d] = exp(-theta[d]);
  for (size_t i = 0; i < n; i++)
    for (int d = 0; d < D; d++) Xs[i * (size_t)D + (size_t)d] = X[i * (size_t)D + (size_t)d] * il[d];
}

double tb_gp_kernel(const double *theta, int D, const double *a, const double *b, double *dk) {
  double r2 = 0, t[D], dk_dr2;
  for (int d = 0; d < D; d++) {
    t[d] = (a[d] - b[d]) * exp(-theta[d]);
    r2 += t[d] * t[d];
  }
  double k = mat52(r2, exp(theta[D]), &dk_dr2);
  if (dk) {
    for (int d = 0; d < D; d++) dk[d] = dk_dr2 * (-2.0 * t[d] * t[d]);
    dk[D] = k;
  }
  return k;
}

void tb_gp_prior_mean(int D, double *theta, double *sd) {
  /* lengthscales: log-normal around sqrt(D)/2 (longer in more dimensions), sd 1.5; signal variance: log-normal
   * around 1 (standardised outputs), sd 1; noise variance: log-normal around 1e-3, sd 3. */
  for (int d = 0; d < D; d++) {
    theta[d] = log(0.5 * sqrt((double)D));
    if (sd) sd[d] = 1.5;
  }
  theta[D] = 0.0;
  theta[D + 1] = log(1e-3);
  if (sd) {
    sd[D] = 1.0;
    sd[D + 1] = 3.0;
  }
}

void tb_gp_clip(int D, double *theta) {
  for (int j = 0; j < D + 2; j++) {
    double lo = j < D ? TB_GP_LOG_LS_LO : j == D ? TB_GP_LOG_AMP_LO : TB_GP_LOG_NOISE_LO;
    double hi = j < D ? TB_GP_LOG_LS_HI : j == D ? TB_GP_LOG_AMP_HI : TB_GP_LOG_NOISE_HI;
    theta[j] = theta[j] < lo ? lo : theta[j] > hi ? hi : theta[j];
  }
}

double tb_gp_log_prior(const double *theta, int D, double *grad) {
  double mean[D + 2], sd[D + 2], lp = 0;
  tb_gp_prior_mean(D, mean, sd);
  for (int j = 0; j < D + 2; j++) {
    double z = (theta[j] - mean[j]) / sd[j];
    lp += -0.5 * z * z;
    if (grad) grad[j] = -z / sd[j];
  }
  return lp;
}

/* A (n, n) row-major lower (leading dim lda) = K + (noise + jitter) I for scaled inputs Xs (n, D). */
static void build_K(const double *Xs, size_t n, int D, const double *theta, double jitter, double *A, size_t lda) {
  double noise = exp(theta[D + 1]), amp = exp(theta[D]);
  for (size_t a = 0; a < n; a++) {
    for (size_t b = 0; b < a; b++) A[a * lda + b] = mat52(sqdist(Xs + a * (size_t)D, Xs + b * (size_t)D, D), amp, NULL);
    A[a * lda + a] = amp + noise + jitter;
  }
}

/* Cholesky of A in place (see the storage note at the top), retrying with growing jitter; *jit gets the jitter. */
static int chol_jitter(const double *Xs, size_t n, int D, const double *theta, double *A, size_t lda, double *jit) {
  double amp = exp(theta[D]);
  double jitters[] = {0.0, 1e-10, 1e-8, 1e-6, 1e-4};
  for (size_t t = 0; t < sizeof jitters / sizeof *jitters; t++) {
    build_K(Xs, n, D, theta, jitters[t] * amp, A, lda);
    if (n == 0 || LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)n, A, (lapack_int)lda) == 0) {
      *jit = jitters[t] * amp;
      return TB_OK;
    }
  }
  return tb_error_set(TB_ERR_RANGE, "sampler gp: kernel matrix of %zu points is not positive definite", n);
}

double tb_gp_nlml(const tb_gp *g, const double *theta, double *grad) {
  size_t n = g->n;
  int D = g->D;
  double *A = calloc(n * n + n + n * (size_t)D + 1, sizeof *A), jit, val = HUGE_VAL;
  if (!A) return HUGE_VAL;
  double *alpha = A + n * n, *Xs = alpha + n;
  scale_inputs(g->X, n, D, theta, Xs);
  if (chol_jitter(Xs, n, D, theta, A, n, &jit) < 0) goto done;
  memcpy(alpha, g->y, n * sizeof *alpha);
  LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', (lapack_int)n, 1, A, (lapack_int)n, alpha, (lapack_int)n);
  val = 0.5 * (double)n * LOG_2PI;
  for (size_t a = 0; a < n; a++) val += 0.5 * g->y[a] * alpha[a] + log(A[a * n + a]);
  val -= tb_gp_log_prior(theta, D, grad);
  if (grad) {
    /* d nlml / d theta_j = -1/2 tr((alpha alpha^T - K^-1) dK/dtheta_j); grad holds the prior's part so far */
    for (int j = 0; j < D + 2; j++) grad[j] = -grad[j];
    LAPACKE_dpotri(LAPACK_COL_MAJOR, 'U', (lapack_int)n, A, (lapack_int)n); /* lower of A = K^-1 */
    double gl[D], ga = 0, noise = exp(theta[D + 1]), amp = exp(theta[D]);
    for (int d = 0; d < D; d++) gl[d] = 0;
    for (size_t a = 0; a < n; a++) {
      const double *xa = Xs + a * (size_t)D;
      for (size_t b = 0; b < a; b++) {
        const double *xb = Xs + b * (size_t)D;
        double W = alpha[a] * alpha[b] - A[a * n + b], dk_dr2;
        ga += W * mat52(sqdist(xa, xb, D), amp, &dk_dr2);
        W *= dk_dr2;
        for (int d = 0; d < D; d++) gl[d] += W * (xa[d] - xb[d]) * (xa[d] - xb[d]);
      }
      double W = alpha[a] * alpha[a] - A[a * n + a];
      grad[D] -= 0.5 * W * amp;
      grad[D + 1] -= 0.5 * W * noise;
    }
    /* two symmetric entries times -1/2; dk/dlog l_d = dk/dr2 (-2 t_d^2) */
    for (int d = 0; d < D; d++) grad[d] += 2.0 * gl[d];
    grad[D] -= ga;
  }
done:
  free(A);
  return val;
}

typedef struct {
  const tb_gp *g;
} fit_ctx;

static double fit_objective(unsigned nv, const double *x, double *grad, void *data) {
  (void)nv;
  fit_ctx *c = data;
  double v = tb_gp_nlml(c->g, x, grad);
  if (!isfinite(v) && grad) memset(grad, 0, nv * sizeof *grad);
  return isfinite(v) ? v : 1e300;
}

int tb_gp_fit(tb_gp *g, const double *starts, int n_starts, int max_eval) {
  int D = g->D, rc = TB_OK;
  unsigned nv = (unsigned)(D + 2);
  double lo[D + 2], hi[D + 2], x[D + 2], best[D + 2], best_v = HUGE_VAL;
  for (int j = 0; j < D + 2; j++) {
    lo[j] = j < D ? TB_GP_LOG_LS_LO : j == D ? TB_GP_LOG_AMP_LO : TB_GP_LOG_NOISE_LO;
    hi[j] = j < D ? TB_GP_LOG_LS_HI : j == D ? TB_GP_LOG_AMP_HI : TB_GP_LOG_NOISE_HI;
  }
  nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, nv);
  if (!opt) return tb_error_set(TB_ERR_NOMEM, "sampler gp: nlopt_create failed");
  fit_ctx ctx = {g};
  nlopt_set_lower_bounds(opt, lo);
  nlopt_set_upper_bounds(opt, hi);
  nlopt_set_min_objective(opt, fit_objective, &ctx);
  nlopt_set_maxeval(opt, max_eval);
  nlopt_set_ftol_rel(opt, 1e-7);
  nlopt_set_xtol_rel(opt, 1e-5);
  for (int s = 0; s < n_starts; s++) {
    memcpy(x, starts + (size_t)s * nv, nv * sizeof *x);
    tb_gp_clip(D, x);
    double v = HUGE_VAL;
    nlopt_result r = nlopt_optimize(opt, x, &v);
    if (r == NLOPT_INVALID_ARGS || r == NLOPT_OUT_OF_MEMORY) continue;
    if (isfinite(v) && v < 1e300 && v < best_v) {
      best_v = v;
      memcpy(best, x, sizeof best);
    }
  }
  nlopt_destroy(opt);
  if (best_v < HUGE_VAL) memcpy(g->theta, best, sizeof best); /* else: keep the previous theta */
  return rc;
}

int tb_gp_factor(tb_gp *g) {
  scale_inputs(g->X, g->n, g->D, g->theta, g->Xs);
  int rc = chol_jitter(g->Xs, g->n, g->D, g->theta, g->L, g->cap, &g->jitter);
  if (rc < 0) return rc;
  memcpy(g->alpha, g->y, g->n * sizeof *g->alpha);
  if (g->n)
    LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', (lapack_int)g->n, 1, g->L, (lapack_int)g->cap, g->alpha,
                   (lapack_int)g->n);
  return TB_OK;
}

int tb_gp_append(tb_gp *g, const double *x, double y) {
  int rc = gp_grow(g, g->n + 1), D = g->D;
  if (rc < 0) return rc;
  size_t n = g->n, cap = g->cap;
  double *row = g->L + n * cap, ss = 0, amp = exp(g->theta[D]);
  memcpy(g->X + n * (size_t)D, x, (size_t)D * sizeof *x);
  scale_inputs(x, 1, D, g->theta, g->Xs + n * (size_t)D);
  const double *xs = g->Xs + n * (size_t)D;
  for (size_t i = 0; i < n; i++) row[i] = mat52(sqdist(g->Xs + i * (size_t)D, xs, D), amp, NULL);
  if (n) cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, g->L, (int)cap, row, 1);
  for (size_t i = 0; i < n; i++) ss += row[i] * row[i];
  double d2 = amp + exp(g->theta[D + 1]) + g->jitter - ss;
  row[n] = sqrt(d2 > 1e-10 * amp ? d2 : 1e-10 * amp);
  g->y[n] = y;
  g->n = n + 1;
  memcpy(g->alpha, g->y, g->n * sizeof *g->alpha);
  LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', (lapack_int)g->n, 1, g->L, (lapack_int)cap, g->alpha, (lapack_int)g->n);
  return TB_OK;
}

void tb_gp_predict(const tb_gp *g, const double *x, double *mu, double *var, double *dmu, double *dvar,
                   double *work) {
  size_t n = g->n;
  int D = g->D;
  double *k = work, *v = work + n, *dr2 = work + 2 * n, amp = exp(g->theta[D]), m = 0, ss = 0, xs[D];
  scale_inputs(x, 1, D, g->theta, xs);
  for (size_t i = 0; i < n; i++) {
    k[i] = mat52(sqdist(xs, g->Xs + i * (size_t)D, D), amp, dr2 + i);
    m += k[i] * g->alpha[i];
  }
  memcpy(v, k, n * sizeof *v);
  if (n) cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, g->L, (int)g->cap, v, 1);
  for (size_t i = 0; i < n; i++) ss += v[i] * v[i];
  *mu = m;
  *var = amp - ss > 1e-12 * amp ? amp - ss : 1e-12 * amp;
  if (!dmu && !dvar) return;
  /* w = K^-1 k; d var / dx = -2 sum_i w_i dk_i/dx, dk_i/dx_d = dk/dr2 * 2 (x_d - X_id) / l_d^2 */
  if (n) cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, g->L, (int)g->cap, v, 1);
  for (int d = 0; d < D; d++) {
    double il = exp(-g->theta[d]), sm = 0, sv = 0;
    for (size_t i = 0; i < n; i++) {
      double dk = dr2[i] * 2.0 * (xs[d] - g->Xs[i * (size_t)D + (size_t)d]) * il;
      sm += g->alpha[i] * dk;
      sv += v[i] * dk;
    }
    if (dmu) dmu[d] = sm;
    if (dvar) dvar[d] = *var > 1e-12 * amp ? -2.0 * sv : 0.0;
  }
}

void tb_gp_predict_many(const tb_gp *g, const double *Xs, size_t m, double *mu, double *var, double *work) {
  size_t n = g->n;
  int D = g->D;
  double amp = exp(g->theta[D]), xs[D];
  for (size_t j = 0; j < m; j++) {
    double s = 0;
    scale_inputs(Xs + j * (size_t)D, 1, D, g->theta, xs);
    for (size_t i = 0; i < n; i++) {
      work[j * n + i] = mat52(sqdist(xs, g->Xs + i * (size_t)D, D), amp, NULL);
      s += work[j * n + i] * g->alpha[i];
    }
    mu[j] = s;
  }
  if (n)
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)m, (int)n, 1.0, g->L,
                (int)g->cap, work, (int)n);
  for (size_t j = 0; j < m; j++) {
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += work[j * n + i] * work[j * n + i];
    var[j] = amp - ss > 1e-12 * amp ? amp - ss : 1e-12 * amp;
  }
}
