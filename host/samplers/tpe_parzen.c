/* tpe_parzen.c: the Parzen estimators of the TPE sampler (Bergstra et al. 2011, with Optuna's bandwidth, prior and
 * weight rules): univariate numeric (truncated-normal mixture on [0, 1]), univariate categorical, and the
 * multivariate mixture of products. Pure numerics on unit-interval values; it knows nothing of the trial history
 * (host/samplers/tpe.c builds the observation sets). Not a general KDE: bandwidths follow TPE's rules only.
 * Tested through tests/test_sampler_tpe.c, which checks the densities against a double reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tpe_impl.h"

#define SQRT_2PI 2.5066282746310002
#define SIGMA_EPS 1e-12 /* Optuna's EPS: the lower clip when the magic clip is off */

/* Mass of N(mu, sigma) inside [0, 1]. mu lies in [0, 1], so the mass is at least ~0.34 and erf is accurate. */
static double trunc_mass(double mu, double sigma) {
  double a = -mu / (sigma * M_SQRT2), b = (1.0 - mu) / (sigma * M_SQRT2);
  if (a <= -6.0 && b >= 6.0) return 1.0; /* erf(+-6) is +-1 in double: the exact result, without the calls */
  return 0.5 * (erf(b) - erf(a));
}

double tb_tpe_truncnorm(tb_sampler *s, double mu, double sigma) {
  /* Rejection from the full normal: with mu in [0, 1] and sigma <= 1 at least a third of the mass is inside, so
   * the loop ends after a few draws; the clamp only guards a pathological stream. */
  for (int it = 0; it < 1000; it++) {
    double x = mu + sigma * tb_sampler_normal(s);
    if (x >= 0.0 && x < 1.0) return x;
  }
  return mu < 1.0 ? (mu < 0.0 ? 0.0 : mu) : nextafter(1.0, 0.0);
}

void tb_tpe_weights(int n, int mode, double *w) {
  for (int i = 0; i < n; i++) w[i] = 1.0;
  if (mode != 0 || n <= 25) return;
  int ramp = n - 25; /* numpy.linspace(1/n, 1, n - 25) for the oldest observations */
  for (int i = 0; i < ramp; i++)
    w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (double)i * (1.0 - 1.0 / n) / (double)(ramp - 1);
}

static double min_sigma(int n_obs, const tb_tpe_opts *o) {
  double lo = SIGMA_EPS;
  if (o->consider_magic_clip) {
    double d = (double)n_obs + 2.0; /* 1 + n_kernels, the prior being a kernel */
    double a = o->clip_exponent > 0.0 ? o->clip_exponent : 1.0;
    lo = a == 1.0 ? 1.0 / (d < 100.0 ? d : 100.0) : pow(d < 100.0 ? d : 100.0, -a);
  }
  return lo > o->min_bandwidth ? lo : o->min_bandwidth;
}

