/* cli_train.c: `tunebench train`: trains one model of a built-in learner on a dataset and prints the validation
 * metrics after every unit of fidelity (epoch, round, tree), then the test metrics, training time, samples/s, peak
 * device memory and parameter count. It loads and splits the data (tb_data_split with --split-seed, or --seed when
 * that is not given; --no-stratify; a source's fixed test split is honoured), imputes and standardises the features
 * on the training rows for every learner (tb_data_prepare, the data path of suite trials too: trees are unaffected
 * by this monotone map, the linear models need it), so that `--split-seed S --seed T` with a trial's configuration
 * reproduces a study trial of split_seed S and seed T (docs/learners.md "Reproducing a study trial"), opens the device
 * (auto falls back to the CPU with a notice; cuda without a GPU is exit 2), and builds the configuration from the
 * learner's defaults plus --set key=value (applied parents first, so `--set l1_ratio=0.3 --set penalty=elasticnet`
 * works in any order); that set-up is shared with `bench latency` (cli_learner.c). It is not the tuner. Tested by
 * tests/test_cli.c, tests/test_model_core.c and tests/test_data_prepare.c (which run the built binary). */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_model.h"


typedef struct {
  const char *learner, *data, *device;
  const char *sets[TB_CLI_MAX_SETS];
  int n_sets, units, split_seed_given, no_stratify;
  unsigned long long seed, split_seed;
  double valid_frac, test_frac;
} train_opts;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void list_learners(FILE *f) {
  const tb_learner *const *L = tb_learners();
  for (int i = 0; L[i]; i++) fprintf(f, "%s%s", i ? ", " : "", tb_learner_name(L[i]));
}

/* The configured fidelity: the hyperparameter named after the unit ("epochs") or "n_<unit>"; 0 when none. */
static int configured_units(const tb_learner *L, const tb_space *sp, const double *x) {
  char alt[64];
  const char *unit = tb_learner_fidelity_unit(L);
  snprintf(alt, sizeof alt, "n_%s", unit);
  int i = tb_space_find(sp, unit);
  if (i < 0) i = tb_space_find(sp, alt);
  return i >= 0 && isfinite(x[i]) ? (int)x[i] : 0;
}

/* "12.3 MiB" or "45.6 KiB" */
static const char *fmt_bytes(double b, char *buf, size_t len) {
  if (b >= 1048576.0) snprintf(buf, len, "%.1f MiB", b / 1048576.0);
  else snprintf(buf, len, "%.1f KiB", b / 1024.0);
  return buf;
}

static void print_metrics(const tb_metrics *m) {
  if (isnan(m->rmse)) printf("loss %.4f  acc %.4f", m->loss, m->accuracy);
  else printf("loss %.4f  rmse %.4f", m->loss, m->rmse);
}

