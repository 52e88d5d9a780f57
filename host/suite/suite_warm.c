/* suite_warm.c: warm starts of a suite: the `initial:` section (configurations every strategy evaluates first) and
 * `warm_start: PREVIOUS.h5` (the trials of an earlier results file told to each sampler before it asks), turned
 * into the study's initial / warm arrays (tb_study_params) for one experiment's space. It reads the earlier file
 * with the store reader (tb_h5.h) and maps categorical labels by name, so the earlier space may order its choices
 * differently. Not here: running (tb_study), the YAML walk helpers (suite_yaml.c). Tested by tests/test_suite_warm.c
 * and, through `tunebench run`, by host/python/tests/test_suite_warm.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite_impl.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_trial.h"

/* initial: [{lr: 0.01, act: tanh}, ...]: a list of mappings of scalars. */
int tb_sx_initial(const tb_sx *c, struct fy_node *seq, tb_suite *s) {
  int rc = tb_sx_need_seq(c, seq, "initial");
  if (rc < 0) return rc;
  int n = fy_node_sequence_item_count(seq);
  s->initial = calloc((size_t)(n > 0 ? n : 1), sizeof *s->initial);
  if (!s->initial) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  for (int i = 0; i < n; i++) {
    struct fy_node *m = fy_node_sequence_get_by_index(seq, i);
    char key[32];
    snprintf(key, sizeof key, "initial[%d]", i);
    if ((rc = tb_sx_need_map(c, m, key)) < 0) return rc;
    tb_suite_initial *in = &s->initial[s->n_initial++];
    int k = fy_node_mapping_item_count(m);
    in->loc = tb_sx_loc(m);
    in->names = calloc((size_t)(k > 0 ? k : 1), sizeof *in->names);
    in->values = calloc((size_t)(k > 0 ? k : 1), sizeof *in->values);
    if (!in->names || !in->values) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(m, &it))) {
      if ((rc = tb_sx_str(c, fy_node_pair_key(pr), key, &in->names[in->n])) < 0) return rc;
      if ((rc = tb_sx_str(c, fy_node_pair_value(pr), in->names[in->n], &in->values[in->n])) < 0) return rc;
      in->n++;
    }
  }
  return TB_OK;
}

void tb_sx_initial_free(tb_suite *s) {
  for (int i = 0; i < s->n_initial; i++) {
    for (int k = 0; k < s->initial[i].n; k++) free(s->initial[i].names[k]), free(s->initial[i].values[k]);
    free(s->initial[i].names), free(s->initial[i].values);
  }
  free(s->initial);
  free(s->warm_start);
}

/* Parameter i's encoding of `text` (a number, or a categorical label among labels/n_labels or the space's). */
static int encode(const tb_param *p, const char *text, double *out) {
  if (p->type == TB_PARAM_CATEGORICAL) {
    for (int k = 0; k < p->n_choices; k++)
      if (!strcmp(p->choices[k], text)) return *out = k, 1;
    return 0;
  }
  char *end;
  *out = strtod(text, &end);
  return end != text && *end == '\0';
}

static int initial_configs(const tb_suite *s, const char *name, const tb_space *sp, tb_suite_warm *w) {
  int dim = tb_space_dim(sp);
  w->initial = malloc((size_t)(s->n_initial ? s->n_initial : 1) * (size_t)(dim ? dim : 1) * sizeof *w->initial);
  if (!w->initial) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  char msg[256];
  for (int i = 0; i < s->n_initial; i++) {
    const tb_suite_initial *in = &s->initial[i];
    int applies = 1;
    for (int k = 0; k < in->n && applies; k++) applies = tb_space_find(sp, in->names[k]) >= 0;
    if (!applies) continue;
    double *x = w->initial + (size_t)w->n_initial * (size_t)dim;
    for (int j = 0; j < dim; j++) {
      const tb_param *p = tb_space_param(sp, j);
      x[j] = p->type == TB_PARAM_FIXED ? p->value : NAN;
    }
    for (int k = 0; k < in->n; k++) {
      int j = tb_space_find(sp, in->names[k]);
      if (!encode(tb_space_param(sp, j), in->values[k], &x[j]))
        return tb_error_set(TB_ERR_INVALID, "%s:%d:%d: initial[%d].%s: '%s' is not a value of this parameter", s->path,
                            in->loc.line, in->loc.col, i, in->names[k], in->values[k]);
    }
    for (int j = 0; j < dim; j++) /* fixed parameters of an inactive branch */
      if (tb_space_param(sp, j)->type == TB_PARAM_FIXED && !tb_space_active(sp, x, j)) x[j] = NAN;
    if (tb_space_check(sp, x, msg, sizeof msg))
      return tb_error_set(TB_ERR_INVALID, "%s:%d:%d: initial[%d] for experiment %s: %s", s->path, in->loc.line,
                          in->loc.col, i, name, msg);
    w->n_initial++;
  }
  return TB_OK;
}

