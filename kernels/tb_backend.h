/* tb_backend.h: the compute backend. One interface for every device; the CPU backend (OpenBLAS + OpenMP, in
 * kernels/cpu/) fills it now, the CUDA backend (kernels/cuda/) fills it on GPUs. The device is chosen in one place,
 * tb_backend_open(); nothing outside kernels/ and the build knows whether CUDA exists.
 *
 * A tb_backend handle is one execution context: on the GPU one stream and one cuBLAS handle, on the CPU a thread
 * cap. Each trial (or fused bundle of trials) opens its own handle; handles on one device share its memory budget.
 * Memory is device memory: buffers come from tb_backend_alloc(), which counts bytes per handle and per device,
 * keeps the peaks and enforces budgets before the driver is asked (TB_ERR_OOM, recoverable).
 *
 * Every op takes device pointers (inside tb_buf.data, offsets allowed), works on float32 unless said otherwise,
 * and returns TB_OK or a negative TB_ERR_*; ops are asynchronous on the GPU, except those that return values to
 * host memory (marked "host out"), which synchronise the handle's stream. Matrices are row-major.
 * "K models" ops treat their arrays as K contiguous blocks (model k at offset k * block size) and take per-model
 * hyperparameters as host arrays of length K, so a fused bundle updates in one call.
 * Tested by tests/test_ops_*.c (against double-precision references) and tests/test_cuda_parity.c (CUDA vs CPU).
 */
#ifndef TB_BACKEND_H
#define TB_BACKEND_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_backend tb_backend;

typedef enum { TB_DEVICE_AUTO = 0, TB_DEVICE_CPU = 1, TB_DEVICE_CUDA = 2 } tb_device_kind;

typedef struct tb_device {
  tb_device_kind kind; /* auto, cpu or cuda */
  int index;           /* CUDA device ordinal (cuda:N); 0 otherwise */
} tb_device;

/* Parses "auto", "cpu", "cuda" or "cuda:N". Returns TB_ERR_INVALID with a detail on anything else. */
int tb_device_parse(const char *text, tb_device *out);

/* 1 when this build contains the CUDA backend, 0 otherwise. */
int tb_backend_cuda_built(void);

/* Number of usable CUDA devices (0 in a CPU-only build or on a machine without a GPU). */
int tb_backend_cuda_device_count(void);

/* Resolves `auto` to cuda:0 when a GPU is present and to cpu otherwise; `notice` (may be NULL) receives a
 * one-line explanation when auto fell back to the CPU. A CUDA request without a GPU or without a CUDA build
 * fails with TB_ERR_UNSUPPORTED and says which. */
int tb_device_resolve(const tb_device *req, tb_device *out, char *notice, size_t notice_len);

/* Opens an execution context on a resolved or `auto` device; *out is owned by the caller (tb_backend_free). */
int tb_backend_open(const tb_device *dev, tb_backend **out);
void tb_backend_free(tb_backend *be); /* NULL is a no-op; releases nothing the caller still holds */

tb_device_kind tb_backend_kind(const tb_backend *be);
/* "cpu (2 threads, OpenBLAS 0.3.21)" or "cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB, sm_90)". */
const char *tb_backend_describe(const tb_backend *be);

/* CPU only: the number of OpenMP threads this context's ops may use (0 = all). Ignored on the GPU. */
void tb_backend_set_threads(tb_backend *be, int n_threads);

/* Waits for all work queued on this context. */
int tb_backend_sync(tb_backend *be);

/* Energy the device has used since a fixed moment, in millijoules (differences of two readings give a trial's
 * energy; concurrent trials on the device are all counted). CUDA: NVML's total energy counter where the card
 * reports it; TB_ERR_UNSUPPORTED on the CPU and where NVML or the counter is missing. */
int tb_backend_energy_mj(tb_backend *be, double *mj);

/* A timer on this context's own clock, for latency measurements: tb_backend_timer_start marks a start in the
 * context's queue of work, tb_backend_timer_stop marks the end, waits for it and gives the seconds between the two.
 * CUDA: two events recorded on the context's stream (cudaEventElapsedTime: the device's timeline, transfers and
 * launch gaps on the stream included; resolution about 0.5 us); CPU: the monotonic clock. A stop without a start is
 * TB_ERR_INVALID. One timer per context (a second start restarts it). */
int tb_backend_timer_start(tb_backend *be);
int tb_backend_timer_stop(tb_backend *be, double *seconds);

