/* options.c: typed, range-checked name=value options (tb_options.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tb_options.h"

int tb_options_init(tb_options *o, const char *kind, const char *owner, int n, const char *const *names,
                    const char *const *values) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->owner = owner;
  if (n <= 0) return TB_OK;
  o->names = calloc((size_t)n, sizeof *o->names);
  o->values = calloc((size_t)n, sizeof *o->values);
  o->used = calloc((size_t)n, 1);
  if (!o->names || !o->values || !o->used) {
    tb_options_free(o);
    return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  }
  o->n = n;
  for (int i = 0; i < n; i++) {
    o->names[i] = strdup(names[i] ? names[i] : "");
    o->values[i] = strdup(values[i] ? values[i] : "");
    if (!o->names[i] || !o->values[i]) {
      tb_options_free(o);
      return tb_error_set(TB_ERR_NOMEM, "out of host memory");
    }
  }
  return TB_OK;
}

void tb_options_free(tb_options *o) {
  for (int i = 0; i < o->n; i++) {
    if (o->names) free(o->names[i]);
    if (o->values) free(o->values[i]);
  }
  free(o->names);
  free(o->values);
  free(o->used);
  o->names = o->values = NULL;
  o->used = NULL;
  o->n = 0;
}

static int find(tb_options *o, const char *name) {
  for (int i = 0; i < o->n; i++)
    if (!strcmp(o->names[i], name)) {
      o->used[i] = 1;
      return i;
    }
  return -1;
}

int tb_options_double(tb_options *o, const char *name, double lo, double hi, double *out) {
  int i = find(o, name);
  if (i < 0) return TB_OK;
  char *end;
  double v = strtod(o->values[i], &end);
  if (end == o->values[i] || *end || !isfinite(v))
    return tb_error_set(TB_ERR_INVALID, "%s %s: option %s = '%s' is not a number", o->kind, o->owner, name,
                        o->values[i]);
  if (v < lo || v > hi)
    return tb_error_set(TB_ERR_INVALID, "%s %s: option %s = %g is outside [%g, %g]", o->kind, o->owner, name, v, lo,
                        hi);
  *out = v;
  return TB_OK;
}

int tb_options_long(tb_options *o, const char *name, long lo, long hi, long *out) {
  int i = find(o, name);
  if (i < 0) return TB_OK;
  char *end;
  long v = strtol(o->values[i], &end, 10);
  if (end == o->values[i] || *end)
    return tb_error_set(TB_ERR_INVALID, "%s %s: option %s = '%s' is not an integer", o->kind, o->owner, name,
                        o->values[i]);
  if (v < lo || v > hi)
    return tb_error_set(TB_ERR_INVALID, "%s %s: option %s = %ld is outside %ld..%ld", o->kind, o->owner, name, v,
                        lo, hi);
  *out = v;
  return TB_OK;
}

int tb_options_enum(tb_options *o, const char *name, const char *allowed, int *out) {
  int i = find(o, name);
  if (i < 0) return TB_OK;
  const char *p = allowed, *v = o->values[i];
  size_t vl = strlen(v);
  for (int k = 0; *p; k++) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == vl && !strncmp(p, v, len)) {
      *out = k;
      return TB_OK;
    }
    p += len + (bar ? 1 : 0);
  }
  return tb_error_set(TB_ERR_INVALID, "%s %s: option %s = '%s' is not one of %s", o->kind, o->owner, name, v,
                      allowed);
}

int tb_options_check_unused(const tb_options *o, const char *allowed) {
  for (int i = 0; i < o->n; i++)
    if (!o->used[i])
      return tb_error_set(TB_ERR_INVALID, "%s %s: unknown option '%s' (options: %s)", o->kind, o->owner,
                          o->names[i], allowed && *allowed ? allowed : "none");
  return TB_OK;
}
