/* cuda_dense.cu: the CUDA backend's dense ops: GEMM (cuBLAS, pure fp32), bias add and column sums, activations,
 * elementwise product and row gathers. Each kernel computes the exact float formula of its CPU reference in
 * kernels/cpu/dense.c (built with -fmad=false, so products and sums round the same way); only GEMM differs by
 * summation order (relative error ~1e-6). Not here: random ops (cuda_random.cu), losses (cuda_loss.cu).
 * Tested by tests/test_cuda_parity.c against the CPU backend on a GPU machine. */
#include "cuda_impl.cuh"

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

/* ---- GEMM ---------------------------------------------------------------------------------------------------- */
/* C = beta * C for every batch entry (K == 0 or alpha == 0); beta == 0 writes zeros without reading C. */
static __global__ void gemm_scale_kernel(int M, int N, float beta, float *C, int ldc, long long sc, int batch) {
  size_t per = (size_t)M * N, total = per * batch;
  GRID_STRIDE(t, total) {
    size_t b = t / per, r = t % per, i = r / N, j = r % N;
    float *c = C + (long long)b * sc + i * (size_t)ldc + j;
    *c = beta == 0.0f ? 0.0f : *c * beta;
  }
}

/* Row-major C (M,N) = alpha op(A) op(B) + beta C is column-major C^T (N,M) = alpha op(B)^T op(A)^T + beta C^T:
 * a row-major matrix read as column-major is its transpose, so B goes first with the same transpose flag. */
extern "C" int tb_cuda_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha,
                                    const float *A, int lda, long long sa, const float *B, int ldb, long long sb,
                                    float beta, float *C, int ldc, long long sc, int batch) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  cublasOperation_t opa = ta == TB_TRANS ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t opb = tb == TB_TRANS ? CUBLAS_OP_T : CUBLAS_OP_N;
  TB_TRY(tb_cuda_enter(be, &ctx));
  if (K == 0 || alpha == 0.0f) { /* like the CPU: C = beta C, A and B unread (cuBLAS rejects lda = 0) */
    if (beta != 1.0f) {
      gemm_scale_kernel<<<tb_cuda_grid(ctx, (size_t)M * N * batch), TB_CUDA_THREADS, 0, ctx->stream>>>(
          M, N, beta, C, ldc, sc, batch);
      TB_CUDA_LAUNCHED();
    }
    goto done;
  }
  if (batch == 1) {
    TB_CUBLAS_TRY(cublasGemmEx(ctx->blas, opb, opa, N, M, K, &alpha, B, CUDA_R_32F, ldb, A, CUDA_R_32F, lda, &beta,
                               C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  } else {
    TB_CUBLAS_TRY(cublasGemmStridedBatchedEx(ctx->blas, opb, opa, N, M, K, &alpha, B, CUDA_R_32F, ldb, sb, A,
                                             CUDA_R_32F, lda, sa, &beta, C, CUDA_R_32F, ldc, sc, batch,
                                             CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
done:
  return rc;
}

/* ---- bias and column sums ---------------------------------------------------------------------------------- */
static __global__ void bias_add_kernel(size_t total, int rows, int cols, float *X, const float *bias) {
  size_t per = (size_t)rows * cols;
  GRID_STRIDE(t, total) {
    size_t k = t / per, j = t % cols;
    X[t] += bias[k * cols + j];
  }
}

extern "C" int tb_cuda_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t total = (size_t)K * rows * cols;
  TB_TRY(tb_cuda_enter(be, &ctx));
  bias_add_kernel<<<tb_cuda_grid(ctx, total), TB_CUDA_THREADS, 0, ctx->stream>>>(total, rows, cols, X, bias);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* One thread per (model, column): the rows are added in order in double and rounded once, exactly as the CPU
 * does, so the result is bit-identical to it and to every other run. Adjacent threads read adjacent columns
 * (coalesced). */
static __global__ void col_sum_kernel(int K, int rows, int cols, const float *X, float beta, float *Y) {
  size_t total = (size_t)K * cols;
  GRID_STRIDE(t, total) {
    size_t k = t / cols, j = t % cols;
    const float *x = X + k * rows * (size_t)cols + j;
    double acc = 0.0;
    for (int i = 0; i < rows; i++) acc += x[(size_t)i * cols];
    Y[t] = beta == 0.0f ? (float)acc : (float)((double)beta * Y[t] + acc);
  }
}

extern "C" int tb_cuda_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  size_t total = (size_t)K * cols;
  TB_TRY(tb_cuda_enter(be, &ctx));
  {
    /* small blocks so that a few hundred columns still spread over many multiprocessors */
    unsigned blocks = (unsigned)((total + 63) / 64);
    col_sum_kernel<<<blocks, 64, 0, ctx->stream>>>(K, rows, cols, X, beta, Y);
  }
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- activations ------------------------------------------------------------------------------------------- */
/* The CPU's formulas (kernels/cpu/dense.c): relu lets NaN through, sigmoid = 1 / (1 + expf(-x)). */
template <int ACT> static __device__ __forceinline__ float act_f(float x) {
  if (ACT == TB_ACT_RELU) return x < 0.0f ? 0.0f : x;
  if (ACT == TB_ACT_TANH) return tanhf(x);
  if (ACT == TB_ACT_SIGMOID) return 1.0f / (1.0f + expf(-x));
  return x;
}

template <int ACT> static __device__ __forceinline__ float act_df(float y) {
  if (ACT == TB_ACT_RELU) return y > 0.0f ? 1.0f : 0.0f;
  if (ACT == TB_ACT_TANH) return 1.0f - y * y;
  if (ACT == TB_ACT_SIGMOID) return y * (1.0f - y);
  return 1.0f;
}

template <int ACT> static __global__ void act_forward_kernel(size_t n, const float *X, float *Y) {
  GRID_STRIDE(i, n) Y[i] = act_f<ACT>(X[i]);
}

template <int ACT> static __global__ void act_backward_kernel(size_t n, const float *Y, const float *dY, float *dX) {
  GRID_STRIDE(i, n) dX[i] = dY[i] * act_df<ACT>(Y[i]);
}

extern "C" int tb_cuda_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  unsigned g;
  TB_TRY(tb_cuda_enter(be, &ctx));
  g = tb_cuda_grid(ctx, n);
  switch (act) {
  case TB_ACT_IDENTITY: act_forward_kernel<TB_ACT_IDENTITY><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, X, Y); break;
  case TB_ACT_RELU: act_forward_kernel<TB_ACT_RELU><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, X, Y); break;
  case TB_ACT_TANH: act_forward_kernel<TB_ACT_TANH><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, X, Y); break;
  case TB_ACT_SIGMOID: act_forward_kernel<TB_ACT_SIGMOID><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, X, Y); break;
  }
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

