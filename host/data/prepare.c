/* prepare.c: the one data path every learner's data takes after loading (tb_data_prepare: split, impute, standardise),
 * the missing-value policy of the loaders (missing= in the SPEC, tb_data_check_cell, the post-load check of
 * tb_data_load) and the label warning (tb_data_label_warning), all declared in tb_data.h / data_impl.h.
 * Not a loader and not a learner: `tunebench train` (host/cli/cli_learner.c) and suite trials
 * (host/suite/suite_run.c) both call tb_data_prepare, which is what makes their numbers equal.
 * Tested by tests/test_data_prepare.c (policies, imputation with train means only, the warning, equality of the
 * suite path and the train path) and tests/test_data_load.c (cells refused with file:line:column). */
#include "data_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tb_spec_get_missing(tb_spec *s, tb_missing *out) {
  const char *v = NULL;
  *out = TB_MISSING_ERROR;
  tb_spec_get_str(s, "missing", &v); /* cannot fail */
  if (!v || !strcmp(v, "error")) return TB_OK;
  if (!strcmp(v, "nan")) *out = TB_MISSING_NAN;
  else if (!strcmp(v, "impute-mean")) *out = TB_MISSING_IMPUTE_MEAN;
  else
    return tb_error_set(TB_ERR_INVALID, "%s: key 'missing' = '%s' is not error, nan or impute-mean", s->kind, v);
  return TB_OK;
}

int tb_data_check_cell(float v, tb_missing pol, const char *file, long line, long col) {
  if (isinf(v))
    return tb_error_set(TB_ERR_FORMAT, "%s:%ld:%ld: infinite value (a number beyond the float range, about 3.4e38, "
                        "or inf): not a usable feature", file, line, col);
  if (isnan(v) && pol == TB_MISSING_ERROR)
    return tb_error_set(TB_ERR_FORMAT, "%s:%ld:%ld: missing value (nan); add missing=nan (trees handle it) or "
                        "missing=impute-mean to the SPEC", file, line, col);
  return TB_OK;
}

int tb_data_check_cells(const tb_dataset *ds, const char *where) {
  size_t d = (size_t)ds->n_cols;
  for (size_t i = 0; i < ds->n_rows; i++)
    for (size_t j = 0; j < d; j++) {
      float v = ds->X[i * d + j];
      if (isinf(v) || (isnan(v) && ds->missing == TB_MISSING_ERROR))
        return tb_error_set(TB_ERR_FORMAT, "%s: row %zu, column %zu: %s value%s", where, i + 1, j + 1,
                            isnan(v) ? "missing (NaN)" : "infinite",
                            isnan(v) ? "; add missing=nan (trees handle it) or missing=impute-mean to the SPEC"
                                     : ": not a usable feature");
    }
  return TB_OK;
}

size_t tb_data_count_missing(const tb_dataset *ds, const uint32_t *idx, size_t n) {
  size_t d = ds ? (size_t)ds->n_cols : 0, k = 0;
  for (size_t i = 0; i < n; i++) {
    const float *x = ds->X + (size_t)(idx ? idx[i] : i) * d;
    for (size_t j = 0; j < d; j++) k += isnan(x[j]) != 0;
  }
  return k;
}

int tb_data_prepare(tb_dataset *ds, const tb_split_spec *spec, tb_splits *splits, tb_standardizer *st) {
  int rc = TB_OK;
  if (!splits || !st) return tb_error_set(TB_ERR_INVALID, "data prepare: no output");
  memset(splits, 0, sizeof *splits);
  memset(st, 0, sizeof *st);
  if (!ds || !spec) return tb_error_set(TB_ERR_INVALID, "data prepare: no dataset or no split spec");
  const char *msg = tb_split_spec_check(spec);
  if (msg) return tb_error_set(TB_ERR_INVALID, "data prepare: %s: %s", ds->name, msg);
  TB_TRY(tb_data_split(ds, spec, splits));
  if (!splits->n_train) TB_FAIL(TB_ERR_INVALID, "data prepare: the split of %s leaves no training rows", ds->name);
  TB_TRY(tb_standardizer_fit(ds, splits->train, splits->n_train, st));
  if (ds->missing == TB_MISSING_IMPUTE_MEAN) { /* the train rows' mean, which standardises to 0 */
    size_t d = (size_t)ds->n_cols;
    for (size_t i = 0; i < ds->n_rows; i++)
      for (size_t j = 0; j < d; j++)
        if (isnan(ds->X[i * d + j])) ds->X[i * d + j] = (float)st->mean[j];
  }
  TB_TRY(tb_standardizer_apply(st, ds));
done:
  if (rc < 0) {
    tb_splits_free(splits);
    tb_standardizer_free(st);
  }
  return rc;
}

int tb_data_label_warning(const tb_dataset *ds, char *buf, size_t len) {
  if (len) buf[0] = '\0';
  if (!ds || ds->task != TB_TASK_CLASSIFICATION || ds->n_classes <= 50) return 0;
  if ((double)ds->n_rows / ds->n_classes >= 5.0) return 0;
  snprintf(buf, len, "%s: the label column has %d distinct values for %zu rows (%.1f rows per class): it looks like "
           "an ID or a regression target, not classes (task=regression in the SPEC if it is a target)",
           ds->name, ds->n_classes, ds->n_rows, (double)ds->n_rows / ds->n_classes);
  return 1;
}
