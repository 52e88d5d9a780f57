/* space.c: search spaces (tb_space.h): the parameter list and its adders, the one switch from a description
 * (tb_param) to the adder of its type (tb_space_add_param / _params, tb_space_copy), conditions (chains allowed,
 * cycles rejected at finalize), the validity check (tb_param_check per value), the unit-cube mapping and JSON
 * formatting of a configuration. Mapping between two spaces is space_map.c.
 * It is not a sampler: samplers (sampler*.c, tpe.c, ...) only use tb_space_from_unit / to_unit / check.
 * Tested by tests/test_space.c (bad input for every adder, condition chains and cycles, check messages,
 * unit-cube round trips for log/int/step/categorical parameters, JSON).
 *
 * Unit-cube mapping, per parameter (u is clamped into [0, 1)):
 *   float        lo + u (hi - lo); log: exp(log lo + u (log hi - log lo)), clamped into [lo, hi]
 *   int          m = floor((hi - lo) / step) + 1 values lo, lo + step, ...; index floor(u m)
 *   int, log     as Optuna: exp(log(lo - 0.5) + u (log(hi + 0.5) - log(lo - 0.5))) rounded to the nearest integer
 *                and clamped into [lo, hi], so each value v owns the log-cell [v - 0.5, v + 0.5] (step must be 1)
 *   categorical  index floor(u n)
 *   fixed        the value
 * to_unit maps a value to the centre of its cell (log-int: the log-space centre of [v - 0.5, v + 0.5]); floats map
 * to their own position. from_unit needs a finalized space (otherwise it gives all NAN). Parameters are evaluated in a topological order of the condition graph (computed by
 * tb_space_finalize), so a parent may be declared after its child.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tb_space.h"

struct tb_space {
  int n, cap;
  tb_param *p;
  int *order; /* topological order of the condition graph (parents first); set by finalize */
  int finalized;
  const void *origin; /* tb_space_set_origin's tag (finalized spaces only) */
};

size_t tb_param_size(void) { return sizeof(tb_param); }

int tb_space_init(tb_space **out) {
  *out = calloc(1, sizeof **out);
  return *out ? TB_OK : tb_error_set(TB_ERR_NOMEM, "space: out of host memory");
}

void tb_space_free(tb_space *sp) {
  if (!sp) return;
  for (int i = 0; i < sp->n; i++) {
    for (int k = 0; k < sp->p[i].n_choices; k++) free((char *)sp->p[i].choices[k]);
    free((char *)sp->p[i].help);
  }
  free(sp->p);
  free(sp->order);
  free(sp);
}

int tb_space_dim(const tb_space *sp) { return sp ? sp->n : 0; }

const tb_param *tb_space_param(const tb_space *sp, int i) { return sp && i >= 0 && i < sp->n ? &sp->p[i] : NULL; }

int tb_space_find(const tb_space *sp, const char *name) {
  if (!sp || !name) return -1;
  for (int i = 0; i < sp->n; i++)
    if (!strcmp(sp->p[i].name, name)) return i;
  return -1;
}

/* Appends a parameter after checking the name; *out points at it (zeroed except name/type/parent, def NAN). */
static int add_param(tb_space *sp, const char *name, tb_param_type type, tb_param **out) {
  if (!sp) return tb_error_set(TB_ERR_INVALID, "space: NULL space");
  if (sp->finalized) return tb_error_set(TB_ERR_INVALID, "space: cannot add '%s' to a finalized space", name ? name : "");
  if (!name || !*name) return tb_error_set(TB_ERR_INVALID, "space: a parameter needs a non-empty name");
  if (strlen(name) >= TB_PARAM_NAME_MAX)
    return tb_error_set(TB_ERR_INVALID, "space: parameter name '%.20s...' is longer than %d characters", name,
                        TB_PARAM_NAME_MAX - 1);
  if (tb_space_find(sp, name) >= 0) return tb_error_set(TB_ERR_INVALID, "space: duplicate parameter name '%s'", name);
  if (sp->n == sp->cap) {
    int cap = sp->cap ? 2 * sp->cap : 16;
    tb_param *p = realloc(sp->p, (size_t)cap * sizeof *p);
    if (!p) return tb_error_set(TB_ERR_NOMEM, "space: out of host memory");
    sp->p = p;
    sp->cap = cap;
  }
  tb_param *p = &sp->p[sp->n];
  memset(p, 0, sizeof *p);
  strcpy(p->name, name);
  p->type = type;
  p->def = NAN;
  p->parent = -1;
  *out = p;
  return TB_OK;
}

