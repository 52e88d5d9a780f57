/* tb_error.h: one table of error codes for all of libtunebench, and the detail of the last failure.
 *
 * Library code never prints or exits: a fallible function returns TB_OK (0) or a negative TB_ERR_* code and
 * records a human-readable detail (what, where, how to fix) with tb_error_set(); the caller reads it with
 * tb_error_detail(). The detail is per thread, so concurrent trials do not overwrite each other's messages.
 * Only main() of the CLI turns codes into exit statuses. Tested by tests/test_error.c.
 */
#ifndef TB_ERROR_H
#define TB_ERROR_H
#include "tb_api.h"
#include <assert.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  TB_OK = 0,
  TB_ERR_NOMEM = -1,        /* host allocation failed */
  TB_ERR_INVALID = -2,      /* invalid argument or configuration (user input) */
  TB_ERR_IO = -3,           /* a file could not be opened, read or written */
  TB_ERR_FORMAT = -4,       /* malformed file contents (the detail names file and line) */
  TB_ERR_OOM = -5,          /* device or budget out of memory: recoverable, the trial is marked oom */
  TB_ERR_DEVICE = -6,       /* a device call failed but the context is still usable */
  TB_ERR_DEVICE_FATAL = -7, /* sticky device error (illegal address...): the process must restart */
  TB_ERR_UNSUPPORTED = -8,  /* not available in this build or on this device (e.g. CUDA not built) */
  TB_ERR_NOT_FOUND = -9,    /* unknown name (learner, key, dataset, column) */
  TB_ERR_RANGE = -10,       /* a value out of its allowed range */
  TB_ERR_EXHAUSTED = -11,   /* nothing left to do (grid exhausted) */
  TB_ERR_INTERRUPTED = -12, /* stopped by a signal or a user request */
};

/* Short fixed text for a code ("out of memory"); never NULL. */
TB_API const char *tb_strerror(int rc);

/* Records rc with a printf-style detail for this thread and returns rc (so: return tb_error_set(...)). */
TB_API int tb_error_set(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current detail with more context ("csv:data.csv: " + detail); returns rc. */
TB_API int tb_error_prefix(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detail recorded by the last failing call on this thread, or "" if none. Valid until the next set. */
TB_API const char *tb_error_detail(void);

/* The code recorded with the detail (TB_OK when none). */
TB_API int tb_error_code(void);

TB_API void tb_error_clear(void);

/* Used by TB_TRY: records "file:line: expr failed" only if the failing callee left no detail. */
TB_API int tb_error_trace(int rc, const char *file, int line, const char *expr);

/* TB_TRY(expr): run a fallible call; on failure keep rc and jump to the function's single `done:` label.
 * The enclosing function declares `int rc = TB_OK;`. */
#define TB_TRY(expr)                                                   \
  do {                                                                 \
    rc = (expr);                                                       \
    if (rc < 0) {                                                      \
      rc = tb_error_trace(rc, __FILE__, __LINE__, #expr);              \
      goto done;                                                       \
    }                                                                  \
  } while (0)

/* TB_FAIL(code, fmt, ...): record a detail and jump to done. */
#define TB_FAIL(code, ...)                                             \
  do {                                                                 \
    rc = tb_error_set((code), __VA_ARGS__);                            \
    goto done;                                                         \
  } while (0)

/* Programmer errors only: never for user input or device failures. */
#define TB_ASSERT(cond) assert(cond)

#ifdef __cplusplus
}
#endif
#endif
