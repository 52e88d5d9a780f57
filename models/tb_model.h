/* tb_model.h: the learner interface. A learner (MLP, logistic regression, gradient-boosted trees, random forest)
 * declares its hyperparameters, so the tuner builds a search space from them, and trains on a compute backend in
 * units of fidelity (epochs, boosting rounds, trees), resumably.
 *
 * Data reach the device once per dataset and backend context: tb_devdata holds the features, labels/targets and,
 * on first request, the quantised bins every tree trial on that dataset shares. Models only ever see row index
 * lists of the parts they may use (train, valid); the test rows are evaluated by the caller at the end.
 * Configurations use the encoding of tb_space.h (a double per parameter, categoricals as choice indices).
 * Same learner, configuration, data, seed and backend: same result. Tested by tests/test_model_*.c.
 */
#ifndef TB_MODEL_H
#define TB_MODEL_H
#include <stddef.h>
#include <stdint.h>

#include "tb_backend.h"
#include "tb_data.h"
#include "tb_space.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hyperparameter declarations --------------------------------------------------------------------------- */
/* A learner declares its hyperparameters as a table of tb_param (tb_space.h: name, type, range or choices, default,
 * condition on an earlier parameter by index, help): parameter i of the learner is parameter i of its space. */
typedef struct tb_learner tb_learner;

/* All learners, NULL-terminated; lookup by name (NULL if unknown). */
const tb_learner *const *tb_learners(void);
const tb_learner *tb_learner_find(const char *name);
const char *tb_learner_name(const tb_learner *L);
const char *tb_learner_fidelity_unit(const tb_learner *L); /* "epochs", "rounds", "trees" */
int tb_learner_n_hparams(const tb_learner *L);
/* Declared hyperparameter i (NULL outside 0..n-1); conditional when n_cond > 0, on hyperparameter `parent`. */
const tb_param *tb_learner_hparam(const tb_learner *L, int i);
/* Index of the declared hyperparameter `name`, or -1. */
int tb_learner_hparam_find(const tb_learner *L, const char *name);
/* 1 if the learner handles the task. */
int tb_learner_supports(const tb_learner *L, tb_task task);
/* 1 if choice `choice` of categorical hyperparameter `name` can work on a task with n_classes classes (0 for
 * regression), 0 if it cannot (gbdt: objective=squared on classes, logistic on more than 2 classes or on
 * regression, softmax on regression). Suites leave the choices that cannot work out of the spaces they tune. */
int tb_learner_choice_fits(const tb_learner *L, const char *name, const char *choice, tb_task task, int n_classes);

/* The learner's whole declared search space, finalized; parameter i of the space is hyperparameter i. */
int tb_learner_space(const tb_learner *L, tb_space **out);
/* x (n_hparams) = every hyperparameter at its default (inactive conditionals NAN). */
void tb_learner_defaults(const tb_learner *L, const tb_space *sp, double *x);
/* Sets one hyperparameter from text ("lr", "0.01"; "act", "tanh"); unknown key, bad value or a value outside the
 * declared range is TB_ERR_INVALID / TB_ERR_NOT_FOUND with a detail listing what is allowed. Recomputes
 * activity of conditionals. */
int tb_learner_set(const tb_learner *L, const tb_space *sp, double *x, const char *key, const char *value);
/* NULL if x is a configuration the learner accepts, else a message (the tuner checks every sampled config): sp has
 * the learner's parameters in declared order, x passes sp's check, every active value lies in its DECLARED range
 * (the one bound of each hyperparameter), and the learner accepts the combination. */
const char *tb_learner_check(const tb_learner *L, const tb_space *sp, const double *x, char *buf, size_t len);

/* A configuration checked (tb_learner_check) and decoded, once, into the learner's own settings: a trial decodes
 * its configuration once, then estimates memory and creates its model from the decoded settings
 * (tb_model_estimate_bytes and tb_model_create do the same from x, one decode each). */
typedef struct tb_learner_config tb_learner_config;
/* TB_ERR_INVALID with the check's message when x is rejected; *out is owned by the caller. */
int tb_learner_config_create(const tb_learner *L, const tb_space *sp, const double *x, tb_learner_config **out);
void tb_learner_config_free(tb_learner_config *c); /* NULL is a no-op */

/* ---- data on the device --------------------------------------------------------------------------------------- */
typedef struct tb_devdata tb_devdata;

