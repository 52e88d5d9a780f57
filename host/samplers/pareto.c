/* pareto.c: dominance, non-dominated sorting, crowding distance, Pareto front and exact hypervolume
 * (tb_pareto.h). Not a sampler: NSGA-II (host/samplers/nsga2.c) and the reports call it. Tested by tests/test_pareto.c
 * against hand-computed fronts and volumes and a brute-force grid count in the test. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tb_pareto.h"

static int has_nan(const double *a, int m) {
  for (int k = 0; k < m; k++)
    if (isnan(a[k])) return 1;
  return 0;
}

int tb_pareto_dominates(const double *a, const double *b, int m, const int *maximize) {
  int better = 0;
  for (int k = 0; k < m; k++) {
    double x = a[k], z = b[k];
    if (isnan(x) || isnan(z)) return 0;
    if (maximize && maximize[k]) {
      x = -x;
      z = -z;
    }
    if (x > z) return 0;
    if (x < z) better = 1;
  }
  return better;
}

static int check_args(const char *fn, const double *y, size_t n, int m, const void *out) {
  if (m < 1 || m > TB_PARETO_MAX_OBJECTIVES)
    return tb_error_set(TB_ERR_INVALID, "%s: %d objectives (allowed 1..%d)", fn, m, TB_PARETO_MAX_OBJECTIVES);
  if (n > 0 && (!y || !out)) return tb_error_set(TB_ERR_INVALID, "%s: NULL array for %zu points", fn, n);
  return TB_OK;
}

int tb_pareto_ranks(const double *y, size_t n, int m, const int *maximize, int *rank, int *n_fronts) {
  int rc = check_args("tb_pareto_ranks", y, n, m, rank);
  if (rc < 0) return rc;
  if (n_fronts) *n_fronts = 0;
  if (n == 0) return TB_OK;
  size_t *count = calloc(n, sizeof *count), *rest = malloc(n * sizeof *rest), *front = malloc(n * sizeof *front);
  if (!count || !rest || !front) {
    free(count);
    free(rest);
    free(front);
    return tb_error_set(TB_ERR_NOMEM, "tb_pareto_ranks: out of host memory for %zu points", n);
  }
  /* count[q] = number of points dominating q; then peel fronts, each pair (p in front, q left) is checked once */
  size_t n_rest = 0;
  for (size_t i = 0; i < n; i++) {
    rank[i] = -1;
    if (!has_nan(y + i * (size_t)m, m)) rest[n_rest++] = i;
  }
  for (size_t a = 0; a < n_rest; a++)
    for (size_t b = a + 1; b < n_rest; b++) {
      const double *p = y + rest[a] * (size_t)m, *q = y + rest[b] * (size_t)m;
      if (tb_pareto_dominates(p, q, m, maximize)) count[rest[b]]++;
      else if (tb_pareto_dominates(q, p, m, maximize)) count[rest[a]]++;
    }
  size_t n_front = 0;
  int r = 0;
  while (n_rest > 0) {
    size_t keep = 0;
    n_front = 0;
    for (size_t a = 0; a < n_rest; a++) {
      if (count[rest[a]] == 0) front[n_front++] = rest[a];
      else rest[keep++] = rest[a];
    }
    n_rest = keep;
    for (size_t f = 0; f < n_front; f++) rank[front[f]] = r;
    for (size_t a = 0; a < n_rest; a++)
      for (size_t f = 0; f < n_front; f++)
        if (tb_pareto_dominates(y + front[f] * (size_t)m, y + rest[a] * (size_t)m, m, maximize)) count[rest[a]]--;
    r++;
  }
  if (n_fronts) *n_fronts = r;
  free(count);
  free(rest);
  free(front);
  return TB_OK;
}

typedef struct {
  double v;
  size_t pos;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
  const keyed *x = a, *z = b;
  if (x->v < z->v) return -1;
  if (x->v > z->v) return 1;
  return (x->pos > z->pos) - (x->pos < z->pos);
}

int tb_pareto_crowding(const double *y, int m, const size_t *idx, size_t k, double *dist) {
  int rc = check_args("tb_pareto_crowding", y, k, m, dist);
  if (rc < 0) return rc;
  if (k > 0 && !idx) return tb_error_set(TB_ERR_INVALID, "tb_pareto_crowding: NULL index array");
  for (size_t i = 0; i < k; i++) {
    if (has_nan(y + idx[i] * (size_t)m, m))
      return tb_error_set(TB_ERR_INVALID, "tb_pareto_crowding: point %zu has a NaN objective", idx[i]);
    dist[i] = 0.0;
  }
  if (k <= 2) {
    for (size_t i = 0; i < k; i++) dist[i] = INFINITY;
    return TB_OK;
  }
  keyed *s = malloc(k * sizeof *s);
  if (!s) return tb_error_set(TB_ERR_NOMEM, "tb_pareto_crowding: out of host memory");
  for (int o = 0; o < m; o++) {
    for (size_t i = 0; i < k; i++) s[i] = (keyed){y[idx[i] * (size_t)m + (size_t)o], i};
    qsort(s, k, sizeof *s, cmp_keyed);
    double range = s[k - 1].v - s[0].v;
    dist[s[0].pos] = INFINITY;
    dist[s[k - 1].pos] = INFINITY;
    if (!(range > 0)) continue;
    for (size_t j = 1; j + 1 < k; j++) dist[s[j].pos] += (s[j + 1].v - s[j - 1].v) / range;
  }
  free(s);
  return TB_OK;
}

