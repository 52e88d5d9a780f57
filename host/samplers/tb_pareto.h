/* tb_pareto.h: Pareto utilities for several objectives: dominance, non-dominated sorting (ranks), crowding
 * distance, the Pareto front and the exact hypervolume. Used by the NSGA-II sampler, the executor's best-trials
 * list and the reports. Plain host code on small arrays, not a GPU path. Tested by tests/test_pareto.c.
 *
 * Points are y (n, m) row-major: n points, m objectives (1 <= m <= TB_PARETO_MAX_OBJECTIVES). `maximize` has m
 * flags (1 = larger is better) or is NULL (all minimised). A point with a NaN value is excluded: it has rank -1,
 * is never in a front and adds nothing to a hypervolume. Equal points do not dominate each other.
 */
#ifndef TB_PARETO_H
#define TB_PARETO_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TB_PARETO_MAX_OBJECTIVES 16

/* 1 when a dominates b (no worse in every objective, better in one), else 0. NaN in either gives 0. */
int tb_pareto_dominates(const double *a, const double *b, int m, const int *maximize);

/* Non-dominated sorting (Deb et al. 2002, O(m n^2) time, O(n) memory): rank[i] = 0 for the first front, 1 for the
 * next, ...; -1 for points with a NaN. *n_fronts (may be NULL) gets the number of fronts. TB_ERR_INVALID on a bad
 * m or NULL arrays with n > 0. */
int tb_pareto_ranks(const double *y, size_t n, int m, const int *maximize, int *rank, int *n_fronts);

/* Crowding distance (Deb et al. 2002) of the k points y[idx[0..k-1]] (normally one front): per objective the
 * points are sorted, the two extremes get INFINITY and the others add (next - previous) / (max - min); an
 * objective with max == min adds nothing. dist has k entries, in idx order. Direction does not matter. */
int tb_pareto_crowding(const double *y, int m, const size_t *idx, size_t k, double *dist);

/* The first front: idx (room for n) gets the indices of the non-dominated points without a NaN, in increasing
 * order; *n_front how many. Duplicated points are all kept. */
int tb_pareto_front(const double *y, size_t n, int m, const int *maximize, size_t *idx, size_t *n_front);

/* Exact hypervolume dominated by the points and bounded by the reference point ref (m values, in the same
 * directions as the objectives: for a maximised objective ref is a lower bound). Points that do not strictly
 * improve on ref in every objective add nothing; a NaN point is skipped; ref must be finite.
 * m = 1: a length; m = 2: sort and sweep, O(n log n); m >= 3: slicing along the last objective (HSO recursion)
 * down to the 2-d sweep, O(n^(m-1) log n): about 1e4 points for m = 3, 300 for m = 4, 50 for m = 5. When
 * n'^(m-1) > 1e10 (n' the non-dominated points) it refuses with TB_ERR_RANGE rather than run for hours. */
int tb_pareto_hypervolume(const double *y, size_t n, int m, const int *maximize, const double *ref, double *hv);

#ifdef __cplusplus
}
#endif
#endif
