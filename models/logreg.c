/* logreg.c: multinomial logistic regression (the learner "logreg"), classification only. Model: logits = X W + b,
 * W (d, C) row-major, b (C), softmax over the C classes; a binary problem is a 2-class softmax (same optimum as the
 * sigmoid form, one code path). Objective, as scikit-learn's with C (inverse regularisation strength):
 *   F(W, b) = mean_i logloss_i + lambda * (l1_ratio * |W|_1 + (1 - l1_ratio) / 2 * |W|_2^2),  lambda = 1 / (C n)
 * (l1: l1_ratio = 1, l2: l1_ratio = 0, none: lambda = 0); the bias is not penalised.
 * Solvers, all computing through the backend ops on device buffers:
 *   lbfgs: full batch; the training rows are gathered once; F and its gradient come from chunked GEMMs over them and
 *          the L-BFGS / OWL-QN iteration (lbfgs.c) runs on host double vectors of d*C + C values. One unit of
 *          fidelity ("epoch") = one L-BFGS iteration (one full-batch gradient plus its line search); it stops
 *          early when converged (further units do nothing).
 *   sgd:   mini-batch SGD with momentum, constant learning rate, L1 as a subgradient (weights get small, not zero).
 *   adam:  mini-batch Adam with the penalty added to the gradient.
 * Weights start at zero (the problem is convex), so the seed only drives the mini-batch order.
 * Standardising the features is the caller's job (the data layer). Not here: the shared model code (model.c).
 * Tested by tests/test_model_logreg.c (accuracy per solver, L1 sparsity, L2 shrinkage, Fashion-MNIST subset,
 * determinism, bad configurations) and tests/test_model_core.c (save/restore/copy, memory estimate). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbfgs.h"
#include "model_impl.h"
#include "tb_rng.h"

enum { SOLVER_LBFGS = 0, SOLVER_SGD = 1, SOLVER_ADAM = 2 };
enum { PEN_NONE = 0, PEN_L1 = 1, PEN_L2 = 2, PEN_ELASTICNET = 3 };

enum { HP_SOLVER, HP_PENALTY, HP_C, HP_L1_RATIO, HP_EPOCHS, HP_LR, HP_MOMENTUM, HP_BATCH_SIZE, HP_HISTORY, LOGREG_N_HP };

/* The declaration: the one range of each hyperparameter (tb_learner_check holds every configuration to it). */
static const tb_param logreg_hparams[LOGREG_N_HP] = {
    [HP_SOLVER] = {.name = "solver", .type = TB_PARAM_CATEGORICAL, .n_choices = 3, .choices = {"lbfgs", "sgd", "adam"},
                   .def = SOLVER_LBFGS,
                   .help = "lbfgs: full-batch L-BFGS (OWL-QN with L1); sgd: mini-batch with momentum; adam"},
    [HP_PENALTY] = {.name = "penalty", .type = TB_PARAM_CATEGORICAL, .n_choices = 4,
                    .choices = {"none", "l1", "l2", "elasticnet"}, .def = PEN_L2,
                    .help = "regularisation of the weights (not the bias)"},
    [HP_C] = {.name = "C", .type = TB_PARAM_FLOAT, .lo = 1e-4, .hi = 1e4, .log = 1, .def = 1.0, .parent = HP_PENALTY,
              .n_cond = 3, .cond_values = {PEN_L1, PEN_L2, PEN_ELASTICNET},
              .help = "inverse regularisation strength (scikit-learn's C): lambda = 1 / (C * n_train)"},
    [HP_L1_RATIO] = {.name = "l1_ratio", .type = TB_PARAM_FLOAT, .lo = 0, .hi = 1, .def = 0.5, .parent = HP_PENALTY,
                     .n_cond = 1, .cond_values = {PEN_ELASTICNET},
                     .help = "elastic net mixing: 1 = pure L1, 0 = pure L2"},
    [HP_EPOCHS] = {.name = "epochs", .type = TB_PARAM_INT, .lo = 1, .hi = 1000, .step = 1, .log = 1, .def = 100,
                   .help = "passes over the training rows (lbfgs: iterations)"},
    [HP_LR] = {.name = "lr", .type = TB_PARAM_FLOAT, .lo = 1e-5, .hi = 1, .log = 1, .def = 0.01, .parent = HP_SOLVER,
               .n_cond = 2, .cond_values = {SOLVER_SGD, SOLVER_ADAM}, .help = "learning rate (constant)"},
    [HP_MOMENTUM] = {.name = "momentum", .type = TB_PARAM_FLOAT, .lo = 0, .hi = 0.99, .def = 0.9, .parent = HP_SOLVER,
                     .n_cond = 1, .cond_values = {SOLVER_SGD}, .help = "SGD momentum (0: plain SGD)"},
    [HP_BATCH_SIZE] = {.name = "batch_size", .type = TB_PARAM_INT, .lo = 1, .hi = 8192, .step = 1, .log = 1,
                       .def = 256, .parent = HP_SOLVER, .n_cond = 2, .cond_values = {SOLVER_SGD, SOLVER_ADAM},
                       .help = "mini-batch rows"},
    [HP_HISTORY] = {.name = "history", .type = TB_PARAM_INT, .lo = 3, .hi = 50, .step = 1, .def = 10,
                    .parent = HP_SOLVER, .n_cond = 1, .cond_values = {SOLVER_LBFGS},
                    .help = "L-BFGS correction pairs kept"},
};

