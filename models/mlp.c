/* mlp.c: the multilayer-perceptron learner's declarations and life cycle: its hyperparameters (the search space
 * of Bergstra & Bengio 2012 extended with depth, optimizers and schedules; their ranges are the only ones: model.c
 * checks every configuration against them), the decode of a configuration into tb_mlp_config, the memory estimate, creation (device buffers, initialisation from the counter-based stream),
 * save/restore of the whole state, and the learner table. The training and inference code is in mlp_train.c.
 * It is not a general network library: one width for every hidden layer, fully connected layers only.
 * Tested by tests/test_model_mlp.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_impl.h"
#include "tb_rng.h"

/* Rows of the evaluation / prediction chunks (the work buffers hold max(batch_size, this) rows). */
#define MLP_EVAL_ROWS 256

/* Index of each hyperparameter in the declaration (and in the space, and in a configuration). */
enum {
  HP_LAYERS, HP_UNITS, HP_ACT, HP_DROPOUT, HP_INIT, HP_INIT_DIST, HP_INIT_SCALE, HP_WEIGHT_DECAY, HP_OPTIMIZER,
  HP_MOMENTUM, HP_LR, HP_LR_SCHEDULE, HP_ANNEAL_T0, HP_STEP_SIZE, HP_GAMMA, HP_BATCH_SIZE, HP_EPOCHS, HP_MIN_UPDATES,
  MLP_N_HPARAMS
};

/* The declaration: the one range of each hyperparameter (tb_learner_check holds every configuration to it). */
static const tb_param mlp_hparams[MLP_N_HPARAMS] = {
    [HP_LAYERS] = {.name = "layers", .type = TB_PARAM_INT, .lo = 1, .hi = TB_MLP_MAX_LAYERS, .step = 1, .def = 1,
                   .help = "hidden layers (1..4)"},
    [HP_UNITS] = {.name = "units", .type = TB_PARAM_INT, .lo = 16, .hi = 1024, .log = 1, .step = 1, .def = 256,
                  .help = "units of every hidden layer (log scale)"},
    [HP_ACT] = {.name = "act", .type = TB_PARAM_CATEGORICAL, .n_choices = 3, .choices = {"relu", "tanh", "sigmoid"},
                .def = 0, .help = "hidden activation"},
    [HP_DROPOUT] = {.name = "dropout", .type = TB_PARAM_FLOAT, .lo = 0, .hi = 1, .def = 0,
                    .help = "drop probability of hidden units (0 = off, 1 = drop all)"},
    [HP_INIT] = {.name = "init", .type = TB_PARAM_CATEGORICAL, .n_choices = 3, .choices = {"glorot", "he", "uniform"},
                 .def = 0, .help = "weight initialisation (uniform: U(-c/sqrt(fan_in), c/sqrt(fan_in)))"},
    [HP_INIT_DIST] = {.name = "init_dist", .type = TB_PARAM_CATEGORICAL, .n_choices = 2,
                      .choices = {"uniform", "normal"}, .def = 0, .parent = HP_INIT, .n_cond = 2,
                      .cond_values = {TB_MLP_INIT_GLOROT, TB_MLP_INIT_HE},
                      .help = "glorot/he: uniform or normal distribution"},
    [HP_INIT_SCALE] = {.name = "init_scale", .type = TB_PARAM_FLOAT, .lo = 0.2, .hi = 2, .def = 1, .parent = HP_INIT,
                       .n_cond = 1, .cond_values = {TB_MLP_INIT_UNIFORM}, .help = "uniform init: c"},
    [HP_WEIGHT_DECAY] = {.name = "weight_decay", .type = TB_PARAM_FLOAT, .lo = 0, .hi = 0.1, .def = 0,
                         .help = "L2 penalty (sgd, momentum, nesterov, adam) or decoupled weight decay (adamw)"},
    [HP_OPTIMIZER] = {.name = "optimizer", .type = TB_PARAM_CATEGORICAL, .n_choices = 5,
                      .choices = {"sgd", "momentum", "nesterov", "adam", "adamw"}, .def = TB_MLP_OPT_ADAM,
                      .help = "update rule"},
    [HP_MOMENTUM] = {.name = "momentum", .type = TB_PARAM_FLOAT, .lo = 0.5, .hi = 0.99, .def = 0.9,
                     .parent = HP_OPTIMIZER, .n_cond = 2, .cond_values = {TB_MLP_OPT_MOMENTUM, TB_MLP_OPT_NESTEROV},
                     .help = "momentum coefficient"},
    [HP_LR] = {.name = "lr", .type = TB_PARAM_FLOAT, .lo = 1e-4, .hi = 10, .log = 1, .def = 1e-3,
               .help = "base learning rate"},
    [HP_LR_SCHEDULE] = {.name = "lr_schedule", .type = TB_PARAM_CATEGORICAL, .n_choices = 4,
                        .choices = {"constant", "step", "cosine", "anneal"}, .def = TB_MLP_SCHED_CONSTANT,
                        .help = "constant; step (gamma every step_size epochs); cosine (to 0 at `epochs`); anneal "
                                "lr*t0/max(t,t0)"},
    [HP_ANNEAL_T0] = {.name = "anneal_t0", .type = TB_PARAM_INT, .lo = 300, .hi = 30000, .log = 1, .step = 1,
                      .def = 3000, .parent = HP_LR_SCHEDULE, .n_cond = 1, .cond_values = {TB_MLP_SCHED_ANNEAL},
                      .help = "anneal: updates before the 1/t decay"},
    [HP_STEP_SIZE] = {.name = "step_size", .type = TB_PARAM_INT, .lo = 1, .hi = 100, .step = 1, .def = 5,
                      .parent = HP_LR_SCHEDULE, .n_cond = 1, .cond_values = {TB_MLP_SCHED_STEP},
                      .help = "step: epochs between decays"},
    [HP_GAMMA] = {.name = "gamma", .type = TB_PARAM_FLOAT, .lo = 0.01, .hi = 0.99, .def = 0.1,
                  .parent = HP_LR_SCHEDULE, .n_cond = 1, .cond_values = {TB_MLP_SCHED_STEP},
                  .help = "step: decay factor"},
    [HP_BATCH_SIZE] = {.name = "batch_size", .type = TB_PARAM_INT, .lo = 16, .hi = 1024, .log = 1, .step = 1,
                       .def = 128, .help = "rows per update"},
    [HP_EPOCHS] = {.name = "epochs", .type = TB_PARAM_INT, .lo = 1, .hi = 1000, .step = 1, .def = 10,
                   .help = "planned epochs (the fidelity; the cosine horizon)"},
    [HP_MIN_UPDATES] = {.name = "min_updates", .type = TB_PARAM_INT, .lo = 1, .hi = 1000, .log = 1, .step = 1,
                        .def = 20, .help = "updates per epoch at least: a small set makes several passes per epoch "
                                           "(1: one pass, plain epochs)"},
};

