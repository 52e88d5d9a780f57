/* test_space.c: tests of host/space/space.c (tb_space.h): every adder's bad input and its message, conditions (chains,
 * unknown names, cycles, impossible values), tb_space_check messages, the unit-cube mapping against a plain
 * double reference written here (uniform, log, int steps, log ints, categoricals, fixed), to_unit/from_unit round
 * trips, and JSON formatting (escaping, inactive parameters omitted, truncation). Random inputs from a fixed seed.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tb_space.h"
#include "tb_test.h"

static uint64_t lcg = 12345;
static double urand(void) {
  lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(lcg >> 11) * (1.0 / 9007199254740992.0);
}

/* rc must be TB_ERR_INVALID / NOT_FOUND and the detail must contain `frag`. */
static void expect_err(int rc, int code, const char *frag) {
  CU_ASSERT_EQUAL(rc, code);
  if (!strstr(tb_error_detail(), frag)) {
    fprintf(stderr, "\nexpected '%s' in detail '%s'\n", frag, tb_error_detail());
    CU_FAIL("message");
  }
}

static void test_adders_bad_input(void) {
  tb_space *sp;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-5, 1, 1));
  expect_err(tb_space_add_float(sp, "lr", 0, 1, 0), TB_ERR_INVALID, "duplicate parameter name 'lr'");
  expect_err(tb_space_add_float(sp, "a", 1, 1, 0), TB_ERR_INVALID, "empty range");
  expect_err(tb_space_add_float(sp, "a", 2, 1, 0), TB_ERR_INVALID, "empty range");
  expect_err(tb_space_add_float(sp, "a", 0, 1, 1), TB_ERR_INVALID, "log-scaled but lo = 0");
  expect_err(tb_space_add_float(sp, "a", NAN, 1, 0), TB_ERR_INVALID, "non-finite");
  expect_err(tb_space_add_float(sp, "a", 0, INFINITY, 0), TB_ERR_INVALID, "non-finite");
  expect_err(tb_space_add_float(sp, "", 0, 1, 0), TB_ERR_INVALID, "non-empty name");
  char longname[100];
  memset(longname, 'x', sizeof longname - 1);
  longname[99] = 0;
  expect_err(tb_space_add_float(sp, longname, 0, 1, 0), TB_ERR_INVALID, "longer than");
  expect_err(tb_space_add_int(sp, "u", 5, 4, 1, 0), TB_ERR_INVALID, "empty range: lo 5 > hi 4");
  expect_err(tb_space_add_int(sp, "u", 1, 4, 0, 0), TB_ERR_INVALID, "step 0 <= 0");
  expect_err(tb_space_add_int(sp, "u", 1, 4, -2, 0), TB_ERR_INVALID, "step -2 <= 0");
  expect_err(tb_space_add_int(sp, "u", 0, 4, 1, 1), TB_ERR_INVALID, "log-scaled but lo = 0");
  expect_err(tb_space_add_int(sp, "u", 1, 64, 2, 1), TB_ERR_INVALID, "log needs step 1");
  TB_CHECK_OK(tb_space_add_int(sp, "one", 3, 3, 1, 0)); /* a single value is fine */
  const char *ch[] = {"a", "b", "a"};
  expect_err(tb_space_add_categorical(sp, "c", 0, ch), TB_ERR_INVALID, "0 choices");
  expect_err(tb_space_add_categorical(sp, "c", TB_PARAM_MAX_CHOICES + 1, ch), TB_ERR_INVALID, "at most");
  expect_err(tb_space_add_categorical(sp, "c", 3, ch), TB_ERR_INVALID, "choice 'a' twice");
  const char *ch2[] = {"a", NULL};
  expect_err(tb_space_add_categorical(sp, "c", 2, ch2), TB_ERR_INVALID, "choice 1 is empty");
  expect_err(tb_space_add_fixed(sp, "f", NAN), TB_ERR_INVALID, "non-finite");
  /* nothing malformed was added */
  CU_ASSERT_EQUAL(tb_space_dim(sp), 2);
  TB_CHECK_OK(tb_space_finalize(sp));
  expect_err(tb_space_add_float(sp, "late", 0, 1, 0), TB_ERR_INVALID, "finalized");
  tb_space_free(sp);
  tb_space_free(NULL);
  TB_CHECK_OK(tb_space_init(&sp));
  expect_err(tb_space_finalize(sp), TB_ERR_INVALID, "no parameters");
  tb_space_free(sp);
}

