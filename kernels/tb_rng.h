/* tb_rng.h: the counter-based random stream shared by every backend (Philox4x32-10, Salmon et al. 2011).
 *
 * Element i of the stream (seed, i) is a pure function of the two numbers, so the CPU and the CUDA backend produce
 * the same dropout masks and initialisations whatever the thread layout, and a trial can regenerate any element
 * without state. The 64-bit counter i is split as block = i >> 2 (the Philox counter) and word = i & 3 (which of
 * the four outputs). Header-only; compiled as host code in C and as host+device code in CUDA.
 * Tested by tests/test_rng.c against the published Philox4x32-10 known-answer vectors.
 */
#ifndef TB_RNG_H
#define TB_RNG_H
#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define TB_RNG_FN static __host__ __device__ __forceinline__
#else
#define TB_RNG_FN static inline
#endif

/* One Philox4x32-10 block: counter ctr[4], key key[2] -> out[4]. */
TB_RNG_FN void tb_rng_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; r++) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* 32 random bits: element i of the stream of `seed`. */
TB_RNG_FN uint32_t tb_rng_bits(uint64_t seed, uint64_t i) {
  uint64_t block = i >> 2;
  uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0u, 0u};
  uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint32_t out[4];
  tb_rng_philox4x32(ctr, key, out);
  return out[i & 3];
}

/* Uniform float in [0, 1) with 24 random bits: element i of the stream of `seed`. */
TB_RNG_FN float tb_rng_uniform(uint64_t seed, uint64_t i) {
  return (float)(tb_rng_bits(seed, i) >> 8) * (1.0f / 16777216.0f);
}

/* Uniform double in [0, 1) with 53 random bits, from elements 2i and 2i+1. */
TB_RNG_FN double tb_rng_uniform_double(uint64_t seed, uint64_t i) {
  uint64_t a = tb_rng_bits(seed, 2 * i) >> 5, b = tb_rng_bits(seed, 2 * i + 1) >> 6;
  return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* Standard normal float: element i of the normal stream of `seed` (Box-Muller on elements 2i and 2i+1,
 * computed in double so that both backends round identically). */
TB_RNG_FN float tb_rng_normal(uint64_t seed, uint64_t i) {
  double u1 = ((double)(tb_rng_bits(seed, 2 * i) >> 8) + 1.0) * (1.0 / 16777216.0); /* (0, 1] */
  double u2 = (double)(tb_rng_bits(seed, 2 * i + 1) >> 8) * (1.0 / 16777216.0);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* A sequential stream over the elements of `seed`: *pos is the next element, advanced by each draw (host-side users
 * such as samplers and schedulers keep (seed, pos) as their whole random state). */
TB_RNG_FN double tb_rng_next_uniform(uint64_t seed, uint64_t *pos) { return tb_rng_uniform_double(seed, (*pos)++); }

/* Standard normal double by Box-Muller on two draws, (0, 1] then [0, 1). */
TB_RNG_FN double tb_rng_next_normal(uint64_t seed, uint64_t *pos) {
  double u1 = 1.0 - tb_rng_next_uniform(seed, pos), u2 = tb_rng_next_uniform(seed, pos);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Uniform integer in [0, n). */
TB_RNG_FN long tb_rng_next_int(uint64_t seed, uint64_t *pos, long n) {
  long v = (long)(tb_rng_next_uniform(seed, pos) * (double)n);
  return v < n ? v : n - 1;
}

/* Derives an independent seed from a parent seed and a stream id (splitmix64 finaliser), e.g. trial seeds. */
TB_RNG_FN uint64_t tb_rng_derive(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

#endif
