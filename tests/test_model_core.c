/* test_model_core.c: the learner-independent model code (models/model.c, models/devdata.c) and `tunebench train`.
 * Covers: a space built from declarations (types, ranges, a two-level condition chain, defaults with inactive NaNs,
 * activity recomputed by set), set/check messages (unknown key lists the keys, bad choice lists the choices, ranges
 * and grids), every registered learner's space and defaults; save/restore/copy round trips (identical predictions
 * and identical continued training, adam and lbfgs) and restore rejections; the memory estimate against the measured
 * peak; devdata uploads and shared bins against a host quantisation; bad arguments; the train command's output and
 * exit codes (runs $TB_BINARY). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_fixture.h"
#include "model_fixture.h"
#include "model_impl.h"

/* ---- a declared-only learner: exercises the space code without training ------------------------------------- */
enum { FAKE_OPT, FAKE_NESTEROV, FAKE_GAMMA, FAKE_UNITS, FAKE_LR };
static const char *fake_check(const double *x, void *params, char *buf, size_t len) {
  (void)params;
  if (x[FAKE_UNITS] > 256 && x[FAKE_OPT] == 0) {
    snprintf(buf, len, "units > 256 needs adam");
    return buf;
  }
  return NULL;
}
static const tb_param fake_hp[] = {
    [FAKE_OPT] = {.name = "opt", .type = TB_PARAM_CATEGORICAL, .n_choices = 2, .choices = {"sgd", "adam"}, .def = 1},
    [FAKE_NESTEROV] = {.name = "nesterov", .type = TB_PARAM_CATEGORICAL, .n_choices = 2, .choices = {"no", "yes"},
                       .def = 0, .parent = FAKE_OPT, .n_cond = 1, .cond_values = {0}},
    [FAKE_GAMMA] = {.name = "gamma", .type = TB_PARAM_FLOAT, .lo = 0.5, .hi = 0.99, .def = 0.9,
                    .parent = FAKE_NESTEROV, .n_cond = 1, .cond_values = {1}},
    [FAKE_UNITS] = {.name = "units", .type = TB_PARAM_INT, .lo = 16, .hi = 512, .step = 16, .def = 64},
    [FAKE_LR] = {.name = "lr", .type = TB_PARAM_FLOAT, .lo = 1e-5, .hi = 1, .log = 1, .def = 1e-3},
};
static const tb_learner fake = {.name = "fake", .fidelity_unit = "epochs", .tasks = 1, .n_hparams = 5,
                                .hparams = fake_hp, .decode = fake_check};

