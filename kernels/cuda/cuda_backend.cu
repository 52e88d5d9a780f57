/* cuda_backend.cu: the CUDA backend's table, lifecycle (stream, cuBLAS handle on our own counted workspace, scratch,
 * a ring of pinned staging slots, the shared-memory opt-ins set once per device), memory, copies, fill and the CUDA
 * error mapping. Backend scratch is counted through tb_backend_account like user buffers and trimmed at
 * tb_backend_mem_reset_peak; every wait for the device is counted (tb_backend_counts.device_waits). The accounting
 * and budgets are done for all backends in kernels/backend.c; the ops live in cuda_dense.cu, cuda_random.cu,
 * cuda_loss.cu, cuda_optim.cu, cuda_tree.cu, cuda_level.cu, cuda_split.cu and cuda_stats.cu.
 * Not a second place that chooses the device: backend.c picks this table for cuda:N.
 * Tested by tests/test_cuda_parity.c and tests/test_cuda_devices.c on a GPU machine (OOM recovery, budgets, every
 * op against the CPU, two contexts on two threads, device waits); compiled and reviewed, unverified on a card. */
#include "cuda_impl.cuh"

#include <pthread.h>
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

/* Backend scratch is device memory like any buffer: counted against the context's and the device's budgets. */
static int scratch_alloc(tb_cuda_ctx *ctx, size_t bytes, void **ptr) {
  int rc = TB_OK;
  *ptr = NULL;
  TB_TRY(tb_backend_account(ctx->be, bytes));
  {
    cudaError_t e = cudaMalloc(ptr, bytes);
    if (e != cudaSuccess) {
      *ptr = NULL;
      tb_backend_unaccount(ctx->be, bytes);
      TB_CUDA_TRY(e);
    }
  }
  ctx->be->scratch_bytes += bytes;
done:
  return rc;
}

static void scratch_free(tb_cuda_ctx *ctx, void *ptr, size_t bytes) {
  if (!ptr) return;
  if (cudaFree(ptr) != cudaSuccess) (void)cudaGetLastError(); /* sticky errors come back at the next launch */
  tb_backend_unaccount(ctx->be, bytes);
  ctx->be->scratch_bytes -= bytes;
}

int tb_cuda_dscratch(tb_cuda_ctx *ctx, size_t bytes, void **ptr) {
  int rc = TB_OK;
  if (bytes > ctx->dscratch_bytes) {
    size_t want = ctx->dscratch_bytes * 2 > bytes ? ctx->dscratch_bytes * 2 : bytes;
    ctx->n_waits++;
    TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream)); /* queued work may still read the old scratch */
    scratch_free(ctx, ctx->dscratch, ctx->dscratch_bytes);
    ctx->dscratch = NULL;
    ctx->dscratch_bytes = 0;
    TB_TRY(scratch_alloc(ctx, want, &ctx->dscratch));
    ctx->dscratch_bytes = want;
  }
  *ptr = ctx->dscratch;
done:
  return rc;
}

/* Slot i of the pinned ring, at least `bytes` large, free of queued copies. */
static int stage_slot(tb_cuda_ctx *ctx, size_t bytes, int *slot) {
  int rc = TB_OK;
  const int i = ctx->hs_next;
  { /* this slot's copy of TB_CUDA_STAGE_SLOTS staged ops ago must be done: usually it is, and nothing waits */
    cudaError_t q = cudaEventQuery(ctx->hs_free[i]);
    if (q == cudaErrorNotReady) {
      (void)cudaGetLastError();
      ctx->n_waits++;
      TB_CUDA_TRY(cudaEventSynchronize(ctx->hs_free[i]));
    } else {
      TB_CUDA_TRY(q);
    }
  }
  if (bytes > ctx->hs_bytes[i]) {
    size_t want = ctx->hs_bytes[i] * 2 > bytes ? ctx->hs_bytes[i] * 2 : bytes;
    TB_CUDA_TRY(cudaFreeHost(ctx->hs[i]));
    ctx->be->pinned_host_bytes -= ctx->hs_bytes[i];
    ctx->hs[i] = NULL;
    ctx->hs_bytes[i] = 0;
    TB_CUDA_TRY(cudaMallocHost(&ctx->hs[i], want));
    ctx->hs_bytes[i] = want;
    ctx->be->pinned_host_bytes += want;
  }
  ctx->hs_next = (i + 1) % TB_CUDA_STAGE_SLOTS;
  *slot = i;
done:
  return rc;
}