_Static_assert(sizeof(tb_mlp_config) <= TB_LEARNER_PARAMS_MAX, "tb_mlp_config outgrew TB_LEARNER_PARAMS_MAX");

static const tb_act act_of[3] = {TB_ACT_RELU, TB_ACT_TANH, TB_ACT_SIGMOID};

/* The one decode (model.c calls it after checking x against the declaration above; inactive ones hold their
 * defaults): no range is checked here, every value is read by its index. */
static const char *mlp_decode(const double *x, void *params, char *buf, size_t len) {
  tb_mlp_config *c = params;
  (void)buf, (void)len;
  c->layers = (int)x[HP_LAYERS];
  c->units = (int)x[HP_UNITS];
  c->act = act_of[(int)x[HP_ACT]];
  c->dropout = x[HP_DROPOUT];
  c->init = (int)x[HP_INIT];
  c->init_normal = (int)x[HP_INIT_DIST];
  c->init_scale = x[HP_INIT_SCALE];
  c->weight_decay = x[HP_WEIGHT_DECAY];
  c->optimizer = (int)x[HP_OPTIMIZER];
  c->momentum = x[HP_MOMENTUM];
  c->lr = x[HP_LR];
  c->schedule = (int)x[HP_LR_SCHEDULE];
  c->anneal_t0 = x[HP_ANNEAL_T0];
  c->step_size = (int)x[HP_STEP_SIZE];
  c->gamma = x[HP_GAMMA];
  c->batch_size = (int)x[HP_BATCH_SIZE];
  c->epochs = (int)x[HP_EPOCHS];
  c->min_updates = (int)x[HP_MIN_UPDATES];
  return NULL;
}

const char *tb_mlp_config_read(const tb_space *sp, const double *x, tb_mlp_config *c, char *buf, size_t len) {
  const char *msg = tb_learner_check(&tb_learner_mlp, sp, x, buf, len);
  if (msg) return msg;
  double xd[MLP_N_HPARAMS];
  for (int i = 0; i < MLP_N_HPARAMS; i++) xd[i] = isnan(x[i]) ? mlp_hparams[i].def : x[i];
  return mlp_decode(xd, c, buf, len);
}

