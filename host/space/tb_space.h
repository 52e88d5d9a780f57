/* tb_space.h: search spaces. A space is an ordered list of parameters: float (uniform or log), int (step, log),
 * categorical, fixed; any parameter may be conditional on one parent taking one of a set of values.
 *
 * A configuration is a double array x of tb_space_dim() values in the space's order: floats and ints hold their
 * value, categoricals the index of the choice (0..n-1), fixed parameters their value; an inactive conditional
 * parameter holds NAN. Samplers work in the unit cube: tb_space_from_unit() maps u in [0,1)^dim to a valid
 * configuration (log dimensions warped, ints rounded to their step, categoricals by floor(u*n)), and
 * tb_space_to_unit() maps back to the centre of the value's cell. Every sampled configuration is checked with
 * tb_space_check() before use. Tested by tests/test_space.c.
 */
#ifndef TB_SPACE_H
#define TB_SPACE_H
#include "tb_api.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TB_PARAM_FLOAT = 0, TB_PARAM_INT = 1, TB_PARAM_CATEGORICAL = 2, TB_PARAM_FIXED = 3 } tb_param_type;

#define TB_PARAM_NAME_MAX 64
#define TB_PARAM_MAX_CHOICES 64
#define TB_PARAM_MAX_COND_VALUES 16

/* The one description of a parameter: what a space holds (tb_space_param), what a learner declares (tb_model.h:
 * its table of tb_param), what a suite lists and what the results file records. */
typedef struct tb_param {
  char name[TB_PARAM_NAME_MAX]; /* unique within the space */
  tb_param_type type;
  double lo, hi;                /* float/int: inclusive bounds (float: hi exclusive for sampling purposes) */
  int log;                      /* float/int: 1 = sampled uniformly in log(value) */
  double step;                  /* int: step (>= 1, values lo, lo+step, ... <= hi); float: 0 */
  int n_choices;                /* categorical: number of choices */
  const char *choices[TB_PARAM_MAX_CHOICES]; /* categorical: choice labels (a space owns its copies) */
  double value;                 /* fixed: the value */
  double def;                   /* the default (a value; categorical: a choice index); NAN when the builder gave
                                   none (the plain adders); fixed: the value */
  int parent;                   /* index of the parent parameter; read only when n_cond > 0 (a zeroed description
                                   is unconditional); a space stores -1 for an unconditional parameter */
  int n_cond;                   /* active when the parent's value equals one of cond_values; 0: unconditional */
  double cond_values[TB_PARAM_MAX_COND_VALUES];
  const char *help;             /* one line for `tunebench list` and messages, or NULL (a space owns its copy) */
} tb_param;

typedef struct tb_space tb_space;

TB_API int tb_space_init(tb_space **out);
TB_API size_t tb_param_size(void); /* sizeof(tb_param): bindings that mirror the struct check it */
TB_API void tb_space_free(tb_space *sp); /* NULL is a no-op */

/* Adders return TB_ERR_INVALID with a detail on a malformed parameter: duplicate name, empty range (lo >= hi for
 * floats, lo > hi for ints), log with lo <= 0, step <= 0, fewer than 1 choice, too many choices. */
TB_API int tb_space_add_float(tb_space *sp, const char *name, double lo, double hi, int log);
TB_API int tb_space_add_int(tb_space *sp, const char *name, long lo, long hi, long step, int log);
TB_API int tb_space_add_categorical(tb_space *sp, const char *name, int n_choices, const char *const *choices);
TB_API int tb_space_add_fixed(tb_space *sp, const char *name, double value);
/* Adds the parameter p describes through the adder of its type (choices, default and help copied), without its
 * condition (a condition names a parent that may come later: tb_space_add_params, tb_space_add_condition). */
int tb_space_add_param(tb_space *sp, const tb_param *p);
/* Adds n described parameters in order, then their conditions: ps[i].parent (when ps[i].n_cond > 0) is an index
 * into ps. A learner's declaration, a suite's command space and a space read back from a results file are built
 * this way. */
int tb_space_add_params(tb_space *sp, int n, const tb_param *ps);
/* A new space with src's parameters and conditions, finalized (the caller frees it). */
int tb_space_copy(const tb_space *src, tb_space **out);

/* Makes `child` active only when `parent` takes one of values (category indices for a categorical parent).
 * Unknown names are errors; cycles are detected by tb_space_finalize. */
TB_API int tb_space_add_condition(tb_space *sp, const char *child, const char *parent, int n_values, const double *values);

/* Checks the whole space (conditions refer to known parents, no cycles, condition values valid for the parent)
 * and freezes it. Required before use by samplers. */
TB_API int tb_space_finalize(tb_space *sp);

TB_API int tb_space_finalized(const tb_space *sp); /* 1 after a successful tb_space_finalize */
/* An opaque tag naming what a finalized space was built from (tb_learner_space sets its learner), NULL by default
 * and in copies: a consumer that recognises its own tag need not verify the parameters again (a finalized space
 * cannot change). Setting it on an unfinalized space does nothing. */
void tb_space_set_origin(tb_space *sp, const void *origin);
const void *tb_space_origin(const tb_space *sp);
TB_API int tb_space_dim(const tb_space *sp);
TB_API const tb_param *tb_space_param(const tb_space *sp, int i);
TB_API int tb_space_find(const tb_space *sp, const char *name); /* index or -1 */

/* NULL when v is a value parameter p can take (float/int range, int grid, choice index, fixed value), else a short
 * message naming it ("lr = 20 outside [0.0001, 10]"). Activity is not p's to know: see tb_space_check. */
const char *tb_param_check(const tb_param *p, double v, char *buf, size_t len);

/* 1 when parameter i is active in x (its parent chain is active and takes an allowed value). */
TB_API int tb_space_active(const tb_space *sp, const double *x, int i);

/* NULL when x is a valid configuration, else a short message naming the parameter ("lr = -1 outside [1e-05, 1]",
 * "units = 3.5 is not an integer", "momentum is inactive but set"). */
TB_API const char *tb_space_check(const tb_space *sp, const double *x, char *buf, size_t len);

/* u (dim) in [0, 1) -> x (dim), inactive parameters set to NAN. */
TB_API void tb_space_from_unit(const tb_space *sp, const double *u, double *x);
/* x -> u in [0, 1): inactive parameters map to 0.5. */
TB_API void tb_space_to_unit(const tb_space *sp, const double *x, double *u);

/* Configurations of space `from` in the encoding of space `to`, which has the same parameters in the same order
 * (a suite's restricted copy of a learner's space -> the declared one): a categorical choice by its label (looked up
 * once, in create), then activity in `to` (switched off: NAN; switched on but unset: to's default). Both spaces are
 * borrowed and must outlive the map. Apply: TB_ERR_INVALID when a choice is missing from `to`. */
typedef struct tb_space_map tb_space_map;
int tb_space_map_create(const tb_space *from, const tb_space *to, tb_space_map **out);
int tb_space_map_apply(const tb_space_map *m, const double *x, double *y);
void tb_space_map_free(tb_space_map *m); /* NULL is a no-op */

/* Writes x as JSON ({"lr": 0.001, "act": "tanh"}) into buf; returns the length it needed. */
TB_API size_t tb_space_format_json(const tb_space *sp, const double *x, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
