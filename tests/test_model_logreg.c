/* test_model_logreg.c: the logistic-regression learner on the CPU backend. Covers: the L-BFGS/OWL-QN engine on a
 * separable quadratic + L1 problem with a closed-form solution; the lbfgs solver against a double-precision
 * gradient-descent reference (probabilities within 2e-3); every solver above 0.8 accuracy on an easy generated
 * problem, with evaluate agreeing with predict; L1 (OWL-QN) giving exact zeros where L2 gives none; a stronger L2
 * shrinking the weights; resumed training equal to one run; determinism by seed; a Fashion-MNIST 12k-row subset
 * (skipped when the data are absent); bad configurations and a regression dataset rejected. */
#include <math.h>
#include <string.h>

#include "lbfgs.h"
#include "model_fixture.h"
#include "tb_rng.h"

/* The logistic regression's data: split with seed 1 and the default fractions, standardised on the train rows. */
static void setup_ds(mfx *f, tb_dataset *ds) {
  tb_split_spec ss = mfx_split_spec(1, 0.2, 0.2);
  mfx_open_split(f, "logreg", ds, &ss, 1);
}

static void setup(mfx *f, const char *spec) { setup_ds(f, mfx_load(spec)); }

/* The model's parameters (W (d, C) then b) as floats, from the saved state: the parameter block sits just before
 * the solver state at the end of the blob (lbfgs: tb_lbfgs_state_bytes; sgd: 1 and adam: 2 moment arrays). */
static float *weights(tb_model *m, int solver_moments, int lbfgs_hist) {
  void *blob;
  size_t len, np = tb_model_n_params(m), tail;
  TB_CHECK_OK(tb_model_save(m, &blob, &len));
  if (lbfgs_hist) {
    tb_lbfgs st;
    TB_CHECK_OK(tb_lbfgs_init(&st, (int)np, lbfgs_hist, 0, 0));
    tail = tb_lbfgs_state_bytes(&st);
    tb_lbfgs_free(&st);
  } else {
    tail = (size_t)solver_moments * np * sizeof(float);
  }
  CU_ASSERT_FATAL(len > tail + np * sizeof(float));
  float *w = malloc(np * sizeof *w);
  memcpy(w, (char *)blob + len - tail - np * sizeof(float), np * sizeof *w);
  free(blob);
  return w;
}

/* f(x) = 0.5 sum a_i (x_i - c_i)^2 + l1 |x|_1 over the first n_pen: x_i = sign(c_i) max(|c_i| - l1/a_i, 0). */
typedef struct { int n; double a[40], c[40]; } quad;
static int quad_eval(void *ctx, const double *x, double *f, double *g) {
  const quad *q = ctx;
  *f = 0;
  for (int i = 0; i < q->n; i++) {
    *f += 0.5 * q->a[i] * (x[i] - q->c[i]) * (x[i] - q->c[i]);
    g[i] = q->a[i] * (x[i] - q->c[i]);
  }
  return TB_OK;
}

