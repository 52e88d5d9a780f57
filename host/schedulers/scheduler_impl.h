/* scheduler_impl.h: internal to the schedulers (host/schedulers/scheduler.c, sched_*.c). The common part of every
 * scheduler (the trial table, budget accounting, the event queue, options, a seeded random stream) and the table each
 * scheduler fills. scheduler.c checks every call of the public interface (unknown trial, a trial that is not
 * running, fidelities that go backwards), converts values to "minimised" and keeps the budget; the hooks only
 * decide. Not a public header: included by the scheduler files only. Tested through tests/test_scheduler_*.c. */
#ifndef TB_SCHEDULER_IMPL_H
#define TB_SCHEDULER_IMPL_H
#include "tb_error.h"
#include "tb_options.h"
#include "tb_scheduler.h"

typedef enum { TB_SCHED_IDLE = 0, TB_SCHED_RUNNING = 1, TB_SCHED_ENDED = 2 } tb_sched_status;

typedef struct tb_sched_trial {
  int64_t sid;          /* id in the sampler; -1 when the scheduler proposed it itself (BOHB's KDE) */
  tb_sched_status status;
  double fidelity;      /* highest fidelity reached (0 before the first report) */
  double target;        /* RUNNING: the job's fidelity_to */
  double value;         /* minimised value at `fidelity` (NAN before any) */
  int bracket, rung;    /* rung-based schedulers: where the trial is (-1 otherwise) */
  int failed;           /* the last job failed */
  int stopped;          /* a STOP event was queued for it */
  tb_trial_state end_state; /* ENDED: what the sampler was told */
  size_t n_rep, cap_rep;
  double *rep;          /* (n_rep, 2): reported (fidelity, minimised value) pairs */
} tb_sched_trial;

typedef struct tb_sched_vt {
  const char *name;
  const char *options; /* allowed option names, comma-separated, for messages */
  int (*create)(tb_scheduler *s);  /* reads options, allocates s->impl */
  /* fills job (use tb_sched_start for NEW/RESUME/EXPLOIT); WAIT/DONE are filled by the hook too */
  int (*next)(tb_scheduler *s, tb_job *job);
  /* optional: intermediate value (minimised), already recorded in t->rep; may set *stop */
  int (*report)(tb_scheduler *s, int64_t trial, double fidelity, double value, int *stop);
  /* the job ended; t->status is already IDLE, t->fidelity/value updated (value minimised, NAN when failed) */
  int (*finish)(tb_scheduler *s, int64_t trial, tb_trial_state state);
  void (*destroy)(tb_scheduler *s); /* frees s->impl */
} tb_sched_vt;

typedef struct tb_sched_event_rec {
  tb_sched_event ev; /* old_x/new_x unused in the queue: x holds them */
  double *x;         /* (2, dim) for EXPLOIT, NULL otherwise */
} tb_sched_event_rec;

/* BOHB: proposes a configuration (writes x, sets *own = 1) or leaves it to the sampler (*own = 0). */
typedef int (*tb_sched_propose_fn)(tb_scheduler *s, double *x, int *own);

struct tb_scheduler {
  const tb_sched_vt *vt;
  tb_sampler *sampler;
  const tb_space *sp;
  int dim;
  double min_fidelity, max_fidelity, max_budget;
  long max_trials;
  int maximize;
  uint64_t seed, rng_pos;
  /* trials: id == index */
  size_t n_trials, cap;
  tb_sched_trial *t;
  double *x;               /* (cap, dim) current configuration of each trial */
  int exhausted;           /* the sampler gave no more configurations */
  double budget_used;      /* fidelity units trained (reported increments) */
  double budget_committed; /* used + what running jobs were asked to train */
  int n_running;
  /* events */
  size_t ev_head, ev_n, ev_cap;
  tb_sched_event_rec *ev;
  double *ev_x;            /* (2, dim): old_x/new_x of the last popped event */
  double *job_x;           /* (dim): the last job's x */
  tb_sched_propose_fn propose;
  /* options */
  tb_options opts;         /* name=value options, read with the *_opt_* getters */
  void *impl, *aux;
};

