/* backend.c: the one place where the device is chosen, plus the memory accounting and argument checks shared by
 * every backend. Each tb_op_* checks its arguments (user-reachable sizes and pointers), then dispatches through
 * the context's table (kernels/cpu/cpu_backend.c or kernels/cuda/cuda_backend.cu).
 * Tested by tests/test_backend.c (device parsing, budgets, out-of-memory) and the op tests. */
#include "backend_impl.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TB_MAX_DEVICES 16

/* Per-device accounting shared by all contexts: [0] is the CPU, [1 + i] is cuda:i. */
typedef struct {
  atomic_size_t in_use, peak, budget;
} tb_device_mem;
static tb_device_mem tb_devmem[1 + TB_MAX_DEVICES];

static tb_device_mem *device_mem(const tb_device *dev) {
  int slot = dev->kind == TB_DEVICE_CUDA ? 1 + dev->index : 0;
  if (slot < 0 || slot > TB_MAX_DEVICES) slot = 0;
  return &tb_devmem[slot];
}

int tb_device_parse(const char *text, tb_device *out) {
  if (!text) return tb_error_set(TB_ERR_INVALID, "device: missing value (expected auto, cpu, cuda or cuda:N)");
  out->index = 0;
  if (!strcmp(text, "auto")) { out->kind = TB_DEVICE_AUTO; return TB_OK; }
  if (!strcmp(text, "cpu")) { out->kind = TB_DEVICE_CPU; return TB_OK; }
  if (!strncmp(text, "cuda", 4)) {
    out->kind = TB_DEVICE_CUDA;
    if (text[4] == '\0') return TB_OK;
    if (text[4] == ':' && text[5] >= '0' && text[5] <= '9') {
      char *end;
      long v = strtol(text + 5, &end, 10);
      if (*end == '\0' && v >= 0 && v < TB_MAX_DEVICES) { out->index = (int)v; return TB_OK; }
    }
  }
  return tb_error_set(TB_ERR_INVALID, "device '%s' is not one of auto, cpu, cuda, cuda:N (N = 0..%d)", text,
                      TB_MAX_DEVICES - 1);
}

int tb_backend_cuda_built(void) {
#ifdef TB_HAVE_CUDA
  return 1;
#else
  return 0;
#endif
}

int tb_backend_cuda_device_count(void) {
#ifdef TB_HAVE_CUDA
  return tb_cuda_device_count();
#else
  return 0;
#endif
}

int tb_device_resolve(const tb_device *req, tb_device *out, char *notice, size_t notice_len) {
  if (notice && notice_len) notice[0] = '\0';
  int n_gpu = tb_backend_cuda_device_count();
  switch (req->kind) {
  case TB_DEVICE_CPU: *out = *req; return TB_OK;
  case TB_DEVICE_AUTO:
    if (n_gpu > 0) { out->kind = TB_DEVICE_CUDA; out->index = 0; return TB_OK; }
    out->kind = TB_DEVICE_CPU; out->index = 0;
    if (notice && notice_len)
      snprintf(notice, notice_len, "device auto: %s, using the CPU",
               tb_backend_cuda_built() ? "no CUDA GPU found" : "this build has no CUDA backend");
    return TB_OK;
  case TB_DEVICE_CUDA:
    if (!tb_backend_cuda_built())
      return tb_error_set(TB_ERR_UNSUPPORTED, "device cuda:%d: this build has no CUDA backend (rebuild with "
                          "-DTB_CUDA=ON where nvcc exists) — use --device cpu", req->index);
    if (n_gpu == 0)
      return tb_error_set(TB_ERR_UNSUPPORTED, "device cuda:%d: no CUDA GPU is present on this machine — use "
                          "--device cpu or auto", req->index);
    if (req->index >= n_gpu)
      return tb_error_set(TB_ERR_UNSUPPORTED, "device cuda:%d: only %d CUDA device(s) (cuda:0..cuda:%d)",
                          req->index, n_gpu, n_gpu - 1);
    *out = *req;
    return TB_OK;
  }
  return tb_error_set(TB_ERR_INVALID, "device: unknown kind %d", (int)req->kind);
}

