/* mlp_train.c: the MLP's computation, through tb_op_* only so the same code runs on every backend: forward (GEMM,
 * bias, activation, inverted dropout with a kept mask), backward (softmax cross-entropy or squared-error gradient,
 * GEMMs for dW and dX, column sums for db, activation derivative, mask), one optimizer call per update over the
 * single parameter vector, the learning-rate schedules, chunked evaluation and prediction.
 * Regression: the network predicts (y - y_mean) / y_std of the training targets; its last step outputs
 * y_std * z + y_mean, and the squared error is scaled by 1 / y_std so the gradient reaching z is that of the
 * standardised problem while losses and RMSE are in the targets' own units.
 * Not here: declarations, buffers, save/restore (mlp.c). Tested by tests/test_model_mlp.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_impl.h"
#include "tb_rng.h"

double tb_mlp_lr_at(const tb_mlp_config *c, int64_t t, int64_t per_epoch) {
  if (per_epoch < 1) per_epoch = 1;
  switch (c->schedule) {
  case TB_MLP_SCHED_STEP: return c->lr * pow(c->gamma, (double)(((t - 1) / per_epoch) / c->step_size));
  case TB_MLP_SCHED_COSINE: {
    double horizon = (double)c->epochs * (double)per_epoch, done = (double)(t - 1);
    if (done > horizon) done = horizon;
    return c->lr * 0.5 * (1.0 + cos(M_PI * done / horizon));
  }
  case TB_MLP_SCHED_ANNEAL: return c->lr * c->anneal_t0 / fmax((double)t, c->anneal_t0);
  default: return c->lr;
  }
}

/* Forward pass of m rows X (m, d) (row stride d); `train` applies dropout. The outputs z (m, n_out) land in p->out.
 * Hidden layer l keeps its activation in act[l] (and, with dropout, the dropped copy in drop[l] and the mask). */
static int forward(tb_model *m, tb_mlp *p, const float *X, int rows, int train) {
  int rc = TB_OK;
  const float *W = p->params.data, *in = X;
  const int use_drop = train && p->cfg.dropout > 0;
  const float pd = (float)p->cfg.dropout;
  for (int l = 0; l < p->n_lin; l++) {
    const int fi = p->fan_in[l], fo = p->fan_out[l];
    float *z = l == p->n_lin - 1 ? p->out.data : p->act[l].data;
    TB_TRY(tb_op_gemm(m->be, TB_NO_TRANS, TB_NO_TRANS, rows, fo, fi, 1.0f, in, fi, W + p->w_off[l], fo, 0.0f, z, fo));
    TB_TRY(tb_op_bias_add(m->be, 1, rows, fo, z, W + p->b_off[l]));
    if (l == p->n_lin - 1) break;
    size_t n = (size_t)rows * (size_t)fo;
    TB_TRY(tb_op_act_forward(m->be, p->cfg.act, n, z, z));
    in = z;
    if (use_drop) {
      TB_TRY(tb_op_dropout_forward(m->be, 1, n, &pd, p->seed_drop, p->drop_pos, z, p->drop[l].data,
                                   p->mask[l].data));
      p->drop_pos += n;
      in = p->drop[l].data;
    }
  }
done:
  return rc;
}

/* Regression head: pred (rows) = y_std * out + y_mean (a K=1 GEMM against the constant 1, then a bias). */
static int regression_output(tb_model *m, tb_mlp *p, int rows, float *pred) {
  int rc = TB_OK;
  const float *one = p->cst.data;
  TB_TRY(tb_op_gemm(m->be, TB_NO_TRANS, TB_NO_TRANS, rows, 1, 1, p->y_std, p->out.data, 1, one, 1, 0.0f, pred, 1));
  TB_TRY(tb_op_bias_add(m->be, 1, rows, 1, pred, one + 1));
done:
  return rc;
}

