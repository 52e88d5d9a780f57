/* tb_suite.h: suite files: what a study compares, read from YAML (libfyaml) and checked against what this build
 * has (learners, samplers, schedulers, dataset kinds, test functions, objectives). The format is docs/suites.md.
 *
 * A suite holds experiments (learner x dataset, a test function, or a command objective), strategies (sampler +
 * scheduler with options), budgets, seeds of the repetitions, parallelism, device, memory budget, objectives and
 * report options. Every error names file:line:column and the key ("quickstart.yaml:12:5: strategies[1].sampler:
 * unknown sampler 'tpee' (did you mean 'tpe'?; allowed: grid, random, ...)"). Not here: running trials (tb_study),
 * the results file (tb_store) or the report. Tested by tests/test_suite.c with the broken suites of
 * tests/suites_bad/. */
#ifndef TB_SUITE_H
#define TB_SUITE_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tb_api.h"
#include "tb_model.h"
#include "tb_space.h"
#include "tb_testfn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TB_SUITE_MAX_OBJECTIVES 8
#define TB_SUITE_MAX_OPTIONS 16
/* Parameters of one search space: the results file stores one column per parameter (an HDF5 table's header fits
 * 500 of them with 63-character names and the fixed columns). */
#define TB_SUITE_MAX_PARAMS 500

typedef struct tb_suite_loc {
  int line, col; /* 1-based position in the suite file of the key or value (0: none) */
} tb_suite_loc;

typedef struct tb_suite_dataset {
  char *spec;               /* dataset SPEC (tb_data.h) */
  char *name;               /* short name for experiment names ([A-Za-z0-9_.-]); default from the SPEC */
  double valid_frac, test_frac; /* split fractions (tb_split_spec) */
  int stratify;             /* 1: stratified split (classification) */
  uint64_t split_seed;      /* the split's shuffling seed */
  tb_suite_loc loc;
} tb_suite_dataset;

typedef struct tb_suite_learner {
  char *name;               /* learner name (tb_learner_find) */
  const tb_learner *learner;
  int others_declared;      /* hyperparameters the suite does not list: 1 searched over the declared range,
                               0 fixed at their defaults */
  int n_params;
  tb_param *params;         /* the listed ones (overrides), as descriptions (tb_space.h; choices owned): an omitted
                               type is the declared one; a fixed categorical's value is the declared choice index */
  tb_suite_loc *param_locs; /* where each was written: the one thing a suite adds to a description, kept beside it */
  tb_suite_loc loc;
} tb_suite_learner;

typedef struct tb_suite_command {
  char *run;                /* shell command: the configuration on stdin as JSON, prints step=/value= lines */
  double timeout;           /* seconds per trial (0: none) */
  int n_params;
  tb_param *params;         /* its search space, as descriptions (choices owned): a `when` is resolved when the
                               suite is read (parent: index into params; cond_values in the parent's encoding) */
  tb_suite_loc *param_locs; /* where each was written */
  tb_suite_loc loc;
} tb_suite_command;

/* One `initial:` configuration: parameter names and values as written (numbers, or categorical labels). */
typedef struct tb_suite_initial {
  int n;
  char **names, **values;
  tb_suite_loc loc;
} tb_suite_initial;

typedef struct tb_suite_strategy {
  char *name;               /* unique; recorded per trial (< 32 bytes) */
  char *sampler;            /* tb_sampler_names() */
  int n_sampler_options;
  char *sampler_option_names[TB_SUITE_MAX_OPTIONS], *sampler_option_values[TB_SUITE_MAX_OPTIONS];
  char *scheduler;          /* tb_scheduler_names(); "none" by default */
  int n_scheduler_options;
  char *scheduler_option_names[TB_SUITE_MAX_OPTIONS], *scheduler_option_values[TB_SUITE_MAX_OPTIONS];
  long trials;              /* overrides budget.trials for this strategy (0: the suite's) */
  tb_suite_loc loc;
} tb_suite_strategy;

