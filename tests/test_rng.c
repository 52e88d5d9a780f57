/* test_rng.c: the counter-based RNG (kernels/tb_rng.h) and the CPU backend's random ops (kernels/cpu/random.c).
 * Covers: Philox4x32-10 known-answer vectors (Random123 kat_vectors), the element numbering of the stream,
 * moments and a histogram of the uniform and normal ops over 1e6 draws, reproducibility (same seed and offset,
 * any thread count), independence of seeds, the offset shift (and its wrap at 2^64), inverted dropout for K
 * models with different p, and bad input through the public API. */
#include <math.h>
#include <string.h>

#include "tb_backend.h"
#include "tb_rng.h"
#include "tb_test.h"

static tb_backend *open_cpu(void) {
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  return be;
}

/* Random123 kat_vectors for philox4x32_R(10): counter, key, expected output. */
static void test_philox_kat(void) {
  static const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
      {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e,
       0xa20bc7c6, 0x6d5451fd},
      {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb,
       0x5001e420, 0x24126ea1},
  };
  for (int t = 0; t < 3; t++) {
    uint32_t out[4];
    tb_rng_philox4x32(kat[t], kat[t] + 4, out);
    for (int j = 0; j < 4; j++) {
      if (out[j] != kat[t][6 + j]) printf("\nKAT %d word %d: got %08x want %08x\n", t, j, out[j], kat[t][6 + j]);
      CU_ASSERT_EQUAL(out[j], kat[t][6 + j]);
    }
  }
}

/* Element i of stream `seed` is word i&3 of block i>>2 (64-bit block in ctr[0..1], seed as the key). */
static void test_stream_numbering(void) {
  const uint64_t seeds[3] = {0, 42, 0x0123456789abcdefull};
  const uint64_t idx[5] = {0, 3, 4, 0x100000003ull, 0xfffffffffffffffeull};
  for (int s = 0; s < 3; s++)
    for (int t = 0; t < 5; t++) {
      uint64_t i = idx[t], block = i >> 2;
      uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0, 0};
      uint32_t key[2] = {(uint32_t)seeds[s], (uint32_t)(seeds[s] >> 32)};
      uint32_t out[4];
      tb_rng_philox4x32(ctr, key, out);
      CU_ASSERT_EQUAL(tb_rng_bits(seeds[s], i), out[i & 3]);
      CU_ASSERT_EQUAL(tb_rng_uniform(seeds[s], i), (float)(out[i & 3] >> 8) / 16777216.0f);
    }
}

#define N_DRAWS 1000000

/* Uniform op over [lo, hi): values equal the header formula, lie in range, and have the right moments.
 * Tolerances are 5 standard errors for n = 1e6: mean 5*sqrt(1/12/n) = 1.5e-3 (in units of the width),
 * variance 5*sqrt((1/80 - 1/144)/n) = 3.8e-4; each of 16 histogram bins within 5*sqrt(n/16*(15/16)) counts. */
