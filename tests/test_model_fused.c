/* test_model_fused.c: fused MLP trials (models/tb_fused.h) on the CPU backend, where a member must be BIT-identical
 * to the same configuration and seed trained alone: every comparison is of whole saved states (tb_model_save of the
 * extracted member vs of the solo model: weights, optimizer moments, step, epoch, dropout stream position,
 * fidelity) with memcmp, and of evaluation metrics with ==. The solo tb_model is the reference (it is itself
 * tested against double-precision formulas and finite differences in test_model_mlp.c).
 * Cases: K=4 sgd-family members with different lr/momentum/nesterov/dropout/weight decay/schedule, 2 hidden
 * layers, a ragged last batch, trained in two calls; K=3 adam/adamw members on a regression problem, one of which
 * diverges (its solo run fails with TB_ERR_RANGE) while the others go on identically; stop (first and middle
 * slot), resume, and the others continue identically; replace a member (new config and seed); an extracted model
 * continues as the member does; incompatible configurations and bad arguments are rejected with a message naming
 * what differs; two identical bundles give identical bits; the memory estimate equals what create keeps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_fixture.h"
#include "tb_fused.h"

#define MLP tb_learner_find("mlp")

/* A configuration: defaults, then "key=value ..." (malloc'ed, caller frees). */
static double *cfg(mfx *f, const char *kvs) { return mfx_config_str(f, NULL, kvs); }

/* A solo model of x and seed trained `epochs` epochs in the given call sizes (0-terminated); returns it. */
static tb_model *solo(mfx *f, const double *x, uint64_t seed, const int *calls, int expect_rc) {
  tb_model *m = NULL;
  TB_CHECK_OK(tb_model_create(MLP, f->space, x, f->dd, &f->parts, seed, &m));
  int rc = TB_OK;
  for (int i = 0; calls[i] && rc == TB_OK; i++) rc = tb_model_train(m, calls[i]);
  CU_ASSERT_EQUAL(rc, expect_rc);
  return m;
}

/* 1 if the two models' saved states are the same bytes; prints where they differ otherwise. */
static int same_state(tb_model *a, tb_model *b, const char *what) {
  void *ba = NULL, *bb = NULL;
  size_t la = 0, lb = 0;
  TB_CHECK_OK(tb_model_save(a, &ba, &la));
  TB_CHECK_OK(tb_model_save(b, &bb, &lb));
  int same = la == lb && !memcmp(ba, bb, la);
  if (!same) {
    size_t i = 0;
    while (i < la && i < lb && ((unsigned char *)ba)[i] == ((unsigned char *)bb)[i]) i++;
    printf("\n  %s: states differ (%zu vs %zu bytes, first difference at byte %zu)\n", what, la, lb, i);
  }
  free(ba);
  free(bb);
  return same;
}

/* Member k of the bundle equals the solo model: saved state and validation metrics. */
static void check_member(mfx *f, tb_fused *fu, int k, tb_model *ref, const char *what) {
  tb_model *m = NULL;
  TB_CHECK_OK(tb_fused_extract(fu, k, &m));
  CU_ASSERT(same_state(m, ref, what));
  CU_ASSERT_EQUAL(tb_fused_fidelity(fu, k), tb_model_fidelity(ref));
  if (tb_fused_status_of(fu, k) == TB_FUSED_ACTIVE) {
    tb_metrics *mf = calloc((size_t)tb_fused_size(fu), sizeof *mf), ms;
    TB_CHECK_OK(tb_fused_evaluate(fu, f->parts.valid, f->n_valid, mf));
    TB_CHECK_OK(tb_model_evaluate(ref, f->parts.valid, f->n_valid, &ms));
    CU_ASSERT_EQUAL(mf[k].n, ms.n);
    CU_ASSERT(mf[k].loss == ms.loss);
    CU_ASSERT(mf[k].accuracy == ms.accuracy || (isnan(mf[k].accuracy) && isnan(ms.accuracy)));
    CU_ASSERT(mf[k].rmse == ms.rmse || (isnan(mf[k].rmse) && isnan(ms.rmse)));
    free(mf);
  }
  tb_model_free(m);
}

