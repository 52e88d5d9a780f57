/* test_cuda_devices.c: the CUDA backend's regressions that the op-by-op parity test (test_cuda_parity.c) cannot see,
 * against the CPU backend:
 *   - split_find with many stats and 256 bins (23 classes: dynamic shared memory just under 48 KiB plus the kernel's
 *     static shared memory, the band where the opt-in used to be skipped; 64 classes: the largest), exact;
 *   - two threads with their own contexts on one device alternating 114,688-byte and 57,344-byte shared-memory
 *     histograms (a per-launch shared-memory attribute let one thread's launch fail under the other's limit), exact
 *     against the CPU every time;
 *   - the waits the backend really makes (tb_backend_counts.device_waits) within the host synchronisations counted
 *     at the interface, over an MLP-like step and a tree level (run twice; the second, warm, is measured);
 *   - NVML's energy counter (tb_backend_energy_mj) around some GEMMs: finite and not decreasing, or unsupported
 *     with a reason (printed as an ENERGY line that scripts/gpu-check copies into its summary); the CPU has none.
 * Without a CUDA build or GPU it exits 77 (CTest: skipped); `--self` runs it CPU against CPU (checks the test). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_backend.h"
#include "tb_rng.h"
#include "tb_test.h"

static tb_device g_devspec;
static tb_backend *g_ref, *g_dev;
static uint64_t g_ctr;

static uint32_t rnd(uint32_t n) { return (uint32_t)(tb_rng_uniform_double(77, g_ctr++) * n); }

/* bins (rows, cols) of nb bins per feature, cut_ptr (cols + 1), host arrays. */
static void make_bins(size_t rows, int cols, int nb, uint8_t **bins, uint32_t **cut_ptr) {
  *bins = malloc(rows * cols);
  *cut_ptr = malloc((cols + 1) * sizeof **cut_ptr);
  for (size_t i = 0; i < rows * cols; i++) (*bins)[i] = (uint8_t)rnd(nb);
  for (int j = 0; j <= cols; j++) (*cut_ptr)[j] = (uint32_t)(j * nb);
}

static void *up(tb_backend *be, const void *h, size_t bytes, tb_buf *b) {
  TB_CHECK_OK(tb_backend_alloc(be, bytes, b));
  TB_CHECK_OK(tb_backend_upload(be, b->data, h, bytes));
  return b->data;
}

/* ---- split_find with many stats ----------------------------------------------------------------------------- */
static void split_wide(int n_classes, tb_split_criterion crit) {
  const size_t rows = 3000;
  const int cols = 3, nb = 256, total = cols * nb;
  uint8_t *bins;
  uint32_t *cp, *ridx = malloc(rows * 4);
  make_bins(rows, cols, nb, &bins, &cp);
  int64_t *st = calloc(rows * n_classes, 8), *hist = malloc((size_t)total * n_classes * 8);
  for (size_t r = 0; r < rows; r++) {
    ridx[r] = (uint32_t)r;
    /* class depends on feature 1's bin, so there is a best split to find */
    int c = bins[r * cols + 1] < 100 ? (int)rnd(n_classes / 2 + 1) : (int)rnd(n_classes);
    st[r * n_classes + c] = 1 << 10;
  }
  tb_buf bb, pb, rb, sb, hb, hd;
  up(g_ref, bins, rows * cols, &bb), up(g_ref, cp, (cols + 1) * 4, &pb), up(g_ref, ridx, rows * 4, &rb);
  up(g_ref, st, rows * n_classes * 8, &sb);
  TB_CHECK_OK(tb_backend_alloc(g_ref, (size_t)total * n_classes * 8, &hb));
  TB_CHECK_OK(tb_op_hist_build(g_ref, cols, bb.data, pb.data, total, rb.data, rows, sb.data, n_classes, hb.data));
  TB_CHECK_OK(tb_backend_download(g_ref, hist, hb.data, hb.bytes));
  up(g_dev, hist, hb.bytes, &hd);
  tb_split_params p = {crit, 1 << 10, 0, 0, 0, 0, 0, 1.0, 0.0};
  tb_split_result r0, r1;
  int64_t *l0 = malloc(n_classes * 8), *l1 = malloc(n_classes * 8);
  memset(&r1, 0xFF, sizeof r1), memset(l1, 0xFF, n_classes * 8);
  TB_CHECK_OK(tb_op_split_find(g_ref, &p, 1, cols, cp, total, hb.data, n_classes, NULL, &r0, l0));
  int rc = tb_op_split_find(g_dev, &p, 1, cols, cp, total, hd.data, n_classes, NULL, &r1, l1);
  if (rc) fprintf(stderr, "\n  split_find %d classes x %d bins: %s\n", n_classes, nb, tb_error_detail());
  CU_ASSERT_EQUAL(rc, TB_OK);
  CU_ASSERT(r0.feature == 1); /* the planted split */
  CU_ASSERT(r0.feature == r1.feature && r0.bin == r1.bin && memcmp(&r0.gain, &r1.gain, 8) == 0);
  CU_ASSERT(memcmp(l0, l1, n_classes * 8) == 0);
  tb_backend_release(g_ref, &bb), tb_backend_release(g_ref, &pb), tb_backend_release(g_ref, &rb);
  tb_backend_release(g_ref, &sb), tb_backend_release(g_ref, &hb), tb_backend_release(g_dev, &hd);
  free(bins), free(cp), free(ridx), free(st), free(hist), free(l0), free(l1);
}

