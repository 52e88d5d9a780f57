/* test_model_gbdt.c: the gradient-boosted trees learner on the CPU backend. Covers: depth-1 trees on a one-feature
 * threshold problem equal a double-precision reference of the XGBoost leaf formula (logistic, with and without
 * alpha; squared error), within 2e-5; more rounds lower the training loss (nearly) monotonically; regression on
 * friedman1 far below the mean predictor; multiclass softmax (probabilities sum to 1, accuracy well above chance);
 * gamma / min_child_weight giving fewer nodes and lambda shrinking the first round's step; subsample/colsample
 * deterministic per seed and different across seeds; early stopping stops and keeps the best round; lossguide
 * respecting max_leaves; save/restore/continue bit-identical to an uninterrupted run, corrupted states rejected;
 * bad configurations rejected. With TB_BENCH_TREES=1 it also times the benchmark (300k rows) and prints the
 * time and accuracy (no assertion on time: speed targets live in scripts/bench/). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_fixture.h"

/* The gbdt's data: split with seed 1 and the given valid and test fractions, features as loaded. */
static void setup_ds(mfx *f, tb_dataset *ds, double valid, double test) {
  tb_split_spec ss = mfx_split_spec(1, valid, test);
  mfx_open_split(f, "gbdt", ds, &ss, 0);
}

static void setup(mfx *f, const char *spec) { setup_ds(f, mfx_load(spec), 0.2, 0.2); }

/* ---- exact stumps ----------------------------------------------------------------------------------------------- */
/* x0 in {0..9} (10 distinct values: one bin each), x1 noise; label x0 >= 4. */
static tb_dataset *stump_data(tb_task task) {
  tb_dataset *ds = NULL;
  const size_t n = 500;
  TB_CHECK_OK(tb_dataset_alloc(n, 2, task, task == TB_TASK_CLASSIFICATION ? 2 : 0, "stump", &ds));
  for (size_t i = 0; i < n; i++) {
    int v = (int)((i * 7919) % 10);
    ds->X[2 * i] = (float)v;
    ds->X[2 * i + 1] = (float)((i * 104729) % 1000) / 1000.0f;
    if (task == TB_TASK_CLASSIFICATION) ds->y_class[i] = v >= 4;
    else ds->y_value[i] = v >= 4 ? 3.0f : -1.0f;
  }
  return ds;
}

static void check_stump(tb_task task, const char *alpha) {
  mfx f;
  setup_ds(&f, stump_data(task), 0.0, 0.2);
  const char *sets[] = {"max_depth=1", "learning_rate=1", "lambda=0.5", "min_child_weight=0.001", alpha, NULL};
  tb_model *m = mfx_make(&f, sets, 7);
  TB_CHECK_OK(tb_model_train(m, 1));
  CU_ASSERT_EQUAL(tb_model_n_params(m), 3);
  /* reference in double: base, then the leaf weight -T_alpha(G)/(H+lambda) of each side */
  double a = atof(strchr(alpha, '=') + 1), lam = 0.5, base, G[2] = {0}, H[2] = {0}, w[2];
  size_t n1 = 0, n = f.sp.n_train;
  double ysum = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t r = f.sp.train[i];
    if (task == TB_TASK_CLASSIFICATION) n1 += f.ds->y_class[r];
    else ysum += f.ds->y_value[r];
  }
  if (task == TB_TASK_CLASSIFICATION)
    base = (double)(float)log((n1 + 0.5) / (n + 1.0)) - (double)(float)log((n - n1 + 0.5) / (n + 1.0));
  else base = ysum / (double)n;
  base = (double)(float)base;
  for (size_t i = 0; i < n; i++) {
    uint32_t r = f.sp.train[i];
    int side = f.ds->X[2 * r] >= 4;
    if (task == TB_TASK_CLASSIFICATION) {
      double p = 1.0 / (1.0 + exp(-base));
      G[side] += p - f.ds->y_class[r];
      H[side] += p * (1 - p);
    } else {
      G[side] += base - f.ds->y_value[r];
      H[side] += 1.0;
    }
  }
  for (int s = 0; s < 2; s++) {
    double t = G[s] > a ? G[s] - a : G[s] < -a ? G[s] + a : 0.0;
    w[s] = -t / (H[s] + lam);
  }
  float *out = mfx_predict_rows(&f, m, f.sp.test, f.sp.n_test);
  int k = tb_model_n_outputs(m);
  double worst = 0;
  for (size_t i = 0; i < f.sp.n_test; i++) {
    uint32_t r = f.sp.test[i];
    double z = base + w[f.ds->X[2 * r] >= 4];
    double ref = task == TB_TASK_CLASSIFICATION ? 1.0 / (1.0 + exp(-z)) : z;
    double got = out[i * k + (k - 1)];
    worst = fmax(worst, fabs(got - ref));
    if (task == TB_TASK_CLASSIFICATION) CU_ASSERT_DOUBLE_EQUAL(out[i * k] + out[i * k + 1], 1.0, 1e-6);
  }
  CU_ASSERT(worst < 2e-5);
  if (worst >= 2e-5) fprintf(stderr, "\nstump: worst |got - ref| = %g\n", worst);
  if (task == TB_TASK_CLASSIFICATION && a == 0.0) {
    tb_metrics mt;
    TB_CHECK_OK(tb_model_evaluate(m, f.sp.test, f.sp.n_test, &mt));
    CU_ASSERT_DOUBLE_EQUAL(mt.accuracy, 1.0, 1e-12);
  }
  free(out);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_stump_logistic(void) { check_stump(TB_TASK_CLASSIFICATION, "alpha=0"); }
