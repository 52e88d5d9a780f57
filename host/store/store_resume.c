/* store_resume.c: reopening a study (tb_store_open_resume, tb_store_rebuild, tb_store.h): the journal is replayed into a
 * tb_store_history, the store's bookkeeping is rebuilt from it, a session that ended without its study-end record
 * (a kill) gets one at its last recorded moment (so the time the study has run is known: history->elapsed_s),
 * trials left running are recorded as interrupted, and FILE.h5 is rebuilt from the journal (also when it is
 * missing). Not here: creating, recording, the writer thread (store.c). Tested by tests/test_store.c,
 * tests/test_store_kill.c and tests/test_kill_resume.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_state.h"
#include "tb_error.h"

typedef tb_store_exp_dims exp_dims;

typedef struct {
  tb_store_history pub;
  tb_arena *a;
  size_t cap;
} history;

void tb_store_history_free(tb_store_history *h) {
  if (!h) return;
  history *p = (history *)h;
  tb_arena_free(p->a);
  free(h->events), free(h->interrupted), free(p);
}

static int replay_cb(void *ctx, uint64_t index, uint64_t offset, uint32_t type, const uint8_t *payload, size_t len) {
  history *h = ctx;
  if (h->pub.n_events == h->cap) {
    size_t cap = h->cap ? 2 * h->cap : 1024;
    tb_store_event *e = realloc(h->pub.events, cap * sizeof *e);
    if (!e) return tb_error_set(TB_ERR_NOMEM, "out of host memory replaying the journal");
    h->pub.events = e, h->cap = cap;
  }
  tb_store_event *ev = &h->pub.events[h->pub.n_events];
  int rc = tb_store_decode(type, payload, len, ev, h->a);
  if (rc < 0) return tb_error_prefix(rc, "record %llu at byte offset %llu: ", (unsigned long long)index,
                                     (unsigned long long)offset);
  if ((index == 0) != (ev->type == TB_STORE_EV_STUDY))
    return tb_error_set(TB_ERR_FORMAT, "record %llu at byte offset %llu: %s", (unsigned long long)index,
                        (unsigned long long)offset, index ? "a second study record" : "the first record is not the study");
  h->pub.n_events++;
  return TB_OK;
}

/* Reads the journal of path into *out. */
static int replay(const char *jpath, history **out, tb_journal_stats *stats) {
  int rc = TB_OK;
  history *h = calloc(1, sizeof *h);
  *out = NULL;
  if (!h || !(h->a = tb_arena_new())) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  TB_TRY(tb_journal_read(jpath, replay_cb, h, stats));
  if (!h->pub.n_events) TB_FAIL(TB_ERR_FORMAT, "%s: the journal holds no study record", jpath);
  h->pub.n_torn = stats->n_torn;
  *out = h, h = NULL;
done:
  if (h) tb_store_history_free(&h->pub);
  if (rc < 0 && rc != TB_ERR_NOMEM && strncmp(tb_error_detail(), jpath, strlen(jpath)))
    tb_error_prefix(rc, "%s: ", jpath);
  return rc;
}

/* Writes every event of h into a fresh .h5 at path. */
static int rebuild(const char *path, const history *h, tb_store_h5 **out) {
  int rc = TB_OK;
  *out = NULL;
  TB_TRY(tb_store_h5_create(path, out));
  for (size_t i = 0; i < h->pub.n_events; i++)
    if ((rc = tb_store_h5_apply(*out, &h->pub.events[i])) < 0)
      TB_FAIL(rc, "%s: rebuilding from the journal, record %zu: %s", path, i, tb_error_detail());
  TB_TRY(tb_store_h5_flush(*out));
done:
  return rc;
}

