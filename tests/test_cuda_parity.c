/* test_cuda_parity.c: the CUDA backend against the CPU backend, op by op. Each test body takes the two backends
 * (ref = CPU, dev = CUDA), draws random inputs from a fixed seed (never zeros), runs the op on both, poisons every
 * output buffer with 0xFF bytes (NaN) first and compares with the tolerances of /work/shared/CONVENTIONS.md:
 * fp32 elementwise |dev-ref| <= 1e-5 + |ref|*4*FLT_EPSILON, GEMM by relative (Frobenius) error <= 1e-5, NaN/Inf
 * positions equal; integer outputs, histograms, split results, partitions and the ordered sums exactly (the CUDA
 * code claims bit-identity there), histograms also over 16 repeated runs. Also: device OOM recovery, budgets,
 * device resolution. Without a CUDA build or GPU the program exits 77 (CTest: skipped).
 * `test_cuda_parity --bench` prints GEMM TFLOP/s (tb_op_gemm vs raw cuBLAS) and histogram GB/s vs a D2D copy;
 * `test_cuda_parity --self` runs the op bodies CPU against CPU (checks the test itself where there is no GPU).
 * The softmax and tree-statistics bodies cover tb_op_softmax, tb_op_tree_grad_stats (gradients within 1 fixed-point
 * unit: exp() may differ in the last ulp) and tb_op_class_count_stats / tb_op_value_count_stats (exact). Split
 * gains are compared bit for bit for every criterion, entropy included (its log is tb_split_log: + - * / only).
 * The timer case is skipped when TB_UNDER_SANITIZER is set (scripts/gpu-check's compute-sanitizer runs). More CUDA
 * regressions (wide split_find, two contexts on two threads, device waits) are in test_cuda_devices.c. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb_backend.h"
#include "tb_rng.h"
#include "tb_test.h"

#define SEED 20240611u
static tb_backend *g_ref, *g_dev;
static uint64_t g_ctr; /* position in the Philox stream of SEED: every draw is new */

static float urand(float lo, float hi) { return lo + (hi - lo) * tb_rng_uniform(SEED, g_ctr++); }
static float *rand_f32(size_t n, float lo, float hi) {
  float *x = malloc(n * sizeof *x);
  CU_ASSERT_PTR_NOT_NULL_FATAL(x);
  for (size_t i = 0; i < n; i++) x[i] = urand(lo, hi);
  return x;
}
static uint32_t urand_u32(uint32_t n) { return (uint32_t)(tb_rng_uniform_double(SEED, g_ctr++) * n); }

/* seg segments of [0, rows): 2 seg sorted random cuts make 2 seg slices; segment k is slice 2 ((mul k + add) mod seg)
 * (every other slice is a gap), so the segments come in a shuffled order with gaps between them. seg <= 16. */
static void random_segments(int seg, uint32_t rows, int mul, int add, uint32_t *begin, uint32_t *count) {
  uint32_t cut[32];
  for (int k = 0; k < 2 * seg; k++) cut[k] = urand_u32(rows + 1);
  for (int k = 1; k < 2 * seg; k++)
    for (int q = k; q > 0 && cut[q - 1] > cut[q]; q--) {
      uint32_t t = cut[q];
      cut[q] = cut[q - 1], cut[q - 1] = t;
    }
  for (int k = 0; k < seg; k++) {
    int s = (mul * k + add) % seg;
    begin[k] = cut[2 * s], count[k] = cut[2 * s + 1] - cut[2 * s];
  }
}

/* ---- one buffer mirrored on both backends --------------------------------------------------------------- */
typedef struct {
  tb_buf r, d;
  size_t bytes;
} mirror;

/* Allocates `bytes` on both backends and uploads `init`; init NULL poisons both with 0xFF bytes (NaN floats). */
static mirror mnew(size_t bytes, const void *init) {
  mirror m = {{0}, {0}, bytes};
  void *poison = NULL;
  if (!init) {
    poison = malloc(bytes ? bytes : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(poison);
    memset(poison, 0xFF, bytes);
    init = poison;
  }
  TB_CHECK_OK(tb_backend_alloc(g_ref, bytes, &m.r));
  TB_CHECK_OK(tb_backend_alloc(g_dev, bytes, &m.d));
  TB_CHECK_OK(tb_backend_upload(g_ref, m.r.data, init, bytes));
  TB_CHECK_OK(tb_backend_upload(g_dev, m.d.data, init, bytes));
  free(poison);
  return m;
}
static void mpoison(mirror *m) {
  void *p = malloc(m->bytes);
  memset(p, 0xFF, m->bytes);
  TB_CHECK_OK(tb_backend_upload(g_ref, m->r.data, p, m->bytes));
  TB_CHECK_OK(tb_backend_upload(g_dev, m->d.data, p, m->bytes));
  free(p);
}
/* Downloads both copies into new host arrays (*ref, *dev). */
static void mget(const mirror *m, void **ref, void **dev) {
  *ref = malloc(m->bytes);
  *dev = malloc(m->bytes);
  TB_CHECK_OK(tb_backend_download(g_ref, *ref, m->r.data, m->bytes));
  TB_CHECK_OK(tb_backend_download(g_dev, *dev, m->d.data, m->bytes));
}
static void mfree(mirror *m) {
  tb_backend_release(g_ref, &m->r);
  tb_backend_release(g_dev, &m->d);
}

/* ---- comparisons (print the first mismatches) ------------------------------------------------------------ */
static int cmp_f32(const char *what, const float *r, const float *d, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, &d[i], 4);
    double tol = 1e-5 + fabs(r[i]) * 4 * FLT_EPSILON;
    int ok = isnan(r[i]) ? isnan(d[i]) : isinf(r[i]) ? d[i] == r[i] : !isnan(d[i]) && fabs((double)d[i] - r[i]) <= tol;
    if (!ok && bad++ < 5)
      fprintf(stderr, "\n  %s[%zu]: cpu %.9g cuda %.9g%s", what, i, r[i], d[i],
              bits == 0xFFFFFFFFu ? " (never written)" : "");
  }
  if (bad) fprintf(stderr, "\n  %s: %zu of %zu elements differ\n", what, bad, n);
  return bad == 0;
}

/* Relative Frobenius error <= tol, and NaN/Inf in the same places. */
static int cmp_rel(const char *what, const float *r, const float *d, size_t n, double tol) {
  double num = 0, den = 0;
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(r[i]) || !isfinite(d[i])) {
      int same = isnan(r[i]) ? isnan(d[i]) : d[i] == r[i];
      if (!same && bad++ < 5) fprintf(stderr, "\n  %s[%zu]: cpu %g cuda %g", what, i, r[i], d[i]);
      continue;
    }
    num += ((double)d[i] - r[i]) * ((double)d[i] - r[i]);
    den += (double)r[i] * r[i];
  }
  double rel = den > 0 ? sqrt(num / den) : sqrt(num);
  if (rel > tol) fprintf(stderr, "\n  %s: relative error %.3g > %.1g\n", what, rel, tol);
  return bad == 0 && rel <= tol;
}

/* Bit-exact comparison of n elements of `size` bytes. */
static int cmp_exact(const char *what, const void *r, const void *d, size_t n, size_t size) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    if (memcmp((const char *)r + i * size, (const char *)d + i * size, size) && bad++ < 5) {
      long long a = 0, b = 0;
      memcpy(&a, (const char *)r + i * size, size < 8 ? size : 8);
      memcpy(&b, (const char *)d + i * size, size < 8 ? size : 8);
      fprintf(stderr, "\n  %s[%zu]: cpu %lld cuda %lld (raw bits)", what, i, a, b);
    }
  if (bad) fprintf(stderr, "\n  %s: %zu of %zu elements differ\n", what, bad, n);
  return bad == 0;
}

/* Downloads a mirrored float output and compares it elementwise. */
static void check_f32(const char *what, const mirror *m) {
  float *r, *d;
  mget(m, (void **)&r, (void **)&d);
  CU_ASSERT(cmp_f32(what, r, d, m->bytes / 4));
  free(r);
  free(d);
}
static void check_exact(const char *what, const mirror *m, size_t size) {
  void *r, *d;
  mget(m, &r, &d);
  CU_ASSERT(cmp_exact(what, r, d, m->bytes / size, size));
  free(r);
  free(d);
}

/* Runs `call` on both backends: `be` is the backend, X(m) its side of mirror m. */
#define BOTH(call)                 \
  do {                             \
    for (int side_ = 0; side_ < 2; side_++) { \
      tb_backend *be = side_ ? g_dev : g_ref; \
      (void)be;                    \
      TB_CHECK_OK(call);           \
    }                              \
  } while (0)
#define X(m) (side_ ? (m).d.data : (m).r.data)

