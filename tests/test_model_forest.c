/* test_model_forest.c: the random forest learner and the shared tree grower on the CPU backend. Covers: the grower
 * directly (tree_grow.h) against a brute-force reference: every leaf's rows are exactly the rows whose path leads to
 * it, leaf stat sums equal the sums over those rows, min_child_weight (min_samples_leaf) holds in every leaf, and the
 * tree is identical whether histograms come by subtraction or are all built directly (tiny histogram budget), for
 * depth-wise and loss-guided growth; the forest: accuracy on an easy problem; more trees reduce the spread between
 * seeds; bootstrap 0 with all features gives identical trees; larger min_samples_leaf gives fewer nodes; gini and
 * entropy both learn and differ; regression on friedman1 far below the mean predictor; trees grown in parallel equal
 * trees grown one per call; save/restore/continue bit-identical; bad configurations and states rejected.
 * With TB_BENCH_TREES=forest, test_model_gbdt times the forest benchmark. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_fixture.h"
#include "tb_rng.h"
#include "tree_grow.h"

/* The forest's data: split with seed 2 and the default fractions, features as loaded. */
static void setup(mfx *f, const char *spec) {
  tb_split_spec ss = mfx_split_spec(2, 0.2, 0.2);
  mfx_open_split(f, "forest", mfx_load(spec), &ss, 0);
}

/* ---- the grower against a brute-force reference ------------------------------------------------------------------- */
static void check_grown(mfx *f, const tb_bins *b, const tb_grown_tree *t, const int64_t *stats, int ns,
                        const uint32_t *rows, size_t n, const uint32_t *rows_after, double mcw) {
  const int d = f->ds->n_cols;
  const uint8_t *bins = b->bins; /* CPU backend: device pointers are host pointers */
  int64_t *sum = calloc((size_t)t->n_leaves * (size_t)ns, sizeof *sum);
  size_t *cnt = calloc((size_t)t->n_leaves, sizeof *cnt);
  for (size_t i = 0; i < n; i++) { /* walk every row by bins, and by raw values: same leaf */
    int32_t k = 0, kr = 0;
    while (t->nodes[k].feature >= 0) k = bins[rows[i] * (size_t)d + t->nodes[k].feature] <= t->nodes[k].bin ? t->nodes[k].left : t->nodes[k].right;
    while (t->nodes[kr].feature >= 0)
      kr = f->ds->X[rows[i] * (size_t)d + t->nodes[kr].feature] < t->nodes[kr].threshold ? t->nodes[kr].left
                                                                                         : t->nodes[kr].right;
    CU_ASSERT_EQUAL(k, kr);
    int l = t->nodes[k].leaf;
    cnt[l]++;
    for (int s = 0; s < ns; s++) sum[(size_t)l * ns + s] += stats[rows[i] * (size_t)ns + s];
  }
  for (int l = 0; l < t->n_leaves; l++) {
    CU_ASSERT_EQUAL(cnt[l], t->leaf_count[l]);
    int64_t w = 0;
    for (int s = 0; s < ns; s++) {
      CU_ASSERT_EQUAL(sum[(size_t)l * ns + s], t->leaf_stats[(size_t)l * ns + s]);
      w += t->leaf_stats[(size_t)l * ns + s];
    }
    CU_ASSERT((double)w >= mcw);
    for (uint32_t i = 0; i < t->leaf_count[l]; i++) { /* the leaf's row range holds its rows */
      uint32_t r = rows_after[t->leaf_begin[l] + i];
      int32_t k = 0;
      while (t->nodes[k].feature >= 0) k = bins[r * (size_t)d + t->nodes[k].feature] <= t->nodes[k].bin ? t->nodes[k].left : t->nodes[k].right;
      CU_ASSERT_EQUAL(t->nodes[k].leaf, l);
    }
  }
  free(sum);
  free(cnt);
}

