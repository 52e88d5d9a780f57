/* study_worker.c: the worker threads of the study executor. Each worker opens its own compute context (on the CPU
 * a thread cap of threads_per_trial; on a GPU its own stream, several workers sharing the device), waits for a
 * study_job, runs the objective on it and hands back the tb_trial_run. Intermediate values go to the coordinator,
 * which owns the scheduler, and the worker waits for its answer (stop or go on). A fused bundle (several NEW jobs,
 * tb_objective_run_bundle) reports member by member through the same slot (rep_k names the member).
 * Not the coordinator (study.c).
 * Tested through tests/test_study.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "study_impl.h"
#include "tb_error.h"
#include "tb_model.h"

/* Report hook of a running job: post the value to the coordinator and wait for its answer. */
static int worker_report(void *rctx, double fidelity, double value, double train_loss, double elapsed, int *stop) {
  study_member *me = rctx;
  study_worker *w = me->w;
  tb_study *s = w->s;
  pthread_mutex_lock(&s->mu);
  w->rep_k = me->k;
  w->rep_fid = fidelity, w->rep_val = value, w->rep_loss = train_loss, w->rep_elapsed = elapsed;
  w->rep_done = 0;
  w->state = W_REPORT;
  pthread_cond_signal(&s->cv);
  while (!w->rep_done) pthread_cond_wait(&w->cv, &s->mu);
  *stop = w->rep_stop;
  w->state = W_RUNNING;
  pthread_mutex_unlock(&s->mu);
  return TB_OK;
}

/* Fills run from job (the inputs a worker hands an objective). */
static void setup_run(tb_study *s, study_worker *w, const study_job *job, tb_trial_run *run, study_member *me) {
  memset(run, 0, sizeof *run);
  run->trial = job->trial;
  run->seed = job->seed;
  run->study_seed = s->p.seed;
  run->data_fraction = s->p.data_fraction;
  run->x = job->x;
  run->fidelity_from = job->fidelity_from;
  run->fidelity_to = job->fidelity_to;
  run->fidelity_max = s->p.max_fidelity;
  run->report_metric = s->report_metric;
  run->memory_budget = s->p.memory_budget;
  run->interrupt = &s->stop;
  run->wk = &w->ctx;
  run->state_in = job->state;
  run->state_in_len = job->state_len;
  run->report = worker_report;
  run->rctx = me;
}

static void *worker_main(void *arg) {
  study_worker *w = arg;
  tb_study *s = w->s;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (w->state != W_JOB && w->state != W_QUIT) pthread_cond_wait(&w->cv, &s->mu);
    if (w->state == W_QUIT) break;
    w->state = W_RUNNING;
    study_job job = w->job;
    int nb = w->n_bundle, rc;
    pthread_mutex_unlock(&s->mu);

    tb_error_clear();
    if (nb >= 2) {
      for (int k = 0; k < nb; k++) setup_run(s, w, &w->bjob[k], &w->brun[k], &w->bctx[k]);
      rc = tb_objective_run_bundle(s->obj, w->brun, nb);
    } else {
      setup_run(s, w, &job, &w->run, &w->self);
      rc = tb_objective_run(s->obj, &w->run);
    }
    pthread_mutex_lock(&s->mu);
    if (rc < 0) { /* the study cannot go on (e.g. a sticky device error): the trial is failed, the study stops */
      w->rc = rc;
      for (int k = 0; k < (nb >= 2 ? nb : 1); k++) {
        tb_trial_run *run = nb >= 2 ? &w->brun[k] : &w->run;
        run->status = TB_TRIAL_FAILED;
        snprintf(run->reason, sizeof run->reason, "%s: %s", tb_strerror(rc), tb_error_detail());
      }
      s->stop = 1;
    }
    w->state = W_ENDED;
    pthread_cond_signal(&s->cv);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

int tb_study_workers_start(tb_study *s) {
  int rc = TB_OK;
  tb_device dev;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1) cores = 1;
  int threads = s->p.threads_per_trial > 0 ? s->p.threads_per_trial : (int)(cores / s->p.n_workers);
  if (threads < 1) threads = 1;
  TB_TRY(tb_device_parse(s->p.device ? s->p.device : "cpu", &dev));
  if (!(s->w = calloc((size_t)s->p.n_workers, sizeof *s->w))) TB_FAIL(TB_ERR_NOMEM, "study: out of host memory");
  s->n_w = s->p.n_workers;
  for (int i = 0; i < s->n_w; i++) {
    study_worker *w = &s->w[i];
    w->s = s;
    w->ctx.index = i;
    w->self.w = w, w->self.k = -1;
    if (s->p.fuse >= 2) {
      size_t K = (size_t)s->p.fuse;
      w->bjob = calloc(K, sizeof *w->bjob), w->brun = calloc(K, sizeof *w->brun), w->bctx = calloc(K, sizeof *w->bctx);
      if (!w->bjob || !w->brun || !w->bctx) TB_FAIL(TB_ERR_NOMEM, "study: out of host memory");
      for (size_t k = 0; k < K; k++) w->bctx[k].w = w, w->bctx[k].k = (int)k;
    }
    pthread_cond_init(&w->cv, NULL);
    TB_TRY(tb_backend_open(&dev, &w->ctx.be));
    tb_backend_set_threads(w->ctx.be, threads);
  }
  for (int i = 0; i < s->n_w; i++) {
    if (pthread_create(&s->w[i].thread, NULL, worker_main, &s->w[i]))
      TB_FAIL(TB_ERR_NOMEM, "study: cannot start worker thread %d", i);
    s->w[i].started = 1;
  }
done:
  if (rc < 0) tb_study_workers_stop(s);
  return rc;
}

void tb_study_workers_stop(tb_study *s) {
  if (!s->w) return;
  pthread_mutex_lock(&s->mu);
  for (int i = 0; i < s->n_w; i++) {
    s->w[i].state = W_QUIT;
    pthread_cond_signal(&s->w[i].cv);
  }
  pthread_mutex_unlock(&s->mu);
  for (int i = 0; i < s->n_w; i++) {
    study_worker *w = &s->w[i];
    if (w->started) pthread_join(w->thread, NULL);
    free(w->run.state_out);
    for (int k = 0; w->brun && k < s->p.fuse; k++) free(w->brun[k].state_out);
    free(w->bjob);
    free(w->brun);
    free(w->bctx);
    tb_devdata_free(w->ctx.devdata);
    tb_backend_free(w->ctx.be);
    pthread_cond_destroy(&w->cv);
  }
  free(s->w);
  s->w = NULL;
  s->n_w = 0;
}
