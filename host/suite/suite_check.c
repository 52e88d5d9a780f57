/* suite_check.c: checks across the sections of a suite once it is read: one kind of experiment, default and
 * allowed objectives, budgets, schedulers that need a fidelity, and every strategy's sampler created (with its
 * options) on every experiment's space, so a bad option or a sampler that cannot handle a space fails at load
 * time with the strategy's line. Not here: reading the sections. Tested by tests/test_suite.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite_impl.h"
#include "tb_error.h"
#include "tb_sampler.h"
#include "tb_scheduler.h"

/* Node /a/i/b (b may be NULL) of root, or the nearest existing ancestor. */
static struct fy_node *at(struct fy_node *root, const char *a, int i, const char *b) {
  char path[128];
  struct fy_node *n;
  if (b) {
    snprintf(path, sizeof path, "/%s/%d/%s", a, i, b);
    if ((n = fy_node_by_path(root, path, (size_t)-1, FYNWF_DONT_FOLLOW))) return n;
  }
  if (i >= 0) {
    snprintf(path, sizeof path, "/%s/%d", a, i);
    if ((n = fy_node_by_path(root, path, (size_t)-1, FYNWF_DONT_FOLLOW))) return n;
  }
  snprintf(path, sizeof path, "/%s", a);
  n = fy_node_by_path(root, path, (size_t)-1, FYNWF_DONT_FOLLOW);
  return n ? n : root;
}

/* Task of a dataset when the SPEC says it: 0 classification, 1 regression, -1 unknown until loaded. */
static int spec_task(const char *spec) {
  if (!strncmp(spec, "gen:friedman1", 13)) return 1;
  if (!strncmp(spec, "gen:", 4) || !strncmp(spec, "fashion-mnist", 13) || !strncmp(spec, "idx:", 4)) return 0;
  if (strstr(spec, "task=regression")) return 1;
  if (strstr(spec, "task=classification")) return 0;
  return -1;
}

static int check_kinds(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  int kinds = (s->n_learners > 0) + (s->n_functions > 0) + (s->command != NULL);
  if (!kinds)
    return tb_sx_fail(c, root, "", TB_ERR_INVALID,
                   "nothing to tune: add 'learners' (with 'datasets'), 'functions' or a 'command'");
  if (kinds > 1)
    return tb_sx_fail(c, s->n_functions ? at(root, "functions", -1, NULL) : at(root, "command", -1, NULL), "",
                   TB_ERR_INVALID, "a suite tunes learners on datasets, test functions or a command: not several "
                                   "(write one suite for each)");
  if (s->n_learners && !s->n_datasets)
    return tb_sx_fail(c, at(root, "learners", -1, NULL), "learners", TB_ERR_INVALID,
                   "learners need 'datasets' (a list of dataset SPECs)");
  if (s->n_datasets && !s->n_learners)
    return tb_sx_fail(c, at(root, "datasets", -1, NULL), "datasets", TB_ERR_INVALID,
                   "datasets need 'learners' to train on them");
  int nobj = s->n_functions ? s->functions[0]->n_obj : 1;
  for (int i = 1; i < s->n_functions; i++)
    if (s->functions[i]->n_obj != nobj)
      return tb_sx_fail(c, at(root, "functions", i, NULL), "functions", TB_ERR_INVALID,
                     "%s has %d objectives but %s has %d: list functions with the same number of objectives",
                     s->functions[i]->name, s->functions[i]->n_obj, s->functions[0]->name, nobj);
  return TB_OK;
}

static int set_objective(tb_suite_objective *o, const char *name, int maximize) {
  o->maximize = maximize;
  return (o->name = strdup(name)) ? TB_OK : tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
}