static void test_space_from_declarations(void) {
  tb_space *sp = NULL;
  TB_CHECK_OK(tb_learner_space(&fake, &sp));
  CU_ASSERT_EQUAL_FATAL(tb_space_dim(sp), 5);
  const tb_param *u = tb_space_param(sp, 3), *lr = tb_space_param(sp, 4), *g = tb_space_param(sp, 2);
  CU_ASSERT(u->type == TB_PARAM_INT && u->lo == 16 && u->hi == 512 && u->step == 16);
  CU_ASSERT(lr->type == TB_PARAM_FLOAT && lr->log == 1 && lr->lo == 1e-5);
  CU_ASSERT_EQUAL(g->parent, 1);
  CU_ASSERT_EQUAL(tb_space_param(sp, 1)->parent, 0);
  CU_ASSERT_STRING_EQUAL(tb_space_param(sp, 0)->choices[1], "adam");
  double x[5];
  tb_learner_defaults(&fake, sp, x);
  CU_ASSERT(x[0] == 1 && isnan(x[1]) && isnan(x[2]) && x[3] == 64 && x[4] == 1e-3);
  char buf[256];
  CU_ASSERT_PTR_NULL(tb_learner_check(&fake, sp, x, buf, sizeof buf));
  /* activity follows the chain both ways */
  TB_CHECK_OK(tb_learner_set(&fake, sp, x, "opt", "sgd"));
  CU_ASSERT(x[0] == 0 && x[1] == 0 && isnan(x[2]));
  TB_CHECK_OK(tb_learner_set(&fake, sp, x, "nesterov", "yes"));
  CU_ASSERT(x[1] == 1 && x[2] == 0.9);
  TB_CHECK_OK(tb_learner_set(&fake, sp, x, "gamma", "0.95"));
  CU_ASSERT_EQUAL(x[2], 0.95);
  CU_ASSERT_PTR_NULL(tb_learner_check(&fake, sp, x, buf, sizeof buf));
  TB_CHECK_OK(tb_learner_set(&fake, sp, x, "opt", "adam"));
  CU_ASSERT(isnan(x[1]) && isnan(x[2]));
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "gamma", "0.9"), TB_ERR_INVALID); /* inactive now */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "nesterov"));
  /* messages */
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "momentum", "1"), TB_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "opt, nesterov, gamma, units, lr"));
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "opt", "rmsprop"), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "sgd, adam"));
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "lr", "2"), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "[1e-05, 1]"));
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "lr", "fast"), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "units", "100"), TB_ERR_INVALID); /* not on the 16-grid */
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "step 16"));
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "units", "64.5"), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_learner_set(&fake, sp, x, "units", "528"), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(x[3], 64); /* failed sets leave x alone */
  /* the learner's own check, and the space check through it */
  TB_CHECK_OK(tb_learner_set(&fake, sp, x, "units", "512"));
  TB_CHECK_OK(tb_learner_set(&fake, sp, x, "opt", "sgd"));
  const char *msg = tb_learner_check(&fake, sp, x, buf, sizeof buf);
  CU_ASSERT(msg && strstr(msg, "needs adam"));
  x[2] = 0.7; /* gamma set while nesterov is no */
  msg = tb_learner_check(&fake, sp, x, buf, sizeof buf);
  CU_ASSERT(msg && strstr(msg, "gamma"));
  size_t bytes;
  CU_ASSERT_EQUAL(tb_model_estimate_bytes(&fake, sp, x, 10, 2, 2, &bytes), TB_ERR_INVALID);
  tb_space_free(sp);
  CU_ASSERT_EQUAL(tb_learner_space(NULL, &sp), TB_ERR_INVALID);
}

static void test_registry(void) {
  const tb_learner *const *L = tb_learners();
  int n = 0;
  for (; L[n]; n++) {
    tb_space *sp = NULL;
    TB_CHECK_OK(tb_learner_space(L[n], &sp));
    CU_ASSERT_EQUAL(tb_space_dim(sp), tb_learner_n_hparams(L[n]));
    double *x = malloc((size_t)tb_space_dim(sp) * sizeof *x);
    char buf[256];
    tb_learner_defaults(L[n], sp, x);
    const char *msg = tb_learner_check(L[n], sp, x, buf, sizeof buf);
    if (msg) printf("\n  %s defaults: %s", tb_learner_name(L[n]), msg);
    CU_ASSERT_PTR_NULL(msg);
    CU_ASSERT_PTR_EQUAL(tb_learner_find(tb_learner_name(L[n])), L[n]);
    CU_ASSERT_PTR_NOT_NULL(tb_learner_fidelity_unit(L[n]));
    free(x);
    tb_space_free(sp);
  }
  CU_ASSERT_EQUAL(n, 4);
  CU_ASSERT_PTR_NULL(tb_learner_find("svm"));
  CU_ASSERT_PTR_NULL(tb_learner_find(NULL));
  CU_ASSERT_PTR_NULL(tb_learner_hparam(tb_learner_find("logreg"), 99));
}

/* ---- models on data ----------------------------------------------------------------------------------------- */
/* The data: split with the default spec (seed 0), features as loaded; logreg's space. */
static void setup(mfx *f, const char *spec) {
  tb_split_spec ss = tb_split_spec_default();
  mfx_open_split(f, "logreg", mfx_load(spec), &ss, 0);
}
static void config(mfx *f, double *x, const char *solver) {
  tb_learner_defaults(f->L, f->space, x);
  TB_CHECK_OK(tb_learner_set(f->L, f->space, x, "solver", solver));
  if (strcmp(solver, "lbfgs")) TB_CHECK_OK(tb_learner_set(f->L, f->space, x, "batch_size", "32"));
}

