/* test_store_commit.c: the results store's group commit and cost counters (host/store/store_commit.c through
 * tb_store.h).
 * - one thread, sync_per_trial: exactly one fsync per finished trial (plus the study's own), and each finished
 *   trial's record is in the journal file when tb_store_trial_end returns; exact call and record counts;
 * - sync_per_trial = 0: the last trial's end stays buffered until tb_store_sync, which fsyncs once (a second sync
 *   with nothing new does not);
 * - 16 threads finishing 640 trials: every trial acknowledged by tb_store_trial_end is already in the journal file
 *   (read by the thread right after), all 640 are there at the end, never more fsyncs than trials, and on a disk
 *   where fsync takes >= 100 us, fewer fsyncs than trials (they were shared);
 * - bad input: NULL store or output. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "store_fixture.h"
#include "tb_journal.h"

#define REC_TRIAL_END ((uint32_t)TB_STORE_EV_TRIAL_END + 1u) /* journal record type of a trial's end */
static char path[128], jpath[160];

static int count_cb(void *ctx, uint64_t index, uint64_t offset, uint32_t type, const uint8_t *p, size_t len) {
  (void)index, (void)offset, (void)p, (void)len;
  if (type == REC_TRIAL_END) ++*(long *)ctx;
  return 0;
}
/* Trial ends in the journal file now (a torn tail, a record being written, is dropped by the reader). */
static long ends_on_disk(void) {
  long n = 0;
  TB_CHECK_OK(tb_journal_read(jpath, count_cb, &n, NULL));
  return n;
}