typedef struct tb_suite_objective {
  char *name;               /* tb_suite_objective_names() for learners; value (f1, f2 for zdt) for test
                               functions; value (or any name the command prints as name=...) for commands */
  int maximize;
  tb_suite_loc loc;
} tb_suite_objective;

typedef struct tb_suite {
  char *path;               /* the file it was read from */
  char *text;               /* the whole file (recorded in the results) */
  char *name, *description;
  int n_datasets;
  tb_suite_dataset *datasets;
  int n_learners;
  tb_suite_learner *learners;
  int n_functions;
  const tb_testfn **functions;
  tb_suite_command *command; /* NULL unless the suite tunes a command */
  int n_strategies;
  tb_suite_strategy *strategies;
  /* budget */
  long trials;              /* new trials per strategy and repetition and experiment */
  double fidelity_min, fidelity_max; /* in the learner's unit (epochs, rounds, trees); 1, 1 for functions; with
                               fidelity_data_fraction, fractions of the training rows (0 < min <= max <= 1) */
  int fidelity_data_fraction; /* budget.fidelity.unit: data_fraction (1) or the learner's own unit (0): then each
                               trial trains its configuration's units (epochs, rounds, n_trees) on a nested,
                               stratified subset of the training rows (tb_study_params.data_fraction) */
  double total_budget;      /* fidelity units per strategy and repetition (0: none) */
  double wall_clock;        /* seconds for the whole study (0: none) */
  /* repetitions */
  int n_seeds;
  uint64_t *seeds;
  int jobs;                 /* parallel trials (>= 1) */
  int fuse;                 /* fused trials: mlp trials of one shape per batched bundle (0/1: off; tb_study fuse) */
  char *device;             /* "auto", "cpu", "cuda", "cuda:N" */
  size_t memory_budget;     /* bytes for all trials in flight (0: none) */
  int n_objectives;         /* the tuned ones first, then test_* ones (tb_suite_n_tuned) */
  tb_suite_objective objectives[TB_SUITE_MAX_OBJECTIVES];
  /* warm starts (suite_warm.c) */
  int n_initial;            /* initial: configurations every strategy evaluates first, each applied to the
                               experiments whose space has all its parameters */
  tb_suite_initial *initial;
  char *warm_start;         /* warm_start: an earlier results file; the trials of the same experiment (any strategy)
                               are told to each sampler before it asks */
  /* report */
  int report;               /* 1: write a report after the run */
  char *report_dir;         /* where (NULL: beside the results file) */
  int report_figures;       /* 1: PNG figures too */
} tb_suite;

/* Reads and checks path. On failure *out is NULL and the error detail is "path:line:col: key: what (how to fix)".
 * TB_ERR_IO: unreadable; TB_ERR_FORMAT: not YAML; TB_ERR_INVALID / TB_ERR_NOT_FOUND / TB_ERR_RANGE: bad content. */
TB_API int tb_suite_load(const char *path, tb_suite **out);
/* As tb_suite_load from text in memory; `path` names it in messages. */
TB_API int tb_suite_parse(const char *path, const char *text, size_t len, tb_suite **out);
TB_API void tb_suite_free(tb_suite *s); /* NULL is a no-op */

/* Experiments in study order: learners x datasets (learner-major), then functions, then the command. */
TB_API int tb_suite_n_experiments(const tb_suite *s);
typedef struct tb_suite_experiment {
  char name[64];                      /* "<learner>.<dataset>", "<function>" or "command" */
  const tb_suite_learner *learner;    /* or NULL */
  const tb_suite_dataset *dataset;    /* or NULL */
  const tb_testfn *function;          /* or NULL */
  const tb_suite_command *command;    /* or NULL */
} tb_suite_experiment;
TB_API int tb_suite_experiment_get(const tb_suite *s, int i, tb_suite_experiment *out);

/* The finalized search space of experiment e (the caller frees it). A learner's space lists every declared
 * hyperparameter in declared order (as tb_model_create requires): listed ones as the suite says, the others
 * searched or fixed at their default (others_declared); declared conditions are kept. A categorical restricted to
 * some of its choices keeps them in declared order; tb_suite_learner_config maps the space's choice indices back
 * to the declared ones. A function's space is tb_testfn_space; a command's is its params. */