static void test_uniform_moments(void) {
  tb_backend *be = open_cpu();
  tb_buf buf;
  TB_CHECK_OK(tb_backend_alloc(be, N_DRAWS * sizeof(float), &buf));
  float *u = buf.data;
  const float lo = -2.0f, hi = 3.0f;
  const uint64_t seed = 20240611, off = 12345;
  for (size_t i = 0; i < N_DRAWS; i++) u[i] = NAN;
  TB_CHECK_OK(tb_op_rng_uniform(be, N_DRAWS, seed, off, lo, hi, u));
  double sum = 0, sum2 = 0;
  long hist[16] = {0};
  size_t bad = 0, formula = 0;
  for (size_t i = 0; i < N_DRAWS; i++) {
    float x = u[i];
    if (!(x >= lo && x < hi)) bad++;
    if (x != lo + (hi - lo) * tb_rng_uniform(seed, off + i)) formula++;
    double z = ((double)x - lo) / (hi - lo);
    sum += z;
    sum2 += z * z;
    int b = (int)(z * 16);
    hist[b < 0 ? 0 : b > 15 ? 15 : b]++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(formula, 0);
  double mean = sum / N_DRAWS, var = sum2 / N_DRAWS - mean * mean;
  CU_ASSERT(fabs(mean - 0.5) < 1.5e-3);
  CU_ASSERT(fabs(var - 1.0 / 12) < 3.8e-4);
  double expect = N_DRAWS / 16.0, tol = 5 * sqrt(expect * 15.0 / 16.0);
  for (int b = 0; b < 16; b++) CU_ASSERT(fabs(hist[b] - expect) < tol);
  tb_backend_release(be, &buf);
  tb_backend_free(be);
}

/* Normal op: out = mean + std * z exactly; z has mean 0 (tolerance 5/sqrt(n) = 5e-3), variance 1 (5*sqrt(2/n) =
 * 7.1e-3), about 68.27% within one sigma (5 * sqrt(p(1-p)/n) = 2.3e-3) and no NaN/Inf. */
static void test_normal_moments(void) {
  tb_backend *be = open_cpu();
  tb_buf buf;
  TB_CHECK_OK(tb_backend_alloc(be, N_DRAWS * sizeof(float), &buf));
  float *x = buf.data;
  const float mu = 1.5f, sd = 0.25f;
  const uint64_t seed = 7, off = 99;
  for (size_t i = 0; i < N_DRAWS; i++) x[i] = NAN;
  TB_CHECK_OK(tb_op_rng_normal(be, N_DRAWS, seed, off, mu, sd, x));
  double sum = 0, sum2 = 0;
  size_t within = 0, formula = 0, nonfinite = 0;
  for (size_t i = 0; i < N_DRAWS; i++) {
    if (!isfinite(x[i])) nonfinite++;
    if (x[i] != mu + sd * tb_rng_normal(seed, off + i)) formula++;
    double z = ((double)x[i] - mu) / sd;
    sum += z;
    sum2 += z * z;
    within += fabs(z) < 1.0;
  }
  CU_ASSERT_EQUAL(nonfinite, 0);
  CU_ASSERT_EQUAL(formula, 0);
  double mean = sum / N_DRAWS, var = sum2 / N_DRAWS - mean * mean;
  CU_ASSERT(fabs(mean) < 5e-3);
  CU_ASSERT(fabs(var - 1.0) < 7.1e-3);
  CU_ASSERT(fabs((double)within / N_DRAWS - 0.682689) < 2.3e-3);
  tb_backend_release(be, &buf);
  tb_backend_free(be);
}

/* tb_rng_uniform_double: in [0, 1), mean 0.5 within 5 standard errors, not equal to the float stream. */
static void test_uniform_double(void) {
  double sum = 0;
  int bad = 0;
  for (uint64_t i = 0; i < 200000; i++) {
    double u = tb_rng_uniform_double(11, i);
    bad += !(u >= 0.0 && u < 1.0);
    sum += u;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(fabs(sum / 200000 - 0.5) < 5 * sqrt(1.0 / 12 / 200000));
}

#define N_SMALL 100000

/* Same seed and offset: identical with 1 and 2 threads and on repeat; another seed: different numbers; offset d:
 * the stream shifted by d; derived seeds differ per stream. */
static void test_streams(void) {
  tb_backend *be = open_cpu();
  tb_buf b1, b2, b3;
  TB_CHECK_OK(tb_backend_alloc(be, N_SMALL * sizeof(float), &b1));
  TB_CHECK_OK(tb_backend_alloc(be, N_SMALL * sizeof(float), &b2));
  TB_CHECK_OK(tb_backend_alloc(be, N_SMALL * sizeof(float), &b3));
  float *a = b1.data, *b = b2.data, *c = b3.data;
  tb_backend_set_threads(be, 1);
  TB_CHECK_OK(tb_op_rng_uniform(be, N_SMALL, 5, 0, 0.0f, 1.0f, a));
  tb_backend_set_threads(be, 2);
  TB_CHECK_OK(tb_op_rng_uniform(be, N_SMALL, 5, 0, 0.0f, 1.0f, b));
  CU_ASSERT_EQUAL(memcmp(a, b, N_SMALL * sizeof(float)), 0);
  TB_CHECK_OK(tb_op_rng_normal(be, N_SMALL, 5, 0, 0.0f, 1.0f, b));
  tb_backend_set_threads(be, 1);
  TB_CHECK_OK(tb_op_rng_normal(be, N_SMALL, 5, 0, 0.0f, 1.0f, c));
  CU_ASSERT_EQUAL(memcmp(b, c, N_SMALL * sizeof(float)), 0);
  /* different seed: equal floats only by chance (24-bit values: about n / 2^24 expected) */
  TB_CHECK_OK(tb_op_rng_uniform(be, N_SMALL, 6, 0, 0.0f, 1.0f, b));
  int same = 0;
  for (int i = 0; i < N_SMALL; i++) same += a[i] == b[i];
  CU_ASSERT(same < 10);
  /* offset 1000 shifts the stream by 1000 elements */
  TB_CHECK_OK(tb_op_rng_uniform(be, N_SMALL - 1000, 5, 1000, 0.0f, 1.0f, c));
  CU_ASSERT_EQUAL(memcmp(c, a + 1000, (N_SMALL - 1000) * sizeof(float)), 0);
  /* an offset near 2^64: the element index wraps exactly as in tb_rng.h */
  const uint64_t top = UINT64_MAX - 5;
  TB_CHECK_OK(tb_op_rng_uniform(be, 11, 9, top, 0.0f, 1.0f, b));
  TB_CHECK_OK(tb_op_rng_normal(be, 11, 9, top, 0.0f, 1.0f, c));
  for (uint64_t i = 0; i < 11; i++) {
    CU_ASSERT_EQUAL(b[i], tb_rng_uniform(9, top + i));
    CU_ASSERT_EQUAL(c[i], tb_rng_normal(9, top + i));
  }
  CU_ASSERT_NOT_EQUAL(tb_rng_derive(1, 0), tb_rng_derive(1, 1));
  CU_ASSERT_NOT_EQUAL(tb_rng_derive(1, 0), tb_rng_derive(2, 0));
  CU_ASSERT_EQUAL(tb_rng_derive(3, 4), tb_rng_derive(3, 4));
  tb_backend_release(be, &b1);
  tb_backend_release(be, &b2);
  tb_backend_release(be, &b3);
  tb_backend_free(be);
}

/* Dropout for K = 4 models with p = 0, 1, 0.3, 0.55: the mask follows the documented element numbering exactly
 * (u = uniform(seed, offset + k*n + i), keep when u >= p, value 1/(1-p) in float), Y = X * mask exactly, p = 0
 * keeps everything, p = 1 drops everything without NaN/Inf, the kept fraction is 1 - p within 5 standard errors
 * (5 * sqrt(p(1-p)/n) <= 0.018), the same seed gives the same mask with 1 or 2 threads, another seed another. */
static void test_dropout(void) {
  tb_backend *be = open_cpu();
  enum { K = 4, N = 20000 };
  const float p[K] = {0.0f, 1.0f, 0.3f, 0.55f};
  const uint64_t seed = 31337, off = 777;
  tb_buf bx, by, bm, bm2;
  TB_CHECK_OK(tb_backend_alloc(be, K * N * sizeof(float), &bx));
  TB_CHECK_OK(tb_backend_alloc(be, K * N * sizeof(float), &by));
  TB_CHECK_OK(tb_backend_alloc(be, K * N * sizeof(float), &bm));
  TB_CHECK_OK(tb_backend_alloc(be, K * N * sizeof(float), &bm2));
  float *X = bx.data, *Y = by.data, *mask = bm.data, *mask2 = bm2.data;
  TB_CHECK_OK(tb_op_rng_uniform(be, K * N, 99, 0, -2.0f, 2.0f, X));
  for (size_t i = 0; i < K * N; i++) Y[i] = mask[i] = NAN;
  tb_backend_set_threads(be, 2);
  TB_CHECK_OK(tb_op_dropout_forward(be, K, N, p, seed, off, X, Y, mask));
  for (int k = 0; k < K; k++) {
    float scale = p[k] < 1 ? 1.0f / (1.0f - p[k]) : 0.0f;
    size_t wrong = 0, kept = 0, nonfinite = 0;
    for (size_t i = 0; i < N; i++) {
      size_t e = (size_t)k * N + i;
      float want = tb_rng_uniform(seed, off + e) >= p[k] ? scale : 0.0f;
      wrong += mask[e] != want || Y[e] != X[e] * want;
      kept += mask[e] != 0.0f;
      nonfinite += !isfinite(Y[e]) || !isfinite(mask[e]);
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(nonfinite, 0);
    if (p[k] == 0.0f) CU_ASSERT_EQUAL(memcmp(X, Y, N * sizeof(float)), 0);
    if (p[k] == 1.0f) CU_ASSERT_EQUAL(kept, 0);
    CU_ASSERT(fabs((double)kept / N - (1.0 - p[k])) <= 5 * sqrt(p[k] * (1.0 - p[k]) / N) + 1e-12);
  }
  tb_backend_set_threads(be, 1);
  TB_CHECK_OK(tb_op_dropout_forward(be, K, N, p, seed, off, X, Y, mask2));
  CU_ASSERT_EQUAL(memcmp(mask, mask2, K * N * sizeof(float)), 0);
  TB_CHECK_OK(tb_op_dropout_forward(be, K, N, p, seed + 1, off, X, Y, mask2));
  int same = 0;
  for (size_t i = 2 * N; i < 3 * N; i++) same += mask[i] == mask2[i];
  CU_ASSERT(same < 0.7 * N); /* independent masks agree on 0.7^2 + 0.3^2 = 58% of elements */
  /* in place (Y == X) */
  memcpy(mask2, X, K * N * sizeof(float));
  TB_CHECK_OK(tb_op_dropout_forward(be, K, N, p, seed, off, mask2, mask2, Y));
  CU_ASSERT_EQUAL(memcmp(Y, mask, K * N * sizeof(float)), 0);
  /* bad p (outside [0, 1] or NaN), negative K, NULL buffers: TB_ERR_INVALID */
  const float bad_p[3][K] = {{0.1f, 1.5f, 0, 0}, {-0.1f, 0, 0, 0}, {0, 0, NAN, 0}};
  for (int t = 0; t < 3; t++)
    CU_ASSERT_EQUAL(tb_op_dropout_forward(be, K, N, bad_p[t], seed, off, X, Y, mask), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_dropout_forward(be, -1, N, p, seed, off, X, Y, mask), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_dropout_forward(be, K, N, p, seed, off, X, Y, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_dropout_forward(be, K, N, NULL, seed, off, X, Y, mask), TB_ERR_INVALID);
  tb_backend_release(be, &bx);
  tb_backend_release(be, &by);
  tb_backend_release(be, &bm);
  tb_backend_release(be, &bm2);
  tb_backend_free(be);
}

/* lo > hi, std < 0 and NULL outputs are TB_ERR_INVALID; n = 0 is a no-op that touches nothing. */
static void test_bad_input(void) {
  tb_backend *be = open_cpu();
  float x[4] = {1, 2, 3, 4};
  CU_ASSERT_EQUAL(tb_op_rng_uniform(be, 4, 1, 0, 1.0f, 0.0f, x), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_rng_uniform(be, 4, 1, 0, 0.0f, 1.0f, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_rng_normal(be, 4, 1, 0, 0.0f, -1.0f, x), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_op_rng_normal(be, 4, 1, 0, 0.0f, 1.0f, NULL), TB_ERR_INVALID);
  TB_CHECK_OK(tb_op_rng_uniform(be, 0, 1, 0, 0.0f, 1.0f, NULL));
  TB_CHECK_OK(tb_op_rng_normal(be, 0, 1, 0, 0.0f, 1.0f, x));
  CU_ASSERT_EQUAL(x[0], 1.0f);
  /* lo == hi is allowed: every value is lo */
  TB_CHECK_OK(tb_op_rng_uniform(be, 4, 1, 0, 2.5f, 2.5f, x));
  for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(x[i], 2.5f);
  tb_backend_free(be);
}

static const tb_test_case cases[] = {
    {"philox_kat", test_philox_kat},
    {"stream_numbering", test_stream_numbering},
    {"uniform_moments", test_uniform_moments},
    {"normal_moments", test_normal_moments},
    {"uniform_double", test_uniform_double},
    {"streams", test_streams},
    {"dropout", test_dropout},
    {"bad_input", test_bad_input},
    {NULL, NULL},
};
TB_TEST_MAIN("rng", cases)
