/* cuda_optim.cu: the CUDA backend's optimizer steps for K models of n parameters each: SGD (momentum, Nesterov,
 * l1, l2) and Adam / AdamW. The per-model hyperparameters (and the per-model constants the CPU derives from them:
 * Adam's bias corrections and decay factor) are computed on the host exactly as kernels/cpu/optim.c does and passed
 * by value as kernel arguments (TB_CUDA_ARG_MODELS models per launch: no staged copy, no wait), and every element
 * then follows the CPU's float expression in the same order (-fmad=false), so results are bit-identical to the CPU. Not here: schedules, clipping.
 * Tested by tests/test_cuda_parity.c against the CPU backend on a GPU machine. */
#include "cuda_impl.cuh"

#include <math.h>
#include <string.h>

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

static __device__ __forceinline__ float sgnf(float w) { return (float)((w > 0.0f) - (w < 0.0f)); }

typedef struct {
  float lr, mu, l1, l2;
  int nesterov;
} sgd_model;
typedef struct {
  sgd_model m[TB_CUDA_ARG_MODELS];
} sgd_models;

/* g = G + l2*w + l1*sign(w); with momentum: v = mu*v + g, step = nesterov ? g + mu*v : v; without: step = g and
 * v = g when V is given. w -= lr * step. */
static __global__ void sgd_kernel(int K, size_t n, float *W, const float *G, float *V, const sgd_models models) {
  size_t total = (size_t)K * n;
  GRID_STRIDE(t, total) {
    const sgd_model h = models.m[t / n];
    float wi = W[t];
    float g = G[t] + h.l2 * wi + h.l1 * sgnf(wi);
    float step = g;
    if (h.mu != 0.0f) {
      float vi = h.mu * V[t] + g;
      V[t] = vi;
      step = h.nesterov ? g + h.mu * vi : vi;
    } else if (V) {
      V[t] = g;
    }
    W[t] = wi - h.lr * step;
  }
}

extern "C" int tb_cuda_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V,
                                  const tb_sgd_hparams *hp) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  sgd_models host;
  TB_TRY(tb_cuda_enter(be, &ctx));
  for (int k0 = 0; k0 < K; k0 += TB_CUDA_ARG_MODELS) {
    const int kc = K - k0 < TB_CUDA_ARG_MODELS ? K - k0 : TB_CUDA_ARG_MODELS;
    const size_t o = (size_t)k0 * n;
    memset(&host, 0, sizeof host);
    for (int k = 0; k < kc; k++) {
      host.m[k].lr = hp[k0 + k].lr;
      host.m[k].mu = hp[k0 + k].momentum;
      host.m[k].l1 = hp[k0 + k].l1;
      host.m[k].l2 = hp[k0 + k].l2;
      host.m[k].nesterov = hp[k0 + k].nesterov != 0;
    }
    sgd_kernel<<<tb_cuda_grid(ctx, (size_t)kc * n), TB_CUDA_THREADS, 0, ctx->stream>>>(kc, n, W + o, G + o,
                                                                                      V ? V + o : NULL, host);
    TB_CUDA_LAUNCHED();
  }
done:
  return rc;
}

typedef struct {
  float lr, b1, b2, eps, l1, l2;
  float decay;    /* 1 - lr * weight_decay, in float */
  float bc1, bc2; /* 1 - b^t in double, rounded to float */
  float c1, c2;   /* 1 - b1, 1 - b2 in float */
} adam_model;
typedef struct {
  adam_model m[TB_CUDA_ARG_MODELS];
} adam_models;

/* w *= decay; g = G + l2*w + l1*sign(w); m = b1*m + c1*g; v = b2*v + c2*(g*g);
 * w -= lr * (m / bc1) / (sqrtf(v / bc2) + eps). */
static __global__ void adam_kernel(int K, size_t n, float *W, const float *G, float *M, float *V,
                                   const adam_models models) {
  size_t total = (size_t)K * n;
  GRID_STRIDE(t, total) {
    const adam_model h = models.m[t / n];
    float wi = W[t] * h.decay;
    float g = G[t] + h.l2 * wi + h.l1 * sgnf(wi);
    float mi = h.b1 * M[t] + h.c1 * g;
    float vi = h.b2 * V[t] + h.c2 * (g * g);
    M[t] = mi;
    V[t] = vi;
    W[t] = wi - h.lr * (mi / h.bc1) / (sqrtf(vi / h.bc2) + h.eps);
  }
}

extern "C" int tb_cuda_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                                   const tb_adam_hparams *hp) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  adam_models host;
  TB_TRY(tb_cuda_enter(be, &ctx));
  for (int k0 = 0; k0 < K; k0 += TB_CUDA_ARG_MODELS) {
    const int kc = K - k0 < TB_CUDA_ARG_MODELS ? K - k0 : TB_CUDA_ARG_MODELS;
    const size_t o = (size_t)k0 * n;
    memset(&host, 0, sizeof host);
    for (int k = 0; k < kc; k++) {
      const tb_adam_hparams *q = &hp[k0 + k];
      adam_model *h = &host.m[k];
      h->lr = q->lr;
      h->b1 = q->beta1;
      h->b2 = q->beta2;
      h->eps = q->eps;
      h->l1 = q->l1;
      h->l2 = q->l2;
      h->decay = 1.0f - q->lr * q->weight_decay;
      h->bc1 = (float)(1.0 - pow(h->b1, (double)q->step));
      h->bc2 = (float)(1.0 - pow(h->b2, (double)q->step));
      h->c1 = 1.0f - h->b1;
      h->c2 = 1.0f - h->b2;
    }
    adam_kernel<<<tb_cuda_grid(ctx, (size_t)kc * n), TB_CUDA_THREADS, 0, ctx->stream>>>(kc, n, W + o, G + o, M + o,
                                                                                        V + o, host);
    TB_CUDA_LAUNCHED();
  }
done:
  return rc;
}
