/* test_c_api_example.c: the example program of docs/c-api.md (the doc includes this file's text): a C callback
 * objective tuned by TPE under median stopping with 2 workers. It exits 0 when the best value found is within
 * 0.05 of the known optimum 0 (a 2-d quadratic), else 1. Under CTest it also checks that docs/c-api.md holds this
 * file's text verbatim (TB_DOC_CHECK below; the doc's copy is the program a reader compiles). */
#include <math.h>
#include <stdio.h>

#include "tb_error.h"
#include "tb_study.h"

/* The objective: "training" for up to 10 steps, the loss shrinks towards (x - 0.3)^2 + (log10(lr) + 2)^2. */
static int my_objective(void *ctx, tb_objective_call *call) {
  (void)ctx;
  const double *x = tb_objective_call_x(call); /* x[0] = "x", x[1] = "lr" in the space's order */
  double target = (x[0] - 0.3) * (x[0] - 0.3) + pow(log10(x[1]) + 2, 2);
  for (int step = 1; step <= 10; step++) {
    double loss = target + 1.0 / step;
    if (tb_objective_report(call, step, loss)) return TB_OK; /* the scheduler pruned this trial */
  }
  return tb_objective_call_set(call, 0, target);
}

#ifndef TB_DOC_CHECK
#define TB_DOC_CHECK 1
#include <stdlib.h>
#include <string.h>
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *b = calloc(1, 1 << 16);
  if (b) b[fread(b, 1, (1 << 16) - 1, f)] = 0;
  fclose(f);
  return b;
}
/* 1 when docs/c-api.md (found from this file's path) contains this file verbatim. */
static int doc_matches(void) {
  if (!strstr(__FILE__, "tests/test_c_api_example.c")) return 1; /* compiled from the doc: nothing to check */
  char doc[1024];
  snprintf(doc, sizeof doc, "%s", __FILE__);
  char *slash = strrchr(doc, '/');
  if (!slash) return 0;
  snprintf(slash, sizeof doc - (size_t)(slash - doc), "/../docs/c-api.md");
  char *d = slurp(doc), *me = slurp(__FILE__);
  int ok = d && me && strstr(d, me) != NULL;
  free(d), free(me);
  return ok;
}
#endif

int main(void) {
  int rc = TB_OK;
  if (!doc_matches()) {
    fprintf(stderr, "docs/c-api.md does not contain tests/test_c_api_example.c verbatim: paste it again\n");
    return 1;
  }
  tb_space *sp = NULL;
  tb_objective *obj = NULL;
  tb_study *study = NULL;
  TB_TRY(tb_space_init(&sp));
  TB_TRY(tb_space_add_float(sp, "x", -1, 1, 0));
  TB_TRY(tb_space_add_float(sp, "lr", 1e-4, 1, 1));
  TB_TRY(tb_space_finalize(sp));
  TB_TRY(tb_objective_callback(sp, 1, NULL, my_objective, NULL, &obj));

  tb_study_params p = tb_study_params_default();
  p.sampler = "tpe";
  p.scheduler = "median";
  p.n_trials = 60;
  p.min_fidelity = 1;
  p.max_fidelity = 10;
  p.n_workers = 2;
  p.seed = 7;
  TB_TRY(tb_study_create(obj, &p, &study));
  TB_TRY(tb_study_run(study, NULL));

  int64_t best = tb_study_best(study);
  if (best < 0) TB_FAIL(TB_ERR_NOT_FOUND, "no trial completed");
  const tb_study_trial *t = tb_study_get_trial(study, (size_t)best);
  printf("best trial %lld: x = %.4f, lr = %.5f, value = %.5f\n", (long long)t->id, t->x[0], t->x[1], t->values[0]);
  if (t->values[0] > 0.05) rc = 1;
done:
  if (rc < 0) fprintf(stderr, "error: %s: %s\n", tb_strerror(rc), tb_error_detail());
  tb_study_free(study);
  tb_objective_free(obj);
  tb_space_free(sp);
  return rc == TB_OK ? 0 : 1;
}
