/* store.c: the results store's public API (tb_store.h): argument checks, the journal (every call is encoded and
 * appended; fsync at each finished trial, shared by trials finishing together (store_commit.c), study start and
 * end), and the single HDF5 writer thread fed by a queue
 * of the same encoded records, so the .h5 is always what the journal says. Resume replays the journal into a
 * tb_store_history and rebuilds the .h5. Not here: the codec (store_codec.c), HDF5 (store_h5.c, h5.c).
 * Tested by tests/test_store.c and tests/test_store_kill.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/file.h>

#include "store_state.h"
#include "tb_error.h"

typedef tb_store_node node; /* type 0: a flush; NODE_RENAME: rename the .h5 to the path in data */
#define NODE_RENAME UINT32_MAX
typedef tb_store_exp_dims exp_dims;

tb_store_options tb_store_options_default(void) { return (tb_store_options){0, 1}; }

double tb_store_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *writer_main(void *arg) {
  tb_store *st = arg;
  pthread_mutex_lock(&st->mu);
  for (;;) {
    while (!st->head && !st->stop) pthread_cond_wait(&st->cv_work, &st->mu);
    if (!st->head && st->stop) break;
    node *list = st->head;
    st->head = st->tail = NULL;
    pthread_mutex_unlock(&st->mu);
    uint64_t n = 0;
    int flush = 0;
    tb_arena *a = tb_arena_new();
    for (node *x = list, *next; x; x = next, n++) {
      next = x->next;
      int rc = TB_OK;
      tb_store_event ev;
      if (x->type == 0 || x->type == TB_STORE_REC_TYPE(TB_STORE_EV_TRIAL_END)) flush = 1;
      if (x->type == NODE_RENAME && st->w_rc == TB_OK) {
        rc = tb_store_h5_rename(st->w, (const char *)x->data);
      } else if (x->type && st->w_rc == TB_OK) {
        rc = a ? tb_store_decode(x->type, x->data, x->len, &ev, a) : tb_error_set(TB_ERR_NOMEM, "out of memory");
        if (rc == TB_OK) rc = tb_store_h5_apply(st->w, &ev);
      }
      if (rc < 0 && st->w_rc == TB_OK) st->w_rc = rc, snprintf(st->w_msg, sizeof st->w_msg, "%s", tb_error_detail());
      free(x);
    }
    tb_arena_free(a);
    pthread_mutex_lock(&st->mu);
    /* flush per finished trial; under a backlog the flush waits until the queue is drained */
    if (flush && !st->head && st->w_rc == TB_OK) {
      pthread_mutex_unlock(&st->mu);
      int rc = tb_store_h5_flush(st->w);
      pthread_mutex_lock(&st->mu);
      if (rc < 0 && st->w_rc == TB_OK) st->w_rc = rc, snprintf(st->w_msg, sizeof st->w_msg, "%s", tb_error_detail());
    }
    st->n_done += n;
    pthread_cond_broadcast(&st->cv_done);
  }
  pthread_mutex_unlock(&st->mu);
  return NULL;
}

/* Queues a copy of a record for the writer; called with st->mu held. */
static int enqueue(tb_store *st, uint32_t type, const uint8_t *p, size_t len) {
  node *x = malloc(sizeof *x + len);
  if (!x) return tb_error_set(TB_ERR_NOMEM, "out of host memory (writer queue)");
  x->next = NULL, x->type = type, x->len = len;
  if (len) memcpy(x->data, p, len);
  if (st->tail) st->tail->next = x;
  else st->head = x;
  st->tail = x;
  st->n_queued++;
  pthread_cond_signal(&st->cv_work);
  return TB_OK;
}

