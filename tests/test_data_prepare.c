/* test_data_prepare.c: the one data path (tb_data_prepare, host/data/prepare.c) and what issue 21 found silently
 * wrong in the data: a CSV header detected without header=1; missing= policies (nan kept, impute-mean with the
 * train rows' means only, the dense learners refusing NaN, the trees training on it); the label warning for a
 * column that looks like an ID; and, through the built binary, a suite trial and `tunebench train` with the trial's
 * split seed, seed and configuration giving the same validation loss on a CSV whose features have scales from
 * 1e-3 to 1e4 (before the fix the suite trained on raw features), with the training loss recorded in curves.
 * Inputs are written at run time into a mkdtemp directory from a fixed-seed generator. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_backend.h"
#include "tb_data.h"
#include "tb_model.h"
#include "tb_suite.h"
#include "cli_fixture.h"
#include "tb_test.h"

static char dir[64];

static uint64_t rng_state = 20261205;
static double urand(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}
static double gauss(void) { return sqrt(-2.0 * log(1.0 - urand())) * cos(6.283185307179586 * urand()); }

static const char *write_file(const char *name, const char *content) {
  static char p[4][512];
  static int k;
  char *path = p[k++ % 4];
  snprintf(path, 512, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(content, f);
  fclose(f);
  return path;
}

static tb_dataset *load(const char *fmt, const char *path) {
  char spec[700];
  tb_dataset *ds = NULL;
  snprintf(spec, sizeof spec, fmt, path);
  int rc = tb_data_load(spec, &ds);
  if (rc < 0) fprintf(stderr, "\n%s: %s\n", spec, tb_error_detail());
  CU_ASSERT_EQUAL(rc, TB_OK);
  return ds;
}

/* A header row is detected when the label is named in it or a feature cell is not a number. */
static void test_header_detected(void) {
  const char *p = write_file("named.csv", "a,b,target\n1,2,0\n3,4,1\n5,6,0\n");
  tb_dataset *ds = load("csv:%s?label=target", p);
  CU_ASSERT_EQUAL_FATAL(ds->n_rows, 3);
  CU_ASSERT_STRING_EQUAL(ds->feature_names[0], "a");
  CU_ASSERT_EQUAL(ds->X[0], 1.0f);
  tb_dataset_free(ds);
  ds = load("csv:%s", p); /* label not named: 'a' is not a number */
  CU_ASSERT_EQUAL(ds->n_rows, 3);
  tb_dataset_free(ds);
  ds = load("csv:%s", write_file("str.csv", "x1,x2,species\n1,2,setosa\n3,4,virginica\n"));
  CU_ASSERT_EQUAL(ds->n_rows, 2);
  CU_ASSERT_EQUAL(ds->n_classes, 2);
  tb_dataset_free(ds);
  ds = load("csv:%s", write_file("num.csv", "1,2,0\n3,4,1\n")); /* a numeric first row is data */
  CU_ASSERT_EQUAL(ds->n_rows, 2);
  tb_dataset_free(ds);
}

/* missing=nan keeps NaN; impute-mean fills it with the train rows' mean (0 after standardising), never with a
 * mean that saw valid or test rows. */
static void test_missing_policies(void) {
  char text[8192], *w = text;
  w += sprintf(w, "a,b,y\n");
  for (int i = 0; i < 100; i++) w += sprintf(w, "%s,%.6f,%d\n", i % 10 == 3 ? "nan" : (i % 2 ? "1" : "3"), urand(), i % 2);
  const char *p = write_file("miss.csv", text);
  tb_dataset *ds = load("csv:%s?missing=nan", p);
  CU_ASSERT_EQUAL(ds->missing, TB_MISSING_NAN);
  CU_ASSERT(isnan(ds->X[3 * 2]));
  CU_ASSERT_EQUAL(tb_data_count_missing(ds, NULL, ds->n_rows), 10);
  tb_dataset_free(ds);

  ds = load("csv:%s?missing=impute-mean", p);
  tb_split_spec sp = tb_split_spec_default();
  sp.seed = 3;
  tb_splits s;
  tb_standardizer st;
  float raw[200];
  memcpy(raw, ds->X, sizeof raw);
  TB_CHECK_OK(tb_data_prepare(ds, &sp, &s, &st));
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < s.n_train; i++)
    if (!isnan(raw[s.train[i] * 2])) sum += raw[s.train[i] * 2], n++;
  CU_ASSERT(fabs(st.mean[0] - sum / n) < 1e-12);
  CU_ASSERT_EQUAL(tb_data_count_missing(ds, NULL, ds->n_rows), 0);
  for (size_t i = 0; i < ds->n_rows; i++)
    if (isnan(raw[i * 2])) CU_ASSERT(fabsf(ds->X[i * 2]) < 1e-6f);
  tb_splits_free(&s);
  tb_standardizer_free(&st);
  tb_dataset_free(ds);
}

