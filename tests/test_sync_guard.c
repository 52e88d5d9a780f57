/* test_sync_guard.c: how often the learners make the host wait for the device, bounded without a GPU. The backend
 * interface counts, on every backend (tb_backend_counts_get), the calls that synchronise with the host on a GPU
 * (copies to the host, uploads, host-out ops, waits) and the allocations; these tests run on the CPU backend, whose
 * counts are the same calls, and assert the bounds of issue 20:
 *   - the counters themselves: which calls count and which do not;
 *   - an MLP training step waits 0 times (an epoch waits once, for its loss sum, whatever its number of steps, with
 *     Adam, SGD and dropout) and allocates nothing;
 *   - batch-1 predict waits once (its input upload is queued);
 *   - an MLP evaluation waits twice whatever its rows, and a second one allocates nothing; so does a fused
 *     bundle's, for all its members, whose metrics equal each member's solo model's;
 *   - a GBDT round waits a number of times that grows with its depth, not its node count, and rounds after the first
 *     allocate only when the tree set's device arrays double (early stopping's evaluation allocates nothing);
 *   - tb_split_log (the entropy gain's portable log) within 2 ulp of the C library's log.
 * What it is not: a measurement of the CUDA backend's own waits (tests/test_cuda_parity.c on a card). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_fused.h"
#include "tb_model.h"
#include "tb_split_gain.h"
#include "tb_test.h"

typedef struct {
  tb_dataset *ds;
  tb_backend *be;
  tb_devdata *dd;
  tb_splits sp;
  tb_space *space;
  const tb_learner *L;
} fixture;

static void setup(fixture *f, const char *spec, const char *learner) {
  memset(f, 0, sizeof *f);
  TB_CHECK_OK(tb_data_load(spec, &f->ds));
  tb_split_spec ss = tb_split_spec_default();
  ss.seed = 1;
  ss.valid_frac = 0.25;
  ss.test_frac = 0.0;
  TB_CHECK_OK(tb_data_split(f->ds, &ss, &f->sp));
  tb_device dev = {TB_DEVICE_CPU, 0};
  TB_CHECK_OK(tb_backend_open(&dev, &f->be));
  TB_CHECK_OK(tb_devdata_create(f->be, f->ds, &f->dd));
  f->L = tb_learner_find(learner);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->L);
  TB_CHECK_OK(tb_learner_space(f->L, &f->space));
}

static void teardown(fixture *f) {
  tb_space_free(f->space);
  tb_devdata_free(f->dd);
  tb_backend_free(f->be);
  tb_splits_free(&f->sp);
  tb_dataset_free(f->ds);
}

/* A model from "key=value" settings (NULL-terminated) over the defaults. */
static tb_model *make(fixture *f, const char *const *sets) {
  double x[64];
  tb_learner_defaults(f->L, f->space, x);
  for (const char *const *s = sets; s && *s; s++) {
    char key[64];
    const char *eq = strchr(*s, '=');
    snprintf(key, sizeof key, "%.*s", (int)(eq - *s), *s);
    TB_CHECK_OK(tb_learner_set(f->L, f->space, x, key, eq + 1));
  }
  tb_parts parts = {f->sp.train, f->sp.n_train, f->sp.valid, f->sp.n_valid};
  tb_model *m = NULL;
  TB_CHECK_OK(tb_model_create(f->L, f->space, x, f->dd, &parts, 7, &m));
  return m;
}

static tb_backend_counts counts(tb_backend *be) {
  tb_backend_counts c;
  tb_backend_counts_get(be, &c);
  return c;
}

