/* test_data_load_bin.c: the binary dataset sources: idx (load_idx.c, plain and gzip), hdf5 (load_hdf5.c over
 * h5.c / tb_h5.h) and fashion-mnist (when the Debian package's files are installed; otherwise that one case prints
 * a notice and passes). Inputs are written at run time into a mkdtemp directory from a fixed-seed generator and
 * the loaded values are compared with the values written (pixels: |x - p/255| <= FLT_EPSILON; hdf5 floats:
 * exact, they are stored as float32). Bad inputs check the code and that the detail names the file (and the
 * dataset for hdf5). Text sources are in test_data_load.c. */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "tb_data.h"
#include "tb_h5.h"
#include "tb_test.h"

static char dir[64];
static uint64_t rng_state = 77;
static uint32_t urand32(void) { /* splitmix64, high half */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static const char *in_dir(const char *name) {
  static char buf[4][512];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, 512, "%s/%s", dir, name);
  return p;
}

static void expect_fail(const char *spec, int code, const char *n1, const char *n2) {
  tb_dataset *ds = (tb_dataset *)&ds;
  int rc = tb_data_load(spec, &ds);
  const char *d = tb_error_detail();
  int ok = rc == code && !ds && (!n1 || strstr(d, n1)) && (!n2 || strstr(d, n2));
  if (!ok) fprintf(stderr, "\n'%s': rc %d (want %d), detail '%s', want '%s' and '%s'\n", spec, rc, code, d,
                   n1 ? n1 : "", n2 ? n2 : "");
  CU_ASSERT(ok);
  if (ds && ds != (tb_dataset *)&ds) tb_dataset_free(ds);
}

/* ---- idx ---------------------------------------------------------------------------------------------------------- */

enum { N_IMG = 50, H = 5, W = 4 };
static uint8_t pix[N_IMG * H * W], lab[N_IMG];

static size_t be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
  return 4;
}

/* Writes an IDX file: magic, dims, then `payload` bytes of data (fewer than the dims say makes it truncated). */
static const char *write_idx(const char *name, uint32_t magic, int n_dims, const uint32_t *dims, const uint8_t *data,
                             size_t payload, int gz) {
  uint8_t head[16];
  size_t h = be32(head, magic);
  for (int i = 0; i < n_dims; i++) h += be32(head + h, dims[i]);
  const char *path = in_dir(name);
  if (gz) {
    gzFile f = gzopen(path, "wb6");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    gzwrite(f, head, (unsigned)h);
    if (payload) gzwrite(f, data, (unsigned)payload);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(head, 1, h, f);
    fwrite(data, 1, payload, f);
    fclose(f);
  }
  return path;
}

static void make_idx_data(void) {
  for (int i = 0; i < N_IMG * H * W; i++) /* smooth pattern plus noise: compresses, so gzip uses real deflate */
    pix[i] = (uint8_t)((i % W) * 40 + (i / W % H) * 20 + urand32() % 16 + (i % 97 == 0 ? 255 - 16 : 0));
  pix[3] = 0, pix[4] = 255;
  for (int i = 0; i < N_IMG; i++) lab[i] = (uint8_t)(urand32() % 7);
  lab[0] = 6;
}

static void check_idx(const char *spec) {
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load(spec, &ds));
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, N_IMG);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, H * W);
  CU_ASSERT_EQUAL(ds->task, TB_TASK_CLASSIFICATION);
  CU_ASSERT_EQUAL(ds->n_classes, 7);
  int bad = 0;
  for (int i = 0; i < N_IMG * H * W; i++) bad += fabs(ds->X[i] - pix[i] / 255.0) > FLT_EPSILON;
  for (int i = 0; i < N_IMG; i++) bad += ds->y_class[i] != lab[i];
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(ds->X[3], 0.0f);
  CU_ASSERT_EQUAL(ds->X[4], 1.0f);
  tb_dataset_free(ds);
}

