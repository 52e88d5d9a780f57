/* cuda_rng.cuh: internal to kernels/cuda. The CUDA backend's random stream, drawn with cuRAND's Philox4x32-10 device
 * API (curand_Philox4x32_10 of curand_philox4x32_x.h: header-only, so no cuRAND library is linked) and arranged
 * exactly as kernels/tb_rng.h arranges its own Philox: element i of (seed, i) is word i & 3 of the block with counter
 * (i >> 2 low, i >> 2 high, 0, 0) and key (seed low, seed high); the float formulas are tb_rng.h's. So the GPU draws
 * the same numbers as the CPU (uniform and dropout bit for bit; normal up to the device's double log/cos).
 * QUALIFIERS (cuRAND's own macro) makes the cuRAND functions __host__ __device__, so tests/test_curand_philox.cu
 * checks on the CPU, without a GPU, that these bits equal tb_rng.h's (published known-answer vectors and random
 * counters and keys); on a card tests/test_cuda_parity.c compares the ops. Not a public header. */
#ifndef TB_CUDA_RNG_CUH
#define TB_CUDA_RNG_CUH
#include <stdint.h>

#ifndef QUALIFIERS
#define QUALIFIERS static __forceinline__ __host__ __device__
#endif
#include <curand_philox4x32_x.h>

/* 32 random bits: element i of the stream of `seed` (tb_rng_bits). */
static __host__ __device__ __forceinline__ uint32_t tb_cuda_philox_bits(uint64_t seed, uint64_t i) {
  const uint64_t block = i >> 2;
  const uint4 o = curand_Philox4x32_10(make_uint4((uint32_t)block, (uint32_t)(block >> 32), 0u, 0u),
                                       make_uint2((uint32_t)seed, (uint32_t)(seed >> 32)));
  switch (i & 3) {
  case 0: return o.x;
  case 1: return o.y;
  case 2: return o.z;
  default: return o.w;
  }
}

/* Uniform float in [0, 1) with 24 random bits (tb_rng_uniform). */
static __host__ __device__ __forceinline__ float tb_cuda_philox_uniform(uint64_t seed, uint64_t i) {
  return (float)(tb_cuda_philox_bits(seed, i) >> 8) * (1.0f / 16777216.0f);
}

/* Standard normal float by Box-Muller in double on elements 2i and 2i+1 (tb_rng_normal). */
static __host__ __device__ __forceinline__ float tb_cuda_philox_normal(uint64_t seed, uint64_t i) {
  double u1 = ((double)(tb_cuda_philox_bits(seed, 2 * i) >> 8) + 1.0) * (1.0 / 16777216.0); /* (0, 1] */
  double u2 = (double)(tb_cuda_philox_bits(seed, 2 * i + 1) >> 8) * (1.0 / 16777216.0);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
#endif