int tb_cuda_stage_upload(tb_cuda_ctx *ctx, const void *src, size_t bytes, size_t dst_off) {
  int rc = TB_OK, i = 0;
  TB_ASSERT(dst_off + bytes <= ctx->dscratch_bytes);
  TB_TRY(stage_slot(ctx, bytes, &i));
  memcpy(ctx->hs[i], src, bytes);
  TB_CUDA_TRY(cudaMemcpyAsync((char *)ctx->dscratch + dst_off, ctx->hs[i], bytes, cudaMemcpyHostToDevice,
                              ctx->stream));
  TB_CUDA_TRY(cudaEventRecord(ctx->hs_free[i], ctx->stream));
done:
  return rc;
}

int tb_cuda_fetch(tb_cuda_ctx *ctx, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK;
  TB_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, ctx->stream));
  ctx->n_waits++;
  TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream));
done:
  return rc;
}

int tb_cuda_fetch_many(tb_cuda_ctx *ctx, int n_parts, void *const *dst, const void *const *src, const size_t *bytes) {
  int rc = TB_OK, i = 0;
  size_t total = 0, off = 0;
  for (int p = 0; p < n_parts; p++) total += (bytes[p] + 15) / 16 * 16;
  TB_TRY(stage_slot(ctx, total, &i));
  for (int p = 0; p < n_parts; p++) {
    if (bytes[p]) TB_CUDA_TRY(cudaMemcpyAsync((char *)ctx->hs[i] + off, src[p], bytes[p], cudaMemcpyDeviceToHost,
                                              ctx->stream));
    off += (bytes[p] + 15) / 16 * 16;
  }
  TB_CUDA_TRY(cudaEventRecord(ctx->hs_free[i], ctx->stream));
  ctx->n_waits++;
  TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream));
  off = 0;
  for (int p = 0; p < n_parts; p++) {
    if (bytes[p]) memcpy(dst[p], (char *)ctx->hs[i] + off, bytes[p]);
    off += (bytes[p] + 15) / 16 * 16;
  }
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
  scratch_free(ctx, ctx->blas_ws, ctx->blas_ws_bytes);
  scratch_free(ctx, ctx->dscratch, ctx->dscratch_bytes);
  for (int i = 0; i < TB_CUDA_STAGE_SLOTS; i++) {
    if (ctx->hs[i]) cudaFreeHost(ctx->hs[i]);
    if (ctx->hs_free[i]) cudaEventDestroy(ctx->hs_free[i]);
  }
  be->pinned_host_bytes = 0;
  if (ctx->timer_start) cudaEventDestroy(ctx->timer_start);
  if (ctx->timer_stop) cudaEventDestroy(ctx->timer_stop);
  if (ctx->stream) cudaStreamDestroy(ctx->stream);
  cudaGetLastError(); /* a close never leaves a recoverable error behind */
  free(ctx);
  be->impl = NULL;
}

/* Gives the per-call scratch grown by the last trial back (at tb_backend_mem_reset_peak). */
static void cuda_trim(tb_backend *be) {
  tb_cuda_ctx *ctx = tb_cuda_ctx_of(be);
  void *p = NULL;
  if (!ctx || ctx->dscratch_bytes <= TB_CUDA_SCRATCH_MIN) return;
  ctx->n_waits++;
  if (cudaSetDevice(ctx->device) != cudaSuccess || cudaStreamSynchronize(ctx->stream) != cudaSuccess) {
    (void)cudaGetLastError();
    return;
  }
  scratch_free(ctx, ctx->dscratch, ctx->dscratch_bytes);
  ctx->dscratch = NULL;
  ctx->dscratch_bytes = 0;
  if (scratch_alloc(ctx, TB_CUDA_SCRATCH_MIN, &p) == TB_OK) {
    ctx->dscratch = p;
    ctx->dscratch_bytes = TB_CUDA_SCRATCH_MIN;
  } /* else the next op grows it again (and reports the failure) */
}

/* The shared-memory opt-ins of the histogram and split kernels, once per device for the whole process (the
 * attribute is per kernel per device: setting it per launch would let workers with different bin counts overwrite
 * each other's limit between their set and their launch). */
#define TB_CUDA_MAX_DEVICES 64
static pthread_mutex_t smem_lock = PTHREAD_MUTEX_INITIALIZER;
static int smem_done[TB_CUDA_MAX_DEVICES];
static size_t smem_hist[TB_CUDA_MAX_DEVICES], smem_split[TB_CUDA_MAX_DEVICES];

