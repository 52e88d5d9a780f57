/* mlp_fused.c: fused MLP trials, life cycle: which configurations can share a bundle, the per-tensor device layout
 * (mlp_fused_impl.h), creation, the active-slot bookkeeping (stop, resume, replace), extraction of a member as a
 * normal tb_model, and the memory estimate. Members are initialised by the MLP learner itself (a solo tb_model is
 * created with the member's configuration and seed and its initial weights are copied into the slot), so a
 * member starts from exactly the solo model's state. The batched computation is in mlp_fused_train.c.
 * Not here: schedulers (who stops whom), other learners. Tested by tests/test_model_fused.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_fused_impl.h"

/* Rows of the evaluation chunks: the same as the solo MLP's (mlp.c's MLP_EVAL_ROWS) so buffer shapes agree. */
#define FUSED_EVAL_ROWS 256

static const char *const opt_family[2] = {"sgd/momentum/nesterov", "adam/adamw"};

/* NULL when members of decoded configurations a and b can share a bundle (shape and optimizer family), else the
 * reason, naming the parameter, into buf. */
static const char *compat_cfg(const tb_mlp_config *ca, const tb_mlp_config *cb, char *buf, size_t len) {
#define SAME(field, name)                                                                                         \
  if (ca->field != cb->field)                                                                                     \
    return snprintf(buf, len, "%s differs (%d vs %d): a bundle shares its shape", name, (int)ca->field,            \
                    (int)cb->field),                                                                              \
           buf;
  SAME(layers, "layers");
  SAME(units, "units");
  SAME(act, "act");
  SAME(batch_size, "batch_size");
  SAME(min_updates, "min_updates");
#undef SAME
  int fa = ca->optimizer >= TB_MLP_OPT_ADAM, fb = cb->optimizer >= TB_MLP_OPT_ADAM;
  if (fa != fb)
    return snprintf(buf, len, "optimizer family differs (%s vs %s): a bundle shares its optimizer state layout",
                    opt_family[fa], opt_family[fb]),
           buf;
  return NULL;
}

const char *tb_fused_compatible(const tb_learner *L, const tb_space *sp, const double *a, const double *b, char *buf,
                                size_t len) {
  tb_mlp_config ca, cb;
  char msg[256];
  if (!buf || !len) return "no message buffer";
  if (!L || !sp || !a || !b) return snprintf(buf, len, "NULL learner, space or configuration"), buf;
  if (L != &tb_learner_mlp)
    return snprintf(buf, len, "fused trials support the mlp learner only, not %s", tb_learner_name(L)), buf;
  if (tb_mlp_config_read(sp, a, &ca, msg, sizeof msg))
    return snprintf(buf, len, "first configuration rejected: %s", msg), buf;
  if (tb_mlp_config_read(sp, b, &cb, msg, sizeof msg))
    return snprintf(buf, len, "second configuration rejected: %s", msg), buf;
  return compat_cfg(&ca, &cb, buf, len);
}

/* The member's configuration checked and decoded, once: the member keeps it (its slot's settings, its extraction). */
static int member_config(const tb_fused *f, int k, const double *x, tb_learner_config **out) {
  int rc = tb_learner_config_create(f->L, f->sp, x, out);
  return rc < 0 ? tb_error_prefix(rc, "fused: member %d: ", k) : rc;
}
static const tb_mlp_config *config_of(const tb_learner_config *c) { return tb_learner_config_params(c); }

