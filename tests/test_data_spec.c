/* test_data_spec.c: tests of host/data/spec.c, the SPEC strings "kind[:path][?key=value&...]" shared by every dataset
 * source: parsing (kinds, paths, gen: kinds, keys), the typed getters (good, absent, malformed, out of range),
 * tb_spec_check_unused, and bad SPECs. A fixed-seed random round trip checks many keys and values. Not a test of
 * the loaders (test_data_load.c). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tb_data.h"
#include "tb_test.h"

static void test_parse_forms(void) {
  tb_spec s;
  TB_CHECK_OK(tb_spec_parse("csv:/tmp/a b/data.csv?label=species&header=1", &s));
  CU_ASSERT_STRING_EQUAL(s.kind, "csv");
  CU_ASSERT_STRING_EQUAL(s.path, "/tmp/a b/data.csv");
  CU_ASSERT_EQUAL(s.n_keys, 2);
  CU_ASSERT_STRING_EQUAL(s.keys[0], "label");
  CU_ASSERT_STRING_EQUAL(s.vals[0], "species");
  CU_ASSERT_STRING_EQUAL(s.keys[1], "header");
  CU_ASSERT_STRING_EQUAL(s.vals[1], "1");
  tb_spec_free(&s);
  tb_spec_free(&s); /* freeing twice is harmless (the struct is zeroed) */

  TB_CHECK_OK(tb_spec_parse("fashion-mnist", &s));
  CU_ASSERT_STRING_EQUAL(s.kind, "fashion-mnist");
  CU_ASSERT_PTR_NULL(s.path);
  CU_ASSERT_EQUAL(s.n_keys, 0);
  tb_spec_free(&s);

  TB_CHECK_OK(tb_spec_parse("fashion-mnist?root=/data:x/fm", &s)); /* ':' after '?' is not a path separator */
  CU_ASSERT_STRING_EQUAL(s.kind, "fashion-mnist");
  CU_ASSERT_PTR_NULL(s.path);
  CU_ASSERT_STRING_EQUAL(s.vals[0], "/data:x/fm");
  tb_spec_free(&s);

  TB_CHECK_OK(tb_spec_parse("gen:classification?n=100&d=5", &s));
  CU_ASSERT_STRING_EQUAL(s.kind, "gen:classification");
  CU_ASSERT_PTR_NULL(s.path);
  CU_ASSERT_EQUAL(s.n_keys, 2);
  tb_spec_free(&s);

  TB_CHECK_OK(tb_spec_parse("idx:a.gz,b.gz", &s));
  CU_ASSERT_STRING_EQUAL(s.kind, "idx");
  CU_ASSERT_STRING_EQUAL(s.path, "a.gz,b.gz");
  tb_spec_free(&s);

  TB_CHECK_OK(tb_spec_parse("hdf5:f.h5?x=grp/X&y=a=b&e=", &s)); /* the value runs to '&', '=' included */
  CU_ASSERT_STRING_EQUAL(s.vals[0], "grp/X");
  CU_ASSERT_STRING_EQUAL(s.vals[1], "a=b");
  CU_ASSERT_STRING_EQUAL(s.vals[2], "");
  tb_spec_free(&s);
}

static void expect_bad(const char *text, int code, const char *needle) {
  tb_spec s;
  tb_error_clear();
  int rc = tb_spec_parse(text ? text : NULL, &s);
  if (rc != code) fprintf(stderr, "\nSPEC '%s': rc %d, expected %d (%s)\n", text ? text : "(null)", rc, code,
                          tb_error_detail());
  CU_ASSERT_EQUAL(rc, code);
  if (needle) CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), needle));
  CU_ASSERT_PTR_NULL(s.kind); /* nothing left allocated */
  CU_ASSERT_EQUAL(s.n_keys, 0);
}

static void test_parse_bad(void) {
  expect_bad(NULL, TB_ERR_INVALID, "empty");
  expect_bad("", TB_ERR_INVALID, "empty");
  expect_bad("csv:", TB_ERR_INVALID, "missing path");
  expect_bad("csv:?label=1", TB_ERR_INVALID, "missing path");
  expect_bad(":data.csv", TB_ERR_INVALID, "missing source kind");
  expect_bad("csv:a.csv?label", TB_ERR_INVALID, "'label' is not key=value");
  expect_bad("csv:a.csv?=3", TB_ERR_INVALID, "not key=value");
  expect_bad("csv:a.csv?a=1&&b=2", TB_ERR_INVALID, "not key=value");
  expect_bad("csv:a.csv?label=1&label=2", TB_ERR_INVALID, "'label' given twice");
  char many[512] = "gen:classification?";
  for (int i = 0; i <= TB_SPEC_MAX_KEYS; i++) snprintf(many + strlen(many), 20, "%sk%d=%d", i ? "&" : "", i, i);
  expect_bad(many, TB_ERR_INVALID, "more than 16 keys");
}

