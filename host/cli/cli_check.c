/* cli_check.c: `tunebench check`: an end-to-end check of the data layer and a compute backend. It trains a
 * multinomial softmax regression (weights (d, C) and bias (C), mini-batch Adam) on a dataset through the public
 * tb_op_* ops only (gather, GEMM, bias, softmax cross-entropy, column sums, Adam, accuracy), prints the validation
 * accuracy per epoch, then the test accuracy, time and peak device memory. It is not the logistic-regression
 * learner of models/ (which has penalties, L-BFGS and the model interface); it exists so that one command shows
 * the ops composing into real training on real data. Tested by tests/test_cli.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_rng.h"

typedef struct {
  const char *data, *device;
  int epochs, batch;
  double lr;
  unsigned long long seed;
} check_opts;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Device copies of one part of the data: X (n, d) and labels (n). */
typedef struct {
  tb_buf X, y;
  size_t n;
} part;

static int upload_part(tb_backend *be, const tb_dataset *ds, const uint32_t *idx, size_t n, part *p) {
  int rc = TB_OK;
  tb_dataset *sub = NULL;
  p->n = n;
  TB_TRY(tb_dataset_subset(ds, idx, n, &sub));
  TB_TRY(tb_backend_alloc(be, n * (size_t)ds->n_cols * sizeof(float), &p->X));
  TB_TRY(tb_backend_alloc(be, n * sizeof(int32_t), &p->y));
  TB_TRY(tb_backend_upload(be, p->X.data, sub->X, p->X.bytes));
  TB_TRY(tb_backend_upload(be, p->y.data, sub->y_class, p->y.bytes));
done:
  tb_dataset_free(sub);
  return rc;
}

/* Accuracy of (W, b) on a part, in chunks of `chunk` rows using the logits scratch buffer. */
static int evaluate(tb_backend *be, const part *p, int d, int C, const float *W, const float *b, float *logits,
                    int chunk, double *acc) {
  int rc = TB_OK;
  int64_t correct = 0;
  for (size_t r = 0; r < p->n; r += (size_t)chunk) {
    int m = (int)(p->n - r < (size_t)chunk ? p->n - r : (size_t)chunk);
    int64_t c = 0;
    TB_TRY(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, m, C, d, 1.0f, (const float *)p->X.data + r * (size_t)d, d, W, C,
                      0.0f, logits, C));
    TB_TRY(tb_op_bias_add(be, 1, m, C, logits, b));
    TB_TRY(tb_op_accuracy(be, 1, m, C, logits, (const int32_t *)p->y.data + r, &c));
    correct += c;
  }
  *acc = p->n ? (double)correct / (double)p->n : 0.0;
done:
  return rc;
}

