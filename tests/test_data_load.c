/* test_data_load.c: the text dataset sources and the dispatcher (host/data/data.c, load_csv.c, load_libsvm.c,
 * load_labels.c). Inputs are written at run time into a mkdtemp directory from a fixed-seed generator, and what is
 * loaded is compared with the double-precision values that were written (tolerance: one float rounding,
 * |x - v| <= |v| * FLT_EPSILON). Every bad input checks the error code and that the detail names the file and the
 * line. The binary sources (idx, hdf5, fashion-mnist) are in test_data_load_bin.c. */
#include <float.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_data.h"
#include "tb_test.h"

static char dir[64];
static char path_buf[8][512];
static int path_next;

static uint64_t rng_state = 20240611;
static double urand(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

/* Writes content to dir/name; returns the full path (valid for the next 7 calls). */
static const char *write_file(const char *name, const char *content) {
  char *p = path_buf[path_next++ % 8];
  snprintf(p, 512, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(content, f);
  fclose(f);
  return p;
}

static tb_dataset *load_ok(const char *fmt, const char *path) {
  char spec[700];
  snprintf(spec, sizeof spec, fmt, path);
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load(spec, &ds));
  CU_ASSERT_STRING_EQUAL(ds->name, spec);
  return ds;
}

/* Loading must fail with code and a detail containing every non-NULL needle. */
static void expect_fail(const char *fmt, const char *path, int code, const char *n1, const char *n2) {
  char spec[700];
  snprintf(spec, sizeof spec, fmt, path);
  tb_dataset *ds = (tb_dataset *)&ds; /* poisoned: must come back NULL */
  int rc = tb_data_load(spec, &ds);
  const char *d = tb_error_detail();
  int ok = rc == code && !ds && (!n1 || strstr(d, n1)) && (!n2 || strstr(d, n2));
  if (!ok) fprintf(stderr, "\n'%s': rc %d (want %d), detail '%s', want '%s' and '%s'\n", spec, rc, code, d,
                   n1 ? n1 : "", n2 ? n2 : "");
  CU_ASSERT(ok);
  if (ds && ds != (tb_dataset *)&ds) tb_dataset_free(ds);
}

static int near(double x, double v) { return fabs(x - v) <= fabs(v) * FLT_EPSILON; }

/* ---- csv: good files ------------------------------------------------------------------------------------------ */

/* Header, label in the middle chosen by name, integer labels {-2, 3, 7} remapped to 0..2 in sorted order. */
static void test_csv_header_label_name(void) {
  enum { N = 300, D = 4 };
  static const int classes[3] = {7, -2, 3};
  double ref[N][D];
  int lab[N];
  char *text = malloc(N * 80 + 100), *p = text;
  p += sprintf(p, "a,b,target,c,d\n");
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) ref[i][j] = (urand() - 0.5) * pow(10, (int)(urand() * 8) - 3);
    lab[i] = classes[(int)(urand() * 3)];
    p += sprintf(p, "%.9g,%.9g,%d,%.9g,%.9g\n", ref[i][0], ref[i][1], lab[i], ref[i][2], ref[i][3]);
  }
  tb_dataset *ds = load_ok("csv:%s?label=target&header=1", write_file("h.csv", text));
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, N);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, D);
  CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_CLASSIFICATION);
  CU_ASSERT_EQUAL_FATAL(ds->n_classes, 3);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) bad += !near(ds->X[i * D + j], ref[i][j]);
    int want = lab[i] == -2 ? 0 : lab[i] == 3 ? 1 : 2;
    bad += ds->y_class[i] != want;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_STRING_EQUAL(ds->feature_names[0], "a");
  CU_ASSERT_STRING_EQUAL(ds->feature_names[2], "c");
  CU_ASSERT_STRING_EQUAL(ds->feature_names[3], "d");
  CU_ASSERT_STRING_EQUAL(ds->class_names[0], "-2");
  CU_ASSERT_STRING_EQUAL(ds->class_names[2], "7");
  tb_dataset_free(ds);
  /* the same file, label by index */
  ds = load_ok("csv:%s?label=2&header=1", path_buf[(path_next - 1) % 8]);
  CU_ASSERT_EQUAL(ds->n_cols, D);
  CU_ASSERT_EQUAL(ds->n_classes, 3);
  tb_dataset_free(ds);
  free(text);
}

