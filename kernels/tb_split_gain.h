/* tb_split_gain.h: the split-gain formulas of the tree learners, header-only, shared by the CPU backend
 * (kernels/cpu/tree_split.c) and the CUDA backend so that both compute bit-identical gains from the same int64
 * fixed-point sums: only + - * / in double (and frexp, which is exact), in the fixed order written here (nvcc
 * builds with -fmad=false, the C code with -ffp-contract=off). The entropy's logarithm is tb_split_log below, not the
 * C library's log (glibc and CUDA's libdevice round differently in the last bit), so entropy gains are bit-identical
 * across backends too.
 * Not here: the histogram scan itself, tie-breaking and the node loop (tree_split.c and its CUDA twin).
 * Tested through tb_op_split_find by tests/test_ops_tree.c, against formulas written independently in the test;
 * tb_split_log against the C library's log by tests/test_ops_tree.c (within 2 ulp over many decades).
 *
 * A candidate split of a parent P into L and R (R = P - L, computed exactly in int64 by the caller) is scored by
 * tb_split_gain(), which returns -INFINITY when a child breaks a constraint, so "gain > best" with best starting at
 * min_gain keeps only admissible splits whose gain > min_gain. Constraints:
 *   gradient:       each child has hessian sum > 0 (a child without hessian is empty) and >= min_child_weight;
 *   gini, entropy:  each child has weighted count (sum of the class stats / scale) > 0 and >= min_child_weight;
 *   variance:       each child has weighted count (stats[0] / scale) > 0 and >= min_child_weight.
 * Gains, all equal to the textbook formulas but written so that terms that cancel exactly in the integer sums
 * (P = L + R) are not computed in double and cannot leave rounding noise:
 *   gradient:  0.5 * [T(GL)^2/(HL+lambda) + T(GR)^2/(HR+lambda) - T(G)^2/(H+lambda)] - gamma, T = soft threshold
 *              by alpha (the XGBoost gain; leaf weight -T(G)/(H+lambda));
 *   gini:      N*gini(P) - NL*gini(L) - NR*gini(R), gini = 1 - sum p_c^2, computed as sL + sR - sP with
 *              s = sum_c n_c^2 / N (the N terms cancel exactly);
 *   entropy:   N*H(P) - NL*H(L) - NR*H(R), H = -sum p_c log p_c, computed as eL + eR - eP with
 *              e = sum_{n_c > 0} n_c * log(n_c / N) (= -N*H);
 *   variance:  SSE(P) - SSE(L) - SSE(R), computed as NL*NR/N * (meanL - meanR)^2 (the sums of y^2 cancel exactly;
 *              this form is >= 0 and exactly 0 when the child means agree).
 */
#ifndef TB_SPLIT_GAIN_H
#define TB_SPLIT_GAIN_H
#include <math.h>
#include <stdint.h>

#include "tb_backend.h"

#ifdef __CUDACC__
#define TB_SPLIT_FN static __host__ __device__ __forceinline__
#else
#define TB_SPLIT_FN static inline
#endif

/* T_alpha(g): soft-thresholding by alpha >= 0 (the L1 penalty on leaf weights). */
TB_SPLIT_FN double tb_split_soft_threshold(double g, double alpha) {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0.0;
}

/* XGBoost leaf weight -T_alpha(G) / (H + lambda) for gradient sum G and hessian sum H; 0 when H + lambda <= 0. */
TB_SPLIT_FN double tb_split_leaf_weight(double G, double H, double lambda, double alpha) {
  double d = H + lambda;
  return d > 0.0 ? -tb_split_soft_threshold(G, alpha) / d : 0.0;
}

/* T_alpha(G)^2 / (H + lambda): the structure score of one node (0 when H + lambda <= 0). */
TB_SPLIT_FN double tb_split_gradient_score(double G, double H, double lambda, double alpha) {
  double t = tb_split_soft_threshold(G, alpha), d = H + lambda;
  return d > 0.0 ? t * t / d : 0.0;
}

/* Weighted count of a class-count node: (sum of the int64 class stats) / scale. */
TB_SPLIT_FN double tb_split_class_count(const int64_t *c, int n_classes, double scale) {
  int64_t n = 0;
  for (int k = 0; k < n_classes; k++) n += c[k];
  return (double)n / scale;
}

/* sum_c n_c^2 / N for class counts n_c = c[k] / scale and N = their sum (> 0). */
TB_SPLIT_FN double tb_split_gini_term(const int64_t *c, int n_classes, double scale, double N) {
  double acc = 0.0;
  for (int k = 0; k < n_classes; k++) {
    double n = (double)c[k] / scale;
    acc = acc + n * n;
  }
  return acc / N;
}