/* The learner's settings, decoded once per configuration (inactive ones at their defaults). */
typedef struct {
  int solver, penalty, batch_size, history;
  double C, l1_ratio, lr, momentum;
} logreg_params;
_Static_assert(sizeof(logreg_params) <= TB_LEARNER_PARAMS_MAX, "logreg_params outgrew TB_LEARNER_PARAMS_MAX");

static const char *logreg_decode(const double *x, void *params, char *buf, size_t len) {
  (void)buf, (void)len;
  *(logreg_params *)params = (logreg_params){
      .solver = (int)x[HP_SOLVER], .penalty = (int)x[HP_PENALTY], .batch_size = (int)x[HP_BATCH_SIZE],
      .history = (int)x[HP_HISTORY], .C = x[HP_C], .l1_ratio = x[HP_L1_RATIO], .lr = x[HP_LR],
      .momentum = x[HP_MOMENTUM]};
  return NULL;
}

typedef struct {
  int solver, d, C, n_hist;
  size_t n_w, n_p;      /* d*C weights; d*C + C parameters (W then b) */
  double lambda1, lambda2; /* L1 and L2 weights of the mean objective */
  int batch, chunk;     /* mini-batch rows; rows per full-batch / evaluation chunk */
  float lr, momentum;
  tb_buf P, G, M1, M2;  /* parameters, gradient, optimiser moments (sgd: M1; adam: M1, M2) */
  tb_buf Xtr, ytr;      /* lbfgs: the training rows, gathered once */
  tb_buf perm, loss;    /* epoch order (sgd/adam); per-row losses of the training rows */
  tb_buf xb, yb, idx, logits, lossc; /* scratch of `cap` rows */
  size_t cap;
  tb_lbfgs opt;
  float *host_p;        /* n_p floats for transfers */
  uint32_t *order;      /* n_train host rows, shuffled per epoch */
  int64_t step, epoch;
  double last_loss;
} logreg;

static logreg *impl(const tb_model *m) { return (logreg *)m->impl; }

/* Rows per chunk of the full-batch pass and evaluation: 8 MiB of features on the CPU (the chunk is read again by
 * the backward GEMM from L3; with kernels/cpu/gemm_small.c, 25 L-BFGS iterations on Fashion-MNIST on a quiet
 * machine took 1.03-1.05 s at 8 MiB, 1.08-1.21 s at 4 MiB, 1.14-1.27 s at 2 MiB: fewer fork/joins; past 8 MiB the
 * X^T P kernel falls back to OpenBLAS, slower), 16 MiB on a GPU. */
static int chunk_rows(tb_device_kind kind, int d, size_t n) {
  size_t bytes = kind == TB_DEVICE_CUDA ? ((size_t)16 << 20) : ((size_t)8 << 20);
  size_t r = bytes / ((size_t)d * sizeof(float));
  if (r < 256) r = 256;
  if (r > n) r = n;
  return (int)(r ? r : 1);
}

