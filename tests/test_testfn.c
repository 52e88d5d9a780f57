/* test_testfn.c: tests of host/objective/testfn.c: every function's value at its known minimiser equals the published
 * optimum (within 1e-4) and no random point beats it; formulas against values computed independently here
 * (Branin's three minimisers, Rosenbrock/Ackley at chosen points); ZDT fronts (g = 1 points lie on the front,
 * others above it); hit boxes have 1% volume, lie in the unit cube, and the rectangle's sides are s*4^(j/(d-1));
 * spaces match the domains; bad input (unknown name, out-of-domain x, non-hit functions). Fixed-seed inputs.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tb_test.h"
#include "tb_testfn.h"

static uint64_t lcg = 777;
static double urand(void) {
  lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(lcg >> 11) * (1.0 / 9007199254740992.0);
}

static void test_names_and_spaces(void) {
  const char *const *names = tb_testfn_names();
  int n = 0;
  for (; names[n]; n++) {
    const tb_testfn *f = tb_testfn_find(names[n]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    tb_space *sp;
    TB_CHECK_OK(tb_testfn_space(f, &sp));
    CU_ASSERT_EQUAL(tb_space_dim(sp), f->dim);
    for (int j = 0; j < f->dim; j++) {
      const tb_param *p = tb_space_param(sp, j);
      char nm[16];
      snprintf(nm, sizeof nm, "x%d", j);
      CU_ASSERT_STRING_EQUAL(p->name, nm);
      CU_ASSERT_EQUAL(p->lo, f->lower ? f->lower[j] : f->lo);
      CU_ASSERT_EQUAL(p->hi, f->upper ? f->upper[j] : f->hi);
    }
    tb_space_free(sp);
  }
  CU_ASSERT(n >= 17);
  CU_ASSERT_PTR_NULL(tb_testfn_find("nope"));
  CU_ASSERT_PTR_NULL(tb_testfn_find(NULL));
  CU_ASSERT_EQUAL(tb_testfn_find("zdt1")->n_obj, 2);
  CU_ASSERT_EQUAL(tb_testfn_find("hartmann6-50d")->dim, 50);
}

/* f(argmin) == optimum within 1e-4, and 2000 uniform random points never go below optimum - 1e-9. */
static void test_optima(void) {
  const char *const *names = tb_testfn_names();
  for (int k = 0; names[k]; k++) {
    const tb_testfn *f = tb_testfn_find(names[k]);
    if (!f->argmin) continue;
    double v[2], x[64];
    TB_CHECK_OK(tb_testfn_eval(f, f->argmin, v));
    if (!(fabs(v[0] - f->optimum) <= 1e-4)) {
      fprintf(stderr, "\n%s: f(argmin) = %.10g, optimum %.10g\n", f->name, v[0], f->optimum);
      CU_FAIL("optimum");
    }
    for (int t = 0; t < 2000; t++) {
      for (int j = 0; j < f->dim; j++) {
        double lo = f->lower ? f->lower[j] : f->lo, hi = f->upper ? f->upper[j] : f->hi;
        x[j] = lo + urand() * (hi - lo);
      }
      TB_CHECK_OK(tb_testfn_eval(f, x, v));
      CU_ASSERT(v[0] >= f->optimum - 1e-9);
    }
  }
  /* the published constants (protocols.md section 8) */
  CU_ASSERT(fabs(tb_testfn_find("branin")->optimum - 0.397887) < 1e-6);
  CU_ASSERT(fabs(tb_testfn_find("hartmann3")->optimum + 3.86278) < 1e-5);
  CU_ASSERT(fabs(tb_testfn_find("hartmann6")->optimum + 3.32237) < 1e-5);
}