/* Backward pass of `rows` rows whose input was X and whose output gradient dz (rows, n_out) is given; writes
 * every parameter's gradient into p->grads. */
static int backward(tb_model *m, tb_mlp *p, const float *X, int rows, const float *dz) {
  int rc = TB_OK;
  const float *W = p->params.data;
  float *G = p->grads.data;
  const float *g = dz;
  const int use_drop = p->cfg.dropout > 0;
  for (int l = p->n_lin - 1; l >= 0; l--) {
    const int fi = p->fan_in[l], fo = p->fan_out[l];
    const float *in = l == 0 ? X : use_drop ? p->drop[l - 1].data : p->act[l - 1].data;
    /* dW (fi, fo) = in^T g; db (fo) = column sums of g */
    TB_TRY(tb_op_gemm(m->be, TB_TRANS, TB_NO_TRANS, fi, fo, rows, 1.0f, in, fi, g, fo, 0.0f, G + p->w_off[l], fo));
    TB_TRY(tb_op_col_sum(m->be, 1, rows, fo, g, 0.0f, G + p->b_off[l]));
    if (l == 0) break;
    /* d in (rows, fi) = g W^T, then through the dropout mask and the activation of hidden layer l-1 */
    float *dh = p->dh[l % 2].data;
    size_t n = (size_t)rows * (size_t)fi;
    TB_TRY(tb_op_gemm(m->be, TB_NO_TRANS, TB_TRANS, rows, fi, fo, 1.0f, g, fo, W + p->w_off[l], fo, 0.0f, dh, fi));
    if (use_drop) TB_TRY(tb_op_mul(m->be, n, dh, p->mask[l - 1].data, dh));
    TB_TRY(tb_op_act_backward(m->be, p->cfg.act, n, p->act[l - 1].data, dh, dh));
    g = dh;
  }
done:
  return rc;
}

/* One optimizer call over the whole parameter vector at update t (1-based). */
static int update(tb_model *m, tb_mlp *p, double lr) {
  const tb_mlp_config *c = &p->cfg;
  if (c->optimizer >= TB_MLP_OPT_ADAM) {
    tb_adam_hparams hp = {.lr = (float)lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .step = p->step};
    if (c->optimizer == TB_MLP_OPT_ADAMW) hp.weight_decay = (float)c->weight_decay;
    else hp.l2 = (float)c->weight_decay;
    return tb_op_adam_update(m->be, 1, p->n_params, p->params.data, p->grads.data, p->mom1.data, p->mom2.data, &hp);
  }
  tb_sgd_hparams hp = {.lr = (float)lr, .l2 = (float)c->weight_decay};
  if (c->optimizer != TB_MLP_OPT_SGD) {
    hp.momentum = (float)c->momentum;
    hp.nesterov = c->optimizer == TB_MLP_OPT_NESTEROV;
  }
  return tb_op_sgd_update(m->be, 1, p->n_params, p->params.data, p->grads.data,
                          p->n_moments ? (float *)p->mom1.data : NULL, &hp);
}

