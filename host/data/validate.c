/* validate.c: holdout, k-fold and nested cross-validation, and the one-shot final test (see tb_validate.h).
 *
 * What it is not: a learner. Every fit is a tb_fit_score_fn callback; nested CV's inner tuning is a tb_tune_fn.
 * The test split stays unreachable: the view handed out is a copy of the train and valid rows only, the test row
 * indices live in the opaque tb_holdout, and nested CV's tuner gets a copy of the outer-training rows only.
 * Confidence intervals: mean +- t * sd / sqrt(k), t = gsl_cdf_tdist_Pinv(0.975, k - 1), sd with k - 1.
 * Tested by tests/test_validate.c (nearest-centroid learner written in the test, hand-computed CI, stratified folds,
 * nested CV asserting no outer-test row reaches the tuner, single-use final test, bad input).
 */
#include "tb_validate.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"

struct tb_holdout {
  const tb_dataset *ds;       /* the source (borrowed) */
  const tb_dataset *view_ds;  /* the view's copy, to check view and holdout come from one split */
  uint32_t *fit_rows;         /* source rows: train then valid (owned) */
  size_t n_train, n_valid;
  uint32_t *test;             /* source test rows (owned) */
  size_t n_test;
  int used;                   /* 1 once tb_validate_final_test has scored it */
};

/* ---- holdout ------------------------------------------------------------------------------------------------- */
void tb_eval_data_free(tb_eval_data *view) {
  if (!view) return;
  tb_dataset_free(view->ds);
  free(view->train);
  free(view->valid);
  memset(view, 0, sizeof *view);
}

void tb_holdout_free(tb_holdout *h) {
  if (!h) return;
  free(h->fit_rows);
  free(h->test);
  free(h);
}

size_t tb_holdout_size(const tb_holdout *h) { return h ? h->n_test : 0; }

int tb_validate_split(const tb_dataset *ds, const tb_split_spec *spec, tb_eval_data *view, tb_holdout **holdout) {
  int rc = TB_OK;
  tb_splits s = {0};
  tb_holdout *h = NULL;
  tb_eval_data v = {0};
  if (!view || !holdout) return tb_error_set(TB_ERR_INVALID, "validate split: no output");
  memset(view, 0, sizeof *view);
  *holdout = NULL;
  if (!ds || !spec) return tb_error_set(TB_ERR_INVALID, "validate split: no dataset or no split spec");
  TB_TRY(tb_data_split(ds, spec, &s));
  if (s.n_train == 0) TB_FAIL(TB_ERR_INVALID, "validate split: no training rows in %s", ds->name);
  h = calloc(1, sizeof *h);
  if (!h) TB_FAIL(TB_ERR_NOMEM, "validate split: out of host memory");
  h->ds = ds;
  h->n_train = s.n_train;
  h->n_valid = s.n_valid;
  h->n_test = s.n_test;
  h->fit_rows = malloc((s.n_train + s.n_valid) * sizeof *h->fit_rows);
  h->test = malloc((s.n_test + 1) * sizeof *h->test);
  v.train = malloc(s.n_train * sizeof *v.train);
  v.valid = malloc((s.n_valid + 1) * sizeof *v.valid);
  if (!h->fit_rows || !h->test || !v.train || !v.valid)
    TB_FAIL(TB_ERR_NOMEM, "validate split: out of host memory for %zu rows", ds->n_rows);
  memcpy(h->fit_rows, s.train, s.n_train * sizeof *s.train);
  if (s.n_valid) memcpy(h->fit_rows + s.n_train, s.valid, s.n_valid * sizeof *s.valid);
  if (s.n_test) memcpy(h->test, s.test, s.n_test * sizeof *s.test);
  TB_TRY(tb_dataset_subset(ds, h->fit_rows, s.n_train + s.n_valid, &v.ds));
  for (size_t i = 0; i < s.n_train; i++) v.train[i] = (uint32_t)i;
  for (size_t i = 0; i < s.n_valid; i++) v.valid[i] = (uint32_t)(s.n_train + i);
  v.n_train = s.n_train;
  v.n_valid = s.n_valid;
  h->view_ds = v.ds;
  *view = v;
  *holdout = h;
  memset(&v, 0, sizeof v);
  h = NULL;
done:
  tb_splits_free(&s);
  tb_eval_data_free(&v);
  tb_holdout_free(h);
  return rc;
}

/* Calls fit and checks the score is finite; `what` names the fold for the detail. */
static int fit_score(tb_fit_score_fn fit, void *ctx, const tb_dataset *ds, const uint32_t *train, size_t n_train,
                     const uint32_t *eval, size_t n_eval, double *score, const char *what, int fold) {
  double sc = NAN;
  int rc = fit(ctx, ds, train, n_train, eval, n_eval, &sc);
  if (rc < 0) return tb_error_prefix(rc, "%s %d: ", what, fold);
  if (!isfinite(sc))
    return tb_error_set(TB_ERR_RANGE, "%s %d: the fit/score callback gave a score of %g", what, fold, sc);
  *score = sc;
  return TB_OK;
}