int tb_suite_space(const tb_suite *s, const tb_suite_experiment *e, tb_space **out);
/* The same for the loaded dataset ds of a learner experiment: an unlisted categorical keeps only the choices that
 * can work on ds's task and number of classes (tb_learner_choice_fits: gbdt's objective on 10 classes is auto or
 * softmax), fixed when one is left; a listed choice that cannot work is TB_ERR_INVALID at its line. ds NULL is
 * tb_suite_space. The learner objective maps such a space to the declared one by choice labels. */
int tb_suite_space_for_data(const tb_suite *s, const tb_suite_experiment *e, const tb_dataset *ds, tb_space **out);
/* x (the space's encoding) -> xl (the learner's declared encoding: categorical indices of the declared choices;
 * parameters the declared conditions switch off set to NAN, those they switch on that x leaves unset at their
 * declared default). The learner objective's own mapping (tb_space_map, tb_space.h). */
int tb_suite_learner_config(const tb_suite_learner *l, const tb_space *sp, const double *x, double *xl);
/* 1 when the learner's space needs tb_suite_learner_config (a restricted categorical), else 0. */
int tb_suite_learner_remaps(const tb_suite_learner *l);

/* Learner objectives, the learner objective's metrics (tb_objective.h): valid_loss, valid_accuracy, valid_rmse,
 * train_time_s, latency_b1_p50_us, ..., n_params, model_bytes, peak_memory_bytes; NULL-terminated. */
const char *const *tb_suite_objective_names(void);
int tb_suite_objective_natural(const char *name, int *maximize); /* 1 known (sets *maximize), 0 unknown */
/* Objectives the strategies tune: all but a learner suite's test_* ones (test_accuracy, test_loss, test_rmse:
 * scored on the held-out test rows, recorded per trial, never tuned on), which the loader moves to the end. */
int tb_suite_n_tuned(const tb_suite *s);

/* Names the suite's dataset SPECs may start with (fashion-mnist, csv, libsvm, idx, hdf5, gen:...). */
const char *const *tb_suite_dataset_kinds(void);
/* Schedulers known to suites (tb_scheduler.h's list). */
const char *const *tb_suite_scheduler_names(void);

/* ---- running a suite (suite_run.c) ------------------------------------------------------------------------- */
/* New trials one study of strategy k starts (per experiment and repetition): the strategy's count, else the suite's. */
TB_API long tb_suite_strategy_trials(const tb_suite *s, int k);

typedef struct tb_suite_strategy_progress {
  long done, total;         /* trials ended, and planned over every experiment and repetition */
  double best;              /* best value of the first objective so far (valid when have_best) */
  int have_best;
  double elapsed;           /* seconds its studies have run */
  double units_used;        /* fidelity units its ended rows trained (a promotion counts what it added) */
  double units_total;       /* budget.total over every experiment and repetition (0: the suite sets none) */
  long studies_done, studies_total; /* its studies (experiment x repetition) ended, and planned */
} tb_suite_strategy_progress;

/* WARNING: something about an experiment's data the user should know (warning holds it; the run goes on), e.g. a
 * label column that looks like an ID or a regression target (tb_data_label_warning); sent before its studies. */
typedef enum { TB_SUITE_EV_STUDY_BEGIN = 0, TB_SUITE_EV_STUDY_PROGRESS = 1, TB_SUITE_EV_STUDY_END = 2,
               TB_SUITE_EV_WARNING = 3 } tb_suite_event;

/* What the progress callback gets: before a study, after each of its finished jobs, after it. */
typedef struct tb_suite_progress {
  tb_suite_event event;
  const char *experiment;   /* the running experiment's name */
  int repetition, strategy; /* 0-based */
  size_t study_trials;      /* STUDY_END: the trials the study ran */
  int study_have_best;      /* STUDY_END: 1 when study_best holds its best value of the first objective */
  double study_best;
  const char *warning;      /* WARNING: the message (NULL otherwise) */
  const tb_suite_strategy_progress *strategies; /* n_strategies rows; the running strategy's includes its study */
} tb_suite_progress;

