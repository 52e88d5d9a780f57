/* test_store.c: the results store (host/store/store.c, store_h5.c, store_codec.c, h5.c tables): a study with two
 * experiments written through the API and read back table by table with host/data/h5.c (values equal to what was
 * written); the .h5 rebuilt from the journal after deleting it gives identical tables; resume hands back every
 * event and the interrupted trials, which become "interrupted" rows; force keeps the old study until the new one has
 * finished a trial and never replaces a locked journal (issue 21); bad input (overwrite without force, unknown
 * trial, duplicate id, bad names), a garbage journal, a journal cut mid-file, a non-HDF5 .h5 without journal. */
#include <unistd.h>

#include "store_fixture.h"

static char path[128], jpath[160];

static void paths(const char *tag) {
  snprintf(path, sizeof path, "/tmp/tb_test_store_%s_%d.h5", tag, (int)getpid());
  snprintf(jpath, sizeof jpath, "%s.journal", path);
  unlink(path), unlink(jpath);
}

static const uint64_t seeds[3] = {1, 2, 3};
static tb_store_study study(void) {
  return (tb_store_study){"quick", "suite: quick\nlearners: [mlp]\n", 3, seeds, NULL, "cpu", "", "testhost", 1.7e9};
}

/* A study: experiments a (2 objectives) and b (1), trials 0..9 in a, 10..13 in b, plus lineage, pareto, memory.
 * With leave_running, trials 14 and 15 begin (15 with curve points) and never end. */
static void write_study(tb_space *sp, int leave_running, int end_study) {
  tb_store *st;
  tb_store_study s = study();
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment ea = {"mlp.fashion", "mlp", "fashion-mnist", sp, 2, fx_obj, fx_max};
  tb_store_experiment eb = {"mlp.friedman", "mlp", "gen:friedman1", sp, 1, fx_obj, fx_max};
  int ia, ib;
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, &ia));
  for (int64_t id = 0; id < 10; id++) TB_CHECK_OK(fx_trial(st, sp, ia, id, id, -1, 5, 1));
  TB_CHECK_OK(tb_store_add_experiment(st, &eb, &ib)); /* after SWMR writing started */
  CU_ASSERT_EQUAL(ia, 0);
  CU_ASSERT_EQUAL(ib, 1);
  for (int64_t id = 10; id < 14; id++) TB_CHECK_OK(fx_trial(st, sp, ib, id, id, -1, 3, 1));
  tb_store_lineage l = {12.5, 2, 3, 9, TB_LINEAGE_EXPLOIT, "{\"lr\": 0.01}", "{\"lr\": 0.012}"};
  TB_CHECK_OK(tb_store_lineage_add(st, &l));
  int64_t front[3] = {1, 4, 7};
  tb_store_pareto p = {0, 0, 20.0, 0.75, 3, front};
  TB_CHECK_OK(tb_store_pareto_add(st, &p));
  tb_store_memory m = {21.0, 4, 123456789, "cuda:0"};
  TB_CHECK_OK(tb_store_memory_add(st, &m));
  if (leave_running) {
    TB_CHECK_OK(fx_trial(st, sp, 0, 14, 14, -1, 0, 0));
    TB_CHECK_OK(fx_trial(st, sp, 1, 15, 15, -1, 2, 0));
  }
  if (end_study) TB_CHECK_OK(tb_store_study_end(st, 1.7e9 + 100, 1));
  TB_CHECK_OK(tb_store_close(st));
}

static char *dump_all(void) {
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  const char *tabs[] = {"/experiments/mlp.fashion/trials", "/experiments/mlp.fashion/curves",
                        "/experiments/mlp.fashion/lineage", "/experiments/mlp.fashion/pareto",
                        "/experiments/mlp.friedman/trials", "/experiments/mlp.friedman/curves",
                        "/experiments/mlp.friedman/lineage", "/experiments/mlp.friedman/pareto", "/memory"};
  size_t cap = 1 << 20, len = 0;
  char *all = calloc(1, cap);
  for (int i = 0; i < 9; i++) {
    char *d = fx_dump_table(f, tabs[i]);
    len += (size_t)snprintf(all + len, cap - len, "%s", d);
    free(d);
  }
  double c = -1;
  TB_CHECK_OK(tb_h5_attr_read_f64(f, "/", "complete", &c, 1, NULL));
  len += (size_t)snprintf(all + len, cap - len, "complete=%g\n", c);
  TB_CHECK_OK(tb_h5_close(f));
  return all;
}

