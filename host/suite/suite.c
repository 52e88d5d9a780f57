/* suite.c: reading a suite file: libfyaml parses it (syntax errors keep libfyaml's line and column), then the top
 * level (name, budget, seeds, jobs, device, memory, report) is read here and the sections in suite_sections.c;
 * the experiments of the study (learner x dataset, functions, the command) are listed from the result.
 * Not here: running anything. Tested by tests/test_suite.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite_impl.h"
#include "tb_error.h"

static const char *const top_keys[] = {"name", "description", "datasets", "learners", "functions", "command",
                                       "strategies", "budget", "seeds", "repetitions", "seed", "jobs", "fuse", "device",
                                       "memory_budget", "objectives", "report", "initial", "warm_start", NULL};
static const char *const budget_keys[] = {"trials", "fidelity", "total", "wall_clock", NULL};
static const char *const fidelity_keys[] = {"min", "max", "unit", NULL};
static const char *const fidelity_units[] = {"learner", "epochs", "rounds", "trees", "data_fraction", NULL};

/* A fidelity bound with unit data_fraction: a fraction of the training rows in (0, 1]. */
static int read_fraction(const tb_sx *c, struct fy_node *n, const char *key, double *out) {
  int rc = tb_sx_double(c, n, key, -1e15, 1e15, out);
  if (rc < 0) return rc;
  if (!(*out > 0) || *out > 1)
    return tb_sx_fail(c, n, key, TB_ERR_RANGE, "%g is not a fraction of the training rows in (0, 1] (unit "
                   "data_fraction: e.g. min: 0.111, max: 1)", *out);
  return TB_OK;
}
static const char *const report_keys[] = {"enabled", "dir", "figures", NULL};

void tb_suite_free(tb_suite *s) {
  if (!s) return;
  free(s->path);
  free(s->text);
  free(s->name);
  free(s->description);
  for (int i = 0; i < s->n_datasets; i++) free(s->datasets[i].spec), free(s->datasets[i].name);
  free(s->datasets);
  for (int i = 0; i < s->n_learners; i++)
    free(s->learners[i].name),
        tb_sx_params_free(s->learners[i].params, s->learners[i].param_locs, s->learners[i].n_params);
  free(s->learners);
  free(s->functions);
  if (s->command)
    free(s->command->run), tb_sx_params_free(s->command->params, s->command->param_locs, s->command->n_params);
  free(s->command);
  for (int i = 0; i < s->n_strategies; i++) {
    tb_suite_strategy *t = &s->strategies[i];
    free(t->name), free(t->sampler), free(t->scheduler);
    for (int k = 0; k < t->n_sampler_options; k++) free(t->sampler_option_names[k]), free(t->sampler_option_values[k]);
    for (int k = 0; k < t->n_scheduler_options; k++)
      free(t->scheduler_option_names[k]), free(t->scheduler_option_values[k]);
  }
  free(s->strategies);
  free(s->seeds);
  free(s->device);
  for (int i = 0; i < s->n_objectives; i++) free(s->objectives[i].name);
  free(s->report_dir);
  tb_sx_initial_free(s);
  free(s);
}

static int check_name(const tb_sx *c, struct fy_node *n, const char *key, const char *v) {
  size_t len = strlen(v);
  if (len > 63) return tb_sx_fail(c, n, key, TB_ERR_RANGE, "'%s' is longer than 63 characters", v);
  for (size_t i = 0; i < len; i++)
    if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '-' && v[i] != '.')
      return tb_sx_fail(c, n, key, TB_ERR_INVALID, "'%s' may hold only letters, digits, '_', '-' and '.'", v);
  return TB_OK;
}

