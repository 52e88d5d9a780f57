/* spec.c: SPEC strings, "kind[:path][?key=value&key=value]", shared by every dataset source (tb_data.h).
 * "gen:NAME" kinds keep their generator name in the kind. Unknown or unread keys are reported by
 * tb_spec_check_unused. Tested by tests/test_data_spec.c. */
#include "data_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dup_range(const char *a, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, a, n);
  s[n] = '\0';
  return s;
}

int tb_spec_parse(const char *text, tb_spec *out) {
  int rc = TB_OK;
  memset(out, 0, sizeof *out);
  if (!text || !*text) return tb_error_set(TB_ERR_INVALID, "empty dataset SPEC");
  const char *q = strchr(text, '?');
  size_t head_len = q ? (size_t)(q - text) : strlen(text);
  const char *colon = memchr(text, ':', head_len);
  if (colon && !strncmp(text, "gen:", 4)) {
    out->kind = dup_range(text, head_len);
  } else if (colon) {
    out->kind = dup_range(text, (size_t)(colon - text));
    out->path = dup_range(colon + 1, head_len - (size_t)(colon - text) - 1);
    if (out->path && !out->path[0]) TB_FAIL(TB_ERR_INVALID, "SPEC '%s': missing path after '%.*s:'", text,
                                            (int)(colon - text), text);
  } else {
    out->kind = dup_range(text, head_len);
  }
  if (!out->kind || (colon && !strncmp(text, "gen:", 4) ? 0 : (colon && !out->path)))
    TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  if (!out->kind[0]) TB_FAIL(TB_ERR_INVALID, "SPEC '%s': missing source kind before ':'", text);
  if (q) {
    const char *p = q + 1;
    if (!*p) TB_FAIL(TB_ERR_INVALID, "SPEC '%s': nothing after '?' (expected key=value&key=value)", text);
    while (*p) {
      const char *amp = strchr(p, '&');
      size_t len = amp ? (size_t)(amp - p) : strlen(p);
      const char *eq = memchr(p, '=', len);
      if (!eq || eq == p)
        TB_FAIL(TB_ERR_INVALID, "SPEC '%s': '%.*s' is not key=value", text, (int)len, p);
      if (out->n_keys == TB_SPEC_MAX_KEYS) TB_FAIL(TB_ERR_INVALID, "SPEC '%s': more than %d keys", text,
                                                  TB_SPEC_MAX_KEYS);
      char *key = dup_range(p, (size_t)(eq - p));
      char *val = dup_range(eq + 1, len - (size_t)(eq - p) - 1);
      out->keys[out->n_keys] = key;
      out->vals[out->n_keys] = val;
      out->n_keys++;
      if (!key || !val) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
      for (int i = 0; i < out->n_keys - 1; i++)
        if (!strcmp(out->keys[i], key)) TB_FAIL(TB_ERR_INVALID, "SPEC '%s': key '%s' given twice", text, key);
      p += len;
      if (*p == '&' && !*++p) TB_FAIL(TB_ERR_INVALID, "SPEC '%s': trailing '&' with no key=value after it", text);
    }
  }
done:
  if (rc < 0) tb_spec_free(out);
  return rc;
}

void tb_spec_free(tb_spec *s) {
  if (!s) return;
  free(s->kind);
  free(s->path);
  for (int i = 0; i < s->n_keys; i++) {
    free(s->keys[i]);
    free(s->vals[i]);
  }
  memset(s, 0, sizeof *s);
}

static int find_key(tb_spec *s, const char *key) {
  for (int i = 0; i < s->n_keys; i++)
    if (!strcmp(s->keys[i], key)) {
      s->used[i] = 1;
      return i;
    }
  return -1;
}

int tb_spec_get_str(tb_spec *s, const char *key, const char **out) {
  int i = find_key(s, key);
  if (i >= 0) *out = s->vals[i];
  return TB_OK;
}

int tb_spec_get_long(tb_spec *s, const char *key, long lo, long hi, long *out) {
  int i = find_key(s, key);
  if (i < 0) return TB_OK;
  char *end;
  errno = 0;
  long v = strtol(s->vals[i], &end, 10);
  if (errno || end == s->vals[i] || *end)
    return tb_error_set(TB_ERR_INVALID, "%s: key '%s' = '%s' is not an integer", s->kind, key, s->vals[i]);
  if (v < lo || v > hi)
    return tb_error_set(TB_ERR_RANGE, "%s: key '%s' = %ld is outside %ld..%ld", s->kind, key, v, lo, hi);
  *out = v;
  return TB_OK;
}

int tb_spec_get_double(tb_spec *s, const char *key, double lo, double hi, double *out) {
  int i = find_key(s, key);
  if (i < 0) return TB_OK;
  char *end;
  errno = 0;
  double v = strtod(s->vals[i], &end);
  if (errno || end == s->vals[i] || *end || !isfinite(v))
    return tb_error_set(TB_ERR_INVALID, "%s: key '%s' = '%s' is not a number", s->kind, key, s->vals[i]);
  if (v < lo || v > hi)
    return tb_error_set(TB_ERR_RANGE, "%s: key '%s' = %g is outside [%g, %g]", s->kind, key, v, lo, hi);
  *out = v;
  return TB_OK;
}

int tb_spec_check_unused(const tb_spec *s, const char *allowed) {
  for (int i = 0; i < s->n_keys; i++)
    if (!s->used[i])
      return tb_error_set(TB_ERR_INVALID, "%s: unknown key '%s' (allowed: %s%smissing)", s->kind, s->keys[i],
                          allowed ? allowed : "", allowed && *allowed ? ", " : "");
  return TB_OK;
}