static const char *CLS = "gen:classification?n=600&d=12&informative=8&classes=3&class_sep=1.5&seed=21";
static const char *REG = "gen:friedman1?n=500&d=8&noise=0.3&seed=22";

/* ---- members equal their solo runs ---------------------------------------------------------------------------- */
static void test_sgd_family_equals_solo(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", CLS, 450, 1); /* batch 64: 7 full batches and one of 2 rows */
  const char *base = "layers=2 units=24 batch_size=64 act=tanh epochs=3";
  char buf[4][256];
  snprintf(buf[0], 256, "%s optimizer=momentum lr=0.05 momentum=0.9", base);
  snprintf(buf[1], 256, "%s optimizer=momentum lr=0.01 momentum=0.5 dropout=0.3 weight_decay=0.01", base);
  snprintf(buf[2], 256, "%s optimizer=nesterov lr=0.1 momentum=0.8 dropout=0.1 lr_schedule=cosine", base);
  snprintf(buf[3], 256, "%s optimizer=sgd lr=0.2 lr_schedule=step step_size=1 gamma=0.5 init=he", base);
  double *x[4];
  uint64_t seeds[4] = {11, 12, 13, 14};
  for (int k = 0; k < 4; k++) x[k] = cfg(&f, buf[k]);
  tb_fused *fu = NULL;
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)x, 4, f.dd, &f.parts, seeds, &fu));
  CU_ASSERT_EQUAL(tb_fused_size(fu), 4);
  CU_ASSERT_EQUAL(tb_fused_n_active(fu), 4);
  TB_CHECK_OK(tb_fused_train(fu, 2));
  TB_CHECK_OK(tb_fused_train(fu, 1));
  const int calls[] = {2, 1, 0};
  for (int k = 0; k < 4; k++) {
    tb_model *ref = solo(&f, x[k], seeds[k], calls, TB_OK);
    char what[32];
    snprintf(what, sizeof what, "sgd member %d", k);
    check_member(&f, fu, k, ref, what);
    CU_ASSERT(isfinite(tb_fused_train_loss(fu, k)) && tb_fused_train_loss(fu, k) > 0);
    tb_model_free(ref);
  }
  /* the members really differ from each other (per-member hyperparameters reached the ops) */
  tb_metrics mt[4];
  TB_CHECK_OK(tb_fused_evaluate(fu, f.parts.valid, f.n_valid, mt));
  for (int k = 1; k < 4; k++) CU_ASSERT(mt[k].loss != mt[0].loss);
  tb_fused_free(fu);
  for (int k = 0; k < 4; k++) free(x[k]);
  mfx_close(&f);
}

