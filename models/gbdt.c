/* gbdt.c: the gradient-boosted trees learner (histogram method, as XGBoost's `hist`): binary logistic, multiclass
 * softmax (one tree per class per round) and squared error; depth-wise or loss-guided growth (tree_grow_depthwise.c,
 * tree_grow_lossguide.c) on the dataset's shared quantised bins; learning rate, L1/L2 on leaf weights, gamma,
 * min_child_weight, row subsampling per round and column subsampling per tree (both seeded), early stopping on the
 * validation rows keeping the best round. It is not the tree grower (tree_grow.h, tree_grow*.c) nor the tree storage
 * (tree_set.c). Tested by tests/test_model_gbdt.c.
 *
 * State: margins for EVERY row of the dataset, updated after each round, so training gradients, validation loss and
 * evaluation of any part cost a gather. The margin buffer is (n_all + n_other, n_out): the first n_all rows are
 * indexed by dataset row and are current for the training rows; the n_other rows outside the training set have their
 * margins in the last n_other rows, in ascending row order (g->mrow maps a dataset row to its margin row). After a
 * tree is grown its training rows get its leaf values by tb_op_segment_add (each leaf owns a contiguous segment of
 * the partitioned row list: no tree walk); with subsample < 1 (rows outside the round's sample) the new trees are
 * predicted on every row's bins instead. The other rows' trees are predicted on a compact copy of their bins
 * (g->obins). Both paths add the same float leaf values in the same order, so they give identical bits.
 * Binary classification keeps two margin columns, column 0 fixed at 0 and the trees in column 1, so the
 * softmax of a row is (1 - sigmoid, sigmoid) and every classification path is the softmax one.
 * Per-row gradients are made on the device by tb_op_tree_grad_stats (int64 fixed point, scale from the largest
 * magnitude) and never leave it; the host only keeps the tree bookkeeping.
 * Leaf weight: learning_rate * -T_alpha(G) / (H + lambda) (XGBoost); base score: the log-odds / log class priors /
 * mean of the training rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt_impl.h"
#include "model_impl.h"
#include "tb_split_gain.h"
#include "tb_rng.h"
#include "tree_grow.h"

static const int bins_choices[] = {16, 32, 64, 128, 256};
#define GBDT_HIST_BYTES ((size_t)64 << 20)
#define GBDT_MIN_GAIN 1e-6 /* XGBoost's kRtEps: gains below are rounding noise */

enum {
  HP_OBJECTIVE, HP_ROUNDS, HP_LEARNING_RATE, HP_MAX_DEPTH, HP_GROW_POLICY, HP_MAX_LEAVES, HP_MIN_CHILD_WEIGHT,
  HP_LAMBDA, HP_ALPHA, HP_GAMMA, HP_SUBSAMPLE, HP_COLSAMPLE_BYTREE, HP_MAX_BINS, HP_EARLY_STOPPING_ROUNDS,
  GBDT_N_HPARAMS
};