static void test_split_wide(void) {
  split_wide(23, TB_SPLIT_GINI);
  split_wide(23, TB_SPLIT_ENTROPY);
  split_wide(24, TB_SPLIT_ENTROPY);
  split_wide(64, TB_SPLIT_GINI);
}

/* ---- two contexts on two threads, histograms of different shared-memory sizes ----------------------------------- */
#define W_ROWS 20000
#define W_COLS 28
typedef struct {
  int nb;          /* 256 or 128 bins: 114,688 or 57,344 bytes of histogram */
  uint8_t *bins;   /* host */
  uint32_t *cp;
  int64_t *stats;
  int64_t *ref;    /* the CPU's histogram */
  int failures, errors;
} worker;

static void *worker_run(void *arg) {
  worker *w = arg;
  tb_backend *be = NULL;
  tb_buf bb, pb, rb, sb, hb;
  const int total = W_COLS * w->nb;
  uint32_t *ridx = malloc(W_ROWS * 4);
  int64_t *h = malloc((size_t)total * 2 * 8);
  for (uint32_t i = 0; i < W_ROWS; i++) ridx[i] = i;
  if (tb_backend_open(&g_devspec, &be) != TB_OK) {
    w->errors++;
    return NULL;
  }
  int ok = tb_backend_alloc(be, (size_t)W_ROWS * W_COLS, &bb) == TB_OK &&
           tb_backend_alloc(be, (W_COLS + 1) * 4, &pb) == TB_OK && tb_backend_alloc(be, W_ROWS * 4, &rb) == TB_OK &&
           tb_backend_alloc(be, (size_t)W_ROWS * 2 * 8, &sb) == TB_OK &&
           tb_backend_alloc(be, (size_t)total * 2 * 8, &hb) == TB_OK &&
           tb_backend_upload(be, bb.data, w->bins, bb.bytes) == TB_OK &&
           tb_backend_upload(be, pb.data, w->cp, pb.bytes) == TB_OK &&
           tb_backend_upload(be, rb.data, ridx, rb.bytes) == TB_OK &&
           tb_backend_upload(be, sb.data, w->stats, sb.bytes) == TB_OK;
  for (int it = 0; ok && it < 100; it++) {
    if (tb_op_hist_build(be, W_COLS, bb.data, pb.data, total, rb.data, W_ROWS, sb.data, 2, hb.data) != TB_OK ||
        tb_backend_download(be, h, hb.data, hb.bytes) != TB_OK) {
      fprintf(stderr, "\n  %d-bin worker, iteration %d: %s\n", w->nb, it, tb_error_detail());
      w->errors++;
      break;
    }
    w->failures += memcmp(h, w->ref, hb.bytes) != 0;
  }
  if (!ok) w->errors++;
  tb_backend_release(be, &hb), tb_backend_release(be, &sb), tb_backend_release(be, &rb);
  tb_backend_release(be, &pb), tb_backend_release(be, &bb);
  tb_backend_free(be);
  free(ridx), free(h);
  return NULL;
}