static void test_lbfgs_quadratic_l1(void) {
  quad q = {.n = 40};
  uint64_t seed = 11;
  for (int i = 0; i < q.n; i++) {
    q.a[i] = 0.5 + 4.0 * tb_rng_uniform_double(seed, (uint64_t)i);
    q.c[i] = 4.0 * tb_rng_uniform_double(seed, (uint64_t)(100 + i)) - 2.0;
  }
  for (int owl = 0; owl <= 1; owl++) {
    double l1 = owl ? 1.0 : 0.0;
    int n_pen = 30; /* the last 10 coordinates are not penalised (as logreg's bias) */
    tb_lbfgs st;
    TB_CHECK_OK(tb_lbfgs_init(&st, q.n, 5, n_pen, l1));
    st.gtol = 1e-9; /* tight stops: the defaults (1e-5 on the gradient, 1e-10 on F) leave ~1e-5 on x */
    st.ftol = 1e-16;
    for (int it = 0; it < 200 && !st.converged; it++) TB_CHECK_OK(tb_lbfgs_step(&st, quad_eval, &q));
    CU_ASSERT(st.converged);
    int zeros = 0, want_zeros = 0;
    for (int i = 0; i < q.n; i++) {
      double t = i < n_pen ? l1 / q.a[i] : 0.0;
      double ref = q.c[i] > 0 ? fmax(q.c[i] - t, 0.0) : -fmax(-q.c[i] - t, 0.0);
      if (fabs(st.x[i] - ref) > 1e-5) printf("\n owl %d i %d x %.9g ref %.9g iter %lld", owl, i, st.x[i], ref, (long long)st.iter);
      CU_ASSERT_DOUBLE_EQUAL(st.x[i], ref, 1e-5);
      zeros += st.x[i] == 0.0;
      want_zeros += ref == 0.0;
    }
    CU_ASSERT_EQUAL(zeros, want_zeros); /* OWL-QN lands exactly on zero */
    if (owl) CU_ASSERT(want_zeros >= 5);
    tb_lbfgs_free(&st);
  }
  tb_lbfgs bad;
  CU_ASSERT_EQUAL(tb_lbfgs_init(&bad, 0, 5, 0, 0), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_lbfgs_init(&bad, 4, 5, 5, 0), TB_ERR_INVALID);
}

/* Full-batch gradient descent in double on the standardised training rows: L2 with lambda = 1/(C n), bias free. */
static void reference_probs(const mfx *f, double Cpen, const uint32_t *rows, size_t n_eval, double *probs) {
  const tb_dataset *ds = f->ds;
  const int d = ds->n_cols, K = ds->n_classes;
  const size_t n = f->sp.n_train;
  double *W = calloc((size_t)(d + 1) * K, sizeof *W), *G = malloc((size_t)(d + 1) * K * sizeof *G), z[16];
  double lambda = 1.0 / (Cpen * (double)n);
  for (int it = 0; it < 6000; it++) {
    memset(G, 0, (size_t)(d + 1) * K * sizeof *G);
    for (size_t r = 0; r < n; r++) {
      const float *xr = ds->X + (size_t)f->sp.train[r] * d;
      double mx = -INFINITY, s = 0;
      for (int c = 0; c < K; c++) {
        z[c] = W[(size_t)d * K + c];
        for (int j = 0; j < d; j++) z[c] += xr[j] * W[(size_t)j * K + c];
        mx = fmax(mx, z[c]);
      }
      for (int c = 0; c < K; c++) s += (z[c] = exp(z[c] - mx));
      for (int c = 0; c < K; c++) {
        double gz = (z[c] / s - (c == ds->y_class[f->sp.train[r]])) / (double)n;
        for (int j = 0; j < d; j++) G[(size_t)j * K + c] += gz * xr[j];
        G[(size_t)d * K + c] += gz;
      }
    }
    for (size_t i = 0; i < (size_t)d * K; i++) G[i] += lambda * W[i];
    for (size_t i = 0; i < (size_t)(d + 1) * K; i++) W[i] -= 1.0 * G[i];
  }
  for (size_t r = 0; r < n_eval; r++) {
    const float *xr = ds->X + (size_t)rows[r] * d;
    double mx = -INFINITY, s = 0;
    for (int c = 0; c < K; c++) {
      z[c] = W[(size_t)d * K + c];
      for (int j = 0; j < d; j++) z[c] += xr[j] * W[(size_t)j * K + c];
      mx = fmax(mx, z[c]);
    }
    for (int c = 0; c < K; c++) s += (z[c] = exp(z[c] - mx));
    for (int c = 0; c < K; c++) probs[r * K + c] = z[c] / s;
  }
  free(W);
  free(G);
}

