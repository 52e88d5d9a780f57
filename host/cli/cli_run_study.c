/* cli_run_study.c: running a loaded suite: one tb_study per experiment x repetition x strategy, all recorded in one
 * results file (tb_store.h: one store experiment per learner x dataset / function / command; strategy and
 * repetition per trial). Progress: on a terminal a table per strategy (trials done of total, best so far,
 * elapsed, ETA) redrawn in place while each study runs (its progress callback); plain lines otherwise. SIGINT asks the running study to stop
 * and leaves a valid, resumable file; --resume hands the journal to each study, which replays its own trials.
 * At the end the report runs (tunebench report) unless turned off.
 * Not here: arguments and the plan (cli_run.c). Tested by tests/test_suite.c through the built binary. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_run_impl.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_objective.h"
#include "tb_store.h"
#include "tb_study.h"
#include "tb_validate.h"

static volatile sig_atomic_t g_stop;
static tb_study *volatile g_study;

static void on_sigint(int sig) {
  (void)sig;
  g_stop = 1;
  tb_study *s = g_study;
  if (s) tb_study_request_stop(s);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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
  TB_TRY(tb_suite_space(s, e, &x->space));
  if (e->command) {
    const char *argv[] = {"/bin/sh", "-c", e->command->run, NULL};
    const char *names[TB_SUITE_MAX_OBJECTIVES];
    for (int i = 0; i < s->n_objectives; i++) names[i] = s->objectives[i].name;
    int plain = s->n_objectives == 1 && !strcmp(names[0], "value");
    tb_objective_command_params p = {argv, e->command->timeout, 0, plain ? 0 : s->n_objectives, names};
    return tb_objective_command(x->space, &p, &x->obj);
  }
  tb_split_spec sp = tb_split_spec_default();
  sp.valid_frac = e->dataset->valid_frac, sp.test_frac = e->dataset->test_frac;
  sp.seed = e->dataset->split_seed, sp.stratify = e->dataset->stratify;
  TB_TRY(tb_data_load(e->dataset->spec, &x->ds));
  TB_TRY(tb_validate_split(x->ds, &sp, &x->view, &x->holdout));
  if (needs_test(s)) { /* tb_validate_split splits with tb_data_split: the same spec gives the same test rows */
    TB_TRY(tb_data_split(x->ds, &sp, &parts));
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
typedef struct strat_progress {
  long done, total;
  double best, elapsed;
  int have_best;
} strat_progress;

typedef struct run_view {
  const tb_suite *s;
  strat_progress *pr;
  int tty, drawn, k;     /* k: the strategy of the running study */
  double t0, last_draw;
  strat_progress live;   /* strategy k including the running study */
  char line[512];
} run_view;

static void merge_best(const tb_suite *s, strat_progress *p, int have, double v) {
  if (have && (!p->have_best || (s->objectives[0].maximize ? v > p->best : v < p->best))) p->best = v, p->have_best = 1;
}

static void draw(run_view *v) {
  const tb_suite *s = v->s;
  if (!v->tty) {
    printf("%s\n", v->line);
    fflush(stdout);
    return;
  }
  if (v->drawn) printf("\033[%dA", s->n_strategies + 2);
  printf("\033[K%-20s %14s %14s %10s %10s\n", "strategy", "trials", "best", "elapsed", "ETA");
  for (int i = 0; i < s->n_strategies; i++) {
    const strat_progress *p = i == v->k ? &v->live : &v->pr[i];
    char tr[32], best[32], eta[32];
    snprintf(tr, sizeof tr, "%ld/%ld", p->done, p->total);
    snprintf(best, sizeof best, p->have_best ? "%.6g" : "-", p->best);
    if (p->done > 0 && p->done < p->total) snprintf(eta, sizeof eta, "%.0fs", p->elapsed / p->done * (p->total - p->done));
    else snprintf(eta, sizeof eta, "%s", p->done >= p->total ? "done" : "-");
    printf("\033[K%-20s %14s %14s %9.0fs %10s\n", s->strategies[i].name, tr, best, p->elapsed, eta);
  }
  printf("\033[K%s (%.0fs)\n", v->line, now_s() - v->t0);
  fflush(stdout);
  v->drawn = 1;
  v->last_draw = now_s();
}