#define DATA "gen:classification?n=600&d=12&informative=5&classes=3&clusters=1&class_sep=1.5&seed=2"

static void test_save_restore_copy(void) {
  mfx f;
  setup(&f, DATA);
  const char *solvers[] = {"adam", "lbfgs", "sgd"};
  const size_t nv = f.sp.n_valid * 3;
  for (int s = 0; s < 3; s++) {
    double x[16];
    config(&f, x, solvers[s]);
    tb_model *a = NULL, *b = NULL, *c = NULL;
    TB_CHECK_OK(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 3, &a));
    TB_CHECK_OK(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 3, &b));
    TB_CHECK_OK(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 3, &c));
    TB_CHECK_OK(tb_model_train(a, 3));
    void *blob;
    size_t len;
    TB_CHECK_OK(tb_model_save(a, &blob, &len));
    TB_CHECK_OK(tb_model_restore(b, blob, len));
    TB_CHECK_OK(tb_model_copy(c, a));
    CU_ASSERT(tb_model_fidelity(b) == 3 && tb_model_fidelity(c) == 3);
    const uint32_t *vr = f.sp.valid;
    const size_t nr = f.sp.n_valid;
    float *pa = mfx_predict_rows(&f, a, vr, nr), *pb = mfx_predict_rows(&f, b, vr, nr),
          *pc = mfx_predict_rows(&f, c, vr, nr);
    CU_ASSERT(memcmp(pa, pb, nv * sizeof(float)) == 0);
    CU_ASSERT(memcmp(pa, pc, nv * sizeof(float)) == 0);
    free(pa), free(pb), free(pc);
    /* the optimiser state came along: training on gives the same model */
    TB_CHECK_OK(tb_model_train(a, 2));
    TB_CHECK_OK(tb_model_train(b, 2));
    pa = mfx_predict_rows(&f, a, vr, nr), pb = mfx_predict_rows(&f, b, vr, nr);
    CU_ASSERT(memcmp(pa, pb, nv * sizeof(float)) == 0);
    CU_ASSERT_EQUAL(tb_model_fidelity(b), 5);
    free(pa), free(pb);
    /* rejections: truncated, bad magic, another learner's name, another solver */
    CU_ASSERT_EQUAL(tb_model_restore(b, blob, len - 1), TB_ERR_FORMAT);
    CU_ASSERT_EQUAL(tb_model_restore(b, blob, 10), TB_ERR_FORMAT);
    unsigned char *bad = malloc(len);
    memcpy(bad, blob, len);
    bad[0] ^= 0xff;
    CU_ASSERT_EQUAL(tb_model_restore(b, bad, len), TB_ERR_FORMAT);
    memcpy(bad, blob, len);
    memcpy(bad + 8, "mlp\0\0\0", 6);
    CU_ASSERT_EQUAL(tb_model_restore(b, bad, len), TB_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "mlp"));
    free(bad);
    double y[16];
    config(&f, y, solvers[(s + 1) % 3]);
    tb_model *o = NULL;
    TB_CHECK_OK(tb_model_create(f.L, f.space, y, f.dd, &f.parts, 3, &o));
    CU_ASSERT_EQUAL(tb_model_restore(o, blob, len), TB_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), solvers[s]));
    free(blob);
    tb_model_free(o), tb_model_free(a), tb_model_free(b), tb_model_free(c);
  }
  /* a model on data of another shape refuses the state */
  mfx g;
  setup(&g, "gen:classification?n=300&d=7&classes=3&clusters=1&seed=2");
  double x[16];
  config(&f, x, "lbfgs");
  tb_model *a = NULL, *b = NULL;
  TB_CHECK_OK(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 1, &a));
  TB_CHECK_OK(tb_model_create(g.L, g.space, x, g.dd, &g.parts, 1, &b));
  CU_ASSERT_EQUAL(tb_model_copy(b, a), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "features"));
  tb_model_free(a), tb_model_free(b);
  mfx_close(&g);
  mfx_close(&f);
}