static void penalty_weights(const logreg_params *hp, size_t n_train, double *l1, double *l2) {
  int pen = hp->penalty;
  *l1 = *l2 = 0;
  if (pen == PEN_NONE) return;
  double lambda = 1.0 / (hp->C * (double)n_train);
  double r = pen == PEN_L1 ? 1.0 : pen == PEN_L2 ? 0.0 : hp->l1_ratio;
  *l1 = lambda * r;
  *l2 = lambda * (1.0 - r);
}

static int logreg_estimate(const void *params, size_t n_rows, int n_cols, int n_outputs, size_t *bytes) {
  const logreg_params *hp = params;
  int solver = hp->solver;
  size_t d = (size_t)n_cols, C = (size_t)n_outputs, n_p = d * C + C, f = sizeof(float);
  size_t cap = (size_t)chunk_rows(TB_DEVICE_CUDA, n_cols, n_rows); /* the larger chunk: a bound on both backends */
  if (solver != SOLVER_LBFGS) {
    size_t batch = (size_t)hp->batch_size;
    if (batch > cap) cap = batch;
  }
  size_t b = n_p * f * (solver == SOLVER_ADAM ? 4 : solver == SOLVER_SGD ? 3 : 2); /* P, G, moments */
  b += n_rows * f;                                                                  /* per-row losses */
  b += cap * (d + C + 3) * f;                                                       /* scratch */
  if (solver == SOLVER_LBFGS) b += n_rows * (d + 1) * f;                            /* gathered rows */
  else b += n_rows * sizeof(uint32_t);                                              /* epoch order */
  *bytes = b;
  return TB_OK;
}

static void logreg_destroy(tb_model *m) {
  logreg *lr = impl(m);
  if (!lr) return;
  tb_buf *bufs[] = {&lr->P, &lr->G, &lr->M1, &lr->M2, &lr->Xtr, &lr->ytr, &lr->perm, &lr->loss, &lr->xb, &lr->yb,
                    &lr->idx, &lr->logits, &lr->lossc};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) tb_backend_release(m->be, bufs[i]);
  tb_lbfgs_free(&lr->opt);
  free(lr->host_p);
  free(lr->order);
  free(lr);
  m->impl = NULL;
}