static void test_stump_logistic_alpha(void) { check_stump(TB_TASK_CLASSIFICATION, "alpha=10"); }
static void test_stump_squared(void) { check_stump(TB_TASK_REGRESSION, "alpha=0"); }

/* ---- learning --------------------------------------------------------------------------------------------------- */
static void test_rounds_lower_loss(void) {
  mfx f;
  setup(&f, "gen:classification?n=3000&d=10&informative=5&seed=11");
  const char *sets[] = {"max_depth=3", NULL};
  tb_model *m = mfx_make(&f, sets, 1);
  double prev = mfx_eval_rows(m, f.sp.train, f.sp.n_train).loss, first = prev;
  int rises = 0;
  for (int r = 0; r < 40; r++) {
    TB_CHECK_OK(tb_model_train(m, 1));
    double l = mfx_eval_rows(m, f.sp.train, f.sp.n_train).loss;
    rises += l > prev + 1e-9;
    prev = l;
  }
  CU_ASSERT(rises <= 1);
  CU_ASSERT(prev < 0.6 * first);
  CU_ASSERT_EQUAL(tb_model_fidelity(m), 40);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_friedman_regression(void) {
  mfx f;
  setup(&f, "gen:friedman1?n=3000&seed=5");
  tb_model *m = mfx_make(&f, NULL, 2);
  TB_CHECK_OK(tb_model_train(m, 100));
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, f.sp.test, f.sp.n_test, &mt));
  double mean = 0, var = 0;
  for (size_t i = 0; i < f.sp.n_train; i++) mean += f.ds->y_value[f.sp.train[i]] / (double)f.sp.n_train;
  for (size_t i = 0; i < f.sp.n_test; i++) var += pow(f.ds->y_value[f.sp.test[i]] - mean, 2) / (double)f.sp.n_test;
  CU_ASSERT(mt.rmse < 0.35 * sqrt(var));
  CU_ASSERT(isnan(mt.accuracy));
  /* predict agrees with the incremental margins used by evaluate */
  float *out = mfx_predict_rows(&f, m, f.sp.test, f.sp.n_test);
  double se = 0;
  for (size_t i = 0; i < f.sp.n_test; i++) se += pow(out[i] - f.ds->y_value[f.sp.test[i]], 2);
  CU_ASSERT_DOUBLE_EQUAL(sqrt(se / (double)f.sp.n_test), mt.rmse, 1e-4 * mt.rmse);
  free(out);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_multiclass(void) {
  mfx f;
  setup(&f, "gen:classification?n=3000&d=10&informative=6&classes=4&seed=3");
  const char *sets[] = {"max_depth=4", "learning_rate=0.3", NULL};
  tb_model *m = mfx_make(&f, sets, 3);
  TB_CHECK_OK(tb_model_train(m, 20));
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, f.sp.test, f.sp.n_test, &mt));
  CU_ASSERT(mt.accuracy > 0.6);
  CU_ASSERT(mt.logloss < log(4.0) * 0.8);
  float *out = mfx_predict_rows(&f, m, f.sp.test, f.sp.n_test);
  size_t agree = 0;
  for (size_t i = 0; i < f.sp.n_test; i++) {
    double s = 0;
    int best = 0;
    for (int k = 0; k < 4; k++) {
      s += out[i * 4 + k];
      if (out[i * 4 + k] > out[i * 4 + best]) best = k;
    }
    CU_ASSERT_DOUBLE_EQUAL(s, 1.0, 1e-5);
    agree += best == f.ds->y_class[f.sp.test[i]];
  }
  CU_ASSERT_DOUBLE_EQUAL((double)agree / (double)f.sp.n_test, mt.accuracy, 0.01);
  free(out);
  tb_model_free(m);
  mfx_close(&f);
}

