/* cli_run.c: `tunebench run SUITE [--out FILE.h5] [--device D] [--jobs N] [--seed N] [--resume] [--force]
 * [--dry-run] [--no-report] [--report-dir DIR]`: loads a suite (a file, or a built-in name resolved in suites/),
 * prints the plan with --dry-run (strategies, trial counts, fidelity budget, memory estimate; writes nothing), else
 * runs every experiment x strategy x repetition as a tb_study into one results file (tb_suite_run; display in
 * cli_run_progress.c), then the report (`tunebench report`) unless the suite or --no-report turns it off.
 * Not here: parsing (host/suite/) or running (host/suite/suite_run.c).
 * Tested by tests/test_suite.c, which runs the built binary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_run_impl.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_model.h"

#ifndef TB_SUITES_DIR
#define TB_SUITES_DIR "suites"
#endif


static int parse_long(const char *opt, const char *v, long lo, long hi, long *out) {
  char *end;
  long x = v ? strtol(v, &end, 10) : 0;
  if (!v || end == v || *end || x < lo || x > hi) {
    fprintf(stderr, "tunebench run: %s needs an integer in [%ld, %ld]\n", opt, lo, hi);
    return -1;
  }
  *out = x;
  return 0;
}

static void human_bytes(double b, char *buf, size_t len) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int k = 0;
  while (b >= 1024 && k < 4) b /= 1024, k++;
  snprintf(buf, len, "%.1f %s", b, u[k]);
}

/* Memory of one trial of learner l on the dataset at the space's defaults (the learner's estimate). */
static int estimate(const tb_suite_experiment *e, char *buf, size_t len) {
  int rc = TB_OK;
  tb_dataset *ds = NULL;
  tb_space *sp = NULL;
  double *x = NULL;
  size_t bytes = 0;
  const tb_learner *L = e->learner->learner;
  TB_TRY(tb_data_load(e->dataset->spec, &ds));
  TB_TRY(tb_learner_space(L, &sp));
  x = calloc((size_t)tb_space_dim(sp), sizeof *x);
  if (!x) TB_FAIL(TB_ERR_NOMEM, "out of memory");
  tb_learner_defaults(L, sp, x);
  size_t n_train = (size_t)((double)ds->n_rows * (1 - e->dataset->valid_frac - e->dataset->test_frac));
  int n_out = ds->task == TB_TASK_CLASSIFICATION ? ds->n_classes : 1;
  TB_TRY(tb_model_estimate_bytes(L, sp, x, n_train ? n_train : 1, ds->n_cols, n_out, &bytes));
  char hb[32];
  human_bytes((double)bytes, hb, sizeof hb);
  snprintf(buf, len, "%zu rows x %d features; one trial at the defaults: %s", ds->n_rows, ds->n_cols, hb);
done:
  free(x);
  tb_space_free(sp);
  tb_dataset_free(ds);
  return rc;
}

static int dry_run(const tb_suite *s, const char *out, int no_report) {
  int n_exp = tb_suite_n_experiments(s);
  printf("suite      %s%s%s\n", s->name, s->description ? ": " : "", s->description ? s->description : "");
  printf("file       %s\n", s->path);
  printf("results    %s (not written: dry run)\n", out);
  printf("device     %s, %d parallel trial%s", s->device, s->jobs, s->jobs == 1 ? "" : "s");
  if (s->memory_budget) {
    char hb[32];
    human_bytes((double)s->memory_budget, hb, sizeof hb);
    printf(", memory budget %s", hb);
  }
  printf("\nseeds      %d repetition%s:", s->n_seeds, s->n_seeds == 1 ? "" : "s");
  for (int i = 0; i < s->n_seeds && i < 20; i++) printf(" %llu", (unsigned long long)s->seeds[i]);
  printf("%s\nobjectives", s->n_seeds > 20 ? " ..." : "");
  for (int i = 0; i < s->n_objectives; i++)
    printf(" %s (%s%s)", s->objectives[i].name, s->objectives[i].maximize ? "maximize" : "minimize",
           i >= tb_suite_n_tuned(s) ? ", recorded only" : "");
  printf("\nexperiments %d\n", n_exp);
  for (int e = 0; e < n_exp; e++) {
    tb_suite_experiment ex;
    char info[256] = "";
    tb_suite_experiment_get(s, e, &ex);
    if (ex.learner) {
      int rc = estimate(&ex, info, sizeof info);
      if (rc < 0) return tb_error_prefix(rc, "%s: ", ex.name), tb_cli_fail(rc, "run");
    } else if (ex.function) {
      snprintf(info, sizeof info, "test function, %d dimensions", ex.function->dim);
    } else {
      snprintf(info, sizeof info, "command: %s", ex.command->run);
    }
    printf("  %-28s %s\n", ex.name, info);
  }
  const char *unit = s->n_learners ? tb_learner_fidelity_unit(s->learners[0].learner) : "units";
  printf("strategies %d\n", s->n_strategies);
  printf("  %-18s %-14s %-16s %12s %14s  %s\n", "name", "sampler", "scheduler", "trials", "fidelity", "binding budget");
  long total_trials = 0;
  double total_fid = 0;
  for (int i = 0; i < s->n_strategies; i++) {
    const tb_suite_strategy *t = &s->strategies[i];
    long per = tb_suite_strategy_trials(s, i);
    long n = per * s->n_seeds * n_exp;
    double fmax = s->fidelity_max > 0 ? s->fidelity_max : 1;
    int rungs = strcmp(t->scheduler, "none") != 0;
    /* budget.total binds a scheduler (its trials are a cap) and a plain strategy whose trials at full fidelity
     * would spend more than it; otherwise the trial count binds */
    int by_total = s->total_budget > 0 && (rungs || (double)per * fmax >= s->total_budget);
    double fid = by_total ? s->total_budget * s->n_seeds * n_exp : (double)n * fmax;
    if (by_total && !rungs) n = (long)ceil(s->total_budget / fmax) * s->n_seeds * n_exp; /* full-fidelity trials */
    char tr[48], fd[48];
    snprintf(tr, sizeof tr, "%s%ld", strcmp(t->scheduler, "none") ? "<= " : "", n);
    snprintf(fd, sizeof fd, "<= %.0f", fid);
    printf("  %-18s %-14s %-16s %12s %14s  %s%s\n", t->name, t->sampler, t->scheduler, tr, fd,
           by_total ? "total" : "trials", s->wall_clock > 0 ? " (or wall_clock)" : "");
    total_trials += n;
    total_fid += fid;
  }
  if (s->fidelity_data_fraction)
    printf("total      <= %ld trials, <= %.4g full-data trainings (fidelity: data fraction %g..%g per trial, each "
           "with its own %s)\n", total_trials, total_fid, s->fidelity_min, s->fidelity_max, unit);
  else
    printf("total      <= %ld trials, <= %.0f %s of training (fidelity %g..%g per trial)\n", total_trials, total_fid,
           s->n_learners ? unit : "evaluations", s->fidelity_min, s->fidelity_max > 0 ? s->fidelity_max : 1);
  if (s->wall_clock > 0) printf("wall clock <= %.0f s\n", s->wall_clock);
  printf("report     %s\n", s->report && !no_report ? "yes (tunebench report FILE.h5)" : "no");
  return TB_EXIT_OK;
}

