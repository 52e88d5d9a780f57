/* gp_impl.h: internal to the GP Bayesian-optimisation sampler (host/samplers/gp.c, gp_model.c, gp_acq.c). The Gaussian
 * process model (ARD Matern 5/2 kernel, marginal-likelihood fit, Cholesky posterior), the feature encoding of a
 * configuration, and the acquisition functions with their optimiser. Not a public API: only gp.c's vtable is
 * reachable from outside (through tb_sampler_create("gp", ...)). Tested by tests/test_sampler_gp.c. */
#ifndef TB_GP_IMPL_H
#define TB_GP_IMPL_H
#include <stddef.h>

#include "sampler_impl.h"

/* ---- model (gp_model.c) ---- */

/* Hyperparameters theta (D + 2): log lengthscale per feature, log signal variance, log noise variance. */
#define TB_GP_LOG_LS_LO (-4.6)  /* lengthscale in [0.01, 100] on the unit cube */
#define TB_GP_LOG_LS_HI 4.6
#define TB_GP_LOG_AMP_LO (-6.9) /* signal variance in [1e-3, 100] (outputs are standardised) */
#define TB_GP_LOG_AMP_HI 4.6
#define TB_GP_LOG_NOISE_LO (-13.8) /* noise variance in [1e-6, 1] */
#define TB_GP_LOG_NOISE_HI 0.0

typedef struct tb_gp {
  int D;          /* feature dimension */
  size_t n, cap;  /* points held / capacity */
  double *X;      /* (cap, D) features, row-major */
  double *Xs;     /* (cap, D) features divided by the lengthscales (set by factor and append) */
  double *y;      /* (cap) standardised targets */
  double *theta;  /* (D + 2) */
  double *L;      /* (cap, cap) row-major: lower Cholesky factor of K + noise I (+ jitter), leading dim cap */
  double *alpha;  /* (cap) (K + noise I)^-1 y */
  double jitter;  /* what factor() had to add to the diagonal */
} tb_gp;

int tb_gp_init(tb_gp *g, int D, size_t cap);
void tb_gp_release(tb_gp *g);
/* Replaces the data by X (n, D), y (n); does not factor. */
int tb_gp_set_data(tb_gp *g, const double *X, const double *y, size_t n);

/* k(a, b) for the Matern 5/2 ARD kernel (no noise); when dk_dtheta (D + 1) is not NULL it receives the
 * derivatives with respect to the D log lengthscales and the log signal variance. */
double tb_gp_kernel(const double *theta, int D, const double *a, const double *b, double *dk_dtheta);

/* Negative log marginal likelihood minus log prior at theta (D + 2) for the data in g, and its gradient (may be
 * NULL). Returns HUGE_VAL when K cannot be factored. */
double tb_gp_nlml(const tb_gp *g, const double *theta, double *grad);
/* The log prior of theta (documented in docs/samplers.md, "GP-BO"), and its gradient (may be NULL). */
double tb_gp_log_prior(const double *theta, int D, double *grad);
/* The prior's mean (D + 2), used as the first start of a fit; sd (may be NULL) its standard deviations. */
void tb_gp_prior_mean(int D, double *theta, double *sd);
/* Clips theta (D + 2) into the fit's bounds. */
void tb_gp_clip(int D, double *theta);

/* Fits g->theta by L-BFGS (NLopt) with bounds, from each of starts (n_starts, D + 2); keeps the best. */
int tb_gp_fit(tb_gp *g, const double *starts, int n_starts, int max_eval);

/* Cholesky of K + noise I with the current theta (jitter added when needed) and alpha. */
int tb_gp_factor(tb_gp *g);
/* Appends (x, y) and extends L and alpha in O(n^2) without refitting theta. */
int tb_gp_append(tb_gp *g, const double *x, double y);

/* Posterior mean and latent variance at x (D). dmu, dvar (D) may be NULL; work has room for 3 n. */
void tb_gp_predict(const tb_gp *g, const double *x, double *mu, double *var, double *dmu, double *dvar,
                   double *work);
/* Mean and variance at m points Xs (m, D); work has room for m n. */
void tb_gp_predict_many(const tb_gp *g, const double *Xs, size_t m, double *mu, double *var, double *work);

/* ---- encoding (gp_acq.c) ---- */

/* Features of a configuration: a float or int parameter is its unit-cube value (log warped, 0.5 when inactive);
 * a categorical is one-hot over its choices (all zero when inactive); a fixed parameter has none. */
typedef struct tb_gp_enc {
  int dim, D;
  int *off;  /* (dim) first feature of parameter i, -1 for fixed */
} tb_gp_enc;

int tb_gp_enc_init(tb_gp_enc *e, const tb_space *sp);
void tb_gp_enc_release(tb_gp_enc *e);
/* x (dim) -> f (D); u (dim) is scratch. */
void tb_gp_encode(const tb_gp_enc *e, const tb_space *sp, const double *x, double *u, double *f);

/* ---- acquisitions (gp_acq.c) ---- */

typedef enum { TB_GP_ACQ_EI = 0, TB_GP_ACQ_LOGEI = 1, TB_GP_ACQ_UCB = 2, TB_GP_ACQ_PI = 3 } tb_gp_acq_kind;

typedef struct tb_gp_acq {
  tb_gp_acq_kind kind;
  double best;  /* smallest standardised observation */
  double xi;    /* EI/PI/log-EI margin, in standardised units */
  double beta;  /* UCB: a = -(mu - sqrt(beta) sigma) */
} tb_gp_acq;

/* log(z Phi(z) + phi(z)), stable for very negative z; *dlog (may be NULL) gets its derivative in z. */
double tb_gp_log_h(double z, double *dlog);
/* Acquisition to maximise at posterior (mu, sigma); da_dmu, da_dsigma may be NULL. */
double tb_gp_acq_value(const tb_gp_acq *a, double mu, double sigma, double *da_dmu, double *da_dsigma);

/* Options of the acquisition optimiser. */
typedef struct tb_gp_opt {
  int n_candidates;  /* quasi-random candidates */
  int n_local;       /* L-BFGS starts from the best candidates */
  int local_max_eval;
} tb_gp_opt;

/* Picks the next configuration x (dim): candidates (shifted Sobol, or Halton above 40 dims, plus perturbations of
 * the n_near best observations x_near (n_near, dim)), L-BFGS on the active float/int coordinates from the best
 * few with categoricals held, then one sweep over each categorical's choices. Random draws come from s. */
int tb_gp_acq_optimize(tb_sampler *s, const tb_gp *g, const tb_gp_enc *e, const tb_gp_acq *a,
                       const tb_gp_opt *o, const double *x_near, int n_near, double *x);

/* Quasi-random point number k of the (dim)-dimensional sequence, shifted by shift (dim) modulo 1: GSL Sobol up to
 * 40 dimensions, Halton above. Writes u (dim) in [0, 1). */
int tb_gp_qrng_points(int dim, size_t first, size_t count, const double *shift, double *u);
#endif
