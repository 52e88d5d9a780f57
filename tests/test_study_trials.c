/* test_study_trials.c: the trial model of results format 2 (one trials row per configuration, docs/results-format.md).
 *  - store level, known answers: a configuration promoted twice (1 -> 3 -> 9 units) is one row with its last
 *    value, fidelity 9, compute 9 units and the sum of its runs' seconds, three rungs rows; one stopped at its first
 *    rung (fidelity_max 9) is pruned; a PBT exploit is a new row whose parent_id (and lineage) name configurations;
 *    the same journal written with the writer flushed between runs (rows rewritten in the file) and rebuilt in one
 *    pass, and a session killed mid-way then resumed, give tables equal to an uninterrupted write; 300
 *    configurations each promoted once after a flush keep their own rows;
 *  - studies: successive halving, Hyperband and ASHA (random sampler, branin with the multi-fidelity noise model): one row per
 *    configuration (as many as the study's trials), rungs rows = runs begun, a complete row at max_fidelity, a
 *    pruned one below it, a row's fidelity = its highest rung's, and the compute units of the
 *    rows sum to the fidelity units the study reports spent (asha with 9 trials: every one stopped below the top,
 *    pruned, the "complete 720, pruned 0" case);
 *  - resume: a successive-halving study stopped after 4, 8 or 12 runs and resumed from its journal writes the same
 *    trials (status, configuration, value, fidelity, compute) and rungs as an uninterrupted one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_objective.h"
#include "tb_testfn.h"
#include "store_fixture.h"
#include "tb_error.h"
#include "tb_h5.h"
#include "tb_model.h"
#include "tb_store.h"
#include "tb_study.h"

static char path[160], jpath[176];
static void paths(const char *tag) {
  snprintf(path, sizeof path, "/tmp/tb_test_trials_%s_%d.h5", tag, (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path), unlink(jpath);
}

static char *dump_all(const char *p) {
  static const char *tabs[] = {"/experiments/mlp.fashion/trials", "/experiments/mlp.fashion/rungs",
                               "/experiments/mlp.fashion/curves", "/experiments/mlp.fashion/lineage"};
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(p, &f));
  size_t cap = 1 << 18, len = 0;
  char *all = calloc(1, cap);
  for (int i = 0; i < 4; i++) {
    char *d = fx_dump_table(f, tabs[i]);
    len += (size_t)snprintf(all + len, cap - len, "%s", d);
    free(d);
  }
  TB_CHECK_OK(tb_h5_close(f));
  return all;
}

/* Run `id` of the script: begin (continuing `parent` when cont), one curve point, end at fidelity fid. */
static void run(tb_store *st, const tb_space *sp, int64_t id, int64_t parent, int cont, double fid, double fmax,
                int cfg) {
  double x[8], v = 1.0 / (double)(id + 1);
  fx_config(sp, cfg, x);
  tb_store_trial t = {id, 0, cont || parent < 0 ? "sh" : "pbt", 0, 100 + (uint64_t)id, parent, -1, 1.7e9 + id, x,
                      cont, fmax};
  TB_CHECK_OK(tb_store_trial_begin(st, &t));
  tb_store_curve c = {id, 0, fid, 0.5, v, 0.25};
  TB_CHECK_OK(tb_store_curve_add(st, &c));
  double obj[2] = {v, 2 * v};
  tb_store_result r = {id, TB_TRIAL_COMPLETE, obj, fid, 1.7e9 + id + 0.5, 0.4, 1000, {NAN, NAN}, {NAN, NAN}, 7, NULL};
  TB_CHECK_OK(tb_store_trial_end(st, &r));
}

/* The script: trial 0 promoted by runs 2 and 4 (1 -> 3 -> 9), trial 1 stopped at rung 1, trial 3 a PBT exploit of
 * trial 0's first run. wait: flush the writer after each run; kill_after: stop the session after that many runs
 * (closed without its study end) and resume it. */