static tb_store *open_store(int sync_per_trial, tb_space *sp) {
  snprintf(path, sizeof path, "/tmp/tb_test_commit_%d.h5", (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  tb_store_study s = {"commit", "suite: commit\n", 0, NULL, NULL, "cpu", "", NULL, 0};
  tb_store_experiment e = {"exp", "mlp", "gen", sp, 2, fx_obj, fx_max};
  tb_store_options o = tb_store_options_default();
  o.force = 1, o.sync_per_trial = sync_per_trial;
  tb_store *st = NULL;
  TB_CHECK_OK(tb_store_create(path, &s, &o, &st));
  TB_CHECK_OK(tb_store_add_experiment(st, &e, NULL));
  return st;
}
static void cleanup(void) { unlink(path), unlink(jpath); }

static void test_single_thread(void) {
  tb_space *sp = fx_space();
  tb_store *st = open_store(1, sp);
  const int n = 30, m = 4;
  for (int i = 0; i < n; i++) {
    TB_CHECK_OK(fx_trial(st, sp, 0, i, i, -1, m, 1));
    CU_ASSERT_EQUAL(ends_on_disk(), i + 1); /* written out before tb_store_trial_end returned */
  }
  tb_store_cost c;
  TB_CHECK_OK(tb_store_stats(st, &c));
  CU_ASSERT_EQUAL(c.n_fsync, 1 + (uint64_t)n);             /* the study record's, then one per trial */
  CU_ASSERT_EQUAL(c.n_records, 2 + (uint64_t)n * (m + 2)); /* study, experiment, begin + curve + end */
  CU_ASSERT_EQUAL(c.n_calls, 2 + (uint64_t)n * (m + 2));   /* create, add_experiment, the trials' calls */
  CU_ASSERT(c.call_s > 0 && c.fsync_s > 0 && c.fsync_s <= c.call_s);
  TB_CHECK_OK(tb_store_close(st));
  tb_space_free(sp);
  cleanup();
}

static void test_no_per_trial_sync(void) {
  tb_space *sp = fx_space();
  tb_store *st = open_store(0, sp);
  for (int i = 0; i < 10; i++) TB_CHECK_OK(fx_trial(st, sp, 0, i, i, -1, 2, 1));
  /* each begin writes the buffer out, so only the last trial's end is still in memory */
  CU_ASSERT_EQUAL(ends_on_disk(), 9);
  tb_store_cost c;
  TB_CHECK_OK(tb_store_stats(st, &c));
  CU_ASSERT_EQUAL(c.n_fsync, 1);
  TB_CHECK_OK(tb_store_sync(st));
  CU_ASSERT_EQUAL(ends_on_disk(), 10);
  TB_CHECK_OK(tb_store_sync(st)); /* nothing new: no fsync */
  TB_CHECK_OK(tb_store_stats(st, &c));
  CU_ASSERT_EQUAL(c.n_fsync, 2);
  CU_ASSERT_EQUAL(c.n_calls, 2 + 10 * 4 + 2);
  TB_CHECK_OK(tb_store_close(st));
  tb_space_free(sp);
  cleanup();
}

#define N_THREADS 16
#define PER_THREAD 40
typedef struct { tb_store *st; const tb_space *sp; int t; long bad, errors; } worker;
static atomic_long acked;

static void *work(void *arg) {
  worker *w = arg;
  for (int i = 0; i < PER_THREAD; i++) {
    int64_t id = (int64_t)w->t * 1000 + i;
    if (fx_trial(w->st, w->sp, 0, id, id, -1, 3, 1) != TB_OK) w->errors++;
    long before = atomic_fetch_add(&acked, 1) + 1; /* trial ends acknowledged so far, this one included */
    if (i % 4 == 0 && ends_on_disk() < before) w->bad++;
  }
  return NULL;
}

static void test_many_threads(void) {
  tb_space *sp = fx_space();
  tb_store *st = open_store(1, sp);
  worker w[N_THREADS];
  pthread_t th[N_THREADS];
  atomic_store(&acked, 0);
  for (int t = 0; t < N_THREADS; t++) {
    w[t] = (worker){st, sp, t, 0, 0};
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th[t], NULL, work, &w[t]), 0);
  }
  long bad = 0, errors = 0;
  for (int t = 0; t < N_THREADS; t++) pthread_join(th[t], NULL), bad += w[t].bad, errors += w[t].errors;
  CU_ASSERT_EQUAL(errors, 0);
  CU_ASSERT_EQUAL(bad, 0);
  const long n = N_THREADS * PER_THREAD;
  CU_ASSERT_EQUAL(ends_on_disk(), n);
  tb_store_cost c;
  TB_CHECK_OK(tb_store_stats(st, &c));
  double mean_fsync = c.fsync_s / (double)c.n_fsync;
  printf("\n  %ld trials from %d threads: %llu fsyncs (mean %.0f us), %.3f s in store calls\n", n, N_THREADS,
         (unsigned long long)c.n_fsync, 1e6 * mean_fsync, c.call_s);
  CU_ASSERT(c.n_fsync >= 2 && c.n_fsync <= 1 + (uint64_t)n);
  if (mean_fsync >= 100e-6) CU_ASSERT(c.n_fsync < (uint64_t)n); /* on a real disk, callers overlap and share */
  CU_ASSERT_EQUAL(c.n_records, 2 + (uint64_t)n * 5);
  TB_CHECK_OK(tb_store_close(st));
  tb_space_free(sp);
  cleanup();
}

static void test_bad_input(void) {
  tb_store_cost c;
  CU_ASSERT_EQUAL(tb_store_stats(NULL, &c), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_store_sync(NULL), TB_ERR_INVALID);
  tb_space *sp = fx_space();
  tb_store *st = open_store(1, sp);
  CU_ASSERT_EQUAL(tb_store_stats(st, NULL), TB_ERR_INVALID);
  tb_store_result r = {999, TB_TRIAL_COMPLETE, (double[2]){1, 2}, 1, 0, 0, -1, {0, 0}, {0, 0}, -1, NULL};
  CU_ASSERT_EQUAL(tb_store_trial_end(st, &r), TB_ERR_INVALID); /* not running: refused before any commit */
  TB_CHECK_OK(tb_store_stats(st, &c));
  CU_ASSERT_EQUAL(c.n_fsync, 1);
  TB_CHECK_OK(tb_store_close(st));
  tb_space_free(sp);
  cleanup();
}

static const tb_test_case cases[] = {{"single_thread", test_single_thread},
                                     {"no_per_trial_sync", test_no_per_trial_sync},
                                     {"many_threads", test_many_threads},
                                     {"bad_input", test_bad_input},
                                     {NULL, NULL}};
TB_TEST_MAIN("store_commit", cases)
