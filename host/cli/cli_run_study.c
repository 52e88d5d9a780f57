/* cli_run_study.c: running a loaded suite: one tb_study per experiment x repetition x strategy, all recorded in one
 * results file (tb_store.h: one store experiment per learner x dataset / function / command; strategy and
 * repetition per trial). Progress: on a terminal a table per strategy (trials done of total, best so far,
 * elapsed, ETA) redrawn in place after each study; plain lines otherwise. SIGINT asks the running study to stop
 * and leaves a valid, resumable file; --resume replays each study's own trials from the journal.
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
  tb_space *space; /* command spaces */
  tb_objective *obj;
  int store_index; /* -1 until added */
} exp_ctx;

static void exp_ctx_free(exp_ctx *x) {
  tb_objective_free(x->obj);
  tb_space_free(x->space);
  tb_holdout_free(x->holdout);
  tb_eval_data_free(&x->view);
  tb_dataset_free(x->ds);
  memset(x, 0, sizeof *x);
}

static int needs_latency(const tb_suite *s) {
  for (int i = 0; i < s->n_objectives; i++)
    if (!strncmp(s->objectives[i].name, "latency_", 8)) return 1;
  return 0;
}

static int make_objective(const tb_suite *s, const tb_suite_experiment *e, exp_ctx *x) {
  int rc = TB_OK;
  if (e->function) return tb_objective_testfn(e->function, 0, 0, &x->obj);
  if (e->command) {
    const char *argv[] = {"/bin/sh", "-c", e->command->run, NULL};
    const char *names[TB_SUITE_MAX_OBJECTIVES];
    for (int i = 0; i < s->n_objectives; i++) names[i] = s->objectives[i].name;
    int plain = s->n_objectives == 1 && !strcmp(names[0], "value");
    tb_objective_command_params p = {argv, e->command->timeout, 0, plain ? 0 : s->n_objectives, names};
    TB_TRY(tb_suite_space(s, e, &x->space));
    return tb_objective_command(x->space, &p, &x->obj);
  }
  const tb_suite_learner *l = e->learner;
  if (l->n_params || !l->others_declared)
    return tb_error_set(TB_ERR_UNSUPPORTED,
                        "%s: the suite sets %s's search space, but the learner objective (tb_objective_learner) "
                        "takes only the declared space in this build; use `space: declared` or wait for the "
                        "executor's space argument", e->name, l->name);
  tb_split_spec sp = tb_split_spec_default();
  sp.valid_frac = e->dataset->valid_frac, sp.test_frac = e->dataset->test_frac;
  sp.seed = e->dataset->split_seed, sp.stratify = e->dataset->stratify;
  TB_TRY(tb_data_load(e->dataset->spec, &x->ds));
  TB_TRY(tb_validate_split(x->ds, &sp, &x->view, &x->holdout));
  TB_TRY(tb_objective_learner(l->learner, &x->view, needs_latency(s) ? 100 : 0, &x->obj));
done:
  return rc;
}

/* The events of `full` that belong to (experiment, strategy, repetition), for that study's resume. */
static int filter_history(const tb_store_history *full, int exp, const char *strategy, int rep, int64_t next_id,
                          tb_store_history *out, tb_store_event **buf, int64_t **ids) {
  memset(out, 0, sizeof *out);
  out->next_trial_id = next_id;
  if (!full) return TB_OK;
  *buf = calloc(full->n_events + 1, sizeof **buf);
  *ids = calloc(full->n_events + 1, sizeof **ids);
  if (!*buf || !*ids) return tb_error_set(TB_ERR_NOMEM, "resume: out of memory");
  size_t n_ids = 0;
  for (size_t i = 0; i < full->n_events; i++) {
    const tb_store_event *ev = &full->events[i];
    int keep = 0;
    if (ev->type == TB_STORE_EV_TRIAL_BEGIN) {
      keep = ev->u.trial.experiment == exp && ev->u.trial.repetition == rep && !strcmp(ev->u.trial.strategy, strategy);
      if (keep) (*ids)[n_ids++] = ev->u.trial.id;
    } else if (ev->type == TB_STORE_EV_CURVE || ev->type == TB_STORE_EV_TRIAL_END) {
      int64_t id = ev->type == TB_STORE_EV_CURVE ? ev->u.curve.trial : ev->u.result.id;
      for (size_t k = 0; k < n_ids && !keep; k++) keep = (*ids)[k] == id;
    } else if (ev->type == TB_STORE_EV_PARETO) {
      keep = ev->u.pareto.experiment == exp;
    }
    if (keep) (*buf)[out->n_events++] = *ev;
  }
  out->events = *buf;
  return TB_OK;
}

typedef struct strat_progress {
  long done, total;
  double best, elapsed;
  int have_best;
} strat_progress;

