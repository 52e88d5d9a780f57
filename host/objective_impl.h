/* objective_impl.h: what the executor (host/study*.c) and the objectives (host/objective*.c) share: the plain
 * struct of one job run (inputs, report hook, outputs), the per-worker context and the objective's table.
 * Not public: C programs use tb_objective.h. Statuses use the numbering of tb_store.h's tb_trial_status (this
 * header cannot include tb_store.h: its TB_TRIAL_* enumerators clash with tb_sampler.h's in files that need both).
 * Tested through tests/test_objective.c and tests/test_study.c. */
#ifndef TB_OBJECTIVE_IMPL_H
#define TB_OBJECTIVE_IMPL_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tb_backend.h"
#include "tb_objective.h"

/* Same numbers as tb_trial_status (tb_store.h). */
enum { TB_RUN_COMPLETE = 0, TB_RUN_PRUNED = 1, TB_RUN_FAILED = 2, TB_RUN_DIVERGED = 3, TB_RUN_OOM = 4,
       TB_RUN_INTERRUPTED = 5 };

#define TB_RUN_REASON_MAX 2304 /* a 2 KiB stderr tail plus its prefix */

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
  int status;                 /* TB_RUN_* */
  char reason[TB_RUN_REASON_MAX];
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

typedef struct tb_objective_vt {
  int (*run)(tb_objective *o, tb_trial_run *run);
  void (*free)(tb_objective *o);
} tb_objective_vt;

#define TB_OBJ_NAME_MAX 64
struct tb_objective {
  tb_objective_kind kind;
  const tb_objective_vt *vt;
  tb_space *space;          /* owned */
  int n_metrics;
  char names[TB_OBJECTIVE_MAX_METRICS][TB_OBJ_NAME_MAX];
  int maximize[TB_OBJECTIVE_MAX_METRICS]; /* natural direction of each metric */
  int intermediate[TB_OBJECTIVE_MAX_METRICS]; /* 1: reported after each unit */
  void *impl;               /* kind-specific */
};

/* Fills the outputs of run with "unknown" (NAN, -1) before an objective runs. */
void tb_objective_run_reset(tb_trial_run *run);
/* Sets run->status and a formatted run->reason; returns TB_OK (the job ran; the trial failed). */
int tb_objective_run_fail(tb_trial_run *run, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs the objective's job (the executor's only entry point). */
int tb_objective_run(tb_objective *o, tb_trial_run *run);
/* A new objective with metrics names[0..n) (NULL names: "value") and the space sp (taken over when own is 1, else
 * copied; freed on failure when own). */
int tb_objective_alloc_common(tb_objective_kind kind, const tb_objective_vt *vt, tb_space *sp, int own, int n,
                              const char *const *names, tb_objective **out);
/* Command objective constructor's table (objective_cmd.c). */
extern const tb_objective_vt tb_objective_cmd_vt;
double tb_objective_now(void); /* monotonic seconds */

/* Fused trials (objective_learner.c; docs/executor.md "Fused trials"). 1 when configurations a and b (the
 * objective's space) of a learner objective can train in one tb_fused bundle (mlp of one shape), else 0. */
int tb_objective_fusable(const tb_objective *o, const double *a, const double *b);
/* Runs n jobs of one worker context as one bundle: NEW jobs (no state_in, fidelity_from 0) of fusable
 * configurations and one fidelity_to train together, each member reporting through its own run->report after every
 * unit and measured as a solo trial after extraction (its state_out is that of the solo model); any other job, a
 * member a solo run would refuse, or a bundle that cannot be created runs alone (tb_objective_run). Results per
 * member as solo (bit-identical on the CPU). Returns an error only when the study cannot go on. */
int tb_objective_run_bundle(tb_objective *o, tb_trial_run *runs, int n);

#endif
