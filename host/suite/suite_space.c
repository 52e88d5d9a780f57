/* suite_space.c: search spaces in suites: parsing a `space:` mapping (a learner's overrides, or a command's own
 * parameters with `when` conditions) into parameter descriptions (tb_param, the one description; the suite keeps
 * only their locations beside them) and building the finalized tb_space of an experiment, with the mapping of a
 * restricted categorical's choices back to the learner's declared indices.
 * Not here: sampling (tb_sampler.h) or the learner's own checks (tb_model.h). Tested by tests/test_suite.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite_impl.h"
#include "tb_error.h"

static const char *const type_names[] = {"float", "int", "categorical", "fixed", NULL};
static const char *const param_keys[] = {"type", "low", "high", "log", "step", "choices", "value", "when", NULL};

/* A command parameter's `when` as written: resolved into the description (parent index, values in the parent's
 * encoding) once every parameter of the space is read, since the parent may be listed later. */
typedef struct {
  char *parent;
  int n;
  char **values; /* labels or numbers as written */
} when_text;

static void when_free(when_text *w) {
  free(w->parent);
  for (int k = 0; k < w->n; k++) free(w->values[k]);
  free(w->values);
  memset(w, 0, sizeof *w);
}

void tb_sx_params_free(tb_param *p, tb_suite_loc *locs, int n) {
  for (int i = 0; p && i < n; i++)
    for (int k = 0; k < p[i].n_choices; k++) free((char *)p[i].choices[k]);
  free(p);
  free(locs);
}

static int choice_index(const tb_param *h, const char *label) {
  for (int k = 0; k < h->n_choices; k++)
    if (!strcmp(h->choices[k], label)) return k;
  return -1;
}

/* A declared categorical's label at node n -> its index (error with did-you-mean). */
static int declared_choice(const tb_sx *c, struct fy_node *n, const char *key, const tb_param *h, int *idx) {
  char *w = NULL;
  int rc = tb_sx_word(c, n, key, "choice", h->choices, &w);
  if (rc < 0) return rc;
  *idx = choice_index(h, w);
  free(w);
  return TB_OK;
}

/* A fixed value at n for parameter p (declared h or NULL). */
static int fixed_value(const tb_sx *c, struct fy_node *n, const char *key, const tb_param *h, tb_param *p) {
  int rc, idx;
  p->type = TB_PARAM_FIXED;
  if (h && h->type == TB_PARAM_CATEGORICAL) {
    if ((rc = declared_choice(c, n, key, h, &idx)) < 0) return rc;
    p->value = p->def = idx;
    return TB_OK;
  }
  double lo = h ? h->lo : -HUGE_VAL, hi = h ? h->hi : HUGE_VAL;
  if ((rc = tb_sx_double(c, n, key, lo, hi, &p->value)) < 0) return rc;
  p->def = p->value;
  if (h && h->type == TB_PARAM_INT && p->value != floor(p->value))
    return tb_sx_fail(c, n, key, TB_ERR_INVALID, "%s is an integer; got %g", h->name, p->value);
  return TB_OK;
}

static int parse_choices(const tb_sx *c, struct fy_node *n, const char *key, const tb_param *h, tb_param *p) {
  int rc = tb_sx_need_seq(c, n, key);
  if (rc < 0) return rc;
  int cnt = fy_node_sequence_item_count(n);
  if (cnt < 1 || cnt > TB_PARAM_MAX_CHOICES)
    return tb_sx_fail(c, n, key, TB_ERR_RANGE, "needs 1..%d choices, got %d", TB_PARAM_MAX_CHOICES, cnt);
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(n, &it))) {
    char *w = NULL;
    if (h) rc = tb_sx_word(c, item, key, "choice", h->choices, &w);
    else rc = tb_sx_str(c, item, key, &w);
    if (rc < 0) return rc;
    for (int k = 0; k < p->n_choices; k++)
      if (!strcmp(p->choices[k], w)) {
        rc = tb_sx_fail(c, item, key, TB_ERR_INVALID, "choice '%s' is listed twice", w);
        free(w);
        return rc;
      }
    p->choices[p->n_choices++] = w;
  }
  return TB_OK;
}