static void write_script(const tb_space *sp, int wait, int kill_after) {
  tb_store_study s = {"quick", "suite: quick\n", 0, NULL, "test", "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment e = {"mlp.fashion", "mlp", "gen:x", sp, 2, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &e, NULL));
  struct { int64_t parent; int cont; double fid, fmax; int cfg; } script[5] = {
      {-1, 0, 1, 9, 0}, {-1, 0, 1, 9, 1}, {0, 1, 3, 9, 0}, {0, 0, 1, 0, 3}, {2, 1, 9, 0, 0}};
  for (int64_t i = 0; i < 5; i++) {
    if (i == kill_after) {
      tb_store_history *h = NULL;
      TB_CHECK_OK(tb_store_close(st));
      TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
      tb_store_history_free(h);
    }
    run(st, sp, i, script[i].parent, script[i].cont, script[i].fid, script[i].fmax, script[i].cfg);
    if (i == 3) {
      tb_store_lineage l = {1.7e9 + 3, 0, 0, 3, TB_LINEAGE_EXPLOIT, "{}", "{}"};
      TB_CHECK_OK(tb_store_lineage_add(st, &l));
    }
    if (wait) TB_CHECK_OK(tb_store_wait(st));
  }
  TB_CHECK_OK(tb_store_study_end(st, 1.7e9 + 10, 1));
  TB_CHECK_OK(tb_store_close(st));
}

static void test_store_rows(void) {
  tb_space *sp = fx_space();
  paths("rows");
  write_script(sp, 0, -1);
  char *plain = dump_all(path);
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  const char *tp = "/experiments/mlp.fashion/trials", *gp = "/experiments/mlp.fashion/rungs";
  int nc;
  tb_h5_col *cols;
  size_t n, ng;
  TB_CHECK_OK(tb_h5_table_columns(f, tp, &nc, &cols, &n));
  tb_h5_cols_free(cols, nc);
  TB_CHECK_OK(tb_h5_table_columns(f, gp, &nc, &cols, &ng));
  tb_h5_cols_free(cols, nc);
  CU_ASSERT_EQUAL_FATAL(n, 3); /* configurations 0, 1, 3 in the order their first runs ended */
  CU_ASSERT_EQUAL(ng, 5);
  int64_t id[3], par[3], rt[5], rr[5];
  double fid[3], units[3], secs[3], o0[3], rf[5];
  char *status[3];
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "id", TB_H5_I64, n, id));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "parent_id", TB_H5_I64, n, par));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "fidelity", TB_H5_F64, n, fid));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "compute_units", TB_H5_F64, n, units));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "compute_seconds", TB_H5_F64, n, secs));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "obj_val_loss", TB_H5_F64, n, o0));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "status", TB_H5_STR, n, status));
  TB_CHECK_OK(tb_h5_table_read_col(f, gp, "trial", TB_H5_I64, ng, rt));
  TB_CHECK_OK(tb_h5_table_read_col(f, gp, "rung", TB_H5_I64, ng, rr));
  TB_CHECK_OK(tb_h5_table_read_col(f, gp, "fidelity", TB_H5_F64, ng, rf));
  CU_ASSERT_EQUAL(id[0], 0);
  CU_ASSERT_EQUAL(id[1], 1);
  CU_ASSERT_EQUAL(id[2], 3);
  CU_ASSERT_STRING_EQUAL(status[0], "complete"); /* promoted to the top */
  CU_ASSERT_STRING_EQUAL(status[1], "pruned");   /* stopped at fidelity 1 < 9 */
  CU_ASSERT_STRING_EQUAL(status[2], "complete"); /* no rungs (fidelity_max 0) */
  CU_ASSERT_EQUAL(fid[0], 9);
  CU_ASSERT_EQUAL(units[0], 9);
  CU_ASSERT_EQUAL(secs[0], 1.5);
  CU_ASSERT_EQUAL(o0[0], 1.0 / 5); /* its last run's value */
  CU_ASSERT_EQUAL(fid[1], 1);
  CU_ASSERT_EQUAL(units[1], 1);
  CU_ASSERT_EQUAL(par[2], 0);   /* the exploit's lineage: configuration 0 */
  CU_ASSERT_EQUAL(units[2], 0); /* it starts from run 0's state at fidelity 1 and trains to 1 */
  CU_ASSERT_EQUAL(rt[2], 0);
  CU_ASSERT_EQUAL(rr[2], 1);
  CU_ASSERT_EQUAL(rf[2], 3);
  CU_ASSERT_EQUAL(rt[4], 0);
  CU_ASSERT_EQUAL(rr[4], 2);
  CU_ASSERT_EQUAL(rf[4], 9);
  for (int i = 0; i < 3; i++) free(status[i]);
  TB_CHECK_OK(tb_h5_close(f));
  CU_ASSERT_PTR_NOT_NULL(strstr(plain, "curves (5 rows)\n trial=0 ")); /* curve points carry the trial's id */
  CU_ASSERT_PTR_NOT_NULL(strstr(plain, "from_trial=0 to_trial=3"));
  /* rows rewritten in the file (flush per run), a rebuild in one pass, a killed and resumed session: equal */
  paths("rows_wait");
  write_script(sp, 1, -1);
  char *waited = dump_all(path);
  CU_ASSERT_STRING_EQUAL(waited, plain);
  TB_CHECK_OK(tb_store_rebuild(path));
  char *rebuilt = dump_all(path);
  CU_ASSERT_STRING_EQUAL(rebuilt, plain);
  for (int k = 1; k < 5; k++) {
    paths("rows_kill");
    write_script(sp, k % 2, k);
    char *resumed = dump_all(path);
    CU_ASSERT_STRING_EQUAL(resumed, plain);
    free(resumed);
  }
  free(plain), free(waited), free(rebuilt);
  unlink(path), unlink(jpath);
  tb_space_free(sp);
}