/* Shapes from a decoded configuration: tensors W_0, b_0, W_1, b_1, ... each (K, t_len) at t_off. */
static void fused_shapes(tb_fused *f, const tb_mlp_config *c, int d, int n_out) {
  size_t off = 0, per = 0;
  f->layers = c->layers;
  f->units = c->units;
  f->act = c->act;
  f->batch = c->batch_size;
  f->min_updates = c->min_updates;
  f->adam = c->optimizer >= TB_MLP_OPT_ADAM;
  f->d = d;
  f->n_out = n_out;
  f->n_lin = c->layers + 1;
  f->n_t = 2 * f->n_lin;
  f->rows = c->batch_size > FUSED_EVAL_ROWS ? c->batch_size : FUSED_EVAL_ROWS;
  for (int l = 0; l < f->n_lin; l++) {
    f->fan_in[l] = l == 0 ? d : c->units;
    f->fan_out[l] = l == f->n_lin - 1 ? n_out : c->units;
    f->t_len[2 * l] = (size_t)f->fan_in[l] * (size_t)f->fan_out[l];
    f->t_len[2 * l + 1] = (size_t)f->fan_out[l];
  }
  for (int t = 0; t < f->n_t; t++) {
    f->t_off[t] = off;
    off += (size_t)f->K * f->t_len[t];
    per += f->t_len[t];
  }
  f->n_params = per;
}

/* Device buffer sizes in the order of fused_buffers; returns the count. drop: allocate dropout buffers. */
static int fused_buffer_sizes(const tb_fused *f, int drop, size_t *sz) {
  const size_t K = (size_t)f->K, R = (size_t)f->rows, u = (size_t)f->units, k = (size_t)f->n_out;
  const size_t n = f->n_train, fl = sizeof(float), wide = u > k ? u : k, P = K * f->n_params;
  int c = 0;
  sz[c++] = P * fl;                                /* params */
  sz[c++] = P * fl;                                /* grads */
  sz[c++] = P * fl;                                /* mom1 (sgd: velocity, used or not) */
  sz[c++] = f->adam ? P * fl : 0;                  /* mom2 */
  sz[c++] = K * n * sizeof(uint32_t);              /* perm */
  sz[c++] = R * sizeof(uint32_t);                  /* idx */
  sz[c++] = K * R * (size_t)f->d * fl;             /* xb */
  sz[c++] = K * R * 4;                             /* yb */
  for (int l = 0; l < f->layers; l++) {
    sz[c++] = K * R * u * fl;                      /* act */
    sz[c++] = drop ? K * R * u * fl : 0;           /* drop */
    sz[c++] = drop ? K * R * u * fl : 0;           /* mask */
  }
  sz[c++] = K * R * wide * fl;                     /* dh[0] */
  sz[c++] = K * R * wide * fl;                     /* dh[1] */
  sz[c++] = K * R * k * fl;                        /* out */
  sz[c++] = f->regression ? K * R * fl : 0;        /* pred */
  sz[c++] = K * (n > R ? n : R) * fl;              /* loss */
  sz[c++] = f->regression ? 2 * fl : 0;            /* cst */
  return c;
}
#define FUSED_MAX_BUFFERS (14 + 3 * TB_MLP_MAX_LAYERS)

static int fused_buffers(tb_fused *f, tb_buf **b) {
  int c = 0;
  b[c++] = &f->params; b[c++] = &f->grads; b[c++] = &f->mom1; b[c++] = &f->mom2;
  b[c++] = &f->perm; b[c++] = &f->idx; b[c++] = &f->xb; b[c++] = &f->yb;
  for (int l = 0; l < f->layers; l++) { b[c++] = &f->act_[l]; b[c++] = &f->drop[l]; b[c++] = &f->mask[l]; }
  b[c++] = &f->dh[0]; b[c++] = &f->dh[1]; b[c++] = &f->out; b[c++] = &f->pred; b[c++] = &f->loss;
  b[c++] = &f->cst;
  return c;
}

