/* test_model_mlp.c: the MLP learner (models/mlp.c, mlp_train.c) on the CPU backend, through the public model
 * interface: it learns a generated classification problem and Friedman #1 regression; whole-network gradients
 * (read back from one full-batch SGD step with lr 1) match central finite differences of the evaluated loss;
 * dropout 0 equals the dropout path with p ~ 0 bit for bit and dropout 1 trains only the output bias, as the
 * double-precision formula says; every optimizer and schedule trains; the schedules follow their formulas;
 * same seed same weights; save/restore mid-training continues bit for bit; more epochs lower the training loss;
 * bad configurations and states are rejected; the memory estimate covers what create allocates. A Fashion-MNIST
 * subset case (skipped without /usr/share/datasets/fashion-mnist) checks accuracy and prints speed figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_fixture.h"
#include "mlp_impl.h"

/* The saved state; *params points at the parameter vector inside it (the learner blob ends with the parameters and
 * n_moments optimizer vectors of the same length). */
static unsigned char *save_state(tb_model *m, int n_moments, size_t *len, float **params) {
  void *blob = NULL;
  TB_CHECK_OK(tb_model_save(m, &blob, len));
  size_t vec = tb_model_n_params(m) * sizeof(float);
  CU_ASSERT_FATAL(*len > vec * (size_t)(1 + n_moments));
  *params = (float *)((unsigned char *)blob + *len - vec * (size_t)(1 + n_moments));
  return blob;
}

/* ---- learning ------------------------------------------------------------------------------------------------ */
static void test_learns_classification(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", "gen:classification?n=3000&d=10&informative=6&classes=3&class_sep=2&seed=3", 0, 0);
  mfx_config_str(&f, f.x, "units=64 lr=0.01 batch_size=32");
  tb_model *m = mfx_model(&f, f.x, 7);
  tb_metrics before = mfx_eval_rows(m, f.rows + f.n_train, f.n_valid);
  TB_CHECK_OK(tb_model_train(m, 8));
  tb_metrics after = mfx_eval_rows(m, f.rows + f.n_train, f.n_valid);
  printf("\n  classification: valid acc %.3f -> %.3f, logloss %.3f -> %.3f\n", before.accuracy, after.accuracy,
         before.logloss, after.logloss);
  CU_ASSERT(after.accuracy > 0.9);
  CU_ASSERT(after.logloss < before.logloss);
  CU_ASSERT(isnan(after.rmse));
  CU_ASSERT_EQUAL(tb_model_fidelity(m), 8);
  /* predicted probabilities: rows sum to 1, argmax agrees with the evaluated accuracy */
  size_t n = 200, k = (size_t)tb_model_n_outputs(m);
  float *X = malloc(n * (size_t)f.ds->n_cols * sizeof *X), *P = malloc(n * k * sizeof *P);
  for (size_t i = 0; i < n; i++)
    memcpy(X + i * f.ds->n_cols, f.ds->X + (size_t)f.rows[f.n_train + i] * f.ds->n_cols, f.ds->n_cols * sizeof *X);
  TB_CHECK_OK(tb_model_predict(m, X, n, P));
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) {
    double s = 0;
    size_t best = 0;
    for (size_t j = 0; j < k; j++) {
      CU_ASSERT(P[i * k + j] >= 0 && P[i * k + j] <= 1);
      s += P[i * k + j];
      if (P[i * k + j] > P[i * k + best]) best = j;
    }
    CU_ASSERT(fabs(s - 1.0) < 1e-5);
    ok += (int)best == f.ds->y_class[f.rows[f.n_train + i]];
  }
  CU_ASSERT((double)ok / (double)n > 0.88);
  free(X);
  free(P);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_learns_regression(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", "gen:friedman1?n=3000&d=10&noise=0.5&seed=4", 0, 0);
  mfx_config_str(&f, f.x, "units=64 lr=0.003 batch_size=32 layers=2");
  double s = 0, s2 = 0;
  for (size_t i = 0; i < f.n_valid; i++) s += f.ds->y_value[f.rows[f.n_train + i]];
  for (size_t i = 0; i < f.n_valid; i++) s2 += pow(f.ds->y_value[f.rows[f.n_train + i]] - s / f.n_valid, 2);
  double sd = sqrt(s2 / f.n_valid);
  tb_model *m = mfx_model(&f, f.x, 1);
  TB_CHECK_OK(tb_model_train(m, 20));
  tb_metrics mt = mfx_eval_rows(m, f.rows + f.n_train, f.n_valid);
  printf("\n  friedman1: valid RMSE %.3f, target std %.3f\n", mt.rmse, sd);
  CU_ASSERT(mt.rmse < 0.25 * sd);
  CU_ASSERT(fabs(mt.loss - 0.5 * mt.rmse * mt.rmse) < 1e-9 * (1 + mt.loss));
  CU_ASSERT(isnan(mt.accuracy));
  float pred[3];
  TB_CHECK_OK(tb_model_predict(m, f.ds->X + (size_t)f.rows[f.n_train] * f.ds->n_cols, 3, pred));
  for (int i = 0; i < 3; i++) CU_ASSERT(fabs(pred[i] - f.ds->y_value[f.rows[f.n_train + i]]) < 4 * mt.rmse);
  tb_model_free(m);
  mfx_close(&f);
}