static void test_write_read_back(void) {
  paths("rw");
  tb_space *sp = fx_space();
  write_study(sp, 0, 1);
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  const char *tp = "/experiments/mlp.fashion/trials";
  int nc;
  tb_h5_col *cols;
  size_t n;
  TB_CHECK_OK(tb_h5_table_columns(f, tp, &nc, &cols, &n));
  CU_ASSERT_EQUAL(n, 10);
  CU_ASSERT_EQUAL(nc, 7 + 5 + 2 + 13); /* format 2: compute_units, compute_seconds */
  tb_h5_cols_free(cols, nc);
  int64_t ids[10];
  uint64_t seed[10];
  double lr[10], act[10], drop[10], o0[10], tt[10];
  char *strat[10], *status[10], *reason[10];
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "id", TB_H5_I64, n, ids));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "seed", TB_H5_U64, n, seed));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "param_lr", TB_H5_F64, n, lr));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "param_act", TB_H5_F64, n, act));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "param_drop", TB_H5_F64, n, drop));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "obj_val_loss", TB_H5_F64, n, o0));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "train_time", TB_H5_F64, n, tt));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "strategy", TB_H5_STR, n, strat));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "status", TB_H5_STR, n, status));
  TB_CHECK_OK(tb_h5_table_read_col(f, tp, "reason", TB_H5_STR, n, reason));
  for (int i = 0; i < 10; i++) { /* exact equality: doubles go through unchanged */
    double x[8];
    fx_config(sp, i, x);
    CU_ASSERT_EQUAL(ids[i], i);
    CU_ASSERT_EQUAL(seed[i], 1000 + (uint64_t)i);
    CU_ASSERT_EQUAL(lr[i], x[0]);
    CU_ASSERT_EQUAL(act[i], x[2]);
    CU_ASSERT(isnan(x[3]) ? isnan(drop[i]) : drop[i] == x[3]);
    CU_ASSERT_EQUAL(o0[i], fx_u(i, 10));
    CU_ASSERT_EQUAL(tt[i], 0.5 + fx_u(i, 12));
    CU_ASSERT_STRING_EQUAL(strat[i], i % 2 ? "tpe" : "random");
    CU_ASSERT_STRING_EQUAL(status[i], tb_trial_status_name((tb_trial_status)(i % 5)));
    CU_ASSERT_STRING_EQUAL(reason[i], i % 5 == 2 ? "loss is NaN at step 3" : "");
    free(strat[i]), free(status[i]), free(reason[i]);
  }
  char **ch;
  size_t nch;
  TB_CHECK_OK(tb_h5_attr_read_strs(f, tp, "choices_act", &ch, &nch));
  CU_ASSERT_EQUAL(nch, 3);
  CU_ASSERT_STRING_EQUAL(ch[2], "gelu");
  tb_h5_strs_free(ch, nch);
  char *suite;
  TB_CHECK_OK(tb_h5_attr_read_str(f, "/", "suite_text", &suite));
  CU_ASSERT_STRING_EQUAL(suite, "suite: quick\nlearners: [mlp]\n");
  free(suite);
  char **exps;
  size_t ne;
  TB_CHECK_OK(tb_h5_children(f, "/experiments", &exps, &ne));
  CU_ASSERT_EQUAL(ne, 2);
  tb_h5_strs_free(exps, ne);
  const char *cp = "/experiments/mlp.fashion/curves";
  TB_CHECK_OK(tb_h5_table_columns(f, cp, &nc, &cols, &n));
  tb_h5_cols_free(cols, nc);
  CU_ASSERT_EQUAL(n, 50);
  double *loss = malloc(n * sizeof *loss);
  int64_t *tr = malloc(n * sizeof *tr);
  TB_CHECK_OK(tb_h5_table_read_col(f, cp, "train_loss", TB_H5_F64, n, loss));
  TB_CHECK_OK(tb_h5_table_read_col(f, cp, "trial", TB_H5_I64, n, tr));
  for (size_t i = 0; i < n; i++) {
    CU_ASSERT_EQUAL(tr[i], (int64_t)(i / 5));
    CU_ASSERT_EQUAL(loss[i], 1.0 / ((double)(i % 5) + 1 + fx_u((int64_t)(i / 5), 20)));
  }
  free(loss), free(tr);
  CU_ASSERT_EQUAL(tb_h5_table_read_col(f, cp, "nope", TB_H5_F64, n, NULL), TB_ERR_NOT_FOUND);
  TB_CHECK_OK(tb_h5_close(f));
  char *d = dump_all();
  CU_ASSERT_PTR_NOT_NULL(strstr(d, "/experiments/mlp.fashion/lineage (1 rows)\n time=12.5 member=2 from_trial=3 "
                                   "to_trial=9 kind='exploit' old_params='{\"lr\": 0.01}'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d, "/experiments/mlp.fashion/pareto (3 rows)\n snapshot=0 time=20 trial=1 hypervolume=0.75"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d, "/memory (1 rows)\n time=21 experiment=0 trial=4 bytes=123456789 device='cuda:0'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d, "complete=1"));
  /* rebuild from the journal after deleting the .h5: the same tables */
  unlink(path);
  TB_CHECK_OK(tb_store_rebuild(path));
  char *d2 = dump_all();
  CU_ASSERT_STRING_EQUAL(d, d2);
  free(d), free(d2);
  /* an existing study is never overwritten without force */
  tb_store *st;
  tb_store_study s = study();
  CU_ASSERT_EQUAL(tb_store_create(path, &s, NULL, &st), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "already exists"));
  tb_store_options o = tb_store_options_default();
  o.force = 1;
  TB_CHECK_OK(tb_store_create(path, &s, &o, &st));
  TB_CHECK_OK(tb_store_close(st));
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

