/* test_cli_results.c: `tunebench inspect` and `tunebench export` on a study written through tb_store: CSV header
 * and rows of every table, JSON that python3's json module parses with the right row count (when /usr/bin/python3
 * exists), bad usage (exit 2) and a non-HDF5 file (exit 2, clear message), and `bench store` on a few trials. */
#include <sys/wait.h>
#include <unistd.h>

#include "cli_fixture.h"
#include "store_fixture.h"

static char path[128], jpath[160];

static char text[1 << 16]; /* the output of the last run */

/* Runs `tunebench ARGS` (cli_fixture.h) with its output in text; returns the exit status. */
static int run(const char *args) { return cli_run(args, text, sizeof text); }

static void test_cli(void) {
  snprintf(path, sizeof path, "/tmp/tb_test_cli_results_%d.h5", (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path), unlink(jpath);
  tb_space *sp = fx_space();
  tb_store_study s = {"quick", "suite: quick\n", 0, NULL, NULL, "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment ea = {"mlp.fashion", "mlp", "fashion-mnist", sp, 2, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, NULL));
  for (int64_t id = 0; id < 10; id++) TB_CHECK_OK(fx_trial(st, sp, 0, id, id, -1, 3, 1));
  tb_store_lineage l = {12.5, 2, 3, 9, TB_LINEAGE_EXPLORE, "{\"lr\": 0.01}", "{\"lr\": 0.012}"};
  TB_CHECK_OK(tb_store_lineage_add(st, &l));
  int64_t front[2] = {1, 5};
  tb_store_pareto p = {0, 0, 20.0, 0.5, 2, front};
  TB_CHECK_OK(tb_store_pareto_add(st, &p));
  tb_store_memory m = {21.0, 4, 99, "cpu"};
  TB_CHECK_OK(tb_store_memory_add(st, &m));
  TB_CHECK_OK(tb_store_wait(st)); /* not ended: inspect reads it while "running" (SWMR) */
  char args[512];
  snprintf(args, sizeof args, "inspect %s", path);
  CU_ASSERT_EQUAL(run(args), 0);
  char *o = text; /* every run below writes here */
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "not complete"));
  TB_CHECK_OK(tb_store_study_end(st, 0, 1));
  TB_CHECK_OK(tb_store_close(st));
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "study quick on cpu: complete, 1 experiment"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "experiment mlp.fashion: 10 trials"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "complete     2")); /* ids 0 and 5 */
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "pruned       2"));
  /* best complete per strategy by val_loss: the complete trials are 0 (random) and 5 (tpe) */
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "best random           trial 0"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "best tpe              trial 5"));
  snprintf(args, sizeof args, "export %s --format csv", path);
  CU_ASSERT_EQUAL(run(args), 0);
  const char *head = "experiment,id,strategy,repetition,seed,parent_id,retry_of,status,param_lr,";
  CU_ASSERT_EQUAL(strncmp(o, head, strlen(head)), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nmlp.fashion,2,random,2,1002,-1,-1,failed,"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, ",loss is NaN at step 3\n")); /* the last column (format 2) */
  int lines = 0;
  for (char *c = o; *c; c++) lines += *c == '\n';
  CU_ASSERT_EQUAL(lines, 11);
  const char *tables[] = {"curves", "lineage", "pareto", "memory"};
  const int rows[] = {30, 1, 2, 1};
  for (int t = 0; t < 4; t++) {
    snprintf(args, sizeof args, "export %s --format csv --table %s", path, tables[t]);
    CU_ASSERT_EQUAL(run(args), 0);
    lines = 0;
    for (char *c = o; *c; c++) lines += *c == '\n';
    CU_ASSERT_EQUAL(lines, rows[t] + 1);
    if (t == 1) CU_ASSERT_PTR_NOT_NULL(strstr(o, ",explore,\"{\"\"lr\"\": 0.01}\","));
    snprintf(args, sizeof args, "export %s --format json --table %s --out %s.json", path, tables[t], path);
    CU_ASSERT_EQUAL(run(args), 0);
    if (access("/usr/bin/python3", X_OK) == 0) {
      snprintf(args, sizeof args, "/usr/bin/python3 -c 'import json,sys; d=json.load(open(\"%s.json\")); "
               "sys.exit(0 if len(d)==%d and all(isinstance(r, dict) for r in d) else 1)'", path, rows[t]);
      int rc = system(args);
      CU_ASSERT(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    }
  }
  snprintf(args, sizeof args, "%s.json", path);
  unlink(args);
  /* bad usage and a foreign file */
  snprintf(args, sizeof args, "export %s --format xml", path);
  CU_ASSERT_EQUAL(run(args), 2);
  snprintf(args, sizeof args, "export %s --format csv --table nope", path);
  CU_ASSERT_EQUAL(run(args), 2);
  FILE *f = fopen(jpath, "w");
  fputs("garbage", f), fclose(f);
  snprintf(args, sizeof args, "inspect %s", jpath);
  CU_ASSERT_EQUAL(run(args), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "not an HDF5 file"));
  CU_ASSERT_EQUAL(run("bench store --trials 50 --curve-points 2 --group-commit"), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "trial records/s"));
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