static void test_estimate_vs_peak(void) {
  mfx f;
  setup(&f, "gen:classification?n=5000&d=40&classes=4&clusters=1&seed=6");
  const char *solvers[] = {"adam", "lbfgs", "sgd"};
  for (int s = 0; s < 3; s++) {
    double x[16];
    config(&f, x, solvers[s]);
    size_t est;
    TB_CHECK_OK(tb_model_estimate_bytes(f.L, f.space, x, f.sp.n_train, f.ds->n_cols, f.ds->n_classes, &est));
    tb_mem_stats before, after;
    tb_backend_mem_reset_peak(f.be);
    tb_backend_mem(f.be, &before);
    tb_model *m = NULL;
    TB_CHECK_OK(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 1, &m));
    TB_CHECK_OK(tb_model_train(m, 2));
    tb_metrics mt;
    TB_CHECK_OK(tb_model_evaluate(m, f.sp.valid, f.sp.n_valid, &mt));
    tb_backend_mem(f.be, &after);
    double used = (double)(after.bytes_peak - before.bytes_in_use);
    printf("\n  %s: estimate %zu bytes, measured peak %.0f (ratio %.2f)", solvers[s], est, used, (double)est / used);
    CU_ASSERT(est >= 0.5 * used && est <= 2.0 * used);
    tb_model_free(m);
    tb_backend_mem(f.be, &after);
    CU_ASSERT_EQUAL(after.bytes_in_use, before.bytes_in_use); /* everything released */
  }
  mfx_close(&f);
}

static void test_devdata(void) {
  mfx f;
  setup(&f, "gen:classification?n=700&d=6&classes=2&seed=9");
  const tb_dataset *ds = f.ds;
  size_t n = ds->n_rows, d = (size_t)ds->n_cols;
  float *X = malloc(n * d * sizeof *X);
  int32_t *y = malloc(n * sizeof *y);
  TB_CHECK_OK(tb_backend_download(f.be, X, tb_devdata_X(f.dd), n * d * sizeof *X));
  TB_CHECK_OK(tb_backend_download(f.be, y, tb_devdata_labels(f.dd), n * sizeof *y));
  CU_ASSERT(memcmp(X, ds->X, n * d * sizeof *X) == 0);
  CU_ASSERT(memcmp(y, ds->y_class, n * sizeof *y) == 0);
  CU_ASSERT_PTR_NULL(tb_devdata_targets(f.dd));
  CU_ASSERT_PTR_EQUAL(tb_devdata_dataset(f.dd), ds);
  const tb_bins *b = NULL, *b2 = NULL, *b3 = NULL;
  TB_CHECK_OK(tb_devdata_bins(f.dd, 16, f.sp.train, f.sp.n_train, &b));
  CU_ASSERT_EQUAL(b->max_bins, 16);
  CU_ASSERT_EQUAL((uint32_t)b->total_bins, b->cut_ptr_host[d]);
  uint8_t *bins = malloc(n * d);
  TB_CHECK_OK(tb_backend_download(f.be, bins, b->bins, n * d));
  size_t bad = 0;
  for (size_t r = 0; r < n; r++)
    for (size_t j = 0; j < d; j++) { /* first bin whose upper edge is above the value */
      uint32_t lo = b->cut_ptr_host[j], hi = b->cut_ptr_host[j + 1], k = 0;
      while (lo + k < hi - 1 && !(X[r * d + j] < b->cuts_host[lo + k])) k++;
      bad += bins[r * d + j] != k;
      CU_ASSERT(hi - lo <= 16);
    }
  CU_ASSERT_EQUAL(bad, 0);
  TB_CHECK_OK(tb_devdata_bins(f.dd, 16, f.sp.valid, f.sp.n_valid, &b2));
  CU_ASSERT_PTR_EQUAL(b, b2); /* cached per max_bins */
  TB_CHECK_OK(tb_devdata_bins(f.dd, 64, f.sp.train, f.sp.n_train, &b3));
  CU_ASSERT(b3 != b && b3->max_bins == 64);
  CU_ASSERT_EQUAL(tb_devdata_bins(f.dd, 1, f.sp.train, f.sp.n_train, &b3), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_devdata_bins(f.dd, 257, f.sp.train, f.sp.n_train, &b3), TB_ERR_INVALID);
  uint32_t far = (uint32_t)n;
  CU_ASSERT_EQUAL(tb_devdata_bins(f.dd, 32, &far, 1, &b3), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_devdata_bins(f.dd, 32, NULL, 0, &b3), TB_ERR_INVALID);
  tb_devdata *dd = NULL;
  CU_ASSERT_EQUAL(tb_devdata_create(f.be, NULL, &dd), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_devdata_create(NULL, ds, &dd), TB_ERR_INVALID);
  tb_devdata_free(NULL);
  free(X), free(y), free(bins);
  mfx_close(&f);
}

