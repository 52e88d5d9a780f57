/* gemm_small_bench.c: scratch harness (not built by CMake) timing the CPU backend's skinny-GEMM kernels
 * (tb_cpu_gemm_small, called directly) against OpenBLAS's cblas_sgemm on the same shapes, with 1 and 2
 * threads. Prints the median microseconds per call of each and the ratio. It is not a test (tests/test_gemm_small.c
 * checks the results) and its figures are only as clean as the machine: run it when the load is low.
 * Build (from the repository root, after building /tmp/build-gemm):
 *   gcc -std=c11 -O2 -fopenmp -Ikernels -Ihost kernels/dev/gemm_small_bench.c /tmp/build-gemm/libtunebench.a \
 *       -L/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas -o /tmp/gemm_small_bench
 * Run: OMP_WAIT_POLICY=passive OMP_NUM_THREADS=2 /tmp/gemm_small_bench */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu_impl.h"
#include "tb_backend.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return 1e6 * (double)ts.tv_sec + 1e-3 * (double)ts.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct { const char *what; int ta, M, N, K; } shape;

int main(void) {
  static const shape shapes[] = {
      {"logreg fwd chunk (1 MiB)", 0, 334, 10, 784},   {"logreg bwd chunk (1 MiB)", 1, 784, 10, 334},
      {"logreg fwd chunk (4 MiB)", 0, 1337, 10, 784},  {"logreg bwd chunk (4 MiB)", 1, 784, 10, 1337},
      {"logreg fwd chunk (16 MiB)", 0, 5350, 10, 784}, {"logreg bwd chunk (16 MiB)", 1, 784, 10, 5350},
      {"mlp layer 1, batch 1", 0, 1, 256, 784},        {"mlp layer 2, batch 1", 0, 1, 10, 256},
      {"mlp layer 1, batch 4", 0, 4, 256, 784},        {"mlp last fwd, batch 128", 0, 128, 10, 256},
      {"mlp last dW, batch 128", 1, 256, 10, 128},     {"mlp eval last fwd, 256 rows", 0, 256, 10, 256},
  };
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  if (tb_backend_open(&dev, &be)) return 1;
  size_t cap = 8u << 20;
  float *A = malloc(cap * sizeof *A), *B = malloc(cap * sizeof *B), *C = malloc(cap * sizeof *C);
  for (size_t i = 0; i < cap; i++) A[i] = B[i] = C[i] = (float)(i % 97) / 97.0f - 0.5f;
  printf("%-30s %5s %5s %5s %3s %10s %10s %7s\n", "shape", "M", "N", "K", "thr", "ours_us", "blas_us", "gain");
  for (int thr = 1; thr <= 2; thr++) {
    tb_backend_set_threads(be, thr);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
      const shape *h = &shapes[s];
      int lda = h->ta ? h->M : h->K, ldb = h->N, ldc = h->N;
      double work = (double)h->M * h->N * h->K;
      int reps = work > 1e6 ? 41 : 2001;
      double t[2001], med[2];
      for (int which = 0; which < 2; which++) {
        omp_set_num_threads(thr);
        for (int r = -5; r < reps; r++) {
          double t0 = now_us();
          if (which == 0)
            tb_cpu_gemm_small(be, h->ta ? TB_TRANS : TB_NO_TRANS, h->M, h->N, h->K, 1.0f, A, lda, B, ldb, 0.0f, C,
                              ldc);
          else
            cblas_sgemm(CblasRowMajor, h->ta ? CblasTrans : CblasNoTrans, CblasNoTrans, h->M, h->N, h->K, 1.0f, A,
                        lda, B, ldb, 0.0f, C, ldc);
          if (r >= 0) t[r] = now_us() - t0;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp);
        med[which] = t[reps / 2];
      }
      printf("%-30s %5d %5d %5d %3d %10.2f %10.2f %6.2fx\n", h->what, h->M, h->N, h->K, thr, med[0], med[1],
             med[1] / med[0]);
    }
  }
  tb_backend_free(be);
  free(A);
  free(B);
  free(C);
  return 0;
}