static int logreg_create(tb_model *m) {
  int rc = TB_OK;
  tb_backend *be = m->be;
  const tb_dataset *ds = tb_devdata_dataset(m->dd);
  logreg *lr = calloc(1, sizeof *lr);
  if (!lr) return tb_error_set(TB_ERR_NOMEM, "logreg: out of host memory");
  m->impl = lr;
  const logreg_params *hp = m->params;
  lr->solver = hp->solver;
  lr->d = ds->n_cols;
  lr->C = m->n_outputs;
  lr->n_w = (size_t)lr->d * (size_t)lr->C;
  lr->n_p = lr->n_w + (size_t)lr->C;
  penalty_weights(hp, m->n_train, &lr->lambda1, &lr->lambda2);
  lr->chunk = chunk_rows(tb_backend_kind(be), lr->d, m->n_train);
  lr->cap = (size_t)lr->chunk;
  const size_t f = sizeof(float), n = m->n_train, d = (size_t)lr->d, C = (size_t)lr->C;
  if (lr->solver != SOLVER_LBFGS) {
    lr->batch = hp->batch_size;
    lr->lr = (float)hp->lr;
    lr->momentum = lr->solver == SOLVER_SGD ? (float)hp->momentum : 0.0f;
    if ((size_t)lr->batch > lr->cap) lr->cap = (size_t)lr->batch;
  }
  lr->host_p = calloc(lr->n_p, f);
  if (!lr->host_p) TB_FAIL(TB_ERR_NOMEM, "logreg: out of host memory");
  TB_TRY(tb_backend_alloc(be, lr->n_p * f, &lr->P));
  TB_TRY(tb_backend_alloc(be, lr->n_p * f, &lr->G));
  TB_TRY(tb_op_fill(be, lr->n_p, 0.0f, lr->P.data));
  TB_TRY(tb_backend_alloc(be, n * f, &lr->loss));
  TB_TRY(tb_backend_alloc(be, lr->cap * d * f, &lr->xb));
  TB_TRY(tb_backend_alloc(be, lr->cap * sizeof(int32_t), &lr->yb));
  TB_TRY(tb_backend_alloc(be, lr->cap * sizeof(uint32_t), &lr->idx));
  TB_TRY(tb_backend_alloc(be, lr->cap * C * f, &lr->logits));
  TB_TRY(tb_backend_alloc(be, lr->cap * f, &lr->lossc));
  if (lr->solver == SOLVER_LBFGS) {
    lr->n_hist = hp->history;
    TB_TRY(tb_lbfgs_init(&lr->opt, (int)lr->n_p, lr->n_hist, (int)lr->n_w, lr->lambda1));
    TB_TRY(tb_backend_alloc(be, n * d * f, &lr->Xtr));
    TB_TRY(tb_backend_alloc(be, n * sizeof(int32_t), &lr->ytr));
    /* the training rows, gathered once in chunks through the idx scratch */
    for (size_t r = 0; r < n; r += lr->cap) {
      size_t c = n - r < lr->cap ? n - r : lr->cap;
      TB_TRY(tb_backend_upload(be, lr->idx.data, m->train + r, c * sizeof(uint32_t)));
      TB_TRY(tb_op_gather_rows(be, c, lr->d, tb_devdata_X(m->dd), lr->idx.data, (float *)lr->Xtr.data + r * d));
      TB_TRY(tb_op_gather_i32(be, c, tb_devdata_labels(m->dd), lr->idx.data, (int32_t *)lr->ytr.data + r));
    }
  } else {
    TB_TRY(tb_backend_alloc(be, lr->n_p * f, &lr->M1));
    TB_TRY(tb_op_fill(be, lr->n_p, 0.0f, lr->M1.data));
    if (lr->solver == SOLVER_ADAM) {
      TB_TRY(tb_backend_alloc(be, lr->n_p * f, &lr->M2));
      TB_TRY(tb_op_fill(be, lr->n_p, 0.0f, lr->M2.data));
    }
    TB_TRY(tb_backend_alloc(be, n * sizeof(uint32_t), &lr->perm));
    lr->order = malloc(n * sizeof *lr->order);
    if (!lr->order) TB_FAIL(TB_ERR_NOMEM, "logreg: out of host memory");
  }
  lr->last_loss = NAN;
done:
  return rc; /* on failure model.c calls destroy */
}

/* ---- lbfgs: the full-batch objective -------------------------------------------------------------------------- */
/* f = mean log-loss over the training rows + lambda2/2 |W|^2 and its gradient, at x (n_p doubles). The L1 term is
 * OWL-QN's (lbfgs.c). */
static int full_batch(void *ctx, const double *x, double *f, double *g) {
  int rc = TB_OK;
  tb_model *m = ctx;
  logreg *lr = impl(m);
  tb_backend *be = m->be;
  const size_t n = m->n_train, d = (size_t)lr->d;
  const int C = lr->C;
  float *W = lr->P.data, *b = W + lr->n_w, *dW = lr->G.data, *db = dW + lr->n_w;
  for (size_t i = 0; i < lr->n_p; i++) lr->host_p[i] = (float)x[i];
  TB_TRY(tb_backend_upload(be, lr->P.data, lr->host_p, lr->n_p * sizeof(float)));
  for (size_t r = 0; r < n; r += (size_t)lr->chunk) {
    int rows = (int)(n - r < (size_t)lr->chunk ? n - r : (size_t)lr->chunk);
    const float *Xc = (const float *)lr->Xtr.data + r * d;
    float beta = r ? 1.0f : 0.0f;
    TB_TRY(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, rows, C, lr->d, 1.0f, Xc, lr->d, W, C, 0.0f, lr->logits.data, C));
    TB_TRY(tb_op_bias_add(be, 1, rows, C, lr->logits.data, b));
    TB_TRY(tb_op_softmax_xent(be, 1, rows, C, lr->logits.data, (const int32_t *)lr->ytr.data + r,
                              (float)(1.0 / (double)n), (float *)lr->loss.data + r, lr->logits.data));
    TB_TRY(tb_op_gemm(be, TB_TRANS, TB_NO_TRANS, lr->d, C, rows, 1.0f, Xc, lr->d, lr->logits.data, C, beta, dW, C));
    TB_TRY(tb_op_col_sum(be, 1, rows, C, lr->logits.data, beta, db));
  }
  double s;
  TB_TRY(tb_op_sum(be, 1, n, lr->loss.data, &s));
  TB_TRY(tb_backend_download(be, lr->host_p, lr->G.data, lr->n_p * sizeof(float)));
  double reg = 0;
  for (size_t i = 0; i < lr->n_p; i++) g[i] = lr->host_p[i];
  if (lr->lambda2 > 0)
    for (size_t i = 0; i < lr->n_w; i++) {
      reg += x[i] * x[i];
      g[i] += lr->lambda2 * x[i];
    }
  lr->last_loss = s / (double)n;
  *f = lr->last_loss + 0.5 * lr->lambda2 * reg;