int tb_validate_holdout(const tb_eval_data *view, tb_fit_score_fn fit, void *ctx, double *score) {
  if (!view || !view->ds || !fit || !score)
    return tb_error_set(TB_ERR_INVALID, "validate holdout: no view, no fit/score callback or no output");
  if (view->n_train == 0 || view->n_valid == 0)
    return tb_error_set(TB_ERR_INVALID, "validate holdout: %zu train and %zu valid rows; both must be >= 1 "
                        "(set valid_frac > 0)", view->n_train, view->n_valid);
  return fit_score(fit, ctx, view->ds, view->train, view->n_train, view->valid, view->n_valid, score, "holdout", 0);
}

int tb_validate_final_test(const tb_eval_data *view, tb_holdout *h, tb_fit_score_fn fit, void *ctx,
                           int refit_on_valid, double *score) {
  if (!view || !h || !fit || !score)
    return tb_error_set(TB_ERR_INVALID, "final test: no view, no holdout, no fit/score callback or no output");
  if (h->view_ds != view->ds || h->n_train != view->n_train || h->n_valid != view->n_valid)
    return tb_error_set(TB_ERR_INVALID, "final test: the view and the holdout come from different splits");
  if (refit_on_valid != 0 && refit_on_valid != 1)
    return tb_error_set(TB_ERR_INVALID, "final test: refit_on_valid = %d is not 0 or 1", refit_on_valid);
  if (h->used)
    return tb_error_set(TB_ERR_INVALID, "final test: the test split was already used; it scores one selected "
                        "configuration only (select on the validation scores, then test once)");
  if (h->n_test == 0)
    return tb_error_set(TB_ERR_INVALID, "final test: the split has no test rows (set test_frac > 0)");
  size_t n_fit = h->n_train + (refit_on_valid ? h->n_valid : 0);
  int rc = fit_score(fit, ctx, h->ds, h->fit_rows, n_fit, h->test, h->n_test, score, "final test", 0);
  h->used = 1; /* a failed attempt spends the test split too: retrying until it works would be selection on it */
  return rc;
}

/* ---- cross-validation --------------------------------------------------------------------------------------- */
void tb_cv_result_free(tb_cv_result *r) {
  if (!r) return;
  free(r->scores);
  free(r->fold);
  memset(r, 0, sizeof *r);
}

int tb_validate_summarize(tb_cv_result *r) {
  if (!r || !r->scores || r->k < 2)
    return tb_error_set(TB_ERR_INVALID, "validate summary: need at least 2 scores (k = %d)", r ? r->k : 0);
  double sum = 0.0;
  for (int i = 0; i < r->k; i++) sum += r->scores[i];
  double mean = sum / r->k, ss = 0.0;
  for (int i = 0; i < r->k; i++) ss += (r->scores[i] - mean) * (r->scores[i] - mean);
  r->mean = mean;
  r->sd = sqrt(ss / (r->k - 1));
  r->t = gsl_cdf_tdist_Pinv(0.975, (double)(r->k - 1));
  double half = r->t * r->sd / sqrt((double)r->k);
  r->ci_lo = mean - half;
  r->ci_hi = mean + half;
  return TB_OK;
}

/* Checks the common arguments of k-fold and nested CV, copies rows (NULL: 0..n-1) into *own, rejects duplicates,
 * and fills out->k, out->n, out->scores, out->fold (tb_data_kfold). */
static int cv_prepare(const tb_dataset *ds, const uint32_t *rows, size_t n, int k, uint64_t seed, int stratify,
                      const char *what, uint32_t **own, tb_cv_result *out) {
  int rc = TB_OK;
  unsigned char *seen = NULL;
  uint32_t *r = NULL;
  if (!ds) return tb_error_set(TB_ERR_INVALID, "%s: no dataset", what);
  if (k < 2) return tb_error_set(TB_ERR_INVALID, "%s: k = %d folds, must be at least 2", what, k);
  if ((size_t)k > n)
    return tb_error_set(TB_ERR_INVALID, "%s: k = %d folds is more than the %zu rows", what, k, n);
  if (!rows && n > ds->n_rows)
    return tb_error_set(TB_ERR_RANGE, "%s: %zu rows asked of %s, which has %zu", what, n, ds->name, ds->n_rows);
  if (stratify != 0 && stratify != 1)
    return tb_error_set(TB_ERR_INVALID, "%s: stratify %d is not 0 or 1", what, stratify);
  r = malloc(n * sizeof *r);
  seen = calloc(ds->n_rows ? ds->n_rows : 1, 1);
  out->scores = calloc((size_t)k, sizeof *out->scores);
  out->fold = malloc(n * sizeof *out->fold);
  if (!r || !seen || !out->scores || !out->fold) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory for %zu rows", what, n);
  for (size_t i = 0; i < n; i++) {
    r[i] = rows ? rows[i] : (uint32_t)i;
    if (r[i] >= ds->n_rows)
      TB_FAIL(TB_ERR_RANGE, "%s: row %u outside 0..%zu of %s", what, r[i], ds->n_rows - 1, ds->name);
    if (seen[r[i]]) TB_FAIL(TB_ERR_INVALID, "%s: row %u is listed twice (it would be in train and eval)", what, r[i]);
    seen[r[i]] = 1;
  }
  out->k = k;
  out->n = n;
  TB_TRY(tb_data_kfold(ds, r, n, k, seed, stratify, out->fold));
  *own = r;
  r = NULL;
done:
  free(seen);
  free(r);
  return rc;
}