/* Dense learners refuse NaN features; the trees train on them. */
static void test_missing_learners(void) {
  char text[16384], *w = text;
  w += sprintf(w, "a,b,y\n");
  for (int i = 0; i < 200; i++) {
    int c = i % 2;
    char a[32];
    snprintf(a, sizeof a, "%.6f", c + 0.3 * gauss());
    w += sprintf(w, "%s,%.6f,%d\n", i % 7 == 0 ? "nan" : a, c + 0.3 * gauss(), c);
  }
  tb_dataset *ds = load("csv:%s?missing=nan", write_file("miss2.csv", text));
  tb_split_spec sp = tb_split_spec_default();
  tb_splits s;
  tb_standardizer st;
  TB_CHECK_OK(tb_data_prepare(ds, &sp, &s, &st));
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  tb_devdata *dd = NULL;
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  TB_CHECK_OK(tb_devdata_create(be, ds, &dd));
  tb_parts parts = {s.train, s.n_train, s.valid, s.n_valid};
  const char *names[] = {"mlp", "logreg", "gbdt", "forest"};
  for (int k = 0; k < 4; k++) {
    const tb_learner *L = tb_learner_find(names[k]);
    tb_space *spc = NULL;
    TB_CHECK_OK(tb_learner_space(L, &spc));
    double x[64];
    tb_learner_defaults(L, spc, x);
    tb_model *m = NULL;
    int rc = tb_model_create(L, spc, x, dd, &parts, 1, &m);
    if (k < 2) {
      CU_ASSERT_EQUAL(rc, TB_ERR_INVALID);
      CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "missing=impute-mean"));
    } else {
      TB_CHECK_OK(rc);
      TB_CHECK_OK(tb_model_train(m, 3));
      tb_metrics mt;
      TB_CHECK_OK(tb_model_evaluate(m, s.valid, s.n_valid, &mt));
      if (!(mt.accuracy > 0.8)) fprintf(stderr, "\n%s: valid accuracy %g\n", names[k], mt.accuracy);
      CU_ASSERT(mt.accuracy > 0.8);
    }
    tb_model_free(m);
    tb_space_free(spc);
  }
  tb_devdata_free(dd);
  tb_backend_free(be);
  tb_splits_free(&s);
  tb_standardizer_free(&st);
  tb_dataset_free(ds);
}

static void test_label_warning(void) {
  char *text = malloc(1 << 20), *w = text, buf[512];
  w += sprintf(w, "a,id\n");
  for (int i = 0; i < 3000; i++) w += sprintf(w, "%.4f,%d\n", urand(), 100000 + i);
  tb_dataset *ds = load("csv:%s", write_file("ids.csv", text));
  CU_ASSERT_EQUAL(tb_data_label_warning(ds, buf, sizeof buf), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "3000 distinct values"));
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "task=regression"));
  tb_dataset_free(ds);
  TB_CHECK_OK(tb_data_load("gen:classification?n=300&classes=3&informative=4", &ds));
  CU_ASSERT_EQUAL(tb_data_label_warning(ds, buf, sizeof buf), 0);
  CU_ASSERT_STRING_EQUAL(buf, "");
  tb_dataset_free(ds);
  free(text);
}

static void on_progress(void *ctx, const tb_suite_progress *p) {
  if (p->event == TB_SUITE_EV_WARNING) snprintf(ctx, 512, "%s", p->warning);
}

/* A suite on an ID-like label column gets the warning as a progress event (the library never prints). */
static void test_label_warning_suite(void) {
  char *text = malloc(1 << 16), *w = text, yaml[1024], out[600], got[512] = "";
  w += sprintf(w, "a,b,id\n");
  for (int i = 0; i < 600; i++) w += sprintf(w, "%.4f,%.4f,%d\n", urand(), urand(), 7000 + i / 3);
  snprintf(yaml, sizeof yaml, "name: w\ndatasets: [\"csv:%s\"]\nlearners:\n  - name: mlp\n    space: {units: 16}\n"
           "strategies: [{name: random, sampler: random}]\nbudget: {trials: 1, fidelity: {max: 1}}\ndevice: cpu\n"
           "jobs: 1\n", write_file("ids200.csv", text));
  tb_suite *s = NULL;
  TB_CHECK_OK(tb_suite_parse("w.yaml", yaml, strlen(yaml), &s));
  snprintf(out, sizeof out, "%s/w.h5", dir);
  tb_suite_run_options o = {0};
  o.out = out, o.progress = on_progress, o.progress_ctx = got;
  TB_CHECK_OK(tb_suite_run(s, &o, NULL));
  CU_ASSERT_PTR_NOT_NULL(strstr(got, "200 distinct values for 600 rows"));
  tb_suite_free(s);
  free(text);
}