static void test_lbfgs_matches_reference(void) {
  mfx f;
  setup(&f, "gen:classification?n=400&d=5&informative=3&redundant=1&classes=3&clusters=1&class_sep=1&seed=4");
  tb_model *m = mfx_make(&f, (const char *[]){"C=0.5", "epochs=200", NULL}, 1);
  TB_CHECK_OK(tb_model_train(m, 200));
  size_t n = f.sp.n_valid;
  const int K = f.ds->n_classes;
  double *ref = malloc(n * K * sizeof *ref);
  reference_probs(&f, 0.5, f.sp.valid, n, ref);
  float *P = mfx_predict_rows(&f, m, f.sp.valid, n);
  double worst = 0;
  for (size_t i = 0; i < n * K; i++) worst = fmax(worst, fabs(P[i] - ref[i]));
  printf("\n  lbfgs vs double reference: max |p - p_ref| = %.2e (tolerance 2e-3)\n", worst);
  CU_ASSERT(worst < 2e-3);
  free(P);
  free(ref);
  tb_model_free(m);
  mfx_close(&f);
}

#define EASY "gen:classification?n=3000&d=20&informative=8&redundant=4&classes=3&clusters=1&class_sep=1.5&seed=3"

static void test_solvers_accuracy(void) {
  mfx f;
  setup(&f, EASY);
  const char *const *cfg[] = {
      (const char *[]){"solver=lbfgs", NULL},
      (const char *[]){"solver=sgd", "lr=0.05", "batch_size=64", NULL},
      (const char *[]){"solver=adam", "lr=0.01", "batch_size=128", NULL},
      (const char *[]){"solver=sgd", "penalty=elasticnet", "C=10", "l1_ratio=0.3", "lr=0.05", "momentum=0", NULL},
      (const char *[]){"solver=lbfgs", "penalty=none", NULL},
  };
  const int units[] = {30, 8, 8, 8, 30};
  for (int k = 0; k < 5; k++) {
    tb_model *m = mfx_make(&f, cfg[k], 5);
    TB_CHECK_OK(tb_model_train(m, units[k]));
    CU_ASSERT_EQUAL(tb_model_fidelity(m), units[k]);
    tb_metrics mt;
    TB_CHECK_OK(tb_model_evaluate(m, f.sp.valid, f.sp.n_valid, &mt));
    printf("\n  config %d: valid acc %.4f logloss %.4f", k, mt.accuracy, mt.logloss);
    CU_ASSERT(mt.accuracy > 0.8);
    CU_ASSERT(isnan(mt.rmse));
    CU_ASSERT_EQUAL(mt.n, f.sp.n_valid);
    /* evaluate agrees with predict (host double log-loss and accuracy from the probabilities) */
    float *P = mfx_predict_rows(&f, m, f.sp.valid, f.sp.n_valid);
    double ll = 0;
    size_t correct = 0;
    const int K = f.ds->n_classes;
    for (size_t r = 0; r < f.sp.n_valid; r++) {
      int y = f.ds->y_class[f.sp.valid[r]], best = 0;
      double s = 0;
      for (int c = 0; c < K; c++) {
        s += P[r * K + c];
        if (P[r * K + c] > P[r * K + best]) best = c;
      }
      CU_ASSERT_DOUBLE_EQUAL(s, 1.0, 1e-5);
      ll -= log(fmax(P[r * K + y], 1e-30));
      correct += best == y;
    }
    CU_ASSERT_DOUBLE_EQUAL(ll / (double)f.sp.n_valid, mt.logloss, 1e-3 * fmax(1.0, mt.logloss));
    CU_ASSERT(fabs((double)correct / (double)f.sp.n_valid - mt.accuracy) <= 2.0 / (double)f.sp.n_valid);
    free(P);
    tb_model_free(m);
  }
  mfx_close(&f);
}

static size_t count_zero_weights(const float *w, size_t n_w) {
  size_t z = 0;
  for (size_t i = 0; i < n_w; i++) z += w[i] == 0.0f;
  return z;
}
static double weight_norm(const float *w, size_t n_w) {
  double s = 0;
  for (size_t i = 0; i < n_w; i++) s += (double)w[i] * w[i];
  return sqrt(s);
}