static int parse_when(const tb_sx *c, struct fy_node *n, const char *key, when_text *p) {
  int rc = tb_sx_need_map(c, n, key);
  if (rc < 0) return rc;
  if (fy_node_mapping_item_count(n) != 1)
    return tb_sx_fail(c, n, key, TB_ERR_INVALID, "needs exactly one parent: {parent: [values]}");
  void *it = NULL;
  struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
  if ((rc = tb_sx_str(c, fy_node_pair_key(pr), key, &p->parent)) < 0) return rc;
  struct fy_node *v = fy_node_pair_value(pr);
  int cnt = v && fy_node_is_sequence(v) ? fy_node_sequence_item_count(v) : 1;
  if (cnt < 1 || cnt > TB_PARAM_MAX_COND_VALUES)
    return tb_sx_fail(c, v, key, TB_ERR_RANGE, "needs 1..%d values", TB_PARAM_MAX_COND_VALUES);
  p->values = calloc((size_t)cnt, sizeof *p->values);
  if (!p->values) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  if (!fy_node_is_sequence(v)) return (rc = tb_sx_str(c, v, key, &p->values[0])) < 0 ? rc : (p->n = 1, TB_OK);
  it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(v, &it))) {
    if ((rc = tb_sx_str(c, item, key, &p->values[p->n])) < 0) return rc;
    p->n++;
  }
  return TB_OK;
}

/* One parameter: `value` is a scalar (fixed) or a mapping. h: the learner L's declaration, or NULL (then w gets
 * the `when`). Listed float/int/categorical parameters have no default (NAN): the suite does not give one. */
