/* suite_impl.h: internal declarations of the suite module (host/suite*.c): the YAML walking helpers over libfyaml
 * nodes, with file:line:column in every message, and the per-section parsers. Included only by host/suite*.c.
 * Tested through tb_suite.h by tests/test_suite.c. */
#ifndef TB_SUITE_IMPL_H
#define TB_SUITE_IMPL_H
#include <libfyaml.h>

#include "tb_suite.h"

/* Parsing context: the file name for messages. */
typedef struct sx {
  const char *path;
} sx;

/* Position of a node: a scalar's own token, a mapping's first key, a sequence's first item ({0, 0}: unknown). */
tb_suite_loc sx_loc(struct fy_node *n);
/* Records "path:line:col: key: message" (position of n, or of `at` when n has none) and returns rc. */
int sx_fail(const sx *c, struct fy_node *n, const char *key, int rc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Every key of mapping `map` must be in allowed (NULL-terminated): else an error at the key with a
 * "did you mean" suggestion and the allowed list. `key` names the mapping in messages. Non-mapping: error. */
int sx_check_keys(const sx *c, struct fy_node *map, const char *key, const char *const *allowed);
int sx_need_map(const sx *c, struct fy_node *n, const char *key);
int sx_need_seq(const sx *c, struct fy_node *n, const char *key);
/* The value of `name` in mapping `map`, or NULL. */
struct fy_node *sx_get(struct fy_node *map, const char *name);
/* Scalars: a wrong type (a mapping, a sequence, a quoted string where a number is wanted) names what was expected. */
int sx_str(const sx *c, struct fy_node *n, const char *key, char **out);        /* strdup'ed */
int sx_double(const sx *c, struct fy_node *n, const char *key, double lo, double hi, double *out);
int sx_long(const sx *c, struct fy_node *n, const char *key, long lo, long hi, long *out);
int sx_bool(const sx *c, struct fy_node *n, const char *key, int *out);
/* A word from a list: error with "did you mean" and the allowed list when it is not one of names. */
int sx_word(const sx *c, struct fy_node *n, const char *key, const char *what, const char *const *names, char **out);
/* "1.5GiB", "512MB", "1e9", 1000 -> bytes; "90s", "10m", "2h", 30 -> seconds. */
int sx_bytes(const sx *c, struct fy_node *n, const char *key, size_t *out);
int sx_seconds(const sx *c, struct fy_node *n, const char *key, double *out);
/* Writes "a, b, c" into buf. */
void sx_join(const char *const *names, char *buf, size_t len);

/* Section parsers (suite_space.c): a search-space mapping (learner overrides when L is not NULL). */
int sx_space(const sx *c, struct fy_node *map, const char *key, const tb_learner *L, tb_suite_param **params,
             int *n_params);
void sx_params_free(tb_suite_param *p, int n);

/* Section parsers (suite_sections.c). */
int sx_datasets(const sx *c, struct fy_node *seq, tb_suite *s);
int sx_learners(const sx *c, struct fy_node *seq, tb_suite *s);
int sx_functions(const sx *c, struct fy_node *seq, tb_suite *s);
int sx_command(const sx *c, struct fy_node *map, tb_suite *s);
int sx_strategies(const sx *c, struct fy_node *seq, tb_suite *s);
int sx_objectives(const sx *c, struct fy_node *n, tb_suite *s);
/* Cross-section checks after everything is read (samplers on each experiment's space, fidelity needs). */
int sx_validate(const sx *c, struct fy_node *root, tb_suite *s);

#endif
