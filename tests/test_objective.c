/* test_objective.c: the objectives run directly (without a study): the command objective with shell scripts written
 * at test time (JSON on stdin, TB_PARAM_ variables, step/value lines, a stop request, exit 3, a timeout, a signal,
 * no value, several metrics), the callback objective (reports, stop, diverged and error returns), the test-function
 * objective against tb_testfn_eval, bad arguments, and children that misbehave (a process left holding stdout, a
 * tunebench that dies: issue 21). Values are compared exactly (they are printed with %.17g or
 * computed by the same formula). */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "objective_impl.h"
#include "tb_error.h"
#include "tb_test.h"

static char dir[64];

static const char *script(const char *name, const char *body) {
  static char path[8][128];
  static int k;
  char *p = path[k++ % 8];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/tb_obj_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  }
  snprintf(p, 128, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fprintf(f, "#!/bin/sh\n%s\n", body);
  fclose(f);
  chmod(p, 0755);
  return p;
}

static tb_space *space2(void) {
  tb_space *sp = NULL;
  static const char *acts[] = {"relu", "tanh"};
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-4, 1, 1));
  TB_CHECK_OK(tb_space_add_categorical(sp, "act", 2, acts));
  TB_CHECK_OK(tb_space_finalize(sp));
  return sp;
}

typedef struct rep_log {
  int n, stop_at;
  double fid[16], val[16];
} rep_log;

static int log_report(void *ctx, double fidelity, double value, double loss, double elapsed, int *stop) {
  rep_log *l = ctx;
  (void)loss, (void)elapsed;
  if (l->n < 16) l->fid[l->n] = fidelity, l->val[l->n] = value;
  l->n++;
  *stop = l->stop_at > 0 && l->n >= l->stop_at;
  return TB_OK;
}

static void run_init(tb_trial_run *run, const double *x, rep_log *log) {
  memset(run, 0, sizeof *run);
  run->trial = 7, run->seed = 1234, run->x = x;
  run->fidelity_to = 3, run->fidelity_max = 3;
  run->report = log_report, run->rctx = log;
}

static tb_objective *cmd(const tb_space *sp, const char *path, double timeout, int n, const char *const *names) {
  const char *argv[] = {path, NULL};
  tb_objective_command_params p = {argv, timeout, 0.2, n, names};
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_command(sp, &p, &o));
  return o;
}

static void test_command_ok(void) {
  tb_space *sp = space2();
  /* echoes the JSON's lr back through the environment and reports three steps */
  const char *s = script("ok.sh",
                         "read json; case \"$json\" in *lr*) ;; *) exit 9;; esac\n"
                         "echo \"step=1 value=$TB_PARAM_LR\"\necho 'noise line'\necho \"step=2 value=0.5\"\n"
                         "echo \"step=3 value=0.25\"\n[ \"$TB_PARAM_ACT\" = tanh ] || exit 8\n"
                         "[ \"$TB_TRIAL_ID\" = 7 ] || exit 7\necho \"value=0.125\"");
  tb_objective *o = cmd(sp, s, 10, 0, NULL);
  double x[2] = {0.0625, 1};
  rep_log log = {0};
  tb_trial_run run;
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_COMPLETE);
  if (run.status) printf("\nreason: %s\n", run.reason);
  CU_ASSERT_EQUAL(log.n, 3);
  CU_ASSERT_EQUAL(log.fid[0], 1);
  CU_ASSERT_EQUAL(log.val[0], 0.0625);
  CU_ASSERT_EQUAL(log.val[2], 0.25);
  CU_ASSERT_EQUAL(run.metrics[0], 0.125);
  CU_ASSERT_EQUAL(run.fidelity, 3);
  /* stop requested at the second report: SIGTERM to a program that would sleep; pruned with the last value */
  const char *slow = script("slow.sh", "echo step=1 value=4\necho step=2 value=3\nsleep 30\necho value=1");
  tb_objective *o2 = cmd(sp, slow, 20, 0, NULL);
  rep_log l2 = {0, 2, {0}, {0}};
  run_init(&run, x, &l2);
  double t0 = tb_objective_now();
  TB_CHECK_OK(tb_objective_run(o2, &run));
  CU_ASSERT(tb_objective_now() - t0 < 5);
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_PRUNED);
  CU_ASSERT_EQUAL(run.metrics[0], 3);
  tb_objective_free(o), tb_objective_free(o2);
  tb_space_free(sp);
}