static int parse_param(const tb_sx *c, struct fy_node *v, const char *key, const tb_learner *L, const tb_param *h,
                       tb_param *p, when_text *w) {
  int rc;
  char k2[320];
  p->def = NAN;
  if (v && fy_node_is_scalar(v)) return fixed_value(c, v, key, h, p);
  if ((rc = tb_sx_check_keys(c, v, key, param_keys)) < 0) return rc;
  struct fy_node *t = tb_sx_get(v, "type");
  if (t) {
    char *w = NULL;
    snprintf(k2, sizeof k2, "%s.type", key);
    if ((rc = tb_sx_word(c, t, k2, "parameter type", type_names, &w)) < 0) return rc;
    for (int i = 0; type_names[i]; i++)
      if (!strcmp(type_names[i], w)) p->type = (tb_param_type)i;
    free(w);
    if (h && p->type != TB_PARAM_FIXED && p->type != h->type)
      return tb_sx_fail(c, t, k2, TB_ERR_INVALID, "%s is declared %s by the learner; only %s or fixed is allowed",
                     h->name, type_names[h->type], type_names[h->type]);
  } else if (h) {
    p->type = h->type;
  } else {
    return tb_sx_fail(c, v, key, TB_ERR_INVALID, "missing 'type' (one of float, int, categorical, fixed)");
  }
  if (tb_sx_get(v, "when") && h)
    return tb_sx_fail(c, tb_sx_get(v, "when"), key, TB_ERR_INVALID,
                   "a learner's conditions are declared by the learner (%s%s%s); 'when' is for command spaces",
                   h->name, h->n_cond > 0 ? " depends on " : " is unconditional",
                   h->n_cond > 0 ? tb_learner_hparam(L, h->parent)->name : "");
  if (tb_sx_get(v, "when")) {
    snprintf(k2, sizeof k2, "%s.when", key);
    if ((rc = parse_when(c, tb_sx_get(v, "when"), k2, w)) < 0) return rc;
  }
  /* keys that do not apply to the type */
  static const char *const only[4][5] = {{"low", "high", "log", NULL}, {"low", "high", "log", "step", NULL},
                                         {"choices", NULL}, {"value", NULL}};
  static const char *const typed[] = {"low", "high", "log", "step", "choices", "value", NULL};
  for (int i = 0; typed[i]; i++) {
    struct fy_node *kv = tb_sx_get(v, typed[i]);
    int ok = 0;
    for (int j = 0; only[p->type][j]; j++) ok |= !strcmp(only[p->type][j], typed[i]);
    if (kv && !ok)
      return tb_sx_fail(c, kv, key, TB_ERR_INVALID, "'%s' does not apply to a %s parameter", typed[i],
                     type_names[p->type]);
  }
  if (p->type == TB_PARAM_FIXED) {
    struct fy_node *val = tb_sx_get(v, "value");
    if (!val) return tb_sx_fail(c, v, key, TB_ERR_INVALID, "a fixed parameter needs 'value'");
    snprintf(k2, sizeof k2, "%s.value", key);
    return fixed_value(c, val, k2, h, p);
  }
  if (p->type == TB_PARAM_CATEGORICAL) {
    struct fy_node *ch = tb_sx_get(v, "choices");
    snprintf(k2, sizeof k2, "%s.choices", key);
    if (ch) return parse_choices(c, ch, k2, h, p);
    if (!h) return tb_sx_fail(c, v, key, TB_ERR_INVALID, "a categorical parameter needs 'choices'");
    for (int k = 0; k < h->n_choices; k++)
      if (!(p->choices[p->n_choices++] = strdup(h->choices[k]))) return tb_error_set(TB_ERR_NOMEM, "suite: oom");
    return TB_OK;
  }
  /* float / int */
  double dlo = h ? h->lo : -HUGE_VAL, dhi = h ? h->hi : HUGE_VAL;
  p->lo = dlo, p->hi = dhi, p->log = h ? h->log : 0, p->step = h && h->step >= 1 ? h->step : 1;
  struct fy_node *lo = tb_sx_get(v, "low"), *hi = tb_sx_get(v, "high"), *lg = tb_sx_get(v, "log"), *st = tb_sx_get(v, "step");
  if (!h && (!lo || !hi)) return tb_sx_fail(c, v, key, TB_ERR_INVALID, "a %s parameter needs 'low' and 'high'",
                                         type_names[p->type]);
  snprintf(k2, sizeof k2, "%s.low", key);
  if (lo && (rc = tb_sx_double(c, lo, k2, dlo, dhi, &p->lo)) < 0) return rc;
  snprintf(k2, sizeof k2, "%s.high", key);
  if (hi && (rc = tb_sx_double(c, hi, k2, dlo, dhi, &p->hi)) < 0) return rc;
  snprintf(k2, sizeof k2, "%s.log", key);
  if (lg && (rc = tb_sx_bool(c, lg, k2, &p->log)) < 0) return rc;
  snprintf(k2, sizeof k2, "%s.step", key);
  if (st && (rc = tb_sx_double(c, st, k2, 1, 1e15, &p->step)) < 0) return rc;
  if (p->type == TB_PARAM_INT && (p->lo != floor(p->lo) || p->hi != floor(p->hi) || p->step != floor(p->step)))
    return tb_sx_fail(c, lo ? lo : v, key, TB_ERR_INVALID, "an int parameter needs integer low, high and step");
  if (p->type == TB_PARAM_INT && (fabs(p->lo) > 4503599627370496.0 || fabs(p->hi) > 4503599627370496.0))
    return tb_sx_fail(c, fabs(p->lo) > 4503599627370496.0 && lo ? lo : hi ? hi : v, key, TB_ERR_RANGE,
                      "int bounds must lie within +-2^52 (4503599627370496), exact as doubles; got low %.17g, high "
                      "%.17g", p->lo, p->hi);
  if (p->type == TB_PARAM_INT && st && p->hi > p->lo && p->step > p->hi - p->lo)
    return tb_sx_fail(c, st, key, TB_ERR_RANGE, "step %.17g is larger than the range [%.17g, %.17g]: only low could "
                      "be sampled (make it a fixed parameter, or a smaller step)", p->step, p->lo, p->hi);
  if (p->type == TB_PARAM_FLOAT ? p->lo >= p->hi : p->lo > p->hi)
    return tb_sx_fail(c, hi ? hi : v, key, TB_ERR_RANGE, "empty range: low %g, high %g", p->lo, p->hi);
  if (p->log && p->lo <= 0)
    return tb_sx_fail(c, lg ? lg : lo ? lo : v, key, TB_ERR_RANGE, "log scale needs low > 0 (low is %g)", p->lo);
  return TB_OK;
}

