/* cli_data.c: `tunebench data info SPEC`: loads a dataset and prints its shape, classes and balance, the memory it
 * takes and a checksum of the loaded data (equal data, equal checksum). `tunebench data dump SPEC --out FILE.h5`:
 * writes the data exactly as `tunebench train` sees them (same split from --seed / --valid-frac / --test-frac with
 * train's defaults, features standardised on the training rows unless --raw) so that peers in scripts/bench/ train
 * on our rows: x float32 (n, d), y int32 (classification) or float32 (regression), split uint8 (n) (0 train,
 * 1 valid, 2 test), and the settings as attributes of "/". Not a converter between formats.
 * Tested by tests/test_cli.c (info) and tests/test_cli_data_dump.c (dump). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_h5.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int data_info(const char *spec) {
  tb_dataset *ds = NULL;
  double t0 = now_s();
  int rc = tb_data_load(spec, &ds);
  if (rc < 0) return tb_cli_fail(rc, "data info");
  double load_s = now_s() - t0;
  size_t parts[3] = {0, 0, 0};
  if (ds->fixed_split)
    for (size_t i = 0; i < ds->n_rows; i++) parts[ds->fixed_split[i] < 3 ? ds->fixed_split[i] : 0]++;
  printf("dataset   %s\n", spec);
  if (ds->fixed_split)
    printf("rows      %zu (train %zu, valid %zu, test %zu: split fixed by the source)\n", ds->n_rows,
           parts[TB_SPLIT_TRAIN], parts[TB_SPLIT_VALID], parts[TB_SPLIT_TEST]);
  else
    printf("rows      %zu (no fixed split: train/valid/test are drawn by the study's seed)\n", ds->n_rows);
  printf("features  %d\n", ds->n_cols);
  if (ds->task == TB_TASK_CLASSIFICATION) {
    printf("task      classification, %d classes\n", ds->n_classes);
    printf("balance  ");
    for (int c = 0; c < ds->n_classes; c++) {
      size_t count = 0;
      for (size_t i = 0; i < ds->n_rows; i++) count += ds->y_class[i] == c;
      const char *name = ds->class_names && ds->class_names[c] ? ds->class_names[c] : NULL;
      if (name)
        printf(" %d:%s=%zu (%.1f%%)%s", c, name, count, ds->n_rows ? 100.0 * (double)count / (double)ds->n_rows : 0.0,
               c + 1 < ds->n_classes ? "," : "");
      else
        printf(" %d=%zu (%.1f%%)%s", c, count, ds->n_rows ? 100.0 * (double)count / (double)ds->n_rows : 0.0,
               c + 1 < ds->n_classes ? "," : "");
    }
    printf("\n");
  } else {
    double mean = 0, lo = 0, hi = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
      double y = ds->y_value[i];
      mean += y;
      if (i == 0 || y < lo) lo = y;
      if (i == 0 || y > hi) hi = y;
    }
    printf("task      regression, target mean %.6g, range [%.6g, %.6g]\n", ds->n_rows ? mean / (double)ds->n_rows : 0.0,
           lo, hi);
  }
  size_t bytes = tb_dataset_bytes(ds);
  printf("memory    %zu bytes (%.1f MiB)\n", bytes, (double)bytes / 1048576.0);
  printf("checksum  crc32:%08x\n", tb_dataset_checksum(ds));
  printf("loaded in %.3f s\n", load_s);
  tb_dataset_free(ds);
  return TB_EXIT_OK;
}

typedef struct {
  const char *spec, *out;
  tb_split_spec split;
  int raw;
} dump_opts;

/* Loads, splits and (unless raw) standardises as cli_train.c does, then writes the HDF5 file. */
static int dump_run(const dump_opts *o) {
  int rc = TB_OK;
  tb_dataset *ds = NULL;
  tb_splits sp = {0};
  tb_standardizer st = {0};
  tb_h5_file *f = NULL;
  uint8_t *part = NULL;
  TB_TRY(tb_data_load(o->spec, &ds));
  tb_split_spec ss = o->split;
  ss.stratify = ds->task == TB_TASK_CLASSIFICATION;
  const char *msg = tb_split_spec_check(&ss);
  if (msg) TB_FAIL(TB_ERR_INVALID, "data dump: %s", msg);
  if (!o->raw) TB_TRY(tb_data_prepare(ds, &ss, &sp, &st)); /* train's data path: split, impute, standardise */
  else TB_TRY(tb_data_split(ds, &ss, &sp));
  if (!sp.n_train) TB_FAIL(TB_ERR_INVALID, "data dump: %s leaves no training rows", o->spec);
  part = malloc(ds->n_rows ? ds->n_rows : 1);
  if (!part) TB_FAIL(TB_ERR_NOMEM, "data dump: out of host memory");
  memset(part, 0xff, ds->n_rows);
  for (size_t i = 0; i < sp.n_train; i++) part[sp.train[i]] = TB_SPLIT_TRAIN;
  for (size_t i = 0; i < sp.n_valid; i++) part[sp.valid[i]] = TB_SPLIT_VALID;
  for (size_t i = 0; i < sp.n_test; i++) part[sp.test[i]] = TB_SPLIT_TEST;
  for (size_t i = 0; i < ds->n_rows; i++)
    if (part[i] > TB_SPLIT_TEST) TB_FAIL(TB_ERR_INVALID, "data dump: row %zu is in no part of the split", i);

  size_t dims[2] = {ds->n_rows, (size_t)ds->n_cols};
  TB_TRY(tb_h5_create(o->out, &f));
  TB_TRY(tb_h5_write(f, "x", TB_H5_F32, 2, dims, ds->X));
  if (ds->task == TB_TASK_CLASSIFICATION) TB_TRY(tb_h5_write(f, "y", TB_H5_I32, 1, dims, ds->y_class));
  else TB_TRY(tb_h5_write(f, "y", TB_H5_F32, 1, dims, ds->y_value));
  TB_TRY(tb_h5_write(f, "split", TB_H5_U8, 1, dims, part));
  const char *task = ds->task == TB_TASK_CLASSIFICATION ? "classification" : "regression";
  double fr[2] = {ss.valid_frac, ss.test_frac};
  uint64_t seed = ss.seed;
  int64_t ncls = ds->n_classes, standardised = !o->raw;
  TB_TRY(tb_h5_attr_write(f, "/", "spec", TB_H5_STR, 0, o->spec));
  TB_TRY(tb_h5_attr_write(f, "/", "task", TB_H5_STR, 0, task));
  TB_TRY(tb_h5_attr_write(f, "/", "n_classes", TB_H5_I64, 0, &ncls));
  TB_TRY(tb_h5_attr_write(f, "/", "seed", TB_H5_U64, 0, &seed));
  TB_TRY(tb_h5_attr_write(f, "/", "valid_test_frac", TB_H5_F64, 2, fr));
  TB_TRY(tb_h5_attr_write(f, "/", "standardised", TB_H5_I64, 0, &standardised));
  rc = tb_h5_close(f);
  f = NULL;
  if (rc < 0) goto done;
  printf("dumped %s to %s: %zu rows (train %zu, valid %zu, test %zu), %d features, %s%s\n", o->spec, o->out,
         ds->n_rows, sp.n_train, sp.n_valid, sp.n_test, ds->n_cols, task,
         o->raw ? "" : ", standardised on the training rows");
done:
  tb_h5_close(f);
  free(part);
  tb_standardizer_free(&st);
  tb_splits_free(&sp);
  tb_dataset_free(ds);
  return rc;
}

