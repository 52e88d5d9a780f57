/* study.c: the coordinator of the study executor (tb_study_run). It owns the scheduler (or, for multi-objective
 * studies, the sampler directly: full budget, ask/tell), turns its decisions into study_job structs for idle
 * workers (study_worker.c), answers their intermediate reports (scheduler report -> stop), records every trial
 * (memory and store) when its job ends, drains scheduler events into lineage records, and replays a resume
 * history. Promoted and exploited trials continue from the saved state of the trial (a tb_model_save blob kept in
 * memory per trial, the latest one only); each job is one store run: a promotion (RESUME) continues its trial's row
 * (continues = 1), an exploit is a new configuration whose parent_id is its lineage.
 * Fused trials (fuse >= 2): consecutive NEW jobs of one shape and fidelity go to one worker as a bundle (at most
 * fuse members, never waiting for more); each member is recorded as its own trial (docs/executor.md).
 * Data-fraction studies (p.data_fraction) pass the flag and the study seed to every job; never fused.
 * Not here: parameters, results and Pareto (study_results.c), store records (study_store.c).
 * Tested by tests/test_study.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "study_impl.h"
#include "tb_error.h"
#include "tb_rng.h"
#include "tb_scheduler.h"

typedef struct coord {
  tb_study *s;
  tb_sampler *sampler;
  tb_scheduler *sched;  /* NULL: multi-objective, the sampler directly */
  long n_new;           /* multi-objective: trials asked */
  int done;
  double *xbuf;
  int have_pending, hold; /* fused: a job taken from the scheduler that did not fit the bundle; WAIT seen */
  tb_job pending;
  double *pending_x;
  int n_warm;           /* observations added before the first ask: sampler ids = trial ids + n_warm */
} coord;

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static study_rec *rec_get(tb_study *s, int64_t id) {
  if ((size_t)id >= s->cap_rec) {
    size_t cap = s->cap_rec ? s->cap_rec : 64;
    while (cap <= (size_t)id) cap *= 2;
    study_rec *r = realloc(s->rec, cap * sizeof *r);
    if (!r) return NULL;
    memset(r + s->cap_rec, 0, (cap - s->cap_rec) * sizeof *r);
    s->rec = r, s->cap_rec = cap;
  }
  if ((size_t)id >= s->n_rec) s->n_rec = (size_t)id + 1;
  study_rec *r = &s->rec[id];
  if (!r->x) {
    if (!(r->x = malloc((size_t)(s->dim ? s->dim : 1) * sizeof *r->x))) return NULL;
    r->pub.id = id;
    r->pub.store_id = r->pub.parent_id = r->pub.retry_of = -1;
    r->pub.status = -1;
    r->pub.x = r->x;
    r->pub.reason = "";
    r->pub.fidelity = 0;
  }
  return r;
}

static void rec_result(study_rec *r, int status, const double *values, int n_obj, double fidelity) {
  r->pub.status = status;
  for (int i = 0; i < TB_STUDY_MAX_OBJECTIVES; i++) r->pub.values[i] = i < n_obj ? values[i] : NAN;
  r->pub.fidelity = fidelity;
}

static tb_trial_state sampler_state(int status) {
  return status == TB_TRIAL_COMPLETE ? TB_TRIAL_COMPLETE : status == TB_TRIAL_PRUNED ? TB_TRIAL_PRUNED : TB_TRIAL_FAILED;
}

/* Tells the scheduler (or the sampler) how a job ended. */
static int tell_end(coord *c, study_rec *r, int status, double fidelity, const double *values, double last) {
  tb_study *s = c->s;
  if (status == TB_TRIAL_INTERRUPTED) return TB_OK;
  if (!c->sched) return tb_sampler_tell(c->sampler, r->pub.id + c->n_warm, values, sampler_state(status));
  double v = status == TB_TRIAL_COMPLETE ? values[0] : status == TB_TRIAL_PRUNED && s->report_to_scheduler ? last : NAN;
  if (status == TB_TRIAL_PRUNED && isnan(v)) v = values[0];
  return tb_scheduler_finish(c->sched, r->pub.id, fidelity, v, sampler_state(status));
}