/* The `when` of command parameter i resolved into its description: the parent's index among params, the values in
 * the parent's encoding (a categorical's labels as choice indices, numbers as written). */
static int resolve_when(const tb_sx *c, const char *key, tb_param *params, const tb_suite_loc *locs, int n, int i,
                        const when_text *w) {
  tb_param *p = &params[i];
  int pi = -1;
  for (int j = 0; j < n && pi < 0; j++)
    if (!strcmp(params[j].name, w->parent)) pi = j;
  if (pi < 0)
    return tb_error_set(TB_ERR_NOT_FOUND, "%s:%d:%d: %s.%s.when: unknown parent '%s'", c->path, locs[i].line,
                        locs[i].col, key, p->name, w->parent);
  const tb_param *pp = &params[pi];
  if (pp->type == TB_PARAM_FLOAT)
    return tb_error_set(TB_ERR_INVALID, "%s:%d:%d: %s.%s.when: parent '%s' is a float parameter, which never takes one "
                        "exact value (make the parent int or categorical)", c->path, locs[i].line, locs[i].col, key,
                        p->name, w->parent);
  for (int k = 0; k < w->n; k++) {
    char *end;
    double v = NAN;
    if (pp->type == TB_PARAM_CATEGORICAL) {
      int j = choice_index(pp, w->values[k]);
      if (j >= 0) v = j;
    } else {
      v = strtod(w->values[k], &end);
      if (end == w->values[k] || *end) v = NAN;
    }
    if (isnan(v))
      return tb_error_set(TB_ERR_INVALID, "%s:%d:%d: %s.%s.when: '%s' is not a value of %s", c->path, locs[i].line,
                          locs[i].col, key, p->name, w->values[k], w->parent);
    p->cond_values[k] = v;
  }
  p->parent = pi;
  p->n_cond = w->n;
  return TB_OK;
}