int tb_fused_estimate_bytes(const tb_learner *L, const tb_space *sp, const double *x, int K, size_t n_rows,
                            int n_cols, int n_outputs, size_t *bytes) {
  tb_fused f;
  tb_mlp_config c;
  char msg[256];
  size_t sz[FUSED_MAX_BUFFERS], total = 0;
  if (!bytes) return tb_error_set(TB_ERR_INVALID, "fused estimate: NULL output");
  *bytes = 0;
  if (L != &tb_learner_mlp) return tb_error_set(TB_ERR_UNSUPPORTED, "fused estimate: mlp only");
  if (!sp || !x || K < 1 || n_rows < 1 || n_cols < 1 || n_outputs < 1)
    return tb_error_set(TB_ERR_INVALID, "fused estimate: bad arguments (K=%d, %zu rows, %d columns, %d outputs)", K,
                        n_rows, n_cols, n_outputs);
  if (tb_mlp_config_read(sp, x, &c, msg, sizeof msg)) return tb_error_set(TB_ERR_INVALID, "fused estimate: %s", msg);
  memset(&f, 0, sizeof f);
  f.K = K;
  f.n_train = n_rows;
  f.regression = n_outputs == 1;
  fused_shapes(&f, &c, n_cols, n_outputs);
  int n = fused_buffer_sizes(&f, c.dropout > 0, sz);
  for (int i = 0; i < n; i++) total += sz[i];
  *bytes = total;
  return TB_OK;
}

/* Allocates the dropout buffers the first time a member with dropout joins. */
static int ensure_drop(tb_fused *f) {
  int rc = TB_OK;
  if (f->has_drop) return TB_OK;
  const size_t n = (size_t)f->K * (size_t)f->rows * (size_t)f->units * sizeof(float);
  for (int l = 0; l < f->layers; l++) {
    TB_TRY(tb_backend_alloc(f->be, n, &f->drop[l]));
    TB_TRY(tb_backend_alloc(f->be, n, &f->mask[l]));
  }
  f->has_drop = 1;
done:
  return rc;
}

/* Moves `which` (params, mom1, mom2) of slot `from` of every tensor to/from a solo model's vector. to_solo = 1:
 * slot -> solo vector; 0: solo vector -> slot. */
static int copy_member(tb_fused *f, int s, float *solo, const tb_buf *which, int to_solo) {
  int rc = TB_OK;
  size_t solo_off = 0;
  for (int t = 0; t < f->n_t; t++) {
    float *slot = (float *)which->data + f->t_off[t] + (size_t)s * f->t_len[t];
    size_t bytes = f->t_len[t] * sizeof(float);
    TB_TRY(to_solo ? tb_backend_copy(f->be, solo + solo_off, slot, bytes)
                   : tb_backend_copy(f->be, slot, solo + solo_off, bytes));
    solo_off += f->t_len[t];
  }
done:
  return rc;
}

/* Member k (decoded configuration *conf, which it takes over; seed) starts in slot s from the state tb_model_create
 * gives. */
static int init_member(tb_fused *f, int k, int s, tb_learner_config **conf, uint64_t seed) {
  int rc = TB_OK;
  tb_model *solo = NULL;
  tb_fused_member *mb = &f->m[k];
  tb_parts parts = {f->train, f->n_train, f->valid, f->n_valid};
  tb_learner_config_free(mb->conf);
  mb->conf = *conf, *conf = NULL;
  mb->cfg = *config_of(mb->conf);
  TB_TRY(tb_model_create_config(mb->conf, f->dd, &parts, seed, &solo));
  tb_mlp *p = solo->impl;
  if (p->n_params != f->n_params) TB_FAIL(TB_ERR_INVALID, "fused: member %d has %zu parameters, the bundle %zu", k,
                                          p->n_params, f->n_params);
  if (mb->cfg.dropout > 0) TB_TRY(ensure_drop(f));
  TB_TRY(copy_member(f, s, p->params.data, &f->params, 0));
  for (int t = 0; t < f->n_t; t++) { /* zero moments, as a new solo model has */
    size_t o = f->t_off[t] + (size_t)s * f->t_len[t];
    TB_TRY(tb_op_fill(f->be, f->t_len[t], 0.0f, (float *)f->mom1.data + o));
    if (f->adam) TB_TRY(tb_op_fill(f->be, f->t_len[t], 0.0f, (float *)f->mom2.data + o));
  }
  mb->seed = seed;
  mb->seed_shuffle = p->seed_shuffle;
  mb->seed_drop = p->seed_drop;
  mb->step = mb->epoch = 0;
  mb->drop_pos = 0;
  mb->fidelity = 0;
  mb->train_loss = NAN;
  f->y_mean = p->y_mean; /* regression: the same training rows give every member the same standardisation */
  f->y_std = p->y_std;
done:
  tb_model_free(solo);
  return rc;
}