typedef struct tb_suite_run_options {
  const char *out;          /* the results file FILE.h5 (its journal: FILE.h5.journal) */
  int resume;               /* 1: continue the results file from its journal */
  int force;                /* 1: replace an existing results file */
  const volatile sig_atomic_t *stop; /* when *stop becomes non-zero (e.g. in the caller's signal handler) the running
                               study ends with its trials interrupted and the run returns, resumable (NULL: none) */
  /* called from the study's coordinator thread (keep it short: workers wait) and between studies; NULL: none */
  void (*progress)(void *ctx, const tb_suite_progress *p);
  void *progress_ctx;
} tb_suite_run_options;

typedef struct tb_suite_run_result {
  int complete;             /* 1: every study finished; 0: stopped (stop flag, wall clock) or failed */
  int wall_clock_spent;     /* 1: stopped because the suite's wall_clock (counted over every session) is spent */
  int kept_old;             /* 1: with force, the run ended before its first trial finished: the study that was at
                               out is kept as it was, and nothing of this run is left */
  double seconds;           /* wall-clock seconds of the run */
} tb_suite_run_result;

/* Runs every experiment x repetition x strategy of s into the results file o->out (created, replaced with
 * o->force, or continued with o->resume). Before any file is touched it checks jobs, the device, every
 * experiment's data and objective and every strategy's parameters, and on resume that the suite still defines the
 * journal's trials (tb_suite_compare, seeds included): a failed check changes nothing on disk. A replaced study is
 * kept until the new one has finished its first trial (tb_store_create). Returns TB_OK also when the run was
 * stopped (res->complete says), an error when the results file or a study could not go on (the file stays valid
 * and resumable). */
TB_API int tb_suite_run(const tb_suite *s, const tb_suite_run_options *o, tb_suite_run_result *res);

/* Compares the suite a study began with (a) and the one given to resume it (b) on what defines a trial:
 * experiments, data and splits, spaces, strategies with their options, fidelity and total budget, objectives,
 * repetitions and seeds (not trial counts, wall clock, jobs, fuse, device, memory budget, report, name).
 * Returns the number of differences, listed in buf as "\n  key: old -> new" lines (cut to len). */
int tb_suite_compare(const tb_suite *a, const tb_suite *b, char *buf, size_t len);

/* Warm start of one experiment with space sp (suite_warm.c): the `initial:` configurations that apply to it,
 * encoded (xs (n_initial, dim)), and the earlier trials of experiment `name` in s->warm_start (x (n_warm, dim),
 * values (n_warm, n_objectives) of the suite's tuned objectives, statuses). Everything malloc'ed into *w
 * (tb_suite_warm_free). A value that is not valid for the space, or a results file without the experiment's
 * parameters or objectives, is an error naming the file:line:column or the file and column. */
typedef struct tb_suite_warm {
  int n_initial;
  double *initial;
  int n_warm;
  double *warm_x, *warm_values;
  int *warm_status;
} tb_suite_warm;
int tb_suite_warm_get(const tb_suite *s, const char *name, const tb_space *sp, tb_suite_warm *w);
void tb_suite_warm_free(tb_suite_warm *w);

/* Resolves a suite argument: an existing file path as given, else a bare name in dir (dir/NAME.yaml). Writes the
 * path into buf. TB_ERR_NOT_FOUND (listing the suites of dir) when neither exists. */
TB_API int tb_suite_resolve(const char *arg, const char *dir, char *buf, size_t len);

/* Levenshtein distance, and the closest of names (NULL-terminated) within distance max(2, len/3), or NULL. */
int tb_suite_edit_distance(const char *a, const char *b);
const char *tb_suite_closest(const char *word, const char *const *names);

#ifdef __cplusplus
}
#endif
#endif
