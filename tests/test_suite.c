/* test_suite.c: suite files (host/suite/tb_suite.h) and the `run` / `list` commands. Covers: every built-in suite in
 * suites/ loads; every broken suite in tests/suites_bad/ fails with its expected file:line:column and message (the
 * table below lists each one, and a file missing from the table fails the test); "did you mean" distances; spaces
 * built from suites (learner overrides with a restricted categorical mapped back to declared indices, fixed and
 * never-active parameters, command spaces with `when`); `tunebench run --dry-run quickstart`; `tunebench list`;
 * refusing an existing --out; a tiny suite on a test function run end to end (the report at the end, --report-dir,
 * --no-report, --resume) and its .h5 read by `inspect`; a learner suite with a restricted mlp space and a
 * recorded-only test_accuracy run end to end, its trials exported (tuned objectives first, then test_accuracy). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_fixture.h"
#include "tb_suite.h"

static const char *src_dir(void) {
  const char *d = getenv("TB_SOURCE_DIR");
  return d ? d : "..";
}

static void test_builtin_suites(void) {
  char dir[4096], path[8192];
  snprintf(dir, sizeof dir, "%s/suites", src_dir());
  DIR *d = opendir(dir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".yaml")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    tb_suite *s = NULL;
    int rc = tb_suite_load(path, &s);
    if (rc < 0) fprintf(stderr, "\n%s: %s\n", e->d_name, tb_error_detail());
    CU_ASSERT_EQUAL(rc, TB_OK);
    if (s) {
      CU_ASSERT(tb_suite_n_experiments(s) >= 1);
      CU_ASSERT(s->n_strategies >= 1 && s->n_seeds >= 1 && s->n_objectives >= 1);
      CU_ASSERT_EQUAL(strncmp(s->name, e->d_name, len - 5), 0); /* name matches the file */
    }
    tb_suite_free(s);
    n++;
  }
  closedir(d);
  CU_ASSERT(n >= 6); /* quickstart, bergstra2012, strategies, synthetic, multiobjective, pbt */
  snprintf(path, sizeof path, "%s/suites/quickstart.yaml", src_dir());
  tb_suite *s = NULL;
  TB_CHECK_OK(tb_suite_load(path, &s));
  CU_ASSERT_EQUAL(s->n_strategies, 3);
  CU_ASSERT_EQUAL(s->n_seeds, 2);
  CU_ASSERT_EQUAL(s->seeds[0], 1);
  CU_ASSERT_EQUAL(s->seeds[1], 2);
  CU_ASSERT_STRING_EQUAL(s->objectives[0].name, "valid_accuracy");
  CU_ASSERT_EQUAL(s->objectives[0].maximize, 1);
  CU_ASSERT_STRING_EQUAL(s->strategies[2].scheduler, "hyperband");
  CU_ASSERT_STRING_EQUAL(s->strategies[2].scheduler_option_names[0], "eta");
  CU_ASSERT_DOUBLE_EQUAL(s->fidelity_max, 9, 0);
  tb_suite_free(s);
}