static void test_values(void) {
  double v[2];
  /* all three Branin minimisers */
  const tb_testfn *b = tb_testfn_find("branin");
  double bm[3][2] = {{-M_PI, 12.275}, {M_PI, 2.275}, {9.42478, 2.475}};
  for (int i = 0; i < 3; i++) {
    TB_CHECK_OK(tb_testfn_eval(b, bm[i], v));
    CU_ASSERT(fabs(v[0] - 0.397887) < 1e-5);
  }
  /* Branin at (0, 0): (0 - 0 + 0 - 6)^2 + 10 (1 - 1/(8 pi)) cos 0 + 10 */
  TB_CHECK_OK(tb_testfn_eval(b, (double[]){0, 0}, v));
  CU_ASSERT(fabs(v[0] - (36 + 10 * (1 - 1 / (8 * M_PI)) + 10)) < 1e-12);
  /* Rosenbrock-2d at (0, 0) = 1, at (-1, 1) = 4 */
  const tb_testfn *r = tb_testfn_find("rosenbrock-2d");
  TB_CHECK_OK(tb_testfn_eval(r, (double[]){0, 0}, v));
  CU_ASSERT(fabs(v[0] - 1) < 1e-12);
  TB_CHECK_OK(tb_testfn_eval(r, (double[]){-1, 1}, v));
  CU_ASSERT(fabs(v[0] - 4) < 1e-12);
  /* Ackley-5d at (1, ..., 1): -20 exp(-0.2) - exp(1) + 20 + e = 20 (1 - exp(-0.2)) */
  TB_CHECK_OK(tb_testfn_eval(tb_testfn_find("ackley-5d"), (double[]){1, 1, 1, 1, 1}, v));
  CU_ASSERT(fabs(v[0] - 20 * (1 - exp(-0.2))) < 1e-12);
  /* Levy-5d at 0: w = 3/4: sin^2(3pi/4) + 4 (1/16)(1 + 10 sin^2(3pi/4 + 1)) + (1/16)(1 + sin^2(3pi/2)) */
  double w = 0.75, s1 = sin(M_PI * w), s2 = sin(M_PI * w + 1);
  double want = s1 * s1 + 4 * 0.0625 * (1 + 10 * s2 * s2) + 0.0625 * (1 + 1);
  TB_CHECK_OK(tb_testfn_eval(tb_testfn_find("levy-5d"), (double[]){0, 0, 0, 0, 0}, v));
  CU_ASSERT(fabs(v[0] - want) < 1e-12);
  /* embedded Hartmann6: the dummies do not change the value */
  const tb_testfn *h = tb_testfn_find("hartmann6"), *h20 = tb_testfn_find("hartmann6-20d");
  double x[20], v6;
  for (int t = 0; t < 100; t++) {
    for (int j = 0; j < 20; j++) x[j] = urand();
    TB_CHECK_OK(tb_testfn_eval(h, x, &v6));
    TB_CHECK_OK(tb_testfn_eval(h20, x, v));
    CU_ASSERT_EQUAL(v[0], v6);
  }
  /* bad input */
  CU_ASSERT_EQUAL(tb_testfn_eval(r, (double[]){11, 0}, v), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "x0 = 11 outside [-5, 10]"));
  CU_ASSERT_EQUAL(tb_testfn_eval(r, (double[]){0, NAN}, v), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_testfn_eval(NULL, x, v), TB_ERR_INVALID);
}