int tb_backend_open(const tb_device *dev, tb_backend **out) {
  int rc = TB_OK;
  tb_backend *be = NULL;
  *out = NULL;
  be = calloc(1, sizeof *be);
  if (!be) TB_FAIL(TB_ERR_NOMEM, "backend: out of host memory");
  TB_TRY(tb_device_resolve(dev, &be->dev, NULL, 0));
#ifdef TB_HAVE_CUDA
  be->vt = be->dev.kind == TB_DEVICE_CUDA ? &tb_cuda_vtable : &tb_cpu_vtable;
#else
  be->vt = &tb_cpu_vtable;
#endif
  be->timer_t0 = -1.0;
  TB_TRY(be->vt->open(be));
  *out = be;
  be = NULL;
done:
  free(be);
  return rc;
}

void tb_backend_free(tb_backend *be) {
  if (!be) return;
  be->vt->close(be);
  free(be);
}

tb_device_kind tb_backend_kind(const tb_backend *be) { return be->dev.kind; }
const char *tb_backend_describe(const tb_backend *be) { return be->desc; }
void tb_backend_set_threads(tb_backend *be, int n_threads) { be->n_threads = n_threads > 0 ? n_threads : 0; }
int tb_backend_sync(tb_backend *be) {
  be->counts.host_syncs++;
  return be->vt->sync(be);
}

int tb_backend_energy_mj(tb_backend *be, double *mj) {
  *mj = NAN;
  if (!be->vt->energy_mj)
    return tb_error_set(TB_ERR_UNSUPPORTED, "energy: the %s backend has no energy counter", be->vt->name);
  return be->vt->energy_mj(be, mj);
}

static double host_clock_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tb_backend_timer_start(tb_backend *be) {
  if (be->vt->timer_start) {
    int rc = be->vt->timer_start(be);
    if (rc == TB_OK) be->timer_t0 = 0.0; /* started (the device holds the time) */
    return rc;
  }
  be->timer_t0 = host_clock_s();
  return TB_OK;
}

int tb_backend_timer_stop(tb_backend *be, double *seconds) {
  *seconds = NAN;
  if (be->timer_t0 < 0)
    return tb_error_set(TB_ERR_INVALID, "timer: tb_backend_timer_stop without tb_backend_timer_start on %s",
                        be->desc);
  be->counts.host_syncs++;
  if (be->vt->timer_stop) return be->vt->timer_stop(be, seconds);
  *seconds = host_clock_s() - be->timer_t0;
  return TB_OK;
}

/* ---- memory ---------------------------------------------------------------------------------------------------- */
static void atomic_max(atomic_size_t *a, size_t v) {
  size_t cur = atomic_load(a);
  while (v > cur && !atomic_compare_exchange_weak(a, &cur, v)) {}
}

int tb_backend_account(tb_backend *be, size_t bytes) {
  if (bytes == 0) return TB_OK;
  if (be->budget && be->bytes_in_use + bytes > be->budget)
    return tb_error_set(TB_ERR_OOM, "out of memory: %zu bytes requested with %zu of this trial's budget of %zu in use",
                        bytes, be->bytes_in_use, be->budget);
  tb_device_mem *dm = device_mem(&be->dev);
  size_t prev = atomic_fetch_add(&dm->in_use, bytes);
  size_t dev_budget = atomic_load(&dm->budget);
  if (dev_budget && prev + bytes > dev_budget) {
    atomic_fetch_sub(&dm->in_use, bytes);
    return tb_error_set(TB_ERR_OOM, "out of memory: %zu bytes requested with %zu of the device budget of %zu in use",
                        bytes, prev, dev_budget);
  }
  atomic_max(&dm->peak, prev + bytes);
  be->bytes_in_use += bytes;
  if (be->bytes_in_use > be->bytes_peak) be->bytes_peak = be->bytes_in_use;
  return TB_OK;
}

void tb_backend_unaccount(tb_backend *be, size_t bytes) {
  if (bytes == 0) return;
  atomic_fetch_sub(&device_mem(&be->dev)->in_use, bytes);
  be->bytes_in_use -= bytes;
}

int tb_backend_alloc(tb_backend *be, size_t bytes, tb_buf *out) {
  out->data = NULL;
  out->bytes = 0;
  if (bytes == 0) return TB_OK;
  int rc = tb_backend_account(be, bytes);
  if (rc < 0) return rc;
  rc = be->vt->alloc(be, bytes, &out->data);
  if (rc < 0) {
    tb_backend_unaccount(be, bytes);
    out->data = NULL;
    return rc;
  }
  be->counts.allocs++;
  out->bytes = bytes;
  return TB_OK;
}

