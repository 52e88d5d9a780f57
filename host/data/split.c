/* split.c: train / valid / test splits, k-fold assignment and the standardiser (declared in tb_data.h).
 * Not a data source and not a sampler of hyperparameters. Tested by tests/test_data_split.c.
 *
 * Randomness: the Philox stream of kernels/tb_rng.h keyed by tb_rng_derive(seed, 1) for splits and
 * tb_rng_derive(seed, 2) for k-fold, with exact (rejection) uniform integers and Fisher-Yates shuffles: the same
 * dataset and seed give the same split on every machine, and all 64 bits of the seed matter.
 *
 * tb_data_split rules:
 *  - rows the source fixes to TB_SPLIT_TEST (fixed_split, when at least one row is so marked) are the test part and
 *    test_frac is ignored; rows fixed to train or valid are treated like unfixed rows (the pool);
 *  - otherwise n_test = round(test_frac * N) of the N pool rows; then n_valid = round(valid_frac * (N - n_test));
 *    the rest is train, which must not be empty;
 *  - stratified (spec->stratify and a classification dataset): the same totals, apportioned over the classes by
 *    largest remainder, so class c (m_c pool rows) gets t_c within 1 of test_frac * m_c test rows and v_c within 1
 *    of valid_frac * (m_c - t_c) valid rows; each class's rows are shuffled and dealt test, valid, train in turn;
 *  - out->test and out->valid are sorted ascending; out->train is in shuffled order (so a learner can take
 *    mini-batches from it directly).
 * tb_data_kfold: positions are grouped by class (stratified) or kept as one group, each group is shuffled and dealt
 *   round-robin over the folds, the dealing continuing from one class to the next, so every fold's class counts are
 *   floor or ceil of m_c / k and fold sizes differ by at most one.
 * tb_standardizer_fit: mean and population standard deviation in double (two passes) over the given rows' non-NaN
 *   cells; a column whose fitted values are all equal gets mean = that value and scale 1 (no value: mean 0, scale 1).
 * In tb_data_kfold and tb_standardizer_fit, idx == NULL means the rows 0..n-1.
 */
#include "data_impl.h"
#include "tb_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Uniform integer in [0, m), m >= 1, without modulo bias. */
uint32_t tb_data_rng_below(tb_data_rng *g, uint32_t m) {
  uint32_t lim = (uint32_t)(0u - m) % m; /* 2^32 mod m: values below it are rejected */
  for (;;) {
    uint32_t v = tb_rng_bits(g->key, g->ctr++);
    if (v >= lim) return v % m;
  }
}

