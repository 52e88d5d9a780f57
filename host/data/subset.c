/* subset.c: nested data-fraction subsets of training rows (declared in tb_data.h), for the data-fraction fidelity
 * of the study executor: one seeded order of the training rows whose every prefix is a subset, so the rows of a
 * smaller fraction are always among those of a larger one, and every trial at fraction f sees the same rows.
 * Not a split (split.c) and not a sampler. Tested by tests/test_datafraction.c.
 *
 * Order (tb_data_fraction_order): the Philox stream of kernels/tb_rng.h keyed by tb_rng_derive(seed, 3), read by
 * split.c's exact uniform integers and Fisher-Yates shuffle (tb_data_shuffle_u32). Stratified (classification with
 * stratify = 1): each class's positions are shuffled; the order starts with one row of each class present
 * (classes in a shuffled order), then position j (1-based) takes the next row of the class c with the largest deficit j p_c - taken_c
 * (p_c = m_c / n; ties to the lower class), so every prefix of k >= n_present rows holds each present class and,
 * once the first rows are absorbed, within about one row of k p_c. Otherwise: one shuffle of all positions.
 * Size (tb_data_fraction_size): ceil(f n) rows (1e-9 slack for f n that is an integer up to rounding), at least
 * one, and for classification at least min(n_classes, n) so a small fraction still sees every class. */
#include "data_impl.h"
#include "tb_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t tb_data_fraction_size(const tb_dataset *ds, size_t n, double f) {
  if (n == 0 || !(f > 0)) return 0;
  if (f >= 1) return n;
  double k = ceil(f * (double)n - 1e-9);
  size_t m = k < 1 ? 1 : (size_t)k;
  if (ds && ds->task == TB_TASK_CLASSIFICATION && ds->n_classes > 0) {
    size_t c = (size_t)ds->n_classes < n ? (size_t)ds->n_classes : n;
    if (m < c) m = c;
  }
  return m > n ? n : m;
}

int tb_data_fraction_order(const tb_dataset *ds, const uint32_t *idx, size_t n, uint64_t seed, int stratify,
                           uint32_t *order) {
  int rc = TB_OK;
  size_t *start = NULL, *taken = NULL;
  uint32_t *pos = NULL, *first = NULL;
  if (!ds || !order) return tb_error_set(TB_ERR_INVALID, "fraction order: NULL dataset or output");
  if (n > UINT32_MAX) return tb_error_set(TB_ERR_RANGE, "fraction order: %zu rows is more than 2^32 - 1", n);
  for (size_t i = 0; i < n; i++)
    if ((idx ? idx[i] : i) >= ds->n_rows)
      return tb_error_set(TB_ERR_RANGE, "fraction order: row %zu of %s is out of range (%zu rows)",
                          (size_t)(idx ? idx[i] : i), ds->name ? ds->name : "the dataset", ds->n_rows);
  tb_data_rng g = {tb_rng_derive(seed, 3), 0};
  int by_class = stratify && ds->task == TB_TASK_CLASSIFICATION && ds->n_classes > 1;
  if (!by_class) {
    for (size_t i = 0; i < n; i++) order[i] = idx ? idx[i] : (uint32_t)i;
    tb_data_shuffle_u32(&g, order, n);
    return TB_OK;
  }
  int C = ds->n_classes;
  start = calloc((size_t)C + 1, sizeof *start), taken = calloc((size_t)C, sizeof *taken);
  pos = malloc((n ? n : 1) * sizeof *pos), first = malloc((size_t)C * sizeof *first);
  if (!start || !taken || !pos || !first) TB_FAIL(TB_ERR_NOMEM, "fraction order: out of host memory");
  for (size_t i = 0; i < n; i++) {
    int c = ds->y_class[idx ? idx[i] : i];
    if (c < 0 || c >= C)
      TB_FAIL(TB_ERR_INVALID, "fraction order: %s: row %zu has label %d outside 0..%d",
              ds->name ? ds->name : "dataset", (size_t)(idx ? idx[i] : i), c, C - 1);
    start[c + 1]++;
  }
  for (int c = 0; c < C; c++) start[c + 1] += start[c];
  for (size_t i = 0; i < n; i++) { /* group the rows by class (ascending within), then shuffle each class */
    int c = ds->y_class[idx ? idx[i] : i];
    pos[start[c] + taken[c]++] = idx ? idx[i] : (uint32_t)i;
  }
  int present = 0;
  for (int c = 0; c < C; c++) {
    tb_data_shuffle_u32(&g, pos + start[c], start[c + 1] - start[c]);
    taken[c] = 0;
    if (start[c + 1] > start[c]) first[present++] = (uint32_t)c;
  }
  tb_data_shuffle_u32(&g, first, (size_t)present);
  size_t j = 0;
  for (; j < (size_t)present; j++) { /* one row of each present class first */
    int c = (int)first[j];
    order[j] = pos[start[c] + taken[c]++];
  }
  for (; j < n; j++) {
    int best = -1;
    double best_def = 0;
    for (int c = 0; c < C; c++) {
      size_t m = start[c + 1] - start[c];
      if (taken[c] >= m) continue;
      double def = (double)(j + 1) * (double)m / (double)n - (double)taken[c];
      if (best < 0 || def > best_def) best = c, best_def = def;
    }
    order[j] = pos[start[best] + taken[best]++];
  }
done:
  free(start);
  free(taken);
  free(pos);
  free(first);
  return rc;
}