static int dump_frac(const char *s, double *out) {
  char *end;
  double v = s ? strtod(s, &end) : 0;
  if (!s || end == s || *end || !(v >= 0 && v < 1)) return -1;
  *out = v;
  return 0;
}

static int data_dump(int argc, char **argv) {
  dump_opts o = {.split = tb_split_spec_default()};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    char *end;
    int ok = 1;
    if (!strcmp(a, "--raw")) {
      o.raw = 1;
      continue;
    }
    if (a[0] != '-' && !o.spec) {
      o.spec = a;
      continue;
    }
    if (!strcmp(a, "--out") && v) o.out = v;
    else if (!strcmp(a, "--seed") && v) {
      long long n = strtoll(v, &end, 10);
      ok = end != v && !*end && n >= 0 && n <= 2147483647LL;
      o.split.seed = (uint64_t)n;
    } else if (!strcmp(a, "--valid-frac")) ok = !dump_frac(v, &o.split.valid_frac);
    else if (!strcmp(a, "--test-frac")) ok = !dump_frac(v, &o.split.test_frac);
    else ok = 0;
    if (!ok) {
      return tb_cli_usage_error("data dump", "bad argument '%s'%s", a, v ? "" : " (missing value?)");
    }
    i++;
  }
  if (!o.spec || !o.out) {
    return tb_cli_usage_error("data dump", "SPEC and --out are required");
  }
  int rc = dump_run(&o);
  return rc < 0 ? tb_cli_fail(rc, "data dump") : TB_EXIT_OK;
}

int tb_cli_data(int argc, char **argv) {
  if (argc >= 1 && !strcmp(argv[0], "info")) {
    if (argc != 2) return tb_cli_usage_error("data info", "one SPEC, got %d arguments", argc - 1);
    return data_info(argv[1]);
  }
  if (argc >= 1 && !strcmp(argv[0], "dump")) return data_dump(argc - 1, argv + 1);
  return tb_cli_usage_error("data", "unknown or missing subcommand '%s' (info, dump)", argc >= 1 ? argv[0] : "");
}
