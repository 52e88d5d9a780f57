/* test_study_fused.c: fused trials inside studies (tb_study_params.fuse, docs/executor.md "Fused trials").
 *  - random: an mlp study (shape fixed, lr/dropout/weight decay/init sampled; lr up to 10 on friedman1 regression, so some trials diverge)
 *    with fuse = 4 and with fuse = 0 (1 and 2 workers) gives the same trials: status, values, fidelity, seed,
 *    configuration and stored-in-memory curve ends, compared exactly (members are bit-identical to solo runs on the
 *    CPU); the fused run really trained bundles (tb_study_trial.fused), and a diverged member's bundle-mates
 *    completed;
 *  - hyperband: fuse = 4 vs fuse = 0: rung-0 trials train fused, promotions resume them alone from the extracted
 *    state, and every trial's result is the same;
 *  - shapes: a space where units vary (16 or 20): incompatible trials are not fused together (a mixed bundle
 *    would be refused by tb_fused_create), results still equal the solo run;
 *  - bad parameters: fuse < 0 is refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objective_fixture.h"
#include "tb_error.h"
#include "tb_model.h"
#include "tb_study.h"


/* The mlp's declared space with the shape fixed (layers 1, units 16 unless vary_units, relu, batch 32, adam,
 * constant schedule, 3 epochs; optimizer momentum so that large lr diverge); the other parameters as declared. */
static tb_space *mlp_space(int vary_units) {
  tb_space *decl = NULL, *sp = NULL;
  TB_CHECK_OK(tb_learner_space(tb_learner_find("mlp"), &decl));
  TB_CHECK_OK(tb_space_init(&sp));
  static const char *names[] = {"layers", "units", "act", "batch_size", "optimizer", "lr_schedule", "epochs",
                                "min_updates"};
  static const double vals[] = {1, 16, 0, 32, 1, 0, 3, 20};
  int fixed_at[64];
  for (int i = 0; i < tb_space_dim(decl); i++) {
    const tb_param *p = tb_space_param(decl, i);
    int f = -1;
    for (int k = 0; k < 8; k++)
      if (!strcmp(p->name, names[k])) f = k;
    fixed_at[i] = f == 1 && vary_units ? -1 : f;
    /* a child of a fixed parent: unconditional when its condition holds, else fixed at its default (inactive) */
    int never = 0;
    if (p->parent >= 0 && fixed_at[p->parent] >= 0) {
      never = 1;
      for (int c = 0; c < p->n_cond; c++) never &= p->cond_values[c] != vals[fixed_at[p->parent]];
    }
    if (f == 1 && vary_units) TB_CHECK_OK(tb_space_add_int(sp, p->name, 16, 20, 4, 0));
    else if (f >= 0) TB_CHECK_OK(tb_space_add_fixed(sp, p->name, vals[f]));
    else if (never) TB_CHECK_OK(tb_space_add_fixed(sp, p->name, tb_learner_hparam(tb_learner_find("mlp"), i)->def));
    else TB_CHECK_OK(tb_space_add_param(sp, p)); /* as declared (its condition below) */
  }
  for (int i = 0; i < tb_space_dim(decl); i++) {
    const tb_param *p = tb_space_param(decl, i);
    if (p->parent >= 0 && fixed_at[p->parent] < 0)
      TB_CHECK_OK(tb_space_add_condition(sp, p->name, tb_space_param(decl, p->parent)->name, p->n_cond, p->cond_values));
  }
  TB_CHECK_OK(tb_space_finalize(sp));
  tb_space_free(decl);
  return sp;
}

/* The mlp objective (objective_fixture.h) on friedman1 with the default split, over mlp_space(vary_units). */
static void fix_init(ofx *f, int vary_units) {
  tb_split_spec sp = tb_split_spec_default();
  ofx_open(f, tb_learner_find("mlp"), ofx_load("gen:friedman1?n=300&d=6&seed=2"), &sp, mlp_space(vary_units), 0, 0);
}

static tb_study *run(ofx *f, const char *scheduler, int fuse, int workers, long n_trials, double R) {
  tb_study_params p = tb_study_params_default();
  p.sampler = "random";
  p.scheduler = scheduler;
  p.n_trials = n_trials;
  p.min_fidelity = 1, p.max_fidelity = R;
  p.seed = 7;
  p.n_workers = workers;
  p.threads_per_trial = 1;
  p.fuse = fuse;
  p.objectives[0] = "valid_loss";
  static const char *hn[] = {"eta"}, *hv[] = {"3"};
  if (!strcmp(scheduler, "hyperband")) p.n_scheduler_options = 1, p.scheduler_option_names = hn, p.scheduler_option_values = hv;
  tb_study *s = NULL;
  TB_CHECK_OK(tb_study_create(f->o, &p, &s));
  TB_CHECK_OK(tb_study_run(s, NULL));
  return s;
}