/* ---- gradients: one full-batch SGD step with lr 1 moves the weights by exactly the gradient (up to one rounding);
 * central differences of the evaluated loss (h = 4e-3) must agree within 1% + 1e-3 of the largest gradient. -------- */
static void grad_check(const char *spec, const char *cfg, double loss_scale) {
  mfx f;
  mfx_open_rows(&f, "mlp", spec, 16, 0);
  mfx_config_str(&f, f.x, cfg);
  tb_model *m = mfx_model(&f, f.x, 11);
  size_t np = tb_model_n_params(m), len0, len1;
  float *p0, *p1;
  unsigned char *b0 = save_state(m, 0, &len0, &p0);
  TB_CHECK_OK(tb_model_train(m, 1));
  unsigned char *b1 = save_state(m, 0, &len1, &p1);
  double gmax = 0;
  for (size_t i = 0; i < np; i++) gmax = fmax(gmax, fabs((double)p0[i] - p1[i]));
  CU_ASSERT(gmax > 1e-4);
  const double h = 4e-3;
  int bad = 0, checked = 0;
  for (size_t i = 0; i < np; i += 1 + np / 97) { /* ~100 parameters spread over every layer, and the last */
    size_t j = i;
    double g = (double)p0[j] - p1[j], lp, lm;
    float w = p0[j];
    p0[j] = w + (float)h;
    TB_CHECK_OK(tb_model_restore(m, b0, len0));
    lp = mfx_eval_rows(m, f.rows, f.n_train).loss;
    p0[j] = w - (float)h;
    TB_CHECK_OK(tb_model_restore(m, b0, len0));
    lm = mfx_eval_rows(m, f.rows, f.n_train).loss;
    p0[j] = w;
    double fd = (lp - lm) / ((double)(float)(w + (float)h) - (double)(float)(w - (float)h)) * loss_scale;
    checked++;
    if (fabs(g - fd) > 1e-2 * fabs(fd) + 1e-3 * gmax) {
      if (bad++ < 5) printf("\n  param %zu: step gradient %.6g, finite difference %.6g", j, g, fd);
    }
  }
  CU_ASSERT(checked >= 50);
  CU_ASSERT_EQUAL(bad, 0);
  free(b0);
  free(b1);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_gradient_check(void) {
  const char *cls = "gen:classification?n=40&d=5&informative=3&classes=3&seed=5";
  grad_check(cls, "layers=2 units=16 act=tanh optimizer=sgd lr=1 batch_size=16 min_updates=1 dropout=0", 1.0);
  grad_check(cls, "layers=3 units=16 act=sigmoid optimizer=sgd lr=1 batch_size=16 min_updates=1 init=he", 1.0);
  grad_check(cls, "layers=1 units=16 act=relu optimizer=sgd lr=1 batch_size=16 min_updates=1", 1.0);
  /* regression: the step follows the standardised loss, i.e. the evaluated loss divided by var(y) */
  const char *reg = "gen:friedman1?n=40&d=5&noise=0.1&seed=6";
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load(reg, &ds));
  double s = 0, s2 = 0;
  for (int i = 0; i < 16; i++) s += ds->y_value[i];
  for (int i = 0; i < 16; i++) s2 += pow(ds->y_value[i] - s / 16, 2);
  float sd = (float)sqrt(s2 / 16);
  tb_dataset_free(ds);
  grad_check(reg, "layers=2 units=16 act=tanh optimizer=sgd lr=1 batch_size=16 min_updates=1", 1.0 / ((double)sd * sd));
}