/* Shapes of the network for d inputs and k outputs: linear layer l maps fan_in[l] -> fan_out[l]; W_l (fan_in,
 * fan_out) row-major at w_off[l], then b_l (fan_out) at b_off[l], layer after layer in one parameter vector. */
static void mlp_shapes(tb_mlp *p, int d, int k) {
  size_t off = 0;
  p->d = d;
  p->n_out = k;
  p->n_lin = p->cfg.layers + 1;
  for (int l = 0; l < p->n_lin; l++) {
    p->fan_in[l] = l == 0 ? d : p->cfg.units;
    p->fan_out[l] = l == p->n_lin - 1 ? k : p->cfg.units;
    p->w_off[l] = off;
    off += (size_t)p->fan_in[l] * (size_t)p->fan_out[l];
    p->b_off[l] = off;
    off += (size_t)p->fan_out[l];
  }
  p->n_params = off;
  p->rows = p->cfg.batch_size > MLP_EVAL_ROWS ? p->cfg.batch_size : MLP_EVAL_ROWS;
  p->n_moments = p->cfg.optimizer == TB_MLP_OPT_SGD ? 0 : p->cfg.optimizer >= TB_MLP_OPT_ADAM ? 2 : 1;
}

/* Every device buffer's size in bytes, in the order create allocates them; returns the count. */
static int mlp_buffer_sizes(const tb_mlp *p, size_t n_train, int regression, size_t *sz) {
  const size_t R = (size_t)p->rows, u = (size_t)p->cfg.units, k = (size_t)p->n_out, f = sizeof(float);
  const size_t wide = u > k ? u : k;
  int n = 0;
  sz[n++] = p->n_params * f; /* params */
  sz[n++] = p->n_params * f; /* grads */
  sz[n++] = p->n_moments >= 1 ? p->n_params * f : 0;
  sz[n++] = p->n_moments >= 2 ? p->n_params * f : 0;
  sz[n++] = n_train * sizeof(uint32_t);          /* perm */
  sz[n++] = R * sizeof(uint32_t);                /* idx */
  sz[n++] = R * (size_t)p->d * f;                /* xb */
  sz[n++] = R * 4;                               /* yb */
  for (int l = 0; l < p->cfg.layers; l++) {
    sz[n++] = R * u * f;                         /* act */
    sz[n++] = p->cfg.dropout > 0 ? R * u * f : 0; /* drop */
    sz[n++] = p->cfg.dropout > 0 ? R * u * f : 0; /* mask */
  }
  sz[n++] = R * wide * f;                        /* dh[0] */
  sz[n++] = R * wide * f;                        /* dh[1] */
  sz[n++] = R * k * f;                           /* out */
  sz[n++] = regression ? R * f : 0;              /* pred */
  sz[n++] = (n_train > R ? n_train : R) * f;     /* loss */
  sz[n++] = regression ? 2 * f : 0;              /* cst: {1, y_mean} for the regression head */
  return n;
}
#define MLP_MAX_BUFFERS (14 + 3 * TB_MLP_MAX_LAYERS)

static int mlp_estimate(const void *params, size_t n_rows, int n_cols, int n_outputs, size_t *bytes) {
  tb_mlp p;
  size_t sz[MLP_MAX_BUFFERS], total = 0;
  memset(&p, 0, sizeof p);
  p.cfg = *(const tb_mlp_config *)params;
  mlp_shapes(&p, n_cols, n_outputs);
  int n = mlp_buffer_sizes(&p, n_rows, n_outputs == 1, sz);
  for (int i = 0; i < n; i++) total += sz[i];
  *bytes = total;
  return TB_OK;
}

/* The device buffers in the order of mlp_buffer_sizes. */
static int mlp_buffers(tb_mlp *p, tb_buf **b) {
  int n = 0;
  b[n++] = &p->params; b[n++] = &p->grads; b[n++] = &p->mom1; b[n++] = &p->mom2;
  b[n++] = &p->perm; b[n++] = &p->idx; b[n++] = &p->xb; b[n++] = &p->yb;
  for (int l = 0; l < p->cfg.layers; l++) { b[n++] = &p->act[l]; b[n++] = &p->drop[l]; b[n++] = &p->mask[l]; }
  b[n++] = &p->dh[0]; b[n++] = &p->dh[1]; b[n++] = &p->out; b[n++] = &p->pred; b[n++] = &p->loss;
  b[n++] = &p->cst;
  return n;
}