static void test_resume(void) {
  paths("resume");
  tb_space *sp = fx_space();
  write_study(sp, 1, 0);
  tb_store *st;
  tb_store_history *h;
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  CU_ASSERT_EQUAL(h->n_interrupted, 2);
  CU_ASSERT_EQUAL(h->next_trial_id, 16);
  CU_ASSERT_EQUAL(h->n_torn, 0);
  CU_ASSERT_EQUAL(h->n_events, 1 + 2 + 16 + 14 + (5 * 10 + 3 * 4 + 2) + 3);
  CU_ASSERT_EQUAL(h->events[0].type, TB_STORE_EV_STUDY);
  CU_ASSERT_STRING_EQUAL(h->events[0].u.study.device, "cpu");
  CU_ASSERT_EQUAL(h->events[0].u.study.seeds[2], 3);
  CU_ASSERT_EQUAL(h->events[1].type, TB_STORE_EV_EXPERIMENT);
  const tb_space *rs = h->events[1].u.experiment.exp.space;
  CU_ASSERT_EQUAL(tb_space_dim(rs), 5);
  CU_ASSERT_STRING_EQUAL(tb_space_param(rs, 2)->choices[1], "tanh");
  CU_ASSERT_EQUAL(tb_space_param(rs, 3)->parent, 2);
  CU_ASSERT_EQUAL(tb_space_param(rs, 0)->log, 1);
  int n_end = 0, n_curve = 0;
  for (size_t i = 0; i < h->n_events; i++) n_end += h->events[i].type == TB_STORE_EV_TRIAL_END,
                                           n_curve += h->events[i].type == TB_STORE_EV_CURVE;
  CU_ASSERT_EQUAL(n_end, 14);
  CU_ASSERT_EQUAL(n_curve, 5 * 10 + 3 * 4 + 2);
  const tb_store_trial *it = h->interrupted[1];
  CU_ASSERT_EQUAL(h->interrupted[0]->id, 14);
  CU_ASSERT_EQUAL(it->id, 15);
  CU_ASSERT_EQUAL(it->seed, 1015);
  double x[8];
  fx_config(sp, 15, x);
  CU_ASSERT_EQUAL(it->config[0], x[0]);
  /* the executor re-runs them with new ids and retry_of */
  TB_CHECK_OK(fx_trial(st, sp, 0, 16, 14, 14, 1, 1));
  CU_ASSERT_EQUAL(fx_trial(st, sp, 0, 15, 15, -1, 0, 0), TB_ERR_INVALID); /* id already used */
  tb_store_curve c = {14, 0, 1, 1, 1, 1};
  CU_ASSERT_EQUAL(tb_store_curve_add(st, &c), TB_ERR_INVALID); /* 14 is no longer running */
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history_free(h);
  tb_h5_file *f;
  TB_CHECK_OK(tb_h5_open_live(path, &f));
  char *d = fx_dump_table(f, "/experiments/mlp.fashion/trials");
  CU_ASSERT_PTR_NOT_NULL(strstr(d, "(12 rows)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d, " id=14 strategy='random' repetition=2 seed=1014 parent_id=10 retry_of=-1 status='interrupted'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d, " id=16 strategy='random' repetition=1 seed=1014 parent_id=12 retry_of=14 status='pruned'"));
  free(d);
  TB_CHECK_OK(tb_h5_close(f));
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

static void test_bad_files(void) {
  paths("bad");
  tb_space *sp = fx_space();
  tb_store *st;
  tb_store_history *h;
  CU_ASSERT_EQUAL(tb_store_open_resume(path, NULL, &st, &h), TB_ERR_NOT_FOUND); /* nothing there */
  FILE *fp = fopen(path, "w");
  fputs("not hdf5 at all", fp);
  fclose(fp);
  CU_ASSERT_EQUAL(tb_store_open_resume(path, NULL, &st, &h), TB_ERR_NOT_FOUND); /* .h5 without journal */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "journal"));
  tb_h5_file *f;
  CU_ASSERT_EQUAL(tb_h5_open_live(path, &f), TB_ERR_FORMAT);
  fp = fopen(jpath, "w");
  fputs("garbage garbage garbage garbage", fp);
  fclose(fp);
  CU_ASSERT_EQUAL(tb_store_open_resume(path, NULL, &st, &h), TB_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "not a tunebench journal"));
  CU_ASSERT_PTR_NULL(st);
  /* a journal cut in the middle of a record (a torn tail): resume drops it and goes on */
  unlink(path), unlink(jpath);
  write_study(sp, 0, 0);
  FILE *jf = fopen(jpath, "r");
  fseek(jf, 0, SEEK_END);
  long size = ftell(jf);
  fclose(jf);
  CU_ASSERT_EQUAL_FATAL(truncate(jpath, size - 5), 0);
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  CU_ASSERT_EQUAL(h->n_torn, 1);
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history_free(h);
  /* the same file damaged in the middle: a clear error naming the offset */
  jf = fopen(jpath, "r+");
  fseek(jf, size / 2, SEEK_SET);
  fputc('#', jf), fputc('#', jf), fputc('#', jf);
  fclose(jf);
  CU_ASSERT_EQUAL(tb_store_open_resume(path, NULL, &st, &h), TB_ERR_FORMAT);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "byte offset"));
  /* bad calls */
  tb_store_study s = study();
  tb_store_options o = tb_store_options_default();
  o.force = 1;
  TB_CHECK_OK(tb_store_create(path, &s, &o, &st));
  tb_store_experiment bad = {"has space", "mlp", "x", sp, 1, fx_obj, fx_max};
  CU_ASSERT_EQUAL(tb_store_add_experiment(st, &bad, NULL), TB_ERR_INVALID);
  bad.name = "ok";
  TB_CHECK_OK(tb_store_add_experiment(st, &bad, NULL));
  CU_ASSERT_EQUAL(tb_store_add_experiment(st, &bad, NULL), TB_ERR_INVALID); /* duplicate name */
  CU_ASSERT_EQUAL(fx_trial(st, sp, 3, 0, 0, -1, 0, 1), TB_ERR_INVALID);        /* no experiment 3 */
  double obj[2] = {1, 2};
  tb_store_result r = {99, TB_TRIAL_COMPLETE, obj, 1, 1, 1, 1, {1, 1}, {1, 1}, 1, NULL};
  CU_ASSERT_EQUAL(tb_store_trial_end(st, &r), TB_ERR_INVALID); /* never began */
  TB_CHECK_OK(tb_store_close(st));
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}