static void test_zdt(void) {
  double front[2 * 11], x[30], v[2];
  for (int k = 1; k <= 2; k++) {
    const tb_testfn *f = tb_testfn_find(k == 1 ? "zdt1" : "zdt2");
    TB_CHECK_OK(tb_testfn_pareto_front(f, 11, front));
    for (int i = 0; i < 11; i++) {
      memset(x, 0, sizeof x);
      x[0] = i / 10.0; /* g = 1: on the front */
      TB_CHECK_OK(tb_testfn_eval(f, x, v));
      CU_ASSERT(fabs(v[0] - front[2 * i]) < 1e-12 && fabs(v[1] - front[2 * i + 1]) < 1e-12);
      double want = k == 1 ? 1 - sqrt(x[0]) : 1 - x[0] * x[0];
      CU_ASSERT(fabs(v[1] - want) < 1e-12);
    }
    for (int t = 0; t < 500; t++) { /* random points are never below the front */
      for (int j = 0; j < 30; j++) x[j] = urand();
      TB_CHECK_OK(tb_testfn_eval(f, x, v));
      double lim = k == 1 ? 1 - sqrt(v[0]) : 1 - v[0] * v[0];
      CU_ASSERT(v[1] >= lim - 1e-12);
      CU_ASSERT_EQUAL(v[0], x[0]);
    }
  }
  /* known value: zdt1, x0 = 0.25, all others 0.5: g = 1 + 9*0.5 = 5.5, f2 = 5.5 (1 - sqrt(0.25/5.5)) */
  for (int j = 0; j < 30; j++) x[j] = 0.5;
  x[0] = 0.25;
  TB_CHECK_OK(tb_testfn_eval(tb_testfn_find("zdt1"), x, v));
  CU_ASSERT(fabs(v[1] - 5.5 * (1 - sqrt(0.25 / 5.5))) < 1e-12);
  TB_CHECK_OK(tb_testfn_eval(tb_testfn_find("zdt2"), x, v));
  CU_ASSERT(fabs(v[1] - 5.5 * (1 - (0.25 / 5.5) * (0.25 / 5.5))) < 1e-12);
  CU_ASSERT_EQUAL(tb_testfn_pareto_front(tb_testfn_find("zdt1"), 1, front), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_testfn_pareto_front(tb_testfn_find("branin"), 11, front), TB_ERR_INVALID);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void test_hit_boxes(void) {
  const char *hits[] = {"hit-cube-3d", "hit-cube-5d", "hit-rect-3d", "hit-rect-5d"};
  for (int h = 0; h < 4; h++) {
    const tb_testfn *f = tb_testfn_find(hits[h]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    int d = f->dim, rect = h >= 2;
    double lo[8], hi[8], lo2[8], hi2[8], x[8], v, s = pow(0.01, 1.0 / d) / (rect ? 2 : 1);
    int differs = 0;
    for (uint64_t seed = 0; seed < 200; seed++) {
      TB_CHECK_OK(tb_testfn_hit_box(f, seed, lo, hi));
      double vol = 1, sides[8];
      for (int j = 0; j < d; j++) {
        CU_ASSERT(lo[j] >= 0 && hi[j] <= 1 && hi[j] > lo[j]);
        vol *= hi[j] - lo[j];
        sides[j] = hi[j] - lo[j];
      }
      CU_ASSERT(fabs(vol - 0.01) < 1e-12);
      qsort(sides, (size_t)d, sizeof *sides, cmp_double);
      for (int j = 0; j < d; j++) CU_ASSERT(fabs(sides[j] - (rect ? s * pow(4, (double)j / (d - 1)) : s)) < 1e-12);
      /* the centre hits, a corner-adjacent point outside misses; the same seed gives the same box */
      for (int j = 0; j < d; j++) x[j] = 0.5 * (lo[j] + hi[j]);
      TB_CHECK_OK(tb_testfn_eval_seeded(f, seed, x, &v));
      CU_ASSERT_EQUAL(v, 0);
      x[0] = lo[0] > 0.01 ? lo[0] - 0.005 : hi[0] + 0.005;
      TB_CHECK_OK(tb_testfn_eval_seeded(f, seed, x, &v));
      CU_ASSERT_EQUAL(v, 1);
      TB_CHECK_OK(tb_testfn_hit_box(f, seed, lo2, hi2));
      CU_ASSERT(memcmp(lo, lo2, sizeof(double) * (size_t)d) == 0 && memcmp(hi, hi2, sizeof(double) * (size_t)d) == 0);
      TB_CHECK_OK(tb_testfn_hit_box(f, seed + 1000, lo2, hi2));
      differs += lo2[0] != lo[0];
    }
    CU_ASSERT(differs > 190);
    /* tb_testfn_eval uses instance 0 */
    TB_CHECK_OK(tb_testfn_hit_box(f, 0, lo, hi));
    for (int j = 0; j < d; j++) x[j] = 0.5 * (lo[j] + hi[j]);
    TB_CHECK_OK(tb_testfn_eval(f, x, &v));
    CU_ASSERT_EQUAL(v, 0);
  }
  double lo[8], hi[8];
  CU_ASSERT_EQUAL(tb_testfn_hit_box(tb_testfn_find("branin"), 1, lo, hi), TB_ERR_INVALID);
}

static const tb_test_case cases[] = {{"names_and_spaces", test_names_and_spaces},
                                     {"optima", test_optima},
                                     {"values", test_values},
                                     {"zdt", test_zdt},
                                     {"hit_boxes", test_hit_boxes},
                                     {NULL, NULL}};
TB_TEST_MAIN("testfn", cases)