/* order = a permutation of 0..n-1 that depends only on (seed, epoch): Fisher-Yates from the counter stream. */
static void shuffle(uint32_t *order, size_t n, uint64_t seed, int64_t epoch) {
  uint64_t s = tb_rng_derive(seed, (uint64_t)epoch);
  for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
  for (size_t i = n - 1; n > 1 && i > 0; i--) {
    size_t j = (size_t)(tb_rng_uniform_double(s, i) * (double)(i + 1));
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

static int train_epoch(tb_model *m, tb_mlp *p) {
  int rc = TB_OK;
  const size_t n = m->n_train, B = (size_t)p->cfg.batch_size;
  const int64_t passes = tb_mlp_passes(n, (int)B, p->cfg.min_updates);
  const int64_t per_epoch = passes * (int64_t)((n + B - 1) / B); /* updates per epoch */
  const int d = p->d;
  const float *X = tb_devdata_X(m->dd);
  double loss_sum = 0;
  for (int64_t q = 0; q < passes; q++) {
    shuffle(p->order, n, p->seed_shuffle, p->epoch * passes + q);
    for (size_t i = 0; i < n; i++) p->order[i] = m->train[p->order[i]];
    TB_TRY(tb_backend_upload_async(m->be, p->perm.data, p->order, n * sizeof *p->order));
    for (size_t r = 0; r < n; r += B) {
      const int rows = (int)(n - r < B ? n - r : B);
      const uint32_t *idx = (const uint32_t *)p->perm.data + r;
      float *loss_rows = (float *)p->loss.data + r;
      const float *dz;
      TB_TRY(tb_op_gather_rows(m->be, (size_t)rows, d, X, idx, p->xb.data));
      if (p->regression)
        TB_TRY(tb_op_gather_rows(m->be, (size_t)rows, 1, tb_devdata_targets(m->dd), idx, p->yb.data));
      else TB_TRY(tb_op_gather_i32(m->be, (size_t)rows, tb_devdata_labels(m->dd), idx, p->yb.data));
      TB_TRY(forward(m, p, p->xb.data, rows, 1));
      if (p->regression) { /* d loss / d z = (pred - y) y_std / (rows y_std^2) */
        TB_TRY(regression_output(m, p, rows, p->pred.data));
        TB_TRY(tb_op_sq_err(m->be, 1, rows, 1, p->pred.data, p->yb.data, 1.0f / ((float)rows * p->y_std), loss_rows,
                            p->pred.data));
        dz = p->pred.data;
      } else {
        TB_TRY(tb_op_softmax_xent(m->be, 1, rows, p->n_out, p->out.data, p->yb.data, 1.0f / (float)rows, loss_rows,
                                  p->out.data));
        dz = p->out.data;
      }
      TB_TRY(backward(m, p, p->xb.data, rows, dz));
      p->step++;
      TB_TRY(update(m, p, tb_mlp_lr_at(&p->cfg, p->step, per_epoch)));
    }
  }
  /* one host sync per epoch: the sum of the per-row losses of this epoch's last pass */
  TB_TRY(tb_op_sum(m->be, 1, n, p->loss.data, &loss_sum));
  p->epoch++;
  m->train_loss = loss_sum / (double)n;
  if (tb_mlp_diverged(m->train_loss, p->regression, p->n_out, p->y_std))
    TB_FAIL(TB_ERR_RANGE, "mlp: diverged: mean training loss is %g at epoch %lld, over %g times the trivial "
            "predictor's (lower lr?)", m->train_loss, (long long)p->epoch, TB_MLP_DIVERGED_FACTOR);
done:
  return rc;
}

int tb_mlp_train(tb_model *m, int units) {
  int rc = TB_OK;
  tb_mlp *p = m->impl;
  for (int e = 0; e < units; e++) TB_TRY(train_epoch(m, p));
done:
  return rc;
}

/* buf holds at least `bytes` (grown, never shrunk: evaluations after the largest one allocate nothing). */
static int ensure_buf(tb_backend *be, tb_buf *buf, size_t bytes) {
  if (buf->bytes >= bytes) return TB_OK;
  tb_backend_release(be, buf);
  return tb_backend_alloc(be, bytes, buf);
}

/* Chunks of p->rows rows queue gather, forward and loss (into ev_loss) and argmax (into ev_pred) on the device after
 * one queued upload of the rows; the host waits twice in all: the loss sum and the argmax download (counted against
 * the host labels). */
int tb_mlp_evaluate(tb_model *m, const uint32_t *rows, size_t n_rows, tb_metrics *out) {
  int rc = TB_OK;
  tb_mlp *p = m->impl;
  const size_t R = (size_t)p->rows;
  double loss_sum = 0;
  int64_t correct = 0;
  int32_t *pred_host = NULL;
  if (!n_rows) goto metrics; /* no rows: NaN loss and accuracy, as 0 / 0 gives */
  TB_TRY(ensure_buf(m->be, &p->ev_idx, n_rows * sizeof *rows));
  TB_TRY(ensure_buf(m->be, &p->ev_loss, n_rows * sizeof(float)));
  if (!p->regression) TB_TRY(ensure_buf(m->be, &p->ev_pred, n_rows * sizeof(int32_t)));
  TB_TRY(tb_backend_upload_async(m->be, p->ev_idx.data, rows, n_rows * sizeof *rows));
  for (size_t r = 0; r < n_rows; r += R) {
    const int c = (int)(n_rows - r < R ? n_rows - r : R);
    const uint32_t *idx = (const uint32_t *)p->ev_idx.data + r;
    float *loss_rows = (float *)p->ev_loss.data + r;
    TB_TRY(tb_op_gather_rows(m->be, (size_t)c, p->d, tb_devdata_X(m->dd), idx, p->xb.data));
    if (p->regression) TB_TRY(tb_op_gather_rows(m->be, (size_t)c, 1, tb_devdata_targets(m->dd), idx, p->yb.data));
    else TB_TRY(tb_op_gather_i32(m->be, (size_t)c, tb_devdata_labels(m->dd), idx, p->yb.data));
    TB_TRY(forward(m, p, p->xb.data, c, 0));
    if (p->regression) {
      TB_TRY(regression_output(m, p, c, p->pred.data));
      TB_TRY(tb_op_sq_err(m->be, 1, c, 1, p->pred.data, p->yb.data, 1.0f, loss_rows, NULL));
    } else {
      TB_TRY(tb_op_softmax_xent(m->be, 1, c, p->n_out, p->out.data, p->yb.data, 1.0f, loss_rows, NULL));
      TB_TRY(tb_op_argmax(m->be, c, p->n_out, p->out.data, (int32_t *)p->ev_pred.data + r));
    }
  }
  TB_TRY(tb_op_sum(m->be, 1, n_rows, p->ev_loss.data, &loss_sum));
  if (!p->regression) {
    const int32_t *y = tb_devdata_dataset(m->dd)->y_class;
    pred_host = malloc(n_rows * sizeof *pred_host);
    if (!pred_host) TB_FAIL(TB_ERR_NOMEM, "mlp: out of host memory (%zu rows)", n_rows);
    TB_TRY(tb_backend_download(m->be, pred_host, p->ev_pred.data, n_rows * sizeof *pred_host));
    for (size_t i = 0; i < n_rows; i++) correct += pred_host[i] == y[rows[i]];
  }
metrics:
  out->n = n_rows;
  out->loss = loss_sum / (double)n_rows;
  if (p->regression) {
    out->rmse = sqrt(2.0 * out->loss);
    out->accuracy = out->logloss = NAN;
  } else {
    out->logloss = out->loss;
    out->accuracy = (double)correct / (double)n_rows;
    out->rmse = NAN;
  }
done:
  free(pred_host);
  return rc;
}

/* Class probabilities of the logits in p->out (rows, k) into probs (tb_op_softmax). */
static int class_probs(tb_model *m, tb_mlp *p, int rows, float *probs) {
  return tb_op_softmax(m->be, 1, rows, p->n_out, p->out.data, probs);
}

int tb_mlp_predict_device(tb_model *m, const float *X, size_t n, float *out) {
  int rc = TB_OK;
  tb_mlp *p = m->impl;
  const size_t R = (size_t)p->rows, k = (size_t)p->n_out;
  for (size_t r = 0; r < n; r += R) {
    const int c = (int)(n - r < R ? n - r : R);
    TB_TRY(forward(m, p, X + r * (size_t)p->d, c, 0));
    if (p->regression) TB_TRY(regression_output(m, p, c, out + r));
    else TB_TRY(class_probs(m, p, c, out + r * k));
  }
done:
  return rc;
}