/* ---- dropout boundaries ----------------------------------------------------------------------------------------- */
static void test_dropout_boundaries(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", "gen:classification?n=200&d=6&informative=4&classes=4&seed=8", 16, 0);
  /* p = 1e-9 runs the dropout op with every mask 1/(1-p) == 1.0f: must equal the path without dropout exactly */
  size_t la, lb;
  float *pa, *pb;
  mfx_config_str(&f, f.x, "layers=2 units=16 dropout=0 batch_size=16");
  tb_model *a = mfx_model(&f, f.x, 3);
  mfx_config_str(&f, f.x, "layers=2 units=16 dropout=1e-9 batch_size=16");
  tb_model *b = mfx_model(&f, f.x, 3);
  TB_CHECK_OK(tb_model_train(a, 3));
  TB_CHECK_OK(tb_model_train(b, 3));
  unsigned char *ba = save_state(a, 2, &la, &pa), *bb = save_state(b, 2, &lb, &pb);
  size_t np = tb_model_n_params(a);
  CU_ASSERT_EQUAL(memcmp(pa, pb, np * sizeof *pa), 0);
  free(ba);
  free(bb);
  tb_model_free(a);
  tb_model_free(b);
  /* p = 1: hidden outputs are all zero, the logits are the output bias (0 at init), so one full-batch SGD step
   * changes only that bias, by lr * mean(onehot(y) - 1/k) */
  mfx_config_str(&f, f.x, "layers=2 units=16 dropout=1 optimizer=sgd lr=0.5 batch_size=16 min_updates=1 weight_decay=0");
  tb_model *m = mfx_model(&f, f.x, 4);
  size_t l0, l1;
  float *p0, *p1;
  unsigned char *b0 = save_state(m, 0, &l0, &p0);
  TB_CHECK_OK(tb_model_train(m, 1));
  unsigned char *b1 = save_state(m, 0, &l1, &p1);
  const int k = 4;
  np = tb_model_n_params(m);
  size_t bias0 = np - (size_t)k;
  CU_ASSERT_EQUAL(memcmp(p0, p1, bias0 * sizeof *p0), 0);
  double cnt[4] = {0};
  for (size_t i = 0; i < 16; i++) cnt[f.ds->y_class[i]] += 1.0 / 16;
  for (int c = 0; c < k; c++) {
    double want = p0[bias0 + c] - 0.5 * (1.0 / k - cnt[c]);
    CU_ASSERT(fabs(p1[bias0 + c] - want) < 1e-6);
  }
  TB_CHECK_OK(tb_model_train(m, 4));
  tb_metrics mt = mfx_eval_rows(m, f.rows, f.n_train);
  CU_ASSERT(isfinite(mt.loss));
  free(b0);
  free(b1);
  tb_model_free(m);
  mfx_close(&f);
}

