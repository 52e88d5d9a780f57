/* cuda_optim.cu: the CUDA backend's optimizer steps for K models of n parameters each: SGD (momentum, Nesterov,
 * l1, l2) and Adam / AdamW. The per-model hyperparameters (and the per-model constants the CPU derives from them:
 * Adam's bias corrections and decay factor) are computed on the host exactly as kernels/cpu/optim.c does, staged
 * to a device array in one asynchronous copy, and every element then follows the CPU's float expression in the
 * same order (-fmad=false), so results are bit-identical to the CPU. Not here: schedules, clipping.
 * Tested by tests/test_cuda_parity.c against the CPU backend on a GPU machine. */
#include "cuda_impl.cuh"

#include <math.h>

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

static __device__ __forceinline__ float sgnf(float w) { return (float)((w > 0.0f) - (w < 0.0f)); }

typedef struct {
  float lr, mu, l1, l2;
  int nesterov;
} sgd_model;

/* g = G + l2*w + l1*sign(w); with momentum: v = mu*v + g, step = nesterov ? g + mu*v : v; without: step = g and
 * v = g when V is given. w -= lr * step. */
static __global__ void sgd_kernel(int K, size_t n, float *W, const float *G, float *V, const sgd_model *models) {
  size_t total = (size_t)K * n;
  GRID_STRIDE(t, total) {
    sgd_model h = models[t / n];
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
  void *dev;
  sgd_model *host = (sgd_model *)malloc((size_t)K * sizeof *host);
  if (!host) return tb_error_set(TB_ERR_NOMEM, "sgd: out of host memory");
  for (int k = 0; k < K; k++) {
    host[k].lr = hp[k].lr;
    host[k].mu = hp[k].momentum;
    host[k].l1 = hp[k].l1;
    host[k].l2 = hp[k].l2;
    host[k].nesterov = hp[k].nesterov != 0;
  }
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, (size_t)K * sizeof *host, &dev));
  TB_TRY(tb_cuda_stage_upload(ctx, host, (size_t)K * sizeof *host, 0));
  sgd_kernel<<<tb_cuda_grid(ctx, (size_t)K * n), TB_CUDA_THREADS, 0, ctx->stream>>>(K, n, W, G, V,
                                                                                   (const sgd_model *)dev);
  TB_CUDA_LAUNCHED();
done:
  free(host);
  return rc;
}

typedef struct {
  float lr, b1, b2, eps, l1, l2;
  float decay;    /* 1 - lr * weight_decay, in float */
  float bc1, bc2; /* 1 - b^t in double, rounded to float */
  float c1, c2;   /* 1 - b1, 1 - b2 in float */
} adam_model;

/* w *= decay; g = G + l2*w + l1*sign(w); m = b1*m + c1*g; v = b2*v + c2*(g*g);
 * w -= lr * (m / bc1) / (sqrtf(v / bc2) + eps). */
static __global__ void adam_kernel(int K, size_t n, float *W, const float *G, float *M, float *V,
                                   const adam_model *models) {
  size_t total = (size_t)K * n;
  GRID_STRIDE(t, total) {
    adam_model h = models[t / n];
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
  void *dev;
  adam_model *host = (adam_model *)malloc((size_t)K * sizeof *host);
  if (!host) return tb_error_set(TB_ERR_NOMEM, "adam: out of host memory");
  for (int k = 0; k < K; k++) {
    adam_model *h = &host[k];
    h->lr = hp[k].lr;
    h->b1 = hp[k].beta1;
    h->b2 = hp[k].beta2;
    h->eps = hp[k].eps;
    h->l1 = hp[k].l1;
    h->l2 = hp[k].l2;
    h->decay = 1.0f - hp[k].lr * hp[k].weight_decay;
    h->bc1 = (float)(1.0 - pow(h->b1, (double)hp[k].step));
    h->bc2 = (float)(1.0 - pow(h->b2, (double)hp[k].step));
    h->c1 = 1.0f - h->b1;
    h->c2 = 1.0f - h->b2;
  }
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_dscratch(ctx, (size_t)K * sizeof *host, &dev));
  TB_TRY(tb_cuda_stage_upload(ctx, host, (size_t)K * sizeof *host, 0));
  adam_kernel<<<tb_cuda_grid(ctx, (size_t)K * n), TB_CUDA_THREADS, 0, ctx->stream>>>(K, n, W, G, M, V,
                                                                                    (const adam_model *)dev);
  TB_CUDA_LAUNCHED();
done:
  free(host);
  return rc;
}
