/* test_ops_optim.c: the CPU backend's optimizer steps (kernels/cpu/optim.c) through tb_op_sgd_update and
 * tb_op_adam_update, against double-precision implementations of PyTorch's SGD (dampening 0) and Adam / AdamW
 * written here. K = 3 models with different hyperparameters are updated in one call over several steps with fresh
 * random gradients (fixed seeds). Also: momentum 0 without a velocity buffer, Nesterov differs from plain momentum,
 * l1 shrinks weights toward zero by lr*l1, AdamW differs from Adam with l2, 1 vs 2 threads give identical bits,
 * and bad hyperparameters are TB_ERR_INVALID and leave the weights alone.
 * Tolerance: |got - ref| <= 1e-5 + 4 FLT_EPSILON |ref| on W, V, M after every step (the float update rounds a few
 * times per step; over <= 6 steps the drift stays below 1e-6 for weights of order 1). */
#include <float.h>
#include <math.h>
#include <string.h>

#include "tb_backend.h"
#include "tb_test.h"

#define ATOL 1e-5
#define RTOL (4 * FLT_EPSILON)

static tb_backend *open_cpu(void) {
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  return be;
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static void frandv(float *x, size_t n, uint64_t seed, float lo, float hi) {
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)(rng_next(&seed) >> 40) / 16777216.0f;
}

static size_t mismatches(const char *what, size_t n, const float *got, const double *ref) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (!(fabs(got[i] - ref[i]) <= ATOL + RTOL * fabs(ref[i])) && bad++ < 5)
      printf("\n%s[%zu]: got %.9g want %.9g", what, i, got[i], ref[i]);
  return bad;
}

static double sgn(double w) { return (w > 0) - (w < 0); }

/* Device buffers for K models of n parameters: W, G, V (or M), V2, plus double references. */
typedef struct {
  tb_backend *be;
  tb_buf bw, bg, bm, bv;
  float *W, *G, *M, *V;
  double *rw, *rm, *rv;
  size_t total;
} state;

static void state_init(state *s, size_t total, uint64_t seed) {
  s->be = open_cpu();
  s->total = total;
  TB_CHECK_OK(tb_backend_alloc(s->be, total * 4, &s->bw));
  TB_CHECK_OK(tb_backend_alloc(s->be, total * 4, &s->bg));
  TB_CHECK_OK(tb_backend_alloc(s->be, total * 4, &s->bm));
  TB_CHECK_OK(tb_backend_alloc(s->be, total * 4, &s->bv));
  s->W = s->bw.data, s->G = s->bg.data, s->M = s->bm.data, s->V = s->bv.data;
  s->rw = calloc(total, sizeof(double)), s->rm = calloc(total, sizeof(double)), s->rv = calloc(total, sizeof(double));
  CU_ASSERT_FATAL(s->rw && s->rm && s->rv);
  frandv(s->W, total, seed, -1, 1);
  for (size_t i = 0; i < total; i++) { s->rw[i] = s->W[i]; s->M[i] = s->V[i] = 0; }
}

static void state_free(state *s) {
  tb_backend_release(s->be, &s->bw), tb_backend_release(s->be, &s->bg);
  tb_backend_release(s->be, &s->bm), tb_backend_release(s->be, &s->bv);
  free(s->rw), free(s->rm), free(s->rv);
  tb_backend_free(s->be);
}

/* PyTorch SGD for model k's block: g = G + l2 w + l1 sign(w); buf = mu buf + g;
 * w -= lr (nesterov ? g + mu buf : buf). */
static void sgd_ref(const tb_sgd_hparams *h, size_t n, double *w, const float *G, double *v) {
  for (size_t i = 0; i < n; i++) {
    double g = G[i] + h->l2 * w[i] + h->l1 * sgn(w[i]), step = g;
    if (h->momentum != 0) {
      v[i] = h->momentum * v[i] + g;
      step = h->nesterov ? g + h->momentum * v[i] : v[i];
    }
    w[i] -= h->lr * step;
  }
}