/* ---- optimizers and schedules --------------------------------------------------------------------------------- */
static void test_optimizers_schedules(void) {
  static const char *opts[] = {"sgd", "momentum", "nesterov", "adam", "adamw"};
  static const char *scheds[] = {"constant", "step", "cosine", "anneal"};
  mfx f;
  mfx_open_rows(&f, "mlp", "gen:classification?n=400&d=8&informative=5&classes=3&class_sep=1.5&seed=9", 300, 0);
  for (int o = 0; o < 5; o++)
    for (int s = 0; s < 4; s++) {
      char cfg[256];
      snprintf(cfg, sizeof cfg, "units=32 batch_size=16 optimizer=%s lr=%s lr_schedule=%s weight_decay=0.001", opts[o],
               o < 3 ? "0.05" : "0.005", scheds[s]);
      mfx_config_str(&f, f.x, cfg);
      tb_model *m = mfx_model(&f, f.x, 5);
      double before = mfx_eval_rows(m, f.rows, f.n_train).loss;
      TB_CHECK_OK(tb_model_train(m, 3));
      double after = mfx_eval_rows(m, f.rows, f.n_train).loss;
      if (!(after < 0.8 * before)) printf("\n  %s / %s: train loss %.4f -> %.4f", opts[o], scheds[s], before, after);
      CU_ASSERT(after < 0.8 * before);
      tb_model_free(m);
    }
  /* anneal with t0 = 300 equals constant while t <= 300 (2 epochs of 19 updates here are 38), and not after */
  size_t la, lb;
  float *pa, *pb;
  mfx_config_str(&f, f.x, "units=32 batch_size=16 optimizer=sgd lr=0.05 lr_schedule=constant");
  tb_model *a = mfx_model(&f, f.x, 6);
  mfx_config_str(&f, f.x, "units=32 batch_size=16 optimizer=sgd lr=0.05 lr_schedule=anneal anneal_t0=300");
  tb_model *b = mfx_model(&f, f.x, 6);
  TB_CHECK_OK(tb_model_train(a, 2));
  TB_CHECK_OK(tb_model_train(b, 2));
  unsigned char *ba = save_state(a, 0, &la, &pa), *bb = save_state(b, 0, &lb, &pb);
  size_t np = tb_model_n_params(a);
  CU_ASSERT_EQUAL(memcmp(pa, pb, np * sizeof *pa), 0);
  free(ba);
  free(bb);
  TB_CHECK_OK(tb_model_train(a, 15)); /* 17 * 19 = 323 updates */
  TB_CHECK_OK(tb_model_train(b, 15));
  ba = save_state(a, 0, &la, &pa);
  bb = save_state(b, 0, &lb, &pb);
  CU_ASSERT_NOT_EQUAL(memcmp(pa, pb, np * sizeof *pa), 0);
  free(ba);
  free(bb);
  tb_model_free(a);
  tb_model_free(b);
  mfx_close(&f);
}

static void test_schedule_formulas(void) {
  tb_mlp_config c = {.lr = 0.1, .schedule = TB_MLP_SCHED_ANNEAL, .anneal_t0 = 300, .step_size = 2, .gamma = 0.5,
                     .epochs = 4};
  for (int64_t t = 1; t <= 3000; t += 7)
    CU_ASSERT(fabs(tb_mlp_lr_at(&c, t, 50) - 0.1 * 300.0 / (t > 300 ? (double)t : 300.0)) < 1e-15);
  c.schedule = TB_MLP_SCHED_CONSTANT;
  CU_ASSERT_EQUAL(tb_mlp_lr_at(&c, 12345, 50), 0.1);
  c.schedule = TB_MLP_SCHED_STEP; /* epochs 0-1: 0.1, 2-3: 0.05, 4-5: 0.025 */
  CU_ASSERT_EQUAL(tb_mlp_lr_at(&c, 1, 50), 0.1);
  CU_ASSERT_EQUAL(tb_mlp_lr_at(&c, 100, 50), 0.1);
  CU_ASSERT(fabs(tb_mlp_lr_at(&c, 101, 50) - 0.05) < 1e-15);
  CU_ASSERT(fabs(tb_mlp_lr_at(&c, 201, 50) - 0.025) < 1e-15);
  c.schedule = TB_MLP_SCHED_COSINE; /* horizon 4 epochs x 50 updates */
  CU_ASSERT_EQUAL(tb_mlp_lr_at(&c, 1, 50), 0.1);
  CU_ASSERT(fabs(tb_mlp_lr_at(&c, 101, 50) - 0.05) < 1e-12);
  CU_ASSERT(fabs(tb_mlp_lr_at(&c, 201, 50)) < 1e-12);
  CU_ASSERT(fabs(tb_mlp_lr_at(&c, 999, 50)) < 1e-12);
}

