/* testfn.c: the synthetic test functions of tb_testfn.h (formulas and optima: protocols.md section 8; Hartmann
 * constants as in Surjanovic & Bingham's Virtual Library of Simulation Experiments; ZDT: Zitzler, Deb & Thiele
 * 2000). Plain double-precision evaluation on the host; not a sampler. Tested by tests/test_testfn.c (optimum
 * values at the known minimisers, ZDT fronts, hit-box volume and hit rate, bad input).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tb_error.h"
#include "tb_rng.h"
#include "tb_testfn.h"

static const double PI = 3.14159265358979323846;

static int branin(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  (void)f, (void)seed;
  double b = 5.1 / (4 * PI * PI), c = 5 / PI, t = 1 / (8 * PI);
  double a = x[1] - b * x[0] * x[0] + c * x[0] - 6;
  v[0] = a * a + 10 * (1 - t) * cos(x[0]) + 10;
  return TB_OK;
}

static const double H_ALPHA[4] = {1.0, 1.2, 3.0, 3.2};
static const double H3_A[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
static const double H3_P[4][3] = {
    {0.3689, 0.1170, 0.2673}, {0.4699, 0.4387, 0.7470}, {0.1091, 0.8732, 0.5547}, {0.0381, 0.5743, 0.8828}};
static const double H6_A[4][6] = {
    {10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
static const double H6_P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                  {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                  {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                  {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};

static int hartmann3(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  (void)f, (void)seed;
  double s = 0;
  for (int i = 0; i < 4; i++) {
    double e = 0;
    for (int j = 0; j < 3; j++) e += H3_A[i][j] * (x[j] - H3_P[i][j]) * (x[j] - H3_P[i][j]);
    s += H_ALPHA[i] * exp(-e);
  }
  v[0] = -s;
  return TB_OK;
}

/* Hartmann6 on x[0..5]; any further dimensions are dummies. */
static int hartmann6(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  (void)f, (void)seed;
  double s = 0;
  for (int i = 0; i < 4; i++) {
    double e = 0;
    for (int j = 0; j < 6; j++) e += H6_A[i][j] * (x[j] - H6_P[i][j]) * (x[j] - H6_P[i][j]);
    s += H_ALPHA[i] * exp(-e);
  }
  v[0] = -s;
  return TB_OK;
}

static int rosenbrock(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  (void)seed;
  double s = 0;
  for (int i = 0; i + 1 < f->dim; i++) {
    double a = x[i + 1] - x[i] * x[i], b = x[i] - 1;
    s += 100 * a * a + b * b;
  }
  v[0] = s;
  return TB_OK;
}

static int levy(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  (void)seed;
  int d = f->dim;
  double w1 = 1 + (x[0] - 1) / 4, wd = 1 + (x[d - 1] - 1) / 4;
  double s = sin(PI * w1) * sin(PI * w1);
  for (int i = 0; i + 1 < d; i++) {
    double w = 1 + (x[i] - 1) / 4, sn = sin(PI * w + 1);
    s += (w - 1) * (w - 1) * (1 + 10 * sn * sn);
  }
  double sd = sin(2 * PI * wd);
  v[0] = s + (wd - 1) * (wd - 1) * (1 + sd * sd);
  return TB_OK;
}

static int ackley(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  (void)seed;
  double s2 = 0, sc = 0;
  for (int i = 0; i < f->dim; i++) s2 += x[i] * x[i], sc += cos(2 * PI * x[i]);
  v[0] = -20 * exp(-0.2 * sqrt(s2 / f->dim)) - exp(sc / f->dim) + 20 + exp(1.0);
  return TB_OK;
}