static void test_penalties(void) {
  mfx f;
  setup(&f, "gen:classification?n=2000&d=30&informative=4&redundant=0&classes=3&clusters=1&class_sep=1.5&seed=5");
  const size_t n_w = (size_t)f.ds->n_cols * f.ds->n_classes;
  tb_model *l1 = mfx_make(&f, (const char *[]){"penalty=l1", "C=0.05", NULL}, 1);
  tb_model *l2 = mfx_make(&f, (const char *[]){"penalty=l2", "C=0.01", NULL}, 1);
  tb_model *l2w = mfx_make(&f, (const char *[]){"penalty=l2", "C=10", NULL}, 1);
  TB_CHECK_OK(tb_model_train(l1, 100));
  TB_CHECK_OK(tb_model_train(l2, 100));
  TB_CHECK_OK(tb_model_train(l2w, 100));
  float *w1 = weights(l1, 0, 10), *w2 = weights(l2, 0, 10), *w3 = weights(l2w, 0, 10);
  size_t z1 = count_zero_weights(w1, n_w), z2 = count_zero_weights(w2, n_w);
  printf("\n  zeros: L1 %zu / %zu, L2 %zu; |W| L2 C=0.01 %.3f, C=10 %.3f", z1, n_w, z2, weight_norm(w2, n_w),
         weight_norm(w3, n_w));
  CU_ASSERT(z1 >= n_w / 2); /* 26 of 30 features are noise */
  CU_ASSERT_EQUAL(z2, 0);
  CU_ASSERT(weight_norm(w2, n_w) < 0.5 * weight_norm(w3, n_w));
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(l1, f.sp.valid, f.sp.n_valid, &mt));
  CU_ASSERT(mt.accuracy > 0.8); /* sparse and still right */
  free(w1), free(w2), free(w3);
  tb_model_free(l1), tb_model_free(l2), tb_model_free(l2w);
  mfx_close(&f);
}

static void test_resume_and_determinism(void) {
  mfx f;
  setup(&f, EASY);
  const size_t n = f.sp.n_valid, K = (size_t)f.ds->n_classes;
  const char *sgd[] = {"solver=sgd", "lr=0.02", "batch_size=50", NULL};
  tb_model *a = mfx_make(&f, sgd, 7), *b = mfx_make(&f, sgd, 7), *c = mfx_make(&f, sgd, 8);
  TB_CHECK_OK(tb_model_train(a, 3));
  TB_CHECK_OK(tb_model_train(b, 1));
  TB_CHECK_OK(tb_model_train(b, 2));
  TB_CHECK_OK(tb_model_train(c, 3));
  float *pa = mfx_predict_rows(&f, a, f.sp.valid, n), *pb = mfx_predict_rows(&f, b, f.sp.valid, n);
  float *pc = mfx_predict_rows(&f, c, f.sp.valid, n);
  CU_ASSERT(memcmp(pa, pb, n * K * sizeof(float)) == 0); /* same seed, resumed: identical */
  CU_ASSERT(memcmp(pa, pc, n * K * sizeof(float)) != 0); /* another seed: another order */
  free(pa), free(pb), free(pc);
  tb_model_free(a), tb_model_free(b), tb_model_free(c);
  const char *owl[] = {"penalty=elasticnet", "C=0.2", NULL};
  a = mfx_make(&f, owl, 1), b = mfx_make(&f, owl, 2);
  TB_CHECK_OK(tb_model_train(a, 12));
  for (int i = 0; i < 4; i++) TB_CHECK_OK(tb_model_train(b, 3));
  pa = mfx_predict_rows(&f, a, f.sp.valid, n), pb = mfx_predict_rows(&f, b, f.sp.valid, n);
  CU_ASSERT(memcmp(pa, pb, n * K * sizeof(float)) == 0);
  free(pa), free(pb);
  tb_model_free(a), tb_model_free(b);
  mfx_close(&f);
}