int tb_space_add_float(tb_space *sp, const char *name, double lo, double hi, int log) {
  if (!isfinite(lo) || !isfinite(hi))
    return tb_error_set(TB_ERR_INVALID, "space: float '%s' has a non-finite bound [%g, %g]", name ? name : "", lo, hi);
  if (lo >= hi) return tb_error_set(TB_ERR_INVALID, "space: float '%s' has an empty range: lo %g >= hi %g", name ? name : "", lo, hi);
  if (log && lo <= 0)
    return tb_error_set(TB_ERR_INVALID, "space: float '%s' is log-scaled but lo = %g <= 0", name ? name : "", lo);
  tb_param *p;
  int rc = add_param(sp, name, TB_PARAM_FLOAT, &p);
  if (rc < 0) return rc;
  p->lo = lo, p->hi = hi, p->log = log ? 1 : 0;
  sp->n++;
  return TB_OK;
}

int tb_space_add_int(tb_space *sp, const char *name, long lo, long hi, long step, int log) {
  const char *nm = name ? name : "";
  if (lo > hi) return tb_error_set(TB_ERR_INVALID, "space: int '%s' has an empty range: lo %ld > hi %ld", nm, lo, hi);
  if (step <= 0) return tb_error_set(TB_ERR_INVALID, "space: int '%s' has step %ld <= 0", nm, step);
  if (log && lo <= 0) return tb_error_set(TB_ERR_INVALID, "space: int '%s' is log-scaled but lo = %ld <= 0", nm, lo);
  if (log && step != 1)
    return tb_error_set(TB_ERR_INVALID, "space: int '%s' is log-scaled with step %ld: log needs step 1", nm, step);
  if (labs(lo) > (1L << 52) || labs(hi) > (1L << 52))
    return tb_error_set(TB_ERR_INVALID, "space: int '%s' bounds exceed 2^52 (not exact in double)", nm);
  tb_param *p;
  int rc = add_param(sp, name, TB_PARAM_INT, &p);
  if (rc < 0) return rc;
  p->lo = (double)lo, p->hi = (double)hi, p->step = (double)step, p->log = log ? 1 : 0;
  sp->n++;
  return TB_OK;
}

int tb_space_add_categorical(tb_space *sp, const char *name, int n_choices, const char *const *choices) {
  const char *nm = name ? name : "";
  if (n_choices < 1) return tb_error_set(TB_ERR_INVALID, "space: categorical '%s' has %d choices (needs >= 1)", nm, n_choices);
  if (n_choices > TB_PARAM_MAX_CHOICES)
    return tb_error_set(TB_ERR_INVALID, "space: categorical '%s' has %d choices (at most %d)", nm, n_choices,
                        TB_PARAM_MAX_CHOICES);
  if (!choices) return tb_error_set(TB_ERR_INVALID, "space: categorical '%s' has no choice list", nm);
  for (int k = 0; k < n_choices; k++) {
    if (!choices[k] || !*choices[k])
      return tb_error_set(TB_ERR_INVALID, "space: categorical '%s' choice %d is empty", nm, k);
    for (int j = 0; j < k; j++)
      if (!strcmp(choices[j], choices[k]))
        return tb_error_set(TB_ERR_INVALID, "space: categorical '%s' lists choice '%s' twice", nm, choices[k]);
  }
  tb_param *p;
  int rc = add_param(sp, name, TB_PARAM_CATEGORICAL, &p);
  if (rc < 0) return rc;
  for (int k = 0; k < n_choices; k++) {
    p->choices[k] = strdup(choices[k]);
    if (!p->choices[k]) {
      for (int j = 0; j < k; j++) free((char *)p->choices[j]);
      return tb_error_set(TB_ERR_NOMEM, "space: out of host memory");
    }
  }
  p->n_choices = n_choices;
  p->lo = 0, p->hi = n_choices - 1;
  sp->n++;
  return TB_OK;
}