done:
  return rc;
}

static int train_lbfgs(tb_model *m, int units) {
  int rc = TB_OK;
  logreg *lr = impl(m);
  for (int u = 0; u < units && !lr->opt.converged; u++) TB_TRY(tb_lbfgs_step(&lr->opt, full_batch, m));
  /* the device holds the parameters of the last evaluation (maybe a rejected trial point): put back x */
  for (size_t i = 0; i < lr->n_p; i++) lr->host_p[i] = (float)lr->opt.x[i];
  TB_TRY(tb_backend_upload(m->be, lr->P.data, lr->host_p, lr->n_p * sizeof(float)));
  if (!isfinite(lr->opt.f)) TB_FAIL(TB_ERR_RANGE, "logreg: diverged (objective %g)", lr->opt.f);
done:
  return rc;
}

/* ---- sgd / adam ----------------------------------------------------------------------------------------------- */
static int train_minibatch(tb_model *m, int units) {
  int rc = TB_OK;
  logreg *lr = impl(m);
  tb_backend *be = m->be;
  const size_t n = m->n_train;
  const int d = lr->d, C = lr->C;
  float *W = lr->P.data, *b = W + lr->n_w, *dW = lr->G.data, *db = dW + lr->n_w;
  float *M1 = lr->M1.data, *M2 = lr->M2.data;
  for (int u = 0; u < units; u++) {
    lr->epoch++;
    uint64_t stream = tb_rng_derive(m->seed, (uint64_t)lr->epoch);
    memcpy(lr->order, m->train, n * sizeof *lr->order);
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates from the counter-based stream */
      size_t j = (size_t)(tb_rng_uniform_double(stream, i) * (double)(i + 1));
      uint32_t t = lr->order[i];
      lr->order[i] = lr->order[j];
      lr->order[j] = t;
    }
    TB_TRY(tb_backend_upload(be, lr->perm.data, lr->order, n * sizeof *lr->order));
    for (size_t r = 0; r < n; r += (size_t)lr->batch) {
      int rows = (int)(n - r < (size_t)lr->batch ? n - r : (size_t)lr->batch);
      const uint32_t *idx = (const uint32_t *)lr->perm.data + r;
      TB_TRY(tb_op_gather_rows(be, (size_t)rows, d, tb_devdata_X(m->dd), idx, lr->xb.data));
      TB_TRY(tb_op_gather_i32(be, (size_t)rows, tb_devdata_labels(m->dd), idx, lr->yb.data));
      TB_TRY(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, rows, C, d, 1.0f, lr->xb.data, d, W, C, 0.0f, lr->logits.data,
                        C));
      TB_TRY(tb_op_bias_add(be, 1, rows, C, lr->logits.data, b));
      TB_TRY(tb_op_softmax_xent(be, 1, rows, C, lr->logits.data, lr->yb.data, 1.0f / (float)rows,
                                (float *)lr->loss.data + r, lr->logits.data));
      TB_TRY(tb_op_gemm(be, TB_TRANS, TB_NO_TRANS, d, C, rows, 1.0f, lr->xb.data, d, lr->logits.data, C, 0.0f, dW, C));
      TB_TRY(tb_op_col_sum(be, 1, rows, C, lr->logits.data, 0.0f, db));
      lr->step++;
      if (lr->solver == SOLVER_SGD) {
        tb_sgd_hparams hw = {.lr = lr->lr, .momentum = lr->momentum, .l1 = (float)lr->lambda1,
                             .l2 = (float)lr->lambda2};
        tb_sgd_hparams hb = {.lr = lr->lr, .momentum = lr->momentum};
        TB_TRY(tb_op_sgd_update(be, 1, lr->n_w, W, dW, M1, &hw));
        TB_TRY(tb_op_sgd_update(be, 1, (size_t)C, b, db, M1 + lr->n_w, &hb));
      } else {
        tb_adam_hparams hw = {.lr = lr->lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                              .l1 = (float)lr->lambda1, .l2 = (float)lr->lambda2, .step = lr->step};
        tb_adam_hparams hb = hw;
        hb.l1 = hb.l2 = 0.0f;
        TB_TRY(tb_op_adam_update(be, 1, lr->n_w, W, dW, M1, M2, &hw));
        TB_TRY(tb_op_adam_update(be, 1, (size_t)C, b, db, M1 + lr->n_w, M2 + lr->n_w, &hb));
      }
    }
    double s;
    TB_TRY(tb_op_sum(be, 1, n, lr->loss.data, &s));
    lr->last_loss = s / (double)n;
    if (!isfinite(s)) TB_FAIL(TB_ERR_RANGE, "logreg: diverged at epoch %lld (training loss %g); lower lr",
                              (long long)lr->epoch, s);
  }