void tb_backend_release(tb_backend *be, tb_buf *buf) {
  if (!buf || !buf->data) return;
  be->vt->release(be, buf->data);
  be->counts.releases++;
  tb_backend_unaccount(be, buf->bytes);
  buf->data = NULL;
  buf->bytes = 0;
}

void tb_backend_mem(const tb_backend *be, tb_mem_stats *out) {
  tb_device_mem *dm = device_mem(&be->dev);
  out->bytes_in_use = be->bytes_in_use;
  out->scratch_bytes = be->scratch_bytes;
  out->pinned_host_bytes = be->pinned_host_bytes;
  out->bytes_peak = be->bytes_peak;
  out->budget = be->budget;
  out->device_bytes_in_use = atomic_load(&dm->in_use);
  out->device_bytes_peak = atomic_load(&dm->peak);
  out->device_budget = atomic_load(&dm->budget);
}

void tb_backend_mem_reset_peak(tb_backend *be) {
  if (be->vt->trim) be->vt->trim(be); /* scratch grown by the last trial goes back */
  be->bytes_peak = be->bytes_in_use;
}

void tb_backend_counts_get(const tb_backend *be, tb_backend_counts *out) {
  *out = be->counts;
  out->device_waits = be->vt->device_waits ? be->vt->device_waits(be) : 0;
}
void tb_backend_set_budget(tb_backend *be, size_t bytes) { be->budget = bytes; }
void tb_device_set_budget(const tb_device *dev, size_t bytes) { atomic_store(&device_mem(dev)->budget, bytes); }

int tb_backend_upload(tb_backend *be, void *dst, const void *src, size_t bytes) {
  if (!bytes) return TB_OK;
  be->counts.host_syncs++;
  return be->vt->upload(be, dst, src, bytes);
}
int tb_backend_download(tb_backend *be, void *dst, const void *src, size_t bytes) {
  if (!bytes) return TB_OK;
  be->counts.host_syncs++;
  return be->vt->download(be, dst, src, bytes);
}
int tb_backend_upload_async(tb_backend *be, void *dst, const void *src, size_t bytes) {
  return bytes ? be->vt->upload_async(be, dst, src, bytes) : TB_OK;
}
int tb_backend_copy(tb_backend *be, void *dst, const void *src, size_t bytes) {
  return bytes ? be->vt->copy(be, dst, src, bytes) : TB_OK;
}

/* ---- op dispatch --------------------------------------------------------------------------------------------- */
#define CHECK(cond, ...)                                                                            \
  do {                                                                                              \
    if (!(cond)) return tb_error_set(TB_ERR_INVALID, __VA_ARGS__);                                   \
  } while (0)

int tb_op_fill(tb_backend *be, size_t n, float value, float *x) {
  if (!n) return TB_OK;
  CHECK(x, "fill: NULL buffer");
  return be->vt->fill(be, n, value, x);
}

int tb_op_gemm(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc) {
  return tb_op_gemm_batched(be, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

int tb_op_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
                       int lda, long long sa, const float *B, int ldb, long long sb, float beta, float *C, int ldc,
                       long long sc, int batch) {
  CHECK(M >= 0 && N >= 0 && K >= 0 && batch >= 0, "gemm: negative size (M=%d N=%d K=%d batch=%d)", M, N, K, batch);
  if (!M || !N || !batch) return TB_OK;
  CHECK(ldc >= N, "gemm: ldc=%d < N=%d", ldc, N);
  CHECK(lda >= (ta ? M : K) || K == 0, "gemm: lda=%d too small", lda);
  CHECK(ldb >= (tb ? K : N) || K == 0, "gemm: ldb=%d too small", ldb);
  CHECK(C && (K == 0 || (A && B)), "gemm: NULL matrix");
  return be->vt->gemm_batched(be, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

int tb_op_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias) {
  CHECK(K >= 0 && rows >= 0 && cols >= 0, "bias_add: negative size");
  if (!K || !rows || !cols) return TB_OK;
  CHECK(X && bias, "bias_add: NULL buffer");
  return be->vt->bias_add(be, K, rows, cols, X, bias);
}

int tb_op_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y) {
  CHECK(K >= 0 && rows >= 0 && cols >= 0, "col_sum: negative size");
  if (!K || !cols) return TB_OK;
  CHECK(Y && (X || !rows), "col_sum: NULL buffer");
  return be->vt->col_sum(be, K, rows, cols, X, beta, Y);
}

int tb_op_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y) {
  CHECK(act >= TB_ACT_IDENTITY && act <= TB_ACT_SIGMOID, "activation: unknown kind %d", (int)act);
  if (!n) return TB_OK;
  CHECK(X && Y, "activation: NULL buffer");
  return be->vt->act_forward(be, act, n, X, Y);
}

