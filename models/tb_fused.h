/* tb_fused.h: fused trials. K same-shape MLP trials trained as ONE batched model on one backend context: every
 * op runs once for all members (strided-batched GEMM, K-model bias/column-sum/optimizer calls with per-member
 * hyperparameters), while each member keeps its own configuration, seed, shuffle, dropout stream, learning-rate
 * schedule and optimizer state. On the CPU a member's numbers are bit-identical to training it alone
 * (tb_model_create + tb_model_train with the same configuration, data and seed); on the GPU a batched GEMM may
 * round differently from a single one, so there they agree to GEMM rounding (see docs/learners.md).
 * Members are stopped, resumed, replaced (new configuration and seed in the slot) and extracted (promoted to a
 * normal tb_model with the identical state) one by one.
 * It is not a scheduler (host/schedulers/tb_scheduler.h decides who stops) and not for logistic regression, GBDT or
 * forests (mlp only for now). Tested by tests/test_model_fused.c.
 */
#ifndef TB_FUSED_H
#define TB_FUSED_H
#include <stddef.h>
#include <stdint.h>

#include "tb_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_fused tb_fused;

typedef enum {
  TB_FUSED_ACTIVE = 0,   /* trains with the bundle */
  TB_FUSED_STOPPED = 1,  /* stopped by the caller; its state is kept (extract, resume, replace) */
  TB_FUSED_DIVERGED = 2, /* its training loss became NaN or infinite; stopped automatically, state kept */
} tb_fused_status;

/* NULL when configurations a and b of learner L can train in one bundle, else a message into buf naming the first
 * shape-defining hyperparameter that differs ("units: 128 vs 256") or why a is not fusable. Shape-defining: layers,
 * units, act, batch_size and the optimizer family (sgd/momentum/nesterov vs adam/adamw). Everything else (lr,
 * momentum, weight_decay, dropout, init, schedule and its parameters, epochs) may differ per member. */
const char *tb_fused_compatible(const tb_learner *L, const tb_space *sp, const double *a, const double *b, char *buf,
                                size_t len);

/* Creates a bundle of K >= 1 members on dd's context: member k has configuration xs[k] (copied) and seed seeds[k],
 * and is initialised exactly as tb_model_create would. All members train on parts->train (copied). Incompatible
 * configurations fail with TB_ERR_INVALID naming the member and the hyperparameter; a learner other than mlp
 * with TB_ERR_UNSUPPORTED. *out is owned by the caller (tb_fused_free). */
int tb_fused_create(const tb_learner *L, const tb_space *sp, const double *const *xs, int K, tb_devdata *dd,
                    const tb_parts *parts, const uint64_t *seeds, tb_fused **out);
/* The same two from configurations the caller decoded once (tb_learner_config_create; borrowed: the bundle keeps
 * copies), so a trial's configuration is not decoded again. */
const char *tb_fused_compatible_config(const tb_learner_config *a, const tb_learner_config *b, char *buf, size_t len);
int tb_fused_create_config(const tb_learner_config *const *cs, int K, tb_devdata *dd, const tb_parts *parts,
                           const uint64_t *seeds, tb_fused **out);
void tb_fused_free(tb_fused *f); /* NULL is a no-op */

/* Bytes of device memory a bundle of K members of configuration x allocates for this data shape. */
int tb_fused_estimate_bytes(const tb_learner *L, const tb_space *sp, const double *x, int K, size_t n_rows,
                            int n_cols, int n_outputs, size_t *bytes);

int tb_fused_size(const tb_fused *f);     /* K, the number of members (slots) */
int tb_fused_n_active(const tb_fused *f); /* members that train */

/* Trains every active member `units` more epochs (stopped members are not computed at all: the bundle keeps its
 * active members in the first slots and every op runs over those only). A member whose epoch loss is not finite
 * becomes TB_FUSED_DIVERGED at that epoch and the others go on; this is not an error of the call. */
int tb_fused_train(tb_fused *f, int units);

/* Metrics of every ACTIVE member on rows of the dataset: out[k] for member k (an array of K; inactive members get
 * NAN metrics and n = 0). One forward pass for all members per chunk of rows. */
int tb_fused_evaluate(tb_fused *f, const uint32_t *rows, size_t n_rows, tb_metrics *out);

/* Stops member k (no-op when it is not active) / makes a stopped or diverged member k train again from its state. */
int tb_fused_stop(tb_fused *f, int k);
int tb_fused_resume(tb_fused *f, int k);

/* Puts a new member in slot k: configuration x (must be compatible with the bundle), seed; initialised as
 * tb_model_create would, fidelity 0, active. */
int tb_fused_replace(tb_fused *f, int k, const double *x, uint64_t seed);

/* Promotes member k: *out (owned by the caller) is a tb_model of member k's configuration and seed, on the same
 * data and context, with its weights, optimizer state, fidelity, epoch, step and dropout stream position, so it
 * continues exactly as the member would (and as a solo model trained alike). */
int tb_fused_extract(tb_fused *f, int k, tb_model **out);

tb_fused_status tb_fused_status_of(const tb_fused *f, int k); /* TB_FUSED_STOPPED for a bad k */
int tb_fused_fidelity(const tb_fused *f, int k);   /* epochs member k has trained (-1 for a bad k) */
double tb_fused_train_loss(const tb_fused *f, int k); /* mean training loss of member k's last epoch (NAN: none) */

#ifdef __cplusplus
}
#endif
#endif