int tb_cli_run(int argc, char **argv) {
  tb_run_options o = {0};
  long v;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--out") && i + 1 < argc) o.out = argv[++i];
    else if (!strcmp(a, "--device") && i + 1 < argc) o.device = argv[++i];
    else if (!strcmp(a, "--jobs") && i + 1 < argc) {
      if (parse_long("--jobs", argv[++i], 1, 1024, &v) < 0) return TB_EXIT_USAGE;
      o.jobs = (int)v;
    } else if (!strcmp(a, "--seed") && i + 1 < argc) {
      if (parse_long("--seed", argv[++i], 0, 0x7fffffffffffffffL - 10000, &v) < 0) return TB_EXIT_USAGE;
      o.seed = v, o.have_seed = 1;
    } else if (!strcmp(a, "--resume")) o.resume = 1;
    else if (!strcmp(a, "--force")) o.force = 1;
    else if (!strcmp(a, "--dry-run")) o.dry_run = 1;
    else if (!strcmp(a, "--no-report")) o.no_report = 1;
    else if (!strcmp(a, "--report-dir") && i + 1 < argc) o.report_dir = argv[++i];
    else if (a[0] == '-') {
      return tb_cli_usage_error("run", "unknown option '%s'%s", a, i + 1 == argc ? " (or a missing value)" : "");
    } else if (!o.suite) o.suite = a;
    else {
      return tb_cli_usage_error("run", "more than one suite ('%s', '%s')", o.suite, a);
    }
  }
  if (!o.suite) return tb_cli_usage_error("run", "which suite? (a file, or a built-in name: tunebench list)");
  if (o.resume && o.force) {
    fprintf(stderr, "tunebench run: --resume continues a results file and --force replaces it: give one\n");
    return TB_EXIT_USAGE;
  }
  char path[4096], out[4096];
  int rc = tb_suite_resolve(o.suite, tb_cli_share_dir(TB_SUITES_DIR, "suites"), path, sizeof path);
  if (rc < 0) return tb_cli_fail(rc, "run");
  tb_suite *s = NULL;
  if ((rc = tb_suite_load(path, &s)) < 0) {
    fprintf(stderr, "tunebench run: %s\n", tb_error_detail());
    return TB_EXIT_USAGE;
  }
  if (o.device) {
    char *d = strdup(o.device);
    if (!d) return tb_cli_fail(TB_ERR_NOMEM, "run");
    free(s->device);
    s->device = d;
  }
  if (o.jobs) s->jobs = o.jobs;
  if (o.have_seed)
    for (int i = 0; i < s->n_seeds; i++) s->seeds[i] = (uint64_t)o.seed + (uint64_t)i;
  snprintf(out, sizeof out, "%s", o.out ? o.out : "");
  if (!o.out) snprintf(out, sizeof out, "%s.h5", s->name);
  int code;
  struct stat st;
  if (o.dry_run) {
    code = dry_run(s, out, o.no_report);
  } else if (!o.resume && !o.force && stat(out, &st) == 0) {
    char j[4200];
    snprintf(j, sizeof j, "%s.journal", out);
    if (stat(j, &st) == 0)
      fprintf(stderr, "tunebench run: %s already exists (--resume continues it, --force replaces it)\n", out);
    else
      fprintf(stderr, "tunebench run: %s already exists without its journal, so it cannot be resumed (--force "
              "replaces it, or choose another --out)\n", out);
    code = TB_EXIT_USAGE;
  } else {
    code = tb_run_suite(s, out, &o);
  }
  tb_suite_free(s);
  return code;
}