/* ---- dense ------------------------------------------------------------------------------------------------- */
static void body_gemm(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int M = 67, N = 45, Kd = 131, batch = 3;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int bz = 0; bz < 2; bz++) { /* beta = 0.3 with random C, then beta = 0 with a NaN-poisoned C */
        int lda = (ta ? M : Kd) + 3, ldb = (tb ? Kd : N) + 5, ldc = N + 7;
        long long sa = (long long)lda * (ta ? Kd : M) + 11, sb = (long long)ldb * (tb ? N : Kd) + 13;
        long long sc = (long long)ldc * M + 17;
        float *a = rand_f32((size_t)sa * batch, -1, 1), *b = rand_f32((size_t)sb * batch, -1, 1);
        float *c = rand_f32((size_t)sc * batch, -1, 1);
        mirror A = mnew((size_t)sa * batch * 4, a), B = mnew((size_t)sb * batch * 4, b);
        mirror C = mnew((size_t)sc * batch * 4, bz ? NULL : c);
        float beta = bz ? 0.0f : 0.3f;
        BOTH(tb_op_gemm_batched(be, ta, tb, M, N, Kd, 0.7f, X(A), lda, sa, X(B), ldb, sb, beta, X(C), ldc, sc, batch));
        float *r, *d;
        mget(&C, (void **)&r, (void **)&d);
        for (int q = 0; q < batch; q++) /* only the M x N blocks are written; compare those rows */
          for (int i = 0; i < M; i++) {
            size_t o = (size_t)q * sc + (size_t)i * ldc;
            CU_ASSERT(cmp_rel("gemm row", r + o, d + o, N, 1e-5));
          }
        free(r), free(d);
        BOTH(tb_op_gemm(be, ta, tb, M, N, Kd, 1.0f, X(A), lda, X(B), ldb, 0.0f, X(C), ldc)); /* single */
        mget(&C, (void **)&r, (void **)&d);
        CU_ASSERT(cmp_rel("gemm", r, d, (size_t)M * ldc, 1e-5));
        free(r), free(d);
        mfree(&A), mfree(&B), mfree(&C);
        free(a), free(b), free(c);
      }
  /* K = 0: C = beta C */
  float *c = rand_f32(12, -1, 1);
  mirror C = mnew(48, c);
  BOTH(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 3, 4, 0, 1.0f, NULL, 1, NULL, 4, 0.5f, X(C), 4));
  check_f32("gemm K=0", &C);
  mfree(&C);
  free(c);
}

static void body_bias_colsum(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int K = 3, rows = 301, cols = 53;
  size_t n = (size_t)K * rows * cols;
  float *x = rand_f32(n, -2, 2), *b = rand_f32((size_t)K * cols, -1, 1), *y = rand_f32((size_t)K * cols, -1, 1);
  mirror Xm = mnew(n * 4, x), Bm = mnew((size_t)K * cols * 4, b), Y0 = mnew((size_t)K * cols * 4, NULL);
  mirror Y1 = mnew((size_t)K * cols * 4, y);
  BOTH(tb_op_bias_add(be, K, rows, cols, X(Xm), X(Bm)));
  check_f32("bias_add", &Xm);
  BOTH(tb_op_col_sum(be, K, rows, cols, X(Xm), 0.0f, X(Y0))); /* beta 0 over NaN poison */
  check_exact("col_sum beta=0", &Y0, 4);                     /* same in-order double sum: bit-identical */
  BOTH(tb_op_col_sum(be, K, rows, cols, X(Xm), 0.5f, X(Y1)));
  check_exact("col_sum beta=0.5", &Y1, 4);
  mfree(&Xm), mfree(&Bm), mfree(&Y0), mfree(&Y1);
  free(x), free(b), free(y);
}

static void body_act_mul(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const size_t n = 20011;
  float *x = rand_f32(n, -6, 6), *g = rand_f32(n, -1, 1);
  x[5] = NAN, x[6] = INFINITY, x[7] = -INFINITY, x[8] = 0.0f, x[9] = -0.0f, x[10] = 1e-30f;
  mirror Xm = mnew(n * 4, x), G = mnew(n * 4, g), Y = mnew(n * 4, NULL), D = mnew(n * 4, NULL);
  static const char *names[] = {"identity", "relu", "tanh", "sigmoid"};
  for (int a = TB_ACT_IDENTITY; a <= TB_ACT_SIGMOID; a++) {
    char what[64];
    mpoison(&Y), mpoison(&D);
    BOTH(tb_op_act_forward(be, (tb_act)a, n, X(Xm), X(Y)));
    snprintf(what, sizeof what, "act_forward %s", names[a]);
    check_f32(what, &Y);
    BOTH(tb_op_act_backward(be, (tb_act)a, n, X(Y), X(G), X(D)));
    snprintf(what, sizeof what, "act_backward %s", names[a]);
    check_f32(what, &D);
  }
  BOTH(tb_op_act_forward(be, TB_ACT_TANH, n, X(Y), X(Y))); /* in place */
  check_f32("act_forward in place", &Y);
  BOTH(tb_op_mul(be, n, X(Xm), X(G), X(D)));
  check_f32("mul", &D);
  mfree(&Xm), mfree(&G), mfree(&Y), mfree(&D);
  free(x), free(g);
}

static void body_random(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int K = 3;
  const size_t n = 10007;
  mirror U = mnew(n * 4, NULL), Nm = mnew(n * 4, NULL);
  BOTH(tb_op_rng_uniform(be, n, 77, 123456789012ull, -0.5f, 2.0f, X(U)));
  check_exact("rng_uniform", &U, 4);
  BOTH(tb_op_rng_normal(be, n, 78, 5, 1.5f, 0.25f, X(Nm)));
  check_f32("rng_normal", &Nm);
  float p[3] = {0.0f, 0.3f, 1.0f};
  float *x = rand_f32((size_t)K * n, -1, 1);
  mirror Xm = mnew((size_t)K * n * 4, x), Y = mnew((size_t)K * n * 4, NULL), Mk = mnew((size_t)K * n * 4, NULL);
  BOTH(tb_op_dropout_forward(be, K, n, p, 99, 1000, X(Xm), X(Y), X(Mk)));
  check_exact("dropout Y", &Y, 4);
  check_exact("dropout mask", &Mk, 4);
  mfree(&U), mfree(&Nm), mfree(&Xm), mfree(&Y), mfree(&Mk);
  free(x);
}

static void body_losses(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int K = 2, rows = 129;
  const int class_counts[2] = {10, 300}; /* fewer and more classes than a warp has lanes */
  for (int t = 0; t < 2; t++) {
    int classes = class_counts[t];
    size_t n = (size_t)K * rows * classes;
    float *z = rand_f32(n, -8, 8);
    z[3] = 1e4f; /* large logit: no overflow */
    int32_t *lab = malloc(rows * sizeof *lab);
    for (int i = 0; i < rows; i++) lab[i] = (int32_t)urand_u32(classes);
    lab[7] = classes; /* out of range: NaN row on both */
    mirror Z = mnew(n * 4, z), L = mnew((size_t)rows * 4, lab), loss = mnew((size_t)K * rows * 4, NULL);
    mirror dz = mnew(n * 4, NULL);
    BOTH(tb_op_softmax_xent(be, K, rows, classes, X(Z), X(L), 0.25f, X(loss), X(dz)));
    check_f32("softmax_xent loss", &loss);
    check_f32("softmax_xent dlogits", &dz);
    BOTH(tb_op_softmax_xent(be, K, rows, classes, X(Z), X(L), 1.0f, NULL, X(Z))); /* dlogits aliases logits */
    check_f32("softmax_xent in place", &Z);
    mfree(&Z), mfree(&L), mfree(&loss), mfree(&dz);
    free(z), free(lab);
  }
  const int cols = 7;
  size_t n = (size_t)K * rows * cols;
  float *p = rand_f32(n, -3, 3), *tg = rand_f32((size_t)rows * cols, -3, 3);
  mirror P = mnew(n * 4, p), T = mnew((size_t)rows * cols * 4, tg), loss = mnew((size_t)K * rows * 4, NULL);
  mirror dp = mnew(n * 4, NULL);
  BOTH(tb_op_sq_err(be, K, rows, cols, X(P), X(T), 0.5f, X(loss), X(dp)));
  check_exact("sq_err loss", &loss, 4);
  check_exact("sq_err dpred", &dp, 4);
  mfree(&P), mfree(&T), mfree(&loss), mfree(&dp);
  free(p), free(tg);
}

static void body_reductions(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int K = 3;
  const size_t n = 3 * 4096 + 1001; /* several blocks of the ordered sum, the last one partial */
  float *x = rand_f32((size_t)K * n, -1, 3);
  mirror Xm = mnew((size_t)K * n * 4, x);
  double sr[3], sd[3], first[3];
  TB_CHECK_OK(tb_op_sum(g_ref, K, n, Xm.r.data, sr));
  for (int rep = 0; rep < 16; rep++) {
    TB_CHECK_OK(tb_op_sum(g_dev, K, n, Xm.d.data, sd));
    if (rep == 0) memcpy(first, sd, sizeof sd);
    CU_ASSERT(memcmp(first, sd, sizeof sd) == 0);
  }
  CU_ASSERT(cmp_exact("sum", sr, sd, K, sizeof(double)));
  /* argmax and accuracy: ties, a NaN row, a NaN after the max */
  const int rows = 203, classes = 37;
  float *z = rand_f32((size_t)K * rows * classes, -1, 1);
  for (int j = 0; j < classes; j++) z[classes * 2 + j] = 0.5f; /* row 2: all tied -> 0 */
  z[classes * 3 + 30] = 2.0f, z[classes * 3 + 31] = 2.0f;      /* row 3: tie -> 30 */
  z[classes * 4 + 17] = NAN;                                   /* row 4: first NaN wins */
  z[classes * 5 + 33] = NAN, z[classes * 5 + 35] = NAN;
  int32_t *lab = malloc(rows * sizeof *lab);
  for (int i = 0; i < rows; i++) lab[i] = (int32_t)urand_u32(classes);
  mirror Z = mnew((size_t)K * rows * classes * 4, z), L = mnew((size_t)rows * 4, lab);
  mirror I = mnew((size_t)K * rows * 4, NULL);
  BOTH(tb_op_argmax(be, K * rows, classes, X(Z), X(I)));
  check_exact("argmax", &I, 4);
  int64_t cr[3], cd[3];
  TB_CHECK_OK(tb_op_accuracy(g_ref, K, rows, classes, Z.r.data, L.r.data, cr));
  TB_CHECK_OK(tb_op_accuracy(g_dev, K, rows, classes, Z.d.data, L.d.data, cd));
  CU_ASSERT(cmp_exact("accuracy", cr, cd, K, 8));
  mfree(&Xm), mfree(&Z), mfree(&L), mfree(&I);
  free(x), free(z), free(lab);
}