static void test_fashion_mnist_subset(void) {
  tb_dataset *full = NULL, *sub = NULL;
  if (tb_data_load("fashion-mnist?part=train", &full) != TB_OK) {
    printf("\n  SKIPPED: Fashion-MNIST absent (%s)", tb_error_detail());
    return;
  }
  uint32_t *idx = malloc(12000 * sizeof *idx);
  for (uint32_t i = 0; i < 12000; i++) idx[i] = i;
  TB_CHECK_OK(tb_dataset_subset(full, idx, 12000, &sub));
  tb_dataset_free(full);
  free(idx);
  mfx f;
  setup_ds(&f, sub); /* 60/20/20: 7200 train rows */
  tb_model *m = mfx_make(&f, (const char *[]){"C=1", NULL}, 1);
  TB_CHECK_OK(tb_model_train(m, 25));
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, f.sp.valid, f.sp.n_valid, &mt));
  printf("\n  fashion-mnist 7200 train rows, 25 lbfgs iterations: valid acc %.4f logloss %.4f", mt.accuracy,
         mt.logloss);
  CU_ASSERT(mt.accuracy > 0.78 && mt.accuracy < 0.92);
  CU_ASSERT(mt.logloss < 0.65);
  tb_model_free(m);
  mfx_close(&f);
}

static void test_bad_configs(void) {
  mfx f;
  setup(&f, EASY);
  double x[16];
  char buf[256];
  tb_learner_defaults(f.L, f.space, x);
  CU_ASSERT_PTR_NULL(tb_learner_check(f.L, f.space, x, buf, sizeof buf));
  CU_ASSERT_EQUAL(tb_learner_set(f.L, f.space, x, "solver", "newton"), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "lbfgs, sgd, adam"));
  CU_ASSERT_EQUAL(tb_learner_set(f.L, f.space, x, "C", "0"), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_learner_set(f.L, f.space, x, "l1_ratio", "0.5"), TB_ERR_INVALID); /* penalty is l2 */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "elasticnet"));
  CU_ASSERT_EQUAL(tb_learner_set(f.L, f.space, x, "lr", "0.1"), TB_ERR_INVALID);       /* solver is lbfgs */
  CU_ASSERT_EQUAL(tb_learner_set(f.L, f.space, x, "epochs", "2.5"), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_learner_set(f.L, f.space, x, "gamma", "1"), TB_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "batch_size"));
  /* a hand-made configuration: inactive lr set, bad C */
  double y[16];
  memcpy(y, x, sizeof y);
  y[tb_space_find(f.space, "lr")] = 0.1;
  CU_ASSERT_PTR_NOT_NULL(tb_learner_check(f.L, f.space, y, buf, sizeof buf));
  tb_parts parts = {f.sp.train, f.sp.n_train, f.sp.valid, f.sp.n_valid};
  tb_model *m = NULL;
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, y, f.dd, &parts, 1, &m), TB_ERR_INVALID);
  memcpy(y, x, sizeof y);
  y[tb_space_find(f.space, "C")] = -1;
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, y, f.dd, &parts, 1, &m), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(m);
  mfx_close(&f);
  /* regression is not this learner's task */
  setup(&f, "gen:friedman1?n=200&seed=1");
  tb_learner_defaults(f.L, f.space, x);
  tb_parts rp = {f.sp.train, f.sp.n_train, NULL, 0};
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, f.dd, &rp, 1, &m), TB_ERR_UNSUPPORTED);
  CU_ASSERT(!tb_learner_supports(f.L, TB_TASK_REGRESSION));
  mfx_close(&f);
}

static const tb_test_case cases[] = {
    {"lbfgs_quadratic_l1", test_lbfgs_quadratic_l1},
    {"lbfgs_matches_reference", test_lbfgs_matches_reference},
    {"solvers_accuracy", test_solvers_accuracy},
    {"penalties", test_penalties},
    {"resume_and_determinism", test_resume_and_determinism},
    {"fashion_mnist_subset", test_fashion_mnist_subset},
    {"bad_configs", test_bad_configs},
    {NULL, NULL},
};
TB_TEST_MAIN("model_logreg", cases)
