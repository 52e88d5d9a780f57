/* cpu_backend.c: the CPU backend's table, lifecycle and memory. Memory is 64-byte aligned host memory; the
 * accounting and budgets are done once for all backends in kernels/backend.c. The ops live in dense.c, random.c,
 * loss.c, optim.c and tree.c beside this file. Tested by tests/test_backend.c and tests/test_ops_*.c. */
#include "cpu_impl.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tb_cpu_threads(const tb_backend *be) { return be->n_threads > 0 ? be->n_threads : omp_get_max_threads(); }

static int cpu_open(tb_backend *be) {
  snprintf(be->desc, sizeof be->desc, "cpu (%d threads, %s)", omp_get_max_threads(), openblas_get_config());
  return TB_OK;
}

static void cpu_close(tb_backend *be) { (void)be; }
static int cpu_sync(tb_backend *be) { (void)be; return TB_OK; }

static int cpu_alloc(tb_backend *be, size_t bytes, void **ptr) {
  (void)be;
  size_t rounded = (bytes + 63) / 64 * 64;
  *ptr = aligned_alloc(64, rounded);
  if (!*ptr) return tb_error_set(TB_ERR_OOM, "out of memory: host allocation of %zu bytes failed", bytes);
  return TB_OK;
}

static void cpu_release(tb_backend *be, void *ptr) { (void)be; free(ptr); }

static int cpu_copy(tb_backend *be, void *dst, const void *src, size_t bytes) {
  (void)be;
  memmove(dst, src, bytes);
  return TB_OK;
}

const tb_backend_vtable tb_cpu_vtable = {
    .name = "cpu",
    .open = cpu_open,
    .close = cpu_close,
    .sync = cpu_sync,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy,
    .download = cpu_copy,
    .copy = cpu_copy,
    .fill = tb_cpu_fill,
    .gemm_batched = tb_cpu_gemm_batched,
    .bias_add = tb_cpu_bias_add,
    .col_sum = tb_cpu_col_sum,
    .act_forward = tb_cpu_act_forward,
    .act_backward = tb_cpu_act_backward,
    .mul = tb_cpu_mul,
    .rng_uniform = tb_cpu_rng_uniform,
    .rng_normal = tb_cpu_rng_normal,
    .dropout_forward = tb_cpu_dropout_forward,
    .softmax_xent = tb_cpu_softmax_xent,
    .sq_err = tb_cpu_sq_err,
    .sum = tb_cpu_sum,
    .argmax = tb_cpu_argmax,
    .accuracy = tb_cpu_accuracy,
    .gather_rows = tb_cpu_gather_rows,
    .gather_i32 = tb_cpu_gather_i32,
    .sgd_update = tb_cpu_sgd_update,
    .adam_update = tb_cpu_adam_update,
    .quantize = tb_cpu_quantize,
    .hist_build = tb_cpu_hist_build,
    .hist_subtract = tb_cpu_hist_subtract,
    .split_find = tb_cpu_split_find,
    .forest_predict = tb_cpu_forest_predict,
    .softmax = tb_cpu_softmax,
    .tree_grad_stats = tb_cpu_tree_grad_stats,
    .class_count_stats = tb_cpu_class_count_stats,
    .value_count_stats = tb_cpu_value_count_stats,
    .segment_add = tb_cpu_segment_add,
    .hist_build_level = tb_cpu_hist_build_level,
    .partition_level = tb_cpu_partition_level,
    .partition_level_cols = tb_cpu_partition_level_cols,
    .upload_async = cpu_copy,
};