/* ---- state ------------------------------------------------------------------------------------------------------ */
static void test_determinism_and_resume(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", "gen:classification?n=500&d=8&informative=5&classes=3&seed=10", 400, 0);
  mfx_config_str(&f, f.x, "layers=2 units=32 dropout=0.3 batch_size=32 lr=0.003");
  size_t l1, l2, l3;
  float *p1, *p2, *p3;
  tb_model *a = mfx_model(&f, f.x, 21), *b = mfx_model(&f, f.x, 21), *c = mfx_model(&f, f.x, 22);
  TB_CHECK_OK(tb_model_train(a, 2));
  TB_CHECK_OK(tb_model_train(b, 2));
  TB_CHECK_OK(tb_model_train(c, 2));
  unsigned char *sa = save_state(a, 2, &l1, &p1), *sb = save_state(b, 2, &l2, &p2), *sc = save_state(c, 2, &l3, &p3);
  CU_ASSERT_EQUAL(l1, l2);
  CU_ASSERT_EQUAL(memcmp(sa, sb, l1), 0); /* same seed: same weights, moments and stream positions */
  CU_ASSERT_NOT_EQUAL(memcmp(p1, p3, tb_model_n_params(a) * sizeof *p1), 0);
  /* resume: a fresh model restored from a's 2-epoch state and trained 3 more equals a trained 3 more */
  tb_model *r = mfx_model(&f, f.x, 21);
  TB_CHECK_OK(tb_model_restore(r, sa, l1));
  CU_ASSERT_EQUAL(tb_model_fidelity(r), 2);
  TB_CHECK_OK(tb_model_train(a, 3));
  TB_CHECK_OK(tb_model_train(r, 3));
  free(sb);
  free(sc);
  sb = save_state(a, 2, &l2, &p2);
  sc = save_state(r, 2, &l3, &p3);
  CU_ASSERT_EQUAL(l2, l3);
  CU_ASSERT_EQUAL(memcmp(sb, sc, l2), 0);
  CU_ASSERT_EQUAL(tb_model_fidelity(r), 5);
  /* copy = save + restore */
  TB_CHECK_OK(tb_model_copy(c, a));
  free(sc);
  sc = save_state(c, 2, &l3, &p3);
  CU_ASSERT_EQUAL(memcmp(sb, sc, l2), 0);
  /* more epochs lower the training loss */
  double l_5 = mfx_eval_rows(a, f.rows, f.n_train).loss;
  TB_CHECK_OK(tb_model_train(a, 10));
  CU_ASSERT(mfx_eval_rows(a, f.rows, f.n_train).loss < l_5);
  /* a truncated state or one of another shape is rejected */
  CU_ASSERT_NOT_EQUAL(tb_model_restore(r, sa, l1 - 4), TB_OK);
  mfx_config_str(&f, f.x, "layers=2 units=33 dropout=0.3 batch_size=32 lr=0.003");
  tb_model *other = mfx_model(&f, f.x, 21);
  CU_ASSERT_EQUAL(tb_model_restore(other, sa, l1), TB_ERR_INVALID);
  free(sa);
  free(sb);
  free(sc);
  tb_model_free(a);
  tb_model_free(b);
  tb_model_free(c);
  tb_model_free(r);
  tb_model_free(other);
  mfx_close(&f);
}