static void mlp_destroy(tb_model *m) {
  tb_mlp *p = m->impl;
  tb_buf *b[MLP_MAX_BUFFERS];
  if (!p) return;
  int n = mlp_buffers(p, b);
  for (int i = n - 1; i >= 0; i--) tb_backend_release(m->be, b[i]);
  tb_backend_release(m->be, &p->ev_pred);
  tb_backend_release(m->be, &p->ev_loss);
  tb_backend_release(m->be, &p->ev_idx);
  free(p->order);
  free(p);
  m->impl = NULL;
}

/* Draws W_l from the init distribution (element i of W_l is element w_off[l] + i of the init stream); zero
 * biases and optimizer moments. */
static int mlp_init_params(tb_model *m, tb_mlp *p) {
  int rc = TB_OK;
  float *W = p->params.data;
  for (int l = 0; l < p->n_lin; l++) {
    double fi = p->fan_in[l], fo = p->fan_out[l];
    size_t nw = (size_t)p->fan_in[l] * (size_t)p->fan_out[l];
    double spread = p->cfg.init == TB_MLP_INIT_GLOROT ? 2.0 / (fi + fo) : 2.0 / fi; /* variance */
    if (p->cfg.init == TB_MLP_INIT_UNIFORM) {
      float lim = (float)(p->cfg.init_scale / sqrt(fi));
      TB_TRY(tb_op_rng_uniform(m->be, nw, p->seed_init, p->w_off[l], -lim, lim, W + p->w_off[l]));
    } else if (p->cfg.init_normal) {
      TB_TRY(tb_op_rng_normal(m->be, nw, p->seed_init, p->w_off[l], 0.0f, (float)sqrt(spread), W + p->w_off[l]));
    } else {
      float lim = (float)sqrt(3.0 * spread); /* U(-a, a) has variance a^2 / 3 */
      TB_TRY(tb_op_rng_uniform(m->be, nw, p->seed_init, p->w_off[l], -lim, lim, W + p->w_off[l]));
    }
    TB_TRY(tb_op_fill(m->be, (size_t)p->fan_out[l], 0.0f, W + p->b_off[l]));
  }
  if (p->n_moments >= 1) TB_TRY(tb_op_fill(m->be, p->n_params, 0.0f, p->mom1.data));
  if (p->n_moments >= 2) TB_TRY(tb_op_fill(m->be, p->n_params, 0.0f, p->mom2.data));
done:
  return rc;
}

static int mlp_create(tb_model *m) {
  int rc = TB_OK;
  size_t sz[MLP_MAX_BUFFERS];
  tb_buf *b[MLP_MAX_BUFFERS];
  const tb_dataset *ds = tb_devdata_dataset(m->dd);
  tb_mlp *p = calloc(1, sizeof *p);
  if (!p) return tb_error_set(TB_ERR_NOMEM, "mlp: out of host memory");
  m->impl = p;
  p->cfg = *(const tb_mlp_config *)m->params;
  p->regression = ds->task == TB_TASK_REGRESSION;
  mlp_shapes(p, ds->n_cols, m->n_outputs);
  p->seed_init = tb_rng_derive(m->seed, 1);
  p->seed_shuffle = tb_rng_derive(m->seed, 2);
  p->seed_drop = tb_rng_derive(m->seed, 3);
  p->order = malloc(m->n_train * sizeof *p->order);
  if (!p->order) TB_FAIL(TB_ERR_NOMEM, "mlp: out of host memory");
  int n = mlp_buffer_sizes(p, m->n_train, p->regression, sz);
  mlp_buffers(p, b);
  for (int i = 0; i < n; i++) TB_TRY(tb_backend_alloc(m->be, sz[i], b[i]));
  if (p->regression) { /* standardise on the training rows: mean and standard deviation in double */
    double s = 0, s2 = 0;
    for (size_t i = 0; i < m->n_train; i++) s += ds->y_value[m->train[i]];
    double mean = s / (double)m->n_train;
    for (size_t i = 0; i < m->n_train; i++) {
      double e = ds->y_value[m->train[i]] - mean;
      s2 += e * e;
    }
    double sd = sqrt(s2 / (double)m->n_train);
    p->y_mean = (float)mean;
    p->y_std = sd > 1e-12 && isfinite(sd) ? (float)sd : 1.0f;
    float c[2] = {1.0f, p->y_mean};
    TB_TRY(tb_backend_upload(m->be, p->cst.data, c, sizeof c));
  }
  TB_TRY(mlp_init_params(m, p));
done:
  return rc; /* on failure tb_model_free calls mlp_destroy */
}

static size_t mlp_n_params(const tb_model *m) { return ((const tb_mlp *)m->impl)->n_params; }

