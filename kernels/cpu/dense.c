/* PLACEHOLDER: replaced by its owner during the session. */
#include "cpu_impl.h"

int tb_cpu_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                        int lda, long long sa, const float *B, int ldb, long long sb, float beta, float *C, int ldc,
                        long long sc, int batch) {
  (void)be;
  (void)ta;
  (void)tb;
  (void)M;
  (void)N;
  (void)K;
  (void)alpha;
  (void)A;
  (void)lda;
  (void)sa;
  (void)B;
  (void)ldb;
  (void)sb;
  (void)beta;
  (void)C;
  (void)ldc;
  (void)sc;
  (void)batch;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias) {
  (void)be;
  (void)K;
  (void)rows;
  (void)cols;
  (void)X;
  (void)bias;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y) {
  (void)be;
  (void)K;
  (void)rows;
  (void)cols;
  (void)X;
  (void)beta;
  (void)Y;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y) {
  (void)be;
  (void)act;
  (void)n;
  (void)X;
  (void)Y;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX) {
  (void)be;
  (void)act;
  (void)n;
  (void)Y;
  (void)dY;
  (void)dX;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out) {
  (void)be;
  (void)n;
  (void)a;
  (void)b;
  (void)out;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_fill(tb_backend *be, size_t n, float value, float *x) {
  (void)be;
  (void)n;
  (void)value;
  (void)x;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst) {
  (void)be;
  (void)n_idx;
  (void)cols;
  (void)src;
  (void)idx;
  (void)dst;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst) {
  (void)be;
  (void)n_idx;
  (void)src;
  (void)idx;
  (void)dst;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