static int smem_init_once(tb_cuda_ctx *ctx) {
  int rc = TB_OK;
  if (ctx->device < 0 || ctx->device >= TB_CUDA_MAX_DEVICES)
    return tb_error_set(TB_ERR_UNSUPPORTED, "cuda:%d: at most %d devices", ctx->device, TB_CUDA_MAX_DEVICES);
  pthread_mutex_lock(&smem_lock);
  if (!smem_done[ctx->device]) {
    TB_TRY(tb_cuda_tree_smem_init(ctx->smem_optin, &smem_hist[ctx->device]));
    TB_TRY(tb_cuda_split_smem_init(ctx->smem_optin, &smem_split[ctx->device]));
    smem_done[ctx->device] = 1;
  }
  ctx->hist_smem_max = smem_hist[ctx->device];
  ctx->split_smem_max = smem_split[ctx->device];
done:
  pthread_mutex_unlock(&smem_lock);
  return rc;
}

static int cuda_open(tb_backend *be) {
  int rc = TB_OK;
  cudaDeviceProp prop;
  tb_cuda_ctx *ctx = (tb_cuda_ctx *)calloc(1, sizeof *ctx);
  if (!ctx) return tb_error_set(TB_ERR_NOMEM, "cuda: out of host memory");
  be->impl = ctx;
  ctx->be = be;
  ctx->device = be->dev.index;
  TB_CUDA_TRY(cudaSetDevice(ctx->device));
  TB_CUDA_TRY(cudaGetDeviceProperties(&prop, ctx->device));
  if (prop.major * 10 + prop.minor < 80)
    TB_FAIL(TB_ERR_UNSUPPORTED, "cuda:%d: %s is sm_%d%d; this build needs compute capability 8.0 or newer (sm_80: "
            "A100, RTX 30xx and later) — use --device cpu", ctx->device, prop.name, prop.major, prop.minor);
  ctx->n_sm = prop.multiProcessorCount > 0 ? prop.multiProcessorCount : 1;
  ctx->smem_optin = prop.sharedMemPerBlockOptin;
  TB_TRY(smem_init_once(ctx));
  TB_CUDA_TRY(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
  for (int i = 0; i < TB_CUDA_STAGE_SLOTS; i++) {
    TB_CUDA_TRY(cudaEventCreateWithFlags(&ctx->hs_free[i], cudaEventDisableTiming));
    TB_CUDA_TRY(cudaMallocHost(&ctx->hs[i], 4096));
    ctx->hs_bytes[i] = 4096;
    be->pinned_host_bytes += 4096;
    TB_CUDA_TRY(cudaEventRecord(ctx->hs_free[i], ctx->stream));
  }
  TB_CUDA_TRY(cudaEventCreate(&ctx->timer_start));
  TB_CUDA_TRY(cudaEventCreate(&ctx->timer_stop));
  TB_CUBLAS_TRY(cublasCreate(&ctx->blas));
  TB_CUBLAS_TRY(cublasSetStream(ctx->blas, ctx->stream));
  /* Default math: no TF32 tensor-op conversion, so GEMM matches the CPU to fp32 rounding. */
  TB_CUBLAS_TRY(cublasSetMathMode(ctx->blas, CUBLAS_DEFAULT_MATH));
  /* Our own workspace, counted as scratch (cuBLAS's default one would be invisible to budgets): the sizes cuBLAS
   * recommends, 32 MiB on Hopper and later, 4 MiB before. */
  ctx->blas_ws_bytes = prop.major >= 9 ? (size_t)32 << 20 : (size_t)4 << 20;
  TB_TRY(scratch_alloc(ctx, ctx->blas_ws_bytes, &ctx->blas_ws));
  TB_CUBLAS_TRY(cublasSetWorkspace(ctx->blas, ctx->blas_ws, ctx->blas_ws_bytes));
  TB_TRY(scratch_alloc(ctx, TB_CUDA_SCRATCH_MIN, &ctx->dscratch));
  ctx->dscratch_bytes = TB_CUDA_SCRATCH_MIN;
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
  ctx->n_waits++;
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
  ctx->n_waits++;
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
  /* cudaFree waits for queued work that may still use ptr. A failure here is sticky (cudaGetLastError does not
   * clear those: the next op reports it) or harmless (cleared here, e.g. cudaErrorCudartUnloading at exit). */
  if (cudaFree(ptr) != cudaSuccess) (void)cudaGetLastError();
}

/* Copies up to this size go through a pinned staging slot (a true asynchronous DMA, no pageable bounce: batch-1
 * predict and small uploads); larger ones straight from the caller's memory. Both wait once: the upload stays
 * synchronous for other contexts that may read the buffer. */
#define TB_CUDA_PINNED_COPY ((size_t)1 << 20)

static int cuda_upload(tb_backend *be, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK, i = 0;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  if (bytes <= TB_CUDA_PINNED_COPY) {
    TB_TRY(stage_slot(ctx, bytes, &i));
    memcpy(ctx->hs[i], src, bytes);
    TB_CUDA_TRY(cudaMemcpyAsync(dst, ctx->hs[i], bytes, cudaMemcpyHostToDevice, ctx->stream));
    TB_CUDA_TRY(cudaEventRecord(ctx->hs_free[i], ctx->stream));
  } else {
    TB_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, ctx->stream));
  }
  ctx->n_waits++;
  TB_CUDA_TRY(cudaStreamSynchronize(ctx->stream));
