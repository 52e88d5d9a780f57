/* forest.c: the random forest learner (Breiman): bootstrap samples as per-row integer weights, a random subset of
 * max_features features per node (the feature_mask of tb_op_split_find), gini or entropy on weighted class counts
 * (classification; leaves hold class distributions) or variance on (count, sum y, sum y^2) (regression; leaves hold
 * means), grown depth-wise by the tree grower (tree_grow.h) on the dataset's shared bins. Predictions average the
 * trees. It is not the grower (tree_grow*.c) nor the tree storage (tree_set.c). Tested by tests/test_model_forest.c.
 *
 * Trees in parallel: on the CPU backend, one train call grows its trees in an OpenMP loop, one workspace (row list,
 * histograms, statistics) per thread; the backend's CPU ops are thread-safe on distinct buffers and run with one
 * thread each inside the loop (nested regions are inactive); every device buffer is allocated before the loop. On
 * other backends trees are grown one after another (one stream per context). Results do not depend on the thread
 * count: tree t's bootstrap and feature draws come from the stream (seed, t), and trees are added in order.
 * Per-row statistics (bootstrap counts times one-hot labels, or count, sum y, sum y^2) are made on the device by
 * tb_op_class_count_stats / tb_op_value_count_stats from the host's bootstrap counts (one int32 per drawn row).
 * State: sums (dataset rows, n_out) of every tree's output for every row, updated per train call, so evaluation of
 * any part is a gather; metrics (log-loss of averaged distributions) are computed on the host from the download. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"
#include "tb_rng.h"
#include "tree_grow.h"

static const int bins_choices[] = {16, 32, 64, 128, 256};
#define FOREST_HIST_BYTES ((size_t)32 << 20)

enum { MF_SQRT = 0, MF_LOG2 = 1, MF_ALL = 2, MF_FRACTION = 3 };

enum {
  HP_N_TREES, HP_MAX_DEPTH, HP_MIN_SAMPLES_LEAF, HP_MAX_FEATURES, HP_MAX_FEATURES_FRACTION, HP_BOOTSTRAP, HP_CRITERION,
  HP_MAX_BINS, FOREST_N_HPARAMS
};

/* The declaration: the one range of each hyperparameter (tb_learner_check holds every configuration to it). */
static const tb_param forest_hparams[FOREST_N_HPARAMS] = {
  [HP_N_TREES] = {.name = "n_trees", .type = TB_PARAM_INT, .lo = 1, .hi = 2000, .log = 1, .step = 1, .def = 100,
                  .help = "number of trees (the fidelity: each unit adds a tree)"},
  [HP_MAX_DEPTH] = {.name = "max_depth", .type = TB_PARAM_INT, .lo = 1, .hi = 24, .step = 1, .def = 12,
                    .help = "maximum tree depth"},
  [HP_MIN_SAMPLES_LEAF] = {.name = "min_samples_leaf", .type = TB_PARAM_INT, .lo = 1, .hi = 64, .log = 1, .step = 1,
                           .def = 1, .help = "minimum (bootstrap-weighted) rows in a leaf"},
  [HP_MAX_FEATURES] = {.name = "max_features", .type = TB_PARAM_CATEGORICAL, .n_choices = 4,
                       .choices = {"sqrt", "log2", "all", "fraction"}, .def = MF_SQRT,
                       .help = "features tried per node: sqrt(d), log2(d), d, or max_features_fraction * d"},
  [HP_MAX_FEATURES_FRACTION] = {.name = "max_features_fraction", .type = TB_PARAM_FLOAT, .lo = 0.05, .hi = 1,
                                .def = 0.5, .parent = HP_MAX_FEATURES, .n_cond = 1, .cond_values = {MF_FRACTION},
                                .help = "fraction of features tried per node"},
  [HP_BOOTSTRAP] = {.name = "bootstrap", .type = TB_PARAM_INT, .lo = 0, .hi = 1, .step = 1, .def = 1,
                    .help = "1: each tree sees a bootstrap sample (as integer row weights); 0: every training row "
                            "once"},
  [HP_CRITERION] = {.name = "criterion", .type = TB_PARAM_CATEGORICAL, .n_choices = 2, .choices = {"gini", "entropy"},
                    .def = 0, .help = "classification impurity (regression always uses variance)"},
  [HP_MAX_BINS] = {.name = "max_bins", .type = TB_PARAM_CATEGORICAL, .n_choices = 5,
                   .choices = {"16", "32", "64", "128", "256"}, .def = 4,
                   .help = "quantile bins per feature (shared by all tree trials on a dataset)"},
};

