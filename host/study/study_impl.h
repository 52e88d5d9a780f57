/* study_impl.h: internal to the study executor (host/study/study.c: coordinator; study_worker.c: worker threads;
 * study_store.c: store records and resume history). Jobs and results cross between the coordinator and the workers
 * as plain structs (study_job, tb_trial_run), so a later coordinator could hand them to MPI ranks instead of threads.
 * Includes neither tb_sampler.h nor tb_store.h (their TB_TRIAL_* enumerators clash); each .c includes one of them.
 * Tested through tests/test_study.c. */
#ifndef TB_STUDY_IMPL_H
#define TB_STUDY_IMPL_H
#include <pthread.h>
#include <signal.h>

#include "tb_objective_run.h"
#include "tb_study.h"

/* A job for a worker: train trial `trial` from fidelity_from to fidelity_to. */
typedef struct study_job {
  int64_t trial, store_id;
  uint64_t seed;
  const double *x;              /* the trial's configuration (owned by the coordinator's record) */
  double fidelity_from, fidelity_to;
  const void *state;            /* RESUME/EXPLOIT: the saved state to continue from (NULL: afresh) */
  size_t state_len;
} study_job;

enum { W_IDLE = 0, W_JOB, W_RUNNING, W_REPORT, W_ENDED, W_QUIT };

struct study_worker;
/* The report context of one job of a worker: k = -1 for the worker's solo job, else member k of its bundle. */
typedef struct study_member {
  struct study_worker *w;
  int k;
} study_member;

typedef struct study_worker {
  tb_study *s;
  pthread_t thread;
  int started;
  int state;                    /* W_* (under s->mu) */
  study_job job;
  tb_trial_run run;             /* the result of the job (W_ENDED) */
  double rep_fid, rep_val, rep_loss, rep_elapsed; /* W_REPORT: the report */
  int rep_stop, rep_done;       /* the coordinator's answer */
  int rep_k;                    /* W_REPORT: -1 (job) or the bundle member that reports */
  /* fused bundle (tb_study_params.fuse >= 2): n_bundle >= 2 members in bjob/brun instead of job/run */
  int n_bundle;
  study_job *bjob;              /* fuse entries each (NULL when fuse < 2) */
  tb_trial_run *brun;
  study_member *bctx, self;
  int rc;                       /* an error that stops the study (device fatal, no context) */
  pthread_cond_t cv;
  tb_worker_ctx ctx;
} study_worker;

/* A finished or interrupted row of the resume history (experiment of this study only), in journal order. */
typedef struct study_row {
  int64_t store_id, parent_id, retry_of;
  uint64_t seed;
  int status, interrupted, consumed;
  double *x;                    /* dim values (owned) */
  double values[TB_STUDY_MAX_OBJECTIVES];
  double fidelity, train_time, lat50[2], lat99[2];
  int64_t peak_memory, n_params;
  size_t n_curve;
  double *curve;                /* (n_curve, 2): fidelity, value (owned) */
  char reason[128];
} study_row;

/* The coordinator's record of one trial (scheduler id = index). */
typedef struct study_rec {
  tb_study_trial pub;
  double *x;                    /* owned */
  char *reason;                 /* owned */
  void *state;                  /* latest saved state (tb_model_save blob) for RESUME/EXPLOIT (owned) */
  size_t state_len;
  int running;
  int bracket, rung;
  double fidelity_from;         /* the fidelity this row started from (its parent's; 0 for a new trial) */
} study_rec;

struct tb_study {
  tb_objective *obj;
  tb_study_params p;
  int dim, n_obj;               /* n_obj: tuned objectives */
  int n_rec_obj;                /* recorded objectives (n_obj tuned first, then recorded-only ones) */
  int metric[TB_STUDY_MAX_OBJECTIVES]; /* objective i = metric metric[i] of the objective */
  int report_metric, report_to_scheduler;
  char strategy[32];
  volatile sig_atomic_t stop;
  int stopped;
  /* store */
  tb_store *store;
  int experiment;
  int64_t next_store_id;        /* without a store (with one, tb_store_next_trial_id) */
  int64_t next_snapshot;        /* next Pareto snapshot number without a store */
  int front_stored;             /* resume: the history holds this study's Pareto snapshot after its last trial */
  /* trials */
  study_rec *rec;
  size_t n_rec, cap_rec;
  size_t n_ended, n_replayed;   /* jobs ended in this run; history rows replayed */
  int have_best;                /* progress: best complete value of the first objective so far */
  double best, t_start;
  double units_used;            /* progress: fidelity units trained by the rows ended (each counts what it added) */
  /* resume */
  study_row *rows;
  size_t n_rows;
  /* workers */
  pthread_mutex_t mu;
  pthread_cond_t cv;            /* the coordinator waits on it */
  study_worker *w;
  int n_w;
};

/* study_results.c: the Pareto front of the complete trials, written to the store */
int tb_study_store_front(tb_study *s);

/* study_worker.c */
int tb_study_workers_start(tb_study *s);
void tb_study_workers_stop(tb_study *s);

/* study_store.c: records (no-ops without a store) */
int tb_study_store_begin(tb_study *s, const study_rec *r, int64_t store_id, int64_t parent_id, int64_t retry_of,
                         int continues, double fidelity_max);
int tb_study_store_curve(tb_study *s, int64_t store_id, int64_t step, double fidelity, double value, double train_loss,
                         double elapsed);
int tb_study_store_end(tb_study *s, const study_rec *r, const tb_trial_run *run, int64_t store_id);
int tb_study_store_lineage(tb_study *s, int64_t member, int64_t from, int64_t to, int explore, const double *old_x,
                        const double *new_x);
int tb_study_store_pareto(tb_study *s, const int64_t *store_ids, size_t n, double hv);
int tb_study_store_sync(tb_study *s);
/* The next store row id (the store's when attached, else s->next_store_id++). */
int64_t tb_study_next_store_id(tb_study *s);
/* Loads the rows of s's experiment, strategy and repetition from h into s->rows and sets s->next_store_id. */
int tb_study_history_load(tb_study *s, const tb_store_history *h);
void tb_study_rows_free(tb_study *s);

#endif
