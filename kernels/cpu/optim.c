/* PLACEHOLDER: replaced by its owner during the session. */
#include "cpu_impl.h"

int tb_cpu_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V, const tb_sgd_hparams *hp) {
  (void)be;
  (void)K;
  (void)n;
  (void)W;
  (void)G;
  (void)V;
  (void)hp;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                       const tb_adam_hparams *hp) {
  (void)be;
  (void)K;
  (void)n;
  (void)W;
  (void)G;
  (void)M;
  (void)V;
  (void)hp;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