/* opt(cat 3) -> momentum (when opt == 1 or 2) -> nesterov (cat 2, when momentum ... is int) chain */
static tb_space *chain_space(void) {
  tb_space *sp;
  const char *opts[] = {"sgd", "momentum", "adam"}, *yn[] = {"no", "yes"};
  double v12[] = {1, 2}, v1[] = {1}, big[] = {4, 8};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  /* children declared before their parents on purpose: finalize orders them */
  CU_ASSERT_FATAL(tb_space_add_categorical(sp, "nesterov", 2, yn) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_int(sp, "mom_units", 2, 8, 2, 0) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_categorical(sp, "opt", 3, opts) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_float(sp, "lr", 1e-5, 1, 1) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_condition(sp, "mom_units", "opt", 2, v12) == TB_OK);
  CU_ASSERT_FATAL(tb_space_add_condition(sp, "nesterov", "mom_units", 2, big) == TB_OK);
  (void)v1;
  CU_ASSERT_FATAL(tb_space_finalize(sp) == TB_OK);
  return sp;
}

static void test_conditions(void) {
  tb_space *sp = chain_space();
  double x[4];
  /* nesterov, mom_units, opt, lr */
  double cases[][4] = {{NAN, NAN, 0, 0.1}, {NAN, 2, 1, 0.1}, {1, 4, 2, 0.1}, {0, 8, 1, 0.1}};
  int act[][4] = {{0, 0, 1, 1}, {0, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}};
  char msg[256];
  for (int c = 0; c < 4; c++) {
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(tb_space_active(sp, cases[c], i), act[c][i]);
    CU_ASSERT_PTR_NULL(tb_space_check(sp, cases[c], msg, sizeof msg));
  }
  /* chain: nesterov inactive when its grandparent switches mom_units off, even if mom_units holds 4 */
  memcpy(x, (double[]){1, 4, 0, 0.1}, sizeof x);
  CU_ASSERT_EQUAL(tb_space_active(sp, x, 0), 0);
  CU_ASSERT_PTR_NOT_NULL(tb_space_check(sp, x, msg, sizeof msg));
  tb_space_free(sp);

  /* bad conditions */
  const char *yn[] = {"no", "yes"};
  double v[] = {1}, bad[] = {5}, half[] = {0.5}, nan1[] = {NAN};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_categorical(sp, "a", 2, yn));
  TB_CHECK_OK(tb_space_add_categorical(sp, "b", 2, yn));
  TB_CHECK_OK(tb_space_add_categorical(sp, "c", 2, yn));
  expect_err(tb_space_add_condition(sp, "zz", "a", 1, v), TB_ERR_NOT_FOUND, "unknown parameter 'zz'");
  expect_err(tb_space_add_condition(sp, "a", "zz", 1, v), TB_ERR_NOT_FOUND, "unknown parent 'zz'");
  expect_err(tb_space_add_condition(sp, "a", "a", 1, v), TB_ERR_INVALID, "on itself");
  expect_err(tb_space_add_condition(sp, "a", "b", 0, v), TB_ERR_INVALID, "0 values");
  expect_err(tb_space_add_condition(sp, "a", "b", TB_PARAM_MAX_COND_VALUES + 1, v), TB_ERR_INVALID, "values");
  expect_err(tb_space_add_condition(sp, "a", "b", 1, nan1), TB_ERR_INVALID, "non-finite");
  TB_CHECK_OK(tb_space_add_condition(sp, "a", "b", 1, v));
  expect_err(tb_space_add_condition(sp, "a", "c", 1, v), TB_ERR_INVALID, "already has a condition");
  TB_CHECK_OK(tb_space_add_condition(sp, "b", "c", 1, v));
  TB_CHECK_OK(tb_space_add_condition(sp, "c", "a", 1, v));
  expect_err(tb_space_finalize(sp), TB_ERR_INVALID, "cycle");
  tb_space_free(sp);
  /* impossible condition values: category 5 of a 2-choice parent, 0.5 of an int */
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_categorical(sp, "a", 2, yn));
  TB_CHECK_OK(tb_space_add_float(sp, "x", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_condition(sp, "x", "a", 1, bad));
  expect_err(tb_space_finalize(sp), TB_ERR_INVALID, "never hold: a = 5 is not a choice index 0..1");
  tb_space_free(sp);
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_int(sp, "n", 1, 4, 1, 0));
  TB_CHECK_OK(tb_space_add_float(sp, "x", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_condition(sp, "x", "n", 1, half));
  expect_err(tb_space_finalize(sp), TB_ERR_INVALID, "n = 0.5 is not an integer");
  tb_space_free(sp);
}