int tb_sx_space(const tb_sx *c, struct fy_node *map, const char *key, const tb_learner *L, tb_param **params,
                tb_suite_loc **locs, int *n_params) {
  int rc = tb_sx_need_map(c, map, key);
  if (rc < 0) return rc;
  int cnt = fy_node_mapping_item_count(map);
  if (cnt < 1) return tb_sx_fail(c, map, key, TB_ERR_INVALID, "an empty space");
  if (cnt > TB_SUITE_MAX_PARAMS)
    return tb_sx_fail(c, map, key, TB_ERR_RANGE, "%d parameters: at most %d per space (the results file stores one "
                      "column per parameter)", cnt, TB_SUITE_MAX_PARAMS);
  when_text *when = calloc((size_t)cnt, sizeof *when);
  *params = calloc((size_t)cnt, sizeof **params);
  *locs = calloc((size_t)cnt, sizeof **locs);
  if (!when || !*params || !*locs) {
    free(when);
    return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  }
  *n_params = 0;
  const char *names[64];
  int n_names = 0;
  for (int i = 0; L && i < tb_learner_n_hparams(L) && n_names < 63; i++) names[n_names++] = tb_learner_hparam(L, i)->name;
  names[n_names] = NULL;
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(map, &it))) {
    tb_param *p = &(*params)[*n_params];
    char k2[256], *name = NULL;
    if ((rc = tb_sx_str(c, fy_node_pair_key(pr), key, &name)) < 0) goto done;
    snprintf(k2, sizeof k2, "%s.%s", key, name);
    if (strlen(name) >= TB_PARAM_NAME_MAX) {
      rc = tb_sx_fail(c, fy_node_pair_key(pr), k2, TB_ERR_INVALID, "a parameter name has at most %d characters",
                      TB_PARAM_NAME_MAX - 1);
      free(name);
      goto done;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    free(name);
    (*locs)[*n_params] = tb_sx_loc(fy_node_pair_value(pr));
    (*n_params)++;
    const tb_param *h = NULL;
    if (L) {
      int d = tb_learner_hparam_find(L, p->name);
      if (d < 0) {
        char list[1024];
        tb_sx_join(names, list, sizeof list);
        const char *near = tb_suite_closest(p->name, names);
        rc = tb_sx_fail(c, fy_node_pair_key(pr), k2, TB_ERR_NOT_FOUND,
                        "%s has no hyperparameter '%s' (%s%s%sallowed: %s)", tb_learner_name(L), p->name,
                        near ? "did you mean '" : "", near ? near : "", near ? "'?; " : "", list);
        goto done;
      }
      h = tb_learner_hparam(L, d);
    }
    if ((rc = parse_param(c, fy_node_pair_value(pr), k2, L, h, p, &when[*n_params - 1])) < 0) goto done;
  }
  for (int i = 0; i < *n_params && rc == TB_OK; i++)
    if (when[i].parent) rc = resolve_when(c, key, *params, *locs, *n_params, i, &when[i]);
done:
  for (int i = 0; i < cnt; i++) when_free(&when[i]);
  free(when);
  return rc;
}

/* ---- building spaces ------------------------------------------------------------------------------------------ */
/* Index of the listed parameter `name` among l's, or -1. */
static int listed(const tb_suite_learner *l, const char *name) {
  for (int i = 0; i < l->n_params; i++)
    if (!strcmp(l->params[i].name, name)) return i;
  return -1;
}

/* The space's value set of parameter i as built, to resolve a declared condition value v (a declared index for
 * categoricals). Returns the value in the space's encoding, or NAN when the space cannot take it. */
static double cond_in_space(const tb_param *ph, const tb_param *pp, int others, double v) {
  if (!pp) return others || v == ph->def ? v : NAN; /* declared as is, or fixed at its default */
  if (pp->type == TB_PARAM_FIXED) return v == pp->value ? v : NAN;
  if (pp->type == TB_PARAM_CATEGORICAL) {
    for (int k = 0; k < pp->n_choices; k++)
      if (choice_index(ph, pp->choices[k]) == (int)v) return k;
    return NAN;
  }
  return v >= pp->lo && v <= pp->hi ? v : NAN;
}

static const tb_param *listed_param(const tb_suite_learner *l, const char *name) {
  int i = listed(l, name);
  return i >= 0 ? &l->params[i] : NULL;
}

/* An unlisted categorical of the whole declared space with only the choices that fit the dataset's task (ds NULL:
 * all of them): fixed at the declared index when one choice is left. */
static int add_fitting_choices(tb_space *sp, const tb_learner *L, const tb_param *h, const tb_dataset *ds) {
  const char *keep[TB_PARAM_MAX_CHOICES];
  int k = 0;
  for (int c = 0; c < h->n_choices; c++)
    if (!ds || tb_learner_choice_fits(L, h->name, h->choices[c], ds->task, ds->n_classes)) keep[k++] = h->choices[c];
  if (k == h->n_choices) return tb_space_add_param(sp, h);
  if (k == 1) return tb_space_add_fixed(sp, h->name, choice_index(h, keep[0]));
  return tb_space_add_categorical(sp, h->name, k, keep);
}

