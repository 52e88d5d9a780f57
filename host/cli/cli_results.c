/* cli_results.c: `tunebench inspect FILE.h5`, `tunebench export FILE.h5 --format csv|json [--table T] [--out P]`
 * (the store's benchmark, `bench store`, is in cli_bench_store.c). Reads files with host/h5.c only (SWMR: works
 * while a study runs). Not here: the layout (store_h5.c). Tested by tests/test_cli_results.c. */
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_store.h"

static int table_of(const char *name, const char *exp, char *path, size_t n) {
  if (!strcmp(name, "memory")) return snprintf(path, n, "/memory"), 1;
  if (strcmp(name, "trials") && strcmp(name, "curves") && strcmp(name, "lineage") && strcmp(name, "pareto")) return 0;
  snprintf(path, n, "/experiments/%s/%s", exp, name);
  return 1;
}

static void csv_str(FILE *o, const char *s) {
  if (!strpbrk(s, ",\"\n")) {
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

/* Writes one table. CSV: a header, then rows (with an "experiment" first column); JSON: one array of objects. */
static int export_table(tb_h5_file *f, const char *path, const char *exp, int json, FILE *o, int *first) {
  int nc, rc = TB_OK;
  tb_h5_col *cols;
  size_t n;
  TB_TRY(tb_h5_table_columns(f, path, &nc, &cols, &n));
  void **data = calloc((size_t)nc, sizeof *data);
  for (int c = 0; data && c < nc; c++) {
    data[c] = calloc(n + 1, 8);
    if (!data[c]) rc = tb_error_set(TB_ERR_NOMEM, "out of host memory");
    else if ((rc = tb_h5_table_read_col(f, path, cols[c].name, cols[c].type, n, data[c])) < 0) break;
  }
  if (!data) rc = tb_error_set(TB_ERR_NOMEM, "out of host memory");
  if (rc == TB_OK && !json && *first) {
    fputs(exp ? "experiment" : "", o);
    for (int c = 0; c < nc; c++) fprintf(o, "%s%s", c || exp ? "," : "", cols[c].name);
    fputc('\n', o);
  }
  for (size_t r = 0; rc == TB_OK && r < n; r++) {
    if (json) fprintf(o, "%s\n  {", *first ? "" : ","), *first = 0;
    if (exp) json ? (fputs("\"experiment\": ", o), json_str(o, exp)) : csv_str(o, exp);
    for (int c = 0; c < nc; c++) {
      if (json) fprintf(o, "%s", c || exp ? ", " : ""), json_str(o, cols[c].name), fputs(": ", o);
      else if (c || exp) fputc(',', o);
      switch (cols[c].type) {
      case TB_H5_STR: json ? json_str(o, ((char **)data[c])[r]) : csv_str(o, ((char **)data[c])[r]); break;
      case TB_H5_I64: fprintf(o, "%lld", (long long)((int64_t *)data[c])[r]); break;
      case TB_H5_U64: fprintf(o, "%llu", (unsigned long long)((uint64_t *)data[c])[r]); break;
      default: num(o, ((double *)data[c])[r], json); break;
      }
    }
    fputs(json ? "}" : "\n", o);
  }
  if (!json) *first = 0;
  for (int c = 0; data && c < nc; c++) {
    for (size_t r = 0; cols[c].type == TB_H5_STR && data[c] && r < n; r++) free(((char **)data[c])[r]);
    free(data[c]);
  }
  free(data);
  tb_h5_cols_free(cols, nc);
done:
  return rc;
}

static int export_cmd(int argc, char **argv) {
  const char *file = NULL, *fmt = NULL, *table = "trials", *out = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--format") && i + 1 < argc) fmt = argv[++i];
    else if (!strcmp(argv[i], "--table") && i + 1 < argc) table = argv[++i];
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (!file && argv[i][0] != '-') file = argv[i];
    else return tb_cli_usage_error("export", "unexpected argument '%s'%s", argv[i],
                                   argv[i][0] == '-' && i + 1 == argc ? " (missing value?)" : "");
  }
  int json = fmt && !strcmp(fmt, "json");
  char probe[256];
  if (!file) return tb_cli_usage_error("export", "which results file? (FILE.h5)");
  if (!fmt) return tb_cli_usage_error("export", "--format is required (csv or json)");
  if (!json && strcmp(fmt, "csv")) return tb_cli_usage_error("export", "--format '%s': csv or json", fmt);
  if (!table_of(table, "x", probe, sizeof probe))
    return tb_cli_usage_error("export", "--table '%s': trials, curves, lineage, pareto or memory", table);
  tb_h5_file *f;
  int rc = tb_h5_open_live(file, &f);
  if (rc < 0) return tb_cli_fail(rc, "export");
  char **exps = NULL;
  size_t ne = 0;
  FILE *o = out ? fopen(out, "w") : stdout;
  if (!o) rc = tb_error_set(TB_ERR_IO, "%s: cannot write: %s", out, strerror(errno));
  if (rc == TB_OK) rc = tb_h5_children(f, "/experiments", &exps, &ne);
  int first = 1;
  if (json && rc == TB_OK) fputc('[', o);
  int study_level = !strcmp(table, "memory");
  for (size_t e = 0; rc == TB_OK && e < (study_level ? 1 : ne); e++) {
    char path[256];
    table_of(table, exps[e], path, sizeof path);
    rc = export_table(f, path, study_level ? NULL : exps[e], json, o, &first);
  }
  if (json && rc == TB_OK) fputs("\n]\n", o);
  if (o && o != stdout && fclose(o) && rc == TB_OK) rc = tb_error_set(TB_ERR_IO, "%s: write failed", out);
  tb_h5_strs_free(exps, ne);
  tb_h5_close(f);
  return rc < 0 ? tb_cli_fail(rc, "export") : TB_EXIT_OK;
}

static int inspect_cmd(int argc, char **argv) {
  if (argc != 1) return tb_cli_usage_error("inspect", "one results file (FILE.h5), got %d arguments", argc);
  tb_h5_file *f;
  int rc = tb_h5_open_live(argv[0], &f);
  if (rc < 0) return tb_cli_fail(rc, "inspect");
  char *fmt = NULL, *name = NULL, *device = NULL, **exps = NULL;
  size_t ne = 0;
  double complete = 0;
  if ((rc = tb_h5_attr_read_str(f, "/", "format", &fmt)) < 0 || strcmp(fmt, "tunebench-results"))
    rc = tb_error_set(TB_ERR_FORMAT, "%s: not a tunebench results file", argv[0]);
  if (rc == TB_OK) rc = tb_h5_attr_read_str(f, "/", "suite_name", &name);
  if (rc == TB_OK) rc = tb_h5_attr_read_str(f, "/", "device", &device);
  if (rc == TB_OK) rc = tb_h5_attr_read_f64(f, "/", "complete", &complete, 1, NULL);
  if (rc == TB_OK) rc = tb_h5_children(f, "/experiments", &exps, &ne);
  if (rc == TB_OK) printf("study %s on %s: %s, %zu experiment%s\n", name, device,
                          complete == 1 ? "complete" : "not complete (running or interrupted: resume it)", ne,
                          ne == 1 ? "" : "s");
  for (size_t e = 0; rc == TB_OK && e < ne; e++) {
    char tp[256], pp[256], **dirs = NULL, **objs = NULL;
    size_t nd = 0, no = 0, n = 0, np = 0;
    int nc;
    tb_h5_col *cols;
    snprintf(tp, sizeof tp, "/experiments/%s/trials", exps[e]);
    snprintf(pp, sizeof pp, "/experiments/%s/pareto", exps[e]);
    if ((rc = tb_h5_table_columns(f, pp, &nc, &cols, &np)) < 0) break;
    tb_h5_cols_free(cols, nc);
    if ((rc = tb_h5_table_columns(f, tp, &nc, &cols, &n)) < 0) break;
    tb_h5_cols_free(cols, nc);
    char **strat = calloc(n + 1, sizeof *strat), **status = calloc(n + 1, sizeof *status), obj[80];
    double *v = calloc(n + 1, sizeof *v);
    int64_t *id = calloc(n + 1, sizeof *id);
    snprintf(pp, sizeof pp, "/experiments/%s", exps[e]);
    if (!strat || !status || !v || !id) rc = tb_error_set(TB_ERR_NOMEM, "out of host memory");
    if (rc == TB_OK) rc = tb_h5_attr_read_strs(f, pp, "objectives", &objs, &no);
    if (rc == TB_OK) rc = tb_h5_attr_read_strs(f, pp, "objective_directions", &dirs, &nd);
    if (rc == TB_OK) snprintf(obj, sizeof obj, "obj_%s", no ? objs[0] : "");
    if (rc == TB_OK) rc = tb_h5_table_read_col(f, tp, "strategy", TB_H5_STR, n, strat);
    if (rc == TB_OK) rc = tb_h5_table_read_col(f, tp, "status", TB_H5_STR, n, status);
    if (rc == TB_OK) rc = tb_h5_table_read_col(f, tp, obj, TB_H5_F64, n, v);
    if (rc == TB_OK) rc = tb_h5_table_read_col(f, tp, "id", TB_H5_I64, n, id);
    if (rc == TB_OK) {
      printf("\nexperiment %s: %zu trials, pareto rows %zu\n", exps[e], n, np);
      for (int s = 0; s < TB_TRIAL_N_STATUS; s++) {
        size_t k = 0;
        for (size_t r = 0; r < n; r++) k += !strcmp(status[r], tb_trial_status_name((tb_trial_status)s));
        if (k) printf("  %-12s %zu\n", tb_trial_status_name((tb_trial_status)s), k);
      }
      int max = nd && !strcmp(dirs[0], "maximize");
      for (size_t r = 0; r < n; r++) { /* best complete trial per strategy, by the first objective */
        int seen = 0, best = 1;
        for (size_t q = 0; q < n; q++) {
          if (strcmp(strat[q], strat[r]) || strcmp(status[q], "complete") || isnan(v[q])) continue;
          if (q < r) seen = 1;
          if (max ? v[q] > v[r] : v[q] < v[r]) best = 0;
        }
        if (!seen && best && !strcmp(status[r], "complete") && !isnan(v[r]))
          printf("  best %-16s trial %lld  %s = %.6g\n", strat[r], (long long)id[r], obj + 4, v[r]);
      }
    }
    for (size_t r = 0; r < n; r++) free(strat && strat[r] ? strat[r] : NULL), free(status && status[r] ? status[r] : NULL);
    free(strat), free(status), free(v), free(id);
    tb_h5_strs_free(objs, no), tb_h5_strs_free(dirs, nd);
  }
  free(fmt), free(name), free(device);
  tb_h5_strs_free(exps, ne);
  tb_h5_close(f);
  return rc < 0 ? tb_cli_fail(rc, "inspect") : TB_EXIT_OK;
}

int tb_cli_results(const char *cmd, int argc, char **argv) {
  return !strcmp(cmd, "inspect") ? inspect_cmd(argc, argv) : export_cmd(argc, argv);
}
