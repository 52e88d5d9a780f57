/* cli_run_impl.h: shared between cli_run.c (arguments, plan) and cli_run_progress.c (the run's display, signals
 * and report around tb_suite_run).
 * Tested by tests/test_suite.c through the built binary. */
#ifndef TB_CLI_RUN_IMPL_H
#define TB_CLI_RUN_IMPL_H
#include "tb_suite.h"

typedef struct tb_run_options {
  const char *suite, *out, *device;
  const char *report_dir;  /* --report-dir (NULL: the suite's, else FILE-report beside the results) */
  int no_report;           /* --no-report */
  int jobs;            /* 0: the suite's */
  long seed;           /* first seed when have_seed */
  int have_seed, resume, force, dry_run;
} tb_run_options;

/* Runs every experiment x strategy x repetition into the results file `out` (tb_suite_run) with the progress
 * display, then the report; returns an exit code. */
int tb_run_suite(const tb_suite *s, const char *out, const tb_run_options *o);
#endif
