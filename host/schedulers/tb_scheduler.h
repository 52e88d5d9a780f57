/* tb_scheduler.h: schedulers decide what to run next and at which fidelity, and when to stop a trial:
 * none (full budget), early stopping (patience, min delta), median stopping, successive halving, Hyperband,
 * ASHA, BOHB, PBT.
 *
 * A scheduler wraps a sampler (tb_sampler.h): it asks the sampler for new configurations when it wants new trials
 * and tells it each trial's final result, so any sampler runs under any scheduler meant for it (BOHB proposes its
 * own configurations from a KDE and falls back to the sampler for its random fraction). The executor calls:
 *   tb_scheduler_next()     when a worker is free: run a new trial, resume a paused one to a higher fidelity,
 *                           exploit (PBT: copy another trial's state, set new hyperparameters, continue), wait
 *                           (nothing to do until running jobs report), or done;
 *   tb_scheduler_report()   after every unit of fidelity with the current objective value; may say stop;
 *   tb_scheduler_finish()   when a job ended (reached its target fidelity, was stopped, or failed).
 * Values are in the user's direction (cfg.maximize); schedulers compare them internally as minimised.
 * Trial ids are the scheduler's own (0, 1, 2, ... in creation order); the executor uses them as study trial ids.
 * Same seed and same sequence of calls: same decisions. Tested by tests/test_scheduler_*.c.
 */
#ifndef TB_SCHEDULER_H
#define TB_SCHEDULER_H
#include "tb_api.h"
#include <stddef.h>
#include <stdint.h>

#include "tb_sampler.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_scheduler tb_scheduler;

typedef struct tb_scheduler_config {
  double min_fidelity;      /* r: the smallest unit a trial is trained for (e.g. 1 epoch); > 0 */
  double max_fidelity;      /* R: the full budget of one trial (e.g. 81 epochs) */
  long max_trials;          /* new trials the scheduler may start (0 = no limit: then max_budget must be set) */
  double max_budget;        /* total fidelity units over all trials (0 = no limit) */
  int maximize;             /* 1: the objective is maximised */
  uint64_t seed;
  int n_options;
  const char *const *option_names;  /* e.g. {"eta", "patience"} */
  const char *const *option_values;
} tb_scheduler_config;

typedef enum {
  TB_JOB_NEW = 0,     /* start trial `trial` with configuration x, train to fidelity_to */
  TB_JOB_RESUME = 1,  /* continue paused trial `trial` (its saved state) to fidelity_to */
  TB_JOB_EXPLOIT = 2, /* PBT: load `source`'s state (weights and optimizer) into `trial`, set configuration x,
                         continue to fidelity_to */
  TB_JOB_WAIT = 3,    /* nothing to start until a running job reports or finishes */
  TB_JOB_DONE = 4,    /* the scheduler's budget is spent and nothing is running */
} tb_job_kind;

typedef struct tb_job {
  tb_job_kind kind;
  int64_t trial;
  int64_t source;        /* EXPLOIT: the trial whose state is copied; -1 otherwise */
  const double *x;       /* NEW / EXPLOIT: configuration (dim of the sampler's space); valid until the next call */
  double fidelity_to;    /* train until this fidelity, then finish the job */
  int bracket, rung;     /* Hyperband/SH/ASHA/BOHB bookkeeping for the records (-1 when not used) */
} tb_job;

/* Creates scheduler `name` ("none", "early_stopping", "median", "sh", "hyperband", "asha", "bohb", "pbt") over
 * `sampler` (borrowed; must outlive the scheduler). Unknown names and options are errors listing what exists. */
TB_API int tb_scheduler_create(const char *name, tb_sampler *sampler, const tb_scheduler_config *cfg, tb_scheduler **out);
TB_API void tb_scheduler_free(tb_scheduler *s);
TB_API const char *tb_scheduler_name(const tb_scheduler *s);
TB_API const char *const *tb_scheduler_names(void);
/* The options scheduler `name` takes, as its registry states them ("eta, n"; "" for none), or NULL if unknown. */
const char *tb_scheduler_options(const char *name);

TB_API int tb_scheduler_next(tb_scheduler *s, tb_job *job);

/* Intermediate result of a running job: `value` at `fidelity` (> the previous report). *stop = 1 asks the executor
 * to end the job now (the trial is then pruned, or paused by rung-based schedulers that may resume it). */
TB_API int tb_scheduler_report(tb_scheduler *s, int64_t trial, double fidelity, double value, int *stop);

/* The job of `trial` ended at `fidelity` with final `value` (NAN when failed). state: complete (reached
 * fidelity_to), pruned (stopped by report), failed (diverged, oom, crashed: never resumed). */
TB_API int tb_scheduler_finish(tb_scheduler *s, int64_t trial, double fidelity, double value, tb_trial_state state);

/* Decisions the records need, drained by the executor after each call: PBT exploit/explore events and
 * promotions. Returns 1 and fills *ev while events remain, 0 when none. */
typedef enum { TB_SCHED_EV_PROMOTE = 0, TB_SCHED_EV_EXPLOIT = 1, TB_SCHED_EV_STOP = 2 } tb_sched_event_kind;
typedef struct tb_sched_event {
  tb_sched_event_kind kind;
  int64_t trial, source;     /* source: EXPLOIT only */
  double fidelity;
  const double *old_x, *new_x; /* EXPLOIT: hyperparameters before and after explore (valid until the next call) */
} tb_sched_event;
TB_API int tb_scheduler_pop_event(tb_scheduler *s, tb_sched_event *ev);

/* The bracket table Hyperband would run for (R, eta) given r = 1: for bracket s = s_max..0 the pairs (n_i, r_i).
 * Writes at most cap rows of (bracket, rung, n, r) and returns the number of rows needed. The trial counts come from
 * the formula the sh/hyperband/bohb bracket engine runs (sched_hyperband.c), so the table is what they do. */
TB_API int tb_hyperband_table(double R, double eta, int cap, int (*rows)[4]);

#ifdef __cplusplus
}
#endif
#endif