int tb_op_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX) {
  CHECK(act >= TB_ACT_IDENTITY && act <= TB_ACT_SIGMOID, "activation: unknown kind %d", (int)act);
  if (!n) return TB_OK;
  CHECK(Y && dY && dX, "activation backward: NULL buffer");
  return be->vt->act_backward(be, act, n, Y, dY, dX);
}

int tb_op_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out) {
  if (!n) return TB_OK;
  CHECK(a && b && out, "mul: NULL buffer");
  return be->vt->mul(be, n, a, b, out);
}

int tb_op_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out) {
  if (!n) return TB_OK;
  CHECK(out, "rng_uniform: NULL buffer");
  CHECK(lo <= hi, "rng_uniform: lo %g > hi %g", lo, hi);
  return be->vt->rng_uniform(be, n, seed, offset, lo, hi, out);
}

int tb_op_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out) {
  if (!n) return TB_OK;
  CHECK(out, "rng_normal: NULL buffer");
  CHECK(std >= 0, "rng_normal: std %g < 0", std);
  return be->vt->rng_normal(be, n, seed, offset, mean, std, out);
}

int tb_op_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                          const float *X, float *Y, float *mask) {
  CHECK(K >= 0, "dropout: negative K");
  if (!K || !n) return TB_OK;
  CHECK(p && X && Y && mask, "dropout: NULL buffer");
  for (int k = 0; k < K; k++) CHECK(p[k] >= 0 && p[k] <= 1, "dropout: p[%d] = %g is not in [0, 1]", k, p[k]);
  return be->vt->dropout_forward(be, K, n, p, seed, offset, X, Y, mask);
}

int tb_op_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                       float grad_scale, float *loss_rows, float *dlogits) {
  CHECK(K >= 0 && rows >= 0 && classes >= 1, "softmax_xent: bad size (K=%d rows=%d classes=%d)", K, rows, classes);
  if (!K || !rows) return TB_OK;
  CHECK(logits && labels, "softmax_xent: NULL buffer");
  return be->vt->softmax_xent(be, K, rows, classes, logits, labels, grad_scale, loss_rows, dlogits);
}

int tb_op_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target, float grad_scale,
                 float *loss_rows, float *dpred) {
  CHECK(K >= 0 && rows >= 0 && cols >= 1, "sq_err: bad size (K=%d rows=%d cols=%d)", K, rows, cols);
  if (!K || !rows) return TB_OK;
  CHECK(pred && target, "sq_err: NULL buffer");
  return be->vt->sq_err(be, K, rows, cols, pred, target, grad_scale, loss_rows, dpred);
}

int tb_op_sum(tb_backend *be, int K, size_t n, const float *x, double *sums) {
  CHECK(K >= 0 && sums, "sum: bad arguments");
  if (!K) return TB_OK;
  if (!n) {
    for (int k = 0; k < K; k++) sums[k] = 0;
    return TB_OK;
  }
  CHECK(x, "sum: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->sum(be, K, n, x, sums);
}

int tb_op_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx) {
  CHECK(rows >= 0 && cols >= 1, "argmax: bad size (rows=%d cols=%d)", rows, cols);
  if (!rows) return TB_OK;
  CHECK(X && idx, "argmax: NULL buffer");
  return be->vt->argmax(be, rows, cols, X, idx);
}

int tb_op_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                   int64_t *correct) {
  CHECK(K >= 0 && rows >= 0 && classes >= 1 && correct, "accuracy: bad arguments");
  if (!rows) {
    for (int k = 0; k < K; k++) correct[k] = 0;
    return TB_OK;
  }
  if (!K) return TB_OK;
  CHECK(logits && labels, "accuracy: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->accuracy(be, K, rows, classes, logits, labels, correct);
}

int tb_op_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst) {
  CHECK(cols >= 0, "gather_rows: negative cols");
  if (!n_idx || !cols) return TB_OK;
  CHECK(src && idx && dst, "gather_rows: NULL buffer");
  return be->vt->gather_rows(be, n_idx, cols, src, idx, dst);
}