/* The declaration: the one range of each hyperparameter (tb_learner_check holds every configuration to it). */
static const tb_param gbdt_hparams[GBDT_N_HPARAMS] = {
  [HP_OBJECTIVE] = {.name = "objective", .type = TB_PARAM_CATEGORICAL, .n_choices = 4,
                    .choices = {"auto", "logistic", "softmax", "squared"}, .def = OBJ_AUTO,
                    .help = "auto: logistic (2 classes), softmax (more), squared (regression); keep auto when tuning"},
  [HP_ROUNDS] = {.name = "rounds", .type = TB_PARAM_INT, .lo = 1, .hi = 5000, .log = 1, .step = 1, .def = 100,
                 .help = "boosting rounds (the fidelity: `tunebench train` runs this many)"},
  [HP_LEARNING_RATE] = {.name = "learning_rate", .type = TB_PARAM_FLOAT, .lo = 0.01, .hi = 1, .log = 1, .def = 0.1,
                        .help = "shrinkage of each tree's leaf weights"},
  [HP_MAX_DEPTH] = {.name = "max_depth", .type = TB_PARAM_INT, .lo = 1, .hi = 12, .step = 1, .def = 6,
                    .help = "maximum tree depth"},
  [HP_GROW_POLICY] = {.name = "grow_policy", .type = TB_PARAM_CATEGORICAL, .n_choices = 2,
                      .choices = {"depthwise", "lossguide"}, .def = TB_GROW_DEPTHWISE,
                      .help = "depthwise: level by level; lossguide: best leaf first up to max_leaves"},
  [HP_MAX_LEAVES] = {.name = "max_leaves", .type = TB_PARAM_INT, .lo = 2, .hi = 1024, .log = 1, .step = 1, .def = 31,
                     .parent = HP_GROW_POLICY, .n_cond = 1, .cond_values = {TB_GROW_LOSSGUIDE},
                     .help = "lossguide: maximum leaves per tree"},
  [HP_MIN_CHILD_WEIGHT] = {.name = "min_child_weight", .type = TB_PARAM_FLOAT, .lo = 1e-3, .hi = 100, .log = 1,
                           .def = 1, .help = "minimum hessian sum in a child"},
  [HP_LAMBDA] = {.name = "lambda", .type = TB_PARAM_FLOAT, .lo = 1e-3, .hi = 1000, .log = 1, .def = 1,
                 .help = "L2 penalty on leaf weights"},
  [HP_ALPHA] = {.name = "alpha", .type = TB_PARAM_FLOAT, .lo = 0, .hi = 10, .def = 0,
                .help = "L1 penalty on leaf weights"},
  [HP_GAMMA] = {.name = "gamma", .type = TB_PARAM_FLOAT, .lo = 0, .hi = 10, .def = 0,
                .help = "minimum loss reduction of a split (0.5 * gain formula - gamma must be > 0)"},
  [HP_SUBSAMPLE] = {.name = "subsample", .type = TB_PARAM_FLOAT, .lo = 0.1, .hi = 1, .def = 1,
                    .help = "fraction of training rows per round (Bernoulli, seeded)"},
  [HP_COLSAMPLE_BYTREE] = {.name = "colsample_bytree", .type = TB_PARAM_FLOAT, .lo = 0.1, .hi = 1, .def = 1,
                           .help = "fraction of features per tree (seeded)"},
  [HP_MAX_BINS] = {.name = "max_bins", .type = TB_PARAM_CATEGORICAL, .n_choices = 5,
                   .choices = {"16", "32", "64", "128", "256"}, .def = 4,
                   .help = "quantile bins per feature (shared by all tree trials on a dataset)"},
  [HP_EARLY_STOPPING_ROUNDS] = {.name = "early_stopping_rounds", .type = TB_PARAM_INT, .lo = 0, .hi = 1000,
                                .step = 1, .def = 0,
                                .help = "stop when the validation loss has not improved for this many rounds, "
                                        "keeping the best (0: off)"},
};

/* The learner's settings, decoded once per configuration (inactive ones at their defaults). */
typedef struct {
  int objective, esr, max_bins;
  double lr, subsample, colsample;
  tb_grow_params gp; /* policy, depth, leaves (0 unless lossguide) and the split's lambda, alpha, gamma, min weight */
} gbdt_params;
_Static_assert(sizeof(gbdt_params) <= TB_LEARNER_PARAMS_MAX, "gbdt_params outgrew TB_LEARNER_PARAMS_MAX");

static const char *gbdt_decode(const double *x, void *params, char *buf, size_t len) {
  gbdt_params *p = params;
  (void)buf, (void)len;
  memset(p, 0, sizeof *p);
  p->objective = (int)x[HP_OBJECTIVE];
  p->lr = x[HP_LEARNING_RATE];
  p->esr = (int)x[HP_EARLY_STOPPING_ROUNDS];
  p->subsample = x[HP_SUBSAMPLE];
  p->colsample = x[HP_COLSAMPLE_BYTREE];
  p->max_bins = bins_choices[(int)x[HP_MAX_BINS]];
  p->gp.n_stats = 2;
  p->gp.policy = (tb_grow_policy)x[HP_GROW_POLICY];
  p->gp.max_depth = (int)x[HP_MAX_DEPTH];
  p->gp.max_leaves = p->gp.policy == TB_GROW_LOSSGUIDE ? (int)x[HP_MAX_LEAVES] : 0;
  p->gp.split = (tb_split_params){.criterion = TB_SPLIT_GRADIENT, .scale = 1.0, .lambda = x[HP_LAMBDA],
                                  .alpha = x[HP_ALPHA], .gamma = x[HP_GAMMA],
                                  .min_child_weight = x[HP_MIN_CHILD_WEIGHT], .min_gain = GBDT_MIN_GAIN};
  return NULL;
}