/* ---- memory ------------------------------------------------------------------------------------------- */
typedef struct tb_buf {
  void *data;   /* device pointer (host pointer on the CPU backend); NULL when empty */
  size_t bytes; /* size of the allocation */
} tb_buf;

typedef struct tb_mem_stats {
  size_t bytes_in_use;        /* this context's live allocations, its backend scratch included */
  size_t scratch_bytes;       /* of which the backend's own device scratch and library workspaces (CUDA: per-call
                                 scratch, cuBLAS workspace; 0 on the CPU); it grows on demand and goes back to its
                                 initial size at tb_backend_mem_reset_peak */
  size_t pinned_host_bytes;   /* the backend's pinned host staging (CUDA; host memory, outside the budgets) */
  size_t bytes_peak;          /* this context's peak since open (or the last reset) */
  size_t budget;              /* this context's budget, 0 = none */
  size_t device_bytes_in_use; /* all contexts on this device */
  size_t device_bytes_peak;
  size_t device_budget;       /* 0 = none */
} tb_mem_stats;

/* Allocates `bytes` of device memory (zero bytes gives an empty buffer). A request that would pass this context's
 * or the device's budget fails with TB_ERR_OOM before the driver is asked; a driver out-of-memory also becomes
 * TB_ERR_OOM and leaves the context usable. */
int tb_backend_alloc(tb_backend *be, size_t bytes, tb_buf *out);
void tb_backend_release(tb_backend *be, tb_buf *buf); /* empties *buf; an empty buf is a no-op */
void tb_backend_mem(const tb_backend *be, tb_mem_stats *out);
void tb_backend_mem_reset_peak(tb_backend *be); /* also trims backend scratch back to its initial size */
void tb_backend_set_budget(tb_backend *be, size_t bytes);    /* per-context budget; 0 removes it */
void tb_device_set_budget(const tb_device *dev, size_t bytes); /* shared by every context on dev; 0 removes it */

/* ---- host synchronisation counts -------------------------------------------------------------------------
 * Every backend, the CPU included, counts at this interface the calls that on a GPU make the host wait for the
 * device, so tests without a GPU can bound how often a learner waits (tests/test_sync_guard.c): an MLP training step
 * waits 0 times, an evaluation pass a number independent of its rows, a GBDT round a number bounded by its depth.
 * The CUDA backend waits at most once per counted call and nowhere else; host arrays it passes to the device go
 * through a ring of pinned staging slots (a wait there only when a slot's copy from several ops before is still
 * queued) or by value as kernel arguments. */
typedef struct tb_backend_counts {
  uint64_t host_syncs; /* downloads, uploads (synchronous), tb_backend_sync, timer stops, every "host out" op
                          (sum, accuracy, split_find, partition*, *_stats), and quantize and forest_predict, which
                          read a small array back on the GPU to check it */
  uint64_t allocs;     /* tb_backend_alloc calls that allocated (cudaMalloc may synchronise the device) */
  uint64_t releases;   /* tb_backend_release calls that freed (cudaFree synchronises the whole device) */
  uint64_t device_waits; /* the waits the backend itself made (CUDA: stream and event synchronisations, a staging
                            slot still in use, scratch growth); 0 on the CPU. On a card, tests check that it stays
                            within host_syncs over op sequences (tests/test_cuda_devices.c) */
} tb_backend_counts;
void tb_backend_counts_get(const tb_backend *be, tb_backend_counts *out); /* since open; never reset */

/* Host <-> device copies (synchronous) and device-to-device copies and fills (asynchronous). */
int tb_backend_upload(tb_backend *be, void *dst, const void *src, size_t bytes);
int tb_backend_download(tb_backend *be, void *dst, const void *src, size_t bytes);
int tb_backend_copy(tb_backend *be, void *dst, const void *src, size_t bytes);
/* Host -> device copy queued on this context's stream without waiting (CUDA: through the pinned staging ring, 1 MiB
 * per slot; a wait only when a slot's earlier copy is still queued): the host array may be reused on return, and
 * this context's later ops see the data; ANOTHER context must not read dst before this one synchronises. Not a
 * counted host synchronisation (mini-batch orders, evaluation rows, predict inputs). */
int tb_backend_upload_async(tb_backend *be, void *dst, const void *src, size_t bytes);
int tb_op_fill(tb_backend *be, size_t n, float value, float *x);