/* Swaps the contents of slots a and b (weights and moments of every tensor; grads serve as scratch). */
static int swap_slots(tb_fused *f, int a, int b) {
  int rc = TB_OK;
  if (a == b) return TB_OK;
  tb_buf *bufs[3] = {&f->params, &f->mom1, f->adam ? &f->mom2 : NULL};
  for (int i = 0; i < 3 && bufs[i]; i++)
    for (int t = 0; t < f->n_t; t++) {
      float *base = (float *)bufs[i]->data + f->t_off[t], *tmp = (float *)f->grads.data + f->t_off[t];
      size_t len = f->t_len[t], bytes = len * sizeof(float);
      TB_TRY(tb_backend_copy(f->be, tmp, base + (size_t)a * len, bytes));
      TB_TRY(tb_backend_copy(f->be, base + (size_t)a * len, base + (size_t)b * len, bytes));
      TB_TRY(tb_backend_copy(f->be, base + (size_t)b * len, tmp, bytes));
    }
  int ma = f->member[a], mb = f->member[b];
  f->member[a] = mb;
  f->member[b] = ma;
  f->slot[ma] = b;
  f->slot[mb] = a;
done:
  return rc;
}

int tb_fused_create(const tb_learner *L, const tb_space *sp, const double *const *xs, int K, tb_devdata *dd,
                    const tb_parts *parts, const uint64_t *seeds, tb_fused **out) {
  int rc = TB_OK;
  tb_learner_config **conf = NULL; /* each member's configuration, decoded once */
  if (!out) return tb_error_set(TB_ERR_INVALID, "fused create: NULL output");
  *out = NULL;
  if (!L || !sp || !xs || !dd || !parts || !seeds)
    return tb_error_set(TB_ERR_INVALID, "fused create: NULL learner, space, configurations, data, parts or seeds");
  if (L != &tb_learner_mlp)
    return tb_error_set(TB_ERR_UNSUPPORTED, "fused create: fused trials support the mlp learner only, not %s",
                        tb_learner_name(L));
  if (K < 1) return tb_error_set(TB_ERR_INVALID, "fused create: K = %d members (need >= 1)", K);
  if (!(conf = calloc((size_t)K, sizeof *conf))) return tb_error_set(TB_ERR_NOMEM, "fused create: out of host memory");
  for (int k = 0; k < K && rc == TB_OK; k++) {
    if (!xs[k]) rc = tb_error_set(TB_ERR_INVALID, "fused create: configuration %d is NULL", k);
    else if ((rc = tb_learner_config_create(L, sp, xs[k], &conf[k])) < 0)
      tb_error_prefix(rc, "fused create: member %d: ", k);
  }
  if (rc == TB_OK) rc = tb_fused_create_config((const tb_learner_config *const *)conf, K, dd, parts, seeds, out);
  for (int k = 0; k < K; k++) tb_learner_config_free(conf[k]);
  free(conf);
  return rc;
}

const char *tb_fused_compatible_config(const tb_learner_config *a, const tb_learner_config *b, char *buf,
                                       size_t len) {
  if (!buf || !len) return "no message buffer";
  if (!a || !b) return snprintf(buf, len, "NULL configuration"), buf;
  if (a->L != &tb_learner_mlp || b->L != &tb_learner_mlp)
    return snprintf(buf, len, "fused trials support the mlp learner only"), buf;
  return compat_cfg(config_of(a), config_of(b), buf, len);
}

