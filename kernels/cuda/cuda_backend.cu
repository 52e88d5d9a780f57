/* cuda_backend.cu: the CUDA backend's table, lifecycle (stream, cuBLAS handle, scratch), memory, copies, fill and
 * the CUDA error mapping. The accounting and budgets are done for all backends in kernels/backend.c; the ops live
 * in cuda_dense.cu, cuda_random.cu, cuda_loss.cu, cuda_optim.cu, cuda_tree.cu and cuda_split.cu.
 * Not a second place that chooses the device: backend.c picks this table for cuda:N.
 * Tested by tests/test_cuda_parity.c on a GPU machine (OOM recovery, budgets, every op against the CPU). */
#include "cuda_impl.cuh"

#include <stdio.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------------------------------------- */
static int is_sticky(cudaError_t e) {
  switch (e) {
  case cudaErrorIllegalAddress:
  case cudaErrorLaunchFailure:
  case cudaErrorMisalignedAddress:
  case cudaErrorHardwareStackError:
  case cudaErrorIllegalInstruction:
  case cudaErrorInvalidAddressSpace:
  case cudaErrorInvalidPc:
  case cudaErrorAssert:
  case cudaErrorLaunchTimeout:
  case cudaErrorECCUncorrectable:
  case cudaErrorNvlinkUncorrectable:
  case cudaErrorContextIsDestroyed:
  case cudaErrorTensorMemoryLeak:
  case cudaErrorExternalDevice:
  case cudaErrorUnknown:
    return 1;
  default:
    return 0;
  }
}

int tb_cuda_check(cudaError_t err, const char *file, int line, const char *expr) {
  if (err == cudaSuccess) return TB_OK;
  if (is_sticky(err))
    return tb_error_set(TB_ERR_DEVICE_FATAL, "%s:%d: %s: %s: %s (sticky CUDA error: the process must restart)", file,
                        line, expr, cudaGetErrorName(err), cudaGetErrorString(err));
  (void)cudaGetLastError(); /* clear the recoverable error so the next call does not see it */
  if (err == cudaErrorMemoryAllocation)
    return tb_error_set(TB_ERR_OOM, "out of memory: %s:%d: %s: %s", file, line, expr, cudaGetErrorString(err));
  return tb_error_set(TB_ERR_DEVICE, "%s:%d: %s: %s: %s", file, line, expr, cudaGetErrorName(err),
                      cudaGetErrorString(err));
}

int tb_cublas_check(cublasStatus_t st, const char *file, int line, const char *expr) {
  if (st == CUBLAS_STATUS_SUCCESS) return TB_OK;
  if (st == CUBLAS_STATUS_ALLOC_FAILED)
    return tb_error_set(TB_ERR_OOM, "out of memory: %s:%d: %s: %s", file, line, expr, cublasGetStatusString(st));
  if (st == CUBLAS_STATUS_EXECUTION_FAILED) {
    cudaError_t e = cudaPeekAtLastError();
    if (is_sticky(e)) return tb_cuda_check(e, file, line, expr);
  }
  return tb_error_set(TB_ERR_DEVICE, "%s:%d: %s: %s", file, line, expr, cublasGetStatusString(st));
}

/* ---- context helpers --------------------------------------------------------------------------------------- */
int tb_cuda_enter(tb_backend *be, tb_cuda_ctx **ctx) {
  int rc = TB_OK;
  *ctx = tb_cuda_ctx_of(be);
  TB_CUDA_TRY(cudaSetDevice((*ctx)->device));
done:
  return rc;
}

int tb_cuda_dscratch(tb_cuda_ctx *ctx, size_t bytes, void **ptr) {
  int rc = TB_OK;
  if (bytes > ctx->dscratch_bytes) {
    size_t want = ctx->dscratch_bytes * 2 > bytes ? ctx->dscratch_bytes * 2 : bytes;
    TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream)); /* queued work may still read the old scratch */
    TB_CUDA_TRY(cudaFree(ctx->dscratch));
    ctx->dscratch = NULL;
    ctx->dscratch_bytes = 0;
    TB_CUDA_TRY(cudaMalloc(&ctx->dscratch, want));
    ctx->dscratch_bytes = want;
  }
  *ptr = ctx->dscratch;
done:
  return rc;
}