/* Issue 21: force keeps the old study until the new one has finished a trial, never replaces a journal another
 * writer holds, and a second start beside a pending one leaves the first one's files alone. */
static void test_force_replace(void) {
  paths("force");
  tb_space *sp = fx_space();
  write_study(sp, 0, 1);
  char tmp_j[200], tmp_h[200];
  snprintf(tmp_j, sizeof tmp_j, "%s.new", jpath), snprintf(tmp_h, sizeof tmp_h, "%s.new", path);
  size_t nj, nh, n2;
  char *j0 = tb_test_file_bytes(jpath, &nj), *h0 = tb_test_file_bytes(path, &nh);
  tb_store_study s = study();
  s.suite_name = "replacement";
  tb_store_options o = tb_store_options_default();
  o.force = 1;
  /* closed before a trial finished (an interrupted one does not count): the old study is untouched */
  tb_store *st = NULL, *st2 = NULL;
  TB_CHECK_OK(tb_store_create(path, &s, &o, &st));
  CU_ASSERT(tb_store_replacing(st));
  CU_ASSERT(access(tmp_j, F_OK) == 0 && access(tmp_h, F_OK) == 0);
  tb_store_experiment ea = {"e", "mlp", "x", sp, 2, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, NULL));
  TB_CHECK_OK(fx_trial(st, sp, 0, 100, 0, -1, 0, 0));
  double nan2[2] = {NAN, NAN};
  tb_store_result ri = {100, TB_TRIAL_INTERRUPTED, nan2, NAN, 1, NAN, -1, {NAN, NAN}, {NAN, NAN}, -1, NULL};
  TB_CHECK_OK(tb_store_trial_end(st, &ri));
  CU_ASSERT(tb_store_replacing(st));
  /* meanwhile: resuming the old study or a second start at the same path is refused, and changes nothing */
  tb_store_history *h = NULL;
  CU_ASSERT_EQUAL(tb_store_open_resume(path, NULL, &st2, &h), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_store_create(path, &s, &o, &st2), TB_ERR_INVALID);
  CU_ASSERT(access(tmp_j, F_OK) == 0 && access(tmp_h, F_OK) == 0);
  TB_CHECK_OK(tb_store_close(st));
  CU_ASSERT(access(tmp_j, F_OK) != 0 && access(tmp_h, F_OK) != 0);
  char *j1 = tb_test_file_bytes(jpath, &n2);
  CU_ASSERT(n2 == nj && !memcmp(j0, j1, nj));
  free(j1);
  j1 = tb_test_file_bytes(path, &n2);
  CU_ASSERT(n2 == nh && !memcmp(h0, j1, nh));
  free(j1);
  /* a finished trial: the new study is in place */
  TB_CHECK_OK(tb_store_create(path, &s, &o, &st));
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, NULL));
  TB_CHECK_OK(fx_trial(st, sp, 0, 0, 0, -1, 0, 0));
  double obj[2] = {1, 2};
  tb_store_result r = {0, TB_TRIAL_COMPLETE, obj, 1, 1, 1, 1, {1, 1}, {1, 1}, 1, NULL};
  TB_CHECK_OK(tb_store_trial_end(st, &r));
  CU_ASSERT(!tb_store_replacing(st));
  CU_ASSERT(access(tmp_j, F_OK) != 0 && access(tmp_h, F_OK) != 0);
  /* a study being written is never replaced */
  CU_ASSERT_EQUAL(tb_store_create(path, &s, &o, &st2), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "running study"));
  TB_CHECK_OK(tb_store_close(st));
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  CU_ASSERT_STRING_EQUAL(h->events[0].u.study.suite_name, "replacement");
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history_free(h);
  free(j0), free(h0);
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