/* Journals ev (then fsyncs when sync is 1, writes the buffer out when 2), and queues it for the .h5; called with st->mu held. */
static int emit(tb_store *st, const tb_store_event *ev, int n_values, int sync) {
  int rc = TB_OK;
  st->enc.n = 0;
  tb_store_encode(ev, n_values, &st->enc);
  if (st->enc.oom) {
    st->enc.oom = 0;
    return tb_error_set(TB_ERR_NOMEM, "out of host memory encoding a record");
  }
  uint32_t type = TB_STORE_REC_TYPE(ev->type);
  TB_TRY(tb_journal_append(st->j, type, st->enc.p, st->enc.n));
  st->commit.n_appended++;
  if (sync == 1) TB_TRY(tb_store_commit_sync_locked(&st->commit, st->j));
  if (sync == 2) TB_TRY(tb_journal_flush(st->j));
  TB_TRY(enqueue(st, type, st->enc.p, st->enc.n));
done:
  if (rc < 0) tb_error_prefix(rc, "%s: ", st->jpath);
  return rc;
}

static int name_ok(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (!n || n >= max) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
      return 0;
  return 1;
}
static int len_ok(const char *s, size_t max) { return !s || strlen(s) < max; }

int tb_store_state_new(const char *path, const tb_store_options *opts, tb_store **out) {
  tb_store *st = calloc(1, sizeof *st);
  size_t n = strlen(path) + 16;
  if (!st || !(st->path = strdup(path)) || !(st->jpath = malloc(n))) {
    if (st) free(st->path);
    free(st);
    return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  }
  snprintf(st->jpath, n, "%s.journal", path);
  st->old_lock_fd = -1;
  st->opts = opts ? *opts : tb_store_options_default();
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->cv_work, NULL);
  pthread_cond_init(&st->cv_done, NULL);
  tb_store_commit_init(&st->commit);
  *out = st;
  return TB_OK;
}

int tb_store_writer_start(tb_store *st) {
  if (pthread_create(&st->thread, NULL, writer_main, st))
    return tb_error_set(TB_ERR_NOMEM, "cannot start the HDF5 writer thread");
  st->thread_up = 1;
  return TB_OK;
}

/* fsync of the directory holding path, so a rename in it is durable. */
int tb_store_sync_dir(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
  else snprintf(dir, sizeof dir, ".");
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return tb_error_set(TB_ERR_IO, "%s: cannot open to sync: %s", dir, strerror(errno));
  int rc = fsync(fd) ? tb_error_set(TB_ERR_IO, "%s: fsync failed: %s", dir, strerror(errno)) : TB_OK;
  close(fd);
  return rc;
}

/* Waits, with st->mu held, until the writer has applied and flushed everything queued so far. */
static int wait_locked(tb_store *st) {
  int rc = st->thread_up ? enqueue(st, 0, NULL, 0) : TB_OK;
  uint64_t target = st->n_queued;
  while (rc == TB_OK && st->thread_up && st->n_done < target) pthread_cond_wait(&st->cv_done, &st->mu);
  if (rc == TB_OK && st->w_rc < 0)
    rc = tb_error_set(st->w_rc, "%s: %s (%s)", st->path, st->w_msg,
                      st->tmp_path ? "the study it replaces was kept"
                                   : "the journal is intact: resuming the study rebuilds the file from it");
  return rc;
}

/* Renames a study being created into place (with st->mu held): the journal first, then the .h5 (a kill between
 * leaves a journal without .h5, which resume rebuilds), each synced and flushed before; then the lock of the study
 * it replaces is released. */
static int promote_locked(tb_store *st) {
  int rc = TB_OK;
  if (!st->tmp_path) return TB_OK;
  TB_TRY(tb_store_commit_wait(&st->commit, &st->mu, st->j, st->commit.n_appended));
  if (rename(st->tmp_jpath, st->jpath))
    TB_FAIL(TB_ERR_IO, "%s: cannot rename to %s: %s", st->tmp_jpath, st->jpath, strerror(errno));
  /* the writer renames the .h5 between two records (it reopens the file by name), flushed first */
  TB_TRY(enqueue(st, NODE_RENAME, (const uint8_t *)st->path, strlen(st->path) + 1));
  TB_TRY(wait_locked(st));
  TB_TRY(tb_store_sync_dir(st->jpath));
  free(st->tmp_path), free(st->tmp_jpath);
  st->tmp_path = st->tmp_jpath = NULL;
  if (st->old_lock_fd >= 0) close(st->old_lock_fd), st->old_lock_fd = -1;
done:
  return rc;
}

