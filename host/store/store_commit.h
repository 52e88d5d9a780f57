/* store_commit.h: the results store's group commit and cost counters (internal to host/store/, not public).
 * Group commit: a finished trial's record is durable once an fsync that started after it was written has ended.
 * Callers that finish together share one fsync: the first one in (the leader) writes the journal buffer out and
 * fsyncs outside the store's lock; the others append meanwhile and wait; when the fsync ends, any caller whose
 * record it did not cover becomes the next leader. A single caller gets one fsync per trial, as before.
 * Tested by tests/test_store.c (through tb_store_trial_end from many threads) and `tunebench bench store`. */
#ifndef TB_STORE_COMMIT_H
#define TB_STORE_COMMIT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tb_journal.h"

typedef struct tb_store_commit {
  pthread_cond_t cv;        /* signalled when an fsync ends */
  uint64_t n_appended;      /* journal records appended (under the store's lock) */
  uint64_t n_synced;        /* records covered by a completed fsync */
  int syncing;              /* a leader is in fsync */
  int rc;                   /* first fsync error: sticky (after a failed fsync nothing is known durable) */
  char msg[512];            /* its detail */
  _Atomic uint64_t call_ns, n_calls, fsync_ns, n_fsync; /* cost: callers' time in tb_store_* calls, fsyncs */
} tb_store_commit;

void tb_store_commit_init(tb_store_commit *c);
void tb_store_commit_destroy(tb_store_commit *c);
/* Waits, with mu held (it is released during the fsync and the waits), until records 1..target are fsync'ed. */
int tb_store_commit_wait(tb_store_commit *c, pthread_mutex_t *mu, tb_journal *j, uint64_t target);
/* Flush + fsync of everything appended, with mu held throughout (study start and end); counted and timed. */
int tb_store_commit_sync_locked(tb_store_commit *c, tb_journal *j);
uint64_t tb_store_commit_clock(void);                          /* monotonic nanoseconds */
void tb_store_commit_charge(tb_store_commit *c, uint64_t t0);  /* adds one call that began at t0 */
#endif