/* ZDT1 (kind 1) and ZDT2 (kind 2): f1 = x0, g = 1 + 9/(d-1) sum x1.., f2 = g h(f1/g). */
static int zdt(const tb_testfn *f, const double *x, double *v, int kind) {
  double s = 0;
  for (int i = 1; i < f->dim; i++) s += x[i];
  double g = 1 + 9 * s / (f->dim - 1), r = x[0] / g;
  v[0] = x[0];
  v[1] = g * (kind == 1 ? 1 - sqrt(r) : 1 - r * r);
  return TB_OK;
}
static int zdt1(const tb_testfn *f, uint64_t seed, const double *x, double *v) { (void)seed; return zdt(f, x, v, 1); }
static int zdt2(const tb_testfn *f, uint64_t seed, const double *x, double *v) { (void)seed; return zdt(f, x, v, 2); }

static int is_hit(const tb_testfn *f) { return f->seeded; }

int tb_testfn_hit_box(const tb_testfn *f, uint64_t seed, double *lo, double *hi) {
  if (!f || !is_hit(f)) return tb_error_set(TB_ERR_INVALID, "testfn %s: not a hit problem", f ? f->name : "(null)");
  int d = f->dim, rect = strstr(f->name, "rect") != NULL, axis[8];
  double side = pow(0.01, 1.0 / d) / (rect ? 2.0 : 1.0); /* rect: prod 4^(j/(d-1)) = 4^(d/2) = 2^d */
  uint64_t key = tb_rng_derive(seed, 0x417); /* the instance's own stream */
  for (int j = 0; j < d; j++) axis[j] = j;
  for (int j = d - 1; j > 0; j--) { /* seeded axis order of the sides */
    int r = (int)(tb_rng_uniform_double(key, (uint64_t)j) * (j + 1)), t = axis[j];
    r = r > j ? j : r;
    axis[j] = axis[r], axis[r] = t;
  }
  for (int j = 0; j < d; j++) {
    double len = rect ? side * pow(4.0, (double)j / (d - 1)) : side;
    int a = axis[j];
    lo[a] = tb_rng_uniform_double(key, (uint64_t)(d + a)) * (1 - len);
    hi[a] = lo[a] + len;
  }
  return TB_OK;
}

static int hit(const tb_testfn *f, uint64_t seed, const double *x, double *v) {
  double lo[8], hi[8];
  int rc = tb_testfn_hit_box(f, seed, lo, hi);
  if (rc < 0) return rc;
  int in = 1;
  for (int j = 0; j < f->dim; j++) in &= x[j] >= lo[j] && x[j] <= hi[j];
  v[0] = in ? 0.0 : 1.0;
  return TB_OK;
}

