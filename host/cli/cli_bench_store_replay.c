/* cli_bench_store_replay.c: `tunebench bench store --replay FILE.h5`: what logging cost a finished study. Copies
 * FILE.h5.journal into a temporary directory, reads it back (tb_store_open_resume on the copy), replays every record
 * in order through the public store calls into a fresh store (one caller, fsync per finished trial, the HDF5
 * writer thread running) and prints the time spent in those calls and the process CPU (the writer included)
 * against the recorded study's wall time (its start to its end record). The original file is only read.
 * Not here: the throughput benchmark (cli_bench_store.c). Tested by tests/test_kill_resume.c (on its study). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tb_error.h"
#include "tb_store.h"

int tb_cli_bench_store_replay(const char *src, const char *dir);

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_sec +
         1e-6 * (double)u.ru_stime.tv_usec;
}

static int copy_file(const char *from, const char *to) {
  FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
  char buf[1 << 16];
  size_t k;
  int rc = TB_OK;
  if (!a) return tb_error_set(errno == ENOENT ? TB_ERR_NOT_FOUND : TB_ERR_IO, "%s: cannot open: %s", from,
                              strerror(errno));
  if (!b) rc = tb_error_set(TB_ERR_IO, "%s: cannot create: %s", to, strerror(errno));
  while (rc == TB_OK && (k = fread(buf, 1, sizeof buf, a)) > 0)
    if (fwrite(buf, 1, k, b) != k) rc = tb_error_set(TB_ERR_IO, "%s: write failed", to);
  if (rc == TB_OK && ferror(a)) rc = tb_error_set(TB_ERR_IO, "%s: read failed", from);
  fclose(a);
  if (b && fclose(b) && rc == TB_OK) rc = tb_error_set(TB_ERR_IO, "%s: write failed", to);
  return rc;
}

/* One recorded event through the public call that wrote it. */
static int replay_event(tb_store *st, const tb_store_event *ev) {
  switch (ev->type) {
  case TB_STORE_EV_EXPERIMENT: return tb_store_add_experiment(st, &ev->u.experiment.exp, NULL);
  case TB_STORE_EV_TRIAL_BEGIN: return tb_store_trial_begin(st, &ev->u.trial);
  case TB_STORE_EV_CURVE: return tb_store_curve_add(st, &ev->u.curve);
  case TB_STORE_EV_TRIAL_END: return tb_store_trial_end(st, &ev->u.result);
  case TB_STORE_EV_LINEAGE: return tb_store_lineage_add(st, &ev->u.lineage);
  case TB_STORE_EV_PARETO: return tb_store_pareto_add(st, &ev->u.pareto);
  case TB_STORE_EV_MEMORY: return tb_store_memory_add(st, &ev->u.memory);
  case TB_STORE_EV_STUDY_END: return tb_store_study_end(st, ev->u.study_end.end_time, ev->u.study_end.complete);
  case TB_STORE_EV_STUDY: break;
  }
  return TB_OK;
}

int tb_cli_bench_store_replay(const char *src, const char *dir) {
  int rc = TB_OK;
  char tmp[4200], copy[4300], cj[4400], sj[4400], out[4300], oj[4400];
  tb_store *st = NULL;
  tb_store_history *h = NULL;
  snprintf(tmp, sizeof tmp, "%s/tb_bench_replay_XXXXXX", dir);
  if (!mkdtemp(tmp)) return tb_error_set(TB_ERR_IO, "%s: cannot create a directory: %s", tmp, strerror(errno));
  snprintf(copy, sizeof copy, "%s/study.h5", tmp), snprintf(cj, sizeof cj, "%s.journal", copy);
  snprintf(out, sizeof out, "%s/replay.h5", tmp), snprintf(oj, sizeof oj, "%s.journal", out);
  snprintf(sj, sizeof sj, "%s.journal", src);
  TB_TRY(copy_file(sj, cj));
  TB_TRY(tb_store_open_resume(copy, NULL, &st, &h));
  rc = tb_store_close(st), st = NULL;
  if (rc < 0) goto done;
  double t_start = h->events[0].u.study.start_time, t_end = 0;
  long n_trials = 0, n_curve = 0;
  for (size_t i = 0; i < h->n_events; i++) {
    const tb_store_event *ev = &h->events[i];
    if (ev->type == TB_STORE_EV_STUDY_END) t_end = ev->u.study_end.end_time;
    n_trials += ev->type == TB_STORE_EV_TRIAL_END, n_curve += ev->type == TB_STORE_EV_CURVE;
  }
  if (t_end <= t_start) TB_FAIL(TB_ERR_INVALID, "%s: the study has not ended: nothing to compare with", src);
  tb_store_options o = tb_store_options_default();
  o.force = 1;
  double c0 = cpu_s(), t0 = now_s();
  TB_TRY(tb_store_create(out, &h->events[0].u.study, &o, &st));
  for (size_t i = 1; i < h->n_events; i++)
    if ((rc = replay_event(st, &h->events[i])) < 0) TB_FAIL(rc, "replaying record %zu: %s", i, tb_error_detail());
  tb_store_cost c;
  TB_TRY(tb_store_stats(st, &c));
  rc = tb_store_close(st), st = NULL;
  double t_all = now_s() - t0, cpu = cpu_s() - c0, wall = t_end - t_start;
  if (rc < 0) goto done;
  printf("replay of %s: %zu records (%ld trials, %ld curve points) of a study that ran %.2f s\n", src, h->n_events,
         n_trials, n_curve, wall);
  printf("  time in store calls (one caller, fsync per trial): %.4f s = %.3f%% of the study's wall time "
         "(%llu fsyncs, %.3f s)\n", c.call_s, 100 * c.call_s / wall, (unsigned long long)c.n_fsync, c.fsync_s);
  printf("  process CPU while replaying (callers + HDF5 writer thread): %.4f s = %.3f%% of the study's wall time\n",
         cpu, 100 * cpu / wall);
  printf("  until the replayed .h5 was complete and closed: %.4f s\n", t_all);
done:
  tb_store_close(st);
  tb_store_history_free(h);
  unlink(cj), unlink(copy), unlink(oj), unlink(out), rmdir(tmp);
  return rc;
}