/* ---- the counters ------------------------------------------------------------------------------------------- */
static void test_counters(void) {
  tb_device dev = {TB_DEVICE_CPU, 0};
  tb_backend *be = NULL;
  TB_CHECK_OK(tb_backend_open(&dev, &be));
  tb_backend_counts c0 = counts(be), c;
  CU_ASSERT(c0.host_syncs == 0 && c0.allocs == 0 && c0.releases == 0);
  tb_buf b;
  TB_CHECK_OK(tb_backend_alloc(be, 64 * sizeof(float), &b));
  c = counts(be);
  CU_ASSERT(c.allocs == 1 && c.host_syncs == 0);
  float h[64], *x = b.data;
  for (int i = 0; i < 64; i++) h[i] = (float)i;
  /* device-side ops never count */
  TB_CHECK_OK(tb_op_fill(be, 64, 1.0f, x));
  TB_CHECK_OK(tb_op_act_forward(be, TB_ACT_RELU, 64, x, x));
  TB_CHECK_OK(tb_op_gemm(be, TB_NO_TRANS, TB_NO_TRANS, 4, 4, 4, 1.0f, x, 4, x + 16, 4, 0.0f, x + 32, 4));
  TB_CHECK_OK(tb_backend_copy(be, x + 48, x, 16 * sizeof(float)));
  CU_ASSERT_EQUAL(counts(be).host_syncs, 0);
  /* every host wait counts once */
  TB_CHECK_OK(tb_backend_upload(be, x, h, sizeof h));
  TB_CHECK_OK(tb_backend_download(be, h, x, sizeof h));
  double sum = 0;
  TB_CHECK_OK(tb_op_sum(be, 1, 64, x, &sum));
  TB_CHECK_OK(tb_backend_sync(be));
  TB_CHECK_OK(tb_backend_timer_start(be));
  double secs;
  TB_CHECK_OK(tb_backend_timer_stop(be, &secs));
  CU_ASSERT_EQUAL(counts(be).host_syncs, 5);
  /* queued uploads, empty copies and checks that fail before dispatch do not */
  TB_CHECK_OK(tb_backend_upload_async(be, x, h, sizeof h));
  TB_CHECK_OK(tb_backend_upload(be, x, h, 0));
  CU_ASSERT_EQUAL(tb_op_sum(be, 1, 64, NULL, &sum), TB_ERR_INVALID);
  CU_ASSERT_EQUAL(counts(be).host_syncs, 5);
  tb_backend_release(be, &b);
  c = counts(be);
  CU_ASSERT(c.releases == 1 && c.allocs == 1);
  /* the CPU backend has no scratch of its own and no pinned staging */
  tb_mem_stats ms;
  tb_backend_mem(be, &ms);
  CU_ASSERT(ms.scratch_bytes == 0 && ms.pinned_host_bytes == 0 && ms.bytes_in_use == 0);
  tb_backend_free(be);
}

/* ---- MLP ------------------------------------------------------------------------------------------------------ */
/* Waits and allocations of one epoch of a fresh model with these settings. */
static void mlp_epoch(fixture *f, const char *const *sets, tb_backend_counts *d) {
  tb_model *m = make(f, sets);
  tb_backend_counts c0 = counts(f->be);
  TB_CHECK_OK(tb_model_train(m, 1));
  tb_backend_counts c1 = counts(f->be);
  d->host_syncs = c1.host_syncs - c0.host_syncs;
  d->allocs = c1.allocs - c0.allocs;
  d->releases = c1.releases - c0.releases;
  tb_model_free(m);
}

static void test_mlp_step(void) {
  fixture f;
  setup(&f, "gen:classification?n=1600&d=12&informative=6&classes=3&seed=2", "mlp");
  const char *small_b[] = {"units=32", "batch_size=16", "optimizer=adam", NULL};  /* 75 steps */
  const char *large_b[] = {"units=32", "batch_size=300", "optimizer=adam", NULL}; /* 4 steps */
  const char *drop[] = {"units=32", "layers=2", "batch_size=16", "dropout=0.3", "optimizer=sgd", NULL};
  tb_backend_counts a, b, c;
  mlp_epoch(&f, small_b, &a);
  mlp_epoch(&f, large_b, &b);
  mlp_epoch(&f, drop, &c);
  /* the epoch's loss sum (its order upload is queued, not waited for); the steps themselves none */
  CU_ASSERT_EQUAL(a.host_syncs, 1);
  CU_ASSERT_EQUAL(b.host_syncs, 1);
  CU_ASSERT_EQUAL(c.host_syncs, 1);
  CU_ASSERT(a.allocs == 0 && b.allocs == 0 && c.allocs == 0);
  CU_ASSERT(a.releases == 0 && b.releases == 0 && c.releases == 0);
  teardown(&f);
}