void tb_data_shuffle_u32(tb_data_rng *g, uint32_t *a, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = tb_data_rng_below(g, (uint32_t)i);
    uint32_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

tb_split_spec tb_split_spec_default(void) {
  tb_split_spec s = {.valid_frac = 0.2, .test_frac = 0.2, .seed = 0, .stratify = 1};
  return s;
}

const char *tb_split_spec_check(const tb_split_spec *spec) {
  static _Thread_local char msg[128];
  if (!spec) return "no split spec";
  if (!(spec->valid_frac >= 0.0 && spec->valid_frac < 1.0)) {
    snprintf(msg, sizeof msg, "valid_frac %g not in [0, 1)", spec->valid_frac);
    return msg;
  }
  if (!(spec->test_frac >= 0.0 && spec->test_frac < 1.0)) {
    snprintf(msg, sizeof msg, "test_frac %g not in [0, 1)", spec->test_frac);
    return msg;
  }
  if (spec->valid_frac + spec->test_frac >= 1.0) {
    snprintf(msg, sizeof msg, "valid_frac + test_frac >= 1 (%g + %g)", spec->valid_frac, spec->test_frac);
    return msg;
  }
  if (spec->stratify != 0 && spec->stratify != 1) {
    snprintf(msg, sizeof msg, "stratify %d is not 0 or 1", spec->stratify);
    return msg;
  }
  return NULL;
}

/* Largest-remainder apportionment: out[g] in {floor(q[g]), ceil(q[g])} (and <= cap[g]) with sum == total.
 * Ties go to the lower group. */
static void apportion(const double *q, const size_t *cap, int ng, size_t total, size_t *out) {
  size_t sum = 0;
  for (int g = 0; g < ng; g++) {
    double f = floor(q[g]);
    out[g] = f < 0.0 ? 0 : (size_t)f;
    if (out[g] > cap[g]) out[g] = cap[g];
    sum += out[g];
  }
  while (sum < total) { /* one more to the largest remainder that still has room */
    int best = -1;
    for (int g = 0; g < ng; g++)
      if (out[g] < cap[g] && (best < 0 || q[g] - (double)out[g] > q[best] - (double)out[best])) best = g;
    if (best < 0) break;
    out[best]++;
    sum++;
  }
  while (sum > total) { /* only reached through rounding of q: one less from the smallest remainder */
    int best = -1;
    for (int g = 0; g < ng; g++)
      if (out[g] > 0 && (best < 0 || q[g] - (double)out[g] < q[best] - (double)out[best])) best = g;
    if (best < 0) break;
    out[best]--;
    sum--;
  }
}

/* Groups the positions 0..n-1 (rows idx ? idx[i] : i) by class when by_class, else as one group: on return
 * order[start[g] .. start[g+1]) are group g's positions in ascending order. start has n_groups + 1 entries. */
static int group_rows(const tb_dataset *ds, const uint32_t *idx, size_t n, int by_class, uint32_t *order,
                      size_t *start) {
  int ng = by_class ? ds->n_classes : 1;
  memset(start, 0, ((size_t)ng + 1) * sizeof *start);
  for (size_t i = 0; i < n; i++) {
    int c = 0;
    if (by_class) {
      c = ds->y_class[idx ? idx[i] : i];
      if (c < 0 || c >= ds->n_classes)
        return tb_error_set(TB_ERR_INVALID, "%s: row %zu has label %d outside 0..%d", ds->name,
                            (size_t)(idx ? idx[i] : i), c, ds->n_classes - 1);
    }
    start[c + 1]++;
  }
  for (int g = 0; g < ng; g++) start[g + 1] += start[g];
  size_t *fill = malloc(((size_t)ng + 1) * sizeof *fill);
  if (!fill) return tb_error_set(TB_ERR_NOMEM, "split: out of host memory");
  memcpy(fill, start, ((size_t)ng + 1) * sizeof *fill);
  for (size_t i = 0; i < n; i++) order[fill[by_class ? ds->y_class[idx ? idx[i] : i] : 0]++] = (uint32_t)i;
  free(fill);
  return TB_OK;
}

int tb_data_split(const tb_dataset *ds, const tb_split_spec *spec, tb_splits *out) {
  int rc = TB_OK;
  uint8_t *part = NULL;
  uint32_t *pool = NULL, *order = NULL;
  size_t *start = NULL, *cap = NULL, *nt = NULL, *nv = NULL;
  double *q = NULL;
  memset(out, 0, sizeof *out);
  const char *msg = tb_split_spec_check(spec);
  if (msg) return tb_error_set(TB_ERR_INVALID, "split: %s", msg);
  if (!ds || !ds->n_rows) return tb_error_set(TB_ERR_INVALID, "split: empty dataset");
  if (ds->n_rows > UINT32_MAX) return tb_error_set(TB_ERR_RANGE, "split: %zu rows is more than 2^32 - 1", ds->n_rows);
  size_t n = ds->n_rows, npool = 0;
  int fixed = 0;
  if (ds->fixed_split)
    for (size_t i = 0; i < n && !fixed; i++) fixed = ds->fixed_split[i] == TB_SPLIT_TEST;
  int strat = spec->stratify && ds->task == TB_TASK_CLASSIFICATION && ds->y_class;
  int ng = strat ? ds->n_classes : 1;
  part = malloc(n);
  pool = malloc(n * sizeof *pool);
  order = malloc(n * sizeof *order);
  start = malloc(((size_t)ng + 1) * sizeof *start);
  cap = calloc((size_t)ng + 1, sizeof *cap);
  nt = calloc((size_t)ng + 1, sizeof *nt);
  nv = calloc((size_t)ng + 1, sizeof *nv);
  q = calloc((size_t)ng + 1, sizeof *q);
  if (!part || !pool || !order || !start || !cap || !nt || !nv || !q)
    TB_FAIL(TB_ERR_NOMEM, "split: out of host memory for %zu rows", n);
  for (size_t i = 0; i < n; i++) {
    part[i] = TB_SPLIT_TRAIN;
    if (fixed && ds->fixed_split[i] == TB_SPLIT_TEST)
      part[i] = TB_SPLIT_TEST;
    else
      pool[npool++] = (uint32_t)i;
  }
  TB_TRY(group_rows(ds, pool, npool, strat, order, start));
  tb_data_rng g = {tb_rng_derive(spec->seed, 1), 0};
  for (int c = 0; c < ng; c++) tb_data_shuffle_u32(&g, order + start[c], start[c + 1] - start[c]);

  size_t total_test = fixed ? 0 : (size_t)llround(spec->test_frac * (double)npool);
  for (int c = 0; c < ng; c++) {
    cap[c] = start[c + 1] - start[c];
    q[c] = fixed ? 0.0 : spec->test_frac * (double)cap[c];
  }
  apportion(q, cap, ng, total_test, nt);
  size_t total_valid = (size_t)llround(spec->valid_frac * (double)(npool - total_test));
  for (int c = 0; c < ng; c++) {
    cap[c] -= nt[c];
    q[c] = spec->valid_frac * (double)cap[c];
  }
  apportion(q, cap, ng, total_valid, nv);
  for (int c = 0; c < ng; c++)
    for (size_t j = 0; j < start[c + 1] - start[c]; j++)
      part[pool[order[start[c] + j]]] = j < nt[c] ? TB_SPLIT_TEST : j < nt[c] + nv[c] ? TB_SPLIT_VALID : TB_SPLIT_TRAIN;

  for (size_t i = 0; i < n; i++) {
    if (part[i] == TB_SPLIT_TEST) out->n_test++;
    else if (part[i] == TB_SPLIT_VALID) out->n_valid++;
    else out->n_train++;
  }
  if (!out->n_train)
    TB_FAIL(TB_ERR_INVALID, "split: %s: no training rows left (%zu rows, valid_frac %g, test_frac %g)", ds->name,
            n, spec->valid_frac, spec->test_frac);
  out->train = malloc((out->n_train + 1) * sizeof *out->train);
  out->valid = malloc((out->n_valid + 1) * sizeof *out->valid);
  out->test = malloc((out->n_test + 1) * sizeof *out->test);
  if (!out->train || !out->valid || !out->test) TB_FAIL(TB_ERR_NOMEM, "split: out of host memory");
  size_t a = 0, b = 0, t = 0;
  for (size_t i = 0; i < n; i++) {
    if (part[i] == TB_SPLIT_TEST) out->test[t++] = (uint32_t)i;
    else if (part[i] == TB_SPLIT_VALID) out->valid[b++] = (uint32_t)i;
    else out->train[a++] = (uint32_t)i;
  }
  tb_data_shuffle_u32(&g, out->train, out->n_train);
done:
  if (rc < 0) tb_splits_free(out);
  free(part);
  free(pool);
  free(order);
  free(start);
  free(cap);
  free(nt);
  free(nv);
  free(q);
  return rc;
}

void tb_splits_free(tb_splits *s) {
  if (!s) return;
  free(s->train);
  free(s->valid);
  free(s->test);
  memset(s, 0, sizeof *s);
}

static int check_rows(const tb_dataset *ds, const uint32_t *idx, size_t n, const char *what) {
  if (!ds) return tb_error_set(TB_ERR_INVALID, "%s: no dataset", what);
  if (!idx && n > ds->n_rows)
    return tb_error_set(TB_ERR_RANGE, "%s: %zu rows asked of %s, which has %zu", what, n, ds->name, ds->n_rows);
  if (n > UINT32_MAX) return tb_error_set(TB_ERR_RANGE, "%s: %zu rows is more than 2^32 - 1", what, n);
  for (size_t i = 0; idx && i < n; i++)
    if (idx[i] >= ds->n_rows)
      return tb_error_set(TB_ERR_RANGE, "%s: row %u outside 0..%zu of %s", what, idx[i], ds->n_rows - 1, ds->name);
  return TB_OK;
}

int tb_data_kfold(const tb_dataset *ds, const uint32_t *idx, size_t n, int k, uint64_t seed, int stratify,
                  int *fold) {
  int rc = TB_OK;
  uint32_t *order = NULL;
  size_t *start = NULL;
  TB_TRY(check_rows(ds, idx, n, "k-fold"));
  if (!fold) return tb_error_set(TB_ERR_INVALID, "k-fold: no output array");
  if (k < 2) return tb_error_set(TB_ERR_INVALID, "k-fold: k = %d, must be at least 2", k);
  if ((size_t)k > n) return tb_error_set(TB_ERR_INVALID, "k-fold: k = %d is more than the %zu rows", k, n);
  int strat = stratify && ds->task == TB_TASK_CLASSIFICATION && ds->y_class;
  int ng = strat ? ds->n_classes : 1;
  order = malloc(n * sizeof *order);
  start = malloc(((size_t)ng + 1) * sizeof *start);
  if (!order || !start) TB_FAIL(TB_ERR_NOMEM, "k-fold: out of host memory for %zu rows", n);
  TB_TRY(group_rows(ds, idx, n, strat, order, start));
  tb_data_rng g = {tb_rng_derive(seed, 2), 0};
  int f = 0;
  for (int c = 0; c < ng; c++) {
    tb_data_shuffle_u32(&g, order + start[c], start[c + 1] - start[c]);
    for (size_t j = start[c]; j < start[c + 1]; j++) {
      fold[order[j]] = f;
      f = f + 1 == k ? 0 : f + 1;
    }
  }
done:
  free(order);
  free(start);
  return rc;
}

int tb_standardizer_fit(const tb_dataset *ds, const uint32_t *idx, size_t n, tb_standardizer *out) {
  int rc = TB_OK;
  float *lo = NULL, *hi = NULL;
  size_t *cnt = NULL;
  memset(out, 0, sizeof *out);
  TB_TRY(check_rows(ds, idx, n, "standardizer"));
  if (!n) return tb_error_set(TB_ERR_INVALID, "standardizer: no rows to fit on");
  size_t d = (size_t)ds->n_cols;
  out->n_cols = ds->n_cols;
  out->mean = calloc(d + 1, sizeof *out->mean);
  out->scale = calloc(d + 1, sizeof *out->scale);
  lo = malloc((d + 1) * sizeof *lo);
  hi = malloc((d + 1) * sizeof *hi);
  cnt = calloc(d + 1, sizeof *cnt);
  if (!out->mean || !out->scale || !lo || !hi || !cnt) TB_FAIL(TB_ERR_NOMEM, "standardizer: out of host memory");
  for (size_t j = 0; j < d; j++) lo[j] = INFINITY, hi[j] = -INFINITY;
  for (size_t i = 0; i < n; i++) { /* NaN cells (missing values) are left out of the column's statistics */
    const float *x = ds->X + (size_t)(idx ? idx[i] : i) * d;
    for (size_t j = 0; j < d; j++) {
      if (isnan(x[j])) continue;
      out->mean[j] += x[j];
      cnt[j]++;
      if (x[j] < lo[j]) lo[j] = x[j];
      if (x[j] > hi[j]) hi[j] = x[j];
    }
  }
  for (size_t j = 0; j < d; j++) out->mean[j] = cnt[j] ? out->mean[j] / (double)cnt[j] : 0.0;
  for (size_t i = 0; i < n; i++) {
    const float *x = ds->X + (size_t)(idx ? idx[i] : i) * d;
    for (size_t j = 0; j < d; j++) {
      if (isnan(x[j])) continue;
      double e = x[j] - out->mean[j];
      out->scale[j] += e * e;
    }
  }
  for (size_t j = 0; j < d; j++) {
    double sd = cnt[j] ? sqrt(out->scale[j] / (double)cnt[j]) : 1.0;
    if (lo[j] == hi[j] || !(sd > 0.0) || !isfinite(sd)) { /* constant column, or no value, or infinite data */
      if (lo[j] == hi[j] && isfinite(lo[j])) out->mean[j] = lo[j];
      sd = 1.0;
    }
    out->scale[j] = sd;
  }
done:
  if (rc < 0) tb_standardizer_free(out);
  free(lo);
  free(hi);
  free(cnt);
  return rc;
}

int tb_standardizer_apply(const tb_standardizer *st, tb_dataset *ds) {
  if (!st || !st->mean || !st->scale) return tb_error_set(TB_ERR_INVALID, "standardizer: not fitted");
  if (!ds || ds->n_cols != st->n_cols)
    return tb_error_set(TB_ERR_INVALID, "standardizer: fitted on %d columns, dataset %s has %d", st->n_cols,
                        ds ? ds->name : "(none)", ds ? ds->n_cols : 0);
  size_t d = (size_t)ds->n_cols;
  for (size_t i = 0; i < ds->n_rows; i++) {
    float *x = ds->X + i * d;
    for (size_t j = 0; j < d; j++) x[j] = (float)((x[j] - st->mean[j]) / st->scale[j]);
  }
  return TB_OK;
}

void tb_standardizer_free(tb_standardizer *st) {
  if (!st) return;
  free(st->mean);
  free(st->scale);
  memset(st, 0, sizeof *st);
}