/* Uploads ds (borrowed: must outlive dd) to be's device. */
int tb_devdata_create(tb_backend *be, const tb_dataset *ds, tb_devdata **out);
void tb_devdata_free(tb_devdata *dd);
const tb_dataset *tb_devdata_dataset(const tb_devdata *dd);
/* Device arrays: X (n_rows, n_cols), labels (int32) or targets (float). */
const float *tb_devdata_X(const tb_devdata *dd);
const int32_t *tb_devdata_labels(const tb_devdata *dd);
const float *tb_devdata_targets(const tb_devdata *dd);
/* Quantised bins (n_rows, n_cols) uint8 with cuts from the rows `fit_rows` (the training part), built on first
 * call for a given max_bins and kept; later calls with the same max_bins return the same arrays. cuts/cut_ptr are
 * device arrays; host copies are given too. */
typedef struct tb_bins {
  int max_bins, total_bins;
  const uint8_t *bins;        /* device (n_rows, n_cols) */
  const float *cuts;          /* device */
  const uint32_t *cut_ptr;    /* device (n_cols + 1) */
  const float *cuts_host;
  const uint32_t *cut_ptr_host;
} tb_bins;
int tb_devdata_bins(tb_devdata *dd, int max_bins, const uint32_t *fit_rows, size_t n_fit, const tb_bins **out);
/* The same bins column-major (device, (n_cols, dataset rows) uint8), made with them and owned by dd; NULL when bins
 * did not come from tb_devdata_bins on dd. */
const uint8_t *tb_devdata_bins_cols(const tb_devdata *dd, const tb_bins *bins);

/* ---- models ----------------------------------------------------------------------------------------------------- */
typedef struct tb_model tb_model;

typedef struct tb_parts {
  const uint32_t *train; size_t n_train; /* host row indices into the devdata's dataset */
  const uint32_t *valid; size_t n_valid; /* may be empty */
} tb_parts;

typedef struct tb_metrics {
  double loss;      /* the training objective's loss (log-loss or 0.5*MSE), averaged over rows */
  double accuracy;  /* classification; NAN for regression */
  double logloss;   /* classification; NAN for regression */
  double rmse;      /* regression; NAN for classification */
  size_t n;         /* rows evaluated */
} tb_metrics;

/* Bytes of device memory a model with config x will allocate for this data shape (before allocating). */
int tb_model_estimate_bytes(const tb_learner *L, const tb_space *sp, const double *x, size_t n_rows, int n_cols,
                            int n_outputs, size_t *bytes);
/* The same from a decoded configuration. */
int tb_model_estimate_config(const tb_learner_config *c, size_t n_rows, int n_cols, int n_outputs, size_t *bytes);

/* Creates a model on dd's context; parts.train is the data it trains on (its size fixes buffer sizes). */
int tb_model_create(const tb_learner *L, const tb_space *sp, const double *x, tb_devdata *dd, const tb_parts *parts,
                    uint64_t seed, tb_model **out);
/* The same from a decoded configuration (c may be freed after the call). */
int tb_model_create_config(const tb_learner_config *c, tb_devdata *dd, const tb_parts *parts, uint64_t seed,
                           tb_model **out);
void tb_model_free(tb_model *m);

/* Trains `units` more units of fidelity (epochs, rounds, trees). A non-finite loss is TB_ERR_RANGE ("diverged"). */
int tb_model_train(tb_model *m, int units);
int tb_model_fidelity(const tb_model *m); /* units trained so far */
/* Mean training loss over the train rows during the last unit trained (the training objective's loss, as
 * tb_metrics.loss, without the penalty): mlp and logreg sgd/adam average it over the epoch's mini-batches (the mlp
 * over its last pass), logreg lbfgs gives it at the last iterate, gbdt of the model after the call (all training
 * rows, whatever the subsample). NAN before the first unit, and for the forest (not computed). */
double tb_model_train_loss(const tb_model *m);

/* Metrics on rows of the devdata's dataset (valid or, at the very end, test rows). */
int tb_model_evaluate(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out);

/* Host in/out: out (n, n_outputs) = class probabilities or regression values for X (n, n_cols). */
int tb_model_predict(tb_model *m, const float *X, size_t n, float *out);
int tb_model_n_outputs(const tb_model *m);

/* Number of trainable parameters (weights; tree nodes for trees) and bytes of the saved state. */
size_t tb_model_n_params(const tb_model *m);

/* Whole state (weights, optimizer state, fidelity, random stream position) as a malloc'ed blob; restore into a
 * model created with the same learner, config shape and data; copy = save + restore. */
int tb_model_save(const tb_model *m, void **blob, size_t *len);
int tb_model_restore(tb_model *m, const void *blob, size_t len);
int tb_model_copy(tb_model *dst, const tb_model *src);

#ifdef __cplusplus
}
#endif
#endif
