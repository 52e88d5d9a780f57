/* suite_yaml.c: typed access to libfyaml nodes for the suite parser: scalars as strings, numbers, booleans, sizes
 * and durations, key checks with "did you mean", and errors that name file:line:column and the key.
 * Not here: what the keys mean (suite.c, suite_sections.c, suite_space.c). Tested by tests/test_suite.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite_impl.h"
#include "tb_error.h"

tb_suite_loc tb_sx_loc(struct fy_node *n) {
  tb_suite_loc l = {0, 0};
  void *it = NULL;
  for (int depth = 0; n && depth < 64; depth++) {
    if (fy_node_is_scalar(n)) {
      struct fy_token *t = fy_node_get_scalar_token(n);
      const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
      if (m) l.line = m->line + 1, l.col = m->column + 1;
      return l;
    }
    it = NULL;
    if (fy_node_is_mapping(n)) {
      struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
      n = p ? fy_node_pair_key(p) : NULL;
    } else if (fy_node_is_sequence(n)) {
      n = fy_node_sequence_iterate(n, &it);
    } else {
      return l;
    }
  }
  return l;
}

int tb_sx_fail(const tb_sx *c, struct fy_node *n, const char *key, int rc, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  tb_suite_loc l = tb_sx_loc(n);
  if (!l.line) l.line = 1, l.col = 1;
  if (key && *key) return tb_error_set(rc, "%s:%d:%d: %s: %s", c->path, l.line, l.col, key, msg);
  return tb_error_set(rc, "%s:%d:%d: %s", c->path, l.line, l.col, msg);
}

void tb_sx_join(const char *const *names, char *buf, size_t len) {
  size_t k = 0;
  buf[0] = '\0';
  for (int i = 0; names && names[i] && k < len; i++)
    k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", names[i]);
}

static const char *type_name(struct fy_node *n) {
  if (!n) return "nothing";
  if (fy_node_is_mapping(n)) return "a mapping";
  if (fy_node_is_sequence(n)) return "a list";
  return "a scalar";
}

int tb_sx_need_map(const tb_sx *c, struct fy_node *n, const char *key) {
  if (n && fy_node_is_mapping(n)) return TB_OK;
  return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected a mapping (key: value lines), got %s", type_name(n));
}

int tb_sx_need_seq(const tb_sx *c, struct fy_node *n, const char *key) {
  if (n && fy_node_is_sequence(n)) return TB_OK;
  return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected a list (- item lines or [a, b]), got %s", type_name(n));
}

int tb_sx_check_keys(const tb_sx *c, struct fy_node *map, const char *key, const char *const *allowed) {
  int rc = tb_sx_need_map(c, map, key);
  if (rc < 0) return rc;
  void *it = NULL;
  struct fy_node_pair *p;
  char list[512];
  while ((p = fy_node_mapping_iterate(map, &it))) {
    struct fy_node *k = fy_node_pair_key(p);
    size_t n = 0;
    const char *t = k && fy_node_is_scalar(k) ? fy_node_get_scalar(k, &n) : NULL;
    char name[128];
    if (!t) return tb_sx_fail(c, k, key, TB_ERR_INVALID, "keys must be plain words");
    snprintf(name, sizeof name, "%.*s", (int)(n < 127 ? n : 127), t);
    int found = 0;
    for (int i = 0; allowed[i] && !found; i++) found = !strcmp(allowed[i], name);
    if (found) continue;
    const char *near = tb_suite_closest(name, allowed);
    tb_sx_join(allowed, list, sizeof list);
    char full[256];
    snprintf(full, sizeof full, "%s%s%s", key && *key ? key : "", key && *key ? "." : "", name);
    if (near)
      return tb_sx_fail(c, k, full, TB_ERR_INVALID, "unknown key '%s' (did you mean '%s'?; allowed: %s)", name, near,
                     list);
    return tb_sx_fail(c, k, full, TB_ERR_INVALID, "unknown key '%s' (allowed: %s)", name, list);
  }
  return TB_OK;
}

struct fy_node *tb_sx_get(struct fy_node *map, const char *name) {
  if (!map || !fy_node_is_mapping(map)) return NULL;
  return fy_node_mapping_lookup_by_string(map, name, strlen(name));
}

/* The scalar text (not NUL-terminated) or an error naming what was expected. */
static int scalar(const tb_sx *c, struct fy_node *n, const char *key, const char *what, const char **t, size_t *len) {
  if (!n || !fy_node_is_scalar(n))
    return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected %s, got %s", what, type_name(n));
  *t = fy_node_get_scalar(n, len);
  if (!*t) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected %s", what);
  return TB_OK;
}

static int plain(struct fy_node *n) {
  enum fy_node_style st = fy_node_get_style(n);
  return st == FYNS_PLAIN || st == FYNS_ANY;
}

int tb_sx_str(const tb_sx *c, struct fy_node *n, const char *key, char **out) {
  const char *t;
  size_t len;
  int rc = scalar(c, n, key, "a string", &t, &len);
  if (rc < 0) return rc;
  if (!len) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "empty value");
  *out = malloc(len + 1);
  if (!*out) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  memcpy(*out, t, len);
  (*out)[len] = '\0';
  return TB_OK;
}