/* ---- hyperparameter effects --------------------------------------------------------------------------------------- */
static size_t nodes_after(mfx *f, const char *const *sets, int rounds) {
  tb_model *m = mfx_make(f, sets, 4);
  TB_CHECK_OK(tb_model_train(m, rounds));
  size_t n = tb_model_n_params(m);
  tb_model_free(m);
  return n;
}

static void test_regularisation(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&informative=4&flip=0.1&seed=9");
  const char *g0[] = {"gamma=0", NULL}, *g1[] = {"gamma=5", NULL};
  size_t a = nodes_after(&f, g0, 5), b = nodes_after(&f, g1, 5);
  CU_ASSERT(b < a);
  const char *c0[] = {"min_child_weight=0.001", NULL}, *c1[] = {"min_child_weight=50", NULL};
  CU_ASSERT(nodes_after(&f, c1, 5) < nodes_after(&f, c0, 5));
  /* lambda shrinks the first round's step: less training-loss decrease */
  const char *l0[] = {"lambda=0.001", "learning_rate=1", NULL}, *l1[] = {"lambda=1000", "learning_rate=1", NULL};
  tb_model *m0 = mfx_make(&f, l0, 1), *m1 = mfx_make(&f, l1, 1);
  double start = mfx_eval_rows(m0, f.sp.train, f.sp.n_train).loss;
  TB_CHECK_OK(tb_model_train(m0, 1));
  TB_CHECK_OK(tb_model_train(m1, 1));
  double e0 = mfx_eval_rows(m0, f.sp.train, f.sp.n_train).loss, e1 = mfx_eval_rows(m1, f.sp.train, f.sp.n_train).loss;
  CU_ASSERT(e0 < e1 && e1 < start);
  /* a huge alpha zeroes every leaf: the loss does not move */
  const char *a1[] = {"alpha=10", "min_child_weight=100", "max_depth=1", NULL};
  tb_model *m2 = mfx_make(&f, a1, 1);
  TB_CHECK_OK(tb_model_train(m2, 1));
  CU_ASSERT(mfx_eval_rows(m2, f.sp.train, f.sp.n_train).loss < start + 1e-12);
  tb_model_free(m0);
  tb_model_free(m1);
  tb_model_free(m2);
  mfx_close(&f);
}

