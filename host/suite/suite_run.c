/* suite_run.c: running a loaded suite (tb_suite_run, tb_suite.h): one tb_study per experiment x repetition x strategy,
 * all recorded in one results file (tb_store.h: one store experiment per learner x dataset / function / command;
 * strategy and repetition per trial). A C program runs a suite through this call exactly as `tunebench run` does.
 * Progress goes to the caller's callback (per strategy: trials ended of planned, best so far, seconds); a stop flag
 * (set by the caller, e.g. from a signal handler) ends the running study with its trials interrupted and leaves a
 * valid, resumable file; resume hands the journal to each study, which replays its own trials.
 * Not here: the command line, the progress display, signal handlers and the report (host/cli/cli_run*.c).
 * Tested by tests/test_suite.c (through the built binary) and tests/test_suite_run.c (the library call). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb_backend.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_objective.h"
#include "tb_store.h"
#include "tb_study.h"
#include "tb_suite.h"
#include "tb_validate.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

long tb_suite_strategy_trials(const tb_suite *s, int k) {
  if (!s || k < 0 || k >= s->n_strategies) return 0;
  return s->strategies[k].trials ? s->strategies[k].trials : s->trials;
}

/* What one experiment needs while its studies run. */
typedef struct exp_ctx {
  tb_dataset *ds;
  tb_eval_data view;
  tb_holdout *holdout;
  tb_dataset *test; /* the test rows, only when the suite records test_* objectives */
  tb_space *space;  /* the experiment's search space (learners, commands) */
  tb_objective *obj;
  int store_index;  /* -1 until added */
  int n_attrs;      /* experiment attributes for the report */
  const char *attr_names[2];
  double attr_values[2];
  char warning[512]; /* tb_data_label_warning's message, or "" */
} exp_ctx;

static void exp_ctx_free(exp_ctx *x) {
  tb_objective_free(x->obj);
  tb_space_free(x->space);
  tb_holdout_free(x->holdout);
  tb_eval_data_free(&x->view);
  tb_dataset_free(x->test);
  tb_dataset_free(x->ds);
  memset(x, 0, sizeof *x);
}

static int needs_latency(const tb_suite *s) {
  for (int i = 0; i < s->n_objectives; i++)
    if (!strncmp(s->objectives[i].name, "latency_", 8)) return 1;
  return 0;
}

static int needs_test(const tb_suite *s) { return tb_suite_n_tuned(s) < s->n_objectives; }

/* The objective of experiment e over the suite's space for it. Learners: the train and valid rows (tb_validate_split)
 * and, when the suite records test_* objectives, the same split's test rows as a separate dataset (the view never
 * holds them; only the test_* metrics, which no sampler or scheduler sees, are computed from them). */
static int make_objective(const tb_suite *s, const tb_suite_experiment *e, exp_ctx *x) {
  int rc = TB_OK;
  tb_splits parts = {0};
  if (e->function) {
    if (e->function->n_obj == 1 && isfinite(e->function->optimum))
      x->attr_names[x->n_attrs] = "optimum", x->attr_values[x->n_attrs++] = e->function->optimum;
    return tb_objective_testfn(e->function, 0, 0, &x->obj);
  }
  if (e->command) {
    TB_TRY(tb_suite_space(s, e, &x->space));
    const char *argv[] = {"/bin/sh", "-c", e->command->run, NULL};
    const char *names[TB_SUITE_MAX_OBJECTIVES];
    for (int i = 0; i < s->n_objectives; i++) names[i] = s->objectives[i].name;
    int plain = s->n_objectives == 1 && !strcmp(names[0], "value");
    tb_objective_command_params p = {argv, e->command->timeout, 0, plain ? 0 : s->n_objectives, names};
    return tb_objective_command(x->space, &p, &x->obj);
  }
  tb_split_spec sp = tb_split_spec_default();
  tb_standardizer st = {0};
  sp.valid_frac = e->dataset->valid_frac, sp.test_frac = e->dataset->test_frac;
  sp.seed = e->dataset->split_seed, sp.stratify = e->dataset->stratify;
  TB_TRY(tb_data_load(e->dataset->spec, &x->ds));
  tb_data_label_warning(x->ds, x->warning, sizeof x->warning);
  /* split, impute, standardise on the train rows: the data path of `tunebench train` (tb_data_prepare), so a trial
   * and `train --split-seed <split_seed> --seed <trial seed>` with its configuration give the same numbers */
  TB_TRY(tb_data_prepare(x->ds, &sp, &parts, &st));
  tb_standardizer_free(&st);
  TB_TRY(tb_suite_space_for_data(s, e, x->ds, &x->space)); /* choices that cannot fit the task are left out */
  TB_TRY(tb_validate_split(x->ds, &sp, &x->view, &x->holdout));
  if (needs_test(s)) { /* tb_validate_split splits with tb_data_split: the same spec gives the same test rows */
    if (!parts.n_test)
      TB_FAIL(TB_ERR_INVALID, "%s: the suite records test objectives but dataset %s has no test rows (set test: > 0)",
              e->name, e->dataset->name);
    TB_TRY(tb_dataset_subset(x->ds, parts.test, parts.n_test, &x->test));
  }
  x->attr_names[x->n_attrs] = "n_valid", x->attr_values[x->n_attrs++] = (double)x->view.n_valid;
  tb_objective_learner_params lp = {e->learner->learner, &x->view, needs_latency(s) ? 100 : 0, x->space, x->test};
  TB_TRY(tb_objective_learner_create(&lp, &x->obj));
done:
  tb_splits_free(&parts);
  return rc;
}