/* tb_study progress callback (the coordinator thread): strategy k's row with the running study, redrawn in place
 * on a terminal at most 5 times a second; nothing otherwise (one line per study). */
static void on_progress(void *ctx, const tb_study_progress *p) {
  run_view *v = ctx;
  strat_progress *base = &v->pr[v->k];
  v->live = *base;
  v->live.done = base->done + p->n_ended;
  v->live.elapsed = base->elapsed + p->elapsed_s;
  merge_best(v->s, &v->live, p->have_best, p->best);
  if (v->tty && now_s() - v->last_draw >= 0.2) draw(v);
}

/* Runs `tunebench report` on the results (the suite's report settings, --report-dir, --no-report). */
static int run_report(const tb_suite *s, const char *out, const tb_run_options *o) {
  const char *dir = o->report_dir ? o->report_dir : s->report_dir;
  char *argv[4] = {(char *)out, "--out", (char *)dir, NULL};
  fflush(stdout);
  int code = tb_cli_report(dir ? 3 : 1, argv);
  if (code != 0) fprintf(stderr, "tunebench run: the report exited with status %d (rerun: tunebench report %s)\n", code, out);
  return code;
}

int tb_run_suite(const tb_suite *s, const char *out, const tb_run_options *o) {
  int rc = TB_OK, n_exp = tb_suite_n_experiments(s), complete = 1, tty = isatty(STDOUT_FILENO);
  tb_store *store = NULL;
  tb_store_history *hist = NULL;
  tb_study *study = NULL;
  exp_ctx x = {0};
  tb_suite_warm warm = {0}; /* the suite's initial: configurations and warm_start: trials for this experiment */
  strat_progress *pr = calloc((size_t)s->n_strategies, sizeof *pr);
  double t0 = now_s();
  run_view view = {s, pr, tty, 0, 0, t0, 0, {0}, ""};
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  if (!pr) TB_FAIL(TB_ERR_NOMEM, "run: out of memory");
  for (int i = 0; i < s->n_strategies; i++) pr[i].total = tb_run_trials(s, &s->strategies[i]) * s->n_seeds * n_exp;
  tb_store_options so = tb_store_options_default();
  so.force = o->force;
  if (o->resume) {
    TB_TRY(tb_store_open_resume(out, &so, &store, &hist));
  } else {
    tb_store_study sd = {s->name, s->text, s->n_seeds, s->seeds, NULL, s->device, "", NULL, 0};
    TB_TRY(tb_store_create(out, &sd, &so, &store));
  }
  for (int e = 0; e < n_exp && !g_stop; e++) {
    tb_suite_experiment ex;
    TB_TRY(tb_suite_experiment_get(s, e, &ex));
    x.store_index = -1;
    TB_TRY(make_objective(s, &ex, &x));
    tb_suite_warm_free(&warm);
    TB_TRY(tb_suite_warm_get(s, ex.name, tb_objective_space(x.obj), &warm));
    for (size_t i = 0; hist && i < hist->n_events; i++)
      if (hist->events[i].type == TB_STORE_EV_EXPERIMENT && !strcmp(hist->events[i].u.experiment.exp.name, ex.name))
        x.store_index = hist->events[i].u.experiment.index;
    for (int r = 0; r < s->n_seeds && !g_stop; r++)
      for (int k = 0; k < s->n_strategies && !g_stop; k++) {
        const tb_suite_strategy *t = &s->strategies[k];
        tb_study_params p = tb_study_params_default();
        p.sampler = t->sampler, p.scheduler = t->scheduler;
        p.n_sampler_options = t->n_sampler_options;
        p.sampler_option_names = (const char *const *)t->sampler_option_names;
        p.sampler_option_values = (const char *const *)t->sampler_option_values;
        p.n_scheduler_options = t->n_scheduler_options;
        p.scheduler_option_names = (const char *const *)t->scheduler_option_names;
        p.scheduler_option_values = (const char *const *)t->scheduler_option_values;
        p.n_trials = tb_run_trials(s, t), p.max_budget = s->total_budget;
        p.min_fidelity = s->fidelity_min, p.max_fidelity = s->fidelity_max > 0 ? s->fidelity_max : 1;
        if (p.min_fidelity > p.max_fidelity) p.min_fidelity = p.max_fidelity;
        p.seed = s->seeds[r], p.n_workers = s->jobs, p.device = s->device, p.memory_budget = s->memory_budget;
        p.fuse = s->fuse;
        p.data_fraction = s->fidelity_data_fraction;
        p.n_objectives = tb_suite_n_tuned(s), p.n_recorded = s->n_objectives;
        for (int i = 0; i < s->n_objectives; i++) p.objectives[i] = s->objectives[i].name,
                                                  p.maximize[i] = s->objectives[i].maximize;
        p.progress = on_progress, p.progress_ctx = &view;
        view.k = k, view.live = pr[k];
        if (s->wall_clock > 0) {
          p.max_wall_s = s->wall_clock - (now_s() - t0);
          if (p.max_wall_s <= 0) {
            g_stop = 1, complete = 0;
            break;
          }
        }
        p.repetition = r, p.strategy = t->name;
        p.n_initial = warm.n_initial, p.initial = warm.initial, p.n_warm = warm.n_warm;
        p.warm_x = warm.warm_x, p.warm_values = warm.warm_values, p.warm_status = warm.warm_status;
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
        snprintf(view.line, sizeof view.line, "%s rep %d/%d %s: running", ex.name, r + 1, s->n_seeds, t->name);
        if (tty) draw(&view);
        g_study = study;
        if (g_stop) tb_study_request_stop(study);
        rc = tb_study_run(study, hist); /* the executor takes this study's own trials from the history */
        g_study = NULL;
        if (rc < 0) goto done;
        pr[k].elapsed += now_s() - ts;
        pr[k].done += (long)tb_study_n_trials(study);
        int64_t b = tb_study_best(study);
        const tb_study_trial *bt = b >= 0 ? tb_study_get_trial(study, (size_t)b) : NULL;
        int maxi = s->objectives[0].maximize;
        if (bt && (!pr[k].have_best || (maxi ? bt->values[0] > pr[k].best : bt->values[0] < pr[k].best)))
          pr[k].best = bt->values[0], pr[k].have_best = 1;
        view.live = pr[k];
        snprintf(view.line, sizeof view.line, "%s rep %d/%d %-14s %zu trials, best %s %.6g", ex.name, r + 1,
                 s->n_seeds, t->name, tb_study_n_trials(study), s->objectives[0].name, bt ? bt->values[0] : NAN);
        draw(&view);
        if (tb_study_stopped(study)) g_stop = 1;
        tb_study_free(study);
        study = NULL;
      }
    exp_ctx_free(&x);
  }
  if (g_stop) complete = 0;
  TB_TRY(tb_store_study_end(store, 0, complete));
done:
  sigaction(SIGINT, &old, NULL);
  g_study = NULL;
  tb_study_free(study);
  exp_ctx_free(&x);
  tb_suite_warm_free(&warm);
  int crc = tb_store_close(store);
  tb_store_history_free(hist);
  free(pr);
  if (rc >= 0 && crc < 0) rc = crc;
  if (rc < 0) return tb_cli_fail(rc, "run");
  printf("%s: %s in %.1f s -> %s\n", s->name, complete ? "complete" : "stopped (continue with --resume)",
         now_s() - t0, out);
  if (!complete) return TB_EXIT_FAILURE;
  if (s->report && !o->no_report) {
    double tr = now_s();
    int code = run_report(s, out, o);
    printf("report: %s in %.1f s\n", code == 0 ? "written" : "failed", now_s() - tr);
    if (code != 0) return TB_EXIT_FAILURE;
  }
  return TB_EXIT_OK;
}
