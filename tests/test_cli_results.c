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
  CU_ASSERT_PTR_NOT_NULL(strstr(o, ",loss is NaN at step 3\n"));
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

static const tb_test_case cases[] = {{"inspect_export", test_cli}, {NULL, NULL}};
TB_TEST_MAIN("cli_results", cases)