/* The next unconsumed history row continuing `parent` (-1: a first job) with configuration x (NULL: any). */
static study_row *match_row(tb_study *s, int64_t parent, const double *x) {
  for (size_t i = 0; i < s->n_rows; i++) {
    study_row *w = &s->rows[i];
    if (w->consumed || w->parent_id != parent) continue;
    if (x) {
      int same = 1;
      for (int k = 0; k < s->dim && same; k++) same = (isnan(x[k]) && isnan(w->x[k])) || x[k] == w->x[k];
      if (!same) continue;
    }
    return w;
  }
  return NULL;
}

static void note_end(tb_study *s, const study_rec *r);

/* A finished history row replayed into the scheduler as if its job had just run. */
static int replay(coord *c, study_rec *r, study_row *w) {
  tb_study *s = c->s;
  int rc = TB_OK;
  w->consumed = 1;
  double last = NAN;
  for (size_t i = 0; i < w->n_curve; i++) {
    int stop = 0;
    last = w->curve[2 * i + 1];
    if (c->sched && s->report_to_scheduler && w->curve[2 * i] > r->pub.fidelity)
      TB_TRY(tb_scheduler_report(c->sched, r->pub.id, w->curve[2 * i], last, &stop));
  }
  memcpy(r->x, w->x, (size_t)s->dim * sizeof *r->x);
  r->pub.store_id = w->store_id, r->pub.parent_id = w->parent_id, r->pub.retry_of = w->retry_of;
  r->pub.seed = w->seed;
  r->pub.replayed = 1;
  rec_result(r, w->status, w->values, s->n_rec_obj, w->fidelity);
  r->pub.train_time_s = w->train_time, r->pub.peak_memory = w->peak_memory, r->pub.n_params = w->n_params;
  memcpy(r->pub.latency_p50, w->lat50, sizeof w->lat50);
  memcpy(r->pub.latency_p99, w->lat99, sizeof w->lat99);
  free(r->reason);
  r->reason = strdup(w->reason);
  r->pub.reason = r->reason ? r->reason : "";
  free(r->state); /* the state is not in the journal: a later RESUME retrains from scratch */
  r->state = NULL, r->state_len = 0;
  TB_TRY(tell_end(c, r, w->status, w->fidelity, w->values, last));
  if (w->status != TB_TRIAL_INTERRUPTED) s->n_replayed++, note_end(s, r);
done:
  return rc;
}

/* After a finished (or replayed) job: the best value so far and the progress callback. */
static void note_end(tb_study *s, const study_rec *r) {
  if (r->pub.status == TB_TRIAL_COMPLETE && !isnan(r->pub.values[0])) {
    double v = r->pub.values[0];
    if (!s->have_best || (s->p.maximize[0] ? v > s->best : v < s->best)) s->best = v, s->have_best = 1;
  }
  if (r->pub.status != TB_TRIAL_INTERRUPTED && r->pub.fidelity > r->fidelity_from)
    s->units_used += r->pub.fidelity - r->fidelity_from;
  if (!s->p.progress) return;
  tb_study_progress pr = {(long)(s->n_ended + s->n_replayed), (long)s->n_rec, s->p.n_trials, s->have_best, s->have_best ? s->best : NAN,
                          mono_now() - s->t_start, s->units_used};
  s->p.progress(s->p.progress_ctx, &pr);
}

/* Stores lineage records of scheduler events (PBT exploit + explore); promotions and stops need no record. */
static int drain_events(coord *c) {
  int rc = TB_OK;
  tb_sched_event ev;
  while (c->sched && tb_scheduler_pop_event(c->sched, &ev) == 1) {
    if (ev.kind != TB_SCHED_EV_EXPLOIT) continue;
    tb_study *s = c->s;
    if ((size_t)ev.trial >= s->n_rec || (size_t)ev.source >= s->n_rec) continue;
    study_rec *to = &s->rec[ev.trial], *from = &s->rec[ev.source];
    const double *ox = ev.old_x ? ev.old_x : from->x, *nx = ev.new_x ? ev.new_x : to->x;
    TB_TRY(tb_study_store_lineage(s, ev.trial, from->pub.store_id, to->pub.store_id, 0, from->x, from->x));
    TB_TRY(tb_study_store_lineage(s, ev.trial, to->pub.parent_id, to->pub.store_id, 1, ox, nx));
  }
done:
  return rc;
}