static void test_sampling_deterministic(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=12&informative=6&seed=21");
  const char *sets[] = {"subsample=0.5", "colsample_bytree=0.5", "max_depth=4", NULL};
  tb_model *a = mfx_make(&f, sets, 100), *b = mfx_make(&f, sets, 100), *c = mfx_make(&f, sets, 101),
           *d = mfx_make(&f, NULL, 100);
  TB_CHECK_OK(tb_model_train(a, 10));
  TB_CHECK_OK(tb_model_train(b, 10));
  TB_CHECK_OK(tb_model_train(c, 10));
  TB_CHECK_OK(tb_model_train(d, 10));
  float *pa = mfx_predict_rows(&f, a, f.sp.test, f.sp.n_test), *pb = mfx_predict_rows(&f, b, f.sp.test, f.sp.n_test);
  float *pc = mfx_predict_rows(&f, c, f.sp.test, f.sp.n_test), *pd = mfx_predict_rows(&f, d, f.sp.test, f.sp.n_test);
  size_t n = f.sp.n_test * 2;
  CU_ASSERT(memcmp(pa, pb, n * sizeof *pa) == 0);
  CU_ASSERT(memcmp(pa, pc, n * sizeof *pa) != 0);
  CU_ASSERT(memcmp(pa, pd, n * sizeof *pa) != 0);
  free(pa), free(pb), free(pc), free(pd);
  tb_model_free(a), tb_model_free(b), tb_model_free(c), tb_model_free(d);
  mfx_close(&f);
}

static void test_early_stopping(void) {
  mfx f;
  setup(&f, "gen:classification?n=1500&d=10&informative=3&flip=0.3&seed=13");
  const char *es[] = {"early_stopping_rounds=5", "learning_rate=1", "max_depth=8", "min_child_weight=0.001", NULL};
  const char *no[] = {"learning_rate=1", "max_depth=8", "min_child_weight=0.001", NULL};
  tb_model *m = mfx_make(&f, es, 5);
  TB_CHECK_OK(tb_model_train(m, 200));
  int best = tb_model_fidelity(m);
  CU_ASSERT(best >= 1 && best < 195);
  /* the kept model equals an uninterrupted one trained to the best round, and beats the later rounds */
  tb_model *r = mfx_make(&f, no, 5);
  TB_CHECK_OK(tb_model_train(r, best));
  double lm = mfx_eval_rows(m, f.sp.valid, f.sp.n_valid).loss, lr = mfx_eval_rows(r, f.sp.valid, f.sp.n_valid).loss;
  CU_ASSERT_EQUAL(lm, lr);
  CU_ASSERT_EQUAL(tb_model_n_params(m), tb_model_n_params(r));
  for (int k = 0; k < 5; k++) {
    TB_CHECK_OK(tb_model_train(r, 1));
    CU_ASSERT(mfx_eval_rows(r, f.sp.valid, f.sp.n_valid).loss >= lm);
  }
  tb_model_free(m);
  tb_model_free(r);
  mfx_close(&f);
}

static void test_lossguide_max_leaves(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&informative=5&seed=17");
  const char *sets[] = {"grow_policy=lossguide", "max_leaves=5", "max_depth=12", NULL};
  tb_model *m = mfx_make(&f, sets, 1);
  TB_CHECK_OK(tb_model_train(m, 1));
  CU_ASSERT_EQUAL(tb_model_n_params(m), 9); /* exactly 5 leaves: 4 splits */
  TB_CHECK_OK(tb_model_train(m, 4));
  CU_ASSERT(tb_model_n_params(m) <= 5 * 9);
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, f.sp.test, f.sp.n_test, &mt));
  CU_ASSERT(mt.accuracy > 0.7);
  tb_model_free(m);
  mfx_close(&f);
}

/* Training rows get each new tree's leaf values by tb_op_segment_add, the other rows by walking the tree on their
 * compact bins; a restored model recomputes every margin by walking the trees. Evaluating either model on training,
 * valid, test and mixed row lists must give bit-identical metrics, and the mixed list must agree with predictions on
 * the raw features (accuracy exactly, log-loss within 1e-5 relative: float softmax vs the margins' log-softmax). */