/* Each broken suite: file, "line:col" of the error, a phrase of the message. */
static const struct { const char *file, *where, *phrase; } bad[] = {
    {"syntax.yaml", "4:1", "flow sequence without a closing bracket"},
    {"unknown_key.yaml", "3:1", "did you mean 'strategies'"},
    {"unknown_sampler.yaml", "4:14", "unknown sampler 'tpee' (did you mean 'tpe'"},
    {"unknown_scheduler.yaml", "6:16", "did you mean 'hyperband'"},
    {"unknown_learner.yaml", "3:12", "unknown learner 'mlpp' (did you mean 'mlp'"},
    {"unknown_hparam.yaml", "6:7", "no hyperparameter 'lrr' (did you mean 'lr'"},
    {"unknown_function.yaml", "2:13", "did you mean 'branin'"},
    {"unknown_dataset_kind.yaml", "3:11", "unknown dataset kind 'gen:clasification'"},
    {"unknown_objective.yaml", "6:14", "did you mean 'valid_accuracy'"},
    {"wrong_type.yaml", "5:11", "budget.trials: expected an integer, got 'many'"},
    {"quoted_number.yaml", "5:8", "quoted string"},
    {"out_of_range.yaml", "4:12", "datasets[0].valid: 1.5 is outside [0.01, 0.9]"},
    {"outside_declared.yaml", "6:17", "is outside [0.0001, 10]"},
    {"empty_range.yaml", "5:36", "empty range"},
    {"log_nonpositive.yaml", "5:45", "log scale needs low > 0"},
    {"missing_name.yaml", "1:1", "name: missing"},
    {"no_strategies.yaml", "1:1", "at least one strategy"},
    {"no_fidelity.yaml", "6:16", "needs budget.fidelity.max"},
    {"scheduler_on_function.yaml", "5:16", "test functions have none"},
    {"bad_sampler_option.yaml", "4:15", "unknown option 'gama'"},
    {"bad_scheduler_option.yaml", "6:17", "eta = 1"},
    {"mixed_kinds.yaml", "4:13", "not several"},
    {"duplicate_strategy.yaml", "5:12", "two strategies are named 'a'"},
    {"bad_device.yaml", "5:9", "unknown device 'gpu'"},
    {"bad_memory.yaml", "5:16", "unknown size unit 'GBs'"},
    {"wrong_direction.yaml", "7:6", "valid_accuracy is maximized"},
    {"seeds_and_repetitions.yaml", "6:14", "not both"},
    {"never_active.yaml", "7:18", "never active"},
    {"when_on_learner.yaml", "6:46", "'when' is for command spaces"},
    {"type_mismatch.yaml", "6:18", "declared float"},
    {"regression_accuracy.yaml", "6:14", "does not apply to dataset friedman1"},
    {"not_a_list.yaml", "3:13", "expected a list"},
    {"duplicate_key.yaml", "5:1", "duplicate key 'name' (first at line 1, column 1)"},
    {"bad_choice.yaml", "6:29", "unknown choice 'tahn' (did you mean 'tanh'"},
    {"cmaes_categorical.yaml", "8:26", "CMA-ES handles float and int parameters only"},
    {"bad_when.yaml", "6:16", "'nesterov' is not a value of opt"},
    {"empty.yaml", "1:1", "empty"},
    {"no_budget.yaml", "3:15", "has no budget"},
    /* issue 21: bad input that loaded before */
    {"nul_byte.yaml", "5:12", "a NUL byte (at byte 99)"},
    {"second_document.yaml", "6:1", "a second YAML document"},
    {"zero_total.yaml", "4:29", "budget.total: 0 leaves no budget"},
    {"zero_wall_clock.yaml", "6:15", "budget.wall_clock: 0 s leaves no time"},
    {"zero_memory.yaml", "5:16", "memory_budget: 0 bytes"},
    {"step_over_range.yaml", "5:44", "step 50 is larger than the range [1, 10]"},
    {"int_bounds_2p63.yaml", "5:34", "int bounds must lie within +-2^52"},
    {"when_float_parent.yaml", "6:16", "parent 'lr' is a float parameter"},
    {"fidelity_too_large.yaml", "5:38", "at most 10000 epochs"},
    {"too_many_params.yaml", "5:5", "501 parameters: at most 500 per space"},
    {"invalid_utf8.yaml", "5:2", "byte 0x8f (at byte 89) is not UTF-8"}, /* libfyaml looped forever on it */
};

