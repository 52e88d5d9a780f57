/* PLACEHOLDER: replaced by its owner during the session. */
#include "cpu_impl.h"

int tb_cpu_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                    const uint32_t *cut_ptr, uint8_t *bins) {
  (void)be;
  (void)n_rows;
  (void)n_cols;
  (void)X;
  (void)cuts;
  (void)cut_ptr;
  (void)bins;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                      const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int64_t *hist) {
  (void)be;
  (void)n_cols;
  (void)bins;
  (void)cut_ptr;
  (void)total_bins;
  (void)rows;
  (void)n_rows;
  (void)stats;
  (void)n_stats;
  (void)hist;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_hist_subtract(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child, int64_t *sibling) {
  (void)be;
  (void)n;
  (void)parent;
  (void)child;
  (void)sibling;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols, const uint32_t *cut_ptr,
                      int total_bins, const int64_t *hist, int n_stats, const uint8_t *feature_mask,
                      tb_split_result *out, int64_t *left_stats) {
  (void)be;
  (void)params;
  (void)n_nodes;
  (void)n_cols;
  (void)cut_ptr;
  (void)total_bins;
  (void)hist;
  (void)n_stats;
  (void)feature_mask;
  (void)out;
  (void)left_stats;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_partition(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows, int feature,
                     int bin, uint32_t *scratch, size_t *n_left) {
  (void)be;
  (void)n_cols;
  (void)bins;
  (void)rows;
  (void)n_rows;
  (void)feature;
  (void)bin;
  (void)scratch;
  (void)n_left;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
int tb_cpu_forest_predict(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols, const float *X,
                          const uint8_t *bins, float scale, int n_out, float *out) {
  (void)be;
  (void)forest;
  (void)n_rows;
  (void)n_cols;
  (void)X;
  (void)bins;
  (void)scale;
  (void)n_out;
  (void)out;
  return tb_error_set(TB_ERR_UNSUPPORTED, "%s: not built yet", __func__);
}
