/* cli_export.c: the body of `tunebench export`: one table of every experiment as one well-formed CSV (a header of
 * the union of the experiments' columns in first-seen order, an `experiment` column first, an empty cell where an
 * experiment lacks a column: suites with two learners have different parameters) or one JSON array of row
 * objects. Categorical parameters, fixed ones too, are written as their labels (the trials table's choices_<name>
 * attributes); trials rows (one per configuration) carry their own compute_units and compute_seconds; curves and
 * rungs rows get the strategy and repetition of their trial; u64 seeds are strings in JSON (a double cannot hold them).
 * Not here: the arguments (cli_results.c). Tested by tests/test_cli_results.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tb_error.h"
#include "tb_h5.h"

typedef struct xcol {
  tb_h5_col c;         /* name (owned by the table's cols), type */
  void *data;          /* n values of c.type (STR: char * each, owned) */
  char **labels;       /* categorical labels (F64 parameter columns), or NULL */
  size_t n_labels;
} xcol;

typedef struct xtab {
  const char *exp;     /* experiment name, NULL for the study-level memory table */
  size_t n;
  int nc;
  tb_h5_col *cols;
  xcol *x;
  char **strat;         /* curves: the strategy of each row's trial (owned strings, "" unknown) */
  int64_t *rep;         /* curves: the repetition (-1 unknown) */
} xtab;

static void xtab_free(xtab *t) {
  for (int c = 0; t->x && c < t->nc; c++) {
    for (size_t r = 0; t->x[c].c.type == TB_H5_STR && t->x[c].data && r < t->n; r++) free(((char **)t->x[c].data)[r]);
    free(t->x[c].data);
    tb_h5_strs_free(t->x[c].labels, t->x[c].n_labels);
  }
  for (size_t r = 0; t->strat && r < t->n; r++) free(t->strat[r]);
  free(t->x), free(t->strat), free(t->rep);
  tb_h5_cols_free(t->cols, t->nc);
  memset(t, 0, sizeof *t);
}

static int col_of(const xtab *t, const char *name) {
  for (int c = 0; c < t->nc; c++)
    if (!strcmp(t->cols[c].name, name)) return c;
  return -1;
}

