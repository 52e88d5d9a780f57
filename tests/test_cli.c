/* test_cli.c: runs the built `tunebench` binary (path in $TB_BINARY, set by CTest) and checks its output and exit
 * codes: --version, --help, data info on generated and file data, device selection, and bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_fixture.h"
#include "tb_backend.h"

static char out[65536];

static void test_version_help(void) {
  CU_ASSERT_EQUAL(cli_run("--version", out, sizeof out), 0);
  CU_ASSERT_EQUAL(strncmp(out, "tunebench ", 10), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, tb_backend_cuda_built() ? "CUDA" : "CUDA not built"));
  CU_ASSERT_EQUAL(cli_run("--help", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "data info SPEC"));
  CU_ASSERT_EQUAL(cli_run("", out, sizeof out), 2);
  CU_ASSERT_EQUAL(cli_run("frobnicate", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "unknown command 'frobnicate'"));
}

/* Extracts the "checksum  crc32:XXXXXXXX" value. */
static void checksum_of(const char *text, char sum[9]) {
  const char *p = strstr(text, "crc32:");
  sum[0] = '\0';
  if (p) {
    memcpy(sum, p + 6, 8);
    sum[8] = '\0';
  }
}

static void test_data_info_generated(void) {
  char a[9], b[9], c[9];
  CU_ASSERT_EQUAL(cli_run("data info 'gen:classification?n=500&d=8&classes=3&informative=4&seed=1'", out, sizeof out),
                  0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows      500"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "features  8"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "3 classes"));
  checksum_of(out, a);
  CU_ASSERT_EQUAL(cli_run("data info 'gen:classification?n=500&d=8&classes=3&informative=4&seed=1'", out, sizeof out),
                  0);
  checksum_of(out, b);
  CU_ASSERT_EQUAL(cli_run("data info 'gen:classification?n=500&d=8&classes=3&informative=4&seed=2'", out, sizeof out),
                  0);
  checksum_of(out, c);
  CU_ASSERT_EQUAL(strlen(a), 8);
  CU_ASSERT_STRING_EQUAL(a, b);
  CU_ASSERT_STRING_NOT_EQUAL(a, c);
  CU_ASSERT_EQUAL(cli_run("data info 'gen:friedman1?n=200&seed=3'", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "regression"));
}

static void test_data_info_csv_and_errors(void) {
  char dir[] = "/tmp/tb_cli_XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[256], args[512];
  snprintf(path, sizeof path, "%s/ok.csv", dir);
  FILE *f = fopen(path, "w");
  fputs("a,b,label\n1.5,2,0\n3,4.25,1\n-1,0.5,1\n", f);
  fclose(f);
  snprintf(args, sizeof args, "data info 'csv:%s?header=1'", path);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows      3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "features  2"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "2 classes"));
  snprintf(path, sizeof path, "%s/ragged.csv", dir);
  f = fopen(path, "w");
  fputs("1,2,0\n3,4,1\n5,1\n", f);
  fclose(f);
  snprintf(args, sizeof args, "data info 'csv:%s'", path);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "ragged.csv:3")); /* file and line */
  CU_ASSERT_EQUAL(cli_run("data info 'csv:/nonexistent/x.csv'", out, sizeof out), 1); /* I/O: a failure, not usage */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent/x.csv"));
  CU_ASSERT_EQUAL(cli_run("data info 'nosuchkind:abc'", out, sizeof out), 2);
  CU_ASSERT_EQUAL(cli_run("data info 'gen:classification?n=10&bogus=1'", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "bogus"));
  CU_ASSERT_EQUAL(cli_run("data info", out, sizeof out), 2);
  CU_ASSERT_EQUAL(cli_run("data frob x", out, sizeof out), 2);
  remove(path);
  snprintf(path, sizeof path, "%s/ok.csv", dir);
  remove(path);
  rmdir(dir);
}

