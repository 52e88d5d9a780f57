/* dataset.c: the tb_dataset type: allocation, subsets, checksums. Sources are in load_*.c and gen.c, splits and
 * standardisation in split.c. Tested by tests/test_data_*.c. */
#include "data_impl.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

char *tb_data_strdup(const char *s) {
  if (!s) return NULL;
  char *d = strdup(s);
  if (!d) tb_error_set(TB_ERR_NOMEM, "out of host memory");
  return d;
}

int tb_dataset_alloc(size_t n_rows, int n_cols, tb_task task, int n_classes, const char *name, tb_dataset **out) {
  int rc = TB_OK;
  *out = NULL;
  if (n_cols < 0 || (task == TB_TASK_CLASSIFICATION && n_classes < 1))
    return tb_error_set(TB_ERR_INVALID, "dataset: bad shape (%zu rows, %d columns, %d classes)", n_rows, n_cols,
                        n_classes);
  if (n_cols && n_rows > SIZE_MAX / sizeof(float) / (size_t)n_cols)
    return tb_error_set(TB_ERR_INVALID, "dataset: %zu x %d is too large", n_rows, n_cols);
  tb_dataset *ds = calloc(1, sizeof *ds);
  if (!ds) return tb_error_set(TB_ERR_NOMEM, "dataset: out of host memory");
  ds->n_rows = n_rows;
  ds->n_cols = n_cols;
  ds->task = task;
  ds->n_classes = task == TB_TASK_CLASSIFICATION ? n_classes : 0;
  ds->name = tb_data_strdup(name ? name : "");
  ds->X = calloc(n_rows * (size_t)n_cols + 1, sizeof(float));
  if (task == TB_TASK_CLASSIFICATION)
    ds->y_class = calloc(n_rows + 1, sizeof(int32_t));
  else
    ds->y_value = calloc(n_rows + 1, sizeof(float));
  if (!ds->name || !ds->X || (!ds->y_class && !ds->y_value))
    TB_FAIL(TB_ERR_NOMEM, "dataset: out of host memory for %zu x %d", n_rows, n_cols);
  *out = ds;
  ds = NULL;
done:
  tb_dataset_free(ds);
  return rc;
}

static void free_names(char **names, int n) {
  if (!names) return;
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

void tb_dataset_free(tb_dataset *ds) {
  if (!ds) return;
  free(ds->name);
  free(ds->X);
  free(ds->y_class);
  free(ds->y_value);
  free_names(ds->feature_names, ds->n_cols);
  free_names(ds->class_names, ds->n_classes);
  free(ds->fixed_split);
  free(ds);
}

static int copy_names(char **src, int n, char ***dst) {
  *dst = NULL;
  if (!src) return TB_OK;
  *dst = calloc((size_t)n + 1, sizeof(char *));
  if (!*dst) return tb_error_set(TB_ERR_NOMEM, "dataset: out of host memory");
  for (int i = 0; i < n; i++)
    if (src[i] && !((*dst)[i] = tb_data_strdup(src[i]))) return TB_ERR_NOMEM;
  return TB_OK;
}

int tb_dataset_subset(const tb_dataset *ds, const uint32_t *idx, size_t n, tb_dataset **out) {
  int rc = TB_OK;
  tb_dataset *sub = NULL;
  *out = NULL;
  for (size_t i = 0; i < n; i++)
    if (idx[i] >= ds->n_rows)
      return tb_error_set(TB_ERR_RANGE, "dataset subset: row %u outside 0..%zu", idx[i], ds->n_rows - 1);
  TB_TRY(tb_dataset_alloc(n, ds->n_cols, ds->task, ds->n_classes, ds->name, &sub));
  sub->missing = ds->missing;
  for (size_t i = 0; i < n; i++) {
    memcpy(sub->X + i * (size_t)ds->n_cols, ds->X + (size_t)idx[i] * ds->n_cols, (size_t)ds->n_cols * sizeof(float));
    if (ds->y_class) sub->y_class[i] = ds->y_class[idx[i]];
    if (ds->y_value) sub->y_value[i] = ds->y_value[idx[i]];
  }
  if (ds->fixed_split) {
    sub->fixed_split = malloc(n + 1);
    if (!sub->fixed_split) TB_FAIL(TB_ERR_NOMEM, "dataset: out of host memory");
    for (size_t i = 0; i < n; i++) sub->fixed_split[i] = ds->fixed_split[idx[i]];
  }
  TB_TRY(copy_names(ds->feature_names, ds->n_cols, &sub->feature_names));
  TB_TRY(copy_names(ds->class_names, ds->n_classes, &sub->class_names));
  *out = sub;
  sub = NULL;
done:
  tb_dataset_free(sub);
  return rc;
}

/* crc32 over a large buffer in chunks (zlib's length argument is 32-bit). */
static uLong crc_bytes(uLong crc, const void *p, size_t n) {
  const Bytef *b = p;
  while (n) {
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, b, chunk);
    b += chunk;
    n -= chunk;
  }
  return crc;
}

uint32_t tb_dataset_checksum(const tb_dataset *ds) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc_bytes(crc, ds->X, ds->n_rows * (size_t)ds->n_cols * sizeof(float));
  if (ds->y_class) crc = crc_bytes(crc, ds->y_class, ds->n_rows * sizeof(int32_t));
  if (ds->y_value) crc = crc_bytes(crc, ds->y_value, ds->n_rows * sizeof(float));
  return (uint32_t)crc;
}

size_t tb_dataset_bytes(const tb_dataset *ds) {
  size_t b = ds->n_rows * (size_t)ds->n_cols * sizeof(float);
  b += ds->n_rows * (ds->y_class ? sizeof(int32_t) : sizeof(float));
  if (ds->fixed_split) b += ds->n_rows;
  return b;
}