int tb_cuda_stage_upload(tb_cuda_ctx *ctx, const void *src, size_t bytes, size_t dst_off) {
  int rc = TB_OK;
  TB_ASSERT(dst_off + bytes <= ctx->dscratch_bytes);
  TB_CUDA_TRY(cudaEventSynchronize(ctx->hscratch_free)); /* the previous staged copy has read hscratch */
  if (bytes > ctx->hscratch_bytes) {
    TB_CUDA_TRY(cudaFreeHost(ctx->hscratch));
    ctx->hscratch = NULL;
    ctx->hscratch_bytes = 0;
    TB_CUDA_TRY(cudaMallocHost(&ctx->hscratch, bytes));
    ctx->hscratch_bytes = bytes;
  }
  memcpy(ctx->hscratch, src, bytes);
  TB_CUDA_TRY(cudaMemcpyAsync((char *)ctx->dscratch + dst_off, ctx->hscratch, bytes, cudaMemcpyHostToDevice,
                              ctx->stream));
  TB_CUDA_TRY(cudaEventRecord(ctx->hscratch_free, ctx->stream));
done:
  return rc;
}

int tb_cuda_fetch(tb_cuda_ctx *ctx, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK;
  TB_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx->stream));
  TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream));
done:
  return rc;
}

/* ---- lifecycle ---------------------------------------------------------------------------------------------- */
static void cuda_close(tb_backend *be) {
  tb_cuda_ctx *ctx = tb_cuda_ctx_of(be);
  if (!ctx) return;
  cudaSetDevice(ctx->device);
  if (ctx->stream) cudaStreamSynchronize(ctx->stream);
  if (ctx->blas) cublasDestroy(ctx->blas);
  if (ctx->dscratch) cudaFree(ctx->dscratch);
  if (ctx->hscratch) cudaFreeHost(ctx->hscratch);
  if (ctx->hscratch_free) cudaEventDestroy(ctx->hscratch_free);
  if (ctx->timer_start) cudaEventDestroy(ctx->timer_start);
  if (ctx->timer_stop) cudaEventDestroy(ctx->timer_stop);
  if (ctx->stream) cudaStreamDestroy(ctx->stream);
  cudaGetLastError(); /* a close never leaves a recoverable error behind */
  free(ctx);
  be->impl = NULL;
}

static int cuda_open(tb_backend *be) {
  int rc = TB_OK;
  cudaDeviceProp prop;
  tb_cuda_ctx *ctx = (tb_cuda_ctx *)calloc(1, sizeof *ctx);
  if (!ctx) return tb_error_set(TB_ERR_NOMEM, "cuda: out of host memory");
  be->impl = ctx;
  ctx->device = be->dev.index;
  TB_CUDA_TRY(cudaSetDevice(ctx->device));
  TB_CUDA_TRY(cudaGetDeviceProperties(&prop, ctx->device));
  ctx->n_sm = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
  ctx->smem_optin = prop.sharedMemPerBlockOptin;
  TB_CUDA_TRY(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  TB_CUDA_TRY(cudaEventCreateWithFlags(&ctx->hscratch_free, cudaEventDisableTiming));
  TB_CUDA_TRY(cudaEventCreate(&ctx->timer_start));
  TB_CUDA_TRY(cudaEventCreate(&ctx->timer_stop));
  TB_CUBLAS_TRY(cublasCreate(&ctx->blas));
  TB_CUBLAS_TRY(cublasSetStream(ctx->blas, ctx->stream));
  /* Default math: no TF32 tensor-op conversion, so GEMM matches the CPU to fp32 rounding. */
  TB_CUBLAS_TRY(cublasSetMathMode(ctx->blas, CUBLAS_DEFAULT_MATH));
  ctx->dscratch_bytes = 1 << 16;
  TB_CUDA_TRY(cudaMalloc(&ctx->dscratch, ctx->dscratch_bytes));
  ctx->hscratch_bytes = 1 << 16;
  TB_CUDA_TRY(cudaMallocHost(&ctx->hscratch, ctx->hscratch_bytes));
  TB_CUDA_TRY(cudaEventRecord(ctx->hscratch_free, ctx->stream));
  snprintf(be->desc, sizeof be->desc, "cuda:%d (%s, %.1f GiB, sm_%d%d)", ctx->device, prop.name,
           (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0), prop.major, prop.minor);
done:
  if (rc < 0) {
    /* keep the open's error detail: close clears only CUDA's own error state */
    cuda_close(be);
  }
  return rc;
}

static int cuda_sync(tb_backend *be) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream));
done:
  return rc;
}

/* ---- timer: two events on the context's stream (device timeline) ------------------------------------------- */
static int cuda_timer_start(tb_backend *be) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_CUDA_TRY(cudaEventRecord(ctx->timer_start, ctx->stream));
done:
  return rc;
}

static int cuda_timer_stop(tb_backend *be, double *seconds) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  float ms = 0.0f;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_CUDA_TRY(cudaEventRecord(ctx->timer_stop, ctx->stream));
  TB_CUDA_TRY(cudaEventSynchronize(ctx->timer_stop));
  TB_CUDA_TRY(cudaEventElapsedTime(&ms, ctx->timer_start, ctx->timer_stop));
  *seconds = 1e-3 * (double)ms;
