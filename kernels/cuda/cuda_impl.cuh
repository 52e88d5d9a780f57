/* cuda_impl.cuh: internal to kernels/cuda. The CUDA backend's private context (stream, cuBLAS handle, scratch),
 * the error mapping (TB_CUDA_TRY / TB_CUBLAS_TRY: CUDA and cuBLAS codes -> TB_ERR_OOM / TB_ERR_DEVICE /
 * TB_ERR_DEVICE_FATAL with file:line and the CUDA error string), launch helpers and the declarations of the ops
 * defined in cuda_dense.cu, cuda_loss.cu, cuda_optim.cu, cuda_tree.cu, cuda_split.cu and cuda_stats.cu.
 * Not a public header.
 * Tested by tests/test_cuda_parity.c (every op against the CPU backend, on a GPU machine). */
#ifndef TB_CUDA_IMPL_CUH
#define TB_CUDA_IMPL_CUH
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "backend_impl.h"

#define TB_CUDA_STAGE_SLOTS 4 /* pinned staging ring: a staged copy waits only for the one 4 staged ops before it */
#define TB_CUDA_SCRATCH_MIN ((size_t)1 << 16)

/* Backend-private state of one context (be->impl). */
typedef struct tb_cuda_ctx {
  tb_backend *be;           /* the owning context (scratch is counted in its memory accounting) */
  int device;               /* CUDA ordinal */
  cudaStream_t stream;      /* every op of this context is queued here */
  cublasHandle_t blas;      /* bound to `stream`, pure fp32 (no TF32), on our own counted workspace */
  void *blas_ws;            /* cuBLAS workspace (cublasSetWorkspace), counted as scratch */
  size_t blas_ws_bytes;
  int n_sm;                 /* multiprocessors, for grid sizing */
  size_t smem_optin;        /* largest shared memory (static + dynamic) a block may ask for */
  size_t hist_smem_max;     /* largest dynamic shared memory hist_kernel<true> may use (set once per device) */
  size_t split_smem_max;    /* likewise for split_pair_kernel */
  void *dscratch;           /* device scratch for per-call small arrays (hyperparameters, partials, results) */
  size_t dscratch_bytes;    /* counted as scratch; trimmed back to TB_CUDA_SCRATCH_MIN by tb_backend_mem_reset_peak */
  void *hs[TB_CUDA_STAGE_SLOTS];            /* pinned host staging slots (host->device arrays, host-out results) */
  size_t hs_bytes[TB_CUDA_STAGE_SLOTS];
  cudaEvent_t hs_free[TB_CUDA_STAGE_SLOTS]; /* recorded after the last copy that read or wrote the slot */
  int hs_next;                              /* the slot the next staged copy uses */
  cudaEvent_t timer_start, timer_stop; /* tb_backend_timer_start / _stop (timing events) */
  uint64_t n_waits;         /* every wait for the device (tb_backend_counts.device_waits) */
} tb_cuda_ctx;

static inline tb_cuda_ctx *tb_cuda_ctx_of(tb_backend *be) { return (tb_cuda_ctx *)be->impl; }

/* Maps a CUDA error to a TB code, records "file:line: expr: cudaErrorName: string" and clears non-sticky errors.
 * cudaSuccess -> TB_OK; cudaErrorMemoryAllocation -> TB_ERR_OOM; sticky (illegal address, launch failure, ...) ->
 * TB_ERR_DEVICE_FATAL; anything else -> TB_ERR_DEVICE. */
int tb_cuda_check(cudaError_t err, const char *file, int line, const char *expr);
/* Same for cuBLAS statuses (CUBLAS_STATUS_ALLOC_FAILED -> TB_ERR_OOM; an execution failure looks at the CUDA
 * error state to tell a sticky error from a recoverable one). */
int tb_cublas_check(cublasStatus_t st, const char *file, int line, const char *expr);