static void margins_case(const char *spec) {
  mfx f;
  setup(&f, spec);
  const char *sets[] = {"max_depth=4", "learning_rate=0.3", NULL};
  tb_model *a = mfx_make(&f, sets, 5), *b = mfx_make(&f, sets, 5);
  TB_CHECK_OK(tb_model_train(a, 8));
  void *blob;
  size_t len;
  TB_CHECK_OK(tb_model_save(a, &blob, &len));
  TB_CHECK_OK(tb_model_restore(b, blob, len));
  size_t nm = f.sp.n_train < f.sp.n_test ? 2 * f.sp.n_train : 2 * f.sp.n_test;
  uint32_t *mix = malloc(nm * sizeof *mix);
  for (size_t i = 0; i < nm / 2; i++) {
    mix[2 * i] = f.sp.test[i];
    mix[2 * i + 1] = f.sp.train[i];
  }
  const uint32_t *lists[] = {f.sp.train, f.sp.valid, f.sp.test, mix};
  const size_t ns[] = {f.sp.n_train, f.sp.n_valid, f.sp.n_test, nm};
  for (int l = 0; l < 4; l++) {
    tb_metrics ma, mb;
    TB_CHECK_OK(tb_model_evaluate(a, lists[l], ns[l], &ma));
    TB_CHECK_OK(tb_model_evaluate(b, lists[l], ns[l], &mb));
    CU_ASSERT(ma.loss == mb.loss && ma.accuracy == mb.accuracy);
  }
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(a, mix, nm, &mt));
  const int k = tb_model_n_outputs(a);
  float *p = mfx_predict_rows(&f, a, mix, nm);
  double ll = 0.0;
  size_t correct = 0;
  for (size_t i = 0; i < nm; i++) {
    const float *q = p + i * (size_t)k;
    int y = f.ds->y_class[mix[i]], best = 0;
    for (int c = 1; c < k; c++)
      if (q[c] > q[best]) best = c;
    correct += best == y;
    ll -= log((double)q[y]);
  }
  CU_ASSERT_EQUAL(mt.accuracy, (double)correct / (double)nm);
  CU_ASSERT(fabs(mt.loss - ll / (double)nm) <= 1e-5 * fabs(mt.loss));
  free(p);
  free(mix);
  free(blob);
  tb_model_free(a), tb_model_free(b);
  mfx_close(&f);
}

static void test_segment_margins(void) {
  margins_case("gen:classification?n=3000&d=6&informative=4&seed=31");
  margins_case("gen:classification?n=3000&d=6&classes=3&informative=4&seed=32");
}

static void test_save_restore_continue(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=8&classes=3&informative=5&seed=23");
  const char *sets[] = {"subsample=0.7", "colsample_bytree=0.6", "max_depth=4", NULL};
  tb_model *a = mfx_make(&f, sets, 9), *b = mfx_make(&f, sets, 9), *c = mfx_make(&f, sets, 9);
  TB_CHECK_OK(tb_model_train(a, 10));
  TB_CHECK_OK(tb_model_train(b, 4));
  void *blob;
  size_t len;
  TB_CHECK_OK(tb_model_save(b, &blob, &len));
  TB_CHECK_OK(tb_model_restore(c, blob, len));
  CU_ASSERT_EQUAL(tb_model_fidelity(c), 4);
  TB_CHECK_OK(tb_model_train(c, 6));
  float *pa = mfx_predict_rows(&f, a, f.sp.test, f.sp.n_test), *pc = mfx_predict_rows(&f, c, f.sp.test, f.sp.n_test);
  CU_ASSERT(memcmp(pa, pc, f.sp.n_test * 3 * sizeof *pa) == 0);
  CU_ASSERT_EQUAL(mfx_eval_rows(a, f.sp.valid, f.sp.n_valid).loss, mfx_eval_rows(c, f.sp.valid, f.sp.n_valid).loss);
  /* corrupted states: truncated, and a child index pointing backwards */
  CU_ASSERT(tb_model_restore(c, blob, len - 3) < 0);
  unsigned char *bad = malloc(len);
  memcpy(bad, blob, len);
  tb_tree_node nd;
  /* the first node: after the model header (64 bytes), the gbdt header (6 int32, a double, 3 base floats), the trees
   * header (4 int64) and 3 int32 arrays of 4 rounds x 3 trees */
  size_t off = 64 + 6 * 4 + 8 + 3 * 4 + 4 * 8 + 3 * 12 * 4;
  memcpy(&nd, bad + off, sizeof nd);
  CU_ASSERT(nd.feature >= 0); /* the root of the first tree is a split */
  nd.left = 0;
  memcpy(bad + off, &nd, sizeof nd);
  CU_ASSERT_EQUAL(tb_model_restore(c, bad, len), TB_ERR_FORMAT);
  free(bad);
  free(blob);
  free(pa), free(pc);
  tb_model_free(a), tb_model_free(b), tb_model_free(c);
  mfx_close(&f);
}

