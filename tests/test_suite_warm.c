/* test_suite_warm.c: the suite's warm-start keys (host/suite/suite_warm.c): `initial:` parsed and encoded for an
 * experiment's space (numbers and categorical labels, fixed parameters filled, applied only where every named
 * parameter exists), errors with file:line:column for a malformed section or a value outside the space, and
 * `warm_start:` naming a file that cannot be read. The end-to-end run (initial trials first, a warm TPE) is
 * host/python/tests/test_suite_warm.py. */
#include <math.h>
#include <string.h>

#include "tb_suite.h"
#include "tb_test.h"

static tb_suite *parse(const char *text, int *rc) {
  tb_suite *s = NULL;
  *rc = tb_suite_parse("w.yaml", text, strlen(text), &s);
  return s;
}

#define HEAD "name: w\nfunctions: [branin]\nstrategies: [{name: r, sampler: random}]\nbudget: {trials: 4}\n"

static void test_parse_errors(void) {
  int rc;
  tb_suite *s = parse(HEAD "initial: 5\n", &rc);
  CU_ASSERT(rc < 0 && !s);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "w.yaml:5:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "initial"));
  s = parse(HEAD "initial: [3]\n", &rc);
  CU_ASSERT(rc < 0 && !s);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "initial[0]"));
  s = parse(HEAD "initial: [{x0: [1]}]\n", &rc);
  CU_ASSERT(rc < 0 && !s);
}

static tb_space *space(void) {
  tb_space *sp = NULL;
  tb_space_init(&sp);
  tb_space_add_float(sp, "lr", 1e-4, 1, 1);
  tb_space_add_categorical(sp, "act", 3, (const char *const[]){"relu", "tanh", "gelu"});
  tb_space_add_float(sp, "slope", 0, 1, 0);
  tb_space_add_fixed(sp, "epochs", 5);
  tb_space_add_condition(sp, "slope", "act", 1, (double[]){0});
  tb_space_finalize(sp);
  return sp;
}

static void test_encode_initial(void) {
  int rc;
  tb_suite *s = parse(HEAD "initial:\n  - {lr: 0.01, act: gelu}\n  - {x0: 1, x1: 2}\n  - {lr: 1e-3, act: relu, slope: 0.5}\n",
                      &rc);
  CU_ASSERT_EQUAL_FATAL(rc, TB_OK);
  CU_ASSERT_EQUAL(s->n_initial, 3);
  tb_space *sp = space();
  tb_suite_warm w;
  TB_CHECK_OK(tb_suite_warm_get(s, "exp", sp, &w));
  CU_ASSERT_EQUAL(w.n_initial, 2); /* the branin one does not apply to this space */
  CU_ASSERT(w.initial[0] == 0.01 && w.initial[1] == 2 && isnan(w.initial[2]) && w.initial[3] == 5);
  CU_ASSERT(w.initial[4] == 1e-3 && w.initial[5] == 0 && w.initial[6] == 0.5 && w.initial[7] == 5);
  CU_ASSERT_EQUAL(w.n_warm, 0);
  tb_suite_warm_free(&w);
  tb_suite_free(s);
  s = parse(HEAD "initial:\n  - {lr: 0.01, act: swish}\n", &rc);
  CU_ASSERT_EQUAL_FATAL(rc, TB_OK);
  CU_ASSERT(tb_suite_warm_get(s, "exp", sp, &w) < 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "w.yaml:6:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "swish"));
  tb_suite_free(s);
  s = parse(HEAD "initial:\n  - {lr: 0.01, act: tanh, slope: 0.3}\n", &rc); /* slope inactive with tanh */
  CU_ASSERT_EQUAL_FATAL(rc, TB_OK);
  CU_ASSERT(tb_suite_warm_get(s, "exp", sp, &w) < 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "slope"));
  tb_suite_free(s);
  s = parse(HEAD "warm_start: /nonexistent/earlier.h5\n", &rc);
  CU_ASSERT_EQUAL_FATAL(rc, TB_OK);
  CU_ASSERT(tb_suite_warm_get(s, "exp", sp, &w) < 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "earlier.h5"));
  tb_suite_free(s);
  tb_space_free(sp);
}

static const tb_test_case cases[] = {
    {"initial: malformed sections", test_parse_errors},
    {"initial: encoded per experiment space", test_encode_initial},
    {NULL, NULL},
};
TB_TEST_MAIN("suite_warm", cases)