/* ---- progress --------------------------------------------------------------------------------------------------- */
typedef struct run_state {
  const tb_suite *s;
  const tb_suite_run_options *o;
  tb_suite_strategy_progress *pr;   /* per strategy: finished studies only */
  tb_suite_strategy_progress *live; /* per strategy: pr with the running study's part, what callbacks see */
  tb_suite_progress ev;
} run_state;

static void merge_best(const tb_suite *s, tb_suite_strategy_progress *p, int have, double v) {
  if (have && (!p->have_best || (s->objectives[0].maximize ? v > p->best : v < p->best))) p->best = v, p->have_best = 1;
}

static void emit(run_state *r, tb_suite_event kind) {
  if (!r->o->progress) return;
  r->ev.event = kind;
  r->ev.strategies = r->live;
  r->o->progress(r->o->progress_ctx, &r->ev);
}

/* tb_study progress callback (the coordinator thread): the running strategy's row including this study. */
static void on_study_progress(void *ctx, const tb_study_progress *p) {
  run_state *r = ctx;
  int k = r->ev.strategy;
  r->live[k] = r->pr[k];
  r->live[k].done += p->n_ended;
  r->live[k].units_used += p->units_used;
  r->live[k].elapsed += p->elapsed_s;
  merge_best(r->s, &r->live[k], p->have_best, p->best);
  emit(r, TB_SUITE_EV_STUDY_PROGRESS);
}

/* The study parameters of strategy k, repetition r (everything but the store and progress hooks). */
static tb_study_params study_params(const tb_suite *s, int k, int rep) {
  const tb_suite_strategy *t = &s->strategies[k];
  tb_study_params p = tb_study_params_default();
  p.sampler = t->sampler, p.scheduler = t->scheduler;
  p.n_sampler_options = t->n_sampler_options;
  p.sampler_option_names = (const char *const *)t->sampler_option_names;
  p.sampler_option_values = (const char *const *)t->sampler_option_values;
  p.n_scheduler_options = t->n_scheduler_options;
  p.scheduler_option_names = (const char *const *)t->scheduler_option_names;
  p.scheduler_option_values = (const char *const *)t->scheduler_option_values;
  p.n_trials = tb_suite_strategy_trials(s, k), p.max_budget = s->total_budget;
  p.min_fidelity = s->fidelity_min, p.max_fidelity = s->fidelity_max > 0 ? s->fidelity_max : 1;
  if (p.min_fidelity > p.max_fidelity) p.min_fidelity = p.max_fidelity;
  p.seed = s->seeds[rep], p.n_workers = s->jobs, p.device = s->device, p.memory_budget = s->memory_budget;
  p.fuse = s->fuse;
  p.data_fraction = s->fidelity_data_fraction;
  p.n_objectives = tb_suite_n_tuned(s), p.n_recorded = s->n_objectives;
  for (int i = 0; i < s->n_objectives; i++) p.objectives[i] = s->objectives[i].name,
                                            p.maximize[i] = s->objectives[i].maximize;
  p.repetition = rep, p.strategy = t->name;
  return p;
}

static int stop_requested(const tb_suite_run_options *o) { return o->stop && *o->stop; }

/* Everything that can be checked before a file is touched: jobs, the device, every experiment's objective (its
 * data loaded and split) and every strategy's study parameters. A failed check leaves any old study as it was. */