/* ---- bad input and memory ------------------------------------------------------------------------------------ */
static void test_bad_configs_and_memory(void) {
  mfx f;
  char buf[256];
  mfx_open_rows(&f, "mlp", "gen:classification?n=300&d=7&informative=4&classes=5&seed=12", 0, 0);
  double *x = f.x;
  const tb_learner *L = &tb_learner_mlp;
  tb_learner_defaults(L, f.space, x);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "layers", "5"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "layers", "0"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "dropout", "1.5"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "dropout", "-0.1"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "act", "softmax"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "optimizer", "rmsprop"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "momentum", "0.9"), TB_OK); /* inactive with adam */
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "lr", "0"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "batch_size", "8"), TB_OK);
  CU_ASSERT_NOT_EQUAL(tb_learner_set(L, f.space, x, "units", "12.5"), TB_OK);
  CU_ASSERT_EQUAL(tb_learner_set(L, f.space, x, "nonsense", "1"), TB_ERR_NOT_FOUND);
  TB_CHECK_OK(tb_learner_set(L, f.space, x, "dropout", "1"));
  TB_CHECK_OK(tb_learner_set(L, f.space, x, "optimizer", "nesterov"));
  TB_CHECK_OK(tb_learner_set(L, f.space, x, "momentum", "0.95"));
  CU_ASSERT_PTR_NULL(tb_learner_check(L, f.space, x, buf, sizeof buf));
  /* values written directly (as a sampler would) are checked again by the learner and by create */
  tb_mlp_config c;
  int il = tb_space_find(f.space, "layers"), id = tb_space_find(f.space, "dropout");
  x[il] = 5;
  CU_ASSERT_PTR_NOT_NULL(tb_mlp_config_read(f.space, x, &c, buf, sizeof buf));
  CU_ASSERT_PTR_NOT_NULL(tb_learner_check(L, f.space, x, buf, sizeof buf));
  tb_model *m = NULL;
  tb_parts parts = {f.rows, f.n_train, NULL, 0};
  CU_ASSERT_EQUAL(tb_model_create(L, f.space, x, f.dd, &parts, 1, &m), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(m);
  x[il] = 1;
  x[id] = 1.5;
  CU_ASSERT_PTR_NOT_NULL(tb_mlp_config_read(f.space, x, &c, buf, sizeof buf));
  CU_ASSERT_EQUAL(tb_model_create(L, f.space, x, f.dd, &parts, 1, &m), TB_ERR_INVALID);
  /* the estimate covers what create allocates */
  mfx_config_str(&f, f.x, "layers=3 units=40 dropout=0.2 batch_size=64");
  size_t est = 0;
  TB_CHECK_OK(tb_model_estimate_bytes(L, f.space, f.x, f.n_train, f.ds->n_cols, f.ds->n_classes, &est));
  tb_mem_stats s0, s1;
  tb_backend_mem(f.be, &s0);
  m = mfx_model(&f, f.x, 1);
  tb_backend_mem(f.be, &s1);
  CU_ASSERT_EQUAL(s1.bytes_in_use - s0.bytes_in_use, est);
  CU_ASSERT_EQUAL(tb_model_n_params(m), (size_t)(7 * 40 + 40 + 2 * (40 * 40 + 40) + 40 * 5 + 5));
  tb_model_free(m);
  mfx_close(&f);
}