/* A listed categorical choice that cannot work on the dataset's task is an error at its line. */
static int check_listed_choices(const tb_suite *s, const tb_suite_learner *l, int li, const tb_dataset *ds) {
  const tb_param *p = &l->params[li];
  if (!ds || p->type != TB_PARAM_CATEGORICAL) return TB_OK;
  for (int c = 0; c < p->n_choices; c++)
    if (!tb_learner_choice_fits(l->learner, p->name, p->choices[c], ds->task, ds->n_classes))
      return tb_error_set(TB_ERR_INVALID, "%s:%d:%d: %s.space.%s: choice '%s' cannot work on %s (%s%.0d%s); leave it "
                          "out", s->path, l->param_locs[li].line, l->param_locs[li].col, l->name, p->name,
                          p->choices[c], ds->name, ds->task == TB_TASK_REGRESSION ? "regression" : "classification, ",
                          ds->task == TB_TASK_REGRESSION ? 0 : ds->n_classes,
                          ds->task == TB_TASK_REGRESSION ? "" : " classes");
  return TB_OK;
}

static int build_learner(const tb_suite *s, const tb_suite_learner *l, const tb_dataset *ds, tb_space *sp) {
  const tb_learner *L = l->learner;
  int n = tb_learner_n_hparams(L), rc = TB_OK;
  int *never = calloc((size_t)n, sizeof *never);
  if (!never) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  /* conditions first: a child whose parent can never enable it is fixed at its default */
  double cond[TB_PARAM_MAX_COND_VALUES];
  for (int i = 0; i < n; i++) {
    const tb_param *h = tb_learner_hparam(L, i);
    if (h->n_cond <= 0) continue;
    const tb_param *ph = tb_learner_hparam(L, h->parent), *pp = listed_param(l, ph->name);
    int k = 0;
    for (int j = 0; j < h->n_cond; j++)
      if (!isnan(cond_in_space(ph, pp, l->others_declared, h->cond_values[j]))) k++;
    int ci = listed(l, h->name);
    if (!k && ci >= 0 && l->params[ci].type != TB_PARAM_FIXED) {
      rc = tb_error_set(TB_ERR_INVALID,
                        "%s:%d:%d: %s.space.%s: never active: it applies only for some values of %s, which this "
                        "space excludes (fix it, or allow those values of %s)",
                        s->path, l->param_locs[ci].line, l->param_locs[ci].col, l->name, h->name, ph->name, ph->name);
      goto done;
    }
    never[i] = !k;
  }
  for (int i = 0; i < n; i++) {
    const tb_param *h = tb_learner_hparam(L, i);
    int li = listed(l, h->name);
    if (li >= 0) { /* as the suite lists it (fixed at its value, or at the default when it can never be active) */
      const tb_param *p = &l->params[li];
      TB_TRY(check_listed_choices(s, l, li, ds));
      rc = never[i] || p->type == TB_PARAM_FIXED
               ? tb_space_add_fixed(sp, h->name, p->type == TB_PARAM_FIXED ? p->value : h->def)
               : tb_space_add_param(sp, p);
      if (rc < 0) {
        tb_error_prefix(rc, "%s:%d:%d: %s.space.%s: ", s->path, l->param_locs[li].line, l->param_locs[li].col,
                        l->name, h->name);
        goto done;
      }
      continue;
    }
    if (never[i] || !l->others_declared || h->type == TB_PARAM_FIXED) TB_TRY(tb_space_add_fixed(sp, h->name, h->def));
    else if (h->type == TB_PARAM_CATEGORICAL) TB_TRY(add_fitting_choices(sp, L, h, ds));
    else TB_TRY(tb_space_add_param(sp, h)); /* searched over the declared range (its condition comes below) */
  }
  for (int i = 0; i < n; i++) {
    const tb_param *h = tb_learner_hparam(L, i);
    if (h->n_cond <= 0 || never[i]) continue;
    int pi = h->parent, k = 0;
    const tb_param *ph = tb_learner_hparam(L, pi), *pp = listed_param(l, ph->name);
    if (never[pi]) continue; /* parent fixed at a default that enables... or not: the child stays plain */
    for (int j = 0; j < h->n_cond; j++) {
      double v = cond_in_space(ph, pp, l->others_declared, h->cond_values[j]);
      if (!isnan(v)) cond[k++] = v;
    }
    const tb_param *sparent = tb_space_param(sp, pi);
    if (sparent->type == TB_PARAM_FIXED) continue; /* always active: no condition needed */
    TB_TRY(tb_space_add_condition(sp, h->name, ph->name, k, cond));
  }
done:
  free(never);
  return rc;
}

