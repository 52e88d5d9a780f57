/* test_learner_small.c: what issue 21 found wrong in the learners on small or hostile settings, each checked where
 * it was wrong: the MLP's defaults on a 178-row table (one pass per epoch made 10 updates; min_updates makes 200),
 * sgd at lr 10 recorded diverged instead of complete at chance (in the model and in a suite's trials table), the
 * training loss given by tb_model_train_loss, and a suite searching gbdt's whole space on 10 classes offered only
 * the objectives that work (tb_suite_space_for_data), so no trial fails. Data from the generators (fixed seeds);
 * the suite runs use the built binary (TB_BINARY). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_backend.h"
#include "tb_data.h"
#include "tb_model.h"
#include "tb_suite.h"
#include "cli_fixture.h"
#include "tb_test.h"

static char dir[64];

typedef struct {
  tb_dataset *ds;
  tb_splits s;
  tb_standardizer st;
  tb_backend *be;
  tb_devdata *dd;
} fx;

static void fx_open(fx *f, const char *spec, uint64_t split_seed) {
  memset(f, 0, sizeof *f);
  TB_CHECK_OK(tb_data_load(spec, &f->ds));
  tb_split_spec sp = tb_split_spec_default();
  sp.seed = split_seed;
  TB_CHECK_OK(tb_data_prepare(f->ds, &sp, &f->s, &f->st));
  tb_device dev = {TB_DEVICE_CPU, 0};
  TB_CHECK_OK(tb_backend_open(&dev, &f->be));
  TB_CHECK_OK(tb_devdata_create(f->be, f->ds, &f->dd));
}

static void fx_close(fx *f) {
  tb_devdata_free(f->dd);
  tb_backend_free(f->be);
  tb_standardizer_free(&f->st);
  tb_splits_free(&f->s);
  tb_dataset_free(f->ds);
}

/* A model of learner `name` with its defaults and "key=value" settings (NULL-terminated). */
static tb_model *fx_model(fx *f, const char *name, const char *const *sets, uint64_t seed, tb_space **sp) {
  const tb_learner *L = tb_learner_find(name);
  double x[64];
  TB_CHECK_OK(tb_learner_space(L, sp));
  tb_learner_defaults(L, *sp, x);
  for (int i = 0; sets && sets[i]; i++) {
    char key[64];
    const char *eq = strchr(sets[i], '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
    TB_CHECK_OK(tb_learner_set(L, *sp, x, key, eq + 1));
  }
  tb_parts parts = {f->s.train, f->s.n_train, f->s.valid, f->s.n_valid};
  tb_model *m = NULL;
  TB_CHECK_OK(tb_model_create(L, *sp, x, f->dd, &parts, seed, &m));
  return m;
}

/* Mean test accuracy of the default MLP (min_updates as given) over 4 generated 178-row tables. */
static double small_table_accuracy(const char *min_updates) {
  double sum = 0;
  for (int s = 0; s < 4; s++) {
    char spec[160];
    snprintf(spec, sizeof spec, "gen:classification?n=178&d=13&informative=5&classes=3&class_sep=2&seed=%d", s);
    fx f;
    fx_open(&f, spec, (uint64_t)s);
    tb_space *sp = NULL;
    const char *sets[] = {min_updates, NULL};
    tb_model *m = fx_model(&f, "mlp", sets, (uint64_t)s, &sp);
    TB_CHECK_OK(tb_model_train(m, 10)); /* the default epochs */
    tb_metrics mt;
    TB_CHECK_OK(tb_model_evaluate(m, f.s.test, f.s.n_test, &mt));
    sum += mt.accuracy;
    tb_model_free(m);
    tb_space_free(sp);
    fx_close(&f);
  }
  return sum / 4;
}

static void test_small_table_defaults(void) {
  double one_pass = small_table_accuracy("min_updates=1"), dflt = small_table_accuracy("min_updates=20");
  printf("\n  178-row tables, test accuracy: one pass per epoch %.3f, defaults (min_updates 20) %.3f\n", one_pass, dflt);
  CU_ASSERT(dflt >= 0.85);
  CU_ASSERT(dflt > one_pass + 0.1);
}

static void test_divergence_and_train_loss(void) {
  fx f;
  fx_open(&f, "gen:classification?n=2000&d=20&classes=10&informative=10&seed=1", 0);
  tb_space *sp = NULL;
  const char *sgd10[] = {"optimizer=sgd", "lr=10", NULL};
  tb_model *m = fx_model(&f, "mlp", sgd10, 1, &sp);
  int rc = TB_OK;
  for (int e = 0; e < 5 && rc == TB_OK; e++) rc = tb_model_train(m, 1);
  CU_ASSERT_EQUAL(rc, TB_ERR_RANGE); /* finite losses of 1e3..1e10 at chance accuracy were "complete" before */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "diverged"));
  tb_model_free(m);
  tb_space_free(sp);
  /* the training loss: NaN before training, the last unit's mean after (mlp, logreg, gbdt); NaN for the forest */
  const char *names[] = {"mlp", "logreg", "gbdt", "forest"};
  for (int k = 0; k < 4; k++) {
    m = fx_model(&f, names[k], NULL, 2, &sp);
    CU_ASSERT(isnan(tb_model_train_loss(m)));
    TB_CHECK_OK(tb_model_train(m, 2));
    double tl = tb_model_train_loss(m);
    if (k < 3) {
      CU_ASSERT(isfinite(tl) && tl > 0 && tl < log(10.0) * 1.5);
    } else {
      CU_ASSERT(isnan(tl));
    }
    tb_model_free(m);
    tb_space_free(sp);
  }
  fx_close(&f);
}

