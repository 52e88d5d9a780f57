/* test_report.c: `tunebench report` on study files written here through the store API (tb_store.h).
 * full: a Branin experiment (random, grid and a local search, 3 repetitions x 20 trials, real Branin values from
 *   host/objective/testfn.c, curves, a few failed trials) and an MLP-like experiment (pbt and random, three objectives,
 *   a PBT lineage, Pareto snapshots) plus memory samples: report.md names every strategy, carries each strategy's mean
 *   final best (computed here in double, printed %.6g as the report does) and trial counts, and every expected
 *   figure exists and is a PNG (magic bytes).
 * degenerate: one failed trial and an experiment without trials still give a report that says what was skipped.
 * bad input: a text file (exit 2, "not an HDF5 file"), a missing file and bad usage (exit 2); h5py hidden from
 *   python3 (PYTHONPATH with a failing h5py module): exit 2 and a message naming scripts/setup.
 * selftest: scripts/report_selftest.py checks the statistics against hand-computed references.
 * Skipped (77) when /usr/bin/python3 lacks h5py, numpy or matplotlib (run scripts/setup). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_fixture.h"
#include "tb_h5.h"
#include "tb_store.h"
#include "tb_testfn.h"

static char dir[128];

static uint64_t rng_state;
static double urand(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}
static double nrand(void) { return sqrt(-2 * log(1 - urand())) * cos(2 * M_PI * urand()); }

static void need_python(void) {
  if (system("/usr/bin/python3 -c 'import h5py, numpy, matplotlib' >/dev/null 2>&1") != 0)
    tb_test_skip("/usr/bin/python3 cannot import h5py, numpy and matplotlib (run scripts/setup)");
  (void)cli_binary(); /* skips without TB_BINARY */
}

static char text[1 << 18]; /* the output of the last run */

/* Runs `tunebench args` (cli_fixture.h) with an optional environment prefix, output in text; returns the exit
 * status. */