int tb_op_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst) {
  if (!n_idx) return TB_OK;
  CHECK(src && idx && dst, "gather_i32: NULL buffer");
  return be->vt->gather_i32(be, n_idx, src, idx, dst);
}

int tb_op_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V, const tb_sgd_hparams *hp) {
  CHECK(K >= 0, "sgd: negative K");
  if (!K || !n) return TB_OK;
  CHECK(W && G && hp, "sgd: NULL buffer");
  for (int k = 0; k < K; k++) {
    CHECK(hp[k].lr >= 0 && hp[k].momentum >= 0 && hp[k].momentum < 1 && hp[k].l1 >= 0 && hp[k].l2 >= 0,
          "sgd: model %d has lr %g, momentum %g, l1 %g, l2 %g (need lr >= 0, 0 <= momentum < 1, l1, l2 >= 0)", k,
          hp[k].lr, hp[k].momentum, hp[k].l1, hp[k].l2);
    CHECK(V || hp[k].momentum == 0, "sgd: model %d has momentum but no velocity buffer", k);
  }
  return be->vt->sgd_update(be, K, n, W, G, V, hp);
}

int tb_op_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                      const tb_adam_hparams *hp) {
  CHECK(K >= 0, "adam: negative K");
  if (!K || !n) return TB_OK;
  CHECK(W && G && M && V && hp, "adam: NULL buffer");
  for (int k = 0; k < K; k++)
    CHECK(hp[k].lr >= 0 && hp[k].beta1 >= 0 && hp[k].beta1 < 1 && hp[k].beta2 >= 0 && hp[k].beta2 < 1 &&
              hp[k].eps > 0 && hp[k].step >= 1 && hp[k].weight_decay >= 0 && hp[k].l1 >= 0 && hp[k].l2 >= 0,
          "adam: model %d has invalid hyperparameters (lr %g, betas %g %g, eps %g, step %lld)", k, hp[k].lr,
          hp[k].beta1, hp[k].beta2, hp[k].eps, (long long)hp[k].step);
  return be->vt->adam_update(be, K, n, W, G, M, V, hp);
}

int tb_op_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                   const uint32_t *cut_ptr, uint8_t *bins) {
  CHECK(n_cols >= 0, "quantize: negative n_cols");
  if (!n_rows || !n_cols) return TB_OK;
  CHECK(X && cuts && cut_ptr && bins, "quantize: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->quantize(be, n_rows, n_cols, X, cuts, cut_ptr, bins);
}

int tb_op_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                     const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int64_t *hist) {
  CHECK(n_cols >= 0 && total_bins >= 0 && n_stats >= 1 && n_stats <= TB_MAX_STATS,
        "hist_build: bad size (n_cols=%d total_bins=%d n_stats=%d)", n_cols, total_bins, n_stats);
  if (!total_bins) return TB_OK;
  CHECK(hist && cut_ptr && (!n_rows || (bins && rows && stats)), "hist_build: NULL buffer");
  return be->vt->hist_build(be, n_cols, bins, cut_ptr, total_bins, rows, n_rows, stats, n_stats, hist);
}

int tb_op_hist_subtract(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child, int64_t *sibling) {
  if (!n) return TB_OK;
  CHECK(parent && child && sibling, "hist_subtract: NULL buffer");
  return be->vt->hist_subtract(be, n, parent, child, sibling);
}

int tb_op_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols, const uint32_t *cut_ptr,
                     int total_bins, const int64_t *hist, int n_stats, const uint8_t *feature_mask,
                     tb_split_result *out, int64_t *left_stats) {
  CHECK(params && n_nodes >= 0 && n_cols >= 1 && n_stats >= 1 && n_stats <= TB_MAX_STATS,
        "split_find: bad arguments (n_nodes=%d n_cols=%d n_stats=%d)", n_nodes, n_cols, n_stats);
  CHECK(params->criterion >= TB_SPLIT_GRADIENT && params->criterion <= TB_SPLIT_VARIANCE,
        "split_find: unknown criterion %d", (int)params->criterion);
  CHECK(params->criterion != TB_SPLIT_GRADIENT || n_stats == 2, "split_find: gradient criterion needs 2 stats");
  CHECK(params->criterion != TB_SPLIT_VARIANCE || n_stats == 3, "split_find: variance criterion needs 3 stats");
  CHECK(params->scale > 0, "split_find: scale must be > 0");
  if (!n_nodes) return TB_OK;
  CHECK(cut_ptr && hist && out, "split_find: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->split_find(be, params, n_nodes, n_cols, cut_ptr, total_bins, hist, n_stats, feature_mask, out,
                            left_stats);
}