int tb_space_add_fixed(tb_space *sp, const char *name, double value) {
  if (!isfinite(value)) return tb_error_set(TB_ERR_INVALID, "space: fixed '%s' has non-finite value %g", name ? name : "", value);
  tb_param *p = NULL;
  int rc = add_param(sp, name, TB_PARAM_FIXED, &p);
  if (rc < 0) return rc;
  p->value = p->lo = p->hi = p->def = value;
  sp->n++;
  return TB_OK;
}

int tb_space_add_param(tb_space *sp, const tb_param *p) {
  int rc;
  if (!p) return tb_error_set(TB_ERR_INVALID, "space: NULL parameter description");
  switch (p->type) {
  case TB_PARAM_FLOAT: rc = tb_space_add_float(sp, p->name, p->lo, p->hi, p->log); break;
  case TB_PARAM_INT: /* a zeroed step is the plain step 1 */
    rc = tb_space_add_int(sp, p->name, (long)p->lo, (long)p->hi, p->step == 0 ? 1 : (long)p->step, p->log);
    break;
  case TB_PARAM_CATEGORICAL: rc = tb_space_add_categorical(sp, p->name, p->n_choices, p->choices); break;
  case TB_PARAM_FIXED: rc = tb_space_add_fixed(sp, p->name, p->value); break;
  default: return tb_error_set(TB_ERR_INVALID, "space: parameter '%s' has unknown type %d", p->name, (int)p->type);
  }
  if (rc < 0) return rc;
  tb_param *q = &sp->p[sp->n - 1];
  if (p->type != TB_PARAM_FIXED) q->def = p->def;
  if (p->help && !(q->help = strdup(p->help))) return tb_error_set(TB_ERR_NOMEM, "space: out of host memory");
  return TB_OK;
}

int tb_space_add_params(tb_space *sp, int n, const tb_param *ps) {
  int rc = TB_OK;
  if (n > 0 && !ps) return tb_error_set(TB_ERR_INVALID, "space: NULL parameter list");
  for (int i = 0; i < n && rc == TB_OK; i++) rc = tb_space_add_param(sp, &ps[i]);
  for (int i = 0; i < n && rc == TB_OK; i++) {
    if (ps[i].n_cond <= 0) continue;
    if (ps[i].parent < 0 || ps[i].parent >= n)
      return tb_error_set(TB_ERR_INVALID, "space: the condition of '%s' names parameter %d of a list of %d",
                          ps[i].name, ps[i].parent, n);
    rc = tb_space_add_condition(sp, ps[i].name, ps[ps[i].parent].name, ps[i].n_cond, ps[i].cond_values);
  }
  return rc;
}

int tb_space_add_condition(tb_space *sp, const char *child, const char *parent, int n_values, const double *values) {
  if (!sp) return tb_error_set(TB_ERR_INVALID, "space: NULL space");
  if (sp->finalized) return tb_error_set(TB_ERR_INVALID, "space: cannot add a condition to a finalized space");
  int c = tb_space_find(sp, child), p = tb_space_find(sp, parent);
  if (c < 0) return tb_error_set(TB_ERR_NOT_FOUND, "space: condition on unknown parameter '%s'", child ? child : "");
  if (p < 0)
    return tb_error_set(TB_ERR_NOT_FOUND, "space: condition of '%s' names unknown parent '%s'", child,
                        parent ? parent : "");
  if (c == p) return tb_error_set(TB_ERR_INVALID, "space: '%s' cannot be conditional on itself", child);
  if (sp->p[c].parent >= 0)
    return tb_error_set(TB_ERR_INVALID, "space: '%s' already has a condition (on '%s'); one parent per parameter",
                        child, sp->p[sp->p[c].parent].name);
  if (n_values < 1 || n_values > TB_PARAM_MAX_COND_VALUES || !values)
    return tb_error_set(TB_ERR_INVALID, "space: condition of '%s' has %d values (needs 1..%d)", child, n_values,
                        TB_PARAM_MAX_COND_VALUES);
  for (int k = 0; k < n_values; k++)
    if (!isfinite(values[k]))
      return tb_error_set(TB_ERR_INVALID, "space: condition of '%s' has non-finite value %g", child, values[k]);
  sp->p[c].parent = p;
  sp->p[c].n_cond = n_values;
  memcpy(sp->p[c].cond_values, values, (size_t)n_values * sizeof *values);
  return TB_OK;
}