/* ---- dense ops ------------------------------------------------------------------------------------------ */
typedef enum { TB_NO_TRANS = 0, TB_TRANS = 1 } tb_trans;

/* C (M,N) = alpha * op(A) op(B) + beta * C, where op(A) is (M,K) and op(B) is (K,N); lda/ldb/ldc are row strides.
 * beta == 0 ignores C's prior contents (NaN in C does not propagate). */
int tb_op_gemm(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha, const float *A,
               int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* `batch` independent GEMMs; matrix b of A starts at A + b * stride_a (likewise B, C). */
int tb_op_gemm_batched(tb_backend *be, tb_trans ta, tb_trans tb, int M, int N, int K, float alpha,
                       const float *A, int lda, long long stride_a, const float *B, int ldb, long long stride_b,
                       float beta, float *C, int ldc, long long stride_c, int batch);

/* K models: X (K, rows, cols) += bias (K, cols) broadcast over rows. */
int tb_op_bias_add(tb_backend *be, int K, int rows, int cols, float *X, const float *bias);

/* K models: Y (K, cols) = beta * Y + sum over rows of X (K, rows, cols), summed in double in row order. The bias
 * gradient. beta == 0 ignores Y's prior contents. */
int tb_op_col_sum(tb_backend *be, int K, int rows, int cols, const float *X, float beta, float *Y);

typedef enum { TB_ACT_IDENTITY = 0, TB_ACT_RELU = 1, TB_ACT_TANH = 2, TB_ACT_SIGMOID = 3 } tb_act;

/* Y[i] = f(X[i]) for n elements (Y == X allowed). relu is x < 0 ? 0 : x (NaN passes through). */
int tb_op_act_forward(tb_backend *be, tb_act act, size_t n, const float *X, float *Y);
/* dX[i] = dY[i] * f'(x) computed from the forward output Y (relu: Y > 0; tanh: 1 - Y^2; sigmoid: Y (1 - Y)).
 * dX == dY allowed. */
int tb_op_act_backward(tb_backend *be, tb_act act, size_t n, const float *Y, const float *dY, float *dX);

/* out[i] = a[i] * b[i] (the dropout backward: dX = dY * mask). out may alias a or b. */
int tb_op_mul(tb_backend *be, size_t n, const float *a, const float *b, float *out);

/* Uniform floats in [lo, hi): out[i] = lo + (hi - lo) * tb_rng_uniform(seed, offset + i). */
int tb_op_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out);
/* Normal floats: out[i] = mean + std * tb_rng_normal(seed, offset + i). */
int tb_op_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out);

/* Inverted dropout for K models of n elements each. For model k, element i: u = tb_rng_uniform(seed,
 * offset + k*n + i); keep when u >= p[k]; mask = keep ? 1/(1-p[k]) : 0 (p[k] == 1 drops everything);
 * Y = X * mask. p is a host array of K values in [0, 1]; mask (K*n) is kept for the backward pass (tb_op_mul). */
int tb_op_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                          const float *X, float *Y, float *mask);

/* K models share int32 labels (rows) in [0, classes). For model k, row i of logits (K, rows, classes):
 * loss_rows[k*rows+i] = logsumexp(z) - z[label] (if loss_rows != NULL) and
 * dlogits = (softmax(z) - onehot(label)) * grad_scale (if dlogits != NULL; may alias logits). Computed in double
 * after subtracting the row max. A label outside [0, classes) gives NaN loss and gradient for its row (labels are
 * checked when a dataset is loaded, not here). */
int tb_op_softmax_xent(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                       float grad_scale, float *loss_rows, float *dlogits);

/* K models share targets (rows, cols). loss_rows[k*rows+i] = 0.5 * sum_j (pred - target)^2 (if not NULL),
 * dpred = (pred - target) * grad_scale (if not NULL; may alias pred). */
int tb_op_sq_err(tb_backend *be, int K, int rows, int cols, const float *pred, const float *target,
                 float grad_scale, float *loss_rows, float *dpred);

/* K models: probs (K, rows, classes) = softmax of each row of logits, computed as tb_op_softmax_xent does (double,
 * after subtracting the row max, so large logits do not overflow); probs may alias logits. A row holding NaN gives
 * NaN probabilities; +inf logits give NaN (inf - inf), as in softmax_xent. */
int tb_op_softmax(tb_backend *be, int K, int rows, int classes, const float *logits, float *probs);

