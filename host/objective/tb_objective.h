/* tb_objective.h: what a study optimises. Four kinds:
 *  - a learner on a dataset (trains tb_model units one by one, evaluates the validation rows after each, measures
 *    the finished model: validation metrics, training time, latency, size, memory);
 *  - a test function (tb_testfn.h), optionally with a multi-fidelity noise model;
 *  - a command (the configuration as JSON on stdin and TB_PARAM_<NAME> variables; `step=N value=V` lines are
 *    intermediate results, `value=V` the final one: see docs/executor.md);
 *  - a C callback with tb_objective_report() for intermediate values (see docs/c-api.md).
 * An objective produces named metrics; a study picks which of them it optimises (tb_study.h). It is not the
 * executor (host/study/ runs it) and never sees test rows. Tested by tests/test_objective.c and tests/test_study.c.
 */
#ifndef TB_OBJECTIVE_H
#define TB_OBJECTIVE_H
#include "tb_api.h"
#include <stddef.h>
#include <stdint.h>

#include "tb_space.h"
#include "tb_testfn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TB_OBJECTIVE_MAX_METRICS 16

typedef struct tb_objective tb_objective;
typedef enum { TB_OBJECTIVE_LEARNER = 0, TB_OBJECTIVE_TESTFN = 1, TB_OBJECTIVE_COMMAND = 2, TB_OBJECTIVE_CALLBACK = 3 }
    tb_objective_kind;

struct tb_learner;
struct tb_eval_data;

struct tb_dataset;
/* The learner objective: learner `learner` on `data` (train and valid rows only, tb_validate.h; borrowed: it must
 * outlive the objective). Metrics: valid_loss, valid_accuracy (classification), valid_rmse (regression),
 * train_time_s, latency_b1_p50_us, latency_b1_p99_us, latency_b256_p50_us, latency_b256_p99_us, n_params,
 * model_bytes, peak_memory_bytes, energy_j (NAN without an NVML energy counter). Fidelity = learner units (epochs,
 * rounds, trees), or, in a study with data_fraction (tb_study.h), a fraction of the training rows
 * (docs/executor.md "Data-fraction fidelity"). latency_runs: timed predict calls per batch size after 10 warm-up
 * calls (>= 100; 0 = do not measure: the latency metrics are NAN). A search space and held-out test rows are
 * optional. */
typedef struct tb_objective_learner_params {
  const struct tb_learner *learner;
  const struct tb_eval_data *data; /* train and valid rows (borrowed) */
  int latency_runs;                /* timed predict calls per batch size (>= 100), or 0 */
  const tb_space *space;           /* the search space (copied), or NULL: the learner's declared space. It lists the
                                      learner's hyperparameters in declared order (same names), each possibly
                                      restricted: a narrower range, some of the categorical choices (the space's own
                                      indices, mapped to the declared ones by label), or fixed (a categorical fixed
                                      at its declared choice index). Each configuration is mapped to the learner's
                                      declared encoding (declared conditions switch parameters off) before
                                      tb_model_create; the store records it in this space. */
  const struct tb_dataset *test;   /* or NULL. Test rows only (borrowed): adds the metrics test_accuracy, test_loss
                                      (classification: log-loss) or test_rmse (regression), measured on the finished
                                      model of every complete trial. A study must never tune on them (tb_study's
                                      n_recorded); they are recorded as B&B 2012 score every trial on test data. */
} tb_objective_learner_params;
int tb_objective_learner_create(const tb_objective_learner_params *p, tb_objective **out);

/* Test function f (instance `instance` for the seeded hit problems). Metrics: "value" (1 objective) or "f1", "f2"
 * (zdt1/zdt2). noise = 0: the fidelity is ignored; noise > 0: the value reported at fidelity r of R is
 * f(x) + noise * (R / r - 1) * z, z ~ N(0, 1) from the trial seed and r (exact at the full budget). */
TB_API int tb_objective_testfn(const tb_testfn *f, uint64_t instance, double noise, tb_objective **out);

typedef struct tb_objective_command_params {
  const char *const *argv;      /* program and arguments, NULL-terminated (found on PATH as execvp does) */
  double timeout_s;             /* wall-clock limit of one job (0: none); past it the trial fails */
  double kill_grace_s;          /* between SIGTERM and SIGKILL when stopping the program (0: 1 s) */
  int n_metrics;                /* 0: one metric "value" */
  const char *const *metric_names; /* n_metrics names; the program prints NAME=V, or value0=V, value1=V ... */
} tb_objective_command_params;

/* A command over space sp (copied). Each job runs the program in its own process group with a parent-death signal
 * (SIGKILL when the starting thread dies); a stop or timeout sends the group SIGTERM, then SIGKILL after the grace;
 * once the program has exited, output is read for at most min(grace, 0.2 s) more and the group is killed, so a
 * process left holding stdout never holds the trial (objective_cmd.c). */
TB_API int tb_objective_command(const tb_space *sp, const tb_objective_command_params *p, tb_objective **out);

/* ---- C callback ------------------------------------------------------------------------------------------------ */
typedef struct tb_objective_call tb_objective_call; /* one job, valid during the callback */

/* Evaluates call's configuration: sets the metrics with tb_objective_call_set() and returns TB_OK; or returns
 * TB_ERR_RANGE (diverged), TB_ERR_OOM (out of memory) or any other TB_ERR_* (failed; the tb_error_set detail is the
 * reason). Called from worker threads, possibly several at once: ctx must be safe for that. */
typedef int (*tb_objective_fn)(void *ctx, tb_objective_call *call);

TB_API int tb_objective_callback(const tb_space *sp, int n_metrics, const char *const *metric_names, tb_objective_fn fn,
                          void *ctx, tb_objective **out);

TB_API const double *tb_objective_call_x(const tb_objective_call *c);        /* configuration, tb_space_dim values */
TB_API const tb_space *tb_objective_call_space(const tb_objective_call *c);
TB_API int64_t tb_objective_call_trial(const tb_objective_call *c);
TB_API uint64_t tb_objective_call_seed(const tb_objective_call *c);          /* use it for all randomness */
TB_API double tb_objective_call_fidelity_from(const tb_objective_call *c);   /* > 0 when a paused trial continues */
TB_API double tb_objective_call_fidelity_to(const tb_objective_call *c);
/* Intermediate value at `fidelity` (increasing); returns 1 when the scheduler (or a study stop) asks the callback
 * to return now, 0 to go on. */
TB_API int tb_objective_report(tb_objective_call *c, double fidelity, double value);
/* Sets metric i (0 <= i < n_metrics) of the result. */
TB_API int tb_objective_call_set(tb_objective_call *c, int i, double value);

/* ---- common ---------------------------------------------------------------------------------------------------- */
TB_API void tb_objective_free(tb_objective *o); /* NULL is a no-op */
TB_API tb_objective_kind tb_objective_get_kind(const tb_objective *o);
TB_API const tb_space *tb_objective_space(const tb_objective *o); /* owned by the objective */
TB_API int tb_objective_n_metrics(const tb_objective *o);
TB_API const char *tb_objective_metric_name(const tb_objective *o, int i);
TB_API int tb_objective_metric_find(const tb_objective *o, const char *name); /* index or -1 */
TB_API int tb_objective_metric_maximize(const tb_objective *o, int i); /* natural direction: 1 for accuracy */
TB_API int tb_objective_metric_intermediate(const tb_objective *o, int i); /* 1: reported after each unit of fidelity */

#ifdef __cplusplus
}
#endif
#endif
