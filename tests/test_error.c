/* test_error.c: the error table, per-thread details, TB_TRY's trace and prefixes. */
#include <pthread.h>
#include <string.h>

#include "tb_test.h"

static int failing(void) { return tb_error_set(TB_ERR_RANGE, "x = %d out of range", 7); }
static int silent_failure(void) { return TB_ERR_IO; }

static int uses_try(int which) {
  int rc = TB_OK;
  tb_error_clear();
  if (which == 0) TB_TRY(failing());
  else TB_TRY(silent_failure());
done:
  return rc;
}

static void test_strerror(void) {
  for (int rc = TB_OK; rc >= TB_ERR_INTERRUPTED; rc--) {
    CU_ASSERT_PTR_NOT_NULL(tb_strerror(rc));
    CU_ASSERT_STRING_NOT_EQUAL(tb_strerror(rc), "unknown error");
  }
  CU_ASSERT_STRING_EQUAL(tb_strerror(-999), "unknown error");
}

static void test_detail_and_try(void) {
  CU_ASSERT_EQUAL(uses_try(0), TB_ERR_RANGE);
  CU_ASSERT_STRING_EQUAL(tb_error_detail(), "x = 7 out of range"); /* the callee's detail is kept */
  CU_ASSERT_EQUAL(tb_error_code(), TB_ERR_RANGE);
  CU_ASSERT_EQUAL(uses_try(1), TB_ERR_IO);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "test_error.c"));      /* where */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "silent_failure()")); /* what */
  tb_error_prefix(TB_ERR_IO, "csv:a.csv: ");
  CU_ASSERT_EQUAL(strncmp(tb_error_detail(), "csv:a.csv: ", 11), 0);
  tb_error_clear();
  CU_ASSERT_STRING_EQUAL(tb_error_detail(), "");
  CU_ASSERT_EQUAL(tb_error_code(), TB_OK);
}

static void *other_thread(void *arg) {
  (void)arg;
  tb_error_set(TB_ERR_OOM, "other thread");
  return NULL;
}

static void test_per_thread(void) {
  tb_error_set(TB_ERR_FORMAT, "main thread");
  pthread_t t;
  pthread_create(&t, NULL, other_thread, NULL);
  pthread_join(t, NULL);
  CU_ASSERT_STRING_EQUAL(tb_error_detail(), "main thread");
  CU_ASSERT_EQUAL(tb_error_code(), TB_ERR_FORMAT);
}

static void test_long_detail_truncated(void) {
  char big[4096];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  tb_error_set(TB_ERR_INVALID, "%s", big);
  CU_ASSERT(strlen(tb_error_detail()) < 1024);
  tb_error_prefix(TB_ERR_INVALID, "%s", big);
  CU_ASSERT(strlen(tb_error_detail()) < 1024);
}

/* Issue 21: callers wrap the current detail into a new one ("%s: %s", where, tb_error_detail()). The source and
 * the destination were the same buffer (undefined; glibc garbled it): the result must be the exact concatenation. */
static void test_set_from_own_detail(void) {
  tb_error_set(TB_ERR_FORMAT, "line 3: bad value");
  tb_error_set(TB_ERR_FORMAT, "suite.yaml: %s (see docs)", tb_error_detail());
  CU_ASSERT_STRING_EQUAL(tb_error_detail(), "suite.yaml: line 3: bad value (see docs)");
  tb_error_set(TB_ERR_IO, "%s%s", tb_error_detail(), tb_error_detail());
  CU_ASSERT_STRING_EQUAL(tb_error_detail(),
                         "suite.yaml: line 3: bad value (see docs)suite.yaml: line 3: bad value (see docs)");
}

static const tb_test_case cases[] = {{"set_from_own_detail", test_set_from_own_detail},
                                     {"strerror", test_strerror},
                                     {"detail_and_try", test_detail_and_try},
                                     {"per_thread", test_per_thread},
                                     {"long_detail_truncated", test_long_detail_truncated},
                                     {NULL, NULL}};
TB_TEST_MAIN("error", cases)