/* Host out: sums[k] = sum of x[k*n .. k*n+n-1] in double, in a fixed order (same result every run). */
int tb_op_sum(tb_backend *be, int K, size_t n, const float *x, double *sums);

/* idx[i] = argmax over the row i of X (rows, cols), on the device (the MLP's evaluation keeps its predictions there
 * and downloads them once); ties give the lowest index; a NaN counts as larger than any number, so the first NaN
 * wins (as in PyTorch). */
int tb_op_argmax(tb_backend *be, int rows, int cols, const float *X, int32_t *idx);

/* Host out: correct[k] = number of rows whose argmax of logits (K, rows, classes) equals labels[i]; the argmax of
 * a row is its lowest index of the maximum, where a NaN counts as larger than any number (the first NaN wins, as in
 * PyTorch). */
int tb_op_accuracy(tb_backend *be, int K, int rows, int classes, const float *logits, const int32_t *labels,
                   int64_t *correct);

/* Gathers rows: dst[i, :] = src[idx[i], :] for n_idx rows of `cols` floats (mini-batches); idx is a device
 * uint32 array. tb_op_gather_i32 does the same for one int32 per row (labels). */
int tb_op_gather_rows(tb_backend *be, size_t n_idx, int cols, const float *src, const uint32_t *idx, float *dst);
int tb_op_gather_i32(tb_backend *be, size_t n_idx, const int32_t *src, const uint32_t *idx, int32_t *dst);

/* ---- optimizers: K models of n parameters each, per-model hyperparameters in host arrays ------------------- */
typedef struct tb_sgd_hparams {
  float lr;       /* learning rate of this step (schedules are applied by the caller) */
  float momentum; /* 0 = plain SGD */
  int nesterov;   /* 1: Nesterov momentum */
  float l1;       /* adds l1 * sign(w) to the gradient */
  float l2;       /* adds l2 * w to the gradient */
} tb_sgd_hparams;

/* g = G + l2*W + l1*sign(W); V = momentum*V + g; W -= lr * (nesterov ? g + momentum*V : V). V may be NULL when
 * every model has momentum 0. (PyTorch's SGD with dampening 0.) */
int tb_op_sgd_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *V,
                     const tb_sgd_hparams *hp);

typedef struct tb_adam_hparams {
  float lr;           /* learning rate of this step */
  float beta1, beta2; /* moment decay rates (0.9, 0.999) */
  float eps;          /* 1e-8 */
  float weight_decay; /* decoupled (AdamW): W *= 1 - lr*weight_decay before the step; 0 for Adam */
  float l1, l2;       /* coupled penalties added to the gradient (Adam's weight_decay is l2 here) */
  int64_t step;       /* 1-based step count t used for bias correction */
} tb_adam_hparams;

/* W *= 1 - lr*wd; g = G + l2*W + l1*sign(W); M = b1 M + (1-b1) g; V = b2 V + (1-b2) g^2;
 * W -= lr * (M / (1 - b1^t)) / (sqrt(V / (1 - b2^t)) + eps). (PyTorch's Adam / AdamW.) */
int tb_op_adam_update(tb_backend *be, int K, size_t n, float *W, const float *G, float *M, float *V,
                      const tb_adam_hparams *hp);

/* ---- trees: quantised features, fixed-point histograms, split search, partition, prediction ------------------
 * Feature j has nb_j = cut_ptr[j+1] - cut_ptr[j] bins (1..256); cuts[cut_ptr[j] + b] is the exclusive upper edge
 * of bin b, ascending, the last being +INFINITY. A value v falls in the first bin b with v < cuts[b] (NaN goes to the
 * last bin). Bins are global: feature j's bins are cut_ptr[j] .. cut_ptr[j+1]-1 of a histogram of
 * total_bins = cut_ptr[n_cols] entries. A split (feature j, bin b) sends rows with local bin <= b left, i.e.
 * value < cuts[cut_ptr[j] + b]. Per-row statistics are int64 fixed point (value * scale, rounded) so histogram
 * sums are exact and identical on every backend and in any order. */
#define TB_MAX_BINS 256
#define TB_MAX_STATS 64

/* Host function: quantile cut points from at most `sample` rows (all if 0) of X (n_rows, n_cols), at most
 * max_bins (2..256) bins per feature; constant features get one bin. *cuts and *cut_ptr are malloc'ed for the
 * caller (free()). Deterministic for the same input. */
