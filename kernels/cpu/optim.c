/* optim.c: the CPU backend's optimizer steps for K models of n parameters each, with per-model hyperparameters:
 * SGD (momentum, Nesterov, l1, l2; PyTorch's SGD with dampening 0) and Adam / AdamW (PyTorch's formulas).
 * Arguments and hyperparameter ranges were checked by kernels/backend.c. Not here: learning-rate schedules (the
 * caller passes this step's lr) or gradient clipping. All updates are float, in the order written in each comment,
 * so the CUDA kernels (built with -fmad=false) can match them. Tested by tests/test_ops_optim.c against a
 * double-precision reference over several steps. */
#include "cpu_impl.h"

#include <math.h>

#define TB_CPU_PAR_MIN 32768

/* sign(w) with sign(0) = 0 (and NaN -> 0, the NaN reaches W through G + l2*W anyway). */
static inline float sgnf(float w) { return (float)((w > 0.0f) - (w < 0.0f)); }

int tb_cpu_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V, const tb_sgd_hparams *hp) {
  /* g = G + l2*w + l1*sign(w); with momentum: v = momentum*v + g, step = nesterov ? g + momentum*v : v;
   * without: step = g (and v = g when V is given, so V is never read). w -= lr * step. */
  for (int k = 0; k < K; k++) {
    const float lr = hp[k].lr, mu = hp[k].momentum, l1 = hp[k].l1, l2 = hp[k].l2;
    const int nesterov = hp[k].nesterov != 0;
    float *w = W + (size_t)k * n, *v = V ? V + (size_t)k * n : NULL;
    const float *gr = G + (size_t)k * n;
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
    for (size_t i = 0; i < n; i++) {
      float wi = w[i];
      float g = gr[i] + l2 * wi + l1 * sgnf(wi);
      float step = g;
      if (mu != 0.0f) {
        float vi = mu * v[i] + g;
        v[i] = vi;
        step = nesterov ? g + mu * vi : vi;
      } else if (v) {
        v[i] = g;
      }
      w[i] = wi - lr * step;
    }
  }
  return TB_OK;
}

int tb_cpu_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                       const tb_adam_hparams *hp) {
  /* w *= 1 - lr*wd; g = G + l2*w + l1*sign(w); m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
   * w -= lr * (m / bc1) / (sqrtf(v / bc2) + eps), with bc1 = 1 - b1^t and bc2 = 1 - b2^t computed in double
   * and rounded to float once per model. */
  for (int k = 0; k < K; k++) {
    const float lr = hp[k].lr, b1 = hp[k].beta1, b2 = hp[k].beta2, eps = hp[k].eps, l1 = hp[k].l1, l2 = hp[k].l2;
    const float decay = 1.0f - lr * hp[k].weight_decay;
    const float bc1 = (float)(1.0 - pow(b1, (double)hp[k].step));
    const float bc2 = (float)(1.0 - pow(b2, (double)hp[k].step));
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
    float *w = W + (size_t)k * n, *m = M + (size_t)k * n, *v = V + (size_t)k * n;
    const float *gr = G + (size_t)k * n;
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
    for (size_t i = 0; i < n; i++) {
      float wi = w[i] * decay;
      float g = gr[i] + l2 * wi + l1 * sgnf(wi);
      float mi = b1 * m[i] + c1 * g;
      float vi = b2 * v[i] + c2 * (g * g);
      m[i] = mi;
      v[i] = vi;
      w[i] = wi - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
    }
  }
  return TB_OK;
}