static int run(const char *env, const char *args) { return cli_run_in(NULL, env, args, text, sizeof text); }
static char *slurp(const char *path) {
  static char buf[1 << 18];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = 0;
  if (f) fclose(f);
  return buf;
}
static int is_png(const char *name) {
  char path[320];
  unsigned char m[8] = {0};
  snprintf(path, sizeof path, "%s/rep/%s", dir, name);
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(m, 1, 8, f) : 0;
  if (f) fclose(f);
  int ok = n == 8 && !memcmp(m, "\x89PNG\r\n\x1a\n", 8);
  if (!ok) fprintf(stderr, "\n%s: missing or not a PNG\n", path);
  return ok;
}
static void setup_dir(const char *name) {
  snprintf(dir, sizeof dir, "/tmp/tb_test_report_%s_%d", name, (int)getpid());
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}
static void cleanup_dir(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

static const char *strategies[3] = {"random", "grid", "local"};
static double final_best[3][3]; /* [strategy][repetition], Branin minimum over complete trials */

/* Experiment 0: Branin; trial k of strategy s in repetition r. Returns the next trial id. */
static int64_t write_branin(tb_store *st, int64_t id) {
  const tb_testfn *fn = tb_testfn_find("branin");
  CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
  for (int s = 0; s < 3; s++)
    for (int r = 0; r < 3; r++) {
      final_best[s][r] = INFINITY;
      for (int k = 0; k < 20; k++, id++) {
        double x[2];
        if (s == 0) x[0] = -5 + 15 * urand(), x[1] = 15 * urand();
        else if (s == 1) x[0] = -5 + 15 * (k % 5) / 4.0, x[1] = 15 * (k / 5) / 3.0;
        else {
          double sd = 3.0 / (1 + k);
          x[0] = fmin(10, fmax(-5, M_PI + sd * nrand())), x[1] = fmin(15, fmax(0, 2.275 + sd * nrand()));
        }
        double start = 1.7e9 + 100.0 * r + 3.0 * k + s, v;
        tb_store_trial t = {id, 0, strategies[s], r, 1000 + (uint64_t)id, -1, -1, start, x, 0, 0};
        TB_CHECK_OK(tb_store_trial_begin(st, &t));
        TB_CHECK_OK(tb_testfn_eval(fn, x, &v));
        for (int c = 0; c < 3; c++) {
          tb_store_curve cv = {id, c, c + 1.0, v * (3 - c) + urand(), v * (1 + 0.5 * (2 - c)), 0.5 * (c + 1)};
          TB_CHECK_OK(tb_store_curve_add(st, &cv));
        }
        tb_trial_status status = (k % 9 == 4) ? TB_TRIAL_FAILED : TB_TRIAL_COMPLETE;
        double obj = status == TB_TRIAL_COMPLETE ? v : NAN;
        if (status == TB_TRIAL_COMPLETE && v < final_best[s][r]) final_best[s][r] = v;
        tb_store_result res = {id, status, &obj, 3, start + 1 + urand(), 1 + urand(), (int64_t)(1e6 * (1 + urand())),
                               {NAN, NAN}, {NAN, NAN}, 2, status == TB_TRIAL_FAILED ? "objective crashed" : NULL};
        TB_CHECK_OK(tb_store_trial_end(st, &res));
      }
    }
  return id;
}

/* Experiment 1: an MLP-like space, pbt, random and grid (the grid's points drawn at random too: only the name
 * matters here), 2 repetitions x 10 trials, objectives val_error, test_error, latency; a PBT lineage over 4 members
 * and 3 Pareto snapshots. */
static void write_mlp(tb_store *st, const tb_space *sp, int64_t id) {
  int64_t first = id;
  static const char *names[3] = {"pbt", "random", "grid"};
  for (int s = 0; s < 3; s++)
    for (int r = 0; r < 2; r++)
      for (int k = 0; k < 10; k++, id++) {
        double u[3] = {urand(), urand(), urand()}, x[3];
        tb_space_from_unit(sp, u, x);
        double start = 1.7e9 + 50.0 * r + 4.0 * k + s;
        tb_store_trial t = {id, 1, names[s], r, 5000 + (uint64_t)id, s ? -1 : (k >= 4 ? id - 4 : -1), -1,
                            start, x, s == 0 && k >= 4, 0};
        TB_CHECK_OK(tb_store_trial_begin(st, &t));
        double ve = 0.05 + 0.3 * fabs(log10(x[0]) + 2.5) / 2.5 + 0.02 * urand();
        double obj[3] = {ve, ve + 0.01 * nrand(), 1e-4 * x[1] * (1 + urand())};
        tb_store_result res = {id, TB_TRIAL_COMPLETE, obj, 10, start + 2 + urand(), 2, (int64_t)(4e6 * (1 + urand())),
                               {obj[2], obj[2] * 30}, {obj[2] * 2, obj[2] * 60}, 1000 + (int64_t)x[1] * 10, NULL};
        TB_CHECK_OK(tb_store_trial_end(st, &res));
      }
  double lr[4] = {1e-3, 3e-3, 1e-2, 3e-2};
  for (int ev = 0; ev < 8; ev++) {
    int m = ev % 4, src = (ev + 1) % 4;
    char old_p[128], new_p[128];
    snprintf(old_p, sizeof old_p, "{\"lr\": %.6g, \"units\": %d, \"act\": \"relu\"}", lr[m], 32 + 16 * m);
    lr[m] = (ev % 2 ? lr[src] : lr[m]) * (urand() < 0.5 ? 0.8 : 1.2);
    snprintf(new_p, sizeof new_p, "{\"lr\": %.6g, \"units\": %d, \"act\": \"relu\"}", lr[m], 32 + 16 * m);
    tb_store_lineage l = {1.7e9 + 5.0 * (ev + 1), m, first + src + (ev / 4) * 4, first + 4 + ev,
                          ev % 2 ? TB_LINEAGE_EXPLOIT : TB_LINEAGE_EXPLORE, old_p, new_p};
    TB_CHECK_OK(tb_store_lineage_add(st, &l));
  }
  for (int snap = 0; snap < 3; snap++) {
    int64_t front[3] = {first + snap, first + 10 + snap, first + 20 + snap};
    tb_store_pareto p = {1, snap, 1.7e9 + 10.0 * (snap + 1), 0.5 + 0.1 * snap, snap + 1, front};
    TB_CHECK_OK(tb_store_pareto_add(st, &p));
  }
  for (int i = 0; i < 10; i++) {
    tb_store_memory m = {1.7e9 + 3.0 * i, i % 3 ? first + i : -1, (int64_t)(1e8 * (1 + urand())),
                         i % 2 ? "cuda:0" : "cpu"};
    TB_CHECK_OK(tb_store_memory_add(st, &m));
  }
}

static void test_full(void) {
  need_python();
  setup_dir("full");
  char path[192], args[512];
  snprintf(path, sizeof path, "%s/study.h5", dir);
  rng_state = 20240611;
  static const uint64_t seeds[3] = {11, 22, 33};
  tb_store_study s = {"report-test", "suite: report-test\n", 3, seeds, NULL, "cpu", "", "testhost", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_space *bsp, *msp;
  TB_CHECK_OK(tb_testfn_space(tb_testfn_find("branin"), &bsp));
  TB_CHECK_OK(tb_space_init(&msp));
  static const char *acts[2] = {"relu", "tanh"};
  TB_CHECK_OK(tb_space_add_float(msp, "lr", 1e-4, 1e-1, 1));
  TB_CHECK_OK(tb_space_add_int(msp, "units", 16, 256, 1, 1));
  TB_CHECK_OK(tb_space_add_categorical(msp, "act", 2, acts));
  TB_CHECK_OK(tb_space_finalize(msp));
  static const char *bobj[1] = {"value"}, *mobj[3] = {"val_error", "test_error", "latency"};
  static const int bmax[1] = {0}, mmax[3] = {0, 0, 0};
  tb_store_experiment e0 = {"branin.synth", "testfn", "testfn:branin", bsp, 1, bobj, bmax};
  tb_store_experiment e1 = {"mlp.rect", "mlp", "gen:rectangles?n=1000&seed=1", msp, 3, mobj, mmax};
  TB_CHECK_OK(tb_store_add_experiment(st, &e0, NULL));
  TB_CHECK_OK(tb_store_add_experiment(st, &e1, NULL));
  int64_t id = write_branin(st, 0);
  write_mlp(st, msp, id);
  TB_CHECK_OK(tb_store_study_end(st, 1.7e9 + 400, 1));
  TB_CHECK_OK(tb_store_close(st));

  snprintf(args, sizeof args, "report %s --out %s/rep", path, dir);
  int rc = run(NULL, args);
  if (rc != 0) fprintf(stderr, "\n%s\n", text);
  CU_ASSERT_EQUAL(rc, 0);
  char md[256];
  snprintf(md, sizeof md, "%s/rep/report.md", dir);
  char *r = slurp(md);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "# tunebench report: report-test"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "## Experiment branin.synth"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "## Experiment mlp.rect"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "Known optimum of value: 0.397887"));
  /* Each Branin strategy's headline row: 3 repetitions, 20 configurations and 60 fidelity units (20 rows of
   * fidelity 3) per run, and the median of the final bests computed here. */
  for (int k = 0; k < 3; k++) {
    double f[3] = {final_best[k][0], final_best[k][1], final_best[k][2]}, t;
    for (int i = 0; i < 3; i++)
      for (int j = i + 1; j < 3; j++)
        if (f[j] < f[i]) t = f[i], f[i] = f[j], f[j] = t;
    char row[160], med[64];
    snprintf(row, sizeof row, "| %s | 3 | 20 | 60 | ", strategies[k]);
    snprintf(med, sizeof med, "| %.4g [", f[1]);
    const char *line = strstr(r, row), *end = line ? strchr(line, '\n') : NULL, *m = line ? strstr(line, med) : NULL;
    if (!line || !m || m > end) fprintf(stderr, "\nreport.md lacks '%s ... %s'\n", row, med);
    CU_ASSERT(line && m && m < end);
  }
  /* Configurations by status: 20 per run, k % 9 == 4 fails (k = 4, 13): 18 complete, 2 failed per run; pbt's 20
   * runs continue 4 members per repetition (segments, continues = 1): 8 configurations, 20 rung evaluations. */
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "| random | 54 | 0 | 6 | 0 | 0 | 0 | 60 | 60 |"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "| pbt | 8 | 0 | 0 | 0 | 0 | 0 | 8 | 20 |"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "Friedman over 3 repetitions"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "(the same as the figure's last point)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "exact two-sided Wilcoxon signed-rank test cannot reach p < 0.05 with fewer than 6"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "8 events (4 exploit, 4 explore) over 4 members"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "### Multi-objective: hypervolume"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "The pareto table's 3 front snapshots"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "10 memory samples"));
  CU_ASSERT_PTR_NULL(strstr(r, "failed ("));
  static const char *pngs[] = {"branin.synth_best_by_units.png", "branin.synth_best_by_secs.png",
                               "branin.synth_best_by_configs.png", "branin.synth_rank.png", "branin.synth_cd.png",
                               "branin.synth_efficiency.png", "branin.synth_importance.png",
                               "branin.synth_parallel.png", "branin.synth_learning_curves.png",
                               "mlp.rect_best_by_units.png", "mlp.rect_pareto.png", "mlp.rect_hv_compute.png",
                               "mlp.rect_attainment.png", "mlp.rect_pbt_lineage.png", "mlp.rect_pbt_schedules.png",
                               "mlp.rect_importance.png", "mlp.rect_efficiency.png", "mlp.rect_cd.png", "memory.png",
                               NULL};
  for (int i = 0; pngs[i]; i++) {
    CU_ASSERT(is_png(pngs[i]));
    char link[128];
    snprintf(link, sizeof link, "](%s)", pngs[i]);
    CU_ASSERT_PTR_NOT_NULL(strstr(r, link));
  }
  /* mlp.rect has a test objective: the efficiency scores are test_error of the best trial by val_error; the
   * Pareto plot leaves test_error out (not a tuned objective). */
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "Pool: 20 complete random trials (in trial-id order, all repetitions); grid: 20"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "the test_error of its best trial by val_error"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "Friedman over 2 repetitions"));
  /* --format: every figure in each format asked for; the Markdown links the first */
  snprintf(args, sizeof args, "report %s --out %s/rep2 --format svg,pdf", path, dir);
  CU_ASSERT_EQUAL(run(NULL, args), 0);
  snprintf(md, sizeof md, "%s/rep2/branin.synth_rank.svg", dir);
  CU_ASSERT_EQUAL(access(md, R_OK), 0);
  snprintf(md, sizeof md, "%s/rep2/branin.synth_rank.pdf", dir);
  CU_ASSERT_EQUAL(access(md, R_OK), 0);
  snprintf(args, sizeof args, "report %s --out %s/rep3 --format gif", path, dir);
  CU_ASSERT_EQUAL(run(NULL, args), 2);
  tb_space_free(bsp), tb_space_free(msp);
  cleanup_dir();
}