static int run_check(const check_opts *o) {
  int rc = TB_OK;
  tb_dataset *ds = NULL;
  tb_backend *be = NULL;
  tb_splits sp = {0};
  tb_standardizer st = {0};
  part tr = {0}, va = {0}, te = {0};
  tb_buf params = {0}, grads = {0}, m1 = {0}, m2 = {0}, perm = {0}, xb = {0}, yb = {0}, logits = {0}, loss = {0};
  uint32_t *order = NULL;
  tb_device req, dev;
  char notice[256];
  double t_start = now_s();

  TB_TRY(tb_device_parse(o->device, &req));
  TB_TRY(tb_device_resolve(&req, &dev, notice, sizeof notice));
  if (notice[0]) fprintf(stderr, "tunebench check: %s\n", notice);
  TB_TRY(tb_data_load(o->data, &ds));
  if (ds->task != TB_TASK_CLASSIFICATION)
    TB_FAIL(TB_ERR_INVALID, "check: %s is a regression dataset; the check trains a classifier", o->data);
  tb_split_spec ss = tb_split_spec_default();
  ss.seed = o->seed;
  ss.valid_frac = 1.0 / 6.0;
  TB_TRY(tb_data_split(ds, &ss, &sp));
  if (!sp.n_train || !sp.n_valid || !sp.n_test) TB_FAIL(TB_ERR_INVALID, "check: %s is too small to split", o->data);
  TB_TRY(tb_standardizer_fit(ds, sp.train, sp.n_train, &st));
  TB_TRY(tb_standardizer_apply(&st, ds));
  TB_TRY(tb_backend_open(&dev, &be));
  printf("check: softmax regression on %s (%zu train, %zu valid, %zu test rows, %d features, %d classes)\n",
         o->data, sp.n_train, sp.n_valid, sp.n_test, ds->n_cols, ds->n_classes);
  printf("device: %s\n", tb_backend_describe(be));

  const int d = ds->n_cols, C = ds->n_classes, B = o->batch;
  const size_t n_w = (size_t)d * C, n_p = n_w + (size_t)C;
  TB_TRY(upload_part(be, ds, sp.train, sp.n_train, &tr));
  TB_TRY(upload_part(be, ds, sp.valid, sp.n_valid, &va));
  TB_TRY(upload_part(be, ds, sp.test, sp.n_test, &te));
  TB_TRY(tb_backend_alloc(be, n_p * sizeof(float), &params));
  TB_TRY(tb_backend_alloc(be, n_p * sizeof(float), &grads));
  TB_TRY(tb_backend_alloc(be, n_p * sizeof(float), &m1));
  TB_TRY(tb_backend_alloc(be, n_p * sizeof(float), &m2));
  TB_TRY(tb_backend_alloc(be, sp.n_train * sizeof(uint32_t), &perm));
  TB_TRY(tb_backend_alloc(be, (size_t)B * d * sizeof(float), &xb));
  TB_TRY(tb_backend_alloc(be, (size_t)B * sizeof(int32_t), &yb));
  TB_TRY(tb_backend_alloc(be, (size_t)1024 * C * sizeof(float), &logits));
  TB_TRY(tb_backend_alloc(be, (size_t)B * sizeof(float), &loss));
  float *W = params.data, *bias = W + n_w, *dW = grads.data, *db = dW + n_w;
  /* Glorot-uniform weights from the shared counter-based stream, zero bias and moments */
  float lim = sqrtf(6.0f / (float)(d + C));
  TB_TRY(tb_op_rng_uniform(be, n_w, o->seed, 0, -lim, lim, W));
  TB_TRY(tb_op_fill(be, (size_t)C, 0.0f, bias));
  TB_TRY(tb_op_fill(be, n_p, 0.0f, m1.data));
  TB_TRY(tb_op_fill(be, n_p, 0.0f, m2.data));
  order = malloc(sp.n_train * sizeof *order);
  if (!order) TB_FAIL(TB_ERR_NOMEM, "check: out of host memory");

  tb_adam_hparams hp = {.lr = (float)o->lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .step = 0};
  for (int epoch = 1; epoch <= o->epochs; epoch++) {
    double t0 = now_s(), loss_sum = 0;
    for (size_t i = 0; i < sp.n_train; i++) order[i] = (uint32_t)i;
    for (size_t i = sp.n_train - 1; i > 0; i--) { /* Fisher-Yates from the counter-based stream */
      size_t j = (size_t)(tb_rng_uniform_double(tb_rng_derive(o->seed, (uint64_t)epoch), i) * (double)(i + 1));
      uint32_t t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    TB_TRY(tb_backend_upload(be, perm.data, order, sp.n_train * sizeof *order));
    for (size_t r = 0; r < sp.n_train; r += (size_t)B) {
      int m = (int)(sp.n_train - r < (size_t)B ? sp.n_train - r : (size_t)B);
      const uint32_t *idx = (const uint32_t *)perm.data + r;
      double s;
      TB_TRY(tb_op_gather_rows(be, (size_t)m, d, tr.X.data, idx, xb.data));
      TB_TRY(tb_op_gather_i32(be, (size_t)m, tr.y.data, idx, yb.data));
      TB_TRY(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, m, C, d, 1.0f, xb.data, d, W, C, 0.0f, logits.data, C));
      TB_TRY(tb_op_bias_add(be, 1, m, C, logits.data, bias));
      TB_TRY(tb_op_softmax_xent(be, 1, m, C, logits.data, yb.data, 1.0f / (float)m, loss.data, logits.data));
      TB_TRY(tb_op_gemm(be, TB_TRANS, TB_NO_TRANS, d, C, m, 1.0f, xb.data, d, logits.data, C, 0.0f, dW, C));
      TB_TRY(tb_op_col_sum(be, 1, m, C, logits.data, 0.0f, db));
      hp.step++;
      TB_TRY(tb_op_adam_update(be, 1, n_p, W, dW, m1.data, m2.data, &hp));
      TB_TRY(tb_op_sum(be, 1, (size_t)m, loss.data, &s));
      loss_sum += s;
    }
    double acc;
    TB_TRY(evaluate(be, &va, d, C, W, bias, logits.data, 1024, &acc));
    if (!isfinite(loss_sum)) TB_FAIL(TB_ERR_RANGE, "check: training loss became %g at epoch %d", loss_sum, epoch);
    printf("epoch %d  train loss %.4f  valid acc %.4f  (%.2f s, %.0f samples/s)\n", epoch,
           loss_sum / (double)sp.n_train, acc, now_s() - t0, (double)sp.n_train / (now_s() - t0));
  }
  double test_acc;
  TB_TRY(evaluate(be, &te, d, C, W, bias, logits.data, 1024, &test_acc));
  tb_mem_stats ms;
  tb_backend_mem(be, &ms);
  printf("test acc %.4f  total %.2f s  peak device memory %.1f MiB  parameters %zu\n", test_acc,
         now_s() - t_start, (double)ms.bytes_peak / 1048576.0, n_p);
done:
  if (be) {
    tb_buf *bufs[] = {&tr.X, &tr.y, &va.X, &va.y, &te.X, &te.y, &params, &grads, &m1, &m2, &perm, &xb, &yb, &logits,
                      &loss};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) tb_backend_release(be, bufs[i]);
  }
  free(order);
  tb_backend_free(be);
  tb_standardizer_free(&st);
  tb_splits_free(&sp);
  tb_dataset_free(ds);
  return rc;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int tb_cli_check(int argc, char **argv) {
  check_opts o = {.data = "fashion-mnist", .device = "auto", .epochs = 3, .batch = 128, .lr = 1e-3, .seed = 0};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long n;
    if (!strcmp(a, "--data") && v) o.data = argv[++i];
    else if (!strcmp(a, "--device") && v) o.device = argv[++i];
    else if (!strcmp(a, "--epochs") && v && !parse_int(v, 1, 1000, &n)) { o.epochs = (int)n; i++; }
    else if (!strcmp(a, "--batch") && v && !parse_int(v, 1, 65536, &n)) { o.batch = (int)n; i++; }
    else if (!strcmp(a, "--seed") && v && !parse_int(v, 0, 2147483647L, &n)) { o.seed = (unsigned long long)n; i++; }
    else {
      return tb_cli_usage_error("check", "bad argument '%s'%s (--epochs 1..1000, --batch 1..65536)", a,
                                v ? "" : " (missing value?)");
    }
  }
  int rc = run_check(&o);
  return rc < 0 ? tb_cli_fail(rc, "check") : TB_EXIT_OK;
}