/* The learner's settings, decoded once per configuration (inactive ones at their defaults). */
typedef struct {
  int max_depth, max_features, bootstrap, entropy, max_bins;
  double max_features_fraction, min_samples_leaf;
} forest_params;
_Static_assert(sizeof(forest_params) <= TB_LEARNER_PARAMS_MAX, "forest_params outgrew TB_LEARNER_PARAMS_MAX");

static const char *forest_decode(const double *x, void *params, char *buf, size_t len) {
  (void)buf, (void)len;
  *(forest_params *)params = (forest_params){
      .max_depth = (int)x[HP_MAX_DEPTH], .max_features = (int)x[HP_MAX_FEATURES], .bootstrap = (int)x[HP_BOOTSTRAP],
      .entropy = (int)x[HP_CRITERION] != 0, .max_bins = bins_choices[(int)x[HP_MAX_BINS]],
      .max_features_fraction = x[HP_MAX_FEATURES_FRACTION], .min_samples_leaf = x[HP_MIN_SAMPLES_LEAF]};
  return NULL;
}

/* One thread's scratch. */
typedef struct {
  tb_grow_ws *ws;
  tb_buf stats;      /* (dataset rows, n_stats) int64, written by tb_op_class_count_stats or tb_op_value_count_stats */
  tb_buf wts;        /* (training rows) int32: the bootstrap count of each listed row */
  uint32_t *count;   /* bootstrap count per training position */
  uint32_t *rows;    /* host row list: the rows drawn at least once, ascending */
  int32_t *wts_host; /* their counts */
  int *perm;         /* n_cols: feature draws */
  uint64_t tseed;    /* current tree's stream */
  int k, n_cols;     /* features per node */
} worker;

typedef struct {
  int regression, n_out, n_stats, bootstrap, k_features;
  double scale_y, scale_y2;
  tb_grow_params gp;
  const tb_bins *bins;
  size_t n_all;
  int n_workers;
  worker *workers;
  tb_treeset trees;
  uint32_t *tr;      /* training rows, ascending (row lists stay sorted: nearly sequential histogram reads) */
  tb_buf sums;       /* (dataset rows, n_out) float */
  tb_buf ev_idx, ev_g; /* evaluation rows and their gathered sums, grown to the largest evaluation (evaluating
                          after every tree allocates nothing after the first) */
  float *sums_host;  /* evaluation scratch */
} forest;

static int features_per_node(int mf, double frac, int d) {
  int k = mf == MF_SQRT ? (int)sqrt((double)d) : mf == MF_LOG2 ? (int)log2((double)d) : mf == MF_ALL ? d
                                                                                                   : (int)(frac * d);
  return k < 1 ? 1 : k > d ? d : k;
}

static size_t hist_bytes(int max_depth, int total_bins, int n_stats) {
  size_t slots = max_depth >= 20 ? (size_t)1 << 20 : (size_t)1 << max_depth;
  size_t b = slots * (size_t)total_bins * (size_t)n_stats * sizeof(int64_t);
  return b < FOREST_HIST_BYTES ? b : FOREST_HIST_BYTES;
}

static int forest_estimate(const void *params, size_t n_rows, int n_cols, int n_outputs, size_t *bytes) {
  const forest_params *hp = params;
  int n_stats = n_outputs > 1 ? n_outputs : 3, threads = omp_get_max_threads();
  int tb = n_cols * hp->max_bins;
  size_t per = n_rows * ((size_t)n_stats * sizeof(int64_t) + sizeof(int32_t)) +
               tb_grow_ws_bytes(n_cols, tb, n_rows, n_stats, hist_bytes(hp->max_depth, tb, n_stats));
  /* + the shared bins, row-major and column-major (tb_devdata_bins makes both), made by the first tree model */
  *bytes = n_rows * (size_t)n_outputs * sizeof(float) + 2 * n_rows * (size_t)n_cols + (size_t)threads * per +
           ((size_t)4 << 20);
  return TB_OK;
}