int tb_pareto_front(const double *y, size_t n, int m, const int *maximize, size_t *idx, size_t *n_front) {
  int rc = check_args("tb_pareto_front", y, n, m, idx);
  if (rc < 0) return rc;
  *n_front = 0;
  for (size_t i = 0; i < n; i++) {
    const double *p = y + i * (size_t)m;
    if (has_nan(p, m)) continue;
    int dominated = 0;
    for (size_t j = 0; j < n && !dominated; j++)
      dominated = j != i && tb_pareto_dominates(y + j * (size_t)m, p, m, maximize);
    if (!dominated) idx[(*n_front)++] = i;
  }
  return TB_OK;
}

/* ---- hypervolume, on minimised points strictly better than ref ---- */

typedef struct {
  double a, b;
} pair2;

static int cmp_pair(const void *x, const void *z) {
  const pair2 *p = x, *q = z;
  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  return (p->b > q->b) - (p->b < q->b);
}

/* 2-d: sort by the first objective, each point adds the strip below the lowest second objective so far. */
static double hv2(const double *pts, size_t n, int stride, const double *ref, pair2 *tmp) {
  for (size_t i = 0; i < n; i++) tmp[i] = (pair2){pts[i * (size_t)stride], pts[i * (size_t)stride + 1]};
  qsort(tmp, n, sizeof *tmp, cmp_pair);
  double vol = 0.0, low = ref[1];
  for (size_t i = 0; i < n; i++)
    if (tmp[i].b < low) {
      vol += (ref[0] - tmp[i].a) * (low - tmp[i].b);
      low = tmp[i].b;
    }
  return vol;
}

/* d >= 3: slice along objective d-1; slice i holds the points with the i+1 smallest values there. pts is (n,
 * stride), only the first d columns are used. Returns -1 on allocation failure. */
static double hv_rec(const double *pts, size_t n, int d, int stride, const double *ref, pair2 *tmp) {
  if (n == 0) return 0.0;
  if (d == 1) {
    double lo = pts[0];
    for (size_t i = 1; i < n; i++) lo = fmin(lo, pts[i * (size_t)stride]);
    return ref[0] - lo;
  }
  if (d == 2) return hv2(pts, n, stride, ref, tmp);
  keyed *order = malloc(n * sizeof *order);
  double *slab = malloc(n * (size_t)stride * sizeof *slab);
  if (!order || !slab) {
    free(order);
    free(slab);
    return -1.0;
  }
  for (size_t i = 0; i < n; i++) order[i] = (keyed){pts[i * (size_t)stride + (size_t)(d - 1)], i};
  qsort(order, n, sizeof *order, cmp_keyed);
  double vol = 0.0;
  for (size_t i = 0; i < n; i++) {
    memcpy(slab + i * (size_t)stride, pts + order[i].pos * (size_t)stride, (size_t)stride * sizeof *slab);
    double next = i + 1 < n ? order[i + 1].v : ref[d - 1], depth = next - order[i].v;
    if (depth <= 0) continue;
    double area = hv_rec(slab, i + 1, d - 1, stride, ref, tmp);
    if (area < 0) {
      vol = -1.0;
      break;
    }
    vol += depth * area;
  }
  free(order);
  free(slab);
  return vol;
}

int tb_pareto_hypervolume(const double *y, size_t n, int m, const int *maximize, const double *ref, double *hv) {
  int rc = check_args("tb_pareto_hypervolume", y, n, m, hv);
  if (rc < 0) return rc;
  if (!ref || !hv) return tb_error_set(TB_ERR_INVALID, "tb_pareto_hypervolume: NULL reference point or output");
  for (int k = 0; k < m; k++)
    if (!isfinite(ref[k]))
      return tb_error_set(TB_ERR_INVALID, "tb_pareto_hypervolume: reference point value %d is %g", k, ref[k]);
  *hv = 0.0;
  double r[TB_PARETO_MAX_OBJECTIVES];
  for (int k = 0; k < m; k++) r[k] = maximize && maximize[k] ? -ref[k] : ref[k];
  double *pts = NULL;
  size_t *front = NULL;
  pair2 *tmp = NULL;
  size_t np = 0, nf = 0;
  if (n == 0) return TB_OK;
  pts = malloc(n * (size_t)m * sizeof *pts);
  front = malloc(n * sizeof *front);
  tmp = malloc(n * sizeof *tmp);
  if (!pts || !front || !tmp) TB_FAIL(TB_ERR_NOMEM, "tb_pareto_hypervolume: out of host memory for %zu points", n);
  /* minimised copy of the points that strictly improve on ref everywhere */
  for (size_t i = 0; i < n; i++) {
    const double *p = y + i * (size_t)m;
    double *q = pts + np * (size_t)m;
    int inside = 1;
    for (int k = 0; k < m && inside; k++) {
      q[k] = maximize && maximize[k] ? -p[k] : p[k];
      inside = q[k] < r[k]; /* false for NaN too */
    }
    if (inside) np++;
  }
  TB_TRY(tb_pareto_front(pts, np, m, NULL, front, &nf));
  for (size_t i = 0; i < nf; i++) memmove(pts + i * (size_t)m, pts + front[i] * (size_t)m, (size_t)m * sizeof *pts);
  if (m >= 3 && pow((double)nf, (double)(m - 1)) > 1e10)
    TB_FAIL(TB_ERR_RANGE,
            "tb_pareto_hypervolume: %zu non-dominated points in %d objectives is too many for the exact method "
            "(limit: points^(objectives-1) <= 1e10)",
            nf, m);
  double v = hv_rec(pts, nf, m, m, r, tmp);
  if (v < 0) TB_FAIL(TB_ERR_NOMEM, "tb_pareto_hypervolume: out of host memory");
  *hv = v;
done:
  free(pts);
  free(front);
  free(tmp);
  return rc;
}