/* Next decision: fills *job; returns TB_OK (job->kind WAIT/DONE included). */
static int next_job(coord *c, tb_job *job) {
  tb_study *s = c->s;
  if (c->sched) return tb_scheduler_next(c->sched, job);
  memset(job, 0, sizeof *job);
  job->kind = TB_JOB_DONE;
  if (s->p.n_trials && c->n_new >= s->p.n_trials) return TB_OK;
  int64_t id;
  int n = 0;
  int rc = tb_sampler_ask(c->sampler, 1, c->xbuf, &id, &n);
  if (rc == TB_ERR_EXHAUSTED || (rc == TB_OK && n == 0)) return TB_OK;
  if (rc < 0) return rc;
  c->n_new++;
  job->kind = TB_JOB_NEW, job->trial = id - c->n_warm, job->source = -1, job->x = c->xbuf;
  job->fidelity_to = s->p.max_fidelity, job->bracket = job->rung = -1;
  return TB_OK;
}

/* Prepares job into *j (records it, begins its store row) or replays it (*replayed = 1). */
static int prepare_job(coord *c, const tb_job *job, study_job *j, int *replayed) {
  tb_study *s = c->s;
  int rc = TB_OK;
  *replayed = 0;
  study_rec *r = rec_get(s, job->trial);
  if (!r) return tb_error_set(TB_ERR_NOMEM, "study: out of host memory");
  study_rec *src = NULL;
  int64_t parent = -1, retry_of = -1;
  study_row *row = NULL;
  double from = 0;
  if (job->kind == TB_JOB_NEW) {
    memcpy(r->x, job->x, (size_t)s->dim * sizeof *r->x);
    r->pub.seed = tb_rng_derive(s->p.seed, (uint64_t)job->trial);
    row = match_row(s, -1, NULL);
  } else if (job->kind == TB_JOB_RESUME) {
    parent = r->pub.store_id;
    from = r->pub.fidelity;
    row = match_row(s, parent, r->x);
  } else { /* EXPLOIT */
    if (job->source < 0 || (size_t)job->source >= s->n_rec)
      return tb_error_set(TB_ERR_INVALID, "study: exploit of trial %lld from unknown trial %lld",
                          (long long)job->trial, (long long)job->source);
    src = &s->rec[job->source];
    memcpy(r->x, job->x, (size_t)s->dim * sizeof *r->x);
    if (tb_objective_get_kind(s->obj) == TB_OBJECTIVE_LEARNER) /* keep the source's shape: see docs/executor.md */
      for (int k = 0; k < s->dim; k++)
        if (tb_space_param(tb_objective_space(s->obj), k)->type != TB_PARAM_FLOAT) r->x[k] = src->x[k];
    parent = src->pub.store_id;
    from = src->pub.fidelity;
    row = match_row(s, parent, r->x);
  }
  r->fidelity_from = from;
  if (row && !row->interrupted) {
    *replayed = 1;
    return replay(c, r, row);
  }
  if (row) { /* an interrupted run of this job: same configuration and seed, a new row */
    row->consumed = 1;
    retry_of = row->store_id;
    memcpy(r->x, row->x, (size_t)s->dim * sizeof *r->x);
    r->pub.seed = row->seed;
  }
  r->pub.parent_id = parent;
  r->pub.retry_of = retry_of;
  r->pub.store_id = tb_study_next_store_id(s);
  r->pub.replayed = 0;
  r->pub.status = -1;
  r->running = 1;
  r->bracket = job->bracket, r->rung = job->rung;
  /* a promotion continues its trial's row; a run that stops below the top fidelity leaves it pruned until then */
  TB_TRY(tb_study_store_begin(s, r, r->pub.store_id, parent, retry_of, job->kind == TB_JOB_RESUME,
                              job->fidelity_to < s->p.max_fidelity ? s->p.max_fidelity : 0));
  j->trial = job->trial, j->store_id = r->pub.store_id, j->seed = r->pub.seed, j->x = r->x;
  j->fidelity_from = from, j->fidelity_to = job->fidelity_to;
  j->state = src ? src->state : job->kind == TB_JOB_RESUME ? r->state : NULL;
  j->state_len = src ? src->state_len : job->kind == TB_JOB_RESUME ? r->state_len : 0;
  if (!j->state) j->state_len = 0;
done:
  return rc;
}

