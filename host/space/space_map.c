/* space_map.c: configurations of one space in the encoding of another with the same parameters (tb_space.h,
 * tb_space_map_*): a suite's restricted copy of a learner's space (narrower ranges, fewer or reordered choices, fixed
 * values) mapped to the learner's declared space. The label of each categorical choice is looked up once, when the
 * map is made; applying it is index work only. It is the one such mapping: the learner objective maps each trial's
 * configuration with it, and tb_suite_learner_config is built on it.
 * It is not a sampler and does not check ranges (the learner does: tb_learner_check). Tested by tests/test_space.c,
 * and through tests/test_suite.c and tests/test_study_store.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tb_error.h"
#include "tb_space.h"

struct tb_space_map {
  const tb_space *from, *to;
  int *off; /* dim: start of parameter i's choice table in idx, or -1 (not categorical in both spaces) */
  int *idx; /* idx[off[i] + k]: the index in `to` of `from`'s choice k of parameter i; -1 when `to` lacks it */
};

void tb_space_map_free(tb_space_map *m) {
  if (!m) return;
  free(m->off);
  free(m->idx);
  free(m);
}

int tb_space_map_create(const tb_space *from, const tb_space *to, tb_space_map **out) {
  int rc = TB_OK;
  tb_space_map *m = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "space map: NULL output");
  *out = NULL;
  if (!from || !to || !tb_space_finalized(from) || !tb_space_finalized(to))
    return tb_error_set(TB_ERR_INVALID, "space map: NULL or unfinalized space");
  int d = tb_space_dim(from), total = 0;
  if (tb_space_dim(to) != d)
    return tb_error_set(TB_ERR_INVALID, "space map: %d parameters onto %d", d, tb_space_dim(to));
  for (int i = 0; i < d; i++)
    if (strcmp(tb_space_param(from, i)->name, tb_space_param(to, i)->name))
      return tb_error_set(TB_ERR_INVALID, "space map: parameter %d is '%s' in one space, '%s' in the other", i,
                          tb_space_param(from, i)->name, tb_space_param(to, i)->name);
  if (!(m = calloc(1, sizeof *m)) || !(m->off = malloc((size_t)d * sizeof *m->off)))
    TB_FAIL(TB_ERR_NOMEM, "space map: out of host memory");
  m->from = from, m->to = to;
  for (int i = 0; i < d; i++) {
    const tb_param *p = tb_space_param(from, i), *q = tb_space_param(to, i);
    int both = p->type == TB_PARAM_CATEGORICAL && q->type == TB_PARAM_CATEGORICAL;
    m->off[i] = both ? total : -1;
    total += both ? p->n_choices : 0;
  }
  if (!(m->idx = malloc((size_t)(total ? total : 1) * sizeof *m->idx)))
    TB_FAIL(TB_ERR_NOMEM, "space map: out of host memory");
  for (int i = 0; i < d; i++) {
    if (m->off[i] < 0) continue;
    const tb_param *p = tb_space_param(from, i), *q = tb_space_param(to, i);
    for (int k = 0; k < p->n_choices; k++) {
      int j = -1;
      for (int c = 0; c < q->n_choices && j < 0; c++)
        if (!strcmp(q->choices[c], p->choices[k])) j = c;
      m->idx[m->off[i] + k] = j;
    }
  }
  *out = m;
  m = NULL;
done:
  tb_space_map_free(m);
  return rc;
}

int tb_space_map_apply(const tb_space_map *m, const double *x, double *y) {
  if (!m || !x || !y) return tb_error_set(TB_ERR_INVALID, "space map: NULL argument");
  int d = tb_space_dim(m->from);
  for (int i = 0; i < d; i++) {
    y[i] = x[i];
    if (isnan(x[i]) || m->off[i] < 0) continue;
    const tb_param *p = tb_space_param(m->from, i);
    int k = (int)x[i];
    if (k < 0 || k >= p->n_choices)
      return tb_error_set(TB_ERR_INVALID, "%s = %g is not a choice index", p->name, x[i]);
    int j = m->idx[m->off[i] + k];
    if (j < 0) return tb_error_set(TB_ERR_INVALID, "%s: '%s' is not a declared choice", p->name, p->choices[k]);
    y[i] = j;
  }
  /* activity in `to`: switched off -> NAN, switched on but unset -> its default; until stable (chains) */
  for (int pass = 0; pass <= d; pass++) {
    int changed = 0;
    for (int i = 0; i < d; i++) {
      int on = tb_space_active(m->to, y, i);
      if (!on && !isnan(y[i])) y[i] = NAN, changed = 1;
      else if (on && isnan(y[i])) y[i] = tb_space_param(m->to, i)->def, changed = 1;
    }
    if (!changed) break;
  }
  return TB_OK;
}
