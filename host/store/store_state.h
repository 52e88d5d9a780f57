/* store_state.h: the open store's state, shared by store.c (create, record, close) and store_resume.c (replay,
 * rebuild, resume). Private to host/store/. Tested through tests/test_store.c and tests/test_store_kill.c. */
#ifndef TB_STORE_STATE_H
#define TB_STORE_STATE_H
#include <pthread.h>
#include <stdint.h>

#include "store_commit.h"
#include "store_impl.h"
#include "tb_journal.h"

typedef struct tb_store_node { struct tb_store_node *next; uint32_t type; size_t len; uint8_t data[]; } tb_store_node;
typedef struct { int dim, n_obj; char name[TB_STORE_NAME_MAX]; int64_t next_snapshot; } tb_store_exp_dims;

struct tb_store {
  char *path, *jpath;
  /* A study being created is written to FILE.h5.new and FILE.h5.journal.new and renamed into place once it holds
   * its study record (a fresh path) or, when it replaces an old study (force), once its first trial has ended:
   * until then the old study is untouched and its journal stays locked by old_lock_fd. */
  char *tmp_path, *tmp_jpath; /* NULL once in place */
  int old_lock_fd;            /* the replaced study's journal, locked (-1: none) */
  tb_store_options opts;
  pthread_mutex_t mu;
  pthread_cond_t cv_work, cv_done;
  tb_journal *j;
  tb_bytes enc;
  tb_store_exp_dims *exps;
  int n_exps;
  tb_idmap known;   /* id -> (void *)(experiment + 1) */
  tb_idmap running; /* id -> (void *)1 */
  int64_t next_id;  /* 1 + the largest trial id begun or reserved */
  /* the writer thread */
  pthread_t thread;
  int thread_up, stop;
  tb_store_node *head, *tail;
  uint64_t n_queued, n_done;
  tb_store_h5 *w;
  int w_rc;          /* first HDF5 error and its detail (the writer's thread has its own detail) */
  char w_msg[512];
  tb_store_commit commit; /* group commit of finished trials, cost counters (store_commit.c) */
};

int tb_store_state_new(const char *path, const tb_store_options *opts, tb_store **out);
int tb_store_writer_start(tb_store *st);
int tb_store_sync_dir(const char *path); /* fsync of the directory holding path (a rename in it is durable) */
double tb_store_now(void);               /* unix seconds */
#endif
