/* objective_learner_impl.h: internal to the learner objective (host/objective/objective_learner.c, the solo path, and
 * host/objective/objective_fused.c, fused bundles): its state, its metric columns and the helpers both files use.
 * Not a public header. Tested through tests/test_objective.c, tests/test_study.c and tests/test_study_fused.c. */
#ifndef TB_OBJECTIVE_LEARNER_IMPL_H
#define TB_OBJECTIVE_LEARNER_IMPL_H
#include "objective_impl.h"
#include "tb_model.h"
#include "tb_validate.h"

/* The learner objective's metric columns (learner_metrics in objective_learner.c names them). */
enum { M_LOSS, M_ACC, M_RMSE, M_TIME, M_L1_50, M_L1_99, M_L256_50, M_L256_99, M_NPARAMS, M_BYTES, M_PEAK, M_ENERGY,
       M_N, M_TEST_ACC = M_N, M_TEST_LOSS, M_TEST_RMSE, M_NT };

typedef struct learner_impl {
  const tb_learner *L;
  const tb_eval_data *data;
  int latency_runs;
  tb_space *decl;           /* the learner's declared space (tb_model_create's), owned */
  int remap;                /* 1: the objective's space differs from decl (configurations are mapped) */
  const tb_dataset *test;   /* test rows (borrowed) or NULL */
  int units_index;          /* data fraction: the declared hyperparameter of the units (epochs, rounds, n_trees) */
  tb_space_map *map;        /* remap: the objective's space -> decl (choice tables made once) */
  int cont_index;           /* data fraction: the declared categorical that decides whether a saved state may
                               continue on more rows (lr_schedule, solver), or -1: never */
  unsigned cont_stop;       /* its declared choices (bits) that start again instead */
} learner_impl;

extern const tb_objective_vt tb_objlearner_vt;

/* x (the objective's space) -> the declared encoding tb_model_create takes, when the spaces differ (li->remap):
 * tb_space_map_apply with li->map. */
int tb_objlearner_to_declared(const learner_impl *li, const double *x, double *xl);
/* Maps a model error to the trial's status (diverged, oom, failed); TB_ERR_DEVICE_FATAL is returned as is. */
int tb_objlearner_model_fail(tb_trial_run *run, int rc, const char *what);
/* Copies the validation metrics into the run's metric columns. */
void tb_objlearner_put_metrics(const tb_metrics *mt, tb_trial_run *run);
/* Measures a trained model for run (train_time already set): parameters, saved state, bytes, the given peak
 * memory, latency and test scores. Model failures become the run's status. */
int tb_objlearner_finish_model(learner_impl *li, tb_model *m, tb_trial_run *run, int64_t peak);
#endif