int tb_fused_create_config(const tb_learner_config *const *cs, int K, tb_devdata *dd, const tb_parts *parts,
                           const uint64_t *seeds, tb_fused **out) {
  int rc = TB_OK;
  tb_fused *f = NULL;
  char msg[256];
  size_t sz[FUSED_MAX_BUFFERS];
  tb_buf *b[FUSED_MAX_BUFFERS];
  tb_learner_config *copy = NULL; /* a member's own copy, until it takes it */
  if (!out) return tb_error_set(TB_ERR_INVALID, "fused create: NULL output");
  *out = NULL;
  if (!cs || !dd || !parts || !seeds)
    return tb_error_set(TB_ERR_INVALID, "fused create: NULL configurations, data, parts or seeds");
  if (K < 1) return tb_error_set(TB_ERR_INVALID, "fused create: K = %d members (need >= 1)", K);
  if (parts->n_train < 1 || !parts->train) return tb_error_set(TB_ERR_INVALID, "fused create: no training rows");
  for (int k = 0; k < K; k++) {
    if (!cs[k]) return tb_error_set(TB_ERR_INVALID, "fused create: configuration %d is NULL", k);
    if (cs[k]->L != &tb_learner_mlp)
      return tb_error_set(TB_ERR_UNSUPPORTED, "fused create: fused trials support the mlp learner only, not %s",
                          tb_learner_name(cs[k]->L));
    if (compat_cfg(config_of(cs[0]), config_of(cs[k]), msg, sizeof msg))
      return tb_error_set(TB_ERR_INVALID, "fused create: member %d cannot join member 0's bundle: %s", k, msg);
  }
  const tb_learner *L = cs[0]->L;
  const tb_space *sp = cs[0]->sp;
  const tb_dataset *ds = tb_devdata_dataset(dd);
  f = calloc(1, sizeof *f);
  if (!f) TB_FAIL(TB_ERR_NOMEM, "fused create: out of host memory");
  f->L = L;
  f->sp = sp;
  f->dd = dd;
  f->be = tb_devdata_backend(dd);
  f->K = f->n_active = K;
  f->n_train = parts->n_train;
  f->n_valid = parts->n_valid;
  f->regression = ds->task == TB_TASK_REGRESSION;
  fused_shapes(f, config_of(cs[0]), ds->n_cols, f->regression ? 1 : ds->n_classes);
  f->train = malloc(f->n_train * sizeof *f->train);
  f->valid = malloc((f->n_valid ? f->n_valid : 1) * sizeof *f->valid);
  f->slot = malloc((size_t)K * sizeof *f->slot);
  f->member = malloc((size_t)K * sizeof *f->member);
  f->m = calloc((size_t)K, sizeof *f->m);
  f->order = malloc((size_t)K * f->n_train * sizeof *f->order);
  f->order_one = malloc(f->n_train * sizeof *f->order_one);
  f->sums = malloc((size_t)K * (f->n_train / (size_t)f->batch + 1) * sizeof *f->sums);
  if (!f->train || !f->valid || !f->slot || !f->member || !f->m || !f->order || !f->order_one || !f->sums)
    TB_FAIL(TB_ERR_NOMEM, "fused create: out of host memory");
  memcpy(f->train, parts->train, f->n_train * sizeof *f->train);
  if (f->n_valid) memcpy(f->valid, parts->valid, f->n_valid * sizeof *f->valid);
  for (int k = 0; k < K; k++) f->slot[k] = f->member[k] = k;
  int n = fused_buffer_sizes(f, 0, sz);
  fused_buffers(f, b);
  for (int i = 0; i < n; i++) TB_TRY(tb_backend_alloc(f->be, sz[i], b[i]));
  for (int k = 0; k < K; k++) {
    TB_TRY(tb_learner_config_copy(cs[k], &copy));
    TB_TRY(init_member(f, k, k, &copy, seeds[k]));
  }
  if (f->regression) {
    float cst[2] = {1.0f, f->y_mean};
    TB_TRY(tb_backend_upload(f->be, f->cst.data, cst, sizeof cst));
  }
  *out = f;
  f = NULL;
done:
  tb_learner_config_free(copy);
  tb_fused_free(f);
  return rc;
}