done:
  return rc;
}

/* ---- memory ------------------------------------------------------------------------------------------------- */
static int cuda_alloc(tb_backend *be, size_t bytes, void **ptr) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  *ptr = NULL;
  TB_TRY(tb_cuda_enter(be, &ctx));
  {
    cudaError_t e = cudaMalloc(ptr, bytes);
    if (e == cudaErrorMemoryAllocation) {
      size_t free_b = 0, total_b = 0;
      (void)cudaGetLastError();
      if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
      *ptr = NULL;
      TB_FAIL(TB_ERR_OOM, "out of memory: cudaMalloc of %zu bytes on cuda:%d failed (%.1f of %.1f GiB free)", bytes,
              ctx->device, free_b / 1073741824.0, total_b / 1073741824.0);
    }
    TB_CUDA_TRY(e);
  }
done:
  return rc;
}

static void cuda_release(tb_backend *be, void *ptr) {
  tb_cuda_ctx *ctx = tb_cuda_ctx_of(be);
  if (cudaSetDevice(ctx->device) != cudaSuccess) return;
  /* cudaFree waits for queued work that may still use ptr. A failure here is sticky (reported by the next op)
   * or harmless. */
  if (cudaFree(ptr) != cudaSuccess) (void)cudaPeekAtLastError();
}

static int cuda_upload(tb_backend *be, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx->stream));
  TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream));
done:
  return rc;
}

static int cuda_download(tb_backend *be, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  TB_TRY(tb_cuda_fetch(ctx, dst, src, bytes));
done:
  return rc;
}

/* Device-to-device, memmove semantics: overlapping ranges go through the scratch buffer. */
static int cuda_copy(tb_backend *be, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  const char *d = (const char *)dst, *s = (const char *)src;
  TB_TRY(tb_cuda_enter(be, &ctx));
  if (dst == src) return TB_OK;
  if (d < s + bytes && s < d + bytes) {
    void *tmp;
    TB_TRY(tb_cuda_dscratch(ctx, bytes, &tmp));
    TB_CUDA_TRY(cudaMemcpyAsync(tmp, src, bytes, cudaMemcpyDeviceToDevice, ctx->stream));
    TB_CUDA_TRY(cudaMemcpyAsync(dst, tmp, bytes, cudaMemcpyDeviceToDevice, ctx->stream));
  } else {
    TB_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx->stream));
  }
done:
  return rc;
}

static __global__ void fill_kernel(size_t n, float value, float *x) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    x[i] = value;
}

extern "C" int tb_cuda_fill(tb_backend *be, size_t n, float value, float *x) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  fill_kernel<<<tb_cuda_grid(ctx, n), TB_CUDA_THREADS, 0, ctx->stream>>>(n, value, x);
  TB_CUDA_LAUNCHED();
done:
  return rc;
}

extern "C" int tb_cuda_device_count(void) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

/* Positional, in the order of tb_backend_vtable (backend_impl.h). */
extern "C" const tb_backend_vtable tb_cuda_vtable = {
    "cuda",
    cuda_open,
    cuda_close,
    cuda_sync,
    cuda_alloc,
    cuda_release,
    cuda_upload,
    cuda_download,
    cuda_copy,
    tb_cuda_fill,
    tb_cuda_gemm_batched,
    tb_cuda_bias_add,
    tb_cuda_col_sum,
    tb_cuda_act_forward,
    tb_cuda_act_backward,
    tb_cuda_mul,
    tb_cuda_rng_uniform,
    tb_cuda_rng_normal,
    tb_cuda_dropout_forward,
    tb_cuda_softmax_xent,
    tb_cuda_sq_err,
    tb_cuda_sum,
    tb_cuda_accuracy,
    tb_cuda_gather_rows,
    tb_cuda_gather_i32,
    tb_cuda_sgd_update,
    tb_cuda_adam_update,
    tb_cuda_quantize,
    tb_cuda_hist_build,
    tb_cuda_hist_subtract,
    tb_cuda_split_find,
    tb_cuda_forest_predict,
    tb_cuda_softmax,
    tb_cuda_tree_grad_stats,
    tb_cuda_class_count_stats,
    tb_cuda_value_count_stats,
    tb_cuda_energy_mj,
    cuda_timer_start,
    cuda_timer_stop,
    tb_cuda_segment_add,
    tb_cuda_hist_build_level,
    tb_cuda_partition_level,
    tb_cuda_partition_level_cols,
};