static void show(const tb_suite *s, const strat_progress *pr, int tty, int first, double t0, const char *line) {
  if (!tty) {
    printf("%s\n", line);
    fflush(stdout);
    return;
  }
  if (!first) printf("\033[%dA", s->n_strategies + 2);
  printf("\033[K%-20s %14s %14s %10s %10s\n", "strategy", "trials", "best", "elapsed", "ETA");
  for (int i = 0; i < s->n_strategies; i++) {
    const strat_progress *p = &pr[i];
    char tr[32], best[32], eta[32];
    snprintf(tr, sizeof tr, "%ld/%ld", p->done, p->total);
    snprintf(best, sizeof best, p->have_best ? "%.6g" : "-", p->best);
    if (p->done > 0 && p->done < p->total) snprintf(eta, sizeof eta, "%.0fs", p->elapsed / p->done * (p->total - p->done));
    else snprintf(eta, sizeof eta, "%s", p->done >= p->total ? "done" : "-");
    printf("\033[K%-20s %14s %14s %9.0fs %10s\n", s->strategies[i].name, tr, best, p->elapsed, eta);
  }
  printf("\033[K%s (%.0fs)\n", line, now_s() - t0);
  fflush(stdout);
}

int tb_run_suite(const tb_suite *s, const char *out, const tb_run_options *o) {
  int rc = TB_OK, n_exp = tb_suite_n_experiments(s), complete = 1, tty = isatty(STDOUT_FILENO), first = 1;
  tb_store *store = NULL;
  tb_store_history *hist = NULL;
  tb_study *study = NULL;
  exp_ctx x = {0};
  tb_store_event *evbuf = NULL;
  int64_t *idbuf = NULL, next_id = 0;
  strat_progress *pr = calloc((size_t)s->n_strategies, sizeof *pr);
  double t0 = now_s();
  char line[512];
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
    next_id = hist->next_trial_id;
  } else {
    tb_store_study sd = {s->name, s->text, s->n_seeds, s->seeds, NULL, s->device, "", NULL, 0};
    TB_TRY(tb_store_create(out, &sd, &so, &store));
  }
  for (int e = 0; e < n_exp && !g_stop; e++) {
    tb_suite_experiment ex;
    TB_TRY(tb_suite_experiment_get(s, e, &ex));
    x.store_index = -1;
    TB_TRY(make_objective(s, &ex, &x));
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
        p.n_objectives = s->n_objectives;
        for (int i = 0; i < s->n_objectives; i++) p.objectives[i] = s->objectives[i].name,
                                                  p.maximize[i] = s->objectives[i].maximize;
        if (s->wall_clock > 0) {
          p.max_wall_s = s->wall_clock - (now_s() - t0);
          if (p.max_wall_s <= 0) {
            g_stop = 1, complete = 0;
            break;
          }
        }
        p.repetition = r, p.strategy = t->name;
        TB_TRY(tb_study_create(x.obj, &p, &study));
        if (x.store_index < 0) {
          tb_store_experiment se = {ex.name, ex.learner ? ex.learner->name : ex.function ? "testfn" : "command",
                                    ex.dataset ? ex.dataset->spec : ex.function ? ex.function->name : ex.command->run,
                                    NULL, 0, NULL, NULL};
          tb_study_describe_experiment(study, &se);
          TB_TRY(tb_store_add_experiment(store, &se, &x.store_index));
        }
        TB_TRY(tb_study_attach_store(study, store, x.store_index));
        tb_store_history h;
        free(evbuf), free(idbuf), evbuf = NULL, idbuf = NULL;
        TB_TRY(filter_history(hist, x.store_index, t->name, r, next_id, &h, &evbuf, &idbuf));
        double ts = now_s();
        g_study = study;
        if (g_stop) tb_study_request_stop(study);
        rc = tb_study_run(study, &h);
        g_study = NULL;
        if (rc < 0) goto done;
        pr[k].elapsed += now_s() - ts;
        for (size_t i = 0; i < tb_study_n_trials(study); i++) {
          const tb_study_trial *tr = tb_study_get_trial(study, i);
          if (tr && tr->store_id >= next_id) next_id = tr->store_id + 1;
        }
        pr[k].done += (long)tb_study_n_trials(study);
        int64_t b = tb_study_best(study);
        const tb_study_trial *bt = b >= 0 ? tb_study_get_trial(study, (size_t)b) : NULL;
        int maxi = s->objectives[0].maximize;
        if (bt && (!pr[k].have_best || (maxi ? bt->values[0] > pr[k].best : bt->values[0] < pr[k].best)))
          pr[k].best = bt->values[0], pr[k].have_best = 1;
        snprintf(line, sizeof line, "%s rep %d/%d %-14s %zu trials, best %s %.6g", ex.name, r + 1, s->n_seeds,
                 t->name, tb_study_n_trials(study), s->objectives[0].name, bt ? bt->values[0] : NAN);
        show(s, pr, tty, first, t0, line);
        first = 0;
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
  int crc = tb_store_close(store);
  tb_store_history_free(hist);
  free(evbuf), free(idbuf), free(pr);
  if (rc >= 0 && crc < 0) rc = crc;
  if (rc < 0) return tb_cli_fail(rc, "run");
  printf("%s: %s in %.1f s -> %s\n", s->name, complete ? "complete" : "stopped (continue with --resume)",
         now_s() - t0, out);
  if (complete && s->report) printf("report: tunebench report %s%s%s\n", out, s->report_dir ? " --out " : "",
                                    s->report_dir ? s->report_dir : "");
  return complete ? TB_EXIT_OK : TB_EXIT_FAILURE;
}