/* A plain scalar copied into buf (numbers, booleans). */
static int plain_text(const tb_sx *c, struct fy_node *n, const char *key, const char *what, char *buf, size_t cap) {
  const char *t;
  size_t len;
  int rc = scalar(c, n, key, what, &t, &len);
  if (rc < 0) return rc;
  if (!plain(n))
    return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected %s, got the quoted string \"%.*s\" (remove the quotes)",
                   what, (int)(len < 64 ? len : 64), t);
  if (!len || len >= cap) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected %s, got '%.*s'", what,
                                         (int)(len < 64 ? len : 64), t);
  memcpy(buf, t, len);
  buf[len] = '\0';
  return TB_OK;
}

int tb_sx_double(const tb_sx *c, struct fy_node *n, const char *key, double lo, double hi, double *out) {
  char buf[64], *end;
  int rc = plain_text(c, n, key, "a number", buf, sizeof buf);
  if (rc < 0) return rc;
  errno = 0;
  double v = strtod(buf, &end);
  if (end == buf || *end || errno == ERANGE || !isfinite(v))
    return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected a number, got '%s'", buf);
  if (v < lo || v > hi) return tb_sx_fail(c, n, key, TB_ERR_RANGE, "%s is outside [%g, %g]", buf, lo, hi);
  *out = v;
  return TB_OK;
}

int tb_sx_long(const tb_sx *c, struct fy_node *n, const char *key, long lo, long hi, long *out) {
  char buf[64], *end;
  int rc = plain_text(c, n, key, "an integer", buf, sizeof buf);
  if (rc < 0) return rc;
  errno = 0;
  long v = strtol(buf, &end, 10);
  if (end == buf || *end || errno == ERANGE) {
    double d = strtod(buf, &end); /* 1e3 is an integer too */
    if (end == buf || *end || d != floor(d) || fabs(d) > 9e15)
      return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected an integer, got '%s'", buf);
    v = (long)d;
  }
  if (v < lo || v > hi) return tb_sx_fail(c, n, key, TB_ERR_RANGE, "%s is outside [%ld, %ld]", buf, lo, hi);
  *out = v;
  return TB_OK;
}

int tb_sx_bool(const tb_sx *c, struct fy_node *n, const char *key, int *out) {
  char buf[16];
  int rc = plain_text(c, n, key, "true or false", buf, sizeof buf);
  if (rc < 0) return rc;
  if (!strcmp(buf, "true") || !strcmp(buf, "yes") || !strcmp(buf, "on")) *out = 1;
  else if (!strcmp(buf, "false") || !strcmp(buf, "no") || !strcmp(buf, "off")) *out = 0;
  else return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected true or false, got '%s'", buf);
  return TB_OK;
}

int tb_sx_word(const tb_sx *c, struct fy_node *n, const char *key, const char *what, const char *const *names, char **out) {
  char *w = NULL, list[512];
  int rc = tb_sx_str(c, n, key, &w);
  if (rc < 0) return rc;
  for (int i = 0; names[i]; i++)
    if (!strcmp(names[i], w)) {
      *out = w;
      return TB_OK;
    }
  tb_sx_join(names, list, sizeof list);
  const char *near = tb_suite_closest(w, names);
  if (near) rc = tb_sx_fail(c, n, key, TB_ERR_NOT_FOUND, "unknown %s '%s' (did you mean '%s'?; allowed: %s)", what, w,
                         near, list);
  else rc = tb_sx_fail(c, n, key, TB_ERR_NOT_FOUND, "unknown %s '%s' (allowed: %s)", what, w, list);
  free(w);
  return rc;
}

/* Splits "1.5GiB" into 1.5 and "GiB"; the number must be finite and >= 0. */
static int number_unit(const tb_sx *c, struct fy_node *n, const char *key, const char *what, double *v, char *unit,
                       size_t cap) {
  const char *t;
  size_t len;
  char buf[64], *end;
  int rc = scalar(c, n, key, what, &t, &len);
  if (rc < 0) return rc;
  if (!len || len >= sizeof buf) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected %s", what);
  memcpy(buf, t, len);
  buf[len] = '\0';
  errno = 0;
  *v = strtod(buf, &end);
  if (end == buf || errno == ERANGE || !isfinite(*v) || *v < 0)
    return tb_sx_fail(c, n, key, TB_ERR_INVALID, "expected %s, got '%s'", what, buf);
  while (*end == ' ') end++;
  snprintf(unit, cap, "%s", end);
  return TB_OK;
}

int tb_sx_bytes(const tb_sx *c, struct fy_node *n, const char *key, size_t *out) {
  static const char *units[] = {"", "B", "KB", "KiB", "MB", "MiB", "GB", "GiB", "TB", "TiB", NULL};
  static const double mult[] = {1, 1, 1e3, 1024., 1e6, 1048576., 1e9, 1073741824., 1e12, 1099511627776.};
  const char *what = "a size (bytes, or with a unit: 512MiB, 2GB)";
  double v;
  char unit[16];
  int rc = number_unit(c, n, key, what, &v, unit, sizeof unit);
  if (rc < 0) return rc;
  for (int i = 0; units[i]; i++)
    if (!strcmp(units[i], unit)) {
      double b = v * mult[i];
      if (b > 9e18) return tb_sx_fail(c, n, key, TB_ERR_RANGE, "size too large");
      *out = (size_t)b;
      return TB_OK;
    }
  char list[128];
  tb_sx_join(units + 1, list, sizeof list);
  return tb_sx_fail(c, n, key, TB_ERR_INVALID, "unknown size unit '%s' (allowed: %s)", unit, list);
}

