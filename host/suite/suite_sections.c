/* suite_sections.c: the sections of a suite file: datasets, learners, functions, command, strategies and
 * objectives, and the checks across sections (one kind of experiment, fidelity for schedulers, objectives that fit
 * the experiments, every strategy's sampler created on every experiment's space with its options).
 * Not here: the YAML helpers (suite_yaml.c) or spaces (suite_space.c). Tested by tests/test_suite.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite_impl.h"
#include "tb_data.h"
#include "tb_error.h"
#include "tb_sampler.h"

static const char *const dataset_keys[] = {"spec", "name", "valid", "test", "stratify", "split_seed", NULL};
static const char *const learner_keys[] = {"name", "space", "others", NULL};
static const char *const command_keys[] = {"run", "timeout", "space", NULL};
static const char *const strategy_keys[] = {"name", "sampler", "scheduler", "trials", NULL};
static const char *const objective_keys[] = {"name", "direction", NULL};
static const char *const directions[] = {"minimize", "maximize", NULL};
static const char *const others_words[] = {"default", "declared", NULL};

/* Names of a list's items: the first repeated one as (first index, repeat index) with the smallest repeat index,
 * or 0 when all differ. Sorted (O(n log n)): suites may list tens of thousands of datasets. */
typedef struct {
  const char *name;
  int i;
} named;
static int named_cmp(const void *pa, const void *pb) {
  const named *a = pa, *b = pb;
  int c = strcmp(a->name, b->name);
  return c ? c : (a->i > b->i) - (a->i < b->i);
}
static int first_repeat(const char *const *names, size_t stride, int n, int *first, int *again) {
  named *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
  if (!v) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  for (int i = 0; i < n; i++) v[i] = (named){*(const char *const *)((const char *)names + (size_t)i * stride), i};
  qsort(v, (size_t)n, sizeof *v, named_cmp);
  int found = 0;
  for (int k = 1; k < n; k++)
    if (!strcmp(v[k].name, v[k - 1].name) && (!found || v[k].i < *again)) {
      int j = k - 1;
      while (j > 0 && !strcmp(v[j - 1].name, v[k].name)) j--;
      *first = v[j].i, *again = v[k].i, found = 1;
    }
  free(v);
  return found;
}

/* A list node, its item count, and the array allocated for it. */
static int list_of(const tb_sx *c, struct fy_node *n, const char *key, size_t size, void **arr, int *count) {
  int rc = tb_sx_need_seq(c, n, key);
  if (rc < 0) return rc;
  *count = fy_node_sequence_item_count(n);
  if (*count < 1) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "an empty list");
  *arr = calloc((size_t)*count, size);
  return *arr ? TB_OK : tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
}

/* Short name of a SPEC for experiment names: the file's base name, or the kind without "gen:". */
static void spec_short_name(const tb_spec *sp, char *buf, size_t len) {
  const char *src = sp->kind;
  if (sp->path && *sp->path) {
    const char *slash = strrchr(sp->path, '/');
    src = slash ? slash + 1 : sp->path;
  } else if (!strncmp(src, "gen:", 4)) {
    src += 4;
  }
  size_t k = 0;
  for (; *src && *src != '.' && *src != ',' && k + 1 < len && k < 40; src++)
    buf[k++] = isalnum((unsigned char)*src) || *src == '-' || *src == '_' ? *src : '_';
  buf[k] = '\0';
}