static void sgd_steps(size_t n, uint64_t seed) {
  enum { K = 3, STEPS = 5 };
  const tb_sgd_hparams hp[K] = {
      {0.1f, 0.0f, 0, 0.0f, 0.0f}, {0.05f, 0.9f, 0, 1e-3f, 1e-2f}, {0.02f, 0.8f, 1, 0.0f, 5e-3f}};
  state s;
  state_init(&s, K * n, seed);
  for (int t = 0; t < STEPS; t++) {
    frandv(s.G, K * n, seed + 1 + t, -1, 1);
    TB_CHECK_OK(tb_op_sgd_update(s.be, K, n, s.W, s.G, s.V, hp));
    for (int k = 0; k < K; k++) sgd_ref(&hp[k], n, s.rw + k * n, s.G + k * n, s.rv + k * n);
    CU_ASSERT_EQUAL(mismatches("sgd W", K * n, s.W, s.rw), 0);
    CU_ASSERT_EQUAL(mismatches("sgd V", (K - 1) * n, s.V + n, s.rv + n), 0); /* model 0 has no momentum */
  }
  state_free(&s);
}

static void test_sgd_reference(void) {
  sgd_steps(1000, 10);
  sgd_steps(40000, 20); /* parallel path */
}

/* Momentum 0 everywhere: V may be NULL; Nesterov and plain momentum give different weights after two steps. */
static void test_sgd_variants(void) {
  enum { N = 500 };
  state s;
  state_init(&s, 2 * N, 30);
  const tb_sgd_hparams plain[2] = {{0.1f, 0, 0, 0, 0}, {0.3f, 0, 0, 0, 0.1f}};
  frandv(s.G, 2 * N, 31, -1, 1);
  TB_CHECK_OK(tb_op_sgd_update(s.be, 2, N, s.W, s.G, NULL, plain));
  for (int k = 0; k < 2; k++) sgd_ref(&plain[k], N, s.rw + k * N, s.G + k * N, s.rv + k * N);
  CU_ASSERT_EQUAL(mismatches("sgd no-momentum W", 2 * N, s.W, s.rw), 0);
  /* same start, same gradients, nesterov on model 1 only */
  const tb_sgd_hparams mom[2] = {{0.1f, 0.9f, 0, 0, 0}, {0.1f, 0.9f, 1, 0, 0}};
  memcpy(s.W + N, s.W, N * 4);
  for (int t = 0; t < 2; t++) {
    frandv(s.G, N, 32 + t, -1, 1);
    memcpy(s.G + N, s.G, N * 4);
    TB_CHECK_OK(tb_op_sgd_update(s.be, 2, N, s.W, s.G, s.V, mom));
  }
  int differ = 0;
  for (int i = 0; i < N; i++) differ += fabsf(s.W[i] - s.W[N + i]) > 1e-3f;
  CU_ASSERT(differ > N / 2);
  state_free(&s);
}