static void test_adam_regression_and_divergence(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", REG, 400, 1);
  const char *base = "units=16 batch_size=32 act=relu";
  char buf[3][256];
  snprintf(buf[0], 256, "%s optimizer=adam lr=0.003 weight_decay=0.001 lr_schedule=anneal anneal_t0=300", base);
  snprintf(buf[1], 256, "%s optimizer=sgd lr=10 dropout=0.2", base); /* sgd: a different family */
  snprintf(buf[2], 256, "%s optimizer=adamw lr=0.01 weight_decay=0.05 dropout=0.2", base);
  double *x[3];
  for (int k = 0; k < 3; k++) x[k] = cfg(&f, buf[k]);
  /* adam + adamw fuse; sgd does not */
  char msg[256];
  CU_ASSERT_PTR_NULL(tb_fused_compatible(MLP, f.space, x[0], x[2], msg, sizeof msg));
  const char *why = tb_fused_compatible(MLP, f.space, x[0], x[1], msg, sizeof msg);
  CU_ASSERT(why && strstr(why, "optimizer family"));
  free(x[1]);
  x[1] = cfg(&f, "units=16 batch_size=32 act=relu optimizer=adam lr=0.03 dropout=0.2 lr_schedule=cosine epochs=3");
  uint64_t seeds[3] = {5, 6, 7};
  tb_fused *fu = NULL;
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)x, 3, f.dd, &f.parts, seeds, &fu));
  TB_CHECK_OK(tb_fused_train(fu, 3));
  const int calls[] = {3, 0};
  for (int k = 0; k < 3; k++) {
    tb_model *ref = solo(&f, x[k], seeds[k], calls, TB_OK);
    check_member(&f, fu, k, ref, "adam member");
    tb_model_free(ref);
  }
  tb_fused_free(fu);
  free(x[1]);
  /* a member whose loss overflows: Nesterov SGD with lr 10 and momentum 0.99 on regression */
  x[1] = NULL;
  double *xs[3] = {cfg(&f, "units=16 batch_size=32 optimizer=momentum lr=0.01"),
                   cfg(&f, "units=16 batch_size=32 optimizer=nesterov lr=10 momentum=0.99"),
                   cfg(&f, "units=16 batch_size=32 optimizer=sgd lr=0.003 dropout=0.5")};
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)xs, 3, f.dd, &f.parts, seeds, &fu));
  TB_CHECK_OK(tb_fused_train(fu, 4));
  CU_ASSERT_EQUAL(tb_fused_status_of(fu, 1), TB_FUSED_DIVERGED);
  CU_ASSERT(!isfinite(tb_fused_train_loss(fu, 1)));
  CU_ASSERT_EQUAL(tb_fused_n_active(fu), 2);
  CU_ASSERT_EQUAL(tb_fused_fidelity(fu, 1), 0); /* as tb_model_train: a failed call adds nothing */
  const int calls4[] = {4, 0};
  tb_model *bad = solo(&f, xs[1], seeds[1], calls4, TB_ERR_RANGE);
  check_member(&f, fu, 1, bad, "diverged member");
  tb_model_free(bad);
  for (int k = 0; k < 3; k += 2) {
    tb_model *ref = solo(&f, xs[k], seeds[k], calls4, TB_OK);
    check_member(&f, fu, k, ref, "member beside a diverged one");
    tb_model_free(ref);
  }
  tb_fused_free(fu);
  for (int k = 0; k < 3; k++) free(x[k]), free(xs[k]);
  mfx_close(&f);
}

