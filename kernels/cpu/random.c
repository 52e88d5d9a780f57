/* random.c: the CPU backend's random ops: uniform and normal fills and inverted dropout. Element i of every
 * output is a pure function of (seed, offset + i) through kernels/tb_rng.h (Philox4x32-10), so the CUDA backend
 * produces the same numbers whatever its thread layout, and the result does not depend on the thread count here.
 * Not here: the generator itself (tb_rng.h) or any stateful RNG. Tested by tests/test_rng.c (Philox known-answer
 * vectors, moments, streams, dropout). */
#include "cpu_impl.h"

#include <math.h>

#include "tb_rng.h"

#define TB_CPU_PAR_MIN 32768
/* Elements per task: each task draws its 32-bit words block by block (one Philox call per 4 elements, instead of
 * one per element through tb_rng_uniform), then applies the same formulas as tb_rng.h. Tests compare every value
 * with tb_rng_uniform / tb_rng_normal exactly. */
#define TB_RNG_CHUNK 1024

/* out[j] = tb_rng_bits(seed, first + j) for j < n (the 64-bit index wraps like the header's). */
static void rng_bits_range(uint64_t seed, uint64_t first, size_t n, uint32_t *out) {
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint64_t e = first;
  for (size_t j = 0; j < n;) {
    uint64_t block = e >> 2;
    uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0u, 0u}, word[4];
    tb_rng_philox4x32(ctr, key, word);
    for (unsigned w = (unsigned)(e & 3); w < 4 && j < n; w++, j++, e++) out[j] = word[w];
  }
}

/* tb_rng_uniform's conversion of 32 bits to a float in [0, 1). */
static inline float bits_to_uniform(uint32_t b) { return (float)(b >> 8) * (1.0f / 16777216.0f); }

int tb_cpu_rng_uniform(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float lo, float hi, float *out) {
  /* out[i] = lo + (hi - lo) * u, evaluated in float in this order (the CUDA kernel does the same). */
  float width = hi - lo;
  size_t chunks = (n + TB_RNG_CHUNK - 1) / TB_RNG_CHUNK;
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t c = 0; c < chunks; c++) {
    uint32_t bits[TB_RNG_CHUNK];
    size_t i0 = c * TB_RNG_CHUNK, m = n - i0 < TB_RNG_CHUNK ? n - i0 : TB_RNG_CHUNK;
    rng_bits_range(seed, offset + i0, m, bits);
    for (size_t j = 0; j < m; j++) out[i0 + j] = lo + width * bits_to_uniform(bits[j]);
  }
  return TB_OK;
}

int tb_cpu_rng_normal(tb_backend *be, size_t n, uint64_t seed, uint64_t offset, float mean, float std, float *out) {
  /* out[i] = mean + std * z, in float; z = tb_rng_normal(seed, offset + i): Box-Muller in double on the words
   * 2(offset+i) and 2(offset+i)+1, written out here exactly as in tb_rng.h. */
  size_t chunks = (n + TB_RNG_CHUNK / 2 - 1) / (TB_RNG_CHUNK / 2);
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
  for (size_t c = 0; c < chunks; c++) {
    uint32_t bits[TB_RNG_CHUNK];
    size_t i0 = c * (TB_RNG_CHUNK / 2), m = n - i0 < TB_RNG_CHUNK / 2 ? n - i0 : TB_RNG_CHUNK / 2;
    rng_bits_range(seed, 2 * (offset + i0), 2 * m, bits);
    for (size_t j = 0; j < m; j++) {
      double u1 = ((double)(bits[2 * j] >> 8) + 1.0) * (1.0 / 16777216.0); /* (0, 1] */
      double u2 = (double)(bits[2 * j + 1] >> 8) * (1.0 / 16777216.0);
      float z = (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
      out[i0 + j] = mean + std * z;
    }
  }
  return TB_OK;
}

int tb_cpu_dropout_forward(tb_backend *be, int K, size_t n, const float *p, uint64_t seed, uint64_t offset,
                           const float *X, float *Y, float *mask) {
  /* Model k, element i: u = uniform(seed, offset + k*n + i); mask = u >= p[k] ? 1 / (1 - p[k]) : 0; Y = X * mask.
   * With p[k] == 1 no u (< 1) is kept, and the scale is never used, so no Inf appears. */
  for (int k = 0; k < K; k++) {
    const float pk = p[k], keep_scale = pk < 1.0f ? 1.0f / (1.0f - pk) : 0.0f;
    const size_t base = (size_t)k * n, chunks = (n + TB_RNG_CHUNK - 1) / TB_RNG_CHUNK;
#pragma omp parallel for if (n >= TB_CPU_PAR_MIN) num_threads(tb_cpu_threads(be)) schedule(static)
    for (size_t c = 0; c < chunks; c++) {
      uint32_t bits[TB_RNG_CHUNK];
      size_t left = n - c * TB_RNG_CHUNK, m = left < TB_RNG_CHUNK ? left : TB_RNG_CHUNK;
      size_t i0 = base + c * TB_RNG_CHUNK;
      rng_bits_range(seed, offset + i0, m, bits);
      for (size_t j = 0; j < m; j++) {
        float mk = bits_to_uniform(bits[j]) >= pk ? keep_scale : 0.0f;
        mask[i0 + j] = mk;
        Y[i0 + j] = X[i0 + j] * mk;
      }
    }
  }
  return TB_OK;
}