static void test_mlp_evaluate(void) {
  fixture f;
  setup(&f, "gen:classification?n=3000&d=8&informative=5&classes=4&seed=3", "mlp");
  const char *sets[] = {"units=16", "batch_size=32", NULL};
  tb_model *m = make(&f, sets);
  TB_CHECK_OK(tb_model_train(m, 1));
  size_t sizes[3] = {10, 300, 2000}; /* one chunk of evaluation rows to many */
  uint32_t *rows = malloc(2000 * sizeof *rows);
  for (size_t i = 0; i < 2000; i++) rows[i] = (uint32_t)((i * 7) % f.ds->n_rows);
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < 3; k++) {
      tb_backend_counts c0 = counts(f.be);
      tb_metrics mt;
      TB_CHECK_OK(tb_model_evaluate(m, rows, sizes[k], &mt));
      tb_backend_counts c1 = counts(f.be);
      CU_ASSERT_EQUAL(c1.host_syncs - c0.host_syncs, 2); /* loss sum, argmax down (rows queued up) */
      CU_ASSERT(mt.accuracy >= 0 && mt.accuracy <= 1 && isfinite(mt.loss));
      /* the work buffers grow to the largest evaluation so far; the second pass allocates nothing */
      if (pass == 1) CU_ASSERT_EQUAL(c1.allocs - c0.allocs, 0);
    }
  /* the counted accuracy equals a host recount from predictions */
  tb_metrics mt;
  TB_CHECK_OK(tb_model_evaluate(m, rows, 300, &mt));
  int n_out = tb_model_n_outputs(m);
  float *X = malloc(300 * (size_t)f.ds->n_cols * sizeof *X), *P = malloc(300 * (size_t)n_out * sizeof *P);
  for (size_t i = 0; i < 300; i++)
    memcpy(X + i * f.ds->n_cols, f.ds->X + (size_t)rows[i] * f.ds->n_cols, (size_t)f.ds->n_cols * sizeof *X);
  TB_CHECK_OK(tb_model_predict(m, X, 300, P));
  int correct = 0;
  for (size_t i = 0; i < 300; i++) {
    int best = 0;
    for (int k = 1; k < n_out; k++)
      if (P[i * n_out + k] > P[i * n_out + best]) best = k;
    correct += best == f.ds->y_class[rows[i]];
  }
  CU_ASSERT_DOUBLE_EQUAL(mt.accuracy, correct / 300.0, 1e-12);
  /* batch-1 predict: the input upload is queued, the output download is the one wait */
  for (int rep = 0; rep < 3; rep++) {
    tb_backend_counts c0 = counts(f.be), c1;
    TB_CHECK_OK(tb_model_predict(m, X + rep * f.ds->n_cols, 1, P));
    c1 = counts(f.be);
    CU_ASSERT_EQUAL(c1.host_syncs - c0.host_syncs, 1);
    if (rep) CU_ASSERT_EQUAL(c1.allocs - c0.allocs, 0);
  }
  free(X), free(P), free(rows);
  tb_model_free(m);
  teardown(&f);
}

static void test_fused_evaluate(void) {
  fixture f;
  setup(&f, "gen:classification?n=3000&d=8&informative=5&classes=4&seed=5", "mlp");
  const char *lrs[3] = {"0.01", "0.003", "0.03"};
  double *xs[3];
  uint64_t seeds[3] = {11, 12, 13};
  for (int k = 0; k < 3; k++) {
    xs[k] = malloc(64 * sizeof(double));
    tb_learner_defaults(f.L, f.space, xs[k]);
    TB_CHECK_OK(tb_learner_set(f.L, f.space, xs[k], "units", "16"));
    TB_CHECK_OK(tb_learner_set(f.L, f.space, xs[k], "batch_size", "32"));
    TB_CHECK_OK(tb_learner_set(f.L, f.space, xs[k], "lr", lrs[k]));
  }
  tb_parts parts = {f.sp.train, f.sp.n_train, f.sp.valid, f.sp.n_valid};
  tb_fused *fu = NULL;
  TB_CHECK_OK(tb_fused_create(f.L, f.space, (const double *const *)xs, 3, f.dd, &parts, seeds, &fu));
  TB_CHECK_OK(tb_fused_train(fu, 1));
  uint32_t *rows = malloc(2000 * sizeof *rows);
  for (size_t i = 0; i < 2000; i++) rows[i] = (uint32_t)((i * 11) % f.ds->n_rows);
  tb_metrics mt[3];
  size_t sizes[2] = {50, 2000};
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < 2; k++) {
      tb_backend_counts c0 = counts(f.be), c1;
      TB_CHECK_OK(tb_fused_evaluate(fu, rows, sizes[k], mt));
      c1 = counts(f.be);
      CU_ASSERT_EQUAL(c1.host_syncs - c0.host_syncs, 2);
      if (pass == 1) CU_ASSERT_EQUAL(c1.allocs - c0.allocs, 0);
    }
  /* each member's metrics are its solo model's (same batches, same ops, one sum over the rows) */
  for (int k = 0; k < 3; k++) {
    tb_model *solo = NULL;
    TB_CHECK_OK(tb_model_create(f.L, f.space, xs[k], f.dd, &parts, seeds[k], &solo));
    TB_CHECK_OK(tb_model_train(solo, 1));
    tb_metrics ms;
    TB_CHECK_OK(tb_model_evaluate(solo, rows, 2000, &ms));
    CU_ASSERT_DOUBLE_EQUAL(mt[k].accuracy, ms.accuracy, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(mt[k].loss, ms.loss, 1e-6 * fabs(ms.loss));
    tb_model_free(solo);
    free(xs[k]);
  }
  free(rows);
  tb_fused_free(fu);
  teardown(&f);
}