/* With force: refuses when another process holds the journal at jpath (a running study), else keeps it locked in
 * *fd until the new study replaces it. */
static int lock_old(const char *jpath, int *fd) {
  *fd = open(jpath, O_RDONLY | O_CLOEXEC);
  if (*fd < 0) return errno == ENOENT ? TB_OK : tb_error_set(TB_ERR_IO, "%s: cannot open: %s", jpath, strerror(errno));
  if (flock(*fd, LOCK_EX | LOCK_NB)) {
    int e = errno;
    close(*fd), *fd = -1;
    if (e == EWOULDBLOCK)
      return tb_error_set(TB_ERR_INVALID, "%s: a running study is writing it (its journal is locked); nothing was "
                          "replaced: stop that run first, or write the new study to another file", jpath);
    return tb_error_set(TB_ERR_IO, "%s: cannot lock: %s", jpath, strerror(e));
  }
  return TB_OK;
}

int tb_store_create(const char *path, const tb_store_study *study, const tb_store_options *opts, tb_store **out) {
  int rc = TB_OK;
  tb_store *st = NULL;
  char host[256] = "";
  uint64_t t0 = tb_store_commit_clock();
  *out = NULL;
  if (!path || !*path || !study) return tb_error_set(TB_ERR_INVALID, "store: no path or no study");
  if (study->n_seeds < 0 || (study->n_seeds && !study->seeds))
    return tb_error_set(TB_ERR_INVALID, "%s: %d seeds without values", path, study->n_seeds);
  TB_TRY(tb_store_state_new(path, opts, &st));
  int old = access(path, F_OK) == 0 || access(st->jpath, F_OK) == 0;
  if (old && !st->opts.force)
    TB_FAIL(TB_ERR_INVALID, "%s: already exists (resume the study, or force to replace it)",
            access(path, F_OK) == 0 ? path : st->jpath);
  if (old) TB_TRY(lock_old(st->jpath, &st->old_lock_fd));
  /* The new study is written beside the old one (NAME.new) and renamed into place: at once when nothing is there,
   * after its first finished trial when it replaces a study (a run that fails or stops before keeps the old one). A
   * stale NAME.new of a killed start is replaced, unless a running start holds its journal (the lock says so). */
  size_t n = strlen(path) + 32;
  if (!(st->tmp_path = malloc(n)) || !(st->tmp_jpath = malloc(n))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  snprintf(st->tmp_path, n, "%s.new", path), snprintf(st->tmp_jpath, n, "%s.new", st->jpath);
  if ((rc = tb_journal_create(st->tmp_jpath, 1, &st->j)) < 0) { /* name the file the user asked for */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    if (rc == TB_ERR_IO && access(slash ? (dir[0] ? dir : "/") : ".", W_OK) != 0)
      TB_FAIL(TB_ERR_IO, "%s: cannot create the results file: %s is not a writable folder (%s)", path,
              slash ? (dir[0] ? dir : "/") : ".", strerror(errno));
    goto done;
  }
  TB_TRY(tb_store_h5_create(st->tmp_path, &st->w));
  TB_TRY(tb_store_writer_start(st));
  tb_store_event ev = {.type = TB_STORE_EV_STUDY, .u.study = *study};
  tb_store_study *s = &ev.u.study;
  if (!s->version) s->version = TB_VERSION;
  if (!s->host) gethostname(host, sizeof host - 1), s->host = host;
  if (s->start_time == 0) s->start_time = tb_store_now();
  pthread_mutex_lock(&st->mu);
  rc = emit(st, &ev, 0, 1);
  if (rc == TB_OK && !old) rc = promote_locked(st);
  pthread_mutex_unlock(&st->mu);
  if (rc < 0) goto done;
  tb_store_commit_charge(&st->commit, t0);
  *out = st, st = NULL;
done:
  if (st) tb_store_close(st);
  return rc;
}

/* Validates and records an event (called with st->mu held); updates the trial bookkeeping. */
static int record(tb_store *st, const tb_store_event *ev) {
  int n_values = 0, sync = 0, e;
  switch (ev->type) {
  case TB_STORE_EV_EXPERIMENT: {
    const tb_store_experiment *x = &ev->u.experiment.exp;
    if (!name_ok(x->name, TB_STORE_NAME_MAX))
      return tb_error_set(TB_ERR_INVALID, "experiment name '%s': use 1..63 of [A-Za-z0-9_.-]", x->name ? x->name : "");
    for (int i = 0; i < st->n_exps; i++)
      if (!strcmp(st->exps[i].name, x->name))
        return tb_error_set(TB_ERR_INVALID, "experiment '%s' is already in the study", x->name);
    if (!x->space || !tb_space_finalized(x->space))
      return tb_error_set(TB_ERR_INVALID, "experiment '%s': no finalized search space", x->name);
    if (x->n_objectives < 1 || x->n_objectives > TB_STORE_MAX_OBJECTIVES || !x->objective_names || !x->maximize)
      return tb_error_set(TB_ERR_INVALID, "experiment '%s': %d objectives (1..%d, with names and directions)",
                          x->name, x->n_objectives, TB_STORE_MAX_OBJECTIVES);
    for (int i = 0; i < x->n_objectives; i++)
      if (!name_ok(x->objective_names[i], TB_STORE_NAME_MAX))
        return tb_error_set(TB_ERR_INVALID, "experiment '%s': objective name '%s': use [A-Za-z0-9_.-]", x->name,
                            x->objective_names[i] ? x->objective_names[i] : "");
    int na = ev->u.experiment.n_attrs;
    if (na < 0 || na > TB_STORE_MAX_ATTRS || (na && (!ev->u.experiment.attr_names || !ev->u.experiment.attr_values)))
      return tb_error_set(TB_ERR_INVALID, "experiment '%s': %d attributes (0..%d, with names and values)", x->name,
                          na, TB_STORE_MAX_ATTRS);
    for (int i = 0; i < na; i++) {
      const char *an = ev->u.experiment.attr_names[i];
      int clash = 0;
      for (const char *const *r = (const char *const[]){"index", "learner", "dataset", "parameters",
                                                         "parameter_types", "objectives", "objective_directions",
                                                         NULL};
           *r; r++)
        clash |= an && !strcmp(an, *r);
      for (int k = 0; k < i; k++) clash |= an && !strcmp(an, ev->u.experiment.attr_names[k]);
      if (!name_ok(an, TB_STORE_NAME_MAX) || clash)
        return tb_error_set(TB_ERR_INVALID, "experiment '%s': attribute name '%s': %s", x->name, an ? an : "",
                            clash ? "used twice or reserved" : "use [A-Za-z0-9_.-]");
    }
    exp_dims *ne = realloc(st->exps, (size_t)(st->n_exps + 1) * sizeof *ne);
    if (!ne) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
    st->exps = ne;
    ne[st->n_exps] = (exp_dims){tb_space_dim(x->space), x->n_objectives, "", 0};
    snprintf(ne[st->n_exps].name, sizeof ne->name, "%s", x->name);
    break;
  }
  case TB_STORE_EV_TRIAL_BEGIN: {
    const tb_store_trial *t = &ev->u.trial;
    if (t->id < 0 || tb_idmap_get(&st->known, t->id))
      return tb_error_set(TB_ERR_INVALID, "trial %lld: %s", (long long)t->id, t->id < 0 ? "negative id" : "id already used");
    if (t->experiment < 0 || t->experiment >= st->n_exps)
      return tb_error_set(TB_ERR_INVALID, "trial %lld: no experiment %d", (long long)t->id, t->experiment);
    if (!len_ok(t->strategy, TB_STORE_STRATEGY_MAX))
      return tb_error_set(TB_ERR_INVALID, "trial %lld: strategy name longer than %d bytes", (long long)t->id,
                          TB_STORE_STRATEGY_MAX - 1);
    if (t->continues && (t->parent_id < 0 || (int)(intptr_t)tb_idmap_get(&st->known, t->parent_id) != t->experiment + 1 ||
                         tb_idmap_get(&st->running, t->parent_id)))
      return tb_error_set(TB_ERR_INVALID, "trial %lld: continues trial %lld, which is not an ended trial of experiment %d",
                          (long long)t->id, (long long)t->parent_id, t->experiment);
    n_values = st->exps[t->experiment].dim;
    sync = 2; /* a begun trial survives a kill of the process: resume reports it as interrupted */
    if (n_values && !t->config) return tb_error_set(TB_ERR_INVALID, "trial %lld: no configuration", (long long)t->id);
    break;
  }
  case TB_STORE_EV_TRIAL_END: {
    const tb_store_result *r = &ev->u.result;
    if (!tb_idmap_get(&st->running, r->id))
      return tb_error_set(TB_ERR_INVALID, "trial %lld: ends but is not running", (long long)r->id);
    if ((unsigned)r->status >= TB_TRIAL_N_STATUS)
      return tb_error_set(TB_ERR_INVALID, "trial %lld: status %d", (long long)r->id, (int)r->status);
    if (!len_ok(r->reason, TB_STORE_REASON_MAX))
      return tb_error_set(TB_ERR_INVALID, "trial %lld: reason longer than %d bytes", (long long)r->id,
                          TB_STORE_REASON_MAX - 1);
    n_values = st->exps[(intptr_t)tb_idmap_get(&st->known, r->id) - 1].n_obj;
    if (!r->objectives) return tb_error_set(TB_ERR_INVALID, "trial %lld: no objective values", (long long)r->id);
    sync = 0; /* made durable by tb_store_trial_end's group commit (sync_per_trial) */
    break;
  }
  case TB_STORE_EV_CURVE:
    if (!tb_idmap_get(&st->running, ev->u.curve.trial))
      return tb_error_set(TB_ERR_INVALID, "curve point of trial %lld, which is not running", (long long)ev->u.curve.trial);
    break;
  case TB_STORE_EV_LINEAGE: {
    const tb_store_lineage *l = &ev->u.lineage;
    if (!tb_idmap_get(&st->known, l->to_trial))
      return tb_error_set(TB_ERR_INVALID, "lineage: unknown trial %lld", (long long)l->to_trial);
    if (!len_ok(l->old_params, TB_STORE_JSON_MAX) || !len_ok(l->new_params, TB_STORE_JSON_MAX))
      return tb_error_set(TB_ERR_INVALID, "lineage of trial %lld: hyperparameter JSON longer than %d bytes",
                          (long long)l->to_trial, TB_STORE_JSON_MAX - 1);
    break;
  }
  case TB_STORE_EV_PARETO: {
    const tb_store_pareto *p = &ev->u.pareto;
    if (p->experiment < 0 || p->experiment >= st->n_exps || p->n_trials < 0 || (p->n_trials && !p->trial_ids))
      return tb_error_set(TB_ERR_INVALID, "pareto front: bad experiment %d or trial list", p->experiment);
    break;
  }
  case TB_STORE_EV_MEMORY:
    if (!len_ok(ev->u.memory.device, TB_STORE_DEVICE_MAX))
      return tb_error_set(TB_ERR_INVALID, "memory sample: device name longer than %d bytes", TB_STORE_DEVICE_MAX - 1);
    break;
  case TB_STORE_EV_STUDY_END: sync = 1; break;
  case TB_STORE_EV_STUDY: return tb_error_set(TB_ERR_INVALID, "the study is recorded by tb_store_create");
  }
  int rc = emit(st, ev, n_values, sync);
  if (rc < 0) return rc;
  switch (ev->type) { /* bookkeeping once journaled */
  case TB_STORE_EV_EXPERIMENT: st->n_exps++; break;
  case TB_STORE_EV_TRIAL_BEGIN:
    e = ev->u.trial.experiment;
    if ((rc = tb_idmap_put(&st->known, ev->u.trial.id, (void *)(intptr_t)(e + 1))) == TB_OK)
      rc = tb_idmap_put(&st->running, ev->u.trial.id, (void *)1);
    if (ev->u.trial.id >= st->next_id) st->next_id = ev->u.trial.id + 1;
    break;
  case TB_STORE_EV_PARETO:
    e = ev->u.pareto.experiment;
    if (ev->u.pareto.snapshot >= st->exps[e].next_snapshot) st->exps[e].next_snapshot = ev->u.pareto.snapshot + 1;
    break;
  case TB_STORE_EV_TRIAL_END: tb_idmap_del(&st->running, ev->u.result.id); break;
  default: break;
  }
  return rc;
}

static int locked_record(tb_store *st, const tb_store_event *ev) {
  if (!st) return tb_error_set(TB_ERR_INVALID, "store: NULL");
  uint64_t t0 = tb_store_commit_clock();
  pthread_mutex_lock(&st->mu);
  int rc = record(st, ev);
  /* a finished trial is durable before this returns; callers finishing together share one fsync */
  if (rc == TB_OK && ev->type == TB_STORE_EV_TRIAL_END && st->opts.sync_per_trial)
    rc = tb_store_commit_wait(&st->commit, &st->mu, st->j, st->commit.n_appended);
  if (rc == TB_OK && st->tmp_path && ev->type == TB_STORE_EV_TRIAL_END && ev->u.result.status != TB_TRIAL_INTERRUPTED)
    rc = promote_locked(st); /* the first finished trial: the new study replaces the old one */
  pthread_mutex_unlock(&st->mu);
  tb_store_commit_charge(&st->commit, t0);
  return rc;
}

int tb_store_add_experiment(tb_store *st, const tb_store_experiment *exp, int *index) {
  return tb_store_add_experiment_attrs(st, exp, 0, NULL, NULL, index);
}

int tb_store_add_experiment_attrs(tb_store *st, const tb_store_experiment *exp, int n_attrs,
                                  const char *const *attr_names, const double *attr_values, int *index) {
  if (!st || !exp) return tb_error_set(TB_ERR_INVALID, "store: NULL experiment");
  uint64_t t0 = tb_store_commit_clock();
  pthread_mutex_lock(&st->mu);
  tb_store_event ev = {.type = TB_STORE_EV_EXPERIMENT};
  ev.u.experiment.index = st->n_exps, ev.u.experiment.exp = *exp;
  ev.u.experiment.n_attrs = n_attrs, ev.u.experiment.attr_names = attr_names;
  ev.u.experiment.attr_values = attr_values;
  int rc = record(st, &ev);
  if (rc == TB_OK && index) *index = st->n_exps - 1;
  pthread_mutex_unlock(&st->mu);
  tb_store_commit_charge(&st->commit, t0);
  return rc;
}
int64_t tb_store_next_trial_id(tb_store *st) {
  if (!st) return -1;
  pthread_mutex_lock(&st->mu);
  int64_t id = st->next_id++;
  pthread_mutex_unlock(&st->mu);
  return id;
}

int64_t tb_store_next_snapshot(tb_store *st, int experiment) {
  if (!st) return -1;
  pthread_mutex_lock(&st->mu);
  int64_t k = experiment >= 0 && experiment < st->n_exps ? st->exps[experiment].next_snapshot++ : -1;
  pthread_mutex_unlock(&st->mu);
  return k;
}

int tb_store_trial_begin(tb_store *st, const tb_store_trial *t) {
  return locked_record(st, &(tb_store_event){.type = TB_STORE_EV_TRIAL_BEGIN, .u.trial = *t});
}
int tb_store_curve_add(tb_store *st, const tb_store_curve *c) {
  return locked_record(st, &(tb_store_event){.type = TB_STORE_EV_CURVE, .u.curve = *c});
}
int tb_store_trial_end(tb_store *st, const tb_store_result *r) {
  return locked_record(st, &(tb_store_event){.type = TB_STORE_EV_TRIAL_END, .u.result = *r});
}
int tb_store_lineage_add(tb_store *st, const tb_store_lineage *l) {
  return locked_record(st, &(tb_store_event){.type = TB_STORE_EV_LINEAGE, .u.lineage = *l});
}
int tb_store_pareto_add(tb_store *st, const tb_store_pareto *p) {
  return locked_record(st, &(tb_store_event){.type = TB_STORE_EV_PARETO, .u.pareto = *p});
}
int tb_store_memory_add(tb_store *st, const tb_store_memory *m) {
  return locked_record(st, &(tb_store_event){.type = TB_STORE_EV_MEMORY, .u.memory = *m});
}
int tb_store_study_end(tb_store *st, double end_time, int complete) {
  tb_store_event ev = {.type = TB_STORE_EV_STUDY_END};
  ev.u.study_end.end_time = end_time == 0 ? tb_store_now() : end_time, ev.u.study_end.complete = !!complete;
  return locked_record(st, &ev);
}

int tb_store_sync(tb_store *st) {
  if (!st) return tb_error_set(TB_ERR_INVALID, "store: NULL");
  uint64_t t0 = tb_store_commit_clock();
  pthread_mutex_lock(&st->mu);
  int rc = tb_store_commit_wait(&st->commit, &st->mu, st->j, st->commit.n_appended);
  pthread_mutex_unlock(&st->mu);
  tb_store_commit_charge(&st->commit, t0);
  return rc;
}

int tb_store_stats(tb_store *st, tb_store_cost *out) {
  if (!st || !out) return tb_error_set(TB_ERR_INVALID, "store: NULL store or output");
  pthread_mutex_lock(&st->mu);
  out->n_records = st->commit.n_appended;
  pthread_mutex_unlock(&st->mu);
  out->n_calls = atomic_load(&st->commit.n_calls), out->call_s = 1e-9 * (double)atomic_load(&st->commit.call_ns);
  out->n_fsync = atomic_load(&st->commit.n_fsync), out->fsync_s = 1e-9 * (double)atomic_load(&st->commit.fsync_ns);
  return TB_OK;
}

int tb_store_wait(tb_store *st) {
  uint64_t t0 = tb_store_commit_clock();
  pthread_mutex_lock(&st->mu);
  int rc = wait_locked(st);
  pthread_mutex_unlock(&st->mu);
  tb_store_commit_charge(&st->commit, t0);
  return rc;
}

int tb_store_replacing(tb_store *st) {
  if (!st) return 0;
  pthread_mutex_lock(&st->mu);
  int r = st->tmp_path != NULL;
  pthread_mutex_unlock(&st->mu);
  return r;
}

int tb_store_close(tb_store *st) {
  if (!st) return TB_OK;
  int rc = st->thread_up ? tb_store_wait(st) : TB_OK;
  if (st->thread_up) {
    pthread_mutex_lock(&st->mu);
    st->stop = 1;
    pthread_cond_signal(&st->cv_work);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->thread, NULL);
  }
  for (node *x = st->head, *n; x; x = n) n = x->next, free(x);
  /* never renamed into place (no trial finished): the .new files go, the old study (if any) stays; only while this
   * store holds the .new journal's lock (a failed create may have met another start's files) */
  if (st->tmp_path && st->j) unlink(st->tmp_path), unlink(st->tmp_jpath);
  int rc2 = tb_store_h5_close(st->w), rc3 = tb_journal_close(st->j);
  if (rc == TB_OK) rc = rc2 < 0 ? rc2 : rc3;
  if (st->old_lock_fd >= 0) close(st->old_lock_fd);
  tb_bytes_free(&st->enc);
  tb_idmap_free(&st->known), tb_idmap_free(&st->running);
  pthread_mutex_destroy(&st->mu);
  pthread_cond_destroy(&st->cv_work), pthread_cond_destroy(&st->cv_done);
  tb_store_commit_destroy(&st->commit);
  free(st->exps), free(st->path), free(st->jpath), free(st->tmp_path), free(st->tmp_jpath), free(st);
  return rc;
}

