/* test_backend.c: device parsing and resolution, context lifecycle, memory accounting, budgets and out-of-memory,
 * on the CPU backend (the CUDA side of resolution is checked in whichever way this build and machine allow). */
#include <math.h>
#include <string.h>
#include <time.h>

#include "tb_backend.h"
#include "tb_test.h"

static void test_device_parse(void) {
  tb_device d;
  TB_CHECK_OK(tb_device_parse("auto", &d));
  CU_ASSERT_EQUAL(d.kind, TB_DEVICE_AUTO);
  TB_CHECK_OK(tb_device_parse("cpu", &d));
  CU_ASSERT_EQUAL(d.kind, TB_DEVICE_CPU);
  TB_CHECK_OK(tb_device_parse("cuda", &d));
  CU_ASSERT(d.kind == TB_DEVICE_CUDA && d.index == 0);
  TB_CHECK_OK(tb_device_parse("cuda:3", &d));
  CU_ASSERT(d.kind == TB_DEVICE_CUDA && d.index == 3);
  const char *bad[] = {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "cuda:99", "CPU", "cpu0", NULL};
  for (int i = 0; bad[i]; i++) {
    CU_ASSERT_EQUAL(tb_device_parse(bad[i], &d), TB_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "auto, cpu, cuda"));
  }
  CU_ASSERT_EQUAL(tb_device_parse(NULL, &d), TB_ERR_INVALID);
}

static void test_device_resolve(void) {
  tb_device req = {TB_DEVICE_AUTO, 0}, out;
  char notice[256];
  TB_CHECK_OK(tb_device_resolve(&req, &out, notice, sizeof notice));
  int n_gpu = tb_backend_cuda_device_count();
  if (n_gpu > 0) {
    CU_ASSERT_EQUAL(out.kind, TB_DEVICE_CUDA);
    CU_ASSERT_STRING_EQUAL(notice, "");
  } else {
    CU_ASSERT_EQUAL(out.kind, TB_DEVICE_CPU);
    CU_ASSERT_PTR_NOT_NULL(strstr(notice, "using the CPU"));
  }
  req.kind = TB_DEVICE_CUDA;
  req.index = n_gpu; /* one past the last device always fails */
  CU_ASSERT_EQUAL(tb_device_resolve(&req, &out, NULL, 0), TB_ERR_UNSUPPORTED);
  if (!tb_backend_cuda_built()) CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "no CUDA backend"));
  tb_backend *be = NULL;
  CU_ASSERT_EQUAL(tb_backend_open(&req, &be), TB_ERR_UNSUPPORTED);
  CU_ASSERT_PTR_NULL(be);
}

static void test_open_describe(void) {
  tb_device d = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&d, &be));
  CU_ASSERT_EQUAL(tb_backend_kind(be), TB_DEVICE_CPU);
  CU_ASSERT_EQUAL(strncmp(tb_backend_describe(be), "cpu (", 5), 0);
  tb_backend_set_threads(be, 1);
  TB_CHECK_OK(tb_backend_sync(be));
  double mj = 0;
  CU_ASSERT_EQUAL(tb_backend_energy_mj(be, &mj), TB_ERR_UNSUPPORTED); /* the CPU has no energy counter */
  CU_ASSERT(isnan(mj));
  tb_backend_free(be);
  tb_backend_free(NULL);
}

static void test_memory_accounting(void) {
  tb_device d = {TB_DEVICE_CPU, 0};
  tb_backend *a = NULL, *b = NULL;
  TB_CHECK_OK(tb_backend_open(&d, &a));
  TB_CHECK_OK(tb_backend_open(&d, &b));
  tb_mem_stats s0, s;
  tb_backend_mem(a, &s0);
  tb_buf x, y, z, empty;
  TB_CHECK_OK(tb_backend_alloc(a, 1000, &x));
  TB_CHECK_OK(tb_backend_alloc(a, 3000, &y));
  TB_CHECK_OK(tb_backend_alloc(b, 500, &z));
  TB_CHECK_OK(tb_backend_alloc(a, 0, &empty));
  CU_ASSERT_PTR_NULL(empty.data);
  tb_backend_mem(a, &s);
  CU_ASSERT_EQUAL(s.bytes_in_use, 4000);
  CU_ASSERT_EQUAL(s.bytes_peak, 4000);
  CU_ASSERT_EQUAL(s.device_bytes_in_use, s0.device_bytes_in_use + 4500);
  tb_backend_release(a, &y);
  CU_ASSERT_PTR_NULL(y.data);
  tb_backend_release(a, &y); /* releasing an empty buffer is a no-op */
  tb_backend_mem(a, &s);
  CU_ASSERT_EQUAL(s.bytes_in_use, 1000);
  CU_ASSERT_EQUAL(s.bytes_peak, 4000);
  tb_backend_mem_reset_peak(a);
  tb_backend_mem(a, &s);
  CU_ASSERT_EQUAL(s.bytes_peak, 1000);
  /* the memory is usable and copies work */
  float host[250], back[250];
  for (int i = 0; i < 250; i++) host[i] = (float)i * 0.5f - 3.0f;
  TB_CHECK_OK(tb_backend_upload(a, x.data, host, sizeof host));
  TB_CHECK_OK(tb_backend_download(a, back, x.data, sizeof back));
  CU_ASSERT_EQUAL(memcmp(host, back, sizeof host), 0);
  tb_backend_release(a, &x);
  tb_backend_release(b, &z);
  tb_backend_mem(b, &s);
  CU_ASSERT_EQUAL(s.bytes_in_use, 0);
  CU_ASSERT_EQUAL(s.device_bytes_in_use, s0.device_bytes_in_use);
  tb_backend_free(a);
  tb_backend_free(b);
}

