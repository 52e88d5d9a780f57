/* error.c: the error-code table and the per-thread detail of the last failure (see tb_error.h).
 * Tested by tests/test_error.c. */
#include "tb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TB_DETAIL_MAX 1024

static _Thread_local char tb_detail[TB_DETAIL_MAX];
static _Thread_local int tb_detail_code;

const char *tb_strerror(int rc) {
  switch (rc) {
  case TB_OK: return "ok";
  case TB_ERR_NOMEM: return "out of host memory";
  case TB_ERR_INVALID: return "invalid argument";
  case TB_ERR_IO: return "input/output error";
  case TB_ERR_FORMAT: return "malformed input";
  case TB_ERR_OOM: return "out of memory";
  case TB_ERR_DEVICE: return "device error";
  case TB_ERR_DEVICE_FATAL: return "fatal device error";
  case TB_ERR_UNSUPPORTED: return "not supported";
  case TB_ERR_NOT_FOUND: return "not found";
  case TB_ERR_RANGE: return "value out of range";
  case TB_ERR_EXHAUSTED: return "exhausted";
  case TB_ERR_INTERRUPTED: return "interrupted";
  default: return "unknown error";
  }
}

int tb_error_set(int rc, const char *fmt, ...) {
  /* Format into a local buffer first: callers may pass tb_error_detail() itself as an argument
   * ("%s: %s", path, tb_error_detail()), and vsnprintf with an overlapping source is undefined. */
  char msg[TB_DETAIL_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  memcpy(tb_detail, msg, sizeof tb_detail);
  tb_detail_code = rc;
  return rc;
}

int tb_error_prefix(int rc, const char *fmt, ...) {
  char prefix[TB_DETAIL_MAX], old[TB_DETAIL_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, tb_detail, sizeof old);
  const char *rest = old[0] ? old : tb_strerror(rc);
  snprintf(tb_detail, sizeof tb_detail, "%.*s%.*s", 511, prefix, 511, rest);
  tb_detail_code = rc;
  return rc;
}

const char *tb_error_detail(void) { return tb_detail; }

int tb_error_code(void) { return tb_detail[0] ? tb_detail_code : TB_OK; }

void tb_error_clear(void) {
  tb_detail[0] = '\0';
  tb_detail_code = TB_OK;
}

int tb_error_trace(int rc, const char *file, int line, const char *expr) {
  if (!tb_detail[0] || tb_detail_code != rc)
    tb_error_set(rc, "%s:%d: %s failed: %s", file, line, expr, tb_strerror(rc));
  return rc;
}