static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int resolve_obj(int obj, const tb_dataset *ds, int *out) {
  int a = ds->task == TB_TASK_REGRESSION ? OBJ_SQUARED : ds->n_classes == 2 ? OBJ_LOGISTIC : OBJ_SOFTMAX;
  if (obj == OBJ_AUTO) obj = a;
  int ok = ds->task == TB_TASK_REGRESSION ? obj == OBJ_SQUARED : obj == OBJ_SOFTMAX || (obj == OBJ_LOGISTIC && a == OBJ_LOGISTIC);
  if (!ok)
    return tb_error_set(TB_ERR_INVALID, "gbdt: objective %s does not fit %s with %d classes (use auto)",
                        gbdt_hparams[HP_OBJECTIVE].choices[obj], ds->task == TB_TASK_REGRESSION ? "regression" : "classification",
                        ds->n_classes);
  *out = obj;
  return TB_OK;
}

static int gbdt_choice_fits(const char *name, const char *choice, tb_task task, int n_classes) {
  if (strcmp(name, "objective")) return 1;
  if (!strcmp(choice, "squared")) return task == TB_TASK_REGRESSION;
  if (!strcmp(choice, "softmax")) return task == TB_TASK_CLASSIFICATION;
  if (!strcmp(choice, "logistic")) return task == TB_TASK_CLASSIFICATION && n_classes == 2;
  return 1;
}

static size_t hist_bytes(const tb_grow_params *gp, int total_bins) {
  size_t slot = (size_t)total_bins * 2 * sizeof(int64_t);
  size_t slots = gp->policy == TB_GROW_LOSSGUIDE ? 2 * ((size_t)gp->max_leaves + 1) : (size_t)1 << gp->max_depth;
  size_t b = slots * slot;
  return b < GBDT_HIST_BYTES ? b : GBDT_HIST_BYTES;
}

static int gbdt_estimate(const void *params, size_t n_rows, int n_cols, int n_outputs, size_t *bytes) {
  const gbdt_params *hp = params;
  int k_trees = n_outputs > 2 ? n_outputs : 1;
  int tb = n_cols * hp->max_bins;
  const tb_grow_params gp = hp->gp;
  /* the shared bins, row-major and column-major (2 * n_rows * n_cols), are made by the first tree model */
  *bytes = n_rows * (size_t)n_outputs * sizeof(float) * 3 + 2 * n_rows * (size_t)n_cols +
           (size_t)k_trees * n_rows * 2 * sizeof(int64_t) +
           3 * n_rows * sizeof(uint32_t) + tb_grow_ws_bytes(n_cols, tb, n_rows, 2, hist_bytes(&gp, tb)) +
           ((size_t)1 << 20);
  return TB_OK;
}

/* Per-tree column mask: the first k of a seeded permutation. */
static void tree_mask(void *ctx, int32_t node, int n_cols, uint8_t *mask) {
  (void)node;
  memcpy(mask, ctx, (size_t)n_cols);
}

static void gbdt_destroy(tb_model *m) {
  gbdt *g = m->impl;
  if (!g) return;
  tb_grow_ws_free(g->ws);
  tb_treeset_free(m->be, &g->trees);
  tb_buf *bufs[] = {&g->obins,     &g->valid_midx, &g->margins,    &g->stats,   &g->train_idx,
                    &g->valid_idx, &g->round_rows, &g->base_dev,   &g->ev_loss, &g->ev_y, &g->ev_pred};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) tb_backend_release(m->be, bufs[i]);
  free(g->base);
  free(g->mrow);
  free(g->rows_host);
  free(g->tr);
  free(g->colmask);
  free(g);
  m->impl = NULL;
}

