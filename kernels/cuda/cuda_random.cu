/* cuda_random.cu: the CUDA backend's random ops: uniform and normal fills and inverted dropout. Element i is a pure
 * function of (seed, offset + i), drawn with cuRAND's Philox4x32-10 device API arranged as kernels/tb_rng.h arranges
 * its Philox (cuda_rng.cuh), and the float formulas are those of kernels/cpu/random.c, so both backends produce the
 * same numbers (uniform and dropout bit for bit; normal up to the last bit of the device's double log/cos).
 * Tested by tests/test_curand_philox.cu (the bits, on the CPU) and tests/test_cuda_parity.c (the ops, on a card). */
#include "cuda_impl.cuh"

#include <string.h>

#include "cuda_rng.cuh"

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

static __global__ void rng_uniform_kernel(size_t n, uint64_t seed, uint64_t offset, float lo, float width,
                                          float *out) {
  GRID_STRIDE(i, n) out[i] = lo + width * tb_cuda_philox_uniform(seed, offset + i);
}

static __global__ void rng_normal_kernel(size_t n, uint64_t seed, uint64_t offset, float mean, float std,
                                         float *out) {
  GRID_STRIDE(i, n) out[i] = mean + std * tb_cuda_philox_normal(seed, offset + i);
}

extern "C" int tb_cuda_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi,
                                   float *out) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  float width = hi - lo; /* rounded once on the host, as the CPU does */
  TB_TRY(tb_cuda_enter(be, &ctx));
  rng_uniform_kernel<<<tb_cuda_grid(ctx, n), TB_CUDA_THREADS, 0, ctx->stream>>>(n, seed, offset, lo, width, out);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

extern "C" int tb_cuda_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std,
                                  float *out) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  rng_normal_kernel<<<tb_cuda_grid(ctx, n), TB_CUDA_THREADS, 0, ctx->stream>>>(n, seed, offset, mean, std, out);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* Per model: the drop probability and the keep scale 1 / (1 - p), computed on the host exactly as the CPU does. */
typedef struct {
  float p, keep_scale;
} dropout_model;
typedef struct {
  dropout_model m[TB_CUDA_ARG_MODELS];
} dropout_models;

static __global__ void dropout_kernel(int K, size_t n, const dropout_models models, uint64_t seed, uint64_t offset,
                                      const float *X, float *Y, float *mask) {
  size_t total = (size_t)K * n;
  GRID_STRIDE(t, total) {
    const dropout_model dm = models.m[t / n];
    float m = tb_cuda_philox_uniform(seed, offset + t) >= dm.p ? dm.keep_scale : 0.0f; /* offset + k*n + i */
    mask[t] = m;
    Y[t] = X[t] * m;
  }
}

extern "C" int tb_cuda_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed,
                                       uint64_t offset, const float *X, float *Y, float *mask) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  dropout_models host;
  TB_TRY(tb_cuda_enter(be, &ctx));
  for (int k0 = 0; k0 < K; k0 += TB_CUDA_ARG_MODELS) {
    const int kc = K - k0 < TB_CUDA_ARG_MODELS ? K - k0 : TB_CUDA_ARG_MODELS;
    const size_t o = (size_t)k0 * n;
    memset(&host, 0, sizeof host);
    for (int k = 0; k < kc; k++) {
      host.m[k].p = p[k0 + k];
      host.m[k].keep_scale = p[k0 + k] < 1.0f ? 1.0f / (1.0f - p[k0 + k]) : 0.0f;
    }
    /* element t of this launch is element o + t of the op: the stream position offset + k*n + i is kept */
    dropout_kernel<<<tb_cuda_grid(ctx, (size_t)kc * n), TB_CUDA_THREADS, 0, ctx->stream>>>(kc, n, host, seed,
                                                                                           offset + o, X + o, Y + o,
                                                                                           mask + o);
    TB_CUDA_LAUNCHED();
  }
done:
  return rc;
}
