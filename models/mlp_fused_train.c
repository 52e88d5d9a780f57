/* mlp_fused_train.c: the batched computation of fused MLP trials: one epoch of every active member and their
 * evaluation, through tb_op_* only (so the same code runs on every backend). Each step is the solo MLP's step
 * (models/mlp_train.c) done for n_active members at once, in the same order of float operations per member:
 *   - mini-batches: each member shuffles with its own seed and epoch (the solo Fisher-Yates below); the epoch's
 *     row lists are laid out batch-major, so one gather fills (n_active, rows, d) for a batch;
 *   - forward/backward: one strided-batched GEMM per product, bias add and column sums with K = n_active, one
 *     activation call over all members; the loss and its gradient treat the n_active * rows rows as one block
 *     (each member's own labels), scaled by 1 / rows as a solo batch is;
 *   - dropout: one call per member (its own seed and stream position); a member with dropout 0 in a bundle that
 *     uses dropout gets mask 1, which changes no bit (x * 1 = x);
 *   - updates: one optimizer call per tensor for all members, with per-member lr (its schedule at its own step),
 *     momentum, weight decay and Adam step. A plain-SGD member writes the velocity buffer (v = g) without using it.
 * Evaluation shares the input: the first layer's GEMM reads the one gathered chunk with batch stride 0.
 * Not here: creation, slots, extraction (mlp_fused.c). Tested by tests/test_model_fused.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_fused_impl.h"
#include "tb_rng.h"

/* The solo MLP's shuffle (mlp_train.c), repeated here because a member must see exactly its solo batches:
 * order = a permutation of 0..n-1 that depends only on (seed, epoch). test_model_fused.c catches any drift. */
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

static int any_dropout(const tb_fused *f) {
  for (int s = 0; s < f->n_active; s++)
    if (f->m[f->member[s]].cfg.dropout > 0) return 1;
  return 0;
}

/* Forward pass of A members over `rows` rows each; member s's input is X + s * x_stride (x_stride 0: one input
 * shared by all). Outputs z (A, rows, n_out) land in f->out; hidden activations in act_ (and drop/mask). */
static int forward(tb_fused *f, const float *X, long long x_stride, int rows, int train, int use_drop) {
  int rc = TB_OK;
  const int A = f->n_active;
  const float *P = f->params.data, *in = X;
  long long in_stride = x_stride;
  for (int l = 0; l < f->n_lin; l++) {
    const int fi = f->fan_in[l], fo = f->fan_out[l];
    float *z = l == f->n_lin - 1 ? f->out.data : f->act_[l].data;
    const long long zs = (long long)rows * fo;
    TB_TRY(tb_op_gemm_batched(f->be, TB_NO_TRANS, TB_NO_TRANS, rows, fo, fi, 1.0f, in, fi, in_stride,
                              P + f->t_off[2 * l], fo, (long long)fi * fo, 0.0f, z, fo, zs, A));
    TB_TRY(tb_op_bias_add(f->be, A, rows, fo, z, P + f->t_off[2 * l + 1]));
    if (l == f->n_lin - 1) break;
    TB_TRY(tb_op_act_forward(f->be, f->act, (size_t)A * (size_t)zs, z, z));
    in = z;
    in_stride = zs;
    if (train && use_drop) {
      float *dr = f->drop[l].data, *mk = f->mask[l].data;
      for (int s = 0; s < A; s++) {
        tb_fused_member *mb = &f->m[f->member[s]];
        const float pd = (float)mb->cfg.dropout;
        const size_t o = (size_t)s * (size_t)zs;
        TB_TRY(tb_op_dropout_forward(f->be, 1, (size_t)zs, &pd, mb->seed_drop, mb->drop_pos, z + o, dr + o, mk + o));
        if (mb->cfg.dropout > 0) mb->drop_pos += (uint64_t)zs; /* a solo model without dropout draws nothing */
      }
      in = dr;
    }
  }
done:
  return rc;
}

/* Regression head over n rows (all members): pred = y_std * out + y_mean, as the solo model computes it. */
static int regression_output(tb_fused *f, int n, float *pred) {
  int rc = TB_OK;
  const float *one = f->cst.data;
  TB_TRY(tb_op_gemm(f->be, TB_NO_TRANS, TB_NO_TRANS, n, 1, 1, f->y_std, f->out.data, 1, one, 1, 0.0f, pred, 1));
  TB_TRY(tb_op_bias_add(f->be, 1, n, 1, pred, one + 1));
done:
  return rc;
}