static int gbdt_create(tb_model *m) {
  int rc = TB_OK;
  const tb_dataset *ds = tb_devdata_dataset(m->dd);
  gbdt *g = calloc(1, sizeof *g);
  if (!g) return tb_error_set(TB_ERR_NOMEM, "gbdt: out of host memory");
  m->impl = g;
  const gbdt_params *hp = m->params;
  TB_TRY(resolve_obj(hp->objective, ds, &g->obj));
  g->n_out = m->n_outputs;
  g->k_trees = g->obj == OBJ_SOFTMAX ? g->n_out : 1;
  g->lr = hp->lr;
  g->esr = hp->esr;
  g->subsample = hp->subsample;
  g->colsample = hp->colsample;
  g->best_loss = INFINITY;
  g->n_all = ds->n_rows;
  g->trees.leaf_width = 1;
  tb_grow_params *gp = &g->gp;
  *gp = hp->gp;
  TB_TRY(tb_devdata_bins(m->dd, hp->max_bins, m->train, m->n_train, &g->bins));
  TB_TRY(tb_grow_ws_init(m->be, g->bins, ds->n_cols, m->n_train, 2, hist_bytes(gp, g->bins->total_bins), &g->ws));
  tb_grow_ws_set_bins_cols(g->ws, tb_devdata_bins_cols(m->dd, g->bins), ds->n_rows);
  TB_TRY(tb_gbdt_other_rows(m));
  const size_t nm = (g->n_all + g->n_other) * (size_t)g->n_out;
  TB_TRY(tb_backend_alloc(m->be, nm * sizeof(float), &g->margins));
  TB_TRY(tb_backend_alloc(m->be, (size_t)g->k_trees * g->n_all * 2 * sizeof(int64_t), &g->stats));
  /* rows outside the training set are never written by compute_stats nor read by the grower: zero them once
   * (0.0f has all bits 0, so a float fill zeroes int64 too) */
  TB_TRY(tb_op_fill(m->be, g->stats.bytes / sizeof(float), 0.0f, g->stats.data));
  TB_TRY(tb_backend_alloc(m->be, m->n_train * sizeof(uint32_t), &g->train_idx));
  TB_TRY(tb_backend_alloc(m->be, m->n_valid * sizeof(uint32_t), &g->valid_idx));
  TB_TRY(tb_backend_alloc(m->be, m->n_train * sizeof(uint32_t), &g->round_rows));
  TB_TRY(tb_backend_alloc(m->be, (size_t)g->n_out * sizeof(float), &g->base_dev));
  g->tr = malloc(m->n_train * sizeof *g->tr);
  if (!g->tr) TB_FAIL(TB_ERR_NOMEM, "gbdt: out of host memory (%zu rows)", m->n_train);
  memcpy(g->tr, m->train, m->n_train * sizeof *g->tr);
  qsort(g->tr, m->n_train, sizeof *g->tr, cmp_u32);
  TB_TRY(tb_backend_upload(m->be, g->train_idx.data, g->tr, m->n_train * sizeof(uint32_t)));
  TB_TRY(tb_backend_upload(m->be, g->valid_idx.data, m->valid, m->n_valid * sizeof(uint32_t)));
  TB_TRY(tb_backend_alloc(m->be, m->n_valid * sizeof(uint32_t), &g->valid_midx));
  TB_TRY(tb_gbdt_upload_mrows(m, m->valid, m->n_valid, g->valid_midx.data));
  g->base = calloc((size_t)g->n_out, sizeof *g->base);
  g->rows_host = malloc(m->n_train * sizeof *g->rows_host);
  g->colmask = malloc((size_t)ds->n_cols);
  if (!g->base || !g->rows_host || !g->colmask)
    TB_FAIL(TB_ERR_NOMEM, "gbdt: out of host memory (%zu rows)", g->n_all);
  /* base score from the training rows */
  if (g->obj == OBJ_SQUARED) {
    double s = 0;
    for (size_t i = 0; i < m->n_train; i++) s += ds->y_value[m->train[i]];
    g->base[0] = (float)(s / (double)m->n_train);
  } else {
    double *cnt = calloc((size_t)g->n_out, sizeof *cnt);
    if (!cnt) TB_FAIL(TB_ERR_NOMEM, "gbdt: out of host memory");
    for (size_t i = 0; i < m->n_train; i++) cnt[ds->y_class[m->train[i]]] += 1.0;
    for (int k = 0; k < g->n_out; k++) {
      double p = (cnt[k] + 0.5) / ((double)m->n_train + 0.5 * g->n_out); /* smoothed: no log(0) */
      g->base[k] = (float)log(p);
    }
    if (g->obj == OBJ_LOGISTIC) { /* column 0 fixed at 0, column 1 the log-odds */
      g->base[1] = g->base[1] - g->base[0];
      g->base[0] = 0.0f;
    }
    free(cnt);
  }
  TB_TRY(tb_backend_upload(m->be, g->base_dev.data, g->base, (size_t)g->n_out * sizeof(float)));
  TB_TRY(tb_gbdt_recompute_margins(m));
done:
  return rc;
}