static int same_tree(const tb_grown_tree *a, const tb_grown_tree *b, int ns) {
  return a->n_nodes == b->n_nodes && a->n_leaves == b->n_leaves &&
         !memcmp(a->nodes, b->nodes, (size_t)a->n_nodes * sizeof *a->nodes) &&
         !memcmp(a->leaf_stats, b->leaf_stats, (size_t)a->n_leaves * (size_t)ns * sizeof *a->leaf_stats);
}

static void test_grower(void) {
  mfx f;
  setup(&f, "gen:classification?n=3000&d=6&informative=4&classes=3&seed=31");
  const tb_bins *b;
  TB_CHECK_OK(tb_devdata_bins(f.dd, 64, f.sp.train, f.sp.n_train, &b));
  const int ns = 3, d = f.ds->n_cols;
  const size_t N = f.ds->n_rows, n = f.sp.n_train;
  int64_t *stats = calloc(N * ns, sizeof *stats);
  for (size_t i = 0; i < n; i++) { /* random integer weights times one-hot labels */
    uint32_t r = f.sp.train[i];
    stats[r * ns + f.ds->y_class[r]] = 1 + (int64_t)(tb_rng_uniform(77, i) * 3);
  }
  uint32_t *after = malloc(n * sizeof *after);
  for (int policy = 0; policy < 2; policy++) {
    tb_grow_params p = {.split = {.criterion = TB_SPLIT_GINI, .scale = 1.0, .min_child_weight = 15, .min_gain = 1e-9},
                        .n_stats = ns, .policy = (tb_grow_policy)policy, .max_depth = policy ? 9 : 7,
                        .max_leaves = 23};
    tb_grown_tree t[2] = {{0}, {0}};
    for (int v = 0; v < 2; v++) { /* v = 0: ample histogram memory; v = 1: 4 histograms, mostly direct builds */
      tb_grow_ws *ws = NULL;
      TB_CHECK_OK(tb_grow_ws_init(f.be, b, d, n, ns, v ? 1 : ((size_t)64 << 20), &ws));
      memcpy(tb_grow_ws_rows(ws), f.sp.train, n * sizeof(uint32_t));
      TB_CHECK_OK(tb_grow_tree(ws, &p, stats, n, &t[v]));
      memcpy(after, tb_grow_ws_rows(ws), n * sizeof *after);
      check_grown(&f, b, &t[v], stats, ns, f.sp.train, n, after, 15);
      tb_grow_ws_free(ws);
    }
    CU_ASSERT(t[0].n_leaves > 8);
    if (policy) CU_ASSERT(t[0].n_leaves <= 23);
    CU_ASSERT(t[0].depth <= p.max_depth);
    CU_ASSERT(same_tree(&t[0], &t[1], ns));
    tb_grown_tree_free(&t[0]);
    tb_grown_tree_free(&t[1]);
  }
  /* bad arguments */
  tb_grow_ws *ws = NULL;
  CU_ASSERT_EQUAL(tb_grow_ws_init(f.be, b, d, 0, ns, 1 << 20, &ws), TB_ERR_INVALID);
  TB_CHECK_OK(tb_grow_ws_init(f.be, b, d, 10, ns, 1 << 20, &ws));
  tb_grow_params p = {.split = {.criterion = TB_SPLIT_GINI, .scale = 1.0}, .n_stats = ns, .max_depth = 3};
  tb_grown_tree t = {0};
  CU_ASSERT_EQUAL(tb_grow_tree(ws, &p, stats, 11, &t), TB_ERR_INVALID);
  p.max_depth = 0;
  CU_ASSERT_EQUAL(tb_grow_tree(ws, &p, stats, 5, &t), TB_ERR_INVALID);
  tb_grow_ws_free(ws);
  free(after);
  free(stats);
  mfx_close(&f);
}