static int read_dataset(const tb_sx *c, struct fy_node *n, const char *key, tb_suite_dataset *d) {
  int rc;
  struct fy_node *v, *specn = n;
  tb_split_spec def = tb_split_spec_default();
  char k2[128], shortname[64];
  d->loc = tb_sx_loc(n);
  d->valid_frac = def.valid_frac, d->test_frac = def.test_frac, d->stratify = def.stratify;
  if (!fy_node_is_scalar(n)) {
    if ((rc = tb_sx_check_keys(c, n, key, dataset_keys)) < 0) return rc;
    if (!(specn = tb_sx_get(n, "spec"))) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "missing 'spec' (a dataset SPEC)");
    snprintf(k2, sizeof k2, "%s.valid", key);
    if ((v = tb_sx_get(n, "valid")) && (rc = tb_sx_double(c, v, k2, 0.01, 0.9, &d->valid_frac)) < 0) return rc;
    snprintf(k2, sizeof k2, "%s.test", key);
    if ((v = tb_sx_get(n, "test")) && (rc = tb_sx_double(c, v, k2, 0, 0.9, &d->test_frac)) < 0) return rc;
    snprintf(k2, sizeof k2, "%s.stratify", key);
    if ((v = tb_sx_get(n, "stratify")) && (rc = tb_sx_bool(c, v, k2, &d->stratify)) < 0) return rc;
    long seed = 0;
    snprintf(k2, sizeof k2, "%s.split_seed", key);
    if ((v = tb_sx_get(n, "split_seed")) && (rc = tb_sx_long(c, v, k2, 0, 0x7fffffffffffffffL, &seed)) < 0) return rc;
    d->split_seed = (uint64_t)seed;
    if (d->valid_frac + d->test_frac >= 0.95)
      return tb_sx_fail(c, tb_sx_get(n, "test") ? tb_sx_get(n, "test") : n, key, TB_ERR_RANGE,
                     "valid %g + test %g leave almost nothing to train on (keep the sum below 0.95)", d->valid_frac,
                     d->test_frac);
    snprintf(k2, sizeof k2, "%s.name", key);
    if ((v = tb_sx_get(n, "name")) && (rc = tb_sx_str(c, v, k2, &d->name)) < 0) return rc;
  }
  snprintf(k2, sizeof k2, "%s.spec", key);
  if ((rc = tb_sx_str(c, specn, fy_node_is_scalar(n) ? key : k2, &d->spec)) < 0) return rc;
  tb_spec sp;
  if ((rc = tb_spec_parse(d->spec, &sp)) < 0)
    return tb_sx_fail(c, specn, key, rc, "bad SPEC '%s': %s", d->spec, tb_error_detail());
  const char *const *kinds = tb_suite_dataset_kinds();
  int known = 0;
  for (int i = 0; kinds[i]; i++) known |= !strcmp(kinds[i], sp.kind);
  if (!known) {
    char list[512];
    tb_sx_join(kinds, list, sizeof list);
    const char *near = tb_suite_closest(sp.kind, kinds);
    rc = tb_sx_fail(c, specn, key, TB_ERR_NOT_FOUND, "unknown dataset kind '%s' (%s%s%sallowed: %s)", sp.kind,
                 near ? "did you mean '" : "", near ? near : "", near ? "'?; " : "", list);
    tb_spec_free(&sp);
    return rc;
  }
  spec_short_name(&sp, shortname, sizeof shortname);
  tb_spec_free(&sp);
  if (!d->name && !(d->name = strdup(shortname))) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  for (const char *p = d->name; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
      return tb_sx_fail(c, n, key, TB_ERR_INVALID, "dataset name '%s' may hold only letters, digits, '_' and '-'",
                     d->name);
  return TB_OK;
}

int tb_sx_datasets(const tb_sx *c, struct fy_node *seq, tb_suite *s) {
  int rc = list_of(c, seq, "datasets", sizeof *s->datasets, (void **)&s->datasets, &s->n_datasets);
  if (rc < 0) return rc;
  void *it = NULL;
  struct fy_node *item;
  for (int i = 0; (item = fy_node_sequence_iterate(seq, &it)); i++) {
    char key[64];
    snprintf(key, sizeof key, "datasets[%d]", i);
    if ((rc = read_dataset(c, item, key, &s->datasets[i])) < 0) return rc;
  }
  int first = 0, again = 0;
  if ((rc = first_repeat((const char *const *)&s->datasets[0].name, sizeof *s->datasets, s->n_datasets, &first,
                         &again)) != 0) {
    if (rc < 0) return rc;
    char key[64];
    snprintf(key, sizeof key, "datasets[%d]", again);
    return tb_sx_fail(c, fy_node_sequence_get_by_index(seq, again), key, TB_ERR_INVALID,
                      "two datasets are both named '%s' (datasets[%d] too; give one a 'name:' to tell them apart)",
                      s->datasets[again].name, first);
  }
  return TB_OK;
}

