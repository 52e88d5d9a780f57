/* test_curand_philox.cu: the CUDA backend's random bits (kernels/cuda/cuda_rng.cuh: cuRAND's Philox4x32-10 device
 * API, compiled here for the host through cuRAND's QUALIFIERS macro) equal kernels/tb_rng.h's, without a GPU:
 * the published Random123 known-answer vectors for Philox4x32-10 through both, 200,000 random (counter, key) blocks,
 * and the element streams (bits, uniform floats, normals within 1e-6: log/cos on the host here) at random positions,
 * including counters past 2^32 blocks. Built in CUDA builds only; runs on the CPU (CTest). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cuda_rng.cuh"
#include "tb_rng.h"
#include "tb_test.h"

static void test_known_answers(void) {
  /* Salmon et al. (2011), Random123 kat_vectors: philox4x32 10 rounds */
  static const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6,
       0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420,
       0x24126ea1}};
  for (int v = 0; v < 3; v++) {
    const uint32_t *k = kat[v];
    uint4 o = curand_Philox4x32_10(make_uint4(k[0], k[1], k[2], k[3]), make_uint2(k[4], k[5]));
    uint32_t ctr[4] = {k[0], k[1], k[2], k[3]}, key[2] = {k[4], k[5]}, t[4];
    tb_rng_philox4x32(ctr, key, t);
    CU_ASSERT(o.x == k[6] && o.y == k[7] && o.z == k[8] && o.w == k[9]);
    CU_ASSERT(t[0] == k[6] && t[1] == k[7] && t[2] == k[8] && t[3] == k[9]);
  }
}

static void test_random_blocks(void) {
  uint64_t pos = 0;
  int bad = 0;
  for (int n = 0; n < 200000; n++) {
    uint32_t ctr[4], key[2], t[4];
    for (int j = 0; j < 4; j++) ctr[j] = (uint32_t)(tb_rng_next_uniform(99, &pos) * 4294967296.0);
    for (int j = 0; j < 2; j++) key[j] = (uint32_t)(tb_rng_next_uniform(99, &pos) * 4294967296.0);
    tb_rng_philox4x32(ctr, key, t);
    uint4 o = curand_Philox4x32_10(make_uint4(ctr[0], ctr[1], ctr[2], ctr[3]), make_uint2(key[0], key[1]));
    bad += o.x != t[0] || o.y != t[1] || o.z != t[2] || o.w != t[3];
  }
  CU_ASSERT_EQUAL(bad, 0);
}

static void test_streams(void) {
  uint64_t pos = 0;
  int bad_bits = 0, bad_uniform = 0, bad_normal = 0;
  for (int n = 0; n < 100000; n++) {
    uint64_t seed = ((uint64_t)(tb_rng_next_uniform(5, &pos) * 4294967296.0) << 32) ^
                    (uint64_t)(tb_rng_next_uniform(5, &pos) * 4294967296.0);
    /* positions up to 2^40: block counters past 2^32 use the counter's second word */
    uint64_t i = (uint64_t)(tb_rng_next_uniform(5, &pos) * 1099511627776.0);
    bad_bits += tb_cuda_philox_bits(seed, i) != tb_rng_bits(seed, i);
    float a = tb_cuda_philox_uniform(seed, i), b = tb_rng_uniform(seed, i);
    bad_uniform += memcmp(&a, &b, sizeof a) != 0;
    bad_normal += fabsf(tb_cuda_philox_normal(seed, i) - tb_rng_normal(seed, i)) > 1e-6f;
  }
  CU_ASSERT_EQUAL(bad_bits, 0);
  CU_ASSERT_EQUAL(bad_uniform, 0);
  CU_ASSERT_EQUAL(bad_normal, 0);
}

static const tb_test_case cases[] = {
    {"known_answers", test_known_answers}, {"random_blocks", test_random_blocks}, {"streams", test_streams},
    {NULL, NULL}};
TB_TEST_MAIN("curand_philox", cases)
