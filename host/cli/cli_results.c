/* cli_results.c: `tunebench inspect FILE.h5`, `tunebench export FILE.h5 --format csv|json [--table T] [--out P]`
 * (the store's benchmark, `bench store`, is in cli_bench_store.c; the export's tables are written by
 * cli_export.c). Reads files with host/data/h5.c only (SWMR: works while a study runs). Not here: the layout
 * (store_h5.c). Tested by tests/test_cli_results.c. */
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
  if (strcmp(name, "trials") && strcmp(name, "rungs") && strcmp(name, "curves") && strcmp(name, "lineage") &&
      strcmp(name, "pareto"))
    return 0;
  snprintf(path, n, "/experiments/%s/%s", exp, name);
  return 1;
}

/* TB_OK when f is a results file of this build's format version; else an error naming both versions. */
static int check_format(tb_h5_file *f, const char *path) {
  char *fmt = NULL;
  double v = 0;
  int rc = tb_h5_attr_read_str(f, "/", "format", &fmt);
  if (rc < 0 || strcmp(fmt, "tunebench-results")) rc = tb_error_set(TB_ERR_FORMAT, "%s: not a tunebench results file", path);
  else if (tb_h5_attr_read_f64(f, "/", "format_version", &v, 1, NULL) < 0 || v != TB_STORE_FORMAT_VERSION)
    rc = tb_error_set(TB_ERR_FORMAT,
                      "%s: results format version %g; this tunebench reads version %d (one trials row per "
                      "configuration, rung evaluations in a rungs table): re-run the study to write it anew",
                      path, v, TB_STORE_FORMAT_VERSION);
  free(fmt);
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
    return tb_cli_usage_error("export", "--table '%s': trials, rungs, curves, lineage, pareto or memory", table);
  tb_h5_file *f;
  int rc = tb_h5_open_live(file, &f);
  if (rc < 0) return tb_cli_fail(rc, "export");
  char **exps = NULL;
  size_t ne = 0;
  FILE *o = NULL;
  if ((rc = check_format(f, file)) == TB_OK && !(o = out ? fopen(out, "w") : stdout))
    rc = tb_error_set(TB_ERR_IO, "%s: cannot write: %s", out, strerror(errno));
  if (rc == TB_OK) rc = tb_h5_children(f, "/experiments", &exps, &ne);
  if (rc == TB_OK) rc = tb_cli_export_tables(f, table, exps, ne, json, o); /* cli_export.c */
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
  char *name = NULL, *device = NULL, **exps = NULL;
  size_t ne = 0;
  double complete = 0;
  rc = check_format(f, argv[0]);
  if (rc == TB_OK) rc = tb_h5_attr_read_str(f, "/", "suite_name", &name);
  if (rc == TB_OK) rc = tb_h5_attr_read_str(f, "/", "device", &device);
  if (rc == TB_OK) rc = tb_h5_attr_read_f64(f, "/", "complete", &complete, 1, NULL);
  if (rc == TB_OK) rc = tb_h5_children(f, "/experiments", &exps, &ne);
  if (rc == TB_OK) printf("study %s on %s: %s, %zu experiment%s\n", name, device,
                          complete == 1 ? "complete" : "not complete (running or interrupted: resume it)", ne,
                          ne == 1 ? "" : "s");
  for (size_t e = 0; rc == TB_OK && e < ne; e++) {
    char tp[256], pp[256], **dirs = NULL, **objs = NULL;
    size_t nd = 0, no = 0, n = 0, np = 0, ng = 0;
    int nc;
    tb_h5_col *cols;
    snprintf(tp, sizeof tp, "/experiments/%s/trials", exps[e]);
    snprintf(pp, sizeof pp, "/experiments/%s/pareto", exps[e]);
    if ((rc = tb_h5_table_columns(f, pp, &nc, &cols, &np)) < 0) break;
    tb_h5_cols_free(cols, nc);
    snprintf(pp, sizeof pp, "/experiments/%s/rungs", exps[e]);
    if ((rc = tb_h5_table_columns(f, pp, &nc, &cols, &ng)) < 0) break;
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
      printf("\nexperiment %s: %zu trials (configurations), %zu rung evaluations, pareto rows %zu\n", exps[e], n, ng,
             np);
      for (int s = 0; s < TB_TRIAL_N_STATUS; s++) {
        size_t k = 0;
        for (size_t r = 0; r < n; r++) k += !strcmp(status[r], tb_trial_status_name((tb_trial_status)s));
        if (k) printf("  %-12s %zu\n", tb_trial_status_name((tb_trial_status)s), k);
      }
      int max = nd && !strcmp(dirs[0], "maximize");
      for (size_t r = 0; r < n; r++) { /* each strategy once (its first row): its best complete trial */
        int seen = 0;
        for (size_t q = 0; q < r && !seen; q++) seen = !strcmp(strat[q], strat[r]);
        if (seen) continue;
        long b = -1;
        for (size_t q = r; q < n; q++)
          if (!strcmp(strat[q], strat[r]) && !strcmp(status[q], "complete") && !isnan(v[q]) &&
              (b < 0 || (max ? v[q] > v[b] : v[q] < v[b])))
            b = (long)q;
        if (b >= 0) printf("  best %-16s trial %lld  %s = %.6g\n", strat[r], (long long)id[b], obj + 4, v[b]);
        else printf("  best %-16s none (no complete trial with a value)\n", strat[r]);
      }
    }
    for (size_t r = 0; r < n; r++) free(strat && strat[r] ? strat[r] : NULL), free(status && status[r] ? status[r] : NULL);
    free(strat), free(status), free(v), free(id);
    tb_h5_strs_free(objs, no), tb_h5_strs_free(dirs, nd);
  }
  free(name), free(device);
  tb_h5_strs_free(exps, ne);
  tb_h5_close(f);
  return rc < 0 ? tb_cli_fail(rc, "inspect") : TB_EXIT_OK;
}

int tb_cli_results(const char *cmd, int argc, char **argv) {
  return !strcmp(cmd, "inspect") ? inspect_cmd(argc, argv) : export_cmd(argc, argv);
}