int tb_sx_learners(const tb_sx *c, struct fy_node *seq, tb_suite *s) {
  int rc = list_of(c, seq, "learners", sizeof *s->learners, (void **)&s->learners, &s->n_learners);
  if (rc < 0) return rc;
  const char *names[16];
  int nn = 0;
  for (const tb_learner *const *L = tb_learners(); *L && nn < 15; L++) names[nn++] = tb_learner_name(*L);
  names[nn] = NULL;
  void *it = NULL;
  struct fy_node *item;
  for (int i = 0; (item = fy_node_sequence_iterate(seq, &it)); i++) {
    tb_suite_learner *l = &s->learners[i];
    char key[64], k2[96];
    struct fy_node *nm = item, *sp = NULL, *ot = NULL;
    snprintf(key, sizeof key, "learners[%d]", i);
    l->loc = tb_sx_loc(item);
    l->others_declared = 1;
    if (!fy_node_is_scalar(item)) {
      if ((rc = tb_sx_check_keys(c, item, key, learner_keys)) < 0) return rc;
      if (!(nm = tb_sx_get(item, "name"))) return tb_sx_fail(c, item, key, TB_ERR_INVALID, "missing 'name' (a learner)");
      sp = tb_sx_get(item, "space"), ot = tb_sx_get(item, "others");
    }
    snprintf(k2, sizeof k2, "%s.name", key);
    if ((rc = tb_sx_word(c, nm, fy_node_is_scalar(item) ? key : k2, "learner", names, &l->name)) < 0) return rc;
    l->learner = tb_learner_find(l->name);
    for (int j = 0; j < i; j++)
      if (!strcmp(s->learners[j].name, l->name))
        return tb_sx_fail(c, nm, key, TB_ERR_INVALID, "learner %s is listed twice", l->name);
    if (sp && fy_node_is_scalar(sp)) {
      char *w = NULL;
      static const char *const decl[] = {"declared", NULL};
      snprintf(k2, sizeof k2, "%s.space", key);
      if ((rc = tb_sx_word(c, sp, k2, "space (a mapping of parameters, or)", decl, &w)) < 0) return rc;
      free(w);
      sp = NULL;
    } else if (sp) {
      l->others_declared = 0;
      snprintf(k2, sizeof k2, "%s.space", key);
      if ((rc = tb_sx_space(c, sp, k2, l->learner, &l->params, &l->param_locs, &l->n_params)) < 0) return rc;
    }
    if (ot) {
      char *w = NULL;
      snprintf(k2, sizeof k2, "%s.others", key);
      if ((rc = tb_sx_word(c, ot, k2, "choice", others_words, &w)) < 0) return rc;
      l->others_declared = !strcmp(w, "declared");
      free(w);
    }
  }
  return TB_OK;
}

int tb_sx_functions(const tb_sx *c, struct fy_node *seq, tb_suite *s) {
  int rc = list_of(c, seq, "functions", sizeof *s->functions, (void **)&s->functions, &s->n_functions);
  if (rc < 0) return rc;
  void *it = NULL;
  struct fy_node *item;
  for (int i = 0; (item = fy_node_sequence_iterate(seq, &it)); i++) {
    char key[64], *w = NULL;
    snprintf(key, sizeof key, "functions[%d]", i);
    if ((rc = tb_sx_word(c, item, key, "test function", tb_testfn_names(), &w)) < 0) return rc;
    s->functions[i] = tb_testfn_find(w);
    free(w);
    for (int j = 0; j < i; j++)
      if (s->functions[j] == s->functions[i])
        return tb_sx_fail(c, item, key, TB_ERR_INVALID, "%s is listed twice", s->functions[i]->name);
  }
  return TB_OK;
}