static void test_getters(void) {
  tb_spec s;
  TB_CHECK_OK(tb_spec_parse("gen:friedman1?n=250&noise=0.5&bad=12x&frac=1.5&big=99999999999999999999&nan=nan"
                            "&neg=-3&huge=1e400&name=abc",
                            &s));
  long n = 7, absent = 42;
  TB_CHECK_OK(tb_spec_get_long(&s, "n", 1, 1000, &n));
  CU_ASSERT_EQUAL(n, 250);
  TB_CHECK_OK(tb_spec_get_long(&s, "missing", 1, 1000, &absent));
  CU_ASSERT_EQUAL(absent, 42); /* default kept */
  double noise = -1, dflt = 0.25;
  TB_CHECK_OK(tb_spec_get_double(&s, "noise", 0, 10, &noise));
  CU_ASSERT_DOUBLE_EQUAL(noise, 0.5, 0);
  TB_CHECK_OK(tb_spec_get_double(&s, "missing2", 0, 10, &dflt));
  CU_ASSERT_DOUBLE_EQUAL(dflt, 0.25, 0);
  long v = 5;
  CU_ASSERT_EQUAL(tb_spec_get_long(&s, "bad", 0, 100, &v), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "'bad'"));
  CU_ASSERT_EQUAL(tb_spec_get_long(&s, "frac", 0, 100, &v), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_spec_get_long(&s, "big", 0, 100, &v), TB_ERR_INVALID); /* overflows long */
  CU_ASSERT_EQUAL(tb_spec_get_long(&s, "neg", 0, 100, &v), TB_ERR_RANGE);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "'neg'"));
  CU_ASSERT_EQUAL(v, 5); /* untouched on failure */
  double d = 3;
  CU_ASSERT_EQUAL(tb_spec_get_double(&s, "nan", -1e9, 1e9, &d), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_spec_get_double(&s, "huge", -1e9, 1e9, &d), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_spec_get_double(&s, "frac", 0, 1, &d), TB_ERR_RANGE);
  CU_ASSERT_EQUAL(tb_spec_get_double(&s, "name", 0, 1, &d), TB_ERR_INVALID);
  CU_ASSERT_DOUBLE_EQUAL(d, 3, 0);
  const char *str = "default";
  TB_CHECK_OK(tb_spec_get_str(&s, "name", &str));
  CU_ASSERT_STRING_EQUAL(str, "abc");
  str = "default";
  TB_CHECK_OK(tb_spec_get_str(&s, "nothere", &str));
  CU_ASSERT_STRING_EQUAL(str, "default");
  tb_spec_free(&s);
}

static void test_check_unused(void) {
  tb_spec s;
  TB_CHECK_OK(tb_spec_parse("csv:d.csv?label=y&hedaer=1", &s));
  const char *label = NULL;
  TB_CHECK_OK(tb_spec_get_str(&s, "label", &label));
  CU_ASSERT_EQUAL(tb_spec_check_unused(&s, "label, header"), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "'hedaer'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "label, header"));
  long h = 0;
  CU_ASSERT_EQUAL(tb_spec_get_long(&s, "hedaer", 0, 1, &h), TB_OK); /* reading it marks it used */
  TB_CHECK_OK(tb_spec_check_unused(&s, "label, header"));
  tb_spec_free(&s);
  TB_CHECK_OK(tb_spec_parse("fashion-mnist?x=1", &s));
  CU_ASSERT_EQUAL(tb_spec_check_unused(&s, ""), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "allowed: missing)")); /* every source takes missing= */
  tb_spec_free(&s);
}

/* Random keys and values from a fixed seed: what is written is what is read back. */
static void test_random_round_trip(void) {
  uint64_t st = 0x9e3779b97f4a7c15ull;
  for (int trial = 0; trial < 200; trial++) {
    char text[1024], names[TB_SPEC_MAX_KEYS][16];
    long want[TB_SPEC_MAX_KEYS];
    st = st * 6364136223846793005ull + 1442695040888963407ull;
    int nk = 1 + (int)((st >> 33) % TB_SPEC_MAX_KEYS);
    int off = snprintf(text, sizeof text, "csv:/tmp/r%d.csv?", trial);
    for (int k = 0; k < nk; k++) {
      st = st * 6364136223846793005ull + 1442695040888963407ull;
      want[k] = (long)(st >> 20) % 2000001 - 1000000;
      snprintf(names[k], sizeof names[k], "k%d_%c", k, 'a' + (int)((st >> 40) % 26));
      off += snprintf(text + off, sizeof text - (size_t)off, "%s%s=%ld", k ? "&" : "", names[k], want[k]);
    }
    tb_spec s;
    TB_CHECK_OK(tb_spec_parse(text, &s));
    CU_ASSERT_EQUAL(s.n_keys, nk);
    for (int k = nk - 1; k >= 0; k--) {
      long got = 0;
      TB_CHECK_OK(tb_spec_get_long(&s, names[k], -1000000, 1000000, &got));
      CU_ASSERT_EQUAL(got, want[k]);
      double dv = 0;
      TB_CHECK_OK(tb_spec_get_double(&s, names[k], -1e6, 1e6, &dv));
      CU_ASSERT_DOUBLE_EQUAL(dv, (double)want[k], 0);
    }
    TB_CHECK_OK(tb_spec_check_unused(&s, ""));
    tb_spec_free(&s);
  }
}

static const tb_test_case cases[] = {{"parse_forms", test_parse_forms},
                                     {"parse_bad", test_parse_bad},
                                     {"getters", test_getters},
                                     {"check_unused", test_check_unused},
                                     {"random_round_trip", test_random_round_trip},
                                     {NULL, NULL}};
TB_TEST_MAIN("data_spec", cases)
