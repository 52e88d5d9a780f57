/* tpe.c: the Tree-structured Parzen Estimator sampler (Bergstra et al. 2011) with Optuna 3.1's conventions: the
 * trials are split at the gamma-quantile into a good set (density l) and the rest (density g); each suggestion
 * draws n_ei_candidates from l and keeps the one maximising log l - log g (EI is monotone in l/g; ints by their
 * cell's mass). By default the components Watanabe 2023 recommends (docs/samplers.md): all unconditional
 * parameters modelled jointly with per-dimension gap bandwidths, EI weights for the good set, gamma 0.15, sigma >=
 * 0.03 and the magic clip's exponent 1.15, true densities; preset=optuna31 gives Optuna 3.1's defaults (univariate:
 * one estimator per parameter, built from the trials where it was active, and its kernel score, see tpe_impl.h).
 * Conditional parameters stay univariate (like Optuna without `group`). Pending trials join the bad set as the
 * worst value with constant_liar=1. The first n_startup suggestions are uniform random.
 * This file builds the observation sets and picks candidates; host/samplers/tpe_parzen.c holds the estimators.
 * Not a GP or a multi-objective TPE. Options and defaults: docs/samplers.md. Tested by tests/test_sampler_tpe.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tpe_impl.h"

typedef struct {
  double u;
  size_t t;
} sorted_key;

typedef struct tpe {
  /* options */
  double gamma;
  int gamma_mode;     /* 0 optuna: n_below = min(ceil(gamma n), 25); 1 hyperopt: min(ceil(gamma sqrt(n)), 25) */
  long n_ei, n_startup;
  int multivariate, constant_liar, weights_mode; /* weights_mode: 0 optuna, 1 uniform, 2 ei */
  tb_tpe_opts o;
  /* unit-space rows of the history, cached: trial t's configuration never changes */
  double *uh;
  size_t uh_n, uh_cap;
  int *ent_of;             /* (uh_cap) trial -> its entry in this suggestion's observations, -1 when left out */
  /* per univariate numeric parameter: the history trials where it is active, sorted by unit value (ties in trial
   * order), kept up to date so that fitting an estimator needs no sort */
  unsigned char *sorted_param; /* (dim) 1 when parameter i keeps a list */
  sorted_key **srt;
  size_t *srt_n, *srt_cap;
  /* per-suggestion workspace (entries = observations: told trials, and pending ones as liars) */
  size_t cap;
  const double **ex, **eu; /* (cap) configuration and unit rows of each entry */
  int *ecls;               /* (cap) 0 complete, 1 pruned with a value, 2 pruned without one, 3 pending (liar) */
  double *eval;            /* (cap) minimised value */
  size_t ne_hist;          /* entries 0..ne_hist-1 are history trials, the rest this ask's earlier suggestions */
  int *by_rank;            /* (cap) entries from best to worst */
  unsigned char *below;    /* (cap) */
  double *ew;              /* (cap) weight of each entry in its set (set_weights) */
  double *wtb, *wta;       /* (cap) weight tables of the two sets by position in trial order */
  int *bsorted;            /* (n) this ask's earlier suggestions sorted by one parameter's unit value */
  double *ob, *oa, *wb, *wa; /* (cap) observations and weights of the good and bad sets */
  int *cb, *ca;            /* (cap) categorical observations */
  double *mb, *ma;         /* (cap, m) multivariate observations */
  double *ubatch;          /* (n, dim) unit rows of this ask's earlier suggestions */
  size_t ubatch_cap;
  int m, *joint, *joint_nc; /* multivariate: the m jointly modelled parameters and their choice counts */
  unsigned char *in_joint;  /* (dim) */
  double *cand, *u;        /* (n_ei, max(m, 1)), (dim) */
  tb_tpe_kde kl, kg;
  tb_tpe_mix ml, mg;
} tpe;

