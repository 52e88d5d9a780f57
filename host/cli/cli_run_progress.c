/* cli_run_progress.c: `tunebench run`'s side of a run (tb_suite_run does the work, host/suite/suite_run.c): the
 * progress display (on a terminal a table per strategy — its binding budget used (trials, fidelity units of
 * budget.total or seconds of wall_clock), best so far, elapsed, ETA, then done — redrawn
 * in place; plain lines otherwise), SIGINT turned into the library's stop flag (the file stays valid and resumable),
 * the closing line and exit code, then the report (tunebench report) unless turned off.
 * Not here: arguments and the plan (cli_run.c). Tested by tests/test_suite.c through the built binary. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_run_impl.h"
#include "tb_error.h"

static volatile sig_atomic_t g_stop; /* the signal that asked the run to stop (0: none) */

/* SIGINT (Ctrl-C), SIGTERM (kill, timeout, Slurm, systemd, docker stop) and SIGHUP (a closed terminal or ssh
 * session) all stop the run the same way: the running study ends with its trials interrupted (their processes
 * killed), the files are closed, and the exit status is 128 + the signal. */
static void on_signal(int sig) {
  if (!g_stop) g_stop = sig;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct run_view {
  const tb_suite *s;
  int tty, drawn;
  double t0, last_draw;
  const tb_suite_strategy_progress *rows; /* the last rows the library gave */
  char line[512];
} run_view;

/* A strategy's progress against its binding budget: the largest of trials done / planned, fidelity units used /
 * budget.total and seconds / wall_clock (the one that ends it first). Writes what it counts into what (e.g.
 * "540/1620 units") and returns the fraction in [0, 1]; 1 once every one of its studies has ended. */
static double binding(const tb_suite *s, const tb_suite_strategy_progress *p, double wall_elapsed, char *what,
                      size_t n) {
  double f = p->total > 0 ? (double)p->done / (double)p->total : 0;
  snprintf(what, n, "%ld/%ld trials", p->done, p->total);
  if (p->units_total > 0 && p->units_used / p->units_total >= f) {
    f = p->units_used / p->units_total;
    snprintf(what, n, "%.0f/%.0f units", p->units_used, p->units_total);
  }
  if (s->wall_clock > 0 && wall_elapsed / s->wall_clock >= f) {
    f = wall_elapsed / s->wall_clock;
    snprintf(what, n, "%.0f/%.0f s", wall_elapsed, s->wall_clock);
  }
  if (p->studies_total > 0 && p->studies_done >= p->studies_total) return 1;
  return f < 0 ? 0 : f > 0.999 ? 0.999 : f;
}

static void draw(run_view *v) {
  const tb_suite *s = v->s;
  if (!v->tty) {
    printf("%s\n", v->line);
    fflush(stdout);
    return;
  }
  if (v->drawn) printf("\033[%dA", s->n_strategies + 2);
  printf("\033[K%-20s %20s %14s %10s %10s\n", "strategy", "budget used", "best", "elapsed", "ETA");
  for (int i = 0; i < s->n_strategies; i++) {
    const tb_suite_strategy_progress *p = &v->rows[i];
    char tr[48], best[32], eta[32];
    double f = binding(s, p, now_s() - v->t0, tr, sizeof tr);
    snprintf(best, sizeof best, p->have_best ? "%.6g" : "-", p->best);
    if (f >= 1) snprintf(eta, sizeof eta, "done");
    else if (f > 0 && p->elapsed > 0) snprintf(eta, sizeof eta, "%.0fs", p->elapsed / f * (1 - f));
    else snprintf(eta, sizeof eta, "-");
    printf("\033[K%-20s %20s %14s %9.0fs %10s\n", s->strategies[i].name, tr, best, p->elapsed, eta);
  }
  printf("\033[K%s (%.0fs)\n", v->line, now_s() - v->t0);
  fflush(stdout);
  v->drawn = 1;
  v->last_draw = now_s();
}

/* tb_suite_run's progress callback: a line per study (its start on a terminal, its end everywhere); on a terminal
 * the table is redrawn at most 5 times a second while a study runs. */
static void on_progress(void *ctx, const tb_suite_progress *p) {
  run_view *v = ctx;
  const tb_suite *s = v->s;
  v->rows = p->strategies;
  const char *strat = s->strategies[p->strategy].name;
  switch (p->event) {
  case TB_SUITE_EV_STUDY_BEGIN:
    snprintf(v->line, sizeof v->line, "%s rep %d/%d %s: running", p->experiment, p->repetition + 1, s->n_seeds, strat);
    if (v->tty) draw(v);
    break;
  case TB_SUITE_EV_STUDY_PROGRESS:
    if (v->tty && now_s() - v->last_draw >= 0.2) draw(v);
    break;
  case TB_SUITE_EV_STUDY_END:
    snprintf(v->line, sizeof v->line, "%s rep %d/%d %-14s %zu trials, best %s %.6g", p->experiment,
             p->repetition + 1, s->n_seeds, strat, p->study_trials, s->objectives[0].name, p->study_best);
    draw(v);
    break;
  case TB_SUITE_EV_WARNING:
    fprintf(stderr, "tunebench run: warning: %s: %s\n", p->experiment, p->warning);
    break;
  }
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
  run_view view = {s, isatty(STDOUT_FILENO), 0, now_s(), 0, NULL, ""};
  tb_suite_run_options ro = {out, o->resume, o->force, &g_stop, on_progress, &view};
  tb_suite_run_result res;
  static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction sa, old[3];
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  g_stop = 0;
  for (int i = 0; i < 3; i++) sigaction(sigs[i], &sa, &old[i]);
  int rc = tb_suite_run(s, &ro, &res);
  for (int i = 0; i < 3; i++) sigaction(sigs[i], &old[i], NULL);
  int sig = g_stop;
  if (rc < 0) {
    int code = tb_cli_fail(rc, "run");
    if (res.kept_old) fprintf(stderr, "tunebench run: %s is unchanged (the study it held is kept)\n", out);
    return sig ? 128 + sig : code;
  }
  if (res.kept_old) {
    printf("%s: stopped before the new study's first trial finished: nothing was replaced, %s still holds the study "
           "it held before\n", s->name, out);
    return sig ? 128 + sig : TB_EXIT_FAILURE;
  }
  if (sig && !res.complete) {
    printf("%s: stopped by %s after %.1f s -> %s (continue with: tunebench run %s --out %s --resume)\n", s->name,
           sig == SIGINT ? "Ctrl-C (SIGINT)" : sig == SIGTERM ? "SIGTERM" : "SIGHUP", res.seconds, out, s->path, out);
    return 128 + sig;
  }
  if (res.wall_clock_spent)
    printf("%s: its wall-clock budget of %.0f s is spent: finished what the budget allowed, in %.1f s -> %s (raise "
           "wall_clock and resume to run more)\n", s->name, s->wall_clock, res.seconds, out);
  else
    printf("%s: %s in %.1f s -> %s\n", s->name, res.complete ? "complete" : "stopped (continue with --resume)",
           res.seconds, out);
  if (!res.complete && !res.wall_clock_spent) return TB_EXIT_FAILURE;
  if (s->report && !o->no_report) {
    double tr = now_s();
    int code = run_report(s, out, o);
    printf("report: %s in %.1f s\n", code == 0 ? "written" : "failed", now_s() - tr);
    if (code != 0) return TB_EXIT_FAILURE;
  }
  return TB_EXIT_OK;
}
