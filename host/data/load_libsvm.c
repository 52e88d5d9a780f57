/* load_libsvm.c: the libsvm:PATH[?task=...] source: lines "label idx:val idx:val ..." with 1-based ascending indices
 * ('#' starts a comment, blank lines are skipped). The sparse entries are collected in one pass, then written into
 * the dense float matrix with n_cols = the largest index. Labels are numbers: all integers give classification with
 * classes remapped in sorted order (-1/+1 -> 0/1), otherwise regression (load_labels.h). A value "nan" is a missing
 * value (the SPEC's missing= policy), an infinite one is refused naming line:column (the value's byte); an absent
 * index is 0, not missing. Not here: qid: ranking tokens, multi-label lines. Tested by tests/test_data_load.c. */
#include "load_labels.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TB_LIBSVM_MAX_FEATURES (1 << 20) /* 1,048,576: the rows become dense */

typedef struct {
  uint32_t col; /* 0-based */
  float val;
} entry;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

int tb_load_libsvm(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  const char *path = spec->path;
  FILE *f = NULL;
  char *line = NULL;
  size_t line_cap = 0, n_rows = 0, rows_cap = 0, n_ent = 0, ent_cap = 0;
  size_t *row_end = NULL; /* entries of row i are [row_end[i-1], row_end[i]) */
  entry *ent = NULL;
  long line_no = 0, max_col = 0;
  int force_task;
  tb_labels lb;
  tb_labels_init(&lb, path);
  tb_dataset *ds = NULL;
  *out = NULL;
  if (!path) TB_FAIL(TB_ERR_INVALID, "libsvm: missing file name (libsvm:PATH)");
  tb_missing missing;
  TB_TRY(tb_labels_parse_task(spec, &force_task));
  TB_TRY(tb_spec_get_missing(spec, &missing));
  TB_TRY(tb_spec_check_unused(spec, "task"));
  if (!(f = fopen(path, "r"))) TB_FAIL(TB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));

  ssize_t len;
  while ((len = getline(&line, &line_cap, f)) >= 0) {
    line_no++;
    char *hash = memchr(line, '#', (size_t)len);
    if (hash) *hash = '\0';
    char *p = line;
    while (is_blank(*p) || *p == '\n' || *p == '\r') p++;
    if (!*p) continue;
    /* label */
    char *lab = p;
    while (*p && !is_blank(*p) && *p != '\n' && *p != '\r') p++;
    size_t lab_len = (size_t)(p - lab);
    char c = *p, *end;
    *p = '\0';
    strtod(lab, &end);
    if (end != p) TB_FAIL(TB_ERR_FORMAT, "%s:%ld: label '%.40s' is not a number", path, line_no, lab);
    TB_TRY(tb_labels_add_text(&lb, lab, lab_len, line_no));
    *p = c;
    /* index:value pairs */
    long prev = 0;
    for (;;) {
      while (is_blank(*p) || *p == '\n' || *p == '\r') p++;
      if (!*p) break;
      char *tok = p;
      errno = 0;
      long idx = strtol(tok, &end, 10);
      if (end == tok || *end != ':') {
        char *e = tok;
        while (*e && !is_blank(*e) && *e != '\n' && *e != '\r') e++;
        TB_FAIL(TB_ERR_FORMAT, "%s:%ld: bad token '%.*s' (expected index:value)", path, line_no,
                (int)(e - tok > 40 ? 40 : e - tok), tok);
      }
      if (idx <= 0) TB_FAIL(TB_ERR_FORMAT, "%s:%ld: index %ld (indices start at 1)", path, line_no, idx);
      if (errno || idx > INT_MAX - 1) TB_FAIL(TB_ERR_FORMAT, "%s:%ld: index %.20s is too large", path, line_no, tok);
      /* the rows become dense: one index of 10^9 made a 4 GB row (fuzz_libsvm found it) */
      if (idx > TB_LIBSVM_MAX_FEATURES)
        TB_FAIL(TB_ERR_RANGE, "%s:%ld: index %ld: the learners take dense rows of at most %d features", path,
                line_no, idx, TB_LIBSVM_MAX_FEATURES);
      if (idx <= prev)
        TB_FAIL(TB_ERR_FORMAT, "%s:%ld: index %ld after %ld (indices must ascend)", path, line_no, idx, prev);
      char *v = end + 1, *vend;
      float val = strtof(v, &vend);
      if (vend == v || (*vend && !is_blank(*vend) && *vend != '\n' && *vend != '\r')) {
        char *e = v;
        while (*e && !is_blank(*e) && *e != '\n' && *e != '\r') e++;
        TB_FAIL(TB_ERR_FORMAT, "%s:%ld: value '%.*s' of index %ld is not a number", path, line_no,
                (int)(e - v > 40 ? 40 : e - v), v, idx);
      }
      TB_TRY(tb_data_check_cell(val, missing, path, line_no, (long)(v - line) + 1)); /* column: the value's byte */
      if (n_ent == ent_cap) {
        ent_cap = ent_cap ? ent_cap * 2 : 4096;
        entry *e = realloc(ent, ent_cap * sizeof *e);
        if (!e) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", path);
        ent = e;
      }
      ent[n_ent++] = (entry){(uint32_t)(idx - 1), val};
      prev = idx;
      if (idx > max_col) max_col = idx;
      p = vend;
    }
    if (n_rows == rows_cap) {
      rows_cap = rows_cap ? rows_cap * 2 : 1024;
      size_t *r = realloc(row_end, rows_cap * sizeof *r);
      if (!r) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", path);
      row_end = r;
    }
    row_end[n_rows++] = n_ent;
  }
  if (ferror(f)) TB_FAIL(TB_ERR_IO, "%s:%ld: read error: %s", path, line_no + 1, strerror(errno));
  if (!n_rows) TB_FAIL(TB_ERR_FORMAT, "%s: empty file (no data lines)", path);
  if (!max_col) TB_FAIL(TB_ERR_FORMAT, "%s: no features (no index:value pair on any line)", path);
  TB_TRY(tb_labels_finish(&lb, force_task));
  TB_TRY(tb_dataset_alloc(n_rows, (int)max_col, lb.task, lb.n_classes, path, &ds));
  for (size_t i = 0, k = 0; i < n_rows; i++) /* X is zeroed by tb_dataset_alloc */
    for (; k < row_end[i]; k++) ds->X[i * (size_t)max_col + ent[k].col] = ent[k].val;
  tb_labels_store(&lb, ds);
  *out = ds;
  ds = NULL;
done:
  free(line);
  free(row_end);
  free(ent);
  if (f) fclose(f);
  tb_labels_free(&lb);
  tb_dataset_free(ds);
  return rc;
}
