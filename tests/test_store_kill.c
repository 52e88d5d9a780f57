/* test_store_kill.c: crash safety of the results store. A child process runs a deterministic "study" (trials
 * 0..N-1 in order, each with curve points, re-running interrupted trials under new ids with retry_of) through
 * tb_store; the parent SIGKILLs it at random moments (>= 20 times), each followed by a resume that continues.
 * At the end: every trial 0..N-1 finished exactly once (by itself or a retry), no finished trial was lost (each one
 * the child reported finished before the kill is in the final file), and the final .h5 opens with every table. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store_fixture.h"

#define N_TRIALS 400
static char path[128], jpath[160], donepath[160];

/* The study: create or resume, then run the logical trials not yet finished. Each finished trial appends its
 * logical number to donepath after tb_store_trial_end returned (so it must be in the journal). */
static int child(void) {
  tb_space *sp = fx_space();
  tb_store *st;
  tb_store_history *h = NULL;
  static int done[N_TRIALS];
  fx_pause_us = 700; /* >= 2 ms a trial even where fsync is free (tmpfs): the kills land mid-study */
  static int64_t logical_of[N_TRIALS * 64];
  int64_t next = 0;
  if (access(jpath, F_OK) == 0) {
    if (tb_store_open_resume(path, NULL, &st, &h) < 0) return fprintf(stderr, "resume: %s\n", tb_error_detail()), 3;
    for (size_t i = 0; i < h->n_events; i++) {
      const tb_store_event *e = &h->events[i];
      if (e->type == TB_STORE_EV_TRIAL_BEGIN) /* the logical trial, from the seed fx_trial gave it */
        logical_of[e->u.trial.id] = (int64_t)e->u.trial.seed - 1000;
      if (e->type == TB_STORE_EV_TRIAL_END && e->u.result.status != TB_TRIAL_INTERRUPTED)
        done[logical_of[e->u.result.id]] = 1;
    }
    int have_exp = 0; /* a kill between creating the study and adding its experiment leaves none */
    for (size_t i = 0; i < h->n_events; i++) have_exp |= h->events[i].type == TB_STORE_EV_EXPERIMENT;
    if (!have_exp) {
      tb_store_experiment e = {"exp", "mlp", "gen", sp, 2, fx_obj, fx_max};
      if (tb_store_add_experiment(st, &e, NULL) < 0) return 5;
    }
    next = h->next_trial_id;
    for (size_t i = 0; i < h->n_interrupted; i++) { /* re-queue with the original config: a new id, retry_of */
      int64_t old = h->interrupted[i]->id, lg = logical_of[old];
      logical_of[next] = lg;
      if (fx_trial(st, sp, 0, next++, lg, old, 3, 1) < 0) return 4;
      done[lg] = 1;
      FILE *f = fopen(donepath, "a");
      fprintf(f, "%lld\n", (long long)lg), fclose(f);
    }
  } else {
    tb_store_study s = {"kill", "suite: kill\n", 0, NULL, NULL, "cpu", "", NULL, 0};
    tb_store_experiment e = {"exp", "mlp", "gen", sp, 2, fx_obj, fx_max};
    /* no journal yet: the study never started (a kill while creating may have left FILE.h5 alone) */
    tb_store_options o = tb_store_options_default();
    o.force = 1;
    if (tb_store_create(path, &s, &o, &st) < 0 || tb_store_add_experiment(st, &e, NULL) < 0) return 5;
  }
  int64_t lg = 0;
  for (; lg < N_TRIALS; lg++) {
    if (done[lg]) continue;
    int64_t id = next++;
    logical_of[id] = lg;
    if (fx_trial(st, sp, 0, id, lg, -1, 3, 1) < 0) return fprintf(stderr, "trial: %s\n", tb_error_detail()), 6;
    FILE *f = fopen(donepath, "a");
    fprintf(f, "%lld\n", (long long)lg), fclose(f);
  }
  if (tb_store_study_end(st, 0, 1) < 0 || tb_store_close(st) < 0) return 7;
  tb_store_history_free(h);
  tb_space_free(sp);
  return 0;
}

