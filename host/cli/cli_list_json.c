/* cli_list_json.c: `tunebench list --format json`: the same inventory as the text listing (cli_list.c) as one JSON
 * object for programs: learners with every declared hyperparameter, samplers and schedulers with every option
 * their registries declare (tb_sampler_options / tb_scheduler_options: enumerated, not retyped here; an option
 * with a fixed set of words lists them), dataset kinds, test functions, objectives, built-in suite names.
 * Not here: the text listing. Tested by tests/test_cli_usage.c (parsed with Python's json, every registry name
 * and option present). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tb_model.h"
#include "tb_sampler.h"
#include "tb_scheduler.h"
#include "tb_suite.h"
#include "tb_testfn.h"

static void jstr(const char *s) {
  putchar('"');
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void jnum(double v) {
  if (isfinite(v)) printf("%.17g", v);
  else printf("null");
}

static void jstrs(const char *const *names) {
  putchar('[');
  for (int i = 0; names && names[i]; i++) {
    if (i) putchar(',');
    jstr(names[i]);
  }
  putchar(']');
}

/* "a, b (x|y), c" -> [{"name":"a"},{"name":"b","values":["x","y"]},{"name":"c"}] */
static void joptions(const char *spec) {
  putchar('[');
  int first = 1;
  const char *p = spec ? spec : "";
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    if (!*p) break;
    size_t n = strcspn(p, " ,(");
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), p);
    p += n;
    while (*p == ' ') p++;
    printf("%s{\"name\":", first ? "" : ",");
    jstr(name);
    first = 0;
    if (*p == '(') {
      const char *end = strchr(p, ')');
      size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);
      printf(",\"values\":[");
      for (size_t k = 0, w = 0; k <= len; k++)
        if (k == len || p[1 + k] == '|') {
          char word[64];
          snprintf(word, sizeof word, "%.*s", (int)(k - w < 63 ? k - w : 63), p + 1 + w);
          if (w) putchar(',');
          jstr(word);
          w = k + 1;
        }
      putchar(']');
      p = end ? end + 1 : p + strlen(p);
    }
    putchar('}');
  }
  putchar(']');
}

static void jhparam(const tb_learner *L, const tb_param *h) {
  static const char *const types[] = {"float", "int", "categorical", "fixed"};
  printf("{\"name\":");
  jstr(h->name);
  printf(",\"type\":");
  jstr(types[h->type]);
  if (h->type == TB_PARAM_CATEGORICAL) {
    printf(",\"choices\":[");
    for (int c = 0; c < h->n_choices; c++) printf("%s", c ? "," : ""), jstr(h->choices[c]);
    printf("],\"default\":");
    jstr(h->def >= 0 && h->def < h->n_choices ? h->choices[(int)h->def] : "");
  } else {
    printf(",\"low\":"), jnum(h->lo), printf(",\"high\":"), jnum(h->hi);
    printf(",\"log\":%s,\"default\":", h->log ? "true" : "false"), jnum(h->def);
  }
  if (h->n_cond > 0) {
    printf(",\"parent\":"), jstr(tb_learner_hparam(L, h->parent)->name), printf(",\"active_when\":[");
    for (int k = 0; k < h->n_cond; k++) printf("%s", k ? "," : ""), jnum(h->cond_values[k]);
    putchar(']');
  }
  printf(",\"help\":"), jstr(h->help ? h->help : ""), putchar('}');
}

static void jcomponents(const char *const *names, const char *(*options)(const char *)) {
  putchar('[');
  for (int i = 0; names[i]; i++) {
    printf("%s{\"name\":", i ? "," : "");
    jstr(names[i]);
    printf(",\"options\":");
    joptions(options(names[i]));
    putchar('}');
  }
  putchar(']');
}

int tb_cli_list_json(const char *suites_dir) {
  printf("{\"learners\":[");
  int first = 1;
  for (const tb_learner *const *L = tb_learners(); *L; L++, first = 0) {
    printf("%s{\"name\":", first ? "" : ","), jstr(tb_learner_name(*L));
    printf(",\"fidelity_unit\":"), jstr(tb_learner_fidelity_unit(*L)), printf(",\"hyperparameters\":[");
    for (int i = 0; i < tb_learner_n_hparams(*L); i++) printf("%s", i ? "," : ""), jhparam(*L, tb_learner_hparam(*L, i));
    printf("]}");
  }
  printf("],\"samplers\":"), jcomponents(tb_sampler_names(), tb_sampler_options);
  printf(",\"schedulers\":"), jcomponents(tb_suite_scheduler_names(), tb_scheduler_options);
  printf(",\"dataset_kinds\":"), jstrs(tb_suite_dataset_kinds());
  printf(",\"test_functions\":"), jstrs(tb_testfn_names());
  printf(",\"objectives\":"), jstrs(tb_suite_objective_names());
  printf(",\"suites\":[");
  DIR *d = opendir(suites_dir);
  struct dirent *e;
  first = 1;
  while (d && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml")) continue;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(len - 5 < 255 ? len - 5 : 255), e->d_name);
    printf("%s", first ? "" : ","), jstr(name), first = 0;
  }
  if (d) closedir(d);
  printf("]}\n");
  return TB_EXIT_OK;
}