static void tpe_destroy(tb_sampler *s) {
  tpe *p = s->impl;
  if (!p) return;
  void *bufs[] = {p->uh,       p->ex,   p->eu,     p->ecls,   p->eval,    p->by_rank, p->below,
                  p->ew,       p->wtb,  p->wta,    p->bsorted, p->ob,      p->oa,      p->wb,
                  p->wa,       p->cb,   p->ca,     p->mb,     p->ma,      p->ubatch,  p->joint,
                  p->joint_nc, p->in_joint, p->cand, p->u,    p->ent_of,  p->sorted_param, p->srt_n,
                  p->srt_cap};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
  for (int i = 0; p->srt && i < s->dim; i++) free(p->srt[i]);
  free(p->srt);
  tb_tpe_kde_free(&p->kl);
  tb_tpe_kde_free(&p->kg);
  tb_tpe_mix_free(&p->ml);
  tb_tpe_mix_free(&p->mg);
  free(p);
  s->impl = NULL;
}

static int tpe_create(tb_sampler *s) {
  int rc = TB_OK;
  tpe *p = calloc(1, sizeof *p);
  if (!p) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory");
  s->impl = p;
  long endpoints = 0, clip = 1, mv = 1, liar = 0;
  int optuna31 = 0; /* preset=optuna31: Optuna 3.1's defaults (univariate, gamma 0.1, its weights and score) */
  p->n_ei = 24;
  p->n_startup = 10;
  p->o.prior_weight = 1.0;
  TB_TRY(tb_sampler_opt_enum(s, "preset", "default|optuna31", &optuna31));
  TB_TRY(tb_sampler_opt_enum(s, "gamma_mode", "optuna|hyperopt", &p->gamma_mode));
  /* defaults (docs/samplers.md): multivariate with per-dimension gap bandwidths, EI weights, true densities,
   * gamma 0.15, sigma >= 0.03 (Watanabe 2023's recommended components), the magic clip's exponent 1.15 (his alpha,
   * between hyperopt's 1 and his 2: docs/samplers.md); preset=optuna31 gives Optuna 3.1's */
  p->gamma = p->gamma_mode ? 0.25 : (optuna31 ? 0.1 : 0.15);
  mv = !optuna31;
  p->weights_mode = optuna31 ? 0 : 2;
  p->o.density_scaled = !optuna31;
  p->o.min_bandwidth = optuna31 ? 0.0 : 0.03;
  p->o.mv_gaps = !optuna31;
  p->o.clip_exponent = optuna31 ? 1.0 : 1.15;
  TB_TRY(tb_sampler_opt_double(s, "gamma", 1e-9, 1.0, &p->gamma));
  TB_TRY(tb_sampler_opt_double(s, "prior_weight", 1e-9, 1e9, &p->o.prior_weight));
  TB_TRY(tb_sampler_opt_long(s, "n_ei_candidates", 1, 100000, &p->n_ei));
  TB_TRY(tb_sampler_opt_long(s, "n_startup", 0, 1000000000L, &p->n_startup));
  TB_TRY(tb_sampler_opt_long(s, "consider_endpoints", 0, 1, &endpoints));
  TB_TRY(tb_sampler_opt_long(s, "consider_magic_clip", 0, 1, &clip));
  TB_TRY(tb_sampler_opt_long(s, "multivariate", 0, 1, &mv));
  TB_TRY(tb_sampler_opt_long(s, "constant_liar", 0, 1, &liar));
  TB_TRY(tb_sampler_opt_enum(s, "weights", "optuna|uniform|ei", &p->weights_mode));
  TB_TRY(tb_sampler_opt_double(s, "min_bandwidth", 0.0, 1.0, &p->o.min_bandwidth));
  TB_TRY(tb_sampler_opt_enum(s, "multivariate_bandwidth", "optuna|gaps", &p->o.mv_gaps));
  TB_TRY(tb_sampler_opt_enum(s, "score", "optuna31|density", &p->o.density_scaled));
  TB_TRY(tb_sampler_opt_double(s, "magic_clip_exponent", 0.5, 4.0, &p->o.clip_exponent));
  p->o.consider_endpoints = (int)endpoints;
  p->o.consider_magic_clip = (int)clip;
  p->multivariate = (int)mv;
  p->constant_liar = (int)liar;
  size_t dim = (size_t)s->dim;
  p->joint = calloc(dim, sizeof *p->joint);
  p->joint_nc = calloc(dim, sizeof *p->joint_nc);
  p->in_joint = calloc(dim, 1);
  p->u = calloc(dim, sizeof *p->u);
  p->sorted_param = calloc(dim, 1);
  p->srt = calloc(dim, sizeof *p->srt);
  p->srt_n = calloc(dim, sizeof *p->srt_n);
  p->srt_cap = calloc(dim, sizeof *p->srt_cap);
  if (!p->joint || !p->joint_nc || !p->in_joint || !p->u || !p->sorted_param || !p->srt || !p->srt_n ||
      !p->srt_cap)
    TB_FAIL(TB_ERR_NOMEM, "sampler tpe: out of host memory");
  for (int i = 0; i < s->dim; i++) {
    const tb_param *pr = tb_space_param(s->sp, i);
    if (pr->type == TB_PARAM_FIXED) continue;
    if (p->multivariate && pr->parent < 0) {
      p->in_joint[i] = 1;
      p->joint_nc[p->m] = pr->type == TB_PARAM_CATEGORICAL ? pr->n_choices : 0;
      p->joint[p->m++] = i;
    } else if (pr->type != TB_PARAM_CATEGORICAL) {
      p->sorted_param[i] = 1;
    }
  }
  p->cand = malloc((size_t)p->n_ei * (size_t)(p->m > 1 ? p->m : 1) * sizeof *p->cand);
  if (!p->cand) TB_FAIL(TB_ERR_NOMEM, "sampler tpe: out of host memory");
done:
  return rc; /* on failure sampler.c frees s, which calls tpe_destroy */
}