/* Natural logarithm of a finite x > 0 from + - * / and frexp only, so every backend rounds it identically.
 * x = m 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, summed as
 * the odd series 2 s (1 + z/3 + z^2/5 + ... + z^12/25), z = s^2 <= 0.0295, whose next term is below 2^-64 of the
 * sum; e ln 2 is added in two parts (ln 2 = LN2_HI + LN2_LO, fdlibm's split: LN2_HI's low 32 bits are zero, so e * LN2_HI is exact).
 * Within about 1 ulp of the correctly rounded log. x <= 0, NaN or infinite: the caller never passes those (counts
 * are > 0 and finite); it returns NaN for them. */
TB_SPLIT_FN double tb_split_log(double x) {
  if (!(x > 0.0) || x - x != 0.0) return NAN;
  int e = 0;
  double m = frexp(x, &e); /* x = m 2^e, m in [0.5, 1) */
  if (m < 0.70710678118654752440) {
    m = m * 2.0;
    e = e - 1;
  }
  const double s = (m - 1.0) / (m + 1.0), z = s * s;
  double poly = 1.0 / 25.0;
  poly = 1.0 / 23.0 + z * poly;
  poly = 1.0 / 21.0 + z * poly;
  poly = 1.0 / 19.0 + z * poly;
  poly = 1.0 / 17.0 + z * poly;
  poly = 1.0 / 15.0 + z * poly;
  poly = 1.0 / 13.0 + z * poly;
  poly = 1.0 / 11.0 + z * poly;
  poly = 1.0 / 9.0 + z * poly;
  poly = 1.0 / 7.0 + z * poly;
  poly = 1.0 / 5.0 + z * poly;
  poly = 1.0 / 3.0 + z * poly;
  const double f = m - 1.0, hs = s * f; /* log m = f - s f + 2 s z poly = 2 s (1 + z poly), with 2 s = f - s f */
  const double log_m = f - (hs - s * (z * poly * 2.0));
  const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
  return (double)e * LN2_HI + ((double)e * LN2_LO + log_m);
}

/* sum_{n_c > 0} n_c * log(n_c / N) = -N * entropy, for class counts n_c = c[k] / scale and N = their sum (> 0). */
TB_SPLIT_FN double tb_split_entropy_term(const int64_t *c, int n_classes, double scale, double N) {
  double acc = 0.0;
  for (int k = 0; k < n_classes; k++) {
    if (c[k] <= 0) continue;
    double n = (double)c[k] / scale;
    acc = acc + n * tb_split_log(n / N);
  }
  return acc;
}

/* The gain of splitting P (n_stats int64 sums) into L and R = P - L under p's criterion, or -INFINITY when a child
 * breaks a constraint (see the top of this file). */
TB_SPLIT_FN double tb_split_gain(const tb_split_params *p, const int64_t *P, const int64_t *L, const int64_t *R,
                                 int n_stats) {
  const double s = p->scale, mcw = p->min_child_weight;
  switch (p->criterion) {
  case TB_SPLIT_GRADIENT: {
    if (L[1] <= 0 || R[1] <= 0) return -INFINITY;
    double HL = (double)L[1] / s, HR = (double)R[1] / s;
    if (HL < mcw || HR < mcw) return -INFINITY;
    double GL = (double)L[0] / s, GR = (double)R[0] / s, G = (double)P[0] / s, H = (double)P[1] / s;
    double sl = tb_split_gradient_score(GL, HL, p->lambda, p->alpha);
    double sr = tb_split_gradient_score(GR, HR, p->lambda, p->alpha);
    double sp = tb_split_gradient_score(G, H, p->lambda, p->alpha);
    return 0.5 * (sl + sr - sp) - p->gamma;
  }
  case TB_SPLIT_GINI:
  case TB_SPLIT_ENTROPY: {
    double NL = tb_split_class_count(L, n_stats, s), NR = tb_split_class_count(R, n_stats, s);
    if (!(NL > 0.0) || !(NR > 0.0) || NL < mcw || NR < mcw) return -INFINITY;
    double N = tb_split_class_count(P, n_stats, s);
    if (p->criterion == TB_SPLIT_GINI)
      return tb_split_gini_term(L, n_stats, s, NL) + tb_split_gini_term(R, n_stats, s, NR) -
             tb_split_gini_term(P, n_stats, s, N);
    return tb_split_entropy_term(L, n_stats, s, NL) + tb_split_entropy_term(R, n_stats, s, NR) -
           tb_split_entropy_term(P, n_stats, s, N);
  }
  case TB_SPLIT_VARIANCE: {
    if (L[0] <= 0 || R[0] <= 0) return -INFINITY;
    double NL = (double)L[0] / s, NR = (double)R[0] / s;
    if (NL < mcw || NR < mcw) return -INFINITY;
    double N = (double)P[0] / s;
    double d = ((double)L[1] / p->scale_y) / NL - ((double)R[1] / p->scale_y) / NR;
    return NL * NR / N * (d * d);
  }
  }
  return -INFINITY;
}

#endif