const char *tb_param_check(const tb_param *p, double v, char *buf, size_t len) {
  switch (p->type) {
  case TB_PARAM_FLOAT:
    if (v < p->lo || v > p->hi) snprintf(buf, len, "%s = %.17g outside [%g, %g]", p->name, v, p->lo, p->hi);
    else return NULL;
    return buf;
  case TB_PARAM_INT: {
    if (v != floor(v)) snprintf(buf, len, "%s = %.17g is not an integer", p->name, v);
    else if (v < p->lo || v > p->hi) snprintf(buf, len, "%s = %.17g outside [%.0f, %.0f]", p->name, v, p->lo, p->hi);
    else if (fmod(v - p->lo, p->step) != 0)
      snprintf(buf, len, "%s = %.0f is not on the grid %.0f + k*%.0f", p->name, v, p->lo, p->step);
    else return NULL;
    return buf;
  }
  case TB_PARAM_CATEGORICAL:
    if (v != floor(v) || v < 0 || v >= p->n_choices)
      snprintf(buf, len, "%s = %.17g is not a choice index 0..%d", p->name, v, p->n_choices - 1);
    else return NULL;
    return buf;
  case TB_PARAM_FIXED:
    if (v != p->value) snprintf(buf, len, "%s = %.17g differs from its fixed value %.17g", p->name, v, p->value);
    else return NULL;
    return buf;
  }
  snprintf(buf, len, "%s has an unknown type", p->name);
  return buf;
}

int tb_space_finalized(const tb_space *sp) { return sp && sp->finalized; }
void tb_space_set_origin(tb_space *sp, const void *origin) {
  if (sp && sp->finalized) sp->origin = origin;
}
const void *tb_space_origin(const tb_space *sp) { return sp ? sp->origin : NULL; }

int tb_space_copy(const tb_space *src, tb_space **out) {
  tb_space *sp = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "space copy: NULL output");
  *out = NULL;
  if (!src || !src->finalized) return tb_error_set(TB_ERR_INVALID, "space copy: the space is not finalized");
  int rc = tb_space_init(&sp);
  if (rc == TB_OK) rc = tb_space_add_params(sp, src->n, src->p); /* unconditional ones have n_cond 0 */
  if (rc == TB_OK) rc = tb_space_finalize(sp);
  if (rc < 0) {
    tb_space_free(sp);
    return rc;
  }
  *out = sp;
  return TB_OK;
}

