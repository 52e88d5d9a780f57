/* load_labels.c: label collection shared by the file loaders (see load_labels.h): numbers or texts per row, then
 * classification with classes remapped to 0..k-1 in sorted order, or regression. Not a loader itself; tested
 * through tests/test_data_load.c (integer, -1/+1, string, forced-task and bad-label cases). */
#include "load_labels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tb_labels_parse_task(tb_spec *spec, int *force_task) {
  const char *t = NULL;
  *force_task = -1;
  tb_spec_get_str(spec, "task", &t);
  if (!t) return TB_OK;
  if (!strcmp(t, "classification")) *force_task = TB_TASK_CLASSIFICATION;
  else if (!strcmp(t, "regression")) *force_task = TB_TASK_REGRESSION;
  else return tb_error_set(TB_ERR_INVALID, "%s: task '%s' must be classification or regression", spec->kind, t);
  return TB_OK;
}

void tb_labels_init(tb_labels *lb, const char *file) {
  memset(lb, 0, sizeof *lb);
  lb->file = file;
  lb->all_numeric = lb->all_integer = 1;
}

void tb_labels_free(tb_labels *lb) {
  if (!lb) return;
  free(lb->val);
  free(lb->id);
  free(lb->arena);
  free(lb->str_off);
  free(lb->str_len);
  free(lb->table);
  free(lb->cls);
  if (lb->class_names)
    for (int i = 0; i < lb->n_classes; i++) free(lb->class_names[i]);
  free(lb->class_names);
  memset(lb, 0, sizeof *lb);
}

static int grow_rows(tb_labels *lb) {
  if (lb->n < lb->cap) return TB_OK;
  size_t cap = lb->cap ? lb->cap * 2 : 1024;
  double *v = realloc(lb->val, cap * sizeof *v);
  if (v) lb->val = v;
  int32_t *id = realloc(lb->id, cap * sizeof *id);
  if (id) lb->id = id;
  if (!v || !id) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory for %zu labels", lb->file, cap);
  lb->cap = cap;
  return TB_OK;
}