static void test_command_failures(void) {
  tb_space *sp = space2();
  double x[2] = {0.01, 0};
  rep_log log = {0};
  tb_trial_run run;
  struct {
    const char *name, *body;
    double timeout;
    int status;
    const char *needle;
  } cases[] = {
      {"exit3.sh", "echo 'bad things happened' >&2\nexit 3", 0, TB_TRIAL_FAILED, "exit status 3; stderr: bad things"},
      {"sleep.sh", "echo started >&2\nsleep 30\necho value=1", 0.3, TB_TRIAL_FAILED, "timeout after 0.3 s"},
      {"kill.sh", "echo dying >&2\nkill -9 $$", 0, TB_TRIAL_FAILED, "killed by signal 9"},
      {"novalue.sh", "echo step=1 value=2", 0, TB_TRIAL_FAILED, "no final value"},
      {"nan.sh", "echo value=nan", 0, TB_TRIAL_DIVERGED, "is nan"},
      /* issue 21: a malformed number is never credited as its numeric prefix */
      {"garbled.sh", "echo value=1.5abc", 0, TB_TRIAL_FAILED, "'value=1.5abc' is not a number"},
      {"garbled_step.sh", "echo step=1x value=2\necho value=1", 0, TB_TRIAL_FAILED, "'step=1x' is not a number"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    tb_objective *o = cmd(sp, script(cases[i].name, cases[i].body), cases[i].timeout, 0, NULL);
    run_init(&run, x, &log);
    double t0 = tb_objective_now();
    TB_CHECK_OK(tb_objective_run(o, &run));
    CU_ASSERT(tb_objective_now() - t0 < 5);
    CU_ASSERT_EQUAL(run.status, cases[i].status);
    CU_ASSERT_PTR_NOT_NULL(strstr(run.reason, cases[i].needle));
    if (!strstr(run.reason, cases[i].needle)) printf("\n%s: reason '%s'\n", cases[i].name, run.reason);
    tb_objective_free(o);
  }
  /* a long stderr keeps its last 2 KiB only */
  tb_objective *o = cmd(sp, script("long.sh", "i=0; while [ $i -lt 400 ]; do echo \"line $i xxxxxxxx\" >&2; "
                                              "i=$((i+1)); done; exit 1"), 0, 0, NULL);
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT(strlen(run.reason) <= 2048 + 64);
  CU_ASSERT_PTR_NOT_NULL(strstr(run.reason, "line 399"));
  CU_ASSERT_PTR_NULL(strstr(run.reason, "line 10 "));
  tb_objective_free(o);
  /* several named metrics */
  static const char *names[] = {"acc", "time"};
  o = cmd(sp, script("multi.sh", "echo value0=0.75 time=2.5"), 0, 2, names);
  CU_ASSERT_EQUAL(tb_objective_metric_find(o, "time"), 1);
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_COMPLETE);
  CU_ASSERT_EQUAL(run.metrics[0], 0.75);
  CU_ASSERT_EQUAL(run.metrics[1], 2.5);
  tb_objective_free(o);
  /* a missing program fails the trial, bad parameters are refused */
  o = cmd(sp, "/nonexistent/tb_program", 0, 0, NULL);
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_FAILED);
  tb_objective_free(o);
  const char *argv0[] = {NULL};
  tb_objective_command_params bad = {argv0, 0, 0, 0, NULL};
  tb_objective *ob = NULL;
  CU_ASSERT_EQUAL(tb_objective_command(sp, &bad, &ob), TB_ERR_INVALID);
  const char *argv1[] = {"true", NULL};
  tb_objective_command_params bad2 = {argv1, -1, 0, 0, NULL};
  CU_ASSERT_EQUAL(tb_objective_command(sp, &bad2, &ob), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(ob);
  tb_space_free(sp);
}