/* Gradients of the training rows' margins in int64 fixed point, on the device: tb_op_tree_grad_stats writes
 * g->stats (k_trees, n_all, 2) for the training rows and picks the scale from the largest |g|, |h| (1 for the
 * classification objectives). A non-finite gradient means the model diverged. */
static int compute_stats(tb_model *m, double *scale_out) {
  gbdt *g = m->impl;
  const tb_grad_objective obj = g->obj == OBJ_SQUARED   ? TB_GRAD_SQUARED
                                : g->obj == OBJ_LOGISTIC ? TB_GRAD_LOGISTIC /* margins (0, z): the last column */
                                                         : TB_GRAD_SOFTMAX;
  double scale = 0.0;
  int rc = tb_op_tree_grad_stats(m->be, obj, g->k_trees, g->n_all, m->n_train, g->train_idx.data, g->margins.data,
                                 g->n_out, tb_devdata_labels(m->dd), tb_devdata_targets(m->dd), &scale,
                                 g->stats.data);
  if (rc == TB_ERR_RANGE) {
    char why[256];
    snprintf(why, sizeof why, "%s", tb_error_detail());
    return tb_error_set(rc, "gbdt: diverged at round %d (%s)", g->n_rounds + 1, why);
  }
  if (rc < 0) return rc;
  *scale_out = scale;
  return TB_OK;
}

/* Rows of this round (subsample) into g->round_rows; returns their number. */
static int sample_rows(tb_model *m, size_t *n_rows) {
  gbdt *g = m->impl;
  if (g->subsample >= 1.0) {
    *n_rows = m->n_train;
    return tb_backend_copy(m->be, g->round_rows.data, g->train_idx.data, m->n_train * sizeof(uint32_t));
  }
  uint64_t seed = tb_rng_derive(tb_rng_derive(m->seed, 1), (uint64_t)g->n_rounds);
  size_t k = 0;
  for (size_t i = 0; i < m->n_train; i++)
    if (tb_rng_uniform_double(seed, i) < g->subsample) g->rows_host[k++] = g->tr[i];
  if (k == 0) g->rows_host[k++] = g->tr[0];
  *n_rows = k;
  return tb_backend_upload_async(m->be, g->round_rows.data, g->rows_host, k * sizeof(uint32_t));
}

static void sample_cols(tb_model *m, int tree, int n_cols) {
  gbdt *g = m->impl;
  int k = (int)floor(g->colsample * n_cols);
  if (k < 1) k = 1;
  memset(g->colmask, 0, (size_t)n_cols);
  if (k >= n_cols) {
    memset(g->colmask, 1, (size_t)n_cols);
    return;
  }
  /* k distinct features drawn by rejection from the tree's seeded stream */
  uint64_t seed = tb_rng_derive(tb_rng_derive(m->seed, 2), (uint64_t)tree);
  for (int c = 0, drawn = 0; drawn < k; c++) {
    int j = (int)(tb_rng_uniform_double(seed, (uint64_t)c) * n_cols);
    if (!g->colmask[j]) {
      g->colmask[j] = 1;
      drawn++;
    }
  }
}

/* Validation loss (mean log-loss or 0.5 * MSE) of the current margins. */