static int read_budget(const tb_sx *c, struct fy_node *b, tb_suite *s) {
  int rc = tb_sx_check_keys(c, b, "budget", budget_keys);
  struct fy_node *n;
  if (rc < 0) return rc;
  if ((n = tb_sx_get(b, "trials")) && (rc = tb_sx_long(c, n, "budget.trials", 1, 100000000, &s->trials)) < 0) return rc;
  if ((n = tb_sx_get(b, "total")) && (rc = tb_sx_double(c, n, "budget.total", 0, 1e15, &s->total_budget)) < 0) return rc;
  if (n && !(s->total_budget > 0))
    return tb_sx_fail(c, n, "budget.total", TB_ERR_RANGE, "0 leaves no budget (omit 'total' for no limit)");
  if ((n = tb_sx_get(b, "wall_clock")) && (rc = tb_sx_seconds(c, n, "budget.wall_clock", &s->wall_clock)) < 0) return rc;
  if (n && !(s->wall_clock > 0))
    return tb_sx_fail(c, n, "budget.wall_clock", TB_ERR_RANGE, "0 s leaves no time (omit 'wall_clock' for no limit)");
  if ((n = tb_sx_get(b, "fidelity"))) {
    if ((rc = tb_sx_check_keys(c, n, "budget.fidelity", fidelity_keys)) < 0) return rc;
    struct fy_node *lo = tb_sx_get(n, "min"), *hi = tb_sx_get(n, "max"), *un = tb_sx_get(n, "unit");
    if (!hi) return tb_sx_fail(c, n, "budget.fidelity", TB_ERR_INVALID, "needs 'max' (the full budget of one trial)");
    if (un) {
      char *w = NULL;
      if ((rc = tb_sx_word(c, un, "budget.fidelity.unit", "unit", fidelity_units, &w)) < 0) return rc;
      s->fidelity_data_fraction = !strcmp(w, "data_fraction");
      free(w);
    }
    if (s->fidelity_data_fraction) { /* min defaults to max: one fidelity, the whole fraction */
      if ((rc = read_fraction(c, hi, "budget.fidelity.max", &s->fidelity_max)) < 0) return rc;
      s->fidelity_min = s->fidelity_max;
      if (lo && (rc = read_fraction(c, lo, "budget.fidelity.min", &s->fidelity_min)) < 0) return rc;
    } else {
      if (lo && (rc = tb_sx_double(c, lo, "budget.fidelity.min", 1e-9, 1e9, &s->fidelity_min)) < 0) return rc;
      if ((rc = tb_sx_double(c, hi, "budget.fidelity.max", 1e-9, 1e9, &s->fidelity_max)) < 0) return rc;
    }
    if (s->fidelity_max < s->fidelity_min)
      return tb_sx_fail(c, hi, "budget.fidelity.max", TB_ERR_RANGE, "max %g is below min %g", s->fidelity_max,
                     s->fidelity_min);
  }
  return TB_OK;
}

static int read_seeds(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  struct fy_node *seeds = tb_sx_get(root, "seeds"), *reps = tb_sx_get(root, "repetitions"), *base = tb_sx_get(root, "seed");
  int rc;
  if (seeds && (reps || base))
    return tb_sx_fail(c, reps ? reps : base, reps ? "repetitions" : "seed", TB_ERR_INVALID,
                   "give either 'seeds: [list]' or 'repetitions: N' (with 'seed: first'), not both");
  if (seeds) {
    if ((rc = tb_sx_need_seq(c, seeds, "seeds")) < 0) return rc;
    int n = fy_node_sequence_item_count(seeds);
    if (n < 1) return tb_sx_fail(c, seeds, "seeds", TB_ERR_INVALID, "an empty list");
    s->seeds = calloc((size_t)n, sizeof *s->seeds);
    if (!s->seeds) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(seeds, &it))) {
      long v;
      if ((rc = tb_sx_long(c, item, "seeds", 0, 0x7fffffffffffffffL, &v)) < 0) return rc;
      for (int k = 0; k < s->n_seeds; k++)
        if (s->seeds[k] == (uint64_t)v) return tb_sx_fail(c, item, "seeds", TB_ERR_INVALID, "seed %ld is repeated", v);
      s->seeds[s->n_seeds++] = (uint64_t)v;
    }
    return TB_OK;
  }
  long n = 1, first = 0;
  if (reps && (rc = tb_sx_long(c, reps, "repetitions", 1, 10000, &n)) < 0) return rc;
  if (base && (rc = tb_sx_long(c, base, "seed", 0, 0x7fffffffffffffffL - 10000, &first)) < 0) return rc;
  s->seeds = calloc((size_t)n, sizeof *s->seeds);
  if (!s->seeds) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  for (long k = 0; k < n; k++) s->seeds[s->n_seeds++] = (uint64_t)(first + k);
  return TB_OK;
}

static int read_report(const tb_sx *c, struct fy_node *r, tb_suite *s) {
  int rc;
  struct fy_node *n;
  if (r && fy_node_is_scalar(r)) return tb_sx_bool(c, r, "report", &s->report);
  if ((rc = tb_sx_check_keys(c, r, "report", report_keys)) < 0) return rc;
  if ((n = tb_sx_get(r, "enabled")) && (rc = tb_sx_bool(c, n, "report.enabled", &s->report)) < 0) return rc;
  if ((n = tb_sx_get(r, "figures")) && (rc = tb_sx_bool(c, n, "report.figures", &s->report_figures)) < 0) return rc;
  if ((n = tb_sx_get(r, "dir")) && (rc = tb_sx_str(c, n, "report.dir", &s->report_dir)) < 0) return rc;
  return TB_OK;
}

static int read_device(const tb_sx *c, struct fy_node *n, tb_suite *s) {
  int rc = tb_sx_str(c, n, "device", &s->device);
  if (rc < 0) return rc;
  const char *d = s->device;
  if (!strcmp(d, "auto") || !strcmp(d, "cpu") || !strcmp(d, "cuda")) return TB_OK;
  if (!strncmp(d, "cuda:", 5) && d[5] && strspn(d + 5, "0123456789") == strlen(d + 5)) return TB_OK;
  return tb_sx_fail(c, n, "device", TB_ERR_INVALID, "unknown device '%s' (allowed: auto, cpu, cuda, cuda:N)", d);
}