/* Unit row of configuration x: tb_space_to_unit, except log-int parameters, which sit at log(v) in the log range
 * [log(lo - 0.5), log(hi + 0.5)] as in Optuna 3.1 (the space puts them at their cell's log-centre). */
static void unit_row(const tb_sampler *s, const double *x, double *u) {
  tb_space_to_unit(s->sp, x, u);
  for (int i = 0; i < s->dim; i++) {
    const tb_param *pr = tb_space_param(s->sp, i);
    if (pr->type != TB_PARAM_INT || !pr->log || isnan(x[i])) continue;
    double a = log(pr->lo - 0.5), b = log(pr->hi + 0.5);
    u[i] = (log(x[i]) - a) / (b - a);
  }
}

static int grow(void **buf, size_t n, size_t size) {
  void *q = realloc(*buf, n * size);
  if (!q) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory for %zu observations", n);
  *buf = q;
  return TB_OK;
}

/* Makes room for `need` entries and caches the unit rows of every history trial. */
static int reserve(tb_sampler *s, tpe *p, size_t need, int n_batch) {
  int rc = TB_OK;
  size_t dim = (size_t)s->dim, m = (size_t)(p->m > 1 ? p->m : 1);
  if (need > p->cap) {
    size_t cap = p->cap ? p->cap : 64;
    while (cap < need) cap *= 2;
    TB_TRY(grow((void **)&p->ex, cap, sizeof *p->ex));
    TB_TRY(grow((void **)&p->eu, cap, sizeof *p->eu));
    TB_TRY(grow((void **)&p->ecls, cap, sizeof *p->ecls));
    TB_TRY(grow((void **)&p->eval, cap, sizeof *p->eval));
    TB_TRY(grow((void **)&p->by_rank, cap, sizeof *p->by_rank));
    TB_TRY(grow((void **)&p->below, cap, 1));
    TB_TRY(grow((void **)&p->ew, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->wtb, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->wta, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->ob, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->oa, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->wb, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->wa, cap, sizeof(double)));
    TB_TRY(grow((void **)&p->cb, cap, sizeof(int)));
    TB_TRY(grow((void **)&p->ca, cap, sizeof(int)));
    TB_TRY(grow((void **)&p->mb, cap * m, sizeof(double)));
    TB_TRY(grow((void **)&p->ma, cap * m, sizeof(double)));
    p->cap = cap;
  }
  if (s->n_trials > p->uh_cap) {
    size_t cap = p->uh_cap ? p->uh_cap : 64;
    while (cap < s->n_trials) cap *= 2;
    TB_TRY(grow((void **)&p->uh, cap * dim, sizeof(double)));
    TB_TRY(grow((void **)&p->ent_of, cap, sizeof(int)));
    p->uh_cap = cap;
  }
  for (; p->uh_n < s->n_trials; p->uh_n++) {
    size_t t = p->uh_n;
    const double *x = s->x + t * dim, *u = p->uh + t * dim;
    unit_row(s, x, p->uh + t * dim);
    for (size_t i = 0; i < dim; i++) {
      if (!p->sorted_param[i] || isnan(x[i])) continue;
      if (p->srt_n[i] == p->srt_cap[i]) {
        size_t c = p->srt_cap[i] ? 2 * p->srt_cap[i] : 64;
        TB_TRY(grow((void **)&p->srt[i], c, sizeof(sorted_key)));
        p->srt_cap[i] = c;
      }
      sorted_key *l = p->srt[i];
      size_t lo = 0, hi = p->srt_n[i]; /* first key with a larger value: equal values stay in trial order */
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l[mid].u > u[i]) hi = mid;
        else lo = mid + 1;
      }
      memmove(l + lo + 1, l + lo, (p->srt_n[i] - lo) * sizeof *l);
      l[lo] = (sorted_key){u[i], t};
      p->srt_n[i]++;
    }
  }
  if ((size_t)n_batch > p->ubatch_cap) {
    TB_TRY(grow((void **)&p->ubatch, (size_t)n_batch * dim, sizeof(double)));
    TB_TRY(grow((void **)&p->bsorted, (size_t)n_batch, sizeof(int)));
    p->ubatch_cap = (size_t)n_batch;
  }
