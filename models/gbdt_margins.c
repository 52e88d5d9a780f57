/* gbdt_margins.c: the gbdt learner's margins (models/gbdt_impl.h): every dataset row has a margin row, the
 * training rows by their own index and the others (validation, test) in n_other extra rows over a compact copy of
 * their bins; trees are added to them by walking the trees on the bins (tb_op_forest_predict), and evaluation of any
 * set of rows is a gather of margin rows plus the loss ops. The per-round update of the training rows from the
 * leaves' segments is in gbdt.c (one_round). Not the learner's interface (gbdt.c).
 * Tested by tests/test_model_gbdt.c (segment margins equal walked margins; save/restore recomputes them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt_impl.h"

/* Adds trees first .. first+n-1 to the margins of the non-training rows (on their compact bins) and, when
 * all_rows, to the first n_all margin rows too. */
int tb_gbdt_predict_margins(tb_model *m, int first, int n, int all_rows) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  const int n_cols = tb_devdata_dataset(m->dd)->n_cols;
  TB_TRY(tb_treeset_sync(m->be, &g->trees));
  tb_forest_view v = tb_treeset_view(&g->trees, first, n);
  if (!v.n_trees) return TB_OK;
  if (all_rows)
    TB_TRY(tb_op_forest_predict(m->be, &v, g->n_all, n_cols, NULL, g->bins->bins, 1.0f, g->n_out, g->margins.data));
  if (g->n_other)
    TB_TRY(tb_op_forest_predict(m->be, &v, g->n_other, n_cols, NULL, g->obins.data, 1.0f, g->n_out,
                                (float *)g->margins.data + g->n_all * (size_t)g->n_out));
done:
  return rc;
}

int tb_gbdt_recompute_margins(tb_model *m) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  const size_t nr = g->n_all + g->n_other;
  TB_TRY(tb_op_fill(m->be, nr * (size_t)g->n_out, 0.0f, g->margins.data));
  TB_TRY(tb_op_bias_add(m->be, 1, (int)nr, g->n_out, g->margins.data, g->base_dev.data));
  TB_TRY(tb_gbdt_predict_margins(m, 0, g->trees.n_trees, 1));
done:
  return rc;
}

/* g->mrow, g->n_other and g->obins: the margin row of every dataset row and the compact bins of the rows outside
 * the training set (copied through the host once). */
int tb_gbdt_other_rows(tb_model *m) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  const size_t nc = (size_t)tb_devdata_dataset(m->dd)->n_cols;
  uint8_t *all = NULL, *ob = NULL;
  g->mrow = malloc(g->n_all * sizeof *g->mrow);
  if (!g->mrow) TB_FAIL(TB_ERR_NOMEM, "gbdt: out of host memory (%zu rows)", g->n_all);
  for (size_t r = 0; r < g->n_all; r++) g->mrow[r] = UINT32_MAX;
  for (size_t i = 0; i < m->n_train; i++) g->mrow[m->train[i]] = m->train[i];
  g->n_other = 0;
  for (size_t r = 0; r < g->n_all; r++)
    if (g->mrow[r] == UINT32_MAX) g->mrow[r] = (uint32_t)(g->n_all + g->n_other++);
  if (!g->n_other) return TB_OK;
  all = malloc(g->n_all * nc);
  ob = malloc(g->n_other * nc);
  if (!all || !ob) TB_FAIL(TB_ERR_NOMEM, "gbdt: out of host memory (%zu rows)", g->n_all);
  TB_TRY(tb_backend_download(m->be, all, g->bins->bins, g->n_all * nc));
  for (size_t r = 0; r < g->n_all; r++)
    if (g->mrow[r] >= g->n_all) memcpy(ob + (g->mrow[r] - g->n_all) * nc, all + r * nc, nc);
  TB_TRY(tb_backend_alloc(m->be, g->n_other * nc, &g->obins));
  TB_TRY(tb_backend_upload(m->be, g->obins.data, ob, g->n_other * nc));
done:
  free(all);
  free(ob);
  return rc;
}

/* dst (device, n) = the margin rows of dataset rows rows[0..n) (host). */
int tb_gbdt_upload_mrows(tb_model *m, const uint32_t *rows, size_t n, uint32_t *dst) {
  gbdt *g = m->impl;
  if (!n) return TB_OK;
  uint32_t *h = malloc(n * sizeof *h);
  if (!h) return tb_error_set(TB_ERR_NOMEM, "gbdt: out of host memory (%zu rows)", n);
  for (size_t i = 0; i < n; i++) h[i] = g->mrow[rows[i]];
  int rc = tb_backend_upload(m->be, dst, h, n * sizeof *h);
  free(h);
  return rc;
}

/* buf holds at least `bytes` (grown, never shrunk). */
static int ensure_buf(tb_backend *be, tb_buf *buf, size_t bytes) {
  if (buf->bytes >= bytes) return TB_OK;
  tb_backend_release(be, buf);
  return tb_backend_alloc(be, bytes, buf);
}

/* idx_dev: the dataset rows (labels, targets); midx_dev: their margin rows (g->mrow). Work buffers are the model's
 * (g->ev_*), so evaluating every round allocates nothing after the first. */
int tb_gbdt_eval_dev(tb_model *m, const uint32_t *idx_dev, const uint32_t *midx_dev, size_t n, tb_metrics *out) {
  gbdt *g = m->impl;
  int rc = TB_OK;
  const int C = g->n_out;
  double s = 0.0;
  TB_TRY(ensure_buf(m->be, &g->ev_loss, n * sizeof(float)));
  TB_TRY(ensure_buf(m->be, &g->ev_y, n * sizeof(float)));
  TB_TRY(ensure_buf(m->be, &g->ev_pred, n * (size_t)C * sizeof(float)));
  float *loss = g->ev_loss.data, *pred = g->ev_pred.data;
  TB_TRY(tb_op_gather_rows(m->be, n, C, g->margins.data, midx_dev, pred));
  out->n = n;
  if (g->obj == OBJ_SQUARED) {
    float *y = g->ev_y.data;
    TB_TRY(tb_op_gather_rows(m->be, n, 1, tb_devdata_targets(m->dd), idx_dev, y));
    TB_TRY(tb_op_sq_err(m->be, 1, (int)n, 1, pred, y, 1.0f, loss, NULL));
    TB_TRY(tb_op_sum(m->be, 1, n, loss, &s));
    out->loss = s / (double)n;
    out->rmse = sqrt(2.0 * out->loss);
    out->accuracy = out->logloss = NAN;
  } else {
    int64_t correct = 0;
    int32_t *y = g->ev_y.data;
    TB_TRY(tb_op_gather_i32(m->be, n, tb_devdata_labels(m->dd), idx_dev, y));
    TB_TRY(tb_op_softmax_xent(m->be, 1, (int)n, C, pred, y, 1.0f, loss, NULL));
    TB_TRY(tb_op_sum(m->be, 1, n, loss, &s));
    TB_TRY(tb_op_accuracy(m->be, 1, (int)n, C, pred, y, &correct));
    out->loss = out->logloss = s / (double)n;
    out->accuracy = (double)correct / (double)n;
    out->rmse = NAN;
  }
done:
  return rc;
}
