/* test_suite_run.c: running a suite through the library (tb_suite_run, host/suite/suite_run.c), as a C program would
 * without the command line: a tiny suite on a test function runs to a results file whose journal holds every trial;
 * the progress callback sees one BEGIN and one END per study with per-strategy counts that add up; a stop flag set
 * before the run leaves an incomplete, resumable file that --resume (o.resume) completes with the same trials as an
 * uninterrupted run; bad arguments are errors, not crashes; bad jobs, device or a suite edited in what defines a
 * trial are refused before any file is touched (issue 21), and tb_suite_compare lists the differences. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_store.h"
#include "tb_suite.h"
#include "tb_test.h"

static const char *k_suite = "name: tiny\nfunctions: [branin]\nstrategies:\n  - {name: random, sampler: random}\n"
                             "  - {name: tpe, sampler: {name: tpe, n_startup: 3}}\nbudget: {trials: 6}\n"
                             "repetitions: 2\nseed: 3\n";

typedef struct {
  int begins, ends, progress;
  long last_done[2];
  long total[2];
} counts;

static void on_progress(void *ctx, const tb_suite_progress *p) {
  counts *c = ctx;
  c->begins += p->event == TB_SUITE_EV_STUDY_BEGIN;
  c->progress += p->event == TB_SUITE_EV_STUDY_PROGRESS;
  if (p->event == TB_SUITE_EV_STUDY_END) {
    c->ends++;
    CU_ASSERT_EQUAL(p->study_trials, 6);
    CU_ASSERT(p->study_have_best);
  }
  for (int k = 0; k < 2; k++) c->last_done[k] = p->strategies[k].done, c->total[k] = p->strategies[k].total;
}

/* Trial ends in the results file's journal, and the sum of their first objective values (a fingerprint). */
static size_t count_ended(const char *out, double *sum) {
  tb_store *st = NULL;
  tb_store_history *h = NULL;
  tb_store_options so = tb_store_options_default();
  TB_CHECK_OK(tb_store_open_resume(out, &so, &st, &h));
  size_t n = 0;
  *sum = 0;
  for (size_t i = 0; i < h->n_events; i++)
    if (h->events[i].type == TB_STORE_EV_TRIAL_END && h->events[i].u.result.status == TB_TRIAL_COMPLETE)
      n++, *sum += h->events[i].u.result.objectives[0];
  tb_store_close(st);
  tb_store_history_free(h);
  return n;
}

static void test_run_and_progress(void) {
  char tmp[] = "/tmp/tb-suite-run-XXXXXX", out[4096];
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
  snprintf(out, sizeof out, "%s/tiny.h5", tmp);
  tb_suite *s = NULL;
  TB_CHECK_OK(tb_suite_parse("tiny.yaml", k_suite, strlen(k_suite), &s));
  CU_ASSERT_EQUAL(tb_suite_strategy_trials(s, 0), 6);
  CU_ASSERT_EQUAL(tb_suite_strategy_trials(s, 5), 0);
  counts c = {0};
  tb_suite_run_options o = {out, 0, 0, NULL, on_progress, &c};
  tb_suite_run_result res;
  TB_CHECK_OK(tb_suite_run(s, &o, &res));
  CU_ASSERT_EQUAL(res.complete, 1);
  CU_ASSERT(res.seconds > 0);
  CU_ASSERT_EQUAL(c.begins, 4); /* 2 strategies x 2 repetitions */
  CU_ASSERT_EQUAL(c.ends, 4);
  CU_ASSERT(c.progress >= 24);  /* one per finished job */
  CU_ASSERT_EQUAL(c.last_done[0], 12);
  CU_ASSERT_EQUAL(c.last_done[1], 12);
  CU_ASSERT_EQUAL(c.total[0], 12);
  double sum_full;
  CU_ASSERT_EQUAL(count_ended(out, &sum_full), 24);

  /* a stop flag raised before the run: nothing runs, the file says incomplete; resume completes it identically */
  char out2[4096];
  snprintf(out2, sizeof out2, "%s/stopped.h5", tmp);
  volatile sig_atomic_t stop = 1;
  tb_suite_run_options o2 = {out2, 0, 0, &stop, NULL, NULL};
  TB_CHECK_OK(tb_suite_run(s, &o2, &res));
  CU_ASSERT_EQUAL(res.complete, 0);
  stop = 0;
  o2.resume = 1;
  TB_CHECK_OK(tb_suite_run(s, &o2, &res));
  CU_ASSERT_EQUAL(res.complete, 1);
  double sum_resumed;
  CU_ASSERT_EQUAL(count_ended(out2, &sum_resumed), 24);
  CU_ASSERT_DOUBLE_EQUAL(sum_resumed, sum_full, 1e-9 * (1 + sum_full)); /* same seeds, same trials */

  /* an existing file is refused without force; bad arguments are errors */
  o.progress = NULL;
  CU_ASSERT(tb_suite_run(s, &o, &res) < 0);
  CU_ASSERT_EQUAL(res.complete, 0);
  CU_ASSERT(tb_suite_run(NULL, &o, &res) < 0);
  tb_suite_run_options none = {NULL, 0, 0, NULL, NULL, NULL};
  CU_ASSERT(tb_suite_run(s, &none, &res) < 0);
  tb_suite_free(s);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  CU_ASSERT_EQUAL(system(cmd), 0);
}