static void test_two_contexts(void) {
  worker w[2] = {{.nb = 256}, {.nb = 128}};
  int64_t *stats = malloc((size_t)W_ROWS * 2 * 8);
  uint32_t *ridx = malloc(W_ROWS * 4);
  for (size_t i = 0; i < (size_t)W_ROWS; i++) {
    ridx[i] = (uint32_t)i;
    stats[2 * i] = (int64_t)rnd(1 << 20) - (1 << 19), stats[2 * i + 1] = (int64_t)rnd(1 << 20);
  }
  for (int k = 0; k < 2; k++) {
    const int total = W_COLS * w[k].nb;
    tb_buf bb, pb, rb, sb, hb;
    make_bins(W_ROWS, W_COLS, w[k].nb, &w[k].bins, &w[k].cp);
    w[k].stats = stats;
    w[k].ref = malloc((size_t)total * 2 * 8);
    up(g_ref, w[k].bins, (size_t)W_ROWS * W_COLS, &bb), up(g_ref, w[k].cp, (W_COLS + 1) * 4, &pb);
    up(g_ref, ridx, W_ROWS * 4, &rb), up(g_ref, stats, (size_t)W_ROWS * 16, &sb);
    TB_CHECK_OK(tb_backend_alloc(g_ref, (size_t)total * 16, &hb));
    TB_CHECK_OK(tb_op_hist_build(g_ref, W_COLS, bb.data, pb.data, total, rb.data, W_ROWS, sb.data, 2, hb.data));
    TB_CHECK_OK(tb_backend_download(g_ref, w[k].ref, hb.data, hb.bytes));
    tb_backend_release(g_ref, &bb), tb_backend_release(g_ref, &pb), tb_backend_release(g_ref, &rb);
    tb_backend_release(g_ref, &sb), tb_backend_release(g_ref, &hb);
  }
  pthread_t th[2];
  for (int k = 0; k < 2; k++) CU_ASSERT_EQUAL_FATAL(pthread_create(&th[k], NULL, worker_run, &w[k]), 0);
  for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
  for (int k = 0; k < 2; k++) {
    CU_ASSERT_EQUAL(w[k].errors, 0);
    CU_ASSERT_EQUAL(w[k].failures, 0);
    free(w[k].bins), free(w[k].cp), free(w[k].ref);
  }
  free(stats), free(ridx);
}

/* ---- the backend's own waits within the counted host synchronisations ------------------------------------------- */
static void op_sequence(tb_backend *be, float *x, uint32_t *idx, int32_t *lab, uint8_t *bins, uint32_t *cp,
                        int64_t *st, int64_t *hist, uint32_t *rows, uint32_t *scr, const uint32_t *cp_host) {
  const int B = 64, D = 32, C = 4, cols = 4, nb = 16, total = cols * nb;
  float *xb = x + 4096, *w = x + 8192, *out = x + 12288, *g = x + 16384, *m1 = x + 20480, *m2 = x + 24576;
  tb_adam_hparams hp = {0.01f, 0.9f, 0.999f, 1e-8f, 0, 0, 0, 1};
  float p = 0.2f;
  TB_CHECK_OK(tb_op_gather_rows(be, B, D, x, idx, xb));
  TB_CHECK_OK(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, B, C, D, 1.0f, xb, D, w, C, 0.0f, out, C));
  TB_CHECK_OK(tb_op_dropout_forward(be, 1, (size_t)B * C, &p, 3, 0, out, out, g));
  TB_CHECK_OK(tb_op_softmax_xent(be, 1, B, C, out, lab, 1.0f / B, NULL, out));
  TB_CHECK_OK(tb_op_gemm(be, TB_TRANS, TB_NO_TRANS, D, C, B, 1.0f, xb, D, out, C, 0.0f, g, C));
  TB_CHECK_OK(tb_op_adam_update(be, 1, (size_t)D * C, w, g, m1, m2, &hp));
  /* a tree level: the root's histogram in slot 0, its children's in slots 1 (built) and 2 (by subtraction), their
   * splits, the partition */
  tb_hist_job job = {0, 100, 1, 0, 2};
  TB_CHECK_OK(tb_op_hist_build(be, cols, bins, cp, total, rows, 200, st, 2, hist));
  TB_CHECK_OK(tb_op_hist_build_level(be, cols, bins, cp, total, rows, 200, st, 2, 1, &job, 3, hist));
  tb_split_params sp = {TB_SPLIT_GRADIENT, 1 << 20, 0, 0, 1.0, 0, 0, 0, 0};
  tb_split_result r[2];
  TB_CHECK_OK(tb_op_split_find(be, &sp, 2, cols, cp_host, total, hist + (size_t)total * 2, 2, NULL, r, NULL));
  uint32_t sb[2] = {0, 100}, sc[2] = {100, 100}, nl[2];
  int32_t f[2] = {0, 1}, bn[2] = {nb / 2, nb / 3};
  TB_CHECK_OK(tb_op_partition_level(be, cols, bins, rows, 200, 2, sb, sc, f, bn, scr, nl));
  float v[2] = {0.5f, -0.5f};
  TB_CHECK_OK(tb_op_segment_add(be, 2, sb, sc, v, rows, 200, 1, 0, x));
}

