/* load_csv.c: the csv:PATH[?label=COL&header=1&task=...] source. One pass over the file with getline, fields split
 * in place (RFC 4180 basics: quoted fields with the delimiter or "" inside, CRLF, blank lines skipped), numbers
 * parsed with strtof, no allocation per cell. The delimiter is ',' unless the first record has more unquoted ';' or
 * tabs. Features must be numbers (an empty cell is an error naming line:column, columns counted from 1; "nan" is a
 * missing value, refused or kept by the SPEC's missing= policy; an infinite value, "inf" or a number beyond the
 * float range such as 1e400, is refused); the label column may hold numbers or strings (load_labels.h decides the
 * task). Without header=, the first record is a header when label=NAME names one of its cells or when one of its
 * feature cells is not a number (a data row with such a cell would be an error anyway).
 * Not here: quoted fields spanning several lines (reported as an unterminated quote). Tested by
 * tests/test_data_load.c. */
#include "load_labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *s;    /* NUL-terminated in the line buffer */
  size_t len;
} field;

typedef struct {
  const char *path;
  FILE *f;
  char *line;
  size_t line_cap;
  field *fv;
  int fv_cap;
  long line_no;
  char delim;
} csv_reader;

static int is_space(char c, char delim) { return c == ' ' || (c == '\t' && delim != '\t'); }

/* The delimiter of the first record: the most frequent unquoted ',', ';' or tab (',' on ties or none). */
static char detect_delim(const char *s) {
  size_t n_comma = 0, n_semi = 0, n_tab = 0;
  int quoted = 0;
  for (; *s; s++) {
    if (*s == '"') quoted = !quoted;
    else if (!quoted) n_comma += *s == ',', n_semi += *s == ';', n_tab += *s == '\t';
  }
  if (n_semi > n_comma && n_semi >= n_tab) return ';';
  if (n_tab > n_comma && n_tab > n_semi) return '\t';
  return ',';
}

/* Splits r->line in place into r->fv; sets *nf. */
static int split_fields(csv_reader *r, int *nf) {
  char *p = r->line, d = r->delim;
  int n = 0;
  for (;;) {
    while (is_space(*p, d)) p++;
    field fd;
    char c;
    if (*p == '"') {
      char *q = p + 1, *w = p + 1;
      for (;;) {
        if (!*q)
          return tb_error_set(TB_ERR_FORMAT, "%s:%ld:%d: unterminated quoted field", r->path, r->line_no, n + 1);
        if (*q == '"') {
          if (q[1] != '"') break;
          q++;
        }
        *w++ = *q++;
      }
      q++; /* past the closing quote */
      while (is_space(*q, d)) q++;
      if (*q && *q != d)
        return tb_error_set(TB_ERR_FORMAT, "%s:%ld:%d: text after the closing quote of a quoted field", r->path,
                            r->line_no, n + 1);
      fd.s = p + 1;
      fd.len = (size_t)(w - (p + 1));
      c = *q;
      *w = '\0';
      p = q;
    } else {
      char *start = p;
      while (*p && *p != d) p++;
      char *end = p;
      while (end > start && is_space(end[-1], d)) end--;
      c = *p;
      *end = '\0';
      fd.s = start;
      fd.len = (size_t)(end - start);
    }
    if (n == r->fv_cap) {
      int cap = r->fv_cap ? r->fv_cap * 2 : 64;
      field *v = realloc(r->fv, (size_t)cap * sizeof *v);
      if (!v) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", r->path);
      r->fv = v;
      r->fv_cap = cap;
    }
    r->fv[n++] = fd;
    if (c != d) break;
    p++;
  }
  *nf = n;
  return TB_OK;
}