/* Backward pass of A members whose inputs were X (A, rows, d) and output gradients dz (A, rows, n_out). */
static int backward(tb_fused *f, const float *X, int rows, const float *dz, int use_drop) {
  int rc = TB_OK;
  const int A = f->n_active;
  const float *P = f->params.data, *g = dz;
  float *G = f->grads.data;
  for (int l = f->n_lin - 1; l >= 0; l--) {
    const int fi = f->fan_in[l], fo = f->fan_out[l];
    const float *in = l == 0 ? X : use_drop ? f->drop[l - 1].data : f->act_[l - 1].data;
    const long long is = (long long)rows * fi, gs = (long long)rows * fo, ws = (long long)fi * fo;
    /* dW_s (fi, fo) = in_s^T g_s; db_s (fo) = column sums of g_s */
    TB_TRY(tb_op_gemm_batched(f->be, TB_TRANS, TB_NO_TRANS, fi, fo, rows, 1.0f, in, fi, is, g, fo, gs, 0.0f,
                              G + f->t_off[2 * l], fo, ws, A));
    TB_TRY(tb_op_col_sum(f->be, A, rows, fo, g, 0.0f, G + f->t_off[2 * l + 1]));
    if (l == 0) break;
    float *dh = f->dh[l % 2].data;
    const size_t n = (size_t)A * (size_t)is;
    TB_TRY(tb_op_gemm_batched(f->be, TB_NO_TRANS, TB_TRANS, rows, fi, fo, 1.0f, g, fo, gs, P + f->t_off[2 * l], fo, ws,
                              0.0f, dh, fi, is, A));
    if (use_drop) TB_TRY(tb_op_mul(f->be, n, dh, f->mask[l - 1].data, dh));
    TB_TRY(tb_op_act_backward(f->be, f->act, n, f->act_[l - 1].data, dh, dh));
    g = dh;
  }
done:
  return rc;
}

/* One update of every active member: its step count advances and its schedule gives this step's lr; then one
 * optimizer call per tensor with the members' hyperparameters (the solo update() of mlp_train.c, per member). */
static int update(tb_fused *f, int64_t per_epoch, tb_sgd_hparams *hs, tb_adam_hparams *ha) {
  int rc = TB_OK;
  const int A = f->n_active;
  for (int s = 0; s < A; s++) {
    tb_fused_member *mb = &f->m[f->member[s]];
    const tb_mlp_config *c = &mb->cfg;
    mb->step++;
    const float lr = (float)tb_mlp_lr_at(c, mb->step, per_epoch);
    if (f->adam) {
      ha[s] = (tb_adam_hparams){.lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .step = mb->step};
      if (c->optimizer == TB_MLP_OPT_ADAMW) ha[s].weight_decay = (float)c->weight_decay;
      else ha[s].l2 = (float)c->weight_decay;
    } else {
      hs[s] = (tb_sgd_hparams){.lr = lr, .l2 = (float)c->weight_decay};
      if (c->optimizer != TB_MLP_OPT_SGD) {
        hs[s].momentum = (float)c->momentum;
        hs[s].nesterov = c->optimizer == TB_MLP_OPT_NESTEROV;
      }
    }
  }
  for (int t = 0; t < f->n_t; t++) {
    float *W = (float *)f->params.data + f->t_off[t], *V1 = (float *)f->mom1.data + f->t_off[t];
    const float *G = (const float *)f->grads.data + f->t_off[t];
    if (f->adam)
      TB_TRY(tb_op_adam_update(f->be, A, f->t_len[t], W, G, V1, (float *)f->mom2.data + f->t_off[t], ha));
    else
      TB_TRY(tb_op_sgd_update(f->be, A, f->t_len[t], W, G, V1, hs));
  }
done:
  return rc;
}

/* Each active member's epoch row order, batch-major: batch at r (rows = min(B, n - r)) holds member s's rows at
 * r * A + s * rows. */