static void test_bad_arguments(void) {
  mfx f;
  setup(&f, DATA);
  double x[16];
  config(&f, x, "adam");
  tb_model *m = NULL;
  uint32_t far[2] = {0, (uint32_t)f.ds->n_rows};
  tb_parts empty = {f.sp.train, 0, NULL, 0}, out_of_range = {far, 2, NULL, 0};
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 1, NULL), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, NULL, &f.parts, 1, &m), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, f.dd, &empty, 1, &m), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_create(f.L, f.space, x, f.dd, &out_of_range, 1, &m), TB_ERR_INVALID);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "outside"));
  tb_space *other = NULL;
  TB_CHECK_OK(tb_learner_space(&fake, &other));
  CU_ASSERT_EQUAL(tb_model_create(f.L, other, x, f.dd, &f.parts, 1, &m), TB_ERR_INVALID);
  tb_space_free(other);
  CU_ASSERT_PTR_NULL(m);
  TB_CHECK_OK(tb_model_create(f.L, f.space, x, f.dd, &f.parts, 1, &m));
  CU_ASSERT_EQUAL(tb_model_train(m, 0), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_train(NULL, 1), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_fidelity(m), 0);
  tb_metrics mt;
  CU_ASSERT_EQUAL(tb_model_evaluate(m, f.sp.valid, 0, &mt), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_evaluate(m, far, 2, &mt), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_evaluate(m, NULL, 3, &mt), TB_ERR_INVALID);
  float o[3];
  CU_ASSERT_EQUAL(tb_model_predict(m, NULL, 1, o), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_predict(m, f.ds->X, 0, o), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_n_params(m), (size_t)(12 * 3 + 3));
  size_t bytes;
  CU_ASSERT_EQUAL(tb_model_estimate_bytes(f.L, f.space, x, 0, 3, 3, &bytes), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_restore(m, NULL, 10), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(tb_model_copy(NULL, m), TB_ERR_INVALID);
  tb_model_free(m);
  tb_model_free(NULL);
  mfx_close(&f);
}