int tb_quantile_cuts(const float *X, size_t n_rows, int n_cols, int max_bins, size_t sample, uint64_t seed,
                     float **cuts, uint32_t **cut_ptr);

/* bins (n_rows, n_cols) uint8 = local bin of each value; cuts and cut_ptr are device arrays. */
int tb_op_quantize(tb_backend *be, size_t n_rows, int n_cols, const float *X, const float *cuts,
                   const uint32_t *cut_ptr, uint8_t *bins);

/* Host function: fixed-point scale for n values of magnitude at most max_abs, such that any sum of them fits in
 * int64 with room to spare (2^62 / (n * max_abs), capped at 2^40). Used to quantise gradients and targets. */
double tb_fixed_scale(double max_abs, size_t n);

/* hist (total_bins, n_stats) int64 = for each of the n_rows rows listed in `rows` (device uint32), for each
 * feature j, hist[cut_ptr[j] + bins[r, j]] += stats[r, :] (stats is (all rows, n_stats) int64). hist is overwritten.
 * Bit-identical on every run and backend. */
int tb_op_hist_build(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                     const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int64_t *hist);

/* sibling = parent - child, n int64 entries (the subtraction trick: build the smaller child, derive the other). */
int tb_op_hist_subtract(tb_backend *be, size_t n, const int64_t *parent, const int64_t *child, int64_t *sibling);

typedef enum {
  TB_SPLIT_GRADIENT = 0, /* stats (g, h): XGBoost gain with lambda, alpha, gamma, min_child_weight */
  TB_SPLIT_GINI = 1,     /* stats = weighted class counts (n_stats classes) */
  TB_SPLIT_ENTROPY = 2,  /* likewise, with entropy */
  TB_SPLIT_VARIANCE = 3, /* stats (count, sum y, sum y^2): regression trees */
} tb_split_criterion;

typedef struct tb_split_params {
  tb_split_criterion criterion;
  double scale;            /* fixed-point scale of the stats: (g, h) for gradient, the class counts for
                              gini/entropy, the count for variance */
  double scale_y;          /* variance only: fixed-point scale of stats[1] = sum of y */
  double scale_y2;         /* variance only: fixed-point scale of stats[2] = sum of y^2 */
  double lambda;           /* gradient: L2 on leaf weights */
  double alpha;            /* gradient: L1 on leaf weights */
  double gamma;            /* gradient: minimum loss reduction (subtracted from the gain) */
  double min_child_weight; /* gradient: minimum hessian sum per child; others: minimum weighted count per child */
  double min_gain;         /* a split is kept only if its gain > min_gain */
} tb_split_params;

typedef struct tb_split_result {
  int32_t feature; /* -1 when no split passes the constraints */
  int32_t bin;     /* local bin: rows with bin <= this go left */
  double gain;     /* gradient: loss reduction minus gamma; gini/entropy/variance: weighted impurity decrease */
} tb_split_result;

/* A child is allowed only if its hessian sum (gradient) or weighted count (others) is > 0 and >= min_child_weight.
 * With no allowed split a node's result is feature -1, bin -1, gain 0 and zero left_stats. Gains come from the
 * shared formulas of kernels/tb_split_gain.h, so every backend computes identical values. */
/* Host out: the best split of each of n_nodes nodes whose histograms are contiguous in hist (n_nodes, total_bins,
 * n_stats). cut_ptr is a HOST array here. feature_mask (host, n_nodes x n_cols, 1 = allowed) may be NULL.
 * left_stats (host, n_nodes x n_stats) receives the left child's stat sums (may be NULL). Ties go to the lowest
 * feature, then the lowest bin. Node totals are the sums over feature 0's bins. */
int tb_op_split_find(tb_backend *be, const tb_split_params *params, int n_nodes, int n_cols,
                     const uint32_t *cut_ptr, int total_bins, const int64_t *hist, int n_stats,
                     const uint8_t *feature_mask, tb_split_result *out, int64_t *left_stats);