done:
  return rc;
}

/* In pinned slots of at most TB_CUDA_PINNED_COPY bytes, no stream synchronisation. */
static int cuda_upload_async(tb_backend *be, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK, i = 0;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  for (size_t off = 0; off < bytes; off += TB_CUDA_PINNED_COPY) {
    const size_t n = bytes - off < TB_CUDA_PINNED_COPY ? bytes - off : TB_CUDA_PINNED_COPY;
    TB_TRY(stage_slot(ctx, n, &i));
    memcpy(ctx->hs[i], (const char *)src + off, n);
    TB_CUDA_TRY(cudaMemcpyAsync((char *)dst + off, ctx->hs[i], n, cudaMemcpyHostToDevice, ctx->stream));
    TB_CUDA_TRY(cudaEventRecord(ctx->hs_free[i], ctx->stream));
  }
done:
  return rc;
}

static int cuda_download(tb_backend *be, void *dst, const void *src, size_t bytes) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  TB_TRY(tb_cuda_enter(be, &ctx));
  if (bytes <= TB_CUDA_PINNED_COPY) TB_TRY(tb_cuda_fetch_many(ctx, 1, &dst, &src, &bytes));
  else TB_TRY(tb_cuda_fetch(ctx, dst, src, bytes));
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

static uint64_t cuda_device_waits(const tb_backend *be) {
  const tb_cuda_ctx *ctx = (const tb_cuda_ctx *)be->impl;
  return ctx ? ctx->n_waits : 0;
}

/* Designated, in the declaration order of tb_backend_vtable (backend_impl.h; C++20 requires that order, and a
 * field named twice or out of order does not compile), so two ops of one signature cannot be swapped silently. */
extern "C" const tb_backend_vtable tb_cuda_vtable = {
    .name = "cuda",
    .open = cuda_open,
    .close = cuda_close,
    .sync = cuda_sync,
    .alloc = cuda_alloc,
    .release = cuda_release,
    .upload = cuda_upload,
    .download = cuda_download,
    .copy = cuda_copy,
    .fill = tb_cuda_fill,
    .gemm_batched = tb_cuda_gemm_batched,
    .bias_add = tb_cuda_bias_add,
    .col_sum = tb_cuda_col_sum,
    .act_forward = tb_cuda_act_forward,
    .act_backward = tb_cuda_act_backward,
    .mul = tb_cuda_mul,
    .rng_uniform = tb_cuda_rng_uniform,
    .rng_normal = tb_cuda_rng_normal,
    .dropout_forward = tb_cuda_dropout_forward,
    .softmax_xent = tb_cuda_softmax_xent,
    .sq_err = tb_cuda_sq_err,
    .sum = tb_cuda_sum,
    .argmax = tb_cuda_argmax,
    .accuracy = tb_cuda_accuracy,
    .gather_rows = tb_cuda_gather_rows,
    .gather_i32 = tb_cuda_gather_i32,
    .sgd_update = tb_cuda_sgd_update,
    .adam_update = tb_cuda_adam_update,
    .quantize = tb_cuda_quantize,
    .hist_build = tb_cuda_hist_build,
    .hist_subtract = tb_cuda_hist_subtract,
    .split_find = tb_cuda_split_find,
    .forest_predict = tb_cuda_forest_predict,
    .softmax = tb_cuda_softmax,
    .tree_grad_stats = tb_cuda_tree_grad_stats,
    .class_count_stats = tb_cuda_class_count_stats,
    .value_count_stats = tb_cuda_value_count_stats,
    .energy_mj = tb_cuda_energy_mj,
    .timer_start = cuda_timer_start,
    .timer_stop = cuda_timer_stop,
    .segment_add = tb_cuda_segment_add,
    .hist_build_level = tb_cuda_hist_build_level,
    .partition_level = tb_cuda_partition_level,
    .partition_level_cols = tb_cuda_partition_level_cols,
    .trim = cuda_trim,
    .upload_async = cuda_upload_async,
    .device_waits = cuda_device_waits,
};