static int cb_fn(void *ctx, tb_objective_call *c) {
  (void)ctx;
  const double *x = tb_objective_call_x(c);
  if (x[0] > 0.5) return tb_error_set(TB_ERR_RANGE, "lr %g too large", x[0]);
  if (x[0] > 0.3) return tb_error_set(TB_ERR_IO, "cannot read %s", "data.bin");
  for (int step = 1; step <= 3; step++)
    if (tb_objective_report(c, step, x[0] * step)) return TB_OK;
  return tb_objective_call_set(c, 0, x[0] + (double)tb_objective_call_seed(c));
}

static void test_callback(void) {
  tb_space *sp = space2();
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_callback(sp, 1, NULL, cb_fn, NULL, &o));
  double x[2] = {0.125, 0};
  rep_log log = {0};
  tb_trial_run run;
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_COMPLETE);
  CU_ASSERT_EQUAL(run.metrics[0], 0.125 + 1234);
  CU_ASSERT_EQUAL(log.n, 3);
  CU_ASSERT_EQUAL(log.val[1], 0.25);
  rep_log l2 = {0, 2, {0}, {0}};
  run_init(&run, x, &l2);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_PRUNED);
  CU_ASSERT_EQUAL(run.metrics[0], 0.25);
  x[0] = 0.75;
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_DIVERGED);
  CU_ASSERT_PTR_NOT_NULL(strstr(run.reason, "too large"));
  x[0] = 0.4;
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_FAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(run.reason, "data.bin"));
  tb_objective_free(o);
  CU_ASSERT_EQUAL(tb_objective_callback(sp, 2, NULL, cb_fn, NULL, &o), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_objective_callback(sp, 1, NULL, NULL, NULL, &o), TB_ERR_INVALID);
  tb_space_free(sp);
}

static void test_testfn(void) {
  const tb_testfn *f = tb_testfn_find("branin");
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_testfn(f, 0, 0, &o));
  CU_ASSERT_STRING_EQUAL(tb_objective_metric_name(o, 0), "value");
  double x[2] = {1.5, 4.25}, ref;
  TB_CHECK_OK(tb_testfn_eval(f, x, &ref));
  rep_log log = {0};
  tb_trial_run run;
  run_init(&run, x, &log);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.metrics[0], ref);
  CU_ASSERT_EQUAL(log.n, 3);
  CU_ASSERT_EQUAL(log.val[0], ref); /* no noise: every fidelity gives f(x) */
  tb_objective_free(o);
  /* noise model: exact at the full budget, noisy below it, same seed same noise */
  TB_CHECK_OK(tb_objective_testfn(f, 0, 0.5, &o));
  rep_log a = {0}, b = {0};
  run_init(&run, x, &a);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(run.metrics[0], ref);
  CU_ASSERT_EQUAL(a.val[2], ref);
  CU_ASSERT(a.val[0] != ref);
  run_init(&run, x, &b);
  TB_CHECK_OK(tb_objective_run(o, &run));
  CU_ASSERT_EQUAL(a.val[0], b.val[0]);
  tb_objective_free(o);
  const tb_testfn *z = tb_testfn_find("zdt1");
  TB_CHECK_OK(tb_objective_testfn(z, 0, 0, &o));
  CU_ASSERT_EQUAL(tb_objective_n_metrics(o), 2);
  CU_ASSERT_EQUAL(tb_objective_metric_find(o, "f2"), 1);
  tb_objective_free(o);
  CU_ASSERT_EQUAL(tb_objective_testfn(NULL, 0, 0, &o), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_objective_testfn(f, 0, -1, &o), TB_ERR_INVALID);
  tb_objective_free(NULL);
}

static double mono(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The pid a script wrote into dir/name (0 when not there yet). */
static pid_t read_pid(const char *name) {
  char p[160];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "r");
  long v = 0;
  if (f) {
    if (fscanf(f, "%ld", &v) != 1) v = 0;
    fclose(f);
  }
  return (pid_t)v;
}

/* 1 when pid is gone or a zombie. */
static int dead(pid_t pid) {
  char p[64], st[512];
  snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(p, "r");
  if (!f) return 1;
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = 0;
  const char *r = strrchr(st, ')');
  return r && r[1] == ' ' && (r[2] == 'Z' || r[2] == 'X');
}

static void kill_holder(const char *name) {
  pid_t h = read_pid(name);
  if (h > 0) kill(h, SIGKILL);
}