done:
  return rc;
}

typedef struct {
  int cls;
  double val;
  int e;
} rank_key;

static int cmp_rank(const void *a, const void *b) {
  const rank_key *p = a, *q = b;
  if (p->cls != q->cls) return p->cls - q->cls;
  if (p->val != q->val) return p->val < q->val ? -1 : 1;
  return p->e - q->e;
}

static int n_below(const tpe *p, int n) {
  double v = p->gamma_mode ? p->gamma * sqrt((double)n) : p->gamma * (double)n;
  int nb = (int)ceil(v);
  if (nb > 25) nb = 25;
  return nb < n ? nb : n;
}

/* Collects the observations for suggestion b of this ask (xs rows 0..b-1 are this ask's earlier suggestions) and
 * ranks them; returns the entry count, *n_done the finished (complete or pruned) trials. */
static int collect(tb_sampler *s, tpe *p, const double *xs, int b, size_t *n_done, size_t *ne_out) {
  size_t dim = (size_t)s->dim, ne = 0, done_n = 0;
  int rc = reserve(s, p, s->n_trials + (size_t)b, b);
  if (rc < 0) return rc;
  for (size_t t = 0; t < s->n_trials; t++) {
    int cls;
    double v = INFINITY;
    p->ent_of[t] = -1;
    if (s->pending[t]) {
      if (!p->constant_liar) continue;
      cls = 3;
    } else if (s->state[t] == TB_TRIAL_FAILED) {
      continue;
    } else {
      done_n++;
      v = s->y[t * (size_t)s->n_obj];
      cls = s->state[t] == TB_TRIAL_COMPLETE ? 0 : (isfinite(v) ? 1 : 2);
      if (cls == 2) v = INFINITY;
    }
    p->ent_of[t] = (int)ne;
    p->ex[ne] = s->x + t * dim;
    p->eu[ne] = p->uh + t * dim;
    p->ecls[ne] = cls;
    p->eval[ne++] = v;
  }
  p->ne_hist = ne;
  for (int j = 0; j < b && p->constant_liar; j++) {
    p->ex[ne] = xs + (size_t)j * dim;
    p->eu[ne] = p->ubatch + (size_t)j * dim;
    unit_row(s, p->ex[ne], p->ubatch + (size_t)j * dim);
    p->ecls[ne] = 3;
    p->eval[ne++] = INFINITY;
  }
  rank_key *keys = malloc((ne ? ne : 1) * sizeof *keys);
  if (!keys) return tb_error_set(TB_ERR_NOMEM, "sampler tpe: out of host memory");
  for (size_t e = 0; e < ne; e++) keys[e] = (rank_key){p->ecls[e], p->eval[e], (int)e};
  qsort(keys, ne, sizeof *keys, cmp_rank);
  for (size_t e = 0; e < ne; e++) p->by_rank[e] = keys[e].e;
  free(keys);
  *n_done = done_n;
  *ne_out = ne;
  return TB_OK;
}