static void test_bad_suites(void) {
  char path[4096], want[4200];
  size_t n_bad = sizeof bad / sizeof *bad;
  for (size_t i = 0; i < n_bad; i++) {
    snprintf(path, sizeof path, "%s/tests/suites_bad/%s", src_dir(), bad[i].file);
    tb_suite *s = NULL;
    int rc = tb_suite_load(path, &s);
    CU_ASSERT(rc < 0);
    CU_ASSERT_PTR_NULL(s);
    tb_suite_free(s);
    const char *msg = tb_error_detail();
    snprintf(want, sizeof want, "%s:%s: ", path, bad[i].where);
    int ok = strstr(msg, want) == msg && strstr(msg, bad[i].phrase) != NULL;
    if (!ok) fprintf(stderr, "\n%s: expected %s... %s; got: %s\n", bad[i].file, want, bad[i].phrase, msg);
    CU_ASSERT(ok);
  }
  /* every file in the directory has an expectation */
  snprintf(path, sizeof path, "%s/tests/suites_bad", src_dir());
  DIR *d = opendir(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int found = 0;
    for (size_t i = 0; i < n_bad; i++) found |= !strcmp(bad[i].file, e->d_name);
    if (!found) fprintf(stderr, "\ntests/suites_bad/%s has no expectation in test_suite.c\n", e->d_name);
    CU_ASSERT(found);
  }
  closedir(d);
  /* a missing file */
  CU_ASSERT_EQUAL(tb_suite_load("/nonexistent/x.yaml", &(tb_suite *){NULL}), TB_ERR_IO);
}

static void test_did_you_mean(void) {
  CU_ASSERT_EQUAL(tb_suite_edit_distance("kitten", "sitting"), 3);
  CU_ASSERT_EQUAL(tb_suite_edit_distance("", "abc"), 3);
  CU_ASSERT_EQUAL(tb_suite_edit_distance("tpe", "tpe"), 0);
  CU_ASSERT_EQUAL(tb_suite_edit_distance("flaw", "lawn"), 2);
  const char *names[] = {"random", "grid", "tpe", "hyperband", NULL};
  CU_ASSERT_STRING_EQUAL(tb_suite_closest("hyperbnad", names), "hyperband");
  CU_ASSERT_STRING_EQUAL(tb_suite_closest("rnadom", names), "random");
  CU_ASSERT_PTR_NULL(tb_suite_closest("xyzzy", names)); /* too far from everything */
  char buf[256];
  CU_ASSERT_EQUAL(tb_suite_resolve("no-such-suite", "/nonexistent", buf, sizeof buf), TB_ERR_NOT_FOUND);
}

static tb_suite *parse(const char *text) {
  tb_suite *s = NULL;
  int rc = tb_suite_parse("inline.yaml", text, strlen(text), &s);
  if (rc < 0) fprintf(stderr, "\n%s\n", tb_error_detail());
  CU_ASSERT_EQUAL(rc, TB_OK);
  return s;
}