int tb_op_forest_predict(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols, const float *X,
                         const uint8_t *bins, float scale, int n_out, float *out) {
  CHECK(forest && n_cols >= 1 && n_out >= 1 && forest->leaf_width >= 1, "forest_predict: bad arguments");
  if (!n_rows || !forest->n_trees) return TB_OK;
  CHECK((X || bins) && out && forest->nodes && forest->roots && forest->out_col && forest->leaf_values,
        "forest_predict: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->forest_predict(be, forest, n_rows, n_cols, X, bins, scale, n_out, out);
}

static int cmp_seg(const void *a, const void *b) {
  const uint32_t *x = a, *y = b;
  return (x[0] > y[0]) - (x[0] < y[0]);
}

int tb_op_segment_add(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                      const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col, float *out) {
  CHECK(n_seg >= 0 && n_out >= 1 && col >= 0 && col < n_out,
        "segment_add: bad arguments (%d segments, column %d of %d outputs)", n_seg, col, n_out);
  if (!n_seg) return TB_OK;
  CHECK(seg_begin && seg_count && values, "segment_add: NULL segment array");
  /* (begin, count) pairs sorted by begin: each must end before the next begins, the last inside rows */
  uint32_t *s = malloc((size_t)n_seg * 2 * sizeof *s);
  if (!s) return tb_error_set(TB_ERR_NOMEM, "segment_add: out of host memory (%d segments)", n_seg);
  for (int k = 0; k < n_seg; k++) {
    s[2 * k] = seg_begin[k];
    s[2 * k + 1] = seg_count[k];
  }
  qsort(s, (size_t)n_seg, 2 * sizeof *s, cmp_seg);
  size_t end = 0, total = 0;
  int bad = -1;
  for (int k = 0; k < n_seg && bad < 0; k++) {
    if (s[2 * k] < end || (size_t)s[2 * k] + s[2 * k + 1] > n_rows) bad = k;
    end = (size_t)s[2 * k] + s[2 * k + 1];
    total += s[2 * k + 1];
  }
  uint32_t bb = bad >= 0 ? s[2 * bad] : 0, bc = bad >= 0 ? s[2 * bad + 1] : 0;
  free(s);
  CHECK(bad < 0, "segment_add: segment at %u (+%u rows) overlaps the one before it or runs past the %zu listed rows",
        bb, bc, n_rows);
  if (!total) return TB_OK;
  CHECK(rows && out, "segment_add: NULL buffer");
  return be->vt->segment_add(be, n_seg, seg_begin, seg_count, values, rows, n_rows, n_out, col, out);
}

int tb_op_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                           const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int n_jobs,
                           const tb_hist_job *jobs, int n_slots, int64_t *hist) {
  CHECK(n_cols >= 0 && total_bins >= 0 && n_stats >= 1 && n_stats <= TB_MAX_STATS && n_jobs >= 0 && n_slots >= 0,
        "hist_build_level: bad size (n_cols=%d total_bins=%d n_stats=%d n_jobs=%d n_slots=%d)", n_cols, total_bins,
        n_stats, n_jobs, n_slots);
  if (!n_jobs || !total_bins) return TB_OK;
  CHECK(jobs && hist && cut_ptr, "hist_build_level: NULL buffer");
  /* use[s]: 1 = read as a parent, 2 = written; a slot written twice, or written and read, is a race */
  unsigned char *use = calloc((size_t)n_slots + 1, 1);
  if (!use) return tb_error_set(TB_ERR_NOMEM, "hist_build_level: out of host memory (%d slots)", n_slots);
  int bad = -1, any_rows = 0;
  const char *why = "";
  for (int i = 0; i < n_jobs && bad < 0; i++) {
    const tb_hist_job *j = &jobs[i];
    int32_t w[2] = {j->dst, j->sibling};
    if ((size_t)j->begin + j->count > n_rows) why = "rows outside the row list";
    else if (j->dst < -1 || j->dst >= n_slots || j->sibling < -1 || j->sibling >= n_slots || j->parent < -1 ||
             j->parent >= n_slots)
      why = "slot out of range";
    else if (j->dst < 0 && j->sibling < 0) why = "writes nothing";
    else if ((j->parent < 0) != (j->sibling < 0)) why = "parent and sibling must be given together";
    if (*why) {
      bad = i;
      break;
    }
    any_rows |= j->count > 0;
    if (j->parent >= 0) {
      if (use[j->parent] & 2) why = "reads a slot another job writes";
      use[j->parent] |= 1;
    }
    for (int k = 0; k < 2 && !*why; k++)
      if (w[k] >= 0) {
        if (use[w[k]]) why = "writes a slot another job uses";
        use[w[k]] |= 2;
      }
    if (*why) bad = i;
  }
  free(use);
  CHECK(bad < 0, "hist_build_level: job %d (rows %u +%u, dst %d, parent %d, sibling %d of %d slots, %zu rows): %s",
        bad, bad >= 0 ? jobs[bad].begin : 0, bad >= 0 ? jobs[bad].count : 0, bad >= 0 ? jobs[bad].dst : 0,
        bad >= 0 ? jobs[bad].parent : 0, bad >= 0 ? jobs[bad].sibling : 0, n_slots, n_rows, why);
  CHECK(!any_rows || (bins && rows && stats), "hist_build_level: NULL buffer");
  return be->vt->hist_build_level(be, n_cols, bins, cut_ptr, total_bins, rows, stats, n_stats, n_jobs, jobs, hist);
}

