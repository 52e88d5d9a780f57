/* tb_sampler.h: samplers with one ask/tell interface: grid, random, sobol, halton, lhs, tpe, gp, cmaes,
 * evolution, nsga2.
 *
 * A sampler proposes configurations of a finalized tb_space (see tb_space.h for the encoding) and learns from the
 * results told back. ask(n) gives up to n suggestions at once for parallel trials; each gets a trial id. A trial
 * stays pending until told; samplers that model results account for pending trials (constant liar, kriging
 * believer). All objectives are minimised inside the sampler: a maximised objective is negated by the caller-facing
 * tb_sampler_tell(). Every sampler is seeded: the same seed and the same sequence of asks and tells give the same
 * suggestions. Options are name=value pairs ("gamma" -> "0.25") validated at creation; defaults follow the papers
 * and are listed in docs/samplers.md. Tested by tests/test_sampler_*.c.
 */
#ifndef TB_SAMPLER_H
#define TB_SAMPLER_H
#include "tb_api.h"
#include <stddef.h>
#include <stdint.h>

#include "tb_space.h"
#include "tb_trial.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tb_sampler tb_sampler;

/* tb_trial_state (tb_trial.h): samplers take COMPLETE, PRUNED or FAILED. */

#define TB_MAX_OBJECTIVES 8

typedef struct tb_sampler_config {
  uint64_t seed;
  int n_objectives;                   /* 1 for single-objective samplers; nsga2 and random accept more */
  int maximize[TB_MAX_OBJECTIVES];    /* per objective: 1 = maximise, 0 = minimise */
  int n_options;
  const char *const *option_names;    /* e.g. {"gamma", "n_startup"} */
  const char *const *option_values;   /* e.g. {"0.25", "10"} */
} tb_sampler_config;

/* Creates sampler `name` for sp (finalized; borrowed: it must outlive the sampler). Unknown name, unknown option,
 * a malformed or out-of-range option value, or a space the sampler cannot handle (cmaes with categoricals) is
 * TB_ERR_INVALID / TB_ERR_NOT_FOUND with a detail listing what is allowed. */
TB_API int tb_sampler_create(const char *name, const tb_space *sp, const tb_sampler_config *cfg, tb_sampler **out);
TB_API void tb_sampler_free(tb_sampler *s); /* NULL is a no-op */

TB_API const char *tb_sampler_name(const tb_sampler *s);
TB_API const tb_space *tb_sampler_space(const tb_sampler *s); /* the space it samples (borrowed) */
TB_API int tb_sampler_n_objectives(const tb_sampler *s);

/* Up to n suggestions: xs (n, dim) row-major and their trial ids; *n_out is how many were given. A grid that is
 * exhausted gives fewer (0 at the end) and returns TB_ERR_EXHAUSTED when it gave none. */
TB_API int tb_sampler_ask(tb_sampler *s, int n, double *xs, int64_t *ids, int *n_out);

/* Tells the result of trial `id` (from ask): values has n_objectives entries in the user's direction. */
TB_API int tb_sampler_tell(tb_sampler *s, int64_t id, const double *values, tb_trial_state state);

/* Adds a finished trial that this sampler did not suggest (warm start, resume): x, values, state as for tell. */
TB_API int tb_sampler_add_observation(tb_sampler *s, const double *x, const double *values, tb_trial_state state);

/* Queues x (a valid configuration) to be suggested before the method's own suggestions (warm start: configurations
 * evaluated first, in the order enqueued). The method then learns from their results as from its own. */
TB_API int tb_sampler_enqueue(tb_sampler *s, const double *x);

/* Names of all samplers, NULL-terminated (for `tunebench list` and error messages). */
TB_API const char *const *tb_sampler_names(void);
/* The options sampler `name` takes, as its registry states them ("gamma, n_startup, ..." with allowed words in
 * parentheses; "" for none), or NULL if unknown. */
const char *tb_sampler_options(const char *name);

#ifdef __cplusplus
}
#endif
#endif