/* Two learners with different parameters (the shape of strategies-small: an MLP and a logistic regression with a
 * fixed categorical penalty = l2): one CSV header whose field count every row has, labels for categoricals (the
 * fixed one from the learner's declared choices), compute columns, curves with strategy and repetition; inspect
 * prints the best of every strategy, also when a strategy's first row is not its best. */
static void test_two_learners(void) {
  snprintf(path, sizeof path, "/tmp/tb_test_cli_results2_%d.h5", (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path), unlink(jpath);
  tb_space *sa = fx_space(), *sb;
  TB_CHECK_OK(tb_space_init(&sb));
  TB_CHECK_OK(tb_space_add_fixed(sb, "penalty", 2)); /* logreg declares none, l1, l2, elasticnet */
  TB_CHECK_OK(tb_space_add_float(sb, "C", 1e-3, 1e3, 1));
  TB_CHECK_OK(tb_space_finalize(sb));
  static const char *obj1[] = {"val_loss"};
  static const int max1[] = {0};
  tb_store_study s = {"two", "suite: two\n", 0, NULL, NULL, "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment ea = {"mlp.a", "mlp", "gen:a", sa, 2, fx_obj, fx_max};
  tb_store_experiment eb = {"logreg.a", "logreg", "gen:a", sb, 1, obj1, max1};
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, NULL));
  TB_CHECK_OK(tb_store_add_experiment(st, &eb, NULL));
  /* logreg: random's three configurations have values 0.5, 0.2, 0.4 in row order (its best is its second row);
   * sh's three runs are one configuration promoted twice (fidelity 1, 3, 9: compute 1 + 2 + 6 units, 3 x 0.5 s),
   * one row (id 3, its first run's) and three rung rows */
  static const double val[3] = {0.5, 0.2, 0.4}, fid[3] = {1, 3, 9};
  const char *names[2] = {"random", "sh"};
  int64_t id = 0;
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < 3; j++, id++) {
      double x[2] = {2, 0.1 * (j + 1)}, v = val[j] + k;
      tb_store_trial t = {id, 1, names[k], 0, 77 + (uint64_t)id, k && j ? id - 1 : -1, -1, 1.7e9 + (double)id, x,
                          k && j, k ? 9 : 0};
      TB_CHECK_OK(tb_store_trial_begin(st, &t));
      tb_store_curve c = {id, 0, fid[j], 0.5, v, 0.1};
      TB_CHECK_OK(tb_store_curve_add(st, &c));
      tb_store_result r = {id, TB_TRIAL_COMPLETE, &v, fid[j], 1.7e9 + (double)id + 0.5, 0.5, -1, {NAN, NAN},
                           {NAN, NAN}, 10, NULL};
      TB_CHECK_OK(tb_store_trial_end(st, &r));
    }
  for (int i = 0; i < 4; i++, id++) TB_CHECK_OK(fx_trial(st, sa, 0, id, id, -1, 2, 1));
  TB_CHECK_OK(tb_store_study_end(st, 0, 1));
  TB_CHECK_OK(tb_store_close(st));
  char args[512];
  snprintf(args, sizeof args, "inspect %s", path);
  CU_ASSERT_EQUAL(run(args), 0);
  char *o = text; /* every run below writes here */
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "experiment logreg.a: 4 trials (configurations), 6 rung evaluations"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "best random           trial 1  val_loss = 0.2"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "best sh               trial 3  val_loss = 1.4"));
  snprintf(args, sizeof args, "export %s --format csv", path);
  CU_ASSERT_EQUAL(run(args), 0);
  int fields = -1, ok = 1, rows = 0, f = 1, quoted = 0;
  for (char *c = o; *c; c++) { /* fields per line, commas inside quotes excepted */
    if (*c == '"') quoted = !quoted;
    else if (*c == ',' && !quoted) f++;
    else if (*c == '\n' && !quoted) {
      if (fields < 0) fields = f;
      else ok &= f == fields, rows++;
      f = 1;
    }
  }
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(rows, 8);
  CU_ASSERT_PTR_NOT_NULL(strstr(o, ",param_penalty,param_C,"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, ",fidelity,compute_units,compute_seconds,start_time,"));
  /* logreg row 2 (fidelity 9 from scratch): penalty labelled l2, compute 9 units in 0.5 s; the sh trial: its first
   * run's configuration, its last run's value and fidelity, 9 units in 1.5 s */
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nlogreg.a,2,random,0,79,-1,-1,complete,l2,0.30000000000000004,0.40000000000000002,9,9,0.5,"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nlogreg.a,3,sh,0,80,-1,-1,complete,l2,0.10000000000000001,1.3999999999999999,9,9,1.5,"));
  CU_ASSERT_PTR_NULL(strstr(o, "\nmlp.a,6,random,0,1006,-1,-1,complete,0.")); /* act is a label, not an index */
  snprintf(args, sizeof args, "export %s --format csv --table curves", path);
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "experiment,trial,step,fidelity,train_loss,val_metric,elapsed,strategy,repetition\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nlogreg.a,3,0,3,0.5,1.2,0.10000000000000001,sh,0\n")); /* run 4's point */
  snprintf(args, sizeof args, "export %s --format csv --table rungs", path);
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "experiment,trial,rung,fidelity,value,seconds,status,strategy,repetition\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nlogreg.a,3,1,3,1.2,0.5,complete,sh,0\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "\nlogreg.a,2,0,9,0.40000000000000002,0.5,complete,random,0\n"));
  snprintf(args, sizeof args, "export %s --format json", path);
  CU_ASSERT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"seed\": \"79\""));
  tb_space_free(sa), tb_space_free(sb);
  unlink(path), unlink(jpath);
}