static int preflight(const tb_suite *s) {
  int rc = TB_OK, n_exp = tb_suite_n_experiments(s);
  exp_ctx x = {0};
  tb_study *study = NULL;
  tb_device dev, got;
  char notice[256];
  if (s->jobs < 1 || s->jobs > 1024) return tb_error_set(TB_ERR_INVALID, "jobs %d: use 1..1024 parallel trials", s->jobs);
  TB_TRY(tb_device_parse(s->device ? s->device : "auto", &dev));
  TB_TRY(tb_device_resolve(&dev, &got, notice, sizeof notice)); /* every study's workers open it */
  for (int e = 0; e < n_exp; e++) {
    tb_suite_experiment ex;
    TB_TRY(tb_suite_experiment_get(s, e, &ex));
    if ((rc = make_objective(s, &ex, &x)) < 0) {
      tb_error_prefix(rc, "%s: ", ex.name);
      goto done;
    }
    tb_suite_warm warm = {0}; /* initial: and warm_start: are read and checked here too */
    rc = tb_suite_warm_get(s, ex.name, tb_objective_space(x.obj), &warm);
    tb_suite_warm_free(&warm);
    if (rc < 0) goto done;
    for (int k = 0; k < s->n_strategies; k++) {
      tb_study_params p = study_params(s, k, 0);
      if ((rc = tb_study_create(x.obj, &p, &study)) < 0) {
        tb_error_prefix(rc, "%s, strategy %s: ", ex.name, s->strategies[k].name);
        goto done;
      }
      tb_study_free(study), study = NULL;
    }
    exp_ctx_free(&x);
  }
done:
  tb_study_free(study);
  exp_ctx_free(&x);
  return rc;
}

/* Resume: the suite must still define the trials the journal holds (tb_suite_compare), with the same seeds. */
static int check_resume(const tb_suite *s, const char *out) {
  int rc = TB_OK;
  tb_store_history *h = NULL;
  tb_suite *old = NULL;
  char diff[2048];
  TB_TRY(tb_store_read_history(out, &h));
  const tb_store_study *rec = &h->events[0].u.study;
  if (!rec->suite_text || tb_suite_parse(out, rec->suite_text, strlen(rec->suite_text), &old) < 0)
    TB_FAIL(TB_ERR_FORMAT, "%s: the suite recorded in its journal no longer loads (%s), so this suite cannot be "
            "checked against it; the study cannot be resumed by this build", out, tb_error_detail());
  if (old->n_seeds == rec->n_seeds) /* the seeds the study ran with (--seed may have replaced the suite's) */
    for (int i = 0; i < old->n_seeds; i++) old->seeds[i] = rec->seeds[i];
  int n = tb_suite_compare(old, s, diff, sizeof diff);
  if (n)
    TB_FAIL(TB_ERR_INVALID, "%s: the suite differs from the one the study began with; %d difference%s in what "
            "defines its trials:%s\nresume with the suite as recorded (only trial counts, wall_clock, jobs, device "
            "and report may change), or write a new study to another file", out, n, n == 1 ? "" : "s", diff);
done:
  tb_suite_free(old);
  tb_store_history_free(h);
  return rc;
}