static const double BRANIN_LO[2] = {-5, 0}, BRANIN_HI[2] = {10, 15}, BRANIN_MIN[2] = {3.14159265358979323846, 2.275};
static const double H3_MIN[3] = {0.114614, 0.555649, 0.852547};
static const double H6_MIN[50] = {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}; /* dummies: 0 */
static const double ONES[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const double ZEROS[30] = {0};

static const tb_testfn FNS[] = {
    {"branin", 2, 1, 0.397887357729738, 0, 0, BRANIN_LO, BRANIN_HI, BRANIN_MIN, 0, branin},
    {"hartmann3", 3, 1, -3.86278214782076, 0, 1, NULL, NULL, H3_MIN, 0, hartmann3},
    {"hartmann6", 6, 1, -3.32236801141551, 0, 1, NULL, NULL, H6_MIN, 0, hartmann6},
    {"hartmann6-20d", 20, 1, -3.32236801141551, 0, 1, NULL, NULL, H6_MIN, 0, hartmann6},
    {"hartmann6-50d", 50, 1, -3.32236801141551, 0, 1, NULL, NULL, H6_MIN, 0, hartmann6},
    {"rosenbrock-2d", 2, 1, 0, -5, 10, NULL, NULL, ONES, 0, rosenbrock},
    {"rosenbrock-10d", 10, 1, 0, -5, 10, NULL, NULL, ONES, 0, rosenbrock},
    {"levy-5d", 5, 1, 0, -10, 10, NULL, NULL, ONES, 0, levy},
    {"levy-10d", 10, 1, 0, -10, 10, NULL, NULL, ONES, 0, levy},
    {"ackley-5d", 5, 1, 0, -32.768, 32.768, NULL, NULL, ZEROS, 0, ackley},
    {"ackley-20d", 20, 1, 0, -32.768, 32.768, NULL, NULL, ZEROS, 0, ackley},
    {"zdt1", 30, 2, NAN, 0, 1, NULL, NULL, NULL, 0, zdt1},
    {"zdt2", 30, 2, NAN, 0, 1, NULL, NULL, NULL, 0, zdt2},
    {"hit-cube-3d", 3, 1, 0, 0, 1, NULL, NULL, NULL, 1, hit},
    {"hit-cube-5d", 5, 1, 0, 0, 1, NULL, NULL, NULL, 1, hit},
    {"hit-rect-3d", 3, 1, 0, 0, 1, NULL, NULL, NULL, 1, hit},
    {"hit-rect-5d", 5, 1, 0, 0, 1, NULL, NULL, NULL, 1, hit},
};
#define N_FNS (sizeof FNS / sizeof *FNS)

const tb_testfn *tb_testfn_find(const char *name) {
  for (size_t i = 0; name && i < N_FNS; i++)
    if (!strcmp(FNS[i].name, name)) return &FNS[i];
  return NULL;
}

const char *const *tb_testfn_names(void) {
  static const char *names[N_FNS + 1];
  for (size_t i = 0; i < N_FNS; i++) names[i] = FNS[i].name;
  return names;
}

static double dom_lo(const tb_testfn *f, int j) { return f->lower ? f->lower[j] : f->lo; }
static double dom_hi(const tb_testfn *f, int j) { return f->upper ? f->upper[j] : f->hi; }

int tb_testfn_space(const tb_testfn *f, tb_space **out) {
  int rc = TB_OK;
  tb_space *sp = NULL;
  *out = NULL;
  if (!f) return tb_error_set(TB_ERR_INVALID, "testfn: NULL function");
  TB_TRY(tb_space_init(&sp));
  for (int j = 0; j < f->dim; j++) {
    char name[16];
    snprintf(name, sizeof name, "x%d", j);
    TB_TRY(tb_space_add_float(sp, name, dom_lo(f, j), dom_hi(f, j), 0));
  }
  TB_TRY(tb_space_finalize(sp));
  *out = sp;
  sp = NULL;
done:
  tb_space_free(sp);
  return rc;
}

int tb_testfn_eval_seeded(const tb_testfn *f, uint64_t seed, const double *x, double *values) {
  if (!f || !x || !values) return tb_error_set(TB_ERR_INVALID, "testfn: NULL argument");
  for (int j = 0; j < f->dim; j++)
    if (!(x[j] >= dom_lo(f, j) && x[j] <= dom_hi(f, j)))
      return tb_error_set(TB_ERR_INVALID, "testfn %s: x%d = %g outside [%g, %g]", f->name, j, x[j], dom_lo(f, j),
                          dom_hi(f, j));
  return f->eval(f, seed, x, values);
}

int tb_testfn_eval(const tb_testfn *f, const double *x, double *values) {
  return tb_testfn_eval_seeded(f, 0, x, values);
}

int tb_testfn_pareto_front(const tb_testfn *f, int n, double *front) {
  if (!f || (f->eval != zdt1 && f->eval != zdt2))
    return tb_error_set(TB_ERR_INVALID, "testfn %s: no known Pareto front", f ? f->name : "(null)");
  if (n < 2) return tb_error_set(TB_ERR_INVALID, "testfn %s: front needs n >= 2 points (got %d)", f->name, n);
  for (int i = 0; i < n; i++) {
    double f1 = (double)i / (n - 1);
    front[2 * i] = f1;
    front[2 * i + 1] = f->eval == zdt1 ? 1 - sqrt(f1) : 1 - f1 * f1;
  }
  return TB_OK;
}