static void test_check_messages(void) {
  tb_space *sp;
  const char *acts[] = {"relu", "tanh"};
  double one[] = {1};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-5, 1, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "units", 2, 20, 3, 0));
  TB_CHECK_OK(tb_space_add_categorical(sp, "act", 2, acts));
  TB_CHECK_OK(tb_space_add_fixed(sp, "c", 7));
  TB_CHECK_OK(tb_space_add_float(sp, "momentum", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_condition(sp, "momentum", "act", 1, one));
  char m[256];
  const char *r = tb_space_check(sp, (double[]){0.1, 5, 0, 7, NAN}, m, sizeof m);
  CU_ASSERT_PTR_NOT_NULL(r); /* not finalized yet */
  if (r) CU_ASSERT_PTR_NOT_NULL(strstr(r, "not finalized"));
  double xu[5], uu[5] = {0.5, 0.5, 0.5, 0.5, 0.5};
  tb_space_from_unit(sp, uu, xu); /* not finalized: all NAN, never a half-mapped configuration */
  for (int i = 0; i < 5; i++) CU_ASSERT(isnan(xu[i]));
  TB_CHECK_OK(tb_space_finalize(sp));
  CU_ASSERT_PTR_NULL(tb_space_check(sp, (double[]){0.1, 5, 0, 7, NAN}, m, sizeof m));
  CU_ASSERT_PTR_NULL(tb_space_check(sp, (double[]){1, 20, 1, 7, 0.5}, m, sizeof m));
  struct {
    double x[5];
    const char *msg;
  } bad[] = {
      {{-1, 5, 0, 7, NAN}, "lr = -1 outside [1e-05, 1]"},
      {{0.1, 3.5, 0, 7, NAN}, "units = 3.5 is not an integer"},
      {{0.1, 6, 0, 7, NAN}, "units = 6 is not on the grid 2 + k*3"},
      {{0.1, 23, 0, 7, NAN}, "units = 23 outside [2, 20]"},
      {{0.1, 5, 2, 7, NAN}, "act = 2 is not a choice index 0..1"},
      {{0.1, 5, 0, 8, NAN}, "c = 8 differs from its fixed value 7"},
      {{0.1, 5, 0, 7, 0.5}, "momentum is inactive but set"},
      {{0.1, 5, 1, 7, NAN}, "momentum is active but not set"},
      {{INFINITY, 5, 1, 7, 0.1}, "lr = inf is not finite"},
      {{NAN, 5, 1, 7, 0.1}, "lr is active but not set"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    r = tb_space_check(sp, bad[k].x, m, sizeof m);
    CU_ASSERT_PTR_EQUAL(r, m);
    if (!r || !strstr(r, bad[k].msg)) {
      fprintf(stderr, "\ncase %zu: expected '%s', got '%s'\n", k, bad[k].msg, r ? r : "(null)");
      CU_FAIL("check message");
    }
  }
  r = tb_space_check(sp, bad[0].x, NULL, 0); /* no buffer: a per-thread one */
  CU_ASSERT(r && strstr(r, "outside"));
  tb_space_free(sp);
}

/* from_unit against a reference written here, to_unit back to the cell centre, and round trips. */
static void test_unit_mapping(void) {
  tb_space *sp;
  const char *ch[] = {"a", "b", "c", "d", "e"};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_float(sp, "f", -3, 5, 0));
  TB_CHECK_OK(tb_space_add_float(sp, "lf", 1e-4, 10, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "i", -7, 12, 3, 0)); /* -7, -4, ..., 11: 7 values (12 is off the grid) */
  TB_CHECK_OK(tb_space_add_int(sp, "li", 1, 1024, 1, 1));
  TB_CHECK_OK(tb_space_add_categorical(sp, "c", 5, ch));
  TB_CHECK_OK(tb_space_add_fixed(sp, "k", 2.5));
  TB_CHECK_OK(tb_space_finalize(sp));
  CU_ASSERT_EQUAL(tb_space_dim(sp), 6);
  CU_ASSERT_EQUAL(tb_space_find(sp, "li"), 3);
  CU_ASSERT_EQUAL(tb_space_find(sp, "nope"), -1);
  CU_ASSERT_PTR_NULL(tb_space_param(sp, 6));
  CU_ASSERT_EQUAL(tb_space_param(sp, 2)->step, 3);
  char m[256];
  int li_seen[1025] = {0}, i_seen[7] = {0};
  for (int t = 0; t < 20000; t++) {
    double u[6], x[6], u2[6], x2[6];
    for (int d = 0; d < 6; d++) u[d] = urand();
    tb_space_from_unit(sp, u, x);
    const char *r = tb_space_check(sp, x, m, sizeof m);
    CU_ASSERT_PTR_NULL(r);
    if (r) fprintf(stderr, "\n%s\n", r);
    /* reference, tolerance 1e-12 relative for floats, exact for discrete values */
    CU_ASSERT(fabs(x[0] - (-3 + 8 * u[0])) <= 1e-12);
    double lf = 1e-4 * pow(10 / 1e-4, u[1]);
    CU_ASSERT(fabs(x[1] - lf) <= 1e-12 * lf);
    CU_ASSERT_EQUAL(x[2], -7 + 3 * floor(u[2] * 7));
    double li = floor(0.5 + exp(log(0.5) + u[3] * (log(1024.5) - log(0.5))));
    li = li < 1 ? 1 : li > 1024 ? 1024 : li;
    CU_ASSERT_EQUAL(x[3], li);
    CU_ASSERT_EQUAL(x[4], floor(u[4] * 5));
    CU_ASSERT_EQUAL(x[5], 2.5);
    li_seen[(int)x[3]] = 1;
    i_seen[(int)(x[2] + 7) / 3] = 1;
    /* to_unit lands in the same cell: from_unit(to_unit(x)) == x (floats within 1e-12) */
    tb_space_to_unit(sp, x, u2);
    for (int d = 0; d < 6; d++) CU_ASSERT(u2[d] >= 0 && u2[d] < 1);
    CU_ASSERT(fabs(u2[0] - u[0]) <= 1e-12 && fabs(u2[1] - u[1]) <= 1e-9);
    CU_ASSERT(fabs(u2[2] - (floor(u[2] * 7) + 0.5) / 7) <= 1e-15);
    CU_ASSERT(fabs(u2[4] - (floor(u[4] * 5) + 0.5) / 5) <= 1e-15);
    CU_ASSERT_EQUAL(u2[5], 0.5);
    tb_space_from_unit(sp, u2, x2);
    CU_ASSERT(fabs(x2[0] - x[0]) <= 1e-12 && fabs(x2[1] - x[1]) <= 1e-12 * x[1]);
    for (int d = 2; d < 6; d++) CU_ASSERT_EQUAL(x2[d], x[d]);
  }
  /* every int value is reachable; small log-int values are reachable too */
  for (int k = 0; k < 7; k++) CU_ASSERT(i_seen[k]);
  CU_ASSERT(li_seen[1] && li_seen[2] && li_seen[3] && li_seen[1024]);
  /* every log-int value round trips through its cell centre */
  for (int v = 1; v <= 1024; v++) {
    double x[6] = {0, 1, -7, v, 0, 2.5}, u[6], y[6];
    tb_space_to_unit(sp, x, u);
    tb_space_from_unit(sp, u, y);
    CU_ASSERT_EQUAL(y[3], v);
  }
  /* edges: u = 0 gives lo, u just below 1 gives the last value, u out of range is clamped */
  double x[6], lo_u[6] = {0, 0, 0, 0, 0, 0}, hi_u[6] = {1, 1, 1, 1, 1, 1}, neg[6] = {-1, -1, -1, -1, -1, -1};
  tb_space_from_unit(sp, lo_u, x);
  CU_ASSERT(x[0] == -3 && x[1] == 1e-4 && x[2] == -7 && x[3] == 1 && x[4] == 0);
  tb_space_from_unit(sp, hi_u, x);
  CU_ASSERT(x[0] <= 5 && x[0] > 5 - 1e-9 && x[1] <= 10 && x[2] == 11 && x[3] == 1024 && x[4] == 4);
  CU_ASSERT_PTR_NULL(tb_space_check(sp, x, m, sizeof m));
  tb_space_from_unit(sp, neg, x);
  CU_ASSERT(x[0] == -3 && x[2] == -7 && x[4] == 0);
  tb_space_free(sp);
}