static void test_degenerate(void) {
  need_python();
  setup_dir("degen");
  char path[192], args[512], md[256];
  snprintf(path, sizeof path, "%s/one.h5", dir);
  tb_store_study s = {"tiny", "suite: tiny\n", 0, NULL, NULL, "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_space *sp;
  TB_CHECK_OK(tb_testfn_space(tb_testfn_find("hartmann3"), &sp));
  static const char *obj[1] = {"value"};
  static const int mx[1] = {0};
  tb_store_experiment e0 = {"h3", "testfn", "hartmann3", sp, 1, obj, mx};
  tb_store_experiment e1 = {"empty", "testfn", "hartmann3", sp, 1, obj, mx};
  TB_CHECK_OK(tb_store_add_experiment(st, &e0, NULL));
  TB_CHECK_OK(tb_store_add_experiment(st, &e1, NULL));
  double x[3] = {0.2, 0.4, 0.6}, v = NAN;
  tb_store_trial t = {0, 0, "random", 0, 7, -1, -1, 1.7e9, x, 0, 0};
  TB_CHECK_OK(tb_store_trial_begin(st, &t));
  tb_store_result res = {0, TB_TRIAL_FAILED, &v, 0, 1.7e9 + 1, 0.1, -1, {NAN, NAN}, {NAN, NAN}, -1, "crashed"};
  TB_CHECK_OK(tb_store_trial_end(st, &res));
  TB_CHECK_OK(tb_store_close(st)); /* never ended: end_time 0, complete 0 */
  snprintf(args, sizeof args, "report %s --out %s/rep", path, dir);
  int rc = run(NULL, args);
  if (rc != 0) fprintf(stderr, "\n%s\n", text);
  CU_ASSERT_EQUAL(rc, 0);
  snprintf(md, sizeof md, "%s/rep/report.md", dir);
  char *r = slurp(md);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "## Experiment h3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "| random | 0 | 0 | 1 | 0 | 0 | 0 | 1 |"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "no complete trial with a finite value"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "## Experiment empty"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "No trials recorded"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "not ended"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "memory figure skipped"));
  /* The default output directory: FILE-report beside FILE.h5. */
  snprintf(args, sizeof args, "report %s", path);
  CU_ASSERT_EQUAL(run(NULL, args), 0);
  snprintf(md, sizeof md, "%s/one-report/report.md", dir);
  CU_ASSERT_EQUAL(access(md, R_OK), 0);
  /* A file of format version 1 (one row per run): refused, naming both versions (exit 2: bad input). */
  tb_h5_file *f;
  int64_t v1 = 1;
  TB_CHECK_OK(tb_h5_open_rw(path, &f));
  TB_CHECK_OK(tb_h5_attr_write(f, "/", "format_version", TB_H5_I64, 0, &v1));
  TB_CHECK_OK(tb_h5_close(f));
  CU_ASSERT_EQUAL(run(NULL, args), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "results format version 1; this report reads version 2"));
  tb_space_free(sp);
  cleanup_dir();
}