/* ---- the train command ---------------------------------------------------------------------------------------- */
static void test_train_command(void) {
  static char out[65536];
  const char *data = "--data 'gen:classification?n=800&d=10&classes=3&clusters=1&class_sep=2&seed=1' --device cpu";
  char args[1024];
  snprintf(args, sizeof args, "train --learner logreg %s --set l1_ratio=0.3 --set penalty=elasticnet --set "
           "solver=adam --set batch_size=32 --units 3 --seed 4", data);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "epochs 3  valid loss"));
  const char *l1r = strstr(out, "\"l1_ratio\": "); /* parents applied first, whatever the --set order */
  CU_ASSERT(l1r && fabs(strtod(l1r + 12, NULL) - 0.3) < 1e-12);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "test loss"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "samples/s"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "peak device memory"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "parameters 33"));
  const char *acc = strstr(out, "test loss");
  double loss = 0, a = 0;
  CU_ASSERT(acc && sscanf(acc, "test loss %lf acc %lf", &loss, &a) == 2 && a > 0.8);
  CU_ASSERT_EQUAL(cli_run("train --learner svm --data gen:classification", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "logreg"));
  snprintf(args, sizeof args, "train --learner logreg %s --set gamma=1", data);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "l1_ratio"));
  snprintf(args, sizeof args, "train --learner logreg %s --set solver=newton", data);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "lbfgs, sgd, adam"));
  snprintf(args, sizeof args, "train --learner logreg %s --set C=1e9", data);
  CU_ASSERT_EQUAL(cli_run(args, out, sizeof out), 2);
  CU_ASSERT_EQUAL(cli_run("train --learner logreg --data 'gen:friedman1?n=100' --device cpu", out, sizeof out), 2);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "regression"));
  CU_ASSERT_EQUAL(cli_run("train --learner logreg", out, sizeof out), 2);
  CU_ASSERT_EQUAL(cli_run("train --learner logreg --data gen:classification --units 0", out, sizeof out), 2);
  if (tb_backend_cuda_device_count() == 0) {
    CU_ASSERT_EQUAL(cli_run("train --learner logreg --data gen:classification --device cuda", out, sizeof out), 2);
  }
}

/* One bound per hyperparameter, the declaration's: a space with the mlp's parameters but lr up to 100 accepts
 * lr = 50, the learner does not. A configuration decoded once (tb_learner_config) gives the estimate of the x-based
 * call. */
static void test_declared_bounds_and_config(void) {
  const tb_learner *L = tb_learner_find("mlp");
  tb_space *decl = NULL, *wide = NULL;
  TB_CHECK_OK(tb_learner_space(L, &decl));
  int n = tb_space_dim(decl), ilr = tb_learner_hparam_find(L, "lr");
  CU_ASSERT_FATAL(n <= 32 && ilr >= 0);
  tb_param ps[32];
  for (int i = 0; i < n; i++) ps[i] = *tb_space_param(decl, i); /* parents are space indices: the same list */
  ps[ilr].hi = 100;
  TB_CHECK_OK(tb_space_init(&wide));
  TB_CHECK_OK(tb_space_add_params(wide, n, ps));
  TB_CHECK_OK(tb_space_finalize(wide));
  double x[32];
  char buf[256];
  tb_learner_defaults(L, decl, x);
  x[ilr] = 50;
  CU_ASSERT_PTR_NULL(tb_space_check(wide, x, buf, sizeof buf));
  const char *msg = tb_learner_check(L, wide, x, buf, sizeof buf);
  CU_ASSERT(msg && strstr(msg, "lr") && strstr(msg, "10"));
  tb_learner_config *c = NULL;
  CU_ASSERT_EQUAL(tb_learner_config_create(L, wide, x, &c), TB_ERR_INVALID);
  CU_ASSERT_PTR_NULL(c);
  CU_ASSERT_PTR_NOT_NULL(strstr(tb_error_detail(), "lr"));
  x[ilr] = 0.05;
  TB_CHECK_OK(tb_learner_config_create(L, wide, x, &c));
  size_t a = 0, b = 0;
  TB_CHECK_OK(tb_model_estimate_config(c, 500, 20, 3, &a));
  TB_CHECK_OK(tb_model_estimate_bytes(L, decl, x, 500, 20, 3, &b));
  CU_ASSERT(a == b && a > 0);
  CU_ASSERT_EQUAL(tb_model_estimate_config(c, 0, 20, 3, &a), TB_ERR_INVALID);
  tb_learner_config_free(c);
  tb_learner_config_free(NULL);
  tb_space_free(wide);
  tb_space_free(decl);
}

static const tb_test_case cases[] = {
    {"space_from_declarations", test_space_from_declarations},
    {"declared_bounds_and_config", test_declared_bounds_and_config},
    {"registry", test_registry},
    {"save_restore_copy", test_save_restore_copy},
    {"estimate_vs_peak", test_estimate_vs_peak},
    {"devdata", test_devdata},
    {"bad_arguments", test_bad_arguments},
    {"train_command", test_train_command},
    {NULL, NULL},
};
TB_TEST_MAIN("model_core", cases)