/* gbdt's whole declared space on 10 classes offers objective auto or softmax only; on regression auto or squared;
 * a listed choice that cannot work is an error at its line. */
static void test_space_fits_task(void) {
  const char *text = "name: t\ndatasets:\n  - gen:classification?n=300&classes=10&informative=5\n"
                     "  - gen:friedman1?n=200\nlearners: [gbdt]\nstrategies: [{name: random, sampler: random}]\nbudget: {trials: 4, "
                     "fidelity: {max: 3}}\n";
  tb_suite *s = NULL;
  TB_CHECK_OK(tb_suite_parse("t.yaml", text, strlen(text), &s));
  for (int e = 0; e < 2; e++) {
    tb_suite_experiment ex;
    tb_dataset *ds = NULL;
    tb_space *sp = NULL;
    TB_CHECK_OK(tb_suite_experiment_get(s, e, &ex));
    TB_CHECK_OK(tb_data_load(ex.dataset->spec, &ds));
    TB_CHECK_OK(tb_suite_space_for_data(s, &ex, ds, &sp));
    const tb_param *p = tb_space_param(sp, tb_space_find(sp, "objective"));
    CU_ASSERT_EQUAL_FATAL(p->type, TB_PARAM_CATEGORICAL);
    CU_ASSERT_EQUAL_FATAL(p->n_choices, 2);
    CU_ASSERT_STRING_EQUAL(p->choices[0], "auto");
    CU_ASSERT_STRING_EQUAL(p->choices[1], ds->task == TB_TASK_REGRESSION ? "squared" : "softmax");
    tb_space_free(sp);
    tb_dataset_free(ds);
  }
  tb_suite_free(s);
  const char *listed = "name: t\ndatasets: [\"gen:classification?n=300&classes=10&informative=5\"]\nlearners:\n"
                       "  - name: gbdt\n    space:\n      objective: {choices: [auto, squared]}\n"
                       "strategies: [{name: random, sampler: random}]\n"
                       "budget: {trials: 4, fidelity: {max: 3}}\n";
  TB_CHECK_OK(tb_suite_parse("l.yaml", listed, strlen(listed), &s));
  tb_suite_experiment ex;
  tb_dataset *ds = NULL;
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_suite_experiment_get(s, 0, &ex));
  TB_CHECK_OK(tb_data_load(ex.dataset->spec, &ds));
  CU_ASSERT_EQUAL(tb_suite_space_for_data(s, &ex, ds, &sp), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "l.yaml:6:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "'squared' cannot work"));
  tb_dataset_free(ds);
  tb_suite_free(s);
}

/* Runs cmd; returns how many lines of its output start with prefix and contain needle. */
static int count_lines(const char *cmd, const char *prefix, const char *needle) {
  FILE *p = popen(cmd, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(p);
  char line[8192];
  int n = 0;
  while (fgets(line, sizeof line, p)) n += !strncmp(line, prefix, strlen(prefix)) && strstr(line, needle) != NULL;
  CU_ASSERT_EQUAL(pclose(p), 0);
  return n;
}

/* Through the binary: sgd at lr 10 is recorded diverged; gbdt's whole space on 10 classes has no failed trial. */
static void test_suite_statuses(void) {
  const char *bin = cli_binary(); /* cli_fixture.h: $TB_BINARY, or the test is skipped */
  char path[256], cmd[1024];
  snprintf(path, sizeof path, "%s/st.yaml", dir);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("name: st\ndatasets: [\"gen:classification?n=2000&d=20&classes=10&informative=10&seed=1\"]\nlearners:\n"
        "  - name: mlp\n    space: {optimizer: sgd, lr: 10, epochs: 5}\n  - gbdt\n"
        "strategies: [{name: random, sampler: random}]\nbudget: {trials: 12, fidelity: {max: 5}}\nseed: 2\njobs: 1\n"
        "device: cpu\n", f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "%s run %s --out %s/st.h5 --no-report >/dev/null 2>&1", bin, path, dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s export %s/st.h5 --format csv --table trials", bin, dir);
  CU_ASSERT_EQUAL(count_lines(cmd, "mlp.", ","), 12);
  CU_ASSERT_EQUAL(count_lines(cmd, "mlp.", ",diverged,"), 12);
  CU_ASSERT_EQUAL(count_lines(cmd, "gbdt.", ","), 12);
  CU_ASSERT_EQUAL(count_lines(cmd, "gbdt.", ",complete,"), 12);
}

static const tb_test_case cases[] = {{"small_table_defaults", test_small_table_defaults},
                                     {"divergence_and_train_loss", test_divergence_and_train_loss},
                                     {"space_fits_task", test_space_fits_task},
                                     {"suite_statuses", test_suite_statuses},
                                     {NULL, NULL}};

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/tb_learner_small_XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  return tb_test_run("learner_small", cases);
}
