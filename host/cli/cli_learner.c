/* cli_learner.c: what `tunebench train` and `tunebench bench latency` share before they build a model: the
 * configuration (the learner's defaults plus --set key=value, applied parents first so that `--set l1_ratio=0.3
 * --set penalty=elasticnet` works in any order, then checked), and the data (device resolved, dataset loaded, a
 * label warning printed, then split, imputed and standardised by tb_data_prepare, the data path suite trials take
 * too; backend opened, data uploaded). It is not a command itself. Tested through tests/test_cli.c and
 * tests/test_cli_bench_latency.c (which run the built binary). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tb_error.h"

/* Depth of hyperparameter `name` in its chain of conditions (0: unconditional; unknown names 0). */
static int hp_depth(const tb_learner *L, const char *name) {
  int depth = 0, n = tb_learner_n_hparams(L);
  const tb_param *h = tb_learner_hparam(L, tb_learner_hparam_find(L, name));
  for (int guard = 0; h && h->n_cond > 0 && guard <= n; guard++) {
    h = tb_learner_hparam(L, h->parent);
    depth++;
  }
  return depth;
}

/* Applies the --set values, parents before children (stable in the command-line order otherwise). */
static int apply_sets(const tb_learner *L, const tb_space *sp, double *x, const char *const *sets, int n_sets) {
  int order[TB_CLI_MAX_SETS], depth[TB_CLI_MAX_SETS];
  char key[128];
  if (n_sets > TB_CLI_MAX_SETS) return tb_error_set(TB_ERR_INVALID, "more than %d --set options", TB_CLI_MAX_SETS);
  for (int i = 0; i < n_sets; i++) {
    const char *eq = strchr(sets[i], '=');
    if (!eq || eq == sets[i]) return tb_error_set(TB_ERR_INVALID, "--set '%s' is not key=value", sets[i]);
    snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
    depth[i] = hp_depth(L, key);
    order[i] = i;
  }
  for (int i = 1; i < n_sets; i++) /* insertion sort by depth: stable */
    for (int j = i; j > 0 && depth[order[j - 1]] > depth[order[j]]; j--) {
      int t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  for (int k = 0; k < n_sets; k++) {
    const char *s = sets[order[k]], *eq = strchr(s, '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - s), s);
    int rc = tb_learner_set(L, sp, x, key, eq + 1);
    if (rc < 0) return rc;
  }
  return TB_OK;
}

int tb_cli_learner_config(const tb_cli_learner_opts *o, tb_cli_learner *c) {
  int rc = TB_OK;
  char buf[512];
  c->L = tb_learner_find(o->learner);
  if (!c->L) {
    size_t len = 0;
    const tb_learner *const *all = tb_learners();
    buf[0] = '\0';
    for (int i = 0; all[i] && len < sizeof buf; i++)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? ", " : "", tb_learner_name(all[i]));
    return tb_error_set(TB_ERR_NOT_FOUND, "unknown learner '%s' (learners: %s)", o->learner, buf);
  }
  TB_TRY(tb_learner_space(c->L, &c->sp));
  c->x = malloc((size_t)tb_space_dim(c->sp) * sizeof *c->x);
  if (!c->x) TB_FAIL(TB_ERR_NOMEM, "%s: out of host memory", o->what);
  tb_learner_defaults(c->L, c->sp, c->x);
  TB_TRY(apply_sets(c->L, c->sp, c->x, o->sets, o->n_sets));
  const char *msg = tb_learner_check(c->L, c->sp, c->x, buf, sizeof buf);
  if (msg) TB_FAIL(TB_ERR_INVALID, "%s configuration rejected: %s", o->learner, msg);
done:
  return rc;
}

int tb_cli_learner_data(const tb_cli_learner_opts *o, tb_cli_learner *c) {
  int rc = TB_OK;
  tb_device req, dev;
  char notice[256];
  TB_TRY(tb_device_parse(o->device, &req));
  TB_TRY(tb_device_resolve(&req, &dev, notice, sizeof notice));
  if (notice[0]) fprintf(stderr, "tunebench %s: %s\n", o->what, notice);
  TB_TRY(tb_data_load(o->data, &c->ds));
  if (!tb_learner_supports(c->L, c->ds->task))
    TB_FAIL(TB_ERR_INVALID, "%s does not do %s (dataset %s)", o->learner,
            c->ds->task == TB_TASK_CLASSIFICATION ? "classification" : "regression", o->data);
  char warn[512];
  if (tb_data_label_warning(c->ds, warn, sizeof warn)) fprintf(stderr, "tunebench: %s: warning: %s\n", o->what, warn);
  tb_split_spec ss = tb_split_spec_default(); /* the split of a suite dataset {valid, test, stratify, split_seed} */
  ss.seed = o->split_seed_given ? o->split_seed : o->seed;
  if (o->valid_frac >= 0) ss.valid_frac = o->valid_frac;
  if (o->test_frac >= 0) ss.test_frac = o->test_frac;
  ss.stratify = c->ds->task == TB_TASK_CLASSIFICATION && !o->no_stratify;
  const char *smsg = tb_split_spec_check(&ss);
  if (smsg) TB_FAIL(TB_ERR_INVALID, "%s: %s", o->what, smsg);
  /* split, impute (missing=impute-mean), standardise: the data path of suite trials too (tb_data_prepare) */
  TB_TRY(tb_data_prepare(c->ds, &ss, &c->splits, &c->st));
  TB_TRY(tb_backend_open(&dev, &c->be));
  TB_TRY(tb_devdata_create(c->be, c->ds, &c->dd));
done:
  return rc;
}

void tb_cli_learner_free(tb_cli_learner *c) {
  tb_devdata_free(c->dd);
  tb_backend_free(c->be);
  tb_standardizer_free(&c->st);
  tb_splits_free(&c->splits);
  tb_dataset_free(c->ds);
  free(c->x);
  tb_space_free(c->sp);
  memset(c, 0, sizeof *c);
}