static void body_gather_copy(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const size_t n_src = 500, n_idx = 777;
  const int cols = 19;
  float *src = rand_f32(n_src * cols, -1, 1);
  uint32_t *idx = malloc(n_idx * 4);
  int32_t *lab = malloc(n_src * 4);
  for (size_t i = 0; i < n_idx; i++) idx[i] = urand_u32(n_src);
  for (size_t i = 0; i < n_src; i++) lab[i] = (int32_t)urand_u32(1000) - 500;
  mirror S = mnew(n_src * cols * 4, src), I = mnew(n_idx * 4, idx), Lb = mnew(n_src * 4, lab);
  mirror D = mnew(n_idx * cols * 4, NULL), Di = mnew(n_idx * 4, NULL);
  BOTH(tb_op_gather_rows(be, n_idx, cols, X(S), X(I), X(D)));
  check_exact("gather_rows", &D, 4);
  BOTH(tb_op_gather_i32(be, n_idx, X(Lb), X(I), X(Di)));
  check_exact("gather_i32", &Di, 4);
  /* fill, overlapping copy (memmove semantics), upload/download round trip */
  BOTH(tb_op_fill(be, 1000, -3.25f, X(D)));
  BOTH(tb_backend_copy(be, (float *)X(S) + 100, X(S), 3000 * 4));
  BOTH(tb_backend_copy(be, X(S), (float *)X(S) + 50, 3000 * 4));
  check_exact("fill", &D, 4);
  check_exact("copy (overlapping)", &S, 4);
  mfree(&S), mfree(&I), mfree(&Lb), mfree(&D), mfree(&Di);
  free(src), free(idx), free(lab);
}

/* ---- optimizers: several steps, K models with different hyperparameters ---------------------------------- */
static void body_optim(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int K = 3;
  const size_t n = 5003;
  float *w = rand_f32(K * n, -1, 1), *v = rand_f32(K * n, -0.1f, 0.1f), *g = rand_f32(K * n, -1, 1);
  for (int i = 0; i < 10; i++) w[i * 17] = 0.0f; /* sign(0) */
  mirror W = mnew(K * n * 4, w), V = mnew(K * n * 4, v), G = mnew(K * n * 4, g), M = mnew(K * n * 4, v);
  tb_sgd_hparams sgd[3] = {{0.1f, 0.0f, 0, 0.0f, 0.0f}, {0.05f, 0.9f, 0, 1e-3f, 1e-2f}, {0.02f, 0.8f, 1, 0, 1e-4f}};
  for (int step = 0; step < 5; step++) BOTH(tb_op_sgd_update(be, K, n, X(W), X(G), X(V), sgd));
  check_f32("sgd W", &W);
  check_f32("sgd V", &V);
  tb_sgd_hparams plain = {0.1f, 0.0f, 0, 0.01f, 0.0f};
  BOTH(tb_op_sgd_update(be, 1, n, X(W), X(G), NULL, &plain)); /* no velocity buffer */
  check_f32("sgd W (no V)", &W);
  float *va = rand_f32(K * n, 0.0f, 0.01f);
  TB_CHECK_OK(tb_backend_upload(g_ref, V.r.data, va, V.bytes));
  TB_CHECK_OK(tb_backend_upload(g_dev, V.d.data, va, V.bytes));
  free(va);
  tb_adam_hparams adam[3] = {{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 0.0f, 0.0f, 1},
                             {3e-3f, 0.8f, 0.99f, 1e-6f, 0.01f, 0.0f, 0.0f, 1},
                             {1e-2f, 0.95f, 0.9999f, 1e-8f, 0.0f, 1e-4f, 1e-3f, 1}};
  for (int step = 1; step <= 5; step++) {
    for (int k = 0; k < K; k++) adam[k].step = step;
    BOTH(tb_op_adam_update(be, K, n, X(W), X(G), X(M), X(V), adam));
  }
  check_f32("adam W", &W);
  check_f32("adam M", &M);
  check_f32("adam V", &V);
  mfree(&W), mfree(&V), mfree(&G), mfree(&M);
  free(w), free(v), free(g);
}

/* ---- trees ------------------------------------------------------------------------------------------------- */
enum { T_ROWS = 3001, T_COLS = 9 };

/* Random data with NaN, +inf and a duplicated feature (3 = 1: equal gains, ties go to feature 1). */
static float *tree_data(void) {
  float *x = rand_f32((size_t)T_ROWS * T_COLS, -3, 3);
  for (size_t i = 0; i < T_ROWS; i++) {
    x[i * T_COLS + 3] = x[i * T_COLS + 1];
    x[i * T_COLS + 5] = (float)(int)(x[i * T_COLS + 5] * 2); /* few distinct values */
    x[i * T_COLS + 6] = 1.0f;                               /* constant: one bin */
  }
  x[10] = NAN, x[11] = INFINITY, x[T_COLS * 7 + 2] = NAN;
  x[T_COLS + 3] = x[T_COLS + 1]; /* keep feature 3 an exact copy of 1 (x[10] is row 1, feature 1) */
  return x;
}

static void body_tree(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  float *x = tree_data(), *cuts;
  uint32_t *cut_ptr;
  TB_CHECK_OK(tb_quantile_cuts(x, T_ROWS, T_COLS, 256, 0, 1, &cuts, &cut_ptr));
  int total_bins = (int)cut_ptr[T_COLS];
  mirror Xm = mnew((size_t)T_ROWS * T_COLS * 4, x), C = mnew((size_t)total_bins * 4, cuts);
  mirror CP = mnew((T_COLS + 1) * 4, cut_ptr), Bn = mnew((size_t)T_ROWS * T_COLS, NULL);
  BOTH(tb_op_quantize(be, T_ROWS, T_COLS, X(Xm), X(C), X(CP), X(Bn)));
  check_exact("quantize", &Bn, 1);
  /* rows: a random subset in random order; stats: gradient pairs (n_stats 2) and 5 arbitrary int64 columns */
  size_t n_sub = 2000;
  uint32_t *rows = malloc(n_sub * 4);
  for (size_t i = 0; i < n_sub; i++) rows[i] = urand_u32(T_ROWS);
  mirror R = mnew(n_sub * 4, rows);
  for (int ns = 2; ns <= 5; ns += 3) {
    int64_t *st = malloc((size_t)T_ROWS * ns * 8);
    for (size_t i = 0; i < (size_t)T_ROWS * ns; i++) st[i] = (int64_t)(urand(-1, 1) * 1e12);
    mirror S = mnew((size_t)T_ROWS * ns * 8, st), H = mnew((size_t)total_bins * ns * 8, NULL);
    BOTH(tb_op_hist_build(be, T_COLS, X(Bn), X(CP), total_bins, X(R), n_sub, X(S), ns, X(H)));
    int64_t *hr, *hd, *h2 = malloc(H.bytes);
    mget(&H, (void **)&hr, (void **)&hd);
    CU_ASSERT(cmp_exact("hist_build", hr, hd, (size_t)total_bins * ns, 8));
    for (int rep = 0; rep < 16; rep++) { /* bit-identical every run */
      TB_CHECK_OK(tb_op_hist_build(g_dev, T_COLS, Bn.d.data, CP.d.data, total_bins, R.d.data, n_sub, S.d.data, ns,
                                   H.d.data));
      TB_CHECK_OK(tb_backend_download(g_dev, h2, H.d.data, H.bytes));
      CU_ASSERT(memcmp(h2, hd, H.bytes) == 0);
    }
    /* subtraction: sibling = parent - child */
    mirror Sib = mnew(H.bytes, NULL), P = mnew(H.bytes, hr);
    BOTH(tb_op_hist_subtract(be, (size_t)total_bins * ns, X(P), X(H), X(Sib)));
    check_exact("hist_subtract", &Sib, 8);
    mfree(&S), mfree(&H), mfree(&Sib), mfree(&P);
    free(st), free(hr), free(hd), free(h2);
  }
  /* partition (one segment of tb_op_partition_level): stable, both orders and counts */
  mirror Scr = mnew(n_sub * 4, NULL);
  int32_t splits[3][2] = {{1, 40}, {5, -1}, {0, 255}};
  const uint32_t seg_begin = 0, seg_count = (uint32_t)n_sub;
  for (int s = 0; s < 3; s++) {
    uint32_t nl_r = 0, nl_d = 0;
    TB_CHECK_OK(tb_op_partition_level(g_ref, T_COLS, Bn.r.data, R.r.data, n_sub, 1, &seg_begin, &seg_count,
                                      &splits[s][0], &splits[s][1], Scr.r.data, &nl_r));
    TB_CHECK_OK(tb_op_partition_level(g_dev, T_COLS, Bn.d.data, R.d.data, n_sub, 1, &seg_begin, &seg_count,
                                      &splits[s][0], &splits[s][1], Scr.d.data, &nl_d));
    CU_ASSERT_EQUAL(nl_r, nl_d);
    check_exact("partition rows", &R, 4);
  }
  /* bad cut_ptr (a feature with 0 bins) is refused on both */
  uint32_t bad_cp[T_COLS + 1];
  memcpy(bad_cp, cut_ptr, sizeof bad_cp);
  bad_cp[2] = bad_cp[1];
  mirror BCP = mnew(sizeof bad_cp, bad_cp);
  CU_ASSERT_EQUAL(tb_op_quantize(g_ref, T_ROWS, T_COLS, Xm.r.data, C.r.data, BCP.r.data, Bn.r.data), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_quantize(g_dev, T_ROWS, T_COLS, Xm.d.data, C.d.data, BCP.d.data, Bn.d.data), TB_ERR_INVALID);
  mfree(&Xm), mfree(&C), mfree(&CP), mfree(&Bn), mfree(&R), mfree(&Scr), mfree(&BCP);
  free(x), free(cuts), free(cut_ptr), free(rows);
}