int tb_sx_command(const tb_sx *c, struct fy_node *map, tb_suite *s) {
  int rc = tb_sx_check_keys(c, map, "command", command_keys);
  struct fy_node *n;
  if (rc < 0) return rc;
  if (!(s->command = calloc(1, sizeof *s->command))) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  s->command->loc = tb_sx_loc(map);
  if (!(n = tb_sx_get(map, "run"))) return tb_sx_fail(c, map, "command", TB_ERR_INVALID, "missing 'run' (the program)");
  if ((rc = tb_sx_str(c, n, "command.run", &s->command->run)) < 0) return rc;
  if ((n = tb_sx_get(map, "timeout")) && (rc = tb_sx_seconds(c, n, "command.timeout", &s->command->timeout)) < 0) return rc;
  if (!(n = tb_sx_get(map, "space")))
    return tb_sx_fail(c, map, "command", TB_ERR_INVALID, "missing 'space' (the parameters the program takes)");
  return tb_sx_space(c, n, "command.space", NULL, &s->command->params, &s->command->param_locs,
                     &s->command->n_params);
}

/* `sampler: NAME` or `sampler: {name: NAME, option: value, ...}` (scheduler alike). */
static int read_component(const tb_sx *c, struct fy_node *n, const char *key, const char *what,
                          const char *const *names, char **name, char **opt_names, char **opt_values, int *n_opts) {
  int rc;
  char k2[128];
  if (n && fy_node_is_scalar(n)) return tb_sx_word(c, n, key, what, names, name);
  if ((rc = tb_sx_need_map(c, n, key)) < 0) return rc;
  struct fy_node *nm = tb_sx_get(n, "name");
  if (!nm) return tb_sx_fail(c, n, key, TB_ERR_INVALID, "missing 'name' (the %s)", what);
  snprintf(k2, sizeof k2, "%s.name", key);
  if ((rc = tb_sx_word(c, nm, k2, what, names, name)) < 0) return rc;
  void *it = NULL;
  struct fy_node_pair *p;
  while ((p = fy_node_mapping_iterate(n, &it))) {
    char *k = NULL;
    if ((rc = tb_sx_str(c, fy_node_pair_key(p), key, &k)) < 0) return rc;
    if (!strcmp(k, "name")) {
      free(k);
      continue;
    }
    if (*n_opts >= TB_SUITE_MAX_OPTIONS) {
      free(k);
      return tb_sx_fail(c, fy_node_pair_key(p), key, TB_ERR_RANGE, "more than %d options", TB_SUITE_MAX_OPTIONS);
    }
    opt_names[*n_opts] = k; /* counted before its value is read: tb_suite_free frees both (fuzz_suite found it) */
    (*n_opts)++;
    snprintf(k2, sizeof k2, "%s.%s", key, k);
    if ((rc = tb_sx_str(c, fy_node_pair_value(p), k2, &opt_values[*n_opts - 1])) < 0) return rc;
  }
  return TB_OK;
}

