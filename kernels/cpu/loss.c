/* PLACEHOLDER: replaced by its owner during the session. */
#include "cpu_impl.h"

int tb_cpu_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                        float grad_scale, float *loss_rows, float *dlogits) {
  (void)be;
  (void)K;
  (void)rows;
  (void)classes;
  (void)logits;
  (void)labels;
  (void)grad_scale;
  (void)loss_rows;
  (void)dlogits;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                  float grad_scale, float *loss_rows, float *dpred) {
  (void)be;
  (void)K;
  (void)rows;
  (void)cols;
  (void)pred;
  (void)target;
  (void)grad_scale;
  (void)loss_rows;
  (void)dpred;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_sum(tb_backend *be, int K, size_t n, const float *x, double *sums) {
  (void)be;
  (void)K;
  (void)n;
  (void)x;
  (void)sums;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx) {
  (void)be;
  (void)rows;
  (void)cols;
  (void)X;
  (void)idx;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                    int64_t *correct) {
  (void)be;
  (void)K;
  (void)rows;
  (void)classes;
  (void)logits;
  (void)labels;
  (void)correct;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