void tb_fused_free(tb_fused *f) {
  tb_buf *b[FUSED_MAX_BUFFERS];
  if (!f) return;
  if (f->be) {
    int n = fused_buffers(f, b);
    for (int i = n - 1; i >= 0; i--) tb_backend_release(f->be, b[i]);
    tb_backend_release(f->be, &f->ev_pred);
    tb_backend_release(f->be, &f->ev_loss);
    tb_backend_release(f->be, &f->ev_idx);
  }
  for (int k = 0; f->m && k < f->K; k++) tb_learner_config_free(f->m[k].conf);
  free(f->m);
  free(f->slot);
  free(f->member);
  free(f->train);
  free(f->valid);
  free(f->order);
  free(f->order_one);
  free(f->sums);
  free(f);
}

int tb_fused_size(const tb_fused *f) { return f ? f->K : 0; }
int tb_fused_n_active(const tb_fused *f) { return f ? f->n_active : 0; }

static int bad_member(const tb_fused *f, int k, const char *what) {
  if (!f) return tb_error_set(TB_ERR_INVALID, "fused %s: NULL bundle", what);
  if (k < 0 || k >= f->K)
    return tb_error_set(TB_ERR_INVALID, "fused %s: member %d is outside 0..%d", what, k, f->K - 1);
  return TB_OK;
}

tb_fused_status tb_fused_status_of(const tb_fused *f, int k) {
  return f && k >= 0 && k < f->K ? f->m[k].status : TB_FUSED_STOPPED;
}
int tb_fused_fidelity(const tb_fused *f, int k) { return f && k >= 0 && k < f->K ? f->m[k].fidelity : -1; }
double tb_fused_train_loss(const tb_fused *f, int k) { return f && k >= 0 && k < f->K ? f->m[k].train_loss : NAN; }

/* Marks member k inactive with `status` and moves it behind the active slots. */
static int deactivate(tb_fused *f, int k, tb_fused_status status) {
  int rc = TB_OK;
  if (f->m[k].status != TB_FUSED_ACTIVE) return TB_OK;
  TB_TRY(swap_slots(f, f->slot[k], f->n_active - 1));
  f->n_active--;
  f->m[k].status = status;
done:
  return rc;
}

int tb_fused_stop(tb_fused *f, int k) {
  int rc = bad_member(f, k, "stop");
  return rc < 0 ? rc : deactivate(f, k, TB_FUSED_STOPPED);
}

int tb_fused_resume(tb_fused *f, int k) {
  int rc = bad_member(f, k, "resume");
  if (rc < 0) return rc;
  if (f->m[k].status == TB_FUSED_ACTIVE) return TB_OK;
  TB_TRY(swap_slots(f, f->slot[k], f->n_active));
  f->n_active++;
  f->m[k].status = TB_FUSED_ACTIVE;
done:
  return rc;
}

int tb_fused_replace(tb_fused *f, int k, const double *x, uint64_t seed) {
  char msg[256];
  int rc = bad_member(f, k, "replace");
  if (rc < 0) return rc;
  if (!x) return tb_error_set(TB_ERR_INVALID, "fused replace: NULL configuration");
  tb_learner_config *conf = NULL;
  if ((rc = member_config(f, k, x, &conf)) < 0) return tb_error_prefix(rc, "fused replace: ");
  if (compat_cfg(&f->m[k].cfg, config_of(conf), msg, sizeof msg)) {
    tb_learner_config_free(conf);
    return tb_error_set(TB_ERR_INVALID, "fused replace: the new configuration of member %d cannot join the bundle: %s",
                        k, msg);
  }
  f->m[k].status = TB_FUSED_STOPPED; /* while its slot is rewritten; a failure leaves it stopped */
  if (f->slot[k] < f->n_active) { /* it was active: move it out first */
    TB_TRY(swap_slots(f, f->slot[k], f->n_active - 1));
    f->n_active--;
  }
  TB_TRY(init_member(f, k, f->slot[k], &conf, seed));
  TB_TRY(tb_fused_resume(f, k));
done:
  tb_learner_config_free(conf);
  return rc;
}