/* A file of format version 1 (one row per run): inspect and export refuse it, naming both versions. */
static void test_old_version(void) {
  snprintf(path, sizeof path, "/tmp/tb_test_cli_results3_%d.h5", (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path), unlink(jpath);
  tb_space *sp = fx_space();
  tb_store_study s = {"old", "suite: old\n", 0, NULL, NULL, "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment e = {"mlp.a", "mlp", "gen:a", sp, 2, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &e, NULL));
  TB_CHECK_OK(fx_trial(st, sp, 0, 0, 0, -1, 1, 1));
  TB_CHECK_OK(tb_store_study_end(st, 0, 1));
  TB_CHECK_OK(tb_store_close(st));
  char args[512];
  snprintf(args, sizeof args, "inspect %s", path);
  CU_ASSERT_EQUAL(run(args), 0);
  tb_h5_file *f;
  int64_t v1 = 1;
  TB_CHECK_OK(tb_h5_open_rw(path, &f));
  TB_CHECK_OK(tb_h5_attr_write(f, "/", "format_version", TB_H5_I64, 0, &v1));
  TB_CHECK_OK(tb_h5_close(f));
  CU_ASSERT_NOT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "results format version 1; this tunebench reads version 2"));
  snprintf(args, sizeof args, "export %s --format csv", path);
  CU_ASSERT_NOT_EQUAL(run(args), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "results format version 1; this tunebench reads version 2"));
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

static const tb_test_case cases[] = {{"inspect_export", test_cli},
                                     {"two_learners", test_two_learners},
                                     {"old_version", test_old_version},
                                     {NULL, NULL}};
TB_TEST_MAIN("cli_results", cases)