/* Random stream of the scheduler's seed. */
double tb_sched_uniform(tb_scheduler *s);
double tb_sched_normal(tb_scheduler *s);
long tb_sched_randint(tb_scheduler *s, long n);

/* Options, as tb_sampler_opt_*: absent leaves *out unchanged. */
int tb_sched_opt_double(tb_scheduler *s, const char *name, double lo, double hi, double *out);
int tb_sched_opt_long(tb_scheduler *s, const char *name, long lo, long hi, long *out);
int tb_sched_opt_enum(tb_scheduler *s, const char *name, const char *allowed, int *out);

/* 1 when a new trial may be created (max_trials not reached, sampler not exhausted). */
int tb_sched_can_create(const tb_scheduler *s);
/* 1 when the budget allows starting a job (max_budget unset, or committed < max_budget). */
int tb_sched_budget_ok(const tb_scheduler *s);
/* Creates a trial with configuration x, or (x NULL) from s->propose / the sampler. TB_ERR_EXHAUSTED when no
 * trial can be created (the limit, or the sampler ran out: s->exhausted is then set); *id is the new trial. */
int tb_sched_new_trial(tb_scheduler *s, const double *x, int64_t *id);
/* Fills job and marks the trial running toward fidelity_to. */
void tb_sched_start(tb_scheduler *s, tb_job *job, tb_job_kind kind, int64_t trial, int64_t source,
                    double fidelity_to, int bracket, int rung);
/* Ends trial's life: tells the sampler (value at the highest fidelity; FAILED without values). */
int tb_sched_end(tb_scheduler *s, int64_t trial, tb_trial_state state);
/* Ends every trial that is not running and not ended yet, with `state` (PRUNED for paused ones). */
int tb_sched_end_all_idle(tb_scheduler *s, tb_trial_state state);
/* WAIT when jobs are running, else DONE. */
void tb_sched_wait_or_done(tb_scheduler *s, tb_job *job);
/* Queues an event (old_x/new_x copied for EXPLOIT). */
int tb_sched_push_event(tb_scheduler *s, tb_sched_event_kind kind, int64_t trial, int64_t source, double fidelity,
                        const double *old_x, const double *new_x);
/* Minimised value trial reported at `fidelity` (within 1e-9 relative); 0 when it did not report there. */
int tb_sched_value_at(const tb_sched_trial *t, double fidelity, double *v);
/* floor(log_eta R): the largest s with eta^s <= R (robust to rounding: 81 and 3 give 4). */
int tb_sched_log_floor(double R, double eta);

static inline double *tb_sched_x(tb_scheduler *s, int64_t id) { return s->x + (size_t)id * (size_t)s->dim; }

/* sched_hyperband.c: the bracket engine shared by sh, hyperband and bohb. */
int tb_hb_setup(tb_scheduler *s, int several_brackets);
int tb_hb_next(tb_scheduler *s, tb_job *job);
int tb_hb_finish(tb_scheduler *s, int64_t trial, tb_trial_state state);
void tb_hb_destroy(tb_scheduler *s);
/* Trials of the rungs i = 0..s of bracket s (s_max = floor(log_eta R)): n_0 = n_opt when > 0, else
 * ceil((s_max+1)/(s+1) eta^s); n_i = max(1, floor(n_0 eta^-i)). Writes s + 1 counts. The one formula of the
 * brackets: the engine's and tb_hyperband_table's. */
void tb_hb_rung_sizes(double eta, int s, int s_max, long n_opt, long *n);

extern const tb_sched_vt tb_sched_none_vt, tb_sched_early_stopping_vt, tb_sched_median_vt, tb_sched_sh_vt,
    tb_sched_hyperband_vt, tb_sched_asha_vt, tb_sched_bohb_vt, tb_sched_pbt_vt;
#endif