static void test_budgets(void) {
  tb_device d = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&d, &be));
  tb_backend_set_budget(be, 10000);
  tb_buf a, b;
  TB_CHECK_OK(tb_backend_alloc(be, 6000, &a));
  CU_ASSERT_EQUAL(tb_backend_alloc(be, 6000, &b), TB_ERR_OOM);
  CU_ASSERT_PTR_NULL(b.data);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "budget"));
  TB_CHECK_OK(tb_backend_alloc(be, 4000, &b)); /* exactly at the budget is allowed */
  tb_backend_release(be, &b);
  tb_backend_set_budget(be, 0);
  /* device-wide budget shared by contexts */
  tb_mem_stats s;
  tb_backend_mem(be, &s);
  tb_device_set_budget(&d, s.device_bytes_in_use + 5000);
  tb_backend *other = NULL;
  TB_CHECK_OK(tb_backend_open(&d, &other));
  CU_ASSERT_EQUAL(tb_backend_alloc(other, 6000, &b), TB_ERR_OOM);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "device budget"));
  tb_backend_mem(other, &s);
  CU_ASSERT_EQUAL(s.bytes_in_use, 0); /* a refused request leaves no trace */
  TB_CHECK_OK(tb_backend_alloc(other, 5000, &b));
  tb_backend_release(other, &b);
  tb_device_set_budget(&d, 0);
  /* a request the host cannot satisfy is a recoverable out-of-memory, and the context still works */
  CU_ASSERT_EQUAL(tb_backend_alloc(other, (size_t)1 << 62, &b), TB_ERR_OOM);
  TB_CHECK_OK(tb_backend_alloc(other, 64, &b));
  TB_CHECK_OK(tb_op_fill(other, 16, 2.5f, b.data));
  CU_ASSERT_EQUAL(((float *)b.data)[15], 2.5f);
  tb_backend_release(other, &b);
  tb_backend_release(be, &a);
  tb_backend_free(other);
  tb_backend_free(be);
}

/* The CPU timer is the host's monotonic clock: it brackets a sleep, restarts on a second start, and a stop without
 * a start is an error that names the context. */
static void test_timer(void) {
  tb_device cpu = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  double s = 0;
  TB_CHECK_OK(tb_backend_open(&cpu, &be));
  CU_ASSERT_EQUAL(tb_backend_timer_stop(be, &s), TB_ERR_INVALID);
  CU_ASSERT(isnan(s));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "without tb_backend_timer_start"));
  struct timespec ts = {0, 20 * 1000 * 1000};
  TB_CHECK_OK(tb_backend_timer_start(be));
  nanosleep(&ts, NULL);
  TB_CHECK_OK(tb_backend_timer_stop(be, &s));
  CU_ASSERT(s >= 0.019 && s < 5.0);
  TB_CHECK_OK(tb_backend_timer_start(be));
  nanosleep(&ts, NULL);
  TB_CHECK_OK(tb_backend_timer_start(be)); /* restarts */
  TB_CHECK_OK(tb_backend_timer_stop(be, &s));
  CU_ASSERT(s >= 0.0 && s < 0.019);
  tb_backend_free(be);
}

static const tb_test_case cases[] = {{"device_parse", test_device_parse},
                                     {"timer", test_timer},
                                     {"device_resolve", test_device_resolve},
                                     {"open_describe", test_open_describe},
                                     {"memory_accounting", test_memory_accounting},
                                     {"budgets", test_budgets},
                                     {NULL, NULL}};
TB_TEST_MAIN("backend", cases)