static void test_waits(void) {
  uint8_t *bins;
  uint32_t *cp;
  make_bins(200, 4, 16, &bins, &cp);
  float *xh = malloc(32768 * 4);
  uint32_t rows[200];
  int32_t lab[64];
  int64_t *st = malloc(200 * 16);
  for (int i = 0; i < 32768; i++) xh[i] = (float)rnd(1000) / 1000.0f - 0.5f;
  for (int i = 0; i < 200; i++) rows[i] = (uint32_t)i, st[2 * i] = (int64_t)rnd(1 << 20) - (1 << 19), st[2 * i + 1] = 1 << 18;
  for (int i = 0; i < 64; i++) lab[i] = (int32_t)rnd(4);
  tb_buf X, I, L, Bn, Cp, S, H, R, Sc;
  up(g_dev, xh, 32768 * 4, &X), up(g_dev, rows, 64 * 4, &I), up(g_dev, lab, 64 * 4, &L);
  up(g_dev, bins, 800, &Bn), up(g_dev, cp, 5 * 4, &Cp), up(g_dev, st, 200 * 16, &S), up(g_dev, rows, 800, &R);
  TB_CHECK_OK(tb_backend_alloc(g_dev, 3 * 64 * 2 * 8, &H));
  TB_CHECK_OK(tb_backend_alloc(g_dev, 800, &Sc));
  for (int pass = 0; pass < 2; pass++) {
    tb_backend_counts c0, c1;
    tb_backend_counts_get(g_dev, &c0);
    op_sequence(g_dev, X.data, I.data, L.data, Bn.data, Cp.data, S.data, H.data, R.data, Sc.data, cp);
    tb_backend_counts_get(g_dev, &c1);
    const uint64_t host = c1.host_syncs - c0.host_syncs, dev = c1.device_waits - c0.device_waits;
    if (pass == 1) {
      printf("\n  one MLP-like step and one tree level: %llu counted host syncs, %llu device waits\n",
             (unsigned long long)host, (unsigned long long)dev);
      CU_ASSERT_EQUAL(host, 2); /* split_find, partition_level; the step itself none */
      CU_ASSERT(dev <= host);
    }
  }
  tb_buf *all[] = {&X, &I, &L, &Bn, &Cp, &S, &H, &R, &Sc};
  for (int i = 0; i < 9; i++) tb_backend_release(g_dev, all[i]);
  free(bins), free(cp), free(xh), free(st);
}

static void test_energy(void) {
  double e0 = 0, e1 = 0;
  int rc = tb_backend_energy_mj(g_dev, &e0);
  if (tb_backend_kind(g_dev) == TB_DEVICE_CPU) {
    CU_ASSERT_EQUAL(rc, TB_ERR_UNSUPPORTED);
    CU_ASSERT(isnan(e0));
    return;
  }
  if (rc != TB_OK) {
    printf("\nENERGY unsupported: %s\n", tb_error_detail());
    CU_ASSERT_EQUAL(rc, TB_ERR_UNSUPPORTED);
    return;
  }
  const int n = 2048;
  tb_buf A;
  TB_CHECK_OK(tb_backend_alloc(g_dev, (size_t)3 * n * n * 4, &A));
  float *M = A.data;
  TB_CHECK_OK(tb_op_fill(g_dev, (size_t)3 * n * n, 0.5f, M));
  for (int i = 0; i < 20; i++)
    TB_CHECK_OK(tb_op_gemm(g_dev, TB_NO_TRANS, TB_NO_TRANS, n, n, n, 1.0f, M, n, M + n * n, n, 0.0f, M + 2 * n * n, n));
  TB_CHECK_OK(tb_backend_sync(g_dev));
  TB_CHECK_OK(tb_backend_energy_mj(g_dev, &e1));
  printf("\nENERGY %.1f mJ over 20 GEMMs of %d^3 (counter %.0f -> %.0f mJ)\n", e1 - e0, n, e0, e1);
  CU_ASSERT(isfinite(e0) && isfinite(e1) && e1 >= e0);
  tb_backend_release(g_dev, &A);
}

static const tb_test_case cases[] = {
    {"split_wide", test_split_wide}, {"two_contexts", test_two_contexts}, {"waits", test_waits},
    {"energy", test_energy},         {NULL, NULL}};

int main(int argc, char **argv) {
  int self = argc > 1 && !strcmp(argv[1], "--self");
  tb_device cpu = {TB_DEVICE_CPU, 0}, gpu = {TB_DEVICE_CUDA, 0};
  if (!self) {
    if (!tb_backend_cuda_built()) tb_test_skip("no CUDA GPU (this build has no CUDA backend)");
    if (tb_backend_cuda_device_count() == 0) tb_test_skip("no CUDA GPU");
  }
  g_devspec = self ? cpu : gpu;
  if (tb_backend_open(&cpu, &g_ref) || tb_backend_open(&g_devspec, &g_dev)) {
    fprintf(stderr, "cannot open the backends: %s\n", tb_error_detail());
    return 1;
  }
  printf("reference: %s\ndevice:    %s\n", tb_backend_describe(g_ref), tb_backend_describe(g_dev));
  int rc = tb_test_run("cuda_devices", cases);
  tb_backend_free(g_dev);
  tb_backend_free(g_ref);
  return rc;
}
