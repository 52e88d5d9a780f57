/* mlp_fused_impl.h: internal to fused trials (models/mlp_fused.c: life cycle, slots, stop/replace/extract;
 * models/mlp_fused_train.c: the batched forward, backward, updates and evaluation). Included by those two files
 * only. Tested by tests/test_model_fused.c.
 *
 * Layout. Parameters are stored per TENSOR, not per member: tensor t (W_0, b_0, W_1, b_1, ... in the order of a
 * solo MLP's parameter vector) holds the K members' copies back to back, (K, n_t) at t_off[t]. So the biases of
 * layer l of all members are one (K, fan_out) block for tb_op_bias_add / tb_op_col_sum, the weights are a strided
 * batch for tb_op_gemm_batched, and the optimizer runs once per tensor for all members (elementwise, so the result
 * is the same as one call over a member's whole vector). Grads and moments use the same layout.
 * Slots: the active members occupy slots 0..n_active-1 and every op runs with K = n_active; stopping a member swaps
 * its slot with the last active one (its state moves, nothing is lost). slot[k] is member k's slot, member[s] the
 * member in slot s. Activations are (n_active, rows, width) per layer. */
#ifndef TB_MLP_FUSED_IMPL_H
#define TB_MLP_FUSED_IMPL_H
#include "mlp_impl.h"
#include "tb_fused.h"

#define TB_FUSED_MAX_TENSORS (2 * (TB_MLP_MAX_LAYERS + 1))

typedef struct tb_fused_member {
  tb_learner_config *conf;   /* configuration, checked and decoded once (owned; extraction creates from it) */
  tb_mlp_config cfg;         /* its decoded settings (a copy of conf's) */
  uint64_t seed, seed_shuffle, seed_drop;
  int64_t step, epoch;       /* updates and epochs done (as tb_mlp) */
  uint64_t drop_pos;         /* next element of the dropout stream (as tb_mlp) */
  int fidelity;              /* as tb_model's */
  tb_fused_status status;
  double train_loss;         /* mean loss of the last epoch */
} tb_fused_member;

struct tb_fused {
  const tb_learner *L;
  const tb_space *sp;
  tb_devdata *dd;
  tb_backend *be;
  uint32_t *train, *valid;   /* host copies of the parts */
  size_t n_train, n_valid;
  int K, n_active;
  int *slot, *member;        /* member -> slot, slot -> member */
  tb_fused_member *m;        /* K members */
  /* shape shared by the members */
  int layers, units, batch, adam; /* adam: optimizer family (1: adam/adamw, 0: sgd/momentum/nesterov) */
  int min_updates;                /* updates per epoch at least, shared by the members (tb_mlp_passes) */
  tb_act act;
  int d, n_out, n_lin, n_t, rows; /* rows: max(batch_size, eval chunk), as tb_mlp */
  int fan_in[TB_MLP_MAX_LAYERS + 1], fan_out[TB_MLP_MAX_LAYERS + 1];
  size_t t_len[TB_FUSED_MAX_TENSORS], t_off[TB_FUSED_MAX_TENSORS]; /* per member / offset of the (K, t_len) block */
  size_t n_params;            /* per member */
  int regression;
  float y_mean, y_std;
  /* device buffers */
  tb_buf params, grads, mom1, mom2; /* K * n_params each (mom2: adam only) */
  tb_buf perm;                /* K * n_train dataset rows of one epoch, batch-major: batch at r holds (n_active, rows) */
  tb_buf idx;                 /* rows: evaluation row indices */
  tb_buf xb, yb;              /* K * batch (>= rows) x d features; K * rows labels or targets */
  tb_buf act_[TB_MLP_MAX_LAYERS], drop[TB_MLP_MAX_LAYERS], mask[TB_MLP_MAX_LAYERS]; /* K * rows * units */
  tb_buf dh[2];               /* K * rows * max(units, n_out) */
  tb_buf out;                 /* K * rows * n_out */
  tb_buf pred;                /* regression: K * rows */
  tb_buf loss;                /* K * max(n_train, rows) per-row losses */
  tb_buf cst;                 /* regression: {1, y_mean} */
  tb_buf ev_idx, ev_loss, ev_pred; /* evaluation: its rows; (active, rows) losses; (active, rows) argmax; grown to
                                      the largest evaluation, so an evaluation waits twice whatever its rows */
  int has_drop;               /* drop/mask allocated (some member ever had dropout > 0) */
  uint32_t *order, *order_one; /* host scratch: K * n_train, n_train */
  double *sums;               /* host scratch: K * (n_train / batch + 1) */
};

/* mlp_fused_train.c */
int tb_fused_train_epoch(tb_fused *f);
int tb_fused_eval_active(tb_fused *f, const uint32_t *rows, size_t n_rows, tb_metrics *out);
#endif
