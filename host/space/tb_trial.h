/* tb_trial.h: how a trial ended, shared by the objectives, samplers, schedulers, executor and results store (one
 * enum: a job's outcome in tb_objective_run.h is a tb_trial_status too).
 * Samplers and schedulers take only COMPLETE, PRUNED and FAILED (diverged and oom trials are told to them as
 * FAILED); the store records every status. */
#ifndef TB_TRIAL_H
#define TB_TRIAL_H
#include "tb_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TB_TRIAL_COMPLETE = 0,    /* values are valid */
  TB_TRIAL_PRUNED = 1,      /* stopped early by a scheduler; values hold the last intermediate result (may be NAN) */
  TB_TRIAL_FAILED = 2,      /* crashed, timed out or errored: no usable values (the reason is kept) */
  TB_TRIAL_DIVERGED = 3,    /* NaN or infinite loss */
  TB_TRIAL_OOM = 4,         /* out of memory (device or budget) */
  TB_TRIAL_INTERRUPTED = 5, /* it was running when the study stopped (written by the store on resume) */
  TB_TRIAL_N_STATUS = 6
} tb_trial_status;

/* What samplers accept: COMPLETE, PRUNED or FAILED. */
typedef tb_trial_status tb_trial_state;

/* "complete", "pruned", "failed", "diverged", "oom", "interrupted"; "?" when out of range (host/space/trial.c). */
TB_API const char *tb_trial_status_name(tb_trial_status s);

#ifdef __cplusplus
}
#endif
#endif