static void test_kill_resume(void) {
  snprintf(path, sizeof path, "/tmp/tb_test_store_kill_%d.h5", (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  snprintf(donepath, sizeof donepath, "%s.done", path);
  unlink(path), unlink(jpath), unlink(donepath);
  srand(42);
  int kills = 0, finished = 0;
  for (int round = 0; round < 200 && !finished; round++) {
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) _exit(child());
    if (kills < 24) {
      struct timespec ts = {0, (long)(2000 + rand() % 20000) * 1000L}; /* 2..22 ms */
      nanosleep(&ts, NULL);
      kill(pid, SIGKILL);
    }
    int status;
    waitpid(pid, &status, 0);
    kills += WIFSIGNALED(status);
    if (WIFEXITED(status)) {
      CU_ASSERT_EQUAL_FATAL(WEXITSTATUS(status), 0);
      finished = 1;
    }
  }
  CU_ASSERT(finished);
  CU_ASSERT(kills >= 20);
  /* every logical trial finished exactly once, and nothing the child saw finished was lost */
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  const char *tp = "/experiments/exp/trials";
  int nc;
  tb_h5_col *cols;
  size_t n;
  TB_CHECK_OK(tb_h5_table_columns(f, tp, &nc, &cols, &n));
  tb_h5_cols_free(cols, nc);
  int64_t *id = malloc(n * sizeof *id), *retry = malloc(n * sizeof *retry);
  char **status = malloc(n * sizeof *status);
  double *lr = malloc(n * sizeof *lr);
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "id", TB_H5_I64, n, id));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "retry_of", TB_H5_I64, n, retry));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "status", TB_H5_STR, n, status));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "param_lr", TB_H5_F64, n, lr));
  double c = 0;
  TB_CHECK_OK(tb_h5_attr_read_f64(f, "/", "complete", &c, 1, NULL));
  CU_ASSERT_EQUAL(c, 1);
  static int count[N_TRIALS];
  uint64_t *seed = malloc(n * sizeof *seed);
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "seed", TB_H5_U64, n, seed));
  TB_CHECK_OK(tb_h5_close(f));
  int n_interrupted = 0, cfg_bad = 0;
  tb_space *sp = fx_space();
  for (size_t i = 0; i < n; i++) {
    double x[8];
    int64_t lg = (int64_t)seed[i] - 1000; /* the logical trial: retries keep its seed and configuration */
    CU_ASSERT_FATAL(lg >= 0 && lg < N_TRIALS);
    fx_config(sp, lg, x);
    cfg_bad += lr[i] != x[0];
    if (!strcmp(status[i], "interrupted")) n_interrupted++;
    else count[lg]++;
    free(status[i]);
  }
  tb_space_free(sp);
  CU_ASSERT_EQUAL(cfg_bad, 0);
  int bad = 0;
  for (int i = 0; i < N_TRIALS; i++)
    if (count[i] != 1 && bad++ < 5) printf("\nlogical trial %d finished %d times", i, count[i]);
  CU_ASSERT_EQUAL(bad, 0);
  FILE *d = fopen(donepath, "r");
  long long lg;
  int reported = 0, lost = 0;
  while (d && fscanf(d, "%lld", &lg) == 1) reported++, lost += lg < 0 || lg >= N_TRIALS || count[lg] != 1;
  if (d) fclose(d);
  CU_ASSERT_EQUAL(lost, 0);
  printf("\n%d kills, %zu rows, %d interrupted, %d finished reports\n", kills, n, n_interrupted, reported);
  free(id), free(retry), free(status), free(lr), free(seed);
  unlink(path), unlink(jpath), unlink(donepath);
}

static const tb_test_case cases[] = {{"kill_resume", test_kill_resume}, {NULL, NULL}};
TB_TEST_MAIN("store_kill", cases)