/* Reads the next non-blank line into r->line without its line end; *got = 0 at end of file. */
static int next_line(csv_reader *r, int *got) {
  ssize_t len;
  *got = 0;
  while ((len = getline(&r->line, &r->line_cap, r->f)) >= 0) {
    r->line_no++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r')) r->line[--len] = '\0';
    char *s = r->line;
    if (r->line_no == 1 && !strncmp(s, "\xEF\xBB\xBF", 3)) memmove(s, s + 3, (size_t)len - 2); /* UTF-8 BOM */
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) continue;
    *got = 1;
    return TB_OK;
  }
  if (ferror(r->f)) return tb_error_set(TB_ERR_IO, "%s:%ld: read error: %s", r->path, r->line_no + 1, strerror(errno));
  return TB_OK;
}

/* 1 when the first record (r->fv[0..n_fields)) reads as a header: label=NAME is one of its cells, or a cell outside
 * the label column (the last one when label is not given) is not a number. */
static int looks_like_header(const csv_reader *r, int n_fields, const char *label) {
  int label_col = n_fields - 1;
  if (label) {
    char *end;
    long v = strtol(label, &end, 10);
    for (int j = 0; j < n_fields; j++)
      if (!strcmp(r->fv[j].s, label)) return 1;
    label_col = *label && !*end && v >= 0 && v < n_fields ? (int)v : -1;
  }
  for (int j = 0; j < n_fields; j++) {
    if (j == label_col) continue;
    char *end;
    strtof(r->fv[j].s, &end);
    if (!r->fv[j].len || end != r->fv[j].s + r->fv[j].len) return 1;
  }
  return 0;
}

/* Column index of the label from the key value (name or 0-based index); NULL = last column. */
static int find_label(const csv_reader *r, int n_fields, int header, const char *label, int *col) {
  if (!label) {
    *col = n_fields - 1;
    return TB_OK;
  }
  if (header)
    for (int j = 0; j < n_fields; j++)
      if (!strcmp(r->fv[j].s, label)) {
        *col = j;
        return TB_OK;
      }
  char *end;
  errno = 0;
  long v = strtol(label, &end, 10);
  if (*label && !*end && !errno && v >= 0 && v < n_fields) {
    *col = (int)v;
    return TB_OK;
  }
  if (!header)
    return tb_error_set(TB_ERR_NOT_FOUND, "%s: label column '%s' not found: %s", r->path, label,
                        *label && !*end ? "index outside the columns" : "the file has no header (add header=1 to "
                                                                        "name columns)");
  char list[400];
  size_t off = 0;
  list[0] = '\0';
  for (int j = 0; j < n_fields && off + 8 < sizeof list; j++)
    off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", j ? ", " : "", r->fv[j].s);
  if (off >= sizeof list) strcpy(list + sizeof list - 5, "...");
  return tb_error_set(TB_ERR_NOT_FOUND, "%s: label column '%s' not found (columns: %s)", r->path, label, list);
}

static int copy_header(const csv_reader *r, int n_fields, int label_col, char ***names) {
  *names = calloc((size_t)n_fields, sizeof **names);
  if (!*names) return tb_error_set(TB_ERR_NOMEM, "%s: out of host memory", r->path);
  for (int j = 0, k = 0; j < n_fields; j++) {
    if (j == label_col) continue;
    char buf[32];
    snprintf(buf, sizeof buf, "f%d", k);
    if (!((*names)[k++] = tb_data_strdup(r->fv[j].len ? r->fv[j].s : buf))) return TB_ERR_NOMEM;
  }
  return TB_OK;
}