/* ---- per-row tree statistics (the int64 fixed-point `stats` of tb_op_hist_build) --------------------------------- */
typedef enum {
  TB_GRAD_LOGISTIC = 0, /* K = 1, labels in {0, 1}; margin z = the row's last margin column; p = 1 / (1 + exp(-z)):
                           g = p - y, h = max(p (1 - p), TB_GRAD_HESS_MIN) */
  TB_GRAD_SOFTMAX = 1,  /* K = margin_cols >= 2 classes, labels in [0, K); p = softmax of the row (as tb_op_softmax):
                           g_k = p_k - [y == k], h_k = max(2 p_k (1 - p_k), TB_GRAD_HESS_MIN) (XGBoost's hessian) */
  TB_GRAD_SQUARED = 2,  /* K = 1, float targets; z = the row's last margin column: g = z - y, h = 1 */
} tb_grad_objective;
#define TB_GRAD_HESS_MIN 1e-16

/* Gradient statistics of a boosting round. For each listed row r (rows[i], i < n_rows, device uint32; rows NULL
 * lists 0..n_rows-1) and output k < K: g and h of `obj` at the row's margins (margins is (n_rows_all, margin_cols)
 * float) against labels[r] (int32, logistic and softmax) or targets[r] (float, squared), in double, then
 * stats[(k * n_rows_all + r) * 2 + {0, 1}] = llrint(g * scale), llrint(h * scale): stats is (K, n_rows_all, 2)
 * int64, one (n_rows_all, 2) block per class, as tb_op_hist_build reads it; rows not listed are not written.
 * Host out (synchronises): *scale <= 0 on entry asks for tb_fixed_scale(max(1, max |g|, |h| over the listed rows),
 * n_rows), written back; a positive *scale is used as given. A non-finite g or h (a NaN margin or target, an infinite
 * squared-error margin, a label out of range) fails with TB_ERR_RANGE naming the row, and nothing is written.
 * K <= TB_MAX_STATS.
 * Across backends: squared error is bit-identical; logistic and softmax call exp(), which may differ in the last ulp
 * between glibc and CUDA, so a fixed-point value may differ by 1 unit (1/scale of g) in the rare rows where that ulp
 * crosses a rounding boundary.
 * Each backend is deterministic on its own, and split decisions are taken on that backend's own stats. */
int tb_op_tree_grad_stats(tb_backend *be, tb_grad_objective obj, int K, size_t n_rows_all, size_t n_rows,
                          const uint32_t *rows, const float *margins, int margin_cols, const int32_t *labels,
                          const float *targets, double *scale, int64_t *stats);

/* Class-count statistics (gini / entropy trees): for each listed row r (rows[i], i < n_rows; rows NULL lists
 * 0..n_rows-1), stats[r, :] (stats is (n_rows_all, n_classes) int64) = 0 except stats[r, labels[r]] =
 * llrint(w * scale), where w = weights[i] (device int32 per listed row, e.g. bootstrap counts; NULL = 1). Rows not
 * listed are not written. Host out (synchronises): a label outside [0, n_classes) or a negative weight fails with
 * TB_ERR_INVALID naming the first such position (nothing is written then). Bit-identical on every backend. */
int tb_op_class_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const int32_t *labels,
                            const int32_t *weights, int n_classes, double scale, int64_t *stats);

/* Value statistics (variance trees): for each listed row r as above, with y = targets[r] (float) and w as above,
 * stats[r, :] (stats is (n_rows_all, 3) int64) = (w, w * llrint(y * scale_y), w * llrint(y * y * scale_y2)), y*y
 * in double. Host out (synchronises): a non-finite target or a negative weight fails with TB_ERR_INVALID naming the
 * first such position (nothing is written then). Bit-identical on every backend. */
int tb_op_value_count_stats(tb_backend *be, size_t n_rows, const uint32_t *rows, const float *targets,
                            const int32_t *weights, double scale_y, double scale_y2, int64_t *stats);

typedef struct tb_tree_node {
  int32_t feature;   /* split feature, -1 for a leaf */
  int32_t bin;       /* split on quantised data: left if bin <= this */
  float threshold;   /* split on raw data: left if value < threshold (= cuts[cut_ptr[feature] + bin]) */
  int32_t left;      /* child node indices, absolute in the node array */
  int32_t right;
  int32_t leaf;      /* leaves: index of this leaf's values in leaf_values (leaf * leaf_width) */
} tb_tree_node;

typedef struct tb_forest_view {
  int n_trees;
  const tb_tree_node *nodes;  /* device array of all trees' nodes */
  const int32_t *roots;       /* device array: root node index of each tree */
  const int32_t *out_col;     /* device array: first output column each tree adds to */
  const float *leaf_values;   /* device array: leaf_width values per leaf */
  int leaf_width;             /* 1 for regression / one class per tree; n_classes for class distributions */
} tb_forest_view;