static void test_bad_input(void) {
  need_python();
  setup_dir("bad");
  char path[192], args[512];
  snprintf(path, sizeof path, "%s/notes.h5", dir);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("this is not HDF5\n", f);
  fclose(f);
  snprintf(args, sizeof args, "report %s --out %s/rep", path, dir);
  CU_ASSERT_EQUAL(run(NULL, args), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "not an HDF5 file"));
  snprintf(args, sizeof args, "report %s/missing.h5", dir);
  CU_ASSERT_EQUAL(run(NULL, args), 1); /* I/O: a failure, not usage (issue 21) */
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "missing.h5: cannot open: No such file"));
  CU_ASSERT_EQUAL(run(NULL, "report"), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(text, "usage: tunebench report"));
  CU_ASSERT_EQUAL(run(NULL, "report a.h5 b.h5"), 2);
  CU_ASSERT_EQUAL(run(NULL, "report a.h5 --colour"), 2);
  CU_ASSERT_EQUAL(run(NULL, "report a.h5 --out"), 2);
  /* h5py that cannot be imported: the command says to run scripts/setup. */
  char fake[256], env[320];
  snprintf(fake, sizeof fake, "%s/h5py.py", dir);
  f = fopen(fake, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs("raise ImportError('hidden by test_report')\n", f);
  fclose(f);
  snprintf(env, sizeof env, "PYTHONPATH=%s", dir);
  snprintf(args, sizeof args, "data dump 'gen:classification?n=20' --out %s/d.h5", dir); /* a readable HDF5 file */
  CU_ASSERT_EQUAL(run(NULL, args), 0);
  snprintf(args, sizeof args, "report %s/d.h5", dir);
  CU_ASSERT_EQUAL(run(env, args), 2);
  char *o = text;
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "h5py"));
  CU_ASSERT_PTR_NOT_NULL(strstr(o, "scripts/setup"));
  cleanup_dir();
}

static void test_selftest(void) {
  need_python();
  const char *src = getenv("TB_SOURCE_DIR");
  char cmd[512];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/scripts/report_selftest.py", src ? src : "..");
  int rc = system(cmd);
  CU_ASSERT(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

static const tb_test_case cases[] = {{"full", test_full}, {"degenerate", test_degenerate},
                                     {"bad_input", test_bad_input}, {"selftest", test_selftest}, {NULL, NULL}};
TB_TEST_MAIN("report", cases)