/* Per-node feature subset: the first k of a partial Fisher-Yates shuffle from the stream (tree seed, node). */
static void node_mask(void *ctx, int32_t node, int n_cols, uint8_t *mask) {
  worker *w = ctx;
  if (w->k >= n_cols) {
    memset(mask, 1, (size_t)n_cols);
    return;
  }
  uint64_t s = tb_rng_derive(w->tseed, (uint64_t)node);
  for (int j = 0; j < n_cols; j++) w->perm[j] = j;
  memset(mask, 0, (size_t)n_cols);
  for (int i = 0; i < w->k; i++) {
    int j = i + (int)(tb_rng_uniform_double(s, (uint64_t)i) * (n_cols - i));
    int t = w->perm[i];
    w->perm[i] = w->perm[j];
    w->perm[j] = t;
    mask[w->perm[i]] = 1;
  }
}

static void forest_destroy(tb_model *m) {
  forest *f = m->impl;
  if (!f) return;
  for (int i = 0; i < f->n_workers; i++) {
    worker *w = &f->workers[i];
    tb_grow_ws_free(w->ws);
    tb_backend_release(m->be, &w->stats);
    tb_backend_release(m->be, &w->wts);
    free(w->wts_host);
    free(w->count);
    free(w->rows);
    free(w->perm);
  }
  free(f->workers);
  free(f->tr);
  tb_treeset_free(m->be, &f->trees);
  tb_backend_release(m->be, &f->sums);
  tb_backend_release(m->be, &f->ev_g);
  tb_backend_release(m->be, &f->ev_idx);
  free(f->sums_host);
  free(f);
  m->impl = NULL;
}

