/* test_study_matrix.c: every scheduler runs with every single-objective sampler through the executor (issue 6:
 * "every scheduler runs with every sampler it is meant for"), on Hartmann3 with the multi-fidelity noise model
 * (values at low fidelity are noisy, exact at the full budget) and 2 workers: each study ends without error, within
 * its trial budget, with at least one complete trial whose value is a real Hartmann3 value (>= the optimum), and
 * the scheduler's decisions show (a rung-based scheduler trains some trials below the full budget). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_study.h"
#include "tb_test.h"
#include "tb_testfn.h"

static void test_matrix(void) {
  const char *samplers[] = {"grid", "random", "sobol", "halton", "lhs", "tpe", "gp", "cmaes", "evolution", NULL};
  const char *schedulers[] = {"none", "early_stopping", "median", "sh", "hyperband", "asha", "bohb", "pbt", NULL};
  const tb_testfn *f = tb_testfn_find("hartmann3");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  int failures = 0;
  for (int a = 0; samplers[a]; a++)
    for (int b = 0; schedulers[b]; b++) {
      tb_objective *o = NULL;
      TB_CHECK_OK(tb_objective_testfn(f, 0, 0.05, &o));
      tb_study_params p = tb_study_params_default();
      p.sampler = samplers[a];
      p.scheduler = schedulers[b];
      p.n_trials = 16;
      p.min_fidelity = 1;
      p.max_fidelity = 9;
      p.n_workers = 2;
      p.seed = 7;
      static const char *gopt[] = {"n"}, *gval[] = {"3"};
      if (!strcmp(samplers[a], "grid")) p.n_sampler_options = 1, p.sampler_option_names = gopt, p.sampler_option_values = gval;
      static const char *popt[] = {"population"}, *pval[] = {"4"};
      if (!strcmp(schedulers[b], "pbt")) p.n_scheduler_options = 1, p.scheduler_option_names = popt, p.scheduler_option_values = pval;
      tb_study *s = NULL;
      int rc = tb_study_create(o, &p, &s);
      if (rc == TB_OK) rc = tb_study_run(s, NULL);
      int n_complete = 0, below_full = 0, bad_value = 0;
      size_t n = rc == TB_OK ? tb_study_n_trials(s) : 0;
      for (size_t i = 0; i < n; i++) {
        const tb_study_trial *t = tb_study_get_trial(s, i);
        if (!t) continue;
        if (t->status == 0) {
          n_complete++;
          if (!(t->values[0] >= f->optimum - 1e-6) || !isfinite(t->values[0])) bad_value++;
        }
        if (t->fidelity < 9 - 1e-9) below_full++;
      }
      int ok = rc == TB_OK && n_complete >= 1 && bad_value == 0 && n >= 1;
      if (getenv("TB_VERBOSE"))
        printf("\n  %s + %s: %zu trials, %d complete, %d below full", samplers[a], schedulers[b], n, n_complete, below_full);
      /* the full-budget schedulers never stop early on their own without a reason; rung-based ones must */
      if (!strcmp(schedulers[b], "sh") || !strcmp(schedulers[b], "hyperband") || !strcmp(schedulers[b], "asha") ||
          !strcmp(schedulers[b], "bohb"))
        ok = ok && below_full > 0;
      if (!ok) {
        failures++;
        printf("\n  %s + %s: rc %d (%s), %zu trials, %d complete, %d below the full budget, %d bad values", samplers[a],
               schedulers[b], rc, rc ? tb_error_detail() : "", n, n_complete, below_full, bad_value);
      }
      tb_study_free(s);
      tb_objective_free(o);
    }
  CU_ASSERT_EQUAL(failures, 0);
}

static const tb_test_case cases[] = {{"matrix", test_matrix}, {NULL, NULL}};
TB_TEST_MAIN("study_matrix", cases)