/* Reads table `table` of experiment exp (or /memory) with labels and derived columns. */
static int xtab_read(tb_h5_file *f, const char *table, const char *exp, xtab *t) {
  char path[320], tpath[320];
  int rc = TB_OK;
  memset(t, 0, sizeof *t);
  t->exp = exp;
  if (exp) snprintf(path, sizeof path, "/experiments/%s/%s", exp, table);
  else snprintf(path, sizeof path, "/memory");
  TB_TRY(tb_h5_table_columns(f, path, &t->nc, &t->cols, &t->n));
  if (!(t->x = calloc((size_t)t->nc + 1, sizeof *t->x))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  for (int c = 0; c < t->nc; c++) {
    xcol *x = &t->x[c];
    x->c = t->cols[c];
    if (!(x->data = calloc(t->n + 1, 8))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
    TB_TRY(tb_h5_table_read_col(f, path, x->c.name, x->c.type, t->n, x->data));
    if (exp && !strcmp(table, "trials") && x->c.type == TB_H5_F64 && !strncmp(x->c.name, "param_", 6)) {
      char an[160];
      snprintf(an, sizeof an, "choices_%s", x->c.name + 6);
      if (tb_h5_attr_read_strs(f, path, an, &x->labels, &x->n_labels) < 0) x->labels = NULL, x->n_labels = 0;
      tb_error_clear(); /* no such attribute: a numeric parameter */
    }
  }
  if (exp && (!strcmp(table, "curves") || !strcmp(table, "rungs")) && col_of(t, "trial") >= 0) {
    xtab tr;
    snprintf(tpath, sizeof tpath, "trials");
    TB_TRY(xtab_read(f, tpath, exp, &tr));
    int ti = col_of(&tr, "id"), ts = col_of(&tr, "strategy"), trp = col_of(&tr, "repetition");
    t->strat = calloc(t->n + 1, sizeof *t->strat), t->rep = calloc(t->n + 1, sizeof *t->rep);
    if (!t->strat || !t->rep) rc = tb_error_set(TB_ERR_NOMEM, "out of host memory");
    const int64_t *trial = t->x[col_of(t, "trial")].data;
    for (size_t r = 0; rc == TB_OK && r < t->n; r++) {
      t->rep[r] = -1;
      for (size_t q = 0; ti >= 0 && ts >= 0 && trp >= 0 && q < tr.n && !t->strat[r]; q++)
        if (((int64_t *)tr.x[ti].data)[q] == trial[r])
          t->strat[r] = strdup(((char **)tr.x[ts].data)[q]), t->rep[r] = ((int64_t *)tr.x[trp].data)[q];
      if (!t->strat[r] && !(t->strat[r] = strdup(""))) rc = tb_error_set(TB_ERR_NOMEM, "out of host memory");
    }
    xtab_free(&tr);
  }
done:
  return rc;
}

static void csv_str(FILE *o, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, o);
    return;
  }
  fputc('"', o);
  for (; *s; s++) {
    if (*s == '"') fputc('"', o);
    fputc(*s, o);
  }
  fputc('"', o);
}
static void json_str(FILE *o, const char *s) {
  fputc('"', o);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(o, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(o, "\\u%04x", *s);
    else fputc(*s, o);
  }
  fputc('"', o);
}
static void num(FILE *o, double v, int json) {
  if (isfinite(v)) fprintf(o, "%.17g", v);
  else fputs(json ? "null" : (isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"), o);
}

/* One cell: column c of row r (NULL x: the experiment lacks the column). */
static void cell(FILE *o, const xcol *x, size_t r, int json) {
  if (!x) {
    if (json) fputs("null", o);
    return;
  }
  switch (x->c.type) {
  case TB_H5_STR: json ? json_str(o, ((char **)x->data)[r]) : csv_str(o, ((char **)x->data)[r]); break;
  case TB_H5_I64: fprintf(o, "%lld", (long long)((int64_t *)x->data)[r]); break;
  case TB_H5_U64: fprintf(o, json ? "\"%llu\"" : "%llu", (unsigned long long)((uint64_t *)x->data)[r]); break;
  default: {
    double v = ((double *)x->data)[r];
    if (x->labels && isfinite(v) && v >= 0 && v < (double)x->n_labels && v == floor(v))
      json ? json_str(o, x->labels[(size_t)v]) : csv_str(o, x->labels[(size_t)v]);
    else if (x->labels && isnan(v) && !json) /* an inactive categorical: an empty cell */;
    else num(o, v, json);
  }
  }
}

int tb_cli_export_tables(tb_h5_file *f, const char *table, char **exps, size_t ne, int json, FILE *o) {
  int study_level = !strcmp(table, "memory"), rc = TB_OK, nt = study_level ? 1 : (int)ne, nu = 0;
  xtab *t = calloc((size_t)nt + 1, sizeof *t);
  const char **uni = NULL; /* the union of column names, first seen first */
  if (!t) return tb_error_set(TB_ERR_NOMEM, "out of host memory");
  for (int e = 0; e < nt; e++) TB_TRY(xtab_read(f, table, study_level ? NULL : exps[e], &t[e]));
  size_t cap = 1;
  for (int e = 0; e < nt; e++) cap += (size_t)t[e].nc;
  if (!(uni = calloc(cap, sizeof *uni))) TB_FAIL(TB_ERR_NOMEM, "out of host memory");
  for (int e = 0; e < nt; e++)
    for (int c = 0; c < t[e].nc; c++) {
      int seen = 0;
      for (int u = 0; u < nu && !seen; u++) seen = !strcmp(uni[u], t[e].cols[c].name);
      if (!seen) uni[nu++] = t[e].cols[c].name;
    }
  int derived = !strcmp(table, "curves") || !strcmp(table, "rungs");
  static const char *const extra[2] = {"strategy", "repetition"};
  if (!json) {
    fputs(study_level ? "" : "experiment", o);
    for (int u = 0; u < nu; u++) fprintf(o, "%s%s", u || !study_level ? "," : "", uni[u]);
    for (int k = 0; derived && k < 2; k++) fprintf(o, ",%s", extra[k]);
    fputc('\n', o);
  } else {
    fputc('[', o);
  }
  int first = 1;
  for (int e = 0; e < nt; e++)
    for (size_t r = 0; r < t[e].n; r++) {
      if (json) fprintf(o, "%s\n  {", first ? "" : ","), first = 0;
      if (!study_level) json ? (fputs("\"experiment\": ", o), json_str(o, t[e].exp)) : csv_str(o, t[e].exp);
      for (int u = 0; u < nu; u++) {
        int c = col_of(&t[e], uni[u]);
        if (json && c < 0) continue; /* JSON: a key only where the experiment has the column */
        if (json) fprintf(o, "%s", u || !study_level ? ", " : ""), json_str(o, uni[u]), fputs(": ", o);
        else if (u || !study_level) fputc(',', o);
        cell(o, c >= 0 ? &t[e].x[c] : NULL, r, json);
      }
      for (int k = 0; derived && k < 2; k++) {
        if (json) fputs(", ", o), json_str(o, extra[k]), fputs(": ", o);
        else fputc(',', o);
        if (k == 0) t[e].strat ? (json ? json_str(o, t[e].strat[r]) : csv_str(o, t[e].strat[r]))
                                    : (void)fputs(json ? "null" : "", o);
        else fprintf(o, "%lld", (long long)(t[e].rep ? t[e].rep[r] : -1));
      }
      fputs(json ? "}" : "\n", o);
    }
  if (json) fputs("\n]\n", o);
done:
  for (int e = 0; e < nt; e++) xtab_free(&t[e]);
  free(t), free(uni);
  return rc;
}
