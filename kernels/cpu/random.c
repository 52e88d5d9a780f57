/* PLACEHOLDER: replaced by its owner during the session. */
#include "cpu_impl.h"

int tb_cpu_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out) {
  (void)be;
  (void)n;
  (void)seed;
  (void)offset;
  (void)lo;
  (void)hi;
  (void)out;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out) {
  (void)be;
  (void)n;
  (void)seed;
  (void)offset;
  (void)mean;
  (void)std;
  (void)out;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                           const float *X, float *Y, float *mask) {
  (void)be;
  (void)K;
  (void)n;
  (void)p;
  (void)seed;
  (void)offset;
  (void)X;
  (void)Y;
  (void)mask;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
