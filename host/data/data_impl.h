/* data_impl.h: internal to the dataset layer (host/data/data*.c, host/data/load_*.c, host/data/gen.c). One function per
 * source; tb_data_load() in data.c parses the SPEC and dispatches. Each source reads its keys through the tb_spec
 * getters and calls tb_spec_check_unused() so an unknown key is an error. */
#ifndef TB_DATA_IMPL_H
#define TB_DATA_IMPL_H
#include <gsl/gsl_rng.h>

#include "tb_data.h"
#include "tb_error.h"

int tb_load_csv(tb_spec *spec, tb_dataset **out);
int tb_load_libsvm(tb_spec *spec, tb_dataset **out);
int tb_load_idx(tb_spec *spec, tb_dataset **out);
int tb_load_hdf5(tb_spec *spec, tb_dataset **out);
int tb_load_fashion_mnist(tb_spec *spec, tb_dataset **out);
int tb_gen_classification(tb_spec *spec, tb_dataset **out);
int tb_gen_friedman1(tb_spec *spec, tb_dataset **out);
int tb_gen_rectangles(tb_spec *spec, tb_dataset **out);
int tb_gen_convex(tb_spec *spec, tb_dataset **out);

/* gen.c: reads the SPEC key `seed` (0..TB_GEN_SEED_MAX) and returns a GSL MT19937 generator seeded with seed + 1
 * (GSL treats 0 as its default seed), for the generators. */
#define TB_GEN_SEED_MAX 4294967294L
int tb_gen_rng(tb_spec *spec, gsl_rng **out);

/* prepare.c: the missing-value policy. tb_spec_get_missing reads the SPEC key missing= (default error; tb_data_load
 * reads it for every source, file loaders read it again for their own checks). tb_data_check_cell refuses one
 * parsed feature cell that is infinite, or NaN under TB_MISSING_ERROR, naming file:line:col (TB_ERR_FORMAT).
 * tb_data_check_cells does the same over a whole dataset, naming `where`, row and column (1-based). */
int tb_spec_get_missing(tb_spec *s, tb_missing *out);
int tb_data_check_cell(float v, tb_missing pol, const char *file, long line, long col);
int tb_data_check_cells(const tb_dataset *ds, const char *where);

/* strdup that records TB_ERR_NOMEM; NULL in, NULL out. */
char *tb_data_strdup(const char *s);

/* split.c: a sequential reader of the Philox stream `key` (kernels/tb_rng.h) for the data layer's shuffles (splits,
 * folds, data-fraction orders): exact uniform integers in [0, m) by rejection, and Fisher-Yates over a. */
typedef struct {
  uint64_t key, ctr;
} tb_data_rng;
uint32_t tb_data_rng_below(tb_data_rng *g, uint32_t m);
void tb_data_shuffle_u32(tb_data_rng *g, uint32_t *a, size_t n);
#endif
