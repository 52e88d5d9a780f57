/* suite_compare.c: what a resumed study may not change (tb_suite_compare, tb_suite.h). The suite recorded in the
 * journal and the suite given to --resume must agree on everything that defines a trial: experiments (datasets and
 * their splits, learners, test functions, the command and its timeout), every search space, strategies (names,
 * samplers, schedulers and their options, in order), fidelity and total budget, objectives, repetitions and seeds.
 * Safe edits are not compared: trial counts, wall clock, jobs, fuse, device, memory budget, report settings, name
 * and description. Not here: parsing (suite_yaml.c), running (suite_run.c). Tested by tests/test_suite_run.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tb_suite.h"

typedef struct diff {
  char *buf;
  size_t len, used;
  int n;
} diff;

static void add(diff *d, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(diff *d, const char *key, const char *fmt, ...) {
  d->n++;
  if (!d->buf || d->used + 1 >= d->len) return;
  int k = snprintf(d->buf + d->used, d->len - d->used, "\n  %s: ", key);
  if (k > 0) d->used = d->used + (size_t)k < d->len ? d->used + (size_t)k : d->len - 1;
  va_list ap;
  va_start(ap, fmt);
  k = vsnprintf(d->buf + d->used, d->len - d->used, fmt, ap);
  va_end(ap);
  if (k > 0) d->used = d->used + (size_t)k < d->len ? d->used + (size_t)k : d->len - 1;
}

static const char *str(const char *s) { return s ? s : "(none)"; }
static int str_eq(const char *a, const char *b) { return !strcmp(str(a), str(b)); }

static void cmp_str(diff *d, const char *key, const char *a, const char *b) {
  if (!str_eq(a, b)) add(d, key, "'%s' -> '%s'", str(a), str(b));
}
static void cmp_num(diff *d, const char *key, double a, double b) {
  if (!(a == b)) add(d, key, "%.17g -> %.17g", a, b);
}

static void cmp_options(diff *d, const char *key, int na, char *const *an, char *const *av, int nb, char *const *bn,
                        char *const *bv) {
  int same = na == nb;
  for (int i = 0; same && i < na; i++) same = str_eq(an[i], bn[i]) && str_eq(av[i], bv[i]);
  if (same) return;
  char a[512] = "", b[512] = "";
  for (int i = 0; i < na; i++) snprintf(a + strlen(a), sizeof a - strlen(a), "%s%s=%s", i ? ", " : "", an[i], av[i]);
  for (int i = 0; i < nb; i++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%s=%s", i ? ", " : "", bn[i], bv[i]);
  add(d, key, "{%s} -> {%s}", a, b);
}

static void cmp_params(diff *d, const char *key, int na, const tb_param *a, int nb, const tb_param *b) {
  char k[256];
  if (na != nb) {
    add(d, key, "%d -> %d parameters", na, nb);
    return;
  }
  for (int i = 0; i < na; i++) {
    const tb_param *x = &a[i], *y = &b[i];
    snprintf(k, sizeof k, "%s.%s", key, x->name);
    int same = str_eq(x->name, y->name) && x->type == y->type && x->log == y->log && x->n_choices == y->n_choices &&
               x->n_cond == y->n_cond && (x->n_cond == 0 || x->parent == y->parent);
    same = same && (x->type == TB_PARAM_CATEGORICAL || (x->lo == y->lo && x->hi == y->hi && x->step == y->step));
    same = same && (x->type != TB_PARAM_FIXED || x->value == y->value);
    for (int c = 0; same && c < x->n_choices; c++) same = str_eq(x->choices[c], y->choices[c]);
    for (int c = 0; same && c < x->n_cond; c++) same = x->cond_values[c] == y->cond_values[c];
    if (same) continue;
    if (!str_eq(x->name, y->name)) add(d, k, "renamed to '%s'", y->name);
    else if (x->type != TB_PARAM_CATEGORICAL && x->type == y->type && x->log == y->log && x->step == y->step)
      add(d, k, "range [%.17g, %.17g] -> [%.17g, %.17g]", x->lo, x->hi, y->lo, y->hi);
    else add(d, k, "type, scale, step, choices or condition changed");
  }
}

int tb_suite_compare(const tb_suite *a, const tb_suite *b, char *buf, size_t len) {
  diff d = {buf, len, 0, 0};
  char k[128];
  if (buf && len) buf[0] = 0;
  if (!a || !b) return 0;
  if (a->n_datasets != b->n_datasets) add(&d, "datasets", "%d -> %d", a->n_datasets, b->n_datasets);
  for (int i = 0; i < a->n_datasets && i < b->n_datasets; i++) {
    const tb_suite_dataset *x = &a->datasets[i], *y = &b->datasets[i];
    snprintf(k, sizeof k, "datasets[%d].spec", i), cmp_str(&d, k, x->spec, y->spec);
    snprintf(k, sizeof k, "datasets[%d].name", i), cmp_str(&d, k, x->name, y->name);
    snprintf(k, sizeof k, "datasets[%d].valid", i), cmp_num(&d, k, x->valid_frac, y->valid_frac);
    snprintf(k, sizeof k, "datasets[%d].test", i), cmp_num(&d, k, x->test_frac, y->test_frac);
    snprintf(k, sizeof k, "datasets[%d].stratify", i), cmp_num(&d, k, x->stratify, y->stratify);
    snprintf(k, sizeof k, "datasets[%d].split_seed", i), cmp_num(&d, k, (double)x->split_seed, (double)y->split_seed);
  }
  if (a->n_learners != b->n_learners) add(&d, "learners", "%d -> %d", a->n_learners, b->n_learners);
  for (int i = 0; i < a->n_learners && i < b->n_learners; i++) {
    const tb_suite_learner *x = &a->learners[i], *y = &b->learners[i];
    snprintf(k, sizeof k, "learners[%d]", i), cmp_str(&d, k, x->name, y->name);
    snprintf(k, sizeof k, "learners[%d].others", i), cmp_num(&d, k, x->others_declared, y->others_declared);
    snprintf(k, sizeof k, "learners[%d].space", i), cmp_params(&d, k, x->n_params, x->params, y->n_params, y->params);
  }
  if (a->n_functions != b->n_functions) add(&d, "functions", "%d -> %d", a->n_functions, b->n_functions);
  for (int i = 0; i < a->n_functions && i < b->n_functions; i++)
    if (a->functions[i] != b->functions[i]) snprintf(k, sizeof k, "functions[%d]", i), add(&d, k, "changed");
  if (!a->command != !b->command) add(&d, "command", "%s", a->command ? "removed" : "added");
  if (a->command && b->command) {
    cmp_str(&d, "command.run", a->command->run, b->command->run);
    cmp_num(&d, "command.timeout", a->command->timeout, b->command->timeout);
    cmp_params(&d, "command.space", a->command->n_params, a->command->params, b->command->n_params,
               b->command->params);
  }
  if (a->n_strategies != b->n_strategies) add(&d, "strategies", "%d -> %d", a->n_strategies, b->n_strategies);
  for (int i = 0; i < a->n_strategies && i < b->n_strategies; i++) {
    const tb_suite_strategy *x = &a->strategies[i], *y = &b->strategies[i];
    snprintf(k, sizeof k, "strategies[%d].name", i), cmp_str(&d, k, x->name, y->name);
    snprintf(k, sizeof k, "strategies[%d].sampler", i), cmp_str(&d, k, x->sampler, y->sampler);
    snprintf(k, sizeof k, "strategies[%d].sampler_options", i);
    cmp_options(&d, k, x->n_sampler_options, x->sampler_option_names, x->sampler_option_values, y->n_sampler_options,
                y->sampler_option_names, y->sampler_option_values);
    snprintf(k, sizeof k, "strategies[%d].scheduler", i), cmp_str(&d, k, x->scheduler, y->scheduler);
    snprintf(k, sizeof k, "strategies[%d].scheduler_options", i);
    cmp_options(&d, k, x->n_scheduler_options, x->scheduler_option_names, x->scheduler_option_values,
                y->n_scheduler_options, y->scheduler_option_names, y->scheduler_option_values);
  }
  cmp_num(&d, "budget.fidelity.min", a->fidelity_min, b->fidelity_min);
  cmp_num(&d, "budget.fidelity.max", a->fidelity_max, b->fidelity_max);
  cmp_num(&d, "budget.fidelity.unit (data_fraction)", a->fidelity_data_fraction, b->fidelity_data_fraction);
  cmp_num(&d, "budget.total", a->total_budget, b->total_budget);
  cmp_num(&d, "repetitions", a->n_seeds, b->n_seeds);
  for (int i = 0; i < a->n_seeds && i < b->n_seeds; i++)
    if (a->seeds[i] != b->seeds[i]) {
      snprintf(k, sizeof k, "seed of repetition %d", i);
      add(&d, k, "%llu -> %llu", (unsigned long long)a->seeds[i], (unsigned long long)b->seeds[i]);
    }
  if (a->n_objectives != b->n_objectives) add(&d, "objectives", "%d -> %d", a->n_objectives, b->n_objectives);
  for (int i = 0; i < a->n_objectives && i < b->n_objectives; i++) {
    snprintf(k, sizeof k, "objectives[%d]", i), cmp_str(&d, k, a->objectives[i].name, b->objectives[i].name);
    snprintf(k, sizeof k, "objectives[%d].maximize", i);
    cmp_num(&d, k, a->objectives[i].maximize, b->objectives[i].maximize);
  }
  return d.n;
}
