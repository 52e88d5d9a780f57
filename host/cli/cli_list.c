/* cli_list.c: `tunebench list`: what a suite may name: learners with their hyperparameters (type, range or
 * choices, default, log, condition, help), samplers, schedulers, dataset kinds, test functions, objectives and the
 * built-in suites (the .yaml files of suites/, with their descriptions). Not here: parsing suites (host/suite/).
 * Tested by tests/test_suite.c, which runs the built binary. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tb_error.h"
#include "tb_model.h"
#include "tb_sampler.h"
#include "tb_suite.h"
#include "tb_testfn.h"

#ifndef TB_SUITES_DIR
#define TB_SUITES_DIR "suites"
#endif

static void list_names(const char *title, const char *const *names) {
  printf("%s:\n ", title);
  for (int i = 0; names[i]; i++) printf(" %s", names[i]);
  printf("\n\n");
}

static void hparam_line(const tb_param *h) {
  char range[256] = "", def[64] = "";
  static const char *const types[] = {"float", "int", "categorical", "fixed"};
  if (h->type == TB_PARAM_CATEGORICAL) {
    size_t k = 0;
    for (int c = 0; c < h->n_choices && k < sizeof range; c++)
      k += (size_t)snprintf(range + k, sizeof range - k, "%s%s", c ? "|" : "", h->choices[c]);
    snprintf(def, sizeof def, "%s", h->def >= 0 && h->def < h->n_choices ? h->choices[(int)h->def] : "?");
  } else {
    snprintf(range, sizeof range, "[%g, %g]%s", h->lo, h->hi, h->log ? " log" : "");
    snprintf(def, sizeof def, "%g", h->def);
  }
  printf("    %-22s %-11s %-34s default %-9s %s\n", h->name, types[h->type], range, def, h->help ? h->help : "");
}

/* The line, then for a conditional one the parent's values (as labels) that make it active. */
static void hparam_print(const tb_learner *L, const tb_param *h) {
  hparam_line(h);
  if (h->n_cond <= 0) return;
  const tb_param *p = tb_learner_hparam(L, h->parent);
  printf("    %-22s active when %s is", "", p ? p->name : "?");
  for (int k = 0; k < h->n_cond; k++) {
    double v = h->cond_values[k];
    if (p && p->type == TB_PARAM_CATEGORICAL && v >= 0 && v < p->n_choices) printf(" %s%s", k ? "or " : "", p->choices[(int)v]);
    else printf(" %s%g", k ? "or " : "", v);
  }
  printf("\n");
}

static void list_suites(void) {
  const char *suites_dir = tb_cli_share_dir(TB_SUITES_DIR, "suites");
  printf("built-in suites (%s; run one with: tunebench run NAME):\n", suites_dir);
  DIR *d = opendir(suites_dir);
  struct dirent *e;
  char *names[256];
  int n = 0;
  while (d && (e = readdir(d)) && n < 256) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) names[n++] = strdup(e->d_name);
  }
  if (d) closedir(d);
  for (int i = 0; i < n; i++) /* sorted */
    for (int j = i + 1; j < n; j++)
      if (names[i] && names[j] && strcmp(names[i], names[j]) > 0) {
        char *t = names[i];
        names[i] = names[j], names[j] = t;
      }
  for (int i = 0; i < n; i++) {
    if (!names[i]) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", suites_dir, names[i]);
    tb_suite *s = NULL;
    int rc = tb_suite_load(path, &s);
    printf("  %-22.*s %s\n", (int)strlen(names[i]) - 5, names[i],
           rc < 0 ? tb_error_detail() : s->description ? s->description : "");
    tb_suite_free(s);
    free(names[i]);
  }
  if (!n) printf("  (none found)\n");
}

int tb_cli_list(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[0], "--format") && !strcmp(argv[1], "json"))
    return tb_cli_list_json(tb_cli_share_dir(TB_SUITES_DIR, "suites"));
  if (argc == 2 && !strcmp(argv[0], "--format") && strcmp(argv[1], "text"))
    return tb_cli_usage_error("list", "--format '%s': text or json", argv[1]);
  if (argc > 0 && !(argc == 2 && !strcmp(argv[0], "--format")))
    return tb_cli_usage_error("list", "unknown argument '%s'%s", argv[0],
                              argc == 1 && !strcmp(argv[0], "--format") ? " (missing value?)" : "");
  printf("learners (hyperparameter, type, range or choices, default, help):\n");
  for (const tb_learner *const *L = tb_learners(); *L; L++) {
    printf("  %s (fidelity: %s)\n", tb_learner_name(*L), tb_learner_fidelity_unit(*L));
    for (int i = 0; i < tb_learner_n_hparams(*L); i++) hparam_print(*L, tb_learner_hparam(*L, i));
  }
  printf("\n");
  list_names("samplers", tb_sampler_names());
  list_names("schedulers", tb_suite_scheduler_names());
  list_names("dataset kinds (SPEC strings: tunebench --help)", tb_suite_dataset_kinds());
  list_names("test functions", tb_testfn_names());
  list_names("learner objectives (test functions: value, or f1 f2; commands: value or the names they print)",
             tb_suite_objective_names());
  list_suites();
  return TB_EXIT_OK;
}
