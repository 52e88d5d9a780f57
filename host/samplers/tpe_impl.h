/* tpe_impl.h: internal to the TPE sampler (host/samplers/tpe.c drives it, host/samplers/tpe_parzen.c holds the Parzen
 * estimators). Everything lives in the unit interval [0, 1] of each parameter (tb_space_to_unit: log dimensions warped,
 * ints at their cell centres), so a numeric parameter's estimator is a mixture of normals truncated to [0, 1] whose
 * last kernel is the prior (mu 0.5, sigma 1). Not a public interface. Tested through tests/test_sampler_tpe.c. */
#ifndef TB_TPE_IMPL_H
#define TB_TPE_IMPL_H
#include "sampler_impl.h"

typedef struct tb_tpe_opts {
  double prior_weight;     /* weight of the prior kernel (the observations' weights sum as given) */
  int consider_endpoints;  /* 1: the outermost kernels' sigma also sees the gap to 0 / 1 */
  int consider_magic_clip; /* 1: sigma clipped below at 1 / min(100, n_kernels + 1)^clip_exponent */
  double clip_exponent;    /* the magic clip's exponent (Watanabe 2023's alpha; hyperopt and Optuna: 1); 0 means 1 */
  int density_scaled;      /* 1: kernel densities divide by sigma (a true density); 0: Optuna 3.1's score, where
                            * truncnorm.logpdf omits -log(sigma) (Optuna issue #5109, fixed in 3.5), so each
                            * kernel counts in proportion to w_k sigma_k. Sampling is the same either way. */
  double min_bandwidth;    /* sigma >= this (unit range) besides the magic clip: Watanabe 2023's Delta; 0 = none */
  int mv_gaps;             /* multivariate: 1 each kernel's sigma per dimension by the univariate gap rule
                            * (hyperopt's heuristic, as Watanabe 2023's TPE); 0 Optuna's 0.2 n^(-1/(m+4)) */
} tb_tpe_opts;

/* Univariate numeric estimator: kernels 0..n-2 at the sorted observations, kernel n-1 the prior. Arrays are owned
 * and grown by tb_tpe_kde_fit. Kernels are grouped in blocks of TB_TPE_BLOCK (sorted means, the block's largest
 * sigma) so that log_pdf skips blocks whose kernels are all farther than sqrt(zc2) sigmas away. */
#define TB_TPE_BLOCK 16
typedef struct tb_tpe_kde {
  int n, cap;
  double *mu, *sigma;      /* (n) */
  double *inv_sigma;       /* (n) 1 / sigma */
  double *coef;            /* (n) w_k / (sqrt(2 pi) sigma_k Z_k), Z_k the kernel's mass inside [0, 1]; without the
                            * sigma_k when o->density_scaled is 0 (then log_pdf is Optuna 3.1's score, not a density) */
  double *cumw;            /* (n) cumulative normalised weights, for choosing a kernel */
  double *wz;              /* (n) w_k / Z_k, for cell masses (log_mass) */
  double *bsig;            /* (n / TB_TPE_BLOCK + 1) largest sigma of each block of observation kernels */
  double zc2;              /* squared cut-off in sigmas: the skipped terms sum to < 1e-20 of the density */
  double zm2;              /* the same for cell masses (log_mass) */
  double *scratch;         /* (n + 1) the sorted means with the prior mean merged in */
} tb_tpe_kde;

/* Fits the estimator to obs (n_obs unit values sorted ascending; ties in trial order) with weights w (n_obs, > 0,
 * not normalised; the prior gets o->prior_weight). sigma_k is the larger gap to the sorted neighbours (prior mean
 * 0.5 included, before equal values: Optuna 3.1's rule), clipped to [1 / min(100, n_obs + 2)^clip_exponent, 1] with
 * the magic clip.
 * Returns TB_OK or TB_ERR_NOMEM. */
int tb_tpe_kde_fit(tb_tpe_kde *k, const double *obs, const double *w, int n_obs, const tb_tpe_opts *o);
/* One draw in [0, 1) from the sampler's stream: pick a kernel by weight, then its truncated normal. */
double tb_tpe_kde_sample(const tb_tpe_kde *k, tb_sampler *s);
double tb_tpe_kde_log_pdf(const tb_tpe_kde *k, double u);
/* log of the mixture's mass on the cell [a, b] (0 <= a < b <= 1): Optuna's score for int parameters, which are
 * scored by the probability of the value (the cell's mass), not a density. Independent of density_scaled. */
double tb_tpe_kde_log_mass(const tb_tpe_kde *k, double a, double b);
void tb_tpe_kde_free(tb_tpe_kde *k);

/* Univariate categorical estimator (Optuna): kernel k < n_obs puts (a + [c == obs_k]) / (n_choices a + 1) on c
 * with a = prior_weight / (n_obs + 1); the prior kernel is uniform. p (n_choices) receives the mixture. */
void tb_tpe_cat_fit(double *p, int n_choices, const int *obs, const double *w, int n_obs, double prior_weight);
int tb_tpe_cat_sample(const double *p, int n_choices, tb_sampler *s);

/* Multivariate estimator (Optuna's multivariate TPE): a mixture of products over m dimensions; numeric dims use
 * one sigma for all observation kernels, 0.2 n^(-1/(m+4)) (clipped like the univariate one), or with o->mv_gaps
 * each kernel's own sigma per dimension from the univariate gap rule; the prior kernel mu 0.5 sigma 1 / uniform
 * categories. */
typedef struct tb_tpe_mix {
  int n, m, cap_n, cap_m;
  int *n_choices;          /* (m) 0 = numeric dimension, else the categorical's choice count */
  double *mu;              /* (n, m) unit values; categorical dims hold the category index */
  double *inv_sigma;       /* (n, m) */
  double *lnorm;           /* (n, m) numeric: -log(sqrt(2 pi) sigma Z); categorical: log of the observed row value */
  double *lother;          /* (n, m) categorical: log of the row value for other choices */
  double *lw, *cumw;       /* (n) log normalised weights, cumulative weights */
  double *lt;              /* (n) scratch for log_pdf */
  double *lmax;            /* (n) upper bound of a kernel's log term anywhere: lw + sum of its per-dim maxima */
} tb_tpe_mix;

/* obs (n_obs, m) row-major: unit values for numeric dims, category indices for categorical dims. */
int tb_tpe_mix_fit(tb_tpe_mix *k, const double *obs, const double *w, int n_obs, int m, const int *n_choices,
                   const tb_tpe_opts *o);
/* Writes one joint draw into x (m): unit values / category indices. */
void tb_tpe_mix_sample(const tb_tpe_mix *k, tb_sampler *s, double *x);
double tb_tpe_mix_log_pdf(const tb_tpe_mix *k, const double *x);
void tb_tpe_mix_free(tb_tpe_mix *k);

/* Observation weights (n): Optuna's default (1 for n < 25, else a ramp from 1/n to 1 over the oldest n - 25 and
 * 1 for the 25 newest) when mode is 0, all ones otherwise. Observations are in trial order. (The EI weights of
 * weights=ei depend on the values and are set in host/samplers/tpe.c.) */
void tb_tpe_weights(int n, int mode, double *w);

/* Truncated standard-normal-based draw: mu + sigma N(0,1) restricted to [0, 1) by rejection. */
double tb_tpe_truncnorm(tb_sampler *s, double mu, double sigma);
#endif
