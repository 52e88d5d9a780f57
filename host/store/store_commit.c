/* store_commit.c: group commit of the results store's journal and the store's cost counters (store_commit.h).
 * Not here: what is journaled (store.c), the journal file (journal.c).
 * Tested by tests/test_store.c (group commit from many threads: every acknowledged trial is in the journal, fewer
 * fsyncs than trials) and measured by `tunebench bench store`. */
#include "store_commit.h"

#include <stdio.h>
#include <time.h>

#include "tb_error.h"

void tb_store_commit_init(tb_store_commit *c) { pthread_cond_init(&c->cv, NULL); }
void tb_store_commit_destroy(tb_store_commit *c) { pthread_cond_destroy(&c->cv); }

uint64_t tb_store_commit_clock(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void tb_store_commit_charge(tb_store_commit *c, uint64_t t0) {
  atomic_fetch_add(&c->call_ns, tb_store_commit_clock() - t0);
  atomic_fetch_add(&c->n_calls, 1);
}

static void done_upto(tb_store_commit *c, int rc, uint64_t upto) {
  if (rc < 0 && c->rc == TB_OK) c->rc = rc, snprintf(c->msg, sizeof c->msg, "%s", tb_error_detail());
  if (rc == TB_OK && upto > c->n_synced) c->n_synced = upto;
}

int tb_store_commit_sync_locked(tb_store_commit *c, tb_journal *j) {
  uint64_t t0 = tb_store_commit_clock(), upto = c->n_appended;
  int rc = tb_journal_sync(j);
  atomic_fetch_add(&c->fsync_ns, tb_store_commit_clock() - t0);
  atomic_fetch_add(&c->n_fsync, 1);
  done_upto(c, rc, upto);
  return rc;
}

int tb_store_commit_wait(tb_store_commit *c, pthread_mutex_t *mu, tb_journal *j, uint64_t target) {
  while (c->n_synced < target && c->rc == TB_OK) {
    if (c->syncing) { /* a leader is in fsync: it may not cover us, so look again when it ends */
      pthread_cond_wait(&c->cv, mu);
      continue;
    }
    c->syncing = 1;
    uint64_t upto = c->n_appended; /* every record appended so far is in the buffer or the file */
    int rc = tb_journal_flush(j);
    if (rc == TB_OK) {
      uint64_t t0 = tb_store_commit_clock();
      pthread_mutex_unlock(mu); /* others append (and flush) while the disk works */
      rc = tb_journal_fsync(j);
      pthread_mutex_lock(mu);
      atomic_fetch_add(&c->fsync_ns, tb_store_commit_clock() - t0);
      atomic_fetch_add(&c->n_fsync, 1);
    }
    c->syncing = 0;
    done_upto(c, rc, upto);
    pthread_cond_broadcast(&c->cv);
  }
  if (c->rc < 0) return tb_error_set(c->rc, "%s", c->msg); /* sticky: later commits fail too */
  return TB_OK;
}