/* Prepares job for worker w (or replays it). Sets *assigned when w got it. */
static int start_job(coord *c, const tb_job *job, study_worker *w, int *assigned) {
  int replayed = 0, rc = prepare_job(c, job, &w->job, &replayed);
  *assigned = rc >= 0 && !replayed;
  if (*assigned) {
    w->n_bundle = 0;
    w->state = W_JOB;
    pthread_cond_signal(&w->cv);
  }
  return rc;
}

/* Fused: first (a NEW job) and the NEW jobs the scheduler gives right after it, while they fit (same fidelity,
 * tb_objective_fusable with the bundle's first member, at most fuse), go to w as one bundle. A job that does not
 * fit is kept as c->pending for the next free worker; WAIT and DONE end the bundle. */
static int start_bundle(coord *c, const tb_job *first, study_worker *w, int *assigned) {
  tb_study *s = c->s;
  int rc = TB_OK, n = 0, replayed = 0;
  int64_t lead = -1;
  double fto = first->fidelity_to;
  tb_job job = *first;
  *assigned = 0;
  for (;;) {
    TB_TRY(prepare_job(c, &job, &w->bjob[n], &replayed));
    if (!replayed) lead = lead < 0 ? job.trial : lead, n++;
    if (n >= s->p.fuse) break;
    TB_TRY(next_job(c, &job));
    TB_TRY(drain_events(c));
    if (job.kind == TB_JOB_NEW && job.fidelity_to == fto &&
        tb_objective_fusable(s->obj, lead < 0 ? job.x : s->rec[lead].x, job.x))
      continue;
    if (job.kind == TB_JOB_DONE) c->done = 1;
    else if (job.kind == TB_JOB_WAIT) c->hold = 1;
    else {
      c->pending = job;
      if (job.x) memcpy(c->pending_x, job.x, (size_t)s->dim * sizeof *c->pending_x), c->pending.x = c->pending_x;
      c->have_pending = 1;
    }
    break;
  }
done:
  if (n == 1) w->job = w->bjob[0];
  w->n_bundle = n >= 2 ? n : 0;
  if (n >= 1) {
    w->state = W_JOB;
    pthread_cond_signal(&w->cv);
    *assigned = 1;
  }
  return rc;
}

static int handle_report(coord *c, study_worker *w) {
  tb_study *s = c->s;
  int rc = TB_OK, stop = 0;
  const study_job *j = w->rep_k >= 0 ? &w->bjob[w->rep_k] : &w->job;
  study_rec *r = &s->rec[j->trial];
  TB_TRY(tb_study_store_curve(s, j->store_id, (int64_t)llround(w->rep_fid), w->rep_fid, w->rep_val, w->rep_loss,
                              w->rep_elapsed));
  if (c->sched && s->report_to_scheduler && !s->stop)
    TB_TRY(tb_scheduler_report(c->sched, r->pub.id, w->rep_fid, w->rep_val, &stop));
  TB_TRY(drain_events(c));
done:
  w->rep_stop = stop || s->stop || rc < 0;
  w->rep_done = 1;
  pthread_cond_signal(&w->cv);
  return rc;
}

static int end_one(coord *c, const study_job *job, tb_trial_run *run, int fused) {
  tb_study *s = c->s;
  int rc = TB_OK;
  study_rec *r = &s->rec[job->trial];
  double values[TB_STUDY_MAX_OBJECTIVES];
  for (int i = 0; i < s->n_rec_obj; i++) values[i] = run->metrics[s->metric[i]];
  r->running = 0;
  r->pub.fused = fused;
  rec_result(r, run->status, values, s->n_rec_obj, run->fidelity);
  r->pub.train_time_s = run->train_time, r->pub.peak_memory = run->peak_memory, r->pub.n_params = run->n_params;
  memcpy(r->pub.latency_p50, run->latency_p50, sizeof run->latency_p50);
  memcpy(r->pub.latency_p99, run->latency_p99, sizeof run->latency_p99);
  free(r->reason);
  r->reason = strdup(run->reason);
  r->pub.reason = r->reason ? r->reason : "";
  if (run->status == TB_TRIAL_COMPLETE || run->status == TB_TRIAL_PRUNED) {
    free(r->state);
    r->state = run->state_out, r->state_len = run->state_out_len;
  } else {
    free(run->state_out);
  }
  run->state_out = NULL;
  TB_TRY(tb_study_store_end(s, r, run, job->store_id));
  if (!s->stop || run->status != TB_TRIAL_INTERRUPTED) TB_TRY(tell_end(c, r, run->status, run->fidelity, values, run->last_value));
  TB_TRY(drain_events(c));
  s->n_ended++;
  note_end(s, r);
  if (s->p.stop_after > 0 && (long)s->n_ended >= s->p.stop_after) s->stop = 1;
done:
  return rc;
}