/* A histogram too large for shared memory (global-atomics path) must also be exact. */
static void body_hist_global(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int n_cols = 160, ns = 3;
  const size_t n_rows = 4000;
  uint32_t cp[161];
  for (int j = 0; j <= n_cols; j++) cp[j] = (uint32_t)j * 256; /* 40960 bins x 3 x 8 B = 983 KB */
  uint8_t *bins = malloc(n_rows * n_cols);
  for (size_t i = 0; i < n_rows * n_cols; i++) bins[i] = (uint8_t)urand_u32(256);
  uint32_t *rows = malloc(n_rows * 4);
  for (size_t i = 0; i < n_rows; i++) rows[i] = (uint32_t)i;
  int64_t *st = malloc(n_rows * ns * 8);
  for (size_t i = 0; i < n_rows * ns; i++) st[i] = (int64_t)(urand(-1, 1) * 1e14); /* sums stay far inside int64 */
  mirror B = mnew(n_rows * n_cols, bins), CP = mnew(sizeof cp, cp), R = mnew(n_rows * 4, rows);
  mirror S = mnew(n_rows * ns * 8, st), H = mnew((size_t)cp[n_cols] * ns * 8, NULL);
  BOTH(tb_op_hist_build(be, n_cols, X(B), X(CP), (int)cp[n_cols], X(R), n_rows, X(S), ns, X(H)));
  check_exact("hist_build (global)", &H, 8);
  mfree(&B), mfree(&CP), mfree(&R), mfree(&S), mfree(&H);
  free(bins), free(rows), free(st);
}

/* Per-row stats for a criterion, fixed point. */
static int64_t *split_stats(tb_split_criterion c, const tb_split_params *p, int *ns) {
  *ns = c == TB_SPLIT_GRADIENT ? 2 : c == TB_SPLIT_VARIANCE ? 3 : 4;
  int64_t *st = malloc((size_t)T_ROWS * *ns * 8);
  for (size_t i = 0; i < T_ROWS; i++) {
    int64_t *s = st + i * *ns;
    if (c == TB_SPLIT_GRADIENT) {
      s[0] = llround(urand(-1, 1) * p->scale);
      s[1] = llround(urand(0.05f, 1) * p->scale);
    } else if (c == TB_SPLIT_VARIANCE) {
      double y = urand(-2, 2);
      s[0] = llround(p->scale), s[1] = llround(y * p->scale_y), s[2] = llround(y * y * p->scale_y2);
    } else {
      for (int k = 0; k < 4; k++) s[k] = 0;
      s[urand_u32(4)] = llround(urand(0.5f, 2) * p->scale); /* a weighted class count */
    }
  }
  return st;
}

static void body_split_find(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  float *x = tree_data(), *cuts;
  uint32_t *cut_ptr;
  TB_CHECK_OK(tb_quantile_cuts(x, T_ROWS, T_COLS, 64, 0, 1, &cuts, &cut_ptr));
  int total_bins = (int)cut_ptr[T_COLS];
  uint8_t *bins = malloc((size_t)T_ROWS * T_COLS);
  tb_buf xb, cb, pb, bb;
  TB_CHECK_OK(tb_backend_alloc(g_ref, (size_t)T_ROWS * T_COLS * 4, &xb));
  TB_CHECK_OK(tb_backend_alloc(g_ref, (size_t)total_bins * 4, &cb));
  TB_CHECK_OK(tb_backend_alloc(g_ref, (T_COLS + 1) * 4, &pb));
  TB_CHECK_OK(tb_backend_alloc(g_ref, (size_t)T_ROWS * T_COLS, &bb));
  memcpy(xb.data, x, xb.bytes), memcpy(cb.data, cuts, cb.bytes), memcpy(pb.data, cut_ptr, pb.bytes);
  TB_CHECK_OK(tb_op_quantize(g_ref, T_ROWS, T_COLS, xb.data, cb.data, pb.data, bb.data));
  memcpy(bins, bb.data, bb.bytes);
  /* 4 nodes = 4 disjoint row ranges; node histograms built on the CPU and uploaded to both */
  const int n_nodes = 4;
  uint32_t *rows = malloc(T_ROWS * 4);
  for (uint32_t i = 0; i < T_ROWS; i++) rows[i] = i;
  uint8_t mask[4 * T_COLS];
  for (int i = 0; i < n_nodes * T_COLS; i++) mask[i] = urand(0, 1) < 0.8f;
  for (int crit = TB_SPLIT_GRADIENT; crit <= TB_SPLIT_VARIANCE; crit++) {
    tb_split_params p = {(tb_split_criterion)crit, 1 << 20, 1 << 18, 1 << 16, 1.0, 0.1, 0.0, 0.5, 0.0};
    if (crit != TB_SPLIT_GRADIENT) p.scale = 1 << 10, p.min_child_weight = 2.0;
    int ns;
    int64_t *st = split_stats((tb_split_criterion)crit, &p, &ns);
    size_t hlen = (size_t)total_bins * ns;
    int64_t *hist = malloc((size_t)n_nodes * hlen * 8);
    tb_buf rb, sb, hb;
    TB_CHECK_OK(tb_backend_alloc(g_ref, T_ROWS * 4, &rb));
    TB_CHECK_OK(tb_backend_alloc(g_ref, (size_t)T_ROWS * ns * 8, &sb));
    TB_CHECK_OK(tb_backend_alloc(g_ref, hlen * 8, &hb));
    memcpy(rb.data, rows, rb.bytes), memcpy(sb.data, st, sb.bytes);
    for (int nd = 0; nd < n_nodes; nd++) {
      size_t lo = (size_t)T_ROWS * nd / n_nodes, hi = (size_t)T_ROWS * (nd + 1) / n_nodes;
      TB_CHECK_OK(tb_op_hist_build(g_ref, T_COLS, bb.data, pb.data, total_bins, (uint32_t *)rb.data + lo, hi - lo,
                                   sb.data, ns, hb.data));
      memcpy(hist + nd * hlen, hb.data, hlen * 8);
    }
    mirror H = mnew((size_t)n_nodes * hlen * 8, hist);
    for (int use_mask = 0; use_mask < 2; use_mask++) {
      tb_split_result orf[4], odv[4];
      int64_t lr[4 * 4], ld[4 * 4];
      memset(odv, 0xFF, sizeof odv), memset(ld, 0xFF, sizeof ld);
      TB_CHECK_OK(tb_op_split_find(g_ref, &p, n_nodes, T_COLS, cut_ptr, total_bins, H.r.data, ns,
                                   use_mask ? mask : NULL, orf, lr));
      TB_CHECK_OK(tb_op_split_find(g_dev, &p, n_nodes, T_COLS, cut_ptr, total_bins, H.d.data, ns,
                                   use_mask ? mask : NULL, odv, ld));
      for (int nd = 0; nd < n_nodes; nd++) {
        int same = orf[nd].feature == odv[nd].feature && orf[nd].bin == odv[nd].bin &&
                   memcmp(&orf[nd].gain, &odv[nd].gain, sizeof(double)) == 0;
        if (!same)
          fprintf(stderr, "\n  split_find crit %d mask %d node %d: cpu (%d, %d, %.17g) cuda (%d, %d, %.17g)", crit,
                  use_mask, nd, orf[nd].feature, orf[nd].bin, orf[nd].gain, odv[nd].feature, odv[nd].bin,
                  odv[nd].gain);
        CU_ASSERT(same);
      }
      CU_ASSERT(cmp_exact("split_find left_stats", lr, ld, (size_t)n_nodes * ns, 8));
      if (!use_mask)
        for (int nd = 0; nd < n_nodes; nd++) CU_ASSERT(orf[nd].feature != 3); /* 3 duplicates 1: ties -> 1 */
    }
    mfree(&H);
    tb_backend_release(g_ref, &rb), tb_backend_release(g_ref, &sb), tb_backend_release(g_ref, &hb);
    free(st), free(hist);
  }
  tb_backend_release(g_ref, &xb), tb_backend_release(g_ref, &cb), tb_backend_release(g_ref, &pb);
  tb_backend_release(g_ref, &bb);
  free(x), free(cuts), free(cut_ptr), free(bins), free(rows);
}