static int read_root(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  int rc = tb_sx_check_keys(c, root, "", top_keys);
  struct fy_node *n;
  if (rc < 0) return rc;
  if (!(n = tb_sx_get(root, "name"))) return tb_sx_fail(c, root, "name", TB_ERR_INVALID, "missing: every suite has a name");
  if ((rc = tb_sx_str(c, n, "name", &s->name)) < 0 || (rc = check_name(c, n, "name", s->name)) < 0) return rc;
  if ((n = tb_sx_get(root, "description")) && (rc = tb_sx_str(c, n, "description", &s->description)) < 0) return rc;
  if ((n = tb_sx_get(root, "datasets")) && (rc = tb_sx_datasets(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "learners")) && (rc = tb_sx_learners(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "functions")) && (rc = tb_sx_functions(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "command")) && (rc = tb_sx_command(c, n, s)) < 0) return rc;
  if (!(n = tb_sx_get(root, "strategies")))
    return tb_sx_fail(c, root, "strategies", TB_ERR_INVALID, "missing: list at least one strategy (a sampler)");
  if ((rc = tb_sx_strategies(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "budget")) && (rc = read_budget(c, n, s)) < 0) return rc;
  if ((rc = read_seeds(c, root, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "jobs"))) {
    long j;
    if ((rc = tb_sx_long(c, n, "jobs", 1, 4096, &j)) < 0) return rc;
    s->jobs = (int)j;
  }
  if ((n = tb_sx_get(root, "fuse"))) {
    long k;
    if ((rc = tb_sx_long(c, n, "fuse", 0, 4096, &k)) < 0) return rc;
    s->fuse = (int)k;
  }
  if ((n = tb_sx_get(root, "device")) && (rc = read_device(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "memory_budget")) && (rc = tb_sx_bytes(c, n, "memory_budget", &s->memory_budget)) < 0) return rc;
  if (n && !s->memory_budget)
    return tb_sx_fail(c, n, "memory_budget", TB_ERR_RANGE, "0 bytes leaves no memory (omit it for no limit)");
  if ((rc = tb_sx_objectives(c, tb_sx_get(root, "objectives"), s)) < 0) return rc;
  if ((n = tb_sx_get(root, "report")) && (rc = read_report(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "initial")) && (rc = tb_sx_initial(c, n, s)) < 0) return rc;
  if ((n = tb_sx_get(root, "warm_start")) && (rc = tb_sx_str(c, n, "warm_start", &s->warm_start)) < 0) return rc;
  return tb_sx_validate(c, root, s);
}

/* Line and column (1-based) of byte offset off in text. */
static tb_suite_loc text_loc(const char *text, size_t off) {
  tb_suite_loc l = {1, 1};
  for (size_t i = 0; i < off; i++) {
    if (text[i] == '\n') l.line++, l.col = 1;
    else l.col++;
  }
  return l;
}

/* Offset of the first byte that does not start or continue a valid UTF-8 sequence, or len. libfyaml 0.7.12
 * loops forever on some invalid bytes ("%\x8f": fuzz_suite found it), so they never reach it. */
static size_t utf8_invalid(const char *text, size_t len) {
  const unsigned char *t = (const unsigned char *)text;
  for (size_t i = 0; i < len;) {
    unsigned c = t[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!n || (n == 2 && c < 0xc2) || (n == 4 && c > 0xf4) || i + n > len) return i;
    for (size_t k = 1; k < n; k++)
      if ((t[i + k] & 0xc0) != 0x80) return i;
    if ((n == 3 && c == 0xe0 && t[i + 1] < 0xa0) || (n == 3 && c == 0xed && t[i + 1] >= 0xa0) ||
        (n == 4 && c == 0xf0 && t[i + 1] < 0x90) || (n == 4 && c == 0xf4 && t[i + 1] >= 0x90))
      return i; /* overlong, surrogate or beyond U+10FFFF */
    i += n;
  }
  return len;
}

/* Position of a later document: its root node, else the last line that starts with "---" (an empty document). */
static tb_suite_loc second_doc_loc(const char *text, size_t len, struct fy_document *doc2) {
  tb_suite_loc l = tb_sx_loc(doc2 ? fy_document_root(doc2) : NULL);
  if (l.line) return l;
  size_t at = 0;
  for (size_t i = 0; i + 3 <= len; i++)
    if ((i == 0 || text[i - 1] == '\n') && !memcmp(text + i, "---", 3)) at = i;
  return text_loc(text, at);
}