done:
  return rc;
}

static int logreg_train(tb_model *m, int units) {
  int rc = impl(m)->solver == SOLVER_LBFGS ? train_lbfgs(m, units) : train_minibatch(m, units);
  m->train_loss = impl(m)->last_loss;
  return rc;
}

/* ---- evaluation and prediction -------------------------------------------------------------------------------- */
static int logreg_evaluate(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out) {
  int rc = TB_OK;
  logreg *lr = impl(m);
  tb_backend *be = m->be;
  const int d = lr->d, C = lr->C;
  const float *W = lr->P.data, *b = W + lr->n_w;
  double loss = 0;
  int64_t correct = 0;
  for (size_t r = 0; r < n_rows; r += lr->cap) {
    int c = (int)(n_rows - r < lr->cap ? n_rows - r : lr->cap);
    double s;
    int64_t k;
    TB_TRY(tb_backend_upload(be, lr->idx.data, rows + r, (size_t)c * sizeof(uint32_t)));
    TB_TRY(tb_op_gather_rows(be, (size_t)c, d, tb_devdata_X(m->dd), lr->idx.data, lr->xb.data));
    TB_TRY(tb_op_gather_i32(be, (size_t)c, tb_devdata_labels(m->dd), lr->idx.data, lr->yb.data));
    TB_TRY(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, c, C, d, 1.0f, lr->xb.data, d, W, C, 0.0f, lr->logits.data, C));
    TB_TRY(tb_op_bias_add(be, 1, c, C, lr->logits.data, b));
    TB_TRY(tb_op_softmax_xent(be, 1, c, C, lr->logits.data, lr->yb.data, 1.0f, lr->lossc.data, NULL));
    TB_TRY(tb_op_sum(be, 1, (size_t)c, lr->lossc.data, &s));
    TB_TRY(tb_op_accuracy(be, 1, c, C, lr->logits.data, lr->yb.data, &k));
    loss += s;
    correct += k;
  }
  out->n = n_rows;
  out->loss = out->logloss = loss / (double)n_rows;
  out->accuracy = (double)correct / (double)n_rows;
  out->rmse = NAN;
done:
  return rc;
}

static int logreg_predict(tb_model *m, const float *X, size_t n, float *out) {
  int rc = TB_OK;
  logreg *lr = impl(m);
  tb_backend *be = m->be;
  const int d = lr->d, C = lr->C;
  const float *W = lr->P.data, *b = W + lr->n_w;
  TB_TRY(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, (int)n, C, d, 1.0f, X, d, W, C, 0.0f, out, C));
  TB_TRY(tb_op_bias_add(be, 1, (int)n, C, out, b));
  TB_TRY(tb_op_softmax(be, 1, (int)n, C, out, out));
done:
  return rc;
}

static size_t logreg_n_params(const tb_model *m) { return impl(m)->n_p; }

/* ---- state ------------------------------------------------------------------------------------------------------- */
/* Blob: int32 solver, d, C, history; int64 step, epoch; double last_loss; P (n_p floats); then sgd: M1, adam: M1, M2
 * (n_p floats each), lbfgs: the optimiser state (lbfgs.c). */
