/* gemm_small.c: the CPU backend's hand-written GEMM for the skinny shapes OpenBLAS handles badly (it packs the big
 * operand on every call and forks its threads for a few microseconds of work). Row-major, B never transposed:
 *   NN, N <= 16 (logreg forward X W, an MLP's last layer) and M <= 4 with any N (GEMV-like small-batch inference;
 *       A may also be transposed there): C rows are vectors over n; per k one B row is loaded and multiplied by a
 *       broadcast A element for each of 1..4 rows (R rows x NV vectors of 16 accumulators in registers).
 *   TN, N <= 16 (the gradient X^T P): vectors run over m (contiguous in A's rows), B[k, j] is broadcast, one
 *       accumulator per output column; C is written transposed at the end.
 * In both, each C element is one lane accumulating a(k) b(k) for k = 0, 1, ..., K-1 in order (a fused multiply-add
 * where the CPU has one), then alpha * acc + beta * C (beta == 0: C is not read, NaN in C does not propagate). So
 * an element's value depends neither on the blocking nor on the thread count (the project's determinism rule); the
 * OpenMP loops split whole blocks of rows (NN, TN) or of column vectors (M <= 4).
 * ISA: the kernels are written with GCC vector extensions (16-float vectors) and compiled three times
 * (target_clones: x86-64-v4 = AVX-512, x86-64-v3 = AVX2 + FMA, baseline x86-64), chosen at load time by the CPU;
 * other compilers and CPUs get the portable baseline. The build needs no -march flag.
 * Loads of a full vector may read past the last valid column (never past the operand's footprint; the extra lanes
 * are discarded); rows where that would leave the footprint are read lane by lane.
 * Not here: the choice of when to use these kernels (dense.c, tb_cpu_gemm_small_fits), batched GEMM, B transposed.
 * M <= 4 between TB_CPU_GEMM_PAIR_MIN and GS_PAR_MIN multiply-adds runs on two threads through the pair pool
 * (pair_pool.c: a bounded-spin helper thread, for calls of a few microseconds), each computing half the columns.
 * Measured gains (kernels/dev/gemm_small_bench.c): the table in dense.c's opening comment. The kernel takes more
 * shapes than dense.c sends it (M = 2..4, small NN): correct there, but not faster than OpenBLAS.
 * Tested by tests/test_gemm_small.c (double-precision reference, shapes around every threshold, strides, alpha,
 * beta, NaN-poisoned C, 1 vs 2 threads bit-identical) and through the learners' tests. */
#include "cpu_impl.h"

#include <stddef.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast") /* a * b + c as one FMA in the AVX2 / AVX-512 clones */
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define GS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GS_CLONES
#endif
#define GS_INLINE static inline __attribute__((always_inline))

/* Multiply-adds (M N K) below which a call runs on the calling thread: a passive-policy fork/join costs tens of
 * microseconds, about what 1M multiply-adds take on one core. */
#define GS_PAR_MIN 1048576.0

typedef float v16 __attribute__((vector_size(64)));

typedef struct {
  int M, N, K;
  float alpha, beta;
  const float *A;
  ptrdiff_t ai, ak; /* NN path: element (i, k) of op(A) is A[i * ai + k * ak] */
  int lda;
  const float *B;
  int ldb;
  float *C;
  int ldc;
} gs_args;

/* Loads through a pointer, not returned by value: a function returning a 64-byte vector would have a different
 * ABI in each clone (-Wpsabi). */
GS_INLINE void ld_full(v16 *v, const float *p) { memcpy(v, p, sizeof *v); }

/* The first n (0..16) floats of p, zeros after. */
GS_INLINE void ld_part(v16 *v, const float *p, int n) {
  *v = (v16){0};
  for (int l = 0; l < n; l++) (*v)[l] = p[l];
}

/* Rows k < returned value of a (K, ld) operand whose used width is `used` can be read `wide` floats from column c0
 * without leaving its footprint ((K - 1) * ld + used floats). */
GS_INLINE int rows_safe(int K, int ld, int used, int c0, int wide) {
  long long end = (long long)(K - 1) * ld + used, room = end - c0 - wide;
  if (room < 0) return 0;
  long long k = room / ld + 1;
  return k < K ? (int)k : K;
}