/* Many configurations, each promoted once after all have begun (the writer's configuration list grows past its
 * first capacities; rows rewritten in place after a flush): every row holds its own id and both runs' compute. */
static void test_many(void) {
  tb_space *sp = fx_space();
  paths("many");
  tb_store_study s = {"many", "", 0, NULL, "test", "cpu", "", "h", 1.7e9};
  tb_store *st;
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment e = {"mlp.fashion", "mlp", "gen:x", sp, 2, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &e, NULL));
  enum { N = 300 };
  for (int64_t i = 0; i < 2 * N; i++) {
    if (i == N) TB_CHECK_OK(tb_store_wait(st));
    double x[8], obj[2] = {(double)i, 0};
    fx_config(sp, i % N, x);
    tb_store_trial t = {i, 0, "sh", 0, (uint64_t)i, i < N ? -1 : i - N, -1, 1.7e9 + (double)i, x, i >= N, 3};
    TB_CHECK_OK(tb_store_trial_begin(st, &t));
    tb_store_result r = {i, TB_TRIAL_COMPLETE, obj, i < N ? 1 : 3, 1.7e9 + (double)i + 1, 1, -1, {NAN, NAN},
                         {NAN, NAN}, -1, NULL};
    TB_CHECK_OK(tb_store_trial_end(st, &r));
  }
  TB_CHECK_OK(tb_store_close(st));
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  const char *tp = "/experiments/mlp.fashion/trials";
  int nc;
  tb_h5_col *cols;
  size_t n;
  TB_CHECK_OK(tb_h5_table_columns(f, tp, &nc, &cols, &n));
  tb_h5_cols_free(cols, nc);
  CU_ASSERT_EQUAL_FATAL(n, N);
  int64_t id[N];
  double units[N], o0[N];
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "id", TB_H5_I64, n, id));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "compute_units", TB_H5_F64, n, units));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "obj_val_loss", TB_H5_F64, n, o0));
  int bad = 0;
  for (int i = 0; i < N; i++) bad += id[i] != i || units[i] != 3 || o0[i] != i + N;
  CU_ASSERT_EQUAL(bad, 0);
  TB_CHECK_OK(tb_h5_close(f));
  unlink(path), unlink(jpath);
  tb_space_free(sp);
}

static void on_progress(void *ctx, const tb_study_progress *p) { *(double *)ctx = p->units_used; }