extern "C" int tb_cuda_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY,
                                    float *dX) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  unsigned g;
  TB_TRY(tb_cuda_enter(be, &ctx));
  g = tb_cuda_grid(ctx, n);
  switch (act) {
  case TB_ACT_IDENTITY:
    act_backward_kernel<TB_ACT_IDENTITY><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, Y, dY, dX);
    break;
  case TB_ACT_RELU: act_backward_kernel<TB_ACT_RELU><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, Y, dY, dX); break;
  case TB_ACT_TANH: act_backward_kernel<TB_ACT_TANH><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, Y, dY, dX); break;
  case TB_ACT_SIGMOID:
    act_backward_kernel<TB_ACT_SIGMOID><<<g, TB_CUDA_THREADS, 0, ctx->stream>>>(n, Y, dY, dX);
    break;
  }
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* ---- elementwise product and gathers ----------------------------------------------------------------------- */
static __global__ void mul_kernel(size_t n, const float *a, const float *b, float *out) {
  GRID_STRIDE(i, n) out[i] = a[i] * b[i];
}

extern "C" int tb_cuda_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  mul_kernel<<<tb_cuda_grid(ctx, n), TB_CUDA_THREADS, 0, ctx->stream>>>(n, a, b, out);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

/* dst (n_idx, cols) = src[idx[i], :]; consecutive threads copy consecutive columns of a row (coalesced). */
static __global__ void gather_rows_kernel(size_t n_idx, int cols, const float *src, const uint32_t *idx,
                                          float *dst) {
  size_t total = n_idx * (size_t)cols;
  GRID_STRIDE(t, total) {
    size_t i = t / cols, j = t % cols;
    dst[t] = src[(size_t)idx[i] * cols + j];
  }
}

static __global__ void gather_i32_kernel(size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst) {
  GRID_STRIDE(i, n_idx) dst[i] = src[idx[i]];
}

extern "C" int tb_cuda_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx,
                                   float *dst) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  gather_rows_kernel<<<tb_cuda_grid(ctx, n_idx * (size_t)cols), TB_CUDA_THREADS, 0, ctx->stream>>>(n_idx, cols, src,
                                                                                                  idx, dst);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

extern "C" int tb_cuda_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx,
                                  int32_t *dst) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  gather_i32_kernel<<<tb_cuda_grid(ctx, n_idx), TB_CUDA_THREADS, 0, ctx->stream>>>(n_idx, src, idx, dst);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}
