/* cli_bench_fused.c: `tunebench bench fused` (hidden): K MLP trials (784-128-10 on Fashion-MNIST by default) with
 * K different learning rates (log-spaced in [1e-3, 1e-1], SGD with momentum 0.9, batch 128, seeds 1..K), trained
 * once as ONE fused bundle (models/tb_fused.h) and once one after another as K solo models, on the same backend
 * context, for each K of --k. Each side's time covers creation, --epochs epochs of training and one validation
 * pass per trial. Repeats --repeats times (the order of the two sides alternates), prints medians, trials per hour,
 * the ratio, the largest difference of validation loss between a member and its solo run (0 on the CPU, where
 * members are bit-identical) and the load average before and after.
 * It is not a test and not the tuner; scripts/bench/README.md ("Fused trials") says how to run it.
 * Exercised by hand and by scripts/gpu-check; the library code it times is tested by tests/test_model_fused.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tb_backend.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_fused.h"
#include "tb_model.h"

#define FB_MAX_K 16
typedef struct {
  int ks[FB_MAX_K], n_k, epochs, repeats, threads;
  long rows, valid;
  const char *data, *device;
} fb_opts;

static double fb_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fb_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double fb_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, fb_cmp);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void fb_load(double l[3]) {
  if (getloadavg(l, 3) != 3) l[0] = l[1] = l[2] = NAN;
}

/* The K configurations: member k has lr 10^(-3 + 2k/(K-1)). xs[k] is malloc'ed. */
static int fb_configs(const tb_learner *L, const tb_space *sp, int K, double **xs) {
  int rc = TB_OK;
  char lr[32];
  for (int k = 0; k < K; k++) {
    xs[k] = malloc((size_t)tb_space_dim(sp) * sizeof **xs);
    if (!xs[k]) return tb_error_set(TB_ERR_NOMEM, "bench fused: out of host memory");
    tb_learner_defaults(L, sp, xs[k]);
    snprintf(lr, sizeof lr, "%.6g", pow(10.0, -3.0 + (K > 1 ? 2.0 * k / (K - 1) : 1.0)));
    TB_TRY(tb_learner_set(L, sp, xs[k], "layers", "1"));
    TB_TRY(tb_learner_set(L, sp, xs[k], "units", "128"));
    TB_TRY(tb_learner_set(L, sp, xs[k], "batch_size", "128"));
    TB_TRY(tb_learner_set(L, sp, xs[k], "optimizer", "momentum"));
    TB_TRY(tb_learner_set(L, sp, xs[k], "momentum", "0.9"));
    TB_TRY(tb_learner_set(L, sp, xs[k], "lr", lr));
  }
done:
  return rc;
}

/* K solo trials one after another; loss[k] = validation loss. */
static int fb_sequential(const tb_learner *L, const tb_space *sp, double **xs, int K, tb_devdata *dd,
                         const tb_parts *parts, int epochs, double *loss) {
  int rc = TB_OK;
  tb_model *m = NULL;
  for (int k = 0; k < K; k++) {
    tb_metrics mt;
    TB_TRY(tb_model_create(L, sp, xs[k], dd, parts, (uint64_t)k + 1, &m));
    rc = tb_model_train(m, epochs);
    if (rc == TB_ERR_RANGE) { /* diverged: a result of the trial, as in the bundle */
      rc = TB_OK;
      loss[k] = INFINITY;
    } else {
      TB_TRY(rc);
      TB_TRY(tb_model_evaluate(m, parts->valid, parts->n_valid, &mt));
      loss[k] = mt.loss;
    }
    tb_model_free(m);
    m = NULL;
  }
done:
  tb_model_free(m);
  return rc;
}