static int check_objectives(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  int rc, regression = s->n_datasets > 0;
  for (int i = 0; i < s->n_datasets; i++) regression &= spec_task(s->datasets[i].spec) == 1;
  if (!s->n_objectives) { /* defaults */
    if (s->n_learners) rc = set_objective(&s->objectives[0], regression ? "valid_rmse" : "valid_accuracy", !regression);
    else if (s->n_functions && s->functions[0]->n_obj == 2)
      rc = set_objective(&s->objectives[0], "f1", 0), rc = rc < 0 ? rc : set_objective(&s->objectives[1], "f2", 0);
    else rc = set_objective(&s->objectives[0], "value", 0);
    if (rc < 0) return rc;
    s->n_objectives = s->n_functions && s->functions[0]->n_obj == 2 ? 2 : 1;
    return TB_OK;
  }
  for (int i = 0; i < s->n_objectives; i++) {
    tb_suite_objective *o = &s->objectives[i];
    struct fy_node *n = at(root, "objectives", i, NULL);
    char key[64], list[512];
    snprintf(key, sizeof key, "objectives[%d]", i);
    if (s->n_learners) {
      int natural;
      const char *const *names = tb_suite_objective_names();
      if (!tb_suite_objective_natural(o->name, &natural)) {
        const char *near = tb_suite_closest(o->name, names);
        tb_sx_join(names, list, sizeof list);
        return tb_sx_fail(c, n, key, TB_ERR_NOT_FOUND, "unknown objective '%s' (%s%s%sallowed: %s)", o->name,
                       near ? "did you mean '" : "", near ? near : "", near ? "'?; " : "", list);
      }
      if (o->maximize >= 0 && o->maximize != natural)
        return tb_sx_fail(c, n, key, TB_ERR_INVALID, "%s is %s; direction %s makes no sense (remove 'direction')",
                       o->name, natural ? "maximized" : "minimized", o->maximize ? "maximize" : "minimize");
      o->maximize = natural;
      for (int d = 0; d < s->n_datasets; d++) {
        int t = spec_task(s->datasets[d].spec);
        if ((t == 1 && (!strcmp(o->name, "valid_accuracy") || !strcmp(o->name, "test_accuracy"))) ||
            (t == 0 && (!strcmp(o->name, "valid_rmse") || !strcmp(o->name, "test_rmse"))))
          return tb_sx_fail(c, n, key, TB_ERR_INVALID, "%s does not apply to dataset %s (a %s task)", o->name,
                         s->datasets[d].name, t ? "regression" : "classification");
      }
    } else if (s->n_functions) {
      int two = s->functions[0]->n_obj == 2;
      static const char *const one[] = {"value", NULL}, *const pair[] = {"f1", "f2", NULL};
      const char *const *names = two ? pair : one;
      int ok = 0;
      for (int k = 0; names[k]; k++) ok |= !strcmp(names[k], o->name);
      tb_sx_join(names, list, sizeof list);
      if (!ok)
        return tb_sx_fail(c, n, key, TB_ERR_NOT_FOUND, "unknown objective '%s' for test functions (allowed: %s)",
                       o->name, list);
      if (o->maximize == 1)
        return tb_sx_fail(c, n, key, TB_ERR_INVALID, "test functions are minimized (remove 'direction')");
      o->maximize = 0;
    } else {
      for (const char *p = o->name; *p; p++)
        if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
          return tb_sx_fail(c, n, key, TB_ERR_INVALID, "'%s' may hold only letters, digits, '_', '-' and '.'", o->name);
      if (o->maximize < 0) o->maximize = 0;
    }
  }
  if (s->n_learners) { /* test_* objectives are recorded, not tuned: they go last */
    tb_suite_objective tmp[TB_SUITE_MAX_OBJECTIVES];
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
      for (int i = 0; i < s->n_objectives; i++)
        if ((strncmp(s->objectives[i].name, "test_", 5) != 0) == (pass == 0)) tmp[k++] = s->objectives[i];
    memcpy(s->objectives, tmp, sizeof tmp[0] * (size_t)k);
    if (tb_suite_n_tuned(s) == 0)
      return tb_sx_fail(c, at(root, "objectives", 0, NULL), "objectives", TB_ERR_INVALID,
                     "only test_* objectives: they are scored on the held-out test rows and never tuned; list a "
                     "validation objective first (e.g. valid_accuracy)");
  }
  return TB_OK;
}