static void test_idx_good(void) {
  make_idx_data();
  const uint32_t di[3] = {N_IMG, H, W}, dl[1] = {N_IMG};
  char spec[1200];
  for (int gz = 0; gz < 2; gz++) {
    const char *img = write_idx(gz ? "img.gz" : "img.idx", 0x803, 3, di, pix, sizeof pix, gz);
    const char *lb = write_idx(gz ? "lab.gz" : "lab.idx", 0x801, 1, dl, lab, sizeof lab, gz);
    snprintf(spec, sizeof spec, "idx:%s,%s", img, lb);
    check_idx(spec);
  }
}

static void test_idx_bad(void) {
  make_idx_data();
  const uint32_t di[3] = {N_IMG, H, W}, dl[1] = {N_IMG}, dl_short[1] = {N_IMG - 1};
  char spec[1200];
  const char *lb = write_idx("lab_ok.gz", 0x801, 1, dl, lab, sizeof lab, 1);
  for (int gz = 0; gz < 2; gz++) {
    const char *img = write_idx(gz ? "trunc.gz" : "trunc.idx", 0x803, 3, di, pix, 100, gz);
    snprintf(spec, sizeof spec, "idx:%s,%s", img, lb);
    expect_fail(spec, TB_ERR_FORMAT, gz ? "trunc.gz: truncated" : "trunc.idx: truncated",
                "expected 1000 bytes of pixels, got 100");
  }
  const char *img = write_idx("hdr.idx", 0x803, 1, di, pix, 0, 0); /* header cut after the first dimension */
  snprintf(spec, sizeof spec, "idx:%s,%s", img, lb);
  expect_fail(spec, TB_ERR_FORMAT, "hdr.idx: truncated", "16-byte IDX header");
  img = write_idx("magic.gz", 0x801, 3, di, pix, sizeof pix, 1);
  snprintf(spec, sizeof spec, "idx:%s,%s", img, lb);
  expect_fail(spec, TB_ERR_FORMAT, "magic.gz: bad magic 0x00000801", "expected 0x00000803");
  img = write_idx("img_ok.gz", 0x803, 3, di, pix, sizeof pix, 1);
  const char *short_lb = write_idx("lab_short.gz", 0x801, 1, dl_short, lab, sizeof lab - 1, 1);
  snprintf(spec, sizeof spec, "idx:%s,%s", img, short_lb);
  expect_fail(spec, TB_ERR_FORMAT, "count mismatch", "lab_short.gz has 49 labels");
  /* corrupt gzip: flip bytes in the middle of the deflate stream of a good file */
  FILE *f = fopen(img, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  uint8_t buf[8192];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  CU_ASSERT_FATAL(n > 100);
  for (size_t i = n / 2; i < n / 2 + 8; i++) buf[i] ^= 0x5a;
  const char *bad = in_dir("corrupt.gz");
  f = fopen(bad, "wb");
  fwrite(buf, 1, n, f);
  fclose(f);
  snprintf(spec, sizeof spec, "idx:%s,%s", bad, lb);
  expect_fail(spec, TB_ERR_FORMAT, "corrupt.gz", NULL);
  snprintf(spec, sizeof spec, "idx:%s,%s", in_dir("absent.gz"), lb);
  expect_fail(spec, TB_ERR_IO, "absent.gz", "No such file");
}

/* ---- hdf5 --------------------------------------------------------------------------------------------------------- */

static void test_hdf5(void) {
  enum { N = 64, D = 6 };
  float X[N * D], yf[N];
  int32_t yi[N];
  uint8_t Xu8[N * D];
  double yd[N];
  const char *names[N];
  for (int i = 0; i < N * D; i++) {
    X[i] = (float)((int)(urand32() % 20001) - 10000) / 128.0f;
    Xu8[i] = (uint8_t)urand32();
  }
  for (int i = 0; i < N; i++) {
    yi[i] = (int32_t[]){10, 20, -30}[urand32() % 3];
    yf[i] = (float)(urand32() % 1000) / 7.0f;
    yd[i] = yf[i];
    names[i] = "cat";
  }
  const char *path = in_dir("data.h5");
  tb_h5_file *f = NULL;
  TB_CHECK_OK(tb_h5_create(path, &f));
  const size_t dx[2] = {N, D}, dy[1] = {N}, dshort[1] = {N - 1}, d3[3] = {4, 4, N * D / 16};
  TB_CHECK_OK(tb_h5_write(f, "X", TB_H5_F32, 2, dx, X));
  TB_CHECK_OK(tb_h5_write(f, "Xu8", TB_H5_U8, 2, dx, Xu8));
  TB_CHECK_OK(tb_h5_write(f, "X3", TB_H5_F32, 3, d3, X));
  TB_CHECK_OK(tb_h5_write(f, "yi", TB_H5_I32, 1, dy, yi));
  TB_CHECK_OK(tb_h5_write(f, "yf", TB_H5_F32, 1, dy, yf));
  TB_CHECK_OK(tb_h5_write(f, "yd", TB_H5_F64, 1, dy, yd));
  TB_CHECK_OK(tb_h5_write(f, "yshort", TB_H5_I32, 1, dshort, yi));
  TB_CHECK_OK(tb_h5_write(f, "ystr", TB_H5_STR, 1, dy, names));
  float Xnan[N * D], Xinf[N * D]; /* one NaN cell (row 5, column 3), one infinite cell (row 9, column 2) */
  memcpy(Xnan, X, sizeof X);
  memcpy(Xinf, X, sizeof X);
  Xnan[4 * D + 2] = NAN;
  Xinf[8 * D + 1] = INFINITY;
  TB_CHECK_OK(tb_h5_write(f, "Xnan", TB_H5_F32, 2, dx, Xnan));
  TB_CHECK_OK(tb_h5_write(f, "Xinf", TB_H5_F32, 2, dx, Xinf));
  CU_ASSERT_EQUAL(tb_h5_write(f, "X", TB_H5_F32, 2, dx, X), TB_ERR_IO); /* exists already */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "'X'"));
  TB_CHECK_OK(tb_h5_close(f));

  char spec[1200];
  tb_dataset *ds = NULL;
  snprintf(spec, sizeof spec, "hdf5:%s?x=X&y=yi", path); /* integer y: classes -30, 10, 20 -> 0, 1, 2 */
  TB_CHECK_OK(tb_data_load(spec, &ds));
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, N);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, D);
  CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_CLASSIFICATION);
  CU_ASSERT_EQUAL_FATAL(ds->n_classes, 3);
  CU_ASSERT_EQUAL(memcmp(ds->X, X, sizeof X), 0);
  int bad = 0;
  for (int i = 0; i < N; i++) bad += ds->y_class[i] != (yi[i] == -30 ? 0 : yi[i] == 10 ? 1 : 2);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_STRING_EQUAL(ds->class_names[0], "-30");
  tb_dataset_free(ds);
  for (int k = 0; k < 2; k++) { /* float y (stored as float or double): regression; uint8 x converted to float */
    snprintf(spec, sizeof spec, "hdf5:%s?x=Xu8&y=%s", path, k ? "yd" : "yf");
    TB_CHECK_OK(tb_data_load(spec, &ds));
    CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_REGRESSION);
    bad = 0;
    for (int i = 0; i < N * D; i++) bad += ds->X[i] != (float)Xu8[i];
    for (int i = 0; i < N; i++) bad += ds->y_value[i] != yf[i];
    CU_ASSERT_EQUAL(bad, 0);
    tb_dataset_free(ds);
  }
  snprintf(spec, sizeof spec, "hdf5:%s?x=Xnan&y=yi&missing=nan", path); /* NaN kept when the SPEC says so */
  TB_CHECK_OK(tb_data_load(spec, &ds));
  CU_ASSERT(isnan(ds->X[4 * D + 2]));
  CU_ASSERT_EQUAL(ds->missing, TB_MISSING_NAN);
  tb_dataset_free(ds);
  snprintf(spec, sizeof spec, "hdf5:%s?x=X&y=yi&task=regression", path);
  TB_CHECK_OK(tb_data_load(spec, &ds));
  CU_ASSERT_EQUAL(ds->task, TB_TASK_REGRESSION);
  CU_ASSERT_EQUAL(ds->y_value[5], (float)yi[5]);
  tb_dataset_free(ds);

  struct {
    const char *keys;
    int code;
    const char *n1, *n2;
  } bads[] = {
      {"x=nope&y=yi", TB_ERR_NOT_FOUND, "no dataset 'nope'", NULL},
      {"x=X&y=nope", TB_ERR_NOT_FOUND, "no dataset 'nope'", NULL},
      {"x=yi&y=yi", TB_ERR_FORMAT, "dataset 'yi' has 1 dimension, expected 2", NULL},
      {"x=X3&y=yi", TB_ERR_FORMAT, "dataset 'X3' has 3 dimensions, expected 2", NULL},
      {"x=X&y=X", TB_ERR_FORMAT, "dataset 'X' has 2 dimensions, expected 1", NULL},
      {"x=X&y=ystr", TB_ERR_FORMAT, "dataset 'ystr' has non-numeric", NULL},
      {"x=ystr&y=yi", TB_ERR_FORMAT, "'ystr' has 1 dimension", NULL},
      {"x=X&y=yshort", TB_ERR_FORMAT, "x 'X' has 64 rows but y 'yshort' has 63 values", NULL},
      {"x=X", TB_ERR_INVALID, "y=DATASET", NULL},
      {"x=X&y=yi&z=1", TB_ERR_INVALID, "'z'", "x, y, task"},
      {"x=Xnan&y=yi", TB_ERR_FORMAT, "row 5, column 3: missing (NaN) value", "missing=nan"},
      {"x=Xinf&y=yi&missing=nan", TB_ERR_FORMAT, "row 9, column 2: infinite value", NULL},
  };
  for (size_t k = 0; k < sizeof bads / sizeof bads[0]; k++) {
    snprintf(spec, sizeof spec, "hdf5:%s?%s", path, bads[k].keys);
    expect_fail(spec, bads[k].code, bads[k].n1, bads[k].n2 ? bads[k].n2 : "data.h5");
  }
  /* not HDF5, truncated HDF5, missing file */
  const char *txt = in_dir("text.h5");
  FILE *t = fopen(txt, "w");
  fputs("this is not hdf5\n", t);
  fclose(t);
  snprintf(spec, sizeof spec, "hdf5:%s?x=X&y=yi", txt);
  expect_fail(spec, TB_ERR_FORMAT, "text.h5", "not an HDF5 file");
  FILE *src = fopen(path, "rb");
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, src);
  fclose(src);
  const char *cut = in_dir("cut.h5");
  FILE *c = fopen(cut, "wb");
  fwrite(buf, 1, n / 3, c);
  fclose(c);
  snprintf(spec, sizeof spec, "hdf5:%s?x=X&y=yi", cut);
  tb_dataset *dc = NULL;
  int rc = tb_data_load(spec, &dc); /* must fail cleanly, whatever part HDF5 notices first */
  CU_ASSERT(rc == TB_ERR_FORMAT || rc == TB_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NULL(dc);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "cut.h5"));
  snprintf(spec, sizeof spec, "hdf5:%s?x=X&y=yi", in_dir("absent.h5"));
  expect_fail(spec, TB_ERR_IO, "absent.h5", "No such file");
}