/* Random full trees of depth 3 over the quantised tree data; raw-X and bins paths. */
static void body_forest(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  float *x = tree_data(), *cuts;
  uint32_t *cut_ptr;
  TB_CHECK_OK(tb_quantile_cuts(x, T_ROWS, T_COLS, 32, 0, 1, &cuts, &cut_ptr));
  enum { TREES = 6, NODES = 15, WIDTH = 2, OUT = 3 };
  tb_tree_node nodes[TREES * NODES];
  int32_t roots[TREES], out_col[TREES];
  for (int t = 0; t < TREES; t++) {
    roots[t] = t * NODES;
    out_col[t] = t % 2;
    for (int i = 0; i < NODES; i++) {
      tb_tree_node *nd = &nodes[t * NODES + i];
      memset(nd, 0, sizeof *nd);
      if (i < 7) {
        int f = (int)urand_u32(T_COLS), nb = (int)(cut_ptr[f + 1] - cut_ptr[f]);
        nd->feature = f;
        nd->bin = nb > 1 ? (int32_t)urand_u32(nb - 1) : 0;
        nd->threshold = cuts[cut_ptr[f] + nd->bin];
        nd->left = t * NODES + 2 * i + 1, nd->right = t * NODES + 2 * i + 2;
      } else {
        nd->feature = -1;
        nd->leaf = t * 8 + (i - 7);
      }
    }
  }
  float *leaves = rand_f32(TREES * 8 * WIDTH, -1, 1), *o0 = rand_f32((size_t)T_ROWS * OUT, -1, 1);
  mirror Nd = mnew(sizeof nodes, nodes), Rt = mnew(sizeof roots, roots), Oc = mnew(sizeof out_col, out_col);
  mirror Lv = mnew(TREES * 8 * WIDTH * 4, leaves), Xm = mnew((size_t)T_ROWS * T_COLS * 4, x);
  mirror C = mnew(cut_ptr[T_COLS] * 4, cuts), CP = mnew((T_COLS + 1) * 4, cut_ptr);
  mirror Bn = mnew((size_t)T_ROWS * T_COLS, NULL), O = mnew((size_t)T_ROWS * OUT * 4, o0);
  BOTH(tb_op_quantize(be, T_ROWS, T_COLS, X(Xm), X(C), X(CP), X(Bn)));
  for (int raw = 0; raw < 2; raw++) {
    for (int side_ = 0; side_ < 2; side_++) {
      tb_backend *be = side_ ? g_dev : g_ref;
      tb_forest_view f = {TREES, X(Nd), X(Rt), X(Oc), X(Lv), WIDTH};
      TB_CHECK_OK(tb_op_forest_predict(be, &f, T_ROWS, T_COLS, raw ? X(Xm) : NULL, raw ? NULL : X(Bn), 0.3f, OUT,
                                       X(O)));
    }
    check_exact(raw ? "forest_predict (raw)" : "forest_predict (bins)", &O, 4);
  }
  int32_t bad_col[TREES];
  memcpy(bad_col, out_col, sizeof bad_col);
  bad_col[2] = OUT - 1; /* width 2 from the last column: outside */
  mirror Bc = mnew(sizeof bad_col, bad_col);
  tb_forest_view fb = {TREES, Nd.d.data, Rt.d.data, Bc.d.data, Lv.d.data, WIDTH};
  CU_ASSERT_EQUAL(tb_op_forest_predict(g_dev, &fb, T_ROWS, T_COLS, NULL, Bn.d.data, 1.0f, OUT, O.d.data),
                  TB_ERR_INVALID);
  mfree(&Nd), mfree(&Rt), mfree(&Oc), mfree(&Lv), mfree(&Xm), mfree(&C), mfree(&CP), mfree(&Bn), mfree(&O);
  mfree(&Bc);
  free(x), free(cuts), free(cut_ptr), free(leaves), free(o0);
}

/* Segment add (a grown tree's leaf values onto its partitioned rows): distinct random rows, 40 segments of random
 * sizes (some empty) in shuffled order, two calls on different columns; bit-identical (one float add per element). */