/* The checks of both partition_level ops (n_seg > 0); *total receives the rows in all segments. */
static int check_segments(int n_cols, size_t n_rows, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                          const int32_t *feature, const int32_t *bin, uint32_t *n_left, size_t *total) {
  CHECK(seg_begin && seg_count && feature && bin && n_left, "partition_level: NULL segment array");
  for (int k = 0; k < n_seg; k++) {
    CHECK(feature[k] >= 0 && feature[k] < n_cols, "partition_level: segment %d: feature %d outside 0..%d", k,
          feature[k], n_cols - 1);
    n_left[k] = 0;
  }
  uint32_t *s = malloc((size_t)n_seg * 2 * sizeof *s);
  if (!s) return tb_error_set(TB_ERR_NOMEM, "partition_level: out of host memory (%d segments)", n_seg);
  for (int k = 0; k < n_seg; k++) {
    s[2 * k] = seg_begin[k];
    s[2 * k + 1] = seg_count[k];
  }
  qsort(s, (size_t)n_seg, 2 * sizeof *s, cmp_seg);
  size_t end = 0;
  int bad = -1;
  *total = 0;
  for (int k = 0; k < n_seg && bad < 0; k++) {
    if (s[2 * k] < end || (size_t)s[2 * k] + s[2 * k + 1] > n_rows) bad = k;
    end = (size_t)s[2 * k] + s[2 * k + 1];
    *total += s[2 * k + 1];
  }
  uint32_t bb = bad >= 0 ? s[2 * bad] : 0, bc = bad >= 0 ? s[2 * bad + 1] : 0;
  free(s);
  CHECK(bad < 0, "partition_level: segment at %u (+%u rows) overlaps the one before it or runs past the %zu rows",
        bb, bc, n_rows);
  return TB_OK;
}

int tb_op_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows, int n_seg,
                          const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                          const int32_t *bin, uint32_t *scratch, uint32_t *n_left) {
  size_t total = 0;
  CHECK(n_seg >= 0 && n_cols >= 1, "partition_level: bad arguments (%d segments, %d columns)", n_seg, n_cols);
  if (!n_seg) return TB_OK;
  int rc = check_segments(n_cols, n_rows, n_seg, seg_begin, seg_count, feature, bin, n_left, &total);
  if (rc < 0 || !total) return rc;
  CHECK(bins && rows && scratch, "partition_level: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->partition_level(be, n_cols, bins, rows, n_rows, n_seg, seg_begin, seg_count, feature, bin, scratch,
                                 n_left);
}