int tb_space_finalize(tb_space *sp) {
  if (!sp) return tb_error_set(TB_ERR_INVALID, "space: NULL space");
  if (sp->finalized) return TB_OK;
  if (sp->n < 1) return tb_error_set(TB_ERR_INVALID, "space: no parameters");
  char msg[256];
  for (int i = 0; i < sp->n; i++) {
    const tb_param *c = &sp->p[i];
    if (c->parent < 0) continue;
    for (int k = 0; k < c->n_cond; k++)
      if (tb_param_check(&sp->p[c->parent], c->cond_values[k], msg, sizeof msg))
        return tb_error_set(TB_ERR_INVALID, "space: condition of '%s' can never hold: %s", c->name, msg);
  }
  /* topological order, parents first; a parameter whose chain does not reach a root within n steps is on a cycle */
  int *order = malloc((size_t)sp->n * sizeof *order), *depth = calloc((size_t)sp->n, sizeof *depth);
  if (!order || !depth) {
    free(order), free(depth);
    return tb_error_set(TB_ERR_NOMEM, "space: out of host memory");
  }
  for (int i = 0; i < sp->n; i++) {
    int d = 0, j = i;
    while (sp->p[j].parent >= 0 && d <= sp->n) j = sp->p[j].parent, d++;
    if (d > sp->n) {
      /* walk into the cycle and name its members */
      char cyc[200] = "";
      j = i;
      for (int s = 0; s < sp->n; s++) j = sp->p[j].parent;
      int start = j;
      do {
        snprintf(cyc + strlen(cyc), sizeof cyc - strlen(cyc), "'%s' <- ", sp->p[j].name);
        j = sp->p[j].parent;
      } while (j != start && strlen(cyc) < sizeof cyc - 1);
      snprintf(cyc + strlen(cyc), sizeof cyc - strlen(cyc), "'%s'", sp->p[start].name);
      free(order), free(depth);
      return tb_error_set(TB_ERR_INVALID, "space: conditions form a cycle: %s", cyc);
    }
    depth[i] = d;
  }
  int k = 0; /* stable sort by depth: declaration order within a depth */
  for (int d = 0; k < sp->n; d++)
    for (int i = 0; i < sp->n; i++)
      if (depth[i] == d) order[k++] = i;
  free(depth);
  sp->order = order;
  sp->finalized = 1;
  return TB_OK;
}

static int cond_holds(const tb_param *c, double pv) {
  for (int k = 0; k < c->n_cond; k++)
    if (pv == c->cond_values[k]) return 1;
  return 0;
}

int tb_space_active(const tb_space *sp, const double *x, int i) {
  if (!sp || i < 0 || i >= sp->n) return 0;
  for (int j = i, steps = 0; sp->p[j].parent >= 0; j = sp->p[j].parent)
    if (!cond_holds(&sp->p[j], x[sp->p[j].parent]) || ++steps > sp->n) return 0;
  return 1;
}

const char *tb_space_check(const tb_space *sp, const double *x, char *buf, size_t len) {
  static _Thread_local char tmp[256]; /* used when the caller gives no buffer */
  if (!buf || len == 0) buf = tmp, len = sizeof tmp;
  const char *bad = NULL;
  if (!sp || !sp->finalized) {
    snprintf(buf, len, "the search space is not finalized");
    bad = buf;
  }
  for (int i = 0; !bad && i < sp->n; i++) {
    const tb_param *p = &sp->p[i];
    double v = x[i];
    if (!tb_space_active(sp, x, i)) {
      if (!isnan(v)) snprintf(buf, len, "%s is inactive but set (%.17g)", p->name, v), bad = buf;
      continue;
    }
    if (isnan(v)) snprintf(buf, len, "%s is active but not set (NaN)", p->name), bad = buf;
    else if (!isfinite(v)) snprintf(buf, len, "%s = %g is not finite", p->name, v), bad = buf;
    else bad = tb_param_check(p, v, buf, len);
  }
  return bad;
}

static double clamp_u(double u) {
  if (!(u >= 0)) return 0; /* NaN too */
  return u < 1 ? u : nextafter(1.0, 0.0);
}

/* Number of values of an int parameter. */
static double int_count(const tb_param *p) { return floor((p->hi - p->lo) / p->step) + 1; }

static double map_one(const tb_param *p, double u) {
  u = clamp_u(u);
  switch (p->type) {
  case TB_PARAM_FLOAT: {
    if (u == 0) return p->lo; /* exact, whatever exp(log(lo)) rounds to */
    double v = p->log ? exp(log(p->lo) + u * (log(p->hi) - log(p->lo))) : p->lo + u * (p->hi - p->lo);
    return v < p->lo ? p->lo : v > p->hi ? p->hi : v;
  }
  case TB_PARAM_INT: {
    if (p->log) {
      double a = log(p->lo - 0.5), b = log(p->hi + 0.5), v = round(exp(a + u * (b - a)));
      return v < p->lo ? p->lo : v > p->hi ? p->hi : v;
    }
    double m = int_count(p), k = floor(u * m);
    return p->lo + (k < m ? k : m - 1) * p->step;
  }
  case TB_PARAM_CATEGORICAL: {
    int k = (int)(u * p->n_choices);
    return k < p->n_choices ? k : p->n_choices - 1;
  }
  case TB_PARAM_FIXED: return p->value;
  }
  return NAN;
}

