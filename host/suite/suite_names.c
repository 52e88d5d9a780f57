/* suite_names.c: the experiments of a loaded suite (learner x dataset, functions, the command), the names a suite
 * may use that are not another module's list (objectives, dataset kinds, schedulers), "did you mean" by edit
 * distance, and resolving `tunebench run NAME` to suites/NAME.yaml.
 * Not here: parsing. Tested by tests/test_suite.c. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tb_error.h"
#include "tb_suite.h"

/* The learner objective's metrics (tb_objective.h), in its order. */
static const char *const objective_names[] = {"valid_loss", "valid_accuracy", "valid_rmse", "train_time_s",
                                              "latency_b1_p50_us", "latency_b1_p99_us", "latency_b256_p50_us",
                                              "latency_b256_p99_us", "n_params", "model_bytes", "peak_memory_bytes",
                                              "test_accuracy", "test_loss", "test_rmse", NULL};
static const int objective_max[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};

int tb_suite_n_tuned(const tb_suite *s) {
  int n = 0;
  for (int i = 0; s && i < s->n_objectives; i++) n += !(s->n_learners && !strncmp(s->objectives[i].name, "test_", 5));
  return n;
}

const char *const *tb_suite_objective_names(void) { return objective_names; }

int tb_suite_objective_natural(const char *name, int *maximize) {
  for (int i = 0; name && objective_names[i]; i++)
    if (!strcmp(objective_names[i], name)) {
      if (maximize) *maximize = objective_max[i];
      return 1;
    }
  return 0;
}

static const char *const dataset_kinds[] = {"fashion-mnist", "csv", "libsvm", "idx", "hdf5", "gen:classification",
                                            "gen:friedman1", "gen:rectangles", "gen:convex", NULL};
const char *const *tb_suite_dataset_kinds(void) { return dataset_kinds; }

/* The schedulers of tb_scheduler.h (its tb_scheduler_names() lists the same once the module is built). */
static const char *const scheduler_names[] = {"none", "early_stopping", "median", "sh", "hyperband", "asha", "bohb",
                                              "pbt", NULL};
const char *const *tb_suite_scheduler_names(void) { return scheduler_names; }

int tb_suite_edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 127 || m > 127) return (int)(n > m ? n : m);
  int row[128];
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      diag = up;
      row[j] = best;
    }
  }
  return row[m];
}

const char *tb_suite_closest(const char *word, const char *const *names) {
  if (!word || !names) return NULL;
  int len = (int)strlen(word), limit = len / 3 > 2 ? len / 3 : 2, best = limit + 1;
  const char *pick = NULL;
  for (int i = 0; names[i]; i++) {
    int d = tb_suite_edit_distance(word, names[i]);
    if (d < best) best = d, pick = names[i];
  }
  return pick;
}

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int tb_suite_resolve(const char *arg, const char *dir, char *buf, size_t len) {
  if (!arg || !*arg || !buf || !len) return tb_error_set(TB_ERR_INVALID, "suite: no suite named");
  if (is_file(arg) || strchr(arg, '/') || strstr(arg, ".yaml") || strstr(arg, ".yml")) {
    if (!is_file(arg)) return tb_error_set(TB_ERR_NOT_FOUND, "suite file %s does not exist", arg);
    if ((size_t)snprintf(buf, len, "%s", arg) >= len) return tb_error_set(TB_ERR_INVALID, "suite path too long");
    return TB_OK;
  }
  if (dir && (size_t)snprintf(buf, len, "%s/%s.yaml", dir, arg) < len && is_file(buf)) return TB_OK;
  /* list the built-in suites */
  char list[1024] = "";
  size_t k = 0;
  DIR *d = dir ? opendir(dir) : NULL;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n > 5 && !strcmp(e->d_name + n - 5, ".yaml") && k < sizeof list)
      k += (size_t)snprintf(list + k, sizeof list - k, "%s%.*s", k ? ", " : "", (int)(n - 5), e->d_name);
  }
  if (d) closedir(d);
  return tb_error_set(TB_ERR_NOT_FOUND, "no suite file '%s' and no built-in suite of that name (built-in: %s)", arg,
                      k ? list : "none found");
}

/* ---- experiments: learner x dataset, then functions, then the command --------------------------------------- */
int tb_suite_n_experiments(const tb_suite *s) {
  if (!s) return 0;
  return s->n_learners * s->n_datasets + s->n_functions + (s->command ? 1 : 0);
}

int tb_suite_experiment_get(const tb_suite *s, int i, tb_suite_experiment *e) {
  if (!s || !e || i < 0 || i >= tb_suite_n_experiments(s))
    return tb_error_set(TB_ERR_RANGE, "suite: no experiment %d", i);
  memset(e, 0, sizeof *e);
  int nl = s->n_learners * s->n_datasets;
  if (i < nl) {
    e->learner = &s->learners[i / s->n_datasets];
    e->dataset = &s->datasets[i % s->n_datasets];
    snprintf(e->name, sizeof e->name, "%.31s.%.31s", e->learner->name, e->dataset->name);
  } else if (i < nl + s->n_functions) {
    e->function = s->functions[i - nl];
    snprintf(e->name, sizeof e->name, "%s", e->function->name);
  } else {
    e->command = s->command;
    snprintf(e->name, sizeof e->name, "command");
  }
  return TB_OK;
}