typedef struct {
  int32_t solver, d, C, n_hist;
  int64_t step, epoch;
  double last_loss;
} blob_head;

static size_t state_bytes(const logreg *lr) {
  size_t b = sizeof(blob_head) + lr->n_p * sizeof(float);
  if (lr->solver == SOLVER_LBFGS) b += tb_lbfgs_state_bytes(&lr->opt);
  else b += lr->n_p * sizeof(float) * (lr->solver == SOLVER_ADAM ? 2 : 1);
  return b;
}

static int logreg_save(const tb_model *m, void **blob, size_t *len) {
  int rc = TB_OK;
  const logreg *lr = impl(m);
  size_t total = state_bytes(lr), fb = lr->n_p * sizeof(float);
  unsigned char *p = malloc(total), *q = p;
  if (!p) return tb_error_set(TB_ERR_NOMEM, "logreg save: out of host memory");
  blob_head h = {lr->solver, lr->d, lr->C, lr->n_hist, lr->step, lr->epoch, lr->last_loss};
  memcpy(q, &h, sizeof h);
  q += sizeof h;
  TB_TRY(tb_backend_download(m->be, q, lr->P.data, fb));
  q += fb;
  if (lr->solver == SOLVER_LBFGS) tb_lbfgs_save(&lr->opt, q);
  else {
    TB_TRY(tb_backend_download(m->be, q, lr->M1.data, fb));
    q += fb;
    if (lr->solver == SOLVER_ADAM) TB_TRY(tb_backend_download(m->be, q, lr->M2.data, fb));
  }
  *blob = p;
  *len = total;
  p = NULL;
done:
  free(p);
  return rc;
}

static int logreg_restore(tb_model *m, const void *blob, size_t len) {
  int rc = TB_OK;
  logreg *lr = impl(m);
  static const char *names[] = {"lbfgs", "sgd", "adam"};
  blob_head h;
  size_t fb = lr->n_p * sizeof(float);
  if (len < sizeof h) return tb_error_set(TB_ERR_FORMAT, "logreg restore: state too short (%zu bytes)", len);
  memcpy(&h, blob, sizeof h);
  if (h.solver != lr->solver || h.d != lr->d || h.C != lr->C || h.n_hist != lr->n_hist)
    return tb_error_set(TB_ERR_INVALID, "logreg restore: the state is of solver %s with %d features, %d classes, "
                        "history %d; this model is %s, %d, %d, %d", h.solver >= 0 && h.solver < 3 ? names[h.solver]
                        : "?", h.d, h.C, h.n_hist, names[lr->solver], lr->d, lr->C, lr->n_hist);
  if (len != state_bytes(lr))
    return tb_error_set(TB_ERR_FORMAT, "logreg restore: state is %zu bytes, expected %zu", len, state_bytes(lr));
  const unsigned char *q = (const unsigned char *)blob + sizeof h;
  TB_TRY(tb_backend_upload(m->be, lr->P.data, q, fb));
  q += fb;
  if (lr->solver == SOLVER_LBFGS) tb_lbfgs_restore(&lr->opt, q);
  else {
    TB_TRY(tb_backend_upload(m->be, lr->M1.data, q, fb));
    q += fb;
    if (lr->solver == SOLVER_ADAM) TB_TRY(tb_backend_upload(m->be, lr->M2.data, q, fb));
  }
  lr->step = h.step;
  lr->epoch = h.epoch;
  lr->last_loss = h.last_loss;
done:
  return rc;
}

const tb_learner tb_learner_logreg = {
    .name = "logreg",
    .refuses_missing = 1,
    .fidelity_unit = "epochs",
    .tasks = 1 << TB_TASK_CLASSIFICATION,
    .n_hparams = LOGREG_N_HP,
    .hparams = logreg_hparams,
    .params_size = sizeof(logreg_params),
    .decode = logreg_decode,
    .estimate_bytes = logreg_estimate,
    .create = logreg_create,
    .train = logreg_train,
    .evaluate = logreg_evaluate,
    .predict_device = logreg_predict,
    .n_params = logreg_n_params,
    .save = logreg_save,
    .restore = logreg_restore,
    .destroy = logreg_destroy,
};
