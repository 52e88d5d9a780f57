/* devdata.c: a dataset's device copy, made once per dataset and backend context and shared by every model trained
 * on it: the features X (n_rows, n_cols), the int32 labels or float targets, and, on request, quantised bins for the
 * tree learners (cuts from tb_quantile_cuts on the training rows, computed on the host; tb_op_quantize of every row
 * on the device) and their column-major copy (for the row partitions of tree growth), cached per max_bins.
 * It is not a loader (host/data/data.c) and does not split or standardise.
 * Tested by tests/test_model_core.c (upload round trip, bins against a host quantisation, cache, bad arguments). */
#include <stdlib.h>
#include <string.h>

#include "model_impl.h"

#define TB_DEVDATA_MAX_BINSETS 8

typedef struct {
  tb_bins view;
  tb_buf bins, bins_cols, cuts, cut_ptr; /* bins_cols: the bins column-major (n_cols, n_rows), for partitions */
  float *cuts_host;
  uint32_t *cut_ptr_host;
} binset;

struct tb_devdata {
  tb_backend *be;
  const tb_dataset *ds;
  tb_buf X, labels, targets;
  int n_binsets;
  binset binsets[TB_DEVDATA_MAX_BINSETS];
};

int tb_devdata_create(tb_backend *be, const tb_dataset *ds, tb_devdata **out) {
  int rc = TB_OK;
  tb_devdata *dd = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "devdata: NULL output");
  *out = NULL;
  if (!be || !ds) return tb_error_set(TB_ERR_INVALID, "devdata: NULL backend or dataset");
  if (ds->n_rows < 1 || ds->n_cols < 1 || !ds->X)
    return tb_error_set(TB_ERR_INVALID, "devdata: dataset %s is empty (%zu rows, %d columns)",
                        ds->name ? ds->name : "?", ds->n_rows, ds->n_cols);
  if (ds->task == TB_TASK_CLASSIFICATION ? !ds->y_class || ds->n_classes < 2 : !ds->y_value)
    return tb_error_set(TB_ERR_INVALID, "devdata: dataset %s has no %s", ds->name ? ds->name : "?",
                        ds->task == TB_TASK_CLASSIFICATION ? "labels (or fewer than 2 classes)" : "targets");
  dd = calloc(1, sizeof *dd);
  if (!dd) return tb_error_set(TB_ERR_NOMEM, "devdata: out of host memory");
  dd->be = be;
  dd->ds = ds;
  size_t nx = ds->n_rows * (size_t)ds->n_cols * sizeof(float);
  TB_TRY(tb_backend_alloc(be, nx, &dd->X));
  TB_TRY(tb_backend_upload(be, dd->X.data, ds->X, nx));
  if (ds->task == TB_TASK_CLASSIFICATION) {
    TB_TRY(tb_backend_alloc(be, ds->n_rows * sizeof(int32_t), &dd->labels));
    TB_TRY(tb_backend_upload(be, dd->labels.data, ds->y_class, dd->labels.bytes));
  } else {
    TB_TRY(tb_backend_alloc(be, ds->n_rows * sizeof(float), &dd->targets));
    TB_TRY(tb_backend_upload(be, dd->targets.data, ds->y_value, dd->targets.bytes));
  }
  *out = dd;
  dd = NULL;
done:
  tb_devdata_free(dd);
  return rc;
}

void tb_devdata_free(tb_devdata *dd) {
  if (!dd) return;
  for (int i = 0; i < dd->n_binsets; i++) {
    binset *b = &dd->binsets[i];
    tb_backend_release(dd->be, &b->bins_cols);
    tb_backend_release(dd->be, &b->bins);
    tb_backend_release(dd->be, &b->cuts);
    tb_backend_release(dd->be, &b->cut_ptr);
    free(b->cuts_host);
    free(b->cut_ptr_host);
  }
  tb_backend_release(dd->be, &dd->targets);
  tb_backend_release(dd->be, &dd->labels);
  tb_backend_release(dd->be, &dd->X);
  free(dd);
}

const tb_dataset *tb_devdata_dataset(const tb_devdata *dd) { return dd ? dd->ds : NULL; }
tb_backend *tb_devdata_backend(const tb_devdata *dd) { return dd ? dd->be : NULL; }
const float *tb_devdata_X(const tb_devdata *dd) { return dd ? dd->X.data : NULL; }
const int32_t *tb_devdata_labels(const tb_devdata *dd) { return dd ? dd->labels.data : NULL; }
const float *tb_devdata_targets(const tb_devdata *dd) { return dd ? dd->targets.data : NULL; }

const uint8_t *tb_devdata_bins_cols(const tb_devdata *dd, const tb_bins *bins) {
  if (!dd || !bins) return NULL;
  for (int i = 0; i < dd->n_binsets; i++)
    if (&dd->binsets[i].view == bins) return dd->binsets[i].bins_cols.data;
  return NULL;
}

/* bins_cols = the transpose of bins ((n, d) row-major uint8), through the host (once per binset: 2 copies of n*d
 * bytes), in blocks of 64 rows so that both sides stay in cache. */
