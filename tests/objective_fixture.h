/* objective_fixture.h: the learner objective on a split dataset, the set-up the executor tests repeat, written once
 * (test_study.c, test_study_fused.c, test_study_store.c, test_datafraction.c): a dataset split by tb_validate_split
 * into the view objectives get and the unread holdout, optionally the same split's test rows as a dataset (for the
 * recorded test_* metrics), and tb_objective_learner_create over it. Model-level tests use model_fixture.h instead.
 * It is test code, not a library API: failures are CUnit assertions (TB_CHECK_OK), and it is exercised by the tests
 * that include it. */
#ifndef TB_OBJECTIVE_FIXTURE_H
#define TB_OBJECTIVE_FIXTURE_H
#include <string.h>

#include "tb_model.h"
#include "tb_objective.h"
#include "tb_test.h"
#include "tb_validate.h"

typedef struct {
  tb_dataset *ds;    /* owned */
  tb_eval_data view; /* train and valid rows (a copy) */
  tb_holdout *hold;  /* the test rows, never read here */
  tb_dataset *test;  /* the split's test rows as a dataset, or NULL */
  tb_space *space;   /* the objective's search space (owned), or NULL: the learner's declared space */
  tb_objective *o;
} ofx;

/* Takes ownership of ds and of space (NULL: the declared space), splits ds with tb_validate_split(ss) and creates
 * learner L's objective on the view with latency_runs timed calls; with_test also hands it the test rows. */
static inline void ofx_open(ofx *f, const tb_learner *L, tb_dataset *ds, const tb_split_spec *ss, tb_space *space,
                            int latency_runs, int with_test) {
  memset(f, 0, sizeof *f);
  f->ds = ds, f->space = space;
  TB_CHECK_OK(tb_validate_split(f->ds, ss, &f->view, &f->hold));
  if (with_test) {
    tb_splits parts;
    TB_CHECK_OK(tb_data_split(f->ds, ss, &parts)); /* the same spec gives tb_validate_split's test rows */
    TB_CHECK_OK(tb_dataset_subset(f->ds, parts.test, parts.n_test, &f->test));
    tb_splits_free(&parts);
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL(L);
  tb_objective_learner_params p = {L, &f->view, latency_runs, f->space, f->test};
  TB_CHECK_OK(tb_objective_learner_create(&p, &f->o));
}

/* The dataset of a SPEC (asserted to load). */
static inline tb_dataset *ofx_load(const char *spec) {
  tb_dataset *ds = NULL;
  TB_CHECK_OK(tb_data_load(spec, &ds));
  return ds;
}

static inline void ofx_close(ofx *f) {
  tb_objective_free(f->o);
  tb_space_free(f->space);
  tb_holdout_free(f->hold);
  tb_eval_data_free(&f->view);
  tb_dataset_free(f->test);
  tb_dataset_free(f->ds);
}
#endif