static int read_col(tb_h5_file *f, const char *path, const char *table, const char *col, tb_h5_type type, size_t n,
                    void *out) {
  int rc = tb_h5_table_read_col(f, table, col, type, n, out);
  return rc < 0 ? tb_error_prefix(rc, "warm_start %s: ", path) : rc;
}

static int warm_trials(const tb_suite *s, const char *name, const tb_space *sp, tb_suite_warm *w) {
  int rc = TB_OK, dim = tb_space_dim(sp), n_obj = tb_suite_n_tuned(s), nc = 0;
  tb_h5_file *f = NULL;
  tb_h5_col *cols = NULL;
  size_t n = 0;
  char table[160], col[96], **status = NULL, **labels = NULL;
  size_t n_labels = 0;
  double *v = NULL;
  TB_TRY(tb_h5_open_live(s->warm_start, &f));
  snprintf(table, sizeof table, "/experiments/%s/trials", name);
  if (tb_h5_table_columns(f, table, &nc, &cols, &n) < 0) { /* no such experiment there: nothing to tell */
    tb_error_clear();
    goto done;
  }
  w->warm_x = malloc((n ? n : 1) * (size_t)(dim ? dim : 1) * sizeof *w->warm_x);
  w->warm_values = malloc((n ? n : 1) * (size_t)n_obj * sizeof *w->warm_values);
  w->warm_status = calloc(n ? n : 1, sizeof *w->warm_status);
  status = calloc(n ? n : 1, sizeof *status);
  v = malloc((n ? n : 1) * sizeof *v);
  if (!w->warm_x || !w->warm_values || !w->warm_status || !status || !v) TB_FAIL(TB_ERR_NOMEM, "suite: out of memory");
  TB_TRY(read_col(f, s->warm_start, table, "status", TB_H5_STR, n, status));
  for (int j = 0; j < dim; j++) {
    const tb_param *p = tb_space_param(sp, j);
    snprintf(col, sizeof col, "param_%s", p->name);
    TB_TRY(read_col(f, s->warm_start, table, col, TB_H5_F64, n, v));
    if (p->type == TB_PARAM_CATEGORICAL) {
      snprintf(col, sizeof col, "choices_%s", p->name);
      TB_TRY(tb_h5_attr_read_strs(f, table, col, &labels, &n_labels));
    }
    for (size_t r = 0; r < n; r++) {
      double x = v[r];
      if (p->type == TB_PARAM_CATEGORICAL && !isnan(x)) /* the earlier file's label -> this space's index */
        x = x >= 0 && (size_t)x < n_labels && encode(p, labels[(size_t)x], &x) ? x : INFINITY;
      w->warm_x[r * (size_t)dim + (size_t)j] = x;
    }
    tb_h5_strs_free(labels, n_labels), labels = NULL, n_labels = 0;
  }
  for (int k = 0; k < n_obj; k++) {
    snprintf(col, sizeof col, "obj_%s", s->objectives[k].name);
    TB_TRY(read_col(f, s->warm_start, table, col, TB_H5_F64, n, v));
    for (size_t r = 0; r < n; r++) w->warm_values[r * (size_t)n_obj + (size_t)k] = v[r];
  }
  char msg[256];
  for (size_t r = 0; r < n; r++) { /* keep finished trials whose configuration is valid here, packed in place */
    int st = -1;
    for (int k = TB_TRIAL_COMPLETE; k <= TB_TRIAL_FAILED; k++)
      if (!strcmp(status[r], tb_trial_status_name((tb_trial_status)k))) st = k;
    if (st < 0 || tb_space_check(sp, w->warm_x + r * (size_t)dim, msg, sizeof msg)) continue;
    size_t q = (size_t)w->n_warm++;
    memmove(w->warm_x + q * (size_t)dim, w->warm_x + r * (size_t)dim, (size_t)dim * sizeof *w->warm_x);
    memmove(w->warm_values + q * (size_t)n_obj, w->warm_values + r * (size_t)n_obj, (size_t)n_obj * sizeof *v);
    w->warm_status[q] = st;
  }
done:
  for (size_t r = 0; status && r < n; r++) free(status[r]);
  free(status), free(v);
  tb_h5_strs_free(labels, n_labels);
  tb_h5_cols_free(cols, nc);
  tb_h5_close(f);
  return rc;
}

int tb_suite_warm_get(const tb_suite *s, const char *name, const tb_space *sp, tb_suite_warm *w) {
  int rc = TB_OK;
  memset(w, 0, sizeof *w);
  if (!s || !name || !sp) return tb_error_set(TB_ERR_INVALID, "suite warm start: NULL argument");
  if (s->n_initial) TB_TRY(initial_configs(s, name, sp, w));
  if (s->warm_start) TB_TRY(warm_trials(s, name, sp, w));
done:
  if (rc < 0) tb_suite_warm_free(w);
  return rc;
}

void tb_suite_warm_free(tb_suite_warm *w) {
  if (!w) return;
  free(w->initial), free(w->warm_x), free(w->warm_values), free(w->warm_status);
  memset(w, 0, sizeof *w);
}