int tb_store_rebuild(const char *path) {
  int rc = TB_OK;
  history *h = NULL;
  tb_store_h5 *w = NULL;
  tb_journal_stats js;
  size_t n = strlen(path) + 16;
  char *jpath = malloc(n), *tmp = malloc(n);
  if (!jpath || !tmp) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  snprintf(jpath, n, "%s.journal", path), snprintf(tmp, n, "%s.rebuild", path);
  TB_TRY(replay(jpath, &h, &js));
  TB_TRY(rebuild(tmp, h, &w));
  rc = tb_store_h5_close(w), w = NULL;
  if (rc == TB_OK && rename(tmp, path)) TB_FAIL(TB_ERR_IO, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
done:
  tb_store_h5_close(w);
  if (rc < 0 && tmp) unlink(tmp);
  tb_store_history_free(h ? &h->pub : NULL);
  free(jpath), free(tmp);
  return rc;
}

/* Why there is nothing to resume at path (its journal jpath is missing). */
static int missing_journal(const char *path, const char *jpath) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.new", jpath);
  if (access(path, F_OK) == 0)
    return tb_error_set(TB_ERR_NOT_FOUND, "%s: its journal %s is missing, and only a journal can be resumed; the "
                        "file's trials can still be read (inspect, export)", path, jpath);
  if (access(tmp, F_OK) == 0)
    return tb_error_set(TB_ERR_NOT_FOUND, "%s: no study to resume: the run that started it stopped before its first "
                        "trial finished (it left %s): start the study again", path, tmp);
  return tb_error_set(TB_ERR_NOT_FOUND, "%s: no study to resume (neither it nor its journal %s exists)", path, jpath);
}