/* budget.fidelity.unit: data_fraction needs learners (training rows to subsample); a learner unit named in the
 * suite (epochs, rounds, trees) must be every learner's own. */
static int check_unit(const tb_sx *c, struct fy_node *root, const tb_suite *s) {
  struct fy_node *un = fy_node_by_path(root, "/budget/fidelity/unit", (size_t)-1, FYNWF_DONT_FOLLOW);
  const char *w = un && fy_node_is_scalar(un) ? fy_node_get_scalar0(un) : NULL;
  if (!w) return TB_OK;
  if (s->fidelity_data_fraction && (s->n_functions || s->command))
    return tb_sx_fail(c, un, "budget.fidelity.unit", TB_ERR_INVALID,
                   "data_fraction subsamples the training rows of learners on datasets; %s (remove 'unit', or tune "
                   "learners)", s->n_functions ? "test functions have no training rows"
                                              : "a command gets TB_FIDELITY in its own unit");
  if (strcmp(w, "epochs") && strcmp(w, "rounds") && strcmp(w, "trees")) return TB_OK;
  for (int i = 0; i < s->n_learners; i++)
    if (strcmp(tb_learner_fidelity_unit(s->learners[i].learner), w))
      return tb_sx_fail(c, un, "budget.fidelity.unit", TB_ERR_INVALID, "%s trains in %s, not %s (write unit: learner)",
                     s->learners[i].name, tb_learner_fidelity_unit(s->learners[i].learner), w);
  if (!s->n_learners)
    return tb_sx_fail(c, un, "budget.fidelity.unit", TB_ERR_INVALID, "%s is a learner's unit; this suite has no learners "
                   "(remove 'unit')", w);
  return TB_OK;
}

/* The most units of fidelity one learner trial may train (budget.fidelity.max), per learner unit: past these a
 * trial would train for days; 1e9 (the parser's bound) for units the suite does not know. */
static double fidelity_max_units(const char *unit) {
  if (unit && !strcmp(unit, "epochs")) return 10000;   /* an MLP: 10,000 passes over the training rows */
  if (unit && !strcmp(unit, "rounds")) return 100000;  /* boosting: 100,000 rounds (one tree each) */
  if (unit && !strcmp(unit, "trees")) return 10000;    /* a forest: 10,000 trees */
  return 1e9;                                          /* a command's own unit, a test function's */
}

static int check_budget(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  for (int i = 0; i < s->n_strategies; i++) {
    const tb_suite_strategy *t = &s->strategies[i];
    if (!t->trials && !s->trials && s->total_budget <= 0)
      return tb_sx_fail(c, at(root, "strategies", i, NULL), "budget.trials", TB_ERR_INVALID,
                     "strategy %s has no budget: set budget.trials (or trials: in the strategy, or budget.total)",
                     t->name);
    if (!strcmp(t->scheduler, "none")) continue;
    struct fy_node *n = at(root, "strategies", i, "scheduler");
    char key[64];
    snprintf(key, sizeof key, "strategies[%d].scheduler", i);
    if (s->n_functions)
      return tb_sx_fail(c, n, key, TB_ERR_INVALID,
                     "scheduler %s needs a fidelity, and test functions have none (use scheduler none)", t->scheduler);
    if (s->fidelity_max <= 0)
      return tb_sx_fail(c, n, key, TB_ERR_INVALID,
                     "scheduler %s needs budget.fidelity.max (the full budget of one trial, e.g. 27 epochs)",
                     t->scheduler);
    if (tb_suite_n_tuned(s) > 1)
      return tb_sx_fail(c, n, key, TB_ERR_INVALID,
                     "scheduler %s compares one objective; multi-objective strategies use scheduler none",
                     t->scheduler);
  }
  if (s->n_learners && s->fidelity_max <= 0)
    return tb_sx_fail(c, at(root, "budget", -1, NULL), "budget.fidelity.max", TB_ERR_INVALID,
                   "learners train for budget.fidelity.max units (epochs, rounds, trees): set it, e.g. "
                   "fidelity: {max: 10}");
  if (s->fidelity_max > 0 && s->fidelity_min > s->fidelity_max)
    return tb_sx_fail(c, at(root, "budget", -1, NULL), "budget.fidelity", TB_ERR_RANGE, "min is above max");
  for (int i = 0; i < s->n_learners && !s->fidelity_data_fraction; i++) {
    const char *unit = tb_learner_fidelity_unit(s->learners[i].learner);
    double most = fidelity_max_units(unit);
    if (s->fidelity_max > most)
      return tb_sx_fail(c, fy_node_by_path(root, "/budget/fidelity/max", (size_t)-1, FYNWF_DONT_FOLLOW),
                        "budget.fidelity.max", TB_ERR_RANGE,
                        "%g %s per trial is more than %s can train in any sane time (at most %g %s)",
                        s->fidelity_max, unit, s->learners[i].name, most, unit);
  }
  return check_unit(c, root, s);
}

