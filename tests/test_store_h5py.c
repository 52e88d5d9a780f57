/* test_store_h5py.c: writes a study through tb_store, then runs tests/test_store_h5py.py on the file, which reads
 * every table with h5py/numpy and checks types and values (the file is readable by other tools, as documented in
 * docs/results-format.md). Skipped (77) only when /usr/bin/python3 cannot import h5py. */
#include <sys/wait.h>
#include <unistd.h>

#include "store_fixture.h"

static void test_h5py(void) {
  if (system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0)
    tb_test_skip("/usr/bin/python3 cannot import h5py (install python3-h5py: scripts/setup)");
  char path[128], jpath[160], cmd[512];
  snprintf(path, sizeof path, "/tmp/tb_test_store_h5py_%d.h5", (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path), unlink(jpath);
  tb_space *sp = fx_space();
  static const uint64_t seeds[3] = {1, 2, 3};
  tb_store_study s = {"quick", "suite: quick\n", 3, seeds, NULL, "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment ea = {"mlp.fashion", "mlp", "fashion-mnist", sp, 2, fx_obj, fx_max};
  tb_store_experiment eb = {"mlp.friedman", "mlp", "gen:friedman1", sp, 1, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, NULL));
  TB_CHECK_OK(tb_store_add_experiment(st, &eb, NULL));
  for (int64_t id = 0; id < 10; id++) TB_CHECK_OK(fx_trial(st, sp, 0, id, id, -1, 5, 1));
  for (int64_t id = 10; id < 14; id++) TB_CHECK_OK(fx_trial(st, sp, 1, id, id, -1, 2, 1));
  tb_store_lineage l = {12.5, 2, 3, 9, TB_LINEAGE_EXPLOIT, "{\"lr\": 0.01}", "{\"lr\": 0.012}"};
  TB_CHECK_OK(tb_store_lineage_add(st, &l));
  int64_t front[3] = {1, 4, 7};
  tb_store_pareto p = {0, 0, 20.0, 0.75, 3, front};
  TB_CHECK_OK(tb_store_pareto_add(st, &p));
  tb_store_memory m = {21.0, 4, 123456789, "cuda:0"};
  TB_CHECK_OK(tb_store_memory_add(st, &m));
  TB_CHECK_OK(tb_store_study_end(st, 0, 1));
  TB_CHECK_OK(tb_store_close(st));
  const char *src = getenv("TB_SOURCE_DIR");
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s%stest_store_h5py.py %s", src ? src : ".", src ? "/tests/" : "/",
           path);
  int rc = system(cmd);
  CU_ASSERT(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

static const tb_test_case cases[] = {{"h5py", test_h5py}, {NULL, NULL}};
TB_TEST_MAIN("store_h5py", cases)
