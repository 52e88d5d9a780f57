/* trial.c: the names of trial statuses (tb_trial.h), as the results file and the command line write them.
 * Tested by tests/test_store.c (status names in the trials table). */
#include "tb_trial.h"

const char *tb_trial_status_name(tb_trial_status s) {
  static const char *const n[TB_TRIAL_N_STATUS] = {"complete", "pruned", "failed", "diverged", "oom", "interrupted"};
  return (unsigned)s < TB_TRIAL_N_STATUS ? n[s] : "?";
}