static int run_train(const train_opts *o) {
  int rc = TB_OK;
  tb_cli_learner c = {0};
  tb_model *m = NULL;
  char buf[512];
  tb_cli_learner_opts lo = {"train", o->learner, o->data, o->device, o->sets, o->n_sets, o->seed, o->valid_frac,
                            o->test_frac, o->split_seed_given, o->split_seed, o->no_stratify};

  TB_TRY(tb_cli_learner_config(&lo, &c));
  const tb_learner *L = c.L;
  tb_space *sp = c.sp;
  double *x = c.x;
  int units = o->units > 0 ? o->units : configured_units(L, sp, x);
  if (units < 1) TB_FAIL(TB_ERR_INVALID, "%s has no configured %s: give --units N", o->learner,
                         tb_learner_fidelity_unit(L));
  TB_TRY(tb_cli_learner_data(&lo, &c));
  tb_dataset *ds = c.ds;
  tb_splits splits = c.splits;
  tb_backend *be = c.be;
  int n_out = ds->task == TB_TASK_CLASSIFICATION ? ds->n_classes : 1;
  size_t est = 0;
  TB_TRY(tb_model_estimate_bytes(L, sp, x, splits.n_train, ds->n_cols, n_out, &est));
  tb_space_format_json(sp, x, buf, sizeof buf);
  printf("train: %s on %s (%zu train, %zu valid, %zu test rows, %d features, %s)\n", o->learner, o->data,
         splits.n_train, splits.n_valid, splits.n_test, ds->n_cols,
         ds->task == TB_TASK_CLASSIFICATION ? "classification" : "regression");
  printf("config: %s\n", buf);
  printf("device: %s\n", tb_backend_describe(be));
  tb_parts parts = {splits.train, splits.n_train, splits.valid, splits.n_valid};
  double t_create = now_s();
  TB_TRY(tb_model_create(L, sp, x, c.dd, &parts, o->seed, &m));
  TB_TRY(tb_backend_sync(be));
  double train_s = now_s() - t_create; /* training time counts model creation (buffers, gathered rows) too */
  char mb[32];
  printf("parameters: %zu  estimated model memory %s\n", tb_model_n_params(m), fmt_bytes((double)est, mb, sizeof mb));

  /* A forest grows the trees of one train call in parallel: train it in steps of one tree per thread (and print
   * the metrics after each step); the other learners' units are sequential, one per step. */
  int step = strcmp(tb_learner_fidelity_unit(L), "trees") ? 1 : omp_get_max_threads();
  for (int done_units = 0; done_units < units;) {
    int k = units - done_units < step ? units - done_units : step;
    double t0 = now_s();
    TB_TRY(tb_model_train(m, k));
    TB_TRY(tb_backend_sync(be));
    train_s += now_s() - t0;
    done_units += k;
    int u = done_units;
    printf("%s %d", tb_learner_fidelity_unit(L), u);
    if (splits.n_valid) {
      tb_metrics mv;
      TB_TRY(tb_model_evaluate(m, splits.valid, splits.n_valid, &mv));
      printf("  valid ");
      print_metrics(&mv);
    }
    printf("  (%.3f s)\n", now_s() - t0);
    fflush(stdout);
  }
  if (splits.n_test) {
    tb_metrics mt;
    TB_TRY(tb_model_evaluate(m, splits.test, splits.n_test, &mt));
    printf("test ");
    print_metrics(&mt);
    printf("  (%zu rows)\n", mt.n);
  }
  tb_mem_stats ms;
  tb_backend_mem(be, &ms);
  printf("training time %.3f s  %.0f samples/s  peak device memory %s  parameters %zu\n", train_s,
         train_s > 0 ? (double)splits.n_train * units / train_s : 0.0, fmt_bytes((double)ms.bytes_peak, mb, sizeof mb),
         tb_model_n_params(m));
done:
  tb_model_free(m);
  tb_cli_learner_free(&c);
  return rc;
}

static int parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}
/* A 64-bit seed: 0..2^64-1, or a negative number as the results file's int64 `seed` column shows a seed >= 2^63. */
static int parse_seed(const char *s, unsigned long long *out) {
  char *end;
  if (!s || !*s) return -1;
  errno = 0;
  if (*s == '-') {
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = (unsigned long long)v;
    return 0;
  }
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || *s == '+' || *s == ' ') return -1;
  *out = v;
  return 0;
}

static int parse_frac(const char *s, double *out) {
  char *end;
  double v = s ? strtod(s, &end) : 0;
  if (!s || end == s || *end || !(v >= 0 && v < 1)) return -1;
  *out = v;
  return 0;
}

int tb_cli_train(int argc, char **argv) {
  train_opts o = {.device = "auto", .valid_frac = 0.2, .test_frac = 0.2};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long n;
    int ok = v != NULL;
    if (!strcmp(a, "--no-stratify")) {
      o.no_stratify = 1;
      continue;
    }
    if (!strcmp(a, "--learner") && v) o.learner = v;
    else if (!strcmp(a, "--data") && v) o.data = v;
    else if (!strcmp(a, "--device") && v) o.device = v;
    else if (!strcmp(a, "--set") && v && o.n_sets < TB_CLI_MAX_SETS) o.sets[o.n_sets++] = v;
    else if (!strcmp(a, "--seed") && !parse_seed(v, &o.seed)) {}
    else if (!strcmp(a, "--split-seed") && !parse_seed(v, &o.split_seed)) o.split_seed_given = 1;
    else if (!strcmp(a, "--units") && !parse_long(v, 1, 1000000L, &n)) o.units = (int)n;
    else if (!strcmp(a, "--valid-frac") && !parse_frac(v, &o.valid_frac)) {}
    else if (!strcmp(a, "--test-frac") && !parse_frac(v, &o.test_frac)) {}
    else ok = 0;
    if (!ok) {
      return tb_cli_usage_error("train", "bad argument '%s'%s", a, v ? "" : " (missing value?)");
    }
    i++;
  }
  if (!o.learner || !o.data) {
    fprintf(stderr, "tunebench train: --learner and --data are required (learners: ");
    list_learners(stderr);
    fprintf(stderr, ")\n");
    return TB_EXIT_USAGE;
  }
  int rc = run_train(&o);
  return rc < 0 ? tb_cli_fail(rc, "train") : TB_EXIT_OK;
}