/* Rows of fold f into ev, the others into tr; returns the eval count. */
static size_t fold_rows(const uint32_t *rows, const int *fold, size_t n, int f, uint32_t *tr, uint32_t *ev,
                        size_t *n_tr) {
  size_t a = 0, b = 0;
  for (size_t i = 0; i < n; i++) {
    if (fold[i] == f)
      ev[b++] = rows[i];
    else
      tr[a++] = rows[i];
  }
  *n_tr = a;
  return b;
}

int tb_validate_kfold(const tb_dataset *ds, const uint32_t *rows, size_t n, int k, uint64_t seed, int stratify,
                      tb_fit_score_fn fit, void *ctx, tb_cv_result *out) {
  int rc = TB_OK;
  uint32_t *r = NULL, *tr = NULL, *ev = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "k-fold CV: no output");
  memset(out, 0, sizeof *out);
  if (!fit) return tb_error_set(TB_ERR_INVALID, "k-fold CV: no fit/score callback");
  TB_TRY(cv_prepare(ds, rows, n, k, seed, stratify, "k-fold CV", &r, out));
  tr = malloc(n * sizeof *tr);
  ev = malloc(n * sizeof *ev);
  if (!tr || !ev) TB_FAIL(TB_ERR_NOMEM, "k-fold CV: out of host memory");
  for (int f = 0; f < k; f++) {
    size_t n_tr, n_ev = fold_rows(r, out->fold, n, f, tr, ev, &n_tr);
    TB_TRY(fit_score(fit, ctx, ds, tr, n_tr, ev, n_ev, &out->scores[f], "k-fold CV: fold", f));
  }
  TB_TRY(tb_validate_summarize(out));
done:
  free(r);
  free(tr);
  free(ev);
  if (rc < 0) tb_cv_result_free(out);
  return rc;
}

int tb_validate_nested(const tb_dataset *ds, const uint32_t *rows, size_t n, int k, uint64_t seed, int stratify,
                       tb_tune_fn tune, void *ctx, tb_cv_result *out) {
  int rc = TB_OK;
  uint32_t *r = NULL, *tr = NULL, *ev = NULL;
  tb_dataset *inner = NULL;
  tb_validate_choice ch = {0};
  if (!out) return tb_error_set(TB_ERR_INVALID, "nested CV: no output");
  memset(out, 0, sizeof *out);
  if (!tune) return tb_error_set(TB_ERR_INVALID, "nested CV: no tuning callback");
  TB_TRY(cv_prepare(ds, rows, n, k, seed, stratify, "nested CV", &r, out));
  tr = malloc(n * sizeof *tr);
  ev = malloc(n * sizeof *ev);
  if (!tr || !ev) TB_FAIL(TB_ERR_NOMEM, "nested CV: out of host memory");
  for (int f = 0; f < k; f++) {
    size_t n_tr, n_ev = fold_rows(r, out->fold, n, f, tr, ev, &n_tr);
    TB_TRY(tb_dataset_subset(ds, tr, n_tr, &inner)); /* the tuner sees the outer-training rows only */
    memset(&ch, 0, sizeof ch);
    rc = tune(ctx, inner, f, &ch);
    tb_dataset_free(inner);
    inner = NULL;
    if (rc < 0) {
      rc = tb_error_prefix(rc, "nested CV: outer fold %d: tuning: ", f);
      goto done;
    }
    if (!ch.fit)
      TB_FAIL(TB_ERR_INVALID, "nested CV: outer fold %d: the tuning callback chose no fit/score function", f);
    rc = fit_score(ch.fit, ch.ctx, ds, tr, n_tr, ev, n_ev, &out->scores[f], "nested CV: outer fold", f);
    if (ch.free_ctx) ch.free_ctx(ch.ctx);
    memset(&ch, 0, sizeof ch);
    if (rc < 0) goto done;
  }
  TB_TRY(tb_validate_summarize(out));
done:
  if (ch.free_ctx) ch.free_ctx(ch.ctx);
  tb_dataset_free(inner);
  free(r);
  free(tr);
  free(ev);
  if (rc < 0) tb_cv_result_free(out);
  return rc;
}
