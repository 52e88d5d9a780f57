/* objective_impl.h: what the objectives (host/objective/) share: the objective's table and struct, and helpers
 * for writing a job's outcome. Private to host/objective/; executors use tb_objective_run.h.
 * Tested through tests/test_objective.c and tests/test_study.c. */
#ifndef TB_OBJECTIVE_IMPL_H
#define TB_OBJECTIVE_IMPL_H
#include <stddef.h>
#include <stdint.h>

#include "tb_backend.h"
#include "tb_objective_run.h"

typedef struct tb_objective_vt {
  int (*run)(tb_objective *o, tb_trial_run *run);
  void (*free)(tb_objective *o);
} tb_objective_vt;

#define TB_OBJ_NAME_MAX 64
struct tb_objective {
  tb_objective_kind kind;
  const tb_objective_vt *vt;
  tb_space *space;          /* owned */
  int n_metrics;
  char names[TB_OBJECTIVE_MAX_METRICS][TB_OBJ_NAME_MAX];
  int maximize[TB_OBJECTIVE_MAX_METRICS]; /* natural direction of each metric */
  int intermediate[TB_OBJECTIVE_MAX_METRICS]; /* 1: reported after each unit */
  void *impl;               /* kind-specific */
};

/* Fills the outputs of run with "unknown" (NAN, -1) before an objective runs. */
void tb_objective_run_reset(tb_trial_run *run);
/* Sets run->status and a formatted run->reason; returns TB_OK (the job ran; the trial failed). */
int tb_objective_run_fail(tb_trial_run *run, tb_trial_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A new objective with metrics names[0..n) (NULL names: "value") and the space sp (taken over when own is 1, else
 * copied; freed on failure when own). */
int tb_objective_alloc_common(tb_objective_kind kind, const tb_objective_vt *vt, tb_space *sp, int own, int n,
                              const char *const *names, tb_objective **out);
/* Command objective constructor's table (objective_cmd.c). */
extern const tb_objective_vt tb_objective_cmd_vt;
double tb_objective_now(void); /* monotonic seconds */

#endif
