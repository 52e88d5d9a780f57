/* tb_test.h: the one helper every CUnit test program uses. A test file defines its tests, lists them in a
 * tb_test_case table ({name, function}, ended by {NULL, NULL}) and ends with TB_TEST_MAIN("suite name", table). Exit
 * status: 0 all passed, 1 a failure, 77 skipped (CTest's SKIP_RETURN_CODE; used when a test needs a GPU that is not
 * there). */
#ifndef TB_TEST_H
#define TB_TEST_H
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>

#include "tb_error.h"

typedef struct {
  const char *name;
  void (*fn)(void);
} tb_test_case;

/* Asserts rc == TB_OK, printing the error detail when it is not. */
#define TB_CHECK_OK(expr)                                                                        \
  do {                                                                                           \
    int rc_ = (expr);                                                                            \
    if (rc_ != TB_OK) fprintf(stderr, "\n%s:%d: %s -> %d (%s): %s\n", __FILE__, __LINE__, #expr, rc_, \
                              tb_strerror(rc_), tb_error_detail());                              \
    CU_ASSERT_EQUAL_FATAL(rc_, TB_OK);                                                           \
  } while (0)

/* Runs every case of `cases` (terminated by {NULL, NULL}); returns the process exit status. */
static inline int tb_test_run(const char *suite_name, const tb_test_case *cases) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
  for (const tb_test_case *c = cases; c->name; c++) CU_add_test(s, c->name, c->fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}

#define TB_TEST_MAIN(suite_name, cases) \
  int main(void) { return tb_test_run(suite_name, cases); }

/* A whole file's bytes (malloc'ed, NUL-terminated; *n its size); the test stops when it cannot be read. */
static inline char *tb_test_file_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = (char *)malloc((size_t)len + 1);
  CU_ASSERT_FATAL(b && fread(b, 1, (size_t)len, f) == (size_t)len);
  fclose(f);
  b[len] = 0;
  *n = (size_t)len;
  return b;
}

/* Exits the test program as skipped (77) with a reason, e.g. when no GPU is present. */
static inline void tb_test_skip(const char *why) {
  printf("SKIPPED: %s\n", why);
  exit(77);
}
#endif