/* No header, default label = last column, non-integer labels -> regression; task=classification forces classes. */
static void test_csv_regression_and_forced_task(void) {
  enum { N = 150, D = 3 };
  double ref[N][D + 1];
  char *text = malloc(N * 80), *p = text;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j <= D; j++) ref[i][j] = urand() * 20 - 10;
    ref[i][D] = floor(ref[i][D] * 4) / 4 + 0.25 * (i % 2 == 0); /* quarter steps, some not integers */
    p += sprintf(p, "%.9g,%.9g,%.9g,%.9g\n", ref[i][0], ref[i][1], ref[i][2], ref[i][3]);
  }
  const char *path = write_file("reg.csv", text);
  tb_dataset *ds = load_ok("csv:%s", path);
  CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_REGRESSION);
  CU_ASSERT_PTR_NULL(ds->y_class);
  CU_ASSERT_EQUAL(ds->n_classes, 0);
  CU_ASSERT_PTR_NULL(ds->feature_names);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) bad += !near(ds->X[i * D + j], ref[i][j]);
    bad += !near(ds->y_value[i], ref[i][D]);
  }
  CU_ASSERT_EQUAL(bad, 0);
  tb_dataset_free(ds);
  ds = load_ok("csv:%s?task=classification", path);
  CU_ASSERT_EQUAL(ds->task, TB_TASK_CLASSIFICATION);
  CU_ASSERT(ds->n_classes > 10 && ds->n_classes <= 81);
  for (size_t i = 1; i < ds->n_rows; i++) /* sorted order: class order follows value order */
    CU_ASSERT_EQUAL((ds->y_class[i] < ds->y_class[0]), (ref[i][D] < ref[0][D]));
  tb_dataset_free(ds);
  /* integer labels, task=regression keeps them as numbers */
  ds = load_ok("csv:%s?task=regression", write_file("ireg.csv", "1,5\n2,-3\n3,12\n"));
  CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_REGRESSION);
  CU_ASSERT_EQUAL(ds->y_value[1], -3.0f);
  tb_dataset_free(ds);
  free(text);
}

/* String labels, quoted fields with commas and "", CRLF, BOM, spaces, blank lines, nan. */
static void test_csv_strings_quotes_crlf(void) {
  const char *text = "\xEF\xBB\xBF" "x1,\"x,2\",species\r\n"
                     "1.5, 2 ,setosa\r\n"
                     "\"3\",4e-1,\"versi,color\"\r\n"
                     "\r\n"
                     "-5,nan,\"vir\"\"ginica\"\r\n"
                     "6,  7.25  ,setosa\r\n"
                     "\r\n\r\n";
  tb_dataset *ds = load_ok("csv:%s?header=1&label=species&missing=nan", write_file("str.csv", text));
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, 4);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, 2);
  CU_ASSERT_EQUAL_FATAL(ds->n_classes, 3);
  CU_ASSERT_STRING_EQUAL(ds->feature_names[0], "x1");
  CU_ASSERT_STRING_EQUAL(ds->feature_names[1], "x,2");
  CU_ASSERT_STRING_EQUAL(ds->class_names[0], "setosa");
  CU_ASSERT_STRING_EQUAL(ds->class_names[1], "versi,color");
  CU_ASSERT_STRING_EQUAL(ds->class_names[2], "vir\"ginica");
  const double want[4][2] = {{1.5, 2}, {3, 0.4}, {-5, NAN}, {6, 7.25}};
  const int want_y[4] = {0, 1, 2, 0};
  for (int i = 0; i < 4; i++) {
    CU_ASSERT(near(ds->X[i * 2], want[i][0]));
    CU_ASSERT(isnan(want[i][1]) ? isnan(ds->X[i * 2 + 1]) : near(ds->X[i * 2 + 1], want[i][1]));
    CU_ASSERT_EQUAL(ds->y_class[i], want_y[i]);
  }
  tb_dataset_free(ds);
  /* ';' and tab delimiters are detected from the first record (commas inside quotes do not count) */
  ds = load_ok("csv:%s", write_file("semi.csv", "1.5;2;\"a,b\"\n3;4.5;\"c,d\"\n"));
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, 2);
  CU_ASSERT(ds->X[1] == 2.0f && ds->X[3] == 4.5f && ds->n_classes == 2);
  CU_ASSERT_STRING_EQUAL(ds->class_names[1], "c,d");
  tb_dataset_free(ds);
  ds = load_ok("csv:%s", write_file("tab.csv", "1.5\t2\t0\n3\t4.5\t1\n"));
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, 2);
  CU_ASSERT(ds->X[2] == 3.0f && ds->X[3] == 4.5f && ds->y_class[1] == 1);
  tb_dataset_free(ds);
}