int tb_sx_strategies(const tb_sx *c, struct fy_node *seq, tb_suite *s) {
  int rc = list_of(c, seq, "strategies", sizeof *s->strategies, (void **)&s->strategies, &s->n_strategies);
  if (rc < 0) return rc;
  void *it = NULL;
  struct fy_node *item, *n;
  for (int i = 0; (item = fy_node_sequence_iterate(seq, &it)); i++) {
    tb_suite_strategy *t = &s->strategies[i];
    char key[64], k2[96];
    snprintf(key, sizeof key, "strategies[%d]", i);
    t->loc = tb_sx_loc(item);
    if ((rc = tb_sx_check_keys(c, item, key, strategy_keys)) < 0) return rc;
    if (!(n = tb_sx_get(item, "sampler")))
      return tb_sx_fail(c, item, key, TB_ERR_INVALID, "missing 'sampler' (allowed: see tunebench list)");
    snprintf(k2, sizeof k2, "%s.sampler", key);
    if ((rc = read_component(c, n, k2, "sampler", tb_sampler_names(), &t->sampler, t->sampler_option_names,
                             t->sampler_option_values, &t->n_sampler_options)) < 0)
      return rc;
    snprintf(k2, sizeof k2, "%s.scheduler", key);
    if ((n = tb_sx_get(item, "scheduler"))) {
      if ((rc = read_component(c, n, k2, "scheduler", tb_suite_scheduler_names(), &t->scheduler,
                               t->scheduler_option_names, t->scheduler_option_values, &t->n_scheduler_options)) < 0)
        return rc;
    } else if (!(t->scheduler = strdup("none"))) {
      return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
    }
    snprintf(k2, sizeof k2, "%s.trials", key);
    if ((n = tb_sx_get(item, "trials")) && (rc = tb_sx_long(c, n, k2, 1, 100000000, &t->trials)) < 0) return rc;
    snprintf(k2, sizeof k2, "%s.name", key);
    if ((n = tb_sx_get(item, "name"))) {
      if ((rc = tb_sx_str(c, n, k2, &t->name)) < 0) return rc;
    } else {
      char def[96];
      snprintf(def, sizeof def, strcmp(t->scheduler, "none") ? "%s+%s" : "%s", t->sampler, t->scheduler);
      if (!(t->name = strdup(def))) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
      n = item;
    }
    if (strlen(t->name) >= 32) return tb_sx_fail(c, n, k2, TB_ERR_RANGE, "'%s' is longer than 31 characters", t->name);
  }
  int first = 0, again = 0;
  if ((rc = first_repeat((const char *const *)&s->strategies[0].name, sizeof *s->strategies, s->n_strategies, &first,
                         &again)) != 0) {
    if (rc < 0) return rc;
    char k2[96];
    item = fy_node_sequence_get_by_index(seq, again);
    snprintf(k2, sizeof k2, "strategies[%d].name", again);
    return tb_sx_fail(c, tb_sx_get(item, "name") ? tb_sx_get(item, "name") : item, k2, TB_ERR_INVALID,
                      "two strategies are named '%s' (strategies[%d] too; names must differ)",
                      s->strategies[again].name, first);
  }
  return TB_OK;
}

int tb_sx_objectives(const tb_sx *c, struct fy_node *n, tb_suite *s) {
  int rc;
  if (!n) return TB_OK; /* defaults are set by tb_sx_validate, which knows the experiments */
  if (fy_node_is_scalar(n)) {
    s->objectives[0].loc = tb_sx_loc(n);
    if ((rc = tb_sx_str(c, n, "objectives", &s->objectives[0].name)) < 0) return rc;
    s->n_objectives = 1;
    s->objectives[0].maximize = -1;
    return TB_OK;
  }
  if ((rc = tb_sx_need_seq(c, n, "objectives")) < 0) return rc;
  int cnt = fy_node_sequence_item_count(n);
  if (cnt < 1 || cnt > TB_SUITE_MAX_OBJECTIVES)
    return tb_sx_fail(c, n, "objectives", TB_ERR_RANGE, "needs 1..%d objectives, got %d", TB_SUITE_MAX_OBJECTIVES, cnt);
  void *it = NULL;
  struct fy_node *item;
  for (int i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
    tb_suite_objective *o = &s->objectives[i];
    char key[64], k2[96];
    snprintf(key, sizeof key, "objectives[%d]", i);
    o->loc = tb_sx_loc(item);
    o->maximize = -1;
    s->n_objectives = i + 1;
    struct fy_node *nm = item;
    if (!fy_node_is_scalar(item)) {
      if ((rc = tb_sx_check_keys(c, item, key, objective_keys)) < 0) return rc;
      if (!(nm = tb_sx_get(item, "name"))) return tb_sx_fail(c, item, key, TB_ERR_INVALID, "missing 'name'");
      struct fy_node *d = tb_sx_get(item, "direction");
      char *w = NULL;
      snprintf(k2, sizeof k2, "%s.direction", key);
      if (d && (rc = tb_sx_word(c, d, k2, "direction", directions, &w)) < 0) return rc;
      if (w) o->maximize = !strcmp(w, "maximize");
      free(w);
    }
    if ((rc = tb_sx_str(c, nm, key, &o->name)) < 0) return rc;
    for (int j = 0; j < i; j++)
      if (!strcmp(s->objectives[j].name, o->name))
        return tb_sx_fail(c, nm, key, TB_ERR_INVALID, "objective %s is listed twice", o->name);
  }
  return TB_OK;
}