static double clip(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Normalised weights: observations then the prior; the prior alone when there are no observations. */
static double weight_total(const double *w, int n_obs, double prior_weight) {
  double tot = prior_weight;
  for (int i = 0; i < n_obs; i++) tot += w[i];
  return tot;
}

/* ---- univariate numeric ------------------------------------------------------------------------------------ */

static int kde_reserve(tb_tpe_kde *k, int n) {
  if (n <= k->cap) return TB_OK;
  int cap = k->cap ? k->cap : 64;
  while (cap < n) cap *= 2;
  double **arr[] = {&k->mu, &k->sigma, &k->inv_sigma, &k->coef, &k->cumw, &k->bsig, &k->scratch, &k->wz};
  for (size_t a = 0; a < sizeof arr / sizeof *arr; a++) {
    double *p = realloc(*arr[a], (size_t)(cap + 1) * sizeof(double));
    if (!p) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory for %d kernels", cap);
    *arr[a] = p;
  }
  k->cap = cap;
  return TB_OK;
}

/* sigma (n_obs) of each sorted observation obs (ascending): the larger gap to its sorted neighbours among the
 * means with the prior mean 0.5 merged in before equal values (numpy.searchsorted, as Optuna 3.1), and the
 * endpoints 0 and 1 (Optuna's rule; the paper's "larger of the distances to the neighbours"), clipped to
 * [min_sigma, 1]. mg (n_obs + 1) is scratch. */
static void gap_sigmas(const double *obs, int n_obs, const tb_tpe_opts *o, double *mg, double *sigma) {
  int n = n_obs + 1, pos = 0; /* where the prior mean goes */
  while (pos < n_obs && obs[pos] < 0.5) pos++;
  memcpy(mg, obs, (size_t)pos * sizeof *mg);
  mg[pos] = 0.5;
  memcpy(mg + pos + 1, obs + pos, (size_t)(n_obs - pos) * sizeof *mg);
  double lo = min_sigma(n_obs, o);
  for (int j = 0; j < n; j++) {
    if (j == pos) continue;
    double left = mg[j] - (j > 0 ? mg[j - 1] : 0.0);
    double right = (j + 1 < n ? mg[j + 1] : 1.0) - mg[j];
    if (!o->consider_endpoints) {
      if (j == 0) left = right;     /* the first kernel ignores the gap to 0 */
      if (j == n - 1) right = left; /* the last ignores the gap to 1 */
    }
    sigma[j < pos ? j : j - 1] = clip(left > right ? left : right, lo, 1.0);
  }
}

int tb_tpe_kde_fit(tb_tpe_kde *k, const double *obs, const double *w, int n_obs, const tb_tpe_opts *o) {
  int n = n_obs + 1, rc = kde_reserve(k, n);
  if (rc < 0) return rc;
  k->n = n;
  memcpy(k->mu, obs, (size_t)n_obs * sizeof *obs);
  gap_sigmas(obs, n_obs, o, k->scratch, k->sigma);
  k->mu[n_obs] = 0.5;
  k->sigma[n_obs] = 1.0;
  double tot = n_obs ? weight_total(w, n_obs, o->prior_weight) : 1.0, cum = 0.0, cmax = 0.0, dmax = 0.0;
  for (int i = 0; i < n; i++) {
    double wi = (i < n_obs ? w[i] : (n_obs ? o->prior_weight : 1.0)) / tot;
    k->inv_sigma[i] = 1.0 / k->sigma[i];
    k->wz[i] = wi / trunc_mass(k->mu[i], k->sigma[i]);
    k->coef[i] = k->wz[i] / (SQRT_2PI * (o->density_scaled ? k->sigma[i] : 1.0));
    k->cumw[i] = (cum += wi);
    if (i < n_obs && k->coef[i] > cmax) cmax = k->coef[i];
    if (i < n_obs && k->wz[i] * k->inv_sigma[i] > dmax) dmax = k->wz[i] * k->inv_sigma[i];
  }
  for (int b = 0; b * TB_TPE_BLOCK < n_obs; b++) {
    double m = 0.0;
    for (int i = b * TB_TPE_BLOCK; i < n_obs && i < (b + 1) * TB_TPE_BLOCK; i++) m = k->sigma[i] > m ? k->sigma[i] : m;
    k->bsig[b] = m;
  }
  /* The prior term alone is at least coef_prior exp(-1/8) anywhere in [0, 1]; an observation term past z sigmas is
   * at most cmax exp(-z^2 / 2). Skipping every term past zc sigmas therefore changes the density by less than
   * 1e-20 of itself (far below double rounding); past z^2 = 1489 exp underflows anyway. */
  double zc2 = n_obs ? 2.0 * log((double)n_obs * cmax / (k->coef[n_obs] * exp(-0.125) * 1e-20)) : 1489.0;
  k->zc2 = isfinite(zc2) ? (zc2 < 1.0 ? 1.0 : (zc2 > 1489.0 ? 1489.0 : zc2)) : 1489.0;
  /* Cell masses: a kernel whose mean is d from the cell has mass <= width w_k / (sqrt(2 pi) sigma_k Z_k)
   * exp(-d^2 / (2 sigma_k^2)) there, the prior at least width w_p / (sqrt(2 pi) Z_p) exp(-1/8): same bound with
   * the true-density coefficients (dmax / sqrt(2 pi) against the prior's). */
  double zm2 = n_obs ? 2.0 * log((double)n_obs * dmax / (k->wz[n_obs] * exp(-0.125) * 1e-20)) : 1489.0;
  k->zm2 = isfinite(zm2) ? (zm2 < 1.0 ? 1.0 : (zm2 > 1489.0 ? 1489.0 : zm2)) : 1489.0;
  return TB_OK;
}

static int pick_kernel(const double *cumw, int n, tb_sampler *s) {
  double r = tb_sampler_uniform(s) * cumw[n - 1];
  int lo = 0, hi = n - 1; /* first k with cumw[k] > r */
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (cumw[mid] > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

double tb_tpe_kde_sample(const tb_tpe_kde *k, tb_sampler *s) {
  int j = pick_kernel(k->cumw, k->n, s);
  return tb_tpe_truncnorm(s, k->mu[j], k->sigma[j]);
}

double tb_tpe_kde_log_pdf(const tb_tpe_kde *k, double u) {
  /* Plain sum: the prior kernel (sigma 1) keeps it far above underflow unless prior_weight is tiny. */
  int n_obs = k->n - 1;
  double zp = (u - k->mu[n_obs]) * k->inv_sigma[n_obs], sum = k->coef[n_obs] * exp(-0.5 * zp * zp);
  for (int b = 0; b * TB_TPE_BLOCK < n_obs; b++) {
    int i0 = b * TB_TPE_BLOCK, i1 = i0 + TB_TPE_BLOCK < n_obs ? i0 + TB_TPE_BLOCK : n_obs;
    double d = u < k->mu[i0] ? k->mu[i0] - u : (u > k->mu[i1 - 1] ? u - k->mu[i1 - 1] : 0.0);
    if (d * d > k->zc2 * k->bsig[b] * k->bsig[b]) continue; /* every kernel of the block is past the cut-off */
    for (int j = i0; j < i1; j++) {
      double z = (u - k->mu[j]) * k->inv_sigma[j];
      if (z * z < k->zc2) sum += k->coef[j] * exp(-0.5 * z * z);
    }
  }
  if (sum > 0.0 && isfinite(sum)) return log(sum);
  double mx = -INFINITY, acc = 0.0; /* log-sum-exp over every kernel when the plain sum underflowed */
  for (int j = 0; j < k->n; j++) {
    double z = (u - k->mu[j]) * k->inv_sigma[j], t = log(k->coef[j]) - 0.5 * z * z;
    if (t > mx) mx = t;
  }
  if (mx == -INFINITY) return -INFINITY;
  for (int j = 0; j < k->n; j++) {
    double z = (u - k->mu[j]) * k->inv_sigma[j];
    acc += exp(log(k->coef[j]) - 0.5 * z * z - mx);
  }
  return mx + log(acc);
}

/* Mass of N(mu, sigma) on [a, b] with za <= zb the standardised ends, without cancellation in either tail. */
static double norm_mass(double za, double zb) {
  if (za > 0.0) return 0.5 * (erfc(za * M_SQRT1_2) - erfc(zb * M_SQRT1_2));
  if (zb < 0.0) return 0.5 * (erfc(-zb * M_SQRT1_2) - erfc(-za * M_SQRT1_2));
  return 1.0 - 0.5 * (erfc(-za * M_SQRT1_2) + erfc(zb * M_SQRT1_2));
}

double tb_tpe_kde_log_mass(const tb_tpe_kde *k, double a, double b) {
  int n_obs = k->n - 1;
  const double *mu = k->mu, *is = k->inv_sigma;
  double sum = k->wz[n_obs] * norm_mass((a - mu[n_obs]) * is[n_obs], (b - mu[n_obs]) * is[n_obs]);
  for (int blk = 0; blk * TB_TPE_BLOCK < n_obs; blk++) {
    int i0 = blk * TB_TPE_BLOCK, i1 = i0 + TB_TPE_BLOCK < n_obs ? i0 + TB_TPE_BLOCK : n_obs;
    double d = b < k->mu[i0] ? k->mu[i0] - b : (a > k->mu[i1 - 1] ? a - k->mu[i1 - 1] : 0.0);
    if (d * d > k->zm2 * k->bsig[blk] * k->bsig[blk]) continue; /* every kernel of the block is past the cut-off */
    for (int j = i0; j < i1; j++) {
      double dj = b < k->mu[j] ? k->mu[j] - b : (a > k->mu[j] ? a - k->mu[j] : 0.0), z = dj * k->inv_sigma[j];
      if (z * z < k->zm2) sum += k->wz[j] * norm_mass((a - mu[j]) * is[j], (b - mu[j]) * is[j]);
    }
  }
  return log(sum);
}

void tb_tpe_kde_free(tb_tpe_kde *k) {
  if (!k) return;
  free(k->mu);
  free(k->sigma);
  free(k->inv_sigma);
  free(k->coef);
  free(k->cumw);
  free(k->bsig);
  free(k->scratch);
  free(k->wz);
  memset(k, 0, sizeof *k);
}

/* ---- univariate categorical -------------------------------------------------------------------------------- */

void tb_tpe_cat_fit(double *p, int n_choices, const int *obs, const double *w, int n_obs, double prior_weight) {
  if (n_obs == 0) {
    for (int c = 0; c < n_choices; c++) p[c] = 1.0 / n_choices;
    return;
  }
  double tot = weight_total(w, n_obs, prior_weight), a = prior_weight / (n_obs + 1), row = n_choices * a + 1.0;
  double wobs = 0.0;
  for (int i = 0; i < n_obs; i++) wobs += w[i] / tot;
  double base = prior_weight / tot / n_choices + wobs * a / row;
  for (int c = 0; c < n_choices; c++) p[c] = base;
  for (int i = 0; i < n_obs; i++) p[obs[i]] += w[i] / tot / row;
}

int tb_tpe_cat_sample(const double *p, int n_choices, tb_sampler *s) {
  double tot = 0.0;
  for (int c = 0; c < n_choices; c++) tot += p[c];
  double r = tb_sampler_uniform(s) * tot, cum = 0.0;
  for (int c = 0; c < n_choices; c++)
    if (r < (cum += p[c])) return c;
  return n_choices - 1;
}

/* ---- multivariate ------------------------------------------------------------------------------------------ */

static int mix_reserve(tb_tpe_mix *k, int n, int m) {
  if (m > k->cap_m) {
    int *nc = realloc(k->n_choices, (size_t)m * sizeof *nc);
    if (!nc) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory");
    k->n_choices = nc;
    k->cap_m = m;
    k->cap_n = 0; /* the (n, m) arrays must grow too */
  }
  if (n <= k->cap_n) return TB_OK;
  int cap = k->cap_n ? k->cap_n : 64;
  while (cap < n) cap *= 2;
  size_t nm = (size_t)cap * (size_t)k->cap_m;
  double **big[] = {&k->mu, &k->inv_sigma, &k->lnorm, &k->lother};
  double **small[] = {&k->lw, &k->cumw, &k->lt, &k->lmax};
  for (size_t a = 0; a < sizeof big / sizeof *big; a++) {
    double *p = realloc(*big[a], nm * sizeof(double));
    if (!p) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory for %d kernels", cap);
    *big[a] = p;
  }
  for (size_t a = 0; a < sizeof small / sizeof *small; a++) {
    double *p = realloc(*small[a], (size_t)cap * sizeof(double));
    if (!p) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory for %d kernels", cap);
    *small[a] = p;
  }
  k->cap_n = cap;
  return TB_OK;
}

typedef struct {
  double u;
  int i;
} mix_key;

/* Sorts the n keys (values in [0, 1]) by value, ties by index (as the univariate sets: trial order), into out:
 * a stable counting sort on n buckets, then insertion sort, which finds the keys nearly in order (O(n) expected).
 * cnt (n + 1) is scratch. The result is the unique order of (u, i), as a comparison sort would give. */
static void sort_keys(const mix_key *key, int n, mix_key *out, int *cnt) {
  memset(cnt, 0, (size_t)(n + 1) * sizeof *cnt);
  for (int i = 0; i < n; i++) {
    int b = (int)(key[i].u * n);
    cnt[(b < 0 ? 0 : (b >= n ? n - 1 : b)) + 1]++;
  }
  for (int b = 0; b < n; b++) cnt[b + 1] += cnt[b];
  for (int i = 0; i < n; i++) {
    int b = (int)(key[i].u * n);
    out[cnt[b < 0 ? 0 : (b >= n ? n - 1 : b)]++] = key[i];
  }
  for (int i = 1; i < n; i++) {
    mix_key v = out[i];
    int j = i;
    for (; j > 0 && (out[j - 1].u > v.u || (out[j - 1].u == v.u && out[j - 1].i > v.i)); j--) out[j] = out[j - 1];
    out[j] = v;
  }
}

int tb_tpe_mix_fit(tb_tpe_mix *k, const double *obs, const double *w, int n_obs, int m, const int *n_choices,
                   const tb_tpe_opts *o) {
  int n = n_obs + 1, rc = mix_reserve(k, n, m);
  if (rc < 0) return rc;
  k->n = n;
  k->m = m;
  memcpy(k->n_choices, n_choices, (size_t)m * sizeof *n_choices);
  /* Scott-like rule of Optuna's multivariate TPE, in unit range: 0.2 n^(-1/(m+4)); with mv_gaps each kernel's
   * sigma per dimension from the univariate gap rule on that dimension's sorted values */
  double sig = clip(0.2 * pow(n_obs > 1 ? n_obs : 1, -1.0 / (m + 4)), min_sigma(n_obs, o), 1.0);
  if (o->mv_gaps && n_obs > 0) {
    mix_key *key = malloc((size_t)(2 * n_obs) * sizeof *key), *srt = key + n_obs;
    double *buf = malloc((size_t)(3 * n_obs + 1) * sizeof *buf);
    int *cnt = malloc((size_t)(n_obs + 1) * sizeof *cnt);
    if (!key || !buf || !cnt) {
      free(key);
      free(buf);
      free(cnt);
      return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory for %d kernels", n_obs);
    }
    double *sv = buf, *sg = buf + n_obs, *mg = buf + 2 * n_obs;
    for (int j = 0; j < m; j++) {
      if (n_choices[j]) continue;
      for (int i = 0; i < n_obs; i++) key[i] = (mix_key){obs[(size_t)i * (size_t)m + (size_t)j], i};
      sort_keys(key, n_obs, srt, cnt);
      for (int i = 0; i < n_obs; i++) sv[i] = srt[i].u;
      gap_sigmas(sv, n_obs, o, mg, sg);
      for (int i = 0; i < n_obs; i++) k->inv_sigma[(size_t)srt[i].i * (size_t)m + (size_t)j] = 1.0 / sg[i];
    }
    free(key);
    free(buf);
    free(cnt);
  }
  double a = o->prior_weight / n;
  for (int i = 0; i < n; i++) {
    int prior = i == n_obs;
    for (int j = 0; j < m; j++) {
      size_t ij = (size_t)i * (size_t)m + (size_t)j;
      int nc = n_choices[j];
      if (nc == 0) {
        double mu = prior ? 0.5 : obs[ij], sg = prior ? 1.0 : (o->mv_gaps ? 1.0 / k->inv_sigma[ij] : sig);
        k->mu[ij] = mu;
        k->inv_sigma[ij] = 1.0 / sg;
        k->lnorm[ij] = -log(SQRT_2PI * (o->density_scaled ? sg : 1.0) * trunc_mass(mu, sg));
        k->lother[ij] = 0.0;
      } else if (prior) {
        k->mu[ij] = -1.0;
        k->lnorm[ij] = k->lother[ij] = -log((double)nc);
        k->inv_sigma[ij] = 0.0;
      } else {
        double row = nc * a + 1.0;
        k->mu[ij] = obs[ij];
        k->lnorm[ij] = log((a + 1.0) / row);
        k->lother[ij] = log(a / row);
        k->inv_sigma[ij] = 0.0;
      }
    }
  }
  double tot = n_obs ? weight_total(w, n_obs, o->prior_weight) : 1.0, cum = 0.0;
  for (int i = 0; i < n; i++) {
    double wi = (i < n_obs ? w[i] : (n_obs ? o->prior_weight : 1.0)) / tot;
    k->lw[i] = log(wi);
    k->cumw[i] = (cum += wi);
    double lm = k->lw[i];
    for (int j = 0; j < m; j++) {
      size_t ij = (size_t)i * (size_t)m + (size_t)j;
      lm += n_choices[j] == 0 || k->lnorm[ij] > k->lother[ij] ? k->lnorm[ij] : k->lother[ij];
    }
    k->lmax[i] = lm;
  }
  return TB_OK;
}

void tb_tpe_mix_sample(const tb_tpe_mix *k, tb_sampler *s, double *x) {
  int i = pick_kernel(k->cumw, k->n, s), m = k->m;
  for (int j = 0; j < m; j++) {
    size_t ij = (size_t)i * (size_t)m + (size_t)j;
    int nc = k->n_choices[j];
    if (nc == 0) {
      x[j] = tb_tpe_truncnorm(s, k->mu[ij], 1.0 / k->inv_sigma[ij]);
      continue;
    }
    double r = tb_sampler_uniform(s), cum = 0.0;
    int c = 0;
    for (; c < nc - 1; c++)
      if (r < (cum += exp((double)c == k->mu[ij] ? k->lnorm[ij] : k->lother[ij]))) break;
    x[j] = c;
  }
}

/* Each kernel's log term starts from its upper bound lmax and loses what each dimension falls short of its maximum;
 * once the bound is MIX_CUT below the largest term so far the kernel is dropped (it adds < e^-MIX_CUT of that term:
 * with n <= 10^6 kernels the density changes by < 1e-15 of itself, below double rounding of the sum). */
#define MIX_CUT 50.0
double tb_tpe_mix_log_pdf(const tb_tpe_mix *k, const double *x) {
  int n = k->n, m = k->m;
  double mx = -INFINITY;
  for (int i = 0; i < n; i++) {
    double t = k->lmax[i];
    const double *mu = k->mu + (size_t)i * (size_t)m, *is = k->inv_sigma + (size_t)i * (size_t)m;
    const double *ln = k->lnorm + (size_t)i * (size_t)m, *lo = k->lother + (size_t)i * (size_t)m;
    for (int j = 0; j < m && t >= mx - MIX_CUT; j++) {
      if (k->n_choices[j] == 0) {
        double z = (x[j] - mu[j]) * is[j];
        t -= 0.5 * z * z;
      } else if (x[j] == mu[j]) {
        t -= ln[j] > lo[j] ? 0.0 : lo[j] - ln[j];
      } else {
        t -= lo[j] > ln[j] ? 0.0 : ln[j] - lo[j];
      }
    }
    k->lt[i] = t;
    if (t > mx) mx = t;
  }
  if (mx == -INFINITY) return -INFINITY;
  double acc = 0.0;
  for (int i = 0; i < n; i++)
    if (k->lt[i] >= mx - MIX_CUT) acc += exp(k->lt[i] - mx);
  return mx + log(acc);
}

void tb_tpe_mix_free(tb_tpe_mix *k) {
  if (!k) return;
  free(k->n_choices);
  free(k->mu);
  free(k->inv_sigma);
  free(k->lnorm);
  free(k->lother);
  free(k->lw);
  free(k->cumw);
  free(k->lt);
  free(k->lmax);
  memset(k, 0, sizeof *k);
}