/* ---- the forest ----------------------------------------------------------------------------------------------------- */
static void test_easy_accuracy(void) {
  mfx f;
  setup(&f, "gen:classification?n=3000&d=8&informative=4&class_sep=2&seed=4");
  tb_model *m = mfx_make(&f, NULL, 1);
  TB_CHECK_OK(tb_model_train(m, 30));
  CU_ASSERT_EQUAL(tb_model_fidelity(m), 30);
  tb_metrics mt = mfx_eval_rows(m, f.sp.test, f.sp.n_test);
  CU_ASSERT(mt.accuracy > 0.9);
  /* predict: distributions summing to 1, argmax agreeing with evaluate */
  float *p = mfx_predict_rows(&f, m, f.sp.test, f.sp.n_test);
  size_t correct = 0;
  for (size_t i = 0; i < f.sp.n_test; i++) {
    CU_ASSERT_DOUBLE_EQUAL(p[2 * i] + p[2 * i + 1], 1.0, 1e-5);
    correct += (p[2 * i + 1] > p[2 * i]) == (f.ds->y_class[f.sp.test[i]] == 1);
  }
  CU_ASSERT_DOUBLE_EQUAL((double)correct / (double)f.sp.n_test, mt.accuracy, 0.01);
  free(p);
  tb_model_free(m);
  mfx_close(&f);
}

static double seed_spread(mfx *f, int trees) {
  tb_model *a = mfx_make(f, NULL, 10), *b = mfx_make(f, NULL, 11);
  TB_CHECK_OK(tb_model_train(a, trees));
  TB_CHECK_OK(tb_model_train(b, trees));
  float *pa = mfx_predict_rows(f, a, f->sp.test, f->sp.n_test), *pb = mfx_predict_rows(f, b, f->sp.test, f->sp.n_test);
  double s = 0;
  for (size_t i = 0; i < f->sp.n_test; i++) s += pow(pa[2 * i + 1] - pb[2 * i + 1], 2);
  free(pa), free(pb);
  tb_model_free(a), tb_model_free(b);
  return s / (double)f->sp.n_test;
}

static void test_more_trees_less_variance(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&informative=4&flip=0.1&seed=6");
  double v2 = seed_spread(&f, 2), v40 = seed_spread(&f, 40);
  CU_ASSERT(v40 < 0.25 * v2);
  mfx_close(&f);
}

static void test_no_bootstrap_identical(void) {
  mfx f;
  setup(&f, "gen:classification?n=1500&d=6&informative=4&seed=8");
  const char *sets[] = {"bootstrap=0", "max_features=all", "max_depth=6", NULL};
  tb_model *one = mfx_make(&f, sets, 1), *three = mfx_make(&f, sets, 2);
  TB_CHECK_OK(tb_model_train(one, 1));
  TB_CHECK_OK(tb_model_train(three, 3));
  CU_ASSERT_EQUAL(tb_model_n_params(three), 3 * tb_model_n_params(one));
  void *b1, *b3;
  size_t l1, l3;
  TB_CHECK_OK(tb_model_save(one, &b1, &l1));
  TB_CHECK_OK(tb_model_save(three, &b3, &l3));
  /* node arrays: after the model header (64), forest header (8), trees header (32) and 3 int32 arrays */
  size_t nn = tb_model_n_params(one);
  const tb_tree_node *n1 = (const void *)((char *)b1 + 64 + 8 + 32 + 3 * 4);
  const tb_tree_node *n3 = (const void *)((char *)b3 + 64 + 8 + 32 + 3 * 3 * 4);
  for (int t = 0; t < 3; t++)
    for (size_t k = 0; k < nn; k++) {
      tb_tree_node a, c;
      memcpy(&a, n1 + k, sizeof a);
      memcpy(&c, n3 + (size_t)t * nn + k, sizeof c);
      CU_ASSERT(a.feature == c.feature && a.bin == c.bin && a.threshold == c.threshold);
    }
  free(b1), free(b3);
  tb_model_free(one), tb_model_free(three);
  mfx_close(&f);
}

