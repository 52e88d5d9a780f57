/* cli_bench_latency.c: `tunebench bench latency`: the inference latency of a learner's predict path
 * (tb_model_predict: host features in, class probabilities or values out) for a small batch, as scripts/bench/
 * learners.py compares it with PyTorch's. It builds a model like `tunebench train` (defaults plus --set, data
 * split with --seed and standardised on the training rows), optionally trains --units units, then times --runs
 * calls of tb_model_predict on --batch consecutive test rows each (cycling through the test part) after --warmup
 * untimed calls, and prints the percentiles; each call is timed by tb_backend_timer_start/stop (CUDA events on
 * the GPU, the monotonic clock on the CPU). It is not a throughput benchmark (large batches: see `train`'s
 * samples/s) and not the tuner. Tested by tests/test_cli_bench_latency.c (runs the built binary). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_model.h"

typedef struct {
  const char *learner, *data, *device;
  const char *sets[TB_CLI_MAX_SETS];
  int n_sets, units, batch, runs, warmup;
  unsigned long long seed;
} lat_opts;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Value at quantile q of sorted v[0..n) (nearest rank). */
static double quantile(const double *v, int n, double q) {
  int k = (int)(q * (double)n + 0.5) - 1;
  return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static int lat_run(const lat_opts *o) {
  int rc = TB_OK;
  tb_cli_learner c = {0};
  tb_model *m = NULL;
  double *us = NULL;
  float *in = NULL, *outp = NULL;
  char buf[512];
  tb_cli_learner_opts lo = {"bench latency", o->learner, o->data, o->device, o->sets, o->n_sets, o->seed, -1, -1,
                            0, 0, 0};

  TB_TRY(tb_cli_learner_config(&lo, &c));
  TB_TRY(tb_cli_learner_data(&lo, &c));
  tb_space *sp = c.sp;
  double *x = c.x;
  tb_dataset *ds = c.ds;
  tb_splits splits = c.splits;
  tb_backend *be = c.be;
  if (!splits.n_test) TB_FAIL(TB_ERR_INVALID, "bench latency: %s is too small to split", o->data);
  if ((size_t)o->batch > splits.n_test)
    TB_FAIL(TB_ERR_INVALID, "bench latency: --batch %d exceeds the %zu test rows of %s", o->batch, splits.n_test,
            o->data);
  tb_parts parts = {splits.train, splits.n_train, splits.valid, splits.n_valid};
  TB_TRY(tb_model_create(c.L, sp, x, c.dd, &parts, o->seed, &m));
  if (o->units > 0) TB_TRY(tb_model_train(m, o->units));
  TB_TRY(tb_backend_sync(be));

  /* the test rows, contiguous, so each call reads `batch` consecutive rows of real inputs */
  size_t d = (size_t)ds->n_cols, k = (size_t)tb_model_n_outputs(m), nt = splits.n_test;
  in = malloc(nt * d * sizeof *in);
  outp = malloc((size_t)o->batch * k * sizeof *outp);
  us = malloc((size_t)o->runs * sizeof *us);
  if (!in || !outp || !us) TB_FAIL(TB_ERR_NOMEM, "bench latency: out of host memory");
  for (size_t i = 0; i < nt; i++) memcpy(in + i * d, ds->X + (size_t)splits.test[i] * d, d * sizeof *in);
  size_t pos = 0;
  for (int r = -o->warmup; r < o->runs; r++) {
    if (pos + (size_t)o->batch > nt) pos = 0;
    double t;
    TB_TRY(tb_backend_timer_start(be));
    TB_TRY(tb_model_predict(m, in + pos * d, (size_t)o->batch, outp));
    TB_TRY(tb_backend_timer_stop(be, &t));
    if (r >= 0) us[r] = 1e6 * t;
    pos += (size_t)o->batch;
  }
  double mean = 0;
  for (int r = 0; r < o->runs; r++) mean += us[r];
  mean /= o->runs;
  qsort(us, (size_t)o->runs, sizeof *us, cmp_double);
  tb_space_format_json(sp, x, buf, sizeof buf);
  printf("latency: %s on %s, %zu features -> %zu outputs, batch %d, %d runs after %d warm-up, %d units trained\n",
         o->learner, o->data, d, k, o->batch, o->runs, o->warmup, o->units);
  printf("config: %s\n", buf);
  printf("device: %s (timed by %s)\n", tb_backend_describe(be),
         tb_backend_kind(be) == TB_DEVICE_CUDA ? "CUDA events on the context's stream" : "the monotonic clock");
  printf("latency_us p50 %.2f p90 %.2f p99 %.2f min %.2f mean %.2f\n", quantile(us, o->runs, 0.5),
         quantile(us, o->runs, 0.9), quantile(us, o->runs, 0.99), us[0], mean);
done:
  free(us);
  free(outp);
  free(in);
  tb_model_free(m);
  tb_cli_learner_free(&c);
  return rc;
}

static int lat_int(const char *s, long lo, long hi, int *out) {
  char *end;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || end == s || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

int tb_cli_bench_latency(int argc, char **argv) {
  lat_opts o = {.device = "cpu", .batch = 1, .runs = 2000, .warmup = 200};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int ok = v != NULL, seed;
    if (!strcmp(a, "--learner") && v) o.learner = v;
    else if (!strcmp(a, "--data") && v) o.data = v;
    else if (!strcmp(a, "--device") && v) o.device = v;
    else if (!strcmp(a, "--set") && v && o.n_sets < TB_CLI_MAX_SETS) o.sets[o.n_sets++] = v;
    else if (!strcmp(a, "--units")) ok = !lat_int(v, 0, 100000, &o.units);
    else if (!strcmp(a, "--batch")) ok = !lat_int(v, 1, 1 << 20, &o.batch);
    else if (!strcmp(a, "--runs")) ok = !lat_int(v, 1, 10000000, &o.runs);
    else if (!strcmp(a, "--warmup")) ok = !lat_int(v, 0, 10000000, &o.warmup);
    else if (!strcmp(a, "--seed") && !lat_int(v, 0, 2147483647L, &seed)) o.seed = (unsigned long long)seed;
    else ok = 0;
    if (!ok) {
      return tb_cli_usage_error("bench latency", "bad argument '%s'%s", a, v ? "" : " (missing value?)");
    }
    i++;
  }
  if (!o.learner || !o.data) {
    return tb_cli_usage_error("bench latency", "--learner and --data are required");
  }
  int rc = lat_run(&o);
  return rc < 0 ? tb_cli_fail(rc, "bench latency") : TB_EXIT_OK;
}