/* Marks p->below for the best n_below(n) entries, n the finished ones (liars rank last and never count), as
 * Optuna 3.1 splits all trials whatever parameter it models: the sets of a conditional parameter are then the
 * entries of each part where it is active (the consumers skip the others). */
static void split(tpe *p, size_t ne) {
  int n = 0;
  for (size_t e = 0; e < ne; e++) n += p->ecls[e] != 3;
  int nb = n_below(p, n);
  for (size_t r = 0; r < ne; r++) p->below[p->by_rank[r]] = (int)r < nb;
}

/* p->ew[e] for the entries where parameter i is active (i < 0: every entry), after split(): weights=optuna ramps
 * each set by position in trial order (tb_tpe_weights), uniform gives ones, ei gives the good set Watanabe 2023's
 * EI weights y* - y_e (y* the best value of the bad set; at least 1e-12), scaled to mean 1 so that the prior's
 * weight (prior_weight) is relative to the mean observation, and the bad set ones. */
static void set_weights(tpe *p, size_t ne, int i) {
  int n_b = 0, n_a = 0;
  for (size_t e = 0; e < ne; e++) /* position in each set, in trial order */
    if (i < 0 || !isnan(p->ex[e][i])) p->ew[e] = p->below[e] ? n_b++ : n_a++;
  tb_tpe_weights(n_b, p->weights_mode, p->wtb);
  tb_tpe_weights(n_a, p->weights_mode, p->wta);
  double thr = INFINITY, sum = 0.0;
  if (p->weights_mode == 2)
    for (size_t e = 0; e < ne; e++)
      if (!p->below[e] && (i < 0 || !isnan(p->ex[e][i])) && p->eval[e] < thr) thr = p->eval[e];
  for (size_t e = 0; e < ne; e++) {
    if (i >= 0 && isnan(p->ex[e][i])) continue;
    int pos = (int)p->ew[e];
    p->ew[e] = p->below[e] ? p->wtb[pos] : p->wta[pos];
    if (p->below[e] && isfinite(thr)) {
      double d = thr - p->eval[e];
      p->ew[e] = d > 1e-12 ? d : 1e-12; /* a NaN-free value: eval is finite or +inf for the good set */
      sum += p->ew[e];
    }
  }
  double scale = (double)n_b / sum; /* a good value of -inf makes the sum infinite: then uniform weights */
  if (sum > 0.0)
    for (size_t e = 0; e < ne; e++)
      if (p->below[e] && (i < 0 || !isnan(p->ex[e][i]))) p->ew[e] = isfinite(sum) ? p->ew[e] * scale : 1.0;
}

/* Categorical parameter i: fills p->u[i] with the centre of the chosen category's cell. */
static void suggest_categorical(tb_sampler *s, tpe *p, size_t ne, int i, int nc) {
  int n_b = 0, n_a = 0, pick = -1;
  set_weights(p, ne, i);
  for (size_t e = 0; e < ne; e++) { /* trial order */
    double v = p->ex[e][i];
    if (isnan(v)) continue;
    if (p->below[e]) p->wb[n_b] = p->ew[e], p->cb[n_b++] = (int)v;
    else p->wa[n_a] = p->ew[e], p->ca[n_a++] = (int)v;
  }
  double pl[TB_PARAM_MAX_CHOICES], pg[TB_PARAM_MAX_CHOICES], best = -INFINITY;
  tb_tpe_cat_fit(pl, nc, p->cb, p->wb, n_b, p->o.prior_weight);
  tb_tpe_cat_fit(pg, nc, p->ca, p->wa, n_a, p->o.prior_weight);
  for (long c = 0; c < p->n_ei; c++) {
    int v = tb_tpe_cat_sample(pl, nc, s);
    double score = log(pl[v]) - log(pg[v]);
    if (pick < 0 || score > best) best = score, pick = v;
  }
  p->u[i] = (pick + 0.5) / nc;
}

