/* backend_impl.h: internal to kernels/. The table of functions that a backend (CPU or CUDA) fills, and the
 * common part of a context. backend.c validates arguments, does the memory accounting and dispatches through
 * the table; the backends do only the work. Not included outside kernels/. */
#ifndef TB_BACKEND_IMPL_H
#define TB_BACKEND_IMPL_H
#include "tb_backend.h"
#include "tb_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_backend_vtable {
  const char *name;
  /* lifecycle: open fills be->impl and be->desc; close releases be->impl */
  int (*open)(tb_backend *be);
  void (*close)(tb_backend *be);
  int (*sync)(tb_backend *be);
  /* raw memory: no accounting here (backend.c does it); out-of-memory must return TB_ERR_OOM */
  int (*alloc)(tb_backend *be, size_t bytes, void **ptr);
  void (*release)(tb_backend *be, void *ptr);
  int (*upload)(tb_backend *be, void *dst, const void *src, size_t bytes);
  int (*download)(tb_backend *be, void *dst, const void *src, size_t bytes);
  int (*copy)(tb_backend *be, void *dst, const void *src, size_t bytes);
  int (*fill)(tb_backend *be, size_t n, float value, float *x);
  /* dense */
  int (*gemm_batched)(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                      int lda, long long sa, const float *B, int ldb, long long sb, float beta, float *C, int ldc,
                      long long sc, int batch);
  int (*bias_add)(tb_backend *be, int K, int rows, int cols, float *X, const float *bias);
  int (*col_sum)(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y);
  int (*act_forward)(tb_backend *be, tb_act act, size_t n, const float *X, float *Y);
  int (*act_backward)(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX);
  int (*mul)(tb_backend *be, size_t n, const float *a, const float *b, float *out);
  int (*rng_uniform)(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out);
  int (*rng_normal)(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out);
  int (*dropout_forward)(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                         const float *X, float *Y, float *mask);
  int (*softmax_xent)(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                      float grad_scale, float *loss_rows, float *dlogits);
  int (*sq_err)(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                float grad_scale, float *loss_rows, float *dpred);
  int (*sum)(tb_backend *be, int K, size_t n, const float *x, double *sums);
  int (*argmax)(tb_backend *be, int rows, int cols, const float *X, int32_t *idx);
  int (*accuracy)(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                  int64_t *correct);
  int (*gather_rows)(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst);
  int (*gather_i32)(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst);
  int (*sgd_update)(tb_backend *be, int K, size_t n, float *W, const float *G, float *V, const tb_sgd_hparams *hp);
  int (*adam_update)(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                     const tb_adam_hparams *hp);
  /* trees */
  int (*quantize)(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                  const uint32_t *cut_ptr, uint8_t *bins);
  int (*hist_build)(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                    const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int64_t *hist);
  int (*hist_subtract)(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child, int64_t *sibling);
  int (*split_find)(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols, const uint32_t *cut_ptr,
                    int total_bins, const int64_t *hist, int n_stats, const uint8_t *feature_mask,
                    tb_split_result *out, int64_t *left_stats);
  int (*forest_predict)(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols, const float *X,
                        const uint8_t *bins, float scale, int n_out, float *out);
  /* added after the first release: softmax and per-row tree statistics (positional CUDA table: keep the order) */
  int (*softmax)(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs);
  int (*tree_grad_stats)(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                         const uint32_t *rows, const float *margins, int margin_cols, const int32_t *labels,
                         const float *targets, double *scale, int64_t *stats);
  int (*class_count_stats)(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                           const int32_t *weights, int n_classes, double scale, int64_t *stats);
  int (*value_count_stats)(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                           const int32_t *weights, double scale_y, double scale_y2, int64_t *stats);
  /* optional (NULL: not available): energy the device has used since some fixed moment, in millijoules */
  int (*energy_mj)(tb_backend *be, double *mj);
  /* optional (NULL: the host's monotonic clock, kernels/backend.c): a timer on the device's own clock */
  int (*timer_start)(tb_backend *be);
  int (*timer_stop)(tb_backend *be, double *seconds);
  /* added later: the margin update of a grown tree from its leaves' row segments */
  int (*segment_add)(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                     const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col, float *out);
  /* added later: level-wise tree ops (all nodes of a tree level in one call) */
  int (*hist_build_level)(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                          const uint32_t *rows, const int64_t *stats, int n_stats, int n_jobs,
                          const tb_hist_job *jobs, int64_t *hist);
  int (*partition_level)(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows, int n_seg,
                         const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                         const int32_t *bin, uint32_t *scratch, uint32_t *n_left);
  /* added later: partition_level on column-major bins (n_cols, n_data_rows) */
  int (*partition_level_cols)(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm, uint32_t *rows,
                              size_t n_rows, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                              const int32_t *feature, const int32_t *bin, uint32_t *scratch, uint32_t *n_left);
  /* optional (NULL: nothing to trim): gives back backend scratch grown beyond its initial size (called by
   * tb_backend_mem_reset_peak, at trial boundaries) */
  void (*trim)(tb_backend *be);
  /* host -> device copy without a host wait (tb_backend_upload_async); every backend has one */
  int (*upload_async)(tb_backend *be, void *dst, const void *src, size_t bytes);
  /* optional (NULL: 0): the number of times the backend has waited for the device since open */
  uint64_t (*device_waits)(const tb_backend *be);
} tb_backend_vtable;

struct tb_backend {
  const tb_backend_vtable *vt;
  tb_device dev;      /* resolved device */
  int n_threads;      /* CPU: OpenMP threads for this context (0 = all) */
  char desc[256];     /* tb_backend_describe() */
  size_t bytes_in_use, bytes_peak, budget; /* user buffers and backend scratch (tb_backend_account) */
  size_t scratch_bytes;     /* the backend's own device memory, part of bytes_in_use (kept up to date by the backend) */
  size_t pinned_host_bytes; /* the backend's pinned host staging (not device memory, not budgeted) */
  tb_backend_counts counts; /* host synchronisations and allocations, counted here in backend.c (tb_backend_counts) */
  double timer_t0;    /* tb_backend_timer_start's host clock reading (CPU); < 0: no timer started */
  void *impl;         /* backend-private state (CUDA: stream, cuBLAS handle, scratch) */
};

/* Counts `bytes` of backend-private device memory (scratch, library workspaces) into this context's and its
 * device's use and peaks, against both budgets (TB_ERR_OOM past one, nothing counted then); call before allocating.
 * tb_backend_unaccount gives them back after freeing. tb_backend_alloc uses the same pair. */
int tb_backend_account(tb_backend *be, size_t bytes);
void tb_backend_unaccount(tb_backend *be, size_t bytes);

extern const tb_backend_vtable tb_cpu_vtable;
#ifdef TB_HAVE_CUDA
extern const tb_backend_vtable tb_cuda_vtable;
int tb_cuda_device_count(void); /* kernels/cuda: number of devices, 0 on any error */
#endif

#ifdef __cplusplus
}
#endif
#endif