/* ---- GBDT ----------------------------------------------------------------------------------------------------- */
/* Waits per round (after the first) and allocations over `rounds` rounds after the first, at this depth. */
static void gbdt_rounds(fixture *f, const char *depth, int rounds, double *syncs_per_round, uint64_t *allocs,
                        uint64_t *releases) {
  char dset[32];
  snprintf(dset, sizeof dset, "max_depth=%s", depth);
  const char *sets[] = {dset, "early_stopping_rounds=50", "max_bins=32", "learning_rate=0.1", NULL};
  tb_model *m = make(f, sets);
  TB_CHECK_OK(tb_model_train(m, 1));
  tb_backend_counts c0 = counts(f->be);
  TB_CHECK_OK(tb_model_train(m, rounds));
  tb_backend_counts c1 = counts(f->be);
  CU_ASSERT_EQUAL(tb_model_fidelity(m), rounds + 1);
  *syncs_per_round = (double)(c1.host_syncs - c0.host_syncs) / rounds;
  *allocs = c1.allocs - c0.allocs;
  *releases = c1.releases - c0.releases;
  tb_model_free(m);
}

static void test_gbdt_round(void) {
  fixture f;
  /* every node of a depth-6 tree has rows to split: 63 nodes against 7 for depth 3 */
  setup(&f, "gen:classification?n=6000&d=10&informative=8&classes=2&seed=4", "gbdt");
  double s3, s6;
  uint64_t a3, a6, r3, r6;
  const int rounds = 16;
  gbdt_rounds(&f, "3", rounds, &s3, &a3, &r3);
  gbdt_rounds(&f, "6", rounds, &s6, &a6, &r6);
  printf("\n  gbdt waits per round: depth 3: %.1f, depth 6: %.1f; allocations over %d rounds: %llu, %llu\n", s3, s6,
         rounds, (unsigned long long)a3, (unsigned long long)a6);
  /* bounded by depth: 3 more levels may cost a few waits each, never one per node (56 more nodes) */
  CU_ASSERT(s6 - s3 <= 3.0 * 3);
  CU_ASSERT(s6 <= 3.0 * 6 + 12);
  /* allocations only when one of the tree set's 4 device arrays doubles: at most 4 log2(rounds + 1) + 4 over the
   * rounds, against 3 per round when early stopping's evaluation allocated its buffers */
  const uint64_t cap = 4 * 5 + 4;
  CU_ASSERT(a3 <= cap && a6 <= cap && r3 <= cap && r6 <= cap);
  teardown(&f);
}

/* ---- the entropy gain's log ------------------------------------------------------------------------------------ */
static void test_split_log(void) {
  CU_ASSERT_EQUAL(tb_split_log(1.0), 0.0);
  CU_ASSERT(isnan(tb_split_log(0.0)) && isnan(tb_split_log(-1.0)) && isnan(tb_split_log(NAN)));
  CU_ASSERT(isnan(tb_split_log(INFINITY)));
  double worst = 0;
  uint64_t st = 12345;
  for (int i = 0; i < 200000; i++) {
    st = st * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(st >> 11) / 9007199254740992.0;          /* [0, 1) */
    double x = i < 100000 ? u + 1e-300 : exp((u - 0.5) * 1400.0); /* (0, 1) and e^-700 .. e^700 */
    if (i % 1000 == 0) x = 1.0 + (u - 0.5) * 1e-6;                 /* near 1, where log is smallest */
    double ref = log(x), got = tb_split_log(x);
    double ulp = fabs(ref) > 0 ? fabs(ref) * DBL_EPSILON : DBL_MIN;
    double e = fabs(got - ref) / ulp;
    if (e > worst) worst = e;
  }
  printf("\n  tb_split_log: worst error %.2f ulp (of |log x| * DBL_EPSILON) over 200000 values\n", worst);
  CU_ASSERT(worst <= 2.0);
}

static const tb_test_case cases[] = {
  {"counters", test_counters},
  {"mlp_step_waits_0", test_mlp_step},
  {"mlp_evaluate_waits_2", test_mlp_evaluate},
  {"fused_evaluate_waits_2", test_fused_evaluate},
  {"gbdt_round_bounded_by_depth", test_gbdt_round},
  {"split_log", test_split_log},
  {NULL, NULL},
};
TB_TEST_MAIN("sync_guard", cases)