static int upload_epoch_order(tb_fused *f, int64_t passes, int64_t q) {
  const size_t n = f->n_train, B = (size_t)f->batch, A = (size_t)f->n_active;
  for (size_t s = 0; s < A; s++) {
    const tb_fused_member *mb = &f->m[f->member[s]];
    shuffle(f->order_one, n, mb->seed_shuffle, mb->epoch * passes + q); /* pass q: as the solo model */
    for (size_t r = 0; r < n; r += B) {
      const size_t rows = n - r < B ? n - r : B;
      uint32_t *dst = f->order + r * A + s * rows;
      for (size_t i = 0; i < rows; i++) dst[i] = f->train[f->order_one[r + i]];
    }
  }
  return tb_backend_upload_async(f->be, f->perm.data, f->order, A * n * sizeof *f->order);
}

/* Sum of each active member's per-row losses of the epoch (f->loss, in the batch-major layout) into
 * train_loss (mean). Host sync: two tb_op_sum calls (the full batches, then the last partial one). */
static int epoch_losses(tb_fused *f) {
  int rc = TB_OK;
  const size_t n = f->n_train, B = (size_t)f->batch, A = (size_t)f->n_active, full = n / B, last = n - full * B;
  const float *loss = f->loss.data;
  if (full) TB_TRY(tb_op_sum(f->be, (int)(full * A), B, loss, f->sums));
  if (last) TB_TRY(tb_op_sum(f->be, (int)A, last, loss + full * B * A, f->sums + full * A));
  for (size_t s = 0; s < A; s++) {
    double tot = 0;
    for (size_t b = 0; b < full; b++) tot += f->sums[b * A + s];
    if (last) tot += f->sums[full * A + s];
    f->m[f->member[s]].train_loss = tot / (double)n;
  }
done:
  return rc;
}

int tb_fused_train_epoch(tb_fused *f) {
  int rc = TB_OK;
  const size_t n = f->n_train, B = (size_t)f->batch;
  const int A = f->n_active, d = f->d, use_drop = any_dropout(f);
  const int64_t passes = tb_mlp_passes(n, (int)B, f->min_updates);
  const int64_t per_epoch = passes * (int64_t)((n + B - 1) / B); /* updates per epoch */
  const float *X = tb_devdata_X(f->dd);
  tb_sgd_hparams *hs = calloc((size_t)A, sizeof *hs);
  tb_adam_hparams *ha = calloc((size_t)A, sizeof *ha);
  if (!hs || !ha) TB_FAIL(TB_ERR_NOMEM, "fused train: out of host memory");
  for (int64_t q = 0; q < passes; q++) { /* as many passes as the solo model (tb_mlp_passes) */
    TB_TRY(upload_epoch_order(f, passes, q));
    for (size_t r = 0; r < n; r += B) {
      const int rows = (int)(n - r < B ? n - r : B);
      const size_t nr = (size_t)A * (size_t)rows;
      const uint32_t *idx = (const uint32_t *)f->perm.data + r * (size_t)A;
      float *loss_rows = (float *)f->loss.data + r * (size_t)A;
      const float *dz;
      TB_TRY(tb_op_gather_rows(f->be, nr, d, X, idx, f->xb.data));
      if (f->regression) TB_TRY(tb_op_gather_rows(f->be, nr, 1, tb_devdata_targets(f->dd), idx, f->yb.data));
      else TB_TRY(tb_op_gather_i32(f->be, nr, tb_devdata_labels(f->dd), idx, f->yb.data));
      TB_TRY(forward(f, f->xb.data, (long long)rows * d, rows, 1, use_drop));
      if (f->regression) { /* as the solo model: d loss / d z = (pred - y) y_std / (rows y_std^2) */
        TB_TRY(regression_output(f, (int)nr, f->pred.data));
        TB_TRY(tb_op_sq_err(f->be, 1, (int)nr, 1, f->pred.data, f->yb.data, 1.0f / ((float)rows * f->y_std),
                            loss_rows, f->pred.data));
        dz = f->pred.data;
      } else {
        TB_TRY(tb_op_softmax_xent(f->be, 1, (int)nr, f->n_out, f->out.data, f->yb.data, 1.0f / (float)rows, loss_rows,
                                  f->out.data));
        dz = f->out.data;
      }
      TB_TRY(backward(f, f->xb.data, rows, dz, use_drop));
      TB_TRY(update(f, per_epoch, hs, ha));
    }
  }
  TB_TRY(epoch_losses(f));
  for (int s = 0; s < A; s++) f->m[f->member[s]].epoch++;
done:
  free(hs);
  free(ha);
  return rc;
}

/* buf holds at least `bytes` (grown, never shrunk). */
static int ensure_buf(tb_backend *be, tb_buf *buf, size_t bytes) {
  if (buf->bytes >= bytes) return TB_OK;
  tb_backend_release(be, buf);
  return tb_backend_alloc(be, bytes, buf);
}

