/* tb_validate.h: validation methodology: holdout scores, (stratified) k-fold cross-validation with a t-based 95%
 * confidence interval, nested cross-validation, and the final test of the configuration finally selected.
 *
 * The test split is kept out of reach of samplers, schedulers and the tuned objectives by construction (a learner
 * objective sees test rows only when handed them as a separate dataset, to record test_* metrics that are never
 * tuned on: docs/validation.md "Who reads the test rows"):
 *  - tb_validate_split() gives a tb_eval_data view whose dataset is a COPY holding only the train and valid rows,
 *    so no index arithmetic on the view can reach a test row, and an opaque tb_holdout that records the test rows.
 *  - Only tb_validate_final_test() reads a tb_holdout, and only once: a second call is refused, so the test split
 *    scores exactly one selected configuration.
 *  - In nested cross-validation the tuning callback gets a copy holding only the outer-training rows.
 * What this is not: a learner or a tuner. Fitting is a callback (the learner interface belongs to another module),
 * and tuning inside nested CV is a callback too. Tested by tests/test_validate.c.
 */
#ifndef TB_VALIDATE_H
#define TB_VALIDATE_H
#include <stddef.h>
#include <stdint.h>

#include "tb_data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fits one configuration (held in ctx) on the rows train[0..n_train) of ds and scores it on eval[0..n_eval);
 * returns TB_OK and *score (any direction: accuracy or loss), or a TB_ERR_* code with a detail. The score must be
 * finite. The two row sets never overlap. */
typedef int (*tb_fit_score_fn)(void *ctx, const tb_dataset *ds, const uint32_t *train, size_t n_train,
                               const uint32_t *eval, size_t n_eval, double *score);

/* ---- holdout --------------------------------------------------------------------------------------------------- */
/* What objectives, samplers and schedulers get: a dataset with the train and valid rows only. */
typedef struct tb_eval_data {
  tb_dataset *ds;          /* copy of the train rows then the valid rows of the source (owned) */
  uint32_t *train;         /* rows of ds used for fitting: 0..n_train-1 (owned) */
  size_t n_train;
  uint32_t *valid;         /* rows of ds used for validation: n_train..n_train+n_valid-1 (owned) */
  size_t n_valid;
} tb_eval_data;

/* The test rows of a split, opaque; only tb_validate_final_test reads them. */
typedef struct tb_holdout tb_holdout;

/* Splits ds with tb_data_split(spec) (same dataset and spec: same split; rows fixed to test by the source stay
 * test rows) into *view (train and valid rows, copied) and *holdout (the test rows; it borrows ds, which must
 * outlive it). Free with tb_eval_data_free and tb_holdout_free. No test rows (test_frac 0 and no fixed split)
 * gives a holdout that tb_validate_final_test refuses. */
int tb_validate_split(const tb_dataset *ds, const tb_split_spec *spec, tb_eval_data *view, tb_holdout **holdout);
void tb_eval_data_free(tb_eval_data *view); /* frees what the view owns and zeroes it; NULL is a no-op */
void tb_holdout_free(tb_holdout *h);        /* NULL is a no-op */
size_t tb_holdout_size(const tb_holdout *h); /* number of test rows */

/* Holdout score: fit on view->train, score on view->valid (needs n_valid >= 1). */
int tb_validate_holdout(const tb_eval_data *view, tb_fit_score_fn fit, void *ctx, double *score);

/* The final test of the selected configuration: fit on the train rows (and the valid rows too when
 * refit_on_valid is 1) of the source dataset, score on the test rows. h must come from the same
 * tb_validate_split call as view. Works once per holdout: a second call is TB_ERR_INVALID. */
int tb_validate_final_test(const tb_eval_data *view, tb_holdout *h, tb_fit_score_fn fit, void *ctx,
                           int refit_on_valid, double *score);

/* ---- cross-validation ------------------------------------------------------------------------------------------- */
typedef struct tb_cv_result {
  int k;            /* number of folds */
  double *scores;   /* (k) the score of each fold (owned) */
  double mean;      /* mean of scores */
  double sd;        /* sample standard deviation of scores (k - 1 in the denominator) */
  double t;         /* Student t quantile gsl_cdf_tdist_Pinv(0.975, k - 1) */
  double ci_lo;     /* mean - t * sd / sqrt(k): 95% confidence interval of the mean */
  double ci_hi;     /* mean + t * sd / sqrt(k) */
  size_t n;         /* number of rows cross-validated */
  int *fold;        /* (n) fold of each row, as tb_data_kfold gives it (owned) */
} tb_cv_result;

void tb_cv_result_free(tb_cv_result *r); /* frees the arrays and zeroes r; NULL is a no-op */

/* Fills mean, sd, t, ci_lo, ci_hi of r from r->k and r->scores (k >= 2). */
int tb_validate_summarize(tb_cv_result *r);

/* k-fold cross-validation of one configuration over the rows rows[0..n) of ds (rows NULL: 0..n-1). The folds are
 * tb_data_kfold(ds, rows, n, k, seed, stratify): fold f scores fit(train = the other folds, eval = fold f).
 * 2 <= k <= n. *out is owned by the caller (tb_cv_result_free). */
int tb_validate_kfold(const tb_dataset *ds, const uint32_t *rows, size_t n, int k, uint64_t seed, int stratify,
                      tb_fit_score_fn fit, void *ctx, tb_cv_result *out);

/* ---- nested cross-validation ------------------------------------------------------------------------------------ */
/* What the inner tuning returns: the chosen configuration as a fit/score function and its context. */
typedef struct tb_validate_choice {
  tb_fit_score_fn fit;         /* fits the chosen configuration and scores it (required) */
  void *ctx;                   /* the chosen configuration */
  void (*free_ctx)(void *ctx); /* called on ctx once the outer fold has scored it; may be NULL */
} tb_validate_choice;

/* The inner tuning of outer fold `outer_fold`: train_ds holds ONLY the outer-training rows (a copy, in the order of
 * the source rows); it tunes on them in any way (tb_validate_kfold, tb_validate_split, ...) and sets *choice. */
typedef int (*tb_tune_fn)(void *ctx, const tb_dataset *train_ds, int outer_fold, tb_validate_choice *choice);

/* Nested cross-validation over rows[0..n) of ds (rows NULL: 0..n-1): outer folds as tb_validate_kfold; for each
 * outer fold tune() chooses a configuration on the outer-training rows alone, and the choice is fitted on them and
 * scored on the outer-test rows (through the source ds and its row indices). out->scores are the outer scores. */
int tb_validate_nested(const tb_dataset *ds, const uint32_t *rows, size_t n, int k, uint64_t seed, int stratify,
                       tb_tune_fn tune, void *ctx, tb_cv_result *out);

#ifdef __cplusplus
}
#endif
#endif