/* ---- csv: bad files ------------------------------------------------------------------------------------------- */

/* A file of n good rows of 6 fields, then `bad` as line n+1 (and one more good row). */
static const char *csv_with_bad_line(const char *name, int n, const char *bad) {
  static char text[8192];
  char *p = text;
  for (int i = 0; i < n; i++) p += sprintf(p, "%.6f,%.6f,%.6f,%.6f,%.6f,%d\n", urand(), urand(), urand(), urand(),
                                           urand(), i % 3);
  p += sprintf(p, "%s\n1,2,3,4,5,0\n", bad);
  return write_file(name, text);
}

static void test_csv_bad(void) {
  expect_fail("csv:%s", csv_with_bad_line("ragged.csv", 16, "1,2,3,4,5"), TB_ERR_FORMAT, "ragged.csv:17:",
              "5 fields, expected 6");
  expect_fail("csv:%s", csv_with_bad_line("cell.csv", 8, "1,2,abc,4,5,1"), TB_ERR_FORMAT, "cell.csv:9:3:",
              "'abc' is not a number");
  expect_fail("csv:%s", csv_with_bad_line("empty_cell.csv", 4, "1,2,3,,5,1"), TB_ERR_FORMAT, "empty_cell.csv:5:4:",
              "empty cell");
  expect_fail("csv:%s", csv_with_bad_line("empty_label.csv", 4, "1,2,3,4,5,"), TB_ERR_FORMAT,
              "empty_label.csv:5:6:", "empty label");
  expect_fail("csv:%s", csv_with_bad_line("quote.csv", 3, "1,2,\"3,4,5,1"), TB_ERR_FORMAT, "quote.csv:4:3:",
              "unterminated");
  expect_fail("csv:%s", csv_with_bad_line("after_quote.csv", 3, "1,2,\"3\"x,4,5,1"), TB_ERR_FORMAT,
              "after_quote.csv:4:3:", "closing quote");
  expect_fail("csv:%s", csv_with_bad_line("inf_label.csv", 5, "1,2,3,4,5,inf"), TB_ERR_FORMAT, "inf_label.csv:6:",
              "not a finite number");
  /* header=0 with a first line of names: a hint (without header= such a line is detected: test_data_prepare.c) */
  expect_fail("csv:%s?header=0", write_file("names.csv", "a,b,y\n1,2,0\n"), TB_ERR_FORMAT, "names.csv:1:1:",
              "header=1");
  /* missing and infinite cells (issue 21): refused with file:line:column unless missing= says otherwise */
  expect_fail("csv:%s", csv_with_bad_line("nan_cell.csv", 5, "1,nan,3,4,5,1"), TB_ERR_FORMAT, "nan_cell.csv:6:2:",
              "missing=");
  expect_fail("csv:%s?missing=nan", csv_with_bad_line("inf_cell.csv", 5, "1,2,inf,4,5,1"), TB_ERR_FORMAT,
              "inf_cell.csv:6:3:", "infinite");
  expect_fail("csv:%s?missing=impute-mean", csv_with_bad_line("big_cell.csv", 7, "1,2,3,1e400,5,1"), TB_ERR_FORMAT,
              "big_cell.csv:8:4:", "infinite");
  expect_fail("csv:%s?missing=drop", csv_with_bad_line("pol.csv", 2, "1,2,3,4,5,1"), TB_ERR_INVALID, "'missing'",
              "error, nan or impute-mean");
  /* label column */
  const char *hdr = write_file("hdr.csv", "a,b,y\n1,2,0\n3,4,1\n");
  expect_fail("csv:%s?header=1&label=z", hdr, TB_ERR_NOT_FOUND, "hdr.csv", "'z' not found (columns: a, b, y)");
  expect_fail("csv:%s?header=1&label=3", hdr, TB_ERR_NOT_FOUND, "hdr.csv", "'3'");
  expect_fail("csv:%s?label=y", write_file("nohdr.csv", "1,2,0\n3,4,1\n"), TB_ERR_NOT_FOUND, "nohdr.csv",
              "add header=1");
  expect_fail("csv:%s?header=2", hdr, TB_ERR_RANGE, "header", NULL);
  expect_fail("csv:%s?task=ranking", hdr, TB_ERR_INVALID, "ranking", NULL);
  expect_fail("csv:%s?header=1&lable=y", hdr, TB_ERR_INVALID, "'lable'", "allowed: label, header, task");
  /* empty, only blank lines, only a header, one column, missing, a directory */
  expect_fail("csv:%s", write_file("empty.csv", ""), TB_ERR_FORMAT, "empty.csv", "empty file");
  expect_fail("csv:%s", write_file("blank.csv", "\n \r\n\n"), TB_ERR_FORMAT, "blank.csv", "empty file");
  expect_fail("csv:%s?header=1", write_file("only_header.csv", "a,b,y\r\n"), TB_ERR_FORMAT, "only_header.csv",
              "no data rows");
  expect_fail("csv:%s", write_file("one_col.csv", "1\n2\n"), TB_ERR_FORMAT, "one_col.csv:1", "no features");
  char missing[600];
  snprintf(missing, sizeof missing, "%s/no_such_file.csv", dir);
  expect_fail("csv:%s", missing, TB_ERR_IO, "no_such_file.csv", "No such file");
  expect_fail("csv:%s", dir, TB_ERR_IO, dir, "directory");
  /* string label with task=regression */
  expect_fail("csv:%s?task=regression", write_file("strreg.csv", "1,2.5\n2,x\n"), TB_ERR_FORMAT, "strreg.csv:2",
              "not a number");
}