int tb_suite_run(const tb_suite *s, const tb_suite_run_options *o, tb_suite_run_result *res) {
  int rc = TB_OK, n_exp = tb_suite_n_experiments(s), complete = 1, stopped = 0, wall = 0;
  tb_store *store = NULL;
  tb_store_history *hist = NULL;
  tb_study *study = NULL;
  exp_ctx x = {0};
  tb_suite_warm warm = {0}; /* the suite's initial: configurations and warm_start: trials for this experiment */
  run_state r = {s, o, NULL, NULL, {0}};
  double t0 = now_s();
  if (res) memset(res, 0, sizeof *res);
  if (!s || !o || !o->out || !o->out[0]) return tb_error_set(TB_ERR_INVALID, "suite run: no suite or results file");
  r.pr = calloc((size_t)s->n_strategies, sizeof *r.pr);
  r.live = calloc((size_t)s->n_strategies, sizeof *r.live);
  if (!r.pr || !r.live) TB_FAIL(TB_ERR_NOMEM, "suite run: out of host memory");
  for (int i = 0; i < s->n_strategies; i++) {
    r.pr[i].total = tb_suite_strategy_trials(s, i) * s->n_seeds * n_exp;
    r.pr[i].units_total = s->total_budget * s->n_seeds * n_exp;
    r.pr[i].studies_total = (long)s->n_seeds * n_exp;
  }
  memcpy(r.live, r.pr, (size_t)s->n_strategies * sizeof *r.pr);
  tb_store_options so = tb_store_options_default();
  so.force = o->force;
  if (o->resume) TB_TRY(check_resume(s, o->out));
  TB_TRY(preflight(s));
  double spent = 0; /* wall-clock seconds earlier sessions of the study used */
  if (o->resume) {
    TB_TRY(tb_store_open_resume(o->out, &so, &store, &hist));
    spent = hist->elapsed_s;
  } else {
    tb_store_study sd = {s->name, s->text, s->n_seeds, s->seeds, NULL, s->device, "", NULL, 0};
    TB_TRY(tb_store_create(o->out, &sd, &so, &store));
  }
  for (int e = 0; e < n_exp && !stopped; e++) {
    tb_suite_experiment ex;
    TB_TRY(tb_suite_experiment_get(s, e, &ex));
    x.store_index = -1;
    TB_TRY(make_objective(s, &ex, &x));
    tb_suite_warm_free(&warm);
    TB_TRY(tb_suite_warm_get(s, ex.name, tb_objective_space(x.obj), &warm));
    if (x.warning[0]) { /* the library says it as data; the caller prints it */
      r.ev = (tb_suite_progress){.experiment = ex.name, .warning = x.warning};
      emit(&r, TB_SUITE_EV_WARNING);
    }
    for (size_t i = 0; hist && i < hist->n_events; i++)
      if (hist->events[i].type == TB_STORE_EV_EXPERIMENT && !strcmp(hist->events[i].u.experiment.exp.name, ex.name))
        x.store_index = hist->events[i].u.experiment.index;
    for (int rep = 0; rep < s->n_seeds && !stopped; rep++)
      for (int k = 0; k < s->n_strategies && !stopped; k++) {
        if (stop_requested(o)) {
          stopped = 1;
          break;
        }
        tb_study_params p = study_params(s, k, rep);
        p.progress = on_study_progress, p.progress_ctx = &r;
        p.stop_flag = o->stop;
        p.n_initial = warm.n_initial, p.initial = warm.initial, p.n_warm = warm.n_warm;
        p.warm_x = warm.warm_x, p.warm_values = warm.warm_values, p.warm_status = warm.warm_status;
        if (s->wall_clock > 0) {
          p.max_wall_s = s->wall_clock - spent - (now_s() - t0);
          if (p.max_wall_s <= 0) {
            stopped = wall = 1;
            break;
          }
        }
        TB_TRY(tb_study_create(x.obj, &p, &study));
        if (x.store_index < 0) {
          tb_store_experiment se = {ex.name, ex.learner ? ex.learner->name : ex.function ? "testfn" : "command",
                                    ex.dataset ? ex.dataset->spec : ex.function ? ex.function->name : ex.command->run,
                                    NULL, 0, NULL, NULL};
          tb_study_describe_experiment(study, &se);
          TB_TRY(tb_store_add_experiment_attrs(store, &se, x.n_attrs, x.attr_names, x.attr_values, &x.store_index));
        }
        TB_TRY(tb_study_attach_store(study, store, x.store_index));
        double ts = now_s();
        r.ev = (tb_suite_progress){.experiment = ex.name, .repetition = rep, .strategy = k};
        r.live[k] = r.pr[k];
        emit(&r, TB_SUITE_EV_STUDY_BEGIN);
        TB_TRY(tb_study_run(study, hist)); /* the executor takes this study's own trials from the history */
        r.pr[k].elapsed += now_s() - ts;
        r.pr[k].done += (long)tb_study_n_trials(study);
        r.pr[k].units_used = r.live[k].units_used; /* the running study's part, from its last progress call */
        r.pr[k].studies_done++;
        int64_t b = tb_study_best(study);
        const tb_study_trial *bt = b >= 0 ? tb_study_get_trial(study, (size_t)b) : NULL;
        if (bt) merge_best(s, &r.pr[k], 1, bt->values[0]);
        r.live[k] = r.pr[k];
        r.ev.study_trials = tb_study_n_trials(study);
        r.ev.study_have_best = bt != NULL;
        r.ev.study_best = bt ? bt->values[0] : NAN;
        emit(&r, TB_SUITE_EV_STUDY_END);
        if (tb_study_stopped(study)) stopped = 1, wall = !stop_requested(o);
        tb_study_free(study);
        study = NULL;
      }
    exp_ctx_free(&x);
  }
  if (stopped) complete = 0;
  TB_TRY(tb_store_study_end(store, 0, complete));
done:
  tb_study_free(study);
  exp_ctx_free(&x);
  tb_suite_warm_free(&warm);
  int kept = tb_store_replacing(store);
  int crc = tb_store_close(store);
  tb_store_history_free(hist);
  free(r.pr);
  free(r.live);
  if (rc >= 0 && crc < 0) rc = crc;
  if (res) res->complete = rc >= 0 && complete, res->seconds = now_s() - t0, res->wall_clock_spent = rc >= 0 && wall;
  if (res) res->kept_old = kept;
  return rc;
}