static void test_min_samples_leaf(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&informative=5&flip=0.05&seed=12");
  const char *s1[] = {"min_samples_leaf=1", NULL}, *s2[] = {"min_samples_leaf=40", NULL};
  tb_model *a = mfx_make(&f, s1, 3), *b = mfx_make(&f, s2, 3);
  TB_CHECK_OK(tb_model_train(a, 3));
  TB_CHECK_OK(tb_model_train(b, 3));
  CU_ASSERT(tb_model_n_params(b) < tb_model_n_params(a) / 2);
  CU_ASSERT(tb_model_n_params(b) <= 3 * (2 * (f.sp.n_train / 40) - 1)); /* at most n/40 leaves per tree */
  tb_model_free(a), tb_model_free(b);
  mfx_close(&f);
}

static void test_gini_entropy(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&informative=5&classes=3&seed=14");
  const char *g[] = {"criterion=gini", NULL}, *e[] = {"criterion=entropy", NULL};
  tb_model *a = mfx_make(&f, g, 5), *b = mfx_make(&f, e, 5);
  TB_CHECK_OK(tb_model_train(a, 20));
  TB_CHECK_OK(tb_model_train(b, 20));
  tb_metrics ma = mfx_eval_rows(a, f.sp.test, f.sp.n_test), mb = mfx_eval_rows(b, f.sp.test, f.sp.n_test);
  CU_ASSERT(ma.accuracy > 0.65 && mb.accuracy > 0.65); /* chance is 1/3 */
  CU_ASSERT(ma.logloss < log(3.0) && mb.logloss < log(3.0));
  float *pa = mfx_predict_rows(&f, a, f.sp.test, f.sp.n_test), *pb = mfx_predict_rows(&f, b, f.sp.test, f.sp.n_test);
  CU_ASSERT(memcmp(pa, pb, f.sp.n_test * 3 * sizeof *pa) != 0);
  free(pa), free(pb);
  tb_model_free(a), tb_model_free(b);
  mfx_close(&f);
}

