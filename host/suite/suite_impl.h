/* suite_impl.h: internal declarations of the suite module (host/suite/): the YAML walking helpers over libfyaml
 * nodes, with file:line:column in every message, and the per-section parsers. Included only by the files of
 * host/suite/. Tested through tb_suite.h by tests/test_suite.c. */
#ifndef TB_SUITE_IMPL_H
#define TB_SUITE_IMPL_H
#include <libfyaml.h>

#include "tb_suite.h"

/* Parsing context: the file name for messages. */
typedef struct tb_sx {
  const char *path;
} tb_sx;

/* Position of a node: a scalar's own token, a mapping's first key, a sequence's first item ({0, 0}: unknown). */
tb_suite_loc tb_sx_loc(struct fy_node *n);
/* Records "path:line:col: key: message" (position of n, or of `at` when n has none) and returns rc. */
int tb_sx_fail(const tb_sx *c, struct fy_node *n, const char *key, int rc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Every key of mapping `map` must be in allowed (NULL-terminated): else an error at the key with a
 * "did you mean" suggestion and the allowed list. `key` names the mapping in messages. Non-mapping: error. */
int tb_sx_check_keys(const tb_sx *c, struct fy_node *map, const char *key, const char *const *allowed);
int tb_sx_need_map(const tb_sx *c, struct fy_node *n, const char *key);
int tb_sx_need_seq(const tb_sx *c, struct fy_node *n, const char *key);
/* The value of `name` in mapping `map`, or NULL. */
struct fy_node *tb_sx_get(struct fy_node *map, const char *name);
/* Scalars: a wrong type (a mapping, a sequence, a quoted string where a number is wanted) names what was expected. */
int tb_sx_str(const tb_sx *c, struct fy_node *n, const char *key, char **out);        /* strdup'ed */
int tb_sx_double(const tb_sx *c, struct fy_node *n, const char *key, double lo, double hi, double *out);
int tb_sx_long(const tb_sx *c, struct fy_node *n, const char *key, long lo, long hi, long *out);
int tb_sx_bool(const tb_sx *c, struct fy_node *n, const char *key, int *out);
/* A word from a list: error with "did you mean" and the allowed list when it is not one of names. */
int tb_sx_word(const tb_sx *c, struct fy_node *n, const char *key, const char *what, const char *const *names, char **out);
/* "1.5GiB", "512MB", "1e9", 1000 -> bytes; "90s", "10m", "2h", 30 -> seconds. */
int tb_sx_bytes(const tb_sx *c, struct fy_node *n, const char *key, size_t *out);
int tb_sx_seconds(const tb_sx *c, struct fy_node *n, const char *key, double *out);
/* Every mapping of the document has distinct keys, else "path:line:col: not valid YAML: duplicate key 'k' (first
 * at ...)" at the earliest repeat (O(n log n); libfyaml's own check is quadratic and is turned off). */
int tb_sx_check_duplicates(const tb_sx *c, struct fy_node *root);
/* Writes "a, b, c" into buf. */
void tb_sx_join(const char *const *names, char *buf, size_t len);

/* Section parsers (suite_space.c): a search-space mapping (learner overrides when L is not NULL) into descriptions
 * and their locations. */
int tb_sx_space(const tb_sx *c, struct fy_node *map, const char *key, const tb_learner *L, tb_param **params,
                tb_suite_loc **locs, int *n_params);
void tb_sx_params_free(tb_param *p, tb_suite_loc *locs, int n);

/* Section parsers (suite_sections.c). */
int tb_sx_datasets(const tb_sx *c, struct fy_node *seq, tb_suite *s);
int tb_sx_learners(const tb_sx *c, struct fy_node *seq, tb_suite *s);
int tb_sx_functions(const tb_sx *c, struct fy_node *seq, tb_suite *s);
int tb_sx_command(const tb_sx *c, struct fy_node *map, tb_suite *s);
int tb_sx_strategies(const tb_sx *c, struct fy_node *seq, tb_suite *s);
int tb_sx_objectives(const tb_sx *c, struct fy_node *n, tb_suite *s);
/* Warm starts (suite_warm.c): the `initial:` list; freeing it and warm_start. */
int tb_sx_initial(const tb_sx *c, struct fy_node *seq, tb_suite *s);
void tb_sx_initial_free(tb_suite *s);
/* Cross-section checks after everything is read (samplers on each experiment's space, fidelity needs). */
int tb_sx_validate(const tb_sx *c, struct fy_node *root, tb_suite *s);

#endif