/* C[i0 .. i0+R, n0 .. n0 + 16 NV) of the NN path (valid columns only). */
GS_INLINE void nn_block(const gs_args *g, const int R, const int NV, int i0, int n0) {
  v16 acc[4][8];
  const float *a[4];
  const int wide = 16 * NV, nvalid = g->N - n0 < wide ? g->N - n0 : wide;
  const int ksafe = nvalid == wide ? g->K : rows_safe(g->K, g->ldb, g->N, n0, wide);
  for (int r = 0; r < R; r++) {
    a[r] = g->A + (i0 + r) * g->ai;
    for (int v = 0; v < NV; v++) acc[r][v] = (v16){0};
  }
  const float *b = g->B + n0;
  const ptrdiff_t ak = g->ak;
  int k = 0;
  for (; k < ksafe; k++, b += g->ldb) {
    v16 bv[8];
    for (int v = 0; v < NV; v++) ld_full(&bv[v], b + 16 * v);
    for (int r = 0; r < R; r++) {
      const float x = a[r][k * ak];
      for (int v = 0; v < NV; v++) acc[r][v] += x * bv[v];
    }
  }
  for (; k < g->K; k++, b += g->ldb) { /* rows whose full-width read would leave B */
    v16 bv[8];
    for (int v = 0; v < NV; v++) {
      int n = nvalid - 16 * v;
      ld_part(&bv[v], b + 16 * v, n < 0 ? 0 : n > 16 ? 16 : n);
    }
    for (int r = 0; r < R; r++) {
      const float x = a[r][k * ak];
      for (int v = 0; v < NV; v++) acc[r][v] += x * bv[v];
    }
  }
  const float alpha = g->alpha, beta = g->beta;
  for (int r = 0; r < R; r++) {
    float *c = g->C + (size_t)(i0 + r) * g->ldc + n0;
    for (int v = 0; v < NV; v++) {
      int n = nvalid - 16 * v;
      if (n >= 16) {
        v16 y = alpha * acc[r][v], old;
        if (beta != 0.0f) {
          ld_full(&old, c + 16 * v);
          y += beta * old;
        }
        memcpy(c + 16 * v, &y, sizeof y);
      } else {
        for (int l = 0; l < n; l++) {
          float y = alpha * acc[r][v][l];
          c[16 * v + l] = beta != 0.0f ? y + beta * c[16 * v + l] : y;
        }
      }
    }
  }
}

/* Rows [i0, i0 + rows) of the NN path with N <= 16: blocks of 4, then 2, then 1 rows. */
GS_INLINE void nn_rows(const gs_args *g, int i0, int rows) {
  int i = i0, end = i0 + rows;
  for (; i + 4 <= end; i += 4) nn_block(g, 4, 1, i, 0);
  if (i + 2 <= end) { nn_block(g, 2, 1, i, 0); i += 2; }
  if (i < end) nn_block(g, 1, 1, i, 0);
}

/* Column vectors [v0, v1) of the NN path with M <= 4 rows: blocks of 8 vectors (M = 1), 4 (M = 2) or 2 (M = 3, 4),
 * then 1. */
GS_INLINE void nn_cols(const gs_args *g, int v0, int v1) {
  const int M = g->M, step = M == 1 ? 8 : M == 2 ? 4 : 2;
  int v = v0;
  for (; v + step <= v1; v += step) switch (M) {
    case 1: nn_block(g, 1, 8, 0, 16 * v); break;
    case 2: nn_block(g, 2, 4, 0, 16 * v); break;
    case 3: nn_block(g, 3, 2, 0, 16 * v); break;
    default: nn_block(g, 4, 2, 0, 16 * v); break;
    }
  for (; v < v1; v++) switch (M) {
    case 1: nn_block(g, 1, 1, 0, 16 * v); break;
    case 2: nn_block(g, 2, 1, 0, 16 * v); break;
    case 3: nn_block(g, 3, 1, 0, 16 * v); break;
    default: nn_block(g, 4, 1, 0, 16 * v); break;
    }
}

GS_CLONES static void nn_small_n(const gs_args *g, int threads) {
  const int blocks = (g->M + 3) / 4;
  const int par = (double)g->M * g->N * g->K >= GS_PAR_MIN && blocks > 1 && threads > 1;
#pragma omp parallel for if (par) num_threads(threads) schedule(static)
  for (int t = 0; t < blocks; t++) {
    int i0 = 4 * t, rows = g->M - i0 < 4 ? g->M - i0 : 4;
    nn_rows(g, i0, rows);
  }
}

GS_CLONES static void nn_small_m(const gs_args *g, int threads) {
  const int nvec = (g->N + 15) / 16, per = 8; /* vectors per task */
  const int tasks = (nvec + per - 1) / per;
  const int par = (double)g->M * g->N * g->K >= GS_PAR_MIN && tasks > 1 && threads > 1;
#pragma omp parallel for if (par) num_threads(threads) schedule(static)
  for (int t = 0; t < tasks; t++) {
    int v0 = t * per, v1 = v0 + per < nvec ? v0 + per : nvec;
    nn_cols(g, v0, v1);
  }
}

