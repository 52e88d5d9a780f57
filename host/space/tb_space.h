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

typedef struct tb_param {
  char name[TB_PARAM_NAME_MAX]; /* unique within the space */
  tb_param_type type;
  double lo, hi;                /* float/int: inclusive bounds (float: hi exclusive for sampling purposes) */
  int log;                      /* float/int: 1 = sampled uniformly in log(value) */
  double step;                  /* int: step (>= 1, values lo, lo+step, ... <= hi); float: 0 */
  int n_choices;                /* categorical: number of choices */
  char *choices[TB_PARAM_MAX_CHOICES]; /* categorical: choice labels (owned by the space) */
  double value;                 /* fixed: the value */
  int parent;                   /* index of the parent parameter, -1 when unconditional */
  int n_cond;                   /* active when the parent's value equals one of cond_values */
  double cond_values[TB_PARAM_MAX_COND_VALUES];
} tb_param;

typedef struct tb_space tb_space;

TB_API int tb_space_init(tb_space **out);
TB_API void tb_space_free(tb_space *sp); /* NULL is a no-op */

/* Adders return TB_ERR_INVALID with a detail on a malformed parameter: duplicate name, empty range (lo >= hi for
 * floats, lo > hi for ints), log with lo <= 0, step <= 0, fewer than 1 choice, too many choices. */
TB_API int tb_space_add_float(tb_space *sp, const char *name, double lo, double hi, int log);
TB_API int tb_space_add_int(tb_space *sp, const char *name, long lo, long hi, long step, int log);
TB_API int tb_space_add_categorical(tb_space *sp, const char *name, int n_choices, const char *const *choices);
TB_API int tb_space_add_fixed(tb_space *sp, const char *name, double value);

/* Makes `child` active only when `parent` takes one of values (category indices for a categorical parent).
 * Unknown names are errors; cycles are detected by tb_space_finalize. */
TB_API int tb_space_add_condition(tb_space *sp, const char *child, const char *parent, int n_values, const double *values);

/* Checks the whole space (conditions refer to known parents, no cycles, condition values valid for the parent)
 * and freezes it. Required before use by samplers. */
TB_API int tb_space_finalize(tb_space *sp);

TB_API int tb_space_finalized(const tb_space *sp); /* 1 after a successful tb_space_finalize */
TB_API int tb_space_dim(const tb_space *sp);
TB_API const tb_param *tb_space_param(const tb_space *sp, int i);
TB_API int tb_space_find(const tb_space *sp, const char *name); /* index or -1 */

/* 1 when parameter i is active in x (its parent chain is active and takes an allowed value). */
TB_API int tb_space_active(const tb_space *sp, const double *x, int i);

/* NULL when x is a valid configuration, else a short message naming the parameter ("lr = -1 outside [1e-05, 1]",
 * "units = 3.5 is not an integer", "momentum is inactive but set"). */
TB_API const char *tb_space_check(const tb_space *sp, const double *x, char *buf, size_t len);

/* u (dim) in [0, 1) -> x (dim), inactive parameters set to NAN. */
TB_API void tb_space_from_unit(const tb_space *sp, const double *u, double *x);
/* x -> u in [0, 1): inactive parameters map to 0.5. */
TB_API void tb_space_to_unit(const tb_space *sp, const double *x, double *u);

/* Writes x as JSON ({"lr": 0.001, "act": "tanh"}) into buf; returns the length it needed. */
TB_API size_t tb_space_format_json(const tb_space *sp, const double *x, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
