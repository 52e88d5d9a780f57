/* tb_store.h: the results store of a study: FILE.h5 (HDF5, layout in docs/results-format.md) and its journal
 * FILE.h5.journal (tb_journal.h), the source of truth. Every call is first appended to the journal (fsync'ed at
 * each finished trial, one fsync shared by trials finishing together, and at study start and end), then queued to
 * one writer thread that appends to the .h5 and flushes it per finished trial (SWMR: readers may open the file
 * while the study runs). The caller never waits for HDF5. On resume the journal is replayed, handed back as an
 * event history, and the .h5 is rebuilt from it.
 * Not here: running trials (the executor), choosing configurations (samplers). All calls are thread-safe.
 * Tested by tests/test_store.c, tests/test_store_kill.c and tests/test_store_h5py.c. */
#ifndef TB_STORE_H
#define TB_STORE_H
#include "tb_api.h"
#include <stddef.h>
#include <stdint.h>

#include "tb_space.h"
#include "tb_trial.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TB_STORE_NAME_MAX 64      /* experiment, objective names (bytes, with the terminating 0) */
#define TB_STORE_STRATEGY_MAX 32  /* strategy names */
#define TB_STORE_DEVICE_MAX 32    /* memory-sample device names */
#define TB_STORE_REASON_MAX 128   /* failure reasons */
#define TB_STORE_JSON_MAX 1024    /* lineage hyperparameters as JSON text */
#define TB_STORE_MAX_OBJECTIVES 8
#define TB_STORE_MAX_ATTRS 8      /* numeric attributes of an experiment */
#define TB_STORE_FORMAT_VERSION 2 /* the .h5's format_version (docs/results-format.md): 2 = one trials row per
                                     configuration, a rungs table; 1 = one row per run */

typedef struct tb_store tb_store; /* an open study (opaque) */

/* How a trial ended: tb_trial_status of tb_trial.h. */

typedef enum { TB_LINEAGE_EXPLOIT = 0, TB_LINEAGE_EXPLORE = 1 } tb_lineage_kind;

/* Study description: strings are copied. */
typedef struct tb_store_study {
  const char *suite_name;  /* the suite's name */
  const char *suite_text;  /* the whole suite file, as run */
  int n_seeds;             /* seeds of the repetitions */
  const uint64_t *seeds;
  const char *version;     /* tunebench version (NULL: this build's) */
  const char *device;      /* "cpu", "cuda:0" */
  const char *card;        /* "NVIDIA H100 80GB HBM3", "" on CPU */
  const char *host;        /* host name (NULL: gethostname) */
  double start_time;       /* unix seconds (0: now) */
} tb_store_study;

/* One experiment (learner x dataset x search space). Index = order of tb_store_add_experiment, from 0. */
typedef struct tb_store_experiment {
  const char *name;        /* unique; [A-Za-z0-9_.-], 1..63 chars: its group name in the .h5 */
  const char *learner;     /* free text */
  const char *dataset;     /* dataset SPEC */
  const tb_space *space;   /* finalized; copied */
  int n_objectives;        /* 1..TB_STORE_MAX_OBJECTIVES */
  const char *const *objective_names; /* [A-Za-z0-9_.-] names */
  const int *maximize;     /* per objective: 1 maximise, 0 minimise */
} tb_store_experiment;

/* A run's start: a new configuration (a trial: one row of the trials table) or a promotion continuing one. */
typedef struct tb_store_trial {
  int64_t id;              /* >= 0, unique in the study */
  int experiment;          /* experiment index */
  const char *strategy;    /* sampler / scheduler name, < TB_STORE_STRATEGY_MAX bytes */
  int repetition;          /* index of the seed repetition */
  uint64_t seed;           /* the trial's own seed */
  int64_t parent_id;       /* PBT parent, -1 if none */
  int64_t retry_of;        /* the interrupted trial this one repeats, -1 if none */
  double start_time;       /* unix seconds */
  const double *config;    /* tb_space_dim values (tb_space.h's encoding; NAN = inactive) */
  int continues;           /* 1: a promotion (or a PBT member's next segment): this run continues parent_id's
                              configuration, whose row it updates (same trial); 0: a new configuration (a PBT
                              exploit's parent_id is its lineage) */
  double fidelity_max;     /* the fidelity at which the configuration is complete (a multi-fidelity scheduler's
                              max_fidelity): a run that completes below it leaves its trial pruned until a promotion
                              continues it; 0: no rungs */
} tb_store_trial;