/* Same trials, exactly; returns the number of trials that trained in a bundle of `a`. */
static int same_trials(const tb_study *a, const tb_study *b, int dim) {
  CU_ASSERT_EQUAL_FATAL(tb_study_n_trials(a), tb_study_n_trials(b));
  int bad = 0, fused = 0;
  for (size_t i = 0; i < tb_study_n_trials(a); i++) {
    const tb_study_trial *x = tb_study_get_trial(a, i), *y = tb_study_get_trial(b, i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    int same = x->status == y->status && x->seed == y->seed && x->fidelity == y->fidelity &&
               x->n_params == y->n_params && (x->parent_id >= 0) == (y->parent_id >= 0);
    same &= (isnan(x->values[0]) && isnan(y->values[0])) || x->values[0] == y->values[0];
    for (int k = 0; k < dim; k++) same &= (isnan(x->x[k]) && isnan(y->x[k])) || x->x[k] == y->x[k];
    fused += x->fused >= 2;
    if (!same && bad++ < 3)
      printf("\ntrial %zu differs: status %d/%d value %.17g/%.17g fidelity %g/%g parent %lld/%lld\n", i, x->status,
             y->status, x->values[0], y->values[0], x->fidelity, y->fidelity, (long long)x->parent_id, (long long)y->parent_id);
  }
  CU_ASSERT_EQUAL(bad, 0);
  return fused;
}

static void test_random(void) {
  ofx f;
  fix_init(&f, 0);
  int dim = tb_space_dim(f.space);
  tb_study *solo = run(&f, "none", 0, 1, 12, 3), *fused = run(&f, "none", 4, 1, 12, 3),
           *fused2 = run(&f, "none", 4, 2, 12, 3);
  CU_ASSERT_EQUAL(same_trials(fused, solo, dim), 12); /* 12 NEW jobs of one shape: three bundles of 4 */
  CU_ASSERT(same_trials(fused2, solo, dim) >= 8);    /* two workers: bundles may be cut short, never mixed up */
  int diverged = 0, complete = 0;
  for (size_t i = 0; i < 12; i++) {
    const tb_study_trial *t = tb_study_get_trial(fused, i);
    diverged += t->status == 3;
    complete += t->status == 0;
    if (t->status == 0) CU_ASSERT(t->fidelity == 3 && isfinite(t->values[0]) && t->n_params > 0 && t->train_time_s > 0);
  }
  printf("(%d diverged, %d complete) ", diverged, complete);
  CU_ASSERT(diverged >= 1); /* lr up to 10: some members diverge and their bundles go on */
  CU_ASSERT(complete >= 4);
  tb_study_free(solo);
  tb_study_free(fused);
  tb_study_free(fused2);
  ofx_close(&f);
}

static void test_hyperband(void) {
  ofx f;
  fix_init(&f, 0);
  int dim = tb_space_dim(f.space);
  tb_study *solo = run(&f, "hyperband", 0, 1, 30, 9), *fused = run(&f, "hyperband", 4, 1, 30, 9);
  CU_ASSERT(same_trials(fused, solo, dim) >= 4);
  int promoted = 0;
  for (size_t i = 0; i < tb_study_n_trials(fused); i++) {
    const tb_study_trial *t = tb_study_get_trial(fused, i);
    promoted += t->parent_id >= 0 && t->fused == 0; /* a promotion resumed alone from the extracted state */
  }
  CU_ASSERT(promoted >= 1);
  tb_study_free(solo);
  tb_study_free(fused);
  ofx_close(&f);
}

static void test_shapes(void) {
  ofx f;
  fix_init(&f, 1);
  int dim = tb_space_dim(f.space);
  tb_study *solo = run(&f, "none", 0, 1, 10, 2), *fused = run(&f, "none", 3, 1, 10, 2);
  CU_ASSERT(same_trials(fused, solo, dim) >= 2); /* widths 16 and 20: runs of one width share bundles */
  tb_study_free(solo);
  tb_study_free(fused);
  ofx_close(&f);
}

static void test_bad(void) {
  tb_study_params p = tb_study_params_default();
  p.n_trials = 1;
  p.fuse = -1;
  CU_ASSERT_PTR_NOT_NULL(tb_study_check_params(&p));
  p.fuse = 5000;
  CU_ASSERT_PTR_NOT_NULL(tb_study_check_params(&p));
  p.fuse = 8;
  CU_ASSERT_PTR_NULL(tb_study_check_params(&p));
}

static const tb_test_case cases[] = {{"random", test_random},
                                     {"hyperband", test_hyperband},
                                     {"shapes", test_shapes},
                                     {"bad", test_bad},
                                     {NULL, NULL}};
TB_TEST_MAIN("study_fused", cases)