static void body_segment_add(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  enum { ALL = 70000, N = 50000, SEG = 40, OUT = 3 };
  uint32_t *perm = malloc(ALL * sizeof *perm), begin[SEG], count[SEG], cut[SEG + 1];
  for (uint32_t i = 0; i < ALL; i++) perm[i] = i;
  for (uint32_t i = ALL - 1; i > 0; i--) {
    uint32_t j = urand_u32(i + 1), t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  cut[0] = 0, cut[SEG] = N;
  for (int k = 1; k < SEG; k++) cut[k] = urand_u32(N + 1);
  for (int k = 1; k < SEG; k++) /* insertion sort of the inner cuts */
    for (int q = k; q > 1 && cut[q - 1] > cut[q]; q--) {
      uint32_t t = cut[q];
      cut[q] = cut[q - 1], cut[q - 1] = t;
    }
  for (int k = 0; k < SEG; k++) { /* segment k is slice (7k + 3) mod SEG: every slice once, out of order */
    int sl = (7 * k + 3) % SEG;
    begin[k] = cut[sl], count[k] = cut[sl + 1] - cut[sl];
  }
  float *vals = rand_f32(SEG, -1, 1), *vals2 = rand_f32(SEG, -1, 1), *o0 = rand_f32((size_t)ALL * OUT, -5, 5);
  mirror R = mnew((size_t)N * 4, perm), O = mnew((size_t)ALL * OUT * 4, o0);
  BOTH(tb_op_segment_add(be, SEG, begin, count, vals, X(R), N, OUT, 2, X(O)));
  BOTH(tb_op_segment_add(be, SEG, begin, count, vals2, X(R), N, OUT, 0, X(O)));
  check_exact("segment_add", &O, 4);
  count[3] += 1; /* overlaps its neighbour or runs past the list: rejected before any work */
  CU_ASSERT_EQUAL(tb_op_segment_add(g_dev, SEG, begin, count, vals, R.d.data, N, OUT, 0, O.d.data), TB_ERR_INVALID);
  mfree(&R), mfree(&O);
  free(perm), free(vals), free(vals2), free(o0);
}

/* Level-wise tree ops: 7 histogram jobs (empty, tiny, large; dst only, dst + sibling, sibling only) over a shuffled
 * row list into slots preset to random int64 (the parents; unwritten slots must keep theirs), compared bit for bit
 * over every slot, 16 repeats bit-identical; then 5 partition segments in shuffled order with gaps between them. */
static void body_tree_level(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  enum { ROWS = 30000, COLS = 6, JOBS = 7, SLOTS = 3 * JOBS, NS = 2, SEG = 5 };
  uint32_t cut_ptr[COLS + 1], *perm = malloc(ROWS * sizeof *perm);
  cut_ptr[0] = 0;
  for (int j = 0; j < COLS; j++) cut_ptr[j + 1] = cut_ptr[j] + (j == 2 ? 256 : j == 4 ? 1 : 2 + urand_u32(100));
  const int tb = (int)cut_ptr[COLS];
  const size_t sl = (size_t)tb * NS;
  uint8_t *bins = malloc((size_t)ROWS * COLS);
  for (int i = 0; i < ROWS; i++)
    for (int j = 0; j < COLS; j++) bins[i * COLS + j] = (uint8_t)urand_u32(cut_ptr[j + 1] - cut_ptr[j]);
  for (uint32_t i = 0; i < ROWS; i++) perm[i] = i;
  for (uint32_t i = ROWS - 1; i > 0; i--) {
    uint32_t j = urand_u32(i + 1), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  int64_t *st = malloc((size_t)ROWS * NS * 8), *h0 = malloc((size_t)SLOTS * sl * 8);
  for (size_t i = 0; i < (size_t)ROWS * NS; i++) st[i] = (int64_t)(urand(-1, 1) * 1e12);
  for (size_t i = 0; i < (size_t)SLOTS * sl; i++) h0[i] = (int64_t)(urand(-1, 1) * 1e15);
  const uint32_t sizes[JOBS] = {0, 3, 16, 700, 9000, 15000, 29000};
  tb_hist_job jobs[JOBS];
  for (int i = 0; i < JOBS; i++) {
    int kind = i % 3; /* 0: dst only, 1: dst + sibling, 2: sibling only */
    jobs[i] = (tb_hist_job){urand_u32(ROWS - sizes[i] + 1), sizes[i], kind == 2 ? -1 : 3 * i, kind ? 3 * i + 1 : -1,
                            kind ? 3 * i + 2 : -1};
  }
  mirror Bn = mnew((size_t)ROWS * COLS, bins), CP = mnew(sizeof cut_ptr, cut_ptr), R = mnew(ROWS * 4, perm);
  mirror S = mnew((size_t)ROWS * NS * 8, st), H = mnew((size_t)SLOTS * sl * 8, h0);
  BOTH(tb_op_hist_build_level(be, COLS, X(Bn), X(CP), tb, X(R), ROWS, X(S), NS, JOBS, jobs, SLOTS, X(H)));
  check_exact("hist_build_level", &H, 8);
  int64_t *hr, *hd, *h2 = malloc(H.bytes);
  mget(&H, (void **)&hr, (void **)&hd);
  for (int rep = 0; rep < 16; rep++) { /* the parents are never written: every repeat gives the same bits */
    TB_CHECK_OK(tb_op_hist_build_level(g_dev, COLS, Bn.d.data, CP.d.data, tb, R.d.data, ROWS, S.d.data, NS, JOBS, jobs,
                                       SLOTS, H.d.data));
    TB_CHECK_OK(tb_backend_download(g_dev, h2, H.d.data, H.bytes));
    CU_ASSERT(memcmp(h2, hd, H.bytes) == 0);
  }
  tb_hist_job bad[2] = {{0, 10, 0, -1, -1}, {5, 10, 1, 0, 2}}; /* job 1 reads the slot job 0 writes */
  CU_ASSERT_EQUAL(tb_op_hist_build_level(g_dev, COLS, Bn.d.data, CP.d.data, tb, R.d.data, ROWS, S.d.data, NS, 2, bad,
                                         SLOTS, H.d.data), TB_ERR_INVALID);
  /* partition: segment k is slice (3k + 1) mod SEG of 2 SEG sorted cuts (odd slices are gaps) */
  uint32_t begin[SEG], count[SEG], nl_r[SEG], nl_d[SEG];
  int32_t feat[SEG], bn[SEG];
  random_segments(SEG, ROWS, 3, 1, begin, count);
  for (int k = 0; k < SEG; k++) {
    feat[k] = (int32_t)urand_u32(COLS);
    bn[k] = (int32_t)urand_u32(cut_ptr[feat[k] + 1] - cut_ptr[feat[k]]) - 1;
  }
  mirror Scr = mnew(ROWS * 4, NULL);
  BOTH(tb_op_partition_level(be, COLS, X(Bn), X(R), ROWS, SEG, begin, count, feat, bn, X(Scr), side_ ? nl_d : nl_r));
  check_exact("partition_level", &R, 4);
  CU_ASSERT(memcmp(nl_r, nl_d, sizeof nl_r) == 0);
  mfree(&Bn), mfree(&CP), mfree(&R), mfree(&S), mfree(&H), mfree(&Scr);
  free(perm), free(bins), free(st), free(h0), free(hr), free(hd), free(h2);
}

/* tb_op_partition_level_cols: random segments (shuffled order, gaps) of a shuffled row list, on column-major bins
 * with more data rows than listed; exact row lists and left counts on both backends, which must also equal the
 * row-major op's result on the CPU. */
static void body_partition_cols(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  enum { ROWS = 40000, DATA = ROWS + 9, COLS = 7, SEG = 6 };
  uint8_t *bins = malloc((size_t)ROWS * COLS), *cm = malloc((size_t)DATA * COLS);
  uint32_t *perm = malloc(ROWS * sizeof *perm), *want = malloc(ROWS * sizeof *want);
  uint32_t *scr = malloc(ROWS * sizeof *scr), begin[SEG], count[SEG], nl_r[SEG], nl_d[SEG], nl_w[SEG];
  int32_t feat[SEG], bn[SEG];
  for (size_t i = 0; i < (size_t)ROWS * COLS; i++) bins[i] = (uint8_t)urand_u32(256);
  for (size_t j = 0; j < COLS; j++)
    for (size_t r = 0; r < DATA; r++) cm[j * DATA + r] = r < ROWS ? bins[r * COLS + j] : (uint8_t)urand_u32(256);
  for (uint32_t i = 0; i < ROWS; i++) perm[i] = i;
  for (uint32_t i = ROWS - 1; i > 0; i--) {
    uint32_t j = urand_u32(i + 1), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  random_segments(SEG, ROWS, 5, 2, begin, count);
  for (int k = 0; k < SEG; k++) {
    feat[k] = (int32_t)urand_u32(COLS);
    bn[k] = (int32_t)urand_u32(257) - 1; /* -1: all right, 255: all left */
  }
  memcpy(want, perm, ROWS * sizeof *want);
  TB_CHECK_OK(tb_op_partition_level(g_ref, COLS, bins, want, ROWS, SEG, begin, count, feat, bn, scr, nl_w));
  mirror Bc = mnew((size_t)DATA * COLS, cm), R = mnew(ROWS * 4, perm), Scr = mnew(ROWS * 4, NULL);
  BOTH(tb_op_partition_level_cols(be, COLS, DATA, X(Bc), X(R), ROWS, SEG, begin, count, feat, bn, X(Scr),
                                  side_ ? nl_d : nl_r));
  check_exact("partition_level_cols", &R, 4);
  CU_ASSERT(memcmp(nl_r, nl_d, sizeof nl_r) == 0);
  CU_ASSERT(memcmp(nl_r, nl_w, sizeof nl_r) == 0);
  uint32_t *rr, *rd;
  mget(&R, (void **)&rr, (void **)&rd);
  CU_ASSERT(memcmp(rr, want, ROWS * sizeof *rr) == 0);
  mfree(&Bc), mfree(&R), mfree(&Scr);
  free(bins), free(cm), free(perm), free(want), free(scr), free(rr), free(rd);
}

/* ---- row softmax and per-row tree statistics ---------------------------------------------------------------- */
static void body_softmax(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const int K = 2, rows = 129, class_counts[3] = {1, 10, 300}; /* one, fewer and more classes than warp lanes */
  for (int t = 0; t < 3; t++) {
    int classes = class_counts[t];
    size_t n = (size_t)K * rows * classes;
    float *z = rand_f32(n, -8, 8);
    z[3] = 1e4f;                /* large logit: no overflow */
    z[(size_t)9 * classes] = NAN; /* a NaN row stays NaN on both */
    mirror Z = mnew(n * 4, z), P = mnew(n * 4, NULL);
    BOTH(tb_op_softmax(be, K, rows, classes, X(Z), X(P)));
    check_f32("softmax", &P);
    BOTH(tb_op_softmax(be, K, rows, classes, X(Z), X(Z))); /* probs aliases logits */
    check_f32("softmax in place", &Z);
    mfree(&Z), mfree(&P);
    free(z);
  }
}

/* |dev - ref| <= tol per int64 element (tol 0: exact); unwritten poison (-1) differs from any written value but
 * -1..1, which the exact checks and the ranges of the inputs here exclude in practice. */
static int cmp_i64(const char *what, const int64_t *r, const int64_t *d, size_t n, int64_t tol) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t diff = d[i] > r[i] ? d[i] - r[i] : r[i] - d[i];
    if (diff > tol && bad++ < 5)
      fprintf(stderr, "\n  %s[%zu]: cpu %lld cuda %lld", what, i, (long long)r[i], (long long)d[i]);
  }
  if (bad) fprintf(stderr, "\n  %s: %zu of %zu elements differ by more than %lld\n", what, bad, n, (long long)tol);
  return bad == 0;
}

/* Gradient statistics of the three objectives on a random subset of rows; rows not listed keep the 0xFF poison on
 * both. Squared error must match exactly; logistic and softmax call exp(), whose last ulp may differ between glibc
 * and CUDA, so their fixed-point values may differ by 1 unit (documented at tb_op_tree_grad_stats); the scale, a
 * function of max(1, |g|, |h|), must be equal. On the device: 16 repeats bit-identical. */
static void body_tree_stats(tb_backend *ref, tb_backend *dev) {
  (void)ref, (void)dev;
  const size_t n_all = 5003;
  uint32_t *rows = malloc(n_all * 4);
  size_t n = 0;
  for (size_t i = 0; i < n_all; i++)
    if (urand(0, 1) < 0.7f) rows[n++] = (uint32_t)i;
  mirror R = mnew(n * 4, rows);
  const tb_grad_objective objs[4] = {TB_GRAD_LOGISTIC, TB_GRAD_SOFTMAX, TB_GRAD_SQUARED, TB_GRAD_SOFTMAX};
  const int Ks[4] = {1, 4, 1, 40}, mcs[4] = {2, 4, 1, 40};
  for (int o = 0; o < 4; o++) {
    const int K = Ks[o], mc = mcs[o];
    float *m = rand_f32(n_all * mc, -6, 6), *t = rand_f32(n_all, -10, 10);
    int32_t *lab = malloc(n_all * 4);
    for (size_t i = 0; i < n_all; i++) lab[i] = (int32_t)urand_u32(objs[o] == TB_GRAD_LOGISTIC ? 2 : (uint32_t)K);
    mirror M = mnew(n_all * mc * 4, m), T = mnew(n_all * 4, t), L = mnew(n_all * 4, lab);
    mirror S = mnew((size_t)K * n_all * 2 * 8, NULL);
    double sc[2] = {0, 0};
    BOTH(tb_op_tree_grad_stats(be, objs[o], K, n_all, n, X(R), X(M), mc, X(L), X(T), &sc[side_], X(S)));
    CU_ASSERT_EQUAL(sc[0], sc[1]);
    int64_t *sr, *sd, *s2 = malloc(S.bytes);
    mget(&S, (void **)&sr, (void **)&sd);
    CU_ASSERT(cmp_i64("tree_grad_stats", sr, sd, (size_t)K * n_all * 2, objs[o] == TB_GRAD_SQUARED ? 0 : 1));
    for (int rep = 0; rep < 16; rep++) {
      double again = 0;
      TB_CHECK_OK(tb_op_tree_grad_stats(g_dev, objs[o], K, n_all, n, R.d.data, M.d.data, mc, L.d.data, T.d.data,
                                        &again, S.d.data));
      TB_CHECK_OK(tb_backend_download(g_dev, s2, S.d.data, S.bytes));
      CU_ASSERT(again == sc[1] && memcmp(s2, sd, S.bytes) == 0);
    }
    /* all rows (no list), a given scale */
    mpoison(&S);
    BOTH(tb_op_tree_grad_stats(be, objs[o], K, n_all, n_all, NULL, X(M), mc, X(L), X(T), &(double){4096.0}, X(S)));
    free(sr), free(sd);
    mget(&S, (void **)&sr, (void **)&sd);
    CU_ASSERT(cmp_i64("tree_grad_stats (all rows)", sr, sd, (size_t)K * n_all * 2, objs[o] == TB_GRAD_SQUARED ? 0 : 1));
    /* a NaN margin of a listed row: TB_ERR_RANGE on both */
    m[(size_t)rows[n / 3] * mc + mc - 1] = NAN;
    mirror Mb = mnew(n_all * mc * 4, m);
    double z0 = 0, z1 = 0;
    CU_ASSERT_EQUAL(tb_op_tree_grad_stats(g_ref, objs[o], K, n_all, n, R.r.data, Mb.r.data, mc, L.r.data, T.r.data,
                                          &z0, S.r.data), TB_ERR_RANGE);
    CU_ASSERT_EQUAL(tb_op_tree_grad_stats(g_dev, objs[o], K, n_all, n, R.d.data, Mb.d.data, mc, L.d.data, T.d.data,
                                          &z1, S.d.data), TB_ERR_RANGE);
    mfree(&M), mfree(&T), mfree(&L), mfree(&S), mfree(&Mb);
    free(m), free(t), free(lab), free(sr), free(sd), free(s2);
  }
  /* forest statistics: exact */
  const int C = 6;
  int32_t *lab = malloc(n_all * 4), *w = malloc(n * 4);
  for (size_t i = 0; i < n_all; i++) lab[i] = (int32_t)urand_u32(C);
  for (size_t i = 0; i < n; i++) w[i] = (int32_t)urand_u32(5);
  float *y = rand_f32(n_all, -50, 50);
  mirror L = mnew(n_all * 4, lab), W = mnew(n * 4, w), Y = mnew(n_all * 4, y);
  mirror SC = mnew(n_all * C * 8, NULL), SV = mnew(n_all * 3 * 8, NULL);
  BOTH(tb_op_class_count_stats(be, n, X(R), X(L), X(W), C, 1.0, X(SC)));
  check_exact("class_count_stats", &SC, 8);
  BOTH(tb_op_class_count_stats(be, n_all, NULL, X(L), NULL, C, 2.5, X(SC)));
  check_exact("class_count_stats (all rows)", &SC, 8);
  const double sy = tb_fixed_scale(50, n), sy2 = tb_fixed_scale(2500, n);
  BOTH(tb_op_value_count_stats(be, n, X(R), X(Y), X(W), sy, sy2, X(SV)));
  check_exact("value_count_stats", &SV, 8);
  BOTH(tb_op_value_count_stats(be, n_all, NULL, X(Y), NULL, sy, sy2, X(SV)));
  check_exact("value_count_stats (all rows)", &SV, 8);
  lab[rows[5]] = C; /* a label out of range / a non-finite target: TB_ERR_INVALID on both */
  y[rows[7]] = NAN;
  mirror Lb = mnew(n_all * 4, lab), Yb = mnew(n_all * 4, y);
  CU_ASSERT_EQUAL(tb_op_class_count_stats(g_ref, n, R.r.data, Lb.r.data, W.r.data, C, 1.0, SC.r.data), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_class_count_stats(g_dev, n, R.d.data, Lb.d.data, W.d.data, C, 1.0, SC.d.data), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_value_count_stats(g_ref, n, R.r.data, Yb.r.data, W.r.data, sy, sy2, SV.r.data), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_value_count_stats(g_dev, n, R.d.data, Yb.d.data, W.d.data, sy, sy2, SV.d.data), TB_ERR_INVALID);
  check_exact("value_count_stats (untouched after an error)", &SV, 8);
  mfree(&R), mfree(&L), mfree(&W), mfree(&Y), mfree(&SC), mfree(&SV), mfree(&Lb), mfree(&Yb);
  free(rows), free(lab), free(w), free(y);
}

/* ---- device memory, budgets, resolution ------------------------------------------------------------------- */
static void body_memory(tb_backend *ref, tb_backend *dev) {
  (void)ref;
  tb_buf huge, small;
  CU_ASSERT_EQUAL(tb_backend_alloc(dev, (size_t)1 << 50, &huge), TB_ERR_OOM); /* 1 PiB: the driver refuses */
  CU_ASSERT_PTR_NULL(huge.data);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "out of memory"));
  TB_CHECK_OK(tb_backend_alloc(dev, 3 * 64 * 64 * 4, &small)); /* the context still works */
  float *a = rand_f32(3 * 64 * 64, -1, 1), *c = malloc(64 * 64 * 4);
  TB_CHECK_OK(tb_backend_upload(dev, small.data, a, 3 * 64 * 64 * 4));
  float *A = small.data;
  TB_CHECK_OK(tb_op_gemm(dev, TB_NO_TRANS, TB_TRANS, 64, 64, 64, 1.0f, A, 64, A + 4096, 64, 0.0f, A + 8192, 64));
  TB_CHECK_OK(tb_backend_download(dev, c, A + 8192, 64 * 64 * 4));
  double ref00 = 0;
  for (int k = 0; k < 64; k++) ref00 += (double)a[k] * a[4096 + k];
  CU_ASSERT(fabs(c[0] - ref00) <= 1e-5 * (1 + fabs(ref00)));
  tb_backend_release(dev, &small);
  /* per-context budget, then the device budget */
  tb_mem_stats ms;
  tb_backend_mem(dev, &ms);
  size_t base = ms.bytes_in_use;
  tb_backend_set_budget(dev, base + (1 << 20));
  CU_ASSERT_EQUAL(tb_backend_alloc(dev, 2 << 20, &huge), TB_ERR_OOM);
  TB_CHECK_OK(tb_backend_alloc(dev, 512 << 10, &small));
  tb_backend_release(dev, &small);
  tb_backend_set_budget(dev, 0);
  tb_device d0 = {TB_DEVICE_CUDA, 0};
  tb_backend_mem(dev, &ms);
  tb_device_set_budget(&d0, ms.device_bytes_in_use + (1 << 20));
  CU_ASSERT_EQUAL(tb_backend_alloc(dev, 4 << 20, &huge), TB_ERR_OOM);
  tb_device_set_budget(&d0, 0);
  TB_CHECK_OK(tb_backend_alloc(dev, 4 << 20, &small));
  tb_backend_release(dev, &small);
  free(a), free(c);
}

