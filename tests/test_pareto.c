/* test_pareto.c: tests of host/samplers/pareto.c (tb_pareto.h). Hand-computed fronts, ranks, crowding distances and
 * hypervolumes; random point sets (fixed Philox seed) checked against plain references written here: rank
 * properties by brute force, hypervolume by inclusion-exclusion (exact, small n) in 2-5 objectives; directions
 * (maximise = negated minimise); NaN points, reference points that nothing improves on, and bad arguments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_pareto.h"
#include "tb_rng.h"
#include "tb_test.h"

static uint64_t ctr;
static double unif(void) { return tb_rng_uniform_double(20240607u, ctr++); }

static void test_dominates(void) {
  double a[2] = {1, 2}, b[2] = {2, 2}, c[2] = {1, 2}, d[2] = {NAN, 0};
  int mx[2] = {1, 1}, mixed[2] = {0, 1};
  CU_ASSERT_EQUAL(tb_pareto_dominates(a, b, 2, NULL), 1);
  CU_ASSERT_EQUAL(tb_pareto_dominates(b, a, 2, NULL), 0);
  CU_ASSERT_EQUAL(tb_pareto_dominates(a, c, 2, NULL), 0); /* equal points */
  CU_ASSERT_EQUAL(tb_pareto_dominates(b, a, 2, mx), 1);
  CU_ASSERT_EQUAL(tb_pareto_dominates(a, b, 2, mixed), 1);
  double e[2] = {0, 3};
  CU_ASSERT_EQUAL(tb_pareto_dominates(e, a, 2, mixed), 1); /* 0 < 1 minimised, 3 > 2 maximised */
  CU_ASSERT_EQUAL(tb_pareto_dominates(d, a, 2, NULL), 0);
  CU_ASSERT_EQUAL(tb_pareto_dominates(a, d, 2, NULL), 0);
}

static void test_ranks_known(void) {
  /* front 0: (1,5) (2,3) (4,1); front 1: (3,4) (5,2); front 2: (5,5); NaN: -1 */
  double y[] = {3, 4, 1, 5, 5, 5, 2, 3, NAN, 1, 4, 1, 5, 2};
  int want[] = {1, 0, 2, 0, -1, 0, 1}, rank[7], nf = -5;
  TB_CHECK_OK(tb_pareto_ranks(y, 7, 2, NULL, rank, &nf));
  CU_ASSERT_EQUAL(nf, 3);
  for (int i = 0; i < 7; i++) CU_ASSERT_EQUAL(rank[i], want[i]);
  /* both maximised: the order reverses: (5,5) alone first */
  int mx[2] = {1, 1};
  TB_CHECK_OK(tb_pareto_ranks(y, 7, 2, mx, rank, &nf));
  CU_ASSERT_EQUAL(rank[2], 0);
  CU_ASSERT_EQUAL(rank[4], -1);
  for (int i = 0; i < 7; i++)
    if (i != 2 && i != 4) CU_ASSERT(rank[i] > 0);
  size_t idx[7], nfront = 99;
  TB_CHECK_OK(tb_pareto_front(y, 7, 2, NULL, idx, &nfront));
  CU_ASSERT_EQUAL(nfront, 3);
  CU_ASSERT(idx[0] == 1 && idx[1] == 3 && idx[2] == 5);
  TB_CHECK_OK(tb_pareto_front(y, 7, 2, mx, idx, &nfront));
  CU_ASSERT(nfront == 1 && idx[0] == 2);
  /* duplicates share a rank */
  double dup[] = {1, 1, 1, 1, 2, 2};
  TB_CHECK_OK(tb_pareto_ranks(dup, 3, 2, NULL, rank, &nf));
  CU_ASSERT(rank[0] == 0 && rank[1] == 0 && rank[2] == 1 && nf == 2);
}