static int one_round(tb_model *m) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  const int n_cols = tb_devdata_dataset(m->dd)->n_cols;
  tb_grown_tree t = {0};
  float *vals = NULL;
  double scale = 1.0;
  size_t n_rows = 0;
  TB_TRY(compute_stats(m, &scale));
  TB_TRY(sample_rows(m, &n_rows));
  g->gp.split.scale = scale;
  int first = g->trees.n_trees;
  for (int k = 0; k < g->k_trees; k++) {
    const int tree_id = g->n_rounds * g->k_trees + k;
    if (g->colsample < 1.0) {
      sample_cols(m, tree_id, n_cols);
      g->gp.mask = tree_mask;
      g->gp.mask_ctx = g->colmask;
    } else {
      g->gp.mask = NULL;
    }
    TB_TRY(tb_backend_copy(m->be, tb_grow_ws_rows(g->ws), g->round_rows.data, n_rows * sizeof(uint32_t)));
    TB_TRY(tb_grow_tree(g->ws, &g->gp, (const int64_t *)g->stats.data + (size_t)k * g->n_all * 2, n_rows, &t));
    float *v = realloc(vals, (size_t)t.n_leaves * sizeof *v);
    if (!v) TB_FAIL(TB_ERR_NOMEM, "gbdt: out of host memory");
    vals = v;
    for (int l = 0; l < t.n_leaves; l++)
      vals[l] = (float)(g->lr * tb_split_leaf_weight((double)t.leaf_stats[2 * l] / scale,
                                                     (double)t.leaf_stats[2 * l + 1] / scale, g->gp.split.lambda,
                                                     g->gp.split.alpha));
    const int col = g->obj == OBJ_LOGISTIC ? 1 : k;
    TB_TRY(tb_treeset_add(&g->trees, &t, vals, col));
    /* every training row is in this tree's row list: its leaf segments carry the update (before the next tree
     * of the round reuses the list) */
    if (n_rows == m->n_train)
      TB_TRY(tb_op_segment_add(m->be, t.n_leaves, t.leaf_begin, t.leaf_count, vals, tb_grow_ws_rows(g->ws), n_rows,
                               g->n_out, col, g->margins.data));
  }
  TB_TRY(tb_gbdt_predict_margins(m, first, g->k_trees, n_rows != m->n_train));
  g->n_rounds++;
done:
  if (rc < 0) tb_treeset_truncate(&g->trees, g->n_rounds * g->k_trees);
  tb_grown_tree_free(&t);
  free(vals);
  return rc;
}

static int gbdt_train(tb_model *m, int units) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  for (int u = 0; u < units && !g->stopped; u++) {
    TB_TRY(one_round(m));
    if (g->esr > 0 && m->n_valid > 0) {
      tb_metrics mt;
      TB_TRY(tb_gbdt_eval_dev(m, g->valid_idx.data, g->valid_midx.data, m->n_valid, &mt));
      if (mt.loss < g->best_loss) {
        g->best_loss = mt.loss;
        g->best_round = g->n_rounds;
      } else if (g->n_rounds - g->best_round >= g->esr) {
        g->stopped = 1;
        g->n_rounds = g->best_round;
        tb_treeset_truncate(&g->trees, g->n_rounds * g->k_trees);
        TB_TRY(tb_gbdt_recompute_margins(m));
      }
    }
  }
  m->fidelity = g->n_rounds;
  if (m->n_train) { /* the training loss of the model as it stands: margin rows of dataset rows are those rows */
    tb_metrics mt;
    TB_TRY(tb_gbdt_eval_dev(m, g->train_idx.data, g->train_idx.data, m->n_train, &mt));
    m->train_loss = mt.loss;
  }
done:
  return rc;
}

static int gbdt_evaluate(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out) {
  int rc = TB_OK;
  tb_buf idx = {0}, midx = {0};
  TB_TRY(tb_backend_alloc(m->be, n_rows * sizeof(uint32_t), &idx));
  TB_TRY(tb_backend_alloc(m->be, n_rows * sizeof(uint32_t), &midx));
  TB_TRY(tb_backend_upload(m->be, idx.data, rows, n_rows * sizeof(uint32_t)));
  TB_TRY(tb_gbdt_upload_mrows(m, rows, n_rows, midx.data));
  TB_TRY(tb_gbdt_eval_dev(m, idx.data, midx.data, n_rows, out));
done:
  tb_backend_release(m->be, &midx);
  tb_backend_release(m->be, &idx);
  return rc;
}

/* out (n, n_out): base + trees on raw X, then class probabilities by softmax (tb_op_softmax, in place). */
static int gbdt_predict(tb_model *m, const float *X, size_t n, float *out) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  const int C = g->n_out;
  TB_TRY(tb_treeset_sync(m->be, &g->trees));
  TB_TRY(tb_op_fill(m->be, n * (size_t)C, 0.0f, out));
  TB_TRY(tb_op_bias_add(m->be, 1, (int)n, C, out, g->base_dev.data));
  tb_forest_view v = tb_treeset_view(&g->trees, 0, g->trees.n_trees);
  if (v.n_trees)
    TB_TRY(tb_op_forest_predict(m->be, &v, n, tb_devdata_dataset(m->dd)->n_cols, X, NULL, 1.0f, C, out));
  if (g->obj != OBJ_SQUARED) TB_TRY(tb_op_softmax(m->be, 1, (int)n, C, out, out));