/* ---- libsvm ------------------------------------------------------------------------------------------------------ */

static void test_libsvm_good(void) {
  enum { N = 120, D = 17 };
  static double ref[N][D];
  int lab[N];
  char *text = malloc(N * D * 24 + 200), *p = text;
  p += sprintf(p, "# a comment line\n\n");
  for (int i = 0; i < N; i++) {
    lab[i] = urand() < 0.5 ? -1 : 1;
    p += sprintf(p, "%s%d", lab[i] > 0 ? "+" : "", lab[i]);
    for (int j = 0; j < D; j++) {
      ref[i][j] = urand() < 0.3 || (i == 7 && j == D - 1) ? (urand() - 0.5) * 1e3 : 0;
      if (ref[i][j] != 0) p += sprintf(p, "%s%d:%.9g", urand() < 0.5 ? " " : "\t", j + 1, ref[i][j]);
    }
    p += sprintf(p, i % 5 == 0 ? "  # trailing comment\r\n" : "\n");
  }
  tb_dataset *ds = load_ok("libsvm:%s", write_file("good.svm", text));
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, N);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, D);
  CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_CLASSIFICATION);
  CU_ASSERT_EQUAL_FATAL(ds->n_classes, 2);
  int bad = 0;
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < D; j++) bad += !near(ds->X[i * D + j], ref[i][j]);
    bad += ds->y_class[i] != (lab[i] > 0);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_STRING_EQUAL(ds->class_names[0], "-1");
  CU_ASSERT_STRING_EQUAL(ds->class_names[1], "+1");
  tb_dataset_free(ds);
  /* regression targets; a row with no features is all zeros */
  ds = load_ok("libsvm:%s", write_file("reg.svm", "0.5 1:2 3:-1.25\n-2.75\n1e-3 2:4\n"));
  CU_ASSERT_EQUAL_FATAL(ds->task, TB_TASK_REGRESSION);
  CU_ASSERT_EQUAL_FATAL(ds->n_cols, 3);
  const float want[9] = {2, 0, -1.25f, 0, 0, 0, 0, 4, 0};
  CU_ASSERT_EQUAL(memcmp(ds->X, want, sizeof want), 0);
  CU_ASSERT(near(ds->y_value[1], -2.75) && near(ds->y_value[2], 1e-3));
  tb_dataset_free(ds);
  free(text);
}