/* C[m0 .. m0+16, 0 .. NJ) of the TN path: C (M, N) = A^T B with A (K, M), B (K, N), N = NJ. */
GS_INLINE void tn_block(const gs_args *g, const int NJ, int m0) {
  v16 acc[16];
  const int nvalid = g->M - m0 < 16 ? g->M - m0 : 16;
  const int ksafe = nvalid == 16 ? g->K : rows_safe(g->K, g->lda, g->M, m0, 16);
  for (int j = 0; j < NJ; j++) acc[j] = (v16){0};
  const float *a = g->A + m0, *b = g->B;
  int k = 0;
  for (; k < ksafe; k++, a += g->lda, b += g->ldb) {
    v16 av;
    ld_full(&av, a);
    for (int j = 0; j < NJ; j++) acc[j] += av * b[j];
  }
  for (; k < g->K; k++, a += g->lda, b += g->ldb) {
    v16 av;
    ld_part(&av, a, nvalid);
    for (int j = 0; j < NJ; j++) acc[j] += av * b[j];
  }
  const float alpha = g->alpha, beta = g->beta;
  for (int l = 0; l < nvalid; l++) {
    float *c = g->C + (size_t)(m0 + l) * g->ldc;
    for (int j = 0; j < NJ; j++) {
      float y = alpha * acc[j][l];
      c[j] = beta != 0.0f ? y + beta * c[j] : y;
    }
  }
}

#define GS_TN_CASE(n) \
  case n: tn_block(g, n, m0); break;

GS_CLONES static void tn_small_n(const gs_args *g, int threads) {
  const int blocks = (g->M + 15) / 16;
  const int par = (double)g->M * g->N * g->K >= GS_PAR_MIN && blocks > 1 && threads > 1;
#pragma omp parallel for if (par) num_threads(threads) schedule(static)
  for (int t = 0; t < blocks; t++) {
    const int m0 = 16 * t;
    switch (g->N) {
      GS_TN_CASE(1) GS_TN_CASE(2) GS_TN_CASE(3) GS_TN_CASE(4) GS_TN_CASE(5) GS_TN_CASE(6) GS_TN_CASE(7)
      GS_TN_CASE(8) GS_TN_CASE(9) GS_TN_CASE(10) GS_TN_CASE(11) GS_TN_CASE(12) GS_TN_CASE(13) GS_TN_CASE(14)
      GS_TN_CASE(15) default: tn_block(g, 16, m0); break;
    }
  }
}

/* The M <= 4 path on two threads: the column vectors split in two halves, the caller's thread and the pair pool's
 * helper (pair_pool.c) each computing one (each keeps its half of B in its own core's L2 across calls). */
typedef struct {
  const gs_args *g;
  int vmid, nvec;
} gs_pair;

GS_CLONES static void nn_cols_part(const gs_args *g, int v0, int v1) { nn_cols(g, v0, v1); }

static void pair_part(void *arg, int part) {
  const gs_pair *p = arg;
  if (part == 0) nn_cols_part(p->g, 0, p->vmid);
  else nn_cols_part(p->g, p->vmid, p->nvec);
}

int tb_cpu_gemm_small_fits(tb_trans ta, tb_trans tb, int M, int N, int K) {
  if (tb != TB_NO_TRANS || M < 1 || N < 1 || K < 1) return 0;
  if (N <= TB_CPU_GEMM_SMALL_N) {
    /* B (K, N) is re-read for every block of C rows: it must stay in L2 (K N <= 64 Ki floats) */
    if ((double)K * N > 65536.0) return 0;
    /* wins where OpenBLAS packs a big A (M K >= 128 Ki floats); on smaller A its full-width kernel is as fast, and
     * the MLP's batch-128 shapes measured no end-to-end gain. TN re-reads A (K, M) for every 16 of its columns:
     * at most 8 MiB (slower than OpenBLAS at 16 MiB). */
    if ((double)M * K < 131072.0) return 0;
    return ta == TB_NO_TRANS || (double)K * M <= 2097152.0;
  }
  /* GEMV-like (M <= 4, A not transposed, big enough for two threads to pay): on one thread the kernel is about
   * OpenBLAS's speed (1.07x at M = 1, both near the L2 bandwidth), so the gain is the second core through the
   * pair pool (tb_cpu_gemm_small splits the columns when the context has >= 2 threads). */
  return M <= TB_CPU_GEMM_SMALL_M && ta == TB_NO_TRANS && N >= 64 && (double)M * N * K >= TB_CPU_GEMM_PAIR_MIN;
}

void tb_cpu_gemm_small(tb_backend *be, tb_trans ta, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc) {
  gs_args g = {.M = M, .N = N, .K = K, .alpha = alpha, .beta = beta, .A = A, .lda = lda, .B = B, .ldb = ldb,
               .C = C, .ldc = ldc};
  int threads = be ? tb_cpu_threads(be) : 1;
  g.ai = ta == TB_TRANS ? 1 : lda;
  g.ak = ta == TB_TRANS ? lda : 1;
  if (ta == TB_TRANS && N <= TB_CPU_GEMM_SMALL_N) tn_small_n(&g, threads);
  else if (M <= TB_CPU_GEMM_SMALL_M && threads > 1 && (N + 15) / 16 >= 2 &&
           (double)M * N * K >= TB_CPU_GEMM_PAIR_MIN && (double)M * N * K < GS_PAR_MIN) {
    gs_pair pr = {&g, (N + 15) / 32, (N + 15) / 16};
    tb_cpu_pair_run(pair_part, &pr);
  } else if (M <= TB_CPU_GEMM_SMALL_M) nn_small_m(&g, threads);
  else nn_small_n(&g, threads);
}