static void test_unit_conditional(void) {
  tb_space *sp = chain_space();
  char m[256];
  int n_active[3] = {0};
  for (int t = 0; t < 5000; t++) {
    double u[4], x[4], u2[4];
    for (int d = 0; d < 4; d++) u[d] = urand();
    tb_space_from_unit(sp, u, x);
    CU_ASSERT_PTR_NULL(tb_space_check(sp, x, m, sizeof m));
    CU_ASSERT_EQUAL(x[2], floor(u[2] * 3));
    int mom = x[2] != 0, nest = mom && (x[1] == 4 || x[1] == 8);
    CU_ASSERT_EQUAL(isnan(x[1]), !mom);
    CU_ASSERT_EQUAL(isnan(x[0]), !nest);
    n_active[mom + nest]++;
    tb_space_to_unit(sp, x, u2);
    if (!mom) CU_ASSERT_EQUAL(u2[1], 0.5);
    if (!nest) CU_ASSERT_EQUAL(u2[0], 0.5);
  }
  for (int k = 0; k < 3; k++) CU_ASSERT(n_active[k] > 0);
  tb_space_free(sp);
}

static void test_json(void) {
  tb_space *sp;
  const char *acts[] = {"tanh", "say \"hi\"\\"};
  double one[] = {1};
  CU_ASSERT_FATAL(tb_space_init(&sp) == TB_OK);
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-5, 1, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "units", 1, 1024, 1, 1));
  TB_CHECK_OK(tb_space_add_categorical(sp, "act", 2, acts));
  TB_CHECK_OK(tb_space_add_fixed(sp, "k", 0.1));
  TB_CHECK_OK(tb_space_add_float(sp, "mom", 0, 1, 0));
  TB_CHECK_OK(tb_space_add_condition(sp, "mom", "act", 1, one));
  TB_CHECK_OK(tb_space_finalize(sp));
  char buf[256];
  double x[] = {0.001, 64, 0, 0.1, NAN};
  const char *want = "{\"lr\": 0.001, \"units\": 64, \"act\": \"tanh\", \"k\": 0.10000000000000001}";
  size_t n = tb_space_format_json(sp, x, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, want);
  CU_ASSERT_EQUAL(n, strlen(want));
  double y[] = {0.25, 3, 1, 0.1, 0.5};
  want = "{\"lr\": 0.25, \"units\": 3, \"act\": \"say \\\"hi\\\"\\\\\", \"k\": 0.10000000000000001, \"mom\": 0.5}";
  n = tb_space_format_json(sp, y, buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, want);
  /* truncation: the needed length is returned and the buffer is terminated */
  char small[10];
  CU_ASSERT_EQUAL(tb_space_format_json(sp, y, small, sizeof small), n);
  CU_ASSERT_EQUAL(strlen(small), 9);
  CU_ASSERT(strncmp(small, want, 9) == 0);
  CU_ASSERT_EQUAL(tb_space_format_json(sp, y, NULL, 0), n);
  tb_space_free(sp);
}