/* A trial's end. */
typedef struct tb_store_result {
  int64_t id;
  tb_trial_status status;
  const double *objectives;  /* n_objectives values (NAN when not measured) */
  double fidelity;           /* fidelity reached (epochs, rounds, fraction) */
  double end_time;           /* unix seconds */
  double train_time;         /* seconds spent training */
  int64_t peak_memory;       /* bytes, -1 unknown */
  double latency_p50[2];     /* seconds per prediction at batch 1 and 256 (NAN unknown) */
  double latency_p99[2];
  int64_t n_params;          /* model parameter count, -1 unknown */
  const char *reason;        /* failure reason or NULL, < TB_STORE_REASON_MAX bytes */
} tb_store_result;

typedef struct tb_store_curve {
  int64_t trial, step;
  double fidelity, train_loss, val_metric, elapsed; /* elapsed: seconds since the trial started */
} tb_store_curve;

typedef struct tb_store_lineage {
  double time;
  int64_t member;                  /* population slot */
  int64_t from_trial, to_trial;    /* exploit: copied from -> into; explore: to_trial's parent -> to_trial */
  tb_lineage_kind kind;
  const char *old_params, *new_params; /* JSON text, < TB_STORE_JSON_MAX bytes each */
} tb_store_lineage;

typedef struct tb_store_pareto {
  int experiment;
  int64_t snapshot;                /* increasing per experiment */
  double time, hypervolume;
  int n_trials;
  const int64_t *trial_ids;        /* the trials on the front */
} tb_store_pareto;

typedef struct tb_store_memory {
  double time;
  int64_t trial;                   /* -1: not tied to a trial */
  int64_t bytes;
  const char *device;              /* < TB_STORE_DEVICE_MAX bytes */
} tb_store_memory;

typedef struct tb_store_options {
  int force;          /* create: replace an existing FILE.h5 / FILE.h5.journal */
  int sync_per_trial; /* 1 (default): fsync the journal at each finished trial; 0: only on tb_store_sync/close */
} tb_store_options;
TB_API tb_store_options tb_store_options_default(void);

/* Starts a new study in path (FILE.h5). An existing FILE.h5 or FILE.h5.journal is TB_ERR_INVALID unless
 * opts->force; a study another process is writing (its journal locked) is never replaced (TB_ERR_INVALID). The
 * new study is written as FILE.h5.new and FILE.h5.journal.new and renamed into place: before this returns when
 * nothing was there; when it replaces a study, once its first trial has ended (not interrupted), so a run that
 * fails or stops before that leaves the old study as it was (tb_store_close removes the .new files). opts may be
 * NULL. *out is owned by the caller (tb_store_close). */
TB_API int tb_store_create(const char *path, const tb_store_study *study, const tb_store_options *opts, tb_store **out);

/* Adds an experiment; its index is returned in *index. Experiments may be added at any time. */
TB_API int tb_store_add_experiment(tb_store *st, const tb_store_experiment *exp, int *index);
/* The same with numeric attributes of the experiment group (n_attrs 0..TB_STORE_MAX_ATTRS, [A-Za-z0-9_.-] names),
 * e.g. `optimum` (a known optimum of the first objective) and `n_valid` (validation rows): docs/results-format.md. */
TB_API int tb_store_add_experiment_attrs(tb_store *st, const tb_store_experiment *exp, int n_attrs,
                                  const char *const *attr_names, const double *attr_values, int *index);
int tb_store_trial_begin(tb_store *st, const tb_store_trial *t);
int tb_store_curve_add(tb_store *st, const tb_store_curve *c);
/* Ends a begun trial; with sync_per_trial its record is fsync'ed before this returns. Threads ending trials at the
 * same time share one fsync (group commit): the first writes the journal out and fsyncs; the others wait for it. */
int tb_store_trial_end(tb_store *st, const tb_store_result *r);
int tb_store_lineage_add(tb_store *st, const tb_store_lineage *l);
int tb_store_pareto_add(tb_store *st, const tb_store_pareto *p);
int tb_store_memory_add(tb_store *st, const tb_store_memory *m);
/* Reserves a trial id: 1 + the largest id begun or reserved so far (a resumed journal's included), so several
 * studies writing into one store never collide. -1 when st is NULL. */
int64_t tb_store_next_trial_id(tb_store *st);
/* Reserves the next Pareto snapshot number of an experiment (1 + the largest recorded or reserved, from 0); -1 when
 * st is NULL or the experiment unknown. */
int64_t tb_store_next_snapshot(tb_store *st, int experiment);
/* Fsyncs every record journaled so far (with sync_per_trial = 0: the caller's own commit points). */
TB_API int tb_store_sync(tb_store *st);