static int build_command(const tb_suite *s, const tb_suite_command *cmd, tb_space *sp) {
  for (int pass = 0; pass < 2; pass++) /* the parameters, then their conditions (a parent may come later) */
    for (int i = 0; i < cmd->n_params; i++) {
      const tb_param *p = &cmd->params[i];
      int rc = pass == 0 ? tb_space_add_param(sp, p)
               : p->n_cond > 0 ? tb_space_add_condition(sp, p->name, cmd->params[p->parent].name, p->n_cond,
                                                        p->cond_values)
                               : TB_OK;
      if (rc < 0)
        return tb_error_prefix(rc, "%s:%d:%d: command.space.%s: ", s->path, cmd->param_locs[i].line,
                               cmd->param_locs[i].col, p->name);
    }
  return TB_OK;
}

int tb_suite_space(const tb_suite *s, const tb_suite_experiment *e, tb_space **out) {
  return tb_suite_space_for_data(s, e, NULL, out);
}

int tb_suite_space_for_data(const tb_suite *s, const tb_suite_experiment *e, const tb_dataset *ds, tb_space **out) {
  int rc = TB_OK;
  tb_space *sp = NULL;
  if (!s || !e || !out) return tb_error_set(TB_ERR_INVALID, "suite space: NULL argument");
  *out = NULL;
  if (e->function) return tb_testfn_space(e->function, out);
  TB_TRY(tb_space_init(&sp));
  if (e->learner) TB_TRY(build_learner(s, e->learner, ds, sp));
  else if (e->command) TB_TRY(build_command(s, e->command, sp));
  else TB_FAIL(TB_ERR_INVALID, "suite space: experiment %s has nothing to tune", e->name);
  rc = tb_space_finalize(sp);
  if (rc < 0) TB_FAIL(rc, "%s: %s: %s", s->path, e->name, tb_error_detail());
  *out = sp;
  sp = NULL;
done:
  tb_space_free(sp);
  return rc;
}

int tb_suite_learner_remaps(const tb_suite_learner *l) {
  for (int i = 0; l && i < l->n_params; i++) {
    const tb_param *p = &l->params[i];
    if (p->type != TB_PARAM_CATEGORICAL) continue;
    const tb_param *h = tb_learner_hparam(l->learner, tb_learner_hparam_find(l->learner, p->name));
    for (int k = 0; k < p->n_choices; k++)
      if (choice_index(h, p->choices[k]) != k) return 1;
  }
  return 0;
}

int tb_suite_learner_config(const tb_suite_learner *l, const tb_space *sp, const double *x, double *xl) {
  int rc = TB_OK;
  tb_space *decl = NULL;
  tb_space_map *map = NULL;
  if (!l || !sp || !x || !xl) return tb_error_set(TB_ERR_INVALID, "suite config: NULL argument");
  if (tb_space_dim(sp) != tb_learner_n_hparams(l->learner))
    return tb_error_set(TB_ERR_INVALID, "suite config: not %s's space", l->name);
  /* the learner objective's mapping (tb_space_map): one place maps a restricted space to the declared one */
  TB_TRY(tb_learner_space(l->learner, &decl));
  TB_TRY(tb_space_map_create(sp, decl, &map));
  rc = tb_space_map_apply(map, x, xl);
  if (rc < 0) tb_error_prefix(rc, "suite config: ");
done:
  tb_space_map_free(map);
  tb_space_free(decl);
  return rc;
}