/* The same K trials as one bundle. */
static int fb_fused(const tb_learner *L, const tb_space *sp, double **xs, int K, tb_devdata *dd,
                    const tb_parts *parts, int epochs, double *loss) {
  int rc = TB_OK;
  tb_fused *f = NULL;
  uint64_t *seeds = malloc((size_t)K * sizeof *seeds);
  tb_metrics *mt = malloc((size_t)K * sizeof *mt);
  if (!seeds || !mt) TB_FAIL(TB_ERR_NOMEM, "bench fused: out of host memory");
  for (int k = 0; k < K; k++) seeds[k] = (uint64_t)k + 1;
  TB_TRY(tb_fused_create(L, sp, (const double *const *)xs, K, dd, parts, seeds, &f));
  TB_TRY(tb_fused_train(f, epochs));
  TB_TRY(tb_fused_evaluate(f, parts->valid, parts->n_valid, mt));
  for (int k = 0; k < K; k++) loss[k] = tb_fused_status_of(f, k) == TB_FUSED_ACTIVE ? mt[k].loss : INFINITY;
done:
  tb_fused_free(f);
  free(seeds);
  free(mt);
  return rc;
}

static int fb_run(const fb_opts *o) {
  int rc = TB_OK;
  tb_space *sp = NULL;
  tb_dataset *ds = NULL;
  tb_standardizer st = {0};
  tb_backend *be = NULL;
  tb_devdata *dd = NULL;
  uint32_t *rows = NULL;
  double **xs = NULL, *ls = NULL, *lf = NULL, *ts = NULL, *tf = NULL;
  tb_device req, dev;
  char notice[256];
  double load0[3], load1[3];
  const tb_learner *L = tb_learner_find("mlp");
  int kmax = 0;
  for (int i = 0; i < o->n_k; i++) kmax = o->ks[i] > kmax ? o->ks[i] : kmax;

  TB_TRY(tb_device_parse(o->device, &req));
  TB_TRY(tb_device_resolve(&req, &dev, notice, sizeof notice));
  if (notice[0]) fprintf(stderr, "tunebench bench fused: %s\n", notice);
  TB_TRY(tb_data_load(o->data, &ds));
  if (ds->task != TB_TASK_CLASSIFICATION) TB_FAIL(TB_ERR_INVALID, "bench fused: %s is not a classification set", o->data);
  if ((size_t)(o->rows + o->valid) > ds->n_rows)
    TB_FAIL(TB_ERR_INVALID, "bench fused: --rows %ld + --valid %ld exceed the %zu rows of %s", o->rows, o->valid,
            ds->n_rows, o->data);
  rows = malloc((size_t)(o->rows + o->valid) * sizeof *rows);
  xs = calloc((size_t)kmax, sizeof *xs);
  ls = malloc((size_t)kmax * sizeof *ls);
  lf = malloc((size_t)kmax * sizeof *lf);
  ts = malloc((size_t)o->repeats * sizeof *ts);
  tf = malloc((size_t)o->repeats * sizeof *tf);
  if (!rows || !xs || !ls || !lf || !ts || !tf) TB_FAIL(TB_ERR_NOMEM, "bench fused: out of host memory");
  for (long i = 0; i < o->rows + o->valid; i++) rows[i] = (uint32_t)i; /* training rows first, then validation */
  TB_TRY(tb_standardizer_fit(ds, rows, (size_t)o->rows, &st));
  TB_TRY(tb_standardizer_apply(&st, ds));
  TB_TRY(tb_backend_open(&dev, &be));
  if (o->threads > 0) tb_backend_set_threads(be, o->threads);
  TB_TRY(tb_devdata_create(be, ds, &dd));
  TB_TRY(tb_learner_space(L, &sp));
  TB_TRY(fb_configs(L, sp, kmax, xs));
  tb_parts parts = {rows, (size_t)o->rows, rows + o->rows, (size_t)o->valid};

  fb_load(load0);
  printf("fused trials: mlp %d-128-%d, sgd momentum 0.9, batch 128, lr log-spaced in [1e-3, 1e-1], %d epochs, "
         "%ld training rows, %ld validation rows of %s\n", ds->n_cols, ds->n_classes, o->epochs, o->rows, o->valid,
         o->data);
  printf("device: %s\n", tb_backend_describe(be));
  printf("(diverged trials count as trials; max|dloss| compares members with their solo runs)\n");
  printf("%5s %12s %12s %14s %14s %8s %12s\n", "K", "seq_s", "fused_s", "seq_trials/h", "fused_trials/h", "ratio",
         "max|dloss|");
  fflush(stdout);
  for (int i = 0; i < o->n_k; i++) {
    const int K = o->ks[i];
    double dmax = 0;
    for (int r = 0; r < o->repeats; r++) {
      for (int side = 0; side < 2; side++) { /* alternate which side runs first */
        int fused = (side + r) % 2;
        TB_TRY(tb_backend_sync(be));
        double t0 = fb_now_s();
        if (fused) TB_TRY(fb_fused(L, sp, xs, K, dd, &parts, o->epochs, lf));
        else TB_TRY(fb_sequential(L, sp, xs, K, dd, &parts, o->epochs, ls));
        TB_TRY(tb_backend_sync(be));
        (fused ? tf : ts)[r] = fb_now_s() - t0;
      }
      for (int k = 0; k < K; k++) dmax = fmax(dmax, fabs(lf[k] - ls[k]));
    }
    double ms = fb_median(ts, o->repeats), mf = fb_median(tf, o->repeats);
    printf("%5d %12.3f %12.3f %14.0f %14.0f %8.2f %12.3g\n", K, ms, mf, 3600.0 * K / ms, 3600.0 * K / mf, ms / mf,
           dmax);
    fflush(stdout);
  }
  fb_load(load1);
  printf("medians of %d repeats; load average (1/5/15 min) before %.2f %.2f %.2f, after %.2f %.2f %.2f\n", o->repeats,
         load0[0], load0[1], load0[2], load1[0], load1[1], load1[2]);
done:
  for (int k = 0; xs && k < kmax; k++) free(xs[k]);
  free(xs);
  free(ls);
  free(lf);
  free(ts);
  free(tf);
  tb_space_free(sp);
  tb_devdata_free(dd);
  tb_backend_free(be);
  tb_standardizer_free(&st);
  tb_dataset_free(ds);
  free(rows);
  return rc;
}