static void body_resolve(tb_backend *ref, tb_backend *dev) {
  (void)ref;
  tb_device req, out;
  char notice[128];
  TB_CHECK_OK(tb_device_parse("auto", &req));
  TB_CHECK_OK(tb_device_resolve(&req, &out, notice, sizeof notice));
  CU_ASSERT(out.kind == TB_DEVICE_CUDA && out.index == 0 && notice[0] == '\0');
  TB_CHECK_OK(tb_device_parse("cuda:0", &req));
  TB_CHECK_OK(tb_device_resolve(&req, &out, NULL, 0));
  req.index = tb_backend_cuda_device_count();
  CU_ASSERT_EQUAL(tb_device_resolve(&req, &out, NULL, 0), TB_ERR_UNSUPPORTED);
  CU_ASSERT_EQUAL(tb_backend_kind(dev), TB_DEVICE_CUDA);
  CU_ASSERT_EQUAL(strncmp(tb_backend_describe(dev), "cuda:0 (", 8), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_backend_describe(dev), "GiB, sm_"));
  /* bad input reaches no kernel */
  CU_ASSERT_EQUAL(tb_op_gemm(dev, TB_NO_TRANS, TB_NO_TRANS, -1, 2, 2, 1, NULL, 2, NULL, 2, 0, NULL, 2), TB_ERR_INVALID);
  tb_split_params p = {TB_SPLIT_GRADIENT, 1, 0, 0, 1, 0, 0, 0, 0};
  uint32_t cp[3] = {0, 4, 7};
  tb_split_result r;
  int64_t h[7 * 2] = {0};
  CU_ASSERT_EQUAL(tb_op_split_find(dev, &p, 1, 2, cp, 8, h, 2, NULL, &r, NULL), TB_ERR_INVALID); /* 7 != 8 */
  TB_CHECK_OK(tb_backend_sync(dev));
}

/* The device timer: a stop without a start is an error on a fresh context; it brackets a host sleep (the device
 * timeline runs on while the stream is idle) and a GEMM that must take some time; the CPU context agrees on the
 * sleep within a few milliseconds. */
static void body_timer(tb_backend *ref, tb_backend *dev) {
  /* A sanitizer serialises and slows every CUDA call around the events: the 5 ms agreement would fail for it, not
   * for the timer. scripts/gpu-check sets TB_UNDER_SANITIZER for its compute-sanitizer runs. */
  const char *san = getenv("TB_UNDER_SANITIZER");
  if (san && *san) {
    printf("skipped under %s ", san);
    return;
  }
  tb_backend *fresh = NULL;
  double s = 0, s_ref = 0;
  tb_device d = {tb_backend_kind(dev), 0};
  TB_CHECK_OK(tb_backend_open(&d, &fresh));
  CU_ASSERT_EQUAL(tb_backend_timer_stop(fresh, &s), TB_ERR_INVALID);
  tb_backend_free(fresh);
  struct timespec ts = {0, 20 * 1000 * 1000};
  TB_CHECK_OK(tb_backend_timer_start(dev));
  TB_CHECK_OK(tb_backend_timer_start(ref));
  nanosleep(&ts, NULL);
  TB_CHECK_OK(tb_backend_timer_stop(dev, &s));
  TB_CHECK_OK(tb_backend_timer_stop(ref, &s_ref));
  CU_ASSERT(s >= 0.019 && s < 5.0);
  CU_ASSERT(fabs(s - s_ref) < 0.005);
  const int n = 512;
  tb_buf A;
  float *a = rand_f32((size_t)3 * n * n, -1, 1);
  TB_CHECK_OK(tb_backend_alloc(dev, (size_t)3 * n * n * 4, &A));
  TB_CHECK_OK(tb_backend_upload(dev, A.data, a, (size_t)3 * n * n * 4));
  float *M = A.data;
  TB_CHECK_OK(tb_backend_sync(dev));
  TB_CHECK_OK(tb_backend_timer_start(dev));
  for (int i = 0; i < 4; i++)
    TB_CHECK_OK(tb_op_gemm(dev, TB_NO_TRANS, TB_NO_TRANS, n, n, n, 1.0f, M, n, M + n * n, n, 0.0f, M + 2 * n * n, n));
  TB_CHECK_OK(tb_backend_timer_stop(dev, &s));
  CU_ASSERT(s > 0.0 && s < 5.0);
  tb_backend_release(dev, &A);
  free(a);
}