static void test_spaces(void) {
  /* mlp: act restricted to tanh, sigmoid (declared indices 1, 2), optimizer fixed at momentum (index 1). */
  tb_suite *s = parse("name: t\n"
                      "datasets: ['gen:classification?n=200&seed=1']\n"
                      "learners:\n"
                      "  - name: mlp\n"
                      "    space:\n"
                      "      act: {choices: [sigmoid, tanh]}\n"
                      "      optimizer: momentum\n"
                      "      momentum: {low: 0.6, high: 0.9}\n"
                      "      lr: {low: 0.001, high: 0.1, log: true}\n"
                      "strategies: [{sampler: random}]\n"
                      "budget: {trials: 4, fidelity: {max: 2}}\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  tb_suite_experiment e;
  TB_CHECK_OK(tb_suite_experiment_get(s, 0, &e));
  CU_ASSERT_STRING_EQUAL(e.name, "mlp.classification");
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_suite_space(s, &e, &sp));
  const tb_learner *L = tb_learner_find("mlp");
  CU_ASSERT_EQUAL(tb_space_dim(sp), tb_learner_n_hparams(L));
  int act = tb_space_find(sp, "act"), opt = tb_space_find(sp, "optimizer"), mom = tb_space_find(sp, "momentum");
  int units = tb_space_find(sp, "units"), lr = tb_space_find(sp, "lr");
  CU_ASSERT_EQUAL(tb_space_param(sp, act)->type, TB_PARAM_CATEGORICAL);
  CU_ASSERT_EQUAL(tb_space_param(sp, act)->n_choices, 2);
  CU_ASSERT_EQUAL(tb_space_param(sp, opt)->type, TB_PARAM_FIXED);
  CU_ASSERT_DOUBLE_EQUAL(tb_space_param(sp, opt)->value, 1, 0);
  CU_ASSERT_EQUAL(tb_space_param(sp, mom)->type, TB_PARAM_FLOAT);
  CU_ASSERT_EQUAL(tb_space_param(sp, mom)->parent, -1); /* fixed parent enables it: unconditional */
  CU_ASSERT_DOUBLE_EQUAL(tb_space_param(sp, mom)->lo, 0.6, 0);
  CU_ASSERT_EQUAL(tb_space_param(sp, units)->type, TB_PARAM_FIXED); /* unlisted: the default */
  CU_ASSERT_DOUBLE_EQUAL(tb_space_param(sp, units)->value, 256, 0);
  CU_ASSERT_EQUAL(tb_space_param(sp, lr)->log, 1);
  CU_ASSERT_EQUAL(tb_suite_learner_remaps(&s->learners[0]), 1);
  /* random configurations of the space map to valid learner configurations */
  double u[64], x[64], xl[64];
  char buf[256];
  tb_space *decl = NULL;
  TB_CHECK_OK(tb_learner_space(L, &decl));
  uint64_t st = 12345;
  for (int k = 0; k < 50; k++) {
    for (int i = 0; i < tb_space_dim(sp); i++) st = st * 6364136223846793005ULL + 1442695040888963407ULL,
                                              u[i] = (double)(st >> 11) / 9007199254740992.0;
    tb_space_from_unit(sp, u, x);
    CU_ASSERT_PTR_NULL(tb_space_check(sp, x, buf, sizeof buf));
    TB_CHECK_OK(tb_suite_learner_config(&s->learners[0], sp, x, xl));
    CU_ASSERT_DOUBLE_EQUAL(xl[act], x[act] == 0 ? 2 : 1, 0); /* sigmoid is declared 2, tanh 1 */
    const char *m = tb_learner_check(L, decl, xl, buf, sizeof buf);
    if (m) fprintf(stderr, "\n%s\n", m);
    CU_ASSERT_PTR_NULL(m);
  }
  tb_space_free(decl);
  tb_space_free(sp);
  tb_suite_free(s);
  /* a command space with a condition */
  s = parse("name: c\n"
            "command: {run: 'echo value=1', timeout: 5s, space: {opt: {type: categorical, choices: [sgd, adam]},"
            " m: {type: float, low: 0.5, high: 0.9, when: {opt: sgd}}, n: {type: int, low: 1, high: 9, step: 2}}}\n"
            "strategies: [{sampler: tpe}]\n"
            "budget: {trials: 4, wall_clock: 2m}\n"
            "memory_budget: 1.5GiB\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_DOUBLE_EQUAL(s->command->timeout, 5, 0);
  CU_ASSERT_DOUBLE_EQUAL(s->wall_clock, 120, 0);
  CU_ASSERT_EQUAL(s->memory_budget, (size_t)1610612736);
  CU_ASSERT_STRING_EQUAL(s->objectives[0].name, "value");
  TB_CHECK_OK(tb_suite_experiment_get(s, 0, &e));
  TB_CHECK_OK(tb_suite_space(s, &e, &sp));
  double xa[3] = {0, 0.7, 3}, xb[3] = {1, NAN, 3};
  CU_ASSERT_EQUAL(tb_space_active(sp, xa, 1), 1);
  CU_ASSERT_EQUAL(tb_space_active(sp, xb, 1), 0);
  CU_ASSERT_PTR_NULL(tb_space_check(sp, xb, buf, sizeof buf));
  CU_ASSERT_PTR_NOT_NULL(tb_space_check(sp, (double[3]){0, 0.7, 4}, buf, sizeof buf)); /* off the int grid */
  tb_space_free(sp);
  tb_suite_free(s);
}

static char out[1 << 17];

static void test_cli_list_dry_run(void) {
  CU_ASSERT_EQUAL(cli_run_in(".", NULL, "list", out, sizeof out), 0);
  const char *want[] = {"mlp (fidelity: epochs)", "active when optimizer is momentum or nesterov", "tpe", "hyperband",
                        "gen:classification", "hartmann6", "valid_accuracy", "quickstart", "bergstra2012", NULL};
  for (int i = 0; want[i]; i++) {
    if (!strstr(out, want[i])) fprintf(stderr, "\nlist lacks '%s'\n", want[i]);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want[i]));
  }
  char tmp[] = "/tmp/tb_suite_XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run quickstart --dry-run --jobs 1", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "strategies 3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "one trial at the defaults:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "1 parallel trial"));
  /* budget.total = 108 binds: random and TPE 12 full trials x 2 seeds, hyperband up to its cap of 100 x 2 */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "<= 248 trials"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "binding budget"));
  char path[128];
  snprintf(path, sizeof path, "%s/quickstart.h5", tmp);
  CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0); /* dry run writes nothing */
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run no-such-suite", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "built-in: "));
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run quickstart --resume --force", out, sizeof out), 2);
  rmdir(tmp);
}