/* ---- stop, resume, replace, extract ---------------------------------------------------------------------------- */
static void test_stop_resume(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", CLS, 450, 1);
  double *x[3] = {cfg(&f, "units=20 batch_size=40 optimizer=adam lr=0.01"),
                  cfg(&f, "units=20 batch_size=40 optimizer=adam lr=0.003 dropout=0.2"),
                  cfg(&f, "units=20 batch_size=40 optimizer=adamw lr=0.02 weight_decay=0.1")};
  uint64_t seeds[3] = {1, 2, 3};
  tb_fused *fu = NULL;
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)x, 3, f.dd, &f.parts, seeds, &fu));
  TB_CHECK_OK(tb_fused_train(fu, 1));
  TB_CHECK_OK(tb_fused_stop(fu, 0)); /* the first slot: member 2 moves into it */
  TB_CHECK_OK(tb_fused_stop(fu, 0)); /* again: no-op */
  CU_ASSERT_EQUAL(tb_fused_status_of(fu, 0), TB_FUSED_STOPPED);
  CU_ASSERT_EQUAL(tb_fused_n_active(fu), 2);
  TB_CHECK_OK(tb_fused_train(fu, 2));
  tb_metrics mt[3];
  TB_CHECK_OK(tb_fused_evaluate(fu, f.parts.valid, f.n_valid, mt));
  CU_ASSERT(isnan(mt[0].loss) && mt[0].n == 0 && mt[1].n == f.n_valid);
  const int c1[] = {1, 0}, c12[] = {1, 2, 0};
  tb_model *r0 = solo(&f, x[0], 1, c1, TB_OK), *r1 = solo(&f, x[1], 2, c12, TB_OK), *r2 = solo(&f, x[2], 3, c12, TB_OK);
  check_member(&f, fu, 0, r0, "stopped member");
  check_member(&f, fu, 1, r1, "member beside a stopped one");
  check_member(&f, fu, 2, r2, "member moved by a stop");
  /* resume member 0: it trains on from its state, as a solo model trained 1 then 2 epochs */
  TB_CHECK_OK(tb_fused_resume(fu, 0));
  TB_CHECK_OK(tb_fused_stop(fu, 1)); /* the middle slot this time */
  TB_CHECK_OK(tb_fused_train(fu, 2));
  CU_ASSERT_EQUAL(tb_fused_fidelity(fu, 0), 3);
  TB_CHECK_OK(tb_model_train(r0, 2));
  TB_CHECK_OK(tb_model_train(r2, 2));
  check_member(&f, fu, 0, r0, "resumed member");
  check_member(&f, fu, 1, r1, "stopped member (2)");
  check_member(&f, fu, 2, r2, "member after stop and resume");
  /* an extracted member continues exactly as the bundle's member does */
  tb_model *e = NULL;
  TB_CHECK_OK(tb_fused_extract(fu, 2, &e));
  TB_CHECK_OK(tb_fused_train(fu, 1));
  TB_CHECK_OK(tb_model_train(e, 1));
  check_member(&f, fu, 2, e, "extracted and trained");
  tb_model_free(e);
  tb_model_free(r0);
  tb_model_free(r1);
  tb_model_free(r2);
  tb_fused_free(fu);
  for (int k = 0; k < 3; k++) free(x[k]);
  mfx_close(&f);
}

static void test_replace(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", CLS, 450, 1);
  double *x[2] = {cfg(&f, "units=20 batch_size=50 optimizer=momentum lr=0.05"),
                  cfg(&f, "units=20 batch_size=50 optimizer=sgd lr=0.1 dropout=0.2")};
  double *xn = cfg(&f, "units=20 batch_size=50 optimizer=nesterov lr=0.02 momentum=0.7 dropout=0.4 init=uniform");
  double *xbad = cfg(&f, "units=21 batch_size=50 optimizer=momentum lr=0.05");
  uint64_t seeds[2] = {31, 32};
  tb_fused *fu = NULL;
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)x, 2, f.dd, &f.parts, seeds, &fu));
  TB_CHECK_OK(tb_fused_train(fu, 1));
  /* an incompatible replacement is refused, naming the parameter, and leaves the member as it was */
  CU_ASSERT_EQUAL(tb_fused_replace(fu, 0, xbad, 99), TB_ERR_INVALID);
  CU_ASSERT(strstr(tb_error_detail(), "units") != NULL);
  CU_ASSERT_EQUAL(tb_fused_status_of(fu, 0), TB_FUSED_ACTIVE);
  CU_ASSERT_EQUAL(tb_fused_replace(fu, 2, xn, 99), TB_ERR_INVALID);
  TB_CHECK_OK(tb_fused_replace(fu, 0, xn, 99));
  CU_ASSERT_EQUAL(tb_fused_fidelity(fu, 0), 0);
  TB_CHECK_OK(tb_fused_train(fu, 2));
  const int c2[] = {2, 0}, c12[] = {1, 2, 0};
  tb_model *rn = solo(&f, xn, 99, c2, TB_OK), *r1 = solo(&f, x[1], 32, c12, TB_OK);
  check_member(&f, fu, 0, rn, "replacement");
  check_member(&f, fu, 1, r1, "member beside a replacement");
  /* replacing a stopped member makes it active again */
  TB_CHECK_OK(tb_fused_stop(fu, 1));
  TB_CHECK_OK(tb_fused_replace(fu, 1, x[0], 7));
  CU_ASSERT_EQUAL(tb_fused_n_active(fu), 2);
  TB_CHECK_OK(tb_fused_train(fu, 1));
  const int c1[] = {1, 0};
  tb_model *r7 = solo(&f, x[0], 7, c1, TB_OK);
  check_member(&f, fu, 1, r7, "replacement of a stopped member");
  tb_model_free(r7);
  tb_model_free(rn);
  tb_model_free(r1);
  tb_fused_free(fu);
  free(x[0]), free(x[1]), free(xn), free(xbad);
  mfx_close(&f);
}