/* Issue 21: the time a study has run spans sessions: each from its first to its last recorded moment, a killed
 * session closed at its last one by the next resume (so the gap between sessions never counts). */
static void test_elapsed(void) {
  paths("elapsed");
  tb_space *sp = fx_space();
  tb_store *st = NULL;
  tb_store_history *h = NULL;
  tb_store_study s = study(); /* starts at 1.7e9 */
  TB_CHECK_OK(tb_store_create(path, &s, NULL, &st));
  tb_store_experiment ea = {"e", "mlp", "x", sp, 2, fx_obj, fx_max};
  TB_CHECK_OK(tb_store_add_experiment(st, &ea, NULL));
  TB_CHECK_OK(fx_trial(st, sp, 0, 0, 0, -1, 0, 1)); /* 1.7e9 .. +1 */
  TB_CHECK_OK(fx_trial(st, sp, 0, 3, 0, -1, 0, 1)); /* +3 .. +4: then killed (no study end) */
  TB_CHECK_OK(tb_store_sync(st));
  tb_store *st2 = NULL;
  CU_ASSERT_EQUAL(tb_store_open_resume(path, NULL, &st2, &h), TB_ERR_INVALID); /* still being written */
  TB_CHECK_OK(tb_store_close(st));
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  CU_ASSERT_DOUBLE_EQUAL(h->elapsed_s, 4, 1e-6);
  tb_store_history_free(h);
  TB_CHECK_OK(fx_trial(st, sp, 0, 20, 0, -1, 0, 1)); /* a later session: +20 .. +21, ended at +30 */
  TB_CHECK_OK(tb_store_study_end(st, 1.7e9 + 30, 1));
  TB_CHECK_OK(tb_store_close(st));
  TB_CHECK_OK(tb_store_open_resume(path, NULL, &st, &h));
  CU_ASSERT_DOUBLE_EQUAL(h->elapsed_s, 4 + 10, 1e-6);
  TB_CHECK_OK(tb_store_close(st));
  tb_store_history_free(h);
  tb_space_free(sp);
  unlink(path), unlink(jpath);
}

static const tb_test_case cases[] = {{"write_read_back_rebuild", test_write_read_back},
                                     {"force_replace", test_force_replace},
                                     {"elapsed", test_elapsed},
                                     {"resume", test_resume},
                                     {"bad_files", test_bad_files},
                                     {NULL, NULL}};
TB_TEST_MAIN("store", cases)
