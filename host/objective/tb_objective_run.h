/* tb_objective_run.h: the job interface between an executor (host/study/) and the objectives: the plain struct of
 * one job run (inputs, report hook, outputs), the per-worker context, and the calls that run one job or a fused
 * bundle. C programs that only define objectives use tb_objective.h; this header is for code that drives them.
 * Tested through tests/test_objective.c and tests/test_study.c. */
#ifndef TB_OBJECTIVE_RUN_H
#define TB_OBJECTIVE_RUN_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tb_backend.h"
#include "tb_objective.h"
#include "tb_trial.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TB_TRIAL_REASON_MAX 2304 /* a 2 KiB stderr tail plus its prefix */

/* A worker's own compute context and the data uploaded to it (created on first use). */
typedef struct tb_worker_ctx {
  int index;
  tb_backend *be;
  void *devdata; /* tb_devdata * of the learner objective's dataset on be (NULL until needed) */
} tb_worker_ctx;

/* One job: a trial trained from fidelity_from to fidelity_to. */
typedef struct tb_trial_run {
  /* in */
  int64_t trial;              /* the scheduler's trial id */
  uint64_t seed;              /* tb_rng_derive(study seed, trial) */
  uint64_t study_seed;        /* the study's seed (data-fraction subsets: the same rows for every trial) */
  int data_fraction;          /* 1: fidelities are fractions of the training rows (learner objectives only): the job
                                 trains the configuration's own units on the first tb_data_fraction_size rows of
                                 tb_data_fraction_order(study_seed) and reports once, at fidelity_to */
  const double *x;            /* configuration (the objective's space) */
  double fidelity_from, fidelity_to, fidelity_max;
  int report_metric;          /* metric index reported after each unit (learner: a valid_* metric) */
  size_t memory_budget;       /* bytes for this trial's model on its context (0: none) */
  double timeout_s;           /* command objectives: wall-clock limit (0: none) */
  const volatile sig_atomic_t *interrupt; /* set when the study stops: end now as interrupted */
  tb_worker_ctx *wk;
  const void *state_in;       /* RESUME: the trial's saved state; EXPLOIT: the source's (NULL: start afresh) */
  size_t state_in_len;
  /* report hook: intermediate value at fidelity; *stop = 1 ends the job (pruned) */
  int (*report)(void *rctx, double fidelity, double value, double train_loss, double elapsed, int *stop);
  void *rctx;
  /* out */
  tb_trial_status status;     /* how the job ended (tb_trial.h) */
  char reason[TB_TRIAL_REASON_MAX];
  double fidelity;            /* reached */
  double last_value;          /* the last reported value (NAN if none) */
  double metrics[TB_OBJECTIVE_MAX_METRICS]; /* NAN when not measured */
  double train_time;          /* seconds */
  int64_t peak_memory;        /* bytes, -1 unknown */
  double latency_p50[2], latency_p99[2]; /* seconds, batch 1 and 256; NAN unknown */
  int64_t n_params;           /* -1 unknown */
  void *state_out;            /* malloc'ed saved state for a later RESUME/EXPLOIT (NULL: none) */
  size_t state_out_len;
} tb_trial_run;

/* Runs the objective's job (the executor's only entry point). */
int tb_objective_run(tb_objective *o, tb_trial_run *run);
/* Fused trials (objective_learner.c; docs/executor.md "Fused trials"). 1 when configurations a and b (the
 * objective's space) of a learner objective can train in one tb_fused bundle (mlp of one shape), else 0. */
int tb_objective_fusable(const tb_objective *o, const double *a, const double *b);
/* Runs n jobs of one worker context as one bundle: NEW jobs (no state_in, fidelity_from 0) of fusable
 * configurations and one fidelity_to train together, each member reporting through its own run->report after every
 * unit and measured as a solo trial after extraction (its state_out is that of the solo model); any other job, a
 * member a solo run would refuse, or a bundle that cannot be created runs alone (tb_objective_run). Results per
 * member as solo (bit-identical on the CPU). Returns an error only when the study cannot go on. */
int tb_objective_run_bundle(tb_objective *o, tb_trial_run *runs, int n);

#ifdef __cplusplus
}
#endif
#endif
