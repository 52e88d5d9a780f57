/* test_cli_data_dump.c: runs `tunebench data dump` (the built binary, $TB_BINARY) and reads the HDF5 file back with
 * tb_h5: the split must be tb_data_split's with train's defaults (or the given seed/fractions), the features the
 * loaded ones standardised with mean and standard deviation computed here in double on the training rows (or the
 * raw ones with --raw), the labels/targets unchanged; and bad usage (no --out, bad fraction, unknown option, bad
 * SPEC, unwritable path) is exit 2 with a message. It is not the benchmark that uses the file (scripts/bench/). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_fixture.h"
#include "tb_data.h"
#include "tb_h5.h"

static char out[16384];

/* Runs `tunebench ARGS` (cli_fixture.h) with its output in out; returns the exit status. */
static int run(const char *args) { return cli_run(args, out, sizeof out); }

typedef struct {
  float *x;
  int32_t *y_class;
  float *y_value;
  float *split; /* read as float: 0, 1, 2 */
  size_t n, d;
} dumped;

static void dumped_free(dumped *d) {
  free(d->x);
  free(d->y_class);
  free(d->y_value);
  free(d->split);
}

static int read_dump(const char *path, int classification, dumped *d) {
  tb_h5_file *f = NULL;
  size_t dims[2], dy[1], ds[1];
  memset(d, 0, sizeof *d);
  int rc = tb_h5_open(path, &f);
  if (rc < 0) return rc;
  if ((rc = tb_h5_read_float(f, "x", 2, &d->x, dims)) < 0) goto done;
  rc = classification ? tb_h5_read_int32(f, "y", 1, &d->y_class, dy) : tb_h5_read_float(f, "y", 1, &d->y_value, dy);
  if (rc < 0) goto done;
  if ((rc = tb_h5_read_float(f, "split", 1, &d->split, ds)) < 0) goto done;
  d->n = dims[0], d->d = dims[1];
  if (dy[0] != d->n || ds[0] != d->n) rc = TB_ERR_FORMAT;
done:
  tb_h5_close(f);
  return rc;
}

/* Checks the dump at path against spec loaded and split here. Tolerance on the standardised features:
 * 1e-5 * (1 + |ref|) (float32 storage of a double computation). */
static void check_dump(const char *path, const char *spec, const tb_split_spec *ss, int raw) {
  tb_dataset *ds = NULL;
  tb_splits sp = {0};
  dumped d;
  TB_CHECK_OK(tb_data_load(spec, &ds));
  int cls = ds->task == TB_TASK_CLASSIFICATION;
  tb_split_spec s = *ss;
  s.stratify = cls;
  TB_CHECK_OK(tb_data_split(ds, &s, &sp));
  TB_CHECK_OK(read_dump(path, cls, &d));
  CU_ASSERT_EQUAL_FATAL(d.n, ds->n_rows);
  CU_ASSERT_EQUAL_FATAL(d.d, (size_t)ds->n_cols);
  /* the split, row by row */
  size_t bad = 0;
  for (size_t i = 0; i < sp.n_train; i++) bad += d.split[sp.train[i]] != 0.0f;
  for (size_t i = 0; i < sp.n_valid; i++) bad += d.split[sp.valid[i]] != 1.0f;
  for (size_t i = 0; i < sp.n_test; i++) bad += d.split[sp.test[i]] != 2.0f;
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(sp.n_train + sp.n_valid + sp.n_test, ds->n_rows);
  /* labels / targets */
  for (size_t i = 0; i < ds->n_rows; i++) {
    if (cls) bad += d.y_class[i] != ds->y_class[i];
    else bad += d.y_value[i] != ds->y_value[i];
  }
  CU_ASSERT_EQUAL(bad, 0);
  /* features: reference standardisation in double on the training rows */
  double max_err = 0;
  for (size_t j = 0; j < d.d; j++) {
    double mean = 0, var = 0, scale = 1;
    if (!raw) {
      for (size_t i = 0; i < sp.n_train; i++) mean += ds->X[sp.train[i] * d.d + j];
      mean /= (double)sp.n_train;
      for (size_t i = 0; i < sp.n_train; i++) {
        double v = ds->X[sp.train[i] * d.d + j] - mean;
        var += v * v;
      }
      scale = sqrt(var / (double)sp.n_train);
      if (!(scale > 0)) scale = 1;
    }
    for (size_t i = 0; i < d.n; i++) {
      double ref = ((double)ds->X[i * d.d + j] - mean) / scale;
      double err = fabs((double)d.x[i * d.d + j] - ref) / (1.0 + fabs(ref));
      if (err > max_err) max_err = err;
    }
  }
  if (max_err > 1e-5) printf("\nmax relative feature error %.3g\n", max_err);
  CU_ASSERT(max_err <= 1e-5);
  if (raw) CU_ASSERT(max_err == 0.0);
  dumped_free(&d);
  tb_splits_free(&sp);
  tb_dataset_free(ds);
}