static void test_bad_config(void) {
  mfx f;
  setup(&f, "gen:friedman1?n=300&seed=1");
  double x[32];
  const char *s1[] = {"max_depth=0", NULL}, *s2[] = {"learning_rate=2", NULL}, *s3[] = {"max_leaves=8", NULL};
  const char *s4[] = {"max_bins=100", NULL}, *s5[] = {"subsample=0", NULL};
  CU_ASSERT(mfx_config(&f, s1, x) < 0);
  CU_ASSERT(mfx_config(&f, s2, x) < 0);
  CU_ASSERT(mfx_config(&f, s3, x) < 0); /* inactive under depthwise */
  CU_ASSERT(mfx_config(&f, s4, x) < 0);
  CU_ASSERT(mfx_config(&f, s5, x) < 0);
  const char *s6[] = {"objective=logistic", NULL};
  TB_CHECK_OK(mfx_config(&f, s6, x));
  tb_parts parts = {f.sp.train, f.sp.n_train, f.sp.valid, f.sp.n_valid};
  tb_model *m = NULL;
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, f.dd, &parts, 1, &m), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(m);
  mfx_close(&f);
  setup(&f, "gen:classification?n=300&classes=3&informative=4&seed=1");
  TB_CHECK_OK(mfx_config(&f, s6, x)); /* logistic on 3 classes */
  tb_parts p2 = {f.sp.train, f.sp.n_train, f.sp.valid, f.sp.n_valid};
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, f.dd, &p2, 1, &m), TB_ERR_INVALID);
  mfx_close(&f);
}

/* ---- the benchmark (opt-in) -------------------------------------------------------------------------------- */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_bench(void) {
  const char *env = getenv("TB_BENCH_TREES");
  if (!env || !*env) return;
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load(
      "gen:classification?n=300000&d=28&informative=14&redundant=6&class_sep=0.8&seed=0", &ds));
  mfx f;
  const char *learner = strstr(env, "forest") ? "forest" : "gbdt";
  tb_split_spec ss = mfx_split_spec(1, 0.0, 1.0 / 6.0);
  mfx_open_split(&f, learner, ds, &ss, 0);
  const char *gs[] = {"max_depth=6", "learning_rate=0.1", NULL}, *fs[] = {"max_depth=12", NULL};
  double t0 = now_s();
  tb_model *m = mfx_make(&f, f.L == tb_learner_find("gbdt") ? gs : fs, 0);
  double t1 = now_s();
  TB_CHECK_OK(tb_model_train(m, f.L == tb_learner_find("gbdt") ? 200 : 100));
  double t2 = now_s();
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, f.sp.test, f.sp.n_test, &mt));
  printf("\nbench %s: %zu train / %zu test rows: create (bins) %.2f s, train %.2f s, test accuracy %.4f, "
         "%zu nodes\n", learner, f.sp.n_train, f.sp.n_test, t1 - t0, t2 - t1, mt.accuracy, tb_model_n_params(m));
  tb_model_free(m);
  mfx_close(&f);
}

static const tb_test_case cases[] = {
  {"stump_logistic", test_stump_logistic},
  {"stump_logistic_alpha", test_stump_logistic_alpha},
  {"stump_squared", test_stump_squared},
  {"rounds_lower_loss", test_rounds_lower_loss},
  {"friedman_regression", test_friedman_regression},
  {"multiclass", test_multiclass},
  {"regularisation", test_regularisation},
  {"sampling_deterministic", test_sampling_deterministic},
  {"segment_margins", test_segment_margins},
  {"early_stopping", test_early_stopping},
  {"lossguide_max_leaves", test_lossguide_max_leaves},
  {"save_restore_continue", test_save_restore_continue},
  {"bad_config", test_bad_config},
  {"bench", test_bench},
  {NULL, NULL},
};
TB_TEST_MAIN("model_gbdt", cases)