static void test_libsvm_bad(void) {
  const char *good = "1 1:0.5 2:1\n0 2:3\n";
  char text[256];
  struct {
    const char *name, *line, *needle;
  } cases[] = {
      {"tok.svm", "1 1:0.5 junk", "bad token 'junk'"},
      {"zero.svm", "1 0:0.5", "index 0"},
      {"order.svm", "1 3:1 2:1", "index 2 after 3"},
      {"dup.svm", "1 2:1 2:1", "index 2 after 2"},
      {"val.svm", "1 1:abc", "value 'abc' of index 1"},
      {"label.svm", "yes 1:1", "label 'yes' is not a number"},
      {"nanlab.svm", "nan 1:1", "not a finite number"},
      {"nanval.svm", "1 1:0.5 3:nan", "3:11: missing value"},
      {"infval.svm", "1 2:1e400", "3:5: infinite"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    snprintf(text, sizeof text, "%s%s\n0 1:1\n", good, cases[k].line);
    char where[64];
    snprintf(where, sizeof where, "%s:3:", cases[k].name);
    expect_fail("libsvm:%s", write_file(cases[k].name, text), TB_ERR_FORMAT, where, cases[k].needle);
  }
  expect_fail("libsvm:%s", write_file("empty.svm", "# nothing\n\n"), TB_ERR_FORMAT, "empty.svm", "empty");
  expect_fail("libsvm:%s", write_file("nofeat.svm", "1\n0\n"), TB_ERR_FORMAT, "nofeat.svm", "no features");
  expect_fail("libsvm:%s?label=0", write_file("key.svm", good), TB_ERR_INVALID, "'label'", "allowed: task");
}

/* ---- the dispatcher ---------------------------------------------------------------------------------------------- */

static void test_dispatch(void) {
  expect_fail("%s", "arff:data.arff", TB_ERR_NOT_FOUND, "unknown source kind 'arff'", "known: csv, libsvm, idx");
  expect_fail("%s", "gen:nothing?n=3", TB_ERR_NOT_FOUND, "'gen:nothing'", "gen:classification");
  expect_fail("%s", "", TB_ERR_INVALID, "empty", NULL);
  expect_fail("%s", "csv:", TB_ERR_INVALID, "missing path", NULL);
  expect_fail("%s", "fashion-mnist?nope=1", TB_ERR_INVALID, "'nope'", "root, part");
  expect_fail("%s", "idx:only_one_file.gz", TB_ERR_INVALID, "IMAGES,LABELS", NULL);
  /* a key error from a loader is prefixed with the SPEC when the detail does not name it */
  expect_fail("%s", "csv:whatever.csv?header=x", TB_ERR_INVALID, "dataset 'csv:whatever.csv?header=x'", "header");
}

/* Removes the files of the (flat) temporary directory, then the directory. */
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

static const tb_test_case cases[] = {{"csv_header_label_name", test_csv_header_label_name},
                                     {"csv_regression_and_forced_task", test_csv_regression_and_forced_task},
                                     {"csv_strings_quotes_crlf", test_csv_strings_quotes_crlf},
                                     {"csv_bad", test_csv_bad},
                                     {"libsvm_good", test_libsvm_good},
                                     {"libsvm_bad", test_libsvm_bad},
                                     {"dispatch", test_dispatch},
                                     {"cleanup", test_cleanup},
                                     {NULL, NULL}};

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/tb_data_load_XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  return tb_test_run("data_load", cases);
}