static void test_regression(void) {
  mfx f;
  setup(&f, "gen:friedman1?n=3000&seed=15");
  const char *sets[] = {"max_features=all", NULL};
  tb_model *m = mfx_make(&f, sets, 6);
  TB_CHECK_OK(tb_model_train(m, 30));
  tb_metrics mt = mfx_eval_rows(m, f.sp.test, f.sp.n_test);
  double mean = 0, var = 0;
  for (size_t i = 0; i < f.sp.n_train; i++) mean += f.ds->y_value[f.sp.train[i]] / (double)f.sp.n_train;
  for (size_t i = 0; i < f.sp.n_test; i++) var += pow(f.ds->y_value[f.sp.test[i]] - mean, 2) / (double)f.sp.n_test;
  CU_ASSERT(mt.rmse < 0.6 * sqrt(var));
  float *p = mfx_predict_rows(&f, m, f.sp.test, f.sp.n_test);
  double se = 0;
  for (size_t i = 0; i < f.sp.n_test; i++) se += pow(p[i] - f.ds->y_value[f.sp.test[i]], 2);
  CU_ASSERT_DOUBLE_EQUAL(sqrt(se / (double)f.sp.n_test), mt.rmse, 1e-4 * mt.rmse);
  free(p);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_parallel_equals_serial_and_restore(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&informative=5&seed=16");
  const char *sets[] = {"max_depth=8", NULL};
  tb_model *par = mfx_make(&f, sets, 7), *ser = mfx_make(&f, sets, 7), *res = mfx_make(&f, sets, 7);
  TB_CHECK_OK(tb_model_train(par, 6));
  for (int i = 0; i < 6; i++) TB_CHECK_OK(tb_model_train(ser, 1));
  float *pp = mfx_predict_rows(&f, par, f.sp.test, f.sp.n_test),
        *ps = mfx_predict_rows(&f, ser, f.sp.test, f.sp.n_test);
  CU_ASSERT(memcmp(pp, ps, f.sp.n_test * 2 * sizeof *pp) == 0);
  CU_ASSERT_EQUAL(mfx_eval_rows(par, f.sp.valid, f.sp.n_valid).logloss,
                  mfx_eval_rows(ser, f.sp.valid, f.sp.n_valid).logloss);
  /* save after 6, restore, continue 4 == 10 in one go */
  void *blob;
  size_t len;
  TB_CHECK_OK(tb_model_save(ser, &blob, &len));
  TB_CHECK_OK(tb_model_restore(res, blob, len));
  CU_ASSERT_EQUAL(tb_model_fidelity(res), 6);
  TB_CHECK_OK(tb_model_train(res, 4));
  TB_CHECK_OK(tb_model_train(par, 4));
  float *pr = mfx_predict_rows(&f, res, f.sp.test, f.sp.n_test),
        *p10 = mfx_predict_rows(&f, par, f.sp.test, f.sp.n_test);
  CU_ASSERT(memcmp(pr, p10, f.sp.n_test * 2 * sizeof *pr) == 0);
  CU_ASSERT_EQUAL(mfx_eval_rows(res, f.sp.valid, f.sp.n_valid).logloss,
                  mfx_eval_rows(par, f.sp.valid, f.sp.n_valid).logloss);
  /* bad states: truncated, trailing bytes, a leaf index out of range */
  CU_ASSERT(tb_model_restore(res, blob, len - 1) < 0);
  unsigned char *bad = malloc(len + 4);
  memcpy(bad, blob, len);
  CU_ASSERT(tb_model_restore(res, bad, len + 4) < 0);
  size_t off = 64 + 8 + 32 + 3 * 6 * 4; /* first node of the first tree */
  tb_tree_node nd;
  for (;; off += sizeof nd) { /* the first leaf */
    memcpy(&nd, bad + off, sizeof nd);
    if (nd.feature < 0) break;
  }
  nd.leaf = 1 << 30;
  memcpy(bad + off, &nd, sizeof nd);
  CU_ASSERT_EQUAL(tb_model_restore(res, bad, len), TB_ERR_FORMAT);
  CU_ASSERT_EQUAL(tb_model_fidelity(res), 10); /* a failed restore leaves the fidelity alone */
  free(bad);
  free(blob);
  free(pp), free(ps), free(pr), free(p10);
  tb_model_free(par), tb_model_free(ser), tb_model_free(res);
  mfx_close(&f);
}

static void test_bad_config(void) {
  mfx f;
  setup(&f, "gen:classification?n=300&seed=1");
  double x[32];
  const char *s1[] = {"max_features_fraction=0.5", NULL}, *s2[] = {"min_samples_leaf=0", NULL};
  const char *s3[] = {"bootstrap=2", NULL}, *s4[] = {"criterion=variance", NULL}, *s5[] = {"max_depth=25", NULL};
  const char *s6[] = {"max_features=fraction", "max_features_fraction=0", NULL};
  CU_ASSERT(mfx_config(&f, s1, x) < 0); /* inactive unless max_features=fraction */
  CU_ASSERT(mfx_config(&f, s2, x) < 0);
  CU_ASSERT(mfx_config(&f, s3, x) < 0);
  CU_ASSERT(mfx_config(&f, s4, x) < 0);
  CU_ASSERT(mfx_config(&f, s5, x) < 0);
  CU_ASSERT(mfx_config(&f, s6, x) < 0);
  const char *ok[] = {"max_features=fraction", "max_features_fraction=0.3", NULL};
  tb_model *m = mfx_make(&f, ok, 1);
  TB_CHECK_OK(tb_model_train(m, 2));
  CU_ASSERT(tb_model_train(m, 0) < 0);
  tb_model_free(m);
  mfx_close(&f);
}

static const tb_test_case cases[] = {
  {"grower", test_grower},
  {"easy_accuracy", test_easy_accuracy},
  {"more_trees_less_variance", test_more_trees_less_variance},
  {"no_bootstrap_identical", test_no_bootstrap_identical},
  {"min_samples_leaf", test_min_samples_leaf},
  {"gini_entropy", test_gini_entropy},
  {"regression", test_regression},
  {"parallel_equals_serial_and_restore", test_parallel_equals_serial_and_restore},
  {"bad_config", test_bad_config},
  {NULL, NULL},
};
TB_TEST_MAIN("model_forest", cases)