/* What logging has cost so far (tb_store_stats). */
typedef struct tb_store_cost {
  uint64_t n_calls;   /* tb_store_* calls on this store (create, experiments, trials, curves, ..., sync, wait) */
  double call_s;      /* wall seconds the callers spent inside them, summed over the calling threads */
  uint64_t n_records; /* journal records appended */
  uint64_t n_fsync;   /* fsyncs of the journal (group commit: one may cover several finished trials) */
  double fsync_s;     /* wall seconds spent in them */
} tb_store_cost;
/* Fills *out; TB_ERR_INVALID when st or out is NULL. tb_store_close's own time is not counted. */
int tb_store_stats(tb_store *st, tb_store_cost *out);
/* Records the end of the study (complete: 1 when every planned trial ran) and its end time (0: now). */
TB_API int tb_store_study_end(tb_store *st, double end_time, int complete);
/* Waits for the writer to empty its queue and flush the .h5 (readers then see every record). */
TB_API int tb_store_wait(tb_store *st);
/* 1 while a study that replaces another (tb_store_create with force) has not finished a trial: closing it now
 * keeps the old study and removes the new one's files. 0 otherwise (and for NULL). */
int tb_store_replacing(tb_store *st);
/* Syncs, drains the writer and closes both files; NULL is a no-op. Returns the first error (journal or HDF5). */
TB_API int tb_store_close(tb_store *st);

/* ---- resume ---------------------------------------------------------------------------------------------- */
typedef enum {
  TB_STORE_EV_STUDY, TB_STORE_EV_EXPERIMENT, TB_STORE_EV_TRIAL_BEGIN, TB_STORE_EV_CURVE, TB_STORE_EV_TRIAL_END,
  TB_STORE_EV_LINEAGE, TB_STORE_EV_PARETO, TB_STORE_EV_MEMORY, TB_STORE_EV_STUDY_END
} tb_store_event_type;

/* One journal record. Pointers (and the experiment's space) belong to the tb_store_history. */
typedef struct tb_store_event {
  tb_store_event_type type;
  union {
    tb_store_study study;
    struct {
      int index;
      tb_store_experiment exp;
      int n_attrs;                 /* numeric attributes (tb_store_add_experiment_attrs) */
      const char *const *attr_names;
      const double *attr_values;
    } experiment;
    tb_store_trial trial;
    tb_store_curve curve;
    tb_store_result result;
    tb_store_lineage lineage;
    tb_store_pareto pareto;
    tb_store_memory memory;
    struct { double end_time; int complete; } study_end;
  } u;
} tb_store_event;

typedef struct tb_store_history {
  size_t n_events;
  tb_store_event *events;      /* every record of the journal, in order */
  size_t n_interrupted;
  const tb_store_trial **interrupted; /* to re-queue with their config and seed, a new id and retry_of = their id:
                                         trials begun and never ended (now recorded as TB_TRIAL_INTERRUPTED), and
                                         trials an earlier resume so recorded that no trial retries yet */
  uint64_t n_torn;             /* 1 when a torn last record was dropped */
  int64_t next_trial_id;       /* 1 + the largest trial id seen (0 if none) */
  double elapsed_s;            /* seconds the study has run in earlier sessions (each from its first to its last
                                  recorded moment), for a wall-clock budget that spans resumes */
} tb_store_history;

/* Reopens a study for appending: reads FILE.h5.journal (TB_ERR_NOT_FOUND when it is missing: a FILE.h5 without
 * journal cannot be resumed; TB_ERR_FORMAT when it is not a journal or is corrupt in the middle; TB_ERR_INVALID
 * when another process is writing it), cuts a torn tail, closes a session killed without its study-end record
 * with one at its last recorded moment, records the interrupted trials, rebuilds FILE.h5 from the journal
 * (whatever state the old .h5 was in, also when it is missing) and continues writing. *history (owned by the caller: tb_store_history_free) holds the replayed events. */
TB_API int tb_store_open_resume(const char *path, const tb_store_options *opts, tb_store **out, tb_store_history **history);
TB_API void tb_store_history_free(tb_store_history *h); /* NULL is a no-op */
/* Reads FILE.h5.journal without opening the study for writing or touching a file (errors as tb_store_open_resume);
 * interrupted and elapsed_s are not filled. */
int tb_store_read_history(const char *path, tb_store_history **out);

/* Rebuilds FILE.h5 from FILE.h5.journal without opening the study for writing (the .h5 is written to a temporary
 * file and renamed over the old one). */
TB_API int tb_store_rebuild(const char *path);

#ifdef __cplusplus
}
#endif
#endif
