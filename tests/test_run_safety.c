/* test_run_safety.c: issue 21's "results lost or mixed" and "signals" items through the built binary ($TB_BINARY):
 * --force validates the suite, data, device and jobs before touching the old study, never replaces the journal of
 * a running study and keeps the old study until the new one has finished a trial; --resume refuses a suite that
 * changes what defines a trial (printing the difference) and accepts safe edits, rebuilds a missing .h5, does not
 * record the Pareto snapshots again; a wall-clock budget counts the time of earlier sessions and its stop exits 0;
 * SIGTERM and SIGHUP stop a run as Ctrl-C does (exit 128 + signal, the file closed and resumable).
 * Suites are small command objectives written at test time. Skipped (77) outside ctest (no TB_BINARY). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_fixture.h"
#include "tb_test.h"

static char dir[64], logpath[128];
static const char *bin;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void setup(void) {
  if (dir[0]) return;
  bin = cli_binary(); /* cli_fixture.h: $TB_BINARY, or the test is skipped */
  snprintf(dir, sizeof dir, "/tmp/tb_test_safety_XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(logpath, sizeof logpath, "%s/out.log", dir);
}

/* dir/name (kept until the program ends: callers hold several at once) */
static const char *path(const char *name) {
  char r[160];
  snprintf(r, sizeof r, "%s/%s", dir, name);
  char *p = strdup(r);
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  return p;
}

