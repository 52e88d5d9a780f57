/* store_fixture.h: a small deterministic study written through tb_store (shared by test_store.c,
 * test_store_h5py.c and test_store_kill.c), and a dump of any table of the .h5 read back with host/data/h5.c. */
#ifndef TB_STORE_FIXTURE_H
#define TB_STORE_FIXTURE_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tb_h5.h"
#include "tb_store.h"
#include "tb_test.h"

static const char *fx_choices[] = {"relu", "tanh", "gelu"};
static const char *fx_obj[] = {"val_loss", "latency"};
static const int fx_max[] = {0, 0};

/* Space: lr (log float), units (int), act (categorical), drop (float active when act != relu), bias fixed. */
static tb_space *fx_space(void) {
  tb_space *sp;
  TB_CHECK_OK(tb_space_init(&sp));
  TB_CHECK_OK(tb_space_add_float(sp, "lr", 1e-4, 1e-1, 1));
  TB_CHECK_OK(tb_space_add_int(sp, "units", 8, 256, 8, 0));
  TB_CHECK_OK(tb_space_add_categorical(sp, "act", 3, fx_choices));
  TB_CHECK_OK(tb_space_add_float(sp, "drop", 0.0, 0.5, 0));
  TB_CHECK_OK(tb_space_add_fixed(sp, "bias", 1.0));
  double cv[2] = {1, 2};
  TB_CHECK_OK(tb_space_add_condition(sp, "drop", "act", 2, cv));
  TB_CHECK_OK(tb_space_finalize(sp));
  return sp;
}

/* Deterministic values of trial id. */
static double fx_u(int64_t id, int k) {
  uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull + (uint64_t)k * 0xBF58476D1CE4E5B9ull + 7;
  x ^= x >> 31, x *= 0x94D049BB133111EBull, x ^= x >> 29;
  return (double)(x >> 11) / 9007199254740992.0;
}
static void fx_config(const tb_space *sp, int64_t id, double *x) {
  double u[8];
  for (int i = 0; i < tb_space_dim(sp); i++) u[i] = fx_u(id, i);
  tb_space_from_unit(sp, u, x);
}

static int fx_pause_us; /* sleep between curve points (the kill test makes trials last) */

/* Writes trial id (begin, n_curve points, end) to experiment exp; its configuration is fx_config(cfg), its seed
 * 1000 + cfg (a retry passes the original's cfg: same configuration and seed). */
__attribute__((unused)) static int fx_trial(tb_store *st, const tb_space *sp, int exp, int64_t id, int64_t cfg, int64_t retry_of, int n_curve,
                    int end) {
  double x[8], obj[2] = {fx_u(id, 10), fx_u(id, 11) * 1e-3};
  fx_config(sp, cfg, x);
  tb_store_trial t = {id, exp, id % 2 ? "tpe" : "random", (int)(id % 3), 1000 + (uint64_t)cfg, id > 4 ? id - 4 : -1,
                      retry_of, 1.7e9 + (double)id, x, 0, 0};
  int rc = tb_store_trial_begin(st, &t);
  for (int s = 0; rc == TB_OK && s < n_curve; s++) {
    tb_store_curve c = {id, s, s + 1.0, 1.0 / (s + 1 + fx_u(id, 20)), fx_u(id, 21 + s), 0.1 * s};
    rc = tb_store_curve_add(st, &c);
    if (fx_pause_us) usleep((useconds_t)fx_pause_us);
  }
  if (rc == TB_OK && end) {
    tb_store_result r = {id, (tb_trial_status)(id % 5), obj, (double)n_curve, 1.7e9 + id + 1, 0.5 + fx_u(id, 12),
                         (int64_t)(1000 * id + 1), {1e-4, 2e-3}, {3e-4, 4e-3}, 12345 + id,
                         id % 5 == 2 ? "loss is NaN at step 3" : NULL};
    rc = tb_store_trial_end(st, &r);
  }
  return rc;
}

/* Every table of the file as text: "path: col=value col=value ..." lines; returns a malloc'ed string. */
__attribute__((unused)) static char *fx_dump_table(tb_h5_file *f, const char *path) {
  int nc;
  tb_h5_col *cols;
  size_t n;
  TB_CHECK_OK(tb_h5_table_columns(f, path, &nc, &cols, &n));
  size_t cap = 4096 + n * (size_t)nc * 48 + n * 2200, len = 0;
  char *out = malloc(cap);
  double *v = malloc((n + 1) * sizeof *v);
  char **s = calloc(n + 1, sizeof *s);
  char **text = calloc(n + 1, sizeof *text);
  for (size_t r = 0; r < n; r++) text[r] = calloc(1, 64 * (size_t)nc + 2200);
  for (int c = 0; c < nc; c++) {
    if (cols[c].type == TB_H5_STR) TB_CHECK_OK(tb_h5_table_read_col(f, path, cols[c].name, TB_H5_STR, n, s));
    else TB_CHECK_OK(tb_h5_table_read_col(f, path, cols[c].name, TB_H5_F64, n, v));
    for (size_t r = 0; r < n; r++) {
      char *t = text[r] + strlen(text[r]);
      if (cols[c].type == TB_H5_STR) sprintf(t, " %s='%s'", cols[c].name, s[r]), free(s[r]);
      else sprintf(t, " %s=%.17g", cols[c].name, v[r]);
    }
  }
  len += (size_t)snprintf(out, cap, "%s (%zu rows)\n", path, n);
  for (size_t r = 0; r < n; r++) len += (size_t)snprintf(out + len, cap - len, "%s\n", text[r]), free(text[r]);
  free(text), free(s), free(v);
  tb_h5_cols_free(cols, nc);
  return out;
}
#endif
