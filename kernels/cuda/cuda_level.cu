/* cuda_level.cu: the CUDA backend's level-wise tree ops (tb_op_hist_build_level, tb_op_partition_level and
 * tb_op_partition_level_cols), same
 * semantics as kernels/cpu/tree_level.c. For now they queue the single-node kernels of cuda_tree.cu job by job on the
 * context's stream (launches are cheap on the GPU; the CPU's cost was its per-node thread wake-ups): each histogram
 * is exact integer atomics, so the results are bit-identical to the CPU's. A job whose histogram is not kept is
 * built into the device scratch and subtracted from there. Not here: the kernels themselves (cuda_tree.cu).
 * Tested by tests/test_cuda_parity.c against the CPU backend on a GPU machine (unverified until scripts/gpu-check
 * runs on one). */
#include "cuda_impl.cuh"

extern "C" int tb_cuda_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr,
                                        int total_bins, const uint32_t *rows, const int64_t *stats, int n_stats,
                                        int n_jobs, const tb_hist_job *jobs, int64_t *hist) {
  int rc = TB_OK;
  tb_cuda_ctx *ctx;
  void *tmp = NULL;
  const size_t slot_len = (size_t)total_bins * (size_t)n_stats;
  TB_TRY(tb_cuda_enter(be, &ctx));
  for (int i = 0; i < n_jobs; i++) {
    const tb_hist_job *j = &jobs[i];
    int64_t *h = j->dst >= 0 ? hist + (size_t)j->dst * slot_len : NULL;
    if (!h) {
      if (!tmp) TB_TRY(tb_cuda_dscratch(ctx, slot_len * sizeof(int64_t), &tmp));
      h = (int64_t *)tmp;
    }
    TB_TRY(tb_cuda_hist_build(be, n_cols, bins, cut_ptr, total_bins, rows + j->begin, j->count, stats, n_stats, h));
    if (j->sibling >= 0)
      TB_TRY(tb_cuda_hist_subtract(be, slot_len, hist + (size_t)j->parent * slot_len, h,
                                   hist + (size_t)j->sibling * slot_len));
  }
done:
  return rc;
}

extern "C" int tb_cuda_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows,
                                       int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                                       const int32_t *feature, const int32_t *bin, uint32_t *scratch,
                                       uint32_t *n_left) {
  int rc = TB_OK;
  (void)n_rows;
  for (int s = 0; s < n_seg; s++) {
    size_t nl = 0;
    if (seg_count[s])
      TB_TRY(tb_cuda_partition(be, n_cols, bins, rows + seg_begin[s], seg_count[s], feature[s], bin[s],
                               scratch + seg_begin[s], &nl));
    n_left[s] = (uint32_t)nl;
  }
done:
  return rc;
}

/* Column-major bins: feature f's column is a (n_data_rows, 1) row-major matrix, so the single-node partition kernel
 * runs on it with one column. */
extern "C" int tb_cuda_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm,
                                            uint32_t *rows, size_t n_rows, int n_seg, const uint32_t *seg_begin,
                                            const uint32_t *seg_count, const int32_t *feature, const int32_t *bin,
                                            uint32_t *scratch, uint32_t *n_left) {
  int rc = TB_OK;
  (void)n_cols;
  (void)n_rows;
  for (int s = 0; s < n_seg; s++) {
    size_t nl = 0;
    if (seg_count[s])
      TB_TRY(tb_cuda_partition(be, 1, bins_cm + (size_t)feature[s] * n_data_rows, rows + seg_begin[s], seg_count[s],
                               0, bin[s], scratch + seg_begin[s], &nl));
    n_left[s] = (uint32_t)nl;
  }
done:
  return rc;
}