/* Descriptions: tb_space_add_param through each type's adder (default and help copied; a zeroed description is
 * unconditional), tb_space_add_params with a parent listed after its child, tb_space_copy, tb_param_check. */
static void test_descriptions(void) {
  static const tb_param ps[] = {
      {.name = "m", .type = TB_PARAM_FLOAT, .lo = 0.5, .hi = 0.99, .def = 0.9, .parent = 2, .n_cond = 1,
       .cond_values = {1}, .help = "momentum"},
      {.name = "units", .type = TB_PARAM_INT, .lo = 16, .hi = 64, .step = 16, .def = 32},
      {.name = "opt", .type = TB_PARAM_CATEGORICAL, .n_choices = 2, .choices = {"adam", "sgd"}, .def = 0},
      {.name = "k", .type = TB_PARAM_FIXED, .value = 3},
      {.name = "n", .type = TB_PARAM_INT, .lo = 1, .hi = 5}, /* step 0: the plain step 1 */
  };
  tb_space *sp = NULL, *cp = NULL;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_params(sp, 5, ps));
  TB_CHECK_OK(tb_space_finalize(sp));
  const tb_param *m = tb_space_param(sp, 0);
  CU_ASSERT(m->parent == 2 && m->n_cond == 1 && m->def == 0.9 && m->help && !strcmp(m->help, "momentum"));
  CU_ASSERT(m->help != ps[0].help); /* the space's own copy */
  CU_ASSERT(tb_space_param(sp, 1)->parent == -1 && tb_space_param(sp, 1)->step == 16);
  CU_ASSERT(tb_space_param(sp, 3)->value == 3 && tb_space_param(sp, 3)->def == 3);
  CU_ASSERT(tb_space_param(sp, 4)->step == 1 && tb_space_param(sp, 4)->parent == -1);
  tb_space_set_origin(sp, ps);
  CU_ASSERT_PTR_EQUAL(tb_space_origin(sp), ps);
  TB_CHECK_OK(tb_space_copy(sp, &cp));
  CU_ASSERT_PTR_NULL(tb_space_origin(cp)); /* a copy is not what the tag names */
  CU_ASSERT_EQUAL_FATAL(tb_space_dim(cp), 5);
  for (int i = 0; i < 5; i++) {
    const tb_param *a = tb_space_param(sp, i), *b = tb_space_param(cp, i);
    CU_ASSERT(!strcmp(a->name, b->name) && a->type == b->type && a->lo == b->lo && a->hi == b->hi &&
              a->step == b->step && a->parent == b->parent && a->n_cond == b->n_cond && a->n_choices == b->n_choices);
  }
  CU_ASSERT_STRING_EQUAL(tb_space_param(cp, 2)->choices[1], "sgd");
  double x[] = {NAN, 48, 0, 3, 2};
  char buf[128];
  CU_ASSERT_PTR_NULL(tb_space_check(cp, x, buf, sizeof buf));
  /* tb_param_check: the value set of one description */
  CU_ASSERT_PTR_NULL(tb_param_check(&ps[1], 48, buf, sizeof buf));
  CU_ASSERT(tb_param_check(&ps[1], 40, buf, sizeof buf) && strstr(buf, "grid"));
  CU_ASSERT(tb_param_check(&ps[0], 1.5, buf, sizeof buf) && strstr(buf, "outside"));
  CU_ASSERT(tb_param_check(&ps[2], 2, buf, sizeof buf) && strstr(buf, "choice"));
  CU_ASSERT(tb_param_check(&ps[3], 4, buf, sizeof buf) && strstr(buf, "fixed"));
  tb_space_free(cp);
  tb_space_free(sp);
  /* a condition naming a parameter outside the list, an unknown type, a NULL list */
  tb_param bad = ps[0];
  bad.parent = 7;
  TB_CHECK_OK(tb_space_init(&sp));
  CU_ASSERT_EQUAL(tb_space_add_params(sp, 1, &bad), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "'m'"));
  bad = ps[1];
  bad.type = (tb_param_type)9;
  snprintf(bad.name, sizeof bad.name, "u2");
  CU_ASSERT_EQUAL(tb_space_add_param(sp, &bad), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_space_add_params(sp, 2, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_space_copy(sp, &cp), TB_ERR_INVALID); /* not finalized */
  tb_space_set_origin(sp, ps); /* ignored: an unfinalized space may still change */
  CU_ASSERT_PTR_NULL(tb_space_origin(sp));
  CU_ASSERT_PTR_NULL(cp);
  tb_space_free(sp);
}