int tb_sx_seconds(const tb_sx *c, struct fy_node *n, const char *key, double *out) {
  static const char *units[] = {"", "s", "m", "min", "h", NULL};
  static const double mult[] = {1, 1, 60, 60, 3600};
  double v;
  char unit[16];
  int rc = number_unit(c, n, key, "a duration (seconds, or 90s, 10m, 2h)", &v, unit, sizeof unit);
  if (rc < 0) return rc;
  for (int i = 0; units[i]; i++)
    if (!strcmp(units[i], unit)) {
      *out = v * mult[i];
      return TB_OK;
    }
  return tb_sx_fail(c, n, key, TB_ERR_INVALID, "unknown duration unit '%s' (allowed: s, m, min, h)", unit);
}

/* ---- duplicate keys ------------------------------------------------------------------------------------------
 * libfyaml's own duplicate-key check compares each new key with every earlier one of its mapping (quadratic: a
 * 10 MB suite took over an hour), so the parser runs with FYPCF_ALLOW_DUPLICATE_KEYS and this pass sorts each
 * mapping's keys instead: O(n log n) per mapping. The error names the earliest repeated key of the file. */
typedef struct {
  const char *text;
  size_t len;
  tb_suite_loc loc;
} key_ref;

static int loc_cmp(tb_suite_loc a, tb_suite_loc b) {
  return a.line != b.line ? (a.line < b.line ? -1 : 1) : (a.col > b.col) - (a.col < b.col);
}

static int key_cmp(const void *pa, const void *pb) {
  const key_ref *a = pa, *b = pb;
  size_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->text, b->text, n) : 0;
  if (c) return c;
  if (a->len != b->len) return a->len < b->len ? -1 : 1;
  return loc_cmp(a->loc, b->loc);
}

/* Walks n (depth-bounded by the parser's nesting limit); *worst: the earliest second occurrence so far. */
static int dup_walk(struct fy_node *n, int depth, key_ref *worst, key_ref *first) {
  if (!n || depth > 256) return TB_OK;
  void *it = NULL;
  if (fy_node_is_sequence(n)) {
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(n, &it)))
      if (dup_walk(item, depth + 1, worst, first) < 0) return TB_ERR_NOMEM;
    return TB_OK;
  }
  if (!fy_node_is_mapping(n)) return TB_OK;
  int cnt = fy_node_mapping_item_count(n), k = 0;
  key_ref *keys = cnt > 0 ? malloc((size_t)cnt * sizeof *keys) : NULL;
  if (cnt > 0 && !keys) return TB_ERR_NOMEM;
  struct fy_node_pair *p;
  while ((p = fy_node_mapping_iterate(n, &it))) {
    struct fy_node *key = fy_node_pair_key(p);
    if (dup_walk(fy_node_pair_value(p), depth + 1, worst, first) < 0) {
      free(keys);
      return TB_ERR_NOMEM;
    }
    size_t len = 0;
    const char *t = key && fy_node_is_scalar(key) ? fy_node_get_scalar(key, &len) : NULL;
    if (!t || k >= cnt) continue; /* complex keys are refused later ("keys must be plain words") */
    keys[k++] = (key_ref){t, len, tb_sx_loc(key)};
  }
  if (k > 1) qsort(keys, (size_t)k, sizeof *keys, key_cmp); /* never qsort(NULL, 0): UBSan (fuzz_suite) */
  for (int i = 1; i < k; i++)
    if (keys[i].len == keys[i - 1].len && !memcmp(keys[i].text, keys[i - 1].text, keys[i].len) &&
        (!worst->text || loc_cmp(keys[i].loc, worst->loc) < 0)) {
      int j = i - 1; /* the first occurrence: the start of this run of equal keys */
      while (j > 0 && keys[j - 1].len == keys[i].len && !memcmp(keys[j - 1].text, keys[i].text, keys[i].len)) j--;
      *worst = keys[i], *first = keys[j];
    }
  free(keys);
  return TB_OK;
}

int tb_sx_check_duplicates(const tb_sx *c, struct fy_node *root) {
  key_ref worst = {NULL, 0, {0, 0}}, first = {NULL, 0, {0, 0}};
  if (dup_walk(root, 0, &worst, &first) < 0) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  if (!worst.text) return TB_OK;
  return tb_error_set(TB_ERR_FORMAT, "%s:%d:%d: not valid YAML: duplicate key '%.*s' (first at line %d, column %d)",
                      c->path, worst.loc.line, worst.loc.col, (int)(worst.len < 64 ? worst.len : 64), worst.text,
                      first.loc.line, first.loc.col);
}