/* Issue 21: bad jobs or device and an edited suite are refused before a file is touched; tb_suite_compare tells
 * what defines a trial from what may change on resume. */
static void test_preflight_and_compare(void) {
  char tmp[] = "/tmp/tb-suite-run-XXXXXX", out[4096], jpath[4200];
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
  snprintf(out, sizeof out, "%s/tiny.h5", tmp), snprintf(jpath, sizeof jpath, "%s.journal", out);
  tb_suite *s = NULL, *edited = NULL, *safe = NULL;
  TB_CHECK_OK(tb_suite_parse("tiny.yaml", k_suite, strlen(k_suite), &s));
  tb_suite_run_options o = {out, 0, 0, NULL, NULL, NULL};
  tb_suite_run_result res;
  TB_CHECK_OK(tb_suite_run(s, &o, &res));
  size_t n0, n1;
  char *j0 = tb_test_file_bytes(jpath, &n0);
  o.force = 1;
  s->jobs = 2000;
  CU_ASSERT_EQUAL(tb_suite_run(s, &o, &res), TB_ERR_INVALID);
  s->jobs = 1;
  char *dev = s->device;
  s->device = "cuda:77";
  CU_ASSERT(tb_suite_run(s, &o, &res) < 0);
  s->device = dev;
  /* seeds and a strategy option changed: 3 differences; trials and jobs changed: none */
  const char *k_edited = "name: tiny\nfunctions: [branin]\nstrategies:\n  - {name: random, sampler: random}\n"
                         "  - {name: tpe, sampler: {name: tpe, n_startup: 4}}\nbudget: {trials: 9}\n"
                         "repetitions: 2\nseed: 4\njobs: 2\n";
  const char *k_safe = "name: tiny\nfunctions: [branin]\nstrategies:\n  - {name: random, sampler: random}\n"
                       "  - {name: tpe, sampler: {name: tpe, n_startup: 3}}\nbudget: {trials: 9, wall_clock: 1h}\n"
                       "repetitions: 2\nseed: 3\njobs: 2\n";
  TB_CHECK_OK(tb_suite_parse("edited.yaml", k_edited, strlen(k_edited), &edited));
  TB_CHECK_OK(tb_suite_parse("safe.yaml", k_safe, strlen(k_safe), &safe));
  char diff[1024];
  CU_ASSERT_EQUAL(tb_suite_compare(s, edited, diff, sizeof diff), 3);
  CU_ASSERT_PTR_NOT_NULL(strstr(diff, "strategies[1].sampler_options: {n_startup=3} -> {n_startup=4}"));
  CU_ASSERT_PTR_NOT_NULL(strstr(diff, "seed of repetition 1: 4 -> 5"));
  CU_ASSERT_EQUAL(tb_suite_compare(s, safe, diff, sizeof diff), 0);
  CU_ASSERT_EQUAL(diff[0], 0);
  tb_suite_run_options r = {out, 1, 0, NULL, NULL, NULL};
  CU_ASSERT_EQUAL(tb_suite_run(edited, &r, &res), TB_ERR_INVALID);
  char *j1 = tb_test_file_bytes(jpath, &n1);
  CU_ASSERT(n0 == n1 && !memcmp(j0, j1, n0)); /* none of the refused runs touched the study */
  free(j1);
  TB_CHECK_OK(tb_suite_run(safe, &r, &res)); /* 3 more trials per study */
  CU_ASSERT_EQUAL(res.complete, 1);
  double sum;
  CU_ASSERT_EQUAL(count_ended(out, &sum), 36);
  free(j0);
  tb_suite_free(s), tb_suite_free(edited), tb_suite_free(safe);
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

static const tb_test_case cases[] = {{"run_and_progress", test_run_and_progress},
                                     {"preflight_and_compare", test_preflight_and_compare},
                                     {NULL, NULL}};
TB_TEST_MAIN("suite_run", cases)