int tb_op_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm, uint32_t *rows,
                               size_t n_rows, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                               const int32_t *feature, const int32_t *bin, uint32_t *scratch, uint32_t *n_left) {
  size_t total = 0;
  CHECK(n_seg >= 0 && n_cols >= 1 && n_data_rows >= 1,
        "partition_level_cols: bad arguments (%d segments, %d columns, %zu data rows)", n_seg, n_cols, n_data_rows);
  CHECK(n_data_rows <= SIZE_MAX / (size_t)n_cols, "partition_level_cols: %zu data rows too many", n_data_rows);
  if (!n_seg) return TB_OK;
  int rc = check_segments(n_cols, n_rows, n_seg, seg_begin, seg_count, feature, bin, n_left, &total);
  if (rc < 0 || !total) return rc;
  CHECK(bins_cm && rows && scratch, "partition_level_cols: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->partition_level_cols(be, n_cols, n_data_rows, bins_cm, rows, n_rows, n_seg, seg_begin, seg_count,
                                      feature, bin, scratch, n_left);
}

int tb_op_softmax(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs) {
  CHECK(K >= 0 && rows >= 0 && classes >= 1, "softmax: bad size (K=%d rows=%d classes=%d)", K, rows, classes);
  if (!K || !rows) return TB_OK;
  CHECK(logits && probs, "softmax: NULL buffer");
  return be->vt->softmax(be, K, rows, classes, logits, probs);
}

int tb_op_tree_grad_stats(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                          const uint32_t *rows, const float *margins, int margin_cols, const int32_t *labels,
                          const float *targets, double *scale, int64_t *stats) {
  CHECK(obj >= TB_GRAD_LOGISTIC && obj <= TB_GRAD_SQUARED, "tree_grad_stats: unknown objective %d", (int)obj);
  CHECK(scale, "tree_grad_stats: NULL scale");
  CHECK(obj == TB_GRAD_SOFTMAX ? K >= 2 && margin_cols == K : K == 1 && margin_cols >= 1,
        "tree_grad_stats: K=%d with %d margin columns does not fit the %s objective (softmax: K = margin columns "
        ">= 2; logistic, squared: K = 1)", K, margin_cols,
        obj == TB_GRAD_SOFTMAX ? "softmax" : obj == TB_GRAD_LOGISTIC ? "logistic" : "squared");
  CHECK(K <= TB_MAX_STATS, "tree_grad_stats: %d classes (at most %d)", K, TB_MAX_STATS);
  CHECK(rows || n_rows <= n_rows_all, "tree_grad_stats: %zu rows of %zu without a row list", n_rows, n_rows_all);
  CHECK(n_rows_all <= SIZE_MAX / 16 / (size_t)K, "tree_grad_stats: %zu rows too many", n_rows_all);
  if (!n_rows) {
    if (*scale <= 0) *scale = tb_fixed_scale(1.0, 1);
    return TB_OK;
  }
  CHECK(margins && stats && (obj == TB_GRAD_SQUARED ? targets != NULL : labels != NULL),
        "tree_grad_stats: NULL buffer (the %s objective needs %s)",
        obj == TB_GRAD_SQUARED ? "squared" : "classification", obj == TB_GRAD_SQUARED ? "targets" : "labels");
  CHECK(!isnan(*scale) && !isinf(*scale), "tree_grad_stats: scale %g is not finite", *scale);
  be->counts.host_syncs++;
  return be->vt->tree_grad_stats(be, obj, K, n_rows_all, n_rows, rows, margins, margin_cols, labels, targets, scale,
                                 stats);
}

int tb_op_class_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                            const int32_t *weights, int n_classes, double scale, int64_t *stats) {
  CHECK(n_classes >= 1 && n_classes <= TB_MAX_STATS, "class_count_stats: n_classes %d outside 1..%d", n_classes,
        TB_MAX_STATS);
  CHECK(scale > 0 && !isinf(scale), "class_count_stats: scale %g must be finite and > 0", scale);
  if (!n_rows) return TB_OK;
  CHECK(labels && stats, "class_count_stats: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->class_count_stats(be, n_rows, rows, labels, weights, n_classes, scale, stats);
}

int tb_op_value_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                            const int32_t *weights, double scale_y, double scale_y2, int64_t *stats) {
  CHECK(scale_y > 0 && scale_y2 > 0 && !isinf(scale_y) && !isinf(scale_y2),
        "value_count_stats: scales %g, %g must be finite and > 0", scale_y, scale_y2);
  if (!n_rows) return TB_OK;
  CHECK(targets && stats, "value_count_stats: NULL buffer");
  be->counts.host_syncs++;
  return be->vt->value_count_stats(be, n_rows, rows, targets, weights, scale_y, scale_y2, stats);
}