/* Makes sure n workspaces exist (allocated outside any parallel region). */
static int ensure_workers(tb_model *m, int n) {
  forest *f = m->impl;
  int rc = TB_OK;
  const int d = tb_devdata_dataset(m->dd)->n_cols;
  if (n <= f->n_workers) return TB_OK;
  worker *ws = realloc(f->workers, (size_t)n * sizeof *ws);
  if (!ws) return tb_error_set(TB_ERR_NOMEM, "forest: out of host memory");
  f->workers = ws;
  for (int i = f->n_workers; i < n; i++) {
    worker *w = &f->workers[i];
    memset(w, 0, sizeof *w);
    f->n_workers = i + 1;
    w->k = f->k_features;
    w->n_cols = d;
    TB_TRY(tb_grow_ws_init(m->be, f->bins, d, m->n_train, f->n_stats,
                           hist_bytes(f->gp.max_depth, f->bins->total_bins, f->n_stats), &w->ws));
    /* no tb_grow_ws_set_bins_cols: each node's histogram has just read its rows' row-major bins, so they are in
     * cache for the partition; the column-major copy measured slower here (7.0/7.9 s -> 7.9/8.5 s, 100 trees) */
    TB_TRY(tb_backend_alloc(m->be, f->n_all * (size_t)f->n_stats * sizeof(int64_t), &w->stats));
    /* rows never listed are never written nor read; zero them once (0.0f has all bits 0) */
    TB_TRY(tb_op_fill(m->be, w->stats.bytes / sizeof(float), 0.0f, w->stats.data));
    TB_TRY(tb_backend_alloc(m->be, m->n_train * sizeof(int32_t), &w->wts));
    w->wts_host = malloc(m->n_train * sizeof *w->wts_host);
    w->count = malloc(m->n_train * sizeof *w->count);
    w->rows = malloc(m->n_train * sizeof *w->rows);
    w->perm = malloc((size_t)d * sizeof *w->perm);
    if (!w->wts_host || !w->count || !w->rows || !w->perm) TB_FAIL(TB_ERR_NOMEM, "forest: out of host memory");
  }
done:
  return rc;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static int forest_create(tb_model *m) {
  int rc = TB_OK;
  const tb_dataset *ds = tb_devdata_dataset(m->dd);
  forest *f = calloc(1, sizeof *f);
  if (!f) return tb_error_set(TB_ERR_NOMEM, "forest: out of host memory");
  m->impl = f;
  f->regression = ds->task == TB_TASK_REGRESSION;
  f->n_out = m->n_outputs;
  f->n_stats = f->regression ? 3 : f->n_out;
  f->n_all = ds->n_rows;
  const forest_params *hp = m->params;
  f->bootstrap = hp->bootstrap;
  int mf = hp->max_features;
  f->k_features = features_per_node(mf, mf == MF_FRACTION ? hp->max_features_fraction : 1.0, ds->n_cols);
  f->trees.leaf_width = f->n_out;
  f->tr = malloc(m->n_train * sizeof *f->tr);
  if (!f->tr) TB_FAIL(TB_ERR_NOMEM, "forest: out of host memory (%zu rows)", m->n_train);
  memcpy(f->tr, m->train, m->n_train * sizeof *f->tr);
  qsort(f->tr, m->n_train, sizeof *f->tr, cmp_u32);
  double msl = hp->min_samples_leaf;
  f->gp = (tb_grow_params){.n_stats = f->n_stats, .policy = TB_GROW_DEPTHWISE, .max_depth = hp->max_depth,
                           .mask = node_mask};
  if (f->regression) {
    double my = 0.0;
    for (size_t i = 0; i < m->n_train; i++) my = fmax(my, fabs((double)ds->y_value[m->train[i]]));
    if (!isfinite(my)) TB_FAIL(TB_ERR_INVALID, "forest: non-finite training target");
    if (my == 0.0) my = 1.0;
    f->scale_y = tb_fixed_scale(my, m->n_train);
    f->scale_y2 = tb_fixed_scale(my * my, m->n_train);
    f->gp.split = (tb_split_params){.criterion = TB_SPLIT_VARIANCE, .scale = 1.0, .scale_y = f->scale_y,
                                    .scale_y2 = f->scale_y2, .min_child_weight = msl, .min_gain = 1e-10 * my * my};
  } else {
    f->gp.split = (tb_split_params){.criterion = hp->entropy ? TB_SPLIT_ENTROPY : TB_SPLIT_GINI,
                                    .scale = 1.0, .min_child_weight = msl, .min_gain = 1e-9};
  }
  TB_TRY(tb_devdata_bins(m->dd, hp->max_bins, m->train, m->n_train, &f->bins));
  TB_TRY(tb_backend_alloc(m->be, f->n_all * (size_t)f->n_out * sizeof(float), &f->sums));
  TB_TRY(tb_op_fill(m->be, f->n_all * (size_t)f->n_out, 0.0f, f->sums.data));
  TB_TRY(ensure_workers(m, 1));
done:
  return rc;
}

/* Grows tree number t with worker w into *out and its leaf values into *vals (malloc'ed). */
static int grow_one(tb_model *m, worker *w, int t, tb_grown_tree *out, float **vals) {
  forest *f = m->impl;
  int rc = TB_OK;
  const size_t ns = (size_t)f->n_stats, n = m->n_train;
  w->tseed = tb_rng_derive(tb_rng_derive(m->seed, 3), (uint64_t)t);
  if (f->bootstrap) {
    memset(w->count, 0, n * sizeof *w->count);
    uint64_t bs = tb_rng_derive(w->tseed, 0xB007);
    for (size_t i = 0; i < n; i++) {
      size_t j = (size_t)(tb_rng_uniform_double(bs, i) * (double)n);
      w->count[j < n ? j : n - 1]++;
    }
  } else {
    for (size_t i = 0; i < n; i++) w->count[i] = 1;
  }
  size_t n_rows = 0;
  for (size_t i = 0; i < n; i++) {
    if (!w->count[i]) continue;
    w->wts_host[n_rows] = (int32_t)w->count[i];
    w->rows[n_rows++] = f->tr[i];
  }
  /* per-row statistics of the listed rows on the device: counts x one-hot labels, or (count, sum y, sum y^2) */
  uint32_t *rows_dev = tb_grow_ws_rows(w->ws);
  const int32_t *wts = f->bootstrap ? w->wts.data : NULL;
  TB_TRY(tb_backend_upload(m->be, rows_dev, w->rows, n_rows * sizeof *w->rows));
  if (f->bootstrap) TB_TRY(tb_backend_upload(m->be, w->wts.data, w->wts_host, n_rows * sizeof *w->wts_host));
  if (f->regression)
    TB_TRY(tb_op_value_count_stats(m->be, n_rows, rows_dev, tb_devdata_targets(m->dd), wts, f->scale_y,
                                   f->scale_y2, w->stats.data));
  else
    TB_TRY(tb_op_class_count_stats(m->be, n_rows, rows_dev, tb_devdata_labels(m->dd), wts, f->n_out, 1.0,
                                   w->stats.data));
  tb_grow_params gp = f->gp;
  gp.mask_ctx = w;
  TB_TRY(tb_grow_tree(w->ws, &gp, w->stats.data, n_rows, out));
  *vals = malloc((size_t)out->n_leaves * (size_t)f->n_out * sizeof **vals);
  if (!*vals) TB_FAIL(TB_ERR_NOMEM, "forest: out of host memory");
  for (int l = 0; l < out->n_leaves; l++) {
    const int64_t *s = out->leaf_stats + (size_t)l * ns;
    float *v = *vals + (size_t)l * (size_t)f->n_out;
    if (f->regression) {
      v[0] = s[0] > 0 ? (float)(((double)s[1] / f->scale_y) / (double)s[0]) : 0.0f;
    } else {
      int64_t tot = 0;
      for (int k = 0; k < f->n_out; k++) tot += s[k];
      for (int k = 0; k < f->n_out; k++) v[k] = tot > 0 ? (float)((double)s[k] / (double)tot) : 0.0f;
    }
  }
done:
  return rc;
}

static int forest_train(tb_model *m, int units) {
  forest *f = m->impl;
  int rc = TB_OK;
  const int first = f->trees.n_trees;
  int nw = tb_backend_kind(m->be) == TB_DEVICE_CPU ? omp_get_max_threads() : 1;
  if (nw > units) nw = units;
  if (nw < 1) nw = 1;
  tb_grown_tree *grown = calloc((size_t)units, sizeof *grown);
  float **vals = calloc((size_t)units, sizeof *vals);
  int *rcs = calloc((size_t)units, sizeof *rcs);
  char(*msg)[256] = calloc((size_t)units, sizeof *msg);
  if (!grown || !vals || !rcs || !msg) TB_FAIL(TB_ERR_NOMEM, "forest: out of host memory");
  TB_TRY(ensure_workers(m, nw));
#pragma omp parallel for num_threads(nw) schedule(dynamic, 1) if (nw > 1)
  for (int u = 0; u < units; u++) {
    worker *w = &f->workers[omp_get_thread_num()];
    rcs[u] = grow_one(m, w, first + u, &grown[u], &vals[u]);
    if (rcs[u] < 0) snprintf(msg[u], sizeof msg[u], "%s", tb_error_detail());
  }
  for (int u = 0; u < units; u++)
    if (rcs[u] < 0) TB_FAIL(rcs[u], "forest: tree %d: %s", first + u, msg[u]);
  for (int u = 0; u < units; u++) TB_TRY(tb_treeset_add(&f->trees, &grown[u], vals[u], 0));
  TB_TRY(tb_treeset_sync(m->be, &f->trees));
  tb_forest_view v = tb_treeset_view(&f->trees, first, units);
  TB_TRY(tb_op_forest_predict(m->be, &v, f->n_all, tb_devdata_dataset(m->dd)->n_cols, NULL, f->bins->bins, 1.0f,
                              f->n_out, f->sums.data));
  m->fidelity = f->trees.n_trees;
done:
  if (rc < 0 && f->trees.n_trees != first) {
    tb_treeset_truncate(&f->trees, first);
    m->fidelity = first;
  }
  for (int u = 0; grown && u < units; u++) tb_grown_tree_free(&grown[u]);
  for (int u = 0; vals && u < units; u++) free(vals[u]);
  free(grown);
  free(vals);
  free(rcs);
  free(msg);
  return rc;
}

static int forest_evaluate(tb_model *m, const uint32_t *rows, size_t n, tb_metrics *out) {
  forest *f = m->impl;
  int rc = TB_OK;
  const tb_dataset *ds = tb_devdata_dataset(m->dd);
  const int C = f->n_out, T = f->trees.n_trees;
  float *h = malloc(n * (size_t)C * sizeof *h);
  if (!h) return tb_error_set(TB_ERR_NOMEM, "forest: out of host memory");
  if (f->ev_idx.bytes < n * sizeof(uint32_t)) {
    tb_backend_release(m->be, &f->ev_idx);
    TB_TRY(tb_backend_alloc(m->be, n * sizeof(uint32_t), &f->ev_idx));
  }
  if (f->ev_g.bytes < n * (size_t)C * sizeof(float)) {
    tb_backend_release(m->be, &f->ev_g);
    TB_TRY(tb_backend_alloc(m->be, n * (size_t)C * sizeof(float), &f->ev_g));
  }
  TB_TRY(tb_backend_upload(m->be, f->ev_idx.data, rows, n * sizeof(uint32_t)));
  TB_TRY(tb_op_gather_rows(m->be, n, C, f->sums.data, f->ev_idx.data, f->ev_g.data));
  TB_TRY(tb_backend_download(m->be, h, f->ev_g.data, n * (size_t)C * sizeof(float)));
  double se = 0.0, ll = 0.0;
  size_t correct = 0;
  for (size_t i = 0; i < n; i++) {
    const float *s = h + i * (size_t)C;
    if (f->regression) {
      double e = (T ? (double)s[0] / T : 0.0) - (double)ds->y_value[rows[i]];
      se += e * e;
    } else {
      int best = 0;
      for (int k = 1; k < C; k++)
        if (s[k] > s[best]) best = k;
      int y = ds->y_class[rows[i]];
      correct += best == y;
      double p = T ? (double)s[y] / T : 1.0 / C;
      ll -= log(p > 1e-15 ? p : 1e-15);
    }
  }
  out->n = n;
  if (f->regression) {
    out->loss = 0.5 * se / (double)n;
    out->rmse = sqrt(se / (double)n);
    out->accuracy = out->logloss = NAN;
  } else {
    out->loss = out->logloss = ll / (double)n;
    out->accuracy = (double)correct / (double)n;
    out->rmse = NAN;
  }
done:
  free(h);
  return rc;
}

/* out (n, n_out) = mean over trees of the leaf distributions (or values); uniform / 0 without trees. */
static int forest_predict(tb_model *m, const float *X, size_t n, float *out) {
  forest *f = m->impl;
  int rc = TB_OK;
  const int T = f->trees.n_trees;
  TB_TRY(tb_op_fill(m->be, n * (size_t)f->n_out, T || f->regression ? 0.0f : 1.0f / (float)f->n_out, out));
  if (!T) goto done;
  TB_TRY(tb_treeset_sync(m->be, &f->trees));
  tb_forest_view v = tb_treeset_view(&f->trees, 0, T);
  TB_TRY(tb_op_forest_predict(m->be, &v, n, tb_devdata_dataset(m->dd)->n_cols, X, NULL, 1.0f / (float)T, f->n_out,
                              out));
done:
  return rc;
}

static size_t forest_n_params(const tb_model *m) { return ((const forest *)m->impl)->trees.n_nodes; }

static int forest_save(const tb_model *m, void **blob, size_t *len) {
  const forest *f = m->impl;
  int32_t h[2] = {f->n_out, f->regression};
  size_t n = sizeof h + tb_treeset_blob_size(&f->trees);
  unsigned char *b = malloc(n);
  if (!b) return tb_error_set(TB_ERR_NOMEM, "forest save: out of host memory (%zu bytes)", n);
  memcpy(b, h, sizeof h);
  tb_treeset_write(&f->trees, b + sizeof h);
  *blob = b;
  *len = n;
  return TB_OK;
}

static int forest_restore(tb_model *m, const void *blob, size_t len) {
  forest *f = m->impl;
  int rc = TB_OK;
  int32_t h[2];
  size_t used = 0;
  if (len < sizeof h) return tb_error_set(TB_ERR_FORMAT, "forest restore: state too short (%zu bytes)", len);
  memcpy(h, blob, sizeof h);
  if (h[0] != f->n_out || h[1] != f->regression)
    return tb_error_set(TB_ERR_INVALID, "forest restore: the state has %d outputs (%s), the model %d", h[0],
                        h[1] ? "regression" : "classification", f->n_out);
  TB_TRY(tb_treeset_read(m->be, &f->trees, (const unsigned char *)blob + sizeof h, len - sizeof h,
                         tb_devdata_dataset(m->dd)->n_cols, f->n_out, &used));
  /* sums of every tree on every row, added in tree order as training does */
  TB_TRY(tb_op_fill(m->be, f->n_all * (size_t)f->n_out, 0.0f, f->sums.data));
  TB_TRY(tb_treeset_sync(m->be, &f->trees));
  if (f->trees.n_trees) {
    tb_forest_view v = tb_treeset_view(&f->trees, 0, f->trees.n_trees);
    TB_TRY(tb_op_forest_predict(m->be, &v, f->n_all, tb_devdata_dataset(m->dd)->n_cols, NULL, f->bins->bins, 1.0f,
                                f->n_out, f->sums.data));
  }
done:
  return rc;
}

const tb_learner tb_learner_forest = {
  .name = "forest",
  .fidelity_unit = "trees",
  .tasks = (1 << TB_TASK_CLASSIFICATION) | (1 << TB_TASK_REGRESSION),
  .n_hparams = FOREST_N_HPARAMS,
  .hparams = forest_hparams,
  .params_size = sizeof(forest_params),
  .decode = forest_decode,
  .estimate_bytes = forest_estimate,
  .create = forest_create,
  .train = forest_train,
  .evaluate = forest_evaluate,
  .predict_device = forest_predict,
  .n_params = forest_n_params,
  .save = forest_save,
  .restore = forest_restore,
  .destroy = forest_destroy,
};