/* With zero gradient, l1 = 0.1 and lr = 0.1, every weight with |w| > 0.01 moves exactly 0.01 toward zero. */
static void test_sgd_l1_shrinks(void) {
  enum { N = 2000 };
  state s;
  state_init(&s, N, 40);
  const tb_sgd_hparams hp = {0.1f, 0, 0, 0.1f, 0};
  memset(s.G, 0, N * 4);
  double before = 0, after = 0;
  for (int i = 0; i < N; i++) before += fabs(s.rw[i]);
  TB_CHECK_OK(tb_op_sgd_update(s.be, 1, N, s.W, s.G, NULL, &hp));
  int bad = 0;
  for (int i = 0; i < N; i++) {
    after += fabsf(s.W[i]);
    if (fabs(s.rw[i]) > 0.01) bad += !(fabs(fabs(s.W[i]) - (fabs(s.rw[i]) - 0.01)) <= 1e-6);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(after < before - 0.009 * N);
  state_free(&s);
}

/* PyTorch Adam / AdamW for model k's block at step t. */
static void adam_ref(const tb_adam_hparams *h, size_t n, double *w, const float *G, double *m, double *v) {
  double bc1 = 1 - pow(h->beta1, (double)h->step), bc2 = 1 - pow(h->beta2, (double)h->step);
  for (size_t i = 0; i < n; i++) {
    w[i] *= 1 - (double)h->lr * h->weight_decay;
    double g = G[i] + h->l2 * w[i] + h->l1 * sgn(w[i]);
    m[i] = h->beta1 * m[i] + (1 - (double)h->beta1) * g;
    v[i] = h->beta2 * v[i] + (1 - (double)h->beta2) * g * g;
    w[i] -= h->lr / bc1 * m[i] / (sqrt(v[i]) / sqrt(bc2) + h->eps);
  }
}

/* K = 3 models (Adam, AdamW, Adam with l1 + l2), each at its own step count, over 6 steps; also identical bits
 * with 1 and 2 threads. */
static void adam_steps(size_t n, uint64_t seed) {
  enum { K = 3, STEPS = 6 };
  tb_adam_hparams hp[K] = {{1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, 0.0f, 0},
                           {5e-3f, 0.8f, 0.99f, 1e-6f, 0.1f, 0.0f, 0.0f, 0},
                           {2e-2f, 0.95f, 0.9995f, 1e-8f, 0.0f, 1e-3f, 1e-2f, 0}};
  state s;
  state_init(&s, K * n, seed);
  for (int t = 1; t <= STEPS; t++) {
    frandv(s.G, K * n, seed + t, -1, 1);
    for (int k = 0; k < K; k++) hp[k].step = t + 3 * k;
    TB_CHECK_OK(tb_op_adam_update(s.be, K, n, s.W, s.G, s.M, s.V, hp));
    for (int k = 0; k < K; k++) adam_ref(&hp[k], n, s.rw + k * n, s.G + k * n, s.rm + k * n, s.rv + k * n);
    CU_ASSERT_EQUAL(mismatches("adam W", K * n, s.W, s.rw), 0);
    CU_ASSERT_EQUAL(mismatches("adam M", K * n, s.M, s.rm), 0);
    CU_ASSERT_EQUAL(mismatches("adam V", K * n, s.V, s.rv), 0);
  }
  /* one more step from the same state with 1 and with 2 threads */
  size_t bytes = K * n * 4;
  float *save = malloc(3 * bytes), *w1 = malloc(bytes);
  CU_ASSERT_FATAL(save && w1);
  memcpy(save, s.W, bytes), memcpy(save + K * n, s.M, bytes), memcpy(save + 2 * K * n, s.V, bytes);
  tb_backend_set_threads(s.be, 1);
  TB_CHECK_OK(tb_op_adam_update(s.be, K, n, s.W, s.G, s.M, s.V, hp));
  memcpy(w1, s.W, bytes);
  memcpy(s.W, save, bytes), memcpy(s.M, save + K * n, bytes), memcpy(s.V, save + 2 * K * n, bytes);
  tb_backend_set_threads(s.be, 2);
  TB_CHECK_OK(tb_op_adam_update(s.be, K, n, s.W, s.G, s.M, s.V, hp));
  CU_ASSERT_EQUAL(memcmp(w1, s.W, bytes), 0);
  free(save), free(w1);
  state_free(&s);
}

static void test_adam_reference(void) {
  adam_steps(1000, 50);
  adam_steps(40000, 60); /* parallel path */
}

/* Decoupled weight decay (AdamW, wd = 0.1) and coupled l2 = 0.1 from the same start and gradients differ. */
static void test_adamw_vs_l2(void) {
  enum { N = 500 };
  state s;
  state_init(&s, 2 * N, 70);
  tb_adam_hparams hp[2] = {{0.05f, 0.9f, 0.999f, 1e-8f, 0.1f, 0, 0, 0}, {0.05f, 0.9f, 0.999f, 1e-8f, 0, 0, 0.1f, 0}};
  memcpy(s.W + N, s.W, N * 4);
  for (int t = 1; t <= 3; t++) {
    frandv(s.G, N, 71 + t, -1, 1);
    memcpy(s.G + N, s.G, N * 4);
    hp[0].step = hp[1].step = t;
    TB_CHECK_OK(tb_op_adam_update(s.be, 2, N, s.W, s.G, s.M, s.V, hp));
  }
  int differ = 0;
  for (int i = 0; i < N; i++) differ += fabsf(s.W[i] - s.W[N + i]) > 1e-4f;
  CU_ASSERT(differ > N / 2);
  state_free(&s);
}

/* Out-of-range hyperparameters (checked for every model) and NULL buffers: TB_ERR_INVALID, weights untouched. */
static void test_bad_input(void) {
  tb_backend *be = open_cpu();
  float W[4] = {1, -2, 3, -4}, G[4] = {0.5f, 0.5f, 0.5f, 0.5f}, M[4] = {0}, V[4] = {0};
  const tb_sgd_hparams ok = {0.1f, 0.5f, 0, 0, 0};
  tb_sgd_hparams sgd_bad[5] = {ok, ok, ok, ok, ok};
  sgd_bad[0].lr = -1, sgd_bad[1].momentum = 1, sgd_bad[2].momentum = -0.1f, sgd_bad[3].l1 = -1, sgd_bad[4].l2 = -1;
  for (int t = 0; t < 5; t++) {
    tb_sgd_hparams two[2] = {ok, sgd_bad[t]}; /* the bad model is the second one */
    CU_ASSERT_EQUAL(tb_op_sgd_update(be, 2, 2, W, G, V, two), TB_ERR_INVALID);
  }
  CU_ASSERT_EQUAL(tb_op_sgd_update(be, 1, 4, W, G, NULL, &ok), TB_ERR_INVALID); /* momentum without V */
  CU_ASSERT_EQUAL(tb_op_sgd_update(be, -1, 4, W, G, V, &ok), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_sgd_update(be, 1, 4, NULL, G, V, &ok), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_sgd_update(be, 1, 4, W, G, V, NULL), TB_ERR_INVALID);
  const tb_adam_hparams aok = {1e-3f, 0.9f, 0.999f, 1e-8f, 0, 0, 0, 1};
  tb_adam_hparams adam_bad[7] = {aok, aok, aok, aok, aok, aok, aok};
  adam_bad[0].eps = 0, adam_bad[1].beta1 = 1, adam_bad[2].beta2 = -0.5f, adam_bad[3].step = 0;
  adam_bad[4].lr = -1e-3f, adam_bad[5].weight_decay = -1, adam_bad[6].l1 = -1;
  for (int t = 0; t < 7; t++) {
    tb_adam_hparams two[2] = {aok, adam_bad[t]};
    CU_ASSERT_EQUAL(tb_op_adam_update(be, 2, 2, W, G, M, V, two), TB_ERR_INVALID);
  }
  CU_ASSERT_EQUAL(tb_op_adam_update(be, 1, 4, W, G, NULL, V, &aok), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_adam_update(be, -2, 4, W, G, M, V, &aok), TB_ERR_INVALID);
  CU_ASSERT(W[0] == 1 && W[1] == -2 && W[2] == 3 && W[3] == -4);
  CU_ASSERT(M[0] == 0 && V[0] == 0 && V[3] == 0);
  TB_CHECK_OK(tb_op_adam_update(be, 1, 0, W, G, M, V, &aok)); /* n = 0: nothing to do */
  tb_backend_free(be);
}

static const tb_test_case cases[] = {
    {"sgd_reference", test_sgd_reference},
    {"sgd_variants", test_sgd_variants},
    {"sgd_l1_shrinks", test_sgd_l1_shrinks},
    {"adam_reference", test_adam_reference},
    {"adamw_vs_l2", test_adamw_vs_l2},
    {"bad_input", test_bad_input},
    {NULL, NULL},
};
TB_TEST_MAIN("ops_optim", cases)