/* ---- fashion-mnist ---------------------------------------------------------------------------------------------- */

static void test_fashion_mnist(void) {
  struct stat st;
  if (stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", &st)) {
    printf("\n  NOTICE: /usr/share/datasets/fashion-mnist is not installed (dataset-fashion-mnist): case skipped\n");
    return;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load("fashion-mnist", &ds));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("\n  fashion-mnist loaded in %.2f s\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, 70000);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, 784);
  CU_ASSERT_EQUAL_FATAL(ds->n_classes, 10);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ds->fixed_split);
  size_t n_train = 0, per_class[10] = {0};
  int bad = 0;
  float lo = 1, hi = 0;
  for (size_t i = 0; i < ds->n_rows; i++) {
    bad += ds->fixed_split[i] != (i < 60000 ? TB_SPLIT_TRAIN : TB_SPLIT_TEST);
    bad += ds->y_class[i] < 0 || ds->y_class[i] >= 10;
    if (ds->fixed_split[i] == TB_SPLIT_TRAIN && ds->y_class[i] >= 0 && ds->y_class[i] < 10) {
      n_train++;
      per_class[ds->y_class[i]]++;
    }
  }
  for (size_t i = 0; i < ds->n_rows * 784; i++) {
    lo = ds->X[i] < lo ? ds->X[i] : lo;
    hi = ds->X[i] > hi ? ds->X[i] : hi;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(n_train, 60000);
  for (int c = 0; c < 10; c++) CU_ASSERT_EQUAL(per_class[c], 6000);
  CU_ASSERT(lo == 0.0f && hi == 1.0f);
  CU_ASSERT_STRING_EQUAL(ds->class_names[0], "T-shirt/top");
  CU_ASSERT_STRING_EQUAL(ds->class_names[9], "Ankle boot");
  uint32_t crc_all = tb_dataset_checksum(ds);
  tb_dataset *te = NULL;
  TB_CHECK_OK(tb_data_load("fashion-mnist?part=test", &te));
  CU_ASSERT_EQUAL(te->n_rows, 10000);
  CU_ASSERT_PTR_NULL(te->fixed_split);
  CU_ASSERT_EQUAL(memcmp(te->X, ds->X + (size_t)60000 * 784, (size_t)10000 * 784 * sizeof(float)), 0);
  CU_ASSERT_EQUAL(memcmp(te->y_class, ds->y_class + 60000, 10000 * sizeof(int32_t)), 0);
  tb_dataset_free(te);
  tb_dataset_free(ds);
  TB_CHECK_OK(tb_data_load("fashion-mnist", &ds)); /* same files, same data */
  CU_ASSERT_EQUAL(tb_dataset_checksum(ds), crc_all);
  tb_dataset_free(ds);
  expect_fail("fashion-mnist?part=valid", TB_ERR_INVALID, "part 'valid'", NULL);
}

static void test_fashion_mnist_missing(void) {
  char spec[600];
  snprintf(spec, sizeof spec, "fashion-mnist?root=%s/nothing", dir);
  expect_fail(spec, TB_ERR_IO, "train-images-idx3-ubyte.gz", "scripts/setup");
  expect_fail("fashion-mnist:/x", TB_ERR_INVALID, "no path", NULL);
}

static void test_cleanup(void) {
  DIR *d = opendir(dir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  struct dirent *e;
  char p[600];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      CU_ASSERT_EQUAL(remove(p), 0);
    }
  closedir(d);
  CU_ASSERT_EQUAL(remove(dir), 0);
}

static const tb_test_case cases[] = {{"idx_good", test_idx_good},
                                     {"idx_bad", test_idx_bad},
                                     {"hdf5", test_hdf5},
                                     {"fashion_mnist", test_fashion_mnist},
                                     {"fashion_mnist_missing", test_fashion_mnist_missing},
                                     {"cleanup", test_cleanup},
                                     {NULL, NULL}};

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/tb_data_load_bin_XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  return tb_test_run("data_load_bin", cases);
}