int tb_load_csv(tb_spec *spec, tb_dataset **out) {
  int rc = TB_OK;
  csv_reader r = {.path = spec->path};
  tb_labels lb;
  tb_labels_init(&lb, spec->path);
  tb_dataset *ds = NULL;
  char **names = NULL;
  float *X = NULL;
  size_t n_rows = 0, cap_rows = 0;
  int n_fields = 0, n_cols = 0, label_col = -1, force_task;
  long header = -1; /* -1: not given, detected from the first record */
  tb_missing missing;
  const char *label = NULL;
  *out = NULL;
  if (!spec->path) TB_FAIL(TB_ERR_INVALID, "csv: missing file name (csv:PATH)");
  TB_TRY(tb_spec_get_long(spec, "header", 0, 1, &header));
  TB_TRY(tb_spec_get_missing(spec, &missing));
  TB_TRY(tb_spec_get_str(spec, "label", &label));
  TB_TRY(tb_labels_parse_task(spec, &force_task));
  TB_TRY(tb_spec_check_unused(spec, "label, header, task"));
  if (!(r.f = fopen(r.path, "r"))) TB_FAIL(TB_ERR_IO, "%s: cannot open: %s", r.path, strerror(errno));

  for (;;) {
    int got, nf = 0;
    TB_TRY(next_line(&r, &got));
    if (!got) break;
    if (!r.delim) r.delim = detect_delim(r.line);
    TB_TRY(split_fields(&r, &nf));
    if (!n_fields) { /* first record: the shape, the label column, maybe the names */
      n_fields = nf;
      if (header < 0) header = looks_like_header(&r, n_fields, label);
      TB_TRY(find_label(&r, n_fields, (int)header, label, &label_col));
      n_cols = n_fields - 1;
      if (n_cols < 1) TB_FAIL(TB_ERR_FORMAT, "%s:%ld: only one column (the label): no features", r.path, r.line_no);
      if (header) {
        TB_TRY(copy_header(&r, n_fields, label_col, &names));
        continue;
      }
    }
    if (nf != n_fields)
      TB_FAIL(TB_ERR_FORMAT, "%s:%ld: %d fields, expected %d", r.path, r.line_no, nf, n_fields);
    if (n_rows == cap_rows) {
      cap_rows = cap_rows ? cap_rows * 2 : 1024;
      float *x = realloc(X, (cap_rows * (size_t)n_cols + 1) * sizeof *x);
      if (!x) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory for %zu rows", r.path, cap_rows);
      X = x;
    }
    float *row = X + n_rows * (size_t)n_cols;
    for (int j = 0; j < n_fields; j++) {
      const field *fd = &r.fv[j];
      if (j == label_col) {
        if (!fd->len) TB_FAIL(TB_ERR_FORMAT, "%s:%ld:%d: empty label cell", r.path, r.line_no, j + 1);
        TB_TRY(tb_labels_add_text(&lb, fd->s, fd->len, r.line_no));
        continue;
      }
      if (!fd->len) TB_FAIL(TB_ERR_FORMAT, "%s:%ld:%d: empty cell (write nan for a missing value)", r.path,
                            r.line_no, j + 1);
      char *end;
      float v = strtof(fd->s, &end);
      if (end != fd->s + fd->len)
        TB_FAIL(TB_ERR_FORMAT, "%s:%ld:%d: '%.40s' is not a number%s", r.path, r.line_no, j + 1, fd->s,
                n_rows == 0 && !header ? " (if this line holds column names, add header=1)" : "");
      TB_TRY(tb_data_check_cell(v, missing, r.path, r.line_no, j + 1));
      *row++ = v;
    }
    n_rows++;
  }
  if (!n_fields) TB_FAIL(TB_ERR_FORMAT, "%s: empty file", r.path);
  if (!n_rows) TB_FAIL(TB_ERR_FORMAT, "%s: no data rows after the header", r.path);
  TB_TRY(tb_labels_finish(&lb, force_task));
  TB_TRY(tb_dataset_alloc(n_rows, n_cols, lb.task, lb.n_classes, spec->path, &ds));
  free(ds->X);
  ds->X = realloc(X, (n_rows * (size_t)n_cols + 1) * sizeof *X); /* shrinking: cannot fail in practice */
  if (!ds->X) ds->X = X;
  X = NULL;
  tb_labels_store(&lb, ds);
  ds->feature_names = names;
  names = NULL;
  *out = ds;
  ds = NULL;
done:
  if (names)
    for (int j = 0; j < n_cols; j++) free(names[j]);
  free(names);
  free(X);
  free(r.line);
  free(r.fv);
  if (r.f) fclose(r.f);
  tb_labels_free(&lb);
  tb_dataset_free(ds);
  return rc;
}
