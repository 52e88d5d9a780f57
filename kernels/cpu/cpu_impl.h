/* cpu_impl.h: internal to kernels/cpu. The CPU backend's implementations of the table in backend_impl.h.
 * Arguments were already checked by backend.c. Parallel loops use OpenMP with tb_cpu_threads(be) threads;
 * anything that is reduced is reduced in a fixed order, so results do not depend on the thread count. */
#ifndef TB_CPU_IMPL_H
#define TB_CPU_IMPL_H
#include "backend_impl.h"

/* Threads for this context's parallel loops (be->n_threads, or the OpenMP maximum when 0). */
int tb_cpu_threads(const tb_backend *be);

/* dense.c */
int tb_cpu_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                        int lda, long long sa, const float *B, int ldb, long long sb, float beta, float *C, int ldc,
                        long long sc, int batch);
int tb_cpu_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias);
int tb_cpu_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y);
int tb_cpu_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y);
int tb_cpu_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX);
int tb_cpu_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out);
int tb_cpu_fill(tb_backend *be, size_t n, float value, float *x);
int tb_cpu_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst);
int tb_cpu_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst);

/* gemm_small.c: skinny GEMMs (B not transposed): the kernel takes N <= TB_CPU_GEMM_SMALL_N with A either way, or
 * M <= TB_CPU_GEMM_SMALL_M, K >= 1, and computes C = alpha op(A) B + beta C as tb_op_gemm states it, with results
 * independent of the thread count. _fits says whether dense.c sends a shape there (the subset measured faster). */
#define TB_CPU_GEMM_SMALL_N 16
#define TB_CPU_GEMM_SMALL_M 4
/* Multiply-adds from which an M <= 4 GEMM (batch-1..4 inference) is split over two threads by the pair pool. */
#define TB_CPU_GEMM_PAIR_MIN 65536.0
int tb_cpu_gemm_small_fits(tb_trans ta, tb_trans tb, int M, int N, int K);
void tb_cpu_gemm_small(tb_backend *be, tb_trans ta, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc);

/* pair_pool.c: runs fn(arg, 0) on the calling thread and fn(arg, 1) on a bounded-spin helper thread, and returns
 * when both are done (both on the caller when the helper is missing or busy with another caller). For work of a
 * few microseconds, where an OpenMP region under the passive wait policy costs more than the work. */
typedef void (*tb_cpu_pair_fn)(void *arg, int part);
void tb_cpu_pair_run(tb_cpu_pair_fn fn, void *arg);

/* random.c */
int tb_cpu_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out);
int tb_cpu_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out);
int tb_cpu_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                           const float *X, float *Y, float *mask);

/* loss.c */
int tb_cpu_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                        float grad_scale, float *loss_rows, float *dlogits);
int tb_cpu_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                  float grad_scale, float *loss_rows, float *dpred);
int tb_cpu_sum(tb_backend *be, int K, size_t n, const float *x, double *sums);
int tb_cpu_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx);
int tb_cpu_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                    int64_t *correct);

/* optim.c */
int tb_cpu_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V, const tb_sgd_hparams *hp);
int tb_cpu_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                       const tb_adam_hparams *hp);

/* tree.c */
int tb_cpu_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                    const uint32_t *cut_ptr, uint8_t *bins);
int tb_cpu_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                      const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int64_t *hist);
int tb_cpu_hist_subtract(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child, int64_t *sibling);
int tb_cpu_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols, const uint32_t *cut_ptr,
                      int total_bins, const int64_t *hist, int n_stats, const uint8_t *feature_mask,
                      tb_split_result *out, int64_t *left_stats);
int tb_cpu_forest_predict(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols, const float *X,
                          const uint8_t *bins, float scale, int n_out, float *out);
int tb_cpu_segment_add(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                       const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col, float *out);
/* h (padded histogram whose feature j starts at entry off[j] * n_stats) += the stats of rows[lo..hi) at their bins */
void tb_cpu_hist_rows(int64_t *h, int n_cols, const uint8_t *bins, const uint32_t *off, const uint32_t *rows,
                      size_t lo, size_t hi, const int64_t *stats, int n_stats);
/* tree_level.c */
int tb_cpu_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                            const uint32_t *rows, const int64_t *stats, int n_stats, int n_jobs,
                            const tb_hist_job *jobs, int64_t *hist);
int tb_cpu_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows, int n_seg,
                           const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                           const int32_t *bin, uint32_t *scratch, uint32_t *n_left);
int tb_cpu_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm, uint32_t *rows,
                                size_t n_rows, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                                const int32_t *feature, const int32_t *bin, uint32_t *scratch, uint32_t *n_left);

/* softmax.c */
int tb_cpu_softmax(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs);

/* tree_stats.c */
int tb_cpu_tree_grad_stats(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                           const uint32_t *rows, const float *margins, int margin_cols, const int32_t *labels,
                           const float *targets, double *scale, int64_t *stats);
int tb_cpu_class_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                             const int32_t *weights, int n_classes, double scale, int64_t *stats);
int tb_cpu_value_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                             const int32_t *weights, double scale_y, double scale_y2, int64_t *stats);
#endif