/* Appends entry e's unit value of parameter i to its set, with its weight. */
static void emit(tpe *p, int e, double u, int *n_b, int *n_a) {
  if (p->below[e]) p->ob[*n_b] = u, p->wb[(*n_b)++] = p->ew[e];
  else p->oa[*n_a] = u, p->wa[(*n_a)++] = p->ew[e];
}

/* One univariate parameter: fills p->u[i]. */
static int suggest_one(tb_sampler *s, tpe *p, size_t ne, int i) {
  const tb_param *pr = tb_space_param(s->sp, i);
  int rc = TB_OK, n_b = 0, n_a = 0;
  split(p, ne);
  if (pr->type == TB_PARAM_CATEGORICAL) {
    suggest_categorical(s, p, ne, i, pr->n_choices);
    return TB_OK;
  }
  set_weights(p, ne, i);
  /* the sets in ascending unit value: the history's sorted list merged with this ask's earlier suggestions
   * (insertion-sorted; on equal values the history comes first, i.e. trial order) */
  int nbat = 0;
  for (size_t e = p->ne_hist; e < ne; e++) {
    if (isnan(p->ex[e][i])) continue;
    int j = nbat++;
    while (j > 0 && p->eu[p->bsorted[j - 1]][i] > p->eu[e][i]) p->bsorted[j] = p->bsorted[j - 1], j--;
    p->bsorted[j] = (int)e;
  }
  n_b = n_a = 0;
  int jb = 0;
  const sorted_key *l = p->srt[i];
  for (size_t r = 0; r < p->srt_n[i]; r++) {
    int e = p->ent_of[l[r].t];
    if (e < 0) continue;
    for (; jb < nbat && p->eu[p->bsorted[jb]][i] < l[r].u; jb++) emit(p, p->bsorted[jb], p->eu[p->bsorted[jb]][i], &n_b, &n_a);
    emit(p, e, l[r].u, &n_b, &n_a);
  }
  for (; jb < nbat; jb++) emit(p, p->bsorted[jb], p->eu[p->bsorted[jb]][i], &n_b, &n_a);
  if ((rc = tb_tpe_kde_fit(&p->kl, p->ob, p->wb, n_b, &p->o)) < 0) return rc;
  if ((rc = tb_tpe_kde_fit(&p->kg, p->oa, p->wa, n_a, &p->o)) < 0) return rc;
  /* Optuna 3.1 scores a candidate by its value: an int by the mixtures' mass on the value's cell, a log-int by the
   * density at log(value) (the draw rounded first), a float by the density at the draw. */
  int is_int = pr->type == TB_PARAM_INT;
  double m = is_int && !pr->log ? floor((pr->hi - pr->lo) / pr->step) + 1 : 0.0;
  double la = is_int && pr->log ? log(pr->lo - 0.5) : 0.0, lb = is_int && pr->log ? log(pr->hi + 0.5) : 1.0;
  double pick = NAN, best = -INFINITY;
  for (long c = 0; c < p->n_ei; c++) {
    double v = tb_tpe_kde_sample(&p->kl, s), score;
    if (m > 0.0) {
      double cell = floor(v * m);
      cell = cell < m - 1 ? cell : m - 1;
      v = (cell + 0.5) / m;
      double a = cell / m, b = (cell + 1) / m;
      score = tb_tpe_kde_log_mass(&p->kl, a, b) - tb_tpe_kde_log_mass(&p->kg, a, b);
    } else {
      if (is_int) { /* log-int: the value's own position */
        double r = round(exp(la + v * (lb - la)));
        r = r < pr->lo ? pr->lo : (r > pr->hi ? pr->hi : r);
        v = (log(r) - la) / (lb - la);
      }
      score = tb_tpe_kde_log_pdf(&p->kl, v) - tb_tpe_kde_log_pdf(&p->kg, v);
    }
    if (isnan(pick) || score > best) best = score, pick = v;
  }
  p->u[i] = pick;
  return TB_OK;
}