/* TB_CUDA_TRY(expr): expr returns cudaError_t; on failure sets rc and jumps to `done:`. */
#define TB_CUDA_TRY(expr)                                         \
  do {                                                            \
    rc = tb_cuda_check((expr), __FILE__, __LINE__, #expr);        \
    if (rc < 0) goto done;                                        \
  } while (0)
#define TB_CUBLAS_TRY(expr)                                       \
  do {                                                            \
    rc = tb_cublas_check((expr), __FILE__, __LINE__, #expr);      \
    if (rc < 0) goto done;                                        \
  } while (0)
/* After a kernel launch: catches bad launch configurations and earlier sticky errors. */
#define TB_CUDA_LAUNCHED() TB_CUDA_TRY(cudaGetLastError())

/* Makes the context's device current on this thread; returns the context. */
int tb_cuda_enter(tb_backend *be, tb_cuda_ctx **ctx);

/* Device scratch of at least `bytes` (grown on demand; contents undefined). Stream-ordered: valid for work queued
 * on the context's stream after this call. */
int tb_cuda_dscratch(tb_cuda_ctx *ctx, size_t bytes, void **ptr);
/* Copies `bytes` of host memory to the device scratch at byte offset `dst_off` through the next pinned staging slot,
 * asynchronously on the stream (the host array may be reused as soon as this returns). Waits only when that slot's
 * previous copy (TB_CUDA_STAGE_SLOTS staged copies ago) is still queued. */
int tb_cuda_stage_upload(tb_cuda_ctx *ctx, const void *src, size_t bytes, size_t dst_off);
/* Host out through pinned memory: copies the n_parts device ranges src[i] (bytes[i] each) into a staging slot with
 * asynchronous copies, waits for the stream once, then copies them to the host arrays dst[i]. */
int tb_cuda_fetch_many(tb_cuda_ctx *ctx, int n_parts, void *const *dst, const void *const *src, const size_t *bytes);
/* Host out: copies `bytes` from device memory to host `dst` and waits for the stream. */
int tb_cuda_fetch(tb_cuda_ctx *ctx, void *dst, const void *src, size_t bytes);

/* Once per device, at the first context open (the attribute is per kernel per device, shared by every context and
 * thread of the process, so it is never changed per launch): opts the shared-memory kernels into the largest dynamic
 * shared memory the device allows beside their static shared memory, and returns that size. */
int tb_cuda_tree_smem_init(size_t smem_optin, size_t *hist_max);
int tb_cuda_split_smem_init(size_t smem_optin, size_t *split_max);

/* Per-model hyperparameters of the K-model ops (optimizers, dropout) travel by value as kernel arguments, this many
 * models per launch (at most 44 B each: 2.8 KB, under the 4 KB kernel-argument limit of every CUDA version), so those
 * ops need no staged copy and never wait for the host; K beyond it takes ceil(K / 64) launches. */
#define TB_CUDA_ARG_MODELS 64

/* Grid of 256-thread blocks for n independent elements (grid-stride loops cover the rest). */
#define TB_CUDA_THREADS 256
static inline unsigned tb_cuda_grid(const tb_cuda_ctx *ctx, size_t n) {
  size_t blocks = (n + TB_CUDA_THREADS - 1) / TB_CUDA_THREADS;
  size_t cap = (size_t)ctx->n_sm * 32;
  if (blocks > cap) blocks = cap;
  return blocks ? (unsigned)blocks : 1u;
}

#ifdef __cplusplus
extern "C" {
#endif
/* cuda_backend.cu */
int tb_cuda_fill(tb_backend *be, size_t n, float value, float *x);
/* cuda_dense.cu */
int tb_cuda_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                         int lda, long long sa, const float *B, int ldb, long long sb, float beta, float *C, int ldc,
                         long long sc, int batch);
int tb_cuda_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias);
int tb_cuda_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y);
int tb_cuda_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y);
int tb_cuda_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX);
int tb_cuda_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out);
int tb_cuda_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst);
int tb_cuda_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst);
int tb_cuda_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out);
int tb_cuda_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out);
int tb_cuda_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                            const float *X, float *Y, float *mask);
/* cuda_loss.cu */
int tb_cuda_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                         float grad_scale, float *loss_rows, float *dlogits);
int tb_cuda_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                   float grad_scale, float *loss_rows, float *dpred);
int tb_cuda_sum(tb_backend *be, int K, size_t n, const float *x, double *sums);
int tb_cuda_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx);
int tb_cuda_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                     int64_t *correct);
/* cuda_optim.cu */
int tb_cuda_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V,
                       const tb_sgd_hparams *hp);
int tb_cuda_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                        const tb_adam_hparams *hp);
/* cuda_tree.cu, cuda_split.cu */
int tb_cuda_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                     const uint32_t *cut_ptr, uint8_t *bins);
int tb_cuda_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                       const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int64_t *hist);
int tb_cuda_hist_subtract(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child, int64_t *sibling);
int tb_cuda_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols,
                       const uint32_t *cut_ptr, int total_bins, const int64_t *hist, int n_stats,
                       const uint8_t *feature_mask, tb_split_result *out, int64_t *left_stats);
int tb_cuda_forest_predict(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols, const float *X,
                           const uint8_t *bins, float scale, int n_out, float *out);
int tb_cuda_segment_add(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                        const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col, float *out);
/* cuda_tree.cu (histograms), cuda_level.cu (partitions) */
int tb_cuda_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr,
                             int total_bins, const uint32_t *rows, const int64_t *stats, int n_stats, int n_jobs,
                             const tb_hist_job *jobs, int64_t *hist);
int tb_cuda_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows,
                            int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                            const int32_t *bin, uint32_t *scratch, uint32_t *n_left);
int tb_cuda_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm,
                                 uint32_t *rows, size_t n_rows, int n_seg, const uint32_t *seg_begin,
                                 const uint32_t *seg_count, const int32_t *feature, const int32_t *bin,
                                 uint32_t *scratch, uint32_t *n_left);
/* cuda_level.cu: the batched partition behind all three partition ops (segments of rows, split by (feature, bin);
 * bins of row r, feature f at bins[r * rs + f * fs]); n_left in the callers' segment order; one wait. */
int tb_cuda_partition_segments(tb_backend *be, const uint8_t *bins, size_t rs, size_t fs, uint32_t *rows, int n_seg,
                               const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                               const int32_t *bin, uint32_t *scratch, uint32_t *n_left);
/* cuda_stats.cu */
int tb_cuda_softmax(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs);
int tb_cuda_tree_grad_stats(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                            const uint32_t *rows, const float *margins, int margin_cols, const int32_t *labels,
                            const float *targets, double *scale, int64_t *stats);
int tb_cuda_class_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                              const int32_t *weights, int n_classes, double scale, int64_t *stats);
int tb_cuda_value_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                              const int32_t *weights, double scale_y, double scale_y2, int64_t *stats);
/* cuda_energy.cu: NVML's total energy counter of this context's device (dlopen'ed libnvidia-ml.so.1; Volta and
 * later); TB_ERR_UNSUPPORTED when NVML or the counter is not available. */
int tb_cuda_energy_mj(tb_backend *be, double *mj);
#ifdef __cplusplus
}
#endif
#endif