/* out (n_rows, n_out) += scale * leaf values of every tree, walking on raw X (n_rows, n_cols) by thresholds when
 * X != NULL, else on bins (n_rows, n_cols) by bins. Trees are added in order, so results are identical anywhere. */
int tb_op_forest_predict(tb_backend *be, const tb_forest_view *forest, size_t n_rows, int n_cols, const float *X,
                         const uint8_t *bins, float scale, int n_out, float *out);

/* The margin update of a grown tree on its own training rows, without walking it: after tb_op_partition_level, each leaf
 * owns a contiguous segment of the row list. For each segment s < n_seg and each position i in
 * seg_begin[s] .. seg_begin[s] + seg_count[s] - 1: out[rows[i] * n_out + col] += values[s].
 * seg_begin, seg_count and values are HOST arrays (n_seg each); rows (n_rows, device uint32) and out (device,
 * (rows, n_out) float) are not. Segments must lie inside rows[0..n_rows) and not overlap (checked), and the listed
 * rows must be distinct (the caller's duty): then every element of out is added to at most once, so the result is
 * bit-identical on every backend and thread count, and to tb_op_forest_predict with scale 1 on those rows. */
int tb_op_segment_add(tb_backend *be, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                      const float *values, const uint32_t *rows, size_t n_rows, int n_out, int col, float *out);

/* ---- level-wise tree ops: the work of every node of a tree level in one call ------------------------------------
 * One histogram job of tb_op_hist_build_level. Slots index a histogram array (n_slots, total_bins, n_stats). */
typedef struct tb_hist_job {
  uint32_t begin, count; /* the job's rows are rows[begin .. begin + count) */
  int32_t dst;           /* slot receiving the histogram of those rows; -1: not kept (then sibling >= 0) */
  int32_t parent;        /* with sibling: slot sibling = slot parent - this histogram (the subtraction trick) */
  int32_t sibling;       /* -1: none (then parent is -1 too) */
} tb_hist_job;

/* For each of the n_jobs jobs (HOST array): the histogram h of its rows, as tb_op_hist_build computes it, goes to slot
 * dst (when >= 0) and parent - h to slot sibling (when >= 0) of hist (device, n_slots histograms). Checked: every
 * slot in range, each job writes something, rows inside rows[0..n_rows), and no slot written twice or both written
 * and read as a parent. Bit-identical to the single-node ops on every run, thread count and backend. */
int tb_op_hist_build_level(tb_backend *be, int n_cols, const uint8_t *bins, const uint32_t *cut_ptr, int total_bins,
                           const uint32_t *rows, size_t n_rows, const int64_t *stats, int n_stats, int n_jobs,
                           const tb_hist_job *jobs, int n_slots, int64_t *hist);

/* Stable partition of n_seg segments at once: segment s is rows[seg_begin[s] .. + seg_count[s]), split by
 * (feature[s], bin[s]): rows whose bins[r, feature] <= bin first, in their original order, then the others in order;
 * n_left[s] receives its left count. seg_begin, seg_count, feature, bin and n_left are HOST arrays; rows and scratch
 * (n_rows uint32 each) device. Segments must not overlap and lie inside rows[0..n_rows) (checked). Each segment ends
 * as the unique stable partition. */
int tb_op_partition_level(tb_backend *be, int n_cols, const uint8_t *bins, uint32_t *rows, size_t n_rows, int n_seg,
                          const uint32_t *seg_begin, const uint32_t *seg_count, const int32_t *feature,
                          const int32_t *bin, uint32_t *scratch, uint32_t *n_left);

/* tb_op_partition_level on a column-major copy of the bins: bins_cm (device, (n_cols, n_data_rows) uint8) holds
 * feature f's bin of dataset row r at bins_cm[f * n_data_rows + r]; every row listed in the segments must be below
 * n_data_rows. Same checks and the same result as tb_op_partition_level on the row-major bins; it reads one column
 * (n_data_rows bytes) per segment instead of one cache line per row. */
int tb_op_partition_level_cols(tb_backend *be, int n_cols, size_t n_data_rows, const uint8_t *bins_cm, uint32_t *rows,
                               size_t n_rows, int n_seg, const uint32_t *seg_begin, const uint32_t *seg_count,
                               const int32_t *feature, const int32_t *bin, uint32_t *scratch, uint32_t *n_left);

#ifdef __cplusplus
}
#endif
#endif
