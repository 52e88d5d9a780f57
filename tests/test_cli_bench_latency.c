/* test_cli_bench_latency.c: runs `tunebench bench latency` (the built binary, $TB_BINARY) on small generated data:
 * the header names the shape and batch, the percentiles parse and are ordered (min <= p50 <= p90 <= p99, all > 0
 * and below one second for a tiny MLP), the configuration reflects --set; and bad usage (unknown learner, missing
 * --data, --runs 0, a batch larger than the test part, an unknown key) is exit 2 with a message. Timings are not
 * checked against targets here: that is scripts/bench/learners.py's job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_fixture.h"

static char out[16384];

/* Runs `tunebench ARGS` (cli_fixture.h) with its output in out; returns the exit status. */
static int run(const char *args) { return cli_run(args, out, sizeof out); }

#define DATA "'gen:classification?n=400&d=12&classes=3&informative=6&seed=4'"

static void test_latency_output(void) {
  CU_ASSERT_EQUAL_FATAL(run("bench latency --learner mlp --data " DATA " --set units=24 --units 2 --runs 300 "
                            "--warmup 20 --batch 4 --device cpu"),
                        0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "12 features -> 3 outputs, batch 4, 300 runs after 20 warm-up, 2 units"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"units\": 24"));
  const char *p = strstr(out, "latency_us ");
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  double p50 = -1, p90 = -1, p99 = -1, mn = -1, mean = -1;
  CU_ASSERT_EQUAL(sscanf(p, "latency_us p50 %lf p90 %lf p99 %lf min %lf mean %lf", &p50, &p90, &p99, &mn, &mean), 5);
  CU_ASSERT(mn > 0 && mn <= p50 && p50 <= p90 && p90 <= p99);
  CU_ASSERT(mean >= mn && p99 < 1e6);
  /* another learner through the same path */
  CU_ASSERT_EQUAL(run("bench latency --learner logreg --data " DATA " --units 3 --runs 50 --device cpu"), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "latency_us p50 "));
}

static void test_latency_bad_input(void) {
  CU_ASSERT_EQUAL(run("bench latency --learner nosuch --data " DATA), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "nosuch"));
  CU_ASSERT_EQUAL(run("bench latency --learner mlp"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--data"));
  CU_ASSERT_EQUAL(run("bench latency --learner mlp --data " DATA " --runs 0"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--runs"));
  CU_ASSERT_EQUAL(run("bench latency --learner mlp --data " DATA " --batch 100000"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "--batch"));
  CU_ASSERT_EQUAL(run("bench latency --learner mlp --data " DATA " --set bogus=1"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "bogus"));
  CU_ASSERT_EQUAL(run("bench latency --learner mlp --data " DATA " --set units=0"), 2);
}

static const tb_test_case cases[] = {
    {"output", test_latency_output}, {"bad_input", test_latency_bad_input}, {NULL, NULL}};
TB_TEST_MAIN("cli_bench_latency", cases)