/* A worker's job or bundle ended: each member is recorded and told as a trial of its own. */
static int handle_end(coord *c, study_worker *w) {
  int rc = TB_OK;
  if (w->n_bundle >= 2)
    for (int k = 0; k < w->n_bundle; k++) {
      int rc2 = end_one(c, &w->bjob[k], &w->brun[k], w->n_bundle);
      if (rc2 < 0 && rc == TB_OK) rc = rc2;
    }
  else
    rc = end_one(c, &w->job, &w->run, 0);
  w->n_bundle = 0;
  w->state = W_IDLE;
  return rc;
}

/* The coordinator's loop (called with s->mu held). */
static int coordinate(coord *c) {
  tb_study *s = c->s;
  int rc = TB_OK, waiting = 0;
  double t0 = mono_now();
  for (;;) {
    if (s->p.max_wall_s > 0 && mono_now() - t0 > s->p.max_wall_s) s->stop = 1;
    if (s->p.stop_flag && *s->p.stop_flag) s->stop = 1;
    int progress = 0, running = 0;
    for (int i = 0; i < s->n_w; i++) {
      study_worker *w = &s->w[i];
      if (w->state == W_REPORT && !w->rep_done) {
        int rc2 = handle_report(c, w);
        if (rc2 < 0 && rc == TB_OK) rc = rc2, s->stop = 1;
        progress = 1;
      }
      if (w->state == W_ENDED) {
        if (w->rc < 0 && rc == TB_OK) rc = w->rc;
        int rc2 = handle_end(c, w);
        if (rc2 < 0 && rc == TB_OK) rc = rc2, s->stop = 1;
        progress = 1, waiting = 0;
      }
    }
    for (int i = 0; i < s->n_w; i++) running += s->w[i].state != W_IDLE;
    while (!s->stop && !c->done && !waiting && running < s->n_w) {
      study_worker *w = NULL;
      for (int i = 0; i < s->n_w && !w; i++)
        if (s->w[i].state == W_IDLE) w = &s->w[i];
      tb_job job;
      int rc2 = TB_OK;
      if (c->have_pending) job = c->pending, c->have_pending = 0;
      else rc2 = next_job(c, &job);
      if (rc2 < 0) {
        rc = rc2, s->stop = 1;
        break;
      }
      if (job.kind == TB_JOB_DONE) c->done = 1;
      else if (job.kind == TB_JOB_WAIT) waiting = 1;
      else {
        int assigned = 0;
        if (job.kind == TB_JOB_NEW && s->p.fuse >= 2 && !s->p.data_fraction &&
            tb_objective_fusable(s->obj, job.x, job.x))
          rc2 = start_bundle(c, &job, w, &assigned);
        else
          rc2 = start_job(c, &job, w, &assigned);
        if (c->hold) waiting = 1, c->hold = 0;
        if (rc2 >= 0) rc2 = drain_events(c);
        if (rc2 < 0) {
          rc = rc2, s->stop = 1;
          break;
        }
        running += assigned;
      }
      progress = 1;
    }
    if (waiting && running == 0) c->done = 1; /* nothing runs and nothing may start: the scheduler is finished */
    if ((c->done || s->stop) && running == 0) break;
    if (!progress) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 50 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
      pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
  }
  return rc;
}

