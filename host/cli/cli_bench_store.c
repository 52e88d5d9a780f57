/* cli_bench_store.c: the hidden `tunebench bench store`, the results store's throughput and cost benchmark.
 *   tunebench bench store [--trials N] [--curve-points M] [--threads W,W,...] [--dir D] [--mode all|fsync|group|nosync]
 *   tunebench bench store --replay FILE.h5 [--dir D]
 * The first measures the disk's fsync latency (4 KiB append + fsync, median of 200) in D (default /tmp), then
 * writes N trials (begin, M curve points, end) through the full store (journal, fsync, HDF5 writer thread) in
 * three ways: (a) one writer thread, fsync per finished trial; (b) W threads ending trials in parallel with
 * per-trial durability shared by group commit; (c) no per-trial sync (one fsync at close); and prints trial
 * records/s for each. The second replays a finished study's journal (every record, in order, one caller, fsync per
 * trial) into a fresh store and compares the time spent in store calls (and the process CPU, HDF5 writer included)
 * with the recorded study's wall time. Not here: the store (host/store/). Tested by tests/test_cli_results.c
 * (a small run) and tests/test_store_commit.c (the group commit itself). --group-commit is --mode group. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tb_error.h"
#include "tb_store.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median and p90 of 200 (4 KiB append + fsync) in dir: what one per-trial commit costs at least. */
static int fsync_latency(const char *dir, double *med, double *p90) {
  enum { N = 200 };
  char path[4200], block[4096];
  double t[N];
  snprintf(path, sizeof path, "%s/tb_bench_fsync_%d", dir, (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return tb_error_set(TB_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  memset(block, 'j', sizeof block);
  int rc = TB_OK;
  for (int i = 0; i < N && rc == TB_OK; i++) {
    double t0 = now_s();
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fsync(fd))
      rc = tb_error_set(TB_ERR_IO, "%s: write or fsync failed: %s", path, strerror(errno));
    t[i] = now_s() - t0;
  }
  close(fd);
  unlink(path);
  qsort(t, N, sizeof *t, cmp_dbl);
  *med = t[N / 2], *p90 = t[N * 9 / 10];
  return rc;
}

typedef struct run_cfg { long n, m; int threads, sync; const char *dir; } run_cfg;
typedef struct run_res { double t_caller, t_all; tb_store_cost cost; } run_res;
typedef struct shared { tb_store *st; long n, m; atomic_long next; atomic_int rc; } shared;

/* A worker: takes trial numbers until n, writes begin, m curve points, end. */
static void *writer(void *arg) {
  shared *s = arg;
  for (long i; (i = atomic_fetch_add(&s->next, 1)) < s->n && atomic_load(&s->rc) == TB_OK;) {
    double x[2] = {0.001 * (double)(i % 997 + 1), 8.0 * (double)(i % 64 + 1)}, v = 1.0 / (double)(i + 1);
    tb_store_trial t = {i, 0, "random", 0, (uint64_t)i, -1, -1, (double)i, x, 0, 0};
    int rc = tb_store_trial_begin(s->st, &t);
    for (long k = 0; rc == TB_OK && k < s->m; k++) {
      tb_store_curve c = {i, k, (double)k, 1.0 / (double)(k + 1), v, 0.01 * (double)k};
      rc = tb_store_curve_add(s->st, &c);
    }
    tb_store_result r = {i, TB_TRIAL_COMPLETE, &v, (double)s->m, (double)i + 1, 1, 1000, {NAN, NAN}, {NAN, NAN},
                         10, NULL};
    if (rc == TB_OK) rc = tb_store_trial_end(s->st, &r);
    if (rc < 0) atomic_store(&s->rc, rc);
  }
  return NULL;
}

static int run_one(const run_cfg *c, const tb_space *sp, run_res *res) {
  char dir[4200], path[4300], jpath[4400];
  snprintf(dir, sizeof dir, "%s/tb_bench_store_XXXXXX", c->dir);
  if (!mkdtemp(dir)) return tb_error_set(TB_ERR_IO, "%s: cannot create a directory: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/bench.h5", dir), snprintf(jpath, sizeof jpath, "%s.journal", path);
  const char *obj[1] = {"loss"};
  int mx[1] = {0}, rc = TB_OK, n_up = 0;
  pthread_t th[256];
  tb_store_options o = tb_store_options_default();
  o.sync_per_trial = c->sync;
  tb_store_study s = {"bench", "", 0, NULL, NULL, "cpu", "", NULL, 0};
  tb_store_experiment e = {"bench", "none", "none", sp, 1, obj, mx};
  shared sh = {.n = c->n, .m = c->m};
  double t0 = now_s();
  TB_TRY(tb_store_create(path, &s, &o, &sh.st));
  TB_TRY(tb_store_add_experiment(sh.st, &e, NULL));
  if (c->threads == 1) writer(&sh);
  for (; c->threads > 1 && n_up < c->threads; n_up++)
    if (pthread_create(&th[n_up], NULL, writer, &sh)) break;
  for (int i = 0; i < n_up; i++) pthread_join(th[i], NULL);
  if (c->threads > 1 && n_up < c->threads) TB_FAIL(TB_ERR_NOMEM, "cannot start %d writer threads", c->threads);
  res->t_caller = now_s() - t0;
  TB_TRY(atomic_load(&sh.rc));
  TB_TRY(tb_store_stats(sh.st, &res->cost));
  TB_TRY(tb_store_study_end(sh.st, 0, 1));
  rc = tb_store_close(sh.st), sh.st = NULL;
  res->t_all = now_s() - t0;
done:
  tb_store_close(sh.st);
  unlink(path), unlink(jpath), rmdir(dir);
  return rc;
}

static void print_row(const char *mode, const run_cfg *c, const run_res *r) {
  printf("%-22s %7d %8ld %9.3f %11.0f %12.0f %8llu %8.1f %9.3f %11.0f\n", mode, c->threads, c->n, r->t_caller,
         (double)c->n / r->t_caller, (double)c->n * (double)(c->m + 2) / r->t_caller,
         (unsigned long long)r->cost.n_fsync, (double)c->n / (double)(r->cost.n_fsync ? r->cost.n_fsync : 1),
         r->t_all, (double)c->n / r->t_all);
}

static int throughput(long n, long m, const int *threads, int n_threads, const char *dir, const char *mode) {
  int rc = TB_OK, all = !strcmp(mode, "all");
  tb_space *sp = NULL;
  double med, p90, best_group = 0;
  TB_TRY(tb_space_init(&sp));
  TB_TRY(tb_space_add_float(sp, "lr", 1e-4, 1, 1));
  TB_TRY(tb_space_add_int(sp, "units", 8, 512, 8, 0));
  TB_TRY(tb_space_finalize(sp));
  TB_TRY(fsync_latency(dir, &med, &p90));
  printf("store bench in %s: trials of 1 begin + %ld curve points + 1 end (%ld journal records per trial)\n", dir, m,
         m + 2);
  printf("disk fsync latency (4 KiB append + fsync, 200 probes): median %.3f ms, p90 %.3f ms\n", 1e3 * med, 1e3 * p90);
  printf("%-22s %7s %8s %9s %11s %12s %8s %8s %9s %11s\n", "mode", "threads", "trials", "caller s", "trials/s",
         "records/s", "fsyncs", "tr/fsync", "closed s", "trials/s");
  run_res r;
  if (all || !strcmp(mode, "fsync")) { /* bounded: ~ n x fsync latency */
    run_cfg c = {n < 2000 ? n : 2000, m, 1, 1, dir};
    TB_TRY(run_one(&c, sp, &r));
    print_row("(a) fsync per trial", &c, &r);
  }
  for (int i = 0; i < n_threads && (all || !strcmp(mode, "group")); i++) {
    run_cfg c = {n, m, threads[i] < n ? threads[i] : (int)n, 1, dir};
    TB_TRY(run_one(&c, sp, &r));
    print_row("(b) group commit", &c, &r);
    if ((double)c.n / r.t_caller > best_group) best_group = (double)c.n / r.t_caller;
  }
  if (all || !strcmp(mode, "nosync")) {
    run_cfg c = {n, m, 1, 0, dir};
    TB_TRY(run_one(&c, sp, &r));
    print_row("(c) no per-trial sync", &c, &r);
  }
  if (best_group > 0)
    printf("target >= 10000 durable trial records/s with their curves: best group commit %.0f/s: %s\n", best_group,
           best_group >= 10000 ? "met" : "NOT met");
  printf("caller s: until the last trial's end returned (durable, except (c)); closed s: until the .h5 was complete\n");
done:
  tb_space_free(sp);
  return rc;
}

int tb_cli_bench_store_replay(const char *src, const char *dir); /* cli_bench_store_replay.c */

int tb_cli_bench_store(int argc, char **argv) {
  long n = 20000, m = 10;
  int threads[16] = {8, 32, 64}, n_threads = 3;
  const char *dir = "/tmp", *mode = "all", *replay = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--trials") && i + 1 < argc) n = atol(argv[++i]);
    else if (!strcmp(argv[i], "--curve-points") && i + 1 < argc) m = atol(argv[++i]);
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
    else if (!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
    else if (!strcmp(argv[i], "--group-commit")) mode = "group";
    else if (!strcmp(argv[i], "--replay") && i + 1 < argc) replay = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
      char *p = argv[++i], *end;
      for (n_threads = 0; *p && n_threads < 16; p = *end ? end + 1 : end) {
        long w = strtol(p, &end, 10);
        if (end == p || w < 1 || w > 256 || (*end && *end != ',')) n_threads = -1;
        if (n_threads < 0) break;
        threads[n_threads++] = (int)w;
      }
      if (n_threads < 1) return fputs("tunebench bench store: --threads W,W,... with 1 <= W <= 256\n", stderr), TB_EXIT_USAGE;
    } else {
      return tb_cli_usage_error("bench store", "bad argument '%s'%s", argv[i], i + 1 < argc ? "" : " (missing value?)");
    }
  }
  if (n < 1 || m < 0) return fputs("tunebench bench store: --trials >= 1, --curve-points >= 0\n", stderr), TB_EXIT_USAGE;
  if (strcmp(mode, "all") && strcmp(mode, "fsync") && strcmp(mode, "group") && strcmp(mode, "nosync"))
    return fprintf(stderr, "tunebench bench store: --mode '%s': use all, fsync, group or nosync\n", mode), TB_EXIT_USAGE;
  int rc = replay ? tb_cli_bench_store_replay(replay, dir) : throughput(n, m, threads, n_threads, dir, mode);
  return rc < 0 ? tb_cli_fail(rc, "bench store") : TB_EXIT_OK;
}