static uint32_t hash_text(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int rehash(tb_labels *lb, uint32_t cap) {
  int32_t *t = malloc(cap * sizeof *t);
  if (!t) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
  for (uint32_t i = 0; i < cap; i++) t[i] = -1;
  for (int32_t k = 0; k < lb->n_str; k++) {
    uint32_t h = hash_text(lb->arena + lb->str_off[k], lb->str_len[k]) & (cap - 1);
    while (t[h] >= 0) h = (h + 1) & (cap - 1);
    t[h] = k;
  }
  free(lb->table);
  lb->table = t;
  lb->table_cap = cap;
  return TB_OK;
}

/* Id of text in the dictionary, adding it when new; -1 when the dictionary is full. */
static int intern(tb_labels *lb, const char *s, size_t n, int32_t *out) {
  *out = -1;
  if (lb->dict_full) return TB_OK;
  if ((uint32_t)lb->n_str * 2 >= lb->table_cap) {
    int rc = rehash(lb, lb->table_cap ? lb->table_cap * 2 : 256);
    if (rc < 0) return rc;
  }
  uint32_t h = hash_text(s, n) & (lb->table_cap - 1);
  for (; lb->table[h] >= 0; h = (h + 1) & (lb->table_cap - 1)) {
    int32_t k = lb->table[h];
    if (lb->str_len[k] == n && !memcmp(lb->arena + lb->str_off[k], s, n)) {
      *out = k;
      return TB_OK;
    }
  }
  if (lb->n_str == TB_LABELS_MAX_STRINGS) {
    lb->dict_full = 1;
    return TB_OK;
  }
  if (lb->arena_len + n + 1 > lb->arena_cap) {
    size_t cap = (lb->arena_cap ? lb->arena_cap * 2 : 4096) + n + 1;
    char *a = realloc(lb->arena, cap);
    if (!a) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
    lb->arena = a;
    lb->arena_cap = cap;
  }
  if ((lb->n_str & (lb->n_str - 1)) == 0) { /* grow the per-string arrays at powers of two */
    size_t cap = lb->n_str ? (size_t)lb->n_str * 2 : 16;
    size_t *o = realloc(lb->str_off, cap * sizeof *o);
    if (o) lb->str_off = o;
    uint32_t *l = realloc(lb->str_len, cap * sizeof *l);
    if (l) lb->str_len = l;
    if (!o || !l) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
  }
  memcpy(lb->arena + lb->arena_len, s, n);
  lb->arena[lb->arena_len + n] = '\0';
  lb->str_off[lb->n_str] = lb->arena_len;
  lb->str_len[lb->n_str] = (uint32_t)n;
  lb->arena_len += n + 1;
  lb->table[h] = lb->n_str;
  *out = lb->n_str++;
  return TB_OK;
}

static int add_number(tb_labels *lb, double v, long line, const char *text) {
  if (!isfinite(v))
    return tb_error_set(TB_ERR_FORMAT, "%s:%ld: label '%s' is not a finite number", lb->file, line,
                        text ? text : (isnan(v) ? "nan" : "inf"));
  if (!(v == nearbyint(v) && fabs(v) <= 2147483647.0)) lb->all_integer = 0;
  lb->val[lb->n] = v;
  return TB_OK;
}

int tb_labels_add_text(tb_labels *lb, const char *text, size_t len, long line) {
  int rc = grow_rows(lb);
  if (rc < 0) return rc;
  if (len == 0) return tb_error_set(TB_ERR_FORMAT, "%s:%ld: empty label", lb->file, line);
  char buf[128];
  double v = NAN;
  int numeric = 0;
  if (len < sizeof buf) {
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    v = strtod(buf, &end);
    numeric = end == buf + len && end != buf;
  }
  int32_t id;
  if ((rc = intern(lb, text, len, &id)) < 0) return rc;
  lb->id[lb->n] = id;
  if (numeric) {
    if ((rc = add_number(lb, v, line, buf)) < 0) return rc;
  } else {
    lb->val[lb->n] = NAN;
    if (lb->all_numeric) lb->first_text_line = line;
    lb->all_numeric = lb->all_integer = 0;
  }
  lb->n++;
  return TB_OK;
}

int tb_labels_add_value(tb_labels *lb, double v, long line) {
  int rc = grow_rows(lb);
  if (rc < 0) return rc;
  lb->id[lb->n] = -1;
  if ((rc = add_number(lb, v, line, NULL)) < 0) return rc;
  lb->n++;
  return TB_OK;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct {
  const char *s;
  int32_t id;
} str_id;
static int cmp_str_id(const void *a, const void *b) {
  return strcmp(((const str_id *)a)->s, ((const str_id *)b)->s);
}

static int numeric_classes(tb_labels *lb) {
  int rc = TB_OK;
  double *u = malloc((lb->n + 1) * sizeof *u);
  if (!u) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
  memcpy(u, lb->val, lb->n * sizeof *u);
  qsort(u, lb->n, sizeof *u, cmp_double);
  size_t k = 0;
  for (size_t i = 0; i < lb->n; i++)
    if (k == 0 || u[i] != u[k - 1]) u[k++] = u[i];
  if (k > 1000000) TB_FAIL(TB_ERR_FORMAT, "%s: %zu distinct labels is too many classes (use task=regression)",
                           lb->file, k);
  lb->n_classes = (int)k;
  lb->cls = malloc((lb->n + 1) * sizeof *lb->cls);
  lb->class_names = calloc(k + 1, sizeof *lb->class_names);
  if (!lb->cls || !lb->class_names) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
  for (size_t i = 0; i < lb->n; i++) {
    const double *p = bsearch(&lb->val[i], u, k, sizeof *u, cmp_double);
    lb->cls[i] = (int32_t)(p - u);
  }
  /* names: the text of the first row with each value, else the value printed */
  for (size_t i = 0; i < lb->n; i++) {
    int32_t c = lb->cls[i];
    if (lb->class_names[c] || lb->id[i] < 0) continue;
    if (!(lb->class_names[c] = tb_data_strdup(lb->arena + lb->str_off[lb->id[i]]))) TB_FAIL(TB_ERR_NOMEM, "%s: out of memory", lb->file);
  }
  for (size_t c = 0; c < k; c++) {
    if (lb->class_names[c]) continue;
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", u[c]);
    if (!(lb->class_names[c] = tb_data_strdup(buf))) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
  }
done:
  free(u);
  return rc;
}

static int string_classes(tb_labels *lb) {
  int rc = TB_OK;
  str_id *order = NULL;
  int32_t *rank = NULL;
  if (lb->dict_full)
    TB_FAIL(TB_ERR_FORMAT, "%s: more than %d distinct label texts: not a classification label", lb->file,
            TB_LABELS_MAX_STRINGS);
  int32_t k = lb->n_str;
  order = malloc(((size_t)k + 1) * sizeof *order);
  rank = malloc(((size_t)k + 1) * sizeof *rank);
  lb->cls = malloc((lb->n + 1) * sizeof *lb->cls);
  lb->class_names = calloc((size_t)k + 1, sizeof *lb->class_names);
  if (!order || !rank || !lb->cls || !lb->class_names) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", lb->file);
  lb->n_classes = k;
  for (int32_t i = 0; i < k; i++) order[i] = (str_id){lb->arena + lb->str_off[i], i};
  qsort(order, (size_t)k, sizeof *order, cmp_str_id);
  for (int32_t r = 0; r < k; r++) {
    rank[order[r].id] = r;
    if (!(lb->class_names[r] = tb_data_strdup(order[r].s))) TB_FAIL(TB_ERR_NOMEM, "%s: out of memory", lb->file);
  }
  for (size_t i = 0; i < lb->n; i++) lb->cls[i] = rank[lb->id[i]];
done:
  free(order);
  free(rank);
  return rc;
}

int tb_labels_finish(tb_labels *lb, int force_task) {
  if (lb->n == 0) return tb_error_set(TB_ERR_FORMAT, "%s: no data rows", lb->file);
  if (force_task == TB_TASK_REGRESSION) {
    if (!lb->all_numeric)
      return tb_error_set(TB_ERR_FORMAT, "%s:%ld: label is not a number (task=regression needs numeric labels)",
                          lb->file, lb->first_text_line);
    lb->task = TB_TASK_REGRESSION;
    return TB_OK;
  }
  if (lb->all_numeric && (lb->all_integer || force_task == TB_TASK_CLASSIFICATION)) {
    lb->task = TB_TASK_CLASSIFICATION;
    return numeric_classes(lb);
  }
  if (lb->all_numeric) {
    lb->task = TB_TASK_REGRESSION;
    return TB_OK;
  }
  lb->task = TB_TASK_CLASSIFICATION;
  return string_classes(lb);
}

void tb_labels_store(tb_labels *lb, tb_dataset *ds) {
  if (lb->task == TB_TASK_CLASSIFICATION) {
    memcpy(ds->y_class, lb->cls, lb->n * sizeof *lb->cls);
    ds->class_names = lb->class_names;
    lb->class_names = NULL;
  } else {
    for (size_t i = 0; i < lb->n; i++) ds->y_value[i] = (float)lb->val[i];
  }
}