int tb_store_open_resume(const char *path, const tb_store_options *opts, tb_store **out, tb_store_history **hist) {
  int rc = TB_OK;
  char rtmp[4200] = ""; /* the .h5 being rebuilt */
  tb_store *st = NULL;
  history *h = NULL;
  tb_journal_stats js;
  *out = NULL, *hist = NULL;
  if (!path || !*path) return tb_error_set(TB_ERR_INVALID, "store: no path");
  TB_TRY(tb_store_state_new(path, opts, &st));
  if (access(st->jpath, F_OK)) TB_TRY(missing_journal(path, st->jpath));
  TB_TRY(replay(st->jpath, &h, &js));
  TB_TRY(tb_journal_open_append(st->jpath, js.valid_end, &st->j)); /* locks: one writer per study */
  /* the store's bookkeeping, as if the calls had been made again */
  int64_t next = 0;
  /* time the study has run: each session from its first to its last recorded moment (sessions end at a study-end
   * record; a killed one gets its record below) */
  double session_t0 = NAN, last_t = NAN, elapsed = 0;
  tb_idmap begins = {0}, retried = {0};
  size_t n_prev = 0; /* ended as interrupted by an earlier resume, and not retried since */
  for (size_t i = 0; i < h->pub.n_events; i++) {
    const tb_store_event *ev = &h->pub.events[i];
    double t = NAN;
    switch (ev->type) {
    case TB_STORE_EV_STUDY: t = ev->u.study.start_time; break;
    case TB_STORE_EV_TRIAL_BEGIN: t = ev->u.trial.start_time; break;
    case TB_STORE_EV_TRIAL_END: t = ev->u.result.end_time; break;
    case TB_STORE_EV_LINEAGE: t = ev->u.lineage.time; break;
    case TB_STORE_EV_PARETO: t = ev->u.pareto.time; break;
    case TB_STORE_EV_MEMORY: t = ev->u.memory.time; break;
    case TB_STORE_EV_STUDY_END: t = ev->u.study_end.end_time; break;
    case TB_STORE_EV_CURVE: {
      const tb_store_trial *b = tb_idmap_get(&begins, ev->u.curve.trial);
      if (b) t = b->start_time + ev->u.curve.elapsed;
      break;
    }
    default: break;
    }
    if (isfinite(t)) {
      if (isnan(session_t0)) session_t0 = t;
      if (isnan(last_t) || t > last_t) last_t = t;
    }
    if (ev->type == TB_STORE_EV_STUDY_END && !isnan(session_t0)) {
      elapsed += last_t - session_t0;
      session_t0 = last_t = NAN;
    }
    if (ev->type == TB_STORE_EV_EXPERIMENT) {
      exp_dims *ne = realloc(st->exps, (size_t)(st->n_exps + 1) * sizeof *ne);
      if (!ne) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
      st->exps = ne;
      ne[st->n_exps] = (exp_dims){tb_space_dim(ev->u.experiment.exp.space), ev->u.experiment.exp.n_objectives, "", 0};
      snprintf(ne[st->n_exps++].name, sizeof ne->name, "%s", ev->u.experiment.exp.name);
    } else if (ev->type == TB_STORE_EV_TRIAL_BEGIN) {
      TB_TRY(tb_idmap_put(&st->known, ev->u.trial.id, (void *)(intptr_t)(ev->u.trial.experiment + 1)));
      TB_TRY(tb_idmap_put(&st->running, ev->u.trial.id, (void *)&ev->u.trial));
      TB_TRY(tb_idmap_put(&begins, ev->u.trial.id, (void *)&ev->u.trial));
      if (ev->u.trial.retry_of >= 0) TB_TRY(tb_idmap_put(&retried, ev->u.trial.retry_of, (void *)1));
      if (ev->u.trial.id >= next) next = ev->u.trial.id + 1;
    } else if (ev->type == TB_STORE_EV_TRIAL_END) {
      tb_idmap_del(&st->running, ev->u.result.id);
      n_prev += ev->u.result.status == TB_TRIAL_INTERRUPTED;
    } else if (ev->type == TB_STORE_EV_PARETO && ev->u.pareto.experiment >= 0 && ev->u.pareto.experiment < st->n_exps) {
      exp_dims *x = &st->exps[ev->u.pareto.experiment];
      if (ev->u.pareto.snapshot >= x->next_snapshot) x->next_snapshot = ev->u.pareto.snapshot + 1;
    }
  }
  h->pub.next_trial_id = next;
  int killed = h->pub.events[h->pub.n_events - 1].type != TB_STORE_EV_STUDY_END;
  if (killed && !isnan(session_t0)) elapsed += last_t - session_t0;
  h->pub.elapsed_s = elapsed;
  st->next_id = next;
  if ((st->running.n || n_prev) &&
      !(h->pub.interrupted = calloc(st->running.n + n_prev, sizeof *h->pub.interrupted)))
    TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  for (size_t i = 0; i < h->pub.n_events; i++) { /* in the order they began */
    const tb_store_event *ev = &h->pub.events[i];
    if (ev->type == TB_STORE_EV_TRIAL_END && ev->u.result.status == TB_TRIAL_INTERRUPTED &&
        !tb_idmap_get(&retried, ev->u.result.id))
      h->pub.interrupted[h->pub.n_interrupted++] = tb_idmap_get(&begins, ev->u.result.id);
  }
  size_t n_ended = h->pub.n_interrupted;
  for (size_t i = 0; i < h->pub.n_events; i++) {
    const tb_store_trial *t = &h->pub.events[i].u.trial;
    if (h->pub.events[i].type == TB_STORE_EV_TRIAL_BEGIN && tb_idmap_get(&st->running, t->id) == t)
      h->pub.interrupted[h->pub.n_interrupted++] = t;
  }
  tb_idmap_free(&begins), tb_idmap_free(&retried);
  /* rebuilt beside (FILE.h5.rebuild), flushed and renamed over FILE.h5: a kill during this resume leaves the old
   * file as it was (and the journal, which the next `run --resume` finds: tests/test_kill_resume.c) */
  snprintf(rtmp, sizeof rtmp, "%s.rebuild", path);
  TB_TRY(rebuild(rtmp, h, &st->w));
  TB_TRY(tb_store_h5_rename(st->w, path));
  TB_TRY(tb_store_writer_start(st));
  if (killed) TB_TRY(tb_store_study_end(st, isnan(last_t) ? tb_store_now() : last_t, 0)); /* the killed session's end */
  double t_now = tb_store_now(), nan4[TB_STORE_MAX_OBJECTIVES];
  for (int i = 0; i < TB_STORE_MAX_OBJECTIVES; i++) nan4[i] = NAN;
  for (size_t i = n_ended; i < h->pub.n_interrupted; i++) {
    tb_store_result r = {h->pub.interrupted[i]->id, TB_TRIAL_INTERRUPTED, nan4, NAN, t_now, NAN, -1, {NAN, NAN},
                         {NAN, NAN}, -1, "running when the study stopped"};
    TB_TRY(tb_store_trial_end(st, &r));
  }
  TB_TRY(tb_store_sync(st));
  *out = st, *hist = &h->pub, st = NULL, h = NULL;
done:
  if (st) tb_store_close(st);
  if (rc < 0 && rtmp[0]) unlink(rtmp); /* gone already once renamed */
  if (h) tb_store_history_free(&h->pub);
  return rc;
}

int tb_store_read_history(const char *path, tb_store_history **out) {
  int rc = TB_OK;
  history *h = NULL;
  tb_journal_stats js;
  char *jpath = NULL;
  *out = NULL;
  if (!path || !*path) return tb_error_set(TB_ERR_INVALID, "store: no path");
  size_t n = strlen(path) + 16;
  if (!(jpath = malloc(n))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  snprintf(jpath, n, "%s.journal", path);
  if (access(jpath, F_OK)) TB_TRY(missing_journal(path, jpath));
  TB_TRY(replay(jpath, &h, &js));
  *out = &h->pub, h = NULL;
done:
  free(jpath);
  return rc;
}