/* One multi-fidelity study into its own file; checks the rows against the rungs and the study's compute. */
static void check_scheduler(tb_objective *o, const char *sched) {
  paths(sched);
  tb_store *st = NULL;
  tb_store_study sd = {"trials", "suite", 0, NULL, NULL, "cpu", "", NULL, 0};
  TB_CHECK_OK(tb_store_create(path, &sd, NULL, &st));
  tb_study_params p = tb_study_params_default();
  double units_used = -1;
  p.sampler = "random", p.scheduler = sched, p.n_trials = 9, p.min_fidelity = 1, p.max_fidelity = 9;
  p.n_workers = 2, p.seed = 11, p.progress = on_progress, p.progress_ctx = &units_used;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(o, &p, &s));
  tb_store_experiment ex = {"mlp.fashion", "testfn", "branin", NULL, 0, NULL, NULL};
  tb_study_describe_experiment(s, &ex);
  int idx = -1;
  TB_CHECK_OK(tb_store_add_experiment(st, &ex, &idx));
  TB_CHECK_OK(tb_study_attach_store(s, st, idx));
  TB_CHECK_OK(tb_study_run(s, NULL));
  size_t n_cfg = tb_study_n_trials(s);
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history *h = NULL;
  size_t n_runs = 0;
  TB_CHECK_OK(tb_store_read_history(path, &h));
  for (size_t i = 0; i < h->n_events; i++) n_runs += h->events[i].type == TB_STORE_EV_TRIAL_BEGIN;
  tb_store_history_free(h);
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  const char *tp = "/experiments/mlp.fashion/trials", *gp = "/experiments/mlp.fashion/rungs";
  int nc;
  tb_h5_col *cols;
  size_t n, ng;
  TB_CHECK_OK(tb_h5_table_columns(f, tp, &nc, &cols, &n));
  tb_h5_cols_free(cols, nc);
  TB_CHECK_OK(tb_h5_table_columns(f, gp, &nc, &cols, &ng));
  tb_h5_cols_free(cols, nc);
  CU_ASSERT_EQUAL(n, n_cfg);
  CU_ASSERT_EQUAL(ng, n_runs);
  CU_ASSERT(n_runs > n); /* some configuration was promoted */
  int64_t *id = calloc(n + 1, 8), *rt = calloc(ng + 1, 8);
  double *fid = calloc(n + 1, 8), *units = calloc(n + 1, 8), *rf = calloc(ng + 1, 8), sum = 0;
  char **status = calloc(n + 1, sizeof *status);
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "id", TB_H5_I64, n, id));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "fidelity", TB_H5_F64, n, fid));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "compute_units", TB_H5_F64, n, units));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "status", TB_H5_STR, n, status));
  TB_CHECK_OK(tb_h5_table_read_col(f, gp, "trial", TB_H5_I64, ng, rt));
  TB_CHECK_OK(tb_h5_table_read_col(f, gp, "fidelity", TB_H5_F64, ng, rf));
  size_t n_complete = 0, n_pruned = 0, bad = 0;
  for (size_t i = 0; i < n; i++) {
    double top = -1;
    for (size_t q = 0; q < ng; q++)
      if (rt[q] == id[i] && rf[q] > top) top = rf[q];
    int complete = !strcmp(status[i], "complete"), pruned = !strcmp(status[i], "pruned");
    n_complete += complete, n_pruned += pruned;
    int wrong = top != fid[i] || (complete && fid[i] != p.max_fidelity) || (pruned && !(fid[i] < p.max_fidelity));
    if (wrong && bad < 3) printf("\n%s: trial %lld %s at fidelity %g, highest rung %g\n", sched, (long long)id[i], status[i], fid[i], top);
    bad += wrong;
    for (size_t j = 0; j < i; j++) bad += id[j] == id[i];
    sum += units[i];
    free(status[i]);
  }
  if (bad || !n_complete || !n_pruned)
    printf("\n%s: %zu rows, %zu runs, %zu complete, %zu pruned, %zu disagree with their rungs\n", sched, n, ng,
           n_complete, n_pruned, bad);
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(n_complete >= 1 || !strcmp(sched, "asha")); /* asha stops promoting when its 9 trials have run */
  CU_ASSERT(n_pruned >= 1);
  CU_ASSERT(fabs(sum - units_used) <= 1e-9 * units_used);
  free(id), free(rt), free(fid), free(units), free(rf), free(status);
  TB_CHECK_OK(tb_h5_close(f));
  tb_study_free(s);
  unlink(path), unlink(jpath);
}

/* Columns of table (of experiment mlp.fashion) as text, rows in order; time columns are left out by the caller. */
static char *columns(const char *file, const char *table, const char *const *names, int n_names) {
  char tp[128];
  snprintf(tp, sizeof tp, "/experiments/mlp.fashion/%s", table);
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(file, &f));
  int nc;
  tb_h5_col *cols;
  size_t n;
  TB_CHECK_OK(tb_h5_table_columns(f, tp, &nc, &cols, &n));
  size_t cap = 64 + n * (size_t)n_names * 40, len = 0;
  char *out = calloc(1, cap), **sv = calloc(n + 1, sizeof *sv);
  double *v = calloc(n + 1, sizeof *v);
  len += (size_t)snprintf(out + len, cap - len, "%s %zu rows\n", table, n);
  for (int k = 0; k < n_names; k++) {
    int str = 0;
    for (int c = 0; c < nc; c++) str |= !strcmp(cols[c].name, names[k]) && cols[c].type == TB_H5_STR;
    TB_CHECK_OK(tb_h5_table_read_col(f, tp, names[k], str ? TB_H5_STR : TB_H5_F64, n, str ? (void *)sv : (void *)v));
    len += (size_t)snprintf(out + len, cap - len, "%s:", names[k]);
    for (size_t r = 0; r < n; r++) {
      if (str) len += (size_t)snprintf(out + len, cap - len, " %s", sv[r]), free(sv[r]);
      else len += (size_t)snprintf(out + len, cap - len, " %.17g", v[r]);
    }
    len += (size_t)snprintf(out + len, cap - len, "\n");
  }
  free(sv), free(v);
  tb_h5_cols_free(cols, nc);
  TB_CHECK_OK(tb_h5_close(f));
  return out;
}