/* Brute-force definition: a point of rank r > 0 is dominated by a point of rank r-1 and by none of rank >= r. */
static void test_ranks_random(void) {
  enum { N = 200, M = 3 };
  static double y[N * M];
  int rank[N], nf;
  for (int i = 0; i < N * M; i++) y[i] = floor(unif() * 8); /* ties on purpose */
  y[7 * M] = NAN;
  TB_CHECK_OK(tb_pareto_ranks(y, N, M, NULL, rank, &nf));
  int bad = 0, maxr = -1;
  for (int i = 0; i < N; i++) {
    if (i == 7) {
      bad += rank[i] != -1;
      continue;
    }
    if (rank[i] > maxr) maxr = rank[i];
    int by_prev = rank[i] == 0;
    for (int j = 0; j < N; j++) {
      if (j == 7 || !tb_pareto_dominates(y + j * M, y + i * M, M, NULL)) continue;
      if (rank[j] >= rank[i]) bad++;
      if (rank[j] == rank[i] - 1) by_prev = 1;
    }
    bad += !by_prev;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(nf, maxr + 1);
  CU_ASSERT(nf > 2);
}

static void test_crowding(void) {
  /* one front sorted by f1: (0,4) (1,2) (3,1) (4,0); ranges 4 and 4 */
  double y[] = {3, 1, 0, 4, 4, 0, 1, 2};
  size_t idx[] = {0, 1, 2, 3};
  double d[4];
  TB_CHECK_OK(tb_pareto_crowding(y, 2, idx, 4, d));
  CU_ASSERT(isinf(d[1]) && isinf(d[2]));
  /* (1,2): f1 (3-0)/4 + f2 (4-1)/4 = 1.5; (3,1): (4-1)/4 + (2-0)/4 = 1.25 */
  CU_ASSERT_DOUBLE_EQUAL(d[3], 1.5, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(d[0], 1.25, 1e-12);
  size_t two[] = {0, 3};
  TB_CHECK_OK(tb_pareto_crowding(y, 2, two, 2, d));
  CU_ASSERT(isinf(d[0]) && isinf(d[1]));
  /* a constant objective adds nothing */
  double flat[] = {0, 5, 1, 5, 2, 5, 4, 5};
  TB_CHECK_OK(tb_pareto_crowding(flat, 2, idx, 4, d));
  CU_ASSERT_DOUBLE_EQUAL(d[1], 0.5, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(d[2], 0.75, 1e-12);
  y[2] = NAN;
  CU_ASSERT_EQUAL(tb_pareto_crowding(y, 2, idx, 4, d), TB_ERR_INVALID);
}

static void test_hv_known(void) {
  double y2[] = {1, 3, 2, 2, 3, 1, 3.5, 3.5}, ref2[] = {4, 4}, hv;
  TB_CHECK_OK(tb_pareto_hypervolume(y2, 4, 2, NULL, ref2, &hv));
  CU_ASSERT_DOUBLE_EQUAL(hv, 6.0, 1e-12);
  double y3[] = {1, 1, 1}, ref3[] = {2, 3, 4};
  TB_CHECK_OK(tb_pareto_hypervolume(y3, 1, 3, NULL, ref3, &hv));
  CU_ASSERT_DOUBLE_EQUAL(hv, 6.0, 1e-12);
  double y3b[] = {0, 0, 1, 0, 1, 0}, ref3b[] = {2, 2, 2};
  TB_CHECK_OK(tb_pareto_hypervolume(y3b, 2, 3, NULL, ref3b, &hv));
  CU_ASSERT_DOUBLE_EQUAL(hv, 6.0, 1e-12); /* 4 + 4 - 2 */
  /* ref not improved on: 0; a point on the boundary adds 0; NaN skipped */
  double ref_low[] = {0.5, 0.5};
  TB_CHECK_OK(tb_pareto_hypervolume(y2, 4, 2, NULL, ref_low, &hv));
  CU_ASSERT_EQUAL(hv, 0.0);
  double yb[] = {4, 0, NAN, 0, 1, 3}, ref4[] = {4, 4};
  TB_CHECK_OK(tb_pareto_hypervolume(yb, 3, 2, NULL, ref4, &hv));
  CU_ASSERT_DOUBLE_EQUAL(hv, 3.0, 1e-12);
  /* 1 objective: a length */
  double y1[] = {3, 1, 2}, ref1[] = {5};
  TB_CHECK_OK(tb_pareto_hypervolume(y1, 3, 1, NULL, ref1, &hv));
  CU_ASSERT_DOUBLE_EQUAL(hv, 4.0, 1e-12);
  /* directions: maximising the negated problem with a negated reference gives the same volume */
  double neg[8], nref[2] = {-4, -4};
  int mx[2] = {1, 1};
  for (int i = 0; i < 8; i++) neg[i] = -y2[i];
  TB_CHECK_OK(tb_pareto_hypervolume(neg, 4, 2, mx, nref, &hv));
  CU_ASSERT_DOUBLE_EQUAL(hv, 6.0, 1e-12);
  /* ZDT1's true front f2 = 1 - sqrt(f1), ref (1, 1): 2/3 (staircase of 2001 points, error < 1e-3) */
  enum { K = 2001 };
  static double z[2 * K];
  for (int i = 0; i < K; i++) {
    z[2 * i] = (double)i / (K - 1);
    z[2 * i + 1] = 1.0 - sqrt(z[2 * i]);
  }
  double one[] = {1, 1};
  TB_CHECK_OK(tb_pareto_hypervolume(z, K, 2, NULL, one, &hv));
  CU_ASSERT(hv < 2.0 / 3.0 && hv > 2.0 / 3.0 - 1e-3);
}

/* Exact reference: inclusion-exclusion over all non-empty subsets of n <= 12 points (minimised). */
static double hv_incl_excl(const double *y, int n, int m, const double *ref) {
  double total = 0.0;
  for (unsigned s = 1; s < (1u << n); s++) {
    double vol = 1.0;
    int bits = 0;
    for (int k = 0; k < m; k++) {
      double worst = -INFINITY;
      for (int i = 0; i < n; i++)
        if (s >> i & 1u) worst = fmax(worst, y[i * m + k]);
      vol *= fmax(0.0, ref[k] - worst);
    }
    for (int i = 0; i < n; i++) bits += (int)(s >> i & 1u);
    total += (bits & 1) ? vol : -vol;
  }
  return total;
}

static void test_hv_random(void) {
  enum { N = 11 };
  double y[N * 5], ref[5], hv;
  for (int m = 2; m <= 5; m++)
    for (int rep = 0; rep < 6; rep++) {
      for (int i = 0; i < N * m; i++) y[i] = unif();
      for (int k = 0; k < m; k++) ref[k] = 0.8 + 0.4 * unif(); /* some points fall outside */
      double want = hv_incl_excl(y, N, m, ref);
      TB_CHECK_OK(tb_pareto_hypervolume(y, N, m, NULL, ref, &hv));
      if (fabs(hv - want) > 1e-12 * fmax(1.0, want))
        fprintf(stderr, "\nm=%d rep=%d hv=%.15g want=%.15g\n", m, rep, hv, want);
      CU_ASSERT(fabs(hv - want) <= 1e-12 * fmax(1.0, want));
      CU_ASSERT(want > 0);
      /* mixed directions: maximise objective 0 after negating it and its reference */
      int mx[5] = {1, 0, 0, 0, 0};
      for (int i = 0; i < N; i++) y[i * m] = -y[i * m];
      ref[0] = -ref[0];
      double hv2;
      TB_CHECK_OK(tb_pareto_hypervolume(y, N, m, mx, ref, &hv2));
      CU_ASSERT_DOUBLE_EQUAL(hv2, hv, 1e-15);
    }
}

static void test_bad_input(void) {
  double y[] = {1, 2, 3, 4}, ref[] = {5, NAN}, hv = 7;
  int rank[2];
  size_t idx[2], nf;
  CU_ASSERT_EQUAL(tb_pareto_ranks(y, 2, 0, NULL, rank, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_pareto_ranks(y, 2, TB_PARETO_MAX_OBJECTIVES + 1, NULL, rank, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_pareto_ranks(NULL, 2, 2, NULL, rank, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_pareto_front(y, 2, -1, NULL, idx, &nf), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_pareto_hypervolume(y, 2, 2, NULL, ref, &hv), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_pareto_hypervolume(y, 2, 2, NULL, NULL, &hv), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_pareto_crowding(y, 2, NULL, 2, &hv), TB_ERR_INVALID);
  TB_CHECK_OK(tb_pareto_ranks(NULL, 0, 2, NULL, NULL, NULL)); /* empty is fine */
  double ok_ref[] = {5, 5};
  TB_CHECK_OK(tb_pareto_hypervolume(NULL, 0, 2, NULL, ok_ref, &hv));
  CU_ASSERT_EQUAL(hv, 0.0);
  /* too many non-dominated points for the exact method in 5 objectives: refused, not hours of work */
  enum { N = 400, M = 5 };
  double *big = malloc(sizeof(double) * N * M), r5[M] = {2, 2, 2, 2, 2};
  for (int i = 0; i < N; i++) {
    double s = 0;
    for (int k = 0; k < M; k++) s += (big[i * M + k] = unif() + 1e-3);
    for (int k = 0; k < M; k++) big[i * M + k] /= s; /* on the simplex: mutually non-dominated */
  }
  CU_ASSERT_EQUAL(tb_pareto_hypervolume(big, N, M, NULL, r5, &hv), TB_ERR_RANGE);
  free(big);
}

static const tb_test_case cases[] = {{"dominates", test_dominates},       {"ranks_known", test_ranks_known},
                                     {"ranks_random", test_ranks_random}, {"crowding", test_crowding},
                                     {"hv_known", test_hv_known},         {"hv_random", test_hv_random},
                                     {"bad_input", test_bad_input},       {NULL, NULL}};
TB_TEST_MAIN("pareto", cases)