void tb_space_from_unit(const tb_space *sp, const double *u, double *x) {
  if (!sp->finalized) { /* no order yet: give an invalid configuration (all NAN) that tb_space_check reports */
    for (int i = 0; i < sp->n; i++) x[i] = NAN;
    return;
  }
  for (int k = 0; k < sp->n; k++) {
    int i = sp->order[k]; /* parents before children */
    const tb_param *p = &sp->p[i];
    int act = p->parent < 0 || (!isnan(x[p->parent]) && cond_holds(p, x[p->parent]));
    x[i] = act ? map_one(p, u[i]) : NAN;
  }
}

static double unit_one(const tb_param *p, double v) {
  double u = 0.5;
  switch (p->type) {
  case TB_PARAM_FLOAT:
    u = p->log ? (log(v) - log(p->lo)) / (log(p->hi) - log(p->lo)) : (v - p->lo) / (p->hi - p->lo);
    break;
  case TB_PARAM_INT:
    if (p->log) {
      double a = log(p->lo - 0.5), b = log(p->hi + 0.5), r = round(v);
      r = r < p->lo ? p->lo : r > p->hi ? p->hi : r;
      u = (0.5 * (log(r - 0.5) + log(r + 0.5)) - a) / (b - a);
    } else {
      double m = int_count(p), k = round((v - p->lo) / p->step);
      k = k < 0 ? 0 : k > m - 1 ? m - 1 : k;
      u = (k + 0.5) / m;
    }
    break;
  case TB_PARAM_CATEGORICAL: u = (round(v) + 0.5) / p->n_choices; break;
  case TB_PARAM_FIXED: u = 0.5; break;
  }
  return isnan(u) ? 0.5 : clamp_u(u);
}

void tb_space_to_unit(const tb_space *sp, const double *x, double *u) {
  for (int i = 0; i < sp->n; i++) u[i] = tb_space_active(sp, x, i) && !isnan(x[i]) ? unit_one(&sp->p[i], x[i]) : 0.5;
}

/* snprintf-style appender: writes what fits, always counts. */
typedef struct {
  char *buf;
  size_t len, n;
} jbuf;

static void jput(jbuf *b, const char *s, size_t k) {
  for (size_t i = 0; i < k; i++, b->n++)
    if (b->n + 1 < b->len) b->buf[b->n] = s[i];
}

static void jstr(jbuf *b, const char *s) {
  jput(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    char esc[8];
    if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c, jput(b, esc, 2);
    else if (c < 0x20) jput(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
    else jput(b, s, 1);
  }
  jput(b, "\"", 1);
}

size_t tb_space_format_json(const tb_space *sp, const double *x, char *buf, size_t len) {
  jbuf b = {buf, len, 0};
  char num[40];
  jput(&b, "{", 1);
  for (int i = 0, first = 1; i < sp->n; i++) {
    const tb_param *p = &sp->p[i];
    double v = x[i];
    if (!tb_space_active(sp, x, i) || isnan(v)) continue;
    if (!first) jput(&b, ", ", 2);
    first = 0;
    jstr(&b, p->name);
    jput(&b, ": ", 2);
    if (p->type == TB_PARAM_CATEGORICAL && v == floor(v) && v >= 0 && v < p->n_choices) jstr(&b, p->choices[(int)v]);
    else if (!isfinite(v)) jput(&b, "null", 4);
    else if (p->type == TB_PARAM_INT && v == floor(v)) jput(&b, num, (size_t)snprintf(num, sizeof num, "%.0f", v));
    else jput(&b, num, (size_t)snprintf(num, sizeof num, "%.17g", v));
  }
  jput(&b, "}", 1);
  if (len) buf[b.n < len ? b.n : len - 1] = '\0';
  return b.n;
}