done:
  return rc;
}

static size_t gbdt_n_params(const tb_model *m) { return ((const gbdt *)m->impl)->trees.n_nodes; }

/* Blob: int32 obj, n_out, n_rounds, best_round, stopped, pad; double best_loss; float base[n_out]; trees. */
static int gbdt_save(const tb_model *m, void **blob, size_t *len) {
  const gbdt *g = m->impl;
  int32_t h[6] = {g->obj, g->n_out, g->n_rounds, g->best_round, g->stopped, 0};
  size_t n = sizeof h + sizeof(double) + (size_t)g->n_out * sizeof(float) + tb_treeset_blob_size(&g->trees);
  unsigned char *b = malloc(n);
  if (!b) return tb_error_set(TB_ERR_NOMEM, "gbdt save: out of host memory (%zu bytes)", n);
  memcpy(b, h, sizeof h);
  memcpy(b + sizeof h, &g->best_loss, sizeof(double));
  memcpy(b + sizeof h + sizeof(double), g->base, (size_t)g->n_out * sizeof(float));
  tb_treeset_write(&g->trees, b + sizeof h + sizeof(double) + (size_t)g->n_out * sizeof(float));
  *blob = b;
  *len = n;
  return TB_OK;
}

static int gbdt_restore(tb_model *m, const void *blob, size_t len) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  int32_t h[6];
  size_t used = 0, head = sizeof h + sizeof(double) + (size_t)g->n_out * sizeof(float);
  const unsigned char *b = blob;
  if (len < head) return tb_error_set(TB_ERR_FORMAT, "gbdt restore: state too short (%zu bytes)", len);
  memcpy(h, b, sizeof h);
  if (h[0] != g->obj || h[1] != g->n_out || h[2] < 0 || h[3] < 0 || h[3] > h[2])
    return tb_error_set(TB_ERR_INVALID, "gbdt restore: the state is for objective %d with %d outputs, the model "
                        "has %d and %d (or the state is corrupt)", h[0], h[1], g->obj, g->n_out);
  int64_t nt;
  if (len >= head + sizeof nt) memcpy(&nt, b + head, sizeof nt);
  if (len < head + sizeof nt || nt != (int64_t)h[2] * g->k_trees)
    return tb_error_set(TB_ERR_FORMAT, "gbdt restore: the state's trees do not match its %d rounds", h[2]);
  TB_TRY(tb_treeset_read(m->be, &g->trees, b + head, len - head, tb_devdata_dataset(m->dd)->n_cols, g->n_out, &used));
  memcpy(&g->best_loss, b + sizeof h, sizeof(double));
  memcpy(g->base, b + sizeof h + sizeof(double), (size_t)g->n_out * sizeof(float));
  g->n_rounds = h[2];
  g->best_round = h[3];
  g->stopped = h[4] != 0;
  TB_TRY(tb_backend_upload(m->be, g->base_dev.data, g->base, (size_t)g->n_out * sizeof(float)));
  TB_TRY(tb_gbdt_recompute_margins(m));
done:
  return rc;
}

const tb_learner tb_learner_gbdt = {
  .name = "gbdt",
  .fidelity_unit = "rounds",
  .tasks = (1 << TB_TASK_CLASSIFICATION) | (1 << TB_TASK_REGRESSION),
  .n_hparams = GBDT_N_HPARAMS,
  .hparams = gbdt_hparams,
  .params_size = sizeof(gbdt_params),
  .decode = gbdt_decode,
  .choice_fits = gbdt_choice_fits,
  .estimate_bytes = gbdt_estimate,
  .create = gbdt_create,
  .train = gbdt_train,
  .evaluate = gbdt_evaluate,
  .predict_device = gbdt_predict,
  .n_params = gbdt_n_params,
  .save = gbdt_save,
  .restore = gbdt_restore,
  .destroy = gbdt_destroy,
};