int tb_fused_extract(tb_fused *f, int k, tb_model **out) {
  int rc = TB_OK;
  tb_model *m = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "fused extract: NULL output");
  *out = NULL;
  TB_TRY(bad_member(f, k, "extract"));
  const tb_fused_member *mb = &f->m[k];
  tb_parts parts = {f->train, f->n_train, f->valid, f->n_valid};
  TB_TRY(tb_model_create_config(mb->conf, f->dd, &parts, mb->seed, &m));
  tb_mlp *p = m->impl;
  const int s = f->slot[k];
  TB_TRY(copy_member(f, s, p->params.data, &f->params, 1));
  if (p->n_moments >= 1) TB_TRY(copy_member(f, s, p->mom1.data, &f->mom1, 1));
  if (p->n_moments >= 2) TB_TRY(copy_member(f, s, p->mom2.data, &f->mom2, 1));
  p->step = mb->step;
  p->epoch = mb->epoch;
  p->drop_pos = mb->drop_pos;
  m->fidelity = mb->fidelity;
  *out = m;
  m = NULL;
done:
  tb_model_free(m);
  return rc;
}

int tb_fused_train(tb_fused *f, int units) {
  int rc = TB_OK;
  if (!f) return tb_error_set(TB_ERR_INVALID, "fused train: NULL bundle");
  if (units < 1) return tb_error_set(TB_ERR_INVALID, "fused train: units = %d (must be >= 1)", units);
  int *before = malloc((size_t)f->K * sizeof *before);
  if (!before) return tb_error_set(TB_ERR_NOMEM, "fused train: out of host memory");
  for (int k = 0; k < f->K; k++) before[k] = f->m[k].status;
  for (int e = 0; e < units && f->n_active > 0; e++) {
    TB_TRY(tb_fused_train_epoch(f));
    for (int s = f->n_active - 1; s >= 0; s--) { /* a diverged member stops here, as a solo model's train fails */
      int k = f->member[s];
      if (tb_mlp_diverged(f->m[k].train_loss, f->regression, f->n_out, f->y_std))
        TB_TRY(deactivate(f, k, TB_FUSED_DIVERGED));
    }
  }
  /* fidelity as tb_model_train counts it: `units` for a member that finished the call, unchanged otherwise */
  for (int k = 0; k < f->K; k++)
    if (before[k] == TB_FUSED_ACTIVE && f->m[k].status == TB_FUSED_ACTIVE) f->m[k].fidelity += units;
done:
  free(before);
  return rc;
}

int tb_fused_evaluate(tb_fused *f, const uint32_t *rows, size_t n_rows, tb_metrics *out) {
  if (!f || !out) return tb_error_set(TB_ERR_INVALID, "fused evaluate: NULL bundle or output");
  if (n_rows < 1 || !rows) return tb_error_set(TB_ERR_INVALID, "fused evaluate: no rows to evaluate");
  const tb_dataset *ds = tb_devdata_dataset(f->dd);
  for (size_t i = 0; i < n_rows; i++)
    if (rows[i] >= ds->n_rows)
      return tb_error_set(TB_ERR_INVALID, "fused evaluate: row index %u at position %zu is outside the dataset's %zu "
                          "rows", rows[i], i, ds->n_rows);
  for (int k = 0; k < f->K; k++) {
    memset(&out[k], 0, sizeof out[k]);
    out[k].loss = out[k].accuracy = out[k].logloss = out[k].rmse = NAN;
  }
  return f->n_active ? tb_fused_eval_active(f, rows, n_rows, out) : TB_OK;
}