/* A command suite: `sleep_s` per trial, `trials` trials, seed, the x range's high end, jobs; extra budget lines. */
static const char *suite(const char *name, double sleep_s, int trials, int seed, int high, int jobs, const char *extra) {
  const char *p = path(name);
  FILE *f = fopen(p, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fprintf(f, "name: safety\ncommand:\n  run: \"sleep %g; printf 'value=%%s\\n' \\\"$(cksum | cut -d' ' -f1)\\\"\"\n"
          "  timeout: 20s\n  space:\n    x: {type: float, low: 0, high: %d}\n    n: {type: int, low: 1, high: 8}\n"
          "strategies:\n  - {name: random, sampler: random}\nbudget:\n  trials: %d\n%s"
          "seed: %d\njobs: %d\nreport: false\n", sleep_s, high, trials, extra ? extra : "", seed, jobs);
  fclose(f);
  return p;
}

/* The binary with args, stdout and stderr to the log (truncated; cli_fixture.h). */
static pid_t start(const char *const *args) { return cli_spawn(logpath, 0, args); }
static int finish(pid_t pid) { return cli_wait(pid); }
static int run(const char *const *args) { return finish(start(args)); }

/* The log of the last run. */
static const char *log_text(void) {
  static char buf[8192];
  FILE *f = fopen(logpath, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  return buf;
}

static int exists(const char *p) { return access(p, F_OK) == 0; }

static int same_bytes(const char *p, const char *ref, size_t n_ref) {
  size_t n;
  char *b = tb_test_file_bytes(p, &n);
  int same = n == n_ref && !memcmp(b, ref, n);
  free(b);
  return same;
}

/* Rows of table `table` of h5 (tunebench export, CSV without its header). */
static int count_rows(const char *h5, const char *table) {
  const char *csv = path("rows.csv");
  const char *args[] = {"export", h5, "--format", "csv", "--table", table, "--out", csv, NULL};
  CU_ASSERT_EQUAL_FATAL(run(args), 0);
  FILE *f = fopen(csv, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  int n = -1, c, prev = '\n';
  while ((c = fgetc(f)) != EOF) {
    if (c == '\n') n++;
    prev = c;
  }
  if (prev != '\n') n++;
  fclose(f);
  return n;
}

static void wait_for(const char *p) {
  for (int i = 0; i < 1000 && !exists(p); i++) usleep(5000);
  CU_ASSERT_FATAL(exists(p));
}

static void test_force(void) {
  setup();
  const char *s = suite("base.yaml", 0, 4, 3, 10, 1, NULL), *out = path("a.h5"), *j = path("a.h5.journal");
  const char *a0[] = {"run", s, "--out", out, NULL};
  CU_ASSERT_EQUAL_FATAL(run(a0), 0);
  size_t nj, nh;
  char *jb = tb_test_file_bytes(j, &nj), *hb = tb_test_file_bytes(out, &nh);
  /* bad data, a device that does not exist, too many jobs: refused before any file is touched */
  const char *bad = path("bad.yaml");
  FILE *f = fopen(bad, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fprintf(f, "name: bad\ndatasets:\n  - spec: \"csv:%s/no_such_file.csv\"\nlearners:\n  - name: logreg\n"
          "strategies:\n  - {name: random, sampler: random}\nbudget:\n  trials: 2\n  fidelity: {max: 2}\nreport: false\n",
          dir);
  fclose(f);
  const char *a1[] = {"run", bad, "--out", out, "--force", NULL};
  const char *a2[] = {"run", s, "--out", out, "--force", "--device", "cuda:77", NULL};
  const char *a3[] = {"run", s, "--out", out, "--force", "--jobs", "2000", NULL};
  const char *const *cases[] = {a1, a2, a3};
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_NOT_EQUAL(run(cases[i]), 0);
    CU_ASSERT(same_bytes(j, jb, nj));
    CU_ASSERT(same_bytes(out, hb, nh));
    CU_ASSERT(!exists(path("a.h5.new")) && !exists(path("a.h5.journal.new")));
  }
  /* stopped (SIGHUP) before the new study's first trial finished: the old study is kept, no advice to resume */
  const char *slow = suite("slow.yaml", 2, 4, 3, 10, 1, NULL);
  const char *a4[] = {"run", slow, "--out", out, "--force", NULL};
  pid_t p = start(a4);
  wait_for(path("a.h5.journal.new"));
  usleep(200000);
  kill(p, SIGHUP);
  CU_ASSERT_EQUAL(finish(p), 128 + SIGHUP);
  CU_ASSERT(same_bytes(j, jb, nj));
  CU_ASSERT(!exists(path("a.h5.new")) && !exists(path("a.h5.journal.new")));
  CU_ASSERT_PTR_NULL(strstr(log_text(), "--resume"));
  /* a finished trial: the new study replaces the old one */
  const char *a5[] = {"run", s, "--out", out, "--force", "--seed", "11", NULL};
  CU_ASSERT_EQUAL(run(a5), 0);
  CU_ASSERT(!same_bytes(j, jb, nj));
  free(jb), free(hb);
}

/* 1 when the process that wrote its pid into file p has ended (gone, or a zombie not yet reaped). */
static int pid_dead(const char *p) {
  FILE *f = fopen(p, "r");
  long v = 0;
  if (f) {
    if (fscanf(f, "%ld", &v) != 1) v = 0;
    fclose(f);
  }
  CU_ASSERT_FATAL(v > 0);
  char sp[64], st[512];
  snprintf(sp, sizeof sp, "/proc/%ld/stat", v);
  if (!(f = fopen(sp, "r"))) return 1;
  size_t n = fread(st, 1, sizeof st - 1, f);
  fclose(f);
  st[n] = 0;
  const char *r = strrchr(st, ')');
  return r && (r[2] == 'Z' || r[2] == 'X');
}

static void test_force_running(void) {
  setup();
  const char *s = path("base.yaml"), *out = path("b.h5"), *slow = path("slow2.yaml"), *pids = path("trial.pid");
  FILE *f = fopen(slow, "w"); /* each trial's program writes its pid, then runs for 30 s unless killed */
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fprintf(f, "name: slow\ncommand:\n  run: \"echo $$ > %s; sleep 0.3; [ -e %s.long ] && sleep 30; echo value=1\"\n"
          "  space:\n    x: {type: float, low: 0, high: 1}\nstrategies:\n  - {name: random, sampler: random}\n"
          "budget:\n  trials: 40\nseed: 1\njobs: 1\nreport: false\n", pids, pids);
  fclose(f);
  const char *a0[] = {"run", slow, "--out", out, NULL};
  pid_t p = start(a0);
  wait_for(path("b.h5.journal"));
  usleep(400000);
  /* the other run's output goes to the same log: read it by exit status only */
  const char *a1[] = {"run", s, "--out", out, "--force", NULL};
  int rc_force = 0;
  pid_t q = fork();
  if (q == 0) {
    int fd = open(path("force.log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    const char *argv[8] = {bin, a1[0], a1[1], a1[2], a1[3], a1[4], NULL};
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  rc_force = finish(q);
  CU_ASSERT_NOT_EQUAL(rc_force, 0);
  /* SIGTERM stops the running study as Ctrl-C does: exit 143, the trial's program killed, the file closed,
   * readable and resumable */
  FILE *lf = fopen(path("trial.pid.long"), "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(lf);
  fclose(lf);
  usleep(600000); /* a trial is now in its 30 s sleep */
  double t0 = now_s();
  kill(p, SIGTERM);
  CU_ASSERT_EQUAL(finish(p), 128 + SIGTERM);
  CU_ASSERT(now_s() - t0 < 5);
  CU_ASSERT(pid_dead(pids));
  CU_ASSERT(exists(out) && !exists(path("b.h5.new")));
  const char *a2[] = {"inspect", out, NULL};
  CU_ASSERT_EQUAL(run(a2), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(log_text(), "not complete"));
  int n = count_rows(out, "trials");
  CU_ASSERT(n >= 1 && n < 40);
  /* Ctrl-C (SIGINT) on the resumed run: exit 130, within the kill grace period although the trial runs 30 s */
  const char *a3[] = {"run", slow, "--out", out, "--resume", NULL};
  unlink(pids);
  p = start(a3);
  wait_for(pids);
  usleep(500000);
  t0 = now_s();
  kill(p, SIGINT);
  CU_ASSERT_EQUAL(finish(p), 128 + SIGINT);
  CU_ASSERT(now_s() - t0 < 5);
  CU_ASSERT(pid_dead(pids));
  CU_ASSERT_PTR_NOT_NULL(strstr(log_text(), "--resume"));
}

static void test_resume(void) {
  setup();
  const char *s = suite("r.yaml", 0, 4, 3, 10, 1, NULL), *out = path("c.h5");
  const char *a0[] = {"run", s, "--out", out, NULL};
  CU_ASSERT_EQUAL_FATAL(run(a0), 0);
  int n_pareto = count_rows(out, "pareto");
  CU_ASSERT(n_pareto >= 1);
  /* no-op resumes record nothing again */
  const char *ar[] = {"run", s, "--out", out, "--resume", NULL};
  for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(run(ar), 0);
  CU_ASSERT_EQUAL(count_rows(out, "pareto"), n_pareto);
  CU_ASSERT_EQUAL(count_rows(out, "trials"), 4);
  /* what defines a trial may not change: the differences are printed */
  const char *s_seed = suite("r_seed.yaml", 0, 4, 4, 10, 1, NULL), *s_space = suite("r_space.yaml", 0, 4, 3, 12, 1, NULL);
  const char *a1[] = {"run", s_seed, "--out", out, "--resume", NULL};
  CU_ASSERT_NOT_EQUAL(run(a1), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(log_text(), "seed of repetition 0: 3 -> 4"));
  const char *a2[] = {"run", s_space, "--out", out, "--resume", NULL};
  CU_ASSERT_NOT_EQUAL(run(a2), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(log_text(), "command.space.x"));
  const char *a3[] = {"run", s, "--out", out, "--resume", "--seed", "9", NULL};
  CU_ASSERT_NOT_EQUAL(run(a3), 0);
  CU_ASSERT_EQUAL(count_rows(out, "trials"), 4);
  /* safe edits: more trials, more jobs */
  const char *s_more = suite("r_more.yaml", 0, 6, 3, 10, 2, NULL);
  const char *a4[] = {"run", s_more, "--out", out, "--resume", NULL};
  CU_ASSERT_EQUAL(run(a4), 0);
  CU_ASSERT_EQUAL(count_rows(out, "trials"), 6);
  /* the .h5 missing, the journal intact: rebuilt */
  CU_ASSERT_EQUAL(unlink(out), 0);
  const char *a5[] = {"run", s_more, "--out", out, "--resume", NULL};
  CU_ASSERT_EQUAL(run(a5), 0);
  CU_ASSERT_EQUAL(count_rows(out, "trials"), 6);
}

static void test_wall_clock(void) {
  setup();
  const char *s = suite("w.yaml", 0.2, 200, 3, 10, 1, "  wall_clock: 1s\n"), *out = path("w.h5");
  const char *a0[] = {"run", s, "--out", out, NULL};
  CU_ASSERT_EQUAL(run(a0), 0); /* finished what its budget allowed */
  CU_ASSERT_PTR_NOT_NULL(strstr(log_text(), "wall-clock budget"));
  int n1 = count_rows(out, "trials");
  CU_ASSERT(n1 >= 2 && n1 < 200);
  /* the second session counts the first one's time: at most one more trial starts */
  const char *a1[] = {"run", s, "--out", out, "--resume", NULL};
  CU_ASSERT_EQUAL(run(a1), 0);
  int n2 = count_rows(out, "trials");
  CU_ASSERT(n2 - n1 <= 1);
}

static void test_cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (getenv("TB_KEEP")) return;
  if (dir[0] && system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
}

static const tb_test_case cases[] = {{"force", test_force},           {"force_running", test_force_running},
                                     {"resume", test_resume},         {"wall_clock", test_wall_clock},
                                     {"cleanup", test_cleanup},       {NULL, NULL}};
TB_TEST_MAIN("run_safety", cases)