/* tb_space_map: a restricted copy (fewer, reordered choices; a fixed parent) onto the full space: choices by label,
 * activity in the target (off: NAN, on but unset: the target's default); mismatched spaces and missing choices. */
static void test_space_map(void) {
  static const tb_param full[] = {
      {.name = "opt", .type = TB_PARAM_CATEGORICAL, .n_choices = 3, .choices = {"sgd", "momentum", "adam"}, .def = 2},
      {.name = "m", .type = TB_PARAM_FLOAT, .lo = 0.5, .hi = 0.99, .def = 0.9, .parent = 0, .n_cond = 1,
       .cond_values = {1}},
      {.name = "act", .type = TB_PARAM_CATEGORICAL, .n_choices = 3, .choices = {"relu", "tanh", "sigmoid"}}};
  tb_param part[3] = {full[0], full[1], full[2]};
  part[0].n_choices = 2, part[0].choices[0] = "adam", part[0].choices[1] = "momentum";
  part[1].n_cond = 0; /* unconditional in the copy */
  part[2].n_choices = 2, part[2].choices[0] = "sigmoid", part[2].choices[1] = "relu";
  tb_space *to = NULL, *from = NULL, *other = NULL;
  tb_space_map *m = NULL;
  TB_CHECK_OK(tb_space_init(&to));
  TB_CHECK_OK(tb_space_add_params(to, 3, full));
  TB_CHECK_OK(tb_space_finalize(to));
  TB_CHECK_OK(tb_space_init(&from));
  TB_CHECK_OK(tb_space_add_params(from, 3, part));
  TB_CHECK_OK(tb_space_finalize(from));
  TB_CHECK_OK(tb_space_map_create(from, to, &m));
  double x[3] = {0, 0.7, 0}, y[3];
  TB_CHECK_OK(tb_space_map_apply(m, x, y)); /* adam, sigmoid; m switched off by the target's condition */
  CU_ASSERT(y[0] == 2 && isnan(y[1]) && y[2] == 2);
  double x2[3] = {1, NAN, 1};
  TB_CHECK_OK(tb_space_map_apply(m, x2, y)); /* momentum switches m on: its default */
  CU_ASSERT(y[0] == 1 && y[1] == 0.9 && y[2] == 0);
  tb_space_map_free(m);
  /* the other way round, a choice the target lacks */
  TB_CHECK_OK(tb_space_map_create(to, from, &m));
  double x3[3] = {0, NAN, 0};
  CU_ASSERT_EQUAL(tb_space_map_apply(m, x3, y), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "sgd"));
  tb_space_map_free(m);
  TB_CHECK_OK(tb_space_init(&other));
  TB_CHECK_OK(tb_space_add_params(other, 2, full));
  TB_CHECK_OK(tb_space_finalize(other));
  CU_ASSERT_EQUAL(tb_space_map_create(other, to, &m), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(m);
  tb_space_map_free(NULL);
  tb_space_free(other);
  tb_space_free(from);
  tb_space_free(to);
}

static const tb_test_case cases[] = {{"adders_bad_input", test_adders_bad_input},
                                     {"space_map", test_space_map},
                                     {"descriptions", test_descriptions},
                                     {"conditions", test_conditions},
                                     {"check_messages", test_check_messages},
                                     {"unit_mapping", test_unit_mapping},
                                     {"unit_conditional", test_unit_conditional},
                                     {"json", test_json},
                                     {NULL, NULL}};
TB_TEST_MAIN("space", cases)