int tb_suite_parse(const char *path, const char *text, size_t len, tb_suite **out) {
  int rc = TB_OK;
  tb_suite *s = NULL;
  struct fy_diag *diag = NULL;
  struct fy_parser *fyp = NULL;
  struct fy_document *doc = NULL, *doc2 = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "suite: NULL output");
  *out = NULL;
  if (!path || !text) return tb_error_set(TB_ERR_INVALID, "suite: NULL path or text");
  const char *nul = memchr(text, '\0', len);
  if (nul) {
    tb_suite_loc l = text_loc(text, (size_t)(nul - text));
    return tb_error_set(TB_ERR_FORMAT, "%s:%d:%d: a NUL byte (at byte %zu): a suite is UTF-8 text", path, l.line,
                        l.col, (size_t)(nul - text));
  }
  size_t bad = utf8_invalid(text, len);
  if (bad < len) {
    tb_suite_loc l = text_loc(text, bad);
    return tb_error_set(TB_ERR_FORMAT, "%s:%d:%d: byte 0x%02x (at byte %zu) is not UTF-8: a suite is UTF-8 text",
                        path, l.line, l.col, (unsigned char)text[bad], bad);
  }
  s = calloc(1, sizeof *s);
  if (!s || !(s->path = strdup(path)) || !(s->text = malloc(len + 1))) TB_FAIL(TB_ERR_NOMEM, "suite: out of memory");
  memcpy(s->text, text, len);
  s->text[len] = '\0';
  s->jobs = 1;
  s->fidelity_min = 1;
  s->report = 1;
  s->report_figures = 1;
  struct fy_diag_cfg dc;
  fy_diag_cfg_default(&dc);
  dc.fp = NULL;
  diag = fy_diag_create(&dc);
  if (!diag) TB_FAIL(TB_ERR_NOMEM, "suite: cannot create the YAML diagnostics");
  fy_diag_set_collect_errors(diag, true);
  /* duplicate keys: tb_sx_check_duplicates (libfyaml's check is quadratic in the keys of a mapping) */
  struct fy_parse_cfg pc = {.flags = FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS, .diag = diag};
  if (!(fyp = fy_parser_create(&pc)) || fy_parser_set_string(fyp, s->text, len) != 0)
    TB_FAIL(TB_ERR_NOMEM, "suite: cannot create the YAML parser");
  doc = fy_parse_load_document(fyp);
  if (doc && !fy_parser_get_stream_error(fyp)) doc2 = fy_parse_load_document(fyp);
  if (!doc || fy_parser_get_stream_error(fyp)) {
    void *it = NULL;
    struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
    if (e) TB_FAIL(TB_ERR_FORMAT, "%s:%d:%d: not valid YAML: %s", path, e->line, e->column, e->msg);
    TB_FAIL(TB_ERR_FORMAT, "%s:1:1: the file is empty or not YAML (a suite is a mapping: name, strategies, ...)",
            path);
  }
  if (doc2) {
    tb_suite_loc l = second_doc_loc(s->text, len, doc2);
    TB_FAIL(TB_ERR_FORMAT, "%s:%d:%d: a second YAML document: a suite file holds one (remove this '---' and "
            "what follows, or write a second suite file)", path, l.line, l.col);
  }
  struct fy_node *root = fy_document_root(doc);
  if (!root) TB_FAIL(TB_ERR_FORMAT, "%s:1:1: the file is empty (a suite is a mapping: name, strategies, ...)", path);
  tb_sx c = {.path = path};
  TB_TRY(tb_sx_check_duplicates(&c, root));
  TB_TRY(read_root(&c, root, s));
  *out = s;
  s = NULL;
done:
  if (doc2) fy_parse_document_destroy(fyp, doc2);
  if (doc) fy_parse_document_destroy(fyp, doc);
  fy_parser_destroy(fyp);
  fy_diag_destroy(diag);
  tb_suite_free(s);
  return rc;
}

int tb_suite_load(const char *path, tb_suite **out) {
  if (!out) return tb_error_set(TB_ERR_INVALID, "suite: NULL output");
  *out = NULL;
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) return tb_error_set(TB_ERR_IO, "cannot open suite file %s", path ? path : "(null)");
  size_t cap = 4096, len = 0, n;
  char *buf = malloc(cap);
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      char *b = cap < (16u << 20) ? realloc(buf, cap * 2) : NULL;
      if (!b) free(buf);
      buf = b, cap *= 2;
    }
  }
  int err = ferror(f);
  fclose(f);
  if (!buf) return tb_error_set(TB_ERR_NOMEM, "suite %s: out of memory or larger than 16 MiB", path);
  if (err) {
    free(buf);
    return tb_error_set(TB_ERR_IO, "cannot read suite file %s", path);
  }
  int rc = tb_suite_parse(path, buf, len, out);
  free(buf);
  return rc;
}