/* Chunks queue gather, forward, the losses (copied into ev_loss, member-major) and each member's argmax (into
 * ev_pred) on the device after one queued upload of the rows; the host waits twice in all: the members' loss sums
 * and the argmax download (counted against the host labels). */
int tb_fused_eval_active(tb_fused *f, const uint32_t *rows, size_t n_rows, tb_metrics *out) {
  int rc = TB_OK;
  const int A = f->n_active;
  const size_t R = (size_t)f->rows;
  double *loss_sum = calloc((size_t)A, sizeof *loss_sum);
  int64_t *correct = calloc((size_t)A, sizeof *correct);
  int32_t *pred = NULL;
  if (!loss_sum || !correct) TB_FAIL(TB_ERR_NOMEM, "fused evaluate: out of host memory");
  TB_TRY(ensure_buf(f->be, &f->ev_idx, n_rows * sizeof *rows));
  TB_TRY(ensure_buf(f->be, &f->ev_loss, (size_t)A * n_rows * sizeof(float)));
  if (!f->regression) TB_TRY(ensure_buf(f->be, &f->ev_pred, (size_t)A * n_rows * sizeof(int32_t)));
  TB_TRY(tb_backend_upload_async(f->be, f->ev_idx.data, rows, n_rows * sizeof *rows));
  for (size_t r = 0; r < n_rows; r += R) {
    const int c = (int)(n_rows - r < R ? n_rows - r : R);
    const uint32_t *idx = (const uint32_t *)f->ev_idx.data + r;
    TB_TRY(tb_op_gather_rows(f->be, (size_t)c, f->d, tb_devdata_X(f->dd), idx, f->xb.data));
    if (f->regression) TB_TRY(tb_op_gather_rows(f->be, (size_t)c, 1, tb_devdata_targets(f->dd), idx, f->yb.data));
    else TB_TRY(tb_op_gather_i32(f->be, (size_t)c, tb_devdata_labels(f->dd), idx, f->yb.data));
    TB_TRY(forward(f, f->xb.data, 0, c, 0, 0));
    if (f->regression) {
      TB_TRY(regression_output(f, A * c, f->pred.data));
      TB_TRY(tb_op_sq_err(f->be, A, c, 1, f->pred.data, f->yb.data, 1.0f, f->loss.data, NULL));
    } else {
      TB_TRY(tb_op_softmax_xent(f->be, A, c, f->n_out, f->out.data, f->yb.data, 1.0f, f->loss.data, NULL));
    }
    for (int k = 0; k < A; k++) {
      TB_TRY(tb_backend_copy(f->be, (float *)f->ev_loss.data + (size_t)k * n_rows + r,
                             (const float *)f->loss.data + (size_t)k * c, (size_t)c * sizeof(float)));
      if (!f->regression)
        TB_TRY(tb_op_argmax(f->be, c, f->n_out, (const float *)f->out.data + (size_t)k * c * f->n_out,
                            (int32_t *)f->ev_pred.data + (size_t)k * n_rows + r));
    }
  }
  TB_TRY(tb_op_sum(f->be, A, n_rows, f->ev_loss.data, loss_sum));
  if (!f->regression) {
    const int32_t *y = tb_devdata_dataset(f->dd)->y_class;
    pred = malloc((size_t)A * n_rows * sizeof *pred);
    if (!pred) TB_FAIL(TB_ERR_NOMEM, "fused evaluate: out of host memory (%zu rows)", n_rows);
    TB_TRY(tb_backend_download(f->be, pred, f->ev_pred.data, (size_t)A * n_rows * sizeof *pred));
    for (int k = 0; k < A; k++)
      for (size_t i = 0; i < n_rows; i++) correct[k] += pred[(size_t)k * n_rows + i] == y[rows[i]];
  }
  for (int k = 0; k < A; k++) {
    tb_metrics *o = &out[f->member[k]];
    o->n = n_rows;
    o->loss = loss_sum[k] / (double)n_rows;
    if (f->regression) {
      o->rmse = sqrt(2.0 * o->loss);
    } else {
      o->logloss = o->loss;
      o->accuracy = (double)correct[k] / (double)n_rows;
    }
  }
done:
  free(loss_sum);
  free(correct);
  free(pred);
  return rc;
}