/* The jointly modelled parameters (multivariate=1): fills p->u at p->joint. */
static int suggest_joint(tb_sampler *s, tpe *p, size_t ne) {
  int rc, m = p->m, n_b = 0, n_a = 0;
  split(p, ne);
  set_weights(p, ne, -1);
  for (size_t e = 0; e < ne; e++) {
    double *row;
    if (p->below[e]) p->wb[n_b] = p->ew[e], row = p->mb + (size_t)n_b++ * (size_t)m;
    else p->wa[n_a] = p->ew[e], row = p->ma + (size_t)n_a++ * (size_t)m;
    for (int j = 0; j < m; j++) {
      int i = p->joint[j];
      row[j] = p->joint_nc[j] ? p->ex[e][i] : p->eu[e][i];
    }
  }
  if ((rc = tb_tpe_mix_fit(&p->ml, p->mb, p->wb, n_b, m, p->joint_nc, &p->o)) < 0) return rc;
  if ((rc = tb_tpe_mix_fit(&p->mg, p->ma, p->wa, n_a, m, p->joint_nc, &p->o)) < 0) return rc;
  double best = -INFINITY;
  long pick = -1;
  for (long c = 0; c < p->n_ei; c++) {
    double *x = p->cand + (size_t)c * (size_t)m;
    tb_tpe_mix_sample(&p->ml, s, x);
    double score = tb_tpe_mix_log_pdf(&p->ml, x) - tb_tpe_mix_log_pdf(&p->mg, x);
    if (pick < 0 || score > best) best = score, pick = c;
  }
  const double *x = p->cand + (size_t)pick * (size_t)m;
  for (int j = 0; j < m; j++) p->u[p->joint[j]] = p->joint_nc[j] ? (x[j] + 0.5) / p->joint_nc[j] : x[j];
  return TB_OK;
}

static int tpe_ask(tb_sampler *s, int n, double *xs, int *n_out) {
  tpe *p = s->impl;
  size_t dim = (size_t)s->dim;
  for (int b = 0; b < n; b++) {
    size_t n_done = 0, ne = 0;
    int rc = collect(s, p, xs, b, &n_done, &ne);
    if (rc < 0) return rc;
    if (n_done < (size_t)p->n_startup) {
      for (size_t i = 0; i < dim; i++) p->u[i] = tb_sampler_uniform(s);
    } else {
      if (p->m > 0 && (rc = suggest_joint(s, p, ne)) < 0) return rc;
      for (int i = 0; i < s->dim; i++) {
        const tb_param *pr = tb_space_param(s->sp, i);
        if (pr->type == TB_PARAM_FIXED) p->u[i] = 0.5;
        else if (!p->in_joint[i] && (rc = suggest_one(s, p, ne, i)) < 0) return rc;
      }
    }
    tb_space_from_unit(s->sp, p->u, xs + (size_t)b * dim);
    *n_out = b + 1;
  }
  return TB_OK;
}

const tb_sampler_vt tb_sampler_tpe_vt = {
    .name = "tpe",
    .options = "preset (default|optuna31), gamma, gamma_mode (optuna|hyperopt), prior_weight, n_ei_candidates, "
               "n_startup, consider_endpoints, consider_magic_clip, multivariate, constant_liar, "
               "weights (optuna|uniform|ei), score (optuna31|density), min_bandwidth, "
               "multivariate_bandwidth (optuna|gaps), magic_clip_exponent",
    .max_objectives = 1,
    .create = tpe_create,
    .ask = tpe_ask,
    .destroy = tpe_destroy,
};