/* ---- rejections, determinism, memory ------------------------------------------------------------------------------ */
static void test_rejects(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", CLS, 450, 1);
  char msg[256];
  double *a = cfg(&f, "units=32 batch_size=64 layers=2 act=relu");
  const char *cases[][2] = {{"units=64 batch_size=64 layers=2 act=relu", "units"},
                            {"units=32 batch_size=32 layers=2 act=relu", "batch_size"},
                            {"units=32 batch_size=64 layers=1 act=relu", "layers"},
                            {"units=32 batch_size=64 layers=2 act=tanh", "act"},
                            {"units=32 batch_size=64 layers=2 act=relu optimizer=sgd", "optimizer family"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    double *b = cfg(&f, cases[i][0]);
    const char *why = tb_fused_compatible(MLP, f.space, a, b, msg, sizeof msg);
    CU_ASSERT(why && strstr(why, cases[i][1]));
    if (why && !strstr(why, cases[i][1])) printf("\n  '%s' does not name %s\n", why, cases[i][1]);
    free(b);
  }
  /* per-member hyperparameters do not matter */
  double *c = cfg(&f, "units=32 batch_size=64 layers=2 act=relu lr=0.5 dropout=0.5 weight_decay=0.1 init=uniform "
                      "lr_schedule=cosine epochs=7 optimizer=adamw");
  CU_ASSERT_PTR_NULL(tb_fused_compatible(MLP, f.space, a, c, msg, sizeof msg));
  CU_ASSERT_PTR_NOT_NULL(tb_fused_compatible(tb_learner_find("logreg"), f.space, a, c, msg, sizeof msg));
  /* create: incompatible member, K, NULLs, another learner */
  double *d = cfg(&f, "units=48 batch_size=64 layers=2 act=relu");
  const double *xs[3] = {a, c, d};
  uint64_t seeds[3] = {1, 2, 3};
  tb_fused *fu = NULL;
  CU_ASSERT_EQUAL(tb_fused_create(MLP, f.space, xs, 3, f.dd, &f.parts, seeds, &fu), TB_ERR_INVALID);
  CU_ASSERT(strstr(tb_error_detail(), "member 2") && strstr(tb_error_detail(), "units"));
  CU_ASSERT_PTR_NULL(fu);
  CU_ASSERT_EQUAL(tb_fused_create(MLP, f.space, xs, 0, f.dd, &f.parts, seeds, &fu), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_create(MLP, f.space, xs, 2, f.dd, NULL, seeds, &fu), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_create(MLP, f.space, xs, 2, f.dd, &f.parts, NULL, &fu), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_create(tb_learner_find("gbdt"), f.space, xs, 2, f.dd, &f.parts, seeds, &fu),
                  TB_ERR_UNSUPPORTED);
  tb_parts empty = {f.rows, 0, NULL, 0};
  CU_ASSERT_EQUAL(tb_fused_create(MLP, f.space, xs, 2, f.dd, &empty, seeds, &fu), TB_ERR_INVALID);
  /* a good bundle, then bad calls on it */
  TB_CHECK_OK(tb_fused_create(MLP, f.space, xs, 2, f.dd, &f.parts, seeds, &fu));
  tb_model *m = NULL;
  tb_metrics mt[2];
  uint32_t bad_row = (uint32_t)f.ds->n_rows;
  CU_ASSERT_EQUAL(tb_fused_train(fu, 0), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_stop(fu, 2), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_resume(fu, -1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_extract(fu, 5, &m), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(m);
  CU_ASSERT_EQUAL(tb_fused_evaluate(fu, &bad_row, 1, mt), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_evaluate(fu, f.parts.valid, 0, mt), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_fused_fidelity(fu, 9), -1);
  CU_ASSERT_EQUAL(tb_fused_train(NULL, 1), TB_ERR_INVALID);
  tb_fused_free(fu);
  tb_fused_free(NULL);
  free(a), free(c), free(d);
  mfx_close(&f);
}

static void test_determinism_and_memory(void) {
  mfx f;
  mfx_open_rows(&f, "mlp", CLS, 450, 1);
  double *x[3] = {cfg(&f, "units=16 batch_size=30 lr=0.01"), cfg(&f, "units=16 batch_size=30 lr=0.002"),
                  cfg(&f, "units=16 batch_size=30 lr=0.03 weight_decay=0.02")};
  uint64_t seeds[3] = {8, 8, 9}; /* two members with the same seed and different lr */
  size_t est = 0;
  tb_mem_stats m0, m1;
  TB_CHECK_OK(tb_fused_estimate_bytes(MLP, f.space, x[0], 3, f.n_train, f.ds->n_cols, f.ds->n_classes,
                                      &est));
  tb_backend_mem(f.be, &m0);
  tb_fused *a = NULL, *b = NULL;
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)x, 3, f.dd, &f.parts, seeds, &a));
  tb_backend_mem(f.be, &m1);
  CU_ASSERT_EQUAL(m1.bytes_in_use - m0.bytes_in_use, est);
  TB_CHECK_OK(tb_fused_create(MLP, f.space, (const double *const *)x, 3, f.dd, &f.parts, seeds, &b));
  TB_CHECK_OK(tb_fused_train(a, 2));
  TB_CHECK_OK(tb_fused_train(b, 2));
  for (int k = 0; k < 3; k++) {
    tb_model *ma = NULL, *mb = NULL;
    TB_CHECK_OK(tb_fused_extract(a, k, &ma));
    TB_CHECK_OK(tb_fused_extract(b, k, &mb));
    CU_ASSERT(same_state(ma, mb, "determinism"));
    tb_model_free(ma);
    tb_model_free(mb);
  }
  tb_metrics ta[3], tbm[3];
  TB_CHECK_OK(tb_fused_evaluate(a, f.parts.valid, f.n_valid, ta));
  TB_CHECK_OK(tb_fused_evaluate(b, f.parts.valid, f.n_valid, tbm));
  for (int k = 0; k < 3; k++) CU_ASSERT(ta[k].loss == tbm[k].loss && ta[k].accuracy == tbm[k].accuracy);
  CU_ASSERT(ta[0].loss != ta[1].loss); /* same seed, different lr: different results */
  CU_ASSERT(ta[0].accuracy > 0.6);     /* it learned something (3 classes, chance 1/3) */
  tb_fused_free(a);
  tb_fused_free(b);
  for (int k = 0; k < 3; k++) free(x[k]);
  mfx_close(&f);
}

static const tb_test_case cases[] = {{"sgd_family_equals_solo", test_sgd_family_equals_solo},
                                     {"adam_regression_and_divergence", test_adam_regression_and_divergence},
                                     {"stop_resume", test_stop_resume},
                                     {"replace", test_replace},
                                     {"rejects", test_rejects},
                                     {"determinism_and_memory", test_determinism_and_memory},
                                     {NULL, NULL}};
TB_TEST_MAIN("model_fused", cases)