static char dir[] = "/tmp/tb_dump_XXXXXX";

static void test_dump_default_split(void) {
  const char *spec = "gen:classification?n=1200&d=7&classes=3&informative=4&seed=5";
  char path[256], args[512];
  snprintf(path, sizeof path, "%s/a.h5", dir);
  snprintf(args, sizeof args, "data dump '%s' --out %s", spec, path);
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "train 768, valid 192, test 240"));
  tb_split_spec ss = tb_split_spec_default();
  check_dump(path, spec, &ss, 0);
  remove(path);
}

static void test_dump_options(void) {
  const char *spec = "gen:friedman1?n=500&d=6&seed=2";
  char path[256], args[512];
  snprintf(path, sizeof path, "%s/b.h5", dir);
  snprintf(args, sizeof args, "data dump '%s' --seed 9 --valid-frac 0 --test-frac 0.25 --out %s", spec, path);
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "regression"));
  tb_split_spec ss = tb_split_spec_default();
  ss.seed = 9, ss.valid_frac = 0, ss.test_frac = 0.25;
  check_dump(path, spec, &ss, 0);
  snprintf(args, sizeof args, "data dump '%s' --raw --seed 9 --valid-frac 0 --test-frac 0.25 --out %s", spec, path);
  CU_ASSERT_EQUAL(run(args), 0);
  check_dump(path, spec, &ss, 1);
  remove(path);
}

static void test_dump_bad_input(void) {
  char args[512];
  CU_ASSERT_EQUAL(run("data dump 'gen:classification?n=100'"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--out"));
  CU_ASSERT_EQUAL(run("data dump --out /tmp/x.h5"), 2);
  CU_ASSERT_EQUAL(run("data dump 'gen:classification?n=100' --out /tmp/x.h5 --valid-frac 1.5"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--valid-frac"));
  CU_ASSERT_EQUAL(run("data dump 'gen:classification?n=100' --out /tmp/x.h5 --seed -3"), 2);
  CU_ASSERT_EQUAL(run("data dump 'gen:classification?n=100' --out /tmp/x.h5 --frob 1"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--frob"));
  snprintf(args, sizeof args, "data dump 'gen:classification?n=100&bogus=1' --out %s/c.h5", dir);
  CU_ASSERT_EQUAL(run(args), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "bogus"));
  CU_ASSERT_EQUAL(run("data dump 'gen:classification?n=100' --out /nonexistent-dir/x.h5"), 1); /* I/O */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent-dir/x.h5"));
  /* valid + test fractions that leave no training rows */
  snprintf(args, sizeof args, "data dump 'gen:classification?n=100' --valid-frac 0.6 --test-frac 0.6 --out %s/c.h5",
           dir);
  CU_ASSERT_EQUAL(run(args), 2);
  snprintf(args, sizeof args, "%s/c.h5", dir);
  remove(args);
}

static void test_fashion_mnist_fixed_split(void) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0) {
    printf("(dataset-fashion-mnist not installed: case not run) ");
    return;
  }
  char path[256], args[512];
  snprintf(path, sizeof path, "%s/f.h5", dir);
  snprintf(args, sizeof args, "data dump fashion-mnist --valid-frac 0 --out %s", path);
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "train 60000, valid 0, test 10000"));
  tb_split_spec ss = tb_split_spec_default();
  ss.valid_frac = 0;
  check_dump(path, "fashion-mnist", &ss, 0);
  remove(path);
}

static void setup_dir(void) { CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir)); }
static void cleanup_dir(void) { rmdir(dir); }

static const tb_test_case cases[] = {{"setup", setup_dir},
                                     {"default_split", test_dump_default_split},
                                     {"options_and_raw", test_dump_options},
                                     {"bad_input", test_dump_bad_input},
                                     {"fashion_mnist_fixed_split", test_fashion_mnist_fixed_split},
                                     {"cleanup", cleanup_dir},
                                     {NULL, NULL}};
TB_TEST_MAIN("cli_data_dump", cases)