#define CASE(name)                                 \
  static void test_##name(void) { body_##name(g_ref, g_dev); }
CASE(gemm)
CASE(bias_colsum)
CASE(act_mul)
CASE(random)
CASE(losses)
CASE(reductions)
CASE(gather_copy)
CASE(optim)
CASE(tree)
CASE(hist_global)
CASE(split_find)
CASE(forest)
CASE(segment_add)
CASE(tree_level)
CASE(partition_cols)
CASE(softmax)
CASE(tree_stats)
CASE(memory)
CASE(resolve)
CASE(timer)

static const tb_test_case cases[] = {
    {"gemm", test_gemm},           {"bias_colsum", test_bias_colsum}, {"act_mul", test_act_mul},
    {"random", test_random},       {"losses", test_losses},           {"reductions", test_reductions},
    {"gather_copy", test_gather_copy}, {"optim", test_optim},         {"tree", test_tree},
    {"hist_global", test_hist_global}, {"split_find", test_split_find}, {"forest", test_forest},
    {"segment_add", test_segment_add}, {"tree_level", test_tree_level}, {"partition_cols", test_partition_cols},
    {"softmax", test_softmax},     {"tree_stats", test_tree_stats},
    {"memory", test_memory},       {"resolve", test_resolve},         {"timer", test_timer},
    {NULL, NULL}};

/* ---- --bench: GEMM 4096^3 through tb_op_gemm vs raw cuBLAS, histogram GB/s vs a device-to-device copy ------
 * Medians of timed repeats after warm-up, each repeat synchronised. Raw cuBLAS needs the CUDA headers, hence the
 * one #ifdef of this file (a CPU-only build never gets here: main() skips first). */
#ifdef TB_HAVE_CUDA
#include <cublas_v2.h>
#include <cuda_runtime.h>
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static double median(double *t, int n) {
  qsort(t, n, sizeof *t, cmp_double);
  return t[n / 2];
}

enum { BENCH_REPS = 15 };

static int bench_run(tb_backend *dev) {
  const int n = 4096;
  const size_t mat = (size_t)n * n * 4;
  tb_buf A, B, C;
  double t[BENCH_REPS], ours = 0, raw = 0, hist_gbs = 0, copy_gbs = 0;
  if (tb_backend_alloc(dev, mat, &A) || tb_backend_alloc(dev, mat, &B) || tb_backend_alloc(dev, mat, &C)) {
    fprintf(stderr, "bench: %s\n", tb_error_detail());
    return 1;
  }
  tb_op_rng_uniform(dev, (size_t)n * n, 1, 0, -1, 1, A.data);
  tb_op_rng_uniform(dev, (size_t)n * n, 2, 0, -1, 1, B.data);
  for (int r = -3; r < BENCH_REPS; r++) {
    double t0 = now_s();
    if (tb_op_gemm(dev, TB_NO_TRANS, TB_NO_TRANS, n, n, n, 1, A.data, n, B.data, n, 0, C.data, n) ||
        tb_backend_sync(dev)) {
      fprintf(stderr, "bench gemm: %s\n", tb_error_detail());
      return 1;
    }
    if (r >= 0) t[r] = now_s() - t0;
  }
  ours = 2.0 * n * n * n / median(t, BENCH_REPS) / 1e12;
#ifdef TB_HAVE_CUDA
  {
    cublasHandle_t h;
    float one = 1, zero = 0;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return 1;
    for (int r = -3; r < BENCH_REPS; r++) {
      double t0 = now_s();
      cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, B.data, n, A.data, n, &zero, C.data, n);
      cudaDeviceSynchronize();
      if (r >= 0) t[r] = now_s() - t0;
    }
    raw = 2.0 * n * n * n / median(t, BENCH_REPS) / 1e12;
    cublasDestroy(h);
  }
#endif
  tb_backend_release(dev, &C);
  /* histogram: 2^21 rows x 28 features x 256 bins, (g, h) stats; bytes = bins + row ids + stats + histogram */
  const size_t rows = (size_t)1 << 21;
  const int cols = 28, ns = 2;
  uint32_t cp[29];
  for (int j = 0; j <= cols; j++) cp[j] = (uint32_t)j * 256;
  tb_buf bins, rid, st, hist, cpb;
  uint32_t *ids = malloc(rows * 4);
  for (size_t i = 0; i < rows; i++) ids[i] = (uint32_t)i;
  if (tb_backend_alloc(dev, rows * cols, &bins) || tb_backend_alloc(dev, rows * 4, &rid) ||
      tb_backend_alloc(dev, rows * ns * 8, &st) || tb_backend_alloc(dev, (size_t)cp[cols] * ns * 8, &hist) ||
      tb_backend_alloc(dev, sizeof cp, &cpb))
    return 1;
  tb_op_rng_uniform(dev, rows * cols / 4, 3, 0, 0, 1, bins.data); /* random bytes: any bin 0..255 */
  tb_op_rng_uniform(dev, rows * ns * 2, 4, 0, -1e6f, 1e6f, st.data);
  tb_backend_upload(dev, rid.data, ids, rows * 4);
  tb_backend_upload(dev, cpb.data, cp, sizeof cp);
  for (int r = -3; r < BENCH_REPS; r++) {
    double t0 = now_s();
    if (tb_op_hist_build(dev, cols, bins.data, cpb.data, (int)cp[cols], rid.data, rows, st.data, ns, hist.data) ||
        tb_backend_sync(dev)) {
      fprintf(stderr, "bench hist: %s\n", tb_error_detail());
      return 1;
    }
    if (r >= 0) t[r] = now_s() - t0;
  }
  double hist_t = median(t, BENCH_REPS);
  hist_gbs = (rows * cols + rows * 4 + rows * ns * 8 + (double)cp[cols] * ns * 8) / hist_t / 1e9;
  for (int r = -3; r < BENCH_REPS; r++) { /* copy A -> B (64 MiB): bytes read + written */
    double t0 = now_s();
    tb_backend_copy(dev, B.data, A.data, mat);
    tb_backend_sync(dev);
    if (r >= 0) t[r] = now_s() - t0;
  }
  copy_gbs = 2.0 * mat / median(t, BENCH_REPS) / 1e9;
  printf("\n| benchmark | ours | reference | ratio |\n|---|---|---|---|\n");
  printf("| SGEMM 4096^3 fp32 (TFLOP/s) | %.2f | %.2f (raw cublasSgemm) | %.2f |\n", ours, raw,
         raw > 0 ? ours / raw : 0);
  printf("| hist_build 2^21 x 28, 256 bins, 2 stats (GB/s, %.3f ms) | %.1f | %.1f (D2D copy) | %.2f |\n",
         hist_t * 1e3, hist_gbs, copy_gbs, hist_gbs / copy_gbs);
  printf("BENCH gemm_ours_tflops=%.3f gemm_cublas_tflops=%.3f hist_gbs=%.2f hist_ms=%.4f copy_gbs=%.2f\n", ours, raw,
         hist_gbs, hist_t * 1e3, copy_gbs);
  tb_backend_release(dev, &A), tb_backend_release(dev, &B);
  tb_backend_release(dev, &bins), tb_backend_release(dev, &rid), tb_backend_release(dev, &st);
  tb_backend_release(dev, &hist), tb_backend_release(dev, &cpb);
  free(ids);
  return 0;
}

/* The op bodies only (no CUDA-specific checks), for `--self`. */
static const tb_test_case self_cases[] = {
    {"gemm", test_gemm},           {"bias_colsum", test_bias_colsum}, {"act_mul", test_act_mul},
    {"random", test_random},       {"losses", test_losses},           {"reductions", test_reductions},
    {"gather_copy", test_gather_copy}, {"optim", test_optim},         {"tree", test_tree},
    {"hist_global", test_hist_global}, {"split_find", test_split_find}, {"forest", test_forest},
    {"segment_add", test_segment_add}, {"tree_level", test_tree_level}, {"partition_cols", test_partition_cols},
    {"softmax", test_softmax},     {"tree_stats", test_tree_stats},   {"timer", test_timer},
    {NULL, NULL}};

/* `--self` runs the op bodies with a second CPU context in the device's place: it checks the test itself (inputs,
 * comparisons, poisoning) on machines without a GPU; it says nothing about CUDA. */
int main(int argc, char **argv) {
  int self = argc > 1 && !strcmp(argv[1], "--self"), bench = argc > 1 && !strcmp(argv[1], "--bench");
  tb_device cpu = {TB_DEVICE_CPU, 0}, gpu = {TB_DEVICE_CUDA, 0};
  if (!self) {
    if (!tb_backend_cuda_built()) tb_test_skip("no CUDA GPU (this build has no CUDA backend)");
    if (tb_backend_cuda_device_count() == 0) tb_test_skip("no CUDA GPU");
  }
  if (tb_backend_open(&cpu, &g_ref) || tb_backend_open(self ? &cpu : &gpu, &g_dev)) {
    fprintf(stderr, "cannot open the backends: %s\n", tb_error_detail());
    return 1;
  }
  printf("reference: %s\ndevice:    %s\n", tb_backend_describe(g_ref), tb_backend_describe(g_dev));
  int rc = bench ? bench_run(g_dev) : tb_test_run("cuda_parity", self ? self_cases : cases);
  tb_backend_free(g_dev);
  tb_backend_free(g_ref);
  return rc;
}