static int fb_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

int tb_cli_bench_fused(int argc, char **argv) {
  fb_opts o = {.ks = {8, 32, 128}, .n_k = 3, .epochs = 1, .repeats = 3, .rows = 10000, .valid = 2000,
               .data = "fashion-mnist", .device = "auto"};
  long v;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!val) {
      return tb_cli_usage_error("bench fused", "%s needs a value", a);
    }
    i++;
    if (!strcmp(a, "--k")) {
      char buf[256], *save = NULL;
      snprintf(buf, sizeof buf, "%s", val);
      o.n_k = 0;
      for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o.n_k == FB_MAX_K || !fb_int(t, 1, 4096, &v)) {
          fprintf(stderr, "tunebench bench fused: --k '%s': want up to %d integers in 1..4096, comma-separated\n",
                  val, FB_MAX_K);
          return TB_EXIT_USAGE;
        }
        o.ks[o.n_k++] = (int)v;
      }
      if (!o.n_k) {
        fprintf(stderr, "tunebench bench fused: --k is empty\n");
        return TB_EXIT_USAGE;
      }
    } else if (!strcmp(a, "--epochs") && fb_int(val, 1, 1000, &v)) o.epochs = (int)v;
    else if (!strcmp(a, "--repeats") && fb_int(val, 1, 100, &v)) o.repeats = (int)v;
    else if (!strcmp(a, "--threads") && fb_int(val, 0, 4096, &v)) o.threads = (int)v;
    else if (!strcmp(a, "--rows") && fb_int(val, 1, 100000000, &v)) o.rows = v;
    else if (!strcmp(a, "--valid") && fb_int(val, 1, 100000000, &v)) o.valid = v;
    else if (!strcmp(a, "--data")) o.data = val;
    else if (!strcmp(a, "--device")) o.device = val;
    else {
      return tb_cli_usage_error("bench fused", "bad option or value '%s %s'", a, val);
    }
  }
  int rc = fb_run(&o);
  return rc == TB_OK ? TB_EXIT_OK : tb_cli_fail(rc, "bench fused");
}
