/* tb_study.h: the study executor. A study runs an objective (tb_objective.h) under a sampler (tb_sampler.h) and a
 * scheduler (tb_scheduler.h): a coordinator (the thread that calls tb_study_run) owns the scheduler and hands jobs,
 * as plain structs, to N worker threads, each with its own compute context; results come back as plain structs.
 * Every trial's seed is tb_rng_derive(study seed, trial id), so trial results do not depend on the number of workers.
 * Each trial is recorded in memory (tb_study_trial) and, when a store is attached, in the results store. At the end
 * the Pareto front over the chosen objectives and its hypervolume are computed (and stored).
 * Failures (diverged, oom, failed) are recorded and the study goes on. Resume replays a store history.
 * This header includes neither tb_sampler.h nor tb_store.h (their TB_TRIAL_* enumerators clash): statuses are
 * tb_trial_status numbers of tb_store.h (0 complete, 1 pruned, 2 failed, 3 diverged, 4 oom, 5 interrupted).
 * Documented in docs/executor.md and docs/c-api.md; tested by tests/test_study.c and tests/test_c_api_example.c. */
#ifndef TB_STUDY_H
#define TB_STUDY_H
#include "tb_api.h"
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tb_objective.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TB_STUDY_MAX_OBJECTIVES 8

typedef struct tb_study tb_study;
typedef struct tb_store tb_store;                 /* tb_store.h */
typedef struct tb_store_history tb_store_history; /* tb_store.h */
struct tb_store_experiment;

/* What the progress callback gets after every finished job (tb_study_params.progress). */
typedef struct tb_study_progress {
  long n_ended;             /* jobs ended in this run (replayed ones included) */
  long n_trials;            /* trials started so far (scheduler ids) */
  long n_trials_max;        /* n_trials of the parameters (0: none) */
  int have_best;            /* 1 when a complete trial has a value */
  double best;              /* best value of the first objective so far (in its direction) */
  double elapsed_s;         /* seconds since tb_study_run started */
  double units_used;        /* fidelity units the ended rows trained (a promotion counts only what it added) */
} tb_study_progress;

typedef struct tb_study_params {
  const char *sampler;                  /* tb_sampler_names(): "random", "grid", "tpe", "nsga2", ... */
  int n_sampler_options;
  const char *const *sampler_option_names, *const *sampler_option_values;
  const char *scheduler;                /* tb_scheduler_names(): "none", "hyperband", ...; ignored (full budget,
                                           no scheduler) when n_objectives > 1 */
  int n_scheduler_options;
  const char *const *scheduler_option_names, *const *scheduler_option_values;
  long n_trials;                        /* new trials at most (0: scheduler budget only) */
  double max_budget;                    /* total fidelity units (0: none) */
  double min_fidelity, max_fidelity;    /* r and R (units of the objective: epochs, rounds, trees, steps; with
                                           data_fraction, fractions of the training rows: 0 < r <= R <= 1) */
  int data_fraction;                    /* 1: the fidelity is a fraction of the training rows (learner objectives
                                           only; each job trains the configuration's own units on the study's
                                           nested subset and reports once; docs/executor.md); 0: the objective's
                                           own units. Budgets (max_budget) then count fractions: a trial that
                                           reaches f counts f */
  uint64_t seed;                        /* study seed */
  int n_workers;                        /* worker threads (>= 1) */
  int fuse;                             /* fused trials: up to this many NEW mlp trials of one shape and fidelity
                                           train as one batched model on a worker (0 or 1: off; docs/executor.md) */
  int threads_per_trial;                /* CPU threads per worker context (0: cores / n_workers, at least 1) */
  const char *device;                   /* "cpu", "cuda:0", "auto" */
  size_t memory_budget;                 /* device bytes per trial's model (0: none) */
  int n_objectives;                     /* 1..TB_STUDY_MAX_OBJECTIVES */
  const char *objectives[TB_STUDY_MAX_OBJECTIVES]; /* metric names of the objective (NULL first: its metric 0) */
  int maximize[TB_STUDY_MAX_OBJECTIVES];
  int n_recorded;                       /* 0 (= n_objectives) or n_objectives..TB_STUDY_MAX_OBJECTIVES: objectives
                                           [n_objectives, n_recorded) are measured and recorded (trial values, the
                                           store) but never told to the sampler or scheduler, nor used for the best
                                           trial or the Pareto front (e.g. test_accuracy on held-out rows) */
  const double *ref_point;              /* hypervolume reference (n_objectives values) or NULL: derived */
  double max_wall_s;                    /* stop (as tb_study_request_stop) after this long (0: none) */
  long stop_after;                      /* stop once this many trials have ended (0: none; tests of resume) */
  const volatile sig_atomic_t *stop_flag; /* stop (as tb_study_request_stop) once *stop_flag is non-zero, e.g. set
                                           by the caller's signal handler; polled every 50 ms (NULL: none) */
  int repetition;                       /* seed repetition index, for the store */
  const char *strategy;                 /* store strategy name (NULL: the sampler's name) */
  /* called by the coordinator thread after every finished job (NULL: none); keep it short: workers wait */
  void (*progress)(void *ctx, const tb_study_progress *p);
  void *progress_ctx;
  /* warm starts (each run, before the first ask; a resumed run repeats them, so its replay matches): */
  int n_initial;                        /* configurations evaluated first, in order (tb_sampler_enqueue) */
  const double *initial;                /* (n_initial, dim) in the space's encoding */
  int n_warm;                           /* earlier trials told to the sampler (tb_sampler_add_observation) */
  const double *warm_x;                 /* (n_warm, dim) */
  const double *warm_values;            /* (n_warm, n_objectives) in the objectives' directions */
  const int *warm_status;               /* n_warm tb_trial_status numbers (complete, pruned, failed), NULL: complete */
} tb_study_params;