/* ---- saved state: a 64-byte header of 8 uint64 (magic, n_params, n_moments, step, epoch, drop_pos, shape, 0),
 * then params, then the n_moments optimizer vectors, each n_params floats. ------------------------------------ */
#define MLP_MAGIC 0x31504c4d42544ull /* "TBMLP1" */

static uint64_t mlp_shape_code(const tb_mlp *p) {
  return (uint64_t)p->d | (uint64_t)p->n_out << 24 | (uint64_t)p->cfg.layers << 40 | (uint64_t)p->cfg.units << 44;
}

static int mlp_save(const tb_model *m, void **blob, size_t *len) {
  int rc = TB_OK;
  const tb_mlp *p = m->impl;
  size_t vec = p->n_params * sizeof(float), total = 64 + vec * (size_t)(1 + p->n_moments);
  unsigned char *b = malloc(total);
  if (!b) return tb_error_set(TB_ERR_NOMEM, "mlp save: out of host memory (%zu bytes)", total);
  uint64_t h[8] = {MLP_MAGIC, p->n_params, (uint64_t)p->n_moments, (uint64_t)p->step, (uint64_t)p->epoch,
                   p->drop_pos, mlp_shape_code(p), 0};
  memcpy(b, h, sizeof h);
  TB_TRY(tb_backend_download(m->be, b + 64, p->params.data, vec));
  if (p->n_moments >= 1) TB_TRY(tb_backend_download(m->be, b + 64 + vec, p->mom1.data, vec));
  if (p->n_moments >= 2) TB_TRY(tb_backend_download(m->be, b + 64 + 2 * vec, p->mom2.data, vec));
  *blob = b;
  *len = total;
  b = NULL;
done:
  free(b);
  return rc;
}

static int mlp_restore(tb_model *m, const void *blob, size_t len) {
  int rc = TB_OK;
  tb_mlp *p = m->impl;
  const unsigned char *b = blob;
  uint64_t h[8];
  size_t vec = p->n_params * sizeof(float);
  if (len < sizeof h) return tb_error_set(TB_ERR_FORMAT, "mlp restore: %zu bytes is too short", len);
  memcpy(h, b, sizeof h);
  if (h[0] != MLP_MAGIC) return tb_error_set(TB_ERR_FORMAT, "mlp restore: not an mlp state (bad magic)");
  if (h[1] != p->n_params || h[6] != mlp_shape_code(p))
    return tb_error_set(TB_ERR_INVALID, "mlp restore: the state has %llu parameters of another shape; the model has "
                        "%zu (%d hidden layers of %d units)", (unsigned long long)h[1], p->n_params, p->cfg.layers,
                        p->cfg.units);
  if (h[2] > 2 || len != 64 + vec * (size_t)(1 + h[2]))
    return tb_error_set(TB_ERR_FORMAT, "mlp restore: %zu bytes do not hold %llu optimizer vectors", len,
                        (unsigned long long)h[2]);
  TB_TRY(tb_backend_upload(m->be, p->params.data, b + 64, vec));
  /* a state from another optimizer (PBT explores configurations) keeps the weights and restarts the moments */
  if (p->n_moments >= 1)
    TB_TRY(h[2] >= 1 && p->n_moments == (int)h[2] ? tb_backend_upload(m->be, p->mom1.data, b + 64 + vec, vec)
                                                  : tb_op_fill(m->be, p->n_params, 0.0f, p->mom1.data));
  if (p->n_moments >= 2)
    TB_TRY(h[2] >= 2 ? tb_backend_upload(m->be, p->mom2.data, b + 64 + 2 * vec, vec)
                     : tb_op_fill(m->be, p->n_params, 0.0f, p->mom2.data));
  p->step = (int64_t)h[3];
  p->epoch = (int64_t)h[4];
  p->drop_pos = h[5];
done:
  return rc;
}

const tb_learner tb_learner_mlp = {
    .name = "mlp",
    .refuses_missing = 1,
    .fidelity_unit = "epochs",
    .tasks = (1 << TB_TASK_CLASSIFICATION) | (1 << TB_TASK_REGRESSION),
    .n_hparams = MLP_N_HPARAMS,
    .hparams = mlp_hparams,
    .params_size = sizeof(tb_mlp_config),
    .decode = mlp_decode,
    .estimate_bytes = mlp_estimate,
    .create = mlp_create,
    .train = tb_mlp_train,
    .evaluate = tb_mlp_evaluate,
    .predict_device = tb_mlp_predict_device,
    .n_params = mlp_n_params,
    .save = mlp_save,
    .restore = mlp_restore,
    .destroy = mlp_destroy,
};