static void test_cli_run_end_to_end(void) {
  char tmp[] = "/tmp/tb_suite_XXXXXX", path[256];
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmp));
  snprintf(path, sizeof path, "%s/tiny.yaml", tmp);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("name: tiny\nfunctions: [branin]\nstrategies:\n  - {name: random, sampler: random}\n"
        "  - {name: tpe, sampler: {name: tpe, n_startup: 3}}\nbudget: {trials: 6}\nrepetitions: 2\n",
        f);
  fclose(f);
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run tiny.yaml --out tiny.h5 --report-dir rep", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "tiny: complete"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "report: written")); /* the run ends with the report */
  snprintf(path, sizeof path, "%s/rep/report.md", tmp);
  CU_ASSERT_EQUAL(access(path, F_OK), 0);
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "inspect tiny.h5", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "complete"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "branin: 24 trials")); /* 2 strategies x 2 repetitions x 6 */
  /* an existing --out is refused without --force, and replaced with it */
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run tiny.yaml --out tiny.h5", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "already exists"));
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run tiny.yaml --out tiny.h5 --force --seed 5 --no-report", out, sizeof out),
                  0);
  CU_ASSERT_PTR_NULL(strstr(out, "report:"));
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "inspect tiny.h5", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "branin: 24 trials"));
  /* resuming a complete study runs nothing new */
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run tiny.yaml --out tiny.h5 --resume --seed 5 --no-report", out, sizeof out),
                  0);
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "inspect tiny.h5", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "branin: 24 trials"));
  /* a learner with a restricted space and a recorded-only test objective */
  snprintf(path, sizeof path, "%s/lr.yaml", tmp);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, "w"));
  fputs("name: lr\ndatasets: [{spec: \"gen:classification?n=300&d=6&informative=4&classes=3&seed=2\", name: g}]\n"
        "learners:\n  - name: mlp\n    space:\n      act: {choices: [sigmoid, tanh]}\n      units: {low: 16, high: 32}\n"
        "strategies: [{name: random, sampler: random}, {name: hb, sampler: random, scheduler: hyperband}]\n"
        "budget: {trials: 3, fidelity: {max: 3}}\nobjectives: [test_accuracy, valid_accuracy]\n",
        f);
  fclose(f);
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "run lr.yaml --out lr.h5 --no-report", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "lr: complete"));
  CU_ASSERT_EQUAL(cli_run_in(tmp, NULL, "export lr.h5 --format csv --table trials", out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "obj_valid_accuracy,obj_test_accuracy")); /* tuned first, then recorded */
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "mlp.g"));
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

static const tb_test_case cases[] = {{"builtin_suites", test_builtin_suites},
                                     {"bad_suites", test_bad_suites},
                                     {"did_you_mean", test_did_you_mean},
                                     {"spaces", test_spaces},
                                     {"cli_list_dry_run", test_cli_list_dry_run},
                                     {"cli_run_end_to_end", test_cli_run_end_to_end},
                                     {NULL, NULL}};
TB_TEST_MAIN("suite", cases)
