/* mlp_impl.h: internal to the MLP learner (models/mlp.c: declarations, configuration, buffers, save/restore;
 * models/mlp_train.c: forward, backward, optimizer step, schedules, evaluation, prediction). Also included by the
 * fused trials (models/mlp_fused_impl.h: the configuration decoder, schedules and the state an extracted member
 * becomes) and by tests/test_model_mlp.c (which checks the schedules against their formulas). Tested by
 * tests/test_model_mlp.c and tests/test_model_fused.c. */
#ifndef TB_MLP_IMPL_H
#define TB_MLP_IMPL_H
#include <math.h>

#include "model_impl.h"

#define TB_MLP_MAX_LAYERS 4

enum { TB_MLP_INIT_GLOROT = 0, TB_MLP_INIT_HE = 1, TB_MLP_INIT_UNIFORM = 2 };
enum { TB_MLP_OPT_SGD = 0, TB_MLP_OPT_MOMENTUM = 1, TB_MLP_OPT_NESTEROV = 2, TB_MLP_OPT_ADAM = 3, TB_MLP_OPT_ADAMW = 4 };
enum { TB_MLP_SCHED_CONSTANT = 0, TB_MLP_SCHED_STEP = 1, TB_MLP_SCHED_COSINE = 2, TB_MLP_SCHED_ANNEAL = 3 };

/* The configuration decoded from the tb_space encoding (inactive conditionals take their defaults): the learner's
 * settings (tb_model's params), decoded once per configuration by model.c through the learner's decode. */
typedef struct tb_mlp_config {
  int layers;          /* hidden layers, 1..4 */
  int units;           /* units of every hidden layer */
  tb_act act;          /* hidden activation */
  double dropout;      /* drop probability of hidden units, [0, 1] (0: no dropout op at all) */
  int init;            /* TB_MLP_INIT_* */
  int init_normal;     /* glorot/he: 1 = normal, 0 = uniform */
  double init_scale;   /* uniform init: c in U(-c/sqrt(fan_in), c/sqrt(fan_in)) */
  double weight_decay; /* coupled L2 (sgd*, adam) or decoupled decay (adamw) */
  int optimizer;       /* TB_MLP_OPT_* */
  double momentum;     /* momentum / nesterov */
  double lr;           /* base learning rate eps0 */
  int schedule;        /* TB_MLP_SCHED_* */
  double anneal_t0;    /* anneal: lr * t0 / max(t, t0), t in updates */
  int step_size;       /* step: epochs between decays */
  double gamma;        /* step: decay factor */
  int batch_size;      /* rows per update */
  int epochs;          /* planned epochs (the cosine horizon; training may go on past it) */
  int min_updates;     /* updates per epoch at least (tb_mlp_passes) */
} tb_mlp_config;

/* Checks x against the declaration (tb_learner_check: sp is the mlp's space) and decodes it, inactive ones at their
 * defaults; returns NULL or the check's message into buf. For callers that hold x, not a tb_learner_config. */
const char *tb_mlp_config_read(const tb_space *sp, const double *x, tb_mlp_config *c, char *buf, size_t len);

/* Learning rate of update t (1-based) with `per_epoch` updates per epoch. */
double tb_mlp_lr_at(const tb_mlp_config *c, int64_t t, int64_t per_epoch);

typedef struct tb_mlp {
  tb_mlp_config cfg;
  int d, n_out, n_lin;          /* input width, outputs, linear layers (= layers + 1) */
  int fan_in[TB_MLP_MAX_LAYERS + 1], fan_out[TB_MLP_MAX_LAYERS + 1];
  size_t w_off[TB_MLP_MAX_LAYERS + 1], b_off[TB_MLP_MAX_LAYERS + 1]; /* offsets in params (floats) */
  size_t n_params;
  int rows;                     /* rows of the work buffers: max(batch_size, eval chunk) */
  int regression;
  float y_mean, y_std;          /* regression: the network predicts (y - y_mean) / y_std */
  int n_moments;                /* optimizer state vectors: 0 (sgd), 1 (momentum), 2 (adam) */
  /* device buffers */
  tb_buf params, grads, mom1, mom2;
  tb_buf perm;                  /* n_train dataset row indices, shuffled each epoch */
  tb_buf idx;                   /* rows: evaluation row indices */
  tb_buf xb, yb;                /* rows x d features; rows labels (int32) or targets (float) */
  tb_buf act[TB_MLP_MAX_LAYERS], drop[TB_MLP_MAX_LAYERS], mask[TB_MLP_MAX_LAYERS]; /* rows x units each */
  tb_buf dh[2];                 /* rows x max(units, n_out): backward ping-pong */
  tb_buf out;                   /* rows x n_out: logits / network outputs (and their gradient) */
  tb_buf pred;                  /* regression: rows, y_std * out + y_mean */
  tb_buf loss;                  /* max(n_train, rows) per-row losses of one epoch */
  tb_buf cst;                   /* regression: {1, y_mean}; unused (empty) for classification */
  tb_buf ev_idx, ev_loss, ev_pred; /* evaluation: all its row indices, per-row losses, argmax per row (int32); grown
                                      to the largest evaluation so far, so an evaluation waits twice whatever its
                                      rows (loss sum, argmax download) */
  uint64_t seed_init, seed_shuffle, seed_drop;
  /* state that save/restore carries */
  int64_t step;                 /* updates done */
  int64_t epoch;                /* epochs done */
  uint64_t drop_pos;            /* next element of the dropout stream */
  uint32_t *order;              /* host scratch: n_train */
} tb_mlp;

/* Divergence (solo and fused alike): an epoch whose mean training loss is not finite or above TB_MLP_DIVERGED_FACTOR
 * times the loss of the trivial predictor: log(n_out) for classification (uniform probabilities), 0.5 y_std^2 for
 * regression (the mean). sgd at lr 10 gives losses of 1e3 to 1e10 that stay finite at chance accuracy for many
 * epochs; such a model has diverged, and says so (TB_ERR_RANGE) rather than being scored as a result. */
#define TB_MLP_DIVERGED_FACTOR 100.0
static inline int tb_mlp_diverged(double mean_loss, int regression, int n_out, double y_std) {
  double base = regression ? 0.5 * y_std * y_std : log((double)(n_out > 1 ? n_out : 2));
  return !isfinite(mean_loss) || mean_loss > TB_MLP_DIVERGED_FACTOR * base;
}

/* Passes over the training rows in one epoch: enough for min_updates updates (at least one pass). With the
 * default 20, a large set (Fashion-MNIST: 282 batches of 128) makes one pass per epoch as ever; a 107-row set (wine's
 * train part) makes 20, so the default 10 epochs are 200 updates, scikit-learn's default max_iter on such a set,
 * instead of 10. Pass q of epoch e shuffles with the stream (seed, e * passes + q): with one pass, (seed, e). */
static inline int64_t tb_mlp_passes(size_t n_train, int batch, int min_updates) {
  int64_t per_pass = (int64_t)((n_train + (size_t)batch - 1) / (size_t)batch);
  if (per_pass < 1) per_pass = 1;
  int64_t q = ((int64_t)min_updates + per_pass - 1) / per_pass;
  return q > 1 ? q : 1;
}

int tb_mlp_train(tb_model *m, int units);
int tb_mlp_evaluate(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out);
int tb_mlp_predict_device(tb_model *m, const float *X, size_t n, float *out);
#endif