int tb_study_run(tb_study *s, const tb_store_history *history) {
  int rc = TB_OK;
  coord c = {s, NULL, NULL, 0, 0, NULL, 0, 0, {0}, NULL, 0};
  if (!s) return tb_error_set(TB_ERR_INVALID, "study run: NULL study");
  if (s->p.data_fraction && tb_objective_get_kind(s->obj) != TB_OBJECTIVE_LEARNER)
    return tb_error_set(TB_ERR_INVALID, "study run: a data-fraction fidelity needs a learner objective (training rows "
                        "to subsample); this objective has its own fidelity: set data_fraction 0");
  if (s->p.data_fraction && !(s->p.max_fidelity <= 1))
    return tb_error_set(TB_ERR_INVALID, "study run: data-fraction fidelities are fractions in (0, 1]; max_fidelity is %g",
                        s->p.max_fidelity);
  s->stop = 0;
  s->stopped = 0;
  s->n_ended = 0, s->n_replayed = 0;
  s->have_best = 0, s->best = NAN, s->t_start = mono_now();
  const tb_space *sp = tb_objective_space(s->obj);
  tb_sampler_config sc = {tb_rng_derive(s->p.seed, UINT64_MAX), s->n_obj, {0}, s->p.n_sampler_options,
                          s->p.sampler_option_names, s->p.sampler_option_values};
  for (int i = 0; i < s->n_obj; i++) sc.maximize[i] = s->p.maximize[i];
  c.pending_x = malloc((size_t)(s->dim ? s->dim : 1) * sizeof *c.pending_x);
  if (!c.pending_x || !(c.xbuf = malloc((size_t)(s->dim ? s->dim : 1) * sizeof *c.xbuf))) TB_FAIL(TB_ERR_NOMEM, "study: out of memory");
  TB_TRY(tb_sampler_create(s->p.sampler, sp, &sc, &c.sampler));
  for (int i = 0; i < s->p.n_warm; i++) { /* warm start: earlier trials, then the configurations to run first */
    int st = s->p.warm_status ? s->p.warm_status[i] : TB_TRIAL_COMPLETE;
    if (st != TB_TRIAL_COMPLETE && st != TB_TRIAL_PRUNED) st = TB_TRIAL_FAILED;
    rc = tb_sampler_add_observation(c.sampler, s->p.warm_x + (size_t)i * (size_t)s->dim,
                                    s->p.warm_values + (size_t)i * (size_t)s->n_obj, (tb_trial_state)st);
    if (rc < 0) {
      rc = tb_error_prefix(rc, "study: warm-start trial %d: ", i);
      goto done;
    }
  }
  c.n_warm = s->p.n_warm > 0 ? s->p.n_warm : 0;
  for (int i = 0; i < s->p.n_initial; i++)
    if ((rc = tb_sampler_enqueue(c.sampler, s->p.initial + (size_t)i * (size_t)s->dim)) < 0) {
      rc = tb_error_prefix(rc, "study: initial configuration %d: ", i);
      goto done;
    }
  if (s->n_obj == 1) {
    tb_scheduler_config kc = {s->p.min_fidelity, s->p.max_fidelity, s->p.n_trials, s->p.max_budget,
                              s->p.maximize[0], tb_rng_derive(s->p.seed, UINT64_MAX - 1), s->p.n_scheduler_options,
                              s->p.scheduler_option_names, s->p.scheduler_option_values};
    TB_TRY(tb_scheduler_create(s->p.scheduler ? s->p.scheduler : "none", c.sampler, &kc, &c.sched));
  }
  TB_TRY(tb_study_history_load(s, history));
  TB_TRY(tb_study_workers_start(s));
  pthread_mutex_lock(&s->mu);
  rc = coordinate(&c);
  pthread_mutex_unlock(&s->mu);
  tb_study_workers_stop(s);
  s->stopped = s->stop != 0;
  int rc2 = tb_study_store_sync(s);
  if (rc == TB_OK && rc2 < 0) rc = rc2;
  /* one Pareto snapshot per study, as an uninterrupted run records it: none when stopped from outside (the resumed
   * study records it), none again when resuming a study whose front is recorded and nothing new ran */
  int outside = s->p.stop_flag && *s->p.stop_flag;
  if (rc == TB_OK && !outside && !(s->front_stored && s->n_ended == 0)) rc = tb_study_store_front(s);
done:
  tb_scheduler_free(c.sched);
  tb_sampler_free(c.sampler);
  free(c.xbuf);
  free(c.pending_x);
  return rc;
}

void tb_study_request_stop(tb_study *s) {
  if (s) s->stop = 1;
}
int tb_study_stopped(const tb_study *s) { return s ? s->stopped : 0; }