/* A successive-halving study on o into path, one worker; stop_after > 0: stopped there, then resumed from its
 * journal in a second session. */
static void sh_session(tb_objective *o, long stop_after) {
  for (int session = 0; session < (stop_after > 0 ? 2 : 1); session++) {
    tb_store *st = NULL;
    tb_store_history *h = NULL;
    tb_store_study sd = {"trials", "suite", 0, NULL, NULL, "cpu", "", NULL, 0};
    if (session) TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
    else TB_CHECK_OK(tb_store_create(path, &sd, NULL, &st));
    tb_study_params p = tb_study_params_default();
    p.sampler = "random", p.scheduler = "sh", p.n_trials = 9, p.min_fidelity = 1, p.max_fidelity = 9;
    p.n_workers = 1, p.seed = 5, p.stop_after = session ? 0 : stop_after;
    tb_study *s = NULL;
    TB_CHECK_OK(tb_study_create(o, &p, &s));
    int idx = 0;
    if (!session) {
      tb_store_experiment ex = {"mlp.fashion", "testfn", "branin", NULL, 0, NULL, NULL};
      tb_study_describe_experiment(s, &ex);
      TB_CHECK_OK(tb_store_add_experiment(st, &ex, &idx));
    }
    TB_CHECK_OK(tb_study_attach_store(s, st, idx));
    TB_CHECK_OK(tb_study_run(s, h));
    CU_ASSERT_EQUAL(tb_study_stopped(s), !session && stop_after > 0); /* the first session really stopped early */
    tb_study_free(s);
    tb_store_history_free(h);
    TB_CHECK_OK(tb_store_close(st));
  }
}

/* The executor resumed mid-way through promotions writes the same trials and rungs as an uninterrupted run. */
static void test_resume(void) {
  static const char *tcols[] = {"id", "status", "param_x0", "param_x1", "obj_value", "fidelity", "compute_units"};
  static const char *gcols[] = {"trial", "rung", "fidelity", "value", "status"};
  tb_objective *o = NULL;
  TB_CHECK_OK(tb_objective_testfn(tb_testfn_find("branin"), 0, 0.5, &o));
  paths("resume_full");
  sh_session(o, 0);
  char *ft = columns(path, "trials", tcols, 7), *fg = columns(path, "rungs", gcols, 5);
  unlink(path), unlink(jpath);
  for (long stop = 4; stop <= 12; stop += 4) { /* in rung 0, after it, in rung 1 */
    paths("resume_part");
    sh_session(o, stop);
    char *rt = columns(path, "trials", tcols, 7), *rg = columns(path, "rungs", gcols, 5);
    CU_ASSERT_STRING_EQUAL(rt, ft);
    CU_ASSERT_STRING_EQUAL(rg, fg);
    free(rt), free(rg);
    unlink(path), unlink(jpath);
  }
  free(ft), free(fg);
  tb_objective_free(o);
}

static void test_schedulers(void) {
  tb_objective *o = NULL; /* branin with the multi-fidelity noise model: one unit per step, no training */
  TB_CHECK_OK(tb_objective_testfn(tb_testfn_find("branin"), 0, 0.5, &o));
  check_scheduler(o, "sh");
  check_scheduler(o, "hyperband");
  check_scheduler(o, "asha");
  tb_objective_free(o);
}

static const tb_test_case cases[] = {
    {"store_rows", test_store_rows}, {"many", test_many},          {"schedulers", test_schedulers},
    {"resume", test_resume},         {NULL, NULL}};
TB_TEST_MAIN("study_trials", cases)