static void test_fashion_mnist(void) {
  if (access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) != 0) {
    printf("(dataset-fashion-mnist not installed: case not run) ");
    return;
  }
  CU_ASSERT_EQUAL(cli_run("data info fashion-mnist", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "train 60000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "test 10000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "features  784"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "10 classes"));
  CU_ASSERT_EQUAL(cli_run("data info 'fashion-mnist?n=6000'", out, sizeof out), 0); /* a subset: N train + N/6 test */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows      7000 (train 6000, valid 0, test 1000"));
  CU_ASSERT_EQUAL(cli_run("data info 'fashion-mnist?part=test&n=500'", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "rows      500"));
  CU_ASSERT_EQUAL(cli_run("data info 'fashion-mnist?n=0'", out, sizeof out), 2);
}

static void test_device(void) {
  CU_ASSERT_EQUAL(cli_run("device --device cpu", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "selected      cpu"));
  CU_ASSERT_EQUAL(cli_run("device --device bogus", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "bogus"));
  if (tb_backend_cuda_device_count() == 0) {
    CU_ASSERT_EQUAL(cli_run("device --device cuda", out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "cuda:0"));
    CU_ASSERT_EQUAL(cli_run("device --device auto", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "using the CPU"));
  } else {
    CU_ASSERT_EQUAL(cli_run("device --device cuda", out, sizeof out), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "selected      cuda:0"));
  }
}

/* The end-to-end check learns: a separable generated problem reaches a high test accuracy, the same seed gives
 * the same output, and bad arguments are rejected. */
static void test_check(void) {
  const char *args = "check --data 'gen:classification?n=3000&d=10&informative=5&classes=3&class_sep=2&seed=4' "
                     "--device cpu --epochs 30 --batch 64 --seed 1";
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 0);
  const char *p = strstr(out, "test acc ");
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  double acc = atof(p + 9);
  CU_ASSERT(acc > 0.8 && acc <= 1.0);
  char first[128];
  snprintf(first, sizeof first, "%.16s", p);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 0);
  p = strstr(out, "test acc ");
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  CU_ASSERT_EQUAL(strncmp(first, p, strlen(first)), 0);
  CU_ASSERT_EQUAL(cli_run("check --epochs 0", out, sizeof out), 2);
  CU_ASSERT_EQUAL(cli_run("check --data 'gen:friedman1?n=100'", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "regression"));
  CU_ASSERT_EQUAL(cli_run("check --device bogus", out, sizeof out), 2);
}

/* bench samplers: a short run prints a row per sampler; bad --option values, names and samplers are usage errors
 * (exit 2) that name the problem, before anything runs. */
static void test_bench_samplers(void) {
  CU_ASSERT_EQUAL(cli_run("bench samplers --function branin --sampler tpe --sampler random --seeds 2 --trials 20 "
                      "--timing none --option tpe:magic_clip_exponent=1.5",
                      out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "branin         tpe"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "branin         random"));
  CU_ASSERT_PTR_NULL(strstr(out, "unavailable"));
  const char *bad[][2] = {{"tpe:magic_clip_exponent=5", "outside [0.5, 4]"},
                          {"tpe:gama=0.1", "unknown option 'gama'"},
                          {"tpee:gamma=0.1", "unknown sampler"},
                          {"gp:acq=foo", "not one of"},
                          {"tpe", "need SAMPLER:NAME=VALUE"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char args[256];
    snprintf(args, sizeof args, "bench samplers --function branin --sampler tpe --seeds 1 --timing none --option %s",
             bad[i][0]);
    CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, bad[i][1]));
    CU_ASSERT_PTR_NULL(strstr(out, "regret mean")); /* nothing ran */
  }
}

static const tb_test_case cases[] = {{"version_help", test_version_help},
                                     {"bench_samplers", test_bench_samplers},
                                     {"check", test_check},
                                     {"data_info_generated", test_data_info_generated},
                                     {"data_info_csv_and_errors", test_data_info_csv_and_errors},
                                     {"fashion_mnist", test_fashion_mnist},
                                     {"device", test_device},
                                     {NULL, NULL}};
TB_TEST_MAIN("cli", cases)