/* ---- Fashion-MNIST subset: accuracy, and the speed figures of the benchmark shape -------------------- */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_fashion_mnist(void) {
  FILE *probe = fopen("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", "rb");
  if (!probe) {
    printf("\n  SKIPPED: /usr/share/datasets/fashion-mnist is absent\n");
    return;
  }
  fclose(probe);
  mfx f;
  mfx_open_rows(&f, "mlp", "fashion-mnist", 6000, 0);
  f.n_valid = 2000; /* rows 6000..7999 of the training file */
  mfx_config_str(&f, f.x, "layers=1 units=256 act=relu optimizer=adam lr=0.001 batch_size=128");
  tb_model *m = mfx_model(&f, f.x, 0);
  double t0 = now_s();
  TB_CHECK_OK(tb_model_train(m, 2));
  double dt = now_s() - t0;
  tb_metrics mt = mfx_eval_rows(m, f.rows + f.n_train, f.n_valid);
  float prob[10];
  double lat[200];
  for (int i = 0; i < 200; i++) {
    double a = now_s();
    TB_CHECK_OK(tb_model_predict(m, f.ds->X + (size_t)i * 784, 1, prob));
    lat[i] = now_s() - a;
  }
  qsort(lat, 200, sizeof *lat, cmp_double);
  printf("\n  fashion-mnist 784-256-10, 6000 rows x 2 epochs: %.0f samples/s, valid acc %.4f, batch-1 predict p50 "
         "%.1f us\n", 2.0 * f.n_train / dt, mt.accuracy, lat[100] * 1e6);
  CU_ASSERT(mt.accuracy > 0.8);
  tb_model_free(m);
  mfx_close(&f);
}

/* ---- CUDA against CPU (returns with a notice when no GPU is present): the same seed gives bit-identical initial
 * weights (both draw them from the Philox stream) and, after training, accuracies within 0.5 points. ------------- */
static void test_cuda_matches_cpu(void) {
  if (tb_backend_cuda_device_count() < 1) {
    printf("\n  SKIPPED: no CUDA device in this build or machine\n");
    return;
  }
  mfx f;
  mfx_open_rows(&f, "mlp", "gen:classification?n=4000&d=12&informative=8&classes=4&class_sep=1.5&seed=13", 3000, 0);
  mfx_config_str(&f, f.x, "layers=2 units=64 dropout=0.1 batch_size=64 lr=0.003");
  tb_device gpu = {TB_DEVICE_CUDA, 0};
  tb_backend *gbe = NULL;
  tb_devdata *gdd = NULL;
  tb_model *mc = mfx_model(&f, f.x, 5), *mg = NULL;
  TB_CHECK_OK(tb_backend_open(&gpu, &gbe));
  TB_CHECK_OK(tb_devdata_create(gbe, f.ds, &gdd));
  tb_parts parts = {f.rows, f.n_train, f.rows + f.n_train, f.n_valid};
  TB_CHECK_OK(tb_model_create(&tb_learner_mlp, f.space, f.x, gdd, &parts, 5, &mg));
  size_t lc, lg, np = tb_model_n_params(mc);
  float *pc, *pg;
  unsigned char *bc = save_state(mc, 2, &lc, &pc), *bg = save_state(mg, 2, &lg, &pg);
  CU_ASSERT_EQUAL(memcmp(pc, pg, np * sizeof *pc), 0);
  TB_CHECK_OK(tb_model_train(mc, 5));
  TB_CHECK_OK(tb_model_train(mg, 5));
  double ac = mfx_eval_rows(mc, f.rows + f.n_train, f.n_valid).accuracy;
  double ag = mfx_eval_rows(mg, f.rows + f.n_train, f.n_valid).accuracy;
  printf("\n  valid accuracy: cpu %.4f, cuda %.4f\n", ac, ag);
  CU_ASSERT(fabs(ac - ag) <= 0.005);
  free(bc);
  free(bg);
  tb_model_free(mg);
  tb_model_free(mc);
  tb_devdata_free(gdd);
  tb_backend_free(gbe);
  mfx_close(&f);
}

static const tb_test_case cases[] = {
    {"learns_classification", test_learns_classification},
    {"learns_regression", test_learns_regression},
    {"gradient_check", test_gradient_check},
    {"dropout_boundaries", test_dropout_boundaries},
    {"optimizers_schedules", test_optimizers_schedules},
    {"schedule_formulas", test_schedule_formulas},
    {"determinism_and_resume", test_determinism_and_resume},
    {"bad_configs_and_memory", test_bad_configs_and_memory},
    {"fashion_mnist", test_fashion_mnist},
    {"cuda_matches_cpu", test_cuda_matches_cpu},
    {NULL, NULL},
};
TB_TEST_MAIN("model_mlp", cases)