/* Runs cmd, returns its stdout (malloc'ed). */
static char *run(const char *cmd) {
  FILE *f = popen(cmd, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  for (size_t k; (k = fread(out + n, 1, cap - n - 1, f)) > 0;) {
    n += k;
    if (n + 1 == cap) out = realloc(out, cap *= 2);
  }
  out[n] = '\0';
  CU_ASSERT_EQUAL(pclose(f), 0);
  return out;
}

/* Column `name` of CSV data line `line` under header `hdr` (both in place, comma-separated, no quotes). */
static const char *csv_field(const char *hdr, const char *line, const char *name, char *buf, size_t len) {
  int col = -1, k = 0;
  for (const char *p = hdr; *p && *p != '\n'; k++) {
    size_t n = strcspn(p, ",\n");
    if (n == strlen(name) && !strncmp(p, name, n)) col = k;
    p += n + (p[n] == ',');
  }
  CU_ASSERT_FATAL(col >= 0);
  const char *p = line;
  for (k = 0; k < col; k++) p += strcspn(p, ",\n") + 1;
  snprintf(buf, len, "%.*s", (int)strcspn(p, ",\n"), p);
  return buf;
}

/* A suite trial and `train --split-seed S --seed T --set ...` see the same data and give the same numbers. */
static void test_suite_trial_equals_train(void) {
  const char *bin = cli_binary(); /* cli_fixture.h: $TB_BINARY, or the test is skipped */
  const double scale[6] = {1, 1000, 0.001, 50, 1e4, 3};
  char *text = malloc(1 << 16), *w = text, cmd[4096], yaml[1024], b1[64], b2[64], b3[64], b4[64];
  w += sprintf(w, "a,b,c,d,e,f,cls\n");
  for (int i = 0; i < 300; i++) {
    for (int j = 0; j < 6; j++) w += sprintf(w, "%.6g,", (gauss() + 0.8 * (i % 3) * (j % 3 + 1) + 5) * scale[j]);
    w += sprintf(w, "%d\n", i % 3);
  }
  char csv[600];
  snprintf(csv, sizeof csv, "%s", write_file("scaled.csv", text));
  snprintf(yaml, sizeof yaml,
           "name: eq\ndatasets:\n  - {spec: \"csv:%s?label=cls\", name: scaled, split_seed: 7}\nlearners:\n"
           "  - name: mlp\n    others: default\n    space:\n      units: {low: 16, high: 64, log: true}\n"
           "      lr: {low: 0.001, high: 0.1, log: true}\n      epochs: 4\nstrategies:\n  - {name: random, sampler: random}\n"
           "budget: {trials: 3, fidelity: {max: 4}}\nseed: 4\njobs: 1\ndevice: cpu\nobjectives: [valid_loss]\n", csv);
  const char *suite = write_file("eq.yaml", yaml);
  snprintf(cmd, sizeof cmd, "%s run %s --out %s/eq.h5 --no-report >/dev/null 2>&1 && %s export %s/eq.h5 --format csv "
           "--table trials", bin, suite, dir, bin, dir);
  char *trials = run(cmd);
  const char *hdr = trials, *line = strchr(trials, '\n');
  CU_ASSERT_PTR_NOT_NULL_FATAL(line);
  for (int t = 0; t < 3 && line && line[1]; t++, line = strchr(line + 1, '\n')) {
    line++;
    double suite_loss = atof(csv_field(hdr, line, "obj_valid_loss", b1, sizeof b1));
    snprintf(cmd, sizeof cmd, "%s train --learner mlp --data 'csv:%s?label=cls' --device cpu --split-seed 7 --seed %s "
             "--set units=%s --set lr=%s --set epochs=4", bin, csv, csv_field(hdr, line, "seed", b2, sizeof b2),
             csv_field(hdr, line, "param_units", b3, sizeof b3), csv_field(hdr, line, "param_lr", b4, sizeof b4));
    char *out = run(cmd);
    const char *e4 = strstr(out, "epochs 4  valid loss ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e4);
    double train_loss = atof(e4 + strlen("epochs 4  valid loss "));
    if (!(fabs(train_loss - suite_loss) <= 5e-5))
      fprintf(stderr, "\ntrial %d: suite valid_loss %.6f, train %.4f\n", t, suite_loss, train_loss);
    CU_ASSERT(fabs(train_loss - suite_loss) <= 5e-5);
    free(out);
  }
  free(trials);
  /* curves.train_loss holds the epochs' training losses */
  snprintf(cmd, sizeof cmd, "%s export %s/eq.h5 --format csv --table curves", bin, dir);
  char *curves = run(cmd);
  int rows = 0, finite = 0;
  for (const char *l = strchr(curves, '\n'); l && l[1]; l = strchr(l + 1, '\n'), rows++) {
    double v = atof(csv_field(curves, l + 1, "train_loss", b1, sizeof b1));
    finite += isfinite(v) && v > 0;
  }
  CU_ASSERT_EQUAL(rows, 12);
  CU_ASSERT_EQUAL(finite, rows);
  free(curves);
  free(text);
}

static const tb_test_case cases[] = {{"header_detected", test_header_detected},
                                     {"missing_policies", test_missing_policies},
                                     {"missing_learners", test_missing_learners},
                                     {"label_warning", test_label_warning},
                                     {"label_warning_suite", test_label_warning_suite},
                                     {"suite_trial_equals_train", test_suite_trial_equals_train},
                                     {NULL, NULL}};

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/tb_data_prepare_XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  return tb_test_run("data_prepare", cases);
}