TB_API tb_study_params tb_study_params_default(void); /* random / none, 1 worker, cpu, fidelity 1..1, seed 0 */
TB_API size_t tb_study_params_size(void); /* sizeof(tb_study_params): bindings that mirror the struct check it */
TB_API const char *tb_study_check_params(const tb_study_params *p); /* NULL or a short message */

/* Creates a study of obj (borrowed: it must outlive the study). Names of objectives are checked against the
 * objective's metrics; the sampler and scheduler are created by tb_study_run. */
TB_API int tb_study_create(tb_objective *obj, const tb_study_params *p, tb_study **out);
TB_API void tb_study_free(tb_study *s); /* NULL is a no-op */

/* Records every trial into st (borrowed) as experiment `experiment` (added by the caller, e.g. with the fields of
 * tb_study_describe_experiment). Trial ids (store rows) and Pareto snapshot numbers are then reserved from the
 * store (tb_store_next_trial_id, tb_store_next_snapshot), so several studies write into one store without
 * collisions; without a store, rows are numbered from 0 (or from the history's next id). */
TB_API int tb_study_attach_store(tb_study *s, tb_store *st, int experiment);
/* Fills exp's space, objective names and directions from the study (name, learner, dataset are the caller's). */
TB_API void tb_study_describe_experiment(const tb_study *s, struct tb_store_experiment *exp);

/* Runs the study until the scheduler is done, the trial budget is spent or a stop is requested. history (may be
 * NULL): the store history of an earlier run (tb_store_open_resume), possibly of a whole suite: only the trials of
 * this study's experiment, strategy (p.strategy, or the sampler's name) and repetition are used. Its finished
 * trials are replayed into the sampler and scheduler in order, its interrupted ones re-run with their configuration
 * and seed (retry_of). Returns TB_OK also when trials failed or the study was stopped (tb_study_stopped tells); an error
 * only when the study itself cannot go on (bad sampler name, no device, store write error). */
TB_API int tb_study_run(tb_study *s, const tb_store_history *history);

/* Asks a running study to stop: running trials end as interrupted, the store is synced. Async-signal-safe. */
TB_API void tb_study_request_stop(tb_study *s);
TB_API int tb_study_stopped(const tb_study *s); /* 1 when the last run ended on a stop */

/* One trial as the study knows it (latest state when a trial ran in several jobs). */
typedef struct tb_study_trial {
  int64_t id;                 /* scheduler trial id (0, 1, ...) */
  int64_t store_id;           /* its row in the store (differs from id when a run was resumed or a job continued) */
  int64_t parent_id;          /* store row this one continued (promotion, PBT exploit), -1 */
  int64_t retry_of;           /* store id of the interrupted trial it re-ran, -1 */
  uint64_t seed;
  int status;                 /* tb_trial_status number (see above) */
  int replayed;               /* 1: taken from the resume history, not run now */
  const double *x;            /* configuration (tb_space_dim of the objective's space) */
  double values[TB_STUDY_MAX_OBJECTIVES]; /* chosen objectives, then the recorded-only ones (NAN: not measured) */
  double fidelity;            /* reached */
  double train_time_s;
  int64_t peak_memory;        /* bytes, -1 unknown */
  double latency_p50[2], latency_p99[2]; /* seconds at batch 1, 256; NAN unknown */
  int64_t n_params;           /* -1 unknown */
  const char *reason;         /* failure reason ("" when none) */
  int fused;                  /* members of the fused bundle its last job trained in (0: trained alone) */
} tb_study_trial;

TB_API size_t tb_study_n_trials(const tb_study *s);
TB_API const tb_study_trial *tb_study_get_trial(const tb_study *s, size_t i); /* by trial id; NULL if none */

/* The best complete trial by the first objective (-1 when none). */
TB_API int64_t tb_study_best(const tb_study *s);

/* Pareto front of complete trials over the chosen objectives: ids (room for tb_study_n_trials) and hypervolume
 * against the reference point (given, or derived: per objective the worst complete value plus 10% of the range,
 * +1 when the range is 0). */
TB_API int tb_study_pareto(const tb_study *s, int64_t *ids, size_t *n_front, double *hypervolume, double *ref_used);

#ifdef __cplusplus
}
#endif
#endif