/* Every strategy's sampler on every experiment's space, with the suite's objectives. */
static int check_samplers(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  int rc = TB_OK;
  tb_space *sp = NULL;
  tb_sampler *smp = NULL;
  for (int e = 0; e < tb_suite_n_experiments(s); e++) {
    tb_suite_experiment ex;
    TB_TRY(tb_suite_experiment_get(s, e, &ex));
    TB_TRY(tb_suite_space(s, &ex, &sp));
    for (int i = 0; i < s->n_strategies; i++) {
      const tb_suite_strategy *t = &s->strategies[i];
      tb_sampler_config cfg = {.seed = 0, .n_objectives = tb_suite_n_tuned(s), .n_options = t->n_sampler_options,
                               .option_names = (const char *const *)t->sampler_option_names,
                               .option_values = (const char *const *)t->sampler_option_values};
      for (int k = 0; k < tb_suite_n_tuned(s); k++) cfg.maximize[k] = s->objectives[k].maximize;
      rc = tb_sampler_create(t->sampler, sp, &cfg, &smp);
      if (rc < 0) {
        char key[64], detail[512];
        snprintf(key, sizeof key, "strategies[%d].sampler", i);
        snprintf(detail, sizeof detail, "%s", tb_error_detail());
        rc = tb_sx_fail(c, at(root, "strategies", i, "sampler"), key, rc, "on %s: %s", ex.name, detail);
        goto done;
      }
      if (strcmp(t->scheduler, "none") && tb_suite_n_tuned(s) == 1) { /* its options, on this sampler */
        tb_scheduler_config sc = {.min_fidelity = s->fidelity_min, .max_fidelity = s->fidelity_max,
                                  .max_trials = t->trials ? t->trials : s->trials, .max_budget = s->total_budget,
                                  .maximize = s->objectives[0].maximize, .seed = 0,
                                  .n_options = t->n_scheduler_options,
                                  .option_names = (const char *const *)t->scheduler_option_names,
                                  .option_values = (const char *const *)t->scheduler_option_values};
        tb_scheduler *sch = NULL;
        rc = tb_scheduler_create(t->scheduler, smp, &sc, &sch);
        tb_scheduler_free(sch);
        if (rc < 0) {
          char key[64], detail[512];
          snprintf(key, sizeof key, "strategies[%d].scheduler", i);
          snprintf(detail, sizeof detail, "%s", tb_error_detail());
          rc = tb_sx_fail(c, at(root, "strategies", i, "scheduler"), key, rc, "%s", detail);
          goto done;
        }
      }
      tb_sampler_free(smp);
      smp = NULL;
    }
    tb_space_free(sp);
    sp = NULL;
  }
done:
  tb_sampler_free(smp);
  tb_space_free(sp);
  return rc;
}

int tb_sx_validate(const tb_sx *c, struct fy_node *root, tb_suite *s) {
  int rc;
  if ((rc = check_kinds(c, root, s)) < 0) return rc;
  if ((rc = check_objectives(c, root, s)) < 0) return rc;
  if ((rc = check_budget(c, root, s)) < 0) return rc;
  if (!s->device && !(s->device = strdup("auto"))) return tb_error_set(TB_ERR_NOMEM, "suite: out of memory");
  return check_samplers(c, root, s);
}