static int transpose_bins(tb_backend *be, size_t n, size_t d, const tb_buf *bins, tb_buf *bins_cols) {
  int rc = TB_OK;
  uint8_t *rm = malloc(n * d), *cm = malloc(n * d);
  if (!rm || !cm) TB_FAIL(TB_ERR_NOMEM, "devdata bins: out of host memory (%zu x %zu bins)", n, d);
  TB_TRY(tb_backend_download(be, rm, bins->data, n * d));
  for (size_t r0 = 0; r0 < n; r0 += 64) {
    const size_t r1 = r0 + 64 < n ? r0 + 64 : n;
    for (size_t j = 0; j < d; j++)
      for (size_t r = r0; r < r1; r++) cm[j * n + r] = rm[r * d + j];
  }
  TB_TRY(tb_backend_upload(be, bins_cols->data, cm, n * d));
done:
  free(cm);
  free(rm);
  return rc;
}

/* Cuts are fitted on at most this many training rows (a sample drawn by tb_quantile_cuts; all rows below it). */
#define TB_BINS_SAMPLE ((size_t)1 << 20)

int tb_devdata_bins(tb_devdata *dd, int max_bins, const uint32_t *fit_rows, size_t n_fit, const tb_bins **out) {
  int rc = TB_OK;
  float *Xfit = NULL;
  binset b;
  memset(&b, 0, sizeof b);
  if (!out) return tb_error_set(TB_ERR_INVALID, "devdata bins: NULL output");
  *out = NULL;
  if (!dd) return tb_error_set(TB_ERR_INVALID, "devdata bins: NULL devdata");
  if (max_bins < 2 || max_bins > TB_MAX_BINS)
    return tb_error_set(TB_ERR_INVALID, "devdata bins: max_bins = %d is outside 2..%d", max_bins, TB_MAX_BINS);
  for (int i = 0; i < dd->n_binsets; i++)
    if (dd->binsets[i].view.max_bins == max_bins) {
      *out = &dd->binsets[i].view;
      return TB_OK;
    }
  if (dd->n_binsets == TB_DEVDATA_MAX_BINSETS)
    return tb_error_set(TB_ERR_INVALID, "devdata bins: more than %d different max_bins on one dataset",
                        TB_DEVDATA_MAX_BINSETS);
  if (n_fit < 1 || !fit_rows) return tb_error_set(TB_ERR_INVALID, "devdata bins: no rows to fit the cuts on");
  const tb_dataset *ds = dd->ds;
  const size_t d = (size_t)ds->n_cols;
  for (size_t i = 0; i < n_fit; i++)
    if (fit_rows[i] >= ds->n_rows)
      return tb_error_set(TB_ERR_INVALID, "devdata bins: fit row %u is outside the dataset's %zu rows", fit_rows[i],
                          ds->n_rows);
  /* the training rows' features, gathered on the host (ds is host memory) */
  Xfit = malloc(n_fit * d * sizeof *Xfit);
  if (!Xfit) TB_FAIL(TB_ERR_NOMEM, "devdata bins: out of host memory (%zu rows)", n_fit);
  for (size_t i = 0; i < n_fit; i++) memcpy(Xfit + i * d, ds->X + (size_t)fit_rows[i] * d, d * sizeof *Xfit);
  TB_TRY(tb_quantile_cuts(Xfit, n_fit, ds->n_cols, max_bins, n_fit > TB_BINS_SAMPLE ? TB_BINS_SAMPLE : 0, 0,
                          &b.cuts_host, &b.cut_ptr_host));
  size_t total = b.cut_ptr_host[d];
  TB_TRY(tb_backend_alloc(dd->be, total * sizeof(float), &b.cuts));
  TB_TRY(tb_backend_alloc(dd->be, (d + 1) * sizeof(uint32_t), &b.cut_ptr));
  TB_TRY(tb_backend_alloc(dd->be, ds->n_rows * d, &b.bins));
  TB_TRY(tb_backend_upload(dd->be, b.cuts.data, b.cuts_host, b.cuts.bytes));
  TB_TRY(tb_backend_upload(dd->be, b.cut_ptr.data, b.cut_ptr_host, b.cut_ptr.bytes));
  TB_TRY(tb_op_quantize(dd->be, ds->n_rows, ds->n_cols, dd->X.data, b.cuts.data, b.cut_ptr.data, b.bins.data));
  TB_TRY(tb_backend_alloc(dd->be, ds->n_rows * d, &b.bins_cols));
  TB_TRY(transpose_bins(dd->be, ds->n_rows, d, &b.bins, &b.bins_cols));
  b.view.max_bins = max_bins;
  b.view.total_bins = (int)total;
  b.view.bins = b.bins.data;
  b.view.cuts = b.cuts.data;
  b.view.cut_ptr = b.cut_ptr.data;
  b.view.cuts_host = b.cuts_host;
  b.view.cut_ptr_host = b.cut_ptr_host;
  dd->binsets[dd->n_binsets] = b;
  *out = &dd->binsets[dd->n_binsets++].view;
  memset(&b, 0, sizeof b);
done:
  free(Xfit);
  tb_backend_release(dd->be, &b.bins_cols);
  tb_backend_release(dd->be, &b.bins);
  tb_backend_release(dd->be, &b.cut_ptr);
  tb_backend_release(dd->be, &b.cuts);
  free(b.cuts_host);
  free(b.cut_ptr_host);
  return rc;
}