static volatile sig_atomic_t g_interrupt;
static void *interrupt_later(void *arg) {
  (void)arg;
  usleep(300000);
  g_interrupt = 1;
  return NULL;
}

/* Issue 21: a process left holding the program's stdout (here in its own session, out of reach of the group kill)
 * does not hold the trial: a program that exited 0 is credited at once, a timeout and an interrupt end the trial
 * within the grace periods; a program whose tunebench dies is killed (parent-death signal). */
static void test_command_children(void) {
  tb_space *sp = space2();
  double x[2] = {0.5, 0};
  rep_log log = {0};
  tb_trial_run run;
  char body[512];
  snprintf(body, sizeof body, "setsid sleep 5 & echo $! > %s/h1.pid; echo value=1.5", dir);
  tb_objective *o = cmd(sp, script("hold_ok.sh", body), 2, 0, NULL);
  run_init(&run, x, &log);
  double t0 = mono();
  TB_CHECK_OK(tb_objective_run(o, &run));
  double dt = mono() - t0;
  kill_holder("h1.pid");
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_COMPLETE);
  CU_ASSERT_EQUAL(run.metrics[0], 1.5);
  CU_ASSERT(dt < 1.0);
  tb_objective_free(o);
  /* a timeout of 0.5 s: SIGTERM, 0.2 s grace, SIGKILL, 0.2 s of reading on */
  snprintf(body, sizeof body, "setsid sleep 5 & echo $! > %s/h2.pid; sleep 10", dir);
  o = cmd(sp, script("hold_timeout.sh", body), 0.5, 0, NULL);
  run_init(&run, x, &log);
  t0 = mono();
  TB_CHECK_OK(tb_objective_run(o, &run));
  dt = mono() - t0;
  kill_holder("h2.pid");
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_FAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(run.reason, "timeout"));
  CU_ASSERT(dt < 2.0);
  tb_objective_free(o);
  /* a study stop (Ctrl-C) after 0.3 s */
  snprintf(body, sizeof body, "setsid sleep 5 & echo $! > %s/h3.pid; sleep 10", dir);
  o = cmd(sp, script("hold_stop.sh", body), 0, 0, NULL);
  run_init(&run, x, &log);
  g_interrupt = 0;
  run.interrupt = &g_interrupt;
  pthread_t th;
  CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, interrupt_later, NULL), 0);
  t0 = mono();
  TB_CHECK_OK(tb_objective_run(o, &run));
  dt = mono() - t0;
  pthread_join(th, NULL);
  kill_holder("h3.pid");
  CU_ASSERT_EQUAL(run.status, TB_TRIAL_INTERRUPTED);
  CU_ASSERT(dt < 2.0);
  tb_objective_free(o);
  /* parent death: a process running the objective is SIGKILLed; the program must die with it */
  snprintf(body, sizeof body, "echo $$ > %s/child.pid; exec sleep 30", dir);
  o = cmd(sp, script("orphan.sh", body), 0, 0, NULL);
  pid_t p = fork();
  CU_ASSERT_FATAL(p >= 0);
  if (p == 0) {
    run_init(&run, x, &log);
    tb_objective_run(o, &run);
    _exit(0);
  }
  pid_t child = 0;
  for (int i = 0; i < 500 && !(child = read_pid("child.pid")); i++) usleep(10000);
  CU_ASSERT_FATAL(child > 0);
  kill(p, SIGKILL);
  waitpid(p, NULL, 0);
  int gone = 0;
  for (int i = 0; i < 200 && !(gone = dead(child)); i++) usleep(10000);
  if (!gone) kill(child, SIGKILL);
  CU_ASSERT(gone);
  tb_objective_free(o);
  tb_space_free(sp);
}

static void test_cleanup(void) {
  char cmdline[128];
  snprintf(cmdline, sizeof cmdline, "rm -rf %s", dir);
  if (dir[0]) CU_ASSERT_EQUAL(system(cmdline), 0);
}

static const tb_test_case cases[] = {{"command_ok", test_command_ok},
                                     {"command_failures", test_command_failures},
                                     {"command_children", test_command_children},
                                     {"callback", test_callback},
                                     {"testfn", test_testfn},
                                     {"cleanup", test_cleanup},
                                     {NULL, NULL}};
TB_TEST_MAIN("objective", cases)
